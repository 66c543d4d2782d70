/*
 * Talent pools: operators add and remove members; members apply (with an
 * optional portfolio link) and operators accept or decline.  Membership is
 * in pool_members, applications in pool_applications, every operator
 * action in the audit trail.
 */
#include "pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "command.h"
#include "standing.h"
#include "who.h"

#define POOL_NAME_MAX 32   /* characters */
#define POOL_LINK_MAX 300  /* bytes */

static int valid_pool_name(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n <= POOL_NAME_MAX * 4 && utf8_count(s, n) <= POOL_NAME_MAX && s[0] != '@' &&
           s[0] != '-';
}

/* The pool's stored spelling into out; KB_ENOTFOUND when there is none. */
static int pool_lookup(struct cmd_ctx *c, const char *name, struct sbuf *out)
{
    sqlite3_stmt *s = store_query(c->st, "SELECT name FROM pools WHERE community_id = ? AND name = ?",
                                  VALS(SI(c->comm.id), ST(name)));
    if (!s)
        return store_failure(c->st);
    int rc = store_step(c->st, s);
    if (rc == 1)
        sbuf_add(out, store_text(s, 0));
    store_done(s);
    return rc < 0 ? rc : rc == 1 ? KB_OK : KB_ENOTFOUND;
}

/* "There is no pool X": with the pools there are, so a member is never
   sent to an operator command to find them. */
static int reply_unknown_pool(struct cmd_ctx *c, const char *pool)
{
    sqlite3_stmt *s = store_query(c->st, "SELECT name FROM pools WHERE community_id = ? ORDER BY name LIMIT 30",
                                  VALS(SI(c->comm.id)));
    if (!s)
        return store_failure(c->st);
    struct sbuf names = {0};
    int rc;
    while ((rc = store_step(c->st, s)) == 1) {
        if (names.len)
            text_format(&names, c->lang, "standing.sep", NOARGS);
        text_user(&names, store_text(s, 0));
    }
    store_done(s);
    if (rc == 0) {
        if (names.len)
            rc = ctx_reply(c, "pool.unknown", ARGS(TU("pool", pool), TS("pools", names.s)));
        else
            rc = ctx_reply(c, c->is_admin ? "pool.none" : "pool.none_member", NOARGS);
    }
    sbuf_free(&names);
    return rc;
}

static int audit_pool(struct cmd_ctx *c, const char *action, int64_t member, const char *pool)
{
    char target[32];
    snprintf(target, sizeof target, "member:%lld", (long long)member);
    return audit_add(c, action, target, pool);
}

static void add_name(struct cmd_ctx *c, struct sbuf *list, int64_t member)
{
    if (list->len)
        text_format(list, c->lang, "standing.sep", NOARGS);
    member_label(c->e, member, list);
}

static void add_unknown(struct cmd_ctx *c, struct sbuf *list, const char *who)
{
    if (list->len)
        text_format(list, c->lang, "standing.sep", NOARGS);
    text_user(list, who);
}

/* /pool new <pool>: an empty pool, for members to apply to */
static int pool_new(struct cmd_ctx *c, const char **p)
{
    char *pool = command_next_word(p);
    int rc;
    if (!pool || *command_skip_space(*p)) {
        rc = ctx_reply(c, "pool.new_usage", NOARGS);
    } else if (!valid_pool_name(pool)) {
        rc = ctx_reply(c, "pool.bad_name", ARGS(TI("max", POOL_NAME_MAX)));
    } else {
        rc = store_exec(c->st, "INSERT OR IGNORE INTO pools(community_id, name, created_at) VALUES (?, ?, ?)",
                        VALS(SI(c->comm.id), ST(pool), SI(c->now)));
        int created = !rc && store_changes(c->st) > 0;
        if (created)
            rc = audit_add(c, "pool.new", "", pool);
        struct sbuf name = {0};
        if (!rc)
            rc = pool_lookup(c, pool, &name);
        if (!rc)
            rc = ctx_reply(c, created ? "pool.created" : "pool.exists", ARGS(TU("pool", name.s)));
        sbuf_free(&name);
    }
    free(pool);
    return rc;
}

/* /pool add|remove <pool> @user… */
static int pool_members_change(struct cmd_ctx *c, const char **p, int add)
{
    char *pool = command_next_word(p);
    int rc = KB_OK;
    struct sbuf name = {0}, done = {0}, same = {0}, unknown = {0};
    if (!pool || !**p) {
        rc = ctx_reply(c, add ? "pool.add_usage" : "pool.remove_usage", NOARGS);
        goto out;
    }
    if (!valid_pool_name(pool)) {
        rc = ctx_reply(c, "pool.bad_name", ARGS(TI("max", POOL_NAME_MAX)));
        goto out;
    }
    if (add) {
        rc = store_exec(c->st, "INSERT OR IGNORE INTO pools(community_id, name, created_at) VALUES (?, ?, ?)",
                        VALS(SI(c->comm.id), ST(pool), SI(c->now)));
        if (rc)
            goto out;
    }
    rc = pool_lookup(c, pool, &name);
    if (rc == KB_ENOTFOUND) {
        rc = reply_unknown_pool(c, pool);
        goto out;
    }
    char *who;
    while (!rc && (who = command_next_word(p))) {
        int64_t member = 0;
        rc = member_find(c->e, c->comm.id, who, &member);
        if (rc == KB_ENOTFOUND) {
            add_unknown(c, &unknown, who);
            rc = KB_OK;
            free(who);
            continue;
        }
        free(who);
        if (rc)
            break;
        if (add)
            rc = store_exec(c->st,
                            "INSERT OR IGNORE INTO pool_members(community_id, pool, member_id, added_by, at)"
                            " VALUES (?, ?, ?, ?, ?)",
                            VALS(SI(c->comm.id), ST(name.s), SI(member), SI(c->member_id), SI(c->now)));
        else
            rc = store_exec(c->st, "DELETE FROM pool_members WHERE member_id = ? AND pool = ?",
                            VALS(SI(member), ST(name.s)));
        if (rc)
            break;
        int changed = store_changes(c->st) > 0;
        if (changed && add) /* an open application is answered by the addition */
            rc = store_exec(c->st,
                            "UPDATE pool_applications SET state = 'accepted', decided_by = ?, decided_at = ?"
                            " WHERE member_id = ? AND pool = ? AND state = 'pending'",
                            VALS(SI(c->member_id), SI(c->now), SI(member), ST(name.s)));
        if (changed && !rc)
            rc = audit_pool(c, add ? "pool.add" : "pool.remove", member, name.s);
        add_name(c, changed ? &done : &same, member);
    }
    if (rc)
        goto out;
    struct sbuf b = {0};
    struct sbuf pool_s = {0};
    text_user(&pool_s, name.s);
    if (done.len) {
        text_format(&b, c->lang, add ? "pool.added" : "pool.removed", ARGS(TS("pool", pool_s.s), TS("names", done.s)));
    }
    if (same.len) {
        if (b.len)
            sbuf_addc(&b, '\n');
        text_format(&b, c->lang, add ? "pool.already_in" : "pool.not_in", ARGS(TS("pool", pool_s.s), TS("names", same.s)));
    }
    if (unknown.len) {
        if (b.len)
            sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "pool.unknown_members", ARGS(TS("names", unknown.s)));
    }
    rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    sbuf_free(&pool_s);
out:
    free(pool);
    sbuf_free(&name);
    sbuf_free(&done);
    sbuf_free(&same);
    sbuf_free(&unknown);
    return rc;
}

static int pool_list_all(struct cmd_ctx *c)
{
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT p.name,"
                                  " (SELECT count(*) FROM pool_members m WHERE m.community_id = p.community_id AND m.pool = p.name),"
                                  " (SELECT count(*) FROM pool_applications a WHERE a.community_id = p.community_id"
                                  "   AND a.pool = p.name AND a.state = 'pending')"
                                  " FROM pools p WHERE p.community_id = ? ORDER BY p.name",
                                  VALS(SI(c->comm.id)));
    if (!s)
        return store_failure(c->st);
    struct sbuf b = {0};
    text_format(&b, c->lang, "pool.list_head", NOARGS);
    int rc, n = 0;
    while ((rc = store_step(c->st, s)) == 1) {
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "pool.list_line",
                    ARGS(TU("pool", store_text(s, 0)), TI("members", store_int(s, 1)), TI("pending", store_int(s, 2))));
        n++;
    }
    store_done(s);
    if (rc == 0 && n == 0) {
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "pool.none", NOARGS);
    }
    if (rc == 0)
        rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    return rc;
}

static int pool_list_one(struct cmd_ctx *c, const char *pool)
{
    struct sbuf name = {0}, b = {0}, names = {0};
    int rc = pool_lookup(c, pool, &name);
    if (rc == KB_ENOTFOUND) {
        rc = reply_unknown_pool(c, pool);
        goto out;
    }
    if (rc)
        goto out;
    int64_t ids[50];
    size_t n = 0;
    int64_t total = 0;
    sqlite3_stmt *s = store_query(c->st, "SELECT member_id FROM pool_members WHERE community_id = ? AND pool = ? ORDER BY at",
                                  VALS(SI(c->comm.id), ST(name.s)));
    if (!s) {
        rc = store_failure(c->st);
        goto out;
    }
    while ((rc = store_step(c->st, s)) == 1) {
        if (n < 50)
            ids[n++] = store_int(s, 0);
        total++;
    }
    store_done(s);
    if (rc < 0)
        goto out;
    for (size_t i = 0; i < n; i++)
        add_name(c, &names, ids[i]);
    text_format(&b, c->lang, "pool.show_head", ARGS(TU("pool", name.s), TI("members", total)));
    if (names.len) {
        sbuf_addc(&b, '\n');
        sbuf_add(&b, names.s);
        if (total > (int64_t)n)
            sbuf_add(&b, " …");
    }
    s = store_query(c->st,
                    "SELECT a.member_id, a.link FROM pool_applications a WHERE a.community_id = ? AND a.pool = ?"
                    " AND a.state = 'pending' ORDER BY a.id LIMIT 20",
                    VALS(SI(c->comm.id), ST(name.s)));
    if (!s) {
        rc = store_failure(c->st);
        goto out;
    }
    while ((rc = store_step(c->st, s)) == 1) {
        struct sbuf who = {0};
        member_label(c->e, store_int(s, 0), &who);
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, *store_text(s, 1) ? "pool.pending_link" : "pool.pending",
                    ARGS(TS("name", who.s), TU("link", store_text(s, 1))));
        sbuf_free(&who);
    }
    store_done(s);
    if (rc == 0)
        rc = ctx_reply_markup(c, b.s, 0);
out:
    sbuf_free(&name);
    sbuf_free(&b);
    sbuf_free(&names);
    return rc;
}

/* Length of "http://" or "https://" (any case) at s, or 0. */
static size_t scheme_len(const char *s)
{
    static const char *const schemes[] = {"https://", "http://"};
    for (size_t i = 0; i < KB_COUNT(schemes); i++) {
        size_t n = strlen(schemes[i]), k = 0;
        while (k < n && (s[k] >= 'A' && s[k] <= 'Z' ? s[k] + 32 : s[k]) == schemes[i][k])
            k++;
        if (k == n)
            return n;
    }
    return 0;
}

/* Words that introduce a cloud drive's access code ("提取码 xyz8",
   "提取码：xyz8", "code: xyz8"). */
static int access_code_ok(const char *rest)
{
    static const char *const words[] = {"提取码", "密码", "访问码", "code", "pwd", "password"};
    for (size_t i = 0; i < KB_COUNT(words); i++) {
        size_t n = strlen(words[i]);
        if (strncmp(rest, words[i], n) != 0)
            continue;
        const char *p = rest + n;
        if (*p == ':')
            p++;
        else if (strncmp(p, "：", 3) == 0)
            p += 3;
        p = command_skip_space(p);
        size_t k = 0;
        while ((p[k] >= '0' && p[k] <= '9') || ((p[k] | 0x20) >= 'a' && (p[k] | 0x20) <= 'z'))
            k++;
        return k >= 2 && k <= 16 && *command_skip_space(p + k) == '\0';
    }
    return 0;
}

/* The catalogue key of what is wrong with a portfolio link (the link word
   plus whatever followed it), or NULL when it is fine. */
static const char *link_problem(const char *link, const char *rest)
{
    size_t scheme = scheme_len(link);
    if (strlen(link) + strlen(rest) + 1 > POOL_LINK_MAX)
        return "pool.bad_link_long";
    if (!scheme)
        return strchr(link, '.') && !strstr(link, "://") ? "pool.bad_link_no_scheme" : "pool.bad_link";
    const char *host = link + scheme;
    size_t host_len = strcspn(host, "/?#");
    const char *dot = memchr(host, '.', host_len);
    if (!dot || dot == host || dot + 1 == host + host_len)
        return "pool.bad_link_host";
    if (strpbrk(link, "\"<>"))
        return "pool.bad_link_chars";
    if (*rest && !access_code_ok(rest))
        return "pool.bad_link_extra";
    return NULL;
}

/* /pool apply <pool> [link] */
static int pool_apply(struct cmd_ctx *c, const char **p)
{
    char *pool = command_next_word(p);
    char *link = command_next_word(p);
    const char *rest = command_skip_space(*p); /* a cloud drive's access code */
    struct sbuf name = {0}, kept = {0};
    int rc = KB_OK;
    if (!pool) {
        rc = ctx_reply(c, "pool.apply_usage", NOARGS);
        goto out;
    }
    const char *problem = link ? link_problem(link, rest) : NULL;
    if (problem) {
        rc = ctx_reply(c, problem, ARGS(TU("link", link), TI("max", POOL_LINK_MAX)));
        goto out;
    }
    if (link) {
        sbuf_add(&kept, link);
        if (*rest)
            sbuf_addf(&kept, " %s", rest);
    }
    rc = pool_lookup(c, pool, &name);
    if (rc == KB_ENOTFOUND) {
        rc = reply_unknown_pool(c, pool);
        goto out;
    }
    int in = 0;
    if (!rc)
        rc = standing_in_pool(c->e, c->member_id, name.s, &in);
    if (rc)
        goto out;
    if (in) {
        rc = ctx_reply(c, "pool.apply_member", ARGS(TU("pool", name.s)));
        goto out;
    }
    rc = store_exec(c->st,
                    "INSERT OR IGNORE INTO pool_applications(community_id, pool, member_id, link, at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    VALS(SI(c->comm.id), ST(name.s), SI(c->member_id), ST(kept.s ? kept.s : ""), SI(c->now)));
    if (rc)
        goto out;
    if (store_changes(c->st) == 0) {
        rc = ctx_reply(c, "pool.apply_pending", ARGS(TU("pool", name.s)));
        goto out;
    }
    struct sbuf who = {0};
    member_name(c->e, c->member_id, &who);
    rc = ctx_reply(c, "pool.applied", ARGS(TS("name", who.s), TU("pool", name.s)));
    sbuf_free(&who);
out:
    free(pool);
    free(link);
    sbuf_free(&name);
    sbuf_free(&kept);
    return rc;
}

/* /pool accept|decline <pool> @user */
static int pool_decide(struct cmd_ctx *c, const char **p, int accept)
{
    char *pool = command_next_word(p);
    char *who = who_next_target(c, p);
    char *extra = command_next_word(p);
    struct sbuf name = {0};
    int64_t member = 0, app = 0;
    int rc = KB_OK;
    if (!pool || (!who && !who_has_reply(c)) || extra) {
        rc = ctx_reply(c, "pool.decide_usage", NOARGS);
        goto out;
    }
    rc = pool_lookup(c, pool, &name);
    if (rc == KB_ENOTFOUND) {
        rc = reply_unknown_pool(c, pool);
        goto out;
    }
    if (!rc && (rc = who_resolve(c, who, &member)) == KB_ENOTFOUND) {
        rc = KB_OK; /* who_resolve said why */
        goto out;
    }
    if (!rc)
        rc = store_i64(c->st, &app,
                       "SELECT id FROM pool_applications WHERE member_id = ? AND pool = ? AND state = 'pending'",
                       VALS(SI(member), ST(name.s)));
    if (rc == KB_ENOTFOUND) {
        struct sbuf member_text = {0};
        member_name(c->e, member, &member_text);
        rc = ctx_reply(c, "pool.no_application", ARGS(TS("who", member_text.s), TU("pool", name.s)));
        sbuf_free(&member_text);
        goto out;
    }
    if (rc)
        goto out;
    rc = store_exec(c->st, "UPDATE pool_applications SET state = ?, decided_by = ?, decided_at = ? WHERE id = ?",
                    VALS(ST(accept ? "accepted" : "declined"), SI(c->member_id), SI(c->now), SI(app)));
    if (!rc && accept)
        rc = store_exec(c->st,
                        "INSERT OR IGNORE INTO pool_members(community_id, pool, member_id, added_by, at)"
                        " VALUES (?, ?, ?, ?, ?)",
                        VALS(SI(c->comm.id), ST(name.s), SI(member), SI(c->member_id), SI(c->now)));
    if (!rc)
        rc = audit_pool(c, accept ? "pool.accept" : "pool.decline", member, name.s);
    if (rc)
        goto out;
    struct sbuf label = {0}, b = {0};
    member_label(c->e, member, &label);
    text_format(&b, c->lang, accept ? "pool.accepted" : "pool.declined",
                ARGS(TS("name", label.s), TU("pool", name.s)));
    int sent = 0; /* a welcome is public; a refusal is the applicant's own business */
    if (!accept)
        rc = member_tell_privately(c->e, member, b.s, NULL, c->now, &sent);
    if (!rc && !accept)
        rc = ctx_reply(c, "pool.declined_ack", ARGS(TS("name", label.s), TU("pool", name.s)));
    if (!accept && !sent)
        member_private_note(c->lang, label.s, &b);
    if (!rc && !sent)
        rc = ctx_post(c, b.s, NULL, NULL);
    sbuf_free(&label);
    sbuf_free(&b);
out:
    free(pool);
    free(who);
    free(extra);
    sbuf_free(&name);
    return rc;
}

/* The subcommands (the table below, dispatched by the engine, which also
   keeps all but apply for operators). */
static int pool_apply_cmd(struct cmd_ctx *c)
{
    const char *p = c->args;
    return pool_apply(c, &p);
}

static int pool_new_cmd(struct cmd_ctx *c)
{
    const char *p = c->args;
    return pool_new(c, &p);
}

static int pool_add_cmd(struct cmd_ctx *c)
{
    const char *p = c->args;
    return pool_members_change(c, &p, 1);
}

static int pool_remove_cmd(struct cmd_ctx *c)
{
    const char *p = c->args;
    return pool_members_change(c, &p, 0);
}

static int pool_list_cmd(struct cmd_ctx *c)
{
    const char *p = c->args;
    char *pool = command_next_word(&p);
    int rc = pool ? pool_list_one(c, pool) : pool_list_all(c);
    free(pool);
    return rc;
}

static int pool_accept_cmd(struct cmd_ctx *c)
{
    const char *p = c->args;
    return pool_decide(c, &p, 1);
}

static int pool_decline_cmd(struct cmd_ctx *c)
{
    const char *p = c->args;
    return pool_decide(c, &p, 0);
}

/* /pool alone or with an unknown subcommand: the usage for who asks. */
static int cmd_pool(struct cmd_ctx *c)
{
    return ctx_reply(c, c->is_admin ? "pool.usage_operator" : "pool.usage", NOARGS);
}

static const struct cmd_spec commands[] = {
    {"pool", cmd_pool, 0, "pool.help", "人才库"},
};

static const struct cmd_sub subs[] = {
    {"pool", "apply", pool_apply_cmd, 0, 0, -1},
    {"pool", "new", pool_new_cmd, CMD_OPERATOR, 0, -1},
    {"pool", "add", pool_add_cmd, CMD_OPERATOR, 0, -1},
    {"pool", "remove", pool_remove_cmd, CMD_OPERATOR, 0, -1},
    {"pool", "list", pool_list_cmd, CMD_OPERATOR, 0, 1},
    {"pool", "accept", pool_accept_cmd, CMD_OPERATOR, 0, -1},
    {"pool", "decline", pool_decline_cmd, CMD_OPERATOR, 0, -1},
};

static const struct text_entry texts[] = {
    {"pool.help", "/pool apply &lt;人才库&gt; [作品链接] — 申请加入人才库",
     "/pool apply &lt;pool&gt; [portfolio link] — apply to a talent pool"},
    {"pool.help.op", "/pool new|add|remove|list|accept|decline — 人才库：新建、加减成员、查看、审核申请",
     "/pool new|add|remove|list|accept|decline — talent pools: create, add or remove members, list, decide applications"},
    {"pool.usage", "用法：/pool apply &lt;人才库&gt; [作品链接]",
     "Usage: /pool apply &lt;pool&gt; [portfolio link]"},
    {"pool.usage_operator",
     "用法：/pool new &lt;人才库&gt;｜/pool add|remove &lt;人才库&gt; @成员…｜/pool list [人才库]｜/pool accept|decline &lt;人才库&gt; @成员｜/pool apply &lt;人才库&gt; [链接]",
     "Usage: /pool new &lt;pool&gt;, /pool add|remove &lt;pool&gt; @member…, /pool list [pool], /pool accept|decline &lt;pool&gt; @member, /pool apply &lt;pool&gt; [link]"},
    {"pool.new_usage", "用法：/pool new &lt;人才库&gt;（名称里不要有空格）", "Usage: /pool new &lt;pool&gt; (a name without spaces)"},
    {"pool.created", "✅ 已创建人才库 {pool}。成员可以发 /pool apply {pool} [作品链接] 申请加入。",
     "✅ Talent pool {pool} created. Members apply with /pool apply {pool} [portfolio link]."},
    {"pool.exists", "已经有人才库 {pool} 了。", "There is already a talent pool {pool}."},
    {"pool.add_usage", "用法：/pool add &lt;人才库&gt; @成员…", "Usage: /pool add &lt;pool&gt; @member…"},
    {"pool.remove_usage", "用法：/pool remove &lt;人才库&gt; @成员…", "Usage: /pool remove &lt;pool&gt; @member…"},
    {"pool.apply_usage", "用法：/pool apply &lt;人才库&gt; [作品链接]", "Usage: /pool apply &lt;pool&gt; [portfolio link]"},
    {"pool.decide_usage", "用法：/pool accept|decline &lt;人才库&gt; @成员",
     "Usage: /pool accept|decline &lt;pool&gt; @member"},
    {"pool.bad_name", "人才库名称最多 {max} 个字，不能以 @ 或 - 开头。",
     "A pool name has at most {max} characters and does not start with @ or -."},
    {"pool.bad_link", "作品链接需以 http:// 或 https:// 开头，{link} 不是网页链接。",
     "The portfolio link must start with http:// or https://; {link} is not a web link."},
    {"pool.bad_link_no_scheme", "{link} 开头加上 https:// 再发一次，例如 https://example.com/作品。",
     "Add https:// in front of {link} and send it again, e.g. https://example.com/work."},
    {"pool.bad_link_host", "链接 {link} 缺少网站地址：http:// 后面要写网站，例如 https://example.com/作品。",
     "The link {link} has no site address: after http:// comes the site, e.g. https://example.com/work."},
    {"pool.bad_link_chars", "链接 {link} 里有引号或尖括号，请复制浏览器地址栏里的链接。",
     "The link {link} contains quotes or angle brackets; copy the link from the browser's address bar."},
    {"pool.bad_link_long", "链接太长了（连同提取码最多 {max} 字节），请换一个短链接。",
     "That link is too long (at most {max} bytes with its access code); use a shorter one."},
    {"pool.bad_link_extra", "链接后面只能跟网盘提取码，例如 /pool apply 摄影 https://pan.baidu.com/s/1abc 提取码 xyz8。",
     "After the link, only a cloud-drive access code may follow, e.g. /pool apply photo https://pan.baidu.com/s/1abc code xyz8."},
    {"pool.unknown", "没有名为 {pool} 的人才库。现有的人才库：{pools}", "There is no talent pool called {pool}. The pools: {pools}"},
    {"pool.none_member", "还没有人才库，运营创建后就可以申请了。", "There are no talent pools yet; you can apply once an operator creates one."},
    {"pool.added", "✅ 已加入人才库 {pool}：{names}", "✅ Added to {pool}: {names}"},
    {"pool.removed", "✅ 已移出人才库 {pool}：{names}", "✅ Removed from {pool}: {names}"},
    {"pool.already_in", "已在 {pool} 中：{names}", "Already in {pool}: {names}"},
    {"pool.not_in", "本来就不在 {pool} 中：{names}", "Not in {pool}: {names}"},
    {"pool.unknown_members", "找不到这些成员：{names}", "Members I don't know: {names}"},
    {"pool.list_head", "<b>人才库</b>", "<b>Talent pools</b>"},
    {"pool.list_line", "{pool}：{members} 人，待审核申请 {pending}", "{pool}: {members} members, {pending} pending applications"},
    {"pool.none", "还没有人才库。/pool new &lt;名称&gt; 创建一个。",
     "No talent pools yet. /pool new &lt;name&gt; creates one."},
    {"pool.show_head", "<b>{pool}</b>（{members} 人）", "<b>{pool}</b> ({members} members)"},
    {"pool.pending", "⏳ 申请：{name}", "⏳ applied: {name}"},
    {"pool.pending_link", "⏳ 申请：{name} — {link}", "⏳ applied: {name} — {link}"},
    {"pool.apply_member", "你已经在人才库 {pool} 中了。", "You are already in the {pool} pool."},
    {"pool.apply_pending", "你申请 {pool} 的请求正在等待审核。", "Your application to {pool} is already waiting for review."},
    {"pool.applied", "📝 {name} 申请加入人才库 {pool}，运营会尽快审核。",
     "📝 {name} applied to the {pool} pool; an operator will review it soon."},
    {"pool.no_application", "{who} 没有待审核的 {pool} 申请。", "{who} has no pending application to {pool}."},
    {"pool.accepted", "🎉 {name}，欢迎加入人才库 {pool}！", "🎉 {name}, welcome to the {pool} talent pool!"},
    {"pool.declined_ack", "已拒绝 {name} 加入 {pool} 的申请。", "Declined the application of {name} to {pool}."},
    {"pool.declined", "{name}，你对人才库 {pool} 的申请这次没有通过，欢迎继续参与后再申请。",
     "{name}, your application to the {pool} pool was not accepted this time; keep going and apply again later."},
};

const struct kb_module pool_module = {
    .name = "pool",
    .commands = commands,
    .n_commands = KB_COUNT(commands),
    .subs = subs,
    .n_subs = KB_COUNT(subs),
    .texts = texts,
    .n_texts = KB_COUNT(texts),
};
