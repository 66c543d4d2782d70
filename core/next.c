/* Next-task suggestions (see next.h). */
#include "next.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "checkin.h"
#include "command.h"
#include "defn.h"
#include "standing.h"
#include "task.h"
#include "tz.h"

enum { CANDIDATES_MAX = 200, NEXT_MAX = 3, SOON_S = 2 * 86400 };

int next_stage(struct engine *e, int64_t member_id, enum next_stage *out)
{
    size_t n_levels;
    standing_rules(e, &n_levels);
    int level = 1;
    int rc = standing_level(e, member_id, &level);
    if (rc)
        return rc;
    int top = n_levels >= 3 ? (int)n_levels - 1 : (int)n_levels;
    if (top > 4)
        top = 4;
    if (level >= top && level > 1) {
        *out = STAGE_TOP;
        return KB_OK;
    }
    int64_t one = 0;
    rc = store_i64(e->st, &one, "SELECT 1 FROM pool_members WHERE member_id = ? LIMIT 1", VALS(SI(member_id)));
    if (rc == KB_OK) {
        *out = STAGE_POOL;
        return KB_OK;
    }
    if (rc != KB_ENOTFOUND)
        return rc;
    struct standing_facts f;
    rc = standing_facts(e, member_id, &f);
    if (rc)
        return rc;
    *out = level == 1 && f.checkin_days < 7 ? STAGE_NEWCOMER : STAGE_ACTIVE;
    return KB_OK;
}

int next_tier_fit(enum next_stage stage, const char *tier)
{
    static const char *const order[4][STANDING_N_TIERS] = {
        [STAGE_NEWCOMER] = {"basic", "explore", "precision", "cobuild"},
        [STAGE_ACTIVE] = {"explore", "basic", "precision", "cobuild"},
        [STAGE_POOL] = {"precision", "explore", "basic", "cobuild"},
        [STAGE_TOP] = {"cobuild", "precision", "explore", "basic"},
    };
    for (int i = 0; i < STANDING_N_TIERS; i++)
        if (!strcmp(order[stage][i], tier))
            return i;
    return STANDING_N_TIERS;
}

static int tier_index(const char *tier)
{
    for (int i = 0; i < STANDING_N_TIERS; i++)
        if (!strcmp(standing_tiers[i], tier))
            return i;
    return -1;
}

struct candidate {
    struct task_row t;
    int pinned, fit;
};

static int64_t reward_weight(const struct task_row *t)
{
    return t->points + t->cash / 10; /* 10 cents weigh like a point: cash tasks come first */
}

static int by_fit(const void *a, const void *b)
{
    const struct candidate *x = a, *y = b;
    if (x->pinned != y->pinned)
        return y->pinned - x->pinned;
    if (x->fit != y->fit)
        return x->fit - y->fit;
    int64_t dx = x->t.deadline ? x->t.deadline : INT64_MAX, dy = y->t.deadline ? y->t.deadline : INT64_MAX;
    if (dx != dy)
        return dx < dy ? -1 : 1;
    int64_t rx = reward_weight(&x->t), ry = reward_weight(&y->t);
    if (rx != ry)
        return rx > ry ? -1 : 1;
    return x->t.id > y->t.id ? -1 : 1;
}

/* Open tasks the member may claim now, best fit first. */
static int candidates(struct engine *e, int64_t community_id, int64_t member_id, int64_t now,
                      enum next_stage stage, struct candidate **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT t.id, p.task_id IS NOT NULL FROM tasks t"
                                  " LEFT JOIN next_pins p ON p.community_id = t.community_id AND p.task_id = t.id"
                                  " WHERE t.community_id = ?1 AND t.state = 'open'"
                                  " AND (t.deadline IS NULL OR t.deadline > ?2)"
                                  " ORDER BY p.task_id IS NULL, t.id DESC LIMIT ?3",
                                  VALS(SI(community_id), SI(now), SI(CANDIDATES_MAX)));
    if (!s)
        return store_failure(e->st);
    int64_t ids[CANDIDATES_MAX];
    int pinned[CANDIDATES_MAX];
    size_t k = 0;
    int rc;
    while (k < CANDIDATES_MAX && (rc = store_step(e->st, s)) == 1) {
        ids[k] = store_int(s, 0);
        pinned[k++] = (int)store_int(s, 1);
    }
    store_done(s);
    if (rc < 0)
        return rc;
    struct candidate *c = xcalloc(k ? k : 1, sizeof *c);
    size_t m = 0;
    rc = KB_OK;
    for (size_t i = 0; i < k && !rc; i++) {
        rc = task_load(e, community_id, ids[i], &c[m].t);
        if (rc == KB_ENOTFOUND) {
            rc = KB_OK;
            continue;
        }
        const char *why = NULL;
        if (!rc)
            rc = task_why_not(e, &c[m].t, member_id, now, &why);
        if (!rc && !why) {
            c[m].pinned = pinned[i];
            c[m].fit = next_tier_fit(stage, c[m].t.tier);
            m++;
        } else if (rc != KB_ENOTFOUND) {
            task_row_free(&c[m].t);
        }
    }
    if (rc) {
        for (size_t i = 0; i < m; i++)
            task_row_free(&c[i].t);
        free(c);
        return rc;
    }
    qsort(c, m, sizeof *c, by_fit);
    *out = c;
    *n = m;
    return KB_OK;
}

/* The next level the member can earn (not granted-only), or 0. */
static int next_level(struct engine *e, int64_t member_id)
{
    size_t n;
    const struct kb_level_rule *r = standing_rules(e, &n);
    int level = 1;
    if (standing_level(e, member_id, &level))
        return 0;
    return (size_t)level < n && !r[level].granted_only ? level + 1 : 0;
}

/* One line on why c suits the member.  A level shortfall is said once per
   list (*level_said): after that, the task's own merit. */
static void why_task(struct engine *e, const struct candidate *c, enum next_stage stage, int level,
                     const struct standing_facts *f, const char *tz, int64_t now, const char *lang,
                     int *level_said, struct sbuf *out)
{
    static const char *const stage_keys[] = {[STAGE_NEWCOMER] = "next.why.newcomer",
                                             [STAGE_ACTIVE] = "next.why.active",
                                             [STAGE_POOL] = "next.why.pool",
                                             [STAGE_TOP] = "next.why.top"};
    struct sbuf lv = {0};
    if (level)
        standing_level_name(e, level, lang, &lv);
    struct standing_facts need = {0};
    if (level)
        standing_requirements(e, level, &need);
    int ti = tier_index(c->t.tier);
    char tier_key[32];
    snprintf(tier_key, sizeof tier_key, "task.tier.%s", c->t.tier);
    if (c->pinned) {
        text_format(out, lang, "next.why.pinned", NOARGS);
    } else if (level && ti >= 0 && need.tasks[ti] > f->tasks[ti]) {
        text_format(out, lang, "next.why.level_tier",
                    ARGS(TS("level", lv.s), TI("n", need.tasks[ti] - f->tasks[ti]),
                         TS("tier", text_get(lang, tier_key))));
    } else if (level && !*level_said && need.points > f->points && c->t.points > 0) {
        text_format(out, lang, "next.why.level_points",
                    ARGS(TS("level", lv.s), TI("n", need.points - f->points), TI("points", c->t.points)));
        *level_said = 1;
    } else if (c->fit == 0) {
        text_format(out, lang, stage_keys[stage], NOARGS);
    } else if (c->t.deadline && c->t.deadline - now < SOON_S) {
        char when[32];
        when_format(c->t.deadline, tz, when, sizeof when);
        text_format(out, lang, "next.why.soon", ARGS(TS("when", when)));
    } else {
        text_format(out, lang, "next.why.open", NOARGS);
    }
    sbuf_free(&lv);
}

static void task_line(const struct candidate *c, size_t i, const char *tz, const char *lang, int private_chat,
                      struct sbuf *out)
{
    char tier_key[32], when[32];
    snprintf(tier_key, sizeof tier_key, "task.tier.%s", c->t.tier);
    struct sbuf reward = {0}, deadline = {0};
    task_reward_shown(lang, &c->t, private_chat, &reward);
    if (c->t.deadline) {
        when_format(c->t.deadline, tz, when, sizeof when);
        text_format(&deadline, lang, "next.deadline", ARGS(TS("when", when)));
    }
    if (i)
        sbuf_addf(out, "%zu. ", i);
    text_format(out, lang, "next.task_line",
                ARGS(TS("tier", text_get(lang, tier_key)), TI("id", c->t.id),
                     TU("title", c->t.title), TS("reward", reward.s), TS("deadline", deadline.s)));
    sbuf_free(&reward);
    sbuf_free(&deadline);
}

/* The check-in as a suggestion when today's is still missing. */
static int checkin_line(struct engine *e, int64_t member_id, const struct community *comm, int64_t now, int level,
                        const struct standing_facts *f, size_t i, const char *lang, struct sbuf *out,
                        int *added)
{
    *added = 0;
    struct checkin_stats cs;
    int64_t today = community_day(comm, now);
    int rc = checkin_stats(e, member_id, today, &cs);
    if (rc || cs.last_day == today)
        return rc;
    if (i)
        sbuf_addf(out, "%zu. ", i);
    text_format(out, lang, "next.checkin_line", NOARGS);
    sbuf_add(out, "\n   ↳ ");
    struct standing_facts need = {0};
    if (level)
        standing_requirements(e, level, &need);
    if (level && need.checkin_days > f->checkin_days) {
        struct sbuf lv = {0};
        standing_level_name(e, level, lang, &lv);
        text_format(out, lang, "next.why.checkin_level",
                    ARGS(TI("n", need.checkin_days - f->checkin_days), TS("level", lv.s)));
        sbuf_free(&lv);
    } else if (cs.current_streak > 0) {
        text_format(out, lang, "next.why.checkin_streak", ARGS(TI("n", cs.current_streak)));
    } else {
        text_format(out, lang, "next.why.checkin",
                    ARGS(TI("points", checkin_points(&e->set.checkin, 1))));
    }
    *added = 1;
    return KB_OK;
}

/* An open quiz the member has not taken, as a suggestion (newcomers: the
   seeds' instant fun).  *added 0 when there is none. */
static int quiz_line(struct engine *e, const struct community *comm, int64_t member_id, size_t i,
                     const char *lang, struct sbuf *out, int *added)
{
    *added = 0;
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT q.id, q.title FROM quizzes q WHERE q.community_id = ? AND q.state = 'open'"
                                  " AND NOT EXISTS (SELECT 1 FROM quiz_results r WHERE r.quiz_id = q.id"
                                  "  AND r.member_id = ?) ORDER BY q.id DESC LIMIT 1",
                                  VALS(SI(comm->id), SI(member_id)));
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    if (rc == 1) {
        if (i)
            sbuf_addf(out, "%zu. ", i);
        text_format(out, lang, "next.quiz_line", ARGS(TI("id", store_int(s, 0)), TU("title", store_text(s, 1))));
        sbuf_add(out, "\n   ↳ ");
        text_format(out, lang, "next.why.quiz", NOARGS);
        *added = 1;
    }
    store_done(s);
    return rc < 0 ? rc : KB_OK;
}

/* A growth camp still running that the member may join and has not (active
   members: personal growth), the soonest first. */
static int camp_line(struct engine *e, const struct community *comm, int64_t member_id, size_t i,
                     const char *lang, struct sbuf *out, int *added)
{
    *added = 0;
    int level = 1;
    int rc = standing_level(e, member_id, &level);
    if (rc)
        return rc;
    sqlite3_stmt *s = store_query(
        e->st,
        "SELECT k.id, k.name, k.weeks FROM camps k WHERE k.community_id = ?1 AND k.started < k.weeks"
        " AND NOT EXISTS (SELECT 1 FROM camp_members m WHERE m.camp_id = k.id AND m.member_id = ?2"
        "  AND m.state = 'enrolled')"
        " AND (k.cap = 0 OR k.cap > (SELECT count(*) FROM camp_members m WHERE m.camp_id = k.id"
        "  AND m.state = 'enrolled'))"
        " AND (k.enrol = 'all'"
        "  OR (k.enrol LIKE 'level:%' AND CAST(substr(k.enrol, 7) AS INTEGER) <= ?3)"
        "  OR (k.enrol LIKE 'tag:%' AND EXISTS (SELECT 1 FROM member_tags t WHERE t.member_id = ?2"
        "   AND t.tag = substr(k.enrol, 5)))"
        "  OR (k.enrol = 'invite' AND EXISTS (SELECT 1 FROM camp_members m WHERE m.camp_id = k.id"
        "   AND m.member_id = ?2 AND m.state = 'invited')))"
        " ORDER BY k.starts_at, k.id LIMIT 1",
        VALS(SI(comm->id), SI(member_id), SI(level)));
    if (!s)
        return store_failure(e->st);
    rc = store_step(e->st, s);
    if (rc == 1) {
        if (i)
            sbuf_addf(out, "%zu. ", i);
        text_format(out, lang, "next.camp_line", ARGS(TI("id", store_int(s, 0)), TU("name", store_text(s, 1))));
        sbuf_add(out, "\n   ↳ ");
        text_format(out, lang, "next.why.camp", ARGS(TI("weeks", store_int(s, 2))));
        *added = 1;
    }
    store_done(s);
    return rc < 0 ? rc : KB_OK;
}

/* The lines of next_suggest, in order; each may have nothing to offer. */
enum pick { PICK_PINNED, PICK_CHECKIN, PICK_QUIZ, PICK_CAMP, PICK_TASKS };

int next_suggest(struct engine *e, const struct community *comm, int64_t member_id, int64_t now,
                 const char *lang, size_t max, int private_chat, struct sbuf *out, size_t *n)
{
    *n = 0;
    enum next_stage stage;
    struct standing_facts f;
    int rc = next_stage(e, member_id, &stage);
    if (!rc)
        rc = standing_facts(e, member_id, &f);
    if (rc)
        return rc;
    int level = next_level(e, member_id);
    struct candidate *c;
    size_t nc;
    const char *tz = comm->tz;
    rc = candidates(e, comm->id, member_id, now, stage, &c, &nc);
    if (rc)
        return rc;
    /* the order by stage: those still finding their feet first check in and
       play (newcomers: the quiz) or grow (active: a camp); pool and top
       members get their work first and the check-in last */
    static const enum pick orders[4][5] = {
        [STAGE_NEWCOMER] = {PICK_PINNED, PICK_CHECKIN, PICK_QUIZ, PICK_TASKS, PICK_CAMP},
        [STAGE_ACTIVE] = {PICK_PINNED, PICK_CHECKIN, PICK_CAMP, PICK_TASKS, PICK_QUIZ},
        [STAGE_POOL] = {PICK_PINNED, PICK_TASKS, PICK_CHECKIN, PICK_CAMP, PICK_QUIZ},
        [STAGE_TOP] = {PICK_PINNED, PICK_TASKS, PICK_CHECKIN, PICK_CAMP, PICK_QUIZ},
    };
    int level_said = 0;
    size_t next_task = 0;
    for (size_t k = 0; k < 5 && !rc && *n < max; k++) {
        enum pick p = orders[stage][k];
        if (p == PICK_PINNED || p == PICK_TASKS) {
            for (; next_task < nc && *n < max && (p == PICK_TASKS || c[next_task].pinned); next_task++) {
                if (*n)
                    sbuf_addc(out, '\n');
                task_line(&c[next_task], max > 1 ? *n + 1 : 0, tz, lang, private_chat, out);
                sbuf_add(out, "\n   ↳ ");
                why_task(e, &c[next_task], stage, level, &f, tz, now, lang, &level_said, out);
                (*n)++;
            }
            continue;
        }
        struct sbuf line = {0};
        int added = 0;
        size_t i = max > 1 ? *n + 1 : 0;
        if (p == PICK_CHECKIN)
            rc = checkin_line(e, member_id, comm, now, level, &f, i, lang, &line, &added);
        else if (p == PICK_QUIZ)
            rc = quiz_line(e, comm, member_id, i, lang, &line, &added);
        else
            rc = camp_line(e, comm, member_id, i, lang, &line, &added);
        if (!rc && added) {
            if (*n)
                sbuf_addc(out, '\n');
            sbuf_add(out, line.s);
            (*n)++;
        }
        sbuf_free(&line);
    }
    for (size_t i = 0; i < nc; i++)
        task_row_free(&c[i].t);
    free(c);
    return rc;
}

/* ==== commands ============================================================ */

static int cmd_next(struct cmd_ctx *c)
{
    if (*command_skip_space(c->args))
        return ctx_reply(c, "next.usage", NOARGS);
    struct sbuf b = {0}, list = {0};
    size_t n = 0;
    int rc = next_suggest(c->e, &c->comm, c->member_id, c->now, c->lang, NEXT_MAX,
                          c->ev->chat_type == KB_CHAT_PRIVATE, &list, &n);
    if (!rc && n == 0)
        rc = ctx_reply(c, "next.none", NOARGS);
    else if (!rc) {
        text_format(&b, c->lang, "next.head", NOARGS);
        sbuf_addc(&b, '\n');
        sbuf_add(&b, list.s);
        rc = ctx_reply_markup(c, b.s, 0);
    }
    sbuf_free(&b);
    sbuf_free(&list);
    return rc;
}

/* /next pin|unpin <task>: the task leads everyone's suggestions (while
   they may claim it). */
static int pin(struct cmd_ctx *c, int on)
{
    const char *rest = c->args;
    char *w = command_next_word(&rest);
    int64_t id = 0;
    int bad = !w || task_parse_id(w, &id) || *command_skip_space(rest);
    free(w);
    if (bad)
        return ctx_reply(c, "next.pin_usage", NOARGS);
    struct task_row t;
    int rc = task_load(c->e, c->comm.id, id, &t);
    if (rc == KB_ENOTFOUND)
        return ctx_reply(c, "next.pin_unknown", ARGS(TI("id", id)));
    if (rc)
        return rc;
    task_row_free(&t);
    rc = on ? store_exec(c->st,
                         "INSERT INTO next_pins(community_id, task_id, pinned_by, at) VALUES (?, ?, ?, ?)"
                         " ON CONFLICT DO NOTHING",
                         VALS(SI(c->comm.id), SI(id), SI(c->member_id), SI(c->now)))
            : store_exec(c->st, "DELETE FROM next_pins WHERE community_id = ? AND task_id = ?",
                         VALS(SI(c->comm.id), SI(id)));
    int changed = !rc && store_changes(c->st) > 0;
    char target[32];
    snprintf(target, sizeof target, "task:%lld", (long long)id);
    if (changed)
        rc = audit_add(c, on ? "next.pin" : "next.unpin", target, NULL);
    if (!rc)
        rc = ctx_reply(c, on ? (changed ? "next.pinned" : "next.pinned_already")
                             : (changed ? "next.unpinned" : "next.not_pinned"),
                       ARGS(TI("id", id)));
    return rc;
}

static int op_pin(struct cmd_ctx *c)
{
    return pin(c, 1);
}

static int op_unpin(struct cmd_ctx *c)
{
    return pin(c, 0);
}

static const struct cmd_spec commands[] = {
    {"next", cmd_next, 0, "next.help", "下一步"},
    {"recommend", cmd_next, CMD_HIDDEN, NULL, "推荐任务"},
};

static const struct cmd_sub subs[] = {
    {"next", "pin", op_pin, CMD_OPERATOR, 1, 1},
    {"next", "unpin", op_unpin, CMD_OPERATOR, 1, 1},
};

static const struct text_entry texts[] = {
    {"next.help", "/next — 现在最适合我做的事（下一步）", "/next — what to do next, picked for you"},
    {"next.help.op", "/next pin|unpin 任务编号 — 把任务置顶到所有人的推荐里",
     "/next pin|unpin task-id — pin a task to the top of everyone's suggestions"},
    {"next.usage", "用法：/next（运营：/next pin 任务编号、/next unpin 任务编号）",
     "Usage: /next (operators: /next pin task-id, /next unpin task-id)"},
    {"next.head", "👉 <b>下一步</b>", "👉 <b>What to do next</b>"},
    {"next.none", "暂时没有适合你的任务，今天也已经签到了。明天再来看看吧！",
     "Nothing for you right now, and you have checked in today. Look again tomorrow!"},
    {"next.checkin_line", "✅ 签到 — 发送“签到”", "✅ Check in — send /checkin"},
    {"next.task_line", "[{tier}] #{id} {title} — 🎁 {reward}{deadline} · /claim {id}",
     "[{tier}] #{id} {title} — 🎁 {reward}{deadline} · /claim {id}"},
    {"next.deadline", " · ⏰ {when} 截止", " · ⏰ due {when}"},
    {"next.why.pinned", "运营推荐", "recommended by the team"},
    {"next.why.level_tier", "升到 {level} 还差 {n} 个{tier}任务", "{n} more {tier} {n|task|tasks} to reach {level}"},
    {"next.why.level_points", "升到 {level} 还差 {n} 积分，这个任务 +{points}",
     "{n} points short of {level}; this one pays {points}"},
    {"next.why.newcomer", "新成员上手的第一步", "a good first step for newcomers"},
    {"next.why.active", "你的意见会影响产品决定", "your opinion shapes what the brand decides"},
    {"next.why.pool", "人才库的约稿任务", "a commission for talent-pool members"},
    {"next.why.top", "共建任务：和品牌一起做事", "co-building: work with the brand itself"},
    {"next.why.soon", "{when} 就截止了", "closes soon, {when}"},
    {"next.why.open", "你现在就可以领取", "yours to take now"},
    {"next.why.checkin_level", "你还差 {n} 次打卡升到 {level}", "{n} more {n|check-in|check-ins} to reach {level}"},
    {"next.why.checkin_streak", "已连续签到 {n} 天，别断了", "a {n}-day streak: keep it going"},
    {"next.why.checkin", "每天签到 +{points} 积分", "+{points} points every day"},
    {"next.pin_usage", "用法：/next pin 任务编号 或 /next unpin 任务编号",
     "Usage: /next pin task-id or /next unpin task-id"},
    {"next.pin_unknown", "没有编号为 #{id} 的任务。", "There is no task #{id}."},
    {"next.pinned", "📌 任务 #{id} 已置顶到所有人的推荐里。", "📌 Task #{id} now leads everyone's suggestions."},
    {"next.pinned_already", "任务 #{id} 已经置顶了。", "Task #{id} is already pinned."},
    {"next.unpinned", "任务 #{id} 已取消置顶。", "Task #{id} is no longer pinned."},
    {"next.not_pinned", "任务 #{id} 没有置顶。", "Task #{id} was not pinned."},
    {"me.next", "👉 下一步：", "👉 Up next: "},
    {"next.quiz_line", "🧩 测一测「{title}」 · /quiz {id}", "🧩 Take the quiz “{title}” · /quiz {id}"},
    {"next.why.quiz", "一分钟的小测试，找到你的人设", "a one-minute quiz to find your persona"},
    {"next.camp_line", "🏕 训练营「{name}」 · /camp join {id}", "🏕 Growth camp “{name}” · /camp join {id}"},
    {"next.why.camp", "为期 {weeks} 周，结营有证书", "{weeks} {weeks|week|weeks}, with a certificate at the end"},
};

static const char *const migrations[] = {
    "CREATE TABLE next_pins ("
    "  community_id INTEGER NOT NULL,"
    "  task_id INTEGER NOT NULL REFERENCES tasks(id),"
    "  pinned_by INTEGER NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  PRIMARY KEY (community_id, task_id)"
    ") STRICT, WITHOUT ROWID;",
};

const struct kb_module next_module = {
    .name = "next",
    .commands = commands,
    .n_commands = KB_COUNT(commands),
    .subs = subs,
    .n_subs = KB_COUNT(subs),
    .texts = texts,
    .n_texts = KB_COUNT(texts),
    .migrations = migrations,
    .n_migrations = KB_COUNT(migrations),
};
