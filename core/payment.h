/*
 * The reward pipeline: /payout, /pay approve|paid|failed|list|show,
 * /received, /address and the per-state totals of /tally (payment.c).
 */
#ifndef KB_CORE_PAYMENT_H
#define KB_CORE_PAYMENT_H

#include "task.h"

extern const struct kb_module payment_module;

/* Cash per currency or a gift per description, and an amount of it. */
struct owed { char kind[8]; char *unit; int64_t amount; };

/* Append "12.50 CNY" or "Bag ×2" (escaped), ", "-separated. */
void payment_owed_text(const char *lang, const struct owed *o, int64_t amount, struct sbuf *out);

/* A community's rewards per kind and unit in each state of the pipeline:
   owed (not yet in a payment), requested, approved, paid, confirmed, and
   owed back by members (reversed after a payout). */
struct payment_totals {
    char kind[8];
    char unit[128];     /* names are at most 100 bytes */
    int64_t owed, requested, approved, paid, confirmed, owed_back;
};
int payment_totals(struct engine *e, int64_t community_id, struct payment_totals *t, size_t cap, size_t *n);
/* Append the totals per state and currency for /tally (nothing when none). */
void payment_tally_states(struct cmd_ctx *c, struct sbuf *out);
/* The books agree: per kind and unit, the ledger's sum equals owed +
   requested + approved − owed back and its payouts equal paid + confirmed;
   every payout row has its payment, every failed payout its one opposite
   row; the points tallies match the ledger.  1, or 0 with why filled. */
int payment_books_agree(struct engine *e, int64_t community_id, char *why, size_t cap);

#endif
