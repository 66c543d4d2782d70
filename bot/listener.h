/*
 * The embedded HTTP listener: libmicrohttpd driven from the libuv loop
 * (its epoll descriptor watched by a uv_poll handle, its timeouts by a
 * uv_timer), so a request is handled on the loop thread like every other
 * event.  One listener per address; users (an adapter's webhook, later a
 * web console) register paths on it and remove them when they stop; a
 * handler answers a status and, if it likes, a body (struct kb_http_body)
 * and headers.  Bodies over LISTENER_MAX_BODY are answered 413, unknown
 * paths 404; a handler may answer later (req->defer), the connection then
 * waits suspended until listener_answer.  A client idle for LISTENER_IDLE_S
 * is dropped, at most 64 connections are open at once, a body announced
 * larger than LISTENER_DRAIN_MAX is refused before it is sent, requests
 * HTTP/1.1 forbids (no Host, bad header lines) are 400, and paths are
 * matched byte for byte as sent (no %-decoding: "%00" or "%2e%2e" never
 * reach a route).
 */
#ifndef KB_BOT_LISTENER_H
#define KB_BOT_LISTENER_H

#include <stddef.h>
#include <uv.h>

#include "../adapters/adapter.h"

#define LISTENER_MAX_BODY (1u << 20)
#define LISTENER_DRAIN_MAX (8u << 20) /* announced larger: refused before it is sent */
#define LISTENER_IDLE_S 10u

struct http_listener;

/* Listen on addr ("host:port", an IPv4 address or "localhost").  Returns 0
   and *out, or a negative KB_E* with the reason in err. */
int listener_open(uv_loop_t *loop, const char *addr, struct http_listener **out, char *err,
                  size_t cap);
/* The address it was opened with. */
const char *listener_addr(const struct http_listener *l);
/* Serve path (exact match) by fn; owner identifies the user for unroute.
   KB_EINVAL when the path is taken. */
int listener_route(struct http_listener *l, const char *path, kb_serve_fn fn, void *ud,
                   const void *owner);
/* Answer the deferred request ticket with status; KB_ENOTFOUND when it is
   not this listener's (or already answered). */
int listener_answer(struct http_listener *l, int64_t ticket, int status);
/* Remove every path of owner (its deferred requests are answered 503); returns how many paths are left. */
size_t listener_unroute(struct http_listener *l, const void *owner);
/* Stop listening; memory is released once the loop closed the handles.  NULL-safe. */
void listener_close(struct http_listener *l);

#endif
