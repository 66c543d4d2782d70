/* Growth camps: opening one, enrolment rules, each week's task, tutorial,
   reminder and progress exactly once (across ticks and a restart),
   graduation with its badge, certificate and pool invitation, a missing
   week, catching up after downtime. */
#include "../test.h"
#include "../support/fixture.h"

#include "../../core/camp.h"

static const int64_t T0 = 1795392000;    /* 2026-11-23 08:00 Asia/Shanghai */
static const int64_t START = 1795482000; /* 2026-11-24 09:00 */
static const int64_t WEEK = 7 * 86400;

/* The pending outbox as "[chat] text" rows joined by "\n---\n", marked
   sent, without the isolates around untrusted text. */
static char *out(struct fx *f)
{
    struct outbox_batch b;
    struct sbuf s = {0};
    if (engine_outbox_fetch(f->e, f->platform, INT64_MAX, 10000, &b))
        TEST_FAIL("outbox fetch: %s", engine_errmsg(f->e));
    for (size_t i = 0; i < b.n; i++) {
        if (i)
            sbuf_add(&s, "\n---\n");
        sbuf_addf(&s, "[%s] ", b.rows[i].chat_id);
        for (const char *p = b.rows[i].text; *p;)
            if (!strncmp(p, "\xE2\x81\xA8", 3) || !strncmp(p, "\xE2\x81\xA9", 3))
                p += 3;
            else
                sbuf_addc(&s, *p++);
        engine_outbox_done(f->e, b.rows[i].id, OUTBOX_SENT, NULL, 0, NULL, 0);
    }
    outbox_batch_free(&b);
    return s.s ? sbuf_take(&s) : xstrdup("");
}

static char *said(struct fx *f, const char *user, int64_t t, const char *text)
{
    if (fx_say(f, "g1", user, t, text))
        TEST_FAIL("apply %s: %s", text, engine_errmsg(f->e));
    return out(f);
}

static void say(struct fx *f, const char *user, int64_t t, const char *text)
{
    free(said(f, user, t, text));
}

/* user writes to the bot in a private chat "dm-<user>" */
static void dm(struct fx *f, const char *user, int64_t t, const char *text)
{
    char chat[32], id[32];
    snprintf(chat, sizeof chat, "dm-%s", user);
    snprintf(id, sizeof id, "%d", ++f->next_msg);
    struct kb_event ev = {.kind = KB_EV_MESSAGE, .platform = f->platform, .chat_id = chat,
                          .chat_type = KB_CHAT_PRIVATE, .user_id = user, .user_name = user, .user_handle = user,
                          .message_id = id, .time = t, .text = text, .bot_username = "kocbot"};
    if (engine_apply(f->e, &ev, 1, NULL, NULL, t))
        TEST_FAIL("dm: %s", engine_errmsg(f->e));
    free(out(f));
}

static char *ticked(struct fx *f, int64_t t)
{
    if (engine_tick(f->e, t))
        TEST_FAIL("tick: %s", engine_errmsg(f->e));
    return out(f);
}

/* A two-week camp (both weeks required, pool 摄影师, 20 points a week)
   with ann (reachable privately) and ben enrolled. */
static void open_camp(struct fx *f, const char *extra)
{
    fx_open(f, NULL, "en");
    say(f, "op", T0, "/pool new 摄影师");
    char cmd[300];
    snprintf(cmd, sizeof cmd, "/camp new Phone photo camp --weeks 2 --start 2026-11-24 --pool 摄影师 --points 20%s",
             extra);
    say(f, "op", T0, cmd);
    say(f, "op", T0, "/camp week 1 1 --theme Composition --tutorial Rule of thirds https://example.com/c --task Three street photos");
    say(f, "op", T0, "/camp week 1 2 --theme Light --tutorial Backlight https://example.com/l --task One backlit portrait");
    dm(f, "ann", T0, "/start");
    say(f, "ann", T0 + 1, "/camp join 1");
    say(f, "ben", T0 + 2, "/camp join 1");
}

static void hand_in(struct fx *f, const char *user, int64_t task, int64_t t)
{
    char cmd[80];
    snprintf(cmd, sizeof cmd, "/claim %lld", (long long)task);
    say(f, user, t, cmd);
    snprintf(cmd, sizeof cmd, "/submit %lld my work for %lld", (long long)task, (long long)task);
    say(f, user, t + 1, cmd);
}

static void approve_last(struct fx *f, int64_t t)
{
    char cmd[40];
    snprintf(cmd, sizeof cmd, "/approve %lld", (long long)fx_i64(f, "SELECT max(id) FROM submissions"));
    say(f, "op", t, cmd);
}

TEST(opening_a_camp_checks_every_field)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    static const char *const bad[] = {
        "/camp new X --weeks 0 --start 2026-11-24", "/camp new X --weeks 2 --start 2026-11-01",
        "/camp new X --weeks 2", "/camp new --weeks 2 --start 2026-11-24",
        "/camp new X --weeks 2 --start 2026-11-24 --required 3", "/camp new X --weeks 2 --start 2026-11-24 --level 2 --invite",
        "/camp new X --weeks 2 --start 2026-11-24 --colour red", "/camp new X --weeks 2 --start 2026-11-24 --pool nope",
        "/camp new X --weeks 2 --start 2026-11-24 --level 99"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *r = said(&f, "op", T0, bad[i]);
        CHECK(strstr(r, "created") == NULL);
        CHECK(r[0] != '\0');
        free(r);
    }
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM camps"), 0);
    char *r = said(&f, "op", T0, "/camp new 手机摄影训练营 --weeks 4 --start 2026-11-24 --required 3 --cap 30");
    CHECK_CONTAINS(r, "Camp #1");
    CHECK_CONTAINS(r, "starting 2026-11-24 09:00");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT starts_at FROM camps"), START);
    r = said(&f, "op", T0, "/camp week 1 5 --theme a --tutorial b --task c");
    CHECK_CONTAINS(r, "There is no week 5");
    free(r);
    r = said(&f, "op", T0, "/camp week 1 1 --theme a --tutorial b");
    CHECK_CONTAINS(r, "The task field is wrong");
    free(r);
    r = said(&f, "op", T0, "/camp invite 1");
    CHECK_CONTAINS(r, "Usage: /camp new");
    free(r);
    r = said(&f, "ann", T0, "/camp join");
    CHECK_CONTAINS(r, "Usage: /camp (my camps)");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM camp_weeks"), 0);
    fx_close(&f);
}

TEST(enrolment_open_by_level_by_invitation_and_capped)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    say(&f, "op", T0, "/camp new Open --weeks 1 --start 2026-11-24 --cap 1");
    say(&f, "op", T0, "/camp new Levels --weeks 1 --start 2026-11-24 --level 2");
    say(&f, "op", T0, "/camp new Invited --weeks 1 --start 2026-11-24 --invite");
    say(&f, "ann", T0, "/camp join 1");
    char *r = said(&f, "ben", T0, "/camp join 1");
    CHECK_CONTAINS(r, "is full (at most 1)");
    free(r);
    r = said(&f, "ann", T0, "/camp join 1");
    CHECK_CONTAINS(r, "already in");
    free(r);
    r = said(&f, "ben", T0, "/camp join 2");
    CHECK_CONTAINS(r, "open from level 2");
    free(r);
    say(&f, "op", T0, "/level set 2 @ben");
    r = said(&f, "ben", T0, "/camp join 2");
    CHECK_CONTAINS(r, "enrolled");
    free(r);
    r = said(&f, "ben", T0, "/camp join 3");
    CHECK_CONTAINS(r, "by invitation only");
    free(r);
    r = said(&f, "op", T0, "/camp invite 3 @ben @ghost");
    CHECK_CONTAINS(r, "Invited to “Invited”: ben");
    CHECK_CONTAINS(r, "Members I don't know: @ghost");
    free(r);
    r = said(&f, "ben", T0, "/camp join 3");
    CHECK_CONTAINS(r, "enrolled");
    free(r);
    r = said(&f, "ben", T0, "/camp join 9");
    CHECK_CONTAINS(r, "There is no camp 9");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM camp_members WHERE state = 'enrolled'"), 3);
    fx_close(&f);
}

/* Enrolment by tag: the persona a quiz gave, or an operator's label. */
TEST(enrolment_by_tag)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    say(&f, "ann", T0, "/me");
    say(&f, "ben", T0, "/me");
    say(&f, "op", T0, "/tag add weekend_explorer @ann");
    char *r = said(&f, "op", T0, "/camp new Offroad --weeks 1 --start 2026-11-24 --tag weekend_explorer --level 2");
    CHECK_CONTAINS(r, "tag"); /* one rule at a time: refused */
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM camps"), 0);
    say(&f, "op", T0, "/camp new Offroad --weeks 1 --start 2026-11-24 --tag weekend_explorer");
    r = said(&f, "ben", T0, "/camp join 1");
    CHECK_CONTAINS(r, "open to members tagged");
    free(r);
    r = said(&f, "ann", T0, "/camp join 1");
    CHECK_CONTAINS(r, "enrolled");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM camp_members WHERE state = 'enrolled'"), 1);
    fx_close(&f);
}

TEST(each_week_starts_once_with_task_tutorial_and_post)
{
    struct fx f;
    open_camp(&f, "");
    CHECK_INT(camp_module.next_due(f.e, T0), START);
    char *r = ticked(&f, START - 1);
    CHECK_STR(r, "");
    free(r);
    r = ticked(&f, START);
    /* ann privately, ben in the group with the note, the week's post */
    CHECK_CONTAINS(r, "[dm-ann] 📚 <b>Phone photo camp</b> week 1/2: Composition\nRule of thirds https://example.com/c");
    CHECK_CONTAINS(r, "assignment (task #1): Three street photos\nDue 2026-12-01 08:59");
    CHECK_CONTAINS(r, "[g1] 📚");
    CHECK_CONTAINS(r, "@ben, I can't message you privately");
    CHECK_CONTAINS(r, "[g1] 📣 “Phone photo camp” week 1 begins: Composition. The tutorial went to 2 members");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM tasks WHERE access = 'invite' AND deadline = 1796086740"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM task_invites WHERE task_id = 1"), 2);
    fx_reopen(&f);
    r = ticked(&f, START + 60);
    CHECK_STR(r, "");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM tasks"), 1);
    /* content of a started week is fixed; a member who joins now gets its task */
    r = said(&f, "op", START + 100, "/camp week 1 1 --theme x --tutorial y --task z");
    CHECK_CONTAINS(r, "Week 1 has started");
    free(r);
    r = said(&f, "cat", START + 100, "/camp join 1");
    CHECK_CONTAINS(r, "this week's assignment is task #1");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM task_invites WHERE task_id = 1"), 3);
    fx_close(&f);
}

TEST(reminder_goes_once_to_those_who_have_not_claimed)
{
    struct fx f;
    open_camp(&f, "");
    say(&f, "cat", T0 + 3, "/camp join 1");
    free(ticked(&f, START));
    hand_in(&f, "ann", 1, START + 3600);
    say(&f, "cat", START + 3600, "/claim 1"); /* the task's own reminder is hers */
    int64_t remind = START + WEEK - 60 - 86400;
    CHECK_INT(camp_module.next_due(f.e, START + 7200), remind);
    char *r = ticked(&f, remind);
    CHECK_CONTAINS(r, "@ben, I can't message");
    CHECK_CONTAINS(r, "is due 2026-12-01 08:59 and you haven't handed it in");
    CHECK(strstr(r, "dm-ann") == NULL);
    CHECK_CONTAINS(r, "@cat: task #1");
    CHECK(strstr(r, "@ben @cat") == NULL);
    free(r);
    r = ticked(&f, remind + 60);
    CHECK_STR(r, "");
    free(r);
    fx_close(&f);
}

TEST(progress_is_posted_at_each_deadline_and_the_end)
{
    struct fx f;
    open_camp(&f, "");
    free(ticked(&f, START));
    hand_in(&f, "ann", 1, START + 3600);
    approve_last(&f, START + 7200);
    free(ticked(&f, START + WEEK - 60 - 86400));
    char *r = ticked(&f, START + WEEK - 60);
    CHECK_CONTAINS(r, "[g1] 📊 “Phone photo camp” week 1/2: 1 of 2 handed in, 1 approved; graduates so far: 0.");
    CHECK(strstr(r, "week 2 begins") == NULL);
    free(r);
    r = ticked(&f, START + WEEK);
    CHECK_CONTAINS(r, "week 2 begins: Light");
    free(r);
    r = ticked(&f, START + 2 * WEEK);
    CHECK_CONTAINS(r, "week 2/2: 0 of 2 handed in");
    CHECK_CONTAINS(r, "The camp is over! Graduates (at least 2 weeks approved): 0");
    free(r);
    CHECK_INT(camp_module.next_due(f.e, START + 2 * WEEK), -1);
    fx_close(&f);
}

TEST(graduation_once_with_badge_certificate_and_pool)
{
    struct fx f;
    open_camp(&f, "");
    free(ticked(&f, START));
    hand_in(&f, "ann", 1, START + 3600);
    approve_last(&f, START + 7200);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM camp_members WHERE graduated_at IS NOT NULL"), 0);
    free(ticked(&f, START + WEEK));
    hand_in(&f, "ann", 2, START + WEEK + 3600);
    if (fx_say(&f, "g1", "op", START + WEEK + 7200, "/approve 2"))
        TEST_FAIL("approve");
    char *r = out(&f);
    CHECK_CONTAINS(r, "🎓 <b>Certificate</b>\nann completed “Phone photo camp” (2026-11-24 to 2026-12-08), 2/2 weeks approved,"
                      " and earns the badge <b>Phone photo camp graduate</b>. Work:\n  week 1 Composition: my work for 1\n"
                      "  week 2 Light: my work for 2");
    CHECK_CONTAINS(r, "[dm-ann] 🌟 ann, congratulations! You are invited to the 摄影师 talent pool: send /camp pool 1");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE kind = 'badge' AND reason = 'camp'"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM audit WHERE action = 'camp.graduate'"), 1);
    /* later standing changes graduate nobody again */
    say(&f, "ann", START + WEEK + 8000, "/checkin");
    say(&f, "op", START + WEEK + 8000, "/grant points 5 @ann well done");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE kind = 'badge' AND reason = 'camp'"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM audit WHERE action = 'camp.graduate'"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE text LIKE '%Certificate%'"), 1);
    r = said(&f, "ben", START + WEEK + 8000, "/camp pool 1");
    CHECK_CONTAINS(r, "has no talent pool invitation for you");
    free(r);
    r = said(&f, "ann", START + WEEK + 8000, "/camp pool 1");
    CHECK_CONTAINS(r, "welcome to the 摄影师 talent pool");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM pool_members"), 1);
    r = said(&f, "op", START + WEEK + 8000, "/camp roster 1");
    CHECK_CONTAINS(r, "ann: 2/2 weeks 🎓");
    CHECK_CONTAINS(r, "ben: 0/2 weeks");
    free(r);
    r = said(&f, "ann", START + WEEK + 8000, "/me");
    CHECK_CONTAINS(r, "Graduated from the camp “Phone photo camp”");
    free(r);
    fx_close(&f);
}

TEST(required_weeks_below_the_total)
{
    struct fx f;
    open_camp(&f, " --required 1 --badge 结业");
    free(ticked(&f, START));
    hand_in(&f, "ben", 1, START + 3600);
    approve_last(&f, START + 7200);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM camp_members WHERE graduated_at IS NOT NULL"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE kind = 'badge' AND unit = '结业'"), 1);
    char *r = said(&f, "ben", START + 8000, "/camp");
    CHECK_CONTAINS(r, "🎓 graduated (1/2 weeks approved)");
    free(r);
    fx_close(&f);
}

TEST(a_week_without_content_warns_and_creates_no_task)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    say(&f, "op", T0, "/camp new Empty --weeks 1 --start 2026-11-24");
    say(&f, "ann", T0, "/camp join 1");
    char *r = ticked(&f, START);
    CHECK_CONTAINS(r, "Week 1 of the camp “Empty” has come but has no content");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM tasks"), 0);
    r = ticked(&f, START + WEEK - 60);
    CHECK_CONTAINS(r, "week 1/1: 0 of 1 handed in");
    free(r);
    fx_close(&f);
}

TEST(downtime_catches_up_in_order_without_stale_reminders)
{
    struct fx f;
    open_camp(&f, "");
    /* the bot was down from before the start until week 2 had begun */
    char *r = ticked(&f, START + WEEK + 3600);
    const char *p1 = strstr(r, "week 1/2: 0 of 2"), *w2 = strstr(r, "week 2 begins");
    CHECK(p1 && w2 && p1 < w2);
    /* week 1 ended unseen: no tutorial, task or reminder for it */
    CHECK(strstr(r, "week 1 begins") == NULL);
    CHECK(strstr(r, "haven't handed it in") == NULL);
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM tasks"), 1);
    CHECK_INT(fx_i64(&f, "SELECT started || reminded || summarised FROM camps"), 211);
    fx_close(&f);
}

TEST_MAIN(T(opening_a_camp_checks_every_field), T(enrolment_open_by_level_by_invitation_and_capped), T(enrolment_by_tag),
          T(each_week_starts_once_with_task_tutorial_and_post), T(reminder_goes_once_to_those_who_have_not_claimed),
          T(progress_is_posted_at_each_deadline_and_the_end), T(graduation_once_with_badge_certificate_and_pool),
          T(required_weeks_below_the_total), T(a_week_without_content_warns_and_creates_no_task),
          T(downtime_catches_up_in_order_without_stale_reminders))
