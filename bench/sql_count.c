/*
 * Statements the real bot runs, counted from outside: an LD_PRELOAD object
 * that wraps sqlite3_open_v2 and counts every statement the connection
 * steps (sqlite3_trace_v2, SQLITE_TRACE_STMT) by its SQL text, and how
 * many of those ran outside a transaction (each one a read transaction of
 * its own, with its own WAL-index locks).  Used by bench/steady_probe.sh sql.
 * Environment:
 *   SQL_COUNT_OUT   file the table is written to at exit (required)
 *   SQL_COUNT_FROM, SQL_COUNT_TO  seconds after the first open between which
 *                   statements count (default: all)
 * Output: one line per statement, most run first: runs, runs outside a
 * transaction, the SQL (first 160 bytes, newlines as spaces).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_STATEMENTS 4096

struct counted {
    char *sql;
    long runs, outside;
};

static struct counted counted[MAX_STATEMENTS];
static size_t n_counted;
static double opened_at, count_from, count_to = 1e18;

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int on_statement(unsigned type, void *ctx, void *stmt_ptr, void *sql_text)
{
    (void)type;
    (void)ctx;
    (void)sql_text;
    double t = seconds_now() - opened_at;
    if (t < count_from || t > count_to)
        return 0;
    sqlite3_stmt *stmt = stmt_ptr;
    const char *sql = sqlite3_sql(stmt);
    if (!sql)
        return 0;
    long outside = sqlite3_get_autocommit(sqlite3_db_handle(stmt)) != 0;
    for (size_t i = 0; i < n_counted; i++) {
        if (strcmp(counted[i].sql, sql) == 0) {
            counted[i].runs++;
            counted[i].outside += outside;
            return 0;
        }
    }
    char *copy = n_counted < MAX_STATEMENTS ? strdup(sql) : NULL;
    if (copy)
        counted[n_counted++] = (struct counted){copy, 1, outside};
    return 0;
}

int sqlite3_open_v2(const char *path, sqlite3 **db, int flags, const char *vfs)
{
    int (*real_open)(const char *, sqlite3 **, int, const char *);
    *(void **)&real_open = dlsym(RTLD_NEXT, "sqlite3_open_v2");
    if (!real_open)
        return SQLITE_ERROR;
    if (opened_at == 0) {
        opened_at = seconds_now();
        const char *from = getenv("SQL_COUNT_FROM"), *to = getenv("SQL_COUNT_TO");
        if (from)
            count_from = strtod(from, NULL);
        if (to)
            count_to = strtod(to, NULL);
    }
    int rc = real_open(path, db, flags, vfs);
    if (rc == SQLITE_OK)
        sqlite3_trace_v2(*db, SQLITE_TRACE_STMT, on_statement, NULL);
    return rc;
}

static int most_run_first(const void *a, const void *b)
{
    const struct counted *x = a, *y = b;
    return (y->runs > x->runs) - (y->runs < x->runs);
}

__attribute__((destructor)) static void write_table(void)
{
    const char *out = getenv("SQL_COUNT_OUT");
    FILE *f = out ? fopen(out, "w") : NULL;
    if (!f)
        return;
    qsort(counted, n_counted, sizeof counted[0], most_run_first);
    for (size_t i = 0; i < n_counted; i++) {
        char line[161];
        snprintf(line, sizeof line, "%s", counted[i].sql);
        for (char *c = line; *c; c++)
            if (*c == '\n')
                *c = ' ';
        fprintf(f, "%8ld %8ld  %s\n", counted[i].runs, counted[i].outside, line);
    }
    fclose(f);
}
