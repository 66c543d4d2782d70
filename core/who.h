/*
 * Who a command means.  A target is an identity, never a display name:
 * "@handle", "@<platform user id>" (what an adapter makes of a platform
 * mention such as Telegram's text_mention), "#<member number>" as /who
 * lists it, or the author of the message the command replies to.  A word
 * that names nobody that way, or several members, is refused with the
 * members it could mean, each with the number that picks them.
 */
#ifndef KB_CORE_WHO_H
#define KB_CORE_WHO_H

#include "ctx.h"

/* Find the one member of a community "@handle", "@<platform user id>" or
   "#<member number>" names (never a display name); KB_ENOTFOUND when none
   or several do; a linked identity gives the person's first one (link.c).
   Commands with one target use who_resolve (who.h). */
int member_find(struct engine *e, int64_t community_id, const char *who, int64_t *member_id);
/* The same, without following an identity link to the person's first one. */
int member_find_identity(struct engine *e, int64_t community_id, const char *who,
                         int64_t *member_id);

/* 1 when the command replies to another person's message. */
int who_has_reply(const struct cmd_ctx *c);
/* The next word of *p as a target (owned), or NULL with nothing consumed
   when the command replies to someone and that word is no target form
   (@…, #…): the reply names the target then. */
char *who_next_target(struct cmd_ctx *c, const char **p);
/* Resolve who (NULL: the author of the replied-to message).  KB_OK with
   *member_id; KB_ENOTFOUND after replying why (nobody, or whom it could
   mean); any other negative is a store failure. */
int who_resolve(struct cmd_ctx *c, const char *who, int64_t *member_id);
/* The same, without following an identity link to the person's first one. */
int who_resolve_identity(struct cmd_ctx *c, const char *who, int64_t *member_id);

extern const struct kb_module who_module;

#endif
