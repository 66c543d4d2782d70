#!/usr/bin/env bash
# Stories over simulated days: tests/transcripts/days/NAME.in is a console
# conversation cut into runs by "#at <ISO 8601 instant>" lines.  Each run is
# the real binary started with its clock at that instant (KOCBOT_FAKE_NOW)
# on the same database, fed the lines up to the next "#at", to the end of
# its input: a restart between any two runs.  "#env NAME=value" lines apply
# to every run; other lines starting with "#" are comments.  The output of
# all runs, each under a "=== <instant> ===" line, is compared with NAME.out.
# UPDATE=1 rewrites the expected files from the actual output (review with git diff).
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.bash
for input in tests/transcripts/days/*.in; do
    [ -f "$input" ] || continue
    name=$(basename "$input" .in)
    expected=${input%.in}.out
    envs=(KOCBOT_LOCALE=en KOCBOT_TZ=Asia/Shanghai KOCBOT_OPERATORS=console:op KOCBOT_LOG_LEVEL=warn)
    while read -r line; do envs+=("$line"); done < <(sed -n 's/^#env //p' "$input")
    db="$WORK/$name.db"
    got="$WORK/$name.out"
    : >"$got"
    rc=0
    mapfile -t instants < <(sed -n 's/^#at //p' "$input")
    for i in "${!instants[@]}"; do
        at=${instants[$i]}
        echo "=== $at ===" >>"$got"
        # the lines of run i: after its "#at", up to the next
        awk -v want=$((i + 1)) '/^#at /{n++; next} /^#/{next} n == want' "$input" |
            env "${envs[@]}" KOCBOT_FAKE_NOW="$at" "$KOCBOT" --adapter console --db "$db" \
                >>"$got" 2>>"$WORK/$name.err" || rc=$?
    done
    [ "${UPDATE:-0}" = 1 ] && cp "$got" "$expected" # regenerate, then review the diff
    if [ $rc -eq 0 ] && [ "${#instants[@]}" -gt 1 ] && diff -u "$expected" "$got" >"$WORK/$name.diff"; then
        ok "story $name (${#instants[@]} runs)"
    else
        not_ok "story $name (exit $rc, ${#instants[@]} runs)"
        head -n 60 "$WORK/$name.diff" "$WORK/$name.err"
    fi
done
finish
