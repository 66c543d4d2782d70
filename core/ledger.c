/* The append-only ledger; see ledger.h. */
#include "ledger.h"

#include <string.h>

#include "standing.h"
#include "tally.h"

int ledger_add(struct engine *e, const struct ledger_entry *le, int *added)
{
    int rc = store_exec(e->st,
                        "INSERT OR IGNORE INTO ledger(community_id, member_id, kind, amount, unit,"
                        " reason, ref, granted_by, note, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        VALS(SI(le->community_id), SI(le->member_id), ST(le->kind), SI(le->amount),
                             ST(le->unit ? le->unit : ""), ST(le->reason), ST(le->ref ? le->ref : ""),
                             le->granted_by ? SI(le->granted_by) : SN, ST(le->note ? le->note : ""),
                             SI(le->at)));
    if (rc)
        return rc;
    int fresh = store_changes(e->st) == 1;
    if (added)
        *added = fresh;
    /* balances and the week/month/all-time boards, in the same transaction */
    if (fresh && strcmp(le->kind, "points") == 0)
        rc = top_tally_add(e, le->community_id, le->member_id, le->at, le->amount,
                           strcmp(le->reason, "checkin") == 0, 0);
    return rc;
}

int ledger_balance(struct engine *e, int64_t member_id, const char *kind, const char *unit, int64_t *sum)
{
    return store_i64(e->st, sum,
                     "SELECT coalesce(sum(amount), 0) FROM ledger WHERE member_id = ? AND kind = ? AND unit = ?",
                     VALS(SI(member_id), ST(kind), ST(unit)));
}

int ledger_points(struct engine *e, int64_t member_id, int64_t *points)
{
    struct standing_memo m; /* the all-time tally row, as last written */
    int rc = standing_memo_get(e, member_id, &m);
    *points = rc ? 0 : m.facts.points;
    return rc;
}
