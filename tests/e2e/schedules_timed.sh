#!/usr/bin/env bash
# Timed console transcripts (tests/transcripts/timed/*.in): the clock is
# pinned a few seconds before a scheduled post and stdin stays open long
# enough for the scheduler timer to fire, then stdout is compared with the
# golden .out.  Prints "N passed, N failed" like the unit tests.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build/debug}
pass=0 fail=0
for input in tests/transcripts/timed/*.in; do
    [ -f "$input" ] || continue
    name=$(basename "$input" .in)
    want=${input%.in}.out
    tmp=$(mktemp -d)
    got=$( (cat "$input"; sleep "${HOLD_S:-8}") |
        KOCBOT_LOCALE=en KOCBOT_OPERATORS=console:op KOCBOT_TZ=Asia/Shanghai \
        KOCBOT_FAKE_NOW=2026-11-23T07:59:55+08:00 KOCBOT_FAKE_SPEED=1 \
        "$BUILD/kocbot" --adapter console --db "$tmp/t.db" 2>"$tmp/stderr")
    if [ "$got" == "$(cat "$want")" ]; then
        echo "ok $name"; pass=$((pass + 1))
    else
        echo "not ok $name"; diff <(printf '%s\n' "$got") "$want" | head -40
        tail -5 "$tmp/stderr"
        fail=$((fail + 1))
    fi
    rm -rf "$tmp"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
