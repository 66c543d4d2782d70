/* Operator definitions and times; see defn.h. */
#include "defn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "event.h"
#include "tz.h"
#include "util.h"
#include "when_words.h"

#define DEFN_MAX_FIELDS 64

static int key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/* Field names in Chinese, as an operator types them on a phone ("截止：周五",
   "--奖励 50 积分"): each stands for its English key.  Longest first. */
static const struct {
    const char *zh, *en;
} zh_keys[] = {
    {"截止时间", "deadline"}, {"人才库", "pools"}, {"所有人", "everyone"}, {"截止", "deadline"},
    {"层级", "tier"},         {"标题", "title"},   {"简报", "brief"},     {"说明", "brief"},
    {"奖励", "reward"},       {"名额", "quota"},   {"等级", "level"},     {"邀请", "invite"},
    {"审核", "review"},       {"发到", "groups"},  {"多选", "multi"},     {"匿名", "anonymous"},
    {"隐藏", "hidden"},       {"理由", "reason"},  {"选项", "options"},   {"积分", "points"},
    {"现金", "cash"},         {"礼品", "gift"},    {"徽章", "badge"},
};

/* The key at s: returns the bytes it takes (0 when s starts none) and sets
   *name / *name_len to the key's name (a Chinese key's English one). */
static size_t key_at(const char *s, const char **name, size_t *name_len)
{
    size_t k = 0;
    while (key_char(s[k]))
        k++;
    if (k) {
        *name = s;
        *name_len = k;
        return k;
    }
    for (size_t i = 0; i < sizeof zh_keys / sizeof zh_keys[0]; i++) {
        size_t n = strlen(zh_keys[i].zh);
        if (strncmp(s, zh_keys[i].zh, n) == 0) {
            *name = zh_keys[i].en;
            *name_len = strlen(zh_keys[i].en);
            return n;
        }
    }
    return 0;
}

static char *trimmed(const char *s, size_t n)
{
    const char *start = command_skip_space(s);
    if ((size_t)(start - s) > n) /* skipping may cross the line end ("key:\nnext") */
        start = s + n;
    n -= (size_t)(start - s);
    while (n > 0 && (start[n - 1] == ' ' || start[n - 1] == '\t' || start[n - 1] == '\r'))
        n--;
    /* a trailing full-width space */
    while (n >= 3 && memcmp(start + n - 3, "\xE3\x80\x80", 3) == 0)
        n -= 3;
    return xstrndup(start, n);
}

static int add_field(struct defn *d, const char *key, size_t klen, const char *value, size_t vlen,
                     char *err, size_t errcap)
{
    if (d->n == DEFN_MAX_FIELDS) {
        snprintf(err, errcap, "too many fields");
        return KB_EINVAL;
    }
    if (!d->fields)
        d->fields = xcalloc(DEFN_MAX_FIELDS, sizeof *d->fields);
    char *k = xstrndup(key, klen);
    for (char *p = k; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + 32);
    d->fields[d->n].key = k;
    d->fields[d->n].value = trimmed(value, vlen);
    d->n++;
    return KB_OK;
}

/* Parse "--key value --key2 value" from s; text before the first flag is
   returned in *before_len. */
static int parse_flags(struct defn *d, const char *s, size_t *before_len, char *err, size_t errcap)
{
    const char *p = s;
    const char *first = NULL;
    const char *name;
    size_t name_len;
    while ((p = strstr(p, "--")) != NULL) {
        if ((p == s || p[-1] == ' ' || p[-1] == '\t') && key_at(p + 2, &name, &name_len)) {
            first = p;
            break;
        }
        p += 2;
    }
    *before_len = first ? (size_t)(first - s) : strlen(s);
    p = first;
    while (p) {
        size_t klen = key_at(p + 2, &name, &name_len);
        const char *val = p + 2 + klen;
        const char *next = val, *other;
        size_t other_len;
        const char *found = NULL;
        while ((next = strstr(next, "--")) != NULL) {
            if ((next[-1] == ' ' || next[-1] == '\t') && key_at(next + 2, &other, &other_len)) {
                found = next;
                break;
            }
            next += 2;
        }
        size_t vlen = found ? (size_t)(found - val) : strlen(val);
        int rc = add_field(d, name, name_len, val, vlen, err, errcap);
        if (rc)
            return rc;
        p = found;
    }
    return KB_OK;
}

/* "key: value" at the start of a line?  Returns the key length and sets
   *value to what follows the colon. */
static size_t line_key(const char *line, size_t n, const char **value, const char **name, size_t *name_len)
{
    size_t k = n ? key_at(line, name, name_len) : 0;
    if (k == 0 || k > 32 || k > n)
        return 0;
    size_t c = k;
    while (c < n && line[c] == ' ')
        c++;
    if (c < n && line[c] == ':') {
        *value = line + c + 1;
        return k;
    }
    if (c + 3 <= n && memcmp(line + c, "\xEF\xBC\x9A", 3) == 0) { /* ： */
        *value = line + c + 3;
        return k;
    }
    return 0;
}

int defn_parse(const char *text, struct defn *out, char *err, size_t errcap)
{
    memset(out, 0, sizeof *out);
    if (!text)
        text = "";
    const char *nl = strchr(text, '\n');
    size_t first_len = nl ? (size_t)(nl - text) : strlen(text);
    char *first = xstrndup(text, first_len);
    size_t head_len;
    int rc = parse_flags(out, first, &head_len, err, errcap);
    if (rc) {
        free(first);
        defn_free(out);
        return rc;
    }
    out->head = trimmed(first, head_len);
    free(first);
    struct sbuf cont = {0}; /* value being continued across lines */
    int have_open = 0;
    const char *p = nl ? nl + 1 : NULL;
    while (p && !rc) {
        const char *end = strchr(p, '\n');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *value = NULL, *name = NULL;
        size_t name_len = 0;
        size_t klen = (p[0] == ' ' || p[0] == '\t') ? 0 : line_key(p, n, &value, &name, &name_len);
        if (klen) {
            if (have_open) {
                free(out->fields[out->n - 1].value);
                out->fields[out->n - 1].value = trimmed(sbuf_str(&cont), cont.len);
            }
            rc = add_field(out, name, name_len, value, (size_t)(p + n - value), err, errcap);
            sbuf_free(&cont);
            sbuf_add(&cont, out->n ? out->fields[out->n - 1].value : "");
            have_open = 1;
        } else if (have_open) {
            char *line = trimmed(p, n);
            if (cont.len)
                sbuf_addc(&cont, '\n');
            sbuf_add(&cont, line);
            free(line);
        } else {
            /* lines before any key continue the head */
            char *line = trimmed(p, n);
            if (*line) {
                struct sbuf h = {0};
                sbuf_add(&h, out->head);
                if (h.len)
                    sbuf_addc(&h, '\n');
                sbuf_add(&h, line);
                free(out->head);
                out->head = sbuf_take(&h);
            }
            free(line);
        }
        p = end ? end + 1 : NULL;
    }
    if (!rc && have_open) {
        free(out->fields[out->n - 1].value);
        out->fields[out->n - 1].value = trimmed(sbuf_str(&cont), cont.len);
    }
    sbuf_free(&cont);
    if (rc)
        defn_free(out);
    return rc;
}

void defn_free(struct defn *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->fields[i].key);
        free(d->fields[i].value);
    }
    free(d->fields);
    free(d->head);
    memset(d, 0, sizeof *d);
}

const char *defn_get(const struct defn *d, const char *key)
{
    for (size_t i = d->n; i-- > 0;)
        if (strcmp(d->fields[i].key, key) == 0)
            return d->fields[i].value;
    return NULL;
}

int defn_has(const struct defn *d, const char *key)
{
    return defn_get(d, key) != NULL;
}

const char *defn_unknown(const struct defn *d, const char *const *allowed)
{
    for (size_t i = 0; i < d->n; i++) {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, d->fields[i].key) == 0;
        if (!ok)
            return d->fields[i].key;
    }
    return NULL;
}

/* ==== times ============================================================ */

static int scan_hm(const char *s, int *h, int *mi)
{
    int n = 0;
    if (sscanf(s, "%2d:%2d%n", h, mi, &n) != 2 || s[n] != '\0')
        return KB_EINVAL;
    return (*h >= 0 && *h <= 23 && *mi >= 0 && *mi <= 59) ? KB_OK : KB_EINVAL;
}

static int when_parse_numeric(const char *s, const char *tz, int64_t now, int64_t *out)
{
    if (!s)
        return KB_EINVAL;
    s = command_skip_space(s);
    size_t len = strlen(s);
    while (len && s[len - 1] == ' ')
        len--;
    if (len == 0 || len > 40)
        return KB_EINVAL;
    char buf[48];
    memcpy(buf, s, len);
    buf[len] = '\0';

    /* relative: 2d 3h 90m 1w */
    char unit = buf[len - 1];
    if (len >= 2 && (unit == 'd' || unit == 'h' || unit == 'm' || unit == 'w')) {
        buf[len - 1] = '\0';
        int64_t v;
        if (parse_i64(buf, 1, 100000, &v) == KB_OK) {
            int64_t mult = unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : 604800;
            if (v * mult > 5LL * 366 * 86400)
                return KB_EINVAL;
            *out = now + v * mult;
            return KB_OK;
        }
        buf[len - 1] = unit;
    }
    struct tm local;
    tz_local(tz, now, &local);
    int y = local.tm_year + 1900, mon = 0, d = 0, h = 23, mi = 59, n = 0;
    if (sscanf(buf, "%4d-%2d-%2d%n", &y, &mon, &d, &n) == 3) {
        const char *r = buf + n;
        if (*r == 'T' || *r == ' ')
            r++;
        if (*r && scan_hm(r, &h, &mi))
            return KB_EINVAL;
    } else if ((y = local.tm_year + 1900, sscanf(buf, "%2d-%2d%n", &mon, &d, &n) == 2) &&
               (buf[n] == ' ' || buf[n] == '\0')) {
        /* this year's day, even when it has passed: the caller refuses a
           past time; next year's would be a silent surprise */
        if (buf[n] && scan_hm(buf + n + 1, &h, &mi))
            return KB_EINVAL;
    } else if (scan_hm(buf, &h, &mi) == KB_OK) {
        y = local.tm_year + 1900; /* the failed scans above may have touched it */
        mon = local.tm_mon + 1;
        d = local.tm_mday;
        int64_t t = tz_instant(tz, y, mon, d, h, mi);
        *out = t > now ? t : tz_instant(tz, y, mon, d + 1, h, mi);
        return KB_OK;
    } else {
        return KB_EINVAL;
    }
    if (mon < 1 || mon > 12 || d < 1 || d > 31 || y < 1970 || y > 2200)
        return KB_EINVAL;
    /* reject 02-30 and friends: the date must survive normalisation */
    int64_t t = tz_instant(tz, y, mon, d, h, mi);
    struct tm check;
    tz_local(tz, t, &check);
    if (check.tm_mday != d && check.tm_hour == h)
        return KB_EINVAL;
    if (check.tm_mon + 1 != mon)
        return KB_EINVAL;
    *out = t;
    return KB_OK;
}

int when_parse(const char *s, const char *tz, int64_t now, int64_t *out)
{
    if (when_parse_numeric(s, tz, now, out) == KB_OK)
        return KB_OK;
    return when_words_parse(s, tz, now, out);
}

void when_format(int64_t t, const char *tz, char *buf, size_t cap)
{
    struct tm tm;
    tz_local(tz, t, &tm);
    snprintf(buf, cap, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min);
}
