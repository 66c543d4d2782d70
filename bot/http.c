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
 * Per request CPU (see docs/PERFORMANCE.md): a transfer that succeeded
 * goes back to a small pool with its easy handle, header list and buffers,
 * and the next request re-sets only the options that differ; a failed or
 * cancelled one is discarded.  URLs are parsed once into a CURLU kept in a
 * small cache (curl otherwise parses and re-prints the URL per transfer).
 * curl forgets a kept-alive socket between transfers (CURL_POLL_REMOVE);
 * its poll handle is kept, still polling for input, until curl closes the
 * socket (CURLOPT_CLOSESOCKETFUNCTION), and the next transfer on that fd
 * takes it over instead of initialising and starting a new one.
 * Note: libcurl resends a request by itself, once, when a reused keep-alive
 * connection dies before any byte of the answer arrived; callers that
 * budget retries of non-idempotent sends should count that possibility.
 * curl is never re-entered from its own callbacks: the timer callback only
 * arms the uv timer (0 ms runs right after the current loop callback)
 * and the socket callback only starts/stops polls.
 */
#include "http.h"

#include <curl/curl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define HTTP_DEFAULT_CONNECT_MS 10000L
#define HTTP_DEFAULT_TIMEOUT_MS 60000L
#define HTTP_DEFAULT_MAX_RESPONSE ((size_t)8 << 20)
#define HTTP_URL_CACHE 8              /* parsed URLs kept (one per API method) */
#define HTTP_IDLE_SOCKS 32            /* stopped poll handles kept for reuse */
#define HTTP_KEEP_BUF ((size_t)16 << 10) /* larger buffers are not pooled */
#define HTTP_LOG_NAME 64

enum http_verb { VERB_NONE = 0, VERB_GET, VERB_POST, VERB_PUT };

/* A URL parsed once; refs counts transfers in flight that use it. */
struct http_url {
    char *url;                 /* may hold a token: wiped when dropped */
    CURLU *uh;
    unsigned refs;
    uint64_t used;             /* for least-recently-used replacement */
};

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
    struct http_sock *idle_socks; /* stopped, kept by fd for the next transfer */
    size_t n_idle_socks;
    struct http_xfer *pool;    /* finished transfers kept for reuse */
    size_t n_pool, pool_cap;
    struct http_url urls[HTTP_URL_CACHE];
    uint64_t url_clock;
};

struct http_sock {
    uv_poll_t poll;
    curl_socket_t fd;
    int events;                /* what poll is started with (0: stopped) */
    int idle;                  /* kept for curl's cached connection */
    struct http_client *client;
    struct http_sock *prev, *next;
};

struct http_xfer {
    struct http_client *client;
    CURL *easy;
    struct curl_slist *headers;
    char log_name[HTTP_LOG_NAME];
    char *buf;
    size_t len, cap, max;
    char *body;                /* the request body (CURLOPT_POSTFIELDS) */
    size_t body_cap;
    int too_large;
    /* what the easy handle was last given, so a reused one is told only
       what changed */
    char *url_set;             /* may hold a token: wiped when dropped */
    CURLU *uh_set;
    struct http_url *url;      /* the cache entry this transfer holds */
    enum http_verb verb;
    long connect_ms, timeout_ms;
    size_t max_set;
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

static char *dup_str(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

static void wipe_free(char *s)
{
    if (s) {
        memset(s, 0, strlen(s));
        free(s);
    }
}

/* Free a header list whose lines may hold a credential. */
static void headers_free(struct curl_slist *h)
{
    for (struct curl_slist *l = h; l; l = l->next)
        memset(l->data, 0, strlen(l->data));
    curl_slist_free_all(h);
}

static void url_release(struct http_xfer *x)
{
    if (x->url)
        x->url->refs--;
    x->url = NULL;
}

static void xfer_free(struct http_xfer *x)
{
    if (!x)
        return;
    url_release(x);
    if (x->easy)
        curl_easy_cleanup(x->easy);
    headers_free(x->headers);
    wipe_free(x->url_set);
    free(x->buf);
    free(x->body);
    free(x);
}

/* Keep a transfer that succeeded for the next request (its easy handle,
   headers and buffers), or free it when the pool is full. */
static void xfer_recycle(struct http_client *c, struct http_xfer *x)
{
    url_release(x);
    if (c->shutting_down || c->n_pool >= c->pool_cap || !x->easy) {
        xfer_free(x);
        return;
    }
    if (x->cap > HTTP_KEEP_BUF) {
        free(x->buf);
        x->buf = NULL;
        x->cap = 0;
    }
    if (x->body_cap > HTTP_KEEP_BUF) {
        free(x->body);
        x->body = NULL;
        x->body_cap = 0;
    }
    x->len = 0;
    x->next = c->pool;
    c->pool = x;
    c->n_pool++;
}

/* Deliver a result for a transfer that is no longer in the multi, then
   recycle (success) or free it.  The body is borrowed by done() only. */
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
    struct http_client *c = x->client;
    uint64_t ms = uv_now(c->loop) - x->started_ms;
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
    /* a handle that failed or was cancelled is not trusted again */
    if (outcome != KB_HTTP_DONE && x->easy) {
        curl_easy_cleanup(x->easy);
        x->easy = NULL;
    }
    done(ud, &resp);
    xfer_recycle(c, x);
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
    if (s->idle) {
        /* the server closed or wrote to an idle connection: curl finds out
           when it next checks the connection; stop the wake-ups */
        uv_poll_stop(&s->poll);
        s->events = 0;
        return;
    }
    int flags = 0;
    if (status < 0) {
        flags = CURL_CSELECT_ERR;
        s->events = 0; /* libuv stopped the poll: a later start must happen */
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

static void sock_unlink(struct http_sock **list, struct http_sock *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        *list = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
}

static void sock_push(struct http_sock **list, struct http_sock *s)
{
    s->prev = NULL;
    s->next = *list;
    if (*list)
        (*list)->prev = s;
    *list = s;
}

static void sock_close(struct http_sock *s)
{
    uv_poll_stop(&s->poll);
    uv_close((uv_handle_t *)&s->poll, on_sock_closed);
}

/* curl is done with fd for now.  When fd is the socket of the connection
   the transfer left in curl's cache, keep the handle for the next transfer
   on it, still polling for input (starting and stopping a poll costs two
   epoll_ctl calls; on_close_socket closes the handle when curl closes the
   socket); any other socket's handle is closed now. */
static void sock_remove(struct http_client *c, CURL *easy, struct http_sock *s)
{
    sock_unlink(&c->socks, s);
    curl_socket_t kept = CURL_SOCKET_BAD;
    if (easy && !c->shutting_down && c->n_idle_socks < HTTP_IDLE_SOCKS)
        curl_easy_getinfo(easy, CURLINFO_ACTIVESOCKET, &kept);
    if (kept != s->fd) {
        sock_close(s);
        return;
    }
    if (s->events & UV_WRITABLE) {
        /* an idle socket is writable all the time */
        s->events = uv_poll_start(&s->poll, UV_READABLE, on_poll) == 0 ? UV_READABLE : 0;
        if (!s->events)
            uv_poll_stop(&s->poll);
    }
    s->idle = 1;
    sock_push(&c->idle_socks, s);
    c->n_idle_socks++;
}

/* curl closes a connection's socket: a handle kept for it goes first (its
   close must not meet the fd number reused by another descriptor). */
static int on_close_socket(void *clientp, curl_socket_t fd)
{
    struct http_client *c = clientp;
    for (struct http_sock *s = c->idle_socks; s; s = s->next)
        if (s->fd == fd) {
            sock_unlink(&c->idle_socks, s);
            c->n_idle_socks--;
            sock_close(s);
            break;
        }
    return close(fd);
}

/* A poll handle for fd: the one kept for it, or a new one. */
static struct http_sock *sock_for(struct http_client *c, curl_socket_t fd)
{
    struct http_sock *s;
    for (s = c->idle_socks; s; s = s->next)
        if (s->fd == fd) {
            sock_unlink(&c->idle_socks, s);
            c->n_idle_socks--;
            s->idle = 0;
            return s;
        }
    s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->fd = fd;
    s->client = c;
    if (uv_poll_init_socket(c->loop, &s->poll, fd) != 0) {
        free(s);
        return NULL;
    }
    s->poll.data = s;
    return s;
}

static int on_socket(CURL *easy, curl_socket_t fd, int action, void *userp, void *socketp)
{
    struct http_client *c = userp;
    struct http_sock *s = socketp;
    if (action == CURL_POLL_REMOVE) {
        if (s) {
            sock_remove(c, easy, s);
            if (!c->shutting_down)
                curl_multi_assign(c->multi, fd, NULL);
        }
        return 0;
    }
    if (c->shutting_down)
        return 0;
    if (!s) {
        s = sock_for(c, fd);
        if (!s)
            return -1;
        sock_push(&c->socks, s);
        curl_multi_assign(c->multi, fd, s);
    }
    int ev = 0;
    if (action & CURL_POLL_IN)
        ev |= UV_READABLE;
    if (action & CURL_POLL_OUT)
        ev |= UV_WRITABLE;
    if (ev == s->events)
        return 0; /* a kept handle often polls for just this already */
    s->events = 0;
    if (ev == 0)
        uv_poll_stop(&s->poll);
    else if (uv_poll_start(&s->poll, ev, on_poll) != 0)
        return -1;
    s->events = ev;
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
    /* the outbox hands over at most one send per connection (its
       max_in_flight): a handle per connection, and one for the receive */
    c->pool_cap = n > 0 ? (size_t)n + 1 : 1;
    while (c->n_pool > c->pool_cap) {
        struct http_xfer *x = c->pool;
        c->pool = x->next;
        c->n_pool--;
        xfer_free(x);
    }
}

#define SETOPT(easy, opt, val)                                  \
    do {                                                        \
        if (curl_easy_setopt((easy), (opt), (val)) != CURLE_OK) \
            bad = 1;                                            \
    } while (0)

/* Does the header line equal name + value? */
static int line_is(const struct curl_slist *l, const char *name, const char *value)
{
    size_t nl = strlen(name);
    return l && strncmp(l->data, name, nl) == 0 && strcmp(l->data + nl, value) == 0;
}

/* The header list a request needs: "Expect:", then Content-Type and
   Authorization when given (in that order). */
static int headers_match(const struct curl_slist *h, const char *content_type,
                         const char *bearer)
{
    if (!h || strcmp(h->data, "Expect:") != 0)
        return 0;
    h = h->next;
    if (content_type) {
        if (!line_is(h, "Content-Type: ", content_type))
            return 0;
        h = h->next;
    }
    if (bearer) {
        if (!line_is(h, "Authorization: Bearer ", bearer))
            return 0;
        h = h->next;
    }
    return h == NULL;
}

/* Append "name: value" to *list; the temporary line is wiped (a value may
   be a credential).  0, or -1 when out of memory. */
static int add_header(struct curl_slist **list, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value);
    char *line = malloc(nl + vl + 1);
    if (!line)
        return -1;
    memcpy(line, name, nl);
    memcpy(line + nl, value, vl + 1);
    struct curl_slist *h = curl_slist_append(*list, line);
    memset(line, 0, nl + vl);
    free(line);
    if (!h)
        return -1;
    *list = h;
    return 0;
}

static struct curl_slist *headers_build(const char *content_type, const char *bearer)
{
    struct curl_slist *h = curl_slist_append(NULL, "Expect:");
    if (h && ((content_type && add_header(&h, "Content-Type: ", content_type)) ||
              (bearer && add_header(&h, "Authorization: Bearer ", bearer)))) {
        headers_free(h);
        h = NULL;
    }
    return h;
}

/* The cached parse of url, taking a reference; NULL when it cannot be
   cached (every slot busy, or a URL curl refuses: curl then parses it
   itself and reports the error as before). */
static struct http_url *url_get(struct http_client *c, const char *url)
{
    struct http_url *spare = NULL;
    for (size_t i = 0; i < HTTP_URL_CACHE; i++) {
        struct http_url *u = &c->urls[i];
        if (u->url && strcmp(u->url, url) == 0) {
            u->refs++;
            u->used = ++c->url_clock;
            return u;
        }
        if (u->refs == 0 && (!spare || !u->url || (spare->url && u->used < spare->used)))
            spare = u;
    }
    if (!spare)
        return NULL;
    /* the flags curl's own parse of CURLOPT_URL uses (url.c) */
    CURLU *uh = curl_url();
    char *copy = dup_str(url);
    if (!uh || !copy ||
        curl_url_set(uh, CURLUPART_URL, url, CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) !=
            CURLUE_OK) {
        curl_url_cleanup(uh);
        wipe_free(copy);
        return NULL;
    }
    curl_url_cleanup(spare->uh);
    wipe_free(spare->url);
    spare->url = copy;
    spare->uh = uh;
    spare->refs = 1;
    spare->used = ++c->url_clock;
    return spare;
}

#define SETOPT(easy, opt, val)                                  \
    do {                                                        \
        if (curl_easy_setopt((easy), (opt), (val)) != CURLE_OK) \
            bad = 1;                                            \
    } while (0)

/* A transfer record with an easy handle whose fixed options are set: one
   from the pool, or a new one.  NULL when out of memory. */
static struct http_xfer *xfer_get(struct http_client *c)
{
    struct http_xfer *x = c->pool;
    if (x) {
        c->pool = x->next;
        c->n_pool--;
        x->next = NULL;
        return x;
    }
    x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->client = c;
    x->easy = curl_easy_init();
    if (!x->easy) {
        free(x);
        return NULL;
    }
    int bad = 0;
    CURL *e = x->easy;
    SETOPT(e, CURLOPT_PRIVATE, (void *)x);
    SETOPT(e, CURLOPT_ERRORBUFFER, x->errbuf);
    SETOPT(e, CURLOPT_WRITEFUNCTION, on_write);
    SETOPT(e, CURLOPT_WRITEDATA, (void *)x);
    SETOPT(e, CURLOPT_NOSIGNAL, 1L);
    SETOPT(e, CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(e, CURLOPT_FOLLOWLOCATION, 0L);
    SETOPT(e, CURLOPT_SSL_VERIFYPEER, 1L);
    SETOPT(e, CURLOPT_SSL_VERIFYHOST, 2L);
    SETOPT(e, CURLOPT_TCP_KEEPALIVE, 1L);
    SETOPT(e, CURLOPT_CLOSESOCKETFUNCTION, on_close_socket);
    SETOPT(e, CURLOPT_CLOSESOCKETDATA, (void *)c);
    if (bad) {
        xfer_free(x);
        return NULL;
    }
    return x;
}

/* Copy the request body into the record's own buffer (curl reads it
   through CURLOPT_POSTFIELDS while the transfer runs). */
static int body_copy(struct http_xfer *x, const char *body, size_t len)
{
    if (len + 1 > x->body_cap) {
        size_t cap = x->body_cap ? x->body_cap : 1024;
        while (cap < len + 1)
            cap *= 2;
        char *nb = realloc(x->body, cap);
        if (!nb)
            return -1;
        x->body = nb;
        x->body_cap = cap;
    }
    if (len)
        memcpy(x->body, body, len);
    x->body[len] = '\0';
    return 0;
}

/* Give the easy handle this request's options, only those that differ
   from what it was last given.  0, KB_EINVAL or KB_ENOMEM. */
static int xfer_configure(struct http_xfer *x, const struct kb_http_request *req,
                          enum http_verb verb)
{
    int bad = 0;
    CURL *e = x->easy;
    if (!x->url_set || strcmp(x->url_set, req->url) != 0) {
        char *copy = dup_str(req->url);
        if (!copy)
            return KB_ENOMEM;
        wipe_free(x->url_set);
        x->url_set = copy;
        SETOPT(e, CURLOPT_URL, req->url);
    }
    /* the URL stays set too: curl reports it and resolves against it */
    x->url = url_get(x->client, req->url);
    CURLU *uh = x->url ? x->url->uh : NULL;
    if (uh != x->uh_set) {
        x->uh_set = uh;
        SETOPT(e, CURLOPT_CURLU, uh);
    }
    if (!headers_match(x->headers, req->content_type, req->bearer)) {
        struct curl_slist *h = headers_build(req->content_type, req->bearer);
        if (!h)
            return KB_ENOMEM;
        SETOPT(e, CURLOPT_HTTPHEADER, h);
        headers_free(x->headers);
        x->headers = h;
    }
    long connect_ms = req->connect_timeout_ms > 0 ? req->connect_timeout_ms : HTTP_DEFAULT_CONNECT_MS;
    long timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS;
    if (connect_ms != x->connect_ms) {
        x->connect_ms = connect_ms;
        SETOPT(e, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    }
    if (timeout_ms != x->timeout_ms) {
        x->timeout_ms = timeout_ms;
        SETOPT(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    }
    if (x->max != x->max_set) {
        x->max_set = x->max;
        SETOPT(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max);
    }
    if (verb != x->verb) {
        if (x->verb == VERB_PUT)
            SETOPT(e, CURLOPT_CUSTOMREQUEST, (char *)NULL);
        if (verb == VERB_GET)
            SETOPT(e, CURLOPT_HTTPGET, 1L);
        else
            SETOPT(e, CURLOPT_POST, 1L);
        if (verb == VERB_PUT)
            SETOPT(e, CURLOPT_CUSTOMREQUEST, "PUT"); /* a body like POST's */
        x->verb = verb;
    }
    if (verb != VERB_GET) {
        size_t len = req->body ? req->body_len : 0;
        /* copied: the caller's body may go away after we return */
        if (body_copy(x, req->body, len))
            return KB_ENOMEM;
        SETOPT(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        SETOPT(e, CURLOPT_POSTFIELDS, x->body);
    }
    if (bad)
        x->verb = VERB_NONE; /* set everything again next time */
    return bad ? KB_EINVAL : KB_OK;
}

int http_request_start(struct http_client *c, const struct kb_http_request *req,
                       kb_http_done_fn done, void *ud)
{
    if (!c || !req || !req->url || !done)
        return KB_EINVAL;
    if (c->shutting_down)
        return KB_ESHUTDOWN;
    enum http_verb verb;
    if (!req->method || strcmp(req->method, "GET") == 0)
        verb = VERB_GET;
    else if (strcmp(req->method, "POST") == 0)
        verb = VERB_POST;
    else if (strcmp(req->method, "PUT") == 0)
        verb = VERB_PUT;
    else
        return KB_EINVAL;

    struct http_xfer *x = xfer_get(c);
    if (!x)
        return KB_ENOMEM;
    x->done = done;
    x->ud = ud;
    x->len = 0;
    x->too_large = 0;
    x->errbuf[0] = '\0';
    x->max = req->max_response ? req->max_response : HTTP_DEFAULT_MAX_RESPONSE;
    x->started_ms = uv_now(c->loop);
    snprintf(x->log_name, sizeof x->log_name, "%s", req->log_name ? req->log_name : "request");
    int rc = xfer_configure(x, req, verb);
    if (rc) {
        xfer_free(x);
        return rc;
    }
    if (curl_multi_add_handle(c->multi, x->easy) != CURLM_OK) {
        xfer_free(x);
        return KB_ETRANSPORT;
    }
    xfer_link(c, x);
    return KB_OK;
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
    while (c->pool) {
        struct http_xfer *x = c->pool;
        c->pool = x->next;
        xfer_free(x);
    }
    c->n_pool = 0;
    curl_multi_cleanup(c->multi);
    c->multi = NULL;
    for (size_t i = 0; i < HTTP_URL_CACHE; i++) {
        curl_url_cleanup(c->urls[i].uh);
        wipe_free(c->urls[i].url);
    }
    memset(c->urls, 0, sizeof c->urls);
    while (c->socks) {
        struct http_sock *s = c->socks;
        sock_unlink(&c->socks, s);
        sock_close(s);
    }
    while (c->idle_socks) {
        struct http_sock *s = c->idle_socks;
        sock_unlink(&c->idle_socks, s);
        sock_close(s);
    }
    c->n_idle_socks = 0;
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
