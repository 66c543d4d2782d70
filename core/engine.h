/*
 * The engine: the core's one door.  It applies batches of platform events in
 * one SQLite transaction together with the platform cursor and the replies
 * they cause (written to the outbox table), fires scheduled posts from
 * engine_tick, and lets bot/ drain the outbox.  It never reads the clock:
 * every call takes `now` (UTC seconds, or milliseconds where named _ms).
 */
#ifndef KB_CORE_ENGINE_H
#define KB_CORE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "settings.h"

struct engine;

typedef void (*engine_log_fn)(void *ud, int level, const char *msg);

/* Open the database at s->db_path (migrating it) with settings s (copied).
   err receives a message on failure. */
int engine_open(const struct engine_settings *s, struct engine **out, char *err, size_t errcap);
void engine_close(struct engine *e);
/* Where engine warnings go (levels as enum kb_log_level); default: none. */
void engine_set_log(struct engine *e, engine_log_fn fn, void *ud);
/* Detail of the last failure. */
const char *engine_errmsg(const struct engine *e);

/* Apply events[0..n) and store cursor_key=cursor_value (if not NULL) in ONE
   transaction.  Returns 0 when committed; a negative KB_E* when nothing was
   applied (KB_EFULL: disk full or read-only).  An event that fails on its own
   is rolled back alone, recorded in failed_events and skipped. */
int engine_apply(struct engine *e, const struct kb_event *events, size_t n,
                 const char *cursor_key, const char *cursor_value, int64_t now);
/* Read a cursor into buf ("" when unset). */
int engine_cursor_load(struct engine *e, const char *key, char *buf, size_t cap);

/* Fire everything due at now (scheduled posts, reminders, closings). */
int engine_tick(struct engine *e, int64_t now);
/* The next instant engine_tick has work, or -1 when nothing is scheduled. */
int64_t engine_next_due(struct engine *e, int64_t now);

/* Pending replies for one platform, oldest first. */
struct outbox_batch {
    struct kb_reply *rows;
    size_t n;
};
/* Fetch up to max replies whose time has come (not_before <= now_ms).
   Free with outbox_batch_free. */
int engine_outbox_fetch(struct engine *e, const char *platform, int64_t now_ms, size_t max,
                        struct outbox_batch *out);
void outbox_batch_free(struct outbox_batch *b);
/* The sender's path: rows in memory, each one allocation (free(row)). */
struct outbox_rows {
    struct kb_reply **rows;
    size_t n, cap;
};
void outbox_rows_free(struct outbox_rows *r);   /* the rows and the array */
enum outbox_take {
    OUTBOX_TAKEN = 0,     /* the rows committed since the last call (up to max) */
    OUTBOX_SPILLED,       /* as TAKEN, and more rows wait in the table than were
                             kept in memory: reload once what was taken is sent */
    OUTBOX_STALE          /* nothing taken: pending rows changed in the table
                             (a chat migrated): reload before sending anything */
};
/* Append to out up to max of platform's replies committed since the last
   call, oldest first, without reading the database.  Returns enum outbox_take. */
int engine_outbox_take(struct engine *e, const char *platform, size_t max, struct outbox_rows *out);
/* Start-up, after a failure, or OUTBOX_SPILLED: forget platform's rows in
   memory and append to out its oldest max pending rows from the table (due
   or not: see not_before_ms).  Rows in flight must have been recorded first. */
int engine_outbox_reload(struct engine *e, const char *platform, size_t max, struct outbox_rows *out);
/* Earliest not_before_ms of a pending reply for platform, or -1 if none. */
int64_t engine_outbox_next_ms(struct engine *e, const char *platform);
/* Number of pending replies for platform. */
int64_t engine_outbox_pending(struct engine *e, const char *platform);
/* The highest outbox row id so far (0 when empty): rows a later commit
   writes have higher ids. */
int64_t engine_outbox_last_id(struct engine *e);

enum outbox_outcome {
    OUTBOX_SENT = 0,
    OUTBOX_RETRY,          /* transient: retry at retry_at_ms */
    OUTBOX_RETRY_ONCE,     /* may have been delivered: retry once at most */
    OUTBOX_FAILED,         /* permanent */
    OUTBOX_CHAT_GONE,      /* the chat is gone: fail its queue, mark it inactive */
    OUTBOX_SENDING         /* a bulk message is about to go where a repeat would show
                              twice: from here on it is sent at most once (see
                              engine_outbox_interrupted) */
};
/* Record what happened to outbox row id.  message_id: the platform's id of
   the sent message (may be NULL).  retry_at_ms: when to try again (RETRY*);
   0 = exponential backoff from the row's attempts (1 s doubling to 60 s). */
int engine_outbox_done(struct engine *e, int64_t id, enum outbox_outcome outcome,
                       const char *message_id, int64_t retry_at_ms, const char *error,
                       int64_t now_ms);
/* One outcome for engine_outbox_done_many. */
struct outbox_done {
    int64_t id;
    enum outbox_outcome outcome;
    const char *message_id;
    int64_t retry_at_ms;
    const char *error;
    int no_ref;        /* the row is known to have no ref: no posted row to write */
};
/* Record n outcomes in ONE transaction (one sync instead of n): all or none. */
int engine_outbox_done_many(struct engine *e, const struct outbox_done *d, size_t n, int64_t now_ms);
/* Outcomes that ride on the engine's next commit, whatever it is for (a
   batch, a tick), so a delivery costs no sync of its own: before every
   commit the engine asks each rider what waits (may be none) and writes it
   in that transaction; after the commit it tells how many it wrote (none
   when it rolled back: they still wait).  recorded must not call the
   engine (it runs inside engine calls). */
struct outbox_rider {
    size_t (*waiting)(void *ud, const struct outbox_done **d, int64_t *now_ms);
    void (*recorded)(void *ud, size_t n);
    void *ud;
};
void engine_outbox_ride(struct engine *e, const struct outbox_rider *r);
void engine_outbox_unride(struct engine *e, void *ud);
/* A transaction of its own for what the riders hold (a deadline came). */
int engine_outbox_flush(struct engine *e);
/* Rows of platform marked OUTBOX_SENDING whose outcome never came (the
   process stopped during the send; call before the first reload): they may
   have arrived, and a bulk message twice is worse than one lost, so they are
   recorded as sent without a message id.  The number of rows, or KB_E*. */
int64_t engine_outbox_interrupted(struct engine *e, const char *platform, int64_t now_ms);

#endif
