#!/usr/bin/env bash
# The real binary against our fake Bot API on 127.0.0.1:
#  1. a conversation with faults injected on polls and sends: every command
#     is applied once and answered (a send that got no answer may repeat once);
#  2. kill -9 at random moments during a burst, restarting each time: nothing
#     lost, nothing doubled, every command answered, the database intact;
#  3. SIGTERM with a long poll in flight exits 0 at once.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.bash
TOKEN=123456:TEST-token_secret
cat >"$WORK/bot.json" <<JSON
{"limits": {"enabled": false}, "telegram": {"poll_timeout_s": 2}, "log_level": "${TG_LOG_LEVEL:-warn}"}
JSON
export KOCBOT_LOCALE=en KOCBOT_TELEGRAM_TOKEN=$TOKEN KOCBOT_OPERATORS=tg:1

# updates USERS CHATS TEXT FIRST_MSG_ID [FIRST_USER]: a JSON array of group
# messages from users FIRST_USER.. spread over CHATS chats
updates() {
    awk -v users="$1" -v chats="$2" -v text="$3" -v first="$4" -v base="${5:-0}" 'BEGIN {
        printf "[";
        for (i = 0; i < users; i++) {
            if (i) printf ",";
            u = base + i; chat = -1000000 - (u % chats);
            printf "{\"message\":{\"message_id\":%d,\"date\":1795391940,\"chat\":{\"id\":%d,\"type\":\"supergroup\",\"title\":\"G%d\"},\"from\":{\"id\":%d,\"first_name\":\"user%d\",\"username\":\"user%d\"},\"text\":\"%s\"}}",
                first + i, chat, u % chats, 1000 + u, u, u, text;
        }
        printf "]";
    }'
}
run_bot() { # run_bot DB LOG: starts the bot in the background, sets BOT
    KOCBOT_TELEGRAM_API=$FAKE "$KOCBOT" --config "$WORK/bot.json" --db "$1" >>"$2" 2>&1 &
    BOT=$!
}
wait_for() { # wait_for SECONDS command...: poll until the command succeeds
    local limit=$(( $1 * 10 )); shift
    for _ in $(seq 1 "$limit"); do "$@" && return 0; sleep 0.1; done
    return 1
}
q() { sqlite3 "$DB" "$1" 2>/dev/null; }
chmod 600 "$WORK/bot.json"

# ---- 1. faults -----------------------------------------------------------
start_fake --token "$TOKEN"
DB=$WORK/faults.db
# (consecutive poll failures back off 1, 2, 4 s: keep the list short)
for f in '{"kind":"bad_json","count":1,"method":"getUpdates"}' \
         '{"kind":"truncate","count":1,"method":"getUpdates"}' '{"kind":"close","count":1,"method":"getUpdates"}' \
         '{"kind":"429","count":1,"method":"getUpdates","retry_after":1}' \
         '{"kind":"429","count":1,"method":"sendMessage","retry_after":1}' \
         '{"kind":"500","count":2,"method":"sendMessage"}' '{"kind":"close","count":1,"method":"sendMessage"}'; do
    control fault "$f" >/dev/null
done
control updates "$(updates 30 3 /checkin 1)" >/dev/null
control updates "$(updates 30 3 /checkin 101)" >/dev/null   # everyone twice
control updates "$(updates 10 3 /me 201)" >/dev/null
run_bot "$DB" "$WORK/faults.log"
# one query, one snapshot: two separate reads could straddle the batch's commit
all_answered() { [ "$(q 'SELECT (SELECT count(*) FROM processed) = 70
                             AND NOT EXISTS (SELECT 1 FROM outbox WHERE state = 0)')" = 1 ]; }
check "faults: all 70 updates applied and answered within 40 s" wait_for 40 all_answered
check "faults: one check-in per member" [ "$(q 'SELECT count(*) FROM checkins')" = 30 ]
check "faults: one ledger row per check-in" [ "$(q 'SELECT count(*) FROM ledger')" = 30 ]
check "faults: every reply delivered" [ "$(q 'SELECT count(*) FROM outbox WHERE state <> 1')" = 0 ] ||
    q "SELECT '# undelivered', id, state, attempts, uncertain, error FROM outbox WHERE state <> 1"
# only what the fake accepted counts: a send it answered 429 or 500 never reached the chat
control "requests?method=sendMessage&accepted=1" >"$WORK/sent.json"
seen_ok=1
for i in $(seq 0 29); do
    n=$(grep -o "user$i⁩ checked in" "$WORK/sent.json" | wc -l)
    [ "$n" -ge 1 ] && [ "$n" -le 2 ] || { echo "# user$i confirmed $n times"; seen_ok=0; }
done
check "faults: each confirmation reached the chat once (at most twice after a lost answer)" [ $seen_ok = 1 ]
kill -TERM "$BOT"
check "faults: SIGTERM with a poll in flight exits 0" wait_for 5 bash -c "! kill -0 $BOT 2>/dev/null"
wait "$BOT"; rc=$?
check "faults: exit status 0" [ $rc = 0 ]
check "faults: the token never reached the log" bash -c "! grep -q 'TEST-token' '$WORK/faults.log'"
kill "$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null

# ---- 2. kill -9 during a burst ------------------------------------------
start_fake --token "$TOKEN"
DB=$WORK/crash.db
# four rounds: more updates arrive, the bot starts, and dies at a random moment
for round in 0 1 2 3; do
    control updates "$(updates 100 4 /checkin $((round * 100 + 1)) $((round * 100)))" >/dev/null
    control updates "$(updates 100 4 /checkin $((round * 100 + 1001)) $((round * 100)))" >/dev/null
    control updates "$(updates 50 4 /me $((round * 100 + 2001)) $((round * 100)))" >/dev/null
    run_bot "$DB" "$WORK/crash.log"
    sleep 0.$((RANDOM % 3))$((RANDOM % 10))
    kill -9 "$BOT"; wait "$BOT" 2>/dev/null
    echo "# round $round: killed with $(q 'SELECT count(*) FROM processed') of $(( (round + 1) * 250 )) updates applied"
done
run_bot "$DB" "$WORK/crash.log"
done_all() { [ "$(q 'SELECT (SELECT count(*) FROM processed) = 1000
                         AND NOT EXISTS (SELECT 1 FROM outbox WHERE state = 0)')" = 1 ]; }
check "crash: all 1000 updates applied after 4 kills" wait_for 60 done_all
check "crash: exactly one check-in per member" [ "$(q 'SELECT count(*) FROM checkins')" = 400 ]
check "crash: exactly one ledger row per check-in" [ "$(q "SELECT count(*) FROM ledger WHERE reason='checkin'")" = 400 ]
check "crash: tallies agree with the ledger" [ "$(q 'SELECT sum(amount) FROM ledger')" = "$(q 'SELECT sum(points) FROM period_tallies WHERE span = 0')" ]
check "crash: every command has one reply row" [ "$(q 'SELECT count(*) FROM outbox')" = 1000 ]
check "crash: every reply delivered" [ "$(q 'SELECT count(*) FROM outbox WHERE state <> 1')" = 0 ]
check "crash: integrity_check ok" [ "$(q 'PRAGMA integrity_check')" = ok ]
kill -TERM "$BOT"; wait "$BOT"; rc=$?
check "crash: clean exit" [ $rc = 0 ]
finish
