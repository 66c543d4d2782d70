/* The weekly personal summary: its text, who gets it, the pace of the run,
   and exactly once across a restart in the middle. */
#include "../test.h"
#include "../support/fixture.h"

#include "../../core/engine.h"
#include "../../core/summary.h"
#include "../../core/who.h"

#define DAY 86400
static const int64_t T0 = 1795392000;  /* Monday 2026-11-23 08:00 Asia/Shanghai */
static const int64_t SUNDAY_20 = 1795392000 + 6 * DAY + 12 * 3600; /* 2026-11-29 20:00, the default hour */

/* user says text in their private chat with the bot (which records the chat) */
static void say_private(struct fx *f, const char *user, int64_t t, const char *text)
{
    char msg_id[32];
    snprintf(msg_id, sizeof msg_id, "p%d", ++f->next_msg);
    char chat[64];
    snprintf(chat, sizeof chat, "dm-%s", user);
    struct kb_event ev = {.kind = KB_EV_MESSAGE, .platform = f->platform, .chat_id = chat,
                          .chat_type = KB_CHAT_PRIVATE, .user_id = user, .user_name = user,
                          .user_handle = user, .message_id = msg_id, .time = t, .text = text,
                          .bot_username = "kocbot"};
    if (engine_apply(f->e, &ev, 1, NULL, NULL, t))
        TEST_FAIL("private message failed");
}

static void say(struct fx *f, const char *user, int64_t t, const char *text)
{
    if (fx_say(f, "g", user, t, text))
        TEST_FAIL("%s: %s failed", user, text);
}

/* n members u1..un who checked in in the group and talked to the bot privately */
static void members(struct fx *f, int n)
{
    char user[16];
    for (int i = 1; i <= n; i++) {
        snprintf(user, sizeof user, "u%d", i);
        say(f, user, T0 + i, "/checkin");
        say_private(f, user, T0 + i, "/me");
    }
    free(fx_replies(f));
}

static int64_t summaries(struct fx *f)
{
    return fx_i64(f, "SELECT count(*) FROM outbox WHERE ref LIKE 'bulk:summary:%'");
}

static int64_t distinct_summaries(struct fx *f)
{
    return fx_i64(f, "SELECT count(DISTINCT chat_id) FROM outbox WHERE ref LIKE 'bulk:summary:%'");
}

/* tick the engine at each due instant up to `until`, sending what it queued */
static void run_until(struct fx *f, int64_t from, int64_t until)
{
    for (int64_t now = from; now <= until;) {
        if (engine_tick(f->e, now))
            TEST_FAIL("tick failed at %lld", (long long)now);
        free(fx_replies(f));
        int64_t due = engine_next_due(f->e, now);
        if (due < 0 || due > until)
            break;
        now = due > now ? due : now + 1;
    }
}

TEST(the_text_tells_the_week)
{
    struct fx f;
    fx_open(&f, "Asia/Shanghai", "en");
    say(&f, "alice", T0, "/checkin");
    say(&f, "bob", T0, "/checkin");
    say(&f, "bob", T0 + DAY, "/checkin");
    say(&f, "op", T0, "/grant badge Bug_hunter @alice");
    say(&f, "op", T0, "/task new basic Wheel photo --reward points 5 --deadline 5d");
    say(&f, "alice", T0 + 60, "/me");
    char *r = fx_replies(&f);
    free(r);
    int64_t alice = 0;
    CHECK_INT(member_find(f.e, 1, "alice", &alice), 0);
    struct community comm;
    CHECK_INT(community_load(f.e, 1, &comm), 0);
    struct sbuf b = {0};
    CHECK_INT(summary_render(f.e, &comm, alice, T0 + 2 * DAY, "en", &b), 0);
    CHECK_CONTAINS(b.s, "your week");
    CHECK_CONTAINS(b.s, "Checked in 1 day · streak 0"); /* missed Tuesday: the streak is broken */
    CHECK_CONTAINS(b.s, "+10 points this week · #2 (not on last week's board)");
    CHECK_CONTAINS(b.s, "Tasks done: 0 · waiting for review: 0");
    CHECK_CONTAINS(b.s, "To reach L2");
    CHECK_CONTAINS(b.s, "badge");
    CHECK_CONTAINS(b.s, "Up next: ✅ Check in"); /* the next suggestion: today's check-in first */
    CHECK_CONTAINS(b.s, "/summary off");
    sbuf_free(&b);
    fx_close(&f);
}

TEST(who_gets_one)
{
    struct fx f;
    fx_open(&f, "Asia/Shanghai", "en");
    members(&f, 5);
    say(&f, "grouponly", T0, "/checkin");                /* no private chat: no message */
    say_private(&f, "u2", T0 + 100, "/summary off");     /* opted out */
    say(&f, "old", T0 - 40 * DAY, "/checkin");           /* not seen for 40 days */
    say_private(&f, "old", T0 - 40 * DAY, "/me");
    free(fx_replies(&f));
    run_until(&f, SUNDAY_20 - 60, SUNDAY_20 + 3600);
    CHECK_INT(summaries(&f), 4);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE ref LIKE 'bulk:summary:%' AND chat_id = 'dm-u2'"), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE ref LIKE 'bulk:summary:%' AND chat_id = 'dm-old'"), 0);
    /* a week later, the next run: one more each */
    run_until(&f, SUNDAY_20 + 3600, SUNDAY_20 + 7 * DAY + 3600);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE ref LIKE 'bulk:summary:'"
                         " || (SELECT max(week) FROM summary_runs) || ':%'"), 4);
    fx_close(&f);
}

TEST(the_run_is_paced_and_exactly_once_across_a_restart)
{
    struct fx f;
    fx_open(&f, "Asia/Shanghai", "en");
    f.set.summary_per_second = 7;
    fx_reopen(&f);
    members(&f, 50);
    CHECK_INT(engine_next_due(f.e, SUNDAY_20 - 3600) <= SUNDAY_20, 1);
    CHECK_INT(engine_tick(f.e, SUNDAY_20), 0);
    CHECK_INT(summaries(&f), 7); /* one second's worth */
    CHECK_INT(engine_next_due(f.e, SUNDAY_20), SUNDAY_20 + 1);
    CHECK_INT(engine_tick(f.e, SUNDAY_20 + 1), 0);
    CHECK_INT(summaries(&f), 14);
    /* unsent, the run stops at four seconds' worth waiting */
    CHECK_INT(engine_tick(f.e, SUNDAY_20 + 2), 0);
    CHECK_INT(engine_tick(f.e, SUNDAY_20 + 3), 0);
    CHECK_INT(engine_tick(f.e, SUNDAY_20 + 4), 0);
    CHECK_INT(summaries(&f), 28);
    fx_reopen(&f); /* the process dies and starts again: the cursor committed with the rows */
    run_until(&f, SUNDAY_20 + 5, SUNDAY_20 + 600);
    CHECK_INT(summaries(&f), 50);
    CHECK_INT(distinct_summaries(&f), 50);
    /* the week is done: nothing more until next Sunday */
    run_until(&f, SUNDAY_20 + 600, SUNDAY_20 + DAY);
    CHECK_INT(summaries(&f), 50);
    fx_close(&f);
}

TEST(a_run_missed_by_a_long_downtime_waits_for_next_week)
{
    struct fx f;
    fx_open(&f, "Asia/Shanghai", "en");
    members(&f, 3);
    run_until(&f, SUNDAY_20 + 13 * 3600, SUNDAY_20 + 14 * 3600);
    CHECK_INT(summaries(&f), 0);
    fx_close(&f);
}

TEST(operators_set_the_hour_or_turn_it_off)
{
    struct fx f;
    fx_open(&f, "Asia/Shanghai", "zh-CN");
    members(&f, 3);
    say(&f, "op", T0, "/summary at 周五 晚上8点");
    char *r = fx_replies(&f);
    CHECK_CONTAINS(r, "每周五 20:00");
    free(r);
    int64_t friday_20 = T0 + 4 * DAY + 12 * 3600;
    run_until(&f, friday_20 - 60, friday_20 + 60);
    CHECK_INT(summaries(&f), 3);
    say(&f, "op", T0, "/summary disable");
    free(fx_replies(&f)); /* (delivered rows are pruned after a week: count the runs) */
    run_until(&f, friday_20 + 60, friday_20 + 8 * DAY);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM summary_runs"), 1);
    fx_close(&f);
}

TEST_MAIN(T(the_text_tells_the_week), T(who_gets_one), T(the_run_is_paced_and_exactly_once_across_a_restart),
          T(a_run_missed_by_a_long_downtime_waits_for_next_week), T(operators_set_the_hour_or_turn_it_off))
