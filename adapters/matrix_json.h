/*
 * Matrix client-server API v3 <-> kocbot vocabulary: pure decoding and
 * encoding, no I/O, no clock, no logging (unit-tested in
 * tests/unit/test_matrix_json.c).
 *
 * Invariants:
 *  - every string that leaves here for a kb_event is valid UTF-8 (cJSON
 *    passes invalid bytes through; such an event is rejected instead);
 *  - transaction ids are "kb<nonce>.<outbox row>": unique per database (the
 *    nonce) and per row, so a retried PUT is the same transaction to the
 *    homeserver and a new database never collides with an old one.
 */
#ifndef KB_ADAPTERS_MATRIX_JSON_H
#define KB_ADAPTERS_MATRIX_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "adapter.h"

#define MX_MAX_BUTTONS 10       /* keycaps 1️⃣ … 🔟 */

/* A Matrix error answer {"errcode": …, "error": …, "retry_after_ms": …}. */
struct mx_error {
    long status;               /* HTTP status, 0 when no answer */
    char errcode[64];          /* "" when none */
    char error[256];           /* "" when none */
    long retry_after_ms;       /* -1 when absent */
};

/* Read status, errcode, error and retry_after_ms from an answer. */
void mx_error_read(const struct kb_http_response *resp, struct mx_error *out);

/* Outcome of a PUT /send: the kb_send_outcome, the event id on success.
   Because the transaction id makes a PUT idempotent, an unanswered send is
   a plain retry (never RETRY_ONCE). */
struct mx_send_class {
    enum kb_send_outcome outcome;
    long retry_after_ms;
    char event_id[256];
    char description[320];
};
void mx_classify_send(const struct kb_http_response *resp, struct mx_send_class *out);

/* ---- transaction ids -------------------------------------------------- */

/* "kb<nonce>.<row>" into out.  0 or KB_ETOOBIG. */
int mx_txn_id(const char *nonce, int64_t row, char *out, size_t cap);
/* The outbox row of one of our transaction ids, or 0 when txn is not ours. */
int64_t mx_txn_row(const char *nonce, const char *txn);

/* ---- markup and message content -------------------------------------- */

/* kb markup -> Matrix HTML (org.matrix.custom.html): markup_sanitize_dup
   (<b>, <i>, <code> and the four entities kept, any other '<', '>', '&'
   escaped), newlines as <br>.  Owned (free). */
char *mx_html_dup(const char *markup);

/* The kb buttons encoding split into labels and command data (at most
   MX_MAX_BUTTONS; empty data dropped).  Strings owned by the caller:
   mx_buttons_free. */
struct mx_buttons {
    char *label[MX_MAX_BUTTONS];
    char *data[MX_MAX_BUTTONS];
    size_t n;
};
void mx_buttons_parse(const char *buttons, struct mx_buttons *out);
void mx_buttons_free(struct mx_buttons *b);

/* The keycap emoji for button i (0-based): "1️⃣" … "🔟". */
const char *mx_keycap(size_t i);
/* Button index of a reaction key, or -1 when it is not a keycap we use. */
int mx_keycap_index(const char *key);

/* The JSON body of PUT /send/m.room.message for a SEND or EDIT reply:
   m.notice with body (plain) and formatted_body (HTML); the buttons listed
   under the text as "1️⃣ label" lines and their commands kept in
   "org.kocbot.buttons" (so a reaction can be mapped back after a restart);
   a SEND replying to reply_to carries m.in_reply_to, an EDIT is an
   m.replace of edit_message_id with m.new_content.  max_bytes bounds the
   text (cut at a character).  Owned, NULL on bad input. */
char *mx_encode_message_dup(const struct kb_reply *r, size_t max_bytes);

/* "org.kocbot.buttons" of a message content (for an edit: of its
   m.new_content) into out; 0 when present (maybe empty), KB_ENOTFOUND. */
int mx_content_buttons(const cJSON *content, struct mx_buttons *out);

/* A message body without the reply fallback ("> …" lines and the blank
   line after them) that older clients put in front.  Points into body. */
const char *mx_strip_reply_fallback(const char *body);

/* A keycap beyond the card's buttons (idx >= bt->n) on a poll card: when
   every button of bt is "/vote <poll> <n>" of one poll, "/vote <poll>
   <idx + 1>" into out (the core then refuses the option as a typed vote
   would) and 0; else KB_ENOTFOUND. */
int mx_vote_beyond(const struct mx_buttons *bt, size_t idx, char *out, size_t cap);

/* ---- direct chats (account data m.direct: user id -> [room ids]) ------- */

/* The well-formed part of m.direct content (user ids with arrays of room
   ids, anything else dropped): a new object, owned (cJSON_Delete). */
cJSON *mx_direct_parse(const cJSON *content);
/* The user whose direct chats include room, or NULL. */
const char *mx_direct_partner(const cJSON *direct, const char *room);
/* The newest direct chat with user (the last listed), or NULL. */
const char *mx_direct_room(const cJSON *direct, const char *user);
/* Record room as the newest direct chat with user (no duplicate). */
void mx_direct_add(cJSON *direct, const char *user, const char *room);
/* POST /createRoom body: a private chat with user (is_direct, invited). Owned. */
char *mx_encode_direct_room_dup(const char *user);

/* ---- power levels ----------------------------------------------------- */

struct mx_power {
    int users_default;
    int state_default;
    char **users;              /* owned user ids */
    int *levels;
    size_t n;
};
/* Parse m.room.power_levels content.  0 or KB_EPARSE. */
int mx_power_parse(const cJSON *content, struct mx_power *out);
int mx_power_of(const struct mx_power *p, const char *user_id);
void mx_power_free(struct mx_power *p);

/* ---- invitations ------------------------------------------------------ */

/* Whether inviter may bring the bot into a room.  policy: "everyone", or
   a comma-separated list of user ids ("@alice:example.org") and
   homeserver names ("example.org"); an empty policy means the bot's own
   homeserver (the server part of me). */
int mx_invite_allowed(const char *policy, const char *me, const char *inviter);

/* ---- requests --------------------------------------------------------- */

/* Percent-encode s for a URL path segment or query value.  Owned. */
char *mx_url_escape_dup(const char *s);

/* The sync filter: only what the bot reads (messages, reactions,
   redactions, membership, power levels, names; of the account data its
   direct chats), members lazily loaded. */
const char *mx_sync_filter(void);

/* POST /login body: password login as user with the fixed device_id.
   Owned. */
char *mx_encode_login_dup(const char *user, const char *password, const char *device_id);

#endif
