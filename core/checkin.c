/*
 * Daily check-in.  The day is the message's own day in the community's
 * zone, starting at its day_start_hour (a replay after midnight still
 * counts for the day it was sent); (member, day) is the primary key, so a
 * duplicate can never land.  A gap may be bridged by streak freezes
 * (streak.c).
 * Points: base + min(bonus * (streak - 1), cap), written to the ledger with
 * ref "day:<n>" so the award is idempotent too.
 */
#include "checkin.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ledger.h"
#include "standing.h"
#include "streak.h"
#include "tz.h"

int64_t checkin_points(const struct kb_checkin_rules *r, int64_t streak)
{
    int64_t bonus = (int64_t)r->streak_bonus * (streak - 1);
    if (bonus > r->streak_bonus_cap)
        bonus = r->streak_bonus_cap;
    if (bonus < 0)
        bonus = 0;
    return r->base_points + bonus;
}

int checkin_stats(struct engine *e, int64_t member_id, int64_t today, struct checkin_stats *out)
{
    out->current_streak = out->best_streak = out->days = 0;
    out->last_day = -1;
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT count(*), max(streak), max(day),"
                                  " (SELECT streak FROM checkins WHERE member_id = ?1 ORDER BY day DESC LIMIT 1),"
                                  /* a made-up day keeps the streak, it is no day checked in (streak.c) */
                                  " (SELECT count(*) FROM streak_makeups WHERE member_id = ?1)"
                                  " FROM checkins WHERE member_id = ?1",
                                  VALS(SI(member_id)));
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    if (rc == 1 && store_int(s, 0) > 0) {
        out->days = store_int(s, 0) - store_int(s, 4);
        out->best_streak = store_int(s, 1);
        out->last_day = store_int(s, 2);
        out->current_streak = store_int(s, 3);
    }
    store_done(s);
    if (rc < 0)
        return rc;
    /* a gap the freezes held will cover at the next check-in still counts as alive */
    int64_t held = 0;
    if (out->current_streak && out->last_day < today - 1 &&
        ((rc = streak_freezes_held(e, member_id, &held)) != 0 || held < today - 1 - out->last_day))
        out->current_streak = 0;
    return rc < 0 ? rc : KB_OK;
}

/* The member's latest check-in on or before day `until` (-1: none). */
static int latest_until(struct engine *e, int64_t member_id, int64_t until, int64_t *last_day,
                        int64_t *streak)
{
    *last_day = -1;
    *streak = 0;
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT day, streak FROM checkins WHERE member_id = ? AND day <= ?"
                                  " ORDER BY day DESC LIMIT 1",
                                  VALS(SI(member_id), SI(until)));
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    if (rc == 1) {
        *last_day = store_int(s, 0);
        *streak = store_int(s, 1);
    }
    store_done(s);
    return rc < 0 ? rc : KB_OK;
}

int checkin_latest(struct engine *e, int64_t member_id, int64_t day, int64_t *last_day, int64_t *streak)
{
    /* the latest of all, kept in the member's standing memo, answers unless
       this day comes before it (a replay of an older message) */
    int known = standing_memo_last_checkin(e, member_id, last_day, streak);
    if (known == 0) {
        int rc = latest_until(e, member_id, INT64_MAX, last_day, streak);
        if (rc)
            return rc;
        standing_memo_checkin(e, member_id, *last_day, *streak, 1);
        known = 1;
    }
    if (known == 1 && *last_day <= day)
        return KB_OK;
    return latest_until(e, member_id, day, last_day, streak);
}

/* The key of a community's day in cache.checkins_per_day. */
static void day_count_key(char key[2 * KB_I64_TEXT], int64_t community_id, int64_t day)
{
    size_t kl = fmt_i64(key, community_id);
    key[kl++] = '\x1f';
    fmt_i64(key + kl, day);
}

void checkin_day_count_forget(struct engine *e, int64_t community_id, int64_t day)
{
    char key[2 * KB_I64_TEXT];
    day_count_key(key, community_id, day);
    cache_drop(&e->cache.checkins_per_day, key);
}

static int cmd_checkin(struct cmd_ctx *c)
{
    int64_t day = community_day(&c->comm, c->at);
    /* today's row (already checked in), or the last one before: yesterday's
       (the streak goes on) or an older one (freezes may bridge the gap) */
    int64_t last_day = -1, streak = 0;
    int rc = checkin_latest(c->e, c->member_id, day, &last_day, &streak);
    if (rc)
        return rc;
    if (last_day == day) {
        struct sbuf b = {0};
        struct sbuf who = {0};
        member_name(c->e, c->member_id, &who);
        text_format(&b, c->lang, "checkin.already", ARGS(TS("name", who.s), TI("streak", streak)));
        rc = ctx_reply_markup(c, b.s, 1);
        sbuf_free(&b);
        sbuf_free(&who);
        return rc;
    }
    struct sbuf note = {0};
    int kept = last_day == day - 1;
    if (!kept && (rc = streak_bridge(c, last_day, day, &kept, &note)) != 0) {
        sbuf_free(&note);
        return rc;
    }
    streak = kept ? streak + 1 : 1;
    int64_t points = checkin_points(&c->e->set.checkin, streak);
    rc = store_exec(c->st,
                    "INSERT INTO checkins(community_id, member_id, day, at, streak, points)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    VALS(SI(c->comm.id), SI(c->member_id), SI(day), SI(c->at), SI(streak), SI(points)));
    if (!rc) {
        standing_memo_checkin(c->e, c->member_id, day, streak, 0);
        rc = streak_earn(c, day, streak, &note);
    }
    if (rc) {
        sbuf_free(&note);
        return rc;
    }
    char ref[32];
    memcpy(ref, "day:", 4);
    fmt_i64(ref + 4, day);
    struct ledger_entry le = {.community_id = c->comm.id, .member_id = c->member_id, .kind = "points",
                              .amount = points, .reason = "checkin", .ref = ref, .at = c->at};
    rc = ledger_add(c->e, &le, NULL);
    if (!rc)
        rc = standing_changed(c->e, c->comm.id, c->member_id, c->now);
    int64_t total = 0, rank = 0;
    if (!rc)
        rc = ledger_points(c->e, c->member_id, &total);
    /* the rank is the day's count, kept from this process's own inserts */
    char key[2 * KB_I64_TEXT];
    day_count_key(key, c->comm.id, day);
    const struct cache_entry *today = cache_get(&c->e->cache.checkins_per_day, key);
    if (!rc && today)
        rank = today->num + 1;
    else if (!rc)
        rc = store_i64(c->st, &rank, "SELECT count(*) FROM checkins WHERE community_id = ? AND day = ?",
                       VALS(SI(c->comm.id), SI(day)));
    if (rc) {
        sbuf_free(&note);
        return rc;
    }
    cache_put(&c->e->cache.checkins_per_day, key, rank, NULL, NULL, 0);
    struct sbuf who = {0}, b = {0};
    member_name(c->e, c->member_id, &who);
    text_format(&b, c->lang, "checkin.ok",
                ARGS(TS("name", who.s), TI("streak", streak), TI("points", points),
                     TI("total", total), TI("rank", rank)));
    sbuf_add(&b, sbuf_str(&note)); /* freezes spent or earned (streak.c) */
    rc = ctx_reply_markup(c, b.s, 1);
    sbuf_free(&b);
    sbuf_free(&who);
    sbuf_free(&note);
    return rc;
}

static const struct cmd_spec commands[] = {
    {"checkin", cmd_checkin, 0, "checkin.help", "签到"},
};

static const struct text_entry texts[] = {
    {"checkin.help", "/checkin — 每日签到（也可以直接发“签到”或“打卡”）",
     "/checkin — daily check-in (or just say 签到 / 打卡)"},
    {"checkin.ok", "✅ {name} 签到成功！连续 <b>{streak}</b> 天，+{points} 积分（共 {total}），今日第 {rank} 位",
     "✅ {name} checked in! Streak <b>{streak}</b> {streak|day|days}, +{points} points (total {total}), #{rank} today"},
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
