/*
 * Member tags; see tag.h.  Operators tag and untag (/tag add|remove),
 * list (/tag list [tag]) and see the community's numbers split by tag
 * (/stats tag); members see their own tags (/tag).
 */
#include "tag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "command.h"
#include "standing.h"
#include "tz.h"
#include "who.h"

#define TAG_LIST_MEMBERS 50  /* names shown by /tag list <tag> */
#define TAG_STATS_ROWS 30    /* tags shown by /stats tag */

int tag_name_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n >= TAG_NAME_BYTES || !utf8_valid(s, n) || utf8_count(s, n) > TAG_NAME_MAX)
        return 0;
    if (s[0] == '@' || s[0] == '#' || s[0] == '-')
        return 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        i += utf8_decode(s + i, n - i, &cp);
        if (cp < 0x20 || command_is_space(cp) || cp == 0x7f)
            return 0;
    }
    return 1;
}

int tag_has(struct engine *e, int64_t member_id, const char *tag, int *yes)
{
    int64_t one = 0;
    int rc = store_i64(e->st, &one, "SELECT 1 FROM member_tags WHERE member_id = ? AND tag = ?",
                       VALS(SI(member_id), ST(tag)));
    *yes = rc == KB_OK;
    return rc == KB_ENOTFOUND ? KB_OK : rc;
}

/* Rows of s: column 0 as text into fn; the texts are copied first, so fn
   may run statements of its own. */
static int each_text(struct engine *e, sqlite3_stmt *s, int (*fn)(const char *tag, void *ud), void *ud)
{
    if (!s)
        return store_failure(e->st);
    struct sbuf all = {0};
    size_t n = 0;
    int rc;
    while ((rc = store_step(e->st, s)) == 1) {
        sbuf_add(&all, store_text(s, 0));
        sbuf_addc(&all, '\0');
        n++;
    }
    store_done(s);
    const char *p = all.s;
    for (size_t i = 0; i < n && rc >= 0; i++, p += strlen(p) + 1)
        rc = fn(p, ud);
    sbuf_free(&all);
    return rc;
}

int tag_each_of_member(struct engine *e, int64_t member_id, int (*fn)(const char *tag, void *ud), void *ud)
{
    return each_text(e, store_query(e->st, "SELECT tag FROM member_tags WHERE member_id = ? ORDER BY tag",
                                    VALS(SI(member_id))),
                     fn, ud);
}

int tag_each_member(struct engine *e, int64_t community_id, const char *tag,
                    int (*fn)(int64_t member_id, void *ud), void *ud)
{
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT member_id FROM member_tags WHERE community_id = ? AND tag = ?"
                                  " ORDER BY at, member_id",
                                  VALS(SI(community_id), ST(tag)));
    if (!s)
        return store_failure(e->st);
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = store_step(e->st, s)) == 1) {
        if (n == cap)
            ids = xrealloc(ids, (cap = cap ? cap * 2 : 16) * sizeof *ids);
        ids[n++] = store_int(s, 0);
    }
    store_done(s);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = fn(ids[i], ud);
    free(ids);
    return rc;
}

int tag_give(struct engine *e, int64_t community_id, int64_t member_id, const char *tag,
             const char *source, int64_t by, int64_t at, int *added)
{
    int rc = store_exec(e->st,
                        "INSERT OR IGNORE INTO member_tags(community_id, member_id, tag, source, by_member, at)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        VALS(SI(community_id), SI(member_id), ST(tag), ST(source), SI(by), SI(at)));
    *added = !rc && store_changes(e->st) > 0;
    return rc;
}

int tag_take(struct engine *e, int64_t member_id, const char *tag, const char *source, int *removed)
{
    int rc = store_exec(e->st,
                        "DELETE FROM member_tags WHERE member_id = ?1 AND tag = ?2 AND (?3 IS NULL OR source = ?3)",
                        VALS(SI(member_id), ST(tag), ST(source)));
    *removed = !rc && store_changes(e->st) > 0;
    return rc;
}

int tag_limit_get(struct engine *e, const char *target, char *tag)
{
    tag[0] = '\0';
    sqlite3_stmt *s = store_query(e->st, "SELECT tag FROM tag_limits WHERE target = ?", VALS(ST(target)));
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    if (rc == 1)
        snprintf(tag, TAG_NAME_BYTES, "%s", store_text(s, 0));
    store_done(s);
    return rc < 0 ? rc : KB_OK;
}

int tag_limit_set(struct engine *e, int64_t community_id, const char *target, const char *tag)
{
    if (!tag || !*tag)
        return store_exec(e->st, "DELETE FROM tag_limits WHERE target = ?", VALS(ST(target)));
    return store_exec(e->st,
                      "INSERT INTO tag_limits(target, community_id, tag) VALUES (?, ?, ?)"
                      " ON CONFLICT(target) DO UPDATE SET tag = excluded.tag",
                      VALS(ST(target), SI(community_id), ST(tag)));
}

int tag_limit_allows(struct engine *e, const char *target, int64_t member_id, int *ok, char *tag)
{
    *ok = 1;
    int rc = tag_limit_get(e, target, tag);
    if (!rc && tag[0])
        rc = tag_has(e, member_id, tag, ok);
    return rc;
}

int tag_count(struct engine *e, int64_t community_id, const char *tag, int64_t *n)
{
    return store_i64(e->st, n, "SELECT count(*) FROM member_tags WHERE community_id = ? AND tag = ?",
                     VALS(SI(community_id), ST(tag)));
}

/* ==== commands ========================================================= */

static void add_sep(struct cmd_ctx *c, struct sbuf *list)
{
    if (list->len)
        text_format(list, c->lang, "standing.sep", NOARGS);
}

/* The stored spelling of tag in the community (the first holder's), or
   the word as typed when nobody holds it. */
static void tag_spelling(struct cmd_ctx *c, const char *tag, char *out)
{
    snprintf(out, TAG_NAME_BYTES, "%s", tag);
    sqlite3_stmt *s = store_query(c->st, "SELECT tag FROM member_tags WHERE community_id = ? AND tag = ? LIMIT 1",
                                  VALS(SI(c->comm.id), ST(tag)));
    if (s && store_step(c->st, s) == 1)
        snprintf(out, TAG_NAME_BYTES, "%s", store_text(s, 0));
    if (s)
        store_done(s);
}

/* /tag add|remove <tag> @member… */
static int tag_change(struct cmd_ctx *c, int add)
{
    const char *p = c->args;
    char *word = command_next_word(&p);
    int rc = KB_OK;
    struct sbuf done = {0}, same = {0}, unknown = {0}, b = {0};
    char tag[TAG_NAME_BYTES];
    if (!word || !*command_skip_space(p)) {
        rc = ctx_reply(c, add ? "tag.add_usage" : "tag.remove_usage", NOARGS);
        goto out;
    }
    if (!tag_name_valid(word)) {
        rc = ctx_reply(c, "tag.bad_name", ARGS(TI("max", TAG_NAME_MAX)));
        goto out;
    }
    tag_spelling(c, word, tag);
    char *who;
    while (!rc && (who = command_next_word(&p))) {
        int64_t member = 0;
        rc = member_find(c->e, c->comm.id, who, &member);
        if (rc == KB_ENOTFOUND) {
            add_sep(c, &unknown);
            text_user(&unknown, who);
            rc = KB_OK;
            free(who);
            continue;
        }
        free(who);
        int changed = 0;
        if (!rc)
            rc = add ? tag_give(c->e, c->comm.id, member, tag, "operator", c->member_id, c->now, &changed)
                     : tag_take(c->e, member, tag, NULL, &changed);
        char target[32];
        snprintf(target, sizeof target, "member:%lld", (long long)member);
        if (!rc && changed)
            rc = audit_add(c, add ? "tag.add" : "tag.remove", target, tag);
        struct sbuf *list = changed ? &done : &same;
        add_sep(c, list);
        member_label(c->e, member, list);
    }
    if (rc)
        goto out;
    const struct { struct sbuf *names; const char *key; } parts[] = {
        {&done, add ? "tag.added" : "tag.removed"},
        {&same, add ? "tag.already" : "tag.not_held"},
        {&unknown, "tag.unknown_members"}};
    for (size_t i = 0; i < KB_COUNT(parts); i++) {
        if (!parts[i].names->len)
            continue;
        if (b.len)
            sbuf_addc(&b, '\n');
        text_format(&b, c->lang, parts[i].key, ARGS(TU("tag", tag), TS("names", parts[i].names->s)));
    }
    rc = ctx_reply_markup(c, b.s, 0);
out:
    free(word);
    sbuf_free(&done);
    sbuf_free(&same);
    sbuf_free(&unknown);
    sbuf_free(&b);
    return rc;
}

static int tag_add_cmd(struct cmd_ctx *c)
{
    return tag_change(c, 1);
}

static int tag_remove_cmd(struct cmd_ctx *c)
{
    return tag_change(c, 0);
}

/* /tag list: every tag with how many hold it */
static int list_tags(struct cmd_ctx *c)
{
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT min(tag), count(*) FROM member_tags WHERE community_id = ?"
                                  " GROUP BY tag ORDER BY count(*) DESC, 1 LIMIT 100",
                                  VALS(SI(c->comm.id)));
    if (!s)
        return store_failure(c->st);
    struct sbuf b = {0};
    text_format(&b, c->lang, "tag.list_head", NOARGS);
    int rc, n = 0;
    while ((rc = store_step(c->st, s)) == 1) {
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "tag.list_line", ARGS(TU("tag", store_text(s, 0)), TI("n", store_int(s, 1))));
        n++;
    }
    store_done(s);
    if (rc == 0)
        rc = n ? ctx_reply_markup(c, b.s, 0) : ctx_reply(c, "tag.none", NOARGS);
    sbuf_free(&b);
    return rc;
}

struct name_list {
    struct cmd_ctx *c;
    struct sbuf names;
    int64_t n;
};

static int add_member_name(int64_t member_id, void *ud)
{
    struct name_list *l = ud;
    if (l->n++ < TAG_LIST_MEMBERS) {
        add_sep(l->c, &l->names);
        member_label(l->c->e, member_id, &l->names);
    }
    return 0;
}

/* /tag list <tag>: who holds it */
static int list_members(struct cmd_ctx *c, const char *word)
{
    char tag[TAG_NAME_BYTES];
    if (!tag_name_valid(word))
        return ctx_reply(c, "tag.bad_name", ARGS(TI("max", TAG_NAME_MAX)));
    tag_spelling(c, word, tag);
    struct name_list l = {.c = c};
    int rc = tag_each_member(c->e, c->comm.id, tag, add_member_name, &l);
    if (!rc && !l.n)
        rc = ctx_reply(c, "tag.nobody", ARGS(TU("tag", tag)));
    else if (!rc) {
        struct sbuf b = {0};
        text_format(&b, c->lang, "tag.members_head", ARGS(TU("tag", tag), TI("n", l.n)));
        sbuf_addc(&b, '\n');
        sbuf_add(&b, l.names.s);
        if (l.n > TAG_LIST_MEMBERS)
            text_format(&b, c->lang, "tag.more", ARGS(TI("n", l.n - TAG_LIST_MEMBERS)));
        rc = ctx_reply_markup(c, b.s, 0);
        sbuf_free(&b);
    }
    sbuf_free(&l.names);
    return rc;
}

static int tag_list_cmd(struct cmd_ctx *c)
{
    const char *p = c->args;
    char *word = command_next_word(&p);
    int rc = word ? list_members(c, word) : list_tags(c);
    free(word);
    return rc;
}

static int add_tag_text(const char *tag, void *ud)
{
    struct sbuf *b = ud;
    if (b->len)
        sbuf_add(b, " · ");
    text_user(b, tag);
    return 0;
}

/* /tag alone: an operator's usage; a member's own tags. */
static int cmd_tag(struct cmd_ctx *c)
{
    if (c->is_admin)
        return ctx_reply(c, "tag.usage", NOARGS);
    struct sbuf tags = {0}, who = {0};
    int rc = tag_each_of_member(c->e, c->member_id, add_tag_text, &tags);
    member_name(c->e, c->member_id, &who);
    if (!rc)
        rc = ctx_reply(c, tags.len ? "tag.mine" : "tag.mine_none", ARGS(TS("name", who.s), TS("tags", sbuf_str(&tags))));
    sbuf_free(&tags);
    sbuf_free(&who);
    return rc;
}

/* /me: the member's tags (a quiz's persona among them). */
static int tag_me_lines(struct cmd_ctx *c, struct sbuf *out)
{
    struct sbuf tags = {0};
    int rc = tag_each_of_member(c->e, c->member_id, add_tag_text, &tags);
    if (!rc && tags.len) {
        sbuf_addc(out, '\n');
        text_format(out, c->lang, "tag.me", ARGS(TS("tags", tags.s)));
    }
    sbuf_free(&tags);
    return rc;
}

/* ==== /stats tag ======================================================== */

/* Members, active in 7 days, check-ins in 7 days and tasks done in 30 days
   per tag, most held first, then the members without any tag. */
static int stats_by_tag(struct cmd_ctx *c)
{
    int64_t today = community_day(&c->comm, c->at);
    int64_t t7 = community_day_start(&c->comm, today - 6), t30 = community_day_start(&c->comm, today - 29);
    sqlite3_stmt *s = store_query(
        c->st,
        "SELECT g.tag, count(*), sum(m.last_seen >= ?2),"
        " sum((SELECT count(*) FROM checkins k WHERE k.member_id = m.id AND k.day >= ?3)),"
        " sum((SELECT count(*) FROM task_completions d WHERE d.member_id = m.id AND d.at >= ?4))"
        " FROM (SELECT min(tag) AS tag FROM member_tags WHERE community_id = ?1 GROUP BY tag) g"
        " JOIN member_tags t ON t.community_id = ?1 AND t.tag = g.tag JOIN members m ON m.id = t.member_id"
        " GROUP BY g.tag ORDER BY count(*) DESC, g.tag LIMIT ?5",
        VALS(SI(c->comm.id), SI(t7), SI(today - 6), SI(t30), SI(TAG_STATS_ROWS)));
    if (!s)
        return store_failure(c->st);
    struct sbuf b = {0};
    text_format(&b, c->lang, "tag.stats_head", NOARGS);
    int rc, n = 0;
    while ((rc = store_step(c->st, s)) == 1) {
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "tag.stats_line",
                    ARGS(TU("tag", store_text(s, 0)), TI("members", store_int(s, 1)), TI("active", store_int(s, 2)),
                         TI("checkins", store_int(s, 3)), TI("tasks", store_int(s, 4))));
        n++;
    }
    store_done(s);
    if (rc < 0 || (s = store_query(c->st,
                                   "SELECT count(*), coalesce(sum(m.last_seen >= ?2), 0),"
                                   " coalesce(sum((SELECT count(*) FROM checkins k WHERE k.member_id = m.id AND k.day >= ?3)), 0),"
                                   " coalesce(sum((SELECT count(*) FROM task_completions d WHERE d.member_id = m.id AND d.at >= ?4)), 0)"
                                   " FROM members m WHERE m.community_id = ?1"
                                   " AND NOT EXISTS (SELECT 1 FROM member_tags t WHERE t.member_id = m.id)",
                                   VALS(SI(c->comm.id), SI(t7), SI(today - 6), SI(t30)))) == NULL) {
        sbuf_free(&b);
        return rc < 0 ? rc : store_failure(c->st);
    }
    if ((rc = store_step(c->st, s)) == 1) {
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "tag.stats_untagged",
                    ARGS(TI("members", store_int(s, 0)), TI("active", store_int(s, 1)),
                         TI("checkins", store_int(s, 2)), TI("tasks", store_int(s, 3))));
        rc = KB_OK;
    }
    store_done(s);
    if (!rc && !n) {
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "tag.none", NOARGS);
    }
    if (!rc)
        rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    return rc;
}

static int stats_tag_cmd(struct cmd_ctx *c)
{
    return stats_by_tag(c);
}

/* /stats --by <split>: tag is the split this module knows */
static int stats_by_cmd(struct cmd_ctx *c)
{
    if (ascii_casecmp(c->args, "tag") == 0 || strcmp(c->args, "标签") == 0)
        return stats_by_tag(c);
    return ctx_reply(c, "tag.stats_by_usage", ARGS(TU("what", c->args)));
}

static const struct cmd_spec commands[] = {
    {"tag", cmd_tag, 0, "tag.help", "标签"},
};

static const struct cmd_sub subs[] = {
    {"tag", "add", tag_add_cmd, CMD_OPERATOR, 1, -1},
    {"tag", "remove", tag_remove_cmd, CMD_OPERATOR, 1, -1},
    {"tag", "list", tag_list_cmd, CMD_OPERATOR, 0, 1},
    {"stats", "tag", stats_tag_cmd, CMD_OPERATOR, 0, 0},
    {"stats", "--by", stats_by_cmd, CMD_OPERATOR, 1, 1},
};

static const struct text_entry texts[] = {
    {"tag.me", "🏷 标签：{tags}", "🏷 Tags: {tags}"},
    {"tag.help", "/tag — 我的标签", "/tag — your tags"},
    {"tag.help.op", "/tag add|remove 标签 @成员… · /tag list [标签] · /stats tag — 成员标签：打标签、按标签查人、按标签看数据",
     "/tag add|remove TAG @member… · /tag list [TAG] · /stats tag — member tags: tag, list by tag, numbers by tag"},
    {"tag.usage",
     "用法：/tag add 标签 @成员…｜/tag remove 标签 @成员…｜/tag list [标签]｜/stats tag\n"
     "任务和投票可以只对某个标签开放：/task new … --tag 标签，/poll new … --tag 标签",
     "Usage: /tag add TAG @member…, /tag remove TAG @member…, /tag list [TAG], /stats tag\n"
     "Tasks and polls can be limited to a tag: /task new … --tag TAG, /poll new … --tag TAG"},
    {"tag.add_usage", "用法：/tag add 标签 @成员…（标签里不要有空格）", "Usage: /tag add TAG @member… (a tag without spaces)"},
    {"tag.remove_usage", "用法：/tag remove 标签 @成员…", "Usage: /tag remove TAG @member…"},
    {"tag.bad_name", "标签最多 {max} 个字，不能有空格，也不能以 @、# 或 - 开头。",
     "A tag has at most {max} characters, no spaces, and does not start with @, # or -."},
    {"tag.added", "🏷 已给 {names} 打上标签 {tag}", "🏷 Tagged {tag}: {names}"},
    {"tag.removed", "🏷 已去掉 {names} 的标签 {tag}", "🏷 Removed the tag {tag} from {names}"},
    {"tag.already", "本来就有标签 {tag}：{names}", "Already tagged {tag}: {names}"},
    {"tag.not_held", "本来就没有标签 {tag}：{names}", "Not tagged {tag}: {names}"},
    {"tag.unknown_members", "找不到这些成员：{names}", "Members I don't know: {names}"},
    {"tag.list_head", "<b>成员标签</b>", "<b>Member tags</b>"},
    {"tag.list_line", "{tag}：{n} 人", "{tag}: {n} {n|member|members}"},
    {"tag.none", "还没有人有标签。/tag add 标签 @成员 打一个。", "Nobody has a tag yet. /tag add TAG @member adds one."},
    {"tag.nobody", "还没有人有标签 {tag}。", "Nobody is tagged {tag} yet."},
    {"tag.members_head", "<b>{tag}</b>（{n} 人）", "<b>{tag}</b> ({n} {n|member|members})"},
    {"tag.more", " 等另外 {n} 人", " and {n} more"},
    {"tag.mine", "🏷 {name} 的标签：{tags}", "🏷 {name}'s tags: {tags}"},
    {"tag.mine_none", "{name} 还没有标签。测一测 /quiz 就能得到一个！", "{name}, you have no tags yet. Take a quiz (/quiz) to earn one!"},
    {"tag.stats_head", "📊 <b>按标签看社群</b>（活跃 = 近 7 天发过言，签到 = 近 7 天，任务 = 近 30 天完成）",
     "📊 <b>The community by tag</b> (active = seen in 7 days, check-ins in 7 days, tasks done in 30 days)"},
    {"tag.stats_line", "{tag}：{members} 人 · 活跃 {active} · 签到 {checkins} · 任务 {tasks}",
     "{tag}: {members} members · {active} active · {checkins} check-ins · {tasks} tasks"},
    {"tag.stats_untagged", "（无标签）：{members} 人 · 活跃 {active} · 签到 {checkins} · 任务 {tasks}",
     "(no tag): {members} members · {active} active · {checkins} check-ins · {tasks} tasks"},
    {"tag.stats_by_usage", "不能按 {what} 拆分。用法：/stats --by tag（或 /stats tag）",
     "Cannot split by {what}. Usage: /stats --by tag (or /stats tag)"},
    {"tag.refuse", "🏷 仅限有标签 {tag} 的成员参加。", "🏷 Only for members tagged {tag}."},
    {"tag.limit_nobody", "（提醒：目前还没有人有标签 {tag}。）", "(Note: nobody is tagged {tag} yet.)"},
    {"audit.tag.add", "打标签", "tagged"},
    {"audit.tag.remove", "去掉标签", "untagged"},
};

static const char *const migrations[] = {
    /* 1: tags on members, and the tag a task or poll is limited to */
    "CREATE TABLE member_tags ("
    "  community_id INTEGER NOT NULL,"
    "  member_id INTEGER NOT NULL REFERENCES members(id),"
    "  tag TEXT NOT NULL COLLATE NOCASE,"
    "  source TEXT NOT NULL,"            /* operator, quiz:<id> */
    "  by_member INTEGER NOT NULL DEFAULT 0,"
    "  at INTEGER NOT NULL,"
    "  PRIMARY KEY (member_id, tag)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE INDEX member_tags_tag ON member_tags(community_id, tag);"
    "CREATE TABLE tag_limits ("
    "  target TEXT PRIMARY KEY,"         /* task:<id>, poll:<id> */
    "  community_id INTEGER NOT NULL,"
    "  tag TEXT NOT NULL COLLATE NOCASE"
    ") STRICT, WITHOUT ROWID;",
};

const struct kb_module tag_module = {
    .name = "tag",
    .commands = commands,
    .n_commands = KB_COUNT(commands),
    .subs = subs,
    .n_subs = KB_COUNT(subs),
    .texts = texts,
    .n_texts = KB_COUNT(texts),
    .migrations = migrations,
    .n_migrations = KB_COUNT(migrations),
    .me_lines = tag_me_lines,
};
