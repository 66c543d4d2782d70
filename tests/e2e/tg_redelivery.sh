#!/usr/bin/env bash
# What the crash and fault suites alone would not catch (docs/RELIABILITY.md):
#  1. redelivery: after everything was applied, the fake delivers the same
#     messages again under new update_ids (as Telegram may after a restart
#     of its own) and the same button press twice: nothing applies twice,
#     nothing is answered twice;
#  2. delivery means 2xx: the fake answers about 40% of sends 429, 500 or
#     502, and holds two past the bot's timeout: a reply counts as delivered
#     only when the fake accepted it, and the replies it accepted are
#     exactly one per command.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.bash
if ! command -v python3 >/dev/null || ! command -v sqlite3 >/dev/null; then
    not_ok "python3 and sqlite3 are needed (make deps installs them)"; finish; exit
fi
TG=tests/e2e/tg_util.py
TOKEN=123456:REDELIVER-token_secret
cat >"$WORK/bot.json" <<JSON
{"limits": {"enabled": false}, "log_level": "warn", "member_rate_per_min": 0,
 "telegram": {"poll_timeout_s": 1, "request_timeout_s": 1, "backoff_max_s": 2}}
JSON
chmod 600 "$WORK/bot.json"
export KOCBOT_LOCALE=en KOCBOT_TELEGRAM_TOKEN=$TOKEN KOCBOT_OPERATORS=tg:1
T0=1795399200
CHAT=-1001234

run_bot() { # run_bot DB LOG: starts the bot in the background, sets BOT
    KOCBOT_TELEGRAM_API=$FAKE "$KOCBOT" --config "$WORK/bot.json" --db "$1" >>"$2" 2>&1 &
    BOT=$!
    cleanup_hooks+=("kill -9 $BOT 2>/dev/null")
}
q() { sqlite3 "$DB" "$1" 2>/dev/null; }
msg() { python3 $TG msg "$CHAT" "$@"; }       # msg USER NAME MSG_ID DATE TEXT [k=v]
snapshot() {
    q "SELECT (SELECT count(*) FROM ledger), (SELECT sum(amount) FROM ledger),
              (SELECT count(*) FROM checkins), (SELECT count(*) FROM poll_votes),
              (SELECT count(*) FROM outbox)"
}

# ---- 1. redelivery --------------------------------------------------------
start_fake --token "$TOKEN"
DB=$WORK/redeliver.db
{
    msg 1 op 1 "$T0" "/poll new Best poster? | Sunset | City"
    for u in $(seq 11 20); do msg "$u" "u$u" "$u" "$T0" /checkin; done
    msg 1 op 30 "$T0" "/grant points 5 @u15 for the poster"
    msg 12 u12 31 "$T0" /me
} >"$WORK/burst.lines"
burst="[$(paste -sd, "$WORK/burst.lines")]"
press="$(python3 $TG cb cb-77 "$CHAT" 13 u13 500000 "/vote 1 2")"
control updates "$burst" >/dev/null
run_bot "$DB" "$WORK/redeliver.log"
check "redelivery: the burst is applied" wait_for 30 bash -c \
    "[ \"\$(sqlite3 '$DB' 'SELECT count(*) FROM processed' 2>/dev/null)\" = 13 ]"
control updates "$press" >/dev/null
check "redelivery: the press is applied and everything answered" wait_for 30 settled
before=$(snapshot)
answers=$(control "requests?method=answerCallbackQuery" | grep -o cb-77 | wc -l)
echo "# before: ledger rows, points, check-ins, votes, replies = $before"
# Telegram, after a restart of its own, delivers it all again with new ids
control updates "$burst" >/dev/null
control updates "$press" >/dev/null
control updates "$press" >/dev/null
check "redelivery: the repeats are confirmed" wait_for 30 settled
after=$(snapshot)
echo "# after:  ledger rows, points, check-ins, votes, replies = $after"
check "redelivery: nothing applied or answered twice" [ "$before" = "$after" ]
check "redelivery: the grant paid once" [ "$(q "SELECT count(*) FROM ledger WHERE reason = 'grant'")" = 1 ]
check "redelivery: the press answered once" \
    [ "$(control "requests?method=answerCallbackQuery" | grep -o cb-77 | wc -l)" = "$answers" ]
check "redelivery: 13 messages and one press seen, each once" \
    [ "$(q 'SELECT count(*) FROM processed')" = 14 ]
kill -TERM "$BOT"; wait "$BOT"
kill "$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null

# ---- 2. delivery means 2xx --------------------------------------------------
start_fake --token "$TOKEN"
DB=$WORK/delivery.db
N=40
control fault '{"rate":0.4,"seed":20261201,"method":"sendMessage","kinds":["429","500","502"]}' >/dev/null
control fault '{"kind":"delay","count":2,"method":"sendMessage","delay_ms":2500}' >/dev/null
for i in $(seq 1 $N); do
    python3 $TG msg "$((-1000 - i % 4))" "$((100 + i))" "m$i" "$i" "$T0" /me
done >"$WORK/me.lines"
control updates "[$(paste -sd, "$WORK/me.lines")]" >/dev/null
run_bot "$DB" "$WORK/delivery.log"
check "delivery: every reply settled within 90 s" wait_for 90 settled
control "requests?method=sendMessage" >"$WORK/sends.json"
control "requests?method=sendMessage&accepted=1" >"$WORK/accepted.json"
refused=$(python3 $TG q "$WORK/sends.json" 'sum(1 for r in R if not r["accepted"])')
accepted=$(python3 $TG q "$WORK/accepted.json" \
    'len({(r["body"]["chat_id"], r["body"]["reply_parameters"]["message_id"]) for r in R})')
echo "# delivery: $(python3 $TG q "$WORK/sends.json" 'len(R)') sends, $refused refused or held by the fake, $accepted distinct replies accepted"
check "delivery: the fake refused a good share of the sends" [ "$refused" -ge 10 ]
check "delivery: the replies the fake accepted are one per command ($N)" [ "$accepted" = $N ]
check "delivery: every reply recorded delivered" [ "$(q 'SELECT count(*) FROM outbox WHERE state = 1')" = $N ]
kill -TERM "$BOT"; wait "$BOT"
finish
