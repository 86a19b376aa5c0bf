#!/usr/bin/env bash
# make gc-pauses: can a garbage-collection pause cost an election? Runs scripts/bench-compare.sh
# (its clusters, its wrk load, its defaults: DURATION, ROUNDS, CONNS, ... pass through) with the
# raftkv nodes under -Xlog:gc* and the etcd members under GODEBUG=gctrace=1, in its own run
# directory and ports (run/gc-pauses/, etcd 25791-25793, raftkv 9501-9503), so Table 2's
# run/bench-compare/ stays untouched. Then it collects every stop-the-world pause from the logs:
# raftkv's "Pause ..." lines (G1: young, remark, cleanup; each one pause), etcd's gctrace lines (each
# GC cycle stops the world twice: sweep termination and mark termination, the first and third
# clock figure; each counted as one pause). Pauses under load are those after the prefill (from the
# first wrk run to the end); the maximum over the processes' whole life, start included, is shown
# beside them. Output:
#   docs/paper/build/gc-pauses.md    table (German, for the paper) with count, p50, p99, max per
#                                    system and the election timeouts for context
#   run/gc-pauses/pauses.tsv         every pause: system node epoch_ms pause_ms under_load kind
# Takes as long as make bench-compare (about 7 minutes with its defaults).
#
# Like make paper-bench it refuses to publish from a busy machine: with a 1-minute load average
# above half the CPUs before the run it runs nothing (exit 3), unless NOT_PUBLISHABLE=1, which writes
# docs/paper/build/gc-pauses-NOT-PUBLISHABLE.md instead (marked so; the paper build reads only
# gc-pauses.md). FORMAT_ONLY=1 rebuilds the table from the logs of the last run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=run/gc-pauses
LOGS=$ROOT/$OUT/gc-logs
BUILD=docs/paper/build
PAUSES=$OUT/pauses.tsv
say() { echo "gc-pauses: $*" >&2; }
die() { say "$*"; exit 1; }
mkdir -p "$BUILD"

cpus=$(nproc)
if [ "${FORMAT_ONLY:-}" != 1 ]; then
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  if awk -v l="${load_before%% *}" -v c="$cpus" 'BEGIN {exit !(l > c / 2)}'; then
    say "NOT PUBLISHABLE: load average $load_before before the run, above half of $cpus CPUs"
    [ "${NOT_PUBLISHABLE:-}" = 1 ] || { say "nothing run. Wait for a quiet machine, or NOT_PUBLISHABLE=1 to try the pipeline."; exit 3; }
  fi
  rm -rf "$OUT"; mkdir -p "$LOGS"
  echo "$load_before" > "$OUT/load-before.txt"
  date -u '+%Y-%m-%d %H:%M UTC' > "$OUT/measured.txt"
  RAFTKV_JAVA_TOOL_OPTIONS="-Xlog:gc*:file=$LOGS/raftkv-%p.log:timemillis,uptime,level,tags" \
    ETCD_GODEBUG=gctrace=1 BENCH_COMPARE_OUT=$OUT BENCH_COMPARE_PORTS="25790 25800 9500" \
    scripts/bench-compare.sh
  cut -d' ' -f1-3 /proc/loadavg > "$OUT/load-after.txt"
  cp "$OUT"/etcd/e?.log "$LOGS"/ # the next run's fresh directories would delete them
fi
[ -f "$OUT/prefill-raftkv.txt" ] && [ -f "$LOGS/e1.log" ] || die "no logs of a run in $OUT: run make gc-pauses"

# The load starts when the second prefill ends (bench-compare prefills etcd, then raftkv, then runs).
load_start_ms=$(( $(stat -c %Y "$OUT/prefill-raftkv.txt") * 1000 ))

# ---- collect -----------------------------------------------------------------------------------
: > "$PAUSES"
# raftkv: one log per node JVM, named by its pid (JAVA_TOOL_OPTIONS reaches only the three nodes):
# [12.345s][1765113601123ms][info][gc          ] GC(7) Pause Young (Normal) (G1 Evacuation Pause) 40M->12M(256M) 3.456ms
[ "$(find "$LOGS" -name 'raftkv-*.log' | wc -l)" = 3 ] || die "want 3 node GC logs in $LOGS, found: $(ls "$LOGS")"
for log in "$LOGS"/raftkv-*.log; do
  node=$(basename "$log" .log)
  awk -v node="$node" -v start="$load_start_ms" '
    /\]\[gc *\] GC\([0-9]+\) Pause / && /ms$/ {
      match($0, /\[[0-9]+ms\]/); t = substr($0, RSTART + 1, RLENGTH - 4) + 0 # the timemillis decorator
      ms = $NF; sub(/ms$/, "", ms)
      kind = $0; sub(/.*\) Pause /, "", kind); sub(/ .*/, "", kind)
      printf "raftkv\t%s\t%.0f\t%s\t%d\t%s\n", node, t, ms, (t >= start), kind
    }' "$log" >> "$PAUSES"
done
for n in 1 2 3; do # etcd: gc 12 @3.456s 2%: 0.018+1.2+0.025 ms clock, ...; the process start from its first log line
  log=$LOGS/e$n.log
  first_ts=$(grep -m1 -o '"ts":"[^"]*"' "$log" | cut -d'"' -f4)
  [ -n "$first_ts" ] || die "no timestamp in $log"
  start_ms=$(date -d "$first_ts" +%s%3N)
  awk -v node="e$n" -v t0="$start_ms" -v start="$load_start_ms" '
    /^gc [0-9]+ @[0-9.]+s [0-9]+%: [0-9.]+\+[0-9.]+\+[0-9.]+ ms clock/ {
      at = $3; sub(/^@/, "", at); sub(/s$/, "", at); t = t0 + at * 1000
      split($5, c, "+")
      printf "etcd\t%s\t%.0f\t%s\t%d\tsweep-termination\n", node, t, c[1], (t >= start)
      printf "etcd\t%s\t%.0f\t%s\t%d\tmark-termination\n", node, t, c[3], (t >= start)
    }' "$log" >> "$PAUSES"
done
[ -s "$PAUSES" ] || die "no pauses found in $LOGS"

# ---- summarise ---------------------------------------------------------------------------------
stats() { # SYSTEM UNDER_LOAD(1|any) -> "count p50 p99 max" (nearest rank)
  awk -F'\t' -v s="$1" -v l="$2" '$1 == s && (l == "any" || $5 == l) {print $4}' "$PAUSES" | sort -g |
    awk '{v[NR] = $1} END { if (!NR) {print "0 – – –"; exit}
      r50 = int(0.5 * NR + 0.999999); r99 = int(0.99 * NR + 0.999999)
      printf "%d %s %s %s\n", NR, v[r50], v[r99], v[NR] }'
}
de() { awk -v x="$1" 'BEGIN { if (x == "–") {print x; exit}; if (x >= 10) s = sprintf("%.0f", x); else if (x >= 1) s = sprintf("%.1f", x); else s = sprintf("%.2f", x); sub(/\./, ",", s); print s }'; }
leader_changes() { awk -v s="$1" '$1 == s {c += $7} END {print c + 0}' "$OUT/runs/results.tsv" 2>/dev/null || echo "?"; }
runs=$(awk 'END {print NR}' "$OUT/runs/results.tsv" 2>/dev/null || echo 0)
raftkv_timeout=$(sed -n 's/.*names = "--election-timeout-ms", defaultValue = "\([0-9]*\)-\([0-9]*\)".*/\1–\2/p' \
  java-node/server/src/main/java/raftkv/server/RaftkvNode.java)
etcd_timeout=$(etcd --help 2>&1 | sed -n "s/.*--election-timeout '\([0-9]*\)'.*/\1/p" | head -1)
java_v=$(awk -F'"' '/version/ {print $2; exit}' <<<"$("${JAVA_HOME:-$(scripts/find-jdk.sh)}/bin/java" -version 2>&1)")
gc_name=$(grep -h -m1 -o 'Using [A-Za-z0-9]*' "$LOGS"/raftkv-*.log | head -1 | sed 's/Using //')
etcd_v=$(etcd --version 2>/dev/null | awk '/^etcd Version/ {print $3}')
etcd_go=$(etcd --version 2>/dev/null | awk '/^Go Version/ {print $3}'); etcd_go=${etcd_go#go}
load_before=$(cat "$OUT/load-before.txt"); load_after=$(cat "$OUT/load-after.txt" 2>/dev/null || echo "?")
publishable=1
awk -v l="${load_before%% *}" -v c="$cpus" 'BEGIN {exit !(l > c / 2)}' && publishable=0
if [ $publishable = 1 ]; then MD=$BUILD/gc-pauses.md; rm -f "$BUILD/gc-pauses-NOT-PUBLISHABLE.md"
else
  [ "${NOT_PUBLISHABLE:-}" = 1 ] || die "the run in $OUT was measured at load average $load_before on $cpus CPUs: no table (NOT_PUBLISHABLE=1 writes one marked so)"
  MD=$BUILD/gc-pauses-NOT-PUBLISHABLE.md
fi
row() { # SYSTEM LABEL TIMEOUT
  local c p50 p99 max all; read -r c p50 p99 max <<<"$(stats "$1" 1)"; read -r _ _ _ all <<<"$(stats "$1" any)"
  echo "| $2 | $c | $(de "$p50") ms | $(de "$p99") ms | $(de "$max") ms | $(de "$all") ms | $3 | $(leader_changes "$1") |"
}
{
  [ $publishable = 1 ] || echo "<!-- NOT PUBLISHABLE: load average $load_before before the run on $cpus CPUs -->"
  echo "| System | Pausen unter Last | Median | p99 | Maximum | Maximum inkl. Start | Wahl-Timeout | Leaderwechsel |"
  echo "| ------------------------------ | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  row raftkv "raftkv, 3 Knoten (JDK $java_v, ${gc_name:-G1}, -Xmx256m)" "$raftkv_timeout ms"
  row etcd "etcd $etcd_v, 3 Mitglieder (Go $etcd_go)" "${etcd_timeout:-1000} ms"
  echo
  caption=": "
  [ $publishable = 1 ] || caption+="NOT PUBLISHABLE — NICHT VERÖFFENTLICHEN (Load Average vorher $load_before auf $cpus CPUs). "
  caption+="Stop-the-world-Pausen der Speicherbereinigung während \`make gc-pauses\` am $(cat "$OUT/measured.txt") ($runs wrk-Läufe von \`make bench-compare\`, Systeme abwechselnd). raftkv: \`-Xlog:gc*\`, jede »Pause«-Zeile eine Pause; etcd: \`GODEBUG=gctrace=1\`, je Zyklus zwei Pausen (Sweep- und Mark-Termination). Unter Last: nach dem Vorbefüllen; alle drei Knoten zusammen; Perzentile nach Rang. Leaderwechsel: Läufe, in denen der Leader wechselte. Load Average vorher $(echo "${load_before%% *}" | tr . ,), nachher $(echo "${load_after%% *}" | tr . ,), $cpus CPUs."
  echo "$caption"
} > "$MD.tmp"
mv "$MD.tmp" "$MD"
say "wrote $MD (every pause: $PAUSES)"
cat "$MD"
