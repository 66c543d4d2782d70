/* The audit trail of operator actions (who did what, when). */
#ifndef KB_CORE_AUDIT_H
#define KB_CORE_AUDIT_H

#include "ctx.h"

/* Record an operator action by the command's sender: action is a short
   verb ("task.post", "grant.points"), target what it acted on ("task:3",
   "member:12"), detail free text (may be NULL). */
int audit_add(struct cmd_ctx *c, const char *action, const char *target, const char *detail);

#endif
