#!/usr/bin/env bash
# Fidelity of our fake OneBot v11 implementation (tests/fake/fake_onebot.py),
# judged by an independent client: Koishi's OneBot adapter from npm (koishi
# 4.18.11 + koishi-plugin-adapter-onebot 6.9.4, pinned in
# tests/compat/onebot/package.json and installed there with npm when
# missing) connects to the fake's forward WebSocket and must decode sender,
# group, role, segments and ids as the fake meant them; its send must reach
# the fake's send_group_msg.  A fake that only our adapter understands would
# prove nothing.  The checks are in tests/compat/onebot/koishi_fidelity.js.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.bash
COMPAT=tests/compat/onebot
installed() {
    node -e 'const v = p => require(process.argv[1] + "/node_modules/" + p + "/package.json").version;
             try { console.log(v("koishi") + " " + v("koishi-plugin-adapter-onebot")) } catch (e) { console.log("") }' \
        "$PWD/$COMPAT" 2>/dev/null
}
WANT="4.18.11 6.9.4"
if ! command -v node >/dev/null || ! command -v npm >/dev/null || ! command -v python3 >/dev/null; then
    not_ok "compat_onebot: node, npm and python3 are needed"
    finish; exit 1
fi
NPM_OPTS=(--no-audit --no-fund --loglevel=error --prefer-offline --fetch-retries=2
          --fetch-retry-mintimeout=2000 --fetch-retry-maxtimeout=10000)
if [ "$(installed)" != "$WANT" ]; then
    echo "# installing koishi and its OneBot adapter into $COMPAT/node_modules"
    (
        cd "$COMPAT" || exit 1
        flock -w 300 9 || exit 1   # one install at a time, even if two runs start together
        [ "$(installed)" = "$WANT" ] && exit 0
        timeout 240 npm ci "${NPM_OPTS[@]}"
    ) 9>"${TMPDIR:-/tmp}/kocbot-compat-onebot-npm-$(id -u).lock" >"$WORK/npm.log" 2>&1
    if [ "$(installed)" != "$WANT" ]; then
        sed 's/^/# npm: /' "$WORK/npm.log" | tail -n 15
        not_ok "compat_onebot: npm could not install koishi $WANT in $COMPAT"
        finish; exit 1
    fi
fi
ok "koishi and koishi-plugin-adapter-onebot ($WANT) are installed"

TOKEN=koishi-fidelity-token
python3 tests/fake/fake_onebot.py --ws-port -1 --port-file "$WORK/port" --token "$TOKEN" \
    --max-seconds 120 >"$WORK/fake.log" 2>&1 &
cleanup_hooks+=("kill $! 2>/dev/null")
for _ in $(seq 1 100); do [ -s "$WORK/port" ] && [ -s "$WORK/port.ws" ] && break; sleep 0.05; done
out=$(cd "$COMPAT" && timeout 90 node koishi_fidelity.js "$(cat "$WORK/port.ws")" "$(cat "$WORK/port")" "$TOKEN" 2>&1)
printf '%s\n' "$out" | grep -E '^(ok|not ok) ' || true
line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
if [ -z "$line" ]; then
    printf '%s\n' "$out" | sed 's/^/# koishi: /' | tail -n 20
    not_ok "compat_onebot: the Koishi test printed no summary"
else
    p=${line%% passed*}; f=${line#*, }; f=${f%% failed*}
    PASS=$((PASS + p)); FAIL=$((FAIL + f))
fi
finish
