#!/usr/bin/env bash
# Which cluster `make add-node` / `make remove-node` act on, when CLUSTER is not given: prints
# "local" when the cluster of scripts/local-cluster.sh runs (a live pid in RUN_DIR, default
# run/local/), "docker" when the Docker cluster's containers run (docker/cluster.sh), "both" or
# "none" otherwise (the Makefile then says what to do).
cd "$(dirname "$0")/.."
RUN_DIR=${RUN_DIR:-run/local}
local=0 docker=0
for f in "$RUN_DIR"/n*.pid; do
  [ -e "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && { local=1; break; }
done
if command -v docker >/dev/null 2>&1 \
    && [ "$(timeout 10 docker inspect -f '{{.State.Running}}' raftkv-n1 2>/dev/null)" = true ]; then
  docker=1
fi
case "$local$docker" in
  10) echo local ;;
  01) echo docker ;;
  11) echo both ;;
  *)  echo none ;;
esac
