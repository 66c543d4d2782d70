/*
 * Beta bug hunts (找茬).  An operator turns a task into a bug hunt with a
 * report template and a reward table per severity (/bughunt).  Members
 * report with /bug: the whole template in one message, or, in a private
 * chat, one field at a time (a draft in bug_drafts, answered by plain
 * messages through the on_private hook).  Reviewers (configured operators:
 * triage pays) accept a report with a severity (/triage 9 major), refuse it
 * (/triage 9 invalid <why>) or mark it a duplicate of an earlier accepted
 * report (/dup 14 of 9): the first finder keeps the full reward, the
 * duplicate gets the task's share of it (default 0).  Every reward is a
 * ledger row with reason "bug" and ref "bug:<report>", so a report is paid
 * once however often it is triaged or replayed.
 */
#include "bughunt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "command.h"
#include "csv.h"
#include "defn.h"
#include "earn.h"
#include "standing.h"
#include "task.h"
#include "tell.h"

#define BUG_LIST_MAX 30
#define BUG_NOTE_MAX 500
#define FIELD_SEP '\x1f'   /* between the values of a stored report */

static const char *const severities[] = {"minor", "major", "critical"};

/* ==== the template and a report's fields (pure) ======================== */

/* Skip a list separator (',' or '，') and spaces. */
static const char *skip_sep(const char *p)
{
    p = command_skip_space(p);
    if (*p == ',')
        p++;
    else if (!strncmp(p, "，", 3) || !strncmp(p, "、", 3))
        p += 3;
    return command_skip_space(p);
}

int bug_template_parse(const char *spec, struct bug_template *t)
{
    memset(t, 0, sizeof *t);
    const char *p = skip_sep(spec);
    while (*p) {
        size_t n = 0;
        while (p[n] && p[n] != ',' && strncmp(p + n, "，", 3) && strncmp(p + n, "、", 3))
            n++;
        size_t len = 0;
        const char *name = command_trim_span(p, n, &len);
        int optional = 0;
        if (len && name[len - 1] == '?') {
            optional = 1;
            len--;
        } else if (len >= 3 && !strncmp(name + len - 3, "？", 3)) {
            optional = 1;
            len -= 3;
        }
        if (len == 0 || len > BUG_FIELD_NAME_MAX || t->n == BUG_FIELDS_MAX || memchr(name, ':', len) ||
            !utf8_valid(name, len))
            return KB_EINVAL;
        for (size_t i = 0; i < t->n; i++)
            if (strlen(t->name[i]) == len && !strncmp(t->name[i], name, len))
                return KB_EINVAL;
        memcpy(t->name[t->n], name, len);
        t->name[t->n][len] = '\0';
        t->required[t->n] = !optional;
        t->n++;
        p = skip_sep(p + n);
    }
    return t->n ? KB_OK : KB_EINVAL;
}

void bug_fields_free(struct bug_fields *f)
{
    for (size_t i = 0; i < BUG_FIELDS_MAX; i++)
        free(f->value[i]);
    memset(f, 0, sizeof *f);
}

static int field_index(const struct bug_template *t, const char *name, size_t len)
{
    for (size_t i = 0; i < t->n; i++) {
        if (strlen(t->name[i]) != len)
            continue;
        size_t k = 0; /* ASCII letters in any case, everything else exactly */
        while (k < len) {
            char a = name[k], b = t->name[i][k];
            if (a >= 'A' && a <= 'Z')
                a = (char)(a + 32);
            if (b >= 'A' && b <= 'Z')
                b = (char)(b + 32);
            if (a != b)
                break;
            k++;
        }
        if (k == len)
            return (int)i;
    }
    return -1;
}

/* Append text to a value, joining continuation lines with '\n'. */
static void value_append(char **v, const char *s, size_t n)
{
    struct sbuf b = {0};
    if (*v && **v) {
        sbuf_add(&b, *v);
        sbuf_addc(&b, '\n');
    }
    sbuf_addn(&b, s, n);
    free(*v);
    *v = sbuf_take(&b);
    if (!*v)
        *v = xstrdup("");
}

int bug_fields_parse(const struct bug_template *t, const char *text, struct bug_fields *f,
                     const char **err_key, char *bad, size_t bad_cap)
{
    memset(f, 0, sizeof *f);
    *err_key = NULL;
    bad[0] = '\0';
    int cur = -1;
    const char *p = text;
    while (*p) {
        /* a line ends at a line break or a semicolon (one-line reports:
           "场景：登录页；步骤：…"); a piece without a key continues the value */
        size_t n = 0, sep = 0;
        while (p[n] && p[n] != '\n' && p[n] != ';' && strncmp(p + n, "；", 3))
            n++;
        if (p[n])
            sep = p[n] == '\n' || p[n] == ';' ? 1 : 3;
        size_t len = 0;
        const char *line = command_trim_span(p, n, &len);
        p += n + sep;
        if (len == 0)
            continue;
        /* "key: value" or "key：value" */
        size_t colon = 0, skip = 0;
        for (size_t k = 0; k < len && k <= BUG_FIELD_NAME_MAX + 3; k++) {
            if (line[k] == ':') {
                colon = k;
                skip = 1;
                break;
            }
            if (!strncmp(line + k, "：", 3) && k + 3 <= len) {
                colon = k;
                skip = 3;
                break;
            }
        }
        int idx = -1;
        if (skip) {
            size_t klen = 0;
            const char *key = command_trim_span(line, colon, &klen);
            idx = field_index(t, key, klen);
            /* a short word before a colon that is no field: a typo, say so
               (a longer one is prose that happens to hold a colon) */
            if (idx < 0 && klen > 0 && klen <= 24 && !memchr(key, ' ', klen) && cur < 0) {
                *err_key = "bug.unknown_field";
                snprintf(bad, bad_cap, "%.*s", (int)klen, key);
                goto fail;
            }
        }
        if (idx >= 0) {
            cur = idx;
            size_t vlen = 0;
            const char *v = command_trim_span(line + colon + skip, len - colon - skip, &vlen);
            if (f->value[cur] && *f->value[cur]) {
                *err_key = "bug.twice";
                snprintf(bad, bad_cap, "%s", t->name[cur]);
                goto fail;
            }
            free(f->value[cur]);
            f->value[cur] = xstrndup(v, vlen);
        } else if (cur >= 0) {
            value_append(&f->value[cur], line, len);
        } else {
            *err_key = "bug.no_field";
            goto fail;
        }
        if (strlen(f->value[cur]) > BUG_VALUE_MAX || memchr(f->value[cur], FIELD_SEP, strlen(f->value[cur]))) {
            *err_key = "bug.too_long";
            snprintf(bad, bad_cap, "%s", t->name[cur]);
            goto fail;
        }
    }
    for (size_t i = 0; i < t->n; i++)
        if (!f->value[i])
            f->value[i] = xstrdup("");
    return KB_OK;
fail:
    bug_fields_free(f);
    return KB_EINVAL;
}

size_t bug_missing(const struct bug_template *t, const struct bug_fields *f, const char *lang,
                   struct sbuf *out)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (!t->required[i] || (f->value[i] && *f->value[i]))
            continue;
        if (n++)
            text_format(out, lang, "standing.sep", NOARGS);
        text_user(out, t->name[i]);
    }
    return n;
}

/* ==== the hunt's settings ============================================== */

struct hunt {
    int64_t task_id;
    struct bug_template tpl;
    int64_t points[3], cash[3];
    char currency[8];
    int64_t dup_share;        /* percent of the original's reward */
};

static int sev_index(const char *w)
{
    static const char *const zh[] = {"轻微", "严重", "致命"};
    for (int i = 0; i < 3; i++)
        if (!ascii_casecmp(w, severities[i]) || !strcmp(w, zh[i]))
            return i;
    return -1;
}

static void tpl_store(const struct bug_template *t, struct sbuf *out)
{
    for (size_t i = 0; i < t->n; i++) {
        if (i)
            sbuf_addc(out, ',');
        sbuf_add(out, t->name[i]);
        if (!t->required[i])
            sbuf_addc(out, '?');
    }
}

static int hunt_load(struct engine *e, int64_t task_id, struct hunt *h)
{
    memset(h, 0, sizeof *h);
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT fields, points_minor, points_major, points_critical, cash_minor,"
                                  " cash_major, cash_critical, currency, dup_share FROM bug_hunts WHERE task_id = ?",
                                  VALS(SI(task_id)));
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    if (rc == 1) {
        h->task_id = task_id;
        rc = bug_template_parse(store_text(s, 0), &h->tpl);
        for (int i = 0; i < 3; i++) {
            h->points[i] = store_int(s, 1 + i);
            h->cash[i] = store_int(s, 4 + i);
        }
        snprintf(h->currency, sizeof h->currency, "%s", store_text(s, 7));
        h->dup_share = store_int(s, 8);
    } else if (rc == 0) {
        rc = KB_ENOTFOUND;
    }
    store_done(s);
    return rc;
}

/* "points" or "points+cash" ("30", "30+20.50"). */
static int parse_reward(const char *w, int64_t *points, int64_t *cash)
{
    *cash = 0;
    const char *plus = strchr(w, '+');
    char head[24];
    size_t n = plus ? (size_t)(plus - w) : strlen(w);
    if (n == 0 || n >= sizeof head)
        return KB_EINVAL;
    memcpy(head, w, n);
    head[n] = '\0';
    if (parse_i64(head, 0, 1000000, points))
        return KB_EINVAL;
    return plus ? task_parse_cents(plus + 1, cash) : KB_OK;
}

/* "50" or "50%" in 0..100. */
static int parse_percent(const char *w, int64_t *pct)
{
    char buf[8];
    size_t n = strlen(w);
    if (n && w[n - 1] == '%')
        n--;
    if (n == 0 || n >= sizeof buf)
        return KB_EINVAL;
    memcpy(buf, w, n);
    buf[n] = '\0';
    return parse_i64(buf, 0, 100, pct);
}

/* /bughunt <task> [fields] [minor P[+C]] [major …] [critical …] [dup N] */
static int cmd_bughunt(struct cmd_ctx *c)
{
    const char *p = c->args;
    struct task_row t;
    int rc = task_from_arg(c, &p, &t, "bug.hunt_usage");
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    struct hunt h;
    int had = hunt_load(c->e, t.id, &h);
    if (had && had != KB_ENOTFOUND) {
        task_row_free(&t);
        return had;
    }
    if (had == KB_ENOTFOUND) { /* a new hunt: the catalogue's template, no rewards */
        bug_template_parse(text_get(c->lang, "bug.default_template"), &h.tpl);
        h.dup_share = c->e->set.bug_duplicate_share;
    }
    snprintf(h.currency, sizeof h.currency, "%s", *t.currency ? t.currency : "CNY");
    char *w = NULL;
    int64_t reports = 0;
    while (!rc && (w = command_next_word(&p)) != NULL) {
        int sev = sev_index(w);
        int is_dup = !ascii_casecmp(w, "dup") || !strcmp(w, "重复");
        if (sev >= 0 || is_dup) {
            char *v = command_next_word(&p);
            int64_t pts = 0, cash = 0;
            if (!v || (is_dup ? parse_percent(v, &pts) : parse_reward(v, &pts, &cash))) {
                rc = ctx_reply(c, "bug.hunt_usage", NOARGS);
                rc = rc ? rc : KB_ENOTFOUND;
            } else if (is_dup) {
                h.dup_share = pts;
            } else {
                h.points[sev] = pts;
                h.cash[sev] = cash;
            }
            free(v);
        } else if (bug_template_parse(w, &h.tpl)) {
            rc = ctx_reply(c, "bug.bad_template", ARGS(TI("max", BUG_FIELDS_MAX), TI("len", BUG_FIELD_NAME_MAX)));
            rc = rc ? rc : KB_ENOTFOUND;
        } else if (had == KB_OK && (rc = store_i64(c->st, &reports, "SELECT count(*) FROM bug_reports WHERE task_id = ?",
                                                   VALS(SI(t.id)))) == KB_OK && reports) {
            /* stored reports hold their values by the template's order */
            rc = ctx_reply(c, "bug.template_locked", ARGS(TI("id", t.id), TI("n", reports)));
            rc = rc ? rc : KB_ENOTFOUND;
        }
        free(w);
    }
    if (rc) {
        task_row_free(&t);
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    }
    struct sbuf fields = {0};
    tpl_store(&h.tpl, &fields);
    rc = store_exec(c->st,
                    "INSERT INTO bug_hunts(task_id, community_id, fields, points_minor, points_major, points_critical,"
                    " cash_minor, cash_major, cash_critical, currency, dup_share, created_by, created_at)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
                    " ON CONFLICT(task_id) DO UPDATE SET fields = ?3, points_minor = ?4, points_major = ?5,"
                    " points_critical = ?6, cash_minor = ?7, cash_major = ?8, cash_critical = ?9,"
                    " currency = ?10, dup_share = ?11",
                    VALS(SI(t.id), SI(c->comm.id), ST(fields.s), SI(h.points[0]), SI(h.points[1]),
                         SI(h.points[2]), SI(h.cash[0]), SI(h.cash[1]), SI(h.cash[2]), ST(h.currency),
                         SI(h.dup_share), SI(c->member_id), SI(c->now)));
    char target[32];
    snprintf(target, sizeof target, "task:%lld", (long long)t.id);
    if (!rc)
        rc = audit_add(c, "bug.hunt", target, fields.s);
    if (!rc) {
        struct sbuf tpl = {0}, r[3] = {{0}, {0}, {0}};
        for (size_t i = 0; i < h.tpl.n; i++) {
            if (i)
                text_format(&tpl, c->lang, "standing.sep", NOARGS);
            text_user(&tpl, h.tpl.name[i]);
            if (!h.tpl.required[i])
                text_format(&tpl, c->lang, "bug.optional", NOARGS);
        }
        for (int i = 0; i < 3; i++)
            earn_text(c->lang, h.points[i], h.cash[i], h.currency, &r[i]);
        rc = ctx_reply(c, "bug.hunt_set",
                       ARGS(TI("id", t.id), TU("title", t.title), TS("fields", tpl.s), TS("minor", r[0].s),
                            TS("major", r[1].s), TS("critical", r[2].s), TI("share", h.dup_share)));
        sbuf_free(&tpl);
        for (int i = 0; i < 3; i++)
            sbuf_free(&r[i]);
    }
    sbuf_free(&fields);
    task_row_free(&t);
    return rc;
}

/* ==== reporting ======================================================== */

/* The template as "场景：…\n步骤：…" for the usage reply. */
static void template_example(struct cmd_ctx *c, const struct bug_template *t, struct sbuf *out)
{
    for (size_t i = 0; i < t->n; i++) {
        struct sbuf name = {0}; /* escaped, not isolated: members copy these lines */
        text_user_block(&name, t->name[i]);
        sbuf_addc(out, '\n');
        text_format(out, c->lang, t->required[i] ? "bug.example_line" : "bug.example_line_optional",
                    ARGS(TS("field", name.s)));
        sbuf_free(&name);
    }
}

/* Fill an empty screenshot-like field from the message's attachment. */
static void attach_to_field(const struct bug_template *t, struct bug_fields *f, const char *att)
{
    static const char *const names[] = {"截图", "图片", "附件", "screenshot", "photo", "attachment"};
    if (!att)
        return;
    for (size_t i = 0; i < t->n; i++)
        for (size_t k = 0; k < KB_COUNT(names); k++)
            if (!*f->value[i] && field_index(t, names[k], strlen(names[k])) == (int)i) {
                free(f->value[i]);
                f->value[i] = xstrdup(att);
                return;
            }
}

static int report_insert(struct cmd_ctx *c, const struct task_row *t, const struct hunt *h,
                         const struct bug_fields *f, const char *att, const char *platform,
                         const char *chat_id)
{
    struct sbuf body = {0};
    for (size_t i = 0; i < h->tpl.n; i++) {
        if (i)
            sbuf_addc(&body, FIELD_SEP);
        sbuf_add(&body, f->value[i]);
    }
    int rc = store_exec(c->st,
                        "INSERT INTO bug_reports(task_id, community_id, member_id, body, attachment, platform,"
                        " chat_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        VALS(SI(t->id), SI(c->comm.id), SI(c->member_id), ST(body.s ? body.s : ""), ST(att),
                             ST(platform), ST(chat_id), SI(c->at)));
    sbuf_free(&body);
    if (rc)
        return rc;
    int64_t id = store_last_id(c->st);
    return ctx_reply(c, "bug.filed", ARGS(TI("bug", id), TI("id", t->id), TU("title", t->title)));
}

/* The bug hunt of the task named first in *p, open for reports; replies
   and returns KB_ENOTFOUND when it is not one or not open. */
static int open_hunt(struct cmd_ctx *c, const char **p, struct task_row *t, struct hunt *h)
{
    int rc = task_from_arg(c, p, t, "bug.usage");
    if (rc)
        return rc;
    rc = hunt_load(c->e, t->id, h);
    if (rc == KB_ENOTFOUND)
        rc = ctx_reply(c, "bug.not_a_hunt", ARGS(TI("id", t->id)));
    else if (!rc && (strcmp(t->state, "open") || (t->deadline && t->deadline <= c->now)))
        rc = ctx_reply(c, "bug.hunt_closed", ARGS(TI("id", t->id)));
    else if (!rc)
        return KB_OK;
    task_row_free(t);
    return rc ? rc : KB_ENOTFOUND;
}

/* Ask the draft's next field (step), or file it when none is left. */
static int draft_next(struct cmd_ctx *c, const struct hunt *h, int64_t step)
{
    if (step < (int64_t)h->tpl.n) {
        size_t i = (size_t)step;
        return ctx_reply(c, h->tpl.required[i] ? "bug.ask" : "bug.ask_optional",
                         ARGS(TI("n", step + 1), TI("of", h->tpl.n), TU("field", h->tpl.name[i])));
    }
    return KB_OK;
}

/* /bug <task> [report]: file a report, or start one field at a time. */
static int cmd_bug(struct cmd_ctx *c)
{
    const char *p = c->args;
    if (!ascii_casecmp(p, "cancel") || !strcmp(p, "取消")) {
        int rc = store_exec(c->st, "DELETE FROM bug_drafts WHERE member_id = ?", VALS(SI(c->member_id)));
        if (!rc)
            rc = ctx_reply(c, store_changes(c->st) ? "bug.draft_dropped" : "bug.no_draft", NOARGS);
        return rc;
    }
    struct task_row t;
    struct hunt h;
    int rc = open_hunt(c, &p, &t, &h);
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    const char *text = command_skip_space(p);
    int private = c->ev->chat_type == KB_CHAT_PRIVATE;
    if (!*text && !c->ev->attachment) {
        if (private) { /* step by step: a draft, the first question */
            rc = store_exec(c->st,
                            "INSERT OR REPLACE INTO bug_drafts(member_id, task_id, step, body, at)"
                            " VALUES (?, ?, 0, '', ?)",
                            VALS(SI(c->member_id), SI(t.id), SI(c->now)));
            if (!rc)
                rc = ctx_reply(c, "bug.step_start", ARGS(TI("id", t.id), TU("title", t.title)));
            if (!rc)
                rc = draft_next(c, &h, 0);
        } else {
            struct sbuf ex = {0}, b = {0};
            template_example(c, &h.tpl, &ex);
            text_format(&b, c->lang, "bug.how", ARGS(TI("id", t.id), TS("example", ex.s)));
            rc = ctx_reply_markup(c, b.s, 0);
            sbuf_free(&ex);
            sbuf_free(&b);
        }
        task_row_free(&t);
        return rc;
    }
    struct bug_fields f;
    const char *err = NULL;
    char bad[BUG_FIELD_NAME_MAX + 8];
    if (bug_fields_parse(&h.tpl, text, &f, &err, bad, sizeof bad)) {
        struct sbuf names = {0};
        for (size_t i = 0; i < h.tpl.n; i++) {
            if (i)
                text_format(&names, c->lang, "standing.sep", NOARGS);
            text_user(&names, h.tpl.name[i]);
        }
        rc = ctx_reply(c, err, ARGS(TU("field", bad), TS("fields", names.s), TI("max", BUG_VALUE_MAX)));
        sbuf_free(&names);
        task_row_free(&t);
        return rc;
    }
    attach_to_field(&h.tpl, &f, c->ev->attachment);
    struct sbuf missing = {0};
    if (bug_missing(&h.tpl, &f, c->lang, &missing))
        rc = ctx_reply(c, "bug.missing", ARGS(TS("fields", missing.s), TI("id", t.id)));
    else
        rc = report_insert(c, &t, &h, &f, c->ev->attachment, c->ev->platform, c->ev->chat_id);
    sbuf_free(&missing);
    bug_fields_free(&f);
    task_row_free(&t);
    return rc;
}

/* A plain message in a private chat: the answer to the draft's question. */
static int bug_on_private(struct cmd_ctx *c)
{
    sqlite3_stmt *s = store_query(c->st, "SELECT task_id, step, body FROM bug_drafts WHERE member_id = ?",
                                  VALS(SI(c->member_id)));
    if (!s)
        return store_failure(c->st);
    int rc = store_step(c->st, s);
    int64_t task_id = rc == 1 ? store_int(s, 0) : 0, step = rc == 1 ? store_int(s, 1) : 0;
    char *body = rc == 1 ? xstrdup(store_text(s, 2)) : NULL;
    store_done(s);
    if (rc != 1) {
        free(body);
        return rc < 0 ? rc : KB_OK; /* nothing asked: chatter */
    }
    struct task_row t;
    struct hunt h;
    rc = task_load(c->e, c->comm.id, task_id, &t);
    if (rc == KB_ENOTFOUND) { /* the draft is another community's: leave it */
        free(body);
        return KB_OK;
    }
    if (!rc && (rc = hunt_load(c->e, task_id, &h)) == KB_ENOTFOUND)
        rc = KB_ESTORE;
    if (rc) {
        free(body);
        task_row_free(&t);
        return rc;
    }
    if (step >= (int64_t)h.tpl.n) /* the template shrank meanwhile */
        step = (int64_t)h.tpl.n - 1;
    size_t i = (size_t)step;
    const char *answer = c->args;
    int skip = !ascii_casecmp(answer, "skip") || !strcmp(answer, "跳过") || !strcmp(answer, "-");
    if (skip && h.tpl.required[i]) {
        rc = ctx_reply(c, "bug.required", ARGS(TU("field", h.tpl.name[i])));
    } else if (strlen(answer) > BUG_VALUE_MAX || strchr(answer, FIELD_SEP)) {
        rc = ctx_reply(c, "bug.too_long", ARGS(TU("field", h.tpl.name[i]), TI("max", BUG_VALUE_MAX)));
    } else if (strcmp(t.state, "open") || (t.deadline && t.deadline <= c->now)) {
        rc = store_exec(c->st, "DELETE FROM bug_drafts WHERE member_id = ?", VALS(SI(c->member_id)));
        if (!rc)
            rc = ctx_reply(c, "bug.hunt_closed", ARGS(TI("id", t.id)));
    } else {
        struct sbuf nb = {0};
        sbuf_add(&nb, body);
        if (step)
            sbuf_addc(&nb, FIELD_SEP);
        sbuf_add(&nb, skip ? (c->ev->attachment ? c->ev->attachment : "") : answer);
        if (step + 1 < (int64_t)h.tpl.n) {
            rc = store_exec(c->st, "UPDATE bug_drafts SET step = ?, body = ?, at = ? WHERE member_id = ?",
                            VALS(SI(step + 1), ST(nb.s), SI(c->now), SI(c->member_id)));
            if (!rc)
                rc = draft_next(c, &h, step + 1);
        } else { /* the last answer: the draft becomes a report */
            struct bug_fields f = {0};
            const char *q = nb.s;
            for (size_t k = 0; k < h.tpl.n; k++) {
                size_t n = strcspn(q, "\x1f");
                f.value[k] = xstrndup(q, n);
                q += n + (q[n] == FIELD_SEP);
            }
            rc = store_exec(c->st, "DELETE FROM bug_drafts WHERE member_id = ?", VALS(SI(c->member_id)));
            if (!rc)
                rc = report_insert(c, &t, &h, &f, NULL, c->ev->platform, c->ev->chat_id);
            bug_fields_free(&f);
        }
        sbuf_free(&nb);
    }
    free(body);
    task_row_free(&t);
    return rc;
}

/* ==== triage =========================================================== */

struct report {
    int64_t id, task_id, member_id, dup_of;
    char state[12], severity[12];
    char *platform, *chat_id;
};

static void report_free(struct report *r)
{
    free(r->platform);
    free(r->chat_id);
}

static int report_load(struct cmd_ctx *c, int64_t id, struct report *r)
{
    memset(r, 0, sizeof *r);
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT task_id, member_id, coalesce(dup_of, 0), state, coalesce(severity, ''),"
                                  " platform, chat_id FROM bug_reports WHERE id = ? AND community_id = ?",
                                  VALS(SI(id), SI(c->comm.id)));
    if (!s)
        return store_failure(c->st);
    int rc = store_step(c->st, s);
    if (rc == 1) {
        r->id = id;
        r->task_id = store_int(s, 0);
        r->member_id = store_int(s, 1);
        r->dup_of = store_int(s, 2);
        snprintf(r->state, sizeof r->state, "%s", store_text(s, 3));
        snprintf(r->severity, sizeof r->severity, "%s", store_text(s, 4));
        r->platform = xstrdup(store_text(s, 5));
        r->chat_id = xstrdup(store_text(s, 6));
        rc = KB_OK;
    } else if (rc == 0) {
        rc = KB_ENOTFOUND;
    }
    store_done(s);
    return rc;
}

/* The report named by the next word of *p; replies and KB_ENOTFOUND when
   the word is no id or names no report. */
static int report_from_arg(struct cmd_ctx *c, const char **p, struct report *r, const char *usage)
{
    char *w = command_next_word(p);
    int64_t id = 0;
    int bad = !w || task_parse_id(w, &id);
    free(w);
    int rc = bad ? KB_ENOTFOUND : report_load(c, id, r);
    if (rc == KB_ENOTFOUND) {
        rc = bad ? ctx_reply(c, usage, NOARGS) : ctx_reply(c, "bug.report_not_found", ARGS(TI("bug", id)));
        return rc ? rc : KB_ENOTFOUND;
    }
    return rc;
}

static int refuse_decided(struct cmd_ctx *c, const struct report *r)
{
    char key[32];
    snprintf(key, sizeof key, "bug.state.%s", r->state);
    return ctx_reply(c, "bug.already_decided", ARGS(TI("bug", r->id), TS("state", text_get(c->lang, key))));
}

/* Pay a report: points and cash rows "bug:<id>" (once: the ledger's
   uniqueness), and the task counted as done for the member's level. */
static int pay_report(struct cmd_ctx *c, const struct task_row *t, const struct report *r, int64_t points,
                      int64_t cash, const char *currency, const char *note)
{
    char ref[40];
    snprintf(ref, sizeof ref, "bug:%lld", (long long)r->id);
    struct earning w = {.reason = "bug", .ref = ref, .note = note, .points = points, .cash = cash,
                        .currency = currency};
    int rc = earn(c, r->member_id, &w);
    char task_ref[32];
    snprintf(task_ref, sizeof task_ref, "task:%lld", (long long)t->id);
    if (!rc)
        rc = standing_task_completed(c->e, c->comm.id, r->member_id, task_ref, t->tier, c->now);
    return rc;
}

static void sev_text(struct cmd_ctx *c, const char *sev, struct sbuf *out)
{
    char key[32];
    snprintf(key, sizeof key, "bug.sev.%s", sev);
    text_format(out, c->lang, key, NOARGS);
}

/* /triage <report> minor|major|critical [note] · /triage <report> invalid <reason> */
static int cmd_triage(struct cmd_ctx *c)
{
    const char *p = c->args;
    struct report r;
    int rc = report_from_arg(c, &p, &r, "bug.triage_usage");
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    char *verdict = command_next_word(&p);
    const char *note = command_skip_space(p);
    int sev = verdict ? sev_index(verdict) : -1;
    int invalid = verdict && (!ascii_casecmp(verdict, "invalid") || !strcmp(verdict, "无效"));
    struct task_row t = {0};
    struct hunt h;
    if ((sev < 0 && !invalid) || (invalid && !*note)) {
        rc = ctx_reply(c, "bug.triage_usage", NOARGS);
    } else if (strlen(note) > BUG_NOTE_MAX) {
        rc = ctx_reply(c, "task.note_too_long", ARGS(TI("max", BUG_NOTE_MAX)));
    } else if (strcmp(r.state, "open")) {
        rc = refuse_decided(c, &r);
    } else if (r.member_id == c->member_id && !ctx_is_owner(c)) {
        rc = ctx_reply(c, "bug.own_report", ARGS(TI("bug", r.id)));
    } else if (!(rc = task_load(c->e, c->comm.id, r.task_id, &t)) && !(rc = hunt_load(c->e, r.task_id, &h))) {
        rc = store_exec(c->st,
                        "UPDATE bug_reports SET state = ?, severity = ?, decided_by = ?, decided_at = ?, note = ?"
                        " WHERE id = ? AND state = 'open'",
                        VALS(ST(invalid ? "invalid" : "accepted"), invalid ? SN : ST(severities[sev]),
                             SI(c->member_id), SI(c->now), ST(note), SI(r.id)));
        if (!rc && store_changes(c->st) != 1)
            rc = KB_ESTORE;
        if (!rc && !invalid)
            rc = pay_report(c, &t, &r, h.points[sev], h.cash[sev], h.currency, note);
        char target[32];
        snprintf(target, sizeof target, "bug:%lld", (long long)r.id);
        if (!rc)
            rc = audit_add(c, invalid ? "bug.invalid" : "bug.accept", target, invalid ? note : severities[sev]);
        struct sbuf b = {0}, sv = {0}, reward = {0};
        if (!rc && invalid) {
            text_format(&b, c->lang, "bug.told_invalid",
                        ARGS(TI("bug", r.id), TI("id", t.id), TU("title", t.title), TU("reason", note)));
        } else if (!rc) {
            sev_text(c, severities[sev], &sv);
            earn_text(c->lang, h.points[sev], h.cash[sev], h.currency, &reward);
            text_format(&b, c->lang, "bug.told_accepted",
                        ARGS(TI("bug", r.id), TI("id", t.id), TU("title", t.title), TS("sev", sv.s),
                             TS("reward", reward.s)));
        }
        int sent = 0;
        if (!rc)
            rc = tell_member(c->e, r.member_id, c->lang, b.s, r.platform, r.chat_id, c->now, &sent);
        if (!rc)
            rc = ctx_reply(c, invalid ? "bug.invalid_ack" : "bug.accepted_ack",
                           ARGS(TI("bug", r.id), TS("sev", sbuf_str(&sv)), TS("reward", sbuf_str(&reward))));
        sbuf_free(&b);
        sbuf_free(&sv);
        sbuf_free(&reward);
    } else if (rc == KB_ENOTFOUND) {
        rc = KB_ESTORE; /* a report of a task that is no hunt: cannot be */
    }
    free(verdict);
    task_row_free(&t);
    report_free(&r);
    return rc;
}

/* /dup <report> of <earlier report> */
static int cmd_dup(struct cmd_ctx *c)
{
    const char *p = c->args;
    struct report r, orig = {0};
    int rc = report_from_arg(c, &p, &r, "bug.dup_usage");
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    const char *after = p; /* "of" between the two ids is optional */
    char *of = command_next_word(&after);
    if (of && (!ascii_casecmp(of, "of") || !strcmp(of, "是")))
        p = after;
    free(of);
    struct task_row t = {0};
    struct hunt h;
    rc = report_from_arg(c, &p, &orig, "bug.dup_usage");
    if (rc) {
        report_free(&r);
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    }
    if (*command_skip_space(p)) {
        rc = ctx_reply(c, "bug.dup_usage", NOARGS);
        goto out;
    }
    /* a duplicate of a duplicate is one of the report it duplicates */
    if (!strcmp(orig.state, "duplicate") && orig.dup_of) {
        int64_t root = orig.dup_of;
        report_free(&orig);
        rc = report_load(c, root, &orig);
        if (rc)
            goto out;
    }
    if (orig.id == r.id) {
        rc = ctx_reply(c, "bug.dup_self", ARGS(TI("bug", r.id)));
    } else if (orig.task_id != r.task_id) {
        rc = ctx_reply(c, "bug.dup_other_task", ARGS(TI("bug", r.id), TI("orig", orig.id)));
    } else if (orig.id > r.id) {
        rc = ctx_reply(c, "bug.dup_later", ARGS(TI("bug", r.id), TI("orig", orig.id)));
    } else if (strcmp(r.state, "open")) {
        rc = refuse_decided(c, &r);
    } else if (strcmp(orig.state, "accepted")) {
        rc = ctx_reply(c, "bug.dup_orig_open", ARGS(TI("orig", orig.id)));
    } else if (r.member_id == c->member_id && !ctx_is_owner(c)) {
        rc = ctx_reply(c, "bug.own_report", ARGS(TI("bug", r.id)));
    } else if (!(rc = task_load(c->e, c->comm.id, r.task_id, &t)) && !(rc = hunt_load(c->e, r.task_id, &h))) {
        int sev = sev_index(orig.severity);
        int64_t points = sev >= 0 ? h.points[sev] * h.dup_share / 100 : 0;
        int64_t cash = sev >= 0 ? h.cash[sev] * h.dup_share / 100 : 0;
        rc = store_exec(c->st,
                        "UPDATE bug_reports SET state = 'duplicate', dup_of = ?, severity = ?, decided_by = ?,"
                        " decided_at = ? WHERE id = ? AND state = 'open'",
                        VALS(SI(orig.id), ST(orig.severity), SI(c->member_id), SI(c->now), SI(r.id)));
        if (!rc && store_changes(c->st) != 1)
            rc = KB_ESTORE;
        char note[48];
        snprintf(note, sizeof note, "duplicate of bug:%lld", (long long)orig.id);
        if (!rc && (points || cash))
            rc = pay_report(c, &t, &r, points, cash, h.currency, note);
        char target[32];
        snprintf(target, sizeof target, "bug:%lld", (long long)r.id);
        if (!rc)
            rc = audit_add(c, "bug.duplicate", target, note);
        struct sbuf share = {0}, b = {0};
        earn_text(c->lang, points, cash, h.currency, &share);
        int sent = 0;
        if (!rc) {
            text_format(&b, c->lang, points || cash ? "bug.told_duplicate_share" : "bug.told_duplicate",
                        ARGS(TI("bug", r.id), TI("orig", orig.id), TI("id", t.id), TU("title", t.title),
                             TS("reward", share.s)));
            rc = tell_member(c->e, r.member_id, c->lang, b.s, r.platform, r.chat_id, c->now, &sent);
        }
        if (!rc) { /* the first finder hears that their report was confirmed by another */
            b.len = 0;
            text_format(&b, c->lang, "bug.told_original",
                        ARGS(TI("bug", r.id), TI("orig", orig.id), TI("id", t.id), TU("title", t.title)));
            rc = tell_member(c->e, orig.member_id, c->lang, b.s, orig.platform, orig.chat_id, c->now, &sent);
        }
        if (!rc)
            rc = ctx_reply(c, "bug.dup_ack", ARGS(TI("bug", r.id), TI("orig", orig.id), TS("reward", share.s)));
        sbuf_free(&share);
        sbuf_free(&b);
    } else if (rc == KB_ENOTFOUND) {
        rc = KB_ESTORE;
    }
out:
    task_row_free(&t);
    report_free(&r);
    report_free(&orig);
    return rc;
}

/* ==== listing and export =============================================== */

/* What a report was paid: points and cash (one currency per hunt). */
static void report_paid(struct cmd_ctx *c, int64_t member, int64_t id, int64_t *points, int64_t *cash)
{
    char ref[40];
    snprintf(ref, sizeof ref, "bug:%lld", (long long)id);
    *points = *cash = 0;
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT coalesce(sum(amount) FILTER (WHERE kind = 'points'), 0),"
                                  " coalesce(sum(amount) FILTER (WHERE kind = 'cash'), 0)"
                                  " FROM ledger WHERE member_id = ? AND reason = 'bug' AND ref = ?",
                                  VALS(SI(member), ST(ref)));
    if (s && store_step(c->st, s) == 1) {
        *points = store_int(s, 0);
        *cash = store_int(s, 1);
    }
    store_done(s);
}

static void csv_int(struct sbuf *out, int64_t n, int cents)
{
    char buf[32];
    if (cents)
        snprintf(buf, sizeof buf, "%s%lld.%02lld", n < 0 ? "-" : "", (long long)(n < 0 ? -n : n) / 100,
                 (long long)(n < 0 ? -n : n) % 100);
    else
        snprintf(buf, sizeof buf, "%lld", (long long)n);
    csv_field(out, buf);
}

/* /bugs <task> [export] */
static int cmd_bugs(struct cmd_ctx *c)
{
    const char *p = c->args;
    struct task_row t;
    int rc = task_from_arg(c, &p, &t, "bug.bugs_usage");
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    char *w = command_next_word(&p);
    int csv = w && !ascii_casecmp(w, "export");
    struct hunt h;
    if (w && !csv) {
        rc = ctx_reply(c, "bug.bugs_usage", NOARGS);
        goto done;
    }
    rc = hunt_load(c->e, t.id, &h);
    if (rc == KB_ENOTFOUND) {
        rc = ctx_reply(c, "bug.not_a_hunt", ARGS(TI("id", t.id)));
        goto done;
    }
    if (rc)
        goto done;
    /* open first, then accepted by severity, duplicates, invalid */
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT id, member_id, state, coalesce(severity, ''), coalesce(dup_of, 0), body,"
                                  " coalesce(attachment, ''), at FROM bug_reports WHERE task_id = ?"
                                  " ORDER BY CASE state WHEN 'open' THEN 0 WHEN 'accepted' THEN 1"
                                  " WHEN 'duplicate' THEN 2 ELSE 3 END,"
                                  " CASE severity WHEN 'critical' THEN 0 WHEN 'major' THEN 1 WHEN 'minor' THEN 2 ELSE 3 END,"
                                  " id",
                                  VALS(SI(t.id)));
    if (!s) {
        rc = store_failure(c->st);
        goto done;
    }
    struct sbuf lines = {0}, out = {0};
    int64_t count[4] = {0}, sevs[3] = {0}, shown = 0;
    static const char *const states[] = {"open", "accepted", "duplicate", "invalid"};
    if (csv) {
        const char *head[] = {"report", "member", "handle", "state", "severity", "duplicate_of", "points",
                              "cash", "currency", "reported_at"};
        for (size_t i = 0; i < KB_COUNT(head); i++) {
            if (i)
                sbuf_addc(&lines, ',');
            csv_field(&lines, head[i]);
        }
        for (size_t i = 0; i < h.tpl.n; i++) {
            sbuf_addc(&lines, ',');
            csv_field(&lines, h.tpl.name[i]);
        }
        sbuf_addc(&lines, '\n');
    }
    while ((rc = store_step(c->st, s)) == 1) {
        int64_t id = store_int(s, 0), member = store_int(s, 1), dup = store_int(s, 4);
        const char *state = store_text(s, 2), *sev = store_text(s, 3);
        for (int i = 0; i < 4; i++)
            count[i] += !strcmp(state, states[i]);
        for (int i = 0; i < 3; i++)
            sevs[i] += !strcmp(state, "accepted") && !strcmp(sev, severities[i]);
        if (csv) {
            int64_t points = 0, cash = 0;
            report_paid(c, member, id, &points, &cash);
            char when[32];
            when_format(store_int(s, 7), c->comm.tz, when, sizeof when);
            sqlite3_stmt *m = store_query(c->st, "SELECT name, coalesce(handle, '') FROM members WHERE id = ?",
                                          VALS(SI(member)));
            const char *name = "", *hd = "";
            if (m && store_step(c->st, m) == 1) {
                name = store_text(m, 0);
                hd = store_text(m, 1);
            }
            csv_int(&lines, id, 0);
            sbuf_addc(&lines, ',');
            csv_field(&lines, name);
            sbuf_addc(&lines, ',');
            csv_field(&lines, hd);
            store_done(m);
            const char *rest[] = {state, sev};
            for (int i = 0; i < 2; i++) {
                sbuf_addc(&lines, ',');
                csv_field(&lines, rest[i]);
            }
            sbuf_addc(&lines, ',');
            if (dup)
                csv_int(&lines, dup, 0);
            sbuf_addc(&lines, ',');
            csv_int(&lines, points, 0);
            sbuf_addc(&lines, ',');
            csv_int(&lines, cash, 1);
            sbuf_addc(&lines, ',');
            csv_field(&lines, cash ? h.currency : "");
            sbuf_addc(&lines, ',');
            csv_field(&lines, when);
            const char *v = store_text(s, 5);
            for (size_t i = 0; i < h.tpl.n; i++) {
                size_t n = strcspn(v, "\x1f");
                char *one = xstrndup(v, n);
                sbuf_addc(&lines, ',');
                csv_field(&lines, one);
                free(one);
                v += n + (v[n] == FIELD_SEP);
            }
            sbuf_addc(&lines, '\n');
        } else if (shown < BUG_LIST_MAX) {
            struct sbuf who = {0}, st = {0}, first = {0};
            task_mention(c->e, member, &who);
            char key[32];
            snprintf(key, sizeof key, "bug.state.%s", state);
            text_format(&st, c->lang, key, NOARGS);
            if (*sev) {
                sbuf_add(&st, " · ");
                sev_text(c, sev, &st);
            }
            if (dup) {
                sbuf_add(&st, " · ");
                text_format(&st, c->lang, "bug.of", ARGS(TI("orig", dup)));
            }
            const char *v = store_text(s, 5);
            size_t n = strcspn(v, "\x1f\n");
            size_t cut = utf8_clip(v, n, 60);
            char *one = xstrndup(v, cut);
            text_user(&first, one);
            if (cut < n)
                sbuf_add(&first, "…");
            free(one);
            sbuf_addc(&lines, '\n');
            text_format(&lines, c->lang, "bug.line",
                        ARGS(TI("bug", id), TS("state", st.s), TS("who", who.s), TS("first", first.s)));
            sbuf_free(&who);
            sbuf_free(&st);
            sbuf_free(&first);
            shown++;
        }
    }
    store_done(s);
    if (rc == 0) {
        rc = KB_OK;
        int64_t total = count[0] + count[1] + count[2] + count[3];
        if (csv) {
            if (lines.len && lines.s[lines.len - 1] == '\n')
                lines.s[--lines.len] = '\0';
            text_format(&out, c->lang, "bug.csv_head", ARGS(TI("id", t.id)));
            sbuf_add(&out, "\n<code>");
            text_user_block(&out, lines.s);
            sbuf_add(&out, "</code>");
        } else {
            text_format(&out, c->lang, "bug.bugs_head",
                        ARGS(TI("id", t.id), TU("title", t.title), TI("n", total), TI("open", count[0]),
                             TI("accepted", count[1]), TI("critical", sevs[2]), TI("major", sevs[1]),
                             TI("minor", sevs[0]), TI("dup", count[2]), TI("invalid", count[3])));
            sbuf_add(&out, sbuf_str(&lines));
            if (total > shown)
                text_format(&out, c->lang, "bug.more", ARGS(TI("n", total - shown), TI("id", t.id)));
        }
        rc = ctx_reply_markup(c, out.s, 0);
    }
    sbuf_free(&lines);
    sbuf_free(&out);
done:
    free(w);
    task_row_free(&t);
    return rc;
}

/* ==== the module ======================================================= */

static const char *const migrations[] = {
    /* 1: hunts (a task's template and reward table), reports, drafts */
    "CREATE TABLE bug_hunts ("
    "  task_id INTEGER PRIMARY KEY REFERENCES tasks(id),"
    "  community_id INTEGER NOT NULL,"
    "  fields TEXT NOT NULL,"                 /* "场景,步骤,期望,实际,截图?" */
    "  points_minor INTEGER NOT NULL DEFAULT 0 CHECK (points_minor >= 0),"
    "  points_major INTEGER NOT NULL DEFAULT 0 CHECK (points_major >= 0),"
    "  points_critical INTEGER NOT NULL DEFAULT 0 CHECK (points_critical >= 0),"
    "  cash_minor INTEGER NOT NULL DEFAULT 0 CHECK (cash_minor >= 0),"  /* cents */
    "  cash_major INTEGER NOT NULL DEFAULT 0 CHECK (cash_major >= 0),"
    "  cash_critical INTEGER NOT NULL DEFAULT 0 CHECK (cash_critical >= 0),"
    "  currency TEXT NOT NULL DEFAULT 'CNY',"
    "  dup_share INTEGER NOT NULL DEFAULT 0 CHECK (dup_share BETWEEN 0 AND 100)," /* percent */
    "  created_by INTEGER,"
    "  created_at INTEGER NOT NULL"
    ") STRICT;"
    "CREATE TABLE bug_reports ("
    "  id INTEGER PRIMARY KEY,"
    "  task_id INTEGER NOT NULL REFERENCES tasks(id),"
    "  community_id INTEGER NOT NULL,"
    "  member_id INTEGER NOT NULL REFERENCES members(id),"
    "  body TEXT NOT NULL,"                   /* the values in template order, \\x1f between */
    "  attachment TEXT,"
    "  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open','accepted','duplicate','invalid')),"
    "  severity TEXT CHECK (severity IN ('minor','major','critical')),"
    "  dup_of INTEGER REFERENCES bug_reports(id),"
    "  platform TEXT NOT NULL,"               /* where it was filed: the verdict's fallback */
    "  chat_id TEXT NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  decided_by INTEGER,"
    "  decided_at INTEGER,"
    "  note TEXT NOT NULL DEFAULT '',"
    "  CHECK ((state = 'duplicate') = (dup_of IS NOT NULL))"
    ") STRICT;"
    "CREATE INDEX bug_reports_task ON bug_reports(task_id, state);"
    "CREATE TABLE bug_drafts ("                /* one report being filled in, field by field */
    "  member_id INTEGER PRIMARY KEY REFERENCES members(id),"
    "  task_id INTEGER NOT NULL REFERENCES tasks(id),"
    "  step INTEGER NOT NULL,"                 /* the field asked */
    "  body TEXT NOT NULL,"
    "  at INTEGER NOT NULL"
    ") STRICT;",
};

static const struct cmd_spec commands[] = {
    {"bug", cmd_bug, 0, "bug.help", "找茬"},
    {"bughunt", cmd_bughunt, CMD_OPERATOR, "bug.help.hunt", "找茬任务"},
    {"triage", cmd_triage, CMD_LEDGER, "bug.help.triage", "定级"},
    {"dup", cmd_dup, CMD_LEDGER, "bug.help.dup", "重复"},
    {"bugs", cmd_bugs, CMD_OPERATOR, "bug.help.bugs", "问题列表"},
};

static const struct text_entry texts[] = {
    {"bug.help", "/bug &lt;任务&gt; [报告] — 提交找茬报告（私聊我只发 /bug &lt;任务&gt;，逐项填写）",
     "/bug &lt;task&gt; [report] — report a bug (in a private chat, /bug &lt;task&gt; alone asks field by field)"},
    {"bug.help.hunt", "/bughunt &lt;任务&gt; [字段,字段?…] [minor 10] [major 30+20] [critical 100+50] [dup 50] — 设为找茬任务：报告模板、按严重程度的奖励（积分+现金）、重复报告的比例（%）",
     "/bughunt &lt;task&gt; [field,field?…] [minor 10] [major 30+20] [critical 100+50] [dup 50] — make a bug hunt: the report template, rewards by severity (points+cash), the share of a duplicate, in %"},
    {"bug.help.triage", "/triage &lt;报告&gt; minor|major|critical [备注] · /triage &lt;报告&gt; invalid &lt;原因&gt; — 定级并发放奖励，或判为无效",
     "/triage &lt;report&gt; minor|major|critical [note] · /triage &lt;report&gt; invalid &lt;reason&gt; — accept with a severity (pays the reward) or refuse"},
    {"bug.help.dup", "/dup &lt;报告&gt; of &lt;更早的报告&gt; — 标记为重复报告", "/dup &lt;report&gt; of &lt;earlier report&gt; — mark a duplicate"},
    {"bug.help.bugs", "/bugs &lt;任务&gt; [export] — 按状态和严重程度列出报告（export：CSV）",
     "/bugs &lt;task&gt; [export] — reports by state and severity (export: CSV)"},
    {"audit.bug.hunt", "设置找茬任务", "set up a bug hunt"},
    {"audit.bug.accept", "采纳问题报告", "accepted a bug report"},
    {"audit.bug.invalid", "判定报告无效", "refused a bug report"},
    {"audit.bug.duplicate", "标记重复报告", "marked a duplicate report"},
    {"bug.default_template", "场景,步骤,期望,实际,截图?", "scene,steps,expected,actual,screenshot?"},
    {"bug.usage", "用法：/bug &lt;任务编号&gt; 后面换行写“字段：内容”，或私聊我发送 /bug &lt;任务编号&gt; 逐项填写。",
     "Usage: /bug &lt;task id&gt; followed by “field: value” lines, or /bug &lt;task id&gt; in a private chat with me to fill it in step by step."},
    {"bug.hunt_usage", "用法：/bughunt &lt;任务编号&gt; [场景,步骤,期望,实际,截图?] [minor 10] [major 30+20] [critical 100+50] [dup 50]（字段后加 ? 表示选填；奖励写“积分”或“积分+现金”）",
     "Usage: /bughunt &lt;task id&gt; [scene,steps,expected,actual,screenshot?] [minor 10] [major 30+20] [critical 100+50] [dup 50] (a ? after a field makes it optional; a reward is “points” or “points+cash”)"},
    {"bug.bad_template", "⚠️ 报告模板最多 {max} 个字段，用逗号分隔，每个不超过 {len} 字节，不能重复、不能含冒号。",
     "⚠️ A report template has at most {max} fields, comma separated, each at most {len} bytes, no repeats, no colons."},
    {"bug.template_locked", "⚠️ 任务 #{id} 已有 {n} 份报告，报告模板不能再改（奖励和重复比例仍可修改）。",
     "⚠️ Task #{id} already has {n} {n|report|reports}: its template can no longer change (the rewards and the duplicate share still can)."},
    {"bug.optional", "（选填）", " (optional)"},
    {"bug.hunt_set", "🐞 任务 #{id}「{title}」是找茬任务了。\n报告字段：{fields}\n奖励：轻微 {minor} · 严重 {major} · 致命 {critical}\n重复报告可得原报告奖励的 {share}%",
     "🐞 Task #{id} “{title}” is a bug hunt.\nReport fields: {fields}\nRewards: minor {minor} · major {major} · critical {critical}\nA duplicate gets {share}% of the original's reward"},
    {"bug.not_a_hunt", "⚠️ 任务 #{id} 不是找茬任务。", "⚠️ Task #{id} is not a bug hunt."},
    {"bug.hunt_closed", "🔒 找茬任务 #{id} 已不再接收报告。", "🔒 Bug hunt #{id} no longer takes reports."},
    {"bug.how", "🐞 按这个格式在一条消息里提交，字段之间换行或用“；”隔开（也可以私聊我发送 /bug {id}，我逐项问你）：\n/bug {id}{example}",
     "🐞 Send it in one message like this, a line break or “;” between fields (or send /bug {id} to me in a private chat and I ask field by field):\n/bug {id}{example}"},
    {"bug.example_line", "{field}：…", "{field}: …"},
    {"bug.example_line_optional", "{field}：…（选填）", "{field}: … (optional)"},
    {"bug.unknown_field", "⚠️ 没有“{field}”这个字段。字段是：{fields}", "⚠️ There is no field “{field}”. The fields: {fields}"},
    {"bug.twice", "⚠️ 字段“{field}”写了两次。", "⚠️ The field “{field}” is given twice."},
    {"bug.no_field", "⚠️ 每项以“字段：内容”开头。字段是：{fields}", "⚠️ Start each part with “field: value”. The fields: {fields}"},
    {"bug.too_long", "⚠️ 字段“{field}”太长了（最多 {max} 字节）。", "⚠️ The field “{field}” is too long (at most {max} bytes)."},
    {"bug.missing", "⚠️ 还缺必填字段：{fields}。补全后再发一次 /bug {id}。", "⚠️ Required fields missing: {fields}. Send /bug {id} again with them."},
    {"bug.filed", "🐞 已收到报告 #{bug}（任务 #{id}「{title}」），审核后会告诉你结果。",
     "🐞 Report #{bug} received (task #{id} “{title}”); you will hear the verdict."},
    {"bug.step_start", "🐞 任务 #{id}「{title}」的找茬报告，我逐项问你（选填项回复“跳过”，发送 /bug cancel 放弃）。",
     "🐞 A report for task #{id} “{title}”: I ask field by field (answer “skip” to an optional one, /bug cancel to stop)."},
    {"bug.ask", "{n}/{of} {field}：", "{n}/{of} {field}:"},
    {"bug.ask_optional", "{n}/{of} {field}（选填，可回复“跳过”）：", "{n}/{of} {field} (optional, “skip” to leave it out):"},
    {"bug.required", "⚠️ “{field}”是必填项，请写一下。", "⚠️ “{field}” is required; please fill it in."},
    {"bug.draft_dropped", "已放弃正在填写的报告。", "The report you were filling in is dropped."},
    {"bug.no_draft", "你没有正在填写的报告。", "You have no report in progress."},
    {"bug.triage_usage", "用法：/triage &lt;报告编号&gt; minor|major|critical [备注]，或 /triage &lt;报告编号&gt; invalid &lt;原因&gt;",
     "Usage: /triage &lt;report&gt; minor|major|critical [note], or /triage &lt;report&gt; invalid &lt;reason&gt;"},
    {"bug.dup_usage", "用法：/dup &lt;报告编号&gt; of &lt;更早的报告编号&gt;", "Usage: /dup &lt;report&gt; of &lt;earlier report&gt;"},
    {"bug.bugs_usage", "用法：/bugs &lt;任务编号&gt; [export]", "Usage: /bugs &lt;task id&gt; [export]"},
    {"bug.report_not_found", "⚠️ 没有编号为 #{bug} 的报告。", "⚠️ There is no report #{bug}."},
    {"bug.already_decided", "报告 #{bug} 已经处理过了（{state}），没有改动。", "Report #{bug} is already decided ({state}); nothing changed."},
    {"bug.own_report", "⚠️ 报告 #{bug} 是你自己提交的，请另一位运营处理。", "⚠️ Report #{bug} is your own; another operator decides it."},
    {"bug.dup_self", "⚠️ 报告 #{bug} 不能是它自己的重复。", "⚠️ Report #{bug} cannot duplicate itself."},
    {"bug.dup_other_task", "⚠️ 报告 #{bug} 和 #{orig} 不属于同一个任务。", "⚠️ Reports #{bug} and #{orig} belong to different tasks."},
    {"bug.dup_later", "⚠️ #{orig} 比 #{bug} 晚提交：先提交的是首个发现者，请反过来标记（/dup {orig} of {bug}）。",
     "⚠️ #{orig} came after #{bug}: the earlier one is the first finder; mark it the other way round (/dup {orig} of {bug})."},
    {"bug.dup_orig_open", "⚠️ 请先给原报告 #{orig} 定级（/triage {orig} …），再标记重复。",
     "⚠️ Triage the original #{orig} first (/triage {orig} …), then mark duplicates of it."},
    {"bug.state.open", "待处理", "open"},
    {"bug.state.accepted", "已采纳", "accepted"},
    {"bug.state.duplicate", "重复", "duplicate"},
    {"bug.state.invalid", "无效", "invalid"},
    {"bug.sev.minor", "轻微", "minor"},
    {"bug.sev.major", "严重", "major"},
    {"bug.sev.critical", "致命", "critical"},
    {"bug.of", "同 #{orig}", "of #{orig}"},
    {"bug.told_accepted", "🐞 你的报告 #{bug}（任务 #{id}「{title}」）已采纳，定级：{sev}。奖励：{reward}。谢谢！",
     "🐞 Your report #{bug} (task #{id} “{title}”) is accepted as {sev}. Reward: {reward}. Thank you!"},
    {"bug.told_invalid", "你的报告 #{bug}（任务 #{id}「{title}」）没有被采纳：{reason}",
     "Your report #{bug} (task #{id} “{title}”) was not accepted: {reason}"},
    {"bug.told_duplicate", "你的报告 #{bug}（任务 #{id}「{title}」）与更早的报告 #{orig} 重复，奖励归首个发现者。谢谢参与！",
     "Your report #{bug} (task #{id} “{title}”) duplicates the earlier report #{orig}; the reward goes to the first finder. Thanks for taking part!"},
    {"bug.told_duplicate_share", "你的报告 #{bug}（任务 #{id}「{title}」）与更早的报告 #{orig} 重复，你获得重复奖励：{reward}。谢谢参与！",
     "Your report #{bug} (task #{id} “{title}”) duplicates the earlier report #{orig}; you get the duplicate share: {reward}. Thanks for taking part!"},
    {"bug.told_original", "🐞 你的报告 #{orig}（任务 #{id}「{title}」）又被别人发现了一次（#{bug}），你是首个发现者，奖励不变。",
     "🐞 Someone else found your bug #{orig} (task #{id} “{title}”) again (#{bug}); you were first and keep the full reward."},
    {"bug.accepted_ack", "✅ 报告 #{bug} 已采纳（{sev}），奖励 {reward}，已通知提交者。", "✅ Report #{bug} accepted ({sev}), reward {reward}; the reporter was told."},
    {"bug.invalid_ack", "✅ 报告 #{bug} 已判为无效，已通知提交者。", "✅ Report #{bug} refused; the reporter was told."},
    {"bug.dup_ack", "✅ 报告 #{bug} 标记为 #{orig} 的重复（重复奖励：{reward}），两位提交者都已收到通知。",
     "✅ Report #{bug} marked a duplicate of #{orig} (duplicate share: {reward}); both reporters were told."},
    {"bug.bugs_head", "🐞 <b>找茬 #{id}「{title}」：{n} 份报告</b>\n待处理 {open} · 已采纳 {accepted}（致命 {critical}、严重 {major}、轻微 {minor}）· 重复 {dup} · 无效 {invalid}",
     "🐞 <b>Bug hunt #{id} “{title}”: {n} reports</b>\nopen {open} · accepted {accepted} (critical {critical}, major {major}, minor {minor}) · duplicate {dup} · invalid {invalid}"},
    {"bug.line", "#{bug} {state} — {who}：{first}", "#{bug} {state} — {who}: {first}"},
    {"bug.more", "\n……还有 {n} 份，完整列表：/bugs {id} export", "\n… and {n} more; all of them: /bugs {id} export"},
    {"bug.csv_head", "<b>找茬 #{id} 报告 CSV</b>", "<b>Bug hunt #{id} reports CSV</b>"},
};

static const struct kb_setting settings[] = {
    {.path = "bughunt", .type = KB_SETTING_SECTION},
    {.path = "bughunt.duplicate_share_percent", .type = KB_SETTING_INT,
     .off = offsetof(struct engine_settings, bug_duplicate_share), .max = 100, .scale = 1, .dnum = 0},
};

const struct kb_module bughunt_module = {
    .name = "bughunt",
    .commands = commands,
    .n_commands = KB_COUNT(commands),
    .texts = texts,
    .n_texts = KB_COUNT(texts),
    .on_private = bug_on_private,
    .migrations = migrations,
    .n_migrations = KB_COUNT(migrations),
    .settings = settings,
    .n_settings = KB_COUNT(settings),
};
