/* Replies and refusals of a command (ctx.h). */
#include "ctx.h"

#include "outbox.h"

int ctx_reply_markup(struct cmd_ctx *c, const char *markup, int coalesce)
{
    struct kb_reply r = {.kind = KB_REPLY_SEND, .platform = c->ev->platform,
                         .chat_id = c->ev->chat_id, .thread_id = c->ev->thread_id,
                         .reply_to = c->ev->kind == KB_EV_MESSAGE ? c->ev->message_id : NULL,
                         .text = markup, .coalesce = coalesce};
    return outbox_add(c->e, &r, NULL, c->now);
}

int ctx_reply(struct cmd_ctx *c, const char *key, const struct targ *a, size_t n)
{
    struct sbuf b = {0};
    text_format(&b, c->lang, key, a, n);
    int rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    return rc;
}

int ctx_post(struct cmd_ctx *c, const char *markup, const char *buttons, const char *ref)
{
    struct kb_reply r = {.kind = KB_REPLY_SEND, .platform = c->ev->platform,
                         .chat_id = c->ev->chat_id, .thread_id = c->ev->thread_id,
                         .text = markup, .buttons = buttons};
    return outbox_add(c->e, &r, ref, c->now);
}

int ctx_refuse(struct cmd_ctx *c, const char *key, const struct targ *a, size_t n)
{
    if (c->ev->kind != KB_EV_CALLBACK)
        return ctx_reply(c, key, a, n);
    c->toast.len = 0;
    text_format(&c->toast, c->lang, key, a, n);
    return KB_OK;
}

int ctx_is_owner(const struct cmd_ctx *c)
{
    return c->ev->role != KB_ROLE_ANON_ADMIN && community_is_owner(c->e, c->ev->platform, c->ev->user_id);
}
