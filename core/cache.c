/* The lookup cache; see cache.h. */
#include "cache.h"

#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "util.h"

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

void cache_init(struct cache *c, size_t max)
{
    memset(c, 0, sizeof *c);
    c->max = max;
}

static struct cache_entry **slot_of(const struct cache *c, const char *key)
{
    struct cache_entry **p = &c->buckets[hash(key) & (c->n_buckets - 1)];
    while (*p && strcmp(cache_key(*p), key) != 0)
        p = &(*p)->next;
    return p;
}

void cache_mirrors(struct cache *c, struct store *st, const char *table)
{
    c->st = st;
    c->table = table;
}

const struct cache_entry *cache_get(const struct cache *c, const char *key)
{
    if (c->st)
        store_note_read(c->st, c->table);
    return c->n_buckets ? *slot_of(c, key) : NULL;
}

static void grow(struct cache *c)
{
    size_t n = c->n_buckets ? c->n_buckets * 2 : 256;
    struct cache_entry **b = xcalloc(n, sizeof *b);
    for (size_t i = 0; i < c->n_buckets; i++) {
        for (struct cache_entry *e = c->buckets[i], *next; e; e = next) {
            next = e->next;
            struct cache_entry **p = &b[hash(cache_key(e)) & (n - 1)];
            e->next = *p;
            *p = e;
        }
    }
    free(c->buckets);
    c->buckets = b;
    c->n_buckets = n;
}

static struct cache_entry *entry_new(struct cache *c, const char *key, size_t payload)
{
    cache_drop(c, key);
    if (c->n >= c->max)
        cache_clear(c); /* bounded memory: start over rather than track age */
    if (c->n >= c->n_buckets)
        grow(c);
    size_t lk = strlen(key) + 1;
    struct cache_entry *e = xmalloc(sizeof *e + lk + payload);
    memcpy(e->data, key, lk);
    e->text_at = e->text2_at = 0;
    e->num = e->at = 0;
    struct cache_entry **p = &c->buckets[hash(key) & (c->n_buckets - 1)];
    e->next = *p;
    *p = e;
    c->n++;
    return e;
}

/* The entry for key when its texts have these sizes: updated in place (no
   allocation; most puts refresh an entry with the same texts). */
static struct cache_entry *entry_same_size(struct cache *c, const char *key, size_t lt, size_t lt2)
{
    struct cache_entry *e = c->n_buckets ? *slot_of(c, key) : NULL;
    if (!e || e->num < 0 /* a blob */ || (e->text_at ? strlen(cache_text(e)) + 1 : 0) != lt ||
        (e->text2_at ? strlen(cache_text2(e)) + 1 : 0) != lt2)
        return NULL;
    return e;
}

void cache_put(struct cache *c, const char *key, int64_t num, const char *text, const char *text2,
               int64_t at)
{
    size_t lt = text ? strlen(text) + 1 : 0, lt2 = text2 ? strlen(text2) + 1 : 0;
    struct cache_entry *e = entry_same_size(c, key, lt, lt2);
    if (e) {
        if (text)
            memmove(e->data + e->text_at, text, lt);
        if (text2)
            memmove(e->data + e->text2_at, text2, lt2);
        e->num = num;
        e->at = at;
        return;
    }
    e = entry_new(c, key, lt + lt2);
    uint32_t lk = (uint32_t)strlen(key) + 1;
    if (text) {
        e->text_at = lk;
        memcpy(e->data + lk, text, lt);
    }
    if (text2) {
        e->text2_at = lk + (uint32_t)lt;
        memcpy(e->data + e->text2_at, text2, lt2);
    }
    e->num = num;
    e->at = at;
}

void cache_put_blob(struct cache *c, const char *key, const void *blob, size_t n)
{
    struct cache_entry *e = c->n_buckets ? *slot_of(c, key) : NULL;
    if (e && e->num == -(int64_t)n) { /* the same struct again: in place */
        memmove(e->data + e->text_at, blob, n);
        return;
    }
    e = entry_new(c, key, n);
    e->text_at = (uint32_t)strlen(key) + 1;
    memcpy(e->data + e->text_at, blob, n);
    e->num = -(int64_t)n; /* a blob's size, negative: no text to measure */
}

void cache_drop(struct cache *c, const char *key)
{
    if (!c->n_buckets)
        return;
    struct cache_entry **p = slot_of(c, key);
    if (!*p)
        return;
    struct cache_entry *e = *p;
    *p = e->next;
    free(e);
    c->n--;
}

void cache_clear(struct cache *c)
{
    for (size_t i = 0; i < c->n_buckets; i++) {
        for (struct cache_entry *e = c->buckets[i], *next; e; e = next) {
            next = e->next;
            free(e);
        }
        c->buckets[i] = NULL;
    }
    c->n = 0;
}

void cache_free(struct cache *c)
{
    cache_clear(c);
    free(c->buckets);
    c->buckets = NULL;
    c->n_buckets = 0;
}
