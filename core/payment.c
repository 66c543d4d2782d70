/*
 * The reward pipeline (payment.h): cash and gifts owed to members move
 * through payments, each audited with who and when:
 *
 *   owed ── /pay approve @m … ──▶ requested (over the four-eyes amount: a
 *        second operator's /pay approve <n>) ──▶ approved ── /pay paid <n>
 *        <reference> ──▶ paid ── the member's /received ──▶ confirmed
 *   /pay failed <n> <reason> ends a payment that did not arrive: the
 *   amount is owed again (after a payout, by an opposite ledger row).
 *
 * The ledger stays the record of money: what is owed to a member is the
 * sum of their rows of a kind and unit (task awards, grants, reversals,
 * payouts, failed payouts), and only the paid step writes a payout row
 * (reason "payout", ref "payment:<n>", the negative amount).  A failed
 * payout is undone by a "payfail" row with the same ref, which the
 * ledger's uniqueness admits once.  Nothing is deleted from the ledger.
 * /payout @member … is the one-step form: approved and paid at once by one
 * operator, refused above the four-eyes amount.
 *
 * A gift payment from /pay approve ships: the member is asked privately
 * for a shipping address, kept for that payment only, shown only to
 * operators in a private chat, erased on confirmation, failure or after
 * the configured time, never put in the audit trail or a reply to a group.
 */
#include "payment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "command.h"
#include "defn.h"
#include "ledger.h"
#include "tally.h"
#include "who.h"

#define OWED_MAX 32
#define REFERENCE_MAX 100
#define ADDRESS_MAX 500
#define LIST_MAX 30
#define DEFAULT_ADDRESS_KEEP_S (30 * 86400)

void payment_owed_text(const char *lang, const struct owed *o, int64_t amount, struct sbuf *out)
{
    if (out->len)
        sbuf_add(out, ", ");
    if (!strcmp(o->kind, "cash")) {
        struct sbuf m = {0};
        task_money(lang, &m, amount, o->unit);
        text_user(out, m.s);
        sbuf_free(&m);
    } else {
        text_format(out, lang, "review.gift_n", ARGS(TU("name", o->unit), TI("n", amount)));
    }
}

/* What the member is owed and not yet in a payment on its way: the
   ledger's sum per kind and unit less the requested and approved
   payments. */
static int owed_load(struct cmd_ctx *c, int64_t member_id, struct owed *o, size_t cap, size_t *n)
{
    *n = 0;
    sqlite3_stmt *q = store_query(c->st,
                                  "SELECT l.kind, l.unit, sum(l.amount) - coalesce((SELECT sum(p.amount) FROM payments p"
                                  "  WHERE p.member_id = ?1 AND p.kind = l.kind AND p.unit = l.unit"
                                  "  AND p.state IN ('requested','approved')), 0) AS free"
                                  " FROM ledger l WHERE l.member_id = ?1 AND l.kind IN ('cash','gift')"
                                  " GROUP BY l.kind, l.unit HAVING free > 0 ORDER BY l.kind, l.unit",
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

/* What /payout settles: everything owed, cash (all of it, or an amount in
   one currency) or gifts (all, or n of one), each on its own. */
struct payout_req {
    const char *kind;      /* NULL = cash and gifts, "cash", "gift" */
    int64_t amount;        /* cents or gifts; 0 = all that is owed */
    char *unit;            /* currency or gift name; NULL = any */
};

static int is_word(const char *w, const char *en, const char *zh)
{
    return w && (!ascii_casecmp(w, en) || !strcmp(w, zh));
}

/* Parse the words after the member: "", "cash [CUR]", "gift [name]",
   "<amount> [CUR]", "<n> gift [name]".  0 or KB_EINVAL. */
static int payout_parse(const char *p, struct payout_req *r)
{
    memset(r, 0, sizeof *r);
    char *w = command_next_word(&p);
    if (!w)
        return KB_OK;
    int rc = KB_OK;
    if (is_word(w, "cash", "现金") || is_word(w, "gift", "礼品")) {
        r->kind = is_word(w, "cash", "现金") ? "cash" : "gift";
    } else if (task_parse_cents(w, &r->amount) || r->amount <= 0) {
        rc = KB_EINVAL;
    } else {
        const char *q = p;
        char *k = command_next_word(&q);
        r->kind = is_word(k, "gift", "礼品") ? "gift" : "cash";
        if (k && !strcmp(r->kind, "gift")) {
            p = q;
            rc = r->amount % 100 ? KB_EINVAL : KB_OK; /* gifts are counted whole */
            r->amount /= 100;
        }
        free(k);
    }
    free(w);
    /* the rest names the currency (one word) or the gift */
    const char *rest = command_skip_space(p);
    if (!rc && *rest) {
        r->unit = xstrdup(rest);
        if (!strcmp(r->kind, "cash") && strchr(r->unit, ' '))
            rc = KB_EINVAL;
    }
    if (rc) {
        free(r->unit);
        r->unit = NULL;
    }
    return rc;
}

static int owed_matches(const struct owed *o, const struct payout_req *r)
{
    if (r->kind && strcmp(o->kind, r->kind))
        return 0;
    return !r->unit || !ascii_casecmp(r->unit, o->unit);
}

/* "88.00 CNY, Bag ×1": what is owed of a kind (NULL = all). */
static void owed_list(struct cmd_ctx *c, const struct owed *o, size_t n, const char *kind, struct sbuf *out)
{
    for (size_t i = 0; i < n; i++)
        if (!kind || !strcmp(o[i].kind, kind))
            payment_owed_text(c->lang, &o[i], o[i].amount, out);
}

/* The refusal when the request matches nothing owed, or is ambiguous. */
static int payout_refuse(struct cmd_ctx *c, const struct payout_req *r, const struct owed *o, size_t n,
                         size_t hits, const char *who)
{
    struct sbuf owed = {0}, what = {0};
    owed_list(c, o, n, r->kind, &owed);
    int rc = KB_OK;
    if (!owed.len) {
        rc = ctx_reply(c, !r->kind ? "review.nothing_owed" : !strcmp(r->kind, "cash") ? "review.nothing_owed_cash"
                                                                                     : "review.nothing_owed_gift",
                       ARGS(TS("who", who)));
    } else if (hits == 0) { /* a currency or gift that is not owed, named as such */
        if (!strcmp(r->kind, "cash"))
            text_user(&what, r->unit);
        else
            text_format(&what, c->lang, "review.gift_named", ARGS(TU("name", r->unit)));
        rc = ctx_reply(c, "review.payout_not_owed", ARGS(TS("who", who), TS("what", what.s), TS("owed", owed.s)));
    } else {
        rc = ctx_reply(c, !strcmp(r->kind, "cash") ? "review.payout_which_currency" : "review.payout_which_gift",
                       ARGS(TS("owed", owed.s)));
    }
    sbuf_free(&owed);
    sbuf_free(&what);
    return rc;
}

/* ==== choosing what to settle ========================================== */

/* The member and what of theirs a /payout or /pay approve settles. */
struct selection {
    int64_t member;
    struct payout_req req;
    struct owed o[OWED_MAX];
    size_t n;
    struct sbuf name;      /* the member's mention */
};

static void selection_free(struct selection *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->o[i].unit);
    free(s->req.unit);
    sbuf_free(&s->name);
}

/* The amount of owed item i the selection settles (0: not selected). */
static int64_t selected(const struct selection *s, size_t i)
{
    if (!owed_matches(&s->o[i], &s->req))
        return 0;
    return s->req.amount ? s->req.amount : s->o[i].amount;
}

/* "@member [what]" from args: KB_ENOTFOUND when a refusal or the usage is
   already queued; else s holds at least one item to settle. */
static int select_owed(struct cmd_ctx *c, const char *args, const char *usage, struct selection *s)
{
    memset(s, 0, sizeof *s);
    const char *p = args;
    char *who = who_next_target(c, &p);
    int rc = KB_OK;
    if ((!who && !who_has_reply(c)) || payout_parse(p, &s->req)) {
        rc = ctx_reply(c, usage, NOARGS);
        free(who);
        return rc ? rc : KB_ENOTFOUND;
    }
    rc = who_resolve(c, who, &s->member);
    free(who);
    if (rc)
        return rc; /* KB_ENOTFOUND: who_resolve said why */
    rc = owed_load(c, s->member, s->o, OWED_MAX, &s->n);
    if (rc)
        return rc;
    task_mention(c->e, s->member, &s->name);
    size_t hits = 0, hit = 0;
    for (size_t i = 0; i < s->n; i++)
        if (owed_matches(&s->o[i], &s->req)) {
            hits++;
            hit = i;
        }
    /* an amount is of one currency or one gift */
    if (hits == 0 || (s->req.amount && hits > 1)) {
        rc = payout_refuse(c, &s->req, s->o, s->n, hits, s->name.s);
        return rc ? rc : KB_ENOTFOUND;
    }
    if (s->req.amount > s->o[hit].amount) {
        struct sbuf m = {0};
        payment_owed_text(c->lang, &s->o[hit], s->o[hit].amount, &m);
        rc = ctx_reply(c, "review.payout_too_much", ARGS(TS("owed", m.s)));
        sbuf_free(&m);
        return rc ? rc : KB_ENOTFOUND;
    }
    return KB_OK;
}

/* Four-eyes: a cash payment above the configured amount needs the approval
   of an operator other than the one who asked for it. */
static int needs_second(const struct cmd_ctx *c, const char *kind, int64_t amount)
{
    int64_t limit = c->e->set.payment_four_eyes_cents;
    return limit > 0 && !strcmp(kind, "cash") && amount > limit;
}

static void limit_text(const struct cmd_ctx *c, const char *unit, struct sbuf *out)
{
    struct sbuf m = {0};
    task_money(c->lang, &m, c->e->set.payment_four_eyes_cents, unit);
    text_user(out, m.s);
    sbuf_free(&m);
}

/* ==== one payment ====================================================== */

struct payment {
    int64_t id, member, amount, ships, requested_by, approved_by, paid_by, failed_by;
    int64_t requested_at, approved_at, paid_at, confirmed_at, failed_at;
    struct owed what;      /* kind, unit, amount */
    char state[12];
    char *reference, *fail_reason;
};

static void payment_free(struct payment *p)
{
    free(p->what.unit);
    free(p->reference);
    free(p->fail_reason);
    memset(p, 0, sizeof *p);
}

/* KB_ENOTFOUND when there is no such payment in the community. */
static int payment_load(struct cmd_ctx *c, int64_t id, struct payment *p)
{
    memset(p, 0, sizeof *p);
    sqlite3_stmt *q = store_query(
        c->st,
        "SELECT id, member_id, amount, ships, coalesce(requested_by, 0), coalesce(approved_by, 0),"
        " coalesce(paid_by, 0), coalesce(failed_by, 0), requested_at, coalesce(approved_at, 0),"
        " coalesce(paid_at, 0), coalesce(confirmed_at, 0), coalesce(failed_at, 0),"
        " kind, unit, state, reference, fail_reason FROM payments WHERE id = ? AND community_id = ?",
        VALS(SI(id), SI(c->comm.id)));
    if (!q)
        return store_failure(c->st);
    int rc = store_step(c->st, q);
    if (rc == 1) {
        int64_t *ints[] = {&p->id, &p->member, &p->amount, &p->ships, &p->requested_by, &p->approved_by,
                           &p->paid_by, &p->failed_by, &p->requested_at, &p->approved_at, &p->paid_at,
                           &p->confirmed_at, &p->failed_at};
        for (int i = 0; i < 13; i++)
            *ints[i] = store_int(q, i);
        snprintf(p->what.kind, sizeof p->what.kind, "%s", store_text(q, 13));
        p->what.unit = xstrdup(store_text(q, 14));
        p->what.amount = p->amount;
        snprintf(p->state, sizeof p->state, "%s", store_text(q, 15));
        p->reference = xstrdup(store_text(q, 16));
        p->fail_reason = xstrdup(store_text(q, 17));
        rc = KB_OK;
    } else if (rc == 0) {
        rc = KB_ENOTFOUND;
    }
    store_done(q);
    return rc;
}

/* The payment numbered by the first word of *p (left after it), or a
   reply saying why not (then KB_ENOTFOUND). */
static int payment_from_arg(struct cmd_ctx *c, const char **p, struct payment *pay, const char *usage)
{
    char *w = command_next_word(p);
    int64_t id = 0;
    int bad = !w || task_parse_id(w, &id);
    free(w);
    int rc = KB_OK;
    if (bad) {
        rc = ctx_reply(c, usage, NOARGS);
        return rc ? rc : KB_ENOTFOUND;
    }
    rc = payment_load(c, id, pay);
    if (rc == KB_ENOTFOUND) {
        rc = ctx_reply(c, "payment.not_found", ARGS(TI("id", id)));
        return rc ? rc : KB_ENOTFOUND;
    }
    return rc;
}

static void state_text(const char *lang, const char *state, struct sbuf *out)
{
    char key[40];
    snprintf(key, sizeof key, "payment.state.%s", state);
    sbuf_add(out, text_get(lang, key));
}

static int refuse_state(struct cmd_ctx *c, const struct payment *p)
{
    struct sbuf st = {0};
    state_text(c->lang, p->state, &st);
    int rc = ctx_reply(c, "payment.wrong_state", ARGS(TI("id", p->id), TS("state", st.s)));
    sbuf_free(&st);
    return rc;
}

static int audit_payment(struct cmd_ctx *c, const char *action, int64_t id, const char *detail)
{
    char target[40];
    snprintf(target, sizeof target, "payment:%lld", (long long)id);
    return audit_add(c, action, target, detail);
}

/* A plain-text audit detail: "member:3 cash 88.00 CNY[ extra]" (no address ever). */
static void audit_detail(const struct payment *p, const char *extra, struct sbuf *out)
{
    sbuf_addf(out, "member:%lld %s ", (long long)p->member, p->what.kind);
    if (!strcmp(p->what.kind, "cash"))
        task_money(NULL, out, p->amount, p->what.unit);
    else
        sbuf_addf(out, "%s x%lld", p->what.unit, (long long)p->amount);
    if (extra && *extra)
        sbuf_addf(out, " %s", extra);
}

/* Tell the member something about their payment, privately when possible. */
static int tell_member(struct cmd_ctx *c, int64_t member, const char *markup)
{
    int sent = 0;
    int rc = member_tell_privately(c->e, member, markup, NULL, c->now, &sent);
    if (rc || sent)
        return rc;
    struct sbuf b = {0}, who = {0};
    sbuf_add(&b, markup);
    member_name(c->e, member, &who);
    member_private_note(c->lang, who.s, &b);
    rc = community_post(c->e, c->comm.id, b.s, NULL, NULL, c->now);
    sbuf_free(&who);
    sbuf_free(&b);
    return rc;
}

static int erase_address(struct cmd_ctx *c, int64_t payment_id)
{
    return store_exec(c->st, "DELETE FROM payment_addresses WHERE payment_id = ?", VALS(SI(payment_id)));
}

static int64_t address_keep_s(const struct engine *e)
{
    return e->set.payment_address_keep_s > 0 ? e->set.payment_address_keep_s : DEFAULT_ADDRESS_KEEP_S;
}

/* ==== the steps ======================================================== */

/* A new payment of amount of o for the member: requested (a second operator
   must approve it) or approved by the caller. */
static int payment_insert(struct cmd_ctx *c, int64_t member, const struct owed *o, int64_t amount, int approved,
                          int ships, int64_t *id)
{
    int rc = store_exec(c->st,
                        "INSERT INTO payments(community_id, member_id, kind, unit, amount, state, ships,"
                        " requested_by, requested_at, approved_by, approved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        VALS(SI(c->comm.id), SI(member), ST(o->kind), ST(o->unit), SI(amount),
                             ST(approved ? "approved" : "requested"), SI(ships), SI(c->member_id), SI(c->now),
                             approved ? SI(c->member_id) : SN, approved ? SI(c->now) : SN));
    if (!rc)
        *id = store_last_id(c->st);
    return rc;
}

/* Approved → paid: the payout row in the ledger and the payment pointing
   at it, in one transaction; KB_ESTORE (the event rolls back) when the
   payment was no longer approved. */
static int payment_pay(struct cmd_ctx *c, const struct payment *p, const char *reference)
{
    char ref[40];
    snprintf(ref, sizeof ref, "payment:%lld", (long long)p->id);
    struct ledger_entry le = {.community_id = c->comm.id, .member_id = p->member, .kind = p->what.kind,
                              .unit = p->what.unit, .amount = -p->amount, .reason = "payout", .ref = ref,
                              .granted_by = c->member_id, .note = reference, .at = c->now};
    int rc = ledger_add(c->e, &le, NULL);
    if (!rc)
        rc = store_exec(c->st,
                        "UPDATE payments SET state = 'paid', paid_by = ?1, paid_at = ?2, reference = ?3,"
                        " payout_ledger_id = (SELECT max(id) FROM ledger WHERE member_id = ?4 AND reason = 'payout'"
                        "  AND ref = ?5) WHERE id = ?6 AND state = 'approved'",
                        VALS(SI(c->member_id), SI(c->now), ST(reference), SI(p->member), ST(ref), SI(p->id)));
    if (!rc && store_changes(c->st) != 1)
        rc = KB_ESTORE;
    return rc;
}

/* Ask the member for a shipping address, privately. */
static int ask_address(struct cmd_ctx *c, int64_t member, int64_t id, const struct owed *o, int64_t amount)
{
    struct sbuf b = {0}, who = {0}, what = {0};
    task_mention(c->e, member, &who);
    payment_owed_text(c->lang, o, amount, &what);
    text_format(&b, c->lang, "payment.ask_address",
                ARGS(TS("who", who.s), TS("what", what.s), TI("id", id), TI("days", address_keep_s(c->e) / 86400)));
    int rc = tell_member(c, member, b.s);
    sbuf_free(&b);
    sbuf_free(&who);
    sbuf_free(&what);
    return rc;
}

/* /payout @member [what]: approved and paid at once, by one operator,
   unless four-eyes applies. */
static int cmd_payout(struct cmd_ctx *c)
{
    struct selection s;
    int rc = select_owed(c, c->args, "review.payout_usage", &s);
    if (rc) {
        selection_free(&s);
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    }
    for (size_t i = 0; i < s.n; i++) {
        int64_t amount = selected(&s, i);
        if (amount && needs_second(c, s.o[i].kind, amount)) {
            struct sbuf m = {0}, lim = {0};
            payment_owed_text(c->lang, &s.o[i], amount, &m);
            limit_text(c, s.o[i].unit, &lim);
            rc = ctx_reply(c, "payment.payout_four_eyes", ARGS(TS("what", m.s), TS("limit", lim.s)));
            sbuf_free(&m);
            sbuf_free(&lim);
            selection_free(&s);
            return rc;
        }
    }
    struct sbuf what = {0};
    for (size_t i = 0; i < s.n && !rc; i++) {
        int64_t amount = selected(&s, i), id = 0;
        if (!amount)
            continue;
        struct payment p = {0};
        rc = payment_insert(c, s.member, &s.o[i], amount, 1, 0, &id);
        if (!rc)
            rc = payment_load(c, id, &p);
        if (!rc)
            rc = payment_pay(c, &p, "");
        payment_free(&p);
        payment_owed_text(c->lang, &s.o[i], amount, &what);
    }
    char target[40];
    snprintf(target, sizeof target, "member:%lld", (long long)s.member);
    if (!rc)
        rc = audit_add(c, "payout", target, what.s);
    if (!rc)
        rc = ctx_reply(c, "review.paid", ARGS(TS("who", s.name.s), TS("what", what.s)));
    sbuf_free(&what);
    selection_free(&s);
    return rc;
}

/* /pay approve <n>: the second operator's approval of a requested payment. */
static int approve_second(struct cmd_ctx *c, int64_t id)
{
    struct payment p;
    int rc = payment_load(c, id, &p);
    if (rc == KB_ENOTFOUND)
        return ctx_reply(c, "payment.not_found", ARGS(TI("id", id)));
    if (rc)
        return rc;
    if (!strcmp(p.state, "requested") && p.requested_by == c->member_id) {
        rc = ctx_reply(c, "payment.four_eyes_same", ARGS(TI("id", p.id)));
    } else if (strcmp(p.state, "requested")) {
        rc = !strcmp(p.state, "approved") ? ctx_reply(c, "payment.already_approved", ARGS(TI("id", p.id)))
                                          : refuse_state(c, &p);
    } else {
        rc = store_exec(c->st,
                        "UPDATE payments SET state = 'approved', approved_by = ?, approved_at = ?"
                        " WHERE id = ? AND state = 'requested' AND requested_by <> ?",
                        VALS(SI(c->member_id), SI(c->now), SI(p.id), SI(c->member_id)));
        if (!rc && store_changes(c->st) != 1)
            rc = KB_ESTORE;
        struct sbuf detail = {0}, what = {0}, who = {0};
        audit_detail(&p, "second approval", &detail);
        if (!rc)
            rc = audit_payment(c, "payment.approve", p.id, detail.s);
        payment_owed_text(c->lang, &p.what, p.amount, &what);
        task_mention(c->e, p.member, &who);
        if (!rc)
            rc = ctx_reply(c, "payment.approved", ARGS(TI("id", p.id), TS("who", who.s), TS("what", what.s)));
        sbuf_free(&detail);
        sbuf_free(&what);
        sbuf_free(&who);
    }
    payment_free(&p);
    return rc;
}

/* /pay approve @member [what] | <n> */
static int pay_approve(struct cmd_ctx *c)
{
    int64_t id = 0;
    if (!parse_i64(c->args, 1, INT64_MAX / 2, &id))
        return approve_second(c, id);
    struct selection s;
    int rc = select_owed(c, c->args, "payment.approve_usage", &s);
    if (rc) {
        selection_free(&s);
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    }
    struct sbuf lines = {0};
    for (size_t i = 0; i < s.n && !rc; i++) {
        int64_t amount = selected(&s, i);
        if (!amount)
            continue;
        int second = needs_second(c, s.o[i].kind, amount), ships = !strcmp(s.o[i].kind, "gift");
        rc = payment_insert(c, s.member, &s.o[i], amount, !second, ships, &id);
        struct sbuf what = {0}, lim = {0}, detail = {0};
        payment_owed_text(c->lang, &s.o[i], amount, &what);
        limit_text(c, s.o[i].unit, &lim);
        struct payment p = {.id = id, .member = s.member, .amount = amount, .what = s.o[i]};
        audit_detail(&p, second ? "awaiting a second approval" : "", &detail);
        if (!rc)
            rc = audit_payment(c, second ? "payment.request" : "payment.approve", id, detail.s);
        if (!rc && ships)
            rc = ask_address(c, s.member, id, &s.o[i], amount);
        sbuf_addc(&lines, '\n');
        text_format(&lines, c->lang, second ? "payment.requested_line" : "payment.approved_line",
                    ARGS(TI("id", id), TS("what", what.s), TS("limit", lim.s)));
        sbuf_free(&what);
        sbuf_free(&lim);
        sbuf_free(&detail);
    }
    if (!rc) {
        struct sbuf b = {0};
        text_format(&b, c->lang, "payment.approve_header", ARGS(TS("who", s.name.s)));
        sbuf_add(&b, lines.s);
        rc = ctx_reply_markup(c, b.s, 0);
        sbuf_free(&b);
    }
    sbuf_free(&lines);
    selection_free(&s);
    return rc;
}

/* /pay paid <n> <reference> */
static int pay_paid(struct cmd_ctx *c)
{
    const char *p = c->args;
    struct payment pay;
    int rc = payment_from_arg(c, &p, &pay, "payment.paid_usage");
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    const char *reference = command_skip_space(p);
    int64_t balance = 0, has_address = 0;
    if (!*reference || strlen(reference) > REFERENCE_MAX || strchr(reference, '\n')) {
        rc = ctx_reply(c, "payment.paid_usage", NOARGS);
        goto out;
    }
    if (strcmp(pay.state, "approved")) {
        rc = !strcmp(pay.state, "requested") ? ctx_reply(c, "payment.needs_second", ARGS(TI("id", pay.id)))
                                             : refuse_state(c, &pay);
        goto out;
    }
    rc = ledger_balance(c->e, pay.member, pay.what.kind, pay.what.unit, &balance);
    if (!rc && pay.ships)
        rc = store_i64(c->st, &has_address, "SELECT count(*) FROM payment_addresses WHERE payment_id = ?",
                       VALS(SI(pay.id)));
    if (rc)
        goto out;
    if (pay.ships && !has_address) {
        rc = ctx_reply(c, "payment.no_address", ARGS(TI("id", pay.id)));
        goto out;
    }
    if (balance < pay.amount) { /* a reward was reversed since the approval */
        struct sbuf owed = {0};
        payment_owed_text(c->lang, &pay.what, balance > 0 ? balance : 0, &owed);
        rc = ctx_reply(c, "payment.more_than_owed", ARGS(TI("id", pay.id), TS("owed", owed.s)));
        sbuf_free(&owed);
        goto out;
    }
    rc = payment_pay(c, &pay, reference);
    struct sbuf detail = {0}, what = {0}, who = {0}, b = {0};
    audit_detail(&pay, reference, &detail);
    if (!rc)
        rc = audit_payment(c, "payment.paid", pay.id, detail.s);
    payment_owed_text(c->lang, &pay.what, pay.amount, &what);
    task_mention(c->e, pay.member, &who);
    text_format(&b, c->lang, "payment.paid_member",
                ARGS(TS("who", who.s), TS("what", what.s), TI("id", pay.id), TU("ref", reference)));
    if (!rc)
        rc = tell_member(c, pay.member, b.s);
    if (!rc)
        rc = ctx_reply(c, "payment.paid_ack", ARGS(TI("id", pay.id), TS("who", who.s), TS("what", what.s),
                                                   TU("ref", reference)));
    sbuf_free(&detail);
    sbuf_free(&what);
    sbuf_free(&who);
    sbuf_free(&b);
out:
    payment_free(&pay);
    return rc;
}

/* /pay failed <n> <reason>: the payment did not arrive (or will not be
   made); what it carried is owed again. */
static int pay_failed(struct cmd_ctx *c)
{
    const char *p = c->args;
    struct payment pay;
    int rc = payment_from_arg(c, &p, &pay, "payment.failed_usage");
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    const char *reason = command_skip_space(p);
    int was_paid = !strcmp(pay.state, "paid");
    if (!*reason || strlen(reason) > REFERENCE_MAX * 5) {
        rc = ctx_reply(c, "payment.failed_usage", NOARGS);
        goto out;
    }
    if (strcmp(pay.state, "requested") && strcmp(pay.state, "approved") && !was_paid) {
        rc = refuse_state(c, &pay);
        goto out;
    }
    if (was_paid) { /* the payout is undone by an opposite row, once */
        char ref[40];
        snprintf(ref, sizeof ref, "payment:%lld", (long long)pay.id);
        struct ledger_entry le = {.community_id = c->comm.id, .member_id = pay.member, .kind = pay.what.kind,
                                  .unit = pay.what.unit, .amount = pay.amount, .reason = "payfail", .ref = ref,
                                  .granted_by = c->member_id, .note = reason, .at = c->now};
        int added = 0;
        rc = ledger_add(c->e, &le, &added);
        if (!rc && !added)
            rc = KB_ESTORE;
    }
    if (!rc)
        rc = store_exec(c->st,
                        "UPDATE payments SET state = 'failed', failed_by = ?, failed_at = ?, fail_reason = ?"
                        " WHERE id = ? AND state = ?",
                        VALS(SI(c->member_id), SI(c->now), ST(reason), SI(pay.id), ST(pay.state)));
    if (!rc && store_changes(c->st) != 1)
        rc = KB_ESTORE;
    if (!rc)
        rc = erase_address(c, pay.id);
    struct sbuf detail = {0}, what = {0}, who = {0}, b = {0};
    audit_detail(&pay, reason, &detail);
    if (!rc)
        rc = audit_payment(c, "payment.failed", pay.id, detail.s);
    payment_owed_text(c->lang, &pay.what, pay.amount, &what);
    task_mention(c->e, pay.member, &who);
    if (!rc && was_paid) {
        text_format(&b, c->lang, "payment.failed_member",
                    ARGS(TS("who", who.s), TS("what", what.s), TI("id", pay.id), TU("reason", reason)));
        rc = tell_member(c, pay.member, b.s);
    }
    if (!rc)
        rc = ctx_reply(c, "payment.failed_ack", ARGS(TI("id", pay.id), TS("who", who.s), TS("what", what.s)));
    sbuf_free(&detail);
    sbuf_free(&what);
    sbuf_free(&who);
    sbuf_free(&b);
out:
    payment_free(&pay);
    return rc;
}

/* /pay list [state]: the payments on their way (or in one state). */
static int pay_list(struct cmd_ctx *c)
{
    static const char *const states[] = {"requested", "approved", "paid", "confirmed", "failed"};
    const char *want = NULL;
    for (size_t i = 0; *c->args && i < KB_COUNT(states); i++)
        if (!strcmp(c->args, states[i]))
            want = states[i];
    if (*c->args && !want)
        return ctx_reply(c, "payment.list_usage", NOARGS);
    sqlite3_stmt *q = store_query(c->st,
                                  "SELECT id, member_id, kind, unit, amount, state FROM payments"
                                  " WHERE community_id = ?1 AND (?2 IS NULL AND state IN ('requested','approved','paid')"
                                  "  OR state = ?2) ORDER BY id DESC LIMIT ?3",
                                  VALS(SI(c->comm.id), want ? ST(want) : SN, SI(LIST_MAX)));
    if (!q)
        return store_failure(c->st);
    struct sbuf b = {0};
    text_format(&b, c->lang, "payment.list_header", NOARGS);
    int rc, n = 0;
    while ((rc = store_step(c->st, q)) == 1) {
        struct owed o = {.unit = (char *)store_text(q, 3)};
        snprintf(o.kind, sizeof o.kind, "%s", store_text(q, 2));
        struct sbuf who = {0}, what = {0}, st = {0};
        task_mention(c->e, store_int(q, 1), &who);
        payment_owed_text(c->lang, &o, store_int(q, 4), &what);
        state_text(c->lang, store_text(q, 5), &st);
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "payment.list_line",
                    ARGS(TI("id", store_int(q, 0)), TS("who", who.s), TS("what", what.s), TS("state", st.s)));
        sbuf_free(&who);
        sbuf_free(&what);
        sbuf_free(&st);
        n++;
    }
    store_done(q);
    if (rc >= 0)
        rc = n ? ctx_reply_markup(c, b.s, 0) : ctx_reply(c, "payment.list_empty", NOARGS);
    sbuf_free(&b);
    return rc;
}

static void step_line(struct cmd_ctx *c, const char *key, int64_t who_id, int64_t at, const char *extra,
                      struct sbuf *b)
{
    if (!at)
        return;
    char when[32];
    when_format(at, c->comm.tz, when, sizeof when);
    struct sbuf who = {0};
    if (who_id)
        member_name(c->e, who_id, &who);
    sbuf_addc(b, '\n');
    text_format(b, c->lang, key, ARGS(TS("who", who.s), TS("when", when), TU("extra", extra)));
    sbuf_free(&who);
}

/* /pay show <n>: the payment's steps with who and when; the shipping
   address only where no one else reads it (a private chat). */
static int pay_show(struct cmd_ctx *c)
{
    const char *p = c->args;
    struct payment pay;
    int rc = payment_from_arg(c, &p, &pay, "payment.show_usage");
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    struct sbuf b = {0}, who = {0}, what = {0}, st = {0};
    task_mention(c->e, pay.member, &who);
    payment_owed_text(c->lang, &pay.what, pay.amount, &what);
    state_text(c->lang, pay.state, &st);
    text_format(&b, c->lang, "payment.show_header",
                ARGS(TI("id", pay.id), TS("who", who.s), TS("what", what.s), TS("state", st.s)));
    step_line(c, "payment.step.requested", pay.requested_by, pay.requested_at, "", &b);
    step_line(c, "payment.step.approved", pay.approved_by, pay.approved_at, "", &b);
    step_line(c, "payment.step.paid", pay.paid_by, pay.paid_at, pay.reference, &b);
    step_line(c, "payment.step.confirmed", pay.member, pay.confirmed_at, "", &b);
    step_line(c, "payment.step.failed", pay.failed_by, pay.failed_at, pay.fail_reason, &b);
    if (pay.ships) {
        sqlite3_stmt *q = store_query(c->st, "SELECT address FROM payment_addresses WHERE payment_id = ?",
                                      VALS(SI(pay.id)));
        rc = q ? store_step(c->st, q) : store_failure(c->st);
        sbuf_addc(&b, '\n');
        if (rc == 1 && c->ev->chat_type == KB_CHAT_PRIVATE)
            text_format(&b, c->lang, "payment.address", ARGS(TU("address", store_text(q, 0))));
        else
            text_format(&b, c->lang,
                        rc == 1                                                         ? "payment.address_private"
                        : !strcmp(pay.state, "requested") || !strcmp(pay.state, "approved") ? "payment.address_none"
                                                                                         : "payment.address_gone",
                        NOARGS);
        store_done(q);
        rc = rc < 0 ? rc : KB_OK;
    }
    if (!rc)
        rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    sbuf_free(&who);
    sbuf_free(&what);
    sbuf_free(&st);
    payment_free(&pay);
    return rc;
}

static int cmd_pay(struct cmd_ctx *c)
{
    return ctx_reply(c, "payment.usage", NOARGS);
}

/* ==== members ========================================================== */

/* /received [n]: the member confirms a payment (or all of theirs) arrived. */
static int cmd_received(struct cmd_ctx *c)
{
    int64_t only = 0;
    if (*c->args && task_parse_id(c->args, &only))
        return ctx_reply(c, "payment.received_usage", NOARGS);
    if (only) {
        struct payment p;
        int rc = payment_load(c, only, &p);
        int ok = !rc && p.member == c->member_id && !strcmp(p.state, "paid");
        if (rc == KB_ENOTFOUND || (!rc && p.member != c->member_id))
            rc = ctx_reply(c, "payment.not_yours", ARGS(TI("id", only)));
        else if (!rc && !ok)
            rc = refuse_state(c, &p);
        payment_free(&p);
        if (rc || !ok)
            return rc;
    }
    sqlite3_stmt *q = store_query(c->st,
                                  "SELECT id, kind, unit, amount FROM payments WHERE member_id = ?1 AND state = 'paid'"
                                  " AND (?2 = 0 OR id = ?2) ORDER BY id LIMIT ?3",
                                  VALS(SI(c->member_id), SI(only), SI(LIST_MAX)));
    if (!q)
        return store_failure(c->st);
    int64_t ids[LIST_MAX];
    struct sbuf what = {0};
    size_t n = 0;
    int rc = KB_OK;
    while (n < LIST_MAX && (rc = store_step(c->st, q)) == 1) {
        struct owed o = {.unit = (char *)store_text(q, 2)};
        snprintf(o.kind, sizeof o.kind, "%s", store_text(q, 1));
        payment_owed_text(c->lang, &o, store_int(q, 3), &what);
        ids[n++] = store_int(q, 0);
    }
    store_done(q);
    rc = rc < 0 ? rc : KB_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        rc = store_exec(c->st, "UPDATE payments SET state = 'confirmed', confirmed_at = ? WHERE id = ? AND state = 'paid'",
                        VALS(SI(c->now), SI(ids[i])));
        if (!rc && store_changes(c->st) != 1)
            rc = KB_ESTORE;
        if (!rc)
            rc = erase_address(c, ids[i]);
        char detail[40];
        snprintf(detail, sizeof detail, "member:%lld", (long long)c->member_id);
        if (!rc)
            rc = audit_payment(c, "payment.received", ids[i], detail);
    }
    if (!rc)
        rc = n ? ctx_reply(c, "payment.received", ARGS(TS("what", what.s)))
               : ctx_reply(c, "payment.nothing_to_confirm", NOARGS);
    sbuf_free(&what);
    return rc;
}

/* /address <n> <address>: in a private chat only; kept for that shipment. */
static int cmd_address(struct cmd_ctx *c)
{
    const char *p = c->args;
    char *w = command_next_word(&p);
    int64_t id = 0;
    int bad = !w || task_parse_id(w, &id);
    free(w);
    const char *address = command_skip_space(p);
    if (c->ev->chat_type != KB_CHAT_PRIVATE)
        return ctx_reply(c, "payment.address_in_group", NOARGS); /* nothing of it is kept */
    if (bad || !*address)
        return ctx_reply(c, "payment.address_usage", NOARGS);
    if (strlen(address) > ADDRESS_MAX)
        return ctx_reply(c, "task.note_too_long", ARGS(TI("max", ADDRESS_MAX)));
    struct payment pay;
    int rc = payment_load(c, id, &pay);
    if (rc == KB_ENOTFOUND || (!rc && (pay.member != c->member_id || !pay.ships)))
        rc = ctx_reply(c, "payment.not_yours", ARGS(TI("id", id)));
    else if (!rc && strcmp(pay.state, "requested") && strcmp(pay.state, "approved"))
        rc = refuse_state(c, &pay);
    else if (!rc) {
        rc = store_exec(c->st,
                        "INSERT INTO payment_addresses(payment_id, address, at, erase_at) VALUES (?1, ?2, ?3, ?4)"
                        " ON CONFLICT(payment_id) DO UPDATE SET address = excluded.address, at = excluded.at,"
                        " erase_at = excluded.erase_at",
                        VALS(SI(pay.id), ST(address), SI(c->now), SI(c->now + address_keep_s(c->e))));
        if (!rc)
            rc = audit_payment(c, "payment.address", pay.id, "");
        if (!rc)
            rc = ctx_reply(c, "payment.address_saved",
                           ARGS(TI("id", pay.id), TI("days", address_keep_s(c->e) / 86400)));
    }
    payment_free(&pay);
    return rc;
}

/* ==== totals and the books ============================================= */

int payment_totals(struct engine *e, int64_t community_id, struct payment_totals *t, size_t cap, size_t *n)
{
    *n = 0;
    /* owed and owed back: per member, the ledger's sum less the payments on
       their way, split by sign */
    sqlite3_stmt *q = store_query(
        e->st,
        "WITH bal AS (SELECT member_id, kind, unit, sum(amount) AS b FROM ledger"
        "  WHERE community_id = ?1 AND kind IN ('cash','gift') GROUP BY member_id, kind, unit),"
        " way AS (SELECT member_id, kind, unit, sum(amount) AS w FROM payments"
        "  WHERE community_id = ?1 AND state IN ('requested','approved') GROUP BY member_id, kind, unit),"
        " net AS (SELECT bal.kind, bal.unit, bal.b - coalesce(way.w, 0) AS n FROM bal"
        "  LEFT JOIN way ON way.member_id = bal.member_id AND way.kind = bal.kind AND way.unit = bal.unit)"
        " SELECT kind, unit, sum(max(n, 0)), sum(max(-n, 0)),"
        "  (SELECT coalesce(sum(CASE WHEN p.state = 'requested' THEN p.amount END), 0) FROM payments p"
        "   WHERE p.community_id = ?1 AND p.kind = net.kind AND p.unit = net.unit),"
        "  (SELECT coalesce(sum(CASE WHEN p.state = 'approved' THEN p.amount END), 0) FROM payments p"
        "   WHERE p.community_id = ?1 AND p.kind = net.kind AND p.unit = net.unit),"
        "  (SELECT coalesce(sum(CASE WHEN p.state = 'paid' THEN p.amount END), 0) FROM payments p"
        "   WHERE p.community_id = ?1 AND p.kind = net.kind AND p.unit = net.unit),"
        "  (SELECT coalesce(sum(CASE WHEN p.state = 'confirmed' THEN p.amount END), 0) FROM payments p"
        "   WHERE p.community_id = ?1 AND p.kind = net.kind AND p.unit = net.unit)"
        " FROM net GROUP BY kind, unit ORDER BY kind, unit",
        VALS(SI(community_id)));
    if (!q)
        return store_failure(e->st);
    int rc = KB_OK;
    while (*n < cap && (rc = store_step(e->st, q)) == 1) {
        struct payment_totals *x = &t[*n];
        memset(x, 0, sizeof *x);
        snprintf(x->kind, sizeof x->kind, "%s", store_text(q, 0));
        snprintf(x->unit, sizeof x->unit, "%s", store_text(q, 1));
        x->owed = store_int(q, 2);
        x->owed_back = store_int(q, 3);
        x->requested = store_int(q, 4);
        x->approved = store_int(q, 5);
        x->paid = store_int(q, 6);
        x->confirmed = store_int(q, 7);
        (*n)++;
    }
    store_done(q);
    return rc < 0 ? rc : KB_OK;
}

void payment_tally_states(struct cmd_ctx *c, struct sbuf *out)
{
    struct payment_totals t[OWED_MAX];
    size_t n = 0;
    if (payment_totals(c->e, c->comm.id, t, OWED_MAX, &n) || !n)
        return;
    sbuf_add(out, "\n\n");
    text_format(out, c->lang, "payment.tally_header", NOARGS);
    static const char *const keys[] = {"payment.tally.owed", "payment.tally.requested", "payment.tally.approved",
                                       "payment.tally.paid", "payment.tally.confirmed", "payment.tally.back"};
    for (size_t i = 0; i < n; i++) {
        int cash = !strcmp(t[i].kind, "cash");
        const int64_t v[] = {t[i].owed, t[i].requested, t[i].approved, t[i].paid, t[i].confirmed, t[i].owed_back};
        struct sbuf parts = {0};
        for (size_t k = 0; k < KB_COUNT(keys); k++) {
            if (!v[k] && k) /* the states holding nothing are left out; owed always shows */
                continue;
            char amount[32]; /* the line names the currency or gift once */
            if (cash)
                snprintf(amount, sizeof amount, "%lld.%02lld", (long long)(v[k] / 100), (long long)(v[k] % 100));
            else
                snprintf(amount, sizeof amount, "%lld", (long long)v[k]);
            if (parts.len)
                sbuf_add(&parts, " · ");
            text_format(&parts, c->lang, keys[k], ARGS(TS("v", amount)));
        }
        sbuf_addc(out, '\n');
        text_format(out, c->lang, cash ? "payment.tally_line" : "payment.tally_line_gift",
                    ARGS(TU("unit", t[i].unit), TS("parts", parts.s)));
        sbuf_free(&parts);
    }
}

int payment_books_agree(struct engine *e, int64_t community_id, char *why, size_t cap)
{
    struct payment_totals t[OWED_MAX];
    size_t n = 0;
    int rc = payment_totals(e, community_id, t, OWED_MAX, &n);
    if (rc) {
        snprintf(why, cap, "totals: %s", store_errmsg(e->st));
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t balance = 0, paid = 0;
        rc = store_i64(e->st, &balance,
                       "SELECT coalesce(sum(amount), 0) FROM ledger WHERE community_id = ? AND kind = ? AND unit = ?",
                       VALS(SI(community_id), ST(t[i].kind), ST(t[i].unit)));
        if (!rc)
            rc = store_i64(e->st, &paid,
                           "SELECT -coalesce(sum(amount), 0) FROM ledger WHERE community_id = ? AND kind = ?"
                           " AND unit = ? AND reason IN ('payout','payfail')",
                           VALS(SI(community_id), ST(t[i].kind), ST(t[i].unit)));
        if (rc) {
            snprintf(why, cap, "ledger: %s", store_errmsg(e->st));
            return 0;
        }
        if (t[i].owed + t[i].requested + t[i].approved - t[i].owed_back != balance) {
            snprintf(why, cap, "%s %s: owed %lld + requested %lld + approved %lld - owed back %lld != ledger %lld",
                     t[i].kind, t[i].unit, (long long)t[i].owed, (long long)t[i].requested, (long long)t[i].approved,
                     (long long)t[i].owed_back, (long long)balance);
            return 0;
        }
        if (t[i].paid + t[i].confirmed != paid) {
            snprintf(why, cap, "%s %s: paid %lld + confirmed %lld != ledger payouts %lld", t[i].kind, t[i].unit,
                     (long long)t[i].paid, (long long)t[i].confirmed, (long long)paid);
            return 0;
        }
    }
    /* each payout row belongs to one paid (or confirmed, or failed-after-paid)
       payment of the same amount, and each such failure has one payfail row */
    static const struct { const char *what, *sql; } checks[] = {
        {"a payout row without its payment",
         "SELECT count(*) FROM ledger l WHERE l.community_id = ?1 AND l.reason = 'payout'"
         " AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.payout_ledger_id = l.id AND p.amount = -l.amount"
         "  AND p.member_id = l.member_id AND p.kind = l.kind AND p.unit = l.unit)"},
        {"a paid payment without its payout row",
         "SELECT count(*) FROM payments p WHERE p.community_id = ?1 AND (p.state IN ('paid','confirmed')"
         "  OR p.paid_at IS NOT NULL) AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.id = p.payout_ledger_id)"},
        {"a failed payout not undone exactly once",
         "SELECT count(*) FROM payments p WHERE p.community_id = ?1 AND p.state = 'failed' AND p.paid_at IS NOT NULL"
         " AND (SELECT count(*) FROM ledger l WHERE l.member_id = p.member_id AND l.reason = 'payfail'"
         "  AND l.ref = 'payment:' || p.id AND l.amount = p.amount) <> 1"},
        {"a payfail row without a failed payout",
         "SELECT count(*) FROM ledger l WHERE l.community_id = ?1 AND l.reason = 'payfail' AND NOT EXISTS"
         " (SELECT 1 FROM payments p WHERE 'payment:' || p.id = l.ref AND p.state = 'failed' AND p.paid_at IS NOT NULL)"},
    };
    for (size_t i = 0; i < KB_COUNT(checks); i++) {
        int64_t bad = 1;
        if (store_i64(e->st, &bad, checks[i].sql, VALS(SI(community_id))) || bad) {
            snprintf(why, cap, "%s (%lld)", checks[i].what, (long long)bad);
            return 0;
        }
    }
    if (!top_tallies_agree(e, community_id)) {
        snprintf(why, cap, "the points tallies differ from the ledger");
        return 0;
    }
    return 1;
}

/* ==== erasing addresses (tick) ========================================= */

static int payment_tick(struct engine *e, int64_t now)
{
    return store_exec(e->st, "DELETE FROM payment_addresses WHERE erase_at <= ?", VALS(SI(now)));
}

static int64_t payment_next_due(struct engine *e, int64_t now)
{
    int64_t t = -1;
    if (store_i64(e->st, &t, "SELECT coalesce(min(erase_at), -1) FROM payment_addresses", NOVALS) || t < 0)
        return -1;
    return t < now ? now : t;
}

static const char *const migrations[] = {
    /* 1: payments and their shipping addresses; payouts recorded before
          the pipeline become paid payments of their own */
    "CREATE TABLE payments ("
    "  id INTEGER PRIMARY KEY,"
    "  community_id INTEGER NOT NULL REFERENCES communities(id),"
    "  member_id INTEGER NOT NULL REFERENCES members(id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('cash','gift')),"
    "  unit TEXT NOT NULL,"
    "  amount INTEGER NOT NULL CHECK (amount > 0),"   /* cents, or gifts */
    "  state TEXT NOT NULL CHECK (state IN ('requested','approved','paid','confirmed','failed')),"
    "  ships INTEGER NOT NULL DEFAULT 0,"               /* a gift sent to an address */
    "  requested_by INTEGER,"
    "  requested_at INTEGER NOT NULL,"
    "  approved_by INTEGER,"
    "  approved_at INTEGER,"
    "  paid_by INTEGER,"
    "  paid_at INTEGER,"
    "  reference TEXT NOT NULL DEFAULT '',"            /* the transfer id, tracking number */
    "  payout_ledger_id INTEGER UNIQUE REFERENCES ledger(id),"
    "  confirmed_at INTEGER,"
    "  failed_by INTEGER,"
    "  failed_at INTEGER,"
    "  fail_reason TEXT NOT NULL DEFAULT '',"
    "  CHECK (state NOT IN ('paid','confirmed') OR payout_ledger_id IS NOT NULL),"
    "  CHECK (state = 'requested' OR approved_by IS NOT NULL OR state = 'failed')"
    ") STRICT;"
    "CREATE INDEX payments_member ON payments(member_id, kind, unit, state);"
    "CREATE INDEX payments_state ON payments(community_id, state, id);"
    "CREATE TABLE payment_addresses ("
    "  payment_id INTEGER PRIMARY KEY REFERENCES payments(id),"
    "  address TEXT NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  erase_at INTEGER NOT NULL"
    ") STRICT;"
    "CREATE INDEX payment_addresses_erase ON payment_addresses(erase_at);"
    "INSERT INTO payments(community_id, member_id, kind, unit, amount, state, requested_by, requested_at,"
    "  approved_by, approved_at, paid_by, paid_at, payout_ledger_id)"
    " SELECT community_id, member_id, kind, unit, -amount, 'paid', granted_by, at, coalesce(granted_by, 0), at,"
    "  granted_by, at, id FROM ledger WHERE reason = 'payout' AND amount < 0;",
};

static const struct cmd_spec commands[] = {
    {"payout", cmd_payout, CMD_LEDGER, "review.help.payout", NULL},
    {"pay", cmd_pay, CMD_LEDGER, "payment.help.pay", NULL},
    {"received", cmd_received, 0, "payment.help.received", "已收到"},
    {"address", cmd_address, 0, "payment.help.address", "地址"},
};

static const struct cmd_sub subs[] = {
    {"pay", "approve", pay_approve, 0, 1, -1},
    {"pay", "paid", pay_paid, 0, 2, -1},
    {"pay", "failed", pay_failed, 0, 2, -1},
    {"pay", "list", pay_list, 0, 0, 1},
    {"pay", "show", pay_show, 0, 1, 1},
};

static const struct text_entry texts[] = {
    {"review.help.payout", "/payout @成员 [金额 [币种] | 礼品 [名称]] — 标记现金/礼品已发放",
     "/payout @member [amount [currency] | gift [name]] — mark owed cash and gifts as paid"},
    {"review.gift_n", "{name}×{n}", "{name} ×{n}"},
    {"review.payout_usage",
     "用法：/payout @成员 — 结清全部现金和礼品；/payout @成员 现金|cash [币种]；/payout @成员 &lt;金额&gt; [币种]；"
     "/payout @成员 礼品|gift [礼品名]；/payout @成员 &lt;件数&gt; gift [礼品名]",
     "Usage: /payout @member — settle all owed cash and gifts; /payout @member cash [currency]; "
     "/payout @member &lt;amount&gt; [currency]; /payout @member gift [name]; /payout @member &lt;n&gt; gift [name]"},
    {"review.payout_which_currency", "⚠️ 待付的现金有多种币种（{owed}），请写明币种，如 /payout @alice 100 CNY。",
     "⚠️ Cash is owed in several currencies ({owed}); name one, e.g. /payout @alice 100 CNY."},
    {"review.payout_which_gift", "⚠️ 待发的礼品不止一种（{owed}），请写明礼品名，如 /payout @alice 1 gift 帆布袋。",
     "⚠️ Several gifts are owed ({owed}); name one, e.g. /payout @alice 1 gift tote bag."},
    {"review.payout_not_owed", "⚠️ {who} 没有待付的 {what}。目前待付：{owed}。",
     "⚠️ Nothing is owed to {who} in {what}. Owed: {owed}."},
    {"review.gift_named", "礼品 {name}", "the gift {name}"},
    {"review.payout_too_much", "⚠️ 超过了待付数量（待付 {owed}）。", "⚠️ That is more than is owed ({owed})."},
    {"review.nothing_owed", "👌 {who} 没有待发放的现金或礼品。", "👌 Nothing is owed to {who}."},
    {"review.nothing_owed_cash", "👌 {who} 没有待付的现金。", "👌 No cash is owed to {who}."},
    {"review.nothing_owed_gift", "👌 {who} 没有待发的礼品。", "👌 No gift is owed to {who}."},
    {"review.paid", "💸 已记录发放给 {who}：{what}", "💸 Recorded as paid to {who}: {what}"},    {"payment.help.pay",
     "/pay approve @成员 [金额|cash|gift …] · /pay approve &lt;编号&gt; · /pay paid &lt;编号&gt; &lt;转账单号&gt; · "
     "/pay failed &lt;编号&gt; &lt;原因&gt; · /pay list [状态] · /pay show &lt;编号&gt; — 奖励发放流程（批准 → 付款 → 成员确认）",
     "/pay approve @member [amount|cash|gift …] · /pay approve &lt;n&gt; · /pay paid &lt;n&gt; &lt;reference&gt; · "
     "/pay failed &lt;n&gt; &lt;reason&gt; · /pay list [state] · /pay show &lt;n&gt; — the reward pipeline (approve → pay → the member confirms)"},
    {"payment.help.received", "/received [编号] — 确认收到了现金或礼品", "/received [n] — confirm a payment or gift reached you"},
    {"payment.help.address", "/address &lt;编号&gt; &lt;收件人、电话、地址&gt;（仅私聊）— 礼品的收货地址",
     "/address &lt;n&gt; &lt;name, phone, address&gt; (private chat only) — where to ship your gift"},
    {"payment.usage",
     "用法：/pay approve @成员 [金额|cash|gift [名称]]；/pay approve &lt;编号&gt;（第二位运营批准）；"
     "/pay paid &lt;编号&gt; &lt;转账单号或快递单号&gt;；/pay failed &lt;编号&gt; &lt;原因&gt;；/pay list [requested|approved|paid|confirmed|failed]；/pay show &lt;编号&gt;",
     "Usage: /pay approve @member [amount|cash|gift [name]]; /pay approve &lt;n&gt; (the second operator's approval); "
     "/pay paid &lt;n&gt; &lt;transfer id or tracking number&gt;; /pay failed &lt;n&gt; &lt;reason&gt;; "
     "/pay list [requested|approved|paid|confirmed|failed]; /pay show &lt;n&gt;"},
    {"payment.approve_usage", "用法：/pay approve @成员 [金额 [币种] | cash | gift [礼品名]]，或 /pay approve &lt;付款编号&gt;",
     "Usage: /pay approve @member [amount [currency] | cash | gift [name]], or /pay approve &lt;payment&gt;"},
    {"payment.paid_usage", "用法：/pay paid &lt;付款编号&gt; &lt;转账单号或快递单号&gt;（一行，最多 100 字）",
     "Usage: /pay paid &lt;payment&gt; &lt;transfer id or tracking number&gt; (one line, at most 100 characters)"},
    {"payment.failed_usage", "用法：/pay failed &lt;付款编号&gt; &lt;原因&gt;（原因必填）",
     "Usage: /pay failed &lt;payment&gt; &lt;reason&gt; (a reason is required)"},
    {"payment.list_usage", "用法：/pay list [requested|approved|paid|confirmed|failed]",
     "Usage: /pay list [requested|approved|paid|confirmed|failed]"},
    {"payment.show_usage", "用法：/pay show &lt;付款编号&gt;", "Usage: /pay show &lt;payment&gt;"},
    {"payment.received_usage", "用法：/received [付款编号]", "Usage: /received [payment]"},
    {"payment.address_usage", "用法：/address &lt;付款编号&gt; &lt;收件人、电话、详细地址&gt;",
     "Usage: /address &lt;payment&gt; &lt;name, phone, full address&gt;"},
    {"payment.not_found", "⚠️ 没有编号为 #{id} 的付款。", "⚠️ There is no payment #{id}."},
    {"payment.not_yours", "⚠️ 没有属于你的付款 #{id}。", "⚠️ You have no payment #{id}."},
    {"payment.state.requested", "待第二位运营批准", "awaiting a second approval"},
    {"payment.state.approved", "已批准，待付款", "approved, to be paid"},
    {"payment.state.paid", "已付款，待成员确认", "paid, awaiting the member's confirmation"},
    {"payment.state.confirmed", "成员已确认收到", "confirmed by the member"},
    {"payment.state.failed", "付款失败，金额重新计入待付", "failed, owed again"},
    {"payment.wrong_state", "⚠️ 付款 #{id} 现在的状态是「{state}」，这一步做不了，什么都没有改变。",
     "⚠️ Payment #{id} is {state}: that step does not apply, nothing changed."},
    {"payment.payout_four_eyes",
     "⚠️ {what} 超过了 {limit}，需要两位运营把关：请用 /pay approve @成员 … 申请，再由另一位运营 /pay approve &lt;编号&gt; 批准。什么都没有改变。",
     "⚠️ {what} is above {limit}, so two operators must agree: ask with /pay approve @member …, then another operator "
     "approves with /pay approve &lt;n&gt;. Nothing changed."},
    {"payment.four_eyes_same",
     "⚠️ 付款 #{id} 是你申请的，超过限额的付款必须由另一位运营批准。什么都没有改变。",
     "⚠️ You asked for payment #{id} yourself: above the limit another operator must approve it. Nothing changed."},
    {"payment.already_approved", "🏅 付款 #{id} 已经批准过了，不会重复批准。", "🏅 Payment #{id} is already approved; nothing changed."},
    {"payment.needs_second", "⚠️ 付款 #{id} 还在等第二位运营批准（/pay approve {id}），还不能付款。",
     "⚠️ Payment #{id} still awaits a second operator's approval (/pay approve {id}): it cannot be paid yet."},
    {"payment.approve_header", "<b>给 {who} 的付款</b>", "<b>Payments to {who}</b>"},
    {"payment.approved_line", "#{id} · {what} · 已批准，付款后发送 /pay paid {id} &lt;转账单号&gt;",
     "#{id} · {what} · approved; once paid, send /pay paid {id} &lt;reference&gt;"},
    {"payment.requested_line", "#{id} · {what} · 超过 {limit}，需另一位运营发送 /pay approve {id}",
     "#{id} · {what} · above {limit}: another operator sends /pay approve {id}"},
    {"payment.approved", "✅ 付款 #{id}（{who}：{what}）已由第二位运营批准，可以付款了。",
     "✅ Payment #{id} ({who}: {what}) approved by a second operator; it may be paid now."},
    {"payment.ask_address",
     "📦 {who}，你的礼品 {what} 即将寄出（付款 #{id}）。请在这里回复 /address {id} 收件人、电话、详细地址。"
     "地址只有运营能看到，你确认收到后（或 {days} 天后）即删除。",
     "📦 {who}, your gift {what} will be shipped (payment #{id}). Reply here with /address {id} name, phone, full address. "
     "Only the operators see it, and it is erased once you confirm receipt (or after {days} days)."},
    {"payment.address_in_group",
     "🔒 为了保护隐私，请不要在群里发地址：请私聊我发送 /address &lt;编号&gt; &lt;地址&gt;。这条消息里的内容没有保存。",
     "🔒 For your privacy, do not post your address in the group: send /address &lt;n&gt; &lt;address&gt; to me in a private chat. Nothing of this message was kept."},
    {"payment.address_saved", "📦 付款 #{id} 的收货地址已保存，只有运营能看到，确认收到后（或 {days} 天后）即删除。",
     "📦 The shipping address for payment #{id} is saved; only the operators see it, and it is erased once you confirm receipt (or after {days} days)."},
    {"payment.no_address", "⚠️ 付款 #{id} 是要寄送的礼品，成员还没有提供收货地址，暂时不能标记为已寄出。",
     "⚠️ Payment #{id} is a gift to ship and the member has not given an address yet: it cannot be marked sent."},
    {"payment.more_than_owed",
     "⚠️ 付款 #{id} 超过了现在实际待付的数额（{owed}，批准后有奖励被撤销）。请用 /pay failed {id} &lt;原因&gt; 取消后重新批准。",
     "⚠️ Payment #{id} is more than is owed now ({owed}: a reward was reversed since the approval). "
     "Cancel it with /pay failed {id} &lt;reason&gt; and approve again."},
    {"payment.paid_member", "💸 {who}，{what} 已发出（付款 #{id}，单号 {ref}）。收到后请发送 /received {id} 确认。",
     "💸 {who}, {what} is on its way to you (payment #{id}, reference {ref}). Once it arrives, send /received {id}."},
    {"payment.paid_ack", "💸 付款 #{id} 已记录为已付：{who} {what}（单号 {ref}），已通知成员。",
     "💸 Payment #{id} recorded as paid: {who} {what} (reference {ref}); the member was told."},
    {"payment.failed_member", "⚠️ {who}，付款 #{id}（{what}）没有成功：{reason}。这笔奖励仍然记在你的待付里，会重新发放。",
     "⚠️ {who}, payment #{id} ({what}) did not go through: {reason}. It is owed to you again and will be paid anew."},
    {"payment.failed_ack", "↩️ 付款 #{id}（{who} {what}）已标记为失败，金额重新计入待付。",
     "↩️ Payment #{id} ({who} {what}) marked failed; the amount is owed again."},
    {"payment.list_header", "<b>付款</b>", "<b>Payments</b>"},
    {"payment.list_line", "#{id} · {who} · {what} · {state}", "#{id} · {who} · {what} · {state}"},
    {"payment.list_empty", "👌 没有符合的付款。", "👌 No payments to list."},
    {"payment.show_header", "<b>付款 #{id}</b> · {who} · {what} · {state}", "<b>Payment #{id}</b> · {who} · {what} · {state}"},
    {"payment.step.requested", "• {when} {who} 申请", "• {when} asked for by {who}"},
    {"payment.step.approved", "• {when} {who} 批准", "• {when} approved by {who}"},
    {"payment.step.paid", "• {when} {who} 付款，单号 {extra}", "• {when} paid by {who}, reference {extra}"},
    {"payment.step.confirmed", "• {when} {who} 确认收到", "• {when} confirmed by {who}"},
    {"payment.step.failed", "• {when} {who} 标记失败：{extra}", "• {when} marked failed by {who}: {extra}"},
    {"payment.address", "📦 收货地址：{address}", "📦 Ship to: {address}"},
    {"payment.address_private", "📦 收货地址已提供；为保护隐私只在私聊里显示：请私聊我发送 /pay show 同一编号。",
     "📦 An address was given; it is shown only in a private chat: send me the same /pay show there."},
    {"payment.address_none", "📦 成员还没有提供收货地址。", "📦 The member has not given an address yet."},
    {"payment.address_gone", "📦 这笔付款没有保存收货地址（确认收到、付款失败或到期后即删除）。",
     "📦 No address is kept for this payment (it is erased on confirmation, on failure or when its time is up)."},
    {"payment.received", "🙏 谢谢确认！已收到：{what}", "🙏 Thank you for confirming! Received: {what}"},
    {"payment.nothing_to_confirm", "👌 没有等你确认的付款。", "👌 No payment is waiting for your confirmation."},
    {"payment.tally_header", "<b>发放流程（当前）</b>", "<b>Pipeline (now)</b>"},
    {"payment.tally_line", "• {unit}：{parts}", "• {unit}: {parts}"},
    {"payment.tally_line_gift", "• 礼品 {unit}：{parts}", "• gift {unit}: {parts}"},
    {"payment.tally.owed", "待批准 {v}", "owed {v}"},
    {"payment.tally.requested", "待第二位运营批准 {v}", "awaiting a second approval {v}"},
    {"payment.tally.approved", "已批准待付 {v}", "approved {v}"},
    {"payment.tally.paid", "已付待确认 {v}", "paid {v}"},
    {"payment.tally.confirmed", "成员已确认 {v}", "confirmed {v}"},
    {"payment.tally.back", "成员需退还 {v}", "owed back by members {v}"},
    {"audit.payment.request", "申请", "asked for"},
    {"audit.payment.approve", "批准", "approved"},
    {"audit.payment.paid", "标记已付", "paid"},
    {"audit.payment.failed", "标记失败", "marked failed"},
    {"audit.payment.received", "确认收到", "confirmed receipt of"},
    {"audit.payment.address", "提供收货地址", "gave the shipping address for"},
    {"audit.target.payment", "付款 #{id}", "payment #{id}"},
};

static const struct kb_setting settings[] = {
    {.path = "payments", .type = KB_SETTING_SECTION},
    {.path = "payments.four_eyes_above", .type = KB_SETTING_INT,
     .off = offsetof(struct engine_settings, payment_four_eyes_cents), .max = 10000000, .scale = 100, .dnum = 1000},
    {.path = "payments.address_days", .type = KB_SETTING_INT,
     .off = offsetof(struct engine_settings, payment_address_keep_s), .min = 1, .max = 365, .scale = 86400, .dnum = 30},
};

const struct kb_module payment_module = {
    .name = "payment",
    .commands = commands,
    .n_commands = KB_COUNT(commands),
    .texts = texts,
    .n_texts = KB_COUNT(texts),
    .subs = subs,
    .n_subs = KB_COUNT(subs),
    .tick = payment_tick,
    .next_due = payment_next_due,
    .migrations = migrations,
    .n_migrations = KB_COUNT(migrations),
    .settings = settings,
    .n_settings = KB_COUNT(settings),
};
