/*
 * Leaderboards and community insight: /top and /stats.  Leaderboards read
 * period_tallies (all time, the community's local week and month), kept up
 * to date in the transaction that writes the ledger or a task completion,
 * so /top is one indexed range read whatever the size of the ledger.  The
 * tallies are a cache: top_rebuild recomputes them from the ledger.
 */
#ifndef KB_CORE_TOP_H
#define KB_CORE_TOP_H

#include "engine_int.h"

enum top_span { TOP_ALL = 0, TOP_WEEK = 1, TOP_MONTH = 2 };
enum top_metric { TOP_POINTS = 0, TOP_CHECKINS = 1, TOP_TASKS = 2 };

/* The period key of instant at for span in zone tz (0 for all time, the
   local day number of the week's Monday, or year * 100 + month). */
int64_t top_period(const char *tz, enum top_span span, int64_t at);
/* Add to the member's all-time, week and month tallies for instant at. */
int top_tally_add(struct engine *e, int64_t community_id, int64_t member_id, int64_t at,
                  int64_t points, int64_t checkins, int64_t tasks);
/* Recompute a community's period tallies from the ledger and task_completions. */
int top_rebuild(struct engine *e, int64_t community_id);
/* 1 when the cached all-time tallies agree with the ledger. */
int top_tallies_agree(struct engine *e, int64_t community_id);

struct top_row {
    int64_t member_id;
    int64_t value;
};
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
