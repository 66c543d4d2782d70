/*
 * The process's counters for GET /metrics (Prometheus text format) and
 * the facts GET /healthz reports.  bot/ feeds it where things happen: a
 * committed batch (updates and commands per adapter, the transaction's
 * time), a send's outcome (replies sent, 429s, retries), and the time from
 * an update's arrival to the reply it caused.  That latency pairs outbox
 * row ids with the batch that wrote them: after each commit we note the
 * highest outbox id and when the batch arrived; a reply's row id finds its
 * batch in that (ascending) ring.  Memory is fixed; nothing here blocks.
 */
#ifndef KB_BOT_METRICS_H
#define KB_BOT_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "../adapters/adapter.h"
#include "../core/util.h"

#define METRICS_MAX_ADAPTERS 8

struct metrics;

/* names[0..n): the adapters' names; triggers: the plain-text check-in
   words (both borrowed, must outlive it); last_outbox_id: the highest
   outbox row before this run (rows left from an earlier run have no
   arrival time). */
struct metrics *metrics_new(const char *const *names, size_t n, char *const *triggers,
                            size_t n_triggers, int64_t last_outbox_id);
void metrics_free(struct metrics *m);

/* Adapter i committed a batch of n events. */
void metrics_updates(struct metrics *m, size_t adapter, const struct kb_event *ev, size_t n);
/* A transaction committed after taking took_us; it left last_outbox_id as
   the highest outbox row; received_ms is when its input arrived (-1: a
   scheduled tick, no update behind it). */
void metrics_commit(struct metrics *m, int64_t took_us, int64_t now_ms, int64_t last_outbox_id,
                    int64_t received_ms);
/* Adapter i learned the outcome of a send covering outbox rows ids[0..n). */
void metrics_send(struct metrics *m, size_t adapter, const struct kb_send_result *res,
                  const int64_t *ids, size_t n, int64_t now_ms);
/* Wall-clock ms of the last commit, or -1 before the first. */
int64_t metrics_last_commit_ms(const struct metrics *m);

/* Append the metrics in Prometheus text format; outbox_depth[i] is adapter
   i's pending replies, up[i] 1 when it is serving. */
void metrics_render(const struct metrics *m, const int64_t *outbox_depth, const int *up,
                    struct sbuf *out);

#endif
