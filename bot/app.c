/* The process wiring and its ordered shutdown; see app.h. */
#include "app.h"

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
#include "log.h"
#include "outbox.h"

#define SCHED_RETRY_MS 5000     /* after a failed tick (disk full, …) */
#define SCHED_CAP_MS 60000      /* re-arm at least every minute: survives clock jumps */
#define RESTART_MIN_MS 5000     /* a failed adapter is started again after this, */
#define RESTART_MAX_MS 300000   /* doubling up to this */

struct slot;

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

static void arm_scheduler(struct app *a);

static int svc_deliver(void *ctx, const struct kb_event *ev, size_t n, const char *key, const char *value)
{
    struct app *a = ((struct slot *)ctx)->app;
    int rc = engine_apply(a->engine, ev, n, key, value, clock_now_ms() / 1000);
    if (rc) {
        log_error("engine", "batch of %zu not applied (%s): %s", n, kb_strerror(rc),
                  engine_errmsg(a->engine));
        return rc;
    }
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
    int rc = engine_tick(a->engine, clock_now_ms() / 1000);
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

/* ==== start ============================================================= */

/* Create the slot's adapter and sender and start receiving. */
static int slot_start(struct slot *sl)
{
    struct app *a = sl->app;
    const struct kb_config *c = a->cfg;
    struct adapter_host host = {.bot_name = c->engine.bot_name,
                                .admins_are_operators = c->engine.admins_are_operators,
                                .menus = a->menus, .n_menus = 2};
    if (sl->kind->create(cfg_adapter_options(c, sl->kind), &host, &sl->svc, &sl->adapter)) {
        log_error(sl->kind->name, "cannot create the adapter");
        return 70;
    }
    int paced = sl->kind->caps.paced;
    struct sender_limits lim = {
        .enabled = paced ? c->limits.enabled : 0, .per_chat_per_s = c->limits.per_chat_per_s,
        .per_group_per_min = c->limits.per_group_per_min, .global_per_s = c->limits.global_per_s,
        .coalesce = paced ? c->limits.coalesce : 0};
    sl->sender = sender_new(&a->loop, a->engine, sl->adapter, &lim, drained, sl);
    sender_on_sent(sl->sender, on_sent, a);
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
    if (engine_open(&cfg->engine, &a->engine, err, sizeof err)) {
        log_error("bot", "%s", err);
        code = 1;
        goto out;
    }
    engine_set_log(a->engine, engine_logger, NULL);
    menu_build(&a->menus[0], "en");
    menu_build(&a->menus[1], "zh-CN");

    const struct adapter_kind *kinds[ADAPTER_MAX_KINDS];
    a->n_slots = cfg_adapters(cfg, kinds);
    for (size_t i = 0; i < a->n_slots; i++) {
        struct slot *sl = &a->slots[i];
        sl->app = a;
        sl->kind = kinds[i];
        sl->svc = (struct adapter_services){
            .ctx = sl, .now_ms = svc_now_ms, .http = svc_http, .timer_start = svc_timer_start,
            .timer_cancel = svc_timer_cancel, .deliver = svc_deliver,
            .cursor_load = svc_cursor_load, .stdin_lines = svc_stdin_lines,
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
    menu_free(&a->menus[0]);
    menu_free(&a->menus[1]);
    free(a);
    return code;
}
