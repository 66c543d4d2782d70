/* Command dispatch (see dispatch.c). */
#ifndef KB_CORE_DISPATCH_H
#define KB_CORE_DISPATCH_H

#include "ctx.h"

/* Apply one message or button press inside the engine's transaction:
   0, or a negative KB_E* (the engine rolls this event back). */
int dispatch_event(struct engine *e, const struct kb_event *ev, int64_t now);
/* Apply a KB_EV_REACTION_REMOVED: the modules undo what that reaction did
   (only when its own sender took it back); an unknown reaction changes
   nothing.  0 or a negative KB_E*. */
int dispatch_reaction_removed(struct engine *e, const struct kb_event *ev, int64_t now);

/* 1 when a module registers command name (or has it as its alias). */
int dispatch_has_command(const char *name);

#endif
