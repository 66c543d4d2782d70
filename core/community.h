/* Communities, chats, members and operators (see community.c). */
#ifndef KB_CORE_COMMUNITY_H
#define KB_CORE_COMMUNITY_H

#include "engine_int.h"
#include "util.h"

struct community {
    int64_t id;
    char tz[64];
    char locale[16];
    int day_start_hour;   /* the local hour its day starts (streak.c's /streak day, else the config's) */
};

/* The community's day number of instant t: its local calendar day, shifted
   by its start hour.  Check-ins, streaks, /top and /stats all count days
   with it. */
int64_t community_day(const struct community *comm, int64_t t);
/* The instant the community's day `day` begins. */
int64_t community_day_start(const struct community *comm, int64_t day);

/* Load a community by id. */
int community_load(struct engine *e, int64_t id, struct community *out);
/* Post markup to every active chat of a community (announcements). */
int community_post(struct engine *e, int64_t community_id, const char *markup,
                   const char *buttons, const char *ref, int64_t now);

/* Append a member's display name (escaped, isolated) to out. */
void member_name(struct engine *e, int64_t member_id, struct sbuf *out);

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
   with the bot when there is one that takes messages, or addressed to their
   user id when their platform's adapter opens one (settings.private_openers)
   (*sent = 1); else nothing is queued (*sent = 0) and the caller posts in
   the group with member_private_note appended. */
int member_tell_privately(struct engine *e, int64_t member_id, const char *markup,
                          const char *buttons, int64_t now, int *sent);
/* The chat of outbox row outbox_id refused messages (the member blocked
   the bot): the private messages among them are posted in the member's
   group instead, with the note. */
int private_messages_refused(struct engine *e, int64_t outbox_id, int64_t now);
/* Append the note that says why a private matter for who (markup: names
   or mentions) is in the group. */
void member_private_note(const char *lang, const char *who, struct sbuf *out);

/* The community of the event's chat, creating chat and community on first
   sight with the configured default locale and time zone. */
int community_for_event(struct engine *e, const struct kb_event *ev, int64_t now,
                        struct community *out);
/* Insert or refresh the sender as a member; returns their member id, and
   *joined = 1 (joined may be NULL) when this event is their first. */
int member_ensure(struct engine *e, int64_t community_id, const struct kb_event *ev, int64_t now,
                  int64_t *member_id, int *joined);
/* 1 when platform:user_id is the configured owner (settings.owner). */
int community_is_owner(const struct engine *e, const char *platform, const char *user_id);
/* 1 when platform:user_id is a configured operator of the community (the
   owner is one). */
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
