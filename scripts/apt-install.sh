#!/usr/bin/env bash
# Installs Debian packages the tests need (mosquitto, postgresql, chromium),
# one apt run at a time: test workers run in parallel and apt holds its
# locks (lists, dpkg) for the whole run, so every caller takes a shared
# flock first and then installs only what is still missing.
#
#   scripts/apt-install.sh [--no-start] package...
#
# --no-start keeps the packages' own system services from starting
# (policy-rc.d): the tests start their servers themselves, on loopback.
# Non-interactive (DEBIAN_FRONTEND, no stdin): works on a fresh CI machine.
# Exit status: 0 installed (or already there), 3 cannot install (reason on stderr).
set -euo pipefail

log() { echo "apt-install.sh: $*" >&2; }

no_start=0
if [ "${1:-}" = "--no-start" ]; then no_start=1; shift; fi
[ $# -gt 0 ] || { log "usage: apt-install.sh [--no-start] package..."; exit 2; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing() {
  local p out=()
  for p in "$@"; do installed "$p" || out+=("$p"); done
  echo "${out[@]:-}"
}

[ -n "$(missing "$@")" ] || exit 0
if [ "$(id -u)" != "0" ]; then log "not root: cannot install $(missing "$@") (install the Debian packages yourself)"; exit 3; fi
command -v apt-get >/dev/null || { log "apt-get is not available (not a Debian-based system?)"; exit 3; }

exec 9>/tmp/ssiot-apt.lock
flock -w 1200 9 || { log "another apt run held the lock for 20 minutes"; exit 3; }
todo=$(missing "$@") # another worker may have installed them while we waited
[ -n "$todo" ] || exit 0

guard=""
if [ $no_start = 1 ] && [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  guard=/usr/sbin/policy-rc.d
fi
cleanup() { if [ -n "$guard" ]; then rm -f "$guard"; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
log "installing $todo"
# shellcheck disable=SC2086 # $todo is a list of package names
if ! apt-get -o DPkg::Lock::Timeout=600 update -q </dev/null >&2 ||
  ! apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $todo </dev/null >&2; then
  log "apt-get could not install $todo (no network or no Debian mirror?)"
  exit 3
fi
