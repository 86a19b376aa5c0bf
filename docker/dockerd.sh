#!/usr/bin/env bash
# Start or stop a Docker engine on a machine without systemd (a CI VM, a container, WSL...).
#
#   docker/dockerd.sh start    start dockerd in the background unless an engine already answers
#   docker/dockerd.sh stop     stop the dockerd that `start` started (by its pidfile; nothing else)
#   docker/dockerd.sh status   say whether an engine answers and whether we started it
#
# With systemd use `systemctl start docker` instead. Needs root (or sudo) and Debian's docker.io
# (`apt-get install -y docker.io`). The pid of the dockerd we start is kept in $PIDFILE; `stop`
# only ever kills that pid, so an engine started some other way is never touched.
set -euo pipefail

PIDFILE=${RAFTKV_DOCKERD_PIDFILE:-/var/run/raftkv-dockerd.pid}
LOGFILE=${RAFTKV_DOCKERD_LOG:-/var/log/raftkv-dockerd.log}
SOCK=${RAFTKV_DOCKERD_SOCK:-unix:///var/run/docker.sock}
DOCKERD=${DOCKERD:-$(command -v dockerd || echo /usr/sbin/dockerd)}
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

engine_up() { docker info >/dev/null 2>&1; }
our_pid() { # prints the pid from the pidfile if that process is still alive
  local pid
  [ -f "$PIDFILE" ] || return 1
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  # alive, and still a dockerd (or the sudo that runs it): a reused pid is never ours
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  case "$(cat "/proc/$pid/comm" 2>/dev/null)" in dockerd|sudo) echo "$pid" ;; *) return 1 ;; esac
}

start() {
  if engine_up; then echo "dockerd: an engine is already running"; return 0; fi
  if pid=$(our_pid); then echo "dockerd: pid $pid is starting, waiting"; else
    [ -x "$DOCKERD" ] || { echo "dockerd: $DOCKERD not found: apt-get install -y docker.io" >&2; return 1; }
    $SUDO mkdir -p "$(dirname "$PIDFILE")" "$(dirname "$LOGFILE")"
    # setsid: its own session, so it outlives this shell and a Ctrl-C here does not reach it.
    $SUDO setsid nohup "$DOCKERD" --host="$SOCK" >"$LOGFILE" 2>&1 </dev/null &
    pid=$!
    echo "$pid" | $SUDO tee "$PIDFILE" >/dev/null
    echo "dockerd: started pid $pid (log $LOGFILE)"
  fi
  for _ in $(seq 1 60); do
    engine_up && { echo "dockerd: engine ready"; return 0; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  echo "dockerd: engine did not come up; last lines of $LOGFILE:" >&2
  tail -20 "$LOGFILE" >&2 || true
  return 1
}

stop() {
  local pid
  if ! pid=$(our_pid); then
    rm -f "$PIDFILE" 2>/dev/null || true
    echo "dockerd: none started by this script is running"; return 0
  fi
  $SUDO kill -TERM "$pid"
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  if kill -0 "$pid" 2>/dev/null; then echo "dockerd: pid $pid ignored SIGTERM, sending SIGKILL"; $SUDO kill -KILL "$pid" || true; fi
  $SUDO rm -f "$PIDFILE"
  echo "dockerd: stopped pid $pid"
}

status() {
  if engine_up; then echo "engine: running"; else echo "engine: not answering"; fi
  if pid=$(our_pid); then echo "started by dockerd.sh: pid $pid"; else echo "started by dockerd.sh: no"; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
