/* Pruning of old de-duplication marks; see prune.h. */
#include "prune.h"

/* When the oldest mark comes of age (-1 = no marks). */
static int64_t prune_next_due(struct engine *e, int64_t now)
{
    (void)now;
    int64_t oldest = 0;
    if (store_i64(e->st, &oldest, "SELECT min(at) FROM processed", NOVALS) != KB_OK)
        return -1;
    return oldest + PRUNE_PROCESSED_AFTER_S + 1; /* then "at < now - age" holds */
}

/* One chunk per tick keeps the transaction short; the next one is due at
   once while old marks remain. */
static int prune_tick(struct engine *e, int64_t now)
{
    return store_exec(e->st,
                      "DELETE FROM processed WHERE (platform, chat_id, message_id) IN"
                      " (SELECT platform, chat_id, message_id FROM processed WHERE at < ? ORDER BY at LIMIT ?)",
                      VALS(SI(now - PRUNE_PROCESSED_AFTER_S), SI(PRUNE_CHUNK)));
}

const struct kb_module prune_module = {
    .name = "prune",
    .tick = prune_tick,
    .next_due = prune_next_due,
};
