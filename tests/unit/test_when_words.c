/* Times typed the way people write them (core/when_words.h): one test per
   form, the week and year boundaries, an already-past weekday. */
#include "../test.h"

#include "../../core/defn.h"
#include "../../core/err.h"
#include "../../core/tz.h"
#include "../../core/when_words.h"

#define SH "Asia/Shanghai"

static int64_t at(int y, int mon, int d, int h, int mi)
{
    return tz_instant(SH, y, mon, d, h, mi);
}

/* when_parse(s) at now must give want */
static void expect(const char *s, int64_t now, int64_t want)
{
    int64_t t = 0;
    if (when_parse(s, SH, now, &t) != 0)
        TEST_FAIL("refused \"%s\"", s);
    else if (t != want) {
        char got[32], exp[32];
        when_format(t, SH, got, sizeof got);
        when_format(want, SH, exp, sizeof exp);
        TEST_FAIL("\"%s\": got %s, want %s", s, got, exp);
    }
}

/* Monday 2026-11-23 07:59 */
static int64_t monday(void) { return at(2026, 11, 23, 7, 59); }

TEST(relative_day_words)
{
    expect("今天", monday(), at(2026, 11, 23, 23, 59));
    expect("明天", monday(), at(2026, 11, 24, 23, 59));
    expect("后天", monday(), at(2026, 11, 25, 23, 59));
    expect("大后天", monday(), at(2026, 11, 26, 23, 59));
    expect("明天 20:00", monday(), at(2026, 11, 24, 20, 0));
    expect("明天早上8点", monday(), at(2026, 11, 24, 8, 0));
    expect("明晚8点", monday(), at(2026, 11, 24, 20, 0));
    expect("今晚", monday(), at(2026, 11, 23, 23, 59));
    expect("tomorrow", monday(), at(2026, 11, 24, 23, 59));
    expect("tomorrow 8pm", monday(), at(2026, 11, 24, 20, 0));
}

TEST(weekdays)
{
    expect("周五", monday(), at(2026, 11, 27, 23, 59));
    expect("星期五 晚上8点", monday(), at(2026, 11, 27, 20, 0));
    expect("礼拜天", monday(), at(2026, 11, 29, 23, 59));
    expect("周日", monday(), at(2026, 11, 29, 23, 59));
    expect("fri 8pm", monday(), at(2026, 11, 27, 20, 0));
    /* today's weekday: today while ahead, else a week on */
    expect("周一", monday(), at(2026, 11, 23, 23, 59));
    expect("周一 7:00", monday(), at(2026, 11, 30, 7, 0));
    expect("周一 9:00", monday(), at(2026, 11, 23, 9, 0));
}

TEST(already_past_weekday_is_next_week)
{
    int64_t saturday = at(2026, 11, 28, 10, 0);
    expect("周五", saturday, at(2026, 12, 4, 23, 59));
    expect("星期三 18:00", saturday, at(2026, 12, 2, 18, 0));
    /* "this week's" Friday has passed: the instant is past and callers refuse it */
    int64_t t;
    CHECK_INT(when_parse("本周五", SH, saturday, &t), 0);
    CHECK(t < saturday);
}

TEST(next_week_crosses_the_week_boundary)
{
    expect("下周一", monday(), at(2026, 11, 30, 23, 59));
    expect("下周五 10点", monday(), at(2026, 12, 4, 10, 0));
    expect("下个星期三", monday(), at(2026, 12, 2, 23, 59));
    expect("下下周一", monday(), at(2026, 12, 7, 23, 59));
    expect("next mon", monday(), at(2026, 11, 30, 23, 59));
    /* on a Sunday, next Monday is tomorrow; this Sunday is today */
    int64_t sunday = at(2026, 11, 29, 9, 0);
    expect("下周一", sunday, at(2026, 11, 30, 23, 59));
    expect("本周日", sunday, at(2026, 11, 29, 23, 59));
    expect("这周日", sunday, at(2026, 11, 29, 23, 59));
}

TEST(month_days_and_the_year_boundary)
{
    expect("12月4日", monday(), at(2026, 12, 4, 23, 59));
    expect("12月4号 20:00", monday(), at(2026, 12, 4, 20, 0));
    expect("十二月四日晚上8点", monday(), at(2026, 12, 4, 20, 0));
    expect("2027年1月5日", monday(), at(2027, 1, 5, 23, 59));
    expect("30号", monday(), at(2026, 11, 30, 23, 59));
    int64_t new_year_eve = at(2026, 12, 31, 21, 0);
    expect("1月2日", new_year_eve, at(2027, 1, 2, 23, 59));
    expect("明天", new_year_eve, at(2027, 1, 1, 23, 59));
    expect("后天 9:00", new_year_eve, at(2027, 1, 2, 9, 0));
    expect("下周一", new_year_eve, at(2027, 1, 4, 23, 59));
    expect("3号", new_year_eve, at(2027, 1, 3, 23, 59));
    expect("3天后", new_year_eve, new_year_eve + 3 * 86400);
    /* a day of the last week stays as written (past: refused by callers) */
    int64_t t;
    CHECK_INT(when_parse("12月29日", SH, new_year_eve, &t), 0);
    CHECK_INT(t, at(2026, 12, 29, 23, 59));
    CHECK_INT(when_parse("2月29日", SH, monday(), &t), KB_EINVAL); /* 2027 is no leap year */
}

TEST(relative_amounts)
{
    expect("3天后", monday(), monday() + 3 * 86400);
    expect("三天后", monday(), monday() + 3 * 86400);
    expect("2小时后", monday(), monday() + 7200);
    expect("两个小时以后", monday(), monday() + 7200);
    expect("半小时后", monday(), monday() + 1800);
    expect("30分钟后", monday(), monday() + 1800);
    expect("1周后", monday(), monday() + 7 * 86400);
    expect("3天后晚上8点", monday(), at(2026, 11, 26, 20, 0));
}

TEST(times_of_day)
{
    expect("晚上8点", monday(), at(2026, 11, 23, 20, 0));
    expect("8点", monday(), at(2026, 11, 23, 8, 0));
    expect("7点", monday(), at(2026, 11, 24, 7, 0)); /* past: tomorrow */
    expect("下午3点半", monday(), at(2026, 11, 23, 15, 30));
    expect("上午10点15分", monday(), at(2026, 11, 23, 10, 15));
    expect("中午12点", monday(), at(2026, 11, 23, 12, 0));
    expect("中午1点", monday(), at(2026, 11, 23, 13, 0));
    expect("２０：００", monday(), at(2026, 11, 23, 20, 0));
    expect("晚上12点", monday(), at(2026, 11, 24, 0, 0));
    expect("8:30pm", monday(), at(2026, 11, 23, 20, 30));
    int m;
    CHECK_INT(when_time_of_day("晚上8点", &m), 0);
    CHECK_INT(m, 20 * 60);
    CHECK_INT(when_time_of_day("8点半", &m), 0);
    CHECK_INT(m, 8 * 60 + 30);
    CHECK_INT(when_time_of_day("20：05", &m), 0);
    CHECK_INT(m, 20 * 60 + 5);
}

TEST(nonsense_is_refused)
{
    const char *bad[] = {"明天后天", "周八", "13月1日", "晚上25点", "8点70分", "2小时后8点",
                         "今晚上午8点", "明早", "下周", "5", "周五周六", "明天 8", "\xff\xfe"};
    int64_t t;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (when_parse(bad[i], SH, monday(), &t) == 0)
            TEST_FAIL("accepted \"%s\"", bad[i]);
    int m;
    CHECK_INT(when_time_of_day("明天8点", &m), KB_EINVAL);
    CHECK_INT(when_time_of_day("24:00", &m), KB_EINVAL);
}

TEST_MAIN(T(relative_day_words), T(weekdays), T(already_past_weekday_is_next_week),
          T(next_week_crosses_the_week_boundary), T(month_days_and_the_year_boundary),
          T(relative_amounts), T(times_of_day), T(nonsense_is_refused))
