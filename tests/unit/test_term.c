/* Titles with a term and duties: the flags of /grant title, /me, the
   reminder before the end, the expiry (ledger, audit, post) exactly once
   across ticks and a restart, renewal, revocation. */
#include "../test.h"
#include "../support/fixture.h"

#include "../../core/ledger.h"
#include "../../core/term.h"

/* the isolates text_user puts around untrusted text */
#define FSI "\xE2\x81\xA8"
#define PDI "\xE2\x81\xA9"

static const int64_t T0 = 1795392000; /* 2026-11-23 08:00 Asia/Shanghai */
static const int64_t DAY = 86400;
/* 2026-12-31 23:59 Asia/Shanghai, what "--until 2026-12-31" means */
static const int64_t END = 1798732740;

static char *said(struct fx *f, const char *user, int64_t t, const char *text)
{
    if (fx_say(f, "g1", user, t, text))
        TEST_FAIL("apply %s: %s", text, engine_errmsg(f->e));
    return fx_replies(f);
}

static void open_with_alice(struct fx *f)
{
    fx_open(f, NULL, "en");
    f->e->set.term_remind_s = 7 * (int)DAY;
    free(said(f, "alice", T0, "/checkin"));
}

TEST(title_with_term_and_duty_shows_in_me)
{
    struct fx f;
    open_with_alice(&f);
    char *r = said(&f, "op", T0, "/grant title 荣誉版主 @alice --until 2026-12-31 --duty \"每周整理精华帖\"");
    CHECK_CONTAINS(r, "荣誉版主");
    CHECK_CONTAINS(r, "term until 2026-12-31 23:59");
    CHECK_CONTAINS(r, "Duties: 每周整理精华帖");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT until_at FROM title_terms WHERE ended_at IS NULL"), END);
    r = said(&f, "alice", T0 + 60, "/me");
    CHECK_CONTAINS(r, "term until 2026-12-31 23:59");
    CHECK_CONTAINS(r, "Duties: 每周整理精华帖");
    free(r);
    fx_close(&f);
}

TEST(bad_term_flags_change_nothing)
{
    struct fx f;
    open_with_alice(&f);
    int64_t ledger = fx_i64(&f, "SELECT count(*) FROM ledger");
    char *r = said(&f, "op", T0, "/grant title 版主 @alice --until 2020-01-01");
    CHECK_CONTAINS(r, "not a valid end of term");
    free(r);
    r = said(&f, "op", T0, "/grant title 版主 @alice --until someday");
    CHECK_CONTAINS(r, "not a valid end of term");
    free(r);
    r = said(&f, "op", T0, "/grant title 版主 @alice --forever");
    CHECK_CONTAINS(r, "I don't know " FSI "forever" PDI);
    free(r);
    r = said(&f, "op", T0, "/grant badge 星 @alice --until 2026-12-31");
    CHECK_CONTAINS(r, "Usage");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger"), ledger);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM title_terms"), 0);
    fx_close(&f);
}

TEST(reminder_once_before_the_end)
{
    struct fx f;
    open_with_alice(&f);
    free(said(&f, "op", T0, "/grant title 荣誉版主 @alice --until 2026-12-31"));
    CHECK_INT(term_module.next_due(f.e, T0), END - 7 * DAY);
    CHECK_INT(engine_tick(f.e, END - 7 * DAY - 1), 0);
    char *r = fx_replies(&f);
    CHECK_STR(r, "");
    free(r);
    CHECK_INT(engine_tick(f.e, END - 7 * DAY), 0);
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "your term as <b>" FSI "荣誉版主" PDI "</b> ends on 2026-12-31 23:59");
    free(r);
    fx_reopen(&f); /* a restart does not repeat it */
    CHECK_INT(engine_tick(f.e, END - 6 * DAY), 0);
    r = fx_replies(&f);
    CHECK_STR(r, "");
    free(r);
    CHECK_INT(term_module.next_due(f.e, END - 6 * DAY), END);
    fx_close(&f);
}

TEST(expiry_takes_the_title_once_with_an_audit_row)
{
    struct fx f;
    open_with_alice(&f);
    free(said(&f, "op", T0, "/grant title 荣誉版主 @alice --until 2026-12-31 --duty 审核"));
    CHECK_INT(engine_tick(f.e, END), 0);
    char *r = fx_replies(&f);
    CHECK_CONTAINS(r, "alice" PDI "'s term as <b>" FSI "荣誉版主" PDI "</b> has ended");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE kind = 'title'"), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE reason = 'expire'"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM audit WHERE action = 'title.expire' AND actor_member_id IS NULL"), 1);
    CHECK_INT(engine_tick(f.e, END + DAY), 0);
    fx_reopen(&f);
    CHECK_INT(engine_tick(f.e, END + 2 * DAY), 0);
    r = fx_replies(&f);
    CHECK_STR(r, "");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE reason = 'expire'"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM audit WHERE action = 'title.expire'"), 1);
    r = said(&f, "alice", END + 3 * DAY, "/me");
    CHECK(strstr(r, "荣誉版主") == NULL);
    free(r);
    fx_close(&f);
}

TEST(renewal_moves_the_end_and_keeps_the_duty)
{
    struct fx f;
    open_with_alice(&f);
    free(said(&f, "op", T0, "/grant title 荣誉版主 @alice --until 2026-12-31 --duty 审核"));
    char *r = said(&f, "op", T0 + 60, "/grant title 荣誉版主 @alice --until 2027-03-31");
    CHECK_CONTAINS(r, "renewed (term until 2027-03-31 23:59)");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM title_terms WHERE ended_at IS NULL AND duty = '审核'"), 1);
    CHECK_INT(engine_tick(f.e, END + 1), 0);
    CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE kind = 'title'"), 1);
    fx_close(&f);
}

TEST(revoked_title_does_not_expire_later)
{
    struct fx f;
    open_with_alice(&f);
    free(said(&f, "op", T0, "/grant title 荣誉版主 @alice --until 2026-12-31"));
    free(said(&f, "op", T0 + 60, "/revoke title 荣誉版主 @alice"));
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM title_terms WHERE ended_how = 'revoked'"), 1);
    CHECK_INT(engine_tick(f.e, END + 1), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE reason = 'expire'"), 0);
    CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE kind = 'title'"), 0);
    fx_close(&f);
}

TEST_MAIN(T(title_with_term_and_duty_shows_in_me), T(bad_term_flags_change_nothing),
          T(reminder_once_before_the_end), T(expiry_takes_the_title_once_with_an_audit_row),
          T(renewal_moves_the_end_and_keeps_the_duty), T(revoked_title_does_not_expire_later))
