/* The lookup cache: replace in place when the texts keep their sizes,
   blobs beside texts, drop, bounded size. */
#include "../test.h"

#include <string.h>

#include "../../core/cache.h"

TEST(put_replaces_and_keeps_texts_apart)
{
    struct cache c;
    cache_init(&c, 100);
    cache_put(&c, "k", 1, "alice", "al", 10);
    const struct cache_entry *e = cache_get(&c, "k");
    CHECK(e != NULL);
    CHECK_STR(cache_text(e), "alice");
    cache_put(&c, "k", 2, "alina", "ab", 20); /* same sizes: in place */
    CHECK(cache_get(&c, "k") == e);
    CHECK_STR(cache_text(e), "alina");
    CHECK_STR(cache_text2(e), "ab");
    CHECK_INT(e->num, 2);
    CHECK_INT(e->at, 20);
    cache_put(&c, "k", 3, "Alexandra", NULL, 30); /* other sizes: a new entry */
    e = cache_get(&c, "k");
    CHECK_STR(cache_text(e), "Alexandra");
    CHECK(cache_text2(e) == NULL);
    CHECK_INT((int64_t)c.n, 1);
    cache_drop(&c, "k");
    CHECK(cache_get(&c, "k") == NULL);
    cache_free(&c);
}

TEST(blobs_are_copied_whole_and_never_read_as_text)
{
    struct cache c;
    cache_init(&c, 100);
    int64_t v[3] = {7, 0, -1}, out[3];
    cache_put_blob(&c, "b", v, sizeof v);
    memcpy(out, cache_text(cache_get(&c, "b")), sizeof out);
    CHECK_INT(out[0], 7);
    CHECK_INT(out[2], -1);
    v[0] = 8;
    cache_put_blob(&c, "b", v, sizeof v);
    memcpy(out, cache_text(cache_get(&c, "b")), sizeof out);
    CHECK_INT(out[0], 8);
    cache_put(&c, "b", 1, "x", NULL, 0); /* a text replaces the blob */
    CHECK_STR(cache_text(cache_get(&c, "b")), "x");
    CHECK_INT((int64_t)c.n, 1);
    cache_free(&c);
}

TEST(at_its_bound_it_starts_over)
{
    struct cache c;
    cache_init(&c, 3);
    char key[16];
    for (int i = 0; i < 4; i++) {
        snprintf(key, sizeof key, "%d", i);
        cache_put(&c, key, i, NULL, NULL, 0);
    }
    CHECK_INT((int64_t)c.n, 1);
    CHECK(cache_get(&c, "3") != NULL);
    CHECK(cache_get(&c, "0") == NULL);
    cache_free(&c);
}

TEST_MAIN(T(put_replaces_and_keeps_texts_apart), T(blobs_are_copied_whole_and_never_read_as_text),
          T(at_its_bound_it_starts_over))
