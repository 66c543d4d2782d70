/*
 * The engine: batches of events in one transaction (each event in its own
 * savepoint, de-duplicated, a failing one recorded and skipped) with the
 * platform cursor, and scheduled work.  Commands are dispatched by
 * dispatch.c; the outbox table is outbox.c's.
 */
#include "engine_int.h"
#include "outbox.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board.h"
#include "community.h"
#include "testhook.h"
#include "dispatch.h"
#include "outbox.h"

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
    e->set.owner = xstrdup(s->owner);
    e->set.console_url = s->console_url ? xstrdup(s->console_url) : NULL;
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
    cache_init(&e->cache.chats, 8192);
    cache_init(&e->cache.communities, 4096);
    size_t members = s->cached_members > 0 ? (size_t)s->cached_members : 65536;
    cache_init(&e->cache.members, members);
    cache_init(&e->cache.names, members);
    cache_init(&e->cache.checkins_per_day, 4096);
    cache_init(&e->cache.standing, members);
    cache_init(&e->cache.operators, 4096);
    int rc = store_open(e->set.db_path, &e->st, err, errcap);
    if (!rc) {
        cache_mirrors(&e->cache.chats, e->st, "chats");
        cache_mirrors(&e->cache.communities, e->st, "communities");
        cache_mirrors(&e->cache.members, e->st, "members");
        cache_mirrors(&e->cache.names, e->st, "members");
        cache_mirrors(&e->cache.checkins_per_day, e->st, "checkins");
        cache_mirrors(&e->cache.standing, e->st, "ledger");
        cache_mirrors(&e->cache.operators, e->st, "operators");
    }
    for (size_t m = 0; !rc && m < kb_n_modules; m++) {
        const struct kb_module *mod = kb_modules[m];
        if (mod->n_migrations && (rc = store_migrate_module(e->st, mod->name, mod->migrations,
                                                            mod->n_migrations)) != 0)
            snprintf(err, errcap, "database %s: %s", e->set.db_path, store_errmsg(e->st));
    }
    /* the caches fill from here on: only another connection's commit after
       this point makes them stale (engine_begin) */
    if (!rc)
        rc = store_i64(e->st, &e->data_version, "PRAGMA data_version", NOVALS);
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
    outbox_mem_free(e);
    cache_free(&e->cache.chats);
    cache_free(&e->cache.communities);
    cache_free(&e->cache.members);
    cache_free(&e->cache.names);
    cache_free(&e->cache.checkins_per_day);
    cache_free(&e->cache.standing);
    cache_free(&e->cache.operators);
    community_drop_held(e);
    free(e->deferred);
    free(e->due);
    board_set_free(e->boards);
    free(e->rates_undo.slots);
    free(e->set.db_path);
    free(e->set.locale);
    free(e->set.tz);
    free(e->set.bot_name);
    free(e->set.owner);
    free(e->set.console_url);
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
        return outbox_echoed(e, ev, now);
    case KB_EV_MESSAGE:
    case KB_EV_CALLBACK:
        return dispatch_event(e, ev, now);
    case KB_EV_REACTION_REMOVED:
        return dispatch_reaction_removed(e, ev, now);
    case KB_EV_UNDECODABLE:
        return KB_EPARSE; /* recorded with its raw text, then skipped */
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
    const char *detail = store_errmsg(e->st); /* "" unless the store failed */
    sbuf_addf(&msg, "%s%s%s", kb_strerror(err), *detail ? ": " : "", detail);
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

/* Apply the events and the cursor in the open transaction.  careful: each
   event in its own savepoint, a failing one rolled back alone and recorded.
   Otherwise no savepoint at all (each one copies every page its event
   touches into the statement journal): a failing event ends the pass with
   APPLY_AGAIN, and the caller undoes it. */
enum { APPLY_AGAIN = 1 };
static int apply_all(struct engine *e, const struct kb_event *events, size_t n,
                     const char *cursor_key, const char *cursor_value, int64_t now, int careful)
{
    int rc = KB_OK;
    for (size_t i = 0; i < n; i++) {
        if (careful && (rc = store_savepoint(e->st)) != 0)
            return rc;
        size_t mark = outbox_mem_mark(e);
        e->in_event = 1;
        rc = apply_one(e, &events[i], now);
        e->in_event = 0;
        if (!rc)
            rc = community_post_held(e, now); /* after the event's own replies */
        else
            community_drop_held(e);
        if (rc && fatal_store_error(rc))
            return rc;
        if (rc && !careful)
            return APPLY_AGAIN;
        if (rc) {
            store_rollback_savepoint(e->st);
            outbox_mem_rollback(e, mark);
            engine_caches_clear(e);
            record_failure(e, &events[i], rc, now);
            rc = KB_OK; /* that event alone is skipped; the batch goes on */
            continue;
        }
        if (careful && (rc = store_release(e->st)) != 0)
            return rc;
        TESTHOOK_EVENT_APPLIED();
    }
    if (cursor_key)
        rc = store_exec(e->st,
                        "INSERT INTO cursors(key, value) VALUES (?, ?)"
                        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        VALS(ST(cursor_key), ST(cursor_value ? cursor_value : "")));
    return rc;
}

int engine_apply(struct engine *e, const struct kb_event *events, size_t n,
                 const char *cursor_key, const char *cursor_value, int64_t now)
{
    e->err[0] = '\0';
    int rc = engine_begin(e);
    if (rc)
        return engine_fail(e, rc);
    engine_rates_begin(e);
    rc = apply_all(e, events, n, cursor_key, cursor_value, now, 0);
    if (rc == APPLY_AGAIN) {
        /* an event failed: undo the pass (rows, replies, caches, rate
           counts) and apply the batch again, each event in a savepoint */
        store_rollback(e->st);
        outbox_mem_rollback(e, 0);
        engine_caches_clear(e);
        engine_rates_restore(e);
        rc = engine_begin(e);
        if (rc)
            return engine_fail(e, rc);
        rc = apply_all(e, events, n, cursor_key, cursor_value, now, 1);
    }
    return engine_finish(e, rc);
}

int engine_cursor_load(struct engine *e, const char *key, char *buf, size_t cap)
{
    if (cap == 0)
        return KB_EINVAL;
    buf[0] = '\0';
    sqlite3_stmt *s = store_query(e->st, "SELECT value FROM cursors WHERE key = ?", VALS(ST(key)));
    if (!s)
        return engine_fail(e, store_failure(e->st));
    int rc = store_step(e->st, s);
    if (rc == 1)
        snprintf(buf, cap, "%s", store_text(s, 0));
    store_done(s);
    return rc < 0 ? engine_fail(e, rc) : KB_OK;
}

/* ==== scheduled work =================================================== */

int engine_tick(struct engine *e, int64_t now)
{
    int rc = engine_begin(e);
    if (rc)
        return engine_fail(e, rc);
    for (size_t m = 0; m < kb_n_modules && !rc; m++)
        if (kb_modules[m]->tick)
            rc = kb_modules[m]->tick(e, now);
    return engine_finish(e, rc);
}

/* The app asks after every batch and every round of deliveries; a module's
   answer walks all its communities, so it is asked again only when a commit
   wrote a table that answer read (not for a module whose due may lag, whose
   tables every batch writes), the instant it named has come, or a while has
   passed (the answer may depend on the hour). */
#define DUE_MEMO_S 10

int64_t engine_next_due(struct engine *e, int64_t now)
{
    if (!e->due)
        e->due = xcalloc(kb_n_modules, sizeof *e->due);
    int64_t best = -1;
    for (size_t m = 0; m < kb_n_modules; m++) {
        if (!kb_modules[m]->next_due)
            continue;
        struct due_memo *d = &e->due[m];
        int memo_holds = kb_modules[m]->due_may_lag || store_memo_valid(e->st, &d->memo);
        if (!d->computed || !memo_holds || (d->at >= 0 && d->at <= now) ||
            now < d->computed_at || now - d->computed_at >= DUE_MEMO_S) {
            struct store_tables *saved;
            store_memo_begin(e->st, &d->memo, &saved);
            d->at = kb_modules[m]->next_due(e, now);
            store_memo_end(e->st, &d->memo, saved);
            d->computed_at = now;
            d->computed = 1;
        }
        if (d->at >= 0 && (best < 0 || d->at < best))
            best = d->at;
    }
    return best;
}
