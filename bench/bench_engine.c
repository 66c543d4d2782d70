/*
 * Engine throughput: events per second through engine_apply on a real
 * SQLite file in WAL mode with the settings the product ships
 * (synchronous=FULL, core/store.c).  100 chats (one community each), 50,000
 * members; the event mix is 70% check-in, 15% vote, 10% claim/submit and 5%
 * chatter (plain text).  Every chat starts with one open poll and one open
 * task, posted by the operator through the engine like in production.
 *
 *   batched  engine_apply of 100 events per call (one transaction, the way
 *            the Telegram adapter delivers a getUpdates page)
 *   single   one event per call: one transaction and one sync per event
 *
 *   checkin  statements SQLite runs per check-in (every statement started,
 *            counted by sqlite3_trace_v2), over batches of check-ins only;
 *            BENCH_SQL_TOP=1 lists the statements on stderr, most run first;
 *            BENCH_CACHED_MEMBERS=N runs with that member cache;
 *            BENCH_DROP_INDEX=name drops one index first (its page cost)
 *   pages_per_batch / page_reads_per_batch  pages a batch writes to the WAL /
 *            reads into SQLite's page cache (what the cache's size costs)
 *
 * Time only moves forward: members check in once per simulated day, so most
 * check-ins are real (ledger row, streak, leaderboard tallies), not refusals.
 * Prints ONE line of JSON with both figures and the machine.
 *
 *   bench_engine [batched_events [single_events [db_path]]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../core/engine.h"
#include "../core/engine_int.h"

#define CHATS 100
#define MEMBERS 50000
#define BATCH 100
static const int64_t T0 = 1795392000; /* 2026-11-23 08:00 Asia/Shanghai */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Text storage for one batch of events (engine_apply borrows pointers). */
struct slot {
    char chat[32], user[32], name[40], handle[32], msg[32], text[96];
};

static struct slot slots[BATCH];
static struct kb_event events[BATCH];
static int64_t msg_seq, checkin_seq, event_time;
static int poll_id[CHATS], task_id[CHATS];

static void fill(size_t i, int64_t member, const char *text)
{
    struct slot *s = &slots[i];
    int chat = (int)(member % CHATS);
    snprintf(s->chat, sizeof s->chat, "-100%d", 1000 + chat);
    snprintf(s->user, sizeof s->user, "%lld", (long long)(100000 + member));
    snprintf(s->name, sizeof s->name, "Member %lld", (long long)member);
    snprintf(s->handle, sizeof s->handle, "m%lld", (long long)member);
    snprintf(s->msg, sizeof s->msg, "%lld", (long long)++msg_seq);
    snprintf(s->text, sizeof s->text, "%s", text);
    events[i] = (struct kb_event){.kind = KB_EV_MESSAGE, .platform = "tg", .chat_id = s->chat,
                                  .chat_title = "Bench group", .chat_type = KB_CHAT_GROUP,
                                  .user_id = s->user, .user_name = s->name, .user_handle = s->handle,
                                  .user_lang = "en", .message_id = s->msg, .time = event_time,
                                  .text = s->text, .bot_username = "kocbot"};
}

/* One event of the mix in slot i. */
static void make_event(size_t i)
{
    unsigned r = (unsigned)(rnd() % 100);
    char text[96];
    if (r < 70) {
        /* members check in in turn, once per simulated day */
        int64_t k = checkin_seq++;
        event_time = T0 + (k / MEMBERS) * 86400 + (k % MEMBERS) / 10;
        fill(i, k % MEMBERS, "/checkin");
        return;
    }
    int64_t m = (int64_t)(rnd() % MEMBERS);
    int chat = (int)(m % CHATS);
    if (r < 85)
        snprintf(text, sizeof text, "/vote %d %d", poll_id[chat], 1 + (int)(rnd() % 3));
    else if (r < 90)
        snprintf(text, sizeof text, "/claim %d", task_id[chat]);
    else if (r < 95)
        snprintf(text, sizeof text, "/submit %d https://example.com/work/%lld", task_id[chat],
                 (long long)m);
    else
        snprintf(text, sizeof text, "nice photo, see you tonight %lld", (long long)rnd() % 1000);
    fill(i, m, text);
}

static void die(struct engine *e, const char *what)
{
    fprintf(stderr, "bench_engine: %s: %s\n", what, e ? engine_errmsg(e) : "");
    exit(1);
}

/* ---- statements per check-in ------------------------------------------ */

#define SQL_KINDS 256
struct sql_kind {
    const char *sql;
    long n;
    long long ns;                 /* time stepping it (SQLite's own estimate) */
};
static struct sql_kind sql_seen[SQL_KINDS];
static long sql_total;

static struct sql_kind *kind_of(const char *sql)
{
    for (size_t i = 0; i < SQL_KINDS; i++) {
        if (!sql_seen[i].sql)
            sql_seen[i].sql = sql;
        if (sql_seen[i].sql == sql || strcmp(sql_seen[i].sql, sql) == 0)
            return &sql_seen[i];
    }
    return NULL;
}

/* Statements started (TRACE_STMT) and their run time (TRACE_PROFILE). */
static int count_stmt(unsigned type, void *ctx, void *p, void *x)
{
    (void)ctx;
    struct sql_kind *k = kind_of(sqlite3_sql(p));
    if (type == SQLITE_TRACE_STMT) {
        sql_total++;
        if (k)
            k->n++;
    } else if (k) {
        k->ns += *(const sqlite3_int64 *)x;
    }
    return 0;
}

static int by_count(const void *a, const void *b)
{
    long x = ((const struct sql_kind *)a)->n, y = ((const struct sql_kind *)b)->n;
    return (x < y) - (x > y);
}

/* Statements per check-in over n check-ins in batches of BATCH (each member
   checks in once more, a day later than its last). */
static double statements_per_checkin(struct engine *e, long n)
{
    sqlite3 *db = store_db(e->st);
    memset(sql_seen, 0, sizeof sql_seen);
    sql_total = 0;
    sqlite3_trace_v2(db, SQLITE_TRACE_STMT | (getenv("BENCH_SQL_TOP") ? SQLITE_TRACE_PROFILE : 0), count_stmt, NULL);
    for (long done = 0; done < n;) {
        size_t k = (size_t)(n - done) < BATCH ? (size_t)(n - done) : BATCH;
        for (size_t i = 0; i < k; i++) {
            int64_t c = checkin_seq++;
            event_time = T0 + (c / MEMBERS) * 86400 + (c % MEMBERS) / 10;
            fill(i, c % MEMBERS, "/checkin");
        }
        if (engine_apply(e, events, k, "tg:offset", slots[k - 1].msg, event_time))
            die(e, "engine_apply");
        done += (long)k;
    }
    sqlite3_trace_v2(db, 0, NULL, NULL);
    if (getenv("BENCH_SQL_TOP")) {
        qsort(sql_seen, SQL_KINDS, sizeof sql_seen[0], by_count);
        for (size_t i = 0; i < SQL_KINDS && sql_seen[i].sql; i++)
            fprintf(stderr, "%8.2f %7.1f us  %.140s\n", (double)sql_seen[i].n / (double)n,
                    (double)sql_seen[i].ns / 1000.0 / (double)n, sql_seen[i].sql);
    }
    return (double)sql_total / (double)n;
}

/* The operator opens a poll and a task in every chat. */
static void setup(struct engine *e)
{
    for (int c = 0; c < CHATS; c++) {
        const char *texts[2] = {"/poll new Which poster? | Sunset | City night | Mountain road --closes 30d",
                                "/task new basic Share the launch post --reward points 20 --deadline 30d"};
        for (int k = 0; k < 2; k++) {
            struct slot *s = &slots[0];
            snprintf(s->chat, sizeof s->chat, "-100%d", 1000 + c);
            snprintf(s->msg, sizeof s->msg, "setup-%d-%d", c, k);
            struct kb_event ev = {.kind = KB_EV_MESSAGE, .platform = "tg", .chat_id = s->chat,
                                  .chat_title = "Bench group", .chat_type = KB_CHAT_GROUP,
                                  .user_id = "1", .user_name = "Operator", .user_handle = "op",
                                  .message_id = s->msg, .time = T0 - 3600, .text = texts[k],
                                  .bot_username = "kocbot"};
            if (engine_apply(e, &ev, 1, NULL, NULL, T0 - 3600))
                die(e, "setup");
        }
        /* the ids the engine gave them (polls and tasks are numbered globally) */
        poll_id[c] = 1 + c;
        task_id[c] = 1 + c;
    }
}

/* BENCH_DROP_INDEX=name: what one index costs in pages per batch (an
   experiment: the commands that read it get slower or change meaning). */
static void drop_index(struct engine *e, const char *name)
{
    if (!name)
        return;
    sqlite3 *db = store_db(e->st);
    sqlite3_stmt *s;
    char sql[160];
    int known = sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?",
                                   -1, &s, NULL) == SQLITE_OK &&
                sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC) == SQLITE_OK &&
                sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    /* the name is one the schema holds, so it can stand in the statement */
    if (!known || snprintf(sql, sizeof sql, "DROP INDEX \"%s\"", name) >= (int)sizeof sql ||
        sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        die(e, "BENCH_DROP_INDEX: no such index");
}

struct result {
    double events_per_s, cpu_s, wall_s;
    long n;
};

static struct result run(struct engine *e, long n, size_t batch)
{
    double w0 = now_s(), c0 = cpu_s();
    long done = 0;
    while (done < n) {
        size_t k = (size_t)(n - done) < batch ? (size_t)(n - done) : batch;
        for (size_t i = 0; i < k; i++)
            make_event(i);
        if (engine_apply(e, events, k, "tg:offset", slots[k - 1].msg, event_time))
            die(e, "engine_apply");
        done += (long)k;
    }
    double wall = now_s() - w0;
    return (struct result){(double)n / wall, cpu_s() - c0, wall, n};
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

int main(int argc, char **argv)
{
    long n_batched = argc > 1 ? strtol(argv[1], NULL, 10) : 300000;
    long n_single = argc > 2 ? strtol(argv[2], NULL, 10) : 20000;
    char path[256];
    if (argc > 3)
        snprintf(path, sizeof path, "%s", argv[3]);
    else
        snprintf(path, sizeof path, "/tmp/kocbot-bench-engine-%ld.db", (long)getpid());
    if (n_batched < 1 || n_single < 1) {
        fprintf(stderr, "usage: bench_engine [batched_events [single_events [db]]]\n");
        return 2;
    }
    char wal[300], shm[300];
    snprintf(wal, sizeof wal, "%s-wal", path);
    snprintf(shm, sizeof shm, "%s-shm", path);
    unlink(path), unlink(wal), unlink(shm);
    struct engine_settings set = {.db_path = path, .locale = "en", .tz = "Asia/Shanghai",
                                  .bot_name = "kocbot",
                                  .checkin = {.base_points = 10, .streak_bonus = 1, .streak_bonus_cap = 10},
                                  .n_operators = 1, .member_rate_per_min = 20};
    set.operators[0] = "tg:1";
    if (getenv("BENCH_CACHED_MEMBERS")) /* the member cache's size (config cached_members) */
        set.cached_members = (int)strtol(getenv("BENCH_CACHED_MEMBERS"), NULL, 10);
    struct engine *e;
    char err[512];
    if (engine_open(&set, &e, err, sizeof err)) {
        fprintf(stderr, "bench_engine: %s\n", err);
        return 1;
    }
    setup(e);
    drop_index(e, getenv("BENCH_DROP_INDEX"));
    /* first pass creates the 50,000 members; measured separately */
    struct result warm = run(e, MEMBERS, BATCH);
    /* pages written to the WAL per batch: what the commits cost */
    int pages = 0, high = 0, misses = 0;
    sqlite3_db_status(store_db(e->st), SQLITE_DBSTATUS_CACHE_WRITE, &pages, &high, 1);
    /* pages read into the page cache per batch: what its size costs */
    sqlite3_db_status(store_db(e->st), SQLITE_DBSTATUS_CACHE_MISS, &misses, &high, 1);
    struct result batched = run(e, n_batched, BATCH);
    sqlite3_db_status(store_db(e->st), SQLITE_DBSTATUS_CACHE_WRITE, &pages, &high, 1);
    sqlite3_db_status(store_db(e->st), SQLITE_DBSTATUS_CACHE_MISS, &misses, &high, 1);
    struct result single = run(e, n_single, 1);
    double per_checkin = statements_per_checkin(e, 2000);
    engine_close(e);
    long long db_bytes = file_size(path);
    unlink(path), unlink(wal), unlink(shm);
    struct utsname u;
    uname(&u);
    char cpu[128] = "?";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "model name", 10) == 0) {
                char *p = strchr(line, ':');
                if (p) {
                    p += 1 + (p[1] == ' ');
                    p[strcspn(p, "\n")] = '\0';
                    snprintf(cpu, sizeof cpu, "%s", p);
                }
                break;
            }
        }
        fclose(f);
    }
    printf("{\"bench\":\"engine\",\"chats\":%d,\"members\":%d,\"mix\":\"70%% checkin, 15%% vote, 10%% claim/submit, 5%% chatter\","
           "\"sqlite\":\"%s\",\"journal_mode\":\"WAL\",\"synchronous\":\"FULL\","
           "\"first_sight\":{\"events\":%ld,\"events_per_s\":%.0f},"
           "\"batched\":{\"batch\":%d,\"events\":%ld,\"events_per_s\":%.0f,\"cpu_s\":%.2f,\"wall_s\":%.2f,"
           "\"pages_per_batch\":%.0f,\"page_reads_per_batch\":%.0f},"
           "\"single\":{\"batch\":1,\"events\":%ld,\"events_per_s\":%.0f,\"cpu_s\":%.2f,\"wall_s\":%.2f},"
           "\"statements_per_checkin\":%.1f,"
           "\"db_bytes\":%lld,\"machine\":{\"uname\":\"%s %s %s\",\"cpu\":\"%s\",\"nproc\":%ld}}\n",
           CHATS, MEMBERS, sqlite3_libversion(), warm.n, warm.events_per_s, BATCH, batched.n,
           batched.events_per_s, batched.cpu_s, batched.wall_s, (double)pages * BATCH / (double)n_batched,
           (double)misses * BATCH / (double)n_batched, single.n, single.events_per_s, single.cpu_s,
           single.wall_s, per_checkin, db_bytes, u.sysname, u.release, u.machine, cpu, sysconf(_SC_NPROCESSORS_ONLN));
    return 0;
}
