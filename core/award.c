/* A claim's rewards into the ledger (award.h). */
#include "award.h"

#include <stdio.h>

#include "ledger.h"
#include "standing.h"

int task_award_ref(struct engine *e, int64_t task_id, int64_t claim_id, int64_t member_id, char *ref,
                   size_t cap)
{
    snprintf(ref, cap, "task:%lld:claim:%lld", (long long)task_id, (long long)claim_id);
    int64_t reversed = 0;
    int rc = store_i64(e->st, &reversed,
                       "SELECT count(DISTINCT ref) FROM ledger WHERE member_id = ?1 AND reason = 'unapprove'"
                       " AND (ref = ?2 OR ref LIKE ?2 || ':%')",
                       VALS(SI(member_id), ST(ref)));
    if (!rc && reversed)
        snprintf(ref, cap, "task:%lld:claim:%lld:%lld", (long long)task_id, (long long)claim_id,
                 (long long)reversed + 1);
    return rc;
}

int task_grant(struct engine *e, const struct task_row *t, int64_t claim_id, int64_t member_id,
               int64_t submission_id, int64_t reviewer, const char *note, int64_t now)
{
    char ref[AWARD_REF_MAX], why[600];
    int rc = task_award_ref(e, t->id, claim_id, member_id, ref, sizeof ref);
    if (rc)
        return rc;
    snprintf(why, sizeof why, "submission:%lld%s%s", (long long)submission_id, note && *note ? " " : "",
             note ? note : "");
    struct ledger_entry le = {.community_id = t->community_id, .member_id = member_id, .reason = "task",
                              .ref = ref, .granted_by = reviewer, .note = why, .at = now};
    if (t->points) {
        le.kind = "points";
        le.amount = t->points;
        le.unit = NULL;
        rc = ledger_add(e, &le, NULL);
    }
    if (!rc && t->cash) {
        le.kind = "cash";
        le.amount = t->cash;
        le.unit = t->currency;
        rc = ledger_add(e, &le, NULL);
    }
    const struct { const char *kind, *name; } items[] = {
        {"gift", t->gift}, {"badge", t->badge}, {"title", t->title_reward}};
    for (size_t i = 0; i < 3 && !rc; i++) {
        if (!*items[i].name)
            continue;
        le.kind = items[i].kind;
        le.amount = 1;
        le.unit = items[i].name;
        rc = ledger_add(e, &le, NULL);
    }
    if (!rc) {
        /* records the tier once per task (level rules count them) and re-levels */
        char task_ref[32];
        snprintf(task_ref, sizeof task_ref, "task:%lld", (long long)t->id);
        rc = standing_task_completed(e, t->community_id, member_id, task_ref, t->tier, now);
    }
    return rc;
}
