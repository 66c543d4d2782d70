/*
 * What a command sees: the event, its community and member, the clock, the
 * arguments, and the helpers that turn catalogue texts into replies
 * (ctx.c).
 */
#ifndef KB_CORE_CTX_H
#define KB_CORE_CTX_H

#include <stdint.h>

#include "community.h"
#include "event.h"
#include "modules.h"
#include "store.h"
#include "text.h"
#include "util.h"

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

/* Queue a reply to the sender's message with a catalogue text. */
int ctx_reply(struct cmd_ctx *c, const char *key, const struct targ *a, size_t n);
/* A refusal: to a button press, the press's private answer (anyone may press
   a button in a group; the group need not see who was refused); to a
   reaction, a private message (or, when the member cannot get one, a reply
   to the reacted-to message naming them); to a message, a reply. */
int ctx_refuse(struct cmd_ctx *c, const char *key, const struct targ *a, size_t n);
/* Queue a reply with ready markup; coalesce = may be merged with other
   short acknowledgements for the same chat. */
int ctx_reply_markup(struct cmd_ctx *c, const char *markup, int coalesce);
/* Post a new message (not a reply) in the event's chat, with optional
   buttons and a ref under which the sent message id is remembered. */
int ctx_post(struct cmd_ctx *c, const char *markup, const char *buttons, const char *ref);
/* 1 when the sender is the configured owner: the one operator who may
   approve (or grant) their own rewards. */
int ctx_is_owner(const struct cmd_ctx *c);
#endif
