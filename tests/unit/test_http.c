/*
 * bot/http.c against the in-process fake Bot API server (tests/fake), both
 * on one libuv loop per test; plus the fake server's own getUpdates
 * semantics.  Every wait is bounded by run_until's deadline.
 */
#include <uv.h>

#include "../../bot/http.h"
#include "../../bot/log.h"
#include "../fake/fake_tg.h"
#include "../test.h"

#define TOKEN "123456:TEST-token"

struct res {
    int calls;
    enum kb_http_outcome outcome;
    long status;
    char *body;
    char error[256];
    uint64_t at_ms;
    uv_loop_t *loop;
};

struct env {
    uv_loop_t loop;
    struct fake_tg *srv;
    struct http_client *http;
};

static void on_done(void *ud, const struct kb_http_response *r)
{
    struct res *x = ud;
    x->calls++;
    x->outcome = r->outcome;
    x->status = r->status;
    free(x->body);
    x->body = malloc(r->body_len + 1);
    if (x->body) {
        memcpy(x->body, r->body, r->body_len);
        x->body[r->body_len] = '\0';
    }
    snprintf(x->error, sizeof x->error, "%s", r->error ? r->error : "");
    if (x->loop)
        x->at_ms = uv_now(x->loop);
}

static void res_free(struct res *x)
{
    free(x->body);
    x->body = NULL;
}

static void on_guard(uv_timer_t *t)
{
    (void)t;
}

/* Run the loop until *count >= want or ms pass; returns 1 if reached. */
static int run_until(uv_loop_t *loop, const int *count, int want, uint64_t ms)
{
    uv_timer_t guard;
    uv_timer_init(loop, &guard);
    uv_timer_start(&guard, on_guard, 5, 5);
    uv_update_time(loop);
    uint64_t end = uv_now(loop) + ms;
    while (*count < want && uv_now(loop) < end)
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&guard, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    return *count >= want;
}

static void run_for(uv_loop_t *loop, uint64_t ms)
{
    int never = 0;
    run_until(loop, &never, 1, ms);
}

static void env_init(struct env *e, const struct fake_tg_options *o)
{
    struct fake_tg_options def;
    memset(&def, 0, sizeof def);
    def.token = TOKEN;
    CHECK_INT(uv_loop_init(&e->loop), 0);
    CHECK_INT(fake_tg_new(&e->loop, o ? o : &def, &e->srv), 0);
    CHECK(fake_tg_port(e->srv) > 0);
    CHECK_INT(http_client_new(&e->loop, &e->http), 0);
}

static void env_done(struct env *e)
{
    http_client_free(e->http);
    fake_tg_free(e->srv);
    uv_run(&e->loop, UV_RUN_DEFAULT);
    CHECK_INT(uv_loop_close(&e->loop), 0);
}

static int start_req(struct env *e, const char *method, const char *api, const char *body,
                     long timeout_ms, size_t max, struct res *r)
{
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/bot%s/%s", fake_tg_port(e->srv), TOKEN, api);
    struct kb_http_request req;
    memset(&req, 0, sizeof req);
    req.method = method;
    req.url = url;
    req.log_name = api;
    req.body = body;
    req.body_len = body ? strlen(body) : 0;
    req.content_type = body ? "application/json" : NULL;
    req.timeout_ms = timeout_ms;
    req.max_response = max;
    r->loop = &e->loop;
    return http_request_start(e->http, &req, on_done, r);
}

/* ---- http.c ------------------------------------------------------------ */

TEST(get_and_post_round_trip)
{
    struct env e;
    env_init(&e, NULL);
    log_threshold = KB_LOG_DEBUG;   /* exercise the log lines once */
    struct res a = {0}, b = {0};
    CHECK_INT(start_req(&e, "GET", "getMe", NULL, 2000, 0, &a), 0);
    CHECK_INT(a.calls, 0);   /* never called synchronously */
    CHECK_INT(http_in_flight(e.http), 1);
    CHECK(run_until(&e.loop, &a.calls, 1, 3000));
    CHECK_INT(a.outcome, KB_HTTP_DONE);
    CHECK_INT(a.status, 200);
    CHECK_CONTAINS(a.body, "\"username\":\"kocbot_test_bot\"");

    CHECK_INT(start_req(&e, "POST", "sendMessage", "{\"chat_id\":-100123,\"text\":\"héllo\"}", 2000,
                        0, &b),
              0);
    CHECK(run_until(&e.loop, &b.calls, 1, 3000));
    CHECK_INT(b.outcome, KB_HTTP_DONE);
    CHECK_INT(b.status, 200);
    CHECK_CONTAINS(b.body, "\"text\":\"héllo\"");
    CHECK_CONTAINS(b.body, "\"message_id\":1");
    CHECK_INT(fake_tg_request_count(e.srv, "sendMessage"), 1);
    const struct fake_tg_request *rq = fake_tg_request_at(e.srv, "sendMessage", 0);
    CHECK(rq != NULL);
    CHECK_STR(rq->body, "{\"chat_id\":-100123,\"text\":\"héllo\"}");
    CHECK_INT(http_in_flight(e.http), 0);
    CHECK_INT(a.calls, 1);
    CHECK_INT(b.calls, 1);
    log_threshold = KB_LOG_INFO;
    res_free(&a);
    res_free(&b);
    env_done(&e);
}

TEST(keep_alive_reuses_one_connection)
{
    struct env e;
    env_init(&e, NULL);
    for (int i = 0; i < 5; i++) {
        struct res r = {0};
        CHECK_INT(start_req(&e, "POST", "sendMessage", "{\"chat_id\":1,\"text\":\"x\"}", 2000, 0,
                            &r),
                  0);
        CHECK(run_until(&e.loop, &r.calls, 1, 3000));
        CHECK_INT(r.status, 200);
        res_free(&r);
    }
    struct fake_tg_stats st;
    fake_tg_get_stats(e.srv, &st);
    CHECK_INT(st.connections, 1);
    CHECK_INT(st.requests, 5);
    env_done(&e);
}

TEST(connect_refused_is_not_sent)
{
    struct env e;
    env_init(&e, NULL);
    /* a port that was just ours and is now closed */
    struct fake_tg *gone;
    CHECK_INT(fake_tg_new(&e.loop, NULL, &gone), 0);
    int port = fake_tg_port(gone);
    fake_tg_free(gone);
    run_for(&e.loop, 10);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/bot%s/getMe", port, TOKEN);
    struct kb_http_request req;
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.url = url;
    req.log_name = "getMe";
    req.timeout_ms = 2000;
    struct res r = {0};
    CHECK_INT(http_request_start(e.http, &req, on_done, &r), 0);
    CHECK_INT(r.calls, 0);
    CHECK(run_until(&e.loop, &r.calls, 1, 3000));
    CHECK_INT(r.outcome, KB_HTTP_NOT_SENT);
    CHECK(r.error[0] != '\0');
    res_free(&r);
    env_done(&e);
}

TEST(server_closes_without_answer_is_no_answer)
{
    struct env e;
    env_init(&e, NULL);
    struct fake_tg_fault f = {.kind = FAKE_TG_FAULT_CLOSE, .count = 1, .method = "sendMessage"};
    CHECK_INT(fake_tg_fault(e.srv, &f), 0);
    struct res r = {0};
    CHECK_INT(start_req(&e, "POST", "sendMessage", "{\"chat_id\":1,\"text\":\"x\"}", 2000, 0, &r),
              0);
    CHECK(run_until(&e.loop, &r.calls, 1, 3000));
    CHECK_INT(r.outcome, KB_HTTP_NO_ANSWER);
    CHECK_INT(fake_tg_request_count(e.srv, "sendMessage"), 1);
    res_free(&r);
    env_done(&e);
}

TEST(close_on_reused_connection_is_no_answer)
{
    struct env e;
    env_init(&e, NULL);
    struct res a = {0}, r = {0};
    CHECK_INT(start_req(&e, "GET", "getMe", NULL, 2000, 0, &a), 0);
    CHECK(run_until(&e.loop, &a.calls, 1, 3000));
    struct fake_tg_fault f = {.kind = FAKE_TG_FAULT_CLOSE, .count = 2, .method = "sendMessage"};
    CHECK_INT(fake_tg_fault(e.srv, &f), 0);
    CHECK_INT(start_req(&e, "POST", "sendMessage", "{\"chat_id\":1,\"text\":\"x\"}", 2000, 0, &r),
              0);
    CHECK(run_until(&e.loop, &r.calls, 1, 3000));
    CHECK_INT(r.outcome, KB_HTTP_NO_ANSWER);
    /* libcurl itself resends once when a reused connection dies before
       any answer byte (it assumes a stale keep-alive connection); the
       outbox must count that in its "at most once more" budget */
    CHECK(fake_tg_request_count(e.srv, "sendMessage") >= 1);
    CHECK(fake_tg_request_count(e.srv, "sendMessage") <= 2);
    res_free(&a);
    res_free(&r);
    env_done(&e);
}

TEST(truncated_body_is_no_answer)
{
    struct env e;
    env_init(&e, NULL);
    struct fake_tg_fault f = {.kind = FAKE_TG_FAULT_TRUNCATE, .count = 1};
    CHECK_INT(fake_tg_fault(e.srv, &f), 0);
    struct res r = {0};
    CHECK_INT(start_req(&e, "GET", "getMe", NULL, 2000, 0, &r), 0);
    CHECK(run_until(&e.loop, &r.calls, 1, 3000));
    CHECK_INT(r.outcome, KB_HTTP_NO_ANSWER);
    res_free(&r);
    env_done(&e);
}

TEST(slow_answer_beyond_timeout_is_no_answer)
{
    struct env e;
    env_init(&e, NULL);
    struct fake_tg_fault f = {.kind = FAKE_TG_FAULT_DELAY, .count = 1, .delay_ms = 3000};
    CHECK_INT(fake_tg_fault(e.srv, &f), 0);
    struct res r = {0};
    uv_update_time(&e.loop);
    uint64_t t0 = uv_now(&e.loop);
    CHECK_INT(start_req(&e, "GET", "getMe", NULL, 200, 0, &r), 0);
    CHECK(run_until(&e.loop, &r.calls, 1, 2500));
    CHECK_INT(r.outcome, KB_HTTP_NO_ANSWER);
    CHECK(r.at_ms - t0 >= 150);
    CHECK(r.at_ms - t0 < 1500);
    res_free(&r);
    env_done(&e);
}

TEST(body_over_max_response_is_no_answer)
{
    struct env e;
    env_init(&e, NULL);
    CHECK_INT(fake_tg_generate(e.srv, 50, 5, 5, "/checkin", 1795000000), 50);
    struct res r = {0}, ok = {0};
    CHECK_INT(start_req(&e, "GET", "getUpdates", NULL, 2000, 1000, &r), 0);
    CHECK(run_until(&e.loop, &r.calls, 1, 3000));
    CHECK_INT(r.outcome, KB_HTTP_NO_ANSWER);
    CHECK_CONTAINS(r.error, "too large");
    /* the same request with room for the body succeeds */
    CHECK_INT(start_req(&e, "GET", "getUpdates", NULL, 2000, 1 << 20, &ok), 0);
    CHECK(run_until(&e.loop, &ok.calls, 1, 3000));
    CHECK_INT(ok.outcome, KB_HTTP_DONE);
    CHECK(strlen(ok.body) > 1000);
    res_free(&r);
    res_free(&ok);
    env_done(&e);
}

TEST(error_statuses_pass_through)
{
    struct env e;
    env_init(&e, NULL);
    struct fake_tg_fault f429 = {.kind = FAKE_TG_FAULT_429, .count = 1, .retry_after = 7};
    struct fake_tg_fault f500 = {.kind = FAKE_TG_FAULT_500, .count = 1};
    CHECK_INT(fake_tg_fault(e.srv, &f429), 0);
    CHECK_INT(fake_tg_fault(e.srv, &f500), 0);
    struct res a = {0}, b = {0}, c = {0};
    CHECK_INT(start_req(&e, "POST", "sendMessage", "{\"chat_id\":1,\"text\":\"x\"}", 2000, 0, &a),
              0);
    CHECK(run_until(&e.loop, &a.calls, 1, 3000));
    CHECK_INT(a.outcome, KB_HTTP_DONE);
    CHECK_INT(a.status, 429);
    CHECK_CONTAINS(a.body, "\"retry_after\":7");
    CHECK_INT(start_req(&e, "GET", "getMe", NULL, 2000, 0, &b), 0);
    CHECK(run_until(&e.loop, &b.calls, 1, 3000));
    CHECK_INT(b.outcome, KB_HTTP_DONE);
    CHECK_INT(b.status, 500);
    /* wrong token: 401 with Telegram's body */
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/bot999:WRONG/getMe", fake_tg_port(e.srv));
    struct kb_http_request req;
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.url = url;
    req.log_name = "getMe";
    req.timeout_ms = 2000;
    CHECK_INT(http_request_start(e.http, &req, on_done, &c), 0);
    CHECK(run_until(&e.loop, &c.calls, 1, 3000));
    CHECK_INT(c.status, 401);
    CHECK_STR(c.body, "{\"ok\":false,\"error_code\":401,\"description\":\"Unauthorized\"}");
    struct fake_tg_stats st;
    fake_tg_get_stats(e.srv, &st);
    CHECK_INT(st.sent_429, 1);
    res_free(&a);
    res_free(&b);
    res_free(&c);
    env_done(&e);
}

TEST(cancel_all_delivers_cancelled_once)
{
    struct env e;
    env_init(&e, NULL);
    struct res r = {0};
    CHECK_INT(start_req(&e, "POST", "getUpdates", "{\"timeout\":10}", 20000, 0, &r), 0);
    /* wait until the server holds the long poll */
    for (int i = 0; i < 200 && fake_tg_request_count(e.srv, "getUpdates") == 0; i++)
        run_for(&e.loop, 5);
    CHECK_INT(fake_tg_request_count(e.srv, "getUpdates"), 1);
    CHECK_INT(r.calls, 0);
    http_cancel_all(e.http);
    CHECK_INT(r.calls, 1);
    CHECK_INT(r.outcome, KB_HTTP_CANCELLED);
    CHECK_INT(http_in_flight(e.http), 0);
    run_for(&e.loop, 50);
    CHECK_INT(r.calls, 1);
    /* the client still works afterwards */
    struct res ok = {0};
    CHECK_INT(start_req(&e, "GET", "getMe", NULL, 2000, 0, &ok), 0);
    CHECK(run_until(&e.loop, &ok.calls, 1, 3000));
    CHECK_INT(ok.status, 200);
    res_free(&r);
    res_free(&ok);
    env_done(&e);
}

TEST(shutdown_with_request_in_flight)
{
    struct env e;
    env_init(&e, NULL);
    struct res a = {0}, b = {0};
    CHECK_INT(start_req(&e, "POST", "getUpdates", "{\"timeout\":10}", 20000, 0, &a), 0);
    CHECK_INT(start_req(&e, "GET", "getMe", NULL, 2000, 0, &b), 0);
    CHECK(run_until(&e.loop, &b.calls, 1, 3000));   /* a second, idle connection */
    for (int i = 0; i < 200 && fake_tg_request_count(e.srv, "getUpdates") == 0; i++)
        run_for(&e.loop, 5);
    CHECK_INT(a.calls, 0);
    http_client_free(e.http);
    CHECK_INT(a.calls, 1);
    CHECK_INT(a.outcome, KB_HTTP_CANCELLED);
    fake_tg_free(e.srv);
    uv_run(&e.loop, UV_RUN_DEFAULT);
    CHECK_INT(uv_loop_close(&e.loop), 0);
    CHECK_INT(a.calls, 1);
    CHECK_INT(b.calls, 1);
    res_free(&a);
    res_free(&b);
}

static struct http_client *reentrant_client;
static void on_done_free_client(void *ud, const struct kb_http_response *r)
{
    on_done(ud, r);
    http_client_free(reentrant_client);   /* allowed from a callback */
}

TEST(free_from_done_callback)
{
    struct env e;
    env_init(&e, NULL);
    struct res r = {0};
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/bot%s/getMe", fake_tg_port(e.srv), TOKEN);
    struct kb_http_request req;
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.url = url;
    req.timeout_ms = 2000;
    reentrant_client = e.http;
    CHECK_INT(http_request_start(e.http, &req, on_done_free_client, &r), 0);
    CHECK(run_until(&e.loop, &r.calls, 1, 3000));
    CHECK_INT(r.status, 200);
    fake_tg_free(e.srv);
    uv_run(&e.loop, UV_RUN_DEFAULT);
    CHECK_INT(uv_loop_close(&e.loop), 0);
    res_free(&r);
}

TEST(rejects_bad_requests)
{
    struct env e;
    env_init(&e, NULL);
    struct kb_http_request req;
    memset(&req, 0, sizeof req);
    req.method = "DELETE";
    req.url = "http://127.0.0.1:1/";
    struct res r = {0};
    CHECK(http_request_start(e.http, &req, on_done, &r) < 0);
    req.method = "GET";
    req.url = NULL;
    CHECK(http_request_start(e.http, &req, on_done, &r) < 0);
    CHECK_INT(http_in_flight(e.http), 0);
    CHECK_INT(r.calls, 0);
    env_done(&e);
}

TEST(redacts_urls)
{
    char buf[256];
    http_redact_url("https://api.telegram.org/bot123456:ABC-def/getUpdates?offset=5", buf,
                    sizeof buf);
    CHECK_STR(buf, "https://api.telegram.org/bot<redacted>/getUpdates");
    http_redact_url("https://user:pw@api.telegram.org/file/bot123:XYZ/photos/a.jpg#frag", buf,
                    sizeof buf);
    CHECK_STR(buf, "https://api.telegram.org/file/bot<redacted>/photos/a.jpg");
    http_redact_url("http://127.0.0.1:8080/control/stats", buf, sizeof buf);
    CHECK_STR(buf, "http://127.0.0.1:8080/control/stats");
    http_redact_url("http://h/bot", buf, sizeof buf);
    CHECK_STR(buf, "http://h/bot");
    char small[20];
    http_redact_url("https://api.telegram.org/bot123456:SECRET/getMe", small, sizeof small);
    CHECK(strlen(small) < sizeof small);
    CHECK(strstr(small, "SECRET") == NULL);
    CHECK(strstr(small, "123456") == NULL);
    http_redact_url("https://x.org/bot9:SECRET", buf, sizeof buf);
    CHECK_STR(buf, "https://x.org/bot<redacted>");
}

/* ---- the fake server's own semantics ----------------------------------- */

TEST(fake_get_updates_offset_semantics)
{
    struct env e;
    env_init(&e, NULL);
    CHECK_INT(fake_tg_push_update(e.srv, "[{\"message\":{\"text\":\"a\"}},"
                                         "{\"message\":{\"text\":\"b\"}},"
                                         "{\"message\":{\"text\":\"c\"}}]"),
              3);
    CHECK_INT(fake_tg_pending_updates(e.srv), 3);
    struct res r = {0};
    CHECK_INT(start_req(&e, "POST", "getUpdates", "{\"limit\":2}", 2000, 0, &r), 0);
    CHECK(run_until(&e.loop, &r.calls, 1, 3000));
    CHECK_CONTAINS(r.body, "\"update_id\":500000001");
    CHECK_CONTAINS(r.body, "\"update_id\":500000002");
    CHECK(strstr(r.body, "500000003") == NULL);   /* limit */
    CHECK_INT(fake_tg_pending_updates(e.srv), 3);  /* nothing confirmed yet */

    struct res r2 = {0};
    CHECK_INT(start_req(&e, "POST", "getUpdates", "{\"offset\":500000002}", 2000, 0, &r2), 0);
    CHECK(run_until(&e.loop, &r2.calls, 1, 3000));
    CHECK(strstr(r2.body, "500000001") == NULL);   /* confirmed and dropped */
    CHECK_CONTAINS(r2.body, "\"update_id\":500000002");
    CHECK_CONTAINS(r2.body, "\"update_id\":500000003");
    CHECK_INT(fake_tg_pending_updates(e.srv), 2);

    struct res r3 = {0};
    CHECK_INT(start_req(&e, "GET", "getUpdates?offset=-1", NULL, 2000, 0, &r3), 0);
    CHECK(run_until(&e.loop, &r3.calls, 1, 3000));
    CHECK_CONTAINS(r3.body, "\"update_id\":500000003");
    CHECK(strstr(r3.body, "500000002") == NULL);
    CHECK_INT(fake_tg_pending_updates(e.srv), 1);

    struct res r4 = {0};
    CHECK_INT(start_req(&e, "GET", "getUpdates?offset=500000004", NULL, 2000, 0, &r4), 0);
    CHECK(run_until(&e.loop, &r4.calls, 1, 3000));
    CHECK_STR(r4.body, "{\"ok\":true,\"result\":[]}");
    CHECK_INT(fake_tg_pending_updates(e.srv), 0);
    res_free(&r);
    res_free(&r2);
    res_free(&r3);
    res_free(&r4);
    env_done(&e);
}

TEST(fake_long_poll_wakes_on_update)
{
    struct env e;
    env_init(&e, NULL);
    struct res r = {0};
    uv_update_time(&e.loop);
    uint64_t t0 = uv_now(&e.loop);
    CHECK_INT(start_req(&e, "POST", "getUpdates", "{\"offset\":0,\"timeout\":5}", 10000, 0, &r), 0);
    run_for(&e.loop, 100);
    CHECK_INT(r.calls, 0);   /* held: nothing queued */
    CHECK_INT(fake_tg_push_update(e.srv, "{\"message\":{\"text\":\"wake\"}}"), 1);
    CHECK(run_until(&e.loop, &r.calls, 1, 3000));
    CHECK_INT(r.status, 200);
    CHECK_CONTAINS(r.body, "\"text\":\"wake\"");
    CHECK(r.at_ms - t0 < 1000);
    res_free(&r);
    env_done(&e);
}

TEST(fake_long_poll_times_out_empty)
{
    struct env e;
    env_init(&e, NULL);
    struct res r = {0};
    uv_update_time(&e.loop);
    uint64_t t0 = uv_now(&e.loop);
    CHECK_INT(start_req(&e, "GET", "getUpdates?timeout=1", NULL, 5000, 0, &r), 0);
    CHECK(run_until(&e.loop, &r.calls, 1, 3000));
    CHECK_INT(r.status, 200);
    CHECK_STR(r.body, "{\"ok\":true,\"result\":[]}");
    CHECK(r.at_ms - t0 >= 900);
    CHECK(r.at_ms - t0 < 2000);
    res_free(&r);
    env_done(&e);
}

TEST(fake_second_poll_ends_first_with_409)
{
    struct env e;
    env_init(&e, NULL);
    struct res a = {0}, b = {0};
    CHECK_INT(start_req(&e, "POST", "getUpdates", "{\"timeout\":5}", 10000, 0, &a), 0);
    for (int i = 0; i < 200 && fake_tg_request_count(e.srv, "getUpdates") == 0; i++)
        run_for(&e.loop, 5);
    CHECK_INT(start_req(&e, "POST", "getUpdates", "{\"timeout\":5}", 10000, 0, &b), 0);
    CHECK(run_until(&e.loop, &a.calls, 1, 3000));
    CHECK_INT(a.status, 409);
    CHECK_INT(b.calls, 0);
    CHECK_INT(fake_tg_push_update(e.srv, "{\"message\":{\"text\":\"x\"}}"), 1);
    CHECK(run_until(&e.loop, &b.calls, 1, 3000));
    CHECK_INT(b.status, 200);
    res_free(&a);
    res_free(&b);
    env_done(&e);
}

TEST(fake_enforces_send_limits)
{
    struct fake_tg_options o;
    memset(&o, 0, sizeof o);
    o.token = TOKEN;
    o.enforce_limits = 1;
    struct env e;
    env_init(&e, &o);
    long statuses[5];
    for (int i = 0; i < 5; i++) {
        struct res r = {0};
        CHECK_INT(start_req(&e, "POST", "sendMessage", "{\"chat_id\":-5,\"text\":\"x\"}", 2000, 0,
                            &r),
                  0);
        CHECK(run_until(&e.loop, &r.calls, 1, 3000));
        statuses[i] = r.status;
        if (i == 4)
            CHECK_CONTAINS(r.body, "\"retry_after\":");
        res_free(&r);
    }
    /* a burst of 3 per chat, then 429 */
    CHECK_INT(statuses[0], 200);
    CHECK_INT(statuses[2], 200);
    CHECK_INT(statuses[3], 429);
    CHECK_INT(statuses[4], 429);
    struct fake_tg_stats st;
    fake_tg_get_stats(e.srv, &st);
    CHECK_INT(st.limit_429, 2);
    CHECK_INT(st.messages_sent, 3);
    env_done(&e);
}

TEST(fake_control_endpoints_over_http)
{
    struct env e;
    env_init(&e, NULL);
    char url[160];
    struct kb_http_request req;
    memset(&req, 0, sizeof req);
    req.method = "POST";
    req.url = url;
    req.timeout_ms = 2000;
    req.content_type = "application/json";
    struct res r = {0};
    snprintf(url, sizeof url, "http://127.0.0.1:%d/control/generate", fake_tg_port(e.srv));
    req.body = "{\"n\":1000,\"chats\":10,\"users\":100}";
    req.body_len = strlen(req.body);
    CHECK_INT(http_request_start(e.http, &req, on_done, &r), 0);
    CHECK(run_until(&e.loop, &r.calls, 1, 3000));
    CHECK_STR(r.body, "{\"ok\":true,\"result\":1000}");
    CHECK_INT(fake_tg_pending_updates(e.srv), 1000);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/control/fault", fake_tg_port(e.srv));
    req.body = "{\"kind\":\"403\",\"method\":\"sendMessage\"}";
    req.body_len = strlen(req.body);
    CHECK_INT(http_request_start(e.http, &req, on_done, &r), 0);
    CHECK(run_until(&e.loop, &r.calls, 2, 3000));
    CHECK_CONTAINS(r.body, "\"ok\":true");
    struct res s = {0};
    CHECK_INT(start_req(&e, "POST", "sendMessage", "{\"chat_id\":1,\"text\":\"x\"}", 2000, 0, &s),
              0);
    CHECK(run_until(&e.loop, &s.calls, 1, 3000));
    CHECK_INT(s.status, 403);
    CHECK_CONTAINS(s.body, "bot was kicked");
    snprintf(url, sizeof url, "http://127.0.0.1:%d/control/stats", fake_tg_port(e.srv));
    req.method = "GET";
    req.body = NULL;
    req.body_len = 0;
    CHECK_INT(http_request_start(e.http, &req, on_done, &r), 0);
    CHECK(run_until(&e.loop, &r.calls, 3, 3000));
    CHECK_CONTAINS(r.body, "\"pending_updates\":1000");
    CHECK_CONTAINS(r.body, "\"sendMessage\":1");
    res_free(&r);
    res_free(&s);
    env_done(&e);
}

/* ---- reused easy handles send what fresh ones send --------------------- */

/* A raw HTTP/1.1 server that records each request's bytes and answers
   200 "ok", keeping the connection open. */
#define CAPTURE_MAX 8
struct capture {
    uv_tcp_t listener;
    int port, connections, n;
    char *req[CAPTURE_MAX];
    int closed;
};

struct capture_conn {
    uv_tcp_t tcp;
    struct capture *cap;
    char buf[8192];
    size_t len;
};

static void capture_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    struct capture_conn *cc = h->data;
    (void)hint;
    b->base = cc->buf + cc->len;
    b->len = sizeof cc->buf - cc->len - 1;
}

static void capture_conn_closed(uv_handle_t *h)
{
    free(h->data);
}

static void capture_written(uv_write_t *w, int status)
{
    (void)status;
    free(w);
}

static void capture_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    struct capture_conn *cc = st->data;
    (void)b;
    if (n < 0) {
        uv_close((uv_handle_t *)st, capture_conn_closed);
        return;
    }
    cc->len += (size_t)n;
    cc->buf[cc->len] = '\0';
    for (;;) {
        char *end = strstr(cc->buf, "\r\n\r\n");
        if (!end)
            return;
        const char *cl = strstr(cc->buf, "Content-Length: ");
        size_t body = cl && cl < end ? (size_t)strtoul(cl + 16, NULL, 10) : 0;
        size_t total = (size_t)(end + 4 - cc->buf) + body;
        if (cc->len < total)
            return;
        struct capture *cap = cc->cap;
        if (cap->n < CAPTURE_MAX) {
            cap->req[cap->n] = malloc(total + 1);
            memcpy(cap->req[cap->n], cc->buf, total);
            cap->req[cap->n][total] = '\0';
            cap->n++;
        }
        memmove(cc->buf, cc->buf + total, cc->len - total + 1);
        cc->len -= total;
        static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        uv_write_t *w = malloc(sizeof *w);
        uv_buf_t ab = uv_buf_init((char *)answer, sizeof answer - 1);
        uv_write(w, st, &ab, 1, capture_written);
    }
}

static void capture_accept(uv_stream_t *server, int status)
{
    struct capture *cap = server->data;
    if (status < 0)
        return;
    struct capture_conn *cc = calloc(1, sizeof *cc);
    cc->cap = cap;
    uv_tcp_init(server->loop, &cc->tcp);
    cc->tcp.data = cc;
    if (uv_accept(server, (uv_stream_t *)&cc->tcp) == 0) {
        cap->connections++;
        uv_read_start((uv_stream_t *)&cc->tcp, capture_alloc, capture_read);
    } else {
        uv_close((uv_handle_t *)&cc->tcp, capture_conn_closed);
    }
}

static void capture_start(uv_loop_t *loop, struct capture *cap)
{
    memset(cap, 0, sizeof *cap);
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", 0, &a);
    CHECK_INT(uv_tcp_init(loop, &cap->listener), 0);
    cap->listener.data = cap;
    CHECK_INT(uv_tcp_bind(&cap->listener, (const struct sockaddr *)&a, 0), 0);
    CHECK_INT(uv_listen((uv_stream_t *)&cap->listener, 8, capture_accept), 0);
    struct sockaddr_in got;
    int len = sizeof got;
    uv_tcp_getsockname(&cap->listener, (struct sockaddr *)&got, &len);
    cap->port = ntohs(got.sin_port);
}

static void capture_free(struct capture *cap)
{
    for (int i = 0; i < cap->n; i++)
        free(cap->req[i]);
    cap->n = 0;
}

/* the server side of connections still open at the end */
static void walk_close(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, capture_conn_closed);
}

struct wire_case {
    const char *method, *path, *body, *content_type, *bearer;
};

static int wire_send(uv_loop_t *loop, struct http_client *http, int port,
                     const struct wire_case *w, struct capture *cap)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, w->path);
    struct kb_http_request req;
    memset(&req, 0, sizeof req);
    req.method = w->method;
    req.url = url;
    req.body = w->body;
    req.body_len = w->body ? strlen(w->body) : 0;
    req.content_type = w->content_type;
    req.bearer = w->bearer;
    req.timeout_ms = 2000;
    struct res r = {0};
    int before = cap->n;
    if (http_request_start(http, &req, on_done, &r) != 0)
        return 0;
    int ok = run_until(loop, &r.calls, 1, 3000) && r.outcome == KB_HTTP_DONE && r.status == 200 &&
             cap->n == before + 1;
    res_free(&r);
    return ok;
}

TEST(reused_handles_send_what_fresh_ones_send)
{
    static const struct wire_case cases[] = {
        {"POST", "/bot1:x/sendMessage", "{\"chat_id\":1,\"text\":\"hi\"}", "application/json", NULL},
        {"GET", "/bot1:x/getMe", NULL, NULL, NULL},
        {"PUT", "/_matrix/send/1", "{\"body\":\"x\"}", "application/json", "sekrit"},
        {"POST", "/bot1:x/sendMessage", "{}", NULL, NULL},
        {"GET", "/bot1:x/getMe", NULL, NULL, "other"},
        {"POST", "/bot1:x/sendMessage", "", "application/json", NULL},
    };
    enum { N = sizeof cases / sizeof cases[0] };
    uv_loop_t loop;
    CHECK_INT(uv_loop_init(&loop), 0);
    struct capture reused, fresh;
    capture_start(&loop, &reused);
    capture_start(&loop, &fresh);
    struct http_client *one;
    CHECK_INT(http_client_new(&loop, &one), 0);
    for (int i = 0; i < N; i++) {
        CHECK(wire_send(&loop, one, reused.port, &cases[i], &reused));
        /* the same request from a client that never sent anything */
        struct http_client *brand_new;
        CHECK_INT(http_client_new(&loop, &brand_new), 0);
        CHECK(wire_send(&loop, brand_new, fresh.port, &cases[i], &fresh));
        http_client_free(brand_new);
        run_for(&loop, 5);
    }
    CHECK_INT(reused.n, N);
    CHECK_INT(fresh.n, N);
    CHECK_INT(reused.connections, 1); /* one kept-alive connection throughout */
    char port_r[16], port_f[16];
    snprintf(port_r, sizeof port_r, ":%d", reused.port);
    snprintf(port_f, sizeof port_f, ":%d", fresh.port);
    for (int i = 0; i < reused.n && i < fresh.n; i++) {
        /* only the Host header's port differs */
        char *host = strstr(reused.req[i], port_r);
        CHECK(host != NULL);
        if (host)
            memcpy(host, port_f, strlen(port_f));
        if (strcmp(reused.req[i], fresh.req[i]) != 0)
            fprintf(stderr, "request %d differs:\n--- reused\n%s\n--- fresh\n%s\n", i,
                    reused.req[i], fresh.req[i]);
        CHECK_STR(reused.req[i], fresh.req[i]);
    }
    CHECK(strstr(reused.req[3], "Authorization") == NULL);
    CHECK(strncmp(reused.req[3], "POST ", 5) == 0);
    capture_free(&reused);
    capture_free(&fresh);
    http_client_free(one);
    uv_close((uv_handle_t *)&reused.listener, NULL);
    uv_close((uv_handle_t *)&fresh.listener, NULL);
    uv_walk(&loop, walk_close, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_INT(uv_loop_close(&loop), 0);
}

/* The server drops the kept-alive connection between requests: curl
   closes its socket (the poll handle kept for it goes too) and the next
   requests go out on a new connection, whatever fd number it gets. */
static void close_server_side(uv_handle_t *h, void *listener)
{
    if (h != listener && h->type == UV_TCP && !uv_is_closing(h) && h->data != NULL &&
        ((struct capture_conn *)h->data)->cap != NULL)
        uv_close(h, capture_conn_closed);
}

TEST(dropped_keep_alive_connection_is_replaced)
{
    static const struct wire_case get = {"GET", "/bot1:x/getMe", NULL, NULL, NULL};
    uv_loop_t loop;
    CHECK_INT(uv_loop_init(&loop), 0);
    struct capture cap;
    capture_start(&loop, &cap);
    struct http_client *http;
    CHECK_INT(http_client_new(&loop, &http), 0);
    for (int round = 0; round < 3; round++) {
        CHECK(wire_send(&loop, http, cap.port, &get, &cap));
        CHECK(wire_send(&loop, http, cap.port, &get, &cap));
        uv_walk(&loop, close_server_side, &cap.listener);
        run_for(&loop, 20);
        capture_free(&cap);
    }
    CHECK_INT(cap.connections, 3);
    http_client_free(http);
    uv_close((uv_handle_t *)&cap.listener, NULL);
    uv_walk(&loop, walk_close, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_INT(uv_loop_close(&loop), 0);
}

/* A pooled handle gets each request's own timeout, not the last one's. */
TEST(reused_handle_takes_the_new_timeout)
{
    struct env e;
    env_init(&e, NULL);
    struct res a = {0}, r = {0};
    CHECK_INT(start_req(&e, "GET", "getMe", NULL, 5000, 0, &a), 0);
    CHECK(run_until(&e.loop, &a.calls, 1, 3000));
    CHECK_INT(a.outcome, KB_HTTP_DONE);
    struct fake_tg_fault f = {.kind = FAKE_TG_FAULT_DELAY, .count = 1, .delay_ms = 2000};
    CHECK_INT(fake_tg_fault(e.srv, &f), 0);
    uv_update_time(&e.loop);
    uint64_t t0 = uv_now(&e.loop);
    CHECK_INT(start_req(&e, "GET", "getMe", NULL, 200, 0, &r), 0);
    CHECK(run_until(&e.loop, &r.calls, 1, 2500));
    CHECK_INT(r.outcome, KB_HTTP_NO_ANSWER);
    CHECK(r.at_ms - t0 < 1500);
    /* and a later request with a long timeout is not cut at 200 ms */
    struct res b = {0};
    f.delay_ms = 600;
    CHECK_INT(fake_tg_fault(e.srv, &f), 0);
    CHECK_INT(start_req(&e, "GET", "getMe", NULL, 5000, 0, &b), 0);
    CHECK(run_until(&e.loop, &b.calls, 1, 3000));
    CHECK_INT(b.outcome, KB_HTTP_DONE);
    res_free(&a);
    res_free(&r);
    res_free(&b);
    env_done(&e);
}

TEST_MAIN(T(get_and_post_round_trip), T(keep_alive_reuses_one_connection),
          T(connect_refused_is_not_sent), T(server_closes_without_answer_is_no_answer),
          T(close_on_reused_connection_is_no_answer), T(truncated_body_is_no_answer), T(slow_answer_beyond_timeout_is_no_answer),
          T(body_over_max_response_is_no_answer), T(error_statuses_pass_through),
          T(cancel_all_delivers_cancelled_once), T(shutdown_with_request_in_flight),
          T(free_from_done_callback), T(rejects_bad_requests), T(redacts_urls),
          T(fake_get_updates_offset_semantics), T(fake_long_poll_wakes_on_update),
          T(fake_long_poll_times_out_empty), T(fake_second_poll_ends_first_with_409),
          T(fake_enforces_send_limits), T(fake_control_endpoints_over_http),
          T(reused_handles_send_what_fresh_ones_send), T(reused_handle_takes_the_new_timeout),
          T(dropped_keep_alive_connection_is_replaced))
