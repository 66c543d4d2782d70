/*
 * Commissions offered in turn (精准邀约).  /offer new <task> [pool] [window]
 * ranks the pool's members by fit (offer_fit_load: their rating, then how
 * long since their last commission, so the same photographer is not asked
 * every time) and writes the whole chain at once; the first candidate gets
 * the brief, the fee and the window in a private message.  /accept takes
 * the task (an invitation and a claim, as /claim would); /decline [reason],
 * or silence until the window ends (the tick), passes it to the next in
 * the chain; when nobody is left the offer is exhausted and the operator
 * is told.  The operator sees the chain (/offer show), skips the current
 * candidate or adds a person (/offer skip, /offer add).
 *
 * The race between an acceptance and the window's end: an /accept counts
 * when its message was sent before the window ended and the offer has not
 * moved on yet; once the tick has passed it on, the acceptance is refused
 * with the time the window closed.  The one conditional UPDATE decides.
 */
#include "offer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "command.h"
#include "defn.h"
#include "outbox.h"
#include "standing.h"
#include "task.h"
#include "who.h"

#define OFFER_CHAIN_MAX 200     /* candidates per offer */
#define OFFER_REASON_MAX 300
#define OFFER_TICK_BATCH 100
#define OFFER_WINDOW_MAX (30 * 86400)

/* ==== fit ============================================================== */

int offer_fit_load(struct engine *e, int64_t member_id, int64_t now, struct offer_fit *out)
{
    memset(out, 0, sizeof *out);
    out->member_id = member_id;
    sqlite3_stmt *s = store_query(
        e->st,
        "SELECT"
        " (SELECT count(*) FROM task_completions WHERE member_id = ?1 AND tier = 'precision'),"
        " (SELECT count(*) FROM submissions s JOIN tasks t ON t.id = s.task_id WHERE s.member_id = ?1"
        "   AND t.deadline IS NOT NULL AND s.at > t.deadline AND s.state IN ('pending','approved','rejected'))"
        " + (SELECT count(*) FROM claims c JOIN tasks t ON t.id = c.task_id WHERE c.member_id = ?1"
        "   AND c.state IN ('claimed','rejected') AND t.deadline IS NOT NULL"
        "   AND max(t.deadline, coalesce(c.revise_until, 0)) <= ?2),"
        " (SELECT avg(score_pct) FROM work_scores WHERE member_id = ?1),"
        " max(coalesce((SELECT max(answered_at) FROM offer_candidates WHERE member_id = ?1 AND state = 'accepted'), 0),"
        "     coalesce((SELECT max(at) FROM task_completions WHERE member_id = ?1 AND tier = 'precision'), 0))",
        VALS(SI(member_id), SI(now)));
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    if (rc == 1) {
        int64_t score = store_is_null(s, 2) ? 50 : store_int(s, 2);
        out->rating = score + 10 * store_int(s, 0) - 20 * store_int(s, 1);
        out->last_commission = store_int(s, 3);
        rc = KB_OK;
    }
    store_done(s);
    return rc < 0 ? rc : KB_OK;
}

int offer_fit_cmp(const void *a, const void *b)
{
    const struct offer_fit *x = a, *y = b;
    if (x->rating != y->rating)
        return x->rating > y->rating ? -1 : 1;
    if (x->last_commission != y->last_commission)
        return x->last_commission < y->last_commission ? -1 : 1;
    return x->member_id < y->member_id ? -1 : x->member_id > y->member_id;
}

/* ==== an offer and its chain =========================================== */

struct offer_row {
    int64_t id, community_id, task_id, window_s;
    char state[12];
    char *platform, *chat_id;
};

static void offer_row_free(struct offer_row *o)
{
    free(o->platform);
    free(o->chat_id);
}

static int offer_load(struct engine *e, int64_t id, struct offer_row *o)
{
    memset(o, 0, sizeof *o);
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT community_id, task_id, window_s, state, platform, chat_id FROM offers"
                                  " WHERE id = ?",
                                  VALS(SI(id)));
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    if (rc == 1) {
        o->id = id;
        o->community_id = store_int(s, 0);
        o->task_id = store_int(s, 1);
        o->window_s = store_int(s, 2);
        snprintf(o->state, sizeof o->state, "%s", store_text(s, 3));
        o->platform = xstrdup(store_text(s, 4));
        o->chat_id = xstrdup(store_text(s, 5));
        rc = KB_OK;
    } else if (rc == 0) {
        rc = KB_ENOTFOUND;
    }
    store_done(s);
    return rc;
}

/* A notice for the operators, in the chat the offer was made in. */
static int tell_operators(struct engine *e, const struct offer_row *o, const char *markup, int64_t now)
{
    struct kb_reply r = {.kind = KB_REPLY_SEND, .platform = o->platform, .chat_id = o->chat_id, .text = markup};
    return outbox_add(e, &r, NULL, now);
}

static void window_text(const char *lang, int64_t secs, struct sbuf *out)
{
    if (secs % 3600 == 0)
        text_format(out, lang, "offer.hours", ARGS(TI("n", secs / 3600)));
    else
        text_format(out, lang, "offer.minutes", ARGS(TI("n", (secs + 59) / 60)));
}

/* Offer o to member now: the candidate row becomes 'offered' with its due
   time, and the member hears the terms privately (in the group without
   the fee when there is no private chat). */
static int offer_to(struct engine *e, const struct offer_row *o, int64_t member, int64_t now, int64_t *due)
{
    struct community comm;
    int rc = community_load(e, o->community_id, &comm);
    struct task_row t;
    if (!rc)
        rc = task_load(e, o->community_id, o->task_id, &t);
    if (rc)
        return rc;
    *due = now + o->window_s;
    rc = store_exec(e->st,
                    "UPDATE offer_candidates SET state = 'offered', offered_at = ?, due_at = ?"
                    " WHERE offer_id = ? AND member_id = ? AND state = 'waiting'",
                    VALS(SI(now), SI(*due), SI(o->id), SI(member)));
    if (!rc && store_changes(e->st) != 1)
        rc = KB_ESTORE;
    struct sbuf who = {0}, fee = {0}, win = {0}, brief = {0}, b = {0};
    char when[32];
    when_format(*due, comm.tz, when, sizeof when);
    task_mention(e, member, &who);
    task_reward_format(comm.locale, &t, &fee);
    window_text(comm.locale, o->window_s, &win);
    text_user_block(&brief, t.brief);
    text_format(&b, comm.locale, *t.brief ? "offer.dm" : "offer.dm_no_brief",
                ARGS(TS("who", who.s), TI("offer", o->id), TI("id", t.id), TU("title", t.title),
                     TS("brief", brief.s), TS("fee", fee.s), TS("window", win.s), TS("due", when)));
    int sent = 0;
    if (!rc)
        rc = member_tell_privately(e, member, b.s, NULL, now, &sent);
    if (!rc && !sent) { /* the fee is the member's own business: not in the group */
        b.len = 0;
        text_format(&b, comm.locale, "offer.public",
                    ARGS(TS("who", who.s), TI("offer", o->id), TI("id", t.id), TU("title", t.title),
                         TS("window", win.s), TS("due", when)));
        member_private_note(comm.locale, who.s, &b);
        rc = tell_operators(e, o, b.s, now);
    }
    sbuf_free(&who);
    sbuf_free(&fee);
    sbuf_free(&win);
    sbuf_free(&brief);
    sbuf_free(&b);
    task_row_free(&t);
    return rc;
}

/* The next waiting candidate gets the offer; none left: exhausted.
   Appends to note what happened, for the operators. */
static int pass_on(struct engine *e, const struct offer_row *o, int64_t now, const char *lang, const char *tz,
                   struct sbuf *note)
{
    int64_t next = 0;
    int rc = store_i64(e->st, &next,
                       "SELECT member_id FROM offer_candidates WHERE offer_id = ? AND state = 'waiting'"
                       " ORDER BY seq LIMIT 1",
                       VALS(SI(o->id)));
    if (rc == KB_ENOTFOUND) {
        rc = store_exec(e->st, "UPDATE offers SET state = 'exhausted', closed_at = ? WHERE id = ? AND state = 'open'",
                        VALS(SI(now), SI(o->id)));
        if (!rc)
            text_format(note, lang, "offer.exhausted", ARGS(TI("offer", o->id), TI("id", o->task_id)));
        return rc;
    }
    int64_t due = 0;
    if (!rc)
        rc = offer_to(e, o, next, now, &due);
    if (!rc) {
        struct sbuf who = {0};
        char when[32];
        task_mention(e, next, &who);
        when_format(due, tz, when, sizeof when);
        text_format(note, lang, "offer.now_to", ARGS(TS("who", who.s), TS("due", when)));
        sbuf_free(&who);
    }
    return rc;
}

/* The current candidate leaves the chain (state: declined, expired or
   skipped): the operators hear it and who has the offer now. */
static int candidate_done(struct engine *e, const struct offer_row *o, int64_t member, const char *state,
                          const char *reason, int64_t now)
{
    struct community comm;
    int rc = community_load(e, o->community_id, &comm);
    if (!rc)
        rc = store_exec(e->st,
                        "UPDATE offer_candidates SET state = ?, answered_at = ?, reason = ?"
                        " WHERE offer_id = ? AND member_id = ? AND state = 'offered'",
                        VALS(ST(state), SI(now), ST(reason ? reason : ""), SI(o->id), SI(member)));
    if (!rc && store_changes(e->st) != 1)
        rc = KB_ESTORE;
    if (rc)
        return rc;
    struct sbuf who = {0}, b = {0};
    task_mention(e, member, &who);
    char key[40];
    snprintf(key, sizeof key, reason && *reason ? "offer.left.%s_why" : "offer.left.%s", state);
    text_format(&b, comm.locale, key, ARGS(TI("offer", o->id), TS("who", who.s), TU("reason", reason ? reason : "")));
    sbuf_addc(&b, '\n'); /* then: who has it now, or that nobody is left */
    rc = pass_on(e, o, now, comm.locale, comm.tz, &b);
    if (!rc)
        rc = tell_operators(e, o, b.s, now);
    sbuf_free(&who);
    sbuf_free(&b);
    return rc;
}

/* ==== operators ======================================================== */

static int parse_window(const char *w, int64_t *secs)
{
    size_t n = strlen(w);
    if (n < 2)
        return KB_EINVAL;
    char unit = w[n - 1];
    int64_t mult = unit == 'h' || unit == 'H' ? 3600 : unit == 'd' || unit == 'D' ? 86400 : unit == 'm' ? 60 : 0;
    char num[16];
    if (!mult || n - 1 >= sizeof num)
        return KB_EINVAL;
    memcpy(num, w, n - 1);
    num[n - 1] = '\0';
    int64_t v = 0;
    if (parse_i64(num, 1, OFFER_WINDOW_MAX / mult, &v) || v * mult < 600)
        return KB_EINVAL;
    *secs = v * mult;
    return KB_OK;
}

static int offer_from_arg(struct cmd_ctx *c, const char **p, struct offer_row *o, const char *usage)
{
    char *w = command_next_word(p);
    int64_t id = 0;
    int bad = !w || task_parse_id(w, &id);
    free(w);
    int rc = bad ? KB_ENOTFOUND : offer_load(c->e, id, o);
    if (!rc && o->community_id != c->comm.id) {
        offer_row_free(o);
        rc = KB_ENOTFOUND;
    }
    if (rc == KB_ENOTFOUND) {
        rc = bad ? ctx_reply(c, usage, NOARGS) : ctx_reply(c, "offer.not_found", ARGS(TI("offer", id)));
        return rc ? rc : KB_ENOTFOUND;
    }
    return rc;
}

/* The chain, one line per candidate. */
static int chain_text(struct cmd_ctx *c, int64_t offer, struct sbuf *out)
{
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT seq, member_id, state, rating, coalesce(due_at, 0), reason"
                                  " FROM offer_candidates WHERE offer_id = ? ORDER BY seq",
                                  VALS(SI(offer)));
    if (!s)
        return store_failure(c->st);
    int rc;
    while ((rc = store_step(c->st, s)) == 1) {
        struct sbuf who = {0}, st = {0};
        task_mention(c->e, store_int(s, 1), &who);
        char key[40], when[32];
        snprintf(key, sizeof key, "offer.state.%s", store_text(s, 2));
        when_format(store_int(s, 4), c->comm.tz, when, sizeof when);
        text_format(&st, c->lang, key, ARGS(TS("due", when), TU("reason", store_text(s, 5))));
        if (*store_text(s, 5) && !strcmp(store_text(s, 2), "declined"))
            text_format(&st, c->lang, "offer.state.reason", ARGS(TU("reason", store_text(s, 5))));
        sbuf_addc(out, '\n');
        text_format(out, c->lang, "offer.chain_line",
                    ARGS(TI("n", store_int(s, 0)), TS("who", who.s), TS("state", st.s), TI("rating", store_int(s, 3))));
        sbuf_free(&who);
        sbuf_free(&st);
    }
    store_done(s);
    return rc < 0 ? rc : KB_OK;
}

/* Insert member at the end of the chain with their current fit. */
static int chain_append(struct cmd_ctx *c, int64_t offer, const struct offer_fit *fit, int64_t seq)
{
    return store_exec(c->st,
                      "INSERT INTO offer_candidates(offer_id, member_id, seq, state, rating, last_commission, added_by)"
                      " VALUES (?, ?, ?, 'waiting', ?, ?, ?)",
                      VALS(SI(offer), SI(fit->member_id), SI(seq), SI(fit->rating), SI(fit->last_commission),
                           SI(c->member_id)));
}

/* /offer new <task> [pool] [window] */
static int offer_new(struct cmd_ctx *c)
{
    const char *p = c->args;
    struct task_row t;
    int rc = task_from_arg(c, &p, &t, "offer.new_usage");
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    int64_t window = c->e->set.offer_window_s > 0 ? c->e->set.offer_window_s : 86400;
    char *pool = NULL, *w;
    while (!rc && (w = command_next_word(&p)) != NULL) {
        int64_t secs = 0;
        if (!parse_window(w, &secs))
            window = secs;
        else if (!pool)
            pool = xstrdup(w);
        else
            rc = KB_EINVAL;
        free(w);
    }
    struct offer_fit *fits = NULL;
    size_t n = 0;
    int64_t live = 0;
    if (rc == KB_EINVAL) {
        rc = ctx_reply(c, "offer.new_usage", NOARGS);
        goto out;
    }
    if (strcmp(t.state, "open") || (t.deadline && t.deadline <= c->now)) {
        rc = ctx_reply(c, "offer.task_not_open", ARGS(TI("id", t.id)));
        goto out;
    }
    rc = store_i64(c->st, &live, "SELECT id FROM offers WHERE task_id = ? AND state = 'open'", VALS(SI(t.id)));
    if (!rc) {
        rc = ctx_reply(c, "offer.already_open", ARGS(TI("id", t.id), TI("offer", live)));
        goto out;
    }
    if (rc != KB_ENOTFOUND)
        goto out;
    if (!pool) { /* the task's own pool, when it names one */
        rc = store_i64(c->st, &live, "SELECT count(*) FROM task_pools WHERE task_id = ?", VALS(SI(t.id)));
        if (!rc && live == 1) {
            sqlite3_stmt *s = store_query(c->st, "SELECT pool FROM task_pools WHERE task_id = ?", VALS(SI(t.id)));
            if (s && store_step(c->st, s) == 1)
                pool = xstrdup(store_text(s, 0));
            store_done(s);
        }
        if (!pool) {
            rc = ctx_reply(c, "offer.new_usage", NOARGS);
            goto out;
        }
    }
    /* the pool's members who have no claim on the task yet, by fit */
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT m.member_id FROM pool_members m WHERE m.community_id = ? AND m.pool = ?"
                                  " AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.task_id = ? AND c.member_id = m.member_id"
                                  "   AND c.state <> 'withdrawn') ORDER BY m.member_id LIMIT 200",
                                  VALS(SI(c->comm.id), ST(pool), SI(t.id)));
    if (!s) {
        rc = store_failure(c->st);
        goto out;
    }
    int64_t ids[OFFER_CHAIN_MAX];
    while (n < OFFER_CHAIN_MAX && (rc = store_step(c->st, s)) == 1)
        ids[n++] = store_int(s, 0);
    store_done(s);
    if (rc < 0)
        goto out;
    rc = KB_OK;
    if (n == 0) {
        rc = ctx_reply(c, "offer.nobody", ARGS(TU("pool", pool), TI("id", t.id)));
        goto out;
    }
    fits = xcalloc(n, sizeof *fits);
    for (size_t i = 0; i < n && !rc; i++)
        rc = offer_fit_load(c->e, ids[i], c->now, &fits[i]);
    if (rc)
        goto out;
    qsort(fits, n, sizeof *fits, offer_fit_cmp);
    rc = store_exec(c->st,
                    "INSERT INTO offers(community_id, task_id, pool, window_s, platform, chat_id, created_by, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    VALS(SI(c->comm.id), SI(t.id), ST(pool), SI(window), ST(c->ev->platform), ST(c->ev->chat_id),
                         SI(c->member_id), SI(c->now)));
    int64_t offer = rc ? 0 : store_last_id(c->st);
    for (size_t i = 0; i < n && !rc; i++)
        rc = chain_append(c, offer, &fits[i], (int64_t)i + 1);
    struct offer_row o;
    int64_t due = 0;
    if (!rc && !(rc = offer_load(c->e, offer, &o))) {
        rc = offer_to(c->e, &o, fits[0].member_id, c->now, &due);
        offer_row_free(&o);
    }
    char target[32];
    snprintf(target, sizeof target, "task:%lld", (long long)t.id);
    if (!rc)
        rc = audit_add(c, "offer.new", target, pool);
    if (!rc) {
        struct sbuf b = {0}, win = {0};
        window_text(c->lang, window, &win);
        text_format(&b, c->lang, "offer.made",
                    ARGS(TI("offer", offer), TI("id", t.id), TU("title", t.title), TU("pool", pool),
                         TI("n", n), TS("window", win.s)));
        rc = chain_text(c, offer, &b);
        if (!rc)
            rc = ctx_reply_markup(c, b.s, 0);
        sbuf_free(&b);
        sbuf_free(&win);
    }
out:
    free(fits);
    free(pool);
    task_row_free(&t);
    return rc;
}

static int offer_show(struct cmd_ctx *c)
{
    const char *p = c->args;
    struct offer_row o;
    int rc = offer_from_arg(c, &p, &o, "offer.show_usage");
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    struct task_row t;
    rc = task_load(c->e, c->comm.id, o.task_id, &t);
    struct sbuf b = {0};
    if (!rc) {
        char key[32];
        snprintf(key, sizeof key, "offer.offer_state.%s", o.state);
        text_format(&b, c->lang, "offer.show_head",
                    ARGS(TI("offer", o.id), TI("id", t.id), TU("title", t.title), TS("state", text_get(c->lang, key))));
        rc = chain_text(c, o.id, &b);
        task_row_free(&t);
    }
    if (!rc)
        rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    offer_row_free(&o);
    return rc;
}

/* The member the offer waits on now; KB_ENOTFOUND when none. */
static int current_candidate(struct engine *e, int64_t offer, int64_t *member)
{
    return store_i64(e->st, member, "SELECT member_id FROM offer_candidates WHERE offer_id = ? AND state = 'offered'",
                     VALS(SI(offer)));
}

static int offer_skip(struct cmd_ctx *c)
{
    const char *p = c->args;
    struct offer_row o;
    int rc = offer_from_arg(c, &p, &o, "offer.skip_usage");
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    int64_t member = 0;
    if (strcmp(o.state, "open") || (rc = current_candidate(c->e, o.id, &member)) == KB_ENOTFOUND) {
        rc = ctx_reply(c, "offer.not_open", ARGS(TI("offer", o.id)));
    } else if (!rc) {
        rc = candidate_done(c->e, &o, member, "skipped", NULL, c->now);
        struct sbuf b = {0};
        text_format(&b, c->lang, "offer.withdrawn", ARGS(TI("offer", o.id), TI("id", o.task_id)));
        if (!rc)
            rc = member_tell_privately(c->e, member, b.s, NULL, c->now, &(int){0});
        sbuf_free(&b);
        char target[32], who[32];
        snprintf(target, sizeof target, "offer:%lld", (long long)o.id);
        snprintf(who, sizeof who, "member:%lld", (long long)member);
        if (!rc)
            rc = audit_add(c, "offer.skip", target, who);
    }
    offer_row_free(&o);
    return rc;
}

/* /offer add <offer> @member: at the end of the chain, or offered at once
   when the chain had run out. */
static int offer_add(struct cmd_ctx *c)
{
    const char *p = c->args;
    struct offer_row o;
    int rc = offer_from_arg(c, &p, &o, "offer.add_usage");
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    char *who = who_next_target(c, &p);
    int64_t member = 0, seq = 0, in_chain = 0, other = 0;
    if (!who && !who_has_reply(c)) {
        rc = ctx_reply(c, "offer.add_usage", NOARGS);
    } else if (strcmp(o.state, "open") && strcmp(o.state, "exhausted")) {
        rc = ctx_reply(c, "offer.not_open", ARGS(TI("offer", o.id)));
    } else if (!strcmp(o.state, "exhausted") &&
               !(rc = store_i64(c->st, &other, "SELECT id FROM offers WHERE task_id = ? AND state = 'open'",
                                VALS(SI(o.task_id))))) { /* a newer offer of the task is running */
        rc = ctx_reply(c, "offer.already_open", ARGS(TI("id", o.task_id), TI("offer", other)));
    } else if (rc && rc != KB_ENOTFOUND) {
        ;
    } else if ((rc = who_resolve(c, who, &member)) == KB_ENOTFOUND) {
        rc = KB_OK;
    } else if (!rc && !(rc = store_i64(c->st, &in_chain,
                                       "SELECT (SELECT count(*) FROM offer_candidates WHERE offer_id = ?1 AND member_id = ?2)"
                                       " + (SELECT count(*) FROM claims WHERE task_id = ?3 AND member_id = ?2"
                                       "    AND state <> 'withdrawn')",
                                       VALS(SI(o.id), SI(member), SI(o.task_id)))) && in_chain) {
        struct sbuf name = {0};
        task_mention(c->e, member, &name);
        rc = ctx_reply(c, "offer.already_in_chain", ARGS(TS("who", name.s), TI("offer", o.id)));
        sbuf_free(&name);
    } else if (!rc) {
        struct offer_fit fit;
        rc = offer_fit_load(c->e, member, c->now, &fit);
        if (!rc)
            rc = store_i64(c->st, &seq, "SELECT coalesce(max(seq), 0) + 1 FROM offer_candidates WHERE offer_id = ?",
                           VALS(SI(o.id)));
        if (!rc)
            rc = chain_append(c, o.id, &fit, seq);
        int64_t due = 0;
        int now_offered = !rc && !strcmp(o.state, "exhausted");
        if (now_offered)
            rc = store_exec(c->st, "UPDATE offers SET state = 'open', closed_at = NULL WHERE id = ?", VALS(SI(o.id)));
        if (now_offered && !rc)
            rc = offer_to(c->e, &o, member, c->now, &due);
        char target[32], detail[32];
        snprintf(target, sizeof target, "member:%lld", (long long)member);
        snprintf(detail, sizeof detail, "offer:%lld", (long long)o.id);
        if (!rc)
            rc = audit_add(c, "offer.add", target, detail);
        if (!rc) {
            struct sbuf name = {0};
            char when[32];
            when_format(due, c->comm.tz, when, sizeof when);
            task_mention(c->e, member, &name);
            rc = ctx_reply(c, now_offered ? "offer.added_now" : "offer.added",
                           ARGS(TS("who", name.s), TI("offer", o.id), TI("n", seq), TS("due", when)));
            sbuf_free(&name);
        }
    }
    free(who);
    offer_row_free(&o);
    return rc;
}

static int offer_cancel(struct cmd_ctx *c)
{
    const char *p = c->args;
    struct offer_row o;
    int rc = offer_from_arg(c, &p, &o, "offer.cancel_usage");
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    int64_t member = 0;
    if (strcmp(o.state, "open") && strcmp(o.state, "exhausted")) {
        rc = ctx_reply(c, "offer.not_open", ARGS(TI("offer", o.id)));
        goto out;
    }
    rc = current_candidate(c->e, o.id, &member);
    if (!rc) {
        struct sbuf b = {0};
        text_format(&b, c->lang, "offer.withdrawn", ARGS(TI("offer", o.id), TI("id", o.task_id)));
        rc = member_tell_privately(c->e, member, b.s, NULL, c->now, &(int){0});
        sbuf_free(&b);
    } else if (rc == KB_ENOTFOUND) {
        rc = KB_OK;
    }
    if (!rc)
        rc = store_exec(c->st,
                        "UPDATE offer_candidates SET state = 'skipped', answered_at = ?1"
                        " WHERE offer_id = ?2 AND state IN ('offered','waiting')",
                        VALS(SI(c->now), SI(o.id)));
    if (!rc)
        rc = store_exec(c->st, "UPDATE offers SET state = 'cancelled', closed_at = ? WHERE id = ?",
                        VALS(SI(c->now), SI(o.id)));
    char target[32];
    snprintf(target, sizeof target, "offer:%lld", (long long)o.id);
    if (!rc)
        rc = audit_add(c, "offer.cancel", target, "");
    if (!rc)
        rc = ctx_reply(c, "offer.cancelled", ARGS(TI("offer", o.id)));
out:
    offer_row_free(&o);
    return rc;
}

/* /rate <submission> <1-5>: an operator's score of approved work, which
   the fit reads beside the judges' (work_scores, ref "rating:<sub>") */
static int cmd_rate(struct cmd_ctx *c)
{
    const char *p = c->args;
    char *w = command_next_word(&p), *v = command_next_word(&p);
    int64_t sub = 0, stars = 0, author = 0;
    int rc = KB_OK;
    if (!w || !v || task_parse_id(w, &sub) || parse_i64(v, 1, 5, &stars) || *command_skip_space(p)) {
        rc = ctx_reply(c, "offer.rate_usage", NOARGS);
    } else if ((rc = store_i64(c->st, &author,
                               "SELECT member_id FROM submissions WHERE id = ? AND community_id = ? AND state = 'approved'",
                               VALS(SI(sub), SI(c->comm.id)))) == KB_ENOTFOUND) {
        rc = ctx_reply(c, "offer.rate_not_approved", ARGS(TI("sub", sub)));
    } else if (!rc && author == c->member_id && !ctx_is_owner(c)) {
        rc = ctx_reply(c, "offer.rate_own", ARGS(TI("sub", sub)));
    } else if (!rc) {
        char ref[40];
        snprintf(ref, sizeof ref, "rating:%lld", (long long)sub);
        rc = store_exec(c->st,
                        "INSERT OR REPLACE INTO work_scores(member_id, ref, score_pct, at) VALUES (?, ?, ?, ?)",
                        VALS(SI(author), ST(ref), SI(stars * 20), SI(c->now)));
        char target[40];
        snprintf(target, sizeof target, "submission:%lld", (long long)sub);
        if (!rc)
            rc = audit_add(c, "offer.rate", target, v);
        if (!rc)
            rc = ctx_reply(c, "offer.rated", ARGS(TI("sub", sub), TI("stars", stars)));
    }
    free(w);
    free(v);
    return rc;
}

static int cmd_offer(struct cmd_ctx *c)
{
    return ctx_reply(c, "offer.usage", NOARGS);
}

/* ==== candidates ======================================================= */

/* The caller's offer: the one named, or their only live one.  Replies
   and returns KB_ENOTFOUND when there is none (or several, unnamed). */
static int my_offer(struct cmd_ctx *c, const char **p, struct offer_row *o, char *state, size_t cap,
                    int64_t *due)
{
    const char *before = *p;
    char *w = command_next_word(p);
    int64_t id = 0;
    int rc;
    if (w && !task_parse_id(w, &id)) {
        free(w);
    } else { /* no id: the live one (the word is the reason) */
        free(w);
        *p = before;
        int64_t n = 0;
        rc = store_i64(c->st, &n,
                       "SELECT count(*) FROM offer_candidates oc JOIN offers o ON o.id = oc.offer_id"
                       " WHERE oc.member_id = ? AND oc.state = 'offered' AND o.community_id = ?",
                       VALS(SI(c->member_id), SI(c->comm.id)));
        if (rc)
            return rc;
        /* none live: the one whose window just closed on them, to say so */
        if (n == 0 && store_i64(c->st, &id,
                                "SELECT oc.offer_id FROM offer_candidates oc JOIN offers o ON o.id = oc.offer_id"
                                " WHERE oc.member_id = ? AND oc.state = 'expired' AND o.community_id = ?"
                                " ORDER BY oc.answered_at DESC LIMIT 1",
                                VALS(SI(c->member_id), SI(c->comm.id))) == KB_OK)
            n = -1;
        if (n != 1 && n != -1) {
            rc = ctx_reply(c, n ? "offer.which" : "offer.none_for_you", NOARGS);
            return rc ? rc : KB_ENOTFOUND;
        }
        if (n == 1)
            rc = store_i64(c->st, &id,
                       "SELECT oc.offer_id FROM offer_candidates oc JOIN offers o ON o.id = oc.offer_id"
                       " WHERE oc.member_id = ? AND oc.state = 'offered' AND o.community_id = ?",
                       VALS(SI(c->member_id), SI(c->comm.id)));
        if (rc)
            return rc;
    }
    rc = offer_load(c->e, id, o);
    if (!rc && o->community_id != c->comm.id) {
        offer_row_free(o);
        rc = KB_ENOTFOUND;
    }
    sqlite3_stmt *s = NULL;
    if (!rc)
        s = store_query(c->st, "SELECT state, coalesce(due_at, 0) FROM offer_candidates WHERE offer_id = ? AND member_id = ?",
                        VALS(SI(id), SI(c->member_id)));
    if (!rc && !s)
        rc = store_failure(c->st);
    if (!rc) {
        int step = store_step(c->st, s);
        if (step == 1) {
            snprintf(state, cap, "%s", store_text(s, 0));
            *due = store_int(s, 1);
        } else {
            rc = step < 0 ? step : KB_ENOTFOUND;
        }
        store_done(s);
        if (rc)
            offer_row_free(o);
    }
    if (rc == KB_ENOTFOUND) {
        rc = ctx_reply(c, "offer.not_yours", ARGS(TI("offer", id)));
        return rc ? rc : KB_ENOTFOUND;
    }
    return rc;
}

/* Why a candidate in this state cannot answer. */
static int refuse_answer(struct cmd_ctx *c, const struct offer_row *o, const char *state, int64_t due)
{
    char when[32];
    when_format(due, c->comm.tz, when, sizeof when);
    if (!strcmp(state, "expired") || (!strcmp(state, "offered") && due <= c->at))
        return ctx_reply(c, "offer.window_closed", ARGS(TI("offer", o->id), TS("due", when)));
    if (!strcmp(state, "waiting"))
        return ctx_reply(c, "offer.not_yet", ARGS(TI("offer", o->id)));
    char key[40];
    snprintf(key, sizeof key, "offer.state.%s", state);
    return ctx_reply(c, "offer.answered", ARGS(TI("offer", o->id), TS("state", text_get(c->lang, key))));
}

static int cmd_accept(struct cmd_ctx *c)
{
    const char *p = c->args;
    struct offer_row o;
    char state[16] = "";
    int64_t due = 0;
    int rc = my_offer(c, &p, &o, state, sizeof state, &due);
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    struct task_row t = {0};
    if (strcmp(o.state, "open") || strcmp(state, "offered") || due <= c->at) {
        rc = refuse_answer(c, &o, state, due);
        goto out;
    }
    rc = task_load(c->e, c->comm.id, o.task_id, &t);
    if (rc)
        goto out;
    if (strcmp(t.state, "open") || (t.quota && t.claimed >= t.quota)) {
        rc = ctx_reply(c, "offer.task_full", ARGS(TI("id", t.id)));
        goto out;
    }
    int64_t claimed = 0; /* taken meanwhile with /claim: nothing to accept */
    rc = store_i64(c->st, &claimed, "SELECT count(*) FROM claims WHERE task_id = ? AND member_id = ? AND state <> 'withdrawn'",
                   VALS(SI(t.id), SI(c->member_id)));
    if (!rc && claimed) {
        rc = ctx_reply(c, "task.refuse.already_claimed", ARGS(TI("id", t.id)));
        goto out;
    }
    if (rc)
        goto out;
    /* the window decides with the message's own time; the conditional
       update makes the acceptance and the tick's expiry exclusive */
    rc = store_exec(c->st,
                    "UPDATE offer_candidates SET state = 'accepted', answered_at = ?"
                    " WHERE offer_id = ? AND member_id = ? AND state = 'offered' AND due_at > ?",
                    VALS(SI(c->now), SI(o.id), SI(c->member_id), SI(c->at)));
    if (!rc && store_changes(c->st) != 1)
        rc = KB_ESTORE;
    if (!rc)
        rc = store_exec(c->st, "UPDATE offers SET state = 'accepted', closed_at = ? WHERE id = ?",
                        VALS(SI(c->now), SI(o.id)));
    if (!rc)
        rc = store_exec(c->st,
                        "UPDATE offer_candidates SET state = 'skipped' WHERE offer_id = ? AND state = 'waiting'",
                        VALS(SI(o.id)));
    /* the commission: an invitation and a claim, taking a slot if one is left */
    if (!rc)
        rc = store_exec(c->st,
                        "INSERT OR IGNORE INTO task_invites(task_id, member_id, invited_by, at) VALUES (?, ?, ?, ?)",
                        VALS(SI(t.id), SI(c->member_id), SI(c->member_id), SI(c->now)));
    if (!rc)
        rc = store_exec(c->st,
                        "UPDATE tasks SET claimed = claimed + 1 WHERE id = ?1 AND state = 'open'"
                        " AND (quota = 0 OR claimed < quota)",
                        VALS(SI(t.id)));
    if (!rc && store_changes(c->st) != 1)
        rc = KB_ESTORE; /* checked above, in this transaction */
    if (!rc)
        rc = store_exec(c->st,
                        "INSERT INTO claims(task_id, member_id, community_id, state, platform, chat_id,"
                        " claimed_at, updated_at) VALUES (?1, ?2, ?3, 'claimed', ?4, ?5, ?6, ?6)"
                        " ON CONFLICT(task_id, member_id) DO UPDATE SET state = 'claimed',"
                        " claimed_at = excluded.claimed_at, updated_at = excluded.updated_at"
                        " WHERE claims.state = 'withdrawn'",
                        VALS(SI(t.id), SI(c->member_id), SI(c->comm.id), ST(o.platform), ST(o.chat_id),
                             SI(c->now)));
    if (!rc && store_changes(c->st) != 1)
        rc = KB_ESTORE;
    if (!rc) {
        struct sbuf who = {0}, b = {0};
        task_mention(c->e, c->member_id, &who);
        char when[32];
        if (t.deadline)
            when_format(t.deadline, c->comm.tz, when, sizeof when);
        else
            snprintf(when, sizeof when, "%s", text_get(c->lang, "task.no_deadline"));
        rc = ctx_reply(c, "offer.accepted", ARGS(TI("id", t.id), TU("title", t.title), TS("deadline", when)));
        text_format(&b, c->lang, "offer.accepted_op", ARGS(TI("offer", o.id), TS("who", who.s), TI("id", t.id), TU("title", t.title)));
        if (!rc)
            rc = tell_operators(c->e, &o, b.s, c->now);
        sbuf_free(&who);
        sbuf_free(&b);
    }
out:
    task_row_free(&t);
    offer_row_free(&o);
    return rc;
}

static int cmd_decline(struct cmd_ctx *c)
{
    const char *p = c->args;
    struct offer_row o;
    char state[16] = "";
    int64_t due = 0;
    int rc = my_offer(c, &p, &o, state, sizeof state, &due);
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    const char *reason = command_skip_space(p);
    if (strlen(reason) > OFFER_REASON_MAX)
        rc = ctx_reply(c, "task.note_too_long", ARGS(TI("max", OFFER_REASON_MAX)));
    else if (strcmp(o.state, "open") || strcmp(state, "offered") || due <= c->at)
        rc = refuse_answer(c, &o, state, due);
    else if (!(rc = candidate_done(c->e, &o, c->member_id, "declined", reason, c->now)))
        rc = ctx_reply(c, "offer.declined_ack", ARGS(TI("offer", o.id)));
    offer_row_free(&o);
    return rc;
}

/* ==== the window's end ================================================= */

static int offer_tick(struct engine *e, int64_t now)
{
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT oc.offer_id, oc.member_id FROM offer_candidates oc JOIN offers o ON o.id = oc.offer_id"
                                  " WHERE oc.state = 'offered' AND oc.due_at <= ? AND o.state = 'open'"
                                  " ORDER BY oc.due_at LIMIT 100",
                                  VALS(SI(now)));
    if (!s)
        return store_failure(e->st);
    int64_t due[OFFER_TICK_BATCH][2];
    size_t n = 0;
    int rc;
    while (n < OFFER_TICK_BATCH && (rc = store_step(e->st, s)) == 1) {
        due[n][0] = store_int(s, 0);
        due[n][1] = store_int(s, 1);
        n++;
    }
    store_done(s);
    if (rc < 0)
        return rc;
    rc = KB_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        struct offer_row o;
        rc = offer_load(e, due[i][0], &o);
        if (!rc)
            rc = candidate_done(e, &o, due[i][1], "expired", NULL, now);
        offer_row_free(&o);
    }
    return rc;
}

static int64_t offer_next_due(struct engine *e, int64_t now)
{
    int64_t t = -1;
    if (store_i64(e->st, &t,
                  "SELECT min(oc.due_at) FROM offer_candidates oc JOIN offers o ON o.id = oc.offer_id"
                  " WHERE oc.state = 'offered' AND o.state = 'open'",
                  NOVALS))
        return -1;
    return t < now ? now : t;
}

/* ==== the module ======================================================= */

static const char *const migrations[] = {
    /* 1: offers, their chains, and the scores of past work the fit reads
          (written by the judging module when a judging closes) */
    "CREATE TABLE offers ("
    "  id INTEGER PRIMARY KEY,"
    "  community_id INTEGER NOT NULL,"
    "  task_id INTEGER NOT NULL REFERENCES tasks(id),"
    "  pool TEXT NOT NULL COLLATE NOCASE,"
    "  window_s INTEGER NOT NULL CHECK (window_s > 0),"
    "  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open','accepted','exhausted','cancelled')),"
    "  platform TEXT NOT NULL,"            /* where it was made: the chain's news go there */
    "  chat_id TEXT NOT NULL,"
    "  created_by INTEGER,"
    "  created_at INTEGER NOT NULL,"
    "  closed_at INTEGER"
    ") STRICT;"
    /* one open offer per task */
    "CREATE UNIQUE INDEX offers_open ON offers(task_id) WHERE state = 'open';"
    "CREATE TABLE offer_candidates ("
    "  offer_id INTEGER NOT NULL REFERENCES offers(id),"
    "  member_id INTEGER NOT NULL REFERENCES members(id),"
    "  seq INTEGER NOT NULL,"              /* place in the chain, best fit first */
    "  state TEXT NOT NULL CHECK (state IN ('waiting','offered','accepted','declined','expired','skipped')),"
    "  rating INTEGER NOT NULL,"           /* the fit when ranked */
    "  last_commission INTEGER NOT NULL,"
    "  offered_at INTEGER,"
    "  due_at INTEGER,"
    "  answered_at INTEGER,"
    "  reason TEXT NOT NULL DEFAULT '',"
    "  added_by INTEGER,"
    "  PRIMARY KEY (offer_id, member_id),"
    "  UNIQUE (offer_id, seq)"
    ") STRICT, WITHOUT ROWID;"
    /* the chain waits on one candidate at a time */
    "CREATE UNIQUE INDEX offer_candidates_live ON offer_candidates(offer_id) WHERE state = 'offered';"
    "CREATE INDEX offer_candidates_due ON offer_candidates(due_at) WHERE state = 'offered';"
    "CREATE INDEX offer_candidates_member ON offer_candidates(member_id, state);"
    "CREATE TABLE work_scores ("
    "  member_id INTEGER NOT NULL REFERENCES members(id),"
    "  ref TEXT NOT NULL,"                 /* what was scored: "submission:12" */
    "  score_pct INTEGER NOT NULL CHECK (score_pct BETWEEN 0 AND 100),"
    "  at INTEGER NOT NULL,"
    "  PRIMARY KEY (member_id, ref)"
    ") STRICT, WITHOUT ROWID;",
};

static const struct cmd_spec commands[] = {
    {"offer", cmd_offer, CMD_OPERATOR, "offer.help", "邀约"},
    {"accept", cmd_accept, 0, "offer.help.accept", "接受"},
    {"decline", cmd_decline, 0, "offer.help.decline", "婉拒"},
    {"rate", cmd_rate, CMD_OPERATOR, "offer.help.rate", "评级"},
};

static const struct cmd_sub subs[] = {
    {"offer", "new", offer_new, 0, 1, 3},
    {"offer", "show", offer_show, 0, 1, 1},
    {"offer", "skip", offer_skip, 0, 1, 1},
    {"offer", "add", offer_add, 0, 1, 2},
    {"offer", "cancel", offer_cancel, 0, 1, 1},
};

static const struct text_entry texts[] = {
    {"offer.help", "/offer new &lt;任务&gt; [人才库] [24h]｜show｜skip｜add｜cancel &lt;邀约&gt; — 按匹配度依次向人才库成员发出邀约",
     "/offer new &lt;task&gt; [pool] [24h] | show | skip | add | cancel &lt;offer&gt; — offer a commission to a pool, best fit first, one at a time"},
    {"offer.help.accept", "/accept [邀约] — 接受发给你的邀约", "/accept [offer] — take the commission offered to you"},
    {"offer.help.decline", "/decline [邀约] [原因] — 婉拒邀约（会转给下一位）", "/decline [offer] [reason] — decline it (it goes to the next person)"},
    {"audit.offer.new", "发出邀约", "offered a commission"},
    {"audit.offer.skip", "跳过邀约候选人", "skipped an offer's candidate"},
    {"audit.offer.add", "加入邀约名单", "added to an offer"},
    {"audit.offer.cancel", "取消邀约", "cancelled an offer"},
    {"audit.offer.rate", "给作品评分", "rated work"},
    {"offer.help.rate", "/rate &lt;提交&gt; &lt;1–5&gt; — 给已通过的作品评分（用于邀约排序）", "/rate &lt;submission&gt; &lt;1–5&gt; — score approved work (offers rank by it)"},
    {"offer.rate_usage", "用法：/rate &lt;提交编号&gt; &lt;1–5&gt;", "Usage: /rate &lt;submission id&gt; &lt;1–5&gt;"},
    {"offer.rate_not_approved", "⚠️ 提交 #{sub} 不存在或还没有通过审核。", "⚠️ Submission #{sub} does not exist or is not approved."},
    {"offer.rate_own", "⚠️ 提交 #{sub} 是你自己的作品。", "⚠️ Submission #{sub} is your own work."},
    {"offer.rated", "✅ 提交 #{sub} 评为 {stars}/5，邀约排序会参考它。", "✅ Submission #{sub} rated {stars}/5; offers rank by it."},
    {"offer.usage", "用法：/offer new &lt;任务&gt; [人才库] [时限，如 24h]｜/offer show|skip|cancel &lt;邀约&gt;｜/offer add &lt;邀约&gt; @成员",
     "Usage: /offer new &lt;task&gt; [pool] [window, e.g. 24h] | /offer show|skip|cancel &lt;offer&gt; | /offer add &lt;offer&gt; @member"},
    {"offer.new_usage", "用法：/offer new &lt;任务编号&gt; [人才库] [时限，如 24h、2d]（任务只限一个人才库时可省略人才库）",
     "Usage: /offer new &lt;task id&gt; [pool] [window, e.g. 24h, 2d] (the pool may be left out when the task names one)"},
    {"offer.show_usage", "用法：/offer show &lt;邀约编号&gt;", "Usage: /offer show &lt;offer id&gt;"},
    {"offer.skip_usage", "用法：/offer skip &lt;邀约编号&gt;", "Usage: /offer skip &lt;offer id&gt;"},
    {"offer.add_usage", "用法：/offer add &lt;邀约编号&gt; @成员", "Usage: /offer add &lt;offer id&gt; @member"},
    {"offer.cancel_usage", "用法：/offer cancel &lt;邀约编号&gt;", "Usage: /offer cancel &lt;offer id&gt;"},
    {"offer.hours", "{n} 小时", "{n} h"},
    {"offer.minutes", "{n} 分钟", "{n} min"},
    {"offer.not_found", "⚠️ 没有编号为 #{offer} 的邀约。", "⚠️ There is no offer #{offer}."},
    {"offer.task_not_open", "⚠️ 任务 #{id} 不在进行中，不能发出邀约。", "⚠️ Task #{id} is not open; it cannot be offered."},
    {"offer.already_open", "任务 #{id} 已有进行中的邀约 #{offer}（/offer show {offer}）。", "Task #{id} already has an open offer #{offer} (/offer show {offer})."},
    {"offer.nobody", "⚠️ 人才库 {pool} 里没有可以邀约的成员（任务 #{id}）。", "⚠️ Nobody in the {pool} pool can be offered task #{id}."},
    {"offer.made", "📨 邀约 #{offer}：任务 #{id}「{title}」，人才库 {pool}，{n} 位候选人按匹配度排序，每人 {window}内答复：",
     "📨 Offer #{offer}: task #{id} “{title}”, pool {pool}, {n} {n|candidate|candidates} by fit, {window} each to answer:"},
    {"offer.chain_line", "{n}. {who} — {state}（评分 {rating}）", "{n}. {who} — {state} (rating {rating})"},
    {"offer.show_head", "📨 邀约 #{offer}：任务 #{id}「{title}」— {state}", "📨 Offer #{offer}: task #{id} “{title}” — {state}"},
    {"offer.offer_state.open", "进行中", "open"},
    {"offer.offer_state.accepted", "已接受", "accepted"},
    {"offer.offer_state.exhausted", "无人接受", "nobody took it"},
    {"offer.offer_state.cancelled", "已取消", "cancelled"},
    {"offer.state.waiting", "排队中", "waiting"},
    {"offer.state.offered", "已发出，{due} 前答复", "offered, answer by {due}"},
    {"offer.state.accepted", "已接受", "accepted"},
    {"offer.state.declined", "已婉拒", "declined"},
    {"offer.state.reason", "：{reason}", ": {reason}"},
    {"offer.state.expired", "未答复，已过时限", "no answer in time"},
    {"offer.state.skipped", "已跳过", "skipped"},
    {"offer.dm", "💼 {who}，有一个邀约给你（#{offer}）：任务 #{id}「{title}」\n{brief}\n报酬：{fee}\n请在 {window}内（{due} 前）答复：/accept {offer} 接受，/decline {offer} [原因] 婉拒。不答复会转给下一位。",
     "💼 {who}, a commission for you (offer #{offer}): task #{id} “{title}”\n{brief}\nFee: {fee}\nAnswer within {window} (by {due}): /accept {offer} to take it, /decline {offer} [reason] to pass. Without an answer it goes to the next person."},
    {"offer.dm_no_brief", "💼 {who}，有一个邀约给你（#{offer}）：任务 #{id}「{title}」\n报酬：{fee}\n请在 {window}内（{due} 前）答复：/accept {offer} 接受，/decline {offer} [原因] 婉拒。不答复会转给下一位。",
     "💼 {who}, a commission for you (offer #{offer}): task #{id} “{title}”\nFee: {fee}\nAnswer within {window} (by {due}): /accept {offer} to take it, /decline {offer} [reason] to pass. Without an answer it goes to the next person."},
    {"offer.public", "💼 {who}：有一个邀约给你（#{offer}，任务 #{id}「{title}」），请在 {window}内（{due} 前）用 /accept {offer} 或 /decline {offer} 答复；报酬只私信告知。",
     "💼 {who}: a commission is waiting for you (offer #{offer}, task #{id} “{title}”); answer within {window} (by {due}) with /accept {offer} or /decline {offer}. The fee is told privately only."},
    {"offer.now_to", "现在发给 {who}（{due} 前答复）。", "Now offered to {who} (answer by {due})."},
    {"offer.exhausted", "⚠️ 邀约 #{offer}（任务 #{id}）：名单上的每个人都婉拒或未答复。可用 /offer add {offer} @成员 邀请其他人。",
     "⚠️ Offer #{offer} (task #{id}): everyone in the chain declined or let it lapse. /offer add {offer} @member offers it to someone else."},
    {"offer.left.declined", "↪️ 邀约 #{offer}：{who} 婉拒了。", "↪️ Offer #{offer}: {who} declined."},
    {"offer.left.declined_why", "↪️ 邀约 #{offer}：{who} 婉拒了（{reason}）。", "↪️ Offer #{offer}: {who} declined ({reason})."},
    {"offer.left.expired", "⏰ 邀约 #{offer}：{who} 没有在时限内答复。", "⏰ Offer #{offer}: {who} did not answer in time."},
    {"offer.left.skipped", "⏭️ 邀约 #{offer}：已跳过 {who}。", "⏭️ Offer #{offer}: {who} skipped."},
    {"offer.withdrawn", "邀约 #{offer}（任务 #{id}）已收回，不用再答复了。", "Offer #{offer} (task #{id}) was withdrawn; no answer is needed."},
    {"offer.not_open", "邀约 #{offer} 已经结束，没有改动。", "Offer #{offer} is over; nothing changed."},
    {"offer.already_in_chain", "{who} 已在邀约 #{offer} 的名单上，或已领取这个任务。", "{who} is already in the chain of offer #{offer}, or has claimed the task."},
    {"offer.added", "✅ 已把 {who} 加到邀约 #{offer} 的名单末尾（第 {n} 位）。", "✅ {who} added to the end of offer #{offer}'s chain (place {n})."},
    {"offer.added_now", "✅ 已把 {who} 加到邀约 #{offer}，现在就发给 TA（{due} 前答复）。", "✅ {who} added to offer #{offer} and offered it now (answer by {due})."},
    {"offer.cancelled", "✅ 邀约 #{offer} 已取消。", "✅ Offer #{offer} cancelled."},
    {"offer.which", "你有多个邀约待答复，请写上编号：/accept &lt;邀约编号&gt;。", "You have several open offers; name one: /accept &lt;offer id&gt;."},
    {"offer.none_for_you", "现在没有发给你的邀约。", "There is no offer waiting for you."},
    {"offer.not_yours", "邀约 #{offer} 没有发给你。", "Offer #{offer} is not yours to answer."},
    {"offer.not_yet", "邀约 #{offer} 还没轮到你，轮到时我会私信你。", "Offer #{offer} has not reached you yet; I will message you when it does."},
    {"offer.window_closed", "⏰ 邀约 #{offer} 的答复时限已在 {due} 结束，已转给下一位。", "⏰ The window of offer #{offer} closed at {due}; it has moved on."},
    {"offer.answered", "你已经答复过邀约 #{offer}（{state}），没有改动。", "You already answered offer #{offer} ({state}); nothing changed."},
    {"offer.task_full", "⚠️ 任务 #{id} 已满或已停止领取，无法接受。", "⚠️ Task #{id} is full or closed; it cannot be taken."},
    {"offer.accepted", "✅ 你接下了任务 #{id}「{title}」，截止 {deadline}。完成后发送 /submit {id} &lt;内容或链接&gt;。",
     "✅ You took task #{id} “{title}”, due {deadline}. Send /submit {id} &lt;work or link&gt; when it is done."},
    {"offer.accepted_op", "✅ 邀约 #{offer}：{who} 接下了任务 #{id}「{title}」。", "✅ Offer #{offer}: {who} took task #{id} “{title}”."},
    {"offer.declined_ack", "好的，谢谢告知，邀约 #{offer} 会转给下一位。", "Thanks for letting us know; offer #{offer} goes to the next person."},
};

static const struct kb_setting settings[] = {
    {.path = "offer", .type = KB_SETTING_SECTION},
    {.path = "offer.window_hours", .type = KB_SETTING_INT, .off = offsetof(struct engine_settings, offer_window_s),
     .min = 1, .max = 720, .scale = 3600, .dnum = 24},
};

const struct kb_module offer_module = {
    .name = "offer",
    .commands = commands,
    .n_commands = KB_COUNT(commands),
    .subs = subs,
    .n_subs = KB_COUNT(subs),
    .texts = texts,
    .n_texts = KB_COUNT(texts),
    .tick = offer_tick,
    .next_due = offer_next_due,
    .migrations = migrations,
    .n_migrations = KB_COUNT(migrations),
    .settings = settings,
    .n_settings = KB_COUNT(settings),
};
