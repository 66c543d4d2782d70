#!/usr/bin/env python3
"""Helpers for the Telegram e2e scripts (tests/e2e/tg_*.sh).

  tg_util.py msg CHAT USER NAME MSG_ID DATE TEXT [key=value ...]
      one Update with a message; keys: reply=MSG_ID reply_from=USER
      reply_photo=FILE_ID photo=FILE_ID document=FILE_ID reply_document=FILE_ID
      thread=THREAD_ID nohandle=1 (no
      username) handle=USERNAME forward=USER (forwarded from USER) auto_forward=1
      mention=USER:OFFSET:LENGTH (a text_mention entity, UTF-16 units)
      private=1 (the user's private chat with the bot; CHAT is the user id)
  tg_util.py cb CALLBACK_ID CHAT USER NAME MSG_ID DATA [thread=THREAD_ID] [private=1]
      one Update with a callback_query pressed on message MSG_ID
  tg_util.py q REQUESTS.json 'python expression'
      evaluates the expression with R = the recorded requests (list of
      {"method", "body", "time_ms"}) and prints the result (str or JSON)
  tg_util.py t REQUESTS.json 'python expression'
      the same, silent: exits 0 when the value is true, 1 otherwise
  tg_util.py html REQUESTS.json
      checks that the text of every sendMessage / editMessageText is
      well-formed Telegram HTML; prints each offending text, exits 1 if any
"""
import json
import re
import sys
from html.parser import HTMLParser


def user(uid, name):
    return {"id": int(uid), "is_bot": False, "first_name": name, "username": name}


def chat(cid, private=False):
    if private:
        return {"id": int(cid), "type": "private", "first_name": "u" + str(cid)}
    return {"id": int(cid), "type": "supergroup", "title": "KOC group", "is_forum": True}


def document(file_id):
    return {"file_id": file_id, "file_unique_id": "d" + file_id[-8:], "file_name": "page.html",
            "mime_type": "text/html", "file_size": 64}


def photo(file_id):
    """PhotoSize list, the largest last (as Telegram sends it)."""
    return [{"file_id": file_id + "_thumb", "file_unique_id": "t", "width": 90, "height": 90},
            {"file_id": file_id, "file_unique_id": "b", "width": 1280, "height": 960}]


def kv(args):
    return dict(a.split("=", 1) for a in args)


def cmd_msg(a):
    cid, uid, name, mid, date, text = a[:6]
    o = kv(a[6:])
    m = {"message_id": int(mid), "date": int(date), "chat": chat(cid, "private" in o), "from": user(uid, name)}
    if "nohandle" in o:
        del m["from"]["username"]
    if "handle" in o:
        m["from"]["username"] = o["handle"]
    if "forward" in o:
        m["forward_origin"] = {"type": "user", "date": int(date) - 60,
                               "sender_user": user(o["forward"], "u" + o["forward"])}
    if "auto_forward" in o:
        m["is_automatic_forward"] = True
    if "mention" in o:
        muid, off, length = o["mention"].split(":")
        m["entities"] = [{"type": "text_mention", "offset": int(off), "length": int(length),
                          "user": {"id": int(muid), "is_bot": False, "first_name": "x"}}]
    if text:
        m["caption" if "photo" in o or "document" in o else "text"] = text
    if "photo" in o:
        m["photo"] = photo(o["photo"])
    if "document" in o:
        m["document"] = document(o["document"])
    if "thread" in o:
        m["message_thread_id"] = int(o["thread"])
        m["is_topic_message"] = True
    if "reply" in o:
        r = {"message_id": int(o["reply"]), "date": int(date), "chat": chat(cid)}
        if "reply_from" in o:
            r["from"] = user(o["reply_from"], "u" + o["reply_from"])
        if "reply_photo" in o:
            r["photo"] = photo(o["reply_photo"])
        if "reply_document" in o:
            r["document"] = document(o["reply_document"])
        m["reply_to_message"] = r
    print(json.dumps({"message": m}))


def cmd_cb(a):
    cbid, cid, uid, name, mid, data = a[:6]
    o = kv(a[6:])
    m = {"message_id": int(mid), "date": 0, "chat": chat(cid, "private" in o),
         "from": {"id": 42, "is_bot": True, "first_name": "kocbot"}, "text": "poll"}
    if "thread" in o:
        m["message_thread_id"] = int(o["thread"])
        m["is_topic_message"] = True
    print(json.dumps({"callback_query": {"id": cbid, "from": user(uid, name), "chat_instance": "1",
                                         "message": m, "data": data}}))


def body(r):
    b = r["body"]
    return json.loads(b) if isinstance(b, str) else b


def evaluate(a):
    with open(a[0]) as f:
        R = json.load(f)
    for r in R:
        r["body"] = body(r)
    return eval(a[1], {"R": R, "re": re, "json": json})


def cmd_q(a):
    v = evaluate(a)
    print(v if isinstance(v, (str, bool, int)) else json.dumps(v, ensure_ascii=False))


def cmd_t(a):
    sys.exit(0 if evaluate(a) else 1)


# Telegram's HTML parse mode: these tags (attributes only where listed) and
# the entities &lt; &gt; &amp; &quot; plus numeric ones.
ALLOWED = {"b": (), "strong": (), "i": (), "em": (), "u": (), "ins": (), "s": (), "strike": (),
           "del": (), "code": ("class",), "pre": ("language",), "a": ("href",), "tg-spoiler": (),
           "span": ("class",), "blockquote": ("expandable",), "tg-emoji": ("emoji-id",)}


class Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.stack, self.errors = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED:
            self.errors.append("tag <%s>" % tag)
        for k, _ in attrs:
            if k not in ALLOWED.get(tag, ()):
                self.errors.append("attribute %s on <%s>" % (k, tag))
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("unbalanced </%s>" % tag)
        else:
            self.stack.pop()

    def handle_entityref(self, name):
        if name not in ("lt", "gt", "amp", "quot"):
            self.errors.append("entity &%s;" % name)


def html_errors(text):
    errs = []
    # a '<' must open a tag, a '&' must start an entity
    for m in re.finditer(r"<(?!/?[a-z][a-z-]*[ >])", text):
        errs.append("bare '<' at %d" % m.start())
    for m in re.finditer(r"&(?!(lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);)", text):
        errs.append("bare '&' at %d" % m.start())
    c = Checker()
    c.feed(text)
    c.close()
    errs += c.errors
    if c.stack:
        errs.append("unclosed %s" % c.stack)
    return errs


def cmd_html(a):
    with open(a[0]) as f:
        R = json.load(f)
    bad = 0
    for r in R:
        if r["method"] not in ("sendMessage", "editMessageText"):
            continue
        b = body(r)
        if b.get("parse_mode") != "HTML":
            continue
        errs = html_errors(b.get("text", ""))
        if errs:
            bad += 1
            print("# %s: %s in %r" % (r["method"], ", ".join(errs), b.get("text", "")[:300]))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    {"msg": cmd_msg, "cb": cmd_cb, "q": cmd_q, "t": cmd_t, "html": cmd_html}[sys.argv[1]](sys.argv[2:])
