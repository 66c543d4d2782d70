#!/usr/bin/env bash
# Trust and staying up, through the real binary and the fake Bot API:
#  1. who a command means: a display name shared by two members is refused
#     with both listed; a text_mention and a reply name the person by id; a
#     forwarded command does nothing; a refused button press is answered
#     privately (the callback answer), nothing is posted in the group;
#  2. a damaged getUpdates answer (a lone \ud800 escape) and an update_id
#     of 2^53: the readable updates are applied, the bad one is kept in
#     failed_events, the offset moves past both, nothing is polled again;
#  3. a 404 page from a proxy in front of the API is a network fault, not a
#     rejected token: the bot keeps retrying; Telegram's own 401 exits 2;
#  4. SIGTERM in the first milliseconds is a clean stop (exit 0);
#  5. the database, -wal and -shm are 0600; the token is in no log, no
#     database file and not in /proc/PID/cmdline;
#  6. HTTP connections stay under max_connections with 60 chats answered.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.bash
if ! command -v python3 >/dev/null || ! command -v sqlite3 >/dev/null; then
    not_ok "python3 and sqlite3 are needed (make deps installs them)"; finish; exit
fi
TG=tests/e2e/tg_util.py
TOKEN=123456:TRUST-token_secret
cat >"$WORK/bot.json" <<JSON
{"limits": {"enabled": false}, "log_level": "info", "member_rate_per_min": 0,
 "telegram": {"poll_timeout_s": 1, "request_timeout_s": 2, "backoff_max_s": 2}}
JSON
chmod 600 "$WORK/bot.json"
export KOCBOT_LOCALE=en KOCBOT_TELEGRAM_TOKEN=$TOKEN KOCBOT_OPERATORS=tg:1
T0=1795399200
CHAT=-1001234
LOG=$WORK/bot.log

run_bot() { # run_bot DB [env...]: starts the bot in the background, sets BOT
    local db=$1; shift
    env "$@" KOCBOT_TELEGRAM_API="${API:-$FAKE}" "$KOCBOT" --config "$WORK/bot.json" --db "$db" >>"$LOG" 2>&1 &
    BOT=$!
    cleanup_hooks+=("kill -9 $BOT 2>/dev/null")
}
q() { sqlite3 "$DB" "$1" 2>/dev/null; }
push() { control updates "$1" >/dev/null; }
say() { local u=$1 n=$2 m=$3 t=$4; shift 4; push "$(python3 $TG msg "$CHAT" "$u" "$n" "$m" "$T0" "$t" "$@")"; }
granted() { q "SELECT coalesce(sum(amount), 0) FROM ledger l JOIN members m ON m.id = l.member_id
               WHERE l.reason = 'grant' AND m.user_id = '$1'"; }

# ---- 1. identities, forwards, button presses ----------------------------------
start_fake --token "$TOKEN"
DB=$WORK/trust.db
run_bot "$DB"
say 21 Alice 21 /checkin nohandle=1
say 22 Alice 22 /checkin handle=alice_w
say 23 Eve 23 /checkin handle=eve
check "members: three check-ins" wait_for 20 settled
say 1 op 40 "/grant points 100 @Alice for the poster"
say 1 op 41 "/grant points 1000 @eve for nothing" forward=23
say 1 op 42 "/grant points 7 Alice for the mention" mention=21:16:5
say 1 op 43 "/grant points 8 for the reply" reply=22 reply_from=22
push "$(python3 $TG cb cb-9 "$CHAT" 23 eve 500 "/grant points 5 @eve by button")"
check "targets: all applied and answered" wait_for 20 settled
control "requests?method=sendMessage&accepted=1" >"$WORK/sent.json"
check "a shared display name is refused, both members listed by number" python3 $TG t "$WORK/sent.json" \
    'any("does not say which member" in r["body"]["text"] and "@alice_w" in r["body"]["text"]
         and r["body"]["text"].count("#") >= 3 for r in R)'
check "the text_mention paid the Alice it names" [ "$(granted 21)" = 7 ]
check "the reply paid the Alice it answers" [ "$(granted 22)" = 8 ]
check "the forwarded command paid no one" [ "$(granted 23)" = 0 ]
check "four operator commands, two grants" [ "$(q "SELECT count(*) FROM ledger WHERE reason = 'grant'")" = 2 ]
check "the refused press posted nothing in the group" \
    python3 $TG t "$WORK/sent.json" 'not any("only operators" in r["body"]["text"] for r in R)'
control "requests?method=answerCallbackQuery" >"$WORK/answers.json"
check "the refused press was answered privately" python3 $TG t "$WORK/answers.json" \
    'any(r["body"]["callback_query_id"] == "cb-9" and "only operators" in r["body"].get("text", "") for r in R)'

# ---- 5. file modes and the token (while the bot runs) -------------------------
mode() { stat -c %a "$1"; }
check "files: the database is 0600" [ "$(mode "$DB")" = 600 ]
check "files: the -wal is 0600" [ "$(mode "$DB-wal")" = 600 ]
check "files: the -shm is 0600" [ "$(mode "$DB-shm")" = 600 ]
check "token: not on the command line" bash -c "! tr '\\0' ' ' </proc/$BOT/cmdline | grep -q TRUST-token"
kill -TERM "$BOT"; wait "$BOT"
kill "$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null

# ---- 2. poison updates ----------------------------------------------------------
start_fake --token "$TOKEN"
DB=$WORK/poison.db
say 31 u31 61 /checkin
control "raw_update?id=700000000" \
    '{"update_id":700000000,"message":{"message_id":62,"date":1795399200,"chat":{"id":-1001234,"type":"supergroup"},"from":{"id":32,"first_name":"x"},"text":"bad \ud800 escape"}}' >/dev/null
say 33 u33 63 /checkin
run_bot "$DB"
check "poison: the batch around the bad update is applied" wait_for 20 settled
check "poison: both readable check-ins landed" [ "$(q 'SELECT count(*) FROM checkins')" = 2 ]
check "poison: the bad update is kept in failed_events with its raw JSON" \
    [ "$(q "SELECT count(*) FROM failed_events WHERE message_id = 'update:700000000' AND text LIKE '%\\ud800 escape%'")" = 1 ]
control "raw_update?id=9007199254740992" \
    '{"update_id":9007199254740992,"message":{"message_id":64,"date":1795399200,"chat":{"id":-1001234,"type":"supergroup"},"from":{"id":34,"first_name":"y"},"text":"/checkin"}}' >/dev/null
check "poison: an update_id of 2^53 is applied and confirmed" wait_for 20 settled
check "poison: the offset moved past it, every digit kept" \
    [ "$(q "SELECT value FROM cursors WHERE key = 'tg:offset'")" = 9007199254740993 ]
polls=$(control "requests?method=getUpdates" | grep -o '"method"' | wc -l)
sleep 2.5
check "poison: polling goes on at the long-poll pace, not a retry loop" \
    [ "$(( $(control "requests?method=getUpdates" | grep -o '"method"' | wc -l) - polls ))" -le 3 ]
kill -TERM "$BOT"; wait "$BOT"
run_bot "$DB"
check "poison: the stored offset past 2^53 is read back" wait_for 10 grep -q "running as" "$LOG"
sleep 0.5
check "poison: ...and not called unreadable" bash -c "! grep -q 'stored offset unreadable' '$LOG'"
kill -TERM "$BOT"; wait "$BOT"
kill "$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null

# ---- 3. a proxy's 404 page --------------------------------------------------------
cat >"$WORK/proxy.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def answer(self):
        body = b"<html><body><h1>404 Not Found</h1>nginx</body></html>"
        self.send_response(404); self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "text/html"); self.end_headers(); self.wfile.write(body)
    do_GET = do_POST = answer
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_port)); __import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
s.timeout = 60; [s.handle_request() for _ in range(200)]
PY
python3 "$WORK/proxy.py" "$WORK/proxy.port" &
PROXY=$!
cleanup_hooks+=("kill $PROXY 2>/dev/null")
wait_for 10 test -s "$WORK/proxy.port"
: >"$LOG"
API=http://127.0.0.1:$(cat "$WORK/proxy.port") run_bot "$WORK/proxy.db"
sleep 3
check "proxy: a 404 page does not stop the bot" kill -0 "$BOT"
check "proxy: logged with what came back" grep -q "getMe failed (status 404: not a Bot API answer: <html>" "$LOG"
kill -TERM "$BOT"; wait "$BOT"; rc=$?
check "proxy: clean exit" [ $rc = 0 ]
kill "$PROXY" 2>/dev/null; wait "$PROXY" 2>/dev/null
start_fake --token "123456:another-token"
run_bot "$WORK/proxy.db"
wait_for 10 bash -c "! kill -0 $BOT 2>/dev/null"
wait "$BOT"; rc=$?
check "proxy: Telegram's own 401 to getMe exits 2" [ $rc = 2 ]
kill "$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null

# ---- 4. SIGTERM in the first milliseconds ------------------------------------------
start_fake --token "$TOKEN"
# the signal lands while the new database is being created and migrated:
# the file appearing is the cue (spin, a sleep would be too coarse)
codes=""
for i in $(seq 1 10); do
    run_bot "$WORK/term$i.db"
    for _ in $(seq 1 20000); do [ -e "$WORK/term$i.db" ] && break; done
    [ $((i % 2)) = 0 ] && sleep 0.00$((RANDOM % 10))
    kill -TERM "$BOT"
    wait "$BOT"; codes="$codes $?"
done
echo "# SIGTERM while the database opens, exit codes:$codes"
check "SIGTERM early: every run exits 0" [ "$(echo $codes | tr ' ' '\n' | sort -u)" = 0 ]

# ---- 6. the connection pool ---------------------------------------------------------
DB=$WORK/pool.db
cat >"$WORK/bot.json" <<JSON
{"limits": {"enabled": false}, "log_level": "warn", "member_rate_per_min": 0, "max_connections": 4,
 "telegram": {"poll_timeout_s": 1, "request_timeout_s": 5, "backoff_max_s": 2}}
JSON
for i in $(seq 1 60); do python3 $TG msg "$((-2000 - i))" "$((300 + i))" "p$i" "$i" "$T0" /me; done >"$WORK/pool.lines"
control updates "[$(paste -sd, "$WORK/pool.lines")]" >/dev/null
control fault '{"kind":"delay","count":60,"method":"sendMessage","delay_ms":150}' >/dev/null
run_bot "$DB"
peak=0
for _ in $(seq 1 300); do # the bot's open TCP sockets, sampled while it answers
    n=$(ls -l "/proc/$BOT/fd" 2>/dev/null | grep -c 'socket:')
    [ "$n" -gt "$peak" ] && peak=$n
    [ "$(q 'SELECT count(*) FROM outbox WHERE state = 1')" = 60 ] && break
    sleep 0.05
done
check "pool: 60 chats answered" wait_for 30 settled
echo "# pool: at most $peak sockets open while answering 60 chats (max_connections 4)"
check "pool: no more sockets than max_connections (and curl's own wake-up pair)" [ "$peak" -le 6 ]
kill -TERM "$BOT"; wait "$BOT"

# ---- 5. (cont.) the token in logs and database files ----------------------------
check "token: in no log" bash -c "! grep -rq 'TRUST-token' '$LOG' '$WORK/fake.log'"
check "token: in no database file" bash -c "! grep -aq 'TRUST-token' '$WORK'/*.db '$WORK'/*.db-wal 2>/dev/null"
finish
