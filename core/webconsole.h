/*
 * The operator web console's side in the core: the /console command (a
 * one-time sign-in link, valid CONSOLE_LINK_TTL_S, sent in a direct
 * message), redeeming such a link into a session (links and sessions are
 * kept as SHA-256 hashes; /console revoke ends a person's sessions), and the
 * read models the console's pages show, each limited to the communities the
 * person operates.  Besides its own sign-in rows the console changes
 * nothing itself: its actions are commands applied through engine_apply
 * like a button press in the chat.
 */
#ifndef KB_CORE_WEBCONSOLE_H
#define KB_CORE_WEBCONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "engine_int.h"

#define CONSOLE_LINK_TTL_S 600
#define CONSOLE_SESSION_S (8 * 3600)
#define CONSOLE_SECRET_HEX 64   /* links and session ids: 32 random bytes */

extern const struct kb_module webconsole_module;

/* Who a redeemed link signs in. */
struct console_identity {
    char platform[32];
    char user_id[128];
    char name[128];             /* as the chat last showed it (members keep it) */
};

/* Redeem token once and open a session for its person, valid
   CONSOLE_SESSION_S: KB_OK, *who and sid (the cookie's value; the database
   keeps only its hash), or KB_EDENIED (unknown, used or expired:
   indistinguishable to the caller on purpose). */
int engine_console_redeem(struct engine *e, const char *token, int64_t now,
                          struct console_identity *who, char sid[CONSOLE_SECRET_HEX + 1]);

/* The person of session sid: KB_OK and *who, or KB_EDENIED when it is
   unknown, expired, signed out or revoked (/console revoke). */
int engine_console_session(struct engine *e, const char *sid, int64_t now,
                           struct console_identity *who);

/* End session sid (sign out); 0 or KB_E*. */
int engine_console_sign_out(struct engine *e, const char *sid, int64_t now);

/* who's direct-message chat (where /console was sent): KB_OK or KB_ENOTFOUND. */
int engine_console_dm_chat(struct engine *e, const struct console_identity *who, char *chat,
                           size_t cap);

/* One pending submission as the review page shows it; strings borrowed
   for the duration of the callback. */
struct console_review {
    int64_t id;
    int64_t community_id;
    const char *community;      /* its title */
    const char *task;           /* the task's title */
    const char *member;         /* the member's name */
    const char *text;           /* the submission's text */
    const char *attachment;     /* "photo:<id>", "document:<id>" or "" */
    const char *platform, *chat_id; /* where the verdict is announced */
    int64_t at;
};

/* The pending submissions of the communities who operates, oldest first. */
int engine_console_reviews(struct engine *e, const struct console_identity *who,
                           void (*row)(void *ud, const struct console_review *r), void *ud);

/* 1 when who operates the community of submission id (the console offers
   actions only there; the command checks again). */
int engine_console_may_review(struct engine *e, const struct console_identity *who, int64_t id);

/* One member and their latest ledger rows, as the members page shows them. */
struct console_ledger_row {
    const char *kind, *unit, *reason, *ref, *note;
    int64_t amount, at;
};
struct console_member {
    int64_t id;
    const char *community, *name, *platform, *user_id;
    const char *tz;             /* the community's zone: the ledger's dates are shown in it */
    int64_t points, level;
    const struct console_ledger_row *ledger; /* newest first */
    size_t n_ledger;
};
#define CONSOLE_LEDGER_ROWS 20

/* Members of the communities who operates whose name, handle or user id
   contains search ("" = all), most points first, at most 50. */
int engine_console_members(struct engine *e, const struct console_identity *who,
                           const char *search,
                           void (*row)(void *ud, const struct console_member *m), void *ud);

/* Submission id's attachment ("photo:<ref>", "document:<ref>") and the
   platform that keeps it, when who operates its community: KB_OK, or
   KB_ENOTFOUND (no such submission, none attached, or not who's). */
int engine_console_attachment(struct engine *e, const struct console_identity *who, int64_t id,
                              char *platform, size_t pcap, char *attachment, size_t acap);

/* The chat command a console verdict runs: "approve" and "reject" as
   they are; "revise" is /revise where a module has it, else /reject (which
   leaves the member the revision window).  NULL for anything else. */
const char *engine_console_verdict_command(const char *verdict);

/* The console's other pages read these views, each limited to the
   communities who operates.  A row's columns arrive as text; instants are
   already local times ("2026-12-01 18:05") in the row's community's zone;
   days are that zone's day numbers (tz.h). */
enum console_view {
    CV_TASKS,          /* id, community, title, tier, state, points, claimed, quota, review, deadline, community id */
    CV_CLAIMS,         /* task id, member, state, claimed at */
    CV_POLLS,          /* id, community, question, open (1/0), votes, closes at, created at, anonymous */
    CV_POLL_OPTIONS,   /* poll id, option n, text, votes */
    CV_POLL_BY_LEVEL,  /* poll id, option n, "Lv N", votes */
    CV_POLL_BY_POOL,   /* poll id, option n, pool ("" = none), votes */
    CV_POLL_REASONS,   /* poll id, member ("" when anonymous), choices (bit set), reason, at */
    CV_TALLY,          /* community, kind, unit, earned, paid, owed */
    CV_TALLY_MEMBERS,  /* community, member, platform, user id, kind, unit, earned, paid, owed */
    CV_AUDIT,          /* at, community, actor, action, target, detail */
    CV_SCHEDULES,      /* id, community, kind, local minutes, days (bit 0 = Sunday), template, active */
    CV_CHECKINS_DAILY, /* community, its zone, day, check-ins, community id: the last 30 days */
    CV_ACTIVE_WEEKLY,  /* community, its zone, the week's Monday (a day), members active
                          (checked in, voted, claimed, submitted), community id: 12 weeks */
    CV_MEMBER_HISTORY, /* arg = member id: at, what ("claim", "submission", "level"), task or level, state */
    CV_GROUPS          /* community id, community, platform, chat id: where console commands are posted */
};

/* Each row of view (arg as the view says, else 0) at now, oldest or most
   relevant first as each view orders it.  0 or KB_E*. */
int engine_console_view(struct engine *e, const struct console_identity *who,
                        enum console_view view, int64_t arg, int64_t now,
                        void (*row)(void *ud, size_t n, const char *const *cols), void *ud);

/* A group chat on who's platform where console commands for community
   community_id (or, when task_id > 0, for that task's community) are
   posted, when who operates it: KB_OK, or KB_ENOTFOUND. */
int engine_console_group_chat(struct engine *e, const struct console_identity *who,
                              int64_t community_id, int64_t task_id, char *chat, size_t cap);

/* The chat submission id was made in (its verdict is announced there). */
int engine_console_submission_chat(struct engine *e, int64_t id, char *chat, size_t cap);

#endif
