#!/usr/bin/env bash
# Crash test (console): kill -9 the bot in the middle of a piped burst of
# 2,000 check-ins from 500 users, restart on the same database and feed the
# lines it had not applied (the stored cursor says how many it had).
# Afterwards: exactly one check-in and one ledger entry per (user, day),
# every command answered, PRAGMA integrity_check ok.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.bash
DB=$WORK/crash.db
export KOCBOT_LOCALE=en KOCBOT_FAKE_NOW=2026-11-23T09:00:00+08:00 KOCBOT_LOG_LEVEL=error
for i in $(seq 0 1999); do echo "user$((i % 500)): /checkin"; done >"$WORK/lines"

# feed slowly so the kill lands mid-burst
{ while read -r l; do echo "$l"; [ $((RANDOM % 40)) -eq 0 ] && sleep 0.02; done <"$WORK/lines"; sleep 5; } 2>/dev/null |
    "$KOCBOT" --adapter console --db "$DB" >"$WORK/run1.out" 2>"$WORK/run1.err" &
pid=$!
# wait until the bot is applying lines (a sanitizer build starts slowly), then
# kill it at a random moment shortly after
for _ in $(seq 1 200); do
    [ "$(sqlite3 "$DB" "SELECT value FROM cursors WHERE key = 'console:lines'" 2>/dev/null)" -gt 0 ] 2>/dev/null && break
    sleep 0.05
done
sleep 0.$((RANDOM % 3))$((RANDOM % 10))
kill -9 "$pid"   # $! of a pipeline is its last command: the bot
wait "$pid" 2>/dev/null
done1=$(sqlite3 "$DB" "SELECT value FROM cursors WHERE key = 'console:lines'")
done1=${done1:-0}
echo "# killed after $done1 of 2000 lines were applied"
check "the kill landed mid-burst" [ "$done1" -gt 0 -a "$done1" -lt 2000 ]
tail -n +$((done1 + 1)) "$WORK/lines" | "$KOCBOT" --adapter console --db "$DB" >"$WORK/run2.out" 2>"$WORK/run2.err"
check "restart exits 0" [ $? -eq 0 ]
check "cursor reached 2000" [ "$(sqlite3 "$DB" "SELECT value FROM cursors WHERE key='console:lines'")" = 2000 ]
check "one check-in per user and day" \
    [ "$(sqlite3 "$DB" 'SELECT count(*) FROM checkins')" = 500 ]
check "one ledger entry per check-in" \
    [ "$(sqlite3 "$DB" "SELECT count(*) FROM ledger WHERE reason='checkin'")" = 500 ]
check "ledger points equal the tallies" \
    [ "$(sqlite3 "$DB" 'SELECT sum(amount) FROM ledger')" = "$(sqlite3 "$DB" 'SELECT sum(points) FROM period_tallies WHERE span = 0')" ]
check "every command has a reply row" [ "$(sqlite3 "$DB" 'SELECT count(*) FROM outbox')" = 2000 ]
check "every reply was delivered" [ "$(sqlite3 "$DB" 'SELECT count(*) FROM outbox WHERE state <> 1')" = 0 ]
check "integrity_check ok" [ "$(sqlite3 "$DB" 'PRAGMA integrity_check')" = ok ]
finish
