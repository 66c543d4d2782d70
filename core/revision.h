/*
 * Revision rounds and versions (/revise, /submission) and partial
 * acceptance (/approve 12 3/5): revision.c.
 */
#ifndef KB_CORE_REVISION_H
#define KB_CORE_REVISION_H

#include "task.h"

#define REVISION_PARTS_MAX 100 /* the largest "of n" a partial acceptance takes */

extern const struct kb_module revision_module;

/* The share of amount for accepted of total items, rounded half up to the
   unit (a cent, a point): 300.00 × 1/3 = 100.00, 0.05 × 1/2 = 0.03. */
int64_t revision_share(int64_t amount, int64_t accepted, int64_t total);
/* A leading "k/n" word of *note (then skipped): 1 and the numbers, 0 when
   there is none, KB_EINVAL when it is malformed (0/5, 6/5, 1/0, 3/101). */
int revision_parse_part(const char **note, int64_t *accepted, int64_t *total);
/* t's rewards for accepted of total: points and cash in proportion, the
   indivisible gift, badge and title only when all are accepted. */
void revision_scale_task(struct task_row *t, int64_t accepted, int64_t total);
/* Remember the part a submission was approved for (shown by /submission). */
int revision_record_part(struct cmd_ctx *c, int64_t submission_id, int64_t accepted, int64_t total);

#endif
