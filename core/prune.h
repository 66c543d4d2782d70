/*
 * Housekeeping: the de-duplication marks (`processed`) are only needed while
 * a platform could still deliver the same message again.  Telegram keeps an
 * unconfirmed update for at most 24 hours, so marks older than a week are
 * deleted, a bounded chunk per tick, and the table stops growing with the
 * traffic.
 */
#ifndef KB_CORE_PRUNE_H
#define KB_CORE_PRUNE_H

#include "engine_int.h"

#define PRUNE_PROCESSED_AFTER_S (7 * 86400)
#define PRUNE_CHUNK 5000

extern const struct kb_module prune_module;

#endif
