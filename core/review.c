/*
 * Reviewing tasks and settling their rewards: /review, /approve, /reject,
 * /payout, /tally, /audit, and the deadline / review reminders (tick).
 *
 * Money model.  A task's rewards land in the ledger when a submission is
 * approved, with reason "task" and ref "task:<task>:claim:<claim>": the
 * ledger's uniqueness on (member, reason, ref, kind, unit) means one claim
 * is paid once, however often it is approved or resubmitted.  Cash (cents,
 * unit = currency) and gifts (+1, unit = description) are owed until paid:
 * /payout appends rows with reason "payout" and the NEGATIVE amount, so for
 * a member
 *     owed = sum(amount) over their cash (or gift) rows,
 *     paid = -sum(amount) over the payout rows.
 */
#include "task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "command.h"
#include "defn.h"
#include "ledger.h"
#include "once.h"
#include "standing.h"
#include "tz.h"

#define REVIEW_MAX 20
#define NOTE_MAX 500

/* ==== granting ========================================================= */

int task_grant(struct engine *e, const struct task_row *t, int64_t claim_id, int64_t member_id,
               int64_t submission_id, int64_t reviewer, const char *note, int64_t now)
{
    char ref[64], why[600];
    snprintf(ref, sizeof ref, "task:%lld:claim:%lld", (long long)t->id, (long long)claim_id);
    snprintf(why, sizeof why, "submission:%lld%s%s", (long long)submission_id, note && *note ? " " : "",
             note ? note : "");
    struct ledger_entry le = {.community_id = t->community_id, .member_id = member_id, .reason = "task",
                              .ref = ref, .granted_by = reviewer, .note = why, .at = now};
    int rc = KB_OK;
    if (t->points) {
        le.kind = "points";
        le.amount = t->points;
        le.unit = NULL;
        rc = ledger_add(e, &le, NULL);
    }
    if (!rc && t->cash) {
        le.kind = "cash";
        le.amount = t->cash;
        le.unit = t->currency;
        rc = ledger_add(e, &le, NULL);
    }
    const struct { const char *kind, *name; } items[] = {
        {"gift", t->gift}, {"badge", t->badge}, {"title", t->title_reward}};
    for (size_t i = 0; i < 3 && !rc; i++) {
        if (!*items[i].name)
            continue;
        le.kind = items[i].kind;
        le.amount = 1;
        le.unit = items[i].name;
        rc = ledger_add(e, &le, NULL);
    }
    if (!rc) {
        /* records the tier once per task (level rules count them) and re-levels */
        char task_ref[32];
        snprintf(task_ref, sizeof task_ref, "task:%lld", (long long)t->id);
        rc = standing_task_completed(e, t->community_id, member_id, task_ref, t->tier, now);
    }
    return rc;
}

/* ==== review =========================================================== */

struct sub_row {
    int64_t id, claim_id, task_id, member_id;
    char state[16];
    char *platform, *chat_id;
};

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
    rc = task_load(c->e, c->comm.id, s.task_id, &t);
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
    sbuf_addf(&detail, "task:%lld member:%lld%s%s", (long long)t.id, (long long)s.member_id,
              *note ? " " : "", note);
    if (!rc)
        rc = audit_add(c, "task.approve", target, detail.s);
    sbuf_free(&detail);
    if (!rc) {
        struct sbuf who = {0}, reward = {0}, b = {0};
        task_mention(c->e, s.member_id, &who);
        task_reward_format(c->lang, &t, &reward);
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
        rc = !strcmp(s.state, "approved") ? ctx_reply(c, "review.already_approved", ARGS(TI("sub", s.id)))
                                          : refuse_state(c, &s);
        goto out;
    }
    rc = task_load(c->e, c->comm.id, s.task_id, &t);
    if (!rc)
        rc = store_exec(c->st,
                        "UPDATE submissions SET state = 'rejected', reviewed_by = ?, reviewed_at = ?, note = ?"
                        " WHERE id = ?",
                        VALS(SI(c->member_id), SI(c->now), ST(reason), SI(s.id)));
    if (!rc)
        rc = store_exec(c->st, "UPDATE claims SET state = 'rejected', updated_at = ? WHERE id = ?",
                        VALS(SI(c->now), SI(s.claim_id)));
    char target[48];
    snprintf(target, sizeof target, "submission:%lld", (long long)s.id);
    if (!rc)
        rc = audit_add(c, "task.reject", target, reason);
    if (!rc) {
        struct sbuf who = {0}, dl = {0}, b = {0};
        task_mention(c->e, s.member_id, &who);
        if (t.deadline) {
            char buf[32];
            when_format(t.deadline, c->comm.tz, buf, sizeof buf);
            sbuf_add(&dl, buf);
        } else {
            text_format(&dl, c->lang, "task.no_deadline", NOARGS);
        }
        text_format(&b, c->lang, "review.rejected",
                    ARGS(TS("who", who.s), TI("sub", s.id), TI("id", t.id), TU("title", t.title),
                         TU("reason", reason), TS("deadline", dl.s)));
        rc = tell(c, &s, b.s, "review.rejected_ack");
        sbuf_free(&who);
        sbuf_free(&dl);
        sbuf_free(&b);
    }
out:
    task_row_free(&t);
    sub_free(&s);
    return rc;
}

/* ==== payouts ========================================================== */

struct owed { char kind[8]; char *unit; int64_t amount; };

/* What the member is owed: cash per currency, gifts per description. */
static int owed_load(struct cmd_ctx *c, int64_t member_id, struct owed *o, size_t cap, size_t *n)
{
    *n = 0;
    sqlite3_stmt *q = store_query(c->st,
                                  "SELECT kind, unit, sum(amount) FROM ledger WHERE member_id = ?"
                                  " AND kind IN ('cash','gift') GROUP BY kind, unit HAVING sum(amount) > 0"
                                  " ORDER BY kind, unit",
                                  VALS(SI(member_id)));
    if (!q)
        return store_failure(c->st);
    int rc = 0;
    while (*n < cap && (rc = store_step(c->st, q)) == 1) {
        snprintf(o[*n].kind, sizeof o[*n].kind, "%s", store_text(q, 0));
        o[*n].unit = xstrdup(store_text(q, 1));
        o[*n].amount = store_int(q, 2);
        (*n)++;
    }
    store_done(q);
    return rc < 0 ? rc : KB_OK;
}

static void owed_text(struct cmd_ctx *c, const struct owed *o, int64_t amount, struct sbuf *out)
{
    if (out->len)
        sbuf_add(out, ", ");
    if (!strcmp(o->kind, "cash")) {
        struct sbuf m = {0};
        task_money(&m, amount, o->unit);
        text_user(out, m.s);
        sbuf_free(&m);
    } else {
        text_format(out, c->lang, "review.gift_n", ARGS(TU("name", o->unit), TI("n", amount)));
    }
}

static int cmd_payout(struct cmd_ctx *c)
{
    const char *p = c->args;
    char *who = command_next_word(&p);
    char *amount_w = command_next_word(&p);
    char *cur_w = command_next_word(&p);
    char *extra = command_next_word(&p);
    struct owed o[32];
    size_t n = 0;
    int64_t member = 0, cents = 0;
    int rc = KB_OK;
    struct sbuf what = {0};
    if (!who || extra || (amount_w && task_parse_cents(amount_w, &cents)) || (amount_w && cents <= 0)) {
        rc = ctx_reply(c, "review.payout_usage", NOARGS);
        goto out;
    }
    rc = member_find(c->e, c->comm.id, who, &member);
    if (rc == KB_ENOTFOUND) {
        rc = ctx_reply(c, "task.unknown_member", ARGS(TU("who", who)));
        goto out;
    }
    if (!rc)
        rc = owed_load(c, member, o, 32, &n);
    if (rc)
        goto out;
    struct ledger_entry le = {.community_id = c->comm.id, .member_id = member, .reason = "payout",
                              .ref = "payout", .granted_by = c->member_id, .at = c->now};
    if (amount_w) {
        /* a partial cash payout in one currency */
        const struct owed *hit = NULL;
        size_t n_cash = 0;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(o[i].kind, "cash"))
                continue;
            n_cash++;
            if (cur_w ? !ascii_casecmp(cur_w, o[i].unit) : n_cash == 1)
                hit = &o[i];
        }
        if (!cur_w && n_cash > 1) {
            rc = ctx_reply(c, "review.payout_which_currency", NOARGS);
            goto out;
        }
        if (hit && cents > hit->amount) {
            struct sbuf m = {0};
            task_money(&m, hit->amount, hit->unit);
            rc = ctx_reply(c, "review.payout_too_much", ARGS(TU("owed", m.s)));
            sbuf_free(&m);
            goto out;
        }
        if (hit) { /* else: nothing owed in that currency, said below */
            le.kind = "cash";
            le.unit = hit->unit;
            le.amount = -cents;
            rc = ledger_add(c->e, &le, NULL);
            owed_text(c, hit, cents, &what);
        }
    } else {
        for (size_t i = 0; i < n && !rc; i++) {
            le.kind = o[i].kind;
            le.unit = o[i].unit;
            le.amount = -o[i].amount;
            rc = ledger_add(c->e, &le, NULL);
            owed_text(c, &o[i], o[i].amount, &what);
        }
    }
    if (rc)
        goto out;
    struct sbuf name = {0};
    task_mention(c->e, member, &name);
    if (what.len == 0) {
        rc = ctx_reply(c, "review.nothing_owed", ARGS(TS("who", name.s)));
    } else {
        char target[40];
        snprintf(target, sizeof target, "member:%lld", (long long)member);
        rc = audit_add(c, "payout", target, what.s);
        if (!rc)
            rc = ctx_reply(c, "review.paid", ARGS(TS("who", name.s), TS("what", what.s)));
    }
    sbuf_free(&name);
out:
    for (size_t i = 0; i < n; i++)
        free(o[i].unit);
    sbuf_free(&what);
    free(who);
    free(amount_w);
    free(cur_w);
    free(extra);
    return rc;
}

/* ==== tally ============================================================ */

/* [from, to) and a label for "", all, week, month, YYYY-MM. */
static int tally_period(struct cmd_ctx *c, const char *w, int64_t *from, int64_t *to, struct sbuf *label)
{
    *from = 0;
    *to = INT64_MAX;
    if (!w || !strcmp(w, "all")) {
        text_format(label, c->lang, "review.period.all", NOARGS);
        return KB_OK;
    }
    if (!strcmp(w, "week")) {
        *from = c->now - 7 * 86400;
        text_format(label, c->lang, "review.period.week", NOARGS);
        return KB_OK;
    }
    int y, m, used = 0;
    if (!strcmp(w, "month")) {
        struct tm tm;
        tz_local(c->comm.tz, c->now, &tm);
        y = tm.tm_year + 1900;
        m = tm.tm_mon + 1;
    } else if (sscanf(w, "%4d-%2d%n", &y, &m, &used) != 2 || w[used] || m < 1 || m > 12 || y < 1970 ||
               y > 2200) {
        return KB_EINVAL;
    }
    *from = tz_instant(c->comm.tz, y, m, 1, 0, 0);
    *to = m == 12 ? tz_instant(c->comm.tz, y + 1, 1, 1, 0, 0) : tz_instant(c->comm.tz, y, m + 1, 1, 0, 0);
    sbuf_addf(label, "%04d-%02d", y, m);
    return KB_OK;
}

/* A CSV field, quoted when needed; a leading = + - @ is defused so a
   spreadsheet does not run it as a formula. */
static void csv_field(struct sbuf *out, const char *s)
{
    int quote = strpbrk(s, ",\"\n\r") != NULL || (*s && strchr("=+-@", *s));
    if (!quote) {
        sbuf_add(out, s);
        return;
    }
    sbuf_addc(out, '"');
    if (*s && strchr("=+-@", *s))
        sbuf_addc(out, '\'');
    for (; *s; s++) {
        if (*s == '"')
            sbuf_addc(out, '"');
        sbuf_addc(out, *s);
    }
    sbuf_addc(out, '"');
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
    for (size_t i = 0; i < KB_COUNT(fields); i++) {
        if (i)
            sbuf_addc(out, ',');
        csv_field(out, fields[i]);
    }
    sbuf_addc(out, '\n');
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
    int csv = w && !strcmp(w, "export");
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
        " sum(CASE WHEN l.reason = 'payout' THEN 0 ELSE l.amount END),"
        " sum(CASE WHEN l.reason = 'payout' THEN -l.amount ELSE 0 END),"
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
            task_money(&e, earned, unit);
            task_money(&pd, paid, unit);
            task_money(&ow, owed, unit);
            sep(&m.cash, " · ");
            text_format(&m.cash, c->lang, "review.tally.cash",
                        ARGS(TU("earned", e.s), TU("paid", pd.s), TU("owed", ow.s)));
            sbuf_free(&e);
            sbuf_free(&pd);
            sbuf_free(&ow);
        } else if (!strcmp(kind, "gift")) {
            sep(&m.gifts, ", ");
            text_format(&m.gifts, c->lang, "review.tally.gift",
                        ARGS(TU("name", unit), TI("n", earned), TI("owed", owed)));
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
        member_name(c->e, store_int(q, 2), &who);
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

/* Remind claimers who have not submitted, once per claim and window:
   window seconds before the deadline (claims taken inside it are skipped). */
static int remind_window(struct engine *e, int64_t now, int64_t window, int64_t until, const char *suffix,
                         const char *key)
{
    sqlite3_stmt *q = store_query(
        e->st,
        "SELECT c.id, c.member_id, t.id, t.deadline, t.community_id, c.platform, c.chat_id, t.title"
        " FROM claims c JOIN tasks t ON t.id = c.task_id"
        " WHERE c.state IN ('claimed','rejected') AND t.state <> 'cancelled' AND t.deadline IS NOT NULL"
        " AND t.deadline > ?1 + ?4 AND t.deadline <= ?1 + ?2 AND c.claimed_at <= t.deadline - ?2"
        " AND NOT EXISTS (SELECT 1 FROM fired f WHERE f.key = 'task-remind:' || c.id || ?3)"
        " ORDER BY c.id LIMIT 200",
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
            struct sbuf who = {0}, b = {0};
            char when[32];
            when_format(d[i].deadline, comm.tz, when, sizeof when);
            task_mention(e, d[i].member, &who);
            text_format(&b, comm.locale, key,
                        ARGS(TS("who", who.s), TI("id", d[i].task), TU("title", d[i].title), TS("deadline", when)));
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
        " SELECT t.deadline - 86400 AS x FROM claims c JOIN tasks t ON t.id = c.task_id"
        "  WHERE c.state IN ('claimed','rejected') AND t.state <> 'cancelled' AND t.deadline > ?1 + 7200"
        "  AND c.claimed_at <= t.deadline - 86400"
        "  AND NOT EXISTS (SELECT 1 FROM fired f WHERE f.key = 'task-remind:' || c.id || ':24h')"
        " UNION ALL"
        " SELECT t.deadline - 7200 FROM claims c JOIN tasks t ON t.id = c.task_id"
        "  WHERE c.state IN ('claimed','rejected') AND t.state <> 'cancelled' AND t.deadline > ?1"
        "  AND c.claimed_at <= t.deadline - 7200"
        "  AND NOT EXISTS (SELECT 1 FROM fired f WHERE f.key = 'task-remind:' || c.id || ':2h')"
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
    {"payout", cmd_payout, CMD_LEDGER, "review.help.payout", NULL},
    {"tally", cmd_tally, CMD_OPERATOR, "review.help.tally", NULL},
    {"audit", cmd_audit, CMD_OPERATOR, "review.help.audit", NULL},
};

static const struct text_entry texts[] = {
    {"review.help.review", "/review — 待审核的提交（最早的在前）", "/review — submissions waiting for review, oldest first"},
    {"review.help.approve", "/approve &lt;提交编号&gt; [备注] — 通过并发放奖励",
     "/approve &lt;submission&gt; [note] — approve and grant the rewards"},
    {"review.help.reject", "/reject &lt;提交编号&gt; &lt;原因&gt; — 退回，成员可在截止前重新提交",
     "/reject &lt;submission&gt; &lt;reason&gt; — return it; the member may resubmit before the deadline"},
    {"review.help.payout", "/payout @成员 [金额 [币种]] — 标记现金/礼品已发放",
     "/payout @member [amount [currency]] — mark owed cash and gifts as paid"},
    {"review.help.tally", "/tally [all|week|month|YYYY-MM] — 奖励汇总；/tally export 导出 CSV",
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
    {"review.approved", "🎉 {who}，你的任务 #{id}「{title}」提交（#{sub}）已通过！获得：{reward}",
     "🎉 {who}, your submission #{sub} for task #{id} “{title}” was approved! You earned: {reward}"},
    {"review.approved_note", "🎉 {who}，你的任务 #{id}「{title}」提交（#{sub}）已通过！获得：{reward}\n💬 {note}",
     "🎉 {who}, your submission #{sub} for task #{id} “{title}” was approved! You earned: {reward}\n💬 {note}"},
    {"review.approved_ack", "✅ 提交 #{sub} 已通过，已通知成员。", "✅ Submission #{sub} approved; the member was told."},
    {"review.rejected",
     "↩️ {who}，你的任务 #{id}「{title}」提交（#{sub}）被退回：{reason}\n请在 {deadline} 前修改后重新 /submit {id}。",
     "↩️ {who}, your submission #{sub} for task #{id} “{title}” was returned: {reason}\n"
     "You may /submit {id} again before {deadline}."},
    {"review.rejected_ack", "✅ 提交 #{sub} 已退回，已通知成员。", "✅ Submission #{sub} returned; the member was told."},
    {"review.gift_n", "{name}×{n}", "{name} ×{n}"},
    {"review.payout_usage", "用法：/payout @成员 [金额 [币种]]（不写金额 = 结清全部现金和礼品）",
     "Usage: /payout @member [amount [currency]] (no amount = settle all owed cash and gifts)"},
    {"review.payout_which_currency", "⚠️ 该成员有多种币种待付，请写明币种，如 /payout @alice 100 CNY。",
     "⚠️ Several currencies are owed; name one, e.g. /payout @alice 100 CNY."},
    {"review.payout_too_much", "⚠️ 超过了待付金额（待付 {owed}）。", "⚠️ That is more than is owed ({owed})."},
    {"review.nothing_owed", "👌 {who} 没有待发放的现金或礼品。", "👌 Nothing is owed to {who}."},
    {"review.paid", "💸 已记录发放给 {who}：{what}", "💸 Recorded as paid to {who}: {what}"},
    {"review.period.all", "全部", "all time"},
    {"review.period.week", "最近 7 天", "last 7 days"},
    {"review.tally_usage", "用法：/tally [all|week|month|YYYY-MM]，或 /tally export [时段]",
     "Usage: /tally [all|week|month|YYYY-MM], or /tally export [period]"},
    {"review.tally_empty", "{period}：没有奖励记录。", "{period}: no rewards recorded."},
    {"review.tally_header", "<b>奖励汇总 · {period}</b>", "<b>Rewards · {period}</b>"},
    {"review.tally_csv", "<b>奖励汇总 CSV · {period}</b>", "<b>Rewards CSV · {period}</b>"},
    {"review.tally.line", "• {who}：{parts}", "• {who}: {parts}"},
    {"review.tally.cash", "现金 {earned}（已付 {paid}，待付 {owed}）", "cash {earned} (paid {paid}, owed {owed})"},
    {"review.tally.gift", "{name}×{n}（待发 {owed}）", "{name} ×{n} (owed {owed})"},
    {"review.tally.gifts", "礼品：{list}", "gifts: {list}"},
    {"review.tally.badges", "徽章：{list}", "badges: {list}"},
    {"review.tally.titles", "称号：{list}", "titles: {list}"},
    {"review.audit_usage", "用法：/audit [1–50]", "Usage: /audit [1–50]"},
    {"review.audit_header", "<b>运营操作记录</b>", "<b>Operator actions</b>"},
    {"review.audit_line", "#{id} {when} {who} {action} {target}", "#{id} {when} {who} {action} {target}"},
    {"review.audit_line_detail", "#{id} {when} {who} {action} {target} — {detail}",
     "#{id} {when} {who} {action} {target} — {detail}"},
    {"review.audit_empty", "还没有运营操作记录。", "No operator actions recorded yet."},
    {"review.remind_24h", "⏰ {who}：任务 #{id}「{title}」将在 {deadline} 截止（还剩约 24 小时），完成后发送 /submit {id}。",
     "⏰ {who}: task #{id} “{title}” is due {deadline} (about 24 hours left). Send /submit {id} when done."},
    {"review.remind_2h", "⏰ {who}：任务 #{id}「{title}」将在 {deadline} 截止，只剩约 2 小时了！",
     "⏰ {who}: task #{id} “{title}” is due {deadline} — about 2 hours left!"},
    {"review.stale", "📋 有 {n} 个提交已等待审核超过 48 小时：{list}。运营请发送 /review 查看。",
     "📋 {n} submission(s) have waited more than 48 hours for review: {list}. Operators: send /review."},
};

const struct kb_module review_module = {
    .name = "review",
    .commands = commands,
    .n_commands = KB_COUNT(commands),
    .texts = texts,
    .n_texts = KB_COUNT(texts),
    .tick = review_tick,
    .next_due = review_next_due,
};
