#!/usr/bin/env bash
# Scheduled posts through the real binary, the fake Bot API (127.0.0.1) and
# the test clock (KOCBOT_FAKE_NOW + KOCBOT_FAKE_SPEED): on a Monday morning
# in Shanghai the greeting (08:00), a task's 2-hour deadline reminder (08:30)
# and the weekly leaderboard (09:00) each reach the chat exactly once; a
# restart on the same database (inside the greeting's grace window) repeats
# none of them.  (Pacing under the fast clock: tg_pacing.sh.)
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.bash
if ! command -v python3 >/dev/null || ! command -v sqlite3 >/dev/null; then
    not_ok "python3 and sqlite3 are needed (make deps installs them)"; finish; exit
fi
TG=tests/e2e/tg_util.py
TOKEN=123456:TEST-token_secret
cat >"$WORK/bot.json" <<JSON
{"limits": {"enabled": false}, "telegram": {"poll_timeout_s": 2}, "log_level": "info"}
JSON
chmod 600 "$WORK/bot.json"
export KOCBOT_LOCALE=en KOCBOT_TELEGRAM_TOKEN=$TOKEN KOCBOT_OPERATORS=tg:1 KOCBOT_TZ=Asia/Shanghai
SPEED=240                # 4 minutes of the fake clock per real second
T0=1795391700            # Monday 2026-11-23 07:55 in Shanghai
T_RESTART=1795393200     # 08:20, 20 min after the greeting (grace: 30 min)
FRI=$((T0 - 3 * 86400 + 4 * 3600 + 5 * 60))  # 2026-11-20 (Friday) 12:00, last week
SUN=$((T0 - 86400 + 2 * 3600))                 # 2026-11-22 (Sunday) 09:55
CHAT=-1005678
DB=$WORK/bot.db

q() { sqlite3 "$DB" "$1" 2>/dev/null; }
wait_for() { # wait_for SECONDS command...: poll until the command succeeds
    local limit=$(( $1 * 10 )); shift
    for _ in $(seq 1 "$limit"); do "$@" && return 0; sleep 0.1; done
    return 1
}
push() { control updates "$1" >/dev/null; }
say() { # say USER NAME MSG_ID DATE TEXT
    push "$(python3 $TG msg "$CHAT" "$1" "$2" "$3" "$4" "$5")"
}
sent_count() { # sent_count REGEX: sendMessage texts matching
    control requests?method=sendMessage >"$WORK/req.json"
    python3 $TG q "$WORK/req.json" "sum(1 for r in R if re.search(r'''$1''', r['body']['text']))"
}
wait_sent() { # wait_sent SECONDS REGEX: until at least one sendMessage matches
    local limit=$(( $1 * 10 ))
    for _ in $(seq 1 "$limit"); do [ "$(sent_count "$2")" -ge 1 ] && return 0; sleep 0.1; done
    return 1
}
run_bot() { # run_bot START [SPEED]: the bot on the test clock from START
    KOCBOT_FAKE_NOW=$1 KOCBOT_FAKE_SPEED=${2:-$SPEED} KOCBOT_TELEGRAM_API=$FAKE \
        "$KOCBOT" --config "$WORK/bot.json" --db "$DB" >>"$WORK/bot.log" 2>&1 &
    BOT=$!
    cleanup_hooks+=("kill $BOT 2>/dev/null")
}
GREETING='Good morning! Today is Monday, November 23, 2026'
REMINDER='⏰ .*task #1 .* only (2 h|1 h 59 min) left'
WEEKLY="Weekly leaderboard</b>\nlast week, Mon 11-16 – Sun 11-22"

start_fake --token "$TOKEN"
# Everything is queued before the bot starts, so it is all applied at about
# 07:55-07:57 on the fake clock: last week's check-ins (by their own dates),
# the schedules, and a task due at 10:30 that bob claims.
say 101 alice 7001 "$FRI" '/checkin'
say 102 bob 7002 "$FRI" '/checkin'
say 102 bob 7003 "$SUN" '/checkin'
say 1 op 7004 "$T0" '/schedule greet 08:00'
say 1 op 7005 "$T0" '/schedule weekly mon 09:00 leaderboard'
say 1 op 7006 "$T0" '/task new basic Morning photo --deadline 10:30 --reward points 5'
say 102 bob 7007 "$T0" '/claim 1'
started=$(date +%s%N)
run_bot "$T0"
claimed() { [ "$(q 'SELECT count(*) FROM claims')" = 1 ]; }
check "setup: the task is claimed before 08:00" wait_for 5 claimed
check "setup: two schedules active" [ "$(q 'SELECT count(*) FROM schedules WHERE active = 1')" = 2 ]

# 08:00 is 1.25 s away, 09:00 16.25 s: allow 25 s in all (ASan is slower)
check "greeting: arrives" wait_sent 10 "$GREETING"
check "reminder: arrives" wait_sent 15 "$REMINDER"
check "leaderboard: arrives" wait_sent 25 "$WEEKLY"
echo "# after $(( ($(date +%s%N) - started) / 1000000 )) ms of real time"
sleep 1
control requests?method=sendMessage >"$WORK/morning.json"
python3 $TG q "$WORK/morning.json" "[r['body']['text'][:70] for r in R]" | tr -d '\n'; echo
check "greeting: exactly once" [ "$(sent_count "$GREETING")" = 1 ]
check "greeting: counts yesterday's check-in" [ "$(sent_count '^☀️ Good morning.*\n1 checked in yesterday')" = 1 ]
check "reminder: exactly once" [ "$(sent_count "$REMINDER")" = 1 ]
check "reminder: mentions bob" [ "$(sent_count '⏰ .*bob')" = 1 ]
check "reminder: no 24-hour reminder (claimed inside that window)" [ "$(sent_count 'left\)\. Send /submit')" = 0 ]
check "leaderboard: exactly once" [ "$(sent_count "$WEEKLY")" = 1 ]
check "leaderboard: ranks last week's points" \
    [ "$(sent_count "$WEEKLY"'.*\n1\. ⁨@?bob⁩ — 20 points\n2\. ⁨@?alice⁩ — 10 points')" = 1 ]
first_at() { python3 $TG q "$WORK/morning.json" "min([i for i, r in enumerate(R) if re.search(r'''$1''', r['body']['text'])] or [-1])"; }
check "order: greeting, reminder, leaderboard" \
    [ "$(first_at "$GREETING")" -lt "$(first_at "$REMINDER")" -a "$(first_at "$REMINDER")" -lt "$(first_at "$WEEKLY")" ]
check "html: the scheduled posts are well-formed" python3 $TG html "$WORK/morning.json"
kill -TERM "$BOT"; wait "$BOT"; rc=$?
check "first run: clean exit" [ $rc = 0 ]
before=$(sent_count .)

# ---- restart at 08:20 and run past 09:00 ----------------------------------
# a post added now for 08:50 shows the restarted scheduler did run past it
say 1 op 7010 "$T_RESTART" '/schedule night 08:50 Control post after the restart'
run_bot "$T_RESTART" 480
sleep 6                  # 08:20 + 6 s x 8 min = 09:08
check "restart: the scheduler runs (a post added for 08:50 arrives once)" \
    [ "$(sent_count 'Control post after the restart')" = 1 ]
check "restart: the greeting is not sent again" [ "$(sent_count "$GREETING")" = 1 ]
check "restart: the reminder is not sent again" [ "$(sent_count "$REMINDER")" = 1 ]
check "restart: the leaderboard is not sent again" [ "$(sent_count "$WEEKLY")" = 1 ]
check "restart: nothing else was sent (the /schedule answer and the control post)" \
    [ "$(sent_count .)" = $((before + 2)) ]
kill -TERM "$BOT"; wait "$BOT"; rc=$?
check "restart: clean exit" [ $rc = 0 ]
check "bot: no errors logged" bash -c "! grep -qiE 'error|sanitizer' '$WORK/bot.log'"
[ "$FAIL" = 0 ] || tail -20 "$WORK/bot.log"
finish
