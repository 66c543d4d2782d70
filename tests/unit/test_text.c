/* The locale catalogue: complete in both languages, placeholders agree,
   untrusted text is escaped and isolated. */
#include "../test.h"

#include "../../core/text.h"
#include "../../core/util.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int problems;

static void placeholders(const char *t, struct sbuf *out)
{
    for (const char *p = t; (p = strchr(p, '{')) != NULL; p++) {
        const char *e = strchr(p, '}');
        if (!e)
            break;
        sbuf_addn(out, p, (size_t)(e - p + 1));
    }
}

static void check_entry(const struct text_entry *e, void *ud)
{
    (void)ud;
    if (!e->zh || !e->en || !*e->zh || !*e->en) {
        printf("    %s: missing a language\n", e->key);
        problems++;
        return;
    }
    struct sbuf a = {0}, b = {0};
    placeholders(e->zh, &a);
    placeholders(e->en, &b);
    /* the same set of names (order may differ between languages) */
    const char *p = sbuf_str(&a);
    while ((p = strchr(p, '{')) != NULL) {
        const char *end = strchr(p, '}');
        char name[64];
        size_t n = (size_t)(end - p + 1);
        if (n >= sizeof name)
            n = sizeof name - 1;
        memcpy(name, p, n);
        name[n] = '\0';
        /* sched.date: Chinese writes the month as a number, English by name */
        if (!strstr(sbuf_str(&b), name) && strcmp(e->key, "sched.date") != 0) {
            printf("    %s: %s only in zh\n", e->key, name);
            problems++;
        }
        p = end;
    }
    if (!text_has(e->key)) {
        printf("    %s: not indexed (duplicate key?)\n", e->key);
        problems++;
    }
    sbuf_free(&a);
    sbuf_free(&b);
}

TEST(catalogue_is_complete_in_both_languages)
{
    problems = 0;
    text_each(check_entry, NULL);
    CHECK_INT(problems, 0);
}

TEST(untrusted_names_are_escaped_and_isolated)
{
    struct sbuf b = {0};
    text_user(&b, "<b>x</b> & \"q\"\xE2\x80\xAE" "evil\n_name_");
    CHECK_STR(b.s, "\xE2\x81\xA8&lt;b&gt;x&lt;/b&gt; &amp; &quot;q&quot;evil _name_\xE2\x81\xA9");
    sbuf_free(&b);
    text_user(&b, "bad \xff byte");
    CHECK_STR(b.s, "\xE2\x81\xA8" "bad \xEF\xBF\xBD byte\xE2\x81\xA9");
    sbuf_free(&b);
}

TEST(format_fills_typed_arguments)
{
    struct sbuf b = {0};
    text_format(&b, "en", "checkin.already", ARGS(TU("name", "<Al>"), TI("streak", 12)));
    CHECK_CONTAINS(b.s, "&lt;Al&gt;");
    CHECK_CONTAINS(b.s, "(streak 12)");
    sbuf_free(&b);
    text_format(&b, "zh-CN", "no.such.key", NOARGS);
    CHECK_STR(b.s, "no.such.key");
    sbuf_free(&b);
}

/* Keys are built with fmt_i64 and str_append instead of snprintf: the same text. */
TEST(key_formatting_matches_snprintf)
{
    const int64_t vals[] = {0, 1, -1, 9, 10, 42, -100, 1795391940, INT64_MAX, INT64_MIN, INT64_MIN + 1};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        char want[32], got[KB_I64_TEXT];
        snprintf(want, sizeof want, "%" PRId64, vals[i]);
        size_t n = fmt_i64(got, vals[i]);
        CHECK_STR(got, want);
        CHECK_INT((int64_t)n, (int64_t)strlen(want));
    }
    char buf[8];
    size_t n = str_append(buf, sizeof buf, 0, "ab");
    n = str_append(buf, sizeof buf, n, "\x1f");
    CHECK_STR(buf, "ab\x1f");
    n = str_append(buf, sizeof buf, n, "cdefgh"); /* cut to fit, still terminated */
    CHECK_STR(buf, "ab\x1f" "cdef");
    CHECK_INT((int64_t)n, 7);
    CHECK_INT((int64_t)str_append(buf, sizeof buf, n, "x"), 7);
}

TEST_MAIN(T(key_formatting_matches_snprintf), T(catalogue_is_complete_in_both_languages), T(untrusted_names_are_escaped_and_isolated),
          T(format_fills_typed_arguments))
