/* Guest judges: the rubric and weighted means, places and ties, scoring in
   private one entry at a time, never one's own, never twice, hidden scores,
   the close paying prizes and judges exactly once (also across a crash),
   comments to the authors. */
#include "../test.h"
#include "../support/fixture.h"
#include "../support/replay.h"

#include "../../core/judge.h"

static const int64_t T0 = 1795392000; /* 2026-11-23 08:00 Asia/Shanghai */
#define FSI "\xE2\x81\xA8"
#define PDI "\xE2\x81\xA9"
#define WHO(n) FSI "@" n PDI

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

static void dm(struct fx *f, const char *user, const char *text)
{
    CHECK_INT(fx_say_private(f, user, T0, text), 0);
    CHECK_INT(fx_tally_disagreements(f), 0);
}

static int64_t score_rows(struct fx *f)
{
    return fx_i64(f, "SELECT (SELECT count(*) FROM judge_scores) * 1000 + (SELECT count(*) FROM ledger)");
}

/* Entries #1 alice, #2 bob, #3 kim (a judge); judges jay and kim. */
static void contest(struct fx *f, const char *lang, const char *extra)
{
    fx_open(f, NULL, lang);
    const char *users[] = {"alice", "bob", "jay", "kim"};
    for (int i = 0; i < 4; i++) {
        say(f, users[i], "/checkin");
        dm(f, users[i], "/start");
    }
    say(f, "op", "/task new explore Poster contest --everyone --points 5");
    const char *entrants[] = {"alice", "bob", "kim"};
    for (int i = 0; i < 3; i++) {
        say(f, entrants[i], "/claim 1");
        say(f, entrants[i], "/submit 1 https://x.example/poster");
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "/judging new 1 @jay @kim rubric idea:40,image:30,fit:30 %s", extra);
    say(f, "op", cmd);
    said(f);
}

TEST(rubric_weights_prizes_places)
{
    struct judge_rubric r;
    CHECK_INT(judge_rubric_parse("创意：40，画面:30, 契合:30", 5, &r), 0);
    CHECK_INT(r.n, 3);
    CHECK_STR(r.name[0], "创意");
    CHECK_INT(r.weight[2], 30);
    CHECK(judge_rubric_parse("a:40", 7, &r) != 0);
    CHECK(judge_rubric_parse("a:0", 5, &r) != 0);
    CHECK(judge_rubric_parse("", 5, &r) != 0);
    CHECK_INT(judge_rubric_parse("idea:40,image:30,fit:30", 5, &r), 0);
    int64_t m = 0;
    CHECK_INT(judge_weighted(&r, (int64_t[]){4, 5, 3}, 3, &m), 0);
    CHECK_INT(m, 4000); /* (160 + 150 + 90) / 100 */
    CHECK_INT(judge_weighted(&r, (int64_t[]){5, 4, 4}, 3, &m), 0);
    CHECK_INT(m, 4400);
    CHECK(judge_weighted(&r, (int64_t[]){6, 4, 4}, 3, &m) != 0);
    CHECK(judge_weighted(&r, (int64_t[]){4, 4}, 2, &m) != 0);
    struct judge_prize z[4];
    size_t n = 0;
    CHECK_INT(judge_prizes_parse("500CNY, 300 usd，100", z, 4, &n), 0);
    CHECK_INT(n, 3);
    CHECK_INT(z[0].cash, 50000);
    CHECK_STR(z[1].currency, "USD");
    CHECK_INT(z[2].points, 100);
    CHECK(judge_prizes_parse("5XY1", z, 4, &n) != 0);
    int places[5];
    judge_places((int64_t[]){4500, 4000, 4000, 3000, 3000}, 5, 1, places);
    CHECK_INT(places[1], 2);
    CHECK_INT(places[2], 2);
    CHECK_INT(places[3], 4);
    judge_places((int64_t[]){4500, 4000, 4000, 3000, 3000}, 5, 0, places);
    CHECK_INT(places[2], 3);
    CHECK_INT(places[4], 5);
}

TEST(a_judge_never_scores_their_own_entry)
{
    struct fx f;
    contest(&f, "en", "");
    int64_t before = score_rows(&f);
    dm(&f, "kim", "/score #3 5 5 5");
    CHECK_CONTAINS(said(&f), "your own");
    CHECK_INT(score_rows(&f), before);
    /* /judge never shows it: kim has two entries to score */
    dm(&f, "kim", "/judge");
    CHECK_CONTAINS(said(&f), "Entry 1 of 2: #1");
    fx_close(&f);
}

TEST(a_judge_scoring_twice_is_refused)
{
    const char *langs[] = {"en", "zh-CN"};
    for (int l = 0; l < 2; l++) {
        struct fx f;
        contest(&f, langs[l], "");
        dm(&f, "jay", "/judge");
        dm(&f, "jay", "/score 4 5 3 lovely light");
        CHECK_CONTAINS(said(&f), "#2");
        int64_t before = score_rows(&f);
        dm(&f, "jay", "/score #1 1 1 1 changed my mind");
        CHECK_CONTAINS(said(&f), l ? "不能修改" : "a score is final");
        CHECK_INT(score_rows(&f), before);
        CHECK_INT(fx_i64(&f, "SELECT weighted_milli FROM judge_scores WHERE submission_id = 1"), 4000);
        fx_close(&f);
    }
}

TEST(scoring_happens_in_private_one_at_a_time)
{
    struct fx f;
    contest(&f, "en", "");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE chat_id = 'dm-jay' AND text LIKE '%guest judge%'"), 1);
    say(&f, "jay", "/score 4 4 4");
    CHECK_CONTAINS(said(&f), "private chat");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM judge_scores"), 0);
    dm(&f, "jay", "/score 4 4 4");
    CHECK_CONTAINS(said(&f), "/judge first");
    dm(&f, "jay", "/judge");
    CHECK_CONTAINS(said(&f), "Entry 1 of 3: #1");
    dm(&f, "jay", "/score 4 4");
    CHECK_CONTAINS(said(&f), "Give 3 scores from 1 to 5");
    dm(&f, "jay", "/score 4 4 9");
    CHECK_CONTAINS(said(&f), "Give 3 scores");
    dm(&f, "alice", "/score 4 4 4");
    CHECK_CONTAINS(said(&f), "not a judge");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM judge_scores"), 0);
    dm(&f, "jay", "/score 4 4 4");
    CHECK_CONTAINS(said(&f), "Entry 2 of 3: #2");
    fx_close(&f);
}

TEST(scores_stay_hidden_until_all_are_in)
{
    struct fx f;
    contest(&f, "en", "");
    dm(&f, "jay", "/judge");
    dm(&f, "jay", "/score 4 5 3");
    dm(&f, "kim", "/judge");
    dm(&f, "kim", "/score 5 4 4");
    said(&f);
    dm(&f, "kim", "/scores 1");
    const char *r = said(&f);
    CHECK_CONTAINS(r, "your scores");
    CHECK(strstr(r, WHO("jay")) == NULL);
    say(&f, "op", "/scores 1");
    CHECK_CONTAINS(said(&f), "private chat"); /* not in the group before all are in */
    dm(&f, "kim", "/score 3 3 3");
    dm(&f, "jay", "/score 3 4 4");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE chat_id = 'g1' AND text LIKE '%Every score%'"), 0);
    dm(&f, "jay", "/score 4 4 4");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE chat_id = 'g1' AND text LIKE '%Every score%'"), 1);
    said(&f);
    dm(&f, "kim", "/scores 1");
    r = said(&f);
    CHECK_CONTAINS(r, "every score");
    CHECK_CONTAINS(r, WHO("jay") ": 4,5,3");
    fx_close(&f);
}

static void score_all(struct fx *f)
{
    dm(f, "jay", "/judge");
    dm(f, "jay", "/score 4 5 3 lovely light"); /* #1 4.00 */
    dm(f, "jay", "/score 4 4 4");              /* #2 4.00 */
    dm(f, "jay", "/score 3 3 3");              /* #3 3.00 */
    dm(f, "kim", "/judge");
    dm(f, "kim", "/score 4 4 4 strong idea"); /* #1 4.00 */
    dm(f, "kim", "/score 4 4 4");             /* #2 4.00 */
    said(f);
}

TEST(close_ranks_pays_places_and_judges_once)
{
    struct fx f;
    contest(&f, "en", "prizes 300CNY,100 reward 20 ties earlier");
    score_all(&f);
    say(&f, "op", "/judging close 1");
    const char *r = said(&f);
    /* #1 and #2 tie at 4.00: the earlier entry first */
    CHECK_CONTAINS(r, "1. " WHO("alice") " — 4.00/5 (entry #1)");
    CHECK_CONTAINS(r, "2. " WHO("bob") " — 4.00/5 (entry #2)");
    CHECK_CONTAINS(r, "3. " WHO("kim") " — 3.00/5 (entry #3)");
    CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE reason = 'prize' AND kind = 'cash'"), 30000);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger l JOIN members m ON m.id = l.member_id"
                         " WHERE l.reason = 'prize' AND m.user_id = 'bob' AND l.kind = 'points' AND l.amount = 100"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE reason = 'prize'"), 2);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE reason = 'judging' AND amount = 20"), 2);
    /* the comments reach the author privately */
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE chat_id = 'dm-alice'"
                         " AND text LIKE '%placed 1 of 3%lovely light%strong idea%'"), 1);
    CHECK_INT(fx_tally_disagreements(&f), 0);
    int64_t before = score_rows(&f);
    say(&f, "op", "/judging close 1");
    CHECK_CONTAINS(said(&f), "already closed");
    dm(&f, "jay", "/score #3 5 5 5");
    CHECK_INT(score_rows(&f), before);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM work_scores"), 3);
    CHECK_INT(fx_i64(&f, "SELECT score_pct FROM work_scores WHERE ref = 'submission:1'"), 80);
    fx_close(&f);
}

TEST(shared_ties_share_the_place_and_its_prize)
{
    struct fx f;
    contest(&f, "en", "prizes 300CNY,100 ties shared");
    score_all(&f);
    say(&f, "op", "/judging close 1");
    const char *r = said(&f);
    CHECK_CONTAINS(r, "1. " WHO("alice"));
    CHECK_CONTAINS(r, "1. " WHO("bob"));
    CHECK_CONTAINS(r, "3. " WHO("kim"));
    CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE reason = 'prize' AND kind = 'cash'"), 60000);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE reason = 'prize' AND kind = 'points'"), 0);
    /* no judge reward configured */
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE reason = 'judging'"), 0);
    fx_close(&f);
}

TEST(an_incomplete_judge_earns_nothing)
{
    struct fx f;
    contest(&f, "en", "reward 20");
    dm(&f, "jay", "/judge");
    dm(&f, "jay", "/score 4 4 4");
    dm(&f, "kim", "/judge");
    dm(&f, "kim", "/score 4 4 4");
    dm(&f, "kim", "/score 4 4 4");
    say(&f, "op", "/judging show 1");
    CHECK_CONTAINS(said(&f), WHO("jay") ": scored 1 of 3");
    say(&f, "op", "/judging close 1");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger l JOIN members m ON m.id = l.member_id"
                         " WHERE l.reason = 'judging' AND m.user_id = 'kim'"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger l JOIN members m ON m.id = l.member_id"
                         " WHERE l.reason = 'judging' AND m.user_id = 'jay'"), 0);
    fx_close(&f);
}

static int close_paid_once(struct fx *f, char *why, size_t cap)
{
    int64_t prizes = fx_i64(f, "SELECT count(*) FROM ledger WHERE reason = 'prize'");
    int64_t judges = fx_i64(f, "SELECT count(*) FROM ledger WHERE reason = 'judging'");
    int64_t boards = fx_i64(f, "SELECT count(*) FROM outbox WHERE text LIKE '%Results of task #1%'");
    int64_t results = fx_i64(f, "SELECT count(*) FROM judge_results");
    if (prizes != 2 || judges != 2 || boards != 1 || results != 3 || fx_tally_disagreements(f)) {
        snprintf(why, cap, "%lld prize rows, %lld judge rows, %lld boards, %lld results", (long long)prizes,
                 (long long)judges, (long long)boards, (long long)results);
        return 1;
    }
    return 0;
}

TEST(the_close_pays_once_across_a_crash)
{
    struct fx f;
    contest(&f, "en", "prizes 300CNY,100 reward 20");
    score_all(&f);
    struct kb_event ev = {.kind = KB_EV_MESSAGE, .platform = "console", .chat_id = "g1", .user_id = "op",
                          .user_name = "op", .user_handle = "op", .message_id = "crash-close", .time = T0,
                          .text = "/judging close 1", .bot_username = "kocbot"};
    char why[200];
    long rounds = 0;
    long bad = crash_replay(&f, &ev, close_paid_once, why, sizeof why, &rounds);
    if (bad)
        TEST_FAIL("cut %ld: %s", bad, why);
    printf("# judging close: %ld power cuts, prizes and judges paid once after each\n", rounds);
    CHECK(rounds > 3);
    fx_close(&f);
}

TEST(catalogue_has_both_languages)
{
    for (size_t i = 0; i < judge_module.n_texts; i++) {
        const struct text_entry *t = &judge_module.texts[i];
        CHECK(t->zh && *t->zh && t->en && *t->en);
        if (strcmp(t->key, "judge.comment_line"))
            CHECK(strcmp(t->zh, t->en) != 0);
    }
}

TEST_MAIN(T(rubric_weights_prizes_places), T(a_judge_never_scores_their_own_entry), T(a_judge_scoring_twice_is_refused),
          T(scoring_happens_in_private_one_at_a_time), T(scores_stay_hidden_until_all_are_in),
          T(close_ranks_pays_places_and_judges_once), T(shared_ties_share_the_place_and_its_prize),
          T(an_incomplete_judge_earns_nothing), T(the_close_pays_once_across_a_crash), T(catalogue_has_both_languages))
