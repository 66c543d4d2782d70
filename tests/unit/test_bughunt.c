/* Bug hunts: the template, reports in one message and step by step,
   triage by severity, duplicates, /bugs and its CSV, every refusal with
   nothing changed, the ledger agreeing with the tallies, and each reward
   paid exactly once across a crash. */
#include "../test.h"
#include "../support/fixture.h"
#include "../support/replay.h"

#include "../../core/bughunt.h"

static const int64_t T0 = 1795392000; /* 2026-11-23 08:00 Asia/Shanghai */
#define FSI "\xE2\x81\xA8" /* the isolates around untrusted text */
#define PDI "\xE2\x81\xA9"

static char *last;
static const char *said(struct fx *f)
{
    free(last);
    last = fx_replies(f);
    return last;
}

/* Every step keeps the cached tallies equal to the ledger's sums. */
static void say(struct fx *f, const char *user, const char *text)
{
    CHECK_INT(fx_say(f, "g1", user, T0, text), 0);
    CHECK_INT(fx_tally_disagreements(f), 0);
}

/* Rows that a refused command must leave alone. */
static int64_t state_rows(struct fx *f)
{
    return fx_i64(f, "SELECT (SELECT count(*) FROM ledger) * 1000000 + (SELECT count(*) FROM bug_reports"
                     " WHERE state <> 'open') * 1000 + (SELECT count(*) FROM bug_reports)");
}

/* A hunt with rewards, and reports #1 (alice) #2 (bob) #3 (cat). */
static void hunt_with_reports(struct fx *f, const char *lang)
{
    fx_open(f, NULL, lang);
    say(f, "op", "/task new explore Beta app --everyone --points 5");
    say(f, "op", "/bughunt 1 minor 10 major 30+20 critical 100+50 dup 50");
    const char *users[] = {"alice", "bob", "cat"};
    for (int i = 0; i < 3; i++)
        say(f, users[i], text_lang_is_en(lang) ? "/bug 1 scene: login\nsteps: tap twice\nexpected: one\nactual: two"
                                               : "/bug 1 场景：登录页；步骤：连点两次；期望：一个账号；实际：两个账号");
    CHECK_INT(fx_i64(f, "SELECT count(*) FROM bug_reports"), 3);
    said(f);
}

TEST(template_and_fields_parse)
{
    struct bug_template t;
    CHECK_INT(bug_template_parse("场景，步骤, 期望,实际,截图?", &t), 0);
    CHECK_INT(t.n, 5);
    CHECK_STR(t.name[1], "步骤");
    CHECK_INT(t.required[3], 1);
    CHECK_INT(t.required[4], 0);
    CHECK(bug_template_parse("a,a", &t) != 0);
    CHECK(bug_template_parse("", &t) != 0);
    CHECK(bug_template_parse("a,b,c,d,e,f,g,h,i,j,k", &t) != 0);
    CHECK_INT(bug_template_parse("场景,步骤,期望,实际,截图?", &t), 0);
    struct bug_fields f;
    const char *err;
    char bad[64];
    /* full-width and ASCII colons, a continuation line, a semicolon */
    CHECK_INT(bug_fields_parse(&t, "场景：登录页\n步骤: 打开 App\n再点两次登录；期望：一个账号", &f, &err, bad, sizeof bad), 0);
    CHECK_STR(f.value[0], "登录页");
    CHECK_STR(f.value[1], "打开 App\n再点两次登录");
    CHECK_STR(f.value[2], "一个账号");
    struct sbuf m = {0};
    CHECK_INT(bug_missing(&t, &f, "en", &m), 1);
    CHECK_CONTAINS(m.s, "实际");
    CHECK(strstr(m.s, "截图") == NULL); /* optional */
    sbuf_free(&m);
    bug_fields_free(&f);
    CHECK(bug_fields_parse(&t, "场景：a\n期待：b", &f, &err, bad, sizeof bad) == 0); /* after a field: prose */
    bug_fields_free(&f);
    CHECK(bug_fields_parse(&t, "期待：b", &f, &err, bad, sizeof bad) != 0);
    CHECK_STR(err, "bug.unknown_field");
    CHECK_STR(bad, "期待");
    CHECK(bug_fields_parse(&t, "场景：a\n场景：b", &f, &err, bad, sizeof bad) != 0);
    CHECK_STR(err, "bug.twice");
    CHECK(bug_fields_parse(&t, "just words", &f, &err, bad, sizeof bad) != 0);
    CHECK_STR(err, "bug.no_field");
}

TEST(report_in_one_message_names_missing_fields)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    say(&f, "op", "/task new explore Beta app --everyone --points 5");
    say(&f, "alice", "/bug 1 scene: x");
    CHECK_CONTAINS(said(&f), "not a bug hunt");
    say(&f, "op", "/bughunt 1");
    CHECK_CONTAINS(said(&f), "scene" PDI ", " FSI "steps" PDI ", " FSI "expected" PDI ", " FSI "actual" PDI ", " FSI "screenshot" PDI " (optional)");
    say(&f, "alice", "/bug 1");
    CHECK_CONTAINS(said(&f), "scene: …");
    say(&f, "alice", "/bug 1 Scene: login\nSteps: tap twice");
    CHECK_CONTAINS(said(&f), "Required fields missing: " FSI "expected" PDI ", " FSI "actual" PDI);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM bug_reports"), 0);
    say(&f, "alice", "/bug 1 Scene: login\nSteps: tap twice\nExpected: one\nActual: two");
    CHECK_CONTAINS(said(&f), "Report #1 received");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM bug_reports WHERE state = 'open'"), 1);
    say(&f, "op", "/bughunt 1 scene,steps");
    CHECK_CONTAINS(said(&f), "can no longer change");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM bug_hunts WHERE fields LIKE 'scene,steps,expected%'"), 1);
    say(&f, "op", "/bughunt 1 dup 20%");
    CHECK_INT(fx_i64(&f, "SELECT dup_share FROM bug_hunts"), 20);
    say(&f, "op", "/task close 1");
    say(&f, "bob", "/bug 1 Scene: a; Steps: b; Expected: c; Actual: d");
    CHECK_CONTAINS(said(&f), "no longer takes reports");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM bug_reports"), 1);
    fx_close(&f);
}

TEST(report_step_by_step_in_private)
{
    const char *langs[] = {"en", "zh-CN"};
    for (int l = 0; l < 2; l++) {
        struct fx f;
        fx_open(&f, NULL, langs[l]);
        say(&f, "bob", "/checkin");
        say(&f, "op", "/task new explore Beta app --everyone --points 5");
        say(&f, "op", "/bughunt 1");
        said(&f);
        CHECK_INT(fx_say_private(&f, "bob", T0, "/bug 1"), 0);
        CHECK_CONTAINS(said(&f), l ? "1/5 " FSI "场景" : "1/5 " FSI "scene");
        CHECK_INT(fx_say_private(&f, "bob", T0, "login page"), 0);
        CHECK_CONTAINS(said(&f), l ? "2/5 " FSI "步骤" : "2/5 " FSI "steps");
        fx_say_private(&f, "bob", T0, "tap twice");
        said(&f);
        fx_say_private(&f, "bob", T0, l ? "跳过" : "skip"); /* required: refused */
        CHECK_CONTAINS(said(&f), l ? "必填" : "required");
        fx_say_private(&f, "bob", T0, "one account");
        fx_say_private(&f, "bob", T0, "two accounts");
        CHECK_CONTAINS(said(&f), l ? "选填" : "optional");
        fx_say_private(&f, "bob", T0, l ? "跳过" : "skip");
        CHECK_CONTAINS(said(&f), "#1");
        CHECK_INT(fx_i64(&f, "SELECT count(*) FROM bug_reports WHERE body = 'login page\x1ftap twice\x1f"
                             "one account\x1ftwo accounts\x1f'"), 1);
        CHECK_INT(fx_i64(&f, "SELECT count(*) FROM bug_drafts"), 0);
        /* chatter with no draft open is left alone */
        fx_say_private(&f, "bob", T0, "thanks!");
        CHECK_STR(said(&f), "");
        /* a stranger's private chatter writes nothing at all */
        int64_t communities = fx_i64(&f, "SELECT count(*) FROM communities");
        fx_say_private(&f, "zed", T0, "hello?");
        CHECK_INT(fx_i64(&f, "SELECT count(*) FROM chats WHERE chat_id = 'dm-zed'"), 0);
        CHECK_INT(fx_i64(&f, "SELECT count(*) FROM communities"), communities);
        fx_close(&f);
    }
}

TEST(severity_sets_the_reward_once)
{
    struct fx f;
    hunt_with_reports(&f, "en");
    say(&f, "op", "/triage 1 critical great find");
    CHECK_CONTAINS(said(&f), "100 points, cash " FSI "50.00 CNY");
    CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE reason = 'bug' AND kind = 'points'"), 100);
    CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE reason = 'bug' AND kind = 'cash'"), 5000);
    int64_t before = state_rows(&f);
    say(&f, "op", "/triage 1 minor");
    CHECK_CONTAINS(said(&f), "already decided");
    CHECK_INT(state_rows(&f), before);
    say(&f, "op", "/triage 3 invalid cannot reproduce");
    CHECK_CONTAINS(said(&f), "refused");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE ref = 'bug:3'"), 0);
    CHECK_INT(fx_tally_disagreements(&f), 0);
    fx_close(&f);
}

/* The first finder was paid; then a later report is marked a duplicate:
   the first keeps the full reward, the duplicate gets its share, both are
   told; the refusals change nothing. */
TEST(duplicate_after_the_first_finder_was_paid)
{
    const char *langs[] = {"en", "zh-CN"};
    for (int l = 0; l < 2; l++) {
        struct fx f;
        hunt_with_reports(&f, langs[l]);
        fx_say_private(&f, "alice", T0, "/start");
        fx_say_private(&f, "bob", T0, "/start");
        said(&f);
        int64_t before = state_rows(&f);
        say(&f, "op", "/dup 2 of 1"); /* the original is not triaged yet */
        CHECK_CONTAINS(said(&f), "/triage 1");
        CHECK_INT(state_rows(&f), before);
        say(&f, "op", "/triage 1 major");
        said(&f);
        CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE ref = 'bug:1' AND kind = 'points'"), 30);
        say(&f, "op", "/payout @alice"); /* the first finder is paid out */
        CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE reason = 'payout' AND amount = -2000"), 1);
        said(&f);
        CHECK_INT(fx_tally_disagreements(&f), 0);
        before = state_rows(&f);
        say(&f, "op", "/dup 1 of 2"); /* the earlier report is the first finder */
        CHECK_CONTAINS(said(&f), "/dup 2 of 1");
        say(&f, "op", "/dup 2 of 2");
        say(&f, "op", "/dup 2 of 99");
        say(&f, "op", "/dup 2");
        said(&f);
        CHECK_INT(state_rows(&f), before);
        say(&f, "op", "/dup 2 of 1");
        CHECK_CONTAINS(said(&f), "#1");
        /* the first finder keeps 30 points + 20.00; the duplicate gets 50%: 15 + 10.00 */
        CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE ref = 'bug:1' AND kind = 'points'"), 30);
        CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE ref = 'bug:1' AND kind = 'cash'"), 2000);
        CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE ref = 'bug:2' AND kind = 'points'"), 15);
        CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE ref = 'bug:2' AND kind = 'cash'"), 1000);
        /* both reporters told, privately */
        CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE chat_id = 'dm-bob' AND text LIKE '%#2%#1%'"), 1);
        CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE chat_id = 'dm-alice' AND text LIKE '%#1%#2%'"), 1);
        CHECK_INT(fx_tally_disagreements(&f), 0);
        /* marking it again, or a duplicate of the duplicate goes to the root */
        before = state_rows(&f);
        say(&f, "op", "/dup 2 of 1");
        CHECK_INT(state_rows(&f), before);
        say(&f, "op", "/dup 3 of 2");
        CHECK_INT(fx_i64(&f, "SELECT dup_of FROM bug_reports WHERE id = 3"), 1);
        CHECK_INT(fx_tally_disagreements(&f), 0);
        fx_close(&f);
    }
}

TEST(the_default_share_is_nothing)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    say(&f, "op", "/task new explore Beta --everyone --points 5");
    say(&f, "op", "/bughunt 1 scene,steps minor 10");
    say(&f, "alice", "/bug 1 scene: a; steps: b");
    say(&f, "bob", "/bug 1 scene: a; steps: b");
    say(&f, "op", "/triage 1 minor");
    say(&f, "op", "/dup 2 1");
    CHECK_CONTAINS(said(&f), "the reward goes to the first finder");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE ref = 'bug:2'"), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM bug_reports WHERE id = 2 AND state = 'duplicate'"), 1);
    fx_close(&f);
}

/* The later report cannot be the original, even once it is accepted and
   the earlier one is still open. */
TEST(the_earlier_report_is_the_first_finder)
{
    struct fx f;
    hunt_with_reports(&f, "en");
    say(&f, "op", "/triage 2 minor");
    said(&f);
    int64_t before = state_rows(&f);
    say(&f, "op", "/dup 1 of 2");
    CHECK_CONTAINS(said(&f), "/dup 2 of 1");
    CHECK_INT(state_rows(&f), before);
    fx_close(&f);
}

TEST(nobody_triages_their_own_report)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    say(&f, "op", "/task new explore Beta --everyone --points 5");
    say(&f, "op", "/bughunt 1 scene minor 10");
    say(&f, "op", "/bug 1 scene: mine");
    said(&f);
    int64_t before = state_rows(&f);
    say(&f, "op", "/triage 1 minor");
    CHECK_CONTAINS(said(&f), "your own");
    CHECK_INT(state_rows(&f), before);
    CHECK_INT(fx_say(&f, "g1", "op2", T0, "/triage 1 minor"), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE ref = 'bug:1'"), 1);
    fx_close(&f);
}

TEST(bugs_lists_by_state_and_severity_and_exports_csv)
{
    struct fx f;
    hunt_with_reports(&f, "en");
    say(&f, "op", "/triage 2 critical");
    say(&f, "op", "/triage 1 minor");
    say(&f, "op", "/dup 3 of 2");
    said(&f);
    say(&f, "op", "/bugs 1");
    const char *r = said(&f);
    CHECK_CONTAINS(r, "3 reports");
    CHECK_CONTAINS(r, "accepted 2 (critical 1, major 0, minor 1) · duplicate 1");
    const char *crit = strstr(r, "#2 accepted · critical");
    const char *minor = strstr(r, "#1 accepted · minor");
    CHECK(crit && minor && crit < minor); /* by severity */
    CHECK_CONTAINS(r, "#3 duplicate · critical · of #2");
    say(&f, "op", "/bugs 1 export");
    r = said(&f);
    CHECK_CONTAINS(r, "report,member,handle,state,severity,duplicate_of,points,cash,currency,reported_at,scene,steps,expected,actual,screenshot");
    CHECK_CONTAINS(r, "2,bob,bob,accepted,critical,,100,50.00,CNY,2026-11-23 08:00,login,tap twice,one,two,");
    CHECK_CONTAINS(r, "3,cat,cat,duplicate,critical,2,50,25.00,CNY");
    say(&f, "op", "/bugs 1 nonsense");
    CHECK_CONTAINS(said(&f), "Usage");
    say(&f, "op", "/bugs 9");
    CHECK_CONTAINS(said(&f), "no task #9");
    fx_close(&f);
}

/* ==== exactly once across a crash ====================================== */

static int triage_paid_once(struct fx *f, char *why, size_t cap)
{
    int64_t rows = fx_i64(f, "SELECT count(*) FROM ledger WHERE ref = 'bug:1'");
    int64_t acks = fx_i64(f, "SELECT count(*) FROM outbox WHERE text LIKE '%Report #1 accepted%'");
    if (rows != 2 || acks != 1 || fx_tally_disagreements(f)) {
        snprintf(why, cap, "%lld ledger rows, %lld acknowledgements", (long long)rows, (long long)acks);
        return 1;
    }
    return 0;
}

static int dup_paid_once(struct fx *f, char *why, size_t cap)
{
    int64_t rows = fx_i64(f, "SELECT count(*) FROM ledger WHERE ref = 'bug:2'");
    int64_t first = fx_i64(f, "SELECT count(*) FROM ledger WHERE ref = 'bug:1'");
    if (rows != 2 || first != 2 || fx_tally_disagreements(f)) {
        snprintf(why, cap, "%lld rows for the duplicate, %lld for the original", (long long)rows, (long long)first);
        return 1;
    }
    return 0;
}

TEST(each_reward_is_paid_once_across_a_crash)
{
    struct fx f;
    hunt_with_reports(&f, "en");
    struct kb_event ev = {.kind = KB_EV_MESSAGE, .platform = "console", .chat_id = "g1", .user_id = "op",
                          .user_name = "op", .user_handle = "op", .message_id = "crash-1", .time = T0,
                          .text = "/triage 1 major", .bot_username = "kocbot"};
    char why[200];
    long rounds = 0;
    long bad = crash_replay(&f, &ev, triage_paid_once, why, sizeof why, &rounds);
    if (bad)
        TEST_FAIL("triage, cut %ld: %s", bad, why);
    printf("# triage: %ld power cuts, paid once after each\n", rounds);
    CHECK(rounds > 3);
    ev.message_id = "crash-2";
    ev.text = "/dup 2 of 1";
    bad = crash_replay(&f, &ev, dup_paid_once, why, sizeof why, &rounds);
    if (bad)
        TEST_FAIL("duplicate, cut %ld: %s", bad, why);
    printf("# duplicate: %ld power cuts, paid once after each\n", rounds);
    CHECK(rounds > 3);
    fx_close(&f);
}

TEST(catalogue_has_both_languages)
{
    for (size_t i = 0; i < bughunt_module.n_texts; i++) {
        const struct text_entry *t = &bughunt_module.texts[i];
        CHECK(t->zh && *t->zh && t->en && *t->en);
        if (strcmp(t->key, "bug.default_template"))
            CHECK(strcmp(t->zh, t->en) != 0);
    }
}

TEST_MAIN(T(template_and_fields_parse), T(report_in_one_message_names_missing_fields),
          T(report_step_by_step_in_private), T(severity_sets_the_reward_once),
          T(duplicate_after_the_first_finder_was_paid), T(the_default_share_is_nothing),
          T(the_earlier_report_is_the_first_finder), T(nobody_triages_their_own_report), T(bugs_lists_by_state_and_severity_and_exports_csv),
          T(each_reward_is_paid_once_across_a_crash), T(catalogue_has_both_languages))
