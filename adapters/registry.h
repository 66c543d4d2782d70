/*
 * The adapter registry: one row per platform adapter.  bot/ and config/
 * read this table and name no adapter; a new platform is its own files
 * plus one row in registry.c.
 *
 * A row says what the adapter is called, the platform id it stores, its
 * configuration section and keys (type, range, default, environment
 * variable, checks: config/ applies them), how to construct it and what
 * the platform can do (capabilities).
 */
#ifndef KB_ADAPTERS_REGISTRY_H
#define KB_ADAPTERS_REGISTRY_H

#include <stddef.h>

#include "../core/menu.h"
#include "adapter.h"

#define ADAPTER_MAX_KINDS 8

enum adapter_key_type { ADAPTER_KEY_STR, ADAPTER_KEY_INT, ADAPTER_KEY_BOOL };

enum adapter_key_flags {
    ADAPTER_KEY_SECRET = 1u << 0,   /* never quoted, wiped when freed; a file
                                       readable by others may not hold it */
    ADAPTER_KEY_REQUIRED = 1u << 1, /* the adapter cannot start without it;
                                       when set, the adapter starts by default */
    ADAPTER_KEY_URL = 1u << 2,      /* an http:// or https:// URL, no trailing '/' */
    ADAPTER_KEY_IDENT = 1u << 3,    /* a short name without spaces or commas */
    ADAPTER_KEY_OPTIONAL = 1u << 4  /* may stay unset (NULL in the options, or JSON null) */
};

struct adapter_key {
    const char *name;               /* inside the section: "token" */
    enum adapter_key_type type;
    size_t off;                     /* field in the adapter's options struct:
                                       char * (STR) or int (INT, BOOL) */
    int min, max;                   /* INT range */
    size_t max_len;                 /* STR: longest value in bytes */
    const char *dstr;               /* STR default, or NULL */
    int dnum;                       /* INT/BOOL default */
    unsigned flags;                 /* enum adapter_key_flags */
    const char *env;                /* environment override, or NULL */
    /* extra check of a STR value: 0, or -1 with the reason in why */
    int (*check)(const char *s, char *why, size_t cap);
};

struct adapter_caps {
    size_t max_text;                /* longest text one message may carry */
    int paced;                      /* the platform limits the send rate:
                                       the outbox applies the "limits" section
                                       and merges acknowledgements */
    int buttons;                    /* inline buttons under a message */
    int edits;                      /* a sent message can be edited */
    int reactions;                  /* emoji reactions on a message */
    int topics;                     /* forum topics inside a group */
    int direct_messages;            /* the bot can write to one person */
    int opens_private;              /* ... even one who never wrote to it privately:
                                       the adapter opens the private chat (a reply
                                       addressed to the person's user id) */
    int sender_role;                /* the platform tells who is a chat admin */
    int idempotent_sends;           /* a send repeated after a crash shows once
                                       (Matrix transaction ids); elsewhere a bulk
                                       message goes at most once */
};

/* What bot/ hands every constructor besides the adapter's own options. */
struct adapter_host {
    const char *bot_name;           /* our name, for "/cmd@name" */
    int admins_are_operators;       /* chat admins count as operators */
    const struct kb_menu *menus;    /* the command menu, one per locale */
    size_t n_menus;
    const char *http_listen;        /* the "http.listen" address, or NULL */
};

struct adapter_kind {
    const char *name;               /* "console", "telegram": config and logs */
    const char *platform;           /* id stored in the database: "console", "tg" */
    const char *section;            /* configuration section */
    const struct adapter_key *keys;
    size_t n_keys;
    size_t options_size;            /* sizeof the options struct */
    int fallback;                   /* started when nothing else is configured */
    struct adapter_caps caps;
    /* the platform's rule for user ids ("platform:id" in operator lists):
       0 when id follows it; user_id_rule says it in words */
    int (*check_user_id)(const char *id);
    const char *user_id_rule;
    /* opts: the options struct filled from the section; 0 or a negative KB_E* */
    int (*create)(const void *opts, const struct adapter_host *host,
                  const struct adapter_services *svc, struct adapter **out);
};

extern const struct adapter_kind *const adapter_kinds[];
extern const size_t adapter_n_kinds;

/* The row called name, or NULL. */
const struct adapter_kind *adapter_kind_find(const char *name);
/* Its index in adapter_kinds, or -1. */
int adapter_kind_index(const struct adapter_kind *k);

#endif
