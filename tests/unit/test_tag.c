/* Member tags (core/tag.c): tagging and listing, the C API other modules
   use, tasks and polls limited to a tag, /stats and poll results split by
   tag. */
#include <string.h>

#include "../../core/markup.h"
#include "../../core/tag.h"
#include "../support/fixture.h"
#include "../test.h"

static const int64_t T0 = 1795392000; /* 2026-11-23 08:00 Asia/Shanghai */

static char *replies(struct fx *f)
{
    char *r = fx_replies(f);
    char *plain = markup_plain_dup(r, 0, MARKUP_DROP_ISOLATES);
    free(r);
    return plain;
}

/* alice, bob, carol seen; alice and bob tagged 周末越野派, carol 城市通勤派. */
static void setup(struct fx *f)
{
    fx_open(f, NULL, "en");
    const char *who[] = {"alice", "bob", "carol", "dave"};
    for (int i = 0; i < 4; i++)
        CHECK_INT(fx_say(f, "g1", who[i], T0 + i, "/checkin"), 0);
    CHECK_INT(fx_say(f, "g1", "op", T0 + 10, "/tag add 周末越野派 @alice @bob @nobody"), 0);
    CHECK_INT(fx_say(f, "g1", "op", T0 + 11, "/tag add 城市通勤派 @carol"), 0);
    char *r = replies(f);
    CHECK_CONTAINS(r, "Tagged 周末越野派: alice, bob");
    CHECK_CONTAINS(r, "Members I don't know: @nobody");
    free(r);
}

TEST(tag_names)
{
    CHECK(tag_name_valid("周末越野派"));
    CHECK(tag_name_valid("Explorer"));
    CHECK(!tag_name_valid(""));
    CHECK(!tag_name_valid("two words"));
    CHECK(!tag_name_valid("@alice"));
    CHECK(!tag_name_valid("#3"));
    CHECK(!tag_name_valid("--tag"));
    CHECK(!tag_name_valid("一二三四五六七八九十一二三四五六七")); /* 17 characters */
    CHECK(!tag_name_valid("bad\xff"));
}

TEST(operators_tag_untag_and_list)
{
    struct fx f;
    setup(&f);
    CHECK_INT(fx_say(&f, "g1", "op", T0 + 20, "/tag add 周末越野派 @alice"), 0);
    CHECK_INT(fx_say(&f, "g1", "op", T0 + 21, "/tag list"), 0);
    CHECK_INT(fx_say(&f, "g1", "op", T0 + 22, "/tag list 周末越野派"), 0);
    CHECK_INT(fx_say(&f, "g1", "op", T0 + 23, "/tag remove 周末越野派 @bob @carol"), 0);
    char *r = replies(&f);
    CHECK_CONTAINS(r, "Already tagged 周末越野派: alice");
    CHECK_CONTAINS(r, "周末越野派: 2 members\n城市通勤派: 1 member");
    CHECK_CONTAINS(r, "周末越野派 (2 members)\nalice, bob");
    CHECK_CONTAINS(r, "Removed the tag 周末越野派 from bob");
    CHECK_CONTAINS(r, "Not tagged 周末越野派: carol");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM member_tags"), 2);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM audit WHERE action LIKE 'tag.%'"), 4);
    CHECK_INT(fx_say(&f, "g1", "alice", T0 + 23, "/me"), 0); /* /me lists them */
    r = replies(&f);
    CHECK_CONTAINS(r, "Tags: 周末越野派");
    free(r);
    /* ASCII tags compare in any case */
    CHECK_INT(fx_say(&f, "g1", "op", T0 + 24, "/tag add Explorer @dave"), 0);
    CHECK_INT(fx_say(&f, "g1", "op", T0 + 25, "/tag add explorer @dave"), 0);
    CHECK_INT(fx_say(&f, "g1", "op", T0 + 26, "/tag add two words @dave"), 0);
    r = replies(&f);
    CHECK_CONTAINS(r, "Already tagged Explorer: dave");
    CHECK_CONTAINS(r, "Members I don't know: words"); /* "two" is the tag, "words" no member */
    free(r);
    /* a member sees their own tags */
    CHECK_INT(fx_say(&f, "g1", "dave", T0 + 27, "/标签"), 0);
    r = replies(&f);
    CHECK_CONTAINS(r, "dave's tags: Explorer · two");
    free(r);
    fx_close(&f);
}

struct collected {
    int n;
    char all[256];
};

static int collect_tag(const char *tag, void *ud)
{
    struct collected *c = ud;
    size_t len = strlen(c->all);
    snprintf(c->all + len, sizeof c->all - len, "%s%s", c->n++ ? "," : "", tag);
    return 0;
}

static int collect_member(int64_t id, void *ud)
{
    struct collected *c = ud;
    size_t len = strlen(c->all);
    snprintf(c->all + len, sizeof c->all - len, "%s%lld", c->n++ ? "," : "", (long long)id);
    return 0;
}

TEST(the_c_api_for_other_modules)
{
    struct fx f;
    setup(&f);
    int64_t alice = fx_i64(&f, "SELECT id FROM members WHERE user_id = 'alice'");
    int64_t comm = fx_i64(&f, "SELECT community_id FROM members WHERE user_id = 'alice'");
    int yes = 0, added = 0, removed = 0;
    CHECK_INT(tag_has(f.e, alice, "周末越野派", &yes), 0);
    CHECK_INT(yes, 1);
    CHECK_INT(tag_has(f.e, alice, "城市通勤派", &yes), 0);
    CHECK_INT(yes, 0);
    CHECK_INT(tag_give(f.e, comm, alice, "城市通勤派", "quiz:9", 0, T0, &added), 0);
    CHECK_INT(added, 1);
    CHECK_INT(tag_give(f.e, comm, alice, "城市通勤派", "quiz:9", 0, T0, &added), 0);
    CHECK_INT(added, 0);
    struct collected c = {0};
    CHECK_INT(tag_each_of_member(f.e, alice, collect_tag, &c), 0);
    CHECK_STR(c.all, "周末越野派,城市通勤派");
    memset(&c, 0, sizeof c);
    CHECK_INT(tag_each_member(f.e, comm, "城市通勤派", collect_member, &c), 0);
    CHECK_INT(c.n, 2);
    /* tag_take honours the source: an operator's tag is not a quiz's to take */
    CHECK_INT(tag_take(f.e, alice, "周末越野派", "quiz:9", &removed), 0);
    CHECK_INT(removed, 0);
    CHECK_INT(tag_take(f.e, alice, "城市通勤派", "quiz:9", &removed), 0);
    CHECK_INT(removed, 1);
    int64_t n = 0;
    CHECK_INT(tag_count(f.e, comm, "周末越野派", &n), 0);
    CHECK_INT(n, 2);
    /* limits */
    char tag[TAG_NAME_BYTES];
    int ok = 0;
    CHECK_INT(tag_limit_set(f.e, comm, "task:77", "周末越野派"), 0);
    CHECK_INT(tag_limit_allows(f.e, "task:77", alice, &ok, tag), 0);
    CHECK_INT(ok, 1);
    CHECK_STR(tag, "周末越野派");
    int64_t carol = fx_i64(&f, "SELECT id FROM members WHERE user_id = 'carol'");
    CHECK_INT(tag_limit_allows(f.e, "task:77", carol, &ok, tag), 0);
    CHECK_INT(ok, 0);
    CHECK_INT(tag_limit_set(f.e, comm, "task:77", ""), 0);
    CHECK_INT(tag_limit_allows(f.e, "task:77", carol, &ok, tag), 0);
    CHECK_INT(ok, 1);
    CHECK_STR(tag, "");
    fx_close(&f);
}

TEST(a_task_limited_to_a_tag_refuses_the_others_with_the_reason)
{
    struct fx f;
    setup(&f);
    CHECK_INT(fx_say(&f, "g1", "op", T0 + 20, "/task new basic 山路照片 --tag 周末越野派 --points 20"), 0);
    free(fx_replies(&f));
    CHECK_INT(fx_say(&f, "g1", "carol", T0 + 21, "/claim 1"), 0);
    CHECK_INT(fx_say(&f, "g1", "carol", T0 + 22, "/tasks all"), 0);
    CHECK_INT(fx_say(&f, "g1", "carol", T0 + 23, "/task 1"), 0);
    char *r = replies(&f);
    CHECK_CONTAINS(r, "This task is only for members tagged 周末越野派.");
    CHECK_CONTAINS(r, "山路照片 — 🎁 20 points · ⏰ none\n    🏷 for members tagged 周末越野派");
    CHECK_CONTAINS(r, "🔑 Who: everyone · tag: 周末越野派");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM claims"), 0);
    /* /tasks (claimable only) leaves it out for carol, shows it to alice */
    CHECK_INT(fx_say(&f, "g1", "carol", T0 + 24, "/tasks"), 0);
    r = replies(&f);
    CHECK(strstr(r, "山路照片") == NULL);
    free(r);
    CHECK_INT(fx_say(&f, "g1", "alice", T0 + 25, "/claim 1"), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM claims"), 1);
    /* lifting the tag opens it to all */
    CHECK_INT(fx_say(&f, "g1", "op", T0 + 26, "/task edit 1 --tag none"), 0);
    CHECK_INT(fx_say(&f, "g1", "carol", T0 + 27, "/claim 1"), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM claims"), 2);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM tag_limits"), 0);
    /* a bad tag, and a tag nobody holds yet (noted, accepted) */
    CHECK_INT(fx_say(&f, "g1", "op", T0 + 28, "/task new basic X --tag @bad"), 0);
    CHECK_INT(fx_say(&f, "g1", "op", T0 + 29, "/task new basic Y --tag 家庭奶爸派"), 0);
    r = replies(&f);
    CHECK_CONTAINS(r, "Field tag");
    CHECK_CONTAINS(r, "nobody is tagged 家庭奶爸派 yet");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM tasks"), 2);
    fx_close(&f);
}

TEST(a_poll_limited_to_a_tag_and_its_results_split_by_tag)
{
    struct fx f;
    setup(&f);
    CHECK_INT(fx_say(&f, "g1", "op", T0 + 20, "/poll new 哪条路线？ | 川西 | 青海 --tag 周末越野派"), 0);
    CHECK_INT(fx_say(&f, "g1", "op", T0 + 21, "/poll new Colour? | red | blue"), 0);
    free(fx_replies(&f));
    CHECK_INT(fx_say(&f, "g1", "carol", T0 + 22, "/vote 1 1"), 0);
    char *r = replies(&f);
    CHECK_CONTAINS(r, "Poll #1 is open to members tagged 周末越野派 only.");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM poll_votes"), 0);
    CHECK_INT(fx_say(&f, "g1", "alice", T0 + 23, "/vote 1 1"), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM poll_votes"), 1);
    /* the open poll: alice and bob (tagged) red, carol blue, dave red */
    const char *votes[][2] = {{"alice", "/vote 2 1"}, {"bob", "/vote 2 1"}, {"carol", "/vote 2 2"}, {"dave", "/vote 2 1"}};
    for (int i = 0; i < 4; i++)
        CHECK_INT(fx_say(&f, "g1", votes[i][0], T0 + 30 + i, votes[i][1]), 0);
    free(fx_replies(&f));
    CHECK_INT(fx_say(&f, "g1", "op", T0 + 40, "/poll results 2 --by tag"), 0);
    CHECK_INT(fx_say(&f, "g1", "op", T0 + 41, "/poll results 2 --by colour"), 0);
    r = replies(&f);
    CHECK_CONTAINS(r, "Poll #2 by tag");
    CHECK_CONTAINS(r, "周末越野派 · 2 voters\n1. red\n   ██████████ 100% (2)\n2. blue\n   ░░░░░░░░░░ 0% (0)");
    CHECK_CONTAINS(r, "城市通勤派 · 1 voter\n1. red\n   ░░░░░░░░░░ 0% (0)\n2. blue\n   ██████████ 100% (1)");
    CHECK_CONTAINS(r, "no tag · 1 voter\n1. red\n   ██████████ 100% (1)");
    CHECK_CONTAINS(r, "Usage: /poll results|reasons id --by level|pool|tag");
    free(r);
    fx_close(&f);
}

TEST(anonymous_split_hides_small_groups)
{
    struct fx f;
    setup(&f);
    CHECK_INT(fx_say(&f, "g1", "op", T0 + 20, "/poll new Colour? | red | blue --anonymous"), 0);
    const char *who[] = {"alice", "bob", "carol"};
    for (int i = 0; i < 3; i++)
        CHECK_INT(fx_say(&f, "g1", who[i], T0 + 30 + i, "/vote 1 1"), 0);
    free(fx_replies(&f));
    CHECK_INT(fx_say(&f, "g1", "op", T0 + 40, "/poll results 1 --by 标签"), 0);
    char *r = replies(&f);
    CHECK(strstr(r, "周末越野派 ·") == NULL); /* 2 voters: would tell how they voted */
    CHECK(strstr(r, "城市通勤派 ·") == NULL);
    CHECK_CONTAINS(r, "smaller layers, merged · 3 voters"); /* together they hide each other */
    free(r);
    fx_close(&f);
}

TEST(stats_split_by_tag)
{
    struct fx f;
    setup(&f);
    CHECK_INT(fx_say(&f, "g1", "op", T0 + 20, "/stats --by tag"), 0);
    CHECK_INT(fx_say(&f, "g1", "op", T0 + 21, "/stats tag"), 0);
    CHECK_INT(fx_say(&f, "g1", "op", T0 + 22, "/stats --by level"), 0);
    char *r = replies(&f);
    CHECK_CONTAINS(r, "周末越野派: 2 members · 2 active · 2 check-ins · 0 tasks");
    CHECK_CONTAINS(r, "城市通勤派: 1 members · 1 active · 1 check-ins · 0 tasks");
    CHECK_CONTAINS(r, "(no tag): 2 members · 2 active · 1 check-ins · 0 tasks"); /* dave and op */
    CHECK_CONTAINS(r, "Cannot split by level");
    free(r);
    fx_close(&f);
}

/* One message on platform in chat (private when dm), as role. */
static int say_on(struct fx *f, const char *platform, const char *chat, int dm, const char *user, int role,
                  int64_t t, const char *text)
{
    char id[32];
    snprintf(id, sizeof id, "x%d", ++f->next_msg);
    struct kb_event ev = {.kind = KB_EV_MESSAGE, .platform = platform, .chat_id = chat,
                          .chat_type = dm ? KB_CHAT_PRIVATE : KB_CHAT_GROUP, .user_id = user,
                          .user_name = user, .user_handle = user, .role = (enum kb_role)role,
                          .message_id = id, .time = t, .text = text, .bot_username = "kocbot"};
    return engine_apply(f->e, &ev, 1, NULL, NULL, t);
}

/* The 8-character code after "<code>" in the pending replies on platform. */
static void code_from(struct fx *f, const char *platform, char code[9])
{
    const char *saved = f->platform;
    f->platform = platform;
    char *r = fx_replies(f);
    f->platform = saved;
    const char *p = r ? strstr(r, "<code>") : NULL;
    snprintf(code, 9, "%s", p ? p + 6 : "");
    free(r);
}

TEST(tags_follow_an_identity_link_and_go_back_with_the_unlink)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    char code[9], typed[64];
    CHECK_INT(say_on(&f, "console", "g1", 0, "op", 0, T0, "/community link"), 0);
    code_from(&f, "console", code);
    snprintf(typed, sizeof typed, "/community join %s", code);
    CHECK_INT(say_on(&f, "p2", "g2", 0, "admin", KB_ROLE_CHAT_ADMIN, T0 + 1, typed), 0);
    CHECK_INT(say_on(&f, "console", "g1", 0, "alice", 0, T0 + 2, "/checkin"), 0);
    CHECK_INT(say_on(&f, "p2", "g2", 0, "alice", 0, T0 + 3, "/checkin"), 0);
    snprintf(typed, sizeof typed, "/tag add Explorer #%lld",
             (long long)fx_i64(&f, "SELECT id FROM members WHERE platform = 'console' AND user_id = 'alice'"));
    CHECK_INT(say_on(&f, "console", "g1", 0, "op", 0, T0 + 4, typed), 0);
    snprintf(typed, sizeof typed, "/tag add Commuter #%lld",
             (long long)fx_i64(&f, "SELECT id FROM members WHERE platform = 'p2' AND user_id = 'alice'"));
    CHECK_INT(say_on(&f, "console", "g1", 0, "op", 0, T0 + 5, typed), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(DISTINCT member_id) FROM member_tags"), 2);
    free(fx_replies(&f));
    CHECK_INT(say_on(&f, "console", "alice", 1, "alice", 0, T0 + 6, "/me link p2:alice"), 0);
    code_from(&f, "console", code);
    snprintf(typed, sizeof typed, "/me link %s", code);
    CHECK_INT(say_on(&f, "p2", "g2", 0, "alice", 0, T0 + 7, typed), 0);
    int64_t primary = fx_i64(&f, "SELECT primary_id FROM identity_links");
    CHECK(primary > 0);
    CHECK_INT(fx_i64(&f, "SELECT count(DISTINCT member_id) FROM member_tags"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM member_tags"), 2);
    CHECK_INT(fx_i64(&f, "SELECT min(member_id) = max(member_id) FROM member_tags"), 1);
    CHECK_INT(fx_i64(&f, "SELECT member_id FROM member_tags LIMIT 1"), primary);
    snprintf(typed, sizeof typed, "/identity unlink #%lld", (long long)primary);
    CHECK_INT(say_on(&f, "console", "g1", 0, "op", 0, T0 + 8, typed), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(DISTINCT member_id) FROM member_tags"), 2);
    fx_close(&f);
}

TEST_MAIN(T(tag_names), T(tags_follow_an_identity_link_and_go_back_with_the_unlink), T(operators_tag_untag_and_list), T(the_c_api_for_other_modules),
          T(a_task_limited_to_a_tag_refuses_the_others_with_the_reason),
          T(a_poll_limited_to_a_tag_and_its_results_split_by_tag), T(anonymous_split_hides_small_groups),
          T(stats_split_by_tag))
