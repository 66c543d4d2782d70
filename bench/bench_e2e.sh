#!/usr/bin/env bash
# End to end: the real binary against the fake Bot API (tests/fake), rate
# limits off.  Usage: bench/bench_e2e.sh [BUILD_DIR] [UPDATES]
#  idle   the bot started on an empty database and long-polling: VmRSS
#  burst  UPDATES (default 100,000) pre-generated updates over 100 chats and
#         50,000 members (70% /checkin, 20% /me, 10% /tasks) served as fast
#         as the bot asks: updates/s from the moment they are available to
#         the last reply, bot CPU seconds, peak RSS (VmHWM), and latency
#         from an update becoming available to its reply arriving
#  steady 10,000 updates released evenly at 1,000/s (one every ms, the
#         fake's paced generate): latency when the bot keeps up, and bot CPU
#         per update
#  slices the same 10,000 offered as slices of 50 every 50 ms (this
#         benchmark's steady phase before 2026-12-02: a harsher load)
#  floor  bench_http_floor against the same fake: the least CPU one reply
#         costs a libcurl client (one handle, one keep-alive connection);
#         bench_steady_floor at the steady phase's load: the least CPU an
#         update costs a bot that commits each answer (synchronous=FULL)
#         before confirming it, and the same without the database
#  CPU is the bot process's user+sys time (/proc/PID/stat), reported per
#  update: steadier than wall time on a shared machine
# Prints ONE line of JSON.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${1:-build/release}
N=${2:-100000}
. tests/e2e/lib.bash
start_fake --max-seconds 900
# CACHED_MEMBERS=N runs the bot with that member cache (config cached_members)
cache_key=
[ -n "${CACHED_MEMBERS:-}" ] && cache_key=", \"cached_members\": $CACHED_MEMBERS"
cat >"$WORK/bot.json" <<JSON
{"limits": {"enabled": false}, "log_level": "warn"$cache_key}
JSON
DB=$WORK/e2e.db
KOCBOT_TELEGRAM_TOKEN=1:bench KOCBOT_TELEGRAM_API=$FAKE KOCBOT_LOCALE=en \
    "$KOCBOT" --config "$WORK/bot.json" --db "$DB" 2>"$WORK/bot.log" &
BOT=$!
cleanup_hooks+=("kill $BOT 2>/dev/null")
stat_of() { control stats | grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2; }
ticks() { awk '{print $14 + $15}' "/proc/$BOT/stat"; }
kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$BOT/status"; }
for _ in $(seq 1 100); do [ "$(stat_of getUpdates)" ] && break; sleep 0.1; done
sleep 2
idle_kb=$(kb VmRSS)
idle_anon_kb=$(kb RssAnon)
hz=$(getconf CLK_TCK)

drained() { # all N updates applied and answered
    [ "$(sqlite3 "$DB" "SELECT (SELECT count(*) FROM processed) = $1 AND
        NOT EXISTS (SELECT 1 FROM outbox WHERE state = 0)" 2>/dev/null)" = 1 ]
}
wait_drained() {
    local deadline=$(( $(date +%s) + 600 ))
    until drained "$1"; do
        [ "$(date +%s)" -gt "$deadline" ] && { echo '{"bench":"e2e","error":"timeout"}'; exit 1; }
        sleep 0.5
    done
}

# ---- burst --------------------------------------------------------------
c0=$(ticks)
checkins=$((N * 70 / 100)); mes=$((N * 20 / 100)); tasks=$((N - checkins - mes))
t0=$(date +%s%3N)
control generate "{\"n\":$checkins,\"chats\":100,\"users\":50000,\"text\":\"/checkin\"}" >/dev/null
control generate "{\"n\":$mes,\"first\":$checkins,\"chats\":100,\"users\":50000,\"text\":\"/me\"}" >/dev/null
control generate "{\"n\":$tasks,\"first\":$((checkins + mes)),\"chats\":100,\"users\":50000,\"text\":\"/tasks\"}" >/dev/null
wait_drained "$N"
c1=$(ticks)
burst=$(control "stats?clear_latency")
last=$(printf '%s' "$burst" | grep -o '"last_send_ms":[0-9]*' | cut -d: -f2)
peak_kb=$(kb VmHWM)
lat() { printf '%s' "$1" | grep -o '"latency_ms":{[^}]*}' | sed 's/"latency_ms"://'; }
burst_lat=$(lat "$burst")
sends=$(printf '%s' "$burst" | grep -o '"messages_sent":[0-9]*' | cut -d: -f2)

# ---- steady: one update every ms -----------------------------------------
requests() { echo $(( $(stat_of getUpdates) + $(stat_of sendMessage) )); }
r2=$(requests)
c2=$(ticks)
control generate "{\"n\":10000,\"first\":$N,\"chats\":100,\"users\":50000,\"text\":\"/tasks\",\"per_s\":1000}" >/dev/null
wait_drained $((N + 10000))
steady_lat=$(lat "$(control "stats?clear_latency")")
c3=$(ticks)
r3=$(requests)

# ---- slices: 50 at once every 50 ms ---------------------------------------
for k in $(seq 0 199); do
    control generate "{\"n\":50,\"first\":$((N + 10000 + k * 50)),\"chats\":100,\"users\":50000,\"text\":\"/tasks\"}" >/dev/null
    sleep 0.05
done
wait_drained $((N + 20000))
slices_lat=$(lat "$(control stats)")
c4=$(ticks)
peak_kb=$(kb VmHWM)
kill -TERM "$BOT"; wait "$BOT"

# ---- the floor: the least one reply costs a libcurl client here ----------
floor=$("$BUILD/bench/bench_http_floor" "$FAKE" 20000 | grep -o '"cpu_us_per_request":[0-9.]*' | cut -d: -f2)

# ---- the steady floor: the same 1,000/s to a bot that only commits and replies
steady_floor() { # DB or -: CPU µs per update
    "$BUILD/bench/bench_steady_floor" "$FAKE" "$1" 10000 >"$WORK/floor.json" 2>"$WORK/floor.err" &
    local pid=$! first=$(( (N + 20000 + ${2:-0}) ))
    for _ in $(seq 1 100); do grep -q ready "$WORK/floor.err" && break; sleep 0.1; done
    control generate "{\"n\":10000,\"first\":$first,\"chats\":100,\"users\":50000,\"text\":\"/tasks\",\"per_s\":1000}" >/dev/null
    wait "$pid"
    grep -o '"cpu_us_per_update":[0-9.]*' "$WORK/floor.json" | cut -d: -f2
}
steady_floor_db=$(steady_floor "$WORK/floor.db")
steady_floor_http=$(steady_floor - 10000)

secs=$(echo "($last - $t0) / 1000" | bc -l)
printf '{"bench":"e2e","updates":%d,"chats":100,"members":50000,"seconds":%.2f,"updates_per_s":%.0f,' \
    "$N" "$secs" "$(echo "$N / $secs" | bc -l)"
printf '"replies_sent":%s,"bot_cpu_s":%.2f,"peak_rss_mb":%.1f,"idle_rss_mb":%.1f,' \
    "$sends" "$(echo "($c1 - $c0) / $hz" | bc -l)" "$(echo "$peak_kb / 1024" | bc -l)" \
    "$(echo "$idle_kb / 1024" | bc -l)"
printf '"idle_rss_anon_mb":%.1f,' "$(echo "$idle_anon_kb / 1024" | bc -l)"
printf '"burst_cpu_us_per_update":%.0f,"steady_cpu_us_per_update":%.0f,' \
    "$(echo "($c1 - $c0) * 1000000 / $hz / $N" | bc -l)" "$(echo "($c3 - $c2) * 1000000 / $hz / 10000" | bc -l)"
printf '"burst_latency_ms":%s,"steady_1000_per_s_latency_ms":%s,' "${burst_lat:-null}" "${steady_lat:-null}"
printf '"slices_cpu_us_per_update":%.0f,"slices_50_per_50ms_latency_ms":%s,' \
    "$(echo "($c4 - $c3) * 1000000 / $hz / 10000" | bc -l)" "${slices_lat:-null}"
# the floor spread over the burst's updates: what its replies cost before the bot does anything
printf '"http_floor_cpu_us_per_reply":%s,"http_floor_cpu_us_per_update":%.0f,' "${floor:-null}" \
    "$(echo "${floor:-0} * $sends / $N" | bc -l)"
# the same at steady load, where most updates come in a getUpdates of their own
printf '"steady_requests_per_update":%.2f,"steady_http_floor_cpu_us_per_update":%.0f,' \
    "$(echo "($r3 - $r2) / 10000" | bc -l)" "$(echo "${floor:-0} * ($r3 - $r2) / 10000" | bc -l)"
printf '"steady_floor_cpu_us_per_update":%s,"steady_floor_without_db_cpu_us_per_update":%s,' \
    "${steady_floor_db:-null}" "${steady_floor_http:-null}"
printf '"machine":{"uname":"%s","cpu":"%s","nproc":%s}}\n' "$(uname -srm)" \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" "$(nproc)"
