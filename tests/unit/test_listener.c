/* The embedded HTTP listener (bot/listener.c) on a real libuv loop: a
   client thread sends raw HTTP/1.1 requests to 127.0.0.1 while the loop
   serves them. */
#include <arpa/inet.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "../../bot/listener.h"
#include "../../core/util.h"
#include "../test.h"

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    bind(s, (struct sockaddr *)&sa, sizeof sa);
    getsockname(s, (struct sockaddr *)&sa, &len);
    close(s);
    return ntohs(sa.sin_port);
}

struct exchange {
    int port;
    const char *request;
    char response[4096];
    uv_async_t *done;
};

/* The client: one request on a fresh connection, the whole answer back. */
static void *client(void *arg)
{
    struct exchange *x = arg;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)x->port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    size_t got = 0;
    if (connect(s, (struct sockaddr *)&sa, sizeof sa) == 0) {
        size_t n = strlen(x->request);
        for (size_t off = 0; off < n;) {
            ssize_t w = write(s, x->request + off, n - off);
            if (w <= 0)
                break;
            off += (size_t)w;
        }
        ssize_t r;
        while (got + 1 < sizeof x->response &&
               (r = read(s, x->response + got, sizeof x->response - 1 - got)) > 0)
            got += (size_t)r;
    }
    x->response[got] = '\0';
    close(s);
    uv_async_send(x->done);
    return NULL;
}

static void stop_loop(uv_async_t *a)
{
    uv_stop(a->loop);
}

static uv_loop_t loop;
static struct http_listener *L;
static uv_async_t done;
static int port;
static char seen_header[64];

/* Send request and run the loop until the answer is in. */
static void exchange(const char *request, char *out, size_t cap)
{
    struct exchange x = {.port = port, .request = request, .done = &done};
    pthread_t t;
    pthread_create(&t, NULL, client, &x);
    uv_run(&loop, UV_RUN_DEFAULT);
    pthread_join(t, NULL);
    snprintf(out, cap, "%s", x.response);
}

static int handler(void *ud, const struct kb_http_incoming *req, struct kb_http_body *body)
{
    (void)ud;
    const char *h = req->header(req, "x-test");
    snprintf(seen_header, sizeof seen_header, "%s", h ? h : "-");
    struct sbuf b = {0};
    sbuf_addf(&b, "{\"method\":\"%s\",\"len\":%zu}", req->method, req->body_len);
    body->len = b.len;
    body->data = sbuf_take(&b);
    body->content_type = "application/json";
    return 201;
}

static void setup(void)
{
    uv_loop_init(&loop);
    uv_async_init(&loop, &done, stop_loop);
    port = free_port();
    char addr[32], err[128];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    CHECK_INT(listener_open(&loop, addr, &L, err, sizeof err), 0);
    CHECK_INT(listener_route(L, "/hook", handler, NULL, &port), 0);
    CHECK_INT(listener_route(L, "/hook", handler, NULL, &port), KB_EINVAL); /* taken */
}

static void teardown(void)
{
    listener_close(L);
    uv_close((uv_handle_t *)&done, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_INT(uv_loop_close(&loop), 0);
}

TEST(answers_with_status_body_and_type)
{
    setup();
    char r[4096];
    exchange("POST /hook HTTP/1.1\r\nHost: x\r\nX-Test: yes\r\nContent-Length: 5\r\n"
             "Connection: close\r\n\r\nhello", r, sizeof r);
    CHECK_CONTAINS(r, "HTTP/1.1 201");
    CHECK_CONTAINS(r, "Content-Type: application/json");
    CHECK_CONTAINS(r, "{\"method\":\"POST\",\"len\":5}");
    CHECK_STR(seen_header, "yes");
    exchange("GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", r, sizeof r);
    CHECK_CONTAINS(r, "HTTP/1.1 404");
    teardown();
}

TEST(oversized_body_is_refused_and_unrouted_paths_go)
{
    setup();
    char r[4096], head[160];
    snprintf(head, sizeof head, "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: %u\r\n"
             "Connection: close\r\n\r\n", LISTENER_MAX_BODY + 1);
    struct sbuf req = {0};
    sbuf_add(&req, head);
    for (unsigned i = 0; i <= LISTENER_MAX_BODY; i++)
        sbuf_addc(&req, 'x');
    exchange(sbuf_str(&req), r, sizeof r);
    sbuf_free(&req);
    CHECK_CONTAINS(r, "HTTP/1.1 413");
    CHECK_INT(listener_unroute(L, &port), 0);
    exchange("POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", r,
             sizeof r);
    CHECK_CONTAINS(r, "HTTP/1.1 404");
    teardown();
}

TEST(bad_addresses_are_refused)
{
    uv_loop_t l;
    uv_loop_init(&l);
    struct http_listener *x;
    char err[128];
    CHECK_INT(listener_open(&l, "127.0.0.1", &x, err, sizeof err), KB_EINVAL);
    CHECK_INT(listener_open(&l, "example.com:80", &x, err, sizeof err), KB_EINVAL);
    CHECK_INT(listener_open(&l, "127.0.0.1:99999", &x, err, sizeof err), KB_EINVAL);
    CHECK(x == NULL);
    CHECK_INT(uv_loop_close(&l), 0);
}

TEST_MAIN(T(answers_with_status_body_and_type), T(oversized_body_is_refused_and_unrouted_paths_go),
          T(bad_addresses_are_refused))
