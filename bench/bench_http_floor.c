/*
 * The floor under the bot's CPU per reply: the least a libcurl client can
 * spend on one sendMessage to the fake Bot API over 127.0.0.1 — one easy
 * handle reused, one keep-alive connection, a prebuilt body, the answer
 * thrown away.  Whatever the bot adds to a reply comes on top of this.
 *
 *   bench_http_floor BASE_URL [requests]     (bench/bench_e2e.sh runs it)
 *
 * Prints ONE line of JSON: CPU µs per request, user and system apart.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p, (void)ud;
    return size * n;
}

static double seconds(struct timeval t)
{
    return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_http_floor BASE_URL [requests]\n");
        return 2;
    }
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 20000;
    if (n < 1)
        n = 1;
    char url[512];
    snprintf(url, sizeof url, "%s/bot1:bench/sendMessage", argv[1]);
    CURL *c = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:");
    if (!c || !headers)
        return 1;
    char body[256];
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    for (long i = 0; i < n; i++) {
        snprintf(body, sizeof body,
                 "{\"chat_id\":%ld,\"text\":\"Checked in: day 1 of your streak, +10 points.\","
                 "\"reply_parameters\":{\"message_id\":%ld}}",
                 -1001000 - i % 100, i + 1);
        CURLcode rc = curl_easy_perform(c);
        if (rc != CURLE_OK) {
            fprintf(stderr, "bench_http_floor: %s\n", curl_easy_strerror(rc));
            return 1;
        }
    }
    getrusage(RUSAGE_SELF, &r1);
    double user = seconds(r1.ru_utime) - seconds(r0.ru_utime), sys = seconds(r1.ru_stime) - seconds(r0.ru_stime);
    printf("{\"bench\":\"http_floor\",\"requests\":%ld,\"cpu_us_per_request\":%.1f,\"user_us\":%.1f,"
           "\"sys_us\":%.1f,\"curl\":\"%s\"}\n",
           n, (user + sys) * 1e6 / (double)n, user * 1e6 / (double)n, sys * 1e6 / (double)n,
           curl_version_info(CURLVERSION_NOW)->version);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    return 0;
}
