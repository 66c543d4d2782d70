/* The outbox table (outbox.c): what replies wait to be sent. */
#ifndef KB_CORE_OUTBOX_H
#define KB_CORE_OUTBOX_H

#include "engine_int.h"

/* Queue any reply (ticks, edits, other chats). */
int outbox_add(struct engine *e, const struct kb_reply *r, const char *ref, int64_t now);
#endif
