#!/usr/bin/env bash
# Builds helm from the Go module pinned in this folder (go.mod, go.sum) and caches it under
# ${LBIPAM_CACHE:-~/.cache/lbipam}/helm/<sha256 of go.mod+go.sum+build.sh>/helm. Prints that folder.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
key="$(cat "$here/go.mod" "$here/go.sum" "$here/build.sh" | sha256sum | cut -c1-16)"
out="${LBIPAM_CACHE:-$HOME/.cache/lbipam}/helm/$key"
if [[ -x "$out/helm" ]]; then
  echo "$out"
  exit 0
fi
version="$(awk '$1=="require" && $2=="helm.sh/helm/v3" {print $3; exit}' "$here/go.mod")"
# As helm's own release build does: the Kubernetes version it assumes without a cluster
# (`helm template`, `helm lint`, Chart.yaml's kubeVersion) is that of its client-go.
client_go="$(awk '$1=="k8s.io/client-go" {print $2; exit}' "$here/go.mod")"
k8s_minor="$(echo "$client_go" | cut -d. -f2)"
mkdir -p "$out.tmp"
echo "building helm $version into $out (cold: 3-6 minutes)" >&2
(cd "$here" && CGO_ENABLED=0 go build -trimpath \
  -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$version \
    -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$k8s_minor \
    -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$k8s_minor" \
  -o "$out.tmp/helm" helm.sh/helm/v3/cmd/helm)
rm -rf "$out" && mv "$out.tmp" "$out"
echo "$out"
