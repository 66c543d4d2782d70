/*
 * Small helpers shared by every module.
 *
 * Ownership rules for the whole code base:
 *  1. Parameters are borrowed; a callee that keeps data copies it.
 *  2. A returned char * / struct * is owned by the caller and released with
 *     the function its comment names; a returned const char * is borrowed.
 *  3. Free functions accept NULL.
 *  4. Allocation failure aborts (xmalloc and friends), so callers need not
 *     check for NULL: an out-of-memory bot cannot do anything useful.
 */
#ifndef KB_CORE_UTIL_H
#define KB_CORE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);            /* NULL stays NULL */
char *xstrndup(const char *s, size_t n);

/* A growable NUL-terminated string.  Zero-initialise, append, then free. */
struct sbuf {
    char *s;
    size_t len, cap;
};
void sbuf_add(struct sbuf *b, const char *s);
void sbuf_addn(struct sbuf *b, const char *s, size_t n);
void sbuf_addf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_addc(struct sbuf *b, char c);
const char *sbuf_str(const struct sbuf *b);   /* "" when empty */
char *sbuf_take(struct sbuf *b);              /* caller frees; b is reset */
void sbuf_free(struct sbuf *b);

/* 1 when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
int utf8_valid(const char *s, size_t n);
/* Length in bytes of the UTF-8 sequence starting at s (1 for bad bytes). */
size_t utf8_seq_len(const unsigned char *s, size_t n);
/* Decode one code point at s; returns bytes used, *cp = 0xFFFD if invalid. */
size_t utf8_decode(const char *s, size_t n, uint32_t *cp);
/* Number of code points (invalid bytes count one each). */
size_t utf8_count(const char *s, size_t n);
/* Largest prefix of s no longer than max bytes that ends on a boundary. */
size_t utf8_clip(const char *s, size_t n, size_t max);
/* A copy (owned) of at most max bytes of raw[0..len), cut at a character
   boundary, each invalid or NUL byte sequence replaced by '?': raw text
   kept for inspection must be valid UTF-8. */
char *utf8_sanitized_dup(const char *raw, size_t len, size_t max);

/* The decimal text of v in out (room for KB_I64_TEXT bytes), NUL-terminated;
   returns its length.  Cache keys are built per event with it: snprintf was
   ~5% of the engine's instructions. */
#define KB_I64_TEXT 21
size_t fmt_i64(char *out, int64_t v);
/* Append s to buf[0..at) (cut to fit cap, NUL-terminated); the new length. */
size_t str_append(char *buf, size_t cap, size_t at, const char *s);

/* Parse a whole decimal integer in [min,max]; 0 or KB_EINVAL. */
int parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

/* Case-insensitive ASCII compare. */
int ascii_casecmp(const char *a, const char *b);

#endif
