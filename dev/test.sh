#!/usr/bin/env bash
# The whole test suite: unit and property tests (surefire) and integration tests (failsafe)
# against a real kube-apiserver and etcd built from their Go modules (cached after the first run).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in java mvn go; do
  command -v "$tool" >/dev/null || { echo "missing $tool: install Java 17, Maven and Go 1.26" >&2; exit 1; }
done
dev/kube-bins/build.sh
mvn -B verify "$@"
