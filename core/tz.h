/*
 * Local time in a community's IANA time zone ("Asia/Shanghai",
 * "Europe/Berlin").  The engine never reads the clock: every function takes
 * the instant it is asked about.  Days are numbered as local calendar days
 * since 1970-01-01, so "yesterday" is day - 1 whatever DST does.
 */
#ifndef KB_CORE_TZ_H
#define KB_CORE_TZ_H

#include <stdint.h>
#include <time.h>

/* 1 when tz names a zone this machine knows ("UTC" always does). */
int tz_valid(const char *tz);
/* Broken-down local time of instant t in zone tz. */
void tz_local(const char *tz, int64_t t, struct tm *out);
/* Local calendar day number of instant t. */
int64_t tz_day(const char *tz, int64_t t);
/* The UTC instant of local wall time y-mon-d h:mi (mon 1..12) in tz; a time
   skipped by DST resolves to just after the gap. */
int64_t tz_instant(const char *tz, int y, int mon, int d, int h, int mi);
/* The instant the local day starts. */
int64_t tz_day_start(const char *tz, int64_t day);
/* Day number -> y, mon (1..12), d, weekday (0 = Sunday). */
void tz_day_ymd(int64_t day, int *y, int *mon, int *d, int *wday);

#endif
