#!/usr/bin/env bash
# GET /healthz and GET /metrics on the listener "http.listen" turns on:
#  1. off by default: nothing listens;
#  2. after a burst (with one 429 and one 500 on sends) the counters say
#     what happened: updates and commands per name, replies, 429s, retries,
#     outbox depth, the latency and commit histograms; /healthz is 200;
#  3. an adapter that is down makes /healthz 503 "degraded".
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.bash
TOKEN=123456:TEST-token_secret
export KOCBOT_LOCALE=en KOCBOT_TELEGRAM_TOKEN=$TOKEN KOCBOT_OPERATORS=tg:1
PORT=$(free_port)
H=http://127.0.0.1:$PORT
updates() { # N TEXT FIRST: group messages from N users in 2 chats
    awk -v n="$1" -v text="$2" -v first="$3" 'BEGIN { printf "[";
        for (i = 0; i < n; i++) { if (i) printf ",";
            printf "{\"message\":{\"message_id\":%d,\"date\":1795391940,\"chat\":{\"id\":%d,\"type\":\"supergroup\",\"title\":\"G\"},\"from\":{\"id\":%d,\"first_name\":\"u%d\"},\"text\":\"%s\"}}",
                first + i, -1000 - i % 2, 1000 + i, i, text }
        printf "]" }'
}
run_bot() { # run_bot CONFIG_JSON: sets BOT
    printf '%s\n' "$1" >"$WORK/bot.json"; chmod 600 "$WORK/bot.json"
    KOCBOT_TELEGRAM_API=$FAKE "$KOCBOT" --config "$WORK/bot.json" --db "$WORK/bot.db" \
        <"${BOT_STDIN:-/dev/null}" >>"$WORK/bot.log" 2>&1 &
    BOT=$!
    cleanup_hooks+=("kill -9 $BOT 2>/dev/null")
}
stop_bot() { kill -TERM "$BOT"; wait "$BOT"; }
q() { sqlite3 "$WORK/bot.db" "$1" 2>/dev/null; }
metric() { curl -s -m 5 "$H/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }

start_fake --token "$TOKEN"
# ---- 1. off by default ----------------------------------------------------
run_bot '{"limits": {"enabled": false}, "telegram": {"poll_timeout_s": 1}}'
wait_for 10 grep -qs 'running as' "$WORK/bot.log"
check "off by default: nothing listens" bash -c "! curl -s -m 2 -o /dev/null $H/healthz"
stop_bot

# ---- 2. counters after a burst ---------------------------------------------
control fault '{"kind":"429","count":1,"method":"sendMessage","retry_after":1}' >/dev/null
control fault '{"kind":"500","count":1,"method":"sendMessage"}' >/dev/null
control updates "$(updates 20 /checkin 1)" >/dev/null
control updates "$(updates 5 /me 101)" >/dev/null
control updates "$(updates 3 签到 301 | sed 's/"id":100\([0-9]\),/"id":300\1,/g')" >/dev/null
control updates "$(updates 1 /nosuchcommand 201)" >/dev/null
run_bot "{\"limits\": {\"enabled\": false}, \"telegram\": {\"poll_timeout_s\": 1}, \"http\": {\"listen\": \"127.0.0.1:$PORT\"}}"
answered() { [ "$(q 'SELECT (SELECT count(*) FROM processed) = 29 AND NOT EXISTS (SELECT 1 FROM outbox WHERE state = 0)')" = 1 ]; }
check "burst: all 29 updates applied and answered" wait_for 30 answered
curl -s -m 5 -D "$WORK/h" "$H/metrics" >"$WORK/metrics"
check "metrics: Prometheus text content type" grep -qi '^content-type: text/plain; version=0.0.4' "$WORK/h"
check "metrics: 29 updates applied by telegram" [ "$(metric 'kocbot_updates_applied_total{adapter="telegram"}')" = 29 ]
check "metrics: 23 check-ins (3 by the word 签到), 5 /me, 1 other" [ "$(metric 'kocbot_commands_total{command="checkin"}') $(metric 'kocbot_commands_total{command="me"}') $(metric 'kocbot_commands_total{command="other"}')" = "23 5 1" ]
sent=$(metric 'kocbot_replies_sent_total{adapter="telegram"}')
check "metrics: replies sent = the fake's successful sendMessage ($sent)" [ "$sent" = "$(control stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["messages_sent"])')" ]
check "metrics: one 429" [ "$(metric 'kocbot_rate_limited_total{adapter="telegram"}')" = 1 ]
check "metrics: two retries (the 429 and the 500)" [ "$(metric 'kocbot_send_retries_total{adapter="telegram"}')" = 2 ]
check "metrics: outbox depth 0" [ "$(metric 'kocbot_outbox_depth{adapter="telegram"}')" = 0 ]
lat=$(metric kocbot_update_to_reply_seconds_count)
check "metrics: every accepted reply has a latency ($lat)" [ "$lat" -ge "$sent" ] 2>/dev/null
check "metrics: the 429'd reply waited at least its 1 s" [ "$(metric 'kocbot_update_to_reply_seconds_bucket{le="0.5"}')" -lt "$lat" ]
check "metrics: commits timed" [ "$(metric kocbot_sqlite_commit_seconds_count)" -ge 1 ]
curl -s -m 5 -o "$WORK/health" -w '%{http_code}' "$H/healthz" >"$WORK/code"
check "healthz: 200 while serving" [ "$(cat "$WORK/code")" = 200 ]
check "healthz: adapter state, outbox depth, commit age" python3 -c "
import json; h = json.load(open('$WORK/health'))
assert h['status'] == 'ok' and h['adapters'] == [{'name': 'telegram', 'state': 'running', 'outbox_depth': 0}]
assert 0 <= h['last_commit_age_s'] < 30"
check "unknown path: 404" [ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$H/nothing")" = 404 ]
check "POST /metrics: 405" [ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST "$H/metrics")" = 405 ]
stop_bot

# ---- 3. an adapter down ------------------------------------------------------
mkfifo "$WORK/stdin"; exec 7<>"$WORK/stdin"   # the console's input stays open
KOCBOT_TELEGRAM_TOKEN=999:wrong BOT_STDIN=$WORK/stdin \
    run_bot "{\"telegram\": {\"poll_timeout_s\": 1}, \"http\": {\"listen\": \"127.0.0.1:$PORT\"}, \"adapters\": [\"telegram\", \"console\"]}"
down() { rm -f "$WORK/health"; [ "$(curl -s -m 2 -o "$WORK/health" -w '%{http_code}' "$H/healthz")" = 503 ]; }
check "healthz: 503 when telegram is down (bad token)" wait_for 10 down
check "healthz: says which adapter" python3 -c "
import json; h = json.load(open('$WORK/health'))
assert h['status'] == 'degraded', h
assert {'name': 'telegram', 'state': 'down', 'outbox_depth': 0} in h['adapters'], h"
kill -9 "$BOT" 2>/dev/null; wait "$BOT" 2>/dev/null
finish
