/*
 * The locale catalogue: every user-visible string, in zh-CN and en, keyed by
 * a dotted name ("checkin.ok").  Each feature module keeps its own table
 * next to its logic and lists it in modules.c.
 *
 * Templates use {name} placeholders filled from typed arguments:
 *   TS  trusted markup (catalogue text, already-escaped fragments)
 *   TU  untrusted user text: escaped for kb markup, control and
 *       bidirectional-override characters removed, isolated with FSI/PDI
 *   TI  an integer
 * Output is kb markup (see event.h).
 */
#ifndef KB_CORE_TEXT_H
#define KB_CORE_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct text_entry {
    const char *key;
    const char *zh;
    const char *en;
};

enum targ_kind { TA_STR, TA_USER, TA_INT };

struct targ {
    const char *name;
    enum targ_kind kind;
    const char *s;
    int64_t i;
};

#define TS(n, v) {(n), TA_STR, (v), 0}
#define TU(n, v) {(n), TA_USER, (v), 0}
#define TI(n, v) {(n), TA_INT, NULL, (int64_t)(v)}
/* ARGS(TS(..), TI(..)) expands to "array, count" */
#define ARGS(...) (const struct targ[]){__VA_ARGS__}, \
    (sizeof((const struct targ[]){__VA_ARGS__}) / sizeof(struct targ))
#define NOARGS NULL, 0

/* 1 for "en…", 0 (Chinese, the default) otherwise. */
int text_lang_is_en(const char *lang);
/* The template for key in lang; the key itself when unknown (never NULL). */
const char *text_get(const char *lang, const char *key);
/* 1 when key exists in the catalogue. */
int text_has(const char *key);
/* Append the formatted template to out: {name} takes the argument's value,
   {n|one|other} the word for the number n ("{n} {n|day|days}": English
   plurals). */
void text_format(struct sbuf *out, const char *lang, const char *key,
                 const struct targ *args, size_t n);
/* Append untrusted text, escaped and isolated (see TU). */
void text_user(struct sbuf *out, const char *s);
/* Append untrusted text escaped for markup, keeping newlines (long texts
   such as briefs and reasons); control and bidi characters removed. */
void text_user_block(struct sbuf *out, const char *s);
/* Walk every catalogue entry (for tests): calls fn for each. */
void text_each(void (*fn)(const struct text_entry *e, void *ud), void *ud);

#endif
