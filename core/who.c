/* Command targets and /who; see who.h. */
#include "who.h"

#include <string.h>

#include "command.h"

#define WHO_LIST_MAX 20
#define WHO_CANDIDATES_MAX 10

int who_has_reply(const struct cmd_ctx *c)
{
    const struct kb_event *ev = c->ev;
    return ev->kind == KB_EV_MESSAGE && ev->reply_to_user_id && ev->user_id &&
           strcmp(ev->reply_to_user_id, ev->user_id) != 0;
}

char *who_next_target(struct cmd_ctx *c, const char **p)
{
    const char *s = command_skip_space(*p);
    if (who_has_reply(c) && *s != '@' && *s != '#')
        return NULL;
    return command_next_word(p);
}

/* Exactly one member with this identity: KB_OK; none or several:
   KB_ENOTFOUND (with *several set when more than one matched). */
static int one_member(struct engine *e, const char *sql, int64_t community_id, const char *value,
                      int64_t *member_id, int *several)
{
    sqlite3_stmt *s = store_query(e->st, sql, VALS(SI(community_id), ST(value)));
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    int64_t n = rc == 1 ? store_int(s, 0) : 0;
    if (n == 1)
        *member_id = store_int(s, 1);
    store_done(s);
    if (rc < 0)
        return rc;
    if (n > 1)
        *several = 1;
    return n == 1 ? KB_OK : KB_ENOTFOUND;
}

/* The identity lookup itself (names never match); *several tells a
   handle or id shared by more than one member from no match at all. */
static int find_identity(struct engine *e, int64_t community_id, const char *who, int64_t *member_id,
                         int *several)
{
    *several = 0;
    if (!who || !*who)
        return KB_ENOTFOUND;
    if (who[0] == '#') {
        int64_t number;
        if (parse_i64(who + 1, 1, INT64_MAX, &number))
            return KB_ENOTFOUND;
        int rc = store_i64(e->st, member_id, "SELECT id FROM members WHERE id = ? AND community_id = ?",
                           VALS(SI(number), SI(community_id)));
        return rc;
    }
    const char *w = who[0] == '@' ? who + 1 : who;
    if (!*w)
        return KB_ENOTFOUND;
    int rc = one_member(e,
                        "SELECT count(*), min(id) FROM members WHERE community_id = ? AND handle = ? COLLATE NOCASE",
                        community_id, w, member_id, several);
    if (rc != KB_ENOTFOUND || *several)
        return rc;
    return one_member(e, "SELECT count(*), min(id) FROM members WHERE community_id = ? AND user_id = ?",
                      community_id, w, member_id, several);
}

int member_find_identity(struct engine *e, int64_t community_id, const char *who,
                         int64_t *member_id)
{
    int several;
    return find_identity(e, community_id, who, member_id, &several);
}

/* A linked second identity stands for the person's first one. */
static int member_resolve(struct engine *e, int rc, int64_t *member_id)
{
    if (rc != KB_OK)
        return rc;
    return store_i64(e->st, member_id, "SELECT coalesce(linked_to, id) FROM members WHERE id = ?",
                     VALS(SI(*member_id)));
}

int member_find(struct engine *e, int64_t community_id, const char *who, int64_t *member_id)
{
    return member_resolve(e, member_find_identity(e, community_id, who, member_id), member_id);
}

/* One line per member: "#12 Alice (@alice · tg 123)": the number picks
   them, the handle and platform id tell namesakes apart. */
static void member_line(struct cmd_ctx *c, sqlite3_stmt *s, struct sbuf *out)
{
    struct sbuf detail = {0};
    const char *handle = store_text(s, 2);
    if (*handle)
        sbuf_addf(&detail, "@%s · ", handle);
    sbuf_addf(&detail, "%s %s", store_text(s, 3), store_text(s, 4));
    text_format(out, c->lang, "who.line",
                ARGS(TI("id", store_int(s, 0)), TU("name", store_text(s, 1)), TU("detail", detail.s)));
    sbuf_addc(out, '\n');
    sbuf_free(&detail);
}

/* Members a refused word could mean: same handle, platform id or name. */
static int refuse_with_candidates(struct cmd_ctx *c, const char *who)
{
    const char *w = who[0] == '@' ? who + 1 : who;
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT id, name, coalesce(handle, ''), platform, user_id FROM members"
                                  " WHERE community_id = ?1 AND (handle = ?2 COLLATE NOCASE OR user_id = ?2"
                                  " OR name = ?2 COLLATE NOCASE) ORDER BY last_seen DESC LIMIT ?3",
                                  VALS(SI(c->comm.id), ST(w), SI(WHO_CANDIDATES_MAX)));
    if (!s)
        return store_failure(c->st);
    struct sbuf list = {0};
    int64_t first = 0;
    int rc, n = 0;
    while ((rc = store_step(c->st, s)) == 1) {
        if (n++ == 0)
            first = store_int(s, 0);
        member_line(c, s, &list);
    }
    store_done(s);
    if (rc == 0) {
        if (n == 0)
            rc = ctx_reply(c, "who.unknown", ARGS(TU("who", who)));
        else
            rc = ctx_reply(c, "who.ambiguous", ARGS(TU("who", who), TS("list", list.s), TI("first", first)));
    }
    sbuf_free(&list);
    return rc ? rc : KB_ENOTFOUND;
}

/* follow_link: a linked second identity stands for the person's first one */
static int resolve(struct cmd_ctx *c, const char *who, int64_t *member_id, int follow_link)
{
    if (!who) {
        int rc = who_has_reply(c)
                     ? store_i64(c->st, member_id,
                                 "SELECT id FROM members WHERE community_id = ? AND platform = ? AND user_id = ?",
                                 VALS(SI(c->comm.id), ST(c->ev->platform), ST(c->ev->reply_to_user_id)))
                     : KB_ENOTFOUND;
        if (rc == KB_ENOTFOUND) {
            rc = ctx_reply(c, "who.reply_unknown", NOARGS);
            return rc ? rc : KB_ENOTFOUND;
        }
        return follow_link ? member_resolve(c->e, rc, member_id) : rc;
    }
    int several;
    int rc = find_identity(c->e, c->comm.id, who, member_id, &several);
    if (rc != KB_ENOTFOUND)
        return follow_link ? member_resolve(c->e, rc, member_id) : rc;
    return refuse_with_candidates(c, who);
}

int who_resolve(struct cmd_ctx *c, const char *who, int64_t *member_id)
{
    return resolve(c, who, member_id, 1);
}

int who_resolve_identity(struct cmd_ctx *c, const char *who, int64_t *member_id)
{
    return resolve(c, who, member_id, 0);
}

/* /who [text]: members whose name or handle contains text (all when
   none), most recently active first, with the numbers that name them. */
static int cmd_who(struct cmd_ctx *c)
{
    const char *q = c->args;
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT id, name, coalesce(handle, ''), platform, user_id FROM members"
                                  " WHERE community_id = ?1 AND (?2 = '' OR instr(lower(name), lower(?2)) > 0"
                                  " OR instr(lower(coalesce(handle, '')), lower(?2)) > 0)"
                                  " ORDER BY last_seen DESC, id LIMIT ?3",
                                  VALS(SI(c->comm.id), ST(q), SI(WHO_LIST_MAX)));
    if (!s)
        return store_failure(c->st);
    struct sbuf b = {0};
    text_format(&b, c->lang, "who.head", NOARGS);
    sbuf_addc(&b, '\n');
    int rc, n = 0;
    while ((rc = store_step(c->st, s)) == 1) {
        member_line(c, s, &b);
        n++;
    }
    store_done(s);
    if (rc == 0)
        rc = n ? ctx_reply_markup(c, b.s, 0) : ctx_reply(c, "who.none", ARGS(TU("q", q)));
    sbuf_free(&b);
    return rc;
}

static const struct cmd_spec commands[] = {
    {"who", cmd_who, CMD_OPERATOR, "who.help", NULL},
};

static const struct text_entry texts[] = {
    {"who.help", "/who [名字] — 查成员编号，用 #编号 指定对象", "/who [name] — member numbers, to name a target as #number"},
    {"who.head", "👥 成员（最近活跃的在前；用编号指定对象，例如 /grant points 10 #12）：",
     "👥 Members (most recently active first; name one by number, e.g. /grant points 10 #12):"},
    {"who.line", "#{id} {name}（{detail}）", "#{id} {name} ({detail})"},
    {"who.none", "没有名字或用户名包含“{q}”的成员。", "No member whose name or handle contains “{q}”."},
    {"who.unknown",
     "🤔 找不到成员 {who}（对方要先在群里发过言）。请用 @用户名、/who 列出的编号（如 #12）、回复对方的消息，"
     "或在消息里提及对方。",
     "🤔 I don't know the member {who} (they need to have spoken in the group first). Name them by @handle, "
     "a member number from /who (like #12), a reply to their message, or a mention."},
    {"who.ambiguous",
     "🤔 无法确定 {who} 指的是哪位成员（显示名不能代表身份）。可能是：\n{list}请用编号指定，例如 #{first}。",
     "🤔 {who} does not say which member (a display name is not an identity). It could be:\n{list}Name "
     "one by number, e.g. #{first}."},
    {"who.reply_unknown", "🤔 你回复的这个人还不是本社区的成员。",
     "🤔 The person you replied to is not a member of this community yet."},
};

const struct kb_module who_module = {
    .name = "who",
    .commands = commands,
    .n_commands = KB_COUNT(commands),
    .texts = texts,
    .n_texts = KB_COUNT(texts),
};
