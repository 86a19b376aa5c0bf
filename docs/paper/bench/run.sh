#!/usr/bin/env bash
# make paper-bench: builds the Java and the Go half of the benchmark pair, runs both, and writes the
# table the paper includes (docs/paper/build/bench.md), with machine, load and versions in its caption.
#
# Environment: REPS [5] measured rounds per benchmark and language (after one warm-up round);
# MEM_RUNS [3] processes per memory measurement; MEM_TASKS [100000] parked tasks;
# MEM_PLATFORM_TASKS [10000] parked platform threads (Java only); NO_INSTALL=1 fails instead of
# installing Debian's golang-go; FORMAT_ONLY=1 rebuilds the table from the last raw output without
# running anything. Every figure is the median over its rounds (range in brackets).
set -euo pipefail
cd "$(dirname "$0")/../../.."
ROOT=$PWD
BUILD=$ROOT/docs/paper/build
OUT=$BUILD/bench.md
RAW=$BUILD/bench-raw.txt
REPS=${REPS:-5}
MEM_RUNS=${MEM_RUNS:-3}
MEM_TASKS=${MEM_TASKS:-100000}
MEM_PLATFORM_TASKS=${MEM_PLATFORM_TASKS:-10000}
say() { echo "paper-bench: $*" >&2; }
die() { say "$*"; exit 1; }

JAVA_HOME=${JAVA_HOME:-$(scripts/find-jdk.sh || true)}
[ -n "$JAVA_HOME" ] && [ -x "$JAVA_HOME/bin/javac" ] || die "no JDK >= 21 (apt-get install openjdk-21-jdk-headless, or set JAVA_HOME)"
if ! command -v go >/dev/null; then
  [ "${NO_INSTALL:-}" != 1 ] || die "no 'go': apt-get install -y golang-go"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo -n"
  say "installing Debian's golang-go"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q golang-go >&2 \
    || { $sudo apt-get update -q >&2 && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q golang-go >&2; } \
    || die "could not install golang-go: apt-get install -y golang-go"
fi

mkdir -p "$BUILD/bench/java" "$BUILD/bench/gocache" "$BUILD/bench/gopath"
say "building (javac --release 21, go build)"
"$JAVA_HOME/bin/javac" --release 21 -d "$BUILD/bench/java" docs/paper/bench/java/Bench.java
(cd docs/paper/bench/go && GOCACHE="$BUILD/bench/gocache" GOPATH="$BUILD/bench/gopath" GOTOOLCHAIN=local \
   GOFLAGS= GOPROXY=off go build -o "$BUILD/bench/gobench" .)

JAVA=("$JAVA_HOME/bin/java" -cp "$BUILD/bench/java" Bench)
GO=("$BUILD/bench/gobench")
if [ "${FORMAT_ONLY:-}" = 1 ] && [ -s "$RAW" ]; then
  say "FORMAT_ONLY=1: table from the existing $RAW, nothing run"
else
  : > "$RAW"
  echo "MEASURED $(date -u '+%Y-%m-%d %H:%M') UTC" >> "$RAW"
  echo "LOAD_BEFORE $(cut -d' ' -f1-3 /proc/loadavg)" >> "$RAW"
  run() { say "$*"; "$@" | tee -a "$RAW" >&2; }
  for b in pingpong fanout eventloop; do
    run "${JAVA[@]}" "$b" "$REPS"
    run "${GO[@]}" "$b" "$REPS"
  done
  for _ in $(seq "$MEM_RUNS"); do
    run "${JAVA[@]}" memory "$MEM_TASKS"
    run "${GO[@]}" memory "$MEM_TASKS"
    run "${JAVA[@]}" memory-platform "$MEM_PLATFORM_TASKS"
  done
  echo "LOAD_AFTER $(cut -d' ' -f1-3 /proc/loadavg)" >> "$RAW"
fi
field() { awk -v k="$1" '$1==k {sub(/^[^ ]+ /, ""); print; exit}' "$RAW"; }
load_before=$(field LOAD_BEFORE); load_after=$(field LOAD_AFTER); measured=$(field MEASURED)

# median (min–max) of one RESULT name, or "–"
stat() {
  awk -v n="$1" '$1=="RESULT" && $2==n {print $4}' "$RAW" | sort -n | awk '
    {v[NR]=$1} END { if (NR==0) {print "–"; exit}
      printf "%s (%s–%s)", v[int((NR+1)/2)], v[1], v[NR] }'
}
median() { awk -v n="$1" '$1=="RESULT" && $2==n {print $4}' "$RAW" | sort -n | awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]}'; }
ratio() { awk -v a="$(median "$1")" -v b="$(median "$2")" 'BEGIN { if (a=="" || b=="" || b==0) print "–"; else printf "%.2f", a/b }' | tr . ,; }
kib() { # bytes (min–max) -> KiB with one decimal
  awk -v n="$1" '$1=="RESULT" && $2==n {print $4}' "$RAW" | sort -n | awk '
    {v[NR]=$1/1024} END { if (NR==0) {print "–"; exit}
      printf "%.1f KiB (%.1f–%.1f)", v[int((NR+1)/2)], v[1], v[NR] }' | tr . ,
}
de() { echo "$1" | sed -e :a -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|\.\)/\1.\2\3/; ta'; }  # 100000 -> 100.000

cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
java_v=$("$JAVA_HOME/bin/java" -version 2>&1 | head -1)
go_v=$(go version)
{
  echo "| Messung | Java (virtuelle Threads) | Go (Goroutinen) | Java / Go |"
  echo "| ------------------------------------------ | --------------------: | --------------------: | -------: |"
  echo "| (a) Ping-Pong über Queue/Kanal, ns pro Hin und Zurück | $(stat pingpong-virtual) | $(stat pingpong-goroutine) | $(ratio pingpong-virtual pingpong-goroutine) |"
  echo "| (a) dasselbe mit zwei Java-Plattform-Threads | $(stat pingpong-platform) | – | $(ratio pingpong-platform pingpong-goroutine) |"
  echo "| (b) Fan-out/Fan-in, 100.000 Tasks je 1 ms Schlaf, ms gesamt | $(stat fanout-virtual) | $(stat fanout-goroutine) | $(ratio fanout-virtual fanout-goroutine) |"
  echo "| (c) Speicher je geparktem Task ($(de "$MEM_TASKS")), RSS-Zuwachs | $(kib memory-virtual-rss) | $(kib memory-goroutine-rss) | $(ratio memory-virtual-rss memory-goroutine-rss) |"
  echo "| (c) dasselbe laut Laufzeit (Java: Heap; Go: Stacks + Heap) | $(kib memory-virtual-runtime) | $(kib memory-goroutine-runtime) | $(ratio memory-virtual-runtime memory-goroutine-runtime) |"
  echo "| (c) Java-Plattform-Threads ($(de "$MEM_PLATFORM_TASKS")), RSS-Zuwachs je Thread | $(kib memory-platform-rss) | – | – |"
  echo "| (d) Event-Loop: 1 Eigentümer, 1.000 Anfragende × 100, ns pro Anfrage | $(stat eventloop-virtual) | $(stat eventloop-goroutine) | $(ratio eventloop-virtual eventloop-goroutine) |"
  echo
  echo ": Java gegen Go, gemessen mit \`make paper-bench\` am $measured. Median über $REPS Runden nach einer Aufwärmrunde (Speicher: $MEM_RUNS Prozesse), in Klammern Minimum–Maximum. Maschine: $(nproc) CPUs ($cpu), Load Average vorher $load_before, nachher $load_after. $java_v (übersetzt mit \`--release 21\`); $go_v (Debian \`golang-go\`, GOMAXPROCS = $(nproc)). Java / Go unter 1 heißt: Java brauchte weniger Zeit bzw. Speicher."
} > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
say "wrote $OUT (raw RESULT lines: $RAW)"
cat "$OUT"
