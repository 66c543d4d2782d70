/*
 * Power loss (docs/RELIABILITY.md).  A kill -9 cannot tell synchronous=FULL
 * from NORMAL: the page cache survives the process.  Here a child process
 * applies a burst of updates through the engine on top of a VFS that, at a
 * random write or sync, throws away every write not yet synced and dies
 * (tests/support/crash_vfs.c).  The child reports each offset once
 * engine_apply has returned: that is the moment the bot confirms it to
 * Telegram with its next getUpdates, after which Telegram forgets those
 * updates.  After every cut the parent checks the database: every confirmed
 * update is there, applied once, with one reply, and integrity_check is ok;
 * the next child starts from the confirmed offset (the updates after it
 * come again, as Telegram redelivers them).  The same harness with
 * synchronous=NORMAL must lose confirmed updates: that shows it can fail.
 */
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../support/crash_vfs.h"
#include "../support/fixture.h"
#include "../test.h"

static const int64_t T0 = 1795391940;
#define CUTS 120
#define CONTROL_CUTS 10
#define BATCH_MAX 8

/* Update i: user i in one of three chats; three in four check in, the rest
   ask /me.  Each has exactly one reply. */
static int is_checkin(int64_t i)
{
    return i % 4 != 3;
}

static void apply_batch(struct engine *e, int64_t from, size_t n)
{
    struct kb_event ev[BATCH_MAX];
    char chat[BATCH_MAX][24], user[BATCH_MAX][24], mid[BATCH_MAX][24], cursor[24];
    for (size_t k = 0; k < n; k++) {
        int64_t i = from + (int64_t)k;
        snprintf(chat[k], sizeof chat[k], "-100%d", (int)(i % 3));
        snprintf(user[k], sizeof user[k], "u%lld", (long long)i);
        snprintf(mid[k], sizeof mid[k], "%lld", (long long)i);
        ev[k] = (struct kb_event){.kind = KB_EV_MESSAGE, .platform = "tg", .chat_id = chat[k],
                                  .user_id = user[k], .user_name = user[k], .message_id = mid[k],
                                  .time = T0, .text = is_checkin(i) ? "/checkin" : "/me"};
    }
    snprintf(cursor, sizeof cursor, "%lld", (long long)(from + (int64_t)n));
    if (engine_apply(e, ev, n, "tg:offset", cursor, T0))
        _exit(4);
}

/* Mark what is pending as sent, as bot/outbox does: more transactions for
   the cut to land in. */
static void send_replies(struct engine *e)
{
    struct outbox_batch b;
    if (engine_outbox_fetch(e, "tg", INT64_MAX, 64, &b))
        _exit(5);
    struct outbox_done d[64];
    for (size_t k = 0; k < b.n; k++)
        d[k] = (struct outbox_done){.id = b.rows[k].id, .outcome = OUTBOX_SENT, .message_id = "1"};
    int rc = engine_outbox_done_many(e, d, b.n, T0 * 1000);
    outbox_batch_free(&b);
    if (rc)
        _exit(6);
}

/* The child: from the offset Telegram holds, apply batches until the power
   goes; each committed offset is written to fd. */
static void run_child(const struct engine_settings *set, int64_t from, long cut_at, int sync_normal,
                      int fd)
{
    if (crash_vfs_register() != SQLITE_OK)
        _exit(2);
    crash_vfs_arm(cut_at);
    struct engine *e;
    char err[256];
    if (engine_open(set, &e, err, sizeof err))
        _exit(3);
    /* checkpoints often, so cuts land in them too; under NORMAL (the control)
       seldom: a commit is one write of gathered WAL frames, and the cuts must
       fall between commits and the next checkpoint's sync to show a loss */
    sqlite3_exec(store_db(e->st), sync_normal ? "PRAGMA wal_autocheckpoint = 1000" : "PRAGMA wal_autocheckpoint = 40",
                 NULL, NULL, NULL);
    if (sync_normal)
        sqlite3_exec(store_db(e->st), "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
    uint64_t rng = (uint64_t)from * 0x9E3779B97F4A7C15u + 1;
    for (int batch = 0;; batch++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        size_t n = 1 + (size_t)(rng % BATCH_MAX);
        apply_batch(e, from, n);
        from += (int64_t)n;
        if (write(fd, &from, sizeof from) != (ssize_t)sizeof from)
            _exit(7);
        if (batch % 3 == 2)
            send_replies(e);
    }
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

/* What the database holds after a cut, against what Telegram was told.
   0 when every confirmed update is there once with its reply; else a
   description in why. */
static int verify(const char *path, int64_t confirmed, char *why, size_t cap)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        snprintf(why, cap, "cannot open the database");
        sqlite3_close(db);
        return 1;
    }
    sqlite3_stmt *s = NULL;
    char ok[16] = "";
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        snprintf(ok, sizeof ok, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    int64_t applied = q1(db, "SELECT count(*) FROM processed");
    int64_t upto = q1(db, "SELECT coalesce(max(CAST(message_id AS INTEGER)) + 1, 0) FROM processed");
    int64_t checkins = q1(db, "SELECT count(*) FROM checkins");
    int64_t ledger = q1(db, "SELECT count(*) FROM ledger WHERE reason = 'checkin'");
    int64_t replies = q1(db, "SELECT count(*) FROM outbox");
    int64_t replied = q1(db, "SELECT count(*) FROM (SELECT DISTINCT chat_id, reply_to FROM outbox)");
    sqlite3_close(db);
    int64_t want_checkins = upto - upto / 4;
    if (strcmp(ok, "ok"))
        snprintf(why, cap, "integrity_check: %s", ok);
    else if (upto < confirmed)
        snprintf(why, cap, "lost: Telegram was told %lld updates were stored, the database has %lld",
                 (long long)confirmed, (long long)upto);
    else if (applied != upto)
        snprintf(why, cap, "%lld updates applied for the first %lld", (long long)applied, (long long)upto);
    else if (checkins != want_checkins || ledger != want_checkins)
        snprintf(why, cap, "%lld check-ins and %lld ledger rows for %lld", (long long)checkins,
                 (long long)ledger, (long long)want_checkins);
    else if (replies != upto || replied != upto)
        snprintf(why, cap, "%lld replies to %lld messages for %lld updates", (long long)replies,
                 (long long)replied, (long long)upto);
    else
        return 0;
    return 1;
}

struct run_result {
    int cuts, lost_rounds;
    int64_t confirmed;
    char first_failure[320];
};

/* Rounds of child-until-the-power-goes until `cuts` cuts happened or (when
   stop_at_failure) the first check failed. */
static void power_cuts(int cuts, int sync_normal, int stop_at_failure, struct run_result *r)
{
    struct fx f;
    fx_open(&f, NULL, "en"); /* the schema is made and synced before the first cut */
    engine_close(f.e);
    f.e = NULL;
    memset(r, 0, sizeof *r);
    char shm[160];
    snprintf(shm, sizeof shm, "%s-shm", f.path);
    uint64_t rng = 20261201;
    while (r->cuts < cuts) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        long cut_at = 1 + (long)(rng % 1200); /* the n-th write or sync of this run */
        int fds[2];
        CHECK_INT(pipe(fds), 0);
        fflush(stdout);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            run_child(&f.set, r->confirmed, cut_at, sync_normal, fds[1]);
        }
        close(fds[1]);
        int64_t told;
        while (read(fds[0], &told, sizeof told) == (ssize_t)sizeof told)
            r->confirmed = told;
        close(fds[0]);
        int status = 0;
        CHECK_INT(waitpid(pid, &status, 0), pid);
        if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
            TEST_FAIL("the child ended with status %d instead of dying at the cut", status);
        r->cuts++;
        unlink(shm); /* the shared-memory index is RAM: gone with the power */
        char why[256];
        if (verify(f.path, r->confirmed, why, sizeof why)) {
            if (!r->first_failure[0])
                snprintf(r->first_failure, sizeof r->first_failure, "after cut %d: %s", r->cuts, why);
            r->lost_rounds++;
            if (stop_at_failure)
                break;
        }
    }
    fx_close(&f);
}

TEST(power_cuts_lose_nothing_telegram_was_told)
{
    struct run_result r;
    power_cuts(CUTS, 0, 1, &r);
    printf("# %d power cuts, %lld updates confirmed to Telegram, %d rounds with a loss%s%s\n", r.cuts,
           (long long)r.confirmed, r.lost_rounds, r.first_failure[0] ? ": " : "", r.first_failure);
    CHECK_INT(r.lost_rounds, 0);
    CHECK_INT(r.cuts, CUTS);
    CHECK(r.confirmed > CUTS); /* the cuts fell during a burst, not before it */
}

/* The harness can fail: with synchronous=NORMAL a commit is not on disk
   when it returns, and the cut takes updates Telegram already forgot. */
TEST(with_synchronous_normal_the_cuts_lose_updates)
{
    struct run_result r;
    power_cuts(CONTROL_CUTS, 1, 0, &r);
    printf("# synchronous=NORMAL: %d of %d cuts lost confirmed updates (%s)\n", r.lost_rounds, r.cuts,
           r.first_failure);
    CHECK(r.lost_rounds > 0);
    CHECK_CONTAINS(r.first_failure, "lost:");
}

TEST_MAIN(T(power_cuts_lose_nothing_telegram_was_told), T(with_synchronous_normal_the_cuts_lose_updates))
