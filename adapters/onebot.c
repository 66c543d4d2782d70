/*
 * The OneBot adapter's state machine (decoding lives in onebot_msg.c).
 *
 *   LOGIN (get_login_info: our QQ number) -> WebSocket open -> catch-up
 *   (get_group_msg_history, one group at a time) ; socket closed -> wait
 *   (1 s doubling to backoff_max_s, jittered) -> open again
 *
 * Events from the socket, the POST listener and the history all go into
 * one pending queue, delivered on the next loop turn as one batch (so a
 * burst becomes a few transactions); a failed delivery keeps the queue and
 * retries.  Before a batch goes, two lookups may hold it: the name of a
 * group seen for the first time in this run (get_group_info, once), and
 * the role of a command's sender when the message did not say it
 * (get_group_member_info, cached ROLE_CACHE_MS; a failed lookup means
 * "member").  The cursor stored with each batch ("qq:groups") is the list of
 * groups seen, so a restart knows whose history to fetch.
 *
 * Lifetime: every HTTP request carries a heap record pointing back to the
 * adapter; destroy() orphans the records still in flight.
 */
#include "onebot.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "onebot_msg.h"

#define OB_BACKOFF_MIN_MS 1000L
#define OB_MAX_RESPONSE (16u << 20)
#define OB_MAX_PENDING 200000      /* beyond this, events wait for the history */
#define OB_FLUSH_AT 2000           /* deliver at once when this many wait */
#define OB_MAX_GROUPS 500
#define OB_RECENT 1024             /* who wrote the recent messages (for at segments) */
#define OB_REPOSTS 64
#define OB_CURSOR_KEY "qq:groups"
#define OB_ROLES 512               /* cached sender roles */
#define ROLE_CACHE_MS 300000

enum req_kind { RQ_LOGIN = 0, RQ_HISTORY, RQ_SEND, RQ_GROUP_INFO, RQ_MEMBER_INFO, RQ_DELETE };

struct ob;
struct ob_send;

struct ob_req {
    struct ob *ob;             /* NULL once the adapter was destroyed */
    struct ob_req *prev, *next;
    enum req_kind kind;
    int64_t group;             /* RQ_HISTORY, RQ_GROUP_INFO, RQ_MEMBER_INFO */
    int64_t user;              /* RQ_MEMBER_INFO */
    struct ob_send *send;      /* RQ_SEND */
};

struct ob_send {
    struct ob *ob;
    struct ob_send *prev, *next;
    char *chat_id, *reply_to, *at_user;
    char *repost_of;           /* an edit re-posted: the message it stands for */
    char **parts;
    size_t nparts, idx;
    char first_id[16];
    int64_t timer;             /* a report due from the loop (skipped re-post) */
    kb_send_done_fn done;
    void *ud;
};

struct recent {
    char chat[24], msg[16], user[24];
};

struct repost {
    char msg[16];
    char copy[16];             /* our latest copy of it, deleted when the next one is out */
    int64_t at_ms;
};

struct role_entry {
    int64_t group, user;
    enum kb_role role;
    int64_t at_ms;             /* -1: being asked */
};

struct ob {
    struct adapter base;
    const struct adapter_services *svc;
    struct ob_options o;        /* strings owned */
    int started, stopped, fatal;
    int64_t self_id;
    long backoff_ms;
    uint64_t rng;
    int64_t timer;              /* login retry or reconnect */
    int64_t ws;                 /* the socket's id, 0 when none */
    /* events waiting for delivery */
    struct ob_event *pending;
    size_t npending, cap_pending;
    int64_t flush_timer;
    long flush_backoff_ms;
    int overflow_logged;
    /* groups seen (the cursor), and the catch-up going through them */
    int64_t groups[OB_MAX_GROUPS];
    char *titles[OB_MAX_GROUPS];  /* get_group_info's name, once asked */
    unsigned char title_asked[OB_MAX_GROUPS];
    unsigned char history_warned[OB_MAX_GROUPS]; /* "no history" said once per run */
    size_t ngroups;
    struct role_entry roles[OB_ROLES];
    size_t role_at;
    size_t lookups;               /* lookups in flight: the batch waits */
    size_t hist_next;
    int hist_running;
    struct recent recent[OB_RECENT];
    size_t recent_at;
    struct repost reposts[OB_REPOSTS];
    size_t repost_at;
    struct ob_req *reqs;
    struct ob_send *sends;
};

static void ob_log(struct ob *ob, enum kb_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void ob_log(struct ob *ob, enum kb_log_level lvl, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (ob->svc->log)
        ob->svc->log(ob->svc->ctx, lvl, buf);
}

static void go_fatal(struct ob *ob, const char *msg)
{
    if (ob->fatal)
        return;
    ob->fatal = 1;
    ob_log(ob, KB_LOG_ERROR, "%s", msg);
    if (ob->svc->fatal)
        ob->svc->fatal(ob->svc->ctx, 2, msg); /* last: it may stop us */
}

static int live(const struct ob *ob)
{
    return !ob->stopped && !ob->fatal;
}

/* ==== requests ========================================================= */

static void req_unlink(struct ob *ob, struct ob_req *q)
{
    if (q->prev)
        q->prev->next = q->next;
    else if (ob && ob->reqs == q)
        ob->reqs = q->next;
    if (q->next)
        q->next->prev = q->prev;
    q->prev = q->next = NULL;
}

/* POST body (owned, freed here) to action; q is linked until done. */
static int start_req(struct ob *ob, const char *action, char *body, kb_http_done_fn done,
                     struct ob_req *q)
{
    int rc = KB_ENOMEM;
    struct sbuf url = {0};
    if (!body)
        goto out;
    sbuf_addf(&url, "%s/%s", ob->o.api, action);
    struct kb_http_request req = {
        .method = "POST", .url = sbuf_str(&url), .log_name = action, .body = body,
        .body_len = strlen(body), .content_type = "application/json",
        .timeout_ms = ob->o.request_timeout_s * 1000L, .max_response = OB_MAX_RESPONSE,
        .bearer = ob->o.access_token};
    q->ob = ob;
    q->prev = NULL;
    q->next = ob->reqs;
    if (ob->reqs)
        ob->reqs->prev = q;
    ob->reqs = q;
    rc = ob->svc->http(ob->svc->ctx, &req, done, q);
    if (rc < 0)
        req_unlink(ob, q);
    else
        rc = 0;
out:
    sbuf_free(&url);
    free(body);
    return rc;
}

static struct ob_req *req_new(enum req_kind kind)
{
    struct ob_req *q = xcalloc(1, sizeof *q);
    q->kind = kind;
    return q;
}

/* ==== timers and backoff ================================================ */

static long next_backoff(struct ob *ob)
{
    uint64_t x = ob->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    ob->rng = x;
    long base = ob->backoff_ms;
    long ms = base - (long)(x % (uint64_t)(base / 4 + 1));
    long max = ob->o.backoff_max_s * 1000L;
    ob->backoff_ms = base * 2 > max ? max : base * 2;
    return ms;
}

static void run_receive(struct ob *ob);

static void on_timer(void *ud)
{
    struct ob *ob = ud;
    ob->timer = 0;
    if (live(ob))
        run_receive(ob);
}

static void schedule_receive(struct ob *ob)
{
    if (!live(ob))
        return;
    long ms = next_backoff(ob);
    if (ob->timer > 0)
        ob->svc->timer_cancel(ob->svc->ctx, ob->timer);
    ob->timer = ob->svc->timer_start(ob->svc->ctx, (uint64_t)ms, on_timer, ob);
    if (ob->timer <= 0)
        ob->timer = 0;
    ob_log(ob, KB_LOG_INFO, "%s again in %ld ms",
           ob->self_id ? "connecting" : "get_login_info", ms);
}

/* ==== delivery ========================================================== */

static size_t group_index(const struct ob *ob, int64_t g)
{
    for (size_t i = 0; i < ob->ngroups; i++)
        if (ob->groups[i] == g)
            return i;
    return SIZE_MAX;
}

static void remember_group(struct ob *ob, int64_t g)
{
    if (g && group_index(ob, g) == SIZE_MAX && ob->ngroups < OB_MAX_GROUPS)
        ob->groups[ob->ngroups++] = g;
}

static void remember_sender(struct ob *ob, const struct kb_event *ev)
{
    if (ev->kind != KB_EV_MESSAGE || ev->chat_type != KB_CHAT_GROUP)
        return;
    struct recent *r = &ob->recent[ob->recent_at++ % OB_RECENT];
    snprintf(r->chat, sizeof r->chat, "%s", ev->chat_id);
    snprintf(r->msg, sizeof r->msg, "%s", ev->message_id);
    snprintf(r->user, sizeof r->user, "%s", ev->user_id);
}

static const char *recent_sender(const struct ob *ob, const char *chat, const char *msg)
{
    for (size_t i = 0; msg && i < OB_RECENT; i++)
        if (!strcmp(ob->recent[i].msg, msg) && !strcmp(ob->recent[i].chat, chat))
            return ob->recent[i].user;
    return NULL;
}

static void flush(struct ob *ob);

static struct role_entry *role_find(struct ob *ob, int64_t g, int64_t u)
{
    for (size_t i = 0; i < OB_ROLES; i++)
        if (ob->roles[i].group == g && ob->roles[i].user == u)
            return &ob->roles[i];
    return NULL;
}

/* A group command whose sender's role the message did not tell. */
static int needs_role(const struct ob_event *e)
{
    return e->group && !e->role_known && e->ev.text && e->ev.text[0] == '/';
}

static void lookup_done(void *ud, const struct kb_http_response *resp);

/* 0 when the lookup left (lookup_done will follow), else it was not asked. */
static int start_lookup(struct ob *ob, enum req_kind kind, int64_t g, int64_t u)
{
    struct sbuf body = {0};
    if (kind == RQ_GROUP_INFO)
        sbuf_addf(&body, "{\"group_id\":%" PRId64 "}", g);
    else
        sbuf_addf(&body, "{\"group_id\":%" PRId64 ",\"user_id\":%" PRId64 "}", g, u);
    struct ob_req *q = req_new(kind);
    q->group = g;
    q->user = u;
    if (start_req(ob, kind == RQ_GROUP_INFO ? "get_group_info" : "get_group_member_info",
                  sbuf_take(&body), lookup_done, q)) {
        free(q);
        return -1;
    }
    ob->lookups++;
    return 0;
}

/* Ask what the waiting events need; returns the lookups in flight. */
static size_t start_lookups(struct ob *ob)
{
    int64_t now = ob->svc->now_ms(ob->svc->ctx);
    for (size_t i = 0; i < ob->npending; i++) {
        const struct ob_event *e = &ob->pending[i];
        size_t gi = e->group ? group_index(ob, e->group) : SIZE_MAX;
        if (gi != SIZE_MAX && !ob->title_asked[gi]) {
            ob->title_asked[gi] = 1; /* once, whatever comes of it: the name is cosmetic */
            start_lookup(ob, RQ_GROUP_INFO, e->group, 0);
        }
        if (!needs_role(e))
            continue;
        struct role_entry *r = role_find(ob, e->group, e->user);
        if (r && (r->at_ms < 0 || now - r->at_ms < ROLE_CACHE_MS))
            continue; /* asked already, or fresh */
        if (!r)
            r = &ob->roles[ob->role_at++ % OB_ROLES];
        *r = (struct role_entry){.group = e->group, .user = e->user, .at_ms = -1};
        if (start_lookup(ob, RQ_MEMBER_INFO, e->group, e->user))
            r->at_ms = now; /* not asked: a member, for now */
    }
    return ob->lookups;
}

static void lookup_done(void *ud, const struct kb_http_response *resp)
{
    struct ob_req *q = ud;
    struct ob *ob = q->ob;
    enum req_kind kind = q->kind;
    int64_t g = q->group, u = q->user;
    req_unlink(ob, q);
    free(q);
    if (!ob)
        return;
    ob->lookups--;
    struct ob_answer a;
    ob_classify(resp, &a);
    if (kind == RQ_GROUP_INFO) {
        size_t gi = group_index(ob, g);
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(a.data, "group_name");
        if (a.outcome == KB_SEND_OK && gi != SIZE_MAX && cJSON_IsString(name) &&
            utf8_valid(name->valuestring, strlen(name->valuestring)) && !ob->titles[gi])
            ob->titles[gi] = xstrdup(name->valuestring);
    } else {
        struct role_entry *r = role_find(ob, g, u);
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(a.data, "role");
        const char *rs = cJSON_IsString(role) ? role->valuestring : "";
        if (r) {
            r->role = a.outcome == KB_SEND_OK && (!strcmp(rs, "owner") || !strcmp(rs, "admin"))
                          ? KB_ROLE_CHAT_ADMIN : KB_ROLE_MEMBER;
            r->at_ms = ob->svc->now_ms(ob->svc->ctx);
        }
        if (a.outcome != KB_SEND_OK)
            ob_log(ob, KB_LOG_WARN, "get_group_member_info failed (%s): treated as a member",
                   a.description);
    }
    ob_answer_free(&a);
    if (a.outcome == KB_SEND_FATAL) {
        go_fatal(ob, "the OneBot implementation refused the access token");
        return;
    }
    if (ob->lookups == 0)
        flush(ob);
}

static void on_flush_timer(void *ud)
{
    struct ob *ob = ud;
    ob->flush_timer = 0;
    flush(ob);
}

static void schedule_flush(struct ob *ob, long ms)
{
    if (ob->flush_timer > 0 || !live(ob))
        return;
    ob->flush_timer = ob->svc->timer_start(ob->svc->ctx, (uint64_t)ms, on_flush_timer, ob);
    if (ob->flush_timer <= 0)
        ob->flush_timer = 0;
}

static void pending_clear(struct ob *ob)
{
    for (size_t i = 0; i < ob->npending; i++)
        ob_event_clear(&ob->pending[i]);
    ob->npending = 0;
}

/* Apply every waiting event in one transaction with the groups cursor. */
static void flush(struct ob *ob)
{
    if (!ob->npending || !live(ob) || start_lookups(ob) > 0)
        return;
    struct kb_event *evs = xcalloc(ob->npending, sizeof *evs);
    for (size_t i = 0; i < ob->npending; i++) {
        const struct ob_event *e = &ob->pending[i];
        evs[i] = e->ev;
        size_t gi = e->group ? group_index(ob, e->group) : SIZE_MAX;
        if (gi != SIZE_MAX && ob->titles[gi])
            evs[i].chat_title = ob->titles[gi];
        const struct role_entry *r = needs_role(e) ? role_find(ob, e->group, e->user) : NULL;
        if (r && r->at_ms >= 0)
            evs[i].role = r->role;
    }
    struct sbuf cursor = {0};
    for (size_t i = 0; i < ob->ngroups; i++)
        sbuf_addf(&cursor, "%s%" PRId64, i ? "," : "", ob->groups[i]);
    int rc = ob->svc->deliver(ob->svc->ctx, evs, ob->npending, OB_CURSOR_KEY, sbuf_str(&cursor));
    free(evs);
    sbuf_free(&cursor);
    if (rc < 0) {
        long ms = ob->flush_backoff_ms;
        ob->flush_backoff_ms = ms * 2 > 60000 ? 60000 : ms * 2;
        ob_log(ob, KB_LOG_WARN, "%zu events not applied (%s); retry in %ld ms",
               ob->npending, kb_strerror(rc), ms);
        schedule_flush(ob, ms);
        return;
    }
    for (size_t i = 0; i < ob->npending; i++)
        remember_sender(ob, &ob->pending[i].ev);
    pending_clear(ob);
    ob->flush_backoff_ms = OB_BACKOFF_MIN_MS;
    ob->overflow_logged = 0;
}

/* Decode one event object and queue it; 0, or KB_EPARSE (logged). */
static int enqueue(struct ob *ob, const cJSON *obj, const char *source)
{
    struct ob_event e;
    int rc = ob_decode_event(obj, ob->self_id, ob->o.bot_name, &e);
    if (rc) {
        char *raw = cJSON_PrintUnformatted(obj);
        ob_log(ob, KB_LOG_WARN, "undecodable event from %s skipped", source);
        ob_log(ob, KB_LOG_DEBUG, "undecodable event: %.900s", raw ? raw : "?");
        free(raw);
        return rc;
    }
    if (!e.has_event)
        return 0;
    if (ob->npending >= OB_MAX_PENDING) {
        if (!ob->overflow_logged)
            ob_log(ob, KB_LOG_ERROR, "%d events wait for the database; later ones "
                   "are left to the history catch-up", OB_MAX_PENDING);
        ob->overflow_logged = 1;
        ob_event_clear(&e);
        return 0;
    }
    if (ob->npending == ob->cap_pending) {
        ob->cap_pending = ob->cap_pending ? ob->cap_pending * 2 : 256;
        ob->pending = xrealloc(ob->pending, ob->cap_pending * sizeof *ob->pending);
    }
    remember_group(ob, e.group);
    ob->pending[ob->npending++] = e;
    if (ob->npending >= OB_FLUSH_AT)
        flush(ob);
    else
        schedule_flush(ob, 0);
    return 0;
}

/* One JSON text (a frame or a POST body): an event, or an action echo. */
static int take_text(struct ob *ob, const char *data, size_t len, const char *source)
{
    cJSON *root = cJSON_ParseWithLength(data, len);
    int rc = 0;
    if (!cJSON_IsObject(root)) {
        ob_log(ob, KB_LOG_WARN, "unreadable JSON from %s (%zu bytes) skipped", source, len);
        rc = KB_EPARSE;
    } else if (cJSON_GetObjectItemCaseSensitive(root, "post_type")) {
        rc = enqueue(ob, root, source);
    } /* else an answer to an action sent over the socket: we send none */
    cJSON_Delete(root);
    return rc;
}

/* ==== history catch-up ================================================== */

static void history_done(void *ud, const struct kb_http_response *resp);

static void history_next(struct ob *ob)
{
    if (!live(ob) || ob->hist_next >= ob->ngroups || ob->o.history_count <= 0) {
        ob->hist_running = 0;
        return;
    }
    int64_t g = ob->groups[ob->hist_next++];
    struct sbuf body = {0};
    sbuf_addf(&body, "{\"group_id\":%" PRId64 ",\"count\":%d}", g, ob->o.history_count);
    struct ob_req *q = req_new(RQ_HISTORY);
    q->group = g;
    if (start_req(ob, "get_group_msg_history", sbuf_take(&body), history_done, q)) {
        free(q);
        ob->hist_running = 0;
    }
}

static void catch_up(struct ob *ob)
{
    if (ob->hist_running)
        ob->hist_next = 0; /* the running round starts over */
    else if (ob->ngroups && ob->o.history_count > 0) {
        ob->hist_running = 1;
        ob->hist_next = 0;
        ob_log(ob, KB_LOG_INFO, "fetching the recent history of %zu group(s)", ob->ngroups);
        history_next(ob);
    }
}

static void history_done(void *ud, const struct kb_http_response *resp)
{
    struct ob_req *q = ud;
    struct ob *ob = q->ob;
    int64_t g = q->group;
    req_unlink(ob, q);
    free(q);
    if (!ob || !live(ob))
        return;
    struct ob_answer a;
    ob_classify(resp, &a);
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(a.data, "messages");
    if (a.outcome == KB_SEND_OK && cJSON_IsArray(msgs)) {
        cJSON *m;
        size_t n = 0;
        cJSON_ArrayForEach(m, msgs) {
            /* history items may leave out what the event stream always says */
            if (!cJSON_GetObjectItemCaseSensitive(m, "post_type"))
                cJSON_AddStringToObject(m, "post_type", "message");
            if (!cJSON_GetObjectItemCaseSensitive(m, "message_type"))
                cJSON_AddStringToObject(m, "message_type", "group");
            if (!cJSON_GetObjectItemCaseSensitive(m, "group_id"))
                cJSON_AddNumberToObject(m, "group_id", (double)g);
            if (enqueue(ob, m, "history") == 0)
                n++;
        }
        ob_log(ob, KB_LOG_DEBUG, "history of group %" PRId64 ": %zu messages", g, n);
    } else {
        size_t gi = group_index(ob, g);
        int first = gi != SIZE_MAX && !ob->history_warned[gi];
        if (first)
            ob->history_warned[gi] = 1;
        ob_log(ob, first ? KB_LOG_WARN : KB_LOG_DEBUG, "no history for group %" PRId64
               " (%s); what it said while we were away is lost", g, a.description);
    }
    ob_answer_free(&a);
    if (a.outcome == KB_SEND_FATAL) {
        go_fatal(ob, "the OneBot implementation refused the access token");
        return;
    }
    history_next(ob);
}

/* ==== the WebSocket ===================================================== */

static void ws_opened(void *ud)
{
    struct ob *ob = ud;
    ob->backoff_ms = OB_BACKOFF_MIN_MS;
    ob_log(ob, KB_LOG_INFO, "event socket open");
    catch_up(ob);
}

static void ws_message(void *ud, const char *data, size_t len)
{
    take_text(ud, data, len, "the socket");
}

static void ws_closed(void *ud, const char *why)
{
    struct ob *ob = ud;
    ob->ws = 0;
    if (!live(ob))
        return;
    ob_log(ob, KB_LOG_WARN, "event socket closed: %s", why);
    schedule_receive(ob);
}

static void open_socket(struct ob *ob)
{
    ob->ws = ob->svc->ws_open(ob->svc->ctx, ob->o.ws_url, ob->o.access_token, ws_opened,
                              ws_message, ws_closed, ob);
    if (ob->ws < 0) {
        ob->ws = 0;
        go_fatal(ob, "the forward WebSocket URL cannot be used");
    }
}

/* ==== login ============================================================= */

static void login_done(void *ud, const struct kb_http_response *resp)
{
    struct ob_req *q = ud;
    struct ob *ob = q->ob;
    req_unlink(ob, q);
    free(q);
    if (!ob || !live(ob))
        return;
    struct ob_answer a;
    ob_classify(resp, &a);
    int64_t self = 0;
    if (a.outcome == KB_SEND_OK && ob_read_id(a.data, "user_id", 1, 9007199254740991.0, &self) == 0) {
        ob->self_id = self;
        ob->backoff_ms = OB_BACKOFF_MIN_MS;
        ob_log(ob, KB_LOG_INFO, "logged in as QQ %" PRId64, self);
        ob_answer_free(&a);
        run_receive(ob);
        return;
    }
    ob_log(ob, KB_LOG_WARN, "get_login_info failed (%s)", a.description);
    ob_answer_free(&a);
    if (a.outcome == KB_SEND_FATAL)
        go_fatal(ob, "the OneBot implementation refused the access token");
    else
        schedule_receive(ob);
}

/* The next receive step: log in, then (re)open the socket. */
static void run_receive(struct ob *ob)
{
    if (!ob->self_id) {
        struct ob_req *q = req_new(RQ_LOGIN);
        if (start_req(ob, "get_login_info", xstrdup("{}"), login_done, q)) {
            free(q);
            schedule_receive(ob);
        }
        return;
    }
    if (ob->o.ws_url && *ob->o.ws_url) {
        if (!ob->ws)
            open_socket(ob);
    } else {
        catch_up(ob); /* events come by POST only */
    }
}

/* ==== HTTP POST events ================================================== */

static int hex_eq(const unsigned char *mac, const char *hex)
{
    static const char digits[] = "0123456789abcdef";
    if (!hex || strlen(hex) != 40)
        return 0;
    unsigned diff = 0;
    for (size_t i = 0; i < 20; i++) {
        diff |= (unsigned)(digits[mac[i] >> 4] ^ (hex[2 * i] | 0x20));
        diff |= (unsigned)(digits[mac[i] & 15] ^ (hex[2 * i + 1] | 0x20));
    }
    return diff == 0;
}

/* An event POSTed to us; the answer has no body (OneBot's "quick
   operations" are not used: replies go through the outbox). */
static int serve_post(void *ud, const struct kb_http_incoming *req, struct kb_http_body *body)
{
    struct ob *ob = ud;
    (void)body;
    if (!live(ob))
        return 503;
    if (strcmp(req->method, "POST") != 0)
        return 405;
    if (ob->o.post_secret && *ob->o.post_secret) {
        const char *sig = req->header(req, "X-Signature");
        unsigned char mac[20];
        if (!sig || strncmp(sig, "sha1=", 5) ||
            ob->svc->hmac_sha1(ob->svc->ctx, ob->o.post_secret, strlen(ob->o.post_secret),
                               req->body, req->body_len, mac) ||
            !hex_eq(mac, sig + 5)) {
            ob_log(ob, KB_LOG_WARN, "POST event with a %s signature refused",
                   sig ? "wrong" : "missing");
            return 403;
        }
    }
    /* events of another account (several implementations posting here)
       would be answered through ours: refuse them */
    const char *sid = req->header(req, "X-Self-ID");
    int64_t self;
    if (sid && ob->self_id && (parse_i64(sid, 1, INT64_MAX, &self) || self != ob->self_id)) {
        ob_log(ob, KB_LOG_WARN, "POST event for QQ %.20s refused: we are %" PRId64, sid, ob->self_id);
        return 403;
    }
    if (take_text(ob, req->body, req->body_len, "a POST") == KB_EPARSE)
        return 400;
    flush(ob); /* answer once the event is applied, or queued (a lookup, a retry) */
    return 204;
}

/* ==== send side ========================================================= */

static void send_free(struct ob_send *s)
{
    ob_parts_free(s->parts, s->nparts);
    free(s->repost_of);
    free(s->chat_id);
    free(s->reply_to);
    free(s->at_user);
    free(s);
}

static void send_unlink(struct ob *ob, struct ob_send *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else if (ob->sends == s)
        ob->sends = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
}

static struct repost *repost_find(struct ob *ob, const char *msg)
{
    for (size_t i = 0; msg && i < OB_REPOSTS; i++)
        if (!strcmp(ob->reposts[i].msg, msg))
            return &ob->reposts[i];
    return NULL;
}

static void delete_done(void *ud, const struct kb_http_response *resp)
{
    struct ob_req *q = ud;
    (void)resp; /* a copy left behind is untidy, not wrong */
    req_unlink(q->ob, q);
    free(q);
}

/* A card was re-posted: remove our previous copy (never the original). */
static void replace_copy(struct ob *ob, const char *of, const char *new_id)
{
    struct repost *r = repost_find(ob, of);
    if (!r)
        return;
    if (r->copy[0]) {
        struct sbuf body = {0};
        sbuf_addf(&body, "{\"message_id\":%s}", r->copy);
        struct ob_req *q = req_new(RQ_DELETE);
        if (start_req(ob, "delete_msg", sbuf_take(&body), delete_done, q))
            free(q);
    }
    snprintf(r->copy, sizeof r->copy, "%s", new_id);
}

static void send_finish(struct ob_send *s, enum kb_send_outcome outcome, const char *desc)
{
    struct ob *ob = s->ob;
    if (outcome == KB_SEND_OK && s->repost_of && s->first_id[0] && s->idx)
        replace_copy(ob, s->repost_of, s->first_id);
    struct kb_send_result res = {.outcome = outcome, .description = desc && *desc ? desc : NULL,
                                 .message_id = outcome == KB_SEND_OK && s->first_id[0]
                                                   ? s->first_id : NULL};
    if (outcome == KB_SEND_FAILED)
        ob_log(ob, KB_LOG_WARN, "send to %s dropped (%s)", s->chat_id, desc ? desc : "-");
    send_unlink(ob, s);
    s->done(s->ud, &res);
    send_free(s);
    if (outcome == KB_SEND_FATAL)
        go_fatal(ob, "the OneBot implementation refused the access token");
}

static void send_done(void *ud, const struct kb_http_response *resp);

static int send_part(struct ob_send *s)
{
    const char *action = NULL;
    /* only the first part answers the command */
    char *body = ob_encode_send_dup(s->chat_id, s->idx ? NULL : s->reply_to,
                                    s->idx ? NULL : s->at_user, s->parts[s->idx], &action);
    if (!body)
        return KB_EINVAL;
    struct ob_req *q = req_new(RQ_SEND);
    q->send = s;
    int rc = start_req(s->ob, action, body, send_done, q);
    if (rc)
        free(q);
    return rc;
}

static void send_done(void *ud, const struct kb_http_response *resp)
{
    struct ob_req *q = ud;
    struct ob *ob = q->ob;
    struct ob_send *s = q->send;
    req_unlink(ob, q);
    free(q);
    if (!ob || !s)
        return;
    struct ob_answer a;
    ob_classify(resp, &a);
    enum kb_send_outcome out = a.outcome;
    char desc[sizeof a.description];
    memcpy(desc, a.description, sizeof desc);
    if (out == KB_SEND_OK && s->idx == 0)
        memcpy(s->first_id, a.message_id, sizeof s->first_id);
    ob_answer_free(&a);
    if (out == KB_SEND_OK && ++s->idx < s->nparts) {
        int rc = ob->stopped ? KB_ESHUTDOWN : send_part(s);
        if (rc == 0)
            return;
        out = KB_SEND_RETRY_ONCE; /* earlier parts are out */
        snprintf(desc, sizeof desc, "part %zu of %zu not sent", s->idx + 1, s->nparts);
    } else if (s->idx > 0 && (out == KB_SEND_RETRY || out == KB_SEND_RETRY_ONCE)) {
        out = KB_SEND_RETRY_ONCE; /* a retry repeats the parts already out */
    }
    send_finish(s, out, desc);
}

static void skipped_report(void *ud)
{
    struct ob_send *s = ud;
    s->timer = 0;
    send_finish(s, KB_SEND_OK, NULL);
}

/* An edit is a re-post: 1 when this message was re-posted too recently. */
static int repost_too_soon(struct ob *ob, const char *msg)
{
    int64_t now = ob->svc->now_ms(ob->svc->ctx);
    struct repost *r = repost_find(ob, msg);
    if (r && now - r->at_ms < ob->o.repost_gap_s * 1000L)
        return 1;
    if (!r) {
        r = &ob->reposts[ob->repost_at++ % OB_REPOSTS];
        *r = (struct repost){.at_ms = now};
        snprintf(r->msg, sizeof r->msg, "%s", msg);
    }
    r->at_ms = now;
    return 0;
}

static int ob_send_op(struct adapter *ad, const struct kb_reply *r, kb_send_done_fn done, void *ud)
{
    struct ob *ob = ad->priv;
    if (!live(ob))
        return KB_ESHUTDOWN;
    if (!r || !done || !r->chat_id || r->kind == KB_REPLY_ANSWER)
        return KB_EINVAL; /* no buttons, so no button presses to answer */
    struct ob_send *s = xcalloc(1, sizeof *s);
    s->ob = ob;
    s->done = done;
    s->ud = ud;
    s->chat_id = xstrdup(r->chat_id);
    if (r->kind == KB_REPLY_SEND) {
        s->reply_to = xstrdup(r->reply_to);
        s->at_user = xstrdup(recent_sender(ob, r->chat_id, r->reply_to));
    }
    char *text = ob_render_text_dup(r->text, r->buttons);
    int rc = ob_split(text, ad->max_text, &s->parts, &s->nparts);
    free(text);
    if (rc == 0 && s->nparts == 0)
        rc = KB_EINVAL;
    if (rc) {
        send_free(s);
        return rc;
    }
    s->next = ob->sends;
    if (ob->sends)
        ob->sends->prev = s;
    ob->sends = s;
    if (r->kind == KB_REPLY_EDIT && r->edit_message_id &&
        repost_too_soon(ob, r->edit_message_id)) {
        s->timer = ob->svc->timer_start(ob->svc->ctx, 0, skipped_report, s);
        rc = s->timer > 0 ? 0 : KB_ESHUTDOWN;
    } else {
        if (r->kind == KB_REPLY_EDIT)
            s->repost_of = xstrdup(r->edit_message_id);
        rc = send_part(s);
    }
    if (rc) {
        send_unlink(ob, s);
        send_free(s);
    }
    return rc;
}

/* ==== lifecycle ========================================================= */

static int ob_start(struct adapter *ad)
{
    struct ob *ob = ad->priv;
    if (ob->started || ob->stopped)
        return KB_EINVAL;
    char buf[OB_MAX_GROUPS * 21 + 1] = "";
    if (ob->svc->cursor_load && ob->svc->cursor_load(ob->svc->ctx, OB_CURSOR_KEY, buf, sizeof buf) == 0) {
        for (char *p = buf; *p;) {
            int64_t g;
            size_t n = strcspn(p, ",");
            char save = p[n];
            p[n] = '\0';
            if (parse_i64(p, 1, INT64_MAX, &g) == 0)
                remember_group(ob, g);
            p += n + (save ? 1 : 0);
        }
    }
    if (ob->o.post_listen && *ob->o.post_listen) {
        int rc = ob->svc->http_serve(ob->svc->ctx, ob->o.post_listen, ob->o.post_path,
                                     serve_post, ob);
        if (rc)
            return rc;
    }
    ob->started = 1;
    run_receive(ob);
    return 0;
}

static void ob_stop(struct adapter *ad)
{
    struct ob *ob = ad->priv;
    if (ob->stopped)
        return;
    flush(ob); /* what arrived is applied before we go */
    ob->stopped = 1;
    if (ob->timer > 0)
        ob->svc->timer_cancel(ob->svc->ctx, ob->timer);
    if (ob->flush_timer > 0)
        ob->svc->timer_cancel(ob->svc->ctx, ob->flush_timer);
    ob->timer = ob->flush_timer = 0;
    if (ob->ws > 0)
        ob->svc->ws_close(ob->svc->ctx, ob->ws);
    ob->ws = 0;
    /* skipped re-posts waiting for their report are reported now */
    for (struct ob_send *s = ob->sends, *next; s; s = next) {
        next = s->next;
        if (s->timer > 0) {
            ob->svc->timer_cancel(ob->svc->ctx, s->timer);
            s->timer = 0;
            send_finish(s, KB_SEND_OK, NULL);
        }
    }
}

static void ob_destroy(struct adapter *ad)
{
    if (!ad)
        return;
    struct ob *ob = ad->priv;
    ob_stop(ad);
    for (struct ob_req *q = ob->reqs, *next; q; q = next) {
        next = q->next;
        q->ob = NULL;
        q->send = NULL;
        q->prev = q->next = NULL;
    }
    while (ob->sends) {
        struct ob_send *s = ob->sends;
        send_unlink(ob, s);
        send_free(s);
    }
    pending_clear(ob);
    free(ob->pending);
    for (size_t i = 0; i < ob->ngroups; i++)
        free(ob->titles[i]);
    char **strs[] = {&ob->o.api, &ob->o.ws_url, &ob->o.access_token, &ob->o.post_listen,
                     &ob->o.post_path, &ob->o.post_secret};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        if (*strs[i])
            memset(*strs[i], 0, strlen(*strs[i]));
        free(*strs[i]);
    }
    free(ob);
}

static const struct adapter_ops ob_ops = {
    .name = "onebot",
    .platform = OB_PLATFORM,
    .start = ob_start,
    .stop = ob_stop,
    .send = ob_send_op,
    .destroy = ob_destroy,
};

int ob_adapter_new(const struct ob_options *o, const struct adapter_services *svc,
                   struct adapter **out)
{
    *out = NULL;
    if (!o || !svc || !o->api || !*o->api || !svc->http || !svc->timer_start ||
        !svc->timer_cancel || !svc->deliver || !svc->now_ms || !svc->ws_open ||
        !svc->ws_close || !svc->http_serve || !svc->hmac_sha1)
        return KB_EINVAL;
    int has_ws = o->ws_url && *o->ws_url, has_post = o->post_listen && *o->post_listen;
    if (!has_ws && !has_post)
        return KB_EINVAL; /* no way to receive events */
    if (o->access_token && strpbrk(o->access_token, "\r\n"))
        return KB_EINVAL;
    struct ob *ob = xcalloc(1, sizeof *ob);
    ob->svc = svc;
    ob->o = *o;
    ob->o.api = xstrdup(o->api);
    ob->o.ws_url = xstrdup(o->ws_url);
    ob->o.access_token = xstrdup(o->access_token);
    ob->o.post_listen = xstrdup(o->post_listen);
    ob->o.post_path = xstrdup(o->post_path && *o->post_path ? o->post_path : "/onebot");
    ob->o.post_secret = xstrdup(o->post_secret);
    size_t al = strlen(ob->o.api);
    while (al && ob->o.api[al - 1] == '/')
        ob->o.api[--al] = '\0';
    if (ob->o.request_timeout_s <= 0)
        ob->o.request_timeout_s = 15;
    if (ob->o.backoff_max_s <= 0)
        ob->o.backoff_max_s = 60;
    if (ob->o.max_text <= 0)
        ob->o.max_text = 3000;
    ob->backoff_ms = ob->flush_backoff_ms = OB_BACKOFF_MIN_MS;
    ob->rng = (uint64_t)svc->now_ms(svc->ctx) ^ (uint64_t)(uintptr_t)ob ^ 0x9E3779B97F4A7C15ULL;
    if (!ob->rng)
        ob->rng = 1;
    ob->base.ops = &ob_ops;
    ob->base.svc = svc;
    ob->base.max_text = (size_t)ob->o.max_text;
    ob->base.pace_chat_gap_ms = ob->o.chat_gap_ms;
    ob->base.pace_per_group_per_min = ob->o.per_group_per_min;
    ob->base.priv = ob;
    *out = &ob->base;
    return 0;
}

/* ==== the registry row ================================================= */

static int check_ws_url(const char *s, char *why, size_t cap)
{
    if ((strncmp(s, "ws://", 5) || !s[5] || strpbrk(s, " \r\n"))) {
        snprintf(why, cap, "must be a ws:// URL (wss: put a TLS proxy in front) ");
        return -1;
    }
    return 0;
}

static int check_listen(const char *s, char *why, size_t cap)
{
    const char *colon = strrchr(s, ':');
    int64_t port;
    if ((!colon || colon == s || parse_i64(colon + 1, 1, 65535, &port))) {
        snprintf(why, cap, "must be <IPv4 address>:<port> (e.g. 127.0.0.1:5701) ");
        return -1;
    }
    return 0;
}

static int check_path(const char *s, char *why, size_t cap)
{
    if (s[0] != '/' || strpbrk(s, " ?#\r\n")) {
        snprintf(why, cap, "must start with '/' and hold no spaces, '?' or '#'");
        return -1;
    }
    return 0;
}

/* QQ numbers: digits, no sign, no leading zero */
static int check_user_id(const char *id)
{
    int64_t v;
    return id[0] != '0' && parse_i64(id, 1, INT64_MAX, &v) == 0 && id[strspn(id, "0123456789")] == '\0'
               ? 0 : -1;
}

static int ob_create(const void *opts, const struct adapter_host *host,
                     const struct adapter_services *svc, struct adapter **out)
{
    struct ob_options o = *(const struct ob_options *)opts;
    o.bot_name = host->bot_name;
    return ob_adapter_new(&o, svc, out);
}

#define OB_OFF(f) offsetof(struct ob_options, f)

static const struct adapter_key ob_keys[] = {
    {.name = "api", .type = ADAPTER_KEY_STR, .off = OB_OFF(api), .max_len = 512,
     .flags = ADAPTER_KEY_URL | ADAPTER_KEY_REQUIRED, .env = "KOCBOT_ONEBOT_API"},
    {.name = "ws_url", .type = ADAPTER_KEY_STR, .off = OB_OFF(ws_url), .max_len = 512,
     .flags = ADAPTER_KEY_OPTIONAL, .env = "KOCBOT_ONEBOT_WS", .check = check_ws_url},
    {.name = "access_token", .type = ADAPTER_KEY_STR, .off = OB_OFF(access_token),
     .max_len = 256, .flags = ADAPTER_KEY_SECRET | ADAPTER_KEY_OPTIONAL, .env = "KOCBOT_ONEBOT_TOKEN"},
    {.name = "post_listen", .type = ADAPTER_KEY_STR, .off = OB_OFF(post_listen), .max_len = 64,
     .flags = ADAPTER_KEY_OPTIONAL, .env = "KOCBOT_ONEBOT_LISTEN", .check = check_listen},
    {.name = "post_path", .type = ADAPTER_KEY_STR, .off = OB_OFF(post_path), .max_len = 128,
     .dstr = "/onebot", .check = check_path},
    {.name = "post_secret", .type = ADAPTER_KEY_STR, .off = OB_OFF(post_secret), .max_len = 256,
     .flags = ADAPTER_KEY_SECRET | ADAPTER_KEY_OPTIONAL, .env = "KOCBOT_ONEBOT_SECRET"},
    {.name = "request_timeout_s", .type = ADAPTER_KEY_INT, .off = OB_OFF(request_timeout_s),
     .min = 1, .max = 300, .dnum = 15},
    {.name = "backoff_max_s", .type = ADAPTER_KEY_INT, .off = OB_OFF(backoff_max_s),
     .min = 1, .max = 3600, .dnum = 60},
    {.name = "history_count", .type = ADAPTER_KEY_INT, .off = OB_OFF(history_count),
     .min = 0, .max = 20000, .dnum = 50},
    {.name = "chat_gap_ms", .type = ADAPTER_KEY_INT, .off = OB_OFF(chat_gap_ms),
     .min = 1, .max = 600000, .dnum = 1500},
    {.name = "per_group_per_min", .type = ADAPTER_KEY_INT, .off = OB_OFF(per_group_per_min),
     .min = 1, .max = 100000, .dnum = 20},
    {.name = "max_text", .type = ADAPTER_KEY_INT, .off = OB_OFF(max_text),
     .min = 100, .max = 20000, .dnum = 3000},
    {.name = "repost_gap_s", .type = ADAPTER_KEY_INT, .off = OB_OFF(repost_gap_s),
     .min = 0, .max = 86400, .dnum = 300},
};

const struct adapter_kind ob_adapter_kind = {
    .name = "onebot",
    .platform = OB_PLATFORM,
    .section = "onebot",
    .keys = ob_keys,
    .n_keys = sizeof ob_keys / sizeof ob_keys[0],
    .options_size = sizeof(struct ob_options),
    .caps = {.max_text = 3000, .paced = 1, .buttons = 0, .edits = 0, .reactions = 0,
             .topics = 0, .direct_messages = 1, .sender_role = 1},
    .check_user_id = check_user_id,
    .user_id_rule = "QQ user ids are QQ numbers (digits)",
    .create = ob_create,
};
