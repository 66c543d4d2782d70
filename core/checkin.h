/* Daily check-in (早安打卡): one per member per local day, with streaks. */
#ifndef KB_CORE_CHECKIN_H
#define KB_CORE_CHECKIN_H

#include "ctx.h"

extern const struct kb_module checkin_module;

struct checkin_stats {
    int64_t current_streak;  /* 0 when the streak is broken */
    int64_t best_streak;
    int64_t days;            /* total check-in days */
    int64_t last_day;        /* -1 when never */
};

/* A member's check-in record as of local day `today`. */
int checkin_stats(struct engine *e, int64_t member_id, int64_t today, struct checkin_stats *out);

#endif
