/* Core test fixture: an engine on a fresh SQLite file, events from a
   one-line call, and the outbox read back as text. */
#ifndef KB_TESTS_FIXTURE_H
#define KB_TESTS_FIXTURE_H

#include <stdint.h>

#include "../../core/ctx.h"

struct fx {
    struct engine *e;
    struct engine_settings set;
    char dir[64];
    char path[128];
    int next_msg;
    const char *platform;
};

/* Open with tz/locale (NULL = defaults); operators: "console:op" and "console:op2". */
void fx_open(struct fx *f, const char *tz, const char *locale);
void fx_reopen(struct fx *f);
void fx_close(struct fx *f);
/* Apply one message from user in chat at instant t; returns engine_apply's rc. */
int fx_say(struct fx *f, const char *chat, const char *user, int64_t t, const char *text);
/* Same with a role (KB_ROLE_*). */
int fx_say_as(struct fx *f, const char *chat, const char *user, int role, int64_t t, const char *text);
/* Fail the test unless every community's books agree (payment.h): the
   ledger's sums equal the tallies.  fx_say runs it after every event. */
void fx_books_agree(struct fx *f);
/* The pending outbox texts joined by "\n---\n", marked sent; caller frees. */
char *fx_replies(struct fx *f);
/* Run sql on a second connection, the way an operator edits the database
   by hand while the bot runs (the engine notices at its next batch). */
void fx_hand_edit(struct fx *f, const char *sql);
/* First column of a query with no parameters. */
int64_t fx_i64(struct fx *f, const char *sql);
/* When the prune module next wants a tick: what engine_next_due answers
   once no feature has work scheduled. */
int64_t fx_prune_due(struct fx *f);

/* Members whose point rows in the ledger do not sum to their all-time
   tally (0 when the cached tallies agree with the ledger). */
int64_t fx_tally_disagreements(struct fx *f);
/* A message from user in their private chat with the bot ("dm-<user>"). */
int fx_say_private(struct fx *f, const char *user, int64_t t, const char *text);

#endif
