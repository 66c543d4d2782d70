#!/usr/bin/env bash
# perf on the bot during bench_e2e.sh's steady load: the real binary against
# the fake Bot API, 20,000 check-ins first (the members exist), then 10,000
# /tasks released evenly at 1,000/s; perf watches 7 s of it.
# Usage: bench/steady_probe.sh [BUILD_DIR] PERF_ARGS...   e.g.
#   bench/steady_probe.sh build/release stat -e syscalls:sys_enter_fdatasync,syscalls:sys_enter_fcntl
#   bench/steady_probe.sh build/release record -g -o /tmp/steady.data
# or  bench/steady_probe.sh build/release sql
#   the statements the bot ran in those 7 s instead (BUILD_DIR/bench/sql_count.so
#   preloaded): runs, runs outside a transaction, SQL; most run first
# or  bench/steady_probe.sh build/release frames
#   the pages its commits wrote to the WAL in those 7 s (BUILD_DIR/bench/wal_frames.so
#   preloaded), by b-tree (dbstat on the database afterwards): frames per commit
# PROBE_SECONDS sets the 7.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${1:-build/release}
shift
SECONDS_WATCHED=${PROBE_SECONDS:-7}
. tests/e2e/lib.bash
preload=()
# the counting window: from the steady load's first second to the end of the watch
window_end=$(awk -v s="$SECONDS_WATCHED" 'BEGIN { print 10 + s }')
mode=${1:-}
if [ "$mode" = sql ] || [ "$mode" = frames ]; then
    so=$BUILD/bench/$([ "$mode" = sql ] && echo sql_count || echo wal_frames).so
    [ -f "$so" ] || { echo "no $so: make VARIANT=release check"; exit 1; }
    if [ "$mode" = sql ]; then
        preload=(env LD_PRELOAD="$PWD/$so" SQL_COUNT_FROM=10 SQL_COUNT_TO="$window_end"
                 SQL_COUNT_OUT="$WORK/counts.txt")
    else
        preload=(env LD_PRELOAD="$PWD/$so" WAL_FRAMES_FROM=10 WAL_FRAMES_TO="$window_end"
                 WAL_FRAMES_OUT="$WORK/counts.txt")
    fi
else
    command -v perf >/dev/null || { echo "perf is not installed"; exit 1; }
fi
start_fake --max-seconds 300
cat >"$WORK/bot.json" <<JSON
{"limits": {"enabled": false}, "log_level": "warn"}
JSON
KOCBOT_TELEGRAM_TOKEN=1:bench KOCBOT_TELEGRAM_API=$FAKE KOCBOT_LOCALE=en \
    ${preload[@]+"${preload[@]}"} "$KOCBOT" --config "$WORK/bot.json" --db "$WORK/e2e.db" 2>"$WORK/bot.log" &
BOT=$!
cleanup_hooks+=("kill $BOT 2>/dev/null")
sleep 2
control generate '{"n":20000,"chats":100,"users":50000,"text":"/checkin"}' >/dev/null
sleep 6
control generate '{"n":10000,"first":20000,"chats":100,"users":50000,"text":"/tasks","per_s":1000}' >/dev/null
sleep 1
if [ ${#preload[@]} -gt 0 ]; then
    sleep "$SECONDS_WATCHED"
    sleep 1 # the watch began a second before the counting window
else
    perf "$@" -p "$BOT" -- sleep "$SECONDS_WATCHED"
fi
kill -TERM "$BOT"
wait "$BOT"
if [ "$mode" = sql ]; then
    cat "$WORK/counts.txt"
elif [ "$mode" = frames ]; then
    sqlite3 "$WORK/e2e.db" "SELECT pageno, name FROM dbstat" | awk -F'[| ]' '
        NR == FNR { tree[$1] = $2; next }
        $1 == "commits" { commits = $2 > 0 ? $2 : 1; next }
        { by[($2 in tree) ? tree[$2] : "(a page freed since)"] += $1; all += $1 }
        END { printf "%d commits, %.2f frames per commit\n", commits, all / commits
              for (t in by) printf "%8.2f  %s\n", by[t] / commits, t | "sort -rn" }' - "$WORK/counts.txt"
fi
