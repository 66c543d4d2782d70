/*
 * The Telegram adapter: long polling (getUpdates) into engine batches, and
 * kb_reply -> sendMessage / editMessageText / answerCallbackQuery.
 * It reaches the network, timers, clock, log and engine only through
 * struct adapter_services.  The token never appears in a log line.
 */
#ifndef KB_ADAPTERS_TELEGRAM_H
#define KB_ADAPTERS_TELEGRAM_H

#include "adapter.h"

struct tg_options {
    const char *token;          /* required; copied */
    const char *api_base;       /* default "https://api.telegram.org"; copied */
    int poll_timeout_s;         /* long-poll timeout, default 25 (<= 0: default) */
    int admin_cache_s;          /* getChatAdministrators cache, default 300 */
    int admins_are_operators;   /* look up chat admins for group commands */
};

/* Create a Telegram adapter.  svc must outlive it.  Returns 0 and *out
   (release with (*out)->ops->destroy(*out)), or KB_EINVAL / KB_ENOMEM. */
int tg_adapter_new(const struct tg_options *o, const struct adapter_services *svc,
                   struct adapter **out);

#endif
