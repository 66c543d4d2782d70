/*
 * A small string-keyed map for what the engine looks up per event (chat ->
 * community, community settings, members and their names).  An entry holds
 * a number, two optional texts and a time.  The owner keeps it in step with
 * the database: write-through where the row is written, and everything
 * dropped when a transaction or savepoint rolls back (engine.c), so a cache
 * is never ahead of what is durable.  At max entries it starts over.
 */
#ifndef KB_CORE_CACHE_H
#define KB_CORE_CACHE_H

#include <stddef.h>
#include <stdint.h>

struct cache_entry {
    struct cache_entry *next;
    const char *key;
    const char *text, *text2;     /* NULL when not given */
    int64_t num, at;              /* a blob's entry: num is minus its size */
};

struct store;

struct cache {
    struct cache_entry **buckets;
    size_t n_buckets, n, max;
    struct store *st;             /* told of every lookup (store_note_read) */
    const char *table;            /* the table the entries mirror */
};

void cache_init(struct cache *c, size_t max);
/* Entries mirror rows of table: a lookup counts as a read of it for the
   store (an answer computed from the cache is kept only while the table
   is unchanged, engine_next_due). */
void cache_mirrors(struct cache *c, struct store *st, const char *table);
const struct cache_entry *cache_get(const struct cache *c, const char *key);
/* Insert or replace. */
void cache_put(struct cache *c, const char *key, int64_t num, const char *text, const char *text2,
               int64_t at);
/* Insert or replace an entry whose text is n bytes of blob (a struct the
   owner copies in and out with memcpy; not a string).  A put of texts (or
   a blob) of the sizes already held overwrites the entry in place. */
void cache_put_blob(struct cache *c, const char *key, const void *blob, size_t n);
void cache_drop(struct cache *c, const char *key);
void cache_clear(struct cache *c);
void cache_free(struct cache *c);

#endif
