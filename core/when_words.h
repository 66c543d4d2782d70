/*
 * Times as people type them, Chinese first: 明天 / 后天 / 周五 / 下周一 /
 * 12月4日 / 5号 / 3天后 / 晚上8点 / 8点半 / 今晚 / 20：00, and the English
 * words beside them (today, tomorrow, fri, next mon, 8pm).  when_parse
 * (defn.h) tries its numeric forms first and then these.
 *
 * Rules (tested in tests/unit/test_when_words.c):
 * - a date without a time means the end of that day (23:59), as "2026-12-01";
 * - a time without a date is today's, or tomorrow's once it has passed;
 * - a bare weekday (周五) is its next occurrence, today included while the
 *   time is still ahead; 本周五 / 这周五 is this Mon–Sun week's (maybe past:
 *   callers refuse past times); 下周五 is the Friday of next week;
 * - a date without a year (12月4日) or month (5号) is its next occurrence,
 *   except within the last 7 days: then it stays as written and is refused
 *   as past, since a recent day is more likely a slip than next year's;
 * - "N天后" alone is exactly N×24 h from now (like "3d"); followed by a time
 *   ("3天后晚上8点") it names that day;
 * - 上午/早上/凌晨 keep the hour, 下午/傍晚/晚上 add 12 to hours 1–11,
 *   中午 reads 1–3 as afternoon; "晚上12点" is midnight at the day's end.
 */
#ifndef KB_CORE_WHEN_WORDS_H
#define KB_CORE_WHEN_WORDS_H

#include <stdint.h>

/* An instant from a word form, in zone tz; 0 or KB_EINVAL. */
int when_words_parse(const char *s, const char *tz, int64_t now, int64_t *out);
/* A time of day ("20:00", "20：00", "晚上8点", "8点半", "8pm") as minutes
   after midnight (0..1439); 0 or KB_EINVAL.  Schedules use it. */
int when_time_of_day(const char *s, int *minutes);

#endif
