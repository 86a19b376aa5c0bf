#!/usr/bin/env bash
# raftkv's Docker cluster: a Jepsen control node and five raftkv nodes n1..n5.
#
#   docker/cluster.sh up            build images, start the containers, install and start raftkv
#                                   on n1..n5, or on MEMBERS only (reinstalls the jar and restarts
#                                   raftkv if up already; a node with data restarts as it was started)
#   docker/cluster.sh add-node NODE     a node that is not a member joins (--join, empty data
#                                   directory) as a learner and is promoted once caught up
#   docker/cluster.sh remove-node NODE  DELETE /admin/members/NODE, then stop raftkv on NODE and
#                                   empty its data directory (any member, the leader too)
#   docker/cluster.sh jepsen ARGS   bring the containers up if needed, then in control:
#                                   lein run test --nodes n1,...,n5 --username root ... ARGS
#                                   (JEPSEN_CMD=test-all: lein run test-all ..., the matrix);
#                                   afterwards raftkv is restarted fresh on every node
#   docker/cluster.sh report        serve the Jepsen store (lein run serve) on http://127.0.0.1:8088 in
#                                   the background; waits until it answers; report-stop ends it
#   docker/cluster.sh explain [-t N]   lein run explain in control: the latest run's failing keys
#                                   in words (explain.txt) and pictures (explain-key-K.svg)
#   docker/cluster.sh status        containers, and each node's GET /status
#   docker/cluster.sh logs NODE     the raftkv log of one node (n1..n5)
#   docker/cluster.sh partition NODES   cut the nodes NODES (e.g. n1,n2, or "leader") off from the
#                                   others, both directions (iptables DROP on each side)
#   docker/cluster.sh heal          remove every partition (flush the nodes' iptables INPUT rules)
#   docker/cluster.sh kill NODE     kill -9 raftkv on NODE (its data directory stays)
#   docker/cluster.sh start NODE    start raftkv on NODE again, from its data directory (refused
#                                   when no other node runs raftkv, unless FORCE=1, and on a node
#                                   that is no member: add-node adds it)
#   docker/cluster.sh down          remove every container, the network and the volumes `up` made
#                                   (images are kept as a build cache; `down --images` removes them)
#
# Environment:
#   MEMBERS           the founding members `up` starts raftkv on, e.g. n1,n2,n3 (default n1,...,n5);
#                     the other containers run without raftkv until add-node adds them
#   BASE_IMAGE        base of both images (default debian:trixie-slim; `make base-image` builds it)
#   RAFTKV_JAR        jar to install (default java-node/server/target/raftkv-node.jar)
#   RAFTKV_BUG        passed to every node as --bug NAME by `up` (a deliberately injected bug)
#   RAFTKV_JAVA_OPTS  JVM options for the nodes started by `up` (default -Xmx512m
#                     -XX:+ExitOnOutOfMemoryError -XX:TieredStopAtLevel=1: a node that runs out of
#                     memory ends at once instead of living on half-dead; the C1 compiler only, which
#                     halves the CPU a node needs to start, fine for a teaching cluster, not for
#                     benchmarks). Keep -XX:+ExitOnOutOfMemoryError when you set your own.
#   RAFTKV_M2         Maven repository mounted at control's /root/.m2 (default ~/.m2)
#   LEADER_WAIT       seconds `up` waits for the nodes to agree on a leader before it warns (default 60)
#
# The nodes share a --cluster-token, made once from /dev/urandom into the gitignored
# docker/.ssh/cluster-token: peers present it on /raft/*, operators on /admin/*; `jepsen` passes it
# to the test (--cluster-token), which starts the nodes with it too. From the host:
#   curl -s -XPOST 127.0.0.1:8001/admin/transfer-leader -H "X-Raft-Token: $(cat docker/.ssh/cluster-token)"
#   LEIN_OFFLINE      1: lein runs offline in control (-o), 0: it may download. Default: 1 when
#                     Jepsen 0.3.13 is in $RAFTKV_M2 (built from source, no Clojars needed), else 0
#   CONTROL_JDKS      JDK versions installed in the control image (default "21", plus the release
#                     the Jepsen classpath needs if a jar there is newer; e.g. "21 25")
#   RAFTKV_CONTROL_JDK  JDK major version lein uses in control (default: the newest installed)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
NODES=(n1 n2 n3 n4 n5)
PORT_BASE=8000                        # nK's 8080 is published on 127.0.0.1:800K
REPORT_PORT=8088
BASE_IMAGE=${BASE_IMAGE:-debian:trixie-slim}
NODE_IMAGE=raftkv-node:latest
CONTROL_IMAGE=raftkv-control:latest
CONTROL=raftkv-control
NETWORK=raftkv-jepsen
LABEL=org.raftkv.cluster=1
JAR=${RAFTKV_JAR:-$ROOT/java-node/server/target/raftkv-node.jar}
JAVA_OPTS=${RAFTKV_JAVA_OPTS:--Xmx512m -XX:+ExitOnOutOfMemoryError -XX:TieredStopAtLevel=1}
export RAFTKV_M2=${RAFTKV_M2:-$HOME/.m2}
export DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0}    # the classic builder: works without buildx

# The conventions the Jepsen DB (jepsen-test) uses too.
DIR=/opt/raftkv
NODE_JAR=$DIR/raftkv-node.jar
CDS_DIR=/opt/raftkv-cds                  # the image's own copy of the jar and its AppCDS archive
PIDFILE=$DIR/raftkv.pid
LOGFILE=$DIR/raftkv.log
DATA=$DIR/data

log() { printf '[cluster %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf '[cluster] ERROR: %s\n' "$*" >&2; exit 1; }
container() { echo "raftkv-$1"; }
# The founding members (MEMBERS, default all five): `up` starts raftkv on them with --peers them.
MEMBERS=${MEMBERS:-$(IFS=,; echo "${NODES[*]}")}
# How cluster.sh starts raftkv on a node, kept on the node (Jepsen's teardown leaves it): "peers
# n1,n2,n3" (a founding member) or "join n2" (added by add-node through n2). No file: no member.
ARGS_FILE=$DIR/cluster-args
# Each founding member's client URL (--peers), or with "8081", its peer URL (--peer-urls); of the
# members named in $2 (default MEMBERS).
peers() {
  local p="" n port=${1:-8080} list=()
  IFS=, read -r -a list <<<"${2:-$MEMBERS}"
  for n in "${list[@]}"; do p+="${p:+,}$n=http://$n:$port"; done; echo "$p"
}
check_members() {
  local n list=() seen=" "
  IFS=, read -r -a list <<<"$MEMBERS"
  [ ${#list[@]} -gt 0 ] || die "MEMBERS is empty: name the founding members, e.g. MEMBERS=n1,n2,n3"
  for n in "${list[@]}"; do
    [[ " ${NODES[*]} " == *" $n "* ]] || die "MEMBERS=$MEMBERS: '$n' is none of ${NODES[*]}"
    [[ "$seen" == *" $n "* ]] && die "MEMBERS=$MEMBERS names $n twice"
    seen+="$n "
  done
}
is_founder() { [[ ",$MEMBERS," == *",$1,"* ]]; }

# `docker compose` (v2) if the docker CLI has it, else docker-compose (1.29 works).
COMPOSE=()
detect_compose() {
  [ ${#COMPOSE[@]} -eq 0 ] || return 0
  if docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1; then COMPOSE=(docker-compose)
  else die "neither 'docker compose' (v2) nor 'docker-compose' (v1) found. On Debian/Ubuntu: apt-get install -y docker-compose (Docker's own apt repository calls v2 docker-compose-plugin)"
  fi
}
compose() { detect_compose; "${COMPOSE[@]}" -p raftkv -f "$HERE/docker-compose.yml" "$@"; }

need_engine() {
  docker info >/dev/null 2>&1 && return 0
  cat >&2 <<EOF
[cluster] ERROR: no Docker engine answers ('docker info' fails).
  With systemd:     sudo systemctl start docker
  Without systemd:  sudo docker/dockerd.sh start     (and 'docker/dockerd.sh stop' afterwards)
  Not installed:    sudo apt-get install -y docker.io docker-compose
EOF
  exit 1
}

need_base() {
  docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 && return 0
  log "base image $BASE_IMAGE not present; trying docker pull"
  timeout 300 docker pull -q "$BASE_IMAGE" >/dev/null 2>&1 && return 0
  die "base image $BASE_IMAGE is missing and cannot be pulled: run 'make base-image' (docker/base-image.sh builds it with debootstrap)"
}

# The JDK the control node needs: 21, unless a jar on the Jepsen test's classpath (resolved from
# $RAFTKV_M2 by the host's lein) was compiled for a newer release, as jars built from source with a
# newer javac are. Then that release is installed beside 21 and lein runs on it. Without lein or a
# JDK on the host nothing is checked and 21 is used. CONTROL_JDKS / RAFTKV_CONTROL_JDK override.
# The answer is cached in jepsen-test/target/control-jdk, keyed by project.clj and the Maven
# repository's Jepsen jar (delete the file to check again).
pick_control_jdk() {
  [ -z "${CONTROL_JDKS:-}" ] || return 0
  local java_home cp needed jar key cache="$ROOT/jepsen-test/target/control-jdk" t0=$SECONDS
  command -v lein >/dev/null && java_home=$("$ROOT/scripts/find-jdk.sh") || return 0
  key=$(cat "$ROOT/jepsen-test/project.clj" 2>/dev/null | cksum; ls -l --time-style=+%s "$RAFTKV_M2/repository/jepsen/jepsen/0.3.13/" 2>/dev/null | cksum)
  key=$(echo "$key" | tr '\n' ' ')
  if [ -f "$cache" ] && [ "$(head -1 "$cache")" = "$key" ]; then
    read -r needed jar < <(sed -n 2p "$cache")
  else
    log "checking which Java release the Jepsen classpath needs (host-side 'lein -o classpath', a few seconds; cached afterwards)"
    cp=$(cd "$ROOT/jepsen-test" && JAVA_CMD="$java_home/bin/java" lein -o classpath 2>/dev/null) || return 0
    read -r needed jar < <("$java_home/bin/java" "$ROOT/scripts/JarBytecode.java" "$cp") || return 0
    mkdir -p "$(dirname "$cache")" && printf '%s\n%s %s\n' "$key" "${needed:-0}" "${jar:-none}" >"$cache"
    log "  done in $((SECONDS - t0))s: Java ${needed:-21}"
  fi
  if [ "${needed:-0}" -gt 21 ]; then
    log "the Jepsen classpath needs Java $needed ($(basename "$jar") was compiled for it): control gets JDK 21 and $needed"
    CONTROL_JDKS="21 $needed"
    RAFTKV_CONTROL_JDK=${RAFTKV_CONTROL_JDK:-$needed}
  fi
}

# Reads `docker build` output on stdin and shows only what is news: a step that really runs (not
# one taken from the cache), a heartbeat with the step's latest output line every 10 s while a long
# step runs, and a one-line summary. All-cached builds print just the summary.
build_progress() {
  local img=$1 line step="" shown=1 last="" t_step=$SECONDS t_print=$SECONDS steps=0 ran=0 rc
  while :; do
    if IFS= read -r -t 2 line; then
      line=${line%$'\r'}
      case "$line" in
        "Step "*)           step=$line; shown=0; t_step=$SECONDS; steps=$((steps + 1)) ;;
        " ---> Using cache") shown=1 ;;
        " ---> Running in "*)
          ran=$((ran + 1))
          [ $shown = 1 ] || { log "  raftkv-$img: ${step:0:120}"; shown=1; t_print=$SECONDS; } ;;
        " ---> "*|"Removing intermediate"*|"Successfully "*|"") ;;
        *) last=$line ;;
      esac
    else
      rc=$?
      [ $rc -gt 128 ] || break
    fi
    if [ -n "$step" ] && [ $((SECONDS - t_print)) -ge 8 ] && [ $((SECONDS - t_step)) -ge 8 ]; then
      [ $shown = 1 ] || { log "  raftkv-$img: ${step:0:120}"; shown=1; }
      log "  raftkv-$img: ${step%% :*} running for $((SECONDS - t_step))s${last:+: ${last:0:100}}"
      t_print=$SECONDS
    fi
  done
  if [ $ran = 0 ]; then log "  raftkv-$img: up to date ($steps steps, none to run)"
  else log "  raftkv-$img: $steps steps, $ran run, the others from the cache"; fi
}

build_images() {
  local t0=$SECONDS img dir errs
  pick_control_jdk
  errs=$(mktemp)
  log "building $NODE_IMAGE and $CONTROL_IMAGE from $BASE_IMAGE (cached after the first time)"
  # The node image bakes in the jar and an AppCDS archive trained on it (docker/node/Dockerfile),
  # so its build context is docker/node plus the jar; an unchanged jar keeps the cached layers.
  local node_ctx; node_ctx=$(mktemp -d)
  cp -a "$HERE/node/." "$node_ctx/"
  cp "$JAR" "$node_ctx/raftkv-node.jar"
  for img in node control; do
    dir="$HERE/$img"
    [ "$img" = node ] && dir=$node_ctx
    # Progress: the steps that really run, heartbeats for long ones (build_progress).
    # (pipefail: the pipeline fails when docker build does.)
    docker build --build-arg "BASE_IMAGE=$BASE_IMAGE" ${CONTROL_JDKS:+--build-arg "CONTROL_JDKS=$CONTROL_JDKS"} \
      -t "raftkv-$img:latest" "$dir" 2>"$errs" | build_progress "$img" || {
      grep -v -e 'legacy builder is deprecated' -e 'BuildKit is currently disabled' -e 'environment-variable\.$' -e '^DEPRECATED' "$errs" >&2 || true
      rm -rf "$errs" "$node_ctx"
      die "building raftkv-$img failed (see it whole: DOCKER_BUILDKIT=0 docker build --build-arg BASE_IMAGE=$BASE_IMAGE -t raftkv-$img docker/$img)"
    }
  done
  rm -rf "$errs" "$node_ctx"
  log "images ready in $((SECONDS - t0))s"
}

# The cluster's SSH key pair, made once into the gitignored docker/.ssh/. PEM format and RSA so
# every SSH library Jepsen may use (sshj, JSch) reads it.
keys() {
  local d="$HERE/.ssh"
  [ -s "$d/id_rsa" ] && [ -s "$d/id_rsa.pub" ] && return 0
  mkdir -p "$d"; chmod 700 "$d"; rm -f "$d/id_rsa" "$d/id_rsa.pub"
  log "generating the cluster's SSH key pair in docker/.ssh/"
  if command -v ssh-keygen >/dev/null 2>&1; then
    ssh-keygen -q -t rsa -b 3072 -m PEM -N '' -C raftkv-jepsen -f "$d/id_rsa"
  else
    docker run --rm -v "$d:/out" "$CONTROL_IMAGE" sh -c \
      "ssh-keygen -q -t rsa -b 3072 -m PEM -N '' -C raftkv-jepsen -f /out/id_rsa && chown $(id -u):$(id -g) /out/id_rsa /out/id_rsa.pub"
  fi
  chmod 600 "$d/id_rsa"
}

# The cluster's shared secret, made once beside the SSH keys (gitignored).
cluster_token() {
  local file="$HERE/.ssh/cluster-token"
  if [ ! -s "$file" ]; then
    mkdir -p "$HERE/.ssh"; chmod 700 "$HERE/.ssh"
    (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$file")
  fi
  cat "$file"
}

# Runs a command in the background and, while it runs, says every 5 s that it still does.
# Returns the command's exit status.
with_heartbeat() {
  local what=$1 t0=$SECONDS t_print=$SECONDS pid rc=0; shift
  "$@" & pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if [ $((SECONDS - t_print)) -ge 5 ] && kill -0 "$pid" 2>/dev/null; then
      log "  $((SECONDS - t0))s: $what"; t_print=$SECONDS
    fi
  done
  wait "$pid" || rc=$?
  return $rc
}

running() { [ "$(docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ]; }
all_running() { local n; running "$CONTROL" || return 1; for n in "${NODES[@]}"; do running "$(container "$n")" || return 1; done; }

wait_ssh() {
  local n deadline=$((SECONDS + 90)) t0=$SECONDS t_print=$SECONDS
  log "checking that control can SSH to root@n1..n5 (Jepsen needs it)"
  for n in "${NODES[@]}"; do
    until docker exec "$CONTROL" ssh -o BatchMode=yes "root@$n" true 2>/dev/null; do
      [ $SECONDS -lt $deadline ] || die "control cannot SSH to root@$n (docker logs $(container "$n"))"
      sleep 1
    done
    if [ $((SECONDS - t_print)) -ge 5 ]; then log "  $((SECONDS - t0))s: SSH reaches $n"; t_print=$SECONDS; fi
  done
  log "control reaches root@n1..n5 over SSH"
}

# Enough free space where Docker keeps its images (the two images and a base take ~2 GiB).
need_disk() {
  local root free_kib
  root=$(docker info -f '{{.DockerRootDir}}' 2>/dev/null || echo /var/lib/docker)
  free_kib=$(df -Pk "$root" 2>/dev/null | awk 'NR == 2 {print $4}')
  [ -z "$free_kib" ] || [ "$free_kib" -ge $((3 * 1024 * 1024)) ] \
    || die "only $((free_kib / 1024)) MiB free under $root: the images need about 3 GiB"
}

# Builds what is missing and starts the containers; does not wait for them.
containers_start() {
  # Every prerequisite is checked before anything is built: a missing one fails in seconds.
  [ -f "$JAR" ] || die "$JAR not found: build it first ('make build'), or run 'make cluster' which does"
  need_engine
  detect_compose
  need_disk
  need_base
  build_images
  keys
  mkdir -p "$RAFTKV_M2"
  detect_compose
  local t0=$SECONDS
  T_COMPOSE_UP=$SECONDS
  log "starting containers (${COMPOSE[*]})"
  local errs; errs=$(mktemp)
  compose_up() { compose up -d --no-build --remove-orphans >/dev/null 2>"$1"; }
  with_heartbeat "starting containers" compose_up "$errs" \
    || { cat "$errs" >&2; rm -f "$errs"; die "compose up failed"; }
  rm -f "$errs"
}

containers_up() {
  local t0=$SECONDS
  containers_start
  wait_ssh
  log "containers up in $((SECONDS - t0))s"
}

# Stops raftkv on one node (by its pidfile), installs the jar, starts raftkv like the Jepsen DB does.
# A node whose data directory holds data restarts as it was started (its membership is the
# cluster's business: add-node, remove-node); any other is a founding member if MEMBERS names it,
# else it stays without raftkv (its data directory untouched: add-node empties it).
install_node() {
  local n=$1 c
  c=$(container "$n")
  docker exec "$c" sh -c "mkdir -p $DIR $DATA; [ -f $PIDFILE ] && start-stop-daemon --stop --quiet --oknodo --pidfile $PIDFILE --remove-pidfile --retry TERM/10/KILL/5 || true"
  docker cp "$JAR" "$c:$NODE_JAR" >/dev/null
  if docker exec "$c" sh -c "[ -s $ARGS_FILE ] && [ -n \"\$(ls -A $DATA)\" ]"; then
    :
  elif is_founder "$n"; then
    docker exec "$c" sh -c "echo 'peers $MEMBERS' > $ARGS_FILE"
  else
    return 0
  fi
  start_node "$n"
}

# The nodes cluster.sh starts raftkv on: those with an $ARGS_FILE.
member_nodes() {
  local n
  for n in "${NODES[@]}"; do
    docker exec "$(container "$n")" test -s "$ARGS_FILE" 2>/dev/null && echo "$n"
  done
  return 0
}

# Starts the installed raftkv on one node, from its data directory.
start_node() {
  local n=$1 c bug=""
  c=$(container "$n")
  [ -n "${RAFTKV_BUG:-}" ] && bug="--bug $RAFTKV_BUG"
  # --peers of the founding members, or --join through a member (add-node), as $ARGS_FILE says.
  local how via cluster
  read -r how via < <(docker exec "$c" cat "$ARGS_FILE" 2>/dev/null || true)
  case "$how" in
    peers) cluster="--peers $(peers 8080 "$via") --peer-urls $(peers 8081 "$via")" ;;
    join)  cluster="--join http://$via:8080 --advertise-host $n" ;;
    *)     die "$n is no member (no $ARGS_FILE there): 'make add-node NODE=$n' adds it" ;;
  esac
  # The image's copy of the jar with its class-data-sharing archive if the installed jar is that
  # very jar (an archive is only valid for the file it was made from), else the installed jar.
  docker exec "$c" sh -c "jar=$NODE_JAR cds=''; \
    if [ -s $CDS_DIR/raftkv.jsa ] && [ \"\$(sha256sum < $CDS_DIR/raftkv-node.jar)\" = \"\$(sha256sum < $NODE_JAR)\" ]; then \
      jar=$CDS_DIR/raftkv-node.jar cds='-XX:SharedArchiveFile=$CDS_DIR/raftkv.jsa'; fi; \
    echo \"\$(date -Is) cluster.sh starting raftkv (\${cds:-no class-data archive for this jar})\" >> $LOGFILE; \
    start-stop-daemon --start --background --no-close --make-pidfile --pidfile $PIDFILE --chdir $DIR \
      --exec \$(readlink -f /usr/bin/java) -- $JAVA_OPTS \$cds -jar \$jar \
      --id $n --listen 0.0.0.0:8080 $cluster --listen-peers 0.0.0.0:8081 --data-dir $DATA --cluster-token $(cluster_token) $bug \
      >> $LOGFILE 2>&1"
}

# Waits until every member node answers GET /status, saying every 5 s how many do.
wait_http() {
  local n deadline=$((SECONDS + 90)) t0=$SECONDS t_print=$SECONDS ready=() members=()
  mapfile -t members < <(member_nodes)
  while [ ${#ready[@]} -lt ${#members[@]} ]; do
    for n in "${members[@]}"; do
      [[ " ${ready[*]} " == *" $n "* ]] && continue
      if [ $((SECONDS - t_print)) -ge 5 ]; then
        log "  $((SECONDS - t0))s: raftkv answers GET /status on ${#ready[@]} of ${#members[@]} nodes (the JVMs are starting)"
        t_print=$SECONDS
      fi
      if docker exec "$CONTROL" curl -sf -o /dev/null --max-time 1 "http://$n:8080/status"; then
        ready+=("$n"); continue
      fi
      if [ $SECONDS -ge $deadline ] || ! docker exec "$(container "$n")" sh -c "kill -0 \$(cat $PIDFILE)" 2>/dev/null; then
        echo "---- last lines of $n:$LOGFILE" >&2
        docker exec "$(container "$n")" tail -30 "$LOGFILE" >&2 || true
        die "raftkv on $n does not answer GET /status"
      fi
    done
    [ ${#ready[@]} -lt ${#members[@]} ] || break
    sleep 1
  done
}

# Waits (up to 30 s, not fatal) until all member nodes name the same leader.
wait_leader() {
  # 60 s: five JVMs starting at once on a busy 2-core machine took over 30 s (docs/docker.md).
  local wait_s=${LEADER_WAIT:-60}
  local deadline=$((SECONDS + wait_s)) n leaders="" t0=$SECONDS t_print=$SECONDS members=()
  mapfile -t members < <(member_nodes)
  while :; do
    if [ $((SECONDS - t_print)) -ge 5 ]; then
      log "  $((SECONDS - t0))s: waiting for the nodes to agree on a leader (they name: $(echo $leaders))"; t_print=$SECONDS
    fi
    leaders=$(for n in "${members[@]}"; do
      docker exec "$CONTROL" curl -s --max-time 2 "http://$n:8080/status" | grep -o '"leader":"[^"]*"' || echo none
    done | sort -u)
    if [ "$(echo "$leaders" | wc -l)" = 1 ] && [ "$leaders" != none ]; then
      log "leader: $(echo "$leaders" | cut -d'"' -f4) ($((SECONDS - ${T_COMPOSE_UP:-0}))s after ${T_LABEL:-compose up})"; return 0
    fi
    [ $SECONDS -lt $deadline ] || { log "WARNING: the nodes agree on no leader after ${wait_s}s (they name: $(echo $leaders)); a busy machine starts five JVMs slowly: 'docker/cluster.sh status' shows each node, and 'make partition NODES=leader' needs a leader"; return 0; }
    sleep 0.5
  done
}

up() {
  local t0=$SECONDS n
  # raftkv starts as soon as the containers run (docker exec needs no SSH); waiting until control
  # can SSH to every node, which only Jepsen needs, comes last.
  check_members
  containers_start
  log "installing $(basename "$JAR") on ${NODES[*]} and starting raftkv on the members (founding: $MEMBERS)${RAFTKV_BUG:+ (--bug $RAFTKV_BUG)}"
  install_all() { local n; for n in "${NODES[@]}"; do install_node "$n" & done; wait; }
  with_heartbeat "copying the jar to the nodes and starting raftkv" install_all
  wait_http
  wait_leader
  wait_ssh
  log "cluster up in $((SECONDS - t0))s: raftkv answers on $(member_nodes | paste -sd, -)"
  cat <<EOF

  Dashboard:         http://127.0.0.1:8001/   (any node: n1..n5 = ports 8001..8005; metrics at /metrics)
  From the host:     curl -s 127.0.0.1:8001/status
                     curl -s -XPUT 127.0.0.1:8001/kv/1 -d '{"name":"x"}'
                     curl -s 127.0.0.1:8005/kv/1
  Inside control:    docker exec -it $CONTROL bash            (ssh n1 works there)
  Admin routes:      curl -s -XPOST 127.0.0.1:8001/admin/transfer-leader -H "X-Raft-Token: \$(cat docker/.ssh/cluster-token)"
  Node logs:         docker/cluster.sh logs n1                (on the node: $LOGFILE)
  Membership:        make add-node NODE=n5 / make remove-node NODE=n2   (a node joins as a learner, is promoted)
  Jepsen:            make jepsen ARGS="--time-limit 60"
  Tear down:         make down
EOF
}

# Passes lines through, and after 8 s without one prints a heartbeat saying what is going on:
# before the first line, lein starting and loading Jepsen's Clojure code.
heartbeat() {
  local line t_line=$SECONDS t0=$SECONDS seen=0 rc
  while :; do
    if IFS= read -r -t 2 line; then
      printf '%s\n' "$line"; t_line=$SECONDS; seen=1
    else
      rc=$?; [ $rc -gt 128 ] || break
    fi
    if [ $((SECONDS - t_line)) -ge 8 ]; then
      if [ $seen = 0 ]; then
        log "$((SECONDS - t0))s: lein is starting the JVM and loading Jepsen's Clojure code (no output until it is done)"
      else
        log "$((SECONDS - t0))s: still working (no output for $((SECONDS - t_line))s)"
      fi
      t_line=$SECONDS
    fi
  done
}

# After a run, Jepsen's teardown has stopped raftkv on every node and wiped its data: start it
# again, fresh, so that the dashboard and `make partition`/`kill` work. The last lines say what
# state the cluster is in, and how to restore it when the restart fails.
restart_after_jepsen() {
  local n t0=$SECONDS
  log "Jepsen's teardown stopped raftkv and wiped its data on every node: restarting it fresh on $MEMBERS${RAFTKV_BUG:+ (--bug $RAFTKV_BUG)}"
  fresh_start() {
    local n
    for n in "${NODES[@]}"; do
      docker exec "$(container "$n")" sh -c "[ -f $PIDFILE ] && start-stop-daemon --stop --quiet --oknodo --pidfile $PIDFILE --remove-pidfile --retry TERM/10/KILL/5; rm -rf $DATA $ARGS_FILE; mkdir -p $DATA" >/dev/null 2>&1 || true
      if is_founder "$n"; then docker exec "$(container "$n")" sh -c "echo 'peers $MEMBERS' > $ARGS_FILE"; fi
    done
    for n in "${NODES[@]}"; do is_founder "$n" && start_node "$n" & done
    wait
  }
  with_heartbeat "starting raftkv on the nodes" fresh_start
  if (wait_http) 2>/dev/null; then
    T_COMPOSE_UP=$t0 T_LABEL="the restart" wait_leader
    log "cluster: raftkv runs again on $MEMBERS, empty, restarted in $((SECONDS - t0))s; dashboard http://127.0.0.1:8001/"
  else
    status >&2 || true
    log "cluster: raftkv is NOT running on every node (above: each node's /status). Restore it with: make cluster"
    return 1
  fi
}

jepsen() {
  [ -d "$ROOT/jepsen-test" ] || die "no jepsen-test/ directory in $ROOT"
  containers_up        # idempotent: builds (cached), recreates only what changed, waits for SSH
  local offline=() env=() rc=0 t0=$SECONDS jdk
  local offline_default=0
  [ -f "$RAFTKV_M2/repository/jepsen/jepsen/0.3.13/jepsen-0.3.13.jar" ] && offline_default=1
  [ "${LEIN_OFFLINE:-$offline_default}" = 1 ] && offline=(-o)
  if [ -n "${RAFTKV_CONTROL_JDK:-}" ]; then
    jdk=$(docker exec "$CONTROL" sh -c "ls -d /usr/lib/jvm/java-$RAFTKV_CONTROL_JDK-openjdk-* 2>/dev/null | head -1")
    [ -n "$jdk" ] || die "no JDK $RAFTKV_CONTROL_JDK in $CONTROL_IMAGE (build arg CONTROL_JDKS)"
    env=(-e "JAVA_CMD=$jdk/bin/java")
  fi
  # How the run's verdict box names the store and the report (paths as seen from the repository).
  env+=(-e RAFTKV_STORE_PREFIX=jepsen-test/ -e "RAFTKV_REPORT_BASE=http://127.0.0.1:$REPORT_PORT")
  local cmd=${JEPSEN_CMD:-test}     # test-all: the matrix with its summary table (make jepsen-all, make soak)
  log "lein ${offline[*]} run $cmd --nodes n1,n2,n3,n4,n5 --username root --ssh-private-key /root/.ssh/id_rsa --cluster-token (docker/.ssh/cluster-token) $*"
  log "the full Jepsen log goes to the run's jepsen.log in jepsen-test/store/; here: progress every 5 s, then the verdict"
  # No terminal for docker exec (the output goes through heartbeat), so Ctrl-C is passed on by hand,
  # to the whole process group (setsid): lein and the JVM it starts.
  trap 'docker exec "$CONTROL" sh -c "kill -INT -- -\$(cat /tmp/jepsen.pid) 2>/dev/null" || true' INT
  docker exec "${env[@]}" -w /raftkv/jepsen-test -e JVM_OPTS=-Djava.awt.headless=true "$CONTROL" \
    setsid -w sh -c 'echo $$ > /tmp/jepsen.pid; exec "$@"' sh \
    lein "${offline[@]}" run "$cmd" --nodes n1,n2,n3,n4,n5 --username root \
      --ssh-private-key /root/.ssh/id_rsa --cluster-token "$(cluster_token)" "$@" 2>&1 \
    | grep --line-buffered -v -e '^WARNING: .*sun\.misc\.Unsafe' -e '^WARNING: Please consider reporting' \
    | heartbeat || rc=${PIPESTATUS[0]}
  trap - INT
  log "jepsen finished in $((SECONDS - t0))s with exit code $rc ($( case $rc in 0) echo "the verdict is the expected one";; 1) echo "the verdict is NOT the expected one";; 2) echo "no verdict: a checker could not decide";; *) echo "the run or lein failed";; esac))"
  restart_after_jepsen || true
  return $rc
}

# Serves the store in the background (lein run serve in control), waits until it answers, and says
# how to stop it. The server's pid (in control) is kept in /tmp/report.pid there.
report() {
  [ -d "$ROOT/jepsen-test/store" ] || die "no Jepsen store yet (jepsen-test/store): run 'make jepsen' first"
  running "$CONTROL" || containers_up
  if docker exec "$CONTROL" curl -sf -o /dev/null --max-time 2 http://127.0.0.1:8080/; then
    log "already serving on http://127.0.0.1:$REPORT_PORT (pid $(docker exec "$CONTROL" cat /tmp/report.pid 2>/dev/null || echo '?') in $CONTROL); stop it with: make report-stop"
    return 0
  fi
  local t0=$SECONDS t_print=$SECONDS pid
  log "starting 'lein run serve' for jepsen-test/store in $CONTROL (lein loads Jepsen first: tens of seconds)"
  # Its own process group (setsid): lein starts a second JVM, and report-stop ends the whole group.
  docker exec -d -w /raftkv/jepsen-test "$CONTROL" setsid sh -c 'echo $$ > /tmp/report.pid; exec lein -o run serve --host 0.0.0.0 --port 8080 > /tmp/report.log 2>&1'
  until docker exec "$CONTROL" curl -sf -o /dev/null --max-time 2 http://127.0.0.1:8080/; do
    pid=$(docker exec "$CONTROL" cat /tmp/report.pid 2>/dev/null || true)
    if [ -z "$pid" ] || ! docker exec "$CONTROL" kill -0 "$pid" 2>/dev/null; then
      docker exec "$CONTROL" tail -20 /tmp/report.log >&2 || true
      die "lein run serve ended before it answered (its output is above)"
    fi
    [ $((SECONDS - t0)) -lt 300 ] || die "lein run serve has not answered in 300s ('make report-stop' ends it)"
    if [ $((SECONDS - t_print)) -ge 8 ]; then log "  $((SECONDS - t0))s: waiting for the server to answer"; t_print=$SECONDS; fi
    sleep 1
  done
  pid=$(docker exec "$CONTROL" cat /tmp/report.pid)
  log "serving jepsen-test/store on http://127.0.0.1:$REPORT_PORT (answered after $((SECONDS - t0))s; pid $pid in $CONTROL)"
  log "the latest run: http://127.0.0.1:$REPORT_PORT/files/$(basename "$(dirname "$(readlink -f "$ROOT/jepsen-test/store/latest")")")/$(basename "$(readlink -f "$ROOT/jepsen-test/store/latest")")/"
  log "stop it with: make report-stop"
}

report_stop() {
  local pid
  pid=$(docker exec "$CONTROL" cat /tmp/report.pid 2>/dev/null || true)
  if [ -n "$pid" ] && docker exec "$CONTROL" kill -0 "$pid" 2>/dev/null; then
    docker exec "$CONTROL" kill -- "-$pid"      # the process group: lein and the JVM it started
    docker exec "$CONTROL" rm -f /tmp/report.pid
    log "stopped the report server (process group $pid in $CONTROL: lein and its JVM)"
  else
    log "no report server runs: nothing stopped"
  fi
}

# `lein run explain -t -1` in control: the failing keys of the latest run, in words and as SVGs.
explain() {
  running "$CONTROL" || die "the control container is not running: 'make cluster' first (explain runs lein there)"
  local t0=$SECONDS rc=0
  log "lein -o run explain ${*:--t -1} (in $CONTROL; lein loads Jepsen first)"
  docker exec -w /raftkv/jepsen-test -e JVM_OPTS=-Djava.awt.headless=true -e RAFTKV_STORE_PREFIX=jepsen-test/ "$CONTROL" \
    lein -o run explain "$@" 2>&1 \
    | grep --line-buffered -v -e '^WARNING: ' | heartbeat || rc=${PIPESTATUS[0]}
  log "explain finished in $((SECONDS - t0))s"
  return $rc
}

status() {
  need_engine
  compose ps
  local n i=1
  for n in "${NODES[@]}"; do
    printf '%s (127.0.0.1:%d): ' "$n" $((PORT_BASE + i))
    docker exec "$(container "$n")" curl -s --max-time 2 http://127.0.0.1:8080/status 2>/dev/null || printf 'not answering'
    echo; i=$((i + 1))
  done
}

logs() {
  local n=${1:-}
  [[ " ${NODES[*]} " == *" $n "* ]] || die "usage: $0 logs n1|n2|n3|n4|n5"
  docker exec "$(container "$n")" cat "$LOGFILE"
}

# ---------------------------------------------------------------- faults by hand

node_arg() {
  [[ " ${NODES[*]} " == *" ${1:-} "* ]] || die "usage: $0 $2 n1|n2|n3|n4|n5"
  running "$(container "$1")" || die "container $(container "$1") is not running: 'make cluster' first"
}

ip_of() { docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$(container "$1")"; }

# The leader the first answering node names.
current_leader() {
  local n leader
  for n in "${NODES[@]}"; do
    leader=$(docker exec "$CONTROL" curl -s --max-time 2 "http://$n:8080/status" 2>/dev/null \
      | sed -n 's/.*"leader":"\([^"]*\)".*/\1/p')
    [ -n "$leader" ] && { echo "$leader"; return 0; }
  done
  return 1
}

partition() {
  local spec=${1:-} group=() others=() a b n
  [ -n "$spec" ] || die "usage: $0 partition n1,n2|leader"
  if [ "$spec" = leader ]; then
    spec=$(current_leader) || die "no node names a leader: nothing to cut off"
  fi
  IFS=, read -r -a group <<<"$spec"
  for n in "${group[@]}"; do node_arg "$n" partition; done
  for n in "${NODES[@]}"; do [[ ",$spec," == *",$n,"* ]] || others+=("$n"); done
  [ ${#others[@]} -gt 0 ] || die "cutting off every node from no one: name fewer nodes"
  for a in "${group[@]}"; do
    for b in "${others[@]}"; do
      docker exec "$(container "$a")" iptables -A INPUT -s "$(ip_of "$b")" -j DROP
      docker exec "$(container "$b")" iptables -A INPUT -s "$(ip_of "$a")" -j DROP
    done
  done
  log "partition: {${group[*]}} | {${others[*]}} (iptables DROP both ways; 'make heal' removes it)"
  log "watch:     a leader on the smaller side steps down within an election timeout (CheckQuorum);"
  log "           the majority side elects one if it has none: docker/cluster.sh status"
}

heal() {
  local n
  for n in "${NODES[@]}"; do
    running "$(container "$n")" && docker exec "$(container "$n")" iptables -F INPUT
  done
  log "healed: every node reaches every other; cut-off nodes catch up from the leader's log"
}

# Does raftkv run on node $1 (its pidfile names a live process)?
raftkv_runs() {
  docker exec "$(container "$1")" sh -c "[ -f $PIDFILE ] && kill -0 \$(cat $PIDFILE) 2>/dev/null"
}

kill_node() {
  node_arg "${1:-}" kill
  if ! raftkv_runs "$1"; then
    log "raftkv was not running on $1: nothing killed (after 'make jepsen' fails to restart the cluster, 'make cluster' starts it again)"
    return 0
  fi
  docker exec "$(container "$1")" sh -c "start-stop-daemon --stop --quiet --oknodo --signal KILL --pidfile $PIDFILE --remove-pidfile"
  log "killed raftkv on $1 (kill -9; its data stays in $DATA). 'make start NODE=$1' restarts it"
}

# Starts raftkv on one node. Refuses (unless FORCE=1) when no other node runs raftkv: a lone node
# cannot elect a leader (it needs 3 of 5 votes) and would sit as pre_candidate in term 0.
start_one() {
  local n others=()
  node_arg "${1:-}" start
  raftkv_runs "$1" && die "raftkv already runs on $1"
  docker exec "$(container "$1")" test -s "$ARGS_FILE" \
    || die "$1 is no member of the cluster (never added, or removed): 'make add-node NODE=$1' adds it"
  for n in "${NODES[@]}"; do [ "$n" != "$1" ] && raftkv_runs "$n" && others+=("$n"); done
  if [ ${#others[@]} -eq 0 ] && [ "${FORCE:-0}" != 1 ]; then
    die "raftkv runs on no other node: $1 alone cannot elect a leader (a majority is 3 of 5) and would wait as pre_candidate in term 0. Start the whole cluster with 'make cluster' (or FORCE=1 make start NODE=$1 to start it anyway)"
  fi
  start_node "$1"
  if [ ${#others[@]} -ge 2 ]; then
    log "started raftkv on $1 from its data directory; it rejoins ${others[*]} and catches up"
  else
    log "started raftkv on $1 from its data directory; with ${others[*]:-no other node} running there is no majority (3 of 5) yet: no leader until more nodes start"
  fi
}

down() {
  need_engine
  log "removing the cluster's containers, network and volumes"
  compose down -v --remove-orphans --timeout 2 >/dev/null 2>&1 || true
  # Anything left under our label (e.g. from another compose version or project name).
  local ids
  ids=$(docker ps -aq --filter "label=$LABEL")
  [ -z "$ids" ] || docker rm -f -v $ids >/dev/null
  ids=$(docker network ls -q --filter "label=$LABEL")
  [ -z "$ids" ] || docker network rm $ids >/dev/null
  docker network inspect "$NETWORK" >/dev/null 2>&1 && docker network rm "$NETWORK" >/dev/null
  if [ "${1:-}" = "--images" ]; then docker rmi "$NODE_IMAGE" "$CONTROL_IMAGE" >/dev/null 2>&1 || true; fi
  log "down"
}

# Membership changes (issue 20): add_node, remove_node.
# shellcheck source=docker/members.sh
. "$HERE/members.sh"

cmd=${1:-}; [ $# -gt 0 ] && shift
case "$cmd" in
  up) up ;;
  jepsen) jepsen "$@" ;;
  report) report ;;
  report-stop) need_engine; running "$CONTROL" && report_stop || log "the control container is not running: no report server" ;;
  explain) need_engine; explain "$@" ;;
  status) status ;;
  logs) logs "$@" ;;
  partition) need_engine; partition "$@" ;;
  heal) need_engine; heal ;;
  kill) need_engine; kill_node "$@" ;;
  start) need_engine; start_one "$@" ;;
  down) down "$@" ;;
  add-node) need_engine; add_node "$@" ;;
  remove-node) need_engine; remove_node "$@" ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac; exit $?   # on esac's line: bash stops reading here, so editing this file during a run is harmless
