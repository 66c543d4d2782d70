#!/usr/bin/env bash
# Transcript tests: the real binary with the console adapter, fed a scripted
# conversation on a pinned clock, compared with the expected output.
# tests/transcripts/NAME.in: lines "user: text"; lines starting with "#env "
# set environment variables; a line "#at TIME" (ISO 8601 with offset) stops
# the bot and starts it again on the same database with the clock at TIME
# (simulated days, each a restart): first with no input, so that what falls
# due by then (a repeating task, a scheduled post) is posted before anyone
# speaks, then with the lines that follow; the output marks it "== TIME ==".
# "#hold N" keeps that part's input open N more seconds, so that the
# scheduler's own timer fires what falls due meanwhile (the clock runs at
# KOCBOT_FAKE_SPEED, 1 by default).  Other lines starting with "#" are comments.
# UPDATE=1 rewrites the expected files from the actual output (review with git diff).
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.bash
# run_part NAME TIME FILE [HOLD]: one run of the bot at TIME with FILE as input, kept open
# HOLD seconds after it; 0 when it exits 0
run_part() {
    (cat "$3"; sleep "${4:-0}") |
        env "${envs[@]}" KOCBOT_FAKE_NOW="$2" "$KOCBOT" --adapter console --db "$WORK/$1.db" \
            >>"$WORK/$1.out" 2>>"$WORK/$1.err"
}
for input in tests/transcripts/*.in; do
    name=$(basename "$input" .in)
    expected=tests/transcripts/$name.out
    envs=(KOCBOT_LOCALE=en KOCBOT_TZ=Asia/Shanghai KOCBOT_OPERATORS=console:op KOCBOT_LOG_LEVEL=warn)
    while read -r line; do envs+=("$line"); done < <(sed -n 's/^#env //p' "$input")
    at=2026-11-23T08:00:00+08:00
    for e in "${envs[@]}"; do [[ $e == KOCBOT_FAKE_NOW=* ]] && at=${e#KOCBOT_FAKE_NOW=}; done
    : >"$WORK/$name.out"
    : >"$WORK/$name.err"
    rc=0 part=0
    # the input cut at each "#at": part files, the first at the default time
    : >"$WORK/$name.part0"
    times=("$at") holds=(0)
    while IFS= read -r line; do
        if [[ $line == "#at "* ]]; then
            part=$((part + 1))
            times+=("${line#\#at }")
            holds+=(0)
            : >"$WORK/$name.part$part"
        elif [[ $line == "#hold "* ]]; then
            holds[part]=${line#\#hold }
        elif [[ $line != "#"* ]]; then
            printf '%s\n' "$line" >>"$WORK/$name.part$part"
        fi
    done <"$input"
    for i in $(seq 0 "$part"); do
        if [ "$i" -gt 0 ]; then
            echo "== ${times[$i]} ==" >>"$WORK/$name.out"
            run_part "$name" "${times[$i]}" /dev/null || rc=$?
        fi
        if [ -s "$WORK/$name.part$i" ] || [ "$i" -eq 0 ] || [ "${holds[$i]}" != 0 ]; then
            run_part "$name" "${times[$i]}" "$WORK/$name.part$i" "${holds[$i]}" || rc=$?
        fi
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
