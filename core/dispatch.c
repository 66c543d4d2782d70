/*
 * Command dispatch: parse the text, find the command in the module
 * registry, check who may use it (operators, chat admins, groups only) and
 * the member's rate, run it; chatter that answers one of our posts goes to
 * the modules' reply hooks; a button press is answered.
 */
#include "dispatch.h"

#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "community.h"
#include "outbox.h"

static const struct cmd_spec *find_command(const char *name)
{
    for (size_t m = 0; m < kb_n_modules; m++)
        for (size_t i = 0; i < kb_modules[m]->n_commands; i++)
            if (strcmp(kb_modules[m]->commands[i].name, name) == 0 ||
                (kb_modules[m]->commands[i].alias && strcmp(kb_modules[m]->commands[i].alias, name) == 0))
                return &kb_modules[m]->commands[i];
    return NULL;
}

int dispatch_has_command(const char *name)
{
    return find_command(name) != NULL;
}

/* Per-member command budget per minute: one polite notice, then silence.
   Counted in memory (a restart forgives), so a flood costs no disk writes. */
static int rate_limited(struct cmd_ctx *c, int *notify)
{
    *notify = 0;
    int limit = c->e->set.member_rate_per_min;
    if (limit <= 0 || c->is_admin)
        return 0;
    struct rate_table *t = &c->e->rates;
    int64_t window = c->now / 60;
    if (window != t->window) { /* a new minute: everyone starts afresh */
        engine_rates_clearing(c->e);
        memset(t->slots, 0, sizeof t->slots);
        t->window = window;
        t->used = 0;
    }
    size_t h = (size_t)((uint64_t)c->member_id * 0x9E3779B97F4A7C15u >> 51) % RATE_SLOTS;
    while (t->slots[h].member_id && t->slots[h].member_id != c->member_id)
        h = (h + 1) % RATE_SLOTS;
    struct rate_slot *slot = &t->slots[h];
    if (!slot->member_id && t->used >= RATE_SLOTS * 3 / 4)
        return 0; /* more talkers this minute than we track: let them through */
    engine_rates_saving_slot(c->e, h);
    if (!slot->member_id) {
        slot->member_id = c->member_id;
        t->used++;
    }
    if (++slot->count <= limit)
        return 0;
    if (!slot->noticed) {
        slot->noticed = 1;
        *notify = 1;
    }
    return 1;
}

/* The catalogue key refusing c a command with these flags, or NULL. */
static const char *refusal(const struct cmd_ctx *c, unsigned flags)
{
    if ((flags & CMD_LEDGER) && !c->is_operator)
        return "engine.operators_only";
    if ((flags & CMD_OPERATOR) && !c->is_admin)
        return "engine.operators_only";
    if ((flags & CMD_GROUP) && c->ev->chat_type == KB_CHAT_PRIVATE)
        return "engine.group_only";
    return NULL;
}

/* The subcommand of host named by the first word of args whose arity fits,
   or NULL; *rest receives the words after its name. */
static const struct cmd_sub *find_sub(const char *host, const char *args, const char **rest)
{
    const char *p = args;
    char *word = command_next_word(&p);
    const struct cmd_sub *sub = NULL;
    for (size_t m = 0; word && m < kb_n_modules && !sub; m++)
        for (size_t i = 0; i < kb_modules[m]->n_subs && !sub; i++)
            if (strcmp(kb_modules[m]->subs[i].host, host) == 0 &&
                ascii_casecmp(kb_modules[m]->subs[i].name, word) == 0)
                sub = &kb_modules[m]->subs[i];
    free(word);
    if (!sub)
        return NULL;
    *rest = command_skip_space(p);
    int n = 0;
    for (char *w; (w = command_next_word(&p)) != NULL; n++)
        free(w);
    return n >= sub->min_args && (sub->max_args < 0 || n <= sub->max_args) ? sub : NULL;
}

static int run_command(struct cmd_ctx *c)
{
    const struct cmd_spec *spec = find_command(c->name);
    if (!spec)
        return ctx_refuse(c, "engine.unknown", ARGS(TS("cmd", c->name)));
    const char *no = refusal(c, spec->flags);
    if (no)
        return ctx_refuse(c, no, NOARGS);
    const char *rest = NULL;
    const struct cmd_sub *sub = find_sub(spec->name, c->args, &rest);
    if (!sub)
        return spec->fn(c);
    if ((no = refusal(c, sub->flags)) != NULL)
        return ctx_refuse(c, no, NOARGS);
    c->args = rest;
    return sub->fn(c);
}

static int answer_callback(struct cmd_ctx *c)
{
    struct kb_reply r = {.kind = KB_REPLY_ANSWER, .platform = c->ev->platform,
                         .chat_id = c->ev->chat_id, .callback_id = c->ev->callback_id,
                         .text = sbuf_str(&c->toast)};
    return outbox_add(c->e, &r, NULL, c->now);
}

/* The ref of our post that chatter ev answers, when some module wants such
   replies (a reason given by replying to a poll); NULL otherwise.  Owned. */
static char *reply_ref_dup(struct engine *e, const struct kb_event *ev)
{
    if (!ev->reply_to_message_id || !ev->text || !ev->chat_id)
        return NULL;
    int wanted = 0;
    for (size_t m = 0; m < kb_n_modules && !wanted; m++)
        wanted = kb_modules[m]->on_reply != NULL;
    size_t n = strlen(ev->text);
    if (!wanted || n > COMMAND_TEXT_MAX || !utf8_valid(ev->text, n))
        return NULL;
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT ref FROM posted WHERE platform = ? AND chat_id = ? AND message_id = ?",
                                  VALS(ST(ev->platform), ST(ev->chat_id), ST(ev->reply_to_message_id)));
    if (!s)
        return NULL;
    char *ref = store_step(e->st, s) == 1 ? xstrdup(store_text(s, 0)) : NULL;
    store_done(s);
    return ref;
}

/* 1 when some module reads private chatter (on_private) and the chat is
   one the person opened with a command before (anything a module waits
   for began with one), so a stranger's chatter still writes nothing. */
static int private_chatter_wanted(struct engine *e, const struct kb_event *ev)
{
    if (ev->kind != KB_EV_MESSAGE || ev->chat_type != KB_CHAT_PRIVATE || !ev->text || !ev->chat_id)
        return 0;
    size_t n = strlen(ev->text);
    if (n > COMMAND_TEXT_MAX || !utf8_valid(ev->text, n))
        return 0;
    int wanted = 0;
    for (size_t m = 0; m < kb_n_modules && !wanted; m++)
        wanted = kb_modules[m]->on_private != NULL;
    int64_t known = 0;
    return wanted && store_i64(e->st, &known, "SELECT 1 FROM chats WHERE platform = ? AND chat_id = ?",
                               VALS(ST(ev->platform), ST(ev->chat_id))) == KB_OK;
}

static int run_private_hooks(struct cmd_ctx *c)
{
    int rc = KB_OK;
    for (size_t m = 0; m < kb_n_modules && !rc; m++)
        if (kb_modules[m]->on_private)
            rc = kb_modules[m]->on_private(c);
    return rc;
}

/* 1 when some module may want this plain message (chatter_wanted). */
static int chatter_wanted(const struct kb_event *ev)
{
    if (!ev->text)
        return 0;
    for (size_t m = 0; m < kb_n_modules; m++)
        if (kb_modules[m]->chatter_wanted && kb_modules[m]->chatter_wanted(ev->text))
            return 1;
    return 0;
}

/* 1 when the sender is already a member in this chat's community: a "1"
   from someone who never used the bot creates no community or member. */
static int known_sender(struct engine *e, const struct kb_event *ev)
{
    int64_t id = 0;
    return ev->user_id && ev->chat_id &&
           store_i64(e->st, &id,
                     "SELECT m.id FROM chats c JOIN members m ON m.community_id = c.community_id"
                     " AND m.platform = c.platform AND m.user_id = ?1 WHERE c.platform = ?2 AND c.chat_id = ?3",
                     VALS(ST(ev->user_id), ST(ev->platform), ST(ev->chat_id))) == KB_OK;
}

static int run_chatter_hooks(struct cmd_ctx *c)
{
    int rc = KB_OK;
    for (size_t m = 0; m < kb_n_modules && !rc; m++)
        if (kb_modules[m]->on_chatter && kb_modules[m]->chatter_wanted && kb_modules[m]->chatter_wanted(c->args))
            rc = kb_modules[m]->on_chatter(c);
    return rc;
}

static int run_reply_hooks(struct cmd_ctx *c, const char *ref)
{
    int rc = KB_OK;
    for (size_t m = 0; m < kb_n_modules && !rc; m++)
        if (kb_modules[m]->on_reply)
            rc = kb_modules[m]->on_reply(c, ref);
    return rc;
}

int dispatch_event(struct engine *e, const struct kb_event *ev, int64_t now)
{
    if (ev->kind == KB_EV_MESSAGE && ev->forwarded)
        return KB_OK; /* someone else's words: running them would lend them our sender's rights */
    const char *text = ev->kind == KB_EV_CALLBACK ? ev->callback_data : ev->text;
    struct command cmd;
    enum command_status status = command_parse(text, ev->bot_username, e->set.checkin.triggers,
                                               e->set.checkin.n_triggers, &cmd);
    char *reply_ref = NULL;
    int private_text = 0, chatter = 0;
    if (ev->kind == KB_EV_MESSAGE && (status == COMMAND_NONE || status == COMMAND_NOT_OURS)) {
        /* chatter, or another bot's command: silence, unless it answers our
           post, is a private answer some module waits for, or a module may
           want such a message (a typed quiz answer) */
        if (status == COMMAND_NONE)
            reply_ref = reply_ref_dup(e, ev);
        if (!reply_ref && status == COMMAND_NONE)
            private_text = private_chatter_wanted(e, ev);
        chatter = status == COMMAND_NONE && !reply_ref && chatter_wanted(ev) && known_sender(e, ev);
        if (!reply_ref && !private_text && !chatter)
            return KB_OK;
    }
    if (!ev->user_id || !ev->chat_id) {
        free(reply_ref);
        command_clear(&cmd);
        return KB_EINVAL;
    }

    struct cmd_ctx c = {.e = e, .st = e->st, .ev = ev, .now = now};
    c.at = (ev->time > 0 && ev->time <= now + 300) ? ev->time : now;
    int joined = 0;
    int rc = community_for_event(e, ev, now, &c.comm);
    if (!rc)
        rc = member_ensure(e, c.comm.id, ev, c.at, &c.member_id, &joined);
    if (rc)
        goto out;
    c.lang = c.comm.locale;
    c.is_operator = ev->role != KB_ROLE_ANON_ADMIN &&
                    community_is_operator(e, c.comm.id, ev->platform, ev->user_id);
    c.is_admin = c.is_operator ||
                 (e->set.admins_are_operators && ev->role != KB_ROLE_MEMBER);

    for (size_t m = 0; m < kb_n_modules && joined && !rc; m++)
        if (kb_modules[m]->member_joined) /* a newcomer's welcome (a mentor) */
            rc = kb_modules[m]->member_joined(&c);
    if (rc)
        goto out;

    int notify = 0;
    rc = rate_limited(&c, &notify);
    if (rc < 0)
        goto out;
    if (rc == 1) {
        rc = notify ? ctx_refuse(&c, "engine.slow_down", NOARGS) : KB_OK;
    } else if (reply_ref) {
        c.name = "";
        c.args = command_skip_space(ev->text);
        rc = run_reply_hooks(&c, reply_ref);
    } else if (private_text || chatter) {
        c.name = "";
        c.args = command_skip_space(ev->text);
        rc = private_text ? run_private_hooks(&c) : KB_OK;
        if (!rc && chatter)
            rc = run_chatter_hooks(&c);
    } else if (status == COMMAND_OK) {
        c.name = cmd.name;
        c.args = cmd.args;
        rc = run_command(&c);
    } else if (status == COMMAND_TOO_LONG) {
        rc = ctx_reply(&c, "engine.too_long", ARGS(TI("max", COMMAND_TEXT_MAX)));
    } else if (status == COMMAND_BAD_UTF8) {
        rc = ctx_reply(&c, "engine.bad_text", NOARGS);
    } else {
        rc = KB_OK; /* a button whose data is not ours: just stop the spinner */
    }
    if (!rc && ev->kind == KB_EV_CALLBACK && ev->callback_id && !ev->reaction)
        rc = answer_callback(&c); /* a reaction has nothing to answer */
out:
    e->cache.event_member.id = 0; /* its name is borrowed from ev */
    sbuf_free(&c.toast);
    command_clear(&cmd);
    free(reply_ref);
    return rc;
}

int dispatch_reaction_removed(struct engine *e, const struct kb_event *ev, int64_t now)
{
    if (!ev->user_id || !ev->chat_id || !ev->callback_id)
        return KB_EINVAL;
    int rc = KB_OK;
    for (size_t m = 0; m < kb_n_modules && !rc; m++)
        if (kb_modules[m]->on_reaction_removed)
            rc = kb_modules[m]->on_reaction_removed(e, ev, now);
    return rc;
}
