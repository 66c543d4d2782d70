/*
 * Exactly once for streak freezes, make-ups and repeating-task occurrences
 * across power cuts.  A scripted month (check-ins with gaps, make-ups, a
 * granted freeze, a daily task and the scheduler's ticks) is applied by a
 * child process on the crash VFS of test_powerloss.c, which at a random
 * write or sync throws away what was not synced and dies.  The parent
 * restarts it from the last step it was told was durable, or up to three
 * before it, so steps come again (the same messages, the same ticks), as a
 * platform redelivers what was not confirmed.  When the script is through, the
 * rewards in the database are those of a run without cuts, and each one is
 * there once: every freeze earned or spent, every make-up and its price,
 * every day's occurrence.
 */
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../support/crash_vfs.h"
#include "../support/fixture.h"
#include "../test.h"

#define DAY 86400
#define DAYS 21
#define MAX_STEPS 256
#define MAX_ROUNDS 400
static const int64_t T0 = 1795392000; /* Monday 2026-11-23 08:00 Asia/Shanghai */

struct step {
    int64_t t;
    const char *user; /* NULL: the scheduler's tick */
    char text[96];
};

static struct step steps[MAX_STEPS];
static size_t n_steps;

static void add(int64_t t, const char *user, const char *text)
{
    if (n_steps == MAX_STEPS)
        TEST_FAIL("too many steps");
    steps[n_steps].t = t;
    steps[n_steps].user = user;
    snprintf(steps[n_steps].text, sizeof steps[n_steps].text, "%s", text);
    n_steps++;
}

/* The month: alice checks in every day but days 8, 9 and 16 (her earned
   freezes cover them), bob every other day and buys back what he can,
   carol misses day 5 and makes it up twice (the second is refused), a
   daily task is posted by the tick at 09:00 and alice claims each one. */
static void script(void)
{
    n_steps = 0;
    add(T0, "op", "/task new basic Wheel photo --everyone --repeat daily --reward points 1");
    add(T0, "bob", "/checkin");
    add(T0, "op", "/grant points 300 @bob welcome");
    for (int d = 0; d < DAYS; d++) {
        int64_t day = T0 + d * DAY;
        char text[64];
        add(day + 3600, NULL, ""); /* 09:00: today's occurrence */
        add(day + 3601, NULL, ""); /* the same tick again */
        if (d != 8 && d != 9 && d != 16)
            add(day + 7200, "alice", "/checkin");
        snprintf(text, sizeof text, "/claim %d", d + 1);
        add(day + 7300, "alice", text);
        if (d % 2 == 0 && d > 0) {
            add(day + 7400, "bob", "/checkin");
            add(day + 7500, "bob", "/makeup yesterday");
        }
        if (d != 5)
            add(day + 7600, "carol", "/checkin");
        if (d == 3)
            add(day + 7700, "op", "/streak freeze @carol 2");
        if (d == 6) {
            add(day + 7800, "op", "/grant points 100 @carol thanks");
            add(day + 7900, "carol", "/makeup yesterday");
            add(day + 8000, "carol", "/makeup yesterday");
        }
    }
}

static void settings(struct engine_settings *set)
{
    set->streak = (struct kb_streak_rules){.freeze_every = 3, .freeze_cap = 2, .makeup_window_days = 7,
                                           .makeup_price = 20, .makeup_per_month = 3};
}

/* Apply step i; the message id is the step number, so a replay is the same message. */
static int apply_step(struct engine *e, size_t i)
{
    const struct step *s = &steps[i];
    if (!s->user)
        return engine_tick(e, s->t);
    char mid[16];
    snprintf(mid, sizeof mid, "%zu", i);
    struct kb_event ev = {.kind = KB_EV_MESSAGE, .platform = "console", .chat_id = "g1",
                          .chat_type = KB_CHAT_GROUP, .user_id = s->user, .user_name = s->user,
                          .user_handle = s->user, .message_id = mid, .time = s->t, .text = s->text,
                          .bot_username = "kocbot"};
    return engine_apply(e, &ev, 1, NULL, NULL, s->t);
}

/* The child: from step `from`, apply until the power goes (or the end:
   exit 0); each durable step is reported on fd. */
static void run_child(const struct engine_settings *set, size_t from, long cut_at, int fd)
{
    if (crash_vfs_register() != SQLITE_OK)
        _exit(2);
    crash_vfs_arm(cut_at);
    struct engine *e;
    char err[256];
    if (engine_open(set, &e, err, sizeof err))
        _exit(3);
    sqlite3_exec(store_db(e->st), "PRAGMA wal_autocheckpoint = 40", NULL, NULL, NULL);
    for (size_t i = from; i < n_steps; i++) {
        if (apply_step(e, i))
            _exit(4);
        size_t done = i + 1;
        if (write(fd, &done, sizeof done) != (ssize_t)sizeof done)
            _exit(5);
    }
    engine_close(e);
    _exit(0);
}

/* The rewards as text, one row a line, in a fixed order. */
static char *dump(const char *path)
{
    static const char *const queries[] = {
        "SELECT 'checkin', member_id, day, streak, points FROM checkins ORDER BY member_id, day",
        "SELECT 'freeze', member_id, reason, day, delta FROM streak_freezes ORDER BY member_id, reason, day, delta",
        "SELECT 'makeup', member_id, day, price FROM streak_makeups ORDER BY member_id, day",
        "SELECT 'ledger', member_id, kind, amount, reason, ref FROM ledger ORDER BY member_id, reason, ref, amount",
        "SELECT 'occurrence', series_id, at, task_id FROM task_occurrences ORDER BY series_id, at",
        "SELECT 'task', id, title, deadline FROM tasks ORDER BY id",
        "SELECT 'claim', task_id, member_id, state FROM claims ORDER BY task_id, member_id",
    };
    sqlite3 *db = NULL;
    struct sbuf out = {0};
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        TEST_FAIL("cannot open %s", path);
    for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
        sqlite3_stmt *s = NULL;
        if (sqlite3_prepare_v2(db, queries[q], -1, &s, NULL) != SQLITE_OK)
            TEST_FAIL("%s: %s", queries[q], sqlite3_errmsg(db));
        while (sqlite3_step(s) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(s); c++)
                sbuf_addf(&out, "%s%s", c ? "|" : "", (const char *)sqlite3_column_text(s, c));
            sbuf_addc(&out, '\n');
        }
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return sbuf_take(&out);
}

static int64_t count(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    int64_t v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

/* Each reward once: no day earns or spends two freezes, no day is made up
   or paid for twice, no day has two occurrences; and the script's own
   numbers (what the story is built to produce). */
static void check_once(const char *path)
{
    CHECK_INT(count(path, "SELECT count(*) FROM (SELECT 1 FROM streak_freezes WHERE reason <> 'granted'"
                          " GROUP BY member_id, reason, day HAVING count(*) > 1)"), 0);
    CHECK_INT(count(path, "SELECT count(*) FROM (SELECT 1 FROM ledger WHERE reason = 'makeup'"
                          " GROUP BY member_id, ref HAVING count(*) > 1)"), 0);
    CHECK_INT(count(path, "SELECT count(*) FROM ledger WHERE reason = 'makeup'"),
              count(path, "SELECT count(*) FROM streak_makeups"));
    CHECK_INT(count(path, "SELECT count(*) FROM task_occurrences"), DAYS); /* one a day, the first by /task new */
    CHECK_INT(count(path, "SELECT count(*) FROM tasks"), DAYS);
    CHECK_INT(count(path, "SELECT count(DISTINCT at) FROM task_occurrences"), DAYS);
    /* alice's gaps 8-9 and 16 were covered by her earned freezes */
    CHECK_INT(count(path, "SELECT count(*) FROM streak_freezes f JOIN members m ON m.id = f.member_id"
                          " WHERE m.user_id = 'alice' AND reason = 'used'"), 3);
    CHECK_INT(count(path, "SELECT max(streak) FROM checkins c JOIN members m ON m.id = c.member_id"
                          " WHERE m.user_id = 'alice'"), DAYS - 3);
    /* carol's day 5 was covered by a granted freeze at her day-6 check-in: no make-up to buy */
    CHECK_INT(count(path, "SELECT count(*) FROM streak_makeups s JOIN members m ON m.id = s.member_id"
                          " WHERE m.user_id = 'carol'"), 0);
    /* bob made up what the monthly cap allowed */
    CHECK_INT(count(path, "SELECT count(*) FROM streak_makeups s JOIN members m ON m.id = s.member_id"
                          " WHERE m.user_id = 'bob'"), 6); /* 3 in November, 3 in December */
}

TEST(every_freeze_makeup_and_occurrence_once_across_power_cuts)
{
    script();
    /* the run without cuts */
    struct fx ref;
    fx_open(&ref, NULL, "en");
    settings(&ref.e->set);
    for (size_t i = 0; i < n_steps; i++)
        CHECK_INT(apply_step(ref.e, i), 0);
    engine_close(ref.e);
    ref.e = NULL;
    char *want = dump(ref.path);
    check_once(ref.path);

    struct fx f;
    fx_open(&f, NULL, "en"); /* the schema is made and synced before the first cut */
    engine_close(f.e);
    f.e = NULL;
    settings(&f.set);
    char shm[160];
    snprintf(shm, sizeof shm, "%s-shm", f.path);
    uint64_t rng = 20261123;
    size_t confirmed = 0;
    int cuts = 0, finished = 0;
    for (int round = 0; round < MAX_ROUNDS && !finished; round++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        long cut_at = 1 + (long)(rng % 60); /* the n-th write or sync (WAL writes go out in 64 KiB pieces: few per commit) */
        /* from the last durable step, or a few before it: a platform may
           redeliver what was applied but not yet confirmed */
        size_t back = (size_t)(rng >> 32) % 4, from = confirmed > back ? confirmed - back : 0;
        int fds[2];
        CHECK_INT(pipe(fds), 0);
        fflush(stdout);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            run_child(&f.set, from, cut_at, fds[1]);
        }
        close(fds[1]);
        size_t told;
        while (read(fds[0], &told, sizeof told) == (ssize_t)sizeof told)
            confirmed = told;
        close(fds[0]);
        int status = 0;
        CHECK_INT(waitpid(pid, &status, 0), pid);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            finished = 1;
        } else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
            cuts++;
            unlink(shm); /* the shared-memory index is RAM: gone with the power */
        } else {
            TEST_FAIL("the child ended with status %d (a step failed) after step %zu", status, confirmed);
        }
    }
    printf("# %zu steps, %d power cuts, finished: %d\n", n_steps, cuts, finished);
    CHECK(finished);
    CHECK(cuts >= 40); /* the cuts fell all along the month */
    check_once(f.path);
    char *got = dump(f.path);
    if (strcmp(want, got) != 0) {
        /* the first line that differs */
        size_t k = 0;
        while (want[k] && want[k] == got[k])
            k++;
        while (k > 0 && want[k - 1] != '\n')
            k--;
        TEST_FAIL("after the cuts the rewards differ from a run without them, from:\nwant %.120s\ngot  %.120s",
                  want + k, got + k);
    }
    free(want);
    free(got);
    fx_close(&f);
    fx_close(&ref);
}

TEST_MAIN(T(every_freeze_makeup_and_occurrence_once_across_power_cuts))
