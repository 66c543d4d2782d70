/* The append-only ledger and its cached point tallies; see ledger.h. */
#include "ledger.h"

#include <string.h>

#include "top.h"

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
    if (fresh && strcmp(le->kind, "points") == 0)
        rc = store_exec(e->st,
                        "INSERT INTO tallies(member_id, community_id, points) VALUES (?, ?, ?)"
                        " ON CONFLICT(member_id) DO UPDATE SET points = points + excluded.points",
                        VALS(SI(le->member_id), SI(le->community_id), SI(le->amount)));
    /* the leaderboards' week/month/all-time tallies, in the same transaction */
    if (!rc && fresh && strcmp(le->kind, "points") == 0)
        rc = top_tally_add(e, le->community_id, le->member_id, le->at, le->amount,
                           strcmp(le->reason, "checkin") == 0, 0);
    return rc;
}

int ledger_points(struct engine *e, int64_t member_id, int64_t *points)
{
    *points = 0;
    int rc = store_i64(e->st, points, "SELECT points FROM tallies WHERE member_id = ?",
                       VALS(SI(member_id)));
    return rc == KB_ENOTFOUND ? KB_OK : rc;
}

int ledger_rebuild_tallies(struct engine *e, int64_t community_id)
{
    int rc = store_exec(e->st, "DELETE FROM tallies WHERE community_id = ?", VALS(SI(community_id)));
    if (!rc)
        rc = store_exec(e->st,
                        "INSERT INTO tallies(member_id, community_id, points)"
                        " SELECT member_id, community_id, sum(amount) FROM ledger"
                        " WHERE community_id = ? AND kind = 'points' GROUP BY member_id",
                        VALS(SI(community_id)));
    return rc;
}

int ledger_tallies_agree(struct engine *e, int64_t community_id)
{
    int64_t mismatches = 1;
    int rc = store_i64(e->st, &mismatches,
                       "SELECT count(*) FROM ("
                       " SELECT member_id, sum(amount) AS s FROM ledger"
                       "  WHERE community_id = ?1 AND kind = 'points' GROUP BY member_id) l"
                       " FULL OUTER JOIN (SELECT member_id, points FROM tallies WHERE community_id = ?1) t"
                       " USING (member_id) WHERE coalesce(l.s, 0) <> coalesce(t.points, 0)",
                       VALS(SI(community_id)));
    return rc == KB_OK && mismatches == 0;
}
