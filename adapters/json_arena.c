/* The reused block behind json_arena_parse; see json_arena.h. */
#include "json_arena.h"

#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define FIRST_BLOCK (16 * 1024)
#define LARGEST_BLOCK (256 * 1024) /* kept for good; a bigger tree spills each time */
#define ALIGN 16

/* The block, and what a tree too big for it took beside it: freed at the
   release, and the block made big enough for that tree next time. */
static struct {
    unsigned char *block;
    size_t cap, used;
    void **spill;
    size_t n_spill, cap_spill, spilled_bytes;
    const cJSON *live; /* the tree in the block, if one is */
} arena;

static void *arena_alloc(size_t n)
{
    size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (need >= n && need <= arena.cap - arena.used) {
        void *p = arena.block + arena.used;
        arena.used += need;
        UNPOISON(p, n);
        return p;
    }
    if (arena.n_spill == arena.cap_spill) {
        size_t cap = arena.cap_spill ? arena.cap_spill * 2 : 16;
        void **grown = realloc(arena.spill, cap * sizeof *grown);
        if (!grown)
            return NULL; /* cJSON reports a failed parse */
        arena.spill = grown, arena.cap_spill = cap;
    }
    void *p = malloc(n);
    if (p) {
        arena.spill[arena.n_spill++] = p;
        arena.spilled_bytes += need;
    }
    return p;
}

/* cJSON frees only on a failed parse; everything goes at the reset */
static void arena_keep(void *p)
{
    (void)p;
}

static void arena_reset(void)
{
    for (size_t i = 0; i < arena.n_spill; i++)
        free(arena.spill[i]);
    size_t want = arena.used + arena.spilled_bytes;
    arena.n_spill = 0;
    arena.spilled_bytes = 0;
    arena.used = 0;
    arena.live = NULL;
    if (!arena.block || (want > arena.cap && want <= LARGEST_BLOCK)) {
        free(arena.block);
        arena.cap = want > FIRST_BLOCK ? want : FIRST_BLOCK;
        arena.block = malloc(arena.cap);
        if (!arena.block)
            arena.cap = 0; /* every node spills: slower, still right */
    }
    POISON(arena.block, arena.cap);
}

cJSON *json_arena_parse(const char *json, size_t len)
{
    if (arena.live)
        return cJSON_ParseWithLength(json, len);
    if (!arena.block)
        arena_reset(); /* the first block */
    cJSON_Hooks hooks = {arena_alloc, arena_keep};
    cJSON_InitHooks(&hooks);
    cJSON *tree = cJSON_ParseWithLength(json, len);
    cJSON_InitHooks(NULL); /* every other tree is a plain one */
    if (tree)
        arena.live = tree;
    else
        arena_reset();
    return tree;
}

void json_arena_release(cJSON *tree)
{
    if (!tree)
        return;
    if (tree == arena.live)
        arena_reset();
    else
        cJSON_Delete(tree);
}

size_t json_arena_capacity(void)
{
    return arena.cap;
}
