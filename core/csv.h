/* The one CSV writer behind every export (/tally export, /poll export, …). */
#ifndef KB_CORE_CSV_H
#define KB_CORE_CSV_H

#include <stddef.h>

#include "util.h"

/* Append one field.  Quoted per RFC 4180 when it holds a comma, a quote or
   a line break (quotes doubled).  A field a spreadsheet would run as a
   formula — one starting with = + - @, a tab or a carriage return — is
   quoted and prefixed with an apostrophe, unless it is a plain number
   ("-12.50"), which no spreadsheet evaluates. */
void csv_field(struct sbuf *out, const char *s);
/* Append n fields joined by commas and a line feed (LF, not CRLF: chat
   clients show the CR as a space). */
void csv_row(struct sbuf *out, const char *const *fields, size_t n);

#endif
