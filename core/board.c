/* Leaderboards in memory; see board.h. */
#include "board.h"

#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "util.h"

#define BLOCK_MAX 512          /* entries per block: a move shifts at most this many */
#define BUCKETS 256
#define ENTRIES_MAX 4000000    /* every board together (~64 MB): past it, start over */

struct block {
    struct top_row *rows;    /* best first */
    size_t n;
};

struct board {
    int64_t community_id, period;
    int span, metric;
    struct block *blocks;
    size_t n_blocks;
    struct board *next;
};

struct board_set {
    struct board *buckets[BUCKETS];
    size_t entries;
};

/* a goes before b: the higher value, then the lower member id */
static int before(const struct top_row *a, const struct top_row *b)
{
    return a->value > b->value || (a->value == b->value && a->member_id < b->member_id);
}

static size_t bucket_of(int64_t community_id, int span, int64_t period, int metric)
{
    uint64_t h = (uint64_t)community_id * 0x9E3779B97F4A7C15u ^ (uint64_t)period * 31u ^
                 (uint64_t)(span * 3 + metric);
    return (size_t)(h >> 32) % BUCKETS;
}

static void board_free(struct board *b)
{
    for (size_t i = 0; i < b->n_blocks; i++)
        free(b->blocks[i].rows);
    free(b->blocks);
    free(b);
}

void board_set_clear(struct board_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < BUCKETS; i++) {
        while (set->buckets[i]) {
            struct board *b = set->buckets[i];
            set->buckets[i] = b->next;
            board_free(b);
        }
    }
    set->entries = 0;
}

void board_set_free(struct board_set *set)
{
    board_set_clear(set);
    free(set);
}

/* Unlink and free the boards of a community (all of them, or just `only`). */
static void forget(struct board_set *set, int64_t community_id, const struct board *only)
{
    for (size_t i = 0; set && i < BUCKETS; i++)
        for (struct board **p = &set->buckets[i]; *p;) {
            struct board *b = *p;
            if (b->community_id != community_id || (only && b != only)) {
                p = &b->next;
                continue;
            }
            *p = b->next;
            for (size_t k = 0; k < b->n_blocks; k++)
                set->entries -= b->blocks[k].n;
            board_free(b);
        }
}

void board_forget_community(struct engine *e, int64_t community_id)
{
    forget(e->boards, community_id, NULL);
}

static struct board *find(struct board_set *set, int64_t community_id, int span, int64_t period, int metric)
{
    if (!set)
        return NULL;
    for (struct board *b = set->buckets[bucket_of(community_id, span, period, metric)]; b; b = b->next)
        if (b->community_id == community_id && b->period == period && b->span == span && b->metric == metric)
            return b;
    return NULL;
}

/* The block an entry belongs in: the first whose last row is not before it. */
static size_t block_for(const struct board *b, const struct top_row *r)
{
    for (size_t i = 0; i < b->n_blocks; i++)
        if (!before(&b->blocks[i].rows[b->blocks[i].n - 1], r))
            return i;
    return b->n_blocks ? b->n_blocks - 1 : 0;
}

/* Where r is (or would go) in a block: the first row not before it. */
static size_t slot_in(const struct block *k, const struct top_row *r)
{
    size_t lo = 0, hi = k->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (before(&k->rows[mid], r))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void insert_row(struct board *b, struct top_row r)
{
    if (b->n_blocks == 0) { /* the first row: no block to search (none is ever empty) */
        b->blocks = xrealloc(b->blocks, sizeof *b->blocks);
        b->blocks[0] = (struct block){xmalloc(BLOCK_MAX * sizeof *b->blocks[0].rows), 1};
        b->blocks[0].rows[0] = r;
        b->n_blocks = 1;
        return;
    }
    size_t i = block_for(b, &r);
    struct block *k = &b->blocks[i];
    if (k->n == BLOCK_MAX) { /* split in two halves */
        b->blocks = xrealloc(b->blocks, (b->n_blocks + 1) * sizeof *b->blocks);
        memmove(b->blocks + i + 2, b->blocks + i + 1, (b->n_blocks - i - 1) * sizeof *b->blocks);
        b->n_blocks++;
        k = &b->blocks[i];
        struct block *right = &b->blocks[i + 1];
        right->rows = xmalloc(BLOCK_MAX * sizeof *right->rows);
        right->n = k->n / 2;
        memcpy(right->rows, k->rows + (k->n - right->n), right->n * sizeof *right->rows);
        k->n -= right->n;
        if (!before(&r, &right->rows[0]))
            k = right;
    }
    size_t at = slot_in(k, &r);
    memmove(k->rows + at + 1, k->rows + at, (k->n - at) * sizeof *k->rows);
    k->rows[at] = r;
    k->n++;
}

static int remove_row(struct board *b, struct top_row r)
{
    if (b->n_blocks == 0)
        return 0;
    size_t i = block_for(b, &r);
    struct block *k = &b->blocks[i];
    size_t at = slot_in(k, &r);
    if (at == k->n || k->rows[at].member_id != r.member_id || k->rows[at].value != r.value)
        return 0;
    memmove(k->rows + at, k->rows + at + 1, (k->n - at - 1) * sizeof *k->rows);
    if (--k->n == 0) {
        free(k->rows);
        memmove(b->blocks + i, b->blocks + i + 1, (b->n_blocks - i - 1) * sizeof *b->blocks);
        b->n_blocks--;
    }
    return 1;
}

static int by_rank(const void *x, const void *y)
{
    const struct top_row *a = x, *b = y;
    return before(a, b) ? -1 : before(b, a) ? 1 : 0;
}

static const char *const load_sql[3] = {
    "SELECT member_id, points FROM period_tallies WHERE community_id = ? AND span = ? AND period = ?"
    " AND points > 0",
    "SELECT member_id, checkins FROM period_tallies WHERE community_id = ? AND span = ? AND period = ?"
    " AND checkins > 0",
    "SELECT member_id, tasks FROM period_tallies WHERE community_id = ? AND span = ? AND period = ?"
    " AND tasks > 0",
};

/* Read a board from the tallies (the open transaction's rows included). */
static int load(struct engine *e, int64_t community_id, int span, int64_t period, int metric,
                struct board **out)
{
    sqlite3_stmt *s = store_query(e->st, load_sql[metric], VALS(SI(community_id), SI(span), SI(period)));
    if (!s)
        return store_failure(e->st);
    struct top_row *rows = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = store_step(e->st, s)) == 1) {
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            rows = xrealloc(rows, cap * sizeof *rows);
        }
        rows[n++] = (struct top_row){store_int(s, 0), store_int(s, 1)};
    }
    store_done(s);
    if (rc < 0) {
        free(rows);
        return rc;
    }
    if (n > 1)
        qsort(rows, n, sizeof *rows, by_rank);
    if (!e->boards)
        e->boards = xcalloc(1, sizeof *e->boards);
    if (e->boards->entries + n > ENTRIES_MAX)
        board_set_clear(e->boards);
    struct board *b = xcalloc(1, sizeof *b);
    *b = (struct board){.community_id = community_id, .period = period, .span = span, .metric = metric};
    /* blocks three quarters full: room for moves before the first split */
    size_t per = BLOCK_MAX * 3 / 4;
    b->n_blocks = (n + per - 1) / per;
    b->blocks = b->n_blocks ? xcalloc(b->n_blocks, sizeof *b->blocks) : NULL;
    for (size_t i = 0; i < b->n_blocks; i++) {
        struct block *k = &b->blocks[i];
        k->n = n - i * per < per ? n - i * per : per;
        k->rows = xmalloc(BLOCK_MAX * sizeof *k->rows);
        memcpy(k->rows, rows + i * per, k->n * sizeof *rows);
    }
    free(rows);
    size_t h = bucket_of(community_id, span, period, metric);
    b->next = e->boards->buckets[h];
    e->boards->buckets[h] = b;
    e->boards->entries += n;
    *out = b;
    return KB_OK;
}

int board_read(struct engine *e, int64_t community_id, enum top_span span, int64_t period,
               enum top_metric metric, struct top_row *rows, size_t cap, size_t *n,
               int64_t value, int64_t *ahead)
{
    *n = 0;
    *ahead = 0;
    struct board *b = find(e->boards, community_id, (int)span, period, (int)metric);
    if (!b) {
        int rc = load(e, community_id, (int)span, period, (int)metric, &b);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < b->n_blocks && *n < cap; i++)
        for (size_t j = 0; j < b->blocks[i].n && *n < cap; j++)
            rows[(*n)++] = b->blocks[i].rows[j];
    /* strictly ahead: the rows with a higher value (no member id is before INT64_MIN) */
    struct top_row edge = {.member_id = INT64_MIN, .value = value};
    for (size_t i = 0; i < b->n_blocks; i++) {
        const struct block *k = &b->blocks[i];
        if (k->rows[k->n - 1].value > value) {
            *ahead += (int64_t)k->n;
            continue;
        }
        *ahead += (int64_t)slot_in(k, &edge);
        break;
    }
    return KB_OK;
}

int board_kept(struct engine *e, int64_t community_id, enum top_span span, int64_t period,
               enum top_metric metric)
{
    return find(e->boards, community_id, (int)span, period, (int)metric) != NULL;
}

void board_move(struct engine *e, int64_t community_id, enum top_span span, int64_t period,
                enum top_metric metric, int64_t member_id, int64_t old_value, int64_t new_value)
{
    if (old_value == new_value)
        return;
    struct board *b = find(e->boards, community_id, (int)span, period, (int)metric);
    if (!b)
        return;
    if (old_value > 0) {
        if (!remove_row(b, (struct top_row){member_id, old_value})) {
            forget(e->boards, community_id, b); /* not as the tallies say: read it again when asked */
            return;
        }
        e->boards->entries--;
    }
    if (new_value > 0) {
        insert_row(b, (struct top_row){member_id, new_value});
        e->boards->entries++;
    }
}
