/* The /metrics counters: the latency pairing of outbox rows with the batch
   that wrote them (ring order, rows older than the run, the ring's wrap),
   command names, and the Prometheus text. */
#include "../test.h"

#include "../../bot/metrics.h"

static const char *const names[] = {"telegram", "onebot"};
static char trig[] = "签到";
static char *const triggers[] = {trig};
static const struct kb_send_result ok = {.outcome = KB_SEND_OK};

/* The value of one series in the rendered text, or -1. */
static long long series(const struct metrics *m, const char *key)
{
    int64_t depth[2] = {3, 0};
    int up[2] = {1, 0};
    struct sbuf b = {0};
    metrics_render(m, depth, up, &b);
    long long v = -1;
    for (const char *p = sbuf_str(&b); (p = strstr(p, key)) != NULL; p++)
        if ((p == b.s || p[-1] == '\n') && p[strlen(key)] == ' ') {
            v = strtoll(p + strlen(key) + 1, NULL, 10);
            break;
        }
    sbuf_free(&b);
    return v;
}

TEST(replies_pair_with_the_batch_that_wrote_them)
{
    struct metrics *m = metrics_new(names, 2, triggers, 1, 100);
    metrics_commit(m, 500, 10000, 105, 9000);   /* rows 101..105 from updates at 9 s */
    metrics_commit(m, 500, 11000, 105, 10500);  /* wrote nothing */
    metrics_commit(m, 500, 12000, 110, -1);     /* a scheduled tick: 106..110 */
    int64_t ids[] = {103, 104};
    metrics_send(m, 0, &ok, ids, 2, 9400);      /* 0.4 s each */
    int64_t tick[] = {107};
    metrics_send(m, 0, &ok, tick, 1, 12500);    /* no update behind it */
    int64_t old[] = {99};
    metrics_send(m, 0, &ok, old, 1, 12500);     /* from an earlier run */
    int64_t future[] = {111};
    metrics_send(m, 0, &ok, future, 1, 12500);  /* not committed yet: unknown */
    CHECK_INT(series(m, "kocbot_update_to_reply_seconds_count"), 2);
    CHECK_INT(series(m, "kocbot_update_to_reply_seconds_bucket{le=\"0.25\"}"), 0);
    CHECK_INT(series(m, "kocbot_update_to_reply_seconds_bucket{le=\"0.5\"}"), 2);
    CHECK_INT(series(m, "kocbot_update_to_reply_seconds_bucket{le=\"+Inf\"}"), 2);
    CHECK_INT(series(m, "kocbot_replies_sent_total{adapter=\"telegram\"}"), 4);
    CHECK_INT(series(m, "kocbot_sqlite_commit_seconds_count"), 3);
    CHECK_INT(metrics_last_commit_ms(m), 12000);
    metrics_free(m);
}

TEST(the_ring_forgets_the_oldest_commits)
{
    struct metrics *m = metrics_new(names, 2, NULL, 0, 0);
    for (int64_t i = 1; i <= 5000; i++) /* more commits than the ring holds */
        metrics_commit(m, 100, i, i, i - 1);
    int64_t oldest[] = {1}, newest[] = {5000};
    metrics_send(m, 0, &ok, oldest, 1, 10000);
    CHECK_INT(series(m, "kocbot_update_to_reply_seconds_count"), 0);
    metrics_send(m, 0, &ok, newest, 1, 5000);
    CHECK_INT(series(m, "kocbot_update_to_reply_seconds_count"), 1);
    metrics_free(m);
}

TEST(outcomes_and_commands_are_counted)
{
    struct metrics *m = metrics_new(names, 2, triggers, 1, 0);
    struct kb_event ev[] = {
        {.kind = KB_EV_MESSAGE, .text = "/checkin"},
        {.kind = KB_EV_MESSAGE, .text = "签到"},
        {.kind = KB_EV_MESSAGE, .text = "/CheckIn@kocbot", .bot_username = "kocbot"},
        {.kind = KB_EV_MESSAGE, .text = "/frobnicate"},
        {.kind = KB_EV_MESSAGE, .text = "hello"},
        {.kind = KB_EV_CALLBACK, .callback_data = "/vote 1 2"},
    };
    metrics_updates(m, 1, ev, 6);
    CHECK_INT(series(m, "kocbot_updates_applied_total{adapter=\"onebot\"}"), 6);
    CHECK_INT(series(m, "kocbot_updates_applied_total{adapter=\"telegram\"}"), 0);
    CHECK_INT(series(m, "kocbot_commands_total{command=\"checkin\"}"), 3);
    CHECK_INT(series(m, "kocbot_commands_total{command=\"vote\"}"), 1);
    CHECK_INT(series(m, "kocbot_commands_total{command=\"other\"}"), 1);
    struct kb_send_result limited = {.outcome = KB_SEND_RETRY, .retry_after_ms = 3000};
    struct kb_send_result once = {.outcome = KB_SEND_RETRY_ONCE};
    struct kb_send_result gone = {.outcome = KB_SEND_CHAT_GONE};
    int64_t id[] = {1};
    metrics_send(m, 0, &limited, id, 1, 1);
    metrics_send(m, 0, &once, id, 1, 1);
    metrics_send(m, 0, &gone, id, 1, 1);
    CHECK_INT(series(m, "kocbot_rate_limited_total{adapter=\"telegram\"}"), 1);
    CHECK_INT(series(m, "kocbot_send_retries_total{adapter=\"telegram\"}"), 2);
    CHECK_INT(series(m, "kocbot_send_failures_total{adapter=\"telegram\"}"), 1);
    CHECK_INT(series(m, "kocbot_replies_sent_total{adapter=\"telegram\"}"), 0);
    CHECK_INT(series(m, "kocbot_outbox_depth{adapter=\"telegram\"}"), 3);
    CHECK_INT(series(m, "kocbot_adapter_up{adapter=\"onebot\"}"), 0);
    metrics_free(m);
}

TEST_MAIN(T(replies_pair_with_the_batch_that_wrote_them), T(the_ring_forgets_the_oldest_commits),
          T(outcomes_and_commands_are_counted))
