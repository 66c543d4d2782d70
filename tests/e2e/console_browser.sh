#!/usr/bin/env bash
# The operator web console in real headless Chromium (tests/browser/console.js):
# /console in a direct message gives a one-time link; signing in, a stale
# link, a forged CSRF token, Approve with a note; then the ledger, the audit
# log and the group's reply show the approval exactly once.  Installs
# Debian's chromium (as root) and puppeteer-core (npm, pinned) when missing.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.bash
BROWSER=tests/browser
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ]; then
    echo "# installing Debian's chromium"
    (flock 9; [ -x /usr/bin/chromium ] || DEBIAN_FRONTEND=noninteractive timeout 400 apt-get install -y \
        --no-install-recommends chromium) 9>"${TMPDIR:-/tmp}/kocbot-chromium-apt.lock" >"$WORK/apt.log" 2>&1
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
q() { sqlite3 "$DB" "$1" 2>/dev/null; }
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
say 1 op 10 '/task new basic Poster photo --reward points 20 --review yes'
check "a task" wait_for 10 sent_to "$CHAT" 'Poster photo'
say 101 '<i>alice</i>' 11 '/claim 1'
say 101 '<i>alice</i>' 12 '' photo=AgACphotoALICE
say 101 '<i>alice</i>' 13 '/submit 1 my poster' reply=12 reply_from=101 reply_photo=AgACphotoALICE
check "a submission waits for review" wait_for 10 bash -c "[ \"\$(sqlite3 '$DB' \"SELECT state FROM submissions\")\" = pending ]"
control updates '{"message":{"message_id":20,"date":'"$NOW"',"chat":{"id":1,"type":"private","first_name":"op"},"from":{"id":1,"is_bot":false,"first_name":"op"},"text":"/console"}}' >/dev/null
control updates '{"message":{"message_id":14,"date":'"$NOW"',"chat":{"id":'"$CHAT"',"type":"supergroup","title":"G"},"from":{"id":1,"is_bot":false,"first_name":"op"},"text":"/console"}}' >/dev/null
check "/console in a direct message: a one-time link" wait_for 10 sent_to 1 'console/login\?t=[0-9a-f]{48}'
check "/console in the group: refused, no link there" wait_for 10 sent_to "$CHAT" 'direct message'
LINK=$(python3 $TG q "$WORK/sent.json" "[re.search(r'http\S+', r['body']['text']).group(0) for r in R if 'console/login' in r['body']['text']][0]")
check "the link is for the configured public URL" [ "${LINK%%/console/*}" = "$BASE" ]
BASE=$BASE LINK=$LINK SHOT=$WORK/console-review.png timeout 120 node "$BROWSER/console.js" | tee "$WORK/browser.out"
grep -q '^0 failed\|, 0 failed$' "$WORK/browser.out" && ok "the browser run" || not_ok "the browser run"
[ "${UPDATE_SCREENSHOT:-0}" = 1 ] && cp "$WORK/console-review.png" "$WORK/console-members.png" docs/
check "screenshot taken" [ -s "$WORK/console-review.png" ]
check "approved exactly once: one ledger row of 20 points for alice" \
    [ "$(q "SELECT count(*) || ':' || sum(l.amount) FROM ledger l JOIN members m ON m.id = l.member_id WHERE l.reason = 'task' AND m.user_id = '101'")" = 1:20 ]
check "the submission is approved by the operator, with the note" \
    [ "$(q "SELECT s.state || ':' || s.note || ':' || m.user_id FROM submissions s JOIN members m ON m.id = s.reviewed_by")" = 'approved:great shot:1' ]
check "one audit row, as from the chat" [ "$(q "SELECT count(*) FROM audit WHERE action = 'task.approve'")" = 1 ]
check "the group is told (the same reply as /approve in the chat)" wait_for 10 sent_to "$CHAT" 'approved'
kill -TERM "$BOT"; wait "$BOT"
check "clean exit" [ $? = 0 ]
finish
