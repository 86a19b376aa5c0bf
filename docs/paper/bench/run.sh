#!/usr/bin/env bash
# make paper-bench: the Java-vs-Go table of the paper (tbl:bench), Java 21 against Go, measured in a container built from the
# project's own Debian trixie base image (debian:trixie-slim from docker/base-image.sh) with
# trixie's OpenJDK 21 and golang-go (Dockerfile). Steps: refuse at once if the load average is above
# half the CPUs; build the image (cached after the first time); copy JMH's jars from Maven Central
# (java/pom.xml, into docs/paper/build/bench/lib); run measure.sh in the container (about 10 min,
# 14 with JDK25=1); let table.sh decide whether the run is publishable and write the table.
#
# Output: docs/paper/build/bench.md (what the paper includes), bench-raw.txt (every sample and load
# reading), bench-summary.tsv (median and quartiles per cell). An unquiet run writes no table and
# exits 3; NOT_PUBLISHABLE=1 writes docs/paper/build/bench-NOT-PUBLISHABLE.md instead, which the
# paper build does not read.
#
# Environment [default]: FORKS [3] JMH forks and Go processes; WARMUPS [3] warm-up iterations (Go:
# dropped runs); ITERATIONS [5] measured per fork (3 × 5 = 15 samples a cell); ITER_SECONDS [1];
# MEM_RUNS [5] processes per memory cell; MEM_TASKS [100000] parked virtual threads / goroutines;
# MEM_PLATFORM_TASKS [10000] parked platform threads; DEPTH [44] frames for the deep memory rows (README);
# JDK25 [0] 1 adds a Java 25 column; QUIET_SECONDS [10]; FORMAT_ONLY=1 rebuilds the table from the
# last bench-raw.txt; NOT_PUBLISHABLE=1 (see above); BASE_IMAGE [debian:trixie-slim].
set -euo pipefail
cd "$(dirname "$0")/../../.."
ROOT=$PWD
BUILD=$ROOT/docs/paper/build
RAW=$BUILD/bench-raw.txt
IMAGE=raftkv-paper-bench
BASE_IMAGE=${BASE_IMAGE:-debian:trixie-slim}
say() { echo "paper-bench: $*" >&2; }
die() { say "$*"; exit 1; }
mkdir -p "$BUILD/bench"

if [ "${FORMAT_ONLY:-}" = 1 ]; then
  [ -s "$RAW" ] || die "FORMAT_ONLY=1 but no $RAW"
  say "FORMAT_ONLY=1: table from the existing $RAW, nothing run"
  exec docs/paper/bench/table.sh "$RAW" "$BUILD"
fi

cpus=$(nproc)
load_before=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load_before" -v c="$cpus" 'BEGIN {exit !(l > c / 2)}'; then
  say "NOT PUBLISHABLE: load average $load_before before the run, above half of $cpus CPUs ($(cut -d' ' -f1-3 /proc/loadavg))"
  [ "${NOT_PUBLISHABLE:-}" = 1 ] || die "nothing run. Wait for a quiet machine, or NOT_PUBLISHABLE=1 to try the pipeline."
fi
LOAD_BEFORE_LINE="LOAD_BEFORE $(cut -d' ' -f1-3 /proc/loadavg)"

command -v docker >/dev/null && docker info >/dev/null 2>&1 || die "no Docker engine: docker/dockerd.sh start"
docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 || die "no base image $BASE_IMAGE: make base-image"
say "building the image $IMAGE from $BASE_IMAGE (OpenJDK 21 and 25, golang-go from Debian trixie)"
docker build -q --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$IMAGE" docs/paper/bench >&2

if ! ls "$BUILD/bench/lib"/jmh-core-*.jar >/dev/null 2>&1; then
  command -v mvn >/dev/null || die "no mvn (apt-get install maven) to fetch JMH from Maven Central"
  say "copying JMH's jars from Maven Central into $BUILD/bench/lib"
  mvn -B -ntp -q -f docs/paper/bench/java/pom.xml dependency:copy-dependencies -DoutputDirectory="$BUILD/bench/lib" >&2
fi

NAME=raftkv-paper-bench-$$
trap 'docker rm -f "$NAME" >/dev/null 2>&1 || true' EXIT INT TERM
say "measuring in the container (progress below; about 10 minutes, 14 with JDK25=1)"
{
  echo "MEASURED $(date -u '+%Y-%m-%d %H:%M') UTC"
  echo "$LOAD_BEFORE_LINE"
  docker run --rm --name "$NAME" \
    -v "$ROOT/docs/paper/bench:/src:ro" -v "$BUILD/bench:/work" \
    -e FORKS="${FORKS:-3}" -e WARMUPS="${WARMUPS:-3}" -e ITERATIONS="${ITERATIONS:-5}" -e ITER_SECONDS="${ITER_SECONDS:-1}" \
    -e MEM_RUNS="${MEM_RUNS:-5}" -e MEM_TASKS="${MEM_TASKS:-100000}" -e MEM_PLATFORM_TASKS="${MEM_PLATFORM_TASKS:-10000}" \
    -e DEPTH="${DEPTH:-44}" -e JDK25="${JDK25:-0}" -e QUIET_SECONDS="${QUIET_SECONDS:-10}" \
    "$IMAGE" bash /src/measure.sh
} > "$RAW.tmp"
mv "$RAW.tmp" "$RAW"
docs/paper/bench/table.sh "$RAW" "$BUILD"
