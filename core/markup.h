/*
 * kb markup (see event.h) to plain text, for platforms and places without
 * formatting (a terminal, a command menu, a button toast).
 */
#ifndef KB_CORE_MARKUP_H
#define KB_CORE_MARKUP_H

/* Tags removed, the four entities decoded, direction isolates (U+2068,
   U+2069) dropped.  Returns an owned string (free). */
char *markup_plain_dup(const char *markup);

#endif
