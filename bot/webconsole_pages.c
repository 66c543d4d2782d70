/* The console's pages beyond review and members: tasks (post, change,
   close; their claims), polls (a bar per option, split by level or pool,
   the reasons), the tally (and its CSV), activity charts, the audit log,
   schedules.  Reads are the core's views; every change is a chat command
   applied through the engine (see webconsole.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/csv.h"
#include "../core/text.h"
#include "../core/tz.h"
#include "clock.h"
#include "listener.h"
#include "webconsole_int.h"

#define MAX_ROWS 2000

/* The rows of one view, copied (the page is built after the query ends). */
struct rows {
    size_t n, cols;
    char **v;                    /* n * cols strings */
};

static void rows_add(void *ud, size_t n, const char *const *cols)
{
    struct rows *r = ud;
    if (r->n >= MAX_ROWS)
        return;
    if (!r->cols)
        r->cols = n;
    r->v = xrealloc(r->v, (r->n + 1) * r->cols * sizeof *r->v);
    for (size_t i = 0; i < r->cols; i++)
        r->v[r->n * r->cols + i] = xstrdup(i < n ? cols[i] : "");
    r->n++;
}

static const char *cell(const struct rows *r, size_t row, size_t col)
{
    return col < r->cols ? r->v[row * r->cols + col] : "";
}

static void rows_free(struct rows *r)
{
    for (size_t i = 0; i < r->n * r->cols; i++)
        free(r->v[i]);
    free(r->v);
    memset(r, 0, sizeof *r);
}

static int load(struct webconsole *w, const struct session *s, enum console_view v, int64_t arg,
                struct rows *out)
{
    memset(out, 0, sizeof *out);
    return engine_console_view(w->e, &s->who, v, arg, clock_now_ms() / 1000, rows_add, out);
}

/* A value the catalogue may name (prefix + value, e.g. "console.state.open"),
   else the value itself. */
static void say_value(struct webconsole *w, struct sbuf *b, const char *prefix, const char *v)
{
    char key[96];
    snprintf(key, sizeof key, "%s%s", prefix, v);
    if (text_has(key))
        wc_say(w, b, key);
    else
        wc_escape(b, v);
}

static void heading(struct webconsole *w, struct sbuf *b, const char *key)
{
    sbuf_add(b, "<h2>");
    wc_say(w, b, key);
    sbuf_add(b, "</h2>");
}

static void empty_note(struct webconsole *w, struct sbuf *b, const char *key)
{
    sbuf_add(b, "<p class=\"card\">");
    wc_say(w, b, key);
    sbuf_add(b, "</p>");
}

/* <table> with a header row of catalogue keys. */
static void table_open(struct webconsole *w, struct sbuf *b, const char *const *keys, size_t n)
{
    sbuf_add(b, "<div class=\"scroll\"><table class=\"ledger\"><tr>");
    for (size_t i = 0; i < n; i++) {
        sbuf_add(b, "<th>");
        wc_say(w, b, keys[i]);
        sbuf_add(b, "</th>");
    }
    sbuf_add(b, "</tr>");
}

static void td(struct sbuf *b, const char *v)
{
    sbuf_add(b, "<td>");
    wc_escape(b, v);
    sbuf_add(b, "</td>");
}

/* A form's hidden fields: the CSRF token and a fresh form id (a second
   submit of the same form is the same event). */
static void form_open(struct sbuf *b, const struct session *s, const char *action, const char *cls)
{
    char form_id[TOKEN_HEX + 1];
    wc_random_hex(form_id);
    sbuf_addf(b, "<form method=\"post\" action=\"%s\" class=\"%s\">"
                 "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
                 "<input type=\"hidden\" name=\"form\" value=\"%s\">",
              action, cls, s->csrf, form_id);
}

/* A POST with this session's CSRF token and a form id (into form_id). */
static int post_ok(const struct kb_http_incoming *req, const struct session *s,
                   char form_id[TOKEN_HEX + 1])
{
    char csrf[TOKEN_HEX + 1];
    return wc_form_field(req->body, req->body_len, "csrf", csrf, sizeof csrf) &&
           wc_same_token(csrf, s->csrf) &&
           wc_form_field(req->body, req->body_len, "form", form_id, TOKEN_HEX + 1) &&
           strlen(form_id) == TOKEN_HEX;
}

static int64_t field_id(const struct kb_http_incoming *req, const char *name)
{
    char v[24];
    char *end = NULL;
    if (!wc_form_field(req->body, req->body_len, name, v, sizeof v))
        return 0;
    long long id = strtoll(v, &end, 10);
    return end && !*end && id > 0 ? id : 0;
}

/* ==== tasks ============================================================== */

static const char *const tiers[] = {"basic", "explore", "precision", "cobuild"};

static void task_new_form(struct webconsole *w, struct sbuf *b, const struct session *s,
                          const struct rows *groups)
{
    sbuf_add(b, "<details class=\"card\" id=\"new-task\"><summary>");
    wc_say(w, b, "console.tasks.new");
    sbuf_add(b, "</summary>");
    size_t usable = 0;
    for (size_t i = 0; i < groups->n; i++)
        usable += !strcmp(cell(groups, i, 2), s->who.platform);
    if (!usable) {
        sbuf_add(b, "<p class=\"meta\">");
        wc_say(w, b, "console.tasks.no_group");
        sbuf_add(b, "</p></details>");
        return;
    }
    form_open(b, s, "/console/tasks", "stack");
    sbuf_add(b, "<input type=\"hidden\" name=\"action\" value=\"new\"><label>");
    wc_say(w, b, "console.tasks.group");
    sbuf_add(b, "<select name=\"community\">");
    for (size_t i = 0; i < groups->n; i++) {
        if (strcmp(cell(groups, i, 2), s->who.platform) || (i && !strcmp(cell(groups, i, 0), cell(groups, i - 1, 0))))
            continue;
        sbuf_add(b, "<option value=\"");
        wc_escape(b, cell(groups, i, 0));
        sbuf_add(b, "\">");
        wc_escape(b, cell(groups, i, 1));
        sbuf_add(b, "</option>");
    }
    sbuf_add(b, "</select></label><label>");
    wc_say(w, b, "console.tasks.tier");
    sbuf_add(b, "<select name=\"tier\">");
    for (size_t i = 0; i < sizeof tiers / sizeof tiers[0]; i++) {
        sbuf_addf(b, "<option value=\"%s\">", tiers[i]);
        say_value(w, b, "console.tier.", tiers[i]);
        sbuf_add(b, "</option>");
    }
    sbuf_add(b, "</select></label><label>");
    wc_say(w, b, "console.tasks.name");
    sbuf_addf(b, "<input name=\"title\" required maxlength=\"100\"></label><label>");
    wc_say(w, b, "console.tasks.points");
    sbuf_add(b, "<input name=\"points\" type=\"number\" min=\"0\" max=\"100000\" value=\"10\"></label>"
                "<label class=\"check\"><input type=\"checkbox\" name=\"review\" value=\"yes\" checked> ");
    wc_say(w, b, "console.tasks.review");
    sbuf_add(b, "</label><label>");
    wc_say(w, b, "console.tasks.more");
    sbuf_addf(b, "<input name=\"more\" maxlength=\"%d\"></label><button class=\"ok\">", MAX_NOTE);
    wc_say(w, b, "console.tasks.post");
    sbuf_add(b, "</button></form></details>");
}

static void task_card(struct webconsole *w, struct sbuf *b, const struct session *s,
                      const struct rows *t, size_t i, const struct rows *claims)
{
    const char *id = cell(t, i, 0);
    sbuf_add(b, "<section class=\"card\" id=\"task-");
    wc_escape(b, id);
    sbuf_add(b, "\"><div class=\"meta\">#");
    wc_escape(b, id);
    sbuf_add(b, " · ");
    wc_escape(b, cell(t, i, 1));
    sbuf_add(b, " · ");
    say_value(w, b, "console.tier.", cell(t, i, 3));
    sbuf_add(b, " · <span class=\"state\">");
    say_value(w, b, "console.state.", cell(t, i, 4));
    sbuf_add(b, "</span></div><b class=\"title\">");
    wc_escape(b, cell(t, i, 2));
    sbuf_add(b, "</b><p class=\"meta\">");
    wc_say(w, b, "console.tasks.points");
    sbuf_addf(b, " %s · ", cell(t, i, 5));
    wc_say(w, b, "console.tasks.claims");
    sbuf_addf(b, " %s%s%s", cell(t, i, 6), strcmp(cell(t, i, 7), "0") ? " / " : "",
              strcmp(cell(t, i, 7), "0") ? cell(t, i, 7) : "");
    if (cell(t, i, 9)[0]) {
        sbuf_add(b, " · ");
        wc_say(w, b, "console.tasks.deadline");
        sbuf_addf(b, " %s", cell(t, i, 9));
    }
    sbuf_add(b, "</p><ul class=\"claims\">");
    size_t n = 0;
    for (size_t k = 0; k < claims->n; k++) {
        if (strcmp(cell(claims, k, 0), id))
            continue;
        n++;
        sbuf_add(b, "<li>");
        wc_escape(b, cell(claims, k, 1));
        sbuf_add(b, " — ");
        say_value(w, b, "console.state.", cell(claims, k, 2));
        sbuf_add(b, " <span class=\"meta\">");
        wc_escape(b, cell(claims, k, 3));
        sbuf_add(b, "</span></li>");
    }
    sbuf_add(b, "</ul>");
    if (!n) {
        sbuf_add(b, "<p class=\"meta\">");
        wc_say(w, b, "console.tasks.no_claims");
        sbuf_add(b, "</p>");
    }
    if (!strcmp(cell(t, i, 4), "open")) {
        form_open(b, s, "/console/tasks", "inline");
        sbuf_add(b, "<input type=\"hidden\" name=\"task\" value=\"");
        wc_escape(b, id);
        sbuf_addf(b, "\"><input name=\"changes\" maxlength=\"%d\" placeholder=\"", MAX_NOTE);
        wc_say(w, b, "console.tasks.edit");
        sbuf_add(b, "\"><button class=\"plain\" name=\"action\" value=\"edit\">");
        wc_say(w, b, "console.tasks.save");
        sbuf_add(b, "</button><button class=\"no\" name=\"action\" value=\"close\">");
        wc_say(w, b, "console.tasks.close");
        sbuf_add(b, "</button></form>");
    }
    sbuf_add(b, "</section>");
}

static int page_tasks(struct webconsole *w, const struct kb_http_incoming *req,
                      struct kb_http_body *out, const struct session *s)
{
    struct rows t, claims, groups;
    int rc = load(w, s, CV_TASKS, 0, &t);
    int rc2 = load(w, s, CV_CLAIMS, 0, &claims);
    int rc3 = load(w, s, CV_GROUPS, 0, &groups);
    struct sbuf b = {0};
    if (!rc && !rc2 && !rc3) {
        wc_page_open(w, &b, s);
        wc_sent_notice(w, &b, req);
        heading(w, &b, "console.tasks.title");
        task_new_form(w, &b, s, &groups);
        for (size_t i = 0; i < t.n; i++)
            task_card(w, &b, s, &t, i, &claims);
        if (!t.n)
            empty_note(w, &b, "console.tasks.none");
    }
    rows_free(&t);
    rows_free(&claims);
    rows_free(&groups);
    if (rc || rc2 || rc3) {
        sbuf_free(&b);
        return 500;
    }
    return wc_page_send(req, out, &b, 200);
}

/* A field's text for a command line: one line, no option marker a user
   could smuggle in where a title goes. */
static int plain_words(const char *s)
{
    return !strstr(s, "--") && !strchr(s, '\n');
}

/* POST /console/tasks: /task new, /task edit, /task close in a group of
   the task's community, as the operator typed them there. */
static int task_action(struct webconsole *w, const struct kb_http_incoming *req,
                       struct kb_http_body *out, const struct session *s)
{
    char form_id[TOKEN_HEX + 1], action[16], chat[160];
    if (!post_ok(req, s, form_id) ||
        !wc_form_field(req->body, req->body_len, "action", action, sizeof action))
        return wc_page_message(w, req, out, s, "console.forbidden", 403);
    struct sbuf cmd = {0};
    int64_t task = field_id(req, "task"), community = field_id(req, "community");
    int rc = KB_EINVAL;
    if (!strcmp(action, "new") && community) {
        char tier[16], title[128], points[16] = "0", more[MAX_NOTE + 1] = "", review[8] = "";
        wc_form_field(req->body, req->body_len, "points", points, sizeof points);
        wc_form_field(req->body, req->body_len, "more", more, sizeof more);
        wc_form_field(req->body, req->body_len, "review", review, sizeof review);
        char *end = NULL;
        long long pts = strtoll(points, &end, 10);
        if (!wc_form_field(req->body, req->body_len, "tier", tier, sizeof tier) ||
            !wc_form_field(req->body, req->body_len, "title", title, sizeof title) || !title[0] ||
            !plain_words(title) || !end || *end || pts < 0)
            return wc_page_message(w, req, out, s, "console.tasks.need_title", 400);
        rc = engine_console_group_chat(w->e, &s->who, community, 0, chat, sizeof chat);
        sbuf_addf(&cmd, "/task new %s %s --points %lld --review %s%s%s", tier, title, pts,
                  review[0] ? "yes" : "no", more[0] ? " " : "", more);
    } else if ((!strcmp(action, "edit") || !strcmp(action, "close")) && task) {
        char changes[MAX_NOTE + 1] = "";
        wc_form_field(req->body, req->body_len, "changes", changes, sizeof changes);
        if (!strcmp(action, "edit") && !changes[0])
            return wc_page_message(w, req, out, s, "console.tasks.need_changes", 400);
        rc = engine_console_group_chat(w->e, &s->who, 0, task, chat, sizeof chat);
        if (!strcmp(action, "edit"))
            sbuf_addf(&cmd, "/task edit %" PRId64 " %s", task, changes);
        else
            sbuf_addf(&cmd, "/task close %" PRId64, task);
    }
    if (rc) {
        sbuf_free(&cmd);
        return wc_page_message(w, req, out, s, "console.forbidden", 403);
    }
    rc = wc_run_command(w, s, chat, KB_CHAT_GROUP, form_id, cmd.s);
    sbuf_free(&cmd);
    if (rc)
        return 503;
    req->reply_header(req, "Location", "/console/tasks?sent=1");
    return 303;
}

/* ==== polls ============================================================== */

static void bar(struct sbuf *b, const char *label, long long votes, long long total,
                const char *cls)
{
    sbuf_addf(b, "<div class=\"bar %s\"><span>", cls);
    wc_escape(b, label);
    sbuf_addf(b, "</span><meter min=\"0\" max=\"%lld\" value=\"%lld\"></meter>"
                 "<b>%lld</b> <span class=\"meta\">%lld%%</span></div>",
              total > 0 ? total : 1, votes, votes, total > 0 ? votes * 100 / total : 0);
}

static void poll_card(struct webconsole *w, struct sbuf *b, const struct rows *p, size_t i,
                      const struct rows *opts, const struct rows *split, const struct rows *why)
{
    const char *id = cell(p, i, 0);
    long long total = atoll(cell(p, i, 4));
    sbuf_add(b, "<section class=\"card\" id=\"poll-");
    wc_escape(b, id);
    sbuf_add(b, "\"><div class=\"meta\">#");
    wc_escape(b, id);
    sbuf_add(b, " · ");
    wc_escape(b, cell(p, i, 1));
    sbuf_add(b, " · ");
    wc_say(w, b, strcmp(cell(p, i, 3), "1") ? "console.polls.closed" : "console.polls.open");
    sbuf_addf(b, " · %lld ", total);
    wc_say(w, b, "console.polls.votes");
    if (cell(p, i, 5)[0]) {
        sbuf_add(b, " · ");
        wc_say(w, b, "console.polls.closes");
        sbuf_addf(b, " %s", cell(p, i, 5));
    }
    if (!strcmp(cell(p, i, 7), "1")) {
        sbuf_add(b, " · ");
        wc_say(w, b, "console.polls.anonymous");
    }
    sbuf_add(b, "</div><b>");
    wc_escape(b, cell(p, i, 2));
    sbuf_add(b, "</b>");
    for (size_t k = 0; k < opts->n; k++) {
        if (strcmp(cell(opts, k, 0), id))
            continue;
        char label[160];
        snprintf(label, sizeof label, "%s. %s", cell(opts, k, 1), cell(opts, k, 2));
        bar(b, label, atoll(cell(opts, k, 3)), total, "option");
        for (size_t j = 0; split && j < split->n; j++) {
            if (strcmp(cell(split, j, 0), id) || strcmp(cell(split, j, 1), cell(opts, k, 1)))
                continue;
            const char *group = cell(split, j, 2);
            if (!group[0])
                group = text_get(w->lang, "console.polls.no_pool");
            bar(b, group, atoll(cell(split, j, 3)), atoll(cell(opts, k, 3)), "part");
        }
    }
    size_t n = 0;
    for (size_t k = 0; k < why->n; k++) {
        if (strcmp(cell(why, k, 0), id))
            continue;
        if (!n++) {
            sbuf_add(b, "<h3>");
            wc_say(w, b, "console.polls.reasons");
            sbuf_add(b, "</h3><ul class=\"reasons\">");
        }
        sbuf_add(b, "<li><q>");
        wc_escape(b, cell(why, k, 3));
        sbuf_add(b, "</q> <span class=\"meta\">");
        unsigned long long bits = strtoull(cell(why, k, 2), NULL, 10);
        for (int o = 0; o < 10; o++)
            if (bits >> o & 1)
                sbuf_addf(b, "#%d ", o + 1);
        if (cell(why, k, 1)[0]) {
            sbuf_add(b, "— ");
            wc_escape(b, cell(why, k, 1));
        }
        sbuf_addf(b, " · %s</span></li>", cell(why, k, 4));
    }
    if (n)
        sbuf_add(b, "</ul>");
    sbuf_add(b, "</section>");
}

static int page_polls(struct webconsole *w, const struct kb_http_incoming *req,
                      struct kb_http_body *out, const struct session *s)
{
    const char *by = req->query(req, "split");
    enum console_view split_view = by && !strcmp(by, "level") ? CV_POLL_BY_LEVEL
                                   : by && !strcmp(by, "pool") ? CV_POLL_BY_POOL : CV_POLLS;
    struct rows p, opts, why, split = {0};
    int rc = load(w, s, CV_POLLS, 0, &p);
    if (!rc)
        rc = load(w, s, CV_POLL_OPTIONS, 0, &opts);
    if (!rc)
        rc = load(w, s, CV_POLL_REASONS, 0, &why);
    if (!rc && split_view != CV_POLLS)
        rc = load(w, s, split_view, 0, &split);
    struct sbuf b = {0};
    if (!rc) {
        wc_page_open(w, &b, s);
        heading(w, &b, "console.polls.title");
        sbuf_add(&b, "<p class=\"meta\">");
        wc_say(w, &b, "console.polls.split");
        static const char *const splits[] = {"none", "level", "pool"};
        for (size_t k = 0; k < 3; k++) {
            int on = split_view == (k == 0 ? CV_POLLS : k == 1 ? CV_POLL_BY_LEVEL : CV_POLL_BY_POOL);
            sbuf_addf(&b, " <a href=\"/console/polls?split=%s\"%s>", splits[k],
                      on ? " class=\"on\"" : "");
            say_value(w, &b, "console.polls.split.", splits[k]);
            sbuf_add(&b, "</a>");
        }
        sbuf_add(&b, "</p>");
        for (size_t i = 0; i < p.n; i++)
            poll_card(w, &b, &p, i, &opts, split_view == CV_POLLS ? NULL : &split, &why);
        if (!p.n)
            empty_note(w, &b, "console.polls.none");
    }
    rows_free(&p);
    rows_free(&opts);
    rows_free(&why);
    rows_free(&split);
    if (rc) {
        sbuf_free(&b);
        return 500;
    }
    return wc_page_send(req, out, &b, 200);
}

/* ==== tally ============================================================== */

/* An amount as the ledger's kind counts it (cash in cents). */
static void amount(struct sbuf *b, const char *kind, const char *v)
{
    long long n = atoll(v);
    if (!strcmp(kind, "cash"))
        sbuf_addf(b, "%s%lld.%02lld", n < 0 ? "-" : "", llabs(n) / 100, llabs(n) % 100);
    else
        sbuf_addf(b, "%lld", n);
}

static int page_tally(struct webconsole *w, const struct kb_http_incoming *req,
                      struct kb_http_body *out, const struct session *s)
{
    struct rows t;
    if (load(w, s, CV_TALLY, 0, &t))
        return 500;
    struct sbuf b = {0};
    wc_page_open(w, &b, s);
    heading(w, &b, "console.tally.title");
    sbuf_add(&b, "<p><a class=\"button plain\" id=\"csv\" href=\"/console/tally.csv\" download>");
    wc_say(w, &b, "console.tally.csv");
    sbuf_add(&b, "</a></p>");
    if (!t.n) {
        empty_note(w, &b, "console.tally.none");
    } else {
        static const char *const keys[] = {"console.col.community", "console.tally.kind",
                                           "console.tally.unit", "console.tally.earned",
                                           "console.tally.paid", "console.tally.owed"};
        table_open(w, &b, keys, 6);
        for (size_t i = 0; i < t.n; i++) {
            const char *kind = cell(&t, i, 1);
            sbuf_add(&b, "<tr class=\"tally\">");
            td(&b, cell(&t, i, 0));
            sbuf_add(&b, "<td>");
            say_value(w, &b, "console.kind.", kind);
            sbuf_add(&b, "</td>");
            td(&b, cell(&t, i, 2));
            for (size_t k = 3; k < 6; k++) {
                sbuf_add(&b, "<td class=\"amount\">");
                amount(&b, kind, cell(&t, i, k));
                sbuf_add(&b, "</td>");
            }
            sbuf_add(&b, "</tr>");
        }
        sbuf_add(&b, "</table></div>");
    }
    rows_free(&t);
    return wc_page_send(req, out, &b, 200);
}

/* GET /console/tally.csv: every member's tally by kind and unit. */
static int tally_csv(struct webconsole *w, const struct kb_http_incoming *req,
                     struct kb_http_body *out, const struct session *s)
{
    struct rows t;
    if (load(w, s, CV_TALLY_MEMBERS, 0, &t))
        return 500;
    struct sbuf b = {0};
    sbuf_add(&b, text_get(w->lang, "console.tally.csv_header"));
    sbuf_addc(&b, '\n'); /* as csv_row ends its lines */
    for (size_t i = 0; i < t.n; i++) {
        struct sbuf money[3] = {{0}};
        for (size_t k = 0; k < 3; k++)
            amount(&money[k], cell(&t, i, 4), cell(&t, i, 6 + k));
        const char *fields[9] = {cell(&t, i, 0), cell(&t, i, 1), cell(&t, i, 2), cell(&t, i, 3),
                                 cell(&t, i, 4), cell(&t, i, 5), money[0].s, money[1].s,
                                 money[2].s};
        csv_row(&b, fields, 9);
        for (size_t k = 0; k < 3; k++)
            sbuf_free(&money[k]);
    }
    rows_free(&t);
    req->reply_header(req, "Content-Disposition", "attachment; filename=\"tally.csv\"");
    req->reply_header(req, "Cache-Control", "no-store");
    out->len = b.len;
    out->data = sbuf_take(&b);
    out->content_type = "text/csv; charset=utf-8";
    return 200;
}

/* ==== activity =========================================================== */

/* A bar chart of one community's rows [from, to) (name, zone, day, value, id):
   n bars of step days each, the last one holding today, as inline SVG
   (the pages' CSP allows no inline style; SVG attributes are markup). */
static void chart(struct sbuf *b, const struct rows *r, size_t from, size_t to, int n, int step,
                  const char *id)
{
    const char *tz = cell(r, from, 1);
    int64_t last = tz_day(tz, clock_now_ms() / 1000);
    if (step == 7)
        last -= (last + 3) % 7; /* its Monday: day 0 was a Thursday */
    long long values[32] = {0}, max = 1;
    for (size_t i = from; i < to; i++) {
        int64_t k = (atoll(cell(r, i, 2)) - last) / step + n - 1;
        if (k >= 0 && k < n)
            values[k] = atoll(cell(r, i, 3));
    }
    for (int k = 0; k < n; k++)
        max = values[k] > max ? values[k] : max;
    /* drawn full size: a phone scrolls it sideways rather than shrink the
       text, starting from today's end */
    sbuf_addf(b, "<div class=\"scroll recent\"><svg class=\"chart\" id=\"%s\" width=\"%d\" height=\"150\" "
                 "viewBox=\"0 0 %d 150\" role=\"img\">", id, n * 24 + 10, n * 24 + 10);
    for (int k = 0; k < n; k++) {
        int y, mon, d, wday;
        tz_day_ymd(last - (int64_t)(n - 1 - k) * step, &y, &mon, &d, &wday);
        long long h = values[k] * 110 / max;
        int x = k * 24 + 5;
        sbuf_addf(b, "<g><title>%04d-%02d-%02d: %lld</title><rect x=\"%d\" y=\"%lld\" width=\"18\" "
                     "height=\"%lld\" fill=\"#23395d\"></rect>", y, mon, d, values[k], x, 125 - h, h);
        if (values[k])
            sbuf_addf(b, "<text x=\"%d\" y=\"%lld\" font-size=\"10\" text-anchor=\"middle\">%lld</text>",
                      x + 9, 121 - h, values[k]);
        if (k % (step == 7 ? 2 : 5) == (n - 1) % (step == 7 ? 2 : 5)) /* a date every few bars */
            sbuf_addf(b, "<text x=\"%d\" y=\"146\" font-size=\"9\" text-anchor=\"middle\">%02d-%02d</text>",
                      x + 9, mon, d);
        sbuf_add(b, "</g>");
    }
    sbuf_add(b, "</svg></div>");
}

/* Each community's chart of rows r. */
static void charts(struct webconsole *w, struct sbuf *b, const struct rows *r, const char *title,
                   int n, int step, const char *id)
{
    heading(w, b, title);
    if (!r->n)
        empty_note(w, b, "console.activity.none");
    for (size_t i = 0, k = 0; i < r->n; k++) {
        size_t j = i;
        while (j < r->n && !strcmp(cell(r, j, 4), cell(r, i, 4))) /* one community */
            j++;
        sbuf_add(b, "<section class=\"card\"><div class=\"meta\">");
        wc_escape(b, cell(r, i, 0));
        sbuf_add(b, "</div>");
        char cid[32];
        snprintf(cid, sizeof cid, "%s-%zu", id, k);
        chart(b, r, i, j, n, step, cid);
        sbuf_add(b, "</section>");
        i = j;
    }
}

static int page_activity(struct webconsole *w, const struct kb_http_incoming *req,
                         struct kb_http_body *out, const struct session *s)
{
    struct rows days, weeks;
    int rc = load(w, s, CV_CHECKINS_DAILY, 0, &days);
    if (!rc)
        rc = load(w, s, CV_ACTIVE_WEEKLY, 0, &weeks);
    struct sbuf b = {0};
    if (!rc) {
        wc_page_open(w, &b, s);
        charts(w, &b, &days, "console.activity.checkins", 30, 1, "checkins");
        charts(w, &b, &weeks, "console.activity.active", 12, 7, "active");
        rows_free(&weeks);
    }
    rows_free(&days);
    if (rc)
        return 500;
    return wc_page_send(req, out, &b, 200);
}

/* ==== audit log and schedules ============================================= */

static int page_audit(struct webconsole *w, const struct kb_http_incoming *req,
                      struct kb_http_body *out, const struct session *s)
{
    struct rows a;
    if (load(w, s, CV_AUDIT, 0, &a))
        return 500;
    struct sbuf b = {0};
    wc_page_open(w, &b, s);
    heading(w, &b, "console.audit.title");
    if (!a.n) {
        empty_note(w, &b, "console.audit.none");
    } else {
        static const char *const keys[] = {"console.col.at", "console.col.community",
                                           "console.audit.actor", "console.audit.action",
                                           "console.audit.target", "console.audit.detail"};
        table_open(w, &b, keys, 6);
        for (size_t i = 0; i < a.n; i++) {
            sbuf_add(&b, "<tr class=\"audit\">");
            td(&b, cell(&a, i, 0));
            td(&b, cell(&a, i, 1));
            td(&b, cell(&a, i, 2));
            sbuf_add(&b, "<td>");
            say_value(w, &b, "audit.", cell(&a, i, 3));
            sbuf_add(&b, "</td>");
            td(&b, cell(&a, i, 4));
            td(&b, cell(&a, i, 5));
            sbuf_add(&b, "</tr>");
        }
        sbuf_add(&b, "</table></div>");
    }
    rows_free(&a);
    return wc_page_send(req, out, &b, 200);
}

static int page_schedules(struct webconsole *w, const struct kb_http_incoming *req,
                          struct kb_http_body *out, const struct session *s)
{
    struct rows r;
    if (load(w, s, CV_SCHEDULES, 0, &r))
        return 500;
    struct sbuf b = {0};
    wc_page_open(w, &b, s);
    heading(w, &b, "console.schedules.title");
    if (!r.n) {
        empty_note(w, &b, "console.schedules.none");
    } else {
        static const char *const keys[] = {"console.col.community", "console.schedules.kind",
                                           "console.schedules.time", "console.schedules.days",
                                           "console.schedules.template", "console.schedules.active"};
        table_open(w, &b, keys, 6);
        /* "Sun Mon …": the catalogue's day names, bit 0 = Sunday */
        const char *names = text_get(w->lang, "console.schedules.day_names");
        for (size_t i = 0; i < r.n; i++) {
            long mins = atol(cell(&r, i, 3));
            unsigned long days = strtoul(cell(&r, i, 4), NULL, 10);
            sbuf_add(&b, "<tr class=\"schedule\">");
            td(&b, cell(&r, i, 1));
            sbuf_add(&b, "<td>");
            say_value(w, &b, "console.sched.", cell(&r, i, 2));
            sbuf_addf(&b, "</td><td>%02ld:%02ld</td><td>", mins / 60, mins % 60);
            const char *p = names;
            for (int d = 0; d < 7 && *p; d++) {
                size_t len = strcspn(p, " ");
                if (days >> d & 1) {
                    sbuf_addn(&b, p, len);
                    sbuf_addc(&b, ' ');
                }
                p += len + (p[len] == ' ');
            }
            sbuf_add(&b, "</td>");
            if (cell(&r, i, 5)[0]) {
                td(&b, cell(&r, i, 5));
            } else {
                sbuf_add(&b, "<td class=\"meta\">");
                wc_say(w, &b, "console.schedules.default");
                sbuf_add(&b, "</td>");
            }
            sbuf_add(&b, "<td>");
            wc_say(w, &b, strcmp(cell(&r, i, 6), "1") ? "console.no" : "console.yes");
            sbuf_add(&b, "</td></tr>");
        }
        sbuf_add(&b, "</table></div>");
    }
    rows_free(&r);
    return wc_page_send(req, out, &b, 200);
}

/* ==== member history (the members page links here) ======================== */

static int page_history(struct webconsole *w, const struct kb_http_incoming *req,
                        struct kb_http_body *out, const struct session *s)
{
    const char *raw = req->query(req, "member");
    char *end = NULL;
    long long id = raw ? strtoll(raw, &end, 10) : 0;
    struct rows h;
    if (!end || *end || id <= 0 || load(w, s, CV_MEMBER_HISTORY, id, &h))
        return wc_page_message(w, req, out, s, "console.history.none", 404);
    struct sbuf b = {0};
    wc_page_open(w, &b, s);
    heading(w, &b, "console.history.title");
    if (!h.n) {
        empty_note(w, &b, "console.history.none");
    } else {
        static const char *const keys[] = {"console.col.at", "console.history.what",
                                           "console.history.about", "console.history.state"};
        table_open(w, &b, keys, 4);
        for (size_t i = 0; i < h.n; i++) {
            sbuf_add(&b, "<tr class=\"history\">");
            td(&b, cell(&h, i, 0));
            sbuf_add(&b, "<td>");
            say_value(w, &b, "console.history.", cell(&h, i, 1));
            sbuf_add(&b, "</td>");
            td(&b, cell(&h, i, 2));
            sbuf_add(&b, "<td>");
            say_value(w, &b, "console.state.", cell(&h, i, 3));
            sbuf_add(&b, "</td></tr>");
        }
        sbuf_add(&b, "</table></div>");
    }
    rows_free(&h);
    return wc_page_send(req, out, &b, 200);
}

/* ==== routes =============================================================== */

typedef int (*page_fn)(struct webconsole *w, const struct kb_http_incoming *req,
                       struct kb_http_body *out, const struct session *s);

/* Signed in, then GET (or POST where the page takes one). */
static int serve(struct webconsole *w, const struct kb_http_incoming *req,
                 struct kb_http_body *out, page_fn get, page_fn post)
{
    struct session *s = wc_session(w, req);
    if (!s)
        return wc_page_message(w, req, out, NULL, "console.need_login", 401);
    if (!strcmp(req->method, "GET"))
        return get(w, req, out, s);
    if (post && !strcmp(req->method, "POST"))
        return post(w, req, out, s);
    return 405;
}

#define ROUTE(name, get, post)                                                            \
    static int serve_##name(void *ud, const struct kb_http_incoming *req,                 \
                            struct kb_http_body *out)                                     \
    {                                                                                     \
        return serve(ud, req, out, get, post);                                            \
    }
ROUTE(tasks, page_tasks, task_action)
ROUTE(polls, page_polls, NULL)
ROUTE(tally, page_tally, NULL)
ROUTE(tally_csv, tally_csv, NULL)
ROUTE(activity, page_activity, NULL)
ROUTE(audit, page_audit, NULL)
ROUTE(schedules, page_schedules, NULL)
ROUTE(history, page_history, NULL)

int wc_pages_route(struct webconsole *w, struct http_listener *l)
{
    static const struct { const char *path; kb_serve_fn fn; } routes[] = {
        {"/console/tasks", serve_tasks},         {"/console/polls", serve_polls},
        {"/console/tally", serve_tally},         {"/console/tally.csv", serve_tally_csv},
        {"/console/activity", serve_activity},   {"/console/audit", serve_audit},
        {"/console/schedules", serve_schedules}, {"/console/history", serve_history},
    };
    int rc = 0;
    for (size_t i = 0; !rc && i < sizeof routes / sizeof routes[0]; i++)
        rc = listener_route(l, routes[i].path, routes[i].fn, w, w);
    return rc;
}
