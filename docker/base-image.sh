#!/usr/bin/env bash
# Builds the base image the raftkv Docker images start FROM (default debian:trixie-slim) without
# Docker Hub: debootstrap a minimal Debian into a temporary directory and `docker import` it.
#
#   docker/base-image.sh            make sure $BASE_IMAGE exists (does nothing if it already does)
#   docker/base-image.sh --force    rebuild it even if it exists
#
# Environment:
#   BASE_IMAGE        image name to produce                 (default debian:trixie-slim)
#   SUITE             Debian suite to bootstrap             (default: the tag's codename, else trixie)
#   DEBIAN_MIRROR     Debian mirror for debootstrap and apt (default http://deb.debian.org/debian)
#   SECURITY_MIRROR   security mirror written to apt sources; empty to leave it out
#                     (default http://deb.debian.org/debian-security)
#   TRY_PULL=1        try `docker pull $BASE_IMAGE` first (where Docker Hub is reachable, e.g. on
#                     GitHub Actions) and debootstrap only if that fails. Default 0.
# Needs root (or sudo) for debootstrap; installs debootstrap with apt-get if it is missing.
set -euo pipefail

BASE_IMAGE=${BASE_IMAGE:-debian:trixie-slim}
tag=${BASE_IMAGE##*:}; codename=${tag%%-*}
case "$codename" in bookworm|trixie|forky|sid) SUITE=${SUITE:-$codename} ;; *) SUITE=${SUITE:-trixie} ;; esac
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${SECURITY_MIRROR-http://deb.debian.org/debian-security}
TRY_PULL=${TRY_PULL:-0}
FORCE=0; [ "${1:-}" = "--force" ] && FORCE=1
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

docker info >/dev/null 2>&1 || {
  echo "base-image: no Docker engine answers. Start one: 'systemctl start docker', or without systemd 'docker/dockerd.sh start'" >&2
  exit 1
}

if [ "$FORCE" = 0 ] && docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  echo "base-image: $BASE_IMAGE already exists ($(docker image inspect -f '{{.Created}}' "$BASE_IMAGE")); --force rebuilds it"
  exit 0
fi

start=$(date +%s)
if [ "$TRY_PULL" = 1 ] && timeout 120 docker pull -q "$BASE_IMAGE"; then
  echo "base-image: pulled $BASE_IMAGE in $(( $(date +%s) - start ))s"
  exit 0
fi

if ! command -v debootstrap >/dev/null 2>&1; then
  echo "base-image: installing debootstrap"
  $SUDO apt-get update -q && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap
fi

rootfs=$(mktemp -d /tmp/raftkv-rootfs.XXXXXX)
cleanup() { $SUDO rm -rf --one-file-system "$rootfs"; }
trap cleanup EXIT

echo "base-image: debootstrap --variant=minbase $SUITE from $DEBIAN_MIRROR (a minute or two)"
# debootstrap writes its progress to a log; a heartbeat with its latest line every 8 s shows it is
# downloading and unpacking, not stuck.
$SUDO debootstrap --variant=minbase "$SUITE" "$rootfs" "$DEBIAN_MIRROR" > "$rootfs.log" 2>&1 &
debootstrap_pid=$!
t0=$SECONDS
while kill -0 "$debootstrap_pid" 2>/dev/null; do
  for _ in 1 2 3 4 5 6 7 8; do kill -0 "$debootstrap_pid" 2>/dev/null && sleep 1; done
  kill -0 "$debootstrap_pid" 2>/dev/null \
    && echo "base-image: debootstrap running for $((SECONDS - t0))s: $(tail -1 "$rootfs.log" | cut -c1-100)"
done
wait "$debootstrap_pid" || {
  echo "base-image: debootstrap failed; last lines of its log:" >&2; tail -30 "$rootfs.log" >&2; rm -f "$rootfs.log"; exit 1; }
rm -f "$rootfs.log"

# apt sources (deb822, as the official image has them), and the official image's apt settings:
# no recommends, no caches kept in layers.
$SUDO rm -f "$rootfs/etc/apt/sources.list"
{
  printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$DEBIAN_MIRROR" "$SUITE" "$SUITE"
  if [ -n "$SECURITY_MIRROR" ] && [ "$SUITE" != sid ]; then
    printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$SECURITY_MIRROR" "$SUITE"
  fi
} | $SUDO tee "$rootfs/etc/apt/sources.list.d/debian.sources" >/dev/null
[ "$SUITE" = sid ] && $SUDO sed -i 's/ sid-updates//' "$rootfs/etc/apt/sources.list.d/debian.sources"
printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' \
  | $SUDO tee "$rootfs/etc/apt/apt.conf.d/90raftkv-norecommends" >/dev/null
printf 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\nAPT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\nDir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n' \
  | $SUDO tee "$rootfs/etc/apt/apt.conf.d/docker-clean" >/dev/null
# Docker supplies these at run time.
$SUDO rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log \
  "$rootfs"/etc/hostname "$rootfs"/etc/resolv.conf "$rootfs"/etc/machine-id
$SUDO touch "$rootfs/etc/machine-id"

echo "base-image: importing as $BASE_IMAGE"
$SUDO tar --numeric-owner -C "$rootfs" -c . | docker import \
  --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' \
  --message "debootstrap --variant=minbase $SUITE $DEBIAN_MIRROR" - "$BASE_IMAGE" >/dev/null
echo "base-image: $BASE_IMAGE built in $(( $(date +%s) - start ))s ($(docker image inspect -f '{{.Size}}' "$BASE_IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
