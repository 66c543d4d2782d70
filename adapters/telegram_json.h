/*
 * Telegram Bot API <-> kocbot vocabulary: pure decoding and encoding, no
 * I/O, no clock, no logging (so every function is unit-tested against the
 * recorded payloads in tests/fixtures/telegram/).
 *
 * Invariants:
 *  - ids are read through cJSON's valuedouble, must be finite integers within
 *    +-2^53, and are printed as decimal strings (never valueint);
 *  - every string copied into a kb_event is valid UTF-8 (cJSON passes
 *    invalid bytes through; we reject the update instead);
 *  - ids going out are written as raw JSON integers, never through cJSON's
 *    double printer (which rounds some 16-digit values).
 */
#ifndef KB_ADAPTERS_TELEGRAM_JSON_H
#define KB_ADAPTERS_TELEGRAM_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "../core/menu.h"
#include "adapter.h"

#define TG_ID_MAX 9007199254740992.0 /* 2^53 */
#define TG_UPDATE_STRINGS 24

/* One decoded update.  The event's strings point into owned[]; release
   with tg_update_clear. */
struct tg_update {
    int64_t update_id;
    int has_update_id;         /* update_id was readable */
    int has_event;             /* 0: nothing to deliver (ignored kind) */
    int edited;                /* came from edited_message (not delivered) */
    int needs_role;            /* group command/callback: role lookup wanted */
    int64_t chat_num;          /* numeric chat id (for getChatAdministrators) */
    int64_t user_num;          /* numeric sender id */
    struct kb_event ev;
    char *owned[TG_UPDATE_STRINGS];
    size_t n_owned;
};

/* A parsed Bot API envelope {"ok":..,"result":..,"error_code":..}.  root is
   owned (tg_envelope_free); result points into it. */
struct tg_envelope {
    cJSON *root;
    const cJSON *result;
    int ok;
    long error_code;
    long retry_after_s;        /* parameters.retry_after, or -1 */
    char description[256];
};

/* Outcome of one send-type request (sendMessage, editMessageText,
   answerCallbackQuery). */
enum tg_method { TG_M_SEND = 0, TG_M_EDIT, TG_M_ANSWER };

struct tg_send_class {
    enum kb_send_outcome outcome;
    long retry_after_ms;
    long http_status;
    char message_id[24];       /* "" when unknown */
    char description[256];     /* "" when none */
};

/* ---- numbers and text ------------------------------------------------ */

/* Read an integer id: finite, integral, |v| <= 2^53.  0 or KB_EPARSE. */
int tg_read_id(const cJSON *item, int64_t *out);

/* Parse a decimal integer string within +-2^53 (the whole string).
   0 or KB_EINVAL. */
int tg_parse_id_str(const char *s, int64_t *out);

/* ---- responses ------------------------------------------------------- */

/* Parse a response body.  0 with *env filled (env->ok tells success);
   KB_EPARSE when the body is not JSON or lacks a boolean "ok"
   (env->root is NULL then).  Always pair with tg_envelope_free. */
int tg_envelope_parse(const char *body, size_t len, struct tg_envelope *env);
void tg_envelope_free(struct tg_envelope *env);

/* Decode one element of getUpdates' result.  bot_username (may be NULL)
   goes into ev.bot_username; now_s stamps events that carry no date
   (callback queries).  Returns 0 (out->has_event says whether there is an
   event) or KB_EPARSE (out->has_update_id says whether the id is known).
   tg_update_clear must be called in every case. */
int tg_decode_update(const cJSON *upd, const char *bot_username,
                     int64_t now_s, struct tg_update *out);
void tg_update_clear(struct tg_update *u);

/* A slice of a response body. */
struct tg_span {
    const char *p;
    size_t len;
};

/* The elements of a getUpdates answer {"ok":true,"result":[...]}, found by
   a structural scan that does not decode strings: one element cJSON would
   refuse (a lone surrogate escape) leaves the others readable.  0 with
   *items (malloc'd, pointing into body; may be empty) or KB_EPARSE when the
   answer is not ok:true with a result array (KB_ENOMEM). */
int tg_split_updates(const char *body, size_t len, struct tg_span **items, size_t *n);
/* An element's update_id read from its text, every digit kept (ids past
   2^53 too), non-negative within int64.  0 or KB_EPARSE. */
int tg_raw_update_id(const char *json, size_t len, int64_t *id);

/* bytes of a raw element kept for the record (utf8_sanitized_dup) */
#define TG_RAW_KEEP_MAX 4096

/* getMe result -> username (without '@').  0 or KB_EPARSE. */
int tg_parse_me(const cJSON *result, char *username, size_t cap);

/* getChatAdministrators result -> malloc'd array of user ids (free()).
   0 or KB_EPARSE / KB_ENOMEM. */
/* getFile's result: its file_path (checked to be a plain relative path)
   into path; KB_ETOOBIG when file_size says it is over max. */
int tg_parse_file(const cJSON *result, size_t max, char *path, size_t cap);

int tg_parse_admins(const cJSON *result, int64_t **ids, size_t *n);

/* Classify the answer to a send-type request (see the table in
   telegram.c).  Pure; never fails. */
void tg_classify_send(const struct kb_http_response *resp, enum tg_method m,
                      struct tg_send_class *out);

/* ---- request bodies (all malloc'd JSON text, NULL on failure) --------- */

/* inline_keyboard reply_markup from the kb buttons encoding (NULL when
   there are no usable buttons).  Buttons whose data is empty or longer
   than Telegram's 64 bytes are dropped. */
cJSON *tg_buttons_markup(const char *buttons);

/* sendMessage for r with text (already sanitized), buttons when
   with_buttons. */
char *tg_encode_send_dup(const struct kb_reply *r, const char *text,
                         int with_buttons);
/* editMessageText for r with text (already sanitized) and r's buttons. */
char *tg_encode_edit_dup(const struct kb_reply *r, const char *text);
/* answerCallbackQuery for r (text rendered plain, at most 200 units). */
char *tg_encode_answer_dup(const struct kb_reply *r);
/* getUpdates: offset may be NULL or "" (omitted). */
char *tg_encode_get_updates_dup(const char *offset, int timeout_s);
/* setWebhook: Telegram POSTs updates to url with secret_token in the
   X-Telegram-Bot-Api-Secret-Token header, at most max_connections at once. */
char *tg_encode_set_webhook_dup(const char *url, const char *secret_token, int max_connections);
/* setMyCommands for a command menu (language_code from its locale). */
char *tg_encode_commands_dup(const struct kb_menu *menu);
/* {"chat_id": id} */
char *tg_encode_chat_dup(int64_t chat_id);

#endif
