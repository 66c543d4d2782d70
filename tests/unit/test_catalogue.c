/* Catalogue-wide promises: every member command answers to its Chinese
   alias, unknown commands are answered in either form. */
#include "../test.h"
#include "../support/fixture.h"

static const int64_t T0 = 1795391940;

TEST(every_member_command_has_a_chinese_alias_that_dispatches)
{
    struct fx f;
    fx_open(&f, NULL, "zh-CN");
    for (size_t m = 0; m < kb_n_modules; m++) {
        for (size_t i = 0; i < kb_modules[m]->n_commands; i++) {
            const struct cmd_spec *s = &kb_modules[m]->commands[i];
            if (s->flags & (CMD_OPERATOR | CMD_LEDGER | CMD_HIDDEN))
                continue;
            if (!s->alias)
                TEST_FAIL("/%s has no Chinese alias", s->name);
            char by_name[64], by_alias[64];
            snprintf(by_name, sizeof by_name, "/%s", s->name);
            snprintf(by_alias, sizeof by_alias, "/%s", s->alias);
            CHECK_INT(fx_say(&f, "g", "alice", T0, by_name), 0);
            char *a = fx_replies(&f);
            CHECK_INT(fx_say(&f, "g", "alice", T0, by_alias), 0);
            char *b = fx_replies(&f);
            if (strstr(b, "没有 /"))
                TEST_FAIL("/%s is not understood: %s", s->alias, b);
            if (s->fn != NULL && strcmp(s->name, "checkin") != 0 && strcmp(a, b) != 0)
                TEST_FAIL("/%s answered \"%s\" but /%s \"%s\"", s->name, a, s->alias, b);
            free(a);
            free(b);
        }
    }
    fx_close(&f);
}

TEST(unknown_commands_are_answered_in_both_forms)
{
    struct fx f;
    fx_open(&f, NULL, "zh-CN");
    CHECK_INT(fx_say(&f, "g", "alice", T0, "/nosuch"), 0);
    char *r = fx_replies(&f);
    CHECK_CONTAINS(r, "没有 /nosuch");
    free(r);
    CHECK_INT(fx_say(&f, "g", "alice", T0, "/没有这个"), 0);
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "没有 /没有这个");
    free(r);
    CHECK_INT(fx_say(&f, "g", "alice", T0, "/补签"), 0);
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "没有补签");
    free(r);
    fx_close(&f);
}

TEST_MAIN(T(every_member_command_has_a_chinese_alias_that_dispatches),
          T(unknown_commands_are_answered_in_both_forms))
