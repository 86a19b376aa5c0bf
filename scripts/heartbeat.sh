#!/usr/bin/env bash
# heartbeat.sh WHAT CMD [ARGS...]: says WHAT, runs CMD, and while it runs prints "WHAT: Ns" every
# 8 s, so a quiet step (mvn -q, a first download) is never mistaken for a hung one. CMD's own output
# and exit status pass through; Ctrl-C ends CMD too.
set -u
what=$1; shift
echo "$what (a heartbeat every 8 s)"
"$@" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid"; exit 130' INT TERM
start=$SECONDS
while kill -0 "$pid" 2>/dev/null; do
  for _ in 1 2 3 4 5 6 7 8; do kill -0 "$pid" 2>/dev/null && sleep 1; done
  kill -0 "$pid" 2>/dev/null && echo "  $what: $((SECONDS - start))s"
done
wait "$pid"; rc=$?
echo "  $what: done in $((SECONDS - start))s"
exit "$rc"
