#!/usr/bin/env bash
# Builds the controller image from controller/target (run `mvn -B package -DskipTests` first) and
# prints its name. Reproducible: file and creation times are the last commit's time
# (or $SOURCE_DATE_EPOCH), so the same inputs give the same image id.
#
#   dev/image/build.sh                        podman, the Debian-made base from dev/image/base.sh,
#                                             localhost/lbipam-controller:<version>
#   ENGINE=docker BASE=eclipse-temurin:17-jre \
#   IMAGE=registry.example.com/lbipam/controller:0.1.0 dev/image/build.sh --push
#
# ENGINE  podman or docker (default: podman when installed, else docker)
# BASE    the base image (default: podman: dev/image/base.sh's image; docker: eclipse-temurin:17-jre)
# IMAGE   the name and tag to build (default: localhost/lbipam-controller:<version>)
# --push  push IMAGE to its registry after the build
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
push=false
[[ "${1:-}" == "--push" ]] && push=true
engine="${ENGINE:-}"
if [[ -z "$engine" ]]; then
  if command -v podman >/dev/null; then engine=podman
  elif command -v docker >/dev/null; then engine=docker
  else echo "neither podman nor docker is installed: run dev/image/podman-setup.sh (as root) or install Docker" >&2; exit 1
  fi
fi
jar="$(ls controller/target/controller-*.jar 2>/dev/null | grep -v -E -- '-(tests|sources|javadoc)\.jar$' | head -1 || true)"
if [[ -z "$jar" || ! -d controller/target/lib ]]; then
  echo "controller/target has no controller jar and lib/: run 'mvn -B package -DskipTests' first" >&2
  exit 1
fi
version="$(basename "$jar" .jar)"; version="${version#controller-}"
revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
epoch="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
if [[ -z "${BASE:-}" ]]; then
  if [[ "$engine" == podman ]]; then BASE="$("$root/dev/image/base.sh")"; else BASE=eclipse-temurin:17-jre; fi
fi
image="${IMAGE:-localhost/lbipam-controller:$version}"
args=(build --file Containerfile --tag "$image"
  --build-arg "BASE=$BASE" --build-arg "VERSION=$version" --build-arg "REVISION=$revision")
if [[ "$engine" == podman ]]; then
  args+=(--timestamp "$epoch")
  [[ "$BASE" == localhost/* ]] && args+=(--pull=never)
else
  args+=(--build-arg "SOURCE_DATE_EPOCH=$epoch")
fi
echo "building $image from $BASE with $engine" >&2
"$engine" "${args[@]}" --quiet . >&2
$push && "$engine" push "$image" >&2
echo "$image"
