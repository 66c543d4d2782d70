/*
 * Tasks: posting and editing (operators), claiming and
 * submitting (members).  Review, payouts, tallies and reminders live in
 * review.c, the definition parser in taskdef.c.  See task.h and docs/tasks.md.
 *
 * A claim's life: claimed -> submitted -> approved, or -> rejected ->
 * submitted again; withdrawn (/unclaim) and cancelled (/task cancel) end it.
 * "expired" is never stored: a claimed or rejected claim whose deadline has
 * passed is shown as expired, computed from now.
 */
#include "task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "award.h"
#include "command.h"
#include "defn.h"
#include "repeat.h"
#include "schedule.h"
#include "standing.h"
#include "who.h"

#define SUBMIT_MAX 2000
#define NOTE_MAX 500
#define LIST_MAX 30

/* ==== rows and formatting ============================================== */

int task_parse_id(const char *s, int64_t *id)
{
    if (s && *s == '#')
        s++;
    return parse_i64(s ? s : "", 1, INT64_MAX / 2, id);
}

int task_load(struct engine *e, int64_t community_id, int64_t id, struct task_row *t)
{
    memset(t, 0, sizeof *t);
    sqlite3_stmt *s = store_query(
        e->st,
        "SELECT id, community_id, points, cash, coalesce(deadline, 0), quota, min_level, claimed,"
        " review, tier, title, brief, currency, gift, badge, title_reward, access, state"
        " FROM tasks WHERE id = ? AND community_id = ?",
        VALS(SI(id), SI(community_id)));
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    if (rc == 1) {
        int64_t *ints[] = {&t->id, &t->community_id, &t->points, &t->cash, &t->deadline,
                           &t->quota, &t->min_level, &t->claimed};
        for (int i = 0; i < 8; i++)
            *ints[i] = store_int(s, i);
        t->review = (int)store_int(s, 8);
        char **strs[] = {&t->tier, &t->title, &t->brief, &t->currency, &t->gift,
                         &t->badge, &t->title_reward, &t->access, &t->state};
        for (int i = 0; i < 9; i++)
            *strs[i] = xstrdup(store_text(s, 9 + i));
        rc = KB_OK;
    } else if (rc == 0) {
        rc = KB_ENOTFOUND;
    }
    store_done(s);
    if (!rc) {
        char target[32];
        snprintf(target, sizeof target, "task:%lld", (long long)id);
        rc = tag_limit_get(e, target, t->tag);
    }
    return rc;
}

void task_row_free(struct task_row *t)
{
    char *strs[] = {t->tier, t->title, t->brief, t->currency, t->gift,
                    t->badge, t->title_reward, t->access, t->state};
    for (int i = 0; i < 9; i++)
        free(strs[i]);
    memset(t, 0, sizeof *t);
}

void task_money(const char *lang, struct sbuf *out, int64_t cents, const char *currency)
{
    const char *sign = cents < 0 ? "-" : "";
    int64_t a = cents < 0 ? -cents : cents;
    if (lang && !text_lang_is_en(lang) && strcmp(currency, "CNY") == 0) /* as a Chinese reader writes yuan */
        sbuf_addf(out, "%s¥%lld.%02lld", sign, (long long)(a / 100), (long long)(a % 100));
    else
        sbuf_addf(out, "%s%lld.%02lld %s", sign, (long long)(a / 100), (long long)(a % 100), currency);
}

void task_reward_format(const char *lang, const struct task_row *t, struct sbuf *out)
{
    size_t start = out->len;
#define SEP() do { if (out->len > start) text_format(out, lang, "standing.sep", NOARGS); } while (0)
    if (t->points) {
        SEP();
        text_format(out, lang, "task.reward.points", ARGS(TI("n", t->points)));
    }
    if (t->cash) {
        struct sbuf m = {0};
        task_money(lang, &m, t->cash, t->currency);
        SEP();
        text_format(out, lang, "task.reward.cash", ARGS(TU("amount", m.s)));
        sbuf_free(&m);
    }
    if (*t->gift) {
        SEP();
        text_format(out, lang, "task.reward.gift", ARGS(TU("name", t->gift)));
    }
    if (*t->badge) {
        SEP();
        text_format(out, lang, "task.reward.badge", ARGS(TU("name", t->badge)));
    }
    if (*t->title_reward) {
        SEP();
        text_format(out, lang, "task.reward.title", ARGS(TU("name", t->title_reward)));
    }
#undef SEP
    if (out->len == start)
        text_format(out, lang, "task.reward.none", NOARGS);
}

void task_mention(struct engine *e, int64_t member_id, struct sbuf *out)
{
    sqlite3_stmt *s = store_query(e->st, "SELECT name, coalesce(handle, '') FROM members WHERE id = ?",
                                  VALS(SI(member_id)));
    if (s && store_step(e->st, s) == 1) {
        if (*store_text(s, 1)) {
            struct sbuf h = {0};
            sbuf_addf(&h, "@%s", store_text(s, 1));
            text_user(out, h.s);
            sbuf_free(&h);
        } else {
            text_user(out, store_text(s, 0));
        }
    } else {
        sbuf_add(out, "?");
    }
    store_done(s);
}

/* The task's pools as "a, b" (caller frees), or NULL when none. */
static char *task_pools_dup(struct engine *e, int64_t task_id)
{
    sqlite3_stmt *s = store_query(e->st, "SELECT pool FROM task_pools WHERE task_id = ? ORDER BY pool",
                                  VALS(SI(task_id)));
    struct sbuf b = {0};
    while (s && store_step(e->st, s) == 1) {
        if (b.len)
            sbuf_add(&b, ", ");
        sbuf_add(&b, store_text(s, 0));
    }
    store_done(s);
    return b.len ? sbuf_take(&b) : NULL;
}

static void deadline_text(struct cmd_ctx *c, int64_t deadline, struct sbuf *out)
{
    if (!deadline) {
        text_format(out, c->lang, "task.no_deadline", NOARGS);
        return;
    }
    char buf[32];
    when_format(deadline, c->comm.tz, buf, sizeof buf);
    sbuf_add(out, buf);
}

static void tier_text(struct cmd_ctx *c, const char *tier, struct sbuf *out)
{
    char key[32];
    snprintf(key, sizeof key, "task.tier.%s", tier);
    text_format(out, c->lang, key, NOARGS);
}

/* Who may claim, e.g. "Level 2+ · pools: photography · 3 invited". */
static void access_text(struct cmd_ctx *c, const struct task_row *t, struct sbuf *out)
{
    if (!strcmp(t->access, "everyone")) {
        text_format(out, c->lang, "task.access.everyone", NOARGS);
    } else if (!strcmp(t->access, "invite")) {
        text_format(out, c->lang, "task.access.invite", NOARGS);
    } else {
        size_t start = out->len;
        if (t->min_level > 0)
            text_format(out, c->lang, "task.access.level", ARGS(TI("level", t->min_level)));
        char *pools = task_pools_dup(c->e, t->id);
        if (pools) {
            if (out->len > start)
                sbuf_add(out, " · ");
            text_format(out, c->lang, "task.access.pools", ARGS(TU("pools", pools)));
        }
        free(pools);
    }
    if (t->tag[0]) {
        sbuf_add(out, " · ");
        text_format(out, c->lang, "task.access.tag", ARGS(TU("tag", t->tag)));
    }
    int64_t invited = 0;
    store_i64(c->st, &invited, "SELECT count(*) FROM task_invites WHERE task_id = ?", VALS(SI(t->id)));
    if (invited > 0) {
        sbuf_add(out, " · ");
        text_format(out, c->lang, "task.access.invited_n", ARGS(TI("n", invited)));
    }
}

static void quota_text(struct cmd_ctx *c, const struct task_row *t, struct sbuf *out)
{
    if (t->quota)
        text_format(out, c->lang, "task.quota.n", ARGS(TI("claimed", t->claimed), TI("quota", t->quota)));
    else
        text_format(out, c->lang, "task.quota.unlimited", ARGS(TI("claimed", t->claimed)));
}

/* The reward as the chat may see it: the fee of an invitation-only task
   is a private term, shown only in private chats (the invitees got it
   with their invitation). */
static void reward_text(struct cmd_ctx *c, const struct task_row *t, struct sbuf *out)
{
    task_reward_shown(c->lang, t, c->ev->chat_type == KB_CHAT_PRIVATE, out);
}

void task_reward_shown(const char *lang, const struct task_row *t, int private_chat, struct sbuf *out)
{
    if (private_chat || !t->cash || strcmp(t->access, "invite") != 0) {
        task_reward_format(lang, t, out);
        return;
    }
    struct task_row rest = *t;
    rest.cash = 0;
    if (rest.points || *rest.gift || *rest.badge || *rest.title_reward) {
        task_reward_format(lang, &rest, out);
        sbuf_add(out, ", ");
    }
    text_format(out, lang, "task.reward.cash_private", NOARGS);
}

/* A brief as stored ("background: …" lines for the creative-brief
   sections, see taskdef.c), with the section names in the reader's
   language. */
static void brief_text(struct cmd_ctx *c, const char *brief, struct sbuf *out)
{
    static const char *const sections[] = {"background", "messages", "style", "deliverables"};
    for (const char *line = brief; line;) {
        const char *end = strchr(line, '\n');
        char *copy = end ? xstrndup(line, (size_t)(end - line)) : xstrdup(line);
        const char *label = NULL, *rest = copy;
        for (size_t i = 0; i < KB_COUNT(sections) && !label; i++) {
            size_t n = strlen(sections[i]);
            if (strncmp(copy, sections[i], n) == 0 && copy[n] == ':' && copy[n + 1] == ' ') {
                char key[40];
                snprintf(key, sizeof key, "task.section.%s", sections[i]);
                label = text_get(c->lang, key);
                rest = copy + n + 2;
            }
        }
        if (line != brief)
            sbuf_addc(out, '\n');
        if (label) {
            struct sbuf body = {0};
            text_user_block(&body, rest);
            text_format(out, c->lang, "task.section", ARGS(TS("label", label), TS("text", body.s)));
            sbuf_free(&body);
        } else {
            text_user_block(out, copy);
        }
        free(copy);
        line = end ? end + 1 : NULL;
    }
}

/* The full card: header, reward, deadline, quota, who, review, brief. */
static void task_card(struct cmd_ctx *c, const struct task_row *t, struct sbuf *out)
{
    struct sbuf tier = {0}, reward = {0}, dl = {0}, who = {0}, quota = {0}, state = {0};
    tier_text(c, t->tier, &tier);
    reward_text(c, t, &reward);
    deadline_text(c, t->deadline, &dl);
    access_text(c, t, &who);
    quota_text(c, t, &quota);
    char skey[32];
    int expired = t->deadline && t->deadline <= c->now && !strcmp(t->state, "open");
    snprintf(skey, sizeof skey, "task.state.%s", expired ? "expired" : t->state);
    text_format(&state, c->lang, skey, NOARGS);
    text_format(out, c->lang, "task.card",
                ARGS(TI("id", t->id), TS("tier", tier.s), TU("title", t->title), TS("reward", reward.s),
                     TS("deadline", dl.s), TS("quota", quota.s), TS("who", who.s),
                     TS("review", text_get(c->lang, t->review ? "task.review.yes" : "task.review.no")),
                     TS("state", state.s)));
    if (*t->brief) {
        sbuf_add(out, "\n\n");
        brief_text(c, t->brief, out);
    }
    sbuf_free(&tier);
    sbuf_free(&reward);
    sbuf_free(&dl);
    sbuf_free(&who);
    sbuf_free(&quota);
    sbuf_free(&state);
}

/* ==== eligibility ====================================================== */

enum elig { ELIG_OK = 0, ELIG_LEVEL, ELIG_POOL, ELIG_INVITE, ELIG_TAG };

static int task_eligible(struct engine *e, const struct task_row *t, int64_t member_id, enum elig *why)
{
    *why = ELIG_OK;
    int64_t one = 0;
    int rc = store_i64(e->st, &one, "SELECT 1 FROM task_invites WHERE task_id = ? AND member_id = ?",
                       VALS(SI(t->id), SI(member_id)));
    if (rc == KB_OK)
        return KB_OK;
    if (rc != KB_ENOTFOUND)
        return rc;
    int tagged = 1; /* a tag limit holds on top of who else may claim */
    rc = t->tag[0] ? tag_has(e, member_id, t->tag, &tagged) : KB_OK;
    if (rc || !tagged) {
        *why = rc ? ELIG_OK : ELIG_TAG;
        return rc;
    }
    if (!strcmp(t->access, "everyone"))
        return KB_OK;
    if (!strcmp(t->access, "invite")) {
        *why = ELIG_INVITE;
        return KB_OK;
    }
    if (t->min_level > 0) {
        int level = 1;
        rc = standing_level(e, member_id, &level);
        if (rc)
            return rc;
        if (level < t->min_level) {
            *why = ELIG_LEVEL;
            return KB_OK;
        }
    }
    char *pools = task_pools_dup(e, t->id);
    if (!pools)
        return KB_OK;
    int in = 0;
    for (char *p = pools; *p && !in && !rc;) {
        char *end = strstr(p, ", ");
        if (end)
            *end = '\0';
        rc = standing_in_pool(e, member_id, p, &in);
        p = end ? end + 2 : p + strlen(p);
    }
    free(pools);
    if (!rc && !in)
        *why = ELIG_POOL;
    return rc;
}

/* A refusal for why (ELIG_*): the catalogue reply to the member. */
static int refuse_ineligible(struct cmd_ctx *c, const struct task_row *t, enum elig why)
{
    if (why == ELIG_LEVEL) {
        int level = 1;
        standing_level(c->e, c->member_id, &level);
        return ctx_refuse(c, "task.refuse.level", ARGS(TI("need", t->min_level), TI("have", level)));
    }
    if (why == ELIG_POOL) {
        char *pools = task_pools_dup(c->e, t->id);
        int rc = ctx_refuse(c, "task.refuse.pool", ARGS(TU("pools", pools ? pools : "")));
        free(pools);
        return rc;
    }
    if (why == ELIG_TAG)
        return ctx_refuse(c, "task.refuse.tag", ARGS(TU("tag", t->tag)));
    return ctx_refuse(c, "task.refuse.invite", NOARGS);
}

/* ==== small helpers ==================================================== */

/* Announce in this chat, or in the community's groups when we are in a
   private chat with the bot. */
static int announce(struct cmd_ctx *c, const char *markup, const char *buttons, const char *ref)
{
    if (c->ev->chat_type == KB_CHAT_PRIVATE)
        return community_post(c->e, c->comm.id, markup, buttons, ref, c->now);
    return ctx_post(c, markup, buttons, ref);
}

/* Load the task named by the next word of *p, replying when it is unknown.
   Returns KB_OK with t filled, KB_ENOTFOUND after replying, or an error. */
int task_from_arg(struct cmd_ctx *c, const char **p, struct task_row *t, const char *usage)
{
    char *w = command_next_word(p);
    int64_t id = 0;
    int bad_id = !w || task_parse_id(w, &id);
    free(w);
    if (bad_id) {
        int rc = ctx_reply(c, usage, NOARGS);
        return rc ? rc : KB_ENOTFOUND;
    }
    int rc = task_load(c->e, c->comm.id, id, t);
    if (rc == KB_ENOTFOUND) {
        rc = ctx_reply(c, "task.not_found", ARGS(TI("id", id)));
        return rc ? rc : KB_ENOTFOUND;
    }
    return rc;
}

/* Resolve "@a @b c" to member ids (caller frees *ids); *bad_word gets the
   first unknown word (caller frees). */
static int resolve_members(struct cmd_ctx *c, const char *list, int64_t **ids, size_t *n, char **bad_word)
{
    *ids = NULL;
    *n = 0;
    *bad_word = NULL;
    const char *p = list;
    char *w;
    while ((w = command_next_word(&p)) != NULL) {
        /* "@a,@b" too */
        for (char *q = w; *q; q++)
            if (*q == ',')
                *q = ' ';
        const char *wp = w;
        char *part;
        while ((part = command_next_word(&wp)) != NULL) {
            int64_t id = 0;
            int rc = member_find(c->e, c->comm.id, part, &id);
            if (rc == KB_ENOTFOUND) {
                *bad_word = part;
                free(w);
                return KB_OK;
            }
            free(part);
            if (rc) {
                free(w);
                return rc;
            }
            *ids = xrealloc(*ids, (*n + 1) * sizeof **ids);
            (*ids)[(*n)++] = id;
        }
        free(w);
    }
    return KB_OK;
}

static int add_invites(struct cmd_ctx *c, int64_t task_id, const int64_t *ids, size_t n)
{
    int rc = KB_OK;
    for (size_t i = 0; i < n && !rc; i++)
        rc = task_invite(c->e, task_id, ids[i], c->member_id, c->now);
    return rc;
}

static int set_pools(struct cmd_ctx *c, int64_t task_id, const char *pools)
{
    int rc = store_exec(c->st, "DELETE FROM task_pools WHERE task_id = ?", VALS(SI(task_id)));
    if (rc || !pools)
        return rc;
    char *copy = xstrdup(pools);
    for (char *p = copy; *p && !rc;) {
        char *end = strchr(p, ',');
        if (end)
            *end = '\0';
        rc = store_exec(c->st, "INSERT OR IGNORE INTO task_pools(task_id, pool) VALUES (?, ?)",
                        VALS(SI(task_id), ST(p)));
        p = end ? end + 1 : p + strlen(p);
    }
    free(copy);
    return rc;
}

/* An invitation is personal and carries the terms (a fee among them): each
   invitee gets it privately; those the bot cannot write to privately are
   mentioned in one group post without the terms, saying why. */
static int notify_invited(struct cmd_ctx *c, const struct task_row *t, const int64_t *ids, size_t n)
{
    if (n == 0)
        return KB_OK;
    char btn[96];
    snprintf(btn, sizeof btn, "%s\x1f/claim %lld", text_get(c->lang, "task.button.claim"), (long long)t->id);
    struct sbuf reward = {0}, group = {0};
    task_reward_format(c->lang, t, &reward);
    int rc = KB_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        struct sbuf who = {0}, b = {0};
        task_mention(c->e, ids[i], &who);
        text_format(&b, c->lang, "task.invited_private",
                    ARGS(TS("who", who.s), TI("id", t->id), TU("title", t->title), TS("reward", reward.s)));
        int sent = 0;
        rc = member_tell_privately(c->e, ids[i], b.s, btn, c->now, &sent);
        if (!rc && !sent) {
            if (group.len)
                sbuf_addc(&group, ' ');
            sbuf_add(&group, who.s);
        }
        sbuf_free(&who);
        sbuf_free(&b);
    }
    if (!rc && group.len) {
        struct sbuf b = {0};
        text_format(&b, c->lang, "task.invited",
                    ARGS(TS("who", group.s), TI("id", t->id), TU("title", t->title)));
        member_private_note(c->lang, group.s, &b);
        rc = announce(c, b.s, btn, NULL);
        sbuf_free(&b);
    }
    sbuf_free(&reward);
    sbuf_free(&group);
    return rc;
}

/* ==== operators: /task new|edit|close|cancel|invite|list|show ========== */

int task_insert(struct engine *e, int64_t community_id, const struct task_def *d, int64_t created_by, int64_t now,
                int64_t *id)
{
    sqlite3_stmt *s = store_query(
        e->st,
        "INSERT INTO tasks(community_id, tier, title, brief, points, cash, currency, gift, badge,"
        " title_reward, deadline, quota, access, min_level, review, created_by, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?17) RETURNING id",
        VALS(SI(community_id), ST(d->tier), ST(d->title), ST(d->brief ? d->brief : ""), SI(d->points),
             SI(d->cash), ST(d->cash ? d->currency : ""), ST(d->gift ? d->gift : ""),
             ST(d->badge ? d->badge : ""), ST(d->title_reward ? d->title_reward : ""),
             d->deadline ? SI(d->deadline) : SN, SI(d->quota), ST(d->access), SI(d->min_level),
             SI(d->review), created_by ? SI(created_by) : SN, SI(now)));
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    if (rc == 1) {
        *id = store_int(s, 0);
        rc = store_step(e->st, s) < 0 ? store_failure(e->st) : KB_OK;
    } else {
        rc = store_failure(e->st);
    }
    store_done(s);
    return rc;
}

int task_invite(struct engine *e, int64_t task_id, int64_t member_id, int64_t by, int64_t now)
{
    return store_exec(e->st,
                      "INSERT OR IGNORE INTO task_invites(task_id, member_id, invited_by, at) VALUES (?, ?, ?, ?)",
                      VALS(SI(task_id), SI(member_id), by ? SI(by) : SN, SI(now)));
}

static int reply_bad_def(struct cmd_ctx *c, const char *err_key, const struct task_def *d)
{
    struct sbuf b = {0};
    text_format(&b, c->lang, err_key, ARGS(TU("field", d->field)));
    sbuf_add(&b, "\n");
    text_format(&b, c->lang, "task.new_usage", NOARGS);
    int rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    return rc;
}

/* A task nobody could ever claim (a level above the ladder, a pool that
   does not exist) is refused: KB_EINVAL once the reply is queued. */
static int refuse_unreachable(struct cmd_ctx *c, const struct task_def *d)
{
    struct sbuf b = {0};
    int rc = standing_audience_check(c->e, c->comm.id, d->min_level, d->pools, c->lang, &b);
    if (rc == KB_EINVAL) {
        int sent = ctx_reply_markup(c, b.s, 0);
        rc = sent ? sent : KB_EINVAL;
    }
    sbuf_free(&b);
    return rc;
}

/* A task limited to a tag nobody holds yet (a quiz may hand it out
   later) is posted with a note saying so. */
static int task_tag_note(struct cmd_ctx *c, const char *tag)
{
    int64_t n = 0;
    int rc = tag_count(c->e, c->comm.id, tag, &n);
    return rc || n ? rc : ctx_reply(c, "tag.limit_nobody", ARGS(TU("tag", tag)));
}

static int op_new(struct cmd_ctx *c)
{
    const char *rest = c->args;
    struct task_def d;
    const char *err_key;
    if (!*command_skip_space(rest))
        return ctx_reply(c, "task.new_usage", NOARGS);
    if (task_definition_parse(rest, c->comm.tz, c->now, &d, &err_key))
        return reply_bad_def(c, err_key, &d);
    int64_t *inv = NULL;
    size_t n_inv = 0;
    char *unknown = NULL;
    struct sbuf repeats = {0}; /* the series' line, for a repeating task */
    int rc = refuse_unreachable(c, &d);
    if (rc) {
        rc = rc == KB_EINVAL ? KB_OK : rc;
        goto out;
    }
    rc = d.invites ? resolve_members(c, d.invites, &inv, &n_inv, &unknown) : KB_OK;
    if (!rc && unknown) {
        rc = ctx_reply(c, "task.unknown_member", ARGS(TU("who", unknown)));
        goto out;
    }
    int64_t id = 0;
    if (!rc)
        rc = task_insert(c->e, c->comm.id, &d, c->member_id, c->now, &id);
    if (!rc)
        rc = set_pools(c, id, d.pools);
    if (!rc)
        rc = add_invites(c, id, inv, n_inv);
    if (!rc && (d.given & TD_ROUNDS))
        rc = store_exec(c->st, "UPDATE tasks SET max_rounds = ? WHERE id = ?", VALS(SI(d.rounds), SI(id)));
    if (!rc && d.repeat_days) /* before the card: it may set the deadline */
        rc = repeat_series_start(c, id, &d, &repeats);
    char target[32];
    snprintf(target, sizeof target, "task:%lld", (long long)id);
    if (!rc && d.tag)
        rc = tag_limit_set(c->e, c->comm.id, target, d.tag);
    if (!rc)
        rc = audit_add(c, "task.post", target, d.title);
    struct task_row t;
    if (!rc)
        rc = task_load(c->e, c->comm.id, id, &t);
    if (rc)
        goto out;
    struct sbuf card = {0}, post = {0};
    task_card(c, &t, &card);
    text_format(&post, c->lang, "task.announce", ARGS(TS("card", card.s), TI("id", id)));
    char btn[96];
    snprintf(btn, sizeof btn, "%s\x1f/claim %lld", text_get(c->lang, "task.button.claim"), (long long)id);
    struct sbuf posted = {0};
    text_format(&posted, c->lang, "task.posted", ARGS(TI("id", id)));
    sbuf_add(&posted, sbuf_str(&repeats));
    rc = ctx_reply_markup(c, posted.s, 0);
    sbuf_free(&posted);
    if (!rc && t.tag[0])
        rc = task_tag_note(c, t.tag);
    if (!rc && d.all_groups) /* the announcement's message ids are kept under "task:<id>" */
        rc = community_post(c->e, c->comm.id, post.s, btn, target, c->now);
    else if (!rc)
        rc = announce(c, post.s, btn, target);
    if (!rc)
        rc = notify_invited(c, &t, inv, n_inv);
    sbuf_free(&card);
    sbuf_free(&post);
    task_row_free(&t);
out:
    sbuf_free(&repeats);
    free(unknown);
    free(inv);
    task_def_free(&d);
    return rc;
}

int task_post_copy(struct engine *e, int64_t community_id, int64_t from_id, int64_t deadline,
                   const char *platform, const char *chat_id, const char *note, int64_t now,
                   int64_t *new_id)
{
    /* the announcement is the one /task new makes, from a command context
       standing for the chat it goes to */
    struct kb_event ev = {.kind = KB_EV_MESSAGE, .platform = platform, .chat_id = chat_id,
                          .chat_type = KB_CHAT_GROUP};
    struct cmd_ctx c = {.e = e, .st = e->st, .ev = &ev, .now = now, .at = now};
    int rc = community_load(e, community_id, &c.comm);
    if (rc)
        return rc;
    c.lang = c.comm.locale;
    rc = store_exec(e->st,
                    "INSERT INTO tasks(community_id, tier, title, brief, points, cash, currency, gift, badge,"
                    " title_reward, deadline, quota, access, min_level, review, created_by, created_at, updated_at)"
                    " SELECT community_id, tier, title, brief, points, cash, currency, gift, badge, title_reward,"
                    " ?3, quota, access, min_level, review, created_by, ?4, ?4 FROM tasks"
                    " WHERE id = ?1 AND community_id = ?2",
                    VALS(SI(from_id), SI(community_id), deadline ? SI(deadline) : SN, SI(now)));
    if (rc)
        return rc;
    if (store_changes(e->st) != 1)
        return KB_ENOTFOUND;
    int64_t id = store_last_id(e->st);
    *new_id = id;
    rc = store_exec(e->st, "INSERT INTO task_pools(task_id, pool) SELECT ?, pool FROM task_pools WHERE task_id = ?",
                    VALS(SI(id), SI(from_id)));
    if (!rc)
        rc = store_exec(e->st,
                        "INSERT INTO task_invites(task_id, member_id, invited_by, at)"
                        " SELECT ?, member_id, invited_by, ? FROM task_invites WHERE task_id = ?",
                        VALS(SI(id), SI(now), SI(from_id)));
    struct task_row t;
    if (!rc)
        rc = task_load(e, community_id, id, &t);
    if (rc)
        return rc;
    struct sbuf card = {0}, post = {0};
    task_card(&c, &t, &card);
    text_format(&post, c.lang, "task.announce", ARGS(TS("card", card.s), TI("id", id)));
    if (note && *note) {
        sbuf_add(&post, "\n");
        sbuf_add(&post, note);
    }
    char btn[96], target[32];
    snprintf(btn, sizeof btn, "%s\x1f/claim %lld", text_get(c.lang, "task.button.claim"), (long long)id);
    snprintf(target, sizeof target, "task:%lld", (long long)id);
    rc = chat_id ? ctx_post(&c, post.s, btn, target) : community_post(e, community_id, post.s, btn, target, now);
    sbuf_free(&card);
    sbuf_free(&post);
    task_row_free(&t);
    return rc;
}

static int op_edit(struct cmd_ctx *c)
{
    const char *rest = c->args;
    struct task_row t;
    int rc = task_from_arg(c, &rest, &t, "task.edit_usage");
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    struct task_def d;
    const char *err_key;
    int64_t *inv = NULL;
    size_t n_inv = 0;
    char *unknown = NULL;
    if (!strcmp(t.state, "cancelled")) {
        rc = ctx_reply(c, "task.refuse.cancelled", ARGS(TI("id", t.id)));
        task_row_free(&t);
        return rc;
    }
    if (task_edit_parse(rest, c->comm.tz, c->now, &d, &err_key)) {
        rc = reply_bad_def(c, err_key, &d);
        task_row_free(&t);
        return rc;
    }
    if ((d.given & TD_ACCESS) && (rc = refuse_unreachable(c, &d)) != KB_OK) {
        rc = rc == KB_EINVAL ? KB_OK : rc;
        goto out;
    }
    if (d.given & TD_INVITE) {
        rc = resolve_members(c, d.invites, &inv, &n_inv, &unknown);
        if (!rc && unknown) {
            rc = ctx_reply(c, "task.unknown_member", ARGS(TU("who", unknown)));
            goto out;
        }
    }
    if (!rc && (d.given & TD_QUOTA) && d.quota && d.quota < t.claimed) {
        rc = ctx_reply(c, "task.bad.quota_below", ARGS(TI("claimed", t.claimed)));
        goto out;
    }
    struct sbuf fields = {0};
#define EDIT(bit, name, sql, ...)                                            \
    if (!rc && (d.given & (bit))) {                                          \
        rc = store_exec(c->st, sql, VALS(__VA_ARGS__));                      \
        sbuf_add(&fields, fields.len ? ", " name : name);                    \
    }
    EDIT(TD_TIER, "tier", "UPDATE tasks SET tier = ? WHERE id = ?", ST(d.tier), SI(t.id))
    EDIT(TD_TITLE, "title", "UPDATE tasks SET title = ? WHERE id = ?", ST(d.title), SI(t.id))
    EDIT(TD_BRIEF, "brief", "UPDATE tasks SET brief = ? WHERE id = ?", ST(d.brief), SI(t.id))
    EDIT(TD_REWARD, "reward",
         "UPDATE tasks SET points = ?, cash = ?, currency = ?, gift = ?, badge = ?, title_reward = ?"
         " WHERE id = ?",
         SI(d.points), SI(d.cash), ST(d.cash ? d.currency : ""), ST(d.gift ? d.gift : ""),
         ST(d.badge ? d.badge : ""), ST(d.title_reward ? d.title_reward : ""), SI(t.id))
    EDIT(TD_DEADLINE, "deadline", "UPDATE tasks SET deadline = ? WHERE id = ?",
         d.deadline ? SI(d.deadline) : SN, SI(t.id))
    EDIT(TD_QUOTA, "quota", "UPDATE tasks SET quota = ? WHERE id = ?", SI(d.quota), SI(t.id))
    EDIT(TD_ACCESS, "access", "UPDATE tasks SET access = ?, min_level = ? WHERE id = ?",
         ST(d.access), SI(d.min_level), SI(t.id))
    EDIT(TD_REVIEW, "review", "UPDATE tasks SET review = ? WHERE id = ?", SI(d.review), SI(t.id))
    EDIT(TD_ROUNDS, "rounds", "UPDATE tasks SET max_rounds = ? WHERE id = ?", SI(d.rounds), SI(t.id))
#undef EDIT
    if (!rc && (d.given & TD_ACCESS))
        rc = set_pools(c, t.id, d.pools);
    if (!rc && (d.given & TD_TAG)) {
        char target[32];
        snprintf(target, sizeof target, "task:%lld", (long long)t.id);
        rc = tag_limit_set(c->e, c->comm.id, target, d.tag);
        sbuf_add(&fields, fields.len ? ", tag" : "tag");
        if (!rc && d.tag[0])
            rc = task_tag_note(c, d.tag);
    }
    if (!rc && n_inv) {
        rc = add_invites(c, t.id, inv, n_inv);
        sbuf_add(&fields, fields.len ? ", invite" : "invite");
    }
    if (!rc)
        rc = store_exec(c->st, "UPDATE tasks SET updated_at = ? WHERE id = ?", VALS(SI(c->now), SI(t.id)));
    char target[32];
    snprintf(target, sizeof target, "task:%lld", (long long)t.id);
    if (!rc)
        rc = audit_add(c, "task.edit", target, fields.s);
    if (!rc)
        rc = ctx_reply(c, "task.edited", ARGS(TI("id", t.id), TS("fields", fields.s)));
    if (!rc && n_inv) {
        int64_t id = t.id;
        task_row_free(&t);
        rc = task_load(c->e, c->comm.id, id, &t);
        if (!rc)
            rc = notify_invited(c, &t, inv, n_inv);
    }
    sbuf_free(&fields);
out:
    free(unknown);
    free(inv);
    task_def_free(&d);
    task_row_free(&t);
    return rc;
}

static int op_close(struct cmd_ctx *c)
{
    const char *rest = c->args;
    struct task_row t;
    int rc = task_from_arg(c, &rest, &t, "task.close_usage");
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    char target[32];
    snprintf(target, sizeof target, "task:%lld", (long long)t.id);
    if (strcmp(t.state, "open")) {
        rc = ctx_reply(c, !strcmp(t.state, "closed") ? "task.already_closed" : "task.refuse.cancelled",
                       ARGS(TI("id", t.id)));
    } else {
        rc = store_exec(c->st, "UPDATE tasks SET state = 'closed', updated_at = ? WHERE id = ?",
                        VALS(SI(c->now), SI(t.id)));
        if (!rc)
            rc = audit_add(c, "task.close", target, NULL);
        if (!rc)
            rc = ctx_reply(c, "task.closed_ok", ARGS(TI("id", t.id), TU("title", t.title)));
    }
    task_row_free(&t);
    return rc;
}

static int op_cancel(struct cmd_ctx *c)
{
    const char *rest = c->args;
    struct task_row t;
    int rc = task_from_arg(c, &rest, &t, "task.cancel_usage");
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    const char *note = command_skip_space(rest);
    if (!strcmp(t.state, "cancelled")) {
        rc = ctx_reply(c, "task.refuse.cancelled", ARGS(TI("id", t.id)));
        goto out;
    }
    if (strlen(note) > NOTE_MAX) {
        rc = ctx_reply(c, "task.note_too_long", ARGS(TI("max", NOTE_MAX)));
        goto out;
    }
    /* tell everyone with a live claim */
    struct sbuf who = {0};
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT member_id FROM claims WHERE task_id = ?"
                                  " AND state IN ('claimed','submitted','rejected') ORDER BY id",
                                  VALS(SI(t.id)));
    int64_t ids[64];
    size_t n = 0;
    while (s && store_step(c->st, s) == 1 && n < 64)
        ids[n++] = store_int(s, 0);
    store_done(s);
    for (size_t i = 0; i < n; i++) {
        if (i)
            sbuf_addc(&who, ' ');
        task_mention(c->e, ids[i], &who);
    }
    rc = store_exec(c->st,
                    "UPDATE claims SET state = 'cancelled', updated_at = ?1 WHERE task_id = ?2"
                    " AND state IN ('claimed','submitted','rejected')",
                    VALS(SI(c->now), SI(t.id)));
    if (!rc)
        rc = store_exec(c->st,
                        "UPDATE submissions SET state = 'cancelled' WHERE task_id = ? AND state = 'pending'",
                        VALS(SI(t.id)));
    /* claimed keeps the places taken when it was cancelled, as the
       claimers list shows them */
    if (!rc)
        rc = store_exec(c->st,
                        "UPDATE tasks SET state = 'cancelled', note = ?1, updated_at = ?2 WHERE id = ?3",
                        VALS(ST(note), SI(c->now), SI(t.id)));
    char target[32];
    snprintf(target, sizeof target, "task:%lld", (long long)t.id);
    if (!rc)
        rc = audit_add(c, "task.cancel", target, note);
    if (!rc) {
        struct sbuf b = {0};
        text_format(&b, c->lang, *note ? "task.cancelled_notice" : "task.cancelled_notice_plain",
                    ARGS(TI("id", t.id), TU("title", t.title), TU("note", note)));
        if (who.len) /* the claimers, mentioned on a line of their own */
            sbuf_addf(&b, "\n%s", who.s);
        rc = announce(c, b.s, NULL, NULL);
        sbuf_free(&b);
    }
    if (!rc && c->ev->chat_type == KB_CHAT_PRIVATE)
        rc = ctx_reply(c, "task.cancelled_ok", ARGS(TI("id", t.id)));
    sbuf_free(&who);
out:
    task_row_free(&t);
    return rc;
}

static int op_invite(struct cmd_ctx *c)
{
    const char *rest = c->args;
    struct task_row t;
    int rc = task_from_arg(c, &rest, &t, "task.invite_usage");
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    int64_t *ids = NULL;
    size_t n = 0;
    char *unknown = NULL;
    if (strcmp(t.state, "open")) {
        rc = ctx_reply(c, "task.refuse.not_open", ARGS(TI("id", t.id)));
        goto out;
    }
    rc = resolve_members(c, rest, &ids, &n, &unknown);
    if (!rc && unknown)
        rc = ctx_reply(c, "task.unknown_member", ARGS(TU("who", unknown)));
    else if (!rc && n == 0)
        rc = ctx_reply(c, "task.invite_usage", NOARGS);
    else if (!rc) {
        rc = add_invites(c, t.id, ids, n);
        struct sbuf detail = {0};
        for (size_t i = 0; i < n; i++)
            sbuf_addf(&detail, "%smember:%lld", i ? " " : "", (long long)ids[i]);
        char target[32];
        snprintf(target, sizeof target, "task:%lld", (long long)t.id);
        if (!rc)
            rc = audit_add(c, "task.invite", target, detail.s);
        sbuf_free(&detail);
        if (!rc)
            rc = notify_invited(c, &t, ids, n);
        if (!rc && c->ev->chat_type == KB_CHAT_PRIVATE)
            rc = ctx_reply(c, "task.invited_ok", ARGS(TI("id", t.id), TI("n", (int64_t)n)));
    }
out:
    free(ids);
    free(unknown);
    task_row_free(&t);
    return rc;
}

static int op_list(struct cmd_ctx *c)
{
    const char *rest = c->args;
    const char *mode = command_skip_space(rest);
    if (!*mode)
        mode = "open";
    mode = command_keyword(mode);
    if (strcmp(mode, "open") && strcmp(mode, "closed") && strcmp(mode, "all"))
        return ctx_reply(c, "task.list_usage", NOARGS);
    sqlite3_stmt *s = store_query(
        c->st,
        "SELECT id FROM tasks WHERE community_id = ?1 AND (?2 = 'all' OR"
        " (?2 = 'open') = (state = 'open' AND (deadline IS NULL OR deadline > ?3)))"
        " ORDER BY id DESC LIMIT 30",
        VALS(SI(c->comm.id), ST(mode), SI(c->now)));
    if (!s)
        return store_failure(c->st);
    int64_t ids[LIST_MAX];
    size_t n = 0;
    while (n < LIST_MAX && store_step(c->st, s) == 1)
        ids[n++] = store_int(s, 0);
    store_done(s);
    if (n == 0)
        return ctx_reply(c, "task.list_empty", NOARGS);
    struct sbuf b = {0};
    text_format(&b, c->lang, "task.list_header", NOARGS);
    int rc = KB_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        struct task_row t;
        rc = task_load(c->e, c->comm.id, ids[i], &t);
        if (rc)
            break;
        int64_t pending = 0;
        store_i64(c->st, &pending, "SELECT count(*) FROM submissions WHERE task_id = ? AND state = 'pending'",
                  VALS(SI(t.id)));
        struct sbuf tier = {0}, quota = {0}, dl = {0}, state = {0};
        tier_text(c, t.tier, &tier);
        quota_text(c, &t, &quota);
        deadline_text(c, t.deadline, &dl);
        char skey[32];
        int expired = t.deadline && t.deadline <= c->now && !strcmp(t.state, "open");
        snprintf(skey, sizeof skey, "task.state.%s", expired ? "expired" : t.state);
        text_format(&state, c->lang, skey, NOARGS);
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "task.list_line",
                    ARGS(TI("id", t.id), TS("tier", tier.s), TU("title", t.title), TS("quota", quota.s),
                         TI("pending", pending), TS("deadline", dl.s), TS("state", state.s)));
        sbuf_free(&tier);
        sbuf_free(&quota);
        sbuf_free(&dl);
        sbuf_free(&state);
        task_row_free(&t);
    }
    if (!rc)
        rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    return rc;
}

/* Effective claim state: claimed/rejected past the deadline reads "expired";
   returned for a round of changes (revision.c), "revising". */
#define CLAIM_STATE_SQL                                                               \
    "CASE WHEN c.state IN ('claimed','rejected') AND t.deadline IS NOT NULL"          \
    " AND " TASK_CLAIM_DUE_SQL " <= ?2 THEN 'expired'"                                 \
    " WHEN c.state = 'rejected' AND EXISTS (SELECT 1 FROM revision_requests r"        \
    "  WHERE r.submission_id = (SELECT max(id) FROM submissions WHERE claim_id = c.id))" \
    " THEN 'revising' ELSE c.state END"

static void claim_state_text(struct cmd_ctx *c, const char *state, struct sbuf *out)
{
    char key[40];
    snprintf(key, sizeof key, "task.claim.%s", state);
    text_format(out, c->lang, key, NOARGS);
}

static int op_show(struct cmd_ctx *c)
{
    const char *rest = c->args;
    struct task_row t;
    int rc = task_from_arg(c, &rest, &t, "task.show_usage");
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    struct sbuf b = {0};
    task_card(c, &t, &b);
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT c.member_id, " CLAIM_STATE_SQL ","
                                  " (SELECT max(id) FROM submissions WHERE claim_id = c.id)"
                                  " FROM claims c JOIN tasks t ON t.id = c.task_id"
                                  " WHERE c.task_id = ?1 ORDER BY c.id LIMIT 100",
                                  VALS(SI(t.id), SI(c->now)));
    if (!s) {
        rc = store_failure(c->st);
        goto out;
    }
    /* copy first: task_mention uses the statement cache */
    struct row { int64_t member, sub; char state[16]; } rows[100];
    size_t n = 0;
    while (n < 100 && (rc = store_step(c->st, s)) == 1) {
        rows[n].member = store_int(s, 0);
        snprintf(rows[n].state, sizeof rows[n].state, "%s", store_text(s, 1));
        rows[n].sub = store_int(s, 2);
        n++;
    }
    store_done(s);
    if (rc < 0)
        goto out;
    rc = KB_OK;
    /* the header counts the places taken, as the card's "claimed" does;
       those who gave the task back are listed after them */
    int64_t held = 0;
    for (size_t i = 0; i < n; i++)
        held += strcmp(rows[i].state, "withdrawn") != 0;
    sbuf_add(&b, "\n\n");
    text_format(&b, c->lang, n ? "task.claimers" : "task.no_claimers", ARGS(TI("n", held)));
    if (held < (int64_t)n)
        text_format(&b, c->lang, "task.claimers_withdrawn", ARGS(TI("n", (int64_t)n - held)));
    for (size_t i = 0; i < n; i++) {
        struct sbuf who = {0}, st = {0};
        task_mention(c->e, rows[i].member, &who);
        claim_state_text(c, rows[i].state, &st);
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, rows[i].sub ? "task.claimer_sub" : "task.claimer",
                    ARGS(TS("who", who.s), TS("state", st.s), TI("sub", rows[i].sub)));
        sbuf_free(&who);
        sbuf_free(&st);
    }
    rc = ctx_reply_markup(c, b.s, 0);
out:
    sbuf_free(&b);
    task_row_free(&t);
    return rc;
}

/* ==== members ========================================================== */

/* The member's claim on a task: state into buf ("" when none), id. */
/* The caller's claim on a task: id 0 and state "" when there is none. */
struct own_claim {
    int64_t id;
    char state[16];
    int64_t revise_until;   /* 0 = no revision window */
};

int64_t task_claim_due(int64_t deadline, int64_t revise_until)
{
    return deadline && revise_until > deadline ? revise_until : deadline;
}

static int claim_of(struct engine *e, int64_t task_id, int64_t member_id, struct own_claim *out)
{
    *out = (struct own_claim){0};
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT id, state, coalesce(revise_until, 0) FROM claims"
                                  " WHERE task_id = ? AND member_id = ?",
                                  VALS(SI(task_id), SI(member_id)));
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    if (rc == 1) {
        out->id = store_int(s, 0);
        snprintf(out->state, sizeof out->state, "%s", store_text(s, 1));
        out->revise_until = store_int(s, 2);
    }
    store_done(s);
    return rc < 0 ? rc : KB_OK;
}

static int my_claim(struct cmd_ctx *c, int64_t task_id, struct own_claim *out)
{
    return claim_of(c->e, task_id, c->member_id, out);
}

/* /claim, /unclaim and /submit open alike: the task named first in *p (p is
   left after the id) and the caller's claim on it.  KB_ENOTFOUND when the
   usage or "no such task" reply is already queued; t needs task_row_free
   only on success. */
static int task_and_own_claim(struct cmd_ctx *c, const char **p, const char *usage_key,
                              struct task_row *t, struct own_claim *mine)
{
    int rc = task_from_arg(c, p, t, usage_key);
    if (rc)
        return rc;
    rc = my_claim(c, t->id, mine);
    if (rc)
        task_row_free(t);
    return rc;
}

static int live_claim(const char *state)
{
    return !strcmp(state, "claimed") || !strcmp(state, "submitted") || !strcmp(state, "rejected");
}

int task_why_not(struct engine *e, const struct task_row *t, int64_t member_id, int64_t now, const char **key)
{
    *key = NULL;
    struct own_claim mine;
    int rc = claim_of(e, t->id, member_id, &mine);
    if (rc)
        return rc;
    enum elig why = ELIG_OK;
    if (!strcmp(t->state, "cancelled"))
        *key = "task.why.cancelled";
    else if (!strcmp(mine.state, "approved"))
        *key = "task.why.approved";
    else if (live_claim(mine.state))
        *key = "task.why.claimed";
    else if (strcmp(t->state, "open"))
        *key = "task.why.closed";
    else if (t->deadline && t->deadline <= now)
        *key = "task.why.deadline";
    else if ((rc = task_eligible(e, t, member_id, &why)) != KB_OK)
        return rc;
    else if (why == ELIG_LEVEL)
        *key = "task.why.level";
    else if (why == ELIG_POOL)
        *key = "task.why.pool";
    else if (why == ELIG_INVITE)
        *key = "task.why.invite";
    else if (why == ELIG_TAG)
        *key = "task.why.tag";
    else if (t->quota && t->claimed >= t->quota)
        *key = "task.why.full";
    return KB_OK;
}

static int why_not(struct cmd_ctx *c, const struct task_row *t, const char **key)
{
    return task_why_not(c->e, t, c->member_id, c->now, key);
}

static int cmd_tasks(struct cmd_ctx *c)
{
    int all = !strcmp(command_keyword(c->args), "all");
    if (*c->args && !all)
        return ctx_reply(c, "task.tasks_usage", NOARGS);
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT id FROM tasks WHERE community_id = ?1 AND"
                                  " (?2 OR (state = 'open' AND (deadline IS NULL OR deadline > ?3)))"
                                  " AND state <> 'cancelled' ORDER BY id DESC LIMIT 100",
                                  VALS(SI(c->comm.id), SI(all), SI(c->now)));
    if (!s)
        return store_failure(c->st);
    int64_t ids[100];
    size_t n = 0;
    while (n < 100 && store_step(c->st, s) == 1)
        ids[n++] = store_int(s, 0);
    store_done(s);
    struct sbuf b = {0};
    text_format(&b, c->lang, all ? "task.tasks_all_header" : "task.tasks_header", NOARGS);
    int rc = KB_OK;
    size_t shown = 0;
    for (size_t i = 0; i < n && !rc && shown < LIST_MAX; i++) {
        struct task_row t;
        rc = task_load(c->e, c->comm.id, ids[i], &t);
        const char *why = NULL;
        if (!rc)
            rc = why_not(c, &t, &why);
        if (!rc && (all || !why)) {
            struct sbuf tier = {0}, reward = {0}, dl = {0}, reason = {0};
            tier_text(c, t.tier, &tier);
            reward_text(c, &t, &reward);
            deadline_text(c, t.deadline, &dl);
            if (why)
                text_format(&reason, c->lang, why,
                            ARGS(TI("level", t.min_level), TI("id", t.id), TU("tag", t.tag)));
            else
                text_format(&reason, c->lang, "task.why.open", ARGS(TI("id", t.id)));
            sbuf_addc(&b, '\n');
            text_format(&b, c->lang, "task.tasks_line",
                        ARGS(TI("id", t.id), TS("tier", tier.s), TU("title", t.title),
                             TS("reward", reward.s), TS("deadline", dl.s), TS("why", reason.s)));
            shown++;
            sbuf_free(&tier);
            sbuf_free(&reward);
            sbuf_free(&dl);
            sbuf_free(&reason);
        }
        task_row_free(&t);
    }
    if (!rc && shown == 0) {
        sbuf_free(&b);
        return ctx_reply(c, all ? "task.tasks_none_at_all" : "task.tasks_none", NOARGS);
    }
    if (!rc)
        rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    return rc;
}

/* /task <id> for members: the brief, and whether they may claim it. */
static int member_show(struct cmd_ctx *c, const char *rest)
{
    struct task_row t;
    int rc = task_from_arg(c, &rest, &t, "task.member_usage");
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    struct sbuf b = {0};
    task_card(c, &t, &b);
    const char *why = NULL;
    rc = why_not(c, &t, &why);
    if (!rc) {
        sbuf_add(&b, "\n\n");
        text_format(&b, c->lang, why ? why : "task.why.open",
                    ARGS(TI("level", t.min_level), TI("id", t.id), TU("tag", t.tag)));
        rc = ctx_reply_markup(c, b.s, 0);
    }
    sbuf_free(&b);
    task_row_free(&t);
    return rc;
}

static int cmd_claim(struct cmd_ctx *c)
{
    const char *p = c->args;
    struct task_row t;
    struct own_claim mine;
    int rc = task_and_own_claim(c, &p, "task.claim_usage", &t, &mine);
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    enum elig why = ELIG_OK;
    if (!strcmp(t.state, "cancelled")) {
        rc = ctx_refuse(c, "task.refuse.cancelled", ARGS(TI("id", t.id)));
    } else if (!strcmp(mine.state, "approved")) {
        rc = ctx_refuse(c, "task.refuse.already_approved", ARGS(TI("id", t.id)));
    } else if (live_claim(mine.state)) {
        rc = ctx_refuse(c, "task.refuse.already_claimed", ARGS(TI("id", t.id)));
    } else if (strcmp(t.state, "open")) {
        rc = ctx_refuse(c, "task.refuse.closed", ARGS(TI("id", t.id)));
    } else if (t.deadline && t.deadline <= c->now) {
        rc = ctx_refuse(c, "task.refuse.deadline", ARGS(TI("id", t.id)));
    } else if ((rc = task_eligible(c->e, &t, c->member_id, &why)) != KB_OK) {
        ;
    } else if (why != ELIG_OK) {
        rc = refuse_ineligible(c, &t, why);
    } else {
        /* take a slot only if one is left: the conditional update and the
           CHECK on tasks make the last slot go exactly once */
        rc = store_exec(c->st,
                        "UPDATE tasks SET claimed = claimed + 1 WHERE id = ?1 AND state = 'open'"
                        " AND (quota = 0 OR claimed < quota) AND (deadline IS NULL OR deadline > ?2)",
                        VALS(SI(t.id), SI(c->now)));
        if (!rc && store_changes(c->st) == 0) {
            rc = ctx_refuse(c, "task.refuse.full", ARGS(TI("id", t.id), TI("quota", t.quota)));
            goto out;
        }
        if (!rc)
            rc = store_exec(c->st,
                            "INSERT INTO claims(task_id, member_id, community_id, state, platform, chat_id,"
                            " claimed_at, updated_at) VALUES (?1, ?2, ?3, 'claimed', ?4, ?5, ?6, ?6)"
                            " ON CONFLICT(task_id, member_id) DO UPDATE SET state = 'claimed',"
                            " platform = excluded.platform, chat_id = excluded.chat_id,"
                            " claimed_at = excluded.claimed_at, updated_at = excluded.updated_at"
                            " WHERE claims.state = 'withdrawn'",
                            VALS(SI(t.id), SI(c->member_id), SI(c->comm.id), ST(c->ev->platform),
                                 ST(c->ev->chat_id), SI(c->now)));
        if (!rc && store_changes(c->st) != 1)
            rc = KB_ESTORE; /* cannot happen after the checks above: roll back */
        if (rc)
            goto out;
        struct sbuf who = {0}, dl = {0};
        task_mention(c->e, c->member_id, &who);
        deadline_text(c, t.deadline, &dl);
        rc = ctx_reply(c, "task.claimed",
                       ARGS(TS("who", who.s), TI("id", t.id), TU("title", t.title), TS("deadline", dl.s)));
        text_format(&c->toast, c->lang, "task.toast.claimed", ARGS(TI("id", t.id)));
        sbuf_free(&who);
        sbuf_free(&dl);
    }
out:
    task_row_free(&t);
    return rc;
}

static int cmd_unclaim(struct cmd_ctx *c)
{
    const char *p = c->args;
    struct task_row t;
    struct own_claim mine;
    int rc = task_and_own_claim(c, &p, "task.unclaim_usage", &t, &mine);
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    if (!strcmp(mine.state, "approved")) {
        rc = ctx_reply(c, "task.refuse.already_approved", ARGS(TI("id", t.id)));
    } else if (!live_claim(mine.state)) {
        rc = ctx_reply(c, "task.refuse.not_claimed", ARGS(TI("id", t.id)));
    } else {
        rc = store_exec(c->st, "UPDATE claims SET state = 'withdrawn', updated_at = ? WHERE id = ?",
                        VALS(SI(c->now), SI(mine.id)));
        if (!rc)
            rc = store_exec(c->st,
                            "UPDATE submissions SET state = 'withdrawn' WHERE claim_id = ? AND state = 'pending'",
                            VALS(SI(mine.id)));
        if (!rc)
            rc = store_exec(c->st, "UPDATE tasks SET claimed = claimed - 1 WHERE id = ?", VALS(SI(t.id)));
        if (!rc)
            rc = ctx_reply(c, "task.unclaimed", ARGS(TI("id", t.id), TU("title", t.title)));
    }
    task_row_free(&t);
    return rc;
}

/* The attachment that goes with /submit: the message's own, or that of the
   member's own message it replies to. */
static const char *submit_attachment(const struct kb_event *ev)
{
    if (ev->attachment)
        return ev->attachment;
    if (ev->reply_to_attachment && ev->reply_to_user_id && ev->user_id &&
        !strcmp(ev->reply_to_user_id, ev->user_id))
        return ev->reply_to_attachment;
    return NULL;
}

static int cmd_submit(struct cmd_ctx *c)
{
    const char *p = c->args;
    struct task_row t;
    struct own_claim mine;
    int rc = task_and_own_claim(c, &p, "task.submit_usage", &t, &mine);
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    const char *text = command_skip_space(p);
    const char *att = submit_attachment(c->ev);
    if (!strcmp(t.state, "cancelled")) {
        rc = ctx_reply(c, "task.refuse.cancelled", ARGS(TI("id", t.id)));
    } else if (!strcmp(mine.state, "approved")) {
        rc = ctx_reply(c, "task.refuse.already_approved", ARGS(TI("id", t.id)));
    } else if (!live_claim(mine.state)) {
        rc = ctx_reply(c, "task.refuse.not_claimed", ARGS(TI("id", t.id)));
    } else if (t.deadline && task_claim_due(t.deadline, mine.revise_until) <= c->now) {
        rc = ctx_reply(c, "task.refuse.deadline", ARGS(TI("id", t.id)));
    } else if (!*text && !att) {
        rc = ctx_reply(c, "task.submit_usage", NOARGS);
    } else if (strlen(text) > SUBMIT_MAX) {
        rc = ctx_reply(c, "task.submit_too_long", ARGS(TI("max", SUBMIT_MAX)));
    } else {
        /* a new submission replaces one still waiting for review */
        rc = store_exec(c->st,
                        "UPDATE submissions SET state = 'superseded' WHERE claim_id = ? AND state = 'pending'",
                        VALS(SI(mine.id)));
        int64_t sub = 0;
        if (!rc)
            rc = store_exec(c->st,
                            "INSERT INTO submissions(claim_id, task_id, member_id, community_id, text,"
                            " attachment, platform, chat_id, state, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
                            VALS(SI(mine.id), SI(t.id), SI(c->member_id), SI(c->comm.id), ST(text),
                                 ST(att), ST(c->ev->platform), ST(c->ev->chat_id), SI(c->now)));
        if (!rc)
            sub = store_last_id(c->st);
        if (!rc)
            rc = store_exec(c->st, "UPDATE claims SET state = 'submitted', updated_at = ? WHERE id = ?",
                            VALS(SI(c->now), SI(mine.id)));
        if (rc)
            goto out;
        /* an operator's (or chat admin's) own work is never approved by
           itself: it waits for another operator, even without review */
        int own = c->is_admin && !ctx_is_owner(c);
        if (t.review || own) {
            rc = ctx_reply(c, t.review ? "task.submitted" : "task.submitted_own", ARGS(TI("id", t.id), TI("sub", sub)));
            goto out;
        }
        /* no review needed: approve at once */
        rc = store_exec(c->st,
                        "UPDATE submissions SET state = 'approved', reviewed_at = ? WHERE id = ?",
                        VALS(SI(c->now), SI(sub)));
        if (!rc)
            rc = store_exec(c->st, "UPDATE claims SET state = 'approved', updated_at = ? WHERE id = ?",
                            VALS(SI(c->now), SI(mine.id)));
        if (!rc)
            rc = task_grant(c->e, &t, mine.id, c->member_id, sub, 0, NULL, c->now);
        if (!rc) {
            struct sbuf who = {0}, reward = {0};
            task_mention(c->e, c->member_id, &who);
            task_reward_format(c->lang, &t, &reward);
            rc = ctx_reply(c, "task.auto_approved",
                           ARGS(TS("who", who.s), TI("id", t.id), TU("title", t.title), TS("reward", reward.s)));
            sbuf_free(&who);
            sbuf_free(&reward);
        }
    }
out:
    task_row_free(&t);
    return rc;
}

static int cmd_mytasks(struct cmd_ctx *c)
{
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT t.id, t.title, " CLAIM_STATE_SQL ", coalesce(" TASK_CLAIM_DUE_SQL ", 0),"
                                  " (SELECT max(id) FROM submissions WHERE claim_id = c.id)"
                                  " FROM claims c JOIN tasks t ON t.id = c.task_id"
                                  " WHERE c.member_id = ?1 AND c.state <> 'withdrawn'"
                                  " ORDER BY c.updated_at DESC, c.id DESC LIMIT 30",
                                  VALS(SI(c->member_id), SI(c->now)));
    if (!s)
        return store_failure(c->st);
    struct sbuf b = {0};
    text_format(&b, c->lang, "task.mytasks_header", NOARGS);
    int rc, n = 0;
    while ((rc = store_step(c->st, s)) == 1) {
        struct sbuf st = {0}, dl = {0};
        claim_state_text(c, store_text(s, 2), &st);
        deadline_text(c, store_int(s, 3), &dl);
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "task.mytasks_line",
                    ARGS(TI("id", store_int(s, 0)), TU("title", store_text(s, 1)), TS("state", st.s),
                         TS("deadline", dl.s)));
        sbuf_free(&st);
        sbuf_free(&dl);
        n++;
    }
    store_done(s);
    if (rc < 0) {
        sbuf_free(&b);
        return rc;
    }
    rc = n ? ctx_reply_markup(c, b.s, 0) : ctx_reply(c, "task.mytasks_none", NOARGS);
    sbuf_free(&b);
    return rc;
}

/* /task: "<id>" for everyone, subcommands for operators. */
/* /task alone: the usage for who asks; /task <id>: a task's brief (the
   operators' subcommands are the table below, dispatched by the engine). */
static int cmd_task(struct cmd_ctx *c)
{
    if (!*c->args)
        return ctx_reply(c, c->is_admin ? "task.op_usage" : "task.member_usage", NOARGS);
    return member_show(c, c->args);
}

static const struct cmd_spec commands[] = {
    {"tasks", cmd_tasks, 0, "task.help.tasks", "任务"},
    {"task", cmd_task, 0, "task.help.task", "任务详情"},
    {"claim", cmd_claim, 0, "task.help.claim", "领取"},
    {"unclaim", cmd_unclaim, 0, "task.help.unclaim", "放弃"},
    {"submit", cmd_submit, 0, "task.help.submit", "提交"},
    {"mytasks", cmd_mytasks, 0, "task.help.mytasks", "我的任务"},
};

static const struct cmd_sub subs[] = {
    {"task", "new", op_new, CMD_OPERATOR, 0, -1},
    {"task", "edit", op_edit, CMD_OPERATOR, 0, -1},
    {"task", "close", op_close, CMD_OPERATOR, 0, -1},
    {"task", "cancel", op_cancel, CMD_OPERATOR, 0, -1},
    {"task", "invite", op_invite, CMD_OPERATOR, 0, -1},
    {"task", "list", op_list, CMD_OPERATOR, 0, -1},
    {"task", "show", op_show, CMD_OPERATOR, 0, -1},
};

static const struct text_entry texts[] = {
    /* help */
    {"task.help.tasks", "/tasks [全部] — 我可以领取的任务（全部：所有任务及不能领取的原因）",
     "/tasks [all] — tasks I can claim (all: every task, and why not)"},
    {"task.help.task", "/task &lt;编号&gt; — 查看任务简报", "/task &lt;id&gt; — a task's brief"},
    {"task.help.task.op", "/task new|edit|close|cancel|invite|list|show|stop — 发布和管理任务（/task new 查看字段）",
     "/task new|edit|close|cancel|invite|list|show|stop — post and manage tasks (/task new for the fields)"},
    {"task.help.claim", "/claim &lt;编号&gt; — 领取任务", "/claim &lt;id&gt; — claim a task"},
    {"task.help.unclaim", "/unclaim &lt;编号&gt; — 放弃已领取的任务", "/unclaim &lt;id&gt; — give a claimed task back"},
    {"task.help.submit", "/submit &lt;编号&gt; &lt;内容或链接&gt; — 提交作品（也可回复自己的图片/文件）",
     "/submit &lt;id&gt; &lt;text or link&gt; — hand in your work (or reply to your own photo/file)"},
    {"task.help.mytasks", "/mytasks — 我领取的任务和进度", "/mytasks — my claims and their state"},
    /* usage */
    {"task.op_usage",
     "用法：/task new|edit|close|cancel|invite|list|show|stop …，或 /task &lt;编号&gt; 查看简报",
     "Usage: /task new|edit|close|cancel|invite|list|show|stop …, or /task &lt;id&gt; for a brief"},
    {"task.member_usage", "用法：/task &lt;编号&gt;，发送 /tasks 查看可领取的任务。",
     "Usage: /task &lt;id&gt;. Send /tasks to see what you can claim."},
    {"task.new_usage",
     "用法：/task new &lt;层级&gt; &lt;标题&gt; --奖励 50 积分 --截止 周五 20:00 --名额 10 …\n"
     "层级：筑基（basic）探索（explore）精准（precision）共建（cobuild）。"
     "字段：简报 奖励 积分 现金 礼品 徽章 截止 名额 等级 人才库 标签 所有人 邀请 审核 修改轮数 重复（每天、每周或 周一,周四：每期一个新任务）"
     "（英文也可：brief reward points cash gift badge deadline quota level pools tag everyone invite review rounds repeat）",
     "Usage: /task new &lt;tier&gt; &lt;title&gt; --reward points 50 --deadline 3d --quota 10 …\n"
     "Tiers: basic, explore, precision, cobuild. "
     "Fields: brief reward points cash gift badge deadline quota level pools tag everyone invite review rounds repeat (daily, weekly or mon,thu: a new task each time)"},
    {"task.edit_usage", "用法：/task edit &lt;编号&gt; --字段 值 …", "Usage: /task edit &lt;id&gt; --field value …"},
    {"task.close_usage", "用法：/task close &lt;编号&gt;", "Usage: /task close &lt;id&gt;"},
    {"task.cancel_usage", "用法：/task cancel &lt;编号&gt; [给领取者的说明]",
     "Usage: /task cancel &lt;id&gt; [note to claimers]"},
    {"task.invite_usage", "用法：/task invite &lt;编号&gt; @成员 …", "Usage: /task invite &lt;id&gt; @member …"},
    {"task.list_usage", "用法：/task list [进行中|已结束|全部]", "Usage: /task list [open|closed|all]"},
    {"task.show_usage", "用法：/task show &lt;编号&gt;", "Usage: /task show &lt;id&gt;"},
    {"task.tasks_usage", "用法：/tasks 或 /tasks 全部", "Usage: /tasks or /tasks all"},
    {"task.claim_usage", "用法：/claim &lt;编号&gt;", "Usage: /claim &lt;id&gt;"},
    {"task.unclaim_usage", "用法：/unclaim &lt;编号&gt;", "Usage: /unclaim &lt;id&gt;"},
    {"task.submit_usage", "用法：/submit &lt;编号&gt; &lt;内容或链接&gt;（或回复自己的图片/文件发送 /submit &lt;编号&gt;）",
     "Usage: /submit &lt;id&gt; &lt;text or link&gt; (or reply to your own photo/file with /submit &lt;id&gt;)"},
    /* definition errors: {field} names the field */
    {"task.bad.syntax", "⚠️ 任务定义无法解析。", "⚠️ I can't read that task definition."},
    {"task.bad.unknown", "⚠️ 不认识的字段：{field}", "⚠️ Unknown field: {field}"},
    {"task.bad.tier", "⚠️ 字段 层级（tier）：层级必须是 筑基（basic）、探索（explore）、精准（precision）或 共建（cobuild）之一。",
     "⚠️ Field tier: the tier must be one of basic, explore, precision, cobuild."},
    {"task.bad.title", "⚠️ 字段 标题（title）：标题不能为空，且不超过 200 字节、只占一行。",
     "⚠️ Field title: a title is required, one line, at most 200 bytes."},
    {"task.bad.brief", "⚠️ 字段 简报（brief）：简报最多 4000 字节。", "⚠️ Field brief: at most 4000 bytes."},
    {"task.bad.reward",
     "⚠️ 字段 奖励（reward）：看不懂。写法如 points 50, cash 200 CNY, gift 帆布袋, badge 摄影达人, title 共建官",
     "⚠️ Field reward: I can't read it. Write e.g. points 50, cash 200 CNY, gift tote bag, badge Shutterbug, title Co-creator"},
    {"task.bad.reward_item",
     "⚠️ 字段 {field}：看不懂。points 为正整数，cash 如 200 CNY 或 99.50，gift/badge 为 1–100 字节的名称。",
     "⚠️ Field {field}: I can't read it. points is a positive number, cash like 200 CNY or 99.50, "
     "gift/badge a name of 1–100 bytes."},
    {"task.bad.deadline", "⚠️ 字段 截止（deadline）：看不懂时间。可以写 明天、周五 20:00、下周一、12月4日、3天后、晚上8点 或 2026-12-01 20:00。",
     "⚠️ Field deadline: I can't read that time. Try tomorrow, fri 20:00, next mon, 3d, 12h, 12-01 or 2026-12-01 20:00."},
    {"task.bad.deadline_past", "⚠️ 字段 截止（deadline）：截止时间已经过去了。", "⚠️ Field deadline: that time has already passed."},
    {"task.bad.quota", "⚠️ 字段 名额（quota）：名额是 0–100000 的整数（0 = 不限）。",
     "⚠️ Field quota: a whole number 0–100000 (0 = unlimited)."},
    {"task.bad.rounds", "⚠️ 字段 修改轮数（rounds）：修改轮数是 0–20 的整数。", "⚠️ Field rounds: revision rounds are a whole number 0–20."},
    {"task.bad.quota_below", "⚠️ 字段 名额（quota）：已有 {claimed} 人领取，名额不能少于这个数。",
     "⚠️ Field quota: {claimed} members have already claimed; the quota cannot go below that."},
    {"task.bad.level", "⚠️ 字段 等级（level）：等级是 1–1000 的整数。", "⚠️ Field level: a whole number 1–1000."},
    {"task.bad.pools", "⚠️ 字段 人才库（pools）：人才库名称用逗号分隔，最多 10 个，每个不超过 40 字节。",
     "⚠️ Field pools: pool names separated by commas, at most 10, each at most 40 bytes."},
    {"task.bad.everyone", "⚠️ 字段 所有人（everyone）：不能与 等级（level）或 人才库（pools）同时使用。",
     "⚠️ Field everyone: cannot be combined with level or pools."},
    {"task.bad.invite", "⚠️ 字段 邀请（invite）：请写被邀请成员，如 @alice @bob。",
     "⚠️ Field invite: list the invited members, e.g. @alice @bob."},
    {"task.bad.review", "⚠️ 字段 审核（review）：请写 yes 或 no。", "⚠️ Field review: write yes or no."},
    {"task.bad.repeat", "⚠️ 字段 重复（repeat）：写 daily（每天）、weekly（每周今天这一天）、weekdays（工作日）或星期几，如 mon,thu / 周一,周四；只能在 /task new 时设置。",
     "⚠️ Field repeat: daily, weekly (this weekday), weekdays, or days such as mon,thu; set with /task new only."},
    {"task.bad.groups", "⚠️ 字段 发到（groups）：请写 here（只发本群）或 all（发到社群的所有群）。",
     "⚠️ Field groups: write here (this group only) or all (every group of the community)."},
    {"task.bad.nothing", "⚠️ 没有要修改的字段。", "⚠️ Nothing to change: give at least one field."},
    {"task.unknown_member", "⚠️ 找不到成员 {who}（他们需要先在群里发过言）。",
     "⚠️ I don't know the member {who} (they need to have spoken in the group first)."},
    {"task.note_too_long", "⚠️ 说明太长了（最多 {max} 字节）。", "⚠️ That note is too long (at most {max} bytes)."},
    /* pieces */
    {"task.tier.basic", "筑基", "Foundation"},
    {"task.tier.explore", "探索", "Exploration"},
    {"task.tier.precision", "精准", "Precision"},
    {"task.tier.cobuild", "共建", "Co-building"},
    {"task.reward.points", "{n} 积分", "{n} points"},
    {"task.reward.cash", "现金 {amount}", "cash {amount}"},
    {"task.reward.gift", "礼品：{name}", "gift: {name}"},
    {"task.reward.badge", "徽章：{name}", "badge: {name}"},
    {"task.reward.title", "称号：{name}", "title: {name}"},
    {"task.reward.none", "无", "none"},
    {"task.no_deadline", "不限", "none"},
    {"task.access.everyone", "所有人", "everyone"},
    {"task.access.invite", "仅限受邀成员", "by invitation"},
    {"task.access.level", "等级 {level} 及以上", "level {level} and up"},
    {"task.access.pools", "人才库：{pools}", "pools: {pools}"},
    {"task.access.invited_n", "已邀请 {n} 人", "{n} invited"},
    {"task.quota.n", "{claimed}/{quota}", "{claimed}/{quota}"},
    {"task.quota.unlimited", "{claimed}/不限", "{claimed}/unlimited"},
    {"task.state.open", "进行中", "open"},
    {"task.state.closed", "已截止领取", "closed"},
    {"task.state.cancelled", "已取消", "cancelled"},
    {"task.state.expired", "已过截止时间", "deadline passed"},
    {"task.review.yes", "需要审核", "reviewed"},
    {"task.review.no", "提交即通过", "approved on submission"},
    {"task.card",
     "📌 <b>任务 #{id}</b> · {tier} · {state}\n<b>{title}</b>\n🎁 奖励：{reward}\n⏰ 截止：{deadline}\n"
     "👥 名额：{quota}\n🔑 可领取：{who}\n📝 {review}",
     "📌 <b>Task #{id}</b> · {tier} · {state}\n<b>{title}</b>\n🎁 Reward: {reward}\n⏰ Deadline: {deadline}\n"
     "👥 Claimed: {quota}\n🔑 Who: {who}\n📝 {review}"},
    {"task.button.claim", "领取", "Claim"},
    {"task.claim.claimed", "已领取", "claimed"},
    {"task.claim.submitted", "已提交，待审核", "submitted, awaiting review"},
    {"task.claim.rejected", "被退回，可重新提交", "returned, you may resubmit"},
    {"task.claim.approved", "已通过", "approved"},
    {"task.claim.withdrawn", "已放弃", "given back"},
    {"task.claim.cancelled", "任务已取消", "task cancelled"},
    {"task.claim.expired", "已过期", "expired"},
    /* operators */
    {"task.posted", "✅ 任务 #{id} 已发布。", "✅ Task #{id} posted."},
    {"task.announce", "📢 <b>新任务</b>\n{card}\n\n发送 /task {id} 查看简报，/claim {id} 领取。",
     "📢 <b>New task</b>\n{card}\n\nSend /task {id} for the brief, /claim {id} to take it."},
    {"task.invited", "💌 {who}：你被邀请参加任务 #{id}「{title}」，发送 /claim {id} 领取。",
     "💌 {who}: you are invited to task #{id} “{title}”. Send /claim {id} to take it."},
    {"task.reward.cash_private", "现金报酬（已私信受邀者）", "a fee (sent privately to the invited)"},
    {"task.invited_private", "💌 {who}：你被邀请参加任务 #{id}「{title}」。报酬：{reward}。发送 /task {id} 查看简报，/claim {id} 领取。",
     "💌 {who}: you are invited to task #{id} “{title}”. Terms: {reward}. Send /task {id} for the brief, /claim {id} to take it."},
    {"task.invited_ok", "✅ 已邀请 {n} 人参加任务 #{id}。", "✅ Invited {n} {n|member|members} to task #{id}."},
    {"task.edited", "✅ 任务 #{id} 已更新：{fields}", "✅ Task #{id} updated: {fields}"},
    {"task.closed_ok", "🔒 任务 #{id}「{title}」停止领取（已领取的成员仍可在截止前提交）。",
     "🔒 Task #{id} “{title}” is closed to new claims (claimers may still submit before the deadline)."},
    {"task.already_closed", "任务 #{id} 已经停止领取了。", "Task #{id} is already closed."},
    {"task.cancelled_notice", "🚫 任务 #{id}「{title}」已取消：{note}",
     "🚫 Task #{id} “{title}” has been cancelled: {note}"},
    {"task.cancelled_notice_plain", "🚫 任务 #{id}「{title}」已取消。",
     "🚫 Task #{id} “{title}” has been cancelled."},
    {"task.cancelled_ok", "✅ 任务 #{id} 已取消，领取者已收到通知。", "✅ Task #{id} cancelled; claimers were told."},
    {"task.list_header", "<b>任务</b>", "<b>Tasks</b>"},
    {"task.list_line", "#{id} [{tier}] {title} — 领取 {quota} · 待审 {pending} · ⏰ {deadline} · {state}",
     "#{id} [{tier}] {title} — claimed {quota} · pending {pending} · ⏰ {deadline} · {state}"},
    {"task.list_empty", "没有符合条件的任务。", "No tasks to list."},
    {"task.section", "{label}：{text}", "{label}: {text}"},
    {"task.section.background", "背景", "Background"},
    {"task.section.messages", "核心信息", "Key messages"},
    {"task.section.style", "风格", "Style"},
    {"task.section.deliverables", "交付物", "Deliverables"},
    {"task.claimers", "<b>领取者（{n}）</b>", "<b>Claimers ({n})</b>"},
    {"task.claimers_withdrawn", "，另有 {n} 人已放弃", ", {n} gave it back"},
    {"task.no_claimers", "还没有人领取。", "Nobody has claimed it yet."},
    {"task.claimer", "• {who} — {state}", "• {who} — {state}"},
    {"task.claimer_sub", "• {who} — {state}（提交 #{sub}）", "• {who} — {state} (submission #{sub})"},
    /* members */
    {"task.not_found", "⚠️ 没有编号为 #{id} 的任务。", "⚠️ There is no task #{id}."},
    {"task.tasks_header", "<b>你可以领取的任务</b>", "<b>Tasks you can claim</b>"},
    {"task.tasks_all_header", "<b>全部任务</b>", "<b>All tasks</b>"},
    {"task.tasks_line", "#{id} [{tier}] {title} — 🎁 {reward} · ⏰ {deadline}\n    {why}",
     "#{id} [{tier}] {title} — 🎁 {reward} · ⏰ {deadline}\n    {why}"},
    {"task.tasks_none", "暂时没有你可以领取的任务。发送 /tasks all 查看全部任务。",
     "There is no task you can claim right now. Send /tasks all to see every task."},
    {"task.tasks_none_at_all", "还没有任务。", "There are no tasks yet."},
    {"task.why.open", "✅ 可以领取：/claim {id}", "✅ open to you: /claim {id}"},
    {"task.why.cancelled", "🚫 已取消", "🚫 cancelled"},
    {"task.why.approved", "🏅 你已完成", "🏅 you completed it"},
    {"task.why.claimed", "📌 你已领取", "📌 you claimed it"},
    {"task.why.closed", "🔒 已停止领取", "🔒 closed to new claims"},
    {"task.why.deadline", "⏰ 已过截止时间", "⏰ the deadline has passed"},
    {"task.why.level", "🔑 需要等级 {level}", "🔑 needs level {level}"},
    {"task.why.tag", "🏷 仅限有标签 {tag} 的成员", "🏷 for members tagged {tag}"},
    {"task.refuse.tag", "🏷 这个任务只开放给有标签 {tag} 的成员。", "🏷 This task is only for members tagged {tag}."},
    {"task.access.tag", "标签：{tag}", "tag: {tag}"},
    {"task.bad.tag", "⚠️ 字段 tag：标签最多 16 个字，不能有空格（修改时写 none 取消限制）。",
     "⚠️ Field tag: a tag has at most 16 characters and no spaces (none lifts the limit when editing)."},
    {"task.why.pool", "🔑 仅限指定人才库成员", "🔑 for members of its talent pools"},
    {"task.why.invite", "🔑 仅限受邀成员", "🔑 by invitation only"},
    {"task.why.full", "👥 名额已满", "👥 no places left"},
    {"task.refuse.level", "🔑 这个任务需要等级 {need}，你现在是等级 {have}。",
     "🔑 This task needs level {need}; you are level {have}."},
    {"task.refuse.pool", "🔑 这个任务只开放给人才库成员：{pools}。",
     "🔑 This task is only for members of the talent pool(s): {pools}."},
    {"task.refuse.invite", "🔑 这个任务仅限受邀成员，你不在邀请名单里。",
     "🔑 This task is by invitation only, and you are not on the list."},
    {"task.refuse.full", "👥 任务 #{id} 的 {quota} 个名额已经满了。", "👥 All {quota} places of task #{id} are taken."},
    {"task.refuse.deadline", "⏰ 任务 #{id} 已过截止时间。", "⏰ The deadline of task #{id} has passed."},
    {"task.refuse.closed", "🔒 任务 #{id} 已停止领取。", "🔒 Task #{id} is closed to new claims."},
    {"task.refuse.not_open", "🔒 任务 #{id} 不在进行中。", "🔒 Task #{id} is not open."},
    {"task.refuse.cancelled", "🚫 任务 #{id} 已取消。", "🚫 Task #{id} has been cancelled."},
    {"task.refuse.already_claimed", "📌 你已经领取了任务 #{id}。", "📌 You have already claimed task #{id}."},
    {"task.refuse.already_approved", "🏅 你的任务 #{id} 已经通过审核了。",
     "🏅 Your work on task #{id} has already been approved."},
    {"task.refuse.not_claimed", "📌 你还没有领取任务 #{id}，先发送 /claim {id}。",
     "📌 You haven't claimed task #{id}; send /claim {id} first."},
    {"task.claimed", "✅ {who} 领取了任务 #{id}「{title}」，截止 {deadline}。完成后发送 /submit {id} &lt;内容或链接&gt;。",
     "✅ {who} claimed task #{id} “{title}”, due {deadline}. When done, send /submit {id} &lt;text or link&gt;."},
    {"task.toast.claimed", "已领取任务 #{id}", "Claimed task #{id}"},
    {"task.unclaimed", "↩️ 你放弃了任务 #{id}「{title}」。", "↩️ You gave back task #{id} “{title}”."},
    {"task.submit_too_long", "⚠️ 提交内容太长了（最多 {max} 字节），可以发链接。",
     "⚠️ That submission is too long (at most {max} bytes); send a link instead."},
    {"task.submitted", "📨 已收到任务 #{id} 的提交（#{sub}），等待审核。",
     "📨 Submission #{sub} for task #{id} received; it is waiting for review."},
    {"task.submitted_own", "📨 已收到任务 #{id} 的提交（#{sub}）。运营自己的提交不会自动通过，需由另一位运营审核。",
     "📨 Submission #{sub} for task #{id} received. An operator's own work is not approved automatically: another operator reviews it."},
    {"task.auto_approved", "🎉 {who} 完成了任务 #{id}「{title}」，获得 {reward}！",
     "🎉 {who} completed task #{id} “{title}” and earned {reward}!"},
    {"task.mytasks_header", "<b>我的任务</b>", "<b>My tasks</b>"},
    {"task.mytasks_line", "#{id} {title} — {state} · ⏰ {deadline}", "#{id} {title} — {state} · ⏰ {deadline}"},
    {"task.mytasks_none", "你还没有领取任务，发送 /tasks 看看。", "You have no claims yet. Send /tasks to find one."},
};

/* {open_tasks} in scheduled posts: how many tasks may be claimed now. */
static int task_template_var(struct engine *e, const struct community *comm, const char *name,
                             int64_t now, struct sbuf *out)
{
    return strcmp(name, "open_tasks") == 0 &&
           schedule_count_var(e, comm,
                              "SELECT count(*) FROM tasks WHERE community_id = ? AND state = 'open'"
                              " AND (deadline IS NULL OR deadline > ?)",
                              now, out);
}

const struct kb_module task_module = {
    .name = "task",
    .commands = commands,
    .n_commands = KB_COUNT(commands),
    .subs = subs,
    .n_subs = KB_COUNT(subs),
    .texts = texts,
    .n_texts = KB_COUNT(texts),
    .template_var = task_template_var,
};
