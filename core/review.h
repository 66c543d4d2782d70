/* Reviews and payouts: /review, /approve, /reject, /unapprove, /payout,
   /tally, /audit and the reminders (review.c). */
#ifndef KB_CORE_REVIEW_H
#define KB_CORE_REVIEW_H

#include "task.h"

extern const struct kb_module review_module;

#endif
