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
    /* speed (issue 14): members kept in memory with their names and
       standing, ~250 bytes each (0 = 65536) */
    int cached_members;
};

#endif
