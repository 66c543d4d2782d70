/*
 * Titles with a term and duties (/grant title … --until DATE --duty "…"):
 * a reminder before the term ends, the title taken back at its end (a
 * ledger row -1, reason "expire", ref "term:<id>", once) with an audit row,
 * and the duties in /me.  The title itself stays a ledger item (grant.c);
 * title_terms only says until when and what for.
 */
#ifndef KB_CORE_TERM_H
#define KB_CORE_TERM_H

#include "ctx.h"

#define TERM_DUTY_MAX 200 /* characters */

/* Record (or renew) the term of a title the member holds: until 0 = no
   end, duty NULL/"" = none.  By the command's sender. */
int term_record(struct cmd_ctx *c, int64_t member_id, const char *title, int64_t until, const char *duty);
/* The title was revoked by hand: its open term ends without an expiry. */
int term_close(struct cmd_ctx *c, int64_t member_id, const char *title);
/* The open term of a title: *until (0 = none) or KB_ENOTFOUND. */
int term_until(struct engine *e, int64_t member_id, const char *title, int64_t *until);

extern const struct kb_module term_module;

#endif
