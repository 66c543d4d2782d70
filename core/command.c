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
    size_t k = 0;
    while (is_name_char(s[k]) && k < COMMAND_NAME_MAX + 1)
        k++;
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
    cmd->args = xstrndup(args, trimmed_len(args));
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
