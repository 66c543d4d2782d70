/* The weekly personal summary (see summary.h). */
#include "summary.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "checkin.h"
#include "command.h"
#include "next.h"
#include "outbox.h"
#include "schedule.h"
#include "standing.h"
#include "top.h"
#include "tz.h"

enum {
    GRACE_S = 12 * 3600, /* a run not started this long after its hour waits for next week */
    BATCH_MAX = 200,     /* members per tick at most, whatever per_second says */
    BACKLOG_S = 4        /* seconds' worth of summaries waiting to be sent, at most */
};

/* ==== the text ============================================================ */

static void rank_change(const char *lang, int64_t rank, int64_t last, struct sbuf *out)
{
    if (!rank)
        return;
    if (!last)
        text_format(out, lang, "summary.rank_new", NOARGS);
    else if (last > rank)
        text_format(out, lang, "summary.rank_up", ARGS(TI("last", last), TI("n", last - rank)));
    else if (last < rank)
        text_format(out, lang, "summary.rank_down", ARGS(TI("last", last), TI("n", rank - last)));
    else
        text_format(out, lang, "summary.rank_same", NOARGS);
}

/* Badges and titles granted since from, ", "-joined (escaped). */
static int items_since(struct engine *e, int64_t member_id, int64_t from, const char *lang, struct sbuf *out)
{
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT kind, unit FROM ledger WHERE member_id = ? AND kind IN ('badge', 'title')"
                                  " AND amount > 0 AND at >= ? ORDER BY id",
                                  VALS(SI(member_id), SI(from)));
    if (!s)
        return store_failure(e->st);
    int rc;
    size_t n = 0;
    while ((rc = store_step(e->st, s)) == 1) {
        if (n++)
            text_format(out, lang, "standing.sep", NOARGS);
        text_format(out, lang, strcmp(store_text(s, 0), "badge") ? "summary.title" : "summary.badge",
                    ARGS(TU("name", store_text(s, 1))));
    }
    store_done(s);
    return rc < 0 ? rc : KB_OK;
}

int summary_render(struct engine *e, const struct community *comm, int64_t member_id, int64_t now,
                   const char *lang, struct sbuf *out)
{
    int64_t week = top_period(comm, TOP_WEEK, now), from, to;
    top_period_range(comm, TOP_WEEK, now, 0, &from, &to);
    int64_t points = 0, checkins = 0, done = 0, pending = 0;
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT points, checkins, tasks FROM period_tallies"
                                  " WHERE member_id = ? AND span = 1 AND period = ?",
                                  VALS(SI(member_id), SI(week)));
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    if (rc == 1) {
        points = store_int(s, 0);
        checkins = store_int(s, 1);
        done = store_int(s, 2);
    }
    store_done(s);
    if (rc < 0)
        return rc;
    rc = store_i64(e->st, &pending, "SELECT count(*) FROM submissions WHERE member_id = ? AND state = 'pending'",
                   VALS(SI(member_id)));
    struct checkin_stats cs;
    if (!rc)
        rc = checkin_stats(e, member_id, community_day(comm, now), &cs);
    struct top_row rows[10];
    size_t n;
    int64_t rank = 0, last_rank = 0, value = 0;
    if (!rc)
        rc = top_query(e, comm->id, TOP_WEEK, week, TOP_POINTS, member_id, rows, &n, &rank, &value);
    if (!rc)
        rc = top_query(e, comm->id, TOP_WEEK, top_period(comm, TOP_WEEK, from - 1), TOP_POINTS, member_id,
                       rows, &n, &last_rank, &value);
    if (rc)
        return rc;

    struct sbuf name = {0}, period = {0}, change = {0}, items = {0}, next = {0};
    member_name(e, member_id, &name);
    top_period_name(comm, lang, TOP_WEEK, now, 0, &period);
    rank_change(lang, rank, last_rank, &change);
    text_format(out, lang, "summary.head", ARGS(TS("name", name.s), TS("period", period.s)));
    sbuf_addc(out, '\n');
    text_format(out, lang, "summary.checkins", ARGS(TI("days", checkins), TI("streak", cs.current_streak)));
    sbuf_addc(out, '\n');
    if (rank)
        text_format(out, lang, "summary.points_rank", ARGS(TI("points", points), TI("rank", rank), TS("change", change.s)));
    else
        text_format(out, lang, "summary.points", ARGS(TI("points", points)));
    sbuf_addc(out, '\n');
    text_format(out, lang, "summary.tasks", ARGS(TI("done", done), TI("pending", pending)));

    int level = 1;
    size_t n_levels;
    const struct kb_level_rule *rules = standing_rules(e, &n_levels);
    rc = standing_level(e, member_id, &level);
    if (!rc && (size_t)level < n_levels && !rules[level].granted_only) {
        struct standing_facts f;
        rc = standing_facts(e, member_id, &f);
        struct sbuf lv = {0}, missing = {0};
        standing_level_name(e, level + 1, lang, &lv);
        if (!rc && standing_missing(e, level + 1, &f, lang, &missing) > 0) {
            sbuf_addc(out, '\n');
            text_format(out, lang, "summary.progress", ARGS(TS("level", lv.s), TS("missing", missing.s)));
        }
        sbuf_free(&lv);
        sbuf_free(&missing);
    }
    if (!rc)
        rc = items_since(e, member_id, from, lang, &items);
    if (!rc && items.len) {
        sbuf_addc(out, '\n');
        text_format(out, lang, "summary.items", ARGS(TS("items", items.s)));
    }
    size_t n_next = 0;
    if (!rc)
        rc = next_suggest(e, comm, member_id, now, lang, 1, 1, &next, &n_next);
    if (!rc && n_next) {
        sbuf_addc(out, '\n');
        text_format(out, lang, "me.next", NOARGS);
        sbuf_add(out, next.s);
    }
    sbuf_addc(out, '\n');
    text_format(out, lang, "summary.footer", NOARGS);
    sbuf_free(&name);
    sbuf_free(&period);
    sbuf_free(&change);
    sbuf_free(&items);
    sbuf_free(&next);
    return rc;
}

/* ==== when ================================================================ */

struct summary_plan {
    int enabled;
    int weekday;  /* 0 = Sunday .. 6 */
    int minute;   /* of the day */
};

static int plan_load(struct engine *e, int64_t community_id, struct summary_plan *p)
{
    *p = (struct summary_plan){.enabled = e->set.summary_enabled, .weekday = e->set.summary_weekday % 7,
                               .minute = e->set.summary_hour * 60};
    sqlite3_stmt *s = store_query(e->st, "SELECT enabled, weekday, minute FROM summary_plans WHERE community_id = ?",
                                  VALS(SI(community_id)));
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    if (rc == 1)
        *p = (struct summary_plan){(int)store_int(s, 0), (int)store_int(s, 1), (int)store_int(s, 2)};
    store_done(s);
    return rc < 0 ? rc : KB_OK;
}

/* This week's send instant and the week's key (its Monday's day number). */
static int64_t due_this_week(const struct community *comm, const struct summary_plan *p, int64_t now,
                             int64_t *week)
{
    *week = top_period(comm, TOP_WEEK, now);
    int y, mon, d;
    tz_day_ymd(*week + (p->weekday + 6) % 7, &y, &mon, &d, NULL);
    return tz_instant(comm->tz, y, mon, d, p->minute / 60, p->minute % 60);
}

/* The members due a summary after cursor: active lately, with a private
   chat that takes messages, not opted out, not an identity linked to
   another (the person's first identity speaks for them).  Walked in rowid
   order from the cursor (+community_id keeps the planner off the members
   index, which would sort the whole community first), with the private-chat
   index named (without ANALYZE statistics SQLite scans the platform's chats
   by primary key instead: every member cost every chat), so a tick costs
   its batch, not the community. */
#define SUMMARY_PRIVATE_CHAT                                                                         \
    " FROM chats c INDEXED BY chats_private_user WHERE c.platform = m.platform"                       \
    " AND c.user_id = m.user_id AND c.is_private = 1 AND c.active = 1"
#define SUMMARY_MEMBERS_SQL                                                                          \
    "SELECT m.id, m.platform, (SELECT c.chat_id" SUMMARY_PRIVATE_CHAT " ORDER BY c.created_at DESC LIMIT 1)" \
    " FROM members m WHERE +m.community_id = ?1 AND m.id > ?2 AND m.last_seen >= ?3"                  \
    " AND EXISTS (SELECT 1" SUMMARY_PRIVATE_CHAT ")"                                                  \
    " AND NOT EXISTS (SELECT 1 FROM summary_optouts o WHERE o.member_id = m.id)"                      \
    " AND NOT EXISTS (SELECT 1 FROM identity_links l WHERE l.alias_id = m.id AND l.unlinked_at IS NULL)" \
    " ORDER BY m.id LIMIT ?4"

/* One step of the community's run for week: up to per_second members. */
static int run_step(struct engine *e, const struct community *comm, int64_t week, int64_t now, int *finished)
{
    int64_t cursor = 0;
    int rc = store_i64(e->st, &cursor, "SELECT last_member FROM summary_runs WHERE community_id = ? AND week = ?",
                       VALS(SI(comm->id), SI(week)));
    if (rc == KB_ENOTFOUND)
        rc = store_exec(e->st, "INSERT INTO summary_runs(community_id, week, last_member, done, started_at)"
                               " VALUES (?, ?, 0, 0, ?)",
                        VALS(SI(comm->id), SI(week), SI(now)));
    if (rc)
        return rc;
    /* at most per_second a tick, and never more than BACKLOG_S seconds' worth
       waiting in the outbox: the sender's bulk lane sets the real pace */
    int64_t batch = e->set.summary_per_second < BATCH_MAX ? e->set.summary_per_second : BATCH_MAX;
    int64_t waiting = 0;
    rc = store_i64(e->st, &waiting,
                   "SELECT count(*) FROM outbox WHERE state = 0 AND ref >= '" KB_BULK_REF_PREFIX "summary:'"
                   " AND ref < '" KB_BULK_REF_PREFIX "summary;'",
                   NOVALS);
    if (rc)
        return rc;
    if (batch > BACKLOG_S * e->set.summary_per_second - waiting)
        batch = BACKLOG_S * e->set.summary_per_second - waiting;
    if (batch <= 0) {
        *finished = 0;
        return KB_OK;
    }
    sqlite3_stmt *s = store_query(e->st, SUMMARY_MEMBERS_SQL,
                                  VALS(SI(comm->id), SI(cursor), SI(now - (int64_t)e->set.summary_active_days * 86400),
                                       SI(batch)));
    if (!s)
        return store_failure(e->st);
    /* copy first: rendering uses the statement cache */
    struct target {
        int64_t member;
        char *platform, *chat;
    } t[BATCH_MAX];
    size_t n = 0;
    while (n < (size_t)batch && (rc = store_step(e->st, s)) == 1) {
        t[n] = (struct target){store_int(s, 0), xstrdup(store_text(s, 1)), xstrdup(store_text(s, 2))};
        n++;
    }
    store_done(s);
    rc = rc < 0 ? rc : KB_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        struct sbuf text = {0};
        rc = summary_render(e, comm, t[i].member, now, comm->locale, &text);
        /* a bulk message (its own lane in the sender), and not "private:…":
           a refused summary is not re-posted in the group */
        char ref[64];
        snprintf(ref, sizeof ref, KB_BULK_REF_PREFIX "summary:%lld:%lld", (long long)week, (long long)t[i].member);
        struct kb_reply r = {.kind = KB_REPLY_SEND, .platform = t[i].platform, .chat_id = t[i].chat,
                             .text = text.s};
        if (!rc)
            rc = outbox_add(e, &r, ref, now);
        sbuf_free(&text);
    }
    if (!rc && n)
        rc = store_exec(e->st, "UPDATE summary_runs SET last_member = ? WHERE community_id = ? AND week = ?",
                        VALS(SI(t[n - 1].member), SI(comm->id), SI(week)));
    *finished = n < (size_t)batch;
    if (!rc && *finished)
        rc = store_exec(e->st, "UPDATE summary_runs SET done = 1 WHERE community_id = ? AND week = ?",
                        VALS(SI(comm->id), SI(week)));
    for (size_t i = 0; i < n; i++) {
        free(t[i].platform);
        free(t[i].chat);
    }
    return rc;
}

/* Whether the community's run for this week is due at now, and its week. */
static int run_due(struct engine *e, const struct community *comm, int64_t now, int64_t *week, int64_t *due,
                   int *pending)
{
    struct summary_plan p;
    *pending = 0;
    int rc = plan_load(e, comm->id, &p);
    if (rc || !p.enabled)
        return rc;
    *due = due_this_week(comm, &p, now, week);
    int64_t done = 0;
    rc = store_i64(e->st, &done, "SELECT done FROM summary_runs WHERE community_id = ? AND week = ?",
                   VALS(SI(comm->id), SI(*week)));
    int started = rc == KB_OK;
    if (rc == KB_ENOTFOUND)
        rc = KB_OK;
    if (rc)
        return rc;
    /* started runs finish however late; a run never started waits for next week after the grace */
    *pending = !done && now >= *due && (started || now < *due + GRACE_S);
    return KB_OK;
}

static int collect_communities(struct engine *e, int64_t **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    sqlite3_stmt *s = store_query(e->st, "SELECT id FROM communities ORDER BY id", NOVALS);
    if (!s)
        return store_failure(e->st);
    int rc;
    size_t cap = 0;
    while ((rc = store_step(e->st, s)) == 1) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *ids = xrealloc(*ids, cap * sizeof **ids);
        }
        (*ids)[(*n)++] = store_int(s, 0);
    }
    store_done(s);
    return rc < 0 ? rc : KB_OK;
}

static int summary_tick(struct engine *e, int64_t now)
{
    int64_t *ids;
    size_t n;
    int rc = collect_communities(e, &ids, &n);
    for (size_t i = 0; i < n && !rc; i++) {
        struct community comm;
        int64_t week, due;
        int pending, finished;
        rc = community_load(e, ids[i], &comm);
        if (!rc)
            rc = run_due(e, &comm, now, &week, &due, &pending);
        if (!rc && pending)
            rc = run_step(e, &comm, week, now, &finished);
    }
    free(ids);
    return rc;
}

static int64_t summary_next_due(struct engine *e, int64_t now)
{
    int64_t *ids, best = -1;
    size_t n;
    if (collect_communities(e, &ids, &n))
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct community comm;
        int64_t week, due;
        int pending;
        if (community_load(e, ids[i], &comm) || run_due(e, &comm, now, &week, &due, &pending))
            continue;
        int64_t at, one = 0;
        /* nobody to write to (no private chat in the community): nothing planned */
        if (store_i64(e->st, &one, "SELECT 1 FROM chats WHERE community_id = ? AND is_private = 1 LIMIT 1",
                      VALS(SI(comm.id))))
            continue;
        if (pending) {
            at = now + 1; /* the run goes on at summary.per_second */
        } else {
            struct summary_plan p;
            if (plan_load(e, comm.id, &p) || !p.enabled)
                continue;
            at = due > now ? due : due_this_week(&comm, &p, now + 7 * 86400, &week);
        }
        if (best < 0 || at < best)
            best = at;
    }
    free(ids);
    return best;
}

/* ==== commands ============================================================ */

static int cmd_summary(struct cmd_ctx *c)
{
    if (*command_skip_space(c->args))
        return ctx_reply(c, "summary.usage", NOARGS);
    struct sbuf b = {0};
    int rc = summary_render(c->e, &c->comm, c->member_id, c->now, c->lang, &b);
    if (!rc)
        rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    return rc;
}

static int member_opt(struct cmd_ctx *c, int off)
{
    int rc = off ? store_exec(c->st, "INSERT INTO summary_optouts(member_id, at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                              VALS(SI(c->member_id), SI(c->now)))
                 : store_exec(c->st, "DELETE FROM summary_optouts WHERE member_id = ?", VALS(SI(c->member_id)));
    return rc ? rc : ctx_reply(c, off ? "summary.off_ok" : "summary.on_ok", NOARGS);
}

static int sub_off(struct cmd_ctx *c)
{
    return member_opt(c, 1);
}

static int sub_on(struct cmd_ctx *c)
{
    return member_opt(c, 0);
}

static int plan_save(struct cmd_ctx *c, const struct summary_plan *p, const char *what)
{
    int rc = store_exec(c->st,
                        "INSERT INTO summary_plans(community_id, enabled, weekday, minute) VALUES (?, ?, ?, ?)"
                        " ON CONFLICT(community_id) DO UPDATE SET enabled = excluded.enabled,"
                        " weekday = excluded.weekday, minute = excluded.minute",
                        VALS(SI(c->comm.id), SI(p->enabled), SI(p->weekday), SI(p->minute)));
    return rc ? rc : audit_add(c, "summary.plan", "summary", what);
}

static void plan_text(const struct cmd_ctx *c, const struct summary_plan *p, struct sbuf *out)
{
    char day_key[16], hhmm[8];
    snprintf(day_key, sizeof day_key, "sched.wds.%d", p->weekday); /* 周日 / Sun */
    snprintf(hhmm, sizeof hhmm, "%02d:%02d", p->minute / 60 % 24, p->minute % 60);
    text_format(out, c->lang, p->enabled ? "summary.plan_on" : "summary.plan_off",
                ARGS(TS("day", text_get(c->lang, day_key)), TS("time", hhmm)));
}

/* /summary at <weekday> <time>: when this community's summaries go out. */
static int sub_at(struct cmd_ctx *c)
{
    const char *rest = c->args;
    char *day = command_next_word(&rest), *time = command_next_word(&rest);
    int mask = 0, minute = 0, weekday = -1;
    if (day && time && !*command_skip_space(rest) && !schedule_parse_days(day, &mask) &&
        !schedule_parse_hhmm(time, &minute))
        for (int i = 0; i < 7; i++)
            if (mask == 1 << i)
                weekday = i;
    free(day);
    free(time);
    if (weekday < 0)
        return ctx_reply(c, "summary.at_usage", NOARGS);
    struct summary_plan p;
    int rc = plan_load(c->e, c->comm.id, &p);
    if (rc)
        return rc;
    p.weekday = weekday;
    p.minute = minute;
    p.enabled = 1;
    struct sbuf b = {0};
    plan_text(c, &p, &b);
    rc = plan_save(c, &p, b.s);
    if (!rc)
        rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    return rc;
}

static int community_switch(struct cmd_ctx *c, int enabled)
{
    struct summary_plan p;
    int rc = plan_load(c->e, c->comm.id, &p);
    if (rc)
        return rc;
    p.enabled = enabled;
    struct sbuf b = {0};
    plan_text(c, &p, &b);
    rc = plan_save(c, &p, b.s);
    if (!rc)
        rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    return rc;
}

static int sub_enable(struct cmd_ctx *c)
{
    return community_switch(c, 1);
}

static int sub_disable(struct cmd_ctx *c)
{
    return community_switch(c, 0);
}

static const struct cmd_spec commands[] = {
    {"summary", cmd_summary, 0, "summary.help", "小结"},
};

static const struct cmd_sub subs[] = {
    {"summary", "off", sub_off, 0, 0, 0},
    {"summary", "on", sub_on, 0, 0, 0},
    {"summary", "at", sub_at, CMD_OPERATOR, 2, 2},
    {"summary", "enable", sub_enable, CMD_OPERATOR, 0, 0},
    {"summary", "disable", sub_disable, CMD_OPERATOR, 0, 0},
};

static const struct text_entry texts[] = {
    {"summary.help", "/summary — 我的本周小结（/summary off 不再私信接收，/summary on 恢复）",
     "/summary — my week so far (/summary off stops the weekly message, /summary on resumes it)"},
    {"summary.help.op", "/summary at 周日 20:00 · /summary enable|disable — 每周小结的发送时间、开关",
     "/summary at sun 20:00 · /summary enable|disable — when the weekly summaries go out, on or off"},
    {"summary.usage", "用法：/summary、/summary off 或 /summary on",
     "Usage: /summary, /summary off or /summary on"},
    {"summary.at_usage", "用法：/summary at 星期 时间，例如 /summary at 周日 20:00",
     "Usage: /summary at weekday time, e.g. /summary at sun 20:00"},
    {"summary.head", "📬 <b>{name} 的每周小结</b> · {period}", "📬 <b>{name}, your week</b> · {period}"},
    {"summary.checkins", "✅ 签到 {days} 天 · 连续 {streak} 天", "✅ Checked in {days} {days|day|days} · streak {streak}"},
    {"summary.points_rank", "⭐ 本周 +{points} 积分 · 排名第 {rank}{change}",
     "⭐ +{points} points this week · #{rank}{change}"},
    {"summary.points", "⭐ 本周 +{points} 积分", "⭐ +{points} points this week"},
    {"summary.rank_new", "（上周未上榜）", " (not on last week's board)"},
    {"summary.rank_up", "（上周第 {last}，↑{n}）", " (last week #{last}, up {n})"},
    {"summary.rank_down", "（上周第 {last}，↓{n}）", " (last week #{last}, down {n})"},
    {"summary.rank_same", "（与上周持平）", " (same as last week)"},
    {"summary.tasks", "📋 完成任务 {done} 个 · 待审核 {pending} 个", "📋 Tasks done: {done} · waiting for review: {pending}"},
    {"summary.progress", "📈 距 {level} 还差：{missing}", "📈 To reach {level}: {missing}"},
    {"summary.items", "🏅 本周获得：{items}", "🏅 Gained this week: {items}"},
    {"summary.badge", "徽章「{name}」", "badge \"{name}\""},
    {"summary.title", "头衔「{name}」", "title \"{name}\""},
    {"summary.footer", "（不想收到每周小结，发送 /summary off）", "(To stop these weekly messages, send /summary off)"},
    {"summary.off_ok", "好的，以后不再私信发送每周小结。想恢复时发送 /summary on。",
     "Done: no more weekly summaries. Send /summary on to get them again."},
    {"summary.on_ok", "好的，每周小结会私信发给你。", "Done: you will get your weekly summary by direct message."},
    {"summary.plan_on", "📬 每周小结：每{day} {time} 私信发给活跃成员。", "📬 Weekly summaries: every {day} at {time}, by direct message to active members."},
    {"summary.plan_off", "📬 每周小结已关闭（原定每{day} {time}）。", "📬 Weekly summaries are off (were every {day} at {time})."},
};

static const char *const migrations[] = {
    "CREATE TABLE summary_plans ("
    "  community_id INTEGER PRIMARY KEY,"
    "  enabled INTEGER NOT NULL,"
    "  weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),"
    "  minute INTEGER NOT NULL CHECK (minute BETWEEN 0 AND 1439)"
    ") STRICT;"
    "CREATE TABLE summary_optouts ("
    "  member_id INTEGER PRIMARY KEY,"
    "  at INTEGER NOT NULL"
    ") STRICT;"
    /* one run per community and week; last_member is the cursor, committed
       with the messages it queued */
    "CREATE TABLE summary_runs ("
    "  community_id INTEGER NOT NULL,"
    "  week INTEGER NOT NULL,"
    "  last_member INTEGER NOT NULL,"
    "  done INTEGER NOT NULL,"
    "  started_at INTEGER NOT NULL,"
    "  PRIMARY KEY (community_id, week)"
    ") STRICT, WITHOUT ROWID;",
};

#define SUMMARY_OFF(f) offsetof(struct engine_settings, f)

static const struct kb_setting settings[] = {
    {.path = "summary", .type = KB_SETTING_SECTION},
    {.path = "summary.enabled", .type = KB_SETTING_INT, .off = SUMMARY_OFF(summary_enabled), .max = 1, .scale = 1,
     .dnum = 1},
    {.path = "summary.weekday", .type = KB_SETTING_INT, .off = SUMMARY_OFF(summary_weekday), .max = 6, .scale = 1,
     .dnum = 0},
    {.path = "summary.hour", .type = KB_SETTING_INT, .off = SUMMARY_OFF(summary_hour), .max = 23, .scale = 1,
     .dnum = 20},
    {.path = "summary.per_second", .type = KB_SETTING_INT, .off = SUMMARY_OFF(summary_per_second), .min = 1,
     .max = BATCH_MAX, .scale = 1, .dnum = 20},
    {.path = "summary.active_days", .type = KB_SETTING_INT, .off = SUMMARY_OFF(summary_active_days), .min = 1,
     .max = 3650, .scale = 1, .dnum = 30},
};

const struct kb_module summary_module = {
    .name = "summary",
    .commands = commands,
    .n_commands = KB_COUNT(commands),
    .subs = subs,
    .n_subs = KB_COUNT(subs),
    .texts = texts,
    .n_texts = KB_COUNT(texts),
    .tick = summary_tick,
    .next_due = summary_next_due,
    .migrations = migrations,
    .n_migrations = KB_COUNT(migrations),
    .settings = settings,
    .n_settings = KB_COUNT(settings),
};
