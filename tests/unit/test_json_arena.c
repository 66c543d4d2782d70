/* json_arena: trees parsed from the reused block read like plain cJSON
   trees, a tree bigger than the block still parses whole, and other trees
   (built, printed or parsed while an arena tree is live) stay plain ones
   that cJSON's own free takes. */
#include "../test.h"

#include "../../adapters/json_arena.h"

#include <stdio.h>
#include <stdlib.h>

static const char *text_at(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

TEST(a_tree_reads_like_a_plain_one_and_the_block_is_reused)
{
    const char *json = "{\"update_id\":7,\"message\":{\"text\":\"\\u7b7e\\u5230\",\"chat\":{\"id\":-100}}}";
    cJSON *first = NULL;
    for (int round = 0; round < 3; round++) {
        cJSON *t = json_arena_parse(json, strlen(json));
        CHECK(t != NULL);
        if (!first)
            first = t;
        CHECK(t == first); /* the same place: the block was reset, not grown */
        CHECK_INT((long)cJSON_GetObjectItemCaseSensitive(t, "update_id")->valuedouble, 7);
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(t, "message");
        CHECK_STR(text_at(msg, "text"), "签到");
        CHECK_INT((long)cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(msg, "chat"), "id")->valuedouble,
                  -100);
        json_arena_release(t);
    }
    CHECK_INT((long)json_arena_capacity(), 16 * 1024);
}

/* ["item0","item1",...]: n strings, a node and a string each */
static char *list_of(size_t n)
{
    size_t cap = n * 16 + 16, len = 0;
    char *json = malloc(cap);
    json[len++] = '[';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(json + len, cap - len, "%s\"item%zu\"", i ? "," : "", i);
    snprintf(json + len, cap - len, "]");
    return json;
}

static void parse_whole(const char *json, size_t n)
{
    cJSON *t = json_arena_parse(json, strlen(json));
    CHECK(t != NULL);
    CHECK_INT(cJSON_GetArraySize(t), (long)n);
    char last[32];
    snprintf(last, sizeof last, "item%zu", n - 1);
    CHECK_STR(cJSON_GetArrayItem(t, (int)n - 1)->valuestring, last);
    json_arena_release(t);
}

TEST(a_tree_bigger_than_the_block_parses_whole_and_the_block_grows_to_it)
{
    size_t n = 3000; /* well past 16 KB of nodes */
    char *json = list_of(n);
    for (int round = 0; round < 2; round++) {
        parse_whole(json, n);
        CHECK(json_arena_capacity() > 16 * 1024);
    }
    free(json);
}

/* Past the largest block kept, a tree spills each time and all of it is
   freed at its release (LeakSanitizer checks the freeing in make test). */
TEST(a_tree_past_the_largest_block_spills_each_time)
{
    size_t n = 20000; /* ~1.6 MB of nodes */
    char *json = list_of(n);
    for (int round = 0; round < 3; round++) {
        parse_whole(json, n);
        CHECK(json_arena_capacity() <= 256 * 1024);
    }
    free(json);
}

TEST(bad_json_gives_null_and_leaves_the_arena_usable)
{
    const char *bad[] = {"{\"a\":", "[1,2", "{\"a\":\"\\ud800\"", "nul", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        json_arena_release(json_arena_parse(bad[i], strlen(bad[i])));
    cJSON *t = json_arena_parse("{\"ok\":true}", 11);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "ok")));
    json_arena_release(t);
}

TEST(other_trees_stay_plain_while_an_arena_tree_is_live)
{
    cJSON *live = json_arena_parse("{\"a\":[1,2,3]}", 13);
    CHECK(live != NULL);
    /* a second parse gets a plain tree: releasing it deletes it */
    cJSON *second = json_arena_parse("{\"b\":\"x\"}", 9);
    CHECK_STR(text_at(second, "b"), "x");
    /* built and printed trees use cJSON's own malloc and free */
    cJSON *built = cJSON_CreateObject();
    cJSON_AddStringToObject(built, "c", "y");
    char *printed = cJSON_PrintUnformatted(live);
    CHECK_STR(printed, "{\"a\":[1,2,3]}");
    cJSON_free(printed);
    json_arena_release(second);
    json_arena_release(live);
    /* the block is free again: the next tree overwrites it, not `built` */
    char *over = list_of(100); /* ~10 KB of nodes from the block's start */
    cJSON *next = json_arena_parse(over, strlen(over));
    free(over);
    CHECK_INT(cJSON_GetArraySize(next), 100);
    CHECK_STR(text_at(built, "c"), "y");
    json_arena_release(next);
    cJSON_Delete(built);
    json_arena_release(NULL);
}

TEST_MAIN(T(a_tree_reads_like_a_plain_one_and_the_block_is_reused),
          T(a_tree_bigger_than_the_block_parses_whole_and_the_block_grows_to_it),
          T(a_tree_past_the_largest_block_spills_each_time),
          T(bad_json_gives_null_and_leaves_the_arena_usable),
          T(other_trees_stay_plain_while_an_arena_tree_is_live))
