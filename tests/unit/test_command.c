/* Command parsing: addressing, spacing, case, triggers, limits, bad UTF-8. */
#include "../test.h"

#include "../../core/command.h"

static char *triggers[] = {"签到", "打卡"};

static enum command_status parse(const char *text, struct command *c)
{
    return command_parse(text, "OurBot", triggers, 2, c);
}

TEST(plain_command_and_args)
{
    struct command c;
    CHECK_INT(parse("/checkin", &c), COMMAND_OK);
    CHECK_STR(c.name, "checkin");
    CHECK_STR(c.args, "");
    command_clear(&c);
    CHECK_INT(parse("/vote 3 2  because   it's bright  ", &c), COMMAND_OK);
    CHECK_STR(c.name, "vote");
    CHECK_STR(c.args, "3 2  because   it's bright");
    command_clear(&c);
}

TEST(addressed_commands)
{
    struct command c;
    CHECK_INT(parse("/checkin@OtherBot", &c), COMMAND_NOT_OURS);
    CHECK_INT(parse("/checkin@OurBot", &c), COMMAND_OK);
    command_clear(&c);
    CHECK_INT(parse("/checkin@ourbot hi", &c), COMMAND_OK); /* usernames ignore case */
    CHECK_STR(c.args, "hi");
    command_clear(&c);
    CHECK_INT(command_parse("/checkin@anything", NULL, NULL, 0, &c), COMMAND_OK);
    command_clear(&c);
}

TEST(spaces_case_and_fullwidth)
{
    struct command c;
    CHECK_INT(parse("   /CheckIn   ", &c), COMMAND_OK);
    CHECK_STR(c.name, "checkin");
    command_clear(&c);
    CHECK_INT(parse("\xE3\x80\x80/me\xE3\x80\x80", &c), COMMAND_OK); /* U+3000 around */
    CHECK_STR(c.name, "me");
    CHECK_STR(c.args, "");
    command_clear(&c);
    CHECK_INT(parse("/vote\xE3\x80\x80" "1\xE3\x80\x80理由", &c), COMMAND_OK);
    CHECK_STR(c.args, "1\xE3\x80\x80理由");
    command_clear(&c);
    CHECK_INT(parse("\xEF\xBC\x8Fme", &c), COMMAND_OK); /* full-width solidus */
    CHECK_STR(c.name, "me");
    command_clear(&c);
}

TEST(triggers_and_chatter)
{
    struct command c;
    CHECK_INT(parse("签到", &c), COMMAND_OK);
    CHECK_STR(c.name, "checkin");
    command_clear(&c);
    CHECK_INT(parse(" 打卡 ", &c), COMMAND_OK);
    command_clear(&c);
    CHECK_INT(parse("我要签到", &c), COMMAND_NONE);
    CHECK_INT(parse("hello", &c), COMMAND_NONE);
    CHECK_INT(parse("", &c), COMMAND_NONE);
    CHECK_INT(parse(NULL, &c), COMMAND_NONE);
    CHECK_INT(parse("/", &c), COMMAND_NONE);
    CHECK_INT(parse("/ hi", &c), COMMAND_NONE);
    CHECK_INT(parse("/me's turn", &c), COMMAND_NONE);
    CHECK_INT(parse("/path/to/file", &c), COMMAND_NONE);
}

TEST(oversized_and_invalid_text)
{
    struct command c;
    size_t n = 64 * 1024;
    char *big = malloc(n + 1);
    memset(big, 'a', n);
    memcpy(big, "/submit 1 ", 10);
    big[n] = '\0';
    CHECK_INT(parse(big, &c), COMMAND_TOO_LONG);
    memset(big, 'x', n); /* 64 KiB of chatter */
    CHECK_INT(parse(big, &c), COMMAND_NONE);
    free(big);
    CHECK_INT(parse("/checkin \xff\xfe", &c), COMMAND_BAD_UTF8);
    CHECK_INT(parse("/checkin \xed\xa0\x80", &c), COMMAND_BAD_UTF8); /* surrogate */
    CHECK_INT(parse("/checkin \xc0\xaf", &c), COMMAND_BAD_UTF8);     /* overlong */
    CHECK_INT(parse("hi \xff", &c), COMMAND_NONE);
    char name[40];
    memset(name, 'a', sizeof name);
    name[0] = '/';
    name[39] = '\0';
    CHECK_INT(parse(name, &c), COMMAND_NONE); /* absurdly long command name */
}

TEST(next_word_and_quotes)
{
    const char *p = "  one \"two words\"\xE3\x80\x80three ";
    char *w = command_next_word(&p);
    CHECK_STR(w, "one");
    free(w);
    w = command_next_word(&p);
    CHECK_STR(w, "two words");
    free(w);
    w = command_next_word(&p);
    CHECK_STR(w, "three");
    free(w);
    CHECK(command_next_word(&p) == NULL);
}

/* Phones type em/en dashes and full-width hyphens where a flag's "--" was
   meant; a dash inside the text stays. */
TEST(dashes_become_flags)
{
    struct command c;
    CHECK_INT(parse("/task new basic Wheel photo \xE2\x80\x94reward points 20 \xE2\x80\x93" "deadline 2d", &c),
              COMMAND_OK);
    CHECK_STR(c.args, "new basic Wheel photo --reward points 20 --deadline 2d");
    command_clear(&c);
    CHECK_INT(parse("/poll new Q | a | b \xEF\xBC\x8D\xEF\xBC\x8Dmulti 2 \xE2\x80\x94\xE2\x80\x94hidden", &c),
              COMMAND_OK);
    CHECK_STR(c.args, "new Q | a | b --multi 2 --hidden");
    command_clear(&c);
    CHECK_INT(parse("/vote 1 2 \xE2\x80\x93", &c), COMMAND_OK); /* a dash at the very end */
    CHECK_STR(c.args, "1 2 \xE2\x80\x93");
    command_clear(&c);
    CHECK_INT(parse("/submit 1 Wheel \xE2\x80\x94 photo \xE2\x80\x93 7", &c), COMMAND_OK);
    CHECK_STR(c.args, "1 Wheel \xE2\x80\x94 photo \xE2\x80\x93 7");
    command_clear(&c);
}

/* Full-width digits typed with a Chinese keyboard are numbers; full-width
   or ASCII sentence punctuation after a command word or trigger is ignored. */
TEST(fullwidth_digits_and_punctuation)
{
    struct command c;
    CHECK_INT(parse("/vote 1 \xEF\xBC\x92", &c), COMMAND_OK);
    CHECK_STR(c.args, "1 2");
    command_clear(&c);
    CHECK_INT(parse("/claim \xEF\xBC\x91\xEF\xBC\x90", &c), COMMAND_OK);
    CHECK_STR(c.args, "10");
    command_clear(&c);
    CHECK_INT(parse("/vote 1 \xEF\xBC\x91\xE3\x80\x81\xEF\xBC\x93", &c), COMMAND_OK); /* "１、３" */
    CHECK_STR(c.args, "1 1\xE3\x80\x81" "3");
    command_clear(&c);
    CHECK_INT(parse("/submit 1 \xEF\xBC\x91\xE5\x8F\xB7", &c), COMMAND_OK); /* "１号" is text */
    CHECK_STR(c.args, "1 \xEF\xBC\x91\xE5\x8F\xB7");
    command_clear(&c);
    CHECK_INT(parse("签到！", &c), COMMAND_OK);
    CHECK_STR(c.name, "checkin");
    command_clear(&c);
    CHECK_INT(parse("打卡!!", &c), COMMAND_OK);
    command_clear(&c);
    CHECK_INT(parse("/checkin！", &c), COMMAND_OK);
    CHECK_STR(c.name, "checkin");
    command_clear(&c);
    CHECK_INT(parse("/me。", &c), COMMAND_OK);
    command_clear(&c);
}

/* Chinese command words parse (the engine maps them to commands). */
TEST(chinese_command_names)
{
    struct command c;
    CHECK_INT(parse("/签到", &c), COMMAND_OK);
    CHECK_STR(c.name, "签到");
    command_clear(&c);
    CHECK_INT(parse("／任务 3", &c), COMMAND_OK);
    CHECK_STR(c.name, "任务");
    CHECK_STR(c.args, "3");
    command_clear(&c);
    CHECK_INT(parse("/补签！", &c), COMMAND_OK);
    CHECK_STR(c.name, "补签");
    command_clear(&c);
    CHECK_INT(parse("/投票@OurBot 1 2", &c), COMMAND_OK);
    CHECK_STR(c.name, "投票");
    command_clear(&c);
    CHECK_INT(parse("/😀", &c), COMMAND_NONE);
}

TEST_MAIN(T(plain_command_and_args), T(addressed_commands), T(spaces_case_and_fullwidth),
          T(triggers_and_chatter), T(oversized_and_invalid_text), T(next_word_and_quotes),
          T(dashes_become_flags), T(fullwidth_digits_and_punctuation), T(chinese_command_names))
