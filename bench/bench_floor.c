/*
 * The floor: what this machine allows whatever the bot's design, measured
 * with the same libraries and settings, so the other figures can be read
 * against it.
 *
 *   sync         one 4 KiB overwrite + fdatasync, the price of a durable commit
 *   sqlite       the lightest conceivable event in SQLite (WAL, synchronous=
 *                FULL, 8 MB cache): one new row at a scattered place in a
 *                table of 50,000 members x 5 days, plus one appended reply
 *                row; then with 2 and 4 secondary indexes at random places
 *                (a real check-in touches about a dozen); batches of 100
 *                and one transaction per event
 *   rss          the process's resident set after loading and initialising
 *                the libraries the product links (libcurl, SQLite, libuv),
 *                before doing anything: no bot can idle below it
 *
 *   bench_floor [dir]     (files are made in dir, default /tmp, and removed)
 * Prints ONE line of JSON.
 */
#include <curl/curl.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#define MEMBERS 50000

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    size_t n = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, n) == 0 && line[n] == ':')
            kb = strtol(line + n + 1, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_floor: %s\n", what);
    exit(1);
}

/* Median microseconds of a 4 KiB overwrite followed by fdatasync. */
static double sync_us(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/kocbot-floor-sync.%ld", dir, (long)getpid());
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
    if (fd < 0)
        die("cannot create the sync test file");
    static char page[4096];
    enum { N = 101 };
    double t[N];
    for (int i = 0; i < N; i++) {
        double t0 = now_s();
        if (pwrite(fd, page, sizeof page, (off_t)(i % 16) * 4096) != (ssize_t)sizeof page || fdatasync(fd))
            die("write/fdatasync failed");
        t[i] = (now_s() - t0) * 1e6;
    }
    close(fd);
    unlink(path);
    for (int i = 1; i < N; i++) /* insertion sort: 101 values */
        for (int j = i; j > 0 && t[j] < t[j - 1]; j--) {
            double x = t[j];
            t[j] = t[j - 1];
            t[j - 1] = x;
        }
    return t[N / 2];
}

static void exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        die(err ? err : "sqlite3_exec");
}

/* Events per second: each event = one row at a random (member, day) place
   with n_index secondary indexes, plus one appended reply row. */
static double sqlite_events(const char *dir, int n_index, int batch, int n_events)
{
    char path[512], side[540];
    snprintf(path, sizeof path, "%s/kocbot-floor.%ld.db", dir, (long)getpid());
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        die("sqlite3_open");
    exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-8192;"
             "PRAGMA wal_autocheckpoint=16384;"
             "CREATE TABLE c(member INTEGER, day INTEGER, a INTEGER, b INTEGER, x INTEGER, y INTEGER,"
             " PRIMARY KEY (member, day)) WITHOUT ROWID;"
             "CREATE TABLE o(id INTEGER PRIMARY KEY, text TEXT)");
    static const char *const idx[4] = {"CREATE INDEX ia ON c(a, member)", "CREATE INDEX ib ON c(b, member)",
                                        "CREATE INDEX ix ON c(x, member)", "CREATE INDEX iy ON c(y, member)"};
    for (int i = 0; i < n_index; i++)
        exec(db, idx[i]);
    sqlite3_stmt *ins, *out;
    if (sqlite3_prepare_v2(db, "INSERT INTO c VALUES (?, ?, ?, ?, ?, ?)", -1, &ins, NULL) ||
        sqlite3_prepare_v2(db, "INSERT INTO o(text) VALUES ('✅ checked in! Streak 3 day(s), +12 points (total 120), #5 today')",
                           -1, &out, NULL))
        die(sqlite3_errmsg(db));
    uint32_t r = 12345;
    /* five days of history for every member, then the measured day */
    for (int pass = 0; pass < 2; pass++) {
        int n = pass == 0 ? MEMBERS * 5 : n_events, per_tx = pass == 0 ? 10000 : batch;
        double t0 = now_s();
        for (int done = 0; done < n; done += per_tx) {
            exec(db, "BEGIN");
            for (int i = 0; i < per_tx && done + i < n; i++) {
                r = r * 1103515245u + 12345u;
                /* members in a scattered order (7919 is prime), each once a day */
                int seq = done + i;
                sqlite3_bind_int(ins, 1, (int)((int64_t)seq * 7919 % MEMBERS));
                sqlite3_bind_int(ins, 2, (pass == 0 ? 0 : 5) + seq / MEMBERS);
                for (int k = 3; k <= 6; k++)
                    sqlite3_bind_int(ins, k, (int)((r >> (k * 3)) % 100000));
                if (sqlite3_step(ins) != SQLITE_DONE || sqlite3_step(out) != SQLITE_DONE)
                    die(sqlite3_errmsg(db));
                sqlite3_reset(ins);
                sqlite3_reset(out);
            }
            exec(db, "COMMIT");
        }
        if (pass == 1) {
            double rate = n / (now_s() - t0);
            sqlite3_finalize(ins);
            sqlite3_finalize(out);
            sqlite3_close(db);
            unlink(path);
            snprintf(side, sizeof side, "%s-wal", path);
            unlink(side);
            snprintf(side, sizeof side, "%s-shm", path);
            unlink(side);
            return rate;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    /* the libraries the bot links, loaded and initialised, nothing else */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || sqlite3_initialize() != SQLITE_OK)
        die("library initialisation");
    CURLM *multi = curl_multi_init();
    uv_loop_t *loop = uv_default_loop();
    if (!multi || !loop)
        die("curl_multi_init/uv_default_loop");
    long rss_kb = status_kb("VmRSS"), anon_kb = status_kb("RssAnon");
    curl_multi_cleanup(multi);
    curl_global_cleanup();

    double sync = sync_us(dir);
    double b0 = sqlite_events(dir, 0, 100, 100000), b2 = sqlite_events(dir, 2, 100, 100000),
           b4 = sqlite_events(dir, 4, 100, 100000);
    double s0 = sqlite_events(dir, 0, 1, 10000), s4 = sqlite_events(dir, 4, 1, 10000);
    struct utsname u;
    uname(&u);
    printf("{\"bench\":\"floor\",\"dir\":\"%s\",\"fdatasync_4k_median_us\":%.0f,"
           "\"sqlite\":\"%s\",\"batched_100\":{\"events_per_s_0_indexes\":%.0f,"
           "\"events_per_s_2_indexes\":%.0f,\"events_per_s_4_indexes\":%.0f},"
           "\"single\":{\"events_per_s_0_indexes\":%.0f,\"events_per_s_4_indexes\":%.0f},"
           "\"libraries_rss_mb\":%.1f,\"libraries_rss_anon_mb\":%.1f,"
           "\"machine\":{\"uname\":\"%s %s %s\",\"nproc\":%ld}}\n",
           dir, sync, sqlite3_libversion(), b0, b2, b4, s0, s4, (double)rss_kb / 1024, (double)anon_kb / 1024,
           u.sysname, u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN));
    return 0;
}
