/*
 * The process: one libuv loop that owns the engine, the adapter, the HTTP
 * client, the outbox sender, the scheduler timer, stdin (console) and the
 * signal handlers, and shuts them down in order.
 */
#ifndef KB_BOT_APP_H
#define KB_BOT_APP_H

#include "../config/config.h"

/* Run the bot until a signal, end of input (console) or a fatal platform
   error.  Returns the process exit code: 0 clean, 1 configuration or
   database error, 2 platform refused us (bad token), 70 internal error. */
int app_run(const struct kb_config *cfg);
/* Hold SIGINT and SIGTERM until app_run has its handlers in place (main's
   first call): a signal in between is then a clean stop, not a kill. */
void app_hold_stop_signals(void);

#endif
