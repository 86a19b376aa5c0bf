#!/usr/bin/env bash
# Big state (issue 18): a fresh 3-node cluster on loopback, each node at -Xmx512m, loaded with KEYS
# unique ids of VALUE_SIZE-byte names at 32 connections (wrk, scripts/bench/bigstate.lua, to the
# leader), with one follower killed (SIGKILL, by pid) once STOP_AT% of the keys are in and
# restarted on its data once RESTART_AT% are, while the load goes on. Then it prints, and writes
# to run/bench-bigstate/results.md, one markdown table:
#   writes/s; elections during the load (every node's /status term, polled every second); snapshot
#   durations p50/max (each node's log, "took Snapshot[..] in N ms"); the event loop's longest
#   turn (raftkv_event_loop_turn_seconds_max, polled every 5 s) and longest GC pause; RSS (VmRSS)
#   and peak RSS (VmHWM) per node; heap after a forced full GC (jcmd PID GC.run, then
#   jvm_memory_used_bytes{area="heap"} from /metrics, at the very end); data-dir size; the time of a
#   whole GET /kv walk (paginated when the node supports ?limit=&after=); the restarted follower's
#   catch-up time and the snapshot bytes sent to it; whether the three maps (/debug/kv) are
#   identical; and a last PUT / GET / DELETE, to show what a full cluster still serves.
#
# Catch-up: from the restart (process start) until a poll finds the follower's lastApplied >= the
# leader's commitIndex of the poll before, one second earlier: the follower holds everything the
# leader had committed a second ago (under load a follower always trails by the few milliseconds a
# commit takes to reach it, so "equal to the leader's" would measure the polling, not the catch-up).
#
# Environment (defaults in brackets):
#   KEYS [400000]        unique ids to write    VALUE_SIZE [200]   bytes per name
#   BYTES []             instead of KEYS: name bytes to write (KEYS = BYTES / VALUE_SIZE)
#   CONNS [32]           wrk connections        THREADS [2]        wrk threads
#   STOP_AT [30]         % of KEYS in when a follower is killed
#   RESTART_AT [60]      % of KEYS in when it is restarted
#   NODE_JAVA_OPTS [-Xmx512m]  JVM options of the nodes (-XX:+ExitOnOutOfMemoryError is always added)
#   NODE_OPTS []         extra node options, e.g. "--snapshot-entries 2000" or "--max-state-bytes 50000000"
#   BASE_PORT [9500]     nodes on 127.0.0.1:BASE_PORT+1..3, their peer ports BASE_PORT+11..13
#   LOAD_LIMIT [1800]    seconds the load may take at most     CATCHUP_LIMIT [300] seconds after the restart
#   PAGE [10000]         ids per page of the GET /kv and /debug/kv walks
#   KEEP_DATA=1          keep the nodes' data directories      NO_INSTALL=1  do not apt-get install wrk/jq
# Test it small (KEYS=20000); the full runs of the issue: KEYS=400000 VALUE_SIZE=200 and
# KEYS=1000000 VALUE_SIZE=100 on a quiet machine. Every process started here is stopped by pid on exit.
set -uo pipefail
cd "$(dirname "$0")/.."

BYTES=${BYTES:-}
VALUE_SIZE=${VALUE_SIZE:-200}
KEYS=${KEYS:-400000}
[ -n "$BYTES" ] && KEYS=$((BYTES / VALUE_SIZE))
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
STOP_AT=${STOP_AT:-30}
RESTART_AT=${RESTART_AT:-60}
NODE_JAVA_OPTS=${NODE_JAVA_OPTS--Xmx512m}
NODE_OPTS=${NODE_OPTS:-}
BASE_PORT=${BASE_PORT:-9500}
LOAD_LIMIT=${LOAD_LIMIT:-1800}
CATCHUP_LIMIT=${CATCHUP_LIMIT:-300}
PAGE=${PAGE:-10000}
OUT=run/bench-bigstate
LUA=scripts/bench/bigstate.lua
NODE_JAR=${NODE_JAR:-java-node/server/target/raftkv-node.jar}
JAVA_HOME=${JAVA_HOME:-$(scripts/find-jdk.sh)}
JAVA="$JAVA_HOME/bin/java"
JCMD="$JAVA_HOME/bin/jcmd"
NODES=(n1 n2 n3)

die() { echo "bench-bigstate: $*" >&2; exit 1; }
say() { echo "bench-bigstate: $*" >&2; }

# ---- prerequisites --------------------------------------------------------------------------------

[ -x "$JAVA" ] || die "no JDK >= 21 found (set JAVA_HOME)"
[ -f "$NODE_JAR" ] || die "no $NODE_JAR: run 'make build' first"
[ "$KEYS" -ge "$THREADS" ] || die "KEYS ($KEYS) must be at least THREADS ($THREADS)"
for c in curl ss sha256sum du awk; do command -v "$c" >/dev/null || die "'$c' is missing"; done
need_pkgs=()
command -v wrk >/dev/null || need_pkgs+=(wrk)
command -v jq >/dev/null || need_pkgs+=(jq)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  [ "${NO_INSTALL:-}" != 1 ] || die "missing ${need_pkgs[*]} and NO_INSTALL=1: apt-get install ${need_pkgs[*]}"
  command -v apt-get >/dev/null || die "missing ${need_pkgs[*]} and no apt-get to install them with"
  sudo=""; [ "$(id -u)" = 0 ] || { command -v sudo >/dev/null && sudo="sudo -n"; }
  say "installing ${need_pkgs[*]} with apt-get"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_pkgs[@]}" >&2 \
    || { $sudo apt-get update -q >&2 && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_pkgs[@]}" >&2; } \
    || die "could not install ${need_pkgs[*]}: apt-get install ${need_pkgs[*]}"
fi
for p in $((BASE_PORT + 1)) $((BASE_PORT + 2)) $((BASE_PORT + 3)) $((BASE_PORT + 11)) $((BASE_PORT + 12)) $((BASE_PORT + 13)); do
  ss -Hltn "sport = :$p" | grep -q . && die "port $p is already in use (set BASE_PORT)"
done

# ---- processes ------------------------------------------------------------------------------------

declare -A PID
WRK_PID=""

cleanup() {
  local rc=$? n pid
  trap - EXIT INT TERM
  set +e
  if [ -n "$WRK_PID" ]; then kill "$WRK_PID" 2>/dev/null; wait "$WRK_PID" 2>/dev/null; fi
  for n in "${NODES[@]}"; do [ -n "${PID[$n]:-}" ] && kill "${PID[$n]}" 2>/dev/null; done
  for n in "${NODES[@]}"; do
    pid=${PID[$n]:-}; [ -n "$pid" ] || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  rm -f "$OUT/pids"
  [ "${KEEP_DATA:-}" = 1 ] || rm -rf "$OUT/data"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$OUT"
# Leftovers of a run killed with SIGKILL: stop them by the pids it recorded, if they are still ours.
if [ -f "$OUT/pids" ]; then
  while read -r pid; do
    grep -qa -- "$OUT/data" "/proc/$pid/cmdline" 2>/dev/null && kill "$pid" 2>/dev/null
  done <"$OUT/pids"
  sleep 1
fi
rm -rf "$OUT/data" "$OUT/logs" "$OUT/results.md" "$OUT/pids" "$OUT"/wrk.*
mkdir -p "$OUT/data" "$OUT/logs"

port() { echo $((BASE_PORT + ${1#n})); }
url() { echo "http://127.0.0.1:$(port "$1")"; }
peer_port() { echo $((BASE_PORT + 10 + ${1#n})); }
peers() { local n l=""; for n in "${NODES[@]}"; do l+="${l:+,}$n=$(url "$n")"; done; echo "$l"; }
peer_urls() { local n l=""; for n in "${NODES[@]}"; do l+="${l:+,}$n=http://127.0.0.1:$(peer_port "$n")"; done; echo "$l"; }

# start_node NODE LOGNAME
start_node() {
  # shellcheck disable=SC2086 # option lists
  "$JAVA" -XX:+ExitOnOutOfMemoryError $NODE_JAVA_OPTS -jar "$NODE_JAR" --id "$1" --listen "127.0.0.1:$(port "$1")" \
    --peers "$(peers)" --listen-peers "127.0.0.1:$(peer_port "$1")" --peer-urls "$(peer_urls)" --data-dir "$OUT/data/$1" $NODE_OPTS >"$OUT/logs/$2.log" 2>&1 &
  PID[$1]=$!
  echo "$!" >>"$OUT/pids"
}

alive() { [ -n "${PID[$1]:-}" ] && kill -0 "${PID[$1]}" 2>/dev/null; }
status() { curl -s -m 1 "$(url "$1")/status"; }
# samples NODE NAME [LABEL]: the values of the series of NAME (with LABEL, e.g. area="heap") in /metrics
samples() {
  curl -s -m 2 "$(url "$1")/metrics" | awk -v name="$2" -v label="${3:-}" '
    index($0, name) == 1 && substr($0, length(name) + 1, 1) ~ /[{ ]/ && index($0, label) { print $NF }'
}
metric() { samples "$@" | awk '$1 + 0 > max { max = $1 + 0 } END { printf "%.6f\n", max + 0 }'; }
metric_sum() { samples "$@" | awk '{ sum += $1 } END { printf "%.0f\n", sum + 0 }'; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 > b + 0) ? a : b }'; }
ms() { awk -v us="$1" 'BEGIN { printf "%.1f", us / 1000 }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1048576 }'; }

loadavg_before=$(cut -d' ' -f1-3 /proc/loadavg)
for n in "${NODES[@]}"; do mkdir -p "$OUT/data/$n"; start_node "$n" "$n"; done
leader=""
for _ in $(seq 600); do
  leader=$(status n1 | jq -r '.leader // empty' 2>/dev/null)
  [ -n "$leader" ] && break
  sleep 0.2
done
[ -n "$leader" ] || die "no leader within 120 s; see $OUT/logs/"
quota=$(status "$leader" | jq -r '.stateQuotaBytes // "n/a"')
say "3 nodes (JVM: -XX:+ExitOnOutOfMemoryError $NODE_JAVA_OPTS; node options: '${NODE_OPTS}'), leader $leader, state quota $quota bytes"

# Whole-map reads: paginated when the node answers ?limit= with {"kv":..,"next":..} (the map is empty now).
paged_kv=$(curl -s -m 5 "$(url "$leader")/kv?limit=1" | jq -r 'if type == "object" and has("next") then "yes" else "no" end' 2>/dev/null)
paged_debug=$(curl -s -m 5 "$(url "$leader")/debug/kv?limit=1" | jq -r 'if type == "object" and has("next") then "yes" else "no" end' 2>/dev/null)

# ---- the load -------------------------------------------------------------------------------------

term_start=$(status "$leader" | jq -r .term)
say "loading $KEYS ids of $VALUE_SIZE-byte names at $CONNS connections into $leader; a follower is killed at ${STOP_AT}% and restarted at ${RESTART_AT}%"
load_start=$(now)
wrk -t "$THREADS" -c "$CONNS" -d "${LOAD_LIMIT}s" --timeout 10s -s "$LUA" "$(url "$leader")" \
  -- "$KEYS" "$VALUE_SIZE" "$OUT/wrk.done." "$THREADS" >"$OUT/wrk.txt" 2>&1 &
WRK_PID=$!

term_max=$term_start; leaders_seen=" $leader "; stopped=""; stop_keys=""; restart_at=""; restart_keys=""
caught_up=""; caught_up_during_load=""; loop_max=(0 0 0); gc_max=(0 0 0); sent_before=0; follower_du_before=0
commit_now=0; commit_before=0; sent_before=0; chunks_before=0; sent_after=0; chunks_after=0; load_end=""; tick=0; keys_now=0; died=""; keys_last=0; grew_at=$(now)

# One poll: every node's /status; the triggers; the catch-up check. Runs every second.
poll() {
  local n s term keys role ldr applied
  keys_now=0
  for n in "${NODES[@]}"; do
    s=$(status "$n") || continue
    [ -n "$s" ] || continue
    read -r term keys role ldr < <(echo "$s" | jq -r '"\(.term) \(.keys // 0) \(.role) \(.leader // "-")"')
    term_max=$(max "$term_max" "$term")
    [ "${keys:-0}" -gt "$keys_now" ] && keys_now=$keys
    if [ "$role" = leader ]; then
      leader=$n
      commit_now=$(echo "$s" | jq -r .commitIndex)
      case "$leaders_seen" in *" $n "*) ;; *) leaders_seen+="$n " ;; esac
    fi
  done
  if [ "$keys_now" -gt "$keys_last" ]; then keys_last=$keys_now; grew_at=$(now); fi
  if [ -z "$stopped" ] && [ "$keys_now" -ge $((KEYS * STOP_AT / 100)) ]; then
    for n in "${NODES[@]}"; do [ "$n" != "$leader" ] && { stopped=$n; break; }; done
    kill -9 "${PID[$stopped]}"; wait "${PID[$stopped]}" 2>/dev/null
    stop_keys=$keys_now
    say "t=$(since "$load_start")s: killed follower $stopped (pid ${PID[$stopped]}) at $keys_now keys"
    PID[$stopped]=""
  fi
  if [ -n "$stopped" ] && [ -z "$restart_at" ] && [ "$keys_now" -ge $((KEYS * RESTART_AT / 100)) ]; then
    restart
  fi
  if [ -n "$restart_at" ] && [ -z "$caught_up" ] && [ "$commit_before" -gt 0 ]; then
    applied=$(status "$stopped" | jq -r '.lastApplied // 0' 2>/dev/null)
    if [ "${applied:-0}" -ge "$commit_before" ]; then
      caught_up=$(since "$restart_at")
      read -r sent_after chunks_after < <(snapshot_sent)
      [ -z "$load_end" ] && caught_up_during_load=yes || caught_up_during_load=no
      say "t=$(since "$load_start")s: $stopped caught up in ${caught_up}s (lastApplied $applied >= the leader's commit a second ago, $commit_before; now $commit_now)"
    fi
  fi
  commit_before=$commit_now
  tick=$((tick + 1))
  if [ $((tick % 5)) -eq 0 ]; then sample_pauses; fi
  for n in "${NODES[@]}"; do
    if [ -n "${PID[$n]}" ] && ! alive "$n"; then died+="$n "; say "$n DIED: see $OUT/logs/"; PID[$n]=""; fi
  done
}

restart() {
  read -r sent_before chunks_before < <(snapshot_sent)
  follower_du_before=$(du -sb "$OUT/data/$stopped" | cut -f1)
  restart_keys=$keys_now
  restart_at=$(now)
  start_node "$stopped" "$stopped.restarted"
  say "t=$(since "$load_start")s: restarted $stopped (pid ${PID[$stopped]}) at $keys_now keys"
}

# Snapshot bytes and InstallSnapshot messages the other nodes have sent to the stopped follower so far.
snapshot_sent() {
  local n bytes=0 chunks=0
  for n in "${NODES[@]}"; do
    [ "$n" = "$stopped" ] && continue
    bytes=$((bytes + $(metric_sum "$n" raftkv_snapshot_sent_bytes_total "peer=\"$stopped\"")))
    chunks=$((chunks + $(metric_sum "$n" raftkv_messages_sent_total 'type="install_snapshot"')))
  done
  echo "$bytes $chunks"
}

sample_pauses() {
  local i n
  for i in 0 1 2; do
    n=${NODES[$i]}
    alive "$n" || continue
    loop_max[$i]=$(max "${loop_max[$i]}" "$(metric "$n" raftkv_event_loop_turn_seconds_max)")
    gc_max[$i]=$(max "${gc_max[$i]}" "$(metric "$n" jvm_gc_pause_seconds_max)")
  done
}

# The load ends when every wrk thread has its answers; or when the map has not grown for STALL
# seconds (a write that wrk lost, e.g. to a broken connection, is never answered); or at LOAD_LIMIT.
STALL=20
ended_by=""
while :; do
  poll
  done_threads=$(find "$OUT" -maxdepth 1 -name 'wrk.done.*' | wc -l)
  if [ "$done_threads" -ge "$THREADS" ]; then grew_at=$(now); ended_by="every write answered"; break; fi
  kill -0 "$WRK_PID" 2>/dev/null || { ended_by="wrk exited"; break; }
  if awk -v t="$(since "$grew_at")" -v l="$STALL" 'BEGIN { exit !(t >= l) }'; then ended_by="no new key for ${STALL} s"; break; fi
  if awk -v t="$(since "$load_start")" -v l="$LOAD_LIMIT" 'BEGIN { exit !(t >= l) }'; then ended_by="LOAD_LIMIT"; break; fi
  sleep 1
done
# Until the last key went in (a stall's idle tail is not load).
load_seconds=$(awk -v a="$load_start" -v b="$grew_at" 'BEGIN { printf "%.1f", b - a }')
load_end=$(now)
kill -INT "$WRK_PID" 2>/dev/null; wait "$WRK_PID" 2>/dev/null; WRK_PID=""
term_end=$term_max
sample_pauses
say "load over ($ended_by) after ${load_seconds}s: $(grep -h '^BIGSTATE' "$OUT/wrk.txt" || echo 'no summary from wrk')"
if [ -n "$stopped" ] && [ -z "$restart_at" ]; then say "the load ended before ${RESTART_AT}%: restarting $stopped now"; restart; fi

# The catch-up, if it has not happened yet (the load is over: against a still leader).
if [ -n "$restart_at" ]; then
  until [ -n "$caught_up" ]; do
    awk -v t="$(since "$restart_at")" -v l="$CATCHUP_LIMIT" 'BEGIN { exit !(t >= l) }' && { say "no catch-up within ${CATCHUP_LIMIT}s"; break; }
    sleep 1
    poll
  done
fi
[ -n "$restart_at" ] && [ -z "$caught_up" ] && read -r sent_after chunks_after < <(snapshot_sent)
follower_du_after=$([ -n "$stopped" ] && du -sb "$OUT/data/$stopped" | cut -f1 || echo 0)
# What the restarted follower installed: "installed Snapshot[index I, term T, B bytes] from the leader".
read -r installed installed_bytes < <(grep -h "from the leader (InstallSnapshot)" "$OUT/logs/${stopped:-none}.restarted.log" 2>/dev/null \
  | sed -n 's/.*, \([0-9]*\) bytes\].*/\1/p' | awk '{ n++; b += $1 } END { print n + 0, b + 0 }')

# ---- after the load: convergence, whole-map reads, maps compared ------------------------------------

converged=no
for _ in $(seq 120); do
  commit=$(status "$leader" | jq -r '.commitIndex // 0')
  same=yes
  for n in "${NODES[@]}"; do
    [ "$(status "$n" | jq -r '.lastApplied // -1')" = "$commit" ] || same=no
  done
  [ "$same" = yes ] && { converged=yes; break; }
  sleep 1
done

# walk NODE PATH: sha256 of every page of PATH, and the seconds the walk took
walk() {
  local n=$1 path=$2 paged=$3 after="" next start tmp pages=0
  start=$(now)
  tmp=$(mktemp "$OUT/page.XXXXXX")
  if [ "$paged" = yes ]; then
    : >"$tmp.all"
    # At most one page per PAGE ids, and a few more: a walk that does not end is cut.
    for _ in $(seq $((KEYS / PAGE + 10))); do
      curl -s -m 60 "$(url "$n")$path?limit=$PAGE${after:+&after=$after}" >"$tmp"
      sha256sum <"$tmp" | cut -d' ' -f1 >>"$tmp.all"
      pages=$((pages + 1))
      next=$(jq -r '.next // empty' <"$tmp")
      [ -n "$next" ] || break
      after=$next
    done
    echo "$(sha256sum <"$tmp.all" | cut -c1-12) $(since "$start") $pages"
    rm -f "$tmp.all"
  else
    echo "$(curl -s -m 300 "$(url "$n")$path" | sha256sum | cut -c1-12) $(since "$start") 1"
  fi
  rm -f "$tmp"
}
read -r _ kv_walk_s kv_pages < <(walk "$leader" /kv "$paged_kv")
declare -A HASH
for n in "${NODES[@]}"; do read -r HASH[$n] _ _ < <(walk "$n" /debug/kv "$paged_debug"); done
identical=yes
for n in "${NODES[@]}"; do [ "${HASH[$n]}" = "${HASH[n1]}" ] || identical=no; done

# What a full (or not) cluster still serves: a new id, a read, a delete.
probe_put=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -XPUT "$(url "$leader")/kv/bench-bigstate-probe" -d "{\"name\":\"$(printf 'x%.0s' $(seq "$VALUE_SIZE"))\"}")
probe_get=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$(url "$leader")/kv/t1-2")
probe_delete=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -XDELETE "$(url "$leader")/kv/t1-2")

# ---- per node, at the very end: RSS, heap after a forced GC, data dir, snapshots -------------------

rows=""
# The term before the forced full GCs of the heap column: a full collection of a few hundred MiB
# pauses a node for some 300 ms, enough for an election; the table says whether one happened.
term_before_gc=$(status "$leader" | jq -r '.term // 0')
declare -A ROLE KEYCOUNT STATE
for n in "${NODES[@]}"; do # every node's status before any forced GC
  s=$(status "$n"); ROLE[$n]=$(echo "$s" | jq -r .role); KEYCOUNT[$n]=$(echo "$s" | jq -r .keys)
  STATE[$n]=$(echo "$s" | jq -r '.stateBytes // 0')
done
for i in 0 1 2; do
  n=${NODES[$i]}
  if ! alive "$n"; then rows+="| $n | dead | | | | | | | |"$'\n'; continue; fi
  pid=${PID[$n]}
  rss=$(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")
  hwm=$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")
  role=${ROLE[$n]}; keys=${KEYCOUNT[$n]}; state=${STATE[$n]}
  "$JCMD" "$pid" GC.run >/dev/null 2>&1
  heap=$(mib "$(metric_sum "$n" jvm_memory_used_bytes 'area="heap"')")
  du_mib=$(mib "$(du -sb "$OUT/data/$n" | cut -f1)")
  logs=("$OUT/logs/$n.log"); [ "$n" = "$stopped" ] && logs+=("$OUT/logs/$n.restarted.log")
  snaps=$(grep -h "took Snapshot" "${logs[@]}" 2>/dev/null | sed -n 's/.* in \([0-9]*\) ms$/\1/p' | sort -n)
  count=$(echo "$snaps" | grep -c . || true)
  if [ "$count" -gt 0 ]; then
    p50=$(echo "$snaps" | awk -v c="$count" 'NR == int((c + 1) / 2)')
    smax=$(echo "$snaps" | tail -1)
    snap="$count: $p50 / $smax"
  else
    snap="0"
  fi
  loop_ms=$(awk -v s="${loop_max[$i]}" 'BEGIN { printf "%.0f", s * 1000 }')
  gc_ms=$(awk -v s="${gc_max[$i]}" 'BEGIN { printf "%.0f", s * 1000 }')
  rows+="| $n$([ "$n" = "$stopped" ] && echo ' (restarted)') | $role | $keys ($(mib "$state") MiB state) | $rss / $hwm | $heap | $du_mib | $snap | $loop_ms / $gc_ms | ${HASH[$n]} |"$'\n'
done

sleep 2
term_after_gc=$(for n in "${NODES[@]}"; do status "$n" | jq -r '.term // 0'; done | sort -n | tail -1)

read -r ok s507 s429 other p50_us p99_us max_us < <(sed -n 's/^BIGSTATE ok=\([0-9]*\) s507=\([0-9]*\) s429=\([0-9]*\) other=\([0-9]*\) p50_us=\([0-9]*\) p99_us=\([0-9]*\) max_us=\([0-9]*\)$/\1 \2 \3 \4 \5 \6 \7/p' "$OUT/wrk.txt")
if [ -z "${ok:-}" ]; then
  # wrk printed no summary (killed?): the threads that finished left their counts in the markers.
  read -r ok s507 s429 other < <(cat "$OUT"/wrk.done.* 2>/dev/null | sed 's/[a-z0-9]*=//g' | awk '{ o += $1; q += $2; r += $3; x += $4 } END { print o + 0, q + 0, r + 0, x + 0 }')
  p50_us=0; p99_us=0; max_us=0
fi
writes_s=$(awk -v ok="$ok" -v s="$load_seconds" 'BEGIN { printf "%.0f", ok / s }')
oom=$(grep -l "OutOfMemoryError" "$OUT"/logs/*.log 2>/dev/null | xargs -r -n1 basename | tr '\n' ' ')

{
  echo "## make bench-bigstate: $KEYS ids × $VALUE_SIZE-byte names, $CONNS connections, 3 nodes"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r), $("$JAVA" -version 2>&1 | head -1);" \
    "nodes: \`-XX:+ExitOnOutOfMemoryError $NODE_JAVA_OPTS\`${NODE_OPTS:+, \`$NODE_OPTS\`}; state quota $quota bytes;" \
    "load average before: $loadavg_before."
  echo
  echo "| | |"
  echo "| --- | --- |"
  echo "| load | ${load_seconds} s ($ended_by); $ok writes answered 200, **$writes_s writes/s**; latency p50 $(ms "$p50_us") ms, p99 $(ms "$p99_us") ms, max $(ms "$max_us") ms |"
  echo "| refused | $s507 × 507 quota_exceeded, $s429 × 429, $other other non-2xx |"
  echo "| elections during the load | **$((term_end - term_start))** (term $term_start → $term_end; leaders seen:$leaders_seen) |"
  echo "| follower killed / restarted | ${stopped:-none} at ${stop_keys:-–} / ${restart_keys:-–} keys |"
  echo "| its catch-up | **${caught_up:-not within ${CATCHUP_LIMIT}} s** $([ "$caught_up_during_load" = yes ] && echo '(while the load went on)' || echo '(after the load ended)'); it installed $installed snapshot(s) from the leader, $(mib "$installed_bytes") MiB; the leader sent it $(mib $((sent_after - sent_before))) MiB in $((chunks_after - chunks_before)) InstallSnapshot chunks from its restart until then (raftkv_snapshot_sent_bytes_total: resends included, also those while it was still starting); its data dir $(mib "$follower_du_before") → $(mib "$follower_du_after") MiB |"
  echo "| GET /kv on the leader | ${kv_walk_s} s ($([ "$paged_kv" = yes ] && echo "$kv_pages pages of $PAGE" || echo "one answer: this build has no pagination")) |"
  echo "| maps (/debug/kv$([ "$paged_debug" = yes ] && echo ", paginated")) | **$([ "$identical" = yes ] && echo identical || echo DIFFERENT)** on all nodes (all applied the same index: $converged) |"
  echo "| after the load | PUT of a new id → $probe_put, GET → $probe_get, DELETE → $probe_delete |"
  echo "| OutOfMemoryError | ${oom:-none}; nodes that died: ${died:-none} |"
  echo "| elections during the forced full GCs of the heap column (after everything else was measured) | $((term_after_gc - term_before_gc)) (term $term_before_gc → $term_after_gc) |"
  echo
  echo "| node | role | keys (state) | RSS / peak RSS MiB | heap after GC MiB | data dir MiB | snapshots: count, p50 / max ms | longest loop turn / GC pause ms | map |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  printf '%s' "$rows"
} | tee "$OUT/results.md"
say "table in $OUT/results.md; node logs in $OUT/logs/"
