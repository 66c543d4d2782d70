/*
 * The SQLite store: opening with the durability settings, schema migrations
 * (PRAGMA user_version), a cache of prepared statements keyed by the SQL
 * literal's address, typed parameter binding and transactions.
 * Every statement is prepared once and bound with parameters; no SQL text is
 * ever built from input.  SQL texts must be string literals (or otherwise
 * live as long as the store): the statement cache is keyed by address.
 */
#ifndef KB_CORE_STORE_H
#define KB_CORE_STORE_H

#include <stddef.h>
#include <stdint.h>

/* SQLite's handles, opaque here: only store.c includes sqlite3.h */
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;

struct store;

/* A bound parameter: SI(int64), ST(text or NULL), SN (NULL). */
struct sval {
    char type;
    int64_t i;
    const char *s;
};
#define SI(v) ((struct sval){'i', (int64_t)(v), NULL})
#define ST(v) ((struct sval){'t', 0, (v)})
#define SN ((struct sval){'n', 0, NULL})
#define VALS(...) (const struct sval[]){__VA_ARGS__}, \
    (sizeof((const struct sval[]){__VA_ARGS__}) / sizeof(struct sval))
#define NOVALS NULL, 0

/* Open (creating if needed) and migrate.  err receives the reason. */
int store_open(const char *path, struct store **out, char *err, size_t errcap);
void store_close(struct store *st);
sqlite3 *store_db(struct store *st);
/* Detail of the failure of the last call ("" if it succeeded). */
const char *store_errmsg(const struct store *st);
/* KB_EFULL when the last failure was a full/read-only disk, else KB_ESTORE. */
int store_failure(const struct store *st);

/* Run sql to completion.  KB_OK or KB_ESTORE/KB_EFULL. */
int store_exec(struct store *st, const char *sql, const struct sval *v, size_t n);
/* First column of the first row as an integer; KB_ENOTFOUND when no row
   (or the value is NULL). */
int store_i64(struct store *st, int64_t *out, const char *sql, const struct sval *v, size_t n);
/* A cached, bound statement to step through; finish with store_done.
   NULL on failure (see store_errmsg). */
sqlite3_stmt *store_query(struct store *st, const char *sql, const struct sval *v, size_t n);
/* Step a store_query statement: 1 = row, 0 = done, < 0 = error. */
int store_step(struct store *st, sqlite3_stmt *s);
void store_done(sqlite3_stmt *s);
/* Column text, or "" for NULL. */
const char *store_text(sqlite3_stmt *s, int col);
int64_t store_int(sqlite3_stmt *s, int col);
/* 1 when the column is SQL NULL. */
int store_is_null(sqlite3_stmt *s, int col);
/* How many columns the statement's rows have. */
int store_columns(sqlite3_stmt *s);
/* The rowid of the last INSERT. */
int64_t store_last_id(struct store *st);
/* Rows changed by the last statement. */
int64_t store_changes(struct store *st);

int store_begin(struct store *st);      /* BEGIN IMMEDIATE */
int store_commit(struct store *st);
void store_rollback(struct store *st);
int store_savepoint(struct store *st);  /* SAVEPOINT ev */
int store_release(struct store *st);
void store_rollback_savepoint(struct store *st);

/* Memos: an answer computed from some tables, kept until a commit writes
   one of them.  SQLite's authorizer tells, when a statement is prepared,
   which tables it reads and writes (trigger bodies included). */
#define STORE_TABLE_BITS 128
struct store_tables {
    uint64_t bits[STORE_TABLE_BITS / 64];
};
struct store_memo {
    struct store_tables reads;
    uint64_t commits;             /* the store's count of writing commits when computed */
    int valid;
};
int store_tables_meet(const struct store_tables *a, const struct store_tables *b);
/* Compute a memo between these two: every statement run in between counts
   as read from (saved: the enclosing memo's, restored by end). */
void store_memo_begin(struct store *st, struct store_memo *m, struct store_tables **saved);
void store_memo_end(struct store *st, struct store_memo *m, struct store_tables *saved);
/* 1 while no table the memo read was written since (by a commit, or by the
   open transaction: its writes may still roll back). */
int store_memo_valid(const struct store *st, const struct store_memo *m);
/* A read of table that did not go through SQL (a cache standing for it). */
void store_note_read(struct store *st, const char *table);

/* Bring one feature module's own tables to its latest version: migrations
   (oldest first, never edited once released) above the version recorded
   for module in schema_versions run each in its own transaction. */
int store_migrate_module(struct store *st, const char *module, const char *const *migrations,
                         size_t n);

/* The core schema, oldest first; migrations.c. */
extern const char *const store_migrations[];
extern const size_t store_n_migrations;

#endif
