/*
 * Revision rounds, versions and partial acceptance (revision.h).
 *
 * A revision request sends a pending submission back without rejecting
 * it: the submission leaves the review queue (state "rejected", the
 * claim reopened with a fresh window) and a revision_requests row says it
 * was a round of changes, numbered per claim, so the rounds a task allows
 * (tasks.max_rounds, else the configured default) are counted by the
 * database and never exceeded.  Every /submit is a new submissions row, so
 * each version is kept; the approved one is the deliverable.
 */
#include "revision.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "command.h"
#include "defn.h"
#include "review.h"

#define NOTE_MAX 500
#define VERSIONS_MAX 30

/* ==== partial acceptance =============================================== */

int64_t revision_share(int64_t amount, int64_t accepted, int64_t total)
{
    /* round half up: (2·a·k + n) / 2n, in integers (amount ≤ 2^53, total ≤ 100) */
    return (2 * amount * accepted + total) / (2 * total);
}

int revision_parse_part(const char **note, int64_t *accepted, int64_t *total)
{
    *accepted = *total = 0;
    const char *p = *note, *q = p, *slash = NULL;
    /* only a word of digits around one slash: a note may start with a link */
    for (; *q && *q != ' ' && *q != '\t' && *q != '\n'; q++) {
        if (*q == '/' && !slash)
            slash = q;
        else if (*q < '0' || *q > '9')
            return 0;
    }
    if (!slash)
        return 0;
    char a[24], b[24];
    size_t la = (size_t)(slash - p), lb = (size_t)(q - slash - 1);
    if (la == 0 || lb == 0 || la >= sizeof a || lb >= sizeof b)
        return KB_EINVAL;
    memcpy(a, p, la);
    a[la] = '\0';
    memcpy(b, slash + 1, lb);
    b[lb] = '\0';
    if (parse_i64(b, 1, REVISION_PARTS_MAX, total) || parse_i64(a, 1, *total, accepted))
        return KB_EINVAL;
    *note = command_skip_space(q);
    return 1;
}

void revision_scale_task(struct task_row *t, int64_t accepted, int64_t total)
{
    if (accepted == total)
        return;
    t->points = revision_share(t->points, accepted, total);
    t->cash = revision_share(t->cash, accepted, total);
    /* a gift, badge or title cannot be split: it comes with a whole acceptance */
    char **items[] = {&t->gift, &t->badge, &t->title_reward};
    for (size_t i = 0; i < KB_COUNT(items); i++) {
        free(*items[i]);
        *items[i] = xstrdup("");
    }
}

int revision_record_part(struct cmd_ctx *c, int64_t submission_id, int64_t accepted, int64_t total)
{
    return store_exec(c->st,
                      "INSERT INTO partial_approvals(submission_id, accepted, total) VALUES (?, ?, ?)"
                      " ON CONFLICT(submission_id) DO UPDATE SET accepted = excluded.accepted, total = excluded.total",
                      VALS(SI(submission_id), SI(accepted), SI(total)));
}

/* ==== /revise ========================================================== */

/* The rounds task allows: its own, else the configured default. */
static int max_rounds(struct cmd_ctx *c, int64_t task_id, int64_t *max)
{
    *max = c->e->set.revision_max_rounds;
    int64_t own = -1;
    int rc = store_i64(c->st, &own, "SELECT coalesce(max_rounds, -1) FROM tasks WHERE id = ?", VALS(SI(task_id)));
    if (!rc && own >= 0)
        *max = own;
    return rc == KB_ENOTFOUND ? KB_OK : rc;
}

static int cmd_revise(struct cmd_ctx *c)
{
    const char *what;
    struct sub_row s;
    int rc = review_sub_from_args(c, &what, &s, "revision.usage");
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    struct task_row t = {0};
    int64_t used = 0, max = 0;
    if (!*what) {
        rc = ctx_reply(c, "revision.usage", NOARGS);
        goto out;
    }
    if (strlen(what) > NOTE_MAX) {
        rc = ctx_reply(c, "task.note_too_long", ARGS(TI("max", NOTE_MAX)));
        goto out;
    }
    if (strcmp(s.state, "pending")) {
        rc = review_refuse_state(c, &s);
        goto out;
    }
    rc = task_load(c->e, c->comm.id, s.task_id, &t);
    if (!rc)
        rc = max_rounds(c, s.task_id, &max);
    if (!rc)
        rc = store_i64(c->st, &used, "SELECT count(*) FROM revision_requests WHERE claim_id = ?",
                       VALS(SI(s.claim_id)));
    if (rc)
        goto out;
    if (used >= max) {
        rc = ctx_reply(c, max ? "revision.no_more_rounds" : "revision.no_rounds",
                       ARGS(TI("sub", s.id), TI("id", t.id), TI("max", max)));
        goto out;
    }
    rc = store_exec(c->st,
                    "UPDATE submissions SET state = 'rejected', reviewed_by = ?, reviewed_at = ?, note = ?"
                    " WHERE id = ? AND state = 'pending'",
                    VALS(SI(c->member_id), SI(c->now), ST(what), SI(s.id)));
    if (!rc && store_changes(c->st) != 1)
        rc = KB_ESTORE;
    struct sbuf again = {0}; /* a fresh window from now, even past the deadline */
    if (!rc)
        rc = review_reopen_claim(c, &t, s.claim_id, &again);
    if (!rc)
        rc = store_exec(c->st,
                        "INSERT INTO revision_requests(submission_id, claim_id, community_id, round, note, asked_by, at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)",
                        VALS(SI(s.id), SI(s.claim_id), SI(c->comm.id), SI(used + 1), ST(what), SI(c->member_id),
                             SI(c->now)));
    char target[48];
    snprintf(target, sizeof target, "submission:%lld", (long long)s.id);
    struct sbuf detail = {0};
    sbuf_addf(&detail, "round %lld/%lld: %s", (long long)(used + 1), (long long)max, what);
    if (!rc)
        rc = audit_add(c, "task.revise", target, detail.s);
    sbuf_free(&detail);
    if (!rc) {
        struct sbuf who = {0}, b = {0};
        task_mention(c->e, s.member_id, &who);
        text_format(&b, c->lang, "revision.asked",
                    ARGS(TS("who", who.s), TI("sub", s.id), TI("id", t.id), TU("title", t.title),
                         TI("round", used + 1), TI("max", max), TU("what", what), TS("again", again.s)));
        rc = review_tell(c, &s, b.s, "revision.asked_ack");
        sbuf_free(&who);
        sbuf_free(&b);
    }
    sbuf_free(&again);
out:
    task_row_free(&t);
    review_sub_free(&s);
    return rc;
}

/* ==== /submission ====================================================== */

/* One version's lines: "v2 · #14 · 11-24 10:00 · state" then its text and
   attachment, the reviewer's words, the part accepted. */
static void version_lines(struct cmd_ctx *c, sqlite3_stmt *q, int64_t version, struct sbuf *b)
{
    const char *state = store_text(q, 1);
    char when[32], key[40];
    when_format(store_int(q, 4), c->comm.tz, when, sizeof when);
    int64_t round = store_int(q, 7), accepted = store_int(q, 8), total = store_int(q, 9);
    struct sbuf st = {0}, body = {0};
    if (round)
        text_format(&st, c->lang, "revision.state_revise", ARGS(TI("round", round)));
    else if (!strcmp(state, "approved") && total)
        text_format(&st, c->lang, "revision.state_part", ARGS(TI("k", accepted), TI("n", total)));
    else if (!strcmp(state, "approved"))
        text_format(&st, c->lang, "revision.state_deliverable", NOARGS);
    else {
        snprintf(key, sizeof key, "task.sub.%s", state);
        sbuf_add(&st, text_get(c->lang, key));
    }
    sbuf_add(b, "\n\n");
    text_format(b, c->lang, "revision.version",
                ARGS(TI("v", version), TI("sub", store_int(q, 0)), TS("when", when), TS("state", st.s)));
    text_user_block(&body, store_text(q, 2));
    if (body.len) {
        sbuf_addc(b, '\n');
        sbuf_add(b, body.s);
    }
    if (*store_text(q, 3)) {
        sbuf_addc(b, '\n');
        text_format(b, c->lang, "review.attachment", ARGS(TU("att", store_text(q, 3))));
    }
    if (*store_text(q, 6)) {
        struct sbuf rev = {0};
        member_name(c->e, store_int(q, 5), &rev);
        sbuf_addc(b, '\n');
        text_format(b, c->lang, "revision.review_note", ARGS(TS("who", rev.s), TU("note", store_text(q, 6))));
        sbuf_free(&rev);
    }
    sbuf_free(&st);
    sbuf_free(&body);
}

static int cmd_submission(struct cmd_ctx *c)
{
    int64_t id = 0;
    if (task_parse_id(c->args, &id))
        return ctx_reply(c, "revision.submission_usage", NOARGS);
    int64_t claim = 0, member = 0, task = 0;
    sqlite3_stmt *q = store_query(c->st, "SELECT claim_id, member_id, task_id FROM submissions"
                                         " WHERE id = ? AND community_id = ?",
                                  VALS(SI(id), SI(c->comm.id)));
    if (!q)
        return store_failure(c->st);
    int rc = store_step(c->st, q);
    if (rc == 1) {
        claim = store_int(q, 0);
        member = store_int(q, 1);
        task = store_int(q, 2);
    }
    store_done(q);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return ctx_reply(c, "review.not_found", ARGS(TI("id", id)));
    if (member != c->member_id && !c->is_admin)
        return ctx_reply(c, "revision.not_yours", ARGS(TI("sub", id)));
    struct task_row t;
    rc = task_load(c->e, c->comm.id, task, &t);
    if (rc)
        return rc;
    int64_t max = 0, used = 0;
    rc = max_rounds(c, task, &max);
    if (!rc)
        rc = store_i64(c->st, &used, "SELECT count(*) FROM revision_requests WHERE claim_id = ?", VALS(SI(claim)));
    struct sbuf b = {0}, who = {0};
    task_mention(c->e, member, &who);
    text_format(&b, c->lang, "revision.history",
                ARGS(TI("id", t.id), TU("title", t.title), TS("who", who.s), TI("used", used), TI("max", max)));
    q = rc ? NULL
           : store_query(c->st,
                         "SELECT s.id, s.state, s.text, coalesce(s.attachment, ''), s.at, coalesce(s.reviewed_by, 0),"
                         " s.note, coalesce(r.round, 0), coalesce(p.accepted, 0), coalesce(p.total, 0)"
                         " FROM submissions s LEFT JOIN revision_requests r ON r.submission_id = s.id"
                         " LEFT JOIN partial_approvals p ON p.submission_id = s.id"
                         " WHERE s.claim_id = ? ORDER BY s.id",
                         VALS(SI(claim)));
    if (!rc && !q)
        rc = store_failure(c->st);
    int64_t version = 0;
    while (q && (rc = store_step(c->st, q)) == 1) {
        version++;
        /* the newest versions when there are very many */
        if (version > VERSIONS_MAX && version % VERSIONS_MAX)
            continue;
        version_lines(c, q, version, &b);
    }
    store_done(q);
    rc = rc < 0 ? rc : KB_OK;
    /* the author's history (reviewers' words) is a private matter */
    if (!rc && member == c->member_id && !c->is_admin && c->ev->chat_type != KB_CHAT_PRIVATE) {
        int sent = 0;
        rc = member_tell_privately(c->e, member, b.s, NULL, c->now, &sent);
        if (!rc)
            rc = ctx_reply(c, sent ? "revision.history_sent" : "revision.history_private", ARGS(TI("sub", id)));
    } else if (!rc) {
        rc = ctx_reply_markup(c, b.s, 0);
    }
    sbuf_free(&who);
    sbuf_free(&b);
    task_row_free(&t);
    return rc;
}

static const char *const migrations[] = {
    /* 1: rounds per task, the revision requests, partial approvals */
    "ALTER TABLE tasks ADD COLUMN max_rounds INTEGER CHECK (max_rounds >= 0);" /* NULL = configured */
    "CREATE TABLE revision_requests ("
    "  submission_id INTEGER PRIMARY KEY REFERENCES submissions(id),"
    "  claim_id INTEGER NOT NULL REFERENCES claims(id),"
    "  community_id INTEGER NOT NULL,"
    "  round INTEGER NOT NULL CHECK (round >= 1),"
    "  note TEXT NOT NULL,"
    "  asked_by INTEGER,"
    "  at INTEGER NOT NULL,"
    "  UNIQUE (claim_id, round)"
    ") STRICT;"
    "CREATE TABLE partial_approvals ("
    "  submission_id INTEGER PRIMARY KEY REFERENCES submissions(id),"
    "  accepted INTEGER NOT NULL,"
    "  total INTEGER NOT NULL,"
    "  CHECK (accepted >= 1 AND accepted <= total)"
    ") STRICT;",
};

static const struct cmd_spec commands[] = {
    {"revise", cmd_revise, CMD_OPERATOR, "revision.help.revise", NULL},
    {"submission", cmd_submission, 0, "revision.help.submission", "作品"},
};

static const struct text_entry texts[] = {
    {"revision.help.revise", "/revise &lt;提交编号&gt; &lt;修改意见&gt; — 请作者修改后重交（不算退回，按任务的轮数上限）",
     "/revise &lt;submission&gt; &lt;what to change&gt; — ask the author for a new version (not a rejection; up to the task's rounds)"},
    {"revision.help.submission", "/submission &lt;提交编号&gt; — 这份作品的全部版本和审核意见",
     "/submission &lt;id&gt; — every version of that work, with the reviewers' words"},
    {"revision.usage", "用法：/revise &lt;提交编号&gt; &lt;修改意见&gt;（修改意见必填）",
     "Usage: /revise &lt;submission&gt; &lt;what to change&gt; (say what to change)"},
    {"revision.no_more_rounds",
     "⚠️ 任务 #{id} 最多允许 {max} 轮修改，提交 #{sub} 已经用完了。请直接通过（可部分通过：/approve {sub} 3/5）或退回（/reject {sub} &lt;原因&gt;）。",
     "⚠️ Task #{id} allows {max} revision {max|round|rounds} and submission #{sub} has used them all. Approve it (in part if need be: "
     "/approve {sub} 3/5) or return it (/reject {sub} &lt;reason&gt;)."},
    {"revision.no_rounds",
     "⚠️ 任务 #{id} 不允许修改轮次。请直接通过（可部分通过：/approve {sub} 3/5）或退回；运营可用 /task edit {id} --rounds 2 设置轮数。",
     "⚠️ Task #{id} allows no revision rounds. Approve submission #{sub} (in part: /approve {sub} 3/5) or return it; "
     "/task edit {id} --rounds 2 sets the rounds."},
    {"revision.asked",
     "✏️ {who}，你的任务 #{id}「{title}」提交（#{sub}）需要修改（第 {round}/{max} 轮）：{what}\n这不是退回，改好后发新版本即可。{again}",
     "✏️ {who}, your submission #{sub} for task #{id} “{title}” needs changes (round {round} of {max}): {what}\n"
     "This is not a rejection: send the new version. {again}"},
    {"revision.asked_ack", "✅ 已请作者修改提交 #{sub}。", "✅ The author was asked to revise submission #{sub}."},
    {"revision.submission_usage", "用法：/submission &lt;提交编号&gt;", "Usage: /submission &lt;id&gt;"},
    {"revision.not_yours", "⚠️ 提交 #{sub} 不是你的作品；只有作者和运营可以查看。",
     "⚠️ Submission #{sub} is not your work: only its author and the operators may see it."},
    {"revision.history", "<b>任务 #{id}「{title}」· {who} 的作品</b>\n修改轮次：{used}/{max}",
     "<b>Task #{id} “{title}” · work by {who}</b>\nRevision rounds: {used} of {max}"},
    {"revision.version", "<b>第 {v} 版</b> · #{sub} · {when} · {state}", "<b>Version {v}</b> · #{sub} · {when} · {state}"},
    {"revision.state_revise", "✏️ 第 {round} 轮修改意见", "✏️ changes asked (round {round})"},
    {"revision.state_deliverable", "✅ 已通过（交付版本）", "✅ approved: the deliverable"},
    {"revision.state_part", "✅ 部分通过 {k}/{n}（交付版本）", "✅ {k} of {n} accepted: the deliverable"},
    {"revision.review_note", "💬 {who}：{note}", "💬 {who}: {note}"},
    {"revision.history_sent", "📬 提交 #{sub} 的全部版本已私信发给你。", "📬 Every version of submission #{sub} was sent to you privately."},
    {"revision.history_private",
     "🔒 审核意见是私事：请先私聊我（Telegram 上发送 /start），再在私聊里发送 /submission {sub}。",
     "🔒 Reviewers' words are private: open a private chat with me (on Telegram: /start), then send /submission {sub} there."},
    {"revision.part_usage", "⚠️ 部分通过请写成「通过数/总数」，例如 /approve 12 3/5（总数 1–100）。",
     "⚠️ A partial acceptance is accepted/total, e.g. /approve 12 3/5 (a total of 1–100)."},
    {"revision.part_line", "（通过 {k}/{n}，奖励按比例计算）", " ({k} of {n} accepted, the reward in proportion)"},
    {"revision.part_items", "礼品、徽章和称号只随全部通过发放。", " — a gift, badge or title comes only with a whole acceptance."},
    {"task.claim.revising", "需要修改，请提交新版本", "changes asked, send a new version"},
    {"audit.task.revise", "请求修改", "asked for changes to"},
};

static const struct kb_setting settings[] = {
    {.path = "revision_rounds", .type = KB_SETTING_INT, .off = offsetof(struct engine_settings, revision_max_rounds),
     .max = 20, .scale = 1, .dnum = 2},
};

const struct kb_module revision_module = {
    .name = "revision",
    .commands = commands,
    .n_commands = KB_COUNT(commands),
    .texts = texts,
    .n_texts = KB_COUNT(texts),
    .migrations = migrations,
    .n_migrations = KB_COUNT(migrations),
    .settings = settings,
    .n_settings = KB_COUNT(settings),
};
