#!/usr/bin/env python3
"""Bad input on kocbot's HTTP listener while a check-in burst runs through
long polling: oversized bodies (announced and chunked), slow clients,
malformed requests, path traversal, a flood of requests.  Each gets the right
status (or is dropped), the process never crashes, the bot loop never stalls:
every check-in of the burst is still applied and answered, and the listener
serves again once the abuse stops.
Environment: KOCBOT, FAKE_TG, WORK.  Prints ok/not ok lines and the summary.
"""
import os
import socket
import subprocess
import threading
import time

from http_e2e import (KOCBOT, TOKEN, WORK, check, control, finish, free_port, query,
                      start_fake, write_config)

BURST = 1500
fake, FAKE = start_fake()
PORT = free_port()
DB = os.path.join(WORK, "abuse.db")


def raw(data, timeout=15, read=True):
    """Send raw bytes, return the status code of the answer (0: none)."""
    try:
        with socket.create_connection(("127.0.0.1", PORT), timeout=timeout) as s:
            s.sendall(data)
            if not read:
                return 0
            buf = b""
            while b"\r\n" not in buf:
                chunk = s.recv(4096)
                if not chunk:
                    break
                buf += chunk
            parts = buf.split(b" ", 2)
            return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    except OSError:
        return 0


def get(path):
    return raw(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path).encode())


def q(sql):
    return query(DB, sql)


config = write_config({"log_level": "warn", "limits": {"enabled": False},
                       "http": {"listen": "127.0.0.1:%d" % PORT},
                       "telegram": {"poll_timeout_s": 1}})
log = open(os.path.join(WORK, "bot.log"), "ab")
bot = subprocess.Popen([KOCBOT, "--config", config, "--db", DB],
                       stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                       env=dict(os.environ, KOCBOT_TELEGRAM_TOKEN=TOKEN, KOCBOT_TELEGRAM_API=FAKE,
                                KOCBOT_LOCALE="en"))
try:
    for _ in range(100):
        if get("/healthz") == 200:
            break
        time.sleep(0.05)
    # the burst: BURST check-ins from as many members, in 30 chats, arriving
    # in three waves while the abuse below runs
    def wave(k):
        control(FAKE, "generate", {"n": BURST // 3, "chats": 30, "users": BURST, "text": "/checkin",
                             "first": k * (BURST // 3)})

    wave(0)

    # slow clients: hold 40 connections, one header byte every 0.5 s
    slow_socks = []
    for _ in range(40):
        try:
            s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHo")
            slow_socks.append(s)
        except OSError:
            pass
    stop_slow = threading.Event()

    def trickle():
        while not stop_slow.is_set():
            for s in list(slow_socks):
                try:
                    s.send(b"s")
                except OSError:
                    slow_socks.remove(s)
            time.sleep(0.5)

    slow = threading.Thread(target=trickle)
    slow.start()

    big = b"x" * (2 << 20)
    check("oversized body (Content-Length 2 MB): 413",
          raw(b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(big) + big)
          == 413)
    check("announced 10 GB body refused at once: 413",
          raw(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10737418240\r\n\r\n") == 413)
    chunk = b"%x\r\n%s\r\n" % (256 << 10, b"y" * (256 << 10))
    check("oversized chunked body: 413",
          raw(b"POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
              chunk * 6 + b"0\r\n\r\n") == 413)
    check("garbage request line: 400", raw(b"\x16\x03\x01 garbage\r\n\r\n") in (400, 0))
    check("header without a colon: 400",
          raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n") == 400)
    check("HTTP/1.1 without Host: 400", raw(b"GET /healthz HTTP/1.1\r\n\r\n") == 400)
    st = raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (100 << 10) + b"\r\n\r\n")
    check("100 KB header: refused (431/413/400) (%d)" % st, st in (400, 413, 431))
    check("unknown method on a known path: 405",
          raw(b"BREW /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") == 405)
    wave(1)
    for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/healthz/../metrics",
                 "/metrics/..%2f..%2fetc%2fpasswd", "//etc/passwd", "/healthz%00.html"):
        st = get(path)
        check("path traversal %s: 404 (%d)" % (path, st), st in (400, 404))

    # a flood: 3000 requests from 32 threads
    codes = {}
    lock = threading.Lock()

    def flood():
        for _ in range(3000 // 32):
            c = get("/healthz")
            with lock:
                codes[c] = codes.get(c, 0) + 1

    ts = [threading.Thread(target=flood) for _ in range(32)]
    t0 = time.time()
    for t in ts:
        t.start()
    wave(2)
    for t in ts:
        t.join()
    print("# flood: %d requests in %.1f s, statuses %s" % (sum(codes.values()), time.time() - t0,
                                                          codes))
    check("flood: answered 200 or refused, nothing else", set(codes) <= {200, 0}, codes)
    check("flood: most requests answered", codes.get(200, 0) >= 1500, codes)
    stop_slow.set()
    slow.join()
    time.sleep(12)   # LISTENER_IDLE_S (10 s) without a byte: dropped

    def dropped(s):
        try:
            s.settimeout(1)
            return s.recv(1) == b""
        except OSError:
            return True

    check("%d slow clients dropped after 10 s idle" % len(slow_socks),
          slow_socks and all(dropped(s) for s in slow_socks))

    def all_answered():
        return q("SELECT (SELECT count(*) FROM processed) = %d AND NOT EXISTS "
                 "(SELECT 1 FROM outbox WHERE state = 0)" % BURST) == 1

    end = time.time() + 60
    while time.time() < end and not all_answered():
        time.sleep(0.2)
    check("every check-in of the burst applied and answered", all_answered(),
          q("SELECT count(*) FROM processed"))
    check("one check-in per member", q("SELECT count(*) FROM checkins") == BURST)
    check("the bot is alive", bot.poll() is None)
    end = time.time() + 15
    while time.time() < end and get("/healthz") != 200:
        time.sleep(0.2)
    check("the listener serves again after the abuse", get("/healthz") == 200)
    for s in slow_socks:
        s.close()
    bot.terminate()
    check("clean exit", bot.wait(timeout=10) == 0)
finally:
    if bot.poll() is None:
        bot.kill()
    fake.kill()
finish()
