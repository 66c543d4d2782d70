/* The engine state's helpers (engine_int.h). */
#include "engine_int.h"
#include "board.h"
#include "modules.h"

#include "outbox.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int engine_fail(struct engine *e, int rc)
{
    snprintf(e->err, sizeof e->err, "%s", store_errmsg(e->st));
    return rc;
}

int engine_finish(struct engine *e, int rc)
{
    if (!rc)
        rc = outbox_riders_write(e);
    if (!rc)
        rc = store_commit(e->st); /* rolls back itself when it fails */
    else
        store_rollback(e->st);
    if (rc) {
        outbox_mem_rollback(e, 0);
        engine_caches_clear(e);
    } else {
        outbox_mem_commit(e);
        outbox_riders_recorded(e);
    }
    return rc ? engine_fail(e, rc) : KB_OK;
}

void engine_caches_clear(struct engine *e)
{
    cache_clear(&e->cache.chats);
    cache_clear(&e->cache.communities);
    cache_clear(&e->cache.members);
    cache_clear(&e->cache.names);
    e->cache.event_member.id = 0;
    cache_clear(&e->cache.checkins_per_day);
    cache_clear(&e->cache.standing);
    cache_clear(&e->cache.operators);
    for (size_t m = 0; e->due && m < kb_n_modules; m++)
        e->due[m].computed = 0;
    for (size_t i = 0; i < EXISTS_MEMOS; i++)
        e->exists[i].memo.valid = 0;
    board_set_clear(e->boards);
}

int engine_exists(struct engine *e, const char *sql)
{
    size_t h = ((uintptr_t)sql >> 3) % EXISTS_MEMOS;
    struct exists_memo *x = &e->exists[h];
    for (size_t probe = 0; probe < EXISTS_MEMOS && x->sql && x->sql != sql; probe++)
        x = &e->exists[(h + probe + 1) % EXISTS_MEMOS]; /* full: the last one looked at is reused */
    if (x->sql == sql && store_memo_valid(e->st, &x->memo))
        return x->yes;
    struct store_tables *saved;
    int64_t one = 0;
    x->sql = sql;
    store_memo_begin(e->st, &x->memo, &saved);
    int rc = store_i64(e->st, &one, sql, NOVALS);
    store_memo_end(e->st, &x->memo, saved);
    x->yes = rc != KB_ENOTFOUND;
    if (rc && rc != KB_ENOTFOUND)
        x->memo.valid = 0;
    return x->yes;
}

int engine_begin(struct engine *e)
{
    int rc = store_begin(e->st);
    int64_t version = 0;
    if (!rc)
        rc = store_i64(e->st, &version, "PRAGMA data_version", NOVALS);
    if (!rc && version != e->data_version) {
        engine_caches_clear(e);
        e->data_version = version;
    }
    return rc;
}

void engine_rates_begin(struct engine *e)
{
    e->rates_undo.cleared = 0;
    e->rates_undo.n_slots = 0;
}

void engine_rates_saving_slot(struct engine *e, size_t index)
{
    struct rate_undo *u = &e->rates_undo;
    if (u->cleared)
        return; /* a count of the new minute: restoring clears them all */
    if (u->n_slots == 0)
        u->used = e->rates.used; /* only a logged slot can take a new member */
    if (u->n_slots == u->cap_slots) {
        u->cap_slots = u->cap_slots ? 2 * u->cap_slots : 128;
        u->slots = xrealloc(u->slots, u->cap_slots * sizeof *u->slots);
    }
    u->slots[u->n_slots++] = (struct rate_slot_was){index, e->rates.slots[index]};
}

void engine_rates_clearing(struct engine *e)
{
    e->rates_undo.cleared = 1;
}

void engine_rates_restore(struct engine *e)
{
    struct rate_undo *u = &e->rates_undo;
    if (u->cleared) {
        /* the batch applied again starts the new minute afresh, as it did */
        memset(e->rates.slots, 0, sizeof e->rates.slots);
        e->rates.used = 0;
    } else if (u->n_slots > 0) {
        e->rates.used = u->used;
        /* newest first: a slot changed twice ends as it was first */
        while (u->n_slots > 0) {
            const struct rate_slot_was *w = &u->slots[--u->n_slots];
            e->rates.slots[w->index] = w->was;
        }
    }
    engine_rates_begin(e);
}
