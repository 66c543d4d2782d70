#!/bin/sh
# Builds (once) a minimal Debian sid root holding matrix-synapse, cached outside
# the work tree so repeated test runs reuse it. Prints the root's path on
# success; on failure prints "skipped: <why>" and exits 2.
set -u
ROOT=${KOCBOT_SYNAPSE_ROOT:-/var/cache/kocbot/synapse-root}
MIRROR=${KOCBOT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
LOG=${KOCBOT_SYNAPSE_BUILD_LOG:-/var/cache/kocbot/synapse-root.log}
READY="$ROOT/.kocbot-ready"

skip() { echo "skipped: $*"; exit 2; }

if [ -f "$READY" ]; then echo "$ROOT"; exit 0; fi
[ "$(id -u)" = 0 ] || skip "building the sid root needs root"
mkdir -p "$(dirname "$ROOT")" || skip "cannot create $(dirname "$ROOT")"

# One builder at a time: a second run waits for the first.
exec 9>"$ROOT.lock"
flock 9

if [ -f "$READY" ]; then echo "$ROOT"; exit 0; fi
if ! command -v debootstrap >/dev/null 2>&1; then
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap ||
      { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap; }
    } >>"$LOG" 2>&1 || skip "debootstrap is missing and apt-get could not install it (see $LOG)"
fi
rm -rf "$ROOT"
if ! debootstrap --variant=minbase sid "$ROOT" "$MIRROR" >>"$LOG" 2>&1; then
    rm -rf "$ROOT"
    skip "debootstrap of sid from $MIRROR failed (see $LOG)"
fi
if ! chroot "$ROOT" sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends matrix-synapse' >>"$LOG" 2>&1; then
    rm -rf "$ROOT"
    skip "installing matrix-synapse into the sid root failed (see $LOG)"
fi
# The package's own service setup is not used; the test writes its own config.
chroot "$ROOT" apt-get clean >>"$LOG" 2>&1
touch "$READY"
echo "$ROOT"
