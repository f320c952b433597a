#!/usr/bin/env bash
# The main job on an embedded default: local API server + controller in ConfigMap mode +
# example ConfigMap + a handful of LoadBalancer Services; prints their addresses, then stops.
set -euo pipefail
cd "$(dirname "$0")/.."
dev/kube-bins/build.sh >/dev/null
mvn -B -q install -DskipTests
mvn -B -q -pl controller exec:exec -Dexec.executable=java -Dexec.classpathScope=test \
  -Dexec.args="-classpath %classpath dev.lbipam.controller.Demo"
