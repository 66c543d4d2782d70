/*
 * A member's standing: level, talent pools, titles and badges.  Tasks and
 * polls ask it for eligibility; everything that changes standing (check-ins,
 * approvals, grants, vote rewards) calls standing_changed in the same
 * transaction so a promotion is computed, recorded and announced exactly once.
 *
 * Where each part lives, so every standing can be explained (/why):
 *   points        ledger (kind 'points'), cached in tallies
 *   check-in days checkins
 *   tasks by tier task_completions (written by standing_task_completed)
 *   titles/badges ledger rows of kind 'title'/'badge', +1 grant, -1 revoke;
 *                 held while the sum for the name is > 0
 *   level         member_levels, every change in level_changes
 *   pools         pool_members, changes in the audit trail
 */
#ifndef KB_CORE_STANDING_H
#define KB_CORE_STANDING_H

#include "ctx.h"

enum { STANDING_N_TIERS = 4 };
/* Task tiers, in the order of struct standing_facts.tasks. */
extern const char *const standing_tiers[STANDING_N_TIERS]; /* basic explore precision cobuild */

/* The numbers a level is computed from. */
struct standing_facts {
    int64_t points;
    int64_t checkin_days;
    int64_t tasks[STANDING_N_TIERS];
};

/* A member's level and the facts it is computed from, as the tables hold
   them (member_levels, the all-time tally row, task_completions), kept in
   e->cache.standing: read once, then kept by the writers (tally.c's
   top_tally_add, record_level; a task completion or identity link drops
   it) and dropped with every cache on rollback. */
struct standing_memo {
    int64_t level;
    struct standing_facts facts;
    int64_t last_day, last_streak;   /* the latest check-in (day -1: none), or
                                        STANDING_DAY_UNKNOWN (not read yet) */
};
#define STANDING_DAY_UNKNOWN INT32_MIN
int standing_memo_get(struct engine *e, int64_t member_id, struct standing_memo *out);
/* The memo when one is kept (1), without reading the tables (0). */
int standing_memo_peek(struct engine *e, int64_t member_id, struct standing_memo *out);
/* The all-time tally row now holds points and checkin_days. */
void standing_memo_tally(struct engine *e, int64_t member_id, int64_t points, int64_t checkin_days);
void standing_memo_forget(struct engine *e, int64_t member_id);
/* A member row just inserted: level 1, nothing earned yet. */
void standing_memo_new_member(struct engine *e, int64_t member_id);
/* The member's latest check-in as the memo holds it: 1 (day -1: none), 0
   when the memo is kept but has not read it, -1 when no memo is kept. */
int standing_memo_last_checkin(struct engine *e, int64_t member_id, int64_t *day, int64_t *streak);
/* Tell a kept memo the member's latest check-in: when read (known 1), or a
   day just checked in (known 0: kept only if the memo knew an earlier
   one).  Whoever else writes a member's check-ins forgets the memo. */
void standing_memo_checkin(struct engine *e, int64_t member_id, int64_t day, int64_t streak, int known);

/* The level ladder in force (configured, or the built-in default). */
const struct kb_level_rule *standing_rules(const struct engine *e, size_t *n);
/* The built-in default ladder L1..L5. */
const struct kb_level_rule *standing_default_rules(size_t *n);
/* Gather a member's facts. */
int standing_facts(struct engine *e, int64_t member_id, struct standing_facts *out);
/* The highest level the rules give for these facts (1..n); stops below the
   first granted-only level. */
int standing_earned_level(const struct engine *e, const struct standing_facts *f);
/* Append "L3 中坚" (zh) / "L3 中坚 Contributor" (en), escaped, to out. */
void standing_level_name(const struct engine *e, int level, const char *lang, struct sbuf *out);
/* What reaching level needs (the highest of each requirement of levels
   2..level). */
void standing_requirements(const struct engine *e, int level, struct standing_facts *need);
/* Append what is still missing from f to reach level (", "-joined, e.g.
   "120 points, 3 check-in days"); returns the number of items (0 = met). */
int standing_missing(const struct engine *e, int level, const struct standing_facts *f,
                     const char *lang, struct sbuf *out);

/* The member's current level (1 = the entry level). */
int standing_level(struct engine *e, int64_t member_id, int *level);
/* *yes = 1 when the member belongs to the community's talent pool. */
int standing_in_pool(struct engine *e, int64_t member_id, const char *pool, int *yes);
/* *yes = 1 when the member holds the title or badge (kind "title"/"badge"). */
int standing_has_item(struct engine *e, int64_t member_id, const char *kind, const char *name,
                      int *yes);
/* Eligibility for tasks and polls: *ok = 1 when the member has at least
   min_level (0 = any) and, when pool is not NULL/"", belongs to it. */
int standing_eligible(struct engine *e, int64_t member_id, int min_level, const char *pool,
                      int *ok);

/* Whether anyone can ever meet an audience (tasks' --level/--pools, polls'
   --min-level/--pool): the level must be on the ladder and every pool
   (comma-separated; NULL or "" = none) must exist in the community.
   KB_OK, or KB_EINVAL with a reply appended to out (the catalogue text
   naming the level or the unknown pool), or a store error. */
int standing_audience_check(struct engine *e, int64_t community_id, int64_t min_level, const char *pools,
                            const char *lang, struct sbuf *out);

/* Re-evaluate the member's level after their standing changed; records and
   announces a promotion in the community's chats.  Never demotes. */
int standing_changed(struct engine *e, int64_t community_id, int64_t member_id, int64_t now);
/* An approved task: record (member, task_ref "task:<id>", tier) once and
   re-evaluate the level.  A repeated call for the same task changes nothing. */
int standing_task_completed(struct engine *e, int64_t community_id, int64_t member_id,
                            const char *task_ref, const char *tier, int64_t now);
/* An approval was reversed (/unapprove): forget the completion of task_ref
   (its tier count and the task boards of the week and month it was done
   in), then re-evaluate the level.  Unlike standing_changed this may
   demote, but never below what the rules now give nor below the last level
   an operator set; *from and *to are the levels before and after. */
int standing_task_reversed(struct engine *e, int64_t community_id, int64_t member_id, const char *task_ref,
                           int64_t by_member, int64_t now, int *from, int *to);
/* Set a member's level (operator); records it and announces a promotion. */
int standing_set_level(struct engine *e, int64_t community_id, int64_t member_id, int level,
                       int64_t by_member, int64_t now);

/* Append the member's display name and titles ("alice [特邀评委]"), escaped. */
void member_label(struct engine *e, int64_t member_id, struct sbuf *out);
/* Append the /me lines: level, progress, titles, badges, pools. */
int standing_describe(struct cmd_ctx *c, struct sbuf *out);

/* Commands /level and /why. */
extern const struct kb_module standing_module;

#endif
