#!/usr/bin/env bash
# The startup probe of issue 11, as a new user would run it: start 3 fresh node processes of the jar
# on loopback (default flags), wait until every node answers /status and one of them names a leader,
# then send 100 writes (16 concurrent clients, 5 s client timeout) through the two followers. Any
# write that does not get a 200 counts as a failure and its answer is printed. Repeated ROUNDS times
# with a fresh cluster and fresh data each time.
#
# Environment (defaults in brackets):
#   ROUNDS [20]       fresh clusters
#   BASE_PORT [30000] round r uses ports BASE_PORT + 10r + 1..3 on 127.0.0.1
#   NODE_JAR [java-node/server/target/raftkv-node.jar]   (make java builds it)
# Exits non-zero if any write failed. Every node started here is stopped (by pid) on exit.
set -uo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-20}
BASE_PORT=${BASE_PORT:-30000}
NODE_JAR=${NODE_JAR:-java-node/server/target/raftkv-node.jar}
JAVA="${JAVA_HOME:-$(scripts/find-jdk.sh)}/bin/java"
[ -f "$NODE_JAR" ] || { echo "startup-probe: $NODE_JAR not found: run 'make java' first" >&2; exit 2; }
for tool in curl jq xargs; do
    command -v $tool >/dev/null || { echo "startup-probe: needs $tool (apt-get install $tool)" >&2; exit 2; }
done

pids=()
dir=""
cleanup() {
    [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null && wait "${pids[@]}" 2>/dev/null
    pids=()
    [ -n "$dir" ] && rm -rf "$dir"
    dir=""
}
trap cleanup EXIT INT TERM

total_failed=0
rounds_failed=0
for r in $(seq 1 "$ROUNDS"); do
    base=$((BASE_PORT + r * 10))
    dir=$(mktemp -d /tmp/raftkv-probe.XXXXXX)
    peers="n1=http://127.0.0.1:$((base + 1)),n2=http://127.0.0.1:$((base + 2)),n3=http://127.0.0.1:$((base + 3))"
    started=$(date +%s%N)
    for i in 1 2 3; do
        "$JAVA" -XX:+ExitOnOutOfMemoryError -jar "$NODE_JAR" --id n$i --listen 127.0.0.1:$((base + i)) --peers "$peers" \
            --data-dir "$dir/n$i" > "$dir/n$i.log" 2>&1 &
        pids+=($!)
    done
    # Every node answers /status and one of them names a leader (what `make cluster` waits for).
    leader=""
    for _ in $(seq 1 1200); do
        up=0
        leader=""
        for i in 1 2 3; do
            if status=$(curl -s -m 1 http://127.0.0.1:$((base + i))/status); then
                up=$((up + 1))
                named=$(jq -r '.leader // empty' <<< "$status" 2>/dev/null)
                [ -n "$named" ] && leader=$named
            fi
        done
        [ $up = 3 ] && [ -n "$leader" ] && break
        sleep 0.1
    done
    ready=$(date +%s%N)
    if [ -z "$leader" ]; then
        echo "round $r: no leader within 120 s; logs in $dir" >&2
        dir=""  # keep them
        cleanup
        exit 1
    fi
    followers=()
    for i in 1 2 3; do [ "n$i" != "$leader" ] && followers+=($((base + i))); done
    failed=$(for w in $(seq 0 99); do echo "${followers[$((w % 2))]} w$w"; done |
        xargs -P16 -n2 sh -c 'answer=$(curl -s -w " %{http_code}" -m 5 -X PUT -H "Content-Type: application/json" \
            -d "{\"name\":\"n-$1\"}" http://127.0.0.1:$0/kv/$1)
            case "$answer" in *" 200") ;; *) echo "$1 via port $0: $answer";; esac' | tee "$dir/failed.txt" | wc -l)
    printf 'round %2d: leader %s named %.1f s after launch; %d of 100 writes through followers failed (load %s)\n' \
        "$r" "$leader" "$(echo "($ready - $started) / 1000000000" | bc -l)" "$failed" "$(cut -d' ' -f1 /proc/loadavg)"
    if [ "$failed" -gt 0 ]; then
        head -5 "$dir/failed.txt"
        total_failed=$((total_failed + failed))
        rounds_failed=$((rounds_failed + 1))
    fi
    cleanup
done
echo "startup-probe: $((ROUNDS - rounds_failed)) of $ROUNDS rounds without a failed write; $total_failed failed writes in all"
[ $total_failed = 0 ]
