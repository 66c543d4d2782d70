/* Mentors for newcomers: naming mentors (a title with a term), automatic
   assignment (fewest open mentees, capped, round robin), assignment by
   hand, milestones credited once each, the leaderboard and /me, a mentor
   whose term ended. */
#include "../test.h"
#include "../support/fixture.h"

#include "../../core/mentor.h"

static const int64_t T0 = 1795392000; /* 2026-11-23 08:00 Asia/Shanghai */
static const int64_t DAY = 86400;

/* The replies without the isolates around untrusted text (U+2068, U+2069). */
static char *said(struct fx *f, const char *user, int64_t t, const char *text)
{
    if (fx_say(f, "g1", user, t, text))
        TEST_FAIL("apply %s: %s", text, engine_errmsg(f->e));
    char *r = fx_replies(f), *w = r;
    for (const char *p = r; *p;)
        if (!strncmp(p, "\xE2\x81\xA8", 3) || !strncmp(p, "\xE2\x81\xA9", 3))
            p += 3;
        else
            *w++ = *p++;
    *w = '\0';
    return r;
}

static void say(struct fx *f, const char *user, int64_t t, const char *text)
{
    free(said(f, user, t, text));
}

static int64_t mentor_of(struct fx *f, const char *user)
{
    sqlite3_stmt *s = store_query(f->e->st,
                                  "SELECT h.handle FROM mentees x JOIN members m ON m.id = x.member_id"
                                  " JOIN members h ON h.id = x.mentor_id WHERE m.handle = ?",
                                  VALS(ST(user)));
    int64_t which = 0; /* 1 = mia, 2 = max, 0 = none */
    if (s && store_step(f->e->st, s) == 1)
        which = !strcmp(store_text(s, 0), "mia") ? 1 : !strcmp(store_text(s, 0), "max") ? 2 : -1;
    store_done(s);
    return which;
}

/* mia (cap 2) and max (the configured cap) are mentors. */
static void open_with_mentors(struct fx *f)
{
    fx_open(f, NULL, "en");
    f->e->set.mentor_cap = 3;
    f->e->set.mentor_points_checkin_week = 20;
    f->e->set.mentor_points_first_task = 30;
    f->e->set.mentor_points_level2 = 50;
    say(f, "mia", T0, "/me");
    say(f, "max", T0, "/me");
    say(f, "op", T0, "/mentor add @mia --until 2027-03-31 --cap 2");
    say(f, "op", T0, "/mentor add @max");
}

TEST(mentor_is_a_title_with_a_term)
{
    struct fx f;
    open_with_mentors(&f);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM mentors"), 2);
    CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE kind = 'title' AND unit = 'Mentor'"), 2);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM title_terms WHERE title = 'Mentor' AND ended_at IS NULL"), 2);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM audit WHERE action = 'mentor.add'"), 2);
    char *r = said(&f, "mia", T0 + 1, "/me");
    CHECK_CONTAINS(r, "Mentor: term until 2027-03-31 23:59");
    CHECK_CONTAINS(r, "Duties: Welcome and guide");
    free(r);
    fx_close(&f);
}

TEST(newcomers_go_to_the_mentor_with_fewest_open_mentees_within_caps)
{
    struct fx f;
    open_with_mentors(&f);
    char *r = said(&f, "n1", T0 + 10, "/checkin");
    CHECK_CONTAINS(r, "Your mentor is @mia"); /* equal counts: added first, never assigned */
    CHECK_CONTAINS(r, "You have a new mentee");
    free(r);
    say(&f, "n2", T0 + 11, "/checkin");
    say(&f, "n3", T0 + 12, "/checkin");
    say(&f, "n4", T0 + 13, "/checkin");
    say(&f, "n5", T0 + 14, "/checkin");
    say(&f, "n6", T0 + 15, "/checkin"); /* mia full at 2, max full at 3 */
    CHECK_INT(mentor_of(&f, "n1"), 1);
    CHECK_INT(mentor_of(&f, "n2"), 2);
    CHECK_INT(mentor_of(&f, "n3"), 1);
    CHECK_INT(mentor_of(&f, "n4"), 2);
    CHECK_INT(mentor_of(&f, "n5"), 2);
    CHECK_INT(mentor_of(&f, "n6"), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM audit WHERE action = 'mentor.auto' AND actor_member_id IS NULL"), 5);
    /* a returning member is not new; an operator is nobody's mentee */
    say(&f, "n1", T0 + 20, "/me");
    say(&f, "op2", T0 + 20, "/me");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM mentees"), 5);
    fx_close(&f);
}

TEST(assignment_by_hand)
{
    struct fx f;
    open_with_mentors(&f);
    f.e->set.mentor_cap = 0;
    say(&f, "n1", T0 + 10, "/checkin"); /* -> mia */
    char *r = said(&f, "op", T0 + 20, "/mentor assign @n1 @max");
    CHECK_CONTAINS(r, "Your mentor is @max");
    free(r);
    CHECK_INT(mentor_of(&f, "n1"), 2);
    r = said(&f, "op", T0 + 21, "/mentor assign @n1 @max");
    CHECK_CONTAINS(r, "already mentors");
    free(r);
    r = said(&f, "op", T0 + 22, "/mentor assign @n1 @n1");
    CHECK_CONTAINS(r, "is not a serving mentor");
    free(r);
    r = said(&f, "op", T0 + 23, "/mentor assign @max @max");
    CHECK_CONTAINS(r, "cannot be their own mentee");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM audit WHERE action = 'mentor.assign'"), 1);
    fx_close(&f);
}

TEST(milestones_credit_the_mentor_once_each)
{
    struct fx f;
    open_with_mentors(&f);
    for (int d = 0; d < 7; d++) /* the 7th day is the first check-in week */
        say(&f, "n1", T0 + 10 + d * DAY, "/checkin");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM mentor_credits WHERE milestone = 'checkin_week'"), 1);
    CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE reason = 'mentor'"), 20);
    say(&f, "n1", T0 + 10 + 7 * DAY, "/checkin"); /* 108 points: level 2 */
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM mentor_credits WHERE milestone = 'level2'"), 1);
    CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE reason = 'mentor'"), 70);
    say(&f, "op", T0 + 8 * DAY, "/task new basic Hello --everyone --reward points 100");
    say(&f, "n1", T0 + 8 * DAY + 1, "/claim 1");
    say(&f, "n1", T0 + 8 * DAY + 2, "/submit 1 my first photo");
    say(&f, "op", T0 + 8 * DAY + 3, "/approve 1");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM task_completions"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM mentor_credits"), 3);
    CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE reason = 'mentor'"), 100);
    CHECK_INT(fx_i64(&f, "SELECT count(DISTINCT ref) FROM ledger WHERE reason = 'mentor'"), 3);
    /* more standing changes credit nothing more */
    say(&f, "n1", T0 + 9 * DAY, "/checkin");
    say(&f, "op", T0 + 9 * DAY, "/grant points 5 @n1 thanks");
    CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE reason = 'mentor'"), 100);
    char *r = said(&f, "mia", T0 + 9 * DAY, "/mentor top");
    CHECK_CONTAINS(r, "1. mia");
    CHECK_CONTAINS(r, "mentees: 1, milestones: 3, 100 points");
    free(r);
    r = said(&f, "mia", T0 + 9 * DAY, "/mentor");
    CHECK_CONTAINS(r, "Mentees: 1, mentor credit 100 points");
    CHECK_CONTAINS(r, "first check-in week (7 days), first approved task, level 2");
    free(r);
    fx_close(&f);
}

TEST(a_mentor_whose_term_ended_takes_and_earns_nothing)
{
    struct fx f;
    open_with_mentors(&f);
    say(&f, "n1", T0 + 10, "/checkin"); /* -> mia, whose term ends 2027-03-31 */
    say(&f, "op", T0 + 20, "/mentor remove @max");
    CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE kind = 'title' AND unit = 'Mentor'"), 1);
    int64_t after = 1806508800; /* 2027-04-01 */
    CHECK_INT(engine_tick(f.e, after), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE reason = 'expire'"), 1);
    say(&f, "n9", after + 10, "/checkin");
    CHECK_INT(mentor_of(&f, "n9"), 0);
    for (int d = 1; d < 8; d++)
        say(&f, "n1", after + d * DAY, "/checkin");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM mentor_credits"), 0);
    char *r = said(&f, "op", after + 9 * DAY, "/mentor list");
    CHECK_CONTAINS(r, "mia (no longer serving)");
    free(r);
    fx_close(&f);
}

TEST(bad_mentor_commands_change_nothing)
{
    struct fx f;
    open_with_mentors(&f);
    int64_t audit = fx_i64(&f, "SELECT count(*) FROM audit");
    char *r = said(&f, "op", T0 + 1, "/mentor add @mia --cap 0");
    CHECK_CONTAINS(r, "not a valid cap");
    free(r);
    r = said(&f, "op", T0 + 1, "/mentor add @mia --until yesterday");
    CHECK_CONTAINS(r, "not a valid end of term");
    free(r);
    r = said(&f, "op", T0 + 1, "/mentor add");
    CHECK_CONTAINS(r, "Usage: /mentor add @member");
    free(r);
    r = said(&f, "op", T0 + 1, "/mentor remove");
    CHECK_CONTAINS(r, "Usage: /mentor remove @member");
    free(r);
    r = said(&f, "op", T0 + 1, "/mentor add @nobody");
    CHECK_CONTAINS(r, "I don't know the member");
    free(r);
    say(&f, "op2", T0 + 1, "/me");
    r = said(&f, "op", T0 + 1, "/mentor remove @op2");
    CHECK_CONTAINS(r, "is not a serving mentor");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM audit"), audit);
    fx_close(&f);
}

TEST(chat_admins_may_assign_but_not_name_mentors)
{
    struct fx f;
    open_with_mentors(&f);
    say(&f, "n1", T0 + 10, "/checkin");
    int64_t ledger = fx_i64(&f, "SELECT count(*) FROM ledger");
    CHECK_INT(fx_say_as(&f, "g1", "admin", KB_ROLE_CHAT_ADMIN, T0 + 20, "/mentor add @n1"), 0);
    char *r = fx_replies(&f);
    CHECK_CONTAINS(r, "only operators");
    free(r);
    CHECK_INT(fx_say_as(&f, "g1", "admin", KB_ROLE_CHAT_ADMIN, T0 + 20, "/mentor remove @mia"), 0);
    free(fx_replies(&f));
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger"), ledger);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM mentors WHERE removed_at IS NULL"), 2);
    CHECK_INT(fx_say_as(&f, "g1", "admin", KB_ROLE_CHAT_ADMIN, T0 + 30, "/mentor assign @n1 @max"), 0);
    free(fx_replies(&f));
    CHECK_INT(mentor_of(&f, "n1"), 2);
    fx_close(&f);
}

TEST_MAIN(T(chat_admins_may_assign_but_not_name_mentors), T(mentor_is_a_title_with_a_term), T(newcomers_go_to_the_mentor_with_fewest_open_mentees_within_caps),
          T(assignment_by_hand), T(milestones_credit_the_mentor_once_each),
          T(a_mentor_whose_term_ended_takes_and_earns_nothing), T(bad_mentor_commands_change_nothing))
