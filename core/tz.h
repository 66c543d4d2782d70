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
/* The day number of instant t for a community whose day starts at local
   hour start_hour (0..23): a 01:00 message with a 03:00 start belongs to
   the day before.  start_hour 0 is tz_day. */
int64_t tz_day_from(const char *tz, int start_hour, int64_t t);
/* The instant such a day begins (its local start_hour o'clock). */
int64_t tz_day_start_from(const char *tz, int start_hour, int64_t day);
/* y, mon (1..12), d -> day number (the inverse of tz_day_ymd; no check). */
int64_t tz_ymd_day(int y, int mon, int d);
/* Day number -> y, mon (1..12), d, weekday (0 = Sunday). */
void tz_day_ymd(int64_t day, int *y, int *mon, int *d, int *wday);

#endif
