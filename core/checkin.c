/*
 * Daily check-in.  The day is the message's own local day in the
 * community's zone (a replay after midnight still counts for the day it was
 * sent); (member, day) is the primary key, so a duplicate can never land.
 * Points: base + min(bonus * (streak - 1), cap), written to the ledger with
 * ref "day:<n>" so the award is idempotent too.
 */
#include "checkin.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ledger.h"
#include "standing.h"
#include "tz.h"

int checkin_stats(struct engine *e, int64_t member_id, int64_t today, struct checkin_stats *out)
{
    out->current_streak = out->best_streak = out->days = 0;
    out->last_day = -1;
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT count(*), max(streak), max(day),"
                                  " (SELECT streak FROM checkins WHERE member_id = ?1 ORDER BY day DESC LIMIT 1)"
                                  " FROM checkins WHERE member_id = ?1",
                                  VALS(SI(member_id)));
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    if (rc == 1 && store_int(s, 0) > 0) {
        out->days = store_int(s, 0);
        out->best_streak = store_int(s, 1);
        out->last_day = store_int(s, 2);
        if (out->last_day >= today - 1)
            out->current_streak = store_int(s, 3);
    }
    store_done(s);
    return rc < 0 ? rc : KB_OK;
}

/* Today's row, with the streak: yesterday's + 1, or 1 (checkin_points in
   SQL, so the read of yesterday and the insert are one statement).  *fresh
   is 0 when the member had already checked in today. */
static int checkin_insert(struct cmd_ctx *c, int64_t day, int64_t *streak, int64_t *points, int *fresh)
{
    const struct kb_checkin_rules *r = &c->e->set.checkin;
    sqlite3_stmt *s = store_query(
        c->st,
        "INSERT OR IGNORE INTO checkins(community_id, member_id, day, at, streak, points)"
        " SELECT ?1, ?2, ?3, ?4, n, ?5 + max(0, min(?6 * (n - 1), ?7)) FROM"
        "  (SELECT coalesce((SELECT streak + 1 FROM checkins WHERE member_id = ?2 AND day = ?3 - 1), 1) AS n)"
        " RETURNING streak, points",
        VALS(SI(c->comm.id), SI(c->member_id), SI(day), SI(c->at), SI(r->base_points),
             SI(r->streak_bonus), SI(r->streak_bonus_cap)));
    if (!s)
        return store_failure(c->st);
    int rc = store_step(c->st, s);
    *fresh = rc == 1;
    if (rc == 1) {
        *streak = store_int(s, 0);
        *points = store_int(s, 1);
        rc = store_step(c->st, s);
    }
    store_done(s);
    if (rc < 0)
        return rc;
    if (*fresh)
        return KB_OK;
    rc = store_i64(c->st, streak, "SELECT streak FROM checkins WHERE member_id = ? AND day = ?",
                   VALS(SI(c->member_id), SI(day)));
    return rc == KB_ENOTFOUND ? KB_ESTORE : rc;
}

static int cmd_checkin(struct cmd_ctx *c)
{
    int64_t day = tz_day(c->comm.tz, c->at);
    int64_t streak = 0, points = 0;
    int fresh = 0;
    int rc = checkin_insert(c, day, &streak, &points, &fresh);
    if (rc)
        return rc;
    if (!fresh) {
        struct sbuf b = {0};
        struct sbuf who = {0};
        member_name(c->e, c->member_id, &who);
        text_format(&b, c->lang, "checkin.already", ARGS(TS("name", who.s), TI("streak", streak)));
        rc = ctx_reply_markup(c, b.s, 1);
        sbuf_free(&b);
        sbuf_free(&who);
        return rc;
    }
    char ref[32];
    snprintf(ref, sizeof ref, "day:%lld", (long long)day);
    struct ledger_entry le = {.community_id = c->comm.id, .member_id = c->member_id, .kind = "points",
                              .amount = points, .reason = "checkin", .ref = ref, .at = c->at};
    rc = ledger_add(c->e, &le, NULL);
    if (!rc)
        rc = standing_changed(c->e, c->comm.id, c->member_id, c->now);
    int64_t total = 0, rank = 0;
    if (!rc)
        rc = ledger_points(c->e, c->member_id, &total);
    /* the rank is the day's count, kept from this process's own inserts */
    char key[48];
    snprintf(key, sizeof key, "%lld\x1f%lld", (long long)c->comm.id, (long long)day);
    const struct cache_entry *today = cache_get(&c->e->cache.checkins_per_day, key);
    if (!rc && today)
        rank = today->num + 1;
    else if (!rc)
        rc = store_i64(c->st, &rank, "SELECT count(*) FROM checkins WHERE community_id = ? AND day = ?",
                       VALS(SI(c->comm.id), SI(day)));
    if (rc)
        return rc;
    cache_put(&c->e->cache.checkins_per_day, key, rank, NULL, NULL, 0);
    struct sbuf who = {0}, b = {0};
    member_name(c->e, c->member_id, &who);
    text_format(&b, c->lang, "checkin.ok",
                ARGS(TS("name", who.s), TI("streak", streak), TI("points", points),
                     TI("total", total), TI("rank", rank)));
    rc = ctx_reply_markup(c, b.s, 1);
    sbuf_free(&b);
    sbuf_free(&who);
    return rc;
}

/* Missed days cannot be made up (a streak means every day); say so rather
   than leave "/补签" unanswered. */
static int cmd_makeup(struct cmd_ctx *c)
{
    return ctx_reply(c, "checkin.no_makeup", NOARGS);
}

static const struct cmd_spec commands[] = {
    {"checkin", cmd_checkin, 0, "checkin.help", "签到"},
    {"makeup", cmd_makeup, CMD_HIDDEN, NULL, "补签"},
};

static const struct text_entry texts[] = {
    {"checkin.help", "/checkin — 每日签到（也可以直接发“签到”或“打卡”）",
     "/checkin — daily check-in (or just say 签到 / 打卡)"},
    {"checkin.ok", "✅ {name} 签到成功！连续 <b>{streak}</b> 天，+{points} 积分（共 {total}），今日第 {rank} 位",
     "✅ {name} checked in! Streak <b>{streak}</b> day(s), +{points} points (total {total}), #{rank} today"},
    {"checkin.no_makeup", "没有补签：错过的日子不能补，连续签到从下一次签到重新算起。今天还没签到的话，发 /签到 即可。",
     "There are no make-up check-ins: a missed day can't be filled in, and the streak starts again from your next check-in. Send /checkin if you haven't today."},
    {"checkin.already", "☑️ {name} 今天已经签到过了，当前连续 {streak} 天，明天再来！",
     "☑️ {name}, you already checked in today (streak {streak}). See you tomorrow!"},
};

/* A trigger is matched against the whole trimmed message: edge spaces could
   never match. */
static int check_trigger(const char *s, char *why, size_t cap)
{
    size_t n = strlen(s);
    if (n && (s[0] == ' ' || s[n - 1] == ' ')) {
        snprintf(why, cap, "must not start or end with a space");
        return -1;
    }
    return 0;
}

static const char *const default_triggers[] = {"签到", "打卡", NULL};

#define CHECKIN_OFF(f) offsetof(struct engine_settings, checkin.f)

static const struct kb_setting settings[] = {
    {.path = "checkin", .type = KB_SETTING_SECTION},
    {.path = "checkin.base_points", .type = KB_SETTING_INT, .off = CHECKIN_OFF(base_points),
     .max = 100000, .scale = 1, .dnum = 10},
    {.path = "checkin.streak_bonus", .type = KB_SETTING_INT, .off = CHECKIN_OFF(streak_bonus),
     .max = 100000, .scale = 1, .dnum = 1},
    {.path = "checkin.streak_bonus_cap", .type = KB_SETTING_INT, .off = CHECKIN_OFF(streak_bonus_cap),
     .max = 100000, .scale = 1, .dnum = 10},
    {.path = "checkin.triggers", .type = KB_SETTING_LIST, .off = CHECKIN_OFF(triggers),
     .count_off = CHECKIN_OFF(n_triggers), .list_cap = KB_MAX_TRIGGERS, .max_len = 64,
     .dlist = default_triggers, .check = check_trigger},
};

const struct kb_module checkin_module = {
    .name = "checkin",
    .settings = settings,
    .n_settings = KB_COUNT(settings),
    .commands = commands,
    .n_commands = KB_COUNT(commands),
    .texts = texts,
    .n_texts = KB_COUNT(texts),
};
