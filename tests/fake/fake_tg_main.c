/*
 * fake_tg: the fake Bot API server as a standalone process (see fake_tg.h).
 *
 *   fake_tg --port-file F [--token T] [--seed N] [--fault-rate P]
 *           [--enforce-limits] [--max-seconds S] [--username U]
 *
 * Writes its port to F (atomically, via F.tmp + rename) once listening, and
 * exits 0 by itself after max-seconds (default 600), on POST /control/quit,
 * or on SIGTERM/SIGINT.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "fake_tg.h"

struct app {
    uv_loop_t *loop;
    struct fake_tg *srv;
    uv_signal_t sigterm, sigint;
    uv_timer_t deadline;
    int stopping;
};

static void stop(struct app *a)
{
    if (a->stopping)
        return;
    a->stopping = 1;
    fake_tg_free(a->srv);
    a->srv = NULL;
    uv_close((uv_handle_t *)&a->sigterm, NULL);
    uv_close((uv_handle_t *)&a->sigint, NULL);
    uv_close((uv_handle_t *)&a->deadline, NULL);
}

static void on_signal(uv_signal_t *h, int signum)
{
    (void)signum;
    stop(h->data);
}

static void on_deadline(uv_timer_t *h)
{
    stop(h->data);
}

static void on_quit(void *ud)
{
    stop(ud);
}

static int parse_num(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end)
        return -1;
    *out = v;
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: fake_tg --port-file F [--token T] [--seed N] [--fault-rate P]\n"
                    "               [--enforce-limits] [--max-seconds S] [--username U]\n");
}

int main(int argc, char **argv)
{
    struct fake_tg_options o;
    memset(&o, 0, sizeof o);
    const char *port_file = NULL;
    double max_seconds = 600, v;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "--enforce-limits") == 0) {
            o.enforce_limits = 1;
            continue;
        }
        if (!val) {
            usage();
            return 2;
        }
        i++;
        if (strcmp(arg, "--port-file") == 0) {
            port_file = val;
        } else if (strcmp(arg, "--token") == 0) {
            o.token = val;
        } else if (strcmp(arg, "--username") == 0) {
            o.bot_username = val;
        } else if (strcmp(arg, "--seed") == 0 && parse_num(val, &v) == 0 && v >= 0) {
            o.seed = (uint64_t)v;
        } else if (strcmp(arg, "--fault-rate") == 0 && parse_num(val, &v) == 0 && v >= 0 &&
                   v <= 1) {
            o.fault_rate = v;
        } else if (strcmp(arg, "--max-seconds") == 0 && parse_num(val, &v) == 0 && v > 0) {
            max_seconds = v;
        } else {
            usage();
            return 2;
        }
    }
    if (!port_file) {
        usage();
        return 2;
    }

    struct app a;
    memset(&a, 0, sizeof a);
    a.loop = uv_default_loop();
    int rc = fake_tg_new(a.loop, &o, &a.srv);
    if (rc != 0) {
        fprintf(stderr, "fake_tg: cannot listen: %s\n", uv_strerror(rc));
        uv_run(a.loop, UV_RUN_DEFAULT);
        return 1;
    }
    fake_tg_set_quit_cb(a.srv, on_quit, &a);
    uv_signal_init(a.loop, &a.sigterm);
    uv_signal_init(a.loop, &a.sigint);
    uv_timer_init(a.loop, &a.deadline);
    a.sigterm.data = a.sigint.data = a.deadline.data = &a;
    uv_signal_start(&a.sigterm, on_signal, SIGTERM);
    uv_signal_start(&a.sigint, on_signal, SIGINT);
    uv_timer_start(&a.deadline, on_deadline, (uint64_t)(max_seconds * 1000.0), 0);

    /* write the port atomically so a waiting script never reads half a file */
    size_t n = strlen(port_file);
    char *tmp = malloc(n + 5);
    FILE *f = NULL;
    if (tmp) {
        memcpy(tmp, port_file, n);
        memcpy(tmp + n, ".tmp", 5);
        f = fopen(tmp, "w");
    }
    if (!f || fprintf(f, "%d\n", fake_tg_port(a.srv)) < 0 || fclose(f) != 0 ||
        rename(tmp, port_file) != 0) {
        fprintf(stderr, "fake_tg: cannot write %s\n", port_file);
        free(tmp);
        stop(&a);
        uv_run(a.loop, UV_RUN_DEFAULT);
        uv_loop_close(a.loop);
        return 1;
    }
    free(tmp);

    uv_run(a.loop, UV_RUN_DEFAULT);
    rc = uv_loop_close(a.loop);
    if (rc != 0) {
        fprintf(stderr, "fake_tg: uv_loop_close: %s\n", uv_strerror(rc));
        return 1;
    }
    return 0;
}
