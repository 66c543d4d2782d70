/*
 * The contract between bot/ and a platform adapter.
 *
 * An adapter translates: platform JSON -> kb_event batches (handed to
 * services->deliver together with the cursor that confirms them), and
 * kb_reply -> platform API requests.  It reaches HTTP, timers, the clock,
 * logging and the engine only through struct adapter_services, which bot/
 * fills in with the real loop and a test fills in with a scripted fake.
 * Adapters never include SQLite, libuv, libcurl or bot/ headers.
 */
#ifndef KB_ADAPTERS_ADAPTER_H
#define KB_ADAPTERS_ADAPTER_H

#include <stddef.h>
#include <stdint.h>

#include "../core/event.h"

/* ---- HTTP as a service ---------------------------------------------- */

struct kb_http_request {
    const char *method;        /* "GET", "POST" or "PUT" */
    const char *url;           /* full URL; may contain a secret: never logged */
    const char *bearer;        /* "Authorization: Bearer" credential, or NULL;
                                  a secret: never logged */
    const char *log_name;      /* what logs may show instead, e.g. "getUpdates" */
    const char *body;          /* POST body or NULL */
    size_t body_len;
    const char *content_type;  /* e.g. "application/json"; NULL for none */
    long timeout_ms;           /* whole transfer, must exceed a long poll */
    long connect_timeout_ms;   /* 0 = default */
    size_t max_response;       /* larger bodies fail the transfer; 0 = default */
};

enum kb_http_outcome {
    KB_HTTP_DONE = 0,          /* got a status line and a complete body */
    KB_HTTP_NOT_SENT,          /* never connected: safe to retry freely */
    KB_HTTP_NO_ANSWER,         /* may have reached the server; no (complete) answer */
    KB_HTTP_CANCELLED          /* shutdown or explicit cancel */
};

struct kb_http_response {
    enum kb_http_outcome outcome;
    long status;               /* HTTP status when outcome == KB_HTTP_DONE */
    const char *body;          /* borrowed for the duration of the callback */
    size_t body_len;
    const char *error;         /* human-readable transport detail, or NULL */
};

typedef void (*kb_http_done_fn)(void *ud, const struct kb_http_response *resp);
typedef void (*kb_timer_fn)(void *ud);
/* one input line without its newline; line == NULL marks the end of one
   read (what arrived together may be delivered as one batch) */
typedef void (*kb_line_fn)(void *ud, const char *line, size_t len);
typedef void (*kb_input_end_fn)(void *ud);

/* ---- WebSocket (receive side) and incoming HTTP as services ----------- */

typedef void (*kb_ws_open_fn)(void *ud);
/* one complete message, borrowed for the duration of the call */
typedef void (*kb_ws_message_fn)(void *ud, const char *data, size_t len);
/* the connection ended (or never opened); called once, then it is gone */
typedef void (*kb_ws_closed_fn)(void *ud, const char *why);

/* One HTTP request received by bot/'s listener, complete with its body. */
struct kb_http_incoming {
    const char *method;
    const char *path;
    const char *body;          /* borrowed for the duration of the call */
    size_t body_len;
    /* a request header (case-insensitive name), or NULL */
    const char *(*header)(const struct kb_http_incoming *req, const char *name);
    /* a query-string argument (as sent, not %-decoded), or NULL */
    const char *(*query)(const struct kb_http_incoming *req, const char *name);
    /* add a header to the answer (copied; at most 4) */
    void (*reply_header)(const struct kb_http_incoming *req, const char *name, const char *value);
    /* answer later: returns a ticket > 0 (0 when it cannot), the handler then
       returns KB_HTTP_LATER and answers through services->http_answer */
    int64_t (*defer)(const struct kb_http_incoming *req);
    void *priv;                /* bot/'s */
};
/* What a handler may answer besides the status; empty by default. */
struct kb_http_body {
    char *data;                /* malloc'ed; bot/ frees it after sending */
    size_t len;
    const char *content_type;  /* a static string, e.g. "application/json" */
};
#define KB_HTTP_LATER 0
/* Handle a request; returns the HTTP status of the answer, whose body the
   handler may fill in, or KB_HTTP_LATER (see defer). */
typedef int (*kb_serve_fn)(void *ud, const struct kb_http_incoming *req,
                           struct kb_http_body *body);

/* ---- the result of sending one reply -------------------------------- */

enum kb_send_outcome {
    KB_SEND_OK = 0,            /* delivered; message_id set when known */
    KB_SEND_RETRY,             /* transient; retry after retry_after_ms (0 = backoff) */
    KB_SEND_RETRY_ONCE,        /* may have been delivered: retry at most once */
    KB_SEND_FAILED,            /* permanent for this message (400) */
    KB_SEND_CHAT_GONE,         /* bot removed / chat not found: mark chat inactive */
    KB_SEND_FATAL              /* the adapter cannot go on (bad token) */
};

struct kb_send_result {
    enum kb_send_outcome outcome;
    long retry_after_ms;       /* platform-imposed wait (429), never undercut */
    const char *message_id;    /* platform id of the sent message, or NULL */
    const char *description;   /* platform's error text, or NULL */
};

typedef void (*kb_send_done_fn)(void *ud, const struct kb_send_result *res);

/* A file the platform keeps (a submission's photo): status 0 with its
   bytes (borrowed for the call), KB_ENOTFOUND, KB_ETOOBIG or KB_ETRANSPORT. */
typedef void (*kb_file_done_fn)(void *ud, int status, const char *data, size_t len);

/* ---- services bot/ provides ----------------------------------------- */

struct adapter_services {
    void *ctx;
    /* the clock (may be a test clock): UTC milliseconds */
    int64_t (*now_ms)(void *ctx);
    /* start a request; done is called exactly once, later, from the loop.
       Returns 0 or a negative KB_E* (then done is never called). */
    int (*http)(void *ctx, const struct kb_http_request *req,
                kb_http_done_fn done, void *ud);
    /* one-shot timer; returns an id > 0, or a negative KB_E* */
    int64_t (*timer_start)(void *ctx, uint64_t ms, kb_timer_fn fire, void *ud);
    void (*timer_cancel)(void *ctx, int64_t id);
    /* apply a batch of events and store the cursor in ONE transaction.
       0 = committed (advance); < 0 = nothing was applied (retry later). */
    int (*deliver)(void *ctx, const struct kb_event *events, size_t n,
                   const char *cursor_key, const char *cursor_value);
    /* read a stored cursor into buf (empty string when none); 0 or KB_E* */
    int (*cursor_load)(void *ctx, const char *key, char *buf, size_t cap);
    /* a line source: the process's standard input, read by bot/'s loop,
       split into lines (over-long lines are dropped with a warning); end is
       called once at end of input.  0 or a negative KB_E*. */
    int (*stdin_lines)(void *ctx, kb_line_fn line, kb_input_end_fn end, void *ud);
    /* open a WebSocket (ws://) with an optional bearer token; returns an
       id > 0 (every outcome then arrives through the callbacks) or a
       negative KB_E* (a URL that cannot work) */
    int64_t (*ws_open)(void *ctx, const char *url, const char *bearer, kb_ws_open_fn open,
                       kb_ws_message_fn message, kb_ws_closed_fn closed, void *ud);
    /* close it without further callbacks (unknown ids are ignored) */
    void (*ws_close)(void *ctx, int64_t id);
    /* serve requests to path on listen ("host:port"), sharing one listener per
       address with other users; until the adapter stops.  0 or KB_E* */
    int (*http_serve)(void *ctx, const char *listen, const char *path, kb_serve_fn serve,
                      void *ud);
    /* answer a deferred request (its ticket from req->defer); unknown
       tickets (the client or the listener went away) are ignored */
    void (*http_answer)(void *ctx, int64_t ticket, int status);
    /* fill buf with n unpredictable bytes; 0 or KB_E* */
    int (*random_bytes)(void *ctx, void *buf, size_t n);
    /* HMAC-SHA1 of data under key, into out[20]; 0 or KB_E* */
    int (*hmac_sha1)(void *ctx, const void *key, size_t key_len, const void *data, size_t len,
                     unsigned char out[20]);
    /* a credential the adapter obtained itself (the access token a password
       login returned), kept by bot/ outside the database in a file only the
       process's user may read.  load: 0 with buf ("" when none) or KB_E*;
       save: 0 (durably written) or KB_E*.  key: [a-z0-9_.-]+ */
    int (*secret_load)(void *ctx, const char *key, char *buf, size_t cap);
    int (*secret_save)(void *ctx, const char *key, const char *value);
    /* write text to the process's standard output */
    void (*stdout_write)(void *ctx, const char *text, size_t len);
    /* this adapter will receive nothing more (its input ended): bot/ stops
       it once its replies are sent, and the process when no adapter is left */
    void (*finished)(void *ctx);
    /* a log line; the adapter never passes secrets here */
    void (*log)(void *ctx, enum kb_log_level level, const char *msg);
    /* the adapter cannot continue (e.g. 401): bot/ stops this adapter and
       starts it again later while other adapters serve; with none left it
       exits with exit_code */
    void (*fatal)(void *ctx, int exit_code, const char *msg);
};

/* ---- the adapter itself ---------------------------------------------- */

struct adapter;

struct adapter_ops {
    const char *name;          /* "console", "telegram" */
    const char *platform;      /* id stored in the DB: "console", "tg" */
    /* begin receiving (long polling, …) */
    int (*start)(struct adapter *a);
    /* stop receiving; in-flight requests are cancelled by bot/ */
    void (*stop)(struct adapter *a);
    /* encode and send one reply; done is called exactly once */
    int (*send)(struct adapter *a, const struct kb_reply *r,
                kb_send_done_fn done, void *ud);
    void (*destroy)(struct adapter *a);
    /* optional (NULL: the platform keeps no files for us): fetch the file
       ref names (a kb_event attachment without its "photo:" kind), at most
       max bytes; done is called exactly once, later (also when the adapter
       is destroyed first).  0, or KB_E* and done is never called. */
    int (*fetch_file)(struct adapter *a, const char *ref, size_t max, kb_file_done_fn done,
                      void *ud);
};

struct adapter {
    const struct adapter_ops *ops;
    const struct adapter_services *svc;
    size_t max_text;           /* longest text one message may carry */
    /* the adapter's own pacing, overriding the "limits" section when > 0 */
    int pace_chat_gap_ms;      /* least time between two messages to one chat */
    int pace_per_group_per_min;
    void *priv;
};

#endif
