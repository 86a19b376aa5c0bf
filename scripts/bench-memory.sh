#!/usr/bin/env bash
# Memory under sustained writes: a fresh 3-node cluster of the jar on loopback, 32 connections of
# wrk writes (scripts/bench/kv.lua, 1,000 keys, 16-byte values) against the leader for DURATION
# seconds, and every node's resident set size (RSS) and data directory size every 30 s. Snapshots
# (every 10,000 entries by default) keep the log short, so what grows, if anything, is the JVM.
#
# Environment (defaults in brackets):
#   DURATION [300]          seconds of load
#   NODE_JAVA_OPTS [-Xmx256m]  JVM options of the nodes ("" for the JVM's defaults, which size the
#                           heap from the machine's memory: up to a quarter of it)
#   BASE_PORT [32100]       nodes on 127.0.0.1:BASE_PORT+1..3
# Every node started here is stopped (by pid) on exit; the data is removed.
set -uo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-300}
NODE_JAVA_OPTS=${NODE_JAVA_OPTS--Xmx256m}
BASE_PORT=${BASE_PORT:-32100}
NODE_JAR=${NODE_JAR:-java-node/server/target/raftkv-node.jar}
JAVA="${JAVA_HOME:-$(scripts/find-jdk.sh)}/bin/java"
[ -f "$NODE_JAR" ] || { echo "bench-memory: $NODE_JAR not found: run 'make java' first" >&2; exit 2; }
for tool in curl jq wrk; do
    command -v $tool >/dev/null || { echo "bench-memory: needs $tool (apt-get install $tool)" >&2; exit 2; }
done

dir=$(mktemp -d /tmp/raftkv-memory.XXXXXX)
pids=()
load=""
cleanup() {
    [ -n "$load" ] && kill "$load" 2>/dev/null
    [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM

peers="n1=http://127.0.0.1:$((BASE_PORT + 1)),n2=http://127.0.0.1:$((BASE_PORT + 2)),n3=http://127.0.0.1:$((BASE_PORT + 3))"
for i in 1 2 3; do
    # shellcheck disable=SC2086 # NODE_JAVA_OPTS is a list of options
    "$JAVA" -XX:+ExitOnOutOfMemoryError $NODE_JAVA_OPTS -jar "$NODE_JAR" --id n$i --listen 127.0.0.1:$((BASE_PORT + i)) --peers "$peers" \
        --data-dir "$dir/n$i" > "$dir/n$i.log" 2>&1 &
    pids+=($!)
done
leader=""
for _ in $(seq 1 600); do
    leader=$(curl -s -m 1 http://127.0.0.1:$((BASE_PORT + 1))/status | jq -r '.leader // empty' 2>/dev/null)
    [ -n "$leader" ] && break
    sleep 0.2
done
[ -n "$leader" ] || { echo "bench-memory: no leader within 120 s" >&2; exit 1; }
port=$((BASE_PORT + ${leader#n}))
echo "bench-memory: 3 nodes (JVM options: '${NODE_JAVA_OPTS}'), leader $leader; ${DURATION} s of 32-connection writes"
wrk -t 2 -c 32 -d "${DURATION}s" --timeout 10s -s scripts/bench/kv.lua "http://127.0.0.1:$port" \
    -- raftkv put 1000 16 > "$dir/wrk.txt" 2>&1 &
load=$!
rss_mib() { echo $(( $(awk '/VmRSS/ {print $2}' "/proc/$1/status") / 1024 )); }
for t in $(seq 30 30 "$DURATION"); do
    sleep 30
    line="t=${t}s RSS MiB:"
    for i in 0 1 2; do line="$line n$((i + 1)) $(rss_mib "${pids[$i]}")"; done
    echo "$line; data directories $(du -sm "$dir" | cut -f1) MiB"
done
wait "$load"
load=""
grep -E '^BENCH|Requests/sec' "$dir/wrk.txt"
echo "bench-memory: largest RSS at the end: $(for p in "${pids[@]}"; do rss_mib "$p"; done | sort -n | tail -1) MiB"
