/*
 * The member's own view: /me (standing) and /help (what the caller may do),
 * plus the engine's generic refusals, which live in this module's catalogue.
 */
#include "profile.h"

#include <stdio.h>
#include <string.h>

#include "checkin.h"
#include "ledger.h"
#include "link.h"
#include "next.h"
#include "standing.h"
#include "streak.h"
#include "top.h"
#include "tz.h"

static int cmd_me(struct cmd_ctx *c)
{
    if (strncmp(c->args, "link", 4) == 0 && (c->args[4] == '\0' || c->args[4] == ' '))
        return link_me_command(c, c->args + 4);
    int64_t points = 0;
    struct checkin_stats cs;
    int rc = ledger_points(c->e, c->member_id, &points);
    if (!rc)
        rc = checkin_stats(c->e, c->member_id, community_day(&c->comm, c->at), &cs);
    if (rc)
        return rc;
    struct sbuf who = {0}, b = {0};
    member_label(c->e, c->member_id, &who);
    text_format(&b, c->lang, "me.show",
                ARGS(TS("name", who.s), TI("points", points), TI("streak", cs.current_streak),
                     TI("best", cs.best_streak), TI("days", cs.days)));
    struct top_row rows[10];
    size_t n;
    int64_t rank = 0, value = 0;
    rc = top_query(c->e, c->comm.id, TOP_ALL, top_period(&c->comm, TOP_ALL, c->at), TOP_POINTS,
                   c->member_id, rows, &n, &rank, &value);
    if (!rc && rank > 0) {
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "me.rank", ARGS(TI("rank", rank)));
    }
    if (!rc)
        rc = streak_describe(c, &b); /* streak freezes */
    if (!rc)
        rc = standing_describe(c, &b); /* level, progress, titles, badges, pools */
    for (size_t m = 0; m < kb_n_modules && !rc; m++)
        if (kb_modules[m]->me_lines) /* duties, mentor, camps */
            rc = kb_modules[m]->me_lines(c, &b);
    struct sbuf next = {0};
    size_t n_next = 0;
    if (!rc)
        rc = next_suggest(c->e, &c->comm, c->member_id, c->now, c->lang, 1,
                          c->ev->chat_type == KB_CHAT_PRIVATE, &next, &n_next);
    if (!rc && n_next) {
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "me.next", NOARGS);
        sbuf_add(&b, next.s);
    }
    sbuf_free(&next);
    if (!rc)
        rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    sbuf_free(&who);
    return rc;
}

/* The permissions its subcommands add to command name, from the modules'
   tables. */
static unsigned sub_flags(const char *name)
{
    unsigned flags = 0;
    for (size_t m = 0; m < kb_n_modules; m++)
        for (size_t i = 0; i < kb_modules[m]->n_subs; i++)
            if (strcmp(kb_modules[m]->subs[i].host, name) == 0)
                flags |= kb_modules[m]->subs[i].flags;
    return flags;
}

/* The operator lines of a member command whose table declares operator
   subcommands ("/task new|…", "/pool new|add|…"): catalogue keys help_key
   + ".op" (operators and admins) and + ".ledger" (configured operators). */
static void help_operator_subcommands(struct cmd_ctx *c, struct sbuf *b, const struct cmd_spec *s)
{
    static const char *const suffixes[] = {".op", ".ledger"};
    static const unsigned needs[] = {CMD_OPERATOR, CMD_LEDGER};
    unsigned flags = sub_flags(s->name);
    for (int k = 0; k < 2; k++) {
        char key[96];
        snprintf(key, sizeof key, "%s%s", s->help_key, suffixes[k]);
        if (!(flags & needs[k]) || !text_has(key) || (k == 1 && !c->is_operator))
            continue;
        sbuf_addc(b, '\n');
        text_format(b, c->lang, key, NOARGS);
    }
}

static void help_section(struct cmd_ctx *c, struct sbuf *b, int operator_part)
{
    for (size_t m = 0; m < kb_n_modules; m++) {
        for (size_t i = 0; i < kb_modules[m]->n_commands; i++) {
            const struct cmd_spec *s = &kb_modules[m]->commands[i];
            int is_op = (s->flags & (CMD_OPERATOR | CMD_LEDGER | CMD_OPERATOR_HELP)) != 0;
            if (operator_part && !is_op && s->help_key && !(s->flags & CMD_HIDDEN))
                help_operator_subcommands(c, b, s);
            if (!s->help_key || (s->flags & CMD_HIDDEN) || is_op != operator_part)
                continue;
            if ((s->flags & CMD_LEDGER) && !c->is_operator)
                continue;
            sbuf_addc(b, '\n');
            text_format(b, c->lang, s->help_key, NOARGS);
            if (s->alias && !text_lang_is_en(c->lang)) /* Chinese names for Chinese readers */
                text_format(b, c->lang, "help.alias", ARGS(TS("alias", s->alias)));
        }
    }
}

static int cmd_help(struct cmd_ctx *c)
{
    struct sbuf b = {0};
    text_format(&b, c->lang, "help.header", NOARGS);
    help_section(c, &b, 0);
    if (c->is_admin) {
        sbuf_add(&b, "\n\n");
        text_format(&b, c->lang, "help.operator_header", NOARGS);
        help_section(c, &b, 1);
    }
    int rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    return rc;
}

static const struct cmd_spec commands[] = {
    {"me", cmd_me, 0, "me.help", "我的"},
    {"help", cmd_help, 0, "help.help", "帮助"},
    {"start", cmd_help, CMD_HIDDEN, NULL, NULL},
};

static const struct text_entry texts[] = {
    {"me.help", "/me — 我的积分、连续签到和等级", "/me — my points, streak and level"},
    {"me.show",
     "👤 {name}\n积分：<b>{points}</b>\n连续签到：{streak} 天（最长 {best} 天）\n累计签到：{days} 天",
     "👤 {name}\nPoints: <b>{points}</b>\nStreak: {streak} {streak|day|days} (best {best})\nCheck-in days: {days}"},
    {"me.rank", "积分排名：第 {rank} 名", "Rank: #{rank} by points"},
    {"help.help", "/help — 查看可用命令", "/help — list the commands you can use"},
    {"help.alias", " · /{alias}", " · /{alias}"},
    {"help.header", "<b>可用命令</b>", "<b>Commands</b>"},
    {"help.operator_header", "<b>运营命令</b>", "<b>Operator commands</b>"},
    {"engine.unknown", "🤔 没有 /{cmd} 这个命令，发送 /help 查看可用命令。",
     "🤔 There is no /{cmd} command. Send /help to see what you can do."},
    {"engine.operators_only", "🔒 抱歉，这个命令只有运营者可以使用。",
     "🔒 Sorry, only operators can use this command."},
    {"engine.group_only", "这个命令只能在群里使用。", "This command only works in a group."},
    {"direct.fallback", "🔒 {who}，我没法私信你（你还没私聊过我，或者屏蔽了我），只好发在群里。私聊我发送 /start，以后这类消息只发给你。",
     "🔒 {who}, I can't message you privately (you haven't started a private chat with me, or you blocked me), so this is in the group. Send me /start privately and such messages will reach you alone."},
    {"direct.sent", "（已私信）", " (sent privately)"},
    {"engine.slow_down", "⏳ 操作太频繁了，请稍等一分钟再试。",
     "⏳ You're sending commands too fast; please wait a minute."},
    {"engine.too_long", "消息太长了（最多 {max} 字节）。", "That message is too long (at most {max} bytes)."},
    {"engine.bad_text", "消息里有无法识别的字符，请重新输入。",
     "That message contains characters I can't read; please type it again."},
};

const struct kb_module profile_module = {
    .name = "profile",
    .commands = commands,
    .n_commands = KB_COUNT(commands),
    .texts = texts,
    .n_texts = KB_COUNT(texts),
};
