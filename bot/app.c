/* The process wiring and its ordered shutdown; see app.h. */
#include "app.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "../adapters/console.h"
#include "../adapters/telegram.h"
#include "../core/engine.h"
#include "../core/util.h"
#include "clock.h"
#include "http.h"
#include "log.h"
#include "outbox.h"

#define SCHED_RETRY_MS 5000     /* after a failed tick (disk full, …) */
#define SCHED_CAP_MS 60000      /* re-arm at least every minute: survives clock jumps */
#define STDIN_CHUNK 65536
#define LINE_MAX_BYTES (1u << 20)

struct app_timer {
    uv_timer_t handle;
    int64_t id;
    kb_timer_fn fire;
    void *ud;
    struct app_timer *next;
};

struct app {
    const struct kb_config *cfg;
    uv_loop_t loop;
    struct engine *engine;
    struct adapter *adapter;
    struct adapter_services svc;
    struct http_client *http;
    struct sender *sender;
    uv_timer_t sched;
    uv_signal_t sigint, sigterm;
    /* stdin (console) */
    int stdin_kind;               /* 0 none, 1 stream, 2 file */
    union {
        uv_tty_t tty;
        uv_pipe_t pipe;
    } in;
    uv_fs_t fs_req;
    char *chunk;
    struct sbuf line;
    int line_overflow;
    int input_done;
    int drain_ticks;              /* ticks run while draining at end of input */
    /* timers handed to the adapter */
    struct app_timer *timers;
    int64_t next_timer_id;
    int stopping;
    int exit_code;
};

static void app_stop(struct app *a, int exit_code);

/* ==== services for the adapter ========================================== */

static int64_t svc_now_ms(void *ctx)
{
    (void)ctx;
    return clock_now_ms();
}

static int svc_http(void *ctx, const struct kb_http_request *req, kb_http_done_fn done, void *ud)
{
    struct app *a = ctx;
    if (a->stopping || !a->http)
        return KB_ESHUTDOWN;
    return http_request_start(a->http, req, done, ud);
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
    struct app *a = ctx;
    if (a->stopping)
        return KB_ESHUTDOWN;
    struct app_timer *t = xcalloc(1, sizeof *t);
    t->id = ++a->next_timer_id;
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
    struct app *a = ctx;
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
    struct app *a = ctx;
    int rc = engine_apply(a->engine, ev, n, key, value, clock_now_ms() / 1000);
    if (rc) {
        log_error("engine", "batch of %zu not applied (%s): %s", n, kb_strerror(rc),
                  engine_errmsg(a->engine));
        return rc;
    }
    sender_kick(a->sender);
    arm_scheduler(a); /* new polls or tasks may be due sooner */
    return KB_OK;
}

static int svc_cursor_load(void *ctx, const char *key, char *buf, size_t cap)
{
    struct app *a = ctx;
    return engine_cursor_load(a->engine, key, buf, cap);
}

static void svc_output(void *ctx, const char *text, size_t len)
{
    (void)ctx;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
}

static void svc_log(void *ctx, enum kb_log_level level, const char *msg)
{
    (void)ctx;
    LOG_AT(level, "adapter", "%s", msg);
}

static void svc_fatal(void *ctx, int exit_code, const char *msg)
{
    struct app *a = ctx;
    log_error("bot", "%s", msg);
    app_stop(a, exit_code);
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
    sender_kick(a->sender);
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

/* ==== console input ===================================================== */

static void feed_chunk(struct app *a, const char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (buf[i] != '\n') {
            if (a->line.len < LINE_MAX_BYTES)
                sbuf_addc(&a->line, buf[i]);
            else
                a->line_overflow = 1;
            continue;
        }
        if (a->line_overflow)
            log_warn("console", "input line over %u bytes dropped", LINE_MAX_BYTES);
        else
            a->adapter->ops->feed_line(a->adapter, sbuf_str(&a->line), a->line.len);
        a->line.len = 0;
        if (a->line.s)
            a->line.s[0] = '\0';
        a->line_overflow = 0;
    }
    a->adapter->ops->feed_line(a->adapter, NULL, 0); /* deliver this read as one batch */
}

static void sched_fire(uv_timer_t *h);

/* The outbox is empty.  After the end of input, stop — but first let work
   that is already due (a closed poll's final edit) take its turn; the cap
   keeps a tick that cannot make progress from holding the exit. */
static void drained(void *ud)
{
    struct app *a = ud;
    if (!a->input_done)
        return;
    int64_t now = clock_now_ms() / 1000;
    int64_t due = engine_next_due(a->engine, now);
    if (due >= 0 && due <= now && a->drain_ticks++ < 10) {
        sched_fire(&a->sched);
        return;
    }
    app_stop(a, 0);
}

static void input_finished(struct app *a)
{
    if (a->line.len && !a->line_overflow) /* last line without a newline */
        feed_chunk(a, "\n", 1);
    a->input_done = 1;
    sender_kick(a->sender); /* once the outbox is empty, drained() stops us */
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct app *a = h->loop->data;
    (void)suggested;
    *buf = uv_buf_init(a->chunk, STDIN_CHUNK);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct app *a = s->loop->data;
    if (n > 0) {
        feed_chunk(a, buf->base, (size_t)n);
    } else if (n < 0) {
        uv_read_stop(s);
        input_finished(a);
    }
}

static void on_file_read(uv_fs_t *req)
{
    struct app *a = req->loop->data;
    ssize_t n = req->result;
    uv_fs_req_cleanup(req);
    if (n > 0 && !a->stopping) {
        feed_chunk(a, a->chunk, (size_t)n);
        uv_buf_t b = uv_buf_init(a->chunk, STDIN_CHUNK);
        uv_fs_read(&a->loop, &a->fs_req, 0, &b, 1, -1, on_file_read);
        return;
    }
    a->stdin_kind = 0;
    if (!a->stopping)
        input_finished(a);
}

static int start_stdin(struct app *a)
{
    a->chunk = xmalloc(STDIN_CHUNK);
    uv_handle_type t = uv_guess_handle(0);
    int rc = -1;
    if (t == UV_TTY) {
        rc = uv_tty_init(&a->loop, &a->in.tty, 0, 1);
    } else if (t == UV_NAMED_PIPE) {
        rc = uv_pipe_init(&a->loop, &a->in.pipe, 0);
        if (!rc)
            rc = uv_pipe_open(&a->in.pipe, 0);
    }
    if (rc == 0) {
        a->stdin_kind = 1;
        return uv_read_start((uv_stream_t *)&a->in, on_alloc, on_read);
    }
    /* a regular file (or anything else): read it through the thread pool */
    a->stdin_kind = 2;
    uv_buf_t b = uv_buf_init(a->chunk, STDIN_CHUNK);
    return uv_fs_read(&a->loop, &a->fs_req, 0, &b, 1, -1, on_file_read);
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
    if (a->adapter)
        a->adapter->ops->stop(a->adapter);
    while (a->timers) {
        struct app_timer *t = a->timers;
        a->timers = t->next;
        uv_close((uv_handle_t *)&t->handle, timer_closed);
    }
    if (a->http)
        http_cancel_all(a->http);
    uv_timer_stop(&a->sched);
    if (a->stdin_kind == 1) {
        uv_read_stop((uv_stream_t *)&a->in);
        uv_close((uv_handle_t *)&a->in, NULL);
        a->stdin_kind = 0;
    }
    uv_signal_stop(&a->sigint);
    uv_signal_stop(&a->sigterm);
    uv_stop(&a->loop);
}

static void shutdown_loop(struct app *a)
{
    /* in order: senders and curl while the loop lives, then every handle */
    if (a->sender)
        sender_close(a->sender);
    a->sender = NULL;
    if (a->http)
        http_client_free(a->http);
    a->http = NULL;
    if (a->stdin_kind == 2)
        uv_cancel((uv_req_t *)&a->fs_req);
    uv_walk(&a->loop, close_walk, NULL);
    for (int i = 0; i < 100 && uv_run(&a->loop, UV_RUN_DEFAULT) != 0; i++)
        ;
    if (uv_loop_close(&a->loop) != 0)
        log_error("bot", "event loop closed with handles still open");
}

/* ==== start ============================================================= */

static int make_adapter(struct app *a)
{
    const struct kb_config *c = a->cfg;
    int telegram = c->adapter ? strcmp(c->adapter, "telegram") == 0 : c->telegram.token != NULL;
    if (telegram) {
        if (!c->telegram.token) {
            log_error("bot", "the telegram adapter needs KOCBOT_TELEGRAM_TOKEN");
            return 1;
        }
        if (http_client_new(&a->loop, &a->http)) {
            log_error("bot", "cannot start the HTTP client");
            return 70;
        }
        http_client_set_max_connections(a->http, c->max_connections);
        struct tg_options o = {.token = c->telegram.token, .api_base = c->telegram.api_base,
                               .poll_timeout_s = c->telegram.poll_timeout_s,
                               .admin_cache_s = c->telegram.admin_cache_s,
                               .request_timeout_s = c->telegram.request_timeout_s,
                               .conflict_wait_s = c->telegram.conflict_wait_s,
                               .backoff_max_s = c->telegram.backoff_max_s,
                               .admins_are_operators = c->engine.admins_are_operators};
        return tg_adapter_new(&o, &a->svc, &a->adapter) ? 70 : 0;
    }
    struct console_options o = {.user = c->console.user, .chat = c->console.chat,
                                .bot_name = c->engine.bot_name};
    return console_adapter_new(&o, &a->svc, &a->adapter) ? 70 : 0;
}

int app_run(const struct kb_config *cfg)
{
    struct app *a = xcalloc(1, sizeof *a);
    a->cfg = cfg;
    clock_init(cfg->fake_now, cfg->fake_speed);
    int code = 0;
    char err[512];
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
    a->svc = (struct adapter_services){
        .ctx = a, .now_ms = svc_now_ms, .http = svc_http, .timer_start = svc_timer_start,
        .timer_cancel = svc_timer_cancel, .deliver = svc_deliver, .cursor_load = svc_cursor_load,
        .output = svc_output, .log = svc_log, .fatal = svc_fatal};
    code = make_adapter(a);
    if (code)
        goto out;
    int console = strcmp(a->adapter->ops->platform, "console") == 0;
    struct sender_limits lim = {
        .enabled = console ? 0 : cfg->limits.enabled, .per_chat_per_s = cfg->limits.per_chat_per_s,
        .per_group_per_min = cfg->limits.per_group_per_min, .global_per_s = cfg->limits.global_per_s,
        .coalesce = console ? 0 : cfg->limits.coalesce};
    a->sender = sender_new(&a->loop, a->engine, a->adapter, &lim, drained, a);
    sender_on_sent(a->sender, on_sent, a);

    log_info("bot", "kocbot starting: adapter %s, database %s", a->adapter->ops->name,
             cfg->engine.db_path);
    if (a->adapter->ops->start(a->adapter)) {
        log_error("bot", "adapter %s failed to start", a->adapter->ops->name);
        code = 70;
        app_stop(a, code);
    } else {
        if (console && start_stdin(a)) {
            log_error("bot", "cannot read standard input");
            app_stop(a, 70);
        }
        sender_kick(a->sender); /* replies left from a previous run */
        arm_scheduler(a);
    }
    uv_run(&a->loop, UV_RUN_DEFAULT);
    app_stop(a, a->exit_code);
    code = a->exit_code;
out:
    shutdown_loop(a);
    if (a->adapter)
        a->adapter->ops->destroy(a->adapter);
    engine_close(a->engine);
    sbuf_free(&a->line);
    free(a->chunk);
    free(a);
    return code;
}
