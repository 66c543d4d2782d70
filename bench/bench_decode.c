/*
 * CPU per update decoded by the Telegram adapter: a getUpdates item (a
 * group /checkin with its entity, as the fake Bot API makes them) parsed
 * and decoded into an event, with the tree from cJSON's own malloc and
 * from the reused block of adapters/json_arena.c, interleaved rounds.
 *
 *   bench_decode [updates]     (default 1,000,000)
 * Prints ONE line of JSON: µs per update each way (the best of 5 rounds).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../adapters/json_arena.h"
#include "../adapters/telegram_json.h"

static const char UPDATE[] =
    "{\"update_id\":120345,\"message\":{\"message_id\":98765,\"date\":1795391940,"
    "\"chat\":{\"id\":-1001000042,\"type\":\"supergroup\",\"title\":\"KOC 42\"},"
    "\"from\":{\"id\":5012345,\"is_bot\":false,\"first_name\":\"member12345\","
    "\"username\":\"user12345\",\"language_code\":\"en\"},\"text\":\"/checkin\","
    "\"entities\":[{\"offset\":0,\"length\":8,\"type\":\"bot_command\"}]}}";

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* µs per update over n; arena chooses the tree's allocator */
static double round_of(long n, int arena)
{
    size_t len = sizeof UPDATE - 1;
    double t0 = cpu_now();
    for (long i = 0; i < n; i++) {
        struct tg_update u;
        cJSON *tree = arena ? json_arena_parse(UPDATE, len) : cJSON_ParseWithLength(UPDATE, len);
        if (!tree || tg_decode_update(tree, "kocbot", 1795391940, &u) != 0) {
            fprintf(stderr, "bench_decode: the update did not decode\n");
            exit(1);
        }
        if (arena)
            json_arena_release(tree);
        else
            cJSON_Delete(tree);
        tg_update_clear(&u);
    }
    return (cpu_now() - t0) * 1e6 / (double)n;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
    if (n < 1)
        n = 1;
    double best_plain = 1e9, best_arena = 1e9;
    for (int r = 0; r < 5; r++) {
        double p = round_of(n / 5 + 1, 0), a = round_of(n / 5 + 1, 1);
        best_plain = p < best_plain ? p : best_plain;
        best_arena = a < best_arena ? a : best_arena;
    }
    printf("{\"bench\":\"decode\",\"updates\":%ld,\"plain_us_per_update\":%.3f,\"arena_us_per_update\":%.3f}\n", n,
           best_plain, best_arena);
    return 0;
}
