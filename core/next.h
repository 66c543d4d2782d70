/*
 * "What should I do now?" (/next, 下一步): one to three things a member
 * should do next, chosen for where they stand.  A newcomer is pointed at
 * foundation tasks and the check-in, an active member at exploration, a
 * talent-pool member at commissions, a top member at co-building; then by
 * deadline and reward.  Operators pin a task to the top of everyone's list.
 * Each suggestion says why in one line ("你还差 2 次打卡升到 L3").
 * /me and the weekly summary show the first suggestion.
 */
#ifndef KB_CORE_NEXT_H
#define KB_CORE_NEXT_H

#include "community.h"
#include "ctx.h"

enum next_stage { STAGE_NEWCOMER, STAGE_ACTIVE, STAGE_POOL, STAGE_TOP };

/* The member's stage (see above): top at the ladder's top two earned
   levels (or L4+), pool when in a talent pool, newcomer at L1 with under a
   week of check-ins, else active. */
int next_stage(struct engine *e, int64_t member_id, enum next_stage *out);

/* Where a task tier fits a stage: 0 = best .. 3. */
int next_tier_fit(enum next_stage stage, const char *tier);

/* Append up to max suggestions for the member, in lang: each a line and its
   "   ↳ why" line, numbered when max > 1; *n gets how many (0: nothing to
   suggest, nothing appended).  private_chat: whether fees may be shown. */
int next_suggest(struct engine *e, const struct community *comm, int64_t member_id, int64_t now,
                 const char *lang, size_t max, int private_chat, struct sbuf *out, size_t *n);

extern const struct kb_module next_module;

#endif
