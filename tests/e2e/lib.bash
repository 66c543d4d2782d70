# Shared helpers for end-to-end scripts (sourced).  Each script counts its
# checks and ends with "N passed, N failed"; BUILD names the build directory.
BUILD=${BUILD:-build/debug}
KOCBOT=$BUILD/kocbot
FAKE_TG=$BUILD/fake_tg
PASS=0
FAIL=0
WORK=$(mktemp -d /tmp/kocbot-e2e.XXXXXX)
cleanup_hooks=()
cleanup() {
    for h in "${cleanup_hooks[@]}"; do eval "$h"; done
    if [ "${KEEP_FAILED:-0}" = 1 ] && [ "$FAIL" -gt 0 ]; then echo "# kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
ok() { echo "ok $*"; PASS=$((PASS + 1)); }
not_ok() { echo "not ok $*"; FAIL=$((FAIL + 1)); }
check() { # check "name" command...
    local name=$1; shift
    if "$@"; then ok "$name"; else not_ok "$name"; return 1; fi
}
finish() {
    echo "$PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ]
}
sql() { # sql DB "query" -> prints the first column (through the bot's own build of SQLite-free tools)
    sqlite3 "$1" "$2"
}
wait_for() { # wait_for SECONDS command...: poll until the command succeeds
    local limit=$(( $1 * 10 )); shift
    for _ in $(seq 1 "$limit"); do "$@" && return 0; sleep 0.1; done
    return 1
}
# Start the fake Bot API; sets FAKE_PORT, FAKE_PID.  Extra args pass through.
start_fake() {
    rm -f "$WORK/port"
    "$FAKE_TG" --port-file "$WORK/port" --max-seconds 300 "$@" >"$WORK/fake.log" 2>&1 &
    FAKE_PID=$!
    cleanup_hooks+=("kill $FAKE_PID 2>/dev/null")
    for _ in $(seq 1 100); do [ -s "$WORK/port" ] && break; sleep 0.05; done
    FAKE_PORT=$(cat "$WORK/port")
    FAKE=http://127.0.0.1:$FAKE_PORT
}
wait_for() { # wait_for SECONDS command...: poll until the command succeeds
    local limit=$(( $1 * 10 )); shift
    for _ in $(seq 1 "$limit"); do "$@" && return 0; sleep 0.1; done
    return 1
}
# The fake's updates not yet confirmed by a getUpdates offset.
pending_updates() { control stats | grep -o '"pending_updates":[0-9]*' | cut -d: -f2; }
# Every update confirmed and every reply in $DB sent (or given up).
settled() {
    [ "$(pending_updates)" = 0 ] && [ "$(sqlite3 "$DB" 'SELECT count(*) FROM outbox WHERE state = 0' 2>/dev/null)" = 0 ]
}
control() { # control PATH [JSON or @FILE]
    if [ $# -gt 1 ]; then curl -s -m 30 -X POST "$FAKE/control/$1" --data-binary "$2"
    else curl -s -m 10 "$FAKE/control/$1"; fi
}
