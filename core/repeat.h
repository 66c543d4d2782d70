/*
 * Tasks that repeat (/task new … --repeat daily|weekly|mon,thu): every
 * occurrence is a task of its own, with its own deadline and claims, posted
 * by the module's tick at the local time of day the series was started.
 * An occurrence is recorded with the series' next post time in the tick's
 * transaction, so it is created once whatever crashes.  After downtime,
 * each missed occurrence whose deadline is still ahead is posted late (it
 * can still be done); one whose deadline has passed is skipped (nobody
 * could claim it).  /task stop <id> ends the series of that task.
 */
#ifndef KB_CORE_REPEAT_H
#define KB_CORE_REPEAT_H

#include "ctx.h"
#include "task.h"

extern const struct kb_module repeat_module;

/* "daily", "weekly" (the weekday of now in tz), "weekdays", "mon,thu",
   "周一,周四", "每天" … -> a mask of weekdays (bit 0 = Sunday).  Pure.
   0 or KB_EINVAL. */
int repeat_days_parse(const char *s, const char *tz, int64_t now, int *days);
/* The first post time after t: local time at_min (minutes) on a day of
   the mask, in zone tz; -1 when the mask is empty. */
int64_t repeat_next_after(const char *tz, int at_min, int days, int64_t t);

/* A repeating /task new: the task just inserted as task_id is the
   series' first occurrence.  With no deadline in the definition it gets
   the next post time as its deadline (updated here); the series row is
   written and the line telling the operator appended to note. */
int repeat_series_start(struct cmd_ctx *c, int64_t task_id, const struct task_def *d, struct sbuf *note);

#endif
