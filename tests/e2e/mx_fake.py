#!/usr/bin/env python3
"""The real binary against the fake homeserver (tests/fake/fake_matrix.py)
on 127.0.0.1, with faults: invitations by policy, replies as m.notice with
m.in_reply_to and HTML, a repeated `since`, 429 with retry_after_ms on sync
and on send (the wait measured), truncated JSON, a hanging sync, a send whose
answer is lost (the retry is the same transaction; the echo marks the row
delivered), 403 on send, power levels as roles (refreshed by a state event),
a poll voted by keycap reactions (a redaction withdraws) and by typing, a
task claimed by reaction, kill -9 during a burst, a rejected token that
stops only the Matrix adapter, and the one-time password login."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from mx_util import Bot, call, finish, ok, sql, wait_for  # noqa: E402

BUILD = os.environ.get("BUILD", "build/debug")
KOCBOT = os.path.join(BUILD, "kocbot")
WORK = os.environ["WORK"]
TOKEN = "syt_fake_Secret_token_4711"
ME = "@kocbot:fake.test"
ROOM = "!room1:fake.test"


class Fake:
    def __init__(self, *args):
        port_file = os.path.join(WORK, "port%d" % time.time_ns())
        self.log = open(os.path.join(WORK, "fake.log"), "a")
        self.proc = subprocess.Popen([sys.executable, "tests/fake/fake_matrix.py", "--port-file", port_file,
                                      "--max-seconds", "500"] + list(args), stdout=self.log, stderr=self.log)
        wait_for(10, lambda: os.path.exists(port_file))
        self.url = "http://127.0.0.1:" + open(port_file).read()

    def c(self, what, body=None):
        return call("POST" if body is not None else "GET", self.url + "/control/" + what, body)[1]

    def say(self, sender, text, room=ROOM, **content):
        body = {"msgtype": "m.text", "body": text}
        body.update(content)
        return self.c("event", {"room": room, "type": "m.room.message", "sender": sender,
                                "content": body})["event_id"]

    def sent(self):
        return self.c("sent")

    def replies_to(self, event_id):
        return [s for s in self.sent()
                if s["content"].get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id") == event_id]

    def requests(self, part):
        return [r for r in self.c("requests") if part in r["path"]]

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def config(fake, name, **extra):
    cfg = {"matrix": {"homeserver": fake.url, "sync_timeout_s": 2, "request_timeout_s": 3,
                      "power_cache_s": 300},
           "log_level": "debug"}
    cfg["matrix"].update(extra)
    path = os.path.join(WORK, name + ".json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    os.chmod(path, 0o600)
    return path


ENV = {"KOCBOT_LOCALE": "en", "KOCBOT_MATRIX_TOKEN": TOKEN, "KOCBOT_OPERATORS": "mx:@op:fake.test"}

# ---- 1. a conversation with faults ---------------------------------------
fake = Fake("--token", TOKEN, "--user", ME)
fake.c("event", {"room": ROOM, "type": "m.room.member", "state_key": ME, "sender": "@alice:fake.test",
                 "content": {"membership": "invite"}})
fake.c("event", {"room": "!evil:evil.test", "type": "m.room.member", "state_key": ME,
                 "sender": "@mallory:evil.test", "content": {"membership": "invite"}})
DB = os.path.join(WORK, "mx.db")
bot = Bot(KOCBOT, WORK, config(fake, "bot"), DB, ENV).start()
ok("whoami at start, with the token as a Bearer header (never in the URL)",
   wait_for(10, lambda: fake.requests("/account/whoami")) and
   all(r["auth"] and not r["query_token"] for r in fake.requests("/_matrix")))
joined = lambda: [r for r in fake.requests("/join") if ROOM in r["path"]]
ok("invite from the bot's own homeserver: joined", wait_for(20, joined))
ok("invite from another homeserver: refused",
   wait_for(20, lambda: fake.requests("!evil:evil.test/leave")) and not fake.requests("!evil:evil.test/join"))
ok("the join is recorded like a membership change",
   wait_for(10, lambda: sql(DB, "SELECT active FROM chats WHERE platform='mx' AND chat_id='%s'" % ROOM) == "1"))

e1 = fake.say("@alice:fake.test", "/checkin")
r = wait_for(10, lambda: fake.replies_to(e1))
ok("a check-in is answered once, as a reply", r and len(r) == 1)
content = r[0]["content"] if r else {}
ok("... as m.notice with HTML formatted_body and a plain body",
   content.get("msgtype") == "m.notice" and content.get("format") == "org.matrix.custom.html"
   and "<b>" in content.get("formatted_body", "") and "<b>" not in content.get("body", "x<b>"))
# (the sender records the event id at its next round: wait for it)
ok("... with the txnId derived from the outbox row",
   r and wait_for(10, lambda: r[0]["txn"].endswith(
       ".%s" % (sql(DB, "SELECT id FROM outbox WHERE sent_message_id='%s'" % r[0]["event_id"]) or "none"))))

# repeated since: the fake answers the next sync as if since were 3 events back
fake.c("fault", {"kind": "repeat", "path": "/sync", "count": 2, "back": 4})
e2 = fake.say("@bob:fake.test", "/checkin")
wait_for(10, lambda: fake.replies_to(e2))
time.sleep(2.5)
ok("repeated since: every event applied once (deduplicated by event_id)",
   len(fake.replies_to(e1)) == 1 and len(fake.replies_to(e2)) == 1,
   "%d/%d" % (len(fake.replies_to(e1)), len(fake.replies_to(e2))))

# 429 on sync: the next sync waits retry_after_ms exactly.  (A back-off
# would come after 0.75-1 s, an empty long poll after 2 s: 2.6 s is neither.)
def after_fault(part, kind):
    """Seconds from the request that got the fault to the next one on part."""
    reqs = fake.requests(part)
    for a, b in zip(reqs, reqs[1:]):
        if a["fault"] == kind:
            return b["t"] - a["t"]
    return -1


fake.c("fault", {"kind": "429", "path": "/sync", "count": 1, "retry_after_ms": 2600})
time.sleep(0.3)
fake.say("@alice:fake.test", "just chatting")  # the sync in flight returns; the next one gets the 429
wait_for(10, lambda: after_fault("/sync", "429") > 0)
gap = after_fault("/sync", "429")
ok("sync 429 M_LIMIT_EXCEEDED: the next sync came retry_after_ms (2.6 s) later, not sooner"
   " (measured %.3f s)" % gap,
   2.6 <= gap < 3.1, "gap %.3f s" % gap)

# 429 on send (the outbox's own back-off would retry within 1-2 s)
fake.c("fault", {"kind": "429", "path": "/send/", "count": 1, "retry_after_ms": 2500})
e3 = fake.say("@carol:fake.test", "/checkin")
wait_for(10, lambda: fake.replies_to(e3))
gap = after_fault("/send/", "429")
ok("send 429: retried after retry_after_ms (2.5 s) exactly, answered once (measured %.3f s)" % gap,
   2.5 <= gap < 3.0 and len(fake.replies_to(e3)) == 1, "gap %.3f s" % gap)

# truncated JSON and a hanging sync
fake.c("fault", {"kind": "truncate", "path": "/sync", "count": 1})
e4 = fake.say("@dave:fake.test", "/checkin")
ok("truncated sync JSON: retried, the check-in answered once",
   wait_for(15, lambda: len(fake.replies_to(e4)) == 1))
fake.c("fault", {"kind": "hang", "path": "/sync", "count": 1, "seconds": 7})
time.sleep(0.5)
e5 = fake.say("@erin:fake.test", "/checkin")
ok("a sync that never answers: timed out, retried, answered once",
   wait_for(20, lambda: len(fake.replies_to(e5)) == 1))

# a limited timeline: the events it left out are fetched with /messages
# (the sync in flight answers the chatter, the next one hangs while the
# events arrive, and the one after it is limited)
fake.c("fault", {"kind": "hang", "path": "/sync", "count": 1, "seconds": 6})
fake.say("@alice:fake.test", "just chatting")
time.sleep(1)
fake.c("fault", {"kind": "limit", "path": "/sync", "count": 1, "keep": 2})
gap_ids = fake.c("events", [{"room": ROOM, "type": "m.room.message", "sender": "@gap%d:fake.test" % i,
                             "content": {"msgtype": "m.text", "body": "/checkin"}} for i in range(6)])["event_ids"]
ok("a limited timeline (2 of 6 events): the gap is fetched, all 6 answered once",
   wait_for(20, lambda: all(len(fake.replies_to(x)) == 1 for x in gap_ids)) and fake.requests("/messages"),
   "%s" % [len(fake.replies_to(x)) for x in gap_ids])

# a send whose answer is lost while the event arrived: the echo tells
fake.c("fault", {"kind": "swallow", "path": "/send/", "count": 1, "seconds": 4})
e6 = fake.say("@frank:fake.test", "/checkin")
ok("send answer lost: the reply is in the room once",
   wait_for(15, lambda: len(fake.replies_to(e6)) == 1))
ev6 = fake.replies_to(e6)[0]["event_id"] if fake.replies_to(e6) else "?"
ok("... the echo's unsigned.transaction_id marked the outbox row delivered",
   wait_for(10, lambda: sql(DB, "SELECT state FROM outbox WHERE sent_message_id='%s'" % ev6) == "1"))
time.sleep(3)
txn6 = fake.replies_to(e6)[0]["txn"] if fake.replies_to(e6) else "?"
ok("... and the send was not repeated (one PUT for that txnId)",
   len(fake.requests(txn6)) == 1, "%d PUTs" % len(fake.requests(txn6)))

# power levels: state_default 50; op2 has 50, alice 0
fake.c("event", {"room": ROOM, "type": "m.room.power_levels", "state_key": "", "sender": "@alice:fake.test",
                 "content": {"users": {"@alice:fake.test": 100, "@op2:fake.test": 50, "@bob:fake.test": 10},
                             "users_default": 0, "state_default": 50}})
e7 = fake.say("@op2:fake.test", "/poll new Which colour? | Red | Blue --closes 30d")
card = lambda: [s for s in fake.sent() if "org.kocbot.buttons" in s["content"]]
ok("power level 50 (= state_default) is a chat admin: /poll new works", wait_for(10, card))
e8 = fake.say("@bob:fake.test", "/poll new Bob's poll | a | b")
r8 = wait_for(10, lambda: fake.replies_to(e8))
ok("power level 10: the operator command is refused", r8 and "operator" in r8[0]["content"]["body"].lower(),
   r8[0]["content"]["body"] if r8 else "no reply")
c = card()[0] if card() else {"event_id": "?", "content": {}}
ok("the poll card lists the buttons as keycaps",
   "1\ufe0f\u20e3" in c["content"].get("body", "") and "2\ufe0f\u20e3" in c["content"].get("body", ""))
pid = sql(DB, "SELECT max(id) FROM polls")
votes = lambda: sql(DB, "SELECT group_concat(m.user_id || '=' || v.choices) FROM poll_votes v "
                        "JOIN members m ON m.id = v.member_id WHERE v.poll_id = %s" % (pid or 0))
react = fake.c("event", {"room": ROOM, "type": "m.reaction", "sender": "@alice:fake.test",
                         "content": {"m.relates_to": {"rel_type": "m.annotation", "event_id": c["event_id"],
                                                      "key": "2\ufe0f\u20e3"}}})["event_id"]
ok("a 2️⃣ reaction on the card is a vote for option 2",
   wait_for(10, lambda: votes() == "@alice:fake.test=2"), votes())
edit = lambda: [s for s in fake.sent() if s["content"].get("m.relates_to", {}).get("rel_type") == "m.replace"
                and s["content"]["m.relates_to"]["event_id"] == c["event_id"]]
ok("the poll card is updated by an m.replace edit with m.new_content",
   wait_for(15, edit) and "m.new_content" in edit()[-1]["content"])


def dm_room(user):
    rooms = [c["room"] for c in fake.c("created") if c["body"].get("invite") == [user]]
    return rooms[0] if len(rooms) == 1 else None


def dm_texts(user):
    room = dm_room(user)
    return [x["content"].get("body", "") for x in fake.sent() if room and x["room"] == room]


# a refused reaction (3️⃣ on a two-option poll): told privately, in a room opened for it
fake.c("event", {"room": ROOM, "type": "m.reaction", "sender": "@carol:fake.test",
                 "content": {"m.relates_to": {"rel_type": "m.annotation", "event_id": c["event_id"],
                                              "key": "3\ufe0f\u20e3"}}})
ok("a refused reaction vote (no option 3) is told privately, the typed /vote's text",
   wait_for(10, lambda: any("There is no option" in t and "choose 1" in t for t in dm_texts("@carol:fake.test"))),
   "%s %s" % (fake.c("created"), dm_texts("@carol:fake.test")))
made = fake.c("created")[0] if fake.c("created") else {"body": {}}
ok("... in a direct chat the bot opened (createRoom is_direct, carol invited) and recorded in m.direct",
   made["body"].get("is_direct") is True and
   wait_for(5, lambda: fake.c("account_data").get("m.direct", {}).get("@carol:fake.test") == [made.get("room")]),
   "%s %s" % (made, fake.c("account_data")))
ok("... and nothing about it in the group", not any("There is no option" in x["content"].get("body", "")
                                                    for x in fake.sent() if x["room"] == ROOM))


def applied(event_id):
    return wait_for(10, lambda: sql(DB, "SELECT count(*) FROM processed WHERE message_id = '%s'" % event_id) == "1")


# restart: the reaction's vote must be found in the database, not in memory
# (once the sync that carried the new m.direct is behind the cursor)
applied(fake.say("@alice:fake.test", "just chatting"))
bot.kill9()
bot.start()
wait_for(10, lambda: len(fake.requests("/account/whoami")) >= 2)

fake.c("event", {"room": ROOM, "type": "m.reaction", "sender": "@carol:fake.test",
                 "content": {"m.relates_to": {"rel_type": "m.annotation", "event_id": c["event_id"],
                                              "key": "4\ufe0f\u20e3"}}})
ok("after a restart, the next refusal goes to the same direct chat (m.direct read at start)",
   wait_for(10, lambda: sum("There is no option" in t for t in dm_texts("@carol:fake.test")) == 2)
   and len(fake.c("created")) == 1, "%s %s" % (fake.c("created"), dm_texts("@carol:fake.test")))
red = fake.c("event", {"room": ROOM, "type": "m.room.redaction", "sender": "@mallory:fake.test",
                       "content": {"redacts": react}, "redacts": react})["event_id"]
ok("after a restart, someone else's redaction of alice's reaction changes nothing",
   applied(red) and votes() == "@alice:fake.test=2", votes())
red = fake.c("event", {"room": ROOM, "type": "m.room.redaction", "sender": "@alice:fake.test",
                       "content": {"redacts": react}, "redacts": react})["event_id"]
ok("... alice redacting it withdraws exactly that vote", wait_for(10, lambda: votes() in ("", None)), votes())
red = fake.c("event", {"room": ROOM, "type": "m.room.redaction", "sender": "@alice:fake.test",
                       "content": {"redacts": "$never-seen"}, "redacts": "$never-seen"})["event_id"]
ok("... a redaction of an unknown event changes nothing", applied(red) and votes() in ("", None), votes())
fake.say("@bob:fake.test", "/vote %s 1" % pid)
ok("a typed /vote still works", wait_for(10, lambda: votes() == "@bob:fake.test=1"), votes())
# the same events again (since 40 events back): the reaction is not a vote again
fake.c("fault", {"kind": "repeat", "path": "/sync", "count": 1, "back": 40})
fake.say("@alice:fake.test", "just chatting")
ok("a replayed sync with the reaction and its redaction changes nothing",
   wait_for(15, lambda: after_fault("/sync", "repeat") > 0) and votes() == "@bob:fake.test=1"
   and len(fake.replies_to(e1)) == 1, votes())
# demoted by a power-levels event in the sync: no waiting for the cache
fake.c("event", {"room": ROOM, "type": "m.room.power_levels", "state_key": "", "sender": "@alice:fake.test",
                 "content": {"users": {"@alice:fake.test": 100}, "users_default": 0, "state_default": 50}})
e9 = fake.say("@op2:fake.test", "/poll close %s" % pid)
r9 = wait_for(10, lambda: fake.replies_to(e9))
ok("a power-levels event refreshes the cache: the demoted op2 is refused at once",
   r9 and "operator" in r9[0]["content"]["body"].lower(), r9[0]["content"]["body"] if r9 else "no reply")

# a task claimed by reaction on its card
fake.say("@op:fake.test", "/task new basic Poster photo --reward points 5")
tcard = lambda: [s for s in fake.sent() if "/claim" in json.dumps(s["content"].get("org.kocbot.buttons", []))]
wait_for(10, tcard)
tc = tcard()[0]["event_id"] if tcard() else "?"
fake.c("event", {"room": ROOM, "type": "m.reaction", "sender": "@dave:fake.test",
                 "content": {"m.relates_to": {"rel_type": "m.annotation", "event_id": tc, "key": "1\ufe0f\u20e3"}}})
ok("a 1️⃣ reaction on a task card claims the task",
   wait_for(10, lambda: sql(DB, "SELECT count(*) FROM claims c JOIN members m ON m.id = c.member_id "
                                "WHERE m.user_id = '@dave:fake.test'") == "1"))

# the poll closed: a reaction on its card is refused, in carol's direct chat again
fake.say("@op:fake.test", "/poll close %s" % pid)
wait_for(10, lambda: sql(DB, "SELECT closed_at IS NOT NULL FROM polls WHERE id = %s" % pid) == "1")
fake.c("event", {"room": ROOM, "type": "m.reaction", "sender": "@carol:fake.test",
                 "content": {"m.relates_to": {"rel_type": "m.annotation", "event_id": c["event_id"],
                                              "key": "1\ufe0f\u20e3"}}})
ok("a reaction on a closed poll's card: told privately, in the same direct chat",
   wait_for(10, lambda: any("is closed" in t for t in dm_texts("@carol:fake.test"))) and
   len(fake.c("created")) == 1, "%s %s" % (fake.c("created"), dm_texts("@carol:fake.test")))

# a direct chat dave opens (is_direct): a private chat, where private matters go
DM = "!dave-dm:fake.test"
fake.c("event", {"room": DM, "type": "m.room.member", "state_key": ME, "sender": "@dave:fake.test",
                 "content": {"membership": "invite", "is_direct": True}})
ok("dave's direct-chat invitation: joined and recorded in m.direct",
   wait_for(10, lambda: DM in fake.c("account_data").get("m.direct", {}).get("@dave:fake.test", [])))
ok("... as dave's private chat",
   wait_for(10, lambda: sql(DB, "SELECT is_private || user_id FROM chats WHERE chat_id = '%s'" % DM)
            == "1@dave:fake.test"), sql(DB, "SELECT * FROM chats WHERE chat_id = '%s'" % DM))
eg = fake.say("@dave:fake.test", "/me link tg:12345")
ed = fake.say("@dave:fake.test", "/me link tg:12345", room=DM)
ok("/me link: refused in the group, a code in the direct chat",
   wait_for(10, lambda: fake.replies_to(eg) and fake.replies_to(ed)) and
   "private chat" in fake.replies_to(eg)[0]["content"]["body"] and
   "Code" in fake.replies_to(ed)[0]["content"]["body"],
   "%s / %s" % (fake.replies_to(eg), fake.replies_to(ed)))
fake.say("@op:fake.test", "/task new cobuild Brand film --reward points 50")
wait_for(10, lambda: sql(DB, "SELECT count(*) FROM tasks") == "2")
tid = sql(DB, "SELECT max(id) FROM tasks")
dave = sql(DB, "SELECT id FROM members WHERE user_id = '@dave:fake.test'")
fake.say("@op:fake.test", "/task invite %s #%s" % (tid, dave))
in_dm = lambda word: any(word in x["content"].get("body", "") for x in fake.sent() if x["room"] == DM)
ok("an invitation with its terms goes to dave's direct chat", wait_for(10, lambda: in_dm("invited")),
   str([x["content"].get("body") for x in fake.sent() if x["room"] in (DM, ROOM)][-4:]))
fake.say("@dave:fake.test", "/claim %s" % tid)
es = fake.say("@dave:fake.test", "/submit %s https://example.org/film.mp4" % tid)
wait_for(10, lambda: fake.replies_to(es))
sub = sql(DB, "SELECT max(id) FROM submissions")
fake.say("@op:fake.test", "/reject %s too blurry" % sub)
ok("... and so does a rejection, not the group",
   wait_for(10, lambda: in_dm("too blurry"))
   and not any("too blurry" in x["content"].get("body", "") and "🔒" in x["content"].get("body", "")
               for x in fake.sent() if x["room"] == ROOM),
   str([x["content"].get("body") for x in fake.sent() if x["room"] in (DM, ROOM)][-6:]))
applied(fake.say("@alice:fake.test", "just chatting"))
bot.kill9()
bot.start()
ed = fake.say("@dave:fake.test", "/me link tg:12345", room=DM)
ok("after a restart the direct chat is still private (m.direct read at start)",
   wait_for(15, lambda: fake.replies_to(ed)) and "Code" in fake.replies_to(ed)[0]["content"]["body"],
   str(fake.replies_to(ed)))

# 403 on send: that message fails, the room is marked inactive
fake.c("fault", {"kind": "403", "path": "/send/", "count": 1})
e10 = fake.say("@gina:fake.test", "/checkin")
# (the 403 may hit a reply queued before gina's; the room's whole queue fails)
ok("403 M_FORBIDDEN on send: the message fails and the room is marked inactive",
   wait_for(15, lambda: sql(DB, "SELECT active FROM chats WHERE chat_id='%s'" % ROOM) == "0"
            and sql(DB, "SELECT state FROM outbox WHERE reply_to='%s'" % e10) == "2"),
   sql(DB, "SELECT id, state, error FROM outbox WHERE state <> 1"))
bot.stop()

# ---- 2. kill -9 during a burst --------------------------------------------
ROOM2 = "!burst:fake.test"
fake.c("event", {"room": ROOM2, "type": "m.room.member", "state_key": ME, "sender": "@alice:fake.test",
                 "content": {"membership": "invite"}})
bot = Bot(KOCBOT, WORK, config(fake, "bot"), DB, ENV, name="burst").start()
wait_for(10, lambda: [r for r in fake.requests("/join") if ROOM2 in r["path"]])
time.sleep(1)
ids = fake.c("events", [{"room": ROOM2, "type": "m.room.message", "sender": "@u%d:fake.test" % i,
                         "content": {"msgtype": "m.text", "body": "/checkin"}} for i in range(80)])["event_ids"]
for delay in (0.3, 0.6, 0.9):
    time.sleep(delay)
    bot.kill9()
    bot.start()
all_done = lambda: all(len(fake.replies_to(e)) >= 1 for e in ids)
wait_for(60, all_done, 0.5)
counts = [len(fake.replies_to(e)) for e in ids]
ok("kill -9 three times during 80 check-ins: every one answered exactly once",
   counts.count(1) == len(ids), "counts %s" % {n: counts.count(n) for n in set(counts)})
ok("... and applied once", sql(DB, "SELECT count(*) FROM checkins c JOIN members m ON m.id = c.member_id "
                                   "WHERE m.user_id LIKE '@u%'") == "80")
fake.c("event", {"room": ROOM2, "type": "m.room.member", "state_key": ME, "sender": "@alice:fake.test",
                 "content": {"membership": "leave", "reason": "bye"}})
ok("kicked: the room is recorded inactive (like my_chat_member)",
   wait_for(10, lambda: sql(DB, "SELECT active FROM chats WHERE chat_id='%s'" % ROOM2) == "0"))
bot.stop()
text = open(os.path.join(WORK, "bot.log")).read() + open(os.path.join(WORK, "burst.log")).read()
ok("the token never appears in a log", TOKEN not in text)
fake.stop()

# ---- 3. a rejected token stops only the Matrix adapter -----------------------
fake = Fake("--token", "the-right-one", "--user", ME)
r, w = os.pipe()
bot = Bot(KOCBOT, WORK, config(fake, "bot401"), os.path.join(WORK, "t401.db"), ENV, name="t401",
          args=["--adapter", "matrix,console"]).start(stdin=r)
ok("401 M_UNKNOWN_TOKEN: a clear message",
   wait_for(10, lambda: "rejected the access token (401 M_UNKNOWN_TOKEN" in bot.log_text()), bot.log_text()[-400:])
os.write(w, b"alice: /checkin\n")
ok("... and the console adapter keeps serving", wait_for(10, lambda: "alice" in bot.log_text() and
                                                          "checked in" in bot.log_text()))
ok("... the process is still running", bot.proc.poll() is None)
os.close(w)
bot.stop()
os.close(r)
fake.stop()

# ---- 4. one-time password login -------------------------------------------
PASSWORD = "correct horse battery staple"
fake = Fake("--token", "", "--user", ME, "--password", PASSWORD)
DB4 = os.path.join(WORK, "login.db")
env4 = {"KOCBOT_LOCALE": "en", "KOCBOT_MATRIX_USER": ME, "KOCBOT_MATRIX_PASSWORD": PASSWORD}
bot = Bot(KOCBOT, WORK, config(fake, "login", device_id="KOCBOTTEST"), DB4, env4, name="login").start()
ok("password login, then whoami", wait_for(10, lambda: fake.requests("/login") and fake.requests("/whoami")))
secret = DB4 + "-matrix.login.secret"
ok("the login is stored beside the database, mode 0600",
   wait_for(5, lambda: os.path.exists(secret)) and (os.stat(secret).st_mode & 0o777) == 0o600)
bot.stop()
stored = json.load(open(secret)) if os.path.exists(secret) else {}
ok("... with the fixed device_id", stored.get("device_id") == "KOCBOTTEST")
tok = stored.get("access_token", "?")
raw = open(DB4, "rb").read() + (open(DB4 + "-wal", "rb").read() if os.path.exists(DB4 + "-wal") else b"")
ok("neither token nor password in the database or the log",
   tok.encode() not in raw and PASSWORD.encode() not in raw and tok not in bot.log_text()
   and PASSWORD not in bot.log_text())
env4.pop("KOCBOT_MATRIX_PASSWORD")
n_login = len(fake.requests("/login"))
bot = Bot(KOCBOT, WORK, config(fake, "login", device_id="KOCBOTTEST"), DB4, env4, name="login2").start()
ok("a restart without the password uses the stored login",
   wait_for(10, lambda: len(fake.requests("/whoami")) >= 2) and len(fake.requests("/login")) == n_login
   and "running as " + ME in bot.log_text())
bot.stop()
os.chmod(secret, 0o644)
bot = Bot(KOCBOT, WORK, config(fake, "login", device_id="KOCBOTTEST"), DB4, env4, name="login3").start()
ok("a stored login readable by others is refused with a warning",
   wait_for(10, lambda: "readable by other users" in bot.log_text() and "no credentials" in bot.log_text()),
   bot.log_text()[-300:])
bot.stop()
fake.stop()
finish()
