#!/bin/sh
# Node container start: fresh host keys, the cluster's public key as root's authorized key, then
# sshd in the foreground as the container's main process (under docker's init, which reaps
# daemons that Jepsen or cluster.sh start and leave behind).
set -eu
ssh-keygen -A >/dev/null
if [ -f /raftkv-ssh/id_rsa.pub ]; then
  install -m 600 -o root -g root /raftkv-ssh/id_rsa.pub /root/.ssh/authorized_keys
else
  echo "node-entrypoint: /raftkv-ssh/id_rsa.pub is missing: no one will be able to log in" >&2
fi
mkdir -p /run/sshd /opt/raftkv
exec /usr/sbin/sshd -D -e
