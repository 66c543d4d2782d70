#!/usr/bin/env bash
# The operator web console in real headless Chromium (tests/browser/console.js):
# /console in a direct message gives a one-time link (members get none);
# signing in; wrong, reused and expired links; a forged CSRF token; the
# submitted photo fetched through getFile and the file URL (cached 0600, the
# token never reaching the browser); Approve with a note, then the ledger,
# the audit log and the group's reply show it exactly once; Ask for changes;
# an operator of community A sees nothing of community B; "sign out
# everywhere" ends another browser's session.  Installs Debian's chromium
# (as root) and puppeteer-core (npm, pinned) when missing.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.bash
BROWSER=tests/browser
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ]; then
    echo "# installing Debian's chromium"
    (flock 9; [ -x /usr/bin/chromium ] || DEBIAN_FRONTEND=noninteractive timeout 400 apt-get install -y \
        --no-install-recommends chromium) 9>"${TMPDIR:-/tmp}/kocbot-chromium-apt.lock" >"$WORK/apt.log" 2>&1
fi
# a Chinese font, so the zh-CN screenshots are readable (the checks do not need it)
if [ ! -d /usr/share/fonts/truetype/wqy ] && [ "$(id -u)" = 0 ]; then
    (flock 9; DEBIAN_FRONTEND=noninteractive timeout 200 apt-get install -y --no-install-recommends \
        fonts-wqy-microhei) 9>"${TMPDIR:-/tmp}/kocbot-chromium-apt.lock" >>"$WORK/apt.log" 2>&1
fi
if [ ! -f "$BROWSER/node_modules/puppeteer-core/package.json" ] && command -v npm >/dev/null; then
    echo "# installing puppeteer-core into $BROWSER/node_modules"
    (flock 9; cd "$BROWSER" && timeout 240 npm install --no-audit --no-fund) \
        9>"${TMPDIR:-/tmp}/kocbot-browser-npm-$(id -u).lock" >"$WORK/npm.log" 2>&1
fi
if [ ! -x /usr/bin/chromium ] || [ ! -f "$BROWSER/node_modules/puppeteer-core/package.json" ]; then
    not_ok "chromium and puppeteer-core are needed (run as root with npm, or install them)"
    finish; exit
fi
TG=tests/e2e/tg_util.py
TOKEN=123456:TEST-token_secret
PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
cat >"$WORK/bot.json" <<JSON
{"limits": {"enabled": false}, "telegram": {"poll_timeout_s": 1}, "log_level": "warn",
 "http": {"listen": "127.0.0.1:$PORT", "public_url": "$BASE"}}
JSON
chmod 600 "$WORK/bot.json"
export KOCBOT_LOCALE=en KOCBOT_TELEGRAM_TOKEN=$TOKEN KOCBOT_OPERATORS=tg:1
CHAT=-1001234
DB=$WORK/bot.db
NOW=$(date +%s)
q() { sqlite3 -cmd ".timeout 5000" "$DB" "$1" 2>/dev/null; } # the bot may be writing
say() { # say USER NAME MSG_ID TEXT [key=value ...]: a group message
    local u=$1 n=$2 m=$3 t=$4; shift 4
    control updates "$(python3 $TG msg "$CHAT" "$u" "$n" "$m" "$NOW" "$t" "$@")" >/dev/null
}
sent_to() { # sent_to CHAT REGEX: a sendMessage to CHAT matched
    control "requests?method=sendMessage" >"$WORK/sent.json"
    python3 $TG t "$WORK/sent.json" "any(re.search(r'''$2''', r['body']['text']) and str(r['body']['chat_id']) == '$1' for r in R)"
}

start_fake --token "$TOKEN"
KOCBOT_TELEGRAM_API=$FAKE "$KOCBOT" --config "$WORK/bot.json" --db "$DB" </dev/null >>"$WORK/bot.log" 2>&1 &
BOT=$!
cleanup_hooks+=("kill -9 $BOT 2>/dev/null")
CHAT_B=-1005678
dm() { # dm USER NAME MSG_ID TEXT: a direct message to the bot
    control updates '{"message":{"message_id":'"$3"',"date":'"$NOW"',"chat":{"id":'"$1"',"type":"private","first_name":"'"$2"'"},"from":{"id":'"$1"',"is_bot":false,"first_name":"'"$2"'"},"text":"'"$4"'"}}' >/dev/null
}
link_for() { # link_for USER: the last sign-in link sent to USER
    control "requests?method=sendMessage" >"$WORK/sent.json"
    python3 $TG q "$WORK/sent.json" "[re.search(r'http\S+', r['body']['text']).group(0) for r in R if 'console/login' in r['body']['text'] and str(r['body']['chat_id']) == '$1'][-1]"
}
say 1 op 10 '/task new basic Poster photo --reward points 20 --review yes'
check "a task" wait_for 10 sent_to "$CHAT" 'Poster photo'
# the photo as the platform keeps it: a real PNG, served by the fake's file endpoint
python3 -c 'import zlib,struct,sys
def ch(t,d): return struct.pack(">I",len(d))+t+d+struct.pack(">I",zlib.crc32(t+d))
w,h=64,48; raw=b"".join(b"\0"+bytes([200,80+x*2,40])*w for x in range(h))
sys.stdout.buffer.write(b"\x89PNG\r\n\x1a\n"+ch(b"IHDR",struct.pack(">IIBBBBB",w,h,8,2,0,0,0))+ch(b"IDAT",zlib.compress(raw))+ch(b"IEND",b""))' >"$WORK/poster.png"
check "the fake keeps alice's photo" [ "$(curl -s -X POST --data-binary @"$WORK/poster.png" "$FAKE/control/file?id=AgACphotoALICE")" != "" ]
say 101 '<i>alice</i>' 11 '/claim 1'
say 101 '<i>alice</i>' 12 '' photo=AgACphotoALICE
say 101 '<i>alice</i>' 13 '/submit 1 my poster' reply=12 reply_from=101 reply_photo=AgACphotoALICE
say 102 bob 15 '/claim 1'
say 102 bob 16 '/submit 1 bob draft'
check "two submissions wait for review" wait_for 10 bash -c "[ \"\$(sqlite3 '$DB' \"SELECT group_concat(state) FROM submissions\")\" = pending,pending ]"
# community B: its own group, task and submission; user 7 operates community A only
control updates "$(python3 $TG msg "$CHAT_B" 1 op 30 "$NOW" '/task new basic Other brand task --reward points 5 --review yes')" >/dev/null
control updates "$(python3 $TG msg "$CHAT_B" 201 carol 31 "$NOW" '/claim 2')" >/dev/null
control updates "$(python3 $TG msg "$CHAT_B" 201 carol 32 "$NOW" '/submit 2 carol in B')" >/dev/null
check "community B's submission waits" wait_for 10 bash -c "[ \"\$(sqlite3 '$DB' \"SELECT count(*) FROM submissions\")\" = 3 ]"
# a file that is a web page: the console must hand it over as a download, never render it
printf '<html><script>document.title="pwned"</script></html>' >"$WORK/page.html"
curl -s -X POST --data-binary @"$WORK/page.html" "$FAKE/control/file?id=BQACdocDAN" >/dev/null
say 103 dan 17 '/claim 1'
say 103 dan 18 '' document=BQACdocDAN
say 103 dan 19 '/submit 1 my page' reply=18 reply_from=103 reply_document=BQACdocDAN
check "dan's file is a submission" wait_for 10 bash -c "[ \"\$(sqlite3 '$DB' \"SELECT attachment FROM submissions WHERE member_id = (SELECT id FROM members WHERE user_id = '103')\")\" = document:BQACdocDAN ]"
q "INSERT INTO operators SELECT community_id, 'tg', '7' FROM chats WHERE chat_id = '$CHAT'"
# something for the other pages: a poll with reasons, check-ins
say 1 op 40 '/poll new Which poster? | Sunset | City night'
say 101 '<i>alice</i>' 41 '/vote 1 2 the lights are great'
say 102 bob 42 '/vote 1 1 warm colours'
say 101 '<i>alice</i>' 43 '/checkin'
say 102 bob 44 '/checkin'
say 1 op 45 '/schedule greet 08:30'
check "two votes and two check-ins" wait_for 10 bash -c "[ \"\$(sqlite3 '$DB' 'SELECT (SELECT count(*) FROM poll_votes) || (SELECT count(*) FROM checkins)')\" = 22 ]"
COMMUNITY_A=$(q "SELECT community_id FROM chats WHERE chat_id = '$CHAT'")
dm 1 op 20 /console
control updates '{"message":{"message_id":14,"date":'"$NOW"',"chat":{"id":'"$CHAT"',"type":"supergroup","title":"G"},"from":{"id":1,"is_bot":false,"first_name":"op"},"text":"/console"}}' >/dev/null
check "/console in a direct message: a one-time link" wait_for 10 sent_to 1 'console/login\?t=[0-9a-f]{64}'
check "/console in the group: refused, no link there" wait_for 10 sent_to "$CHAT" 'direct message'
dm 101 '<i>alice</i>' 21 /console
check "a member (no operator) asking for /console: refused, no link" wait_for 10 sent_to 101 'only operators'
if sent_to 101 'console/login'; then not_ok "... and the member got no link"; else ok "... and the member got no link"; fi
LINK=$(link_for 1)
dm 1 op 22 /console
check "a second link for another browser" wait_for 10 bash -c "[ \"\$(sqlite3 '$DB' 'SELECT count(*) FROM console_links')\" = 2 ]"
LINK2=$(link_for 1)
dm 7 dana 23 /console
check "community A's own operator gets a link" wait_for 10 sent_to 7 'console/login\?t=[0-9a-f]{64}'
LINK_A=$(link_for 7)
check "the link is for the configured public URL" [ "${LINK%%/console/*}" = "$BASE" ]
check "the database keeps no link in clear" [ "$(q "SELECT count(*) FROM console_links WHERE instr('$LINK $LINK2 $LINK_A', token_hash)")" = 0 ]
# an expired link: a real row whose ten minutes are over
STALE=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
q "INSERT INTO console_links(token_hash, platform, user_id, expires_at) VALUES ('$(printf %s "$STALE" | sha256sum | cut -c1-64)', 'tg', '1', $((NOW - 1)))"
BASE=$BASE LINK=$LINK LINK2=$LINK2 LINK_A=$LINK_A STALE="$BASE/console/login?t=$STALE" TOKEN=$TOKEN \
    COOKIES=$WORK/cookies.txt COMMUNITY_A=$COMMUNITY_A AUDIT_TIME=$WORK/audit-time.txt SHOT=$WORK/console-review.png timeout 180 node "$BROWSER/console.js" | tee "$WORK/browser.out"
grep -q '^0 failed\|, 0 failed$' "$WORK/browser.out" && ok "the browser run" || not_ok "the browser run"
check "screenshot taken" [ -s "$WORK/console-review.png" ]
control "requests?method=getFile" >"$WORK/getfile.json"
check "the photo was fetched through getFile once (then cached)" \
    python3 $TG t "$WORK/getfile.json" "[r['body']['file_id'] for r in R].count('AgACphotoALICE') == 1"
CACHED=$(for f in "$DB-console-files"/*; do cmp -s "$f" "$WORK/poster.png" && echo "$f"; done | head -1)
check "the cached photo is the platform's bytes, mode 0600, in a 0700 folder" \
    bash -c "cmp -s '$CACHED' '$WORK/poster.png' && [ \"\$(stat -c %a '$CACHED')\" = 600 ] && [ \"\$(stat -c %a '$DB-console-files')\" = 700 ]"
check "approved exactly once: one ledger row of 20 points for alice" \
    [ "$(q "SELECT count(*) || ':' || sum(l.amount) FROM ledger l JOIN members m ON m.id = l.member_id WHERE l.reason = 'task' AND m.user_id = '101'")" = 1:20 ]
check "the submission is approved by the operator, with the note" \
    [ "$(q "SELECT s.state || ':' || s.note || ':' || m.user_id FROM submissions s JOIN members m ON m.id = s.reviewed_by WHERE s.id = 1")" = 'approved:great shot:1' ]
check "one audit row, as from the chat" [ "$(q "SELECT count(*) FROM audit WHERE action = 'task.approve'")" = 1 ]
check "the group is told (the same reply as /approve in the chat)" wait_for 10 sent_to "$CHAT" 'approved'
check "ask for changes: bob's submission goes back with the note as a revision round (the chat's /revise)" \
    [ "$(q "SELECT s.state || ':' || s.note || ':' || (SELECT count(*) FROM revision_requests) FROM submissions s WHERE s.id = 2")" = 'rejected:needs the logo:1' ]
check "... and bob is told what to change" wait_for 10 sent_to "$CHAT" 'needs changes .round 1 of'

check "a task posted from the console: as /task new in A's group, audited, announced" \
    bash -c "[ \"\$(sqlite3 '$DB' \"SELECT t.tier || ':' || t.points || ':' || t.review || ':' || t.state FROM tasks t WHERE t.title = 'Unboxing video'\")\" = explore:30:1:closed ]"
check "... posted, edited and closed, each with its audit row" \
    [ "$(q "SELECT group_concat(action, ',') FROM (SELECT action FROM audit WHERE target = 'task:' || (SELECT id FROM tasks WHERE title = 'Unboxing video') ORDER BY id)")" = task.post,task.edit,task.close ]
check "... and the group saw it posted" wait_for 10 sent_to "$CHAT" 'Unboxing video'
AT=$(q "SELECT at FROM audit WHERE action = 'task.approve'")
check "dates in the community's zone (Asia/Shanghai): the audit page shows $(TZ=Asia/Shanghai date -d @"$AT" '+%F %R')" \
    [ "$(cat "$WORK/audit-time.txt")" = "$(TZ=Asia/Shanghai date -d @"$AT" '+%F %R')" ]
check "community B's submission untouched by A's operator" [ "$(q "SELECT state FROM submissions WHERE id = 3")" = pending ]
check "sign out everywhere: one audit row" [ "$(q "SELECT count(*) FROM audit WHERE action = 'console.revoke'")" = 1 ]
check "... and the bot confirms in the direct chat" wait_for 10 sent_to 1 'Signed out of every console session'
check "... where the two sessions of that operator are revoked" \
    [ "$(q "SELECT count(*) FROM console_sessions WHERE user_id = '1' AND revoked_at IS NOT NULL")" = 2 ]
check "the database keeps no session id in clear (3 sessions, none holds its cookie)" \
    [ "$(wc -l <"$WORK/cookies.txt"):$(q "SELECT count(*) FROM console_sessions"):$(q "SELECT count(*) FROM console_sessions WHERE instr('$(tr '\n' ' ' <"$WORK/cookies.txt")', id_hash)")" = 3:3:0 ]
kill -TERM "$BOT"; wait "$BOT"
check "clean exit" [ $? = 0 ]

# the same console in Chinese, and a session that outlives a restart
start_bot() {
    KOCBOT_LOCALE=zh-CN KOCBOT_TELEGRAM_API=$FAKE "$KOCBOT" --config "$WORK/bot.json" --db "$DB" </dev/null >>"$WORK/bot.log" 2>&1 &
    BOT=$!
    cleanup_hooks+=("kill -9 $BOT 2>/dev/null")
}
start_bot
curl -s -X POST --data-binary @"$WORK/poster.png" "$FAKE/control/file?id=AgACphotoBOB" >/dev/null
say 102 bob 50 '' photo=AgACphotoBOB
say 102 bob 51 '/submit 1 海报第二版，加上了标志' reply=50 reply_from=102 reply_photo=AgACphotoBOB
check "bob hands in his revision" wait_for 10 bash -c "[ \"\$(sqlite3 '$DB' \"SELECT count(*) FROM submissions WHERE state = 'pending' AND member_id = (SELECT id FROM members WHERE user_id = '102')\")\" = 1 ]"
dm 7 dana 52 /console
check "a zh-CN link for community A's operator" wait_for 10 bash -c "[ \"\$(sqlite3 '$DB' \"SELECT count(*) FROM console_links WHERE user_id = '7' AND used_at IS NULL\")\" = 1 ]"
LINK_ZH=$(link_for 7)
MODE=zh BASE=$BASE LINK=$LINK_ZH COOKIES=$WORK/cookie-zh.txt SHOT=$WORK/console-review.zh-CN.png \
    timeout 120 node "$BROWSER/console.js" | tee "$WORK/browser-zh.out"
grep -q ', 0 failed$' "$WORK/browser-zh.out" && ok "the zh-CN browser run" || not_ok "the zh-CN browser run"
kill -TERM "$BOT"; wait "$BOT"
start_bot
MODE=again BASE=$BASE COOKIE=$(tail -1 "$WORK/cookie-zh.txt") timeout 120 node "$BROWSER/console.js" | tee "$WORK/browser-again.out"
grep -q ', 0 failed$' "$WORK/browser-again.out" && ok "the session outlived the restart" || not_ok "the session outlived the restart"
[ "${UPDATE_SCREENSHOT:-0}" = 1 ] && cp "$WORK"/console-*.png docs/
kill -TERM "$BOT"; wait "$BOT"
check "clean exit" [ $? = 0 ]
finish
