/*
 * The one markup codec: kb markup (see event.h) to what a platform shows.
 * Every adapter renders through it: Telegram passes sanitized markup to its
 * HTML parser, places without formatting (a terminal, a command menu, a
 * button label, a toast) take the plain rendering.
 *
 * Lengths are counted in UTF-16 code units as the text is shown (tags 0,
 * an entity 1, a character outside the BMP 2): Telegram's own count, and
 * never less than the characters a platform counting characters sees.
 */
#ifndef KB_CORE_MARKUP_H
#define KB_CORE_MARKUP_H

#include <stddef.h>

/* A copy that a strict HTML-subset parser accepts: only <b>, <i>, <code>
   (well nested, no tags inside <code>, all closed at the end) and the
   entities &amp; &lt; &gt; &quot; survive; any other '<', '>' or '&' is
   escaped.  Returns an owned string (free). */
char *markup_sanitize_dup(const char *markup);

enum markup_plain_flags {
    MARKUP_DROP_ISOLATES = 1 /* drop U+2068/U+2069 (terminals show them) */
};

/* Plain text: the three tags dropped, the four entities decoded, cut at a
   character boundary to at most max_units (0 = no limit).  flags:
   enum markup_plain_flags.  Returns an owned string (free). */
char *markup_plain_dup(const char *markup, size_t max_units, int flags);

/* Shown length of sanitized markup, in UTF-16 units. */
size_t markup_length(const char *markup);

/* Split sanitized markup into parts of at most max_units shown units
   each: at line boundaries when possible, otherwise at a character, tag or
   entity boundary.  Tags open at a cut are closed at the end of the part
   and reopened at the start of the next.  Blank parts are dropped.
   *parts is an owned array of owned strings (markup_parts_free).
   0 or KB_ENOMEM / KB_EINVAL. */
int markup_split(const char *markup, size_t max_units, char ***parts, size_t *n);
void markup_parts_free(char **parts, size_t n);

#endif
