/* Operator definitions (one-line and multi-line) and time expressions. */
#include "../test.h"

#include "../../core/defn.h"
#include "../../core/event.h"
#include "../../core/tz.h"

static const int64_t NOW = 1795391940; /* 2026-11-23 07:59 Asia/Shanghai */

TEST(one_line_flags)
{
    struct defn d;
    char err[64];
    CHECK_INT(defn_parse("Summer photos --tier precision --reward points 50 --review", &d, err, sizeof err), 0);
    CHECK_STR(d.head, "Summer photos");
    CHECK_STR(defn_get(&d, "tier"), "precision");
    CHECK_STR(defn_get(&d, "reward"), "points 50");
    CHECK(defn_has(&d, "review"));
    CHECK_STR(defn_get(&d, "review"), "");
    CHECK(defn_get(&d, "deadline") == NULL);
    defn_free(&d);
}

TEST(multi_line_with_continuations_and_fullwidth_colon)
{
    struct defn d;
    char err[64];
    const char *text = "夏日自驾 --tier precision\n"
                       "brief: five road-trip photos\n"
                       "  bright, fresh colours\n"
                       "Deadline： 2026-12-01 20:00\n"
                       "pools: photography, video";
    CHECK_INT(defn_parse(text, &d, err, sizeof err), 0);
    CHECK_STR(d.head, "夏日自驾");
    CHECK_STR(defn_get(&d, "tier"), "precision");
    CHECK_STR(defn_get(&d, "brief"), "five road-trip photos\nbright, fresh colours");
    CHECK_STR(defn_get(&d, "deadline"), "2026-12-01 20:00");
    CHECK_STR(defn_get(&d, "pools"), "photography, video");
    static const char *const allowed[] = {"tier", "brief", "deadline", NULL};
    CHECK_STR(defn_unknown(&d, allowed), "pools");
    defn_free(&d);
}

/* Chinese field names, one-line and multi-line, come out as the English keys. */
TEST(chinese_field_names)
{
    struct defn d;
    char err[64];
    CHECK_INT(defn_parse("晒出方向盘 --奖励 50 积分 --截止 周五 20:00 --名额 5", &d, err, sizeof err), 0);
    CHECK_STR(d.head, "晒出方向盘");
    CHECK_STR(defn_get(&d, "reward"), "50 积分");
    CHECK_STR(defn_get(&d, "deadline"), "周五 20:00");
    CHECK_STR(defn_get(&d, "quota"), "5");
    defn_free(&d);
    CHECK_INT(defn_parse("夏日自驾\n层级：精准\n简报：五张照片\n  色彩明快\n人才库: 摄影\n截止时间：12月4日", &d, err,
                         sizeof err), 0);
    CHECK_STR(defn_get(&d, "tier"), "精准");
    CHECK_STR(defn_get(&d, "brief"), "五张照片\n色彩明快");
    CHECK_STR(defn_get(&d, "pools"), "摄影");
    CHECK_STR(defn_get(&d, "deadline"), "12月4日");
    defn_free(&d);
    /* a Chinese word that is no field name stays text */
    CHECK_INT(defn_parse("标题党 --备注 x", &d, err, sizeof err), 0);
    CHECK_STR(d.head, "标题党 --备注 x");
    defn_free(&d);
}

TEST(dashes_inside_words_are_not_flags)
{
    struct defn d;
    char err[64];
    CHECK_INT(defn_parse("A--B or C -- D --x 1", &d, err, sizeof err), 0);
    CHECK_STR(d.head, "A--B or C -- D");
    CHECK_STR(defn_get(&d, "x"), "1");
    defn_free(&d);
    CHECK_INT(defn_parse("", &d, err, sizeof err), 0);
    CHECK_STR(d.head, "");
    CHECK_INT((long long)d.n, 0);
    defn_free(&d);
}

TEST(relative_and_absolute_times)
{
    int64_t t;
    CHECK_INT(when_parse("2d", "Asia/Shanghai", NOW, &t), 0);
    CHECK_INT(t, NOW + 2 * 86400);
    CHECK_INT(when_parse("90m", "Asia/Shanghai", NOW, &t), 0);
    CHECK_INT(t, NOW + 5400);
    CHECK_INT(when_parse("2026-12-01 20:00", "Asia/Shanghai", NOW, &t), 0);
    CHECK_INT(t, 1796126400);
    CHECK_INT(when_parse("2026-12-01", "Asia/Shanghai", NOW, &t), 0);
    CHECK_INT(t, 1796140740); /* 23:59 that day */
    CHECK_INT(when_parse("08:30", "Asia/Shanghai", NOW, &t), 0);
    CHECK_INT(t, NOW + 31 * 60); /* later today */
    CHECK_INT(when_parse("07:00", "Asia/Shanghai", NOW, &t), 0);
    CHECK_INT(t, NOW + 86400 - 59 * 60); /* already past: tomorrow */
    char buf[32];
    when_format(1796126400, "Asia/Shanghai", buf, sizeof buf);
    CHECK_STR(buf, "2026-12-01 20:00");
}

/* A month-day that has passed this year is that past day, which callers
   refuse ("already passed"), never the same day next year. */
TEST(past_month_day_stays_in_this_year)
{
    int64_t t;
    CHECK_INT(when_parse("11-20 20:00", "Asia/Shanghai", NOW, &t), 0);
    CHECK_INT(t, tz_instant("Asia/Shanghai", 2026, 11, 20, 20, 0));
    CHECK(t < NOW);
    CHECK_INT(when_parse("11-23", "Asia/Shanghai", NOW, &t), 0); /* today, 23:59 */
    CHECK_INT(t, tz_instant("Asia/Shanghai", 2026, 11, 23, 23, 59));
    CHECK_INT(when_parse("12-25 09:00", "Asia/Shanghai", NOW, &t), 0);
    CHECK_INT(t, tz_instant("Asia/Shanghai", 2026, 12, 25, 9, 0));
}

TEST(bad_times_are_refused)
{
    int64_t t;
    const char *bad[] = {"", "tomorrow at", "2026-02-30", "2026-13-01", "25:00", "12:60", "0d",
                         "99999999d", "2026-12-01 8pm", "--", "d"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (when_parse(bad[i], "UTC", NOW, &t) == 0)
            TEST_FAIL("accepted \"%s\"", bad[i]);
}

TEST_MAIN(T(one_line_flags), T(multi_line_with_continuations_and_fullwidth_colon),
          T(chinese_field_names), T(dashes_inside_words_are_not_flags), T(relative_and_absolute_times),
          T(past_month_day_stays_in_this_year), T(bad_times_are_refused))
