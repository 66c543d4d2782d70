#!/usr/bin/env bash
# Stories over simulated days (tests/transcripts/days/*.in): a line
# "#at <ISO time>" starts the bot afresh on the same database with the fake
# clock (KOCBOT_FAKE_NOW) at that instant, so every segment is a restart;
# the scheduled work due by then fires as it starts, then the segment's
# lines are typed.  "#hold N" keeps the segment's input open N more seconds
# so that work falling due while it runs fires from the bot's own timer
# (the clock runs at KOCBOT_FAKE_SPEED).  "#env K=V" lines set the
# environment of every segment;
# other "#" lines are comments.  The concatenated output is compared with
# NAME.out; UPDATE=1 rewrites it (review with git diff).
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.bash
TICK_S=${TICK_S:-1.5} # how long a started bot gets for its catch-up tick before the lines come
for input in tests/transcripts/days/*.in; do
    [ -f "$input" ] || continue
    name=$(basename "$input" .in)
    expected=tests/transcripts/days/$name.out
    envs=(KOCBOT_LOCALE=en KOCBOT_TZ=Asia/Shanghai KOCBOT_OPERATORS=console:op KOCBOT_FAKE_SPEED=1
          KOCBOT_LOG_LEVEL=warn)
    while read -r line; do envs+=("$line"); done < <(sed -n 's/^#env //p' "$input")
    : >"$WORK/$name.out"
    rc=0 at='' hold=0 lines=()
    run_segment() {
        [ -n "$at" ] || return 0
        echo "== $at" >>"$WORK/$name.out"
        { sleep "$TICK_S"; [ ${#lines[@]} -gt 0 ] && printf '%s\n' "${lines[@]}"; sleep "$hold"; } |
            env "${envs[@]}" KOCBOT_FAKE_NOW="$at" "$KOCBOT" --adapter console --db "$WORK/$name.db" \
                >>"$WORK/$name.out" 2>>"$WORK/$name.err" || rc=$?
    }
    while IFS= read -r line || [ -n "$line" ]; do
        case $line in
            '#at '*) run_segment; at=${line#\#at }; hold=0 lines=() ;;
            '#hold '*) hold=${line#\#hold } ;;
            '#'*) ;;
            *) lines+=("$line") ;;
        esac
    done <"$input"
    run_segment
    [ "${UPDATE:-0}" = 1 ] && cp "$WORK/$name.out" "$expected"
    if [ $rc -eq 0 ] && diff -u "$expected" "$WORK/$name.out" >"$WORK/$name.diff"; then
        ok "story $name"
    else
        not_ok "story $name (exit $rc)"
        head -n 40 "$WORK/$name.diff" "$WORK/$name.err"
    fi
done
finish
