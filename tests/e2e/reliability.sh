#!/usr/bin/env bash
# Reliability under crashes, faults and a full disk (docs/RELIABILITY.md).
# The real binary against the fake Bot API on 127.0.0.1; every wait is bounded.
#  1. crash: kill -9 at 20 random moments during a 10,000-update burst
#     (check-ins, votes, /me), restarting each time: the ledger, check-ins and
#     votes are exactly what the workload implies, every command has a reply,
#     PRAGMA integrity_check is ok.  The test build kills itself after a
#     random number of events inside a batch's transaction, before its commit
#     (core/testhook.h), so the kills land in the apply phase, not by luck
#  2. faults: 20% of Bot API requests fail at random (fixed seed): 429 with
#     retry_after, 500, 502, 409, timeouts, resets, truncated bodies, invalid
#     JSON; the bot keeps running, never comes back before retry_after, and
#     the final state is exact
#  3. disk full (SQLite max_page_count through KOCBOT_TEST_MAX_PAGES): the
#     batch is refused with a logged error, the cursor does not move, and
#     after a restart with room everything is applied once
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.bash
TOKEN=123456:REL-token_secret
cat >"$WORK/bot.json" <<JSON
{"limits": {"enabled": false}, "log_level": "warn",
 "telegram": {"poll_timeout_s": 1, "request_timeout_s": 2, "conflict_wait_s": 1, "backoff_max_s": 2}}
JSON
chmod 600 "$WORK/bot.json"
export KOCBOT_LOCALE=en KOCBOT_TELEGRAM_TOKEN=$TOKEN KOCBOT_OPERATORS=tg:1
CHATS=4

# workload N FIRST: N group messages from distinct users (user 1000+i in chat
# -1000000-(i%4)): i%10 in 0..6 /checkin, 7..8 /vote on the chat's poll, 9 /me
workload() {
    awk -v n="$1" -v first="$2" -v chats=$CHATS 'BEGIN { printf "[";
        for (i = first; i < first + n; i++) {
            if (i > first) printf ",";
            k = i % chats; t = i % 10;
            text = t < 7 ? "/checkin" : t < 9 ? sprintf("/vote %d %d", k + 1, 1 + i % 2) : "/me";
            printf "{\"message\":{\"message_id\":%d,\"date\":1795391940,\"chat\":{\"id\":%d,\"type\":\"supergroup\",\"title\":\"G%d\"},\"from\":{\"id\":%d,\"first_name\":\"user%d\"},\"text\":\"%s\"}}",
                100 + i, -1000000 - k, k, 1000 + i, i, text;
        }
        printf "]" }'
}
polls() { # the operator opens one poll per chat (poll k+1 in chat k)
    local k
    for k in $(seq 0 $((CHATS - 1))); do
        control updates "{\"message\":{\"message_id\":$((k + 1)),\"date\":1795391900,\"chat\":{\"id\":$((-1000000 - k)),\"type\":\"supergroup\",\"title\":\"G$k\"},\"from\":{\"id\":1,\"first_name\":\"Op\"},\"text\":\"/poll new Which poster? | Sunset | City night --closes 30d\"}}" >/dev/null
    done
}
run_bot() { # run_bot DB LOG [env...]: starts the bot in the background, sets BOT
    local db=$1 log=$2; shift 2
    env "$@" KOCBOT_TELEGRAM_API="$FAKE" "$KOCBOT" --config "$WORK/bot.json" --db "$db" >>"$log" 2>&1 &
    BOT=$!
    cleanup_hooks+=("kill -9 $BOT 2>/dev/null")
}
wait_for() { # wait_for SECONDS command...
    local limit=$(( $1 * 10 )); shift
    for _ in $(seq 1 "$limit"); do "$@" && return 0; sleep 0.1; done
    return 1
}
q() { sqlite3 "$DB" "$1" 2>/dev/null; }
# the state a workload of N messages (first 0) implies, checked exactly
exact() { # exact LABEL N
    local n=$2 checkins=0 votes=0 i
    for ((i = 0; i < n; i++)); do
        case $((i % 10)) in [0-6]) checkins=$((checkins + 1)) ;; 7|8) votes=$((votes + 1)) ;; esac
    done
    check "$1: $checkins check-ins, one per member" [ "$(q 'SELECT count(*) FROM checkins')" = $checkins ]
    check "$1: one check-in ledger row each" \
        [ "$(q "SELECT count(*) FROM ledger WHERE reason = 'checkin'")" = $checkins ]
    check "$1: $votes votes" [ "$(q 'SELECT count(*) FROM poll_votes')" = $votes ]
    check "$1: tallies agree with the ledger" \
        [ "$(q 'SELECT sum(amount) FROM ledger')" = "$(q 'SELECT sum(points) FROM period_tallies WHERE span = 0')" ]
    check "$1: every command has a reply" [ "$(q "SELECT count(*) FROM processed p
        WHERE CAST(p.message_id AS INTEGER) >= 100 AND NOT EXISTS (SELECT 1 FROM outbox o
        WHERE o.chat_id = p.chat_id AND o.reply_to = p.message_id)")" = 0 ]
    check "$1: no reply twice" [ "$(q "SELECT count(*) FROM (SELECT 1 FROM outbox
        WHERE reply_to IS NOT NULL GROUP BY chat_id, reply_to HAVING count(*) > 1)")" = 0 ]
    check "$1: integrity_check ok" [ "$(q 'PRAGMA integrity_check')" = ok ]
}
all_done() { # all_done N: N workload messages + the polls applied, nothing pending
    [ "$(q "SELECT (SELECT count(*) FROM processed) = $1 + $CHATS AND
            NOT EXISTS (SELECT 1 FROM outbox WHERE state = 0)")" = 1 ]
}

# ---- 1. crash: 20 x kill -9 during a 10,000-update burst -------------------
N=10000
start_fake --token "$TOKEN"
DB=$WORK/crash.db
polls
kills=0
inside=0
gone() { [ ! -e "/proc/$1" ] || grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null; }
for round in $(seq 1 20); do
    # the burst arrives in 20 slices of 500, each while the bot is running
    workload $((N / 20)) $(( (round - 1) * N / 20 )) >"$WORK/burst.json"
    control updates "@$WORK/burst.json" >/dev/null
    run_bot "$DB" "$WORK/crash.log" KOCBOT_TEST_KILL_AFTER_EVENTS=$((1 + RANDOM % (N / 20)))
    # the hook fires inside a transaction; if the bot outlives it, kill it from outside
    wait_for 10 gone "$BOT" || kill -9 "$BOT" 2>/dev/null
    wait "$BOT" 2>/dev/null
    [ $? = 137 ] && kills=$((kills + 1))
    landed=$(grep -c 'test hook: SIGKILL inside the apply transaction' "$WORK/crash.log")
    [ "$landed" -gt "$inside" ] && inside=$landed
    echo "# kill $round: $(q 'SELECT count(*) FROM processed') applied, $(q 'SELECT count(*) FROM outbox WHERE state = 1') delivered"
done
echo "# crash: $inside of 20 kills landed inside the apply transaction"
check "crash: 20 kills landed" [ $kills = 20 ]
check "crash: at least 18 of them inside the apply transaction" [ "$inside" -ge 18 ]
run_bot "$DB" "$WORK/crash.log"
check "crash: all $N updates applied and answered after the kills" wait_for 120 all_done $N
exact crash $N
kill -TERM "$BOT"; wait "$BOT"; rc=$?
check "crash: clean exit after the kills" [ $rc = 0 ]
kill "$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null

# ---- 2. faults on 20% of requests --------------------------------------------
N=${RELIABILITY_FAULT_UPDATES:-2000}
start_fake --token "$TOKEN"
DB=$WORK/faults.db
control fault '{"rate":0.2,"seed":20261123,"delay_ms":3000,
    "kinds":["429","500","502","409","delay","close","truncate","bad_json"]}' >/dev/null
polls
workload $N 0 >"$WORK/faults.json"
control updates "@$WORK/faults.json" >/dev/null
run_bot "$DB" "$WORK/faults.log"
t0=$(date +%s)
check "faults: all $N updates applied, nothing left pending (bounded: 150 s)" wait_for 150 all_done $N
echo "# faults: drained in $(( $(date +%s) - t0 )) s"
check "faults: the bot kept running" kill -0 "$BOT"
stats=$(control stats)
echo "# faults: $(printf '%s' "$stats" | grep -o '"faults":[0-9]*'), $(printf '%s' "$stats" | grep -o '"requests":[0-9]*')"
check "faults: about a fifth of requests faulted" \
    [ "$(printf '%s' "$stats" | grep -o '"faults":[0-9]*' | cut -d: -f2)" -gt $((N / 20)) ]
check "faults: retry_after never undercut" \
    [ "$(printf '%s' "$stats" | grep -o '"early_retries":[0-9]*' | cut -d: -f2)" = 0 ]
exact faults $N
given_up=$(q 'SELECT count(*) FROM outbox WHERE state = 2')
echo "# faults: $given_up replies given up after two unanswered sends (Telegram has no idempotency key)"
q 'SELECT attempts, error, count(*) FROM outbox WHERE state = 2 GROUP BY 1, 2' | sed 's/^/# given up: /'
check "faults: a reply is given up only after a send that got no answer, never on its first try" \
    [ "$(q "SELECT count(*) FROM outbox WHERE state = 2 AND (attempts < 2 OR
            (error NOT LIKE 'no answer%' AND error NOT LIKE 'unreadable answer%'))")" = 0 ]
kill -TERM "$BOT"; wait "$BOT"; rc=$?
check "faults: clean exit" [ $rc = 0 ]
kill "$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null

# ---- 3. disk full -----------------------------------------------------------
N=500
start_fake --token "$TOKEN"
DB=$WORK/full.db
polls
run_bot "$DB" "$WORK/full.log"
check "full: the polls applied" wait_for 20 all_done 0
kill -TERM "$BOT"; wait "$BOT"
cursor=$(q "SELECT value FROM cursors WHERE key = 'tg:offset'")
q 'VACUUM' >/dev/null # no free pages left over from migrations: only 2 pages of room
pages=$(q 'PRAGMA page_count')
workload $N 0 >"$WORK/full.json"
control updates "@$WORK/full.json" >/dev/null
: >"$WORK/full.log"
run_bot "$DB" "$WORK/full.log" KOCBOT_TEST_MAX_PAGES=$((pages + 2))
check "full: the refusal is logged" wait_for 20 grep -q 'storage full or read-only' "$WORK/full.log"
sleep 3
check "full: the bot keeps running" kill -0 "$BOT"
check "full: the cursor did not move" [ "$(q "SELECT value FROM cursors WHERE key = 'tg:offset'")" = "$cursor" ]
check "full: nothing of the batch was applied" [ "$(q 'SELECT count(*) FROM checkins')" = 0 ]
check "full: Telegram still holds the updates" \
    [ "$(control stats | grep -o '"pending_updates":[0-9]*' | cut -d: -f2)" = $N ]
kill -TERM "$BOT"; wait "$BOT"
run_bot "$DB" "$WORK/full.log"
check "full: with room again, everything is applied" wait_for 60 all_done $N
exact full $N
kill -TERM "$BOT"; wait "$BOT"
finish
