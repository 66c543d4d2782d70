#!/usr/bin/env bash
# Transcript tests: the real binary with the console adapter, fed a scripted
# conversation on a pinned clock, compared with the expected output.
# tests/transcripts/NAME.in: lines "user: text"; lines starting with "#env "
# set environment variables; "#restart <instant>" ends the process (end of
# input) and starts a new one on the same database with the clock at that
# instant (simulated days, a restart in the story); other lines starting
# with "#" are comments.
# UPDATE=1 rewrites the expected files from the actual output (review with git diff).
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.bash
for input in tests/transcripts/*.in; do
    name=$(basename "$input" .in)
    expected=tests/transcripts/$name.out
    envs=(KOCBOT_LOCALE=en KOCBOT_TZ=Asia/Shanghai KOCBOT_OPERATORS=console:op
          KOCBOT_FAKE_NOW=2026-11-23T08:00:00+08:00 KOCBOT_LOG_LEVEL=warn)
    while read -r line; do envs+=("$line"); done < <(sed -n 's/^#env //p' "$input")
    rc=0 at=
    : >"$WORK/$name.out"
    : >"$WORK/$name.err"
    run_segment() {
        env "${envs[@]}" ${at:+KOCBOT_FAKE_NOW=$at} "$KOCBOT" --adapter console --db "$WORK/$name.db" \
            <"$WORK/$name.seg" >>"$WORK/$name.out" 2>>"$WORK/$name.err" || rc=$?
    }
    : >"$WORK/$name.seg"
    while IFS= read -r line || [ -n "$line" ]; do
        case $line in
        '#restart '*)
            run_segment
            at=${line#'#restart '}
            echo "# restart at $at" >>"$WORK/$name.out"
            : >"$WORK/$name.seg" ;;
        '#'*) ;;
        *) printf '%s\n' "$line" >>"$WORK/$name.seg" ;;
        esac
    done <"$input"
    run_segment
    [ "${UPDATE:-0}" = 1 ] && cp "$WORK/$name.out" "$expected" # regenerate, then review the diff
    if [ $rc -eq 0 ] && diff -u "$expected" "$WORK/$name.out" >"$WORK/$name.diff"; then
        ok "transcript $name"
    else
        not_ok "transcript $name (exit $rc)"
        head -n 40 "$WORK/$name.diff" "$WORK/$name.err"
    fi
done
finish
