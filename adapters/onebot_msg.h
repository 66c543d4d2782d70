/*
 * OneBot v11 <-> kocbot vocabulary: pure decoding and encoding (no I/O, no
 * clock, no logging), unit-tested in tests/unit/test_onebot_msg.c.
 *
 *  - An event's message is either an array of segments or a CQ-code string
 *    ("[CQ:at,qq=10001] /checkin"); both decode alike.  text segments make
 *    the text; an at of the bot itself is dropped (so "@bot /checkin" is
 *    the command), other ats become "@<qq>" (member_find resolves ids);
 *    the first image becomes the attachment "photo:<file>", a file segment
 *    "document:<file>"; reply gives reply_to_message_id; face and other
 *    segments add nothing.  A message holding a forward segment carries no
 *    text: a forwarded message is never a command.
 *  - Ids are read through valuedouble and range-checked: message ids are
 *    32-bit and may be negative, user and group ids are positive integers
 *    below 2^53.  Text must be valid UTF-8, else the event is rejected.
 *  - Group chats keep the group number as chat id; a private chat is
 *    "user:<qq>" (a group and a person may share a number).
 *  - sender.role owner/admin makes the sender a chat admin.
 */
#ifndef KB_ADAPTERS_ONEBOT_MSG_H
#define KB_ADAPTERS_ONEBOT_MSG_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "adapter.h"

#define OB_PLATFORM "qq"
#define OB_PRIVATE_PREFIX "user:"
#define OB_STRINGS 12

/* One decoded event; ev's strings point into owned[] (ob_event_clear). */
struct ob_event {
    int has_event;             /* 0: nothing to deliver (heartbeat, our own message, …) */
    int64_t group;             /* group number, 0 for a private chat */
    int64_t user;
    int role_known;            /* a group message that said sender.role */
    struct kb_event ev;
    char *owned[OB_STRINGS];
    size_t n_owned;
};

/* Decode one event object.  self_id: the bot's QQ number (0 when unknown).
   0 (has_event tells whether to deliver) or KB_EPARSE. */
int ob_decode_event(const cJSON *obj, int64_t self_id, const char *bot_name,
                    struct ob_event *out);
void ob_event_clear(struct ob_event *e);

/* A CQ-code string as an array of segments (owned cJSON), or NULL. */
cJSON *ob_cq_parse(const char *s);

/* An integer id field (number or decimal string) within [lo, hi]; 0 or KB_EPARSE. */
int ob_read_id(const cJSON *obj, const char *name, double lo, double hi, int64_t *out);

/* The action and JSON body that send one text part to chat_id: a reply
   segment when reply_to is set, an at segment when at_user is set.
   *action is "send_group_msg" or "send_private_msg".  Owned; NULL on a bad
   chat id. */
char *ob_encode_send_dup(const char *chat_id, const char *reply_to, const char *at_user,
                         const char *text, const char **action);

/* A plain-text rendering of kb markup plus its buttons as lines to type
   ("1. Yes — /vote 3 1"), owned. */
char *ob_render_text_dup(const char *markup, const char *buttons);

/* Split text into parts of at most max code points, at line breaks where
   possible.  *parts is owned (ob_parts_free). */
int ob_split(const char *text, size_t max, char ***parts, size_t *n);
void ob_parts_free(char **parts, size_t n);

/* An action's answer {status, retcode, data, message|wording}. */
struct ob_answer {
    enum kb_send_outcome outcome;
    char message_id[16];       /* data.message_id when given */
    char description[200];
    cJSON *root;               /* owned (ob_answer_free); data points into it */
    const cJSON *data;
};

/* Classify an action's HTTP answer: retcode 0 (and 1, async) are OK;
   401/403 or retcode 1401/1403 are FATAL (the access token); 404 or retcode
   1404 / 1400 / 100 / 102 FAILED; 5xx, other retcodes and an unreadable
   answer RETRY; no answer RETRY_ONCE, never connected RETRY. */
void ob_classify(const struct kb_http_response *resp, struct ob_answer *out);
void ob_answer_free(struct ob_answer *a);

#endif
