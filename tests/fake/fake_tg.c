/*
 * Fake Telegram Bot API server on libuv; see fake_tg.h.
 *
 * One struct conn per TCP connection: a read buffer, one uv_timer_t (for a
 * DELAY fault or a held getUpdates), and at most one request being handled
 * at a time (HTTP/1.1 answers in order; later pipelined requests wait in
 * the buffer).  Updates are kept as printed JSON strings in a queue so
 * 100k pending updates cost one allocation each.
 */
#include "fake_tg.h"

#include "../../core/util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_HEADER (64 * 1024)
#define MAX_BODY ((size_t)16 << 20)
#define MAX_METHODS 32
#define GLOBAL_RING 30
#define CHAT_RING 20

/* ---- small containers -------------------------------------------------- */

static void sb_i64(struct sbuf *b, int64_t v)
{
    sbuf_addf(b, "%lld", (long long)v);
}

/* a JSON string literal for s */
static void sb_jstr(struct sbuf *b, const char *s)
{
    cJSON *str = cJSON_CreateString(s);
    char *txt = str ? cJSON_PrintUnformatted(str) : NULL;
    sbuf_add(b, txt ? txt : "\"\""); /* cJSON out of memory: an empty string */
    free(txt);
    cJSON_Delete(str);
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static char *dup_s(const char *s)
{
    return s ? dup_n(s, strlen(s)) : NULL;
}

static int64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t wall_ms(void)
{
    return wall_us() / 1000;
}

/* ---- server state ------------------------------------------------------- */

struct upd {
    int64_t id;
    char *json;
};

struct rec {
    char *method;
    char *body;
    int body_is_json;
    int accepted;      /* sendMessage: delivered into the chat (200 with a message) */
    int64_t time_ms;
};

struct rule {
    enum fake_tg_fault_kind kind;
    int remaining;
    char *method;
    int retry_after;
    char *description;
    long delay_ms;
};

struct chat_lim {
    int64_t chat;
    int64_t ring[CHAT_RING];
    int ring_n, ring_i;
    double tokens;
    int64_t last_ms;
};

struct admins {
    int64_t chat;
    int64_t *ids;
    size_t n;
};

struct method_count {
    char name[40];
    size_t n;
};

struct conn;

struct fake_tg {
    uv_loop_t *loop;
    uv_tcp_t listener;
    int port;
    int closing;
    char *token;
    char *username;
    uint64_t seed, rng;
    double fault_rate;
    unsigned fault_kinds;      /* random faults: bit per kind; 0 = every kind */
    long fault_delay_ms;       /* random DELAY faults last this long (0: 20..320 ms) */
    char fault_method[40];     /* random faults only for this method ("" = any) */
    int enforce_limits;
    int webhook_set;           /* setWebhook seen since the last deleteWebhook */
    /* retry_after bookkeeping: a 429 sets until_ms for its chat (0 for
       getUpdates); a request for it before then is an early retry */
    struct { int64_t chat, until_ms; } waits[64];
    size_t n_waits;
    fake_tg_quit_fn quit_fn;
    void *quit_ud;

    struct upd *q;
    size_t q_head, q_len, q_cap;  /* live items are q[q_head .. q_len) */
    int64_t next_update_id;
    int64_t next_message_id;

    struct rec *recs;
    size_t n_recs, cap_recs;

    struct rule *rules;
    size_t n_rules, cap_rules;

    struct chat_lim *lims;
    size_t n_lims, cap_lims;
    int64_t gring[GLOBAL_RING];
    int gring_n, gring_i;

    struct admins *adm;
    size_t n_adm;

    struct method_count methods[MAX_METHODS];
    size_t n_methods;
    char *allowed_updates;     /* last allowed_updates seen, JSON text */

    /* latency: generated message ids with the time they became available,
       and for each reply to one of them, reply time minus that time (µs) */
    struct gen_range { int64_t first, n, at_us; } *gens;
    size_t n_gens, cap_gens;
    int64_t *lat;
    size_t n_lat, cap_lat;

    /* a paced generate: updates made up front, released at per_s into the
       queue by a 1 ms timer (a steady load, not slices) */
    struct paced { struct upd *u; int64_t *mid; size_t n, next; double per_s; int64_t t0_us; } pace;
    uv_timer_t release_timer;
    int open_handles;          /* the listener and the release timer, until closed */

    struct fake_tg_stats st;
    struct conn *conns;        /* all open connections */
    struct conn *held;         /* the getUpdates being held, if any */

    /* files getFile knows (control/file?id=…), served at /file/bot<token>/files/<i> */
    struct fake_file { char *id, *data; size_t len; } *files;
    size_t n_files;
};

enum conn_state { CS_IDLE = 0, CS_DELAY, CS_HELD };

struct conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    struct fake_tg *s;
    int refs;
    int closing;
    int in_process;
    int busy;                  /* a request is being answered */
    int close_after;           /* close once the current answer is written */
    int mute;                  /* answers are dropped: the client waits until it gives up */
    enum conn_state state;
    char api_method[40];
    size_t rec;        /* 1 + index of this request's record, 0 = none */
    cJSON *params;
    char *buf;
    size_t start, len, cap;    /* unconsumed bytes are buf[start .. len) */
    struct conn *prev, *next;
};

struct wreq {
    uv_write_t req;
    struct conn *c;
    int close_after;
    int quit;
    uv_buf_t b;
};

static void conn_close(struct conn *c);
static void process_buffer(struct conn *c);
static void dispatch_api(struct conn *c);
static void on_conn_timer(uv_timer_t *t);

/* ---- PRNG (splitmix64) -------------------------------------------------- */

static uint64_t rng_next(struct fake_tg *s)
{
    uint64_t z = (s->rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double rng_unit(struct fake_tg *s)
{
    return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

/* ---- writing answers ------------------------------------------------------ */

static void on_written(uv_write_t *req, int status)
{
    struct wreq *w = req->data;
    struct conn *c = w->c;
    int quit = w->quit, close_after = w->close_after;
    free(w->b.base);
    free(w);
    if (status < 0)
        return;   /* cancelled by a close: c may be going away */
    if (close_after)
        conn_close(c);
    if (quit && c->s && !c->s->closing && c->s->quit_fn)
        c->s->quit_fn(c->s->quit_ud);
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    default: return "Status";
    }
}

/* Write a raw answer; body_send may be < body_len (truncation). */
static void write_answer(struct conn *c, int status, const char *body, size_t body_len,
                         size_t body_send, int close_after, int quit)
{
    if (c->closing || c->mute)
        return;
    char head[256];
    int hn = snprintf(head, sizeof head,
                      "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                      "Content-Length: %zu\r\nConnection: %s\r\n\r\n",
                      status, reason(status), body_len, close_after ? "close" : "keep-alive");
    size_t total = (size_t)hn + body_send;
    struct wreq *w = calloc(1, sizeof *w);
    char *data = malloc(total ? total : 1);
    if (!w || !data) {
        free(w);
        free(data);
        conn_close(c);
        return;
    }
    memcpy(data, head, (size_t)hn);
    if (body_send)
        memcpy(data + hn, body, body_send);
    w->c = c;
    w->close_after = close_after;
    w->quit = quit;
    w->b = uv_buf_init(data, (unsigned int)total);
    w->req.data = w;
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &w->b, 1, on_written) != 0) {
        free(data);
        free(w);
        conn_close(c);
    }
}

/* Finish the current request with an answer and move on to the next. */
static void respond_ex(struct conn *c, int status, const char *body, size_t len, int quit)
{
    int close_after = c->close_after;
    write_answer(c, status, body, len, len, close_after, quit);
    if (c->mute)
        return; /* busy to the end: nothing more is read from this connection */
    c->busy = 0;
    c->state = CS_IDLE;
    cJSON_Delete(c->params);
    c->params = NULL;
    if (!c->in_process && !c->closing && !close_after)
        process_buffer(c);
}

static void respond(struct conn *c, int status, const char *body)
{
    respond_ex(c, status, body, strlen(body), 0);
}

static void respond_sb(struct conn *c, int status, struct sbuf *b)
{
    respond_ex(c, status, sbuf_str(b), b->len, 0);
    sbuf_free(b);
}

static void respond_error(struct conn *c, int code, const char *desc, int retry_after)
{
    struct sbuf b = {0};
    sbuf_add(&b, "{\"ok\":false,\"error_code\":");
    sb_i64(&b, code);
    sbuf_add(&b, ",\"description\":");
    sb_jstr(&b, desc);
    if (retry_after > 0) {
        sbuf_add(&b, ",\"parameters\":{\"retry_after\":");
        sb_i64(&b, retry_after);
        sbuf_add(&b, "}");
    }
    sbuf_add(&b, "}");
    if (code == 429 && c->s)
        c->s->st.sent_429++;
    respond_sb(c, code, &b);
}

static void respond_result(struct conn *c, cJSON *result)
{
    cJSON *root = cJSON_CreateObject();
    if (root) {
        cJSON_AddBoolToObject(root, "ok", 1);
        cJSON_AddItemToObject(root, "result", result);
        result = NULL;
    }
    char *txt = root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    cJSON_Delete(result);
    if (!txt) {
        respond(c, 500, "{\"ok\":false,\"error_code\":500,\"description\":\"out of memory\"}");
        return;
    }
    respond(c, 200, txt);
    free(txt);
}

static void respond_true(struct conn *c)
{
    respond(c, 200, "{\"ok\":true,\"result\":true}");
}

/* ---- connection lifetime ------------------------------------------------ */

static void on_conn_closed(uv_handle_t *h)
{
    struct conn *c = h->data;
    if (--c->refs == 0) {
        free(c->buf);
        free(c);
    }
}

static void conn_close(struct conn *c)
{
    if (c->closing)
        return;
    c->closing = 1;
    struct fake_tg *s = c->s;
    if (s) {
        if (c->prev)
            c->prev->next = c->next;
        else
            s->conns = c->next;
        if (c->next)
            c->next->prev = c->prev;
        if (s->held == c)
            s->held = NULL;
        s->st.open_connections--;
    }
    c->s = NULL;
    cJSON_Delete(c->params);
    c->params = NULL;
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, on_conn_closed);
    uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

/* ---- updates queue ------------------------------------------------------- */

static size_t q_count(const struct fake_tg *s)
{
    return s->q_len - s->q_head;
}

static void q_drop_head(struct fake_tg *s)
{
    free(s->q[s->q_head].json);
    s->q[s->q_head].json = NULL;
    s->q_head++;
    if (s->q_head == s->q_len)
        s->q_head = s->q_len = 0;
}

static int q_push(struct fake_tg *s, int64_t id, char *json)
{
    if (s->q_len == s->q_cap) {
        if (s->q_head > s->q_cap / 2) {
            memmove(s->q, s->q + s->q_head, q_count(s) * sizeof *s->q);
            s->q_len -= s->q_head;
            s->q_head = 0;
        } else {
            size_t ncap = s->q_cap ? s->q_cap * 2 : 1024;
            struct upd *nq = realloc(s->q, ncap * sizeof *nq);
            if (!nq)
                return -ENOMEM;
            s->q = nq;
            s->q_cap = ncap;
        }
    }
    s->q[s->q_len].id = id;
    s->q[s->q_len].json = json;
    s->q_len++;
    return 0;
}

static void q_clear(struct fake_tg *s)
{
    for (size_t i = s->q_head; i < s->q_len; i++)
        free(s->q[i].json);
    s->q_head = s->q_len = 0;
}

/* Telegram: updates with update_id < offset are confirmed and forgotten;
   a negative offset keeps only the last -offset updates. */
static void q_confirm(struct fake_tg *s, int64_t offset)
{
    if (offset > 0) {
        while (q_count(s) > 0 && s->q[s->q_head].id < offset)
            q_drop_head(s);
    } else if (offset < 0) {
        while ((int64_t)q_count(s) > -offset)
            q_drop_head(s);
    }
}

/* ---- parameters ---------------------------------------------------------- */

static int param_i64(const cJSON *params, const char *key, int64_t *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(params, key);
    if (cJSON_IsNumber(it)) {
        double d = it->valuedouble;
        if (!(d >= -9.0e15 && d <= 9.0e15))
            return 0;
        *out = (int64_t)d;
        return 1;
    }
    if (cJSON_IsString(it) && it->valuestring[0]) {
        char *end;
        errno = 0;
        long long v = strtoll(it->valuestring, &end, 10);
        if (errno == 0 && *end == '\0') {
            *out = (int64_t)v;
            return 1;
        }
    }
    return 0;
}

static const char *param_str(const cJSON *params, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(params, key);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static char *url_decode(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    size_t j = 0;
    if (!d)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            d[j++] = ' ';
        } else if (s[i] == '%' && i + 2 < n &&
                   hexval((unsigned char)s[i + 1]) >= 0 && hexval((unsigned char)s[i + 2]) >= 0) {
            d[j++] = (char)(hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
            i += 2;
        } else {
            d[j++] = s[i];
        }
    }
    d[j] = '\0';
    return d;
}

/* "a=1&b=x" -> {"a":"1","b":"x"}; values that are JSON arrays/objects
   (e.g. allowed_updates=["message"]) are parsed as JSON. */
static cJSON *parse_form(const char *s, size_t n)
{
    cJSON *obj = cJSON_CreateObject();
    size_t i = 0;
    while (obj && i < n) {
        size_t end = i;
        while (end < n && s[end] != '&')
            end++;
        size_t eq = i;
        while (eq < end && s[eq] != '=')
            eq++;
        if (eq > i) {
            char *k = url_decode(s + i, eq - i);
            char *v = url_decode(s + (eq < end ? eq + 1 : end), eq < end ? end - eq - 1 : 0);
            if (k && v) {
                cJSON *val = NULL;
                if (v[0] == '[' || v[0] == '{')
                    val = cJSON_Parse(v);
                if (!val)
                    val = cJSON_CreateString(v);
                if (val) {
                    cJSON_DeleteItemFromObjectCaseSensitive(obj, k);
                    cJSON_AddItemToObject(obj, k, val);
                }
            }
            free(k);
            free(v);
        }
        i = end + 1;
    }
    return obj;
}

/* ---- recording and counters ----------------------------------------------- */

static void count_method(struct fake_tg *s, const char *method)
{
    for (size_t i = 0; i < s->n_methods; i++) {
        if (strcmp(s->methods[i].name, method) == 0) {
            s->methods[i].n++;
            return;
        }
    }
    size_t i = s->n_methods;
    if (i == MAX_METHODS)
        i = MAX_METHODS - 1;   /* the last slot becomes "other" */
    else
        s->n_methods++;
    snprintf(s->methods[i].name, sizeof s->methods[i].name, "%s",
             i == MAX_METHODS - 1 ? "other" : method);
    s->methods[i].n++;
}

static void record(struct fake_tg *s, const char *method, char *body, int body_is_json)
{
    if (s->n_recs == s->cap_recs) {
        size_t ncap = s->cap_recs ? s->cap_recs * 2 : 256;
        struct rec *nr = realloc(s->recs, ncap * sizeof *nr);
        if (!nr) {
            free(body);
            return;
        }
        s->recs = nr;
        s->cap_recs = ncap;
    }
    struct rec *r = &s->recs[s->n_recs];
    r->method = dup_s(method);
    r->body = body;
    r->body_is_json = body_is_json;
    r->accepted = 0;
    r->time_ms = wall_ms();
    if (!r->method) {
        free(body);
        return;
    }
    s->n_recs++;
    s->st.requests++;
    count_method(s, method);
}

/* ---- faults ---------------------------------------------------------------- */

static const char *const kind_names[FAKE_TG_FAULT_KINDS] = {
    "429", "500", "502", "409", "400", "403", "delay", "truncate", "bad_json", "close", "mute"};
#define RANDOM_KINDS FAKE_TG_FAULT_MUTE /* the kinds before it */

int fake_tg_fault_kind_parse(const char *name, enum fake_tg_fault_kind *out)
{
    if (!name)
        return -EINVAL;
    for (int i = 0; i < FAKE_TG_FAULT_KINDS; i++) {
        if (strcmp(name, kind_names[i]) == 0) {
            *out = (enum fake_tg_fault_kind)i;
            return 0;
        }
    }
    if (strcmp(name, "truncated") == 0)
        *out = FAKE_TG_FAULT_TRUNCATE;
    else if (strcmp(name, "invalid_json") == 0)
        *out = FAKE_TG_FAULT_BAD_JSON;
    else
        return -EINVAL;
    return 0;
}

int fake_tg_fault(struct fake_tg *s, const struct fake_tg_fault *f)
{
    if (!s || !f || f->kind < 0 || f->kind >= FAKE_TG_FAULT_KINDS)
        return -EINVAL;
    if (s->n_rules == s->cap_rules) {
        size_t ncap = s->cap_rules ? s->cap_rules * 2 : 8;
        struct rule *nr = realloc(s->rules, ncap * sizeof *nr);
        if (!nr)
            return -ENOMEM;
        s->rules = nr;
        s->cap_rules = ncap;
    }
    struct rule *r = &s->rules[s->n_rules++];
    memset(r, 0, sizeof *r);
    r->kind = f->kind;
    r->remaining = f->count > 0 ? f->count : 1;
    r->method = dup_s(f->method);
    r->description = dup_s(f->description);
    r->retry_after = f->retry_after > 0 ? f->retry_after : 1;
    r->delay_ms = f->delay_ms > 0 ? f->delay_ms : 1000;
    return 0;
}

static void rules_clear(struct fake_tg *s)
{
    for (size_t i = 0; i < s->n_rules; i++) {
        free(s->rules[i].method);
        free(s->rules[i].description);
    }
    s->n_rules = 0;
}

/* Pick the fault for this request, if any: scripted rules first (in the
   order given), then the random rate.  Returns 1 and fills *out. */
static int pick_fault(struct fake_tg *s, const char *method, struct rule *out)
{
    for (size_t i = 0; i < s->n_rules; i++) {
        struct rule *r = &s->rules[i];
        if (r->remaining <= 0 || (r->method && strcmp(r->method, method) != 0))
            continue;
        *out = *r;
        /* a spent rule stays (out borrows its strings) until reset */
        r->remaining--;
        return 1;
    }
    if (s->fault_rate > 0 && (!s->fault_method[0] || !strcmp(s->fault_method, method)) &&
        rng_unit(s) < s->fault_rate) {
        memset(out, 0, sizeof *out);
        unsigned kinds = s->fault_kinds ? s->fault_kinds : (1u << RANDOM_KINDS) - 1;
        int k;
        do
            k = (int)(rng_next(s) % FAKE_TG_FAULT_KINDS);
        while (!(kinds & (1u << k)));
        out->kind = (enum fake_tg_fault_kind)k;
        out->retry_after = 1;
        out->delay_ms = s->fault_delay_ms > 0 ? s->fault_delay_ms : (long)(20 + rng_next(s) % 300);
        return 1;
    }
    return 0;
}

static int chat_key(const cJSON *params, int64_t *out);

/* The chat a request is about (0 for getUpdates); 0 and -1 if neither. */
static int wait_key(struct conn *c, int64_t *key)
{
    const char *m = c->api_method;
    if (strcmp(m, "getUpdates") == 0) {
        *key = 0;
        return 1;
    }
    return (strcmp(m, "sendMessage") == 0 || strcmp(m, "editMessageText") == 0) &&
           chat_key(c->params, key);
}

static void wait_note(struct fake_tg *s, struct conn *c, int retry_after)
{
    int64_t key;
    if (!wait_key(c, &key))
        return;
    size_t i;
    for (i = 0; i < s->n_waits && s->waits[i].chat != key; i++)
        ;
    if (i == s->n_waits) {
        if (s->n_waits == sizeof s->waits / sizeof s->waits[0])
            return;
        s->n_waits++;
    }
    s->waits[i].chat = key;
    s->waits[i].until_ms = wall_ms() + retry_after * 1000L;
}

/* Count a request that comes back before its chat's retry_after ran out
   (100 ms of slack for clock granularity). */
static void wait_check(struct fake_tg *s, struct conn *c)
{
    int64_t key;
    if (!wait_key(c, &key))
        return;
    for (size_t i = 0; i < s->n_waits; i++)
        if (s->waits[i].chat == key && wall_ms() + 100 < s->waits[i].until_ms)
            s->st.early_retries++;
}

static void apply_fault(struct conn *c, const struct rule *f)
{
    struct fake_tg *s = c->s;
    s->st.faults++;
    switch (f->kind) {
    case FAKE_TG_FAULT_429: {
        char desc[96];
        snprintf(desc, sizeof desc, "Too Many Requests: retry after %d", f->retry_after);
        wait_note(s, c, f->retry_after);
        respond_error(c, 429, f->description ? f->description : desc, f->retry_after);
        break;
    }
    case FAKE_TG_FAULT_500:
        respond_error(c, 500, f->description ? f->description : "Internal Server Error", 0);
        break;
    case FAKE_TG_FAULT_502:
        respond(c, 502, "<html><body>502 Bad Gateway</body></html>");
        break;
    case FAKE_TG_FAULT_409:
        respond_error(c, 409, f->description ? f->description
                                             : "Conflict: terminated by other getUpdates request; "
                                               "make sure that only one bot instance is running",
                      0);
        break;
    case FAKE_TG_FAULT_400:
        respond_error(c, 400, f->description ? f->description : "Bad Request: chat not found", 0);
        break;
    case FAKE_TG_FAULT_403:
        respond_error(c, 403,
                      f->description ? f->description
                                     : "Forbidden: bot was kicked from the supergroup chat",
                      0);
        break;
    case FAKE_TG_FAULT_DELAY:
        c->state = CS_DELAY;
        uv_timer_start(&c->timer, on_conn_timer, (uint64_t)f->delay_ms, 0);
        break;
    case FAKE_TG_FAULT_TRUNCATE: {
        static const char body[] =
            "{\"ok\":true,\"result\":{\"message_id\":1,\"date\":0,\"chat\":{\"id\":1,"
            "\"type\":\"private\"},\"text\":\"this answer is cut short\"}}";
        c->close_after = 1;
        write_answer(c, 200, body, sizeof body - 1, (sizeof body - 1) / 2, 1, 0);
        c->busy = 0;
        break;
    }
    case FAKE_TG_FAULT_BAD_JSON:
        respond(c, 200, "{\"ok\":true,\"result\":[{\"update_id\":");
        break;
    case FAKE_TG_FAULT_MUTE:
        c->mute = 1;
        dispatch_api(c);
        break;
    case FAKE_TG_FAULT_CLOSE:
    default:
        conn_close(c);
        break;
    }
}

/* ---- rate limits (--enforce-limits) ---------------------------------------- */

static struct chat_lim *chat_lim_get(struct fake_tg *s, int64_t chat)
{
    /* open addressing, linear probing; cap is a power of two */
    if (s->cap_lims == 0 || (s->n_lims + 1) * 2 > s->cap_lims) {
        size_t ncap = s->cap_lims ? s->cap_lims * 2 : 64;
        struct chat_lim *nl = calloc(ncap, sizeof *nl);
        if (!nl)
            return NULL;
        for (size_t i = 0; i < s->cap_lims; i++) {
            if (!s->lims[i].last_ms)
                continue;
            size_t h = (size_t)((uint64_t)s->lims[i].chat * 0x9E3779B97F4A7C15ULL) & (ncap - 1);
            while (nl[h].last_ms)
                h = (h + 1) & (ncap - 1);
            nl[h] = s->lims[i];
        }
        free(s->lims);
        s->lims = nl;
        s->cap_lims = ncap;
    }
    size_t h = (size_t)((uint64_t)chat * 0x9E3779B97F4A7C15ULL) & (s->cap_lims - 1);
    while (s->lims[h].last_ms && s->lims[h].chat != chat)
        h = (h + 1) & (s->cap_lims - 1);
    if (!s->lims[h].last_ms) {
        s->lims[h].chat = chat;
        s->lims[h].tokens = 3.0;
        s->lims[h].last_ms = 1;   /* marks the slot used; fixed on first use */
        s->n_lims++;
    }
    return &s->lims[h];
}

static int ceil_s(int64_t ms)
{
    int64_t s = (ms + 999) / 1000;
    return s < 1 ? 1 : (int)s;
}

/* 0 if a message to chat may go now (and counts it), else retry_after s. */
static int limit_check(struct fake_tg *s, int64_t chat, int64_t now)
{
    if (s->gring_n == GLOBAL_RING) {
        int64_t oldest = s->gring[s->gring_i];
        if (now - oldest < 1000)
            return ceil_s(oldest + 1000 - now);
    }
    struct chat_lim *l = chat_lim_get(s, chat);
    if (!l)
        return 1;
    if (l->last_ms == 1)
        l->last_ms = now;
    if (chat < 0 && l->ring_n == CHAT_RING) {
        int64_t oldest = l->ring[l->ring_i];
        if (now - oldest < 60000)
            return ceil_s(oldest + 60000 - now);
    }
    double tokens = l->tokens + (double)(now - l->last_ms) / 1000.0;
    if (tokens > 3.0)
        tokens = 3.0;
    l->tokens = tokens;
    l->last_ms = now > 1 ? now : 2;
    if (tokens < 1.0)
        return ceil_s((int64_t)ceil((1.0 - tokens) * 1000.0));
    l->tokens -= 1.0;
    l->ring[l->ring_i] = now;
    l->ring_i = (l->ring_i + 1) % CHAT_RING;
    if (l->ring_n < CHAT_RING)
        l->ring_n++;
    s->gring[s->gring_i] = now;
    s->gring_i = (s->gring_i + 1) % GLOBAL_RING;
    if (s->gring_n < GLOBAL_RING)
        s->gring_n++;
    return 0;
}

/* ---- Bot API methods ----------------------------------------------------- */

static cJSON *bot_user(const struct fake_tg *s)
{
    cJSON *u = cJSON_CreateObject();
    cJSON_AddNumberToObject(u, "id", 7000000001.0);
    cJSON_AddBoolToObject(u, "is_bot", 1);
    cJSON_AddStringToObject(u, "first_name", "KocBot Test");
    cJSON_AddStringToObject(u, "username", s->username);
    return u;
}

static void answer_updates(struct conn *c, int64_t limit)
{
    struct fake_tg *s = c->s;
    struct sbuf b = {0};
    sbuf_add(&b, "{\"ok\":true,\"result\":[");
    size_t n = q_count(s);
    if (limit < 1 || limit > 100)
        limit = 100;
    if ((int64_t)n > limit)
        n = (size_t)limit;
    for (size_t i = 0; i < n; i++) {
        if (i)
            sbuf_addn(&b, ",", 1);
        sbuf_add(&b, s->q[s->q_head + i].json);
    }
    sbuf_add(&b, "]}");
    respond_sb(c, 200, &b);
}

static void get_updates(struct conn *c)
{
    struct fake_tg *s = c->s;
    int64_t offset = 0, limit = 100, timeout = 0;
    param_i64(c->params, "offset", &offset);
    param_i64(c->params, "limit", &limit);
    param_i64(c->params, "timeout", &timeout);
    cJSON *au = cJSON_GetObjectItemCaseSensitive(c->params, "allowed_updates");
    if (au) {
        char *txt = cJSON_PrintUnformatted(au);
        if (txt) {
            free(s->allowed_updates);
            s->allowed_updates = txt;
        }
    }
    q_confirm(s, offset);
    if (q_count(s) > 0 || timeout <= 0) {
        answer_updates(c, limit);
        return;
    }
    if (s->held && s->held != c) {
        /* Telegram ends the older long poll with 409 */
        struct conn *old = s->held;
        s->held = NULL;
        uv_timer_stop(&old->timer);
        respond_error(old, 409,
                      "Conflict: terminated by other getUpdates request; make sure that only "
                      "one bot instance is running",
                      0);
    }
    if (timeout > 3600)
        timeout = 3600;
    c->state = CS_HELD;
    s->held = c;
    uv_timer_start(&c->timer, on_conn_timer, (uint64_t)timeout * 1000, 0);
}

static void wake_poller(struct fake_tg *s)
{
    struct conn *c = s->held;
    if (!c || q_count(s) == 0)
        return;
    s->held = NULL;
    uv_timer_stop(&c->timer);
    int64_t limit = 100;
    param_i64(c->params, "limit", &limit);
    answer_updates(c, limit);
}

static cJSON *make_message(struct fake_tg *s, const cJSON *params, int64_t message_id)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddNumberToObject(m, "message_id", (double)message_id);
    cJSON_AddItemToObject(m, "from", bot_user(s));
    cJSON *chat = cJSON_CreateObject();
    int64_t chat_id = 0;
    if (param_i64(params, "chat_id", &chat_id)) {
        cJSON_AddNumberToObject(chat, "id", (double)chat_id);
        cJSON_AddStringToObject(chat, "type", chat_id < 0 ? "supergroup" : "private");
    } else {
        const char *cs = param_str(params, "chat_id");
        cJSON_AddNumberToObject(chat, "id", -1009999999999.0);
        cJSON_AddStringToObject(chat, "type", "channel");
        if (cs && cs[0] == '@')
            cJSON_AddStringToObject(chat, "username", cs + 1);
    }
    cJSON_AddItemToObject(m, "chat", chat);
    cJSON_AddNumberToObject(m, "date", (double)(wall_ms() / 1000));
    int64_t thread = 0;
    if (param_i64(params, "message_thread_id", &thread)) {
        cJSON_AddNumberToObject(m, "message_thread_id", (double)thread);
        cJSON_AddBoolToObject(m, "is_topic_message", 1);
    }
    const char *text = param_str(params, "text");
    cJSON_AddStringToObject(m, "text", text ? text : "");
    const cJSON *rm = cJSON_GetObjectItemCaseSensitive(params, "reply_markup");
    if (cJSON_IsString(rm)) {
        cJSON *parsed = cJSON_Parse(rm->valuestring);
        if (parsed)
            cJSON_AddItemToObject(m, "reply_markup", parsed);
    } else if (rm) {
        cJSON_AddItemToObject(m, "reply_markup", cJSON_Duplicate(rm, 1));
    }
    return m;
}

static int chat_key(const cJSON *params, int64_t *out)
{
    if (param_i64(params, "chat_id", out))
        return 1;
    const char *cs = param_str(params, "chat_id");
    if (!cs || !cs[0])
        return 0;
    uint64_t h = 1469598103934665603ULL;   /* FNV-1a for "@channel" ids */
    for (const char *p = cs; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    *out = (int64_t)(h >> 12);
    return 1;
}

static int limits_ok(struct conn *c, int64_t chat)
{
    struct fake_tg *s = c->s;
    if (!s->enforce_limits)
        return 1;
    int retry = limit_check(s, chat, wall_ms());
    if (retry == 0)
        return 1;
    char desc[96];
    snprintf(desc, sizeof desc, "Too Many Requests: retry after %d", retry);
    s->st.limit_429++;
    wait_note(s, c, retry);
    respond_error(c, 429, desc, retry);
    return 0;
}

/* A reply to a generated message: how long after it became available. */
static void note_latency(struct fake_tg *s, const cJSON *params, int64_t now)
{
    int64_t mid;
    const cJSON *rp = cJSON_GetObjectItemCaseSensitive(params, "reply_parameters");
    if (!(rp && param_i64(rp, "message_id", &mid)) && !param_i64(params, "reply_to_message_id", &mid))
        return;
    for (size_t i = s->n_gens; i-- > 0;) {
        const struct gen_range *g = &s->gens[i];
        if (mid < g->first || mid >= g->first + g->n)
            continue;
        if (s->n_lat == s->cap_lat) {
            size_t ncap = s->cap_lat ? s->cap_lat * 2 : 1024;
            int64_t *nl = realloc(s->lat, ncap * sizeof *nl);
            if (!nl)
                return;
            s->lat = nl, s->cap_lat = ncap;
        }
        s->lat[s->n_lat++] = now - g->at_us;
        return;
    }
}

/* latency figures in ms, to 0.01 ms */
static double us_as_ms(int64_t us)
{
    return round((double)us / 10.0) / 100.0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void send_message(struct conn *c)
{
    struct fake_tg *s = c->s;
    int64_t chat;
    const char *text = param_str(c->params, "text");
    if (!chat_key(c->params, &chat)) {
        respond_error(c, 400, "Bad Request: chat_id is empty", 0);
        return;
    }
    if (!text || !text[0]) {
        respond_error(c, 400, "Bad Request: message text is empty", 0);
        return;
    }
    if (strlen(text) > 4096 * 4) {
        respond_error(c, 400, "Bad Request: message is too long", 0);
        return;
    }
    if (!limits_ok(c, chat))
        return;
    int64_t now_us = wall_us(), now = now_us / 1000;
    if (!s->st.first_send_ms)
        s->st.first_send_ms = now;
    s->st.last_send_ms = now;
    s->st.messages_sent++;
    if (c->rec && c->rec <= s->n_recs)
        s->recs[c->rec - 1].accepted = 1;
    note_latency(s, c->params, now_us);
    respond_result(c, make_message(s, c->params, s->next_message_id++));
}

static void edit_message_text(struct conn *c)
{
    struct fake_tg *s = c->s;
    const char *text = param_str(c->params, "text");
    if (!text || !text[0]) {
        respond_error(c, 400, "Bad Request: message text is empty", 0);
        return;
    }
    if (param_str(c->params, "inline_message_id")) {
        respond_true(c);
        return;
    }
    int64_t chat, mid;
    if (!chat_key(c->params, &chat) || !param_i64(c->params, "message_id", &mid)) {
        respond_error(c, 400, "Bad Request: message to edit not found", 0);
        return;
    }
    if (!limits_ok(c, chat))
        return;
    cJSON *m = make_message(s, c->params, mid);
    cJSON_AddNumberToObject(m, "edit_date", (double)(wall_ms() / 1000));
    respond_result(c, m);
}

static void get_chat_admins(struct conn *c)
{
    struct fake_tg *s = c->s;
    int64_t chat;
    if (!param_i64(c->params, "chat_id", &chat)) {
        respond_error(c, 400, "Bad Request: chat not found", 0);
        return;
    }
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < s->n_adm; i++) {
        if (s->adm[i].chat != chat)
            continue;
        for (size_t j = 0; j < s->adm[i].n; j++) {
            cJSON *m = cJSON_CreateObject();
            cJSON_AddStringToObject(m, "status", j == 0 ? "creator" : "administrator");
            cJSON *u = cJSON_CreateObject();
            cJSON_AddNumberToObject(u, "id", (double)s->adm[i].ids[j]);
            cJSON_AddBoolToObject(u, "is_bot", 0);
            char name[48];
            snprintf(name, sizeof name, "Admin %lld", (long long)s->adm[i].ids[j]);
            cJSON_AddStringToObject(u, "first_name", name);
            cJSON_AddItemToObject(m, "user", u);
            cJSON_AddBoolToObject(m, "is_anonymous", 0);
            if (j > 0)
                cJSON_AddBoolToObject(m, "can_delete_messages", 1);
            cJSON_AddItemToArray(arr, m);
        }
    }
    respond_result(c, arr);
}

/* getFile: a known file_id's path, else Telegram's 400. */
static void get_file(struct conn *c)
{
    struct fake_tg *s = c->s;
    const char *id = param_str(c->params, "file_id");
    for (size_t i = 0; id && i < s->n_files; i++) {
        if (strcmp(s->files[i].id, id) != 0)
            continue;
        char path[32];
        snprintf(path, sizeof path, "files/%zu", i);
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "file_id", id);
        cJSON_AddStringToObject(r, "file_unique_id", path);
        cJSON_AddNumberToObject(r, "file_size", (double)s->files[i].len);
        cJSON_AddStringToObject(r, "file_path", path);
        respond_result(c, r);
        return;
    }
    respond_error(c, 400, "Bad Request: invalid file_id", 0);
}

/* GET /file/bot<token>/files/<i>: the bytes of file i. */
static void serve_file(struct conn *c, const char *rest)
{
    struct fake_tg *s = c->s;
    const char *slash = strchr(rest, '/');
    size_t tok_len = slash ? (size_t)(slash - rest) : 0;
    if (!slash || (s->token && (strlen(s->token) != tok_len || memcmp(s->token, rest, tok_len)))) {
        respond_error(c, 401, "Unauthorized", 0);
        return;
    }
    char *end = NULL;
    unsigned long i = strncmp(slash, "/files/", 7) ? ULONG_MAX : strtoul(slash + 7, &end, 10);
    if (i >= s->n_files || !end || *end) {
        respond_error(c, 404, "Not Found", 0);
        return;
    }
    record(s, "file", dup_s(slash + 1), 0);
    respond_ex(c, 200, s->files[i].data, s->files[i].len, 0);
}

static void dispatch_api(struct conn *c)
{
    struct fake_tg *s = c->s;
    const char *m = c->api_method;
    c->state = CS_IDLE;
    if (strcmp(m, "getMe") == 0)
        respond_result(c, bot_user(s));
    else if (strcmp(m, "getUpdates") == 0 && s->webhook_set)
        respond_error(c, 409, "Conflict: can't use getUpdates method while webhook is active; "
                              "use deleteWebhook to delete the webhook first", 0);
    else if (strcmp(m, "getUpdates") == 0)
        get_updates(c);
    else if (strcmp(m, "setWebhook") == 0) {
        const char *url = param_str(c->params, "url"), *secret = param_str(c->params, "secret_token");
        if (!url || strncmp(url, "http", 4) != 0)
            respond_error(c, 400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook", 0);
        else if (secret && (strlen(secret) > 256 ||
                            secret[strspn(secret, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")]))
            respond_error(c, 400, "Bad Request: secret token contains unallowed characters", 0);
        else {
            s->webhook_set = 1;
            respond_true(c);
        }
    } else if (strcmp(m, "deleteWebhook") == 0) {
        s->webhook_set = 0;
        respond_true(c);
    }
    else if (strcmp(m, "sendMessage") == 0)
        send_message(c);
    else if (strcmp(m, "editMessageText") == 0)
        edit_message_text(c);
    else if (strcmp(m, "answerCallbackQuery") == 0) {
        if (!param_str(c->params, "callback_query_id"))
            respond_error(c, 400, "Bad Request: query is too old and response timeout expired "
                                  "or query ID is invalid", 0);
        else
            respond_true(c);
    } else if (strcmp(m, "getChatAdministrators") == 0)
        get_chat_admins(c);
    else if (strcmp(m, "getFile") == 0)
        get_file(c);
    else if (strcmp(m, "setMyCommands") == 0)
        respond_true(c);
    else
        respond_error(c, 404, "Not Found", 0);
}

static void on_conn_timer(uv_timer_t *t)
{
    struct conn *c = t->data;
    if (c->closing || !c->s)
        return;
    if (c->state == CS_DELAY) {
        dispatch_api(c);
    } else if (c->state == CS_HELD) {
        if (c->s->held == c)
            c->s->held = NULL;
        int64_t limit = 100;
        param_i64(c->params, "limit", &limit);
        answer_updates(c, limit);
    }
}


/* ---- updates in -------------------------------------------------------- */

static int push_one(struct fake_tg *s, cJSON *u)
{
    if (!cJSON_IsObject(u))
        return -EINVAL;
    int64_t id;
    const cJSON *idn = cJSON_GetObjectItemCaseSensitive(u, "update_id");
    if (cJSON_IsNumber(idn) && idn->valuedouble >= 0 && idn->valuedouble < 9.0e15) {
        id = (int64_t)idn->valuedouble;
    } else {
        cJSON_DeleteItemFromObjectCaseSensitive(u, "update_id");
        id = s->next_update_id;
        cJSON_AddNumberToObject(u, "update_id", (double)id);
    }
    if (id >= s->next_update_id)
        s->next_update_id = id + 1;
    char *txt = cJSON_PrintUnformatted(u);
    if (!txt)
        return -ENOMEM;
    if (q_push(s, id, txt) != 0) {
        free(txt);
        return -ENOMEM;
    }
    return 0;
}

int fake_tg_push_update(struct fake_tg *s, const char *json)
{
    if (!s || !json)
        return -EINVAL;
    cJSON *root = cJSON_Parse(json);
    if (!root)
        return -EINVAL;
    int n = 0, rc = 0;
    if (cJSON_IsArray(root)) {
        cJSON *it;
        cJSON_ArrayForEach(it, root) {
            rc = push_one(s, it);
            if (rc < 0)
                break;
            n++;
        }
    } else {
        rc = push_one(s, root);
        if (rc == 0)
            n = 1;
    }
    cJSON_Delete(root);
    if (n > 0)
        wake_poller(s);
    return rc < 0 && n == 0 ? rc : n;
}

int fake_tg_push_raw_update(struct fake_tg *s, int64_t id, const char *json, size_t len)
{
    char *txt = s && json ? dup_n(json, len) : NULL;
    if (!txt || q_push(s, id, txt) != 0) {
        free(txt);
        return -ENOMEM;
    }
    if (id >= s->next_update_id)
        s->next_update_id = id + 1;
    wake_poller(s);
    return 1;
}

int fake_tg_generate(struct fake_tg *s, size_t n, size_t chats, size_t users,
                     const char *text, int64_t start_time)
{
    return fake_tg_generate_from(s, 0, n, chats, users, text, start_time, 0);
}

static void note_available(struct fake_tg *s, int64_t first_mid, size_t n)
{
    if (n > 0 && s->n_gens == s->cap_gens) {
        size_t ncap = s->cap_gens ? s->cap_gens * 2 : 64;
        struct gen_range *ng = realloc(s->gens, ncap * sizeof *ng);
        if (ng)
            s->gens = ng, s->cap_gens = ncap;
    }
    if (n > 0 && s->n_gens < s->cap_gens)
        s->gens[s->n_gens++] = (struct gen_range){first_mid, (int64_t)n, wall_us()};
}

static void pace_clear(struct fake_tg *s)
{
    for (size_t i = s->pace.next; i < s->pace.n; i++)
        free(s->pace.u[i].json);
    free(s->pace.u);
    free(s->pace.mid);
    memset(&s->pace, 0, sizeof s->pace);
    uv_timer_stop(&s->release_timer); /* a no-op once closed (on_server_closed) */
}

/* Every millisecond: what is due by now goes into the queue, and a held
   getUpdates is answered. */
static void on_release(uv_timer_t *t)
{
    struct fake_tg *s = t->data;
    struct paced *p = &s->pace;
    double due_f = (double)(wall_us() - p->t0_us) * p->per_s / 1e6;
    size_t due = due_f >= (double)p->n ? p->n : (size_t)due_f + 1;
    size_t from = p->next;
    for (; p->next < due; p->next++)
        if (q_push(s, p->u[p->next].id, p->u[p->next].json) != 0)
            free(p->u[p->next].json); /* out of memory: that update is lost */
    if (p->next > from)
        note_available(s, p->mid[from], p->next - from); /* generated ids are consecutive */
    if (p->next == p->n)
        pace_clear(s);
    wake_poller(s);
}

int fake_tg_generate_from(struct fake_tg *s, size_t first, size_t n, size_t chats, size_t users,
                          const char *text, int64_t start_time, double per_s)
{
    if (!s)
        return -EINVAL;
    if (per_s > 0 && s->pace.n)
        return -EBUSY;
    if (chats == 0)
        chats = 1;
    if (users == 0)
        users = 1;
    if (!text)
        text = "/checkin";
    if (start_time <= 0)
        start_time = wall_ms() / 1000;
    struct sbuf esc = {0};
    sb_jstr(&esc, text);
    size_t cmd_len = 0;
    if (text[0] == '/')
        cmd_len = strcspn(text, " \n\t");
    char entities[96] = "";
    if (cmd_len > 1)
        snprintf(entities, sizeof entities,
                 ",\"entities\":[{\"offset\":0,\"length\":%zu,\"type\":\"bot_command\"}]", cmd_len);
    size_t cap = esc.len + 512;
    char *tmp = malloc(cap);
    struct paced *p = &s->pace;
    if (tmp && per_s > 0 && n > 0) {
        p->u = calloc(n, sizeof *p->u);
        p->mid = calloc(n, sizeof *p->mid);
        if (!p->u || !p->mid) {
            pace_clear(s);
            free(tmp);
            tmp = NULL;
        }
    }
    if (!tmp) {
        sbuf_free(&esc);
        return -ENOMEM;
    }
    int rc = 0;
    if (per_s <= 0)
        note_available(s, s->next_message_id, n);
    for (size_t k = 0; k < n; k++) {
        size_t i = first + k, ci = i % chats, ui = (i / chats) % users;
        int64_t id = s->next_update_id++, mid = s->next_message_id++;
        int len = snprintf(tmp, cap,
                           "{\"update_id\":%lld,\"message\":{\"message_id\":%lld,"
                           "\"from\":{\"id\":%lld,\"is_bot\":false,\"first_name\":\"User %zu\","
                           "\"username\":\"user%zu\",\"language_code\":\"en\"},"
                           "\"chat\":{\"id\":%lld,\"title\":\"Group %zu\",\"type\":\"supergroup\"},"
                           "\"date\":%lld,\"text\":%s%s}}",
                           (long long)id, (long long)mid,
                           (long long)(100000 + (int64_t)ui), ui, ui,
                           (long long)(-1001000000000LL - (int64_t)ci), ci,
                           (long long)start_time, sbuf_str(&esc), entities);
        char *j = (len > 0 && (size_t)len < cap) ? dup_n(tmp, (size_t)len) : NULL;
        if (j && per_s > 0) {
            p->u[p->n] = (struct upd){id, j};
            p->mid[p->n++] = mid;
            continue;
        }
        if (!j || q_push(s, id, j) != 0) {
            free(j);
            rc = -ENOMEM;
            break;
        }
    }
    free(tmp);
    sbuf_free(&esc);
    if (per_s > 0 && p->n > 0) {
        p->per_s = per_s;
        p->t0_us = wall_us();
        uv_timer_start(&s->release_timer, on_release, 0, 1);
    }
    wake_poller(s);
    return rc < 0 ? rc : (int)n;
}

int fake_tg_set_admins(struct fake_tg *s, int64_t chat_id, const int64_t *user_ids, size_t n)
{
    if (!s || (n && !user_ids))
        return -EINVAL;
    struct admins *a = NULL;
    for (size_t i = 0; i < s->n_adm; i++)
        if (s->adm[i].chat == chat_id)
            a = &s->adm[i];
    if (!a) {
        struct admins *na = realloc(s->adm, (s->n_adm + 1) * sizeof *na);
        if (!na)
            return -ENOMEM;
        s->adm = na;
        a = &s->adm[s->n_adm++];
        a->chat = chat_id;
        a->ids = NULL;
        a->n = 0;
    }
    int64_t *ids = NULL;
    if (n) {
        ids = malloc(n * sizeof *ids);
        if (!ids)
            return -ENOMEM;
        memcpy(ids, user_ids, n * sizeof *ids);
    }
    free(a->ids);
    a->ids = ids;
    a->n = n;
    return 0;
}

/* ---- queries ------------------------------------------------------------ */

size_t fake_tg_request_count(const struct fake_tg *s, const char *method)
{
    if (!s)
        return 0;
    if (!method)
        return s->n_recs;
    size_t n = 0;
    for (size_t i = 0; i < s->n_recs; i++)
        if (strcmp(s->recs[i].method, method) == 0)
            n++;
    return n;
}

const struct fake_tg_request *fake_tg_request_at(const struct fake_tg *s, const char *method,
                                                 size_t i)
{
    static struct fake_tg_request out;
    if (!s)
        return NULL;
    for (size_t k = 0; k < s->n_recs; k++) {
        if (method && strcmp(s->recs[k].method, method) != 0)
            continue;
        if (i-- == 0) {
            out.method = s->recs[k].method;
            out.body = s->recs[k].body;
            out.time_ms = s->recs[k].time_ms;
            return &out;
        }
    }
    return NULL;
}

char *fake_tg_requests_json(const struct fake_tg *s, const char *method, int accepted_only)
{
    struct sbuf b = {0};
    sbuf_add(&b, "[");
    int first = 1;
    for (size_t k = 0; s && k < s->n_recs; k++) {
        const struct rec *r = &s->recs[k];
        if ((method && strcmp(r->method, method) != 0) || (accepted_only && !r->accepted))
            continue;
        sbuf_add(&b, first ? "{\"method\":" : ",{\"method\":");
        first = 0;
        sb_jstr(&b, r->method);
        sbuf_add(&b, ",\"body\":");
        if (r->body_is_json)
            sbuf_add(&b, r->body);
        else
            sb_jstr(&b, r->body);
        sbuf_add(&b, r->accepted ? ",\"accepted\":true,\"time_ms\":" : ",\"accepted\":false,\"time_ms\":");
        sb_i64(&b, r->time_ms);
        sbuf_add(&b, "}");
    }
    sbuf_add(&b, "]");
    return sbuf_take(&b);
}

size_t fake_tg_pending_updates(const struct fake_tg *s)
{
    return s ? q_count(s) : 0;
}

void fake_tg_get_stats(const struct fake_tg *s, struct fake_tg_stats *out)
{
    if (!s || !out)
        return;
    *out = s->st;
    out->pending_updates = q_count(s);
}

char *fake_tg_stats_json(const struct fake_tg *s)
{
    if (!s)
        return NULL;
    struct fake_tg_stats st;
    fake_tg_get_stats(s, &st);
    cJSON *o = cJSON_CreateObject();
    cJSON *m = cJSON_AddObjectToObject(o, "methods");
    for (size_t i = 0; i < s->n_methods; i++)
        cJSON_AddNumberToObject(m, s->methods[i].name, (double)s->methods[i].n);
    cJSON_AddNumberToObject(o, "requests", (double)st.requests);
    cJSON_AddNumberToObject(o, "connections", (double)st.connections);
    cJSON_AddNumberToObject(o, "open_connections", (double)st.open_connections);
    cJSON_AddNumberToObject(o, "pending_updates", (double)st.pending_updates);
    cJSON_AddNumberToObject(o, "sent_429", (double)st.sent_429);
    cJSON_AddNumberToObject(o, "limit_429", (double)st.limit_429);
    cJSON_AddNumberToObject(o, "faults", (double)st.faults);
    cJSON_AddNumberToObject(o, "early_retries", (double)st.early_retries);
    cJSON_AddNumberToObject(o, "messages_sent", (double)st.messages_sent);
    cJSON_AddNumberToObject(o, "first_send_ms", (double)st.first_send_ms);
    cJSON_AddNumberToObject(o, "last_send_ms", (double)st.last_send_ms);
    if (s->n_lat) {
        int64_t *v = malloc(s->n_lat * sizeof *v);
        if (v) {
            memcpy(v, s->lat, s->n_lat * sizeof *v);
            qsort(v, s->n_lat, sizeof *v, cmp_i64);
            cJSON *l = cJSON_AddObjectToObject(o, "latency_ms");
            cJSON_AddNumberToObject(l, "n", (double)s->n_lat);
            cJSON_AddNumberToObject(l, "p50", us_as_ms(v[s->n_lat / 2]));
            cJSON_AddNumberToObject(l, "p99", us_as_ms(v[(s->n_lat * 99) / 100]));
            cJSON_AddNumberToObject(l, "max", us_as_ms(v[s->n_lat - 1]));
            free(v);
        }
    }
    if (s->allowed_updates)
        cJSON_AddItemToObject(o, "allowed_updates", cJSON_Parse(s->allowed_updates));
    char *txt = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return txt;
}

static void clear_data(struct fake_tg *s)
{
    q_clear(s);
    pace_clear(s);
    for (size_t i = 0; i < s->n_recs; i++) {
        free(s->recs[i].method);
        free(s->recs[i].body);
    }
    s->n_recs = 0;
    rules_clear(s);
    free(s->lims);
    s->lims = NULL;
    s->n_lims = s->cap_lims = 0;
    s->gring_n = s->gring_i = 0;
    for (size_t i = 0; i < s->n_adm; i++)
        free(s->adm[i].ids);
    free(s->adm);
    s->adm = NULL;
    s->n_adm = 0;
    s->n_methods = 0;
    s->n_waits = 0;
    s->n_gens = s->n_lat = 0;
    free(s->allowed_updates);
    s->allowed_updates = NULL;
    for (size_t i = 0; i < s->n_files; i++) {
        free(s->files[i].id);
        free(s->files[i].data);
    }
    free(s->files);
    s->files = NULL;
    s->n_files = 0;
}

void fake_tg_reset(struct fake_tg *s)
{
    if (!s)
        return;
    clear_data(s);
    if (s->held)
        wake_poller(s);   /* nothing queued: no-op; the poll times out as usual */
    size_t conns = s->st.connections, open = s->st.open_connections;
    memset(&s->st, 0, sizeof s->st);
    s->st.connections = conns;
    s->st.open_connections = open;
    s->next_update_id = 500000001;
    s->next_message_id = 1;
    s->webhook_set = 0;
    s->rng = s->seed;
}

/* ---- control endpoints ----------------------------------------------------- */

static void control_ok_n(struct conn *c, long long n)
{
    char body[64];
    snprintf(body, sizeof body, "{\"ok\":true,\"result\":%lld}", n);
    respond(c, 200, body);
}

static void control_bad(struct conn *c, const char *desc)
{
    respond_error(c, 400, desc, 0);
}

static void handle_control(struct conn *c, const char *what, const char *query, const char *body,
                           size_t body_len)
{
    struct fake_tg *s = c->s;
    cJSON *p = body_len ? cJSON_ParseWithLength(body, body_len) : NULL;
    if (strcmp(what, "updates") == 0) {
        int n = body_len ? fake_tg_push_update(s, body) : -EINVAL;
        if (n < 0)
            control_bad(c, "expected an Update object or an array of them");
        else
            control_ok_n(c, n);
    } else if (strcmp(what, "raw_update") == 0) {
        cJSON *q = query ? parse_form(query, strlen(query)) : NULL;
        int64_t id;
        if (!body_len || !param_i64(q, "id", &id) || id < 0)
            control_bad(c, "expected ?id=N and one Update as the body");
        else if (fake_tg_push_raw_update(s, id, body, body_len) < 0)
            control_bad(c, "out of memory");
        else
            control_ok_n(c, 1);
        cJSON_Delete(q);
    } else if (strcmp(what, "generate") == 0) {
        int64_t n = 0, chats = 1, users = 1, start = 0, first = 0;
        const cJSON *rate = cJSON_GetObjectItemCaseSensitive(p, "per_s");
        double per_s = cJSON_IsNumber(rate) ? rate->valuedouble : 0;
        param_i64(p, "n", &n);
        param_i64(p, "first", &first);
        param_i64(p, "chats", &chats);
        param_i64(p, "users", &users);
        param_i64(p, "start_time", &start);
        if (n < 0 || n > 10000000 || chats < 1 || users < 1 || first < 0 || !(per_s >= 0) ||
            per_s > 1e6) {
            control_bad(c, "bad n/chats/users/first/per_s");
        } else {
            int rc = fake_tg_generate_from(s, (size_t)first, (size_t)n, (size_t)chats,
                                           (size_t)users, param_str(p, "text"), start, per_s);
            if (rc == -EBUSY)
                control_bad(c, "a paced generate is still releasing");
            else if (rc < 0)
                control_bad(c, "generate failed");
            else
                control_ok_n(c, rc);
        }
    } else if (strcmp(what, "fault") == 0) {
        struct fake_tg_fault f;
        memset(&f, 0, sizeof f);
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(p, "kind");
        char kbuf[32] = "";
        if (cJSON_IsNumber(k))
            snprintf(kbuf, sizeof kbuf, "%d", (int)k->valuedouble);
        else if (cJSON_IsString(k))
            snprintf(kbuf, sizeof kbuf, "%s", k->valuestring);
        int64_t v;
        if (param_i64(p, "rate", &v) || cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(p, "rate"))) {
            s->fault_rate = cJSON_GetObjectItemCaseSensitive(p, "rate")->valuedouble;
            if (param_i64(p, "seed", &v))
                s->rng = s->seed = (uint64_t)v;
            if (param_i64(p, "delay_ms", &v))
                s->fault_delay_ms = (long)v;
            const char *only = param_str(p, "method");
            snprintf(s->fault_method, sizeof s->fault_method, "%s", only ? only : "");
            const cJSON *ks = cJSON_GetObjectItemCaseSensitive(p, "kinds"), *kj;
            s->fault_kinds = 0;
            cJSON_ArrayForEach(kj, ks) {
                enum fake_tg_fault_kind fk;
                if (cJSON_IsString(kj) && fake_tg_fault_kind_parse(kj->valuestring, &fk) == 0)
                    s->fault_kinds |= 1u << fk;
            }
            if (!kbuf[0]) {
                control_ok_n(c, 0);
                goto out;
            }
        }
        if (fake_tg_fault_kind_parse(kbuf, &f.kind) != 0) {
            control_bad(c, "unknown fault kind");
            goto out;
        }
        f.count = param_i64(p, "count", &v) ? (int)v : 1;
        f.retry_after = param_i64(p, "retry_after", &v) ? (int)v : 0;
        f.delay_ms = param_i64(p, "delay_ms", &v) ? (long)v : 0;
        f.method = param_str(p, "method");
        f.description = param_str(p, "description");
        if (fake_tg_fault(s, &f) != 0)
            control_bad(c, "bad fault");
        else
            control_ok_n(c, f.count);
    } else if (strcmp(what, "admins") == 0) {
        int64_t chat;
        const cJSON *ids = cJSON_GetObjectItemCaseSensitive(p, "user_ids");
        if (!param_i64(p, "chat_id", &chat) || !cJSON_IsArray(ids)) {
            control_bad(c, "expected chat_id and user_ids");
            goto out;
        }
        size_t n = (size_t)cJSON_GetArraySize(ids), i = 0;
        int64_t *v = calloc(n ? n : 1, sizeof *v);
        const cJSON *it;
        cJSON_ArrayForEach(it, ids) {
            if (v && cJSON_IsNumber(it))
                v[i++] = (int64_t)it->valuedouble;
        }
        if (!v || fake_tg_set_admins(s, chat, v, i) != 0)
            control_bad(c, "set admins failed");
        else
            control_ok_n(c, (long long)i);
        free(v);
    } else if (strcmp(what, "requests") == 0) {
        cJSON *q = query ? parse_form(query, strlen(query)) : NULL;
        const char *m = param_str(q, "method");
        if (!m)
            m = param_str(p, "method");
        const char *acc = param_str(q, "accepted");
        char *txt = fake_tg_requests_json(s, m, acc && !strcmp(acc, "1"));
        cJSON_Delete(q);
        if (!txt) {
            respond_error(c, 500, "out of memory", 0);
        } else {
            respond(c, 200, txt);
            free(txt);
        }
    } else if (strcmp(what, "stats") == 0) {
        char *txt = fake_tg_stats_json(s);
        if (query && strstr(query, "clear_latency"))
            s->n_lat = 0; /* the next figures start afresh */
        if (!txt) {
            respond_error(c, 500, "out of memory", 0);
        } else {
            respond(c, 200, txt);
            free(txt);
        }
    } else if (strcmp(what, "file") == 0) { /* ?id=FILE_ID, the bytes as the body */
        cJSON *q = query ? parse_form(query, strlen(query)) : NULL;
        const char *id = param_str(q, "id");
        struct fake_file *grown = id ? realloc(s->files, (s->n_files + 1) * sizeof *grown) : NULL;
        if (!grown) {
            control_bad(c, "expected ?id=FILE_ID and the file as the body");
        } else {
            s->files = grown;
            struct fake_file *f = &s->files[s->n_files];
            f->id = dup_s(id);
            f->data = dup_n(body, body_len);
            f->len = body_len;
            if (f->id && f->data)
                s->n_files++;
            control_ok_n(c, f->id && f->data ? 1 : 0);
        }
        cJSON_Delete(q);
    } else if (strcmp(what, "reset") == 0) {
        fake_tg_reset(s);
        respond_true(c);
    } else if (strcmp(what, "quit") == 0) {
        static const char ok[] = "{\"ok\":true,\"result\":true}";
        respond_ex(c, 200, ok, sizeof ok - 1, 1);
    } else {
        respond_error(c, 404, "Not Found", 0);
    }
out:
    cJSON_Delete(p);
}

/* ---- one HTTP request -------------------------------------------------------- */

static void handle_request(struct conn *c, char *target, const char *body, size_t body_len,
                           int form)
{
    struct fake_tg *s = c->s;
    char *query = strchr(target, '?');
    if (query)
        *query++ = '\0';
    if (strncmp(target, "/control/", 9) == 0) {
        handle_control(c, target + 9, query, body, body_len);
        return;
    }
    if (strncmp(target, "/file/bot", 9) == 0) {
        serve_file(c, target + 9);
        return;
    }
    if (strncmp(target, "/bot", 4) != 0) {
        respond_error(c, 404, "Not Found", 0);
        return;
    }
    const char *tok = target + 4;
    const char *slash = strchr(tok, '/');
    if (!slash) {
        respond_error(c, 404, "Not Found", 0);
        return;
    }
    size_t tok_len = (size_t)(slash - tok);
    if (s->token && (strlen(s->token) != tok_len || memcmp(s->token, tok, tok_len) != 0)) {
        respond_error(c, 401, "Unauthorized", 0);
        return;
    }
    const char *api = slash + 1;
    if (!api[0] || strchr(api, '/') || strlen(api) >= sizeof c->api_method) {
        respond_error(c, 404, "Not Found", 0);
        return;
    }
    snprintf(c->api_method, sizeof c->api_method, "%s", api);

    cJSON *params = NULL;
    if (body_len) {
        params = form ? parse_form(body, body_len) : cJSON_ParseWithLength(body, body_len);
        if (!cJSON_IsObject(params)) {
            cJSON_Delete(params);
            record(s, api, dup_n(body, body_len), 0);
            respond_error(c, 400, "Bad Request: can't parse JSON object", 0);
            return;
        }
    }
    if (query && query[0]) {
        cJSON *qp = parse_form(query, strlen(query));
        if (!params) {
            params = qp;
        } else if (qp) {
            while (qp->child) {
                cJSON *it = cJSON_DetachItemViaPointer(qp, qp->child);
                if (!cJSON_GetObjectItemCaseSensitive(params, it->string))
                    cJSON_AddItemToObject(params, it->string, it);
                else
                    cJSON_Delete(it);
            }
            cJSON_Delete(qp);
        }
    }
    if (!params)
        params = cJSON_CreateObject();
    if (!params) {
        respond_error(c, 500, "out of memory", 0);
        return;
    }
    char *rec_body = (body_len && !form) ? dup_n(body, body_len) : cJSON_PrintUnformatted(params);
    c->rec = 0;
    if (rec_body) {
        record(s, api, rec_body, 1);
        c->rec = s->n_recs;
    }
    c->params = params;
    wait_check(s, c);

    struct rule f;
    if (pick_fault(s, api, &f))
        apply_fault(c, &f);
    else
        dispatch_api(c);
}

/* the end of the header block, or NULL; scanning starts near from */
static char *find_crlfcrlf(char *p, size_t n, size_t from)
{
    size_t i = from > 3 ? from - 3 : 0;
    for (; i + 4 <= n; i++) {
        char *r = memchr(p + i, '\r', n - i);
        if (!r)
            return NULL;
        i = (size_t)(r - p);
        if (i + 4 <= n && memcmp(r, "\r\n\r\n", 4) == 0)
            return r;
    }
    return NULL;
}

static int header_is(const char *line, size_t n, const char *name)
{
    size_t k = strlen(name);
    return n > k && line[k] == ':' && strncasecmp(line, name, k) == 0;
}

static void process_buffer(struct conn *c)
{
    c->in_process = 1;
    while (!c->busy && !c->closing) {
        char *p = c->buf + c->start;
        size_t avail = c->len - c->start;
        char *hend = find_crlfcrlf(p, avail, 0);
        if (!hend) {
            if (avail > MAX_HEADER) {
                c->busy = 1;
                c->close_after = 1;
                respond_error(c, 431, "Request Header Fields Too Large", 0);
            }
            break;
        }
        size_t hlen = (size_t)(hend - p) + 4;
        /* request line: METHOD SP TARGET SP VERSION */
        char *eol = memchr(p, '\r', hlen);
        char *sp1 = memchr(p, ' ', (size_t)(eol - p));
        char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
        c->busy = 1;
        if (!sp1 || !sp2) {
            c->close_after = 1;
            respond_error(c, 400, "Bad Request: malformed request line", 0);
            break;
        }
        int keep_alive = (size_t)(eol - sp2 - 1) == 8 && memcmp(sp2 + 1, "HTTP/1.1", 8) == 0;
        long long clen = 0;
        int form = 0, chunked = 0;
        char *line = eol + 2;
        while (line < hend) {
            char *le = memchr(line, '\r', (size_t)(hend + 2 - line));
            size_t n = (size_t)(le - line);
            const char *v = memchr(line, ':', n);
            v = v ? v + 1 : line + n;
            while (v < le && (*v == ' ' || *v == '\t'))
                v++;
            size_t vn = (size_t)(le - v);
            if (header_is(line, n, "Content-Length")) {
                char num[32];
                snprintf(num, sizeof num, "%.*s", (int)(vn < 31 ? vn : 31), v);
                char *end;
                clen = strtoll(num, &end, 10);
                if (end == num || clen < 0)
                    clen = -1;
            } else if (header_is(line, n, "Connection")) {
                if (vn >= 5 && strncasecmp(v, "close", 5) == 0)
                    keep_alive = 0;
                else if (vn >= 10 && strncasecmp(v, "keep-alive", 10) == 0)
                    keep_alive = 1;
            } else if (header_is(line, n, "Content-Type")) {
                form = vn >= 33 && strncasecmp(v, "application/x-www-form-urlencoded", 33) == 0;
            } else if (header_is(line, n, "Transfer-Encoding")) {
                chunked = 1;
            }
            line = le + 2;
        }
        c->close_after = !keep_alive;
        if (chunked || clen < 0) {
            c->close_after = 1;
            respond_error(c, 411, "Length Required", 0);
            break;
        }
        if ((size_t)clen > MAX_BODY) {
            c->close_after = 1;
            respond_error(c, 413, "Payload Too Large", 0);
            break;
        }
        if (avail < hlen + (size_t)clen) {
            c->busy = 0;   /* wait for the rest of the body */
            break;
        }
        size_t tlen = (size_t)(sp2 - sp1 - 1);
        char *target = dup_n(sp1 + 1, tlen);
        char *body = dup_n(p + hlen, (size_t)clen);
        c->start += hlen + (size_t)clen;
        if (!target || !body) {
            c->close_after = 1;
            respond_error(c, 500, "out of memory", 0);
        } else {
            handle_request(c, target, body, (size_t)clen, form);
        }
        free(target);
        free(body);
    }
    if (c->start == c->len) {
        c->start = c->len = 0;
    }
    c->in_process = 0;
}

/* ---- sockets ----------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct conn *c = h->data;
    (void)suggested;
    if (c->start > 0 && c->start == c->len)
        c->start = c->len = 0;
    if (c->cap - c->len < 16384) {
        if (c->start > 0) {
            memmove(c->buf, c->buf + c->start, c->len - c->start);
            c->len -= c->start;
            c->start = 0;
        }
        if (c->cap - c->len < 16384) {
            size_t ncap = c->cap ? c->cap * 2 : 65536;
            char *nb = realloc(c->buf, ncap);
            if (!nb) {
                *buf = uv_buf_init(NULL, 0);
                return;
            }
            c->buf = nb;
            c->cap = ncap;
        }
    }
    *buf = uv_buf_init(c->buf + c->len, (unsigned int)(c->cap - c->len));
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *c = st->data;
    (void)buf;
    if (nread < 0) {
        conn_close(c);
        return;
    }
    if (nread == 0 || c->closing)
        return;
    c->len += (size_t)nread;
    if (c->len - c->start > MAX_BODY + 2 * MAX_HEADER) {
        conn_close(c);
        return;
    }
    if (!c->busy && !c->in_process)
        process_buffer(c);
}

static void on_connection(uv_stream_t *server, int status)
{
    struct fake_tg *s = server->data;
    if (status < 0 || s->closing)
        return;
    struct conn *c = calloc(1, sizeof *c);
    if (!c)
        return;
    uv_tcp_init(s->loop, &c->tcp);
    uv_timer_init(s->loop, &c->timer);
    c->tcp.data = c;
    c->timer.data = c;
    c->refs = 2;
    c->s = s;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->st.connections++;
    s->st.open_connections++;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 ||
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
}

/* ---- lifetime ------------------------------------------------------------------ */

static void on_server_closed(uv_handle_t *h)
{
    struct fake_tg *s = h->data;
    if (--s->open_handles > 0)
        return;
    clear_data(s);
    free(s->q);
    free(s->recs);
    free(s->gens);
    free(s->lat);
    free(s->rules);
    free(s->token);
    free(s->username);
    free(s);
}

static void close_handles(struct fake_tg *s)
{
    uv_close((uv_handle_t *)&s->release_timer, on_server_closed);
    uv_close((uv_handle_t *)&s->listener, on_server_closed);
}

int fake_tg_new(uv_loop_t *loop, const struct fake_tg_options *opts, struct fake_tg **out)
{
    if (!loop || !out)
        return -EINVAL;
    *out = NULL;
    struct fake_tg *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->loop = loop;
    s->token = opts && opts->token ? dup_s(opts->token) : NULL;
    s->username = dup_s(opts && opts->bot_username ? opts->bot_username : "kocbot_test_bot");
    s->seed = opts ? opts->seed : 0;
    s->rng = s->seed;
    s->fault_rate = opts ? opts->fault_rate : 0.0;
    s->enforce_limits = opts ? opts->enforce_limits : 0;
    s->next_update_id = 500000001;
    s->next_message_id = 1;
    if (!s->username || (opts && opts->token && !s->token)) {
        free(s->token);
        free(s->username);
        free(s);
        return -ENOMEM;
    }
    int rc = uv_tcp_init(loop, &s->listener);
    if (rc != 0) {
        free(s->token);
        free(s->username);
        free(s);
        return rc;
    }
    s->listener.data = s;
    uv_timer_init(loop, &s->release_timer); /* cannot fail */
    s->release_timer.data = s;
    s->open_handles = 2;
    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", 0, &addr);
    rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)&addr, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&s->listener, 511, on_connection);
    struct sockaddr_storage name;
    int namelen = (int)sizeof name;
    if (rc == 0)
        rc = uv_tcp_getsockname(&s->listener, (struct sockaddr *)&name, &namelen);
    if (rc != 0) {
        /* the caller runs the loop to free s */
        s->closing = 1;
        close_handles(s);
        return rc;
    }
    s->port = ntohs(((struct sockaddr_in *)&name)->sin_port);
    *out = s;
    return 0;
}

void fake_tg_free(struct fake_tg *s)
{
    if (!s || s->closing)
        return;
    s->closing = 1;
    while (s->conns)
        conn_close(s->conns);
    close_handles(s);
}

int fake_tg_port(const struct fake_tg *s)
{
    return s ? s->port : 0;
}

void fake_tg_set_quit_cb(struct fake_tg *s, fake_tg_quit_fn fn, void *ud)
{
    if (s) {
        s->quit_fn = fn;
        s->quit_ud = ud;
    }
}

void fake_tg_set_username(struct fake_tg *s, const char *username)
{
    char *u = dup_s(username ? username : "kocbot_test_bot");
    if (s && u) {
        free(s->username);
        s->username = u;
    } else {
        free(u);
    }
}
