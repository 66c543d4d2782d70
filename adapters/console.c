/* The console adapter; see console.h. */
#include "console.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/markup.h"

#define MAX_BATCH 256
#define CURSOR_KEY "console:lines"

/* "alice@dm: /accept" speaks as alice in her private chat with the bot
   (chat "dm:alice"); replies there print as "kocbot → alice> ". */
#define DM_SUFFIX "@dm"
#define DM_CHAT_PREFIX "dm:"

struct pending {
    char *user;
    char *text;
    char *dm_chat;            /* "dm:<user>" for a private message, else NULL */
    char msg_id[24];
    int continued;            /* the line ended with '\\': the next line belongs to it */
};

struct console {
    char *user, *chat, *bot_name;
    int64_t line_no;          /* cumulative across runs, from the cursor */
    struct pending batch[MAX_BATCH];
    size_t n;
};

static char *dup_str(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d)
        abort();
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* "name: text" -> speaker name, when name is a plausible short nickname. */
static size_t speaker_prefix(const char *line, size_t len)
{
    size_t i = 0;
    while (i < len && i < 32) {
        unsigned char c = (unsigned char)line[i];
        if (c == ':')
            break;
        if (c == ' ' || c == '/' || c < 0x20)
            return 0;
        i++;
    }
    if (i == 0 || i >= len || line[i] != ':')
        return 0;
    return i;
}

static void clear_batch(struct console *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->batch[i].user);
        free(c->batch[i].text);
        free(c->batch[i].dm_chat);
    }
    c->n = 0;
}

static int flush(struct adapter *a, int at_end)
{
    struct console *c = a->priv;
    /* a message still being continued waits for its next line */
    struct pending held = {0};
    if (!at_end && c->n && c->batch[c->n - 1].continued)
        held = c->batch[--c->n];
    if (c->n == 0) {
        c->batch[c->n] = held;
        c->n += held.text != NULL;
        return 0;
    }
    struct kb_event ev[MAX_BATCH];
    int64_t now = a->svc->now_ms(a->svc->ctx) / 1000;
    for (size_t i = 0; i < c->n; i++) {
        const char *dm = c->batch[i].dm_chat;
        ev[i] = (struct kb_event){.kind = KB_EV_MESSAGE, .platform = "console", .chat_id = dm ? dm : c->chat,
                                  .chat_title = "console", .chat_type = dm ? KB_CHAT_PRIVATE : KB_CHAT_GROUP,
                                  .user_id = c->batch[i].user, .user_name = c->batch[i].user,
                                  .user_handle = c->batch[i].user, .role = KB_ROLE_MEMBER,
                                  .message_id = c->batch[i].msg_id, .time = now,
                                  .text = c->batch[i].text, .bot_username = c->bot_name};
    }
    char cursor[24];
    snprintf(cursor, sizeof cursor, "%lld", (long long)c->line_no);
    int rc = a->svc->deliver(a->svc->ctx, ev, c->n, CURSOR_KEY, cursor);
    if (rc < 0) {
        /* nothing was applied: hand the lines back so the count stays true */
        c->line_no -= (int64_t)c->n;
        a->svc->log(a->svc->ctx, KB_LOG_ERROR, "console: input not applied; lines dropped");
    }
    clear_batch(c);
    if (held.text)
        c->batch[c->n++] = held;
    return rc;
}

/* The line source: one message per line; NULL ends one read, which is
   delivered as one batch. */
static void console_line(void *ud, const char *line, size_t len)
{
    struct adapter *a = ud;
    struct console *c = a->priv;
    if (!line) {
        flush(a, 0);
        return;
    }
    if (len && line[len - 1] == '\r')
        len--;
    struct pending *last = c->n ? &c->batch[c->n - 1] : NULL;
    if (last && last->continued) { /* "…\\" then this line: one message of several lines */
        size_t old = strlen(last->text);
        last->continued = len && line[len - 1] == '\\';
        size_t add = len - (size_t)last->continued;
        char *t = realloc(last->text, old + add + 2);
        if (!t)
            abort();
        t[old] = '\n';
        memcpy(t + old + 1, line, add);
        t[old + 1 + add] = '\0';
        last->text = t;
        return;
    }
    if (len == 0)
        return;
    size_t name_len = speaker_prefix(line, len);
    struct pending *p = &c->batch[c->n];
    p->dm_chat = NULL;
    if (name_len) {
        size_t suffix = strlen(DM_SUFFIX);
        int dm = name_len > suffix && memcmp(line + name_len - suffix, DM_SUFFIX, suffix) == 0;
        p->user = dup_str(line, dm ? name_len - suffix : name_len);
        if (dm) {
            size_t n = strlen(DM_CHAT_PREFIX) + strlen(p->user) + 1;
            p->dm_chat = malloc(n);
            if (!p->dm_chat)
                abort();
            snprintf(p->dm_chat, n, "%s%s", DM_CHAT_PREFIX, p->user);
        }
        size_t skip = name_len + 1;
        while (skip < len && line[skip] == ' ')
            skip++;
        p->text = dup_str(line + skip, len - skip);
    } else {
        p->user = dup_str(c->user, strlen(c->user));
        p->text = dup_str(line, len);
    }
    size_t tl = strlen(p->text);
    p->continued = tl && p->text[tl - 1] == '\\';
    if (p->continued)
        p->text[tl - 1] = '\0';
    snprintf(p->msg_id, sizeof p->msg_id, "%lld", (long long)++c->line_no);
    c->n++;
    if (c->n == MAX_BATCH)
        flush(a, 0);
}

static void console_input_end(void *ud)
{
    struct adapter *a = ud;
    flush(a, 1);
    a->svc->finished(a->svc->ctx);
}

static void print_prefixed(struct adapter *a, const char *prefix, const char *markup)
{
    char *plain = markup_plain_dup(markup, 0, MARKUP_DROP_ISOLATES);
    size_t cap = strlen(plain) * 2 + strlen(prefix) + 64;
    char *buf = malloc(cap);
    if (!buf)
        abort();
    size_t o = (size_t)snprintf(buf, cap, "%s", prefix);
    for (const char *p = plain; *p; p++) {
        buf[o++] = *p;
        if (*p == '\n' && p[1] && p[1] != '\n') {
            memcpy(buf + o, "        ", 8);
            o += 8;
        }
    }
    buf[o++] = '\n';
    a->svc->stdout_write(a->svc->ctx, buf, o);
    free(buf);
    free(plain);
}

static int console_send(struct adapter *a, const struct kb_reply *r, kb_send_done_fn done, void *ud)
{
    if (r->kind == KB_REPLY_ANSWER) {
        if (r->text && *r->text)
            print_prefixed(a, "kocbot (toast)> ", r->text);
    } else {
        char dm_prefix[96];
        const char *prefix = r->kind == KB_REPLY_EDIT ? "kocbot (edit)> " : "kocbot> ";
        size_t dm_len = strlen(DM_CHAT_PREFIX);
        if (r->chat_id && strncmp(r->chat_id, DM_CHAT_PREFIX, dm_len) == 0) {
            snprintf(dm_prefix, sizeof dm_prefix, "kocbot → %s> ", r->chat_id + dm_len);
            prefix = dm_prefix;
        }
        print_prefixed(a, prefix, r->text);
        if (r->buttons && *r->buttons) {
            /* rows '\n', buttons '\t', "label\x1f data" */
            char *plain = markup_plain_dup(r->buttons, 0, MARKUP_DROP_ISOLATES);
            for (char *p = plain; *p; p++) {
                if (*p == KB_BUTTON_FIELD_SEP)
                    *p = '=';
                else if (*p == '\t')
                    *p = '|';
            }
            print_prefixed(a, "        [buttons] ", plain);
            free(plain);
        }
    }
    struct kb_send_result res = {.outcome = KB_SEND_OK};
    char id[24];
    snprintf(id, sizeof id, "out-%lld", (long long)r->id);
    res.message_id = id;
    done(ud, &res);
    return 0;
}

static int console_start(struct adapter *a)
{
    struct console *c = a->priv;
    char buf[32];
    if (a->svc->cursor_load(a->svc->ctx, CURSOR_KEY, buf, sizeof buf) == 0 && buf[0])
        c->line_no = strtoll(buf, NULL, 10);
    return a->svc->stdin_lines(a->svc->ctx, console_line, console_input_end, a);
}

static void console_stop(struct adapter *a)
{
    flush(a, 1);
}

static void console_destroy(struct adapter *a)
{
    if (!a)
        return;
    struct console *c = a->priv;
    clear_batch(c);
    free(c->user);
    free(c->chat);
    free(c->bot_name);
    free(c);
    free(a);
}

static const struct adapter_ops console_ops = {
    .name = "console",
    .platform = "console",
    .start = console_start,
    .stop = console_stop,
    .send = console_send,
    .destroy = console_destroy,
};

int console_adapter_new(const void *opts, const struct adapter_host *host,
                        const struct adapter_services *svc, struct adapter **out)
{
    const struct console_options *o = opts;
    struct adapter *a = calloc(1, sizeof *a);
    struct console *c = calloc(1, sizeof *c);
    if (!a || !c)
        abort();
    const char *user = o->user && *o->user ? o->user : "you";
    const char *chat = o->chat && *o->chat ? o->chat : "console";
    const char *bot = host->bot_name && *host->bot_name ? host->bot_name : "kocbot";
    c->user = dup_str(user, strlen(user));
    c->chat = dup_str(chat, strlen(chat));
    c->bot_name = dup_str(bot, strlen(bot));
    a->ops = &console_ops;
    a->svc = svc;
    a->max_text = CONSOLE_MAX_TEXT;
    a->priv = c;
    *out = a;
    return 0;
}

/* ==== the registry row ================================================= */

#define CONSOLE_OFF(f) offsetof(struct console_options, f)

static const struct adapter_key console_keys[] = {
    {.name = "user", .type = ADAPTER_KEY_STR, .off = CONSOLE_OFF(user), .max_len = 64,
     .dstr = "you", .flags = ADAPTER_KEY_IDENT},
    {.name = "chat", .type = ADAPTER_KEY_STR, .off = CONSOLE_OFF(chat), .max_len = 64,
     .dstr = "console", .flags = ADAPTER_KEY_IDENT},
};

const struct adapter_kind console_adapter_kind = {
    .name = "console",
    .platform = "console",
    .section = "console",
    .keys = console_keys,
    .n_keys = sizeof console_keys / sizeof console_keys[0],
    .options_size = sizeof(struct console_options),
    .fallback = 1,
    .caps = {.max_text = CONSOLE_MAX_TEXT, .buttons = 1, .edits = 1},
    .create = console_adapter_new,
};
