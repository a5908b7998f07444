#!/usr/bin/env bash
# Headless Chromium for the browser tests (tests/manufacturer-console.test.ts).
#
#   scripts/chromium.sh          -> prints the executable's path on stdout
#
# Installs the Debian package `chromium` when no Chromium is found
# (apt-get update, then apt-get install -y, non-interactively: works as root
# on a fresh machine with CI=true and no stdin). Idempotent: when Chromium is
# already there it only prints its path. $SSIOT_CHROMIUM, when set to an
# executable, is used as is (a Chromium installed some other way).
# Exit status: 0 ok (path printed), 3 Chromium unavailable (cannot install;
# the reason is on stderr).
set -euo pipefail

log() { echo "chromium.sh: $*" >&2; }

find_binary() {
  local b
  for b in "${SSIOT_CHROMIUM:-}" /usr/bin/chromium /usr/lib/chromium/chromium "$(command -v chromium 2>/dev/null || true)" \
    "$(command -v chromium-browser 2>/dev/null || true)"; do
    if [ -n "$b" ] && [ -x "$b" ]; then echo "$b"; return 0; fi
  done
  return 1
}

if find_binary; then exit 0; fi

log "installing the Debian package chromium"
# apt-install.sh says why it cannot (not root, no apt-get, no mirror) and exits 3
if ! bash "$(dirname "$0")/apt-install.sh" chromium; then
  log "Chromium is not installed and could not be (see above); or set SSIOT_CHROMIUM"
  exit 3
fi
if ! find_binary; then
  log "the chromium package installed but no executable was found"
  exit 3
fi
