/* The outbox table (outbox.c): what replies wait to be sent. */
#ifndef KB_CORE_OUTBOX_H
#define KB_CORE_OUTBOX_H

#include "engine_int.h"

/* Queue any reply (ticks, edits, other chats). */
int outbox_add(struct engine *e, const struct kb_reply *r, const char *ref, int64_t now);
/* A KB_EV_DELIVERED event (our echoed message): mark its outbox row sent
   when it is the same platform's and chat's and not marked yet. */
int outbox_echoed(struct engine *e, const struct kb_event *ev, int64_t now);

/* The in-memory outbox follows the transaction: rows staged since mark are
   dropped when a savepoint rolls back (mark = outbox_mem_mark() taken when
   it began), all staged rows when the transaction does, and they join their
   platform's lane when it commits (engine_finish does both). */
size_t outbox_mem_mark(const struct engine *e);
void outbox_mem_rollback(struct engine *e, size_t mark);
void outbox_mem_commit(struct engine *e);
void outbox_mem_free(struct engine *e);
/* The riders' waiting outcomes written into the open transaction, and
   after its commit reported back (engine_finish does both). */
int outbox_riders_write(struct engine *e);
void outbox_riders_recorded(struct engine *e);
/* Pending rows of platform were changed in the table (a chat migrated): its
   sender reads them again. */
void outbox_mem_stale(struct engine *e, const char *platform);
#endif
