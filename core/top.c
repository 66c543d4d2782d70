/*
 * Leaderboards (/top) and community insight (/stats); see top.h.
 */
#include "top.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board.h"
#include "command.h"
#include "standing.h"
#include "tz.h"

/* ==== queries ============================================================ */

static const char *const mine_sql[3] = {
    "SELECT points FROM period_tallies WHERE member_id = ? AND span = ? AND period = ?",
    "SELECT checkins FROM period_tallies WHERE member_id = ? AND span = ? AND period = ?",
    "SELECT tasks FROM period_tallies WHERE member_id = ? AND span = ? AND period = ?",
};

int top_query(struct engine *e, int64_t community_id, enum top_span span, int64_t period,
              enum top_metric metric, int64_t member_id, struct top_row rows[10], size_t *n,
              int64_t *my_rank, int64_t *my_value)
{
    *n = 0;
    *my_rank = *my_value = 0;
    int rc = store_i64(e->st, my_value, mine_sql[metric], VALS(SI(member_id), SI(span), SI(period)));
    if (rc == KB_ENOTFOUND)
        rc = KB_OK;
    if (rc)
        return rc;
    int64_t ahead = 0;
    rc = board_read(e, community_id, span, period, metric, rows, 10, n, *my_value, &ahead);
    if (rc)
        return rc;
    /* ties share a rank: 1 + how many are strictly ahead */
    if (*my_value > 0)
        *my_rank = ahead + 1;
    return KB_OK;
}

int64_t top_shared_rank(size_t i, int64_t value, int64_t prev_value, int64_t prev_rank)
{
    return i > 0 && value == prev_value ? prev_rank : (int64_t)i + 1;
}

/* ==== /top =============================================================== */

static const char *const span_words[] = {"all", "week", "month"};
static const char *const metric_words[] = {"points", "checkins", "tasks"};
static const char *const metric_keys[] = {"top.metric_points", "top.metric_checkins", "top.metric_tasks"};

static int word_index(const char *w, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ascii_casecmp(w, list[i]) == 0)
            return (int)i;
    return -1;
}

static int cmd_top(struct cmd_ctx *c)
{
    enum top_span span = TOP_ALL;
    enum top_metric metric = TOP_POINTS;
    const char *p = c->args;
    char *w;
    while ((w = command_next_word(&p))) {
        const char *k = command_keyword(w);
        int si = word_index(k, span_words, 3), mi = word_index(k, metric_words, 3);
        if (mi < 0 && ascii_casecmp(w, "checkin") == 0)
            mi = TOP_CHECKINS;
        if (si >= 0) {
            span = (enum top_span)si;
        } else if (mi >= 0) {
            metric = (enum top_metric)mi;
        } else {
            int rc = ctx_reply(c, "top.usage", ARGS(TU("got", w)));
            free(w);
            return rc;
        }
        free(w);
    }
    int64_t period = top_period(&c->comm, span, c->at);
    struct top_row rows[10];
    size_t n;
    int64_t my_rank, my_value;
    int rc = top_query(c->e, c->comm.id, span, period, metric, c->member_id, rows, &n, &my_rank, &my_value);
    if (rc)
        return rc;
    struct sbuf b = {0}, span_s = {0};
    top_period_name(&c->comm, c->lang, span, c->at, 0, &span_s);
    text_format(&b, c->lang, "top.head",
                ARGS(TS("span", span_s.s), TS("metric", text_get(c->lang, metric_keys[metric]))));
    sbuf_free(&span_s);
    static const char *const medals[] = {"🥇", "🥈", "🥉"};
    int64_t rank = 0;
    for (size_t i = 0; i < n; i++) {
        struct sbuf who = {0}, pos = {0};
        member_label(c->e, rows[i].member_id, &who);
        rank = top_shared_rank(i, rows[i].value, i ? rows[i - 1].value : 0, rank);
        if (rank <= 3)
            sbuf_add(&pos, medals[rank - 1]);
        else
            sbuf_addf(&pos, "%lld.", (long long)rank);
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "top.line", ARGS(TS("pos", pos.s), TS("name", who.s), TI("value", rows[i].value)));
        sbuf_free(&who);
        sbuf_free(&pos);
    }
    if (n == 0) {
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "top.empty", NOARGS);
    }
    sbuf_addc(&b, '\n');
    if (my_rank > 0)
        text_format(&b, c->lang, "top.mine", ARGS(TI("rank", my_rank), TI("value", my_value)));
    else
        text_format(&b, c->lang, "top.mine_none", NOARGS);
    rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    return rc;
}

/* ==== /stats ============================================================= */

/* The /stats line on open tasks, claims in progress and pending reviews. */
static int stats_tasks_line(struct cmd_ctx *c, struct sbuf *out)
{
    sqlite3_stmt *s = store_query(
        c->st,
        "SELECT (SELECT count(*) FROM tasks WHERE community_id = ?1 AND state = 'open'),"
        " (SELECT count(*) FROM claims WHERE community_id = ?1 AND state IN ('claimed','submitted','rejected')),"
        " (SELECT count(*) FROM submissions WHERE community_id = ?1 AND state = 'pending')",
        VALS(SI(c->comm.id)));
    if (!s)
        return store_failure(c->st);
    int rc = store_step(c->st, s);
    if (rc == 1) {
        sbuf_addc(out, '\n');
        text_format(out, c->lang, "stats.tasks",
                    ARGS(TI("open", store_int(s, 0)), TI("claims", store_int(s, 1)),
                         TI("pending", store_int(s, 2))));
        rc = KB_OK;
    }
    store_done(s);
    return rc;
}

static int stats_levels(struct cmd_ctx *c, struct sbuf *b)
{
    size_t n;
    standing_rules(c->e, &n);
    int64_t counts[KB_MAX_LEVELS + 1] = {0}, total = 0;
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT coalesce(l.level, 1), count(*) FROM members m"
                                  " LEFT JOIN member_levels l ON l.member_id = m.id"
                                  " WHERE m.community_id = ? GROUP BY 1",
                                  VALS(SI(c->comm.id)));
    if (!s)
        return store_failure(c->st);
    int rc;
    while ((rc = store_step(c->st, s)) == 1) {
        int64_t lv = store_int(s, 0);
        if (lv >= 1 && lv <= (int64_t)n)
            counts[lv] += store_int(s, 1);
        total += store_int(s, 1);
    }
    store_done(s);
    if (rc < 0)
        return rc;
    struct sbuf parts = {0};
    for (size_t i = 1; i <= n; i++)
        sbuf_addf(&parts, "%sL%zu %lld", i > 1 ? " · " : "", i, (long long)counts[i]);
    sbuf_addc(b, '\n');
    text_format(b, c->lang, "stats.members", ARGS(TI("total", total), TS("levels", parts.s)));
    sbuf_free(&parts);
    return KB_OK;
}

static int stats_active(struct cmd_ctx *c, int64_t today, struct sbuf *b)
{
    int64_t t0 = community_day_start(&c->comm, today), t7 = community_day_start(&c->comm, today - 6),
            t30 = community_day_start(&c->comm, today - 29);
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT sum(last_seen >= ?2), sum(last_seen >= ?3), count(*) FROM members"
                                  " WHERE community_id = ?1 AND last_seen >= ?4",
                                  VALS(SI(c->comm.id), SI(t0), SI(t7), SI(t30)));
    if (!s)
        return store_failure(c->st);
    int rc = store_step(c->st, s);
    if (rc == 1) {
        sbuf_addc(b, '\n');
        text_format(b, c->lang, "stats.active",
                    ARGS(TI("today", store_int(s, 0)), TI("week", store_int(s, 1)), TI("month", store_int(s, 2))));
    }
    store_done(s);
    return rc < 0 ? rc : KB_OK;
}

static int stats_checkins(struct cmd_ctx *c, int64_t today, struct sbuf *b)
{
    int64_t per_day[14] = {0}, max = 0;
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT day, count(*) FROM checkins WHERE community_id = ? AND day BETWEEN ? AND ?"
                                  " GROUP BY day",
                                  VALS(SI(c->comm.id), SI(today - 13), SI(today)));
    if (!s)
        return store_failure(c->st);
    int rc;
    while ((rc = store_step(c->st, s)) == 1) {
        int64_t i = store_int(s, 0) - (today - 13);
        if (i >= 0 && i < 14)
            per_day[i] = store_int(s, 1);
    }
    store_done(s);
    if (rc < 0)
        return rc;
    for (int i = 0; i < 14; i++)
        if (per_day[i] > max)
            max = per_day[i];
    static const char *const bars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    struct sbuf spark = {0};
    for (int i = 0; i < 14; i++)
        sbuf_add(&spark, per_day[i] == 0 ? "·" : bars[max ? (per_day[i] * 7 + max - 1) / max : 0]);
    sbuf_addc(b, '\n');
    text_format(b, c->lang, "stats.checkins",
                ARGS(TS("spark", spark.s), TI("today", per_day[13]), TI("max", max)));
    sbuf_free(&spark);
    return KB_OK;
}

static int stats_points(struct cmd_ctx *c, struct sbuf *b)
{
    int64_t week = top_period(&c->comm, TOP_WEEK, c->at), awarded = 0, granted = 0;
    int rc = store_i64(c->st, &awarded,
                       "SELECT coalesce(sum(points), 0) FROM period_tallies"
                       " WHERE community_id = ? AND span = 1 AND period = ?",
                       VALS(SI(c->comm.id), SI(week)));
    if (!rc)
        rc = store_i64(c->st, &granted,
                       "SELECT coalesce(sum(amount), 0) FROM ledger WHERE community_id = ? AND at >= ?"
                       " AND reason = 'grant' AND kind = 'points'",
                       VALS(SI(c->comm.id), SI(community_day_start(&c->comm, week))));
    if (rc)
        return rc;
    struct sbuf period = {0};
    top_period_name(&c->comm, c->lang, TOP_WEEK, c->at, 0, &period);
    sbuf_addc(b, '\n');
    text_format(b, c->lang, "stats.points",
                ARGS(TS("period", period.s), TI("awarded", awarded), TI("granted", granted)));
    sbuf_free(&period);
    return KB_OK;
}

static int cmd_stats(struct cmd_ctx *c)
{
    int64_t today = community_day(&c->comm, c->at);
    struct sbuf b = {0};
    text_format(&b, c->lang, "stats.head", NOARGS);
    int rc = stats_levels(c, &b);
    if (!rc)
        rc = stats_active(c, today, &b);
    if (!rc)
        rc = stats_checkins(c, today, &b);
    if (!rc)
        rc = stats_tasks_line(c, &b);
    if (!rc)
        rc = stats_points(c, &b);
    if (!rc)
        rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    return rc;
}

static const struct cmd_spec commands[] = {
    {"top", cmd_top, 0, "top.help", "排行"},
    {"stats", cmd_stats, CMD_OPERATOR, "stats.help", NULL},
};

static const struct text_entry texts[] = {
    {"top.help", "/top [本周|本月|全部] [积分|签到|任务] — 排行榜",
     "/top [week|month|all] [points|checkins|tasks] — leaderboard"},
    {"top.usage", "看不懂 {got}。用法：/top [本周|本月|全部] [积分|签到|任务]",
     "I don't understand {got}. Usage: /top [week|month|all] [points|checkins|tasks]"},
    {"top.span_all", "总榜", "all time"},
    {"top.this_week", "本周（{from} 周一至今）", "this week, Mon {from} – today"},
    {"top.last_week", "上周（{from} 周一至 {to} 周日）", "last week, Mon {from} – Sun {to}"},
    {"top.this_month", "本月（{from} 至今）", "this month, {from} – today"},
    {"top.last_month", "上月（{from} 至 {to}）", "last month, {from} – {to}"},
    {"top.metric_points", "积分", "points"},
    {"top.metric_checkins", "签到", "check-ins"},
    {"top.metric_tasks", "任务", "tasks"},
    {"top.head", "🏆 <b>{span}</b> · {metric}", "🏆 <b>Leaderboard, {span}</b> · {metric}"},
    {"top.line", "{pos} {name} — {value}", "{pos} {name} — {value}"},
    {"top.empty", "还没有人上榜。", "Nobody on the board yet."},
    {"top.mine", "你：第 {rank} 名 — {value}", "You: #{rank} — {value}"},
    {"top.mine_none", "你：暂未上榜", "You: not on the board yet"},
    {"stats.help", "/stats — 社群数据", "/stats — community statistics"},
    {"stats.head", "📊 <b>社群数据</b>", "📊 <b>Community stats</b>"},
    {"stats.members", "成员 {total}：{levels}", "Members {total}: {levels}"},
    {"stats.active", "活跃：今天 {today} · 7 天 {week} · 30 天 {month}",
     "Active: today {today} · 7 days {week} · 30 days {month}"},
    {"stats.checkins", "近 14 天签到：{spark}（今天 {today}，最多 {max}）",
     "Check-ins, last 14 days: {spark} (today {today}, peak {max})"},
    {"stats.tasks", "任务：进行中 {open} 个，认领中 {claims} 份，待审核 {pending} 份",
     "Tasks: {open} open, {claims} claims in progress, {pending} submissions awaiting review"},
    {"stats.points", "{period}发放积分：{awarded}（其中运营授予 {granted}）",
     "Points awarded {period}: {awarded} (operator grants: {granted})"},
};

const struct kb_module top_module = {
    .name = "top",
    .commands = commands,
    .n_commands = KB_COUNT(commands),
    .texts = texts,
    .n_texts = KB_COUNT(texts),
};
