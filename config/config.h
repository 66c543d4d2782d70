/*
 * Configuration: built-in defaults, then one JSON file, then KOCBOT_*
 * environment variables, into struct kb_config (plain C, owned strings).
 * Call order: cfg_defaults, cfg_load_file (optional), cfg_apply_env,
 * cfg_validate; cfg_free when done.  Every key, default and environment
 * variable is described in config/README.md.
 *
 * Errors: functions return 0 or a negative KB_E* (core/event.h) and write
 * one English line naming the bad key path or variable into err (errcap
 * bytes, may be NULL/0).  On failure the config is left unchanged.  The
 * Telegram token never appears in any message.
 */
#ifndef KB_CONFIG_CONFIG_H
#define KB_CONFIG_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "../adapters/adapter.h"
#include "../core/event.h"
#include "../core/settings.h"

struct kb_config {
    struct engine_settings engine;  /* the domain part, handed to the engine */
    char *adapter;                  /* "console" | "telegram" | NULL = auto */
    enum kb_log_level log_level;    /* default info */
    struct {
        char *token;                /* secret; NULL when unset */
        char *api_base;             /* default "https://api.telegram.org" */
        int poll_timeout_s;         /* long-poll timeout, 1..50 (25) */
        int admin_cache_s;          /* chat-admin list cache, 0..86400 (300) */
        int request_timeout_s;      /* sends and control calls, 1..300 (30) */
        int conflict_wait_s;        /* wait after a 409 Conflict, 1..3600 (30) */
        int backoff_max_s;          /* cap of the doubling poll backoff, 1..3600 (60) */
    } telegram;
    struct {
        double per_chat_per_s;      /* messages per second per chat (1.0) */
        int per_group_per_min;      /* messages per minute per group (20) */
        int global_per_s;           /* messages per second overall (30) */
        int coalesce;               /* merge short acknowledgements (1) */
        int enabled;                /* 0 switches the outbox limiter off (1) */
    } limits;
    struct {
        char *user;                 /* console user id (default "you") */
        char *chat;                 /* console chat id (default "console") */
    } console;
    int max_connections;            /* HTTP connections open at once, 1..1024 (16) */
    int64_t fake_now;               /* test clock start, UTC seconds; 0 = real */
    double fake_speed;              /* test clock rate (1.0) */
    int token_from_file;            /* 1: the file held telegram.token (warned) */
};

/* Fill c with the built-in defaults (c need not be initialised). */
void cfg_defaults(struct kb_config *c);
/* Merge a JSON file into c; strict keys, types and ranges. */
int cfg_load_file(struct kb_config *c, const char *path, char *err,
                  size_t errcap);
/* Merge the KOCBOT_* environment variables into c. */
int cfg_apply_env(struct kb_config *c, char *err, size_t errcap);
/* Check every field and the cross-field rules of a finished config. */
int cfg_validate(const struct kb_config *c, char *err, size_t errcap);
/* The adapter to run: c->adapter, or "telegram"/"console" when automatic. */
const char *cfg_adapter_name(const struct kb_config *c);
/* Free every owned string (wiping the token) and zero c. */
void cfg_free(struct kb_config *c);
/* Parse unix seconds or ISO 8601 with Z/offset into UTC seconds. */
int cfg_parse_time(const char *s, int64_t *out);

#endif
