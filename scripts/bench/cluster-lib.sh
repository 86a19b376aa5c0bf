# Shared by scripts/bench-compare.sh and scripts/overload.sh (sourced, not run): a 3-member etcd
# and a 3-node raftkv cluster on 127.0.0.1 with fresh data, started and stopped by pid, the leader
# of each, a prefill of every key, and per-process CPU and memory from /proc.
#
# The sourcing script sets, before sourcing:
#   BENCH                 its name, for messages and etcd's --initial-cluster-token
#   OUT                   its run directory (etcd/ and raftkv/ data and logs go under it)
#   ETCD_CLIENT_BASE, ETCD_PEER_BASE, RAFTKV_BASE   members listen on BASE+1..BASE+3
#   KEYS, VALUE_SIZE      key space and value size of the prefill (scripts/bench/kv.lua)
# and may set RAFTKV_JAVA_TOOL_OPTIONS (extra JVM options of the nodes, given to the JVM through
# JAVA_TOOL_OPTIONS so that scripts/local-cluster.sh starts them as always otherwise) and
# ETCD_GODEBUG (GODEBUG of the etcd members only, e.g. gctrace=1: its lines go to their logs).
# It calls cluster_prerequisites, then cluster_fresh_dirs; cleanup is installed as the EXIT trap
# here and stops what was started: WRK_PID, every pid in BG_PIDS, etcd and raftkv.

NODE_JAR=${NODE_JAR:-java-node/server/target/raftkv-node.jar}
JAVA_HOME=${JAVA_HOME:-$(scripts/find-jdk.sh)}
export JAVA_HOME NODE_JAR
KV_LUA=scripts/bench/kv.lua

die() { echo "$BENCH: $*" >&2; exit 1; }
say() { echo "$BENCH: $*" >&2; }

# ---- prerequisites --------------------------------------------------------------------------------

cluster_prerequisites() {
  [ -n "$JAVA_HOME" ] && [ -x "$JAVA_HOME/bin/java" ] || die "no JDK >= 21 found (set JAVA_HOME)"
  [ -f "$NODE_JAR" ] || die "no $NODE_JAR: run 'make build' first"
  local c p
  for c in curl base64 ss; do command -v "$c" >/dev/null || die "'$c' is missing"; done

  local need_pkgs=()
  command -v etcd >/dev/null || need_pkgs+=(etcd-server)
  command -v etcdctl >/dev/null || need_pkgs+=(etcd-client)
  command -v wrk >/dev/null || need_pkgs+=(wrk)
  command -v jq >/dev/null || need_pkgs+=(jq)
  if [ ${#need_pkgs[@]} -gt 0 ]; then
    [ "${NO_INSTALL:-}" != 1 ] || die "missing ${need_pkgs[*]} and NO_INSTALL=1: install them (apt-get install ${need_pkgs[*]})"
    command -v apt-get >/dev/null || die "missing ${need_pkgs[*]} and no apt-get to install them with"
    local sudo=""; [ "$(id -u)" = 0 ] || { command -v sudo >/dev/null && sudo="sudo -n"; }
    say "installing ${need_pkgs[*]} with apt-get"
    # Debian's etcd-server ships a service unit; a host that starts services on install (no
    # policy-rc.d) would run it on the default ports 2379/2380, which these scripts never use.
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_pkgs[@]}" >&2 \
      || { $sudo apt-get update -q >&2 && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_pkgs[@]}" >&2; } \
      || die "could not install ${need_pkgs[*]}: install them by hand (Debian/Ubuntu: apt-get install ${need_pkgs[*]})"
    for c in etcd etcdctl wrk jq; do command -v "$c" >/dev/null || die "'$c' still missing after apt-get install"; done
  fi

  for p in $((ETCD_CLIENT_BASE + 1)) $((ETCD_CLIENT_BASE + 2)) $((ETCD_CLIENT_BASE + 3)) \
           $((ETCD_PEER_BASE + 1)) $((ETCD_PEER_BASE + 2)) $((ETCD_PEER_BASE + 3)) \
           $((RAFTKV_BASE + 1)) $((RAFTKV_BASE + 2)) $((RAFTKV_BASE + 3)) \
           $((RAFTKV_BASE + 11)) $((RAFTKV_BASE + 12)) $((RAFTKV_BASE + 13)); do
    if ss -Hltn "sport = :$p" | grep -q .; then die "port $p on this machine is already in use"; fi
  done
}

# ---- start / stop ---------------------------------------------------------------------------------

ETCD_PIDS=()
BG_PIDS=()
WRK_PID=""
RAFTKV_STARTED=""

cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  set +e  # stop everything even if one step fails
  if [ -n "$WRK_PID" ]; then kill "$WRK_PID" 2>/dev/null; wait "$WRK_PID" 2>/dev/null; fi
  for pid in "${BG_PIDS[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  stop_etcd
  stop_raftkv
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Stops what a run killed with SIGKILL left behind (by the pids it recorded), then empties OUT's
# etcd/ and raftkv/ directories.
cluster_fresh_dirs() {
  mkdir -p "$OUT"
  if [ -f "$OUT/etcd.pids" ]; then
    local pid
    while read -r pid; do
      grep -qa -- "$OUT/etcd" "/proc/$pid/cmdline" 2>/dev/null && kill "$pid" 2>/dev/null || true
    done <"$OUT/etcd.pids"
    rm -f "$OUT/etcd.pids"
  fi
  BASE_PORT=$RAFTKV_BASE RUN_DIR=$OUT/raftkv scripts/local-cluster.sh stop >/dev/null 2>&1 || true
  rm -rf "$OUT/etcd" "$OUT/raftkv"
  mkdir -p "$OUT/etcd" "$OUT/raftkv"
}

etcd_url() { echo "http://127.0.0.1:$((ETCD_CLIENT_BASE + $1))"; }
raftkv_url() { echo "http://127.0.0.1:$((RAFTKV_BASE + $1))"; }
url_of() { if [ "$1" = etcd ]; then etcd_url "$2"; else raftkv_url "$2"; fi; }

start_etcd() {
  local i cluster=""
  mkdir -p "$OUT/etcd"
  for i in 1 2 3; do cluster+="${cluster:+,}e$i=http://127.0.0.1:$((ETCD_PEER_BASE + i))"; done
  for i in 1 2 3; do
    env ${ETCD_GODEBUG:+GODEBUG="$ETCD_GODEBUG"} etcd --name "e$i" --data-dir "$OUT/etcd/e$i" --logger zap \
      --listen-client-urls "$(etcd_url $i)" --advertise-client-urls "$(etcd_url $i)" \
      --listen-peer-urls "http://127.0.0.1:$((ETCD_PEER_BASE + i))" \
      --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PEER_BASE + i))" \
      --initial-cluster "$cluster" --initial-cluster-token "$BENCH" --initial-cluster-state new \
      >"$OUT/etcd/e$i.log" 2>&1 &
    ETCD_PIDS+=($!)
    echo $! >>"$OUT/etcd.pids"
  done
  local tries=0
  for i in 1 2 3; do
    until curl -sf "$(etcd_url $i)/health" | grep -q '"health":"true"'; do
      tries=$((tries + 1))
      kill -0 "${ETCD_PIDS[$((i - 1))]}" 2>/dev/null || { tail -5 "$OUT/etcd/e$i.log" >&2; die "etcd e$i exited; see $OUT/etcd/e$i.log"; }
      [ $tries -lt 300 ] || die "etcd not healthy within 30 s; see $OUT/etcd/*.log"
      sleep 0.1
    done
  done
  say "etcd: 3 members up on 127.0.0.1:$((ETCD_CLIENT_BASE + 1))-$((ETCD_CLIENT_BASE + 3)) (pids ${ETCD_PIDS[*]}; logs in $OUT/etcd/)"
}

stop_etcd() {
  local pid
  [ ${#ETCD_PIDS[@]} -gt 0 ] || return 0
  for pid in "${ETCD_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${ETCD_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true
  done
  say "etcd: stopped ${#ETCD_PIDS[@]} member(s)"
  ETCD_PIDS=()
  rm -f "$OUT/etcd.pids"
}

start_raftkv() {
  RAFTKV_STARTED=1
  JAVA_TOOL_OPTIONS="${RAFTKV_JAVA_TOOL_OPTIONS:-${JAVA_TOOL_OPTIONS:-}}" \
    BASE_PORT=$RAFTKV_BASE RUN_DIR=$OUT/raftkv scripts/local-cluster.sh start | grep '^raftkv:' >&2
}

stop_raftkv() {
  [ -n "$RAFTKV_STARTED" ] || return 0
  BASE_PORT=$RAFTKV_BASE RUN_DIR=$OUT/raftkv scripts/local-cluster.sh stop >&2
  RAFTKV_STARTED=""
}

# Pids of the three nodes of a system, in member order.
pids_of() {
  if [ "$1" = etcd ]; then echo "${ETCD_PIDS[*]}"; else cat "$OUT"/raftkv/n{1,2,3}.pid | tr '\n' ' '; fi
}

# The member number (1..3) of the current leader, or nothing if the members disagree.
leader_of() {
  local i l="" theirs
  for i in 1 2 3; do
    if [ "$1" = etcd ]; then
      theirs=$(curl -sf -m 2 -X POST "$(etcd_url $i)/v3/maintenance/status" -d '{}' |
        jq -r 'if .leader == .header.member_id then "self" else .leader end' 2>/dev/null) || return 0
      [ "$theirs" = self ] && theirs=$i || theirs=""
      [ -n "$theirs" ] && l=$theirs
    else
      theirs=$(curl -sf -m 2 "$(raftkv_url $i)/status" | jq -r '.leader // empty' 2>/dev/null) || return 0
      [ -n "$theirs" ] || return 0
      [ -z "$l" ] || [ "$l" = "${theirs#n}" ] || return 0
      l=${theirs#n}
    fi
  done
  echo "$l"
}

# The leader all members agree on, waiting up to 15 s; dies without one.
wait_leader() {
  local l; l=$(try_wait_leader "$1" 150)
  [ -n "$l" ] || die "$1 has no leader all members agree on"
  echo "$l"
}

# The same, but prints nothing instead of dying after TRIES tenths of a second.
try_wait_leader() {
  local l="" tries=0
  until [ -n "$l" ]; do
    l=$(leader_of "$1")
    tries=$((tries + 1)); [ $tries -lt "$2" ] || return 0
    [ -n "$l" ] || sleep 0.1
  done
  echo "$l"
}

# Writes every key once over one connection, so that reads find a value in both systems.
prefill() {
  local sys=$1 leader url marker="$OUT/prefill-$1.done" tries=0
  leader=$(wait_leader "$sys")
  url=$(url_of "$sys" "$leader")
  rm -f "$marker"
  wrk -t 1 -c 1 -d 600s --timeout 10s -s "$KV_LUA" "$url" -- "$sys" fill "$KEYS" "$VALUE_SIZE" "$marker" \
    >"$OUT/prefill-$sys.txt" 2>&1 &
  WRK_PID=$!
  # wrk would run its whole -d although its thread stopped after the last key: end it (SIGINT
  # makes wrk print its summary and exit) once the script has written the marker.
  until [ -s "$marker" ]; do
    kill -0 "$WRK_PID" 2>/dev/null || die "wrk ended before the prefill of $sys was done; see $OUT/prefill-$sys.txt"
    tries=$((tries + 1)); [ $tries -lt 3000 ] || die "prefill of $sys not done in 300 s"
    sleep 0.1
  done
  kill -INT "$WRK_PID" 2>/dev/null || true
  wait "$WRK_PID" 2>/dev/null || true
  WRK_PID=""
  grep -qx "answered=$KEYS not_2xx=0" "$marker" || die "prefill of $sys: $(cat "$marker") (want answered=$KEYS not_2xx=0)"
}

# utime+stime of the pids, in clock ticks.
cpu_ticks() {
  local pid total=0
  for pid in "$@"; do
    # Fields after the "(comm)": state is field 3, utime 14 and stime 15.
    total=$((total + $(sed 's/^.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}')))
  done
  echo "$total"
}

rss_mib() { awk '/^VmRSS:/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
