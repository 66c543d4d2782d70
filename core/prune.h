/*
 * Housekeeping: the de-duplication marks (`processed`) are only needed while
 * a platform could still deliver the same message again.  Telegram keeps an
 * unconfirmed update for at most 24 hours, so marks older than a week are
 * deleted, a bounded chunk per tick, and the table stops growing with the
 * traffic.  Replies in the outbox that were delivered (or given up) are
 * deleted the same way after outbox_retention_s (default a week).
 */
#ifndef KB_CORE_PRUNE_H
#define KB_CORE_PRUNE_H

#include "ctx.h"

#define PRUNE_PROCESSED_AFTER_S (7 * 86400)
#define PRUNE_CHUNK 5000
#define PRUNE_OUTBOX_AFTER_S (7 * 86400)
#define PRUNE_OUTBOX_CHUNK 500

extern const struct kb_module prune_module;

#endif
