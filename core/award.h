/*
 * Granting a task's rewards (points, cash, gifts, badges, titles) for an
 * approved claim: shared by an automatic approval (task.c) and a review
 * (review.c), below both.
 */
#ifndef KB_CORE_AWARD_H
#define KB_CORE_AWARD_H

#include "task.h"

#define AWARD_REF_MAX 80 /* "task:<id>:claim:<id>:<n>", three 64-bit numbers */

/* The ledger ref of a claim's current award: "task:<t>:claim:<c>", then
   "…:2", "…:3" once earlier awards were reversed (/unapprove), so a claim
   approved again after a reversal is paid again, and each award is
   reversed at most once (the ledger is unique on reason and ref). */
int task_award_ref(struct engine *e, int64_t task_id, int64_t claim_id, int64_t member_id, char *ref,
                   size_t cap);
/* Grant the task's rewards for an approved submission of a claim, exactly
   once per claim (ledger ref "task:<t>:claim:<c>").  reviewer 0 = system. */
int task_grant(struct engine *e, const struct task_row *t, int64_t claim_id, int64_t member_id,
               int64_t submission_id, int64_t reviewer, const char *note, int64_t now);

#endif
