/*
 * The append-only ledger: every reward (points, cash, gift, badge, title)
 * is a row with who, what, how much, why and who granted it.  Corrections
 * are new rows, never updates.  Point balances are the all-time rows of the
 * leaderboard tallies (top.h), kept in the same transaction and rebuildable
 * from the ledger (top_rebuild).
 */
#ifndef KB_CORE_LEDGER_H
#define KB_CORE_LEDGER_H

#include "engine_int.h"

struct ledger_entry {
    int64_t community_id;
    int64_t member_id;
    const char *kind;     /* "points", "cash", "gift", "badge", "title" */
    int64_t amount;       /* points, cents, or +1/-1 for items */
    const char *unit;     /* currency or item name; NULL = "" */
    const char *reason;   /* "checkin", "task", "poll", "grant", "revoke", "payout" */
    const char *ref;      /* what it pays for ("day:20415"); NULL = "" */
    int64_t granted_by;   /* member id of the operator, 0 = the system */
    const char *note;     /* NULL = "" */
    int64_t at;
};

/* Append an entry.  For reasons other than grant/revoke/payout, a second
   entry with the same member, reason, ref, kind and unit is ignored:
   *added (may be NULL) tells which happened. */
int ledger_add(struct engine *e, const struct ledger_entry *le, int *added);
/* The sum of a member's rows of kind and unit: cash or gifts still owed
   (below zero: owed back by the member), a title or badge held (> 0). */
int ledger_balance(struct engine *e, int64_t member_id, const char *kind, const char *unit, int64_t *sum);
/* A member's point balance (the all-time tally). */
int ledger_points(struct engine *e, int64_t member_id, int64_t *points);

#endif
