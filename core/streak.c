/*
 * Streaks that forgive (streak.h).  Freezes are rows of streak_freezes
 * (+n earned or granted, -1 used per covered day); the unique index on
 * (member, reason, day) makes each earned and each used freeze happen once.
 * A make-up is a check-in row for the missed day worth no points, a row of
 * streak_makeups and a ledger row paying its price (ref "day:<n>", also
 * once); the check-ins after it get their streak recounted.
 */
#include "streak.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "checkin.h"
#include "command.h"
#include "ledger.h"
#include "standing.h"
#include "tz.h"
#include "who.h"

#define GRANT_MAX 10        /* freezes one /streak freeze may give */
#define HISTORY_DAYS 14
#define RESTREAK_MAX 1000   /* check-ins after a make-up whose streak is recounted */

static const struct kb_streak_rules *rules(const struct cmd_ctx *c)
{
    return &c->e->set.streak;
}

static void day_label(int64_t day, char *buf, size_t cap)
{
    int y, mon, d;
    tz_day_ymd(day, &y, &mon, &d, NULL);
    snprintf(buf, cap, "%02d-%02d", mon, d);
}

static int64_t month_of(int64_t day)
{
    int y, mon, d;
    tz_day_ymd(day, &y, &mon, &d, NULL);
    return (int64_t)y * 100 + mon;
}

int streak_freezes_held(struct engine *e, int64_t member_id, int64_t *n)
{
    return store_i64(e->st, n, "SELECT coalesce(sum(delta), 0) FROM streak_freezes WHERE member_id = ?",
                     VALS(SI(member_id)));
}

/* ==== freezes ============================================================ */

int streak_bridge(struct cmd_ctx *c, int64_t last_day, int64_t day, int *kept, struct sbuf *note)
{
    *kept = 0;
    int64_t missed = day - 1 - last_day, held = 0;
    if (last_day < 0 || missed < 1)
        return KB_OK;
    int rc = streak_freezes_held(c->e, c->member_id, &held);
    if (rc || held < missed)
        return rc; /* nothing to save: the freezes stay for another time */
    struct sbuf days = {0};
    for (int64_t d = last_day + 1; d < day && !rc; d++) {
        rc = store_exec(c->st,
                        "INSERT INTO streak_freezes(community_id, member_id, delta, reason, day, at)"
                        " VALUES (?, ?, -1, 'used', ?, ?)",
                        VALS(SI(c->comm.id), SI(c->member_id), SI(d), SI(c->at)));
        char label[8];
        day_label(d, label, sizeof label);
        sbuf_add(&days, d > last_day + 1 ? text_get(c->lang, "streak.list_sep") : "");
        sbuf_add(&days, label);
    }
    if (!rc) {
        *kept = 1;
        sbuf_addc(note, '\n');
        text_format(note, c->lang, "streak.freeze_used",
                    ARGS(TI("n", missed), TS("days", days.s), TI("left", held - missed)));
    }
    sbuf_free(&days);
    return rc;
}

int streak_earn(struct cmd_ctx *c, int64_t day, int64_t streak, struct sbuf *note)
{
    const struct kb_streak_rules *r = rules(c);
    int64_t held = 0;
    if (r->freeze_every <= 0 || streak % r->freeze_every != 0)
        return KB_OK;
    int rc = streak_freezes_held(c->e, c->member_id, &held);
    if (rc || held >= r->freeze_cap)
        return rc;
    rc = store_exec(c->st,
                    "INSERT INTO streak_freezes(community_id, member_id, delta, reason, day, at)"
                    " VALUES (?, ?, 1, 'earned', ?, ?) ON CONFLICT DO NOTHING",
                    VALS(SI(c->comm.id), SI(c->member_id), SI(day), SI(c->at)));
    if (rc || store_changes(c->st) == 0)
        return rc;
    sbuf_addc(note, '\n');
    text_format(note, c->lang, "streak.freeze_earned", ARGS(TI("streak", streak), TI("held", held + 1)));
    return KB_OK;
}

/* ==== make-up check-ins ================================================== */

/* "2026-11-20", "11-20", "11/20", "11月20日", "yesterday", "昨天", "前天"
   -> a day number not after today (a month-day without a year is the most
   recent one).  0 or KB_EINVAL. */
static int parse_day(const char *w, int64_t today, int64_t *day)
{
    if (!ascii_casecmp(w, "yesterday") || !strcmp(w, "昨天") || !strcmp(w, "昨日")) {
        *day = today - 1;
        return KB_OK;
    }
    if (!strcmp(w, "前天")) {
        *day = today - 2;
        return KB_OK;
    }
    int64_t num[3];
    int n = 0;
    const char *p = w;
    while (*p) {
        if (*p < '0' || *p > '9')
            return KB_EINVAL;
        int64_t v = 0;
        int digits = 0;
        for (; *p >= '0' && *p <= '9'; p++, digits++)
            v = v * 10 + (*p - '0');
        if (n == 3 || digits > 4)
            return KB_EINVAL;
        num[n++] = v;
        /* one separator: - / . or 年 月 日 号 (3 bytes each in UTF-8) */
        if (*p == '-' || *p == '/' || *p == '.')
            p++;
        else if (!strncmp(p, "年", 3) || !strncmp(p, "月", 3) || !strncmp(p, "日", 3) || !strncmp(p, "号", 3))
            p += 3;
        else if (*p)
            return KB_EINVAL;
    }
    int ty, tm, td;
    tz_day_ymd(today, &ty, &tm, &td, NULL);
    if (n < 2)
        return KB_EINVAL;
    int y = n == 3 ? (int)num[0] : ty, mon = (int)num[n - 2], d = (int)num[n - 1];
    if (y < 1970 || y > 2200 || mon < 1 || mon > 12 || d < 1 || d > 31)
        return KB_EINVAL;
    int64_t v = tz_ymd_day(y, mon, d);
    if (n == 2 && v > today)
        v = tz_ymd_day(y - 1, mon, d);
    int cy, cm, cd;
    tz_day_ymd(v, &cy, &cm, &cd, NULL);
    if (cm != mon || cd != d) /* 02-30 */
        return KB_EINVAL;
    *day = v;
    return KB_OK;
}

/* Frozen days strictly between from and to. */
static int frozen_between(struct cmd_ctx *c, int64_t from, int64_t to, int64_t *n)
{
    return store_i64(c->st, n,
                     "SELECT count(*) FROM streak_freezes WHERE member_id = ? AND reason = 'used'"
                     " AND day > ? AND day < ?",
                     VALS(SI(c->member_id), SI(from), SI(to)));
}

/* The streak a check-in on day continues: 1 + the streak of the check-in
   before it when only frozen days lie between, else 1. */
static int streak_into(struct cmd_ctx *c, int64_t day, int64_t *streak)
{
    *streak = 1;
    int64_t prev = -1, prev_streak = 0, frozen = 0;
    int rc = checkin_latest(c->e, c->member_id, day - 1, &prev, &prev_streak);
    if (rc || prev < 0)
        return rc;
    rc = frozen_between(c, prev, day, &frozen);
    if (!rc && frozen == day - 1 - prev)
        *streak = prev_streak + 1;
    return rc;
}

/* The check-ins after a made-up day continue its streak until the next gap
   that no freeze covered; *end and *end_streak: the last day of that run. */
static int restreak_after(struct cmd_ctx *c, int64_t day, int64_t streak, int64_t *end, int64_t *end_streak)
{
    int64_t (*rows)[2] = xcalloc(RESTREAK_MAX, sizeof *rows);
    size_t n = 0;
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT day, streak FROM checkins WHERE member_id = ? AND day > ?"
                                  " ORDER BY day LIMIT 1000",
                                  VALS(SI(c->member_id), SI(day)));
    int rc = s ? 0 : store_failure(c->st);
    while (s && n < RESTREAK_MAX && (rc = store_step(c->st, s)) == 1) {
        rows[n][0] = store_int(s, 0);
        rows[n][1] = store_int(s, 1);
        n++;
    }
    store_done(s);
    int64_t prev = day;
    for (size_t i = 0; rc >= 0 && i < n; i++) {
        int64_t frozen = 0;
        rc = frozen_between(c, prev, rows[i][0], &frozen);
        if (rc || frozen != rows[i][0] - 1 - prev)
            break;
        streak++;
        if (rows[i][1] != streak)
            rc = store_exec(c->st, "UPDATE checkins SET streak = ? WHERE member_id = ? AND day = ?",
                            VALS(SI(streak), SI(c->member_id), SI(rows[i][0])));
        prev = rows[i][0];
    }
    free(rows);
    *end = prev;
    *end_streak = streak;
    return rc < 0 ? rc : KB_OK;
}

/* Why a make-up of day is refused: *key is a catalogue key, or NULL when
   it may go ahead; *used = make-ups bought this month, *points = the
   member's balance (read when the checks got that far). */
static int makeup_refusal(struct cmd_ctx *c, int64_t day, int64_t today, const char **key, int64_t *used,
                          int64_t *points)
{
    const struct kb_streak_rules *r = rules(c);
    *key = NULL;
    *used = *points = 0;
    int64_t joined = 0, n = 0;
    if (day >= today) {
        *key = day == today ? "streak.makeup_today" : "streak.makeup_future";
        return KB_OK;
    }
    if (day < today - r->makeup_window_days) {
        *key = "streak.makeup_too_old";
        return KB_OK;
    }
    int rc = store_i64(c->st, &joined, "SELECT joined_at FROM members WHERE id = ?", VALS(SI(c->member_id)));
    if (rc)
        return rc;
    if (day < community_day(&c->comm, joined)) {
        *key = "streak.makeup_before_joining";
        return KB_OK;
    }
    rc = store_i64(c->st, &n, "SELECT count(*) FROM checkins WHERE member_id = ? AND day = ?",
                   VALS(SI(c->member_id), SI(day)));
    if (!rc && n) {
        *key = "streak.makeup_not_missed";
        return KB_OK;
    }
    if (!rc)
        rc = store_i64(c->st, &n,
                       "SELECT count(*) FROM streak_freezes WHERE member_id = ? AND reason = 'used' AND day = ?",
                       VALS(SI(c->member_id), SI(day)));
    if (!rc && n) {
        *key = "streak.makeup_frozen";
        return KB_OK;
    }
    if (!rc)
        rc = store_i64(c->st, used, "SELECT count(*) FROM streak_makeups WHERE member_id = ? AND month = ?",
                       VALS(SI(c->member_id), SI(month_of(today))));
    if (!rc && *used >= r->makeup_per_month) {
        *key = "streak.makeup_month_cap";
        return KB_OK;
    }
    if (!rc)
        rc = ledger_points(c->e, c->member_id, points);
    if (!rc && *points < r->makeup_price)
        *key = "streak.makeup_no_points";
    return rc;
}

static int makeup(struct cmd_ctx *c)
{
    const struct kb_streak_rules *r = rules(c);
    if (r->makeup_window_days <= 0 || r->makeup_per_month <= 0)
        return ctx_reply(c, "streak.makeup_off", NOARGS);
    const char *p = c->args;
    char *w = command_next_word(&p), *extra = command_next_word(&p);
    int64_t today = community_day(&c->comm, c->at), day = 0;
    int bad = !w || extra || parse_day(w, today, &day);
    free(w);
    free(extra);
    if (bad)
        return ctx_reply(c, "streak.makeup_usage", ARGS(TI("window", r->makeup_window_days)));
    const char *key;
    int64_t used, points;
    int rc = makeup_refusal(c, day, today, &key, &used, &points);
    char label[8];
    day_label(day, label, sizeof label);
    if (!rc && key)
        return ctx_reply(c, key, ARGS(TS("day", label), TI("window", r->makeup_window_days),
                                      TI("cap", r->makeup_per_month), TI("used", used),
                                      TI("price", r->makeup_price), TI("have", points)));
    int64_t streak = 1, end = day, end_streak = 1;
    if (!rc)
        rc = streak_into(c, day, &streak);
    if (!rc)
        rc = store_exec(c->st,
                        "INSERT INTO checkins(community_id, member_id, day, at, streak, points)"
                        " VALUES (?, ?, ?, ?, ?, 0)",
                        VALS(SI(c->comm.id), SI(c->member_id), SI(day), SI(c->at), SI(streak)));
    if (!rc)
        rc = store_exec(c->st,
                        "INSERT INTO streak_makeups(member_id, day, community_id, month, price, at)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        VALS(SI(c->member_id), SI(day), SI(c->comm.id), SI(month_of(today)),
                             SI(r->makeup_price), SI(c->at)));
    char ref[32];
    snprintf(ref, sizeof ref, "day:%lld", (long long)day);
    struct ledger_entry le = {.community_id = c->comm.id, .member_id = c->member_id, .kind = "points",
                              .amount = -(int64_t)r->makeup_price, .reason = "makeup", .ref = ref,
                              .at = c->at};
    if (!rc && r->makeup_price > 0)
        rc = ledger_add(c->e, &le, NULL);
    if (!rc)
        rc = standing_changed(c->e, c->comm.id, c->member_id, c->now);
    if (!rc)
        rc = restreak_after(c, day, streak, &end, &end_streak);
    /* the member's latest check-in and streak may have changed (a made-up
       day, the run after it), the day's rank count is no longer what the
       cache holds */
    standing_memo_forget(c->e, c->member_id);
    checkin_day_count_forget(c->e, c->comm.id, day);
    if (rc)
        return rc;
    struct sbuf who = {0}, b = {0};
    char through[8];
    day_label(end, through, sizeof through);
    member_name(c->e, c->member_id, &who);
    text_format(&b, c->lang, "streak.makeup_ok",
                ARGS(TS("name", who.s), TS("day", label), TI("price", r->makeup_price),
                     TI("total", points - r->makeup_price), TI("streak", end_streak), TS("through", through),
                     TI("left", r->makeup_per_month - used - 1)));
    rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    sbuf_free(&who);
    return rc;
}

/* ==== history ============================================================ */

enum day_mark { DAY_MISSED = 0, DAY_CHECKED, DAY_FROZEN, DAY_MADE_UP };

static int mark_days(struct cmd_ctx *c, const char *sql, int64_t first, int64_t today,
                     enum day_mark mark, enum day_mark *marks)
{
    sqlite3_stmt *s = store_query(c->st, sql, VALS(SI(c->member_id), SI(first), SI(today)));
    if (!s)
        return store_failure(c->st);
    int rc;
    while ((rc = store_step(c->st, s)) == 1) {
        int64_t i = store_int(s, 0) - first;
        if (i >= 0 && i < HISTORY_DAYS)
            marks[i] = mark;
    }
    store_done(s);
    return rc < 0 ? rc : KB_OK;
}

static int history(struct cmd_ctx *c)
{
    int64_t today = community_day(&c->comm, c->at), first = today - (HISTORY_DAYS - 1);
    enum day_mark marks[HISTORY_DAYS] = {DAY_MISSED};
    int rc = mark_days(c, "SELECT day FROM checkins WHERE member_id = ? AND day BETWEEN ? AND ?", first, today,
                       DAY_CHECKED, marks);
    if (!rc) /* made-up days are check-in rows too: marked after them */
        rc = mark_days(c, "SELECT day FROM streak_makeups WHERE member_id = ? AND day BETWEEN ? AND ?", first,
                       today, DAY_MADE_UP, marks);
    if (!rc)
        rc = mark_days(c,
                       "SELECT day FROM streak_freezes WHERE member_id = ? AND reason = 'used'"
                       " AND day BETWEEN ? AND ?",
                       first, today, DAY_FROZEN, marks);
    struct checkin_stats cs;
    int64_t held = 0;
    if (!rc)
        rc = checkin_stats(c->e, c->member_id, today, &cs);
    if (!rc)
        rc = streak_freezes_held(c->e, c->member_id, &held);
    if (rc)
        return rc;
    static const char *const mark_keys[] = {"streak.mark_missed", "streak.mark_checked", "streak.mark_frozen",
                                            "streak.mark_made_up"};
    struct sbuf who = {0}, b = {0};
    member_name(c->e, c->member_id, &who);
    text_format(&b, c->lang, "streak.history_head", ARGS(TS("name", who.s), TI("days", HISTORY_DAYS)));
    for (int i = 0; i < HISTORY_DAYS; i++) {
        char label[8];
        day_label(first + i, label, sizeof label);
        sbuf_add(&b, i % 7 ? "  " : "\n");
        sbuf_add(&b, label);
        sbuf_addc(&b, ' ');
        sbuf_add(&b, text_get(c->lang, mark_keys[marks[i]]));
    }
    sbuf_addc(&b, '\n');
    text_format(&b, c->lang, "streak.history_legend", NOARGS);
    sbuf_addc(&b, '\n');
    text_format(&b, c->lang, "streak.history_foot",
                ARGS(TI("streak", cs.current_streak), TI("best", cs.best_streak), TI("held", held)));
    rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    sbuf_free(&who);
    return rc;
}

int streak_describe(struct cmd_ctx *c, struct sbuf *out)
{
    int64_t held = 0;
    int rc = streak_freezes_held(c->e, c->member_id, &held);
    if (rc || held <= 0)
        return rc;
    sbuf_addc(out, '\n');
    text_format(out, c->lang, "streak.me", ARGS(TI("held", held)));
    return KB_OK;
}

/* ==== operators: /streak [day <hour> | freeze @member [n]] =============== */

static int cmd_streak(struct cmd_ctx *c)
{
    const struct kb_streak_rules *r = rules(c);
    return ctx_reply(c, "streak.show",
                     ARGS(TI("hour", c->comm.day_start_hour), TI("every", r->freeze_every),
                          TI("cap", r->freeze_cap), TI("window", r->makeup_window_days),
                          TI("price", r->makeup_price), TI("per_month", r->makeup_per_month)));
}

static int op_day(struct cmd_ctx *c)
{
    const char *p = c->args;
    char *w = command_next_word(&p);
    int64_t hour = 0;
    int bad = !w || parse_i64(w, 0, 23, &hour);
    free(w);
    if (bad)
        return ctx_reply(c, "streak.day_usage", NOARGS);
    int rc = store_exec(c->st, "UPDATE communities SET day_start_hour = ? WHERE id = ?",
                        VALS(SI(hour), SI(c->comm.id)));
    community_forget(c->e, c->comm.id);
    char detail[8];
    snprintf(detail, sizeof detail, "%02lld:00", (long long)hour);
    if (!rc)
        rc = audit_add(c, "streak.day", "", detail);
    return rc ? rc : ctx_reply(c, "streak.day_set", ARGS(TI("hour", hour)));
}

static int op_freeze(struct cmd_ctx *c)
{
    const char *p = c->args;
    char *who = who_next_target(c, &p), *count = command_next_word(&p), *extra = command_next_word(&p);
    int64_t n = 1, member = 0, held = 0;
    int bad = (!who && !who_has_reply(c)) || extra || (count && parse_i64(count, 1, GRANT_MAX, &n));
    free(count);
    free(extra);
    int rc = KB_OK;
    if (bad) {
        free(who);
        return ctx_reply(c, "streak.freeze_usage", ARGS(TI("max", GRANT_MAX)));
    }
    rc = who_resolve(c, who, &member);
    free(who);
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc; /* who_resolve said why */
    rc = store_exec(c->st,
                    "INSERT INTO streak_freezes(community_id, member_id, delta, reason, day, granted_by, at)"
                    " VALUES (?, ?, ?, 'granted', ?, ?, ?)",
                    VALS(SI(c->comm.id), SI(member), SI(n), SI(community_day(&c->comm, c->at)),
                         SI(c->member_id), SI(c->now)));
    char target[32], detail[16];
    snprintf(target, sizeof target, "member:%lld", (long long)member);
    snprintf(detail, sizeof detail, "%lld", (long long)n);
    if (!rc)
        rc = audit_add(c, "streak.freeze", target, detail);
    if (!rc)
        rc = streak_freezes_held(c->e, member, &held);
    if (rc)
        return rc;
    struct sbuf name = {0}, b = {0};
    member_name(c->e, member, &name);
    text_format(&b, c->lang, "streak.freeze_granted", ARGS(TS("who", name.s), TI("n", n), TI("held", held)));
    rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    sbuf_free(&name);
    return rc;
}

static const struct cmd_spec commands[] = {
    {"makeup", makeup, 0, "streak.help_makeup", "补签"},
    {"streak", cmd_streak, CMD_OPERATOR, "streak.help", "连签"},
};

/* /checkin makeup|history are the check-in's own words; any number of
   words, so that a bad date is answered here rather than checking in */
static const struct cmd_sub subs[] = {
    {"checkin", "makeup", makeup, 0, 0, -1},
    {"checkin", "补签", makeup, 0, 0, -1},
    {"checkin", "history", history, 0, 0, -1},
    {"checkin", "记录", history, 0, 0, -1},
    {"streak", "day", op_day, CMD_OPERATOR, 1, 1},
    {"streak", "freeze", op_freeze, CMD_LEDGER, 0, 2},
};

static const struct text_entry texts[] = {
    {"streak.help_makeup", "/makeup <日期> — 补签错过的一天；/checkin history（/签到 记录）— 最近两周的签到",
     "/makeup <date> — make up a missed day; /checkin history — your last two weeks"},
    {"streak.help", "/streak — 签到规则；/streak day 3 — 每天凌晨 3 点开始算新的一天；/streak freeze @成员 2 — 发断签保护卡",
     "/streak — check-in rules; /streak day 3 — the day starts at 03:00; /streak freeze @member 2 — grant streak freezes"},
    {"streak.list_sep", "、", ", "},
    {"streak.freeze_used", "❄️ 用掉 {n} 张断签保护卡保住了连续签到（{days}），还剩 {left} 张",
     "❄️ {n} streak {n|freeze|freezes} kept your streak alive ({days}); {left} left"},
    {"streak.freeze_earned", "🧊 连续签到 {streak} 天，获得 1 张断签保护卡（现有 {held} 张）",
     "🧊 {streak}-day streak: you earned a streak freeze ({held} held)"},
    {"streak.makeup_off", "本群没有开放补签。", "Make-up check-ins are not enabled in this community."},
    {"streak.makeup_usage", "用法：/补签 <日期>，例如 /补签 11-20 或 /补签 昨天（最近 {window} 天内错过的日子）",
     "Usage: /makeup <date>, e.g. /makeup 11-20 or /makeup yesterday (a day missed within the last {window} days)"},
    {"streak.makeup_today", "今天还没过完，直接 /签到 就好。", "Today isn't over: just /checkin."},
    {"streak.makeup_future", "{day} 还没到，不能补签。", "{day} hasn't come yet."},
    {"streak.makeup_too_old", "{day} 太久远了：只能补签最近 {window} 天内的日子。",
     "{day} is too long ago: only the last {window} days can be made up."},
    {"streak.makeup_before_joining", "{day} 你还没加入社群，不用补。", "You hadn't joined yet on {day}."},
    {"streak.makeup_not_missed", "{day} 你已经签到过了，不用补。", "You already checked in on {day}."},
    {"streak.makeup_frozen", "{day} 已经用断签保护卡保住了，不用补。", "A streak freeze already covered {day}."},
    {"streak.makeup_month_cap", "本月的补签次数已经用完（{used}/{cap}），下个月再来。",
     "You've used this month's make-ups ({used}/{cap}); more next month."},
    {"streak.makeup_no_points", "积分不够：补签要 {price} 积分，你现在有 {have}。",
     "Not enough points: a make-up costs {price}, you have {have}."},
    {"streak.makeup_ok", "🩹 {name} 补签了 {day}，花费 {price} 积分（剩 {total}）：到 {through} 连续 <b>{streak}</b> 天。本月还能补 {left} 次",
     "🩹 {name} made up {day} for {price} points ({total} left): <b>{streak}</b> {streak|day|days} in a row through {through}; {left} {left|make-up|make-ups} left this month"},
    {"streak.history_head", "📅 {name} 最近 {days} 天的签到", "📅 {name}'s last {days} days"},
    {"streak.mark_missed", "▫️", "▫️"},
    {"streak.mark_checked", "✅", "✅"},
    {"streak.mark_frozen", "❄️", "❄️"},
    {"streak.mark_made_up", "🩹", "🩹"},
    {"streak.history_legend", "✅ 签到 · 🩹 补签 · ❄️ 保护卡 · ▫️ 未签", "✅ checked in · 🩹 made up · ❄️ frozen · ▫️ missed"},
    {"streak.history_foot", "当前连续 {streak} 天（最长 {best} 天），断签保护卡 {held} 张",
     "Streak {streak} (best {best}), streak freezes held: {held}"},
    {"streak.me", "断签保护卡：{held} 张", "Streak freezes: {held}"},
    {"streak.show",
     "<b>签到规则</b>\n每天从 {hour}:00 开始算新的一天\n连续签到每 {every} 天得 1 张断签保护卡（最多存 {cap} 张，0 = 不发）\n"
     "补签：最近 {window} 天内，每次 {price} 积分，每月最多 {per_month} 次\n改起始时间：/streak day <0-23>；发保护卡：/streak freeze @成员 [张数]",
     "<b>Check-in rules</b>\nThe day starts at {hour}:00\nOne streak freeze per {every} streak days (at most {cap} held; 0 = none)\n"
     "Make-ups: within {window} days, {price} points each, at most {per_month} a month\nChange the start: /streak day <0-23>; grant freezes: /streak freeze @member [n]"},
    {"streak.day_usage", "用法：/streak day <0-23>（每天从几点开始算新的一天，例如 3 表示凌晨 3 点前签到算前一天）",
     "Usage: /streak day <0-23> (the hour the day starts; 3 counts a check-in before 03:00 for the day before)"},
    {"streak.day_set", "好的：从现在起每天从 {hour}:00 开始算新的一天（签到、连续天数、排行榜和数据都按这个算）。",
     "Done: the community's day now starts at {hour}:00 (check-ins, streaks, leaderboards and stats all follow it)."},
    {"streak.freeze_usage", "用法：/streak freeze @成员 [张数 1-{max}]", "Usage: /streak freeze @member [n, 1-{max}]"},
    {"streak.freeze_granted", "🧊 给 {who} 发了 {n} 张断签保护卡（现有 {held} 张）",
     "🧊 Granted {who} {n} streak {n|freeze|freezes} ({held} held)"},
    {"audit.streak.day", "修改每天起始时间", "changed the day's start"},
    {"audit.streak.freeze", "发放断签保护卡给", "granted streak freezes to"},
};

static const char *const migrations[] = {
    /* 1: the community's day start (NULL = the configured default), freezes, make-ups */
    "ALTER TABLE communities ADD COLUMN day_start_hour INTEGER CHECK (day_start_hour BETWEEN 0 AND 23);"
    "CREATE TABLE streak_freezes ("
    "  id INTEGER PRIMARY KEY,"
    "  community_id INTEGER NOT NULL,"
    "  member_id INTEGER NOT NULL REFERENCES members(id),"
    "  delta INTEGER NOT NULL CHECK (delta <> 0),"
    "  reason TEXT NOT NULL CHECK (reason IN ('earned','granted','used')),"
    "  day INTEGER NOT NULL," /* earned: the check-in's day; used: the day it covered */
    "  granted_by INTEGER,"
    "  at INTEGER NOT NULL"
    ") STRICT;"
    /* one freeze earned per check-in day, one spent per missed day */
    "CREATE UNIQUE INDEX streak_freezes_once ON streak_freezes(member_id, reason, day) WHERE reason <> 'granted';"
    "CREATE INDEX streak_freezes_member ON streak_freezes(member_id, reason, day);"
    "CREATE TABLE streak_makeups ("
    "  member_id INTEGER NOT NULL REFERENCES members(id),"
    "  day INTEGER NOT NULL,"
    "  community_id INTEGER NOT NULL,"
    "  month INTEGER NOT NULL," /* year * 100 + month of the day it was bought */
    "  price INTEGER NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  PRIMARY KEY (member_id, day)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE INDEX streak_makeups_month ON streak_makeups(member_id, month);",
};

#define STREAK_OFF(f) offsetof(struct engine_settings, streak.f)

static const struct kb_setting settings[] = {
    {.path = "streak", .type = KB_SETTING_SECTION},
    {.path = "streak.day_start_hour", .type = KB_SETTING_INT, .off = STREAK_OFF(day_start_hour),
     .max = 23, .scale = 1, .dnum = 0},
    {.path = "streak.freeze_every", .type = KB_SETTING_INT, .off = STREAK_OFF(freeze_every),
     .max = 365, .scale = 1, .dnum = 7},
    {.path = "streak.freeze_cap", .type = KB_SETTING_INT, .off = STREAK_OFF(freeze_cap),
     .max = 30, .scale = 1, .dnum = 2},
    {.path = "streak.makeup_window_days", .type = KB_SETTING_INT, .off = STREAK_OFF(makeup_window_days),
     .max = 60, .scale = 1, .dnum = 7},
    {.path = "streak.makeup_price", .type = KB_SETTING_INT, .off = STREAK_OFF(makeup_price),
     .max = 100000, .scale = 1, .dnum = 20},
    {.path = "streak.makeup_per_month", .type = KB_SETTING_INT, .off = STREAK_OFF(makeup_per_month),
     .max = 31, .scale = 1, .dnum = 2},
};

const struct kb_module streak_module = {
    .name = "streak",
    .commands = commands,
    .n_commands = KB_COUNT(commands),
    .texts = texts,
    .n_texts = KB_COUNT(texts),
    .subs = subs,
    .n_subs = KB_COUNT(subs),
    .migrations = migrations,
    .n_migrations = KB_COUNT(migrations),
    .settings = settings,
    .n_settings = KB_COUNT(settings),
};
