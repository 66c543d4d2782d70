/* Counters for /metrics and /healthz; see metrics.h. */
#include "metrics.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../core/command.h"
#include "../core/modules.h"

#define MAX_COMMANDS 96           /* distinct command names counted; the rest is "other" */
#define RING 4096                 /* recent commits remembered for the latency pairing */

/* Histogram bucket bounds in seconds (Prometheus "le"). */
static const double latency_le[] = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
static const double commit_le[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};
#define N_LAT (sizeof latency_le / sizeof latency_le[0])
#define N_COMMIT (sizeof commit_le / sizeof commit_le[0])

struct histogram {
    uint64_t bucket[16];          /* cumulative counts are computed when rendered */
    uint64_t count;
    double sum;
};

struct per_adapter {
    const char *name;
    uint64_t updates, replies_sent, rate_limited, retries, failed;
};

struct commit_mark {
    int64_t last_outbox_id;
    int64_t received_ms;
};

struct metrics {
    struct per_adapter ad[METRICS_MAX_ADAPTERS];
    size_t n_ad;
    const char *command_names[MAX_COMMANDS];
    uint64_t command_count[MAX_COMMANDS + 1]; /* [n_commands]: "other" */
    size_t n_commands;
    char *const *triggers;        /* plain-text check-in words, borrowed */
    size_t n_triggers;
    struct histogram latency, commit;
    int64_t last_commit_ms;
    struct commit_mark ring[RING];
    size_t ring_head, ring_len;   /* oldest at ring_head */
};

struct metrics *metrics_new(const char *const *names, size_t n, char *const *triggers,
                            size_t n_triggers, int64_t last_outbox_id)
{
    struct metrics *m = xcalloc(1, sizeof *m);
    m->triggers = triggers;
    m->n_triggers = n_triggers;
    m->n_ad = n < METRICS_MAX_ADAPTERS ? n : METRICS_MAX_ADAPTERS;
    for (size_t i = 0; i < m->n_ad; i++)
        m->ad[i].name = names[i];
    /* every command the modules define, so a never-used one shows as 0 */
    for (size_t i = 0; i < kb_n_modules; i++)
        for (size_t k = 0; k < kb_modules[i]->n_commands && m->n_commands < MAX_COMMANDS; k++)
            m->command_names[m->n_commands++] = kb_modules[i]->commands[k].name;
    m->last_commit_ms = -1;
    m->ring[0] = (struct commit_mark){last_outbox_id, -1};
    m->ring_len = 1;
    return m;
}

void metrics_free(struct metrics *m)
{
    free(m);
}

static void observe(struct histogram *h, const double *le, size_t n, double v)
{
    size_t i = 0;
    while (i < n && v > le[i])
        i++;
    h->bucket[i]++; /* i == n: only +Inf */
    h->count++;
    h->sum += v;
}

static void count_command(struct metrics *m, const char *text, const char *bot_username)
{
    struct command cmd;
    if (command_parse(text, bot_username, m->triggers, m->n_triggers, &cmd) != COMMAND_OK)
        return;
    size_t i = 0;
    while (i < m->n_commands && strcmp(m->command_names[i], cmd.name) != 0)
        i++;
    m->command_count[i]++; /* i == n_commands: "other" */
    command_clear(&cmd);
}

void metrics_updates(struct metrics *m, size_t adapter, const struct kb_event *ev, size_t n)
{
    if (adapter < m->n_ad)
        m->ad[adapter].updates += n;
    for (size_t i = 0; i < n; i++) {
        const char *text = ev[i].kind == KB_EV_CALLBACK ? ev[i].callback_data : ev[i].text;
        if (text)
            count_command(m, text, ev[i].bot_username);
    }
}

void metrics_commit(struct metrics *m, int64_t took_us, int64_t now_ms, int64_t last_outbox_id,
                    int64_t received_ms)
{
    observe(&m->commit, commit_le, N_COMMIT, (double)took_us / 1e6);
    m->last_commit_ms = now_ms;
    size_t last = (m->ring_head + m->ring_len + RING - 1) % RING;
    if (m->ring_len && m->ring[last].last_outbox_id >= last_outbox_id)
        return; /* wrote no reply: nothing to pair */
    struct commit_mark mark = {last_outbox_id, received_ms};
    if (m->ring_len == RING) {
        m->ring[m->ring_head] = mark;
        m->ring_head = (m->ring_head + 1) % RING;
    } else {
        m->ring[(m->ring_head + m->ring_len++) % RING] = mark;
    }
}

/* The commit that wrote outbox row id: the first mark at or above it. */
static const struct commit_mark *mark_for(const struct metrics *m, int64_t id)
{
    size_t lo = 0, hi = m->ring_len;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->ring[(m->ring_head + mid) % RING].last_outbox_id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == m->ring_len || (lo == 0 && m->ring_len == RING))
        return NULL; /* newer than any commit seen, or older than the ring */
    return &m->ring[(m->ring_head + lo) % RING];
}

void metrics_send(struct metrics *m, size_t adapter, const struct kb_send_result *res,
                  const int64_t *ids, size_t n, int64_t now_ms)
{
    if (adapter >= m->n_ad)
        return;
    struct per_adapter *a = &m->ad[adapter];
    if (res->retry_after_ms > 0)
        a->rate_limited++;
    switch (res->outcome) {
    case KB_SEND_OK:
        a->replies_sent++;
        for (size_t i = 0; i < n; i++) {
            const struct commit_mark *mk = mark_for(m, ids[i]);
            if (mk && mk->received_ms >= 0 && now_ms >= mk->received_ms)
                observe(&m->latency, latency_le, N_LAT, (double)(now_ms - mk->received_ms) / 1e3);
        }
        break;
    case KB_SEND_RETRY:
    case KB_SEND_RETRY_ONCE:
        a->retries++;
        break;
    case KB_SEND_FAILED:
    case KB_SEND_CHAT_GONE:
    case KB_SEND_FATAL:
    default:
        a->failed++;
        break;
    }
}

int64_t metrics_last_commit_ms(const struct metrics *m)
{
    return m->last_commit_ms;
}

static void render_histogram(struct sbuf *out, const char *name, const char *help,
                             const struct histogram *h, const double *le, size_t n)
{
    sbuf_addf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    uint64_t cum = 0;
    for (size_t i = 0; i < n; i++) {
        cum += h->bucket[i];
        sbuf_addf(out, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name, le[i], cum);
    }
    sbuf_addf(out, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n%s_sum %.6f\n%s_count %" PRIu64 "\n",
              name, h->count, name, h->sum, name, h->count);
}

/* The per-adapter counters, as rendered. */
static const struct {
    const char *name, *help;
    size_t field;
} adapter_counters[] = {
    {"kocbot_updates_applied_total", "Platform events committed by the engine.",
     offsetof(struct per_adapter, updates)},
    {"kocbot_replies_sent_total",
     "Sends the platform accepted (merged acknowledgements count once).",
     offsetof(struct per_adapter, replies_sent)},
    {"kocbot_rate_limited_total", "Sends answered 429 (retry_after).",
     offsetof(struct per_adapter, rate_limited)},
    {"kocbot_send_retries_total", "Sends that will be tried again.",
     offsetof(struct per_adapter, retries)},
    {"kocbot_send_failures_total", "Sends given up (refused by the platform, chat gone).",
     offsetof(struct per_adapter, failed)},
};

/* One series per adapter: values[i], or the counter at field of ad[i]. */
static void render_per_adapter(struct sbuf *out, const struct metrics *m, const char *name,
                               const char *type, const char *help, size_t field,
                               const int64_t *values)
{
    sbuf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
    for (size_t i = 0; i < m->n_ad; i++) {
        uint64_t v = values ? (uint64_t)(values[i] > 0 ? values[i] : 0)
                            : *(const uint64_t *)((const char *)&m->ad[i] + field);
        sbuf_addf(out, "%s{adapter=\"%s\"} %" PRIu64 "\n", name, m->ad[i].name, v);
    }
}

void metrics_render(const struct metrics *m, const int64_t *outbox_depth, const int *up,
                    struct sbuf *out)
{
    int64_t ups[METRICS_MAX_ADAPTERS];
    for (size_t i = 0; i < m->n_ad; i++)
        ups[i] = up[i];
    render_per_adapter(out, m, "kocbot_adapter_up", "gauge", "1 while the adapter is serving.",
                       0, ups);
    for (size_t k = 0; k < sizeof adapter_counters / sizeof adapter_counters[0]; k++)
        render_per_adapter(out, m, adapter_counters[k].name, "counter", adapter_counters[k].help,
                           adapter_counters[k].field, NULL);
    render_per_adapter(out, m, "kocbot_outbox_depth", "gauge", "Replies waiting in the outbox.",
                       0, outbox_depth);
    sbuf_addf(out, "# HELP kocbot_commands_total Commands received, by name.\n"
                   "# TYPE kocbot_commands_total counter\n");
    for (size_t i = 0; i <= m->n_commands; i++)
        sbuf_addf(out, "kocbot_commands_total{command=\"%s\"} %" PRIu64 "\n",
                  i < m->n_commands ? m->command_names[i] : "other", m->command_count[i]);
    render_histogram(out, "kocbot_update_to_reply_seconds",
                     "From an update's arrival to the platform accepting its reply.",
                     &m->latency, latency_le, N_LAT);
    render_histogram(out, "kocbot_sqlite_commit_seconds",
                     "Time of one engine transaction, from BEGIN to a synced COMMIT.",
                     &m->commit, commit_le, N_COMMIT);
}
