#!/usr/bin/env python3
"""A small fake Matrix homeserver (client-server API v3) on 127.0.0.1 for the
end-to-end tests: one bot account, rooms whose timelines the test fills
through /control, and faults injected on demand.

What it implements, as Synapse does: Bearer authentication (401
M_UNKNOWN_TOKEN), password login with a caller-chosen device_id, whoami,
/sync long polls (since/timeout; the filter is accepted), idempotent
PUT /send/{txnId} per device with the echo carrying unsigned.transaction_id,
join/leave, power levels, /event, redactions (as events), the bot's
account data m.direct (GET/PUT, and in /sync when it changed) and
POST /createRoom (is_direct, invite: the room the bot opens to a member).

Faults (POST /control/fault {"kind", "count", "path", ...}), matched by a
path substring:
  429       answer 429 M_LIMIT_EXCEEDED with retry_after_ms
  403       answer 403 M_FORBIDDEN
  truncate  answer 200 with the body cut in half
  hang      hold the request for "seconds" and then close it unanswered
  repeat    /sync only: answer as if "since" were "back" positions earlier
  swallow   PUT /send only: store the event but close the connection
  limit     /sync only: each room's timeline cut to its last "keep" events,
            limited, with a prev_batch for GET /messages to fill the gap
Every request is logged with its arrival time (GET /control/requests).
"""
import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

LOCK = threading.Condition()
STATE = {
    "token": "", "user": "", "password": "", "server": "",
    "events": [],          # the global stream: (pos, room, event)
    "rooms": {},           # room -> {"members": {user: membership}, "power": {...}, "name"}
    "invites": [],         # (pos, room, inviter)
    "txns": {},            # (device, txn) -> event_id
    "faults": [],
    "requests": [],
    "sent": [],            # events the bot sent
    "next_id": 1,
    "devices": {},         # token -> device
    "account_data": {},    # the bot's: type -> content
    "next_room": 1,
    "created": [],         # rooms the bot created: {"room", "body"}
}


def new_event_id():
    STATE["next_id"] += 1
    return "$ev%d:%s" % (STATE["next_id"], STATE["server"])


def add_account_data(etype, content):
    """The bot's account data changed: in the stream (room None) for /sync."""
    STATE["account_data"][etype] = content
    STATE["events"].append((len(STATE["events"]) + 1, None, {"type": etype, "content": content}))
    LOCK.notify_all()


def add_event(room, ev):
    ev.setdefault("event_id", new_event_id())
    ev.setdefault("origin_server_ts", int(time.time() * 1000))
    ev.setdefault("content", {})
    pos = len(STATE["events"]) + 1
    STATE["events"].append((pos, room, ev))
    r = STATE["rooms"].setdefault(room, {"members": {}, "power": None})
    if ev.get("type") == "m.room.member":
        r["members"][ev["state_key"]] = ev["content"].get("membership")
    if ev.get("type") == "m.room.power_levels":
        r["power"] = ev["content"]
    LOCK.notify_all()
    return ev["event_id"]


def take_fault(path):
    for f in STATE["faults"]:
        if f.get("path", "") in path and f.get("count", 1) > 0:
            f["count"] = f.get("count", 1) - 1
            return dict(f)
    return None


def sync_body(since, me, keep=None):
    rooms = {"join": {}, "invite": {}, "leave": {}}
    account = {}
    for pos, room, ev in STATE["events"]:
        if pos <= since:
            continue
        if room is None:
            account[ev["type"]] = ev  # the latest content of each type
            continue
        member = STATE["rooms"][room]["members"]
        if ev.get("type") == "m.room.member" and ev.get("state_key") == me:
            m = ev["content"].get("membership")
            if m == "invite":
                rooms["invite"][room] = {"invite_state": {"events": [ev]}}
                continue
            if m in ("leave", "ban"):
                rooms["join"].pop(room, None)
                rooms["leave"].setdefault(room, {"timeline": {"events": []}})["timeline"]["events"].append(ev)
                continue
        if member.get(me) != "join" and not (ev.get("type") == "m.room.member" and ev.get("state_key") == me):
            continue
        rooms["join"].setdefault(room, {"timeline": {"events": [], "limited": False},
                                        "state": {"events": []}})["timeline"]["events"].append(ev)
    if keep is not None:
        for room, r in rooms["join"].items():
            evs = r["timeline"]["events"]
            if len(evs) > keep:
                cut = evs[len(evs) - keep:]
                first = next(pos for pos, rm, ev in STATE["events"] if ev is cut[0])
                r["timeline"] = {"events": cut, "limited": True, "prev_batch": "p%d" % (first - 1)}
    body = {"next_batch": "s%d" % len(STATE["events"])}
    if account:
        body["account_data"] = {"events": list(account.values())}
    if any(rooms.values()):
        body["rooms"] = {k: v for k, v in rooms.items() if v}
    return body


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, obj, cut=False):
        data = json.dumps(obj).encode()
        if cut:
            data = data[: max(1, len(data) // 2)]
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, code, msg, **extra):
        body = {"errcode": code, "error": msg}
        body.update(extra)
        self.reply(status, body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return None

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_PUT(self):
        self.route("PUT")

    def route(self, method):
        url = urlparse(self.path)
        path = unquote(url.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        body = self.body() if method in ("POST", "PUT") else {}
        if path.startswith("/control/"):
            return self.control(path[len("/control/"):], body)
        auth = self.headers.get("Authorization", "")
        with LOCK:
            fault = take_fault(path)
            STATE["requests"].append({"t": time.time(), "method": method, "path": path,
                                      "auth": bool(auth), "query_token": "access_token" in q,
                                      "fault": fault["kind"] if fault else None})
        if fault and fault["kind"] == "hang":
            time.sleep(fault.get("seconds", 5))
            self.close_connection = True
            return
        if fault and fault["kind"] == "429":
            return self.error(429, "M_LIMIT_EXCEEDED", "Too Many Requests",
                              retry_after_ms=fault.get("retry_after_ms", 1000))
        if fault and fault["kind"] == "403":
            return self.error(403, "M_FORBIDDEN", "You are not allowed to send here")
        if path == "/_matrix/client/v3/login" and method == "POST":
            ident = (body or {}).get("identifier", {})
            if ident.get("user") != STATE["user"] or body.get("password") != STATE["password"]:
                return self.error(403, "M_FORBIDDEN", "Invalid username or password")
            with LOCK:
                STATE["token"] = "login_token_%d" % STATE["next_id"]
                STATE["devices"][STATE["token"]] = body.get("device_id") or "GENERATED"
            return self.reply(200, {"user_id": STATE["user"], "access_token": STATE["token"],
                                    "device_id": STATE["devices"][STATE["token"]]})
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else q.get("access_token", "")
        if not token or token != STATE["token"]:
            return self.error(401, "M_UNKNOWN_TOKEN", "Invalid access token passed.", soft_logout=False)
        device = STATE["devices"].get(token, "CONFIGURED")
        me = STATE["user"]
        cut = bool(fault and fault["kind"] == "truncate")
        if path == "/_matrix/client/v3/account/whoami":
            return self.reply(200, {"user_id": me, "device_id": device}, cut)
        if path == "/_matrix/client/v3/sync":
            since = int(q.get("since", "s0")[1:] or 0) if q.get("since") else 0
            if fault and fault["kind"] == "repeat":
                since = max(0, since - fault.get("back", 3))
            timeout = int(q.get("timeout", "0")) / 1000.0
            deadline = time.time() + min(timeout, 60)
            with LOCK:
                while len(STATE["events"]) <= since and time.time() < deadline:
                    LOCK.wait(max(0.01, deadline - time.time()))
                out = sync_body(since, me, fault.get("keep", 2) if fault and fault["kind"] == "limit" else None)
            return self.reply(200, out, cut)
        parts = path.split("/")
        # /_matrix/client/v3/user/{me}/account_data/{type}
        if len(parts) == 8 and parts[4] == "user" and parts[6] == "account_data":
            if parts[5] != me:
                return self.error(403, "M_FORBIDDEN", "Cannot access other users' account data")
            with LOCK:
                if method == "PUT":
                    add_account_data(parts[7], body)
                    return self.reply(200, {})
                if parts[7] not in STATE["account_data"]:
                    return self.error(404, "M_NOT_FOUND", "Account data not found")
                return self.reply(200, STATE["account_data"][parts[7]], cut)
        if path == "/_matrix/client/v3/createRoom" and method == "POST":
            with LOCK:
                room = "!dm%d:%s" % (STATE["next_room"], STATE["server"])
                STATE["next_room"] += 1
                add_event(room, {"type": "m.room.create", "state_key": "", "sender": me,
                                 "content": {"creator": me}})
                add_event(room, {"type": "m.room.member", "state_key": me, "sender": me,
                                 "content": {"membership": "join"}})
                for user in (body or {}).get("invite", []):
                    add_event(room, {"type": "m.room.member", "state_key": user, "sender": me,
                                     "content": {"membership": "invite",
                                                 "is_direct": bool(body.get("is_direct"))}})
                STATE["created"].append({"room": room, "body": body})
            return self.reply(200, {"room_id": room}, cut)
        # /_matrix/client/v3/rooms/{room}/...
        if len(parts) >= 7 and parts[4] == "rooms":
            room = parts[5]
            rest = parts[6:] + [""]
            eid = None
            with LOCK:
                r = STATE["rooms"].get(room)
                if r is None:
                    return self.error(404, "M_NOT_FOUND", "Unknown room")
                if rest[0] == "join" and method == "POST":
                    add_event(room, {"type": "m.room.member", "state_key": me, "sender": me,
                                     "content": {"membership": "join"}})
                    return self.reply(200, {"room_id": room})
                if rest[0] == "leave" and method == "POST":
                    add_event(room, {"type": "m.room.member", "state_key": me, "sender": me,
                                     "content": {"membership": "leave"}})
                    return self.reply(200, {})
                if rest[0] == "state" and rest[1] == "m.room.power_levels":
                    if r["power"] is None:
                        return self.error(404, "M_NOT_FOUND", "no power levels")
                    return self.reply(200, r["power"], cut)
                if rest[0] == "messages":
                    upto = int(q.get("from", "s0")[1:] or 0)
                    down = int(q.get("to", "s0")[1:] or 0)
                    limit = int(q.get("limit", "10"))
                    found = [(pos, ev) for pos, rm, ev in reversed(STATE["events"])
                             if rm == room and down < pos <= upto][:limit]
                    out = {"chunk": [ev for _, ev in found], "start": q.get("from")}
                    if found and found[-1][0] - 1 > down:
                        out["end"] = "p%d" % (found[-1][0] - 1)
                    return self.reply(200, out)
                if rest[0] == "event":
                    for _, rm, ev in STATE["events"]:
                        if rm == room and ev["event_id"] == rest[1]:
                            return self.reply(200, dict(ev, room_id=room), cut)
                    return self.error(404, "M_NOT_FOUND", "Event not found")
                if rest[0] == "send" and method == "PUT" and len(rest) >= 3 and rest[2]:
                    key = (device, rest[2])
                    if r["members"].get(me) != "join":
                        return self.error(403, "M_FORBIDDEN", "User not in room")
                    if key not in STATE["txns"]:
                        ev = {"type": rest[1], "sender": me, "content": body,
                              "unsigned": {"transaction_id": rest[2]}}
                        STATE["txns"][key] = add_event(room, ev)
                        STATE["sent"].append({"room": room, "txn": rest[2],
                                              "event_id": ev["event_id"], "content": body,
                                              "t": time.time()})
                    eid = STATE["txns"][key]
            if eid is None:
                return self.error(404, "M_UNRECOGNIZED", "Unrecognized request")
            if fault and fault["kind"] == "swallow":
                time.sleep(fault.get("seconds", 0))
                self.close_connection = True
                return
            return self.reply(200, {"event_id": eid}, cut)
        return self.error(404, "M_UNRECOGNIZED", "Unrecognized request")

    def control(self, what, body):
        with LOCK:
            if what == "event":      # {"room", "type", "sender", "content", ["state_key"]}
                room = body.pop("room")
                return self.reply(200, {"event_id": add_event(room, body)})
            if what == "events":     # [{...}, ...] appended at once
                ids = [add_event(e.pop("room"), e) for e in body]
                return self.reply(200, {"event_ids": ids})
            if what == "fault":
                STATE["faults"].append(body)
                return self.reply(200, {})
            if what == "sent":
                return self.reply(200, STATE["sent"])
            if what == "requests":
                return self.reply(200, STATE["requests"])
            if what == "created":
                return self.reply(200, STATE["created"])
            if what == "account_data":
                return self.reply(200, STATE["account_data"])
            if what == "txns":
                return self.reply(200, {"%s|%s" % k: v for k, v in STATE["txns"].items()})
        return self.reply(404, {})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--token", default="")
    ap.add_argument("--user", default="@kocbot:fake.test")
    ap.add_argument("--password", default="")
    ap.add_argument("--max-seconds", type=int, default=300)
    a = ap.parse_args()
    STATE.update(token=a.token, user=a.user, password=a.password,
                 server=a.user.split(":", 1)[1])
    STATE["devices"][a.token] = "CONFIGURED"
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(a.port_file + ".tmp", a.port_file)
    threading.Timer(a.max_seconds, lambda: os._exit(0)).start()
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
