/*
 * Titles with a term and duties; see term.h.  A term row is open while
 * ended_at is NULL; the tick reminds the holder term_remind_s before the
 * end (fired mark "term-remind:<id>") and at the end takes the title back:
 * the ledger row (reason "expire", ref "term:<id>") is unique, so a replay
 * after a crash cannot take it twice, and the row, the audit entry and the
 * post commit together.
 */
#include "term.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defn.h"
#include "growth.h"
#include "ledger.h"
#include "once.h"
#include "outbox.h"
#include "standing.h"
#include "task.h"

#define TERM_BATCH 100

int term_record(struct cmd_ctx *c, int64_t member_id, const char *title, int64_t until, const char *duty)
{
    /* a renewal keeps what it does not restate (the duties, or the end) */
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT coalesce(until_at, 0), duty FROM title_terms"
                                  " WHERE member_id = ? AND title = ? AND ended_at IS NULL",
                                  VALS(SI(member_id), ST(title)));
    if (!s)
        return store_failure(c->st);
    int rc = store_step(c->st, s);
    char *kept = xstrdup(rc == 1 && !duty ? store_text(s, 1) : duty ? duty : "");
    if (rc == 1 && !until)
        until = store_int(s, 0);
    store_done(s);
    rc = rc < 0 ? rc
                : store_exec(c->st,
                             "UPDATE title_terms SET ended_at = ?3, ended_how = 'renewed'"
                             " WHERE member_id = ?1 AND title = ?2 AND ended_at IS NULL",
                             VALS(SI(member_id), ST(title), SI(c->now)));
    if (!rc)
        rc = store_exec(c->st,
                        "INSERT INTO title_terms(community_id, member_id, title, until_at, duty, granted_by, granted_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)",
                        VALS(SI(c->comm.id), SI(member_id), ST(title), until ? SI(until) : SN, ST(kept),
                             SI(c->member_id), SI(c->now)));
    free(kept);
    return rc;
}

int term_close(struct cmd_ctx *c, int64_t member_id, const char *title)
{
    return store_exec(c->st,
                      "UPDATE title_terms SET ended_at = ?3, ended_how = 'revoked'"
                      " WHERE member_id = ?1 AND title = ?2 AND ended_at IS NULL",
                      VALS(SI(member_id), ST(title), SI(c->now)));
}

int term_until(struct engine *e, int64_t member_id, const char *title, int64_t *until)
{
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT coalesce(until_at, 0) FROM title_terms"
                                  " WHERE member_id = ? AND title = ? AND ended_at IS NULL",
                                  VALS(SI(member_id), ST(title)));
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    if (rc == 1)
        *until = store_int(s, 0);
    store_done(s);
    return rc < 0 ? rc : rc == 1 ? KB_OK : KB_ENOTFOUND;
}

/* ==== the tick: reminders and expiries ================================== */

struct due_term {
    int64_t id, community, member, until;
    char *title;
};

/* Open terms whose instant (the end, or the reminder before it) has come;
   remind = 1 also skips terms already reminded or granted inside the
   reminder window (the holder was told the end when it was granted). */
static int due_terms(struct engine *e, int64_t now, int remind, struct due_term *out, size_t *n)
{
    *n = 0;
    sqlite3_stmt *q = remind
        ? store_query(e->st,
                      "SELECT id, community_id, member_id, until_at, title FROM title_terms"
                      " WHERE ended_at IS NULL AND until_at IS NOT NULL AND until_at > ?1"
                      " AND until_at - ?2 <= ?1 AND granted_at < until_at - ?2"
                      " AND NOT EXISTS (SELECT 1 FROM fired f WHERE f.key = 'term-remind:' || id)"
                      " ORDER BY until_at LIMIT 100",
                      VALS(SI(now), SI(e->set.term_remind_s)))
        : store_query(e->st,
                      "SELECT id, community_id, member_id, until_at, title FROM title_terms"
                      " WHERE ended_at IS NULL AND until_at IS NOT NULL AND until_at <= ?1"
                      " ORDER BY until_at LIMIT 100",
                      VALS(SI(now)));
    if (!q)
        return store_failure(e->st);
    int rc = KB_OK;
    while (*n < TERM_BATCH && (rc = store_step(e->st, q)) == 1) {
        out[*n] = (struct due_term){store_int(q, 0), store_int(q, 1), store_int(q, 2), store_int(q, 3),
                                    xstrdup(store_text(q, 4))};
        (*n)++;
    }
    store_done(q);
    return rc < 0 ? rc : KB_OK;
}

static int remind_one(struct engine *e, const struct due_term *t, int64_t now)
{
    char mark[48];
    snprintf(mark, sizeof mark, "term-remind:%lld", (long long)t->id);
    int first = 0;
    struct community comm;
    int rc = once_mark(e, mark, now, &first);
    if (rc || !first)
        return rc;
    if ((rc = community_load(e, t->community, &comm)) != KB_OK)
        return rc;
    char when[32];
    when_format(t->until, comm.tz, when, sizeof when);
    struct sbuf who = {0}, b = {0};
    member_name(e, t->member, &who);
    text_format(&b, comm.locale, "term.remind", ARGS(TS("name", who.s), TU("title", t->title), TS("until", when)));
    rc = growth_tell(e, t->community, t->member, comm.locale, b.s, now);
    sbuf_free(&who);
    sbuf_free(&b);
    return rc;
}

static int expire_one(struct engine *e, const struct due_term *t, int64_t now)
{
    char ref[40], target[32];
    snprintf(ref, sizeof ref, "term:%lld", (long long)t->id);
    growth_member_target(t->member, target, sizeof target);
    int64_t held = 0;
    int added = 0;
    int rc = ledger_balance(e, t->member, "title", t->title, &held);
    struct ledger_entry le = {.community_id = t->community, .member_id = t->member, .kind = "title",
                              .amount = -1, .unit = t->title, .reason = "expire", .ref = ref, .at = t->until};
    if (!rc && held > 0)
        rc = ledger_add(e, &le, &added);
    if (!rc)
        rc = store_exec(e->st, "UPDATE title_terms SET ended_at = ?, ended_how = 'expired' WHERE id = ?",
                        VALS(SI(now), SI(t->id)));
    if (!rc)
        rc = growth_audit_system(e, t->community, "title.expire", target, t->title, now);
    struct community comm;
    if (!rc && added)
        rc = community_load(e, t->community, &comm);
    if (!rc && added) {
        struct sbuf who = {0}, b = {0};
        member_name(e, t->member, &who);
        text_format(&b, comm.locale, "term.expired", ARGS(TS("name", who.s), TU("title", t->title)));
        rc = community_post(e, t->community, b.s, NULL, NULL, now);
        sbuf_free(&who);
        sbuf_free(&b);
    }
    return rc;
}

static int term_tick(struct engine *e, int64_t now)
{
    struct due_term d[TERM_BATCH];
    size_t n = 0;
    int rc = KB_OK;
    for (int remind = 1; remind >= 0 && !rc; remind--) {
        if (remind && e->set.term_remind_s <= 0)
            continue;
        rc = due_terms(e, now, remind, d, &n);
        for (size_t i = 0; i < n; i++) {
            if (!rc)
                rc = remind ? remind_one(e, &d[i], now) : expire_one(e, &d[i], now);
            free(d[i].title);
        }
    }
    return rc;
}

static int64_t term_next_due(struct engine *e, int64_t now)
{
    int64_t t = -1;
    int rc = store_i64(e->st, &t,
                       "SELECT min(x) FROM ("
                       " SELECT until_at AS x FROM title_terms WHERE ended_at IS NULL AND until_at IS NOT NULL"
                       " UNION ALL"
                       " SELECT until_at - ?2 FROM title_terms WHERE ?2 > 0 AND ended_at IS NULL"
                       "  AND until_at > ?1 AND granted_at < until_at - ?2"
                       "  AND NOT EXISTS (SELECT 1 FROM fired f WHERE f.key = 'term-remind:' || id))",
                       VALS(SI(now), SI(e->set.term_remind_s)));
    return rc ? -1 : t;
}

/* ==== /me =============================================================== */

static int term_me_lines(struct cmd_ctx *c, struct sbuf *out)
{
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT title, coalesce(until_at, 0), duty FROM title_terms"
                                  " WHERE member_id = ? AND ended_at IS NULL ORDER BY id",
                                  VALS(SI(c->member_id)));
    if (!s)
        return store_failure(c->st);
    int rc = KB_OK;
    while ((rc = store_step(c->st, s)) == 1) {
        int64_t until = store_int(s, 1);
        const char *duty = store_text(s, 2);
        if (!until && !*duty)
            continue;
        char when[32] = "";
        if (until)
            when_format(until, c->comm.tz, when, sizeof when);
        struct sbuf d = {0};
        text_user_block(&d, duty);
        sbuf_addc(out, '\n');
        text_format(out, c->lang, !until ? "term.me_duty" : *duty ? "term.me_term_duty" : "term.me_term",
                    ARGS(TU("title", store_text(s, 0)), TS("until", when), TS("duty", d.s)));
        sbuf_free(&d);
    }
    store_done(s);
    return rc < 0 ? rc : KB_OK;
}

static const char *const migrations[] = {
    /* 1: the term and duties of a granted title; one open row per member
          and title (ended_at NULL), closed as expired, revoked or renewed */
    "CREATE TABLE title_terms ("
    "  id INTEGER PRIMARY KEY,"
    "  community_id INTEGER NOT NULL,"
    "  member_id INTEGER NOT NULL,"
    "  title TEXT NOT NULL,"
    "  until_at INTEGER,"                 /* NULL = no end */
    "  duty TEXT NOT NULL DEFAULT '',"
    "  granted_by INTEGER NOT NULL,"
    "  granted_at INTEGER NOT NULL,"
    "  ended_at INTEGER,"
    "  ended_how TEXT CHECK (ended_how IN ('expired','revoked','renewed'))"
    ") STRICT;"
    "CREATE UNIQUE INDEX title_terms_open ON title_terms(member_id, title) WHERE ended_at IS NULL;"
    "CREATE INDEX title_terms_due ON title_terms(until_at) WHERE ended_at IS NULL;",
};

static const struct kb_setting settings[] = {
    {.path = "title_term_remind_days", .type = KB_SETTING_INT,
     .off = offsetof(struct engine_settings, term_remind_s), .max = 90, .scale = 86400, .dnum = 7},
};

static const struct text_entry texts[] = {
    {"term.remind", "⏳ {name}，你的头衔 <b>{title}</b> 任期到 {until} 结束。想继续担任请联系运营续期。",
     "⏳ {name}, your term as <b>{title}</b> ends on {until}. Ask an operator if you would like to renew it."},
    {"term.expired", "📜 {name} 的头衔 <b>{title}</b> 任期已满，感谢这段时间的付出！",
     "📜 {name}'s term as <b>{title}</b> has ended. Thank you for your service!"},
    {"term.me_term", "📅 {title}：任期至 {until}", "📅 {title}: term until {until}"},
    {"term.me_duty", "📋 {title} 的职责：{duty}", "📋 Duties as {title}: {duty}"},
    {"term.me_term_duty", "📅 {title}：任期至 {until}\n📋 职责：{duty}", "📅 {title}: term until {until}\n📋 Duties: {duty}"},
    {"term.granted_until", "（任期至 {until}）", " (term until {until})"},
    {"term.granted_duty", "\n📋 职责：{duty}", "\n📋 Duties: {duty}"},
    {"term.renewed", "🔁 {name} 的头衔 <b>{title}</b> 已续期{until}。", "🔁 {name}'s title <b>{title}</b> was renewed{until}."},
    {"term.bad_until", "任期结束时间 {got} 无效，请写成 2027-03-31 这样的未来日期。",
     "{got} is not a valid end of term; give a future date such as 2027-03-31."},
    {"term.duty_long", "职责描述太长了（最多 {max} 个字）。", "The duties are too long (at most {max} characters)."},
    {"term.bad_flag", "只能用 --until 日期 和 --duty \"职责\"，{got} 不认识。",
     "Only --until DATE and --duty \"duties\" go with a title; I don't know {got}."},
    {"audit.title.expire", "头衔到期", "title expired"},
    {"audit.grant.title_term", "更新头衔任期或职责", "renewed the term of a title of"},
};

const struct kb_module term_module = {
    .name = "term",
    .texts = texts,
    .n_texts = KB_COUNT(texts),
    .tick = term_tick,
    .next_due = term_next_due,
    .migrations = migrations,
    .n_migrations = KB_COUNT(migrations),
    .settings = settings,
    .n_settings = KB_COUNT(settings),
    .me_lines = term_me_lines,
};
