#!/usr/bin/env bash
# Runs a 3-node raftkv cluster on this machine, on 127.0.0.1 only.
#
#   scripts/local-cluster.sh start   # nodes n1..n3 on ports BASE_PORT+1..+3 (default 9001-9003),
#                                    # their peer ports on PEER_BASE_PORT+1..+3 (default BASE_PORT+10: 9011-9013)
#   scripts/local-cluster.sh stop    # stops them, by the pids recorded at start
#   scripts/local-cluster.sh status  # each node's /status
#   scripts/local-cluster.sh add n4     # starts n4 with --join: added as a learner, promoted once caught up
#   scripts/local-cluster.sh remove n2  # removes n2 from the cluster (DELETE /admin/members/n2), then stops it
#
# Data, pidfiles and logs go under RUN_DIR (default run/local/). Environment: JAVA_HOME (else the
# newest JDK >= 21 is picked), BASE_PORT, RUN_DIR, NODE_JAR, and NODE_OPTS (extra node options,
# e.g. "--bug stale-read").
#
# The nodes share a --cluster-token, made once from /dev/urandom into RUN_DIR/cluster-token (mode
# 600): peers present it on /raft/*, and operators on /admin/*, e.g.
#   curl -s -XPOST localhost:9001/admin/transfer-leader -H "X-Raft-Token: $(cat run/local/cluster-token)"
set -euo pipefail
cd "$(dirname "$0")/.."

BASE_PORT=${BASE_PORT:-9000}
PEER_BASE_PORT=${PEER_BASE_PORT:-$((BASE_PORT + 10))}
RUN_DIR=${RUN_DIR:-run/local}
NODE_JAR=${NODE_JAR:-java-node/server/target/raftkv-node.jar}
NODE_OPTS=${NODE_OPTS:-}
NODES=(n1 n2 n3)
JAVA_HOME=${JAVA_HOME:-$(scripts/find-jdk.sh)}
JAVA="$JAVA_HOME/bin/java"

port_of() { echo $((BASE_PORT + ${1#n})); }
peer_port_of() { echo $((PEER_BASE_PORT + ${1#n})); }

# Every node's client URL (--peers), or with "peer", its peer URL (--peer-urls).
peers() {
  local list="" n port=port_of
  [ "${1:-}" = peer ] && port=peer_port_of
  for n in "${NODES[@]}"; do list+="${list:+,}$n=http://127.0.0.1:$($port "$n")"; done
  echo "$list"
}

# The leader every node names, or nothing while they disagree or do not know.
agreed_leader() {
  local n leader="" theirs
  for n in "${NODES[@]}"; do
    theirs=$(curl -s "http://127.0.0.1:$(port_of "$n")/status" | sed -n 's/.*"leader":"\([^"]*\)".*/\1/p')
    [ -n "$theirs" ] || return 0
    [ -z "$leader" ] || [ "$leader" = "$theirs" ] || return 0
    leader=$theirs
  done
  echo "$leader"
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# The cluster's shared secret, made on the first start and kept with the data it protects.
cluster_token() {
  local file="$RUN_DIR/cluster-token"
  if [ ! -s "$file" ]; then
    (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$file")
  fi
  cat "$file"
}

start() {
  [ -f "$NODE_JAR" ] || { echo "no $NODE_JAR: run 'make build' first" >&2; exit 1; }
  mkdir -p "$RUN_DIR"
  local n token
  token=$(cluster_token)
  for n in "${NODES[@]}"; do
    if alive "$RUN_DIR/$n.pid"; then echo "$n already running (pid $(cat "$RUN_DIR/$n.pid"))"; continue; fi
    mkdir -p "$RUN_DIR/$n"
    # shellcheck disable=SC2086 # NODE_OPTS is a list of options
    nohup "$JAVA" -Xmx256m -XX:+ExitOnOutOfMemoryError -jar "$NODE_JAR" --id "$n" --listen "127.0.0.1:$(port_of "$n")" \
      --peers "$(peers)" --listen-peers "127.0.0.1:$(peer_port_of "$n")" --peer-urls "$(peers peer)" --data-dir "$RUN_DIR/$n" --cluster-token "$token" $NODE_OPTS >"$RUN_DIR/$n.log" 2>&1 &
    echo $! >"$RUN_DIR/$n.pid"
  done
  for n in "${NODES[@]}"; do
    local url="http://127.0.0.1:$(port_of "$n")/status" tries=0
    until curl -sf "$url" >/dev/null; do
      tries=$((tries + 1))
      if [ $tries -gt 100 ] || ! alive "$RUN_DIR/$n.pid"; then
        echo "$n did not start; see $RUN_DIR/$n.log:" >&2; tail -5 "$RUN_DIR/$n.log" >&2; exit 1
      fi
      sleep 0.1
    done
  done
  local leader="" tries=0
  until [ -n "$leader" ]; do
    leader=$(agreed_leader)
    tries=$((tries + 1))
    [ $tries -gt 150 ] && { echo "no leader elected within 15 s; see $RUN_DIR/*.log" >&2; exit 1; }
    [ -n "$leader" ] || sleep 0.1
  done
  local p1; p1=$(port_of n1)
  echo "raftkv: leader $leader"
  echo "raftkv: 3 nodes up on 127.0.0.1:$(port_of n1)-$(port_of n3) (logs and data in $RUN_DIR/)"
  echo "dashboard: http://127.0.0.1:$(port_of n1)/  http://127.0.0.1:$(port_of n2)/  http://127.0.0.1:$(port_of n3)/  (Prometheus metrics: /metrics)"
  echo "try:"
  echo "  curl -s -XPUT localhost:$p1/kv/alice -d '{\"name\":\"Alice\"}'"
  echo "  curl -s localhost:$((p1 + 1))/kv/alice"
  echo "  curl -s -XPOST localhost:$p1/kv/alice/cas -d '{\"expected\":\"Alice\",\"name\":\"Alicia\"}'"
  echo "  curl -s localhost:$p1/kv"
  echo "  curl -s -XDELETE localhost:$p1/kv/alice"
  echo "  curl -s localhost:$p1/status"
  echo "  curl -s -XPOST localhost:$p1/admin/transfer-leader -H \"X-Raft-Token: \$(cat $RUN_DIR/cluster-token)\"   # on the leader"
  echo "stop with: $0 stop"
}

# Every node this script started and that may still run: n1..n3 and any added since.
known_nodes() {
  local f n list=("${NODES[@]}")
  for f in "$RUN_DIR"/n*.pid; do
    [ -e "$f" ] || continue
    n=$(basename "$f" .pid)
    [[ " ${list[*]} " == *" $n "* ]] || list+=("$n")
  done
  echo "${list[@]}"
}

# The leader's id as any running node names it (nothing if none knows one).
any_leader() {
  local n leader
  for n in $(known_nodes); do
    leader=$(curl -s "http://127.0.0.1:$(port_of "$n")/status" | sed -n 's/.*"leader":"\([^"]*\)".*/\1/p')
    [ -n "$leader" ] && { echo "$leader"; return 0; }
  done
}

# curl against the leader's /admin API: METHOD PATH [BODY]; prints "STATUS BODY".
admin() {
  local leader; leader=$(any_leader)
  [ -n "$leader" ] || { echo "0 no leader"; return 0; }
  curl -s -o /tmp/raftkv-admin.$$ -w '%{http_code}' -X "$1" "http://127.0.0.1:$(port_of "$leader")$2" \
    -H "X-Raft-Token: $(cluster_token)" ${3:+-d "$3"}
  echo " $(cat /tmp/raftkv-admin.$$)"; rm -f /tmp/raftkv-admin.$$
}

add() {
  local n=${1:?usage: $0 add NODE (e.g. n4)} leader answer tries=0
  [[ $n =~ ^n[0-9]+$ ]] || { echo "node ids here are n<number>, got $n" >&2; exit 2; }
  alive "$RUN_DIR/$n.pid" && { echo "$n already running" >&2; exit 1; }
  leader=$(any_leader); [ -n "$leader" ] || { echo "no leader: is the cluster running?" >&2; exit 1; }
  mkdir -p "$RUN_DIR/$n"
  # shellcheck disable=SC2086 # NODE_OPTS is a list of options
  nohup "$JAVA" -Xmx256m -XX:+ExitOnOutOfMemoryError -jar "$NODE_JAR" --id "$n" --listen "127.0.0.1:$(port_of "$n")" \
    --join "http://127.0.0.1:$(port_of "$leader")" --listen-peers "127.0.0.1:$(peer_port_of "$n")" \
    --data-dir "$RUN_DIR/$n" --cluster-token "$(cluster_token)" $NODE_OPTS >"$RUN_DIR/$n.log" 2>&1 &
  echo $! >"$RUN_DIR/$n.pid"
  echo "raftkv: $n joining through $leader as a learner (log: $RUN_DIR/$n.log)"
  # Promote once it has applied something: a learner the leader has not reached yet would only be
  # a voter that holds up commits.
  until curl -s "http://127.0.0.1:$(port_of "$n")/status" | grep -q '"lastApplied":[1-9]'; do
    tries=$((tries + 1))
    if [ $tries -gt 600 ] || ! alive "$RUN_DIR/$n.pid"; then
      echo "$n did not catch up; see $RUN_DIR/$n.log" >&2; tail -5 "$RUN_DIR/$n.log" >&2; exit 1
    fi
    sleep 0.1
  done
  until answer=$(admin POST "/admin/members/$n/promote") && [ "${answer%% *}" = 200 ]; do
    tries=$((tries + 1))
    if [ $tries -gt 600 ] || ! alive "$RUN_DIR/$n.pid"; then
      echo "$n was not promoted: $answer; see $RUN_DIR/$n.log" >&2; tail -5 "$RUN_DIR/$n.log" >&2; exit 1
    fi
    sleep 0.1 # not listed yet, or not caught up yet (not_caught_up), or another change under way
  done
  echo "raftkv: $n is a voter: ${answer#* }"
}

remove() {
  local n=${1:?usage: $0 remove NODE} answer pid tries=0
  until answer=$(admin DELETE "/admin/members/$n") && [ "${answer%% *}" = 200 ]; do
    tries=$((tries + 1))
    [ $tries -gt 100 ] && { echo "could not remove $n: $answer" >&2; exit 1; }
    sleep 0.1
  done
  echo "raftkv: $n removed: ${answer#* }"
  if alive "$RUN_DIR/$n.pid"; then
    pid=$(cat "$RUN_DIR/$n.pid"); kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$RUN_DIR/$n.pid"
  echo "raftkv: $n stopped; its data directory $RUN_DIR/$n is no longer a member's (add it again only empty)"
}

stop() {
  local n pid pids=()
  for n in $(known_nodes); do
    if alive "$RUN_DIR/$n.pid"; then
      pid=$(cat "$RUN_DIR/$n.pid"); kill "$pid"; pids+=("$pid")
    fi
    rm -f "$RUN_DIR/$n.pid"
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  done
  echo "raftkv: stopped ${#pids[@]} node(s)"
}

status() {
  local n
  for n in $(known_nodes); do
    echo "$n: $(curl -s "http://127.0.0.1:$(port_of "$n")/status" || echo down)"
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  add) add "${2:-}" ;;
  remove) remove "${2:-}" ;;
  *) echo "usage: $0 start|stop|status|add NODE|remove NODE" >&2; exit 2 ;;
esac
