/* The audit trail of operator actions (who did what, when). */
#ifndef KB_CORE_AUDIT_H
#define KB_CORE_AUDIT_H

#include "ctx.h"

/* Record an operator action by the command's sender: action is a short
   verb ("task.post", "grant.points"), target what it acted on ("task:3",
   "member:12"), detail free text (may be NULL). */
int audit_add(struct cmd_ctx *c, const char *action, const char *target, const char *detail);

/* Append a stored action in the reader's words ("发布任务" for
   "task.post"); the code itself when the catalogue has none. */
void audit_action_text(struct cmd_ctx *c, const char *action, struct sbuf *out);
/* Append a stored target in the reader's words: a member's name for
   "member:2", "task #3" for "task:3", … */
void audit_target_text(struct cmd_ctx *c, const char *target, struct sbuf *out);

/* The catalogue of those words (a module with texts only). */
extern const struct kb_module audit_module;

#endif
