/* Persona quizzes (core/quiz.c): the definition, scoring and its tie
   rule, typed answers, the retake interval, a quiz in the group and in a
   private chat with buttons, the card shared once, the tag moved on a
   retake and the badge paid once. */
#include <string.h>

#include "../../core/markup.h"
#include "../../core/quiz.h"
#include "../support/fixture.h"
#include "../test.h"

static const int64_t T0 = 1795392000; /* 2026-11-23 08:00 Asia/Shanghai */
#define DAY 86400

static const char *const DEF =
    "测测你是哪一款车主\n"
    "人设 城市通勤派 | 每天穿梭在城市里，效率第一 | 通勤达人\n"
    "人设 周末越野派 | 一到周末就往山里跑 | 越野先锋\n"
    "persona 家庭奶爸派 | 安全和空间最重要\n"
    "题 周末你最常去哪？\n"
    "- 商场和市区 = 城市通勤派\n"
    "- 山里、河边 = 周末越野派 2\n"
    "- 带娃去公园 = 家庭奶爸派, 城市通勤派\n"
    "q: 选车最看重什么？\n"
    "• 省油好停 ｜ 城市通勤派\n"
    "a 通过性 = 周末越野派×3\n"
    "答 后排空间 = 家庭奶爸派+2\n"
    "重测：7d";

static struct quiz_def def;

TEST(definition_parses_personas_questions_weights_and_retake)
{
    const char *err = NULL;
    CHECK_INT(quiz_definition_parse(DEF, 30 * DAY, &def, &err), 0);
    CHECK_STR(def.title, "测测你是哪一款车主");
    CHECK_INT(def.n_personas, 3);
    CHECK_STR(def.personas[1].name, "周末越野派");
    CHECK_STR(def.personas[1].badge, "越野先锋");
    CHECK_STR(def.personas[2].badge, "");
    CHECK_INT(def.n_questions, 2);
    CHECK_INT(def.questions[0].n_answers, 3);
    CHECK_STR(def.questions[1].text, "选车最看重什么？");
    CHECK_INT(def.questions[0].answers[1].weight[1], 2);
    CHECK_INT(def.questions[0].answers[2].weight[0], 1);
    CHECK_INT(def.questions[0].answers[2].weight[2], 1);
    CHECK_INT(def.questions[1].answers[0].weight[0], 1); /* full-width separator */
    CHECK_INT(def.questions[1].answers[1].weight[1], 3);
    CHECK_INT(def.questions[1].answers[2].weight[2], 2);
    CHECK_INT(def.retake_s, 7 * DAY);
    /* without a retake line: the configured default */
    CHECK_INT(quiz_definition_parse("T\npersona A | a\npersona B | b\nq ?\n- x = A\n- y = B", 30 * DAY, &def, &err), 0);
    CHECK_INT(def.retake_s, 30 * DAY);
    CHECK_INT(quiz_definition_parse("T\npersona A | a\npersona B | b\nq ?\n- x = A\n- y = B\nretake never", 1, &def, &err), 0);
    CHECK_INT(def.retake_s, -1);
}

TEST(bad_definitions_are_refused_with_the_reason)
{
    static const struct { const char *text, *key, *what; } cases[] = {
        {"", "quiz.err_title", ""},
        {"T\npersona A | a\nq ?\n- x = A\n- y = A", "quiz.err_personas_count", ""},
        {"T\npersona A | a\npersona B | b\nq ?\n- x = A\n- y = C", "quiz.err_unknown_persona", "C"},
        {"T\npersona A | a\npersona B | b\nq ?\n- x = A\n- y = A", "quiz.err_unreachable", "B"},
        {"T\npersona A | a\npersona B | b\nq ?\n- x = A, B", "quiz.err_answers_count", "?"},
        {"T\npersona A | a\npersona B | b\n- x = A\nq ?", "quiz.err_answer_first", "x = A"},
        {"T\npersona A B | a\npersona C | b", "quiz.err_persona_name", "A B"},
        {"T\npersona A | a\npersona A | b", "quiz.err_persona_twice", "A"},
        {"T\npersona A\npersona B | b", "quiz.err_persona_text", "A"},
        {"T\npersona A | a\npersona B | b\nq ?\n- x = A 11\n- y = B", "quiz.err_weight", "A 11"},
        {"T\npersona A | a\npersona B | b\nq ?\n- x\n- y = B", "quiz.err_weights", "x"},
        {"T\npersona A | a\npersona B | b\nq ?\n- x = A\n- y = B\nretake soon", "quiz.err_retake", "soon"},
        {"T\npersona A | a\npersona B | b\nhello there", "quiz.err_line", "hello there"},
        {"T\npersona A | a\npersona B | b\nq ?\n- 1 = A\n- 2 = A\n- 3 = A\n- 4 = B\n- 5 = B\n- 6 = B\n- 7 = B",
         "quiz.err_answers_count", "?"},
        {"T\xff\npersona A | a", "quiz.err_bad_text", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *err = NULL;
        if (quiz_definition_parse(cases[i].text, 0, &def, &err) != KB_EINVAL)
            TEST_FAIL("case %zu was accepted", i);
        CHECK_STR(err, cases[i].key);
        CHECK_STR(def.err_detail, cases[i].what);
    }
}

TEST(the_highest_total_wins_ties_go_to_more_answers_then_the_first_defined)
{
    int64_t scores[3] = {2, 5, 1}, hits[3] = {2, 2, 1};
    CHECK_INT(quiz_pick(scores, hits, 3), 1);
    int64_t tie_s[3] = {4, 4, 1}, tie_h[3] = {1, 3, 1}; /* B got points from more answers */
    CHECK_INT(quiz_pick(tie_s, tie_h, 3), 1);
    int64_t even_s[3] = {1, 4, 4}, even_h[3] = {1, 2, 2}; /* fully tied: the one defined first */
    CHECK_INT(quiz_pick(even_s, even_h, 3), 1);
    int64_t zero[3] = {0, 0, 0};
    CHECK_INT(quiz_pick(zero, zero, 3), 0);
}

TEST(typed_answers_take_digits_letters_and_full_width)
{
    CHECK_INT(quiz_answer_parse("2", 3), 1);
    CHECK_INT(quiz_answer_parse(" B ", 3), 1);
    CHECK_INT(quiz_answer_parse("b", 3), 1);
    CHECK_INT(quiz_answer_parse("Ｂ", 3), 1);
    CHECK_INT(quiz_answer_parse("ｃ", 3), 2);
    CHECK_INT(quiz_answer_parse("３", 3), 2);
    CHECK_INT(quiz_answer_parse("A.", 3), 0);
    CHECK_INT(quiz_answer_parse("1、", 3), 0);
    CHECK_INT(quiz_answer_parse("D", 3), -1);
    CHECK_INT(quiz_answer_parse("4", 3), -1);
    CHECK_INT(quiz_answer_parse("0", 3), -1);
    CHECK_INT(quiz_answer_parse("BB", 3), -1);
    CHECK_INT(quiz_answer_parse("ok", 3), -1);
    CHECK_INT(quiz_answer_parse("", 3), -1);
}

TEST(retake_waits_for_the_interval)
{
    CHECK_INT(quiz_retake_wait(T0 + 10, T0, 0), 0);
    CHECK_INT(quiz_retake_wait(T0 + 3600, T0, 7 * DAY), 7 * DAY - 3600);
    CHECK_INT(quiz_retake_wait(T0 + 7 * DAY, T0, 7 * DAY), 0);
    CHECK_INT(quiz_retake_wait(T0 + 365 * DAY, T0, -1), -1);
}

/* ==== through the engine ================================================= */

static int ev_id;

/* A message (or, with data, a button press) from user in chat. */
static int send_ev(struct fx *f, const char *chat, int private_chat, const char *user, int64_t t, const char *text,
                   int press)
{
    char mid[32], cb[32];
    snprintf(mid, sizeof mid, "q%d", ++ev_id);
    snprintf(cb, sizeof cb, "cb%d", ev_id);
    struct kb_event ev = {.kind = press ? KB_EV_CALLBACK : KB_EV_MESSAGE, .platform = "console", .chat_id = chat,
                          .chat_type = private_chat ? KB_CHAT_PRIVATE : KB_CHAT_GROUP, .user_id = user,
                          .user_name = user, .user_handle = user, .message_id = mid, .time = t,
                          .text = press ? NULL : text, .callback_id = press ? cb : NULL,
                          .callback_data = press ? text : NULL, .bot_username = "kocbot"};
    return engine_apply(f->e, &ev, 1, NULL, NULL, t);
}

/* The pending replies as plain text (tags and isolates dropped). */
static char *replies(struct fx *f)
{
    char *r = fx_replies(f);
    char *plain = markup_plain_dup(r, 0, MARKUP_DROP_ISOLATES);
    free(r);
    return plain;
}

static void define(struct fx *f)
{
    char text[2048];
    snprintf(text, sizeof text, "/quiz new %s", DEF);
    CHECK_INT(fx_say(f, "g1", "op", T0, text), 0);
    char *r = replies(f);
    CHECK_CONTAINS(r, "Quiz #1");
    free(r);
}

static int64_t count(struct fx *f, const char *sql)
{
    return fx_i64(f, sql);
}

TEST(a_quiz_in_the_group_gives_a_card_a_tag_and_the_badge)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    define(&f);
    CHECK_INT(fx_say(&f, "g1", "alice", T0 + 10, "/quiz"), 0);
    char *r = replies(&f);
    CHECK_CONTAINS(r, "Question 1/2");
    CHECK_CONTAINS(r, "C. 带娃去公园");
    free(r);
    /* the buttons carry the session, the question and the answer */
    CHECK_INT(count(&f, "SELECT count(*) FROM outbox WHERE buttons LIKE '%/quiz answer 1 1 3%'"), 1);
    /* someone else's "B" is chatter; an out-of-range letter is refused */
    CHECK_INT(fx_say(&f, "g1", "bob", T0 + 11, "B"), 0);
    r = replies(&f);
    CHECK_STR(r, "");
    free(r);
    CHECK_INT(fx_say(&f, "g1", "alice", T0 + 12, "/quiz F"), 0);
    r = replies(&f);
    CHECK_CONTAINS(r, "Choose A–C");
    free(r);
    CHECK_INT(fx_say(&f, "g1", "alice", T0 + 13, "Ｂ"), 0);
    r = replies(&f);
    CHECK_CONTAINS(r, "Question 2/2");
    free(r);
    CHECK_INT(fx_say(&f, "g1", "alice", T0 + 14, "2"), 0);
    r = replies(&f);
    CHECK_CONTAINS(r, "alice is 周末越野派!");
    CHECK_CONTAINS(r, "📊 周末越野派 5");
    CHECK_CONTAINS(r, "New badge: 越野先锋");
    free(r);
    CHECK_INT(count(&f, "SELECT count(*) FROM member_tags WHERE tag = '周末越野派' AND source = 'quiz:1'"), 1);
    CHECK_INT(count(&f, "SELECT count(*) FROM ledger WHERE kind = 'badge' AND unit = '越野先锋' AND reason = 'quiz'"), 1);
    CHECK_INT(count(&f, "SELECT count(*) FROM quiz_results WHERE shared_at IS NOT NULL"), 1); /* posted in the group */
    /* a "1" from someone the bot never met makes no member */
    CHECK_INT(fx_say(&f, "g1", "lurker", T0 + 15, "1"), 0);
    CHECK_INT(fx_say(&f, "g9", "lurker", T0 + 15, "1"), 0);
    CHECK_INT(count(&f, "SELECT count(*) FROM members WHERE user_id = 'lurker'"), 0);
    CHECK_INT(count(&f, "SELECT count(*) FROM chats WHERE chat_id = 'g9'"), 0);
    /* a typed answer after the end is chatter again */
    CHECK_INT(fx_say(&f, "g1", "alice", T0 + 15, "A"), 0);
    r = replies(&f);
    CHECK_STR(r, "");
    free(r);
    fx_close(&f);
}

TEST(retake_waits_moves_the_tag_and_never_doubles_the_badge)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    define(&f);
    const char *seq[] = {"/quiz", "B", "B"};
    for (int i = 0; i < 3; i++)
        CHECK_INT(fx_say(&f, "g1", "alice", T0 + i, seq[i]), 0);
    free(replies(&f));
    /* within the 7 days: refused with the date */
    CHECK_INT(fx_say(&f, "g1", "alice", T0 + 6 * DAY, "/quiz 1"), 0);
    char *r = replies(&f);
    CHECK_CONTAINS(r, "you can retake it from 2026-11-30 08:00");
    free(r);
    CHECK_INT(count(&f, "SELECT count(*) FROM quiz_sessions"), 1);
    /* a week later: the same persona again, the badge stays single */
    for (int i = 0; i < 3; i++)
        CHECK_INT(fx_say(&f, "g1", "alice", T0 + 7 * DAY + 10 + i, seq[i]), 0);
    r = replies(&f);
    CHECK_CONTAINS(r, "Retaking");
    CHECK_CONTAINS(r, "Badge 越野先锋 (already yours)");
    free(r);
    CHECK_INT(count(&f, "SELECT count(*) FROM ledger WHERE kind = 'badge'"), 1);
    CHECK_INT(count(&f, "SELECT count(*) FROM member_tags"), 1);
    /* another week: a different persona; the tag moves, the old badge stays */
    const char *city[] = {"/quiz", "A", "A"};
    for (int i = 0; i < 3; i++)
        CHECK_INT(fx_say(&f, "g1", "alice", T0 + 14 * DAY + 20 + i, city[i]), 0);
    r = replies(&f);
    CHECK_CONTAINS(r, "alice is 城市通勤派!");
    CHECK_CONTAINS(r, "New badge: 通勤达人");
    free(r);
    CHECK_INT(count(&f, "SELECT count(*) FROM member_tags WHERE tag = '城市通勤派'"), 1);
    CHECK_INT(count(&f, "SELECT count(*) FROM member_tags WHERE tag = '周末越野派'"), 0);
    CHECK_INT(count(&f, "SELECT count(*) FROM ledger WHERE kind = 'badge'"), 2);
    CHECK_INT(count(&f, "SELECT count(*) FROM quiz_results"), 3);
    fx_close(&f);
}

TEST(an_operator_tag_of_the_same_name_and_a_granted_badge_are_kept)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    define(&f);
    CHECK_INT(fx_say(&f, "g1", "alice", T0, "/checkin"), 0);
    CHECK_INT(fx_say(&f, "g1", "op", T0 + 1, "/tag add 周末越野派 @alice"), 0);
    CHECK_INT(fx_say(&f, "g1", "op", T0 + 2, "/grant badge 越野先锋 @alice"), 0);
    const char *seq[] = {"/quiz", "B", "B"};
    for (int i = 0; i < 3; i++)
        CHECK_INT(fx_say(&f, "g1", "alice", T0 + 3 + i, seq[i]), 0);
    char *r = replies(&f);
    CHECK_CONTAINS(r, "Badge 越野先锋 (already yours)");
    free(r);
    CHECK_INT(count(&f, "SELECT count(*) FROM ledger WHERE kind = 'badge'"), 1); /* the grant only */
    CHECK_INT(count(&f, "SELECT count(*) FROM member_tags WHERE source = 'operator'"), 1);
    /* a retake to another persona takes no tag the operator gave */
    const char *city[] = {"/quiz", "A", "A"};
    for (int i = 0; i < 3; i++)
        CHECK_INT(fx_say(&f, "g1", "alice", T0 + 8 * DAY + i, city[i]), 0);
    CHECK_INT(count(&f, "SELECT count(*) FROM member_tags WHERE tag = '周末越野派'"), 1);
    CHECK_INT(count(&f, "SELECT count(*) FROM member_tags WHERE tag = '城市通勤派'"), 1);
    fx_close(&f);
}

TEST(in_a_private_chat_with_buttons_and_the_card_shared_once)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    define(&f);
    /* a private chat opened before alice spoke in the group belongs to
       another community: the quiz stays in the group */
    CHECK_INT(send_ev(&f, "alice-old", 1, "alice", T0 - 60, "/start", 0), 0);
    CHECK_INT(send_ev(&f, "g1", 0, "alice", T0 - 30, "/quiz", 0), 0);
    char *r = replies(&f);
    CHECK_CONTAINS(r, "Question 1/2");
    free(r);
    CHECK_INT(send_ev(&f, "g1", 0, "alice", T0 - 20, "/quiz stop", 0), 0);
    /* then she writes to the bot privately */
    CHECK_INT(send_ev(&f, "alice", 1, "alice", T0, "/start", 0), 0);
    CHECK_INT(send_ev(&f, "g1", 0, "alice", T0 + 1, "/quiz", 0), 0);
    r = replies(&f);
    CHECK_CONTAINS(r, "I sent you “测测你是哪一款车主” in a private chat");
    free(r);
    CHECK_INT(count(&f, "SELECT count(*) FROM outbox WHERE chat_id = 'alice' AND text LIKE '%Question 1/2%'"), 1);
    /* bob presses alice's button in the group: refused, nothing taken */
    CHECK_INT(send_ev(&f, "g1", 0, "bob", T0 + 2, "/quiz answer 2 1 1", 1), 0);
    r = replies(&f);
    CHECK_CONTAINS(r, "someone else's quiz");
    free(r);
    CHECK_INT(count(&f, "SELECT count(*) FROM quiz_answers"), 0);
    CHECK_INT(send_ev(&f, "alice", 1, "alice", T0 + 3, "/quiz answer 2 1 3", 1), 0);
    r = replies(&f);
    CHECK_CONTAINS(r, "Chose C");
    CHECK_CONTAINS(r, "Question 2/2");
    free(r);
    /* the first question's button again: stale, nothing changes */
    CHECK_INT(send_ev(&f, "alice", 1, "alice", T0 + 4, "/quiz answer 2 1 1", 1), 0);
    r = replies(&f);
    CHECK_CONTAINS(r, "already answered");
    free(r);
    CHECK_INT(count(&f, "SELECT count(*) FROM quiz_answers"), 1);
    CHECK_INT(send_ev(&f, "alice", 1, "alice", T0 + 5, "c", 0), 0); /* typed in the private chat */
    r = replies(&f);
    CHECK_CONTAINS(r, "alice is 家庭奶爸派!");
    CHECK_CONTAINS(r, "Want the group to see it?");
    free(r);
    CHECK_INT(count(&f, "SELECT count(*) FROM outbox WHERE chat_id = 'alice' AND buttons LIKE '%/quiz share 1%'"), 1);
    CHECK_INT(count(&f, "SELECT count(*) FROM outbox WHERE chat_id = 'g1' AND text LIKE '%安全和空间最重要%'"), 0);
    CHECK_INT(send_ev(&f, "alice", 1, "alice", T0 + 6, "/quiz share 1", 1), 0);
    r = replies(&f);
    CHECK_CONTAINS(r, "Shared in the group");
    free(r);
    CHECK_INT(count(&f, "SELECT count(*) FROM outbox WHERE chat_id = 'g1' AND text LIKE '%安全和空间最重要%'"), 1);
    CHECK_INT(send_ev(&f, "alice", 1, "alice", T0 + 7, "/quiz share", 0), 0);
    r = replies(&f);
    CHECK_CONTAINS(r, "already shared");
    free(r);
    CHECK_INT(count(&f, "SELECT count(*) FROM outbox WHERE chat_id = 'g1' AND text LIKE '%安全和空间最重要%'"), 1);
    fx_close(&f);
}

TEST(a_closed_quiz_takes_no_one_and_ends_the_ones_under_way)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    define(&f);
    CHECK_INT(fx_say(&f, "g1", "alice", T0 + 1, "/quiz"), 0);
    CHECK_INT(fx_say(&f, "g1", "op", T0 + 2, "/quiz close 1"), 0);
    CHECK_INT(fx_say(&f, "g1", "bob", T0 + 3, "/quiz 1"), 0);
    char *r = replies(&f);
    CHECK_CONTAINS(r, "is closed; quizzes under way ended");
    CHECK_CONTAINS(r, "Quiz #1 “测测你是哪一款车主” is closed.");
    free(r);
    CHECK_INT(fx_say(&f, "g1", "alice", T0 + 4, "B"), 0); /* no longer under way: chatter */
    r = replies(&f);
    CHECK_STR(r, "");
    free(r);
    CHECK_INT(count(&f, "SELECT count(*) FROM quiz_answers"), 0);
    fx_close(&f);
}

TEST(a_quiz_under_way_follows_its_group_to_the_supergroup)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    define(&f);
    CHECK_INT(fx_say(&f, "g1", "alice", T0 + 1, "/quiz"), 0);
    struct kb_event mig = {.kind = KB_EV_CHAT_MIGRATED, .platform = "console", .chat_id = "g1",
                           .new_chat_id = "-100g1", .time = T0 + 2};
    CHECK_INT(engine_apply(f.e, &mig, 1, NULL, NULL, T0 + 2), 0);
    free(replies(&f));
    CHECK_INT(fx_say(&f, "-100g1", "alice", T0 + 3, "B"), 0);
    char *r = replies(&f);
    CHECK_CONTAINS(r, "Question 2/2");
    free(r);
    CHECK_INT(count(&f, "SELECT count(*) FROM quiz_sessions WHERE chat_id = '-100g1' AND group_chat = '-100g1'"), 1);
    fx_close(&f);
}

TEST_MAIN(T(definition_parses_personas_questions_weights_and_retake), T(a_quiz_under_way_follows_its_group_to_the_supergroup), T(bad_definitions_are_refused_with_the_reason),
          T(the_highest_total_wins_ties_go_to_more_answers_then_the_first_defined),
          T(typed_answers_take_digits_letters_and_full_width), T(retake_waits_for_the_interval),
          T(a_quiz_in_the_group_gives_a_card_a_tag_and_the_badge),
          T(retake_waits_moves_the_tag_and_never_doubles_the_badge),
          T(an_operator_tag_of_the_same_name_and_a_granted_badge_are_kept),
          T(in_a_private_chat_with_buttons_and_the_card_shared_once),
          T(a_closed_quiz_takes_no_one_and_ends_the_ones_under_way))
