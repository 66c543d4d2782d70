/*
 * Commissions offered in turn (精准邀约): an operator offers a task to a
 * pool one member at a time, best fit first; each candidate has a window
 * to /accept or /decline, and silence or a decline passes the offer on.
 * See offer.c.
 */
#ifndef KB_CORE_OFFER_H
#define KB_CORE_OFFER_H

#include "ctx.h"

/* A member's fit for a commission, from their past work (offer.c). */
struct offer_fit {
    int64_t member_id;
    int64_t rating;        /* higher first */
    int64_t last_commission; /* 0 = never; older first (rotation) */
};

/* rating = average score of their past work in percent (judged entries,
   and operators' /rate of approved work; 50 when never scored) + 10 per approved precision task − 20 per late or
   expired piece of work. */
int offer_fit_load(struct engine *e, int64_t member_id, int64_t now, struct offer_fit *out);
/* Order a < b: better rating first, then the longer rested, then the
   older member. */
int offer_fit_cmp(const void *a, const void *b);

extern const struct kb_module offer_module;

#endif
