#!/usr/bin/env bash
# The persona quiz through the real binary and the fake Bot API (127.0.0.1
# only): a member with a private chat gets the questions there with inline
# buttons, presses them (callback queries from the private chat), gets the
# card with a share button and shares it in the group once; a member
# without one takes it in the group, where another member's press on their
# buttons is refused and a typed "B" answers; every press is answered once
# and every text is well-formed HTML.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.bash
if ! command -v python3 >/dev/null || ! command -v sqlite3 >/dev/null; then
    not_ok "python3 and sqlite3 are needed (make deps installs them)"; finish; exit
fi
TG=tests/e2e/tg_util.py
TOKEN=123456:TEST-token_secret
cat >"$WORK/bot.json" <<JSON
{"limits": {"enabled": false}, "telegram": {"poll_timeout_s": 2}, "log_level": "warn"}
JSON
chmod 600 "$WORK/bot.json"
export KOCBOT_LOCALE=en KOCBOT_TELEGRAM_TOKEN=$TOKEN KOCBOT_OPERATORS=tg:1 KOCBOT_TZ=Asia/Shanghai
T0=1795399200            # Monday 2026-11-23 10:00 in Shanghai
CHAT=-1001234
DB=$WORK/bot.db
q() { sqlite3 "$DB" "$1" 2>/dev/null; }
push() { control updates "$1" >/dev/null; }
say() { local c=$1 u=$2 n=$3 m=$4 t=$5; shift 5; push "$(python3 $TG msg "$c" "$u" "$n" "$m" "$T0" "$t" "$@")"; }
press() { push "$(python3 $TG cb "$@")"; }  # press CB_ID CHAT USER NAME MSG_ID DATA [private=1]
reqs() { control "requests${1:+?method=$1}" >"$WORK/req.json"; }
rq() { python3 $TG q "$WORK/req.json" "$1"; }
# sent_to CHAT TEXT_REGEX [N]: at least N (default 1) sendMessage to CHAT match
sent_to() { reqs sendMessage; [ "$(rq "sum(1 for r in R if str(r['body'].get('chat_id')) == '$1' and re.search(r'''$2''', r['body'].get('text','')))")" -ge "${3:-1}" ]; }
sent_count() { reqs sendMessage; rq "sum(1 for r in R if str(r['body'].get('chat_id')) == '$1' and re.search(r'''$2''', r['body'].get('text','')))"; }
# buttons CHAT TEXT_REGEX: the callback data of the last such message, one a line
buttons() { reqs sendMessage; rq "'\n'.join(b['callback_data'] for r in [r for r in R if str(r['body'].get('chat_id')) == '$1' and re.search(r'''$2''', r['body'].get('text',''))][-1:] for row in r['body'].get('reply_markup', {}).get('inline_keyboard', []) for b in row)"; }
answered() { reqs answerCallbackQuery; [ "$(rq "len(R)")" -ge "$1" ]; }

start_fake --token "$TOKEN"
KOCBOT_FAKE_NOW=$T0 KOCBOT_TELEGRAM_API=$FAKE \
    "$KOCBOT" --config "$WORK/bot.json" --db "$DB" >"$WORK/bot.log" 2>&1 &
BOT=$!
cleanup_hooks+=("kill $BOT 2>/dev/null")

DEF='/quiz new Which driver are you?
persona Commuter | In town every day | City Star
persona Explorer | Off to the hills <every> weekend & more | Trailblazer
q Where do you go on a Saturday?
- The mall = Commuter
- A mountain road = Explorer 2
q What matters most?
- Parking = Commuter
- Clearance = Explorer'
say "$CHAT" 1 op 6001 "$DEF"
check "quiz: defined" wait_for 10 sent_to "$CHAT" 'Quiz #1'
say "$CHAT" 101 alice 6002 '/checkin'
say 101 101 alice 1 '/start' private=1          # alice opens a private chat with the bot
check "quiz: alice's private chat is known" wait_for 10 sent_to 101 'Commands'
say "$CHAT" 101 alice 6003 '/quiz'
check "quiz: the group is told the questions went privately" wait_for 10 sent_to "$CHAT" 'I sent you'
check "quiz: question 1 in the private chat" wait_for 10 sent_to 101 'Question 1/2'
mapfile -t B1 < <(buttons 101 'Question 1/2')
check "quiz: one button per answer" [ "${#B1[@]}" = 2 ]
echo "# buttons: ${B1[*]}"
press cb-1 101 101 alice 2 "${B1[1]}" private=1
check "quiz: the press is answered" wait_for 10 answered 1
check "quiz: question 2 in the private chat" wait_for 10 sent_to 101 'Question 2/2'
press cb-1 101 101 alice 2 "${B1[1]}" private=1   # Telegram delivers the press again
mapfile -t B2 < <(buttons 101 'Question 2/2')
press cb-2 101 101 alice 3 "${B2[1]}" private=1
check "quiz: the card in the private chat" wait_for 10 sent_to 101 'alice⁩ is <b>⁨Explorer'
mapfile -t B3 < <(buttons 101 'alice⁩ is <b>⁨Explorer')
check "quiz: the card has a share button" [ "${B3[0]}" = '/quiz share 1' ]
press cb-3 101 101 alice 4 "${B3[0]}" private=1
check "quiz: shared in the group" wait_for 10 sent_to "$CHAT" 'alice⁩ is <b>⁨Explorer'
press cb-4 101 101 alice 4 "${B3[0]}" private=1   # pressed twice
check "quiz: four presses answered" wait_for 10 answered 4
sleep 0.5
check "quiz: the card is in the group once" [ "$(sent_count "$CHAT" 'alice⁩ is <b>⁨Explorer')" = 1 ]
reqs answerCallbackQuery
check "quiz: each press answered exactly once" \
    [ "$(rq "sorted(r['body']['callback_query_id'] for r in R)")" = '["cb-1", "cb-2", "cb-3", "cb-4"]' ]
check "quiz: the second share press says so" \
    [ "$(rq "[r['body'].get('text', '') for r in R if r['body']['callback_query_id'] == 'cb-4'][0]")" = 'That result is already shared.' ]
check "quiz: alice has the tag and the badge once" \
    [ "$(q "SELECT (SELECT count(*) FROM member_tags WHERE tag = 'Explorer') || ' ' || (SELECT count(*) FROM ledger WHERE kind = 'badge')")" = "1 1" ]

# bob has no private chat: the quiz stays in the group
say "$CHAT" 102 bob 6004 '/quiz'
check "quiz: bob's question 1 in the group" wait_for 10 sent_to "$CHAT" 'Question 1/2' 
mapfile -t G1 < <(buttons "$CHAT" 'Question 1/2')
press cb-5 "$CHAT" 103 carol 9 "${G1[0]}"          # carol presses bob's button
check "quiz: carol's press is answered" wait_for 10 answered 5
reqs answerCallbackQuery
check "quiz: carol is told it is not hers" \
    [ "$(rq "[r['body'].get('text', '') for r in R if r['body']['callback_query_id'] == 'cb-5'][0]")" = "That is someone else's quiz; send /quiz to take your own." ]
say "$CHAT" 102 bob 6005 'B'                       # typed (privacy mode off: the bot reads the group)
check "quiz: bob's typed answer brings question 2" wait_for 10 sent_to "$CHAT" 'Question 2/2'
say "$CHAT" 102 bob 6006 'A' reply="$(q "SELECT message_id FROM posted WHERE ref = 'quiz:2'")" reply_from=42
check "quiz: a reply to the question answers it" wait_for 10 sent_to "$CHAT" 'bob⁩ is <b>'
check "quiz: two results, one each" [ "$(q 'SELECT count(DISTINCT member_id) || " " || count(*) FROM quiz_results')" = "2 2" ]
reqs
check "quiz: every text is well-formed HTML" python3 $TG html "$WORK/req.json"
kill -TERM $BOT; wait $BOT
check "quiz: clean exit" [ $? = 0 ]
finish
