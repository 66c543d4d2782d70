"""Helpers shared by the Matrix end-to-end drivers (mx_fake.py, mx_synapse.py):
TAP-style checks, HTTP JSON calls, running the bot."""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

PASS = 0
FAIL = 0


def ok(name, cond, detail=""):
    global PASS, FAIL
    if cond:
        PASS += 1
        print("ok " + name, flush=True)
    else:
        FAIL += 1
        print("not ok %s%s" % (name, (" # " + detail) if detail else ""), flush=True)
    return cond


def finish():
    print("%d passed, %d failed" % (PASS, FAIL), flush=True)
    sys.exit(0 if FAIL == 0 else 1)


def call(method, url, body=None, token=None, timeout=30):
    """(status, parsed JSON or None)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        raw = e.read()
        status = e.code
    try:
        return status, json.loads(raw or b"null")
    except ValueError:
        return status, None


def wait_for(seconds, fn, step=0.1):
    end = time.time() + seconds
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(step)
    return fn()


class Bot:
    """The kocbot binary in the background, logging to a file."""

    def __init__(self, kocbot, work, config, db, env, name="bot", args=()):
        self.kocbot, self.work, self.config, self.db = kocbot, work, config, db
        self.env = dict(os.environ, **env)
        self.log = os.path.join(work, name + ".log")
        self.args = list(args)
        self.proc = None

    def start(self, stdin=subprocess.DEVNULL):
        logf = open(self.log, "a")
        self.proc = subprocess.Popen([self.kocbot, "--config", self.config, "--db", self.db] + self.args,
                                     stdin=stdin, stdout=logf, stderr=subprocess.STDOUT, env=self.env)
        logf.close()
        return self

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill9()
        return self.proc.returncode if self.proc else None

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""


def sql(db, query):
    out = subprocess.run(["sqlite3", db, query], capture_output=True, text=True, timeout=30)
    return out.stdout.strip()
