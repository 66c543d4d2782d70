/*
 * The floor under the bot's CPU per update at steady load: the least a bot
 * with kocbot's guarantees can spend when updates come one at a time.  It
 * long-polls getUpdates, applies each answer in ONE SQLite transaction
 * (WAL, synchronous=FULL: the cursor, one outbox row per update, the last
 * answer's rows marked sent), and only then confirms it (the next
 * getUpdates' offset) and sends one reply per update.  No engine, no
 * commands, blocking libcurl easy handles (cheaper than a multi on a loop):
 * what is left is the HTTP, the JSON and the durable commit.
 *
 *   bench_steady_floor BASE_URL DB_PATH UPDATES
 *
 * DB_PATH "-" leaves the database out: the HTTP and JSON part alone.
 * First it confirms whatever the fake still holds, then writes "ready" to
 * stderr; bench/bench_e2e.sh then releases UPDATES at 1,000/s.  Prints ONE
 * line of JSON when UPDATES new updates are answered.
 */
#include <cJSON.h>
#include <curl/curl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

struct buf {
    char *p;
    size_t len, cap;
};

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
    struct buf *b = ud;
    size_t add = size * n;
    if (b->len + add + 1 > b->cap) {
        size_t cap = (b->len + add + 1) * 2;
        char *np = realloc(b->p, cap);
        if (!np)
            return 0;
        b->p = np, b->cap = cap;
    }
    memcpy(b->p + b->len, p, add);
    b->len += add;
    b->p[b->len] = '\0';
    return add;
}

static double cpu_seconds(void)
{
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return (double)r.ru_utime.tv_sec + (double)r.ru_utime.tv_usec / 1e6 + (double)r.ru_stime.tv_sec +
           (double)r.ru_stime.tv_usec / 1e6;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "bench_steady_floor: %s: %s\n", what, why);
    exit(1);
}

static CURL *handle(const char *url, struct curl_slist *headers, struct buf *into)
{
    CURL *c = curl_easy_init();
    if (!c)
        die("curl", "no handle");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, into);
    return c;
}

static void post(CURL *c, struct buf *answer, const char *body)
{
    answer->len = 0;
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        die("request", curl_easy_strerror(rc));
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        die(sql, sqlite3_errmsg(db));
    return st;
}

static void run(sqlite3 *db, sqlite3_stmt *st)
{
    if (sqlite3_step(st) != SQLITE_DONE)
        die(sqlite3_sql(st), sqlite3_errmsg(db));
    sqlite3_reset(st);
}

static int64_t number(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

struct row {
    int64_t chat, reply_to;
    char body[192];
};

struct ledger {
    sqlite3 *db;
    sqlite3_stmt *begin, *commit, *cursor, *stage, *mark;
    int64_t sent_from, sent_to; /* outbox rows sent since the last commit */
};

/* One transaction: the rows sent since the last one marked, the cursor,
   this answer's replies staged. */
static void ledger_commit(struct ledger *lg, const struct row *rows, size_t n, int64_t offset)
{
    run(lg->db, lg->begin);
    sqlite3_bind_int64(lg->mark, 1, lg->sent_from);
    sqlite3_bind_int64(lg->mark, 2, lg->sent_to);
    run(lg->db, lg->mark);
    sqlite3_bind_int64(lg->cursor, 1, offset);
    run(lg->db, lg->cursor);
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_int64(lg->stage, 1, rows[i].chat);
        sqlite3_bind_int64(lg->stage, 2, rows[i].reply_to);
        sqlite3_bind_text(lg->stage, 3, rows[i].body, -1, SQLITE_STATIC);
        run(lg->db, lg->stage);
    }
    run(lg->db, lg->commit);
    lg->sent_from = lg->sent_to;
    lg->sent_to = sqlite3_last_insert_rowid(lg->db); /* sent below, before the next commit */
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_steady_floor BASE_URL DB_PATH UPDATES\n");
        return 2;
    }
    umask(077); /* its database 0600, as every database here */
    long want = strtol(argv[3], NULL, 10);
    char poll_url[512], send_url[512];
    snprintf(poll_url, sizeof poll_url, "%s/bot1:bench/getUpdates", argv[1]);
    snprintf(send_url, sizeof send_url, "%s/bot1:bench/sendMessage", argv[1]);
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:");
    struct buf answer = {0}, sent = {0};
    CURL *poller = handle(poll_url, headers, &answer), *sender = handle(send_url, headers, &sent);

    int durable = strcmp(argv[2], "-") != 0;
    sqlite3 *db = NULL;
    if (sqlite3_open(durable ? argv[2] : ":memory:", &db) != SQLITE_OK)
        die(argv[2], sqlite3_errmsg(db));
    if (sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                     "CREATE TABLE IF NOT EXISTS cursor (id INTEGER PRIMARY KEY, next INTEGER NOT NULL);"
                     "CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY, chat INTEGER NOT NULL,"
                     " reply_to INTEGER NOT NULL, body TEXT NOT NULL, sent INTEGER NOT NULL DEFAULT 0);",
                     NULL, NULL, NULL) != SQLITE_OK)
        die("schema", sqlite3_errmsg(db));
    struct ledger lg = {
        .db = db,
        .begin = prepare(db, "BEGIN IMMEDIATE"),
        .commit = prepare(db, "COMMIT"),
        .cursor = prepare(db, "INSERT OR REPLACE INTO cursor (id, next) VALUES (1, ?)"),
        .stage = prepare(db, "INSERT INTO outbox (chat, reply_to, body) VALUES (?, ?, ?)"),
        .mark = prepare(db, "UPDATE outbox SET sent = 1 WHERE id > ? AND id <= ?"),
    };

    size_t cap = 128, n = 0;
    struct row *rows = malloc(cap * sizeof *rows);
    int64_t offset = 0;
    long got = 0, polls = 0, commits = 0;
    int draining = 1;
    double cpu0 = 0;
    char request[128];
    while (got < want) {
        snprintf(request, sizeof request, "{\"offset\":%lld,\"timeout\":%d}", (long long)offset,
                 draining ? 0 : 30);
        post(poller, &answer, request);
        polls++;
        cJSON *env = cJSON_ParseWithLength(answer.p, answer.len);
        const cJSON *result = cJSON_GetObjectItemCaseSensitive(env, "result");
        if (!cJSON_IsArray(result))
            die("getUpdates", answer.len ? answer.p : "empty answer");
        n = 0;
        int empty = cJSON_GetArraySize(result) == 0;
        const cJSON *u;
        cJSON_ArrayForEach(u, result) {
            int64_t id = number(u, "update_id");
            if (id >= offset)
                offset = id + 1;
            if (draining)
                continue;
            const cJSON *msg = cJSON_GetObjectItemCaseSensitive(u, "message");
            if (n == cap && !(rows = realloc(rows, (cap *= 2) * sizeof *rows)))
                die("rows", "out of memory");
            struct row *r = &rows[n++];
            r->chat = number(cJSON_GetObjectItemCaseSensitive(msg, "chat"), "id");
            r->reply_to = number(msg, "message_id");
            snprintf(r->body, sizeof r->body,
                     "{\"chat_id\":%lld,\"text\":\"No open tasks right now.\","
                     "\"reply_parameters\":{\"message_id\":%lld}}",
                     (long long)r->chat, (long long)r->reply_to);
        }
        cJSON_Delete(env);
        if (draining) {
            if (empty) {
                draining = 0;
                polls = 0;
                cpu0 = cpu_seconds();
                fprintf(stderr, "ready\n");
            }
            continue;
        }
        if (n == 0)
            continue;
        /* durable before confirmed: the next getUpdates' offset forgets them */
        if (durable) {
            ledger_commit(&lg, rows, n, offset);
            commits++;
        }
        for (size_t i = 0; i < n; i++)
            post(sender, &sent, rows[i].body);
        got += (long)n;
    }
    double cpu = cpu_seconds() - cpu0;
    printf("{\"bench\":\"steady_floor\",\"updates\":%ld,\"cpu_us_per_update\":%.1f,"
           "\"updates_per_commit\":%.2f,\"requests_per_update\":%.2f,\"sqlite\":\"%s\",\"curl\":\"%s\"}\n",
           got, cpu * 1e6 / (double)got, commits ? (double)got / (double)commits : 0.0, (double)(polls + got) / (double)got,
           sqlite3_libversion(), curl_version_info(CURLVERSION_NOW)->version);
    sqlite3_finalize(lg.begin), sqlite3_finalize(lg.commit), sqlite3_finalize(lg.cursor);
    sqlite3_finalize(lg.stage), sqlite3_finalize(lg.mark);
    sqlite3_close(db);
    curl_easy_cleanup(poller), curl_easy_cleanup(sender);
    curl_slist_free_all(headers);
    free(rows), free(answer.p), free(sent.p);
    return 0;
}
