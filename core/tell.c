/* A private matter to one member; see tell.h. */
#include "tell.h"

#include "outbox.h"

int tell_member(struct engine *e, int64_t member_id, const char *lang, const char *markup,
                const char *platform, const char *chat_id, int64_t now, int *sent)
{
    int rc = member_tell_privately(e, member_id, markup, NULL, now, sent);
    if (rc || *sent || !platform || !chat_id)
        return rc;
    struct sbuf text = {0}, who = {0};
    sbuf_add(&text, markup);
    member_name(e, member_id, &who);
    member_private_note(lang, who.s, &text);
    struct kb_reply r = {.kind = KB_REPLY_SEND, .platform = platform, .chat_id = chat_id, .text = text.s};
    rc = outbox_add(e, &r, NULL, now);
    sbuf_free(&text);
    sbuf_free(&who);
    return rc;
}
