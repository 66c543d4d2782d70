/* The operator web console's pages; see webconsole.h. */
#include "webconsole.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "../core/sha256.h"
#include "../core/text.h"
#include "../core/tz.h"
#include "../core/util.h"
#include "../core/webconsole.h"
#include "clock.h"
#include "log.h"
#include "webconsole_int.h"

#define COOKIE "kb_console"

static const char style_css[] =
    "*{box-sizing:border-box}body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f5f6f8;"
    "color:#1d2330}header{display:flex;flex-wrap:wrap;justify-content:space-between;"
    "align-items:center;gap:8px;padding:12px 16px;background:#23395d;color:#fff}"
    "header h1{font-size:18px;margin:0}header form{margin:0}main{max-width:860px;margin:0 auto;"
    "padding:12px}.card{background:#fff;border-radius:10px;padding:14px;margin:12px 0;"
    "box-shadow:0 1px 3px rgba(0,0,0,.12)}.meta{color:#5a6375;font-size:14px}"
    ".sub{white-space:pre-wrap;margin:8px 0}textarea{width:100%;min-height:3em;font:inherit}"
    "button{font:inherit;padding:8px 16px;margin:6px 6px 0 0;border:0;border-radius:6px;"
    "cursor:pointer}.ok{background:#1f8a4c;color:#fff}.no{background:#b3261e;color:#fff}"
    ".plain{background:#e4e7ee}.notice{background:#e7f3ea;border-left:4px solid #1f8a4c;"
    "padding:8px 12px}nav a{color:#fff;margin-right:4px}input{font:inherit;padding:6px;width:60%}"
    ".ledger{width:100%;border-collapse:collapse;font-size:14px;margin-top:8px}"
    ".ledger td{border-top:1px solid #e4e7ee;padding:4px}.amount{white-space:nowrap}"
    ".shot{display:block;max-width:100%;max-height:60vh;margin:8px 0;border-radius:6px}"
    "nav{display:flex;flex-wrap:wrap;gap:4px 12px;width:100%}h3{font-size:15px;margin:10px 0 4px}"
    ".stack label{display:block;margin:6px 0}.stack input,.stack select{width:100%}"
    ".check input{width:auto}.inline input{width:100%;margin-top:6px}"
    ".bar{display:grid;grid-template-columns:minmax(6em,40%) 1fr auto auto;gap:6px;"
    "align-items:center;margin:4px 0}.bar meter{width:100%;height:1.2em}.part{padding-left:1.5em;"
    "font-size:14px}.scroll{overflow-x:auto}th{text-align:left;font-size:13px;color:#5a6375}"
    ".chart{display:block;direction:ltr}.recent{direction:rtl}a.on{font-weight:bold}"
    "a.button{display:inline-block;padding:8px 16px;border-radius:6px;color:inherit;"
    "text-decoration:none}ul{padding-left:1.2em}"
    "@media (max-width:520px){button{width:100%}.bar{grid-template-columns:1fr auto auto}"
    ".bar span:first-child{grid-column:1/-1}}";

void wc_random_hex(char out[TOKEN_HEX + 1])
{
    unsigned char raw[TOKEN_HEX / 2];
    static const char hex[] = "0123456789abcdef";
    if (RAND_bytes(raw, sizeof raw) != 1)
        abort(); /* no randomness: no safe session; never hand out a guessable one */
    for (size_t i = 0; i < sizeof raw; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[TOKEN_HEX] = '\0';
}

int wc_same_token(const char *a, const char *b)
{
    if (!a || !b || strlen(a) != TOKEN_HEX || strlen(b) != TOKEN_HEX)
        return 0;
    unsigned diff = 0;
    for (size_t i = 0; i < TOKEN_HEX; i++)
        diff |= (unsigned)(a[i] ^ b[i]);
    return diff == 0;
}

void wc_escape(struct sbuf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': sbuf_add(b, "&amp;"); break;
        case '<': sbuf_add(b, "&lt;"); break;
        case '>': sbuf_add(b, "&gt;"); break;
        case '"': sbuf_add(b, "&quot;"); break;
        case '\'': sbuf_add(b, "&#39;"); break;
        default: sbuf_addc(b, *s);
        }
    }
}

/* A catalogue text, escaped for HTML. */
void wc_say(struct webconsole *w, struct sbuf *b, const char *key)
{
    wc_escape(b, text_get(w->lang, key));
}

/* ==== sessions ============================================================ */

/* The value of our cookie in the Cookie header, copied into out. */
static int cookie_value(const struct kb_http_incoming *req, char out[TOKEN_HEX + 1])
{
    const char *h = req->header(req, "Cookie");
    for (const char *p = h; p && (p = strstr(p, COOKIE "=")) != NULL; p += sizeof COOKIE) {
        if (p != h && p[-1] != ' ' && p[-1] != ';')
            continue;
        const char *v = p + sizeof COOKIE;
        size_t n = strcspn(v, "; ");
        if (n != TOKEN_HEX)
            return 0;
        memcpy(out, v, n);
        out[n] = '\0';
        return 1;
    }
    return 0;
}

/* The form token of session id: a hash of it under a fixed label, so a
   page can carry it and no table has to. */
static void csrf_of(const char *id, char out[TOKEN_HEX + 1])
{
    char in[TOKEN_HEX + 16];
    snprintf(in, sizeof in, "csrf:%s", id);
    sha256_hex(in, strlen(in), out);
}

struct session *wc_session(struct webconsole *w, const struct kb_http_incoming *req)
{
    struct session *s = &w->current;
    memset(s, 0, sizeof *s);
    if (!cookie_value(req, s->id) ||
        engine_console_session(w->e, s->id, clock_now_ms() / 1000, &s->who) != KB_OK)
        return NULL;
    csrf_of(s->id, s->csrf);
    return s;
}

static int behind_tls(const struct kb_http_incoming *req)
{
    const char *proto = req->header(req, "X-Forwarded-Proto");
    return proto && !strcmp(proto, "https");
}

static void set_cookie(const struct kb_http_incoming *req, const char *id, long max_age)
{
    char c[256];
    snprintf(c, sizeof c, COOKIE "=%s; Path=/console; Max-Age=%ld; HttpOnly; SameSite=Strict%s",
             id, max_age, behind_tls(req) ? "; Secure" : "");
    req->reply_header(req, "Set-Cookie", c);
}

/* ==== forms ================================================================ */

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                        : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* %-decode s[0..n) ('+' is a space) into out (at most cap - 1 bytes, one
   line); 0 when it does not fit or holds a NUL. */
int wc_url_decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t k = 0; k < n; k++) {
        char ch = s[k];
        if (ch == '+') {
            ch = ' ';
        } else if (ch == '%' && k + 2 < n + 1 && hexval(s[k + 1]) >= 0 && hexval(s[k + 2]) >= 0) {
            ch = (char)(hexval(s[k + 1]) * 16 + hexval(s[k + 2]));
            k += 2;
        }
        if (o + 1 >= cap || ch == '\0')
            return 0;
        out[o++] = ch == '\r' || ch == '\n' ? ' ' : ch; /* a note is one line */
    }
    out[o] = '\0';
    return 1;
}

/* Field name of an application/x-www-form-urlencoded body, decoded into
   out; 1 when present and it fitted. */
int wc_form_field(const char *body, size_t len, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < len;) {
        size_t end = i;
        while (end < len && body[end] != '&')
            end++;
        if (end - i > nl && !memcmp(body + i, name, nl) && body[i + nl] == '=')
            return wc_url_decode(body + i + nl + 1, end - i - nl - 1, out, cap);
        i = end + 1;
    }
    return 0;
}

/* ==== pages ================================================================ */

void wc_page_open(struct webconsole *w, struct sbuf *b, const struct session *s)
{
    sbuf_addf(b, "<!doctype html><html lang=\"%s\"><head><meta charset=\"utf-8\">"
                 "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                 "<title>", text_lang_is_en(w->lang) ? "en" : "zh-CN");
    wc_say(w, b, "console.page.title");
    sbuf_add(b, "</title><link rel=\"stylesheet\" href=\"/console/style.css\"></head><body>"
                "<header><h1>");
    wc_say(w, b, "console.page.title");
    sbuf_add(b, "</h1>");
    if (s) {
        static const char *const pages[][2] = {
            {"review", "console.nav.review"},   {"tasks", "console.nav.tasks"},
            {"polls", "console.nav.polls"},     {"members", "console.nav.members"},
            {"tally", "console.nav.tally"},     {"activity", "console.nav.activity"},
            {"audit", "console.nav.audit"},     {"schedules", "console.nav.schedules"},
        };
        sbuf_add(b, "<nav>");
        for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
            sbuf_addf(b, "<a href=\"/console/%s\">", pages[i][0]);
            wc_say(w, b, pages[i][1]);
            sbuf_add(b, "</a>");
        }
        sbuf_add(b, "</nav>");
        struct sbuf who = {0};
        text_format(&who, w->lang, "console.signed_in_as", ARGS(TS("name", s->who.name)));
        sbuf_add(b, "<span>");
        sbuf_add(b, who.s); /* text_format escaped the name */
        sbuf_addf(b, "</span><form method=\"post\" action=\"/console/logout\">"
                     "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
                     "<button class=\"plain\">", s->csrf);
        wc_say(w, b, "console.logout");
        sbuf_addf(b, "</button></form><form method=\"post\" action=\"/console/revoke\">"
                     "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
                     "<button class=\"plain\" id=\"revoke\">", s->csrf);
        wc_say(w, b, "console.revoke");
        sbuf_add(b, "</button></form>");
        sbuf_free(&who);
    }
    sbuf_add(b, "</header><main>");
}

int wc_page_send(const struct kb_http_incoming *req, struct kb_http_body *out,
                     struct sbuf *b, int status)
{
    sbuf_add(b, "</main></body></html>\n");
    req->reply_header(req, "Cache-Control", "no-store");
    req->reply_header(req, "Content-Security-Policy",
                      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                      "frame-ancestors 'none'");
    out->len = b->len;
    out->data = sbuf_take(b);
    out->content_type = "text/html; charset=utf-8";
    return status;
}

/* A page that only says one catalogue text. */
int wc_page_message(struct webconsole *w, const struct kb_http_incoming *req,
                        struct kb_http_body *out, const struct session *s, const char *key,
                        int status)
{
    struct sbuf b = {0};
    wc_page_open(w, &b, s);
    sbuf_add(&b, "<p class=\"card\">");
    wc_say(w, &b, key);
    sbuf_add(&b, "</p>");
    return wc_page_send(req, out, &b, status);
}

struct review_page {
    struct webconsole *w;
    const struct session *s;
    struct sbuf *b;
    size_t n;
};

static void review_card(void *ud, const struct console_review *r)
{
    struct review_page *p = ud;
    struct sbuf *b = p->b;
    p->n++;
    sbuf_addf(b, "<section class=\"card\" id=\"submission-%" PRId64 "\"><div class=\"meta\">#%"
                 PRId64 " · ", r->id, r->id);
    wc_escape(b, r->community);
    sbuf_add(b, " · ");
    wc_say(p->w, b, "console.review.task");
    sbuf_add(b, ": <b>");
    wc_escape(b, r->task);
    sbuf_add(b, "</b> · ");
    wc_say(p->w, b, "console.review.by");
    sbuf_add(b, ": ");
    wc_escape(b, r->member);
    sbuf_add(b, "</div><p class=\"sub\">");
    wc_escape(b, r->text);
    sbuf_add(b, "</p>");
    if (!strncmp(r->attachment, "photo:", 6)) {
        sbuf_addf(b, "<a href=\"/console/file?sub=%" PRId64 "\"><img class=\"shot\" alt=\"", r->id);
        wc_say(p->w, b, "console.review.attachment");
        sbuf_addf(b, "\" src=\"/console/file?sub=%" PRId64 "\"></a>", r->id);
    } else if (r->attachment[0]) {
        sbuf_addf(b, "<p class=\"meta\"><a class=\"file\" href=\"/console/file?sub=%" PRId64 "\">",
                  r->id);
        wc_say(p->w, b, "console.review.download");
        sbuf_add(b, "</a></p>");
    }
    if (strcmp(r->platform, p->s->who.platform) != 0) {
        sbuf_add(b, "<p class=\"meta\">");
        wc_say(p->w, b, "console.review.elsewhere");
        sbuf_add(b, "</p></section>");
        return;
    }
    char form_id[TOKEN_HEX + 1];
    wc_random_hex(form_id); /* one id per form: a second submit is the same event */
    sbuf_addf(b, "<form method=\"post\" action=\"/console/review\">"
                 "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
                 "<input type=\"hidden\" name=\"form\" value=\"%s\">"
                 "<input type=\"hidden\" name=\"id\" value=\"%" PRId64 "\"><label>",
              p->s->csrf, form_id, r->id);
    wc_say(p->w, b, "console.review.note");
    sbuf_addf(b, "<textarea name=\"note\" maxlength=\"%d\"></textarea></label>"
                 "<button class=\"ok\" name=\"verdict\" value=\"approve\">", MAX_NOTE);
    wc_say(p->w, b, "console.review.approve");
    sbuf_add(b, "</button><button class=\"plain\" name=\"verdict\" value=\"revise\">");
    wc_say(p->w, b, "console.review.revise");
    sbuf_add(b, "</button><button class=\"no\" name=\"verdict\" value=\"reject\">");
    wc_say(p->w, b, "console.review.reject");
    sbuf_add(b, "</button></form></section>");
}

void wc_sent_notice(struct webconsole *w, struct sbuf *b, const struct kb_http_incoming *req)
{
    const char *sent = req->query(req, "sent");
    if (sent && !strcmp(sent, "1")) {
        sbuf_add(b, "<p class=\"notice\">");
        wc_say(w, b, "console.review.sent");
        sbuf_add(b, "</p>");
    }
}

static int page_review(struct webconsole *w, const struct kb_http_incoming *req,
                       struct kb_http_body *out, const struct session *s)
{
    struct sbuf b = {0};
    wc_page_open(w, &b, s);
    wc_sent_notice(w, &b, req);
    sbuf_add(&b, "<h2>");
    wc_say(w, &b, "console.review.title");
    sbuf_add(&b, "</h2>");
    struct review_page p = {w, s, &b, 0};
    if (engine_console_reviews(w->e, &s->who, review_card, &p)) {
        sbuf_free(&b);
        return 500;
    }
    if (!p.n) {
        sbuf_add(&b, "<p class=\"card\">");
        wc_say(w, &b, "console.review.empty");
        sbuf_add(&b, "</p>");
    }
    return wc_page_send(req, out, &b, 200);
}

/* Apply text as s's command in chat, like a button press there (the
   engine checks who may, audits it, and de-duplicates by form_id). */
int wc_run_command(struct webconsole *w, const struct session *s, const char *chat,
                       enum kb_chat_type type, const char *form_id, const char *text)
{
    char message_id[TOKEN_HEX + 16];
    snprintf(message_id, sizeof message_id, "console:%s", form_id);
    struct kb_event ev = {.kind = KB_EV_CALLBACK, .platform = s->who.platform, .chat_id = chat,
                          .chat_type = type, .user_id = s->who.user_id,
                          .user_name = s->who.name, .role = KB_ROLE_MEMBER,
                          .message_id = message_id, .time = clock_now_ms() / 1000,
                          .callback_data = text};
    return w->svc.apply(w->svc.ud, &ev);
}

/* The verdict as the chat command it is, applied like a button press. */
static int review_action(struct webconsole *w, const struct kb_http_incoming *req,
                         struct kb_http_body *out, const struct session *s)
{
    char csrf[TOKEN_HEX + 1], form_id[TOKEN_HEX + 1], id[24], verdict[16], note[MAX_NOTE + 1] = "";
    char *end = NULL;
    const char *command = NULL;
    if (!wc_form_field(req->body, req->body_len, "csrf", csrf, sizeof csrf) ||
        !wc_same_token(csrf, s->csrf) ||
        !wc_form_field(req->body, req->body_len, "form", form_id, sizeof form_id) ||
        strlen(form_id) != TOKEN_HEX ||
        !wc_form_field(req->body, req->body_len, "id", id, sizeof id) ||
        !wc_form_field(req->body, req->body_len, "verdict", verdict, sizeof verdict) ||
        !(command = engine_console_verdict_command(verdict)))
        return wc_page_message(w, req, out, s, "console.forbidden", 403);
    wc_form_field(req->body, req->body_len, "note", note, sizeof note);
    if (strcmp(verdict, "approve") && !note[0]) /* the member is told what to change */
        return wc_page_message(w, req, out, s, "console.review.need_note", 400);
    long long sub = strtoll(id, &end, 10);
    if (!end || *end || sub <= 0 || !engine_console_may_review(w->e, &s->who, sub))
        return wc_page_message(w, req, out, s, "console.forbidden", 403);
    char chat[160] = "";
    if (engine_console_submission_chat(w->e, sub, chat, sizeof chat))
        return wc_page_message(w, req, out, s, "console.forbidden", 403);
    struct sbuf cmd = {0};
    sbuf_addf(&cmd, "/%s %lld%s%s", command, sub, note[0] ? " " : "", note);
    int rc = wc_run_command(w, s, chat, KB_CHAT_GROUP, form_id, cmd.s);
    sbuf_free(&cmd);
    if (rc)
        return 503;
    req->reply_header(req, "Location", "/console/review?sent=1");
    return 303;
}

struct members_page {
    struct webconsole *w;
    struct sbuf *b;
    size_t n;
};

static void member_card(void *ud, const struct console_member *m)
{
    struct members_page *p = ud;
    struct sbuf *b = p->b;
    p->n++;
    sbuf_addf(b, "<section class=\"card\" id=\"member-%" PRId64 "\"><b>", m->id);
    wc_escape(b, m->name);
    sbuf_add(b, "</b> <span class=\"meta\">");
    wc_escape(b, m->platform);
    sbuf_addc(b, ':');
    wc_escape(b, m->user_id);
    sbuf_add(b, " · ");
    wc_escape(b, m->community);
    sbuf_add(b, " · ");
    wc_say(p->w, b, "console.members.points");
    sbuf_addf(b, " <b class=\"points\">%" PRId64 "</b> · ", m->points);
    wc_say(p->w, b, "console.members.level");
    sbuf_addf(b, " <b class=\"level\">%" PRId64 "</b> · <a href=\"/console/history?member=%" PRId64
                 "\">", m->level, m->id);
    wc_say(p->w, b, "console.members.history");
    sbuf_add(b, "</a></span>");
    if (!m->n_ledger) {
        sbuf_add(b, "<p class=\"meta\">");
        wc_say(p->w, b, "console.members.no_ledger");
        sbuf_add(b, "</p></section>");
        return;
    }
    sbuf_add(b, "<table class=\"ledger\">");
    for (size_t i = 0; i < m->n_ledger; i++) {
        const struct console_ledger_row *r = &m->ledger[i];
        char day[32];
        struct tm tm;
        tz_local(m->tz, r->at, &tm); /* the community's own clock */
        strftime(day, sizeof day, "%Y-%m-%d %H:%M", &tm);
        sbuf_addf(b, "<tr><td>%s</td><td class=\"amount\">%+" PRId64 " ", day, r->amount);
        wc_escape(b, strcmp(r->kind, "points") ? r->unit : r->kind);
        sbuf_add(b, "</td><td>");
        wc_escape(b, r->reason);
        if (r->ref[0]) {
            sbuf_add(b, " <code>");
            wc_escape(b, r->ref);
            sbuf_add(b, "</code>");
        }
        sbuf_add(b, "</td><td>");
        wc_escape(b, r->note);
        sbuf_add(b, "</td></tr>");
    }
    sbuf_add(b, "</table></section>");
}

static int page_members(struct webconsole *w, const struct kb_http_incoming *req,
                        struct kb_http_body *out, const struct session *s)
{
    /* the search as typed: %-decoded here (the listener keeps paths raw) */
    char search[128] = "";
    const char *raw = req->query(req, "q");
    if (raw && !wc_url_decode(raw, strlen(raw), search, sizeof search))
        search[0] = '\0';
    struct sbuf b = {0};
    wc_page_open(w, &b, s);
    sbuf_add(&b, "<h2>");
    wc_say(w, &b, "console.members.title");
    sbuf_add(&b, "</h2><form method=\"get\" action=\"/console/members\" class=\"card\">"
                 "<input name=\"q\" value=\"");
    wc_escape(&b, search);
    sbuf_add(&b, "\" placeholder=\"");
    wc_say(w, &b, "console.members.search");
    sbuf_add(&b, "\"><button class=\"plain\">");
    wc_say(w, &b, "console.members.find");
    sbuf_add(&b, "</button></form>");
    struct members_page p = {w, &b, 0};
    if (engine_console_members(w->e, &s->who, search, member_card, &p)) {
        sbuf_free(&b);
        return 500;
    }
    if (!p.n) {
        sbuf_add(&b, "<p class=\"card\">");
        wc_say(w, &b, "console.members.none");
        sbuf_add(&b, "</p>");
    }
    return wc_page_send(req, out, &b, 200);
}

/* ==== attachments ========================================================== */

/* The cache file of an attachment: its name is a hash of where it came
   from (no platform id, let alone a token, in a path). */
static void cache_path(const struct webconsole *w, const char *platform, const char *attachment,
                       char *out, size_t cap)
{
    char key[512], hash[SHA256_HEX + 1];
    snprintf(key, sizeof key, "%s\x1f%s", platform, attachment);
    sha256_hex(key, strlen(key), hash);
    snprintf(out, cap, "%s/%s", w->files_dir, hash);
}

/* The whole of a cached file (malloc'ed into *data), or 0 when absent. */
static int cache_read(const char *path, char **data, size_t *len)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return 0;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > WEBCONSOLE_FILE_MAX) {
        close(fd);
        return 0;
    }
    *len = (size_t)st.st_size;
    *data = xmalloc(*len ? *len : 1);
    size_t got = 0;
    while (got < *len) {
        ssize_t n = read(fd, *data + got, *len - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (got != *len) {
        free(*data);
        return 0;
    }
    return 1;
}

/* Keep the cache under WEBCONSOLE_CACHE_MAX: the oldest files go first. */
static void cache_trim(const struct webconsole *w)
{
    DIR *d = opendir(w->files_dir);
    if (!d)
        return;
    struct { char name[SHA256_HEX + 1]; time_t at; off_t size; } files[256];
    size_t n = 0;
    long long total = 0;
    struct dirent *de;
    char path[PATH_MAX];
    while ((de = readdir(d)) != NULL && n < sizeof files / sizeof files[0]) {
        struct stat st;
        if (strlen(de->d_name) != SHA256_HEX)
            continue; /* not ours (a .tmp being written, "." and "..") */
        memcpy(files[n].name, de->d_name, SHA256_HEX + 1);
        snprintf(path, sizeof path, "%s/%s", w->files_dir, files[n].name);
        if (lstat(path, &st) || !S_ISREG(st.st_mode))
            continue;
        files[n].at = st.st_mtime;
        files[n].size = st.st_size;
        total += st.st_size;
        n++;
    }
    closedir(d);
    while (total > WEBCONSOLE_CACHE_MAX && n) {
        size_t oldest = 0;
        for (size_t i = 1; i < n; i++)
            if (files[i].at < files[oldest].at)
                oldest = i;
        if (snprintf(path, sizeof path, "%s/%s", w->files_dir, files[oldest].name) < (int)sizeof path)
            unlink(path);
        total -= files[oldest].size;
        files[oldest] = files[--n];
    }
}

/* Write data to path (0600, whole or not at all). */
static int cache_write(const struct webconsole *w, const char *path, const char *data, size_t len)
{
    if (mkdir(w->files_dir, 0700) && errno != EEXIST)
        return KB_EFULL;
    char tmp[PATH_MAX];
    char suffix[TOKEN_HEX + 1];
    wc_random_hex(suffix);
    snprintf(tmp, sizeof tmp, "%s.%.16s.tmp", path, suffix);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return KB_EFULL;
    size_t put = 0;
    while (put < len) {
        ssize_t n = write(fd, data + put, len - put);
        if (n <= 0)
            break;
        put += (size_t)n;
    }
    int ok = put == len && fchmod(fd, 0600) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path)) {
        unlink(tmp);
        return KB_EFULL;
    }
    cache_trim(w);
    return KB_OK;
}

/* What the bytes are: a picture the page may show, or a download. */
static const char *sniff_type(const unsigned char *p, size_t n)
{
    if (n >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
        return "image/jpeg";
    if (n >= 8 && !memcmp(p, "\x89PNG\r\n\x1a\n", 8))
        return "image/png";
    if (n >= 6 && (!memcmp(p, "GIF87a", 6) || !memcmp(p, "GIF89a", 6)))
        return "image/gif";
    if (n >= 12 && !memcmp(p, "RIFF", 4) && !memcmp(p + 8, "WEBP", 4))
        return "image/webp";
    return NULL;
}

/* A file being fetched from the platform for a deferred request. */
struct fetch {
    struct webconsole *w;
    int64_t ticket;
    char path[PATH_MAX];
};

static void fetched(void *ud, int status, const char *data, size_t len)
{
    struct fetch *f = ud;
    int answer = 303; /* the browser asks again and gets the cached file */
    if (status == KB_ENOTFOUND)
        answer = 404;
    else if (status == KB_ETOOBIG)
        answer = 413;
    else if (status)
        answer = 502;
    else if (cache_write(f->w, f->path, data, len))
        answer = 500;
    if (answer != 303)
        log_warn("console", "an attachment was not fetched (%s)", kb_strerror(status ? status : KB_EFULL));
    listener_answer(f->w->l, f->ticket, answer);
    free(f);
}

/* GET /console/file?sub=N: submission N's attachment, from the cache or
   fetched through its platform (the browser never sees the platform's
   URL, which holds the bot's token). */
static int serve_file(void *ud, const struct kb_http_incoming *req, struct kb_http_body *out)
{
    struct webconsole *w = ud;
    struct session *s = wc_session(w, req);
    if (!s)
        return 401;
    if (strcmp(req->method, "GET"))
        return 405;
    const char *raw = req->query(req, "sub");
    char *end = NULL;
    long long sub = raw ? strtoll(raw, &end, 10) : 0;
    char platform[32], attachment[400], path[PATH_MAX];
    if (!end || *end || sub <= 0 ||
        engine_console_attachment(w->e, &s->who, sub, platform, sizeof platform, attachment,
                                  sizeof attachment))
        return 404;
    cache_path(w, platform, attachment, path, sizeof path);
    req->reply_header(req, "Cache-Control", "private, no-store");
    char *data = NULL;
    size_t len = 0;
    if (cache_read(path, &data, &len)) {
        const char *type = sniff_type((const unsigned char *)data, len);
        if (!type)
            req->reply_header(req, "Content-Disposition", "attachment");
        req->reply_header(req, "Content-Security-Policy", "default-src 'none'; sandbox");
        out->data = data;
        out->len = len;
        out->content_type = type ? type : "application/octet-stream";
        return 200;
    }
    const char *colon = strchr(attachment, ':');
    int64_t ticket = w->svc.fetch ? req->defer(req) : 0;
    if (!colon || !ticket)
        return 503;
    struct fetch *f = xcalloc(1, sizeof *f);
    f->w = w;
    f->ticket = ticket;
    snprintf(f->path, sizeof f->path, "%s", path);
    char again[64];
    snprintf(again, sizeof again, "/console/file?sub=%lld", sub);
    req->reply_header(req, "Location", again);
    if (w->svc.fetch(w->svc.ud, platform, colon + 1, WEBCONSOLE_FILE_MAX, fetched, f)) {
        free(f);
        return 502;
    }
    return KB_HTTP_LATER;
}

/* ==== routes ================================================================ */

static int serve_members(void *ud, const struct kb_http_incoming *req, struct kb_http_body *out)
{
    struct webconsole *w = ud;
    struct session *s = wc_session(w, req);
    if (!s)
        return wc_page_message(w, req, out, NULL, "console.need_login", 401);
    return strcmp(req->method, "GET") ? 405 : page_members(w, req, out, s);
}


static int serve_login(void *ud, const struct kb_http_incoming *req, struct kb_http_body *out)
{
    struct webconsole *w = ud;
    if (strcmp(req->method, "GET"))
        return 405;
    struct console_identity who;
    char sid[TOKEN_HEX + 1];
    const char *t = req->query(req, "t");
    int rc = engine_console_redeem(w->e, t, clock_now_ms() / 1000, &who, sid);
    if (rc) {
        log_warn("console", "a sign-in link was refused (%s)", rc == KB_EDENIED ? "wrong, used or expired" : kb_strerror(rc));
        return wc_page_message(w, req, out, NULL, "console.link_refused", 403);
    }
    log_info("console", "%s:%s signed in", who.platform, who.user_id);
    set_cookie(req, sid, CONSOLE_SESSION_S);
    req->reply_header(req, "Location", "/console/review");
    return 303;
}

static int serve_review(void *ud, const struct kb_http_incoming *req, struct kb_http_body *out)
{
    struct webconsole *w = ud;
    struct session *s = wc_session(w, req);
    if (!s)
        return wc_page_message(w, req, out, NULL, "console.need_login", 401);
    if (!strcmp(req->method, "GET"))
        return page_review(w, req, out, s);
    if (!strcmp(req->method, "POST"))
        return review_action(w, req, out, s);
    return 405;
}

static int serve_logout(void *ud, const struct kb_http_incoming *req, struct kb_http_body *out)
{
    struct webconsole *w = ud;
    struct session *s = wc_session(w, req);
    char csrf[TOKEN_HEX + 1];
    if (strcmp(req->method, "POST"))
        return 405;
    if (!s || !wc_form_field(req->body, req->body_len, "csrf", csrf, sizeof csrf) ||
        !wc_same_token(csrf, s->csrf))
        return wc_page_message(w, req, out, NULL, "console.forbidden", 403);
    if (engine_console_sign_out(w->e, s->id, clock_now_ms() / 1000))
        return 503;
    set_cookie(req, "", 0);
    return wc_page_message(w, req, out, NULL, "console.signed_out", 200);
}

/* Sign out everywhere: /console revoke, sent as from the person's direct
   chat (where the bot confirms it). */
static int serve_revoke(void *ud, const struct kb_http_incoming *req, struct kb_http_body *out)
{
    struct webconsole *w = ud;
    struct session *s = wc_session(w, req);
    char csrf[TOKEN_HEX + 1], chat[160], form_id[TOKEN_HEX + 1];
    if (strcmp(req->method, "POST"))
        return 405;
    if (!s || !wc_form_field(req->body, req->body_len, "csrf", csrf, sizeof csrf) ||
        !wc_same_token(csrf, s->csrf) || engine_console_dm_chat(w->e, &s->who, chat, sizeof chat))
        return wc_page_message(w, req, out, NULL, "console.forbidden", 403);
    wc_random_hex(form_id); /* every press revokes */
    if (wc_run_command(w, s, chat, KB_CHAT_PRIVATE, form_id, "/console revoke"))
        return 503;
    set_cookie(req, "", 0);
    return wc_page_message(w, req, out, NULL, "console.signed_out", 200);
}

static int serve_style(void *ud, const struct kb_http_incoming *req, struct kb_http_body *out)
{
    (void)ud;
    if (strcmp(req->method, "GET"))
        return 405;
    req->reply_header(req, "Cache-Control", "max-age=3600");
    out->len = sizeof style_css - 1;
    out->data = xmalloc(out->len);
    memcpy(out->data, style_css, out->len);
    out->content_type = "text/css; charset=utf-8";
    return 200;
}

struct webconsole *webconsole_new(struct engine *e, const char *locale, const char *files_dir,
                                  const struct webconsole_services *svc)
{
    struct webconsole *w = xcalloc(1, sizeof *w);
    w->e = e;
    w->lang = locale;
    w->files_dir = xstrdup(files_dir);
    w->svc = *svc;
    return w;
}

int webconsole_route(struct webconsole *w, struct http_listener *l)
{
    w->l = l;
    int rc = listener_route(l, "/console/login", serve_login, w, w);
    if (!rc)
        rc = listener_route(l, "/console/file", serve_file, w, w);
    if (!rc)
        rc = listener_route(l, "/console/review", serve_review, w, w);
    if (!rc)
        rc = listener_route(l, "/console/members", serve_members, w, w);
    if (!rc)
        rc = listener_route(l, "/console/logout", serve_logout, w, w);
    if (!rc)
        rc = listener_route(l, "/console/revoke", serve_revoke, w, w);
    if (!rc)
        rc = wc_pages_route(w, l);
    if (!rc)
        rc = listener_route(l, "/console/style.css", serve_style, w, w);
    return rc;
}

void webconsole_free(struct webconsole *w)
{
    if (w)
        free(w->files_dir);
    free(w);
}
