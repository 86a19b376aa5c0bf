#!/usr/bin/env bash
# Throughput and latency of a local 3-node cluster (fsync on, as always) under load: starts the
# cluster on ports 9101-9103 with fresh data under run/bench/, runs the load generator in the node
# jar, prints its figures, and stops the cluster (also on failure or Ctrl-C).
#
# BENCH_OPTS passes options to the generator, e.g. BENCH_OPTS="--writers 32 --duration-s 20".
set -euo pipefail
cd "$(dirname "$0")/.."

export BASE_PORT=9100 RUN_DIR=run/bench
JAVA_HOME=${JAVA_HOME:-$(scripts/find-jdk.sh)}
export JAVA_HOME
NODE_JAR=${NODE_JAR:-java-node/server/target/raftkv-node.jar}

scripts/local-cluster.sh stop >/dev/null 2>&1 || true
rm -rf "$RUN_DIR"
trap 'scripts/local-cluster.sh stop' EXIT
scripts/local-cluster.sh start >/dev/null
echo "cluster up on 127.0.0.1:9101-9103 (logs in $RUN_DIR/); data on $(df -P "$RUN_DIR" | awk 'NR==2 {print $1}')"
# shellcheck disable=SC2086 # BENCH_OPTS is a list of options
"$JAVA_HOME/bin/java" -cp "$NODE_JAR" raftkv.server.bench.Bench \
  --nodes http://127.0.0.1:9101,http://127.0.0.1:9102,http://127.0.0.1:9103 ${BENCH_OPTS:-}
