#!/usr/bin/env bash
# raftkv side by side with etcd on this machine, under the same load generator.
#
# Starts a 3-member etcd cluster (Debian's etcd-server, default flags, fsync on) on 127.0.0.1
# client ports 23791-23793 / peer ports 23801-23803, and a 3-node raftkv cluster of the node jar
# (fsync always on) on 127.0.0.1:9201-9203, all data fresh under run/bench-compare/. Then wrk with
# scripts/bench/kv.lua drives both with the same key space and value size: writes, then
# linearizable reads, at 1 and at 32 connections, sent to the leader and to a follower. The two
# systems take turns run by run (etcd, raftkv, etcd, raftkv, ...) so they share the machine's noise,
# and the table shows medians over ROUNDS rounds. It is printed and written to
# run/bench-compare/results.md. Everything started here is stopped on exit, failure or Ctrl-C.
#
# Environment (defaults in brackets):
#   DURATION [10]   seconds measured per run        WARMUP [2]      seconds of load before each run, not counted
#   ROUNDS [2]      rounds; medians are over these  CONNS ["1 32"]  connection counts
#   KEYS [1000]     key space                       VALUE_SIZE [16] bytes per value
#   NO_INSTALL=1    do not apt-get install etcd-server/etcd-client/wrk/jq when they are missing
#   BENCH_COMPARE_OUT [run/bench-compare]  run directory; BENCH_COMPARE_PORTS ["23790 23800 9200"]
#                   etcd client, etcd peer and raftkv base ports (scripts/gc-pauses.sh runs this
#                   script beside another with its own; RAFTKV_JAVA_TOOL_OPTIONS and ETCD_GODEBUG
#                   reach the nodes, see scripts/bench/cluster-lib.sh)
# See docs/benchmarks.md for how to read the table.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
ROUNDS=${ROUNDS:-2}
CONNS=${CONNS:-1 32}
KEYS=${KEYS:-1000}
VALUE_SIZE=${VALUE_SIZE:-16}
read -r ETCD_CLIENT_BASE ETCD_PEER_BASE RAFTKV_BASE <<<"${BENCH_COMPARE_PORTS:-23790 23800 9200}"
OUT=${BENCH_COMPARE_OUT:-run/bench-compare}
LUA=scripts/bench/kv.lua
BENCH=bench-compare
# Starting, stopping and asking the two clusters is shared with scripts/overload.sh.
# shellcheck source=bench/cluster-lib.sh
. scripts/bench/cluster-lib.sh

cluster_prerequisites
cluster_fresh_dirs
rm -rf "$OUT/runs" "$OUT/results.md"
mkdir -p "$OUT/runs"

# One wrk run; appends a row to $OUT/runs/results.tsv. Arguments: system op conns target round.
run_one() {
  local sys=$1 op=$2 conns=$3 target=$4 round=$5 leader node url threads nproc pids before after line
  leader=$(wait_leader "$sys")
  if [ "$target" = leader ]; then node=$leader; else node=$((leader % 3 + 1)); fi
  url=$(if [ "$sys" = etcd ]; then etcd_url "$node"; else raftkv_url "$node"; fi)
  nproc=$(nproc); threads=$((conns < nproc ? conns : nproc))
  local tag="$sys-$op-c$conns-$target-r$round"
  if [ "$WARMUP" -gt 0 ]; then
    wrk -t "$threads" -c "$conns" -d "${WARMUP}s" --timeout 10s -s "$LUA" "$url" -- "$sys" "$op" "$KEYS" "$VALUE_SIZE" \
      >"$OUT/runs/$tag.warmup.txt" 2>&1 &
    WRK_PID=$!; wait "$WRK_PID" || die "wrk failed; see $OUT/runs/$tag.warmup.txt"; WRK_PID=""
  fi
  read -ra pids <<<"$(pids_of "$sys")"
  before=$(cpu_ticks "${pids[@]}")
  wrk -t "$threads" -c "$conns" -d "${DURATION}s" --timeout 10s -s "$LUA" "$url" -- "$sys" "$op" "$KEYS" "$VALUE_SIZE" \
    >"$OUT/runs/$tag.txt" 2>&1 &
  WRK_PID=$!; wait "$WRK_PID" || die "wrk failed; see $OUT/runs/$tag.txt"; WRK_PID=""
  after=$(cpu_ticks "${pids[@]}")
  line=$(grep '^BENCH ' "$OUT/runs/$tag.txt") || die "no BENCH line from wrk; see $OUT/runs/$tag.txt"
  local changed=0; [ "$(leader_of "$sys")" = "$leader" ] || changed=1
  # sys op conns target round node leader_changed cpu_ticks key=value...
  echo "$sys $op $conns $target $round $node $changed $((after - before)) ${line#BENCH }" >>"$OUT/runs/results.tsv"
  local req; req=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$line")
  say "$(printf '%-6s %-3s c=%-2s %-8s round %s: %6d requests in %ss (%s)' "$sys" "$op" "$conns" "$target" "$round" "$req" "$DURATION" \
    "$(grep -o 'status_errors=[0-9]*' <<<"$line")")"
}

# ---- run ------------------------------------------------------------------------------------------

CLK_TCK=$(getconf CLK_TCK)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
start_etcd
start_raftkv
say "prefilling $KEYS keys of $VALUE_SIZE bytes in both"
prefill etcd
prefill raftkv

: >"$OUT/runs/results.tsv"
: >"$OUT/runs/rss.tsv"
for round in $(seq "$ROUNDS"); do
  for op in put get; do
    for conns in $CONNS; do
      for target in leader follower; do
        for sys in etcd raftkv; do run_one "$sys" "$op" "$conns" "$target" "$round"; done
      done
    done
    if [ "$op" = put ]; then
      for sys in etcd raftkv; do
        read -ra pids <<<"$(pids_of "$sys")"
        echo "$sys $round $(for p in "${pids[@]}"; do rss_mib "$p"; echo -n ' '; done)" >>"$OUT/runs/rss.tsv"
      done
    fi
  done
done

# ---- report ---------------------------------------------------------------------------------------

# The median of the numbers on stdin.
median() { sort -g | awk '{v[NR] = $1} END {if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# Values of field FIELD (name=value) of the rows for system, op, conns, target, one per line.
# Derived fields: ok_per_s (2xx answers per second).
values() {
  local sys=$1 op=$2 conns=$3 target=$4 field=$5
  awk -v s="$sys" -v o="$op" -v c="$conns" -v t="$target" -v f="$field" '
    $1 == s && $2 == o && $3 == c && $4 == t {
      for (i = 9; i <= NF; i++) { split($i, kv, "="); r[kv[1]] = kv[2] }
      if (f == "ok_per_s") print (r["requests"] - r["status_errors"]) / (r["duration_us"] / 1e6)
      else if (f == "sock_errors") print r["connect"] + r["read"] + r["write"] + r["timeout"]
      else if (f == "leader_changed") print $7
      else print r[f]
    }' "$OUT/runs/results.tsv"
}
sum() { awk '{s += $1} END {print s + 0}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "-"}'; }
ms() { awk -v u="$1" 'BEGIN {if (u >= 100000) printf "%.0f", u / 1000; else if (u >= 10000) printf "%.1f", u / 1000; else printf "%.2f", u / 1000}'; }

java_version=$("$JAVA_HOME/bin/java" -version 2>&1 | head -1)
etcd_version=$(etcd --version | awk '/^etcd Version/ {print $3}')
disk=$(df -PT "$OUT" | awk 'NR == 2 {print $1 " (" $2 ", mounted on " $7 ")"}')
dev=$(df -P "$OUT" | awk 'NR == 2 {print $1}'); rot=$(lsblk -ndo ROTA "$dev" 2>/dev/null | tr -d ' ' || true)
case "$rot" in 0) disk+=", lsblk ROTA=0";; 1) disk+=", lsblk ROTA=1";; esac
cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)

{
  echo "# raftkv vs etcd ($(date -u '+%Y-%m-%d %H:%M UTC'))"
  echo
  echo "- machine: $(nproc) CPUs (${cpu_model:-unknown model}), $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM, kernel $(uname -r), load average before the runs: ${LOAD_BEFORE:-?}"
  echo "- data dir: $OUT/ on $disk; fsync on in both"
  echo "- etcd $etcd_version (Debian etcd-server, default flags), 3 members; raftkv $(basename "$NODE_JAR"), 3 nodes, -Xmx256m, on $java_version"
  echo "- load: wrk $(wrk -v 2>&1 | awk 'NR == 1 {print $2}') + $LUA, $KEYS keys, $VALUE_SIZE-byte values, ${DURATION} s per run after ${WARMUP} s warm-up, $ROUNDS round(s), systems alternating run by run; medians over rounds"
  echo "- reads are linearizable in both (etcd range with serializable=false, raftkv GET /kv/{id} by ReadIndex); 'follower' runs send every request to one follower, which forwards"
  echo
  echo "| load | etcd ops/s | raftkv ops/s | ratio | etcd p50 | raftkv p50 | ratio | etcd p99 | raftkv p99 | ratio | etcd p99.9 | raftkv p99.9 | ratio | non-2xx etcd / raftkv | socket errors etcd / raftkv |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  any_changed=0
  for op in put get; do
    for conns in $CONNS; do
      for target in leader follower; do
        row="| $([ "$op" = put ] && echo write || echo read) c=$conns $target"
        ch=$(( $(values etcd $op $conns $target leader_changed | sum) + $(values raftkv $op $conns $target leader_changed | sum) ))
        [ "$ch" -eq 0 ] || { row+=" (†)"; any_changed=1; }
        e=$(values etcd $op $conns $target ok_per_s | median); r=$(values raftkv $op $conns $target ok_per_s | median)
        row+=" | $(printf %.0f "$e") | $(printf %.0f "$r") | $(ratio "$r" "$e")"
        for p in p50 p99 p999; do
          e=$(values etcd $op $conns $target $p | median); r=$(values raftkv $op $conns $target $p | median)
          row+=" | $(ms "$e") ms | $(ms "$r") ms | $(ratio "$r" "$e")"
        done
        row+=" | $(values etcd $op $conns $target status_errors | sum) / $(values raftkv $op $conns $target status_errors | sum)"
        row+=" | $(values etcd $op $conns $target sock_errors | sum) / $(values raftkv $op $conns $target sock_errors | sum) |"
        echo "$row"
      done
    done
  done
  echo
  echo "ratio = raftkv / etcd: above 1 for ops/s means raftkv is faster, above 1 for a latency means raftkv is slower."
  echo "ops/s counts 2xx answers only; latencies are wrk's, over every answer. non-2xx and socket errors are totals over all rounds, not medians."
  [ "$any_changed" -eq 0 ] || echo "(†) the leader changed during at least one run of this load."
  echo
  for sys in etcd raftkv; do
    writes=$(awk -v s=$sys '$1 == s && $2 == "put" {for (i = 9; i <= NF; i++) {split($i, kv, "="); if (kv[1] == "requests") print $5, kv[2]}}' "$OUT/runs/results.tsv")
    ticks=$(awk -v s=$sys '$1 == s && $2 == "put" {print $5, $8}' "$OUT/runs/results.tsv")
    per_round=$(for round in $(seq "$ROUNDS"); do
      w=$(awk -v r="$round" '$1 == r {s += $2} END {print s + 0}' <<<"$writes")
      t=$(awk -v r="$round" '$1 == r {s += $2} END {print s + 0}' <<<"$ticks")
      awk -v w="$w" -v t="$t" -v hz="$CLK_TCK" 'BEGIN {if (w > 0) print t / hz / (w / 1000)}'
    done | median)
    rss=$(awk -v s=$sys -v r="$ROUNDS" '$1 == s && $2 == r {printf "%s MiB, %s MiB, %s MiB", $3, $4, $5}' "$OUT/runs/rss.tsv")
    echo "- $sys: CPU $(printf %.2f "${per_round:-0}") s per 1,000 writes (user+system of the 3 nodes over the measured write runs, median over rounds); RSS after the write runs of the last round: $rss"
  done
} >"$OUT/results.md"

echo
cat "$OUT/results.md"
echo
echo "(written to $OUT/results.md; raw wrk output in $OUT/runs/)"
