/*
 * A fake Telegram Bot API server for tests and benchmarks.
 *
 * It runs on a caller-provided uv_loop_t, listens on 127.0.0.1 with a
 * kernel-chosen port (fake_tg_port), and speaks just enough HTTP/1.1:
 * keep-alive, Content-Length bodies, GET with a query string, POST with a
 * JSON (or form-encoded) body.
 *
 * Bot API paths are /bot<token>/<method>; a wrong token gets 401.  Methods:
 * getMe, getUpdates (Telegram's offset/limit/timeout semantics, long poll),
 * sendMessage, editMessageText, answerCallbackQuery, getChatAdministrators,
 * setMyCommands, setWebhook, deleteWebhook (while a webhook is set,
 * getUpdates answers 409 as Telegram does; updates are then POSTed by the
 * test itself, playing Telegram).  Every Bot API request is recorded.
 *
 * Control endpoints (plain JSON, never faulted, never recorded):
 *   POST /control/updates   [Update, ...] or one Update; update_id assigned
 *   POST /control/raw_update?id=N   one Update served byte for byte as
 *                           given (JSON cJSON would refuse, ids past 2^53)
 *   POST /control/generate  {"n":N,"chats":C,"users":U,"text":"/checkin",
 *                            "start_time":T,"first":K,"per_s":R}
 *                           message i (K <= i < K+N) is from user
 *                           (i / C) % U in chat i % C; with per_s they
 *                           become available at R per second, evenly
 *                           (a steady load), else all at once
 *   POST /control/fault     {"kind":"429","count":N,"method":"sendMessage",
 *                            "retry_after":S,"description":"...","delay_ms":M}
 *                           or random faults: {"rate":P,"seed":N,
 *                            "kinds":["429","500",...],"delay_ms":M,
 *                            "method":"sendMessage"} (method: only it)
 *                            (kinds default: all but mute; delay default 20..320 ms)
 *   POST /control/admins    {"chat_id":ID,"user_ids":[...]}
 *   GET  /control/requests[?method=M][&accepted=1]
 *                           [{"method","body","accepted","time_ms"}, ...];
 *                           accepted: a sendMessage the fake delivered into
 *                           its chat (not one it answered with a fault or
 *                           429); accepted=1 lists only those
 *   GET  /control/stats     counts per method, 429s, pending updates, and
 *                           latency_ms {n,p50,p99,max}: for each sendMessage
 *                           replying to a /control/generate message, the
 *                           time since that message became available
 *                           (generated, or released at per_s), to 0.01 ms
 *                           (?clear_latency: start those figures afresh)
 *   POST /control/reset     forget updates, requests, faults, admins, stats
 *   POST /control/quit      answer, then call the quit callback
 * /control/requests answers a bare JSON array and /control/stats a bare
 * object; the others answer {"ok":true,...} or {"ok":false,"description":..}.
 *
 * Ownership: strings passed in are copied; strings returned by *_json()
 * are heap memory the caller frees with free().
 */
#ifndef KB_TESTS_FAKE_TG_H
#define KB_TESTS_FAKE_TG_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct fake_tg;

struct fake_tg_options {
    const char *token;         /* NULL: accept any token */
    const char *bot_username;  /* NULL: "kocbot_test_bot" */
    uint64_t seed;             /* random faults PRNG seed */
    double fault_rate;         /* 0..1: fraction of Bot API requests faulted */
    int enforce_limits;        /* 429 when Telegram's send limits are exceeded */
};

enum fake_tg_fault_kind {
    FAKE_TG_FAULT_429 = 0,     /* Too Many Requests, parameters.retry_after */
    FAKE_TG_FAULT_500,
    FAKE_TG_FAULT_502,
    FAKE_TG_FAULT_409,         /* Conflict */
    FAKE_TG_FAULT_400,         /* Bad Request: <description> */
    FAKE_TG_FAULT_403,         /* Forbidden: bot was kicked */
    FAKE_TG_FAULT_DELAY,       /* wait delay_ms, then answer normally */
    FAKE_TG_FAULT_TRUNCATE,    /* full Content-Length, half the body, close */
    FAKE_TG_FAULT_BAD_JSON,    /* 200 with a body that is not JSON */
    FAKE_TG_FAULT_CLOSE,       /* close the connection without answering */
    FAKE_TG_FAULT_MUTE,        /* deliver the message, never answer: the answer is
                                  lost on its way (scripted only, never random) */
    FAKE_TG_FAULT_KINDS
};

struct fake_tg_fault {
    enum fake_tg_fault_kind kind;
    int count;                 /* the next count matching requests (>= 1) */
    const char *method;        /* only this method; NULL = any */
    int retry_after;           /* 429: seconds (default 1) */
    const char *description;   /* 400/403/...: override the text */
    long delay_ms;             /* DELAY: how long (default 1000) */
};

struct fake_tg_stats {
    size_t requests;           /* Bot API requests recorded */
    size_t connections;        /* TCP connections accepted, ever */
    size_t open_connections;
    size_t pending_updates;    /* queued, not yet confirmed */
    size_t sent_429;           /* every 429 answered */
    size_t limit_429;          /* 429s from --enforce-limits */
    size_t faults;             /* scripted + random faults applied */
    size_t early_retries;      /* requests for a chat (or getUpdates) sent
                                  before a 429's retry_after had passed */
    size_t messages_sent;      /* successful sendMessage */
    int64_t first_send_ms;     /* wall-clock ms of the first/last successful */
    int64_t last_send_ms;      /* sendMessage; 0 if none */
};

/* A recorded Bot API request; pointers live until reset/free. */
struct fake_tg_request {
    const char *method;
    const char *body;          /* JSON object text (query/form turned into JSON) */
    int64_t time_ms;           /* wall clock */
};

typedef void (*fake_tg_quit_fn)(void *ud);

/* Start listening on 127.0.0.1:0.  opts may be NULL.  0 or negative errno. */
int fake_tg_new(uv_loop_t *loop, const struct fake_tg_options *opts, struct fake_tg **out);
/* Close everything (held requests are dropped).  The caller then runs the
   loop so close callbacks free memory.  NULL-safe. */
void fake_tg_free(struct fake_tg *s);
int fake_tg_port(const struct fake_tg *s);
/* Called after the answer to POST /control/quit has been written. */
void fake_tg_set_quit_cb(struct fake_tg *s, fake_tg_quit_fn fn, void *ud);
void fake_tg_set_username(struct fake_tg *s, const char *username);

/* Queue one Update object or an array of them (JSON text); update_id is
   assigned when missing.  Wakes held getUpdates.  Returns the number queued
   or a negative value for invalid JSON. */
int fake_tg_push_update(struct fake_tg *s, const char *json);
/* Queue one Update's text verbatim under update_id id. */
int fake_tg_push_raw_update(struct fake_tg *s, int64_t id, const char *json, size_t len);
/* Synthesize n group text messages spread over chats/users (cheap). */
int fake_tg_generate(struct fake_tg *s, size_t n, size_t chats, size_t users,
                     const char *text, int64_t start_time);
/* The same for messages first .. first+n-1 of that sequence; per_s > 0
   releases them at that rate from now on (one paced generate at a time:
   -EBUSY while one is still releasing). */
int fake_tg_generate_from(struct fake_tg *s, size_t first, size_t n, size_t chats, size_t users,
                          const char *text, int64_t start_time, double per_s);
/* Script a fault for the next f->count matching requests. */
int fake_tg_fault(struct fake_tg *s, const struct fake_tg_fault *f);
/* Parse "429", "500", "delay", "close", "truncate", "bad_json", ... */
int fake_tg_fault_kind_parse(const char *name, enum fake_tg_fault_kind *out);
int fake_tg_set_admins(struct fake_tg *s, int64_t chat_id, const int64_t *user_ids, size_t n);

size_t fake_tg_request_count(const struct fake_tg *s, const char *method);
/* The i-th recorded request (of method, or of all when NULL); NULL if none. */
const struct fake_tg_request *fake_tg_request_at(const struct fake_tg *s, const char *method,
                                                 size_t i);
/* JSON array of recorded requests; free() the result. */
char *fake_tg_requests_json(const struct fake_tg *s, const char *method, int accepted_only);
void fake_tg_get_stats(const struct fake_tg *s, struct fake_tg_stats *out);
/* Stats as the JSON GET /control/stats serves; free() the result. */
char *fake_tg_stats_json(const struct fake_tg *s);
size_t fake_tg_pending_updates(const struct fake_tg *s);
/* Forget updates, requests, faults, admins, limits and counters. */
void fake_tg_reset(struct fake_tg *s);

#endif
