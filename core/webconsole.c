/* The console's sign-in links and read models; see console.h. */
#include "webconsole.h"

#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "community.h"
#include "ctx.h"
#include "dispatch.h"
#include "sha256.h"

/* The owner or a configured operator of every community (the "operators"
   setting); operators listed in a community's own table see that one. */
static int operates_all(const struct engine *e, const struct console_identity *who)
{
    if (community_is_owner(e, who->platform, who->user_id))
        return 1;
    size_t plen = strlen(who->platform);
    for (size_t i = 0; i < e->set.n_operators; i++) {
        const char *op = e->set.operators[i];
        if (!strncmp(op, who->platform, plen) && op[plen] == ':' && !strcmp(op + plen + 1, who->user_id))
            return 1;
    }
    return 0;
}

/* who operates at least one community. */
static int operates_any(struct engine *e, const struct console_identity *who)
{
    int64_t one = 0;
    return operates_all(e, who) ||
           store_i64(e->st, &one, "SELECT 1 FROM operators WHERE platform = ? AND user_id = ? LIMIT 1",
                     VALS(ST(who->platform), ST(who->user_id))) == KB_OK;
}

/* A fresh secret of CONSOLE_SECRET_HEX hex digits (SQLite's CSPRNG) into out. */
static int new_secret(struct store *st, char out[CONSOLE_SECRET_HEX + 1])
{
    sqlite3_stmt *q = store_query(st, "SELECT lower(hex(randomblob(?)))",
                                  VALS(SI(CONSOLE_SECRET_HEX / 2)));
    int rc = q ? store_step(st, q) : KB_ESTORE;
    if (rc == 1)
        snprintf(out, CONSOLE_SECRET_HEX + 1, "%s", store_text(q, 0));
    store_done(q);
    return rc == 1 ? KB_OK : rc < 0 ? rc : KB_ESTORE;
}

/* The stored form of a secret: its SHA-256 (a leaked database holds no
   link or session that works). */
static void secret_hash(const char *secret, char out[SHA256_HEX + 1])
{
    sha256_hex(secret, strlen(secret), out);
}

static int is_secret(const char *s)
{
    if (!s || strlen(s) != CONSOLE_SECRET_HEX)
        return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return 0;
    return 1;
}

/* /console: a link that signs this operator in once, within 10 minutes. */
static int cmd_console(struct cmd_ctx *c)
{
    if (c->ev->chat_type != KB_CHAT_PRIVATE)
        return ctx_reply(c, "console.dm_only", NOARGS);
    if (!c->e->set.console_url)
        return ctx_reply(c, "console.off", NOARGS);
    struct console_identity who = {0};
    snprintf(who.platform, sizeof who.platform, "%s", c->ev->platform);
    snprintf(who.user_id, sizeof who.user_id, "%s", c->ev->user_id);
    if (!operates_any(c->e, &who))
        return ctx_refuse(c, "engine.operators_only", NOARGS);
    char token[CONSOLE_SECRET_HEX + 1], hash[SHA256_HEX + 1];
    int rc = store_exec(c->st, "DELETE FROM console_links WHERE expires_at < ?", VALS(SI(c->now)));
    if (!rc)
        rc = new_secret(c->st, token);
    if (rc)
        return rc;
    secret_hash(token, hash);
    rc = store_exec(c->st,
                    "INSERT INTO console_links(token_hash, platform, user_id, expires_at)"
                    " VALUES (?, ?, ?, ?)",
                    VALS(ST(hash), ST(c->ev->platform), ST(c->ev->user_id),
                         SI(c->now + CONSOLE_LINK_TTL_S)));
    if (rc)
        return rc;
    struct sbuf url = {0};
    sbuf_addf(&url, "%s/console/login?t=%s", c->e->set.console_url, token);
    rc = ctx_reply(c, "console.link", ARGS(TS("url", url.s), TI("minutes", CONSOLE_LINK_TTL_S / 60)));
    sbuf_free(&url);
    return rc;
}

/* /console revoke: every console session of the sender ends now. */
static int cmd_console_revoke(struct cmd_ctx *c)
{
    int rc = store_exec(c->st,
                        "UPDATE console_sessions SET revoked_at = ? WHERE platform = ? AND user_id = ?"
                        " AND revoked_at IS NULL AND expires_at > ?",
                        VALS(SI(c->now), ST(c->ev->platform), ST(c->ev->user_id), SI(c->now)));
    if (rc)
        return rc;
    int64_t n = store_changes(c->st);
    char count[24];
    snprintf(count, sizeof count, "%lld", (long long)n);
    rc = audit_add(c, "console.revoke", NULL, count);
    return rc ? rc : ctx_reply(c, "console.revoked", ARGS(TI("n", n)));
}

int engine_console_redeem(struct engine *e, const char *token, int64_t now,
                          struct console_identity *who, char sid[CONSOLE_SECRET_HEX + 1])
{
    if (!is_secret(token))
        return KB_EDENIED;
    char hash[SHA256_HEX + 1];
    secret_hash(token, hash);
    int rc = store_begin(e->st);
    if (rc)
        return rc;
    sqlite3_stmt *q = store_query(e->st,
                                  "UPDATE console_links SET used_at = ?1 WHERE token_hash = ?2"
                                  " AND used_at IS NULL AND expires_at >= ?1"
                                  " RETURNING platform, user_id",
                                  VALS(SI(now), ST(hash)));
    rc = q ? store_step(e->st, q) : KB_ESTORE;
    if (rc == 1) {
        snprintf(who->platform, sizeof who->platform, "%s", store_text(q, 0));
        snprintf(who->user_id, sizeof who->user_id, "%s", store_text(q, 1));
    }
    store_done(q);
    if (rc != 1) {
        store_rollback(e->st);
        return rc < 0 ? rc : KB_EDENIED;
    }
    q = store_query(e->st, "SELECT name FROM members WHERE platform = ? AND user_id = ?"
                           " ORDER BY last_seen DESC LIMIT 1",
                    VALS(ST(who->platform), ST(who->user_id)));
    snprintf(who->name, sizeof who->name, "%s",
             q && store_step(e->st, q) == 1 ? store_text(q, 0) : who->user_id);
    store_done(q);
    rc = new_secret(e->st, sid);
    if (!rc) {
        secret_hash(sid, hash);
        rc = store_exec(e->st, "DELETE FROM console_sessions WHERE expires_at < ?", VALS(SI(now)));
        if (!rc)
            rc = store_exec(e->st,
                            "INSERT INTO console_sessions(id_hash, platform, user_id, name,"
                            " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                            VALS(ST(hash), ST(who->platform), ST(who->user_id), ST(who->name),
                                 SI(now), SI(now + CONSOLE_SESSION_S)));
    }
    if (!rc)
        rc = store_commit(e->st);
    if (rc)
        store_rollback(e->st);
    return rc;
}

int engine_console_session(struct engine *e, const char *sid, int64_t now,
                           struct console_identity *who)
{
    if (!is_secret(sid))
        return KB_EDENIED;
    char hash[SHA256_HEX + 1];
    secret_hash(sid, hash);
    sqlite3_stmt *q = store_query(e->st,
                                  "SELECT platform, user_id, name FROM console_sessions"
                                  " WHERE id_hash = ? AND revoked_at IS NULL AND expires_at > ?",
                                  VALS(ST(hash), SI(now)));
    int rc = q ? store_step(e->st, q) : KB_ESTORE;
    if (rc == 1) {
        snprintf(who->platform, sizeof who->platform, "%s", store_text(q, 0));
        snprintf(who->user_id, sizeof who->user_id, "%s", store_text(q, 1));
        snprintf(who->name, sizeof who->name, "%s", store_text(q, 2));
    }
    store_done(q);
    return rc == 1 ? KB_OK : rc < 0 ? rc : KB_EDENIED;
}

int engine_console_sign_out(struct engine *e, const char *sid, int64_t now)
{
    if (!is_secret(sid))
        return KB_EDENIED;
    char hash[SHA256_HEX + 1];
    secret_hash(sid, hash);
    return store_exec(e->st,
                      "UPDATE console_sessions SET revoked_at = ? WHERE id_hash = ?"
                      " AND revoked_at IS NULL",
                      VALS(SI(now), ST(hash)));
}

int engine_console_dm_chat(struct engine *e, const struct console_identity *who, char *chat,
                           size_t cap)
{
    sqlite3_stmt *q = store_query(e->st,
                                  "SELECT chat_id FROM chats WHERE platform = ? AND user_id = ?"
                                  " AND is_private = 1 ORDER BY created_at DESC LIMIT 1",
                                  VALS(ST(who->platform), ST(who->user_id)));
    int rc = q ? store_step(e->st, q) : KB_ESTORE;
    if (rc == 1)
        snprintf(chat, cap, "%s", store_text(q, 0));
    store_done(q);
    return rc == 1 ? KB_OK : rc < 0 ? rc : KB_ENOTFOUND;
}

/* The communities who operates, as SQL over ?1 = platform, ?2 = user id. */
#define OPERATED_SQL " (SELECT community_id FROM operators WHERE platform = ?1 AND user_id = ?2)"

int engine_console_reviews(struct engine *e, const struct console_identity *who,
                           void (*row)(void *ud, const struct console_review *r), void *ud)
{
    sqlite3_stmt *q = store_query(
        e->st,
        "SELECT s.id, s.community_id, c.name, t.title, m.name, s.text, coalesce(s.attachment, ''),"
        " s.platform, s.chat_id, s.at FROM submissions s"
        " JOIN tasks t ON t.id = s.task_id JOIN members m ON m.id = s.member_id"
        " JOIN communities c ON c.id = s.community_id"
        " WHERE s.state = 'pending' AND (?3 OR s.community_id IN" OPERATED_SQL ")"
        " ORDER BY s.at, s.id LIMIT 200",
        VALS(ST(who->platform), ST(who->user_id), SI(operates_all(e, who))));
    if (!q)
        return KB_ESTORE;
    int rc;
    while ((rc = store_step(e->st, q)) == 1) {
        struct console_review r = {
            .id = store_int(q, 0), .community_id = store_int(q, 1), .community = store_text(q, 2),
            .task = store_text(q, 3), .member = store_text(q, 4), .text = store_text(q, 5),
            .attachment = store_text(q, 6), .platform = store_text(q, 7),
            .chat_id = store_text(q, 8), .at = store_int(q, 9)};
        row(ud, &r);
    }
    store_done(q);
    return rc < 0 ? rc : KB_OK;
}

int engine_console_may_review(struct engine *e, const struct console_identity *who, int64_t id)
{
    int64_t one = 0;
    return store_i64(e->st, &one,
                     "SELECT 1 FROM submissions WHERE id = ?4 AND (?3 OR community_id IN"
                     OPERATED_SQL ")",
                     VALS(ST(who->platform), ST(who->user_id), SI(operates_all(e, who)),
                          SI(id))) == KB_OK;
}

/* Up to CONSOLE_LEDGER_ROWS rows of member id, newest first, into m. */
static int member_ledger(struct engine *e, struct console_member *m,
                         struct console_ledger_row *rows, struct sbuf *strings)
{
    sqlite3_stmt *q = store_query(e->st,
                                  "SELECT kind, unit, reason, ref, note, amount, at FROM ledger"
                                  " WHERE member_id = ? ORDER BY id DESC LIMIT ?",
                                  VALS(SI(m->id), SI(CONSOLE_LEDGER_ROWS)));
    if (!q)
        return KB_ESTORE;
    int rc;
    size_t offs[CONSOLE_LEDGER_ROWS][5];
    m->n_ledger = 0;
    while ((rc = store_step(e->st, q)) == 1 && m->n_ledger < CONSOLE_LEDGER_ROWS) {
        for (int k = 0; k < 5; k++) { /* strings outlive the statement in one buffer */
            offs[m->n_ledger][k] = strings->len;
            sbuf_add(strings, store_text(q, k));
            sbuf_addc(strings, '\0');
        }
        rows[m->n_ledger].amount = store_int(q, 5);
        rows[m->n_ledger].at = store_int(q, 6);
        m->n_ledger++;
    }
    store_done(q);
    for (size_t i = 0; i < m->n_ledger; i++) {
        const char **f[5] = {&rows[i].kind, &rows[i].unit, &rows[i].reason, &rows[i].ref,
                             &rows[i].note};
        for (int k = 0; k < 5; k++)
            *f[k] = strings->s + offs[i][k];
    }
    m->ledger = rows;
    return rc < 0 ? rc : KB_OK;
}

int engine_console_members(struct engine *e, const struct console_identity *who,
                           const char *search,
                           void (*row)(void *ud, const struct console_member *m), void *ud)
{
    sqlite3_stmt *q = store_query(
        e->st,
        "SELECT m.id, c.name, m.name, m.platform, m.user_id,"
        " (SELECT coalesce(sum(amount), 0) FROM ledger l WHERE l.member_id = m.id"
        "  AND l.kind = 'points') AS points FROM members m"
        " JOIN communities c ON c.id = m.community_id"
        " WHERE m.linked_to IS NULL AND (?3 OR m.community_id IN" OPERATED_SQL ")"
        " AND (?4 = '' OR instr(m.name, ?4) OR instr(coalesce(m.handle, ''), ?4)"
        "  OR m.user_id = ?4)"
        " ORDER BY points DESC, m.id LIMIT 50",
        VALS(ST(who->platform), ST(who->user_id), SI(operates_all(e, who)), ST(search)));
    if (!q)
        return KB_ESTORE;
    /* read the members first: the ledger queries need the store's statements */
    struct sbuf strings = {0};
    struct { int64_t id, points; size_t off[4]; } found[50];
    size_t n = 0;
    int rc;
    while ((rc = store_step(e->st, q)) == 1 && n < 50) {
        found[n].id = store_int(q, 0);
        found[n].points = store_int(q, 5);
        for (int k = 0; k < 4; k++) {
            found[n].off[k] = strings.len;
            sbuf_add(&strings, store_text(q, k + 1));
            sbuf_addc(&strings, '\0');
        }
        n++;
    }
    store_done(q);
    for (size_t i = 0; rc >= 0 && i < n; i++) {
        struct console_ledger_row rows[CONSOLE_LEDGER_ROWS];
        struct sbuf lstrings = {0};
        struct console_member m = {.id = found[i].id, .points = found[i].points,
                                   .community = strings.s + found[i].off[0],
                                   .name = strings.s + found[i].off[1],
                                   .platform = strings.s + found[i].off[2],
                                   .user_id = strings.s + found[i].off[3]};
        rc = member_ledger(e, &m, rows, &lstrings);
        if (rc >= 0)
            row(ud, &m);
        sbuf_free(&lstrings);
    }
    sbuf_free(&strings);
    return rc < 0 ? rc : KB_OK;
}

int engine_console_attachment(struct engine *e, const struct console_identity *who, int64_t id,
                              char *platform, size_t pcap, char *attachment, size_t acap)
{
    sqlite3_stmt *q = store_query(e->st,
                                  "SELECT platform, attachment FROM submissions WHERE id = ?4"
                                  " AND attachment IS NOT NULL AND (?3 OR community_id IN"
                                  OPERATED_SQL ")",
                                  VALS(ST(who->platform), ST(who->user_id),
                                       SI(operates_all(e, who)), SI(id)));
    int rc = q ? store_step(e->st, q) : KB_ESTORE;
    if (rc == 1) {
        snprintf(platform, pcap, "%s", store_text(q, 0));
        snprintf(attachment, acap, "%s", store_text(q, 1));
    }
    store_done(q);
    return rc == 1 ? KB_OK : rc < 0 ? rc : KB_ENOTFOUND;
}

const char *engine_console_verdict_command(const char *verdict)
{
    if (!strcmp(verdict, "approve") || !strcmp(verdict, "reject"))
        return verdict;
    if (!strcmp(verdict, "revise"))
        return dispatch_has_command("revise") ? "revise" : "reject";
    return NULL;
}

int engine_console_submission_chat(struct engine *e, int64_t id, char *chat, size_t cap)
{
    sqlite3_stmt *q = store_query(e->st, "SELECT chat_id FROM submissions WHERE id = ?",
                                  VALS(SI(id)));
    int rc = q ? store_step(e->st, q) : KB_ESTORE;
    if (rc == 1)
        snprintf(chat, cap, "%s", store_text(q, 0));
    store_done(q);
    return rc == 1 ? KB_OK : rc < 0 ? rc : KB_ENOTFOUND;
}

static const struct cmd_spec commands[] = {
    /* any community's operator may ask, in a direct message (which belongs to no
       community, so the registry's operator flags cannot decide): not listed in /help */
    {"console", cmd_console, CMD_HIDDEN, "console.help", "后台"},
};

static const struct cmd_sub subs[] = {
    {"console", "revoke", cmd_console_revoke, 0, 0, 0},
};

static const struct text_entry texts[] = {
    {"console.help", "/console — 在私聊中获取运营后台的一次性登录链接；/console revoke 退出所有已登录的后台",
     "/console — a one-time sign-in link to the operator console (in a direct message);"
     " /console revoke signs out every console session"},
    {"audit.console.revoke", "退出所有后台会话", "signed out of every console session"},
    {"console.revoked", "已退出所有运营后台会话（{n} 个）。", "Signed out of every console session ({n})."},
    {"console.dm_only", "为了安全，请在与我的私聊中发送 /console。",
     "For safety, send /console in a direct message to me."},
    {"console.off", "运营后台尚未开启（需要配置 http.listen 和 http.public_url）。",
     "The operator console is not enabled (it needs http.listen and http.public_url)."},
    {"console.link", "运营后台登录链接（{minutes} 分钟内有效，仅可使用一次）：\n{url}",
     "Your operator console sign-in link (valid {minutes} minutes, works once):\n{url}"},
    /* the web pages' words */
    {"console.nav.review", "审核", "Review"},
    {"console.nav.members", "成员", "Members"},
    {"console.members.title", "成员与积分流水", "Members and their ledger"},
    {"console.members.search", "按名字、用户名或 ID 搜索", "Search by name, handle or id"},
    {"console.members.find", "搜索", "Search"},
    {"console.members.none", "没有找到成员。", "No member found."},
    {"console.members.points", "积分", "Points"},
    {"console.members.no_ledger", "还没有流水。", "No ledger rows yet."},
    {"console.page.title", "运营后台", "Operator console"},
    {"console.review.title", "待审核的提交", "Submissions to review"},
    {"console.review.empty", "没有待审核的提交。", "Nothing waiting for review."},
    {"console.review.by", "提交人", "By"},
    {"console.review.task", "任务", "Task"},
    {"console.review.attachment", "附件", "Attachment"},
    {"console.review.note", "备注（通过时可不填；退回时必填，会告诉成员）",
     "Note (optional to approve, needed to ask for changes or reject; the member sees it)"},
    {"console.review.download", "下载附件", "Download the attachment"},
    {"console.review.approve", "通过", "Approve"},
    {"console.review.revise", "退回修改", "Ask for changes"},
    {"console.review.reject", "不通过", "Reject"},
    {"console.review.need_note", "退回或不通过时请写明原因，成员会看到。",
     "Say why in the note when asking for changes or rejecting: the member sees it."},
    {"console.review.elsewhere", "这条提交来自其他平台，请在那里审核。",
     "This submission came from another platform: review it there."},
    {"console.review.sent", "已提交，结果见群内回复。", "Done: the group has been told."},
    {"console.signed_in_as", "当前登录：{name}", "Signed in as {name}"},
    {"console.logout", "退出登录", "Sign out"},
    {"console.revoke", "退出所有设备", "Sign out everywhere"},
    {"console.signed_out", "已退出。需要时请在私聊中再次发送 /console。",
     "Signed out. Send /console in a direct message to sign in again."},
    {"console.link_refused", "链接无效、已使用或已过期。请在私聊中发送 /console 获取新链接。",
     "This link is wrong, used or expired. Send /console in a direct message for a new one."},
    {"console.need_login", "请先登录：在与我的私聊中发送 /console。",
     "Please sign in first: send /console in a direct message to me."},
    {"console.forbidden", "请求被拒绝（会话已过期或表单无效），请刷新页面后重试。",
     "Request refused (the session expired or the form is not valid): reload the page and try again."},
};

static const char *const migrations[] = {
    /* a link is worthless once used or expired; rows go at the next /console */
    "CREATE TABLE console_links ("
    "  token TEXT PRIMARY KEY,"
    "  platform TEXT NOT NULL,"
    "  user_id TEXT NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  used_at INTEGER"
    ") STRICT;",
    /* only hashes of links and sessions are kept: a copy of the database
       signs nobody in; sessions outlive a restart and can be revoked */
    "DROP TABLE console_links;"
    "CREATE TABLE console_links ("
    "  token_hash TEXT PRIMARY KEY,"
    "  platform TEXT NOT NULL,"
    "  user_id TEXT NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  used_at INTEGER"
    ") STRICT;"
    "CREATE TABLE console_sessions ("
    "  id_hash TEXT PRIMARY KEY,"
    "  platform TEXT NOT NULL,"
    "  user_id TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  revoked_at INTEGER"
    ") STRICT;"
    "CREATE INDEX console_sessions_who ON console_sessions(platform, user_id);",
};

const struct kb_module webconsole_module = {
    .name = "webconsole",
    .commands = commands,
    .n_commands = KB_COUNT(commands),
    .texts = texts,
    .n_texts = KB_COUNT(texts),
    .subs = subs,
    .n_subs = KB_COUNT(subs),
    .migrations = migrations,
    .n_migrations = KB_COUNT(migrations),
};
