/* The CSV writer; see csv.h. */
#include "csv.h"

#include <string.h>

/* [+-]digits[.digits] */
static int plain_number(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    const char *digits = s;
    while (*s >= '0' && *s <= '9')
        s++;
    if (s == digits)
        return 0;
    if (*s == '.') {
        const char *frac = ++s;
        while (*s >= '0' && *s <= '9')
            s++;
        if (s == frac)
            return 0;
    }
    return *s == '\0';
}

void csv_field(struct sbuf *out, const char *s)
{
    int formula = *s && strchr("=+-@\t\r", *s) && !plain_number(s);
    if (!formula && !strpbrk(s, ",\"\r\n")) {
        sbuf_add(out, s);
        return;
    }
    sbuf_addc(out, '"');
    if (formula)
        sbuf_addc(out, '\'');
    for (; *s; s++) {
        if (*s == '"')
            sbuf_addc(out, '"');
        sbuf_addc(out, *s);
    }
    sbuf_addc(out, '"');
}

void csv_row(struct sbuf *out, const char *const *fields, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            sbuf_addc(out, ',');
        csv_field(out, fields[i]);
    }
    sbuf_addc(out, '\n');
}
