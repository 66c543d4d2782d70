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
        rc = ctx_reply(c, "pool.unknown", ARGS(TU("pool", pool)));
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
        rc = ctx_reply(c, "pool.unknown", ARGS(TU("pool", pool)));
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

static int valid_link(const char *s)
{
    size_t n = strlen(s);
    return n <= POOL_LINK_MAX && (strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0) &&
           n > 8 && !strpbrk(s, " \t\n\"<>");
}

/* /pool apply <pool> [link] */
static int pool_apply(struct cmd_ctx *c, const char **p)
{
    char *pool = command_next_word(p);
    char *link = command_next_word(p);
    char *extra = command_next_word(p);
    struct sbuf name = {0};
    int rc = KB_OK;
    if (!pool || extra) {
        rc = ctx_reply(c, "pool.apply_usage", NOARGS);
        goto out;
    }
    if (link && !valid_link(link)) {
        rc = ctx_reply(c, "pool.bad_link", ARGS(TI("max", POOL_LINK_MAX)));
        goto out;
    }
    rc = pool_lookup(c, pool, &name);
    if (rc == KB_ENOTFOUND) {
        rc = ctx_reply(c, "pool.unknown", ARGS(TU("pool", pool)));
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
                    VALS(SI(c->comm.id), ST(name.s), SI(c->member_id), ST(link ? link : ""), SI(c->now)));
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
    free(extra);
    sbuf_free(&name);
    return rc;
}

/* /pool accept|decline <pool> @user */
static int pool_decide(struct cmd_ctx *c, const char **p, int accept)
{
    char *pool = command_next_word(p);
    char *who = command_next_word(p);
    char *extra = command_next_word(p);
    struct sbuf name = {0};
    int64_t member = 0, app = 0;
    int rc = KB_OK;
    if (!pool || !who || extra) {
        rc = ctx_reply(c, "pool.decide_usage", NOARGS);
        goto out;
    }
    rc = pool_lookup(c, pool, &name);
    if (rc == KB_ENOTFOUND) {
        rc = ctx_reply(c, "pool.unknown", ARGS(TU("pool", pool)));
        goto out;
    }
    if (!rc)
        rc = member_find(c->e, c->comm.id, who, &member);
    if (rc == KB_ENOTFOUND) {
        rc = ctx_reply(c, "standing.no_member", ARGS(TU("who", who)));
        goto out;
    }
    if (!rc)
        rc = store_i64(c->st, &app,
                       "SELECT id FROM pool_applications WHERE member_id = ? AND pool = ? AND state = 'pending'",
                       VALS(SI(member), ST(name.s)));
    if (rc == KB_ENOTFOUND) {
        rc = ctx_reply(c, "pool.no_application", ARGS(TU("who", who), TU("pool", name.s)));
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

static int cmd_pool(struct cmd_ctx *c)
{
    const char *p = c->args;
    char *sub = command_next_word(&p);
    int rc;
    if (!sub)
        return ctx_reply(c, c->is_admin ? "pool.usage_operator" : "pool.usage", NOARGS);
    if (ascii_casecmp(sub, "apply") == 0) {
        rc = pool_apply(c, &p);
    } else if (ascii_casecmp(sub, "add") && ascii_casecmp(sub, "remove") && ascii_casecmp(sub, "list") &&
               ascii_casecmp(sub, "accept") && ascii_casecmp(sub, "decline")) {
        rc = ctx_reply(c, c->is_admin ? "pool.usage_operator" : "pool.usage", NOARGS);
    } else if (!c->is_admin) {
        rc = ctx_reply(c, "engine.operators_only", NOARGS);
    } else if (ascii_casecmp(sub, "add") == 0 || ascii_casecmp(sub, "remove") == 0) {
        rc = pool_members_change(c, &p, ascii_casecmp(sub, "add") == 0);
    } else if (ascii_casecmp(sub, "list") == 0) {
        char *pool = command_next_word(&p);
        rc = pool ? pool_list_one(c, pool) : pool_list_all(c);
        free(pool);
    } else {
        rc = pool_decide(c, &p, ascii_casecmp(sub, "accept") == 0);
    }
    free(sub);
    return rc;
}

static const struct cmd_spec commands[] = {
    {"pool", cmd_pool, 0, "pool.help", "人才库"},
};

static const struct text_entry texts[] = {
    {"pool.help", "/pool apply &lt;人才库&gt; [作品链接] — 申请加入人才库",
     "/pool apply &lt;pool&gt; [portfolio link] — apply to a talent pool"},
    {"pool.usage", "用法：/pool apply &lt;人才库&gt; [作品链接]",
     "Usage: /pool apply &lt;pool&gt; [portfolio link]"},
    {"pool.usage_operator",
     "用法：/pool add|remove &lt;人才库&gt; @成员…｜/pool list [人才库]｜/pool accept|decline &lt;人才库&gt; @成员｜/pool apply &lt;人才库&gt; [链接]",
     "Usage: /pool add|remove &lt;pool&gt; @member…, /pool list [pool], /pool accept|decline &lt;pool&gt; @member, /pool apply &lt;pool&gt; [link]"},
    {"pool.add_usage", "用法：/pool add &lt;人才库&gt; @成员…", "Usage: /pool add &lt;pool&gt; @member…"},
    {"pool.remove_usage", "用法：/pool remove &lt;人才库&gt; @成员…", "Usage: /pool remove &lt;pool&gt; @member…"},
    {"pool.apply_usage", "用法：/pool apply &lt;人才库&gt; [作品链接]", "Usage: /pool apply &lt;pool&gt; [portfolio link]"},
    {"pool.decide_usage", "用法：/pool accept|decline &lt;人才库&gt; @成员",
     "Usage: /pool accept|decline &lt;pool&gt; @member"},
    {"pool.bad_name", "人才库名称最多 {max} 个字，不能以 @ 或 - 开头。",
     "A pool name has at most {max} characters and does not start with @ or -."},
    {"pool.bad_link", "作品链接需以 http:// 或 https:// 开头，最长 {max} 字节。",
     "The portfolio link must start with http:// or https:// (at most {max} bytes)."},
    {"pool.unknown", "没有名为 {pool} 的人才库（/pool list 查看）。", "There is no talent pool called {pool} (see /pool list)."},
    {"pool.added", "✅ 已加入人才库 {pool}：{names}", "✅ Added to {pool}: {names}"},
    {"pool.removed", "✅ 已移出人才库 {pool}：{names}", "✅ Removed from {pool}: {names}"},
    {"pool.already_in", "已在 {pool} 中：{names}", "Already in {pool}: {names}"},
    {"pool.not_in", "本来就不在 {pool} 中：{names}", "Not in {pool}: {names}"},
    {"pool.unknown_members", "找不到这些成员：{names}", "Members I don't know: {names}"},
    {"pool.list_head", "<b>人才库</b>", "<b>Talent pools</b>"},
    {"pool.list_line", "{pool}：{members} 人，待审核申请 {pending}", "{pool}: {members} members, {pending} pending applications"},
    {"pool.none", "还没有人才库。/pool add &lt;名称&gt; @成员 创建一个。",
     "No talent pools yet. /pool add &lt;name&gt; @member creates one."},
    {"pool.show_head", "<b>{pool}</b>（{members} 人）", "<b>{pool}</b> ({members} members)"},
    {"pool.pending", "⏳ 申请：{name}", "⏳ applied: {name}"},
    {"pool.pending_link", "⏳ 申请：{name} — {link}", "⏳ applied: {name} — {link}"},
    {"pool.apply_member", "你已经在人才库 {pool} 中了。", "You are already in the {pool} pool."},
    {"pool.apply_pending", "你申请 {pool} 的请求正在等待审核。", "Your application to {pool} is already waiting for review."},
    {"pool.applied", "📝 {name} 申请加入人才库 {pool}，运营会尽快审核。",
     "📝 {name} applied to the {pool} pool; an operator will review it soon."},
    {"pool.no_application", "{who} 没有待审核的 {pool} 申请。", "{who} has no pending application to {pool}."},
    {"pool.accepted", "🎉 {name}，欢迎加入人才库 {pool}！", "🎉 {name}, welcome to the {pool} talent pool!"},
    {"pool.declined", "{name}，你对人才库 {pool} 的申请这次没有通过，欢迎继续参与后再申请。",
     "{name}, your application to the {pool} pool was not accepted this time; keep going and apply again later."},
};

const struct kb_module pool_module = {
    .name = "pool",
    .commands = commands,
    .n_commands = KB_COUNT(commands),
    .texts = texts,
    .n_texts = KB_COUNT(texts),
};
