#!/usr/bin/env bash
# perf on the bot during bench_e2e.sh's steady load: the real binary against
# the fake Bot API, 20,000 check-ins first (the members exist), then 10,000
# /tasks released evenly at 1,000/s; perf watches 7 s of it.
# Usage: bench/steady_probe.sh [BUILD_DIR] PERF_ARGS...   e.g.
#   bench/steady_probe.sh build/release stat -e syscalls:sys_enter_fdatasync,syscalls:sys_enter_fcntl
#   bench/steady_probe.sh build/release record -g -o /tmp/steady.data
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${1:-build/release}
shift
command -v perf >/dev/null || { echo "perf is not installed"; exit 1; }
. tests/e2e/lib.bash
start_fake --max-seconds 300
cat >"$WORK/bot.json" <<JSON
{"limits": {"enabled": false}, "log_level": "warn"}
JSON
KOCBOT_TELEGRAM_TOKEN=1:bench KOCBOT_TELEGRAM_API=$FAKE KOCBOT_LOCALE=en \
    "$KOCBOT" --config "$WORK/bot.json" --db "$WORK/e2e.db" 2>"$WORK/bot.log" &
BOT=$!
cleanup_hooks+=("kill $BOT 2>/dev/null")
sleep 2
control generate '{"n":20000,"chats":100,"users":50000,"text":"/checkin"}' >/dev/null
sleep 6
control generate '{"n":10000,"first":20000,"chats":100,"users":50000,"text":"/tasks","per_s":1000}' >/dev/null
sleep 1
perf "$@" -p "$BOT" -- sleep 7
kill -TERM "$BOT"
wait "$BOT"
