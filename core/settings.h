/*
 * Engine settings: what the configuration decides for the domain.  Filled by
 * config/ (defaults, file, environment) and handed to engine_open, which
 * copies what it keeps.  Plain data, no behaviour.
 */
#ifndef KB_CORE_SETTINGS_H
#define KB_CORE_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#define KB_MAX_TRIGGERS 16
#define KB_MAX_OPERATORS 64
#define KB_MAX_LEVELS 16
#define KB_LEVEL_NAME_MAX 64
#define KB_MAX_PRIVATE_OPENERS 8

/* One level of the ladder.  A member reaches level i when they meet the
   requirements of levels 1..i and none of them is granted_only; a
   granted_only level is only given by an operator (/level set). */
struct kb_level_rule {
    char name_zh[KB_LEVEL_NAME_MAX + 1];
    char name_en[KB_LEVEL_NAME_MAX + 1];
    int min_points;             /* point balance */
    int min_checkin_days;       /* days checked in (all time) */
    int min_basic;              /* approved tasks per tier */
    int min_explore;
    int min_precision;
    int min_cobuild;
    int granted_only;
};

#define KB_MAX_SCHEDULES 16

/* A post every new community starts with (config "schedules"). */
struct kb_schedule_default {
    char *kind;                 /* "greet", "night", "weekly", "streak" */
    char *at;                   /* local time "08:00" */
    char *days;                 /* "daily", "weekdays", "mon" ...; NULL = daily */
    char *tmpl;                 /* NULL or "" = the catalogue's default text */
};

struct kb_checkin_rules {
    int base_points;            /* points for a check-in (default 10) */
    int streak_bonus;           /* extra points per streak day (default 1) */
    int streak_bonus_cap;       /* bonus never exceeds this (default 10) */
    char *triggers[KB_MAX_TRIGGERS]; /* plain-text triggers, e.g. "签到" */
    size_t n_triggers;
};

struct engine_settings {
    char *db_path;              /* SQLite file; ":memory:" for tests */
    char *locale;               /* default community locale: "zh-CN" or "en" */
    char *tz;                   /* default community time zone (IANA name) */
    char *bot_name;             /* our username where the platform has none */
    struct kb_checkin_rules checkin;
    /* "platform:user_id" pairs that are operators in every community */
    char *operators[KB_MAX_OPERATORS];
    size_t n_operators;
    int admins_are_operators;   /* chat admins get non-monetary operator commands */
    /* "platform:user_id" of the brand's owner: an operator in every community
       and the one person who may approve their own work (NULL = none) */
    char *owner;
    int revision_window_s;      /* a rejection gives this long to resubmit, even past the deadline (0 = none) */
    int member_rate_per_min;    /* per-member command limit (0 = off) */
    int schedule_grace_s;       /* late scheduled posts are sent within this */
    int outbox_retention_s;     /* delivered replies are kept this long (0 = a week) */
    /* the level ladder, lowest first; n_levels = 0 means the built-in
       default (core/standing.c).  One ladder for every community. */
    struct kb_level_rule levels[KB_MAX_LEVELS];
    size_t n_levels;
    struct kb_schedule_default schedules[KB_MAX_SCHEDULES];
    size_t n_schedules;
    char *console_url;          /* the web console's public base URL; NULL = no console */
    /* issue 19: revision rounds and the reward pipeline */
    int revision_max_rounds;    /* revision rounds a task allows when it sets none */
    int payment_four_eyes_cents; /* a cash payment above this needs a second operator (0 = never) */
    int payment_address_keep_s; /* a shipping address is erased this long after it is given */
    /* bug hunts, judging and offers in turn (issue 19: bughunt.c, judge.c, offer.c) */
    int bug_duplicate_share;    /* percent of the original's reward a duplicate report gets */
    int offer_window_s;         /* how long a candidate has to accept an offer */
    int quiz_retake_s;          /* persona quizzes (quiz.c): a retake waits this long unless the quiz says */
    /* streaks that forgive (core/streak.c): the community's day start,
       streak freezes and make-up check-ins; 0 switches each off */
    struct kb_streak_rules {
        int day_start_hour;     /* local hour a community's day starts (0..23), unless set by /streak day */
        int freeze_every;       /* one freeze earned per this many streak days */
        int freeze_cap;         /* earning stops at this many freezes held */
        int makeup_window_days; /* how far back a missed day may be made up */
        int makeup_price;       /* points a make-up costs */
        int makeup_per_month;   /* make-ups per member and month */
    } streak;
    int poll_insight_bonus;     /* polls: points for a reason marked insightful (/insight), 0 = off */
    /* the weekly personal summary (core/summary.c): defaults for communities
       whose operators have not set their own */
    int summary_enabled;
    int summary_weekday;        /* 0 = Sunday .. 6 */
    int summary_hour;           /* local hour */
    int summary_per_second;     /* direct messages queued per second at most */
    int summary_active_days;    /* members seen within this many days get one */
    /* Matrix direct messages (issue 17): platforms whose adapter opens a
       private chat itself for a member who never wrote to the bot privately
       (such a message is addressed to the member's user id); filled by bot/
       from the adapters' capabilities */
    char private_openers[KB_MAX_PRIVATE_OPENERS][16];
    size_t n_private_openers;
    /* issue 18: titles with a term (term.c), mentors (mentor.c) */
    int term_remind_s;          /* a holder is reminded this long before the term ends (0 = no reminder) */
    int mentor_cap;             /* mentees per mentor at most (0 = no limit) */
    int mentor_points_checkin_week; /* a mentor's credit when a mentee checks in 7 days */
    int mentor_points_first_task;   /* … has a first task approved */
    int mentor_points_level2;       /* … reaches level 2 */
    /* speed (issue 14): members kept in memory with their names and
       standing, ~250 bytes each (0 = 65536) */
    int cached_members;
};

#endif
