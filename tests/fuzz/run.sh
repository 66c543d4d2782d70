#!/usr/bin/env bash
# Build the libFuzzer targets with clang (build/fuzz) and run each for
# FUZZ_SECONDS (default 30), after replaying the kept regression inputs.
#   tests/fuzz/run.sh [target...]      targets: command tg_update ob_event config taskdef mx_sync quizdef
# Corpora start from tests/fuzz/seeds, tests/fixtures and the regressions and
# grow in build/fuzz/corpus.  A crash leaves its input in build/fuzz/crashes:
# fix the bug, then keep the input in tests/fuzz/regressions/<target>/.
# Prints "N passed, N failed" (one check per replay and per run).
set -u
cd "$(dirname "$0")/../.." || exit 1
SECS=${FUZZ_SECONDS:-30}
OUT=build/fuzz
CC_FUZZ=${CC_FUZZ:-clang}
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(command tg_update ob_event config taskdef mx_sync quizdef)
pass=0 fail=0
ok() { echo "ok $*"; pass=$((pass + 1)); }
not_ok() { echo "not ok $*"; fail=$((fail + 1)); }
mkdir -p "$OUT/obj"
FLAGS="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O1 -g -fno-omit-frame-pointer
       -fsanitize=address,undefined -fno-sanitize-recover=undefined $(pkg-config --cflags libcjson sqlite3)"
LIBS="$(pkg-config --libs libcjson sqlite3) -lm"
# shared sources once, instrumented for coverage
objs=()
for src in core/*.c adapters/*.c config/config.c; do
    o="$OUT/obj/$(echo "$src" | tr / _).o"
    # rebuilt when the source or any header is newer (a header may change a struct's layout)
    if [ ! -f "$o" ] || [ "$src" -nt "$o" ] || [ -n "$(find core adapters config -name '*.h' -newer "$o" | head -1)" ]; then
        # shellcheck disable=SC2086
        $CC_FUZZ $FLAGS -fsanitize=fuzzer-no-link -c "$src" -o "$o" || { echo "cannot compile $src"; exit 1; }
    fi
    objs+=("$o")
done
for t in "${targets[@]}"; do
    bin=$OUT/fuzz_$t
    # shellcheck disable=SC2086
    $CC_FUZZ $FLAGS -fsanitize=fuzzer "tests/fuzz/fuzz_$t.c" "${objs[@]}" $LIBS -o "$bin" ||
        { not_ok "build fuzz_$t"; continue; }
    reg=tests/fuzz/regressions/$t
    if compgen -G "$reg/*" >/dev/null; then
        if "$bin" -runs=1 "$reg"/* >"$OUT/$t.replay.log" 2>&1; then
            ok "fuzz_$t: $(find "$reg" -type f | wc -l) regression inputs replayed"
        else
            tail -30 "$OUT/$t.replay.log"; not_ok "fuzz_$t: a regression input fails again"
        fi
    fi
    corpus=$OUT/corpus/$t
    mkdir -p "$corpus" "$OUT/crashes/$t"
    case $t in
        tg_update) cp tests/fixtures/telegram/*.json "$corpus/" 2>/dev/null ;;
        config) cp config/kocbot.example.json "$corpus/" 2>/dev/null
                printf '%s' '{"limits":{"enabled":false},"telegram":{"poll_timeout_s":2}}' >"$corpus/small.json" ;;
        *) cp tests/fuzz/seeds/"$t"/* "$corpus/" 2>/dev/null ;;
    esac
    cp "$reg"/* "$corpus/" 2>/dev/null
    if "$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
           -artifact_prefix="$OUT/crashes/$t/" "$corpus" >"$OUT/$t.log" 2>&1; then
        ok "fuzz_$t: ${SECS}s, $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$OUT/$t.log" | grep -o '[0-9]*$') runs, no crash"
    else
        grep -E 'ERROR|SUMMARY|Test unit written' "$OUT/$t.log" | head -10
        not_ok "fuzz_$t: crash (input in $OUT/crashes/$t/)"
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
