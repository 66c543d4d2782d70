/* Tasks that repeat; see repeat.h. */
#include "repeat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "command.h"
#include "defn.h"
#include "tz.h"

#define ALL_DAYS 127
#define WEEKDAYS 62          /* Monday to Friday */
#define CATCH_UP_MAX 64      /* missed post times looked at after downtime, newest last */

/* ==== the schedule (pure) ================================================ */

static const char *const day_words[7][4] = {
    {"sun", "sunday", "周日", "星期日"}, {"mon", "monday", "周一", "星期一"},
    {"tue", "tuesday", "周二", "星期二"}, {"wed", "wednesday", "周三", "星期三"},
    {"thu", "thursday", "周四", "星期四"}, {"fri", "friday", "周五", "星期五"},
    {"sat", "saturday", "周六", "星期六"}};

static int day_word(const char *w)
{
    if (!strcmp(w, "周天") || !strcmp(w, "星期天"))
        return 0;
    for (int d = 0; d < 7; d++)
        for (int k = 0; k < 4; k++)
            if ((k < 2 && !ascii_casecmp(w, day_words[d][k])) || (k >= 2 && !strcmp(w, day_words[d][k])))
                return d;
    return -1;
}

int repeat_days_parse(const char *s, const char *tz, int64_t now, int *days)
{
    *days = 0;
    if (!ascii_casecmp(s, "daily") || !strcmp(s, "每天") || !strcmp(s, "每日")) {
        *days = ALL_DAYS;
        return KB_OK;
    }
    if (!ascii_casecmp(s, "weekdays") || !strcmp(s, "工作日")) {
        *days = WEEKDAYS;
        return KB_OK;
    }
    if (!ascii_casecmp(s, "weekly") || !strcmp(s, "每周")) {
        struct tm tm;
        tz_local(tz, now, &tm);
        *days = 1 << tm.tm_wday;
        return KB_OK;
    }
    /* a list: "mon,thu", "mon thu", "周一、周四", "周一，周四" */
    char *copy = xstrdup(s);
    static const char *const seps[] = {"，", "、"};
    for (size_t i = 0; i < sizeof seps / sizeof seps[0]; i++)
        for (char *x; (x = strstr(copy, seps[i])) != NULL;)
            memset(x, ' ', strlen(seps[i]));
    for (char *x = copy; *x; x++)
        if (*x == ',')
            *x = ' ';
    const char *p = copy;
    int rc = KB_OK, n = 0;
    for (char *w; rc == KB_OK && (w = command_next_word(&p)) != NULL; n++) {
        int d = day_word(w);
        if (d < 0)
            rc = KB_EINVAL;
        else
            *days |= 1 << d;
        free(w);
    }
    free(copy);
    if (!n)
        rc = KB_EINVAL;
    if (rc)
        *days = 0;
    return rc;
}

int64_t repeat_next_after(const char *tz, int at_min, int days, int64_t t)
{
    if (!(days & ALL_DAYS))
        return -1;
    int64_t today = tz_day(tz, t);
    for (int64_t day = today; day <= today + 8; day++) {
        int y, mon, d, wday;
        tz_day_ymd(day, &y, &mon, &d, &wday);
        if (!(days & (1 << wday)))
            continue;
        int64_t at = tz_instant(tz, y, mon, d, at_min / 60, at_min % 60);
        if (at > t)
            return at;
    }
    return -1;
}

/* "daily", "weekdays" or "Mon, Thu" in lang. */
static void days_text(const char *lang, int days, struct sbuf *out)
{
    if (days == ALL_DAYS) {
        text_format(out, lang, "repeat.daily", NOARGS);
        return;
    }
    if (days == WEEKDAYS) {
        text_format(out, lang, "repeat.weekdays", NOARGS);
        return;
    }
    static const char *const keys[7] = {"repeat.sun", "repeat.mon", "repeat.tue", "repeat.wed",
                                        "repeat.thu", "repeat.fri", "repeat.sat"};
    int first = 1;
    for (int i = 1; i <= 7; i++) { /* Monday first */
        int d = i % 7;
        if (!(days & (1 << d)))
            continue;
        if (!first)
            sbuf_add(out, text_get(lang, "repeat.sep"));
        sbuf_add(out, text_get(lang, keys[d]));
        first = 0;
    }
}

/* ==== starting and stopping ============================================== */

int repeat_series_start(struct cmd_ctx *c, int64_t task_id, const struct task_def *d, struct sbuf *note)
{
    struct tm tm;
    tz_local(c->comm.tz, c->now, &tm);
    int at_min = tm.tm_hour * 60 + tm.tm_min;
    int64_t next = repeat_next_after(c->comm.tz, at_min, d->repeat_days, c->now);
    /* an occurrence lasts until the next one unless the definition says how long */
    int64_t deadline_s = d->deadline ? d->deadline - c->now : 0;
    int rc = KB_OK;
    if (!d->deadline)
        rc = store_exec(c->st, "UPDATE tasks SET deadline = ? WHERE id = ?", VALS(SI(next), SI(task_id)));
    /* announced where the command was typed, or in every group (--groups all, or from a private chat) */
    int everywhere = d->all_groups || c->ev->chat_type == KB_CHAT_PRIVATE;
    if (!rc)
        rc = store_exec(c->st,
                        "INSERT INTO task_series(community_id, days, at_min, deadline_s, platform, chat_id,"
                        " next_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        VALS(SI(c->comm.id), SI(d->repeat_days), SI(at_min), SI(deadline_s),
                             everywhere ? SN : ST(c->ev->platform), everywhere ? SN : ST(c->ev->chat_id),
                             SI(next), SI(c->member_id), SI(c->now)));
    int64_t series = store_last_id(c->st);
    if (!rc)
        rc = store_exec(c->st, "INSERT INTO task_occurrences(series_id, at, task_id) VALUES (?, ?, ?)",
                        VALS(SI(series), SI(c->now), SI(task_id)));
    if (rc)
        return rc;
    struct sbuf days = {0};
    char when[32], at[24];
    days_text(c->lang, d->repeat_days, &days);
    when_format(next, c->comm.tz, when, sizeof when);
    snprintf(at, sizeof at, "%02d:%02d", at_min / 60, at_min % 60);
    sbuf_addc(note, '\n');
    text_format(note, c->lang, "repeat.started",
                ARGS(TI("id", task_id), TS("days", days.s), TS("at", at), TS("next", when)));
    sbuf_free(&days);
    return KB_OK;
}

static int op_stop(struct cmd_ctx *c)
{
    const char *p = c->args;
    char *w = command_next_word(&p);
    int64_t id = 0, series = 0, stopped = 0;
    int bad = !w || task_parse_id(w, &id);
    free(w);
    if (bad)
        return ctx_reply(c, "repeat.stop_usage", NOARGS);
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT s.id, s.state = 'stopped' FROM task_occurrences o"
                                  " JOIN task_series s ON s.id = o.series_id"
                                  " WHERE o.task_id = ? AND s.community_id = ?",
                                  VALS(SI(id), SI(c->comm.id)));
    if (!s)
        return store_failure(c->st);
    int rc = store_step(c->st, s);
    if (rc == 1) {
        series = store_int(s, 0);
        stopped = store_int(s, 1);
    }
    store_done(s);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return ctx_reply(c, "repeat.not_repeating", ARGS(TI("id", id)));
    if (stopped)
        return ctx_reply(c, "repeat.already_stopped", ARGS(TI("id", id)));
    rc = store_exec(c->st, "UPDATE task_series SET state = 'stopped', stopped_at = ? WHERE id = ?",
                    VALS(SI(c->now), SI(series)));
    char target[32];
    snprintf(target, sizeof target, "task:%lld", (long long)id);
    if (!rc)
        rc = audit_add(c, "task.stop", target, "");
    return rc ? rc : ctx_reply(c, "repeat.stopped", ARGS(TI("id", id)));
}

/* ==== the tick =========================================================== */

struct series {
    int64_t id, community_id, next_at, deadline_s, last_task;
    int days, at_min;
    char platform[32], chat_id[128], tz[64];
    int everywhere;
};

/* Post every occurrence of x due by now that can still be done, then move
   its next post time past now: one transaction, so each happens once. */
static int series_catch_up(struct engine *e, struct series *x, int64_t now)
{
    int64_t due[CATCH_UP_MAX];
    size_t n = 0;
    for (int64_t at = x->next_at; at >= 0 && at <= now; at = repeat_next_after(x->tz, x->at_min, x->days, at)) {
        if (n == CATCH_UP_MAX) { /* a long outage: only the newest ones can still be open */
            memmove(due, due + 1, (CATCH_UP_MAX - 1) * sizeof *due);
            n--;
        }
        due[n++] = at;
    }
    struct community comm;
    struct sbuf note = {0}, days = {0};
    int rc = community_load(e, x->community_id, &comm);
    if (!rc) {
        days_text(comm.locale, x->days, &days);
        text_format(&note, comm.locale, "repeat.note", ARGS(TS("days", days.s)));
    }
    size_t posted = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        int64_t following = repeat_next_after(x->tz, x->at_min, x->days, due[i]);
        int64_t deadline = x->deadline_s ? due[i] + x->deadline_s : following;
        if (deadline <= now)
            continue; /* nobody could do it any more: skipped */
        int64_t id = 0;
        rc = task_post_copy(e, x->community_id, x->last_task, deadline, x->everywhere ? NULL : x->platform,
                            x->everywhere ? NULL : x->chat_id, note.s, now, &id);
        if (!rc)
            rc = store_exec(e->st, "INSERT INTO task_occurrences(series_id, at, task_id) VALUES (?, ?, ?)",
                            VALS(SI(x->id), SI(due[i]), SI(id)));
        if (!rc) {
            x->last_task = id;
            posted++;
        }
    }
    sbuf_free(&note);
    sbuf_free(&days);
    if (n > posted)
        engine_log(e, KB_LOG_INFO, "repeating task series %lld: %zu missed occurrence(s) skipped, past their deadline",
                   (long long)x->id, n - posted);
    int64_t next = n ? repeat_next_after(x->tz, x->at_min, x->days, due[n - 1]) : x->next_at;
    if (!rc)
        rc = store_exec(e->st, "UPDATE task_series SET next_at = ? WHERE id = ?", VALS(SI(next), SI(x->id)));
    return rc;
}

static int repeat_tick(struct engine *e, int64_t now)
{
    /* copied out first: posting reuses the statements */
    struct series *xs = NULL;
    size_t n = 0, cap = 0;
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT s.id, s.community_id, s.next_at, s.deadline_s, s.days, s.at_min,"
                                  " coalesce(s.platform, ''), coalesce(s.chat_id, ''), s.chat_id IS NULL, c.tz,"
                                  " (SELECT max(task_id) FROM task_occurrences o WHERE o.series_id = s.id)"
                                  " FROM task_series s JOIN communities c ON c.id = s.community_id"
                                  " WHERE s.state = 'active' AND s.next_at <= ? ORDER BY s.next_at, s.id",
                                  VALS(SI(now)));
    if (!s)
        return store_failure(e->st);
    int rc;
    while ((rc = store_step(e->st, s)) == 1) {
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            xs = xrealloc(xs, cap * sizeof *xs);
        }
        struct series *x = &xs[n++];
        memset(x, 0, sizeof *x);
        x->id = store_int(s, 0);
        x->community_id = store_int(s, 1);
        x->next_at = store_int(s, 2);
        x->deadline_s = store_int(s, 3);
        x->days = (int)store_int(s, 4);
        x->at_min = (int)store_int(s, 5);
        snprintf(x->platform, sizeof x->platform, "%s", store_text(s, 6));
        snprintf(x->chat_id, sizeof x->chat_id, "%s", store_text(s, 7));
        x->everywhere = (int)store_int(s, 8);
        snprintf(x->tz, sizeof x->tz, "%s", store_text(s, 9));
        x->last_task = store_int(s, 10); /* the newest occurrence: edits to it carry on */
    }
    store_done(s);
    rc = rc < 0 ? store_failure(e->st) : KB_OK;
    for (size_t i = 0; i < n && !rc; i++)
        rc = series_catch_up(e, &xs[i], now);
    free(xs);
    return rc;
}

static int64_t repeat_next_due(struct engine *e, int64_t now)
{
    (void)now;
    int64_t t = -1;
    if (store_i64(e->st, &t, "SELECT min(next_at) FROM task_series WHERE state = 'active'", NOVALS))
        return -1;
    return t;
}

static const struct cmd_sub subs[] = {
    {"task", "stop", op_stop, CMD_OPERATOR, 0, -1},
};

static const struct text_entry texts[] = {
    {"repeat.started", "🔁 任务 #{id} 会在{days} {at} 重新发布，每次都是新任务（各自的截止时间和领取）；下一次：{next}。/task stop {id} 结束。",
     "🔁 Task #{id} repeats {days} at {at}, each time as a new task (its own deadline and claims); next: {next}. /task stop {id} ends it."},
    {"repeat.note", "🔁 {days}重复的任务", "🔁 Repeats {days}"},
    {"repeat.daily", "每天", "daily"},
    {"repeat.weekdays", "每个工作日", "on weekdays"},
    {"repeat.sep", "、", ", "},
    {"repeat.sun", "周日", "Sun"},
    {"repeat.mon", "周一", "Mon"},
    {"repeat.tue", "周二", "Tue"},
    {"repeat.wed", "周三", "Wed"},
    {"repeat.thu", "周四", "Thu"},
    {"repeat.fri", "周五", "Fri"},
    {"repeat.sat", "周六", "Sat"},
    {"repeat.stop_usage", "用法：/task stop <任务编号>（这个任务所在的重复系列不再发布新任务）",
     "Usage: /task stop <task id> (the series that task belongs to posts no more)"},
    {"repeat.not_repeating", "任务 #{id} 不是重复任务。", "Task #{id} doesn't repeat."},
    {"repeat.already_stopped", "任务 #{id} 的重复已经结束了。", "Task #{id}'s series has already stopped."},
    {"repeat.stopped", "⏹ 任务 #{id} 的重复已结束，不会再发布新的一期；已经发布的仍可在截止前完成（要提前结束请用 /task close）。",
     "⏹ Task #{id}'s series stopped: no new occurrences. Those already posted stay open until their deadline (/task close ends one sooner)."},
    {"audit.task.stop", "结束重复任务", "stopped the series of"},
};

static const char *const migrations[] = {
    /* 1: series and their occurrences */
    "CREATE TABLE task_series ("
    "  id INTEGER PRIMARY KEY,"
    "  community_id INTEGER NOT NULL REFERENCES communities(id),"
    "  days INTEGER NOT NULL CHECK (days BETWEEN 1 AND 127)," /* bit 0 = Sunday */
    "  at_min INTEGER NOT NULL CHECK (at_min BETWEEN 0 AND 1439)," /* local time of day */
    "  deadline_s INTEGER NOT NULL DEFAULT 0," /* an occurrence's deadline after its post; 0 = the next post */
    "  platform TEXT,"                         /* where it is announced; NULL = every group */
    "  chat_id TEXT,"
    "  next_at INTEGER NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active','stopped')),"
    "  created_by INTEGER,"
    "  created_at INTEGER NOT NULL,"
    "  stopped_at INTEGER"
    ") STRICT;"
    "CREATE INDEX task_series_due ON task_series(state, next_at);"
    /* one task per series and post time */
    "CREATE TABLE task_occurrences ("
    "  series_id INTEGER NOT NULL REFERENCES task_series(id),"
    "  at INTEGER NOT NULL,"
    "  task_id INTEGER NOT NULL UNIQUE REFERENCES tasks(id),"
    "  PRIMARY KEY (series_id, at)"
    ") STRICT;",
};

const struct kb_module repeat_module = {
    .name = "repeat",
    .texts = texts,
    .n_texts = KB_COUNT(texts),
    .subs = subs,
    .n_subs = KB_COUNT(subs),
    .tick = repeat_tick,
    .next_due = repeat_next_due,
    .migrations = migrations,
    .n_migrations = KB_COUNT(migrations),
};
