#!/usr/bin/env bash
# The morning burst: 1,000 members of one group check in at once, against the
# fake Bot API enforcing Telegram's limits (1/s per chat with a burst of 3,
# 20/min per group, 30/s overall).  Reports the time from the bot's start to
# the last acknowledgement delivered, messages sent and 429s received, as one
# line of JSON.  Usage: bench/burst_tg.sh [BUILD_DIR] [MEMBERS]
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${1:-build/release}
N=${2:-1000}
. tests/e2e/lib.bash
start_fake --enforce-limits
DB=$WORK/burst.db
awk -v n="$N" 'BEGIN { printf "[";
    for (i = 0; i < n; i++) { if (i) printf ",";
        printf "{\"message\":{\"message_id\":%d,\"date\":1795391940,\"chat\":{\"id\":-100777,\"type\":\"supergroup\",\"title\":\"KOC\"},\"from\":{\"id\":%d,\"first_name\":\"会员%d\"},\"text\":\"签到\"}}", i + 1, 5000 + i, i }
    printf "]" }' >"$WORK/updates.json"
control updates "@$WORK/updates.json" >/dev/null
start=$(date +%s%N)
KOCBOT_TELEGRAM_TOKEN=1:burst KOCBOT_TELEGRAM_API=$FAKE KOCBOT_LOG_LEVEL=warn \
    "$KOCBOT" --db "$DB" 2>"$WORK/bot.log" &
BOT=$!
cleanup_hooks+=("kill $BOT 2>/dev/null")
while :; do
    left=$(sqlite3 "$DB" "SELECT (SELECT count(*) FROM outbox WHERE state = 0) + $N - (SELECT count(*) FROM outbox)" 2>/dev/null)
    [ "$left" = 0 ] && break
    [ $(( ($(date +%s%N) - start) / 1000000000 )) -gt 900 ] && { echo '{"error":"timeout"}'; exit 1; }
    sleep 0.2
done
end=$(date +%s%N)
stats=$(control stats)
kill -TERM $BOT; wait $BOT
r429=$(printf '%s' "$stats" | grep -o '"429[a-z_]*":[0-9]*' | head -1 | cut -d: -f2)
sent=$(sqlite3 "$DB" "SELECT count(DISTINCT sent_message_id) FROM outbox")
printf '{"bench":"burst_tg","members":%d,"seconds":%.1f,"messages_sent":%s,"http_429":%s,"machine":"%s, %s cores"}\n' \
    "$N" "$(echo "($end - $start) / 1000000000" | bc -l)" "$sent" "${r429:-0}" "$(uname -sm)" "$(nproc)"
