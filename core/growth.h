/*
 * What the growth-ladder modules (term.c, mentor.c, camp.c) share: a
 * private word to a member that falls back to the group, and the audit row
 * of something the system did by itself (an expiry, an assignment).
 */
#ifndef KB_CORE_GROWTH_H
#define KB_CORE_GROWTH_H

#include "ctx.h"

/* Send markup to the member privately; where the platform has no private
   chat with them, post it in the community's groups with the note saying
   why (mention = their @handle or name). */
int growth_tell(struct engine *e, int64_t community_id, int64_t member_id, const char *lang,
                const char *markup, int64_t now);
/* An audit row with no operator behind it (actor NULL). */
int growth_audit_system(struct engine *e, int64_t community_id, const char *action, const char *target,
                        const char *detail, int64_t now);
/* "member:<id>" into buf. */
void growth_member_target(int64_t member_id, char *buf, size_t cap);

#endif
