#!/usr/bin/env bash
# Features through the real binary and the fake Bot API (127.0.0.1 only):
#  1. polls: an operator opens a poll with a reward, several members press
#     its buttons (callback queries on the poll message), a member changes
#     the vote, another replies to the poll message with a reason; every
#     press is answered once, votes and rewards land once, live counts edit
#     the poll message at most once per 5 s, /poll close posts the result once;
#  2. tasks: a member replies to their own photo with /submit; the photo is
#     the submission's attachment, /review shows it, /approve pays;
#  3. forum topics: a command in a topic is answered in that topic;
#  4. every HTML text the bot sent is well-formed (a poll question and a task
#     title full of '<', '&' and quotes included).
# Scheduled posts through the fake clock are in tg_schedules.sh.
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
SPEED=5                  # the poll's 5 s edit gap is 1 s of real time
CHAT=-1001234
DB=$WORK/bot.db

wait_for() { # wait_for SECONDS command...: poll until the command succeeds
    local limit=$(( $1 * 10 )); shift
    for _ in $(seq 1 "$limit"); do "$@" && return 0; sleep 0.1; done
    return 1
}
q() { sqlite3 "$DB" "$1" 2>/dev/null; }
push() { control updates "$1" >/dev/null; }
# say USER NAME MSG_ID TEXT [key=value ...]: a group message
say() { local u=$1 n=$2 m=$3 t=$4; shift 4; push "$(python3 $TG msg "$CHAT" "$u" "$n" "$m" "$T0" "$t" "$@")"; }
press() { push "$(python3 $TG cb "$@")"; }  # press CB_ID CHAT USER NAME MSG_ID DATA
reqs() { control "requests${1:+?method=$1}" >"$WORK/req.json"; }
# rq 'python expression over R' (the requests fetched last)
rq() { python3 $TG q "$WORK/req.json" "$1"; }
rq_t() { python3 $TG t "$WORK/req.json" "$1"; }
# sent_has TEXT_REGEX [N]: at least N (default 1) sendMessage texts match
sent_has() { reqs sendMessage; [ "$(rq "sum(1 for r in R if re.search(r'''$1''', r['body'].get('text','')))")" -ge "${2:-1}" ]; }
sent_count() { reqs sendMessage; rq "sum(1 for r in R if re.search(r'''$1''', r['body'].get('text','')))"; }

start_fake --token "$TOKEN"
KOCBOT_FAKE_NOW=$T0 KOCBOT_FAKE_SPEED=$SPEED KOCBOT_TELEGRAM_API=$FAKE \
    "$KOCBOT" --config "$WORK/bot.json" --db "$DB" >"$WORK/bot.log" 2>&1 &
BOT=$!
cleanup_hooks+=("kill $BOT 2>/dev/null")

# ---- 1. polls -------------------------------------------------------------
say 1 op 5001 '/poll new Which poster? | Sunset | City night | Mountain road --reward 5'
check "poll: posted with an inline keyboard" wait_for 10 sent_has 'Poll #1'
reqs sendMessage
idx=$(rq "[i for i, r in enumerate(R) if 'reply_markup' in r['body'] and 'Poll #1' in r['body']['text']][0]")
POLL_MSG=$((idx + 1))    # the fake numbers the messages it sends 1, 2, 3, ...
mapfile -t DATA < <(rq "'\n'.join(b['callback_data'] for row in R[$idx]['body']['reply_markup']['inline_keyboard'] for b in row)")
check "poll: one button per option" [ "${#DATA[@]}" = 3 ]
check "poll: the message id the fake returned is remembered" \
    [ "$(q "SELECT message_id FROM posted WHERE ref = 'poll:1'")" = "$POLL_MSG" ]
echo "# poll message $POLL_MSG, buttons: ${DATA[*]}"

press cb-a "$CHAT" 101 alice "$POLL_MSG" "${DATA[0]}"
press cb-b "$CHAT" 102 bob "$POLL_MSG" "${DATA[1]}"
press cb-c "$CHAT" 103 carol "$POLL_MSG" "${DATA[1]}"
answered() { reqs answerCallbackQuery; [ "$(rq "len(R)")" -ge "$1" ]; }
check "poll: three presses answered" wait_for 10 answered 3
sleep 0.3
press cb-a2 "$CHAT" 101 alice "$POLL_MSG" "${DATA[2]}"   # alice changes her mind
press cb-b "$CHAT" 102 bob "$POLL_MSG" "${DATA[1]}"      # Telegram delivers a press again
check "poll: the change answered" wait_for 10 answered 4
sleep 1
reqs answerCallbackQuery
check "poll: each callback answered exactly once" \
    [ "$(rq "sorted(r['body']['callback_query_id'] for r in R)")" = '["cb-a", "cb-a2", "cb-b", "cb-c"]' ]
check "poll: every answer carries a toast" rq_t "all(r['body'].get('text') for r in R)"
echo "# toasts: $(rq "[r['body'].get('text') for r in R]")"
check "poll: three votes stored" [ "$(q 'SELECT count(*) FROM poll_votes WHERE poll_id = 1')" = 3 ]
check "poll: the re-press changed alice's vote" \
    [ "$(q "SELECT v.choices FROM poll_votes v JOIN members m ON m.id = v.member_id WHERE m.user_id = '101'")" = 4 ]   # a bit mask: option 3
check "poll: the reward paid once per voter" \
    [ "$(q "SELECT count(*) || ' ' || sum(amount) FROM ledger WHERE reason = 'poll'")" = "3 15" ]

# live counts: edits of the poll message, the last one with the final counts
edited_to() { reqs editMessageText; [ "$(rq "sum(1 for r in R if re.search(r'''$1''', r['body']['text'], re.S))")" -ge 1 ]; }
FINAL_COUNTS='Sunset⁩ · 0 .*City night⁩ · 2 .*Mountain road⁩ · 1 '
check "poll: the poll message shows the live counts" wait_for 10 edited_to "$FINAL_COUNTS"
reqs editMessageText
echo "# edits: $(rq "[r['time_ms'] - R[0]['time_ms'] for r in R]") ms"
check "poll: every edit is of the poll message" \
    rq_t "all(str(r['body']['message_id']) == '$POLL_MSG' for r in R)"
# The engine decides the gap on its own clock, in whole seconds: the edits it queued are 5 s apart.
# What the fake sees also carries each send's delay (times SPEED), so a loaded machine shortens a
# gap there by up to a second or two of fake clock; without the gap, edits would come milliseconds apart.
check "poll: the engine queued at most one edit per 5 s (of the fake clock)" \
    [ "$(q "SELECT count(*) FROM outbox a JOIN outbox b ON b.edit_message_id = a.edit_message_id AND b.id > a.id
             WHERE a.edit_message_id = '$POLL_MSG' AND b.created_at - a.created_at < 5
             AND NOT EXISTS (SELECT 1 FROM outbox m WHERE m.edit_message_id = a.edit_message_id AND m.id > a.id AND m.id < b.id)")" = 0 ]
check "poll: the edits reached the fake spaced out (≥ 2.5 s of the fake clock)" \
    rq_t "all((b['time_ms'] - a['time_ms']) * $SPEED >= 2500 for a, b in zip(R, R[1:]))"
check "poll: live edits keep the buttons" rq_t "all('reply_markup' in r['body'] for r in R)"

# a reply to the poll message is bob's reason
say 102 bob 5002 'neon looks great' reply="$POLL_MSG" reply_from=42
reason() { [ "$(q "SELECT v.reason FROM poll_votes v JOIN members m ON m.id = v.member_id WHERE m.user_id = '102'")" = 'neon looks great' ]; }
check "poll: a reply to the poll message adds the reason" wait_for 10 reason
say 104 dave 5003 'me too' reply="$POLL_MSG" reply_from=42
check "poll: a reply from a non-voter is told to vote first" wait_for 10 sent_has 'vote first|Vote first'

say 1 op 5004 '/poll close 1'
check "poll: /poll close posts the final result" wait_for 10 sent_has 'Poll #1, final result'
say 1 op 5005 '/poll close 1'
sleep 1.5
check "poll: the final result posted once" [ "$(sent_count 'Poll #1, final result')" = 1 ]
check "poll: the final result names the voters" sent_has 'City night⁩: ⁨bob⁩, ⁨carol⁩'
closed_edit() { reqs editMessageText; [ "$(rq "sum(1 for r in R if 'closed' in r['body']['text'] and 'reply_markup' not in r['body'])")" -ge 1 ]; }
check "poll: the poll message is edited to its closed state without buttons" wait_for 10 closed_edit
press cb-late "$CHAT" 105 erin "$POLL_MSG" "${DATA[0]}"
check "poll: a press after the close is answered" wait_for 10 answered 5
check "poll: ... and not counted" [ "$(q 'SELECT count(*) FROM poll_votes WHERE poll_id = 1')" = 3 ]

# ---- 2. tasks: /submit as a reply to one's own photo ------------------------
say 1 op 5020 '/task new basic Poster <b>photo</b> & "x" --reward points 20 --review yes'
check "task: posted" wait_for 10 sent_has 'Poster &lt;b&gt;photo'
say 101 alice 5021 '/claim 1'
claimed() { [ "$(q "SELECT count(*) FROM claims WHERE task_id = 1")" = 1 ]; }
check "task: alice claimed it" wait_for 10 claimed
say 101 alice 5022 '' photo=AgACphotoALICE
say 102 bob 5023 '' photo=AgACphotoBOB
say 101 alice 5024 '/submit 1' reply=5022 reply_from=101 reply_photo=AgACphotoALICE
submitted() { [ "$(q "SELECT count(*) FROM submissions WHERE task_id = 1")" -ge 1 ]; }
check "task: the submission is stored" wait_for 10 submitted
check "task: its attachment is the photo replied to (largest size)" \
    [ "$(q 'SELECT attachment FROM submissions WHERE task_id = 1')" = photo:AgACphotoALICE ]
say 1 op 5025 '/review'
check "task: /review shows the photo" wait_for 10 sent_has '📎 ⁨photo:AgACphotoALICE⁩'
say 1 op 5026 '/approve 1'
paid() { [ "$(q "SELECT l.amount FROM ledger l JOIN members m ON m.id = l.member_id WHERE l.reason = 'task' AND m.user_id = '101'")" = 20 ]; }
check "task: /approve pays the reward" wait_for 10 paid
# someone else's photo is not an attachment
say 102 bob 5027 '/claim 1'
say 102 bob 5028 '/submit 1 see above' reply=5022 reply_from=101 reply_photo=AgACphotoALICE
bob_sub() { [ "$(q "SELECT count(*) FROM submissions s JOIN members m ON m.id = s.member_id WHERE m.user_id = '102'")" = 1 ]; }
check "task: bob's submission is stored" wait_for 10 bob_sub
check "task: ... without alice's photo" \
    [ "$(q "SELECT coalesce(s.attachment, 'none') FROM submissions s JOIN members m ON m.id = s.member_id WHERE m.user_id = '102'")" = none ]

# ---- 3. forum topics ---------------------------------------------------------
TOPIC=77
in_topic() { # in_topic REGEX: a sendMessage matching REGEX went to the topic
    reqs sendMessage
    [ "$(rq "sum(1 for r in R if re.search(r'''$1''', r['body']['text']) and r['body'].get('message_thread_id') == $TOPIC)")" -ge 1 ]
}
say 106 frank 5030 '/checkin' thread=$TOPIC
check "topic: a command in a topic is answered in the topic" wait_for 10 in_topic 'checked in'
say 1 op 5031 '/poll new Topic question? | yes | no' thread=$TOPIC
check "topic: a poll opened in a topic is posted there" wait_for 10 in_topic 'Poll #'
reqs sendMessage
TOPIC_POLL=$(rq "[i + 1 for i, r in enumerate(R) if 'Topic question' in r['body']['text']][0]")
TOPIC_ID=$(q "SELECT ref FROM posted WHERE message_id = '$TOPIC_POLL'"); TOPIC_ID=${TOPIC_ID#poll:}
press cb-t "$CHAT" 106 frank "$TOPIC_POLL" "/vote $TOPIC_ID 1" thread=$TOPIC
check "topic: a press on the topic's poll is answered" wait_for 10 answered 6
say 1 op 5032 "/poll close $TOPIC_ID" thread=$TOPIC
check "topic: the final result goes to the topic" wait_for 10 in_topic "Poll #$TOPIC_ID, final result"
say 107 gina 5033 '/me'
not_in_topic() { reqs sendMessage; [ "$(rq "sum(1 for r in R if 'gina' in r['body']['text'] and 'message_thread_id' not in r['body'])")" -ge 1 ]; }
check "topic: a command outside topics is answered outside them" wait_for 10 not_in_topic

# ---- 4. HTML from untrusted titles ---------------------------------------
# (with a vote typed in the same batch, before the poll message is sent: its
# live edit is owed until the message id is known, then sent by the tick)
push "[$(python3 $TG msg "$CHAT" 1 op 5010 "$T0" '/poll new Best <b>poster</b> & "why"? | A<b> | B & C | <i>x</i>'),
       $(python3 $TG msg "$CHAT" 108 hank 5011 "$T0" '/vote 3 2 <b>bold</b> & "reason"')]"
check "html: a poll question with markup is posted" wait_for 10 sent_has 'Poll #3'
check "html: the question appears escaped" sent_has 'Best &lt;b&gt;poster&lt;/b&gt; &amp; (&quot;|")why'
reqs sendMessage
check "html: button labels are plain text" \
    rq_t "[b['text'] for r in R if 'Poll #3' in r['body']['text'] for row in r['body'].get('reply_markup', {}).get('inline_keyboard', []) for b in row] == ['1. A<b>', '2. B & C', '3. <i>x</i>']"
check "poll: a vote cast before the poll message was sent edits it within 3 s" \
    wait_for 3 edited_to 'Poll #3.*B &amp; C⁩ · 1 '

# ---- finish --------------------------------------------------------------
control requests >"$WORK/all.json"
[ -n "${KEEP:-}" ] && cp "$WORK/all.json" "$WORK/bot.log" "$DB" "$KEEP/"
check "html: every text the bot sent is well-formed Telegram HTML" python3 $TG html "$WORK/all.json"
kill -TERM "$BOT"; wait "$BOT"; rc=$?
check "bot: clean exit" [ $rc = 0 ]
check "bot: no errors logged" bash -c "! grep -qiE 'error|sanitizer' '$WORK/bot.log'"
[ "$FAIL" = 0 ] || tail -20 "$WORK/bot.log"
finish
