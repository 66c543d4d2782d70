/* Abuse: an ordinary member tries every operator command of every module
   and every operator subcommand the modules' tables declare (/task, /poll,
   /schedule, /pool, /level, /community, /identity, /streak); every one is refused
   and no table that holds state changes. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/modules.h"
#include "../support/fixture.h"
#include "../test.h"

static const int64_t T0 = 1795392000; /* 2026-11-23 08:00 Asia/Shanghai */

/* Tables a refused command may legitimately touch: who was seen, what was
   processed, what was answered. */
static int volatile_table(const char *name)
{
    static const char *const skip[] = {"processed", "members", "outbox"};
    for (size_t i = 0; i < KB_COUNT(skip); i++)
        if (strcmp(name, skip[i]) == 0)
            return 1;
    return 0;
}

/* FNV-1a over every row of every state table, in rowid/primary-key order. */
static uint64_t state_hash(struct fx *f)
{
    sqlite3 *db = store_db(f->e->st);
    sqlite3_stmt *t = NULL;
    uint64_t h = 1469598103934665603ull;
    if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table'"
                               " AND name NOT LIKE 'sqlite_%' ORDER BY name", -1, &t, NULL) != SQLITE_OK)
        return 0;
    while (sqlite3_step(t) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(t, 0);
        if (volatile_table(name))
            continue;
        char sql[200];
        snprintf(sql, sizeof sql, "SELECT * FROM \"%s\" ORDER BY 1, 2", name);
        sqlite3_stmt *r = NULL;
        if (sqlite3_prepare_v2(db, sql, -1, &r, NULL) != SQLITE_OK)
            continue;
        for (const char *p = name; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ull;
        while (sqlite3_step(r) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(r); c++) {
                const unsigned char *v = sqlite3_column_text(r, c);
                for (const unsigned char *p = v ? v : (const unsigned char *)"\x01"; *p; p++)
                    h = (h ^ *p) * 1099511628211ull;
                h = (h ^ 0x1f) * 1099511628211ull;
            }
        }
        sqlite3_finalize(r);
    }
    sqlite3_finalize(t);
    return h;
}

static const char *const ARGS[] = {
    "", "1", "2", "list", "show 1", "all", "export", "@bob", "@bob 100", "@bob 100 points thanks",
    "@bob points 100", "1 great", "1 bad work", "new basic Mine --points 999",
    "new Which? | a | b", "edit 1 --points 999", "close 1", "cancel 1 no", "invite 1 @bob",
    "set @bob 3", "add photo", "remove photo", "approve 1", "reject 1 no", "on", "off",
    "greet 09:00", "quiet 22:00 07:00", "08:00 hello", "photo @bob", "new Q\npersona A | a\npersona B | b\nq ?\n- x = A\n- y = B",
    "--by tag", "tag", "1 --by tag"};

/* The subcommands members may run; every other one in the tables must be
   refused to them. */
/* (console revoke: anyone may end their own console sessions, a former
   operator too; it touches nobody else's) */
static const char *const MEMBER_SUBCOMMANDS[] = {"pool apply", "quiz answer", "quiz share", "quiz stop",
                                                 "checkin makeup", "checkin 补签", "checkin history", "checkin 记录",
                                                 "summary off", "summary on", "console revoke",
                                                 "mentor top", "camp join", "camp pool"};

/* Append " word" to buf (cut when full). */
static void strcat_word(char *buf, size_t cap, const char *word)
{
    size_t n = strlen(buf);
    snprintf(buf + n, cap - n, " %s", word);
}

TEST(members_refused_every_operator_command)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    f.e->set.member_rate_per_min = 0; /* the refusals, not the limiter, are under test */
    /* some state to protect: a task with a pending submission, a poll, a check-in */
    fx_say(&f, "g1", "op", T0, "/task new explore A --everyone --reward cash 10, points 5");
    fx_say(&f, "g1", "op", T0, "/poll new Which poster? | Sunset | City night");
    fx_say(&f, "g1", "bob", T0, "/checkin");
    fx_say(&f, "g1", "bob", T0, "/claim 1");
    fx_say(&f, "g1", "bob", T0, "/submit 1 done");
    /* a tag, a task limited to it, and a persona quiz bob took */
    fx_say(&f, "g1", "op", T0, "/tag add photo @bob");
    fx_say(&f, "g1", "op", T0, "/task new basic B --tag photo");
    fx_say(&f, "g1", "op", T0, "/quiz new Q\npersona A | a | BadgeA\npersona B | b\nq ?\n- x = A\n- y = B");
    fx_say(&f, "g1", "bob", T0, "/quiz 1");
    fx_say(&f, "g1", "bob", T0, "A");
    free(fx_replies(&f));
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM member_tags"), 2);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM tag_limits"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM quiz_results"), 1);
    /* a repeating task and a granted streak freeze (/task stop, /streak day|freeze) */
    fx_say(&f, "g1", "op", T0, "/task new basic Wheel --everyone --repeat daily");
    fx_say(&f, "g1", "op", T0, "/streak freeze @bob 2");
    free(fx_replies(&f));
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM task_series"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM streak_freezes"), 1);
    /* a camp with a week, a mentor with a mentee (issue 18) */
    fx_say(&f, "g1", "op", T0, "/camp new Photo --weeks 2 --start 2026-11-24 --invite");
    fx_say(&f, "g1", "op", T0, "/camp week 1 1 --theme a --tutorial b --task c");
    fx_say(&f, "g1", "op", T0, "/camp invite 1 @bob");
    fx_say(&f, "g1", "op", T0, "/mentor add @bob");
    fx_say(&f, "g1", "carol", T0, "/checkin");
    free(fx_replies(&f));
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM camp_weeks") + fx_i64(&f, "SELECT count(*) FROM mentees"), 2);
    uint64_t before = state_hash(&f);
    CHECK(before != 0);
    int tried = 0, silent = 0;
    char text[256];
    for (size_t m = 0; m < kb_n_modules; m++) {
        const struct kb_module *mod = kb_modules[m];
        for (size_t k = 0; k < mod->n_commands; k++) {
            const struct cmd_spec *cs = &mod->commands[k];
            if (!(cs->flags & (CMD_OPERATOR | CMD_LEDGER)))
                continue;
            for (size_t a = 0; a < KB_COUNT(ARGS); a++) {
                snprintf(text, sizeof text, "/%s %s", cs->name, ARGS[a]);
                CHECK_INT(fx_say(&f, "g1", "bob", T0 + 60 + tried, text), 0);
                char *r = fx_replies(&f);
                if (!r || !r[0])
                    silent++;
                free(r);
                tried++;
                uint64_t now = state_hash(&f);
                if (now != before)
                    TEST_FAIL("%s by a member changed state", text);
                before = now;
            }
        }
    }
    /* subcommands declared in the modules' tables, with as many words as they take */
    for (size_t m = 0; m < kb_n_modules; m++) {
        for (size_t k = 0; k < kb_modules[m]->n_subs; k++) {
            const struct cmd_sub *sub = &kb_modules[m]->subs[k];
            const struct cmd_spec *host = NULL;
            for (size_t hm = 0; hm < kb_n_modules && !host; hm++)
                for (size_t i = 0; i < kb_modules[hm]->n_commands && !host; i++)
                    if (strcmp(kb_modules[hm]->commands[i].name, sub->host) == 0)
                        host = &kb_modules[hm]->commands[i];
            CHECK(host != NULL);
            char full[64];
            snprintf(full, sizeof full, "%s %s", sub->host, sub->name);
            int for_members = 0;
            for (size_t i = 0; i < KB_COUNT(MEMBER_SUBCOMMANDS); i++)
                for_members |= strcmp(full, MEMBER_SUBCOMMANDS[i]) == 0;
            /* a subcommand not meant for members that the table lets them run fails here */
            if (!host || for_members)
                continue;
            /* as many words as it takes, then every payload of ARGS that fits its arity */
            int words = sub->max_args < 0 ? sub->min_args + 2 : sub->max_args;
            for (int n = sub->min_args; n <= words + (int)KB_COUNT(ARGS); n++) {
                snprintf(text, sizeof text, "/%s %s", sub->host, sub->name);
                if (n <= words) {
                    for (int w = 0; w < n; w++)
                        strcat_word(text, sizeof text, w % 2 ? "@bob" : "0123ABCD");
                } else {
                    const char *payload = ARGS[n - words - 1];
                    int count = 0;
                    for (const char *q = payload; *q; q++)
                        count += *q != ' ' && (q == payload || q[-1] == ' ');
                    if (count < sub->min_args || (sub->max_args >= 0 && count > sub->max_args))
                        continue;
                    strcat_word(text, sizeof text, payload);
                }
                CHECK_INT(fx_say(&f, "g1", "bob", T0 + 60 + tried, text), 0);
                char *r = fx_replies(&f);
                if (!r || !strstr(r, "only operators"))
                    TEST_FAIL("%s by a member was not refused: %s", text, r ? r : "(no reply)");
                free(r);
                tried++;
                if (state_hash(&f) != before)
                    TEST_FAIL("%s by a member changed state", text);
            }
        }
    }
    printf("# %d operator commands tried by a member, %d without a reply\n", tried, silent);
    CHECK(tried > 200);
    CHECK_INT(silent, 0);
    /* the operator can still do it: the same hash does move */
    CHECK_INT(fx_say(&f, "g1", "op", T0 + 5000, "/task close 1"), 0);
    CHECK(state_hash(&f) != before);
    fx_close(&f);
}

TEST(member_flood_is_rate_limited_politely)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    f.e->set.member_rate_per_min = 20;
    /* 1,000 commands within one minute from one member */
    int replies = 0;
    for (int i = 0; i < 1000; i++) {
        CHECK_INT(fx_say(&f, "g1", "spammer", T0 + i * 59 / 1000, "/me"), 0);
        char *r = fx_replies(&f);
        if (r && r[0])
            replies++;
        free(r);
    }
    CHECK_INT(replies, 21); /* 20 answers and one polite notice */
    /* other members in the same minute are unaffected */
    for (int i = 0; i < 10; i++) {
        char user[16];
        snprintf(user, sizeof user, "m%d", i);
        CHECK_INT(fx_say(&f, "g1", user, T0 + 30, "/checkin"), 0);
    }
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM checkins"), 10);
    char *r = fx_replies(&f);
    CHECK(r && strstr(r, "m9") != NULL);
    free(r);
    fx_close(&f);
}

/* The loop above only tries what the tables flag: a command that lost its
   flag would slip past it.  The work-tier commands (issue 19) by name:
   operator-only ones, and the paying ones for configured operators only
   (a chat admin is refused them, with nothing changed). */
TEST(work_tier_commands_keep_their_flags)
{
    static const struct { const char *name; unsigned flag; } want[] = {
        {"bughunt", CMD_OPERATOR}, {"bugs", CMD_OPERATOR}, {"triage", CMD_LEDGER}, {"dup", CMD_LEDGER},
        {"judging", CMD_OPERATOR}, {"offer", CMD_OPERATOR}, {"rate", CMD_OPERATOR}};
    for (size_t w = 0; w < KB_COUNT(want); w++) {
        int found = 0;
        for (size_t m = 0; m < kb_n_modules; m++)
            for (size_t k = 0; k < kb_modules[m]->n_commands; k++)
                if (!strcmp(kb_modules[m]->commands[k].name, want[w].name)) {
                    found = 1;
                    if (!(kb_modules[m]->commands[k].flags & want[w].flag))
                        TEST_FAIL("/%s lost its flag", want[w].name);
                }
        if (!found)
            TEST_FAIL("/%s is missing", want[w].name);
    }
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "op", T0, "/task new explore Beta --everyone --points 5");
    fx_say(&f, "g1", "op", T0, "/bughunt 1 scene minor 10");
    fx_say(&f, "g1", "bob", T0, "/bug 1 scene: crash");
    fx_say(&f, "g1", "op", T0, "/judging new 1 @bob rubric idea:1 prizes 100");
    free(fx_replies(&f));
    uint64_t before = state_hash(&f);
    const char *paying[] = {"/triage 1 critical", "/dup 1 of 1", "/judging close 1"};
    for (size_t i = 0; i < KB_COUNT(paying); i++) {
        CHECK_INT(fx_say_as(&f, "g1", "admin", KB_ROLE_CHAT_ADMIN, T0 + 60, paying[i]), 0);
        char *r = fx_replies(&f);
        if (!r || !strstr(r, "only operators"))
            TEST_FAIL("%s by a chat admin was not refused: %s", paying[i], r ? r : "(no reply)");
        free(r);
        if (state_hash(&f) != before)
            TEST_FAIL("%s by a chat admin changed state", paying[i]);
    }
    fx_close(&f);
}

TEST_MAIN(T(members_refused_every_operator_command), T(member_flood_is_rate_limited_politely),
          T(work_tier_commands_keep_their_flags))
