#!/usr/bin/env bash
# End-to-end smoke test of raftkv in Docker: five real nodes on a bridge network, one partition.
#
#   docker/smoke.sh
#
#  1. makes sure a Docker engine runs: installs docker.io, docker-compose and debootstrap with
#     apt-get if missing, and starts dockerd (docker/dockerd.sh) if none answers. If that cannot
#     be done it prints a SKIP line and exits 0 (this machine cannot run the test; not a failure).
#  2. builds the base image (docker/base-image.sh) and the images, starts control + n1..n5 and
#     raftkv on all five (docker/cluster.sh up); builds the node jar first if it is missing.
#  3. writes through n1, reads the value back through every node.
#  4. cuts the current leader off from the other four with iptables, both directions; checks that
#     the four elect a new leader and accept a write, and that the isolated node neither serves
#     that value nor gets a write of its own acknowledged.
#  5. heals the partition; checks that the isolated node catches up (reads the new value).
#  6. docker/cluster.sh down, and stops dockerd if (only if) step 1 started it.
# Each stage prints its elapsed time; exits non-zero on the first failure, with the node logs.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
NODES=(n1 n2 n3 n4 n5)
JAR=${RAFTKV_JAR:-$ROOT/java-node/server/target/raftkv-node.jar}
T0=$SECONDS
STARTED_DOCKERD=0
CLUSTER_STARTED=0
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

stage() { printf '\n== smoke [%4ds] %s\n' $((SECONDS - T0)) "$*"; }
ok() { printf '   ok: %s\n' "$*"; }
SKIPPED=0
skip() { printf '\nSKIP: docker smoke test skipped: %s\n' "$*"; SKIPPED=1; exit 0; }

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ "$CLUSTER_STARTED" = 1 ]; then
    if [ $rc -ne 0 ]; then dump_logs; fi
    stage "teardown: docker/cluster.sh down"
    "$HERE/cluster.sh" down || true
    # clean: no container and no network of ours is left
    local left
    left=$(docker ps -aq --filter label=org.raftkv.cluster=1; docker network ls -q --filter name=raftkv-jepsen)
    if [ -n "$left" ]; then echo "   FAIL: left behind after down: $left"; [ $rc -ne 0 ] || rc=1; else ok "no container or network left"; fi
  fi
  if [ "$STARTED_DOCKERD" = 1 ]; then
    stage "stopping the dockerd this test started"
    "$HERE/dockerd.sh" stop || true
  fi
  if [ "$SKIPPED" = 1 ]; then
    :
  elif [ $rc -eq 0 ]; then
    printf '\nPASS: docker smoke test passed in %ds\n' $((SECONDS - T0))
  else
    printf '\nFAIL: docker smoke test failed (exit %d) after %ds\n' $rc $((SECONDS - T0))
  fi
  exit $rc
}
fail() { printf '   FAIL: %s\n' "$*" >&2; exit 1; }

dump_logs() {
  local n
  for n in "${NODES[@]}"; do
    echo "---- $n: last lines of /opt/raftkv/raftkv.log"
    docker exec "raftkv-$n" tail -25 /opt/raftkv/raftkv.log 2>/dev/null || echo "(unavailable)"
  done
}

# ---------------------------------------------------------------- helpers over the cluster

port() { echo $((8000 + ${1#n})); }                      # n3 -> 8003 (published on 127.0.0.1)
ip_of() { docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "raftkv-$1"; }
# curl from control to a node, by name on the cluster network: body on stdout, fails on non-2xx.
ccurl() { docker exec raftkv-control curl -sf --max-time "${CURL_MAX:-5}" "$@"; }
put() { ccurl -X PUT -H 'content-type: application/json' -d "{\"name\":\"$3\"}" "http://$1:8080/kv/$2"; }
get_name() { ccurl "http://$1:8080/kv/$2" | sed -n 's/.*"name":"\([^"]*\)".*/\1/p'; }
status_field() { ccurl "http://$1:8080/status" | sed -n "s/.*\"$2\":\"\\{0,1\\}\\([^\",}]*\\).*/\\1/p"; }
# retry CMD... for up to $1 seconds until it succeeds
retry() { local limit=$1 deadline; shift; deadline=$((SECONDS + limit)); until "$@"; do [ $SECONDS -lt $deadline ] || return 1; sleep 0.5; done; }
reads_as() { [ "$(get_name "$1" "$2")" = "$3" ]; }
has_leader_in() { # node, set of allowed leaders (space separated)
  local l; l=$(status_field "$1" leader); [ -n "$l" ] && [ "$l" != null ] && [[ " $2 " == *" $l "* ]]; }

trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- 1. a Docker engine

stage "Docker engine"
missing=()
command -v docker >/dev/null 2>&1 || missing+=(docker.io)
{ docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1; } || missing+=(docker-compose)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  echo "   installing ${missing[*]}"
  if ! { [ -z "$SUDO" ] || sudo -n true 2>/dev/null; }; then skip "${missing[*]} missing and no root to install them"; fi
  { $SUDO apt-get update -q && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"; } >/tmp/raftkv-smoke-apt.log 2>&1 \
    || skip "could not install ${missing[*]} (see /tmp/raftkv-smoke-apt.log)"
fi
if ! docker info >/dev/null 2>&1; then
  "$HERE/dockerd.sh" start || skip "could not start dockerd (see ${RAFTKV_DOCKERD_LOG:-/var/log/raftkv-dockerd.log})"
  STARTED_DOCKERD=1
fi
ok "$(docker version -f 'engine {{.Server.Version}}' 2>/dev/null)"

# ---------------------------------------------------------------- 2. images, cluster, raftkv

stage "base image"
t=$SECONDS
"$HERE/base-image.sh" || fail "base image"
ok "base image in $((SECONDS - t))s"

if [ ! -f "$JAR" ]; then
  stage "building the node jar (missing)"
  make -C "$ROOT" build >/tmp/raftkv-smoke-build.log 2>&1 || { tail -30 /tmp/raftkv-smoke-build.log; fail "make build"; }
fi

stage "cluster up: images, containers, raftkv on n1..n5"
t=$SECONDS
CLUSTER_STARTED=1
RAFTKV_JAR=$JAR "$HERE/cluster.sh" up || fail "docker/cluster.sh up"
ok "cluster up in $((SECONDS - t))s"

# ---------------------------------------------------------------- 3. replication

stage "write through n1, read through every node"
v1="smoke-$(date +%s)"
retry 30 put n1 1 "$v1" >/dev/null || fail "PUT /kv/1 through n1 was not acknowledged within 30s"
ok "PUT /kv/1 {name: $v1} through n1"
for n in "${NODES[@]}"; do
  retry 15 reads_as "$n" 1 "$v1" || fail "GET /kv/1 through $n does not return $v1 (got '$(get_name "$n" 1)')"
done
ok "GET /kv/1 = $v1 through n1..n5 (from control)"
if command -v curl >/dev/null 2>&1; then
  for n in "${NODES[@]}"; do
    curl -sf --max-time 5 "http://127.0.0.1:$(port "$n")/kv/1" | grep -q "\"$v1\"" \
      || fail "GET 127.0.0.1:$(port "$n")/kv/1 from the host does not return $v1"
  done
  ok "GET /kv/1 = $v1 through the published ports 127.0.0.1:8001..8005"
fi

# ---------------------------------------------------------------- 4. partition

stage "partition: isolate the leader"
leader=$(status_field n1 leader)
[[ " ${NODES[*]} " == *" $leader "* ]] || leader=n5
majority=(); for n in "${NODES[@]}"; do [ "$n" = "$leader" ] || majority+=("$n"); done
iso_ip=$(ip_of "$leader")
for n in "${majority[@]}"; do
  ip=$(ip_of "$n")
  docker exec "raftkv-$leader" iptables -A INPUT -s "$ip" -j DROP || fail "iptables on $leader"
  docker exec "raftkv-$n" iptables -A INPUT -s "$iso_ip" -j DROP || fail "iptables on $n"
done
ok "$leader ($iso_ip) cut off from ${majority[*]} (iptables DROP, both directions)"

retry 30 has_leader_in "${majority[0]}" "${majority[*]}" \
  || fail "the majority ${majority[*]} elected no new leader within 30s ($(status_field "${majority[0]}" leader))"
new_leader=$(status_field "${majority[0]}" leader)
ok "the majority elected $new_leader"

v2="after-partition-$(date +%s)"
retry 30 put "${majority[0]}" 1 "$v2" >/dev/null || fail "the majority did not accept a write within 30s"
ok "PUT /kv/1 {name: $v2} through ${majority[0]} acknowledged"
for n in "${majority[@]}"; do
  retry 15 reads_as "$n" 1 "$v2" || fail "GET /kv/1 through $n does not return $v2"
done
ok "the majority ${majority[*]} serves $v2"

got=$(CURL_MAX=3 get_name "$leader" 1 2>/dev/null || true)
[ "$got" != "$v2" ] || fail "isolated $leader serves $v2, which was written on the other side of the partition"
ok "isolated $leader does not serve $v2 (answered: '${got:-no answer}')"
if CURL_MAX=4 put "$leader" 2 "minority-$(date +%s)" >/dev/null 2>&1; then
  fail "isolated $leader acknowledged a write with no majority"
fi
ok "isolated $leader acknowledges no write (role now: $(status_field "$leader" role))"

# ---------------------------------------------------------------- 5. heal

stage "heal the partition"
for n in "${NODES[@]}"; do docker exec "raftkv-$n" iptables -F INPUT || fail "iptables -F on $n"; done
ok "iptables flushed on n1..n5"
retry 30 reads_as "$leader" 1 "$v2" || fail "$leader did not catch up: GET /kv/1 through it gives '$(get_name "$leader" 1)', not $v2"
ok "$leader caught up: GET /kv/1 through it = $v2"
leaders=$(for n in "${NODES[@]}"; do status_field "$n" leader; echo; done | grep -v '^$' | sort -u)
[ "$(echo "$leaders" | wc -l)" = 1 ] && ok "all five agree on leader $leaders" || echo "   note: leaders seen: $(echo $leaders)"

stage "done"
exit 0
