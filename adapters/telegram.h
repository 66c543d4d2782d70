/*
 * The Telegram adapter: long polling (getUpdates) or a webhook (setWebhook,
 * updates POSTed to bot/'s listener) into engine batches, and
 * kb_reply -> sendMessage / editMessageText / answerCallbackQuery.
 * It reaches the network, timers, clock, log and engine only through
 * struct adapter_services.  The token never appears in a log line.
 *
 * Behaviour worth knowing (details in telegram.c / telegram_json.c):
 *  - send(): returns 0 and later calls done exactly once, or returns a
 *    negative KB_E* and never calls done (KB_ESHUTDOWN after stop or a
 *    fatal error, KB_EINVAL for an empty text or a missing id).
 *  - Texts over max_text (4096 UTF-16 units as Telegram counts them after
 *    parsing the HTML) go as several sendMessage calls, one at a time; the
 *    first part carries reply_parameters, the last the buttons, all the
 *    thread.  The result is OK with the first part's message id.  If a
 *    later part hits 429/5xx/not-sent it is retried inside the adapter (up
 *    to 5 times, retry_after honoured); if it still fails, or got no
 *    answer, the result is RETRY_ONCE (earlier parts are already out).
 *  - An edit longer than max_text keeps only its first part.
 *  - answerCallbackQuery text is rendered plain (tags dropped, entities
 *    decoded) and cut to 200 units: Telegram has no parse mode for it.
 *  - edited_message updates are decoded (validated) but never delivered:
 *    re-running a command because its text was edited would vote, claim or
 *    submit twice.  The batch's cursor still moves past them.
 *  - webhook mode: setWebhook with a fresh random secret_token at every
 *    start; a POST without that X-Telegram-Bot-Api-Secret-Token is refused
 *    (403); an update is answered 200 only after the transaction that
 *    applied it committed (503 otherwise, so Telegram redelivers it); a
 *    group command whose sender's role must be looked up waits (the answer
 *    is deferred) behind the lookup, and later updates of that chat behind
 *    it.  Redeliveries are de-duplicated by the engine (message ids).
 *  - polling mode after a webhook: getUpdates' 409 "webhook is active"
 *    leads to deleteWebhook, then polling.
 *  - my_chat_member events carry message_id "member:<date>:<active>" as
 *    their de-duplication key (Telegram gives them no message id).
 */
#ifndef KB_ADAPTERS_TELEGRAM_H
#define KB_ADAPTERS_TELEGRAM_H

#include "registry.h"

#define TG_MAX_TEXT 4096        /* UTF-16 units after parsing the HTML */

struct tg_options {
    char *token;                /* required; copied */
    char *api_base;             /* default "https://api.telegram.org"; copied */
    int poll_timeout_s;         /* long-poll timeout, default 25 (<= 0: default) */
    int admin_cache_s;          /* getChatAdministrators cache, default 300 */
    int admins_are_operators;   /* look up chat admins for group commands */
    int request_timeout_s;      /* sends and control calls (<= 0: 30); a long
                                   poll gets poll_timeout_s + min(this, 15) */
    int conflict_wait_s;        /* wait after 409 Conflict (<= 0: 30) */
    int backoff_max_s;          /* poll backoff doubles up to this (<= 0: 60) */
    const struct kb_menu *menus;/* the command menu ("en", "zh-CN"); borrowed, may be none */
    size_t n_menus;
    char *mode;                 /* "polling" (default) or "webhook"; copied */
    char *webhook_url;          /* webhook: the public https URL Telegram POSTs to
                                   (a TLS proxy forwards its path to http_listen) */
    const char *http_listen;    /* webhook: bot/'s listener "host:port"; borrowed */
};

/* The registry row (adapters/registry.c). */
extern const struct adapter_kind tg_adapter_kind;

/* Create a Telegram adapter.  svc must outlive it.  Returns 0 and *out
   (release with (*out)->ops->destroy(*out)), or KB_EINVAL / KB_ENOMEM. */
int tg_adapter_new(const struct tg_options *o, const struct adapter_services *svc,
                   struct adapter **out);

#endif
