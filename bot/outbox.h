/*
 * The outbox sender: drains the engine's outbox through one adapter, in
 * order per chat, paced to the platform's limits (per chat, per group per
 * minute, global per second), merging waiting short acknowledgements for
 * the same chat into one message, and recording each outcome in the engine
 * (delivered, retry with backoff or the platform's retry_after, failed).
 */
#ifndef KB_BOT_OUTBOX_H
#define KB_BOT_OUTBOX_H

#include <uv.h>

#include "../adapters/adapter.h"
#include "../core/engine.h"

struct sender_limits {
    int enabled;              /* 0: send as fast as the adapter takes them */
    double per_chat_per_s;    /* e.g. 1.0 */
    int per_group_per_min;    /* e.g. 20 */
    int global_per_s;         /* e.g. 30 */
    int coalesce;             /* merge waiting acknowledgements */
    int bulk_at_most_once;    /* a bulk message is marked before its send and never
                                 repeated after a crash (no platform idempotency) */
    int max_in_flight;        /* sends handed to the adapter at once (0: no cap): the
                                 HTTP connections, so none waits in curl's queue */
};

struct sender;

/* idle(ud) is called whenever the outbox is empty and nothing is in flight. */
struct sender *sender_new(uv_loop_t *loop, struct engine *e, struct adapter *a,
                          const struct sender_limits *lim, void (*idle)(void *ud), void *ud);
/* sent(ud) is called after a delivery is recorded: a message the engine
   waits for (a poll's, to edit later) may now be known. */
void sender_on_sent(struct sender *s, void (*sent)(void *ud), void *ud);
struct metrics;
/* Count every send's outcome in m as adapter number `adapter`'s. */
void sender_set_metrics(struct sender *s, struct metrics *m, size_t adapter);
/* Look at the outbox soon (after a commit that may have queued replies). */
void sender_kick(struct sender *s);
/* Sends in flight. */
size_t sender_in_flight(const struct sender *s);
/* Stop sending and close the timer; frees itself once closed (run the loop). */
void sender_close(struct sender *s);

#endif
