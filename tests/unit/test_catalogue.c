/* Catalogue-wide promises: every member command answers to its Chinese
   alias, unknown commands are answered in either form. */
#include "../test.h"
#include "../support/fixture.h"

#include "../../core/command.h"

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
    CHECK_CONTAINS(r, "补签"); /* the make-up command's answer (off in the fixture) */
    free(r);
    fx_close(&f);
}

/* The reply to a command shown in a usage line means "I could not read
   that" (in either locale). */
static int is_refusal(const char *r)
{
    static const char *const marks[] = {"Usage", "用法", "看不懂", "can't read", "not valid", "不对",
                                        "Unknown", "不认识", "must be", "必须", "格式"};
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
        if (strstr(r, marks[i]))
            return 1;
    return 0;
}

/* Run text as the operator and fail when it is refused. */
static void must_parse(struct fx *f, const char *key, const char *text)
{
    CHECK_INT(fx_say(f, "g", "op", T0, text), 0);
    char *r = fx_replies(f);
    if (is_refusal(r))
        TEST_FAIL("%s shows \"%s\", refused: %s", key, text, r);
    free(r);
}

/* Placeholder words of usage lines and a value that fits them. */
static const char *sample_for(const char *w)
{
    static const char *const map[][2] = {{"N", "2"}, {"NAME", "p"}, {"名称", "p"}, {"积分数", "5"},
                                         {"YYYY-MM", "2026-11"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(w, map[i][0]) == 0)
            return map[i][1];
    return w;
}

/* Every "--flag value" pair of a task or poll usage line's first command
   (up to " · /", where another subcommand with its own flags begins), tried alone. */
static void walk_flags(struct fx *f, const char *key, const char *line, const char *prefix)
{
    const char *next_cmd = strstr(line, " · /");
    for (const char *p = strstr(line, "--"); p && (!next_cmd || p < next_cmd); p = strstr(p + 2, "--")) {
        struct sbuf cmd = {0};
        sbuf_add(&cmd, prefix);
        const char *q = p;
        /* the flag and its value words, up to the next flag or the end */
        while (*q && *q != ']' && strncmp(q, "…", 3) != 0 && strncmp(q, " · ", 4) != 0) {
            const char *end = q;
            while (*end && *end != ' ' && *end != ']')
                end++;
            char word[64];
            snprintf(word, sizeof word, "%.*s", (int)(end - q), q);
            if (q != p && word[0] == '-')
                break;
            sbuf_addf(&cmd, " %s", sample_for(word));
            q = *end == ' ' ? end + 1 : end;
        }
        must_parse(f, key, cmd.s);
        sbuf_free(&cmd);
    }
}

/* Every alternative of "/cmd words [a|b|c]" tried alone. */
static void walk_alternatives(struct fx *f, const char *key, const char *line)
{
    for (const char *slash = strchr(line, '/'); slash; slash = strchr(slash + 1, '/')) {
        const char *p = slash;
        struct sbuf head = {0};
        while (*p && *p != ' ' && *p != '[')
            sbuf_addc(&head, *p++);
        while (*p == ' ' && p[1] >= 'a' && p[1] <= 'z' && !strchr("|", p[1])) { /* literal words */
            const char *end = p + 1;
            while (*end >= 'a' && *end <= 'z')
                end++;
            if (*end == '|')
                break;
            sbuf_addn(&head, p, (size_t)(end - p));
            p = end;
        }
        while (*p == ' ' && p[1] == '[' && strchr(p, ']')) {
            const char *close = strchr(p, ']');
            const char *alt = p + 2;
            if (!memchr(alt, '|', (size_t)(close - alt))) {
                p = close + 1;
                continue;
            }
            while (alt < close) {
                const char *bar = alt;
                while (bar < close && *bar != '|')
                    bar++;
                char word[64];
                snprintf(word, sizeof word, "%.*s", (int)(bar - alt), alt);
                struct sbuf cmd = {0};
                sbuf_addf(&cmd, "%s %s", head.s, sample_for(word));
                must_parse(f, key, cmd.s);
                sbuf_free(&cmd);
                alt = bar + 1;
            }
            p = close + 1;
        }
        sbuf_free(&head);
    }
}

/* The tier words of the task usage ("basic（筑基）explore（探索）…"). */
static void walk_tiers(struct fx *f, const char *key, const char *text)
{
    const char *line = strstr(text, "层级：");
    line = line ? line + strlen("层级：") : strstr(text, "Tiers: ");
    if (!line)
        return;
    if (strncmp(line, "Tiers: ", 7) == 0)
        line += 7;
    char buf[256];
    snprintf(buf, sizeof buf, "%.*s", (int)strcspn(line, "。."), line);
    static const char *const seps[] = {"（", "）", "、", ","};
    for (size_t i = 0; i < sizeof seps / sizeof seps[0]; i++)
        for (char *x; (x = strstr(buf, seps[i])) != NULL;)
            memset(x, ' ', strlen(seps[i]));
    int n = 0;
    const char *p = buf;
    for (char *w; (w = command_next_word(&p)) != NULL; n++) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "/task new %s Sample task", w);
        free(w);
        must_parse(f, key, cmd);
    }
    CHECK(n >= 4);
}

struct walk {
    struct fx *f;
    int lines;
};

static void walk_entry(const struct text_entry *e, void *ud)
{
    struct walk *w = ud;
    if (!strstr(e->key, "usage") && !strstr(e->key, "help"))
        return;
    for (int l = 0; l < 2; l++) {
        const char *text = l ? e->en : e->zh;
        if (!text)
            continue;
        w->lines++;
        walk_alternatives(w->f, e->key, text);
        if (strncmp(e->key, "task.", 5) == 0 && strstr(text, "/task new")) {
            walk_flags(w->f, e->key, text, "/task new basic Sample task");
            walk_tiers(w->f, e->key, text);
        }
        if (strncmp(e->key, "poll.", 5) == 0 && strstr(text, "/poll new"))
            walk_flags(w->f, e->key, text, "/poll new Sample? | yes | no");
    }
}

/* Every word and flag form a usage or /help line shows is accepted. */
TEST(every_usage_line_parses)
{
    const char *langs[] = {"en", "zh-CN"};
    for (int l = 0; l < 2; l++) {
        struct fx f;
        fx_open(&f, NULL, langs[l]);
        fx_say(&f, "g", "alice", T0, "/checkin");
        free(fx_replies(&f));
        struct walk w = {.f = &f};
        text_each(walk_entry, &w);
        CHECK(w.lines > 40);
        fx_close(&f);
    }
}

/* A member's /help names no operator command or subcommand; an
   operator's lists them all, the pool subcommands included. */
TEST(help_splits_member_and_operator_commands)
{
    const char *langs[] = {"en", "zh-CN"};
    for (int l = 0; l < 2; l++) {
        struct fx f;
        fx_open(&f, NULL, langs[l]);
        CHECK_INT(fx_say(&f, "g", "alice", T0, "/help"), 0);
        char *member = fx_replies(&f);
        CHECK_INT(fx_say(&f, "g", "op", T0, "/help"), 0);
        char *op = fx_replies(&f);
        for (size_t m = 0; m < kb_n_modules; m++) {
            for (size_t i = 0; i < kb_modules[m]->n_commands; i++) {
                const struct cmd_spec *s = &kb_modules[m]->commands[i];
                char name[48];
                snprintf(name, sizeof name, "/%s ", s->name);
                if ((s->flags & (CMD_OPERATOR | CMD_LEDGER)) && strstr(member, name))
                    TEST_FAIL("member /help shows %s: %s", name, member);
                if (s->help_key && !(s->flags & CMD_HIDDEN) && !strstr(op, name))
                    TEST_FAIL("operator /help lacks %s", name);
            }
        }
        static const char *const op_only[] = {"/task new", "/level set", "/pool new|add|remove",
                                              "accept|decline", "/review", "operator", "运营"};
        for (size_t i = 0; i < sizeof op_only / sizeof op_only[0]; i++) {
            if (strstr(member, op_only[i]))
                TEST_FAIL("member /help shows \"%s\": %s", op_only[i], member);
            if (i < 5 && !strstr(op, op_only[i]))
                TEST_FAIL("operator /help lacks \"%s\"", op_only[i]);
        }
        free(member);
        free(op);
        /* a member asking for an operator's subcommand gets no operator usage */
        CHECK_INT(fx_say(&f, "g", "alice", T0, "/level foo"), 0);
        member = fx_replies(&f);
        CHECK(strstr(member, "/level set") == NULL);
        free(member);
        fx_close(&f);
    }
}

/* A phone's dashes and a Chinese keyboard's digits reach every command's
   parser as "--" and ASCII digits. */
/* /help walks the subcommand tables: a member command whose table declares
   operator (or configured-operator) subcommands has the help line that
   lists them, and an operator's /help shows it. */
TEST(help_lists_the_declared_operator_subcommands)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    CHECK_INT(fx_say(&f, "g1", "op", T0, "/help"), 0);
    char *r = fx_replies(&f);
    for (size_t m = 0; m < kb_n_modules; m++)
        for (size_t i = 0; i < kb_modules[m]->n_subs; i++) {
            const struct cmd_sub *sub = &kb_modules[m]->subs[i];
            const struct cmd_spec *host = NULL;
            for (size_t k = 0; k < kb_modules[m]->n_commands; k++)
                if (!strcmp(kb_modules[m]->commands[k].name, sub->host))
                    host = &kb_modules[m]->commands[k];
            if (!host || (host->flags & (CMD_OPERATOR | CMD_LEDGER)) ||
                !(sub->flags & (CMD_OPERATOR | CMD_LEDGER)))
                continue;
            char key[96], line[64];
            snprintf(key, sizeof key, "%s%s", host->help_key, sub->flags & CMD_LEDGER ? ".ledger" : ".op");
            if (!text_has(key))
                TEST_FAIL("/%s %s is declared for operators but %s is missing", sub->host, sub->name, key);
            snprintf(line, sizeof line, "/%s ", sub->host);
            if (!strstr(r, line) || !strstr(r, sub->name))
                TEST_FAIL("an operator's /help does not show /%s %s", sub->host, sub->name);
        }
    free(r);
    fx_close(&f);
}

TEST(phone_dashes_and_fullwidth_digits_reach_the_commands)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    CHECK_INT(fx_say(&f, "g", "op", T0, "/task new basic Wheel photo \xE2\x80\x94reward points 20 \xE2\x80\x93" "deadline 2d"), 0);
    CHECK_INT(fx_say(&f, "g", "op", T0, "/poll new Best? | a | b \xEF\xBC\x8D\xEF\xBC\x8Dmulti 2 \xE2\x80\x94\xE2\x80\x94hidden"), 0);
    CHECK_INT(fx_say(&f, "g", "op", T0, "/schedule greet 08:00 \xE2\x80\x94" "days mon-fri Hi"), 0);
    free(fx_replies(&f));
    CHECK_INT(fx_i64(&f, "SELECT points FROM tasks WHERE id = 1"), 20);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM tasks WHERE title = 'Wheel photo' AND deadline IS NOT NULL"), 1);
    CHECK_INT(fx_i64(&f, "SELECT max_choices * 10 + hidden FROM polls WHERE id = 1"), 21);
    CHECK_INT(fx_i64(&f, "SELECT days FROM schedules WHERE template = 'Hi'"), 0x3E);
    CHECK_INT(fx_say(&f, "g", "alice", T0, "/vote 1 \xEF\xBC\x92"), 0);
    CHECK_INT(fx_say(&f, "g", "alice", T0, "/claim \xEF\xBC\x91"), 0);
    free(fx_replies(&f));
    CHECK_INT(fx_i64(&f, "SELECT choices FROM poll_votes"), 2); /* option 2 = bit 1 */
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM claims WHERE task_id = 1"), 1);
    fx_close(&f);
}

TEST_MAIN(T(every_member_command_has_a_chinese_alias_that_dispatches), T(help_lists_the_declared_operator_subcommands),
          T(unknown_commands_are_answered_in_both_forms), T(every_usage_line_parses),
          T(help_splits_member_and_operator_commands), T(phone_dashes_and_fullwidth_digits_reach_the_commands))
