#!/usr/bin/env python3
"""QQ through the real binary and our fake OneBot v11 implementation
(tests/fake/fake_onebot.py), 127.0.0.1 only.  Prints ok/not ok lines and
"N passed, N failed".  Usage: onebot_e2e.py KOCBOT WORKDIR

 1. forward WebSocket with an access token, message ids starting at the
    32-bit edge (they wrap to negative): check-ins from an array message
    with @bot and from a CQ-code string; a reply carries reply and at
    segments; a member is refused an operator command; an admin (by
    sender.role) opens a poll whose card prints the /vote lines; votes; a
    task with an image submission, approved by a configured operator;
 2. faults: dropped sockets (an event sent meanwhile comes back from the
    history), a frame with reserved bits, unreadable JSON, a frame sent a
    byte at a time, a fragmented frame after a ping, the same event twice,
    a retcode error on a send (retried), a refused WebSocket handshake;
 3. a 10,000-event burst with kill -9 in the middle: after a restart every
    event is applied exactly once;
 4. HTTP POST events with X-Signature: applied when signed, refused (403)
    and not applied when the signature is wrong;
 5. a QQ group and a Telegram group in one process, linked into one
    community (/community link by the QQ group's owner, /community join on
    Telegram): check-ins on both sides land in one ledger and one
    leaderboard.
"""
import hashlib
import hmac
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request

KOCBOT, WORK = sys.argv[1], sys.argv[2]
FAKE = os.path.join(os.path.dirname(__file__), "..", "fake", "fake_onebot.py")
PASS = FAIL = 0
SELF = 10001
G = 555000111


def report(ok, name):
    global PASS, FAIL
    print(("ok " if ok else "not ok ") + name, flush=True)
    if ok:
        PASS += 1
    else:
        FAIL += 1


def wait_for(fn, seconds=15):
    end = time.time() + seconds
    while time.time() < end:
        try:
            if fn():
                return True
        except Exception:
            pass
        time.sleep(0.1)
    return False


class Fake:
    def __init__(self, name, *args):
        self.port_file = os.path.join(WORK, name + ".port")
        self.log = open(os.path.join(WORK, name + ".log"), "w")
        self.p = subprocess.Popen([sys.executable, FAKE, "--port-file", self.port_file,
                                   "--max-seconds", "400"] + list(args),
                                  stdout=self.log, stderr=self.log)
        wait_for(lambda: os.path.exists(self.port_file), 10)
        self.http = int(open(self.port_file).read())
        self.ws = int(open(self.port_file + ".ws").read()) if os.path.exists(self.port_file + ".ws") else 0
        self.base = "http://127.0.0.1:%d" % self.http

    def ctl(self, what, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + "/_ctl/" + what, data=data,
                                     method="POST" if data is not None else "GET")
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())

    def say(self, user, message, role="member", name=None, **kw):
        return self.ctl("event", dict(group=G, user=user, role=role, name=name or "u%d" % user,
                                      message=message, **kw))

    def texts(self):
        out = []
        for s in self.ctl("sent"):
            text = "".join(seg["data"].get("text", "") for seg in s["params"]["message"]
                           if seg["type"] == "text")
            out.append(text.replace("\u2068", "").replace("\u2069", ""))  # names come isolated
        return out

    def has(self, needle, n=1):
        return sum(1 for t in self.texts() if needle in t) >= n

    def stop(self):
        self.p.kill()
        self.p.wait()


class Bot:
    def __init__(self, name, env):
        self.db = os.path.join(WORK, name + ".db")
        self.err = os.path.join(WORK, name + ".err")
        self.env = dict(os.environ, KOCBOT_LOCALE="en", KOCBOT_LOG_LEVEL="info", **env)
        self.p = None
        self.args = []
        self.adapters = "onebot"

    def start(self):
        self.p = subprocess.Popen([KOCBOT, "--adapter", self.adapters, "--db", self.db] + self.args,
                                  env=self.env, stdout=subprocess.DEVNULL,
                                  stderr=open(self.err, "a"))

    def kill9(self):
        self.p.send_signal(signal.SIGKILL)
        self.p.wait()

    def stop(self):
        self.p.terminate()
        try:
            return self.p.wait(15)
        except subprocess.TimeoutExpired:
            self.p.kill()
            return -9

    def alive(self):
        return self.p.poll() is None

    def q(self, sql, *args):
        con = sqlite3.connect(self.db, timeout=10)
        try:
            return con.execute(sql, args).fetchone()[0]
        finally:
            con.close()


def checkins(bot):
    return bot.q("SELECT count(*) FROM checkins")


def main():
    token = "s3cret-token"
    fake = Fake("fake", "--ws-port", "-1", "--token", token, "--first-id", str(2**31 - 3))
    bot = Bot("bot", {"KOCBOT_ONEBOT_API": fake.base, "KOCBOT_ONEBOT_WS": "ws://127.0.0.1:%d" % fake.ws,
                      "KOCBOT_ONEBOT_TOKEN": token, "KOCBOT_OPERATORS": "qq:1"})
    cfg = os.path.join(WORK, "bot.json")
    with open(cfg, "w") as fh:  # sends time out after 2 s; pacing loose here (part 3 checks the default)
        json.dump({"onebot": {"request_timeout_s": 2, "chat_gap_ms": 300, "per_group_per_min": 1000}}, fh)
    os.chmod(cfg, 0o600)
    bot.args = ["--config", cfg]
    bot.start()
    try:
        part1(fake, bot)
        part2(fake, bot)
        report(bot.alive(), "the bot is still running after every fault")
        report(bot.stop() == 0, "SIGTERM stops it cleanly (exit 0)")
        errlog = open(bot.err).read()
        report(token not in errlog, "the access token never appears in the log")
    finally:
        if bot.alive():
            bot.kill9()
        fake.stop()
    part3()
    part4()
    part5()
    print("%d passed, %d failed" % (PASS, FAIL))
    sys.exit(1 if FAIL else 0)


def part1(fake, bot):
    report(wait_for(lambda: fake.ctl("stats")["clients"] == 1), "kocbot connects to the forward WebSocket with the token")
    e1 = fake.say(42, [{"type": "at", "data": {"qq": str(SELF)}}, {"type": "text", "data": {"text": " /checkin"}}],
                  name="alice")
    fake.say(43, "[CQ:at,qq=%d] /checkin" % SELF, name="bob", cq=True)
    fake.say(44, "签到", name="carol")  # message ids wrap to negative here
    report(wait_for(lambda: checkins(bot) == 3), "three check-ins: @bot array, CQ-code string, check-in word")
    report(wait_for(lambda: fake.has("alice checked in") and fake.has("bob checked in")
                    and fake.has("carol checked in")), "each check-in is acknowledged")
    sent = fake.ctl("sent")
    first = next(s for s in sent if "alice" in json.dumps(s, ensure_ascii=False))
    segs = first["params"]["message"]
    report(first["action"] == "send_group_msg" and first["params"]["group_id"] == G
           and segs[0] == {"type": "reply", "data": {"id": str(e1["message_id"])}}
           and segs[1] == {"type": "at", "data": {"qq": "42"}},
           "the answer goes to send_group_msg with reply and at segments")
    fake.ctl("event", {"user": 46, "name": "dan", "message": "/me", "message_type": "private"})
    report(wait_for(lambda: any(x["action"] == "send_private_msg" and x["params"].get("user_id") == 46
                                for x in fake.ctl("sent"))),
           "a private message is answered with send_private_msg to that person")
    fake.say(44, "/poll new Best colour? | red | blue", name="carol")
    report(wait_for(lambda: fake.has("only operators") or fake.has("operator")), "a member is refused /poll new")
    fake.say(7, "/poll new Best colour? | red | blue", role="admin", name="admin7")
    report(wait_for(lambda: fake.has("/vote 1 2")), "an admin by sender.role opens a poll; the card prints /vote lines")
    report(bot.q("SELECT count(*) FROM processed WHERE platform='qq' AND message_id = ?", str(-2**31)) == 1,
           "message ids past the 32-bit edge arrive negative and are keys like any other")
    fake.ctl("role", {"user": 8, "role": "admin"})
    fake.say(8, "/poll new Second? | yes | no", name="admin8", no_role=True)
    report(wait_for(lambda: bot.q("SELECT count(*) FROM polls") == 2),
           "a message without sender.role: get_group_member_info decides (admin)")
    report(bot.q("SELECT title FROM chats WHERE chat_id = ?", str(G)) == "group %d" % G,
           "the group's name comes from get_group_info")
    fake.say(42, "/vote 1 2")
    fake.say(43, "/vote 1 1")
    report(wait_for(lambda: bot.q("SELECT count(*) FROM poll_votes WHERE poll_id = 1") == 2), "two votes counted")
    fake.say(7, "/task new basic Poster shoot --reward points 20 --review yes", role="owner", name="owner7")
    report(wait_for(lambda: bot.q("SELECT count(*) FROM tasks") == 1), "the group owner posts a task")
    fake.say(42, "/claim 1")
    wait_for(lambda: bot.q("SELECT count(*) FROM claims") == 1)
    fake.say(42, [{"type": "image", "data": {"file": "ABCD1234.jpg", "url": "http://127.0.0.1/x.jpg"}},
                  {"type": "text", "data": {"text": "/submit 1"}}])
    report(wait_for(lambda: bot.q("SELECT attachment FROM submissions") == "photo:ABCD1234.jpg"),
           "an image with /submit becomes the submission's attachment")
    fake.say(7, "/approve 1", role="admin")
    report(wait_for(lambda: fake.has("only operators") or fake.has("operator", 2)),
           "a chat admin may not /approve (ledger: configured operators only)")
    fake.say(1, "/approve 1", name="op")
    report(wait_for(lambda: bot.q("SELECT count(*) FROM ledger WHERE reason LIKE 'task%'") >= 1),
           "the configured operator approves and the reward is paid")


def part2(fake, bot):
    n0 = checkins(bot)
    fake.ctl("fault", {"kind": "drop"})
    fake.say(51, "/checkin", history_only=True)   # said while the socket was down
    report(wait_for(lambda: fake.ctl("stats")["ws_connects"] >= 2, 20), "a dropped socket is reconnected")
    report(wait_for(lambda: checkins(bot) == n0 + 1, 20), "an event missed while disconnected comes back from the history")
    for frame in ("rsv", "masked", "huge", "control", "continuation", "close"):
        c0 = fake.ctl("stats")["ws_connects"]
        fake.ctl("fault", {"kind": "bad_frame", "frame": frame})
        report(wait_for(lambda: fake.ctl("stats")["ws_connects"] > c0, 20),
               "a bad frame (%s) closes the socket; it reconnects" % frame)
    c0 = fake.ctl("stats")["ws_connects"]
    fake.ctl("fault", {"kind": "bad_accept", "count": 1})
    fake.ctl("fault", {"kind": "drop"})
    report(wait_for(lambda: fake.ctl("stats")["ws_connects"] > c0 + 1, 30),
           "a handshake with a wrong Sec-WebSocket-Accept is refused; the next one is taken")
    fake.ctl("event", {"raw": "{not json", "user": 1})
    fake.ctl("fault", {"kind": "slow", "group": G, "user": 52, "delay": 0.001})
    fake.ctl("fault", {"kind": "fragmented", "group": G, "user": 53})
    report(wait_for(lambda: checkins(bot) == n0 + 3), "unreadable JSON is skipped; slow and fragmented frames are applied")
    big = fake.say(57, "长" * 30000)  # 90 KB of UTF-8: a frame with a 64-bit length
    report(wait_for(lambda: bot.q("SELECT count(*) FROM processed WHERE platform='qq' AND message_id = ?",
                                  str(big["message_id"])) == 1),
           "a 90 KB event (64-bit frame length) arrives whole")
    e = fake.say(54, "/checkin")
    fake.say(54, "/checkin", id=e["message_id"])
    wait_for(lambda: checkins(bot) == n0 + 4)
    time.sleep(1)
    report(bot.q("SELECT count(*) FROM processed WHERE platform='qq' AND message_id = ?",
                 str(e["message_id"])) == 1, "the same event twice is applied once")
    # a send that reaches the implementation late (queued on its way) still
    # keeps the next one the chat gap (300 ms here) behind it
    fake.ctl("fault", {"kind": "late", "action": "send_group_msg", "seconds": 1, "count": 1})
    n_sent = len(fake.ctl("sent"))
    fake.say(58, "/me", name="gina")
    fake.say(59, "/me", name="hank")
    report(wait_for(lambda: fake.has("gina") and fake.has("hank"), 30), "two replies, the first one late")
    late = fake.ctl("sent")[n_sent:]
    gap = late[1]["at"] - late[0]["at"] if len(late) >= 2 else 0
    report(gap >= 0.29, "a late send holds the chat's next one the gap behind it (%.2f s apart)" % gap)
    fake.ctl("fault", {"kind": "retcode", "action": "send_group_msg", "retcode": 103, "count": 1})
    fake.say(55, "/me", name="erin")
    report(wait_for(lambda: fake.has("erin"), 30), "a send answered with a retcode error is retried")
    # a send that reached the implementation but whose answer never came: retried at most once
    fake.ctl("fault", {"kind": "timeout", "action": "send_group_msg", "after": True, "seconds": 4,
                       "count": 3})
    fake.say(56, "/me", name="frank")
    report(wait_for(lambda: fake.has("frank", 2), 30), "a send that timed out is sent again")
    time.sleep(6)
    report(sum(1 for t in fake.texts() if "frank" in t) == 2,
           "a send that timed out is retried at most once (no idempotency key)")
    fake.ctl("fault", {"kind": "reject_ws", "count": 2})
    fake.ctl("fault", {"kind": "drop"})
    c0 = fake.ctl("stats")["ws_connects"]
    report(wait_for(lambda: fake.ctl("stats")["ws_connects"] > c0, 30),
           "refused handshakes are retried with backoff until accepted")


def part3():
    fake = Fake("burst", "--ws-port", "-1", "--first-id", str(-2**31))
    env = {"KOCBOT_ONEBOT_API": fake.base, "KOCBOT_ONEBOT_WS": "ws://127.0.0.1:%d" % fake.ws}
    cfg = os.path.join(WORK, "burst.json")
    with open(cfg, "w") as fh:
        json.dump({"onebot": {"history_count": 10000}}, fh)
    os.chmod(cfg, 0o600)
    bot = Bot("burst", env)
    bot.env["KOCBOT_CONFIG_UNUSED"] = "1"
    bot_args = [KOCBOT, "--adapter", "onebot", "--db", bot.db, "--config", cfg]
    bot.p = subprocess.Popen(bot_args, env=bot.env, stdout=subprocess.DEVNULL, stderr=open(bot.err, "a"))
    try:
        wait_for(lambda: fake.ctl("stats")["clients"] == 1)
        fake.say(99, "/checkin")  # the group becomes known
        wait_for(lambda: checkins(bot) == 1)
        t0 = time.time()
        fake.ctl("burst", {"group": G, "n": 10000, "text": "/checkin"})
        wait_for(lambda: checkins(bot) > 2000, 60)
        bot.kill9()
        mid = checkins(bot)
        restarted = time.time()
        bot.p = subprocess.Popen(bot_args, env=bot.env, stdout=subprocess.DEVNULL, stderr=open(bot.err, "a"))
        done = wait_for(lambda: checkins(bot) == 10001, 120)
        took = time.time() - t0
        report(done, "kill -9 after %d of 10,000 burst events: after the restart all 10,001 check-ins (%.1f s)" % (mid - 1, took))
        report(bot.q("SELECT count(*) FROM processed WHERE platform='qq'") == 10001
               and bot.q("SELECT count(*) FROM ledger") == 10001,
               "nothing doubled: 10,001 events processed, 10,001 ledger rows")
        time.sleep(7)
        # pacing is per process: count the restarted one's messages
        sent = [x for x in fake.ctl("sent") if x["params"].get("group_id") == G and x["at"] > restarted]
        gaps = [b["at"] - a["at"] for a, b in zip(sent, sent[1:])]
        merged = max((json.dumps(x["params"], ensure_ascii=False).count("checked in") for x in sent), default=0)
        report(len(sent) >= 3 and min(gaps) >= 1.45,
               "default pacing: %d messages into the group, at least 1.5 s apart (closest %.2f s)"
               % (len(sent), min(gaps) if gaps else 0))
        report(merged >= 10, "acknowledgements are merged (up to %d check-ins in one message)" % merged)
        report(bot.stop() == 0, "the restarted bot stops cleanly")
    finally:
        if bot.alive():
            bot.kill9()
        fake.stop()


def part4():
    secret = "post-secret"
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    url = "http://127.0.0.1:%d/onebot" % port
    fake = Fake("post", "--post-url", url, "--secret", secret)
    bot = Bot("post", {"KOCBOT_ONEBOT_API": fake.base, "KOCBOT_ONEBOT_LISTEN": "127.0.0.1:%d" % port,
                       "KOCBOT_ONEBOT_SECRET": secret})
    bot.start()
    try:
        def up():
            try:
                urllib.request.urlopen(urllib.request.Request(url, data=b"{}", method="POST"), timeout=2)
            except urllib.error.HTTPError as e:
                return e.code == 403
            return False
        report(wait_for(up), "the POST listener answers; an unsigned POST is refused (403)")
        fake.say(61, "/checkin", name="post-user")
        report(wait_for(lambda: checkins(bot) == 1), "a signed POST event is applied")
        body = json.dumps({"post_type": "message", "message_type": "group", "group_id": G, "user_id": 62,
                           "message_id": 77, "time": int(time.time()), "message": "/checkin",
                           "sender": {"user_id": 62, "role": "member"}}).encode()
        bad = "sha1=" + hmac.new(b"wrong", body, hashlib.sha1).hexdigest()
        req = urllib.request.Request(url, data=body, method="POST", headers={"X-Signature": bad})
        try:
            urllib.request.urlopen(req, timeout=5)
            code = 204
        except urllib.error.HTTPError as e:
            code = e.code
        time.sleep(0.5)
        report(code == 403 and checkins(bot) == 1, "a POST with a wrong signature is refused and not applied")
        report(wait_for(lambda: fake.has("post-user checked in")), "the POST-mode bot answers through the HTTP actions")

        def status(path, data, method="POST"):
            try:
                urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data,
                                                              method=method), timeout=10)
                return 200
            except urllib.error.HTTPError as e:
                return e.code
        report(status("/onebot", None, "GET") == 405 and status("/other", b"{}") == 404
               and status("/onebot", b"x" * (2 << 20)) == 413,
               "the listener answers GET 405, an unknown path 404, a 2 MB body 413")
        report(bot.stop() == 0, "the POST-mode bot stops cleanly")
    finally:
        if bot.alive():
            bot.kill9()
        fake.stop()


def part5():
    fake_tg_bin = os.path.join(os.path.dirname(KOCBOT), "fake_tg")
    tg_token = "123456:TEST-token_secret"
    tg_port_file = os.path.join(WORK, "tg.port")
    tg = subprocess.Popen([fake_tg_bin, "--port-file", tg_port_file, "--max-seconds", "300",
                           "--token", tg_token], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    fake = Fake("linked", "--ws-port", "-1")
    wait_for(lambda: os.path.exists(tg_port_file) and open(tg_port_file).read().strip(), 10)
    tg_api = "http://127.0.0.1:%s" % open(tg_port_file).read().strip()
    cfg = os.path.join(WORK, "linked.json")
    with open(cfg, "w") as fh:
        json.dump({"telegram": {"poll_timeout_s": 2},
                   "limits": {"enabled": False}, "onebot": {"chat_gap_ms": 100}}, fh)
    os.chmod(cfg, 0o600)
    bot = Bot("linked", {"KOCBOT_ONEBOT_API": fake.base, "KOCBOT_ONEBOT_WS": "ws://127.0.0.1:%d" % fake.ws,
                         "KOCBOT_TELEGRAM_TOKEN": tg_token, "KOCBOT_TELEGRAM_API": tg_api,
                         "KOCBOT_OPERATORS": "tg:1"})
    bot.args = ["--config", cfg]
    bot.adapters = "onebot,telegram"
    bot.start()
    tg_group = -1005000
    mid = [200]

    def tg_say(uid, name, text):
        mid[0] += 1
        upd = [{"update_id": mid[0], "message": {
            "message_id": mid[0], "date": int(time.time()), "text": text,
            "chat": {"id": tg_group, "type": "supergroup", "title": "KOC TG"},
            "from": {"id": uid, "is_bot": False, "first_name": name, "username": name}}}]
        req = urllib.request.Request(tg_api + "/control/updates", data=json.dumps(upd).encode(), method="POST")
        urllib.request.urlopen(req, timeout=10).read()

    try:
        wait_for(lambda: fake.ctl("stats")["clients"] == 1)
        fake.say(7, "/community link", role="owner", name="qqowner")
        code = []

        def got_code():
            for t in fake.texts():
                m = re.search(r"/community join ([0-9A-F]{8})", t)
                if m:
                    code.append(m.group(1))
                    return True
            return False
        report(wait_for(got_code, 20), "the QQ group's owner (sender.role) gets a /community link code")
        tg_say(1, "opuser", "/community join %s" % (code[0] if code else "NONE"))
        report(wait_for(lambda: bot.q("SELECT count(DISTINCT community_id) FROM chats WHERE is_private = 0") == 1
                        and bot.q("SELECT count(*) FROM chats WHERE is_private = 0") == 2, 20),
               "the Telegram group joined the QQ group's community")
        fake.say(42, "/checkin", name="qqalice")
        tg_say(1001, "tgbob", "/checkin")
        report(wait_for(lambda: bot.q("SELECT count(*) FROM ledger WHERE reason = 'checkin'") == 2, 20)
               and bot.q("SELECT count(DISTINCT community_id) FROM ledger") == 1,
               "check-ins from QQ and Telegram land in one community's ledger")
        tg_say(1001, "tgbob", "/top")
        report(wait_for(lambda: bot.q("SELECT count(*) FROM outbox WHERE platform = 'tg' AND text LIKE '%qqalice%'") >= 1, 20),
               "the Telegram group's /top lists the QQ member (one leaderboard)")
        fake.say(42, "/checkin", name="qqalice")
        report(wait_for(lambda: fake.has("already checked in"), 20), "a second QQ check-in the same day is refused")
        report(bot.stop() == 0, "the two-platform bot stops cleanly")
    finally:
        if bot.alive():
            bot.kill9()
        fake.stop()
        tg.kill()
        tg.wait()


if __name__ == "__main__":
    main()
