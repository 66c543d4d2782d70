/*
 * Growth camps; see camp.h.
 *
 * Week w of a camp runs from starts_at + (w-1) weeks to its deadline, a
 * minute before week w+1 starts.  The tick does three things per week, in
 * order, each once: start it (create the task, send the tutorial), remind
 * the members who have not claimed the task a day before the deadline, and
 * post the week's progress at the deadline.  The counters started, reminded
 * and summarised on the camp row are the fire-once marks: each step and
 * the counter it advances commit together.  A member graduates when the
 * tasks of `required` weeks are approved for them (task_completions);
 * graduated_at is set once, the badge is a ledger row (reason "camp", ref
 * "camp:<id>"), so neither a replay nor a second approval can repeat it.
 *
 * Who may enrol is one rule text, camps.enrol: "all", "level:<n>",
 * "tag:<name>", "invite"; another kind is one more branch in
 * enrol_refusal.
 */
#include "camp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "command.h"
#include "defn.h"
#include "growth.h"
#include "ledger.h"
#include "outbox.h"
#include "standing.h"
#include "tag.h"
#include "task.h"
#include "tz.h"
#include "who.h"

#define WEEK_S (7 * 86400)
#define CAMP_NAME_MAX 40
#define CAMP_WEEKS_MAX 12
#define CAMP_CAP_MAX 10000
#define CAMP_THEME_MAX 60
#define CAMP_TUTORIAL_MAX 1500
#define CAMP_TASK_MAX 500
#define CAMP_BADGE_MAX 32
#define CAMP_POINTS_MAX 100000
#define CAMP_START_HOUR 9     /* a date alone starts the camp at 09:00 */
#define CAMP_REMIND_S 86400   /* before each week's deadline */
#define CAMP_WORK_MAX 60      /* characters of a work quoted on a certificate */

struct camp {
    int64_t id, community_id, weeks, required, starts_at, cap, points;
    int64_t started, reminded, summarised;
    char *name, *enrol, *pool, *badge, *platform, *chat_id;
};

static void camp_free(struct camp *k)
{
    free(k->name);
    free(k->enrol);
    free(k->pool);
    free(k->badge);
    free(k->platform);
    free(k->chat_id);
}

static int64_t week_start(const struct camp *k, int64_t w)
{
    return k->starts_at + (w - 1) * WEEK_S;
}

static int64_t week_deadline(const struct camp *k, int64_t w)
{
    return k->starts_at + w * WEEK_S - 60;
}

#define CAMP_COLUMNS                                                                             \
    "id, community_id, weeks, required, starts_at, cap, points, started, reminded, summarised,"   \
    " name, enrol, coalesce(pool, ''), badge, platform, chat_id"

static void camp_read(sqlite3_stmt *s, struct camp *k)
{
    *k = (struct camp){store_int(s, 0), store_int(s, 1), store_int(s, 2), store_int(s, 3), store_int(s, 4),
                       store_int(s, 5), store_int(s, 6), store_int(s, 7), store_int(s, 8), store_int(s, 9),
                       xstrdup(store_text(s, 10)), xstrdup(store_text(s, 11)), xstrdup(store_text(s, 12)),
                       xstrdup(store_text(s, 13)), xstrdup(store_text(s, 14)), xstrdup(store_text(s, 15))};
}

/* The camp with this id (community_id 0 = any); KB_ENOTFOUND when none. */
static int camp_load(struct engine *e, int64_t community_id, int64_t id, struct camp *k)
{
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT " CAMP_COLUMNS " FROM camps WHERE id = ?1 AND (?2 = 0 OR community_id = ?2)",
                                  VALS(SI(id), SI(community_id)));
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    if (rc == 1)
        camp_read(s, k);
    store_done(s);
    return rc < 0 ? rc : rc == 1 ? KB_OK : KB_ENOTFOUND;
}

/* A post in the camp's own chat. */
static int camp_post(struct engine *e, const struct camp *k, const char *markup, int64_t now)
{
    struct kb_reply r = {.kind = KB_REPLY_SEND, .platform = k->platform, .chat_id = k->chat_id, .text = markup};
    return outbox_add(e, &r, NULL, now);
}

/* Private words to many members: each privately where possible; the rest
   mentioned in one post in the camp's chat with the same words. */
struct tell_many {
    struct sbuf unreached;
};

static int tell_one(struct engine *e, struct tell_many *t, int64_t member, const char *markup, int64_t now)
{
    int sent = 0;
    int rc = member_tell_privately(e, member, markup, NULL, now, &sent);
    if (!rc && !sent) {
        if (t->unreached.len)
            sbuf_addc(&t->unreached, ' ');
        task_mention(e, member, &t->unreached);
    }
    return rc;
}

static int tell_rest(struct engine *e, const struct camp *k, struct tell_many *t, const char *lang, const char *markup,
                     int64_t now)
{
    int rc = KB_OK;
    if (t->unreached.len) {
        struct sbuf b = {0};
        sbuf_add(&b, markup);
        member_private_note(lang, t->unreached.s, &b);
        rc = camp_post(e, k, b.s, now);
        sbuf_free(&b);
    }
    sbuf_free(&t->unreached);
    return rc;
}

/* Every member id the query s yields, into *ids (owned, free it). */
static int member_ids_new(struct engine *e, sqlite3_stmt *s, int64_t **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    if (!s)
        return store_failure(e->st);
    size_t cap = 0;
    int rc;
    while ((rc = store_step(e->st, s)) == 1) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            *ids = xrealloc(*ids, cap * sizeof **ids);
        }
        (*ids)[(*n)++] = store_int(s, 0);
    }
    store_done(s);
    return rc < 0 ? rc : KB_OK;
}

/* Enrolled members of a camp, oldest first (owned). */
static int enrolled_new(struct engine *e, int64_t camp, int64_t **ids, size_t *n)
{
    return member_ids_new(e,
                          store_query(e->st,
                                      "SELECT member_id FROM camp_members WHERE camp_id = ? AND state = 'enrolled'"
                                      " ORDER BY enrolled_at, member_id",
                                      VALS(SI(camp))),
                          ids, n);
}

/* The weeks of a camp approved for a member (SQL, over columns or
   parameters): the week's task is in the member's task_completions. */
#define WEEKS_DONE(camp, member)                                                                  \
    "(SELECT count(*) FROM camp_weeks w JOIN task_completions t ON t.task_ref = 'task:' || w.task_id" \
    " AND t.member_id = " member " WHERE w.camp_id = " camp ")"

/* Weeks of the camp approved for member. */
static int weeks_done(struct engine *e, int64_t camp, int64_t member, int64_t *n)
{
    return store_i64(e->st, n, "SELECT " WEEKS_DONE("?1", "?2"), VALS(SI(camp), SI(member)));
}

/* ==== the weekly steps (tick) =========================================== */

static int start_week(struct engine *e, const struct camp *k, const struct community *comm, int64_t now)
{
    int64_t w = k->started + 1;
    sqlite3_stmt *s = store_query(e->st, "SELECT theme, tutorial, task FROM camp_weeks WHERE camp_id = ? AND week = ?",
                                  VALS(SI(k->id), SI(w)));
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    char *theme = rc == 1 ? xstrdup(store_text(s, 0)) : NULL;
    char *tutorial = rc == 1 ? xstrdup(store_text(s, 1)) : NULL;
    char *brief = rc == 1 ? xstrdup(store_text(s, 2)) : NULL;
    store_done(s);
    if (rc < 0)
        return rc;
    rc = store_exec(e->st, "UPDATE camps SET started = ? WHERE id = ?", VALS(SI(w), SI(k->id)));
    struct sbuf b = {0}, title = {0};
    if (!rc && now >= week_deadline(k, w)) { /* the whole week passed while the bot was down */
        engine_log(e, KB_LOG_WARN, "camp %lld: week %lld ended before it could start", (long long)k->id, (long long)w);
        free(theme);
        free(tutorial);
        free(brief);
        return rc;
    }
    if (!rc && !theme) { /* nobody wrote this week: the operators hear it, no task */
        text_format(&b, comm->locale, "camp.week_missing", ARGS(TU("camp", k->name), TI("week", w), TI("id", k->id)));
        rc = camp_post(e, k, b.s, now);
        sbuf_free(&b);
        return rc;
    }
    text_format(&title, comm->locale, "camp.task_title", ARGS(TS("camp", k->name), TI("week", w), TS("theme", theme)));
    struct task_def d = {.tier = "explore", .title = title.s, .brief = brief, .points = k->points,
                         .deadline = week_deadline(k, w), .access = "invite", .review = 1};
    int64_t task = 0, *ids = NULL;
    size_t n = 0;
    if (!rc)
        rc = task_insert(e, k->community_id, &d, 0, now, &task);
    if (!rc)
        rc = store_exec(e->st, "UPDATE camp_weeks SET task_id = ? WHERE camp_id = ? AND week = ?",
                        VALS(SI(task), SI(k->id), SI(w)));
    if (!rc)
        rc = enrolled_new(e, k->id, &ids, &n);
    for (size_t i = 0; i < n && !rc; i++)
        rc = task_invite(e, task, ids[i], 0, now);
    char when[32];
    when_format(week_deadline(k, w), comm->tz, when, sizeof when);
    struct sbuf text = {0};
    text_user_block(&text, tutorial);
    text_format(&b, comm->locale, "camp.tutorial",
                ARGS(TU("camp", k->name), TI("week", w), TI("weeks", k->weeks), TU("theme", theme), TS("tutorial", text.s),
                     TU("task", brief), TI("id", task), TS("deadline", when)));
    struct tell_many t = {0};
    for (size_t i = 0; i < n && !rc; i++)
        rc = tell_one(e, &t, ids[i], b.s, now);
    if (!rc)
        rc = tell_rest(e, k, &t, comm->locale, b.s, now);
    sbuf_free(&t.unreached);
    struct sbuf post = {0};
    text_format(&post, comm->locale, "camp.week_started",
                ARGS(TU("camp", k->name), TI("week", w), TU("theme", theme), TI("id", task), TI("n", (int64_t)n)));
    if (!rc)
        rc = camp_post(e, k, post.s, now);
    sbuf_free(&post);
    sbuf_free(&text);
    sbuf_free(&b);
    sbuf_free(&title);
    free(ids);
    free(theme);
    free(tutorial);
    free(brief);
    return rc;
}

/* The week's task (0 = the week had none). */
static int week_task(struct engine *e, int64_t camp, int64_t w, int64_t *task)
{
    *task = 0;
    int rc = store_i64(e->st, task, "SELECT task_id FROM camp_weeks WHERE camp_id = ? AND week = ?",
                       VALS(SI(camp), SI(w)));
    return rc == KB_ENOTFOUND ? KB_OK : rc;
}

/* Those who have not even claimed the week's task: a claim that waits
   for its work is reminded by the task's own deadline reminder (review.c). */
static int remind_week(struct engine *e, const struct camp *k, const struct community *comm, int64_t now)
{
    int64_t w = k->reminded + 1, task = 0;
    int rc = store_exec(e->st, "UPDATE camps SET reminded = ? WHERE id = ?", VALS(SI(w), SI(k->id)));
    if (!rc)
        rc = week_task(e, k->id, w, &task);
    if (rc || !task || now >= week_deadline(k, w))
        return rc; /* no task, or too late to help */
    int64_t *ids = NULL;
    size_t n = 0;
    rc = member_ids_new(e,
                        store_query(e->st,
                                    "SELECT m.member_id FROM camp_members m WHERE m.camp_id = ?1 AND m.state = 'enrolled'"
                                    " AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.task_id = ?2 AND c.member_id = m.member_id"
                                    "  AND c.state IN ('claimed','rejected','submitted','approved'))"
                                    " ORDER BY m.enrolled_at, m.member_id",
                                    VALS(SI(k->id), SI(task))),
                        &ids, &n);
    if (rc)
        return rc;
    char when[32];
    when_format(week_deadline(k, w), comm->tz, when, sizeof when);
    struct sbuf b = {0};
    text_format(&b, comm->locale, "camp.remind",
                ARGS(TU("camp", k->name), TI("week", w), TI("id", task), TS("deadline", when)));
    struct tell_many t = {0};
    rc = KB_OK;
    for (size_t i = 0; i < n && !rc; i++)
        rc = tell_one(e, &t, ids[i], b.s, now);
    if (!rc)
        rc = tell_rest(e, k, &t, comm->locale, b.s, now);
    sbuf_free(&t.unreached);
    sbuf_free(&b);
    free(ids);
    return rc;
}

static int summarise_week(struct engine *e, const struct camp *k, const struct community *comm, int64_t now)
{
    int64_t w = k->summarised + 1, task = 0;
    int rc = store_exec(e->st, "UPDATE camps SET summarised = ? WHERE id = ?", VALS(SI(w), SI(k->id)));
    if (!rc)
        rc = week_task(e, k->id, w, &task);
    if (rc)
        return rc;
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT count(*),"
                                  " sum(EXISTS (SELECT 1 FROM claims c WHERE c.task_id = ?2 AND c.member_id = m.member_id"
                                  "  AND c.state IN ('submitted','approved'))),"
                                  " sum(EXISTS (SELECT 1 FROM claims c WHERE c.task_id = ?2 AND c.member_id = m.member_id"
                                  "  AND c.state = 'approved')),"
                                  " sum(m.graduated_at IS NOT NULL)"
                                  " FROM camp_members m WHERE m.camp_id = ?1 AND m.state = 'enrolled'",
                                  VALS(SI(k->id), SI(task)));
    if (!s)
        return store_failure(e->st);
    rc = store_step(e->st, s);
    int64_t n = rc == 1 ? store_int(s, 0) : 0, handed = rc == 1 ? store_int(s, 1) : 0;
    int64_t approved = rc == 1 ? store_int(s, 2) : 0, graduated = rc == 1 ? store_int(s, 3) : 0;
    store_done(s);
    if (rc < 0)
        return rc;
    struct sbuf b = {0};
    text_format(&b, comm->locale, "camp.progress",
                ARGS(TU("camp", k->name), TI("week", w), TI("weeks", k->weeks), TI("n", n), TI("handed", handed),
                     TI("approved", approved), TI("graduated", graduated)));
    if (w == k->weeks) {
        sbuf_addc(&b, '\n');
        text_format(&b, comm->locale, "camp.finished", ARGS(TI("graduated", graduated), TI("required", k->required)));
    }
    rc = camp_post(e, k, b.s, now);
    sbuf_free(&b);
    return rc;
}

/* The instant of the camp's next step (INT64_MAX: none; the scalar min()
   of SQLite is NULL when any argument is). */
#define CAMP_NEVER "9223372036854775807"
#define CAMP_NEXT_SQL                                                                              \
    "min(CASE WHEN started < weeks THEN starts_at + started * 604800 ELSE " CAMP_NEVER " END,"         \
    " CASE WHEN reminded < started THEN starts_at + (reminded + 1) * 604800 - 60 - 86400"             \
    " ELSE " CAMP_NEVER " END,"                                                                      \
    " CASE WHEN summarised < started THEN starts_at + (summarised + 1) * 604800 - 60"                \
    " ELSE " CAMP_NEVER " END)"

static int camp_tick(struct engine *e, int64_t now)
{
    int rc = KB_OK;
    /* one step at a time, the earliest first, until nothing is due: a
       bot that was down catches up in the order the weeks ran */
    for (int guard = 0; guard < 1000 && !rc; guard++) {
        sqlite3_stmt *s = store_query(e->st,
                                      "SELECT " CAMP_COLUMNS " FROM camps WHERE summarised < weeks"
                                      " AND " CAMP_NEXT_SQL " <= ?1 ORDER BY " CAMP_NEXT_SQL ", id LIMIT 1",
                                      VALS(SI(now)));
        if (!s)
            return store_failure(e->st);
        struct camp k;
        int found = store_step(e->st, s);
        if (found == 1)
            camp_read(s, &k);
        store_done(s);
        if (found != 1)
            return found < 0 ? found : KB_OK;
        struct community comm;
        rc = community_load(e, k.community_id, &comm);
        int64_t start = k.started < k.weeks ? week_start(&k, k.started + 1) : INT64_MAX;
        int64_t remind = k.reminded < k.started ? week_deadline(&k, k.reminded + 1) - CAMP_REMIND_S : INT64_MAX;
        int64_t summary = k.summarised < k.started ? week_deadline(&k, k.summarised + 1) : INT64_MAX;
        if (!rc && remind <= now && remind <= start && remind <= summary)
            rc = remind_week(e, &k, &comm, now);
        else if (!rc && summary <= now && summary <= start)
            rc = summarise_week(e, &k, &comm, now);
        else if (!rc)
            rc = start_week(e, &k, &comm, now);
        camp_free(&k);
    }
    return rc;
}

static int64_t camp_next_due(struct engine *e, int64_t now)
{
    (void)now;
    int64_t t = -1;
    int rc = store_i64(e->st, &t, "SELECT min(" CAMP_NEXT_SQL ") FROM camps WHERE summarised < weeks", NOVALS);
    return rc || t == INT64_MAX ? -1 : t;
}

/* ==== graduation ======================================================== */

/* "第 1 周 构图：三分法的街角（已通过）" lines of what the member handed in. */
static int certificate_works(struct engine *e, const struct camp *k, int64_t member, const char *lang,
                             struct sbuf *out)
{
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT w.week, w.theme, (SELECT x.text FROM submissions x WHERE x.task_id = w.task_id"
                                  "  AND x.member_id = ?2 ORDER BY x.state = 'approved' DESC, x.id DESC LIMIT 1)"
                                  " FROM camp_weeks w JOIN task_completions c"
                                  " ON c.task_ref = 'task:' || w.task_id AND c.member_id = ?2"
                                  " WHERE w.camp_id = ?1 ORDER BY w.week",
                                  VALS(SI(k->id), SI(member)));
    if (!s)
        return store_failure(e->st);
    int rc = KB_OK;
    while ((rc = store_step(e->st, s)) == 1) {
        const char *work = store_text(s, 2);
        size_t n = strlen(work), cut = utf8_clip(work, n, CAMP_WORK_MAX * 4);
        char *clipped = xstrndup(work, cut);
        sbuf_addc(out, '\n');
        text_format(out, lang, "camp.cert_work",
                    ARGS(TI("week", store_int(s, 0)), TU("theme", store_text(s, 1)), TU("work", clipped)));
        free(clipped);
    }
    store_done(s);
    return rc < 0 ? rc : KB_OK;
}

static int graduate(struct engine *e, const struct camp *k, int64_t member, int64_t done, int64_t now)
{
    int rc = store_exec(e->st,
                        "UPDATE camp_members SET graduated_at = ? WHERE camp_id = ? AND member_id = ?"
                        " AND graduated_at IS NULL",
                        VALS(SI(now), SI(k->id), SI(member)));
    if (rc || store_changes(e->st) == 0)
        return rc;
    char ref[32];
    snprintf(ref, sizeof ref, "camp:%lld", (long long)k->id);
    struct ledger_entry le = {.community_id = k->community_id, .member_id = member, .kind = "badge", .amount = 1,
                              .unit = k->badge, .reason = "camp", .ref = ref, .at = now};
    rc = ledger_add(e, &le, NULL);
    struct community comm;
    if (!rc)
        rc = community_load(e, k->community_id, &comm);
    if (rc)
        return rc;
    char from[32], to[32];
    when_format(week_start(k, 1), comm.tz, from, sizeof from);
    when_format(week_deadline(k, k->weeks), comm.tz, to, sizeof to);
    from[10] = to[10] = '\0'; /* the dates */
    struct sbuf who = {0}, cert = {0};
    member_name(e, member, &who);
    text_format(&cert, comm.locale, "camp.certificate",
                ARGS(TS("name", who.s), TU("camp", k->name), TS("from", from), TS("to", to), TI("done", done),
                     TI("weeks", k->weeks), TU("badge", k->badge)));
    rc = certificate_works(e, k, member, comm.locale, &cert);
    if (!rc)
        rc = store_exec(e->st, "UPDATE camp_members SET certificate = ? WHERE camp_id = ? AND member_id = ?",
                        VALS(ST(cert.s), SI(k->id), SI(member)));
    if (!rc) /* a celebration for the brand's groups, after the approval that earned it */
        rc = community_post_after(e, k->community_id, cert.s, NULL, now);
    if (!rc && *k->pool) { /* the invitation is the member's own business */
        struct sbuf b = {0};
        text_format(&b, comm.locale, "camp.pool_invite", ARGS(TS("name", who.s), TU("pool", k->pool), TI("id", k->id)));
        rc = growth_tell(e, k->community_id, member, comm.locale, b.s, now);
        sbuf_free(&b);
    }
    char target[32];
    growth_member_target(member, target, sizeof target);
    if (!rc)
        rc = growth_audit_system(e, k->community_id, "camp.graduate", target, ref, now);
    sbuf_free(&who);
    sbuf_free(&cert);
    return rc;
}

/* After an approval (or any standing change): the member's camps where
   they now have the required weeks (20 unfinished camps at once at most
   are looked at; the next change looks at the rest). */
static int camp_member_progress(struct engine *e, int64_t community_id, int64_t member, int64_t now)
{
    (void)community_id;
    if (!engine_exists(e, "SELECT 1 FROM camp_members WHERE state = 'enrolled' AND graduated_at IS NULL LIMIT 1"))
        return KB_OK; /* no camp running: no lookup per standing change */
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT camp_id FROM camp_members WHERE member_id = ? AND state = 'enrolled'"
                                  " AND graduated_at IS NULL LIMIT 20",
                                  VALS(SI(member)));
    if (!s)
        return store_failure(e->st);
    int64_t camps[20];
    size_t n = 0;
    int rc = KB_OK;
    while (n < 20 && (rc = store_step(e->st, s)) == 1)
        camps[n++] = store_int(s, 0);
    store_done(s);
    if (rc < 0)
        return rc;
    rc = KB_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        struct camp k;
        int64_t done = 0;
        rc = camp_load(e, 0, camps[i], &k);
        if (rc)
            break;
        rc = weeks_done(e, k.id, member, &done);
        if (!rc && done >= k.required)
            rc = graduate(e, &k, member, done, now);
        camp_free(&k);
    }
    return rc;
}

/* ==== operators ========================================================= */

/* "2026-12-01" (09:00 that day) or any when_parse form. */
static int parse_start(const char *s, const char *tz, int64_t now, int64_t *out)
{
    int y, m, d;
    char tail;
    if (strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && m >= 1 && m <= 12 && d >= 1 &&
        d <= 31) {
        *out = tz_instant(tz, y, m, d, CAMP_START_HOUR, 0);
        return KB_OK;
    }
    return when_parse(s, tz, now, out);
}

static int bad_field(struct cmd_ctx *c, const char *field)
{
    struct sbuf b = {0};
    text_format(&b, c->lang, "camp.bad_field", ARGS(TU("field", field)));
    sbuf_addc(&b, '\n');
    text_format(&b, c->lang, "camp.new_usage", NOARGS);
    int rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    return rc;
}

/* An optional whole number field in [min, max]; *bad names it when wrong. */
static int64_t int_field(const struct defn *d, const char *key, int64_t min, int64_t max, int64_t dflt,
                         const char **bad)
{
    const char *v = defn_get(d, key);
    int64_t n = dflt;
    if (v && parse_i64(v, min, max, &n))
        *bad = key;
    return n;
}

/* /camp new <name> --weeks N --start DATE [--required N] [--level N | --invite]
   [--cap N] [--pool P] [--badge B] [--points N] */
static int camp_new_cmd(struct cmd_ctx *c)
{
    struct defn d;
    char err[96];
    if (!*c->args || defn_parse(c->args, &d, err, sizeof err))
        return ctx_reply(c, "camp.new_usage", NOARGS);
    static const char *const allowed[] = {"weeks", "start", "required", "level", "invite", "tag", "cap",
                                          "pool", "badge", "points", NULL};
    const char *bad = defn_unknown(&d, allowed), *name = d.head ? command_skip_space(d.head) : "";
    int64_t weeks = int_field(&d, "weeks", 1, CAMP_WEEKS_MAX, 0, &bad);
    int64_t required = int_field(&d, "required", 1, weeks > 0 ? weeks : 1, weeks, &bad);
    int64_t level = int_field(&d, "level", 2, KB_MAX_LEVELS, 0, &bad);
    int64_t cap = int_field(&d, "cap", 1, CAMP_CAP_MAX, 0, &bad);
    int64_t points = int_field(&d, "points", 0, CAMP_POINTS_MAX, 0, &bad);
    const char *pool = defn_get(&d, "pool"), *badge = defn_get(&d, "badge"), *start_s = defn_get(&d, "start");
    int64_t start = 0;
    int rc = KB_OK;
    struct sbuf audience = {0}, badge_name = {0};
    if (!bad && (!*name || utf8_count(name, strlen(name)) > CAMP_NAME_MAX))
        bad = "name";
    if (!bad && !weeks)
        bad = "weeks";
    if (!bad && (!start_s || parse_start(start_s, c->comm.tz, c->now, &start) || start <= c->now))
        bad = "start";
    const char *tag = defn_get(&d, "tag");
    if (!bad && level && defn_has(&d, "invite"))
        bad = "invite";
    if (!bad && tag && (level || defn_has(&d, "invite") || !tag_name_valid(tag)))
        bad = "tag"; /* one enrolment rule: a level, a tag or invitations */
    if (badge)
        sbuf_add(&badge_name, badge);
    else
        text_format(&badge_name, c->lang, "camp.badge_default", ARGS(TS("camp", name)));
    if (!bad && (!*badge_name.s || utf8_count(badge_name.s, badge_name.len) > CAMP_BADGE_MAX))
        bad = "badge";
    if (bad) {
        rc = bad_field(c, bad);
        goto out;
    }
    rc = standing_audience_check(c->e, c->comm.id, level, pool, c->lang, &audience);
    if (rc == KB_EINVAL) { /* a level above the ladder, a pool that does not exist */
        rc = ctx_reply_markup(c, audience.s, 0);
        goto out;
    }
    char enrol[24 + TAG_NAME_BYTES];
    if (level)
        snprintf(enrol, sizeof enrol, "level:%lld", (long long)level);
    else if (tag)
        snprintf(enrol, sizeof enrol, "tag:%s", tag);
    else
        snprintf(enrol, sizeof enrol, "%s", defn_has(&d, "invite") ? "invite" : "all");
    int64_t id = 0;
    if (!rc)
        rc = store_i64(c->st, &id,
                       "INSERT INTO camps(community_id, name, weeks, required, starts_at, enrol, cap, pool, badge,"
                       " points, platform, chat_id, created_by, created_at)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                       VALS(SI(c->comm.id), ST(name), SI(weeks), SI(required), SI(start), ST(enrol), SI(cap),
                            pool ? ST(pool) : SN, ST(badge_name.s), SI(points), ST(c->ev->platform), ST(c->ev->chat_id),
                            SI(c->member_id), SI(c->now)));
    char target[32];
    snprintf(target, sizeof target, "camp:%lld", (long long)id);
    if (!rc)
        rc = audit_add(c, "camp.new", target, name);
    if (!rc) {
        char when[32];
        when_format(start, c->comm.tz, when, sizeof when);
        rc = ctx_reply(c, "camp.created",
                       ARGS(TI("id", id), TU("camp", name), TI("weeks", weeks), TI("required", required),
                            TS("start", when)));
    }
out:
    sbuf_free(&audience);
    sbuf_free(&badge_name);
    defn_free(&d);
    return rc;
}

/* The camp named by the next word (replies when there is none). */
static int camp_arg(struct cmd_ctx *c, const char **p, struct camp *k, int *found)
{
    char *word = command_next_word(p);
    int64_t id = 0;
    *found = 0;
    int rc = word && !task_parse_id(word, &id) ? camp_load(c->e, c->comm.id, id, k) : KB_ENOTFOUND;
    if (rc == KB_ENOTFOUND)
        rc = ctx_reply(c, "camp.unknown", ARGS(TU("id", word ? word : "")));
    else if (!rc)
        *found = 1;
    free(word);
    return rc;
}

/* A subcommand whose first word names a camp of the community: fn gets
   the camp and the words after it. */
static int with_camp(struct cmd_ctx *c, int (*fn)(struct cmd_ctx *c, const struct camp *k, const char *rest))
{
    const char *p = c->args;
    struct camp k;
    int found = 0;
    int rc = camp_arg(c, &p, &k, &found);
    if (rc || !found)
        return rc;
    rc = fn(c, &k, p);
    camp_free(&k);
    return rc;
}

/* A required text field of at most max characters; *bad names the first wrong one. */
static void text_field(const struct defn *d, const char *key, size_t max, const char **bad)
{
    const char *v = defn_get(d, key);
    if (!v || !*v || utf8_count(v, strlen(v)) > max)
        *bad = *bad ? *bad : key;
}

/* /camp week <id> <n> --theme … --tutorial … --task … (or key: value lines) */
static int camp_week(struct cmd_ctx *c, const struct camp *k, const char *p)
{
    int rc = KB_OK;
    char *wword = command_next_word(&p);
    int64_t w = 0;
    struct defn d = {0};
    char err[96];
    const char *bad = NULL;
    if (!wword || parse_i64(wword, 1, k->weeks, &w)) {
        rc = ctx_reply(c, "camp.bad_week", ARGS(TU("got", wword ? wword : ""), TI("weeks", k->weeks)));
        goto out;
    }
    if (defn_parse(p, &d, err, sizeof err)) {
        rc = ctx_reply(c, "camp.week_usage", NOARGS);
        goto out;
    }
    static const char *const allowed[] = {"theme", "tutorial", "task", NULL};
    bad = defn_unknown(&d, allowed);
    text_field(&d, "theme", CAMP_THEME_MAX, &bad);
    text_field(&d, "tutorial", CAMP_TUTORIAL_MAX, &bad);
    text_field(&d, "task", CAMP_TASK_MAX, &bad);
    if (bad) {
        struct sbuf b = {0};
        text_format(&b, c->lang, "camp.bad_field", ARGS(TU("field", bad)));
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "camp.week_usage", NOARGS);
        rc = ctx_reply_markup(c, b.s, 0);
        sbuf_free(&b);
        goto out;
    }
    if (w <= k->started) {
        rc = ctx_reply(c, "camp.week_started_already", ARGS(TI("week", w)));
        goto out;
    }
    rc = store_exec(c->st,
                    "INSERT INTO camp_weeks(camp_id, week, theme, tutorial, task) VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT(camp_id, week) DO UPDATE SET theme = excluded.theme, tutorial = excluded.tutorial,"
                    " task = excluded.task",
                    VALS(SI(k->id), SI(w), ST(defn_get(&d, "theme")), ST(defn_get(&d, "tutorial")),
                         ST(defn_get(&d, "task"))));
    char target[32];
    snprintf(target, sizeof target, "camp:%lld", (long long)k->id);
    if (!rc)
        rc = audit_add(c, "camp.week", target, defn_get(&d, "theme"));
    if (!rc) {
        char when[32];
        when_format(week_start(k, w), c->comm.tz, when, sizeof when);
        rc = ctx_reply(c, "camp.week_saved",
                       ARGS(TU("camp", k->name), TI("week", w), TU("theme", defn_get(&d, "theme")), TS("start", when)));
    }
out:
    free(wword);
    defn_free(&d);
    return rc;
}

/* /camp invite <id> @member… */
static int camp_invite(struct cmd_ctx *c, const struct camp *k, const char *p)
{
    int rc = KB_OK;
    struct sbuf done = {0}, unknown = {0};
    char *who;
    while (!rc && (who = command_next_word(&p))) {
        int64_t member = 0;
        rc = member_find(c->e, c->comm.id, who, &member);
        struct sbuf *list = rc == KB_ENOTFOUND ? &unknown : &done;
        if (rc == KB_ENOTFOUND) {
            if (unknown.len)
                text_format(&unknown, c->lang, "standing.sep", NOARGS);
            text_user(&unknown, who);
            rc = KB_OK;
        } else if (!rc) {
            rc = store_exec(c->st,
                            "INSERT OR IGNORE INTO camp_members(camp_id, member_id, state, invited_by, invited_at)"
                            " VALUES (?, ?, 'invited', ?, ?)",
                            VALS(SI(k->id), SI(member), SI(c->member_id), SI(c->now)));
            char target[32];
            growth_member_target(member, target, sizeof target);
            char detail[32];
            snprintf(detail, sizeof detail, "camp:%lld", (long long)k->id);
            if (!rc && store_changes(c->st) > 0) {
                rc = audit_add(c, "camp.invite", target, detail);
                struct sbuf b = {0}, name = {0};
                member_name(c->e, member, &name);
                text_format(&b, c->lang, "camp.invited", ARGS(TS("name", name.s), TU("camp", k->name), TI("id", k->id)));
                if (!rc)
                    rc = growth_tell(c->e, c->comm.id, member, c->lang, b.s, c->now);
                sbuf_free(&b);
                sbuf_free(&name);
            }
            if (list->len)
                text_format(list, c->lang, "standing.sep", NOARGS);
            member_name(c->e, member, list);
        }
        free(who);
    }
    if (!rc && !done.len && !unknown.len)
        rc = ctx_reply(c, "camp.invite_usage", NOARGS);
    else if (!rc) {
        struct sbuf b = {0};
        if (done.len)
            text_format(&b, c->lang, "camp.invite_done", ARGS(TU("camp", k->name), TS("names", done.s)));
        if (unknown.len) {
            if (b.len)
                sbuf_addc(&b, '\n');
            text_format(&b, c->lang, "pool.unknown_members", ARGS(TS("names", unknown.s)));
        }
        rc = ctx_reply_markup(c, b.s, 0);
        sbuf_free(&b);
    }
    sbuf_free(&done);
    sbuf_free(&unknown);
    return rc;
}

/* /camp roster <id>: every enrolled member's weeks done. */
static int camp_roster(struct cmd_ctx *c, const struct camp *k, const char *rest)
{
    (void)rest; /* the table lets the camp be the only word */
    int rc = KB_OK;
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT m.member_id, m.graduated_at IS NOT NULL,"
                                  " " WEEKS_DONE("m.camp_id", "m.member_id")
                                  " FROM camp_members m WHERE m.camp_id = ? AND m.state = 'enrolled'"
                                  " ORDER BY 3 DESC, m.enrolled_at, m.member_id LIMIT 200",
                                  VALS(SI(k->id)));
    if (!s) {
        return store_failure(c->st);
    }
    struct sbuf b = {0};
    text_format(&b, c->lang, "camp.roster_head",
                ARGS(TU("camp", k->name), TI("week", k->started), TI("weeks", k->weeks), TI("required", k->required)));
    int n = 0;
    while ((rc = store_step(c->st, s)) == 1) {
        struct sbuf name = {0};
        member_name(c->e, store_int(s, 0), &name);
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, store_int(s, 1) ? "camp.roster_line_grad" : "camp.roster_line",
                    ARGS(TS("name", name.s), TI("done", store_int(s, 2)), TI("weeks", k->weeks)));
        sbuf_free(&name);
        n++;
    }
    store_done(s);
    if (rc == 0 && !n) {
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "camp.roster_empty", NOARGS);
    }
    if (rc == 0)
        rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    return rc < 0 ? rc : KB_OK;
}

/* ==== members =========================================================== */

/* Why the rule keeps the member out (a catalogue key), or NULL. */
static int enrol_refusal(struct cmd_ctx *c, const struct camp *k, const char **key, int64_t *level)
{
    *key = NULL;
    *level = 0;
    if (!strcmp(k->enrol, "all"))
        return KB_OK;
    if (!strncmp(k->enrol, "level:", 6)) {
        int have = 1;
        int rc = standing_level(c->e, c->member_id, &have);
        *level = strtoll(k->enrol + 6, NULL, 10);
        if (!rc && have < *level)
            *key = "camp.join_level";
        return rc;
    }
    if (!strncmp(k->enrol, "tag:", 4)) { /* members with a tag (a quiz's persona, an operator's label) */
        int yes = 0;
        int rc = tag_has(c->e, c->member_id, k->enrol + 4, &yes);
        if (!rc && !yes)
            *key = "camp.join_tag";
        return rc;
    }
    if (!strcmp(k->enrol, "invite")) {
        int64_t one = 0;
        int rc = store_i64(c->st, &one, "SELECT 1 FROM camp_members WHERE camp_id = ? AND member_id = ?",
                           VALS(SI(k->id), SI(c->member_id)));
        if (rc == KB_ENOTFOUND)
            *key = "camp.join_invite";
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    }
    *key = "camp.join_closed"; /* a rule this version does not know keeps everyone out */
    return KB_OK;
}

/* /camp join <id> */
static int camp_join(struct cmd_ctx *c, const struct camp *k, const char *rest)
{
    (void)rest; /* the table lets the camp be the only word */
    int rc = KB_OK;
    const char *why = NULL;
    int64_t level = 0, state_enrolled = 0, count = 0;
    rc = store_i64(c->st, &state_enrolled,
                   "SELECT state = 'enrolled' FROM camp_members WHERE camp_id = ? AND member_id = ?",
                   VALS(SI(k->id), SI(c->member_id)));
    if (rc == KB_ENOTFOUND)
        rc = KB_OK;
    if (!rc)
        rc = store_i64(c->st, &count, "SELECT count(*) FROM camp_members WHERE camp_id = ? AND state = 'enrolled'",
                       VALS(SI(k->id)));
    if (!rc && !state_enrolled)
        rc = enrol_refusal(c, k, &why, &level);
    if (rc)
        goto out;
    if (state_enrolled)
        why = "camp.join_already";
    else if (!why && k->started >= k->weeks)
        why = "camp.join_late";
    else if (!why && k->cap && count >= k->cap)
        why = "camp.join_full";
    if (why) {
        rc = ctx_reply(c, why, ARGS(TU("camp", k->name), TI("level", level), TI("cap", k->cap),
                                    TU("tag", strncmp(k->enrol, "tag:", 4) ? "" : k->enrol + 4)));
        goto out;
    }
    rc = store_exec(c->st,
                    "INSERT INTO camp_members(camp_id, member_id, state, enrolled_at) VALUES (?1, ?2, 'enrolled', ?3)"
                    " ON CONFLICT(camp_id, member_id) DO UPDATE SET state = 'enrolled', enrolled_at = ?3",
                    VALS(SI(k->id), SI(c->member_id), SI(c->now)));
    int64_t task = 0;
    if (!rc && k->started > 0 && c->now < week_deadline(k, k->started)) /* the week under way is theirs too */
        rc = week_task(c->e, k->id, k->started, &task);
    if (!rc && task)
        rc = task_invite(c->e, task, c->member_id, 0, c->now);
    if (rc)
        goto out;
    struct sbuf name = {0}, b = {0};
    member_name(c->e, c->member_id, &name);
    char when[32];
    when_format(k->starts_at, c->comm.tz, when, sizeof when);
    text_format(&b, c->lang, "camp.joined",
                ARGS(TS("name", name.s), TU("camp", k->name), TS("start", when), TI("weeks", k->weeks),
                     TI("required", k->required)));
    if (task) {
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "camp.joined_current", ARGS(TI("week", k->started), TI("id", task)));
    }
    rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&name);
    sbuf_free(&b);
out:
    return rc;
}

/* /camp pool <id>: a graduate accepts the camp's talent pool invitation. */
static int camp_pool(struct cmd_ctx *c, const struct camp *k, const char *rest)
{
    (void)rest; /* the table lets the camp be the only word */
    int rc = KB_OK;
    int64_t graduated = 0;
    rc = store_i64(c->st, &graduated,
                   "SELECT 1 FROM camp_members WHERE camp_id = ? AND member_id = ? AND graduated_at IS NOT NULL",
                   VALS(SI(k->id), SI(c->member_id)));
    if (rc == KB_ENOTFOUND || (!rc && !*k->pool)) {
        rc = ctx_reply(c, "camp.pool_none", ARGS(TU("camp", k->name)));
        goto out;
    }
    if (!rc)
        rc = store_exec(c->st,
                        "INSERT OR IGNORE INTO pool_members(community_id, pool, member_id, added_by, at)"
                        " SELECT ?1, p.name, ?2, NULL, ?3 FROM pools p WHERE p.community_id = ?1 AND p.name = ?4",
                        VALS(SI(c->comm.id), SI(c->member_id), SI(c->now), ST(k->pool)));
    int added = !rc && store_changes(c->st) > 0;
    char target[32];
    growth_member_target(c->member_id, target, sizeof target);
    if (added)
        rc = audit_add(c, "camp.pool", target, k->pool);
    if (!rc) {
        struct sbuf name = {0};
        member_label(c->e, c->member_id, &name);
        rc = ctx_reply(c, added ? "pool.accepted" : "pool.apply_member", ARGS(TS("name", name.s), TU("pool", k->pool)));
        sbuf_free(&name);
    }
out:
    return rc;
}

/* /camp: the member's camps with their progress, and the camps open to
   join; with words no subcommand takes, the usage. */
static int cmd_camp(struct cmd_ctx *c)
{
    if (*c->args)
        return ctx_reply(c, c->is_admin ? "camp.usage_operator" : "camp.usage", NOARGS);
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT k.id, k.name, k.weeks, k.required, k.started, m.state, m.graduated_at IS NOT NULL,"
                                  " " WEEKS_DONE("k.id", "m.member_id") ","
                                  " k.starts_at, k.cap, (SELECT count(*) FROM camp_members x WHERE x.camp_id = k.id"
                                  "  AND x.state = 'enrolled'), k.enrol"
                                  " FROM camps k LEFT JOIN camp_members m ON m.camp_id = k.id AND m.member_id = ?2"
                                  " WHERE k.community_id = ?1 AND (m.state = 'enrolled' OR k.started < k.weeks)"
                                  " ORDER BY k.id DESC LIMIT 20",
                                  VALS(SI(c->comm.id), SI(c->member_id)));
    if (!s)
        return store_failure(c->st);
    struct sbuf mine = {0}, open = {0};
    int rc = KB_OK;
    while ((rc = store_step(c->st, s)) == 1) {
        int in = !strcmp(store_text(s, 5), "enrolled");
        struct sbuf *b = in ? &mine : &open;
        sbuf_addc(b, '\n');
        char when[32];
        when_format(store_int(s, 8), c->comm.tz, when, sizeof when);
        if (in) {
            text_format(b, c->lang, store_int(s, 6) ? "camp.mine_grad" : store_int(s, 4) ? "camp.mine" : "camp.mine_soon",
                        ARGS(TI("id", store_int(s, 0)), TU("camp", store_text(s, 1)), TI("week", store_int(s, 4)),
                             TI("weeks", store_int(s, 2)), TI("done", store_int(s, 7)), TI("required", store_int(s, 3)),
                             TS("start", when)));
        } else {
            int64_t cap = store_int(s, 9);
            struct sbuf seats = {0};
            if (cap)
                text_format(&seats, c->lang, "camp.seats", ARGS(TI("n", store_int(s, 10)), TI("cap", cap)));
            text_format(b, c->lang, !strcmp(store_text(s, 11), "invite") ? "camp.open_invite" : "camp.open",
                        ARGS(TI("id", store_int(s, 0)), TU("camp", store_text(s, 1)), TS("start", when),
                             TI("weeks", store_int(s, 2)), TS("seats", sbuf_str(&seats))));
            sbuf_free(&seats);
        }
    }
    store_done(s);
    if (rc < 0) {
        sbuf_free(&mine);
        sbuf_free(&open);
        return rc;
    }
    struct sbuf b = {0};
    if (mine.len) {
        text_format(&b, c->lang, "camp.mine_head", NOARGS);
        sbuf_add(&b, mine.s);
    }
    if (open.len) {
        if (b.len)
            sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "camp.open_head", NOARGS);
        sbuf_add(&b, open.s);
    }
    if (!b.len)
        text_format(&b, c->lang, c->is_admin ? "camp.none_operator" : "camp.none", NOARGS);
    rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    sbuf_free(&mine);
    sbuf_free(&open);
    return rc;
}

static int camp_me_lines(struct cmd_ctx *c, struct sbuf *out)
{
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT k.name, m.graduated_at IS NOT NULL,"
                                  " " WEEKS_DONE("k.id", "m.member_id") ","
                                  " k.required FROM camp_members m JOIN camps k ON k.id = m.camp_id"
                                  " WHERE m.member_id = ? AND m.state = 'enrolled' ORDER BY k.id LIMIT 5",
                                  VALS(SI(c->member_id)));
    if (!s)
        return store_failure(c->st);
    int rc = KB_OK;
    while ((rc = store_step(c->st, s)) == 1) {
        sbuf_addc(out, '\n');
        text_format(out, c->lang, store_int(s, 1) ? "camp.me_grad" : "camp.me",
                    ARGS(TU("camp", store_text(s, 0)), TI("done", store_int(s, 2)), TI("required", store_int(s, 3))));
    }
    store_done(s);
    return rc < 0 ? rc : KB_OK;
}

static int camp_week_cmd(struct cmd_ctx *c)
{
    return with_camp(c, camp_week);
}

static int camp_invite_cmd(struct cmd_ctx *c)
{
    return with_camp(c, camp_invite);
}

static int camp_roster_cmd(struct cmd_ctx *c)
{
    return with_camp(c, camp_roster);
}

static int camp_join_cmd(struct cmd_ctx *c)
{
    return with_camp(c, camp_join);
}

static int camp_pool_cmd(struct cmd_ctx *c)
{
    return with_camp(c, camp_pool);
}

static const struct cmd_spec commands[] = {
    {"camp", cmd_camp, 0, "camp.help", "训练营"},
};

static const struct cmd_sub subs[] = {
    {"camp", "join", camp_join_cmd, 0, 1, 1},
    {"camp", "pool", camp_pool_cmd, 0, 1, 1},
    {"camp", "new", camp_new_cmd, CMD_OPERATOR, 1, -1},
    {"camp", "week", camp_week_cmd, CMD_OPERATOR, 2, -1},
    {"camp", "invite", camp_invite_cmd, CMD_OPERATOR, 2, -1},
    {"camp", "roster", camp_roster_cmd, CMD_OPERATOR, 1, 1},
};

static const char *const migrations[] = {
    /* 1: camps (the weekly steps done so far: started, reminded,
          summarised), their weeks (with the task each created), members
          invited or enrolled, graduation with its certificate */
    "CREATE TABLE camps ("
    "  id INTEGER PRIMARY KEY,"
    "  community_id INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  weeks INTEGER NOT NULL CHECK (weeks BETWEEN 1 AND 52),"
    "  required INTEGER NOT NULL CHECK (required BETWEEN 1 AND weeks),"
    "  starts_at INTEGER NOT NULL,"
    "  enrol TEXT NOT NULL,"                   /* all | level:<n> | invite (tag:<name> to come) */
    "  cap INTEGER NOT NULL DEFAULT 0,"        /* 0 = no limit */
    "  pool TEXT,"                             /* graduates are invited to this talent pool */
    "  badge TEXT NOT NULL,"
    "  points INTEGER NOT NULL DEFAULT 0,"     /* per approved week */
    "  platform TEXT NOT NULL,"                /* the camp's chat */
    "  chat_id TEXT NOT NULL,"
    "  started INTEGER NOT NULL DEFAULT 0,"
    "  reminded INTEGER NOT NULL DEFAULT 0,"
    "  summarised INTEGER NOT NULL DEFAULT 0,"
    "  created_by INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL"
    ") STRICT;"
    "CREATE INDEX camps_live ON camps(community_id) WHERE summarised < weeks;"
    "CREATE TABLE camp_weeks ("
    "  camp_id INTEGER NOT NULL,"
    "  week INTEGER NOT NULL,"
    "  theme TEXT NOT NULL,"
    "  tutorial TEXT NOT NULL,"
    "  task TEXT NOT NULL,"
    "  task_id INTEGER,"                       /* created when the week starts */
    "  PRIMARY KEY (camp_id, week)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE TABLE camp_members ("
    "  camp_id INTEGER NOT NULL,"
    "  member_id INTEGER NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('invited','enrolled')),"
    "  invited_by INTEGER,"
    "  invited_at INTEGER,"
    "  enrolled_at INTEGER,"
    "  graduated_at INTEGER,"
    "  certificate TEXT,"
    "  PRIMARY KEY (camp_id, member_id)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE INDEX camp_members_member ON camp_members(member_id) WHERE graduated_at IS NULL;",
};

static const struct text_entry texts[] = {
    {"camp.help", "/camp — 我的训练营进度和可报名的训练营 · /camp join &lt;编号&gt; — 报名",
     "/camp — my camps and the camps open to join · /camp join &lt;id&gt; — enrol"},
    {"camp.help.op", "/camp new|week|invite|roster — 训练营：开营、每周内容、邀请、花名册",
     "/camp new|week|invite|roster — growth camps: open one, each week's content, invitations, the roster"},
    {"camp.new_usage",
     "用法：/camp new &lt;名称&gt; --weeks 4 --start 2026-12-01 [--required 3] [--level 2 | --tag 标签 | --invite] [--cap 30] [--pool 人才库] [--badge 徽章] [--points 每周积分]",
     "Usage: /camp new &lt;name&gt; --weeks 4 --start 2026-12-01 [--required 3] [--level 2 | --tag tag | --invite] [--cap 30] [--pool pool] [--badge badge] [--points points per week]"},
    {"camp.week_usage",
     "用法：/camp week &lt;训练营编号&gt; &lt;第几周&gt; --theme 主题 --tutorial 教程（文字和链接）--task 本周作业",
     "Usage: /camp week &lt;camp id&gt; &lt;week&gt; --theme theme --tutorial tutorial (text and links) --task the week's assignment"},
    {"camp.usage", "用法：/camp 查看我的训练营｜/camp join &lt;编号&gt; 报名｜/camp pool &lt;编号&gt; 结业后加入人才库",
     "Usage: /camp (my camps), /camp join &lt;id&gt; (enrol), /camp pool &lt;id&gt; (join the pool as a graduate)"},
    {"camp.usage_operator",
     "用法：/camp new &lt;名称&gt; --weeks 4 --start 日期 …｜/camp week &lt;编号&gt; &lt;第几周&gt; --theme … --tutorial … --task …｜/camp invite &lt;编号&gt; @成员…｜/camp roster &lt;编号&gt;｜/camp join|pool &lt;编号&gt;",
     "Usage: /camp new &lt;name&gt; --weeks 4 --start DATE …, /camp week &lt;id&gt; &lt;week&gt; --theme … --tutorial … --task …, /camp invite &lt;id&gt; @member…, /camp roster &lt;id&gt;, /camp join|pool &lt;id&gt;"},
    {"camp.invite_usage", "用法：/camp invite &lt;训练营编号&gt; @成员…", "Usage: /camp invite &lt;camp id&gt; @member…"},
    {"camp.bad_field", "⚠️ {field} 这一项不对。", "⚠️ The {field} field is wrong."},
    {"camp.badge_default", "{camp}结业", "{camp} graduate"},
    {"camp.created", "✅ 训练营 #{id}「{camp}」已创建：共 {weeks} 周，完成 {required} 周即可结业，{start} 开营。\n用 /camp week {id} 1 --theme … --tutorial … --task … 写好每周内容；成员发送 /camp join {id} 报名。",
     "✅ Camp #{id} “{camp}” created: {weeks} week(s), {required} approved week(s) to graduate, starting {start}.\nWrite each week with /camp week {id} 1 --theme … --tutorial … --task …; members enrol with /camp join {id}."},
    {"camp.unknown", "没有编号为 {id} 的训练营，发送 /camp 查看。", "There is no camp {id}; send /camp to see them."},
    {"camp.bad_week", "第 {got} 周不存在：这个训练营共 {weeks} 周。", "There is no week {got}: the camp has {weeks} weeks."},
    {"camp.week_started_already", "第 {week} 周已经开始，内容不能再改了。", "Week {week} has started; its content can no longer change."},
    {"camp.week_saved", "✅「{camp}」第 {week} 周：{theme}，{start} 发给学员。", "✅ “{camp}” week {week}: {theme}, sent to the members on {start}."},
    {"camp.week_missing", "⚠️ 训练营「{camp}」第 {week} 周到了，但还没有内容，本周没有作业。运营请用 /camp week {id} … 补上后面几周。",
     "⚠️ Week {week} of the camp “{camp}” has come but has no content, so there is no assignment this week. Operators: fill in the coming weeks with /camp week {id} …"},
    {"camp.task_title", "{camp} · 第 {week} 周：{theme}", "{camp} · week {week}: {theme}"},
    {"camp.tutorial",
     "📚 <b>{camp}</b> 第 {week}/{weeks} 周：{theme}\n{tutorial}\n\n✍️ 本周作业（任务 #{id}）：{task}\n截止 {deadline}。先 /claim {id}，完成后 /submit {id} 作品链接或说明。",
     "📚 <b>{camp}</b> week {week}/{weeks}: {theme}\n{tutorial}\n\n✍️ This week's assignment (task #{id}): {task}\nDue {deadline}. /claim {id} first, then /submit {id} with your work."},
    {"camp.week_started", "📣「{camp}」第 {week} 周开始：{theme}。教程已发给 {n} 位学员，本周作业是任务 #{id}。",
     "📣 “{camp}” week {week} begins: {theme}. The tutorial went to {n} members; this week's assignment is task #{id}."},
    {"camp.remind", "⏰「{camp}」第 {week} 周作业（任务 #{id}）{deadline} 截止，还没交哦，加油！",
     "⏰ The week {week} assignment of “{camp}” (task #{id}) is due {deadline} and you haven't handed it in yet. You can do it!"},
    {"camp.progress", "📊「{camp}」第 {week}/{weeks} 周小结：{n} 位学员，{handed} 位交了作业，{approved} 位已通过；累计结业 {graduated} 位。",
     "📊 “{camp}” week {week}/{weeks}: {handed} of {n} handed in, {approved} approved; graduates so far: {graduated}."},
    {"camp.finished", "🏁 训练营结束！共有 {graduated} 位学员通过至少 {required} 周并结业，感谢大家的坚持。",
     "🏁 The camp is over! Graduates (at least {required} weeks approved): {graduated}. Thank you all for keeping at it."},
    {"camp.certificate", "🎓 <b>结业证书</b>\n{name} 完成了「{camp}」（{from} 至 {to}），通过 {done}/{weeks} 周，获得徽章 <b>{badge}</b>。作品：",
     "🎓 <b>Certificate</b>\n{name} completed “{camp}” ({from} to {to}), {done}/{weeks} weeks approved, and earns the badge <b>{badge}</b>. Work:"},
    {"camp.cert_work", "　第 {week} 周 {theme}：{work}", "  week {week} {theme}: {work}"},
    {"camp.pool_invite", "🌟 {name}，恭喜结业！邀请你加入人才库 {pool}：发送 /camp pool {id} 即可加入。",
     "🌟 {name}, congratulations! You are invited to the {pool} talent pool: send /camp pool {id} to join."},
    {"camp.pool_none", "「{camp}」没有给你的人才库邀请（结业后才有，且要训练营设置了人才库）。",
     "“{camp}” has no talent pool invitation for you (it comes with graduating, when the camp has a pool)."},
    {"camp.invited", "✉️ {name}，邀请你参加训练营「{camp}」：发送 /camp join {id} 报名。",
     "✉️ {name}, you are invited to the camp “{camp}”: send /camp join {id} to enrol."},
    {"camp.invite_done", "✅ 已邀请参加「{camp}」：{names}", "✅ Invited to “{camp}”: {names}"},
    {"camp.join_level", "「{camp}」需要达到 L{level} 才能报名，发送 /me 看看还差什么。",
     "“{camp}” is open from level {level}; send /me to see what you still need."},
    {"camp.join_invite", "「{camp}」只接受受邀成员报名。", "“{camp}” is by invitation only."},
    {"camp.join_tag", "「{camp}」只对有标签 {tag} 的成员开放。", "“{camp}” is open to members tagged {tag} only."},
    {"camp.join_closed", "「{camp}」现在不接受报名。", "“{camp}” is not taking enrolments."},
    {"camp.join_already", "你已经报名了「{camp}」，发送 /camp 查看进度。", "You are already in “{camp}”; send /camp to see your progress."},
    {"camp.join_late", "「{camp}」最后一周已经开始，下一期再来吧。", "The last week of “{camp}” has begun; join the next one."},
    {"camp.join_full", "「{camp}」名额已满（{cap} 人）。", "“{camp}” is full (at most {cap})."},
    {"camp.joined", "✅ {name} 报名了「{camp}」！{start} 开营，共 {weeks} 周，通过 {required} 周即可结业。每周教程会私信发给你。",
     "✅ {name} enrolled in “{camp}”! It starts {start} and runs {weeks} week(s); {required} approved week(s) graduate you. Each week's tutorial comes to you privately."},
    {"camp.joined_current", "第 {week} 周已经开始，本周作业是任务 #{id}。", "Week {week} is under way: this week's assignment is task #{id}."},
    {"camp.mine_head", "<b>我的训练营</b>", "<b>My camps</b>"},
    {"camp.mine", "#{id}「{camp}」：第 {week}/{weeks} 周，已通过 {done}/{required} 周",
     "#{id} “{camp}”: week {week}/{weeks}, {done}/{required} weeks approved"},
    {"camp.mine_soon", "#{id}「{camp}」：{start} 开营，共 {weeks} 周", "#{id} “{camp}”: starts {start}, {weeks} week(s)"},
    {"camp.mine_grad", "#{id}「{camp}」：🎓 已结业（通过 {done}/{weeks} 周）", "#{id} “{camp}”: 🎓 graduated ({done}/{weeks} weeks approved)"},
    {"camp.open_head", "<b>可报名的训练营</b>", "<b>Camps open to join</b>"},
    {"camp.open", "#{id}「{camp}」：{start} 开营，共 {weeks} 周{seats} — /camp join {id}",
     "#{id} “{camp}”: starts {start}, {weeks} week(s){seats} — /camp join {id}"},
    {"camp.open_invite", "#{id}「{camp}」：{start} 开营，共 {weeks} 周{seats}（仅限受邀成员）",
     "#{id} “{camp}”: starts {start}, {weeks} week(s){seats} (by invitation)"},
    {"camp.seats", "，已报 {n}/{cap}", ", {n}/{cap} enrolled"},
    {"camp.none", "现在没有训练营。", "There are no camps right now."},
    {"camp.none_operator", "还没有训练营。/camp new 名称 --weeks 4 --start 日期 开一个。",
     "No camps yet. /camp new name --weeks 4 --start DATE opens one."},
    {"camp.roster_head", "<b>「{camp}」花名册</b>（第 {week}/{weeks} 周，通过 {required} 周结业）",
     "<b>{camp}</b> roster (week {week}/{weeks}, {required} weeks to graduate)"},
    {"camp.roster_line", "{name}：{done}/{weeks} 周", "{name}: {done}/{weeks} weeks"},
    {"camp.roster_line_grad", "{name}：{done}/{weeks} 周 🎓", "{name}: {done}/{weeks} weeks 🎓"},
    {"camp.roster_empty", "还没有人报名。", "Nobody has enrolled yet."},
    {"camp.me", "🏕 训练营「{camp}」：已通过 {done}/{required} 周", "🏕 Camp “{camp}”: {done}/{required} weeks approved"},
    {"camp.me_grad", "🎓 训练营「{camp}」已结业", "🎓 Graduated from the camp “{camp}”"},
    {"audit.camp.new", "开设训练营", "opened the camp"},
    {"audit.camp.week", "编写训练营周内容", "wrote a camp week"},
    {"audit.camp.invite", "邀请参加训练营", "invited to a camp"},
    {"audit.camp.graduate", "训练营结业", "graduated from a camp"},
    {"audit.camp.pool", "结业加入人才库", "joined a pool as a camp graduate"},
    {"audit.target.camp", "训练营 #{id}", "camp #{id}"},
};

const struct kb_module camp_module = {
    .name = "camp",
    .commands = commands,
    .n_commands = KB_COUNT(commands),
    .subs = subs,
    .n_subs = KB_COUNT(subs),
    .texts = texts,
    .n_texts = KB_COUNT(texts),
    .tick = camp_tick,
    .next_due = camp_next_due,
    .migrations = migrations,
    .n_migrations = KB_COUNT(migrations),
    .member_progress = camp_member_progress,
    .me_lines = camp_me_lines,
};
