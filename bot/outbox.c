/* The outbox sender; see outbox.h. */
#include "outbox.h"

#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"

#define FETCH_MAX 500
#define WINDOW_MAX 64
#define MERGE_HEADROOM 296     /* a merged text stays this far under the adapter's
                                  max_text (3800 of Telegram's 4096): never split */

struct chat_state {
    char *chat_id;
    int64_t next_ms;               /* earliest next send (pacing, retry_after) */
    int64_t window[WINDOW_MAX];    /* ring of recent send times */
    size_t window_pos;
    int busy;                      /* a send for this chat is in flight */
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
    int64_t global[WINDOW_MAX];
    size_t global_pos;
    void (*idle)(void *ud);
    void *idle_ud;
    /* outcomes not yet recorded: written in one transaction at the next
       pump (one sync per round of sends, not one per message) */
    struct outbox_done *done;
    size_t n_done, cap_done;
    void (*sent)(void *ud);
    void *sent_ud;
    int sent_unreported;           /* a delivery happened since sent() was last called */
    struct metrics *metrics;       /* may be NULL */
    size_t metrics_idx;
};

struct send_job {
    struct sender *s;
    size_t chat;                   /* index into s->chats */
    int64_t *ids;
    size_t n;
    char *text;                    /* merged text, owned */
};

static void pump(uv_timer_t *t);

static size_t chat_index(struct sender *s, const char *chat_id)
{
    for (size_t i = 0; i < s->n_chats; i++)
        if (strcmp(s->chats[i].chat_id, chat_id) == 0)
            return i;
    if (s->n_chats == s->cap_chats) {
        s->cap_chats = s->cap_chats ? s->cap_chats * 2 : 16;
        s->chats = xrealloc(s->chats, s->cap_chats * sizeof *s->chats);
    }
    struct chat_state *c = &s->chats[s->n_chats];
    memset(c, 0, sizeof *c);
    c->chat_id = xstrdup(chat_id);
    return s->n_chats++;
}

/* Answers to button presses (the presser's toast) are not messages in the
   chat: they keep their own order per chat and never wait behind the chat's
   paced messages, which could hold them past Telegram's answer deadline. */
static size_t answer_lane(struct sender *s, const char *chat_id)
{
    struct sbuf key = {0};
    sbuf_add(&key, "answers:");
    sbuf_add(&key, chat_id);
    size_t i = chat_index(s, key.s);
    sbuf_free(&key);
    return i;
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

static int64_t chat_ready_at(struct sender *s, struct chat_state *c)
{
    int64_t t = c->next_ms;
    if (!s->lim.enabled)
        return t;
    int64_t w = window_free_at(c->window, c->window_pos, s->lim.per_group_per_min, 60000);
    if (w > t)
        t = w;
    w = window_free_at(s->global, s->global_pos, s->lim.global_per_s, 1000);
    return w > t ? w : t;
}

static void note_send(struct sender *s, struct chat_state *c, int64_t now)
{
    c->window[c->window_pos] = now;
    c->window_pos = (c->window_pos + 1) % WINDOW_MAX;
    s->global[s->global_pos] = now;
    s->global_pos = (s->global_pos + 1) % WINDOW_MAX;
    if (s->lim.enabled && s->lim.per_chat_per_s > 0) {
        int64_t gap = (int64_t)(1000.0 / s->lim.per_chat_per_s);
        if (now + gap > c->next_ms)
            c->next_ms = now + gap;
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

static void done_push(struct sender *s, int64_t id, enum outbox_outcome out, const char *message_id,
                      int64_t retry_at, const char *error)
{
    if (s->n_done == s->cap_done) {
        s->cap_done = s->cap_done ? s->cap_done * 2 : 64;
        s->done = xrealloc(s->done, s->cap_done * sizeof *s->done);
    }
    s->done[s->n_done++] = (struct outbox_done){
        .id = id, .outcome = out, .message_id = message_id ? xstrdup(message_id) : NULL,
        .retry_at_ms = retry_at, .error = error ? xstrdup(error) : NULL};
}

/* Record the waiting outcomes.  0, or negative when they stay waiting (the
   rows are still pending in the database, so nothing may be fetched). */
static int done_flush(struct sender *s)
{
    if (s->n_done == 0)
        return 0;
    int rc = engine_outbox_done_many(s->e, s->done, s->n_done, clock_real_ms());
    if (rc) {
        log_error("outbox", "cannot record delivery of %zu replies: %s", s->n_done,
                  engine_errmsg(s->e));
        return rc;
    }
    for (size_t i = 0; i < s->n_done; i++) {
        free((char *)s->done[i].message_id);
        free((char *)s->done[i].error);
    }
    s->n_done = 0;
    /* the sent message ids are in the database now: scheduled work that was
       waiting for one (a poll's live edit) can be planned */
    if (s->sent_unreported && s->sent && !s->closing) {
        s->sent_unreported = 0;
        s->sent(s->sent_ud);
    }
    return 0;
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
    if (res->retry_after_ms > 0) {
        retry_at = now + res->retry_after_ms;
        if (retry_at > c->next_ms)
            c->next_ms = retry_at; /* never undercut the platform's wait */
        log_warn("outbox", "chat %s: rate limited, retry in %ld ms", c->chat_id, res->retry_after_ms);
    }
    if (out == OUTBOX_FAILED || out == OUTBOX_CHAT_GONE)
        log_warn("outbox", "chat %s: send failed: %s", c->chat_id,
                 res->description ? res->description : "(no description)");
    for (size_t i = 0; i < job->n; i++)
        done_push(s, job->ids[i], out, res->message_id, retry_at, res->description);
    if (s->metrics)
        metrics_send(s->metrics, s->metrics_idx, res, job->ids, job->n, now);
    if (s->closing)
        done_flush(s); /* no pump will come */
    c->busy = 0;
    s->in_flight--;
    free(job->ids);
    free(job->text);
    free(job);
    if (out == OUTBOX_SENT)
        s->sent_unreported = 1; /* told once the outcome is recorded (done_flush) */
    sender_kick(s);
}

/* Take rows[i] and, when it is a mergeable acknowledgement, the following
   mergeable rows of the same chat and topic.  Marks taken rows (id = 0). */
static struct send_job *make_job(struct sender *s, struct outbox_batch *b, size_t i, size_t chat)
{
    struct send_job *job = xcalloc(1, sizeof *job);
    job->s = s;
    job->chat = chat;
    job->ids = xmalloc(b->n * sizeof *job->ids);
    struct kb_reply *first = &b->rows[i];
    job->ids[job->n++] = first->id;
    if (!(first->coalesce && s->lim.coalesce && first->kind == KB_REPLY_SEND))
        return job;
    size_t merge_max = s->a->max_text > 2 * MERGE_HEADROOM ? s->a->max_text - MERGE_HEADROOM
                                                           : s->a->max_text / 2;
    struct sbuf text = {0};
    sbuf_add(&text, first->text);
    size_t chars = utf8_count(text.s, text.len);
    for (size_t k = i + 1; k < b->n; k++) {
        struct kb_reply *r = &b->rows[k];
        if (r->id == 0 || strcmp(r->chat_id, first->chat_id) != 0)
            continue;
        int same_topic = (!r->thread_id && !first->thread_id) ||
                         (r->thread_id && first->thread_id && strcmp(r->thread_id, first->thread_id) == 0);
        size_t more = utf8_count(r->text, strlen(r->text)) + 1;
        if (!r->coalesce || r->kind != KB_REPLY_SEND || !same_topic || chars + more > merge_max)
            break; /* keep the chat's order: stop at the first row that can't merge */
        chars += more;
        sbuf_addc(&text, '\n');
        sbuf_add(&text, r->text);
        job->ids[job->n++] = r->id;
        r->id = 0;
    }
    job->text = sbuf_take(&text);
    return job;
}

static void pump(uv_timer_t *t)
{
    struct sender *s = t->data;
    if (s->closing)
        return;
    s->kicked = 0;
    if (done_flush(s)) {
        arm(s, 1000); /* the rows still look pending: fetching them would resend */
        return;
    }
    int64_t now = clock_real_ms(); /* Telegram's limits run on real time, not the test clock */
    struct outbox_batch b;
    if (engine_outbox_fetch(s->e, s->a->ops->platform, now, FETCH_MAX, &b)) {
        log_error("outbox", "cannot read the outbox: %s", engine_errmsg(s->e));
        arm(s, 1000);
        return;
    }
    int64_t wake = -1;
    /* chats whose first waiting row could not go now: later rows wait too */
    char *blocked = xcalloc(s->n_chats + b.n + 1, 1);
    for (size_t i = 0; i < b.n && !s->closing; i++) {
        struct kb_reply *r = &b.rows[i];
        if (r->id == 0)
            continue; /* merged into an earlier send */
        size_t ci = r->kind == KB_REPLY_ANSWER ? answer_lane(s, r->chat_id) : chat_index(s, r->chat_id);
        if (ci >= s->n_chats || blocked[ci])
            continue;
        struct chat_state *c = &s->chats[ci]; /* valid until chat_index grows the array */
        int64_t ready = r->kind == KB_REPLY_ANSWER ? 0 : chat_ready_at(s, c);
        if (c->busy || ready > now) {
            blocked[ci] = 1;
            if (!c->busy && (wake < 0 || ready < wake))
                wake = ready;
            continue;
        }
        struct send_job *job = make_job(s, &b, i, ci);
        struct kb_reply merged = *r;
        if (job->text)
            merged.text = job->text;
        if (r->kind != KB_REPLY_ANSWER)
            note_send(s, c, now);
        c->busy = 1;
        s->in_flight++;
        if (s->a->ops->send(s->a, &merged, send_done, job) < 0) {
            struct kb_send_result res = {.outcome = KB_SEND_RETRY};
            send_done(job, &res);
        }
        /* a synchronous adapter (console) is done already: keep going */
        if (s->chats[ci].busy)
            blocked[ci] = 1;
    }
    free(blocked);
    size_t fetched = b.n;
    outbox_batch_free(&b);
    int64_t next = engine_outbox_next_ms(s->e, s->a->ops->platform);
    if (fetched == FETCH_MAX)
        next = now; /* more rows than one fetch: come back at once */
    if (next > now && (wake < 0 || next < wake))
        wake = next;
    if (s->kicked)
        arm(s, 0);
    else if (wake >= 0)
        arm(s, wake > now ? (uint64_t)(wake - now) : 1);
    else if (s->in_flight == 0 && next < 0 && s->idle)
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
    for (size_t i = 0; i < s->n_done; i++) {
        free((char *)s->done[i].message_id);
        free((char *)s->done[i].error);
    }
    free(s->done);
    for (size_t i = 0; i < s->n_chats; i++)
        free(s->chats[i].chat_id);
    free(s->chats);
    free(s);
}

void sender_close(struct sender *s)
{
    if (!s)
        return;
    s->closing = 1;
    uv_close((uv_handle_t *)&s->timer, sender_closed);
}
