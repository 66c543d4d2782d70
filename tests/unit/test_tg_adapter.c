/* The Telegram adapter's state machine, driven by a scripted services
   struct: fake HTTP (records requests, answered by the test), fake timers
   (fired by the test), fake deliver (records batches, can fail). */
#include <cjson/cJSON.h>

#include "../../adapters/telegram.h"
#include "../test.h"

#define FIX "tests/fixtures/telegram/"
#define TOKEN "123456:SECRET-token_ABC"
#define MAXR 128

struct fake_req {
    char method[48];
    char url[256];
    char *body;
    long timeout_ms;
    kb_http_done_fn done;
    void *ud;
    int answered;
};

struct fake_ev {
    int kind, role;
    char chat[32], user[32], message_id[32], text[512];
};

struct fake_batch {
    size_t n;
    char key[32], cursor[32];
    struct fake_ev ev[8];
};

struct fake_send {
    int outcome;
    long retry_after_ms;
    char message_id[32], description[256];
};

static struct fake {
    int64_t now_ms;
    struct fake_req req[MAXR];
    size_t nreq;
    struct {
        uint64_t ms;
        kb_timer_fn fn;
        void *ud;
        int64_t id;
        int active;
    } timer[MAXR];
    size_t ntimer;
    struct fake_batch batch[32];
    size_t nbatch, deliver_calls;
    int deliver_fail;        /* fail this many deliver calls */
    char stored_cursor[32];
    char logs[16384];
    int fatal_calls, fatal_code;
    char fatal_msg[128];
    struct fake_send sent[16];
    size_t nsent;
    int http_refuse;
} F;

static int64_t f_now(void *ctx) { (void)ctx; return F.now_ms; }

static int f_http(void *ctx, const struct kb_http_request *r, kb_http_done_fn done, void *ud)
{
    (void)ctx;
    if (F.http_refuse || F.nreq >= MAXR)
        return KB_ETRANSPORT;
    struct fake_req *q = &F.req[F.nreq++];
    memset(q, 0, sizeof *q);
    const char *m = strrchr(r->url, '/');
    snprintf(q->method, sizeof q->method, "%s", m ? m + 1 : "?");
    snprintf(q->url, sizeof q->url, "%s", r->url);
    q->body = r->body ? strndup(r->body, r->body_len) : NULL;
    q->timeout_ms = r->timeout_ms;
    q->done = done;
    q->ud = ud;
    return 0;
}

static int64_t f_timer_start(void *ctx, uint64_t ms, kb_timer_fn fn, void *ud)
{
    (void)ctx;
    if (F.ntimer >= MAXR)
        return KB_ENOMEM;
    F.timer[F.ntimer].ms = ms;
    F.timer[F.ntimer].fn = fn;
    F.timer[F.ntimer].ud = ud;
    F.timer[F.ntimer].id = (int64_t)F.ntimer + 1;
    F.timer[F.ntimer].active = 1;
    F.ntimer++;
    return (int64_t)F.ntimer;
}

static void f_timer_cancel(void *ctx, int64_t id)
{
    (void)ctx;
    if (id > 0 && (size_t)id <= F.ntimer)
        F.timer[id - 1].active = 0;
}

static int f_deliver(void *ctx, const struct kb_event *evs, size_t n, const char *key,
                     const char *cursor)
{
    (void)ctx;
    F.deliver_calls++;
    if (F.deliver_fail > 0) {
        F.deliver_fail--;
        return KB_ESTORE;
    }
    struct fake_batch *b = &F.batch[F.nbatch++];
    b->n = n;
    snprintf(b->key, sizeof b->key, "%s", key);
    snprintf(b->cursor, sizeof b->cursor, "%s", cursor);
    for (size_t i = 0; i < n && i < 8; i++) {
        b->ev[i].kind = evs[i].kind;
        b->ev[i].role = evs[i].role;
        snprintf(b->ev[i].chat, sizeof b->ev[i].chat, "%s", evs[i].chat_id ? evs[i].chat_id : "");
        snprintf(b->ev[i].user, sizeof b->ev[i].user, "%s", evs[i].user_id ? evs[i].user_id : "");
        snprintf(b->ev[i].message_id, sizeof b->ev[i].message_id, "%s",
                 evs[i].message_id ? evs[i].message_id : "");
        snprintf(b->ev[i].text, sizeof b->ev[i].text, "%s", evs[i].text ? evs[i].text : "");
        if (!evs[i].bot_username || strcmp(evs[i].bot_username, "KocTestBot"))
            snprintf(b->ev[i].text, sizeof b->ev[i].text, "NO BOT USERNAME");
    }
    snprintf(F.stored_cursor, sizeof F.stored_cursor, "%s", cursor);
    return 0;
}

static int f_cursor_load(void *ctx, const char *key, char *buf, size_t cap)
{
    (void)ctx;
    if (strcmp(key, "tg:offset"))
        return KB_ENOTFOUND;
    snprintf(buf, cap, "%s", F.stored_cursor);
    return 0;
}

static void f_log(void *ctx, enum kb_log_level lvl, const char *msg)
{
    (void)ctx;
    static const char *names[] = {"D", "I", "W", "E"};
    size_t l = strlen(F.logs);
    snprintf(F.logs + l, sizeof F.logs - l, "%s %s\n", names[lvl], msg);
}

static void f_fatal(void *ctx, int code, const char *msg)
{
    (void)ctx;
    F.fatal_calls++;
    F.fatal_code = code;
    snprintf(F.fatal_msg, sizeof F.fatal_msg, "%s", msg);
}

static const struct adapter_services SVC = {
    .ctx = NULL,
    .now_ms = f_now,
    .http = f_http,
    .timer_start = f_timer_start,
    .timer_cancel = f_timer_cancel,
    .deliver = f_deliver,
    .cursor_load = f_cursor_load,
    .log = f_log,
    .fatal = f_fatal,
};

static void send_cb(void *ud, const struct kb_send_result *r)
{
    (void)ud;
    struct fake_send *s = &F.sent[F.nsent++];
    s->outcome = r->outcome;
    s->retry_after_ms = r->retry_after_ms;
    snprintf(s->message_id, sizeof s->message_id, "%s", r->message_id ? r->message_id : "");
    snprintf(s->description, sizeof s->description, "%s",
             r->description ? r->description : "");
}

static void fake_reset(void)
{
    for (size_t i = 0; i < F.nreq; i++)
        free(F.req[i].body);
    memset(&F, 0, sizeof F);
    F.now_ms = 1767230000000LL;
}

static char *load(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, FIX "%s", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        TEST_FAIL("fixture %s missing (run from the repo root)", name);
    char *buf = malloc(1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* {"ok":true,"result":[fixture, ...]} built from update fixtures */
static char *updates_body(const char *const *names, size_t n)
{
    size_t cap = 1 << 17, o = 0;
    char *out = malloc(cap);
    o += (size_t)snprintf(out, cap, "{\"ok\":true,\"result\":[");
    for (size_t i = 0; i < n; i++) {
        char *f = load(names[i]);
        o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? "," : "", f);
        free(f);
    }
    snprintf(out + o, cap - o, "]}");
    return out;
}

/* the only unanswered request (fails the test if not exactly one) */
static struct fake_req *pending(void)
{
    struct fake_req *p = NULL;
    int n = 0;
    for (size_t i = 0; i < F.nreq; i++)
        if (!F.req[i].answered) {
            p = &F.req[i];
            n++;
        }
    if (n != 1)
        TEST_FAIL("expected exactly one request in flight, have %d", n);
    return p;
}

static int n_pending(void)
{
    int n = 0;
    for (size_t i = 0; i < F.nreq; i++)
        n += !F.req[i].answered;
    return n;
}

static void answer_outcome(struct fake_req *q, enum kb_http_outcome oc, long status,
                           const char *body)
{
    struct kb_http_response r = {oc, status, body, body ? strlen(body) : 0,
                                 oc == KB_HTTP_DONE ? NULL : "connection refused"};
    q->answered = 1;
    q->done(q->ud, &r);
}

static void answer(struct fake_req *q, long status, const char *body)
{
    answer_outcome(q, KB_HTTP_DONE, status, body);
}

static void answer_fixture(struct fake_req *q, long status, const char *name)
{
    char *b = load(name);
    answer(q, status, b);
    free(b);
}

static int n_active_timers(void)
{
    int n = 0;
    for (size_t i = 0; i < F.ntimer; i++)
        n += F.timer[i].active;
    return n;
}

/* fire the only active timer; returns its delay */
static long fire(void)
{
    size_t k = 0;
    int n = 0;
    for (size_t i = 0; i < F.ntimer; i++)
        if (F.timer[i].active) {
            k = i;
            n++;
        }
    if (n != 1)
        TEST_FAIL("expected exactly one active timer, have %d", n);
    F.timer[k].active = 0;
    F.now_ms += (int64_t)F.timer[k].ms;
    F.timer[k].fn(F.timer[k].ud);
    return (long)F.timer[k].ms;
}

/* the command menu, as bot/ builds it from the module registry */
static struct kb_menu MENUS[2];

static struct adapter *make(int admins)
{
    if (!MENUS[0].locale) {
        menu_build(&MENUS[0], "en");
        menu_build(&MENUS[1], "zh-CN");
    }
    struct tg_options o = {TOKEN, "http://127.0.0.1:9/", 25, 300, admins, 0, 0, 0, MENUS, 2};
    struct adapter *a = NULL;
    if (tg_adapter_new(&o, &SVC, &a) || !a)
        TEST_FAIL("tg_adapter_new failed");
    return a;
}

/* start and walk getMe + setMyCommands x2; leaves the first getUpdates */
static struct adapter *started(int admins)
{
    struct adapter *a = make(admins);
    if (a->ops->start(a))
        TEST_FAIL("start failed");
    answer_fixture(pending(), 200, "get_me.json");
    answer(pending(), 200, "{\"ok\":true,\"result\":true}");
    answer(pending(), 200, "{\"ok\":true,\"result\":true}");
    return a;
}

/* what bot/ does at shutdown: stop, cancel what is in flight, destroy */
static void finish(struct adapter *a)
{
    a->ops->stop(a);
    for (size_t i = 0; i < F.nreq; i++)
        if (!F.req[i].answered)
            answer_outcome(&F.req[i], KB_HTTP_CANCELLED, 0, NULL);
    int extra = n_pending();
    a->ops->destroy(a);
    int leaked = strstr(F.logs, "SECRET") != NULL;
    fake_reset();
    CHECK(!leaked); /* the token never reaches a log line */
    CHECK_INT(extra, 0); /* nothing started after stop */
}

/* ==== tests ==== */

TEST(construct_and_ops)
{
    fake_reset();
    struct adapter *a = make(0);
    CHECK_STR(a->ops->name, "telegram");
    CHECK_STR(a->ops->platform, "tg");
    CHECK_INT(a->max_text, 4096);
    CHECK_INT(tg_adapter_kind.caps.max_text, 4096);
    CHECK(adapter_kind_find("telegram") == &tg_adapter_kind);
    CHECK(a->ops->start && a->ops->stop && a->ops->send && a->ops->destroy);
    finish(a);
    struct tg_options bad = {.token = NULL};
    struct adapter *b = (struct adapter *)1;
    CHECK_INT(tg_adapter_new(&bad, &SVC, &b), KB_EINVAL);
    CHECK(b == NULL);
    struct tg_options bad2 = {.token = "12/../x"};
    CHECK_INT(tg_adapter_new(&bad2, &SVC, &b), KB_EINVAL);
}

TEST(start_sequence)
{
    fake_reset();
    snprintf(F.stored_cursor, sizeof F.stored_cursor, "41");
    struct adapter *a = make(0);
    CHECK_INT(a->ops->start(a), 0);
    struct fake_req *q = pending();
    CHECK_STR(q->method, "getMe");
    CHECK_STR(q->url, "http://127.0.0.1:9/bot" TOKEN "/getMe");
    answer_fixture(q, 200, "get_me.json");
    q = pending();
    CHECK_STR(q->method, "setMyCommands");
    CHECK_CONTAINS(q->body, "\"language_code\":\"en\"");
    CHECK_CONTAINS(q->body, "\"command\":\"checkin\"");
    CHECK_CONTAINS(q->body, "\"command\":\"help\"");
    answer(q, 200, "{\"ok\":true,\"result\":true}");
    q = pending();
    CHECK_STR(q->method, "setMyCommands");
    CHECK_CONTAINS(q->body, "\"language_code\":\"zh\"");
    CHECK_CONTAINS(q->body, "\"description\":\"每日签到");
    answer(q, 200, "{\"ok\":true,\"result\":true}");
    q = pending();
    CHECK_STR(q->method, "getUpdates");
    CHECK_CONTAINS(q->body, "\"offset\":41");
    CHECK_CONTAINS(q->body, "\"timeout\":25");
    CHECK_CONTAINS(q->body, "\"allowed_updates\":[\"message\",\"edited_message\","
                            "\"callback_query\",\"my_chat_member\"]");
    CHECK_INT(q->timeout_ms, 40000);
    CHECK_CONTAINS(F.logs, "KocTestBot");
    finish(a);
}

TEST(set_commands_failure_does_not_block_polling)
{
    fake_reset();
    struct adapter *a = make(0);
    CHECK_INT(a->ops->start(a), 0);
    answer_fixture(pending(), 200, "get_me.json");
    answer_fixture(pending(), 400, "err_400.json");
    struct fake_req *q = pending();
    CHECK_STR(q->method, "setMyCommands");
    answer_outcome(q, KB_HTTP_NOT_SENT, 0, NULL);
    CHECK_STR(pending()->method, "getUpdates");
    finish(a);
}

TEST(empty_poll_answered_at_once_waits_before_polling_again)
{
    fake_reset();
    struct adapter *a = started(0);
    answer(pending(), 200, "{\"ok\":true,\"result\":[]}"); /* no time passed: a broken long poll */
    CHECK_INT(n_pending(), 0);
    CHECK_INT(n_active_timers(), 1);
    CHECK_INT(fire(), 1000);
    CHECK_INT(n_pending(), 1);
    F.now_ms += 25000; /* a real long poll: the next one leaves at once */
    answer(pending(), 200, "{\"ok\":true,\"result\":[]}");
    CHECK_INT(n_pending(), 1);
    finish(a);
}

TEST(offset_advances_after_deliver)
{
    fake_reset();
    struct adapter *a = started(0);
    struct fake_req *q = pending();
    CHECK(!strstr(q->body, "offset")); /* nothing stored yet */
    const char *names[] = {"group_command.json", "photo_caption.json", "command_ourbot.json"};
    char *body = updates_body(names, 3);
    answer(q, 200, body);
    free(body);
    CHECK_INT(F.nbatch, 1);
    CHECK_INT(F.batch[0].n, 3);
    CHECK_STR(F.batch[0].key, "tg:offset");
    CHECK_STR(F.batch[0].cursor, "900000006"); /* max update_id + 1 */
    CHECK_STR(F.batch[0].ev[0].text, "/checkin");
    CHECK_STR(F.batch[0].ev[1].text, "/submit 12 done ✅");
    CHECK_STR(F.batch[0].ev[2].text, "/vote@KocTestBot 3 2");
    q = pending(); /* exactly one poll in flight */
    CHECK_STR(q->method, "getUpdates");
    CHECK_CONTAINS(q->body, "\"offset\":900000006");
    /* an empty answer polls again with the same offset */
    F.now_ms += 25000; /* the long poll ran its course */
    answer(q, 200, "{\"ok\":true,\"result\":[]}");
    CHECK_INT(F.deliver_calls, 1);
    CHECK_CONTAINS(pending()->body, "\"offset\":900000006");
    finish(a);
}

TEST(deliver_failure_retries_same_batch)
{
    fake_reset();
    struct adapter *a = started(0);
    const char *names[] = {"group_command.json", "callback_query.json"};
    char *body = updates_body(names, 2);
    F.deliver_fail = 2;
    answer(pending(), 200, body);
    free(body);
    CHECK_INT(F.deliver_calls, 1);
    CHECK_INT(F.nbatch, 0);
    CHECK_INT(n_pending(), 0); /* no poll until the batch is committed */
    long ms = fire();
    CHECK(ms >= 750 && ms <= 1000);
    CHECK_INT(F.deliver_calls, 2);
    CHECK_INT(n_pending(), 0);
    ms = fire();
    CHECK(ms >= 1500 && ms <= 2000);
    CHECK_INT(F.deliver_calls, 3);
    CHECK_INT(F.nbatch, 1);
    CHECK_INT(F.batch[0].n, 2);
    CHECK_STR(F.batch[0].cursor, "900000009");
    CHECK_INT(F.batch[0].ev[1].kind, KB_EV_CALLBACK);
    CHECK_STR(F.batch[0].ev[1].user, "444555666");
    CHECK_CONTAINS(pending()->body, "\"offset\":900000009");
    CHECK_CONTAINS(F.logs, "deliver");
    finish(a);
}

TEST(empty_and_undecodable_batches_move_cursor)
{
    fake_reset();
    struct adapter *a = started(0);
    const char *edited[] = {"edited_message.json"};
    char *body = updates_body(edited, 1);
    answer(pending(), 200, body);
    free(body);
    CHECK_INT(F.nbatch, 1);
    CHECK_INT(F.batch[0].n, 0);
    CHECK_STR(F.batch[0].cursor, "900000010");
    const char *bad[] = {"invalid_utf8.json", "huge_id.json", "big_chat_id.json"};
    body = updates_body(bad, 3);
    answer(pending(), 200, body);
    free(body);
    CHECK_INT(F.nbatch, 2);
    /* the undecodable two are delivered as such, for failed_events */
    CHECK_INT(F.batch[1].n, 3);
    CHECK_INT(F.batch[1].ev[0].kind, KB_EV_UNDECODABLE);
    CHECK_STR(F.batch[1].ev[0].message_id, "update:900000016");
    CHECK_CONTAINS(F.batch[1].ev[0].text, "\"update_id\": 900000016");
    CHECK_CONTAINS(F.batch[1].ev[0].text, "bad ?? bytes ??");
    CHECK_INT(F.batch[1].ev[1].kind, KB_EV_UNDECODABLE);
    CHECK_CONTAINS(F.batch[1].ev[1].text, "1e400");
    CHECK_STR(F.batch[1].ev[2].chat, "-1001234567890123");
    CHECK_STR(F.batch[1].cursor, "900000017");
    CHECK_CONTAINS(F.logs, "W telegram: update 900000016 skipped");
    CHECK_CONTAINS(F.logs, "W telegram: update 900000014 skipped");
    CHECK_CONTAINS(pending()->body, "\"offset\":900000017");
    finish(a);
}

TEST(backoff_doubles_to_cap_and_resets)
{
    fake_reset();
    struct adapter *a = started(0);
    long lo[] = {750, 1500, 3000, 6000, 12000, 24000, 45000, 45000};
    long hi[] = {1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000};
    for (int i = 0; i < 8; i++) {
        struct fake_req *q = pending();
        CHECK_STR(q->method, "getUpdates");
        if (i % 3 == 0)
            answer_outcome(q, KB_HTTP_NOT_SENT, 0, NULL);
        else if (i % 3 == 1)
            answer_fixture(q, 500, "err_500.json");
        else
            answer_fixture(q, 502, "not_json.json");
        CHECK_INT(n_pending(), 0);
        long ms = fire();
        if (ms < lo[i] || ms > hi[i])
            TEST_FAIL("backoff %d: %ld ms not in [%ld, %ld]", i, ms, lo[i], hi[i]);
    }
    F.now_ms += 25000; /* the long poll ran its course */
    answer(pending(), 200, "{\"ok\":true,\"result\":[]}");
    answer(pending(), 200, "not json at all");
    long ms = fire();
    CHECK(ms >= 750 && ms <= 1000);
    CHECK_STR(pending()->method, "getUpdates");
    finish(a);
}

TEST(rate_limit_waits_retry_after_exactly)
{
    fake_reset();
    struct adapter *a = started(0);
    answer_fixture(pending(), 429, "err_429.json");
    CHECK_INT(n_pending(), 0);
    CHECK_INT(fire(), 7000);
    CHECK_STR(pending()->method, "getUpdates");
    finish(a);
}

TEST(conflict_backs_off_long_and_loud)
{
    fake_reset();
    struct adapter *a = started(0);
    for (int i = 0; i < 3; i++) {
        answer_fixture(pending(), 409, "err_409.json");
        CHECK_INT(n_pending(), 0);
        CHECK_INT(fire(), 30000);
    }
    CHECK_CONTAINS(F.logs, "E telegram: getUpdates 409 Conflict: another instance is polling "
                           "or a webhook is set");
    CHECK_INT(F.fatal_calls, 0);
    finish(a);
}

TEST(unauthorized_is_fatal)
{
    fake_reset();
    struct adapter *a = started(0);
    /* Telegram's 401 to a poll sends us back to getMe, which decides */
    answer_fixture(pending(), 401, "err_401.json");
    CHECK_INT(F.fatal_calls, 0);
    CHECK_CONTAINS(F.logs, "checking the token with getMe");
    fire();
    CHECK_STR(pending()->method, "getMe");
    answer_fixture(pending(), 401, "err_401.json");
    CHECK_INT(F.fatal_calls, 1);
    CHECK_INT(F.fatal_code, 2);
    CHECK_STR(F.fatal_msg, "Telegram rejected the token (401)");
    CHECK_INT(n_pending(), 0);
    CHECK_INT(n_active_timers(), 0);
    finish(a);

    a = make(0);
    CHECK_INT(a->ops->start(a), 0);
    answer_fixture(pending(), 404, "err_404.json");
    CHECK_INT(F.fatal_calls, 1);
    CHECK_INT(F.fatal_code, 2);
    CHECK_INT(n_pending(), 0);
    CHECK_INT(n_active_timers(), 0);
    finish(a);
}

/* A 404 (or 401) page from a proxy, a captive portal or a wrong base URL
   is a network fault: retried with backoff, logged with what came back. */
TEST(not_telegram_rejection_is_retried)
{
    fake_reset();
    struct adapter *a = make(0);
    CHECK_INT(a->ops->start(a), 0);
    answer_fixture(pending(), 404, "not_json.json");
    CHECK_INT(F.fatal_calls, 0);
    CHECK_CONTAINS(F.logs, "getMe failed (status 404: not a Bot API answer: <html>");
    long ms = fire();
    CHECK(ms >= 750 && ms <= 1000);
    answer(pending(), 401, "{\"ok\":false}");
    CHECK_INT(F.fatal_calls, 0);
    fire();
    answer_fixture(pending(), 200, "get_me.json");
    CHECK_INT(F.fatal_calls, 0);
    finish(a);
}

TEST(getme_transient_errors_retry)
{
    fake_reset();
    struct adapter *a = make(0);
    CHECK_INT(a->ops->start(a), 0);
    answer_outcome(pending(), KB_HTTP_NO_ANSWER, 0, NULL);
    long ms = fire();
    CHECK(ms >= 750 && ms <= 1000);
    CHECK_STR(pending()->method, "getMe");
    answer_fixture(pending(), 429, "err_429.json");
    CHECK_INT(fire(), 7000);
    CHECK_STR(pending()->method, "getMe");
    finish(a);
}

static void feed(const char *const *names, size_t n)
{
    char *body = updates_body(names, n);
    answer(pending(), 200, body);
    free(body);
}

TEST(admin_roles_cached_and_expire)
{
    fake_reset();
    struct adapter *a = started(1);
    const char *first[] = {"group_command.json", "document.json"};
    feed(first, 2);
    /* the batch waits for getChatAdministrators */
    CHECK_INT(F.deliver_calls, 0);
    struct fake_req *q = pending();
    CHECK_STR(q->method, "getChatAdministrators");
    CHECK_CONTAINS(q->body, "\"chat_id\":-1001234567890");
    answer_fixture(q, 200, "admins.json");
    CHECK_INT(F.nbatch, 1);
    CHECK_INT(F.batch[0].ev[0].role, KB_ROLE_CHAT_ADMIN); /* alice is the creator */
    CHECK_INT(F.batch[0].ev[1].role, KB_ROLE_MEMBER);     /* private chat */

    /* within the cache period: no lookup; bob (not admin) stays member */
    F.now_ms += 299 * 1000;
    const char *second[] = {"forum_topic.json", "group_command.json", "callback_query.json"};
    feed(second, 3);
    CHECK_INT(F.nbatch, 2);
    CHECK_INT(F.batch[1].ev[0].role, KB_ROLE_MEMBER);
    CHECK_INT(F.batch[1].ev[1].role, KB_ROLE_CHAT_ADMIN);
    CHECK_INT(F.batch[1].ev[2].role, KB_ROLE_MEMBER);
    CHECK_STR(pending()->method, "getUpdates");

    /* expired: looked up again; a failed lookup means member */
    F.now_ms += 2 * 1000;
    const char *third[] = {"group_command.json"};
    feed(third, 1);
    CHECK_INT(F.nbatch, 2);
    q = pending();
    CHECK_STR(q->method, "getChatAdministrators");
    answer_fixture(q, 500, "err_500.json");
    CHECK_INT(F.nbatch, 3);
    CHECK_INT(F.batch[2].ev[0].role, KB_ROLE_MEMBER);

    /* a demoted admin: the new list no longer has alice */
    feed(third, 1);
    q = pending();
    CHECK_STR(q->method, "getChatAdministrators");
    answer(q, 200, "{\"ok\":true,\"result\":[{\"user\":{\"id\":7000000001,\"is_bot\":true,"
                   "\"first_name\":\"KOC\"},\"status\":\"administrator\"}]}");
    CHECK_INT(F.nbatch, 4);
    CHECK_INT(F.batch[3].ev[0].role, KB_ROLE_MEMBER);

    /* anonymous admins and commands for other bots need no lookup */
    F.now_ms += 1000 * 1000;
    const char *fourth[] = {"anonymous_admin.json", "command_otherbot.json"};
    feed(fourth, 2);
    CHECK_INT(F.nbatch, 5);
    CHECK_INT(F.batch[4].ev[0].role, KB_ROLE_ANON_ADMIN);
    CHECK_STR(F.batch[4].ev[0].user, "-1001234567890");
    CHECK_INT(F.batch[4].ev[1].role, KB_ROLE_MEMBER);
    CHECK_STR(pending()->method, "getUpdates");
    finish(a);
}

TEST(roles_off_means_no_lookup)
{
    fake_reset();
    struct adapter *a = started(0);
    const char *names[] = {"group_command.json"};
    feed(names, 1);
    CHECK_INT(F.nbatch, 1);
    CHECK_INT(F.batch[0].ev[0].role, KB_ROLE_MEMBER);
    CHECK_STR(pending()->method, "getUpdates");
    finish(a);
}

static struct kb_reply reply(const char *text)
{
    struct kb_reply r = {0};
    r.kind = KB_REPLY_SEND;
    r.platform = "tg";
    r.chat_id = "-1001234567890";
    r.text = text;
    return r;
}

/* send one reply and answer its single request */
static struct fake_send send_one(struct adapter *a, const struct kb_reply *r, long status,
                                 const char *fixture, enum kb_http_outcome oc)
{
    size_t before = F.nsent;
    if (a->ops->send(a, r, send_cb, NULL))
        TEST_FAIL("send refused");
    struct fake_req *q = pending();
    if (oc == KB_HTTP_DONE) {
        answer_fixture(q, status, fixture);
    } else {
        answer_outcome(q, oc, 0, NULL);
    }
    if (F.nsent != before + 1)
        TEST_FAIL("send done not called exactly once");
    return F.sent[F.nsent - 1];
}

TEST(send_classification_through_adapter)
{
    fake_reset();
    struct adapter *a = make(0);
    struct kb_reply r = reply("<b>Done</b> & <tag>");
    r.thread_id = "77";
    r.reply_to = "501";
    r.buttons = "Vote\x1f/vote 3 1";
    CHECK_INT(a->ops->send(a, &r, send_cb, NULL), 0);
    struct fake_req *q = pending();
    CHECK_STR(q->method, "sendMessage");
    CHECK_CONTAINS(q->body, "\"chat_id\":-1001234567890");
    CHECK_CONTAINS(q->body, "\"text\":\"<b>Done</b> &amp; &lt;tag&gt;\"");
    CHECK_CONTAINS(q->body, "\"parse_mode\":\"HTML\"");
    CHECK_CONTAINS(q->body, "\"message_thread_id\":77");
    CHECK_CONTAINS(q->body, "\"reply_parameters\":{\"message_id\":501,"
                            "\"allow_sending_without_reply\":true}");
    CHECK_CONTAINS(q->body, "\"callback_data\":\"/vote 3 1\"");
    answer_fixture(q, 200, "send_ok.json");
    CHECK_INT(F.nsent, 1);
    CHECK_INT(F.sent[0].outcome, KB_SEND_OK);
    CHECK_STR(F.sent[0].message_id, "7001");

    struct kb_reply p = reply("hi");
    struct fake_send s = send_one(a, &p, 429, "err_429.json", KB_HTTP_DONE);
    CHECK_INT(s.outcome, KB_SEND_RETRY);
    CHECK_INT(s.retry_after_ms, 7000);
    s = send_one(a, &p, 500, "err_500.json", KB_HTTP_DONE);
    CHECK_INT(s.outcome, KB_SEND_RETRY);
    CHECK_INT(s.retry_after_ms, 0);
    s = send_one(a, &p, 0, NULL, KB_HTTP_NOT_SENT);
    CHECK_INT(s.outcome, KB_SEND_RETRY);
    s = send_one(a, &p, 0, NULL, KB_HTTP_NO_ANSWER);
    CHECK_INT(s.outcome, KB_SEND_RETRY_ONCE);
    s = send_one(a, &p, 400, "err_400.json", KB_HTTP_DONE);
    CHECK_INT(s.outcome, KB_SEND_FAILED);
    CHECK_CONTAINS(s.description, "can't parse entities");
    s = send_one(a, &p, 400, "err_400_chat_not_found.json", KB_HTTP_DONE);
    CHECK_INT(s.outcome, KB_SEND_CHAT_GONE);
    s = send_one(a, &p, 403, "err_403.json", KB_HTTP_DONE);
    CHECK_INT(s.outcome, KB_SEND_CHAT_GONE);
    CHECK_CONTAINS(F.logs, "W telegram: sendMessage chat=-1001234567890 dropped (status 403: "
                           "Forbidden: bot was kicked");
    CHECK_INT(F.fatal_calls, 0);
    s = send_one(a, &p, 401, "err_401.json", KB_HTTP_DONE);
    CHECK_INT(s.outcome, KB_SEND_RETRY); /* getMe, not a send, judges the token */
    CHECK_INT(F.fatal_calls, 0);
    finish(a);
}

TEST(edit_and_answer)
{
    fake_reset();
    struct adapter *a = make(0);
    struct kb_reply e = reply("<b>Poll closed</b>");
    e.kind = KB_REPLY_EDIT;
    e.edit_message_id = "600";
    e.buttons = "Results\x1f/poll 3";
    CHECK_INT(a->ops->send(a, &e, send_cb, NULL), 0);
    struct fake_req *q = pending();
    CHECK_STR(q->method, "editMessageText");
    CHECK_CONTAINS(q->body, "\"message_id\":600");
    CHECK_CONTAINS(q->body, "inline_keyboard");
    answer_fixture(q, 400, "err_400_not_modified.json");
    CHECK_INT(F.sent[0].outcome, KB_SEND_OK);

    struct kb_reply ans = reply("<b>Voted</b>");
    ans.kind = KB_REPLY_ANSWER;
    ans.chat_id = "-1001234567890";
    ans.callback_id = "4382bfdwdsb323b2d9";
    CHECK_INT(a->ops->send(a, &ans, send_cb, NULL), 0);
    q = pending();
    CHECK_STR(q->method, "answerCallbackQuery");
    CHECK_CONTAINS(q->body, "\"callback_query_id\":\"4382bfdwdsb323b2d9\"");
    CHECK_CONTAINS(q->body, "\"text\":\"Voted\"");
    answer(q, 200, "{\"ok\":true,\"result\":true}");
    CHECK_INT(F.nsent, 2);
    CHECK_INT(F.sent[1].outcome, KB_SEND_OK);
    CHECK_STR(F.sent[1].message_id, "");

    struct kb_reply empty = reply("   \n  ");
    CHECK_INT(a->ops->send(a, &empty, send_cb, NULL), KB_EINVAL);
    CHECK_INT(n_pending(), 0);
    finish(a);
}

static char *long_text(int lines, size_t per_line)
{
    char *t = malloc((size_t)lines * (per_line + 1) + 1);
    size_t o = 0;
    for (int i = 0; i < lines; i++) {
        memset(t + o, 'a' + i, per_line);
        o += per_line;
        t[o++] = '\n';
    }
    t[o - 1] = '\0';
    return t;
}

TEST(multipart_send_in_order)
{
    fake_reset();
    struct adapter *a = make(0);
    char *text = long_text(3, 3000);
    struct kb_reply r = reply(text);
    r.reply_to = "501";
    r.thread_id = "77";
    r.buttons = "Next\x1f/tasks 2";
    int rc = a->ops->send(a, &r, send_cb, NULL);
    free(text); /* the adapter copied what it needs */
    CHECK_INT(rc, 0);
    for (int i = 0; i < 3; i++) {
        struct fake_req *q = pending(); /* parts go one at a time */
        CHECK_STR(q->method, "sendMessage");
        char want[8];
        snprintf(want, sizeof want, "\"%c%c%c", 'a' + i, 'a' + i, 'a' + i);
        CHECK_CONTAINS(q->body, want);
        CHECK_CONTAINS(q->body, "\"message_thread_id\":77");
        CHECK_INT(strstr(q->body, "reply_parameters") != NULL, i == 0);
        CHECK_INT(strstr(q->body, "inline_keyboard") != NULL, i == 2);
        char ok[96];
        snprintf(ok, sizeof ok, "{\"ok\":true,\"result\":{\"message_id\":%d}}", 8000 + i);
        CHECK_INT(F.nsent, 0);
        answer(q, 200, ok);
    }
    CHECK_INT(F.nsent, 1);
    CHECK_INT(F.sent[0].outcome, KB_SEND_OK);
    CHECK_STR(F.sent[0].message_id, "8000");
    finish(a);
}

TEST(multipart_later_part_retried_in_adapter)
{
    fake_reset();
    struct adapter *a = make(0);
    char *text = long_text(2, 3000);
    struct kb_reply r = reply(text);
    CHECK_INT(a->ops->send(a, &r, send_cb, NULL), 0);
    free(text);
    answer(pending(), 200, "{\"ok\":true,\"result\":{\"message_id\":9000}}");
    answer_fixture(pending(), 429, "err_429.json");
    CHECK_INT(F.nsent, 0);
    CHECK_INT(n_pending(), 0);
    CHECK_INT(fire(), 7000); /* retry_after is not undercut */
    struct fake_req *q = pending();
    CHECK_CONTAINS(q->body, "\"bbb");
    answer(q, 200, "{\"ok\":true,\"result\":{\"message_id\":9001}}");
    CHECK_INT(F.nsent, 1);
    CHECK_INT(F.sent[0].outcome, KB_SEND_OK);
    CHECK_STR(F.sent[0].message_id, "9000");

    /* a later part that gets no answer is not reported as "retry freely" */
    text = long_text(2, 3000);
    r = reply(text);
    CHECK_INT(a->ops->send(a, &r, send_cb, NULL), 0);
    free(text);
    answer(pending(), 200, "{\"ok\":true,\"result\":{\"message_id\":9100}}");
    answer_outcome(pending(), KB_HTTP_NO_ANSWER, 0, NULL);
    CHECK_INT(F.nsent, 2);
    CHECK_INT(F.sent[1].outcome, KB_SEND_RETRY_ONCE);
    CHECK_CONTAINS(F.sent[1].description, "part 2 of 2");
    finish(a);
}

TEST(stop_makes_no_new_requests)
{
    fake_reset();
    struct adapter *a = started(0);
    struct fake_req *poll = pending();
    a->ops->stop(a);
    struct kb_reply r = reply("hi");
    CHECK_INT(a->ops->send(a, &r, send_cb, NULL), KB_ESHUTDOWN);
    answer(poll, 200, "{\"ok\":true,\"result\":[]}"); /* late answer */
    CHECK_INT(n_pending(), 0);
    CHECK_INT(F.deliver_calls, 0);
    finish(a);

    /* a pending backoff timer is cancelled */
    a = started(0);
    answer_fixture(pending(), 500, "err_500.json");
    CHECK_INT(n_active_timers(), 1);
    a->ops->stop(a);
    CHECK_INT(n_active_timers(), 0);
    finish(a);

    /* a multi-part send waiting on its retry timer is reported at stop */
    a = make(0);
    char *text = long_text(2, 3000);
    r = reply(text);
    CHECK_INT(a->ops->send(a, &r, send_cb, NULL), 0);
    free(text);
    answer(pending(), 200, "{\"ok\":true,\"result\":{\"message_id\":1}}");
    answer_fixture(pending(), 500, "err_500.json");
    CHECK_INT(n_active_timers(), 1);
    a->ops->stop(a);
    CHECK_INT(n_active_timers(), 0);
    CHECK_INT(F.nsent, 1);
    CHECK_INT(F.sent[0].outcome, KB_SEND_RETRY_ONCE);
    finish(a);
}

TEST(destroy_with_requests_in_flight_is_safe)
{
    fake_reset();
    struct adapter *a = started(1);
    struct fake_req *poll = pending();
    struct kb_reply r = reply("hi");
    CHECK_INT(a->ops->send(a, &r, send_cb, NULL), 0);
    a->ops->stop(a);
    a->ops->destroy(a);
    /* bot/ promises not to do this, but a late callback must not crash */
    answer(poll, 200, "{\"ok\":true,\"result\":[]}");
    for (size_t i = 0; i < F.nreq; i++)
        if (!F.req[i].answered)
            answer_outcome(&F.req[i], KB_HTTP_CANCELLED, 0, NULL);
    CHECK_INT(F.deliver_calls, 0);
    fake_reset();
}

TEST(http_refused_backs_off)
{
    fake_reset();
    struct adapter *a = started(0);
    answer_fixture(pending(), 500, "err_500.json");
    F.http_refuse = 1;
    fire();
    CHECK_INT(n_pending(), 0);
    long ms = fire(); /* the refusal itself backs off (second step) */
    CHECK(ms >= 1500 && ms <= 2000);
    F.http_refuse = 0;
    fire();
    CHECK_STR(pending()->method, "getUpdates");
    finish(a);
}

TEST(token_scrubbed_from_logs)
{
    fake_reset();
    struct adapter *a = started(0);
    struct fake_req *q = pending();
    char err[300];
    snprintf(err, sizeof err, "Could not resolve %s", q->url); /* a careless transport */
    struct kb_http_response r = {KB_HTTP_NOT_SENT, 0, NULL, 0, err};
    q->answered = 1;
    q->done(q->ud, &r);
    CHECK_CONTAINS(F.logs, "getUpdates transport error: Could not resolve "
                           "http://127.0.0.1:9/bot<redacted>/getUpdates");
    finish(a); /* checks that "SECRET" never reached the log */
}

TEST_MAIN(T(construct_and_ops), T(start_sequence), T(set_commands_failure_does_not_block_polling),
          T(offset_advances_after_deliver), T(deliver_failure_retries_same_batch),
          T(empty_and_undecodable_batches_move_cursor), T(empty_poll_answered_at_once_waits_before_polling_again), T(backoff_doubles_to_cap_and_resets),
          T(rate_limit_waits_retry_after_exactly), T(conflict_backs_off_long_and_loud),
          T(unauthorized_is_fatal), T(not_telegram_rejection_is_retried), T(getme_transient_errors_retry),
          T(admin_roles_cached_and_expire), T(roles_off_means_no_lookup),
          T(send_classification_through_adapter), T(edit_and_answer),
          T(multipart_send_in_order), T(multipart_later_part_retried_in_adapter),
          T(stop_makes_no_new_requests), T(destroy_with_requests_in_flight_is_safe),
          T(http_refused_backs_off), T(token_scrubbed_from_logs))
