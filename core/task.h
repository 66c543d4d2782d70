/*
 * Tasks: operators post them in four tiers (basic, explore, precision,
 * cobuild), members claim and submit, operators review (review.c), and the
 * rewards land in the ledger.  Claims are limited by a quota that the
 * database itself enforces (tasks.claimed <= quota), so the last slot can
 * be taken once however the claims race.
 */
#ifndef KB_CORE_TASK_H
#define KB_CORE_TASK_H

#include "ctx.h"
#include "tag.h"

/* Which fields a definition gave (for /task edit). */
enum task_field {
    TD_TIER = 1u << 0,
    TD_TITLE = 1u << 1,
    TD_BRIEF = 1u << 2,
    TD_REWARD = 1u << 3,
    TD_DEADLINE = 1u << 4,
    TD_QUOTA = 1u << 5,
    TD_ACCESS = 1u << 6,   /* everyone / level / pools */
    TD_INVITE = 1u << 7,
    TD_REVIEW = 1u << 8,
    TD_ROUNDS = 1u << 9,   /* revision rounds (revision.c) */
    TD_TAG = 1u << 10      /* the member tag it is limited to (tag.h) */
};

/* A parsed task definition.  Strings are owned (task_def_free). */
struct task_def {
    char tier[12];          /* basic explore precision cobuild */
    char *title;
    char *brief;
    int64_t points;
    int64_t cash;           /* cents */
    char currency[8];
    char *gift, *badge, *title_reward;
    int64_t deadline;       /* 0 = none */
    int64_t quota;          /* 0 = unlimited */
    char access[12];        /* everyone criteria invite ("" = tier default) */
    int64_t min_level;      /* 0 = any */
    char *pools;            /* "a,b" (NUL-free, comma separated), or NULL */
    char *invites;          /* "@a @b" as typed, resolved by the caller */
    int review;             /* 1/0, -1 = tier default */
    int all_groups;         /* announce in every group of the community */
    int64_t rounds;         /* revision rounds allowed, when TD_ROUNDS is given */
    char *tag;              /* only members with this tag may claim; "" = none (edit: lift it) */
    int repeat_days;        /* posted again on these weekdays (bit 0 = Sunday, repeat.c); 0 = once */
    unsigned given;         /* TD_* */
    char field[40];         /* the bad (or unknown) field, for the message */
};

/*
 * Parse a /task new definition (the text after "new"): either one line with
 * --flags or "key: value" lines, or both.  Pure: no database, no clock
 * (now and tz only resolve deadlines).  On failure returns KB_EINVAL,
 * *err_key is the catalogue key of the problem ("task.bad.tier", …) and
 * def->field names the field; def is then already freed.
 */
int task_definition_parse(const char *text, const char *tz, int64_t now, struct task_def *def,
                          const char **err_key);
/* The same for /task edit: nothing is required, def->given says what came. */
int task_edit_parse(const char *text, const char *tz, int64_t now, struct task_def *def,
                    const char **err_key);
void task_def_free(struct task_def *def);
/* Apply the tier's defaults (review, access, min_level) to a new definition. */
void task_def_defaults(struct task_def *def);

/* Insert a task from a definition (created_by 0 = the system: a camp's
   week); *id is the new task.  Pools, invitations and the announcement are
   the caller's. */
int task_insert(struct engine *e, int64_t community_id, const struct task_def *d, int64_t created_by, int64_t now,
                int64_t *id);
/* Invite a member to an invitation-only task (again: nothing changes). */
int task_invite(struct engine *e, int64_t task_id, int64_t member_id, int64_t by, int64_t now);

/* Cents from "200", "200.5", "200.50"; 0 or KB_EINVAL. */
int task_parse_cents(const char *s, int64_t *cents);

/* ==== shared with review.c ============================================ */

/* A task row (owned strings; task_row_free). */
struct task_row {
    int64_t id, community_id, points, cash, deadline, quota, min_level, claimed;
    int review;
    char *tier, *title, *brief, *currency, *gift, *badge, *title_reward, *access, *state;
    char tag[TAG_NAME_BYTES]; /* the member tag it is limited to, "" = none */
};
int task_load(struct engine *e, int64_t community_id, int64_t id, struct task_row *t);
void task_row_free(struct task_row *t);
/* "50 points, 200.00 CNY, gift: …" in lang (escaped). */
void task_reward_format(const char *lang, const struct task_row *t, struct sbuf *out);
/* The reward as shown where it is read: an invited task's fee only in a
   private chat (a fee is a private matter). */
void task_reward_shown(const char *lang, const struct task_row *t, int private_chat, struct sbuf *out);
/* "@handle" when the member has one, else the display name (escaped). */
void task_mention(struct engine *e, int64_t member_id, struct sbuf *out);
/* Append "12.50 CNY", or "¥12.50" for yuan in Chinese (lang NULL: the
   neutral form, for stored text such as audit rows). */
void task_money(const char *lang, struct sbuf *out, int64_t cents, const char *currency);
/* The task named by the next word of *p: loaded into t, or KB_ENOTFOUND
   once usage (a bad id) or "no such task" is answered. */
int task_from_arg(struct cmd_ctx *c, const char **p, struct task_row *t, const char *usage);
/* Parse a "#12" / "12" id; 0 or KB_EINVAL. */
int task_parse_id(const char *s, int64_t *id);
/* A claim's due time (SQL over claims c JOIN tasks t): the task's deadline,
   or the end of the revision window a rejection opened when that is later;
   NULL when the task has no deadline. */
#define TASK_CLAIM_DUE_SQL \
    "(CASE WHEN t.deadline IS NULL THEN NULL ELSE max(t.deadline, coalesce(c.revise_until, 0)) END)"
/* The same from the two values (0 = none). */
int64_t task_claim_due(int64_t deadline, int64_t revise_until);
/* Post a copy of task from_id as a new open task (its brief, rewards,
   quota and who may claim; its own deadline and no claims yet), announced
   as /task new does: in chat platform/chat_id or, with chat_id NULL, in
   every group of the community; note (markup) ends the announcement.
   *new_id receives its id. */
int task_post_copy(struct engine *e, int64_t community_id, int64_t from_id, int64_t deadline,
                   const char *platform, const char *chat_id, const char *note, int64_t now,
                   int64_t *new_id);
/* Why member cannot claim t at now: a "task.why.*" catalogue key (claimed,
   approved, closed, level, pool, invite, full …), or NULL when they may. */
int task_why_not(struct engine *e, const struct task_row *t, int64_t member_id, int64_t now, const char **key);
extern const struct kb_module task_module;

#endif
