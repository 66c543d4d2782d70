/* Tasks: definitions, the claim/submit/review lifecycle, every refusal,
   race-free quotas, rewards in the ledger, payouts, tallies, audit,
   reminders. */
#include "../test.h"
#include "../support/fixture.h"

#include <sys/wait.h>
#include <unistd.h>

#include "../../core/award.h"
#include "../../core/defn.h"
#include "../../core/ledger.h"
#include "../../core/top.h"
#include "../../core/task.h"

#define H 3600
#define DAY 86400
#define FSI "\xE2\x81\xA8" /* the isolates around untrusted text */
#define PDI "\xE2\x81\xA9"
static const int64_t T0 = 1795391940; /* 2026-11-23 07:59 Asia/Shanghai */

/* The replies since the last call (freed by the next call). */
static char *last;
static const char *said(struct fx *f)
{
    free(last);
    last = fx_replies(f);
    return last;
}

static void op(struct fx *f, int64_t t, const char *text)
{
    CHECK_INT(fx_say(f, "g1", "op", t, text), 0);
}

static void in_pool(struct fx *f, const char *user, const char *pool)
{
    /* make sure the member exists, then add them (the /pool commands are
       the layering feature's) */
    fx_say(f, "g1", user, T0, "/mytasks");
    free(fx_replies(f));
    CHECK_INT(store_exec(f->e->st,
                         "INSERT OR IGNORE INTO pools(community_id, name, created_at)"
                         " SELECT community_id, ?, 0 FROM members WHERE user_id = ?",
                         VALS(ST(pool), ST(user))),
              0);
    CHECK_INT(store_exec(f->e->st,
                         "INSERT INTO pool_members(community_id, pool, member_id, at)"
                         " SELECT community_id, ?, id, 0 FROM members WHERE user_id = ?",
                         VALS(ST(pool), ST(user))),
              0);
}

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static int64_t count_rows(struct fx *f, const char *table_sql)
{
    return fx_i64(f, table_sql);
}

/* ==== definitions ====================================================== */

TEST(one_line_definition)
{
    struct task_def d;
    const char *err = NULL;
    CHECK_INT(task_definition_parse("precision Summer photos --reward cash 500 CNY, points 50, gift tote bag"
                                    " --deadline 3d --quota 2 --pools photography, video",
                                    "Asia/Shanghai", T0, &d, &err),
              0);
    CHECK_STR(d.tier, "precision");
    CHECK_STR(d.title, "Summer photos");
    CHECK_INT(d.cash, 50000);
    CHECK_STR(d.currency, "CNY");
    CHECK_INT(d.points, 50);
    CHECK_STR(d.gift, "tote bag");
    CHECK_INT(d.deadline, T0 + 3 * DAY);
    CHECK_INT(d.quota, 2);
    CHECK_STR(d.pools, "photography,video");
    CHECK_STR(d.access, "criteria");
    CHECK_INT(d.review, 1);
    task_def_free(&d);
}

TEST(multi_line_definition_with_brief_sections)
{
    struct task_def d;
    const char *err = NULL;
    const char *text = "Autumn unboxing video\n"
                       "tier: explore\n"
                       "background: our autumn box launches Dec 1\n"
                       "messages: warm, cosy\n"
                       "  made for sharing\n"
                       "style: handheld, natural light\n"
                       "deliverables: one 30 s vertical video\n\n"
                       "reward: points 80; badge Autumn Star\n"
                       "deadline: 2026-12-01 20:00\n"
                       "level: 3\n"
                       "review: no\n";
    if (task_definition_parse(text, "Asia/Shanghai", T0, &d, &err))
        TEST_FAIL("%s %s", err, d.field);
    CHECK_STR(d.tier, "explore");
    CHECK_STR(d.title, "Autumn unboxing video");
    CHECK_CONTAINS(d.brief, "background: our autumn box launches Dec 1\nmessages: warm, cosy\nmade for sharing");
    CHECK_CONTAINS(d.brief, "deliverables: one 30 s vertical video");
    CHECK_INT(d.points, 80);
    CHECK_STR(d.badge, "Autumn Star");
    CHECK_INT(d.min_level, 3);
    CHECK_INT(d.review, 0);
    CHECK_INT(d.deadline, 1796126400); /* 2026-12-01 20:00 +08:00 */
    task_def_free(&d);
}

TEST(tier_defaults)
{
    struct task_def d;
    const char *err;
    CHECK_INT(task_definition_parse("basic Say hi --points 5", "UTC", T0, &d, &err), 0);
    CHECK_STR(d.access, "everyone");
    CHECK_INT(d.review, 0);
    task_def_free(&d);
    CHECK_INT(task_definition_parse("explore Try it", "UTC", T0, &d, &err), 0);
    CHECK_STR(d.access, "criteria");
    CHECK_INT(d.min_level, 2);
    CHECK_INT(d.review, 1);
    task_def_free(&d);
    CHECK_INT(task_definition_parse("precision Shoot", "UTC", T0, &d, &err), 0);
    CHECK_STR(d.access, "invite");
    task_def_free(&d);
    CHECK_INT(task_definition_parse("cobuild Plan the meetup --reward title Co-creator, gift dinner",
                                    "UTC", T0, &d, &err), 0);
    CHECK_STR(d.access, "invite");
    CHECK_STR(d.title_reward, "Co-creator");
    task_def_free(&d);
    CHECK_INT(task_definition_parse("explore Open one --everyone", "UTC", T0, &d, &err), 0);
    CHECK_STR(d.access, "everyone");
    task_def_free(&d);
}

TEST(malformed_definitions_name_the_field)
{
    static const struct { const char *text, *key, *field; } cases[] = {
        {"Summer photos --points 5", "task.bad.tier", "tier"},
        {"gold Summer photos", "task.bad.tier", "tier"},
        {"basic Summer --tier silver", "task.bad.tier", "tier"},
        {"basic", "task.bad.title", "title"},
        {"basic Hi --reward diamonds 3", "task.bad.reward", "reward"},
        {"basic Hi --reward points many", "task.bad.reward", "reward"},
        {"basic Hi --cash 12.345", "task.bad.reward_item", "cash"},
        {"basic Hi --cash 0", "task.bad.reward_item", "cash"},
        {"basic Hi --points -3", "task.bad.reward_item", "points"},
        {"basic Hi --deadline someday", "task.bad.deadline", "deadline"},
        {"basic Hi --deadline 2020-01-01", "task.bad.deadline_past", "deadline"},
        {"basic Hi --deadline 11-20 20:00", "task.bad.deadline_past", "deadline"}, /* not 2027-11-20 */
        {"basic Hi --quota lots", "task.bad.quota", "quota"},
        {"basic Hi --quota -1", "task.bad.quota", "quota"},
        {"basic Hi --level 0", "task.bad.level", "level"},
        {"basic Hi --pools ,", "task.bad.pools", "pools"},
        {"basic Hi --review maybe", "task.bad.review", "review"},
        {"basic Hi --colour blue", "task.bad.unknown", "colour"},
        {"basic Hi --everyone --level 2", "task.bad.everyone", "everyone"},
        {"basic Hi\ninvite:", "task.bad.invite", "invite"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct task_def d;
        const char *err = NULL;
        if (task_definition_parse(cases[i].text, "UTC", T0, &d, &err) != KB_EINVAL)
            TEST_FAIL("accepted: %s", cases[i].text);
        CHECK_STR(err, cases[i].key);
        CHECK_STR(d.field, cases[i].field);
        CHECK(text_has(err));
    }
    struct task_def d;
    const char *err = NULL;
    CHECK_INT(task_edit_parse("", "UTC", T0, &d, &err), KB_EINVAL);
    CHECK_STR(err, "task.bad.nothing");
    CHECK_INT(task_edit_parse("--quota 5 --deadline none", "UTC", T0, &d, &err), 0);
    CHECK_INT(d.given, TD_QUOTA | TD_DEADLINE);
    CHECK_INT(d.deadline, 0);
    task_def_free(&d);
}

TEST(cash_amounts)
{
    int64_t c = 0;
    CHECK_INT(task_parse_cents("200", &c), 0);
    CHECK_INT(c, 20000);
    CHECK_INT(task_parse_cents("99.5", &c), 0);
    CHECK_INT(c, 9950);
    CHECK_INT(task_parse_cents("0.05", &c), 0);
    CHECK_INT(c, 5);
    CHECK(task_parse_cents("1.234", &c) != 0);
    CHECK(task_parse_cents("1e5", &c) != 0);
    CHECK(task_parse_cents("", &c) != 0);
    CHECK(task_parse_cents("9999999999", &c) != 0);
    struct task_def d;
    const char *err;
    CHECK_INT(task_definition_parse("basic X --cash ¥88", "UTC", T0, &d, &err), 0);
    CHECK_INT(d.cash, 8800);
    CHECK_STR(d.currency, "CNY");
    task_def_free(&d);
    CHECK_INT(task_definition_parse("basic X --cash usd 12.50", "UTC", T0, &d, &err), 0);
    CHECK_STR(d.currency, "USD");
    CHECK_INT(d.cash, 1250);
    task_def_free(&d);
}

/* ==== posting ========================================================== */

/* A level above the ladder or a pool that does not exist would post a task
   nobody can claim: refused at /task new and /task edit, nothing stored. */
TEST(tasks_nobody_can_claim_are_refused)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, T0, "/task new explore Too high --level 9 --points 5");
    CHECK_CONTAINS(said(&f), "The level ladder ends at L5");
    op(&f, T0, "/task new explore Nowhere --pools nosuch --points 5");
    CHECK_CONTAINS(said(&f), "There is no talent pool called " FSI "nosuch" PDI);
    in_pool(&f, "alice", "photo");
    op(&f, T0, "/task new explore Half --pools photo, nosuch --points 5");
    CHECK_CONTAINS(said(&f), "no talent pool called " FSI "nosuch" PDI);
    CHECK_INT(count_rows(&f, "SELECT count(*) FROM tasks"), 0);
    op(&f, T0, "/task new explore Fine --pools PHOTO --level 5 --points 5");
    CHECK_CONTAINS(said(&f), "Task #1 posted");
    op(&f, T0, "/task edit 1 --level 6");
    CHECK_CONTAINS(said(&f), "nobody can reach L6");
    op(&f, T0, "/task edit 1 --pools ghost");
    CHECK_CONTAINS(said(&f), "no talent pool called " FSI "ghost" PDI);
    CHECK_INT(count_rows(&f, "SELECT min_level FROM tasks WHERE id = 1"), 5);
    CHECK_INT(count_rows(&f, "SELECT count(*) FROM task_pools WHERE pool = 'ghost'"), 0);
    fx_close(&f);
}

TEST(post_announces_audits_and_shows_the_brief)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, T0, "/task new basic Say hello --points 5\nbrief: Introduce yourself\n  in two lines");
    const char *r = said(&f);
    CHECK_CONTAINS(r, "Task #1 posted");
    CHECK_CONTAINS(r, "New task");
    CHECK_CONTAINS(r, "Foundation");
    CHECK_CONTAINS(r, "5 points");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM posted WHERE 0") , 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE ref = 'task:1' AND buttons LIKE '%/claim 1'"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM audit WHERE action = 'task.post' AND target = 'task:1'"), 1);
    fx_say(&f, "g1", "alice", T0 + 60, "/task 1");
    r = said(&f);
    CHECK_CONTAINS(r, "Introduce yourself\nin two lines");
    CHECK_CONTAINS(r, "open to you: /claim 1");
    /* a malformed definition changes nothing and names the field */
    op(&f, T0, "/task new explore Bad one --deadline yesterday-ish");
    r = said(&f);
    CHECK_CONTAINS(r, "Field deadline");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM tasks"), 1);
    fx_close(&f);
}

TEST(basic_task_is_approved_on_submission)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, T0, "/task new basic Say hello --points 5");
    fx_say(&f, "g1", "alice", T0 + 60, "/claim 1");
    fx_say(&f, "g1", "alice", T0 + 120, "/submit 1 Hi all, I'm Alice");
    const char *r = said(&f);
    CHECK_CONTAINS(r, "completed task #1");
    CHECK_CONTAINS(r, "5 points");
    CHECK_INT(fx_i64(&f, "SELECT amount FROM ledger WHERE reason = 'task' AND kind = 'points'"), 5);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE ref = 'task:1:claim:1'"), 1);
    CHECK(top_tallies_agree(f.e, 1));
    fx_say(&f, "g1", "alice", T0 + 180, "/submit 1 again");
    CHECK_CONTAINS(said(&f), "already been approved");
    fx_say(&f, "g1", "alice", T0 + 180, "/claim 1");
    CHECK_CONTAINS(said(&f), "already been approved");
    fx_say(&f, "g1", "alice", T0 + 180, "/unclaim 1");
    CHECK_CONTAINS(said(&f), "already been approved");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger"), 1);
    fx_close(&f);
}

/* ==== refusals ========================================================= */

TEST(each_refusal_is_specific)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    in_pool(&f, "carol", "photography");
    op(&f, T0, "/task new explore Level task --level 3 --points 10");
    op(&f, T0, "/task new precision Pool task --pools photography --cash 100");
    op(&f, T0, "/task new cobuild Invite task --reward title Co-creator");
    op(&f, T0, "/task new basic One seat --quota 1 --points 1");
    op(&f, T0, "/task new basic Short --deadline 1h --points 1");
    said(&f);
    fx_say(&f, "g1", "bob", T0, "/claim 1");
    CHECK_CONTAINS(said(&f), "needs level 3; you are level 1");
    fx_say(&f, "g1", "bob", T0, "/claim 2");
    CHECK_CONTAINS(said(&f), "only for members of the talent pool(s): \u2068photography");
    fx_say(&f, "g1", "bob", T0, "/claim 3");
    CHECK_CONTAINS(said(&f), "by invitation only");
    fx_say(&f, "g1", "bob", T0, "/claim 4");
    CHECK_CONTAINS(said(&f), "claimed task #4");
    fx_say(&f, "g1", "bob", T0, "/claim 4");
    CHECK_CONTAINS(said(&f), "already claimed task #4");
    fx_say(&f, "g1", "carol", T0, "/claim 4");
    CHECK_CONTAINS(said(&f), "All 1 places of task #4 are taken");
    fx_say(&f, "g1", "carol", T0 + 2 * H, "/claim 5");
    CHECK_CONTAINS(said(&f), "deadline of task #5 has passed");
    fx_say(&f, "g1", "carol", T0, "/submit 4 my work");
    CHECK_CONTAINS(said(&f), "haven't claimed task #4");
    fx_say(&f, "g1", "carol", T0, "/unclaim 4");
    CHECK_CONTAINS(said(&f), "haven't claimed task #4");
    fx_say(&f, "g1", "carol", T0, "/claim 99");
    CHECK_CONTAINS(said(&f), "There is no task #99");
    fx_say(&f, "g1", "carol", T0, "/claim soon");
    CHECK_CONTAINS(said(&f), "Usage: /claim");
    fx_say(&f, "g1", "bob", T0, "/submit 4");
    CHECK_CONTAINS(said(&f), "Usage: /submit");
    /* the level comes from standing: promote bob and it works */
    fx_hand_edit(&f, "INSERT INTO member_levels(member_id, level, since)"
                     " SELECT id, 3, 0 FROM members WHERE user_id = 'bob'");
    fx_say(&f, "g1", "bob", T0, "/claim 1");
    CHECK_CONTAINS(said(&f), "claimed task #1");
    /* closed and cancelled */
    op(&f, T0, "/task close 1");
    CHECK_CONTAINS(said(&f), "closed to new claims");
    fx_say(&f, "g1", "dave", T0, "/claim 1");
    CHECK_CONTAINS(said(&f), "Task #1 is closed to new claims");
    op(&f, T0, "/task cancel 4 Budget cut, sorry");
    const char *r = said(&f);
    CHECK_CONTAINS(r, "has been cancelled: ");
    CHECK_CONTAINS(r, "Budget cut, sorry");
    CHECK_CONTAINS(r, "@bob");
    fx_say(&f, "g1", "bob", T0, "/submit 4 done");
    CHECK_CONTAINS(said(&f), "Task #4 has been cancelled");
    CHECK_INT(fx_i64(&f, "SELECT state = 'cancelled' FROM claims WHERE task_id = 4"), 1);
    fx_close(&f);
}

TEST(tasks_lists_only_what_the_member_may_claim)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    in_pool(&f, "carol", "photography");
    op(&f, T0, "/task new basic Open to all --points 1");
    op(&f, T0, "/task new precision Photographers only --pools photography --points 1");
    op(&f, T0, "/task new cobuild Invited only --points 1");
    said(&f);
    fx_say(&f, "g1", "bob", T0, "/tasks");
    const char *r = said(&f);
    CHECK_CONTAINS(r, "Open to all");
    CHECK(!strstr(r, "Photographers only"));
    CHECK(!strstr(r, "Invited only"));
    fx_say(&f, "g1", "bob", T0, "/tasks all");
    r = said(&f);
    CHECK_CONTAINS(r, "Photographers only");
    CHECK_CONTAINS(r, "for members of its talent pools");
    CHECK_CONTAINS(r, "by invitation only");
    in_pool(&f, "bob", "Photography");
    fx_say(&f, "g1", "bob", T0, "/tasks");
    CHECK_CONTAINS(said(&f), "Photographers only");
    fx_close(&f);
}

TEST(invitations)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "bob", T0, "/mytasks");
    fx_say(&f, "g1", "carol", T0, "/mytasks");
    said(&f);
    op(&f, T0, "/task new cobuild Plan the meetup --reward gift dinner, title Co-creator --invite @nobody");
    CHECK_CONTAINS(said(&f), "don't know the member");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM tasks"), 0);
    op(&f, T0, "/task new cobuild Plan the meetup --reward gift dinner, title Co-creator --invite @bob");
    CHECK_CONTAINS(said(&f), "you are invited to task #1");
    fx_say(&f, "g1", "carol", T0, "/claim 1");
    CHECK_CONTAINS(said(&f), "by invitation only");
    op(&f, T0, "/task invite 1 @carol");
    const char *r = said(&f);
    CHECK_CONTAINS(r, "@carol");
    CHECK_CONTAINS(r, "invited to task #1");
    fx_say(&f, "g1", "carol", T0, "/claim 1");
    CHECK_CONTAINS(said(&f), "claimed task #1");
    fx_say(&f, "g1", "bob", T0, "/claim 1");
    CHECK_CONTAINS(said(&f), "claimed task #1");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM audit WHERE action = 'task.invite'"), 1);
    fx_close(&f);
}

/* ==== races ============================================================ */

TEST(last_slot_goes_once_in_one_batch)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, T0, "/task new basic One seat --quota 1 --points 1");
    struct kb_event ev[40];
    char users[40][16], ids[40][16];
    for (int i = 0; i < 40; i++) {
        snprintf(users[i], sizeof users[i], "u%d", i);
        snprintf(ids[i], sizeof ids[i], "m%d", i);
        ev[i] = (struct kb_event){.kind = KB_EV_MESSAGE, .platform = "console", .chat_id = "g1",
                                  .user_id = users[i], .user_name = users[i], .message_id = ids[i],
                                  .time = T0, .text = "/claim 1"};
    }
    CHECK_INT(engine_apply(f.e, ev, 40, NULL, NULL, T0), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM claims"), 1);
    CHECK_INT(fx_i64(&f, "SELECT claimed FROM tasks WHERE id = 1"), 1);
    fx_close(&f);
}

TEST(last_slot_goes_once_across_processes)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, T0, "/task new basic One seat --quota 1 --points 1");
    enum { N = 16 };
    pid_t kids[N];
    for (int i = 0; i < N; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            struct engine *e;
            char err[128], user[16], msg[16];
            if (engine_open(&f.set, &e, err, sizeof err))
                _exit(2);
            snprintf(user, sizeof user, "p%d", i);
            snprintf(msg, sizeof msg, "k%d", i);
            struct kb_event ev = {.kind = KB_EV_MESSAGE, .platform = "console", .chat_id = "g1",
                                  .user_id = user, .user_name = user, .message_id = msg, .time = T0,
                                  .text = "/claim 1"};
            int rc = engine_apply(e, &ev, 1, NULL, NULL, T0);
            engine_close(e);
            _exit(rc ? 1 : 0);
        }
    }
    int ok = 0;
    for (int i = 0; i < N; i++) {
        int st = 0;
        waitpid(kids[i], &st, 0);
        ok += WIFEXITED(st) && WEXITSTATUS(st) == 0;
    }
    CHECK_INT(ok, N);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM claims"), 1);
    CHECK_INT(fx_i64(&f, "SELECT claimed FROM tasks WHERE id = 1"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE text LIKE '%places of task #1 are taken%'"), N - 1);
    fx_close(&f);
}

TEST(the_database_refuses_an_overfull_task)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, T0, "/task new basic One seat --quota 1 --points 1");
    CHECK_INT(store_exec(f.e->st, "UPDATE tasks SET claimed = 2 WHERE id = 1", NOVALS), KB_ESTORE);
    fx_close(&f);
}

TEST(unclaim_frees_the_slot)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, T0, "/task new basic One seat --quota 1 --points 1");
    fx_say(&f, "g1", "bob", T0, "/claim 1");
    fx_say(&f, "g1", "bob", T0, "/unclaim 1");
    CHECK_CONTAINS(said(&f), "You gave back task #1");
    fx_say(&f, "g1", "carol", T0, "/claim 1");
    CHECK_CONTAINS(said(&f), "claimed task #1");
    fx_say(&f, "g1", "bob", T0, "/claim 1");
    CHECK_CONTAINS(said(&f), "are taken");
    fx_say(&f, "g1", "carol", T0, "/unclaim 1");
    fx_say(&f, "g1", "bob", T0, "/claim 1"); /* a withdrawn claim may be taken again */
    CHECK_CONTAINS(said(&f), "@bob\u2069 claimed task #1");
    fx_close(&f);
}

/* ==== review =========================================================== */

TEST(approve_twice_pays_once_and_resubmission_pays_once)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, T0, "/task new explore Review me --everyone --points 30 --reward points 30, badge Star");
    fx_say(&f, "g1", "alice", T0, "/claim 1");
    fx_say(&f, "g1", "alice", T0, "/submit 1 first try");
    CHECK_CONTAINS(said(&f), "Submission #1 for task #1 received");
    op(&f, T0, "/reject 1");
    CHECK_CONTAINS(said(&f), "a reason is required");
    op(&f, T0, "/reject 1 Too dark");
    CHECK_CONTAINS(said(&f), "was returned: ");
    op(&f, T0, "/approve 1");
    CHECK_CONTAINS(said(&f), "not waiting for review (returned)");
    fx_say(&f, "g1", "alice", T0 + 60, "/submit 1 second try");
    fx_say(&f, "g1", "alice", T0 + 90, "/submit 1 third try, replaces the second");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM submissions WHERE state = 'pending'"), 1);
    CHECK_INT(fx_i64(&f, "SELECT state = 'superseded' FROM submissions WHERE id = 2"), 1);
    said(&f);
    op(&f, T0 + 120, "/approve 3 Nice");
    const char *r = said(&f);
    CHECK_CONTAINS(r, "was approved! You earned: 30 points, badge: ");
    CHECK_CONTAINS(r, "Nice");
    op(&f, T0 + 130, "/approve 3");
    CHECK_CONTAINS(said(&f), "already approved");
    op(&f, T0 + 130, "/reject 3 changed my mind");
    CHECK_CONTAINS(said(&f), "was already approved. To reverse it and take the rewards back, use /unapprove 3");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE reason = 'task'"), 2);
    CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE kind = 'points'"), 30);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE ref = 'task:1:claim:1' AND note LIKE 'submission:3%'"), 2);
    /* and the ledger itself refuses a second award for the claim */
    struct task_row t;
    CHECK_INT(task_load(f.e, 1, 1, &t), 0);
    CHECK_INT(task_grant(f.e, &t, 1, 2, 3, 0, NULL, T0), 0); /* alice is member 2 */
    task_row_free(&t);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE reason = 'task'"), 2);
    CHECK(top_tallies_agree(f.e, 1));
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM audit WHERE action IN ('task.approve','task.reject')"), 2);
    fx_close(&f);
}

TEST(review_lists_oldest_first_and_unknown_ids_are_refused)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, T0, "/task new explore A --everyone --points 1");
    fx_say(&f, "g1", "bob", T0, "/claim 1");
    fx_say(&f, "g1", "carol", T0, "/claim 1");
    fx_say(&f, "g1", "carol", T0 + 10, "/submit 1 carol's <b>work</b>");
    fx_say(&f, "g1", "bob", T0 + 20, "/submit 1 bob's work");
    said(&f);
    op(&f, T0 + 30, "/review");
    const char *r = said(&f);
    CHECK_CONTAINS(r, "Waiting for review (2)");
    CHECK(strstr(r, "carol's") < strstr(r, "bob's"));
    CHECK_CONTAINS(r, "&lt;b&gt;work&lt;/b&gt;"); /* untrusted text is escaped */
    op(&f, T0, "/approve 42");
    CHECK_CONTAINS(said(&f), "There is no submission #42");
    op(&f, T0, "/approve x");
    CHECK_CONTAINS(said(&f), "Usage: /approve");
    fx_close(&f);
}

TEST(verdict_reaches_the_members_chat)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, T0, "/task new explore A --everyone --points 1");
    fx_say(&f, "g1", "bob", T0, "/claim 1");
    fx_say(&f, "g1", "bob", T0, "/submit 1 done");
    said(&f);
    /* the operator reviews in a private chat with the bot */
    struct kb_event ev = {.kind = KB_EV_MESSAGE, .platform = "console", .chat_id = "opchat",
                          .chat_type = KB_CHAT_PRIVATE, .user_id = "op", .user_name = "op",
                          .message_id = "pm1", .time = T0, .text = "/approve 1"};
    CHECK_INT(engine_apply(f.e, &ev, 1, NULL, NULL, T0), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE chat_id = 'g1' AND text LIKE '%@bob%approved%'"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE chat_id = 'opchat' AND text LIKE '%member was told%'"), 1);
    fx_close(&f);
}

/* A message from user in their private chat with the bot. */
static void say_privately(struct fx *f, const char *user, const char *msg_id, const char *text)
{
    char chat[32];
    snprintf(chat, sizeof chat, "dm-%s", user);
    struct kb_event ev = {.kind = KB_EV_MESSAGE, .platform = "console", .chat_id = chat,
                          .chat_type = KB_CHAT_PRIVATE, .user_id = user, .user_name = user,
                          .message_id = msg_id, .time = T0, .text = text};
    CHECK_INT(engine_apply(f->e, &ev, 1, NULL, NULL, T0), 0);
}

/* Rejection reasons, invitations and their terms go to the person when the
   bot can write to them privately; otherwise to the group, saying why. */
TEST(private_matters_go_by_direct_message)
{
    const char *langs[] = {"en", "zh-CN"};
    for (int l = 0; l < 2; l++) {
        struct fx f;
        fx_open(&f, NULL, langs[l]);
        fx_say(&f, "g1", "bob", T0, "/checkin");
        fx_say(&f, "g1", "cat", T0, "/checkin");
        say_privately(&f, "bob", "p1", "/start");  /* bob has a private chat with the bot */
        said(&f);
        op(&f, T0, "/task new explore A --everyone --points 1");
        fx_say(&f, "g1", "bob", T0, "/claim 1");
        fx_say(&f, "g1", "bob", T0, "/submit 1 draft");
        fx_say(&f, "g1", "cat", T0, "/claim 1");
        fx_say(&f, "g1", "cat", T0, "/submit 1 draft");
        said(&f);
        op(&f, T0, "/reject 1 the logo is cut off");
        op(&f, T0, "/reject 2 too dark");
        CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE chat_id = 'dm-bob' AND text LIKE '%logo is cut off%'"), 1);
        CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE chat_id = 'g1' AND text LIKE '%logo is cut off%'"), 0);
        CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE chat_id = 'g1' AND text LIKE '%too dark%'"), 1);
        CHECK_INT(fx_i64(&f, l ? "SELECT count(*) FROM outbox WHERE chat_id = 'g1' AND text LIKE '%too dark%私聊%/start%'"
                               : "SELECT count(*) FROM outbox WHERE chat_id = 'g1' AND text LIKE '%too dark%privately%/start%'"), 1);
        CHECK_CONTAINS(said(&f), l ? "已私信" : "privately");
        /* bob blocks the bot: the refused message comes to the group, saying so */
        int64_t dm = fx_i64(&f, "SELECT id FROM outbox WHERE chat_id = 'dm-bob' AND text LIKE '%logo is cut off%'");
        CHECK_INT(engine_outbox_done(f.e, dm, OUTBOX_CHAT_GONE, NULL, 0, "blocked", T0 * 1000), 0);
        CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE chat_id = 'g1' AND state = 0"
                             " AND text LIKE '%logo is cut off%/start%'"), 1);
        said(&f);
        say_privately(&f, "bob", "p1b", "/me"); /* writing again opens the private chat again */
        said(&f);
        /* an invitation with a fee: the terms reach the invitee alone */
        op(&f, T0, "/task new cobuild Launch film --cash 5000 --invite @bob @cat");
        CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE chat_id = 'dm-bob' AND text LIKE '%#2%' AND text LIKE '%5000%'"), 1);
        CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE chat_id = 'g1' AND text LIKE '%5000%'"), 0);
        CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE chat_id = 'g1' AND text LIKE '💌%cat%/start%'"), 1);
        said(&f);
        fx_say(&f, "g1", "cat", T0, "/task 2");
        CHECK(strstr(said(&f), "5000") == NULL); /* asked in the group: no fee shown there */
        say_privately(&f, "bob", "p2", "/task 2");
        CHECK_CONTAINS(said(&f), "5000");
        /* a declined pool application is the applicant's own business */
        op(&f, T0, "/pool new photo");
        fx_say(&f, "g1", "bob", T0, "/pool apply photo");
        said(&f);
        op(&f, T0, "/pool decline photo @bob");
        /* (literal queries: the store caches statements by their text's address) */
        CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE chat_id = 'dm-bob'"
                             " AND (text LIKE '%not accepted%' OR text LIKE '%没有通过%')"), 1);
        CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE chat_id = 'g1'"
                             " AND (text LIKE '%not accepted%' OR text LIKE '%没有通过%')"), 0);
        fx_close(&f);
    }
}

TEST(submit_by_replying_to_own_photo)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, T0, "/task new explore Photo --everyone --points 1");
    fx_say(&f, "g1", "bob", T0, "/claim 1");
    struct kb_event ev = {.kind = KB_EV_MESSAGE, .platform = "console", .chat_id = "g1", .user_id = "bob",
                          .user_name = "bob", .message_id = "r1", .time = T0, .text = "/submit 1",
                          .reply_to_message_id = "p1", .reply_to_user_id = "carol",
                          .reply_to_attachment = "photo:CAROLS"};
    CHECK_INT(engine_apply(f.e, &ev, 1, NULL, NULL, T0), 0);
    CHECK_CONTAINS(said(&f), "Usage: /submit"); /* someone else's photo is not attached */
    ev.message_id = "r2";
    ev.reply_to_user_id = "bob";
    ev.reply_to_attachment = "photo:BOBS";
    CHECK_INT(engine_apply(f.e, &ev, 1, NULL, NULL, T0), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM submissions WHERE attachment = 'photo:BOBS'"), 1);
    op(&f, T0, "/review");
    CHECK_CONTAINS(said(&f), "photo:BOBS");
    fx_close(&f);
}

/* ==== deadlines ======================================================== */

TEST(deadline_expires_unfinished_claims)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, T0, "/task new explore Quick --everyone --deadline 2h --points 1");
    fx_say(&f, "g1", "bob", T0, "/claim 1");
    fx_say(&f, "g1", "carol", T0, "/claim 1");
    fx_say(&f, "g1", "carol", T0 + 60, "/submit 1 done");
    said(&f);
    fx_say(&f, "g1", "bob", T0 + 3 * H, "/mytasks");
    CHECK_CONTAINS(said(&f), "Quick\u2069 — expired");
    fx_say(&f, "g1", "bob", T0 + 3 * H, "/submit 1 late");
    CHECK_CONTAINS(said(&f), "deadline of task #1 has passed");
    op(&f, T0 + 3 * H, "/task show 1");
    const char *r = said(&f);
    CHECK_CONTAINS(r, "@bob⁩ — expired");
    CHECK_CONTAINS(r, "@carol⁩ — submitted, awaiting review");
    CHECK_CONTAINS(r, "deadline passed");
    /* a submission made in time can still be approved */
    op(&f, T0 + 3 * H, "/approve 1");
    CHECK_CONTAINS(said(&f), "approved");
    fx_close(&f);
}

TEST(reminders_fire_once)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, T0, "/task new explore Later --everyone --deadline 3d --points 1");
    fx_say(&f, "g1", "bob", T0, "/claim 1");
    fx_say(&f, "g1", "carol", T0, "/claim 1");
    fx_say(&f, "g1", "carol", T0 + 60, "/submit 1 done early");
    said(&f);
    int64_t deadline = fx_i64(&f, "SELECT deadline FROM tasks WHERE id = 1");
    CHECK_INT(engine_next_due(f.e, T0 + 120), deadline - DAY);
    CHECK_INT(engine_tick(f.e, deadline - DAY - 60), 0);
    CHECK_STR(said(&f), "");
    CHECK_INT(engine_tick(f.e, deadline - DAY + 60), 0);
    const char *r = said(&f);
    CHECK_CONTAINS(r, "@bob");
    CHECK_CONTAINS(r, "(23 h 59 min left)");
    CHECK(!strstr(r, "@carol"));
    /* carol's submission has waited 48 h by now */
    CHECK_CONTAINS(r, "waited more than 48 hours for review: #1 (task #1)");
    CHECK_INT(engine_tick(f.e, deadline - DAY + 120), 0);
    CHECK_STR(said(&f), "");
    CHECK_INT(engine_tick(f.e, deadline - 2 * H), 0);
    r = said(&f);
    CHECK_CONTAINS(r, "only 2 h left!");
    CHECK(!strstr(r, "48 hours"));
    CHECK_INT(engine_tick(f.e, deadline - H), 0);
    CHECK_STR(said(&f), "");
    fx_close(&f);
}

/* The case: deadline 12:00, claimed 09:00, the bot starts at 11:50:
   the reminder says 10 minutes, not "about 2 hours"; one that starts 3 h
   before says 3 h, not "about 24 hours". */
TEST(late_reminders_give_the_real_time_left)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, T0, "/task new explore Soon --everyone --deadline 4h --points 1");
    op(&f, T0, "/task new explore Later --everyone --deadline 4h --points 1");
    fx_say(&f, "g1", "bob", T0 + 60, "/claim 1");
    fx_say(&f, "g1", "carol", T0 + 60, "/claim 2");
    fx_say(&f, "g1", "carol", T0 + 61, "/submit 2 done");
    said(&f);
    int64_t deadline = T0 + 4 * H;
    CHECK_INT(engine_tick(f.e, deadline - 10 * 60), 0);
    const char *r = said(&f);
    CHECK_CONTAINS(r, "@bob" PDI ": task #1");
    CHECK_CONTAINS(r, "only 10 min left!");
    CHECK(!strstr(r, "2 h"));
    fx_close(&f);
    fx_open(&f, "Asia/Shanghai", "zh-CN");
    op(&f, T0, "/task new explore Later --everyone --deadline 2d --points 1");
    fx_say(&f, "g1", "bob", T0 + 60, "/claim 1");
    said(&f);
    CHECK_INT(engine_tick(f.e, T0 + 2 * DAY - 3 * H - 30 * 60), 0);
    CHECK_CONTAINS(said(&f), "（还剩 3 小时 30 分钟）");
    fx_close(&f);
}

static void claim_submit(struct fx *f, const char *user, int task, int64_t t)
{
    char cmd[48];
    snprintf(cmd, sizeof cmd, "/claim %d", task);
    fx_say(f, "g1", user, t, cmd);
    snprintf(cmd, sizeof cmd, "/submit %d done", task);
    fx_say(f, "g1", user, t, cmd);
}

/* The case: deadline in 1 h, submitted in time, rejected after the
   deadline: the member gets a fresh window (24 h by default) and can use it,
   or, with no window configured, is told plainly there is none. */
TEST(rejection_after_the_deadline_gives_a_fresh_window)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, T0, "/task new explore Quick --everyone --deadline 1h --points 5");
    claim_submit(&f, "alice", 1, T0 + 60);
    said(&f);
    op(&f, T0 + 2 * H, "/reject 1 Too blurry");
    char due[32];
    when_format(T0 + 2 * H + DAY, "Asia/Shanghai", due, sizeof due);
    char want[96];
    snprintf(want, sizeof want, "You may /submit 1 again before %s.", due);
    CHECK_CONTAINS(said(&f), want);
    CHECK_INT(engine_tick(f.e, T0 + 2 * H + 60), 0);
    CHECK_STR(said(&f), ""); /* the rejection told her the time: no "24 h left" reminder on top */
    fx_say(&f, "g1", "alice", T0 + 3 * H, "/mytasks");
    CHECK_CONTAINS(said(&f), due); /* her own due time, not "deadline passed" */
    fx_say(&f, "g1", "alice", T0 + 3 * H, "/submit 1 sharper now");
    CHECK_CONTAINS(said(&f), "Submission #2 for task #1 received");
    CHECK_INT(engine_tick(f.e, T0 + 2 * H + DAY - 30 * 60), 0);
    CHECK_STR(said(&f), ""); /* she has submitted: nothing to remind */
    op(&f, T0 + 4 * H, "/reject 2 Still blurry");
    said(&f);
    /* the reminder follows her own window */
    CHECK_INT(engine_tick(f.e, T0 + 4 * H + DAY - 2 * H), 0);
    CHECK_CONTAINS(said(&f), "only 2 h left!");
    fx_say(&f, "g1", "alice", T0 + 4 * H + DAY + 60, "/submit 1 too late");
    CHECK_CONTAINS(said(&f), "deadline");
    CHECK_INT(count_rows(&f, "SELECT count(*) FROM submissions"), 2);
    fx_close(&f);
    /* no window configured: said plainly, and the resubmission is refused */
    fx_open(&f, NULL, "en");
    f.set.revision_window_s = 0;
    fx_reopen(&f);
    op(&f, T0, "/task new explore Quick --everyone --deadline 1h --points 5");
    claim_submit(&f, "alice", 1, T0 + 60);
    said(&f);
    op(&f, T0 + 2 * H, "/reject 1 Too blurry");
    CHECK_CONTAINS(said(&f), "no revision window is set, so it cannot be submitted again.");
    fx_say(&f, "g1", "alice", T0 + 2 * H, "/submit 1 again");
    CHECK_CONTAINS(said(&f), "deadline");
    CHECK_INT(count_rows(&f, "SELECT count(*) FROM submissions"), 1);
    fx_close(&f);
    /* zh */
    fx_open(&f, NULL, "zh-CN");
    op(&f, T0, "/task new explore 快拍 --everyone --deadline 1h --points 5");
    claim_submit(&f, "alice", 1, T0 + 60);
    said(&f);
    op(&f, T0 + 2 * H, "/reject 1 太模糊");
    snprintf(want, sizeof want, "请在 %s 前修改后重新 /submit 1。", due);
    CHECK_CONTAINS(said(&f), want);
    fx_close(&f);
}

/* ==== reversing an approval =========================================== */

/* The case: nobody approves their own work (another operator or the
   configured owner does), and that includes a task without review. */
TEST(nobody_approves_their_own_work)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, T0, "/task new explore Self --reward cash 1000 --everyone");
    claim_submit(&f, "op", 1, T0);
    op(&f, T0, "/approve 1");
    CHECK_CONTAINS(said(&f), "Submission #1 is your own: another operator (or the owner) must approve it.");
    CHECK_INT(count_rows(&f, "SELECT count(*) FROM ledger"), 0);
    op(&f, T0, "/grant points 50 @op I deserve it");
    op(&f, T0, "/grant badge Star @op");
    op(&f, T0, "/level set 4 @op");
    CHECK_INT(count_of(said(&f), "You can't reward yourself"), 3);
    CHECK_INT(count_rows(&f, "SELECT count(*) FROM level_changes"), 0);
    CHECK_INT(count_rows(&f, "SELECT count(*) FROM ledger"), 0);
    /* a task without review waits for another operator when an operator submits */
    op(&f, T0, "/task new basic Quick --points 5");
    claim_submit(&f, "op", 2, T0);
    CHECK_CONTAINS(said(&f), "An operator's own work is not approved automatically");
    CHECK_INT(count_rows(&f, "SELECT count(*) FROM ledger"), 0);
    CHECK_INT(fx_say(&f, "g1", "op2", T0, "/approve 1"), 0);
    CHECK_CONTAINS(said(&f), "was approved!");
    CHECK_INT(count_rows(&f, "SELECT sum(amount) FROM ledger WHERE kind = 'cash'"), 100000);
    /* the configured owner may approve their own */
    f.set.owner = "console:boss";
    fx_reopen(&f);
    claim_submit(&f, "boss", 1, T0);
    said(&f);
    CHECK_INT(fx_say(&f, "g1", "boss", T0, "/approve 3"), 0);
    CHECK_CONTAINS(said(&f), "was approved!");
    fx_close(&f);
}

/* /unapprove takes back every reward of that approval once, by appending
   opposite rows, with the level consequences; a payout already made leaves
   the member owing; approved again, the claim is paid again. */
TEST(unapprove_reverses_every_reward_exactly_once)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    for (int d = 0; d < 7; d++)
        fx_say(&f, "g1", "alice", T0 + d * DAY, "/checkin"); /* 7 check-in days: L2 needs them */
    int64_t t = T0 + 7 * DAY;
    op(&f, t, "/task new explore Big --everyone --reward points 600, cash 1000, gift Bag, badge Star, title Pro");
    op(&f, t, "/task new explore Small --everyone --points 1");
    op(&f, t, "/task new explore Tiny --everyone --points 1");
    for (int task = 1; task <= 3; task++)
        claim_submit(&f, "alice", task, t);
    op(&f, t, "/approve 2");
    op(&f, t, "/approve 3");
    op(&f, t, "/approve 1");
    CHECK_CONTAINS(said(&f), "is now <b>L3");
    op(&f, t, "/payout @alice");
    said(&f);
    int64_t points_before = count_rows(&f, "SELECT points FROM period_tallies WHERE span = 0 AND member_id = (SELECT id FROM members WHERE user_id = 'alice')");
    int64_t rows_before = count_rows(&f, "SELECT count(*) FROM ledger");
    op(&f, t + 60, "/unapprove 1");
    CHECK_CONTAINS(said(&f), "Usage: /unapprove");
    op(&f, t + 60, "/unapprove 1 Photos were not hers");
    const char *r = said(&f);
    CHECK_CONTAINS(r, "was reversed: " FSI "Photos were not hers" PDI);
    CHECK_CONTAINS(r, "Taken back: 600 points, cash " FSI "1000.00 CNY" PDI ", gift: " FSI "Bag" PDI
                      ", badge: " FSI "Star" PDI ", title: " FSI "Pro" PDI);
    CHECK_CONTAINS(r, "Already paid out to you, so now owed back: " FSI "1000.00 CNY" PDI ", " FSI "Bag" PDI " ×1");
    CHECK_CONTAINS(r, "Your level is now L1");
    CHECK_CONTAINS(r, "You may /submit 1 again at any time.");
    /* append-only: five opposite rows, nothing deleted or changed */
    CHECK_INT(count_rows(&f, "SELECT count(*) FROM ledger"), rows_before + 5);
    CHECK_INT(count_rows(&f, "SELECT count(*) FROM ledger WHERE reason = 'unapprove' AND ref = 'task:1:claim:1'"), 5);
    CHECK_INT(count_rows(&f, "SELECT points FROM period_tallies WHERE span = 0 AND member_id = (SELECT id FROM members WHERE user_id = 'alice')"), points_before - 600);
    CHECK_INT(count_rows(&f, "SELECT sum(amount) FROM ledger WHERE kind = 'cash'"), -100000);
    CHECK_INT(count_rows(&f, "SELECT sum(amount) FROM ledger WHERE kind IN ('badge', 'title')"), 0);
    CHECK_INT(count_rows(&f, "SELECT count(*) FROM task_completions WHERE task_ref = 'task:1'"), 0);
    CHECK_INT(count_rows(&f, "SELECT tasks FROM period_tallies WHERE span = 0 AND member_id = (SELECT id FROM members WHERE user_id = 'alice')"), 2);
    CHECK_INT(count_rows(&f, "SELECT level FROM member_levels WHERE member_id = (SELECT id FROM members WHERE user_id = 'alice')"), 1);
    CHECK_INT(count_rows(&f, "SELECT count(*) FROM level_changes WHERE to_level = 1 AND from_level = 3"), 1);
    CHECK_INT(count_rows(&f, "SELECT count(*) FROM audit WHERE action = 'task.unapprove'"), 1);
    CHECK(top_tallies_agree(f.e, 1));
    /* once: a second /unapprove has nothing to reverse, the ledger refuses a second reversal */
    op(&f, t + 60, "/unapprove 1 again");
    CHECK_CONTAINS(said(&f), "Submission #1 is not approved (returned): there is nothing to reverse.");
    struct ledger_entry again = {.community_id = 1, .member_id = count_rows(&f, "SELECT id FROM members WHERE user_id = 'alice'"),
                                 .kind = "points", .amount = -600,
                                 .reason = "unapprove", .ref = "task:1:claim:1", .at = t};
    int added = 1;
    CHECK_INT(ledger_add(f.e, &again, &added), 0);
    CHECK_INT(added, 0);
    op(&f, t + 60, "/tally");
    CHECK_CONTAINS(said(&f), "cash " FSI "0.00 CNY" PDI " (paid " FSI "1000.00 CNY" PDI ", the member owes back "
                             FSI "1000.00 CNY" PDI ")");
    /* approved again after a new submission: paid again, under a new ref */
    fx_say(&f, "g1", "alice", t + 120, "/submit 1 my own photos this time");
    op(&f, t + 180, "/approve 4");
    CHECK_CONTAINS(said(&f), "You earned: 600 points");
    CHECK_INT(count_rows(&f, "SELECT count(*) FROM ledger WHERE reason = 'task' AND ref = 'task:1:claim:1:2'"), 5);
    CHECK_INT(count_rows(&f, "SELECT sum(amount) FROM ledger WHERE kind = 'cash'"), 0);
    CHECK_INT(count_rows(&f, "SELECT level FROM member_levels WHERE member_id = (SELECT id FROM members WHERE user_id = 'alice')"), 3);
    op(&f, t + 240, "/unapprove 4 still wrong");
    CHECK_CONTAINS(said(&f), "Taken back: 600 points");
    CHECK_INT(count_rows(&f, "SELECT count(*) FROM ledger WHERE reason = 'unapprove'"), 10);
    CHECK(top_tallies_agree(f.e, 1));
    op(&f, t, "/unapprove 99 x");
    CHECK_CONTAINS(said(&f), "There is no submission #99.");
    fx_say(&f, "g1", "alice", t, "/unapprove 4 x");
    CHECK_CONTAINS(said(&f), "only");
    fx_close(&f);
}

/* /revoke cash|gift: takes back at most what was awarded; after a payout the
   member owes it, said so. */
TEST(revoke_cash_and_gifts)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, T0, "/task new explore Paid --everyone --reward cash 88, gift Bag");
    claim_submit(&f, "bob", 1, T0);
    op(&f, T0, "/approve 1");
    said(&f);
    op(&f, T0, "/revoke cash 100 @bob oops");
    CHECK_CONTAINS(said(&f), "was awarded only " FSI "88.00 CNY" PDI);
    op(&f, T0, "/revoke cash 50 @bob");
    CHECK_CONTAINS(said(&f), "Please give a reason");
    op(&f, T0, "/revoke cash 50 @bob partly");
    CHECK_CONTAINS(said(&f), "Revoked cash " FSI "50.00 CNY" PDI " from");
    op(&f, T0, "/payout @bob");
    CHECK_CONTAINS(said(&f), FSI "38.00 CNY" PDI ", " FSI "Bag" PDI " ×1");
    op(&f, T0, "/revoke cash 38 cny @bob the rest");
    CHECK_CONTAINS(said(&f), "now owes back " FSI "38.00 CNY" PDI);
    op(&f, T0, "/revoke gift Bag @bob not earned");
    CHECK_CONTAINS(said(&f), "now owes back " FSI "Bag" PDI " ×1");
    op(&f, T0, "/revoke gift Bag @bob twice");
    CHECK_CONTAINS(said(&f), "was never awarded the gift");
    CHECK_INT(count_rows(&f, "SELECT sum(amount) FROM ledger WHERE kind = 'cash'"), -3800);
    CHECK_INT(count_rows(&f, "SELECT count(*) FROM audit WHERE action IN ('revoke.cash', 'revoke.gift')"), 3);
    fx_close(&f);
}

/* ==== money ============================================================ */

TEST(payouts_and_tally)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, T0, "/task new explore Paid --everyone --reward cash 300 CNY, gift tote bag, points 20");
    fx_say(&f, "g1", "bob", T0, "/claim 1");
    fx_say(&f, "g1", "bob", T0, "/submit 1 done");
    op(&f, T0, "/approve 1");
    said(&f);
    op(&f, T0, "/tally");
    const char *r = said(&f);
    CHECK_CONTAINS(r, "20 points · cash ⁨300.00 CNY⁩ (paid ⁨0.00 CNY⁩, owed ⁨300.00 CNY⁩)");
    CHECK_CONTAINS(r, "tote bag⁩ ×1 (owed 1)");
    op(&f, T0, "/payout @bob 500");
    CHECK_CONTAINS(said(&f), "more than is owed");
    op(&f, T0, "/payout @bob 100");
    CHECK_CONTAINS(said(&f), "Recorded as paid to");
    op(&f, T0, "/payout @bob");
    r = said(&f);
    CHECK_CONTAINS(r, "200.00 CNY");
    CHECK_CONTAINS(r, "tote bag");
    op(&f, T0, "/payout @bob");
    CHECK_CONTAINS(said(&f), "Nothing is owed");
    op(&f, T0, "/payout @ghost");
    CHECK_CONTAINS(said(&f), "don't know the member");
    CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE kind = 'cash'"), 0);
    CHECK_INT(fx_i64(&f, "SELECT -sum(amount) FROM ledger WHERE kind = 'cash' AND reason = 'payout'"), 30000);
    op(&f, T0, "/tally export");
    r = said(&f);
    /* one row per kind and unit: amounts are plain numbers, the unit has
       its own column */
    CHECK_CONTAINS(r, "member,handle,kind,unit,earned,paid,owed\n");
    CHECK_CONTAINS(r, "bob,bob,points,points,20,,");
    CHECK_CONTAINS(r, "bob,bob,cash,CNY,300.00,300.00,0.00\n");
    CHECK_CONTAINS(r, "bob,bob,gift,tote bag,1,1,0");
    op(&f, T0, "/tally 2026-10");
    CHECK_CONTAINS(said(&f), "2026-10: no rewards recorded");
    op(&f, T0, "/tally 2026-11");
    CHECK_CONTAINS(said(&f), "Rewards · 2026-11");
    op(&f, T0, "/tally fortnight");
    CHECK_CONTAINS(said(&f), "Usage: /tally");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM audit WHERE action = 'payout'"), 2);
    fx_close(&f);
}

/* The case: cash 88 and a gift owed, "/payout @bob 1 gift" and
   "/payout @bob 10 USD" both answered "Nothing is owed". */
TEST(payout_settles_gifts_on_their_own_and_names_a_wrong_currency)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, T0, "/task new explore Paid --everyone --reward cash 88, gift Bag");
    op(&f, T0, "/task new explore Hats --everyone --reward gift Hat");
    for (int task = 1; task <= 2; task++) {
        char cmd[32];
        snprintf(cmd, sizeof cmd, "/claim %d", task);
        fx_say(&f, "g1", "bob", T0, cmd);
        snprintf(cmd, sizeof cmd, "/submit %d done", task);
        fx_say(&f, "g1", "bob", T0, cmd);
        snprintf(cmd, sizeof cmd, "/approve %d", task);
        CHECK_INT(fx_say(&f, "g1", "op2", T0, cmd), 0);
    }
    said(&f);
    op(&f, T0, "/payout @bob 10 USD");
    CHECK_CONTAINS(said(&f), "Nothing is owed to " FSI "@bob" PDI " in " FSI "USD" PDI ". Owed: " FSI "88.00 CNY" PDI ".");
    op(&f, T0, "/payout @bob 1 gift");
    CHECK_CONTAINS(said(&f), "Several gifts are owed (" FSI "Bag" PDI " ×1, " FSI "Hat" PDI " ×1)");
    op(&f, T0, "/payout @bob 1 gift Cap");
    CHECK_CONTAINS(said(&f), "in the gift " FSI "Cap" PDI ". Owed: " FSI "Bag" PDI " ×1, " FSI "Hat" PDI " ×1.");
    op(&f, T0, "/payout @bob 2 gift bag");
    CHECK_CONTAINS(said(&f), "more than is owed (" FSI "Bag" PDI " ×1)");
    op(&f, T0, "/payout @bob 1 gift Bag");
    CHECK_CONTAINS(said(&f), "Recorded as paid to " FSI "@bob" PDI ": " FSI "Bag" PDI " ×1");
    CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE kind = 'cash'"), 8800); /* cash untouched */
    op(&f, T0, "/payout @bob gift");
    CHECK_CONTAINS(said(&f), ": " FSI "Hat" PDI " ×1");
    op(&f, T0, "/payout @bob gift");
    CHECK_CONTAINS(said(&f), "No gift is owed to");
    op(&f, T0, "/payout @bob 1.5 gift");
    CHECK_CONTAINS(said(&f), "Usage: /payout");
    op(&f, T0, "/payout @bob cash");
    CHECK_CONTAINS(said(&f), ": " FSI "88.00 CNY" PDI);
    CHECK_INT(fx_i64(&f, "SELECT sum(amount) FROM ledger WHERE kind IN ('cash', 'gift')"), 0);
    op(&f, T0, "/payout @bob 5");
    CHECK_CONTAINS(said(&f), "No cash is owed to");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM audit WHERE action = 'payout'"), 3);
    fx_close(&f);
    fx_open(&f, NULL, "zh-CN");
    op(&f, T0, "/task new explore 付费 --everyone --reward cash 88, gift 帆布袋");
    fx_say(&f, "g1", "bob", T0, "/claim 1");
    fx_say(&f, "g1", "bob", T0, "/submit 1 好了");
    fx_say(&f, "g1", "op2", T0, "/approve 1");
    said(&f);
    op(&f, T0, "/payout @bob 10 USD");
    CHECK_CONTAINS(said(&f), "没有待付的 " FSI "USD" PDI "。目前待付：" FSI "¥88.00" PDI);
    op(&f, T0, "/payout @bob 1 礼品");
    CHECK_CONTAINS(said(&f), "帆布袋" PDI "×1");
    fx_close(&f);
}

TEST(csv_defuses_formulas)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, T0, "/task new basic X --points 1");
    fx_say(&f, "g1", "=cmd|calc", T0, "/claim 1");
    fx_say(&f, "g1", "=cmd|calc", T0, "/submit 1 x");
    said(&f);
    op(&f, T0, "/tally export");
    CHECK_CONTAINS(said(&f), "&quot;'=cmd|calc&quot;,");
    fx_close(&f);
}

/* ==== operators ======================================================== */

TEST(members_cannot_run_operator_commands)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, T0, "/task new explore A --everyone --reward cash 10, points 5");
    fx_say(&f, "g1", "bob", T0, "/claim 1");
    fx_say(&f, "g1", "bob", T0, "/submit 1 done");
    said(&f);
    static const char *const cmds[] = {
        "/task new basic Mine --points 999", "/task edit 1 --points 999", "/task close 1",
        "/task cancel 1 no", "/task invite 1 @bob", "/task list", "/task show 1", "/review",
        "/approve 1", "/reject 1 bad", "/payout @bob", "/tally", "/tally export", "/audit"};
    const char *tables[] = {"SELECT count(*) FROM tasks", "SELECT count(*) FROM ledger",
                            "SELECT count(*) FROM audit", "SELECT count(*) FROM task_invites",
                            "SELECT group_concat(state) FROM submissions", "SELECT count(*) FROM claims"};
    int64_t before[6];
    for (int i = 0; i < 6; i++)
        before[i] = i == 4 ? 0 : count_rows(&f, tables[i]);
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        CHECK_INT(fx_say(&f, "g1", "bob", T0, cmds[i]), 0);
        const char *r = said(&f);
        if (!strstr(r, "only operators"))
            TEST_FAIL("%s answered: %s", cmds[i], r);
    }
    for (int i = 0; i < 6; i++)
        if (i != 4)
            CHECK_INT(count_rows(&f, tables[i]), before[i]);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM submissions WHERE state = 'pending'"), 1);
    CHECK_INT(fx_i64(&f, "SELECT state = 'open' FROM tasks WHERE id = 1"), 1);
    /* a chat admin may post and reject but not pay */
    CHECK_INT(fx_say_as(&f, "g1", "admin", KB_ROLE_CHAT_ADMIN, T0, "/approve 1"), 0);
    CHECK_CONTAINS(said(&f), "only operators");
    CHECK_INT(fx_say_as(&f, "g1", "admin", KB_ROLE_CHAT_ADMIN, T0, "/task list"), 0);
    CHECK_CONTAINS(said(&f), "#1 [Exploration] ");
    fx_close(&f);
}

TEST(edit_close_list_and_audit)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    op(&f, T0, "/task new explore A --everyone --quota 3 --points 5");
    fx_say(&f, "g1", "bob", T0, "/claim 1");
    fx_say(&f, "g1", "carol", T0, "/claim 1");
    said(&f);
    op(&f, T0, "/task edit 1 --quota 1");
    CHECK_CONTAINS(said(&f), "2 members have already claimed");
    op(&f, T0, "/task edit 1 --quota 2 --deadline 2d --reward points 7, badge Helper");
    CHECK_CONTAINS(said(&f), "Task #1 updated: reward, deadline, quota");
    CHECK_INT(fx_i64(&f, "SELECT points * 10 + quota FROM tasks WHERE id = 1"), 72);
    op(&f, T0, "/task edit 1 --colour red");
    CHECK_CONTAINS(said(&f), "Unknown field: ");
    op(&f, T0, "/task edit 7 --quota 2");
    CHECK_CONTAINS(said(&f), "There is no task #7");
    op(&f, T0, "/task close 1");
    op(&f, T0, "/task list");
    CHECK_CONTAINS(said(&f), "No tasks to list");
    op(&f, T0, "/task list closed");
    CHECK_CONTAINS(said(&f), "#1 [Exploration] ");
    op(&f, T0, "/task list soon");
    CHECK_CONTAINS(said(&f), "Usage: /task list");
    op(&f, T0, "/audit 2");
    const char *r = said(&f);
    CHECK_CONTAINS(r, "closed task #1");
    CHECK_CONTAINS(r, "edited task #1");
    CHECK(!strstr(r, "posted"));
    fx_close(&f);
}

TEST(chinese_catalogue_is_complete)
{
    struct fx f;
    fx_open(&f, NULL, "zh-CN");
    op(&f, T0, "/task new basic 打招呼 --points 5");
    fx_say(&f, "g1", "小明", T0, "/claim 1");
    const char *r = said(&f);
    CHECK_CONTAINS(r, "筑基");
    CHECK_CONTAINS(r, "领取了任务 #1");
    fx_close(&f);
}

/* ==== the whole story ================================================== */

TEST(whole_story_precision_task_for_the_photography_pool)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    in_pool(&f, "alice", "photography");
    op(&f, T0, "/task new precision Summer road-trip photos --brief Five photos, bright colours"
               " --reward cash 500 CNY, points 50 --deadline 3d --quota 2 --pools photography");
    CHECK_CONTAINS(said(&f), "Task #1 posted");
    fx_say(&f, "g1", "bob", T0 + 60, "/claim 1");
    CHECK_CONTAINS(said(&f), "only for members of the talent pool(s)");
    fx_say(&f, "g1", "alice", T0 + 120, "/claim 1");
    CHECK_CONTAINS(said(&f), "claimed task #1");
    fx_say(&f, "g1", "alice", T0 + H, "/submit 1 https://photos.example/a");
    CHECK_CONTAINS(said(&f), "Submission #1 for task #1 received");
    op(&f, T0 + 2 * H, "/reject 1 Landscape format please");
    CHECK_CONTAINS(said(&f), "Landscape format please");
    fx_say(&f, "g1", "alice", T0 + 3 * H, "/mytasks");
    CHECK_CONTAINS(said(&f), "returned, you may resubmit");
    fx_say(&f, "g1", "alice", T0 + 4 * H, "/submit 1 https://photos.example/b");
    CHECK_CONTAINS(said(&f), "Submission #2");
    op(&f, T0 + 5 * H, "/approve 2");
    CHECK_CONTAINS(said(&f), "You earned: 50 points, cash");
    CHECK_INT(fx_i64(&f, "SELECT amount FROM ledger WHERE kind = 'cash' AND unit = 'CNY' AND reason = 'task'"
                         " AND ref = 'task:1:claim:1'"), 50000);
    op(&f, T0 + 5 * H, "/tally");
    CHECK_CONTAINS(said(&f), "owed \u2068500.00 CNY");
    op(&f, T0 + 6 * H, "/payout @alice");
    CHECK_CONTAINS(said(&f), "Recorded as paid");
    op(&f, T0 + 6 * H, "/tally");
    const char *r = said(&f);
    CHECK_CONTAINS(r, "paid \u2068500.00 CNY");
    CHECK_CONTAINS(r, "owed \u20680.00 CNY");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM audit"), 4); /* post, reject, approve, payout */
    fx_close(&f);
}

/* A cancelled task's card and its claimers list count the same people;
   the cancel notice has no empty last line. */
TEST(cancelled_task_counts_agree)
{
    const char *langs[] = {"en", "zh-CN"};
    for (int l = 0; l < 2; l++) {
        struct fx f;
        fx_open(&f, NULL, langs[l]);
        op(&f, T0, "/task new basic Wheel photo --reward points 20 --quota 3");
        op(&f, T0, "/task new basic Nobody --reward points 5");
        fx_say(&f, "g1", "alice", T0, "/claim 1");
        fx_say(&f, "g1", "bob", T0, "/claim 1");
        fx_say(&f, "g1", "bob", T0, "/unclaim 1");
        said(&f);
        op(&f, T0, "/task show 1");
        CHECK_CONTAINS(said(&f), l ? "1/3" : "Claimed: 1/3");
        CHECK_CONTAINS(last, l ? "领取者（1）" : "Claimers (1)");
        op(&f, T0, "/task cancel 1 changed plans");
        op(&f, T0, "/task cancel 2");
        const char *r = said(&f);
        CHECK(strstr(r, "\n---") != NULL);
        CHECK(strstr(r, "\n\n---") == NULL && r[strlen(r) - 1] != '\n');
        op(&f, T0, "/task show 1");
        CHECK_CONTAINS(said(&f), l ? "1/3" : "Claimed: 1/3");
        CHECK_CONTAINS(last, l ? "领取者（1）" : "Claimers (1)");
        op(&f, T0, "/task list all");
        CHECK_CONTAINS(said(&f), l ? "领取 1/3" : "claimed 1/3");
        fx_close(&f);
    }
}

TEST_MAIN(T(one_line_definition), T(multi_line_definition_with_brief_sections), T(tier_defaults),
          T(malformed_definitions_name_the_field), T(cash_amounts), T(cancelled_task_counts_agree),
          T(tasks_nobody_can_claim_are_refused),
          T(post_announces_audits_and_shows_the_brief), T(basic_task_is_approved_on_submission),
          T(each_refusal_is_specific), T(tasks_lists_only_what_the_member_may_claim), T(invitations),
          T(last_slot_goes_once_in_one_batch), T(last_slot_goes_once_across_processes),
          T(the_database_refuses_an_overfull_task), T(unclaim_frees_the_slot),
          T(approve_twice_pays_once_and_resubmission_pays_once),
          T(review_lists_oldest_first_and_unknown_ids_are_refused), T(verdict_reaches_the_members_chat),
          T(private_matters_go_by_direct_message),
          T(submit_by_replying_to_own_photo), T(deadline_expires_unfinished_claims), T(reminders_fire_once),
          T(late_reminders_give_the_real_time_left),
          T(rejection_after_the_deadline_gives_a_fresh_window), T(nobody_approves_their_own_work), T(unapprove_reverses_every_reward_exactly_once),
          T(revoke_cash_and_gifts), T(payouts_and_tally),
          T(payout_settles_gifts_on_their_own_and_names_a_wrong_currency), T(csv_defuses_formulas), T(members_cannot_run_operator_commands),
          T(edit_close_list_and_audit), T(chinese_catalogue_is_complete),
          T(whole_story_precision_task_for_the_photography_pool))
