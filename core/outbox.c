/*
 * The outbox table: replies are queued in the event's transaction
 * (outbox_add), fetched by bot/'s sender per platform, and their delivery
 * recorded (sent with the platform's message id, retried with backoff,
 * failed, the chat gone).  The public half is declared in engine.h.
 */
#include "outbox.h"

#include <stdlib.h>
#include <string.h>

#include "community.h"
#include "util.h"

#define OUTBOX_MEM_MAX 2048   /* committed rows kept per platform for its sender */

/* One allocation holding the row and copies of its strings. */
static struct kb_reply *reply_pack(const struct kb_reply *r, const char *ref)
{
    const char *const src[] = {r->platform, r->chat_id, r->thread_id, r->reply_to, r->text,
                               r->buttons, r->edit_message_id, r->callback_id, ref};
    enum { N_STR = sizeof src / sizeof src[0] };
    size_t len[N_STR], total = sizeof(struct kb_reply);
    for (size_t i = 0; i < N_STR; i++) {
        len[i] = src[i] ? strlen(src[i]) + 1 : 0;
        total += len[i];
    }
    struct kb_reply *p = xmalloc(total);
    *p = *r;
    char *at = (char *)(p + 1);
    const char *dst[N_STR];
    for (size_t i = 0; i < N_STR; i++) {
        dst[i] = src[i] ? memcpy(at, src[i], len[i]) : NULL;
        at += len[i];
    }
    p->platform = dst[0];
    p->chat_id = dst[1];
    p->thread_id = dst[2];
    p->reply_to = dst[3];
    p->text = dst[4] ? dst[4] : "";
    p->buttons = dst[5];
    p->edit_message_id = dst[6];
    p->callback_id = dst[7];
    p->ref = dst[8];
    return p;
}

static void rows_push(struct kb_reply ***rows, size_t *n, size_t *cap, struct kb_reply *r)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *rows = xrealloc(*rows, *cap * sizeof **rows);
    }
    (*rows)[(*n)++] = r;
}

int outbox_add(struct engine *e, const struct kb_reply *r, const char *ref, int64_t now)
{
    int rc = store_exec(e->st,
                        "INSERT INTO outbox(platform, chat_id, thread_id, reply_to, kind, text, buttons,"
                        " edit_message_id, callback_id, coalesce, ref, created_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        VALS(ST(r->platform), ST(r->chat_id), ST(r->thread_id), ST(r->reply_to),
                             SI(r->kind), ST(r->text ? r->text : ""), ST(r->buttons),
                             ST(r->edit_message_id), ST(r->callback_id), SI(r->coalesce), ST(ref),
                             SI(now)));
    if (rc)
        return rc;
    struct kb_reply *p = reply_pack(r, ref);
    p->id = store_last_id(e->st);
    p->not_before_ms = 0;
    struct outbox_mem *m = &e->outbox;
    rows_push(&m->staged, &m->n_staged, &m->cap_staged, p);
    return KB_OK;
}

/* ==== rows in memory =================================================== */

static struct outbox_lane *lane_of(struct engine *e, const char *platform)
{
    struct outbox_mem *m = &e->outbox;
    for (size_t i = 0; i < m->n_lanes; i++)
        if (strcmp(m->lanes[i].platform, platform) == 0)
            return &m->lanes[i];
    m->lanes = xrealloc(m->lanes, (m->n_lanes + 1) * sizeof *m->lanes);
    struct outbox_lane *l = &m->lanes[m->n_lanes++];
    memset(l, 0, sizeof *l);
    l->platform = xstrdup(platform);
    return l;
}

static void lane_clear(struct outbox_lane *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->rows[i]);
    l->n = 0;
}

size_t outbox_mem_mark(const struct engine *e)
{
    return e->outbox.n_staged;
}

void outbox_mem_rollback(struct engine *e, size_t mark)
{
    struct outbox_mem *m = &e->outbox;
    while (m->n_staged > mark)
        free(m->staged[--m->n_staged]);
}

void outbox_mem_commit(struct engine *e)
{
    struct outbox_mem *m = &e->outbox;
    for (size_t i = 0; i < m->n_staged; i++) {
        struct kb_reply *r = m->staged[i];
        if (r->id > m->last_id)
            m->last_id = r->id;
        struct outbox_lane *l = lane_of(e, r->platform);
        if (l->spilled || l->n >= OUTBOX_MEM_MAX) {
            l->spilled = 1; /* durable in the table: the sender reloads it from there */
            free(r);
            continue;
        }
        rows_push(&l->rows, &l->n, &l->cap, r);
    }
    m->n_staged = 0;
}

void outbox_mem_stale(struct engine *e, const char *platform)
{
    struct outbox_lane *l = lane_of(e, platform);
    lane_clear(l);
    l->stale = 1;
}

void outbox_mem_free(struct engine *e)
{
    struct outbox_mem *m = &e->outbox;
    outbox_mem_rollback(e, 0);
    free(m->staged);
    for (size_t i = 0; i < m->n_lanes; i++) {
        lane_clear(&m->lanes[i]);
        free(m->lanes[i].rows);
        free(m->lanes[i].platform);
    }
    free(m->lanes);
    free(m->riders);
    memset(m, 0, sizeof *m);
}

void outbox_rows_free(struct outbox_rows *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->rows[i]);
    free(r->rows);
    memset(r, 0, sizeof *r);
}

int engine_outbox_take(struct engine *e, const char *platform, size_t max, struct outbox_rows *out)
{
    struct outbox_lane *l = lane_of(e, platform);
    if (l->stale)
        return OUTBOX_STALE;
    size_t k = l->n < max ? l->n : max;
    for (size_t i = 0; i < k; i++)
        rows_push(&out->rows, &out->n, &out->cap, l->rows[i]);
    if (k > 0 && k < l->n) /* an empty lane has no array yet */
        memmove(l->rows, l->rows + k, (l->n - k) * sizeof *l->rows);
    l->n -= k;
    return l->spilled && l->n == 0 ? OUTBOX_SPILLED : OUTBOX_TAKEN;
}

int engine_outbox_reload(struct engine *e, const char *platform, size_t max, struct outbox_rows *out)
{
    struct outbox_lane *l = lane_of(e, platform);
    lane_clear(l);
    l->stale = 0;
    l->spilled = 0;
    sqlite3_stmt *s = store_query(
        e->st,
        "SELECT id, kind, chat_id, thread_id, reply_to, text, buttons, edit_message_id,"
        " callback_id, coalesce, ref, not_before_ms FROM outbox"
        " WHERE state = 0 AND platform = ? ORDER BY id LIMIT ?",
        VALS(ST(platform), SI(max)));
    if (!s)
        return engine_fail(e, store_failure(e->st));
    size_t n = 0;
    int rc;
    while ((rc = store_step(e->st, s)) == 1) {
#define OPT(col) (store_is_null(s, col) ? NULL : store_text(s, col))
        struct kb_reply r = {.id = store_int(s, 0), .kind = (enum kb_reply_kind)store_int(s, 1),
                             .platform = platform, .chat_id = store_text(s, 2),
                             .thread_id = OPT(3), .reply_to = OPT(4), .text = store_text(s, 5),
                             .buttons = OPT(6), .edit_message_id = OPT(7), .callback_id = OPT(8),
                             .coalesce = (int)store_int(s, 9),
                             .not_before_ms = store_int(s, 11)};
        struct kb_reply *p = reply_pack(&r, OPT(10));
#undef OPT
        rows_push(&out->rows, &out->n, &out->cap, p);
        n++;
    }
    store_done(s);
    if (rc < 0)
        return engine_fail(e, rc);
    l->spilled = n == max; /* more may wait: the next reload reads them */
    return KB_OK;
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
        return engine_fail(e, store_failure(e->st));
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
#define OPT(col) (store_is_null(s, col) ? NULL : xstrdup(store_text(s, col)))
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
        return engine_fail(e, rc);
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

/* Read once; then every commit's rows raise it (outbox_mem_commit). */
int64_t engine_outbox_last_id(struct engine *e)
{
    struct outbox_mem *m = &e->outbox;
    if (!m->have_last_id) {
        int64_t id = 0;
        if (store_i64(e->st, &id, "SELECT coalesce(max(id), 0) FROM outbox", NOVALS) != KB_OK)
            return m->last_id;
        if (id > m->last_id)
            m->last_id = id;
        m->have_last_id = 1;
    }
    return m->last_id;
}

/* ?3 = the platform's retry time, or 0: back off 1 s doubling to 60 s, plus
   up to 1 s of jitter derived from the row id so bursts spread out */
#define BACKOFF_SQL \
    " not_before_ms = CASE WHEN ?3 > 0 THEN ?3 ELSE" \
    " ?4 + min(60000, 1000 << min(attempts, 6)) + (id * 7919) % 1000 END"

static int outbox_record(struct engine *e, int64_t id, enum outbox_outcome outcome,
                         const char *message_id, int64_t retry_at_ms, const char *error, int no_ref,
                         int64_t now_ms)
{
    int64_t now = now_ms / 1000;
    int rc;
    switch (outcome) {
    case OUTBOX_SENT:
        rc = store_exec(e->st,
                        "UPDATE outbox SET state = 1, sent_message_id = ?, sent_at = ?, error = NULL"
                        " WHERE id = ?",
                        VALS(ST(message_id), SI(now), SI(id)));
        if (!rc && message_id && !no_ref)
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
                        "UPDATE outbox SET state = CASE WHEN state = 3 THEN 0 ELSE state END,"
                        " attempts = attempts + 1, error = ?2," BACKOFF_SQL
                        " WHERE id = ?1",
                        VALS(SI(id), ST(error), SI(retry_at_ms), SI(now_ms)));
        break;
    case OUTBOX_FAILED:
        rc = store_exec(e->st, "UPDATE outbox SET state = 2, error = ? WHERE id = ?",
                        VALS(ST(error), SI(id)));
        break;
    case OUTBOX_CHAT_GONE:
        rc = private_messages_refused(e, id, now); /* they go to the group instead */
        if (!rc)
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
    case OUTBOX_SENDING:
        rc = store_exec(e->st, "UPDATE outbox SET state = 3 WHERE id = ? AND state = 0",
                        VALS(SI(id)));
        break;
    default:
        rc = KB_EINVAL;
    }
    return rc;
}

/* Our own message came back from the platform: its outbox row arrived, even
   when the answer to the send was lost in a crash.  Only a row of the same
   platform and chat that is not yet marked sent is touched. */
int outbox_echoed(struct engine *e, const struct kb_event *ev, int64_t now)
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
    /* no_ref 0: the row may carry a ref (a poll card) to record as posted */
    return outbox_record(e, ev->outbox_id, OUTBOX_SENT, ev->message_id, 0, NULL, 0, now * 1000);
}

void engine_outbox_ride(struct engine *e, const struct outbox_rider *r)
{
    struct outbox_mem *m = &e->outbox;
    m->riders = xrealloc(m->riders, (m->n_riders + 1) * sizeof *m->riders);
    m->riders[m->n_riders++] = (struct riding){.rider = *r};
}

void engine_outbox_unride(struct engine *e, void *ud)
{
    struct outbox_mem *m = &e->outbox;
    for (size_t i = 0; i < m->n_riders; i++)
        if (m->riders[i].rider.ud == ud) {
            memmove(m->riders + i, m->riders + i + 1, (m->n_riders - i - 1) * sizeof *m->riders);
            m->n_riders--;
            return;
        }
}

int outbox_riders_write(struct engine *e)
{
    int rc = KB_OK;
    for (size_t r = 0; r < e->outbox.n_riders; r++) {
        struct riding *g = &e->outbox.riders[r];
        const struct outbox_done *d = NULL;
        int64_t now_ms = 0;
        g->wrote = rc ? 0 : g->rider.waiting(g->rider.ud, &d, &now_ms);
        for (size_t i = 0; i < g->wrote && !rc; i++)
            rc = outbox_record(e, d[i].id, d[i].outcome, d[i].message_id, d[i].retry_at_ms,
                               d[i].error, d[i].no_ref, now_ms);
    }
    return rc;
}

void outbox_riders_recorded(struct engine *e)
{
    for (size_t r = 0; r < e->outbox.n_riders; r++) {
        struct riding *g = &e->outbox.riders[r];
        if (g->wrote)
            g->rider.recorded(g->rider.ud, g->wrote);
        g->wrote = 0;
    }
}

int engine_outbox_flush(struct engine *e)
{
    int rc = store_begin(e->st);
    return rc ? engine_fail(e, rc) : engine_finish(e, KB_OK);
}

int engine_outbox_done_many(struct engine *e, const struct outbox_done *d, size_t n, int64_t now_ms)
{
    if (n == 0)
        return KB_OK;
    int rc = store_begin(e->st);
    if (rc)
        return engine_fail(e, rc);
    for (size_t i = 0; i < n && !rc; i++)
        rc = outbox_record(e, d[i].id, d[i].outcome, d[i].message_id, d[i].retry_at_ms, d[i].error,
                           d[i].no_ref, now_ms);
    return engine_finish(e, rc);
}

int64_t engine_outbox_interrupted(struct engine *e, const char *platform, int64_t now_ms)
{
    int rc = store_begin(e->st);
    if (rc)
        return engine_fail(e, rc);
    rc = store_exec(e->st,
                    "UPDATE outbox SET state = 1, sent_at = ?, error = 'not confirmed:"
                    " the bot stopped during the send' WHERE state = 3 AND platform = ?",
                    VALS(SI(now_ms / 1000), ST(platform)));
    int64_t n = rc ? 0 : store_changes(e->st);
    rc = engine_finish(e, rc);
    return rc ? rc : n;
}

int engine_outbox_done(struct engine *e, int64_t id, enum outbox_outcome outcome,
                       const char *message_id, int64_t retry_at_ms, const char *error, int64_t now_ms)
{
    struct outbox_done d = {.id = id, .outcome = outcome, .message_id = message_id,
                            .retry_at_ms = retry_at_ms, .error = error};
    return engine_outbox_done_many(e, &d, 1, now_ms);
}
