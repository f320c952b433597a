#!/usr/bin/env bash
# Makes podman usable on our machines (root without CAP_SYS_RESOURCE, cgroups in hybrid mode):
# installs podman, runc and mmdebstrap if missing and writes the two settings they need into
# /etc/containers/containers.conf. Idempotent. Needs root (apt).
set -euo pipefail
if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v mmdebstrap >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends podman runc mmdebstrap uidmap slirp4netns >/dev/null
fi
conf=/etc/containers/containers.conf
if ! grep -q '^# lbipam' "$conf" 2>/dev/null; then
  mkdir -p /etc/containers
  cat >>"$conf" <<'CONF'
# lbipam: rlimits at or below the host's soft limits (root here cannot raise them), and runc
# (crun refuses cgroups in hybrid mode).
[containers]
default_ulimits = ["nofile=10000:10000", "nproc=9000:9000"]
[engine]
runtime = "runc"
CONF
fi
podman --version
