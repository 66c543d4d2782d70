/*
 * Exactly once for the growth ladder's rewards (issue 18): a camp
 * certificate with its badge, and a mentor's credit per milestone.  The
 * events that earn them — a mentee's seventh check-in, the approval of
 * their first task, the approval of a camper's last week — come in one
 * batch, then the tick runs (the camp's closing summary, the mentor's
 * title expiring).  A child process applies them on top of the power-cut
 * VFS (tests/support/crash_vfs.c), which at the n-th write or sync throws
 * away everything not synced and kills the process; for every n the
 * parent then redelivers the same batch (as a platform redelivers what
 * was not confirmed), ticks again, and finds every reward once.
 */
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../support/crash_vfs.h"
#include "../support/fixture.h"
#include "../test.h"

static const int64_t T0 = 1795392000;    /* 2026-11-23 08:00 Asia/Shanghai */
static const int64_t START = 1795482000; /* 2026-11-24 09:00, the camp's start */
static const int64_t WEEK = 7 * 86400;
static const int64_t DAY = 86400;
#define CUTS_MAX 2000 /* more than the writes and syncs of the batch and the tick */

static void say(struct fx *f, const char *user, int64_t t, const char *text)
{
    if (fx_say(f, "g1", user, t, text))
        TEST_FAIL("%s: %s", text, engine_errmsg(f->e));
    free(fx_replies(f));
}

static void tick(struct fx *f, int64_t t)
{
    if (engine_tick(f->e, t))
        TEST_FAIL("tick: %s", engine_errmsg(f->e));
    free(fx_replies(f));
}

static void settings(struct engine_settings *set)
{
    set->mentor_points_checkin_week = 20;
    set->mentor_points_first_task = 30;
    set->mentor_points_level2 = 50;
}

/* Everything up to the rewarding batch: camp #1 (two weeks, both
   required) in its second week with ann's week 1 approved and week 2
   submitted (submission 2); mia a mentor until the camp's end, n1 her
   mentee with six check-in days and a first task submitted (submission 3). */
static void prepare(struct fx *f)
{
    fx_open(f, NULL, "en");
    settings(&f->set);
    settings(&f->e->set);
    say(f, "mia", T0, "/me");
    say(f, "ann", T0, "/me"); /* here before the mentors: nobody's mentee */
    say(f, "op", T0, "/mentor add @mia --until 2026-12-07");
    say(f, "op", T0, "/camp new Photo --weeks 2 --start 2026-11-24");
    say(f, "op", T0, "/camp week 1 1 --theme A --tutorial a --task one");
    say(f, "op", T0, "/camp week 1 2 --theme B --tutorial b --task two");
    say(f, "ann", T0, "/camp join 1");
    tick(f, START);
    say(f, "ann", START + 60, "/claim 1");
    say(f, "ann", START + 61, "/submit 1 first");
    say(f, "op", START + 62, "/approve 1");
    tick(f, START + WEEK);
    say(f, "ann", START + WEEK + 60, "/claim 2");
    say(f, "ann", START + WEEK + 61, "/submit 2 second");
    for (int d = 0; d < 6; d++)
        say(f, "n1", T0 + 3600 + d * DAY, "/checkin");
    say(f, "op", START + WEEK + 70, "/task new explore Hello --everyone --reward points 5");
    say(f, "n1", START + WEEK + 71, "/claim 3");
    say(f, "n1", START + WEEK + 72, "/submit 3 hello");
    if (fx_i64(f, "SELECT count(*) FROM submissions WHERE state = 'pending'") != 2)
        TEST_FAIL("the story did not reach its pending submissions");
    if (fx_i64(f, "SELECT count(*) FROM mentees") != 1)
        TEST_FAIL("n1 has no mentor");
}

static const int64_t BATCH_AT = 1796209200; /* 2026-12-02 19:00: n1's seventh day */
static const int64_t TICK_AT = 1796691600;  /* 2026-12-08 09:00: the camp and mia's term are over */

static int apply_batch(struct engine *e)
{
    struct kb_event ev[3] = {
        {.kind = KB_EV_MESSAGE, .platform = "console", .chat_id = "g1", .chat_type = KB_CHAT_GROUP,
         .user_id = "n1", .user_name = "n1", .user_handle = "n1", .message_id = "once-1", .time = BATCH_AT,
         .text = "/checkin", .bot_username = "kocbot"},
        {.kind = KB_EV_MESSAGE, .platform = "console", .chat_id = "g1", .chat_type = KB_CHAT_GROUP,
         .user_id = "op", .user_name = "op", .user_handle = "op", .message_id = "once-2", .time = BATCH_AT,
         .text = "/approve 3", .bot_username = "kocbot"},
        {.kind = KB_EV_MESSAGE, .platform = "console", .chat_id = "g1", .chat_type = KB_CHAT_GROUP,
         .user_id = "op", .user_name = "op", .user_handle = "op", .message_id = "once-3", .time = BATCH_AT,
         .text = "/approve 2", .bot_username = "kocbot"},
    };
    int rc = engine_apply(e, ev, 3, "console:cursor", "once", BATCH_AT);
    return rc ? rc : engine_tick(e, TICK_AT);
}

static void run_child(const struct engine_settings *set, long cut_at)
{
    if (crash_vfs_register() != SQLITE_OK)
        _exit(2);
    crash_vfs_arm(cut_at);
    struct engine *e;
    char err[256];
    if (engine_open(set, &e, err, sizeof err))
        _exit(3);
    if (apply_batch(e))
        _exit(4);
    engine_close(e);
    _exit(0); /* the cut came later than all of it */
}

static int64_t q1(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* 0 when every reward is there once; else why. */
static int verify(struct engine *e, char *why, size_t cap)
{
    sqlite3 *db = store_db(e->st);
    static const struct { const char *sql; int64_t want; } checks[] = {
        {"SELECT count(*) FROM processed WHERE message_id LIKE 'once-%'", 3},
        {"SELECT count(*) FROM ledger WHERE kind = 'badge' AND reason = 'camp'", 1},
        {"SELECT count(*) FROM camp_members WHERE graduated_at IS NOT NULL AND certificate LIKE '%Certificate%'", 1},
        {"SELECT count(*) FROM outbox WHERE text LIKE '%Certificate%'", 1},
        {"SELECT count(*) FROM audit WHERE action = 'camp.graduate'", 1},
        {"SELECT count(*) FROM mentor_credits", 2}, /* the week and the task; level 2 only needs more points */
        {"SELECT count(*) FROM ledger WHERE reason = 'mentor'", 2},
        {"SELECT coalesce(sum(amount), 0) FROM ledger WHERE reason = 'mentor'", 50},
        {"SELECT count(*) FROM outbox WHERE text LIKE '%Mentor credit%'", 2},
        {"SELECT count(*) FROM ledger WHERE reason = 'expire'", 1},
        {"SELECT count(*) FROM outbox WHERE text LIKE '%The camp is over%'", 1},
        {"SELECT count(*) FROM ledger WHERE reason = 'task' AND kind = 'points'", 1},
    };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        int64_t got = q1(db, checks[i].sql);
        if (got != checks[i].want) {
            snprintf(why, cap, "%s: %lld, expected %lld", checks[i].sql, (long long)got, (long long)checks[i].want);
            return 1;
        }
    }
    return 0;
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    if (!in || !out)
        TEST_FAIL("copy %s", from);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            TEST_FAIL("copy %s", from);
    fclose(in);
    fclose(out);
}

TEST(rewards_once_after_a_power_cut_anywhere_and_a_redelivery)
{
    struct fx f;
    prepare(&f);
    engine_close(f.e); /* checkpointed: the file alone is the state */
    f.e = NULL;
    char saved[192], shm[160], wal[160];
    snprintf(saved, sizeof saved, "%s.before", f.path);
    snprintf(shm, sizeof shm, "%s-shm", f.path);
    snprintf(wal, sizeof wal, "%s-wal", f.path);
    copy_file(f.path, saved);
    int crashed = 0, completed = 0;
    /* a cut at every write and sync, until the child gets through them all */
    for (long cut = 1; cut <= CUTS_MAX && !completed; cut++) {
        unlink(wal);
        unlink(shm);
        copy_file(saved, f.path);
        fflush(stdout);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0)
            run_child(&f.set, cut);
        int status = 0;
        CHECK_INT(waitpid(pid, &status, 0), pid);
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
            crashed++;
        else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            completed++;
        else
            TEST_FAIL("cut %ld: the child ended with status %d", cut, status);
        unlink(shm); /* the shared-memory index is RAM: gone with the power */
        char err[256], why[400];
        if (engine_open(&f.set, &f.e, err, sizeof err))
            TEST_FAIL("cut %ld: reopen: %s", cut, err);
        /* the platform redelivers the batch it was never told was stored */
        if (apply_batch(f.e))
            TEST_FAIL("cut %ld: replay: %s", cut, engine_errmsg(f.e));
        if (verify(f.e, why, sizeof why))
            TEST_FAIL("cut %ld: %s", cut, why);
        engine_close(f.e);
        f.e = NULL;
    }
    printf("# %d power cuts, one at each write or sync of the batch and the tick, then a run past them;"
           " every reward once\n", crashed);
    CHECK(crashed > 20);
    CHECK_INT(completed, 1);
    unlink(saved);
    fx_open(&f, NULL, "en"); /* for fx_close's cleanup of the directory */
    fx_close(&f);
}

TEST_MAIN(T(rewards_once_after_a_power_cut_anywhere_and_a_redelivery))
