#!/usr/bin/env bash
# Turns the raw lines of a paper-bench run (docs/paper/build/bench-raw.txt, written by measure.sh
# inside the container) into the paper's Java-vs-Go table (tbl:bench), after deciding whether the
# run may be published.
#
#   table.sh RAW OUT_DIR
#
# Publishable only if the machine was quiet: the 1-minute load average before anything was built
# (LOAD_BEFORE), the CPU other processes used in the 10 s before the first benchmark (QUIET) and on
# average while the benchmarks ran (LOADSAMPLE, every 2 s) are each at most half the CPUs. The load
# average *during* the run is recorded too but cannot decide: the benchmark itself keeps every core
# busy. Then OUT_DIR/bench.md is written. Otherwise no table: exit 3 with the reasons, unless
# NOT_PUBLISHABLE=1, which writes OUT_DIR/bench-NOT-PUBLISHABLE.md instead (marked so in its first
# line and caption; the paper build reads only bench.md). Every run also writes bench-summary.tsv:
# name, unit, samples, median, first and third quartile, min, max (machine-readable, for checks).
set -euo pipefail
RAW=$1
OUT_DIR=$2
say() { echo "paper-bench: $*" >&2; }
[ -s "$RAW" ] || { say "no raw output $RAW"; exit 1; }
field() { awk -v k="$1" '$1 == k {sub(/^[^ ]+ /, ""); print; exit}' "$RAW"; }
kv() { field SETTINGS | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k {print $2}'; }

# ---- statistics: median and interquartile range (linear interpolation, as R's type 7) -------------
SUMMARY=$OUT_DIR/bench-summary.tsv
awk '$1 == "RESULT" {print $2, $3, $4}' "$RAW" | sort -k1,1 -k3,3g | awk '
  function q(p,   h, lo) { h = (n - 1) * p + 1; lo = int(h); return lo >= n ? v[n] : v[lo] + (h - lo) * (v[lo + 1] - v[lo]) }
  function flush() { if (n) printf "%s\t%s\t%d\t%.6g\t%.6g\t%.6g\t%.6g\t%.6g\n", name, unit, n, q(0.5), q(0.25), q(0.75), v[1], v[n] }
  $1 != name { flush(); name = $1; unit = $2; n = 0 }
  { v[++n] = $3 }
  END { flush() }' > "$SUMMARY.tmp"
{ printf 'name\tunit\tsamples\tmedian\tq1\tq3\tmin\tmax\n'; cat "$SUMMARY.tmp"; } > "$SUMMARY"
rm -f "$SUMMARY.tmp"
col() { awk -F'\t' -v n="$1" -v c="$2" '$1 == n {print $c}' "$SUMMARY"; }

# German numbers: 1.234 for integers, one decimal below 100 (12,3), kibibytes with one decimal.
de() { awk -v x="$1" -v kib="${2:-}" 'BEGIN {
  if (x == "") { print "–"; exit }
  if (kib) { x = x / 1024; s = sprintf("%.1f", x) } else if (x < 100) s = sprintf("%.1f", x); else s = sprintf("%.0f", x)
  split(s, p, "."); i = p[1]; o = ""
  while (length(i) > 3) { o = "." substr(i, length(i) - 2) o; i = substr(i, 1, length(i) - 3) }
  s = i o; if (p[2] != "") s = s "," p[2]; print s }'; }
cell() { # NAME [kib] -> "median (q1–q3)" or "–"
  local m; m=$(col "$1" 4)
  if [ -z "$m" ]; then echo "–"; return; fi
  echo "$(de "$m" "${2:-}") ($(de "$(col "$1" 5)" "${2:-}")–$(de "$(col "$1" 6)" "${2:-}"))"
}
dec() { echo "$1" | tr . ,; }
ratio() { awk -v a="$(col "$1" 4)" -v b="$(col "$2" 4)" 'BEGIN { if (a == "" || b == "" || b == 0) print "–"; else { s = sprintf("%.2f", a / b); sub(/\./, ",", s); print s } }'; }

# ---- may it be published? ---------------------------------------------------------------------
cpus=$(kv cpus); [ -n "$cpus" ] || cpus=$(field MACHINE | sed 's/.*cpus=\([0-9]*\).*/\1/')
limit=$(awk -v c="$cpus" 'BEGIN {print c / 2}')
read -r load_before _ <<<"$(field LOAD_BEFORE)"
read -r _ quiet_foreign _ <<<"$(field QUIET)"
read -r during_mean during_max load_max samples <<<"$(awk '$1 == "LOADSAMPLE" {n++; s += $3; if ($3 > m) m = $3; if ($2 > l) l = $2}
  END {if (n) printf "%.2f %.2f %s %d\n", s / n, m, l, n; else print "? ? ? 0"}' "$RAW")"
reasons=()
above() { awk -v x="$1" -v l="$limit" 'BEGIN {exit !(x == "" || x == "?" || x > l)}'; }
above "$load_before" && reasons+=("load average ${load_before:-?} before the run (limit $limit, half of $cpus CPUs)")
above "$quiet_foreign" && reasons+=("other processes used ${quiet_foreign:-?} CPUs just before the benchmarks")
above "$during_mean" && reasons+=("other processes used $during_mean CPUs on average while the benchmarks ran (at most $during_max in a 2-s window)")
publishable=1; [ ${#reasons[@]} -eq 0 ] || publishable=0
if [ $publishable = 0 ]; then
  for r in "${reasons[@]}"; do say "NOT PUBLISHABLE: $r"; done
  if [ "${NOT_PUBLISHABLE:-}" != 1 ]; then
    say "no table written (the last publishable one, if any, stays in $OUT_DIR/bench.md). Run on a quiet machine, or NOT_PUBLISHABLE=1 to try the pipeline."
    exit 3
  fi
fi

# ---- the table ----------------------------------------------------------------------------------
d=$(kv depth); tasks=$(kv mem_tasks); ptasks=$(kv mem_platform_tasks)
j25=0; grep -q '^RESULT [^ ]*-jdk25 ' "$RAW" && j25=1
row() { # LABEL JAVA_NAME GO_NAME [kib]
  local line="| $1 | $(cell "$2" "${4:-}") | $(cell "$3" "${4:-}") | $( [ "$3" = - ] && echo – || ratio "$2" "$3") |"
  [ $j25 = 0 ] || line+=" $(cell "$2-jdk25" "${4:-}") |"
  echo "$line"
}
java_v=$(awk '$1 == "VERSION" && $2 == "java" {print $5; exit}' "$RAW" | tr -d '"')
go_v=$(awk '$1 == "VERSION" && $2 == "go" {print $5; exit}' "$RAW")
go_v=${go_v#go}
j25_v=$(awk '$1 == "VERSION" && $2 == "java25" {print $5; exit}' "$RAW" | tr -d '"')
model=$(field MACHINE | sed 's/.*model=//' | tr '_' ' ')
forks=$(kv forks); warm=$(kv warmups); its=$(kv iterations); secs=$(kv seconds); mem_runs=$(kv mem_runs)
if [ $publishable = 1 ]; then OUT=$OUT_DIR/bench.md; else OUT=$OUT_DIR/bench-NOT-PUBLISHABLE.md; fi
{
  [ $publishable = 1 ] || echo "<!-- NOT PUBLISHABLE: $(printf '%s; ' "${reasons[@]}" | sed 's/; $//') -->"
  head="| Messung | Java 21 (virtuelle Threads) | Go (Goroutinen) | Java / Go |"; sep="| ---------------------------------------- | ------------------: | ------------------: | ------: |"
  [ $j25 = 0 ] || { head+=" Java 25 |"; sep+=" ------------------: |"; }
  echo "$head"; echo "$sep"
  row "(a) Ping-Pong über Queue/Kanal, ns pro Hin und Zurück" pingpong-virtual pingpong-goroutine
  row "(a) dasselbe auf einem Träger-Thread bzw. GOMAXPROCS = 1" pingpong-virtual-1carrier pingpong-goroutine-1p
  row "(a) dasselbe mit zwei Java-Plattform-Threads" pingpong-platform pingpong-goroutine
  row "(b) Fan-out/Fan-in, $(de 100000) Tasks je 1 ms Schlaf, ms gesamt" fanout-virtual fanout-goroutine
  row "(c) Speicher je geparktem Task ($(de "$tasks")), Tiefe 0, RSS-Zuwachs" memory-virtual-d0-rss memory-goroutine-d0-rss kib
  row "(c) dasselbe, Tiefe $d Aufrufe, RSS-Zuwachs" "memory-virtual-d$d-rss" "memory-goroutine-d$d-rss" kib
  row "(c) Tiefe $d laut Laufzeit (Java: Heap; Go: Stacks + Heap)" "memory-virtual-d$d-runtime" "memory-goroutine-d$d-runtime" kib
  row "(c) Java-Plattform-Threads ($(de "$ptasks")), Tiefe $d, RSS je Thread" "memory-platform-d$d-rss" - kib
  row "(d) Event-Loop, 1 Eigentümer, $(de 1000) Anfragende × 100, ns pro Anfrage" eventloop-virtual eventloop-goroutine
  echo
  caption=": "
  [ $publishable = 1 ] || caption+="NOT PUBLISHABLE — NICHT VERÖFFENTLICHEN ($(printf '%s; ' "${reasons[@]}" | sed 's/; $//')). "
  caption+="Java gegen Go, gemessen mit \`make paper-bench\` am $(field MEASURED) im Container aus Debian trixie: OpenJDK $java_v, Go $go_v (beide Debian-Pakete)"
  [ $j25 = 0 ] || caption+=", Spalte Java 25: OpenJDK $j25_v"
  caption+=". Median, in Klammern das mittlere Quartilsband (25.–75. Perzentil): Java mit JMH 1.37, $forks Forks × $its Iterationen à $secs s nach $warm Aufwärm-Iterationen; Go mit \`testing.B\`, $forks Prozesse × $its Läufe à $secs s nach $warm verworfenen; Speicher: je $mem_runs Prozesse. Java / Go ist das Verhältnis der Mediane, unter 1 heißt: Java brauchte weniger. Maschine: $cpus CPUs ($model); Load Average vorher $(dec "$load_before"), Last anderer Prozesse vorher $(dec "$quiet_foreign") und während der Messung im Mittel $(dec "$during_mean") CPUs (höchstens $(dec "$during_max"), gemessen alle 2 s)."
  echo "$caption"
} > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
[ $publishable = 0 ] || rm -f "$OUT_DIR/bench-NOT-PUBLISHABLE.md"
say "wrote $OUT (samples and quartiles: $SUMMARY)"
cat "$OUT"
