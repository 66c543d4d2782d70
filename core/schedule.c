/*
 * Automatic posts; see schedule.h.
 *
 * An occurrence of schedule s on local day D is D's wall time at_min in the
 * community's zone (tz_instant, so 08:00 stays 08:00 across DST), when D's
 * weekday is in s.days and the instant is not before s.created_at.  The tick
 * looks at yesterday's and today's occurrences only: anything older was
 * already past any grace window.  Each one it meets is marked fired first
 * and then posted, skipped as too late, or skipped for quiet hours.
 */
#include "schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "modules.h"
#include "command.h"
#include "defn.h"
#include "ctx.h"
#include "once.h"
#include "outbox.h"
#include "tally.h"
#include "top.h"
#include "tz.h"
#include "when_words.h"

#define SCHED_MAX_PER_COMMUNITY 20
#define SCHED_LINE_MAX 500
#define SCHED_LINES_MAX 100
#define SCHED_LEADERS 3
#define SCHED_TOP 10
#define SCHED_AT_RISK_MAX 50
#define SCHED_MIN_GRACE_S 60 /* the timer may wake a little late */

/* ==== parsing ========================================================== */

int schedule_kind_valid(const char *kind)
{
    static const char *const kinds[] = {"greet", "night", "weekly", "streak"};
    for (size_t i = 0; kind && i < KB_COUNT(kinds); i++)
        if (strcmp(kind, kinds[i]) == 0)
            return 1;
    return 0;
}

static int digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return KB_EINVAL;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return KB_OK;
}

int schedule_parse_hhmm(const char *s, int *minutes)
{
    if (!s)
        return KB_EINVAL;
    const char *colon = strchr(s, ':');
    size_t sep = 1;
    const char *wide = strstr(s, "\xEF\xBC\x9A"); /* "：" */
    if (!colon || (wide && wide < colon)) {
        colon = wide;
        sep = 3;
    }
    if (!colon)
        return when_time_of_day(s, minutes); /* 晚上8点, 8点半, 8pm */
    size_t hn = (size_t)(colon - s);
    const char *m = colon + sep;
    int h, mi;
    if (hn < 1 || hn > 2 || strlen(m) != 2 || digits(s, hn, &h) || digits(m, 2, &mi) || h > 23 ||
        mi > 59)
        return KB_EINVAL;
    *minutes = h * 60 + mi;
    return KB_OK;
}

/* One weekday name -> 0 (Sunday) .. 6, or -1. */
static int weekday_of(const char *s, size_t n)
{
    static const char *const names[7][5] = {
        {"sun", "sunday", "周日", "星期日", "周天"},
        {"mon", "monday", "周一", "星期一", NULL},
        {"tue", "tuesday", "周二", "星期二", NULL},
        {"wed", "wednesday", "周三", "星期三", NULL},
        {"thu", "thursday", "周四", "星期四", NULL},
        {"fri", "friday", "周五", "星期五", NULL},
        {"sat", "saturday", "周六", "星期六", NULL},
    };
    char w[32];
    if (n == 0 || n >= sizeof w)
        return -1;
    for (size_t i = 0; i < n; i++)
        w[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
    w[n] = '\0';
    for (int d = 0; d < 7; d++)
        for (int k = 0; k < 5 && names[d][k]; k++)
            if (strcmp(w, names[d][k]) == 0)
                return d;
    return -1;
}

static int days_word(const char *s, int *mask)
{
    static const struct {
        const char *name;
        int mask;
    } words[] = {
        {"daily", SCHED_DAYS_ALL}, {"everyday", SCHED_DAYS_ALL}, {"每天", SCHED_DAYS_ALL},
        {"weekdays", 0x3E},        {"工作日", 0x3E},             {"weekends", 0x41},
        {"周末", 0x41},
    };
    for (size_t i = 0; i < KB_COUNT(words); i++)
        if (ascii_casecmp(s, words[i].name) == 0) {
            *mask = words[i].mask;
            return 1;
        }
    return 0;
}

int schedule_parse_days(const char *s, int *mask)
{
    if (!s || !*s || strlen(s) > 120)
        return KB_EINVAL;
    if (days_word(s, mask))
        return KB_OK;
    int m = 0;
    const char *p = s;
    while (*p) {
        /* one item up to ',' '，' or '、' */
        size_t n = 0, skip = 0;
        while (p[n]) {
            if (p[n] == ',') {
                skip = 1;
                break;
            }
            if (strncmp(p + n, "\xEF\xBC\x8C", 3) == 0 || strncmp(p + n, "\xE3\x80\x81", 3) == 0) {
                skip = 3;
                break;
            }
            n++;
        }
        const char *dash = memchr(p, '-', n);
        int a, b;
        if (dash) {
            a = weekday_of(p, (size_t)(dash - p));
            b = weekday_of(dash + 1, n - (size_t)(dash - p) - 1);
        } else {
            a = b = weekday_of(p, n);
        }
        if (a < 0 || b < 0)
            return KB_EINVAL;
        for (int d = a;; d = (d + 1) % 7) { /* "fri-mon" wraps over the weekend */
            m |= 1 << d;
            if (d == b)
                break;
        }
        p += n + skip;
        if (skip && !*p)
            return KB_EINVAL; /* a trailing comma */
    }
    if (!m)
        return KB_EINVAL;
    *mask = m;
    return KB_OK;
}

/* ==== time ============================================================= */

/* The instant of the occurrence on local day `day`, or -1 when the weekday
   is filtered out. */
static int64_t occurrence(const char *tz, int64_t day, int at_min, int days)
{
    int y, mon, d, wd;
    tz_day_ymd(day, &y, &mon, &d, &wd);
    if (!(days & (1 << wd)))
        return -1;
    return tz_instant(tz, y, mon, d, at_min / 60, at_min % 60);
}

static int in_window(int m, int start, int end)
{
    if (start == end)
        return 0;
    return start < end ? (m >= start && m < end) : (m >= start || m < end);
}

/* Quiet hours of a community: 1 and the window when set. */
static int quiet_hours(struct engine *e, int64_t community_id, int *start, int *end)
{
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT start_min, end_min FROM schedule_quiet WHERE community_id = ?",
                                  VALS(SI(community_id)));
    int found = 0;
    if (s && store_step(e->st, s) == 1) {
        *start = (int)store_int(s, 0);
        *end = (int)store_int(s, 1);
        found = 1;
    }
    store_done(s);
    return found;
}

int schedule_quiet_at(struct engine *e, const struct community *comm, int64_t now)
{
    int start, end;
    if (!quiet_hours(e, comm->id, &start, &end))
        return 0;
    struct tm tm;
    tz_local(comm->tz, now, &tm);
    return in_window(tm.tm_hour * 60 + tm.tm_min, start, end);
}

/* ==== loading ========================================================== */

struct sched {
    int64_t id;
    struct community comm;
    char kind[8];
    int at_min;
    int days;
    char *tmpl;           /* owned; "" = catalogue default */
    int64_t created_at;
    char platform[32];    /* the one group it is limited to ("" = every group) */
    char chat_id[256];
};

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src);
}

static void sched_row(const struct engine *e, sqlite3_stmt *s, struct sched *x)
{
    memset(x, 0, sizeof *x);
    x->id = store_int(s, 0);
    x->comm.id = store_int(s, 1);
    copy_str(x->kind, sizeof x->kind, store_text(s, 2));
    x->at_min = (int)store_int(s, 3);
    x->days = (int)store_int(s, 4);
    x->tmpl = xstrdup(store_text(s, 5));
    x->created_at = store_int(s, 6);
    copy_str(x->comm.tz, sizeof x->comm.tz, store_text(s, 7));
    copy_str(x->comm.locale, sizeof x->comm.locale, store_text(s, 8));
    copy_str(x->platform, sizeof x->platform, store_text(s, 9));
    copy_str(x->chat_id, sizeof x->chat_id, store_text(s, 10));
    int start = (int)store_int(s, 11); /* -1: the configured default (community_load's rule) */
    x->comm.day_start_hour = start < 0 ? e->set.streak.day_start_hour : start;
}

static void sched_free(struct sched *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(a[i].tmpl);
    free(a);
}

/* Every active schedule (copied out, so posting can reuse statements). */
static int load_active(struct engine *e, struct sched **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT s.id, s.community_id, s.kind, s.at_min, s.days, s.template,"
                                  " s.created_at, c.tz, c.locale, coalesce(s.platform, ''), coalesce(s.chat_id, ''),"
                                  " coalesce(c.day_start_hour, -1)"
                                  " FROM schedules s"
                                  " JOIN communities c ON c.id = s.community_id"
                                  " WHERE s.active = 1 ORDER BY s.id",
                                  NOVALS);
    if (!s)
        return store_failure(e->st);
    size_t cap = 0;
    int rc;
    while ((rc = store_step(e->st, s)) == 1) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = xrealloc(*out, cap * sizeof **out);
        }
        sched_row(e, s, &(*out)[(*n)++]);
    }
    store_done(s);
    if (rc < 0) {
        sched_free(*out, *n);
        *out = NULL;
        *n = 0;
        return store_failure(e->st);
    }
    return KB_OK;
}

/* One active schedule of a community; KB_ENOTFOUND when none. */
static int load_one(struct engine *e, int64_t community_id, int64_t id, struct sched *out)
{
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT s.id, s.community_id, s.kind, s.at_min, s.days, s.template,"
                                  " s.created_at, c.tz, c.locale, coalesce(s.platform, ''), coalesce(s.chat_id, ''),"
                                  " coalesce(c.day_start_hour, -1)"
                                  " FROM schedules s"
                                  " JOIN communities c ON c.id = s.community_id"
                                  " WHERE s.id = ? AND s.community_id = ? AND s.active = 1",
                                  VALS(SI(id), SI(community_id)));
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    if (rc == 1)
        sched_row(e, s, out);
    store_done(s);
    return rc == 1 ? KB_OK : rc == 0 ? KB_ENOTFOUND : store_failure(e->st);
}

static int is_fired(struct engine *e, const char *key)
{
    int64_t one;
    return store_i64(e->st, &one, "SELECT 1 FROM fired WHERE key = ?", VALS(ST(key))) == KB_OK;
}

static void fired_key(char *buf, size_t cap, int64_t id, int64_t day)
{
    snprintf(buf, cap, "sched:%lld:%lld", (long long)id, (long long)day);
}

/* The first occurrence at or after `from` that has not fired (and is not
   before the schedule's creation); -1 when none in the next 9 days. */
static int64_t next_occurrence(struct engine *e, const struct sched *x, int64_t from, int64_t now)
{
    int64_t today = tz_day(x->comm.tz, now);
    for (int64_t day = today - 1; day <= today + 8; day++) {
        int64_t t = occurrence(x->comm.tz, day, x->at_min, x->days);
        if (t < 0 || t < x->created_at || t < from)
            continue;
        if (t <= now) {
            char key[64];
            fired_key(key, sizeof key, x->id, day);
            if (e && is_fired(e, key))
                continue;
        }
        return t;
    }
    return -1;
}

/* ==== template variables =============================================== */

static const char *const weekday_keys[7] = {"sched.wd.0", "sched.wd.1", "sched.wd.2", "sched.wd.3",
                                            "sched.wd.4", "sched.wd.5", "sched.wd.6"};
static const char *const month_keys[12] = {
    "sched.month.1", "sched.month.2", "sched.month.3",  "sched.month.4",
    "sched.month.5", "sched.month.6", "sched.month.7",  "sched.month.8",
    "sched.month.9", "sched.month.10", "sched.month.11", "sched.month.12"};
static const char *const quote_keys[10] = {
    "sched.quote.1", "sched.quote.2", "sched.quote.3", "sched.quote.4", "sched.quote.5",
    "sched.quote.6", "sched.quote.7", "sched.quote.8", "sched.quote.9", "sched.quote.10"};

/* A member as a mention: "@handle" when known, else the display name. */
static void mention(struct engine *e, int64_t member_id, struct sbuf *out)
{
    sqlite3_stmt *s = store_query(e->st, "SELECT handle FROM members WHERE id = ? AND handle IS NOT NULL",
                                  VALS(SI(member_id)));
    struct sbuf h = {0};
    if (s && store_step(e->st, s) == 1 && *store_text(s, 0)) {
        sbuf_addc(&h, '@');
        sbuf_add(&h, store_text(s, 0));
    }
    store_done(s);
    if (h.len)
        text_user(out, h.s);
    else
        member_name(e, member_id, out);
    sbuf_free(&h);
}

/* Pairs (member id, value) from a two-column query, copied out. */
struct pairs {
    int64_t (*v)[2];
    size_t n;
};

static int collect_pairs(struct engine *e, sqlite3_stmt *s, struct pairs *out)
{
    out->v = NULL;
    out->n = 0;
    if (!s)
        return store_failure(e->st);
    int rc;
    while ((rc = store_step(e->st, s)) == 1) {
        out->v = xrealloc(out->v, (out->n + 1) * sizeof *out->v);
        out->v[out->n][0] = store_int(s, 0);
        out->v[out->n][1] = store_int(s, 1);
        out->n++;
    }
    store_done(s);
    return rc < 0 ? store_failure(e->st) : KB_OK;
}

/* Current streak leaders: the longest streaks still alive today. */
static void streak_leaders(struct engine *e, const struct community *comm, int64_t day,
                           struct sbuf *out)
{
    struct pairs p;
    collect_pairs(e,
                  store_query(e->st,
                              "SELECT member_id, max(streak) AS s FROM checkins"
                              " WHERE community_id = ? AND day >= ? GROUP BY member_id"
                              " ORDER BY s DESC, member_id LIMIT 3",
                              VALS(SI(comm->id), SI(day - 1))),
                  &p);
    if (!p.n)
        text_format(out, comm->locale, "sched.no_leaders", NOARGS);
    for (size_t i = 0; i < p.n; i++) {
        struct sbuf who = {0};
        member_name(e, p.v[i][0], &who);
        if (i)
            text_format(out, comm->locale, "sched.list_sep", NOARGS);
        text_format(out, comm->locale, "sched.leader", ARGS(TS("name", who.s), TI("streak", p.v[i][1])));
        sbuf_free(&who);
    }
    free(p.v);
}

/* Members on a streak of 3+ whose streak ends unless they check in today. */
static size_t at_risk(struct engine *e, const struct community *comm, int64_t day, struct sbuf *out)
{
    struct pairs p;
    collect_pairs(e,
                  store_query(e->st,
                              "SELECT c.member_id, c.streak FROM checkins c"
                              " WHERE c.community_id = ? AND c.day = ? AND c.streak >= 3"
                              " AND NOT EXISTS (SELECT 1 FROM checkins t"
                              "   WHERE t.member_id = c.member_id AND t.day = ?)"
                              " ORDER BY c.streak DESC, c.member_id LIMIT 50",
                              VALS(SI(comm->id), SI(day - 1), SI(day))),
                  &p);
    for (size_t i = 0; i < p.n; i++) {
        if (i)
            sbuf_addc(out, ' ');
        mention(e, p.v[i][0], out);
        sbuf_addf(out, "(%lld)", (long long)p.v[i][1]);
    }
    free(p.v);
    return p.n;
}

/* The rotating line of the day: the community's own lines when it has
   any, else the shipped ones. */
static void quote_of_day(struct engine *e, const struct community *comm, int64_t day,
                         struct sbuf *out)
{
    int64_t n = 0;
    store_i64(e->st, &n, "SELECT count(*) FROM schedule_lines WHERE community_id = ?",
              VALS(SI(comm->id)));
    if (n <= 0) {
        sbuf_add(out, text_get(comm->locale, quote_keys[(day % 10 + 10) % 10]));
        return;
    }
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT text FROM schedule_lines WHERE community_id = ?"
                                  " ORDER BY id LIMIT 1 OFFSET ?",
                                  VALS(SI(comm->id), SI((day % n + n) % n)));
    if (s && store_step(e->st, s) == 1)
        text_user_block(out, store_text(s, 0));
    store_done(s);
}

int schedule_leaderboard_text(struct engine *e, const struct community *comm, int64_t now,
                              struct sbuf *out)
{
    /* the calendar week /top uses: on a Monday the week that just ended,
       on other days this week so far; named in the post */
    int64_t from, to;
    int last_week = top_period(comm, TOP_WEEK, now) == community_day(comm, now);
    top_period_range(comm, TOP_WEEK, now, last_week, &from, &to);
    top_period_name(comm, comm->locale, TOP_WEEK, now, last_week, out);
    sbuf_addc(out, '\n');
    struct pairs p;
    int rc = collect_pairs(e,
                           store_query(e->st,
                                       "SELECT member_id, sum(amount) AS s FROM ledger"
                                       " WHERE community_id = ? AND kind = 'points' AND at >= ? AND at < ?"
                                       " GROUP BY member_id HAVING s > 0"
                                       " ORDER BY s DESC, member_id LIMIT 10",
                                       VALS(SI(comm->id), SI(from), SI(to))),
                           &p);
    if (rc)
        return rc;
    if (!p.n)
        text_format(out, comm->locale, "sched.lb_empty", NOARGS);
    int64_t rank = 0;
    for (size_t i = 0; i < p.n; i++) {
        struct sbuf who = {0};
        member_name(e, p.v[i][0], &who);
        if (i)
            sbuf_addc(out, '\n');
        rank = top_shared_rank(i, p.v[i][1], i ? p.v[i - 1][1] : 0, rank);
        text_format(out, comm->locale, "sched.lb_line",
                    ARGS(TI("rank", rank), TS("name", who.s), TI("points", p.v[i][1])));
        sbuf_free(&who);
    }
    free(p.v);
    return KB_OK;
}

int schedule_count_var(struct engine *e, const struct community *comm, const char *sql, int64_t now,
                       struct sbuf *out)
{
    int64_t n = 0;
    store_i64(e->st, &n, sql, VALS(SI(comm->id), SI(now)));
    sbuf_addf(out, "%lld", (long long)n);
    return 1;
}

/* The variables of docs/schedules.md, for the refusal of an unknown one. */
#define SCHED_VARIABLES "{date} {weekday} {yesterday_checkins} {streak_leaders} {quote} {leaderboard} " \
    "{at_risk} {open_tasks} {open_polls}"

static int sched_template_var(struct engine *e, const struct community *comm, const char *name,
                              int64_t now, struct sbuf *out)
{
    const char *lang = comm->locale;
    int64_t day = community_day(comm, now);
    int y, mon, d, wd;
    tz_day_ymd(day, &y, &mon, &d, &wd);
    if (strcmp(name, "date") == 0) {
        text_format(out, lang, "sched.date",
                    ARGS(TI("y", y), TI("m", mon), TI("d", d), TS("month", text_get(lang, month_keys[mon - 1]))));
    } else if (strcmp(name, "weekday") == 0) {
        sbuf_add(out, text_get(lang, weekday_keys[wd]));
    } else if (strcmp(name, "yesterday_checkins") == 0) {
        int64_t n = 0;
        store_i64(e->st, &n, "SELECT count(*) FROM checkins WHERE community_id = ? AND day = ?",
                  VALS(SI(comm->id), SI(day - 1)));
        sbuf_addf(out, "%lld", (long long)n);
    } else if (strcmp(name, "streak_leaders") == 0) {
        streak_leaders(e, comm, day, out);
    } else if (strcmp(name, "quote") == 0) {
        quote_of_day(e, comm, day, out);
    } else if (strcmp(name, "leaderboard") == 0) {
        schedule_leaderboard_text(e, comm, now, out);
    } else if (strcmp(name, "at_risk") == 0) {
        at_risk(e, comm, day, out);
    } else {
        return 0;
    }
    return 1;
}

/* ==== rendering ======================================================== */

static void add_literal(struct sbuf *out, const char *s, size_t n, int trusted)
{
    if (trusted) {
        sbuf_addn(out, s, n);
        return;
    }
    char *copy = xstrndup(s, n);
    text_user_block(out, copy);
    free(copy);
}

/* Length of "{name}" at s (name = [a-z0-9_]{1,32}), or 0. */
static size_t var_at(const char *s)
{
    size_t i = 1;
    while (i <= 33 && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
        i++;
    return (i > 1 && i <= 33 && s[i] == '}') ? i + 1 : 0;
}

void schedule_render(struct engine *e, const struct community *comm, const char *tmpl,
                     int trusted, int64_t now, struct sbuf *out)
{
    const char *p = tmpl;
    while (*p) {
        const char *open = strchr(p, '{');
        if (!open) {
            add_literal(out, p, strlen(p), trusted);
            return;
        }
        add_literal(out, p, (size_t)(open - p), trusted);
        size_t len = var_at(open);
        if (!len) {
            add_literal(out, open, 1, trusted);
            p = open + 1;
            continue;
        }
        char name[34];
        memcpy(name, open + 1, len - 2);
        name[len - 2] = '\0';
        int found = 0;
        for (size_t m = 0; m < kb_n_modules && !found; m++)
            if (kb_modules[m]->template_var)
                found = kb_modules[m]->template_var(e, comm, name, now, out);
        if (!found)
            add_literal(out, open, len, trusted); /* unknown: stays visible */
        p = open + len;
    }
}

/* The first "{name}" in tmpl that no module knows, copied into name (cap
   34); 0 when every variable is known. */
static int unknown_variable(struct engine *e, const struct community *comm, const char *tmpl,
                            int64_t now, char *name)
{
    for (const char *open = strchr(tmpl, '{'); open; open = strchr(open + 1, '{')) {
        size_t len = var_at(open);
        if (!len)
            continue;
        memcpy(name, open + 1, len - 2);
        name[len - 2] = '\0';
        int found = 0;
        struct sbuf probe = {0};
        for (size_t m = 0; m < kb_n_modules && !found; m++)
            if (kb_modules[m]->template_var)
                found = kb_modules[m]->template_var(e, comm, name, now, &probe);
        sbuf_free(&probe);
        if (!found)
            return 1;
    }
    return 0;
}

/* The text of one post; *empty = 1 when there is nothing to say (a streak
   keeper with nobody at risk). */
static void post_text(struct engine *e, const struct sched *x, int64_t now, struct sbuf *out,
                      int *empty)
{
    *empty = 0;
    if (strcmp(x->kind, "streak") == 0) {
        struct sbuf probe = {0};
        *empty = at_risk(e, &x->comm, community_day(&x->comm, now), &probe) == 0;
        sbuf_free(&probe);
        if (*empty)
            return;
    }
    if (*x->tmpl) {
        schedule_render(e, &x->comm, x->tmpl, 0, now, out);
    } else {
        char key[32];
        snprintf(key, sizeof key, "sched.default.%s", x->kind);
        schedule_render(e, &x->comm, text_get(x->comm.locale, key), 1, now, out);
    }
}

/* ==== scheduled work =================================================== */

static int grace_s(const struct engine *e)
{
    int g = e->set.schedule_grace_s;
    return g < SCHED_MIN_GRACE_S ? SCHED_MIN_GRACE_S : g;
}

/* A schedule limited to one group posts there while that group is still an
   active group of the community; otherwise it is skipped, never sent
   outside the community. */
static int post_limited(struct engine *e, const struct sched *x, const char *markup, const char *ref,
                        int64_t now)
{
    int64_t here = 0;
    int rc = store_i64(e->st, &here,
                       "SELECT count(*) FROM chats WHERE platform = ? AND chat_id = ? AND community_id = ?"
                       " AND active = 1 AND is_private = 0",
                       VALS(ST(x->platform), ST(x->chat_id), SI(x->comm.id)));
    if (rc)
        return rc;
    if (here) {
        struct kb_reply r = {.kind = KB_REPLY_SEND, .platform = x->platform, .chat_id = x->chat_id,
                             .text = markup};
        return outbox_add(e, &r, ref, now);
    }
    engine_log(e, 2, "schedule %lld (community %lld) is limited to %s:%s, no longer one of its groups: skipped",
               (long long)x->id, (long long)x->comm.id, x->platform, x->chat_id);
    return KB_OK;
}

static int fire_due(struct engine *e, const struct sched *x, int64_t now)
{
    int64_t today = tz_day(x->comm.tz, now);
    for (int64_t day = today - 1; day <= today; day++) {
        int64_t t = occurrence(x->comm.tz, day, x->at_min, x->days);
        if (t < 0 || t > now || t < x->created_at)
            continue;
        char key[64];
        fired_key(key, sizeof key, x->id, day);
        int first = 0;
        int rc = once_mark(e, key, now, &first);
        if (rc)
            return rc;
        if (!first)
            continue;
        /* marks older than a week are never looked at again: drop the one
           this mark succeeds, by key, so the table stays small */
        char old[64];
        fired_key(old, sizeof old, x->id, day - 7);
        rc = store_exec(e->st, "DELETE FROM fired WHERE key = ?", VALS(ST(old)));
        if (rc)
            return rc;
        int64_t late = now - t;
        if (late > grace_s(e)) {
            engine_log(e, 2, "schedule %lld (%s, community %lld) missed by %lld s (grace %d s): skipped",
                       (long long)x->id, x->kind, (long long)x->comm.id, (long long)late, grace_s(e));
            continue;
        }
        int qs, qe;
        if (quiet_hours(e, x->comm.id, &qs, &qe) && in_window(x->at_min, qs, qe)) {
            engine_log(e, 1, "schedule %lld (%s, community %lld) falls in quiet hours: skipped",
                       (long long)x->id, x->kind, (long long)x->comm.id);
            continue;
        }
        struct sbuf text = {0};
        int empty;
        post_text(e, x, now, &text, &empty);
        if (!empty)
            rc = x->chat_id[0] ? post_limited(e, x, text.s, key, now)
                               : community_post(e, x->comm.id, text.s, NULL, key, now);
        sbuf_free(&text);
        if (rc)
            return rc;
        if (late > SCHED_MIN_GRACE_S)
            engine_log(e, 1, "schedule %lld (%s) sent %lld s late", (long long)x->id, x->kind,
                       (long long)late);
    }
    return KB_OK;
}

static int sched_tick(struct engine *e, int64_t now)
{
    struct sched *all;
    size_t n;
    int rc = load_active(e, &all, &n);
    for (size_t i = 0; !rc && i < n; i++)
        rc = fire_due(e, &all[i], now);
    sched_free(all, n);
    return rc;
}

static int64_t sched_next_due(struct engine *e, int64_t now)
{
    struct sched *all;
    size_t n;
    if (load_active(e, &all, &n))
        return -1;
    int64_t best = -1;
    for (size_t i = 0; i < n; i++) {
        int64_t t = next_occurrence(e, &all[i], 0, now);
        if (t >= 0 && (best < 0 || t < best))
            best = t;
    }
    sched_free(all, n);
    return best;
}

/* ==== defaults from the configuration ================================== */

static int insert_schedule(struct engine *e, int64_t community_id, const char *kind, int at_min,
                           int days, const char *tmpl, int64_t by, int64_t now, int64_t *id)
{
    sqlite3_stmt *s = store_query(e->st,
                                  "INSERT INTO schedules(community_id, kind, at_min, days, template,"
                                  " created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                                  VALS(SI(community_id), ST(kind), SI(at_min), SI(days), ST(tmpl),
                                       by ? SI(by) : SN, SI(now)));
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    if (rc == 1) {
        *id = store_int(s, 0);
        rc = store_step(e->st, s);
    }
    store_done(s);
    return rc < 0 ? store_failure(e->st) : KB_OK;
}

int schedule_community_created(struct engine *e, int64_t community_id, int64_t now)
{
    for (size_t i = 0; i < e->set.n_schedules; i++) {
        const struct kb_schedule_default *d = &e->set.schedules[i];
        int at, days = SCHED_DAYS_ALL;
        /* config/ validated these; a bad entry is skipped, never fatal */
        if (!schedule_kind_valid(d->kind) || schedule_parse_hhmm(d->at, &at) ||
            (d->days && *d->days && schedule_parse_days(d->days, &days))) {
            engine_log(e, 2, "config schedules[%zu] is invalid: ignored", i);
            continue;
        }
        int64_t id;
        int rc = insert_schedule(e, community_id, d->kind, at, days, d->tmpl ? d->tmpl : "", 0, now, &id);
        if (rc)
            return rc;
    }
    return KB_OK;
}

/* ==== the /schedule command ============================================ */

static void format_hhmm(char *buf, size_t cap, int m)
{
    unsigned minute = (unsigned)m % 1440u; /* a minute of the day: keeps "HH:MM" in 6 bytes */
    snprintf(buf, cap, "%02u:%02u", minute / 60u, minute % 60u);
}

static void format_days(const char *lang, int days, struct sbuf *out)
{
    if (days == SCHED_DAYS_ALL) {
        sbuf_add(out, text_get(lang, "sched.days.daily"));
        return;
    }
    if (days == 0x3E) {
        sbuf_add(out, text_get(lang, "sched.days.weekdays"));
        return;
    }
    if (days == 0x41) {
        sbuf_add(out, text_get(lang, "sched.days.weekends"));
        return;
    }
    int first = 1;
    for (int i = 1; i <= 7; i++) { /* Monday first */
        int d = i % 7;
        if (!(days & (1 << d)))
            continue;
        if (!first)
            text_format(out, lang, "sched.list_sep", NOARGS);
        first = 0;
        char key[24];
        snprintf(key, sizeof key, "sched.wds.%d", d);
        sbuf_add(out, text_get(lang, key));
    }
}

static int reply_usage(struct cmd_ctx *c)
{
    return ctx_reply(c, "sched.usage", NOARGS);
}

/* Split the next word off *p; caller frees. */
static char *next_word(const char **p)
{
    return command_next_word(p);
}

static int is_ascii_alpha(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* 1 when w, the first word of what would become the post's text, was
   most likely meant as the days: a misspelt day word ("weekday",
   "mon-fr"), a date or a time ("2026-12-10"), or Chinese day words the
   parser does not take ("周一到周五").  alone = w is the whole text. */
static int looks_like_days(const char *w, int alone)
{
    size_t n = strlen(w), letters = 0, digits = 0, marks = 0;
    if (n && strchr(",.:", w[n - 1]))
        return 0; /* "everyone," starts a sentence */
    for (size_t i = 0; i < n; i++) {
        if (is_ascii_alpha(w[i]))
            letters++;
        else if (w[i] >= '0' && w[i] <= '9')
            digits++;
        else if (strchr("-,/.:", w[i]))
            marks++;
    }
    if (letters + digits + marks == n) {
        if (digits && !letters)
            return 1; /* a date or a time */
        static const char *const day_starts[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun",
                                                 "dai", "week", "every"};
        char head[6] = {0};
        for (size_t i = 0; i < 5 && i < n; i++)
            head[i] = (char)(w[i] >= 'A' && w[i] <= 'Z' ? w[i] + 32 : w[i]);
        for (size_t i = 0; i < KB_COUNT(day_starts) && letters == n - marks; i++)
            if (strncmp(head, day_starts[i], strlen(day_starts[i])) == 0 && (alone || marks))
                return 1;
        return 0;
    }
    /* Chinese: only day characters, at most 8 of them */
    static const char day_chars[] = "周星期一二三四五六日天每工作末到至、，-";
    size_t chars = 0;
    for (size_t i = 0; i < n; chars++) {
        uint32_t cp;
        size_t len = utf8_decode(w + i, n - i, &cp);
        char one[8];
        memcpy(one, w + i, len);
        one[len] = '\0';
        if (len == 1 && !strchr("-", w[i]))
            return 0;
        if (!strstr(day_chars, one))
            return 0;
        i += len;
    }
    return chars >= 2 && chars <= 8 && (strncmp(w, "周", 3) == 0 || strncmp(w, "星期", 6) == 0 ||
                                        strncmp(w, "每", 3) == 0 || strncmp(w, "工作", 6) == 0);
}

/* The id of an active post identical to this one, or 0. */
static int identical_schedule(struct cmd_ctx *c, const char *kind, int at, int days,
                              const char *tmpl, int64_t *id)
{
    *id = 0;
    return store_i64(c->st, id,
                     "SELECT coalesce(min(id), 0) FROM schedules WHERE community_id = ? AND active = 1"
                     " AND kind = ? AND at_min = ? AND days = ? AND template = ?",
                     VALS(SI(c->comm.id), ST(kind), SI(at), SI(days), ST(tmpl)));
}

static int add_schedule(struct cmd_ctx *c, const char *kind, const char *rest, int days_first)
{
    const char *p = rest;
    int days = SCHED_DAYS_ALL, at = -1;
    char *w = next_word(&p);
    if (days_first) { /* weekly <day> <time> */
        if (!w || schedule_parse_days(w, &days)) {
            int rc = ctx_reply(c, "sched.bad_days", ARGS(TU("got", w ? w : "")));
            free(w);
            return rc;
        }
        free(w);
        w = next_word(&p);
    }
    if (!w || schedule_parse_hhmm(w, &at)) {
        int rc = ctx_reply(c, "sched.bad_time", ARGS(TU("got", w ? w : "")));
        free(w);
        return rc;
    }
    free(w);
    if (!days_first) { /* optional day filter: "weekdays", "--days mon-fri" */
        const char *q = p;
        w = next_word(&q);
        if (w && strcmp(w, "--days") == 0) {
            free(w);
            w = next_word(&q);
            if (!w || schedule_parse_days(w, &days)) {
                int rc = ctx_reply(c, "sched.bad_days", ARGS(TU("got", w ? w : "")));
                free(w);
                return rc;
            }
            p = q;
        } else if (w && schedule_parse_days(w, &days) == KB_OK) {
            p = q;
        }
        free(w);
    }
    const char *tmpl = command_skip_space(p);
    if (strcmp(kind, "weekly") == 0 && ascii_casecmp(tmpl, "leaderboard") == 0)
        tmpl = "";
    if (strlen(tmpl) > SCHED_TEMPLATE_MAX)
        return ctx_reply(c, "sched.too_long", ARGS(TI("max", SCHED_TEMPLATE_MAX)));
    if (!days_first) {
        const char *q = tmpl;
        w = next_word(&q);
        int ambiguous = w && looks_like_days(w, *command_skip_space(q) == '\0');
        if (ambiguous) {
            struct sbuf b = {0};
            text_format(&b, c->lang, "sched.ambiguous", ARGS(TU("got", w)));
            sbuf_addc(&b, '\n');
            text_format(&b, c->lang, "sched.usage", NOARGS);
            int rc = ctx_reply_markup(c, b.s, 0);
            sbuf_free(&b);
            free(w);
            return rc;
        }
        free(w);
    }
    char var[34];
    if (unknown_variable(c->e, &c->comm, tmpl, c->now, var)) {
        struct sbuf got = {0};
        sbuf_addf(&got, "{%s}", var);
        int rc = ctx_reply(c, "sched.unknown_var", ARGS(TU("got", got.s), TS("known", SCHED_VARIABLES)));
        sbuf_free(&got);
        return rc;
    }
    int64_t same = 0;
    int rc = identical_schedule(c, kind, at, days, tmpl, &same);
    if (rc)
        return rc;
    if (same)
        return ctx_reply(c, "sched.duplicate", ARGS(TI("id", same)));
    int64_t count = 0;
    rc = store_i64(c->st, &count,
                       "SELECT count(*) FROM schedules WHERE community_id = ? AND active = 1",
                       VALS(SI(c->comm.id)));
    if (rc)
        return rc;
    if (count >= SCHED_MAX_PER_COMMUNITY)
        return ctx_reply(c, "sched.too_many", ARGS(TI("max", SCHED_MAX_PER_COMMUNITY)));
    int64_t id = 0;
    rc = insert_schedule(c->e, c->comm.id, kind, at, days, tmpl, c->member_id, c->now, &id);
    char target[32], hhmm[8], next[32] = "-";
    snprintf(target, sizeof target, "schedule:%lld", (long long)id);
    format_hhmm(hhmm, sizeof hhmm, at);
    if (!rc)
        rc = audit_add(c, "schedule.add", target, kind);
    if (rc)
        return rc;
    struct sched x = {.id = id, .comm = c->comm, .at_min = at, .days = days, .created_at = c->now};
    int64_t t = next_occurrence(NULL, &x, c->now, c->now);
    if (t >= 0)
        when_format(t, c->comm.tz, next, sizeof next);
    struct sbuf dd = {0}, b = {0};
    format_days(c->lang, days, &dd);
    char kkey[32];
    snprintf(kkey, sizeof kkey, "sched.kind.%s", kind);
    text_format(&b, c->lang, "sched.added",
                ARGS(TI("id", id), TS("kind", text_get(c->lang, kkey)), TS("time", hhmm),
                     TS("days", dd.s), TS("next", next)));
    int qs, qe;
    if (quiet_hours(c->e, c->comm.id, &qs, &qe) && in_window(at, qs, qe)) {
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "sched.in_quiet", NOARGS);
    }
    rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&dd);
    sbuf_free(&b);
    return rc;
}

static int list_schedules(struct cmd_ctx *c)
{
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT id, kind, at_min, days, template, platform, chat_id FROM schedules"
                                  " WHERE community_id = ? AND active = 1 ORDER BY at_min, id",
                                  VALS(SI(c->comm.id)));
    if (!s)
        return store_failure(c->st);
    struct sbuf b = {0};
    text_format(&b, c->lang, "sched.list_header", NOARGS);
    int rc, any = 0;
    while ((rc = store_step(c->st, s)) == 1) {
        any = 1;
        char hhmm[8], kkey[32];
        format_hhmm(hhmm, sizeof hhmm, (int)store_int(s, 2));
        snprintf(kkey, sizeof kkey, "sched.kind.%s", store_text(s, 1));
        struct sbuf dd = {0}, tp = {0};
        format_days(c->lang, (int)store_int(s, 3), &dd);
        const char *tmpl = store_text(s, 4);
        if (!*tmpl) {
            sbuf_add(&tp, text_get(c->lang, "sched.default_text"));
        } else {
            size_t n = utf8_clip(tmpl, strlen(tmpl), 60);
            char *cut = xstrndup(tmpl, n);
            text_user(&tp, cut);
            free(cut);
            if (n < strlen(tmpl))
                sbuf_add(&tp, "…");
        }
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "sched.list_line",
                    ARGS(TI("id", store_int(s, 0)), TS("kind", text_get(c->lang, kkey)),
                         TS("time", hhmm), TS("days", dd.s), TS("text", tp.s)));
        if (!store_is_null(s, 6)) {
            char group[300];
            snprintf(group, sizeof group, "%s:%s", store_text(s, 5), store_text(s, 6));
            text_format(&b, c->lang, "sched.list_only", ARGS(TU("group", group)));
        }
        sbuf_free(&dd);
        sbuf_free(&tp);
    }
    store_done(s);
    if (rc < 0) {
        sbuf_free(&b);
        return store_failure(c->st);
    }
    if (!any) {
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "sched.list_empty", NOARGS);
    }
    int qs, qe;
    if (quiet_hours(c->e, c->comm.id, &qs, &qe)) {
        char a[8], z[8];
        format_hhmm(a, sizeof a, qs);
        format_hhmm(z, sizeof z, qe);
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "sched.quiet_line", ARGS(TS("from", a), TS("to", z)));
    }
    rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    return rc;
}

/* Parse "<id>" into a schedule of this community. */
static int id_arg(const char *rest, int64_t *id)
{
    const char *p = rest;
    char *w = next_word(&p);
    if (w && w[0] == '#')
        memmove(w, w + 1, strlen(w));
    int rc = (!w || parse_i64(w, 1, INT64_MAX, id) || *command_skip_space(p)) ? KB_EINVAL : KB_OK;
    free(w);
    return rc;
}

static int schedule_off(struct cmd_ctx *c)
{
    const char *rest = c->args;
    int64_t id;
    if (id_arg(rest, &id))
        return ctx_reply(c, "sched.bad_id", ARGS(TU("got", rest)));
    int rc = store_exec(c->st, "UPDATE schedules SET active = 0 WHERE id = ? AND community_id = ? AND active = 1",
                        VALS(SI(id), SI(c->comm.id)));
    if (rc)
        return rc;
    if (store_changes(c->st) == 0)
        return ctx_reply(c, "sched.not_found", ARGS(TI("id", id)));
    char target[32];
    snprintf(target, sizeof target, "schedule:%lld", (long long)id);
    rc = audit_add(c, "schedule.off", target, NULL);
    return rc ? rc : ctx_reply(c, "sched.off", ARGS(TI("id", id)));
}

static int schedule_test(struct cmd_ctx *c)
{
    const char *rest = c->args;
    int64_t id;
    if (id_arg(rest, &id))
        return ctx_reply(c, "sched.bad_id", ARGS(TU("got", rest)));
    struct sched x;
    int rc = load_one(c->e, c->comm.id, id, &x);
    if (rc == KB_ENOTFOUND)
        return ctx_reply(c, "sched.not_found", ARGS(TI("id", id)));
    if (rc)
        return rc;
    struct sbuf text = {0};
    int empty;
    post_text(c->e, &x, c->now, &text, &empty);
    if (empty)
        rc = ctx_reply(c, "sched.test_empty", ARGS(TI("id", id)));
    else
        rc = ctx_post(c, text.s, NULL, NULL); /* here only, no fired mark */
    sbuf_free(&text);
    free(x.tmpl);
    return rc;
}

/* /schedule group <id> here|all: post only in this group, or in every
   group of the community again. */
static int schedule_group(struct cmd_ctx *c)
{
    const char *rest = c->args;
    const char *p = rest;
    char *w = next_word(&p);
    int64_t id = 0;
    const char *where = command_skip_space(p);
    int here = ascii_casecmp(where, "here") == 0, all = ascii_casecmp(where, "all") == 0;
    int bad = !w || id_arg(w, &id) || (!here && !all);
    free(w);
    if (bad)
        return ctx_reply(c, "sched.group_usage", NOARGS);
    if (here && c->ev->chat_type == KB_CHAT_PRIVATE)
        return ctx_reply(c, "engine.group_only", NOARGS);
    int rc = store_exec(c->st,
                        "UPDATE schedules SET platform = ?, chat_id = ? WHERE id = ? AND community_id = ?"
                        " AND active = 1",
                        VALS(here ? ST(c->ev->platform) : SN, here ? ST(c->ev->chat_id) : SN, SI(id),
                             SI(c->comm.id)));
    if (rc)
        return rc;
    if (store_changes(c->st) == 0)
        return ctx_reply(c, "sched.not_found", ARGS(TI("id", id)));
    char target[32];
    snprintf(target, sizeof target, "schedule:%lld", (long long)id);
    rc = audit_add(c, "schedule.group", target, here ? c->ev->chat_id : "all");
    return rc ? rc : ctx_reply(c, here ? "sched.group_here" : "sched.group_all", ARGS(TI("id", id)));
}

static int schedule_quiet(struct cmd_ctx *c)
{
    const char *rest = c->args;
    if (ascii_casecmp(rest, "off") == 0) {
        int rc = store_exec(c->st, "DELETE FROM schedule_quiet WHERE community_id = ?", VALS(SI(c->comm.id)));
        if (!rc)
            rc = audit_add(c, "schedule.quiet", "quiet", "off");
        return rc ? rc : ctx_reply(c, "sched.quiet_off", NOARGS);
    }
    const char *dash = strchr(rest, '-');
    int a, z;
    char *from = dash ? xstrndup(rest, (size_t)(dash - rest)) : NULL;
    int bad = !dash || schedule_parse_hhmm(from, &a) || schedule_parse_hhmm(dash + 1, &z) || a == z;
    free(from);
    if (bad)
        return ctx_reply(c, "sched.bad_quiet", ARGS(TU("got", rest)));
    int rc = store_exec(c->st,
                        "INSERT INTO schedule_quiet(community_id, start_min, end_min) VALUES (?, ?, ?)"
                        " ON CONFLICT(community_id) DO UPDATE SET start_min = excluded.start_min,"
                        " end_min = excluded.end_min",
                        VALS(SI(c->comm.id), SI(a), SI(z)));
    char sa[8], sz[8];
    format_hhmm(sa, sizeof sa, a);
    format_hhmm(sz, sizeof sz, z);
    if (!rc)
        rc = audit_add(c, "schedule.quiet", "quiet", rest);
    return rc ? rc : ctx_reply(c, "sched.quiet_set", ARGS(TS("from", sa), TS("to", sz)));
}

static int schedule_quote(struct cmd_ctx *c)
{
    const char *rest = c->args;
    const char *p = rest;
    char *verb = next_word(&p);
    const char *arg = command_skip_space(p);
    int rc;
    if (verb && strcmp(verb, "add") == 0 && *arg) {
        int64_t n = 0;
        rc = store_i64(c->st, &n, "SELECT count(*) FROM schedule_lines WHERE community_id = ?",
                       VALS(SI(c->comm.id)));
        if (!rc && strlen(arg) > SCHED_LINE_MAX)
            rc = ctx_reply(c, "sched.too_long", ARGS(TI("max", SCHED_LINE_MAX)));
        else if (!rc && n >= SCHED_LINES_MAX)
            rc = ctx_reply(c, "sched.quote_full", ARGS(TI("max", SCHED_LINES_MAX)));
        else if (!rc) {
            rc = store_exec(c->st,
                            "INSERT INTO schedule_lines(community_id, text, created_at) VALUES (?, ?, ?)",
                            VALS(SI(c->comm.id), ST(arg), SI(c->now)));
            int64_t id = store_last_id(c->st);
            char target[32];
            snprintf(target, sizeof target, "line:%lld", (long long)id);
            if (!rc)
                rc = audit_add(c, "schedule.quote_add", target, arg);
            if (!rc)
                rc = ctx_reply(c, "sched.quote_added", ARGS(TI("id", id)));
        }
    } else if (verb && (strcmp(verb, "del") == 0 || strcmp(verb, "remove") == 0)) {
        int64_t id;
        if (id_arg(arg, &id)) {
            rc = ctx_reply(c, "sched.bad_id", ARGS(TU("got", arg)));
        } else {
            rc = store_exec(c->st, "DELETE FROM schedule_lines WHERE id = ? AND community_id = ?",
                            VALS(SI(id), SI(c->comm.id)));
            char target[32];
            snprintf(target, sizeof target, "line:%lld", (long long)id);
            if (!rc && store_changes(c->st) == 0)
                rc = ctx_reply(c, "sched.quote_not_found", ARGS(TI("id", id)));
            else if (!rc && !(rc = audit_add(c, "schedule.quote_del", target, NULL)))
                rc = ctx_reply(c, "sched.quote_removed", ARGS(TI("id", id)));
        }
    } else if (verb && strcmp(verb, "list") == 0) {
        sqlite3_stmt *s = store_query(c->st,
                                      "SELECT id, text FROM schedule_lines WHERE community_id = ? ORDER BY id",
                                      VALS(SI(c->comm.id)));
        if (!s) {
            free(verb);
            return store_failure(c->st);
        }
        struct sbuf b = {0};
        text_format(&b, c->lang, "sched.quote_header", NOARGS);
        int any = 0;
        while ((rc = store_step(c->st, s)) == 1) {
            any = 1;
            sbuf_addf(&b, "\n#%lld ", (long long)store_int(s, 0));
            text_user(&b, store_text(s, 1));
        }
        store_done(s);
        if (!any) {
            sbuf_addc(&b, '\n');
            text_format(&b, c->lang, "sched.quote_defaults", NOARGS);
        }
        rc = rc < 0 ? store_failure(c->st) : ctx_reply_markup(c, b.s, 0);
        sbuf_free(&b);
    } else {
        rc = ctx_reply(c, "sched.quote_usage", NOARGS);
    }
    free(verb);
    return rc;
}

/* The four kinds of post; weekly takes its days first. */
static int schedule_greet(struct cmd_ctx *c)
{
    return add_schedule(c, "greet", c->args, 0);
}

static int schedule_night(struct cmd_ctx *c)
{
    return add_schedule(c, "night", c->args, 0);
}

static int schedule_streak(struct cmd_ctx *c)
{
    return add_schedule(c, "streak", c->args, 0);
}

static int schedule_weekly(struct cmd_ctx *c)
{
    return add_schedule(c, "weekly", c->args, 1);
}

/* /schedule alone or with an unknown subcommand: the usage (the
   subcommands are the table below, dispatched by the engine). */
static int cmd_schedule(struct cmd_ctx *c)
{
    return reply_usage(c);
}

/* ==== the module ======================================================= */

static const struct cmd_spec commands[] = {
    {"schedule", cmd_schedule, CMD_OPERATOR, "sched.help", NULL},
};

static const struct cmd_sub subs[] = {
    {"schedule", "greet", schedule_greet, 0, 0, -1},
    {"schedule", "night", schedule_night, 0, 0, -1},
    {"schedule", "streak", schedule_streak, 0, 0, -1},
    {"schedule", "weekly", schedule_weekly, 0, 0, -1},
    {"schedule", "list", list_schedules, 0, 0, -1},
    {"schedule", "off", schedule_off, 0, 0, -1},
    {"schedule", "test", schedule_test, 0, 0, -1},
    {"schedule", "quiet", schedule_quiet, 0, 0, -1},
    {"schedule", "group", schedule_group, 0, 0, -1},
    {"schedule", "quote", schedule_quote, 0, 0, -1},
};

static const struct text_entry texts[] = {
    {"sched.help", "/schedule — 自动发帖：早安、晚安、周榜、连签提醒（/schedule 查看用法）",
     "/schedule — automatic posts: greeting, good night, weekly leaderboard, streak keeper (/schedule for usage)"},
    {"sched.usage",
     "<b>自动发帖</b>\n"
     "/schedule greet 08:00 [日期] [模板] — 早安帖\n"
     "/schedule night 22:30 [日期] [模板] — 晚安帖\n"
     "/schedule weekly 周一 09:00 leaderboard — 每周积分榜\n"
     "/schedule streak 21:00 — 提醒连签 3 天以上、今天还没签到的成员\n"
     "/schedule list · /schedule off &lt;id&gt; · /schedule test &lt;id&gt;\n"
     "/schedule group &lt;id&gt; here|all — 只发本群 / 发到社群的所有群（默认）\n"
     "/schedule quiet 23:00-07:00 · /schedule quiet off\n"
     "/schedule quote add|list|del — 轮换语录\n"
     "日期：每天、工作日、周末、周一-周五、周一,周三,周五（英文 daily、weekdays、mon-fri 也可；或 --days …）\n"
     "模板变量：{date} {weekday} {yesterday_checkins} {streak_leaders} {quote} {leaderboard}",
     "<b>Automatic posts</b>\n"
     "/schedule greet 08:00 [days] [template] — morning greeting\n"
     "/schedule night 22:30 [days] [template] — good-night post\n"
     "/schedule weekly mon 09:00 leaderboard — weekly leaderboard\n"
     "/schedule streak 21:00 — remind members on a 3+ day streak who have not checked in today\n"
     "/schedule list · /schedule off &lt;id&gt; · /schedule test &lt;id&gt;\n"
     "/schedule group &lt;id&gt; here|all — only this group / every group of the community (the default)\n"
     "/schedule quiet 23:00-07:00 · /schedule quiet off\n"
     "/schedule quote add|list|del — rotating lines\n"
     "Days: daily, weekdays, weekends, mon-fri, mon,wed,fri (or --days …)\n"
     "Template variables: {date} {weekday} {yesterday_checkins} {streak_leaders} {quote} {leaderboard}"},
    {"sched.bad_time", "时间格式不对：“{got}”。可以写 08:00、22:30、早上8点 或 晚上10点半。",
     "I can't read the time \"{got}\". Use HH:MM (08:00, 22:30) or 8am, 10:30pm."},
    {"sched.ambiguous", "“{got}”是日期吗？日期要写成 daily、weekdays、mon-fri、工作日、周一-周五 这样的形式；要发这段文字，请在前面写上日期，例如 /schedule greet 08:00 daily 文字。",
     "Is \"{got}\" meant as the days? Write days as daily, weekdays, mon-fri or mon,wed,fri; to post that text, put the days before it, e.g. /schedule greet 08:00 daily text."},
    {"sched.unknown_var", "模板里有不认识的变量 {got}。可用的变量：{known}",
     "The template has an unknown variable {got}. Known variables: {known}"},
    {"sched.duplicate", "#{id} 已经在发这条（同样的时间、日期和内容）。发送 /schedule list 查看。",
     "#{id} already posts this (same time, days and text). Send /schedule list to see it."},
    {"sched.bad_days", "日期格式不对：“{got}”。可用 daily、weekdays、weekends、mon-fri、mon,wed,fri。",
     "I can't read the days \"{got}\". Use daily, weekdays, weekends, mon-fri or mon,wed,fri."},
    {"sched.bad_id", "请给出编号，例如 /schedule off 3（收到“{got}”）。",
     "Please give a number, e.g. /schedule off 3 (got \"{got}\")."},
    {"sched.bad_quiet", "免打扰时段格式不对：“{got}”。例如 /schedule quiet 23:00-07:00 或 /schedule quiet off。",
     "I can't read the quiet hours \"{got}\". E.g. /schedule quiet 23:00-07:00 or /schedule quiet off."},
    {"sched.too_long", "内容太长了（最多 {max} 字节）。", "That text is too long (at most {max} bytes)."},
    {"sched.too_many", "最多只能设置 {max} 个自动帖，请先用 /schedule off 关掉一些。",
     "At most {max} automatic posts; switch some off with /schedule off first."},
    {"sched.added", "✅ 已设置 #{id}：{kind}，{days} {time}。下一次：{next}",
     "✅ Scheduled #{id}: {kind}, {days} at {time}. Next: {next}"},
    {"sched.in_quiet", "⚠️ 这个时间在免打扰时段内，到时不会发送。",
     "⚠️ This time is inside the quiet hours, so it will not be posted."},
    {"sched.off", "🛑 自动帖 #{id} 已关闭。", "🛑 Automatic post #{id} switched off."},
    {"sched.not_found", "没有编号为 #{id} 的自动帖（/schedule list 查看）。",
     "There is no automatic post #{id} (see /schedule list)."},
    {"sched.test_empty", "#{id} 现在没有要发的内容（没有需要提醒的成员）。",
     "#{id} has nothing to post right now (nobody to remind)."},
    {"sched.list_header", "<b>自动发帖</b>", "<b>Automatic posts</b>"},
    {"sched.list_line", "#{id} {kind} · {days} {time} · {text}", "#{id} {kind} · {days} {time} · {text}"},
    {"sched.list_only", " · 只发 {group}", " · only in {group}"},
    {"sched.group_usage", "用法：/schedule group 编号 here|all，例如在要发的群里发 /schedule group 3 here。",
     "Usage: /schedule group id here|all, e.g. /schedule group 3 here in the group it should go to."},
    {"sched.group_here", "好的，自动帖 #{id} 以后只发在本群。", "OK: automatic post #{id} now goes to this group only."},
    {"sched.group_all", "好的，自动帖 #{id} 以后发到社群的所有群。",
     "OK: automatic post #{id} now goes to every group of the community."},
    {"sched.list_empty", "（还没有，发送 /schedule 查看用法）", "(none yet; send /schedule for usage)"},
    {"sched.default_text", "（默认内容）", "(default text)"},
    {"sched.quiet_line", "🔕 免打扰：{from}–{to}", "🔕 Quiet hours: {from}–{to}"},
    {"sched.quiet_set", "🔕 免打扰时段已设为 {from}–{to}，期间的自动帖会跳过。",
     "🔕 Quiet hours set to {from}–{to}; automatic posts due then are skipped."},
    {"sched.quiet_off", "🔔 免打扰时段已取消。", "🔔 Quiet hours removed."},
    {"sched.quote_usage", "用法：/schedule quote add &lt;文字&gt; · /schedule quote list · /schedule quote del &lt;id&gt;",
     "Usage: /schedule quote add &lt;text&gt; · /schedule quote list · /schedule quote del &lt;id&gt;"},
    {"sched.quote_added", "✅ 已添加语录 #{id}。", "✅ Line #{id} added."},
    {"sched.quote_removed", "🗑 已删除语录 #{id}。", "🗑 Line #{id} removed."},
    {"sched.quote_not_found", "没有编号为 #{id} 的语录。", "There is no line #{id}."},
    {"sched.quote_full", "语录最多 {max} 条。", "At most {max} lines."},
    {"sched.quote_header", "<b>轮换语录</b>", "<b>Rotating lines</b>"},
    {"sched.quote_defaults", "（还没有自定义语录，正在使用内置语录）", "(no lines of your own; the built-in ones are used)"},
    {"sched.kind.greet", "早安帖", "greeting"},
    {"sched.kind.night", "晚安帖", "good night"},
    {"sched.kind.weekly", "周榜", "weekly leaderboard"},
    {"sched.kind.streak", "连签提醒", "streak keeper"},
    {"sched.days.daily", "每天", "daily"},
    {"sched.days.weekdays", "工作日", "weekdays"},
    {"sched.days.weekends", "周末", "weekends"},
    {"sched.list_sep", "、", ", "},
    {"sched.wds.0", "周日", "Sun"},
    {"sched.wds.1", "周一", "Mon"},
    {"sched.wds.2", "周二", "Tue"},
    {"sched.wds.3", "周三", "Wed"},
    {"sched.wds.4", "周四", "Thu"},
    {"sched.wds.5", "周五", "Fri"},
    {"sched.wds.6", "周六", "Sat"},
    {"sched.wd.0", "星期日", "Sunday"},
    {"sched.wd.1", "星期一", "Monday"},
    {"sched.wd.2", "星期二", "Tuesday"},
    {"sched.wd.3", "星期三", "Wednesday"},
    {"sched.wd.4", "星期四", "Thursday"},
    {"sched.wd.5", "星期五", "Friday"},
    {"sched.wd.6", "星期六", "Saturday"},
    {"sched.date", "{y}年{m}月{d}日", "{month} {d}, {y}"},
    {"sched.month.1", "一月", "January"},
    {"sched.month.2", "二月", "February"},
    {"sched.month.3", "三月", "March"},
    {"sched.month.4", "四月", "April"},
    {"sched.month.5", "五月", "May"},
    {"sched.month.6", "六月", "June"},
    {"sched.month.7", "七月", "July"},
    {"sched.month.8", "八月", "August"},
    {"sched.month.9", "九月", "September"},
    {"sched.month.10", "十月", "October"},
    {"sched.month.11", "十一月", "November"},
    {"sched.month.12", "十二月", "December"},
    {"sched.leader", "{name}（{streak} 天）", "{name} ({streak} {streak|day|days})"},
    {"sched.no_leaders", "暂无", "nobody yet"},
    {"sched.lb_line", "{rank}. {name} — {points} 分", "{rank}. {name} — {points} points"},
    {"sched.lb_empty", "这段时间还没有人获得积分。", "Nobody earned points in that week."},
    {"sched.default.greet",
     "☀️ 早上好！今天是 {date} {weekday}。\n"
     "昨天有 {yesterday_checkins} 人签到，连签榜：{streak_leaders}\n"
     "💡 {quote}\n"
     "发送 /checkin 或“签到”开始今天的打卡吧！",
     "☀️ Good morning! Today is {weekday}, {date}.\n"
     "{yesterday_checkins} checked in yesterday. Streak leaders: {streak_leaders}\n"
     "💡 {quote}\n"
     "Send /checkin to check in for today!"},
    {"sched.default.night", "🌙 晚安，今天辛苦了！\n{quote}\n明天见～",
     "🌙 Good night, thanks for today!\n{quote}\nSee you tomorrow."},
    {"sched.default.weekly", "🏆 <b>每周积分榜</b>\n{leaderboard}", "🏆 <b>Weekly leaderboard</b>\n{leaderboard}"},
    {"sched.default.streak", "🔥 连签快要断啦：{at_risk}\n今天还没签到，发送 /checkin 保住连签！",
     "🔥 Streaks at risk: {at_risk}\nYou haven't checked in today; send /checkin to keep your streak!"},
    {"sched.quote.1", "每天进步一点点，就是最好的开始。", "A little progress each day adds up to big results."},
    {"sched.quote.2", "今日话题：你最近发现的一件好物是什么？", "Question of the day: what's a great find you made recently?"},
    {"sched.quote.3", "小贴士：照片用自然光拍，颜色会更真实。", "Tip: shoot photos in natural light for truer colours."},
    {"sched.quote.4", "坚持不是因为看到希望，而是坚持了才看到希望。", "Keep going: the results show up for those who stay."},
    {"sched.quote.5", "今日话题：分享一个你用了很久的产品。", "Question of the day: share a product you've used for years."},
    {"sched.quote.6", "小贴士：写测评时先说结论，再讲细节。", "Tip: in a review, lead with your verdict, then the details."},
    {"sched.quote.7", "真诚的分享，比华丽的辞藻更打动人。", "Honest sharing beats fancy words."},
    {"sched.quote.8", "今日话题：你希望我们下次做什么活动？", "Question of the day: what event should we run next?"},
    {"sched.quote.9", "小贴士：视频前 3 秒最重要，先放亮点。", "Tip: the first 3 seconds of a video matter most; open with the highlight."},
    {"sched.quote.10", "好的社区，是每个人一起把它变好。", "A good community is one everyone makes better together."},
};

/* The schedule module's own changes to its tables (the tables themselves
   are in the core list, core/migrations.c), versioned on their own. */
static const char *const migrations[] = {
    /* 1: a schedule limited to one group (NULL: every group of the community) */
    "ALTER TABLE schedules ADD COLUMN platform TEXT;"
    "ALTER TABLE schedules ADD COLUMN chat_id TEXT;",
};

static const struct kb_setting settings[] = {
    {.path = "schedule_grace_minutes", .type = KB_SETTING_INT,
     .off = offsetof(struct engine_settings, schedule_grace_s), .max = 1440, .scale = 60, .dnum = 30},
};

const struct kb_module schedule_module = {
    .name = "schedule",
    .settings = settings,
    .n_settings = KB_COUNT(settings),
    .migrations = migrations,
    .n_migrations = KB_COUNT(migrations),
    .commands = commands,
    .n_commands = KB_COUNT(commands),
    .subs = subs,
    .n_subs = KB_COUNT(subs),
    .texts = texts,
    .n_texts = KB_COUNT(texts),
    .tick = sched_tick,
    .next_due = sched_next_due,
    .template_var = sched_template_var,
    .community_created = schedule_community_created,
};
