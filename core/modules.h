/*
 * The feature registry: every feature module (check-in, ledger, polls, …)
 * contributes commands, catalogue texts and optionally scheduled work.
 * modules.c lists them; adding a feature is one file plus one line there
 * (its own tables and configuration keys come with it: kb_module.migrations,
 * kb_module.settings).
 */
#ifndef KB_CORE_MODULES_H
#define KB_CORE_MODULES_H

#include <stddef.h>
#include <stdint.h>

#include "text.h"

struct cmd_ctx;
struct community;
struct engine;
struct kb_event;

/* A configuration key a module owns: config/ reads, checks, defaults and
   lists it like its own keys, into a field of struct engine_settings. */
enum kb_setting_type {
    KB_SETTING_SECTION, /* an object holding the keys below it ("checkin") */
    KB_SETTING_INT,
    KB_SETTING_LIST     /* an array of strings */
};

struct kb_setting {
    const char *path;               /* dotted path in the file */
    enum kb_setting_type type;
    size_t off;                     /* offsetof(struct engine_settings, …) */
    double min, max;                /* INT: range, in file units */
    int scale;                      /* INT: stored value = file value * scale */
    double dnum;                    /* INT: default, in file units */
    size_t count_off;               /* LIST: offset of its size_t count */
    size_t list_cap;                /* LIST: capacity of the array */
    size_t max_len;                 /* LIST: longest string, in bytes */
    const char *const *dlist;       /* LIST: default entries, NULL-terminated */
    /* LIST: a check of each entry (0, or -1 with why filled), or NULL */
    int (*check)(const char *s, char *why, size_t cap);
};

enum cmd_flags {
    CMD_OPERATOR = 1u << 0, /* operators, and chat admins when enabled */
    CMD_LEDGER = 1u << 1,   /* configured operators only: touches the ledger */
    CMD_GROUP = 1u << 2,    /* only in group chats */
    CMD_HIDDEN = 1u << 3,   /* not listed by /help */
    CMD_OPERATOR_HELP = 1u << 4 /* listed with the operator commands, but the command
                                   itself decides who may use it (e.g. /console in a DM) */
};

struct cmd_spec {
    const char *name;               /* without '/' */
    int (*fn)(struct cmd_ctx *c);   /* KB_OK, or a negative KB_E* (rolls back this event) */
    unsigned flags;
    const char *help_key;           /* catalogue key of the /help line, or NULL */
    const char *alias;              /* Chinese name ("签到"), or NULL; every member command has one */
};

/* A subcommand: "/host name words…" runs fn once the dispatcher checked the
   host command's flags, these flags and the arity; the host's own fn
   answers anything else (its usage).  fn's c->args are the words after name. */
struct cmd_sub {
    const char *host;               /* the command it belongs to */
    const char *name;
    int (*fn)(struct cmd_ctx *c);
    unsigned flags;                 /* on top of the host's */
    int min_args, max_args;         /* words after name; max -1 = any number */
};

struct kb_module {
    const char *name;
    const struct cmd_spec *commands;
    size_t n_commands;
    const struct text_entry *texts;
    size_t n_texts;
    const struct cmd_sub *subs;     /* subcommands of this module's commands */
    size_t n_subs;
    /* scheduled work (optional): both run inside the engine's transaction */
    int (*tick)(struct engine *e, int64_t now);
    int64_t (*next_due)(struct engine *e, int64_t now); /* -1 = nothing */
    /* housekeeping whose instant may come late by the due memo's age
       (engine_next_due): its answer is kept across writes to the tables it
       reads, so a busy store does not ask again after every commit */
    int due_may_lag;
    /* template variables for scheduled posts (optional): append the value of
       `name` for the community to out and return 1, or return 0 when the
       name is not this module's */
    int (*template_var)(struct engine *e, const struct community *comm, const char *name,
                        int64_t now, struct sbuf *out);
    /* replies (optional): a non-command message answering a message the bot
       posted with a ref (see ctx_post); c->args is the message text, c->name
       is "".  Return KB_OK when the ref is not this module's. */
    int (*on_reply)(struct cmd_ctx *c, const char *ref);
    /* private chatter (optional): a non-command message in the sender's
       private chat with the bot (a step of a form filled in turn); c->args
       is the text.  Return KB_OK when the sender has nothing open here. */
    int (*on_private)(struct cmd_ctx *c);
    /* a reaction was taken back (optional; KB_EV_REACTION_REMOVED): undo what
       it did when it is this module's and ev->user_id reacted, else KB_OK
       without a change.  Runs inside the engine's transaction. */
    int (*on_reaction_removed)(struct engine *e, const struct kb_event *ev, int64_t now);
    /* a community was just created (optional): set up its defaults, inside
       the engine's transaction */
    int (*community_created)(struct engine *e, int64_t community_id, int64_t now);
    /* the module's own tables (optional): its migrations, oldest first,
       versioned per module (store_migrate_module) */
    const char *const *migrations;
    size_t n_migrations;
    /* the module's configuration keys (optional) */
    const struct kb_setting *settings;
    size_t n_settings;
    /* plain messages (optional): chatter_wanted, pure and cheap, says
       whether a message that is no command and answers no post of ours may
       be this module's (a typed quiz answer "B"); on_chatter then gets it
       (c->args = the text, c->name = "") and returns KB_OK without a word
       when it is not. */
    int (*chatter_wanted)(const char *text);
    int (*on_chatter)(struct cmd_ctx *c);
    /* issue 18 (growth ladder), all optional and inside the event's or the
       tick's transaction: a member was seen for the first time (c is their
       first event); a member's standing may have changed (a check-in, an
       approval, a grant: standing_changed); the module's lines of /me */
    int (*member_joined)(struct cmd_ctx *c);
    int (*member_progress)(struct engine *e, int64_t community_id, int64_t member_id, int64_t now);
    int (*me_lines)(struct cmd_ctx *c, struct sbuf *out);
};

extern const struct kb_module *const kb_modules[];
extern const size_t kb_n_modules;

#define KB_COUNT(a) (sizeof(a) / sizeof((a)[0]))

#endif
