"""Shared pieces of the Python e2e scripts that talk HTTP to kocbot and to
the fake Bot API (tg_webhook.py, http_abuse.py): checks and the summary,
a free loopback port, one HTTP call, the fake's start and control calls,
one-value SQLite queries.  Environment: KOCBOT, FAKE_TG, WORK."""
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request

KOCBOT, FAKE_TG, WORK = os.environ["KOCBOT"], os.environ["FAKE_TG"], os.environ["WORK"]
TOKEN = "123456:TEST-token_secret"
_counts = {"pass": 0, "fail": 0}


def check(name, cond, detail=""):
    if cond:
        _counts["pass"] += 1
        print("ok", name)
    else:
        _counts["fail"] += 1
        print("not ok", name, ("# " + str(detail)) if detail else "")


def finish():
    print("%d passed, %d failed" % (_counts["pass"], _counts["fail"]))
    sys.exit(1 if _counts["fail"] else 0)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def http(method, url, body=None, headers=None, timeout=30):
    """(status, body); status 0 when no answer came (refused, reset, timeout)."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (OSError, urllib.error.URLError):
        return 0, b""


def start_fake():
    """The fake Bot API on a kernel-chosen port: (process, base URL)."""
    port_file = os.path.join(WORK, "fake.port")
    fake = subprocess.Popen([FAKE_TG, "--port-file", port_file, "--max-seconds", "300",
                             "--token", TOKEN], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(port_file) and open(port_file).read().strip():
            break
        time.sleep(0.05)
    return fake, "http://127.0.0.1:%s" % open(port_file).read().strip()


def control(fake_url, path, body=None):
    """A control call of the fake (GET without a body); its JSON answer."""
    st, out = http("POST" if body is not None else "GET", fake_url + "/control/" + path,
                   json.dumps(body).encode() if body is not None else None)
    return json.loads(out) if out else None


def write_config(cfg):
    path = os.path.join(WORK, "bot.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    os.chmod(path, 0o600)
    return path


def query(db, sql):
    con = sqlite3.connect(db, timeout=10)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()
