/* The process wiring and its ordered shutdown; see app.h. */
#include "app.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "../adapters/registry.h"
#include "../core/engine.h"
#include "../core/menu.h"
#include "../core/util.h"
#include "clock.h"
#include "http.h"
#include "lines.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"
#include "secrets.h"
#include "webconsole.h"
#include "ws.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#define SCHED_RETRY_MS 5000     /* after a failed tick (disk full, …) */
#define SCHED_CAP_MS 60000      /* re-arm at least every minute: survives clock jumps */
#define RESTART_MIN_MS 5000     /* a failed adapter is started again after this, */
#define RESTART_MAX_MS 300000   /* doubling up to this */

#define MAX_LISTENERS 4

struct slot;

/* A WebSocket handed to an adapter: its id, and the adapter's callbacks. */
struct app_ws {
    int64_t id;
    struct ws_conn *conn;
    struct slot *owner;
    kb_ws_open_fn open;
    kb_ws_message_fn message;
    kb_ws_closed_fn closed;
    void *ud;
    struct app_ws *next;
};

struct app_timer {
    uv_timer_t handle;
    int64_t id;
    struct slot *owner;
    kb_timer_fn fire;
    void *ud;
    struct app_timer *next;
};

enum slot_state {
    SLOT_RUNNING = 0,
    SLOT_FINISHED,                /* its input ended: stops once its replies are out */
    SLOT_DOWN,                    /* failed (bad token …): started again later */
    SLOT_STOPPED
};

/* One adapter with its own services, HTTP client, sender and pacing. */
struct slot {
    struct app *app;
    const struct adapter_kind *kind;
    struct adapter *adapter;
    struct adapter_services svc;
    struct http_client *http;
    struct sender *sender;
    struct line_reader *input;
    uv_timer_t restart;
    uint64_t restart_ms;
    enum slot_state state;
    int exit_code;                /* SLOT_DOWN: what the process exits with when alone */
    int drain_ticks;              /* ticks run while draining at end of input */
};

struct app {
    const struct kb_config *cfg;
    uv_loop_t loop;
    struct engine *engine;
    struct slot slots[ADAPTER_MAX_KINDS];
    size_t n_slots;
    struct kb_menu menus[2];      /* the command menu, "en" and "zh-CN" */
    uv_timer_t sched;
    uv_signal_t sigint, sigterm;
    /* timers handed to the adapters */
    struct app_timer *timers;
    int64_t next_timer_id;
    struct app_ws *sockets;
    struct http_listener *listeners[MAX_LISTENERS];
    struct metrics *metrics;
    struct webconsole *console;   /* the operator web console, when configured */
    int stopping;
    int exit_code;
};

static void app_stop(struct app *a, int exit_code);
static void kick_all(struct app *a);

/* ==== services for the adapter ========================================== */

static int64_t svc_now_ms(void *ctx)
{
    (void)ctx;
    return clock_now_ms();
}

static int svc_http(void *ctx, const struct kb_http_request *req, kb_http_done_fn done, void *ud)
{
    struct slot *sl = ctx;
    if (sl->app->stopping || sl->state != SLOT_RUNNING || !sl->http)
        return KB_ESHUTDOWN;
    return http_request_start(sl->http, req, done, ud);
}

static void timer_closed(uv_handle_t *h)
{
    free(h->data);
}

static void timer_unlink(struct app *a, struct app_timer *t)
{
    for (struct app_timer **p = &a->timers; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            return;
        }
    }
}

static void timer_fired(uv_timer_t *h)
{
    struct app_timer *t = h->data;
    struct app *a = h->loop->data;
    timer_unlink(a, t);
    kb_timer_fn fire = t->fire;
    void *ud = t->ud;
    uv_close((uv_handle_t *)h, timer_closed);
    fire(ud);
}

static int64_t svc_timer_start(void *ctx, uint64_t ms, kb_timer_fn fire, void *ud)
{
    struct slot *sl = ctx;
    struct app *a = sl->app;
    if (a->stopping)
        return KB_ESHUTDOWN;
    struct app_timer *t = xcalloc(1, sizeof *t);
    t->id = ++a->next_timer_id;
    t->owner = sl;
    t->fire = fire;
    t->ud = ud;
    uv_timer_init(&a->loop, &t->handle);
    t->handle.data = t;
    uv_timer_start(&t->handle, timer_fired, ms, 0);
    t->next = a->timers;
    a->timers = t;
    return t->id;
}

static void svc_timer_cancel(void *ctx, int64_t id)
{
    struct app *a = ((struct slot *)ctx)->app;
    for (struct app_timer *t = a->timers; t; t = t->next) {
        if (t->id == id) {
            timer_unlink(a, t);
            uv_close((uv_handle_t *)&t->handle, timer_closed);
            return;
        }
    }
}

static struct app_ws *ws_unlink(struct app *a, int64_t id)
{
    for (struct app_ws **p = &a->sockets; *p; p = &(*p)->next) {
        if ((*p)->id == id) {
            struct app_ws *w = *p;
            *p = w->next;
            return w;
        }
    }
    return NULL;
}

static void ws_opened(void *ud)
{
    struct app_ws *w = ud;
    w->open(w->ud);
}

static void ws_message(void *ud, const char *data, size_t len)
{
    struct app_ws *w = ud;
    w->message(w->ud, data, len);
}

static void ws_closed(void *ud, const char *why)
{
    struct app_ws *w = ud;
    ws_unlink(w->owner->app, w->id);
    kb_ws_closed_fn closed = w->closed;
    void *cud = w->ud;
    free(w);
    closed(cud, why);
}

static int64_t svc_ws_open(void *ctx, const char *url, const char *bearer, kb_ws_open_fn open,
                           kb_ws_message_fn message, kb_ws_closed_fn closed, void *ud)
{
    struct slot *sl = ctx;
    struct app *a = sl->app;
    if (a->stopping || sl->state != SLOT_RUNNING)
        return KB_ESHUTDOWN;
    struct app_ws *w = xcalloc(1, sizeof *w);
    *w = (struct app_ws){.id = ++a->next_timer_id, .owner = sl, .open = open,
                         .message = message, .closed = closed, .ud = ud};
    char err[160];
    w->conn = ws_connect(&a->loop, url, bearer, ws_opened, ws_message, ws_closed, w, err,
                         sizeof err);
    if (!w->conn) {
        log_error(sl->kind->name, "WebSocket: %s", err);
        free(w);
        return KB_EINVAL;
    }
    w->next = a->sockets;
    a->sockets = w;
    return w->id;
}

static void svc_ws_close(void *ctx, int64_t id)
{
    struct app_ws *w = ws_unlink(((struct slot *)ctx)->app, id);
    if (w) {
        ws_close(w->conn);
        free(w);
    }
}

/* The listener on addr, opened on first use (one per address). */
static struct http_listener *listener_for(struct app *a, const char *addr, const char *who)
{
    int free_at = -1;
    for (int i = 0; i < MAX_LISTENERS; i++) {
        if (!a->listeners[i]) {
            if (free_at < 0)
                free_at = i;
        } else if (!strcmp(listener_addr(a->listeners[i]), addr)) {
            return a->listeners[i];
        }
    }
    if (free_at < 0)
        return NULL;
    char err[160];
    if (listener_open(&a->loop, addr, &a->listeners[free_at], err, sizeof err)) {
        log_error(who, "HTTP listener: %s", err);
        return NULL;
    }
    log_info(who, "listening on http://%s", addr);
    return a->listeners[free_at];
}

static int svc_http_serve(void *ctx, const char *addr, const char *path, kb_serve_fn serve,
                          void *ud)
{
    struct slot *sl = ctx;
    struct http_listener *l = listener_for(sl->app, addr, sl->kind->name);
    return l ? listener_route(l, path, serve, ud, sl) : KB_ETRANSPORT;
}

static void svc_http_answer(void *ctx, int64_t ticket, int status)
{
    struct app *a = ((struct slot *)ctx)->app;
    for (int i = 0; i < MAX_LISTENERS; i++)
        if (a->listeners[i] && listener_answer(a->listeners[i], ticket, status) == KB_OK)
            return;
}

static int svc_random_bytes(void *ctx, void *buf, size_t n)
{
    (void)ctx;
    return n <= INT32_MAX && RAND_bytes(buf, (int)n) == 1 ? KB_OK : KB_EINVAL;
}

static int svc_hmac_sha1(void *ctx, const void *key, size_t key_len, const void *data,
                         size_t len, unsigned char out[20])
{
    (void)ctx;
    unsigned olen = 0;
    if (key_len > INT32_MAX ||
        !HMAC(EVP_sha1(), key, (int)key_len, data, len, out, &olen) || olen != 20)
        return KB_EINVAL;
    return KB_OK;
}

/* Close the slot's sockets and paths (a listener nobody uses any more too). */
static void slot_release_network(struct slot *sl)
{
    struct app *a = sl->app;
    for (struct app_ws **p = &a->sockets; *p;) {
        struct app_ws *w = *p;
        if (w->owner != sl) {
            p = &w->next;
            continue;
        }
        *p = w->next;
        ws_close(w->conn);
        free(w);
    }
    for (int i = 0; i < MAX_LISTENERS; i++) {
        if (a->listeners[i] && listener_unroute(a->listeners[i], sl) == 0) {
            listener_close(a->listeners[i]);
            a->listeners[i] = NULL;
        }
    }
}

static void arm_scheduler(struct app *a);

/* A transaction committed: its time, and where its replies start. */
static void note_commit(struct app *a, uint64_t t0_ns, int64_t received_ms)
{
    metrics_commit(a->metrics, (int64_t)((uv_hrtime() - t0_ns) / 1000), clock_real_ms(),
                   engine_outbox_last_id(a->engine), received_ms);
}

static int svc_deliver(void *ctx, const struct kb_event *ev, size_t n, const char *key, const char *value)
{
    struct slot *sl = ctx;
    struct app *a = sl->app;
    int64_t received_ms = clock_real_ms();
    uint64_t t0 = uv_hrtime();
    int rc = engine_apply(a->engine, ev, n, key, value, clock_now_ms() / 1000);
    if (rc) {
        log_error("engine", "batch of %zu not applied (%s): %s", n, kb_strerror(rc),
                  engine_errmsg(a->engine));
        return rc;
    }
    note_commit(a, t0, received_ms);
    metrics_updates(a->metrics, (size_t)(sl - a->slots), ev, n);
    kick_all(a); /* a community may span platforms: replies may be for any adapter */
    arm_scheduler(a); /* new polls or tasks may be due sooner */
    return KB_OK;
}

static int svc_cursor_load(void *ctx, const char *key, char *buf, size_t cap)
{
    struct slot *sl = ctx;
    return engine_cursor_load(sl->app->engine, key, buf, cap);
}

static int svc_stdin_lines(void *ctx, kb_line_fn line, kb_input_end_fn end, void *ud)
{
    struct slot *sl = ctx;
    if (sl->input)
        return KB_EINVAL; /* one reader per adapter */
    sl->input = line_reader_start(&sl->app->loop, 0, line, end, ud);
    return sl->input ? KB_OK : KB_ETRANSPORT;
}

static int svc_secret_load(void *ctx, const char *key, char *buf, size_t cap)
{
    struct slot *sl = ctx;
    return secret_load(sl->app->cfg->engine.db_path, key, buf, cap);
}

static int svc_secret_save(void *ctx, const char *key, const char *value)
{
    struct slot *sl = ctx;
    return secret_save(sl->app->cfg->engine.db_path, key, value);
}

static void svc_stdout_write(void *ctx, const char *text, size_t len)
{
    (void)ctx;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
}

static void svc_finished(void *ctx)
{
    struct slot *sl = ctx;
    if (sl->state != SLOT_RUNNING)
        return;
    sl->state = SLOT_FINISHED;
    sender_kick(sl->sender); /* once its outbox is empty, drained() stops it */
}

static void svc_log(void *ctx, enum kb_log_level level, const char *msg)
{
    struct slot *sl = ctx;
    LOG_AT(level, sl->kind->name, "%s", msg);
}

static void slot_halt(struct slot *sl);
static void check_alive(struct app *a);
static void restart_fired(uv_timer_t *h);

/* One adapter failed: the others keep serving; it is started again later. */
static void svc_fatal(void *ctx, int exit_code, const char *msg)
{
    struct slot *sl = ctx;
    struct app *a = sl->app;
    if (sl->state == SLOT_DOWN || sl->state == SLOT_STOPPED)
        return;
    log_error(sl->kind->name, "%s", msg);
    slot_halt(sl);
    sl->state = SLOT_DOWN;
    sl->exit_code = exit_code;
    sl->restart_ms = sl->restart_ms ? sl->restart_ms * 2 : RESTART_MIN_MS;
    if (sl->restart_ms > RESTART_MAX_MS)
        sl->restart_ms = RESTART_MAX_MS;
    check_alive(a);
    if (!a->stopping) {
        log_warn(sl->kind->name, "adapter stopped; the others keep serving; retrying in %llu s",
                 (unsigned long long)(sl->restart_ms / 1000));
        uv_timer_start(&sl->restart, restart_fired, sl->restart_ms, 0);
    }
}

static void engine_logger(void *ud, int level, const char *msg)
{
    (void)ud;
    LOG_AT((enum kb_log_level)level, "engine", "%s", msg);
}

/* ==== scheduler ========================================================= */

static void sched_fire(uv_timer_t *h)
{
    struct app *a = h->data;
    if (a->stopping)
        return;
    uint64_t t0 = uv_hrtime();
    int rc = engine_tick(a->engine, clock_now_ms() / 1000);
    if (!rc)
        note_commit(a, t0, -1);
    if (rc) {
        /* the post is still due: wait before trying again rather than spin */
        log_error("sched", "tick failed (%s): %s", kb_strerror(rc), engine_errmsg(a->engine));
        uv_timer_start(&a->sched, sched_fire, SCHED_RETRY_MS, 0);
        return;
    }
    kick_all(a);
    arm_scheduler(a);
}

/* A sent message may be one the engine waits for (a poll's live edit owed
   before its message id was known): look again at what is due. */
static void on_sent(void *ud)
{
    arm_scheduler(ud);
}

static void arm_scheduler(struct app *a)
{
    if (a->stopping)
        return;
    int64_t now_ms = clock_now_ms();
    int64_t due = engine_next_due(a->engine, now_ms / 1000);
    uint64_t delay = SCHED_CAP_MS;
    if (due >= 0) {
        uint64_t d = clock_real_delay_ms(due * 1000);
        if (d < delay)
            delay = d;
    }
    uv_timer_start(&a->sched, sched_fire, delay, 0);
}

/* ==== adapters: draining, stopping, restarting ========================= */

static void kick_all(struct app *a)
{
    for (size_t i = 0; i < a->n_slots; i++)
        if (a->slots[i].sender)
            sender_kick(a->slots[i].sender);
}

/* Stop receiving: the adapter, its timers, its requests, its input. */
static void slot_halt(struct slot *sl)
{
    struct app *a = sl->app;
    if (sl->adapter)
        sl->adapter->ops->stop(sl->adapter);
    for (struct app_timer **p = &a->timers; *p;) {
        struct app_timer *t = *p;
        if (t->owner != sl) {
            p = &t->next;
            continue;
        }
        *p = t->next;
        uv_close((uv_handle_t *)&t->handle, timer_closed);
    }
    if (sl->http)
        http_cancel_all(sl->http);
    slot_release_network(sl);
    line_reader_close(sl->input);
    sl->input = NULL;
}

/* No adapter left serving: the process ends (with a failed adapter's code). */
static void check_alive(struct app *a)
{
    int code = 0;
    for (size_t i = 0; i < a->n_slots; i++) {
        if (a->slots[i].state == SLOT_RUNNING || a->slots[i].state == SLOT_FINISHED)
            return;
        if (a->slots[i].state == SLOT_DOWN && !code)
            code = a->slots[i].exit_code;
    }
    app_stop(a, code);
}

/* A slot's outbox is empty.  After the end of its input, stop it — but
   first let work that is already due (a closed poll's final edit) take its
   turn; the cap keeps a tick that cannot make progress from holding the exit. */
static void drained(void *ud)
{
    struct slot *sl = ud;
    struct app *a = sl->app;
    if (sl->state != SLOT_FINISHED || a->stopping)
        return;
    int64_t now = clock_now_ms() / 1000;
    int64_t due = engine_next_due(a->engine, now);
    if (due >= 0 && due <= now && sl->drain_ticks++ < 10) {
        sched_fire(&a->sched);
        return;
    }
    slot_halt(sl);
    sl->state = SLOT_STOPPED;
    check_alive(a);
}

static int slot_start(struct slot *sl);

static void restart_fired(uv_timer_t *h)
{
    struct slot *sl = h->data;
    if (sl->app->stopping || sl->state != SLOT_DOWN)
        return;
    sender_close(sl->sender);
    sl->sender = NULL;
    sl->adapter->ops->destroy(sl->adapter);
    sl->adapter = NULL;
    log_info(sl->kind->name, "starting the adapter again");
    sl->state = SLOT_RUNNING;
    if (slot_start(sl))
        svc_fatal(sl, 70, "the adapter failed to start");
}

/* ==== signals and shutdown ============================================== */

static void stop_signals_mask(int how)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(how, &set, NULL);
}

void app_hold_stop_signals(void)
{
    stop_signals_mask(SIG_BLOCK);
}

static void on_signal(uv_signal_t *h, int signum)
{
    struct app *a = h->data;
    log_info("bot", "signal %d: shutting down", signum);
    app_stop(a, 0);
}

static void close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void app_stop(struct app *a, int exit_code)
{
    if (a->stopping)
        return;
    a->stopping = 1;
    a->exit_code = exit_code;
    for (size_t i = 0; i < a->n_slots; i++) {
        slot_halt(&a->slots[i]);
        uv_timer_stop(&a->slots[i].restart);
    }
    for (int i = 0; i < MAX_LISTENERS; i++) { /* the process's own paths hold them open */
        listener_close(a->listeners[i]);
        a->listeners[i] = NULL;
    }
    uv_timer_stop(&a->sched);
    uv_signal_stop(&a->sigint);
    uv_signal_stop(&a->sigterm);
    uv_stop(&a->loop);
}

static void shutdown_loop(struct app *a)
{
    /* in order: senders and curl while the loop lives, then every handle */
    for (size_t i = 0; i < a->n_slots; i++) {
        struct slot *sl = &a->slots[i];
        sender_close(sl->sender);
        sl->sender = NULL;
        http_client_free(sl->http);
        sl->http = NULL;
    }
    uv_walk(&a->loop, close_walk, NULL);
    for (int i = 0; i < 100 && uv_run(&a->loop, UV_RUN_DEFAULT) != 0; i++)
        ;
    if (uv_loop_close(&a->loop) != 0)
        log_error("bot", "event loop closed with handles still open");
}

/* ==== health and metrics (GET /healthz, GET /metrics) =================== */

static const char *const slot_state_names[] = {"running", "finished", "down", "stopped"};

static int slot_up(const struct slot *sl)
{
    return sl->state == SLOT_RUNNING || sl->state == SLOT_FINISHED;
}

/* 200 while every adapter serves, 503 otherwise; the body says which. */
static int serve_healthz(void *ud, const struct kb_http_incoming *req, struct kb_http_body *out)
{
    struct app *a = ud;
    if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD"))
        return 405;
    int all_up = 1;
    struct sbuf b = {0};
    sbuf_add(&b, "{\"adapters\":[");
    for (size_t i = 0; i < a->n_slots; i++) {
        const struct slot *sl = &a->slots[i];
        all_up &= slot_up(sl);
        sbuf_addf(&b, "%s{\"name\":\"%s\",\"state\":\"%s\",\"outbox_depth\":%lld}",
                  i ? "," : "", sl->kind->name, slot_state_names[sl->state],
                  (long long)engine_outbox_pending(a->engine, sl->kind->platform));
    }
    int64_t last = metrics_last_commit_ms(a->metrics);
    if (last < 0)
        sbuf_add(&b, "],\"last_commit_age_s\":null");
    else
        sbuf_addf(&b, "],\"last_commit_age_s\":%.3f", (double)(clock_real_ms() - last) / 1e3);
    sbuf_addf(&b, ",\"status\":\"%s\"}\n", all_up ? "ok" : "degraded");
    out->len = b.len;
    out->data = sbuf_take(&b);
    out->content_type = "application/json";
    return all_up ? 200 : 503;
}

static int serve_metrics(void *ud, const struct kb_http_incoming *req, struct kb_http_body *out)
{
    struct app *a = ud;
    if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD"))
        return 405;
    int64_t depth[ADAPTER_MAX_KINDS];
    int up[ADAPTER_MAX_KINDS];
    for (size_t i = 0; i < a->n_slots; i++) {
        depth[i] = engine_outbox_pending(a->engine, a->slots[i].kind->platform);
        up[i] = slot_up(&a->slots[i]);
    }
    struct sbuf b = {0};
    metrics_render(a->metrics, depth, up, &b);
    out->len = b.len;
    out->data = sbuf_take(&b);
    out->content_type = "text/plain; version=0.0.4; charset=utf-8";
    return 200;
}

/* A console action: one event, applied as a chat's would be. */
static int console_apply(void *ud, const struct kb_event *ev)
{
    struct app *a = ud;
    uint64_t t0 = uv_hrtime();
    int rc = engine_apply(a->engine, ev, 1, NULL, NULL, clock_now_ms() / 1000);
    if (rc) {
        log_error("console", "action not applied (%s): %s", kb_strerror(rc),
                  engine_errmsg(a->engine));
        return rc;
    }
    note_commit(a, t0, clock_real_ms());
    kick_all(a);
    arm_scheduler(a);
    return KB_OK;
}

/* An attachment for the console, through the adapter of its platform. */
static int console_fetch(void *ud, const char *platform, const char *ref, size_t max,
                         kb_file_done_fn done, void *done_ud)
{
    struct app *a = ud;
    for (size_t i = 0; i < a->n_slots; i++) {
        struct slot *sl = &a->slots[i];
        if (!strcmp(sl->kind->platform, platform) && sl->adapter && slot_up(sl) &&
            sl->adapter->ops->fetch_file)
            return sl->adapter->ops->fetch_file(sl->adapter, ref, max, done, done_ud);
    }
    return KB_ENOTFOUND;
}

/* The process's own paths on the configured listener (http.listen):
   health, metrics, and the console when it has a public URL. */
static int open_status_routes(struct app *a)
{
    const char *addr = a->cfg->http.listen;
    if (!addr || !*addr)
        return 0;
    struct http_listener *l = listener_for(a, addr, "bot");
    if (!l || listener_route(l, "/healthz", serve_healthz, a, a) ||
        listener_route(l, "/metrics", serve_metrics, a, a))
        return 70;
    if (a->cfg->engine.console_url) {
        struct webconsole_services svc = {.ud = a, .apply = console_apply, .fetch = console_fetch};
        char files[PATH_MAX];
        snprintf(files, sizeof files, "%s-console-files", a->cfg->engine.db_path);
        a->console = webconsole_new(a->engine, a->cfg->engine.locale, files, &svc);
        if (webconsole_route(a->console, l))
            return 70;
        log_info("bot", "operator console on %s/console/ (sign in with /console)",
                 a->cfg->engine.console_url);
    }
    return 0;
}

/* ==== start ============================================================= */

/* Create the slot's adapter and sender and start receiving. */
static int slot_start(struct slot *sl)
{
    struct app *a = sl->app;
    const struct kb_config *c = a->cfg;
    struct adapter_host host = {.bot_name = c->engine.bot_name,
                                .admins_are_operators = c->engine.admins_are_operators,
                                .menus = a->menus, .n_menus = 2,
                                .http_listen = c->http.listen};
    if (sl->kind->create(cfg_adapter_options(c, sl->kind), &host, &sl->svc, &sl->adapter)) {
        log_error(sl->kind->name, "cannot create the adapter");
        return 70;
    }
    int paced = sl->kind->caps.paced;
    struct sender_limits lim = {
        .enabled = paced ? c->limits.enabled : 0, .per_chat_per_s = c->limits.per_chat_per_s,
        .per_group_per_min = c->limits.per_group_per_min, .global_per_s = c->limits.global_per_s,
        .coalesce = paced ? c->limits.coalesce : 0,
        .bulk_at_most_once = !sl->kind->caps.idempotent_sends,
        .max_in_flight = c->max_connections};
    if (sl->adapter->pace_chat_gap_ms > 0)
        lim.per_chat_per_s = 1000.0 / sl->adapter->pace_chat_gap_ms;
    if (sl->adapter->pace_per_group_per_min > 0)
        lim.per_group_per_min = sl->adapter->pace_per_group_per_min;
    sl->sender = sender_new(&a->loop, a->engine, sl->adapter, &lim, drained, sl);
    sender_on_sent(sl->sender, on_sent, a);
    sender_set_metrics(sl->sender, a->metrics, (size_t)(sl - a->slots));
    if (sl->adapter->ops->start(sl->adapter)) {
        log_error(sl->kind->name, "the adapter failed to start");
        return 70;
    }
    sender_kick(sl->sender); /* replies left from a previous run */
    return 0;
}

int app_run(const struct kb_config *cfg)
{
    struct app *a = xcalloc(1, sizeof *a);
    a->cfg = cfg;
    clock_init(cfg->fake_now, cfg->fake_speed);
    int code = 0;
    char err[512];
    struct sbuf names = {0};
    /* the signal handlers first: a SIGTERM while the database opens is a
       clean stop (main blocked the signals until now) */
    uv_loop_init(&a->loop);
    a->loop.data = a;
    uv_timer_init(&a->loop, &a->sched);
    a->sched.data = a;
    uv_signal_init(&a->loop, &a->sigint);
    uv_signal_init(&a->loop, &a->sigterm);
    a->sigint.data = a->sigterm.data = a;
    uv_signal_start(&a->sigint, on_signal, SIGINT);
    uv_signal_start(&a->sigterm, on_signal, SIGTERM);
    signal(SIGPIPE, SIG_IGN);
    stop_signals_mask(SIG_UNBLOCK);
    const struct adapter_kind *kinds[ADAPTER_MAX_KINDS];
    size_t n_kinds = cfg_adapters(cfg, kinds);
    struct engine_settings es = cfg->engine;
    for (size_t i = 0; i < n_kinds; i++) /* the core addresses their members directly */
        if (kinds[i]->caps.opens_private && es.n_private_openers < KB_MAX_PRIVATE_OPENERS)
            snprintf(es.private_openers[es.n_private_openers++], sizeof es.private_openers[0], "%s",
                     kinds[i]->platform);
    if (engine_open(&es, &a->engine, err, sizeof err)) {
        log_error("bot", "%s", err);
        code = 1;
        goto out;
    }
    engine_set_log(a->engine, engine_logger, NULL);
    menu_build(&a->menus[0], "en");
    menu_build(&a->menus[1], "zh-CN");
    a->n_slots = n_kinds;
    for (size_t i = 0; i < a->n_slots; i++) {
        struct slot *sl = &a->slots[i];
        sl->app = a;
        sl->kind = kinds[i];
        sl->svc = (struct adapter_services){
            .ctx = sl, .now_ms = svc_now_ms, .http = svc_http, .timer_start = svc_timer_start,
            .timer_cancel = svc_timer_cancel, .deliver = svc_deliver,
            .cursor_load = svc_cursor_load, .stdin_lines = svc_stdin_lines,
            .ws_open = svc_ws_open, .ws_close = svc_ws_close, .http_serve = svc_http_serve,
            .http_answer = svc_http_answer, .random_bytes = svc_random_bytes,
            .hmac_sha1 = svc_hmac_sha1,
            .secret_load = svc_secret_load, .secret_save = svc_secret_save,
            .stdout_write = svc_stdout_write, .finished = svc_finished, .log = svc_log,
            .fatal = svc_fatal};
        uv_timer_init(&a->loop, &sl->restart);
        sl->restart.data = sl;
        if (http_client_new(&a->loop, &sl->http)) {
            log_error("bot", "cannot start the HTTP client");
            code = 70;
            goto out;
        }
        http_client_set_max_connections(sl->http, cfg->max_connections);
        sbuf_addf(&names, "%s%s", i ? ", " : "", sl->kind->name);
    }
    log_info("bot", "kocbot starting: adapter %s, database %s", sbuf_str(&names),
             cfg->engine.db_path);
    const char *metric_names[ADAPTER_MAX_KINDS];
    for (size_t i = 0; i < a->n_slots; i++)
        metric_names[i] = a->slots[i].kind->name;
    a->metrics = metrics_new(metric_names, a->n_slots, cfg->engine.checkin.triggers,
                             cfg->engine.checkin.n_triggers, engine_outbox_last_id(a->engine));
    if ((code = open_status_routes(a)) != 0)
        app_stop(a, code);
    for (size_t i = 0; i < a->n_slots && !a->stopping; i++) {
        if ((code = slot_start(&a->slots[i])) != 0)
            app_stop(a, code);
    }
    if (!a->stopping)
        arm_scheduler(a);
    uv_run(&a->loop, UV_RUN_DEFAULT);
    app_stop(a, a->exit_code);
    code = a->exit_code;
out:
    sbuf_free(&names);
    shutdown_loop(a);
    for (size_t i = 0; i < a->n_slots; i++)
        if (a->slots[i].adapter)
            a->slots[i].adapter->ops->destroy(a->slots[i].adapter);
    engine_close(a->engine);
    metrics_free(a->metrics);
    webconsole_free(a->console);
    menu_free(&a->menus[0]);
    menu_free(&a->menus[1]);
    free(a);
    return code;
}
