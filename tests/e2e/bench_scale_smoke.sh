#!/usr/bin/env bash
# The layering scale benchmark at CI size: it must finish, print one JSON
# line with every figure a number, and the ledger must have the asked size.
set -u
BUILD=${BUILD:-build/debug}
bin="$BUILD/bench/bench_scale"
dir=$(mktemp -d /tmp/kb-bench-smoke.XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "bench_scale_smoke: $*"; echo "0 passed, 1 failed"; exit 1; }
[ -x "$bin" ] || fail "$bin not built"
out=$(timeout 300 "$bin" 2000 50000 20000 "$dir/bench.db") || fail "exit $?"
echo "$out"
[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "expected one line"
num='[0-9]+(\.[0-9]+)?'
for key in me_direct_ms top_direct_ms me_apply_ms top_apply_ms; do
    printf '%s' "$out" | grep -Eq "\"$key\":\{\"median\":$num,\"p99\":$num,\"max\":$num\}" ||
        fail "$key missing or not numeric"
done
printf '%s' "$out" | grep -q '"ledger_rows":50000,' || fail "ledger_rows is not 50000"
printf '%s' "$out" | grep -Eq '"nproc":[0-9]+\}\}$' || fail "machine missing"
if command -v python3 >/dev/null; then
    printf '%s' "$out" | python3 -c 'import json,sys; json.load(sys.stdin)' || fail "not valid JSON"
fi
echo "1 passed, 0 failed"
