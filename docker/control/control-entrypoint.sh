#!/bin/sh
# Control container start: install the cluster's private key as root's id_rsa and an SSH config
# that trusts n1..n5 without known_hosts, then idle; work arrives by `docker exec`.
set -eu
if [ -f /raftkv-ssh/id_rsa ]; then
  install -m 600 -o root -g root /raftkv-ssh/id_rsa /root/.ssh/id_rsa
  install -m 644 -o root -g root /raftkv-ssh/id_rsa.pub /root/.ssh/id_rsa.pub
else
  echo "control-entrypoint: /raftkv-ssh/id_rsa is missing: SSH to the nodes will fail" >&2
fi
cat > /root/.ssh/config <<'CFG'
Host n1 n2 n3 n4 n5 *
  User root
  IdentityFile /root/.ssh/id_rsa
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  LogLevel ERROR
  ConnectTimeout 5
CFG
chmod 600 /root/.ssh/config
exec sleep infinity
