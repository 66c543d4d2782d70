#!/usr/bin/env python3
"""kocbot against a real Synapse (started by tests/e2e/synapse.sh on
127.0.0.1 with SQLite, no federation, presence off).  Users are created by
the shared-secret admin registration; alice creates a room and invites the
bot, the others join and talk to it: check-ins, a poll voted by reactions
and by typing (a redaction after a kill -9 withdraws exactly that vote; a
sync replayed from an older since changes nothing), a refused reaction told
in a direct chat the bot opens, a direct chat a member opens treated as
private, a task claimed by reaction, an operator by power level, a member
refused, a 429 from Synapse's default message limit obeyed exactly, then
(limit lifted by override_ratelimit) kill -9 during a burst with nothing
lost and nothing doubled.

Environment: HS (base URL), SECRET (registration_shared_secret), SYNAPSE_LOG
(its log file), BUILD, WORK."""
import hashlib
import hmac
import json
import os
import re
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from mx_util import Bot, call, finish, ok, sql, wait_for  # noqa: E402

HS = os.environ["HS"]
SECRET = os.environ["SECRET"]
WORK = os.environ["WORK"]
KOCBOT = os.path.join(os.environ.get("BUILD", "build/debug"), "kocbot")
SERVER = "kocbot.test"
BOT = "@kocbot:" + SERVER
KEY2 = "2\ufe0f\u20e3"
KEY1 = "1\ufe0f\u20e3"
KEY3 = "3\ufe0f\u20e3"
q = urllib.parse.quote
TXN = [0]


def register(user, password, admin=False):
    """Shared-secret registration: HMAC-SHA1 over nonce, user, password, admin."""
    _, r = call("GET", HS + "/_synapse/admin/v1/register")
    mac = hmac.new(SECRET.encode(), digestmod=hashlib.sha1)
    mac.update(b"\x00".join([r["nonce"].encode(), user.encode(), password.encode(),
                             b"admin" if admin else b"notadmin"]))
    st, r = call("POST", HS + "/_synapse/admin/v1/register",
                 {"nonce": r["nonce"], "username": user, "password": password, "admin": admin,
                  "mac": mac.hexdigest()})
    if st != 200:
        raise SystemExit("registration of %s failed: %s %s" % (user, st, r))
    return r["access_token"]


def api(method, path, body=None, token=None):
    """A client call that waits out 429 as told (test users are rate limited too)."""
    for _ in range(30):
        st, r = call(method, HS + "/_matrix/client/v3" + path, body, token)
        if st != 429:
            return st, r
        time.sleep((r or {}).get("retry_after_ms", 1000) / 1000.0)
    return st, r


def send(token, room, content, etype="m.room.message"):
    TXN[0] += 1
    st, r = api("PUT", "/rooms/%s/send/%s/t%d.%d" % (q(room), etype, os.getpid(), TXN[0]), content, token)
    assert st == 200, (st, r)
    return r["event_id"]


def say(token, room, text):
    return send(token, room, {"msgtype": "m.text", "body": text})


def messages(room, token):
    """Every event of the room, oldest first."""
    out, frm = [], None
    for _ in range(50):
        path = "/rooms/%s/messages?dir=b&limit=500" % q(room) + ("&from=" + q(frm) if frm else "")
        st, r = api("GET", path, None, token)
        chunk = (r or {}).get("chunk", [])
        out.extend(chunk)
        frm = (r or {}).get("end")
        if not chunk or not frm:
            break
    return list(reversed(out))


def bot_replies(room, token, event_id):
    return [e for e in messages(room, token) if e.get("sender") == BOT and e["type"] == "m.room.message"
            and e["content"].get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id") == event_id]


def reply_to(room, token, event_id, seconds=20):
    r = wait_for(seconds, lambda: bot_replies(room, token, event_id), 0.3)
    return r[0]["content"].get("body", "") if r else ""


_, ver = call("GET", HS + "/_synapse/admin/v1/server_version")
print("# Synapse version: %s" % (ver or {}).get("server_version", "?"), flush=True)
ok("Synapse answers on 127.0.0.1", bool(ver))

# ---- users and the room ----------------------------------------------------
BOT_PASSWORD = "bot-pass-%d" % os.getpid()
register("kocbot", BOT_PASSWORD)
alice = register("alice", "alice-pass", admin=True)
bob = register("bob", "bob-pass")
carol = register("carol", "carol-pass")
st, r = api("POST", "/createRoom", {"preset": "public_chat", "name": "KOC Lab"}, alice)
ROOM = r["room_id"]
DB = os.path.join(WORK, "synapse-bot.db")
cfg = os.path.join(WORK, "synapse-bot.json")
with open(cfg, "w") as f:
    json.dump({"matrix": {"homeserver": HS, "user_id": BOT, "device_id": "KOCBOTCI", "sync_timeout_s": 5,
                          "request_timeout_s": 10}, "log_level": "debug"}, f)
os.chmod(cfg, 0o600)
ENV = {"KOCBOT_LOCALE": "en", "KOCBOT_MATRIX_PASSWORD": BOT_PASSWORD, "KOCBOT_OPERATORS": "mx:@alice:" + SERVER}
bot = Bot(KOCBOT, WORK, cfg, DB, ENV, name="synapse-bot").start()
ok("one-time password login with the fixed device_id",
   wait_for(20, lambda: "running as %s (device KOCBOTCI)" % BOT in bot.log_text()), bot.log_text()[-500:])
api("POST", "/rooms/%s/invite" % q(ROOM), {"user_id": BOT}, alice)
joined = lambda: any(e["type"] == "m.room.member" and e.get("state_key") == BOT and
                     e["content"].get("membership") == "join" for e in messages(ROOM, alice))
ok("invited by alice (same homeserver): the bot joined", wait_for(30, joined, 0.5))
for t in (bob, carol):
    api("POST", "/join/%s" % q(ROOM), {}, t)
st, pl = api("GET", "/rooms/%s/state/m.room.power_levels/" % q(ROOM), None, alice)
pl["users"]["@carol:" + SERVER] = pl.get("state_default", 50)
api("PUT", "/rooms/%s/state/m.room.power_levels/" % q(ROOM), pl, alice)

# ---- check-ins ----------------------------------------------------------------
e = say(bob, ROOM, "/checkin")
body = reply_to(ROOM, bob, e)
ok("bob's check-in is answered as a reply", "checked in" in body, body)
ev = bot_replies(ROOM, bob, e)
c = ev[0]["content"] if ev else {}
ok("... an m.notice with HTML formatted_body and a plain body",
   c.get("msgtype") == "m.notice" and c.get("format") == "org.matrix.custom.html" and c.get("formatted_body"))
e = say(bob, ROOM, "/checkin")
ok("a second check-in the same day is refused kindly", "already" in reply_to(ROOM, bob, e))

# ---- operator by power level, member refused ----------------------------------
e = say(bob, ROOM, "/poll new Bob's poll? | yes | no")
body = reply_to(ROOM, bob, e)
ok("bob (power 0) is refused the operator command", "operator" in body.lower(), body)
e = say(carol, ROOM, "/poll new Which colour? | Red | Blue --closes 30d")
card = lambda: [x for x in messages(ROOM, alice) if x.get("sender") == BOT and
                "org.kocbot.buttons" in x["content"] and "/vote" in json.dumps(x["content"])]
ok("carol (power level = state_default) posts a poll as a chat admin", wait_for(20, card, 0.5))
CARD = card()[0]["event_id"] if card() else "?"
PID = sql(DB, "SELECT max(id) FROM polls")
votes = lambda: sql(DB, "SELECT group_concat(m.user_id || '=' || v.choices, ' ') FROM poll_votes v JOIN members m"
                        " ON m.id = v.member_id WHERE v.poll_id = %s" % (PID or 0))

# ---- votes by reaction and by typing ----------------------------------------------
since_before = sql(DB, "SELECT value FROM cursors WHERE key = 'mx:since'")
react = send(bob, ROOM, {"m.relates_to": {"rel_type": "m.annotation", "event_id": CARD, "key": KEY2}},
             "m.reaction")
ok("bob's 2️⃣ reaction is a vote for option 2", wait_for(20, lambda: votes() == "@bob:%s=2" % SERVER, 0.3),
   votes())
edited = lambda: [x for x in messages(ROOM, alice) if x.get("sender") == BOT and
                  x["content"].get("m.relates_to", {}).get("rel_type") == "m.replace" and
                  x["content"]["m.relates_to"].get("event_id") == CARD]
ok("the poll card is updated by an m.replace edit", wait_for(30, edited, 0.5))
runs = lambda: bot.log_text().count("running as %s" % BOT)
bot.kill9()  # the reaction's vote must be withdrawn from what the database holds
bot.start()
ok("the bot restarted (kill -9)", wait_for(20, lambda: runs() == 2, 0.3))
TXN[0] += 1
st, _ = api("PUT", "/rooms/%s/redact/%s/r%d" % (q(ROOM), q(react), TXN[0]), {}, bob)
ok("after the restart, bob redacts the reaction: exactly that vote is withdrawn",
   st == 200 and wait_for(20, lambda: votes() in ("", None), 0.3), votes())
e = say(carol, ROOM, "/vote %s 1" % PID)
ok("carol's typed /vote counts", wait_for(20, lambda: votes() == "@carol:%s=1" % SERVER, 0.3), votes())
# the same events again: the since token from before the reaction
bot.stop()
sql(DB, "UPDATE cursors SET value = '%s' WHERE key = 'mx:since'" % since_before)
bot.start()
e = say(bob, ROOM, "/polls")
ok("a replayed sync (since from before the reaction) changes nothing: the votes stand",
   wait_for(30, lambda: bot_replies(ROOM, bob, e), 0.5) and votes() == "@carol:%s=1" % SERVER, votes())


def bot_messages(room, token):
    return [x for x in messages(room, token) if x.get("sender") == BOT and x["type"] == "m.room.message"]


ok("... and nothing was answered twice",
   all(len(bot_replies(ROOM, bob, x["event_id"])) <= 1 for x in messages(ROOM, bob) if x.get("sender") != BOT))

# ---- a refused reaction: told in a direct chat the bot opens -------------------
def invites(token):
    # Synapse answers an identical /sync from a cache for 2 minutes: each ask differs
    TXN[0] += 1
    st, r = api("GET", "/sync?timeout=%d" % TXN[0], None, token)
    return (r or {}).get("rooms", {}).get("invite", {})


send(bob, ROOM, {"m.relates_to": {"rel_type": "m.annotation", "event_id": CARD, "key": KEY3}}, "m.reaction")
dm_invite = lambda: [rid for rid, r in invites(bob).items()
                     if any(x["type"] == "m.room.member" and x.get("state_key") == "@bob:" + SERVER
                            and x["content"].get("is_direct") for x in r["invite_state"]["events"])]
ok("bob's 3️⃣ on a two-option poll: the bot invites him to a direct chat (is_direct)", wait_for(20, dm_invite, 0.5),
   json.dumps(invites(bob))[:600])
BOB_DM = (dm_invite() or ["?"])[0]
api("POST", "/join/%s" % q(BOB_DM), {}, bob)
texts = lambda: [x["content"].get("body", "") for x in bot_messages(BOB_DM, bob)]
ok("... where the refusal reads as a typed /vote's would",
   wait_for(20, lambda: any("There is no option" in t and "choose 1" in t for t in texts()), 0.5), str(texts()))
ok("... recorded as bob's private chat (not a new group of its own)",
   wait_for(10, lambda: sql(DB, "SELECT is_private || user_id FROM chats WHERE chat_id = '%s'" % BOB_DM)
            == "1@bob:" + SERVER, 0.3), sql(DB, "SELECT * FROM chats"))
ok("... and the group is not told", not any("There is no option" in x["content"].get("body", "")
                                            for x in bot_messages(ROOM, alice)))

# ---- a direct chat carol opens: a private chat --------------------------------
st, r = api("POST", "/createRoom", {"is_direct": True, "invite": [BOT], "preset": "trusted_private_chat"}, carol)
CAROL_DM = (r or {}).get("room_id", "?")
dm_joined = lambda: any(x["type"] == "m.room.member" and x.get("state_key") == BOT and
                        x["content"].get("membership") == "join" for x in messages(CAROL_DM, carol))
ok("carol's direct chat (is_direct): the bot joins", wait_for(30, dm_joined, 0.5))
e = say(carol, CAROL_DM, "/me link tg:12345")
ok("... and treats it as her private chat (/me link gives a code there)", "Code" in reply_to(CAROL_DM, carol, e),
   reply_to(CAROL_DM, carol, e))
e = say(carol, ROOM, "/me link tg:12345")
ok("... while in the group /me link is refused", "private chat" in reply_to(ROOM, carol, e))

# ---- a task, claimed by reaction -----------------------------------------------
say(alice, ROOM, "/task new basic Poster photo --reward points 5")
tcard = lambda: [x for x in messages(ROOM, alice) if x.get("sender") == BOT and
                 "/claim" in json.dumps(x["content"].get("org.kocbot.buttons", []))]
ok("alice (configured operator) posts a task card", wait_for(20, tcard, 0.5))
TCARD = tcard()[0]["event_id"] if tcard() else "?"
send(bob, ROOM, {"m.relates_to": {"rel_type": "m.annotation", "event_id": TCARD, "key": KEY1}}, "m.reaction")
ok("bob claims it with 1️⃣",
   wait_for(20, lambda: sql(DB, "SELECT count(*) FROM claims c JOIN members m ON m.id = c.member_id"
                                " WHERE m.user_id = '@bob:%s'" % SERVER) == "1", 0.3))

# ---- Synapse's message limit: 429 with retry_after_ms, obeyed ------------------
users = [(u, register(u, u + "-pass")) for u in ("u%02d" % i for i in range(12))]
for _, t in users:
    api("POST", "/join/%s" % q(ROOM), {}, t)
first = [say(t, ROOM, "/checkin") for _, t in users]
wait_for(120, lambda: all(bot_replies(ROOM, alice, x) for x in first), 1.0)
limited = re.findall(r"rate limited, retry in (\d+) ms", bot.log_text())
ok("Synapse's default limit answered 429 M_LIMIT_EXCEEDED to the bot", bool(limited))
# the gap between a 429 and the next send, from Synapse's own access log
lines = [ln for ln in open(os.environ["SYNAPSE_LOG"], errors="replace")
         if "/send/m.room.message/kb" in ln and "{%s}" % BOT in ln]
stamps = []
for ln in lines:
    m = re.match(r"(\d+-\d+-\d+ \d+:\d+:\d+),(\d+) .* (\d{3}) \"PUT (\S+)", ln)
    if m:
        t = time.mktime(time.strptime(m.group(1), "%Y-%m-%d %H:%M:%S")) + int(m.group(2)) / 1000.0
        stamps.append((t, m.group(3), m.group(4)))
pairs = [(a, b) for a, b in zip(stamps, stamps[1:]) if a[1] == "429"]
waits = [int(x) for x in limited]
gaps = [round((b[0] - a[0]) * 1000) for a, b in pairs]
print("# 429 retry_after_ms %s; measured gaps to the next send (ms) %s" % (waits[:10], gaps[:10]), flush=True)
ok("each retry came no earlier than retry_after_ms and within 1 s of it",
   pairs and len(gaps) <= len(waits) and all(w - 50 <= g <= w + 1000 for g, w in zip(gaps, waits)),
   "waits %s gaps %s" % (waits[:8], gaps[:8]))
ok("... and no retry was refused again (never undercut)",
   all(b[1] == "200" or b[2] != a[2] for a, b in pairs))
ok("every check-in of the rate-limited burst answered exactly once",
   all(len(bot_replies(ROOM, alice, x)) == 1 for x in first))

# ---- kill -9 during a burst, the limit lifted ---------------------------------
st, _ = call("POST", HS + "/_synapse/admin/v1/users/%s/override_ratelimit" % q(BOT),
             {"messages_per_second": 0, "burst_count": 0}, alice)
ok("override_ratelimit lifts the bot's message limit", st == 200)
burst = []
lock = threading.Lock()


def talk(tok, n):
    for k in range(n):
        x = say(tok, ROOM, "/me" if k % 2 else "/top")
        with lock:
            burst.append(x)


threads = [threading.Thread(target=talk, args=(t, 3)) for _, t in users]
for th in threads:
    th.start()
for delay in (0.7, 1.2, 1.5):
    time.sleep(delay)
    bot.kill9()
    with lock:
        sent_so_far = list(burst)
    print("# kill -9 with %d of %d commands sent, %d answered" %
          (len(sent_so_far), 3 * len(users), sum(1 for x in sent_so_far if bot_replies(ROOM, alice, x))),
          flush=True)
    bot.start()
for th in threads:
    th.join()
wait_for(90, lambda: all(bot_replies(ROOM, alice, x) for x in burst), 1.0)
counts = [len(bot_replies(ROOM, alice, x)) for x in burst]
ok("kill -9 three times during %d commands: each answered exactly once" % len(burst),
   burst and counts.count(1) == len(burst), "counts %s" % {n: counts.count(n) for n in set(counts)})
ok("... and the outbox holds nothing pending", sql(DB, "SELECT count(*) FROM outbox WHERE state = 0") == "0")
st, _ = api("POST", "/rooms/%s/kick" % q(ROOM), {"user_id": BOT, "reason": "test over"}, alice)
ok("alice kicks the bot: the room is recorded inactive",
   st == 200 and wait_for(20, lambda: sql(DB, "SELECT active FROM chats WHERE chat_id='%s'" % ROOM) == "0", 0.3))
bot.stop()
log = bot.log_text()
secret = DB + "-matrix.login.secret"
tok = json.load(open(secret)).get("access_token", "?") if os.path.exists(secret) else "?"
ok("no token or password in the bot's log", tok not in log and BOT_PASSWORD not in log)
finish()
