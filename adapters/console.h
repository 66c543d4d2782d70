/*
 * The console adapter: a simulated group chat on the process's standard
 * input and output.  Each input line is one message; "alice: /checkin"
 * says who speaks (otherwise the default user); a line ending with "\\"
 * goes on in the next line (one message of several lines, as a multi-line
 * /quiz new or /task new typed on a phone).  Replies print as
 * "kocbot> text" with markup removed.  End of input finishes the adapter.
 */
#ifndef KB_ADAPTERS_CONSOLE_H
#define KB_ADAPTERS_CONSOLE_H

#include "registry.h"

#define CONSOLE_MAX_TEXT (1u << 20)

struct console_options {
    char *user;            /* default speaker ("you") */
    char *chat;            /* chat id ("console") */
};

/* The registry row (adapters/registry.c). */
extern const struct adapter_kind console_adapter_kind;

/* The registry's constructor: opts is a struct console_options. */
int console_adapter_new(const void *opts, const struct adapter_host *host,
                        const struct adapter_services *svc, struct adapter **out);

#endif
