#!/usr/bin/env bash
# Runs inside the paper-bench container (started by run.sh): compiles both halves of the benchmark
# pair with the container's javac 21 and go, samples the machine's load, runs JMH and testing.B and
# the memory processes, and prints the raw lines table.sh reads (RESULT, LOADSAMPLE, VERSION, ...)
# on stdout; progress goes to stderr.
#
# Mounts: /src (docs/paper/bench, read-only), /work (docs/paper/build/bench: JMH jars in lib/,
# compiled classes, Go cache). Environment (set by run.sh): FORKS WARMUPS ITERATIONS SECONDS
# MEM_RUNS MEM_TASKS MEM_PLATFORM_TASKS DEPTH JDK25 QUIET_SECONDS.
set -euo pipefail
say() { echo "measure: $*" >&2; }
JDK21=/usr/lib/jvm/java-21-openjdk-amd64
JDK25_HOME=/usr/lib/jvm/java-25-openjdk-amd64
W=/work

say "compiling (javac 21 + JMH annotation processor, go test -c, go build)"
rm -rf "$W/classes" && mkdir -p "$W/classes" "$W/gocache" "$W/gopath"
jars=$(printf '%s:' "$W"/lib/*.jar)
"$JDK21/bin/javac" --release 21 -proc:full -cp "$jars" -processorpath "$jars" -d "$W/classes" /src/java/paperbench/*.java
export GOCACHE=$W/gocache GOPATH=$W/gopath GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod
(cd /src/go && go vet . && go test -c -o "$W/gobench.test" . && go build -o "$W/gobench" .)
CP="$W/classes:$jars"

echo "VERSION java $("$JDK21/bin/java" -version 2>&1 | head -1)"
echo "VERSION javaruntime $("$JDK21/bin/java" -version 2>&1 | sed -n 2p)"
echo "VERSION go $(go version)"
[ "$JDK25" != 1 ] || echo "VERSION java25 $("$JDK25_HOME/bin/java" -version 2>&1 | head -1)"
echo "SETTINGS forks=$FORKS warmups=$WARMUPS iterations=$ITERATIONS seconds=$ITER_SECONDS mem_runs=$MEM_RUNS mem_tasks=$MEM_TASKS mem_platform_tasks=$MEM_PLATFORM_TASKS depth=$DEPTH"
echo "MACHINE cpus=$(nproc) model=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo | tr ' ' '_')"

# The machine's CPU time (/proc/stat: every process on the host) minus this container's own
# (its cgroup's cpuacct.usage): the CPU others used meanwhile, in cores. Load averages alone cannot
# tell: this benchmark itself keeps both cores busy.
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat; }
own_ns() { cat /sys/fs/cgroup/cpuacct/cpuacct.usage 2>/dev/null || echo 0; }
hz=$(getconf CLK_TCK)
sample() { # ITER_SECONDS -> "load1 foreign_cores own_cores"
  local b0 o0 t0 b1 o1 t1
  b0=$(busy_ticks); o0=$(own_ns); t0=$(date +%s%N)
  sleep "$1"
  b1=$(busy_ticks); o1=$(own_ns); t1=$(date +%s%N)
  awk -v b="$((b1 - b0))" -v o="$((o1 - o0))" -v t="$((t1 - t0))" -v hz="$hz" -v c="$(nproc)" -v l="$(cut -d' ' -f1 /proc/loadavg)" \
    'BEGIN { f = (b / hz - o / 1e9) / (t / 1e9); if (f < 0) f = 0; if (f > c) f = c; printf "%s %.2f %.2f\n", l, f, o / t }'
}
[ -r /sys/fs/cgroup/cpuacct/cpuacct.usage ] || say "WARNING: no cgroup v1 cpuacct.usage: foreign CPU counts this container too"
say "sampling the idle machine for ${QUIET_SECONDS}s"
echo "QUIET $(sample "$QUIET_SECONDS")"
: > "$W/load.txt"   # its own file: JMH's progress lines on stdout would split its lines
( while true; do echo "LOADSAMPLE $(sample 2)" >> "$W/load.txt"; done ) &
SAMPLER=$!
trap 'kill "$SAMPLER" 2>/dev/null || true' EXIT

say "JMH on Java 21: $FORKS forks x ($WARMUPS warm-up + $ITERATIONS measured) x ${ITER_SECONDS}s"
# JMH's progress to stderr, the RESULT lines (printed at the end) to stdout.
jmh() { "$1" -cp "$CP" paperbench.Main "$FORKS" "$WARMUPS" "$ITERATIONS" "$ITER_SECONDS" "$2" | awk '/^RESULT / {print; next} {print > "/dev/stderr"}'; }
jmh "$JDK21/bin/java" ""

# Go: one process per JMH fork; its first WARMUPS lines per benchmark are dropped like JMH's warm-up.
gobench() { # LABEL_SUFFIX CPU REGEX
  local suffix=$1 cpu=$2 regex=$3
  for _ in $(seq "$FORKS"); do
    "$W/gobench.test" -test.run '^$' -test.bench "$regex" -test.cpu "$cpu" -test.count $((WARMUPS + ITERATIONS)) \
        -test.benchtime "${ITER_SECONDS}s" | tee /dev/stderr | awk -v w="$WARMUPS" -v s="$suffix" '
      /^Benchmark/ {
        name = $1; sub(/-[0-9]+$/, "", name); seen[name]++
        if (seen[name] <= w) next
        label = name == "BenchmarkPingPong" ? "pingpong-goroutine" : name == "BenchmarkFanOut" ? "fanout-goroutine" : "eventloop-goroutine"
        for (i = 3; i < NF; i += 2) if ($(i + 1) != "ns/op") printf "RESULT %s%s %s %s\n", label, s, $(i + 1), $i
      }'
  done
}
say "testing.B on Go: $FORKS processes x ($WARMUPS dropped + $ITERATIONS measured) x ${ITER_SECONDS}s"
gobench "" "$(nproc)" '^Benchmark(PingPong|FanOut|EventLoop)$'
gobench "-1p" 1 '^BenchmarkPingPong$'

say "memory: $MEM_RUNS processes per cell ($MEM_TASKS tasks at depth 0 and $DEPTH; $MEM_PLATFORM_TASKS platform threads at $DEPTH)"
for _ in $(seq "$MEM_RUNS"); do
  for d in 0 "$DEPTH"; do
    "$JDK21/bin/java" -cp "$CP" paperbench.ParkedMemory virtual "$MEM_TASKS" "$d"
    "$W/gobench" memory "$MEM_TASKS" "$d"
  done
  "$JDK21/bin/java" -cp "$CP" paperbench.ParkedMemory platform "$MEM_PLATFORM_TASKS" "$DEPTH"
done

if [ "$JDK25" = 1 ]; then
  say "the same Java side on JDK 25"
  jmh "$JDK25_HOME/bin/java" "-jdk25"
  for _ in $(seq "$MEM_RUNS"); do
    for d in 0 "$DEPTH"; do
      "$JDK25_HOME/bin/java" -cp "$CP" paperbench.ParkedMemory virtual "$MEM_TASKS" "$d" | sed 's/^\(RESULT [^ ]*\)/\1-jdk25/'
    done
    "$JDK25_HOME/bin/java" -cp "$CP" paperbench.ParkedMemory platform "$MEM_PLATFORM_TASKS" "$DEPTH" | sed 's/^\(RESULT [^ ]*\)/\1-jdk25/'
  done
fi
kill "$SAMPLER" 2>/dev/null || true
wait "$SAMPLER" 2>/dev/null || true
cat "$W/load.txt"
echo "DONE $(date -u '+%Y-%m-%d %H:%M') UTC"
