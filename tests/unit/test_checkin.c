/* Check-ins: days in the community's zone, streaks, points, the ledger. */
#include "../test.h"
#include "../support/fixture.h"

#include "../../core/checkin.h"
#include "../../core/ledger.h"
#include "../../core/top.h"
#include "../../core/tz.h"

#define DAY 86400
static const int64_t T0 = 1795391940; /* 2026-11-23 07:59 Asia/Shanghai */

TEST(first_checkin_pays_base_points)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    CHECK_INT(fx_say(&f, "g1", "alice", T0, "/checkin"), 0);
    char *r = fx_replies(&f);
    CHECK_CONTAINS(r, "checked in");
    CHECK_CONTAINS(r, "+10 points (total 10), #1 today");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE reason = 'checkin'"), 10);
    fx_close(&f);
}

TEST(second_checkin_same_local_day_is_refused)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "alice", T0, "/checkin");
    free(fx_replies(&f));
    /* 23:59 local the same day: still today */
    fx_say(&f, "g1", "alice", 1795449540, "签到");
    char *r = fx_replies(&f);
    CHECK_CONTAINS(r, "already checked in today (streak 1)");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger"), 1);
    /* 00:01 the next local day: a new day, streak 2, 11 points */
    fx_say(&f, "g1", "alice", 1795449660, "打卡");
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "Streak <b>2</b>");
    CHECK_CONTAINS(r, "+11 points (total 21)");
    free(r);
    fx_close(&f);
}

TEST(missed_day_resets_streak_and_bonus_is_capped)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    for (int d = 0; d < 14; d++)
        CHECK_INT(fx_say(&f, "g1", "bob", T0 + d * DAY, "/checkin"), 0);
    char *r = fx_replies(&f);
    CHECK_CONTAINS(r, "Streak <b>14</b>");
    CHECK_CONTAINS(r, "+20 points"); /* 10 + min(13, 10) */
    free(r);
    fx_say(&f, "g1", "bob", T0 + 15 * DAY, "/checkin"); /* day 14 skipped */
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "Streak <b>1</b>");
    free(r);
    fx_say(&f, "g1", "bob", T0 + 15 * DAY + 60, "/me");
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "Streak: 1 day (best 14)");
    CHECK_CONTAINS(r, "Check-in days: 15");
    free(r);
    CHECK(top_tallies_agree(f.e, 1));
    fx_close(&f);
}

TEST(rank_counts_members_of_the_day)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "a", T0, "/checkin");
    fx_say(&f, "g1", "b", T0 + 1, "/checkin");
    fx_say(&f, "g1", "c", T0 + 2, "/checkin");
    char *r = fx_replies(&f);
    CHECK_CONTAINS(r, "#3 today");
    free(r);
    fx_close(&f);
}

TEST(two_time_zones_disagree_about_the_day)
{
    /* 2026-11-23 23:30 UTC is already the 24th in Shanghai, still the 23rd in UTC */
    int64_t t = 1795391940 + 23 * 3600 + 31 * 60;
    CHECK_INT(tz_day("Asia/Shanghai", t) - tz_day("UTC", t), 1);
    struct fx f;
    fx_open(&f, "UTC", "en");
    fx_say(&f, "g1", "u", t - 3600, "/checkin");
    fx_say(&f, "g1", "u", t, "/checkin");
    char *r = fx_replies(&f);
    CHECK_CONTAINS(r, "already");
    free(r);
    fx_close(&f);
}

TEST(berlin_dst_days_have_23_and_25_hours)
{
    /* 2026-03-29: clocks go 02:00 -> 03:00 in Berlin */
    int64_t start = tz_day_start("Europe/Berlin", tz_day("Europe/Berlin", 1774740600));
    int64_t next = tz_day_start("Europe/Berlin", tz_day("Europe/Berlin", 1774740600) + 1);
    CHECK_INT(next - start, 23 * 3600);
    struct fx f;
    fx_open(&f, "Europe/Berlin", "en");
    fx_say(&f, "g1", "u", 1774737000, "/checkin");     /* Sat 23:30 CET */
    fx_say(&f, "g1", "u", 1774740600, "/checkin");     /* Sun 00:30 CET: next day */
    fx_say(&f, "g1", "u", 1774764000, "/checkin");     /* Sun 08:00 CEST: same day */
    char *r = fx_replies(&f);
    CHECK_CONTAINS(r, "Streak <b>2</b>");
    CHECK_CONTAINS(r, "already checked in today (streak 2)");
    free(r);
    /* October: 25-hour day */
    int64_t oct = 1792879200; /* 2026-10-25 00:00 CEST */
    int64_t d = tz_day("Europe/Berlin", oct + 3600);
    CHECK_INT(tz_day_start("Europe/Berlin", d + 1) - tz_day_start("Europe/Berlin", d), 25 * 3600);
    fx_close(&f);
}

TEST(replay_after_midnight_counts_for_the_sent_day)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    /* sent at 23:59 local, applied at 00:05 the next day */
    char id[] = "late";
    struct kb_event ev = {.kind = KB_EV_MESSAGE, .platform = "console", .chat_id = "g",
                          .user_id = "z", .user_name = "z", .message_id = id,
                          .time = 1795449540, .text = "/checkin"};
    CHECK_INT(engine_apply(f.e, &ev, 1, NULL, NULL, 1795449540 + 360), 0);
    CHECK_INT(fx_i64(&f, "SELECT day FROM checkins"), tz_day("Asia/Shanghai", 1795449540));
    fx_close(&f);
}

/* The latest check-in is kept in the member's memo: days applied out of
   order (a late message for yesterday after today's) give the streaks the
   table alone gives (each event applied after a reopen, nothing kept). */
TEST(streaks_out_of_order_match_the_table)
{
    static const int days[] = {0, 1, 3, 2, 4, 5, 7, 6};
    enum { N = sizeof days / sizeof days[0] };
    int64_t kept[N], fresh[N];
    for (int run = 0; run < 2; run++) {
        struct fx f;
        fx_open(&f, NULL, "en");
        for (int i = 0; i < N; i++) {
            if (run == 1)
                fx_reopen(&f);
            CHECK_INT(fx_say(&f, "g1", "bob", T0 + days[i] * DAY, "/checkin"), 0);
            int64_t *streak = &(run ? fresh : kept)[i]; /* of the day just applied */
            CHECK_INT(store_i64(f.e->st, streak, "SELECT streak FROM checkins WHERE at = ?",
                                VALS(SI(T0 + days[i] * DAY))), 0);
        }
        fx_close(&f);
    }
    for (int i = 0; i < N; i++)
        CHECK_INT(kept[i], fresh[i]);
    CHECK_INT(kept[3], 3);     /* day 2, late after day 3: 0, 1, 2 */
    CHECK_INT(kept[4], 2);     /* day 4 follows day 3, written before day 2 came */
    CHECK_INT(kept[N - 1], 4); /* day 6, late after day 7: day 5's 3 and one */
}

/* base + min(bonus * (streak - 1), cap), never below base; a missed day
   starts the streak again */
TEST(points_formula)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    f.e->set.checkin.base_points = 10;
    f.e->set.checkin.streak_bonus = 1;
    f.e->set.checkin.streak_bonus_cap = 10;
    for (int d = 0; d < 12; d++)
        CHECK_INT(fx_say(&f, "g1", "alice", T0 + d * DAY, "/checkin"), 0);
    CHECK_INT(fx_i64(&f, "SELECT points FROM checkins WHERE streak = 1"), 10);
    CHECK_INT(fx_i64(&f, "SELECT points FROM checkins WHERE streak = 2"), 11);
    CHECK_INT(fx_i64(&f, "SELECT points FROM checkins WHERE streak = 11"), 20);
    CHECK_INT(fx_i64(&f, "SELECT points FROM checkins WHERE streak = 12"), 20);
    CHECK_INT(fx_say(&f, "g1", "alice", T0 + 13 * DAY, "/checkin"), 0); /* day 12 missed */
    CHECK_INT(fx_i64(&f, "SELECT streak * 100 + points FROM checkins ORDER BY day DESC LIMIT 1"), 110);
    /* a bonus configured below zero pays the base */
    f.e->set.checkin.streak_bonus = -5;
    CHECK_INT(fx_say(&f, "g1", "alice", T0 + 14 * DAY, "/checkin"), 0);
    CHECK_INT(fx_i64(&f, "SELECT streak * 100 + points FROM checkins ORDER BY day DESC LIMIT 1"), 210);
    CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE reason = 'checkin'"),
              fx_i64(&f, "SELECT sum(points) FROM checkins"));
    fx_close(&f);
}

TEST(ledger_is_append_only_and_tallies_rebuild)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    for (int u = 0; u < 5; u++) {
        char name[16];
        snprintf(name, sizeof name, "u%d", u);
        for (int d = 0; d < 3; d++)
            fx_say(&f, "g1", name, T0 + d * DAY, "/checkin");
    }
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger"), 15);
    CHECK_INT(fx_i64(&f, "SELECT sum(points) FROM period_tallies WHERE span = 0"), fx_i64(&f, "SELECT sum(amount) FROM ledger"));
    store_exec(f.e->st, "UPDATE period_tallies SET points = 0 WHERE span = 0", NOVALS);
    CHECK(!top_tallies_agree(f.e, 1));
    CHECK_INT(top_rebuild(f.e, 1), 0);
    CHECK(top_tallies_agree(f.e, 1));
    CHECK_INT(fx_i64(&f, "SELECT sum(points) FROM period_tallies WHERE span = 0"), 5 * (10 + 11 + 12));
    fx_close(&f);
}

TEST(chinese_is_the_default_locale)
{
    struct fx f;
    fx_open(&f, NULL, "zh-CN");
    fx_say(&f, "g1", "小明", T0, "签到");
    char *r = fx_replies(&f);
    CHECK_CONTAINS(r, "签到成功");
    CHECK_CONTAINS(r, "今日第 1 位");
    free(r);
    fx_close(&f);
}

TEST_MAIN(T(first_checkin_pays_base_points), T(second_checkin_same_local_day_is_refused),
          T(missed_day_resets_streak_and_bonus_is_capped), T(rank_counts_members_of_the_day),
          T(two_time_zones_disagree_about_the_day), T(berlin_dst_days_have_23_and_25_hours),
          T(replay_after_midnight_counts_for_the_sent_day), T(streaks_out_of_order_match_the_table),
          T(points_formula),
          T(ledger_is_append_only_and_tallies_rebuild), T(chinese_is_the_default_locale))
