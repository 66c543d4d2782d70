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

/* A reaction has no private answer: the member is told in their private
   chat, else in a reply to the message they reacted to, naming them. */
static int refuse_reaction(struct cmd_ctx *c, const char *markup)
{
    int sent = 0;
    int rc = member_tell_privately(c->e, c->member_id, markup, NULL, c->now, &sent);
    if (rc || sent)
        return rc;
    struct sbuf text = {0}, who = {0};
    sbuf_add(&text, markup);
    member_name(c->e, c->member_id, &who);
    member_private_note(c->lang, who.s, &text);
    struct kb_reply r = {.kind = KB_REPLY_SEND, .platform = c->ev->platform,
                         .chat_id = c->ev->chat_id, .thread_id = c->ev->thread_id,
                         .reply_to = c->ev->reply_to_message_id, .text = text.s};
    rc = outbox_add(c->e, &r, NULL, c->now);
    sbuf_free(&text);
    sbuf_free(&who);
    return rc;
}

int ctx_refuse(struct cmd_ctx *c, const char *key, const struct targ *a, size_t n)
{
    if (c->ev->kind != KB_EV_CALLBACK)
        return ctx_reply(c, key, a, n);
    c->toast.len = 0;
    text_format(&c->toast, c->lang, key, a, n);
    return c->ev->reaction ? refuse_reaction(c, sbuf_str(&c->toast)) : KB_OK;
}

int ctx_is_owner(const struct cmd_ctx *c)
{
    return c->ev->role != KB_ROLE_ANON_ADMIN && community_is_owner(c->e, c->ev->platform, c->ev->user_id);
}
