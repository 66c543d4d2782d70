/* Reviews and payouts: /review, /approve, /reject, /unapprove, /payout,
   /tally, /audit and the reminders (review.c). */
#ifndef KB_CORE_REVIEW_H
#define KB_CORE_REVIEW_H

#include "task.h"

extern const struct kb_module review_module;

/* A submission as review commands see it (strings owned: review_sub_free). */
struct sub_row {
    int64_t id, claim_id, task_id, member_id;
    char state[16];
    char *platform, *chat_id;
};
/* Parse "<submission> rest" from c->args and load it, replying with usage
   or "no such submission" itself (then KB_ENOTFOUND: already answered). */
int review_sub_from_args(struct cmd_ctx *c, const char **rest, struct sub_row *s, const char *usage);
void review_sub_free(struct sub_row *s);
/* Tell the author a verdict privately when possible (else in the chat they
   submitted from, saying why) and acknowledge to the reviewer. */
int review_tell(struct cmd_ctx *c, const struct sub_row *s, const char *member_text, const char *ack_key);
/* "Submission #n is not waiting for review (its state)." */
int review_refuse_state(struct cmd_ctx *c, const struct sub_row *s);
/* The claim back to "rejected" for a new version: until the deadline or,
   when later, for the configured revision window from now; appends to
   again the sentence saying until when (or that it cannot be). */
int review_reopen_claim(struct cmd_ctx *c, const struct task_row *t, int64_t claim_id, struct sbuf *again);

#endif
