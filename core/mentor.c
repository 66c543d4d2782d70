/*
 * Mentors for newcomers; see mentor.h.  A mentor is a mentors row plus the
 * mentor title held under an open term (title_terms): when the term ends
 * (term.c) or the title is revoked, the mentor stops being assigned and
 * credited, with no row of ours to change.  A mentee has one mentees row;
 * each credit is a mentor_credits row (one per mentee and milestone) and,
 * when the milestone is worth points, a ledger row (reason "mentor", ref
 * "mentee:<id>:<milestone>"); both are unique, so a replayed event cannot
 * credit twice.
 */
#include "mentor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "command.h"
#include "defn.h"
#include "growth.h"
#include "ledger.h"
#include "standing.h"
#include "task.h"
#include "term.h"
#include "who.h"

#define MENTOR_CAP_MAX 1000

/* A mentor who may take and be credited for mentees at instant ?2:
   not removed, title held under an open term that has not run out
   (the expiry tick may come a little later). */
#define MENTOR_ACTIVE                                                                          \
    "m.removed_at IS NULL AND EXISTS (SELECT 1 FROM title_terms t WHERE t.member_id = m.member_id" \
    " AND t.title = m.title AND t.ended_at IS NULL AND (t.until_at IS NULL OR t.until_at > ?2))"

/* Mentees still on their way (not yet through every milestone). */
#define MENTEES_OPEN(who)                                                                     \
    "(SELECT count(*) FROM mentees x WHERE x.mentor_id = " who                                \
    " AND (SELECT count(*) FROM mentor_credits k WHERE k.mentee_id = x.member_id) < 3)"

struct milestone {
    const char *code;     /* mentor_credits.milestone */
    const char *key;      /* its words */
    size_t points_off;    /* offsetof(struct engine_settings, …) */
};

static const struct milestone milestones[] = {
    {"checkin_week", "mentor.ms.checkin_week", offsetof(struct engine_settings, mentor_points_checkin_week)},
    {"first_task", "mentor.ms.first_task", offsetof(struct engine_settings, mentor_points_first_task)},
    {"level2", "mentor.ms.level2", offsetof(struct engine_settings, mentor_points_level2)},
};

static int milestone_points(const struct engine *e, const struct milestone *ms)
{
    int v;
    memcpy(&v, (const char *)&e->set + ms->points_off, sizeof v);
    return v;
}

/* 1 when member is an active mentor of the community at now. */
static int mentor_active(struct engine *e, int64_t community_id, int64_t member, int64_t now, int *yes)
{
    int64_t one = 0;
    int rc = store_i64(e->st, &one,
                       "SELECT 1 FROM mentors m WHERE m.community_id = ?1 AND m.member_id = ?3 AND " MENTOR_ACTIVE,
                       VALS(SI(community_id), SI(now), SI(member)));
    *yes = rc == KB_OK;
    return rc == KB_ENOTFOUND ? KB_OK : rc;
}

/* Greet the mentee in the chat of the command and tell the mentor
   privately. */
static int introduce(struct cmd_ctx *c, int64_t mentee, int64_t mentor)
{
    struct sbuf who = {0}, guide = {0}, b = {0};
    task_mention(c->e, mentee, &who);
    task_mention(c->e, mentor, &guide);
    text_format(&b, c->lang, "mentor.greet", ARGS(TS("name", who.s), TS("mentor", guide.s)));
    int rc = ctx_post(c, b.s, NULL, NULL);
    sbuf_free(&b);
    text_format(&b, c->lang, "mentor.new_mentee", ARGS(TS("name", who.s)));
    if (!rc)
        rc = growth_tell(c->e, c->comm.id, mentor, c->lang, b.s, c->now);
    sbuf_free(&who);
    sbuf_free(&guide);
    sbuf_free(&b);
    return rc;
}

static int assign(struct engine *e, int64_t community_id, int64_t mentee, int64_t mentor, int64_t by, int64_t now)
{
    int rc = store_exec(e->st,
                        "INSERT INTO mentees(member_id, community_id, mentor_id, assigned_by, assigned_at)"
                        " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(member_id) DO UPDATE SET"
                        " mentor_id = excluded.mentor_id, assigned_by = excluded.assigned_by,"
                        " assigned_at = excluded.assigned_at",
                        VALS(SI(mentee), SI(community_id), SI(mentor), by ? SI(by) : SN, SI(now)));
    if (!rc)
        rc = store_exec(e->st, "UPDATE mentors SET last_assigned_at = ? WHERE community_id = ? AND member_id = ?",
                        VALS(SI(now), SI(community_id), SI(mentor)));
    return rc;
}

/* A newcomer: the active mentor with the fewest open mentees under their
   cap, the one assigned longest ago first (round robin among equals). */
static int mentor_member_joined(struct cmd_ctx *c)
{
    if (c->is_admin)
        return KB_OK; /* operators and admins are not newcomers to guide */
    if (!engine_exists(c->e, "SELECT 1 FROM mentors WHERE removed_at IS NULL LIMIT 1"))
        return KB_OK; /* nobody mentors anywhere: no lookup per newcomer */
    int64_t mentor = 0;
    int rc = store_i64(c->st, &mentor,
                       "SELECT m.member_id FROM mentors m WHERE m.community_id = ?1 AND " MENTOR_ACTIVE
                       " AND m.member_id <> ?3 AND (coalesce(m.cap, ?4) = 0 OR " MENTEES_OPEN("m.member_id")
                       " < coalesce(m.cap, ?4))"
                       " ORDER BY " MENTEES_OPEN("m.member_id") ", m.last_assigned_at, m.member_id LIMIT 1",
                       VALS(SI(c->comm.id), SI(c->now), SI(c->member_id), SI(c->e->set.mentor_cap)));
    if (rc == KB_ENOTFOUND)
        return KB_OK; /* no mentor (or all are full): nobody to introduce */
    char target[32];
    growth_member_target(c->member_id, target, sizeof target);
    char detail[32];
    snprintf(detail, sizeof detail, "#%lld", (long long)mentor); /* the mentor's member number (/who) */
    if (!rc)
        rc = assign(c->e, c->comm.id, c->member_id, mentor, 0, c->now);
    if (!rc)
        rc = growth_audit_system(c->e, c->comm.id, "mentor.auto", target, detail, c->now);
    if (!rc)
        rc = introduce(c, c->member_id, mentor);
    return rc;
}

/* ==== milestones ======================================================== */

static int credit(struct engine *e, int64_t community_id, int64_t mentee, int64_t mentor, const struct milestone *ms,
                  int64_t now)
{
    int points = milestone_points(e, ms);
    int rc = store_exec(e->st,
                        "INSERT OR IGNORE INTO mentor_credits(mentee_id, milestone, mentor_id, points, at)"
                        " VALUES (?, ?, ?, ?, ?)",
                        VALS(SI(mentee), ST(ms->code), SI(mentor), SI(points), SI(now)));
    if (rc || store_changes(e->st) == 0)
        return rc;
    char ref[64];
    snprintf(ref, sizeof ref, "mentee:%lld:%s", (long long)mentee, ms->code);
    struct ledger_entry le = {.community_id = community_id, .member_id = mentor, .kind = "points", .amount = points,
                              .reason = "mentor", .ref = ref, .at = now};
    if (points > 0)
        rc = ledger_add(e, &le, NULL);
    struct community comm;
    if (!rc)
        rc = community_load(e, community_id, &comm);
    if (rc)
        return rc;
    struct sbuf who = {0}, what = {0}, b = {0};
    member_name(e, mentee, &who);
    text_format(&what, comm.locale, ms->key, NOARGS);
    text_format(&b, comm.locale, points > 0 ? "mentor.credited" : "mentor.milestone",
                ARGS(TS("name", who.s), TS("milestone", what.s), TI("points", points)));
    rc = growth_tell(e, community_id, mentor, comm.locale, b.s, now);
    sbuf_free(&who);
    sbuf_free(&what);
    sbuf_free(&b);
    if (!rc && points > 0) /* the mentor's own standing moved */
        rc = standing_changed(e, community_id, mentor, now);
    return rc;
}

static int mentor_member_progress(struct engine *e, int64_t community_id, int64_t member, int64_t now)
{
    if (!engine_exists(e, "SELECT 1 FROM mentees LIMIT 1"))
        return KB_OK; /* no mentees at all: no lookup per standing change */
    int64_t mentor = 0;
    int rc = store_i64(e->st, &mentor, "SELECT mentor_id FROM mentees WHERE member_id = ?", VALS(SI(member)));
    if (rc == KB_ENOTFOUND)
        return KB_OK; /* the common case: one lookup by key */
    int active = 0;
    if (!rc)
        rc = mentor_active(e, community_id, mentor, now, &active);
    if (rc || !active)
        return rc;
    struct standing_facts f;
    int level = 1;
    rc = standing_facts(e, member, &f);
    if (!rc)
        rc = standing_level(e, member, &level);
    int64_t tasks = 0;
    for (int t = 0; t < STANDING_N_TIERS; t++)
        tasks += f.tasks[t];
    const int met[] = {f.checkin_days >= 7, tasks >= 1, level >= 2};
    for (size_t i = 0; i < KB_COUNT(milestones) && !rc; i++)
        if (met[i])
            rc = credit(e, community_id, member, mentor, &milestones[i], now);
    return rc;
}

/* ==== commands ========================================================== */

/* The words after the member: --until DATE, --cap N.  *replied on refusal. */
static int add_flags(struct cmd_ctx *c, const char *rest, int64_t *until, int64_t *cap, int *replied)
{
    struct defn d;
    char err[96];
    *replied = 1;
    *until = 0;
    *cap = -1;
    if (defn_parse(rest, &d, err, sizeof err))
        return ctx_reply(c, "mentor.add_usage", NOARGS);
    static const char *const allowed[] = {"until", "cap", NULL};
    const char *when = defn_get(&d, "until"), *n = defn_get(&d, "cap");
    int rc = KB_OK;
    if (*command_skip_space(d.head ? d.head : "") || defn_unknown(&d, allowed))
        rc = ctx_reply(c, "mentor.add_usage", NOARGS);
    else if (when && (when_parse(when, c->comm.tz, c->now, until) || *until <= c->now))
        rc = ctx_reply(c, "term.bad_until", ARGS(TU("got", when)));
    else if (n && parse_i64(n, 1, MENTOR_CAP_MAX, cap))
        rc = ctx_reply(c, "mentor.bad_cap", ARGS(TU("got", n), TI("max", MENTOR_CAP_MAX)));
    else
        rc = *replied = 0;
    defn_free(&d);
    return rc;
}

/* /mentor add @member [--until DATE] [--cap N]: the mentor title under a
   term; again for a mentor: a new term or cap. */
static int mentor_add_cmd(struct cmd_ctx *c)
{
    const char *p = c->args;
    char *who = who_next_target(c, &p);
    int64_t member = 0, until = 0, cap = -1;
    int replied = 0;
    int rc;
    if (!who && !who_has_reply(c)) {
        rc = ctx_reply(c, "mentor.add_usage", NOARGS);
        goto out;
    }
    rc = add_flags(c, p, &until, &cap, &replied);
    if (rc || replied)
        goto out;
    if ((rc = who_resolve(c, who, &member)) == KB_ENOTFOUND) {
        rc = KB_OK;
        goto out;
    }
    const char *title = text_get(c->lang, "mentor.title");
    int held = 0;
    if (!rc)
        rc = standing_has_item(c->e, member, "title", title, &held);
    struct ledger_entry le = {.community_id = c->comm.id, .member_id = member, .kind = "title", .amount = 1,
                              .unit = title, .reason = "grant", .granted_by = c->member_id, .at = c->now};
    if (!rc && !held)
        rc = ledger_add(c->e, &le, NULL);
    if (!rc)
        rc = term_record(c, member, title, until, text_get(c->lang, "mentor.duty"));
    if (!rc)
        rc = store_exec(c->st,
                        "INSERT INTO mentors(community_id, member_id, title, cap, added_by, added_at, last_assigned_at)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0) ON CONFLICT(community_id, member_id) DO UPDATE SET"
                        " title = excluded.title, cap = coalesce(excluded.cap, cap), removed_at = NULL",
                        VALS(SI(c->comm.id), SI(member), ST(title), cap > 0 ? SI(cap) : SN, SI(c->member_id),
                             SI(c->now)));
    char target[32];
    growth_member_target(member, target, sizeof target);
    if (!rc)
        rc = audit_add(c, "mentor.add", target, title);
    if (rc)
        goto out;
    struct sbuf name = {0}, term = {0}, b = {0};
    member_name(c->e, member, &name);
    if (until) {
        char when[32];
        when_format(until, c->comm.tz, when, sizeof when);
        text_format(&term, c->lang, "term.granted_until", ARGS(TS("until", when)));
    }
    text_format(&b, c->lang, "mentor.added", ARGS(TS("name", name.s), TU("title", title), TS("term", sbuf_str(&term))));
    rc = ctx_post(c, b.s, NULL, NULL);
    sbuf_free(&name);
    sbuf_free(&term);
    sbuf_free(&b);
out:
    free(who);
    return rc;
}

/* /mentor remove @member: no new mentees, no more credit; the title goes. */
static int mentor_remove_cmd(struct cmd_ctx *c)
{
    const char *p = c->args;
    char *who = who_next_target(c, &p);
    int64_t member = 0;
    if (!who && !who_has_reply(c))
        return ctx_reply(c, "mentor.remove_usage", NOARGS);
    int rc = who_resolve(c, who, &member);
    free(who);
    if (rc == KB_ENOTFOUND)
        return KB_OK;
    sqlite3_stmt *s = rc ? NULL
                         : store_query(c->st,
                                       "UPDATE mentors SET removed_at = ?3 WHERE community_id = ?1 AND member_id = ?2"
                                       " AND removed_at IS NULL RETURNING title",
                                       VALS(SI(c->comm.id), SI(member), SI(c->now)));
    if (!rc && !s)
        return store_failure(c->st);
    char *title = NULL;
    if (s) {
        rc = store_step(c->st, s);
        title = rc == 1 ? xstrdup(store_text(s, 0)) : NULL;
        rc = rc == 1 ? store_step(c->st, s) : rc;
        store_done(s);
        rc = rc < 0 ? rc : KB_OK;
    }
    struct sbuf name = {0};
    member_name(c->e, member, &name);
    if (!rc && !title) {
        rc = ctx_reply(c, "mentor.not_mentor", ARGS(TS("name", name.s)));
        goto out;
    }
    int held = 0;
    if (!rc)
        rc = standing_has_item(c->e, member, "title", title, &held);
    struct ledger_entry le = {.community_id = c->comm.id, .member_id = member, .kind = "title", .amount = -1,
                              .unit = title, .reason = "revoke", .granted_by = c->member_id, .at = c->now};
    if (!rc && held)
        rc = ledger_add(c->e, &le, NULL);
    if (!rc)
        rc = term_close(c, member, title);
    char target[32];
    growth_member_target(member, target, sizeof target);
    if (!rc)
        rc = audit_add(c, "mentor.remove", target, title);
    if (!rc)
        rc = ctx_reply(c, "mentor.removed", ARGS(TS("name", name.s)));
out:
    free(title);
    sbuf_free(&name);
    return rc;
}

/* /mentor assign @newcomer @mentor (or as a reply to the newcomer: @mentor) */
static int mentor_assign_cmd(struct cmd_ctx *c)
{
    const char *p = c->args;
    char *first = command_next_word(&p);
    char *second = command_next_word(&p);
    const char *mentee_word = second ? first : NULL, *mentor_word = second ? second : first;
    int64_t mentee = 0, mentor = 0, current = 0;
    int rc = KB_OK, active = 0;
    if (!mentor_word || (!mentee_word && !who_has_reply(c))) {
        rc = ctx_reply(c, "mentor.assign_usage", NOARGS);
        goto out;
    }
    if ((rc = who_resolve(c, mentee_word, &mentee)) == KB_ENOTFOUND ||
        (!rc && (rc = who_resolve(c, mentor_word, &mentor)) == KB_ENOTFOUND)) {
        rc = KB_OK;
        goto out;
    }
    if (!rc)
        rc = mentor_active(c->e, c->comm.id, mentor, c->now, &active);
    struct sbuf a = {0}, b = {0};
    member_name(c->e, mentee, &a);
    member_name(c->e, mentor, &b);
    if (!rc && !active) {
        rc = ctx_reply(c, "mentor.not_mentor", ARGS(TS("name", b.s)));
    } else if (!rc && mentee == mentor) {
        rc = ctx_reply(c, "mentor.self", NOARGS);
    } else if (!rc) {
        rc = store_i64(c->st, &current, "SELECT mentor_id FROM mentees WHERE member_id = ?", VALS(SI(mentee)));
        if (rc == KB_ENOTFOUND)
            rc = KB_OK;
        char target[32], detail[32];
        growth_member_target(mentee, target, sizeof target);
        snprintf(detail, sizeof detail, "#%lld", (long long)mentor); /* the mentor's member number (/who) */
        if (!rc && current == mentor) {
            rc = ctx_reply(c, "mentor.already", ARGS(TS("name", a.s), TS("mentor", b.s)));
        } else if (!rc) {
            rc = assign(c->e, c->comm.id, mentee, mentor, c->member_id, c->now);
            if (!rc)
                rc = audit_add(c, "mentor.assign", target, detail);
            if (!rc)
                rc = introduce(c, mentee, mentor);
            if (!rc) /* milestones reached before the assignment count for the new mentor */
                rc = mentor_member_progress(c->e, c->comm.id, mentee, c->now);
        }
    }
    sbuf_free(&a);
    sbuf_free(&b);
out:
    free(first);
    free(second);
    return rc;
}

/* /mentor list: every mentor, active or not, with term, cap and mentees. */
static int mentor_list_cmd(struct cmd_ctx *c)
{
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT m.member_id, " MENTOR_ACTIVE ", coalesce(m.cap, ?3),"
                                  " (SELECT count(*) FROM mentees x WHERE x.mentor_id = m.member_id), "
                                  MENTEES_OPEN("m.member_id") ","
                                  " coalesce((SELECT t.until_at FROM title_terms t WHERE t.member_id = m.member_id"
                                  "  AND t.title = m.title AND t.ended_at IS NULL), 0)"
                                  " FROM mentors m WHERE m.community_id = ?1 ORDER BY m.added_at, m.member_id LIMIT 50",
                                  VALS(SI(c->comm.id), SI(c->now), SI(c->e->set.mentor_cap)));
    if (!s)
        return store_failure(c->st);
    struct sbuf b = {0};
    text_format(&b, c->lang, "mentor.list_head", NOARGS);
    int rc = KB_OK, n = 0;
    while ((rc = store_step(c->st, s)) == 1) {
        struct sbuf name = {0}, term = {0};
        member_name(c->e, store_int(s, 0), &name);
        if (store_int(s, 5)) {
            char when[32];
            when_format(store_int(s, 5), c->comm.tz, when, sizeof when);
            text_format(&term, c->lang, "term.granted_until", ARGS(TS("until", when)));
        }
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, store_int(s, 1) ? "mentor.list_line" : "mentor.list_line_off",
                    ARGS(TS("name", name.s), TI("open", store_int(s, 4)), TI("total", store_int(s, 3)),
                         TI("cap", store_int(s, 2)), TS("term", sbuf_str(&term))));
        sbuf_free(&name);
        sbuf_free(&term);
        n++;
    }
    store_done(s);
    if (rc == 0 && !n) {
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "mentor.none", NOARGS);
    }
    if (rc == 0)
        rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    return rc < 0 ? rc : KB_OK;
}

/* /mentor top: mentors by the credit their mentees earned them. */
static int mentor_top_cmd(struct cmd_ctx *c)
{
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT m.member_id, (SELECT count(*) FROM mentees x WHERE x.mentor_id = m.member_id),"
                                  " coalesce(sum(k.points), 0), count(k.mentee_id) FROM mentors m"
                                  " LEFT JOIN mentor_credits k ON k.mentor_id = m.member_id"
                                  " WHERE m.community_id = ? GROUP BY m.member_id"
                                  " ORDER BY 3 DESC, 4 DESC, m.member_id LIMIT 10",
                                  VALS(SI(c->comm.id)));
    if (!s)
        return store_failure(c->st);
    struct sbuf b = {0};
    text_format(&b, c->lang, "mentor.top_head", NOARGS);
    int rc = KB_OK, n = 0;
    while ((rc = store_step(c->st, s)) == 1) {
        struct sbuf name = {0};
        member_label(c->e, store_int(s, 0), &name);
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "mentor.top_line",
                    ARGS(TI("rank", ++n), TS("name", name.s), TI("mentees", store_int(s, 1)),
                         TI("milestones", store_int(s, 3)), TI("points", store_int(s, 2))));
        sbuf_free(&name);
    }
    store_done(s);
    if (rc == 0 && !n) {
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "mentor.none_member", NOARGS);
    }
    if (rc == 0)
        rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    return rc < 0 ? rc : KB_OK;
}

/* A mentee's mentor line, and a mentor's mentees with their milestones. */
static int describe(struct cmd_ctx *c, struct sbuf *out, int detailed)
{
    int64_t mentor = 0;
    int rc = store_i64(c->st, &mentor, "SELECT mentor_id FROM mentees WHERE member_id = ?", VALS(SI(c->member_id)));
    if (rc == KB_OK) {
        struct sbuf name = {0};
        task_mention(c->e, mentor, &name);
        sbuf_addc(out, '\n');
        text_format(out, c->lang, "mentor.me_mentee", ARGS(TS("mentor", name.s)));
        sbuf_free(&name);
    } else if (rc != KB_ENOTFOUND) {
        return rc;
    }
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT x.member_id, (SELECT group_concat(k.milestone) FROM mentor_credits k"
                                  "  WHERE k.mentee_id = x.member_id AND k.mentor_id = x.mentor_id),"
                                  " (SELECT coalesce(sum(k.points), 0) FROM mentor_credits k WHERE k.mentor_id = ?1)"
                                  " FROM mentees x WHERE x.mentor_id = ?1 ORDER BY x.assigned_at, x.member_id",
                                  VALS(SI(c->member_id)));
    if (!s)
        return store_failure(c->st);
    int n = 0;
    int64_t points = 0;
    struct sbuf lines = {0};
    while ((rc = store_step(c->st, s)) == 1) {
        n++;
        points = store_int(s, 2);
        if (!detailed || n > 20)
            continue;
        struct sbuf name = {0}, done = {0};
        member_name(c->e, store_int(s, 0), &name);
        const char *codes = store_text(s, 1);
        for (size_t i = 0; i < KB_COUNT(milestones); i++) {
            if (!strstr(codes, milestones[i].code))
                continue;
            if (done.len)
                text_format(&done, c->lang, "standing.sep", NOARGS);
            text_format(&done, c->lang, milestones[i].key, NOARGS);
        }
        sbuf_addc(&lines, '\n');
        text_format(&lines, c->lang, done.len ? "mentor.mentee_line" : "mentor.mentee_line_new",
                    ARGS(TS("name", name.s), TS("done", sbuf_str(&done))));
        sbuf_free(&name);
        sbuf_free(&done);
    }
    store_done(s);
    if (rc == 0 && n) {
        sbuf_addc(out, '\n');
        text_format(out, c->lang, "mentor.me_mentor", ARGS(TI("n", n), TI("points", points)));
        sbuf_add(out, sbuf_str(&lines));
    }
    sbuf_free(&lines);
    return rc < 0 ? rc : KB_OK;
}

static int mentor_me_lines(struct cmd_ctx *c, struct sbuf *out)
{
    return describe(c, out, 0);
}

/* /mentor: who guides me, whom I guide; the usage otherwise. */
static int cmd_mentor(struct cmd_ctx *c)
{
    struct sbuf b = {0};
    int rc = describe(c, &b, 1);
    if (!rc && b.len)
        rc = ctx_reply_markup(c, b.s + 1, 0);
    else if (!rc)
        rc = ctx_reply(c, c->is_admin ? "mentor.usage_operator" : "mentor.usage", NOARGS);
    sbuf_free(&b);
    return rc;
}

static const struct cmd_spec commands[] = {
    {"mentor", cmd_mentor, 0, "mentor.help", "导师"},
};

static const struct cmd_sub subs[] = {
    {"mentor", "top", mentor_top_cmd, 0, 0, 0},
    {"mentor", "add", mentor_add_cmd, CMD_LEDGER, 0, -1},
    {"mentor", "remove", mentor_remove_cmd, CMD_LEDGER, 0, 1},
    {"mentor", "assign", mentor_assign_cmd, CMD_OPERATOR, 1, 2},
    {"mentor", "list", mentor_list_cmd, CMD_OPERATOR, 0, 0},
};

static const char *const migrations[] = {
    /* 1: mentors (their title, held under a term in title_terms), one
          mentor per mentee, one credit per mentee and milestone */
    "CREATE TABLE mentors ("
    "  community_id INTEGER NOT NULL,"
    "  member_id INTEGER NOT NULL,"
    "  title TEXT NOT NULL,"
    "  cap INTEGER,"                    /* NULL = the configured mentor_cap */
    "  added_by INTEGER NOT NULL,"
    "  added_at INTEGER NOT NULL,"
    "  removed_at INTEGER,"
    "  last_assigned_at INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (community_id, member_id)"
    ") STRICT;"
    "CREATE TABLE mentees ("
    "  member_id INTEGER PRIMARY KEY,"
    "  community_id INTEGER NOT NULL,"
    "  mentor_id INTEGER NOT NULL,"
    "  assigned_by INTEGER,"            /* NULL = automatically */
    "  assigned_at INTEGER NOT NULL"
    ") STRICT;"
    "CREATE INDEX mentees_by_mentor ON mentees(mentor_id);"
    "CREATE TABLE mentor_credits ("
    "  mentee_id INTEGER NOT NULL,"
    "  milestone TEXT NOT NULL CHECK (milestone IN ('checkin_week','first_task','level2')),"
    "  mentor_id INTEGER NOT NULL,"
    "  points INTEGER NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  PRIMARY KEY (mentee_id, milestone)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE INDEX mentor_credits_by_mentor ON mentor_credits(mentor_id);",
};

static const struct kb_setting settings[] = {
    {.path = "mentors", .type = KB_SETTING_SECTION},
    {.path = "mentors.cap", .type = KB_SETTING_INT, .off = offsetof(struct engine_settings, mentor_cap),
     .max = MENTOR_CAP_MAX, .scale = 1, .dnum = 5},
    {.path = "mentors.points_checkin_week", .type = KB_SETTING_INT,
     .off = offsetof(struct engine_settings, mentor_points_checkin_week), .max = 100000, .scale = 1, .dnum = 20},
    {.path = "mentors.points_first_task", .type = KB_SETTING_INT,
     .off = offsetof(struct engine_settings, mentor_points_first_task), .max = 100000, .scale = 1, .dnum = 30},
    {.path = "mentors.points_level2", .type = KB_SETTING_INT,
     .off = offsetof(struct engine_settings, mentor_points_level2), .max = 100000, .scale = 1, .dnum = 50},
};

static const struct text_entry texts[] = {
    {"mentor.help", "/mentor — 我的导师（或我带的新人）· /mentor top — 导师榜",
     "/mentor — my mentor (or my mentees) · /mentor top — the mentors' leaderboard"},
    {"mentor.help.op", "/mentor assign @新人 @导师 · /mentor list — 手动分配导师、查看导师团",
     "/mentor assign @newcomer @mentor · /mentor list — assign a mentor by hand, list the mentors"},
    {"mentor.help.ledger", "/mentor add|remove @成员 [--until 日期] [--cap 人数] — 任命或卸任导师",
     "/mentor add|remove @member [--until DATE] [--cap N] — name or remove a mentor"},
    {"mentor.usage", "你还没有导师，也没有带新人。/mentor top 查看导师榜。",
     "You have no mentor and no mentees. /mentor top shows the mentors' leaderboard."},
    {"mentor.usage_operator",
     "用法：/mentor add @成员 [--until 2027-03-31] [--cap 5]｜/mentor remove @成员｜/mentor assign @新人 @导师｜/mentor list｜/mentor top",
     "Usage: /mentor add @member [--until 2027-03-31] [--cap 5], /mentor remove @member, /mentor assign @newcomer @mentor, /mentor list, /mentor top"},
    {"mentor.add_usage", "用法：/mentor add @成员 [--until 2027-03-31] [--cap 5]",
     "Usage: /mentor add @member [--until 2027-03-31] [--cap 5]"},
    {"mentor.remove_usage", "用法：/mentor remove @成员", "Usage: /mentor remove @member"},
    {"mentor.assign_usage", "用法：/mentor assign @新人 @导师（或回复新人的消息：/mentor assign @导师）",
     "Usage: /mentor assign @newcomer @mentor (or reply to the newcomer: /mentor assign @mentor)"},
    {"mentor.bad_cap", "带新人上限 {got} 无效，请写 1 到 {max} 的整数。",
     "{got} is not a valid cap; give a whole number from 1 to {max}."},
    {"mentor.title", "新人导师", "Mentor"},
    {"mentor.duty", "欢迎并陪伴分配给你的新成员：答疑、带他们完成第一次打卡周和第一个任务。",
     "Welcome and guide the newcomers assigned to you: answer questions, help them through their first check-in week and first task."},
    {"mentor.added", "🧭 {name} 加入新成员导师团，获得头衔 <b>{title}</b>{term}！",
     "🧭 {name} joins the mentors, with the title <b>{title}</b>{term}!"},
    {"mentor.removed", "已将 {name} 移出导师团，不再给 TA 分配新人。", "{name} is no longer a mentor and gets no new mentees."},
    {"mentor.not_mentor", "{name} 不是在任导师。", "{name} is not a serving mentor."},
    {"mentor.self", "不能给导师分配自己当学员。", "A mentor cannot be their own mentee."},
    {"mentor.already", "{name} 的导师已经是 {mentor}。", "{mentor} already mentors {name}."},
    {"mentor.greet", "👋 欢迎 {name}！你的新手导师是 {mentor}，有任何问题都可以找 TA。",
     "👋 Welcome, {name}! Your mentor is {mentor}; ask them anything."},
    {"mentor.new_mentee", "🧭 你有一位新学员：{name}。去打个招呼吧！",
     "🧭 You have a new mentee: {name}. Go and say hello!"},
    {"mentor.ms.checkin_week", "首个打卡周（累计签到 7 天）", "first check-in week (7 days)"},
    {"mentor.ms.first_task", "首个任务通过", "first approved task"},
    {"mentor.ms.level2", "升到 L2", "level 2"},
    {"mentor.credited", "🎉 你的学员 {name} 完成了{milestone}，导师奖励 +{points} 积分！",
     "🎉 Your mentee {name} reached: {milestone}. Mentor credit +{points} points!"},
    {"mentor.milestone", "🎉 你的学员 {name} 完成了{milestone}！", "🎉 Your mentee {name} reached: {milestone}!"},
    {"mentor.me_mentee", "🧭 我的导师：{mentor}", "🧭 My mentor: {mentor}"},
    {"mentor.me_mentor", "🧭 我带的新人：{n} 位，导师积分 {points}", "🧭 Mentees: {n}, mentor credit {points} points"},
    {"mentor.mentee_line", "　· {name}：{done}", "  · {name}: {done}"},
    {"mentor.mentee_line_new", "　· {name}：刚起步", "  · {name}: just started"},
    {"mentor.list_head", "<b>新成员导师团</b>", "<b>Mentors</b>"},
    {"mentor.list_line", "{name}：在带 {open} 位（共 {total}），上限 {cap}{term}",
     "{name}: guiding {open} ({total} in all), cap {cap}{term}"},
    {"mentor.list_line_off", "{name}（已卸任）：共带过 {total} 位", "{name} (no longer serving): mentees in all: {total}"},
    {"mentor.none", "还没有导师。/mentor add @成员 任命一位。", "No mentors yet. /mentor add @member names one."},
    {"mentor.none_member", "还没有导师。", "No mentors yet."},
    {"mentor.top_head", "<b>🧭 导师榜</b>", "<b>🧭 Mentors' leaderboard</b>"},
    {"mentor.top_line", "{rank}. {name} — 学员 {mentees} 位，里程碑 {milestones} 个，{points} 积分",
     "{rank}. {name} — mentees: {mentees}, milestones: {milestones}, {points} points"},
    {"audit.mentor.add", "任命导师", "named a mentor"},
    {"audit.mentor.remove", "卸任导师", "removed a mentor"},
    {"audit.mentor.assign", "分配导师", "assigned a mentor to"},
    {"audit.mentor.auto", "自动分配导师", "assigned a mentor automatically to"},
};

const struct kb_module mentor_module = {
    .name = "mentor",
    .commands = commands,
    .n_commands = KB_COUNT(commands),
    .subs = subs,
    .n_subs = KB_COUNT(subs),
    .texts = texts,
    .n_texts = KB_COUNT(texts),
    .migrations = migrations,
    .n_migrations = KB_COUNT(migrations),
    .settings = settings,
    .n_settings = KB_COUNT(settings),
    .member_joined = mentor_member_joined,
    .member_progress = mentor_member_progress,
    .me_lines = mentor_me_lines,
};
