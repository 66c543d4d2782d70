/* Points and cash earned for one thing; see earn.h. */
#include "earn.h"

#include "ledger.h"
#include "task.h"

int earn(struct cmd_ctx *c, int64_t member_id, const struct earning *w)
{
    struct ledger_entry le = {.community_id = c->comm.id, .member_id = member_id, .reason = w->reason,
                              .ref = w->ref, .granted_by = c->member_id, .note = w->note, .at = c->now};
    int rc = KB_OK;
    if (w->points) {
        le.kind = "points";
        le.amount = w->points;
        rc = ledger_add(c->e, &le, NULL);
    }
    if (!rc && w->cash) {
        le.kind = "cash";
        le.amount = w->cash;
        le.unit = w->currency;
        rc = ledger_add(c->e, &le, NULL);
    }
    return rc;
}

void earn_text(const char *lang, int64_t points, int64_t cash, const char *currency, struct sbuf *out)
{
    struct task_row r = {.points = points, .cash = cash, .currency = (char *)(currency ? currency : ""),
                         .gift = (char *)"", .badge = (char *)"", .title_reward = (char *)""};
    task_reward_format(lang, &r, out);
}
