#!/usr/bin/env bash
# Builds the controller's base image from Debian packages (no registry needed) and loads it into
# podman as localhost/lbipam-base:<key>, where <key> hashes this script (the package list lives
# here). Prints the image name. The root file system is cached as a tarball under
# ${LBIPAM_CACHE:-~/.cache/lbipam}/image-base/<key>.tar, so a warm cache only re-imports it.
#
# The base holds a headless JRE 17, CA certificates and the C libraries they need: no shell, no
# apt, no dpkg (removed after installation), so a container started from it cannot install or
# run anything but java.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
suite=bookworm
packages=openjdk-17-jre-headless,ca-certificates
key="$(sha256sum "$here/base.sh" | cut -c1-16)"
image="localhost/lbipam-base:$key"
if podman image exists "$image"; then
  echo "$image"
  exit 0
fi
cache="${LBIPAM_CACHE:-$HOME/.cache/lbipam}/image-base"
tar="$cache/$key.tar"
if [[ ! -s "$tar" ]]; then
  mkdir -p "$cache"
  echo "building the base root file system ($suite: $packages) into $tar (cold: about a minute)" >&2
  # The hooks run on the host with the root file system at $1, after the packages are configured.
  mmdebstrap --variant=minbase --include="$packages" \
    --customize-hook='rm -rf "$1"/usr/share/doc/* "$1"/usr/share/man/* "$1"/usr/share/info/* "$1"/usr/share/locale/* "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* "$1"/var/log/*' \
    --customize-hook='rm -f "$1"/usr/bin/apt* "$1"/usr/bin/dpkg* "$1"/usr/bin/bash "$1"/usr/bin/dash "$1"/usr/bin/sh "$1"/bin/sh "$1"/bin/bash "$1"/bin/dash' \
    --customize-hook='mkdir -p "$1"/tmp && chmod 1777 "$1"/tmp' \
    "$suite" "$cache/$key.partial.tar" >&2
  mv "$cache/$key.partial.tar" "$tar"
fi
podman import --quiet \
  --change 'ENV JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64' \
  --change 'ENV PATH=/usr/lib/jvm/java-17-openjdk-amd64/bin:/usr/local/bin:/usr/bin:/bin' \
  --change 'USER 65532:65532' \
  "$tar" "$image" >/dev/null
echo "$image"
