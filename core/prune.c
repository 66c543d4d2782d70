/* Pruning of old de-duplication marks and delivered replies; see prune.h. */
#include "prune.h"

/* When the oldest mark comes of age (-1 = no marks). */
static int64_t processed_next_due(struct engine *e)
{
    int64_t oldest = 0;
    if (store_i64(e->st, &oldest, "SELECT min(at) FROM processed", NOVALS) != KB_OK)
        return -1;
    return oldest + PRUNE_PROCESSED_AFTER_S + 1; /* then "at < now - age" holds */
}

/* One chunk per tick keeps the transaction short; the next one is due at
   once while old marks remain. */
static int processed_prune(struct engine *e, int64_t now)
{
    return store_exec(e->st,
                      "DELETE FROM processed WHERE (platform, chat_id, message_id) IN"
                      " (SELECT platform, chat_id, message_id FROM processed WHERE at < ? ORDER BY at LIMIT ?)",
                      VALS(SI(now - PRUNE_PROCESSED_AFTER_S), SI(PRUNE_CHUNK)));
}

static int64_t outbox_retention_s(const struct engine *e)
{
    return e->set.outbox_retention_s > 0 ? e->set.outbox_retention_s : PRUNE_OUTBOX_AFTER_S;
}

/* Rows are appended as replies are made, so id order is age order and the
   oldest rows are found from the table's start without an index on
   created_at: one index entry fewer to write each time a reply is marked
   sent.  A clock set back only makes the rows after it wait as long; a row
   stamped in the future (a clock set ahead, then fixed) counts as old, so
   it cannot hold back every row after it. */

/* When the oldest finished reply (delivered or given up) comes of age. */
static int64_t outbox_next_due(struct engine *e, int64_t now)
{
    int64_t oldest = 0;
    if (store_i64(e->st, &oldest, "SELECT min(created_at, ?) FROM outbox WHERE state <> 0 ORDER BY id LIMIT 1",
                  VALS(SI(now))) != KB_OK)
        return -1;
    return oldest + outbox_retention_s(e) + 1;
}

/* Finished replies past the retention go, a small chunk per tick so the
   loop is never held for long; pending ones always stay.  The scan ends at
   the first row still inside the retention, so a tick with little to prune
   does not read the whole table.  Nothing refers to outbox rows: posted
   keeps the message ids polls and reasons need, and the audit trail has
   its own rows. */
static int outbox_prune(struct engine *e, int64_t now)
{
    return store_exec(e->st,
                      "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE id < coalesce("
                      "(SELECT id FROM outbox WHERE created_at >= ? AND created_at <= ? ORDER BY id LIMIT 1),"
                      " 9223372036854775807) AND state <> 0 ORDER BY id LIMIT ?)",
                      VALS(SI(now - outbox_retention_s(e)), SI(now), SI(PRUNE_OUTBOX_CHUNK)));
}

/* The earlier of the two (-1 = neither has rows to age). */
static int64_t prune_next_due(struct engine *e, int64_t now)
{
    int64_t a = processed_next_due(e), b = outbox_next_due(e, now);
    return a < 0 ? b : (b < 0 || a < b ? a : b);
}

static int prune_tick(struct engine *e, int64_t now)
{
    int rc = processed_prune(e, now);
    return rc ? rc : outbox_prune(e, now);
}

static const struct kb_setting settings[] = {
    {.path = "outbox_retention_days", .type = KB_SETTING_INT,
     .off = offsetof(struct engine_settings, outbox_retention_s), .min = 1, .max = 3650, .scale = 86400,
     .dnum = 7},
};

const struct kb_module prune_module = {
    .name = "prune",
    .settings = settings,
    .n_settings = KB_COUNT(settings),
    .tick = prune_tick,
    .next_due = prune_next_due,
    .due_may_lag = 1, /* marks and replies kept for days: seconds late is harmless */
};
