/* Commissions offered in turn: the order of fit and rotation, the private
   terms, accept / decline / silence, the race at the window's end, a chain
   where everyone declines, skip and add, and every refusal changing
   nothing. */
#include "../test.h"
#include "../support/fixture.h"

#include "../../core/offer.h"

static const int64_t T0 = 1795392000; /* 2026-11-23 08:00 Asia/Shanghai */
#define H 3600
#define FSI "\xE2\x81\xA8" /* the isolates around untrusted text */
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
static void say(struct fx *f, const char *user, int64_t t, const char *text)
{
    CHECK_INT(fx_say(f, "g1", user, t, text), 0);
    CHECK_INT(fx_tally_disagreements(f), 0);
}

static int64_t chain_rows(struct fx *f)
{
    return fx_i64(f, "SELECT (SELECT count(*) FROM offers) * 1000000 + (SELECT count(*) FROM claims) * 10000"
                     " + (SELECT sum(CASE state WHEN 'waiting' THEN 1 WHEN 'offered' THEN 10 WHEN 'accepted' THEN 100"
                     "   WHEN 'declined' THEN 1000 ELSE 0 END) FROM offer_candidates)");
}

static const char *state_of(struct fx *f, const char *user)
{
    static char buf[16];
    sqlite3_stmt *s = store_query(f->e->st,
                                  "SELECT oc.state FROM offer_candidates oc JOIN members m ON m.id = oc.member_id"
                                  " WHERE m.user_id = ?",
                                  VALS(ST(user)));
    buf[0] = '\0';
    if (s && store_step(f->e->st, s) == 1)
        snprintf(buf, sizeof buf, "%s", store_text(s, 0));
    store_done(s);
    return buf;
}

/* alice, bob, cat in the pool "photo"; task #1 a precision commission. */
static void setup(struct fx *f, const char *lang)
{
    fx_open(f, NULL, lang);
    const char *users[] = {"alice", "bob", "cat"};
    for (int i = 0; i < 3; i++) {
        say(f, users[i], T0, "/checkin");
        fx_say_private(f, users[i], T0, "/start");
    }
    say(f, "op", T0, "/pool add photo @alice @bob @cat");
    say(f, "op", T0, "/task new precision Launch photos --brief Five photos --reward cash 800 CNY --deadline 5d --pools photo");
    said(f);
}

TEST(fit_orders_by_rating_then_rotation)
{
    struct offer_fit a[] = {{.member_id = 1, .rating = 50, .last_commission = 100},
                            {.member_id = 2, .rating = 70, .last_commission = 900},
                            {.member_id = 3, .rating = 50, .last_commission = 0},
                            {.member_id = 4, .rating = 50, .last_commission = 100}};
    qsort(a, 4, sizeof a[0], offer_fit_cmp);
    CHECK_INT(a[0].member_id, 2); /* the best rating */
    CHECK_INT(a[1].member_id, 3); /* never commissioned: rested longest */
    CHECK_INT(a[2].member_id, 1); /* a tie broken by the member number */
    CHECK_INT(a[3].member_id, 4);
}

TEST(past_work_sets_the_order)
{
    struct fx f;
    setup(&f, "en");
    /* cat finished a precision task; bob let one expire */
    say(&f, "op", T0, "/task new precision Old job --reward points 1 --deadline 1d --pools photo");
    say(&f, "cat", T0, "/claim 2");
    say(&f, "cat", T0, "/submit 2 done");
    say(&f, "op", T0, "/approve 1");
    say(&f, "bob", T0, "/claim 2");
    said(&f);
    say(&f, "op", T0 + 2 * 86400, "/offer new 1 photo 12h");
    const char *r = said(&f);
    const char *c = strstr(r, "1. " WHO("cat")), *a = strstr(r, "2. " WHO("alice")), *b = strstr(r, "3. " WHO("bob"));
    if (!c || !a || !b)
        TEST_FAIL("order: %s", r);
    CHECK_CONTAINS(r, "rating 60");  /* 50 + one precision task */
    say(&f, "op", T0 + 2 * 86400, "/offer cancel 1");
    /* an operator's score of cat's approved work (1/5 = 20%) moves her down */
    say(&f, "op", T0 + 2 * 86400, "/rate 1 1");
    CHECK_CONTAINS(said(&f), "rated 1/5");
    say(&f, "op", T0 + 2 * 86400, "/rate 9 3");
    CHECK_CONTAINS(said(&f), "not approved");
    say(&f, "op", T0 + 2 * 86400, "/offer new 1 photo 12h");
    r = said(&f);
    CHECK_CONTAINS(r, "1. " WHO("alice") " — offered");
    CHECK_CONTAINS(r, "3. " WHO("cat") " — waiting (rating 30)"); /* 20 + 10 */
    CHECK_CONTAINS(r, "2. " WHO("bob") " — waiting (rating 30)"); /* rotation: bob never had one */
    CHECK_CONTAINS(r, "rating 30");  /* 50 - one expired claim */
    /* the terms went to cat alone, privately, with the fee */
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE chat_id = 'dm-cat' AND text LIKE '%800.00 CNY%/accept 1%'"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE chat_id = 'g1' AND text LIKE '%offer #1%800.00%'"), 0);
    fx_close(&f);
}

TEST(every_candidate_declines)
{
    const char *langs[] = {"en", "zh-CN"};
    for (int l = 0; l < 2; l++) {
        struct fx f;
        setup(&f, langs[l]);
        say(&f, "op", T0, "/offer new 1");
        said(&f);
        CHECK_STR(state_of(&f, "alice"), "offered");
        int64_t before = chain_rows(&f);
        say(&f, "bob", T0, "/accept 1"); /* not their turn */
        CHECK_CONTAINS(said(&f), l ? "还没轮到你" : "not reached you");
        CHECK_INT(chain_rows(&f), before);
        CHECK_INT(fx_say_private(&f, "alice", T0 + 60, "/decline busy"), 0);
        CHECK_STR(state_of(&f, "bob"), "offered");
        CHECK_INT(fx_say_private(&f, "bob", T0 + 120, "/decline 1"), 0);
        CHECK_INT(fx_say_private(&f, "cat", T0 + 180, "/decline"), 0);
        CHECK_INT(fx_i64(&f, "SELECT count(*) FROM offers WHERE state = 'exhausted'"), 1);
        CHECK_INT(fx_i64(&f, l ? "SELECT count(*) FROM outbox WHERE chat_id = 'g1' AND text LIKE '%每个人都婉拒%'"
                               : "SELECT count(*) FROM outbox WHERE chat_id = 'g1' AND text LIKE '%everyone in the chain declined%'"),
                  1);
        CHECK_INT(fx_i64(&f, "SELECT count(*) FROM claims"), 0);
        said(&f);
        /* answering again changes nothing */
        before = chain_rows(&f);
        fx_say_private(&f, "alice", T0 + 240, "/accept 1");
        CHECK_CONTAINS(said(&f), "#1");
        CHECK_INT(chain_rows(&f), before);
        /* the operator adds someone: offered at once */
        say(&f, "dan", T0, "/checkin");
        say(&f, "op", T0 + 300, "/offer add 1 @dan");
        CHECK_INT(fx_i64(&f, "SELECT count(*) FROM offers WHERE state = 'open'"), 1);
        CHECK_STR(state_of(&f, "dan"), "offered");
        say(&f, "dan", T0 + 360, "/accept");
        CHECK_INT(fx_i64(&f, "SELECT count(*) FROM claims WHERE state = 'claimed'"), 1);
        CHECK_INT(fx_i64(&f, "SELECT claimed FROM tasks WHERE id = 1"), 1);
        CHECK_INT(fx_tally_disagreements(&f), 0);
        fx_close(&f);
    }
}

TEST(silence_passes_it_on_at_the_window_end)
{
    struct fx f;
    setup(&f, "en");
    say(&f, "op", T0, "/offer new 1 photo 2h");
    said(&f);
    CHECK_INT(engine_next_due(f.e, T0), T0 + 2 * H);
    CHECK_INT(engine_tick(f.e, T0 + 2 * H - 1), 0);
    CHECK_STR(state_of(&f, "alice"), "offered");
    CHECK_INT(engine_tick(f.e, T0 + 2 * H), 0);
    CHECK_STR(state_of(&f, "alice"), "expired");
    CHECK_STR(state_of(&f, "bob"), "offered");
    CHECK_CONTAINS(said(&f), "did not answer in time");
    CHECK_INT(engine_tick(f.e, T0 + 2 * H), 0); /* a second tick: nothing more */
    CHECK_STR(said(&f), "");
    CHECK_INT(engine_next_due(f.e, T0 + 2 * H), T0 + 4 * H);
    fx_close(&f);
}

/* An acceptance against the window's end: sent before it and arriving
   before the tick, it counts; once the tick passed the offer on, it is
   refused with the time the window closed, and nothing changes. */
TEST(acceptance_racing_the_window_end)
{
    struct fx f;
    setup(&f, "en");
    say(&f, "op", T0, "/offer new 1 photo 2h");
    said(&f);
    int64_t end = T0 + 2 * H;
    /* sent one second before the end, applied one second after it */
    struct kb_event ev = {.kind = KB_EV_MESSAGE, .platform = "console", .chat_id = "dm-alice",
                          .chat_type = KB_CHAT_PRIVATE, .user_id = "alice", .user_name = "alice",
                          .message_id = "late-1", .time = end - 1, .text = "/accept"};
    CHECK_INT(engine_apply(f.e, &ev, 1, NULL, NULL, end + 1), 0);
    CHECK_STR(state_of(&f, "alice"), "accepted");
    CHECK_INT(engine_tick(f.e, end + 2), 0);
    CHECK_STR(state_of(&f, "bob"), "skipped");
    fx_close(&f);

    setup(&f, "en");
    say(&f, "op", T0, "/offer new 1 photo 2h");
    CHECK_INT(engine_tick(f.e, end), 0); /* the tick came first */
    said(&f);
    int64_t before = chain_rows(&f);
    ev.message_id = "late-2";
    CHECK_INT(engine_apply(f.e, &ev, 1, NULL, NULL, end + 1), 0);
    CHECK_CONTAINS(said(&f), "closed at 2026-11-23 10:00");
    CHECK_INT(chain_rows(&f), before);
    CHECK_STR(state_of(&f, "bob"), "offered");
    /* sent exactly at the end: too late even before the tick */
    say(&f, "op", T0, "/offer skip 1"); /* to cat */
    said(&f);
    int64_t cat_due = fx_i64(&f, "SELECT due_at FROM offer_candidates WHERE state = 'offered'");
    before = chain_rows(&f);
    CHECK_INT(fx_say_private(&f, "cat", cat_due, "/accept"), 0);
    CHECK_CONTAINS(said(&f), "closed");
    CHECK_INT(chain_rows(&f), before);
    fx_close(&f);
}

TEST(skip_add_show_and_refusals)
{
    struct fx f;
    setup(&f, "en");
    say(&f, "op", T0, "/offer new 1 nosuchpool");
    CHECK_CONTAINS(said(&f), "Nobody in the");
    say(&f, "op", T0, "/offer new 1 photo 1y");
    CHECK_CONTAINS(said(&f), "Usage");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM offers"), 0);
    say(&f, "op", T0, "/offer new 1");
    say(&f, "op", T0, "/offer new 1");
    CHECK_CONTAINS(said(&f), "already has an open offer");
    say(&f, "op", T0, "/offer skip 1");
    CHECK_STR(state_of(&f, "alice"), "skipped");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE chat_id = 'dm-alice' AND text LIKE '%withdrawn%'"), 1);
    int64_t before = chain_rows(&f);
    say(&f, "op", T0, "/offer add 1 @bob");
    CHECK_CONTAINS(said(&f), "already in the chain");
    say(&f, "op", T0, "/task new precision Other --reward points 1 --pools photo");
    say(&f, "alice", T0, "/claim 2");
    say(&f, "op", T0, "/offer new 2");
    CHECK_CONTAINS(said(&f), WHO("bob") " — offered"); /* alice holds a claim: not in the chain */
    say(&f, "op", T0, "/offer add 2 @alice");
    CHECK_CONTAINS(said(&f), "has claimed the task");
    say(&f, "bob", T0, "/claim 2"); /* taken meanwhile by hand */
    say(&f, "bob", T0, "/accept 2");
    CHECK_CONTAINS(said(&f), "already claimed");
    CHECK_STR(state_of(&f, "bob"), "offered");
    before = chain_rows(&f);
    say(&f, "op", T0, "/offer show 9");
    CHECK_CONTAINS(said(&f), "no offer #9");
    CHECK_INT(chain_rows(&f), before);
    say(&f, "op", T0, "/offer show 1");
    const char *r = said(&f);
    CHECK_CONTAINS(r, "1. " WHO("alice") " — skipped");
    CHECK_CONTAINS(r, "2. " WHO("bob") " — offered, answer by 2026-11-24 08:00");
    say(&f, "op", T0, "/offer cancel 1");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM offers WHERE state = 'cancelled'"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM offer_candidates WHERE offer_id = 1 AND state IN ('offered','waiting')"), 0);
    before = chain_rows(&f);
    fx_say_private(&f, "bob", T0, "/accept 1");
    CHECK_INT(chain_rows(&f), before);
    fx_close(&f);
}

TEST(catalogue_has_both_languages)
{
    for (size_t i = 0; i < offer_module.n_texts; i++) {
        const struct text_entry *t = &offer_module.texts[i];
        CHECK(t->zh && *t->zh && t->en && *t->en && strcmp(t->zh, t->en));
    }
}

TEST_MAIN(T(fit_orders_by_rating_then_rotation), T(past_work_sets_the_order), T(every_candidate_declines),
          T(silence_passes_it_on_at_the_window_end), T(acceptance_racing_the_window_end),
          T(skip_add_show_and_refusals), T(catalogue_has_both_languages))
