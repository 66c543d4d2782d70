/* The outbox table (outbox.c): what replies wait to be sent. */
#ifndef KB_CORE_OUTBOX_H
#define KB_CORE_OUTBOX_H

#include "engine_int.h"

/* Queue any reply (ticks, edits, other chats). */
int outbox_add(struct engine *e, const struct kb_reply *r, const char *ref, int64_t now);
/* A KB_EV_DELIVERED event (our echoed message): mark its outbox row sent
   when it is the same platform's and chat's and not marked yet. */
int outbox_echoed(struct engine *e, const struct kb_event *ev, int64_t now);
#endif
