/*
 * CPU per Bot API request on the bot's side: what the Telegram adapter and
 * bot/http.c spend on one sendMessage (body encoded, POSTed over the curl
 * multi, answer classified), against the fake Bot API running on its own
 * thread and loop, so the calling thread's CPU time is the client's alone
 * (loopback TCP work lands partly on the sender's thread either way).
 *
 *   bench_http [requests [in_flight]]   (default 20,000 requests, 16 at once)
 * Prints ONE line of JSON: client CPU µs per request, user and sys apart.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <uv.h>

#include "../adapters/telegram_json.h"
#include "../bot/http.h"
#include "../tests/fake/fake_tg.h"

#define TOKEN "123456:BENCH-token"

struct run {
    uv_loop_t *loop;
    struct http_client *http;
    char url[128];
    long started, finished, failed, total;
};

static void start_one(struct run *r);

static void on_done(void *ud, const struct kb_http_response *resp)
{
    struct run *r = ud;
    struct tg_send_class c;
    tg_classify_send(resp, TG_M_SEND, &c);
    if (c.outcome != KB_SEND_OK)
        r->failed++;
    r->finished++;
    if (r->started < r->total)
        start_one(r);
}

static void start_one(struct run *r)
{
    char chat[24], text[96];
    snprintf(chat, sizeof chat, "-100%ld", 1000 + r->started % 100);
    snprintf(text, sizeof text, "✅ <b>Member %ld</b> checked in: +10 points, streak 3",
             r->started);
    struct kb_reply reply = {.kind = KB_REPLY_SEND, .chat_id = chat, .reply_to = "42"};
    char *body = tg_encode_send_dup(&reply, text, 0);
    struct kb_http_request req = {
        .method = "POST",
        .url = r->url,
        .log_name = "sendMessage",
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .content_type = "application/json",
        .timeout_ms = 30000,
    };
    r->started++;
    if (!body || http_request_start(r->http, &req, on_done, r) != 0) {
        r->failed++;
        r->finished++;
    }
    free(body);
}

static void serve(void *loop)
{
    uv_run(loop, UV_RUN_DEFAULT);
}

static double tv_us(struct timeval tv)
{
    return (double)tv.tv_sec * 1e6 + (double)tv.tv_usec;
}

int main(int argc, char **argv)
{
    long total = argc > 1 ? atol(argv[1]) : 20000;
    long in_flight = argc > 2 ? atol(argv[2]) : 16;
    if (total <= 0 || in_flight <= 0) {
        fprintf(stderr, "usage: bench_http [requests [in_flight]]\n");
        return 2;
    }
    uv_loop_t server_loop, loop;
    struct fake_tg *srv;
    struct fake_tg_options o = {.token = TOKEN};
    if (uv_loop_init(&server_loop) || uv_loop_init(&loop) ||
        fake_tg_new(&server_loop, &o, &srv) != 0) {
        fprintf(stderr, "bench_http: cannot start the fake Bot API\n");
        return 1;
    }
    struct run r = {.loop = &loop, .total = total};
    snprintf(r.url, sizeof r.url, "http://127.0.0.1:%d/bot%s/sendMessage", fake_tg_port(srv),
             TOKEN);
    uv_thread_t server;
    if (uv_thread_create(&server, serve, &server_loop) != 0 ||
        http_client_new(&loop, &r.http) != 0)
        return 1;

    struct rusage u0, u1;
    struct timespec w0, w1;
    getrusage(RUSAGE_THREAD, &u0);
    clock_gettime(CLOCK_MONOTONIC, &w0);
    for (long i = 0; i < in_flight && r.started < total; i++)
        start_one(&r);
    while (r.finished < total)
        uv_run(&loop, UV_RUN_ONCE);
    getrusage(RUSAGE_THREAD, &u1);
    clock_gettime(CLOCK_MONOTONIC, &w1);

    double user = tv_us(u1.ru_utime) - tv_us(u0.ru_utime);
    double sys = tv_us(u1.ru_stime) - tv_us(u0.ru_stime);
    double secs = (double)(w1.tv_sec - w0.tv_sec) + (double)(w1.tv_nsec - w0.tv_nsec) / 1e9;
    printf("{\"bench\":\"http\",\"requests\":%ld,\"in_flight\":%ld,\"failed\":%ld,"
           "\"seconds\":%.2f,\"requests_per_s\":%.0f,\"client_cpu_us_per_request\":%.1f,"
           "\"user_us_per_request\":%.1f,\"sys_us_per_request\":%.1f}\n",
           total, in_flight, r.failed, secs, (double)total / secs, (user + sys) / (double)total,
           user / (double)total, sys / (double)total);

    http_client_free(r.http);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    /* the server thread never stops by itself: the process ends here */
    fflush(stdout);
    _Exit(r.failed ? 1 : 0);
}
