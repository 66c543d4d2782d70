/* The outbox sender; see outbox.h. */
#include "outbox.h"

#include <stdlib.h>
#include <string.h>

#include "../core/cache.h"
#include "../core/util.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"

#define QUEUE_MAX 2048         /* rows the sender holds in memory */
#define WINDOW_MAX 64
#define DONE_BATCH 128         /* outcomes recorded together (one commit, one sync) */
#define DONE_DELAY_MS 5        /* at most this long after the first of them: a crash in
                                  between sends those replies again (bulk messages are
                                  marked before they go and never are: mark_sending);
                                  deliveries ride on any commit before then (rider_*) */
#define MERGE_HEADROOM 296     /* a merged text stays this far under the adapter's
                                  max_text (3800 of Telegram's 4096): never split */
#define GLOBAL_MARGIN_MS 100   /* the overall limit is kept over a slightly longer second:
                                  requests reach the platform with jitter */

/* A chat's lane (its messages, or its button answers): the rows waiting for
   it in order, and its pacing. */
struct chat_state {
    char *key;                     /* chat id, or "answers:" + chat id */
    int64_t next_ms;               /* earliest next send (pacing, retry_after) */
    int64_t window[WINDOW_MAX];    /* ring of recent send times */
    size_t window_pos;
    int busy;                      /* a send for this chat is in flight */
    struct kb_reply **queue;       /* waiting rows, oldest first, from head */
    size_t head, n, cap;
};

/* When the rows in memory must be read again from the outbox table. */
enum reload {
    RELOAD_NONE = 0,
    RELOAD_WHEN_EMPTY,             /* the table holds more than memory did */
    RELOAD_NOW                     /* start-up, a failed send, a migrated chat */
};

struct sender {
    uv_loop_t *loop;
    struct engine *e;
    struct adapter *a;
    struct sender_limits lim;
    uv_timer_t timer;
    int closing;
    int kicked;                    /* something changed since the pump began */
    size_t in_flight;
    struct chat_state *chats;
    size_t n_chats, cap_chats;
    struct cache index;            /* lane key -> index into chats */
    size_t queued;                 /* rows waiting in all lanes */
    enum reload reload;
    int interrupted_settled;       /* the rows a previous run was sending are settled */
    int64_t global[WINDOW_MAX];
    size_t global_pos;
    int64_t bulk[WINDOW_MAX];      /* recent bulk sends (their own, smaller budget) */
    size_t bulk_pos;
    int64_t bulk_next_ms;          /* bulk sends are spread evenly, never in bursts */
    size_t scan_from;              /* the lane a pump looks at first: after the last one
                                      served when the cap stopped the scan, so the cap
                                      is fair; else the first */
    void (*idle)(void *ud);
    void *idle_ud;
    /* outcomes not yet recorded: written with the engine's next commit, or
       in one transaction of their own at the next pump once they are due
       (one sync per round of sends, not one per message) */
    struct outbox_done *done;
    size_t n_done, cap_done;
    int64_t done_since_ms;         /* when the oldest unrecorded outcome came */
    int done_rides;                /* all of them are deliveries: they may wait for a ride */
    int flushing;                  /* done_flush: everything goes, deliveries or not */
    void (*sent)(void *ud);
    void *sent_ud;
    int sent_unreported;           /* a delivery happened since sent() was last called */
    struct metrics *metrics;       /* may be NULL */
    size_t metrics_idx;
};

struct send_job {
    struct sender *s;
    size_t chat;                   /* index into s->chats */
    struct kb_reply **rows;        /* the rows this send carries, owned */
    size_t n;
    char *text;                    /* merged text, owned */
};

static void pump(uv_timer_t *t);

static size_t lane_index(struct sender *s, const char *prefix, const char *chat_id)
{
    struct sbuf key = {0};
    sbuf_add(&key, prefix);
    sbuf_add(&key, chat_id);
    const struct cache_entry *hit = cache_get(&s->index, key.s);
    if (hit) {
        sbuf_free(&key);
        return (size_t)hit->num;
    }
    if (s->n_chats == s->cap_chats) {
        s->cap_chats = s->cap_chats ? s->cap_chats * 2 : 16;
        s->chats = xrealloc(s->chats, s->cap_chats * sizeof *s->chats);
    }
    struct chat_state *c = &s->chats[s->n_chats];
    memset(c, 0, sizeof *c);
    cache_put(&s->index, key.s, (int64_t)s->n_chats, NULL, NULL, 0);
    c->key = sbuf_take(&key);
    return s->n_chats++;
}

/* Answers to button presses (the presser's toast) are not messages in the
   chat: they keep their own order per chat and never wait behind the chat's
   paced messages, which could hold them past Telegram's answer deadline. */
static size_t lane_of_row(struct sender *s, const struct kb_reply *r)
{
    return lane_index(s, r->kind == KB_REPLY_ANSWER ? "answers:" : "", r->chat_id);
}

static void queue_push(struct sender *s, struct kb_reply *r)
{
    size_t lane = lane_of_row(s, r); /* may grow s->chats */
    struct chat_state *c = &s->chats[lane];
    if (c->head > 0 && c->head + c->n == c->cap) { /* slide to the front before growing */
        memmove(c->queue, c->queue + c->head, c->n * sizeof *c->queue);
        c->head = 0;
    }
    if (c->head + c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 8;
        c->queue = xrealloc(c->queue, c->cap * sizeof *c->queue);
    }
    c->queue[c->head + c->n++] = r;
    s->queued++;
}

static void queues_take(struct sender *s, struct outbox_rows *rows)
{
    for (size_t i = 0; i < rows->n; i++)
        queue_push(s, rows->rows[i]);
    free(rows->rows);
    memset(rows, 0, sizeof *rows);
}

/* Forget every waiting row (they stay pending in the table). */
static void queues_clear(struct sender *s)
{
    for (size_t i = 0; i < s->n_chats; i++) {
        struct chat_state *c = &s->chats[i];
        for (size_t k = 0; k < c->n; k++)
            free(c->queue[c->head + k]);
        c->head = c->n = 0;
    }
    s->queued = 0;
}

/* Earliest time a ring of `size` recent sends allows another within span. */
static int64_t window_free_at(const int64_t *ring, size_t pos, int size, int64_t span)
{
    if (size <= 0)
        return 0;
    if (size > WINDOW_MAX)
        size = WINDOW_MAX;
    /* the send `size` sends ago must be older than span */
    size_t idx = (pos + WINDOW_MAX - (size_t)size) % WINDOW_MAX;
    return ring[idx] ? ring[idx] + span : 0;
}

/* Bulk messages get two thirds of the overall budget at most, so the
   other third is always there for group replies. */
static int bulk_per_s(const struct sender *s)
{
    int n = s->lim.global_per_s * 2 / 3;
    return n > 0 ? n : 1;
}

static int64_t chat_ready_at(struct sender *s, struct chat_state *c, int bulk)
{
    int64_t t = c->next_ms;
    if (!s->lim.enabled)
        return t;
    int64_t w = window_free_at(c->window, c->window_pos, s->lim.per_group_per_min, 60000);
    if (w > t)
        t = w;
    w = window_free_at(s->global, s->global_pos, s->lim.global_per_s, 1000 + GLOBAL_MARGIN_MS);
    if (w > t)
        t = w;
    if (bulk) {
        w = window_free_at(s->bulk, s->bulk_pos, bulk_per_s(s), 1000 + GLOBAL_MARGIN_MS);
        if (w > t)
            t = w;
        if (s->bulk_next_ms > t)
            t = s->bulk_next_ms;
    }
    return t;
}

static void note_send(struct sender *s, struct chat_state *c, int64_t now, int bulk)
{
    c->window[c->window_pos] = now;
    c->window_pos = (c->window_pos + 1) % WINDOW_MAX;
    s->global[s->global_pos] = now;
    s->global_pos = (s->global_pos + 1) % WINDOW_MAX;
    if (bulk) {
        s->bulk[s->bulk_pos] = now;
        s->bulk_pos = (s->bulk_pos + 1) % WINDOW_MAX;
        /* a burst delayed on its way would land in the same second as the
           next one: one at a time, evenly */
        s->bulk_next_ms = now + 1000 / bulk_per_s(s);
    }
}

static void arm(struct sender *s, uint64_t delay_ms)
{
    if (s->closing)
        return;
    uv_timer_start(&s->timer, pump, delay_ms, 0);
}

void sender_kick(struct sender *s)
{
    s->kicked = 1;
    arm(s, 0);
}

size_t sender_in_flight(const struct sender *s)
{
    return s->in_flight;
}

static int sends_full(const struct sender *s)
{
    return s->lim.max_in_flight > 0 && s->in_flight >= (size_t)s->lim.max_in_flight;
}

static void done_push(struct sender *s, const struct kb_reply *r, enum outbox_outcome out,
                      const char *message_id, int64_t retry_at, const char *error)
{
    if (s->n_done == 0) {
        s->done_since_ms = clock_real_ms();
        s->done_rides = 1;
    }
    if (out != OUTBOX_SENT)
        s->done_rides = 0;
    if (s->n_done == s->cap_done) {
        s->cap_done = s->cap_done ? s->cap_done * 2 : 64;
        s->done = xrealloc(s->done, s->cap_done * sizeof *s->done);
    }
    s->done[s->n_done++] = (struct outbox_done){
        .id = r->id, .outcome = out, .message_id = message_id ? xstrdup(message_id) : NULL,
        .retry_at_ms = retry_at, .error = error ? xstrdup(error) : NULL, .no_ref = !r->ref};
}

/* The engine is about to commit: what it may write with it. */
static size_t rider_waiting(void *ud, const struct outbox_done **d, int64_t *now_ms)
{
    struct sender *s = ud;
    if (!s->flushing && !s->done_rides)
        return 0; /* a failure or a mark: done_flush writes it, in its own time */
    *d = s->done;
    *now_ms = clock_real_ms();
    return s->n_done;
}

/* The first n waiting outcomes leave the list. */
static void done_forget(struct sender *s, size_t n)
{
    if (n == 0)
        return; /* s->done may be NULL yet: no memmove from it */
    for (size_t i = 0; i < n; i++) {
        free((char *)s->done[i].message_id);
        free((char *)s->done[i].error);
    }
    memmove(s->done, s->done + n, (s->n_done - n) * sizeof *s->done);
    s->n_done -= n;
}

/* The first n waiting outcomes are committed (inside an engine call); the
   next pump (the app kicks after its commits) tells sent(). */
static void rider_recorded(void *ud, size_t n)
{
    done_forget(ud, n);
}

/* The sent message ids are in the database: scheduled work that was waiting
   for one (a poll's live edit) can be planned. */
static void report_sent(struct sender *s)
{
    if (s->sent_unreported && s->n_done == 0 && s->sent && !s->closing) {
        s->sent_unreported = 0;
        s->sent(s->sent_ud);
    }
}

/* Record the waiting outcomes now, in a transaction of their own.  0, or
   negative when they stay waiting (the rows are still pending in the
   database, so nothing may be fetched). */
static int done_flush(struct sender *s)
{
    if (s->n_done == 0)
        return 0;
    s->flushing = 1;
    int rc = engine_outbox_flush(s->e);
    s->flushing = 0;
    if (rc) {
        log_error("outbox", "cannot record delivery of %zu replies: %s", s->n_done,
                  engine_errmsg(s->e));
        return rc;
    }
    report_sent(s);
    return 0;
}

/* A bulk message is marked as being sent, with the outcomes waiting, right
   before it goes: a crash after the mark never sends it again (its row is
   settled by engine_outbox_interrupted), and the window in which a crash
   loses it is the few microseconds to the adapter's write.  1 when marked. */
static int mark_sending(struct sender *s, const struct send_job *job)
{
    for (size_t i = 0; i < job->n; i++)
        done_push(s, job->rows[i], OUTBOX_SENDING, NULL, 0, NULL);
    return done_flush(s) == 0;
}

static enum outbox_outcome map_outcome(enum kb_send_outcome o)
{
    switch (o) {
    case KB_SEND_OK: return OUTBOX_SENT;
    case KB_SEND_RETRY_ONCE: return OUTBOX_RETRY_ONCE;
    case KB_SEND_FAILED: return OUTBOX_FAILED;
    case KB_SEND_CHAT_GONE: return OUTBOX_CHAT_GONE;
    case KB_SEND_RETRY:
    case KB_SEND_FATAL: /* kept for the next run */
    default: return OUTBOX_RETRY;
    }
}

static void send_done(void *ud, const struct kb_send_result *res)
{
    struct send_job *job = ud;
    struct sender *s = job->s;
    struct chat_state *c = &s->chats[job->chat];
    int64_t now = clock_real_ms(); /* Telegram's limits run on real time, not the test clock */
    enum outbox_outcome out = map_outcome(res->outcome);
    int64_t retry_at = 0;
    /* the message reached the platform at some instant up to now (it may
       have waited in the HTTP client's queue or the platform's): the chat
       gap counts from its answer, so two never land closer than the gap
       (the lane's next send waits for this answer anyway: c->busy) */
    if (job->rows[0]->kind != KB_REPLY_ANSWER && s->lim.enabled && s->lim.per_chat_per_s > 0) {
        int64_t gap = (int64_t)(1000.0 / s->lim.per_chat_per_s);
        if (now + gap > c->next_ms)
            c->next_ms = now + gap;
    }
    if (res->retry_after_ms > 0) {
        retry_at = now + res->retry_after_ms;
        if (retry_at > c->next_ms)
            c->next_ms = retry_at; /* never undercut the platform's wait */
        log_warn("outbox", "chat %s: rate limited, retry in %ld ms", c->key, res->retry_after_ms);
    }
    if (out == OUTBOX_FAILED || out == OUTBOX_CHAT_GONE)
        log_warn("outbox", "chat %s: send failed: %s", c->key,
                 res->description ? res->description : "(no description)");
    if (s->metrics) {
        int64_t some[WINDOW_MAX], *ids = job->n <= WINDOW_MAX ? some : xmalloc(job->n * sizeof *ids);
        for (size_t i = 0; i < job->n; i++)
            ids[i] = job->rows[i]->id;
        metrics_send(s->metrics, s->metrics_idx, res, ids, job->n, now);
        if (ids != some)
            free(ids);
    }
    for (size_t i = 0; i < job->n; i++) {
        done_push(s, job->rows[i], out, res->message_id, retry_at, res->description);
        free(job->rows[i]);
    }
    /* anything but a delivery changes the table in ways only it knows
       (backoff, a chat's whole queue failed): read it again */
    if (out != OUTBOX_SENT)
        s->reload = RELOAD_NOW;
    if (s->closing)
        done_flush(s); /* no pump will come */
    c->busy = 0;
    s->in_flight--;
    free(job->rows);
    free(job->text);
    free(job);
    if (out == OUTBOX_SENT)
        s->sent_unreported = 1; /* told once the outcome is recorded (done_flush) */
    sender_kick(s);
}

static int same_topic(const struct kb_reply *a, const struct kb_reply *b)
{
    return (!a->thread_id && !b->thread_id) ||
           (a->thread_id && b->thread_id && strcmp(a->thread_id, b->thread_id) == 0);
}

/* The first due row of a lane and, when it is a mergeable acknowledgement,
   the mergeable due rows right after it; they leave the queue. */
static struct send_job *make_job(struct sender *s, size_t chat, size_t first_at, int64_t now)
{
    struct chat_state *c = &s->chats[chat];
    struct kb_reply **q = c->queue + c->head;
    struct kb_reply *first = q[first_at];
    size_t end = first_at + 1;
    struct sbuf text = {0};
    if (first->coalesce && s->lim.coalesce && first->kind == KB_REPLY_SEND) {
        size_t merge_max = s->a->max_text > 2 * MERGE_HEADROOM ? s->a->max_text - MERGE_HEADROOM
                                                               : s->a->max_text / 2;
        size_t chars = utf8_count(first->text, strlen(first->text));
        for (; end < c->n; end++) {
            struct kb_reply *r = q[end];
            size_t more = utf8_count(r->text, strlen(r->text)) + 1;
            if (!r->coalesce || r->kind != KB_REPLY_SEND || r->not_before_ms > now ||
                !same_topic(r, first) || chars + more > merge_max)
                break; /* keep the chat's order: stop at the first row that can't merge */
            if (end == first_at + 1)
                sbuf_add(&text, first->text);
            chars += more;
            sbuf_addc(&text, '\n');
            sbuf_add(&text, r->text);
        }
    }
    struct send_job *job = xcalloc(1, sizeof *job);
    job->s = s;
    job->chat = chat;
    job->n = end - first_at;
    job->rows = xmalloc(job->n * sizeof *job->rows);
    memcpy(job->rows, q + first_at, job->n * sizeof *job->rows);
    memmove(q + first_at, q + end, (c->n - end) * sizeof *q);
    c->n -= job->n;
    s->queued -= job->n;
    if (c->n == 0)
        c->head = 0;
    job->text = text.len ? sbuf_take(&text) : NULL;
    sbuf_free(&text);
    return job;
}

/* Bring the rows the engine committed into the lanes, or read the table
   again when memory cannot be trusted.  0 when sending may go on. */
static int refill(struct sender *s)
{
    const char *platform = s->a->ops->platform;
    struct outbox_rows rows = {0};
    if (s->reload == RELOAD_NONE && s->queued < QUEUE_MAX) {
        size_t room = QUEUE_MAX - s->queued;
        int took = engine_outbox_take(s->e, platform, room, &rows);
        if (rows.n == room)
            s->kicked = 1; /* the engine may hold more: come back at once */
        queues_take(s, &rows);
        if (took == OUTBOX_STALE)
            s->reload = RELOAD_NOW;
        else if (took == OUTBOX_SPILLED)
            s->reload = RELOAD_WHEN_EMPTY;
    }
    if (s->reload == RELOAD_NONE || s->in_flight > 0 ||
        (s->reload == RELOAD_WHEN_EMPTY && s->queued > 0))
        return s->reload == RELOAD_NOW ? -1 : 0; /* a reload waits for the sends in flight */
    if (done_flush(s))
        return -1; /* sent rows would still look pending: reading them would resend */
    if (!s->interrupted_settled) {
        int64_t n = engine_outbox_interrupted(s->e, platform, clock_real_ms());
        if (n < 0) {
            log_error("outbox", "cannot settle the bulk messages a previous run was sending: %s",
                      engine_errmsg(s->e));
            return -1;
        }
        if (n > 0)
            log_warn("outbox", "%lld bulk messages were on their way when the bot stopped:"
                     " counted as sent, never sent twice", (long long)n);
        s->interrupted_settled = 1;
    }
    queues_clear(s);
    if (engine_outbox_reload(s->e, platform, QUEUE_MAX, &rows)) {
        outbox_rows_free(&rows);
        log_error("outbox", "cannot read the outbox: %s", engine_errmsg(s->e));
        return -1;
    }
    queues_take(s, &rows);
    s->reload = RELOAD_NONE;
    return 0;
}

static void pump(uv_timer_t *t)
{
    struct sender *s = t->data;
    if (s->closing)
        return;
    s->kicked = 0;
    int64_t now = clock_real_ms(); /* Telegram's limits run on real time, not the test clock */
    /* outcomes are recorded in rounds: one sync for many sends; deliveries
       wait for a ride on the engine's next commit until they are due */
    int idle = s->in_flight == 0 && s->queued == 0;
    if (s->n_done && (s->n_done >= DONE_BATCH || now - s->done_since_ms >= DONE_DELAY_MS ||
                      (idle && !s->done_rides)) && done_flush(s)) {
        arm(s, 1000);
        return;
    }
    report_sent(s);
    if (refill(s)) {
        if (s->in_flight == 0)
            arm(s, 1000); /* the table could not be read: try again */
        return;           /* else the last send in flight kicks */
    }
    int64_t wake = s->n_done ? s->done_since_ms + DONE_DELAY_MS : -1;
    /* two rounds: every other reply first, then the bulk lanes with what the
       budget leaves */
    size_t start = s->scan_from, next_start = 0;
    for (int round = 0; round < 2 && !s->closing && s->reload != RELOAD_NOW; round++) {
        /* a full pipe stops the scan: the next send's answer kicks */
        for (size_t step = 0; step < s->n_chats && !s->closing && !sends_full(s); step++) {
            size_t ci = (start + step) % s->n_chats;
            struct chat_state *c = &s->chats[ci];
            while (c->n > 0 && !c->busy && !sends_full(s) &&
                   kb_reply_is_bulk(c->queue[c->head]) == round) {
                size_t k = 0; /* the first due row (a row backing off lets later ones pass) */
                int64_t due = -1;
                for (; k < c->n; k++) {
                    int64_t nb = c->queue[c->head + k]->not_before_ms;
                    if (nb <= now)
                        break;
                    if (due < 0 || nb < due)
                        due = nb;
                }
                int answer = c->queue[c->head]->kind == KB_REPLY_ANSWER;
                int bulk = kb_reply_is_bulk(c->queue[c->head]);
                int64_t ready = k == c->n ? due : answer ? 0 : chat_ready_at(s, c, bulk);
                if (k == c->n || ready > now) {
                    if (wake < 0 || ready < wake)
                        wake = ready;
                    break;
                }
                struct send_job *job = make_job(s, ci, k, now);
                struct kb_reply merged = *job->rows[0];
                if (job->text)
                    merged.text = job->text;
                if (!answer)
                    note_send(s, c, now, bulk);
                c->busy = 1;
                s->in_flight++;
                next_start = ci + 1;
                if ((bulk && s->lim.bulk_at_most_once && !mark_sending(s, job)) ||
                    s->a->ops->send(s->a, &merged, send_done, job) < 0) {
                    struct kb_send_result res = {.outcome = KB_SEND_RETRY};
                    send_done(job, &res);
                }
                c = &s->chats[ci]; /* a synchronous adapter (console) is done already: go on */
                if (s->reload == RELOAD_NOW)
                    break;
            }
            if (s->reload == RELOAD_NOW)
                break;
        }
    }
    /* stopped by the cap: the next scan goes on after the last lane served;
       else every lane had its turn and the next starts at the first */
    s->scan_from = sends_full(s) ? next_start : 0;
    if (s->kicked)
        arm(s, 0);
    else if (wake >= 0)
        arm(s, wake > now ? (uint64_t)(wake - now) : 1);
    else if (s->in_flight == 0 && s->queued == 0 && s->reload == RELOAD_NONE && s->n_done == 0 &&
             s->idle)
        s->idle(s->idle_ud);
}

struct sender *sender_new(uv_loop_t *loop, struct engine *e, struct adapter *a,
                          const struct sender_limits *lim, void (*idle)(void *ud), void *ud)
{
    struct sender *s = xcalloc(1, sizeof *s);
    s->loop = loop;
    s->e = e;
    s->a = a;
    s->lim = *lim;
    s->idle = idle;
    s->idle_ud = ud;
    s->reload = RELOAD_NOW; /* replies left from a previous run wait in the table */
    if (s->lim.enabled) {
        /* a process started after a crash does not know what the one before
           sent in its last second: start as if the whole budget was just used */
        int64_t now = clock_real_ms();
        for (int i = 0; i < s->lim.global_per_s && i < WINDOW_MAX; i++)
            s->global[s->global_pos++ % WINDOW_MAX] = now;
        for (int i = 0; i < bulk_per_s(s) && i < WINDOW_MAX; i++)
            s->bulk[s->bulk_pos++ % WINDOW_MAX] = now;
        s->global_pos %= WINDOW_MAX;
        s->bulk_pos %= WINDOW_MAX;
    }
    cache_init(&s->index, SIZE_MAX); /* an index: never starts over */
    engine_outbox_ride(e, &(struct outbox_rider){rider_waiting, rider_recorded, s});
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
    return s;
}

void sender_set_metrics(struct sender *s, struct metrics *m, size_t adapter)
{
    s->metrics = m;
    s->metrics_idx = adapter;
}

void sender_on_sent(struct sender *s, void (*sent)(void *ud), void *ud)
{
    s->sent = sent;
    s->sent_ud = ud;
}

static void sender_closed(uv_handle_t *h)
{
    struct sender *s = h->data;
    done_flush(s);
    engine_outbox_unride(s->e, s);
    done_forget(s, s->n_done); /* not recorded: the table still has them pending */
    free(s->done);
    queues_clear(s);
    for (size_t i = 0; i < s->n_chats; i++) {
        free(s->chats[i].key);
        free(s->chats[i].queue);
    }
    free(s->chats);
    cache_free(&s->index);
    free(s);
}

void sender_close(struct sender *s)
{
    if (!s)
        return;
    s->closing = 1;
    uv_close((uv_handle_t *)&s->timer, sender_closed);
}
