#!/usr/bin/env bash
# `make bench`: every benchmark against one build, one JSON line each.
#   bench/run.sh [BUILD_DIR]     (default build/release)
# Sizes are the issue's: override with BENCH_E2E_UPDATES, BENCH_SCALE_ARGS
# ("members ledger_rows checkins"), BENCH_ENGINE_ARGS ("batched single").
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${1:-build/release}
rc=0
"$BUILD/bench/bench_floor" || rc=1
# shellcheck disable=SC2086
"$BUILD/bench/bench_engine" ${BENCH_ENGINE_ARGS:-} || rc=1
"$BUILD/bench/bench_http" 20000 100 || rc=1
"$BUILD/bench/bench_decode" || rc=1
bench/bench_e2e.sh "$BUILD" "${BENCH_E2E_UPDATES:-100000}" || rc=1
# shellcheck disable=SC2086
"$BUILD/bench/bench_scale" ${BENCH_SCALE_ARGS:-} || rc=1
bench/burst_tg.sh "$BUILD" || rc=1
exit $rc
