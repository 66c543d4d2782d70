#!/usr/bin/env bash
# Bad input on the HTTP listener during a check-in burst (see http_abuse.py).
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.bash
export KOCBOT FAKE_TG WORK
python3 tests/e2e/http_abuse.py
rc=$?
[ $rc -ne 0 ] && tail -n 20 "$WORK/bot.log" | sed 's/^/# /'
exit $rc
