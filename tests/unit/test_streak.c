/* Streaks that forgive: the day's start hour, streak freezes, make-ups. */
#include "../test.h"
#include "../support/fixture.h"

#include "../../core/checkin.h"
#include "../../core/tz.h"

#define DAY 86400
#define HOUR 3600
static const int64_t T0 = 1795392000; /* Monday 2026-11-23 08:00 Asia/Shanghai */

static void open_with_rules(struct fx *f)
{
    fx_open(f, NULL, "en");
    f->e->set.streak = (struct kb_streak_rules){.freeze_every = 3, .freeze_cap = 2, .makeup_window_days = 7,
                                                .makeup_price = 15, .makeup_per_month = 2};
}

/* Say text as user at t; the replies. */
static char *say(struct fx *f, const char *user, int64_t t, const char *text)
{
    CHECK_INT(fx_say(f, "g1", user, t, text), 0);
    return fx_replies(f);
}

static void expect(struct fx *f, const char *user, int64_t t, const char *text, const char *want)
{
    char *r = say(f, user, t, text);
    if (!r || !strstr(r, want))
        TEST_FAIL("%s: %s lacks \"%s\"", text, r ? r : "(no reply)", want);
    free(r);
}

TEST(day_boundary_follows_the_start_hour)
{
    const char *tz = "Asia/Shanghai";
    int64_t mon_0100 = T0 + 17 * HOUR, mon_0300 = T0 + 19 * HOUR; /* Tuesday 01:00 and 03:00 */
    CHECK_INT(tz_day_from(tz, 0, mon_0100), tz_day(tz, mon_0100));
    CHECK_INT(tz_day_from(tz, 3, mon_0100), tz_day(tz, T0));         /* 01:00 counts for yesterday */
    CHECK_INT(tz_day_from(tz, 3, mon_0300), tz_day(tz, T0) + 1);     /* 03:00 starts the new day */
    CHECK_INT(tz_day_from(tz, 3, mon_0300 - 1), tz_day(tz, T0));
    CHECK_INT(tz_day_start_from(tz, 3, tz_day(tz, T0) + 1), mon_0300);
    /* DST: in Berlin the day that loses an hour still starts at 03:00 local */
    int64_t b = tz_instant("Europe/Berlin", 2026, 3, 29, 3, 0);
    CHECK_INT(tz_day_from("Europe/Berlin", 3, b), tz_day("Europe/Berlin", b));
    CHECK_INT(tz_day_from("Europe/Berlin", 3, b - 1), tz_day("Europe/Berlin", b) - 1);
    int y, m, d;
    tz_day_ymd(tz_ymd_day(2028, 2, 29), &y, &m, &d, NULL);
    CHECK_INT(y * 10000 + m * 100 + d, 20280229);

    struct fx f;
    open_with_rules(&f);
    expect(&f, "op", T0, "/streak day 3", "starts at 3:00");
    expect(&f, "alice", T0, "/checkin", "Streak <b>1</b>");
    /* Tuesday 01:00 is still Monday for the community: already checked in */
    expect(&f, "alice", mon_0100, "/checkin", "already checked in today");
    /* bob checks in at Tuesday 01:00 for Monday, then at 03:00 for Tuesday */
    expect(&f, "bob", mon_0100, "/checkin", "Streak <b>1</b>");
    expect(&f, "bob", mon_0300, "/checkin", "Streak <b>2</b>");
    CHECK_INT(fx_i64(&f, "SELECT count(DISTINCT day) FROM checkins"), 2);
    /* /top week on Monday 02:00 of the next week still shows the week that ends at 03:00 */
    int64_t next_mon_0200 = T0 + 7 * DAY + 18 * HOUR - DAY; /* Monday 11-30 02:00 */
    expect(&f, "bob", next_mon_0200, "/top week", "Mon 11-23");
    expect(&f, "bob", next_mon_0200 + 2 * HOUR, "/top week", "Mon 11-30");
    /* /stats counts Monday's check-ins until Tuesday 03:00 */
    expect(&f, "op", mon_0300 - 60, "/stats", "today 2");
    /* the setting survives a restart, and a member may not change it */
    fx_reopen(&f);
    expect(&f, "op", T0, "/streak", "starts at 3:00");
    expect(&f, "alice", T0, "/streak day 5", "only operators");
    expect(&f, "op", T0, "/streak day 24", "Usage: /streak day");
    fx_close(&f);
}

TEST(freezes_are_earned_capped_and_spent_once)
{
    struct fx f;
    open_with_rules(&f);
    expect(&f, "alice", T0, "/checkin", "Streak <b>1</b>");
    expect(&f, "alice", T0 + DAY, "/checkin", "Streak <b>2</b>");
    expect(&f, "alice", T0 + 2 * DAY, "/checkin", "earned a streak freeze (1 held)");
    for (int d = 3; d < 9; d++)
        free(say(&f, "alice", T0 + d * DAY, "/checkin"));
    /* earned at 3 and 6; at 9 the cap (2) holds */
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM streak_freezes WHERE reason = 'earned'"), 2);
    expect(&f, "alice", T0 + 9 * DAY, "/me", "Streak freezes: 2");
    /* two days missed (day 9, 10): both freezes go, the streak goes on */
    expect(&f, "alice", T0 + 11 * DAY, "/me", "Streak: 9"); /* alive: the freezes cover the gap */
    char *r = say(&f, "alice", T0 + 11 * DAY, "/checkin");
    CHECK_CONTAINS(r, "2 streak freezes kept your streak alive (12-02, 12-03); 0 left");
    CHECK_CONTAINS(r, "Streak <b>10</b>");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT coalesce(sum(delta), 0) FROM streak_freezes"), 0);
    /* a gap wider than the freezes held breaks the streak and spends none */
    expect(&f, "op", T0 + 11 * DAY, "/streak freeze @alice", "1 streak freeze (1 held)");
    expect(&f, "alice", T0 + 14 * DAY, "/checkin", "Streak <b>1</b>");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM streak_freezes WHERE reason = 'used'"), 2);
    CHECK_INT(fx_i64(&f, "SELECT coalesce(sum(delta), 0) FROM streak_freezes"), 1);
    /* the same message again (a redelivery) spends and earns nothing more */
    char id[] = "again";
    struct kb_event ev = {.kind = KB_EV_MESSAGE, .platform = "console", .chat_id = "g1", .chat_type = KB_CHAT_GROUP,
                          .user_id = "alice", .user_name = "alice", .message_id = id,
                          .time = T0 + 16 * DAY, .text = "/checkin"};
    CHECK_INT(engine_apply(f.e, &ev, 1, NULL, NULL, T0 + 16 * DAY), 0); /* day 15 missed: freeze used */
    CHECK_INT(engine_apply(f.e, &ev, 1, NULL, NULL, T0 + 16 * DAY), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM streak_freezes WHERE reason = 'used'"), 3);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM checkins"), 12); /* days 0-8, 11, 14, 16 */
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "1 streak freeze kept your streak alive (12-08); 0 left");
    free(r);
    /* granting is for configured operators only */
    expect(&f, "bob", T0 + 16 * DAY, "/streak freeze @bob 5", "only operators");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM streak_freezes WHERE reason = 'granted'"), 1);
    fx_close(&f);
}

TEST(makeups_are_refused_with_the_reason)
{
    struct fx f;
    open_with_rules(&f);
    f.e->set.streak.freeze_every = 0;
    expect(&f, "alice", T0 - 7 * DAY, "/checkin", "+10 points (total 10)"); /* joined on 11-16 */
    expect(&f, "alice", T0 - 6 * DAY, "/checkin", "total 21");
    /* 11-18 .. 11-22 missed; today is 11-23 */
    expect(&f, "alice", T0, "/makeup", "Usage: /makeup <date>");
    expect(&f, "alice", T0, "/makeup 02-30", "Usage: /makeup <date>");
    expect(&f, "alice", T0, "/makeup 11-23", "Today isn't over");
    expect(&f, "alice", T0, "/makeup 2026-11-24", "hasn't come yet");
    expect(&f, "alice", T0, "/makeup 11-17", "You already checked in on 11-17");
    expect(&f, "alice", T0, "/makeup 11-15", "too long ago: only the last 7 days");
    expect(&f, "bob", T0, "/makeup yesterday", "You hadn't joined yet on 11-22");
    /* alice has 21 points, a make-up costs 15 */
    expect(&f, "alice", T0, "/checkin makeup 11-18", "made up 11-18 for 15 points (6 left)");
    expect(&f, "alice", T0, "/补签 11-19", "Not enough points: a make-up costs 15, you have 6");
    expect(&f, "op", T0, "/grant points 100 @alice thanks", "100");
    expect(&f, "alice", T0, "/签到 补签 11月19日", "<b>4</b> days in a row through 11-19"); /* 16, 17, 18, 19 */
    expect(&f, "alice", T0, "/makeup 11-20", "used this month's make-ups (2/2)");
    /* a frozen day is not missed */
    f.e->set.streak.makeup_per_month = 5;
    CHECK_INT(fx_say(&f, "g1", "op", T0, "/streak freeze @alice 2"), 0);
    free(fx_replies(&f));
    expect(&f, "alice", T0 + 3 * DAY, "/checkin", "Streak <b>1</b>"); /* 11-26: a 7-day gap, 2 freezes */
    expect(&f, "alice", T0 + 5 * DAY, "/checkin", "kept your streak alive (11-27)");
    expect(&f, "alice", T0 + 5 * DAY, "/makeup 11-27", "A streak freeze already covered 11-27");
    /* nothing changed by the refusals: two make-ups, their two ledger rows */
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM streak_makeups"), 2);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE reason = 'makeup'"), 2);
    CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE reason = 'makeup'"), -30);
    /* off: refused whatever the date */
    f.e->set.streak.makeup_window_days = 0;
    expect(&f, "alice", T0 + 5 * DAY, "/makeup 11-27", "not enabled");
    fx_close(&f);
}

TEST(a_makeup_joins_the_streak_and_shows_in_the_history)
{
    struct fx f;
    open_with_rules(&f);
    f.e->set.streak.freeze_every = 0;
    for (int d = 0; d < 3; d++) /* 11-23 .. 11-25 */
        free(say(&f, "alice", T0 + d * DAY, "/checkin"));
    expect(&f, "op", T0, "/grant points 100 @alice thanks", "100");
    /* 11-26 missed; 11-27, 11-28 start again */
    expect(&f, "alice", T0 + 4 * DAY, "/checkin", "Streak <b>1</b>");
    expect(&f, "alice", T0 + 5 * DAY, "/checkin", "Streak <b>2</b>");
    expect(&f, "alice", T0 + 5 * DAY, "/makeup 11-26", "<b>6</b> days in a row through 11-28");
    /* the check-ins after it were recounted: 1, 2, 3, [4], 5, 6 */
    CHECK_INT(fx_i64(&f, "SELECT sum(streak) FROM checkins"), 21);
    CHECK_INT(fx_i64(&f, "SELECT points FROM checkins WHERE streak = 4"), 0);
    char *r = say(&f, "alice", T0 + 5 * DAY, "/checkin history");
    CHECK_CONTAINS(r, "11-25 ✅  11-26 🩹  11-27 ✅  11-28 ✅");
    CHECK_CONTAINS(r, "11-22 ▫️");
    CHECK_CONTAINS(r, "Streak 6 (best 6)");
    free(r);
    /* it keeps the streak; it is no day checked in (levels, the check-in board) */
    expect(&f, "alice", T0 + 5 * DAY, "/me", "Check-in days: 5");
    /* a frozen day shows as such */
    expect(&f, "op", T0 + 5 * DAY, "/streak freeze @alice", "1 held");
    expect(&f, "alice", T0 + 7 * DAY, "/checkin", "kept your streak alive (11-29)");
    expect(&f, "alice", T0 + 7 * DAY, "/签到 记录", "11-29 ❄️  11-30 ✅");
    fx_close(&f);
}

TEST_MAIN(T(day_boundary_follows_the_start_hour), T(freezes_are_earned_capped_and_spent_once),
          T(makeups_are_refused_with_the_reason), T(a_makeup_joins_the_streak_and_shows_in_the_history))
