#!/usr/bin/env bash
# Overload and hostile clients (issue 17): raftkv beside etcd under far more connections than
# `make bench-compare` uses, then clients that misbehave on purpose.
#
# Both clusters are started as scripts/bench-compare.sh starts them (scripts/bench/cluster-lib.sh:
# 3 etcd members, default flags; 3 raftkv nodes by scripts/local-cluster.sh at -Xmx256m, here with
# -XX:+ExitOnOutOfMemoryError too, so that a node out of memory dies instead of lingering), fresh
# data under run/overload/, etcd on 127.0.0.1:24791-24793 (peers 24801-24803), raftkv on
# 127.0.0.1:9301-9303. Then:
#   1. The load generator (LOADGEN) at each of CONNS connections, writes then reads, to the leader
#      then through a follower, etcd then raftkv (taking turns, as bench-compare does), DURATION s
#      each, sending kv.lua's requests and counting the answers by status. LOADGEN=java (default):
#      raftkv.server.bench.ConnLoad from the node jar, a virtual thread and a socket per connection,
#      which keeps the latency of the 2xx answers apart; LOADGEN=wrk: wrk, 2 threads, with
#      scripts/bench/overload.lua, whose percentiles are over every answer.
#      Meanwhile every member is watched once a second (scripts/bench/node-watch.sh): status
#      latency, term and leader, RSS; the watch goes on AFTER s after the load. A cluster that is
#      not healthy after a run (a member exited, does not answer, no leader) is restarted fresh,
#      its logs kept under run/overload/logs/, and the row says so.
#   2. The hostile clients of raftkv.server.bench.HostileClients, each against a fresh raftkv
#      (etcd is stopped first): 48 chunked 30 MiB PUTs, 500 slow connections, a registration flood
#      beside 10 clients writing with sessions.
# One markdown table, a row per run, printed and written to run/overload/results.md. Everything
# started here is stopped on exit, failure or Ctrl-C, by pid. All traffic stays on 127.0.0.1.
#
# Environment (defaults in brackets):
#   DURATION [20]   seconds of load per run         CONNS ["1000 3000 10000"]  connection counts ("" for no load runs)
#   LOADGEN [java]  java (raftkv.server.bench.ConnLoad: p50/p99 of the 2xx answers) or wrk (p50/p99 of every answer)
#   OPS ["put get"] SYSTEMS ["etcd raftkv"]          TARGETS ["leader follower"]
#   AFTER [5]       seconds watched after each load TIMEOUT [10]  per-request timeout, seconds
#   COOLDOWN [30]   seconds to wait at most before a run for the 1-minute load average to fall
#                   to cores/2 (the previous run raises it)
#   KEYS [1000], VALUE_SIZE [16]                     as in bench-compare
#   HOSTILE ["chunked slow sessions"]  hostile clients to run ("" for none)
#   UPLOADS [48], UPLOAD_MIB [30]      chunked uploads and their size
#   SLOW [500], SLOW_HOLD [60]         slow connections, and the most seconds one is held
#   FLOOD [100000], FLOOD_CONC [32], FLOOD_CLIENTS [10], FLOOD_PAUSE_MS [5000]   the session flood
#   NO_INSTALL=1    do not apt-get install etcd-server/etcd-client/wrk/jq when missing
# See docs/benchmarks.md, section "make overload".
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-20}
LOADGEN=${LOADGEN:-java}
CONNS=${CONNS-1000 3000 10000}
OPS=${OPS:-put get}
SYSTEMS=${SYSTEMS:-etcd raftkv}
TARGETS=${TARGETS:-leader follower}
AFTER=${AFTER:-5}
TIMEOUT=${TIMEOUT:-10}
COOLDOWN=${COOLDOWN:-30}
KEYS=${KEYS:-1000}
VALUE_SIZE=${VALUE_SIZE:-16}
HOSTILE=${HOSTILE-chunked slow sessions}
UPLOADS=${UPLOADS:-48}
UPLOAD_MIB=${UPLOAD_MIB:-30}
SLOW=${SLOW:-500}
SLOW_HOLD=${SLOW_HOLD:-60}
FLOOD=${FLOOD:-100000}
FLOOD_CONC=${FLOOD_CONC:-32}
FLOOD_CLIENTS=${FLOOD_CLIENTS:-10}
FLOOD_PAUSE_MS=${FLOOD_PAUSE_MS:-5000}
THREADS=2 # the issue's figures are with wrk -t 2
CONNLOAD_JAVA_OPTS="-Xmx512m" # 10,000 virtual threads with a 4 KiB buffer each fit easily
ETCD_CLIENT_BASE=24790
ETCD_PEER_BASE=24800
RAFTKV_BASE=9300
OUT=run/overload
BENCH=overload
RAFTKV_JAVA_TOOL_OPTIONS="-XX:+ExitOnOutOfMemoryError ${NODE_JAVA_OPTS:-}" # NODE_JAVA_OPTS: more JVM options (e.g. JFR)
LUA=scripts/bench/overload.lua
# shellcheck source=bench/cluster-lib.sh
. scripts/bench/cluster-lib.sh
# shellcheck source=bench/node-watch.sh
. scripts/bench/node-watch.sh

case $LOADGEN in java | wrk) ;; *) die "LOADGEN must be java or wrk (got '$LOADGEN')" ;; esac
cluster_prerequisites
# Each connection is a file descriptor in the load generator and in the node it goes to, which
# inherit this limit.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
max_conns=$(tr ' ' '\n' <<<"$CONNS" | sort -n | tail -1)
[ "$NOFILE" = unlimited ] || [ "${max_conns:-0}" -lt $((NOFILE - 200)) ] ||
  say "warning: ulimit -n is $NOFILE, too few for ${max_conns} connections: expect connect errors in $LOADGEN or the nodes"
cluster_fresh_dirs
rm -rf "$OUT/runs" "$OUT/logs" "$OUT/results.md"
mkdir -p "$OUT/runs" "$OUT/logs"
CORES=$(nproc)
ROWS=$OUT/runs/rows.md
: >"$ROWS"
WATCH_PID=""

# ---- helpers --------------------------------------------------------------------------------------

# The value of name=value word $1 in line $2.
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }

ms() { awk -v u="$1" 'BEGIN {if (u == "") print "-"; else if (u >= 100000) printf "%.0f ms", u / 1000; else printf "%.1f ms", u / 1000}'; }

# Waits (at most COOLDOWN s) for the 1-minute load average to fall to cores/2; prints it, with a
# warning sign if it did not.
settle_load() {
  local waited=0 load
  while :; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    awk -v l="$load" -v c="$CORES" 'BEGIN {exit !(l > c / 2)}' || { echo "$load"; return; }
    [ "$waited" -lt "$COOLDOWN" ] || { echo "$load ⚠"; return; }
    sleep 2; waited=$((waited + 2))
  done
}

# Restarts system $1 with fresh data, keeping the old logs under logs/$2.
restart_fresh() {
  local sys=$1 tag=$2
  if [ "$sys" = etcd ]; then stop_etcd; else stop_raftkv; fi
  mkdir -p "$OUT/logs/$tag"
  cp "$OUT/$sys"/*.log "$OUT/logs/$tag/" 2>/dev/null || true
  rm -rf "${OUT:?}/$sys"
  if [ "$sys" = etcd ]; then start_etcd; else start_raftkv; fi
}

oom_lines() {
  if [ "$1" = raftkv ]; then cat "$OUT"/raftkv/n?.log 2>/dev/null | grep -c 'java\.lang\.OutOfMemoryError' || true; else echo 0; fi
}

# The cells a run's watch gives: elections, leaders, /status per member, peak RSS per member.
watch_cells() {
  local s; s=$(summarize_watch "$1")
  local bad; bad=$(field status_bad "$s")
  local status; status=$(field status_ms "$s" | sed 's#/# / #g')
  [ "$bad" = 0/0/0 ] || status+=" ✗ $bad"
  echo "$(field elections "$s") ($(field leaders "$s")) | $status | $(field rss_mib "$s" | sed 's#/# / #g')"
}

# After a run: sets AFTER_NOTES to what is wrong with system $1 (restarting it fresh, prefilled
# unless $4 is "noprefill", if anything is) and to the OutOfMemoryErrors its logs gained since $2.
# Not run in $(...): a restart must update the pids this shell stops on exit.
after_run() {
  local sys=$1 ooms_before=$2 tag=$3 wrong ooms
  AFTER_NOTES=""
  ooms=$(( $(oom_lines "$sys") - ooms_before ))
  [ "$ooms" -le 0 ] || AFTER_NOTES+="OutOfMemoryError in the logs ($ooms lines); "
  wrong=$(unhealthy "$sys")
  if [ -n "$wrong" ]; then
    AFTER_NOTES+="after the run: $wrong; restarted fresh (logs in $OUT/logs/$tag/)"
    say "$sys after $tag: $wrong: restarting it with fresh data"
    restart_fresh "$sys" "$tag"
    [ "${4:-}" = noprefill ] || prefill "$sys"
  fi
  AFTER_NOTES=${AFTER_NOTES%; }
}

# ---- 1. load runs ---------------------------------------------------------------------------------

# Runs LOADGEN against URL $1 (system $2, op $3, $4 connections), its output to $5.txt (and
# ConnLoad's JSON to $5.json); sets LOAD_RC. Not run in $(...): cleanup must see WRK_PID.
load_generator() {
  local url=$1 sys=$2 op=$3 conns=$4 out=$5
  if [ "$LOADGEN" = wrk ]; then
    wrk -t "$THREADS" -c "$conns" -d "${DURATION}s" --timeout "${TIMEOUT}s" -s "$LUA" "$url" -- "$sys" "$op" "$KEYS" "$VALUE_SIZE" \
      >"$out.txt" 2>&1 &
  else
    # ConnLoad bounds itself (DURATION + TIMEOUT + 10 s); timeout(1) is the backstop.
    # shellcheck disable=SC2086 # CONNLOAD_JAVA_OPTS is a list of options
    timeout $((DURATION + TIMEOUT + 30)) "$JAVA_HOME/bin/java" $CONNLOAD_JAVA_OPTS -cp "$NODE_JAR" raftkv.server.bench.ConnLoad \
      --url "$url" --connections "$conns" --duration "$DURATION" --op "$op" --system "$sys" --keys "$KEYS" \
      --value-size "$VALUE_SIZE" --timeout "$TIMEOUT" >"$out.json" 2>"$out.txt" &
  fi
  LOAD_RC=0; WRK_PID=$!; wait "$WRK_PID" || LOAD_RC=$?; WRK_PID=""
}

# The line "OVERLOAD name=value ..." of run $1 (overload.lua's format; nothing if the run failed).
# For LOADGEN=java it is made from ConnLoad's JSON with jq, p50/p99 being those of the 2xx answers
# ("" when there were none), plus ConnLoad's own counts (open, malformed).
overload_line() {
  local out=$1
  if [ "$LOADGEN" = wrk ]; then
    grep '^OVERLOAD ' "$out.txt" || true
  else
    jq -r 'def us(h): if h.count > 0 then (h.p50 * 1000 | round | tostring) + " " + (h.p99 * 1000 | round | tostring) else " " end;
      (us(.latency_ms."2xx") | split(" ")) as $p
      | "OVERLOAD requests=\(.answers) duration_us=\(.duration_s * 1000000) p50=\($p[0]) p99=\($p[1]) ok=\(.ok)"
        + " s429=\(.s429) s429_ra=\(.s429_retry_after) s429_def=\(.s429_definite) s503=\(.s503)"
        + " s503_ra=\(.s503_retry_after) s503_def=\(.s503_definite) other=\(.other) connect=\(.connect) read=\(.read)"
        + " write=\(.write) timeout=\(.timeout) malformed=\(.malformed) open=\(.open_at_start)"
        + " statuses=\(.statuses | to_entries | map("\(.key):\(.value)") | join(",") | if . == "" then "-" else . end)"' \
      "$out.json" 2>/dev/null || true
  fi
}

# One load run against system $1, op $2, $3 connections, target $4 (leader or follower).
load_run() {
  local sys=$1 op=$2 conns=$3 target=$4 leader node url line load ooms notes
  local tag="$sys-$op-c$conns-$target"
  load=$(settle_load)
  leader=$(wait_leader "$sys")
  if [ "$target" = leader ]; then node=$leader; else node=$((leader % 3 + 1)); fi
  url=$(url_of "$sys" "$node")
  ooms=$(oom_lines "$sys")
  watch_start "$sys" "$OUT/runs/$tag.watch" $((DURATION + AFTER + 10))
  load_generator "$url" "$sys" "$op" "$conns" "$OUT/runs/$tag"
  sleep "$AFTER" # still watched: does every member answer after the load?
  watch_stop "$OUT/runs/$tag.watch"
  line=$(overload_line "$OUT/runs/$tag")
  after_run "$sys" "$ooms" "$tag"; notes=$AFTER_NOTES
  [ -n "$line" ] || notes="$LOADGEN failed (exit $LOAD_RC; see $OUT/runs/$tag.txt)${notes:+; $notes}"
  local open malformed
  open=$(field open "$line"); malformed=$(field malformed "$line")
  [ -z "$open" ] || [ "$open" -ge "$conns" ] || notes="only $open of $conns connections open when measuring began${notes:+; $notes}"
  [ "${malformed:-0}" = 0 ] || notes="$malformed answers not HTTP/1.1 (counted as read errors)${notes:+; $notes}"
  local secs ok per_s s429 s503 other sock
  secs=$(awk -v d="$(field duration_us "$line")" 'BEGIN {print (d > 0 ? d / 1e6 : 1)}')
  ok=$(field ok "$line"); per_s=$(awk -v o="${ok:-0}" -v s="$secs" 'BEGIN {printf "%.0f", o / s}')
  s429="$(field s429 "$line") ($(field s429_ra "$line") / $(field s429_def "$line"))"
  s503="$(field s503 "$line") ($(field s503_ra "$line") / $(field s503_def "$line"))"
  # The other non-2xx answers, with their statuses: "336 (502:336)".
  other=$(field other "$line")
  [ "${other:-0}" = 0 ] || other+=" ($(tr ',' '\n' <<<"$(field statuses "$line")" | grep -Ev '^(2[0-9][0-9]|429|503):' | paste -sd ' '))"
  local reads; reads=$(field read "$line"); [ "${malformed:-0}" = 0 ] || reads=$((reads + malformed))
  sock="$(field connect "$line") / $reads / $(field write "$line") / $(field timeout "$line")"
  local p50 p99 star=""
  p50=$(ms "$(field p50 "$line")"); p99=$(ms "$(field p99 "$line")")
  # wrk's percentiles are over every answer: flag rows where they are not the 2xx latencies.
  if [ "$LOADGEN" = wrk ] && awk -v r="$(field requests "$line")" -v o="${ok:-0}" 'BEGIN {exit !(r > 0 && (r - o) / r > 0.01)}'; then
    star="*"
  fi
  echo "| $sys | $([ "$op" = put ] && echo write || echo read) c=$conns | $target | $per_s | $s429 | $s503 | ${other:--} | $sock | $p50$star | $p99$star | $(watch_cells "$OUT/runs/$tag.watch") | $load | ${notes:-} |" >>"$ROWS"
  say "$(printf '%-6s %-3s c=%-5s %-8s %6s 2xx/s; 429 %s, 503 %s, other %s; socket errors %s; statuses %s' \
    "$sys" "$op" "$conns" "$target" "$per_s" "$s429" "$s503" "${other:--}" "$sock" "$(field statuses "$line")")"
}

if [ -n "$CONNS" ] && [ -n "$SYSTEMS" ]; then
  for sys in $SYSTEMS; do if [ "$sys" = etcd ]; then start_etcd; else start_raftkv; fi; done
  say "prefilling $KEYS keys of $VALUE_SIZE bytes"
  for sys in $SYSTEMS; do prefill "$sys"; done
  for op in $OPS; do
    for conns in $CONNS; do
      for target in $TARGETS; do
        for sys in $SYSTEMS; do load_run "$sys" "$op" "$conns" "$target"; done
      done
    done
  done
fi

# ---- 2. hostile clients (raftkv only) -------------------------------------------------------------

# One HostileClients test ($1) against a fresh raftkv, watched like a load run.
hostile_run() {
  local what=$1 tag="hostile-$1" leader lurl nodes label load ooms pids before after note notes rc=0 bound
  stop_etcd
  restart_fresh raftkv "before-$tag"
  load=$(settle_load)
  leader=$(wait_leader raftkv); lurl=$(raftkv_url "$leader")
  nodes="$(raftkv_url 1),$(raftkv_url 2),$(raftkv_url 3)"
  local args=()
  case $what in
    chunked) label="$UPLOADS chunked $UPLOAD_MIB MiB PUTs"; bound=200
      args=(chunked --target "$lurl" --uploads "$UPLOADS" --body-mib "$UPLOAD_MIB") ;;
    slow) label="$SLOW slow connections"; bound=$((SLOW_HOLD + 60))
      args=(slow --target "$lurl" --nodes "$nodes" --connections "$SLOW" --hold-s "$SLOW_HOLD") ;;
    sessions) label="$FLOOD POST /sessions + $FLOOD_CLIENTS session clients"; bound=1200
      args=(sessions --target "$lurl" --registrations "$FLOOD" --concurrency "$FLOOD_CONC" --clients "$FLOOD_CLIENTS"
        --pause-ms "$FLOOD_PAUSE_MS" --max-s 900) ;;
    *) die "unknown hostile client '$what' (chunked, slow, sessions)" ;;
  esac
  read -ra pids <<<"$(pids_of raftkv)"
  before=$(rss_mib "${pids[$((leader - 1))]}")
  ooms=$(oom_lines raftkv)
  say "hostile: $label against leader n$leader"
  watch_start raftkv "$OUT/runs/$tag.watch" $((bound + AFTER + 10))
  # Its own bound is in its options; timeout(1) is the backstop.
  timeout "$bound" "$JAVA_HOME/bin/java" -Xmx512m -cp "$NODE_JAR" raftkv.server.bench.HostileClients "${args[@]}" \
    >"$OUT/runs/$tag.txt" 2>&1 &
  BG_PIDS+=($!); wait $! || rc=$?
  sleep "$AFTER"
  watch_stop "$OUT/runs/$tag.watch"
  after=$(rss_mib "${pids[$((leader - 1))]}" 2>/dev/null || echo "-")
  note=$(sed -n 's/^NOTE: //p' "$OUT/runs/$tag.txt" | tr '|' '/')
  [ -n "$note" ] || note="no result (exit $rc; see $OUT/runs/$tag.txt)"
  after_run raftkv "$ooms" "$tag" noprefill; notes=$AFTER_NOTES
  grep -v '^NOTE: ' "$OUT/runs/$tag.txt" | sed 's/^/  /' >&2 || true
  echo "| raftkv | $label | leader | - | - | - | - | - | - | - | $(watch_cells "$OUT/runs/$tag.watch") | $load | leader n$leader RSS $before → ${after:--} MiB. $note${notes:+. $notes} |" >>"$ROWS"
}

for what in $HOSTILE; do hostile_run "$what"; done

# ---- report ---------------------------------------------------------------------------------------

PERCENTILES="p50 | p99"; [ "$LOADGEN" = wrk ] || PERCENTILES="2xx p50 | 2xx p99"

{
  echo "# make overload ($(date -u '+%Y-%m-%d %H:%M UTC'))"
  echo
  echo "- machine: $CORES CPUs ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM, kernel $(uname -r), ulimit -n $NOFILE"
  echo "- etcd $(etcd --version | awk '/^etcd Version/ {print $3}') (default flags); raftkv $(basename "$NODE_JAR") at -Xmx256m -XX:+ExitOnOutOfMemoryError on $("$JAVA_HOME/bin/java" -version 2>&1 | head -1); 3 members each, fresh data, fsync on"
  if [ "$LOADGEN" = wrk ]; then
    echo "- load: wrk $(wrk -v 2>&1 | awk 'NR == 1 {print $2}'), $THREADS threads, $LUA, ${DURATION} s per run, timeout ${TIMEOUT} s, $KEYS keys, $VALUE_SIZE-byte values; each member watched once a second, also ${AFTER} s after the load"
  else
    echo "- load: raftkv.server.bench.ConnLoad ($CONNLOAD_JAVA_OPTS; a virtual thread and a keep-alive socket per connection, opened at most 500 at a time, measured from when all are open), kv.lua's requests, ${DURATION} s per run, timeout ${TIMEOUT} s, $KEYS keys, $VALUE_SIZE-byte values; each member watched once a second, also ${AFTER} s after the load"
  fi
  echo
  echo "| system | load | to | 2xx/s | 429 (Retry-After / definite) | 503 (Retry-After / definite) | other non-2xx | socket errors connect / read / write / timeout | $PERCENTILES | elections (leaders) | slowest /status per member, ms | peak RSS per member, MiB | load avg before | notes |"
  echo "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | ---: | --- |"
  cat "$ROWS"
  echo
  echo "- 429 and 503: how many, and in brackets how many of them carried a \`Retry-After\` header / said \`\"definite\": true\` (raftkv's error body; etcd's bodies never say it). other non-2xx: with their statuses."
  if [ "$LOADGEN" = wrk ]; then
    echo "- 2xx/s: 2xx answers per second of the run. p50/p99: wrk's, over **every** answer (wrk's hooks cannot tie an answer to its request's time); \`*\` marks rows where over 1 % of answers were not 2xx, so these are not the latencies of the 2xx answers."
  else
    echo "- 2xx/s: 2xx answers per second of the run. 2xx p50/p99: the latency (request sent → whole answer read) of the **2xx answers only**, with ConnLoad's 1 % histogram; the 429/503/other answers' latencies and the p90/max are in $OUT/runs/*.json. Socket errors: read includes answers that were not HTTP/1.1; timeout: no whole answer within ${TIMEOUT} s, the connection closed and opened again."
  fi
  echo "- elections: terms begun while watched (during the load and ${AFTER} s after), then the leader of each term seen. slowest /status: the slowest answer of each member to a status probe on a new connection (raftkv \`GET /status\`, etcd \`POST /v3/maintenance/status\`), once a second; \`✗ a/b/c\`: probes per member not answered 200 within 1 s (curl gives up at 2 s)."
  echo "- peak RSS: the largest VmRSS sampled per member during the run. load avg: the 1-minute load average before the run, after waiting up to ${COOLDOWN} s for it to fall to cores/2 = $(awk -v c="$CORES" 'BEGIN {print c / 2}'); ⚠ marks a run started above that (the previous run's load is part of the average)."
  echo "- hostile rows: raftkv only, each on a fresh cluster with etcd stopped; the notes column is the client's own summary (raftkv.server.bench.HostileClients; full output in $OUT/runs/hostile-*.txt)."
} >"$OUT/results.md"

echo
cat "$OUT/results.md"
echo
echo "(written to $OUT/results.md; raw output of every run in $OUT/runs/)"
