#!/usr/bin/env bash
# Runs the Jepsen test's unit tests (`lein test` in jepsen-test/): the client's response/exception
# -> :ok/:fail/:info mapping, command-line parsing, the convergence checker, the JSON codec.
# No cluster needed. Called by `make test`.
#
# Jepsen 0.3.13 comes only from the local ~/.m2 (resolution is offline), so when Leiningen or
# Jepsen is missing this prints one SKIP line saying why and exits 0. It decides in a few seconds.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
m2=${M2_REPO:-$HOME/.m2/repository}
skip() { echo "SKIP jepsen-test unit tests: $*"; exit 0; }

command -v lein >/dev/null 2>&1 || skip "lein (Leiningen) is not installed (apt-get install leiningen)"

jepsen_jar="$m2/jepsen/jepsen/0.3.13/jepsen-0.3.13.jar"
[ -f "$jepsen_jar" ] || skip "Jepsen 0.3.13 is not in the local Maven repository ($jepsen_jar missing)"

# Jepsen needs Java 21+. Prefer the Makefile's JAVA_CMD/JAVA_HOME, else find one.
java_major() { "$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}' | cut -d. -f1; }
java_cmd=${JAVA_CMD:-}
if [ -z "$java_cmd" ] && [ -n "${JAVA_HOME:-}" ]; then java_cmd="$JAVA_HOME/bin/java"; fi
if [ -z "$java_cmd" ] || [ ! -x "$java_cmd" ] || [ "$(java_major "$java_cmd")" -lt 21 ] 2>/dev/null; then
  home=$("$root/scripts/find-jdk.sh" || true)
  [ -n "$home" ] || skip "no JDK >= 21 found (Jepsen needs Java 21+)"
  java_cmd="$home/bin/java"
fi
export JAVA_CMD=$java_cmd

cd "$root/jepsen-test"
# Offline: everything must already be in ~/.m2. Fails fast when something is missing.
if ! deps_out=$(lein -o deps 2>&1); then
  skip "lein -o deps cannot resolve the dependencies offline: $(echo "$deps_out" | grep -m1 -iE 'could not|missing|error' || echo "$deps_out" | tail -1)"
fi

echo "jepsen-test: lein test (JAVA_CMD=$JAVA_CMD)"
exec lein -o test
