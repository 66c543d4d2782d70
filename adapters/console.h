/*
 * The console adapter: a simulated group chat on stdin/stdout.  Each input
 * line is one message; "alice: /checkin" says who speaks (otherwise the
 * default user).  Replies print as "kocbot> text" with markup removed.
 */
#ifndef KB_ADAPTERS_CONSOLE_H
#define KB_ADAPTERS_CONSOLE_H

#include "adapter.h"

struct console_options {
    const char *user;      /* default speaker ("you") */
    const char *chat;      /* chat id ("console") */
    const char *bot_name;  /* our name, for "/cmd@name" */
    const char *operators_hint; /* unused, reserved */
};

/* feed_line(a, line, len) buffers one message; feed_line(a, NULL, 0)
   delivers everything buffered as one batch (bot/ calls it after each read). */
int console_adapter_new(const struct console_options *o, const struct adapter_services *svc,
                        struct adapter **out);

/* Strip kb markup for a terminal: tags removed, entities decoded, direction
   isolates dropped.  Returns an owned string. */
char *console_plain_text(const char *markup);

#endif
