/*
 * Leaderboards and community insight: /top and /stats.  Leaderboards read
 * the period tallies (tally.h), so /top is one indexed range read whatever
 * the size of the ledger.
 */
#ifndef KB_CORE_TOP_H
#define KB_CORE_TOP_H

#include "board.h"
#include "ctx.h"
#include "tally.h"

/* The competition rank ("1, 1, 3") of the i-th value of a list sorted
   best first, given the previous value and rank: equal values share. */
int64_t top_shared_rank(size_t i, int64_t value, int64_t prev_value, int64_t prev_rank);
/* The first n (<= 10) rows of a leaderboard and the member's own rank
   (0 = not on the board) and value. */
int top_query(struct engine *e, int64_t community_id, enum top_span span, int64_t period,
              enum top_metric metric, int64_t member_id, struct top_row rows[10], size_t *n,
              int64_t *my_rank, int64_t *my_value);


/* Commands /top and /stats. */
extern const struct kb_module top_module;

#endif
