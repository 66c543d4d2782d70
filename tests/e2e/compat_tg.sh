#!/usr/bin/env bash
# Compatibility test against the independent telegram-test-api emulator
# (npm, pinned to 4.2.1 in tests/compat/package.json; installed there with
# npm when missing).  The bot runs with the telegram adapter against the
# emulator; tests/compat/conversation.js sends a group conversation through
# the emulator's own client (alice, bob, carol check in, bob twice, alice
# /me in the group and in private) and reads the replies back.
#
# Quirks of the emulator and how this test copes (the bot is not loosened):
#  - getUpdates ignores offset and timeout and marks updates read when it
#    hands them out: the adapter already waits 1 s after an empty poll that
#    came back at once, and holds a batch until it is committed; the exact
#    offset/long-poll semantics are tested against tests/fake/fake_tg.c.
#  - dates of the emulator's own messages are in milliseconds: the bot never
#    reads them (only message_id from a sendMessage result); user messages
#    from the client carry seconds, checked below through checkins.at.
#  - every chat is private unless told otherwise (the client's default, and
#    the chat echoed in sendMessage results): the group messages set type
#    "supergroup"; alice's private /me checks the private-chat mapping.
#  - unsupported methods (setMyCommands, getChatAdministrators) answer HTTP
#    500 with {"message": ...}: the bot logs them and goes on (the command
#    menu is cosmetic, an unknown role means "member").
#  - a client message without botToken crashes the emulator: every message
#    carries it, and a crash would fail the "emulator still running" check.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.bash
COMPAT=tests/compat
DB=$WORK/compat.db
TOKEN=5550001234:compatSecret_k0cb0t
T_START=$(date +%s)

# ---- the emulator package ----------------------------------------------
emu_version() {
    node -e 'try { console.log(require(process.argv[1]).version) } catch (e) { console.log("") }' \
        "$PWD/$COMPAT/node_modules/telegram-test-api/package.json" 2>/dev/null
}
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    not_ok "compat: node and npm are needed (Node.js is expected on the test machines)"
    finish; exit 1
fi
# bounded retries: an offline machine fails in seconds, not minutes
NPM_OPTS=(--no-audit --no-fund --loglevel=error --prefer-offline --fetch-retries=2
          --fetch-retry-mintimeout=2000 --fetch-retry-maxtimeout=10000)
if [ "$(emu_version)" != 4.2.1 ]; then
    echo "# installing telegram-test-api 4.2.1 into $COMPAT/node_modules"
    (
        cd "$COMPAT" || exit 1
        # one install at a time per user, even if two runs start together
        flock -w 300 9 || exit 1
        [ "$(emu_version)" = 4.2.1 ] && exit 0
        if [ -f package-lock.json ]; then
            timeout 240 npm ci "${NPM_OPTS[@]}"
        else
            timeout 240 npm install "${NPM_OPTS[@]}"
        fi
    ) 9>"${TMPDIR:-/tmp}/kocbot-compat-npm-$(id -u).lock" >"$WORK/npm.log" 2>&1
    npm_rc=$?
    if [ $npm_rc -ne 0 ] || [ "$(emu_version)" != 4.2.1 ]; then
        sed 's/^/# npm: /' "$WORK/npm.log" | tail -n 15
        not_ok "compat: npm install failed (telegram-test-api 4.2.1 could not be installed in $COMPAT)"
        finish; exit 1
    fi
fi
ok "telegram-test-api 4.2.1 is installed"

# ---- start the emulator and the bot ---------------------------------------
node "$COMPAT/emulator.js" "$WORK/emu.port" --max-seconds 120 >"$WORK/emu.log" 2>&1 &
EMU_PID=$!
cleanup_hooks+=("kill $EMU_PID 2>/dev/null")
for _ in $(seq 1 100); do
    [ -s "$WORK/emu.port" ] && break
    kill -0 "$EMU_PID" 2>/dev/null || break
    sleep 0.1
done
EMU_PORT=$(cat "$WORK/emu.port" 2>/dev/null)
if [ -z "$EMU_PORT" ]; then
    sed 's/^/# emulator: /' "$WORK/emu.log"
    not_ok "emulator started"
    finish; exit 1
fi
ok "emulator started on 127.0.0.1:$EMU_PORT"
API=http://127.0.0.1:$EMU_PORT

KOCBOT_TELEGRAM_TOKEN=$TOKEN KOCBOT_TELEGRAM_API=$API KOCBOT_LOCALE=en KOCBOT_LOG_LEVEL=info \
    "$KOCBOT" --adapter telegram --db "$DB" >"$WORK/bot.out" 2>"$WORK/bot.log" &
BOT_PID=$!
cleanup_hooks+=("kill -9 $BOT_PID 2>/dev/null")

# ---- the conversation -----------------------------------------------------
timeout 40 node "$COMPAT/conversation.js" --api "$API" --token "$TOKEN" --timeout 20 \
    >"$WORK/conv.json" 2>"$WORK/conv.err"
conv_rc=$?
T_END=$(date +%s)
if [ $conv_rc -ne 0 ]; then
    sed 's/^/# conversation: /' "$WORK/conv.err" "$WORK/conv.json" | tail -n 40
    sed 's/^/# bot: /' "$WORK/bot.log" | tail -n 20
fi
check "conversation got every expected reply in time (exit $conv_rc)" [ $conv_rc -eq 0 ]

# Facts from the replies, one "key value" per line.  Texts are compared
# without HTML tags and the bidi isolates the bot puts around names.
node - "$WORK/conv.json" >"$WORK/facts" 2>>"$WORK/conv.err" <<'JS'
const fs = require('fs');
let c = { replies: [], sent: [] };
try { c = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')); } catch (e) { /* no facts */ }
const plain = (s) => String(s || '').replace(/<[^>]*>/g, '').replace(/[\u2066-\u2069]/g, '');
const group = String(c.group), priv = String(c.private);
const out = {};
const add = (k, n = 1) => { out[k] = (out[k] || 0) + n; };
for (const u of ['alice', 'bob', 'carol']) {
  for (const k of ['confirm', 'already', 'confirm_private']) out[`${k}_${u}`] = 0;
}
out.confirm_total = 0; out.already_total = 0; out.replies = (c.replies || []).length;
for (const r of c.replies || []) {
  const text = plain(r.text);
  const where = r.chat_id === group ? 'group' : r.chat_id === priv ? 'private' : 'other';
  add(`replies_${where}`);
  for (const line of text.split('\n')) {
    let m;
    if ((m = /^✅ (\S+) checked in! .*\(total (\d+)\)/.exec(line))) {
      add(where === 'group' ? `confirm_${m[1]}` : `confirm_private_${m[1]}`);
      add('confirm_total');
      out[`total_${m[1]}`] = Number(m[2]);
    } else if ((m = /^☑️ (\S+), you already checked in today/.exec(line))) {
      add(`already_${m[1]}`);
      add('already_total');
    }
  }
  const me = /^👤 (\S+)\nPoints: (\d+)\n/.exec(text);
  if (me) out[`me_${where}_${me[1]}`] = Number(me[2]);
}
// the client's consuming getUpdates() handed out exactly the replies the
// history shows, chat by chat (no duplicates, none missing)
let same = 1;
const byChat = {};
for (const r of c.replies || []) (byChat[r.chat_id] = byChat[r.chat_id] || []).push(r.message_id);
const unread = c.unread || {};
for (const k of new Set([...Object.keys(byChat), ...Object.keys(unread)])) {
  if (JSON.stringify(byChat[k] || []) !== JSON.stringify(unread[k] || [])) same = 0;
}
out.unread_matches = c.unread ? same : 0;
// the dates the client put on the first /checkin of alice, bob, carol
out.checkin_dates = ['alice', 'bob', 'carol'].map((u) => {
  const m = (c.sent || []).find((x) => x.user === u && x.text === '/checkin' && x.chat_type !== 'private');
  return m ? m.date : 'none';
}).join(',');
for (const [k, v] of Object.entries(out)) console.log(`${k} ${v}`);
JS
fact() { awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "none" }' "$WORK/facts"; }
[ "${VERBOSE:-0}" = 1 ] && sed 's/^/# /' "$WORK/facts"

for u in alice bob carol; do
    check "$u got a check-in confirmation exactly once (got $(fact "confirm_$u"))" \
        [ "$(fact "confirm_$u")" = 1 ]
done
check "three confirmations in all, none in private (got $(fact confirm_total))" \
    [ "$(fact confirm_total)" = 3 ]
check "bob was told \"already checked in\" exactly once (got $(fact already_bob))" \
    [ "$(fact already_bob)" = 1 ]
check "nobody else was told \"already checked in\" (got $(fact already_total) in all)" \
    [ "$(fact already_total)" = 1 ]
alice_points=$(sqlite3 "$DB" "SELECT coalesce(sum(l.amount), 0) FROM ledger l JOIN members m ON m.id = l.member_id
                              WHERE m.platform = 'tg' AND m.user_id = '7001' AND l.kind = 'points'" 2>/dev/null)
shows_points() { [ "$(fact me_group_alice)" = "${alice_points:-x}" ] && [ "$alice_points" -gt 0 ]; }
check "alice's /me in the group shows her points ($(fact me_group_alice), ledger ${alice_points:-?})" \
    shows_points
same_number() { [[ $1 =~ ^[0-9]+$ ]] && [ "$1" = "$2" ]; }
check "alice's /me agrees with the total in her confirmation ($(fact total_alice))" \
    same_number "$(fact me_group_alice)" "$(fact total_alice)"
check "alice's /me in private shows the group's standing ($(fact me_private_alice))" \
    same_number "$(fact me_private_alice)" "$(fact me_group_alice)"
check "client getUpdates and history agree on the replies" [ "$(fact unread_matches)" = 1 ]

# ---- the database -----------------------------------------------------------
q() { sqlite3 "$DB" "$1" 2>/dev/null; }
check "exactly 3 check-ins in the database (got $(q 'SELECT count(*) FROM checkins'))" \
    [ "$(q 'SELECT count(*) FROM checkins')" = 3 ]
check "exactly 3 ledger rows, all check-ins of 3 members" \
    [ "$(q "SELECT count(*) || ' ' || count(DISTINCT member_id) || ' ' || sum(reason = 'checkin') FROM ledger")" = "3 3 3" ]
check "ledger points equal the tallies" \
    same_number "$(q 'SELECT sum(amount) FROM ledger')" "$(q 'SELECT sum(points) FROM period_tallies WHERE span = 0')"
check "check-in times are the messages' own dates, in seconds ($(fact checkin_dates))" \
    [ "$(q "SELECT group_concat(at, ',') FROM (SELECT c.at FROM checkins c JOIN members m ON m.id = c.member_id
            ORDER BY m.user_id)")" = "$(fact checkin_dates)" ]
check "check-in times lie within the run" \
    [ "$(q "SELECT count(*) FROM checkins WHERE at BETWEEN $((T_START - 5)) AND $((T_END + 5))")" = 3 ]
check "the private chat joined the group's community" \
    [ "$(q "SELECT count(DISTINCT community_id) || ' ' || sum(is_private) FROM chats WHERE platform = 'tg'")" = "1 1" ]
check "no undecodable updates were kept" [ "$(q 'SELECT count(*) FROM failed_events')" = 0 ]
check "every reply row was delivered" [ "$(q 'SELECT count(*) FROM outbox WHERE state <> 1')" = 0 ]

# ---- shutdown ---------------------------------------------------------------
check "emulator still running (it crashes on a message without botToken)" kill -0 "$EMU_PID"
bot_rc=none
if kill -TERM "$BOT_PID" 2>/dev/null; then
    for _ in $(seq 1 50); do kill -0 "$BOT_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$BOT_PID" 2>/dev/null; then
        bot_rc=timeout
        kill -9 "$BOT_PID" 2>/dev/null
        wait "$BOT_PID" 2>/dev/null
    else
        wait "$BOT_PID"; bot_rc=$?
    fi
fi
[ "$bot_rc" = 0 ] || sed 's/^/# bot: /' "$WORK/bot.log" | tail -n 20
check "bot exits 0 within 5 s of SIGTERM (got $bot_rc)" [ "$bot_rc" = 0 ]
no_token() { ! grep -qaF "$TOKEN" "$WORK/bot.log" "$WORK/bot.out" "$DB"*; }
check "the token appears in neither the bot's log nor its database" no_token
check "integrity_check ok" [ "$(q 'PRAGMA integrity_check')" = ok ]

emu_rc=none
if kill -TERM "$EMU_PID" 2>/dev/null; then
    for _ in $(seq 1 50); do kill -0 "$EMU_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$EMU_PID" 2>/dev/null; then
        emu_rc=timeout
        kill -9 "$EMU_PID" 2>/dev/null
    fi
    wait "$EMU_PID" 2>/dev/null
    rc=$?
    [ "$emu_rc" = timeout ] || emu_rc=$rc
fi
check "emulator stopped (got $emu_rc)" [ "$emu_rc" = 0 ]
echo "# took $(($(date +%s) - T_START)) s"
finish
