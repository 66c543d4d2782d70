/*
 * The engine's state that every core module shares: the store, the
 * settings, the log hook, the error text, and the helpers that keep them
 * (engine_int.c, below every module).  Commands see it through ctx.h; the
 * community an event belongs to is community.h's.  Not for bot/ or
 * adapters/.
 */
#ifndef KB_CORE_ENGINE_INT_H
#define KB_CORE_ENGINE_INT_H

#include <stdint.h>

#include "cache.h"
#include "engine.h"
#include "store.h"

#define RATE_SLOTS 8192

/* commands per member in the current minute (engine.c rate_limited) */
struct rate_slot {
    int64_t member_id;        /* 0 = free */
    int count;
    int noticed;
};
struct rate_table {
    int64_t window;           /* the minute these counts belong to */
    size_t used;
    struct rate_slot slots[RATE_SLOTS];
};

/* Outbox rows in memory (outbox.c): those queued in the open transaction,
   and per platform those committed and not yet taken by its sender, so the
   sender need not read back what the engine just wrote. */
struct outbox_lane {
    char *platform;
    struct kb_reply **rows;       /* committed, oldest first; each one allocation */
    size_t n, cap;
    int spilled;                  /* rows were dropped (over the cap): the table has more */
    int stale;                    /* pending rows changed in the table: read it again */
};
struct outbox_mem {
    struct kb_reply **staged;     /* queued in the open transaction */
    size_t n_staged, cap_staged;
    struct outbox_lane *lanes;
    size_t n_lanes;
    struct riding {               /* senders whose deliveries ride on commits */
        struct outbox_rider rider;
        size_t wrote;             /* outcomes written in the open transaction */
    } *riders;
    size_t n_riders;
    int64_t last_id;              /* the highest row id committed (engine_outbox_last_id) */
    int have_last_id;             /* last_id was read from the table once */
};

/* What events look up, kept in step with the rows (community.c, link.c);
   dropped whole when a transaction or savepoint rolls back. */
struct engine_caches {
    struct cache chats;           /* "platform\x1fchat_id" -> community id */
    struct cache communities;     /* id -> locale (text), tz (text2) */
    struct cache members;         /* "community\x1fplatform\x1fuser_id" -> member id, name,
                                     handle, last_seen; identities that are their member's
                                     own row only (a linked one is read each time) */
    struct cache names;           /* member id -> display name, as member_name read it */
    struct {                      /* the sender of the event being applied, when the identity
                                     is its member's own row: its name is the event's (borrowed
                                     from it), so member_name needs no entry for it; set by
                                     member_ensure, forgotten when the event ends or the caches
                                     are dropped */
        int64_t id;
        const char *name;
    } event_member;
    struct cache checkins_per_day;/* "community\x1fday" -> check-ins that day (the rank) */
    struct cache standing;        /* member id -> struct standing_memo (standing.h) */
    struct cache operators;       /* community id -> its operators table, "platform:user_id" lines;
                                     only hand edits write it (PRAGMA data_version), a
                                     writer in the program must drop the entry */
};

/* A module's last next_due answer, kept while its memo holds, until its
   instant comes or DUE_MEMO_S pass. */
struct due_memo {
    struct store_memo memo;
    int64_t at, computed_at;
    int computed;                 /* at holds an answer */
};

/* Whether a query without parameters has a row (engine_exists). */
struct exists_memo {
    const char *sql;              /* the literal's address is the key */
    struct store_memo memo;
    int yes;
};
#define EXISTS_MEMOS 32

/* A community post held back until the event's own replies are queued. */
struct deferred_post {
    int64_t community_id;
    char *markup, *ref;
};

struct engine {
    struct store *st;
    struct engine_settings set;   /* owned copies */
    char err[512];
    engine_log_fn log;
    void *log_ud;
    struct rate_table rates;
    struct rate_undo {            /* how to put rates back as they were before this batch */
        size_t used;              /* rates.used before the first slot was logged */
        int cleared;              /* the batch began a new minute: restoring clears again */
        struct rate_slot_was {
            size_t index;
            struct rate_slot was;
        } *slots;                 /* slots as they were before the batch changed them */
        size_t n_slots, cap_slots;
    } rates_undo;
    int64_t data_version;         /* PRAGMA data_version when the caches were last checked */
    struct outbox_mem outbox;
    struct engine_caches cache;
    int in_event;                 /* applying an event: community_post_after defers */
    struct deferred_post *deferred;
    size_t n_deferred, cap_deferred;
    struct due_memo *due;         /* per module (engine_next_due) */
    struct exists_memo exists[EXISTS_MEMOS];
    struct board_set *boards;     /* leaderboards in memory (board.h) */
};

/* Keep the store's failure text as the engine's (engine_errmsg); returns rc. */
int engine_fail(struct engine *e, int rc);
/* End the transaction the caller began: commit when rc is 0, else roll back.
   Returns rc, or the commit's failure. */
int engine_finish(struct engine *e, int rc);
/* Log through the engine's log hook. */
void engine_log(struct engine *e, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Begin the batch's transaction; when another connection (a hand edit)
   changed the database since the last one, forget every cached lookup. */
int engine_begin(struct engine *e);
/* The rate counts are about to change: slot index (engine_rates_saving_slot)
   or all of them, a new minute clearing the table (engine_rates_clearing).
   Enough is kept to put them back, so a batch applied again does not count
   twice: a changed slot costs a log entry, not a copy of the table. */
void engine_rates_saving_slot(struct engine *e, size_t index);
void engine_rates_clearing(struct engine *e);
/* A new batch: nothing saved yet. */
void engine_rates_begin(struct engine *e);
/* The counts as they were before the batch. */
void engine_rates_restore(struct engine *e);

/* 1 when sql (a literal, no parameters: "SELECT 1 FROM mentees LIMIT 1")
   finds a row, asked of SQLite only after a commit wrote a table it reads:
   lets a per-event hook skip its lookups in a community that does not use
   its feature.  Errors count as yes (the hook then looks for itself). */
int engine_exists(struct engine *e, const char *sql);

/* Forget every cached lookup (a rollback, or a write too wide to follow). */
void engine_caches_clear(struct engine *e);

#endif
