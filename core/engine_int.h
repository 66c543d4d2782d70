/*
 * What feature modules see of the engine: the engine struct, the community
 * an event belongs to, the command context, and the helpers that turn
 * catalogue texts into outbox rows.  Not for bot/ or adapters/.
 */
#ifndef KB_CORE_ENGINE_INT_H
#define KB_CORE_ENGINE_INT_H

#include <stdint.h>

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
    int in_event;                 /* applying an event: community_post_after defers */
    struct deferred_post *deferred;
    size_t n_deferred, cap_deferred;
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
/* Post markup to every active chat of a community (announcements). */
int community_post(struct engine *e, int64_t community_id, const char *markup,
                   const char *buttons, const char *ref, int64_t now);

/* Post markup to every active chat of a community after the replies of
   the event being applied (a promotion after the check-in that earned
   it); at once outside an event. */
int community_post_after(struct engine *e, int64_t community_id, const char *markup,
                         const char *ref, int64_t now);
/* Queue the held posts (the event succeeded) or drop them (it rolled
   back); both empty the list. */
int community_post_held(struct engine *e, int64_t now);
void community_drop_held(struct engine *e);

/* Send markup (and buttons, may be NULL) to a member in their private chat
   with the bot when there is one that takes messages (*sent = 1); else
   nothing is queued (*sent = 0) and the caller posts in the group with
   member_private_note appended. */
int member_tell_privately(struct engine *e, int64_t member_id, const char *markup,
                          const char *buttons, int64_t now, int *sent);
/* The chat of outbox row outbox_id refused messages (the member blocked
   the bot): the private messages among them are posted in the member's
   group instead, with the note. */
int private_messages_refused(struct engine *e, int64_t outbox_id, int64_t now);
/* Append the note that says why a private matter for who (markup: names
   or mentions) is in the group. */
void member_private_note(const char *lang, const char *who, struct sbuf *out);

/* Load a community by id. */
int community_load(struct engine *e, int64_t id, struct community *out);
/* Find a member of a community by "@handle", a platform user id, or a
   display name; KB_ENOTFOUND when none. */
int member_find(struct engine *e, int64_t community_id, const char *who, int64_t *member_id);
/* Append a member's display name (escaped, isolated) to out. */
void member_name(struct engine *e, int64_t member_id, struct sbuf *out);

#endif
