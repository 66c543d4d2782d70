#!/usr/bin/env bash
# Runs every test binary and end-to-end script for each build directory given,
# adds up their "N passed, N failed" lines and prints the total last.
# A binary that dies before its summary line counts as one failure.
set -u
cd "$(dirname "$0")/.."
total_pass=0
total_fail=0
count() { # $1 = label, rest = command
    local label=$1; shift
    local out rc line p f
    out=$("$@" 2>&1); rc=$?
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    if [ -n "$line" ]; then
        p=${line%% passed*}; f=${line#*, }; f=${f%% failed*}
    else
        p=0; f=1
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    if [ "$f" -ne 0 ]; then
        printf '%s\n' "$out" | grep -vE '^ok ' | tail -n 40
        echo "not ok $label (exit $rc)"
    else
        echo "ok $label ($p passed)"
    fi
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
}
for build in "$@"; do
    variant=$(basename "$build")
    wrap=()
    if [ "${VALGRIND:-0}" = 1 ]; then
        wrap=(valgrind -q --error-exitcode=99 --leak-check=full
              --errors-for-leak-kinds=definite,indirect --suppressions=tests/valgrind.supp)
    fi
    for bin in "$build"/tests/test_*; do
        [ -x "$bin" ] || continue
        count "$variant/$(basename "$bin")" timeout 300 "${wrap[@]}" "$bin"
    done
    for script in tests/e2e/*.sh; do
        [ -f "$script" ] || continue
        count "$variant/$(basename "$script")" env BUILD="$build" VARIANT="$variant" \
            timeout 600 bash "$script"
    done
done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
