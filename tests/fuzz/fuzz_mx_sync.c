/* libFuzzer target: the Matrix adapter (adapters/matrix.c) given arbitrary
   bytes as its /sync answer, and the same bytes as the answer to every
   lookup that batch starts (power levels, cards, gaps, invitations, the
   m.direct it records).  Every
   delivered event must carry valid UTF-8 strings. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../adapters/matrix.h"
#include "../../core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXQ 256

static struct {
    kb_http_done_fn done[MAXQ];
    void *ud[MAXQ];
    size_t n, next;
} Q;

static int64_t now_ms(void *c) { (void)c; return 1795391940000; }

static int http(void *c, const struct kb_http_request *r, kb_http_done_fn done, void *ud)
{
    (void)c;
    (void)r;
    if (Q.n >= MAXQ)
        return KB_ETRANSPORT;
    Q.done[Q.n] = done;
    Q.ud[Q.n++] = ud;
    return 0;
}

static int64_t timer_start(void *c, uint64_t ms, kb_timer_fn fn, void *ud)
{
    (void)c, (void)ms, (void)fn, (void)ud;
    return 1;
}

static void timer_cancel(void *c, int64_t id) { (void)c, (void)id; }

static void check(const char *s)
{
    if (s && !utf8_valid(s, strlen(s)))
        abort();
}

static int deliver(void *c, const struct kb_event *evs, size_t n, const char *k, const char *v)
{
    (void)c;
    check(k);
    check(v);
    for (size_t i = 0; i < n; i++) {
        check(evs[i].chat_id);
        check(evs[i].user_id);
        check(evs[i].user_name);
        check(evs[i].text);
        check(evs[i].callback_data);
        check(evs[i].message_id);
        check(evs[i].chat_title);
    }
    return 0;
}

static int cursor_load(void *c, const char *k, char *buf, size_t cap)
{
    (void)c;
    snprintf(buf, cap, "%s", strcmp(k, "mx:since") == 0 ? "s1" : "0123abcd");
    return 0;
}

static void answer(size_t i, long status, const char *body, size_t len)
{
    struct kb_http_response r = {.outcome = KB_HTTP_DONE, .status = status, .body = body,
                                 .body_len = len};
    Q.done[i](Q.ud[i], &r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct adapter_services svc = {
        .now_ms = now_ms, .http = http, .timer_start = timer_start, .timer_cancel = timer_cancel,
        .deliver = deliver, .cursor_load = cursor_load};
    memset(&Q, 0, sizeof Q);
    struct mx_options o = {.homeserver = "http://hs", .access_token = "t", .sync_timeout_s = 30,
                           .power_cache_s = 300, .admins_are_operators = 1};
    struct adapter *a = NULL;
    if (mx_adapter_new(&o, &svc, &a) || a->ops->start(a))
        abort();
    static const char whoami[] = "{\"user_id\":\"@bot:hs\",\"device_id\":\"D\"}";
    answer(Q.next++, 200, whoami, sizeof whoami - 1);
    static const char direct[] = "{\"@a:hs\":[\"!dm:hs\"]}"; /* m.direct: one private chat */
    answer(Q.next++, 200, direct, sizeof direct - 1);
    /* the sync, then whatever it asked for, each answered with the input */
    for (int round = 0; round < 3 && Q.next < Q.n; round++)
        while (Q.next < Q.n && Q.next < MAXQ)
            answer(Q.next++, 200, (const char *)data, size);
    a->ops->destroy(a);
    struct kb_http_response cancelled = {.outcome = KB_HTTP_CANCELLED};
    while (Q.next < Q.n)
        Q.done[Q.next](Q.ud[Q.next], &cancelled), Q.next++;
    return 0;
}
