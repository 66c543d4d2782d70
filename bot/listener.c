/* The embedded HTTP listener; see listener.h. */
#include "listener.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "log.h"

#define MAX_ROUTES 32   /* the console alone has 15 pages and endpoints */
#define MAX_REPLY_HEADERS 4

struct route {
    char *path;
    kb_serve_fn fn;
    void *ud;
    const void *owner;
};

struct http_listener {
    uv_loop_t *loop;
    struct MHD_Daemon *d;
    uv_poll_t poll;
    uv_timer_t timer;
    int handles_open;
    char addr[96];
    struct route routes[MAX_ROUTES];
    size_t n_routes;
    struct upload *deferred;      /* suspended requests waiting for an answer */
    size_t resumed;               /* answered, not yet handed to MHD */
};

/* One request: its body being received, then its answer. */
struct upload {
    struct sbuf body;
    int too_big;
    struct MHD_Connection *conn;
    struct http_listener *l;
    const void *owner;            /* the route that deferred it */
    int64_t ticket;               /* > 0 while suspended, waiting for its answer */
    unsigned status;              /* the deferred answer, once given */
    char *headers[2 * MAX_REPLY_HEADERS]; /* name, value, ... */
    size_t n_headers;
    struct upload *prev, *next;   /* the listener's deferred requests */
};

static int64_t next_ticket;       /* tickets are unique across listeners */

static const char *get_header(const struct kb_http_incoming *req, const char *name)
{
    struct upload *u = req->priv;
    return MHD_lookup_connection_value(u->conn, MHD_HEADER_KIND, name);
}

static const char *get_query(const struct kb_http_incoming *req, const char *name)
{
    struct upload *u = req->priv;
    return MHD_lookup_connection_value(u->conn, MHD_GET_ARGUMENT_KIND, name);
}

static void add_reply_header(const struct kb_http_incoming *req, const char *name,
                             const char *value)
{
    struct upload *u = req->priv;
    if (u->n_headers == MAX_REPLY_HEADERS)
        return;
    u->headers[2 * u->n_headers] = xstrdup(name);
    u->headers[2 * u->n_headers + 1] = xstrdup(value);
    u->n_headers++;
}

static int64_t defer_request(const struct kb_http_incoming *req)
{
    struct upload *u = req->priv;
    if (u->ticket)
        return u->ticket;
    u->ticket = ++next_ticket;
    u->prev = NULL;
    u->next = u->l->deferred;
    if (u->next)
        u->next->prev = u;
    u->l->deferred = u;
    return u->ticket;
}

static void deferred_unlink(struct upload *u)
{
    if (u->prev)
        u->prev->next = u->next;
    else if (u->l->deferred == u)
        u->l->deferred = u->next;
    if (u->next)
        u->next->prev = u->prev;
    u->prev = u->next = NULL;
}

/* Queue the answer: body (may be NULL or empty) is freed here, u's headers
   (u may be NULL) are added. */
static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, struct upload *u,
                              struct kb_http_body *body)
{
    struct MHD_Response *r =
        body && body->data
            ? MHD_create_response_from_buffer(body->len, body->data, MHD_RESPMEM_MUST_FREE)
            : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r) {
        if (body)
            free(body->data);
        return MHD_NO;
    }
    if (body && body->data && body->content_type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, body->content_type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    for (size_t i = 0; u && i < u->n_headers; i++)
        MHD_add_response_header(r, u->headers[2 * i], u->headers[2 * i + 1]);
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *data, size_t *data_size, void **con_cls)
{
    struct http_listener *l = cls;
    (void)version;
    struct upload *u = *con_cls;
    if (!u) { /* headers only so far */
        u = xcalloc(1, sizeof *u);
        u->conn = conn;
        u->l = l;
        *con_cls = u;
        /* a body announced far too big is refused before it is sent; a
           little too big is read and dropped, so the client sees the 413
           rather than a reset in the middle of its upload */
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > LISTENER_DRAIN_MAX) {
            u->too_big = 1;
            return answer(conn, MHD_HTTP_CONTENT_TOO_LARGE, NULL, NULL);
        }
        return MHD_YES;
    }
    if (u->status) { /* resumed with its deferred answer */
        l->resumed--;
        return answer(conn, u->status, u, NULL);
    }
    if (*data_size) {
        if (u->body.len + *data_size > LISTENER_MAX_BODY)
            u->too_big = 1;
        else
            sbuf_addn(&u->body, data, *data_size);
        *data_size = 0;
        return MHD_YES;
    }
    if (u->too_big)
        return answer(conn, MHD_HTTP_CONTENT_TOO_LARGE, NULL, NULL);
    for (size_t i = 0; i < l->n_routes; i++) {
        if (strcmp(l->routes[i].path, url) != 0)
            continue;
        struct kb_http_incoming req = {.method = method, .path = url,
                                       .body = sbuf_str(&u->body), .body_len = u->body.len,
                                       .header = get_header, .query = get_query,
                                       .reply_header = add_reply_header,
                                       .defer = defer_request, .priv = u};
        struct kb_http_body body = {0};
        int status = l->routes[i].fn(l->routes[i].ud, &req, &body);
        if (status == KB_HTTP_LATER && u->ticket) {
            free(body.data); /* a deferred answer has no body */
            u->owner = l->routes[i].owner;
            MHD_suspend_connection(conn);
            return MHD_YES;
        }
        if (u->ticket) /* deferred, then answered at once after all */
            deferred_unlink(u);
        return answer(conn, status >= 100 && status <= 599 ? (unsigned)status : 500u, u, &body);
    }
    return answer(conn, MHD_HTTP_NOT_FOUND, NULL, NULL);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode why)
{
    (void)cls;
    (void)conn;
    (void)why;
    struct upload *u = *con_cls;
    if (u) {
        if (u->ticket && !u->status)
            deferred_unlink(u);
        sbuf_free(&u->body);
        for (size_t i = 0; i < 2 * u->n_headers; i++)
            free(u->headers[i]);
        free(u);
    }
    *con_cls = NULL;
}

/* Paths are matched byte for byte as sent: no %-decoding, so "%00" or
   "%2e%2e" can never turn into a path we serve. */
static size_t keep_escaped(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    return strlen(s);
}

static void on_timer(uv_timer_t *t);

/* Let MHD work, then wake again when it next needs to (a timeout). */
static void run_daemon(struct http_listener *l)
{
    MHD_run(l->d);
    MHD_UNSIGNED_LONG_LONG ms;
    if (MHD_get_timeout(l->d, &ms) == MHD_YES)
        uv_timer_start(&l->timer, on_timer, ms, 0);
    else
        uv_timer_stop(&l->timer);
}

static void on_timer(uv_timer_t *t)
{
    run_daemon(t->data);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    (void)status;
    (void)events;
    run_daemon(p->data);
}

static int parse_addr(const char *addr, struct sockaddr_in *sa)
{
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr || colon - addr >= 64)
        return -1;
    char host[64];
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 1 || port > 65535)
        return -1;
    if (!strcmp(host, "localhost"))
        snprintf(host, sizeof host, "127.0.0.1");
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

int listener_open(uv_loop_t *loop, const char *addr, struct http_listener **out, char *err,
                  size_t cap)
{
    *out = NULL;
    struct sockaddr_in sa;
    if (!addr || strlen(addr) >= sizeof((struct http_listener *)0)->addr || parse_addr(addr, &sa)) {
        snprintf(err, cap, "listen address must be <IPv4 address>:<port>");
        return KB_EINVAL;
    }
    struct http_listener *l = xcalloc(1, sizeof *l);
    l->loop = loop;
    snprintf(l->addr, sizeof l->addr, "%s", addr);
    l->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, on_request, l,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)LISTENER_IDLE_S,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
                            MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
                            MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, l, MHD_OPTION_END);
    const union MHD_DaemonInfo *info =
        l->d ? MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
    if (!info) {
        snprintf(err, cap, "cannot listen on %s (address in use or not ours?)", addr);
        if (l->d)
            MHD_stop_daemon(l->d);
        free(l);
        return KB_ETRANSPORT;
    }
    uv_poll_init(loop, &l->poll, info->epoll_fd);
    uv_timer_init(loop, &l->timer);
    l->poll.data = l->timer.data = l;
    l->handles_open = 2;
    uv_poll_start(&l->poll, UV_READABLE, on_poll);
    run_daemon(l);
    *out = l;
    return KB_OK;
}

const char *listener_addr(const struct http_listener *l)
{
    return l->addr;
}

int listener_route(struct http_listener *l, const char *path, kb_serve_fn fn, void *ud,
                   const void *owner)
{
    if (!path || path[0] != '/' || l->n_routes == MAX_ROUTES)
        return KB_EINVAL;
    for (size_t i = 0; i < l->n_routes; i++)
        if (!strcmp(l->routes[i].path, path))
            return KB_EINVAL;
    l->routes[l->n_routes++] = (struct route){xstrdup(path), fn, ud, owner};
    return KB_OK;
}

/* Give a suspended request its answer; MHD sends it on its next run, which
   a zero timer brings (never re-enter MHD_run from here: we may be inside it). */
static void resume_with(struct upload *u, unsigned status)
{
    struct http_listener *l = u->l;
    deferred_unlink(u);
    u->status = status;
    l->resumed++;
    MHD_resume_connection(u->conn);
    uv_timer_start(&l->timer, on_timer, 0, 0);
}

int listener_answer(struct http_listener *l, int64_t ticket, int status)
{
    for (struct upload *u = l->deferred; u; u = u->next) {
        if (u->ticket == ticket) {
            resume_with(u, status >= 100 && status <= 599 ? (unsigned)status : 500u);
            return KB_OK;
        }
    }
    return KB_ENOTFOUND;
}

size_t listener_unroute(struct http_listener *l, const void *owner)
{
    for (struct upload *u = l->deferred, *next; u; u = next) {
        next = u->next;
        if (u->owner == owner)
            resume_with(u, MHD_HTTP_SERVICE_UNAVAILABLE);
    }
    size_t k = 0;
    for (size_t i = 0; i < l->n_routes; i++) {
        if (l->routes[i].owner == owner)
            free(l->routes[i].path);
        else
            l->routes[k++] = l->routes[i];
    }
    l->n_routes = k;
    return k;
}

static void handle_closed(uv_handle_t *h)
{
    struct http_listener *l = h->data;
    if (--l->handles_open == 0)
        free(l);
}

void listener_close(struct http_listener *l)
{
    if (!l)
        return;
    uv_poll_stop(&l->poll);
    for (size_t i = 0; i < l->n_routes; i++)
        free(l->routes[i].path);
    l->n_routes = 0;
    while (l->deferred)
        resume_with(l->deferred, MHD_HTTP_SERVICE_UNAVAILABLE);
    for (int i = 0; l->resumed && i < 3; i++)
        MHD_run(l->d); /* let late answers out (non-blocking) before the sockets close */
    MHD_stop_daemon(l->d);
    l->d = NULL;
    uv_close((uv_handle_t *)&l->poll, handle_closed);
    uv_close((uv_handle_t *)&l->timer, handle_closed);
}
