/* The console's sign-in links and read models; see console.h. */
#include "webconsole.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "community.h"
#include "ctx.h"
#include "dispatch.h"
#include "sha256.h"
#include "tz.h"

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

/* /console revoke (in a direct message): every console session of the
   sender ends now; anyone may end their own, a former operator too. */
static int cmd_console_revoke(struct cmd_ctx *c)
{
    if (c->ev->chat_type != KB_CHAT_PRIVATE)
        return ctx_reply(c, "console.dm_only", NOARGS);
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
                                  "SELECT chat_id FROM chats INDEXED BY chats_private_user WHERE platform = ? AND user_id = ?"
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
        "  AND l.kind = 'points') AS points, c.tz,"
        " coalesce((SELECT level FROM member_levels v WHERE v.member_id = m.id), 0) FROM members m"
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
    struct { int64_t id, points, level; size_t off[5]; } found[50];
    size_t n = 0;
    int rc;
    while ((rc = store_step(e->st, q)) == 1 && n < 50) {
        found[n].id = store_int(q, 0);
        found[n].points = store_int(q, 5);
        found[n].level = store_int(q, 7);
        for (int k = 0; k < 5; k++) {
            found[n].off[k] = strings.len;
            sbuf_add(&strings, store_text(q, k < 4 ? k + 1 : 6));
            sbuf_addc(&strings, '\0');
        }
        n++;
    }
    store_done(q);
    for (size_t i = 0; rc >= 0 && i < n; i++) {
        struct console_ledger_row rows[CONSOLE_LEDGER_ROWS];
        struct sbuf lstrings = {0};
        struct console_member m = {.id = found[i].id, .points = found[i].points,
                                   .level = found[i].level, .tz = strings.s + found[i].off[4],
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

/* ==== the other pages' views ============================================ */

#define OPERATED(col) " (?3 OR " col " IN" OPERATED_SQL ")"
#define TIME_COL(i) (1u << (i))

/* Column 0 of every view is its community's zone (not passed on); columns
   flagged in cols hold instants to show in that zone.
   ?1, ?2: who; ?3: who operates every community; ?4: the argument;
   ?5: now. */
struct view_spec {
    const char *sql;
    unsigned cols;
};

static const struct view_spec views[] = {
    [CV_TASKS] = {"SELECT c.tz, t.id, c.name, t.title, t.tier, t.state, t.points, t.claimed, t.quota,"
                  " t.review, t.deadline, t.community_id FROM tasks t"
                  " JOIN communities c ON c.id = t.community_id WHERE" OPERATED("t.community_id")
                  " ORDER BY t.state = 'open' DESC, t.id DESC LIMIT 100",
                  TIME_COL(10)},
    [CV_CLAIMS] = {"SELECT c.tz, cl.task_id, m.name, cl.state, cl.claimed_at FROM claims cl"
                   " JOIN members m ON m.id = cl.member_id JOIN communities c ON c.id = cl.community_id"
                   " WHERE" OPERATED("cl.community_id") " AND cl.task_id IN (SELECT id FROM tasks"
                   "  ORDER BY state = 'open' DESC, id DESC LIMIT 100)"
                   " ORDER BY cl.task_id, cl.claimed_at LIMIT 2000",
                   TIME_COL(4)},
    [CV_POLLS] = {"SELECT c.tz, p.id, c.name, p.question, p.closed_at IS NULL,"
                  " (SELECT count(*) FROM poll_votes v WHERE v.poll_id = p.id), p.closes_at,"
                  " p.created_at, p.anonymous FROM polls p JOIN communities c ON c.id = p.community_id"
                  " WHERE" OPERATED("p.community_id") " ORDER BY p.id DESC LIMIT 30",
                  TIME_COL(6) | TIME_COL(7)},
    [CV_POLL_OPTIONS] = {"SELECT '', o.poll_id, o.n, o.text, (SELECT count(*) FROM poll_votes v"
                         "  WHERE v.poll_id = o.poll_id AND v.choices >> (o.n - 1) & 1)"
                         " FROM poll_options o JOIN polls p ON p.id = o.poll_id"
                         " WHERE" OPERATED("p.community_id") " AND p.id IN (SELECT id FROM polls"
                         "  ORDER BY id DESC LIMIT 30) ORDER BY o.poll_id, o.n",
                         0},
    [CV_POLL_BY_LEVEL] = {"SELECT '', o.poll_id, o.n, 'Lv ' || coalesce(l.level, 0), count(*)"
                          " FROM poll_options o JOIN polls p ON p.id = o.poll_id"
                          " JOIN poll_votes v ON v.poll_id = o.poll_id AND v.choices >> (o.n - 1) & 1"
                          " LEFT JOIN member_levels l ON l.member_id = v.member_id"
                          " WHERE" OPERATED("p.community_id") " AND p.id IN (SELECT id FROM polls"
                          "  ORDER BY id DESC LIMIT 30)"
                          " GROUP BY o.poll_id, o.n, coalesce(l.level, 0) ORDER BY o.poll_id, o.n, 4",
                          0},
    [CV_POLL_BY_POOL] = {"SELECT '', o.poll_id, o.n, coalesce(pm.pool, ''), count(*)"
                         " FROM poll_options o JOIN polls p ON p.id = o.poll_id"
                         " JOIN poll_votes v ON v.poll_id = o.poll_id AND v.choices >> (o.n - 1) & 1"
                         " LEFT JOIN pool_members pm ON pm.member_id = v.member_id"
                         " WHERE" OPERATED("p.community_id") " AND p.id IN (SELECT id FROM polls"
                         "  ORDER BY id DESC LIMIT 30)"
                         " GROUP BY o.poll_id, o.n, pm.pool ORDER BY o.poll_id, o.n, 4",
                         0},
    [CV_POLL_REASONS] = {"SELECT c.tz, v.poll_id, CASE WHEN p.anonymous THEN '' ELSE m.name END,"
                         " v.choices, v.reason, v.at FROM poll_votes v JOIN polls p ON p.id = v.poll_id"
                         " JOIN members m ON m.id = v.member_id JOIN communities c ON c.id = p.community_id"
                         " WHERE" OPERATED("p.community_id") " AND v.reason <> '' AND p.id IN"
                         " (SELECT id FROM polls ORDER BY id DESC LIMIT 30) ORDER BY v.poll_id, v.at",
                         TIME_COL(5)},
    [CV_TALLY] = {"SELECT '', c.name, l.kind, l.unit,"
                  " sum(CASE WHEN l.reason = 'payout' THEN 0 ELSE l.amount END),"
                  " sum(CASE WHEN l.reason = 'payout' THEN -l.amount ELSE 0 END), sum(l.amount)"
                  " FROM ledger l JOIN communities c ON c.id = l.community_id"
                  " WHERE" OPERATED("l.community_id")
                  " GROUP BY l.community_id, l.kind, l.unit ORDER BY c.name, l.community_id, l.kind, l.unit",
                  0},
    [CV_TALLY_MEMBERS] = {"SELECT '', c.name, m.name, m.platform, m.user_id, l.kind, l.unit,"
                          " sum(CASE WHEN l.reason = 'payout' THEN 0 ELSE l.amount END),"
                          " sum(CASE WHEN l.reason = 'payout' THEN -l.amount ELSE 0 END), sum(l.amount)"
                          " FROM ledger l JOIN communities c ON c.id = l.community_id"
                          " JOIN members m ON m.id = l.member_id WHERE" OPERATED("l.community_id")
                          " GROUP BY l.member_id, l.kind, l.unit ORDER BY c.name, m.id, l.kind, l.unit",
                          0},
    [CV_AUDIT] = {"SELECT c.tz, a.at, c.name, coalesce(m.name, ''), a.action, a.target, a.detail"
                  " FROM audit a JOIN communities c ON c.id = a.community_id"
                  " LEFT JOIN members m ON m.id = a.actor_member_id WHERE" OPERATED("a.community_id")
                  " ORDER BY a.id DESC LIMIT 200",
                  TIME_COL(1)},
    [CV_SCHEDULES] = {"SELECT '', s.id, c.name, s.kind, s.at_min, s.days, s.template, s.active"
                      " FROM schedules s JOIN communities c ON c.id = s.community_id"
                      " WHERE" OPERATED("s.community_id") " ORDER BY c.name, s.active DESC, s.at_min",
                      0},
    /* the day numbers of checkins are already the community's */
    [CV_CHECKINS_DAILY] = {"SELECT '', c.name, c.tz, k.day, count(*), k.community_id FROM checkins k"
                           " JOIN communities c ON c.id = k.community_id WHERE" OPERATED("k.community_id")
                           " AND k.at >= ?5 - 31 * 86400 GROUP BY k.community_id, k.day"
                           " ORDER BY c.name, k.community_id, k.day",
                           0},
    /* weeks start on Monday: day 0 (1970-01-01) was a Thursday */
    [CV_ACTIVE_WEEKLY] = {"SELECT '', c.name, c.tz, x.day - (x.day + 3) % 7 AS monday,"
                          " count(DISTINCT x.member_id), x.community_id"
                          " FROM (SELECT community_id, member_id, day FROM checkins WHERE at >= ?5 - 84 * 86400"
                          "  UNION ALL SELECT community_id, member_id, (claimed_at + ?4) / 86400 FROM claims"
                          "   WHERE claimed_at >= ?5 - 84 * 86400"
                          "  UNION ALL SELECT community_id, member_id, (at + ?4) / 86400 FROM submissions"
                          "   WHERE at >= ?5 - 84 * 86400"
                          "  UNION ALL SELECT p.community_id, v.member_id, (v.at + ?4) / 86400 FROM poll_votes v"
                          "   JOIN polls p ON p.id = v.poll_id WHERE v.at >= ?5 - 84 * 86400) x"
                          " JOIN communities c ON c.id = x.community_id WHERE" OPERATED("x.community_id")
                          " GROUP BY x.community_id, monday ORDER BY c.name, x.community_id, monday",
                          0},
    [CV_MEMBER_HISTORY] = {"SELECT c.tz, h.at, h.what, h.about, h.state FROM ("
                           "  SELECT cl.community_id AS cid, cl.claimed_at AS at, 'claim' AS what,"
                           "   '#' || t.id || ' ' || t.title AS about, cl.state AS state FROM claims cl"
                           "   JOIN tasks t ON t.id = cl.task_id WHERE cl.member_id = ?4"
                           "  UNION ALL SELECT s.community_id, s.at, 'submission', '#' || t.id || ' ' || t.title,"
                           "   s.state FROM submissions s JOIN tasks t ON t.id = s.task_id WHERE s.member_id = ?4"
                           "  UNION ALL SELECT community_id, at, 'level', 'Lv ' || from_level || ' → Lv ' || to_level,"
                           "   cause FROM level_changes WHERE member_id = ?4) h"
                           " JOIN communities c ON c.id = h.cid WHERE" OPERATED("h.cid")
                           " ORDER BY h.at DESC LIMIT 50",
                           TIME_COL(1)},
    [CV_GROUPS] = {"SELECT '', ch.community_id, c.name, ch.platform, ch.chat_id FROM chats ch"
                   " JOIN communities c ON c.id = ch.community_id WHERE ch.is_private = 0 AND ch.active = 1"
                   " AND" OPERATED("ch.community_id") " ORDER BY c.name, ch.community_id, ch.created_at",
                   0},
};

/* A column of a flagged view as the page shows it, in zone tz. */
static void local_text(const char *tz, unsigned cols, int i, sqlite3_stmt *q, char *out, size_t cap)
{
    struct tm tm;
    if ((cols & TIME_COL(i)) && !store_is_null(q, i)) {
        tz_local(tz, store_int(q, i), &tm);
        strftime(out, cap, "%Y-%m-%d %H:%M", &tm);
    } else {
        out[0] = '\0';
    }
}

/* The current UTC offset of a community zone who operates (all alike
   for the weekly view's claims and votes, which carry instants). */
static int64_t zone_offset(struct engine *e, const struct console_identity *who, int64_t now)
{
    sqlite3_stmt *q = store_query(e->st, "SELECT tz FROM communities c WHERE" OPERATED("c.id")
                                         " ORDER BY id LIMIT 1",
                                  VALS(ST(who->platform), ST(who->user_id), SI(operates_all(e, who))));
    struct tm tm = {0};
    if (q && store_step(e->st, q) == 1)
        tz_local(store_text(q, 0), now, &tm);
    store_done(q);
    return tm.tm_gmtoff;
}

int engine_console_view(struct engine *e, const struct console_identity *who,
                        enum console_view view, int64_t arg, int64_t now,
                        void (*row)(void *ud, size_t n, const char *const *cols), void *ud)
{
    if ((size_t)view >= KB_COUNT(views))
        return KB_EINVAL;
    const struct view_spec *v = &views[view];
    if (view == CV_ACTIVE_WEEKLY)
        arg = zone_offset(e, who, now);
    /* bind as many as the view numbers (SQLite refuses one more) */
    size_t used = 0;
    for (const char *p = v->sql; (p = strchr(p, '?')) != NULL; p++)
        if (p[1] >= '1' && p[1] <= '5' && (size_t)(p[1] - '0') > used)
            used = (size_t)(p[1] - '0');
    const struct sval params[] = {ST(who->platform), ST(who->user_id), SI(operates_all(e, who)),
                                  SI(arg), SI(now)};
    sqlite3_stmt *q = store_query(e->st, v->sql, params, used);
    if (!q)
        return KB_ESTORE;
    int rc;
    while ((rc = store_step(e->st, q)) == 1) {
        size_t n = (size_t)store_columns(q) - 1;
        const char *cols[16];
        char local[16][24];
        const char *tz = store_text(q, 0);
        for (size_t i = 0; i < n && i < 16; i++) {
            local_text(tz, v->cols, (int)i + 1, q, local[i], sizeof local[i]);
            cols[i] = local[i][0] ? local[i] : store_text(q, (int)i + 1);
        }
        row(ud, n < 16 ? n : 16, cols);
    }
    store_done(q);
    return rc < 0 ? rc : KB_OK;
}

int engine_console_group_chat(struct engine *e, const struct console_identity *who,
                              int64_t community_id, int64_t task_id, char *chat, size_t cap)
{
    sqlite3_stmt *q = store_query(
        e->st,
        "SELECT ch.chat_id FROM chats ch WHERE ch.platform = ?1 AND ch.is_private = 0"
        " AND ch.active = 1 AND ch.community_id = CASE WHEN ?5 > 0"
        "  THEN (SELECT community_id FROM tasks WHERE id = ?5) ELSE ?4 END"
        " AND" OPERATED("ch.community_id") " ORDER BY ch.created_at LIMIT 1",
        VALS(ST(who->platform), ST(who->user_id), SI(operates_all(e, who)), SI(community_id),
             SI(task_id)));
    int rc = q ? store_step(e->st, q) : KB_ESTORE;
    if (rc == 1)
        snprintf(chat, cap, "%s", store_text(q, 0));
    store_done(q);
    return rc == 1 ? KB_OK : rc < 0 ? rc : KB_ENOTFOUND;
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
       community, so the registry's operator flags cannot decide) */
    {"console", cmd_console, CMD_OPERATOR_HELP, "console.help", "后台"},
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
    {"console.nav.tasks", "任务", "Tasks"},
    {"console.nav.polls", "投票", "Polls"},
    {"console.nav.tally", "奖励汇总", "Tally"},
    {"console.nav.activity", "活跃度", "Activity"},
    {"console.nav.audit", "操作记录", "Audit log"},
    {"console.nav.schedules", "定时发布", "Schedules"},
    {"console.col.community", "社区", "Community"},
    {"console.col.at", "时间", "When"},
    {"console.yes", "是", "yes"},
    {"console.no", "否", "no"},
    {"console.members.level", "等级", "Level"},
    {"console.members.history", "成长记录", "History"},
    {"console.history.title", "成员的成长记录", "A member's history"},
    {"console.history.none", "还没有记录。", "No history yet."},
    {"console.history.what", "事项", "What"},
    {"console.history.about", "内容", "About"},
    {"console.history.state", "状态", "State"},
    {"console.history.claim", "领取任务", "claim"},
    {"console.history.submission", "提交作品", "submission"},
    {"console.history.level", "等级变化", "level change"},
    {"console.tasks.title", "任务与领取情况", "Tasks and their claims"},
    {"console.tasks.new", "发布新任务", "Post a task"},
    {"console.tasks.group", "发布到", "Post in"},
    {"console.tasks.tier", "层级", "Tier"},
    {"console.tasks.name", "标题", "Title"},
    {"console.tasks.points", "奖励积分", "Reward points"},
    {"console.tasks.review", "需要审核", "Needs review"},
    {"console.tasks.more", "其他字段（例如 --deadline 3d --quota 10）",
     "More fields (e.g. --deadline 3d --quota 10)"},
    {"console.tasks.post", "发布", "Post"},
    {"console.tasks.edit", "要修改的字段，例如 --points 30 --quota 5",
     "Fields to change, e.g. --points 30 --quota 5"},
    {"console.tasks.save", "保存修改", "Save changes"},
    {"console.tasks.close", "关闭任务", "Close the task"},
    {"console.tasks.claims", "领取", "Claims"},
    {"console.tasks.deadline", "截止", "Deadline"},
    {"console.tasks.none", "还没有任务。", "No task yet."},
    {"console.tasks.no_claims", "还没有人领取。", "Nobody has claimed it yet."},
    {"console.tasks.no_group", "没有可以发布的群：机器人需要在这个平台的群里。",
     "No group to post in: the bot has to be in a group on this platform."},
    {"console.tasks.need_title", "请填写标题（标题里不能有 --），积分须为非负整数。",
     "Give the task a title (without --) and a whole number of points, 0 or more."},
    {"console.tasks.need_changes", "请写明要修改的字段，例如 --points 30。",
     "Say which fields to change, e.g. --points 30."},
    {"console.tier.basic", "筑基", "basic"},
    {"console.tier.explore", "探索", "explore"},
    {"console.tier.precision", "精准", "precision"},
    {"console.tier.cobuild", "共建", "co-build"},
    {"console.state.open", "进行中", "open"},
    {"console.state.closed", "已关闭", "closed"},
    {"console.state.cancelled", "已取消", "cancelled"},
    {"console.state.claimed", "已领取", "claimed"},
    {"console.state.submitted", "已提交", "submitted"},
    {"console.state.rejected", "已退回", "returned"},
    {"console.state.approved", "已通过", "approved"},
    {"console.state.withdrawn", "已放弃", "withdrawn"},
    {"console.state.pending", "待审核", "waiting for review"},
    {"console.state.superseded", "已被新提交替换", "replaced by a newer one"},
    {"console.state.rules", "按规则", "by the rules"},
    {"console.state.set", "运营设置", "set by an operator"},
    {"console.polls.title", "投票结果与理由", "Polls: results and reasons"},
    {"console.polls.open", "进行中", "open"},
    {"console.polls.closed", "已结束", "closed"},
    {"console.polls.votes", "票", "votes"},
    {"console.polls.closes", "截止", "closes"},
    {"console.polls.anonymous", "匿名", "anonymous"},
    {"console.polls.reasons", "投票理由", "Reasons"},
    {"console.polls.split", "分组查看：", "Split by:"},
    {"console.polls.split.none", "不分组", "none"},
    {"console.polls.split.level", "按等级", "level"},
    {"console.polls.split.pool", "按人才库", "pool"},
    {"console.polls.no_pool", "不在人才库", "no pool"},
    {"console.polls.none", "还没有投票。", "No poll yet."},
    {"console.tally.title", "奖励汇总（按类型和币种）", "Tally by kind and currency"},
    {"console.tally.kind", "类型", "Kind"},
    {"console.tally.unit", "单位", "Unit"},
    {"console.tally.earned", "已获得", "Earned"},
    {"console.tally.paid", "已发放", "Paid"},
    {"console.tally.owed", "待发放", "Owed"},
    {"console.tally.csv", "下载 CSV（每位成员一行）", "Download CSV (a line per member)"},
    {"console.tally.csv_header", "社区,成员,平台,用户ID,类型,单位,已获得,已发放,待发放",
     "community,member,platform,user_id,kind,unit,earned,paid,owed"},
    {"console.tally.none", "还没有发放任何奖励。", "Nothing awarded yet."},
    {"console.kind.points", "积分", "points"},
    {"console.kind.cash", "现金", "cash"},
    {"console.kind.gift", "礼品", "gift"},
    {"console.kind.badge", "徽章", "badge"},
    {"console.kind.title", "头衔", "title"},
    {"console.activity.checkins", "每日签到人数（近 30 天）", "Check-ins per day (last 30 days)"},
    {"console.activity.active", "每周活跃成员（近 12 周：签到、投票、领取或提交过）",
     "Active members per week (last 12 weeks: checked in, voted, claimed or submitted)"},
    {"console.activity.none", "暂时没有数据。", "No data yet."},
    {"console.audit.title", "操作记录", "Audit log"},
    {"console.audit.actor", "操作人", "Who"},
    {"console.audit.action", "操作", "Action"},
    {"console.audit.target", "对象", "Target"},
    {"console.audit.detail", "详情", "Detail"},
    {"console.audit.none", "还没有操作记录。", "Nothing recorded yet."},
    {"console.schedules.title", "定时发布", "Scheduled posts"},
    {"console.schedules.kind", "类型", "Kind"},
    {"console.schedules.time", "时间（社区时区）", "Time (the community's zone)"},
    {"console.schedules.days", "星期", "Days"},
    {"console.schedules.template", "内容", "Text"},
    {"console.schedules.active", "启用", "On"},
    {"console.schedules.default", "（默认文案）", "(the default text)"},
    {"console.schedules.none", "还没有定时发布。", "No scheduled post."},
    {"console.schedules.day_names", "周日 周一 周二 周三 周四 周五 周六", "Sun Mon Tue Wed Thu Fri Sat"},
    {"console.sched.greet", "早安问候", "morning greeting"},
    {"console.sched.night", "晚安", "good night"},
    {"console.sched.weekly", "周榜", "weekly leaderboard"},
    {"console.sched.streak", "连签提醒", "streak keeper"},
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
