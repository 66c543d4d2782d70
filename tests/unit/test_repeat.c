/* Tasks that repeat: the schedule, occurrences posted by the tick, /task stop. */
#include "../test.h"
#include "../support/fixture.h"

#include "../../core/repeat.h"
#include "../../core/tz.h"

#define DAY 86400
#define HOUR 3600
static const char *const SH = "Asia/Shanghai";
static const int64_t T0 = 1795395600; /* Monday 2026-11-23 09:00 Asia/Shanghai */

TEST(repeat_words_become_weekdays)
{
    int days = 0;
    CHECK_INT(repeat_days_parse("daily", SH, T0, &days), 0);
    CHECK_INT(days, 127);
    CHECK_INT(repeat_days_parse("每天", SH, T0, &days), 0);
    CHECK_INT(days, 127);
    CHECK_INT(repeat_days_parse("weekly", SH, T0, &days), 0);
    CHECK_INT(days, 1 << 1); /* T0 is a Monday */
    CHECK_INT(repeat_days_parse("weekly", SH, T0 + 15 * HOUR, &days), 0);
    CHECK_INT(days, 1 << 2); /* Tuesday 00:00 in Shanghai, still Monday in UTC */
    CHECK_INT(repeat_days_parse("weekdays", SH, T0, &days), 0);
    CHECK_INT(days, 62);
    CHECK_INT(repeat_days_parse("mon,thu", SH, T0, &days), 0);
    CHECK_INT(days, (1 << 1) | (1 << 4));
    CHECK_INT(repeat_days_parse("周一、周四", SH, T0, &days), 0);
    CHECK_INT(days, (1 << 1) | (1 << 4));
    CHECK_INT(repeat_days_parse("Sunday, sat", SH, T0, &days), 0);
    CHECK_INT(days, 1 | (1 << 6));
    CHECK_INT(repeat_days_parse("mon,someday", SH, T0, &days), KB_EINVAL);
    CHECK_INT(days, 0);
    CHECK_INT(repeat_days_parse("", SH, T0, &days), KB_EINVAL);
    CHECK_INT(repeat_days_parse(",", SH, T0, &days), KB_EINVAL);
}

TEST(next_post_time_crosses_the_week)
{
    int mon_thu = (1 << 1) | (1 << 4), at = 9 * 60;
    /* Monday 09:00 itself is not "after": Thursday */
    CHECK_INT(repeat_next_after(SH, at, mon_thu, T0), T0 + 3 * DAY);
    CHECK_INT(repeat_next_after(SH, at, mon_thu, T0 - 1), T0);
    /* Thursday 09:00 -> the next Monday, across the week boundary */
    CHECK_INT(repeat_next_after(SH, at, mon_thu, T0 + 3 * DAY), T0 + 7 * DAY);
    /* Sunday 23:30 -> Monday 09:00 */
    CHECK_INT(repeat_next_after(SH, at, mon_thu, T0 + 6 * DAY + 14 * HOUR + 1800), T0 + 7 * DAY);
    /* weekly on Sunday from a Monday: six days on */
    CHECK_INT(repeat_next_after(SH, at, 1, T0), T0 + 6 * DAY);
    CHECK_INT(repeat_next_after(SH, at, 127, T0), T0 + DAY);
    CHECK_INT(repeat_next_after(SH, at, 0, T0), -1);
    /* DST: 09:00 stays 09:00 local in Berlin across the switch (23 h apart) */
    int64_t sat = tz_instant("Europe/Berlin", 2026, 3, 28, 9, 0);
    CHECK_INT(repeat_next_after("Europe/Berlin", at, 127, sat) - sat, 23 * HOUR);
}

static char *op_says(struct fx *f, int64_t t, const char *text)
{
    CHECK_INT(fx_say(f, "g1", "op", t, text), 0);
    return fx_replies(f);
}

static int64_t tick(struct fx *f, int64_t t)
{
    CHECK_INT(engine_tick(f->e, t), 0);
    return fx_i64(f, "SELECT count(*) FROM tasks");
}

TEST(each_occurrence_is_its_own_task_until_stopped)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    char *r = op_says(&f, T0, "/task new basic 晒出你的方向盘 --everyone --reward points 5 --repeat daily");
    CHECK_CONTAINS(r, "Task #1 repeats daily at 09:00");
    CHECK_CONTAINS(r, "next: 2026-11-24 09:00");
    CHECK_CONTAINS(r, "Deadline: 2026-11-24 09:00"); /* until the next one */
    free(r);
    CHECK_INT(engine_next_due(f.e, T0), T0 + DAY);
    fx_say(&f, "g1", "alice", T0 + HOUR, "/claim 1");
    fx_say(&f, "g1", "alice", T0 + HOUR, "/submit 1 my wheel");
    free(fx_replies(&f));
    CHECK_INT(tick(&f, T0 + DAY - 1), 1);
    CHECK_INT(tick(&f, T0 + DAY), 2);
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "Task #2");
    CHECK_CONTAINS(r, "Deadline: 2026-11-25 09:00");
    CHECK_CONTAINS(r, "🔁 Repeats daily");
    CHECK_CONTAINS(r, "/claim 2");
    free(r);
    CHECK_INT(tick(&f, T0 + DAY), 2); /* the same tick again posts nothing */
    /* its own claims: alice's claim of #1 is not one of #2 */
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM claims WHERE task_id = 2"), 0);
    fx_say(&f, "g1", "alice", T0 + DAY + HOUR, "/claim 2");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM claims WHERE task_id = 2"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE reason = 'task'"), 1);
    /* an edit of the newest occurrence carries on to the next */
    free(op_says(&f, T0 + DAY + HOUR, "/task edit 2 --points 8"));
    CHECK_INT(tick(&f, T0 + 2 * DAY), 3);
    CHECK_INT(fx_i64(&f, "SELECT points FROM tasks WHERE id = 3"), 8);
    free(fx_replies(&f));
    /* /task stop with any task of the series; members may not */
    CHECK_INT(fx_say(&f, "g1", "alice", T0 + 2 * DAY, "/task stop 3"), 0);
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "only operators");
    free(r);
    r = op_says(&f, T0 + 2 * DAY, "/task stop 2");
    CHECK_CONTAINS(r, "series stopped");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM task_series WHERE state = 'active'"), 0);
    CHECK_INT(tick(&f, T0 + 5 * DAY), 3);
    r = op_says(&f, T0 + 5 * DAY, "/task stop 2");
    CHECK_CONTAINS(r, "already stopped");
    free(r);
    r = op_says(&f, T0 + 5 * DAY, "/task stop 99");
    CHECK_CONTAINS(r, "doesn't repeat");
    free(r);
    fx_close(&f);
}

TEST(downtime_posts_what_can_still_be_done_and_skips_the_rest)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    /* daily, lasting until the next one: after three days down only today's is posted */
    free(op_says(&f, T0, "/task new basic Daily wheel --everyone --repeat daily"));
    CHECK_INT(tick(&f, T0 + 3 * DAY + 5 * HOUR), 2);
    CHECK_INT(fx_i64(&f, "SELECT deadline FROM tasks WHERE id = 2"), T0 + 4 * DAY);
    CHECK_INT(fx_i64(&f, "SELECT at FROM task_occurrences WHERE task_id = 2"), T0 + 3 * DAY);
    free(op_says(&f, T0 + 3 * DAY + 5 * HOUR, "/task stop 1"));
    /* Mon and Thu, two days each: Thursday's post, late on Friday, is still open */
    free(op_says(&f, T0, "/task new basic Weekly post --everyone --repeat mon,thu --deadline 2d"));
    CHECK_INT(fx_i64(&f, "SELECT deadline FROM tasks WHERE id = 3"), T0 + 2 * DAY);
    CHECK_INT(tick(&f, T0 + 4 * DAY + HOUR), 4); /* Friday 10:00 */
    CHECK_INT(fx_i64(&f, "SELECT deadline FROM tasks WHERE id = 4"), T0 + 5 * DAY);
    CHECK_INT(tick(&f, T0 + 8 * DAY + HOUR), 5); /* Tuesday 10:00: Monday's, due Wednesday */
    CHECK_INT(fx_i64(&f, "SELECT max(at) FROM task_occurrences WHERE series_id = 2"), T0 + 7 * DAY);
    CHECK_INT(tick(&f, T0 + 12 * DAY + HOUR), 5); /* Saturday 10:00: Thursday's deadline passed */
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM task_occurrences WHERE series_id = 2"), 3);
    /* a restart changes nothing: the next post time is in the table */
    fx_reopen(&f);
    CHECK_INT(fx_i64(&f, "SELECT next_at FROM task_series WHERE id = 2"), T0 + 14 * DAY);
    CHECK_INT(tick(&f, T0 + 12 * DAY + HOUR), 5);
    CHECK_INT(tick(&f, T0 + 14 * DAY), 6);
    fx_close(&f);
}

TEST(repeat_is_refused_where_it_does_not_belong)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    char *r = op_says(&f, T0, "/task new basic X --everyone --repeat sometimes");
    CHECK_CONTAINS(r, "Field repeat");
    free(r);
    free(op_says(&f, T0, "/task new basic X --everyone"));
    r = op_says(&f, T0, "/task edit 1 --repeat daily");
    CHECK_CONTAINS(r, "Field repeat");
    free(r);
    r = op_says(&f, T0, "/task stop 1");
    CHECK_CONTAINS(r, "doesn't repeat");
    free(r);
    r = op_says(&f, T0, "/task stop");
    CHECK_CONTAINS(r, "Usage: /task stop");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM task_series"), 0);
    fx_close(&f);
}

TEST_MAIN(T(repeat_words_become_weekdays), T(next_post_time_crosses_the_week),
          T(each_occurrence_is_its_own_task_until_stopped),
          T(downtime_posts_what_can_still_be_done_and_skips_the_rest), T(repeat_is_refused_where_it_does_not_belong))
