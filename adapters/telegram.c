/*
 * The Telegram adapter's state machine (pure decoding lives in
 * telegram_json.c).
 *
 * Receive side, one step at a time, never more than one getUpdates in
 * flight:
 *
 *   GETME -> CMDS_EN -> CMDS_ZH -> POLL -> (updates) -> ROLES -> DELIVER
 *                                   ^                               |
 *                                   +------- deliver committed -----+
 *
 * Any step that fails is retried after a timer (the same step, with the
 * same batch): transport errors, 5xx and unreadable answers back off
 * exponentially with jitter (1 s doubling to 60 s, reset on success); 429
 * waits exactly retry_after; 409 waits 30 s.  Only Telegram's own
 * {"ok":false,"error_code":401|404} to getMe is fatal; the same from
 * another method sends us back to getMe, and any other answer (a proxy's
 * page) is a network fault.  The offset advances only when deliver() committed
 * the batch together with the cursor "tg:offset".
 *
 * ROLES: when admins_are_operators is set, group commands and button
 * presses need the sender's role; getChatAdministrators results are cached
 * per chat for admin_cache_s, the batch is held until every lookup has
 * finished, and a failed lookup means "member".
 *
 * Webhook mode: GETME -> CMDS_EN -> CMDS_ZH -> SET_WEBHOOK -> WEBHOOK (idle:
 * updates arrive through serve_webhook, one per POST; see telegram.h).
 * Polling mode meeting a webhook (409) goes DELETE_WEBHOOK -> POLL.
 *
 * Send side: each send op is independent; a text longer than max_text is
 * split into parts sent in order (buttons on the last part).
 *
 * Lifetime: every HTTP request carries a heap record that points back to
 * the adapter; destroy() orphans records still in flight, so a late done
 * callback only frees its record.  After stop() no request is started.
 * The token lives only in URLs handed to services->http and is scrubbed
 * from every log line.
 */
#include "telegram.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/markup.h"
#include "../core/util.h"
#include "json_arena.h"
#include "telegram_json.h"

#define TG_BACKOFF_MIN_MS 1000L
#define TG_BACKOFF_MAX_MS 60000L
#define TG_CONFLICT_MS 30000L
#define TG_EMPTY_POLL_MIN_MS 1000 /* an empty poll answered faster waits this long */
#define TG_CONTROL_TIMEOUT_MS 30000L
#define TG_SEND_RETRIES 5          /* in-adapter retries of a later part */
#define TG_MAX_RESPONSE (16u << 20)
#define TG_CURSOR_KEY "tg:offset"
#define TG_WEBHOOK_MAX_CONN 40     /* Telegram's default: POSTs in flight at once */
#define TG_WEBHOOK_MAX_WAITING 256 /* updates held for a role lookup; more: 503 */
#define TG_SECRET_BYTES 32         /* secret_token: 64 hex digits (Telegram allows 256) */

enum step { STEP_NONE = 0, STEP_GETME, STEP_CMDS_EN, STEP_CMDS_ZH, STEP_POLL,
            STEP_ROLES, STEP_DELIVER, STEP_SET_WEBHOOK, STEP_WEBHOOK, STEP_DELETE_WEBHOOK };

enum req_kind { RQ_CONTROL = 0, RQ_ADMINS, RQ_SEND, RQ_FILE };

struct tg;
struct tg_send;

/* One request in flight. */
struct tg_req {
    struct tg *tg;             /* NULL once the adapter was destroyed */
    struct tg_req *prev, *next;
    enum req_kind kind;
    enum step step;            /* RQ_CONTROL: which step sent it */
    int64_t chat;              /* RQ_ADMINS */
    struct tg_send *send;      /* RQ_SEND */
};

struct admin_entry {
    int64_t chat;
    int64_t fetched_ms;        /* -1: never fetched successfully */
    int64_t *ids;
    size_t n;
    int asked;                 /* a lookup for this round is in flight */
};

/* One reply being sent (possibly in several parts). */
struct tg_send {
    struct tg *tg;
    struct tg_send *prev, *next;
    enum tg_method m;
    struct kb_reply r;         /* strings below are owned copies */
    char *chat_id, *thread_id, *reply_to, *buttons, *edit_id, *callback_id;
    char **parts;              /* sanitized texts (SEND/EDIT) */
    size_t nparts, idx;
    char *answer_body;         /* ANSWER */
    char first_id[24];
    int attempts;
    int64_t timer;
    struct tg_req *req;        /* in flight, or NULL */
    kb_send_done_fn done;
    void *ud;
};

/* A webhook update waiting for its chat's role lookup; its POST is
   answered once it is applied. */
struct tg_hook {
    struct tg_update u;
    int64_t ticket;
    struct tg_hook *next;
};

struct tg {
    struct adapter base;
    const struct adapter_services *svc;
    char *token, *api_base;
    char *method_url;          /* "<api_base>/bot<token>/", built once */
    size_t method_url_len;
    int poll_timeout_s, admin_cache_s, admins_are_operators;
    long request_ms, conflict_ms, backoff_max_ms;
    int started, stopped, fatal;
    enum step step;
    int64_t timer;             /* receive-side retry timer, 0 = none */
    long backoff_ms;
    int64_t poll_started_ms;      /* when the current getUpdates left */
    uint64_t rng;
    char offset[24];
    char username[128];
    /* the batch being delivered */
    struct tg_update *batch;
    size_t nbatch;
    char batch_cursor[24];
    size_t admin_pending;
    struct admin_entry *admins;
    size_t nadmins, cap_admins;
    struct tg_req *reqs;
    struct tg_send *sends;
    /* webhook mode */
    int webhook;
    char *webhook_url, *webhook_path, *http_listen;
    char secret[2 * TG_SECRET_BYTES + 1];
    struct tg_hook *waiting;      /* updates held for a role lookup, oldest first */
    size_t n_waiting;
    const struct kb_menu *menus;  /* borrowed: bot/ keeps them while we run */
    size_t n_menus;
};

static void run_step(struct tg *tg);
static enum step after_menu(const struct tg *tg);

/* ==== logging (token scrubbed) ========================================= */

static void tg_log(struct tg *tg, enum kb_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void tg_log(struct tg *tg, enum kb_log_level lvl, const char *fmt, ...)
{
    char buf[1024], out[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (!tg->svc->log)
        return;
    /* never let the token through, whatever a transport error said */
    size_t tl = strlen(tg->token), o = 0;
    for (const char *p = buf; *p && o + 1 < sizeof out;) {
        if (tl && !strncmp(p, tg->token, tl)) {
            const char *r = "<redacted>";
            for (; *r && o + 1 < sizeof out; r++)
                out[o++] = *r;
            p += tl;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    tg->svc->log(tg->svc->ctx, lvl, out);
}

static const char *step_method(enum step s)
{
    switch (s) {
    case STEP_GETME: return "getMe";
    case STEP_CMDS_EN:
    case STEP_CMDS_ZH: return "setMyCommands";
    case STEP_POLL: return "getUpdates";
    case STEP_ROLES: return "getChatAdministrators";
    case STEP_DELIVER: return "deliver";
    case STEP_SET_WEBHOOK: return "setWebhook";
    case STEP_DELETE_WEBHOOK: return "deleteWebhook";
    case STEP_WEBHOOK: return "webhook";
    case STEP_NONE:
    default: return "none";
    }
}

static const char *method_name(enum tg_method m)
{
    switch (m) {
    case TG_M_EDIT: return "editMessageText";
    case TG_M_ANSWER: return "answerCallbackQuery";
    case TG_M_SEND:
    default: return "sendMessage";
    }
}

/* ==== requests ========================================================= */

static void req_unlink(struct tg *tg, struct tg_req *q)
{
    if (q->prev)
        q->prev->next = q->next;
    else if (tg && tg->reqs == q)
        tg->reqs = q->next;
    if (q->next)
        q->next->prev = q->prev;
    q->prev = q->next = NULL;
}

static void req_link(struct tg *tg, struct tg_req *q)
{
    q->tg = tg;
    q->prev = NULL;
    q->next = tg->reqs;
    if (tg->reqs)
        tg->reqs->prev = q;
    tg->reqs = q;
}

/* Start a POST of body to method.  On success *out (if given) is the
   record; on failure nothing is left behind and done is never called. */
static int start_req(struct tg *tg, const char *method, char *body, long timeout_ms,
                     kb_http_done_fn done, struct tg_req *q)
{
    int rc = KB_ENOMEM;
    char stack[512];
    size_t ml = strlen(method), ul = tg->method_url_len + ml + 1;
    char *url = ul <= sizeof stack ? stack : malloc(ul);
    if (!body || !url)
        goto out;
    memcpy(url, tg->method_url, tg->method_url_len);
    memcpy(url + tg->method_url_len, method, ml + 1);
    struct kb_http_request req = {
        .method = "POST",
        .url = url,
        .log_name = method,
        .body = body,
        .body_len = strlen(body),
        .content_type = "application/json",
        .timeout_ms = timeout_ms,
        .max_response = TG_MAX_RESPONSE,
    };
    req_link(tg, q);
    rc = tg->svc->http(tg->svc->ctx, &req, done, q);
    if (rc < 0)
        req_unlink(tg, q);
    else
        rc = 0;
out:
    if (url != stack)
        free(url);
    free(body);
    return rc;
}

/* ==== receive side ===================================================== */

static uint64_t next_rand(struct tg *tg)
{
    uint64_t x = tg->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    tg->rng = x;
    return x;
}

static void on_timer(void *ud)
{
    struct tg *tg = ud;
    tg->timer = 0;
    if (tg->stopped || tg->fatal)
        return;
    run_step(tg);
}

static void schedule(struct tg *tg, long ms)
{
    if (tg->stopped || tg->fatal)
        return;
    if (tg->timer > 0)
        tg->svc->timer_cancel(tg->svc->ctx, tg->timer);
    tg->timer = tg->svc->timer_start(tg->svc->ctx, (uint64_t)ms, on_timer, tg);
    if (tg->timer <= 0) {
        tg->timer = 0;
        tg_log(tg, KB_LOG_ERROR, "telegram: cannot start a timer; receiving stopped");
    }
}

/* Back off: wait in [3/4 base, base], then double base up to 60 s. */
static void backoff(struct tg *tg)
{
    long base = tg->backoff_ms;
    long ms = base - (long)(next_rand(tg) % (uint64_t)(base / 4 + 1));
    tg->backoff_ms = base * 2 > tg->backoff_max_ms ? tg->backoff_max_ms : base * 2;
    tg_log(tg, KB_LOG_INFO, "telegram: %s retry in %ld ms", step_method(tg->step), ms);
    schedule(tg, ms);
}

static void go_fatal(struct tg *tg, const char *msg)
{
    tg->fatal = 1;
    if (tg->timer > 0)
        tg->svc->timer_cancel(tg->svc->ctx, tg->timer);
    tg->timer = 0;
    tg_log(tg, KB_LOG_ERROR, "telegram: %s", msg);
    if (tg->svc->fatal)
        tg->svc->fatal(tg->svc->ctx, 2, msg); /* last: it may stop us */
}

static void batch_free(struct tg *tg)
{
    for (size_t i = 0; i < tg->nbatch; i++)
        tg_update_clear(&tg->batch[i]);
    free(tg->batch);
    tg->batch = NULL;
    tg->nbatch = 0;
}

static void control_done(void *ud, const struct kb_http_response *resp);

static void send_control(struct tg *tg, const char *method, char *body, long timeout_ms)
{
    struct tg_req *q = calloc(1, sizeof *q);
    int rc = q ? 0 : KB_ENOMEM;
    if (q) {
        q->kind = RQ_CONTROL;
        q->step = tg->step;
        rc = start_req(tg, method, body, timeout_ms, control_done, q);
    } else {
        free(body);
    }
    if (rc) {
        free(q);
        tg_log(tg, KB_LOG_WARN, "telegram: %s not started (%s)", method, kb_strerror(rc));
        backoff(tg);
    }
}

static struct admin_entry *admin_find(struct tg *tg, int64_t chat)
{
    for (size_t i = 0; i < tg->nadmins; i++)
        if (tg->admins[i].chat == chat)
            return &tg->admins[i];
    return NULL;
}

static struct admin_entry *admin_get(struct tg *tg, int64_t chat)
{
    struct admin_entry *e = admin_find(tg, chat);
    if (e)
        return e;
    if (tg->nadmins == tg->cap_admins) {
        size_t cap = tg->cap_admins ? tg->cap_admins * 2 : 8;
        struct admin_entry *na = realloc(tg->admins, cap * sizeof *na);
        if (!na)
            return NULL;
        tg->admins = na;
        tg->cap_admins = cap;
    }
    e = &tg->admins[tg->nadmins++];
    memset(e, 0, sizeof *e);
    e->chat = chat;
    e->fetched_ms = -1;
    return e;
}

static int admin_fresh(struct tg *tg, const struct admin_entry *e, int64_t now)
{
    return e && e->fetched_ms >= 0 &&
           now - e->fetched_ms < (int64_t)tg->admin_cache_s * 1000;
}

/* A group command's role from the admin cache (stale or missing: member). */
static void set_role(struct tg *tg, struct tg_update *u, int64_t now)
{
    if (!u->needs_role)
        return;
    struct admin_entry *e = admin_find(tg, u->chat_num);
    u->ev.role = KB_ROLE_MEMBER;
    if (tg->admins_are_operators && admin_fresh(tg, e, now))
        for (size_t k = 0; k < e->n; k++)
            if (e->ids[k] == u->user_num)
                u->ev.role = KB_ROLE_CHAT_ADMIN;
}

static void deliver_batch(struct tg *tg)
{
    size_t n = 0;
    struct kb_event *evs = calloc(tg->nbatch ? tg->nbatch : 1, sizeof *evs);
    if (!evs) {
        backoff(tg);
        return;
    }
    int64_t now = tg->svc->now_ms(tg->svc->ctx);
    for (size_t i = 0; i < tg->nbatch; i++) {
        struct tg_update *u = &tg->batch[i];
        if (!u->has_event)
            continue;
        set_role(tg, u, now);
        evs[n++] = u->ev;
    }
    tg->step = STEP_DELIVER;
    int rc = tg->svc->deliver(tg->svc->ctx, evs, n, TG_CURSOR_KEY, tg->batch_cursor);
    free(evs);
    if (tg->stopped || tg->fatal)
        return;
    if (rc < 0) {
        tg_log(tg, KB_LOG_WARN, "telegram: deliver of %zu events failed (%s); will retry",
               n, kb_strerror(rc));
        tg->step = STEP_ROLES; /* roles are re-checked on the retry */
        backoff(tg);
        return;
    }
    memcpy(tg->offset, tg->batch_cursor, sizeof tg->offset);
    batch_free(tg);
    tg->backoff_ms = TG_BACKOFF_MIN_MS;
    tg->step = STEP_POLL;
    run_step(tg);
}

static void admins_done(void *ud, const struct kb_http_response *resp);
static void webhook_release(struct tg *tg, int64_t chat);

/* Start a lookup of chat's admins unless the cache is fresh or one is
   already out; 1 when one is (now) in flight. */
static int ask_admins(struct tg *tg, int64_t chat, int64_t now)
{
    struct admin_entry *e = admin_get(tg, chat);
    if (!e || admin_fresh(tg, e, now))
        return 0;
    if (e->asked)
        return 1;
    struct tg_req *q = calloc(1, sizeof *q);
    if (!q)
        return 0;
    q->kind = RQ_ADMINS;
    q->chat = chat;
    e->asked = 1;
    if (start_req(tg, "getChatAdministrators", tg_encode_chat_dup(chat), tg->request_ms,
                  admins_done, q)) {
        e->asked = 0;
        free(q);
        tg_log(tg, KB_LOG_WARN, "telegram: getChatAdministrators not started; "
               "chat=%" PRId64 " treated as members", chat);
        return 0;
    }
    tg->admin_pending++;
    return 1;
}

/* Start lookups for stale chats; deliver once none is outstanding. */
static void resolve_roles(struct tg *tg)
{
    tg->step = STEP_ROLES;
    if (tg->admins_are_operators) {
        int64_t now = tg->svc->now_ms(tg->svc->ctx);
        for (size_t i = 0; i < tg->nbatch; i++) {
            struct tg_update *u = &tg->batch[i];
            if (!u->has_event || !u->needs_role)
                continue;
            ask_admins(tg, u->chat_num, now);
        }
    }
    if (tg->admin_pending == 0)
        deliver_batch(tg);
}

static void admins_done(void *ud, const struct kb_http_response *resp)
{
    struct tg_req *q = ud;
    struct tg *tg = q->tg;
    int64_t chat = q->chat;
    req_unlink(tg, q);
    free(q);
    if (!tg)
        return;
    struct admin_entry *e = admin_find(tg, chat);
    if (e)
        e->asked = 0;
    if (tg->admin_pending)
        tg->admin_pending--;
    if (tg->stopped || tg->fatal)
        return;
    struct tg_envelope env;
    int prc = resp->outcome == KB_HTTP_DONE
                  ? tg_envelope_parse(resp->body, resp->body_len, &env) : KB_ETRANSPORT;
    int64_t *ids = NULL;
    size_t n = 0;
    if (prc == 0 && resp->status == 200 && env.ok &&
        tg_parse_admins(env.result, &ids, &n) == 0 && e) {
        free(e->ids);
        e->ids = ids;
        e->n = n;
        e->fetched_ms = tg->svc->now_ms(tg->svc->ctx);
    } else {
        free(ids);
        tg_log(tg, KB_LOG_WARN,
               "telegram: getChatAdministrators failed (status %ld: %s); "
               "chat=%" PRId64 " treated as members", resp->status,
               prc == 0 ? env.description : "no readable answer", chat);
    }
    if (prc == 0)
        tg_envelope_free(&env);
    if (tg->webhook)
        webhook_release(tg, chat);
    else if (tg->admin_pending == 0 && tg->step == STEP_ROLES)
        deliver_batch(tg);
}

/* An update that cannot be read is delivered as such: the engine keeps its
   raw JSON in failed_events in the same transaction that moves the offset
   past it, so it is neither lost from view nor read again. */
static int keep_undecodable(struct tg *tg, struct tg_update *u, const struct tg_span *raw,
                            int64_t id, int have_id, int why)
{
    tg_update_clear(u);
    memset(u, 0, sizeof *u);
    u->update_id = id;
    u->has_update_id = have_id;
    tg_log(tg, KB_LOG_WARN, "telegram: update %" PRId64 " skipped (%s); kept in failed_events",
           have_id ? id : -1, kb_strerror(why));
    char key[32];
    snprintf(key, sizeof key, "update:%" PRId64, have_id ? id : -1);
    u->owned[0] = utf8_sanitized_dup(raw->p, raw->len, TG_RAW_KEEP_MAX);
    u->owned[1] = strdup(key);
    u->n_owned = 2;
    if (!u->owned[0] || !u->owned[1])
        return KB_ENOMEM;
    u->ev.kind = KB_EV_UNDECODABLE;
    u->ev.platform = "tg";
    u->ev.bot_username = tg->username;
    u->ev.text = u->owned[0];
    u->ev.message_id = u->owned[1];
    u->has_event = 1;
    return 0;
}

/* The elements of a getUpdates answer: decode each on its own, then resolve
   roles and deliver.  The offset moves past every element whose update_id
   can be read, decodable or not. */
static void got_updates(struct tg *tg, const struct tg_span *items, size_t count)
{
    tg->backoff_ms = TG_BACKOFF_MIN_MS;
    if (count == 0) {
        /* a long poll that came back empty at once (a proxy or an emulator
           ignoring `timeout`) must not turn into a busy loop */
        int64_t took = tg->svc->now_ms(tg->svc->ctx) - tg->poll_started_ms;
        if (took >= 0 && took < TG_EMPTY_POLL_MIN_MS)
            schedule(tg, TG_EMPTY_POLL_MIN_MS);
        else
            run_step(tg); /* step is still POLL */
        return;
    }
    tg->batch = calloc(count, sizeof *tg->batch);
    if (!tg->batch) {
        backoff(tg);
        return;
    }
    int64_t now_s = tg->svc->now_ms(tg->svc->ctx) / 1000;
    int have_max = 0;
    int64_t max_id = 0;
    for (size_t i = 0; i < count; i++) {
        struct tg_update *u = &tg->batch[tg->nbatch++];
        int64_t id = -1;
        int have_id = tg_raw_update_id(items[i].p, items[i].len, &id) == 0;
        if (have_id && (!have_max || id > max_id)) {
            max_id = id;
            have_max = 1;
        }
        cJSON *item = json_arena_parse(items[i].p, items[i].len);
        int rc = item ? tg_decode_update(item, tg->username, now_s, u) : KB_EPARSE;
        json_arena_release(item); /* u keeps copies of what it needs */
        if (rc) {
            if (keep_undecodable(tg, u, &items[i], id, have_id, rc)) {
                batch_free(tg);
                backoff(tg);
                return;
            }
        } else if (u->edited) {
            tg_log(tg, KB_LOG_DEBUG, "telegram: update %" PRId64 ": edit ignored",
                   u->update_id);
        }
    }
    if (!have_max || max_id == INT64_MAX) {
        tg_log(tg, KB_LOG_ERROR, "telegram: getUpdates batch without usable update ids");
        batch_free(tg);
        backoff(tg);
        return;
    }
    snprintf(tg->batch_cursor, sizeof tg->batch_cursor, "%" PRId64, max_id + 1);
    resolve_roles(tg);
}

/* ==== webhook ========================================================== */

static int secret_matches(const struct tg *tg, const char *got)
{
    size_t n = strlen(tg->secret);
    if (!got || strlen(got) != n)
        return 0;
    unsigned diff = 0;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned)(got[i] ^ tg->secret[i]);
    return diff == 0;
}

/* Apply events of n updates in one transaction: 200 when committed, 503
   (Telegram will redeliver) when not. */
static int webhook_deliver(struct tg *tg, struct tg_update *const *us, size_t n)
{
    struct kb_event evs[TG_WEBHOOK_MAX_WAITING];
    size_t k = 0;
    int64_t now = tg->svc->now_ms(tg->svc->ctx);
    for (size_t i = 0; i < n && k < TG_WEBHOOK_MAX_WAITING; i++) {
        set_role(tg, us[i], now);
        evs[k++] = us[i]->ev;
    }
    int rc = tg->svc->deliver(tg->svc->ctx, evs, k, NULL, NULL);
    if (rc < 0) {
        tg_log(tg, KB_LOG_WARN, "telegram: webhook: %zu updates not applied (%s); "
               "answered 503 for Telegram to redeliver", k, kb_strerror(rc));
        return 503;
    }
    return 200;
}

static int waiting_for_chat(const struct tg *tg, int64_t chat)
{
    for (const struct tg_hook *h = tg->waiting; h; h = h->next)
        if (h->u.chat_num == chat)
            return 1;
    return 0;
}

/* chat's lookup finished (or failed): apply its held updates, in order, in
   one transaction, and answer their POSTs. */
static void webhook_release(struct tg *tg, int64_t chat)
{
    struct tg_update *batch[TG_WEBHOOK_MAX_WAITING];
    struct tg_hook *mine = NULL, **tail = &mine;
    size_t n = 0;
    for (struct tg_hook **p = &tg->waiting; *p;) {
        struct tg_hook *h = *p;
        if (h->u.chat_num != chat) {
            p = &h->next;
            continue;
        }
        *p = h->next;
        h->next = NULL;
        *tail = h;
        tail = &h->next;
        batch[n++] = &h->u;
        tg->n_waiting--;
    }
    if (!n)
        return;
    int status = webhook_deliver(tg, batch, n);
    while (mine) {
        struct tg_hook *h = mine;
        mine = h->next;
        tg->svc->http_answer(tg->svc->ctx, h->ticket, status);
        tg_update_clear(&h->u);
        free(h);
    }
}

/* Hold u until its chat's roles are known; KB_HTTP_LATER, or 503 when the
   answer cannot wait (Telegram then redelivers). */
static int webhook_hold(struct tg *tg, const struct kb_http_incoming *req,
                        struct tg_update *u)
{
    struct tg_hook *h;
    if (tg->n_waiting >= TG_WEBHOOK_MAX_WAITING || !(h = calloc(1, sizeof *h)))
        return 503;
    if (!(h->ticket = req->defer(req))) {
        free(h);
        return 503;
    }
    h->u = *u;
    memset(u, 0, sizeof *u); /* its strings now belong to h */
    struct tg_hook **p = &tg->waiting;
    while (*p)
        p = &(*p)->next;
    *p = h;
    tg->n_waiting++;
    return KB_HTTP_LATER;
}

/* One POSTed Update (Telegram sends one per request). */
static int serve_webhook(void *ud, const struct kb_http_incoming *req,
                         struct kb_http_body *out)
{
    struct tg *tg = ud;
    (void)out; /* Telegram reads only the status */
    if (tg->stopped || tg->fatal || tg->step != STEP_WEBHOOK)
        return 503;
    if (strcmp(req->method, "POST") != 0)
        return 405;
    if (!secret_matches(tg, req->header(req, "X-Telegram-Bot-Api-Secret-Token"))) {
        tg_log(tg, KB_LOG_WARN, "telegram: webhook POST without the right secret refused");
        return 403;
    }
    cJSON *root = json_arena_parse(req->body, req->body_len);
    if (!cJSON_IsObject(root)) {
        json_arena_release(root);
        tg_log(tg, KB_LOG_WARN, "telegram: webhook body is not a JSON object (%zu bytes)",
               req->body_len);
        return 400;
    }
    struct tg_update u;
    int rc = tg_decode_update(root, tg->username, tg->svc->now_ms(tg->svc->ctx) / 1000, &u);
    int status = 200; /* undecodable or nothing to apply: logged, never redelivered */
    if (rc) {
        char *raw = cJSON_PrintUnformatted(root);
        tg_log(tg, KB_LOG_WARN, "telegram: webhook update %" PRId64 " skipped: %s",
               u.has_update_id ? u.update_id : -1, kb_strerror(rc));
        if (raw)
            tg_log(tg, KB_LOG_DEBUG, "telegram: undecodable update: %.900s", raw);
        free(raw);
    } else if (u.has_event) {
        int64_t now = tg->svc->now_ms(tg->svc->ctx);
        /* behind a lookup, or behind an earlier update of the same chat */
        int hold = (u.needs_role && tg->admins_are_operators && ask_admins(tg, u.chat_num, now)) ||
                   waiting_for_chat(tg, u.chat_num);
        struct tg_update *one = &u;
        status = hold ? webhook_hold(tg, req, &u) : webhook_deliver(tg, &one, 1);
    }
    tg_update_clear(&u);
    json_arena_release(root);
    return status;
}

/* A fresh secret for this run, then the route (before setWebhook: the
   first POST may come at once). */
static int webhook_open(struct tg *tg)
{
    unsigned char raw[TG_SECRET_BYTES];
    static const char hex[] = "0123456789abcdef";
    if (!tg->svc->random_bytes || tg->svc->random_bytes(tg->svc->ctx, raw, sizeof raw))
        return KB_EINVAL;
    for (size_t i = 0; i < sizeof raw; i++) {
        tg->secret[2 * i] = hex[raw[i] >> 4];
        tg->secret[2 * i + 1] = hex[raw[i] & 15];
    }
    tg->secret[2 * sizeof raw] = '\0';
    int rc = tg->svc->http_serve(tg->svc->ctx, tg->http_listen, tg->webhook_path, serve_webhook,
                                 tg);
    if (rc)
        tg_log(tg, KB_LOG_ERROR, "telegram: cannot serve the webhook path %s on %s (%s)",
               tg->webhook_path, tg->http_listen, kb_strerror(rc));
    return rc;
}

/* Stopping: held updates are answered 503 (Telegram redelivers them). */
static void webhook_drop_waiting(struct tg *tg)
{
    while (tg->waiting) {
        struct tg_hook *h = tg->waiting;
        tg->waiting = h->next;
        if (tg->svc->http_answer)
            tg->svc->http_answer(tg->svc->ctx, h->ticket, 503);
        tg_update_clear(&h->u);
        free(h);
    }
    tg->n_waiting = 0;
}

static void control_done(void *ud, const struct kb_http_response *resp)
{
    struct tg_req *q = ud;
    struct tg *tg = q->tg;
    enum step step = q->step;
    req_unlink(tg, q);
    free(q);
    if (!tg || tg->stopped || tg->fatal)
        return;
    const char *method = step_method(step);
    if (resp->outcome != KB_HTTP_DONE) {
        tg_log(tg, KB_LOG_WARN, "telegram: %s transport error: %s", method,
               resp->error ? resp->error : "no answer");
        if (step == STEP_CMDS_EN || step == STEP_CMDS_ZH) {
            tg->step = step == STEP_CMDS_EN ? STEP_CMDS_ZH : after_menu(tg);
            run_step(tg);
            return;
        }
        backoff(tg);
        return;
    }
    long st = resp->status;
    struct tg_span *items = NULL;
    size_t n_items = 0;
    if (step == STEP_POLL && st == 200 &&
        tg_split_updates(resp->body, resp->body_len, &items, &n_items) == 0) {
        got_updates(tg, items, n_items); /* the items point into resp->body */
        free(items);
        return;
    }
    struct tg_envelope env;
    int prc = tg_envelope_parse(resp->body, resp->body_len, &env);
    const char *desc = prc == 0 && env.description[0] ? env.description : "-";
    /* only Telegram itself saying so counts, never a proxy's or a captive
       portal's page that happens to carry the same status */
    int rejected = prc == 0 && !env.ok && env.error_code == st && (st == 401 || st == 404);
    if (st == 200 && prc == 0 && env.ok) {
        if (step == STEP_GETME) {
            if (tg_parse_me(env.result, tg->username, sizeof tg->username)) {
                tg_log(tg, KB_LOG_WARN, "telegram: getMe answer without a username");
                backoff(tg);
            } else {
                tg_log(tg, KB_LOG_INFO, "telegram: running as @%s", tg->username);
                tg->backoff_ms = TG_BACKOFF_MIN_MS;
                tg->step = STEP_CMDS_EN;
                run_step(tg);
            }
        } else if (step == STEP_CMDS_EN || step == STEP_CMDS_ZH) {
            tg->step = step == STEP_CMDS_EN ? STEP_CMDS_ZH : after_menu(tg);
            run_step(tg);
        } else if (step == STEP_SET_WEBHOOK) {
            tg_log(tg, KB_LOG_INFO, "telegram: webhook set; updates arrive on %s",
                   tg->webhook_path);
            tg->backoff_ms = TG_BACKOFF_MIN_MS;
            tg->step = STEP_WEBHOOK;
        } else if (step == STEP_DELETE_WEBHOOK) {
            tg_log(tg, KB_LOG_INFO, "telegram: webhook deleted; polling");
            tg->step = STEP_POLL;
            run_step(tg);
        } else {
            tg_log(tg, KB_LOG_WARN, "telegram: getUpdates result is not an array");
            backoff(tg);
        }
    } else if (rejected && step == STEP_GETME) {
        tg_envelope_free(&env);
        go_fatal(tg, st == 401 ? "Telegram rejected the token (401)"
                               : "Telegram rejected the token (404)");
        return;
    } else if (st == 409 && step == STEP_POLL && strstr(desc, "webhook")) {
        tg_log(tg, KB_LOG_WARN, "telegram: a webhook is set (%s); polling mode deletes it", desc);
        tg->step = STEP_DELETE_WEBHOOK;
        run_step(tg);
    } else if (rejected) {
        /* the token may have been revoked: getMe decides, after a pause */
        tg_log(tg, KB_LOG_ERROR, "telegram: %s answered %ld (%s); checking the token with getMe",
               method, st, desc);
        tg->step = STEP_GETME;
        backoff(tg);
    } else if (st == 409) {
        tg_log(tg, KB_LOG_ERROR, "telegram: %s 409 Conflict: another instance is polling "
               "or a webhook is set (%s); retrying in 30 s", method, desc);
        schedule(tg, tg->conflict_ms);
    } else if (st == 429 && prc == 0 && env.retry_after_s >= 0) {
        tg_log(tg, KB_LOG_WARN, "telegram: %s 429, retry after %ld s", method,
               env.retry_after_s);
        schedule(tg, env.retry_after_s * 1000L);
    } else if (step == STEP_CMDS_EN || step == STEP_CMDS_ZH) {
        /* the command menu is cosmetic: never hold polling for it */
        tg_log(tg, KB_LOG_WARN, "telegram: setMyCommands failed (status %ld: %s)", st, desc);
        tg->step = step == STEP_CMDS_EN ? STEP_CMDS_ZH : after_menu(tg);
        run_step(tg);
    } else {
        char *seen = prc == 0 ? NULL : utf8_sanitized_dup(resp->body ? resp->body : "", resp->body_len, 200);
        for (char *c = seen; c && *c; c++)
            if ((unsigned char)*c < ' ')
                *c = ' ';
        tg_log(tg, KB_LOG_WARN, "telegram: %s failed (status %ld: %s%s%s)", method, st,
               prc == 0 ? desc : "not a Bot API answer", seen ? ": " : "", seen ? seen : "");
        free(seen);
        backoff(tg);
    }
    tg_envelope_free(&env);
}

static const struct kb_menu *menu_for(const struct tg *tg, const char *locale)
{
    for (size_t i = 0; i < tg->n_menus; i++)
        if (strcmp(tg->menus[i].locale, locale) == 0)
            return &tg->menus[i];
    return NULL;
}

/* What follows the command menu: polling, or setting the webhook. */
static enum step after_menu(const struct tg *tg)
{
    return tg->webhook ? STEP_SET_WEBHOOK : STEP_POLL;
}

static void run_step(struct tg *tg)
{
    if (tg->stopped || tg->fatal)
        return;
    switch (tg->step) {
    case STEP_GETME:
        send_control(tg, "getMe", strdup("{}"), tg->request_ms);
        break;
    case STEP_CMDS_EN:
    case STEP_CMDS_ZH: {
        const struct kb_menu *m = menu_for(tg, tg->step == STEP_CMDS_EN ? "en" : "zh-CN");
        if (!m) { /* no menu in this language: nothing to publish */
            tg->step = tg->step == STEP_CMDS_EN ? STEP_CMDS_ZH : after_menu(tg);
            run_step(tg);
            break;
        }
        send_control(tg, "setMyCommands", tg_encode_commands_dup(m), tg->request_ms);
        break;
    }
    case STEP_POLL:
        tg->poll_started_ms = tg->svc->now_ms(tg->svc->ctx);
        send_control(tg, "getUpdates",
                     tg_encode_get_updates_dup(tg->offset, tg->poll_timeout_s),
                     tg->poll_timeout_s * 1000L + (tg->request_ms < 15000 ? tg->request_ms : 15000));
        break;
    case STEP_ROLES:
    case STEP_DELIVER:
        resolve_roles(tg);
        break;
    case STEP_SET_WEBHOOK:
        send_control(tg, "setWebhook",
                     tg_encode_set_webhook_dup(tg->webhook_url, tg->secret, TG_WEBHOOK_MAX_CONN),
                     tg->request_ms);
        break;
    case STEP_DELETE_WEBHOOK:
        send_control(tg, "deleteWebhook", strdup("{}"), tg->request_ms);
        break;
    case STEP_WEBHOOK: /* updates come to serve_webhook */
    case STEP_NONE:
    default:
        break;
    }
}

/* ==== send side ======================================================== */

static void send_free(struct tg_send *s)
{
    markup_parts_free(s->parts, s->nparts);
    free(s->answer_body);
    free(s->chat_id);
    free(s->thread_id);
    free(s->reply_to);
    free(s->buttons);
    free(s->edit_id);
    free(s->callback_id);
    free(s);
}

static void send_unlink(struct tg *tg, struct tg_send *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else if (tg->sends == s)
        tg->sends = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
}

/* Report and release a send. */
static void send_finish(struct tg_send *s, const struct tg_send_class *c)
{
    struct tg *tg = s->tg;
    struct kb_send_result res = {
        .outcome = c->outcome,
        .retry_after_ms = c->retry_after_ms,
        .message_id = NULL,
        .description = c->description[0] ? c->description : NULL,
    };
    if (c->outcome == KB_SEND_OK)
        res.message_id = s->first_id[0] ? s->first_id : NULL;
    if (c->outcome == KB_SEND_FAILED || c->outcome == KB_SEND_CHAT_GONE)
        tg_log(tg, KB_LOG_WARN, "telegram: %s chat=%s dropped (status %ld: %s)",
               method_name(s->m), s->chat_id ? s->chat_id : "-", c->http_status,
               c->description);
    send_unlink(tg, s);
    if (s->timer > 0)
        tg->svc->timer_cancel(tg->svc->ctx, s->timer);
    s->timer = 0;
    if (c->outcome == KB_SEND_FATAL && !tg->fatal)
        go_fatal(tg, "Telegram rejected the token (401)");
    s->done(s->ud, &res);
    send_free(s);
}

static void send_done(void *ud, const struct kb_http_response *resp);

static int send_part(struct tg_send *s)
{
    struct tg *tg = s->tg;
    char *body;
    const char *method = method_name(s->m);
    if (s->m == TG_M_ANSWER)
        body = strdup(s->answer_body);
    else if (s->m == TG_M_EDIT)
        body = tg_encode_edit_dup(&s->r, s->parts[0]);
    else {
        /* every part stays in the topic; only the first one is the reply */
        struct kb_reply r = s->r;
        if (s->idx > 0)
            r.reply_to = NULL;
        body = tg_encode_send_dup(&r, s->parts[s->idx], s->idx + 1 == s->nparts);
    }
    struct tg_req *q = calloc(1, sizeof *q);
    if (!q) {
        free(body);
        return KB_ENOMEM;
    }
    q->kind = RQ_SEND;
    q->send = s;
    int rc = start_req(tg, method, body, tg->request_ms, send_done, q);
    if (rc) {
        free(q);
        return rc;
    }
    s->req = q;
    return 0;
}

/* Part idx > 0 could not be sent: report, without pretending nothing went. */
static void send_fail_later_part(struct tg_send *s, const char *why)
{
    struct tg_send_class c;
    memset(&c, 0, sizeof c);
    c.outcome = KB_SEND_RETRY_ONCE;
    snprintf(c.description, sizeof c.description, "part %zu of %zu: %.200s", s->idx + 1,
             s->nparts, why);
    send_finish(s, &c);
}

static void send_retry_timer(void *ud)
{
    struct tg_send *s = ud;
    s->timer = 0;
    if (s->tg->stopped) {
        send_fail_later_part(s, "stopped");
        return;
    }
    int rc = send_part(s);
    if (rc)
        send_fail_later_part(s, kb_strerror(rc));
}

static void send_done(void *ud, const struct kb_http_response *resp)
{
    struct tg_req *q = ud;
    struct tg *tg = q->tg;
    struct tg_send *s = q->send;
    req_unlink(tg, q);
    free(q);
    if (!tg || !s)
        return; /* adapter destroyed meanwhile */
    s->req = NULL;
    struct tg_send_class c;
    tg_classify_send(resp, s->m, &c);
    if (c.outcome == KB_SEND_OK) {
        if (s->idx == 0)
            memcpy(s->first_id, c.message_id, sizeof s->first_id);
        s->idx++;
        s->attempts = 0;
        if (s->idx >= s->nparts) {
            send_finish(s, &c);
            return;
        }
        if (tg->stopped) {
            send_fail_later_part(s, "stopped");
            return;
        }
        int rc = send_part(s);
        if (rc)
            send_fail_later_part(s, kb_strerror(rc));
        return;
    }
    if (s->idx > 0 && c.outcome == KB_SEND_RETRY && !tg->stopped &&
        s->attempts < TG_SEND_RETRIES) {
        /* earlier parts are out: retry this one here, not the whole text */
        long ms = c.retry_after_ms > 0 ? c.retry_after_ms
                                       : TG_BACKOFF_MIN_MS << s->attempts;
        s->attempts++;
        s->timer = tg->svc->timer_start(tg->svc->ctx, (uint64_t)ms, send_retry_timer, s);
        if (s->timer > 0)
            return;
        s->timer = 0;
    }
    if (s->idx > 0 && (c.outcome == KB_SEND_RETRY || c.outcome == KB_SEND_RETRY_ONCE)) {
        send_fail_later_part(s, c.description);
        return;
    }
    send_finish(s, &c);
}

static char *dup_or_null(const char *s, int *oom)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *oom = 1;
    return d;
}

static int tg_send_op(struct adapter *a, const struct kb_reply *r,
                      kb_send_done_fn done, void *ud)
{
    struct tg *tg = a->priv;
    if (tg->stopped || tg->fatal)
        return KB_ESHUTDOWN;
    if (!r || !done || !r->chat_id)
        return KB_EINVAL;
    struct tg_send *s = calloc(1, sizeof *s);
    if (!s)
        return KB_ENOMEM;
    int oom = 0, rc = 0;
    s->tg = tg;
    s->done = done;
    s->ud = ud;
    s->chat_id = dup_or_null(r->chat_id, &oom);
    s->thread_id = dup_or_null(r->thread_id, &oom);
    s->reply_to = dup_or_null(r->reply_to, &oom);
    s->buttons = dup_or_null(r->buttons, &oom);
    s->edit_id = dup_or_null(r->edit_message_id, &oom);
    s->callback_id = dup_or_null(r->callback_id, &oom);
    s->r = *r;
    s->r.chat_id = s->chat_id;
    s->r.thread_id = s->thread_id;
    s->r.reply_to = s->reply_to;
    s->r.buttons = s->buttons;
    s->r.edit_message_id = s->edit_id;
    s->r.callback_id = s->callback_id;
    s->r.text = NULL;
    if (oom) {
        rc = KB_ENOMEM;
        goto fail;
    }
    switch (r->kind) {
    case KB_REPLY_ANSWER:
        s->m = TG_M_ANSWER;
        if (!r->callback_id) {
            rc = KB_EINVAL;
            goto fail;
        }
        s->answer_body = tg_encode_answer_dup(r);
        s->nparts = 1;
        if (!s->answer_body)
            rc = KB_ENOMEM;
        break;
    case KB_REPLY_EDIT:
    case KB_REPLY_SEND:
    default: {
        s->m = r->kind == KB_REPLY_EDIT ? TG_M_EDIT : TG_M_SEND;
        if (s->m == TG_M_EDIT && !r->edit_message_id) {
            rc = KB_EINVAL;
            goto fail;
        }
        char *clean = markup_sanitize_dup(r->text ? r->text : "");
        if (!clean) {
            rc = KB_ENOMEM;
            goto fail;
        }
        rc = markup_split(clean, a->max_text, &s->parts, &s->nparts);
        free(clean);
        if (rc == 0 && s->nparts == 0)
            rc = KB_EINVAL; /* Telegram refuses empty texts */
        if (rc == 0 && s->m == TG_M_EDIT && s->nparts > 1) {
            tg_log(tg, KB_LOG_WARN, "telegram: edit of %zu parts cut to the first",
                   s->nparts);
            for (size_t i = 1; i < s->nparts; i++)
                free(s->parts[i]);
            s->nparts = 1; /* only the first part fits into one message */
        }
        break;
    }
    }
    if (rc)
        goto fail;
    s->next = tg->sends;
    if (tg->sends)
        tg->sends->prev = s;
    tg->sends = s;
    rc = send_part(s);
    if (rc) {
        send_unlink(tg, s);
        goto fail;
    }
    return 0;
fail:
    send_free(s);
    return rc;
}

/* ==== lifecycle ========================================================= */

static int tg_start(struct adapter *a)
{
    struct tg *tg = a->priv;
    if (tg->started || tg->stopped)
        return KB_EINVAL;
    char buf[64] = "";
    int rc = tg->svc->cursor_load ? tg->svc->cursor_load(tg->svc->ctx, TG_CURSOR_KEY,
                                                         buf, sizeof buf)
                                  : 0;
    if (rc < 0)
        return rc;
    char *end = NULL;
    errno = 0;
    long long v = buf[0] ? strtoll(buf, &end, 10) : -1;
    if (buf[0] && !errno && !*end && v >= 0) /* any int64: ids past 2^53 are confirmed too */
        snprintf(tg->offset, sizeof tg->offset, "%lld", v);
    else if (buf[0])
        tg_log(tg, KB_LOG_WARN, "telegram: stored offset unreadable; starting without");
    if (tg->webhook && (rc = webhook_open(tg)) != 0)
        return rc;
    tg->started = 1;
    tg->step = STEP_GETME;
    run_step(tg);
    return 0;
}

static void tg_stop(struct adapter *a)
{
    struct tg *tg = a->priv;
    if (tg->stopped)
        return;
    tg->stopped = 1;
    if (tg->timer > 0)
        tg->svc->timer_cancel(tg->svc->ctx, tg->timer);
    tg->timer = 0;
    webhook_drop_waiting(tg);
    /* sends waiting for a retry timer are reported now (done exactly once) */
    struct tg_send *s = tg->sends;
    while (s) {
        struct tg_send *next = s->next;
        if (s->timer > 0 && !s->req) {
            tg->svc->timer_cancel(tg->svc->ctx, s->timer);
            s->timer = 0;
            send_fail_later_part(s, "stopped");
        }
        s = next;
    }
}

static void tg_destroy(struct adapter *a)
{
    if (!a)
        return;
    struct tg *tg = a->priv;
    tg_stop(a);
    /* records still in flight become orphans their done callback frees */
    for (struct tg_req *q = tg->reqs; q;) {
        struct tg_req *next = q->next;
        q->tg = NULL;
        q->send = NULL;
        q->prev = q->next = NULL;
        q = next;
    }
    while (tg->sends) {
        struct tg_send *s = tg->sends;
        send_unlink(tg, s);
        send_free(s);
    }
    batch_free(tg);
    for (size_t i = 0; i < tg->nadmins; i++)
        free(tg->admins[i].ids);
    free(tg->admins);
    free(tg->token);
    free(tg->api_base);
    free(tg->method_url);
    free(tg->webhook_url);
    free(tg->webhook_path);
    free(tg->http_listen);
    free(tg);
}

/* ==== files: getFile, then the file itself ============================ */

struct tg_fetch {
    struct tg_req q;           /* first: the requests' ud */
    kb_file_done_fn done;
    void *ud;
    size_t max;
};

static void fetch_finish(struct tg_fetch *f, int status, const char *data, size_t len)
{
    f->done(f->ud, status, data, len);
    free(f);
}

static void file_done(void *ud, const struct kb_http_response *resp)
{
    struct tg_fetch *f = ud;
    req_unlink(f->q.tg, &f->q);
    int ok = f->q.tg && resp->outcome == KB_HTTP_DONE && resp->status == 200;
    fetch_finish(f, ok ? 0 : KB_ETRANSPORT, ok ? resp->body : NULL, ok ? resp->body_len : 0);
}

static void get_file_done(void *ud, const struct kb_http_response *resp)
{
    struct tg_fetch *f = ud;
    struct tg *tg = f->q.tg;
    req_unlink(tg, &f->q);
    if (!tg || tg->stopped || resp->outcome != KB_HTTP_DONE) {
        fetch_finish(f, KB_ETRANSPORT, NULL, 0);
        return;
    }
    struct tg_envelope env;
    char path[512];
    int rc = tg_envelope_parse(resp->body, resp->body_len, &env);
    if (rc == 0 && !env.ok)
        rc = env.error_code == 400 ? KB_ENOTFOUND : KB_ETRANSPORT; /* "invalid file_id" */
    else if (rc == 0)
        rc = tg_parse_file(env.result, f->max, path, sizeof path);
    tg_envelope_free(&env);
    if (rc) {
        fetch_finish(f, rc == KB_EPARSE ? KB_ETRANSPORT : rc, NULL, 0);
        return;
    }
    size_t ul = strlen(tg->api_base) + strlen(tg->token) + strlen(path) + 16;
    char *url = malloc(ul);
    if (!url) {
        fetch_finish(f, KB_ETRANSPORT, NULL, 0);
        return;
    }
    snprintf(url, ul, "%s/file/bot%s/%s", tg->api_base, tg->token, path);
    struct kb_http_request req = {.method = "GET", .url = url, .log_name = "file download",
                                  .timeout_ms = 60000, .max_response = f->max};
    req_link(tg, &f->q);
    rc = tg->svc->http(tg->svc->ctx, &req, file_done, f);
    free(url);
    if (rc < 0) {
        req_unlink(tg, &f->q);
        fetch_finish(f, KB_ETRANSPORT, NULL, 0);
    }
}

static int tg_fetch_file(struct adapter *a, const char *ref, size_t max, kb_file_done_fn done,
                         void *ud)
{
    struct tg *tg = a->priv;
    if (tg->stopped || tg->fatal)
        return KB_ESHUTDOWN;
    cJSON *o = cJSON_CreateObject();
    char *body = o && cJSON_AddStringToObject(o, "file_id", ref) ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    struct tg_fetch *f = calloc(1, sizeof *f);
    if (!f) {
        free(body);
        return KB_ENOMEM;
    }
    f->q.kind = RQ_FILE;
    f->done = done;
    f->ud = ud;
    f->max = max;
    int rc = start_req(tg, "getFile", body, 30000, get_file_done, &f->q);
    if (rc)
        free(f);
    return rc;
}

static const struct adapter_ops tg_ops = {
    .name = "telegram",
    .platform = "tg",
    .start = tg_start,
    .stop = tg_stop,
    .send = tg_send_op,
    .destroy = tg_destroy,
    .fetch_file = tg_fetch_file,
};

/* Webhook mode's settings: the public URL, its path on our listener. */
static int webhook_config(struct tg *tg, const struct tg_options *o)
{
    const char *url = o->webhook_url, *host = url ? strstr(url, "://") : NULL;
    if (!host || !o->http_listen || !*o->http_listen || !tg->svc->http_serve ||
        !tg->svc->http_answer) {
        tg_log(tg, KB_LOG_ERROR, "telegram: webhook mode needs telegram.webhook_url "
               "and http.listen");
        return KB_EINVAL;
    }
    const char *path = strchr(host + 3, '/');
    tg->webhook_url = strdup(url);
    tg->webhook_path = strndup(path ? path : "/", path ? strcspn(path, "?#") : 1);
    tg->http_listen = strdup(o->http_listen);
    return tg->webhook_url && tg->webhook_path && tg->http_listen ? 0 : KB_ENOMEM;
}

/*
 * Create the adapter.  The options' strings are copied; svc is borrowed and
 * must outlive the adapter.  Returns 0 with *out, KB_EINVAL (no token, a
 * token with characters that do not belong in a URL path, missing services)
 * or KB_ENOMEM.
 */
int tg_adapter_new(const struct tg_options *o, const struct adapter_services *svc,
                   struct adapter **out)
{
    *out = NULL;
    if (!o || !svc || !o->token || !*o->token || !svc->http || !svc->timer_start ||
        !svc->timer_cancel || !svc->deliver || !svc->now_ms)
        return KB_EINVAL;
    for (const char *p = o->token; *p; p++)
        if (*p <= ' ' || *p == '/' || *p == '?' || *p == '#' || *p == '%' || *p == 0x7f)
            return KB_EINVAL;
    struct tg *tg = calloc(1, sizeof *tg);
    if (!tg)
        return KB_ENOMEM;
    const char *base = o->api_base && *o->api_base ? o->api_base
                                                   : "https://api.telegram.org";
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/')
        bl--;
    tg->token = strdup(o->token);
    tg->api_base = strndup(base, bl);
    tg->method_url_len = bl + strlen(o->token) + 5;
    tg->method_url = malloc(tg->method_url_len + 1);
    if (!tg->token || !tg->api_base || !tg->method_url) {
        free(tg->token);
        free(tg->api_base);
        free(tg->method_url);
        free(tg);
        return KB_ENOMEM;
    }
    snprintf(tg->method_url, tg->method_url_len + 1, "%s/bot%s/", tg->api_base, tg->token);
    tg->svc = svc;
    tg->base.priv = tg;
    tg->webhook = o->mode && strcmp(o->mode, "webhook") == 0;
    if (tg->webhook && webhook_config(tg, o) != 0) {
        tg_destroy(&tg->base);
        return KB_EINVAL;
    }
    tg->poll_timeout_s = o->poll_timeout_s > 0 ? o->poll_timeout_s : 25;
    tg->request_ms = o->request_timeout_s > 0 ? o->request_timeout_s * 1000L : TG_CONTROL_TIMEOUT_MS;
    tg->conflict_ms = o->conflict_wait_s > 0 ? o->conflict_wait_s * 1000L : TG_CONFLICT_MS;
    tg->backoff_max_ms = o->backoff_max_s > 0 ? o->backoff_max_s * 1000L : TG_BACKOFF_MAX_MS;
    tg->admin_cache_s = o->admin_cache_s > 0 ? o->admin_cache_s : 300;
    tg->admins_are_operators = o->admins_are_operators;
    tg->menus = o->menus;
    tg->n_menus = o->n_menus;
    tg->backoff_ms = TG_BACKOFF_MIN_MS;
    tg->rng = (uint64_t)svc->now_ms(svc->ctx) ^ (uint64_t)(uintptr_t)tg ^
              0x9E3779B97F4A7C15ULL;
    if (!tg->rng)
        tg->rng = 1;
    tg->base.ops = &tg_ops;
    tg->base.svc = svc;
    tg->base.max_text = TG_MAX_TEXT;
    tg->base.priv = tg;
    *out = &tg->base;
    return 0;
}

/* ==== the registry row ================================================= */

/* "<bot id>:<secret>"; the message never quotes the value */
static int check_token(const char *s, char *why, size_t cap)
{
    size_t nd = strspn(s, "0123456789");
    const char *rest = s + nd;
    int ok = nd > 0 && *rest == ':' && rest[1] != '\0' &&
             rest[1 + strspn(rest + 1, "abcdefghijklmnopqrstuvwxyz"
                                       "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "0123456789_-")] == '\0';
    if (!ok) {
        snprintf(why, cap, "does not look like a Telegram bot token (expected "
                 "<digits>:<secret>, as BotFather prints it, without "
                 "\"bot\" or quotes)");
        return -1;
    }
    return 0;
}

/* Telegram user ids are numbers (negative for a chat's anonymous admin) */
static int check_user_id(const char *id)
{
    const char *p = id;
    if (*p == '-')
        p++;
    size_t nd = strspn(p, "0123456789");
    return nd == 0 || nd > 19 || p[nd] != '\0' ? -1 : 0;
}

static int check_mode(const char *s, char *why, size_t cap)
{
    if (strcmp(s, "polling") && strcmp(s, "webhook")) {
        snprintf(why, cap, "must be \"polling\" or \"webhook\"");
        return -1;
    }
    return 0;
}

static int tg_create(const void *opts, const struct adapter_host *host,
                     const struct adapter_services *svc, struct adapter **out)
{
    struct tg_options o = *(const struct tg_options *)opts;
    o.admins_are_operators = host->admins_are_operators;
    o.menus = host->menus;
    o.n_menus = host->n_menus;
    o.http_listen = host->http_listen;
    return tg_adapter_new(&o, svc, out);
}

#define TG_OFF(f) offsetof(struct tg_options, f)

static const struct adapter_key tg_keys[] = {
    {.name = "token", .type = ADAPTER_KEY_STR, .off = TG_OFF(token), .max_len = 256,
     .flags = ADAPTER_KEY_SECRET | ADAPTER_KEY_REQUIRED, .env = "KOCBOT_TELEGRAM_TOKEN",
     .check = check_token},
    {.name = "api_base", .type = ADAPTER_KEY_STR, .off = TG_OFF(api_base), .max_len = 512,
     .dstr = "https://api.telegram.org", .flags = ADAPTER_KEY_URL, .env = "KOCBOT_TELEGRAM_API"},
    {.name = "poll_timeout_s", .type = ADAPTER_KEY_INT, .off = TG_OFF(poll_timeout_s),
     .min = 1, .max = 50, .dnum = 25},
    {.name = "admin_cache_s", .type = ADAPTER_KEY_INT, .off = TG_OFF(admin_cache_s),
     .min = 0, .max = 86400, .dnum = 300},
    {.name = "request_timeout_s", .type = ADAPTER_KEY_INT, .off = TG_OFF(request_timeout_s),
     .min = 1, .max = 300, .dnum = 30},
    {.name = "conflict_wait_s", .type = ADAPTER_KEY_INT, .off = TG_OFF(conflict_wait_s),
     .min = 1, .max = 3600, .dnum = 30},
    {.name = "backoff_max_s", .type = ADAPTER_KEY_INT, .off = TG_OFF(backoff_max_s),
     .min = 1, .max = 3600, .dnum = 60},
    {.name = "mode", .type = ADAPTER_KEY_STR, .off = TG_OFF(mode), .max_len = 16,
     .dstr = "polling", .env = "KOCBOT_TELEGRAM_MODE", .check = check_mode},
    {.name = "webhook_url", .type = ADAPTER_KEY_STR, .off = TG_OFF(webhook_url), .max_len = 512,
     .flags = ADAPTER_KEY_URL | ADAPTER_KEY_OPTIONAL, .env = "KOCBOT_TELEGRAM_WEBHOOK_URL"},
};

const struct adapter_kind tg_adapter_kind = {
    .name = "telegram",
    .platform = "tg",
    .section = "telegram",
    .keys = tg_keys,
    .n_keys = sizeof tg_keys / sizeof tg_keys[0],
    .options_size = sizeof(struct tg_options),
    .caps = {.max_text = TG_MAX_TEXT, .paced = 1, .buttons = 1, .edits = 1, .reactions = 1,
             .topics = 1, .direct_messages = 1, .sender_role = 1},
    .check_user_id = check_user_id,
    .user_id_rule = "Telegram user ids are numbers, not @names",
    .create = tg_create,
};
