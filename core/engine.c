/*
 * The engine: batches of events in one transaction, command dispatch with
 * central permission and rate checks, scheduled work, and the outbox.
 */
#include "engine_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "community.h"

/* ==== lifecycle ======================================================== */

static char *dup_or(const char *s, const char *fallback)
{
    return xstrdup(s && *s ? s : fallback);
}

int engine_open(const struct engine_settings *s, struct engine **out, char *err, size_t errcap)
{
    struct engine *e = xcalloc(1, sizeof *e);
    e->set = *s;
    e->set.db_path = dup_or(s->db_path, "kocbot.db");
    e->set.locale = dup_or(s->locale, "zh-CN");
    e->set.tz = dup_or(s->tz, "Asia/Shanghai");
    e->set.bot_name = dup_or(s->bot_name, "kocbot");
    for (size_t i = 0; i < s->checkin.n_triggers; i++)
        e->set.checkin.triggers[i] = xstrdup(s->checkin.triggers[i]);
    for (size_t i = 0; i < s->n_operators; i++)
        e->set.operators[i] = xstrdup(s->operators[i]);
    for (size_t i = 0; i < s->n_schedules; i++) {
        struct kb_schedule_default *d = &e->set.schedules[i];
        d->kind = xstrdup(s->schedules[i].kind);
        d->at = xstrdup(s->schedules[i].at);
        d->days = xstrdup(s->schedules[i].days);
        d->tmpl = xstrdup(s->schedules[i].tmpl);
    }
    int rc = store_open(e->set.db_path, &e->st, err, errcap);
    if (rc) {
        engine_close(e);
        return rc;
    }
    *out = e;
    return KB_OK;
}

void engine_close(struct engine *e)
{
    if (!e)
        return;
    store_close(e->st);
    free(e->set.db_path);
    free(e->set.locale);
    free(e->set.tz);
    free(e->set.bot_name);
    for (size_t i = 0; i < e->set.checkin.n_triggers; i++)
        free(e->set.checkin.triggers[i]);
    for (size_t i = 0; i < e->set.n_operators; i++)
        free(e->set.operators[i]);
    for (size_t i = 0; i < e->set.n_schedules; i++) {
        free(e->set.schedules[i].kind);
        free(e->set.schedules[i].at);
        free(e->set.schedules[i].days);
        free(e->set.schedules[i].tmpl);
    }
    free(e);
}

void engine_set_log(struct engine *e, engine_log_fn fn, void *ud)
{
    e->log = fn;
    e->log_ud = ud;
}

const char *engine_errmsg(const struct engine *e)
{
    return e->err[0] ? e->err : store_errmsg(e->st);
}

void engine_log(struct engine *e, int level, const char *fmt, ...)
{
    if (!e->log)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    e->log(e->log_ud, level, msg);
}

static int fail(struct engine *e, int rc)
{
    snprintf(e->err, sizeof e->err, "%s", store_errmsg(e->st));
    return rc;
}

/* End the transaction the caller began: commit when rc is 0, else roll back.
   Returns rc, or the commit's failure. */
static int finish(struct engine *e, int rc)
{
    if (!rc)
        rc = store_commit(e->st); /* rolls back itself when it fails */
    else
        store_rollback(e->st);
    return rc ? fail(e, rc) : KB_OK;
}

/* ==== replies ========================================================== */

int outbox_add(struct engine *e, const struct kb_reply *r, const char *ref, int64_t now)
{
    return store_exec(e->st,
                      "INSERT INTO outbox(platform, chat_id, thread_id, reply_to, kind, text, buttons,"
                      " edit_message_id, callback_id, coalesce, ref, created_at)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      VALS(ST(r->platform), ST(r->chat_id), ST(r->thread_id), ST(r->reply_to),
                           SI(r->kind), ST(r->text ? r->text : ""), ST(r->buttons),
                           ST(r->edit_message_id), ST(r->callback_id), SI(r->coalesce), ST(ref),
                           SI(now)));
}

int ctx_reply_markup(struct cmd_ctx *c, const char *markup, int coalesce)
{
    struct kb_reply r = {.kind = KB_REPLY_SEND, .platform = c->ev->platform,
                         .chat_id = c->ev->chat_id, .thread_id = c->ev->thread_id,
                         .reply_to = c->ev->kind == KB_EV_MESSAGE ? c->ev->message_id : NULL,
                         .text = markup, .coalesce = coalesce};
    return outbox_add(c->e, &r, NULL, c->now);
}

int ctx_reply(struct cmd_ctx *c, const char *key, const struct targ *a, size_t n)
{
    struct sbuf b = {0};
    text_format(&b, c->lang, key, a, n);
    int rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    return rc;
}

int ctx_post(struct cmd_ctx *c, const char *markup, const char *buttons, const char *ref)
{
    struct kb_reply r = {.kind = KB_REPLY_SEND, .platform = c->ev->platform,
                         .chat_id = c->ev->chat_id, .thread_id = c->ev->thread_id,
                         .text = markup, .buttons = buttons};
    return outbox_add(c->e, &r, ref, c->now);
}

/* ==== dispatch ========================================================= */

static const struct cmd_spec *find_command(const char *name)
{
    for (size_t m = 0; m < kb_n_modules; m++)
        for (size_t i = 0; i < kb_modules[m]->n_commands; i++)
            if (strcmp(kb_modules[m]->commands[i].name, name) == 0)
                return &kb_modules[m]->commands[i];
    return NULL;
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
        memset(t->slots, 0, sizeof t->slots);
        t->window = window;
        t->used = 0;
    }
    size_t h = (size_t)((uint64_t)c->member_id * 0x9E3779B97F4A7C15u >> 51) % RATE_SLOTS;
    while (t->slots[h].member_id && t->slots[h].member_id != c->member_id)
        h = (h + 1) % RATE_SLOTS;
    struct rate_slot *slot = &t->slots[h];
    if (!slot->member_id) {
        if (t->used >= RATE_SLOTS * 3 / 4)
            return 0; /* more talkers this minute than we track: let them through */
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

static int run_command(struct cmd_ctx *c)
{
    const struct cmd_spec *spec = find_command(c->name);
    if (!spec)
        return ctx_reply(c, "engine.unknown", ARGS(TS("cmd", c->name)));
    if ((spec->flags & CMD_LEDGER) && !c->is_operator)
        return ctx_reply(c, "engine.operators_only", NOARGS);
    if ((spec->flags & CMD_OPERATOR) && !c->is_admin)
        return ctx_reply(c, "engine.operators_only", NOARGS);
    if ((spec->flags & CMD_GROUP) && c->ev->chat_type == KB_CHAT_PRIVATE)
        return ctx_reply(c, "engine.group_only", NOARGS);
    return spec->fn(c);
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

static int run_reply_hooks(struct cmd_ctx *c, const char *ref)
{
    int rc = KB_OK;
    for (size_t m = 0; m < kb_n_modules && !rc; m++)
        if (kb_modules[m]->on_reply)
            rc = kb_modules[m]->on_reply(c, ref);
    return rc;
}

static int apply_command(struct engine *e, const struct kb_event *ev, int64_t now)
{
    const char *text = ev->kind == KB_EV_CALLBACK ? ev->callback_data : ev->text;
    struct command cmd;
    enum command_status status = command_parse(text, ev->bot_username, e->set.checkin.triggers,
                                               e->set.checkin.n_triggers, &cmd);
    char *reply_ref = NULL;
    if (ev->kind == KB_EV_MESSAGE && (status == COMMAND_NONE || status == COMMAND_NOT_OURS)) {
        /* chatter, or another bot's command: silence, unless it answers our post */
        if (status == COMMAND_NONE)
            reply_ref = reply_ref_dup(e, ev);
        if (!reply_ref)
            return KB_OK;
    }
    if (!ev->user_id || !ev->chat_id) {
        free(reply_ref);
        command_clear(&cmd);
        return KB_EINVAL;
    }

    struct cmd_ctx c = {.e = e, .st = e->st, .ev = ev, .now = now};
    c.at = (ev->time > 0 && ev->time <= now + 300) ? ev->time : now;
    int rc = community_for_event(e, ev, now, &c.comm);
    if (!rc)
        rc = member_ensure(e, c.comm.id, ev, c.at, &c.member_id);
    if (rc)
        goto out;
    c.lang = c.comm.locale;
    c.is_operator = ev->role != KB_ROLE_ANON_ADMIN &&
                    community_is_operator(e, c.comm.id, ev->platform, ev->user_id);
    c.is_admin = c.is_operator ||
                 (e->set.admins_are_operators && ev->role != KB_ROLE_MEMBER);

    int notify = 0;
    rc = rate_limited(&c, &notify);
    if (rc < 0)
        goto out;
    if (rc == 1) {
        rc = notify ? ctx_reply(&c, "engine.slow_down", NOARGS) : KB_OK;
    } else if (reply_ref) {
        c.name = "";
        c.args = command_skip_space(ev->text);
        rc = run_reply_hooks(&c, reply_ref);
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
    if (!rc && ev->kind == KB_EV_CALLBACK && ev->callback_id)
        rc = answer_callback(&c);
out:
    sbuf_free(&c.toast);
    command_clear(&cmd);
    free(reply_ref);
    return rc;
}

/* Record the message as seen; 0 when it was already processed. */
static int first_sight(struct engine *e, const struct kb_event *ev, int64_t now, int *fresh)
{
    *fresh = 1;
    struct sbuf key = {0};
    if (ev->kind == KB_EV_CALLBACK && ev->callback_id)
        sbuf_addf(&key, "cb:%s", ev->callback_id);
    else if (ev->kind == KB_EV_CHAT_MIGRATED)
        sbuf_addf(&key, "migrate:%s", ev->new_chat_id ? ev->new_chat_id : "");
    else if (ev->message_id)
        sbuf_add(&key, ev->message_id);
    else
        return KB_OK; /* nothing to key on (membership changes are idempotent) */
    int rc = store_exec(e->st,
                        "INSERT OR IGNORE INTO processed(platform, chat_id, message_id, at) VALUES (?, ?, ?, ?)",
                        VALS(ST(ev->platform), ST(ev->chat_id ? ev->chat_id : ""), ST(key.s), SI(now)));
    sbuf_free(&key);
    if (!rc && store_changes(e->st) == 0)
        *fresh = 0;
    return rc;
}

static int outbox_record(struct engine *e, int64_t id, enum outbox_outcome outcome,
                         const char *message_id, int64_t retry_at_ms, const char *error, int64_t now_ms);

/* Our own message came back from the platform: its outbox row arrived, even
   when the answer to the send was lost in a crash.  Only a row of the same
   platform and chat that is not yet marked sent is touched. */
static int echo_delivered(struct engine *e, const struct kb_event *ev, int64_t now)
{
    if (!ev->chat_id || !ev->message_id || ev->outbox_id <= 0)
        return KB_EINVAL;
    int64_t n = 0;
    int rc = store_i64(e->st, &n,
                       "SELECT count(*) FROM outbox WHERE id = ? AND platform = ? AND chat_id = ?"
                       " AND state <> 1",
                       VALS(SI(ev->outbox_id), ST(ev->platform), ST(ev->chat_id)));
    if (rc || n == 0)
        return rc;
    return outbox_record(e, ev->outbox_id, OUTBOX_SENT, ev->message_id, 0, NULL, now * 1000);
}

static int apply_one(struct engine *e, const struct kb_event *ev, int64_t now)
{
    if (!ev->platform)
        return KB_EINVAL;
    int fresh;
    int rc = first_sight(e, ev, now, &fresh);
    if (rc || !fresh)
        return rc;
    switch (ev->kind) {
    case KB_EV_CHAT_MIGRATED:
        if (!ev->chat_id || !ev->new_chat_id)
            return KB_EINVAL;
        return chat_migrate(e, ev->platform, ev->chat_id, ev->new_chat_id);
    case KB_EV_BOT_MEMBERSHIP:
        if (!ev->chat_id)
            return KB_EINVAL;
        if (ev->bot_active) {
            struct community comm;
            rc = community_for_event(e, ev, now, &comm);
            if (rc)
                return rc;
        }
        return chat_set_active(e, ev->platform, ev->chat_id, ev->bot_active);
    case KB_EV_DELIVERED:
        return echo_delivered(e, ev, now);
    case KB_EV_MESSAGE:
    case KB_EV_CALLBACK:
        return apply_command(e, ev, now);
    default:
        return KB_EINVAL;
    }
}

static int fatal_store_error(int rc)
{
    return rc == KB_EFULL;
}

static void record_failure(struct engine *e, const struct kb_event *ev, int err, int64_t now)
{
    const char *text = ev->kind == KB_EV_CALLBACK ? ev->callback_data : ev->text;
    struct sbuf msg = {0};
    sbuf_addf(&msg, "%s: %s", kb_strerror(err), store_errmsg(e->st));
    /* keep a bounded, valid copy of the text for inspection */
    char *kept = NULL;
    if (text) {
        size_t n = utf8_clip(text, strlen(text), 4096);
        kept = utf8_valid(text, n) ? xstrndup(text, n) : xstrdup("(invalid UTF-8)");
    }
    store_exec(e->st,
               "INSERT INTO failed_events(platform, chat_id, message_id, text, error, at)"
               " VALUES (?, ?, ?, ?, ?, ?)",
               VALS(ST(ev->platform ? ev->platform : "?"), ST(ev->chat_id), ST(ev->message_id),
                    ST(kept), ST(msg.s), SI(now)));
    engine_log(e, 2, "event %s/%s skipped: %s", ev->chat_id ? ev->chat_id : "-",
               ev->message_id ? ev->message_id : "-", msg.s);
    free(kept);
    sbuf_free(&msg);
}

int engine_apply(struct engine *e, const struct kb_event *events, size_t n,
                 const char *cursor_key, const char *cursor_value, int64_t now)
{
    e->err[0] = '\0';
    int rc = store_begin(e->st);
    if (rc)
        return fail(e, rc);
    for (size_t i = 0; i < n; i++) {
        rc = store_savepoint(e->st);
        if (rc)
            goto out;
        rc = apply_one(e, &events[i], now);
        if (rc && fatal_store_error(rc))
            goto out;
        if (rc) {
            store_rollback_savepoint(e->st);
            record_failure(e, &events[i], rc, now);
            rc = KB_OK; /* that event alone is skipped; the batch goes on */
            continue;
        }
        rc = store_release(e->st);
        if (rc)
            goto out;
    }
    if (cursor_key) {
        rc = store_exec(e->st,
                        "INSERT INTO cursors(key, value) VALUES (?, ?)"
                        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        VALS(ST(cursor_key), ST(cursor_value ? cursor_value : "")));
    }
out:
    return finish(e, rc);
}

int engine_cursor_load(struct engine *e, const char *key, char *buf, size_t cap)
{
    if (cap == 0)
        return KB_EINVAL;
    buf[0] = '\0';
    sqlite3_stmt *s = store_query(e->st, "SELECT value FROM cursors WHERE key = ?", VALS(ST(key)));
    if (!s)
        return fail(e, store_failure(e->st));
    int rc = store_step(e->st, s);
    if (rc == 1)
        snprintf(buf, cap, "%s", store_text(s, 0));
    store_done(s);
    return rc < 0 ? fail(e, rc) : KB_OK;
}

/* ==== scheduled work =================================================== */

int engine_tick(struct engine *e, int64_t now)
{
    int rc = store_begin(e->st);
    if (rc)
        return fail(e, rc);
    for (size_t m = 0; m < kb_n_modules && !rc; m++)
        if (kb_modules[m]->tick)
            rc = kb_modules[m]->tick(e, now);
    return finish(e, rc);
}

int64_t engine_next_due(struct engine *e, int64_t now)
{
    int64_t best = -1;
    for (size_t m = 0; m < kb_n_modules; m++) {
        if (!kb_modules[m]->next_due)
            continue;
        int64_t t = kb_modules[m]->next_due(e, now);
        if (t >= 0 && (best < 0 || t < best))
            best = t;
    }
    return best;
}

/* ==== outbox =========================================================== */

int engine_outbox_fetch(struct engine *e, const char *platform, int64_t now_ms, size_t max,
                        struct outbox_batch *out)
{
    out->rows = NULL;
    out->n = 0;
    sqlite3_stmt *s = store_query(
        e->st,
        "SELECT id, kind, chat_id, thread_id, reply_to, text, buttons, edit_message_id,"
        " callback_id, coalesce FROM outbox"
        " WHERE state = 0 AND platform = ? AND not_before_ms <= ? ORDER BY id LIMIT ?",
        VALS(ST(platform), SI(now_ms), SI(max)));
    if (!s)
        return fail(e, store_failure(e->st));
    size_t cap = 0;
    int rc;
    while ((rc = store_step(e->st, s)) == 1) {
        if (out->n == cap) {
            cap = cap ? cap * 2 : 16;
            out->rows = xrealloc(out->rows, cap * sizeof *out->rows);
        }
        struct kb_reply *r = &out->rows[out->n++];
        memset(r, 0, sizeof *r);
        r->id = store_int(s, 0);
        r->kind = (enum kb_reply_kind)store_int(s, 1);
        r->platform = xstrdup(platform);
        r->chat_id = xstrdup(store_text(s, 2));
#define OPT(col) (sqlite3_column_type(s, col) == SQLITE_NULL ? NULL : xstrdup(store_text(s, col)))
        r->thread_id = OPT(3);
        r->reply_to = OPT(4);
        r->text = xstrdup(store_text(s, 5));
        r->buttons = OPT(6);
        r->edit_message_id = OPT(7);
        r->callback_id = OPT(8);
#undef OPT
        r->coalesce = (int)store_int(s, 9);
    }
    store_done(s);
    if (rc < 0) {
        outbox_batch_free(out);
        return fail(e, rc);
    }
    return KB_OK;
}

void outbox_batch_free(struct outbox_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        struct kb_reply *r = &b->rows[i];
        free((char *)r->platform);
        free((char *)r->chat_id);
        free((char *)r->thread_id);
        free((char *)r->reply_to);
        free((char *)r->text);
        free((char *)r->buttons);
        free((char *)r->edit_message_id);
        free((char *)r->callback_id);
    }
    free(b->rows);
    b->rows = NULL;
    b->n = 0;
}

int64_t engine_outbox_next_ms(struct engine *e, const char *platform)
{
    int64_t t = -1;
    if (store_i64(e->st, &t, "SELECT min(not_before_ms) FROM outbox WHERE state = 0 AND platform = ?",
                  VALS(ST(platform))) != KB_OK)
        return -1;
    return t;
}

int64_t engine_outbox_pending(struct engine *e, const char *platform)
{
    int64_t n = 0;
    store_i64(e->st, &n, "SELECT count(*) FROM outbox WHERE state = 0 AND platform = ?",
              VALS(ST(platform)));
    return n;
}

/* ?3 = the platform's retry time, or 0: back off 1 s doubling to 60 s, plus
   up to 1 s of jitter derived from the row id so bursts spread out */
#define BACKOFF_SQL \
    " not_before_ms = CASE WHEN ?3 > 0 THEN ?3 ELSE" \
    " ?4 + min(60000, 1000 << min(attempts, 6)) + (id * 7919) % 1000 END"

static int outbox_record(struct engine *e, int64_t id, enum outbox_outcome outcome,
                         const char *message_id, int64_t retry_at_ms, const char *error, int64_t now_ms)
{
    int64_t now = now_ms / 1000;
    int rc;
    switch (outcome) {
    case OUTBOX_SENT:
        rc = store_exec(e->st,
                        "UPDATE outbox SET state = 1, sent_message_id = ?, sent_at = ?, error = NULL"
                        " WHERE id = ?",
                        VALS(ST(message_id), SI(now), SI(id)));
        if (!rc && message_id)
            rc = store_exec(e->st,
                            "INSERT OR REPLACE INTO posted(ref, platform, chat_id, message_id, at)"
                            " SELECT ref, platform, chat_id, ?, ? FROM outbox WHERE id = ? AND ref IS NOT NULL",
                            VALS(ST(message_id), SI(now), SI(id)));
        break;
    case OUTBOX_RETRY_ONCE:
        /* a send that may have arrived is repeated at most once */
        rc = store_exec(e->st,
                        "UPDATE outbox SET state = CASE WHEN uncertain >= 1 THEN 2 ELSE 0 END,"
                        " uncertain = uncertain + 1, attempts = attempts + 1, error = ?2,"
                        BACKOFF_SQL " WHERE id = ?1",
                        VALS(SI(id), ST(error), SI(retry_at_ms), SI(now_ms)));
        break;
    case OUTBOX_RETRY:
        rc = store_exec(e->st,
                        "UPDATE outbox SET attempts = attempts + 1, error = ?2," BACKOFF_SQL
                        " WHERE id = ?1",
                        VALS(SI(id), ST(error), SI(retry_at_ms), SI(now_ms)));
        break;
    case OUTBOX_FAILED:
        rc = store_exec(e->st, "UPDATE outbox SET state = 2, error = ? WHERE id = ?",
                        VALS(ST(error), SI(id)));
        break;
    case OUTBOX_CHAT_GONE:
        rc = store_exec(e->st,
                        "UPDATE chats SET active = 0 WHERE (platform, chat_id) ="
                        " (SELECT platform, chat_id FROM outbox WHERE id = ?)",
                        VALS(SI(id)));
        if (!rc)
            rc = store_exec(e->st,
                            "UPDATE outbox SET state = 2, error = ? WHERE state = 0 AND"
                            " (platform, chat_id) = (SELECT platform, chat_id FROM outbox WHERE id = ?)",
                            VALS(ST(error), SI(id)));
        if (!rc)
            rc = store_exec(e->st, "UPDATE outbox SET state = 2, error = ? WHERE id = ?",
                            VALS(ST(error), SI(id)));
        break;
    default:
        rc = KB_EINVAL;
    }
    return rc;
}

int engine_outbox_done_many(struct engine *e, const struct outbox_done *d, size_t n, int64_t now_ms)
{
    if (n == 0)
        return KB_OK;
    int rc = store_begin(e->st);
    if (rc)
        return fail(e, rc);
    for (size_t i = 0; i < n && !rc; i++)
        rc = outbox_record(e, d[i].id, d[i].outcome, d[i].message_id, d[i].retry_at_ms, d[i].error,
                           now_ms);
    return finish(e, rc);
}

int engine_outbox_done(struct engine *e, int64_t id, enum outbox_outcome outcome,
                       const char *message_id, int64_t retry_at_ms, const char *error, int64_t now_ms)
{
    struct outbox_done d = {.id = id, .outcome = outcome, .message_id = message_id,
                            .retry_at_ms = retry_at_ms, .error = error};
    return engine_outbox_done_many(e, &d, 1, now_ms);
}
