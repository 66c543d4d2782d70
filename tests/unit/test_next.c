/* /next: one test per suggestion rule (stage, tier fit, eligibility, pins,
   order by deadline and reward, the check-in's place, the why lines). */
#include "../test.h"
#include "../support/fixture.h"

#include "../../core/next.h"
#include "../../core/who.h"

#define DAY 86400
static const int64_t T0 = 1795392000; /* 2026-11-23 08:00 Asia/Shanghai, a Monday */

static int64_t member(struct fx *f, const char *user)
{
    int64_t id = 0;
    char handle[64];
    snprintf(handle, sizeof handle, "@%s", user);
    if (member_find(f->e, 1, handle, &id))
        TEST_FAIL("no member %s", user);
    return id;
}

static void say(struct fx *f, const char *user, const char *text)
{
    if (fx_say(f, "g", user, T0, text))
        TEST_FAIL("%s: %s failed", user, text);
    free(fx_replies(f));
}

/* The suggestions for user as text (en), up to max. */
static char *suggest(struct fx *f, const char *user, size_t max, size_t *n)
{
    struct sbuf b = {0};
    struct community comm;
    if (community_load(f->e, 1, &comm))
        TEST_FAIL("no community 1");
    if (next_suggest(f->e, &comm, member(f, user), T0 + 60, "en", max, 0, &b, n))
        TEST_FAIL("next_suggest failed");
    char *r = sbuf_take(&b), *w = r; /* without the bidi isolates around user text */
    for (const char *p = r; *p;) {
        if (strncmp(p, "\xE2\x81\xA8", 3) == 0 || strncmp(p, "\xE2\x81\xA9", 3) == 0) {
            p += 3;
            continue;
        }
        *w++ = *p++;
    }
    *w = '\0';
    return r;
}

static enum next_stage stage_of(struct fx *f, const char *user)
{
    enum next_stage s = STAGE_ACTIVE;
    if (next_stage(f->e, member(f, user), &s))
        TEST_FAIL("next_stage failed");
    return s;
}

/* one task per tier, all open to everyone */
static void four_tiers(struct fx *f)
{
    say(f, "op", "/task new basic Steering wheel --reward points 5 --deadline 5d");
    say(f, "op", "/task new explore Bug hunt --reward points 20 --deadline 6d --level 1");
    say(f, "op", "/pool new photo");
    say(f, "op", "/task new precision Road trip --reward cash 200 --pools photo --deadline 7d");
    say(f, "op", "/task new cobuild Live host --reward points 50 --level 4 --deadline 8d");
}

static void open_fx(struct fx *f)
{
    fx_open(f, "Asia/Shanghai", "en");
    say(f, "alice", "/me");
    say(f, "bob", "/me");
    say(f, "carol", "/me");
    say(f, "dave", "/me");
}

TEST(stages_follow_level_pool_and_checkins)
{
    struct fx f;
    open_fx(&f);
    say(&f, "op", "/pool new photo");
    say(&f, "op", "/pool add photo @bob");
    say(&f, "op", "/level set 4 @carol");
    say(&f, "op", "/level set 2 @dave");
    CHECK_INT(stage_of(&f, "alice"), STAGE_NEWCOMER);
    CHECK_INT(stage_of(&f, "bob"), STAGE_POOL);
    CHECK_INT(stage_of(&f, "carol"), STAGE_TOP);
    CHECK_INT(stage_of(&f, "dave"), STAGE_ACTIVE);
    fx_close(&f);
}

TEST(tier_fit_per_stage)
{
    CHECK_INT(next_tier_fit(STAGE_NEWCOMER, "basic"), 0);
    CHECK_INT(next_tier_fit(STAGE_ACTIVE, "explore"), 0);
    CHECK_INT(next_tier_fit(STAGE_POOL, "precision"), 0);
    CHECK_INT(next_tier_fit(STAGE_TOP, "cobuild"), 0);
    CHECK(next_tier_fit(STAGE_NEWCOMER, "cobuild") > next_tier_fit(STAGE_NEWCOMER, "explore"));
    CHECK(next_tier_fit(STAGE_TOP, "basic") > next_tier_fit(STAGE_TOP, "precision"));
}

TEST(newcomer_gets_checkin_then_foundation_first)
{
    struct fx f;
    open_fx(&f);
    four_tiers(&f);
    size_t n;
    char *r = suggest(&f, "alice", 3, &n);
    CHECK_INT(n, 3);
    const char *checkin = strstr(r, "1. ✅ Check in"), *basic = strstr(r, "2. [Foundation] #1");
    const char *explore = strstr(r, "3. [Exploration] #2");
    if (!checkin || !basic || !explore)
        TEST_FAIL("order: %s", r);
    CHECK_CONTAINS(r, "7 more check-ins to reach L2");
    CHECK(!strstr(r, "Road trip")); /* not in the pool */
    CHECK(!strstr(r, "Live host")); /* level 4 only */
    free(r);
    fx_close(&f);
}

TEST(pool_member_gets_commission_first_and_checkin_last)
{
    struct fx f;
    open_fx(&f);
    four_tiers(&f);
    say(&f, "op", "/pool add photo @bob");
    size_t n;
    char *r = suggest(&f, "bob", 3, &n);
    CHECK_INT(n, 3);
    if (!strstr(r, "1. [Precision] #3 Road trip"))
        TEST_FAIL("commission first: %s", r);
    CHECK_CONTAINS(r, "a commission for talent-pool members");
    CHECK(!strstr(r, "Check in")); /* three tasks fill the list before it */
    free(r);
    fx_close(&f);
}

TEST(top_member_gets_cobuilding_first)
{
    struct fx f;
    open_fx(&f);
    four_tiers(&f);
    say(&f, "op", "/level set 4 @carol");
    size_t n;
    char *r = suggest(&f, "carol", 3, &n);
    if (!strstr(r, "1. [Co-building] #4 Live host"))
        TEST_FAIL("co-building first: %s", r);
    CHECK_CONTAINS(r, "co-building: work with the brand itself");
    free(r);
    fx_close(&f);
}

TEST(claimed_full_closed_and_past_tasks_are_left_out)
{
    struct fx f;
    open_fx(&f);
    say(&f, "op", "/task new basic Claimed --deadline 5d");
    say(&f, "op", "/task new basic Full --quota 1 --deadline 5d");
    say(&f, "op", "/task new basic Closed --deadline 5d");
    say(&f, "op", "/task new basic Short --deadline 1m");
    say(&f, "op", "/task new basic Open one --deadline 5d");
    say(&f, "alice", "/claim 1");
    say(&f, "bob", "/claim 2");
    say(&f, "op", "/task close 3");
    size_t n;
    char *r = suggest(&f, "alice", 3, &n); /* at T0 + 60 s "Short" has passed */
    CHECK(!strstr(r, "Claimed"));
    CHECK(!strstr(r, "Full"));
    CHECK(!strstr(r, "#3"));
    CHECK(!strstr(r, "Short"));
    CHECK_CONTAINS(r, "Open one");
    free(r);
    fx_close(&f);
}

TEST(sooner_deadline_then_bigger_reward_first)
{
    struct fx f;
    open_fx(&f);
    say(&f, "alice", "/checkin");
    say(&f, "op", "/task new basic Late small --reward points 5 --deadline 9d");
    say(&f, "op", "/task new basic Soon --reward points 5 --deadline 2d");
    say(&f, "op", "/task new basic Late big --reward points 50 --deadline 9d");
    size_t n;
    char *r = suggest(&f, "alice", 3, &n);
    const char *soon = strstr(r, "Soon"), *big = strstr(r, "Late big"), *small = strstr(r, "Late small");
    if (!soon || !big || !small || !(soon < big && big < small))
        TEST_FAIL("order: %s", r);
    free(r);
    fx_close(&f);
}

TEST(a_pinned_task_leads_with_its_reason)
{
    struct fx f;
    open_fx(&f);
    four_tiers(&f);
    say(&f, "op", "/next pin 2");
    size_t n;
    char *r = suggest(&f, "alice", 3, &n);
    if (!strstr(r, "1. [Exploration] #2 Bug hunt"))
        TEST_FAIL("pinned first: %s", r);
    CHECK_CONTAINS(r, "recommended by the team");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM audit WHERE action = 'next.pin'"), 1);
    /* a member cannot pin: nothing changes */
    CHECK_INT(fx_say(&f, "g", "alice", T0, "/next unpin 2"), 0);
    free(fx_replies(&f));
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM next_pins"), 1);
    say(&f, "op", "/next unpin 2");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM next_pins"), 0);
    fx_close(&f);
}

TEST(why_names_the_level_shortfall_once)
{
    struct fx f;
    open_fx(&f);
    say(&f, "alice", "/checkin");
    say(&f, "op", "/task new basic A --reward points 5 --deadline 5d");
    say(&f, "op", "/task new basic B --reward points 5 --deadline 6d");
    size_t n;
    char *r = suggest(&f, "alice", 3, &n);
    CHECK_INT(n, 2);
    CHECK_CONTAINS(r, "90 points short of L2 Active; this one pays 5");
    CHECK_CONTAINS(r, "a good first step for newcomers");
    free(r);
    /* one suggestion, not numbered (as /me shows it) */
    r = suggest(&f, "alice", 1, &n);
    CHECK_INT(n, 1);
    if (strncmp(r, "[Foundation] #1 A", strlen("[Foundation] #1 A")) != 0)
        TEST_FAIL("unnumbered: %s", r);
    free(r);
    fx_close(&f);
}

/* Newcomers are offered the quiz they have not taken (not again once
   taken); active members a camp they may join (not once enrolled). */
TEST(newcomers_get_the_quiz_and_active_members_a_camp)
{
    struct fx f;
    open_fx(&f);
    say(&f, "op", "/quiz new Which driver are you?\npersona City | in town\npersona Hills | off road\n"
                  "q Weekend?\n- mall = City\n- mountain = Hills");
    say(&f, "op", "/camp new Photo camp --weeks 4 --start 2026-11-30");
    size_t n;
    char *r = suggest(&f, "alice", 3, &n);
    if (!strstr(r, "1. ✅ Check in") || !strstr(r, "2. 🧩 Take the quiz “Which driver are you?” · /quiz 1"))
        TEST_FAIL("newcomer: %s", r);
    CHECK(!strstr(r, "2. 🏕")); /* the camp comes after the quiz for newcomers */
    free(r);
    say(&f, "alice", "/quiz 1");
    say(&f, "alice", "A");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM quiz_results"), 1);
    r = suggest(&f, "alice", 3, &n);
    CHECK(!strstr(r, "quiz"));
    free(r);
    say(&f, "op", "/level set 2 @dave");
    r = suggest(&f, "dave", 3, &n);
    if (!strstr(r, "2. 🏕 Growth camp “Photo camp” · /camp join 1") || !strstr(r, "4 weeks, with a certificate"))
        TEST_FAIL("active: %s", r);
    free(r);
    say(&f, "dave", "/camp join 1");
    r = suggest(&f, "dave", 3, &n);
    CHECK(!strstr(r, "camp"));
    free(r);
    fx_close(&f);
}

TEST(nothing_to_suggest_after_checking_in)
{
    struct fx f;
    open_fx(&f);
    say(&f, "alice", "/checkin");
    size_t n = 9;
    char *r = suggest(&f, "alice", 3, &n);
    CHECK_INT(n, 0);
    CHECK_STR(r, "");
    free(r);
    fx_close(&f);
}

TEST_MAIN(T(stages_follow_level_pool_and_checkins), T(tier_fit_per_stage),
          T(newcomer_gets_checkin_then_foundation_first), T(pool_member_gets_commission_first_and_checkin_last),
          T(top_member_gets_cobuilding_first), T(claimed_full_closed_and_past_tasks_are_left_out),
          T(sooner_deadline_then_bigger_reward_first), T(a_pinned_task_leads_with_its_reason),
          T(why_names_the_level_shortfall_once), T(newcomers_get_the_quiz_and_active_members_a_camp),
          T(nothing_to_suggest_after_checking_in))
