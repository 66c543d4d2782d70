/*
 * The shared vocabulary between adapters and the core engine: one incoming
 * platform event (kb_event), one outgoing reply (kb_reply), and the error
 * codes every layer returns.  Plain C, no dependencies beyond libc.
 *
 * Ownership: every pointer inside a kb_event or kb_reply is borrowed for the
 * duration of the call that receives it; whoever keeps data copies it.
 * Ids are strings so Telegram's 64-bit numbers, Matrix room ids and QQ
 * numbers all fit.  All text is UTF-8.  Error codes: err.h.
 */
#ifndef KB_CORE_EVENT_H
#define KB_CORE_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "err.h"

enum kb_event_kind {
    KB_EV_MESSAGE = 0,     /* a text/caption message (maybe a command) */
    KB_EV_CALLBACK,        /* a button press; callback_data carries a command */
    KB_EV_CHAT_MIGRATED,   /* chat_id moved to new_chat_id (Telegram supergroup) */
    KB_EV_BOT_MEMBERSHIP,  /* the bot was added to (bot_active=1) or removed from a chat */
    KB_EV_UNDECODABLE,     /* an update the adapter could not read: text is its raw form,
                              kept in failed_events and skipped */
    KB_EV_DELIVERED,       /* the platform echoed our own message: outbox row
                              outbox_id arrived as message_id (after a crash
                              the send's own answer may have been lost) */
    KB_EV_REACTION_REMOVED /* user_id took back the reaction callback_id (an
                              earlier KB_EV_CALLBACK with reaction = 1);
                              message_id is the removal's own id */
};

enum kb_chat_type {
    KB_CHAT_GROUP = 0,     /* group or supergroup */
    KB_CHAT_PRIVATE,       /* one-to-one chat with the bot */
    KB_CHAT_CHANNEL
};

enum kb_role {
    KB_ROLE_MEMBER = 0,    /* an ordinary member, as far as the adapter knows */
    KB_ROLE_CHAT_ADMIN,    /* the platform reports this sender as a chat admin */
    KB_ROLE_ANON_ADMIN     /* anonymous admin posting as the group itself */
};

struct kb_event {
    enum kb_event_kind kind;
    const char *platform;      /* short stable name stored in the DB: "tg", "console" */
    const char *chat_id;
    const char *chat_title;    /* may be NULL */
    enum kb_chat_type chat_type;
    const char *thread_id;     /* forum topic; NULL if none; replies go back to it */
    const char *user_id;       /* sender; for anonymous admins the chat's own id */
    const char *user_name;     /* display name, untrusted */
    const char *user_handle;   /* @username without '@', may be NULL */
    const char *user_lang;     /* platform language code ("zh-hans", "en"), may be NULL */
    enum kb_role role;
    const char *message_id;    /* de-duplication key with platform + chat */
    int64_t time;              /* the message's own timestamp, UTC seconds */
    const char *text;          /* message text or caption; NULL if none */
    const char *bot_username;  /* our name, so "/cmd@name" can be told apart */
    const char *attachment;    /* "photo:<file_id>" / "document:<file_id>", or NULL */
    const char *reply_to_message_id;  /* the message this one answers, or NULL */
    const char *reply_to_user_id;
    const char *reply_to_attachment;  /* attachment of the replied-to message */
    int forwarded;             /* a copy of someone's message: never a command */
    const char *callback_id;   /* KB_EV_CALLBACK: id to answer */
    const char *callback_data; /* KB_EV_CALLBACK: command text, e.g. "/vote 3 2" */
    int reaction;              /* KB_EV_CALLBACK: the press is a reaction everyone sees,
                                  which its sender may take back later; it has no
                                  private answer (refusals are told another way) */
    const char *new_chat_id;   /* KB_EV_CHAT_MIGRATED */
    int bot_active;            /* KB_EV_BOT_MEMBERSHIP */
    int64_t outbox_id;         /* KB_EV_DELIVERED */
};

enum kb_reply_kind {
    KB_REPLY_SEND = 0,   /* a new message */
    KB_REPLY_EDIT,       /* edit edit_message_id in place */
    KB_REPLY_ANSWER      /* answer a button press (callback_id) with a short toast */
};

/*
 * Reply text is "kb markup": plain UTF-8 where only <b>, <i> and <code>
 * tags and the entities &amp; &lt; &gt; &quot; are special (a subset of
 * Telegram's HTML).  The core escapes every untrusted value it inserts, so
 * an adapter either passes the markup through (Telegram parse_mode=HTML) or
 * strips tags and decodes the entities (console).
 *
 * buttons: zero or more rows separated by '\n'; within a row, buttons are
 * separated by '\t'; each button is "label\x1fdata" (data is a command text
 * that comes back as callback_data).  NULL or "" for none.
 */
struct kb_reply {
    int64_t id;                 /* outbox row id */
    enum kb_reply_kind kind;
    const char *platform;
    const char *chat_id;
    const char *thread_id;      /* may be NULL */
    const char *reply_to;       /* message id to reply to, may be NULL */
    const char *text;
    const char *buttons;        /* see above */
    const char *edit_message_id;/* KB_REPLY_EDIT */
    const char *callback_id;    /* KB_REPLY_ANSWER */
    int coalesce;               /* 1: a short acknowledgement that may be merged
                                   with others waiting for the same chat */
    const char *ref;            /* name under which the sent message id is kept, may be NULL */
    int64_t not_before_ms;      /* not to be sent before (a retry's backoff) */
};

#define KB_BUTTON_FIELD_SEP '\x1f'

/* A reply whose ref starts with "bulk:" is one of many direct messages sent
   at once (the weekly summaries): the sender gives it its own lane, paced
   below the platform's overall limit and behind every other reply. */
#define KB_BULK_REF_PREFIX "bulk:"
static inline int kb_reply_is_bulk(const struct kb_reply *r)
{
    return r->ref && strncmp(r->ref, KB_BULK_REF_PREFIX, sizeof KB_BULK_REF_PREFIX - 1) == 0;
}

#endif
