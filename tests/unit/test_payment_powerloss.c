/*
 * Every reward and reversal path, exactly once across power cuts (the
 * harness of test_powerloss.c: tests/support/crash_vfs.c throws away what
 * was not synced and kills the child at a random write or sync).  A script
 * walks a revision round, a partial acceptance, approvals, a four-eyes
 * payment (refused once, then approved by the second operator), payments
 * with references, a shipping address, confirmations, a failed payment
 * re-owed, a one-step /payout and a reversal after a payout.  The child
 * applies it from the offset the platform holds; after each cut the parent
 * checks the database (integrity, every confirmed event there, the books
 * agree) and the next child starts one event before that offset (a
 * redelivery the de-duplication must absorb).  Once the script is through,
 * the rows must be those of a run without cuts: no step lost or doubled.
 */
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../core/payment.h"
#include "../support/crash_vfs.h"
#include "../support/fixture.h"
#include "../test.h"

static const int64_t T0 = 1795391940;
#define ROUNDS 12

static const struct step {
    const char *user;
    int private_chat;
    const char *text;
} script[] = {
    {"op", 0, "/task new explore Big --everyone --reward cash 1500 CNY, points 80"},
    {"op", 0, "/task new explore Gift --everyone --reward cash 200 CNY, gift Bag"},
    {"op", 0, "/task new precision Five --everyone --reward cash 500 CNY, points 50 --rounds 1"},
    {"bob", 0, "/claim 1"},
    {"bob", 0, "/submit 1 video"},
    {"bob", 0, "/claim 2"},
    {"bob", 0, "/submit 2 unboxing"},
    {"bob", 0, "/claim 3"},
    {"bob", 0, "/submit 3 five photos v1"},
    {"op", 0, "/revise 3 brighter please"},
    {"bob", 0, "/submit 3 five photos v2"},
    {"op", 0, "/revise 4 once more"},          /* refused: one round only */
    {"op", 0, "/approve 4 3/5 two are blurred"}, /* 300.00 CNY, 30 points */
    {"op", 0, "/approve 1"},
    {"op", 0, "/approve 2"},
    {"bob", 1, "/received"},                     /* bob's private chat */
    {"op", 0, "/pay approve @bob 1500 CNY"},    /* #1 requested */
    {"op", 0, "/pay approve 1"},                 /* refused: same operator */
    {"op2", 0, "/pay approve 1"},
    {"op", 0, "/pay paid 1 TX-1"},
    {"op", 0, "/pay approve @bob gift"},         /* #2 ships */
    {"bob", 1, "/address 2 Room 301, 5 Lake Road"},
    {"op", 0, "/pay paid 2 SF-2"},
    {"bob", 0, "/received 1"},
    {"bob", 1, "/received 2"},
    {"op", 0, "/pay approve @bob"},              /* #3: 500.00 CNY */
    {"op", 0, "/pay paid 3 TX-3"},
    {"op", 0, "/pay failed 3 bounced"},          /* re-owed by a payfail row */
    {"op", 0, "/payout @bob"},                   /* #4 at once */
    {"op", 0, "/unapprove 1 not licensed"},      /* after a payout: bob owes */
    {"op", 0, "/tally"},
};
#define STEPS ((int64_t)KB_COUNT(script))

static void apply_one(struct engine *e, int64_t i)
{
    const struct step *s = &script[i];
    char chat[32], mid[24], cursor[24];
    snprintf(chat, sizeof chat, "%s%s", s->private_chat ? "dm-" : "g1", s->private_chat ? s->user : "");
    snprintf(mid, sizeof mid, "%lld", (long long)i + 1);
    snprintf(cursor, sizeof cursor, "%lld", (long long)i + 1);
    struct kb_event ev = {.kind = KB_EV_MESSAGE, .platform = "console", .chat_id = chat,
                          .chat_type = s->private_chat ? KB_CHAT_PRIVATE : KB_CHAT_GROUP, .user_id = s->user,
                          .user_name = s->user, .user_handle = s->user, .message_id = mid,
                          .time = T0 + i * 60, .text = s->text, .bot_username = "kocbot"};
    if (engine_apply(e, &ev, 1, "pl:offset", cursor, T0 + i * 60))
        _exit(4);
}

/* The child: from one before the offset the platform holds, to the end
   (then it exits 0) or until the power goes. */
static void run_child(const struct engine_settings *set, int64_t from, long cut_at, int fd)
{
    if (crash_vfs_register() != SQLITE_OK)
        _exit(2);
    crash_vfs_arm(cut_at);
    struct engine *e;
    char err[256];
    if (engine_open(set, &e, err, sizeof err))
        _exit(3);
    sqlite3_exec(store_db(e->st), "PRAGMA wal_autocheckpoint = 20", NULL, NULL, NULL);
    for (int64_t i = from > 0 ? from - 1 : 0; i < STEPS; i++) {
        apply_one(e, i);
        int64_t done = i + 1;
        if (write(fd, &done, sizeof done) != (ssize_t)sizeof done)
            _exit(7);
    }
    engine_close(e);
    _exit(0);
}

/* What a run leaves, timestamps and all (the clock is the script's). */
static char *digest_dup(struct engine *e)
{
    static const char *const queries[] = {
        "SELECT group_concat(x, ';') FROM (SELECT member_id || ':' || kind || ':' || unit || ':' || amount || ':' ||"
        " reason || ':' || ref || ':' || note AS x FROM ledger ORDER BY id)",
        "SELECT group_concat(x, ';') FROM (SELECT id || ':' || state || ':' || amount || ':' || reference || ':' ||"
        " coalesce(approved_by, '-') || ':' || coalesce(payout_ledger_id, '-') AS x FROM payments ORDER BY id)",
        "SELECT group_concat(x, ';') FROM (SELECT id || ':' || state AS x FROM submissions ORDER BY id)",
        "SELECT count(*) || ' revisions, ' || (SELECT count(*) FROM partial_approvals) || ' parts, '"
        " || (SELECT count(*) FROM payment_addresses) || ' addresses' FROM revision_requests",
        "SELECT group_concat(x, ';') FROM (SELECT action || ' ' || target AS x FROM audit ORDER BY id)",
        "SELECT count(*) || ' replies to ' || count(DISTINCT reply_to) FROM outbox",
        "SELECT count(*) FROM processed",
    };
    struct sbuf b = {0};
    for (size_t i = 0; i < KB_COUNT(queries); i++) {
        sqlite3_stmt *q = store_query(e->st, queries[i], NOVALS);
        if (q && store_step(e->st, q) == 1)
            sbuf_addf(&b, "%s\n", store_text(q, 0));
        store_done(q);
    }
    return sbuf_take(&b);
}

static void open_settings(struct fx *f)
{
    fx_open(f, NULL, "en");
    f->set.payment_four_eyes_cents = 100000;
    f->set.revision_max_rounds = 2;
    f->set.payment_address_keep_s = 30 * 86400;
    fx_reopen(f);
}

/* The parent's look at the database after a cut: 0, or why in why. */
static int verify(struct fx *f, int64_t confirmed, char *why, size_t cap)
{
    char err[256];
    if (engine_open(&f->set, &f->e, err, sizeof err)) {
        snprintf(why, cap, "engine_open: %s", err);
        return 1;
    }
    int64_t applied = fx_i64(f, "SELECT count(*) FROM processed");
    char ok[16] = "";
    sqlite3_stmt *q = store_query(f->e->st, "PRAGMA integrity_check", NOVALS);
    if (q && store_step(f->e->st, q) == 1)
        snprintf(ok, sizeof ok, "%s", store_text(q, 0));
    store_done(q);
    int bad = 1;
    char books[300] = "";
    if (strcmp(ok, "ok"))
        snprintf(why, cap, "integrity_check: %s", ok);
    else if (applied < confirmed)
        snprintf(why, cap, "lost: %lld events confirmed, %lld applied", (long long)confirmed, (long long)applied);
    else if (!payment_books_agree(f->e, 1, books, sizeof books))
        snprintf(why, cap, "after %lld events the books disagree: %s", (long long)applied, books);
    else
        bad = 0;
    engine_close(f->e);
    f->e = NULL;
    return bad;
}

TEST(every_reward_path_once_across_power_cuts)
{
    /* the run without cuts */
    struct fx f;
    open_settings(&f);
    for (int64_t i = 0; i < STEPS; i++)
        apply_one(f.e, i);
    char *want = digest_dup(f.e);
    fx_books_agree(&f);
    CHECK_CONTAINS(want, "3:failed:50000:TX-3");    /* the script did what it says */
    CHECK_CONTAINS(want, "1:confirmed:150000:TX-1:3:"); /* op2 (member 3) approved */
    CHECK_CONTAINS(want, "1 revisions, 1 parts, 0 addresses");
    fx_close(&f);

    int cuts = 0, bad_rounds = 0;
    char first[400] = "";
    uint64_t rng = 20261202;
    for (int round = 0; round < ROUNDS; round++) {
        open_settings(&f);
        engine_close(f.e); /* the schema is made and synced before the first cut */
        f.e = NULL;
        char shm[160];
        snprintf(shm, sizeof shm, "%s-shm", f.path);
        int64_t confirmed = 0;
        for (int finished = 0; !finished;) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            long cut_at = 1 + (long)(rng % 400);
            int fds[2];
            CHECK_INT(pipe(fds), 0);
            fflush(stdout);
            pid_t pid = fork();
            CHECK(pid >= 0);
            if (pid == 0) {
                close(fds[0]);
                run_child(&f.set, confirmed, cut_at, fds[1]);
            }
            close(fds[1]);
            int64_t told;
            while (read(fds[0], &told, sizeof told) == (ssize_t)sizeof told)
                confirmed = told > confirmed ? told : confirmed;
            close(fds[0]);
            int status = 0;
            CHECK_INT(waitpid(pid, &status, 0), pid);
            finished = WIFEXITED(status) && WEXITSTATUS(status) == 0;
            if (!finished && (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL))
                TEST_FAIL("the child ended with status %d", status);
            if (!finished) {
                cuts++;
                unlink(shm);
            }
            char why[340];
            if (verify(&f, confirmed, why, sizeof why)) {
                bad_rounds++;
                if (!first[0])
                    snprintf(first, sizeof first, "round %d: %s", round, why);
                break;
            }
        }
        fx_reopen(&f);
        char *got = digest_dup(f.e);
        if (strcmp(got, want) && !first[0])
            snprintf(first, sizeof first, "round %d ended with other rows:\n%s\ninstead of\n%s", round, got, want);
        bad_rounds += strcmp(got, want) != 0;
        free(got);
        fx_close(&f);
    }
    printf("# %d rounds, %d power cuts, %d rounds wrong%s%s\n", ROUNDS, cuts, bad_rounds, first[0] ? ": " : "", first);
    free(want);
    CHECK_INT(bad_rounds, 0);
    CHECK(cuts >= ROUNDS);
}

TEST_MAIN(T(every_reward_path_once_across_power_cuts))
