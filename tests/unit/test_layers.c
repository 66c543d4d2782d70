/* Layering: levels and promotions, progress, task tiers, pools, grants and
   revocations, leaderboards across local midnights, /stats, /why. */
#include "../test.h"
#include "../support/fixture.h"

#include "../../core/ledger.h"
#include "../../core/standing.h"
#include "../../core/top.h"
#include "../../core/tz.h"
#include "../../core/who.h"

#define DAY 86400
static const int64_t T0 = 1795392000; /* 2026-11-23 08:00 Asia/Shanghai, a Monday */

/* The outbox as text without the bidi isolates around user text. */
static char *replies(struct fx *f)
{
    char *r = fx_replies(f);
    char *w = r;
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

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static int64_t member_id(struct fx *f, const char *user)
{
    int64_t id = 0;
    if (member_find(f->e, 1, user, &id))
        TEST_FAIL("no member %s", user);
    return id;
}

static int level_of(struct fx *f, const char *user)
{
    int level = 0;
    if (standing_level(f->e, member_id(f, user), &level))
        TEST_FAIL("standing_level");
    return level;
}

/* Check in on days [from, to) at 08:00 local. */
static void checkin_days(struct fx *f, const char *user, int from, int to)
{
    for (int d = from; d < to; d++)
        if (fx_say(f, "g1", user, T0 + d * DAY, "/checkin"))
            TEST_FAIL("checkin");
}

static int complete_task(struct fx *f, const char *user, const char *ref, const char *tier, int64_t t)
{
    int rc = store_begin(f->e->st);
    if (!rc)
        rc = standing_task_completed(f->e, 1, member_id(f, user), ref, tier, t);
    if (!rc)
        rc = store_commit(f->e->st);
    return rc;
}

TEST(promotion_at_the_threshold_announced_once)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    checkin_days(&f, "alice", 0, 6);                  /* 10..15 = 75 points, 6 days */
    fx_say(&f, "g1", "op", T0 + 6 * DAY - 60, "/grant points 20 @alice meetup");
    CHECK_INT(level_of(&f, "alice"), 1);              /* 95 points, 6 days */
    char *r = replies(&f);
    CHECK_INT(count_of(r, "is now"), 0);
    free(r);
    checkin_days(&f, "alice", 6, 7);                  /* +16: 111 points, 7 days */
    CHECK_INT(level_of(&f, "alice"), 2);
    r = replies(&f);
    CHECK_CONTAINS(r, "🎉 alice is now <b>L2 Active</b>!");
    CHECK_INT(count_of(r, "is now"), 1);
    free(r);
    /* more standing changes and a replayed message: no second announcement */
    checkin_days(&f, "alice", 7, 9);
    fx_say(&f, "g1", "op", T0 + 9 * DAY, "/grant points 5 @alice again");
    struct kb_event ev = {.kind = KB_EV_MESSAGE, .platform = "console", .chat_id = "g1", .user_id = "alice",
                          .user_name = "alice", .message_id = "7", .time = T0 + 6 * DAY, .text = "/checkin"};
    CHECK_INT(engine_apply(f.e, &ev, 1, NULL, NULL, T0 + 10 * DAY), 0);
    r = replies(&f);
    CHECK_INT(count_of(r, "is now"), 0);
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM level_changes"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE ref LIKE 'level:%'"), 1);
    fx_close(&f);
}

/* The reply that caused a promotion comes first in the outbox, whatever
   caused it: a check-in, a grant, a poll reward, an approved task. */
TEST(promotion_follows_the_reply_that_caused_it)
{
    const char *causes[] = {"/checkin", "/grant points 20 @alice meetup", "/vote 1 1",
                            "/submit 1 done", "/approve 1"};
    const char *acks[] = {"checked in", "+20", "voted", "completed task #1", "approved"};
    for (int k = 0; k < 5; k++) {
        struct fx f;
        fx_open(&f, NULL, "en");
        int64_t t = T0 + 7 * DAY;
        if (k == 0) { /* 6 days and 95 points: the 7th check-in promotes */
            checkin_days(&f, "alice", 0, 6);
            fx_say(&f, "g1", "op", T0, "/grant points 20 @alice meetup");
            t = T0 + 6 * DAY;
        } else { /* 7 days and 91 points: 20 more promote */
            checkin_days(&f, "alice", 0, 7);
        }
        if (k == 2)
            fx_say(&f, "g1", "op", t - 10, "/poll new Best? | a | b --reward 20");
        if (k >= 3) {
            fx_say(&f, "g1", "op", t - 10,
                   k == 3 ? "/task new basic Photo --reward points 20" : "/task new explore Photo --reward points 20 --everyone");
            fx_say(&f, "g1", "alice", t - 9, "/claim 1");
        }
        if (k == 4)
            fx_say(&f, "g1", "alice", t - 8, "/submit 1 done");
        CHECK_INT(level_of(&f, "alice"), 1);
        free(replies(&f));
        const char *who = k == 1 || k == 4 ? "op" : "alice";
        CHECK_INT(fx_say(&f, "g1", who, t, causes[k]), 0);
        CHECK_INT(level_of(&f, "alice"), 2);
        char *r = replies(&f);
        const char *ack = strstr(r, acks[k]), *promo = strstr(r, "is now");
        if (!ack || !promo || promo < ack)
            TEST_FAIL("%s: the promotion is not after the reply: %s", causes[k], r);
        free(r);
        fx_close(&f);
    }
}

TEST(progress_numbers_on_me)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    checkin_days(&f, "bob", 0, 1);
    free(replies(&f));
    fx_say(&f, "g1", "bob", T0 + 60, "/me");
    char *r = replies(&f);
    CHECK_CONTAINS(r, "Level: <b>L1 Newcomer</b>");
    CHECK_CONTAINS(r, "Next: L2 Active — still missing: 90 points, 6 check-in days");
    free(r);
    checkin_days(&f, "bob", 1, 7);
    fx_say(&f, "g1", "op", T0 + 7 * DAY, "/grant points 300 @bob launch");
    CHECK_INT(complete_task(&f, "bob", "task:1", "explore", T0 + 7 * DAY), 0);
    free(replies(&f));
    fx_say(&f, "g1", "bob", T0 + 7 * DAY + 60, "/me");
    r = replies(&f);
    /* 91 + 300 = 391 points: 109 and two explore tasks to go */
    CHECK_CONTAINS(r, "Level: <b>L2 Active</b>");
    CHECK_CONTAINS(r, "still missing: 109 points, 2 explore tasks");
    free(r);
    fx_close(&f);
}

TEST(task_tiers_promote_and_repeat_is_ignored)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    checkin_days(&f, "cat", 0, 7);
    fx_say(&f, "g1", "op", T0 + 7 * DAY, "/grant points 420 @cat photos");
    CHECK_INT(level_of(&f, "cat"), 2);
    CHECK_INT(complete_task(&f, "cat", "task:1", "explore", T0 + 7 * DAY), 0);
    CHECK_INT(complete_task(&f, "cat", "task:1", "explore", T0 + 7 * DAY), 0); /* same task */
    CHECK_INT(complete_task(&f, "cat", "task:2", "basic", T0 + 7 * DAY), 0);
    CHECK_INT(complete_task(&f, "cat", "task:3", "explore", T0 + 7 * DAY), 0);
    CHECK_INT(level_of(&f, "cat"), 2);
    struct standing_facts sf;
    CHECK_INT(standing_facts(f.e, member_id(&f, "cat"), &sf), 0);
    CHECK_INT(sf.tasks[1], 2);
    CHECK_INT(sf.tasks[0], 1);
    free(replies(&f));
    CHECK_INT(complete_task(&f, "cat", "task:4", "explore", T0 + 8 * DAY), 0);
    CHECK_INT(level_of(&f, "cat"), 3);
    char *r = replies(&f);
    CHECK_CONTAINS(r, "cat is now <b>L3 Contributor</b>");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT tasks FROM period_tallies WHERE span = 0"), 4);
    fx_close(&f);
}

TEST(granted_only_level_and_no_implicit_demotion)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    checkin_days(&f, "dan", 0, 7);
    fx_say(&f, "g1", "op", T0 + 7 * DAY, "/grant points 5000 @dan big");
    for (int i = 0; i < 3; i++) {
        char ref[32];
        snprintf(ref, sizeof ref, "task:%d", i);
        complete_task(&f, "dan", ref, "explore", T0 + 7 * DAY);
    }
    complete_task(&f, "dan", "task:9", "precision", T0 + 7 * DAY);
    CHECK_INT(level_of(&f, "dan"), 4); /* L5 is granted only */
    fx_say(&f, "g1", "op", T0 + 8 * DAY, "/revoke points 4900 @dan mistake");
    CHECK_INT(level_of(&f, "dan"), 4); /* never an implicit demotion */
    free(replies(&f));
    fx_say(&f, "g1", "op", T0 + 8 * DAY, "/level set 5 @dan");
    CHECK_INT(level_of(&f, "dan"), 5);
    char *r = replies(&f);
    CHECK_CONTAINS(r, "dan is now <b>L5 Partner</b>!");
    free(r);
    fx_say(&f, "g1", "op", T0 + 8 * DAY, "/level set 2 @dan");
    CHECK_INT(level_of(&f, "dan"), 2);
    fx_say(&f, "g1", "op", T0 + 8 * DAY, "/level set 9 @dan");
    fx_say(&f, "g1", "dan", T0 + 8 * DAY, "/level set 5 @dan");
    r = replies(&f);
    CHECK_CONTAINS(r, "There is no level 9");
    CHECK_CONTAINS(r, "only operators");
    free(r);
    CHECK_INT(level_of(&f, "dan"), 2);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM audit WHERE action = 'level.set'"), 2);
    fx_say(&f, "g1", "op", T0 + 8 * DAY, "/why @dan");
    r = replies(&f);
    CHECK_CONTAINS(r, "Why dan is <b>L2 Active</b>");
    CHECK_CONTAINS(r, "check-ins: 7 entries, 91 in total");
    CHECK_CONTAINS(r, "revocations: 1 entries, -4900 in total");
    CHECK_CONTAINS(r, "Exploration: 3 (#0, #1, #2)");
    CHECK_CONTAINS(r, "L1 → L2 (requirements met)");
    CHECK_CONTAINS(r, "L4 → L5 (set by op)");
    CHECK_CONTAINS(r, "-4900 points — mistake (by op)");
    free(r);
    fx_close(&f);
}

TEST(pool_workflow)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "ann", T0, "/checkin");
    fx_say(&f, "g1", "ben", T0, "/checkin");
    free(replies(&f));
    fx_say(&f, "g1", "ann", T0 + 1, "/pool apply Photo");
    fx_say(&f, "g1", "op", T0 + 2, "/pool add Photo @ben @ghost");
    fx_say(&f, "g1", "ann", T0 + 3, "/pool add Photo @ann");
    fx_say(&f, "g1", "ann", T0 + 4, "/pool apply photo ftp://x");
    fx_say(&f, "g1", "ann", T0 + 5, "/pool apply photo https://example.com/ann");
    fx_say(&f, "g1", "ann", T0 + 6, "/pool apply photo");
    char *r = replies(&f);
    CHECK_CONTAINS(r, "There are no talent pools yet");
    CHECK_CONTAINS(r, "✅ Added to Photo: ben");
    CHECK_CONTAINS(r, "Members I don't know: ");
    CHECK_CONTAINS(r, "only operators");
    CHECK_CONTAINS(r, "must start with http:// or https://"); /* ftp:// */
    CHECK_CONTAINS(r, "applied to the Photo pool");
    CHECK_CONTAINS(r, "already waiting for review");
    free(r);
    fx_say(&f, "g1", "op", T0 + 7, "/pool list");
    fx_say(&f, "g1", "op", T0 + 8, "/pool list photo");
    r = replies(&f);
    CHECK_CONTAINS(r, "Photo: 1 members, 1 pending applications");
    CHECK_CONTAINS(r, "⏳ applied: ann — https://example.com/ann");
    free(r);
    fx_say(&f, "g1", "op", T0 + 9, "/pool accept photo @ann");
    fx_say(&f, "g1", "op", T0 + 10, "/pool accept photo @ann");
    r = replies(&f);
    CHECK_CONTAINS(r, "ann, welcome to the Photo talent pool!");
    CHECK_CONTAINS(r, "has no pending application to Photo");
    free(r);
    int yes = 0, ok = 0;
    CHECK_INT(standing_in_pool(f.e, member_id(&f, "ann"), "PHOTO", &yes), 0);
    CHECK_INT(yes, 1);
    CHECK_INT(standing_eligible(f.e, member_id(&f, "ann"), 1, "photo", &ok), 0);
    CHECK_INT(ok, 1);
    CHECK_INT(standing_eligible(f.e, member_id(&f, "ann"), 2, "photo", &ok), 0);
    CHECK_INT(ok, 0);
    fx_say(&f, "g1", "ann", T0 + 11, "/me");
    r = replies(&f);
    CHECK_CONTAINS(r, "Talent pools: Photo");
    free(r);
    /* remove, apply again, decline */
    fx_say(&f, "g1", "op", T0 + 12, "/pool remove photo @ann");
    fx_say(&f, "g1", "ann", T0 + 13, "/pool apply photo");
    fx_say(&f, "g1", "op", T0 + 14, "/pool decline photo @ann");
    r = replies(&f);
    CHECK_CONTAINS(r, "Removed from Photo: ann");
    CHECK_CONTAINS(r, "was not accepted this time");
    CHECK_CONTAINS(r, "I can't message you privately"); /* no private chat: in the group, saying so */
    CHECK_CONTAINS(r, "Declined the application of");
    free(r);
    CHECK_INT(standing_in_pool(f.e, member_id(&f, "ann"), "photo", &yes), 0);
    CHECK_INT(yes, 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM pool_applications"), 2);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM audit WHERE action LIKE 'pool.%'"), 4);
    fx_close(&f);
}

/* A link error names the real problem; schemes ignore case; a cloud-drive
   link keeps its access code.  Pools can be created empty, and members are
   shown the pools instead of an operator command. */
TEST(pool_links_and_empty_pools)
{
    const char *langs[] = {"en", "zh-CN"};
    for (int l = 0; l < 2; l++) {
        struct fx f;
        fx_open(&f, NULL, langs[l]);
        fx_say(&f, "g1", "ann", T0, "/pool apply photo");
        char *r = replies(&f);
        CHECK(strstr(r, "/pool list") == NULL);
        CHECK_CONTAINS(r, l ? "还没有人才库" : "no talent pools yet");
        free(r);
        fx_say(&f, "g1", "op", T0 + 1, "/pool new Photo");
        fx_say(&f, "g1", "op", T0 + 1, "/pool new photo");
        fx_say(&f, "g1", "op", T0 + 1, "/pool new Video");
        r = replies(&f);
        CHECK_CONTAINS(r, l ? "已创建人才库 Photo" : "Talent pool Photo created");
        CHECK_CONTAINS(r, l ? "已经有人才库 Photo" : "There is already a talent pool Photo");
        free(r);
        fx_say(&f, "g1", "ann", T0 + 2, "/pool apply nosuch");
        r = replies(&f);
        CHECK(strstr(r, "/pool list") == NULL);
        CHECK_CONTAINS(r, "Photo");
        CHECK_CONTAINS(r, "Video");
        free(r);
        fx_say(&f, "g1", "ann", T0 + 3, "/pool apply photo http://x");
        fx_say(&f, "g1", "ann", T0 + 3, "/pool apply photo example.com/ann");
        fx_say(&f, "g1", "ann", T0 + 3, "/pool apply photo https://pan.example.com/s/1 and more");
        r = replies(&f);
        CHECK_CONTAINS(r, l ? "缺少网站地址" : "has no site address");
        CHECK(strstr(r, l ? "需以 http:// 或 https:// 开头" : "must start with") == NULL ||
              strstr(r, "example.com/ann"));
        CHECK_CONTAINS(r, l ? "开头加上 https://" : "Add https:// in front");
        CHECK_CONTAINS(r, l ? "只能跟网盘提取码" : "only a cloud-drive access code");
        free(r);
        CHECK_INT(fx_i64(&f, "SELECT count(*) FROM pool_applications"), 0);
        fx_say(&f, "g1", "ann", T0 + 4, "/pool apply photo HTTPS://pan.example.com/s/1abc 提取码 xyz8");
        fx_say(&f, "g1", "ben", T0 + 4, "/pool apply photo Http://example.com/ben");
        fx_say(&f, "g1", "cat", T0 + 4, "/pool apply video https://pan.example.com/s/2 提取码：ab12");
        r = replies(&f);
        CHECK_INT(strstr(r, l ? "申请加入人才库" : "applied to the") != NULL, 1);
        free(r);
        CHECK_INT(fx_i64(&f, "SELECT count(*) FROM pool_applications"), 3);
        CHECK_INT(fx_i64(&f, "SELECT count(*) FROM pool_applications WHERE link ="
                             " 'HTTPS://pan.example.com/s/1abc 提取码 xyz8'"), 1);
        CHECK_INT(fx_i64(&f, "SELECT count(*) FROM pool_applications WHERE link LIKE '%提取码：ab12'"), 1);
        fx_close(&f);
    }
}

/* Equal values share a rank (1, 1, 3) on /top, the weekly post and /me. */
TEST(ties_share_a_rank_everywhere)
{
    const char *langs[] = {"en", "zh-CN"};
    for (int l = 0; l < 2; l++) {
        struct fx f;
        fx_open(&f, NULL, langs[l]);
        fx_say(&f, "g1", "ann", T0 - DAY, "/checkin");
        fx_say(&f, "g1", "ben", T0 - DAY, "/checkin");
        fx_say(&f, "g1", "cat", T0 - DAY, "/checkin");
        fx_say(&f, "g1", "op", T0 - DAY, "/grant points 5 @cat bonus");
        fx_say(&f, "g1", "dan", T0 - DAY, "/checkin");
        fx_say(&f, "g1", "op", T0 - DAY, "/revoke points 5 @dan fix");
        free(replies(&f));
        /* cat 15, ann 10, ben 10, dan 5 */
        fx_say(&f, "g1", "ben", T0, "/top");
        char *r = replies(&f);
        CHECK_INT(count_of(r, "🥇"), 1);
        CHECK_INT(count_of(r, "🥈"), 2);
        CHECK_INT(count_of(r, "🥉"), 0);
        CHECK_CONTAINS(r, "4.");
        CHECK_CONTAINS(r, l ? "你：第 2 名" : "You: #2");
        free(r);
        fx_say(&f, "g1", "ben", T0, "/me");
        fx_say(&f, "g1", "ann", T0, "/me");
        r = replies(&f);
        CHECK_INT(count_of(r, l ? "积分排名：第 2 名" : "Rank: #2"), 2);
        free(r);
        fx_say(&f, "g1", "op", T0, "/schedule weekly mon 09:00");
        free(replies(&f));
        CHECK_INT(engine_tick(f.e, T0 + 3600), 0);
        r = replies(&f);
        CHECK_INT(count_of(r, "\n1. "), 1);
        CHECK_INT(count_of(r, "\n2. "), 2);
        CHECK_INT(count_of(r, "\n3. "), 0);
        CHECK_INT(count_of(r, "\n4. "), 1);
        free(r);
        fx_close(&f);
    }
}

/* 1 when s holds a Han character. */
static int has_han(const char *s)
{
    for (size_t i = 0; s[i];) {
        uint32_t cp;
        size_t len = utf8_decode(s + i, strlen(s + i), &cp);
        if (cp >= 0x4E00 && cp <= 0x9FFF)
            return 1;
        i += len ? len : 1;
    }
    return 0;
}

/* zh-CN reads as Chinese (brief labels, /why, /audit), en has no Chinese
   where the catalogue or the ladder has an English word. */
TEST(each_locale_reads_natively)
{
    struct fx f;
    fx_open(&f, NULL, "zh-CN");
    fx_say(&f, "g1", "alice", T0, "/checkin");
    fx_say(&f, "g1", "op", T0, "/grant points 5 @alice 活动");
    fx_say(&f, "g1", "op", T0, "/grant title 评委 @alice");
    fx_say(&f, "g1", "op", T0, "/task new explore 夏季\nbackground: 夏季促销\ndeliverables: 一条视频\nreward: points 5");
    fx_say(&f, "g1", "op", T0, "/pool add 摄影 @alice");
    free(replies(&f));
    fx_say(&f, "g1", "alice", T0, "/task 1");
    char *r = replies(&f);
    CHECK_CONTAINS(r, "背景：夏季促销");
    CHECK_CONTAINS(r, "交付物：一条视频");
    CHECK(strstr(r, "background") == NULL);
    free(r);
    fx_say(&f, "g1", "op", T0, "/why @alice");
    r = replies(&f);
    CHECK_CONTAINS(r, "签到：1 条");
    CHECK_CONTAINS(r, "运营授予：1 条");
    CHECK_CONTAINS(r, "头衔");
    CHECK(strstr(r, "checkin") == NULL && strstr(r, "grant") == NULL && strstr(r, "title ") == NULL);
    free(r);
    fx_say(&f, "g1", "op", T0, "/audit");
    r = replies(&f);
    CHECK_CONTAINS(r, "发布任务 任务 #1");
    CHECK_CONTAINS(r, "授予头衔 alice");
    CHECK_CONTAINS(r, "加入人才库");
    CHECK(strstr(r, "member:") == NULL && strstr(r, "task.post") == NULL && strstr(r, "grant.") == NULL);
    free(r);
    fx_close(&f);
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "alice", T0, "/checkin");
    fx_say(&f, "g1", "op", T0, "/task new basic Summer --reward points 5");
    fx_say(&f, "g1", "op", T0, "/poll new Best? | a | b");
    fx_say(&f, "g1", "alice", T0, "/me");
    fx_say(&f, "g1", "alice", T0, "/level");
    fx_say(&f, "g1", "alice", T0, "/tasks all");
    fx_say(&f, "g1", "alice", T0, "/task 1");
    fx_say(&f, "g1", "alice", T0, "/polls");
    fx_say(&f, "g1", "op", T0, "/why @alice");
    fx_say(&f, "g1", "op", T0, "/audit");
    fx_say(&f, "g1", "op", T0, "/task list");
    r = replies(&f);
    if (has_han(r))
        TEST_FAIL("en shows Chinese: %s", r);
    CHECK_CONTAINS(r, "L1 Newcomer");
    free(r);
    fx_close(&f);
}

TEST(grant_and_revoke_titles_badges_points)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "eve", T0, "/checkin");
    free(replies(&f));
    fx_say(&f, "g1", "op", T0 + 1, "/grant title 特邀评委 @eve");
    fx_say(&f, "g1", "op", T0 + 2, "/grant title 特邀评委 @eve");
    fx_say(&f, "g1", "op", T0 + 3, "/grant badge \"early bird\" @eve");
    fx_say(&f, "g1", "op", T0 + 4, "/grant points 40 @eve");
    fx_say(&f, "g1", "op", T0 + 5, "/grant points lots @eve x");
    fx_say(&f, "g1", "op", T0 + 6, "/grant points 5 @ghost x");
    fx_say_as(&f, "g1", "adm", KB_ROLE_CHAT_ADMIN, T0 + 7, "/grant points 5 @eve x");
    char *r = replies(&f);
    CHECK_CONTAINS(r, "eve now holds the title <b>特邀评委</b>");
    CHECK_CONTAINS(r, "already holds the title");
    CHECK_CONTAINS(r, "earned the badge <b>early bird</b>");
    CHECK_CONTAINS(r, "Please give a reason");
    CHECK_CONTAINS(r, "lots is not a valid number");
    CHECK_CONTAINS(r, "I don't know");
    CHECK_CONTAINS(r, "only operators");
    free(r);
    fx_say(&f, "g1", "eve", T0 + 8, "/me");
    fx_say(&f, "g1", "eve", T0 + 9, "/top");
    r = replies(&f);
    CHECK_CONTAINS(r, "eve [特邀评委]");
    CHECK_CONTAINS(r, "Titles: 特邀评委");
    CHECK_CONTAINS(r, "Badges: early bird");
    CHECK_CONTAINS(r, "🥇 eve [特邀评委] — 10");
    free(r);
    fx_say(&f, "g1", "op", T0 + 10, "/revoke title 特邀评委 @eve");
    fx_say(&f, "g1", "op", T0 + 11, "/revoke title 特邀评委 @eve");
    fx_say(&f, "g1", "op", T0 + 12, "/revoke points 11 @eve too many");
    fx_say(&f, "g1", "op", T0 + 13, "/revoke points 4 @eve typo");
    r = replies(&f);
    CHECK_CONTAINS(r, "Revoked the title 特邀评委 from eve");
    CHECK_CONTAINS(r, "does not hold the title");
    CHECK_CONTAINS(r, "has only 10 points");
    CHECK_CONTAINS(r, "Revoked 4 points from eve — typo (now 6)");
    free(r);
    /* corrections are new rows, never deletions */
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE kind = 'title'"), 2);
    CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE kind = 'title'"), 0);
    CHECK_INT(fx_i64(&f, "SELECT amount FROM ledger WHERE reason = 'revoke' AND kind = 'points'"), -4);
    CHECK_INT(fx_i64(&f, "SELECT points FROM period_tallies WHERE span = 0"), 6);
    CHECK(top_tallies_agree(f.e, 1));
    /* at zero points a member leaves the board (its index holds values > 0) */
    fx_say(&f, "g1", "op", T0 + 14, "/revoke points 6 @eve reset");
    fx_say(&f, "g1", "eve", T0 + 15, "/top");
    r = replies(&f);
    CHECK_CONTAINS(r, "(now 0)");
    CHECK(!strstr(r, "🥇"));
    CHECK(!strstr(r, "You: #"));
    free(r);
    CHECK(top_tallies_agree(f.e, 1));
    int held = 1;
    CHECK_INT(standing_has_item(f.e, member_id(&f, "eve"), "title", "特邀评委", &held), 0);
    CHECK_INT(held, 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM audit WHERE action LIKE 'grant.%' OR action LIKE 'revoke.%'"), 5); /* and the reset above */
    fx_close(&f);
}

TEST(leaderboard_periods_follow_the_local_midnight)
{
    /* Sunday 2026-11-29 23:50 and Monday 00:10 in Shanghai are the same UTC
       day (15:50Z, 16:10Z) but different local weeks */
    const int64_t sun_2350 = 1795967400, mon_0010 = 1795968600, mon_0800 = 1795996800;
    const struct community sh = {.tz = "Asia/Shanghai"}, utc = {.tz = "UTC"};
    CHECK_INT(top_period(&sh, TOP_WEEK, mon_0010) - top_period(&sh, TOP_WEEK, sun_2350), 7);
    CHECK_INT(top_period(&utc, TOP_WEEK, mon_0010), top_period(&utc, TOP_WEEK, sun_2350));
    CHECK_INT(top_period(&sh, TOP_MONTH, 1796055000), 202612); /* Dec 1 00:10 local */
    CHECK_INT(top_period(&sh, TOP_MONTH, 1796053800), 202611); /* Nov 30 23:50 local */
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "sun", sun_2350, "/checkin");
    fx_say(&f, "g1", "mon", mon_0010, "/checkin");
    free(replies(&f));
    fx_say(&f, "g1", "sun", mon_0800, "/top week");
    char *r = replies(&f);
    CHECK_CONTAINS(r, "this week, Mon 11-30 – today");
    CHECK_CONTAINS(r, "🥇 mon — 10");
    CHECK(!strstr(r, "sun —"));
    CHECK_CONTAINS(r, "You: not on the board yet");
    free(r);
    fx_say(&f, "g1", "mon", mon_0800, "/top all checkins");
    fx_say(&f, "g1", "mon", mon_0800, "/top month");
    fx_say(&f, "g1", "mon", mon_0800, "/top yearly");
    r = replies(&f);
    CHECK_CONTAINS(r, "🥇 sun — 1\n🥇 mon — 1\nYou: #1 — 1"); /* ties share a rank and a medal */
    CHECK_CONTAINS(r, "this month, 11-01 – today");
    CHECK_CONTAINS(r, "I don't understand yearly");
    free(r);
    /* the cache rebuilds to the same rows */
    int64_t before = fx_i64(&f, "SELECT sum(period * 7 + points * 3 + checkins + span) FROM period_tallies");
    store_exec(f.e->st, "DELETE FROM period_tallies", NOVALS);
    CHECK(!top_tallies_agree(f.e, 1));
    CHECK_INT(top_rebuild(f.e, 1), 0);
    CHECK(top_tallies_agree(f.e, 1));
    CHECK_INT(fx_i64(&f, "SELECT sum(period * 7 + points * 3 + checkins + span) FROM period_tallies"), before);
    fx_close(&f);
}

TEST(top_ranks_the_caller_beyond_the_first_ten)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    for (int i = 0; i < 12; i++) {
        char user[16], cmd[64];
        snprintf(user, sizeof user, "m%02d", i);
        fx_say(&f, "g1", user, T0, "/checkin");
        snprintf(cmd, sizeof cmd, "/grant points %d @%s rank", 100 - i, user);
        fx_say(&f, "g1", "op", T0, cmd);
    }
    free(replies(&f));
    fx_say(&f, "g1", "m11", T0 + 60, "/top");
    char *r = replies(&f);
    CHECK_CONTAINS(r, "🥇 m00 — 110");
    CHECK_CONTAINS(r, "10. m09 — 101");
    CHECK(!strstr(r, "m10 —"));
    CHECK_CONTAINS(r, "You: #12 — 99");
    free(r);
    fx_close(&f);
}

TEST(stats_for_operators)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    checkin_days(&f, "a", 0, 3);
    checkin_days(&f, "b", 2, 3);
    fx_say(&f, "g1", "op", T0 + 2 * DAY, "/grant points 50 @a help");
    fx_say(&f, "g1", "op", T0 + 2 * DAY, "/level set 3 @b");
    free(replies(&f));
    fx_say(&f, "g1", "a", T0 + 2 * DAY, "/stats");
    fx_say(&f, "g1", "op", T0 + 2 * DAY + 60, "/stats");
    char *r = replies(&f);
    CHECK_CONTAINS(r, "only operators");
    CHECK_CONTAINS(r, "Members 3: L1 2 · L2 0 · L3 1 · L4 0 · L5 0");
    CHECK_CONTAINS(r, "Active: today 3 · 7 days 3 · 30 days 3");
    CHECK_CONTAINS(r, "Check-ins, last 14 days: ···········▅▅█ (today 2, peak 2)");
    CHECK_CONTAINS(r, "Points awarded this week, Mon 11-23 – today: 93 (operator grants: 50)");
    free(r);
    fx_close(&f);
}

TEST(configured_ladder_replaces_the_default)
{
    struct fx f;
    fx_open(&f, NULL, "zh-CN");
    struct kb_level_rule rules[2] = {{.name_zh = "萌新", .name_en = "Fresh"},
                                     {.name_zh = "常客", .name_en = "Regular", .min_checkin_days = 2}};
    memcpy(f.set.levels, rules, sizeof rules);
    f.set.n_levels = 2;
    fx_reopen(&f);
    checkin_days(&f, "小明", 0, 2);
    char *r = replies(&f);
    CHECK_CONTAINS(r, "🎉 小明 升级为 <b>L2 常客</b>！");
    free(r);
    fx_say(&f, "g1", "小明", T0 + DAY + 60, "/me");
    r = replies(&f);
    CHECK_CONTAINS(r, "等级：<b>L2 常客</b>");
    CHECK_CONTAINS(r, "已是最高等级");
    free(r);
    fx_close(&f);
}

TEST(every_catalogue_text_has_both_languages)
{
    int missing = 0;
    static const char *const keys[] = {"standing.promoted", "top.head", "pool.applied", "grant.usage", "stats.points"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!text_has(keys[i]) || strcmp(text_get("en", keys[i]), text_get("zh-CN", keys[i])) == 0)
            missing++;
    CHECK_INT(missing, 0);
}

TEST_MAIN(T(promotion_at_the_threshold_announced_once), T(promotion_follows_the_reply_that_caused_it), T(progress_numbers_on_me),
          T(task_tiers_promote_and_repeat_is_ignored), T(granted_only_level_and_no_implicit_demotion),
          T(pool_workflow), T(pool_links_and_empty_pools), T(ties_share_a_rank_everywhere), T(each_locale_reads_natively), T(grant_and_revoke_titles_badges_points),
          T(leaderboard_periods_follow_the_local_midnight), T(top_ranks_the_caller_beyond_the_first_ten),
          T(stats_for_operators), T(configured_ladder_replaces_the_default),
          T(every_catalogue_text_has_both_languages))
