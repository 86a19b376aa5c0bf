#!/bin/sh
# Image build step (docker/node/Dockerfile): start raftkv as a 2-node cluster on loopback, make it do
# what a node does in its first seconds (elect, replicate, forward, serve /status, /cluster,
# /metrics and the dashboard), then stop it. Node n1 runs with -XX:ArchiveClassesAtExit, so at exit
# the JVM writes every class it loaded, parsed and verified, into an AppCDS archive; a node started
# with -XX:SharedArchiveFile maps them instead of loading them again (docker/cluster.sh does that
# when the jar it installs is this one).
set -eu
DIR=${RAFTKV_CDS_DIR:-/opt/raftkv-cds}   # overridable to try the training outside the image
JAR=$DIR/raftkv-node.jar
ARCHIVE=$DIR/raftkv.jsa
WORK=$(mktemp -d)
PEERS=n1=http://127.0.0.1:18081,n2=http://127.0.0.1:18082   # two: peers, forwarding, /cluster

for n in 1 2; do
  opts=""
  [ $n = 1 ] && opts="-XX:ArchiveClassesAtExit=$ARCHIVE -Xlog:cds=off -Xlog:cds+dynamic=off"
  # shellcheck disable=SC2086
  java -XX:+ExitOnOutOfMemoryError $opts -jar $JAR --id n$n --listen 127.0.0.1:1808$n --peers $PEERS --data-dir "$WORK/n$n" \
    > "$WORK/n$n.log" 2>&1 &
  echo $! > "$WORK/n$n.pid"
done

fail() { echo "cds-training: $*" >&2; tail -n 20 "$WORK"/n*.log >&2; exit 1; }
# Generous: on a busy 2-core machine two JVMs may take a minute or more to start and elect.
deadline=$(( $(date +%s) + 600 ))
until curl -sf -o /dev/null -X PUT 127.0.0.1:18082/kv/1 -d '{"name":"warm"}'; do   # via n2, forwarded if need be
  [ "$(date +%s)" -lt "$deadline" ] || fail "the training cluster accepted no write in 600 s"
  sleep 0.2
done
for p in 18081 18082; do
  for id in 1 2 3; do
    curl -sf -o /dev/null -X PUT 127.0.0.1:$p/kv/$id -d '{"name":"n'$id'"}' || true
    curl -sf -o /dev/null 127.0.0.1:$p/kv/$id || true
  done
  curl -sf -o /dev/null -X POST 127.0.0.1:$p/kv/1/cas -d '{"expected":"n1","name":"x"}' || true
  curl -sf -o /dev/null -X DELETE 127.0.0.1:$p/kv/2 || true
  curl -sf -o /dev/null 127.0.0.1:$p/kv || true
  curl -s -o /dev/null 127.0.0.1:$p/kv/does-not-exist || true
  for path in /status /cluster /metrics / /dashboard/app.js /dashboard/style.css /nope; do
    curl -s -o /dev/null 127.0.0.1:$p$path || true
  done
done

# SIGTERM: the JVM exits normally and n1 writes the archive on the way out.
for n in 1 2; do kill -TERM "$(cat "$WORK/n$n.pid")"; done
for n in 1 2; do
  pid=$(cat "$WORK/n$n.pid"); i=0
  while kill -0 "$pid" 2>/dev/null; do i=$((i + 1)); [ $i -lt 300 ] || fail "n$n did not stop"; sleep 0.2; done
done
[ -s "$ARCHIVE" ] || fail "no archive written to $ARCHIVE"
echo "cds-training: $(du -h "$ARCHIVE" | cut -f1) archive of the classes a starting node loads"
rm -rf "$WORK"
