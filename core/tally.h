/*
 * The leaderboards' period tallies (period_tallies: all time, the
 * community's local week and month), kept up to date in the transaction
 * that writes the ledger or a task completion.  They are a cache:
 * top_rebuild recomputes them from the ledger.  Below the ledger, standing
 * and /top, which all write or read them.
 */
#ifndef KB_CORE_TALLY_H
#define KB_CORE_TALLY_H

#include <stdint.h>

#include "community.h"

enum top_span { TOP_ALL = 0, TOP_WEEK = 1, TOP_MONTH = 2 };
enum top_metric { TOP_POINTS = 0, TOP_CHECKINS = 1, TOP_TASKS = 2 };

/* The period key of instant at for span in the community's days (0 for
   all time, the day number of the week's Monday, or year * 100 + month). */
int64_t top_period(const struct community *comm, enum top_span span, int64_t at);
/* The one definition of a week and a month, used by /top, /tally, /stats
   and the weekly post: the calendar week from Monday 00:00 and the month
   from the 1st, in the community's zone, each day starting at its
   day_start_hour.  [*from, *to) in UTC of the period holding now
   (previous = 0) or of the one before it (1). */
void top_period_range(const struct community *comm, enum top_span span, int64_t now, int previous,
                      int64_t *from, int64_t *to);
/* Its name for a reply, with its dates: "this week, Mon 12-07 – today",
   "last week, Mon 11-30 – Sun 12-06", "this month, 12-01 – today" (the
   same for a month before: "last month, …"); "all time" for TOP_ALL. */
void top_period_name(const struct community *comm, const char *lang, enum top_span span, int64_t now,
                     int previous, struct sbuf *out);
/* Add to the member's all-time, week and month tallies for instant at. */
int top_tally_add(struct engine *e, int64_t community_id, int64_t member_id, int64_t at,
                  int64_t points, int64_t checkins, int64_t tasks);
/* Recompute a community's period tallies from the ledger and task_completions. */
int top_rebuild(struct engine *e, int64_t community_id);
/* 1 when the cached all-time tallies agree with the ledger. */
int top_tallies_agree(struct engine *e, int64_t community_id);

#endif
