/*
 * The feature registry: every feature module (check-in, ledger, polls, …)
 * contributes commands, catalogue texts and optionally scheduled work.
 * modules.c lists them; adding a feature is one file plus one line there
 * (its own tables come with it: kb_module.migrations).
 */
#ifndef KB_CORE_MODULES_H
#define KB_CORE_MODULES_H

#include <stddef.h>
#include <stdint.h>

#include "text.h"

struct cmd_ctx;
struct community;
struct engine;

enum cmd_flags {
    CMD_OPERATOR = 1u << 0, /* operators, and chat admins when enabled */
    CMD_LEDGER = 1u << 1,   /* configured operators only: touches the ledger */
    CMD_GROUP = 1u << 2,    /* only in group chats */
    CMD_HIDDEN = 1u << 3    /* not listed by /help */
};

struct cmd_spec {
    const char *name;               /* without '/' */
    int (*fn)(struct cmd_ctx *c);   /* KB_OK, or a negative KB_E* (rolls back this event) */
    unsigned flags;
    const char *help_key;           /* catalogue key of the /help line, or NULL */
};

struct kb_module {
    const char *name;
    const struct cmd_spec *commands;
    size_t n_commands;
    const struct text_entry *texts;
    size_t n_texts;
    /* scheduled work (optional): both run inside the engine's transaction */
    int (*tick)(struct engine *e, int64_t now);
    int64_t (*next_due)(struct engine *e, int64_t now); /* -1 = nothing */
    /* template variables for scheduled posts (optional): append the value of
       `name` for the community to out and return 1, or return 0 when the
       name is not this module's */
    int (*template_var)(struct engine *e, const struct community *comm, const char *name,
                        int64_t now, struct sbuf *out);
    /* replies (optional): a non-command message answering a message the bot
       posted with a ref (see ctx_post); c->args is the message text, c->name
       is "".  Return KB_OK when the ref is not this module's. */
    int (*on_reply)(struct cmd_ctx *c, const char *ref);
    /* the module's own tables (optional): its migrations, oldest first,
       versioned per module (store_migrate_module) */
    const char *const *migrations;
    size_t n_migrations;
};

extern const struct kb_module *const kb_modules[];
extern const size_t kb_n_modules;

#define KB_COUNT(a) (sizeof(a) / sizeof((a)[0]))

#endif
