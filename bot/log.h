/*
 * Leveled logging to stderr, one line per event:
 *   2026-11-23T09:00:00Z INFO  http: getUpdates 200 (12 ms)
 * The level is checked before formatting.  Never pass tokens or full API
 * URLs (see http_redact_url); user text only at debug level.
 */
#ifndef KB_BOT_LOG_H
#define KB_BOT_LOG_H

#include "../adapters/adapter.h"

extern enum kb_log_level log_threshold;

/* parse "debug|info|warn|error"; returns 0 or KB_EINVAL */
int log_level_parse(const char *s, enum kb_log_level *out);

void log_write(enum kb_log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define LOG_AT(lvl, mod, ...) \
    do { if ((lvl) >= log_threshold) log_write((lvl), (mod), __VA_ARGS__); } while (0)
#define log_debug(mod, ...) LOG_AT(KB_LOG_DEBUG, mod, __VA_ARGS__)
#define log_info(mod, ...) LOG_AT(KB_LOG_INFO, mod, __VA_ARGS__)
#define log_warn(mod, ...) LOG_AT(KB_LOG_WARN, mod, __VA_ARGS__)
#define log_error(mod, ...) LOG_AT(KB_LOG_ERROR, mod, __VA_ARGS__)

#endif
