/* SQLite store; see store.h. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event.h"
#include "util.h"
#include "wal_buffer.h"

#define STMT_SLOTS 512

struct stmt_slot {
    const char *sql;     /* the literal's address is the key */
    sqlite3_stmt *stmt;
    struct store_tables reads, writes; /* what SQLite's authorizer saw at prepare */
};

struct store {
    sqlite3 *db;
    int last_rc;
    char err[512];
    struct stmt_slot slots[STMT_SLOTS];
    const char *table_names[STORE_TABLE_BITS]; /* bit -> table, in the order met */
    size_t n_tables;
    struct stmt_slot *preparing;       /* the authorizer's statement */
    struct store_tables tx_written;    /* by the open transaction */
    uint64_t commits;                  /* commits that wrote a table, counted */
    uint64_t written_at[STORE_TABLE_BITS]; /* per table: the count at its last write */
    struct store_tables *capture;      /* the memo being computed (store_memo_begin) */
};

static int fail(struct store *st, int rc, const char *what)
{
    st->last_rc = rc;
    snprintf(st->err, sizeof st->err, "%s: %s", what, st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
    return store_failure(st);
}

int store_failure(const struct store *st)
{
    int primary = st->last_rc & 0xff;
    if (primary == SQLITE_FULL || primary == SQLITE_READONLY || primary == SQLITE_IOERR ||
        primary == SQLITE_CANTOPEN)
        return KB_EFULL;
    return KB_ESTORE;
}

const char *store_errmsg(const struct store *st)
{
    return st->err;
}

sqlite3 *store_db(struct store *st)
{
    return st->db;
}

static int exec_plain(struct store *st, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        st->last_rc = rc;
        snprintf(st->err, sizeof st->err, "%s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return store_failure(st);
    }
    return KB_OK;
}

static int migrate(struct store *st)
{
    int64_t version = 0;
    int rc = store_i64(st, &version, "PRAGMA user_version", NOVALS);
    if (rc)
        return rc;
    if (version > (int64_t)store_n_migrations) {
        snprintf(st->err, sizeof st->err,
                 "database schema version %lld is newer than this kocbot (%zu)",
                 (long long)version, store_n_migrations);
        return KB_ESTORE;
    }
    for (size_t v = (size_t)version; v < store_n_migrations; v++) {
        rc = store_begin(st);
        if (rc)
            return rc;
        rc = exec_plain(st, store_migrations[v]);
        if (!rc) {
            char pragma[64];
            snprintf(pragma, sizeof pragma, "PRAGMA user_version = %zu", v + 1);
            rc = exec_plain(st, pragma);
        }
        if (rc) {
            char detail[512];
            snprintf(detail, sizeof detail, "migration %zu: %.450s", v + 1, st->err);
            store_rollback(st);
            memcpy(st->err, detail, sizeof st->err);
            return rc;
        }
        rc = store_commit(st);
        if (rc)
            return rc;
    }
    return KB_OK;
}

/* Member names, ids and cash owed are nobody else's business: the database
   is created 0600 before SQLite opens it (its -wal and -shm take the
   database's mode), and files an older version left readable are narrowed. */
static int make_private(const char *path, char *err, size_t errcap)
{
    if (!strcmp(path, ":memory:") || !strncmp(path, "file:", 5) || !*path)
        return KB_OK;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || fchmod(fd, 0600) != 0) {
        snprintf(err, errcap, "cannot open database %s as a private file (mode 0600): %s", path,
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        return KB_ESTORE;
    }
    close(fd);
    static const char *const sidecars[] = {"-wal", "-shm"};
    for (size_t i = 0; i < 2; i++) {
        char side[4096];
        if (snprintf(side, sizeof side, "%s%s", path, sidecars[i]) < (int)sizeof side)
            chmod(side, 0600); /* absent is fine: SQLite creates it 0600 */
    }
    return KB_OK;
}

int store_migrate_module(struct store *st, const char *module, const char *const *migrations,
                         size_t n)
{
    int rc = exec_plain(st, "CREATE TABLE IF NOT EXISTS schema_versions ("
                            " module TEXT PRIMARY KEY, version INTEGER NOT NULL) STRICT, WITHOUT ROWID");
    int64_t version = 0;
    if (!rc) {
        rc = store_i64(st, &version, "SELECT version FROM schema_versions WHERE module = ?",
                       VALS(ST(module)));
        if (rc == KB_ENOTFOUND)
            rc = KB_OK, version = 0;
    }
    if (!rc && version > (int64_t)n) {
        snprintf(st->err, sizeof st->err, "module %s: schema version %lld is newer than this kocbot (%zu)",
                 module, (long long)version, n);
        return KB_ESTORE;
    }
    for (size_t v = (size_t)version; !rc && v < n; v++) {
        rc = store_begin(st);
        if (rc)
            return rc;
        rc = exec_plain(st, migrations[v]);
        if (!rc)
            rc = store_exec(st, "INSERT INTO schema_versions(module, version) VALUES (?, ?)"
                                " ON CONFLICT(module) DO UPDATE SET version = excluded.version",
                            VALS(ST(module), SI((int64_t)v + 1)));
        if (rc) {
            char detail[512];
            snprintf(detail, sizeof detail, "module %s migration %zu: %.400s", module, v + 1, st->err);
            store_rollback(st);
            memcpy(st->err, detail, sizeof st->err);
            return rc;
        }
        rc = store_commit(st);
    }
    return rc;
}

int store_open(const char *path, struct store **out, char *err, size_t errcap)
{
    if (make_private(path, err, errcap))
        return KB_ESTORE;
    struct store *st = xcalloc(1, sizeof *st);
    /* One thread (the loop's) uses a connection: no mutex per call, and no
       global count of SQLite's allocations under a lock (only possible
       before SQLite initialises; later it stays as it is) */
    static int configured;
    if (!configured) {
        configured = 1;
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    }
    int rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             wal_buffer_vfs());
    if (rc != SQLITE_OK) {
        snprintf(err, errcap, "cannot open database %s: %s", path,
                 st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
        store_close(st);
        return KB_ESTORE;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, 5000);
    /* WAL + FULL: a commit that returned is on disk even after power loss,
       and Telegram forgets an update once we confirm it. */
    /* A 4.5 MB page cache (~1,080 pages) holds the ~980 pages a batch of
       100 events dirties with room to spare (below that a batch spills
       pages to the WAL mid-transaction), and a checkpoint every 16384 WAL
       pages (64 MB, the file trimmed back to that) writes each hot page to
       the database once per checkpoint instead of once per 1000 pages:
       about 3x the batched throughput of SQLite's defaults.  8 MB read
       ~450 fewer clean pages per batch back from the OS (~1 us each) for
       3.7 MB more peak RSS (docs/PERFORMANCE.md). */
    rc = exec_plain(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA secure_delete=FAST; "
                        "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; "
                        "PRAGMA cache_size=-4608; PRAGMA wal_autocheckpoint=16384; "
                        "PRAGMA journal_size_limit=67108864;");
    if (!rc)
        rc = migrate(st);
    /* Test only (docs/RELIABILITY.md): cap the file at N pages so a test can
       fill the "disk" deterministically (SQLITE_FULL) without a tmpfs. */
    const char *max_pages = getenv("KOCBOT_TEST_MAX_PAGES");
    if (!rc && max_pages && *max_pages) {
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA max_page_count = %lld", strtoll(max_pages, NULL, 10));
        sqlite3_stmt *ps = NULL; /* the pragma answers a row: step it once */
        if (sqlite3_prepare_v2(st->db, pragma, -1, &ps, NULL) == SQLITE_OK)
            sqlite3_step(ps);
        sqlite3_finalize(ps);
    }
    if (rc) {
        snprintf(err, errcap, "database %s: %s", path, st->err);
        store_close(st);
        return rc;
    }
    *out = st;
    return KB_OK;
}

void store_close(struct store *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < STMT_SLOTS; i++)
        sqlite3_finalize(st->slots[i].stmt);
    for (size_t i = 0; i < st->n_tables; i++)
        free((char *)st->table_names[i]);
    sqlite3_close(st->db);
    free(st);
}

/* The table's bit; tables past the last bit share it (an answer that read
   one of them is dropped when any of them is written: safe, only slower). */
static unsigned table_bit(struct store *st, const char *name)
{
    for (size_t i = 0; i < st->n_tables; i++)
        if (strcmp(st->table_names[i], name) == 0)
            return (unsigned)i;
    if (st->n_tables == STORE_TABLE_BITS)
        return STORE_TABLE_BITS - 1;
    st->table_names[st->n_tables] = xstrdup(name);
    return (unsigned)st->n_tables++;
}

static void tables_add(struct store_tables *t, unsigned bit)
{
    t->bits[bit / 64] |= (uint64_t)1 << (bit % 64);
}

static void tables_join(struct store_tables *into, const struct store_tables *t)
{
    for (size_t i = 0; i < sizeof t->bits / sizeof t->bits[0]; i++)
        into->bits[i] |= t->bits[i];
}

int store_tables_meet(const struct store_tables *a, const struct store_tables *b)
{
    for (size_t i = 0; i < sizeof a->bits / sizeof a->bits[0]; i++)
        if (a->bits[i] & b->bits[i])
            return 1;
    return 0;
}

/* The open transaction's writes are durable: the tables it wrote change
   their count, which drops every memo read from them. */
static void tables_committed(struct store *st)
{
    int any = 0;
    for (size_t i = 0; i < sizeof st->tx_written.bits / sizeof st->tx_written.bits[0]; i++)
        any |= st->tx_written.bits[i] != 0;
    if (!any)
        return;
    st->commits++;
    for (unsigned bit = 0; bit < STORE_TABLE_BITS; bit++)
        if (st->tx_written.bits[bit / 64] >> (bit % 64) & 1)
            st->written_at[bit] = st->commits;
    st->tx_written = (struct store_tables){{0}};
}

/* Called by SQLite while a statement is prepared (trigger bodies included):
   note the tables it reads and writes.  Never refuses. */
static int note_tables(void *ud, int action, const char *a1, const char *a2, const char *db,
                       const char *inner)
{
    (void)a2, (void)db, (void)inner;
    struct store *st = ud;
    struct stmt_slot *slot = st->preparing;
    if (!slot || !a1)
        return SQLITE_OK;
    if (action == SQLITE_READ)
        tables_add(&slot->reads, table_bit(st, a1));
    else if (action == SQLITE_INSERT || action == SQLITE_UPDATE || action == SQLITE_DELETE)
        tables_add(&slot->writes, table_bit(st, a1));
    return SQLITE_OK;
}

/* A statement is about to run: what it reads goes to the memo being
   computed, what it writes to the transaction's set. */
static void note_use(struct store *st, const struct stmt_slot *slot)
{
    if (st->capture)
        tables_join(st->capture, &slot->reads);
    tables_join(&st->tx_written, &slot->writes);
    if (sqlite3_get_autocommit(st->db))
        tables_committed(st); /* a lone statement commits by itself */
}

void store_memo_begin(struct store *st, struct store_memo *m, struct store_tables **saved)
{
    m->reads = (struct store_tables){{0}};
    *saved = st->capture;
    st->capture = &m->reads;
}

void store_memo_end(struct store *st, struct store_memo *m, struct store_tables *saved)
{
    st->capture = saved;
    if (saved) /* an enclosing memo read these tables too */
        tables_join(saved, &m->reads);
    /* computed from this transaction's own writes: a rollback would leave it ahead */
    m->valid = !store_tables_meet(&m->reads, &st->tx_written);
    m->commits = st->commits;
}

int store_memo_valid(const struct store *st, const struct store_memo *m)
{
    if (!m->valid || store_tables_meet(&m->reads, &st->tx_written))
        return 0;
    if (st->commits == m->commits)
        return 1;
    for (unsigned bit = 0; bit < STORE_TABLE_BITS; bit++)
        if ((m->reads.bits[bit / 64] >> (bit % 64) & 1) && st->written_at[bit] > m->commits)
            return 0;
    return 1;
}

void store_note_read(struct store *st, const char *table)
{
    if (st->capture)
        tables_add(st->capture, table_bit(st, table));
}


static sqlite3_stmt *cached(struct store *st, const char *sql)
{
    size_t h = ((uintptr_t)sql >> 3) % STMT_SLOTS;
    for (size_t probe = 0; probe < STMT_SLOTS; probe++, h = (h + 1) % STMT_SLOTS) {
        struct stmt_slot *slot = &st->slots[h];
        if (slot->sql == sql) {
            note_use(st, slot);
            return slot->stmt;
        }
        if (!slot->sql) {
            sqlite3_stmt *s = NULL;
            *slot = (struct stmt_slot){0};
            st->preparing = slot;
            sqlite3_set_authorizer(st->db, note_tables, st);
            int rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
            sqlite3_set_authorizer(st->db, NULL, NULL);
            st->preparing = NULL;
            if (rc != SQLITE_OK) {
                *slot = (struct stmt_slot){0};
                fail(st, rc, "prepare");
                return NULL;
            }
            slot->sql = sql;
            slot->stmt = s;
            note_use(st, slot);
            return s;
        }
    }
    fail(st, SQLITE_NOMEM, "statement cache full");
    return NULL;
}

/* The cached statement, reset and bound.  Texts are copied (TRANSIENT)
   unless the caller runs the statement to completion before it returns
   (STATIC: no copy, no allocation per text). */
static sqlite3_stmt *bound(struct store *st, const char *sql, const struct sval *v, size_t n,
                           sqlite3_destructor_type texts)
{
    /* every call starts clean: an old failure's text must never be read as
       the reason of a later, unrelated one */
    st->err[0] = '\0';
    st->last_rc = SQLITE_OK;
    sqlite3_stmt *s = cached(st, sql);
    if (!s)
        return NULL;
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    for (size_t i = 0; i < n; i++) {
        int rc, idx = (int)i + 1;
        if (v[i].type == 'i')
            rc = sqlite3_bind_int64(s, idx, v[i].i);
        else if (v[i].type == 't' && v[i].s)
            rc = sqlite3_bind_text(s, idx, v[i].s, -1, texts);
        else
            rc = sqlite3_bind_null(s, idx);
        if (rc != SQLITE_OK) {
            fail(st, rc, "bind");
            return NULL;
        }
    }
    return s;
}

sqlite3_stmt *store_query(struct store *st, const char *sql, const struct sval *v, size_t n)
{
    return bound(st, sql, v, n, SQLITE_TRANSIENT); /* the caller steps it later */
}

int store_step(struct store *st, sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    fail(st, rc, "step");
    sqlite3_reset(s);
    return store_failure(st);
}

void store_done(sqlite3_stmt *s)
{
    if (s)
        sqlite3_reset(s);
}

const char *store_text(sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    return t ? (const char *)t : "";
}

int64_t store_int(sqlite3_stmt *s, int col)
{
    return sqlite3_column_int64(s, col);
}

int store_exec(struct store *st, const char *sql, const struct sval *v, size_t n)
{
    sqlite3_stmt *s = bound(st, sql, v, n, SQLITE_STATIC);
    if (!s)
        return store_failure(st);
    int rc;
    while ((rc = store_step(st, s)) == 1)
        ;
    store_done(s);
    return rc;
}

int store_i64(struct store *st, int64_t *out, const char *sql, const struct sval *v, size_t n)
{
    sqlite3_stmt *s = bound(st, sql, v, n, SQLITE_STATIC);
    if (!s)
        return store_failure(st);
    int rc = store_step(st, s);
    if (rc == 1 && sqlite3_column_type(s, 0) != SQLITE_NULL) {
        *out = sqlite3_column_int64(s, 0);
        rc = KB_OK;
    } else if (rc >= 0) {
        rc = KB_ENOTFOUND;
    }
    store_done(s);
    return rc;
}

int store_is_null(sqlite3_stmt *s, int col)
{
    return sqlite3_column_type(s, col) == SQLITE_NULL;
}

int store_columns(sqlite3_stmt *s)
{
    return sqlite3_column_count(s);
}

int64_t store_last_id(struct store *st)
{
    return sqlite3_last_insert_rowid(st->db);
}

int64_t store_changes(struct store *st)
{
    return sqlite3_changes64(st->db);
}

int store_begin(struct store *st)
{
    return store_exec(st, "BEGIN IMMEDIATE", NOVALS);
}

int store_commit(struct store *st)
{
    int rc = store_exec(st, "COMMIT", NOVALS);
    if (rc) {
        store_rollback(st);
        return rc;
    }
    tables_committed(st);
    return rc;
}

void store_rollback(struct store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    st->tx_written = (struct store_tables){{0}};
}

int store_savepoint(struct store *st)
{
    return store_exec(st, "SAVEPOINT ev", NOVALS);
}

int store_release(struct store *st)
{
    return store_exec(st, "RELEASE ev", NOVALS);
}

void store_rollback_savepoint(struct store *st)
{
    sqlite3_exec(st->db, "ROLLBACK TO ev; RELEASE ev", NULL, NULL, NULL);
}
