/*
 * Automatic posts: the morning greeting, the good-night post, the weekly
 * leaderboard and the evening streak keeper, per community, at a local time
 * on chosen weekdays, outside the community's quiet hours.  Templates
 * ("Good morning, it is {weekday}!") fill variables from this module and, for
 * names it does not know, from every other module's template_var hook.
 *
 * Fire-once: each occurrence has the mark "sched:<id>:<local day>", inserted
 * by the same transaction that queues the post, so a restart or a second
 * tick never repeats it.  A post missed by more than the grace window is
 * skipped (and marked and logged), never sent hours late.
 *
 * This header stays free of SQLite so config/ can use the parsers.
 */
#ifndef KB_CORE_SCHEDULE_H
#define KB_CORE_SCHEDULE_H

#include <stdint.h>

/* only forward declarations: config/ includes this header too */
struct community;
struct engine;
struct kb_module;
struct sbuf;

extern const struct kb_module schedule_module;

#define SCHED_DAYS_ALL 127     /* weekday bit mask: bit 0 = Sunday .. bit 6 = Saturday */
#define SCHED_TEMPLATE_MAX 2000 /* bytes of an operator's template */

/* "08:00", "8:05", "22：30" -> minutes after local midnight; 0 or KB_EINVAL. */
int schedule_parse_hhmm(const char *s, int *minutes);
/* "daily", "weekdays", "weekends", "mon-fri", "mon,wed,fri", "周一-周五",
   "sat" -> weekday bit mask (bit 0 = Sunday); 0 or KB_EINVAL. */
int schedule_parse_days(const char *s, int *mask);
/* 1 for a kind operators may schedule: greet, night, weekly, streak. */
int schedule_kind_valid(const char *kind);

/* Fill template tmpl for community comm at instant now into out.  trusted:
   tmpl is catalogue markup; otherwise it is operator text and its literal
   parts are escaped.  Unknown {names} stay visible as written. */
void schedule_render(struct engine *e, const struct community *comm, const char *tmpl,
                     int trusted, int64_t now, struct sbuf *out);
/* The weekly leaderboard: top 10 by points gained in the 7 local days
   before the day of now, as markup appended to out. */
int schedule_leaderboard_text(struct engine *e, const struct community *comm, int64_t now,
                              struct sbuf *out);
/* 1 when instant now falls inside the community's quiet hours (other
   modules' reminders may consult it). */
int schedule_quiet_at(struct engine *e, const struct community *comm, int64_t now);
/* Give a new community the configured default posts (engine settings). */
/* For a module's template_var: append the count that sql (parameters:
   community id, now) gives and return 1. */
int schedule_count_var(struct engine *e, const struct community *comm, const char *sql, int64_t now,
                       struct sbuf *out);
int schedule_community_created(struct engine *e, int64_t community_id, int64_t now);

#endif
