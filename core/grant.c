/*
 * Operator grants and revocations.  Everything is a ledger row: points with
 * reason "grant" (or a negative amount with reason "revoke"), titles and
 * badges as kind 'title'/'badge' rows of +1 / -1 for the name.  A revocation
 * is a correcting entry, never a deletion; a member holds a title or badge
 * while the sum of its rows is positive.  /revoke cash|gift takes back an
 * awarded amount of cash or a gift (reason "revoke", negative); when it had
 * been paid out already, the member's balance goes below zero: they owe it.
 */
#include "grant.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "command.h"
#include "defn.h"
#include "ledger.h"
#include "standing.h"
#include "task.h"
#include "term.h"
#include "who.h"

#define ITEM_NAME_MAX 32     /* characters of a title or badge name */
#define REASON_MAX 200       /* characters of a reason */
#define GRANT_POINTS_MAX 1000000

struct grant_args {
    char *kind_word;   /* points | title | badge */
    char *what;        /* the number of points, or the item name */
    char *who;
    const char *rest;  /* the reason (points) */
};

static void grant_args_free(struct grant_args *a)
{
    free(a->kind_word);
    free(a->what);
    free(a->who);
}

static int usage(struct cmd_ctx *c, int revoke)
{
    return ctx_reply(c, revoke ? "grant.revoke_usage" : "grant.usage", NOARGS);
}

/* A reason is required and bounded; *replied = 1 when refused. */
static int reason_ok(struct cmd_ctx *c, const char *reason, int *replied)
{
    *replied = 1;
    if (!*reason)
        return ctx_reply(c, "grant.need_reason", NOARGS);
    if (utf8_count(reason, strlen(reason)) > REASON_MAX)
        return ctx_reply(c, "grant.reason_long", ARGS(TI("max", REASON_MAX)));
    *replied = 0;
    return KB_OK;
}

static int do_points(struct cmd_ctx *c, int revoke, struct grant_args *a, int64_t member)
{
    int64_t n = 0;
    if (parse_i64(a->what, 1, GRANT_POINTS_MAX, &n))
        return ctx_reply(c, "grant.bad_points", ARGS(TU("got", a->what), TI("max", GRANT_POINTS_MAX)));
    const char *reason = command_skip_space(a->rest);
    int replied = 0;
    int rc = reason_ok(c, reason, &replied);
    if (rc || replied)
        return rc;
    int64_t balance = 0;
    rc = ledger_points(c->e, member, &balance);
    if (rc)
        return rc;
    struct sbuf who = {0};
    member_label(c->e, member, &who);
    if (revoke && balance < n) {
        rc = ctx_reply(c, "grant.revoke_too_much", ARGS(TS("name", who.s), TI("balance", balance)));
        sbuf_free(&who);
        return rc;
    }
    struct ledger_entry le = {.community_id = c->comm.id, .member_id = member, .kind = "points",
                              .amount = revoke ? -n : n, .reason = revoke ? "revoke" : "grant",
                              .granted_by = c->member_id, .note = reason, .at = c->now};
    rc = ledger_add(c->e, &le, NULL);
    if (!rc && !revoke)
        rc = standing_changed(c->e, c->comm.id, member, c->now);
    char target[32];
    snprintf(target, sizeof target, "member:%lld", (long long)member);
    struct sbuf detail = {0};
    sbuf_addf(&detail, "%s%lld: %s", revoke ? "-" : "+", (long long)n, reason);
    if (!rc)
        rc = audit_add(c, revoke ? "revoke.points" : "grant.points", target, detail.s);
    if (!rc)
        rc = ctx_reply(c, revoke ? "grant.points_revoked" : "grant.points_granted",
                       ARGS(TS("name", who.s), TI("n", n), TU("reason", reason), TI("total", balance + (revoke ? -n : n))));
    sbuf_free(&who);
    sbuf_free(&detail);
    return rc;
}

/* A title's term: "--until DATE --duty \"…\"" after the member (both
   optional).  *replied = 1 when refused; *duty is owned. */
static int title_term(struct cmd_ctx *c, const char *rest, int64_t *until, char **duty, int *replied)
{
    *until = 0;
    *duty = NULL;
    *replied = 0;
    struct defn d;
    char err[96];
    int rc = KB_OK;
    if (defn_parse(rest, &d, err, sizeof err)) {
        *replied = 1;
        return usage(c, 0);
    }
    static const char *const allowed[] = {"until", "duty", NULL};
    const char *bad = defn_unknown(&d, allowed);
    const char *when = defn_get(&d, "until"), *text = defn_get(&d, "duty");
    if (*command_skip_space(d.head ? d.head : "") || bad) {
        rc = ctx_reply(c, "term.bad_flag", ARGS(TU("got", bad ? bad : d.head)));
        *replied = 1;
    } else if (when && (when_parse(when, c->comm.tz, c->now, until) || *until <= c->now)) {
        rc = ctx_reply(c, "term.bad_until", ARGS(TU("got", when)));
        *replied = 1;
    } else if (text) {
        size_t n = strlen(text); /* "…" or “…” around it are the typist's, not the duty's */
        if (n >= 2 && text[0] == '"' && text[n - 1] == '"')
            *duty = xstrndup(text + 1, n - 2);
        else if (n >= 6 && !strncmp(text, "“", 3) && !strcmp(text + n - 3, "”"))
            *duty = xstrndup(text + 3, n - 6);
        else
            *duty = xstrdup(text);
        if (utf8_count(*duty, strlen(*duty)) > TERM_DUTY_MAX) {
            rc = ctx_reply(c, "term.duty_long", ARGS(TI("max", TERM_DUTY_MAX)));
            *replied = 1;
        }
    }
    defn_free(&d);
    if (*replied) {
        free(*duty);
        *duty = NULL;
    }
    return rc;
}

/* The grant's announcement: the title, and its term and duties when given. */
static void title_granted_text(struct cmd_ctx *c, const char *key, const char *who, const char *name,
                               int64_t until, const char *duty, struct sbuf *b)
{
    struct sbuf term = {0};
    if (until) {
        char when[32];
        when_format(until, c->comm.tz, when, sizeof when);
        text_format(&term, c->lang, "term.granted_until", ARGS(TS("until", when)));
    }
    text_format(b, c->lang, key, ARGS(TS("name", who), TU("item", name), TU("title", name), TS("until", sbuf_str(&term))));
    if (!strcmp(key, "grant.title_granted"))
        sbuf_add(b, sbuf_str(&term));
    if (duty && *duty) {
        struct sbuf d = {0};
        text_user_block(&d, duty);
        text_format(b, c->lang, "term.granted_duty", ARGS(TS("duty", d.s)));
        sbuf_free(&d);
    }
    sbuf_free(&term);
}

static int do_item(struct cmd_ctx *c, int revoke, const char *kind, struct grant_args *a, int64_t member)
{
    const char *name = a->what;
    if (utf8_count(name, strlen(name)) > ITEM_NAME_MAX || name[0] == '@')
        return ctx_reply(c, "grant.bad_item", ARGS(TI("max", ITEM_NAME_MAX)));
    int is_title = strcmp(kind, "title") == 0;
    int64_t until = 0;
    char *duty = NULL;
    int replied = 0, has_term = is_title && !revoke && *command_skip_space(a->rest);
    if (*command_skip_space(a->rest) && !has_term)
        return usage(c, revoke);
    int rc = has_term ? title_term(c, a->rest, &until, &duty, &replied) : KB_OK;
    if (rc || replied)
        return rc;
    int held = 0;
    rc = standing_has_item(c->e, member, kind, name, &held);
    struct sbuf who = {0};
    member_name(c->e, member, &who);
    if (!rc && held && has_term) { /* a holder's term renewed, or given duties */
        rc = term_record(c, member, name, until, duty);
        char target[32];
        snprintf(target, sizeof target, "member:%lld", (long long)member);
        if (!rc)
            rc = audit_add(c, "grant.title_term", target, name);
        struct sbuf b = {0};
        title_granted_text(c, "term.renewed", who.s, name, until, duty, &b);
        if (!rc)
            rc = ctx_reply_markup(c, b.s, 0);
        sbuf_free(&b);
        sbuf_free(&who);
        free(duty);
        return rc;
    }
    if (rc) {
        sbuf_free(&who);
        free(duty);
        return rc;
    }
    if (held != revoke) {
        rc = ctx_reply(c, revoke ? (is_title ? "grant.title_not_held" : "grant.badge_not_held")
                                 : (is_title ? "grant.title_held" : "grant.badge_held"),
                       ARGS(TS("name", who.s), TU("item", name)));
        sbuf_free(&who);
        free(duty);
        return rc;
    }
    struct ledger_entry le = {.community_id = c->comm.id, .member_id = member, .kind = kind,
                              .amount = revoke ? -1 : 1, .unit = name, .reason = revoke ? "revoke" : "grant",
                              .granted_by = c->member_id, .at = c->now};
    rc = ledger_add(c->e, &le, NULL);
    char target[32], action[32];
    snprintf(target, sizeof target, "member:%lld", (long long)member);
    snprintf(action, sizeof action, "%s.%s", revoke ? "revoke" : "grant", kind);
    if (!rc)
        rc = audit_add(c, action, target, name);
    if (!rc && is_title) /* a term and duties, or a revocation that ends the open term */
        rc = revoke ? term_close(c, member, name) : has_term ? term_record(c, member, name, until, duty) : KB_OK;
    if (!rc && !revoke) {
        struct sbuf b = {0};
        if (is_title)
            title_granted_text(c, "grant.title_granted", who.s, name, until, duty, &b);
        else
            text_format(&b, c->lang, "grant.badge_granted", ARGS(TS("name", who.s), TU("item", name)));
        rc = ctx_post(c, b.s, NULL, NULL);
        sbuf_free(&b);
    } else if (!rc) {
        rc = ctx_reply(c, is_title ? "grant.title_revoked" : "grant.badge_revoked",
                       ARGS(TS("name", who.s), TU("item", name)));
    }
    sbuf_free(&who);
    free(duty);
    return rc;
}

/* A three-letter currency code ("cny" -> "CNY"), or 0. */
static int currency_word(const char *w, char out[4])
{
    if (!w || strlen(w) != 3)
        return 0;
    for (int i = 0; i < 3; i++) {
        char ch = w[i] >= 'a' && w[i] <= 'z' ? (char)(w[i] - 32) : w[i];
        if (ch < 'A' || ch > 'Z')
            return 0;
        out[i] = ch;
    }
    out[3] = '\0';
    return 1;
}

/* What was awarded of kind/unit, payouts aside (what a revocation may take back). */
static int awarded(struct cmd_ctx *c, int64_t member, const char *kind, const char *unit, int64_t *sum)
{
    return store_i64(c->st, sum,
                     "SELECT coalesce(sum(amount), 0) FROM ledger WHERE member_id = ? AND kind = ? AND unit = ?"
                     " AND reason <> 'payout'",
                     VALS(SI(member), ST(kind), ST(unit)));
}

/* /revoke cash <amount> [currency] @user <reason>, /revoke gift <name> @user <reason> */
static int do_revoke_owed(struct cmd_ctx *c, const char *kind, struct grant_args *a)
{
    int cash = !strcmp(kind, "cash");
    int64_t amount = 1, member = 0, sum = 0;
    char cur[4] = "";
    const char *p = a->rest;
    char *who = xstrdup(a->who), *unit = NULL;
    int rc = KB_OK, replied = 0;
    if (cash && who && currency_word(who, cur)) { /* the currency came before the member */
        free(who);
        who = who_next_target(c, &p);
    }
    if ((!who && !who_has_reply(c)) || (cash && (task_parse_cents(a->what, &amount) || amount <= 0))) {
        rc = usage(c, 1);
        goto out;
    }
    const char *reason = command_skip_space(p);
    rc = reason_ok(c, reason, &replied);
    if (rc || replied)
        goto out;
    rc = who_resolve(c, who, &member);
    if (rc == KB_ENOTFOUND) {
        rc = KB_OK; /* who_resolve said why */
        goto out;
    }
    if (rc)
        goto out;
    if (cash && !*cur) { /* the currency the member was awarded, when there is only one */
        sqlite3_stmt *q = store_query(c->st,
                                      "SELECT count(DISTINCT unit), coalesce(min(unit), 'CNY') FROM ledger"
                                      " WHERE member_id = ? AND kind = 'cash'",
                                      VALS(SI(member)));
        int row = q && store_step(c->st, q) == 1, several = row && store_int(q, 0) > 1;
        snprintf(cur, sizeof cur, "%s", row ? store_text(q, 1) : "CNY");
        store_done(q);
        if (several) {
            rc = ctx_reply(c, "grant.which_currency", NOARGS);
            goto out;
        }
    }
    unit = xstrdup(cash ? cur : a->what);
    if (!rc)
        rc = awarded(c, member, kind, unit, &sum);
    struct sbuf name = {0}, what = {0};
    member_name(c->e, member, &name);
    if (cash)
        task_money(c->lang, &what, amount, unit);
    else
        sbuf_add(&what, unit);
    if (!rc && sum < amount) {
        struct sbuf have = {0};
        task_money(c->lang, &have, sum, unit);
        rc = cash ? ctx_reply(c, "grant.cash_too_much", ARGS(TS("name", name.s), TU("have", have.s)))
                  : ctx_reply(c, "grant.gift_not_awarded", ARGS(TS("name", name.s), TU("item", unit)));
        sbuf_free(&have);
        replied = 1;
    }
    struct ledger_entry le = {.community_id = c->comm.id, .member_id = member, .kind = kind, .amount = -amount,
                              .unit = unit, .reason = "revoke", .granted_by = c->member_id, .note = reason,
                              .at = c->now};
    if (!rc && !replied)
        rc = ledger_add(c->e, &le, NULL);
    char target[32], action[32];
    snprintf(target, sizeof target, "member:%lld", (long long)member);
    snprintf(action, sizeof action, "revoke.%s", kind);
    struct sbuf detail = {0};
    sbuf_addf(&detail, "-%s: %s", what.s, reason);
    if (!rc && !replied)
        rc = audit_add(c, action, target, detail.s);
    int64_t balance = 0;
    if (!rc && !replied)
        rc = ledger_balance(c->e, member, kind, unit, &balance);
    if (!rc && !replied) {
        struct sbuf b = {0}, owes = {0};
        text_format(&b, c->lang, cash ? "grant.cash_revoked" : "grant.gift_revoked",
                    ARGS(TS("name", name.s), TU("item", what.s), TU("reason", reason)));
        if (balance < 0) { /* it had been paid out: now the member owes it */
            if (cash) {
                struct sbuf m = {0};
                task_money(c->lang, &m, -balance, unit);
                text_user(&owes, m.s);
                sbuf_free(&m);
            } else {
                text_format(&owes, c->lang, "review.gift_n", ARGS(TU("name", unit), TI("n", -balance)));
            }
            sbuf_addc(&b, '\n');
            text_format(&b, c->lang, "grant.owes_back", ARGS(TS("name", name.s), TS("owes", owes.s)));
        }
        rc = ctx_reply_markup(c, b.s, 0);
        sbuf_free(&b);
        sbuf_free(&owes);
    }
    sbuf_free(&detail);
    sbuf_free(&name);
    sbuf_free(&what);
out:
    free(who);
    free(unit);
    return rc;
}

/* /grant|/revoke points <n> @user <reason>, title|badge <name> @user */
static int grant_or_revoke(struct cmd_ctx *c, int revoke)
{
    struct grant_args a = {0};
    const char *p = c->args;
    a.kind_word = command_next_word(&p);
    a.what = command_next_word(&p);
    a.who = who_next_target(c, &p);
    a.rest = p;
    int rc;
    const char *kind = NULL;
    if (a.kind_word && ascii_casecmp(a.kind_word, "points") == 0)
        kind = "points";
    else if (a.kind_word && ascii_casecmp(a.kind_word, "title") == 0)
        kind = "title";
    else if (a.kind_word && ascii_casecmp(a.kind_word, "badge") == 0)
        kind = "badge";
    else if (revoke && a.kind_word && ascii_casecmp(a.kind_word, "cash") == 0)
        kind = "cash";
    else if (revoke && a.kind_word && ascii_casecmp(a.kind_word, "gift") == 0)
        kind = "gift";
    int64_t member = 0;
    if (!kind || !a.what || (!a.who && !who_has_reply(c)) || !*a.what) {
        rc = usage(c, revoke);
    } else if (!strcmp(kind, "cash") || !strcmp(kind, "gift")) {
        rc = do_revoke_owed(c, kind, &a);
    } else if ((rc = who_resolve(c, a.who, &member)) == KB_ENOTFOUND) {
        rc = KB_OK; /* who_resolve said why */
    } else if (!rc && !revoke && member == c->member_id && !ctx_is_owner(c)) {
        rc = ctx_reply(c, "grant.self", NOARGS); /* nobody rewards themselves */
    } else if (!rc) {
        rc = strcmp(kind, "points") == 0 ? do_points(c, revoke, &a, member)
                                         : do_item(c, revoke, kind, &a, member);
    }
    grant_args_free(&a);
    return rc;
}

static int cmd_grant(struct cmd_ctx *c)
{
    return grant_or_revoke(c, 0);
}

static int cmd_revoke(struct cmd_ctx *c)
{
    return grant_or_revoke(c, 1);
}

static const struct cmd_spec commands[] = {
    {"grant", cmd_grant, CMD_LEDGER, "grant.help", NULL},
    {"revoke", cmd_revoke, CMD_LEDGER, "grant.revoke_help", NULL},
};

static const struct text_entry texts[] = {
    {"grant.help", "/grant points|title|badge … — 授予积分、头衔或徽章",
     "/grant points|title|badge … — grant points, a title or a badge"},
    {"grant.revoke_help", "/revoke points|title|badge|cash|gift … — 撤销（记一笔更正）",
     "/revoke points|title|badge|cash|gift … — revoke (a correcting entry)"},
    {"grant.usage",
     "用法：/grant points &lt;数量&gt; @成员 &lt;原因&gt;｜/grant title &lt;头衔&gt; @成员 [--until 2027-03-31] [--duty \"职责\"]｜/grant badge &lt;徽章&gt; @成员",
     "Usage: /grant points &lt;n&gt; @member &lt;reason&gt;, /grant title &lt;name&gt; @member [--until 2027-03-31] [--duty \"duties\"], /grant badge &lt;name&gt; @member"},
    {"grant.revoke_usage",
     "用法：/revoke points &lt;数量&gt; @成员 &lt;原因&gt;｜/revoke title &lt;头衔&gt; @成员｜/revoke badge &lt;徽章&gt; @成员｜"
     "/revoke cash &lt;金额&gt; [币种] @成员 &lt;原因&gt;｜/revoke gift &lt;礼品&gt; @成员 &lt;原因&gt;",
     "Usage: /revoke points &lt;n&gt; @member &lt;reason&gt;, /revoke title &lt;name&gt; @member, /revoke badge &lt;name&gt; @member, "
     "/revoke cash &lt;amount&gt; [currency] @member &lt;reason&gt;, /revoke gift &lt;name&gt; @member &lt;reason&gt;"},
    {"grant.self", "⚠️ 不能给自己发放奖励，请由另一位运营（或品牌负责人）操作。",
     "⚠️ You can't reward yourself: another operator (or the owner) must do it."},
    {"grant.which_currency", "⚠️ 该成员获得过多种币种的现金，请写明币种，如 /revoke cash 100 CNY @alice 原因。",
     "⚠️ Cash in several currencies was awarded; name one, e.g. /revoke cash 100 CNY @alice reason."},
    {"grant.cash_too_much", "{name} 在该币种只获得过 {have}，不能撤销更多。",
     "{name} was awarded only {have} in that currency; I can't revoke more than that."},
    {"grant.gift_not_awarded", "{name} 没有获得过礼品 {item}。", "{name} was never awarded the gift {item}."},
    {"grant.cash_revoked", "↩️ 已撤销 {name} 的现金 {item} — {reason}", "↩️ Revoked cash {item} from {name} — {reason}"},
    {"grant.gift_revoked", "↩️ 已撤销 {name} 的礼品 {item} — {reason}", "↩️ Revoked the gift {item} from {name} — {reason}"},
    {"grant.owes_back", "💸 这笔已经发放过了：{name} 现需退还 {owes}。", "💸 It had already been paid out: {name} now owes back {owes}."},
    {"grant.bad_points", "积分数量 {got} 无效，请输入 1 到 {max} 的整数。",
     "{got} is not a valid number of points; give a whole number from 1 to {max}."},
    {"grant.need_reason", "请写上原因，例如：/grant points 50 @alice 线下活动志愿者",
     "Please give a reason, e.g. /grant points 50 @alice volunteered at the meetup"},
    {"grant.reason_long", "原因太长了（最多 {max} 个字）。", "The reason is too long (at most {max} characters)."},
    {"grant.bad_item", "名称最多 {max} 个字，不能以 @ 开头（含空格的名称请加引号）。",
     "A name has at most {max} characters and does not start with @ (quote names with spaces)."},
    {"grant.revoke_too_much", "{name} 只有 {balance} 积分，不能撤销更多。",
     "{name} has only {balance} points; I can't revoke more than that."},
    {"grant.points_granted", "🎁 {name} +{n} 积分 — {reason}（共 {total}）",
     "🎁 {name} +{n} points — {reason} (total {total})"},
    {"grant.points_revoked", "↩️ 已撤销 {name} 的 {n} 积分 — {reason}（剩 {total}）",
     "↩️ Revoked {n} points from {name} — {reason} (now {total})"},
    {"grant.title_held", "{name} 已经拥有头衔 {item}。", "{name} already holds the title {item}."},
    {"grant.badge_held", "{name} 已经拥有徽章 {item}。", "{name} already has the badge {item}."},
    {"grant.title_not_held", "{name} 没有头衔 {item}。", "{name} does not hold the title {item}."},
    {"grant.badge_not_held", "{name} 没有徽章 {item}。", "{name} does not have the badge {item}."},
    {"grant.title_granted", "👑 {name} 获得头衔 <b>{item}</b>！", "👑 {name} now holds the title <b>{item}</b>!"},
    {"grant.badge_granted", "🏅 {name} 获得徽章 <b>{item}</b>！", "🏅 {name} earned the badge <b>{item}</b>!"},
    {"grant.title_revoked", "↩️ 已撤销 {name} 的头衔 {item}。", "↩️ Revoked the title {item} from {name}."},
    {"grant.badge_revoked", "↩️ 已撤销 {name} 的徽章 {item}。", "↩️ Revoked the badge {item} from {name}."},
};

const struct kb_module grant_module = {
    .name = "grant",
    .commands = commands,
    .n_commands = KB_COUNT(commands),
    .texts = texts,
    .n_texts = KB_COUNT(texts),
};
