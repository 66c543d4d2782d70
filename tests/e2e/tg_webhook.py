#!/usr/bin/env python3
"""Telegram webhook mode through the real binary, the fake Bot API and this
script playing Telegram's delivery side (POST each Update to the webhook URL
with the secret from the recorded setWebhook; redeliver until answered 2xx).

  1. setWebhook carries the URL and a random secret_token; no getUpdates;
  2. a POST without the secret or with a wrong one is 403 and applies nothing;
     GET is 405, a body that is not JSON 400;
  3. a 200 comes only after the commit: the check-in is in the database the
     moment the answer arrives; redeliveries are de-duplicated;
  4. a group command whose sender's role must be looked up is answered only
     after getChatAdministrators came back (delayed 1.5 s) and counts the
     chat admin as one; a later update of that chat waits behind it;
  5. 300 updates (and 60 redeliveries) posted by 16 threads at once: each
     applied once and answered;
  6. kill -9 at random moments while updates are being posted, restart (a new
     secret each time): nothing lost, nothing doubled, the database intact;
  7. SIGTERM with a held POST answers it 503; mode "polling" afterwards
     deletes the webhook and polls.
Environment: KOCBOT, FAKE_TG, WORK.  Prints ok/not ok lines and the summary.
"""
import json
import os
import random
import signal
import subprocess
import threading
import time

from http_e2e import (KOCBOT, TOKEN, WORK, check, finish, free_port, http, query,
                      start_fake, write_config)
from http_e2e import control as fake_control

fake, FAKE = start_fake()


def control(path, body=None):
    return fake_control(FAKE, path, body)


def set_webhooks():
    return [json.loads(r["body"]) if isinstance(r["body"], str) else r["body"]
            for r in control("requests?method=setWebhook")]


# ---- the bot ---------------------------------------------------------------
PORT = free_port()
HOOK = "http://127.0.0.1:%d/tg/hook" % PORT
DB = os.path.join(WORK, "hook.db")
LOG = open(os.path.join(WORK, "bot.log"), "ab")


def start_bot(mode="webhook"):
    path = write_config({"limits": {"enabled": False}, "log_level": "warn",
                         "http": {"listen": "127.0.0.1:%d" % PORT},
                         "telegram": {"mode": mode, "poll_timeout_s": 1,
                                      "webhook_url": "https://bot.example.test/tg/hook"}})
    env = dict(os.environ, KOCBOT_TELEGRAM_TOKEN=TOKEN, KOCBOT_TELEGRAM_API=FAKE,
               KOCBOT_LOCALE="en", KOCBOT_OPERATORS="tg:1")
    n_before = len(set_webhooks()) if mode == "webhook" else 0
    p = subprocess.Popen([KOCBOT, "--config", path, "--db", DB], stdin=subprocess.DEVNULL,
                         stdout=LOG, stderr=LOG, env=env)
    if mode == "webhook":
        for _ in range(100):
            if len(set_webhooks()) > n_before:
                break
            time.sleep(0.05)
    return p


def secret():
    hooks = set_webhooks()
    return hooks[-1]["secret_token"] if hooks else ""


def q(sql):
    return query(DB, sql)


def update(uid, mid, chat=-100500, text="/checkin"):
    return {"update_id": 900000000 + mid,
            "message": {"message_id": mid, "date": 1795391940,
                        "chat": {"id": chat, "type": "supergroup", "title": "G"},
                        "from": {"id": uid, "is_bot": False, "first_name": "u%d" % uid},
                        "text": text}}


def post(u, token=None, timeout=30):
    h = {"Content-Type": "application/json"}
    tok = secret() if token is None else token
    if tok:
        h["X-Telegram-Bot-Api-Secret-Token"] = tok
    return http("POST", HOOK, json.dumps(u).encode(), h, timeout)[0]


def deliver(u, give_up_s=60):
    """Telegram's side: redeliver until a 2xx (re-reading the secret)."""
    end = time.time() + give_up_s
    while time.time() < end:
        if 200 <= post(u) < 300:
            return True
        time.sleep(0.2)
    return False


bot = start_bot()
try:
    # ---- 1. setWebhook ----------------------------------------------------
    hooks = set_webhooks()
    check("setWebhook sent with the public URL", hooks and hooks[-1]["url"] ==
          "https://bot.example.test/tg/hook", hooks)
    tok = secret()
    check("secret_token: 64 random hex digits", len(tok) == 64 and
          all(c in "0123456789abcdef" for c in tok), tok)
    check("webhook mode never polls", not control("requests?method=getUpdates"))
    check("the secret is not in the log", tok.encode() not in open(LOG.name, "rb").read())

    # ---- 2. refused requests ----------------------------------------------
    check("no secret: 403", post(update(2001, 1), token="") == 403)
    check("wrong secret: 403", post(update(2001, 1), token="0" * 64) == 403)
    check("a prefix of the secret: 403", post(update(2001, 1), token=tok[:32]) == 403)
    check("nothing applied from refused POSTs", q("SELECT count(*) FROM processed") == 0)
    check("GET: 405", http("GET", HOOK)[0] == 405)
    check("not JSON: 400", http("POST", HOOK, b"{not json", {
        "X-Telegram-Bot-Api-Secret-Token": tok})[0] == 400)

    # ---- 3. committed before the 200; redeliveries -------------------------
    warm = update(2000, 1000)           # the chat's admin lookup happens here
    check("first update answered 200", post(warm) == 200)
    st = post(update(2001, 1))
    n = q("SELECT count(*) FROM checkins WHERE member_id IN "
          "(SELECT id FROM members WHERE user_id = '2001')")
    check("200, and the check-in is committed when the answer arrives", st == 200 and n == 1,
          (st, n))
    outbox = q("SELECT count(*) FROM outbox")
    codes = [post(update(2001, 1)) for _ in range(3)]
    check("redeliveries answered 200", codes == [200, 200, 200], codes)
    check("redeliveries applied nothing twice",
          q("SELECT count(*) FROM checkins") == 2 and q("SELECT count(*) FROM outbox") == outbox)

    # ---- 4. a held update waits for its role lookup -------------------------
    control("admins", {"chat_id": -100600, "user_ids": [3001]})
    control("fault", {"kind": "delay", "count": 1, "method": "getChatAdministrators",
                      "delay_ms": 1500})
    res = {}

    def timed(key, u):
        t = time.time()
        res[key] = (post(u), time.time() - t)

    a = threading.Thread(target=timed, args=("admin", update(3001, 1, chat=-100600,
                                                                text="/poll new Best colour? | red | blue")))
    a.start()
    time.sleep(0.3)
    b = threading.Thread(target=timed, args=("member", update(3002, 2, chat=-100600)))
    b.start()
    a.join()
    b.join()
    check("held command answered 200 after the lookup (>= 1.4 s)",
          res["admin"][0] == 200 and res["admin"][1] >= 1.4, res)
    check("the chat's next update waited behind it", res["member"][0] == 200 and
          res["member"][1] >= 1.0, res)
    check("the chat admin's /poll was applied as an admin's",
          q("SELECT count(*) FROM polls") == 1)

    # ---- 5. concurrency -----------------------------------------------------
    ups = [update(5000 + i, 10000 + i, chat=-100700 - i % 5) for i in range(300)]
    work = ups + random.Random(7).sample(ups, 60)
    random.Random(8).shuffle(work)
    lock = threading.Lock()
    failures = []

    def worker():
        while True:
            with lock:
                if not work:
                    return
                u = work.pop()
            if not deliver(u):
                failures.append(u["update_id"])

    ts = [threading.Thread(target=worker) for _ in range(16)]
    t0 = time.time()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("# 360 POSTs by 16 threads answered in %.2f s" % (time.time() - t0))
    check("16 concurrent posters: every POST answered 2xx", not failures, failures[:5])
    check("300 distinct check-ins, none doubled",
          q("SELECT count(*) FROM checkins") == 303, q("SELECT count(*) FROM checkins"))

    def drained(limit=30):
        end = time.time() + limit
        while time.time() < end:
            if q("SELECT count(*) FROM outbox WHERE state = 0") == 0:
                return True
            time.sleep(0.2)
        return False

    check("every reply delivered", drained())

    # ---- 6. kill -9 while posting ---------------------------------------------
    crash = [update(7000 + i, 20000 + i, chat=-100800 - i % 4) for i in range(400)]
    todo = list(crash)
    done = threading.Event()

    def crash_worker():
        while not done.is_set():
            with lock:
                if not todo:
                    return
                u = todo.pop()
            if not deliver(u, give_up_s=90):
                failures.append(u["update_id"])

    ts = [threading.Thread(target=crash_worker) for _ in range(8)]
    for t in ts:
        t.start()
    rng = random.Random(11)
    for rnd in range(4):
        time.sleep(0.1 + rng.random() * 0.4)
        bot.send_signal(signal.SIGKILL)
        bot.wait()
        print("# round %d: killed with %d of 400 applied" %
              (rnd, q("SELECT count(*) FROM checkins") - 303))
        bot = start_bot()
    for t in ts:
        t.join()
    check("kill -9 x4: every update eventually answered 2xx", not failures, failures[:5])
    check("kill -9 x4: exactly one check-in per update",
          q("SELECT count(*) FROM checkins") == 703, q("SELECT count(*) FROM checkins"))
    check("kill -9 x4: one ledger row per check-in",
          q("SELECT count(*) FROM ledger WHERE reason = 'checkin'") == 703)
    check("kill -9 x4: every reply delivered", drained(60))
    check("kill -9 x4: integrity_check ok", q("PRAGMA integrity_check") == "ok")
    check("a new secret at every start", len({h["secret_token"] for h in set_webhooks()}) ==
          len(set_webhooks()))

    # ---- 7. SIGTERM with a held POST; back to polling ---------------------------
    control("fault", {"kind": "delay", "count": 1, "method": "getChatAdministrators",
                      "delay_ms": 3000})
    res.clear()
    t = threading.Thread(target=timed, args=("held", update(9001, 1, chat=-100900)))
    t.start()
    time.sleep(0.5)
    bot.send_signal(signal.SIGTERM)
    rc = bot.wait(timeout=10)
    t.join()
    check("SIGTERM with a held POST: answered 503, exit 0", res["held"][0] == 503 and rc == 0,
          (res, rc))
    bot = start_bot("polling")
    control("updates", [update(9002, 2, chat=-100901)])
    end = time.time() + 15
    while time.time() < end and q("SELECT count(*) FROM checkins WHERE member_id IN "
                                  "(SELECT id FROM members WHERE user_id = '9002')") == 0:
        time.sleep(0.2)
    check("polling mode deletes the webhook and polls",
          control("requests?method=deleteWebhook") and
          q("SELECT count(*) FROM members WHERE user_id = '9002'") == 1)
    bot.send_signal(signal.SIGTERM)
    bot.wait(timeout=10)
finally:
    if bot.poll() is None:
        bot.kill()
    fake.kill()
finish()
