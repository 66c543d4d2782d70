/*
 * A member's standing: level, talent pools.  Tasks and polls ask it for
 * eligibility; everything that changes standing (check-ins, approvals,
 * grants, vote rewards) calls standing_changed in the same transaction so a
 * promotion is computed and announced exactly once.
 */
#ifndef KB_CORE_STANDING_H
#define KB_CORE_STANDING_H

#include "engine_int.h"

/* The member's current level (1 = the entry level). */
int standing_level(struct engine *e, int64_t member_id, int *level);
/* *yes = 1 when the member belongs to the community's talent pool. */
int standing_in_pool(struct engine *e, int64_t member_id, const char *pool, int *yes);
/* Re-evaluate the member's level after their standing changed; announces a
   promotion in the community's chats. */
int standing_changed(struct engine *e, int64_t community_id, int64_t member_id, int64_t now);

#endif
