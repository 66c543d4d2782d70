/*
 * Points and cash earned for one thing (a bug report, a place in a
 * judging, completed judging): the ledger rows, once per member, reason
 * and ref (the ledger's uniqueness), and their text (earn.c).
 */
#ifndef KB_CORE_EARN_H
#define KB_CORE_EARN_H

#include "ctx.h"

struct earning {
    const char *reason, *ref, *note;  /* note may be NULL */
    int64_t points, cash;             /* cash in cents */
    const char *currency;
};

/* The rows for member, granted by the command's sender, at c->now. */
int earn(struct cmd_ctx *c, int64_t member_id, const struct earning *w);
/* "30 points, cash 20.00 CNY" in lang, or "none". */
void earn_text(const char *lang, int64_t points, int64_t cash, const char *currency, struct sbuf *out);

#endif
