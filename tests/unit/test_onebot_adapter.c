/* The OneBot adapter's state machine (adapters/onebot.c) against scripted
   services: no sockets, no loop.  HTTP requests, timers and the WebSocket
   are recorded and answered by the test. */
#include "../../adapters/onebot.h"
#include "../../core/util.h"
#include "../test.h"

#define MAXQ 64

struct fake_req {
    char url[256], body[2048], bearer[64];
    kb_http_done_fn done;
    void *ud;
    int answered;
};

struct fake_timer {
    int64_t id;
    uint64_t ms;
    kb_timer_fn fn;
    void *ud;
    int live;
};

static struct fake {
    int64_t now_ms;
    struct fake_req reqs[MAXQ];
    int nreq;
    struct fake_timer timers[MAXQ];
    int ntimers;
    int64_t next_id;
    /* the socket */
    int ws_opens, ws_closes;
    int64_t ws_id;
    char ws_url[128], ws_bearer[64];
    kb_ws_open_fn ws_open;
    kb_ws_message_fn ws_message;
    kb_ws_closed_fn ws_closed;
    void *ws_ud;
    /* the listener */
    kb_serve_fn serve;
    void *serve_ud;
    /* deliveries */
    int deliveries, deliver_fail;
    int events;
    char last_ids[4096];
    char cursor[256];
    char stored_cursor[256];
    enum kb_role last_role;
    char last_title[64];
    int fatal;
    /* sends */
    int sent;
    struct kb_send_result last;
    char last_msg_id[16];
} F;

static int64_t f_now(void *ctx) { (void)ctx; return F.now_ms; }

static int f_http(void *ctx, const struct kb_http_request *r, kb_http_done_fn done, void *ud)
{
    (void)ctx;
    if (F.nreq == MAXQ)
        return KB_ENOMEM;
    struct fake_req *q = &F.reqs[F.nreq++];
    memset(q, 0, sizeof *q);
    snprintf(q->url, sizeof q->url, "%s", r->url);
    snprintf(q->body, sizeof q->body, "%.*s", (int)r->body_len, r->body);
    snprintf(q->bearer, sizeof q->bearer, "%s", r->bearer ? r->bearer : "");
    q->done = done;
    q->ud = ud;
    return 0;
}

static int64_t f_timer_start(void *ctx, uint64_t ms, kb_timer_fn fn, void *ud)
{
    (void)ctx;
    struct fake_timer *t = &F.timers[F.ntimers++ % MAXQ];
    *t = (struct fake_timer){.id = ++F.next_id, .ms = ms, .fn = fn, .ud = ud, .live = 1};
    return t->id;
}

static void f_timer_cancel(void *ctx, int64_t id)
{
    (void)ctx;
    for (int i = 0; i < MAXQ; i++)
        if (F.timers[i].id == id)
            F.timers[i].live = 0;
}

static int f_deliver(void *ctx, const struct kb_event *evs, size_t n, const char *key, const char *value)
{
    (void)ctx;
    CHECK_STR(key, "qq:groups");
    F.deliveries++;
    if (F.deliver_fail)
        return KB_ESTORE;
    F.events += (int)n;
    F.last_ids[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(F.last_ids);
        snprintf(F.last_ids + l, sizeof F.last_ids - l, "%s%s/%s", i ? "," : "", evs[i].chat_id,
                 evs[i].message_id ? evs[i].message_id : "-");
    }
    snprintf(F.cursor, sizeof F.cursor, "%s", value);
    F.last_role = evs[n - 1].role;
    snprintf(F.last_title, sizeof F.last_title, "%s", evs[n - 1].chat_title ? evs[n - 1].chat_title : "");
    return 0;
}

static int f_cursor_load(void *ctx, const char *key, char *buf, size_t cap)
{
    (void)ctx;
    (void)key;
    snprintf(buf, cap, "%s", F.stored_cursor);
    return 0;
}

static int64_t f_ws_open(void *ctx, const char *url, const char *bearer, kb_ws_open_fn open,
                         kb_ws_message_fn message, kb_ws_closed_fn closed, void *ud)
{
    (void)ctx;
    F.ws_opens++;
    snprintf(F.ws_url, sizeof F.ws_url, "%s", url);
    snprintf(F.ws_bearer, sizeof F.ws_bearer, "%s", bearer ? bearer : "");
    F.ws_open = open;
    F.ws_message = message;
    F.ws_closed = closed;
    F.ws_ud = ud;
    F.ws_id = ++F.next_id;
    return F.ws_id;
}

static void f_ws_close(void *ctx, int64_t id)
{
    (void)ctx;
    if (id == F.ws_id)
        F.ws_closes++;
}

static int f_http_serve(void *ctx, const char *listen, const char *path, kb_serve_fn serve, void *ud)
{
    (void)ctx;
    (void)listen;
    (void)path;
    F.serve = serve;
    F.serve_ud = ud;
    return 0;
}

/* a stand-in MAC: bytes 0..19, whatever the input (the adapter's comparison is tested) */
static int f_hmac(void *ctx, const void *k, size_t kl, const void *d, size_t l, unsigned char out[20])
{
    (void)ctx;
    (void)k;
    (void)kl;
    (void)d;
    (void)l;
    for (int i = 0; i < 20; i++)
        out[i] = (unsigned char)i;
    return 0;
}

static void f_log(void *ctx, enum kb_log_level lvl, const char *msg)
{
    (void)ctx;
    (void)lvl;
    CHECK(!strstr(msg, "tok-SECRET"));
}

static void f_fatal(void *ctx, int code, const char *msg)
{
    (void)ctx;
    (void)code;
    (void)msg;
    F.fatal++;
}

static const struct adapter_services SVC = {
    .now_ms = f_now, .http = f_http, .timer_start = f_timer_start, .timer_cancel = f_timer_cancel,
    .deliver = f_deliver, .cursor_load = f_cursor_load, .ws_open = f_ws_open, .ws_close = f_ws_close,
    .http_serve = f_http_serve, .hmac_sha1 = f_hmac, .log = f_log, .fatal = f_fatal};

static void answer(int i, long status, const char *body)
{
    struct fake_req *q = &F.reqs[i];
    CHECK(!q->answered);
    q->answered = 1;
    struct kb_http_response r = {.outcome = KB_HTTP_DONE, .status = status, .body = body,
                                 .body_len = strlen(body)};
    q->done(q->ud, &r);
}

/* Answer every open get_group_info (name "G<id>") and get_group_member_info
   (role `role`); returns how many. */
static int answer_lookups(const char *role)
{
    int n = 0;
    for (int i = 0; i < F.nreq; i++) {
        struct fake_req *q = &F.reqs[i];
        char body[256];
        if (q->answered)
            continue;
        if (strstr(q->url, "/get_group_info")) {
            long long g = 0;
            sscanf(q->body, "{\"group_id\":%lld", &g);
            snprintf(body, sizeof body,
                     "{\"status\":\"ok\",\"retcode\":0,\"data\":{\"group_name\":\"G%lld\"}}", g);
        } else if (strstr(q->url, "/get_group_member_info")) {
            snprintf(body, sizeof body, "{\"status\":\"ok\",\"retcode\":0,\"data\":{\"role\":\"%s\"}}", role);
        } else {
            continue;
        }
        answer(i, 200, body);
        n++;
    }
    return n;
}

/* Fire every live timer due within ms (in order of creation). */
static void run_timers(uint64_t ms)
{
    for (int i = 0; i < MAXQ; i++) {
        struct fake_timer *t = &F.timers[i];
        if (t->live && t->ms <= ms) {
            t->live = 0;
            t->fn(t->ud);
        }
    }
}

/* Destroy a, then cancel what is still in flight, as bot/ does. */
static void finish(struct adapter *a)
{
    a->ops->destroy(a);
    for (int i = 0; i < F.nreq; i++) {
        if (F.reqs[i].answered)
            continue;
        F.reqs[i].answered = 1;
        struct kb_http_response r = {.outcome = KB_HTTP_CANCELLED};
        F.reqs[i].done(F.reqs[i].ud, &r);
    }
}

static struct adapter *make(const char *post_listen)
{
    struct ob_options o = {.api = "http://127.0.0.1:3000/", .ws_url = "ws://127.0.0.1:3001",
                           .access_token = "tok-SECRET", .post_listen = (char *)post_listen,
                           .post_path = "/onebot", .post_secret = post_listen ? "s" : NULL,
                           .history_count = 20, .chat_gap_ms = 1500, .per_group_per_min = 20,
                           .max_text = 10, .repost_gap_s = 300, .bot_name = "kocbot"};
    struct adapter *a;
    CHECK_INT(ob_adapter_new(&o, &SVC, &a), 0);
    return a;
}

static void reset(void)
{
    memset(&F, 0, sizeof F);
    F.now_ms = 1000000;
}

static const char LOGIN_OK[] = "{\"status\":\"ok\",\"retcode\":0,\"data\":{\"user_id\":10001}}";

/* An adapter logged in, its socket open. */
static struct adapter *connected(void)
{
    struct adapter *a = make(NULL);
    a->ops->start(a);
    answer(0, 200, LOGIN_OK);
    F.ws_open(F.ws_ud);
    return a;
}

#define MSG(group, id)                                                                   \
    "{\"post_type\":\"message\",\"message_type\":\"group\",\"group_id\":" group          \
    ",\"user_id\":42,\"message_id\":" id ",\"time\":1,\"sender\":{\"role\":\"member\"}," \
    "\"message\":\"/checkin\"}"

TEST(login_then_socket_then_history_of_known_groups)
{
    reset();
    snprintf(F.stored_cursor, sizeof F.stored_cursor, "555,666");
    struct adapter *a = make(NULL);
    CHECK_INT(a->pace_chat_gap_ms, 1500);
    CHECK_INT(a->pace_per_group_per_min, 20);
    CHECK_INT(a->ops->start(a), 0);
    CHECK_INT(F.nreq, 1);
    CHECK_STR(F.reqs[0].url, "http://127.0.0.1:3000/get_login_info");
    CHECK_STR(F.reqs[0].bearer, "tok-SECRET");
    CHECK_INT(F.ws_opens, 0);
    answer(0, 200, LOGIN_OK);
    CHECK_INT(F.ws_opens, 1);
    CHECK_STR(F.ws_bearer, "tok-SECRET");
    F.ws_open(F.ws_ud);
    /* one group at a time */
    CHECK_INT(F.nreq, 2);
    CHECK_STR(F.reqs[1].url, "http://127.0.0.1:3000/get_group_msg_history");
    CHECK_STR(F.reqs[1].body, "{\"group_id\":555,\"count\":20}");
    answer(1, 200, "{\"status\":\"ok\",\"retcode\":0,\"data\":{\"messages\":[" MSG("555", "-3") "]}}");
    CHECK_INT(F.nreq, 3);
    CHECK_STR(F.reqs[2].body, "{\"group_id\":666,\"count\":20}");
    /* history items without post_type / group_id still decode */
    answer(2, 200, "{\"status\":\"ok\",\"retcode\":0,\"data\":{\"messages\":["
                   "{\"message_type\":\"group\",\"user_id\":43,\"message_id\":9,\"time\":1,"
                   "\"message\":\"hi\"}]}}");
    run_timers(0);
    CHECK_INT(F.events, 0); /* the groups' names are asked first, once */
    CHECK_INT(answer_lookups("member"), 2);
    CHECK_INT(F.events, 2);
    CHECK_STR(F.last_title, "G666");
    CHECK_STR(F.last_ids, "555/-3,666/9");
    CHECK_STR(F.cursor, "555,666");
    finish(a);
}

TEST(socket_events_batch_and_new_groups_join_the_cursor)
{
    reset();
    struct adapter *a = connected(); /* no known group: no history */
    CHECK_INT(F.nreq, 1);
    const char *m1 = MSG("777", "1"), *m2 = MSG("888", "2");
    F.ws_message(F.ws_ud, m1, strlen(m1));
    F.ws_message(F.ws_ud, "{broken", 7);
    F.ws_message(F.ws_ud, m2, strlen(m2));
    const char *hb = "{\"post_type\":\"meta_event\",\"meta_event_type\":\"heartbeat\"}";
    F.ws_message(F.ws_ud, hb, strlen(hb));
    CHECK_INT(F.deliveries, 0); /* on the next loop turn */
    run_timers(0);
    answer_lookups("member");
    CHECK_INT(F.deliveries, 1);
    CHECK_STR(F.last_ids, "777/1,888/2");
    CHECK_STR(F.cursor, "777,888");
    finish(a);
}

TEST(failed_delivery_keeps_the_events)
{
    reset();
    struct adapter *a = connected();
    const char *m1 = MSG("777", "1");
    F.ws_message(F.ws_ud, m1, strlen(m1));
    F.deliver_fail = 1;
    run_timers(0);
    answer_lookups("member");
    CHECK_INT(F.deliveries, 1);
    CHECK_INT(F.events, 0);
    F.deliver_fail = 0;
    run_timers(1000); /* the retry */
    CHECK_INT(F.events, 1);
    CHECK_STR(F.last_ids, "777/1");
    finish(a);
}

TEST(closed_socket_reconnects_with_backoff_and_catches_up)
{
    reset();
    struct adapter *a = connected();
    const char *m1 = MSG("777", "1");
    F.ws_message(F.ws_ud, m1, strlen(m1));
    run_timers(0);
    F.ws_closed(F.ws_ud, "reset by peer");
    CHECK_INT(F.ws_opens, 1);
    run_timers(500);
    CHECK_INT(F.ws_opens, 1); /* not before 750 ms */
    run_timers(1000);
    CHECK_INT(F.ws_opens, 2);
    F.ws_closed(F.ws_ud, "refused"); /* the next wait doubles */
    run_timers(1000);
    CHECK_INT(F.ws_opens, 2);
    run_timers(2000);
    CHECK_INT(F.ws_opens, 3);
    int before = F.nreq;
    F.ws_open(F.ws_ud);
    CHECK_INT(F.nreq, before + 1);
    CHECK_STR(F.reqs[before].body, "{\"group_id\":777,\"count\":20}");
    finish(a);
}

TEST(refused_token_is_fatal)
{
    reset();
    struct adapter *a = make(NULL);
    a->ops->start(a);
    answer(0, 401, "");
    CHECK_INT(F.fatal, 1);
    CHECK_INT(F.ws_opens, 0);
    finish(a);
}

static void on_sent(void *ud, const struct kb_send_result *r)
{
    (void)ud;
    F.sent++;
    F.last = *r;
    snprintf(F.last_msg_id, sizeof F.last_msg_id, "%s", r->message_id ? r->message_id : "");
}

TEST(long_text_goes_in_parts_and_edits_are_reposted_sparingly)
{
    reset();
    struct adapter *a = make(NULL);
    a->ops->start(a);
    answer(0, 200, LOGIN_OK);
    struct kb_reply r = {.kind = KB_REPLY_SEND, .platform = "qq", .chat_id = "555",
                         .text = "line one\nline two", .reply_to = "-9"};
    CHECK_INT(a->ops->send(a, &r, on_sent, NULL), 0);
    CHECK_INT(F.nreq, 2);
    CHECK_CONTAINS(F.reqs[1].url, "/send_group_msg");
    CHECK_CONTAINS(F.reqs[1].body, "\"reply\"");
    answer(1, 200, "{\"status\":\"ok\",\"retcode\":0,\"data\":{\"message_id\":-2147483648}}");
    CHECK_INT(F.nreq, 3); /* the second part, without the reply */
    CHECK(!strstr(F.reqs[2].body, "\"reply\""));
    CHECK_INT(F.sent, 0);
    answer(2, 200, "{\"status\":\"failed\",\"retcode\":103}");
    CHECK_INT(F.sent, 1);
    CHECK_INT(F.last.outcome, KB_SEND_RETRY_ONCE); /* part one is out: retry at most once */

    struct kb_reply e = {.kind = KB_REPLY_EDIT, .platform = "qq", .chat_id = "555",
                         .text = "Poll #1", .buttons = "a\x1f/vote 1 1", .edit_message_id = "5"};
    int n0 = F.nreq;
    CHECK_INT(a->ops->send(a, &e, on_sent, NULL), 0);
    CHECK(F.nreq > n0); /* re-posted */
    for (int i = n0; i < F.nreq; i++)
        answer(i, 200, "{\"status\":\"ok\",\"retcode\":0,\"data\":{\"message_id\":77}}");
    CHECK_INT(F.last.outcome, KB_SEND_OK);
    int n1 = F.nreq;
    F.now_ms += 60000;
    CHECK_INT(a->ops->send(a, &e, on_sent, NULL), 0);
    CHECK_INT(F.nreq, n1); /* too soon: not re-posted */
    int s0 = F.sent;
    run_timers(0);
    CHECK_INT(F.sent, s0 + 1);
    CHECK_INT(F.last.outcome, KB_SEND_OK);
    F.now_ms += 300000;
    CHECK_INT(a->ops->send(a, &e, on_sent, NULL), 0);
    CHECK(F.nreq > n1);
    finish(a);
}

TEST(role_is_asked_when_the_message_does_not_say_it)
{
    reset();
    struct adapter *a = connected();
    const char *cmd = "{\"post_type\":\"message\",\"message_type\":\"group\",\"group_id\":555,"
                      "\"user_id\":42,\"message_id\":1,\"message\":\"/poll new a | b | c\"}";
    F.ws_message(F.ws_ud, cmd, strlen(cmd));
    run_timers(0);
    CHECK_INT(F.events, 0);
    int n0 = F.nreq;
    CHECK_INT(answer_lookups("admin"), 2); /* the group's name and the sender's role */
    CHECK_CONTAINS(F.reqs[n0 - 1].body, "\"user_id\":42");
    CHECK_INT(F.events, 1);
    CHECK_INT(F.last_role, KB_ROLE_CHAT_ADMIN);
    CHECK_STR(F.last_title, "G555");
    /* cached: the next command goes at once */
    F.ws_message(F.ws_ud, cmd, strlen(cmd));
    run_timers(0);
    CHECK_INT(F.nreq, n0);
    CHECK_INT(F.events, 2);
    CHECK_INT(F.last_role, KB_ROLE_CHAT_ADMIN);
    /* expired: asked again; a failed lookup means member */
    F.now_ms += 300001;
    F.ws_message(F.ws_ud, cmd, strlen(cmd));
    run_timers(0);
    CHECK_INT(F.nreq, n0 + 1);
    answer(n0, 200, "{\"status\":\"failed\",\"retcode\":100}");
    CHECK_INT(F.events, 3);
    CHECK_INT(F.last_role, KB_ROLE_MEMBER);
    finish(a);
}

TEST(a_reposted_card_replaces_our_previous_copy)
{
    reset();
    struct adapter *a = make(NULL);
    a->ops->start(a);
    answer(0, 200, LOGIN_OK);
    struct kb_reply e = {.kind = KB_REPLY_EDIT, .platform = "qq", .chat_id = "555",
                         .text = "Poll #1", .edit_message_id = "5"};
    CHECK_INT(a->ops->send(a, &e, on_sent, NULL), 0);
    answer(F.nreq - 1, 200, "{\"status\":\"ok\",\"retcode\":0,\"data\":{\"message_id\":70}}");
    int n0 = F.nreq;
    F.now_ms += 301000;
    CHECK_INT(a->ops->send(a, &e, on_sent, NULL), 0);
    answer(F.nreq - 1, 200, "{\"status\":\"ok\",\"retcode\":0,\"data\":{\"message_id\":71}}");
    CHECK_INT(F.nreq, n0 + 2); /* the re-post, then delete_msg of copy 70 (never of 5, the original) */
    CHECK_CONTAINS(F.reqs[n0 + 1].url, "/delete_msg");
    CHECK_STR(F.reqs[n0 + 1].body, "{\"message_id\":70}");
    answer(n0 + 1, 200, "{\"status\":\"failed\",\"retcode\":100}"); /* ignored */
    CHECK_INT(F.last.outcome, KB_SEND_OK);
    finish(a);
}

static const char *hdr_sig, *hdr_self;
static const char *get_hdr(const struct kb_http_incoming *req, const char *name)
{
    (void)req;
    return strcmp(name, "X-Signature") == 0 ? hdr_sig : strcmp(name, "X-Self-ID") == 0 ? hdr_self : NULL;
}

static int post(const char *sig, const char *body)
{
    hdr_sig = sig;
    struct kb_http_incoming req = {.method = "POST", .path = "/onebot", .body = body,
                                   .body_len = strlen(body), .header = get_hdr};
    struct kb_http_body answer_body = {0};
    int status = F.serve(F.serve_ud, &req, &answer_body);
    CHECK(answer_body.data == NULL);
    return status;
}

TEST(post_events_need_the_signature)
{
    reset();
    struct adapter *a = make("127.0.0.1:5701");
    a->ops->start(a);
    answer(0, 200, LOGIN_OK);
    const char *m = MSG("555", "4");
    CHECK_INT(post(NULL, m), 403);
    CHECK_INT(post("sha1=000102030405060708090a0b0c0d0e0f10111213", m), 204);
    CHECK_INT(answer_lookups("member"), 1); /* the group's name, then it is applied */
    CHECK_INT(F.events, 1);
    CHECK_INT(post("sha1=000102030405060708090a0b0c0d0e0f10111214", m), 403);
    CHECK_INT(post("sha1=000102030405060708090A0B0C0D0E0F10111213", m), 204); /* hex in capitals */
    CHECK_INT(F.events, 2); /* applied before the answer */
    CHECK_INT(post("sha1=000102030405060708090a0b0c0d0e0f101112", m), 403);
    CHECK_INT(post("sha1=000102030405060708090a0b0c0d0e0f10111213", "{nope"), 400);
    hdr_self = "10002"; /* another account's implementation */
    CHECK_INT(post("sha1=000102030405060708090a0b0c0d0e0f10111213", m), 403);
    hdr_self = "10001";
    CHECK_INT(post("sha1=000102030405060708090a0b0c0d0e0f10111213", m), 204);
    hdr_self = NULL;
    finish(a);
}

TEST_MAIN(T(login_then_socket_then_history_of_known_groups),
          T(socket_events_batch_and_new_groups_join_the_cursor), T(failed_delivery_keeps_the_events),
          T(closed_socket_reconnects_with_backoff_and_catches_up), T(refused_token_is_fatal),
          T(long_text_goes_in_parts_and_edits_are_reposted_sparingly), T(post_events_need_the_signature),
          T(role_is_asked_when_the_message_does_not_say_it), T(a_reposted_card_replaces_our_previous_copy))
