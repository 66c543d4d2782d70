#!/usr/bin/env bash
# Transcript tests: the real binary with the console adapter, fed a scripted
# conversation on a pinned clock, compared with the expected output.
# tests/transcripts/NAME.in: lines "user: text"; lines starting with "#env "
# set environment variables; other lines starting with "#" are comments.
# UPDATE=1 rewrites the expected files from the actual output (review with git diff).
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.bash
for input in tests/transcripts/*.in; do
    name=$(basename "$input" .in)
    expected=tests/transcripts/$name.out
    envs=(KOCBOT_LOCALE=en KOCBOT_TZ=Asia/Shanghai KOCBOT_OPERATORS=console:op
          KOCBOT_FAKE_NOW=2026-11-23T08:00:00+08:00 KOCBOT_LOG_LEVEL=warn)
    while read -r line; do envs+=("$line"); done < <(sed -n 's/^#env //p' "$input")
    # one run per segment between "#restart" lines, all on one database
    rc=0 seg=0 at=""
    : >"$WORK/$name.out"
    : >"$WORK/$name.err"
    while :; do
        [ -n "$at" ] && echo "== restart at $at ==" >>"$WORK/$name.out"
        awk -v want="$seg" '/^#restart /{n++; next} n == want && !/^#/' "$input" |
            env "${envs[@]}" ${at:+KOCBOT_FAKE_NOW=$at} "$KOCBOT" --adapter console --db "$WORK/$name.db" \
            >>"$WORK/$name.out" 2>>"$WORK/$name.err" || rc=$?
        seg=$((seg + 1))
        at=$(grep '^#restart ' "$input" | sed -n "${seg}p" | cut -d' ' -f2)
        [ -z "$at" ] && break
    done
    [ "${UPDATE:-0}" = 1 ] && cp "$WORK/$name.out" "$expected" # regenerate, then review the diff
    if [ $rc -eq 0 ] && diff -u "$expected" "$WORK/$name.out" >"$WORK/$name.diff"; then
        ok "transcript $name"
    else
        not_ok "transcript $name (exit $rc)"
        head -n 40 "$WORK/$name.diff" "$WORK/$name.err"
    fi
done
finish
