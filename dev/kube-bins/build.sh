#!/usr/bin/env bash
# Builds kube-apiserver, etcd and kubectl from the pinned Go modules in this folder and caches them
# under ${LBIPAM_CACHE:-~/.cache/lbipam}/kube-bins/<sha256 of go.mod+go.sum>/.
# Prints that folder. A warm cache makes this a no-op.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
key="$(cat "$here/go.mod" "$here/go.sum" | sha256sum | cut -c1-16)"
out="${LBIPAM_CACHE:-$HOME/.cache/lbipam}/kube-bins/$key"
if [[ -x "$out/kube-apiserver" && -x "$out/etcd" && -x "$out/kubectl" ]]; then
  echo "$out"
  exit 0
fi
k8s_version="$(awk '$1=="k8s.io/kubernetes" {print $2; exit}' "$here/go.mod")"
mkdir -p "$out.tmp"
echo "building kube-apiserver and kubectl $k8s_version and etcd into $out (cold: 10-20 minutes)" >&2
(cd "$here" && CGO_ENABLED=0 go build -trimpath \
  -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$k8s_version" \
  -o "$out.tmp/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl go.etcd.io/etcd/server/v3)
[[ -x "$out.tmp/v3" ]] && mv "$out.tmp/v3" "$out.tmp/etcd"
[[ -x "$out.tmp/server" ]] && mv "$out.tmp/server" "$out.tmp/etcd"
rm -rf "$out" && mv "$out.tmp" "$out"
echo "$out"
