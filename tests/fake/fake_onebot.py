#!/usr/bin/env python3
"""A OneBot v11 implementation for tests (127.0.0.1 only), standing in for
NapCat / LLOneBot / Lagrange.OneBot:

  - HTTP actions on --http-port: get_login_info, send_group_msg,
    send_private_msg, get_group_msg_history, get_group_member_info,
    get_group_info, get_msg, delete_msg; answers {status, retcode, data, message};
    "Authorization: Bearer <token>" required when --token is given;
  - a forward WebSocket on --ws-port (same token check) pushing events and
    answering actions sent over it ({action, params, echo});
  - HTTP POST events to --post-url, signed X-Signature: sha1=<HMAC> with
    --secret.

Control (JSON over HTTP on the action port, path /_ctl/...):
  POST event {group, user, role, name, message, id?, time?, cq?, no_role?,
              message_type?, history_only?, raw?}
       -> the event is stored in the group's history and pushed (ws and/or post);
          a string message is sent as one text segment, or as it is with cq
          (a CQ-code string); raw sends that exact text as a frame
  POST sent_reset -> forget the sends recorded so far
  POST burst {group, n, first_user, text} -> n messages from n members
  POST fault {kind: drop|bad_frame|slow|fragmented|retcode|timeout|late|reject_ws|bad_accept, ...}
          (late: an action reaches us `seconds` late, as if it queued on its way)
  POST role {user, role} -> what get_group_member_info answers for that user
  GET  sent  -> every send_* action received, in order
  GET  stats -> counters
Message ids count from --first-id (wrapping at the 32-bit signed bounds),
so tests can start them negative or at the edge.
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import socket
import struct
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.next_id = args.first_id
        self.history = {}          # group -> [event]
        self.sent = []             # actions received
        self.clients = []          # open WebSocket sockets
        self.faults = []           # pending action faults
        self.stats = {"ws_connects": 0, "ws_rejected": 0, "actions": 0, "pushed": 0}
        self.out_id = -2**31 + 10  # our sends get negative ids

    def new_id(self):
        with self.lock:
            i = self.next_id
            self.next_id += 1
            if self.next_id > 2**31 - 1:
                self.next_id = -2**31
            return i


S = None


def ws_frame(payload, opcode=1):
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, n)
    return head + payload


def broadcast(data, slow_delay=0):
    """Send raw bytes to every open socket (a byte at a time when slow_delay)."""
    with S.lock:
        clients = list(S.clients)
    for c in clients:
        try:
            with c["lock"]:
                if slow_delay:
                    for b in data:
                        c["sock"].sendall(bytes([b]))
                        time.sleep(slow_delay)
                else:
                    c["sock"].sendall(data)
        except OSError:
            drop_client(c)
    return len(clients)


def push(event):
    data = json.dumps(event, ensure_ascii=False).encode()
    if S.args.ws_port:
        S.stats["pushed"] += broadcast(ws_frame(data))
    if S.args.post_url:
        sig = hmac.new(S.args.secret.encode(), data, hashlib.sha1).hexdigest() if S.args.secret else None
        req = urllib.request.Request(S.args.post_url, data=data, method="POST")
        req.add_header("Content-Type", "application/json")
        req.add_header("X-Self-ID", str(S.args.self_id))
        if sig:
            req.add_header("X-Signature", "sha1=" + sig)
        try:
            urllib.request.urlopen(req, timeout=10).read()
        except Exception as e:  # the bot may be down: the event stays in history
            print("post failed:", e, file=sys.stderr)


def drop_client(c):
    with S.lock:
        if c in S.clients:
            S.clients.remove(c)
    try:
        c["sock"].shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    c["sock"].close()


def make_event(group, user, role="member", name=None, message="", msg_id=None, t=None,
               message_type="group", cq=False):
    if isinstance(message, str) and cq:
        raw = message
    elif isinstance(message, str):
        raw = message
        message = [{"type": "text", "data": {"text": message}}]
    else:
        raw = "".join(s["data"].get("text", "[CQ:%s]" % s["type"]) for s in message)
    ev = {
        "time": int(t if t is not None else time.time()),
        "self_id": S.args.self_id,
        "post_type": "message",
        "message_type": message_type,
        "sub_type": "normal" if message_type == "group" else "friend",
        "message_id": msg_id if msg_id is not None else S.new_id(),
        "user_id": user,
        "message": message,
        "raw_message": raw,
        "font": 0,
        "sender": {"user_id": user, "nickname": name or ("user%d" % user), "card": "",
                   "role": role},
    }
    if message_type == "group":
        ev["group_id"] = group
    return ev


# ---- actions (over HTTP, and over the WebSocket with an echo) -----------------

def ok(data):
    return 200, {"status": "ok", "retcode": 0, "data": data, "message": "", "wording": ""}


def record(name, p):
    with S.lock:
        S.out_id += 1
        mid = S.out_id
        S.sent.append({"action": name, "params": p, "message_id": mid, "at": time.time()})
    return mid


def run_action(name, p):
    """(HTTP status, answer); answer None for an injected timeout."""
    with S.lock:
        S.stats["actions"] += 1
        S.stats.setdefault("by_action", {}).setdefault(name, 0)
        S.stats["by_action"][name] += 1
        fault = next((f for f in S.faults if f.get("action") in (None, name)), None)
        if fault:
            fault["count"] = fault.get("count", 1) - 1
            if fault["count"] <= 0:
                S.faults.remove(fault)
    if fault and fault["kind"] == "retcode":
        return 200, {"status": "failed", "retcode": fault.get("retcode", 100),
                     "data": None, "message": "injected", "wording": "injected"}
    if fault and fault["kind"] == "timeout":
        if fault.get("after"):  # the action happens, the answer never comes
            record(name, p)
        time.sleep(fault.get("seconds", 30))
        return 200, None
    if fault and fault["kind"] == "late":  # the request reaches us late (it queued on its way)
        time.sleep(fault.get("seconds", 1))
    if name == "get_login_info":
        return ok({"user_id": S.args.self_id, "nickname": "kocbot"})
    if name in ("send_group_msg", "send_private_msg", "send_msg"):
        return ok({"message_id": record(name, p)})
    if name == "get_group_msg_history":
        g = int(p.get("group_id", 0))
        n = int(p.get("count", 20))
        with S.lock:
            msgs = list(S.history.get(g, []))[-n:]
        return ok({"messages": msgs})
    if name == "get_group_member_info":
        g, u = int(p.get("group_id", 0)), int(p.get("user_id", 0))
        return ok({"group_id": g, "user_id": u, "nickname": "user%d" % u, "card": "",
                   "role": S.args.roles.get(str(u), "member")})
    if name == "get_group_info":
        g = int(p.get("group_id", 0))
        return ok({"group_id": g, "group_name": "group %d" % g, "member_count": 10,
                   "max_member_count": 500})
    if name == "get_msg":
        mid = int(p.get("message_id", 0))
        with S.lock:
            found = [e for h in S.history.values() for e in h if e["message_id"] == mid]
        if found:
            return ok(found[0])
        return 200, {"status": "failed", "retcode": 100, "data": None, "message": "no such message"}
    if name == "delete_msg":
        return ok(None)
    return 404, {"status": "failed", "retcode": 1404, "data": None, "message": "no such action"}


# ---- HTTP: actions and control ---------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def reply(self, code, obj):
        body = json.dumps(obj, ensure_ascii=False).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            return None

    def do_GET(self):
        if self.path == "/_ctl/sent":
            with S.lock:
                return self.reply(200, S.sent)
        if self.path == "/_ctl/stats":
            with S.lock:
                return self.reply(200, dict(S.stats, clients=len(S.clients)))
        self.reply(404, {})

    def do_POST(self):
        path = self.path.split("?")[0]
        if path.startswith("/_ctl/"):
            return self.control(path[6:], self.body() or {})
        if S.args.token and self.headers.get("Authorization") != "Bearer " + S.args.token:
            return self.reply(401, {"status": "failed", "retcode": 1401, "data": None})
        p = self.body()
        if p is None:
            return self.reply(400, {"status": "failed", "retcode": 1400, "data": None})
        self.action(path.strip("/"), p)

    def action(self, name, p):
        code, obj = run_action(name, p)
        if obj is None:  # an injected timeout: no answer at all
            self.close_connection = True
            return
        self.reply(code, obj)

    def control(self, what, p):
        if what == "event":
            ev = make_event(p.get("group", 0), p["user"], p.get("role", "member"), p.get("name"),
                            p.get("message", ""), p.get("id"), p.get("time"),
                            p.get("message_type", "group"), p.get("cq", False))
            if "raw" in p:  # send this exact text as the frame
                return self.raw_frame(p["raw"])
            if p.get("no_role"):  # as some implementations send it: no sender.role
                del ev["sender"]["role"]
            with S.lock:
                if ev["message_type"] == "group":
                    S.history.setdefault(ev["group_id"], []).append(ev)
            if not p.get("history_only"):
                push(ev)
            return self.reply(200, ev)
        if what == "role":  # what get_group_member_info answers for a user
            S.args.roles[str(p["user"])] = p["role"]
            return self.reply(200, {})
        if what == "sent_reset":
            with S.lock:
                S.sent = []
            return self.reply(200, {})
        if what == "burst":
            g, n, u0 = p["group"], p["n"], p.get("first_user", 100000)
            evs = [make_event(g, u0 + i, "member", None, p.get("text", "/checkin")) for i in range(n)]
            with S.lock:
                S.history.setdefault(g, []).extend(evs)
            frames = b"".join(ws_frame(json.dumps(e).encode()) for e in evs)
            if not p.get("history_only"):
                broadcast(frames)
            return self.reply(200, {"n": n, "first": evs[0]["message_id"], "last": evs[-1]["message_id"]})
        if what == "fault":
            return self.fault(p)
        self.reply(404, {})

    def raw_frame(self, text):
        broadcast(ws_frame(text.encode()))
        return self.reply(200, {})

    def fault(self, p):
        kind = p["kind"]
        with S.lock:
            clients = list(S.clients)
        if kind == "drop":           # sockets cut without a close frame
            for c in clients:
                drop_client(c)
        elif kind == "bad_frame":    # protocol errors, by name
            frames = {"rsv": b"\xf1\x02{}",                        # reserved bits set
                      "masked": b"\x81\x82abcd\x1a\x1f",          # a masked server frame
                      "huge": b"\x81\x7f" + struct.pack("!Q", 2**40),  # a 1 TB message announced
                      "control": b"\x89\x7e\x00\x80" + b"x" * 128,  # a ping over 125 bytes
                      "continuation": b"\x80\x02{}",              # a continuation with nothing to continue
                      "close": b"\x88\x02\x03\xe8"}[p.get("frame", "rsv")]
            broadcast(frames)
        elif kind == "slow":         # one event, one byte at a time
            ev = make_event(p["group"], p["user"], "member", None, p.get("message", "/checkin"))
            with S.lock:
                S.history.setdefault(p["group"], []).append(ev)
            broadcast(ws_frame(json.dumps(ev).encode()), p.get("delay", 0.002))
        elif kind == "fragmented":   # one event in three continuation frames
            ev = make_event(p["group"], p["user"], "member", None, p.get("message", "/checkin"))
            with S.lock:
                S.history.setdefault(p["group"], []).append(ev)
            d = json.dumps(ev).encode()
            a, b = len(d) // 3, 2 * len(d) // 3
            parts = [(0x01, d[:a]), (0x00, d[a:b]), (0x80, d[b:])]
            out = b""
            for op, chunk in parts:
                n = len(chunk)
                out += (struct.pack("!BB", op, n) if n < 126 else struct.pack("!BBH", op, 126, n)) + chunk
            broadcast(ws_frame(b"ping", 9) + out)
        elif kind in ("retcode", "timeout", "late"):
            with S.lock:
                S.faults.append(dict(p))
        elif kind == "reject_ws":
            S.args.reject_ws = p.get("count", 1)
        elif kind == "bad_accept":
            S.args.bad_accept = p.get("count", 1)
        return self.reply(200, {"clients": len(clients)})


# ---- the forward WebSocket ---------------------------------------------------

def ws_serve(sock, addr):
    f = sock.makefile("rb")
    try:
        line = f.readline().decode("latin-1")
        headers = {}
        while True:
            h = f.readline().decode("latin-1").strip()
            if not h:
                break
            k, _, v = h.partition(":")
            headers[k.strip().lower()] = v.strip()
        auth_ok = not S.args.token or headers.get("authorization") == "Bearer " + S.args.token
        bad_accept = False
        if getattr(S.args, "reject_ws", 0) > 0:
            S.args.reject_ws -= 1
            auth_ok = False
        elif getattr(S.args, "bad_accept", 0) > 0:
            S.args.bad_accept -= 1
            bad_accept = True
        if not line.startswith("GET ") or "sec-websocket-key" not in headers or not auth_ok:
            S.stats["ws_rejected"] += 1
            sock.sendall(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")
            sock.close()
            return
        accept = base64.b64encode(hashlib.sha1((headers["sec-websocket-key"] + GUID).encode()).digest())
        if bad_accept:  # a server that is no WebSocket server
            accept = base64.b64encode(b"0" * 20)
        sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
        c = {"sock": sock, "lock": threading.Lock()}
        with S.lock:
            S.clients.append(c)
            S.stats["ws_connects"] += 1
        lifecycle = {"time": int(time.time()), "self_id": S.args.self_id, "post_type": "meta_event",
                     "meta_event_type": "lifecycle", "sub_type": "connect"}
        with c["lock"]:
            sock.sendall(ws_frame(json.dumps(lifecycle).encode()))
        while True:  # read client frames: answer pings, note closes
            hdr = f.read(2)
            if len(hdr) < 2:
                break
            op, n = hdr[0] & 0x0F, hdr[1] & 0x7F
            if n == 126:
                n = struct.unpack("!H", f.read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", f.read(8))[0]
            mask = f.read(4) if hdr[1] & 0x80 else b"\0\0\0\0"
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(f.read(n)))
            if op == 9:
                with c["lock"]:
                    sock.sendall(ws_frame(data, 10))
            elif op == 1:  # an action over the socket: answer with its echo
                try:
                    req = json.loads(data)
                    code, ans = run_action(req.get("action", ""), req.get("params") or {})
                except ValueError:
                    code, ans = 400, {"status": "failed", "retcode": 1400, "data": None}
                    req = {}
                if ans is not None:
                    ans = dict(ans, echo=req.get("echo"))
                    with c["lock"]:
                        sock.sendall(ws_frame(json.dumps(ans).encode()))
            elif op == 8:
                break
        drop_client(c)
    except OSError:
        pass


def ws_listen(port, port_file):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(16)
    with open(port_file + ".ws", "w") as fh:
        fh.write(str(srv.getsockname()[1]))
    while True:
        s, a = srv.accept()
        threading.Thread(target=ws_serve, args=(s, a), daemon=True).start()


def heartbeat():
    while True:
        time.sleep(S.args.heartbeat_s)
        push({"time": int(time.time()), "self_id": S.args.self_id, "post_type": "meta_event",
              "meta_event_type": "heartbeat", "status": {"online": True, "good": True},
              "interval": S.args.heartbeat_s * 1000}) if not S.args.post_url else None


def main():
    global S
    ap = argparse.ArgumentParser()
    ap.add_argument("--http-port", type=int, default=0)
    ap.add_argument("--ws-port", type=int, default=0, help="0: none; -1: any free port")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--token", default=os.environ.get("FAKE_ONEBOT_TOKEN", ""))
    ap.add_argument("--secret", default="")
    ap.add_argument("--post-url", default="")
    ap.add_argument("--self-id", type=int, default=10001)
    ap.add_argument("--first-id", type=int, default=1)
    ap.add_argument("--heartbeat-s", type=int, default=5)
    ap.add_argument("--max-seconds", type=int, default=600)
    args = ap.parse_args()
    args.roles = {}
    args.reject_ws = 0
    args.bad_accept = 0
    S = State(args)
    httpd = ThreadingHTTPServer(("127.0.0.1", args.http_port), Handler)
    httpd.daemon_threads = True
    if args.ws_port:
        threading.Thread(target=ws_listen, args=(max(args.ws_port, 0), args.port_file),
                         daemon=True).start()
        for _ in range(100):
            if os.path.exists(args.port_file + ".ws"):
                break
            time.sleep(0.02)
    threading.Thread(target=heartbeat, daemon=True).start()
    threading.Timer(args.max_seconds, lambda: os._exit(0)).start()
    with open(args.port_file + ".tmp", "w") as fh:
        fh.write(str(httpd.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
