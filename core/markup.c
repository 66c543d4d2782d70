/* kb markup to platform text; see markup.h. */
#include "markup.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "util.h"

enum { TAG_B = 1, TAG_I = 2, TAG_CODE = 4 };

static const struct {
    const char *open, *close;
    int bit;
} tags[] = {
    {"<b>", "</b>", TAG_B}, {"<i>", "</i>", TAG_I}, {"<code>", "</code>", TAG_CODE},
};
static const char *const entities[] = {"&amp;", "&lt;", "&gt;", "&quot;"};

/* Length of a recognised tag at p (and which / whether closing), else 0. */
static size_t match_tag(const char *p, int *idx, int *closing)
{
    for (int i = 0; i < 3; i++) {
        size_t ol = strlen(tags[i].open), cl = strlen(tags[i].close);
        if (!strncmp(p, tags[i].open, ol)) {
            *idx = i;
            *closing = 0;
            return ol;
        }
        if (!strncmp(p, tags[i].close, cl)) {
            *idx = i;
            *closing = 1;
            return cl;
        }
    }
    return 0;
}

static size_t match_entity(const char *p)
{
    for (size_t i = 0; i < sizeof entities / sizeof entities[0]; i++) {
        size_t l = strlen(entities[i]);
        if (!strncmp(p, entities[i], l))
            return l;
    }
    return 0;
}

char *markup_sanitize_dup(const char *text)
{
    struct sbuf b = {0};
    int stack[3], depth = 0, open_bits = 0;
    if (!text)
        text = "";
    for (const char *p = text; *p;) {
        int idx, closing;
        size_t l;
        if (*p == '<' && (l = match_tag(p, &idx, &closing))) {
            int bit = tags[idx].bit;
            if (!closing && !(open_bits & bit) && !(open_bits & TAG_CODE) &&
                depth < 3) {
                stack[depth++] = idx;
                open_bits |= bit;
                sbuf_addn(&b, p, l);
                p += l;
                continue;
            }
            if (closing && depth && stack[depth - 1] == idx) {
                depth--;
                open_bits &= ~bit;
                sbuf_addn(&b, p, l);
                p += l;
                continue;
            }
            sbuf_add(&b, "&lt;"); /* a tag out of place becomes text */
            p++;
        } else if (*p == '<') {
            sbuf_add(&b, "&lt;");
            p++;
        } else if (*p == '>') {
            sbuf_add(&b, "&gt;");
            p++;
        } else if (*p == '&') {
            if ((l = match_entity(p))) {
                sbuf_addn(&b, p, l);
                p += l;
            } else {
                sbuf_add(&b, "&amp;");
                p++;
            }
        } else {
            sbuf_addn(&b, p, 1);
            p++;
        }
    }
    while (depth > 0)
        sbuf_add(&b, tags[stack[--depth]].close);
    return sbuf_take(&b);
}

/* One token of sanitized markup: a tag, an entity or one UTF-8 character.
   Returns its byte length; *units its rendered UTF-16 length. */
static size_t next_token(const char *p, size_t *units, int *tag_idx, int *closing)
{
    size_t l;
    *tag_idx = -1;
    if (*p == '<' && (l = match_tag(p, tag_idx, closing))) {
        *units = 0;
        return l;
    }
    *tag_idx = -1;
    if (*p == '&' && (l = match_entity(p))) {
        *units = 1;
        return l;
    }
    unsigned char c = (unsigned char)*p;
    l = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    for (size_t k = 1; k < l; k++)
        if (!p[k])
            return k; /* truncated sequence: never read past the end */
    *units = l == 4 ? 2 : 1;
    return l;
}

size_t markup_length(const char *markup)
{
    size_t total = 0, u;
    int ti, cl;
    for (const char *p = markup; p && *p;) {
        p += next_token(p, &u, &ti, &cl);
        total += u;
    }
    return total;
}

char *markup_plain_dup(const char *text, size_t max_units, int flags)
{
    struct sbuf b = {0};
    size_t total = 0, u;
    int ti, cl;
    static const char *const plain[] = {"&", "<", ">", "\""};
    for (const char *p = text ? text : ""; *p;) {
        size_t l = next_token(p, &u, &ti, &cl);
        if (max_units && total + u > max_units)
            break;
        total += u;
        if (ti >= 0) {
            /* tag: dropped */
        } else if ((flags & MARKUP_DROP_ISOLATES) &&
                   (!strncmp(p, "\xE2\x81\xA8", 3) || !strncmp(p, "\xE2\x81\xA9", 3))) {
            /* U+2068 / U+2069: invisible where they work, clutter where not */
        } else if (*p == '&' && l > 1) {
            for (size_t i = 0; i < 4; i++)
                if (!strncmp(p, entities[i], l))
                    sbuf_add(&b, plain[i]);
        } else {
            sbuf_addn(&b, p, l);
        }
        p += l;
    }
    return sbuf_take(&b);
}

struct parts {
    char **v;
    size_t n, cap;
    int oom;
};

static int only_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '<') { /* skip tags */
            while (i < n && s[i] != '>')
                i++;
            continue;
        }
        if (s[i] != ' ' && s[i] != '\n' && s[i] != '\t' && s[i] != '\r')
            return 0;
    }
    return 1;
}

/* Emit reopen(stack_at_start) + text[from,to) + close(stack_at_end). */
static void emit_part(struct parts *ps, const int *st0, int d0, const char *from,
                      const char *to, const int *st1, int d1)
{
    struct sbuf b = {0};
    for (int i = 0; i < d0; i++)
        sbuf_add(&b, tags[st0[i]].open);
    sbuf_addn(&b, from, (size_t)(to - from));
    for (int i = d1; i > 0; i--)
        sbuf_add(&b, tags[st1[i - 1]].close);
    char *s = sbuf_take(&b);
    if (!s) {
        ps->oom = 1;
        return;
    }
    if (only_blank(s, strlen(s))) {
        free(s);
        return;
    }
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 4;
        char **nv = realloc(ps->v, cap * sizeof *nv);
        if (!nv) {
            free(s);
            ps->oom = 1;
            return;
        }
        ps->v = nv;
        ps->cap = cap;
    }
    ps->v[ps->n++] = s;
}

int markup_split(const char *markup, size_t max_units, char ***parts,
                    size_t *n)
{
    struct parts ps = {0};
    *parts = NULL;
    *n = 0;
    if (!markup || max_units < 2)
        return KB_EINVAL;
    int st0[3], d0 = 0;          /* tags open at the start of this part */
    int st[3], d = 0;            /* tags open now */
    int stnl[3], dnl = 0;        /* tags open at the last newline */
    const char *start = markup, *nl = NULL;
    size_t len = 0, len_nl = 0;
    const char *p = markup;
    while (*p) {
        size_t u;
        int ti, cl;
        size_t l = next_token(p, &u, &ti, &cl);
        if (len + u > max_units) {
            if (nl) { /* cut at the last line boundary, drop the '\n' */
                emit_part(&ps, st0, d0, start, nl, stnl, dnl);
                memcpy(st0, stnl, sizeof stnl);
                d0 = dnl;
                start = nl + 1;
                len -= len_nl;
            } else { /* one overlong line: cut before this token */
                emit_part(&ps, st0, d0, start, p, st, d);
                memcpy(st0, st, sizeof st);
                d0 = d;
                start = p;
                len = 0;
            }
            nl = NULL;
            len_nl = 0;
            continue; /* re-measure this token against the new part */
        }
        if (ti >= 0) {
            if (!cl && d < 3)
                st[d++] = ti;
            else if (cl && d > 0)
                d--;
        } else if (*p == '\n') {
            nl = p;
            len_nl = len + u;
            memcpy(stnl, st, sizeof st);
            dnl = d;
        }
        len += u;
        p += l;
    }
    emit_part(&ps, st0, d0, start, p, st, d);
    if (ps.oom) {
        markup_parts_free(ps.v, ps.n);
        return KB_ENOMEM;
    }
    *parts = ps.v;
    *n = ps.n;
    return 0;
}

void markup_parts_free(char **parts, size_t n)
{
    if (!parts)
        return;
    for (size_t i = 0; i < n; i++)
        free(parts[i]);
    free(parts);
}

