/*
 * Definitions that operators type after a command (/poll new, /task new),
 * in either form:
 *   one line:   /task new Summer photos --tier precision --reward points 50 --deadline 2d
 *   multi-line: /task new Summer photos
 *               tier: precision
 *               brief: five road-trip photos
 *                 bright, fresh colours        (indented or colon-less lines continue)
 * Both may be mixed.  Keys are case-insensitive ASCII words ([a-z0-9_-])
 * or their Chinese names (截止, 奖励, 名额 …: defn.c's zh_keys, given to
 * callers by the English name); "：" (full-width colon) works like ":".
 * A key without a value is a flag.
 */
#ifndef KB_CORE_DEFN_H
#define KB_CORE_DEFN_H

#include <stddef.h>
#include <stdint.h>

struct defn_field {
    char *key;     /* lower-case */
    char *value;   /* trimmed; "" for a bare flag */
};

struct defn {
    char *head;                 /* the text before any field (e.g. the title) */
    struct defn_field *fields;
    size_t n;
};

/* Parse text into out (free with defn_free).  Returns 0, or KB_EINVAL with
   a short English reason in err (for the log; users get catalogue texts). */
int defn_parse(const char *text, struct defn *out, char *err, size_t errcap);
void defn_free(struct defn *d);
/* The last value given for key, or NULL. */
const char *defn_get(const struct defn *d, const char *key);
/* 1 when key was given (even without a value). */
int defn_has(const struct defn *d, const char *key);
/* The first key not in the NULL-terminated allowed list, or NULL. */
const char *defn_unknown(const struct defn *d, const char *const *allowed);

/* A point in time from operator input, in the community's zone tz:
   "2d", "3h", "90m", "1w" (from now), "2026-12-01 20:00", "2026-12-01"
   (end of that day, 23:59), "12-01 20:00" (this year, even when past: callers
   refuse a past time rather than guess next year),
   "20:00" (today, or tomorrow if past), and the word forms of
   when_words.h (明天, 周五 20:00, 下周一, 12月4日, 3天后, 晚上8点, tomorrow,
   fri 8pm).  0 or KB_EINVAL. */
int when_parse(const char *s, const char *tz, int64_t now, int64_t *out);
/* Format an instant as "2026-12-01 20:00" in tz into buf. */
void when_format(int64_t t, const char *tz, char *buf, size_t cap);

#endif
