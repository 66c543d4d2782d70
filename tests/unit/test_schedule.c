/* Automatic posts: commands, occurrences in local time (DST), fire-once
   across ticks, restarts and downtime, quiet hours, templates. */
#include "../test.h"
#include "../support/fixture.h"

#include "../../core/schedule.h"
#include "../../core/tz.h"

#define DAY 86400
#define MIN 60
static const int64_t T0 = 1795391940; /* Mon 2026-11-23 07:59 Asia/Shanghai */
static const int64_t AT8 = 1795392000; /* Mon 2026-11-23 08:00 Asia/Shanghai */

/* Captured engine log lines. */
static struct sbuf logbuf;
static void capture(void *ud, int level, const char *msg)
{
    (void)ud;
    sbuf_addf(&logbuf, "[%d] %s\n", level, msg);
}

static void open_with_log(struct fx *f, const char *tz)
{
    fx_open(f, tz, "en");
    sbuf_free(&logbuf);
    engine_set_log(f->e, capture, NULL);
}

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; p && (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* Tick every `step` seconds over [from, to] and return the posts made. */
static char *run(struct fx *f, int64_t from, int64_t to, int64_t step)
{
    for (int64_t t = from; t <= to; t += step)
        if (engine_tick(f->e, t))
            TEST_FAIL("tick: %s", engine_errmsg(f->e));
    return fx_replies(f);
}

static void op(struct fx *f, int64_t t, const char *text)
{
    CHECK_INT(fx_say(f, "g1", "op", t, text), 0);
}

TEST(parsers)
{
    int m;
    CHECK_INT(schedule_parse_hhmm("08:00", &m), 0);
    CHECK_INT(m, 480);
    CHECK_INT(schedule_parse_hhmm("8:05", &m), 0);
    CHECK_INT(m, 485);
    CHECK_INT(schedule_parse_hhmm("22：30", &m), 0);
    CHECK_INT(m, 1350);
    CHECK_INT(schedule_parse_hhmm("24:00", &m), KB_EINVAL);
    CHECK_INT(schedule_parse_hhmm("8:5", &m), KB_EINVAL);
    CHECK_INT(schedule_parse_hhmm("0800", &m), KB_EINVAL);
    CHECK_INT(schedule_parse_hhmm("", &m), KB_EINVAL);
    int d;
    CHECK_INT(schedule_parse_days("weekdays", &d), 0);
    CHECK_INT(d, 0x3E);
    CHECK_INT(schedule_parse_days("mon-fri", &d), 0);
    CHECK_INT(d, 0x3E);
    CHECK_INT(schedule_parse_days("Mon,Wed,Fri", &d), 0);
    CHECK_INT(d, (1 << 1) | (1 << 3) | (1 << 5));
    CHECK_INT(schedule_parse_days("fri-mon", &d), 0);
    CHECK_INT(d, (1 << 5) | (1 << 6) | (1 << 0) | (1 << 1));
    CHECK_INT(schedule_parse_days("周一-周五", &d), 0);
    CHECK_INT(d, 0x3E);
    CHECK_INT(schedule_parse_days("周六、周日", &d), 0);
    CHECK_INT(d, 0x41);
    CHECK_INT(schedule_parse_days("weekends", &d), 0);
    CHECK_INT(d, 0x41);
    CHECK_INT(schedule_parse_days("funday", &d), KB_EINVAL);
    CHECK_INT(schedule_parse_days("mon,", &d), KB_EINVAL);
    CHECK_INT(schedule_parse_days("mon-", &d), KB_EINVAL);
    CHECK(schedule_kind_valid("greet") && !schedule_kind_valid("boom"));
}

TEST(add_list_off_and_refusals)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, T0, "/schedule greet 08:00 Good morning {date}");
    char *r = fx_replies(&f);
    CHECK_CONTAINS(r, "Scheduled #1: greeting, daily at 08:00. Next: 2026-11-23 08:00");
    free(r);
    op(&f, T0, "/schedule weekly mon 09:00 leaderboard");
    op(&f, T0, "/schedule night 22:30 --days mon-fri");
    op(&f, T0, "/schedule list");
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "#2: weekly leaderboard, Mon at 09:00");
    CHECK_CONTAINS(r, "#3: good night, weekdays at 22:30");
    CHECK_CONTAINS(r, "#1 greeting · daily 08:00 · \xE2\x81\xA8Good morning {date}");
    CHECK_CONTAINS(r, "#2 weekly leaderboard · Mon 09:00 · (default text)");
    free(r);
    /* members may not schedule */
    fx_say(&f, "g1", "alice", T0, "/schedule greet 07:00 hi");
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "only operators");
    free(r);
    /* bad input names the problem and writes nothing */
    op(&f, T0, "/schedule greet 25:00 hi");
    op(&f, T0, "/schedule weekly someday 09:00");
    op(&f, T0, "/schedule night 22:00 --days blursday");
    op(&f, T0, "/schedule off 99");
    op(&f, T0, "/schedule off x");
    op(&f, T0, "/schedule quiet 23:00");
    op(&f, T0, "/schedule dance");
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "can't read the time \"\xE2\x81\xA8" "25:00");
    CHECK_CONTAINS(r, "can't read the days \"\xE2\x81\xA8someday");
    CHECK_CONTAINS(r, "can't read the days \"\xE2\x81\xA8" "blursday");
    CHECK_CONTAINS(r, "no automatic post #99");
    CHECK_CONTAINS(r, "Please give a number");
    CHECK_CONTAINS(r, "can't read the quiet hours");
    CHECK_CONTAINS(r, "<b>Automatic posts</b>\n/schedule greet");
    free(r);
    char big[SCHED_TEMPLATE_MAX + 40];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big, "/schedule greet 08:00 ", 22);
    op(&f, T0, big);
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "too long");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM schedules"), 3);
    op(&f, T0, "/schedule off 3");
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "#3 switched off");
    free(r);
    op(&f, T0, "/schedule off 3");
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "no automatic post #3");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM audit WHERE action LIKE 'schedule.%'"), 4);
    fx_close(&f);
}

TEST(greeting_fires_once_a_day_stepping_through_days)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, T0 - 3600, "/schedule greet 08:00 Morning! {weekday}");
    free(fx_replies(&f));
    CHECK_INT(engine_next_due(f.e, T0), AT8);
    char *r = run(&f, T0 - 3600, AT8 - 1, 10);
    CHECK_STR(r, "");
    free(r);
    /* three days, a tick every 7 minutes: one greeting a day */
    r = run(&f, AT8, AT8 + 3 * DAY - 1, 7 * MIN);
    CHECK_INT(count_of(r, "Morning!"), 3);
    CHECK_CONTAINS(r, "Morning! Monday");
    CHECK_CONTAINS(r, "Morning! Tuesday");
    CHECK_CONTAINS(r, "Morning! Wednesday");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM fired WHERE key LIKE 'sched:1:%'"), 3);
    /* two more weeks: only the last 7 marks are kept */
    free(run(&f, AT8 + 3 * DAY + MIN, AT8 + 17 * DAY, 30 * MIN));
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM fired WHERE key LIKE 'sched:1:%'"), 7);
    /* right after a firing, the next is tomorrow 08:00 */
    CHECK_INT(engine_tick(f.e, AT8 + 18 * DAY), 0);
    /* (the greeting of a week ago leaves the outbox soon after) */
    int64_t prune_at = engine_next_due(f.e, AT8 + 18 * DAY);
    CHECK(prune_at > AT8 + 18 * DAY && prune_at < AT8 + 18 * DAY + 30 * MIN);
    CHECK_INT(engine_tick(f.e, prune_at), 0);
    CHECK_INT(engine_next_due(f.e, prune_at), AT8 + 19 * DAY);
    /* a second tick at the same instant adds nothing */
    CHECK_INT(engine_tick(f.e, AT8 + 18 * DAY), 0);
    r = fx_replies(&f);
    CHECK_INT(count_of(r, "Morning!"), 1);
    free(r);
    fx_close(&f);
}

/* A post goes to every group of the community unless it is limited to
   one (/schedule group ID here|all); a limited post is never sent to a
   group that left the community. */
TEST(posts_go_to_every_group_unless_limited)
{
    struct fx f;
    open_with_log(&f, NULL);
    op(&f, T0 - 7200, "/community link");
    char *r = fx_replies(&f);
    const char *at = strstr(r, "<code>");
    char join[64];
    snprintf(join, sizeof join, "/community join %.8s", at ? at + 6 : "");
    free(r);
    CHECK_INT(fx_say(&f, "g2", "op", T0 - 7100, join), 0);
    op(&f, T0 - 3600, "/schedule greet 08:00 Morning!");
    free(fx_replies(&f));
    CHECK_INT(engine_tick(f.e, AT8), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(DISTINCT chat_id) FROM outbox WHERE state = 0 AND text = 'Morning!'"), 2);
    free(fx_replies(&f));

    CHECK_INT(fx_say(&f, "g2", "op", AT8 + MIN, "/schedule group 1 here"), 0);
    CHECK_INT(fx_say(&f, "g2", "op", AT8 + MIN, "/schedule list"), 0);
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "automatic post #1 now goes to this group only");
    CHECK_CONTAINS(r, "only in \xE2\x81\xA8" "console:g2");
    free(r);
    CHECK_INT(engine_tick(f.e, AT8 + DAY), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE state = 0 AND text = 'Morning!'"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE state = 0 AND text = 'Morning!' AND chat_id = 'g2'"), 1);
    free(fx_replies(&f));

    op(&f, AT8 + DAY + MIN, "/community unlink console:g2");
    free(fx_replies(&f));
    CHECK_INT(engine_tick(f.e, AT8 + 2 * DAY), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE state = 0 AND text = 'Morning!'"), 0);
    CHECK_CONTAINS(logbuf.s, "no longer one of its groups: skipped");

    op(&f, AT8 + 2 * DAY + MIN, "/schedule group 1 all");
    op(&f, AT8 + 2 * DAY + MIN, "/schedule group 1 somewhere");
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "now goes to every group of the community");
    CHECK_CONTAINS(r, "Usage: /schedule group id here|all");
    free(r);
    CHECK_INT(engine_tick(f.e, AT8 + 3 * DAY), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE state = 0 AND text = 'Morning!' AND chat_id = 'g1'"), 1);
    fx_close(&f);
}

TEST(created_after_todays_time_starts_tomorrow)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, AT8 + 5 * MIN, "/schedule greet 08:00 Hello");
    char *r = fx_replies(&f);
    CHECK_CONTAINS(r, "Next: 2026-11-24 08:00");
    free(r);
    CHECK_INT(engine_next_due(f.e, AT8 + 6 * MIN), AT8 + DAY);
    r = run(&f, AT8 + 6 * MIN, AT8 + DAY - 1, MIN);
    CHECK_STR(r, "");
    free(r);
    fx_close(&f);
}

TEST(weekday_filters_and_weekly)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, T0 - 3600, "/schedule greet 08:00 weekdays Workday");
    op(&f, T0 - 3600, "/schedule night 22:00 --days sat,sun Weekend night");
    op(&f, T0 - 3600, "/schedule weekly mon 09:00 leaderboard");
    free(fx_replies(&f));
    /* two weeks, Monday to Sunday */
    char *r = run(&f, T0, T0 + 14 * DAY, 10 * MIN);
    CHECK_INT(count_of(r, "Workday"), 10);
    CHECK_INT(count_of(r, "Weekend night"), 4);
    CHECK_INT(count_of(r, "Weekly leaderboard"), 2);
    free(r);
    fx_close(&f);
}

TEST(berlin_dst_spring_and_autumn)
{
    struct fx f;
    fx_open(&f, "Europe/Berlin", "en");
    /* Thu 2026-03-26 12:00 CET; clocks go forward on Sun 03-29 */
    int64_t start = 1774522800;
    op(&f, start, "/schedule greet 08:00 Guten Morgen");
    free(fx_replies(&f));
    for (int d = 0; d < 6; d++) {
        int64_t due = engine_next_due(f.e, start + d * DAY);
        struct tm tm;
        tz_local("Europe/Berlin", due, &tm);
        CHECK_INT(tm.tm_hour, 8);
        CHECK_INT(tm.tm_min, 0);
        CHECK_INT(engine_tick(f.e, due), 0);
        char *r = fx_replies(&f);
        CHECK_INT(count_of(r, "Guten Morgen"), 1);
        free(r);
    }
    /* 08:00 CET on Saturday is 07:00 UTC; 08:00 CEST on Sunday is 06:00 UTC */
    int64_t sat = tz_instant("Europe/Berlin", 2026, 3, 28, 8, 0);
    int64_t sun = tz_instant("Europe/Berlin", 2026, 3, 29, 8, 0);
    CHECK_INT(sun - sat, 23 * 3600);
    CHECK_INT(sat % DAY, 7 * 3600);
    CHECK_INT(sun % DAY, 6 * 3600);
    /* stepping hourly through the autumn change fires once a day too */
    int64_t oct = 1792879200; /* 2026-10-25 00:00 CEST */
    struct fx g;
    fx_open(&g, "Europe/Berlin", "en");
    CHECK_INT(fx_say(&g, "g1", "op", oct - 2 * DAY, "/schedule greet 02:30 Nachtschicht"), 0);
    free(fx_replies(&g));
    char *r = run(&g, oct - DAY, oct + 2 * DAY, 15 * MIN);
    CHECK_INT(count_of(r, "Nachtschicht"), 3); /* Oct 24, 25 (02:30 happens twice), 26 */
    free(r);
    /* and in spring 02:30 does not exist: it fires once, just after the gap */
    fx_say(&f, "g1", "op", start, "/schedule night 02:30 Gap");
    free(fx_replies(&f));
    r = run(&f, 1774738800 - DAY, 1774738800 + DAY, 15 * MIN); /* around 03-29 00:00 */
    CHECK_INT(count_of(r, "Gap"), 2);
    free(r);
    fx_close(&g);
    fx_close(&f);
}

TEST(downtime_within_grace_posts_late_once)
{
    struct fx f;
    open_with_log(&f, NULL);
    op(&f, T0 - 3600, "/schedule greet 08:00 Late but here");
    free(fx_replies(&f));
    CHECK_INT(engine_tick(f.e, T0 - 600), 0);
    /* down from 07:50 to 08:20: 20 minutes late, inside the 30 min grace */
    CHECK_INT(engine_next_due(f.e, AT8 + 20 * MIN), AT8);
    char *r = run(&f, AT8 + 20 * MIN, AT8 + 40 * MIN, MIN);
    CHECK_INT(count_of(r, "Late but here"), 1);
    free(r);
    CHECK_CONTAINS(logbuf.s, "sent 1200 s late");
    CHECK_INT(engine_next_due(f.e, AT8 + 41 * MIN), AT8 + DAY);
    fx_close(&f);
    sbuf_free(&logbuf);
}

TEST(downtime_beyond_grace_skips_and_logs)
{
    struct fx f;
    open_with_log(&f, NULL);
    op(&f, T0 - 3600, "/schedule greet 08:00 Too late");
    free(fx_replies(&f));
    /* down from 07:50 to 08:45 */
    char *r = run(&f, AT8 + 45 * MIN, AT8 + 2 * 3600, MIN);
    CHECK_STR(r, "");
    free(r);
    CHECK_CONTAINS(logbuf.s, "[2] schedule 1 (greet, community 1) missed by 2700 s (grace 1800 s): skipped");
    CHECK_INT(count_of(logbuf.s, "missed by"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM fired"), 1);
    CHECK_INT(engine_next_due(f.e, AT8 + 2 * 3600), AT8 + DAY);
    /* down for three days: only the last occurrences are looked at */
    r = run(&f, AT8 + 4 * DAY + 3 * 3600, AT8 + 4 * DAY + 4 * 3600, MIN);
    CHECK_STR(r, "");
    free(r);
    CHECK_INT(count_of(logbuf.s, "missed by"), 3); /* yesterday's and today's */
    r = run(&f, AT8 + 5 * DAY, AT8 + 5 * DAY, 1);
    CHECK_INT(count_of(r, "Too late"), 1);
    free(r);
    fx_close(&f);
    sbuf_free(&logbuf);
}

TEST(restart_mid_day_never_repeats)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, T0 - 3600, "/schedule greet 08:00 Once");
    op(&f, T0 - 3600, "/schedule night 22:30 Nightly");
    free(fx_replies(&f));
    char *r = run(&f, T0, AT8 + 3600, MIN);
    CHECK_INT(count_of(r, "Once"), 1);
    free(r);
    fx_reopen(&f);
    r = run(&f, AT8 + 5, AT8 + 20 * MIN, 5); /* still within grace: nothing again */
    CHECK_STR(r, "");
    free(r);
    /* restart just before the night post: it comes once */
    fx_reopen(&f);
    r = run(&f, AT8 + 14 * 3600 + 29 * MIN, AT8 + 14 * 3600 + 31 * MIN, 10);
    CHECK_INT(count_of(r, "Nightly"), 1);
    free(r);
    fx_reopen(&f);
    r = run(&f, AT8 + 14 * 3600 + 31 * MIN, AT8 + 15 * 3600, 30);
    CHECK_STR(r, "");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE ref LIKE 'sched:%'"), 2);
    fx_close(&f);
}

TEST(quiet_hours_skip_posts)
{
    struct fx f;
    open_with_log(&f, NULL);
    op(&f, T0 - 3600, "/schedule quiet 22:00-07:00");
    op(&f, T0 - 3600, "/schedule night 22:30 Shh");
    op(&f, T0 - 3600, "/schedule greet 06:30 Early");
    op(&f, T0 - 3600, "/schedule greet 08:00 Fine");
    char *r = fx_replies(&f);
    CHECK_CONTAINS(r, "Quiet hours set to 22:00–07:00");
    CHECK_INT(count_of(r, "inside the quiet hours"), 2);
    free(r);
    r = run(&f, T0, T0 + DAY, 5 * MIN);
    CHECK_INT(count_of(r, "Fine"), 1);
    CHECK_INT(count_of(r, "Shh"), 0);
    CHECK_INT(count_of(r, "Early"), 0);
    free(r);
    CHECK_CONTAINS(logbuf.s, "falls in quiet hours: skipped");
    struct community comm;
    CHECK_INT(community_load(f.e, 1, &comm), 0);
    CHECK(schedule_quiet_at(f.e, &comm, AT8 + 15 * 3600)); /* 23:00 */
    CHECK(!schedule_quiet_at(f.e, &comm, AT8));
    op(&f, T0 + DAY, "/schedule quiet off");
    free(fx_replies(&f));
    CHECK(!schedule_quiet_at(f.e, &comm, AT8 + 15 * 3600));
    r = run(&f, T0 + DAY, T0 + 2 * DAY, 5 * MIN);
    CHECK_INT(count_of(r, "Shh"), 1);
    free(r);
    fx_close(&f);
    sbuf_free(&logbuf);
}

TEST(template_variables)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    /* yesterday (Sunday): three check-ins; a and b on streaks */
    for (int d = 4; d >= 1; d--)
        fx_say(&f, "g1", "a", T0 - d * DAY, "/checkin");
    for (int d = 2; d >= 1; d--)
        fx_say(&f, "g1", "b", T0 - d * DAY, "/checkin");
    fx_say(&f, "g1", "c", T0 - DAY, "/checkin");
    op(&f, T0, "/schedule greet 08:00 {date}|{weekday}|{yesterday_checkins}|{streak_leaders}|{ nope }|<b>{quote}");
    free(fx_replies(&f));
    char *r = run(&f, AT8, AT8, 1);
    CHECK_CONTAINS(r, "November 23, 2026|Monday|3|");
    CHECK_CONTAINS(r, "a\xE2\x81\xA9 (4 days), \xE2\x81\xA8" "b\xE2\x81\xA9 (2 days)");
    CHECK_CONTAINS(r, "|{ nope }|&lt;b&gt;"); /* not a variable: literal */
    /* the shipped line of the day */
    struct community comm;
    CHECK_INT(community_load(f.e, 1, &comm), 0);
    struct sbuf q = {0};
    schedule_render(f.e, &comm, "{quote}", 1, AT8, &q);
    CHECK(q.len > 10);
    CHECK_CONTAINS(r, q.s);
    free(r);
    /* the operator's own lines replace the shipped ones, rotating daily */
    op(&f, T0, "/schedule quote add Line <one>");
    op(&f, T0, "/schedule quote add Line two");
    op(&f, T0, "/schedule quote list");
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "Line #1 added");
    CHECK_CONTAINS(r, "#1 \xE2\x81\xA8Line &lt;one&gt;");
    free(r);
    struct sbuf d1 = {0}, d2 = {0};
    schedule_render(f.e, &comm, "{quote}", 0, AT8, &d1);
    schedule_render(f.e, &comm, "{quote}", 0, AT8 + DAY, &d2);
    CHECK(strcmp(d1.s, d2.s) != 0);
    CHECK(strstr(d1.s, "Line") && strstr(d2.s, "Line"));
    op(&f, T0, "/schedule quote del 1");
    op(&f, T0, "/schedule quote del 1");
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "Line #1 removed");
    CHECK_CONTAINS(r, "no line #1");
    free(r);
    sbuf_free(&q);
    sbuf_free(&d1);
    sbuf_free(&d2);
    /* Chinese */
    struct fx z;
    fx_open(&z, NULL, "zh-CN");
    fx_say(&z, "g1", "op", T0, "/schedule greet 08:00");
    free(fx_replies(&z));
    r = run(&z, AT8, AT8, 1);
    CHECK_CONTAINS(r, "早上好！今天是 2026年11月23日 星期一");
    CHECK_CONTAINS(r, "昨天有 0 人签到");
    free(r);
    fx_close(&z);
    fx_close(&f);
}

/* A typo in a variable is caught when the post is set, not posted daily. */
TEST(unknown_template_variables_are_refused)
{
    const char *langs[] = {"en", "zh-CN"};
    const char *says[] = {"{open_taks}", "{open_taks}"};
    for (int l = 0; l < 2; l++) {
        struct fx f;
        fx_open(&f, NULL, langs[l]);
        op(&f, T0, "/schedule greet 08:00 Open tasks: {open_taks} Polls: {open_polls}");
        op(&f, T0, "/schedule weekly mon 09:00 Top: {leaderbord}");
        char *r = fx_replies(&f);
        CHECK_CONTAINS(r, says[l]);
        CHECK_CONTAINS(r, l ? "不认识的变量" : "unknown variable");
        CHECK_CONTAINS(r, "{leaderbord}");
        CHECK_CONTAINS(r, "{weekday}"); /* the reply lists the known ones */
        free(r);
        CHECK_INT(fx_i64(&f, "SELECT count(*) FROM schedules"), 0);
        fx_close(&f);
    }
}

/* Every variable docs/schedules.md lists expands to something. */
TEST(every_documented_variable_expands)
{
    FILE *doc = fopen("docs/schedules.md", "r");
    CHECK(doc != NULL);
    struct fx f;
    fx_open(&f, NULL, "en");
    for (int d = 3; d >= 1; d--) /* on a streak, not yet in today: at risk */
        fx_say(&f, "g1", "a", T0 - d * DAY, "/checkin");
    op(&f, T0, "/task new basic Wheel photo --reward points 5");
    op(&f, T0, "/poll new Best? | a | b");
    free(fx_replies(&f));
    struct community comm;
    CHECK_INT(community_load(f.e, 1, &comm), 0);
    char line[1024];
    int seen = 0;
    while (fgets(line, sizeof line, doc)) {
        if (strncmp(line, "| `{", 4) != 0)
            continue;
        char *end = strstr(line + 3, "}`");
        CHECK(end != NULL);
        end[1] = '\0';
        struct sbuf out = {0};
        schedule_render(f.e, &comm, line + 3, 0, AT8, &out);
        if (strchr(out.s ? out.s : "{", '{') || out.len == 0)
            TEST_FAIL("%s renders as \"%s\"", line + 3, out.s ? out.s : "");
        sbuf_free(&out);
        seen++;
    }
    fclose(doc);
    CHECK(seen >= 9);
    /* and the examples of the issue: a number each */
    op(&f, T0, "/schedule greet 08:00 Open tasks: {open_tasks} Polls: {open_polls}");
    free(fx_replies(&f));
    char *r = run(&f, AT8, AT8, 1);
    CHECK_CONTAINS(r, "Open tasks: 1 Polls: 1");
    free(r);
    fx_close(&f);
}

/* A word that was meant as the days is not taken for the post's text, and
   the same post twice is refused. */
TEST(ambiguous_days_and_duplicates_are_refused)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, T0, "/schedule greet 08:00 weekday");
    op(&f, T0, "/schedule greet 08:00 mon-fr Good morning");
    op(&f, T0, "/schedule night 22:00 2026-12-10");
    char *r = fx_replies(&f);
    CHECK_INT(count_of(r, "Is \"\xE2\x81\xA8"), 3);
    CHECK_CONTAINS(r, "weekday\xE2\x81\xA9\" meant as the days?");
    CHECK_CONTAINS(r, "<b>Automatic posts</b>\n/schedule greet"); /* with the usage */
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM schedules"), 0);
    op(&f, T0, "/schedule greet 08:00 weekdays Good morning");
    op(&f, T0, "/schedule greet 08:00 --days mon-fri Good morning");
    op(&f, T0, "/schedule greet 08:00 Good morning"); /* other days: a different post */
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "#1 already posts this");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM schedules"), 2);
    free(r);
    op(&f, T0, "/schedule greet 08:00 Good morning, all"); /* real text stays text */
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "Scheduled #3");
    free(r);
    fx_close(&f);
    fx_open(&f, NULL, "zh-CN");
    op(&f, T0, "/schedule greet 08:00 2026-12-10");
    op(&f, T0, "/schedule greet 08:00 周一到周五 早上好");
    op(&f, T0, "/schedule greet 08:00 每天都要开心");
    op(&f, T0, "/schedule greet 08:00 每天都要开心");
    r = fx_replies(&f);
    CHECK_INT(count_of(r, "是日期吗"), 2);
    CHECK_CONTAINS(r, "已设置 #1");
    CHECK_CONTAINS(r, "#1 已经在发这条");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM schedules"), 1);
    fx_close(&f);
}

TEST(weekly_leaderboard_on_monday_counts_the_week_that_ended)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    /* the week before Monday 2026-11-23: alice 5 days, bob 2 days; carol
       checked in 8 days ago (the week before) */
    for (int d = 5; d >= 1; d--)
        fx_say(&f, "g1", "alice", T0 - d * DAY, "/checkin");
    fx_say(&f, "g1", "bob", T0 - 2 * DAY, "/checkin");
    fx_say(&f, "g1", "bob", T0 - DAY, "/checkin");
    fx_say(&f, "g1", "carol", T0 - 8 * DAY, "/checkin");
    op(&f, T0 - 3600, "/schedule weekly mon 09:00");
    free(fx_replies(&f));
    char *r = run(&f, AT8 + 3600, AT8 + 3600, 1);
    CHECK_CONTAINS(r, "Weekly leaderboard</b>\nlast week, Mon 11-16 – Sun 11-22\n");
    CHECK_CONTAINS(r, "1. \xE2\x81\xA8" "alice\xE2\x81\xA9 — 60 points"); /* 10+11+12+13+14 */
    CHECK_CONTAINS(r, "2. \xE2\x81\xA8" "bob\xE2\x81\xA9 — 21 points");
    CHECK(!strstr(r, "carol"));
    free(r);
    struct fx g;
    fx_open(&g, NULL, "en");
    fx_say(&g, "g1", "op", T0, "/schedule weekly mon 09:00 leaderboard");
    free(fx_replies(&g));
    r = run(&g, AT8 + 3600, AT8 + 3600, 1);
    CHECK_CONTAINS(r, "Nobody earned points in that week.");
    free(r);
    fx_close(&g);
    fx_close(&f);
}

/* The case: at one moment /top week, /tally week and the weekly post
   gave three different "week" totals (calendar week, the 7 days before
   today, a rolling 7 days).  Now all three are the calendar week, named. */
TEST(one_week_for_top_tally_and_the_weekly_post)
{
    const int64_t wed_9 = AT8 + 2 * DAY + 3600; /* Wed 2026-11-25 09:00 */
    const char *langs[] = {"en", "zh-CN"};
    const char *names[] = {"this week, Mon 11-23 – today", "本周（11-23 周一至今）"};
    for (int l = 0; l < 2; l++) {
        struct fx f;
        fx_open(&f, NULL, langs[l]);
        fx_say(&f, "g1", "alice", AT8 - 2 * DAY, "/checkin");  /* Saturday: last week */
        fx_say(&f, "g1", "alice", AT8 + 60, "/checkin");       /* Monday */
        fx_say(&f, "g1", "alice", AT8 + 2 * DAY, "/checkin");  /* Wednesday 08:00 */
        op(&f, AT8, "/schedule weekly wed 09:00 leaderboard");
        free(fx_replies(&f));
        /* this week: Monday 10 points, Wednesday 10 (no streak: Sunday and Tuesday were missed) */
        char *r = run(&f, wed_9, wed_9, 1);
        CHECK_CONTAINS(r, names[l]);
        CHECK_CONTAINS(r, "alice\xE2\x81\xA9 — 20");
        free(r);
        op(&f, wed_9, "/top week");
        r = fx_replies(&f);
        CHECK_CONTAINS(r, names[l]);
        CHECK_CONTAINS(r, "alice\xE2\x81\xA9 — 20");
        free(r);
        op(&f, wed_9, "/tally week");
        r = fx_replies(&f);
        CHECK_CONTAINS(r, names[l]);
        CHECK_CONTAINS(r, l ? "20 积分" : "20 points");
        free(r);
        op(&f, wed_9, "/tally month");
        r = fx_replies(&f);
        CHECK_CONTAINS(r, l ? "本月（11-01 至今）" : "this month, 11-01 – today");
        CHECK_CONTAINS(r, l ? "30 积分" : "30 points");
        free(r);
        fx_close(&f);
    }
}

TEST(streak_keeper_mentions_members_at_risk)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    for (int d = 3; d >= 1; d--) {
        fx_say(&f, "g1", "keen", T0 - d * DAY, "/checkin");   /* streak 3, not today */
        fx_say(&f, "g1", "done", T0 - d * DAY, "/checkin");   /* streak 3, checks in today */
    }
    fx_say(&f, "g1", "short", T0 - 2 * DAY, "/checkin");     /* streak 2 */
    fx_say(&f, "g1", "short", T0 - DAY, "/checkin");
    fx_say(&f, "g1", "done", T0 + 3600, "/checkin");
    op(&f, T0, "/schedule streak 21:00");
    free(fx_replies(&f));
    char *r = run(&f, AT8 + 13 * 3600, AT8 + 13 * 3600, 1);
    CHECK_CONTAINS(r, "Streaks at risk: \xE2\x81\xA8@keen\xE2\x81\xA9(3)");
    CHECK(!strstr(r, "done") && !strstr(r, "short"));
    free(r);
    /* the next evening keen's streak is gone and done (4) is at risk */
    r = run(&f, AT8 + DAY + 13 * 3600, AT8 + DAY + 13 * 3600, 1);
    CHECK_CONTAINS(r, "Streaks at risk: \xE2\x81\xA8@done\xE2\x81\xA9(4)\n");
    free(r);
    /* the evening after, nobody is at risk: no post, but marked */
    r = run(&f, AT8 + 2 * DAY + 13 * 3600, AT8 + 2 * DAY + 13 * 3600, 1);
    CHECK_STR(r, "");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM fired"), 3);
    op(&f, AT8 + 2 * DAY + 14 * 3600, "/schedule test 1");
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "nothing to post right now");
    free(r);
    fx_close(&f);
}

TEST(test_posts_now_without_marking)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, T0 - 3600, "/schedule greet 08:00 Preview {weekday}");
    free(fx_replies(&f));
    op(&f, T0 - 1800, "/schedule test 1");
    op(&f, T0 - 1700, "/schedule test #1");
    char *r = fx_replies(&f);
    CHECK_INT(count_of(r, "Preview Monday"), 2);
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM fired"), 0);
    r = run(&f, AT8, AT8, 1);
    CHECK_INT(count_of(r, "Preview Monday"), 1);
    free(r);
    op(&f, T0, "/schedule off 1");
    free(fx_replies(&f));
    CHECK_INT(engine_next_due(f.e, AT8 + 1), fx_prune_due(&f));
    r = run(&f, AT8 + DAY, AT8 + DAY, 1);
    CHECK_STR(r, "");
    free(r);
    fx_close(&f);
}

TEST(config_defaults_apply_to_new_communities)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    engine_close(f.e);
    f.set.schedules[0] = (struct kb_schedule_default){"greet", "08:00", "weekdays", "Default hello"};
    f.set.schedules[1] = (struct kb_schedule_default){"bogus", "08:00", NULL, NULL};
    f.set.schedules[2] = (struct kb_schedule_default){"weekly", "09:00", "mon", NULL};
    f.set.n_schedules = 3;
    char err[128];
    CHECK_INT(engine_open(&f.set, &f.e, err, sizeof err), 0);
    fx_say(&f, "g1", "alice", T0 - 3600, "/me");
    fx_say(&f, "g2", "bob", T0 - 3600, "/me");
    free(fx_replies(&f));
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM schedules"), 4);
    char *r = run(&f, AT8, AT8 + 3600, MIN);
    CHECK_INT(count_of(r, "Default hello"), 2);
    CHECK_INT(count_of(r, "Weekly leaderboard"), 2);
    free(r);
    fx_close(&f);
}

TEST_MAIN(T(parsers), T(posts_go_to_every_group_unless_limited), T(unknown_template_variables_are_refused),
          T(every_documented_variable_expands), T(ambiguous_days_and_duplicates_are_refused),
          T(add_list_off_and_refusals), T(greeting_fires_once_a_day_stepping_through_days),
          T(created_after_todays_time_starts_tomorrow), T(weekday_filters_and_weekly),
          T(berlin_dst_spring_and_autumn), T(downtime_within_grace_posts_late_once),
          T(downtime_beyond_grace_skips_and_logs), T(restart_mid_day_never_repeats),
          T(quiet_hours_skip_posts), T(template_variables),
          T(weekly_leaderboard_on_monday_counts_the_week_that_ended), T(one_week_for_top_tally_and_the_weekly_post),
          T(streak_keeper_mentions_members_at_risk),
          T(test_posts_now_without_marking), T(config_defaults_apply_to_new_communities))
