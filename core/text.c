/* The locale catalogue and template formatting; see text.h. */
#include "text.h"

#include <string.h>

#include "modules.h"

int text_lang_is_en(const char *lang)
{
    return lang && (lang[0] == 'e' || lang[0] == 'E') && (lang[1] == 'n' || lang[1] == 'N');
}

/* A small open-addressing index over every module's table, built once. */
#define TEXT_SLOTS 2048
static const struct text_entry *slots[TEXT_SLOTS];
static int indexed;

static uint32_t hash_key(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static void build_index(void)
{
    for (size_t m = 0; m < kb_n_modules; m++) {
        const struct kb_module *mod = kb_modules[m];
        for (size_t i = 0; i < mod->n_texts; i++) {
            const struct text_entry *e = &mod->texts[i];
            uint32_t h = hash_key(e->key, strlen(e->key)) % TEXT_SLOTS;
            while (slots[h])
                h = (h + 1) % TEXT_SLOTS;
            slots[h] = e;
        }
    }
    indexed = 1;
}

static const struct text_entry *lookup(const char *key, size_t n)
{
    if (!indexed)
        build_index();
    uint32_t h = hash_key(key, n) % TEXT_SLOTS;
    while (slots[h]) {
        if (strncmp(slots[h]->key, key, n) == 0 && slots[h]->key[n] == '\0')
            return slots[h];
        h = (h + 1) % TEXT_SLOTS;
    }
    return NULL;
}

int text_has(const char *key)
{
    return lookup(key, strlen(key)) != NULL;
}

const char *text_get(const char *lang, const char *key)
{
    const struct text_entry *e = lookup(key, strlen(key));
    if (!e)
        return key;
    if (text_lang_is_en(lang) && e->en)
        return e->en;
    return e->zh ? e->zh : e->en;
}

void text_each(void (*fn)(const struct text_entry *e, void *ud), void *ud)
{
    for (size_t m = 0; m < kb_n_modules; m++)
        for (size_t i = 0; i < kb_modules[m]->n_texts; i++)
            fn(&kb_modules[m]->texts[i], ud);
}

/* Characters that can reorder or hide surrounding text. */
static int is_format_control(uint32_t cp)
{
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
           cp == 0x200E || cp == 0x200F || cp == 0x061C;
}

static void escape_into(struct sbuf *out, const char *s, int keep_newlines)
{
    size_t n = strlen(s);
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t len = utf8_decode(s + i, n - i, &cp);
        if (cp == '&')
            sbuf_add(out, "&amp;");
        else if (cp == '<')
            sbuf_add(out, "&lt;");
        else if (cp == '>')
            sbuf_add(out, "&gt;");
        else if (cp == '"')
            sbuf_add(out, "&quot;");
        else if (cp == '\n' && keep_newlines)
            sbuf_addc(out, '\n');
        else if (cp == '\t' || cp == '\n' || cp == '\r')
            sbuf_addc(out, ' ');
        else if (cp < 0x20 || cp == 0x7F || is_format_control(cp))
            ; /* dropped */
        else if (cp == 0xFFFD && len == 1)
            sbuf_add(out, "\xEF\xBF\xBD"); /* invalid byte -> replacement */
        else
            sbuf_addn(out, s + i, len);
        i += len;
    }
}

void text_user(struct sbuf *out, const char *s)
{
    sbuf_add(out, "\xE2\x81\xA8"); /* U+2068 FIRST STRONG ISOLATE */
    escape_into(out, s ? s : "", 0);
    sbuf_add(out, "\xE2\x81\xA9"); /* U+2069 POP DIRECTIONAL ISOLATE */
}

void text_user_block(struct sbuf *out, const char *s)
{
    escape_into(out, s ? s : "", 1);
}

void text_format(struct sbuf *out, const char *lang, const char *key,
                 const struct targ *args, size_t n)
{
    const char *t = text_get(lang, key);
    while (*t) {
        const char *open = strchr(t, '{');
        if (!open) {
            sbuf_add(out, t);
            return;
        }
        const char *close = strchr(open, '}');
        if (!close) {
            sbuf_add(out, t);
            return;
        }
        sbuf_addn(out, t, (size_t)(open - t));
        size_t name_len = (size_t)(close - open - 1);
        /* "{n|day|days}": the word for the number n, for English plurals */
        const char *bar = memchr(open + 1, '|', name_len);
        if (bar)
            name_len = (size_t)(bar - open - 1);
        const struct targ *a = NULL;
        for (size_t i = 0; i < n; i++) {
            if (strlen(args[i].name) == name_len && memcmp(args[i].name, open + 1, name_len) == 0) {
                a = &args[i];
                break;
            }
        }
        if (!a) {
            sbuf_addn(out, open, (size_t)(close - open + 1)); /* leave it visible */
        } else if (bar) {
            const char *other = memchr(bar + 1, '|', (size_t)(close - bar - 1));
            if (!other)
                sbuf_addn(out, open, (size_t)(close - open + 1)); /* malformed: leave it visible */
            else if (a->kind == TA_INT && a->i == 1)
                sbuf_addn(out, bar + 1, (size_t)(other - bar - 1));
            else
                sbuf_addn(out, other + 1, (size_t)(close - other - 1));
        } else if (a->kind == TA_INT)
            sbuf_addf(out, "%lld", (long long)a->i);
        else if (a->kind == TA_USER)
            text_user(out, a->s);
        else
            sbuf_add(out, a->s ? a->s : "");
        t = close + 1;
    }
}
