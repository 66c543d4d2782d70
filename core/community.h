/* Communities, chats, members and operators (see community.c). */
#ifndef KB_CORE_COMMUNITY_H
#define KB_CORE_COMMUNITY_H

#include "engine_int.h"

/* The community of the event's chat, creating chat and community on first
   sight with the configured default locale and time zone. */
int community_for_event(struct engine *e, const struct kb_event *ev, int64_t now,
                        struct community *out);
/* Insert or refresh the sender as a member; returns their member id. */
int member_ensure(struct engine *e, int64_t community_id, const struct kb_event *ev, int64_t now,
                  int64_t *member_id);
/* 1 when platform:user_id is a configured operator of the community. */
int community_is_operator(struct engine *e, int64_t community_id, const char *platform,
                          const char *user_id);
/* Telegram group -> supergroup: the chat's records follow the new id. */
/* The cached lookups follow a written row: a chat's community changed
   (or the chat row went), a community's settings changed. */
void chat_forget(struct engine *e, const char *platform, const char *chat_id);
void community_forget(struct engine *e, int64_t id);
int chat_migrate(struct engine *e, const char *platform, const char *old_id, const char *new_id);
/* The bot was added (1) or removed (0). */
int chat_set_active(struct engine *e, const char *platform, const char *chat_id, int active);

#endif
