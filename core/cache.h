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

/* One allocation: this header, then the key and the texts (or the blob),
   each NUL-ended; offsets instead of pointers keep the header at 32 bytes
   (a member costs entries in two caches, tens of thousands of them). */
struct cache_entry {
    struct cache_entry *next;
    int64_t num, at;              /* a blob's entry: num is minus its size */
    uint32_t text_at, text2_at;   /* where each text starts in data; 0 when not given */
    char data[];                  /* the key first */
};

static inline const char *cache_key(const struct cache_entry *e)
{
    return e->data;
}
/* The first text (or the blob); NULL when not given. */
static inline const char *cache_text(const struct cache_entry *e)
{
    return e->text_at ? e->data + e->text_at : NULL;
}
static inline const char *cache_text2(const struct cache_entry *e)
{
    return e->text2_at ? e->data + e->text2_at : NULL;
}

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
