/*
 * HTTP client: libcurl's multi interface driven by a libuv loop (the
 * multi-uv pattern, with the transfer result, poll errors, bounded bodies
 * and ordered shutdown handled).  Requests are described by
 * struct kb_http_request (adapters/adapter.h); the done callback runs
 * exactly once on the loop.  URLs are never logged unredacted.
 */
#ifndef KB_BOT_HTTP_H
#define KB_BOT_HTTP_H

#include <uv.h>

#include "../adapters/adapter.h"

struct http_client;

/* Create a client on loop.  Returns 0 and *out (free with http_client_free),
   or a negative KB_E*.  Calls curl_global_init once per process. */
int http_client_new(uv_loop_t *loop, struct http_client **out);

#define HTTP_DEFAULT_MAX_CONNECTIONS 16L

/* At most n connections open at once (kept alive and in use together),
   whatever the number of chats; more requests queue.  Default 16. */
void http_client_set_max_connections(struct http_client *c, long n);

/* Start a request.  The request's strings are copied.  done(ud, resp) is
   called exactly once from the loop, never from inside this call.
   Returns 0 or a negative KB_E* (then done is never called). */
int http_request_start(struct http_client *c, const struct kb_http_request *req,
                       kb_http_done_fn done, void *ud);

/* Number of requests in flight. */
size_t http_in_flight(const struct http_client *c);

/* Cancel every request in flight: each done() sees KB_HTTP_CANCELLED. */
void http_cancel_all(struct http_client *c);

/* Cancel everything, release curl and close the client's libuv handles.
   The caller must run the loop afterwards so close callbacks free memory;
   then uv_loop_close succeeds.  NULL-safe. */
void http_client_free(struct http_client *c);

/* Copy url into buf with any "/bot<token>" path segment replaced by
   "/bot<redacted>" and any userinfo/query string removed. */
void http_redact_url(const char *url, char *buf, size_t cap);

#endif
