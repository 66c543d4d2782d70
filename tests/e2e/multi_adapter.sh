#!/usr/bin/env bash
# The console and the Telegram adapter in ONE process, over one database,
# against the fake Bot API (127.0.0.1 only):
#  1. a community linked across the console chat and a Telegram group
#     (/community link on one side, /community join CODE on the other) shares
#     one ledger; a person links their two identities (/me link in a
#     Telegram private chat, the code typed on the console); a check-in on
#     one side and /me on the other agree; a task is announced in every
#     group or in one;
#  2. identity codes that are wrong, expired, used twice, typed by a third
#     person or on the same platform are refused with a clear message and
#     change 0 rows; an operator's /identity unlink undoes the merge;
#  3. kill -9 during a mixed burst on both adapters, restart: nothing lost,
#     nothing doubled on either side, every command answered;
#  4. a Telegram token the API refuses (401) stops only that adapter: the
#     console keeps serving, the process keeps running and retries.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.bash
if ! command -v python3 >/dev/null || ! command -v sqlite3 >/dev/null; then
    not_ok "python3 and sqlite3 are needed (make deps installs them)"; finish; exit
fi
TOKEN=123456:TEST-token_secret
cat >"$WORK/bot.json" <<JSON
{"adapters": ["console", "telegram"], "limits": {"enabled": false},
 "telegram": {"poll_timeout_s": 2}, "log_level": "info"}
JSON
chmod 600 "$WORK/bot.json"
export KOCBOT_LOCALE=en KOCBOT_TELEGRAM_TOKEN=$TOKEN KOCBOT_OPERATORS=tg:1,console:op
export KOCBOT_FAKE_NOW=2026-11-23T09:00:00+08:00 KOCBOT_FAKE_SPEED=60   # 10 code minutes = 10 s
DATE=1795395600        # 2026-11-23 09:00 in Shanghai
GROUP=-1005000
DB=$WORK/bot.db
q() { sqlite3 "$DB" "$1" 2>/dev/null; }
MSG=100
# tg CHAT TYPE USER NAME TEXT: one Telegram update (type "supergroup" or "private")
tg() {
    MSG=$((MSG + 1))
    python3 - "$1" "$2" "$3" "$4" "$MSG" "$DATE" "$5" <<'PY' | control updates @/dev/stdin >/dev/null
import json, sys
cid, typ, uid, name, mid, date, text = sys.argv[1:]
chat = {"id": int(cid), "type": typ}
if typ == "private":
    chat["first_name"] = name
else:
    chat["title"] = "KOC group"
print(json.dumps([{"update_id": int(mid), "message": {"message_id": int(mid), "date": int(date),
                   "chat": chat, "from": {"id": int(uid), "is_bot": False, "first_name": name,
                                          "username": name}, "text": text}}]))
PY
}
# console LINE: one console message (the bot reads fd 3's FIFO)
# (recorded first: a line recorded but never read is fed again after a kill)
console() { echo "$1" >>"$WORK/console.lines"; printf '%s\n' "$1" >&3; }
start_bot() { # start_bot LOG: the bot reads a fresh FIFO on fd 3; sets BOT
    rm -f "$WORK/fifo"; mkfifo "$WORK/fifo"
    exec 3<>"$WORK/fifo"
    KOCBOT_TELEGRAM_API=$FAKE "$KOCBOT" --config "$WORK/bot.json" --db "$DB" <&3 >>"$WORK/console.out" 2>>"$1" &
    BOT=$!
    cleanup_hooks+=("kill $BOT 2>/dev/null")
}
answered() { [ "$(q "SELECT count(*) FROM processed")" -ge "$1" ] && [ "$(q "SELECT count(*) FROM outbox WHERE state = 0")" = 0 ]; }
last_text_to() { q "SELECT text FROM outbox WHERE platform = '$1' AND chat_id = '$2' ORDER BY id DESC LIMIT 1"; }
# rows an identity link changes (links between members, ledger and check-in
# owners, link records, spent codes); a sender's own member row is created
# by any command and is not one of them
fingerprint() { q "SELECT (SELECT group_concat(id || ':' || linked_to) FROM members WHERE linked_to IS NOT NULL),
                          (SELECT group_concat(member_id) FROM ledger), (SELECT group_concat(member_id) FROM checkins),
                          (SELECT count(*) FROM identity_links), (SELECT count(*) FROM identity_moves),
                          (SELECT count(*) FROM link_codes WHERE used_at IS NOT NULL)"; }

# ---- 1. one community across both adapters ---------------------------------
start_fake --token "$TOKEN"
start_bot "$WORK/run1.err"
console "op: /community link"
wait_for 20 grep -q '/community join [0-9A-F]\{8\}' "$WORK/console.out"
CODE=$(grep -o '/community join [0-9A-F]\{8\}' "$WORK/console.out" | head -1 | awk '{print $3}')
check "console: /community link shows a code" [ -n "$CODE" ]
tg "$GROUP" supergroup 1 opuser "/community join $CODE"
check "telegram: the group joined the console's community" \
    wait_for 20 bash -c "[ \"\$(sqlite3 '$DB' \"SELECT count(DISTINCT community_id) FROM chats WHERE is_private = 0\")\" = 1 ] && [ \"\$(sqlite3 '$DB' 'SELECT count(*) FROM chats')\" = 2 ]"
check "the join wrote an audit row in the community" \
    [ "$(q "SELECT count(*) FROM audit WHERE action = 'community.join'")" -ge 1 ]
tg "$GROUP" supergroup 1 opuser "/community join $CODE"
wait_for 20 answered 3
check "a link code works once" bash -c "sqlite3 '$DB' \"SELECT text FROM outbox WHERE platform = 'tg' ORDER BY id DESC LIMIT 1\" | grep -q 'already part of that community\|already been used'"

# a task for every group, and one for this group only
console "op: /task new Morning photo --tier basic --reward points 5 --groups all"
console "op: /task new Console only --tier basic --reward points 5"
wait_for 20 answered 5
check "a task posted with --groups all is announced in the Telegram group too" \
    [ "$(q "SELECT count(*) FROM outbox WHERE platform = 'tg' AND chat_id = '$GROUP' AND text LIKE '%Morning photo%'")" = 1 ]
check "a task without it only in the group it was posted in" \
    [ "$(q "SELECT count(*) FROM outbox WHERE platform = 'tg' AND text LIKE '%Console only%'")" = 0 ]

# alice checks in on Telegram, links her console identity, /me agrees on both
tg "$GROUP" supergroup 1001 alice "/checkin"
tg 1001 private 1001 alice "/me link console:alice"
wait_for 20 bash -c "sqlite3 '$DB' \"SELECT text FROM outbox WHERE chat_id = '1001'\" | grep -q 'Code'"
ICODE=$(last_text_to tg 1001 | grep -o '<code>[0-9A-F]\{8\}</code>' | head -1 | sed 's/<[^>]*>//g')
check "telegram DM: /me link gives a code" [ -n "$ICODE" ]

before=$(fingerprint)
console "bob: /me link $ICODE"
console "alice: /me link 0BADC0DE"
tg "$GROUP" supergroup 1001 alice "/me link $ICODE"
wait_for 20 answered 10
check "refused: a third person's code (console bob)" grep -q 'made for someone else' "$WORK/console.out"
check "refused: a wrong code" grep -q 'That code is not right' "$WORK/console.out"
check "refused: the same platform" bash -c "sqlite3 '$DB' \"SELECT text FROM outbox WHERE platform = 'tg' ORDER BY id DESC LIMIT 1\" | grep -q 'only link an identity on another platform'"
check "refusals changed 0 rows" [ "$(fingerprint)" = "$before" ]

console "alice: /me link $ICODE"
console "alice: /me"
wait_for 20 answered 12
check "console alice is linked to Telegram alice" \
    [ "$(q "SELECT count(*) FROM members WHERE platform = 'console' AND user_id = 'alice' AND linked_to IS NOT NULL")" = 1 ]
check "the link wrote one audit row" [ "$(q "SELECT count(*) FROM audit WHERE action = 'identity.link'")" = 1 ]
check "console /me shows the Telegram check-in" bash -c "grep -A2 '👤 alice' '$WORK/console.out' | grep -q 'Points: 10'"
console "alice: /checkin"
tg "$GROUP" supergroup 1001 alice "/me"
wait_for 20 answered 14
check "a second check-in the same day is refused on the other side" grep -q 'already checked in today' "$WORK/console.out"
check "telegram /me agrees with the console (10 points, one day)" bash -c "sqlite3 '$DB' \"SELECT text FROM outbox WHERE platform = 'tg' ORDER BY id DESC LIMIT 1\" | grep -q 'Points: <b>10</b>'"
check "one ledger: alice has one check-in row" \
    [ "$(q "SELECT count(*) FROM ledger WHERE reason = 'checkin' AND member_id = (SELECT linked_to FROM members WHERE platform = 'console' AND user_id = 'alice')")" = 1 ]

before=$(fingerprint)
console "alice: /me link $ICODE"
wait_for 20 answered 15
check "refused: a code used twice" grep -q 'already been used' "$WORK/console.out"
tg "$GROUP" supergroup 1002 carol "/me"
tg 1002 private 1002 carol "/me link console:carol"
wait_for 20 bash -c "sqlite3 '$DB' \"SELECT text FROM outbox WHERE chat_id = '1002'\" | grep -q 'Code'"
CCODE=$(last_text_to tg 1002 | grep -o '<code>[0-9A-F]\{8\}</code>' | head -1 | sed 's/<[^>]*>//g')
sleep 11   # 11 minutes of the test clock
console "carol: /me link $CCODE"
wait_for 20 answered 18
check "refused: an expired code" grep -q 'That code has expired' "$WORK/console.out"
check "these refusals changed 0 rows" [ "$(fingerprint)" = "$before" ]

console "op: /identity unlink @1001"   # @alice names both identities: refused as ambiguous
wait_for 20 answered 19
check "an operator unlinks the identity" \
    [ "$(q "SELECT count(*) FROM members WHERE linked_to IS NOT NULL")" = 0 ]
check "the unlink wrote an audit row" [ "$(q "SELECT count(*) FROM audit WHERE action = 'identity.unlink'")" = 1 ]
check "tallies agree with the ledger after link and unlink" \
    [ "$(q 'SELECT sum(amount) FROM ledger WHERE kind = "points"')" = "$(q 'SELECT sum(points) FROM period_tallies WHERE span = 0')" ]

# ---- 2. kill -9 during a mixed burst on both adapters ------------------------
pre_checkins=$(q "SELECT count(*) FROM checkins")
pre_lines=$(wc -l <"$WORK/console.lines")
N=150
python3 - "$N" "$GROUP" "$DATE" <<'PY' | control updates @/dev/stdin >/dev/null
import json, sys
n, group, date = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
print(json.dumps([{"update_id": 5000 + i, "message": {"message_id": 5000 + i, "date": date,
    "chat": {"id": group, "type": "supergroup", "title": "KOC group"},
    "from": {"id": 20000 + i, "is_bot": False, "first_name": "t%d" % i}, "text": "/checkin"}}
    for i in range(n)]))
PY
for i in $(seq 0 $((N - 1))); do echo "c$i: /checkin"; done >"$WORK/burst.lines"
{ while read -r l; do console "$l"; sleep 0.01; done <"$WORK/burst.lines"; } &
feeder=$!
wait_for 30 bash -c "[ \"\$(sqlite3 '$DB' 'SELECT count(*) FROM checkins')\" -gt $((pre_checkins + 10)) ]"
sleep 0.$((RANDOM % 3))
kill -9 "$BOT"; wait "$BOT" 2>/dev/null
kill "$feeder" 2>/dev/null; wait "$feeder" 2>/dev/null
exec 3>&-
applied=$(q "SELECT value FROM cursors WHERE key = 'console:lines'")
mid=$(q "SELECT count(*) FROM checkins")
echo "# killed with $((mid - pre_checkins)) of $((2 * N)) burst check-ins applied (console cursor $applied)"
check "the kill landed mid-burst" [ "$((mid - pre_checkins))" -lt $((2 * N)) ]
start_bot "$WORK/run2.err"
total=$(wc -l <"$WORK/console.lines")
# every console line the bot had not applied, in order (lines after the cursor)
tail -n +$((applied + 1)) "$WORK/console.lines" >"$WORK/refeed"
while read -r l; do printf '%s\n' "$l" >&3; done <"$WORK/refeed"
for i in $(seq 0 $((N - 1))); do echo "c$i: /checkin"; done | tail -n +$((total - pre_lines + 1)) >"$WORK/rest"
while read -r l; do console "$l"; done <"$WORK/rest"
check "after the restart every burst check-in is applied" \
    wait_for 60 bash -c "[ \"\$(sqlite3 '$DB' 'SELECT count(*) FROM checkins')\" = $((pre_checkins + 2 * N)) ]"
wait_for 60 answered 0
check "one check-in per member and day" [ "$(q 'SELECT count(*) FROM (SELECT member_id, day FROM checkins GROUP BY 1, 2 HAVING count(*) > 1)')" = 0 ]
check "one ledger row per check-in" [ "$(q "SELECT count(*) FROM ledger WHERE reason = 'checkin'")" = "$(q 'SELECT count(*) FROM checkins')" ]
check "console cursor counts every line once" [ "$(q "SELECT value FROM cursors WHERE key = 'console:lines'")" = "$(wc -l <"$WORK/console.lines")" ]
check "every console line was applied once" \
    [ "$(q "SELECT count(*) FROM processed WHERE platform = 'console'")" = "$(wc -l <"$WORK/console.lines")" ]
check "every burst check-in has one reply row (console)" \
    [ "$(q "SELECT count(*) FROM outbox WHERE platform = 'console' AND text LIKE '%checked in!%'")" = "$N" ]
check "every burst check-in has one reply row (telegram)" \
    [ "$(q "SELECT count(*) FROM outbox WHERE platform = 'tg' AND text LIKE '%checked in!%'")" = "$((N + 1))" ]
check "every reply was delivered" [ "$(q 'SELECT count(*) FROM outbox WHERE state <> 1')" = 0 ]
check "integrity_check ok" [ "$(q 'PRAGMA integrity_check')" = ok ]
kill "$BOT"; wait "$BOT" 2>/dev/null
exec 3>&-

# ---- 3. a 401 on Telegram leaves the console serving -------------------------
export KOCBOT_TELEGRAM_TOKEN=123456:WRONG-token
start_bot "$WORK/run3.err"
console "dave: /checkin"
check "the console answers while Telegram refuses the token" \
    wait_for 30 grep -q 'dave checked in' "$WORK/console.out"
check "the Telegram failure is reported, with a retry" \
    wait_for 30 grep -q 'retrying in' "$WORK/run3.err"
check "the process keeps running" kill -0 "$BOT"
check "the token is never logged" bash -c "! grep -q 'WRONG-token' '$WORK/run3.err'"
kill "$BOT"; wait "$BOT"
check "SIGTERM still exits 0" [ $? -eq 0 ]
exec 3>&-
finish
