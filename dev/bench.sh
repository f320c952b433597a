#!/usr/bin/env bash
# Benchmarks (docs/benchmarks.md): JMH for the ConfigMap allocator, the end-to-end run of the
# controller against a real kube-apiserver + etcd with N LoadBalancer Services (default 1000),
# Redis claims per second, and NetBox allocation latency against the stand-in and against the real
# NetBox of dev/netbox/build.sh.
#
#   dev/bench.sh [N]
#
# Output goes to the console and to target/bench-{jmh.txt,jmh.json,e2e.txt,redis.txt,netbox.txt,netbox-real.txt}.
# Environment:
#   BENCH=all|jmh|e2e|scale|ipaddress|redis|netbox|netbox-real   what to run (default all; scale and
#                       ipaddress only when named. scale fills a cluster with N Services, default 50000,
#                       and takes about 90 minutes; ipaddress adds N objects per step, default 10000)
#   SCALE_AUDIT_DIR     scale: write the API server's audit log of every write into this folder
#   SCALE_ETCD_DATA     scale: keep the filled etcd in this folder (once) and start every run from a copy
#                       of it, which skips the fill (50,000 Services: most of an hour); FOLDER.services
#                       names the N it holds. SCALE_FILL_ONLY=1 fills it and runs nothing else.
#   SCALE_MEMORY_ONLY   scale: only start the standbys, one per flag set, and report their start and memory
#   SCALE_FLAG_SETS     scale: the standbys' flag sets, separated by |; @image stands for the image's flags
#   BENCH_THREADS       client threads of the end-to-end run (default 16)
#   CONTROLLER_JVM      the controller JVM's flags in e2e (default "-Xmx256m -XX:TieredStopAtLevel=1") and
#                       scale (default: the Containerfile's ENTRYPOINT flags at the manifest's 512 MiB limit)
#   SCALE_MAX_RAM       the memory limit the scale run's controller JVMs see (default: the manifest's limit)
#   JMH_ARGS            JMH options (default "-f 1 -wi 3 -i 5 -w 1s -r 1s", about 6 minutes);
#                       add e.g. "-p inUse=10000 -p family=ipv4" to run less.
# Needs the kube-apiserver and etcd binaries (dev/kube-bins/build.sh). Run it on an otherwise idle
# machine: on 2 cores, anything else running shows up in the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."

N="${1:-1000}"
BENCH="${BENCH:-all}"
JMH_ARGS="${JMH_ARGS:--f 1 -wi 3 -i 5 -w 1s -r 1s}"
mkdir -p target

header() {
  echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' (uncommitted changes)')"
  echo "# nproc=$(nproc) mem=$(free -g | awk '/^Mem:/{print $2 " GiB"}') load=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# $(java -version 2>&1 | head -1)"
  others=$(pgrep -f plexus.classworlds || true)
  if [ -n "$others" ]; then
    echo "# warning: another Maven is running (pids $(echo $others)); the numbers will be noisy"
  fi
}

mvn -q install -DskipTests

if [ "$BENCH" = all ] || [ "$BENCH" = jmh ]; then
  # JmhRunner (the module's default exec.mainClass) gives JMH's forked JVMs the test class path.
  header | tee target/bench-jmh.txt
  mvn -q -pl ipam-configmap exec:java -Dexec.classpathScope=test \
    -Dexec.mainClass=dev.lbipam.ipam.configmap.JmhRunner \
    -Dexec.args="AllocatorBenchmark $JMH_ARGS -rf json -rff $PWD/target/bench-jmh.json" \
    2>&1 | tee -a target/bench-jmh.txt
fi

if [ "$BENCH" = all ] || [ "$BENCH" = e2e ]; then
  # exec:exec hands the real test class path to a fresh JVM, which the controller subprocess reuses.
  header | tee target/bench-e2e.txt
  mvn -q -pl controller exec:exec -Dexec.executable=java -Dexec.classpathScope=test \
    "-Dexec.args=-classpath %classpath dev.lbipam.controller.EndToEndBenchmark $N" \
    2>&1 | tee -a target/bench-e2e.txt
fi

if [ "$BENCH" = scale ]; then
  # 50,000 Services (or N): backlog, a burst on top next to a floor, start-up, peak RSS, fail-over.
  header | tee target/bench-scale.txt
  mvn -q -pl controller exec:exec -Dexec.executable=java -Dexec.classpathScope=test \
    "-Dexec.args=-classpath %classpath dev.lbipam.controller.ScaleBenchmark ${1:-50000}" \
    2>&1 | tee -a target/bench-scale.txt
fi

if [ "$BENCH" = ipaddress ]; then
  # What claims cost every Service create: AddressClaims (ADR 0016) against IPAddress objects (ADR 0008).
  header | tee target/bench-ipaddress.txt
  mvn -q -pl controller exec:exec -Dexec.executable=java -Dexec.classpathScope=test \
    "-Dexec.args=-classpath %classpath dev.lbipam.controller.IpAddressCostBenchmark ${1:-10000}" \
    2>&1 | tee -a target/bench-ipaddress.txt
fi

if [ "$BENCH" = all ] || [ "$BENCH" = redis ]; then
  # Claims per second through the Redis backend, next to a raw jedis loop sending the same script.
  header | tee target/bench-redis.txt
  mvn -q -pl ipam-redis exec:exec -Dexec.executable=java -Dexec.classpathScope=test \
    "-Dexec.args=-classpath %classpath dev.lbipam.ipam.redis.RedisClaimBenchmark 20000 2000" \
    2>&1 | tee -a target/bench-redis.txt
fi

if [ "$BENCH" = all ] || [ "$BENCH" = netbox ]; then
  # Allocation latency through the NetBox backend next to the stand-in's own raw latency.
  header | tee target/bench-netbox.txt
  mvn -q -pl ipam-netbox exec:exec -Dexec.executable=java -Dexec.classpathScope=test \
    "-Dexec.args=-classpath %classpath dev.lbipam.ipam.netbox.NetBoxBenchmark 2000 500" \
    2>&1 | tee -a target/bench-netbox.txt
fi

if [ "$BENCH" = all ] || [ "$BENCH" = netbox-real ]; then
  # The same against real NetBox (gunicorn, PostgreSQL), started from dev/netbox/build.sh's cache.
  header | tee target/bench-netbox-real.txt
  NETBOX=built mvn -q -pl ipam-netbox exec:exec -Dexec.executable=java -Dexec.classpathScope=test \
    "-Dexec.args=-classpath %classpath dev.lbipam.ipam.netbox.NetBoxBenchmark ${NETBOX_REAL_N:-500} ${NETBOX_REAL_WARMUP:-100}" \
    2>&1 | tee -a target/bench-netbox-real.txt
fi
