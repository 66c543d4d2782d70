/* The audit trail; see audit.h. */
#include "audit.h"

#include <stdio.h>
#include <string.h>

int audit_add(struct cmd_ctx *c, const char *action, const char *target, const char *detail)
{
    return store_exec(c->st,
                      "INSERT INTO audit(community_id, actor_member_id, action, target, detail, at)"
                      " VALUES (?, ?, ?, ?, ?, ?)",
                      VALS(SI(c->comm.id), SI(c->member_id), ST(action), ST(target ? target : ""),
                           ST(detail ? detail : ""), SI(c->now)));
}

void audit_action_text(struct cmd_ctx *c, const char *action, struct sbuf *out)
{
    char key[64];
    snprintf(key, sizeof key, "audit.%s", action);
    if (text_has(key))
        text_format(out, c->lang, key, NOARGS);
    else
        text_user(out, action);
}

void audit_target_text(struct cmd_ctx *c, const char *target, struct sbuf *out)
{
    const char *colon = strchr(target, ':');
    int64_t id = 0;
    char kind[24] = "";
    if (colon && (size_t)(colon - target) < sizeof kind && parse_i64(colon + 1, 0, INT64_MAX, &id) == KB_OK)
        snprintf(kind, sizeof kind, "%.*s", (int)(colon - target), target);
    char key[64];
    snprintf(key, sizeof key, "audit.target.%s", *kind ? kind : target);
    if (!strcmp(kind, "member"))
        member_name(c->e, id, out);
    else if (text_has(key))
        text_format(out, c->lang, key, ARGS(TI("id", id)));
    else
        text_user(out, target);
}

static const struct text_entry texts[] = {
    {"audit.task.post", "发布任务", "posted"},
    {"audit.task.edit", "修改任务", "edited"},
    {"audit.task.close", "关闭任务", "closed"},
    {"audit.task.cancel", "取消任务", "cancelled"},
    {"audit.task.invite", "邀请领取", "invited to"},
    {"audit.task.approve", "通过提交", "approved"},
    {"audit.task.reject", "退回提交", "returned"},
    {"audit.task.unapprove", "撤回通过", "unapproved"},
    {"audit.payout", "发放奖励给", "paid out to"},
    {"audit.system", "系统", "the bot"},
    {"audit.grant.points", "授予积分", "granted points to"},
    {"audit.grant.title", "授予头衔", "granted a title to"},
    {"audit.grant.badge", "授予徽章", "granted a badge to"},
    {"audit.revoke.points", "撤销积分", "revoked points from"},
    {"audit.revoke.title", "撤销头衔", "revoked a title from"},
    {"audit.revoke.badge", "撤销徽章", "revoked a badge from"},
    {"audit.revoke.cash", "撤销现金", "revoked cash from"},
    {"audit.revoke.gift", "撤销礼品", "revoked a gift from"},
    {"audit.level.set", "设定等级", "set the level of"},
    {"audit.pool.new", "新建人才库", "created the talent pool"},
    {"audit.pool.add", "加入人才库", "added to a pool"},
    {"audit.pool.remove", "移出人才库", "removed from a pool"},
    {"audit.pool.accept", "通过人才库申请", "accepted into a pool"},
    {"audit.pool.decline", "拒绝人才库申请", "declined for a pool"},
    {"audit.poll.new", "发起投票", "opened"},
    {"audit.poll.close", "结束投票", "closed"},
    {"audit.poll.export", "导出投票", "exported"},
    {"audit.schedule.add", "设置自动帖", "scheduled"},
    {"audit.schedule.off", "关闭自动帖", "switched off"},
    {"audit.schedule.quiet", "设置免打扰", "set"},
    {"audit.schedule.quote_add", "添加语录", "added"},
    {"audit.schedule.quote_del", "删除语录", "removed"},
    {"audit.target.task", "任务 #{id}", "task #{id}"},
    {"audit.target.submission", "提交 #{id}", "submission #{id}"},
    {"audit.target.poll", "投票 #{id}", "poll #{id}"},
    {"audit.target.schedule", "自动帖 #{id}", "automatic post #{id}"},
    {"audit.target.line", "语录 #{id}", "line #{id}"},
    {"audit.target.quiet", "免打扰时段", "the quiet hours"},
};

const struct kb_module audit_module = {
    .name = "audit",
    .texts = texts,
    .n_texts = KB_COUNT(texts),
};
