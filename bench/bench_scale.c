/*
 * Scale benchmark for the layering queries: generates a community with N
 * members, M ledger rows and K check-ins (default 100000 / 5000000 /
 * 2000000), then times /me and /top, each 200 times:
 *   direct  the handlers' queries (standing, leaderboard, labels)
 *           inside a read transaction, no outbox
 *   apply   the whole path: engine_apply of a "/me" or "/top …" message in
 *           its own transaction (dedup, member upsert, reply into the outbox,
 *           COMMIT with synchronous=FULL)
 * /top cycles through all/week/month × points/checkins/tasks.
 * Prints ONE line of JSON with median and p99 in milliseconds and the machine.
 *
 *   bench_scale [members ledger_rows checkins [db_path]]
 * The database is kept (default /tmp/kocbot-bench-N-M-K.db) and reused when
 * it is complete, so a second run only measures.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "../core/checkin.h"
#include "../core/engine_int.h"
#include "../core/ledger.h"
#include "../core/standing.h"
#include "../core/top.h"
#include "../core/tz.h"

#define CALLS 200
#define DAY 86400
static const int64_t NOW = 1795392000; /* 2026-11-23 08:00 Asia/Shanghai */
static const char *const TZ = "Asia/Shanghai";
/* the community the generated rows belong to, for the period keys */
static const struct community zone = {.tz = "Asia/Shanghai"};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void die(const char *what, struct engine *e)
{
    fprintf(stderr, "bench_scale: %s: %s\n", what, e ? engine_errmsg(e) : "");
    exit(1);
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench_scale: prepare %s: %s\n", sql, sqlite3_errmsg(db));
        exit(1);
    }
    return s;
}

static void run(sqlite3_stmt *s)
{
    if (sqlite3_step(s) != SQLITE_DONE) {
        fprintf(stderr, "bench_scale: step: %s\n", sqlite3_errmsg(sqlite3_db_handle(s)));
        exit(1);
    }
    sqlite3_reset(s);
}

static void exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "bench_scale: %s: %s\n", sql, msg ? msg : "?");
        exit(1);
    }
}

struct period_acc {
    int64_t period, points, checkins, tasks;
};

/* Add to the member's accumulator for (span, period). */
static void acc_add(struct period_acc *a, size_t *n, size_t cap, int64_t period, int64_t p, int64_t c, int64_t t)
{
    for (size_t i = 0; i < *n; i++) {
        if (a[i].period == period) {
            a[i].points += p, a[i].checkins += c, a[i].tasks += t;
            return;
        }
    }
    if (*n < cap)
        a[(*n)++] = (struct period_acc){period, p, c, t};
}

static void generate(sqlite3 *db, int64_t n_members, int64_t n_ledger, int64_t n_checkins)
{
    exec(db, "PRAGMA synchronous=OFF; PRAGMA cache_size=-524288; BEGIN");
    exec(db, "INSERT INTO communities(id, name, locale, tz, created_at) VALUES (1, 'bench', 'en', 'Asia/Shanghai', 0);"
             "INSERT INTO chats(platform, chat_id, community_id, title, created_at) VALUES ('console', 'g', 1, 'bench', 0)");
    sqlite3_stmt *mem = prep(db, "INSERT INTO members(id, community_id, platform, user_id, name, handle, joined_at, last_seen)"
                                 " VALUES (?1, 1, 'console', 'u' || ?1, 'member ' || ?1, 'u' || ?1, ?2, ?3)");
    sqlite3_stmt *led = prep(db, "INSERT INTO ledger(community_id, member_id, kind, amount, reason, ref, at)"
                                 " VALUES (1, ?, 'points', ?, ?, ?, ?)");
    sqlite3_stmt *chk = prep(db, "INSERT INTO checkins(community_id, member_id, day, at, streak, points) VALUES (1, ?, ?, ?, ?, ?)");
    sqlite3_stmt *per = prep(db, "INSERT INTO period_tallies(community_id, span, period, member_id, points, checkins, tasks)"
                                 " VALUES (1, ?, ?, ?, ?, ?, ?)");
    sqlite3_stmt *tc = prep(db, "INSERT INTO task_completions(community_id, member_id, task_ref, tier, at) VALUES (1, ?, ?, ?, ?)");
    sqlite3_stmt *lvl = prep(db, "INSERT INTO member_levels(member_id, level, since) VALUES (?, ?, ?)");
    int64_t today = tz_day(TZ, NOW);
    int64_t ledger_left = n_ledger, checkins_left = n_checkins;
    for (int64_t m = 1; m <= n_members; m++) {
        int64_t members_left = n_members - m + 1;
        int64_t k = checkins_left / members_left, other = (ledger_left - checkins_left) / members_left;
        if (k > 365)
            k = 365;
        if (other < 0)
            other = 0;
        checkins_left -= k;
        ledger_left -= k + other;
        int64_t joined = NOW - 366 * DAY, seen = NOW - (int64_t)(rnd() % (60 * DAY));
        sqlite3_bind_int64(mem, 1, m), sqlite3_bind_int64(mem, 2, joined), sqlite3_bind_int64(mem, 3, seen);
        run(mem);
        struct period_acc weeks[60], months[16];
        size_t nw = 0, nm = 0;
        int64_t total = 0, all_checkins = 0, all_tasks = 0;
        /* a run of k consecutive check-in days ending at a random day */
        int64_t last = today - (int64_t)(rnd() % (uint64_t)(366 - k));
        for (int64_t i = 0; i < k; i++) {
            int64_t day = last - k + 1 + i, at = tz_day_start(TZ, day) + 8 * 3600 + (int64_t)(rnd() % 3600);
            int64_t pts = 10 + (i < 10 ? i : 10);
            char ref[32];
            snprintf(ref, sizeof ref, "day:%lld", (long long)day);
            sqlite3_bind_int64(chk, 1, m), sqlite3_bind_int64(chk, 2, day), sqlite3_bind_int64(chk, 3, at);
            sqlite3_bind_int64(chk, 4, i + 1), sqlite3_bind_int64(chk, 5, pts);
            run(chk);
            sqlite3_bind_int64(led, 1, m), sqlite3_bind_int64(led, 2, pts);
            sqlite3_bind_text(led, 3, "checkin", -1, SQLITE_STATIC);
            sqlite3_bind_text(led, 4, ref, -1, SQLITE_TRANSIENT), sqlite3_bind_int64(led, 5, at);
            run(led);
            total += pts, all_checkins++;
            acc_add(weeks, &nw, 60, top_period(&zone, TOP_WEEK, at), pts, 1, 0);
            acc_add(months, &nm, 16, top_period(&zone, TOP_MONTH, at), pts, 1, 0);
        }
        for (int64_t i = 0; i < other; i++) {
            int64_t at = NOW - (int64_t)(rnd() % (365 * DAY)), pts = 5 + (int64_t)(rnd() % 46);
            int task = (i % 3) == 0;
            char ref[32];
            snprintf(ref, sizeof ref, "%s:%lld", task ? "task" : "poll", (long long)(m * 1000 + i));
            sqlite3_bind_int64(led, 1, m), sqlite3_bind_int64(led, 2, pts);
            sqlite3_bind_text(led, 3, task ? "task" : "poll", -1, SQLITE_STATIC);
            sqlite3_bind_text(led, 4, ref, -1, SQLITE_TRANSIENT), sqlite3_bind_int64(led, 5, at);
            run(led);
            total += pts;
            int64_t done = 0;
            if (task && i < 12) { /* the first few tasks are recorded by tier */
                static const char *const tiers[] = {"basic", "explore", "precision", "cobuild"};
                sqlite3_bind_int64(tc, 1, m), sqlite3_bind_text(tc, 2, ref, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(tc, 3, tiers[rnd() % 4], -1, SQLITE_STATIC), sqlite3_bind_int64(tc, 4, at);
                run(tc);
                done = 1, all_tasks++;
            }
            acc_add(weeks, &nw, 60, top_period(&zone, TOP_WEEK, at), pts, 0, done);
            acc_add(months, &nm, 16, top_period(&zone, TOP_MONTH, at), pts, 0, done);
        }
        struct period_acc all = {0, total, all_checkins, all_tasks};
        for (int span = 0; span < 3; span++) {
            struct period_acc *a = span == 0 ? &all : span == 1 ? weeks : months;
            size_t n = span == 0 ? 1 : span == 1 ? nw : nm;
            for (size_t i = 0; i < n; i++) {
                sqlite3_bind_int64(per, 1, span), sqlite3_bind_int64(per, 2, a[i].period);
                sqlite3_bind_int64(per, 3, m), sqlite3_bind_int64(per, 4, a[i].points);
                sqlite3_bind_int64(per, 5, a[i].checkins), sqlite3_bind_int64(per, 6, a[i].tasks);
                run(per);
            }
        }
        int level = total >= 2000 ? 3 : total >= 500 ? 2 : 1; /* plausible, not exact */
        if (level > 1) {
            sqlite3_bind_int64(lvl, 1, m), sqlite3_bind_int64(lvl, 2, level), sqlite3_bind_int64(lvl, 3, NOW);
            run(lvl);
        }
    }
    sqlite3_stmt *all[] = {mem, led, chk, per, tc, lvl};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        sqlite3_finalize(all[i]);
    exec(db, "INSERT INTO cursors(key, value) VALUES ('bench:ready', '1'); COMMIT; ANALYZE; PRAGMA synchronous=FULL");
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct dist {
    double median, p99, max;
};

static struct dist summarize(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    size_t p = (n * 99 + 99) / 100;
    return (struct dist){v[n / 2], v[p ? p - 1 : 0], v[n - 1]};
}

static const char *const top_args[9] = {"", "week", "month", "checkins", "week checkins", "month checkins",
                                        "tasks", "week tasks", "month tasks"};

/* The handlers' read work, without the transaction and outbox around it. */
static void direct_me(struct engine *e, int64_t member)
{
    struct kb_event ev = {.platform = "console", .chat_id = "g"};
    struct cmd_ctx c = {.e = e, .st = e->st, .ev = &ev, .member_id = member, .now = NOW, .at = NOW, .lang = "en"};
    c.comm.id = 1;
    snprintf(c.comm.tz, sizeof c.comm.tz, "%s", TZ);
    int64_t points;
    struct checkin_stats cs;
    struct sbuf b = {0};
    if (ledger_points(e, member, &points) || checkin_stats(e, member, tz_day(TZ, NOW), &cs))
        die("me", e);
    member_label(e, member, &b);
    if (standing_describe(&c, &b))
        die("me describe", e);
    sbuf_free(&b);
}

static void direct_top(struct engine *e, int64_t member, int variant)
{
    enum top_span span = (enum top_span)(variant % 3);
    enum top_metric metric = (enum top_metric)(variant / 3);
    struct top_row rows[10];
    size_t n;
    int64_t rank, value;
    if (top_query(e, 1, span, top_period(&zone, span, NOW), metric, member, rows, &n, &rank, &value))
        die("top", e);
    struct sbuf b = {0};
    for (size_t i = 0; i < n; i++)
        member_label(e, rows[i].member_id, &b);
    sbuf_free(&b);
}

static void apply(struct engine *e, int64_t member, const char *text, int64_t seq)
{
    char user[32], msg[64];
    snprintf(user, sizeof user, "u%lld", (long long)member);
    /* unique per run: a reused database has seen earlier runs' ids */
    snprintf(msg, sizeof msg, "bench-%ld-%lld", (long)getpid(), (long long)seq);
    struct kb_event ev = {.kind = KB_EV_MESSAGE, .platform = "console", .chat_id = "g", .user_id = user,
                          .user_name = user, .user_handle = user, .message_id = msg, .time = NOW,
                          .text = text, .bot_username = "kocbot"};
    if (engine_apply(e, &ev, 1, NULL, NULL, NOW))
        die("engine_apply", e);
}

int main(int argc, char **argv)
{
    int64_t n_members = argc > 1 ? strtoll(argv[1], NULL, 10) : 100000;
    int64_t n_ledger = argc > 2 ? strtoll(argv[2], NULL, 10) : 5000000;
    int64_t n_checkins = argc > 3 ? strtoll(argv[3], NULL, 10) : 2000000;
    if (n_members < 10 || n_ledger < n_checkins || n_checkins < 0) {
        fprintf(stderr, "usage: bench_scale [members>=10 ledger_rows>=checkins checkins [db]]\n");
        return 2;
    }
    char path[256];
    if (argc > 4)
        snprintf(path, sizeof path, "%s", argv[4]);
    else
        snprintf(path, sizeof path, "/tmp/kocbot-bench-%lld-%lld-%lld.db", (long long)n_members,
                 (long long)n_ledger, (long long)n_checkins);
    char *ops[] = {"console:op"};
    struct engine_settings set = {.db_path = path, .locale = "en", .tz = (char *)TZ, .bot_name = "kocbot",
                                  .checkin = {.base_points = 10, .streak_bonus = 1, .streak_bonus_cap = 10},
                                  .n_operators = 1};
    set.operators[0] = ops[0];
    struct engine *e;
    char err[512];
    if (engine_open(&set, &e, err, sizeof err)) {
        fprintf(stderr, "bench_scale: %s\n", err);
        return 1;
    }
    double t0 = now_ms(), gen_s = 0;
    char ready[8];
    engine_cursor_load(e, "bench:ready", ready, sizeof ready);
    int reused = ready[0] == '1';
    if (!reused) {
        generate(store_db(e->st), n_members, n_ledger, n_checkins);
        gen_s = (now_ms() - t0) / 1000;
    }
    int64_t rows = 0;
    store_i64(e->st, &rows, "SELECT count(*) FROM ledger", NOVALS);

    double me_d[CALLS], top_d[CALLS], me_a[CALLS], top_a[CALLS], tasks_a[CALLS];
    rng_state = 12345;
    store_exec(e->st, "BEGIN", NOVALS);
    /* warm the page cache a little; the first call of each of the 9 boards
       reads it into memory (core/board.c): the slowest is board_load_ms */
    double board_load = 0;
    for (int i = 0; i < 20; i++) {
        double a = now_ms();
        direct_top(e, 1 + (int64_t)(rnd() % (uint64_t)n_members), i % 9);
        if (now_ms() - a > board_load)
            board_load = now_ms() - a;
    }
    for (int i = 0; i < CALLS; i++) {
        int64_t m = 1 + (int64_t)(rnd() % (uint64_t)n_members);
        double a = now_ms();
        direct_me(e, m);
        double b = now_ms();
        direct_top(e, m, i % 9);
        double c = now_ms();
        me_d[i] = b - a;
        top_d[i] = c - b;
    }
    store_exec(e->st, "COMMIT", NOVALS);
    for (int i = 0; i < CALLS; i++) {
        int64_t m = 1 + (int64_t)(rnd() % (uint64_t)n_members);
        char top[32];
        snprintf(top, sizeof top, "/top %s", top_args[i % 9]);
        double a = now_ms();
        apply(e, m, "/me", 3 * i);
        double b = now_ms();
        apply(e, m, top, 3 * i + 1);
        double c = now_ms();
        apply(e, m, "/tasks", 3 * i + 2);
        double d = now_ms();
        me_a[i] = b - a;
        top_a[i] = c - b;
        tasks_a[i] = d - c;
    }
    /* leave the reused database as it was found (no growing outbox) */
    store_exec(e->st, "DELETE FROM outbox WHERE text <> ''", NOVALS);
    struct dist md = summarize(me_d, CALLS), td = summarize(top_d, CALLS), ma = summarize(me_a, CALLS),
                ta = summarize(top_a, CALLS), ka = summarize(tasks_a, CALLS);
    /* main file plus the WAL not yet checkpointed into it */
    struct stat dbst;
    char wal[300];
    snprintf(wal, sizeof wal, "%s-wal", path);
    long long db_bytes = stat(path, &dbst) == 0 ? (long long)dbst.st_size : -1;
    if (stat(wal, &dbst) == 0)
        db_bytes += (long long)dbst.st_size;
    struct utsname u;
    uname(&u);
    printf("{\"members\":%lld,\"ledger_rows\":%lld,\"checkins\":%lld,\"generated_s\":%.1f,\"reused_db\":%s,"
           "\"calls\":%d,"
           "\"me_direct_ms\":{\"median\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
           "\"top_direct_ms\":{\"median\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
           "\"me_apply_ms\":{\"median\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
           "\"top_apply_ms\":{\"median\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
           "\"tasks_apply_ms\":{\"median\":%.3f,\"p99\":%.3f,\"max\":%.3f},\"board_load_ms\":%.1f,"
           "\"db_bytes\":%lld,"
           "\"machine\":{\"uname\":\"%s %s %s\",\"nproc\":%ld}}\n",
           (long long)n_members, (long long)rows, (long long)n_checkins, gen_s, reused ? "true" : "false", CALLS,
           md.median, md.p99, md.max, td.median, td.p99, td.max, ma.median, ma.p99, ma.max, ta.median, ta.p99,
           ta.max, ka.median, ka.p99, ka.max, board_load, db_bytes, u.sysname, u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN));
    engine_close(e);
    return 0;
}
