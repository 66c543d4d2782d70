/*
 * What feature modules see of the engine: the engine struct, the community
 * an event belongs to, the command context, and the helpers that turn
 * catalogue texts into outbox rows.  Not for bot/ or adapters/.
 */
#ifndef KB_CORE_ENGINE_INT_H
#define KB_CORE_ENGINE_INT_H

#include <stdint.h>

#include "cache.h"
#include "engine.h"
#include "event.h"
#include "modules.h"
#include "store.h"
#include "text.h"
#include "util.h"

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
};

/* What events look up, kept in step with the rows (community.c, link.c);
   dropped whole when a transaction or savepoint rolls back. */
struct engine_caches {
    struct cache chats;           /* "platform\x1fchat_id" -> community id */
    struct cache communities;     /* id -> locale (text), tz (text2) */
    struct cache members;         /* "community\x1fplatform\x1fuser_id" -> member id
                                     (linked: the first identity), name, handle, last_seen */
    struct cache names;           /* member id -> display name */
    struct cache checkins_per_day;/* "community\x1fday" -> check-ins that day (the rank) */
};

struct engine {
    struct store *st;
    struct engine_settings set;   /* owned copies */
    char err[512];
    engine_log_fn log;
    void *log_ud;
    struct rate_table rates;
    struct outbox_mem outbox;
    struct engine_caches cache;
};

struct community {
    int64_t id;
    char tz[64];
    char locale[16];
};

struct cmd_ctx {
    struct engine *e;
    struct store *st;
    const struct kb_event *ev;
    struct community comm;
    int64_t member_id;
    int64_t now;          /* the engine's clock */
    int64_t at;           /* the message's own time (bounded by now) */
    const char *lang;     /* the community's locale */
    int is_operator;      /* configured operator: may touch the ledger */
    int is_admin;         /* operator, or chat admin when admins are operators */
    const char *name;     /* command name */
    const char *args;     /* trimmed argument text ("" if none) */
    struct sbuf toast;    /* answer to a button press ("" = plain ack) */
};

/* Keep the store's failure text as the engine's (engine_errmsg); returns rc. */
int engine_fail(struct engine *e, int rc);
/* End the transaction the caller began: commit when rc is 0, else roll back.
   Returns rc, or the commit's failure. */
int engine_finish(struct engine *e, int rc);
/* Log through the engine's log hook. */
void engine_log(struct engine *e, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Queue a reply to the sender's message with a catalogue text. */
int ctx_reply(struct cmd_ctx *c, const char *key, const struct targ *a, size_t n);
/* Queue a reply with ready markup; coalesce = may be merged with other
   short acknowledgements for the same chat. */
int ctx_reply_markup(struct cmd_ctx *c, const char *markup, int coalesce);
/* Post a new message (not a reply) in the event's chat, with optional
   buttons and a ref under which the sent message id is remembered. */
int ctx_post(struct cmd_ctx *c, const char *markup, const char *buttons, const char *ref);
/* Queue any reply (ticks, edits, other chats). */
int outbox_add(struct engine *e, const struct kb_reply *r, const char *ref, int64_t now);
/* Forget every cached lookup (a rollback, or a write too wide to follow). */
void engine_caches_clear(struct engine *e);

/* The in-memory outbox follows the transaction: rows staged since mark are
   dropped when a savepoint rolls back (mark = outbox_mem_mark() taken when
   it began), all staged rows when the transaction does, and they join their
   platform's lane when it commits (engine_finish does both). */
size_t outbox_mem_mark(const struct engine *e);
void outbox_mem_rollback(struct engine *e, size_t mark);
void outbox_mem_commit(struct engine *e);
void outbox_mem_free(struct engine *e);
/* Pending rows of platform were changed in the table (a chat migrated): its
   sender reads them again. */
void outbox_mem_stale(struct engine *e, const char *platform);
/* Post markup to every active chat of a community (announcements). */
int community_post(struct engine *e, int64_t community_id, const char *markup,
                   const char *buttons, const char *ref, int64_t now);

/* Load a community by id. */
int community_load(struct engine *e, int64_t id, struct community *out);
/* Find a member of a community by "@handle", a platform user id, or a
   display name; KB_ENOTFOUND when none.  A linked identity gives the
   person's first one (see link.c). */
int member_find(struct engine *e, int64_t community_id, const char *who, int64_t *member_id);
/* The same, without following an identity link to the person's first one. */
int member_find_identity(struct engine *e, int64_t community_id, const char *who,
                         int64_t *member_id);
/* Append a member's display name (escaped, isolated) to out. */
void member_name(struct engine *e, int64_t member_id, struct sbuf *out);

#endif
