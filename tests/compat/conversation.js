#!/usr/bin/env node
// The scripted group conversation, sent through telegram-test-api's own
// client (lib/modules/telegramClient), with the bot's replies read back.
//
//   node conversation.js --api http://127.0.0.1:PORT --token TOKEN [--timeout 20]
//
// Prints one JSON document on stdout:
//   { "group": ID, "private": ID, "sent": [...], "replies": [...], "error"? }
// where every reply is { chat_id, message_id, text, reply_to_message_id }
// in the order the bot sent them.  Exits 1 (still printing what it has) when
// the expected replies did not all arrive within the timeout, 2 on bad usage.
//
// The script waits for replies by phases: each phase's expectations are
// patterns over the English replies (the test runs the bot with
// KOCBOT_LOCALE=en); the exact checks are made by tests/e2e/compat_tg.sh.
//
// Emulator quirks handled here:
// - Every client message carries botToken (makeMessage/makeCommand add it);
//   a message without one crashes the emulator.
// - The client's getUpdates() retries recursively under p-timeout when
//   nothing is unread, and the abandoned retries keep polling (and marking
//   replies read) forever.  Replies are therefore polled with
//   getUpdatesHistory(), which reads without consuming; getUpdates() is
//   called once per chat at the end, when unread replies are known to exist
//   (it then answers at once), as a cross-check of the two read paths.
// - The client defaults to a private chat; the group messages set the chat
//   type to "supergroup" explicitly (the emulator echoes every chat back as
//   private in its sendMessage results, which the bot does not rely on).
'use strict';

const { TelegramClient } = require('telegram-test-api/lib/modules/telegramClient');

function usage() {
  process.stderr.write('usage: conversation.js --api URL --token TOKEN [--timeout SECONDS]\n');
  process.exit(2);
}
const opt = { timeout: 20 };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  const v = process.argv[i + 1];
  if (v === undefined) usage();
  if (a === '--api') opt.api = v;
  else if (a === '--token') opt.token = v;
  else if (a === '--timeout') opt.timeout = Number(v);
  else usage();
  i++;
}
if (!opt.api || !opt.token || !(opt.timeout > 0)) usage();

const deadline = Date.now() + opt.timeout * 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const GROUP = -1001234567890;
const GROUP_TITLE = 'Compat Group';
const USERS = {
  alice: { userId: 7001, firstName: 'alice', userName: 'alice_compat' },
  bob: { userId: 7002, firstName: 'bob', userName: 'bob_compat' },
  carol: { userId: 7003, firstName: 'carol', userName: 'carol_compat' },
};

// One emulator client per (user, chat): the client object carries both.
function client(user, chat) {
  const u = USERS[user];
  const opts = chat === 'private'
    ? { ...u, chatId: u.userId, type: 'private' }
    : { ...u, chatId: GROUP, chatTitle: GROUP_TITLE, type: 'supergroup' };
  return new TelegramClient(opt.api, opt.token, { ...opts, timeout: 1000, interval: 100 });
}

const out = { group: GROUP, private: USERS.alice.userId, sent: [], replies: [] };

// Plain text of a reply: HTML tags and the bidi isolates around names removed.
function plain(s) {
  return String(s || '').replace(/<[^>]*>/g, '').replace(/[\u2066-\u2069]/g, '');
}

// Bot messages (they have chat_id; user updates have chat) from the history.
async function readReplies(reader) {
  const hist = await reader.getUpdatesHistory();
  const replies = [];
  for (const h of hist || []) {
    const m = h.message || {};
    if (!('chat_id' in m)) continue; // a user message
    const rp = typeof m.reply_parameters === 'string' ? JSON.parse(m.reply_parameters) : m.reply_parameters;
    replies.push({
      chat_id: String(m.chat_id),
      message_id: h.messageId,
      text: m.text,
      reply_to_message_id: rp && rp.message_id !== undefined ? Number(rp.message_id)
        : (m.reply_to_message_id !== undefined ? Number(m.reply_to_message_id) : null),
    });
  }
  return replies;
}

async function send(user, chat, text) {
  const c = client(user, chat);
  const msg = text.startsWith('/') ? c.makeCommand(text) : c.makeMessage(text);
  if (!msg.botToken) throw new Error('refusing to send a message without botToken');
  if (text.startsWith('/')) await c.sendCommand(msg);
  else await c.sendMessage(msg);
  out.sent.push({ user, chat_id: String(msg.chat.id), chat_type: msg.chat.type, date: msg.date, text });
  await sleep(150);
}

// Wait until every pattern matches some reply in `chat` sent after `since`
// replies had been seen; returns false at the deadline.
async function waitFor(reader, chat, since, patterns) {
  for (;;) {
    out.replies = await readReplies(reader);
    const texts = out.replies.slice(since).filter((r) => r.chat_id === String(chat))
      .map((r) => plain(r.text)).join('\n');
    if (patterns.every((p) => p.test(texts))) return true;
    if (Date.now() > deadline) return false;
    await sleep(200);
  }
}

async function main() {
  const reader = client('alice', 'group');
  const phases = [
    {
      name: 'three check-ins',
      chat: GROUP,
      steps: [['alice', 'group', '/checkin'], ['bob', 'group', '/checkin'], ['carol', 'group', '/checkin']],
      expect: [/alice checked in/, /bob checked in/, /carol checked in/],
    },
    {
      name: 'bob again, alice /me',
      chat: GROUP,
      steps: [['bob', 'group', '/checkin'], ['alice', 'group', '/me']],
      expect: [/bob, you already checked in/, /alice\s*\nPoints: \d+/],
    },
    {
      name: 'alice /me in private',
      chat: USERS.alice.userId,
      steps: [['alice', 'private', '/me']],
      expect: [/alice\s*\nPoints: \d+/],
    },
  ];
  for (const ph of phases) {
    const since = out.replies.length;
    for (const [user, chat, text] of ph.steps) await send(user, chat, text);
    if (!(await waitFor(reader, ph.chat, since, ph.expect))) {
      out.error = `timeout after ${opt.timeout} s waiting for: ${ph.name}`;
      return 1;
    }
  }
  // a quiet spell, so a duplicate or late extra reply would be seen
  const quietUntil = Math.min(Date.now() + 2500, deadline);
  while (Date.now() < quietUntil) await sleep(250);
  out.replies = await readReplies(reader);

  // Cross-check with the client's consuming getUpdates() (safe now: every
  // chat polled has unread replies, so it answers without retrying).
  const chats = [...new Set(out.replies.map((r) => r.chat_id))];
  out.unread = {};
  for (const chatId of chats) {
    const u = chatId === String(USERS.alice.userId) ? client('alice', 'private') : reader;
    const res = await u.getUpdates();
    out.unread[chatId] = (res.result || []).map((h) => h.messageId);
  }
  return 0;
}

main().then((rc) => {
  process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
  process.exit(rc);
}, (e) => {
  out.error = `conversation failed: ${e && e.message ? e.message : e}`;
  process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
  process.exit(1);
});
