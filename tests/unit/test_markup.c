/* The one markup codec (core/markup.c): sanitizing, plain rendering,
   shown length in UTF-16 units, splitting. */
#include <string.h>

#include "../../core/markup.h"
#include "../../core/util.h"
#include "../test.h"

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* ==== markup ==== */

static void check_sanitize(const char *in, const char *want)
{
    char *s = markup_sanitize_dup(in);
    char buf[512];
    snprintf(buf, sizeof buf, "%s", s ? s : "(null)");
    free(s);
    CHECK_STR(buf, want);
}

TEST(markup_sanitize)
{
    check_sanitize("<b>Top</b> &amp; <i>x</i> <code>a&lt;b</code> &quot;q&quot;",
                   "<b>Top</b> &amp; <i>x</i> <code>a&lt;b</code> &quot;q&quot;");
    check_sanitize("a < b & c > d", "a &lt; b &amp; c &gt; d");
    check_sanitize("<u>x</u> <a href=\"y\">z</a>",
                   "&lt;u&gt;x&lt;/u&gt; &lt;a href=\"y\"&gt;z&lt;/a&gt;");
    check_sanitize("&nbsp; &#39; &amp", "&amp;nbsp; &amp;#39; &amp;amp");
    check_sanitize("<b>open", "<b>open</b>");
    check_sanitize("stray</i>", "stray&lt;/i&gt;");
    check_sanitize("<b><i>x</b></i>", "<b><i>x&lt;/b&gt;</i></b>");
    check_sanitize("<code><b>x</b></code>", "<code>&lt;b&gt;x&lt;/b&gt;</code>");
    check_sanitize("<b><b>x</b></b>", "<b>&lt;b&gt;x</b>&lt;/b&gt;");
    check_sanitize("", "");
}

TEST(markup_plain_and_length)
{
    char *p = markup_plain_dup("<b>A&amp;B</b> &lt;3 &quot;x&quot;", 0, 0);
    CHECK(p);
    char buf[64];
    snprintf(buf, sizeof buf, "%s", p);
    free(p);
    CHECK_STR(buf, "A&B <3 \"x\"");
    p = markup_plain_dup("签到成功", 2, 0);
    snprintf(buf, sizeof buf, "%s", p ? p : "");
    free(p);
    CHECK_STR(buf, "签到");
    CHECK_INT(markup_length("<b>ab</b>&amp;\xF0\x9F\x98\x80签"), 6);
}

/* ==== splitting ==== */

TEST(split_short_text_is_one_part)
{
    char **parts;
    size_t n;
    CHECK_INT(markup_split("<b>hello</b>\nworld", 4096, &parts, &n), 0);
    int ok = n == 1 && !strcmp(parts[0], "<b>hello</b>\nworld");
    markup_parts_free(parts, n);
    CHECK(ok);
}

TEST(split_at_line_boundaries)
{
    /* three lines of 3000 characters: 3 parts, each a whole line */
    size_t L = 3000;
    char *text = malloc(3 * (L + 1) + 1);
    CHECK(text);
    for (int i = 0; i < 3; i++) {
        memset(text + (size_t)i * (L + 1), 'a' + i, L);
        text[(size_t)i * (L + 1) + L] = '\n';
    }
    text[3 * (L + 1) - 1] = '\0';
    char **parts;
    size_t n;
    int rc = markup_split(text, 4096, &parts, &n);
    free(text);
    CHECK_INT(rc, 0);
    int ok = n == 3;
    for (size_t i = 0; ok && i < n; i++)
        ok = strlen(parts[i]) == L && parts[i][0] == (char)('a' + i) &&
             parts[i][L - 1] == (char)('a' + i);
    markup_parts_free(parts, n);
    CHECK(ok);

    /* several short lines are packed together */
    CHECK_INT(markup_split("aaaa\nbbbb\ncccc\ndddd", 10, &parts, &n), 0);
    ok = n == 2 && !strcmp(parts[0], "aaaa\nbbbb") && !strcmp(parts[1], "cccc\ndddd");
    markup_parts_free(parts, n);
    CHECK(ok);
}

TEST(split_overlong_line_keeps_utf8_tags_entities)
{
    /* "<b>" + 5000 x "签" + "</b>": one line, cut inside the bold run */
    size_t N = 5000;
    char *text = malloc(3 * N + 16);
    CHECK(text);
    size_t o = 0;
    memcpy(text, "<b>", 3);
    o = 3;
    for (size_t i = 0; i < N; i++) {
        memcpy(text + o, "签", 3);
        o += 3;
    }
    memcpy(text + o, "</b>", 5);
    char **parts;
    size_t n;
    int rc = markup_split(text, 4096, &parts, &n);
    free(text);
    CHECK_INT(rc, 0);
    int ok = n == 2;
    size_t total = 0;
    for (size_t i = 0; ok && i < n; i++) {
        size_t len = strlen(parts[i]);
        ok = utf8_valid(parts[i], len) && !strncmp(parts[i], "<b>", 3) &&
             !strcmp(parts[i] + len - 4, "</b>") && markup_length(parts[i]) <= 4096;
        total += markup_length(parts[i]);
    }
    markup_parts_free(parts, n);
    CHECK(ok);
    CHECK_INT(total, N);

    /* entities and astral characters are never cut */
    char ent[3000];
    o = 0;
    for (int i = 0; i < 300; i++) {
        memcpy(ent + o, "&amp;\xF0\x9F\x98\x80", 9);
        o += 9;
    }
    ent[o] = '\0';
    rc = markup_split(ent, 100, &parts, &n);
    CHECK_INT(rc, 0);
    ok = n >= 9 && n <= 10; /* 900 units */
    total = 0;
    for (size_t i = 0; ok && i < n; i++) {
        size_t len = strlen(parts[i]);
        ok = utf8_valid(parts[i], len) &&
             count(parts[i], "&amp;") * 5 + count(parts[i], "\xF0\x9F\x98\x80") * 4 ==
                 (int)len &&
             markup_length(parts[i]) <= 100;
        total += markup_length(parts[i]);
    }
    ok = ok && total == 900;
    markup_parts_free(parts, n);
    CHECK(ok);
}

TEST(split_drops_blank_parts)
{
    char **parts;
    size_t n;
    CHECK_INT(markup_split("aaaa\n\n\n\nbbbb", 5, &parts, &n), 0);
    int ok = n == 2 && !strcmp(parts[0], "aaaa") && !strcmp(parts[1], "bbbb");
    markup_parts_free(parts, n);
    CHECK(ok);
    CHECK_INT(markup_split("", 4096, &parts, &n), 0);
    CHECK_INT(n, 0);
    markup_parts_free(parts, n);
}

/* The console's and the menu's rendering: isolates around names dropped,
   a stray '<' that was text stays text, an astral character is never cut
   in half. */
TEST(plain_for_terminals)
{
    const char *m = "<b>\xE2\x81\xA8" "Ann\xE2\x81\xA9" "</b> a &lt; b <u>";
    char *p = markup_plain_dup(m, 0, MARKUP_DROP_ISOLATES);
    CHECK_STR(p, "Ann a < b <u>");
    free(p);
    p = markup_plain_dup(m, 0, 0);
    CHECK_STR(p, "\xE2\x81\xA8" "Ann\xE2\x81\xA9" " a < b <u>");
    free(p);
    p = markup_plain_dup("a\xF0\x9F\x98\x80" "b", 2, 0);
    CHECK_STR(p, "a");
    free(p);
}

TEST_MAIN(T(markup_sanitize), T(markup_plain_and_length), T(plain_for_terminals),
          T(split_short_text_is_one_part), T(split_at_line_boundaries),
          T(split_overlong_line_keeps_utf8_tags_entities), T(split_drops_blank_parts))
