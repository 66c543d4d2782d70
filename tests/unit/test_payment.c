/* The reward pipeline: four-eyes approvals, payments with references,
   confirmations, failures re-owed, reversals after a payout, shipping
   addresses; and revision rounds, versions and partial acceptance.  After
   every step the books must agree (payment_books_agree): the ledger's
   sums equal the tallies. */
#include "../test.h"
#include "../support/fixture.h"

#include "../../core/payment.h"
#include "../../core/revision.h"

#define FSI "\xE2\x81\xA8"
#define PDI "\xE2\x81\xA9"
#define DAY 86400
static const int64_t T0 = 1795391940; /* 2026-11-23 07:59 Asia/Shanghai */

static char *last;
static const char *said(struct fx *f)
{
    free(last);
    last = fx_replies(f);
    return last;
}

static void books(struct fx *f)
{
    char why[300] = "";
    if (!payment_books_agree(f->e, 1, why, sizeof why))
        TEST_FAIL("the books disagree: %s", why);
}

/* user says text in chat at t; then the books are checked */
static void say(struct fx *f, const char *user, int64_t t, const char *text)
{
    CHECK_INT(fx_say(f, "g1", user, t, text), 0);
    books(f);
}

/* the same in the user's private chat with the bot */
static void say_private(struct fx *f, const char *user, int64_t t, const char *text)
{
    char chat[40], mid[24];
    snprintf(chat, sizeof chat, "dm-%s", user);
    snprintf(mid, sizeof mid, "%d", ++f->next_msg);
    struct kb_event ev = {.kind = KB_EV_MESSAGE, .platform = f->platform, .chat_id = chat,
                          .chat_type = KB_CHAT_PRIVATE, .user_id = user, .user_name = user, .user_handle = user,
                          .message_id = mid, .time = t, .text = text, .bot_username = "kocbot"};
    CHECK_INT(engine_apply(f->e, &ev, 1, NULL, NULL, t), 0);
    books(f);
}

/* An approved task with these rewards for bob (submission #n = task #n). */
static void earn(struct fx *f, int task, const char *reward)
{
    char cmd[200];
    snprintf(cmd, sizeof cmd, "/task new explore Job%d --everyone --reward %s", task, reward);
    say(f, "op", T0, cmd);
    snprintf(cmd, sizeof cmd, "/claim %d", task);
    say(f, "bob", T0, cmd);
    snprintf(cmd, sizeof cmd, "/submit %d done", task);
    say(f, "bob", T0, cmd);
    snprintf(cmd, sizeof cmd, "/approve %d", task);
    say(f, "op", T0, cmd);
    said(f);
}

/* The rows a refused command must leave alone. */
static int64_t state_rows(struct fx *f)
{
    return fx_i64(f, "SELECT (SELECT count(*) FROM ledger) * 1000000 + (SELECT count(*) FROM audit) * 10000"
                     " + (SELECT count(*) FROM payments) * 100 + (SELECT count(*) FROM payment_addresses)"
                     " + (SELECT total(length(state) * id) FROM payments)");
}

static void open_with_limit(struct fx *f, const char *lang, int limit_cents)
{
    fx_open(f, NULL, lang);
    f->set.payment_four_eyes_cents = limit_cents;
    f->set.payment_address_keep_s = 30 * DAY;
    f->set.revision_max_rounds = 2;
    fx_reopen(f);
}

/* ==== four-eyes ======================================================== */

TEST(four_eyes_refuses_the_same_operator_twice)
{
    struct fx f;
    open_with_limit(&f, "en", 100000); /* above 1000.00 two operators must agree */
    earn(&f, 1, "cash 1500 CNY");
    int64_t before = state_rows(&f);
    say(&f, "op", T0, "/payout @bob");
    CHECK_CONTAINS(said(&f), "is above " FSI "1000.00 CNY" PDI ", so two operators must agree");
    CHECK_INT(state_rows(&f), before);
    say(&f, "op", T0, "/pay approve @bob");
    CHECK_CONTAINS(said(&f), "#1 · " FSI "1500.00 CNY" PDI " · above " FSI "1000.00 CNY" PDI
                             ": another operator sends /pay approve 1");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM payments WHERE state = 'requested' AND requested_by IS NOT NULL"), 1);
    before = state_rows(&f);
    say(&f, "op", T0 + 60, "/pay approve 1");
    CHECK_CONTAINS(said(&f), "You asked for payment #1 yourself: above the limit another operator must approve it."
                             " Nothing changed.");
    CHECK_INT(state_rows(&f), before);
    say(&f, "op", T0 + 60, "/pay paid 1 TX-1");
    CHECK_CONTAINS(said(&f), "Payment #1 still awaits a second operator's approval");
    CHECK_INT(state_rows(&f), before);
    /* the owed amount is on its way: it cannot be asked for twice */
    say(&f, "op", T0 + 60, "/pay approve @bob");
    CHECK_CONTAINS(said(&f), "Nothing is owed to");
    say(&f, "op2", T0 + 120, "/pay approve 1");
    CHECK_CONTAINS(said(&f), "Payment #1 (" FSI "@bob" PDI ": " FSI "1500.00 CNY" PDI ") approved by a second operator");
    before = state_rows(&f);
    say(&f, "op2", T0 + 120, "/pay approve 1");
    CHECK_CONTAINS(said(&f), "Payment #1 is already approved; nothing changed.");
    say(&f, "op", T0 + 120, "/pay approve 1");
    CHECK_CONTAINS(said(&f), "Payment #1 is already approved");
    CHECK_INT(state_rows(&f), before);
    say(&f, "op", T0 + 180, "/pay paid 1 TX-2026-1123");
    CHECK_CONTAINS(said(&f), "Payment #1 recorded as paid");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM payments WHERE requested_by <> approved_by AND state = 'paid'"), 1);
    /* under the limit one operator suffices, even the approver of the work */
    earn(&f, 2, "cash 200 CNY");
    say(&f, "op", T0, "/payout @bob");
    CHECK_CONTAINS(said(&f), "Recorded as paid to " FSI "@bob" PDI ": " FSI "200.00 CNY" PDI);
    /* with the limit off (0) /payout settles any amount at once */
    fx_close(&f);
    open_with_limit(&f, "zh-CN", 100000);
    earn(&f, 1, "cash 1500 CNY");
    say(&f, "op", T0, "/pay approve @bob");
    said(&f);
    say(&f, "op", T0, "/pay approve 1");
    CHECK_CONTAINS(said(&f), "付款 #1 是你申请的，超过限额的付款必须由另一位运营批准。什么都没有改变。");
    fx_close(&f);
}

/* ==== paid, confirmed, failed ========================================== */

TEST(paid_with_a_reference_then_confirmed_by_the_member)
{
    struct fx f;
    open_with_limit(&f, "en", 100000);
    earn(&f, 1, "cash 300 CNY, points 20");
    say(&f, "op", T0, "/pay approve @bob");
    CHECK_CONTAINS(said(&f), "#1 · " FSI "300.00 CNY" PDI " · approved; once paid, send /pay paid 1");
    say(&f, "op", T0, "/tally");
    CHECK_CONTAINS(said(&f), "<b>Pipeline (now)</b>\n• " FSI "CNY" PDI ": owed 0.00 · approved 300.00");
    int64_t before = state_rows(&f);
    say(&f, "op", T0, "/pay paid 1");
    CHECK_CONTAINS(said(&f), "/pay paid &lt;n&gt; &lt;transfer id");
    say(&f, "op", T0, "/pay paid 9 X");
    CHECK_CONTAINS(said(&f), "There is no payment #9.");
    say(&f, "bob", T0, "/received 1");
    CHECK_CONTAINS(said(&f), "Payment #1 is approved, to be paid: that step does not apply, nothing changed.");
    CHECK_INT(state_rows(&f), before);
    say(&f, "op", T0 + DAY, "/pay paid 1 ALIPAY-2026112300042");
    const char *r = said(&f);
    CHECK_CONTAINS(r, FSI "300.00 CNY" PDI " is on its way to you (payment #1, reference " FSI "ALIPAY-2026112300042" PDI
                      "). Once it arrives, send /received 1.");
    CHECK_CONTAINS(r, "Payment #1 recorded as paid");
    CHECK_INT(fx_i64(&f, "SELECT amount FROM ledger WHERE reason = 'payout' AND ref = 'payment:1'"
                         " AND note = 'ALIPAY-2026112300042'"), -30000);
    say(&f, "op", T0 + DAY, "/pay paid 1 again");
    CHECK_CONTAINS(said(&f), "Payment #1 is paid, awaiting the member's confirmation: that step does not apply");
    say(&f, "carol", T0 + DAY, "/received 1");
    CHECK_CONTAINS(said(&f), "You have no payment #1.");
    say(&f, "bob", T0 + 2 * DAY, "/received");
    CHECK_CONTAINS(said(&f), "Thank you for confirming! Received: " FSI "300.00 CNY" PDI);
    say(&f, "bob", T0 + 2 * DAY, "/received");
    CHECK_CONTAINS(said(&f), "No payment is waiting for your confirmation.");
    say(&f, "op", T0 + 2 * DAY, "/pay show 1");
    r = said(&f);
    CHECK_CONTAINS(r, "<b>Payment #1</b> · " FSI "@bob" PDI " · " FSI "300.00 CNY" PDI " · confirmed by the member");
    CHECK_CONTAINS(r, "11-23 07:59 asked for by " FSI "op" PDI);
    CHECK_CONTAINS(r, "11-23 07:59 approved by " FSI "op" PDI);
    CHECK_CONTAINS(r, "11-24 07:59 paid by " FSI "op" PDI ", reference " FSI "ALIPAY-2026112300042" PDI);
    CHECK_CONTAINS(r, "11-25 07:59 confirmed by " FSI "bob" PDI);
    say(&f, "op", T0 + 2 * DAY, "/tally");
    CHECK_CONTAINS(said(&f), ": owed 0.00 · confirmed 300.00");
    say(&f, "op", T0 + 2 * DAY, "/audit 4");
    r = said(&f);
    CHECK_CONTAINS(r, "confirmed receipt of payment #1");
    CHECK_CONTAINS(r, "paid payment #1");
    CHECK_CONTAINS(r, "approved payment #1");
    say(&f, "op", T0 + 2 * DAY, "/pay list confirmed");
    CHECK_CONTAINS(said(&f), "#1 · " FSI "@bob" PDI " · " FSI "300.00 CNY" PDI " · confirmed by the member");
    say(&f, "op", T0 + 2 * DAY, "/pay list");
    CHECK_CONTAINS(said(&f), "No payments to list.");
    say(&f, "op", T0 + 2 * DAY, "/pay list soon");
    CHECK_CONTAINS(said(&f), "Usage: /pay list");
    fx_close(&f);
}

TEST(a_failed_payment_is_owed_again_once)
{
    struct fx f;
    open_with_limit(&f, "en", 0);
    earn(&f, 1, "cash 88 CNY");
    say(&f, "op", T0, "/payout @bob");
    said(&f);
    say(&f, "op", T0, "/pay failed 1");
    CHECK_CONTAINS(said(&f), "/pay failed &lt;n&gt; &lt;reason&gt;");
    say(&f, "op", T0 + 60, "/pay failed 1 the bank returned it");
    const char *r = said(&f);
    CHECK_CONTAINS(r, "payment #1 (" FSI "88.00 CNY" PDI ") did not go through: " FSI "the bank returned it" PDI
                      ". It is owed to you again");
    CHECK_CONTAINS(r, "Payment #1 (" FSI "@bob" PDI " " FSI "88.00 CNY" PDI ") marked failed; the amount is owed again.");
    CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE kind = 'cash'"), 8800);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE reason = 'payfail' AND ref = 'payment:1' AND amount = 8800"), 1);
    int64_t before = state_rows(&f);
    say(&f, "op", T0 + 60, "/pay failed 1 twice");
    CHECK_CONTAINS(said(&f), "Payment #1 is failed, owed again: that step does not apply, nothing changed.");
    CHECK_INT(state_rows(&f), before);
    /* re-owed: a new payment settles it; the failed one stays as it was */
    say(&f, "op", T0 + 120, "/pay approve @bob");
    CHECK_CONTAINS(said(&f), "#2 · " FSI "88.00 CNY" PDI " · approved");
    say(&f, "op", T0 + 180, "/pay paid 2 WX-2");
    said(&f);
    CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE kind = 'cash'"), 0);
    /* a payment not yet paid may be cancelled: no ledger row, owed again */
    earn(&f, 2, "cash 50 CNY");
    say(&f, "op", T0, "/pay approve @bob");
    said(&f);
    int64_t rows = fx_i64(&f, "SELECT count(*) FROM ledger");
    say(&f, "op", T0, "/pay failed 3 wrong account");
    CHECK_CONTAINS(said(&f), "Payment #3 (" FSI "@bob" PDI " " FSI "50.00 CNY" PDI ") marked failed");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger"), rows);
    say(&f, "bob", T0, "/received 2");
    CHECK_CONTAINS(said(&f), "Received: " FSI "88.00 CNY" PDI);
    say(&f, "op", T0, "/pay failed 2 too late");
    CHECK_CONTAINS(said(&f), "Payment #2 is confirmed by the member: that step does not apply");
    fx_close(&f);
}

/* The case: an approval reversed after its payout leaves the
   member owing, shown as such; a payment approved before a reversal
   cannot be paid. */
TEST(a_reversal_after_a_payout_leaves_the_member_owing)
{
    struct fx f;
    open_with_limit(&f, "en", 100000);
    earn(&f, 1, "cash 300 CNY, gift Bag");
    say(&f, "op", T0, "/payout @bob cash");
    said(&f);
    say(&f, "op", T0 + 60, "/unapprove 1 not his photos");
    CHECK_CONTAINS(said(&f), "Already paid out to you, so now owed back: " FSI "300.00 CNY" PDI);
    say(&f, "op", T0 + 60, "/tally");
    const char *r = said(&f);
    CHECK_CONTAINS(r, "the member owes back " FSI "300.00 CNY" PDI);
    CHECK_CONTAINS(r, "CNY" PDI ": owed 0.00 · paid 300.00 · owed back by members 300.00");
    CHECK_CONTAINS(r, "gift " FSI "Bag" PDI ": owed 0");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE reason = 'unapprove'"), 2);
    /* every reward of that approval reversed exactly once */
    say(&f, "op", T0 + 60, "/unapprove 1 again");
    CHECK_CONTAINS(said(&f), "there is nothing to reverse");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE reason = 'unapprove'"), 2);
    say(&f, "op", T0 + 60, "/pay approve @bob");
    CHECK_CONTAINS(said(&f), "Nothing is owed to");
    /* nothing was deleted: award, payout and reversals are all there */
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE kind IN ('cash','gift')"), 5);

    earn(&f, 2, "cash 100 USD"); /* CNY is owed back: another currency */
    say(&f, "op", T0, "/pay approve @bob");
    said(&f);
    say(&f, "op", T0 + 60, "/unapprove 2 duplicate");
    said(&f);
    int64_t before = state_rows(&f);
    say(&f, "op", T0 + 60, "/pay paid 2 TX");
    CHECK_CONTAINS(said(&f), "Payment #2 is more than is owed now");
    CHECK_INT(state_rows(&f), before);
    say(&f, "op", T0 + 60, "/pay failed 2 reward reversed");
    said(&f);
    fx_close(&f);
}

/* ==== shipping addresses =============================================== */

TEST(a_shipped_gift_asks_for_an_address_privately_and_forgets_it)
{
    struct fx f;
    open_with_limit(&f, "en", 100000);
    earn(&f, 1, "gift Tote bag");
    say_private(&f, "bob", T0, "/me"); /* bob, then op, open a private chat with the bot */
    say_private(&f, "op", T0, "/me");
    said(&f);
    say(&f, "op", T0, "/pay approve @bob gift");
    const char *r = said(&f);
    CHECK_CONTAINS(r, "your gift " FSI "Tote bag" PDI " ×1 will be shipped (payment #1). Reply here with /address 1");
    CHECK_CONTAINS(r, "erased once you confirm receipt (or after 30 days)");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE chat_id = 'dm-bob' AND text LIKE '%/address 1%'"), 1);
    int64_t before = state_rows(&f);
    say(&f, "bob", T0, "/address 1 Room 301, 5 Lake Road, 13800000000");
    CHECK_CONTAINS(said(&f), "do not post your address in the group");
    CHECK_INT(state_rows(&f), before);
    say(&f, "op", T0, "/pay paid 1 SF100");
    CHECK_CONTAINS(said(&f), "has not given an address yet: it cannot be marked sent");
    say_private(&f, "carol", T0, "/address 1 elsewhere");
    CHECK_CONTAINS(said(&f), "You have no payment #1.");
    CHECK_INT(state_rows(&f), before);
    say_private(&f, "bob", T0 + 60, "/address 1 Room 301, 5 Lake Road, 13800000000");
    CHECK_CONTAINS(said(&f), "The shipping address for payment #1 is saved; only the operators see it");
    /* an operator in the group does not see it; in private, they do */
    say(&f, "op", T0 + 120, "/pay show 1");
    r = said(&f);
    CHECK(!strstr(r, "Lake Road"));
    CHECK_CONTAINS(r, "it is shown only in a private chat");
    say_private(&f, "op", T0 + 120, "/pay show 1");
    CHECK_CONTAINS(said(&f), "Ship to: " FSI "Room 301, 5 Lake Road, 13800000000" PDI);
    say_private(&f, "bob", T0 + 120, "/pay show 1");
    CHECK_CONTAINS(said(&f), "only");
    say(&f, "op", T0 + DAY, "/pay paid 1 SF1234567");
    said(&f);
    say_private(&f, "bob", T0 + 2 * DAY, "/received 1");
    CHECK_CONTAINS(said(&f), "Received: " FSI "Tote bag" PDI " ×1");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM payment_addresses"), 0);
    /* never in the audit trail, never in a group's messages */
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM audit WHERE detail LIKE '%Lake Road%'"), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE text LIKE '%Lake Road%' AND chat_id <> 'dm-op'"), 0);
    /* an address never confirmed is erased after the configured time */
    earn(&f, 2, "gift Cap");
    say(&f, "op", T0, "/pay approve @bob gift");
    say_private(&f, "bob", T0, "/address 2 Room 9");
    said(&f);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM payment_addresses"), 1);
    CHECK_INT(engine_next_due(f.e, T0) <= T0 + 30 * DAY, 1);
    CHECK_INT(engine_tick(f.e, T0 + 30 * DAY - 1), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM payment_addresses"), 1);
    CHECK_INT(engine_tick(f.e, T0 + 30 * DAY), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM payment_addresses"), 0);
    books(&f);
    fx_close(&f);
}

/* ==== partial acceptance =============================================== */

TEST(shares_round_half_up_to_the_cent_and_the_point)
{
    CHECK_INT(revision_share(30000, 1, 3), 10000);
    CHECK_INT(revision_share(50000, 3, 5), 30000);
    CHECK_INT(revision_share(10000, 2, 3), 6667); /* 66.666… → 66.67 */
    CHECK_INT(revision_share(10000, 1, 3), 3333); /* 33.333… → 33.33 */
    CHECK_INT(revision_share(5, 1, 2), 3);        /* 0.025 → 0.03: half up */
    CHECK_INT(revision_share(1, 1, 3), 0);
    CHECK_INT(revision_share(50, 3, 5), 30);      /* points */
    CHECK_INT(revision_share(7, 1, 2), 4);
    CHECK_INT(revision_share(7, 2, 2), 7);
    int64_t k, n;
    const char *note = "3/5 two were blurred";
    CHECK_INT(revision_parse_part(&note, &k, &n), 1);
    CHECK_INT(k * 10 + n, 35);
    CHECK_STR(note, "two were blurred");
    note = "https://example.com/x great";
    CHECK_INT(revision_parse_part(&note, &k, &n), 0);
    CHECK_STR(note, "https://example.com/x great");
    note = "3/5/7";
    CHECK_INT(revision_parse_part(&note, &k, &n), 0); /* not a part: a note */
    const char *bad[] = {"0/5", "6/5", "3/0", "3/101", "/5", "3/"};
    for (size_t i = 0; i < KB_COUNT(bad); i++) {
        note = bad[i];
        if (revision_parse_part(&note, &k, &n) != KB_EINVAL)
            TEST_FAIL("%s was taken as a part", bad[i]);
    }
}

TEST(approve_three_of_five_pays_in_proportion)
{
    struct fx f;
    open_with_limit(&f, "en", 100000);
    say(&f, "op", T0, "/task new precision Five photos --everyone --reward cash 500 CNY, points 50, gift Bag");
    say(&f, "bob", T0, "/claim 1");
    say(&f, "bob", T0, "/submit 1 https://photos.example/five");
    said(&f);
    int64_t before = state_rows(&f);
    say(&f, "op", T0, "/approve 1 6/5");
    CHECK_CONTAINS(said(&f), "A partial acceptance is accepted/total, e.g. /approve 12 3/5");
    say(&f, "op", T0, "/approve 1 0/5");
    CHECK_CONTAINS(said(&f), "A partial acceptance");
    CHECK_INT(state_rows(&f), before);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM submissions WHERE state = 'pending'"), 1);
    say(&f, "op", T0, "/approve 1 3/5 two were blurred");
    const char *r = said(&f);
    CHECK_CONTAINS(r, "You earned: 30 points, cash " FSI "300.00 CNY" PDI " (3 of 5 accepted, the reward in proportion)"
                      " — a gift, badge or title comes only with a whole acceptance.");
    CHECK_CONTAINS(r, FSI "two were blurred" PDI);
    CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE kind = 'cash'"), 30000);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE kind = 'gift'"), 0);
    CHECK_INT(fx_i64(&f, "SELECT accepted * 10 + total FROM partial_approvals WHERE submission_id = 1"), 35);
    say(&f, "op", T0, "/submission 1");
    CHECK_CONTAINS(said(&f), "3 of 5 accepted: the deliverable");
    /* all of them accepted is a whole acceptance, gift included */
    earn(&f, 2, "cash 10 CNY, gift Cap");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE kind = 'gift' AND unit = 'Cap'"), 1);
    say(&f, "op", T0, "/task new explore Whole --everyone --reward cash 10 CNY, gift Mug");
    say(&f, "bob", T0, "/claim 3");
    say(&f, "bob", T0, "/submit 3 all five");
    say(&f, "op", T0, "/approve 3 5/5");
    CHECK_CONTAINS(said(&f), "You earned: cash " FSI "10.00 CNY" PDI ", gift: " FSI "Mug" PDI "\n");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM partial_approvals"), 1);
    /* reversed, it takes back exactly what was paid */
    say(&f, "op", T0, "/unapprove 1 wrong task");
    CHECK_CONTAINS(said(&f), "Taken back: 30 points, cash " FSI "300.00 CNY" PDI);
    CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE reason IN ('task', 'unapprove')"
                         " AND ref LIKE 'task:1:%'"), 0);
    fx_close(&f);
}

/* ==== revision rounds ================================================== */

TEST(revision_rounds_up_to_the_task_maximum_every_version_kept)
{
    struct fx f;
    open_with_limit(&f, "en", 100000);
    say(&f, "op", T0, "/task new precision Poster --everyone --reward cash 200 CNY --deadline 2d --rounds 1");
    CHECK_INT(fx_i64(&f, "SELECT max_rounds FROM tasks WHERE id = 1"), 1);
    say(&f, "bob", T0, "/claim 1");
    CHECK_INT(fx_say_as(&f, "g1", "bob", KB_ROLE_MEMBER, T0 + 60, "/submit 1 https://draft.example/v1"), 0);
    said(&f);
    say(&f, "op", T0 + 120, "/revise 1");
    CHECK_CONTAINS(said(&f), "Usage: /revise");
    say(&f, "op", T0 + 120, "/revise 9 x");
    CHECK_CONTAINS(said(&f), "There is no submission #9.");
    say(&f, "bob", T0 + 120, "/revise 1 x");
    CHECK_CONTAINS(said(&f), "only");
    say(&f, "op", T0 + 3 * DAY, "/revise 1 brighter colours, logo bottom right");
    const char *r = said(&f);
    CHECK_CONTAINS(r, "needs changes (round 1 of 1): " FSI "brighter colours, logo bottom right" PDI);
    CHECK_CONTAINS(r, "This is not a rejection: send the new version. You may /submit 1 again before 2026-11-27 07:59.");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM revision_requests WHERE round = 1 AND claim_id = 1"), 1);
    CHECK_INT(fx_i64(&f, "SELECT revise_until FROM claims WHERE id = 1"), T0 + 4 * DAY);
    /* past the deadline, within the fresh window */
    say(&f, "bob", T0 + 3 * DAY + 3600, "/submit 1 https://draft.example/v2");
    CHECK_CONTAINS(said(&f), "Submission #2 for task #1 received");
    int64_t before = fx_i64(&f, "SELECT (SELECT count(*) FROM revision_requests) * 1000 + (SELECT count(*) FROM audit)"
                                " * 10 + (SELECT count(*) FROM submissions WHERE state = 'pending')");
    say(&f, "op", T0 + 3 * DAY + 7200, "/revise 2 one more round");
    CHECK_CONTAINS(said(&f), "Task #1 allows 1 revision round and submission #2 has used them all. Approve it"
                             " (in part if need be: /approve 2 3/5) or return it");
    CHECK_INT(fx_i64(&f, "SELECT (SELECT count(*) FROM revision_requests) * 1000 + (SELECT count(*) FROM audit)"
                         " * 10 + (SELECT count(*) FROM submissions WHERE state = 'pending')"),
              before);
    say(&f, "op", T0 + 3 * DAY + 7200, "/approve 2 lovely");
    said(&f);
    say(&f, "op", T0 + 3 * DAY + 7200, "/submission 2");
    r = said(&f);
    CHECK_CONTAINS(r, "Revision rounds: 1 of 1");
    CHECK_CONTAINS(r, "<b>Version 1</b> · #1 · 2026-11-23 08:00 · ✏️ changes asked (round 1)\nhttps://draft.example/v1\n");
    CHECK_CONTAINS(r, FSI "op" PDI ": " FSI "brighter colours, logo bottom right" PDI);
    CHECK_CONTAINS(r, "<b>Version 2</b> · #2 · 2026-11-26 08:59 · ✅ approved: the deliverable\nhttps://draft.example/v2\n");
    say(&f, "carol", T0, "/submission 1");
    CHECK_CONTAINS(said(&f), "Submission #1 is not your work");
    say(&f, "bob", T0, "/submission 1");
    CHECK_CONTAINS(said(&f), "open a private chat with me");
    say_private(&f, "bob", T0, "/submission 1");
    CHECK_CONTAINS(said(&f), "<b>Version 2</b>");
    say(&f, "op", T0, "/revise 2 after approval");
    CHECK_CONTAINS(said(&f), "Submission #2 is not waiting for review (approved)");
    /* rounds: the configured default, a task's own, 0 = none */
    say(&f, "op", T0, "/task new explore Logo --everyone --points 5");
    say(&f, "op", T0, "/task edit 2 --rounds 30");
    CHECK_CONTAINS(said(&f), "Field rounds: revision rounds are a whole number 0–20.");
    say(&f, "op", T0, "/task edit 2 --rounds 0");
    CHECK_CONTAINS(said(&f), "Task #2 updated: rounds");
    say(&f, "bob", T0, "/claim 2");
    say(&f, "bob", T0, "/submit 2 logo.png");
    said(&f);
    say(&f, "op", T0, "/revise 3 smaller");
    CHECK_CONTAINS(said(&f), "Task #2 allows no revision rounds.");
    say(&f, "op", T0, "/task edit 2 --rounds none");
    CHECK_CONTAINS(said(&f), "Field rounds");
    fx_close(&f);
}

TEST(revision_texts_read_natively_in_chinese)
{
    struct fx f;
    open_with_limit(&f, "zh-CN", 100000);
    say(&f, "op", T0, "/task new precision 海报 --everyone --reward cash 200 CNY");
    say(&f, "bob", T0, "/claim 1");
    say(&f, "bob", T0, "/submit 1 初稿");
    said(&f);
    say(&f, "op", T0, "/revise 1 标志放到右下角");
    CHECK_CONTAINS(said(&f), "需要修改（第 1/2 轮）：" FSI "标志放到右下角" PDI "\n这不是退回，改好后发新版本即可。");
    say(&f, "bob", T0, "/submit 1 二稿");
    say(&f, "op", T0, "/approve 2 1/2");
    CHECK_CONTAINS(said(&f), "（通过 1/2，奖励按比例计算）");
    say(&f, "op", T0, "/作品 2");
    CHECK_CONTAINS(said(&f), "部分通过 1/2（交付版本）");
    fx_close(&f);
}

/* The abuse test tries every operator command on a member; here, the
   pipeline's own: a member, and a chat admin (no ledger commands), move
   nothing, and a member confirms only their own payment. */
TEST(members_and_chat_admins_move_no_money)
{
    struct fx f;
    open_with_limit(&f, "en", 100000);
    earn(&f, 1, "cash 1500 CNY, gift Bag");
    say(&f, "op", T0, "/pay approve @bob 1500 CNY");
    said(&f);
    static const char *const cmds[] = {"/pay approve @bob gift", "/pay approve 1", "/pay paid 1 X", "/pay failed 1 x",
                                       "/pay list", "/pay show 1", "/payout @bob", "/revise 1 x", "/approve 1 1/2"};
    int64_t before = state_rows(&f);
    for (size_t i = 0; i < KB_COUNT(cmds); i++) {
        say(&f, "bob", T0, cmds[i]);
        const char *r = said(&f);
        if (!strstr(r, "only operators"))
            TEST_FAIL("a member's %s answered: %s", cmds[i], r);
        CHECK_INT(fx_say_as(&f, "g1", "admin", KB_ROLE_CHAT_ADMIN, T0, cmds[i]), 0);
        r = said(&f);
        if (strcmp(cmds[i], "/revise 1 x") && !strstr(r, "only"))
            TEST_FAIL("a chat admin's %s answered: %s", cmds[i], r);
    }
    CHECK_INT(state_rows(&f), before);
    fx_close(&f);
}

/* Malformed and oversized input: each answered, nothing changed. */
TEST(bad_input_is_answered_and_changes_nothing)
{
    struct fx f;
    open_with_limit(&f, "en", 100000);
    earn(&f, 1, "cash 50 CNY, gift Bag");
    say(&f, "op", T0, "/pay approve @bob gift");
    said(&f);
    char longref[160], longaddr[600], longnote[560];
    snprintf(longref, sizeof longref, "/pay paid 1 %0101d", 7);
    snprintf(longaddr, sizeof longaddr, "/address 1 %0501d", 7);
    snprintf(longnote, sizeof longnote, "/revise 1 %0501d", 7);
    const char *cmds[] = {"/pay", "/pay approve", "/pay approve 99999999999999999999", "/pay approve @bob -5",
                          "/pay approve @bob 1.234", "/pay approve @ghost", "/pay approve @bob 10 USD",
                          "/pay paid x TX", "/pay paid 1 TX\nsecond line", longref, "/pay failed 99 x",
                          "/pay show 0", "/pay list 1", "/received x", "/received 99", "/submission x",
                          "/submission 99", longnote, "/approve 1 3/5/", "/approve 1 1/101", "/revise 99 x"};
    int64_t before = state_rows(&f);
    for (size_t i = 0; i < KB_COUNT(cmds); i++) {
        say(&f, i >= 13 && i <= 16 ? "bob" : "op", T0, cmds[i]);
        const char *r = said(&f);
        if (!*r)
            TEST_FAIL("%s had no answer", cmds[i]);
    }
    say_private(&f, "bob", T0, longaddr);
    CHECK_CONTAINS(said(&f), "too long");
    say_private(&f, "bob", T0, "/address 1");
    CHECK_CONTAINS(said(&f), "Usage: /address");
    CHECK_INT(state_rows(&f), before);
    fx_close(&f);
}

/* One message on platform in chat (private when dm); the books checked. */
static void say_on(struct fx *f, const char *platform, const char *chat, int dm, const char *user, int role,
                   const char *text)
{
    char id[32];
    snprintf(id, sizeof id, "%d", ++f->next_msg);
    struct kb_event ev = {.kind = KB_EV_MESSAGE, .platform = platform, .chat_id = chat,
                          .chat_type = dm ? KB_CHAT_PRIVATE : KB_CHAT_GROUP, .user_id = user, .user_name = user,
                          .user_handle = user, .role = (enum kb_role)role, .message_id = id, .time = T0,
                          .text = text, .bot_username = "kocbot"};
    CHECK_INT(engine_apply(f->e, &ev, 1, NULL, NULL, T0), 0);
    fx_books_agree(f);
}

static char *code_after(const char *text, const char *cmd, char *code)
{
    const char *p = strstr(text, cmd);
    snprintf(code, 9, "%s", p ? p + strlen(cmd) : "");
    return code;
}

/* A person's two identities merge (issue 12): the payments on their way
   follow the ledger rows they settle, so nothing is paid twice, and go
   back when the link is undone. */
TEST(payments_follow_an_identity_link)
{
    struct fx f;
    open_with_limit(&f, "en", 100000);
    say(&f, "op", T0, "/community link");
    char code[9], cmd[64];
    code_after(said(&f), "/community join ", code);
    snprintf(cmd, sizeof cmd, "/community join %s", code);
    say_on(&f, "p2", "grp2", 0, "boss", KB_ROLE_CHAT_ADMIN, cmd);
    say(&f, "op", T0, "/task new explore Job --everyone --reward cash 300 CNY");
    say_on(&f, "p2", "grp2", 0, "bobqq", 0, "/claim 1");
    say_on(&f, "p2", "grp2", 0, "bobqq", 0, "/submit 1 done");
    say(&f, "op", T0, "/approve 1");
    say(&f, "op", T0, "/pay approve @bobqq");
    CHECK_CONTAINS(said(&f), "#1 · " FSI "300.00 CNY" PDI " · approved");
    say(&f, "bob", T0, "/checkin");
    say_on(&f, "console", "dm-bob", 1, "bob", 0, "/me link p2:bobqq");
    code_after(said(&f), "/me link ", code);
    snprintf(cmd, sizeof cmd, "/me link %s", code);
    say_on(&f, "p2", "dm-bobqq", 1, "bobqq", 0, cmd);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM members WHERE linked_to IS NOT NULL"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(DISTINCT member_id) FROM payments"), 1);
    CHECK_INT(fx_i64(&f, "SELECT p.member_id = l.member_id FROM payments p, ledger l WHERE l.kind = 'cash'"), 1);
    said(&f);
    say(&f, "op", T0, "/pay approve @bob");
    CHECK_CONTAINS(said(&f), "Nothing is owed to");
    say(&f, "op", T0, "/identity unlink @bob");
    CHECK_CONTAINS(said(&f), "nlinked");
    CHECK_INT(fx_i64(&f, "SELECT p.member_id = l.member_id FROM payments p, ledger l WHERE l.kind = 'cash'"), 1);
    say(&f, "op", T0, "/pay paid 1 TX-9");
    CHECK_CONTAINS(said(&f), "Payment #1 recorded as paid");
    fx_close(&f);
}

TEST_MAIN(T(bad_input_is_answered_and_changes_nothing), T(payments_follow_an_identity_link), T(members_and_chat_admins_move_no_money), T(four_eyes_refuses_the_same_operator_twice), T(paid_with_a_reference_then_confirmed_by_the_member),
          T(a_failed_payment_is_owed_again_once), T(a_reversal_after_a_payout_leaves_the_member_owing),
          T(a_shipped_gift_asks_for_an_address_privately_and_forgets_it),
          T(shares_round_half_up_to_the_cent_and_the_point), T(approve_three_of_five_pays_in_proportion),
          T(revision_rounds_up_to_the_task_maximum_every_version_kept), T(revision_texts_read_natively_in_chinese))
