/*
 * The Matrix adapter's state machine (pure decoding lives in
 * matrix_json.c).
 *
 * Receive side, one step at a time, never more than one /sync in flight:
 *
 *   [LOGIN] -> WHOAMI -> SYNC -> (answer) -> PREPARE -> DELIVER
 *                         ^                                |
 *                         +------ deliver committed -------+
 *
 * PREPARE starts what the batch needs before it can be committed: the
 * power levels of rooms whose cache is stale, the cards (our own messages
 * with buttons) that reactions point at and that are not cached, and the
 * answers to invitations (join, or reject), and the events a limited
 * timeline left out (/messages).  The batch is built once all of them have
 * finished; a lookup answered 429/5xx (or not at all) prepares the batch
 * again later, any other failure means "member" / "not a card".
 *
 * Failures: transport errors, 5xx and unreadable answers back off (1 s
 * doubling to backoff_max_s, with jitter); 429 M_LIMIT_EXCEEDED waits
 * exactly retry_after_ms; 401 (M_UNKNOWN_TOKEN) is fatal for this adapter.
 *
 * Lifetime: every HTTP request carries a heap record pointing back to the
 * adapter; destroy() orphans the records still in flight.  After stop() no
 * request is started.  The token only travels in request->bearer.
 */
#include "matrix.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "matrix_json.h"

#define MX_BACKOFF_MIN_MS 1000L
#define MX_EMPTY_SYNC_MIN_MS 1000
#define MX_MAX_RESPONSE (32u << 20)
#define MX_CURSOR_SINCE "mx:since"
#define MX_CURSOR_TXN "mx:txn"
#define MX_SECRET_LOGIN "matrix.login"
#define MX_CARDS 256               /* recent messages with buttons (or known not to be) */
#define MX_RAW_KEEP_MAX 4096       /* bytes of an unreadable event kept for inspection */
#define MX_NAMES 4096              /* display names seen in member events */
#define MX_API "/_matrix/client/v3"
#define MX_GAP_PAGES 20            /* a limited timeline is filled up to 20 x 500 events */
#define MX_GAP_KEY "org.kocbot.gap" /* where fetched older events wait in the sync JSON */
#define MX_OPEN_WAIT_MS 100        /* a batch waits this long for a createRoom in flight */

enum step { STEP_NONE = 0, STEP_LOGIN, STEP_WHOAMI, STEP_DIRECT, STEP_SYNC, STEP_PREPARE, STEP_DELIVER };
enum req_kind { RQ_CONTROL = 0, RQ_POWER, RQ_CARD, RQ_INVITE, RQ_GAP, RQ_SEND, RQ_OPEN, RQ_DIRECT };

struct mx;

struct mx_req {
    struct mx *mx;                 /* NULL once the adapter was destroyed */
    struct mx_req *prev, *next;
    enum req_kind kind;
    enum step step;                /* RQ_CONTROL */
    char *room;                    /* RQ_POWER, RQ_CARD, RQ_INVITE, RQ_GAP */
    char *event_id;                /* RQ_CARD */
    char *user;                    /* RQ_INVITE to a direct chat: the inviter */
    int pages;                     /* RQ_GAP: pages fetched so far */
    struct mx_send *send;          /* RQ_SEND, RQ_OPEN */
};

struct mx_send {
    struct mx *mx;
    struct mx_send *prev, *next;
    char *card_id;                 /* event the buttons belong to (edits: the original) */
    char *buttons;
    char *body, *txn;              /* the PUT, while a private chat is being opened */
    char *chat;                    /* a room, or a user id (their private chat) */
    int held;                      /* waiting for the account's rate limit (gate) */
    kb_send_done_fn done;
    void *ud;
};

struct mx_room {
    char *id;
    char *title;
    int64_t power_ms;              /* when the power levels were read; -1: never */
    struct mx_power power;
    int asked;                     /* a power-levels lookup is in flight */
    int encrypted;                 /* m.room.encryption seen: we cannot read it */
};

struct mx_card {
    char *event_id;
    struct mx_buttons bt;          /* bt.n == 0: not a card */
};

struct mx_name {
    char *user, *name;
};

struct mx {
    struct adapter base;
    const struct adapter_services *svc;
    char *hs, *token, *user_cfg, *password, *device_cfg, *invites;
    int sync_timeout_s, power_cache_s, admins_are_operators;
    long request_ms, backoff_max_ms;
    int started, stopped, fatal, token_stored;
    enum step step;
    int64_t timer;
    long backoff_ms;
    uint64_t rng;
    int64_t sync_started_ms;
    char me[256], device[128], localpart[128];
    char nonce[40];
    char *since;                   /* "" before the first sync */
    /* the batch being prepared / delivered */
    cJSON *sync;
    char *next_batch;
    size_t pending;
    long lookup_wait_ms;           /* a lookup must be repeated: 0 none, -1 back off,
                                      > 0 the server's retry_after_ms */
    struct kb_event *evs;
    size_t nevs, cap_evs;
    char **owned;
    size_t nowned, cap_owned;
    /* caches */
    struct mx_room *rooms;
    size_t nrooms, cap_rooms;
    struct mx_card cards[MX_CARDS];
    size_t card_pos;
    cJSON *direct;                 /* m.direct (mx_direct_parse): our private chats */
    int direct_read;               /* read at start: sends to members may open chats */
    int direct_saving, direct_dirty; /* one PUT of it at a time; another owed */
    struct mx_name names[MX_NAMES];
    size_t name_pos;
    struct mx_req *reqs;
    struct mx_send *sends;
    int64_t gate;                  /* a 429's wait in progress: every send holds */
};

static void run_step(struct mx *mx);
static int is_user_id(const char *s);

/* ==== logging (secrets scrubbed) ======================================= */

static void scrub(char *s, const char *secret)
{
    size_t sl = secret ? strlen(secret) : 0;
    if (sl < 4)
        return;
    for (char *p = strstr(s, secret); p; p = strstr(p, secret)) {
        memset(p, '*', sl);
        p += sl;
    }
}

static void mx_log(struct mx *mx, enum kb_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void mx_log(struct mx *mx, enum kb_log_level lvl, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    scrub(buf, mx->token);
    scrub(buf, mx->password);
    if (mx->svc->log)
        mx->svc->log(mx->svc->ctx, lvl, buf);
}

/* ==== small caches ====================================================== */

static struct mx_room *room_get(struct mx *mx, const char *id)
{
    for (size_t i = 0; i < mx->nrooms; i++)
        if (strcmp(mx->rooms[i].id, id) == 0)
            return &mx->rooms[i];
    if (mx->nrooms == mx->cap_rooms) {
        mx->cap_rooms = mx->cap_rooms ? mx->cap_rooms * 2 : 16;
        mx->rooms = xrealloc(mx->rooms, mx->cap_rooms * sizeof *mx->rooms);
    }
    struct mx_room *r = &mx->rooms[mx->nrooms++];
    memset(r, 0, sizeof *r);
    r->id = xstrdup(id);
    r->power_ms = -1;
    return r;
}

static void room_set_power(struct mx *mx, struct mx_room *r, const cJSON *content)
{
    struct mx_power p;
    if (mx_power_parse(content, &p))
        return;
    mx_power_free(&r->power);
    r->power = p;
    r->power_ms = mx->svc->now_ms(mx->svc->ctx);
}

static int power_fresh(const struct mx *mx, const struct mx_room *r, int64_t now)
{
    return r->power_ms >= 0 && now - r->power_ms < (int64_t)mx->power_cache_s * 1000;
}

static struct mx_card *card_find(struct mx *mx, const char *event_id)
{
    for (size_t i = 0; i < MX_CARDS; i++)
        if (mx->cards[i].event_id && strcmp(mx->cards[i].event_id, event_id) == 0)
            return &mx->cards[i];
    return NULL;
}

/* Remember what the buttons of event_id are (bt is moved in). */
static void card_put(struct mx *mx, const char *event_id, struct mx_buttons *bt)
{
    struct mx_card *c = card_find(mx, event_id);
    if (!c) {
        c = &mx->cards[mx->card_pos];
        mx->card_pos = (mx->card_pos + 1) % MX_CARDS;
        free(c->event_id);
        c->event_id = xstrdup(event_id);
    }
    mx_buttons_free(&c->bt);
    c->bt = *bt;
    memset(bt, 0, sizeof *bt);
}

static void name_put(struct mx *mx, const char *user, const char *name)
{
    for (size_t i = 0; i < MX_NAMES; i++)
        if (mx->names[i].user && strcmp(mx->names[i].user, user) == 0) {
            free(mx->names[i].name);
            mx->names[i].name = xstrdup(name);
            return;
        }
    struct mx_name *n = &mx->names[mx->name_pos];
    mx->name_pos = (mx->name_pos + 1) % MX_NAMES;
    free(n->user);
    free(n->name);
    n->user = xstrdup(user);
    n->name = xstrdup(name);
}

static const char *name_of(const struct mx *mx, const char *user)
{
    for (size_t i = 0; i < MX_NAMES; i++)
        if (mx->names[i].user && strcmp(mx->names[i].user, user) == 0)
            return mx->names[i].name;
    return NULL;
}

/* ==== requests ========================================================== */

static void req_unlink(struct mx *mx, struct mx_req *q)
{
    if (q->prev)
        q->prev->next = q->next;
    else if (mx && mx->reqs == q)
        mx->reqs = q->next;
    if (q->next)
        q->next->prev = q->prev;
    q->prev = q->next = NULL;
}

static void req_free(struct mx_req *q)
{
    free(q->room);
    free(q->event_id);
    free(q->user);
    free(q);
}

/* Start method path (under the homeserver) with body (owned, may be NULL).
   On failure nothing is left behind and done is never called. */
static int start_req(struct mx *mx, const char *method, const char *path, char *body,
                     const char *log_name, long timeout_ms, kb_http_done_fn done,
                     struct mx_req *q)
{
    struct sbuf url = {0};
    sbuf_add(&url, mx->hs);
    sbuf_add(&url, path);
    struct kb_http_request req = {
        .method = method,
        .url = url.s,
        .bearer = mx->token && *mx->token ? mx->token : NULL,
        .log_name = log_name,
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .content_type = body ? "application/json" : NULL,
        .timeout_ms = timeout_ms,
        .max_response = MX_MAX_RESPONSE,
    };
    q->mx = mx;
    q->prev = NULL;
    q->next = mx->reqs;
    if (mx->reqs)
        mx->reqs->prev = q;
    mx->reqs = q;
    int rc = mx->svc->http(mx->svc->ctx, &req, done, q);
    if (rc < 0)
        req_unlink(mx, q);
    sbuf_free(&url);
    if (body) {
        memset(body, 0, strlen(body)); /* a login body holds the password */
        free(body);
    }
    return rc < 0 ? rc : 0;
}

/* ==== receive side: timers and failures ================================= */

static uint64_t next_rand(struct mx *mx)
{
    uint64_t x = mx->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    mx->rng = x;
    return x;
}

static void on_timer(void *ud)
{
    struct mx *mx = ud;
    mx->timer = 0;
    if (!mx->stopped && !mx->fatal)
        run_step(mx);
}

static void schedule(struct mx *mx, long ms)
{
    if (mx->stopped || mx->fatal)
        return;
    if (mx->timer > 0)
        mx->svc->timer_cancel(mx->svc->ctx, mx->timer);
    mx->timer = mx->svc->timer_start(mx->svc->ctx, (uint64_t)ms, on_timer, mx);
    if (mx->timer <= 0) {
        mx->timer = 0;
        mx_log(mx, KB_LOG_ERROR, "cannot start a timer; receiving stopped");
    }
}

static const char *step_name(enum step s)
{
    switch (s) {
    case STEP_LOGIN: return "login";
    case STEP_WHOAMI: return "whoami";
    case STEP_DIRECT: return "direct chats";
    case STEP_SYNC: return "sync";
    case STEP_PREPARE: return "prepare";
    case STEP_DELIVER: return "deliver";
    case STEP_NONE:
    default: return "none";
    }
}

static void backoff(struct mx *mx)
{
    long base = mx->backoff_ms;
    long ms = base - (long)(next_rand(mx) % (uint64_t)(base / 4 + 1));
    mx->backoff_ms = base * 2 > mx->backoff_max_ms ? mx->backoff_max_ms : base * 2;
    mx_log(mx, KB_LOG_INFO, "%s: retry in %ld ms", step_name(mx->step), ms);
    schedule(mx, ms);
}

static void go_fatal(struct mx *mx, const char *msg)
{
    mx->fatal = 1;
    if (mx->timer > 0)
        mx->svc->timer_cancel(mx->svc->ctx, mx->timer);
    mx->timer = 0;
    mx_log(mx, KB_LOG_ERROR, "%s", msg);
    if (mx->svc->fatal)
        mx->svc->fatal(mx->svc->ctx, 2, msg); /* last: it may stop us */
}

static void token_rejected(struct mx *mx, const struct mx_error *err)
{
    char msg[512];
    snprintf(msg, sizeof msg,
             "the homeserver rejected the access token (%ld %s: %s); %s", err->status,
             err->errcode[0] ? err->errcode : "-", err->error[0] ? err->error : "-",
             mx->token_stored ? "the stored login is no longer valid: delete the file "
                                "\"<database>-" MX_SECRET_LOGIN ".secret\" to log in again "
                                "with the password"
                              : "set a valid matrix.access_token (KOCBOT_MATRIX_TOKEN)");
    go_fatal(mx, msg);
}

/* The common answer to a failed control request.  Returns 1 when it was
   handled (fatal, waited), 0 when the caller decides. */
static void control_failed(struct mx *mx, const char *what, const struct kb_http_response *resp)
{
    struct mx_error err;
    mx_error_read(resp, &err);
    if (resp->outcome == KB_HTTP_DONE && resp->status == 401) {
        token_rejected(mx, &err);
    } else if (resp->outcome == KB_HTTP_DONE && resp->status == 429 && err.retry_after_ms >= 0) {
        mx_log(mx, KB_LOG_WARN, "%s 429 %s, retry after %ld ms", what, err.errcode,
               err.retry_after_ms);
        schedule(mx, err.retry_after_ms); /* exactly what the server asked */
    } else {
        if (resp->outcome == KB_HTTP_DONE)
            mx_log(mx, KB_LOG_WARN, "%s failed (status %ld %s: %s)", what, resp->status,
                   err.errcode[0] ? err.errcode : "-", err.error[0] ? err.error : "unreadable answer");
        else
            mx_log(mx, KB_LOG_WARN, "%s transport error: %s", what,
                   resp->error ? resp->error : "no answer");
        backoff(mx);
    }
}

/* ==== the batch ========================================================= */

static const char *keep(struct mx *mx, const char *s)
{
    if (!s)
        return NULL;
    if (mx->nowned == mx->cap_owned) {
        mx->cap_owned = mx->cap_owned ? mx->cap_owned * 2 : 64;
        mx->owned = xrealloc(mx->owned, mx->cap_owned * sizeof *mx->owned);
    }
    return mx->owned[mx->nowned++] = xstrdup(s);
}

static struct kb_event *new_event(struct mx *mx, enum kb_event_kind kind, const char *room)
{
    if (mx->nevs == mx->cap_evs) {
        mx->cap_evs = mx->cap_evs ? mx->cap_evs * 2 : 64;
        mx->evs = xrealloc(mx->evs, mx->cap_evs * sizeof *mx->evs);
    }
    struct kb_event *ev = &mx->evs[mx->nevs++];
    memset(ev, 0, sizeof *ev);
    ev->kind = kind;
    ev->platform = mx_adapter_kind.platform;
    ev->chat_id = keep(mx, room);
    ev->chat_type = mx_direct_partner(mx->direct, room) ? KB_CHAT_PRIVATE : KB_CHAT_GROUP;
    ev->bot_username = mx->localpart;
    return ev;
}

static void batch_free(struct mx *mx)
{
    cJSON_Delete(mx->sync);
    mx->sync = NULL;
    free(mx->next_batch);
    mx->next_batch = NULL;
    for (size_t i = 0; i < mx->nowned; i++)
        free(mx->owned[i]);
    mx->nowned = 0;
    mx->nevs = 0;
}

static const char *str_at(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) && utf8_valid(v->valuestring, strlen(v->valuestring))
               ? v->valuestring : NULL;
}

static const cJSON *obj_at(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsObject(v) ? v : NULL;
}

static const cJSON *events_of(const cJSON *room, const char *section)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj_at(room, section), "events");
    return cJSON_IsArray(arr) ? arr : NULL;
}

/* A room id we can store and put in a URL: "!…", valid UTF-8, bounded.
   (A sync's room ids are object keys, which cJSON does not validate.) */
static int room_id_ok(const char *id)
{
    return id && id[0] == '!' && strlen(id) < 256 && utf8_valid(id, strlen(id));
}

/* m.relates_to of an event's content, or NULL */
static const cJSON *relation(const cJSON *content)
{
    return obj_at(content, "m.relates_to");
}

static int is_redacted(const cJSON *ev)
{
    return obj_at(obj_at(ev, "unsigned"), "redacted_because") != NULL;
}

/* Whether the message event from someone else carries a text we deliver. */
static const char *message_text(const cJSON *ev)
{
    const cJSON *content = obj_at(ev, "content");
    const char *type = str_at(content, "msgtype");
    const char *rel = str_at(relation(content), "rel_type");
    if (!type || strcmp(type, "m.text") != 0 || is_redacted(ev))
        return NULL; /* notices (other bots), media, emotes */
    if (rel && strcmp(rel, "m.replace") == 0)
        return NULL; /* an edit must not run a command again */
    return mx_strip_reply_fallback(str_at(content, "body"));
}

/* ==== PREPARE: lookups the batch needs ================================= */

static void prepare_done_one(struct mx *mx, const struct kb_http_response *resp);
static void build_and_deliver(struct mx *mx);

static void power_done(void *ud, const struct kb_http_response *resp)
{
    struct mx_req *q = ud;
    struct mx *mx = q->mx;
    req_unlink(mx, q);
    if (mx) {
        struct mx_room *r = room_get(mx, q->room);
        r->asked = 0;
        cJSON *root = resp->outcome == KB_HTTP_DONE && resp->status == 200
                          ? cJSON_ParseWithLength(resp->body, resp->body_len) : NULL;
        if (cJSON_IsObject(root)) {
            room_set_power(mx, r, root);
        } else if (resp->outcome == KB_HTTP_DONE && resp->status == 404) {
            cJSON *none = cJSON_CreateObject(); /* no levels set: the spec's defaults */
            room_set_power(mx, r, none);
            cJSON_Delete(none);
        } else {
            struct mx_error err;
            mx_error_read(resp, &err);
            mx_log(mx, KB_LOG_WARN, "power levels of %s not read (status %ld %s); "
                   "its members count as members", q->room, err.status, err.errcode);
        }
        cJSON_Delete(root);
        if (resp->outcome == KB_HTTP_DONE && resp->status == 401) {
            struct mx_error err;
            mx_error_read(resp, &err);
            req_free(q);
            token_rejected(mx, &err);
            return;
        }
        prepare_done_one(mx, resp);
    }
    req_free(q);
}

static void card_done(void *ud, const struct kb_http_response *resp)
{
    struct mx_req *q = ud;
    struct mx *mx = q->mx;
    req_unlink(mx, q);
    if (mx) {
        cJSON *root = resp->outcome == KB_HTTP_DONE && resp->status == 200
                          ? cJSON_ParseWithLength(resp->body, resp->body_len) : NULL;
        struct mx_buttons bt = {0};
        const char *sender = str_at(root, "sender");
        if (cJSON_IsObject(root) && sender && strcmp(sender, mx->me) == 0)
            mx_content_buttons(obj_at(root, "content"), &bt);
        if (cJSON_IsObject(root) || (resp->outcome == KB_HTTP_DONE && resp->status == 404))
            card_put(mx, q->event_id, &bt); /* known now: a card, or not one */
        else
            mx_log(mx, KB_LOG_WARN, "reacted-to event %s not read (status %ld); "
                   "the reaction is ignored", q->event_id, resp->status);
        mx_buttons_free(&bt);
        cJSON_Delete(root);
        prepare_done_one(mx, resp);
    }
    req_free(q);
}

/* ==== direct chats ====================================================== */

static void direct_save(struct mx *mx);

static void direct_saved(void *ud, const struct kb_http_response *resp)
{
    struct mx_req *q = ud;
    struct mx *mx = q->mx;
    req_unlink(mx, q);
    if (mx) {
        mx->direct_saving = 0;
        if (resp->outcome != KB_HTTP_DONE || resp->status != 200) {
            struct mx_error err;
            mx_error_read(resp, &err);
            mx_log(mx, KB_LOG_WARN, "recording the private chats (m.direct) failed (status %ld %s); "
                   "after a restart another one may be opened", err.status, err.errcode);
        }
        if (mx->direct_dirty)
            direct_save(mx);
    }
    req_free(q);
}

/* PUT the whole m.direct: one at a time, so an older map never lands last. */
static void direct_save(struct mx *mx)
{
    mx->direct_dirty = mx->direct_saving;
    if (mx->direct_saving || mx->stopped)
        return;
    char *eu = mx_url_escape_dup(mx->me);
    struct sbuf path = {0};
    sbuf_addf(&path, MX_API "/user/%s/account_data/m.direct", eu);
    struct mx_req *q = xcalloc(1, sizeof *q);
    q->kind = RQ_DIRECT;
    if (start_req(mx, "PUT", path.s, cJSON_PrintUnformatted(mx->direct), "account_data",
                  mx->request_ms, direct_saved, q)) {
        mx_log(mx, KB_LOG_WARN, "recording the private chats (m.direct) not started");
        req_free(q);
    } else {
        mx->direct_saving = 1;
    }
    free(eu);
    sbuf_free(&path);
}

/* room is the private chat with user: from now on (the next events in it
   are private), and in the account data, for a restart and other clients. */
static void direct_add(struct mx *mx, const char *user, const char *room)
{
    mx_direct_add(mx->direct, user, room);
    direct_save(mx);
}

static void invite_done(void *ud, const struct kb_http_response *resp)
{
    struct mx_req *q = ud;
    struct mx *mx = q->mx;
    req_unlink(mx, q);
    if (mx) {
        if (resp->outcome != KB_HTTP_DONE || resp->status != 200) {
            struct mx_error err;
            mx_error_read(resp, &err);
            mx_log(mx, KB_LOG_WARN, "answering the invitation to %s failed "
                   "(status %ld %s: %s)", q->room, err.status, err.errcode, err.error);
        } else if (q->user) {
            direct_add(mx, q->user, q->room);
        }
        prepare_done_one(mx, resp);
    }
    req_free(q);
}

/* One lookup finished (resp == NULL: all have been started).  A lookup
   the server asked us to repeat (429, 5xx, no answer) holds the batch: it is
   prepared again after retry_after_ms or a back-off, so a rate limit never
   turns an admin into a member or loses an invitation.  Other failures
   count as "not found". */
static int opening(const struct mx *mx)
{
    for (const struct mx_req *q = mx->reqs; q; q = q->next)
        if (q->kind == RQ_OPEN)
            return 1;
    return 0;
}

static void prepare_done_one(struct mx *mx, const struct kb_http_response *resp)
{
    if (resp && (resp->outcome != KB_HTTP_DONE || resp->status == 429 || resp->status >= 500)) {
        struct mx_error err;
        mx_error_read(resp, &err);
        long wait = resp->status == 429 && err.retry_after_ms >= 0 ? err.retry_after_ms : -1;
        if (wait < 0 || (mx->lookup_wait_ms >= 0 && wait > mx->lookup_wait_ms))
            mx->lookup_wait_ms = wait;
    }
    if (mx->pending)
        mx->pending--;
    if (mx->pending || mx->step != STEP_PREPARE || mx->stopped || mx->fatal)
        return;
    long wait = mx->lookup_wait_ms;
    mx->lookup_wait_ms = 0;
    if (wait == 0 && opening(mx)) {
        /* a private chat being opened may show up in this batch before
           createRoom answers: its first events must not read as a group's */
        schedule(mx, MX_OPEN_WAIT_MS);
    } else if (wait == 0) {
        build_and_deliver(mx);
    } else if (wait > 0) {
        mx_log(mx, KB_LOG_WARN, "a lookup was rate limited: the batch waits %ld ms", wait);
        schedule(mx, wait);
    } else {
        backoff(mx);
    }
}

static struct mx_req *lookup(struct mx *mx, enum req_kind kind, const char *method, const char *path,
                             const char *room, const char *event_id, kb_http_done_fn done)
{
    struct mx_req *q = xcalloc(1, sizeof *q);
    q->kind = kind;
    q->room = xstrdup(room);
    q->event_id = xstrdup(event_id);
    char *body = strcmp(method, "POST") == 0 ? xstrdup("{}") : NULL;
    if (start_req(mx, method, path, body, kind == RQ_POWER ? "power_levels"
                                           : kind == RQ_CARD ? "event" : "membership",
                  mx->request_ms, done, q)) {
        mx_log(mx, KB_LOG_WARN, "lookup for %s not started", room);
        req_free(q);
        return NULL;
    }
    mx->pending++;
    return q; /* answered later, from the loop */
}

static char *room_path_dup(const char *room, const char *tail)
{
    char *er = mx_url_escape_dup(room);
    struct sbuf p = {0};
    sbuf_addf(&p, MX_API "/rooms/%s%s", er, tail);
    free(er);
    return sbuf_take(&p);
}

/* Start the lookups events (of room_id) need: cards of reactions, the
   room's power levels. */
static void prepare_events(struct mx *mx, const char *room_id, const cJSON *events, int64_t now)
{
    int wants_role = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, events) {
        const char *type = str_at(ev, "type"), *sender = str_at(ev, "sender");
        if (!type || !sender || strcmp(sender, mx->me) == 0)
            continue;
        if (strcmp(type, "m.room.message") == 0 || strcmp(type, "m.reaction") == 0)
            wants_role = 1;
        const cJSON *rel = relation(obj_at(ev, "content"));
        const char *target = str_at(rel, "event_id"), *rt = str_at(rel, "rel_type");
        if (strcmp(type, "m.reaction") == 0 && target && rt && strcmp(rt, "m.annotation") == 0 &&
            mx_keycap_index(str_at(rel, "key")) >= 0 && !card_find(mx, target)) {
            int asked = 0; /* one lookup per target */
            for (struct mx_req *q = mx->reqs; q && !asked; q = q->next)
                asked = q->kind == RQ_CARD && q->event_id && strcmp(q->event_id, target) == 0;
            if (!asked) {
                char *et = mx_url_escape_dup(target), *tail = NULL;
                struct sbuf t = {0};
                sbuf_addf(&t, "/event/%s", et);
                tail = room_path_dup(room_id, t.s);
                lookup(mx, RQ_CARD, "GET", tail, room_id, target, card_done);
                free(tail);
                free(et);
                sbuf_free(&t);
            }
        }
    }
    struct mx_room *r = room_get(mx, room_id);
    if (wants_role && mx->admins_are_operators && !power_fresh(mx, r, now) && !r->asked) {
        char *path = room_path_dup(room_id, "/state/m.room.power_levels/");
        r->asked = 1;
        size_t before = mx->pending;
        lookup(mx, RQ_POWER, "GET", path, room_id, NULL, power_done);
        if (mx->pending == before)
            r->asked = 0;
        free(path);
    }
}

static void gap_done(void *ud, const struct kb_http_response *resp);

/* The events a limited timeline left out, older first: fetched back from
   prev_batch to our since token, kept in the room's sync JSON. */
static void fetch_gap(struct mx *mx, const char *room_id, const char *from, int pages)
{
    char *ef = mx_url_escape_dup(from), *es = mx_url_escape_dup(mx->since);
    struct sbuf tail = {0};
    sbuf_addf(&tail, "/messages?dir=b&limit=500&from=%s&to=%s", ef, es);
    char *path = room_path_dup(room_id, tail.s);
    struct mx_req *q = xcalloc(1, sizeof *q);
    q->kind = RQ_GAP;
    q->room = xstrdup(room_id);
    q->pages = pages + 1;
    if (start_req(mx, "GET", path, NULL, "messages", mx->request_ms, gap_done, q)) {
        mx_log(mx, KB_LOG_WARN, "%s: older events not fetched (request not started)", room_id);
        req_free(q);
    } else {
        mx->pending++;
    }
    free(path);
    free(ef);
    free(es);
    sbuf_free(&tail);
}

static void gap_done(void *ud, const struct kb_http_response *resp)
{
    struct mx_req *q = ud;
    struct mx *mx = q->mx;
    req_unlink(mx, q);
    if (mx && mx->sync) {
        cJSON *root = resp->outcome == KB_HTTP_DONE && resp->status == 200
                          ? cJSON_ParseWithLength(resp->body, resp->body_len) : NULL;
        cJSON *room = cJSON_GetObjectItemCaseSensitive(obj_at(obj_at(mx->sync, "rooms"), "join"), q->room);
        cJSON *chunk = cJSON_GetObjectItemCaseSensitive(root, "chunk");
        if (cJSON_IsArray(chunk) && cJSON_IsObject(room)) {
            cJSON *gap = cJSON_GetObjectItemCaseSensitive(room, MX_GAP_KEY);
            if (!gap)
                gap = cJSON_AddArrayToObject(room, MX_GAP_KEY);
            prepare_events(mx, q->room, chunk, mx->svc->now_ms(mx->svc->ctx));
            cJSON *it;
            while ((it = cJSON_DetachItemFromArray(chunk, 0)) != NULL)
                cJSON_AddItemToArray(gap, it); /* newest first, as /messages gives them */
            const char *end = str_at(root, "end");
            if (end && cJSON_GetArraySize(gap) > 0 && q->pages < MX_GAP_PAGES)
                fetch_gap(mx, q->room, end, q->pages);
            else if (end)
                mx_log(mx, KB_LOG_WARN, "%s: more than %d older events missed; the oldest are skipped",
                       q->room, MX_GAP_PAGES * 500);
        } else {
            mx_log(mx, KB_LOG_WARN, "%s: older events not fetched (status %ld); they are skipped",
                   q->room, resp->status);
        }
        cJSON_Delete(root);
        prepare_done_one(mx, resp);
    }
    req_free(q);
}

/* The event inviting the bot into an invited room, or NULL. */
static const cJSON *invitation_of(const struct mx *mx, const cJSON *room)
{
    const cJSON *ev;
    cJSON_ArrayForEach(ev, events_of(room, "invite_state")) {
        const char *type = str_at(ev, "type"), *sk = str_at(ev, "state_key");
        const char *membership = str_at(obj_at(ev, "content"), "membership");
        if (type && sk && membership && strcmp(type, "m.room.member") == 0 &&
            strcmp(sk, mx->me) == 0 && strcmp(membership, "invite") == 0)
            return ev;
    }
    return NULL;
}

static void prepare(struct mx *mx)
{
    mx->step = STEP_PREPARE;
    mx->pending = 1; /* held until every lookup has started */
    mx->lookup_wait_ms = 0;
    int64_t now = mx->svc->now_ms(mx->svc->ctx);
    const cJSON *rooms = obj_at(mx->sync, "rooms");
    const cJSON *room;
    cJSON_ArrayForEach(room, obj_at(rooms, "join")) {
        if (!room_id_ok(room->string) || !mx->since[0])
            continue;
        /* a retried batch fetches its gap afresh */
        cJSON_DeleteItemFromObjectCaseSensitive((cJSON *)room, MX_GAP_KEY);
        prepare_events(mx, room->string, events_of(room, "timeline"), now);
        const cJSON *tl = obj_at(room, "timeline");
        const char *prev = str_at(tl, "prev_batch");
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(tl, "limited")) && prev)
            fetch_gap(mx, room->string, prev, 0);
    }
    cJSON_ArrayForEach(room, obj_at(rooms, "invite")) {
        if (!room_id_ok(room->string))
            continue;
        const cJSON *invitation = invitation_of(mx, room);
        const char *inviter = str_at(invitation, "sender");
        int ok = mx_invite_allowed(mx->invites, mx->me, inviter);
        /* a private chat (is_direct): joined as the inviter's */
        int direct = ok && inviter && inviter[0] == '@' &&
                     cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj_at(invitation, "content"), "is_direct"));
        mx_log(mx, KB_LOG_INFO, "invited to %s by %s: %s", room->string,
               inviter ? inviter : "?", !ok ? "refused (matrix.invites)" : direct ? "joining (private chat)" : "joining");
        char *path = room_path_dup(room->string, ok ? "/join" : "/leave");
        struct mx_req *q = lookup(mx, RQ_INVITE, "POST", path, room->string, NULL, invite_done);
        if (q && direct)
            q->user = xstrdup(inviter);
        free(path);
    }
    prepare_done_one(mx, NULL);
}

/* ==== BUILD: sync JSON -> events ======================================== */

static void membership_event(struct mx *mx, const char *room, const char *key, int active)
{
    struct kb_event *ev = new_event(mx, KB_EV_BOT_MEMBERSHIP, room);
    ev->message_id = keep(mx, key);
    ev->bot_active = active;
    ev->user_id = keep(mx, mx_direct_partner(mx->direct, room)); /* whose private chat */
    struct mx_room *r = room_get(mx, room);
    ev->chat_title = keep(mx, r->title);
    ev->time = mx->svc->now_ms(mx->svc->ctx) / 1000;
}

static void state_event(struct mx *mx, const char *room_id, const cJSON *ev, int in_timeline)
{
    const char *type = str_at(ev, "type"), *sk = str_at(ev, "state_key");
    const cJSON *content = obj_at(ev, "content");
    if (!type || !sk)
        return;
    struct mx_room *r = room_get(mx, room_id);
    if (strcmp(type, "m.room.power_levels") == 0 && !*sk) {
        room_set_power(mx, r, content); /* the new levels count from here on */
    } else if (strcmp(type, "m.room.encryption") == 0 && !*sk) {
        if (!r->encrypted) /* once per room and run */
            mx_log(mx, KB_LOG_WARN, "%s is end-to-end encrypted: kocbot cannot read its messages "
                   "(use a room without encryption)", room_id);
        r->encrypted = 1;
    } else if (strcmp(type, "m.room.name") == 0 && !*sk) {
        const char *name = str_at(content, "name");
        free(r->title);
        r->title = name && *name ? xstrdup(name) : NULL;
    } else if (strcmp(type, "m.room.member") == 0) {
        const char *dn = str_at(content, "displayname"), *m = str_at(content, "membership");
        if (dn && *dn)
            name_put(mx, sk, dn);
        const char *id = str_at(ev, "event_id");
        if (in_timeline && m && id && strcmp(sk, mx->me) == 0) {
            if (strcmp(m, "join") == 0)
                membership_event(mx, room_id, id, 1);
            else if (strcmp(m, "leave") == 0 || strcmp(m, "ban") == 0)
                membership_event(mx, room_id, id, 0); /* left, kicked or banned */
        }
    }
}

static void set_sender(struct mx *mx, struct kb_event *e, const cJSON *ev, const char *room_id)
{
    const char *sender = str_at(ev, "sender");
    e->user_id = keep(mx, sender);
    e->user_handle = sender ? e->user_id + 1 : NULL;
    const char *dn = name_of(mx, sender);
    e->user_name = keep(mx, dn ? dn : sender);
    e->message_id = keep(mx, str_at(ev, "event_id"));
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(ev, "origin_server_ts");
    e->time = cJSON_IsNumber(ts) && ts->valuedouble > 0 && ts->valuedouble < 1e15
                  ? (int64_t)(ts->valuedouble / 1000) : mx->svc->now_ms(mx->svc->ctx) / 1000;
    struct mx_room *r = room_get(mx, room_id);
    e->chat_title = keep(mx, r->title); /* a later m.room.name in the batch replaces it */
    e->role = KB_ROLE_MEMBER;
    if (mx->admins_are_operators && r->power_ms >= 0 && sender &&
        mx_power_of(&r->power, sender) >= r->power.state_default)
        e->role = KB_ROLE_CHAT_ADMIN;
}

static void own_event(struct mx *mx, const char *room_id, const cJSON *ev)
{
    const char *type = str_at(ev, "type"), *id = str_at(ev, "event_id");
    if (!type || !id || strcmp(type, "m.room.message") != 0)
        return;
    const cJSON *content = obj_at(ev, "content");
    struct mx_buttons bt;
    const cJSON *rel = relation(content);
    const char *rt = str_at(rel, "rel_type"), *orig = str_at(rel, "event_id");
    int edit = rt && orig && strcmp(rt, "m.replace") == 0;
    /* an edit without buttons (a closed poll) keeps the card's: a reaction
       on it is then refused by the core, as a typed vote would be */
    if (mx_content_buttons(content, &bt) == 0 && bt.n)
        card_put(mx, edit ? orig : id, &bt);
    mx_buttons_free(&bt);
    int64_t row = mx_txn_row(mx->nonce, str_at(obj_at(ev, "unsigned"), "transaction_id"));
    /* a private message may have been addressed to the member (the room
       was opened for it): the row is found under either name */
    const char *partner = mx_direct_partner(mx->direct, room_id);
    for (int k = 0; row > 0 && k < (partner ? 2 : 1); k++) {
        struct kb_event *e = new_event(mx, KB_EV_DELIVERED, room_id);
        if (k)
            e->chat_id = keep(mx, partner);
        e->message_id = keep(mx, id);
        e->outbox_id = row;
    }
}

static void reaction_event(struct mx *mx, const char *room_id, const cJSON *ev)
{
    const cJSON *rel = relation(obj_at(ev, "content"));
    const char *rt = str_at(rel, "rel_type"), *target = str_at(rel, "event_id");
    int idx = mx_keycap_index(str_at(rel, "key"));
    const struct mx_card *card = target ? card_find(mx, target) : NULL;
    if (!rt || strcmp(rt, "m.annotation") != 0 || idx < 0 || !card || !card->bt.n || is_redacted(ev))
        return;
    char beyond[64]; /* a keycap past the options of a poll: refused like a typed vote */
    const char *data = (size_t)idx < card->bt.n ? card->bt.data[idx]
                       : mx_vote_beyond(&card->bt, (size_t)idx, beyond, sizeof beyond) == 0 ? beyond
                                                                                         : NULL;
    if (!data)
        return;
    struct kb_event *e = new_event(mx, KB_EV_CALLBACK, room_id);
    set_sender(mx, e, ev, room_id);
    e->callback_id = e->message_id;
    e->callback_data = keep(mx, data);
    e->reply_to_message_id = keep(mx, target);
    e->reaction = 1;
}

/* Any redaction may take back a reaction: the core knows which reactions
   voted (durably, with the vote) and lets only their sender withdraw. */
static void redaction_event(struct mx *mx, const char *room_id, const cJSON *ev)
{
    const char *redacts = str_at(obj_at(ev, "content"), "redacts");
    if (!redacts)
        redacts = str_at(ev, "redacts"); /* room versions before 11 */
    if (!redacts)
        return;
    struct kb_event *e = new_event(mx, KB_EV_REACTION_REMOVED, room_id);
    set_sender(mx, e, ev, room_id);
    e->callback_id = keep(mx, redacts);
}

/* An event without a type or a sender cannot be read: it is logged and kept
   with its raw JSON in failed_events (the engine skips it), never dropped
   silently and never a stall. */
static void undecodable_event(struct mx *mx, const char *room_id, const cJSON *ev)
{
    char *printed = cJSON_PrintUnformatted(ev);
    char *raw = utf8_sanitized_dup(printed ? printed : "", printed ? strlen(printed) : 0, MX_RAW_KEEP_MAX);
    struct kb_event *e = new_event(mx, KB_EV_UNDECODABLE, room_id);
    e->text = keep(mx, raw);
    const char *id = str_at(ev, "event_id");
    e->message_id = id && utf8_valid(id, strlen(id)) ? keep(mx, id) : NULL;
    free(raw);
    free(printed);
    mx_log(mx, KB_LOG_WARN, "%s: an event without type or sender skipped; kept in failed_events",
           room_id);
}

/* One timeline event, in order. */
static void timeline_event(struct mx *mx, const char *room_id, const cJSON *ev, int history)
{
    const char *type = str_at(ev, "type"), *sender = str_at(ev, "sender");
    if (!type || !sender) {
        if (!history)
            undecodable_event(mx, room_id, ev);
        return;
    }
    if (cJSON_GetObjectItemCaseSensitive(ev, "state_key")) {
        state_event(mx, room_id, ev, !history);
    } else if (strcmp(sender, mx->me) == 0) {
        own_event(mx, room_id, ev);
    } else if (history) {
        return;
    } else if (strcmp(type, "m.room.message") == 0) {
        const char *text = message_text(ev);
        if (!text)
            return;
        struct kb_event *e = new_event(mx, KB_EV_MESSAGE, room_id);
        set_sender(mx, e, ev, room_id);
        e->text = keep(mx, text);
        const cJSON *irt = obj_at(relation(obj_at(ev, "content")), "m.in_reply_to");
        e->reply_to_message_id = keep(mx, str_at(irt, "event_id"));
    } else if (strcmp(type, "m.reaction") == 0) {
        reaction_event(mx, room_id, ev);
    } else if (strcmp(type, "m.room.redaction") == 0) {
        redaction_event(mx, room_id, ev);
    }
}

/* A private chat we opened (our invitation carries is_direct) is known
   from its first events, even when they come before createRoom's answer,
   or after a crash that lost it. */
static void note_opened_direct(struct mx *mx, const char *room_id, const cJSON *events)
{
    const cJSON *ev;
    cJSON_ArrayForEach(ev, events) {
        const char *type = str_at(ev, "type"), *sk = str_at(ev, "state_key"), *sender = str_at(ev, "sender");
        const cJSON *content = obj_at(ev, "content");
        const char *m = str_at(content, "membership");
        if (type && sk && sender && m && strcmp(type, "m.room.member") == 0 && strcmp(sender, mx->me) == 0 &&
            strcmp(m, "invite") == 0 && is_user_id(sk) && strlen(sk) < 256 &&
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(content, "is_direct")) &&
            !mx_direct_partner(mx->direct, room_id))
            direct_add(mx, sk, room_id);
    }
}

static void build_room(struct mx *mx, const char *room_id, const cJSON *room, int history)
{
    note_opened_direct(mx, room_id, events_of(room, "state"));
    note_opened_direct(mx, room_id, events_of(room, "timeline"));
    /* what a limited timeline left out comes first (it was fetched newest
       first); then the state at the timeline's start, then the timeline */
    const cJSON *gap = cJSON_GetObjectItemCaseSensitive(room, MX_GAP_KEY);
    for (int i = cJSON_IsArray(gap) ? cJSON_GetArraySize(gap) - 1 : -1; i >= 0; i--)
        timeline_event(mx, room_id, cJSON_GetArrayItem(gap, i), history);
    const cJSON *ev;
    cJSON_ArrayForEach(ev, events_of(room, "state"))
        state_event(mx, room_id, ev, 0);
    if (history) /* a new database: note the room, do not replay its past */
        membership_event(mx, room_id, "joined-before", 1);
    cJSON_ArrayForEach(ev, events_of(room, "timeline"))
        timeline_event(mx, room_id, ev, history);
}

static void build_left_room(struct mx *mx, const char *room_id, const cJSON *room)
{
    size_t before = mx->nevs;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, events_of(room, "timeline")) {
        if (cJSON_GetObjectItemCaseSensitive(ev, "state_key"))
            state_event(mx, room_id, ev, 1);
    }
    if (mx->nevs == before) { /* the leave itself fell out of the window */
        struct sbuf key = {0};
        sbuf_addf(&key, "left:%.200s", mx->next_batch);
        membership_event(mx, room_id, key.s, 0);
        sbuf_free(&key);
    }
}

/* The private chats first: they decide which rooms' events are private. */
static void read_account_data(struct mx *mx)
{
    const cJSON *ev;
    cJSON_ArrayForEach(ev, events_of(mx->sync, "account_data")) {
        const char *type = str_at(ev, "type");
        const cJSON *content = obj_at(ev, "content");
        /* while our own change is on its way, the server's copy is older */
        if (type && content && strcmp(type, "m.direct") == 0 && !mx->direct_saving) {
            cJSON_Delete(mx->direct);
            mx->direct = mx_direct_parse(content);
        }
    }
}

static void build_and_deliver(struct mx *mx)
{
    int history = mx->since[0] == '\0';
    mx->nevs = 0;
    read_account_data(mx);
    const cJSON *rooms = obj_at(mx->sync, "rooms");
    const cJSON *room;
    cJSON_ArrayForEach(room, obj_at(rooms, "join"))
        if (room_id_ok(room->string))
            build_room(mx, room->string, room, history);
    cJSON_ArrayForEach(room, obj_at(rooms, "leave"))
        if (room_id_ok(room->string))
            build_left_room(mx, room->string, room);
    mx->step = STEP_DELIVER;
    int rc = mx->svc->deliver(mx->svc->ctx, mx->evs, mx->nevs, MX_CURSOR_SINCE, mx->next_batch);
    if (mx->stopped || mx->fatal)
        return;
    if (rc < 0) {
        mx_log(mx, KB_LOG_WARN, "deliver of %zu events failed (%s); will retry",
               mx->nevs, kb_strerror(rc));
        for (size_t i = 0; i < mx->nowned; i++)
            free(mx->owned[i]);
        mx->nowned = 0;
        mx->step = STEP_PREPARE;
        backoff(mx);
        return;
    }
    free(mx->since);
    mx->since = mx->next_batch;
    mx->next_batch = NULL;
    batch_free(mx);
    mx->backoff_ms = MX_BACKOFF_MIN_MS;
    mx->step = STEP_SYNC;
    run_step(mx);
}

static void got_sync(struct mx *mx, cJSON *root)
{
    const char *next = str_at(root, "next_batch");
    if (!next || !*next || strlen(next) > 4096) {
        mx_log(mx, KB_LOG_WARN, "sync answer without next_batch");
        cJSON_Delete(root);
        backoff(mx);
        return;
    }
    mx->backoff_ms = MX_BACKOFF_MIN_MS;
    if (strcmp(next, mx->since) == 0 && !obj_at(root, "rooms")) {
        cJSON_Delete(root); /* nothing new */
        int64_t took = mx->svc->now_ms(mx->svc->ctx) - mx->sync_started_ms;
        if (took >= 0 && took < MX_EMPTY_SYNC_MIN_MS)
            schedule(mx, MX_EMPTY_SYNC_MIN_MS); /* a server ignoring timeout: no busy loop */
        else
            run_step(mx);
        return;
    }
    mx->sync = root;
    mx->next_batch = xstrdup(next);
    prepare(mx);
}

/* ==== control requests: login, whoami, sync ============================= */

static void control_done(void *ud, const struct kb_http_response *resp);

static void send_control(struct mx *mx, const char *method, const char *path, char *body,
                         const char *log_name, long timeout_ms)
{
    struct mx_req *q = xcalloc(1, sizeof *q);
    q->kind = RQ_CONTROL;
    q->step = mx->step;
    if (start_req(mx, method, path, body, log_name, timeout_ms, control_done, q)) {
        req_free(q);
        mx_log(mx, KB_LOG_WARN, "%s not started", log_name);
        backoff(mx);
    }
}

static int read_identity(struct mx *mx, const cJSON *root)
{
    const char *user = str_at(root, "user_id"), *dev = str_at(root, "device_id");
    if (!user || user[0] != '@' || !strchr(user, ':') || strlen(user) >= sizeof mx->me)
        return KB_EPARSE;
    snprintf(mx->me, sizeof mx->me, "%s", user);
    snprintf(mx->device, sizeof mx->device, "%s", dev ? dev : "");
    size_t lp = (size_t)(strchr(user, ':') - user - 1);
    snprintf(mx->localpart, sizeof mx->localpart, "%.*s", (int)lp, user + 1);
    return KB_OK;
}

static void got_login(struct mx *mx, cJSON *root)
{
    const char *token = str_at(root, "access_token");
    if (!token || !*token || read_identity(mx, root)) {
        mx_log(mx, KB_LOG_WARN, "login answer without user_id or access_token");
        backoff(mx);
        return;
    }
    /* stored before first use: a crash now must not need the password again */
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddStringToObject(rec, "homeserver", mx->hs);
    cJSON_AddStringToObject(rec, "user_id", mx->me);
    cJSON_AddStringToObject(rec, "device_id", mx->device);
    cJSON_AddStringToObject(rec, "access_token", token);
    char *text = cJSON_PrintUnformatted(rec);
    cJSON_Delete(rec);
    int rc = text && mx->svc->secret_save ? mx->svc->secret_save(mx->svc->ctx, MX_SECRET_LOGIN, text)
                                          : KB_EINVAL;
    if (text) {
        memset(text, 0, strlen(text));
        free(text);
    }
    free(mx->token);
    mx->token = xstrdup(token);
    mx->token_stored = 1;
    if (rc)
        mx_log(mx, KB_LOG_ERROR, "logged in as %s (device %s) but the login could not "
               "be stored (%s): the next start logs in again", mx->me, mx->device, kb_strerror(rc));
    else
        mx_log(mx, KB_LOG_INFO, "logged in as %s (device %s); the login is stored, "
               "matrix.password is no longer needed", mx->me, mx->device);
    mx->step = STEP_WHOAMI;
    run_step(mx);
}

static void control_done(void *ud, const struct kb_http_response *resp)
{
    struct mx_req *q = ud;
    struct mx *mx = q->mx;
    enum step step = q->step;
    req_unlink(mx, q);
    req_free(q);
    if (!mx || mx->stopped || mx->fatal)
        return;
    const char *what = step_name(step);
    cJSON *root = resp->outcome == KB_HTTP_DONE && resp->status == 200
                      ? cJSON_ParseWithLength(resp->body, resp->body_len) : NULL;
    if (step == STEP_DIRECT && resp->outcome == KB_HTTP_DONE && resp->status == 404)
        root = cJSON_CreateObject(); /* no private chats recorded yet */
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        struct mx_error err;
        mx_error_read(resp, &err);
        if (step == STEP_LOGIN && resp->outcome == KB_HTTP_DONE && resp->status == 403) {
            char msg[400];
            snprintf(msg, sizeof msg, "password login refused (%s: %s): check matrix.user_id "
                     "and matrix.password", err.errcode, err.error);
            go_fatal(mx, msg);
            return;
        }
        if (resp->outcome == KB_HTTP_DONE && resp->status == 200)
            mx_log(mx, KB_LOG_WARN, "%s answer is not readable JSON (%zu bytes)", what,
                   resp->body_len);
        control_failed(mx, what, resp);
        return;
    }
    if (step == STEP_LOGIN) {
        got_login(mx, root);
        cJSON_Delete(root);
    } else if (step == STEP_WHOAMI) {
        if (read_identity(mx, root)) {
            mx_log(mx, KB_LOG_WARN, "whoami answer without a user id");
            backoff(mx);
        } else {
            if (mx->user_cfg && *mx->user_cfg && strcmp(mx->user_cfg, mx->me) != 0)
                mx_log(mx, KB_LOG_WARN, "the token belongs to %s, not matrix.user_id %s",
                       mx->me, mx->user_cfg);
            mx_log(mx, KB_LOG_INFO, "running as %s (device %s)", mx->me,
                   mx->device[0] ? mx->device : "-");
            mx->backoff_ms = MX_BACKOFF_MIN_MS;
            mx->step = STEP_DIRECT;
            run_step(mx);
        }
        cJSON_Delete(root);
    } else if (step == STEP_DIRECT) {
        /* read before any send: a private chat is never opened twice */
        cJSON_Delete(mx->direct);
        mx->direct = mx_direct_parse(root);
        mx->direct_read = 1;
        cJSON_Delete(root);
        mx->step = STEP_SYNC;
        run_step(mx);
    } else {
        got_sync(mx, root); /* takes root */
    }
}

static void run_step(struct mx *mx)
{
    if (mx->stopped || mx->fatal)
        return;
    switch (mx->step) {
    case STEP_LOGIN:
        send_control(mx, "POST", MX_API "/login",
                     mx_encode_login_dup(mx->user_cfg, mx->password, mx->device_cfg), "login",
                     mx->request_ms);
        break;
    case STEP_WHOAMI:
        send_control(mx, "GET", MX_API "/account/whoami", NULL, "whoami", mx->request_ms);
        break;
    case STEP_DIRECT: {
        char *eu = mx_url_escape_dup(mx->me);
        struct sbuf path = {0};
        sbuf_addf(&path, MX_API "/user/%s/account_data/m.direct", eu);
        send_control(mx, "GET", path.s, NULL, "account_data", mx->request_ms);
        sbuf_free(&path);
        free(eu);
        break;
    }
    case STEP_SYNC: {
        char *filter = mx_url_escape_dup(mx_sync_filter()), *since = mx_url_escape_dup(mx->since);
        struct sbuf path = {0};
        /* the first sync returns at once with the current state */
        sbuf_addf(&path, MX_API "/sync?timeout=%d&filter=%s", mx->since[0] ? mx->sync_timeout_s * 1000 : 0,
                  filter);
        if (mx->since[0])
            sbuf_addf(&path, "&since=%s", since);
        mx->sync_started_ms = mx->svc->now_ms(mx->svc->ctx);
        send_control(mx, "GET", path.s, NULL, "sync",
                     mx->sync_timeout_s * 1000L + (mx->request_ms < 15000 ? mx->request_ms : 15000));
        sbuf_free(&path);
        free(filter);
        free(since);
        break;
    }
    case STEP_PREPARE:
    case STEP_DELIVER:
        prepare(mx);
        break;
    case STEP_NONE:
    default:
        break;
    }
}

/* ==== send side ========================================================= */

static void send_free(struct mx_send *s)
{
    free(s->chat);
    free(s->card_id);
    free(s->buttons);
    free(s->body);
    free(s->txn);
    free(s);
}

static void send_unlink(struct mx *mx, struct mx_send *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else if (mx->sends == s)
        mx->sends = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
}

/* Hand the outcome to the sender and forget the send. */
static void release_next(struct mx *mx);

static void send_finish(struct mx *mx, struct mx_send *s, const struct kb_send_result *res)
{
    if (res->outcome == KB_SEND_FAILED || res->outcome == KB_SEND_CHAT_GONE)
        mx_log(mx, KB_LOG_WARN, "send dropped (%s)", res->description ? res->description : "-");
    send_unlink(mx, s);
    s->done(s->ud, res);
    send_free(s);
    release_next(mx);
}

/* One message send of the account at a time: a 429 limits the account, and
   a send already on its way when one comes back cannot be called back. */
static int sending(const struct mx *mx)
{
    for (const struct mx_send *s = mx->sends; s; s = s->next)
        if (!s->held)
            return 1;
    return 0;
}

/* The homeserver's rate limit is the account's, not a room's: after a 429
   every send waits retry_after_ms (the latest one asked), then the held
   ones go out, one at a time (release_next). */
static void gate_open(void *ud);

static void gate_close(struct mx *mx, long ms)
{
    if (mx->gate > 0)
        mx->svc->timer_cancel(mx->svc->ctx, mx->gate);
    mx->gate = mx->stopped ? 0 : mx->svc->timer_start(mx->svc->ctx, (uint64_t)ms, gate_open, mx);
    if (mx->gate < 0)
        mx->gate = 0;
}

static int send_start(struct mx *mx, struct mx_send *s);

/* Stopping: hand the held sends back for the next run. */
static void gate_release(struct mx *mx)
{
    for (struct mx_send *s = mx->sends, *next; s; s = next) {
        next = s->next;
        if (!s->held)
            continue;
        s->held = 0;
        if (mx->stopped || send_start(mx, s)) {
            struct kb_send_result res = {.outcome = KB_SEND_RETRY};
            send_finish(mx, s, &res);
        }
    }
}

/* The oldest held send goes out, when no 429 wait runs and none is on its way. */
static void release_next(struct mx *mx)
{
    if (mx->stopped || mx->gate > 0 || sending(mx))
        return;
    struct mx_send *oldest = NULL;
    for (struct mx_send *s = mx->sends; s; s = s->next)
        if (s->held)
            oldest = s; /* the list is newest first */
    if (!oldest)
        return;
    oldest->held = 0;
    if (send_start(mx, oldest)) {
        struct kb_send_result res = {.outcome = KB_SEND_RETRY};
        send_finish(mx, oldest, &res); /* and the next one */
    }
}

static void gate_open(void *ud)
{
    struct mx *mx = ud;
    mx->gate = 0;
    release_next(mx);
}

static void send_done(void *ud, const struct kb_http_response *resp)
{
    struct mx_req *q = ud;
    struct mx *mx = q->mx;
    struct mx_send *s = q->send;
    req_unlink(mx, q);
    req_free(q);
    if (!mx || !s)
        return; /* adapter destroyed meanwhile */
    struct mx_send_class c;
    mx_classify_send(resp, &c);
    if (c.outcome == KB_SEND_OK && s->buttons) {
        struct mx_buttons bt;
        mx_buttons_parse(s->buttons, &bt);
        card_put(mx, s->card_id ? s->card_id : c.event_id, &bt);
        mx_buttons_free(&bt);
    }
    struct kb_send_result res = {
        .outcome = c.outcome,
        .retry_after_ms = c.retry_after_ms,
        .message_id = c.outcome == KB_SEND_OK ? c.event_id : NULL,
        .description = c.description[0] ? c.description : NULL,
    };
    if (c.outcome == KB_SEND_FATAL && !mx->fatal) {
        struct mx_error err;
        mx_error_read(resp, &err);
        token_rejected(mx, &err);
    }
    if (c.outcome == KB_SEND_RETRY && c.retry_after_ms > 0)
        gate_close(mx, c.retry_after_ms);
    send_finish(mx, s, &res);
}

/* PUT the message of s (its body is used up) into room. */
static int send_put(struct mx *mx, struct mx_send *s, const char *room)
{
    char *er = mx_url_escape_dup(room), *et = mx_url_escape_dup(s->txn);
    struct sbuf path = {0};
    sbuf_addf(&path, MX_API "/rooms/%s/send/m.room.message/%s", er, et);
    free(er);
    free(et);
    struct mx_req *q = xcalloc(1, sizeof *q);
    q->kind = RQ_SEND;
    q->send = s;
    char *body = s->body;
    s->body = NULL;
    int rc = start_req(mx, "PUT", path.s, body, "send", mx->request_ms, send_done, q);
    sbuf_free(&path);
    if (rc)
        req_free(q);
    return rc;
}

static void open_done(void *ud, const struct kb_http_response *resp)
{
    struct mx_req *q = ud;
    struct mx *mx = q->mx;
    struct mx_send *s = q->send;
    req_unlink(mx, q);
    if (!mx || !s) {
        req_free(q);
        return;
    }
    cJSON *root = resp->outcome == KB_HTTP_DONE && resp->status == 200
                      ? cJSON_ParseWithLength(resp->body, resp->body_len) : NULL;
    const char *room = str_at(root, "room_id");
    struct kb_send_result res = {.outcome = KB_SEND_RETRY};
    char why[400] = "";
    if (room && room_id_ok(room)) {
        mx_log(mx, KB_LOG_INFO, "opened the private chat %s with %s", room, q->user);
        direct_add(mx, q->user, room);
        if (send_put(mx, s, room) == 0)
            s = NULL; /* send_done finishes it */
    } else {
        struct mx_error err;
        mx_error_read(resp, &err);
        snprintf(why, sizeof why, "cannot open a private chat with %s (status %ld %s: %s)", q->user,
                 err.status, err.errcode[0] ? err.errcode : "-", err.error[0] ? err.error : "no room id");
        res.description = why;
        if (resp->outcome == KB_HTTP_DONE && resp->status == 429 && err.retry_after_ms > 0) {
            res.retry_after_ms = err.retry_after_ms;
            gate_close(mx, err.retry_after_ms);
        }
        else if (resp->outcome == KB_HTTP_DONE && resp->status == 401)
            res.outcome = KB_SEND_FATAL;
        else if (resp->outcome == KB_HTTP_DONE && resp->status >= 400 && resp->status < 500)
            res.outcome = KB_SEND_CHAT_GONE; /* no such user, or invitations refused: the group */
        if (res.outcome == KB_SEND_FATAL && !mx->fatal)
            token_rejected(mx, &err);
    }
    cJSON_Delete(root);
    if (s)
        send_finish(mx, s, &res);
    req_free(q);
}

/* A private message addressed to a member (the core knows no private chat
   with them): their private chat from m.direct, else one is opened
   (POST /createRoom, is_direct) and recorded in m.direct. */
static int send_direct(struct mx *mx, struct mx_send *s, const char *user)
{
    const char *room = mx_direct_room(mx->direct, user);
    if (room)
        return send_put(mx, s, room);
    struct mx_req *q = xcalloc(1, sizeof *q);
    q->kind = RQ_OPEN;
    q->send = s;
    q->user = xstrdup(user);
    int rc = start_req(mx, "POST", MX_API "/createRoom", mx_encode_direct_room_dup(user), "createRoom",
                       mx->request_ms, open_done, q);
    if (rc)
        req_free(q);
    return rc;
}

static int mx_send_op(struct adapter *a, const struct kb_reply *r, kb_send_done_fn done, void *ud)
{
    struct mx *mx = a->priv;
    if (mx->stopped || mx->fatal || !mx->me[0])
        return KB_ESHUTDOWN;
    if (!r || !done || !r->chat_id || r->id <= 0)
        return KB_EINVAL;
    if (r->kind == KB_REPLY_ANSWER) {
        /* Matrix has no toast for a reaction; the card's edit shows the vote */
        struct kb_send_result res = {.outcome = KB_SEND_OK};
        done(ud, &res);
        return 0;
    }
    int to_user = r->chat_id[0] == '@';
    if (to_user && (!is_user_id(r->chat_id) || strlen(r->chat_id) >= 256))
        return KB_EINVAL;
    if (to_user && !mx->direct_read)
        return KB_ESHUTDOWN; /* not yet: which private chats exist is read at start */
    char txn[96];
    char *body = mx_encode_message_dup(r, a->max_text);
    if (!body || mx_txn_id(mx->nonce, r->id, txn, sizeof txn)) {
        free(body);
        return KB_EINVAL;
    }
    struct mx_send *s = xcalloc(1, sizeof *s);
    s->mx = mx;
    s->done = done;
    s->ud = ud;
    s->buttons = r->buttons && *r->buttons ? xstrdup(r->buttons) : NULL;
    s->card_id = r->kind == KB_REPLY_EDIT ? xstrdup(r->edit_message_id) : NULL;
    s->body = body;
    s->txn = xstrdup(txn);
    s->chat = xstrdup(r->chat_id);
    s->held = mx->gate > 0 || sending(mx);
    int rc = s->held ? 0 : send_start(mx, s);
    if (rc) {
        send_free(s);
        return rc;
    }
    s->next = mx->sends;
    if (mx->sends)
        mx->sends->prev = s;
    mx->sends = s;
    return 0;
}

static int send_start(struct mx *mx, struct mx_send *s)
{
    return s->chat[0] == '@' ? send_direct(mx, s, s->chat) : send_put(mx, s, s->chat);
}

/* ==== lifecycle ========================================================= */

/* Credentials from the login stored by an earlier password login. */
static void load_stored_login(struct mx *mx)
{
    char buf[4096];
    int rc = mx->svc->secret_load ? mx->svc->secret_load(mx->svc->ctx, MX_SECRET_LOGIN, buf, sizeof buf)
                                  : KB_ENOTFOUND;
    if (rc == KB_EDENIED)
        mx_log(mx, KB_LOG_WARN, "the stored login is readable by other users or not ours: "
               "ignored (chmod 600 it, or delete it to log in again)");
    if (rc)
        return;
    cJSON *root = buf[0] ? cJSON_Parse(buf) : NULL;
    memset(buf, 0, sizeof buf);
    const char *hs = str_at(root, "homeserver"), *user = str_at(root, "user_id");
    const char *token = str_at(root, "access_token");
    if (hs && token && *token && strcmp(hs, mx->hs) == 0 &&
        (!mx->user_cfg || !*mx->user_cfg || (user && strcmp(user, mx->user_cfg) == 0))) {
        free(mx->token);
        mx->token = xstrdup(token);
        mx->token_stored = 1;
    } else if (root) {
        mx_log(mx, KB_LOG_WARN, "the stored login is for another homeserver or user; "
               "ignored");
    }
    if (token) /* wipe the parsed copy */
        memset((char *)token, 0, strlen(token));
    cJSON_Delete(root);
}

/* The per-database transaction-id nonce: drawn once, kept as a cursor. */
static int load_nonce(struct mx *mx)
{
    char buf[64] = "";
    int rc = mx->svc->cursor_load ? mx->svc->cursor_load(mx->svc->ctx, MX_CURSOR_TXN, buf, sizeof buf)
                                  : KB_EINVAL;
    if (rc)
        return rc;
    if (buf[0] && strlen(buf) < sizeof mx->nonce &&
        strspn(buf, "0123456789abcdef") == strlen(buf)) {
        memcpy(mx->nonce, buf, strlen(buf) + 1);
        return KB_OK;
    }
    snprintf(mx->nonce, sizeof mx->nonce, "%016" PRIx64, next_rand(mx) ^ next_rand(mx) << 1);
    return mx->svc->deliver(mx->svc->ctx, NULL, 0, MX_CURSOR_TXN, mx->nonce);
}

static int mx_start(struct adapter *a)
{
    struct mx *mx = a->priv;
    if (mx->started || mx->stopped)
        return KB_EINVAL;
    char buf[4200] = "";
    int rc = mx->svc->cursor_load ? mx->svc->cursor_load(mx->svc->ctx, MX_CURSOR_SINCE, buf, sizeof buf)
                                  : 0;
    if (rc < 0)
        return rc;
    if (!utf8_valid(buf, strlen(buf)))
        buf[0] = '\0';
    free(mx->since);
    mx->since = xstrdup(buf);
    rc = load_nonce(mx);
    if (rc < 0)
        return rc;
    if (!mx->token)
        load_stored_login(mx);
    mx->started = 1;
    if (mx->token) {
        mx->step = STEP_WHOAMI;
    } else if (mx->user_cfg && *mx->user_cfg && mx->password && *mx->password) {
        mx->step = STEP_LOGIN;
    } else {
        go_fatal(mx, "no credentials: set matrix.access_token (KOCBOT_MATRIX_TOKEN), or "
                     "matrix.user_id with matrix.password (KOCBOT_MATRIX_PASSWORD) for a "
                     "one-time login");
        return 0;
    }
    run_step(mx);
    return 0;
}

static void mx_stop(struct adapter *a)
{
    struct mx *mx = a->priv;
    if (mx->stopped)
        return;
    mx->stopped = 1;
    if (mx->timer > 0)
        mx->svc->timer_cancel(mx->svc->ctx, mx->timer);
    mx->timer = 0;
    if (mx->gate > 0)
        mx->svc->timer_cancel(mx->svc->ctx, mx->gate);
    mx->gate = 0;
    gate_release(mx);
}

static void wipe_free(char *s)
{
    if (s)
        memset(s, 0, strlen(s));
    free(s);
}

static void mx_destroy(struct adapter *a)
{
    if (!a)
        return;
    struct mx *mx = a->priv;
    for (struct mx_send *s = mx->sends; s; s = s->next)
        s->held = 0; /* freed below without an answer, like those in flight */
    mx_stop(a);
    for (struct mx_req *q = mx->reqs; q;) {
        struct mx_req *next = q->next;
        q->mx = NULL;
        q->send = NULL;
        q->prev = q->next = NULL;
        q = next;
    }
    while (mx->sends) {
        struct mx_send *s = mx->sends;
        send_unlink(mx, s);
        send_free(s);
    }
    batch_free(mx);
    free(mx->evs);
    free(mx->owned);
    for (size_t i = 0; i < mx->nrooms; i++) {
        free(mx->rooms[i].id);
        free(mx->rooms[i].title);
        mx_power_free(&mx->rooms[i].power);
    }
    free(mx->rooms);
    for (size_t i = 0; i < MX_CARDS; i++) {
        free(mx->cards[i].event_id);
        mx_buttons_free(&mx->cards[i].bt);
    }
    cJSON_Delete(mx->direct);
    for (size_t i = 0; i < MX_NAMES; i++) {
        free(mx->names[i].user);
        free(mx->names[i].name);
    }
    free(mx->since);
    wipe_free(mx->token);
    wipe_free(mx->password);
    free(mx->hs);
    free(mx->user_cfg);
    free(mx->device_cfg);
    free(mx->invites);
    free(mx);
}

static const struct adapter_ops mx_ops = {
    .name = "matrix",
    .platform = "mx",
    .start = mx_start,
    .stop = mx_stop,
    .send = mx_send_op,
    .destroy = mx_destroy,
};

int mx_adapter_new(const struct mx_options *o, const struct adapter_services *svc,
                   struct adapter **out)
{
    *out = NULL;
    if (!o || !svc || !o->homeserver || !*o->homeserver || !svc->http || !svc->timer_start ||
        !svc->timer_cancel || !svc->deliver || !svc->now_ms)
        return KB_EINVAL;
    struct mx *mx = xcalloc(1, sizeof *mx);
    size_t hl = strlen(o->homeserver);
    while (hl > 0 && o->homeserver[hl - 1] == '/')
        hl--;
    mx->hs = xstrndup(o->homeserver, hl);
    mx->token = o->access_token && *o->access_token ? xstrdup(o->access_token) : NULL;
    mx->password = o->password && *o->password ? xstrdup(o->password) : NULL;
    mx->user_cfg = xstrdup(o->user_id ? o->user_id : "");
    mx->device_cfg = xstrdup(o->device_id && *o->device_id ? o->device_id : "KOCBOT");
    mx->invites = xstrdup(o->invites ? o->invites : "");
    mx->since = xstrdup("");
    mx->direct = cJSON_CreateObject();
    mx->svc = svc;
    mx->sync_timeout_s = o->sync_timeout_s > 0 ? o->sync_timeout_s : 30;
    mx->power_cache_s = o->power_cache_s >= 0 ? o->power_cache_s : 300;
    mx->request_ms = o->request_timeout_s > 0 ? o->request_timeout_s * 1000L : 30000L;
    mx->backoff_max_ms = o->backoff_max_s > 0 ? o->backoff_max_s * 1000L : 60000L;
    mx->admins_are_operators = o->admins_are_operators;
    mx->backoff_ms = MX_BACKOFF_MIN_MS;
    mx->rng = (uint64_t)svc->now_ms(svc->ctx) ^ (uint64_t)(uintptr_t)mx ^ 0x9E3779B97F4A7C15ULL;
    if (!mx->rng)
        mx->rng = 1;
    mx->base.ops = &mx_ops;
    mx->base.svc = svc;
    mx->base.max_text = MX_MAX_TEXT;
    mx->base.priv = mx;
    *out = &mx->base;
    return 0;
}

/* ==== the registry row ================================================== */

static int check_invites(const char *s, char *why, size_t cap)
{
    for (const char *p = s; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ",");
        if (len && !(len >= 8 && strncmp(p, "everyone", 8) == 0) &&
            (p[0] == '@' ? !memchr(p, ':', len) : memchr(p, '@', len) != NULL)) {
            snprintf(why, cap, "expected \"everyone\" or a comma-separated list of user ids "
                     "(@name:server) and homeserver names (server)");
            return -1;
        }
        p += len;
    }
    return 0;
}

/* "@localpart:server" */
static int is_user_id(const char *s)
{
    const char *colon = strchr(s, ':');
    return s[0] == '@' && colon && colon > s + 1 && colon[1] && !strpbrk(s, " ,");
}

static int check_user_id(const char *id)
{
    return is_user_id(id) ? 0 : -1;
}

static int check_user(const char *s, char *why, size_t cap)
{
    if (*s && !is_user_id(s)) {
        snprintf(why, cap, "expected a full Matrix user id such as @kocbot:example.org");
        return -1;
    }
    return 0;
}

static int mx_create(const void *opts, const struct adapter_host *host,
                     const struct adapter_services *svc, struct adapter **out)
{
    struct mx_options o = *(const struct mx_options *)opts;
    o.admins_are_operators = host->admins_are_operators;
    o.bot_name = host->bot_name;
    return mx_adapter_new(&o, svc, out);
}

#define MX_OFF(f) offsetof(struct mx_options, f)

static const struct adapter_key mx_keys[] = {
    {.name = "homeserver", .type = ADAPTER_KEY_STR, .off = MX_OFF(homeserver), .max_len = 512,
     .flags = ADAPTER_KEY_URL | ADAPTER_KEY_REQUIRED, .env = "KOCBOT_MATRIX_HOMESERVER"},
    {.name = "access_token", .type = ADAPTER_KEY_STR, .off = MX_OFF(access_token), .max_len = 1024,
     .flags = ADAPTER_KEY_SECRET | ADAPTER_KEY_OPTIONAL, .env = "KOCBOT_MATRIX_TOKEN"},
    {.name = "user_id", .type = ADAPTER_KEY_STR, .off = MX_OFF(user_id), .max_len = 255,
     .flags = ADAPTER_KEY_OPTIONAL, .env = "KOCBOT_MATRIX_USER", .check = check_user},
    {.name = "password", .type = ADAPTER_KEY_STR, .off = MX_OFF(password), .max_len = 1024,
     .flags = ADAPTER_KEY_SECRET | ADAPTER_KEY_OPTIONAL, .env = "KOCBOT_MATRIX_PASSWORD"},
    {.name = "device_id", .type = ADAPTER_KEY_STR, .off = MX_OFF(device_id), .max_len = 64,
     .dstr = "KOCBOT", .flags = ADAPTER_KEY_IDENT},
    {.name = "invites", .type = ADAPTER_KEY_STR, .off = MX_OFF(invites), .max_len = 4096,
     .flags = ADAPTER_KEY_OPTIONAL, .env = "KOCBOT_MATRIX_INVITES", .check = check_invites},
    {.name = "sync_timeout_s", .type = ADAPTER_KEY_INT, .off = MX_OFF(sync_timeout_s),
     .min = 1, .max = 120, .dnum = 30},
    {.name = "power_cache_s", .type = ADAPTER_KEY_INT, .off = MX_OFF(power_cache_s),
     .min = 0, .max = 86400, .dnum = 300},
    {.name = "request_timeout_s", .type = ADAPTER_KEY_INT, .off = MX_OFF(request_timeout_s),
     .min = 1, .max = 300, .dnum = 30},
    {.name = "backoff_max_s", .type = ADAPTER_KEY_INT, .off = MX_OFF(backoff_max_s),
     .min = 1, .max = 3600, .dnum = 60},
};

const struct adapter_kind mx_adapter_kind = {
    .name = "matrix",
    .platform = "mx",
    .section = "matrix",
    .keys = mx_keys,
    .n_keys = sizeof mx_keys / sizeof mx_keys[0],
    .options_size = sizeof(struct mx_options),
    .caps = {.max_text = MX_MAX_TEXT, .paced = 0, .buttons = 0, .edits = 1, .reactions = 1,
             .topics = 0, .direct_messages = 1, .opens_private = 1, .sender_role = 1,
             .idempotent_sends = 1},
    .check_user_id = check_user_id,
    .user_id_rule = "Matrix user ids look like @name:server",
    .create = mx_create,
};
