/* Daily check-in (早安打卡): one per member per local day, with streaks. */
#ifndef KB_CORE_CHECKIN_H
#define KB_CORE_CHECKIN_H

#include "ctx.h"

extern const struct kb_module checkin_module;

struct checkin_stats {
    int64_t current_streak;  /* 0 when the streak is broken */
    int64_t best_streak;
    int64_t days;            /* total check-in days (made-up days not among them) */
    int64_t last_day;        /* -1 when never */
};

/* A member's check-in record as of local day `today`. */
int checkin_stats(struct engine *e, int64_t member_id, int64_t today, struct checkin_stats *out);
/* The member's latest check-in on or before day: *last_day (-1 when none)
   and its streak. */
int checkin_latest(struct engine *e, int64_t member_id, int64_t day, int64_t *last_day, int64_t *streak);
/* A check-in was added for an earlier day (a make-up): the day's count
   kept for the rank is read again. */
void checkin_day_count_forget(struct engine *e, int64_t community_id, int64_t day);
/* Points a check-in on a streak of `streak` days earns. */
int64_t checkin_points(const struct kb_checkin_rules *r, int64_t streak);

#endif
