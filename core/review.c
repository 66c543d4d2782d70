/*
 * Reviewing tasks and their rewards: /review, /approve, /reject,
 * /unapprove, /tally, /audit, and the deadline / review reminders (tick).
 * Payouts are the reward pipeline's (payment.c).
 *
 * Money model.  A task's rewards land in the ledger when a submission is
 * approved, with reason "task" and ref "task:<task>:claim:<claim>": the
 * ledger's uniqueness on (member, reason, ref, kind, unit) means one claim
 * is paid once, however often it is approved or resubmitted.  Cash (cents,
 * unit = currency) and gifts (+1, unit = description) are owed until paid:
 * a payment's paid step appends a row with reason "payout" and the NEGATIVE
 * amount (a failed one its opposite, reason "payfail"), so for a member
 *     owed = sum(amount) over their cash (or gift) rows,
 *     paid = -sum(amount) over the payout and payfail rows.
 */
#include "review.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "award.h"
#include "command.h"
#include "csv.h"
#include "defn.h"
#include "ledger.h"
#include "once.h"
#include "payment.h"
#include "revision.h"
#include "outbox.h"
#include "standing.h"
#include "tally.h"
#include "tz.h"
#include "who.h"

#define REVIEW_MAX 20
#define NOTE_MAX 500

/* ==== review =========================================================== */

static int sub_load(struct cmd_ctx *c, int64_t id, struct sub_row *s)
{
    memset(s, 0, sizeof *s);
    sqlite3_stmt *q = store_query(c->st,
                                  "SELECT id, claim_id, task_id, member_id, state, platform, chat_id"
                                  " FROM submissions WHERE id = ? AND community_id = ?",
                                  VALS(SI(id), SI(c->comm.id)));
    if (!q)
        return store_failure(c->st);
    int rc = store_step(c->st, q);
    if (rc == 1) {
        s->id = store_int(q, 0);
        s->claim_id = store_int(q, 1);
        s->task_id = store_int(q, 2);
        s->member_id = store_int(q, 3);
        snprintf(s->state, sizeof s->state, "%s", store_text(q, 4));
        s->platform = xstrdup(store_text(q, 5));
        s->chat_id = xstrdup(store_text(q, 6));
        rc = KB_OK;
    } else if (rc == 0) {
        rc = KB_ENOTFOUND;
    }
    store_done(q);
    return rc;
}

static void sub_free(struct sub_row *s)
{
    free(s->platform);
    free(s->chat_id);
}

/* Parse "<submission> rest": loads it, replying on a bad or unknown id.
   KB_ENOTFOUND means "already answered". */
static int sub_from_args(struct cmd_ctx *c, const char **rest, struct sub_row *s, const char *usage)
{
    const char *p = c->args;
    char *w = command_next_word(&p);
    int64_t id = 0;
    int bad_id = !w || task_parse_id(w, &id);
    free(w);
    *rest = command_skip_space(p);
    int rc = 0;
    if (bad_id) {
        rc = ctx_reply(c, usage, NOARGS);
        return rc ? rc : KB_ENOTFOUND;
    }
    rc = sub_load(c, id, s);
    if (rc == KB_ENOTFOUND) {
        rc = ctx_reply(c, "review.not_found", ARGS(TI("id", id)));
        return rc ? rc : KB_ENOTFOUND;
    }
    return rc;
}

/* Tell the member a verdict (a private matter): in their private chat
   with the bot when there is one, else in the chat they submitted from,
   saying why; and the reviewer: one message when that is the same chat. */
static int tell(struct cmd_ctx *c, const struct sub_row *s, const char *member_text, const char *ack_key)
{
    int sent = 0;
    int rc = member_tell_privately(c->e, s->member_id, member_text, NULL, c->now, &sent);
    if (rc)
        return rc;
    if (sent) {
        struct sbuf b = {0};
        text_format(&b, c->lang, ack_key, ARGS(TI("sub", s->id)));
        text_format(&b, c->lang, "direct.sent", NOARGS);
        rc = ctx_reply_markup(c, b.s, 0);
        sbuf_free(&b);
        return rc;
    }
    struct sbuf text = {0};
    struct sbuf who = {0};
    sbuf_add(&text, member_text);
    member_name(c->e, s->member_id, &who);
    member_private_note(c->lang, who.s, &text);
    sbuf_free(&who);
    if (!strcmp(s->platform, c->ev->platform) && !strcmp(s->chat_id, c->ev->chat_id)) {
        rc = ctx_reply_markup(c, text.s, 0);
    } else {
        struct kb_reply r = {.kind = KB_REPLY_SEND, .platform = s->platform, .chat_id = s->chat_id,
                             .text = text.s};
        rc = outbox_add(c->e, &r, NULL, c->now);
        if (!rc)
            rc = ctx_reply(c, ack_key, ARGS(TI("sub", s->id)));
    }
    sbuf_free(&text);
    return rc;
}

static int refuse_state(struct cmd_ctx *c, const struct sub_row *s)
{
    char key[40];
    snprintf(key, sizeof key, "task.sub.%s", s->state);
    return ctx_reply(c, "review.not_pending", ARGS(TI("sub", s->id), TS("state", text_get(c->lang, key))));
}

int review_sub_from_args(struct cmd_ctx *c, const char **rest, struct sub_row *s, const char *usage)
{
    return sub_from_args(c, rest, s, usage);
}

void review_sub_free(struct sub_row *s)
{
    sub_free(s);
}

int review_tell(struct cmd_ctx *c, const struct sub_row *s, const char *member_text, const char *ack_key)
{
    return tell(c, s, member_text, ack_key);
}

int review_refuse_state(struct cmd_ctx *c, const struct sub_row *s)
{
    return refuse_state(c, s);
}

static int cmd_review(struct cmd_ctx *c)
{
    sqlite3_stmt *q = store_query(c->st,
                                  "SELECT s.id, s.task_id, t.title, s.member_id, s.text,"
                                  " coalesce(s.attachment, ''), s.at FROM submissions s"
                                  " JOIN tasks t ON t.id = s.task_id"
                                  " WHERE s.community_id = ? AND s.state = 'pending' ORDER BY s.id LIMIT 20",
                                  VALS(SI(c->comm.id)));
    if (!q)
        return store_failure(c->st);
    struct item { int64_t id, task, member, at; char *title, *text, *att; } items[REVIEW_MAX];
    size_t n = 0;
    int rc = 0;
    while (n < REVIEW_MAX && (rc = store_step(c->st, q)) == 1) {
        items[n] = (struct item){store_int(q, 0), store_int(q, 1), store_int(q, 3), store_int(q, 6),
                                 xstrdup(store_text(q, 2)), xstrdup(store_text(q, 4)),
                                 xstrdup(store_text(q, 5))};
        n++;
    }
    store_done(q);
    int64_t total = 0;
    store_i64(c->st, &total, "SELECT count(*) FROM submissions WHERE community_id = ? AND state = 'pending'",
              VALS(SI(c->comm.id)));
    struct sbuf b = {0};
    if (n == 0)
        text_format(&b, c->lang, "review.empty", NOARGS);
    else
        text_format(&b, c->lang, "review.header", ARGS(TI("n", total)));
    for (size_t i = 0; i < n; i++) {
        struct sbuf who = {0}, body = {0};
        char when[32];
        task_mention(c->e, items[i].member, &who);
        when_format(items[i].at, c->comm.tz, when, sizeof when);
        text_user_block(&body, items[i].text);
        if (*items[i].att) {
            if (body.len)
                sbuf_addc(&body, ' ');
            text_format(&body, c->lang, "review.attachment", ARGS(TU("att", items[i].att)));
        }
        sbuf_add(&b, "\n\n");
        text_format(&b, c->lang, "review.line",
                    ARGS(TI("sub", items[i].id), TI("id", items[i].task), TU("title", items[i].title),
                         TS("who", who.s), TS("when", when), TS("text", body.s)));
        sbuf_free(&who);
        sbuf_free(&body);
        free(items[i].title);
        free(items[i].text);
        free(items[i].att);
    }
    if (n) {
        sbuf_add(&b, "\n\n");
        text_format(&b, c->lang, "review.footer", NOARGS);
    }
    rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    return rc;
}

static int cmd_approve(struct cmd_ctx *c)
{
    const char *note;
    struct sub_row s;
    int rc = sub_from_args(c, &note, &s, "review.approve_usage");
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    struct task_row t = {0};
    int64_t part = 0, parts = 0; /* "/approve 12 3/5": 3 of 5 items accepted */
    int partial = revision_parse_part(&note, &part, &parts);
    if (partial == KB_EINVAL) {
        rc = ctx_reply(c, "revision.part_usage", NOARGS);
        goto out;
    }
    partial = partial && part < parts; /* 5/5 is a whole acceptance */
    if (strlen(note) > NOTE_MAX) {
        rc = ctx_reply(c, "task.note_too_long", ARGS(TI("max", NOTE_MAX)));
        goto out;
    }
    if (!strcmp(s.state, "approved")) {
        rc = ctx_reply(c, "review.already_approved", ARGS(TI("sub", s.id)));
        goto out;
    }
    if (strcmp(s.state, "pending")) {
        rc = refuse_state(c, &s);
        goto out;
    }
    if (s.member_id == c->member_id && !ctx_is_owner(c)) {
        rc = ctx_reply(c, "review.self_approve", ARGS(TI("sub", s.id)));
        goto out;
    }
    rc = task_load(c->e, c->comm.id, s.task_id, &t);
    int items_dropped = !rc && partial && (*t.gift || *t.badge || *t.title_reward);
    if (!rc && partial) {
        revision_scale_task(&t, part, parts);
        rc = revision_record_part(c, s.id, part, parts);
    }
    if (!rc)
        rc = store_exec(c->st,
                        "UPDATE submissions SET state = 'approved', reviewed_by = ?, reviewed_at = ?, note = ?"
                        " WHERE id = ? AND state = 'pending'",
                        VALS(SI(c->member_id), SI(c->now), ST(note), SI(s.id)));
    if (!rc && store_changes(c->st) != 1)
        rc = KB_ESTORE;
    if (!rc)
        rc = store_exec(c->st, "UPDATE claims SET state = 'approved', updated_at = ? WHERE id = ?",
                        VALS(SI(c->now), SI(s.claim_id)));
    if (!rc)
        rc = task_grant(c->e, &t, s.claim_id, s.member_id, s.id, c->member_id, note, c->now);
    char target[48];
    snprintf(target, sizeof target, "submission:%lld", (long long)s.id);
    struct sbuf detail = {0};
    sbuf_addf(&detail, "task:%lld member:%lld", (long long)t.id, (long long)s.member_id);
    if (partial)
        sbuf_addf(&detail, " part %lld/%lld", (long long)part, (long long)parts);
    if (*note)
        sbuf_addf(&detail, " %s", note);
    if (!rc)
        rc = audit_add(c, "task.approve", target, detail.s);
    sbuf_free(&detail);
    if (!rc) {
        struct sbuf who = {0}, reward = {0}, b = {0};
        task_mention(c->e, s.member_id, &who);
        task_reward_format(c->lang, &t, &reward);
        if (partial) /* the texts bring their own spacing: none before Chinese brackets */
            text_format(&reward, c->lang, "revision.part_line", ARGS(TI("k", part), TI("n", parts)));
        if (items_dropped)
            text_format(&reward, c->lang, "revision.part_items", NOARGS);
        text_format(&b, c->lang, *note ? "review.approved_note" : "review.approved",
                    ARGS(TS("who", who.s), TI("sub", s.id), TI("id", t.id), TU("title", t.title),
                         TS("reward", reward.s), TU("note", note)));
        rc = tell(c, &s, b.s, "review.approved_ack");
        sbuf_free(&who);
        sbuf_free(&reward);
        sbuf_free(&b);
    }
out:
    task_row_free(&t);
    sub_free(&s);
    return rc;
}

/* Back to "rejected" after a rejection or a reversed approval: the member
   may resubmit until the deadline or, when that is sooner, for the
   configured revision window from now.  Appends to again the sentence
   that tells them until when, or plainly that they cannot. */
static int reopen_claim(struct cmd_ctx *c, const struct task_row *t, int64_t claim_id, struct sbuf *again)
{
    int64_t window = c->e->set.revision_window_s;
    int64_t revise_until = t->deadline && window > 0 ? c->now + window : 0;
    int rc = store_exec(c->st, "UPDATE claims SET state = 'rejected', updated_at = ?, revise_until = ? WHERE id = ?",
                        VALS(SI(c->now), revise_until ? SI(revise_until) : SN, SI(claim_id)));
    int64_t due = task_claim_due(t->deadline, revise_until);
    char when[32];
    when_format(due, c->comm.tz, when, sizeof when);
    if (!t->deadline)
        text_format(again, c->lang, "review.again_anytime", ARGS(TI("id", t->id)));
    else if (due > c->now)
        text_format(again, c->lang, "review.again_before", ARGS(TI("id", t->id), TS("due", when)));
    else
        text_format(again, c->lang, "review.again_never", ARGS(TI("id", t->id), TS("due", when)));
    return rc;
}

int review_reopen_claim(struct cmd_ctx *c, const struct task_row *t, int64_t claim_id, struct sbuf *again)
{
    return reopen_claim(c, t, claim_id, again);
}

static int cmd_reject(struct cmd_ctx *c)
{
    const char *reason;
    struct sub_row s;
    int rc = sub_from_args(c, &reason, &s, "review.reject_usage");
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    struct task_row t = {0};
    if (!*reason) {
        rc = ctx_reply(c, "review.reject_usage", NOARGS);
        goto out;
    }
    if (strlen(reason) > NOTE_MAX) {
        rc = ctx_reply(c, "task.note_too_long", ARGS(TI("max", NOTE_MAX)));
        goto out;
    }
    if (strcmp(s.state, "pending")) {
        rc = !strcmp(s.state, "approved") ? ctx_reply(c, "review.reject_approved", ARGS(TI("sub", s.id)))
                                          : refuse_state(c, &s);
        goto out;
    }
    rc = task_load(c->e, c->comm.id, s.task_id, &t);
    if (!rc)
        rc = store_exec(c->st,
                        "UPDATE submissions SET state = 'rejected', reviewed_by = ?, reviewed_at = ?, note = ?"
                        " WHERE id = ?",
                        VALS(SI(c->member_id), SI(c->now), ST(reason), SI(s.id)));
    struct sbuf again = {0};
    if (!rc)
        rc = reopen_claim(c, &t, s.claim_id, &again);
    char target[48];
    snprintf(target, sizeof target, "submission:%lld", (long long)s.id);
    if (!rc)
        rc = audit_add(c, "task.reject", target, reason);
    if (!rc) {
        struct sbuf who = {0}, b = {0};
        task_mention(c->e, s.member_id, &who);
        text_format(&b, c->lang, "review.rejected",
                    ARGS(TS("who", who.s), TI("sub", s.id), TI("id", t.id), TU("title", t.title),
                         TU("reason", reason), TS("again", again.s)));
        rc = tell(c, &s, b.s, "review.rejected_ack");
        sbuf_free(&who);
        sbuf_free(&b);
    }
    sbuf_free(&again);
out:
    task_row_free(&t);
    sub_free(&s);
    return rc;
}

/* ==== reversing an approval ============================================ */

/* Reverse the claim's current award: one opposite row (reason "unapprove",
   the award's ref) per reward row, so the ledger stays append-only and its
   uniqueness lets an award be reversed once.  *got is the award as a task
   row (for the text; task_row_free); owes lists what had already been paid
   out and is now owed back by the member. */
static int reverse_award(struct cmd_ctx *c, const struct sub_row *s, const char *why, struct task_row *got,
                         struct sbuf *owes)
{
    char ref[AWARD_REF_MAX];
    memset(got, 0, sizeof *got);
    got->gift = xstrdup("");
    got->badge = xstrdup("");
    got->title_reward = xstrdup("");
    int rc = task_award_ref(c->e, s->task_id, s->claim_id, s->member_id, ref, sizeof ref);
    if (rc)
        return rc;
    sqlite3_stmt *q = store_query(c->st,
                                  "SELECT kind, unit, amount FROM ledger WHERE member_id = ? AND reason = 'task'"
                                  " AND ref = ? ORDER BY id LIMIT 8",
                                  VALS(SI(s->member_id), ST(ref)));
    if (!q)
        return store_failure(c->st);
    struct owed rows[8];
    size_t n = 0;
    while (n < 8 && (rc = store_step(c->st, q)) == 1) {
        snprintf(rows[n].kind, sizeof rows[n].kind, "%s", store_text(q, 0));
        rows[n].unit = xstrdup(store_text(q, 1));
        rows[n].amount = store_int(q, 2);
        n++;
    }
    store_done(q);
    rc = rc < 0 ? rc : KB_OK;
    struct ledger_entry le = {.community_id = c->comm.id, .member_id = s->member_id, .reason = "unapprove",
                              .ref = ref, .granted_by = c->member_id, .note = why, .at = c->now};
    for (size_t i = 0; i < n; i++) {
        struct owed *r = &rows[i];
        if (!strcmp(r->kind, "points")) {
            got->points = r->amount;
        } else if (!strcmp(r->kind, "cash")) {
            got->cash = r->amount;
            free(got->currency);
            got->currency = xstrdup(r->unit);
        } else {
            char **slot = !strcmp(r->kind, "gift") ? &got->gift : !strcmp(r->kind, "badge") ? &got->badge
                                                                                           : &got->title_reward;
            free(*slot);
            *slot = xstrdup(r->unit);
        }
        le.kind = r->kind;
        le.unit = r->unit;
        le.amount = -r->amount;
        if (!rc)
            rc = ledger_add(c->e, &le, NULL);
        /* cash or a gift already handed over: the member now owes it */
        int64_t balance = 0;
        if (!rc && (!strcmp(r->kind, "cash") || !strcmp(r->kind, "gift")))
            rc = ledger_balance(c->e, s->member_id, r->kind, r->unit, &balance);
        if (!rc && balance < 0)
            payment_owed_text(c->lang, r, -balance, owes);
        free(r->unit);
    }
    if (!got->currency)
        got->currency = xstrdup("");
    return rc;
}

static int cmd_unapprove(struct cmd_ctx *c)
{
    const char *reason;
    struct sub_row s;
    int rc = sub_from_args(c, &reason, &s, "review.unapprove_usage");
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    struct task_row t = {0}, got = {0};
    struct sbuf owes = {0}, again = {0}, why = {0};
    if (!*reason || strlen(reason) > NOTE_MAX) {
        rc = *reason ? ctx_reply(c, "task.note_too_long", ARGS(TI("max", NOTE_MAX)))
                     : ctx_reply(c, "review.unapprove_usage", NOARGS);
        goto out;
    }
    if (strcmp(s.state, "approved")) {
        char key[40];
        snprintf(key, sizeof key, "task.sub.%s", s.state);
        rc = !strcmp(s.state, "pending")
                 ? ctx_reply(c, "review.unapprove_pending", ARGS(TI("sub", s.id)))
                 : ctx_reply(c, "review.not_approved", ARGS(TI("sub", s.id), TS("state", text_get(c->lang, key))));
        goto out;
    }
    rc = task_load(c->e, c->comm.id, s.task_id, &t);
    sbuf_addf(&why, "submission:%lld %s", (long long)s.id, reason);
    if (!rc)
        rc = reverse_award(c, &s, why.s, &got, &owes);
    char task_ref[32];
    snprintf(task_ref, sizeof task_ref, "task:%lld", (long long)t.id);
    int from = 1, to = 1;
    if (!rc)
        rc = standing_task_reversed(c->e, c->comm.id, s.member_id, task_ref, c->member_id, c->now, &from, &to);
    if (!rc)
        rc = store_exec(c->st,
                        "UPDATE submissions SET state = 'rejected', reviewed_by = ?, reviewed_at = ?, note = ?"
                        " WHERE id = ? AND state = 'approved'",
                        VALS(SI(c->member_id), SI(c->now), ST(reason), SI(s.id)));
    if (!rc && store_changes(c->st) != 1)
        rc = KB_ESTORE;
    if (!rc && !strcmp(t.state, "cancelled"))
        rc = store_exec(c->st, "UPDATE claims SET state = 'cancelled', updated_at = ? WHERE id = ?",
                        VALS(SI(c->now), SI(s.claim_id)));
    else if (!rc)
        rc = reopen_claim(c, &t, s.claim_id, &again);
    char target[48];
    snprintf(target, sizeof target, "submission:%lld", (long long)s.id);
    /* the audit detail is plain text (shown escaped by /audit) */
    struct sbuf detail = {0}, reward = {0};
    sbuf_addf(&detail, "task:%lld member:%lld reversed", (long long)t.id, (long long)s.member_id);
    if (got.points)
        sbuf_addf(&detail, " points %lld", (long long)got.points);
    if (got.cash) {
        sbuf_add(&detail, " cash ");
        task_money(NULL, &detail, got.cash, got.currency);
    }
    const char *items[][2] = {{"gift", got.gift}, {"badge", got.badge}, {"title", got.title_reward}};
    for (size_t i = 0; i < 3; i++)
        if (*items[i][1])
            sbuf_addf(&detail, " %s %s", items[i][0], items[i][1]);
    sbuf_addf(&detail, ": %s", reason);
    task_reward_format(c->lang, &got, &reward);
    if (!rc)
        rc = audit_add(c, "task.unapprove", target, detail.s);
    sbuf_free(&detail);
    if (!rc) {
        struct sbuf who = {0}, b = {0};
        task_mention(c->e, s.member_id, &who);
        text_format(&b, c->lang, "review.unapproved",
                    ARGS(TS("who", who.s), TI("sub", s.id), TI("id", t.id), TU("title", t.title),
                         TU("reason", reason), TS("reward", reward.s)));
        if (owes.len) {
            sbuf_addc(&b, '\n');
            text_format(&b, c->lang, "review.unapproved_owes", ARGS(TS("owes", owes.s)));
        }
        if (to < from) {
            struct sbuf lv = {0};
            standing_level_name(c->e, to, c->lang, &lv);
            sbuf_addc(&b, '\n');
            text_format(&b, c->lang, "review.unapproved_level", ARGS(TS("level", lv.s)));
            sbuf_free(&lv);
        }
        if (again.len) {
            sbuf_addc(&b, '\n');
            sbuf_add(&b, again.s);
        }
        rc = tell(c, &s, b.s, "review.unapproved_ack");
        sbuf_free(&who);
        sbuf_free(&b);
    }
    sbuf_free(&reward);
out:
    sbuf_free(&owes);
    sbuf_free(&again);
    sbuf_free(&why);
    task_row_free(&got);
    task_row_free(&t);
    sub_free(&s);
    return rc;
}

/* ==== tally ============================================================ */

/* [from, to) and a label for "", all, week, month, YYYY-MM. */
static int tally_period(struct cmd_ctx *c, const char *w, int64_t *from, int64_t *to, struct sbuf *label)
{
    *from = 0;
    *to = INT64_MAX;
    w = command_keyword(w);
    if (!w || !strcmp(w, "all")) {
        text_format(label, c->lang, "review.period.all", NOARGS);
        return KB_OK;
    }
    if (!strcmp(w, "week") || !strcmp(w, "month")) { /* the calendar periods /top uses */
        enum top_span span = !strcmp(w, "week") ? TOP_WEEK : TOP_MONTH;
        top_period_range(&c->comm, span, c->now, 0, from, to);
        top_period_name(&c->comm, c->lang, span, c->now, 0, label);
        return KB_OK;
    }
    int y, m, used = 0;
    if (sscanf(w, "%4d-%2d%n", &y, &m, &used) != 2 || w[used] || m < 1 || m > 12 || y < 1970 || y > 2200)
        return KB_EINVAL;
    int h = c->comm.day_start_hour;
    *from = tz_instant(c->comm.tz, y, m, 1, h, 0);
    *to = m == 12 ? tz_instant(c->comm.tz, y + 1, 1, 1, h, 0) : tz_instant(c->comm.tz, y, m + 1, 1, h, 0);
    sbuf_addf(label, "%04d-%02d", y, m);
    return KB_OK;
}

struct tally_member {
    int64_t member, points;
    struct sbuf cash, gifts, badges, titles;              /* markup */
};

static void tally_reset(struct tally_member *m, int64_t member)
{
    sbuf_free(&m->cash);
    sbuf_free(&m->gifts);
    sbuf_free(&m->badges);
    sbuf_free(&m->titles);
    m->member = member;
    m->points = 0;
}

static void sep(struct sbuf *b, const char *s)
{
    if (b->len)
        sbuf_add(b, s);
}

/* The CSV columns of /tally export: one row per member, kind and unit,
   amounts as plain numbers (cash in units with two decimals), the
   currency or item in its own column. */
#define TALLY_CSV_HEADER "member,handle,kind,unit,earned,paid,owed\n"

static void csv_number(char *buf, size_t cap, int64_t n, int cents)
{
    if (!cents) {
        snprintf(buf, cap, "%lld", (long long)n);
        return;
    }
    int64_t a = n < 0 ? -n : n;
    snprintf(buf, cap, "%s%lld.%02lld", n < 0 ? "-" : "", (long long)(a / 100), (long long)(a % 100));
}

static void tally_csv_row(struct cmd_ctx *c, struct sbuf *out, int64_t member, const char *kind,
                          const char *unit, int64_t earned, int64_t paid, int64_t owed)
{
    int cash = !strcmp(kind, "cash"), points = !strcmp(kind, "points"), settled = cash || !strcmp(kind, "gift");
    char e[32], p[32] = "", o[32] = "";
    csv_number(e, sizeof e, earned, cash);
    if (settled) { /* only cash and gifts are paid out and owed */
        csv_number(p, sizeof p, paid, cash);
        csv_number(o, sizeof o, owed, cash);
    }
    sqlite3_stmt *q = store_query(c->st, "SELECT name, coalesce(handle, '') FROM members WHERE id = ?",
                                  VALS(SI(member)));
    int ok = q && store_step(c->st, q) == 1;
    const char *fields[] = {ok ? store_text(q, 0) : "?", ok ? store_text(q, 1) : "", kind,
                            points ? "points" : unit, e, p, o};
    csv_row(out, fields, KB_COUNT(fields));
    store_done(q);
}

static void tally_flush(struct cmd_ctx *c, struct tally_member *m, struct sbuf *out)
{
    if (!m->member)
        return;
    struct sbuf who = {0}, parts = {0};
    task_mention(c->e, m->member, &who);
    text_format(&parts, c->lang, "task.reward.points", ARGS(TI("n", m->points)));
    struct sbuf *pieces[] = {&m->cash, &m->gifts, &m->badges, &m->titles};
    const char *keys[] = {NULL, "review.tally.gifts", "review.tally.badges", "review.tally.titles"};
    for (int i = 0; i < 4; i++) {
        if (!pieces[i]->len)
            continue;
        sbuf_add(&parts, " · ");
        if (keys[i])
            text_format(&parts, c->lang, keys[i], ARGS(TS("list", pieces[i]->s)));
        else
            sbuf_add(&parts, pieces[i]->s);
    }
    sbuf_addc(out, '\n');
    text_format(out, c->lang, "review.tally.line", ARGS(TS("who", who.s), TS("parts", parts.s)));
    sbuf_free(&who);
    sbuf_free(&parts);
}

static int cmd_tally(struct cmd_ctx *c)
{
    const char *p = c->args;
    char *w = command_next_word(&p);
    int csv = w && !strcmp(command_keyword(w), "export");
    char *period = csv ? command_next_word(&p) : w;
    char *extra = command_next_word(&p);
    int64_t from, to;
    struct sbuf label = {0}, b = {0};
    int rc = KB_OK;
    if (extra || tally_period(c, period, &from, &to, &label)) {
        rc = ctx_reply(c, "review.tally_usage", NOARGS);
        goto out;
    }
    sqlite3_stmt *q = store_query(
        c->st,
        "SELECT l.member_id, l.kind, l.unit,"
        " sum(CASE WHEN l.reason IN ('payout','payfail') THEN 0 ELSE l.amount END),"
        " sum(CASE WHEN l.reason IN ('payout','payfail') THEN -l.amount ELSE 0 END),"
        " (SELECT sum(x.amount) FROM ledger x WHERE x.member_id = l.member_id AND x.kind = l.kind"
        "   AND x.unit = l.unit)"
        " FROM ledger l WHERE l.community_id = ?1 AND l.at >= ?2 AND l.at < ?3"
        " GROUP BY l.member_id, l.kind, l.unit ORDER BY l.member_id, l.kind, l.unit",
        VALS(SI(c->comm.id), SI(from), SI(to)));
    if (!q) {
        rc = store_failure(c->st);
        goto out;
    }
    struct tally_member m = {0};
    struct sbuf body = {0};
    size_t members = 0;
    int64_t csv_member = 0;
    while ((rc = store_step(c->st, q)) == 1) {
        int64_t member = store_int(q, 0);
        const char *kind = store_text(q, 1), *unit = store_text(q, 2);
        int64_t earned = store_int(q, 3), paid = store_int(q, 4), owed = store_int(q, 5);
        int revoked = (!strcmp(kind, "badge") || !strcmp(kind, "title")) && owed <= 0;
        if (csv) { /* row by row; m stays empty */
            if (!revoked)
                tally_csv_row(c, &body, member, kind, unit, earned, paid, owed);
            members += member != csv_member;
            csv_member = member;
            continue;
        }
        if (member != m.member) {
            tally_flush(c, &m, &body);
            tally_reset(&m, member);
            members++;
        }
        if (!strcmp(kind, "points")) {
            m.points += earned;
        } else if (!strcmp(kind, "cash")) {
            struct sbuf e = {0}, pd = {0}, ow = {0};
            task_money(c->lang, &e, earned, unit);
            task_money(c->lang, &pd, paid, unit);
            task_money(c->lang, &ow, owed, unit);
            sep(&m.cash, " · ");
            struct sbuf back = {0}; /* below zero: an award reversed after it was paid, owed back */
            task_money(c->lang, &back, -owed, unit);
            text_format(&m.cash, c->lang, owed < 0 ? "review.tally.cash_owes" : "review.tally.cash",
                        ARGS(TU("earned", e.s), TU("paid", pd.s), TU("owed", owed < 0 ? back.s : ow.s)));
            sbuf_free(&back);
            sbuf_free(&e);
            sbuf_free(&pd);
            sbuf_free(&ow);
        } else if (!strcmp(kind, "gift")) {
            sep(&m.gifts, ", ");
            text_format(&m.gifts, c->lang, owed < 0 ? "review.tally.gift_owes" : "review.tally.gift",
                        ARGS(TU("name", unit), TI("n", earned), TI("owed", owed < 0 ? -owed : owed)));
        } else {
            int badge = !strcmp(kind, "badge");
            if (revoked)
                continue;
            sep(badge ? &m.badges : &m.titles, ", ");
            text_user(badge ? &m.badges : &m.titles, unit);
        }
    }
    store_done(q);
    if (rc >= 0) {
        tally_flush(c, &m, &body);
        rc = KB_OK;
    }
    tally_reset(&m, 0);
    if (!rc && members == 0) {
        rc = ctx_reply(c, "review.tally_empty", ARGS(TS("period", label.s)));
    } else if (!rc && csv) {
        struct sbuf all = {0};
        sbuf_add(&all, TALLY_CSV_HEADER);
        sbuf_add(&all, sbuf_str(&body));
        if (all.len && all.s[all.len - 1] == '\n')
            all.s[--all.len] = '\0';
        text_format(&b, c->lang, "review.tally_csv", ARGS(TS("period", label.s)));
        sbuf_add(&b, "\n<code>");
        text_user_block(&b, all.s);
        sbuf_add(&b, "</code>");
        sbuf_free(&all);
        rc = ctx_reply_markup(c, b.s, 0);
    } else if (!rc) {
        text_format(&b, c->lang, "review.tally_header", ARGS(TS("period", label.s)));
        sbuf_add(&b, sbuf_str(&body));
        payment_tally_states(c, &b);
        rc = ctx_reply_markup(c, b.s, 0);
    }
    sbuf_free(&body);
out:
    sbuf_free(&label);
    sbuf_free(&b);
    free(w);
    if (csv)
        free(period);
    free(extra);
    return rc;
}

/* ==== audit ============================================================ */

static int cmd_audit(struct cmd_ctx *c)
{
    int64_t n = 10;
    if (*c->args && parse_i64(c->args, 1, 50, &n))
        return ctx_reply(c, "review.audit_usage", NOARGS);
    sqlite3_stmt *q = store_query(c->st,
                                  "SELECT id, at, coalesce(actor_member_id, 0), action, target, detail"
                                  " FROM audit WHERE community_id = ? ORDER BY id DESC LIMIT ?",
                                  VALS(SI(c->comm.id), SI(n)));
    if (!q)
        return store_failure(c->st);
    struct sbuf b = {0};
    text_format(&b, c->lang, "review.audit_header", NOARGS);
    int rc, rows = 0;
    while ((rc = store_step(c->st, q)) == 1) {
        char when[32];
        when_format(store_int(q, 1), c->comm.tz, when, sizeof when);
        struct sbuf who = {0}, action = {0}, target = {0};
        if (store_int(q, 2))
            member_name(c->e, store_int(q, 2), &who);
        else /* the bot by itself: a term that ended, a mentor assigned */
            text_format(&who, c->lang, "audit.system", NOARGS);
        audit_action_text(c, store_text(q, 3), &action);
        audit_target_text(c, store_text(q, 4), &target);
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, *store_text(q, 5) ? "review.audit_line_detail" : "review.audit_line",
                    ARGS(TI("id", store_int(q, 0)), TS("when", when), TS("who", who.s),
                         TS("action", action.s), TS("target", target.s),
                         TU("detail", store_text(q, 5))));
        sbuf_free(&who);
        sbuf_free(&action);
        sbuf_free(&target);
        rows++;
    }
    store_done(q);
    if (rc >= 0)
        rc = rows ? ctx_reply_markup(c, b.s, 0) : ctx_reply(c, "review.audit_empty", NOARGS);
    sbuf_free(&b);
    return rc;
}

/* ==== reminders (tick) ================================================= */

#define REMIND_BATCH 200
#define REVIEW_STALE (48 * 3600)

struct due_claim {
    int64_t claim, member, task, deadline, community;
    char *platform, *chat, *title;
};

/* "1 h 50 min": the real time left, in whole minutes (at least one), so a
   reminder sent late (the bot was down) does not promise hours. */
static void time_left_text(const char *lang, int64_t secs, struct sbuf *out)
{
    int64_t minutes = secs / 60 > 0 ? secs / 60 : 1, h = minutes / 60, m = minutes % 60;
    text_format(out, lang, !h ? "review.left_m" : !m ? "review.left_h" : "review.left_h_m",
                ARGS(TI("h", h), TI("m", m)));
}

/* Unfinished claims on live tasks with a due time (the deadline, or the
   revision window a rejection opened) and since when that time holds (the
   claim, or the rejection that told the member their new due time). */
#define DUE_CLAIMS                                                                                   \
    "(SELECT c.id, c.member_id, c.task_id, c.platform, c.chat_id, t.title, t.community_id,"         \
    " CASE WHEN c.state = 'rejected' THEN c.updated_at ELSE c.claimed_at END AS since,"            \
    " " TASK_CLAIM_DUE_SQL " AS due FROM claims c JOIN tasks t ON t.id = c.task_id"                  \
    " WHERE c.state IN ('claimed','rejected') AND t.state <> 'cancelled' AND t.deadline IS NOT NULL)"

/* Remind claimers who have not submitted, once per claim and window:
   window seconds before their due time (claims taken, or reopened by a
   rejection, inside it are skipped). */
static int remind_window(struct engine *e, int64_t now, int64_t window, int64_t until, const char *suffix,
                         const char *key)
{
    sqlite3_stmt *q = store_query(
        e->st,
        "SELECT d.id, d.member_id, d.task_id, d.due, d.community_id, d.platform, d.chat_id, d.title"
        " FROM " DUE_CLAIMS " d"
        " WHERE d.due > ?1 + ?4 AND d.due <= ?1 + ?2 AND d.since < d.due - ?2"
        " AND NOT EXISTS (SELECT 1 FROM fired f WHERE f.key = 'task-remind:' || d.id || ?3)"
        " ORDER BY d.id LIMIT 200",
        VALS(SI(now), SI(window), ST(suffix), SI(until)));
    if (!q)
        return store_failure(e->st);
    struct due_claim d[REMIND_BATCH];
    size_t n = 0;
    int rc = 0;
    while (n < REMIND_BATCH && (rc = store_step(e->st, q)) == 1) {
        d[n] = (struct due_claim){store_int(q, 0), store_int(q, 1), store_int(q, 2), store_int(q, 3),
                                  store_int(q, 4), xstrdup(store_text(q, 5)), xstrdup(store_text(q, 6)),
                                  xstrdup(store_text(q, 7))};
        n++;
    }
    store_done(q);
    rc = rc < 0 ? rc : KB_OK;
    for (size_t i = 0; i < n; i++) {
        char mark[64];
        snprintf(mark, sizeof mark, "task-remind:%lld%s", (long long)d[i].claim, suffix);
        int first = 0;
        struct community comm;
        if (!rc)
            rc = once_mark(e, mark, now, &first);
        if (!rc && first)
            rc = community_load(e, d[i].community, &comm);
        if (!rc && first) {
            struct sbuf who = {0}, left = {0}, b = {0};
            char when[32];
            when_format(d[i].deadline, comm.tz, when, sizeof when);
            task_mention(e, d[i].member, &who);
            time_left_text(comm.locale, d[i].deadline - now, &left);
            text_format(&b, comm.locale, key,
                        ARGS(TS("who", who.s), TI("id", d[i].task), TU("title", d[i].title), TS("deadline", when),
                             TS("left", left.s)));
            sbuf_free(&left);
            struct kb_reply r = {.kind = KB_REPLY_SEND, .platform = d[i].platform, .chat_id = d[i].chat,
                                 .text = b.s};
            rc = outbox_add(e, &r, NULL, now);
            sbuf_free(&who);
            sbuf_free(&b);
        }
        free(d[i].platform);
        free(d[i].chat);
        free(d[i].title);
    }
    return rc;
}

/* Tell operators (in the community's groups) about submissions waiting
   more than 48 h, once per submission. */
static int remind_reviews(struct engine *e, int64_t now)
{
    sqlite3_stmt *q = store_query(e->st,
                                  "SELECT s.id, s.community_id, s.task_id FROM submissions s"
                                  " WHERE s.state = 'pending' AND s.at <= ?1 - ?2"
                                  " AND NOT EXISTS (SELECT 1 FROM fired f WHERE f.key = 'task-review:' || s.id)"
                                  " ORDER BY s.community_id, s.id LIMIT 200",
                                  VALS(SI(now), SI(REVIEW_STALE)));
    if (!q)
        return store_failure(e->st);
    struct { int64_t sub, community, task; } d[REMIND_BATCH];
    size_t n = 0;
    int rc = 0;
    while (n < REMIND_BATCH && (rc = store_step(e->st, q)) == 1) {
        d[n].sub = store_int(q, 0);
        d[n].community = store_int(q, 1);
        d[n].task = store_int(q, 2);
        n++;
    }
    store_done(q);
    rc = rc < 0 ? rc : KB_OK;
    struct sbuf list = {0};
    size_t count = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        char mark[48];
        snprintf(mark, sizeof mark, "task-review:%lld", (long long)d[i].sub);
        int first = 0;
        rc = once_mark(e, mark, now, &first);
        if (!rc && first) {
            sbuf_addf(&list, "%s#%lld (task #%lld)", list.len ? ", " : "", (long long)d[i].sub,
                      (long long)d[i].task);
            count++;
        }
        int last = i + 1 == n || d[i + 1].community != d[i].community;
        if (!rc && last && count) {
            struct community comm;
            rc = community_load(e, d[i].community, &comm);
            struct sbuf b = {0};
            if (!rc) {
                text_format(&b, comm.locale, "review.stale",
                            ARGS(TI("n", (int64_t)count), TS("list", list.s)));
                rc = community_post(e, d[i].community, b.s, NULL, NULL, now);
            }
            sbuf_free(&b);
            sbuf_free(&list);
            count = 0;
        }
    }
    sbuf_free(&list);
    return rc;
}

static int review_tick(struct engine *e, int64_t now)
{
    int rc = remind_window(e, now, 24 * 3600, 2 * 3600, ":24h", "review.remind_24h");
    if (!rc)
        rc = remind_window(e, now, 2 * 3600, 0, ":2h", "review.remind_2h");
    if (!rc)
        rc = remind_reviews(e, now);
    return rc;
}

static int64_t review_next_due(struct engine *e, int64_t now)
{
    int64_t t = -1;
    int rc = store_i64(
        e->st, &t,
        "SELECT min(x) FROM ("
        " SELECT d.due - 86400 AS x FROM " DUE_CLAIMS " d WHERE d.due > ?1 + 7200"
        "  AND d.since < d.due - 86400"
        "  AND NOT EXISTS (SELECT 1 FROM fired f WHERE f.key = 'task-remind:' || d.id || ':24h')"
        " UNION ALL"
        " SELECT d.due - 7200 FROM " DUE_CLAIMS " d WHERE d.due > ?1"
        "  AND d.since < d.due - 7200"
        "  AND NOT EXISTS (SELECT 1 FROM fired f WHERE f.key = 'task-remind:' || d.id || ':2h')"
        " UNION ALL"
        " SELECT s.at + ?2 FROM submissions s WHERE s.state = 'pending'"
        "  AND NOT EXISTS (SELECT 1 FROM fired f WHERE f.key = 'task-review:' || s.id))",
        VALS(SI(now), SI(REVIEW_STALE)));
    if (rc)
        return -1;
    return t < now ? now : t;
}

static const struct cmd_spec commands[] = {
    {"review", cmd_review, CMD_OPERATOR, "review.help.review", NULL},
    {"approve", cmd_approve, CMD_LEDGER, "review.help.approve", NULL},
    {"reject", cmd_reject, CMD_OPERATOR, "review.help.reject", NULL},
    {"unapprove", cmd_unapprove, CMD_LEDGER, "review.help.unapprove", NULL},
    {"tally", cmd_tally, CMD_OPERATOR, "review.help.tally", NULL},
    {"audit", cmd_audit, CMD_OPERATOR, "review.help.audit", NULL},
};

static const struct text_entry texts[] = {
    {"review.help.review", "/review — 待审核的提交（最早的在前）", "/review — submissions waiting for review, oldest first"},
    {"review.help.approve", "/approve &lt;提交编号&gt; [通过数/总数] [备注] — 通过并发放奖励（如 3/5：按比例部分通过）",
     "/approve &lt;submission&gt; [k/n] [note] — approve and grant the rewards (3/5: accept 3 of 5, paid in proportion)"},
    {"review.help.reject", "/reject &lt;提交编号&gt; &lt;原因&gt; — 退回，成员可在截止前（或修改期限内）重新提交",
     "/reject &lt;submission&gt; &lt;reason&gt; — return it; the member may resubmit before the deadline or within the revision window"},
    {"review.help.unapprove", "/unapprove &lt;提交编号&gt; &lt;原因&gt; — 撤销一次通过，收回它发放的全部奖励",
     "/unapprove &lt;submission&gt; &lt;reason&gt; — reverse an approval and every reward it paid"},
    {"review.help.tally", "/tally [全部|本周|本月|YYYY-MM] — 奖励汇总；/tally 导出 [时段] 导出 CSV",
     "/tally [all|week|month|YYYY-MM] — reward totals; /tally export for CSV"},
    {"review.help.audit", "/audit [条数] — 最近的运营操作记录", "/audit [n] — recent operator actions"},
    {"task.sub.pending", "待审核", "waiting for review"},
    {"task.sub.approved", "已通过", "approved"},
    {"task.sub.rejected", "已退回", "returned"},
    {"task.sub.superseded", "已被新的提交取代", "replaced by a newer submission"},
    {"task.sub.withdrawn", "成员已放弃任务", "withdrawn by the member"},
    {"task.sub.cancelled", "任务已取消", "cancelled with its task"},
    {"review.not_found", "⚠️ 没有编号为 #{id} 的提交。", "⚠️ There is no submission #{id}."},
    {"review.not_pending", "⚠️ 提交 #{sub} 不在待审核状态（{state}）。",
     "⚠️ Submission #{sub} is not waiting for review ({state})."},
    {"review.empty", "👌 没有待审核的提交。", "👌 Nothing is waiting for review."},
    {"review.header", "<b>待审核（{n}）</b>", "<b>Waiting for review ({n})</b>"},
    {"review.line", "<b>#{sub}</b> · 任务 #{id} {title} · {who} · {when}\n{text}",
     "<b>#{sub}</b> · task #{id} {title} · {who} · {when}\n{text}"},
    {"review.attachment", "📎 {att}", "📎 {att}"},
    {"review.footer", "通过：/approve &lt;编号&gt; [备注]　退回：/reject &lt;编号&gt; &lt;原因&gt;",
     "Approve: /approve &lt;id&gt; [note]   Return: /reject &lt;id&gt; &lt;reason&gt;"},
    {"review.approve_usage", "用法：/approve &lt;提交编号&gt; [备注]", "Usage: /approve &lt;submission&gt; [note]"},
    {"review.reject_usage", "用法：/reject &lt;提交编号&gt; &lt;原因&gt;（原因必填）",
     "Usage: /reject &lt;submission&gt; &lt;reason&gt; (a reason is required)"},
    {"review.already_approved", "🏅 提交 #{sub} 已经通过过了，奖励不会重复发放。",
     "🏅 Submission #{sub} was already approved; rewards are never paid twice."},
    {"review.reject_approved", "⚠️ 提交 #{sub} 已经通过了。要撤销并收回奖励，请用 /unapprove {sub} &lt;原因&gt;。",
     "⚠️ Submission #{sub} was already approved. To reverse it and take the rewards back, use /unapprove {sub} &lt;reason&gt;."},
    {"review.approved", "🎉 {who}，你的任务 #{id}「{title}」提交（#{sub}）已通过！获得：{reward}",
     "🎉 {who}, your submission #{sub} for task #{id} “{title}” was approved! You earned: {reward}"},
    {"review.approved_note", "🎉 {who}，你的任务 #{id}「{title}」提交（#{sub}）已通过！获得：{reward}\n💬 {note}",
     "🎉 {who}, your submission #{sub} for task #{id} “{title}” was approved! You earned: {reward}\n💬 {note}"},
    {"review.approved_ack", "✅ 提交 #{sub} 已通过，已通知成员。", "✅ Submission #{sub} approved; the member was told."},
    {"review.rejected", "↩️ {who}，你的任务 #{id}「{title}」提交（#{sub}）被退回：{reason}\n{again}",
     "↩️ {who}, your submission #{sub} for task #{id} “{title}” was returned: {reason}\n{again}"},
    {"review.again_before", "请在 {due} 前修改后重新 /submit {id}。", "You may /submit {id} again before {due}."},
    {"review.again_anytime", "修改后可随时重新 /submit {id}。", "You may /submit {id} again at any time."},
    {"review.again_never", "任务已于 {due} 截止，且没有设置修改期限，所以不能再提交了。",
     "The task closed at {due} and no revision window is set, so it cannot be submitted again."},
    {"review.unapprove_usage", "用法：/unapprove &lt;提交编号&gt; &lt;原因&gt;（原因必填）",
     "Usage: /unapprove &lt;submission&gt; &lt;reason&gt; (a reason is required)"},
    {"review.unapprove_pending", "⚠️ 提交 #{sub} 还没有通过；要退回请用 /reject {sub} &lt;原因&gt;。",
     "⚠️ Submission #{sub} has not been approved; to return it, use /reject {sub} &lt;reason&gt;."},
    {"review.not_approved", "⚠️ 提交 #{sub} 没有处于已通过状态（{state}），没有可撤销的奖励。",
     "⚠️ Submission #{sub} is not approved ({state}): there is nothing to reverse."},
    {"review.unapproved", "↩️ {who}，你的任务 #{id}「{title}」提交（#{sub}）的通过已被撤销：{reason}\n已收回：{reward}",
     "↩️ {who}, the approval of your submission #{sub} for task #{id} “{title}” was reversed: {reason}\n"
     "Taken back: {reward}"},
    {"review.unapproved_owes", "💸 其中已经发放给你的需要退还：{owes}", "💸 Already paid out to you, so now owed back: {owes}"},
    {"review.unapproved_level", "📉 等级调整为 {level}。", "📉 Your level is now {level}."},
    {"review.unapproved_ack", "✅ 提交 #{sub} 的通过已撤销，奖励已收回，已通知成员。",
     "✅ The approval of submission #{sub} was reversed and its rewards taken back; the member was told."},
    {"review.self_approve", "⚠️ 提交 #{sub} 是你自己的，需由另一位运营（或品牌负责人）审核通过。",
     "⚠️ Submission #{sub} is your own: another operator (or the owner) must approve it."},
    {"review.rejected_ack", "✅ 提交 #{sub} 已退回，已通知成员。", "✅ Submission #{sub} returned; the member was told."},
    {"review.period.all", "全部", "all time"},
    {"review.tally_usage", "用法：/tally [全部|本周|本月|YYYY-MM]，或 /tally 导出 [时段]",
     "Usage: /tally [all|week|month|YYYY-MM], or /tally export [period]"},
    {"review.tally_empty", "{period}：没有奖励记录。", "{period}: no rewards recorded."},
    {"review.tally_header", "<b>奖励汇总 · {period}</b>", "<b>Rewards · {period}</b>"},
    {"review.tally_csv", "<b>奖励汇总 CSV · {period}</b>", "<b>Rewards CSV · {period}</b>"},
    {"review.tally.line", "• {who}：{parts}", "• {who}: {parts}"},
    {"review.tally.cash", "现金 {earned}（已付 {paid}，待付 {owed}）", "cash {earned} (paid {paid}, owed {owed})"},
    {"review.tally.gift", "{name}×{n}（待发 {owed}）", "{name} ×{n} (owed {owed})"},
    {"review.tally.cash_owes", "现金 {earned}（已付 {paid}，成员需退还 {owed}）",
     "cash {earned} (paid {paid}, the member owes back {owed})"},
    {"review.tally.gift_owes", "{name}×{n}（成员需退还 {owed}）", "{name} ×{n} (the member owes back {owed})"},
    {"review.tally.gifts", "礼品：{list}", "gifts: {list}"},
    {"review.tally.badges", "徽章：{list}", "badges: {list}"},
    {"review.tally.titles", "称号：{list}", "titles: {list}"},
    {"review.audit_usage", "用法：/audit [1–50]", "Usage: /audit [1–50]"},
    {"review.audit_header", "<b>运营操作记录</b>", "<b>Operator actions</b>"},
    {"review.audit_line", "#{id} {when} {who} {action} {target}", "#{id} {when} {who} {action} {target}"},
    {"review.audit_line_detail", "#{id} {when} {who} {action} {target} — {detail}",
     "#{id} {when} {who} {action} {target} — {detail}"},
    {"review.audit_empty", "还没有运营操作记录。", "No operator actions recorded yet."},
    {"review.remind_24h", "⏰ {who}：任务 #{id}「{title}」将在 {deadline} 截止（还剩 {left}），完成后发送 /submit {id}。",
     "⏰ {who}: task #{id} “{title}” is due {deadline} ({left} left). Send /submit {id} when done."},
    {"review.remind_2h", "⏰ {who}：任务 #{id}「{title}」将在 {deadline} 截止，只剩 {left} 了！",
     "⏰ {who}: task #{id} “{title}” is due {deadline} — only {left} left!"},
    {"review.left_h_m", "{h} 小时 {m} 分钟", "{h} h {m} min"},
    {"review.left_h", "{h} 小时", "{h} h"},
    {"review.left_m", "{m} 分钟", "{m} min"},
    {"review.stale", "📋 有 {n} 个提交已等待审核超过 48 小时：{list}。运营请发送 /review 查看。",
     "📋 {n} {n|submission has|submissions have} waited more than 48 hours for review: {list}. Operators: send /review."},
};

static const struct kb_setting settings[] = {
    {.path = "revision_window_hours", .type = KB_SETTING_INT,
     .off = offsetof(struct engine_settings, revision_window_s), .max = 720, .scale = 3600, .dnum = 24},
};

const struct kb_module review_module = {
    .name = "review",
    .settings = settings,
    .n_settings = KB_COUNT(settings),
    .commands = commands,
    .n_commands = KB_COUNT(commands),
    .texts = texts,
    .n_texts = KB_COUNT(texts),
    .tick = review_tick,
    .next_due = review_next_due,
};
