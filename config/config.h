/*
 * Configuration: built-in defaults, then one JSON file, then KOCBOT_*
 * environment variables, into struct kb_config (plain C, owned strings).
 * Call order: cfg_defaults, cfg_load_file (optional), cfg_apply_env,
 * cfg_validate; cfg_free when done.  Every key, default and environment
 * variable is described in config/README.md.
 *
 * Errors: functions return 0 or a negative KB_E* (core/event.h) and write
 * one English line naming the bad key path or variable into err (errcap
 * bytes, may be NULL/0).  On failure the config is left unchanged.  A
 * secret (an adapter's token) never appears in any message.  The adapters'
 * sections and keys come from the registry (adapters/registry.h).
 */
#ifndef KB_CONFIG_CONFIG_H
#define KB_CONFIG_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "../adapters/registry.h"
#include "../core/event.h"
#include "../core/settings.h"

struct kb_config {
    struct engine_settings engine;  /* the domain part, handed to the engine */
    char *adapters[ADAPTER_MAX_KINDS]; /* names to start; none = automatic */
    size_t n_adapters;
    void *adapter_options[ADAPTER_MAX_KINDS]; /* per adapter_kinds[i]: its
                                       options struct, filled from its section */
    enum kb_log_level log_level;    /* default info */
    struct {
        double per_chat_per_s;      /* messages per second per chat (1.0) */
        int per_group_per_min;      /* messages per minute per group (20) */
        int global_per_s;           /* messages per second overall (30) */
        int coalesce;               /* merge short acknowledgements (1) */
        int enabled;                /* 0 switches the outbox limiter off (1) */
    } limits;
    int max_connections;            /* HTTP connections open at once, per adapter, 1..1024 (16) */
    int64_t fake_now;               /* test clock start, UTC seconds; 0 = real */
    double fake_speed;              /* test clock rate (1.0) */
    const char *secret_in_file;     /* the secret key the file held (warned), or NULL */
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
/* The adapters to start (out has room for ADAPTER_MAX_KINDS); how many. */
size_t cfg_adapters(const struct kb_config *c, const struct adapter_kind **out);
/* Adapter k's options struct (k's own type, e.g. struct tg_options). */
const void *cfg_adapter_options(const struct kb_config *c, const struct adapter_kind *k);
/* Replace the adapter list with comma-separated names ("auto": automatic). */
int cfg_set_adapters(struct kb_config *c, const char *list, char *err, size_t errcap);
/* Free every owned string (wiping the token) and zero c. */
void cfg_free(struct kb_config *c);
/* Parse unix seconds or ISO 8601 with Z/offset into UTC seconds. */
int cfg_parse_time(const char *s, int64_t *out);

#endif
