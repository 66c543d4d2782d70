/*
 * A private matter for one member (a verdict, a score's comment, an offer
 * with its fee): to their private chat with the bot when there is one,
 * else posted in a chat of the community with the note saying why
 * (tell.c).  Shared by the bug-hunt, judging and offer modules.
 */
#ifndef KB_CORE_TELL_H
#define KB_CORE_TELL_H

#include "community.h"

/* Send markup to member privately (*sent = 1), else post it with
   member_private_note in platform/chat_id (the chat the member last used
   for this matter; *sent = 0).  lang is the community's locale. */
int tell_member(struct engine *e, int64_t member_id, const char *lang, const char *markup,
                const char *platform, const char *chat_id, int64_t now, int *sent);

#endif
