/*
 * HTTP client: libcurl multi driven by libuv (see http.h and STYLE 2.5).
 *
 * Shape (after curl's docs/examples/multi-uv.c, with its gaps filled):
 *   - one struct http_client: loop, multi, one uv_timer_t; it is curl's
 *     SOCKETDATA and TIMERDATA;
 *   - per socket a struct http_sock {uv_poll_t, fd}, attached with
 *     curl_multi_assign and freed only in its uv_close callback;
 *   - per transfer a struct http_xfer, stored with CURLOPT_PRIVATE;
 *   - after every curl_multi_socket_action, drain curl_multi_info_read.
 * Note: libcurl resends a request by itself, once, when a reused keep-alive
 * connection dies before any byte of the answer arrived; callers that
 * budget retries of non-idempotent sends should count that possibility.
 * curl is never re-entered from its own callbacks: the timer callback only
 * arms the uv timer (0 ms becomes 1 ms) and the socket callback only
 * starts/stops polls.
 */
#include "http.h"

#include <curl/curl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define HTTP_DEFAULT_CONNECT_MS 10000L
#define HTTP_DEFAULT_TIMEOUT_MS 60000L
#define HTTP_DEFAULT_MAX_RESPONSE ((size_t)8 << 20)

struct http_sock;
struct http_xfer;

struct http_client {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    int shutting_down;     /* http_client_free started: refuse new work */
    int depth;             /* > 0 while inside check_multi_info */
    int free_pending;      /* http_client_free called from a done callback */
    size_t in_flight;
    struct http_xfer *xfers;   /* in-flight transfers (doubly linked) */
    struct http_sock *socks;   /* sockets being polled (doubly linked) */
};

struct http_sock {
    uv_poll_t poll;
    curl_socket_t fd;
    struct http_client *client;
    struct http_sock *prev, *next;
};

struct http_xfer {
    struct http_client *client;
    CURL *easy;
    struct curl_slist *headers;
    char *log_name;
    char *buf;
    size_t len, cap, max;
    int too_large;
    uint64_t started_ms;
    kb_http_done_fn done;
    void *ud;
    char errbuf[CURL_ERROR_SIZE];
    struct http_xfer *prev, *next;
};

static int curl_global_ready;

/* ---- helpers -------------------------------------------------------- */

static void xfer_link(struct http_client *c, struct http_xfer *x)
{
    x->prev = NULL;
    x->next = c->xfers;
    if (c->xfers)
        c->xfers->prev = x;
    c->xfers = x;
    c->in_flight++;
}

static void xfer_unlink(struct http_client *c, struct http_xfer *x)
{
    if (x->prev)
        x->prev->next = x->next;
    else
        c->xfers = x->next;
    if (x->next)
        x->next->prev = x->prev;
    x->prev = x->next = NULL;
    c->in_flight--;
}

static void xfer_free(struct http_xfer *x)
{
    if (!x)
        return;
    if (x->easy)
        curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->headers);
    free(x->log_name);
    free(x->buf);
    free(x);
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

/* Deliver a result for a transfer that is no longer in the multi, then
   free it.  The body is borrowed by done() only. */
static void xfer_finish(struct http_xfer *x, enum kb_http_outcome outcome, long status,
                        const char *error)
{
    struct kb_http_response resp;
    memset(&resp, 0, sizeof resp);
    resp.outcome = outcome;
    resp.status = status;
    resp.body = x->buf ? x->buf : "";
    resp.body_len = x->len;
    resp.error = error;
    uint64_t ms = uv_now(x->client->loop) - x->started_ms;
    if (outcome == KB_HTTP_DONE)
        log_debug("http", "%s %ld (%zu bytes, %llu ms)", x->log_name, status, x->len,
                  (unsigned long long)ms);
    else
        log_debug("http", "%s: %s%s%s (%llu ms)", x->log_name,
                  outcome == KB_HTTP_NOT_SENT    ? "not sent"
                  : outcome == KB_HTTP_CANCELLED ? "cancelled"
                                                 : "no answer",
                  error ? ": " : "", error ? error : "", (unsigned long long)ms);
    kb_http_done_fn done = x->done;
    void *ud = x->ud;
    /* the body must survive the callback, the easy handle need not */
    if (x->easy) {
        curl_easy_cleanup(x->easy);
        x->easy = NULL;
    }
    done(ud, &resp);
    xfer_free(x);
}

/* Errors that mean the request never left this host. */
static int result_not_sent(CURLcode rc)
{
    switch (rc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_LOGIN_DENIED:
        return 1;
    default:
        return 0;
    }
}

/* ---- completion ------------------------------------------------------ */

static void client_release(struct http_client *c);

static void enter(struct http_client *c)
{
    c->depth++;
}

/* Leave a delivery section; the last one out performs a deferred free. */
static void leave(struct http_client *c)
{
    c->depth--;
    if (c->depth == 0 && c->free_pending) {
        c->free_pending = 0;
        client_release(c);
    }
}

static void check_multi_info(struct http_client *c)
{
    CURLMsg *msg;
    int pending;
    enter(c);
    while (!c->shutting_down && (msg = curl_multi_info_read(c->multi, &pending)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *easy = msg->easy_handle;
        CURLcode rc = msg->data.result;
        struct http_xfer *x = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
        long status = 0;
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        curl_off_t pretransfer = 0;
        curl_easy_getinfo(easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
        /* msg is invalid after this */
        curl_multi_remove_handle(c->multi, easy);
        if (!x) {
            curl_easy_cleanup(easy);
            continue;
        }
        xfer_unlink(c, x);
        if (rc == CURLE_OK) {
            xfer_finish(x, KB_HTTP_DONE, status, NULL);
        } else if (x->too_large || rc == CURLE_FILESIZE_EXCEEDED) {
            xfer_finish(x, KB_HTTP_NO_ANSWER, 0, "response too large");
        } else {
            /* a request that never reached the transfer phase was not sent */
            enum kb_http_outcome o = (result_not_sent(rc) || pretransfer == 0)
                                         ? KB_HTTP_NOT_SENT
                                         : KB_HTTP_NO_ANSWER;
            /* errbuf lives in x, which xfer_finish frees only after done() */
            const char *err = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);
            xfer_finish(x, o, 0, err);
        }
    }
    leave(c);
}

/* ---- libuv -> curl ----------------------------------------------------- */

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct http_sock *s = h->data;
    struct http_client *c = s->client;
    int flags = 0;
    if (status < 0) {
        flags = CURL_CSELECT_ERR;
    } else {
        if (events & UV_READABLE)
            flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
            flags |= CURL_CSELECT_OUT;
    }
    int running = 0;
    /* s may be closed by the socket callback inside this call */
    curl_multi_socket_action(c->multi, s->fd, flags, &running);
    check_multi_info(c);
}

static void on_timer(uv_timer_t *h)
{
    struct http_client *c = h->data;
    int running = 0;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_multi_info(c);
}

/* ---- curl -> libuv (never calls back into curl) ------------------------ */

static void on_sock_closed(uv_handle_t *h)
{
    free(h->data);
}

static void sock_close(struct http_client *c, struct http_sock *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        c->socks = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
    uv_poll_stop(&s->poll);
    uv_close((uv_handle_t *)&s->poll, on_sock_closed);
}

static int on_socket(CURL *easy, curl_socket_t fd, int action, void *userp, void *socketp)
{
    struct http_client *c = userp;
    struct http_sock *s = socketp;
    (void)easy;
    if (action == CURL_POLL_REMOVE) {
        if (s) {
            sock_close(c, s);
            if (!c->shutting_down)
                curl_multi_assign(c->multi, fd, NULL);
        }
        return 0;
    }
    if (c->shutting_down)
        return 0;
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s)
            return -1;
        s->fd = fd;
        s->client = c;
        if (uv_poll_init_socket(c->loop, &s->poll, fd) != 0) {
            free(s);
            return -1;
        }
        s->poll.data = s;
        s->next = c->socks;
        if (c->socks)
            c->socks->prev = s;
        c->socks = s;
        curl_multi_assign(c->multi, fd, s);
    }
    int ev = 0;
    if (action & CURL_POLL_IN)
        ev |= UV_READABLE;
    if (action & CURL_POLL_OUT)
        ev |= UV_WRITABLE;
    if (uv_poll_start(&s->poll, ev, on_poll) != 0)
        return -1;
    return 0;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    struct http_client *c = userp;
    (void)multi;
    if (c->shutting_down)
        return 0;
    if (timeout_ms < 0) {
        uv_timer_stop(&c->timer);
    } else {
        /* curl is never re-entered from here: 0 runs on_timer from the loop,
           right after the current timer callback (a send queued by the
           outbox's pump goes out before anything else runs), not 1 ms later */
        uv_timer_start(&c->timer, on_timer, (uint64_t)timeout_ms, 0);
    }
    return 0;
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct http_xfer *x = ud;
    size_t n = size * nmemb;
    if (n > x->max - x->len) {
        x->too_large = 1;
        return 0;
    }
    if (x->len + n + 1 > x->cap) {
        size_t ncap = x->cap ? x->cap * 2 : 4096;
        while (ncap < x->len + n + 1)
            ncap *= 2;
        if (ncap > x->max + 1)
            ncap = x->max + 1;
        char *nb = realloc(x->buf, ncap);
        if (!nb)
            return 0;
        x->buf = nb;
        x->cap = ncap;
    }
    memcpy(x->buf + x->len, ptr, n);
    x->len += n;
    x->buf[x->len] = '\0';
    return n;
}

/* ---- public API -------------------------------------------------------- */

int http_client_new(uv_loop_t *loop, struct http_client **out)
{
    if (!loop || !out)
        return KB_EINVAL;
    *out = NULL;
    if (!curl_global_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return KB_ETRANSPORT;
        curl_global_ready = 1;
    }
    struct http_client *c = calloc(1, sizeof *c);
    if (!c)
        return KB_ENOMEM;
    c->loop = loop;
    c->multi = curl_multi_init();
    if (!c->multi) {
        free(c);
        return KB_ENOMEM;
    }
    if (uv_timer_init(loop, &c->timer) != 0) {
        curl_multi_cleanup(c->multi);
        free(c);
        return KB_ETRANSPORT;
    }
    c->timer.data = c;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    http_client_set_max_connections(c, HTTP_DEFAULT_MAX_CONNECTIONS);
    *out = c;
    return KB_OK;
}

void http_client_set_max_connections(struct http_client *c, long n)
{
    /* beyond the cap, transfers wait in curl's queue for a free connection */
    curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, n);
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, n);
}

#define SETOPT(easy, opt, val)                                  \
    do {                                                        \
        if (curl_easy_setopt((easy), (opt), (val)) != CURLE_OK) \
            bad = 1;                                            \
    } while (0)

/* Append "name: value" to the transfer's headers; the temporary line is
   wiped (a value may be a credential).  0, or -1 when out of memory. */
static int add_header(struct http_xfer *x, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value);
    char *line = malloc(nl + vl + 1);
    if (!line)
        return -1;
    memcpy(line, name, nl);
    memcpy(line + nl, value, vl + 1);
    struct curl_slist *h = curl_slist_append(x->headers, line);
    memset(line, 0, nl + vl);
    free(line);
    if (!h)
        return -1;
    x->headers = h;
    return 0;
}

int http_request_start(struct http_client *c, const struct kb_http_request *req,
                       kb_http_done_fn done, void *ud)
{
    if (!c || !req || !req->url || !done)
        return KB_EINVAL;
    if (c->shutting_down)
        return KB_ESHUTDOWN;
    int post, put = 0;
    if (!req->method || strcmp(req->method, "GET") == 0)
        post = 0;
    else if (strcmp(req->method, "POST") == 0)
        post = 1;
    else if (strcmp(req->method, "PUT") == 0)
        post = put = 1; /* a body like POST's, under another verb */
    else
        return KB_EINVAL;

    struct http_xfer *x = calloc(1, sizeof *x);
    if (!x)
        return KB_ENOMEM;
    x->client = c;
    x->done = done;
    x->ud = ud;
    x->max = req->max_response ? req->max_response : HTTP_DEFAULT_MAX_RESPONSE;
    x->started_ms = uv_now(c->loop);
    x->log_name = dup_str(req->log_name ? req->log_name : "request");
    x->easy = curl_easy_init();
    if (!x->log_name || !x->easy)
        goto nomem;

    struct curl_slist *h = curl_slist_append(NULL, "Expect:");
    if (!h)
        goto nomem;
    x->headers = h;
    if ((req->content_type && add_header(x, "Content-Type: ", req->content_type)) ||
        (req->bearer && add_header(x, "Authorization: Bearer ", req->bearer)))
        goto nomem;

    int bad = 0;
    CURL *e = x->easy;
    long connect_ms = req->connect_timeout_ms > 0 ? req->connect_timeout_ms : HTTP_DEFAULT_CONNECT_MS;
    long timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS;
    SETOPT(e, CURLOPT_URL, req->url);
    SETOPT(e, CURLOPT_PRIVATE, (void *)x);
    SETOPT(e, CURLOPT_ERRORBUFFER, x->errbuf);
    SETOPT(e, CURLOPT_WRITEFUNCTION, on_write);
    SETOPT(e, CURLOPT_WRITEDATA, (void *)x);
    SETOPT(e, CURLOPT_HTTPHEADER, x->headers);
    SETOPT(e, CURLOPT_NOSIGNAL, 1L);
    SETOPT(e, CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(e, CURLOPT_FOLLOWLOCATION, 0L);
    SETOPT(e, CURLOPT_SSL_VERIFYPEER, 1L);
    SETOPT(e, CURLOPT_SSL_VERIFYHOST, 2L);
    SETOPT(e, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    SETOPT(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    SETOPT(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max);
    SETOPT(e, CURLOPT_TCP_KEEPALIVE, 1L);
    if (post) {
        size_t len = req->body ? req->body_len : 0;
        SETOPT(e, CURLOPT_POST, 1L);
        SETOPT(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        /* copied: the caller's body may go away after we return */
        SETOPT(e, CURLOPT_COPYPOSTFIELDS, len ? req->body : "");
        if (put)
            SETOPT(e, CURLOPT_CUSTOMREQUEST, "PUT");
    } else {
        SETOPT(e, CURLOPT_HTTPGET, 1L);
    }
    if (bad) {
        xfer_free(x);
        return KB_EINVAL;
    }
    if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
        xfer_free(x);
        return KB_ETRANSPORT;
    }
    xfer_link(c, x);
    return KB_OK;

nomem:
    xfer_free(x);
    return KB_ENOMEM;
}

size_t http_in_flight(const struct http_client *c)
{
    return c ? c->in_flight : 0;
}

/* Cancel the transfers in flight now; ones started from a done() callback
   meanwhile are left alone (unless the client is shutting down, when none
   can start). */
static void cancel_inflight(struct http_client *c)
{
    struct http_xfer *list = c->xfers;
    c->xfers = NULL;
    c->in_flight = 0;
    while (list) {
        struct http_xfer *x = list;
        list = x->next;
        x->prev = x->next = NULL;
        if (c->multi)
            curl_multi_remove_handle(c->multi, x->easy);
        xfer_finish(x, KB_HTTP_CANCELLED, 0, "cancelled");
    }
}

void http_cancel_all(struct http_client *c)
{
    if (!c)
        return;
    enter(c);
    cancel_inflight(c);
    leave(c);
}

static void on_client_closed(uv_handle_t *h)
{
    free(h->data);
}

static void client_release(struct http_client *c)
{
    /* the socket callback runs here for cached connections (REMOVE only) */
    curl_multi_cleanup(c->multi);
    c->multi = NULL;
    while (c->socks)
        sock_close(c, c->socks);
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, on_client_closed);
}

void http_client_free(struct http_client *c)
{
    if (!c || c->shutting_down)
        return;
    c->shutting_down = 1;
    c->free_pending = 1;
    enter(c);
    cancel_inflight(c);
    leave(c);
}

/* ---- URL redaction ------------------------------------------------------ */

struct out {
    char *buf;
    size_t cap, len;
};

static void put(struct out *o, const char *s, size_t n)
{
    while (n-- > 0 && o->len + 1 < o->cap)
        o->buf[o->len++] = *s++;
    o->buf[o->len] = '\0';
}

void http_redact_url(const char *url, char *buf, size_t cap)
{
    if (!buf || cap == 0)
        return;
    buf[0] = '\0';
    if (!url)
        return;
    struct out o = {buf, cap, 0};
    const char *auth = url;
    const char *scheme_end = strstr(url, "://");
    if (scheme_end && (size_t)(scheme_end - url) < strcspn(url, "/?#")) {
        put(&o, url, (size_t)(scheme_end + 3 - url));
        auth = scheme_end + 3;
    }
    const char *auth_end = auth + strcspn(auth, "/?#");
    const char *host = auth;
    for (const char *p = auth; p < auth_end; p++)
        if (*p == '@')
            host = p + 1;   /* drop user:password@ */
    put(&o, host, (size_t)(auth_end - host));

    const char *p = auth_end;
    const char *path_end = p + strcspn(p, "?#");
    while (p < path_end) {
        /* p is at a '/' (or the path's first character) */
        const char *seg = p;
        if (*seg == '/') {
            put(&o, "/", 1);
            seg++;
        }
        const char *seg_end = seg;
        while (seg_end < path_end && *seg_end != '/')
            seg_end++;
        size_t n = (size_t)(seg_end - seg);
        if (n > 3 && memcmp(seg, "bot", 3) == 0)
            put(&o, "bot<redacted>", sizeof "bot<redacted>" - 1);
        else
            put(&o, seg, n);
        p = seg_end;
    }
}
