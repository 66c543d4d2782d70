#!/usr/bin/env bash
# QQ groups through OneBot v11: the real binary against our fake OneBot
# implementation (tests/fake/fake_onebot.py) on 127.0.0.1; the scenarios
# are listed in tests/e2e/onebot_e2e.py.
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build/debug}
if ! command -v python3 >/dev/null; then
    echo "not ok python3 is needed (make deps installs it)"; echo "0 passed, 1 failed"; exit 1
fi
WORK=$(mktemp -d /tmp/kocbot-onebot.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
python3 tests/e2e/onebot_e2e.py "$BUILD/kocbot" "$WORK"
