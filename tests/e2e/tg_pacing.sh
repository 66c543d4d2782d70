#!/usr/bin/env bash
# The outbox's pacing through the real binary and the fake Bot API enforcing
# Telegram's limits (127.0.0.1 only):
#  1. under the fast test clock (KOCBOT_FAKE_SPEED) the sender still paces by
#     real seconds: a burst of replies to one chat gets no 429;
#  2. a button press in a chat whose replies wait for their turn (1 per
#     second, 20 per minute) is answered at once: the toast is not a message
#     in the chat and must not queue behind them;
#  3. with more chats than connections the chats take turns.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.bash
if ! command -v python3 >/dev/null || ! command -v sqlite3 >/dev/null; then
    not_ok "python3 and sqlite3 are needed (make deps installs them)"; finish; exit
fi
TG=tests/e2e/tg_util.py
TOKEN=123456:TEST-token_secret
cat >"$WORK/bot.json" <<JSON
{"limits": {"enabled": true, "coalesce": false}, "telegram": {"poll_timeout_s": 2}, "log_level": "info"}
JSON
chmod 600 "$WORK/bot.json"
export KOCBOT_LOCALE=en KOCBOT_TELEGRAM_TOKEN=$TOKEN KOCBOT_OPERATORS=tg:1 KOCBOT_TZ=Asia/Shanghai
T0=1795399200            # Monday 2026-11-23 10:00 in Shanghai
CHAT=-1007777

q() { sqlite3 "$DB" "$1" 2>/dev/null; }
wait_for() { # wait_for SECONDS command...: poll until the command succeeds
    local limit=$(( $1 * 10 )); shift
    for _ in $(seq 1 "$limit"); do "$@" && return 0; sleep 0.1; done
    return 1
}
push() { control updates "$1" >/dev/null; }
msg() { python3 $TG msg "$CHAT" "$@"; }    # msg USER NAME MSG_ID DATE TEXT
run_bot() { # run_bot SPEED
    KOCBOT_FAKE_NOW=$T0 KOCBOT_FAKE_SPEED=$1 KOCBOT_TELEGRAM_API=$FAKE \
        "$KOCBOT" --config "$WORK/bot.json" --db "$DB" >>"$WORK/bot.log" 2>&1 &
    BOT=$!
    cleanup_hooks+=("kill $BOT 2>/dev/null")
}
delivered() { [ "$(q 'SELECT count(*) FROM outbox WHERE state = 1')" = "$1" ]; }

# ---- 1. the fast clock ----------------------------------------------------
start_fake --token "$TOKEN" --enforce-limits
DB=$WORK/fast.db
for i in 1 2 3 4 5 6; do push "$(msg $((300 + i)) "m$i" $((100 + i)) "$T0" /me)"; done
run_bot 240
check "fast clock: six replies delivered" wait_for 15 delivered 6
stats=$(control stats)
check "fast clock: no 429 from the API's limits" grep -q '"limit_429":0' <<<"$stats"
check "fast clock: one send per reply" grep -q '"sendMessage":6' <<<"$stats"
kill -TERM "$BOT"; wait "$BOT"
kill "$FAKE_PID"; wait "$FAKE_PID" 2>/dev/null

# ---- 2. a press while the chat's replies wait ------------------------------
start_fake --token "$TOKEN" --enforce-limits
DB=$WORK/press.db
push "$(msg 1 op 200 "$T0" '/poll new Busy chat? | yes | no')"
run_bot 1
check "press: the poll is posted" wait_for 10 delivered 1
poll_msg=$(q "SELECT message_id FROM posted WHERE ref = 'poll:1'")
burst="$(msg 301 u1 201 "$T0" /me)"
for i in $(seq 2 12); do burst="$burst,$(msg $((300 + i)) "u$i" $((200 + i)) "$T0" /me)"; done
push "[$burst]"
sleep 0.5                      # the burst is applied first, then the press
push "$(python3 $TG cb press-1 "$CHAT" 400 presser "$poll_msg" '/vote 1 1')"
answered() { [ "$(control requests?method=answerCallbackQuery | grep -c press-1)" -ge 1 ]; }
check "press: answered within 2 s though 12 replies wait their turn" wait_for 2 answered
check "press: the vote counts" [ "$(q 'SELECT count(*) FROM poll_votes')" = 1 ]
check "press: no 429 from the API's limits" grep -q '"limit_429":0' <<<"$(control stats)"
kill -TERM "$BOT"; wait "$BOT"; rc=$?
check "bot: clean exit" [ $rc = 0 ]
check "bot: no errors logged" bash -c "! grep -qiE 'error|sanitizer' '$WORK/bot.log'"
kill "$FAKE_PID"; wait "$FAKE_PID" 2>/dev/null

# ---- 3. more chats than connections: sends take turns ----------------------
# two connections, four chats with eight replies each: the sender hands over
# two sends at a time (none waits in curl's queue) and serves the chats in
# turn, so no chat waits until the others are done
cat >"$WORK/bot.json" <<JSON
{"limits": {"enabled": false}, "max_connections": 2, "telegram": {"poll_timeout_s": 2}}
JSON
start_fake --token "$TOKEN"
DB=$WORK/turns.db
burst=""
for c in 1 2 3 4; do
    for i in $(seq 1 8); do
        burst="$burst${burst:+,}$(python3 $TG msg "-100800$c" $((500 + i)) "t$i" $((1000 * c + i)) "$T0" /me)"
    done
done
push "[$burst]"
run_bot 1
check "turns: 32 replies delivered" wait_for 20 delivered 32
first8=$(control requests?method=sendMessage | python3 -c '
import json, sys
print(len({str(r["body"]["chat_id"]) for r in json.load(sys.stdin)[:8]}))')
check "turns: the first eight sends reach all four chats ($first8)" [ "$first8" = 4 ]
kill -TERM "$BOT"; wait "$BOT"; rc=$?
check "turns: clean exit" [ $rc = 0 ]
[ "$FAIL" = 0 ] || tail -20 "$WORK/bot.log"
finish
