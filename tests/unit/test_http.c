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

TEST_MAIN(T(get_and_post_round_trip), T(keep_alive_reuses_one_connection),
          T(connect_refused_is_not_sent), T(server_closes_without_answer_is_no_answer),
          T(close_on_reused_connection_is_no_answer), T(truncated_body_is_no_answer), T(slow_answer_beyond_timeout_is_no_answer),
          T(body_over_max_response_is_no_answer), T(error_statuses_pass_through),
          T(cancel_all_delivers_cancelled_once), T(shutdown_with_request_in_flight),
          T(free_from_done_callback), T(rejects_bad_requests), T(redacts_urls),
          T(fake_get_updates_offset_semantics), T(fake_long_poll_wakes_on_update),
          T(fake_long_poll_times_out_empty), T(fake_second_poll_ends_first_with_409),
          T(fake_enforces_send_limits), T(fake_control_endpoints_over_http))
