/* Command parsing; see command.h. */
#include "command.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int command_is_space(unsigned cp)
{
    return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0xA0 || cp == 0x3000;
}

const char *command_skip_space(const char *s)
{
    for (;;) {
        uint32_t cp;
        size_t len = utf8_decode(s, strlen(s), &cp);
        if (len == 0 || !command_is_space(cp))
            return s;
        s += len;
    }
}

const char *command_trim_span(const char *s, size_t n, size_t *out_len)
{
    const char *end = s + n;
    const char *start = s;
    while (start < end) {
        uint32_t cp;
        size_t len = utf8_decode(start, (size_t)(end - start), &cp);
        if (!command_is_space(cp))
            break;
        start += len;
    }
    size_t keep = 0, i = 0, total = (size_t)(end - start);
    while (i < total) {
        uint32_t cp;
        size_t len = utf8_decode(start + i, total - i, &cp);
        i += len;
        if (!command_is_space(cp))
            keep = i;
    }
    *out_len = keep;
    return start;
}

/* Length of s (which starts with no space) without trailing spaces. */
static size_t trimmed_len(const char *s)
{
    size_t len;
    command_trim_span(s, strlen(s), &len);
    return len;
}

static int is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static int is_han(uint32_t cp)
{
    return (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
           (cp >= 0xF900 && cp <= 0xFAFF);
}

/* Length of the command word at s: ASCII name characters, or Han
   characters for a Chinese alias ("/签到"), not mixed. */
static size_t name_len(const char *s)
{
    size_t k = 0;
    while (is_name_char(s[k]) && k <= COMMAND_NAME_MAX)
        k++;
    if (k > 0)
        return k;
    for (;;) {
        uint32_t cp;
        size_t len = utf8_decode(s + k, strlen(s + k), &cp);
        if (len == 0 || !is_han(cp) || k > COMMAND_NAME_MAX)
            return k;
        k += len;
    }
}

/* Sentence punctuation people add after a command word or trigger
   ("签到！", "/checkin!"). */
static const char *const end_marks[] = {"!", ".", "~", "\xEF\xBC\x81" /* ！ */,
                                        "\xE3\x80\x82" /* 。 */, "\xEF\xBD\x9E" /* ～ */};
#define N_END_MARKS (sizeof end_marks / sizeof end_marks[0])

/* Length of the run of such marks at s. */
static size_t leading_marks_len(const char *s)
{
    size_t total = 0;
    for (size_t i = 0; i < N_END_MARKS;) {
        size_t n = strlen(end_marks[i]);
        if (strncmp(s + total, end_marks[i], n) == 0) {
            total += n;
            i = 0;
        } else {
            i++;
        }
    }
    return total;
}

/* len of s[0..len) without such marks at its end. */
static size_t without_trailing_marks(const char *s, size_t len)
{
    for (size_t i = 0; i < N_END_MARKS;) {
        size_t n = strlen(end_marks[i]);
        if (len >= n && memcmp(s + len - n, end_marks[i], n) == 0) {
            len -= n;
            i = 0;
        } else {
            i++;
        }
    }
    return len;
}

/* Length of a dash a phone or an IME typed for "--" at s when a flag name
   follows ("—reward", "–deadline", "－－multi", "——hidden"), else 0. */
static size_t flag_dash_len(const char *s)
{
    static const char *const dashes[] = {"\xE2\x80\x94\xE2\x80\x94", "\xEF\xBC\x8D\xEF\xBC\x8D",
                                         "\xE2\x80\x94", "\xE2\x80\x93"};
    for (size_t i = 0; i < sizeof dashes / sizeof dashes[0]; i++) {
        size_t n = strlen(dashes[i]);
        if (strncmp(s, dashes[i], n) != 0)
            continue;
        char next = s[n]; /* inside s: the dash matched */
        if ((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z'))
            return n;
    }
    return 0;
}

/* A word of digits, some of them full-width ("２", "１0"), maybe a list
   ("１、３", "1，２"): appends it with ASCII digits and returns its length;
   0 (nothing appended) otherwise. */
static size_t fullwidth_number(const char *s, size_t n, struct sbuf *out)
{
    size_t i = 0;
    int wide = 0;
    struct sbuf digits = {0};
    while (i < n) {
        uint32_t cp;
        size_t len = utf8_decode(s + i, n - i, &cp);
        if (command_is_space(cp))
            break;
        if ((cp >= '0' && cp <= '9') || cp == ',' || cp == 0xFF0C /* ， */ || cp == 0x3001 /* 、 */) {
            sbuf_addn(&digits, s + i, len);
        } else if (cp >= 0xFF10 && cp <= 0xFF19) {
            sbuf_addc(&digits, (char)('0' + (cp - 0xFF10)));
            wide = 1;
        } else {
            wide = 0;
            break;
        }
        i += len;
    }
    if (wide)
        sbuf_add(out, digits.s);
    sbuf_free(&digits);
    return wide ? i : 0;
}

/* The argument text with the forms above normalised once, for every
   command's parser. */
static char *normalised_args_dup(const char *s, size_t n)
{
    struct sbuf out = {0};
    sbuf_add(&out, "");
    size_t i = 0;
    int word_start = 1;
    while (i < n) {
        if (word_start) {
            size_t dash = flag_dash_len(s + i);
            if (dash) {
                sbuf_add(&out, "--");
                i += dash;
                word_start = 0;
                continue;
            }
            size_t digits = fullwidth_number(s + i, n - i, &out);
            if (digits) {
                i += digits;
                word_start = 0;
                continue;
            }
        }
        uint32_t cp;
        size_t len = utf8_decode(s + i, n - i, &cp);
        sbuf_addn(&out, s + i, len);
        word_start = command_is_space(cp);
        i += len;
    }
    return sbuf_take(&out);
}

enum command_status command_parse(const char *text, const char *bot_username,
                                  char *const *triggers, size_t n_triggers,
                                  struct command *cmd)
{
    memset(cmd, 0, sizeof *cmd);
    if (!text)
        return COMMAND_NONE;
    size_t n = strlen(text);
    const char *s = command_skip_space(text);
    int slash = s[0] == '/';
    if (!slash && strncmp(s, "\xEF\xBC\x8F", 3) == 0) { /* full-width solidus */
        s += 2;
        slash = 1;
    }
    if (!slash) {
        size_t len = trimmed_len(s);
        len = without_trailing_marks(s, len);
        for (size_t i = 0; i < n_triggers; i++) {
            if (triggers[i] && strlen(triggers[i]) == len && memcmp(triggers[i], s, len) == 0) {
                memcpy(cmd->name, "checkin", 8);
                cmd->args = xstrdup("");
                return COMMAND_OK;
            }
        }
        return COMMAND_NONE;
    }
    s++;
    size_t k = name_len(s);
    if (k == 0 || k > COMMAND_NAME_MAX)
        return COMMAND_NONE; /* "/", "/ hello", "/😀" or an absurd name: chatter */
    const char *after = s + k;
    if (*after == '@') {
        const char *target = after + 1;
        size_t t = 0;
        while (is_name_char(target[t]))
            t++;
        if (bot_username && *bot_username &&
            !(strlen(bot_username) == t && strncmp(target, bot_username, t) == 0)) {
            /* usernames are case-insensitive */
            char name[65];
            if (t >= sizeof name)
                return COMMAND_NOT_OURS;
            memcpy(name, target, t);
            name[t] = '\0';
            if (ascii_casecmp(name, bot_username) != 0)
                return COMMAND_NOT_OURS;
        }
        after = target + t;
    }
    after += leading_marks_len(after);
    uint32_t cp;
    size_t len = utf8_decode(after, strlen(after), &cp);
    if (len != 0 && !command_is_space(cp) && *after != '\0')
        return COMMAND_NONE; /* "/checkin!" or "/me's": not a command word */
    if (n > COMMAND_TEXT_MAX)
        return COMMAND_TOO_LONG;
    if (!utf8_valid(text, n))
        return COMMAND_BAD_UTF8;
    for (size_t i = 0; i < k; i++) {
        char c = s[i];
        cmd->name[i] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
    }
    const char *args = command_skip_space(after);
    cmd->args = normalised_args_dup(args, trimmed_len(args));
    return COMMAND_OK;
}

void command_clear(struct command *cmd)
{
    free(cmd->args);
    cmd->args = NULL;
}

char *command_next_word(const char **p)
{
    const char *s = command_skip_space(*p);
    if (!*s) {
        *p = s;
        return NULL;
    }
    struct sbuf word = {0};
    if (*s == '"') {
        const char *end = strchr(s + 1, '"');
        if (end) {
            sbuf_addn(&word, s + 1, (size_t)(end - s - 1));
            *p = end + 1;
            return sbuf_take(&word);
        }
    }
    while (*s) {
        uint32_t cp;
        size_t len = utf8_decode(s, strlen(s), &cp);
        if (command_is_space(cp))
            break;
        sbuf_addn(&word, s, len);
        s += len;
    }
    *p = s;
    return sbuf_take(&word);
}

const char *command_keyword(const char *w)
{
    static const char *const words[][2] = {
        {"全部", "all"},      {"所有", "all"},       {"总榜", "all"},     {"总", "all"},
        {"本周", "week"},     {"这周", "week"},      {"周榜", "week"},    {"周", "week"},
        {"本月", "month"},    {"这个月", "month"},   {"月榜", "month"},   {"月", "month"},
        {"积分", "points"},   {"分数", "points"},    {"签到", "checkins"}, {"打卡", "checkins"},
        {"任务", "tasks"},    {"进行中", "open"},    {"开放", "open"},    {"已结束", "closed"},
        {"已关闭", "closed"}, {"结束", "closed"},    {"导出", "export"},
    };
    if (!w)
        return NULL;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(w, words[i][0]) == 0)
            return words[i][1];
    return w;
}
