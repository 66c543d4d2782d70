/* The Matrix adapter's state machine, driven by a scripted services struct:
   fake HTTP (requests recorded, answered by the test), fake timers (fired by
   the test), fake deliver (records batches, can fail), fake cursors. */
#include <cjson/cJSON.h>

#include "../../adapters/matrix.h"
#include "../test.h"

#define TOKEN "syt_unit_SECRET"
#define WHOAMI "{\"user_id\":\"@bot:hs.test\",\"device_id\":\"KOCBOT\"}"
#define MAXR 64

static struct {
    int64_t now_ms;
    struct {
        char method[8], url[2048], bearer[64], body[1024];
        kb_http_done_fn done;
        void *ud;
        int answered;
    } req[MAXR];
    size_t nreq;
    struct {
        uint64_t ms;
        kb_timer_fn fn;
        void *ud;
        int active;
    } timer[MAXR];
    size_t ntimer;
    size_t delivered[16];        /* events per committed batch */
    int kinds[16][8], roles[16][8], chat_types[16][8];
    char callback_ids[16][8][32];
    int sent_outcome[8];
    size_t nsent;
    char cursor[64], txn[64];
    size_t nbatch;
    int deliver_fail;
    int fatal_calls;
    char fatal_msg[512], logs[8192];
} F;

static int64_t f_now(void *c) { (void)c; return F.now_ms; }

static int f_http(void *c, const struct kb_http_request *r, kb_http_done_fn done, void *ud)
{
    (void)c;
    if (F.nreq >= MAXR)
        return KB_ETRANSPORT;
    size_t i = F.nreq++;
    memset(&F.req[i], 0, sizeof F.req[i]);
    snprintf(F.req[i].method, sizeof F.req[i].method, "%s", r->method);
    snprintf(F.req[i].url, sizeof F.req[i].url, "%s", r->url);
    snprintf(F.req[i].bearer, sizeof F.req[i].bearer, "%s", r->bearer ? r->bearer : "");
    snprintf(F.req[i].body, sizeof F.req[i].body, "%.*s", (int)r->body_len, r->body ? r->body : "");
    F.req[i].done = done;
    F.req[i].ud = ud;
    return 0;
}

static int64_t f_timer(void *c, uint64_t ms, kb_timer_fn fn, void *ud)
{
    (void)c;
    F.timer[F.ntimer].ms = ms;
    F.timer[F.ntimer].fn = fn;
    F.timer[F.ntimer].ud = ud;
    F.timer[F.ntimer].active = 1;
    return (int64_t)++F.ntimer;
}

static void f_cancel(void *c, int64_t id)
{
    (void)c;
    if (id > 0 && (size_t)id <= F.ntimer)
        F.timer[id - 1].active = 0;
}

static int f_deliver(void *c, const struct kb_event *evs, size_t n, const char *key, const char *value)
{
    (void)c;
    if (F.deliver_fail > 0) {
        F.deliver_fail--;
        return KB_ESTORE;
    }
    if (strcmp(key, "mx:txn") == 0) {
        snprintf(F.txn, sizeof F.txn, "%s", value);
        return 0;
    }
    F.delivered[F.nbatch] = n;
    for (size_t i = 0; i < n && i < 8; i++) {
        F.kinds[F.nbatch][i] = evs[i].kind;
        F.roles[F.nbatch][i] = evs[i].role;
        F.chat_types[F.nbatch][i] = evs[i].chat_type;
        snprintf(F.callback_ids[F.nbatch][i], sizeof F.callback_ids[0][0], "%s",
                 evs[i].callback_id ? evs[i].callback_id : "");
    }
    F.nbatch++;
    snprintf(F.cursor, sizeof F.cursor, "%s", value);
    return 0;
}

static int f_cursor_load(void *c, const char *key, char *buf, size_t cap)
{
    (void)c;
    snprintf(buf, cap, "%s", strcmp(key, "mx:since") == 0 ? F.cursor : F.txn);
    return 0;
}

static void f_log(void *c, enum kb_log_level l, const char *msg)
{
    (void)c;
    (void)l;
    size_t n = strlen(F.logs);
    snprintf(F.logs + n, sizeof F.logs - n, "%s\n", msg);
}

static void f_fatal(void *c, int code, const char *msg)
{
    (void)c;
    (void)code;
    F.fatal_calls++;
    snprintf(F.fatal_msg, sizeof F.fatal_msg, "%s", msg);
}

static const struct adapter_services SVC = {
    .now_ms = f_now, .http = f_http, .timer_start = f_timer, .timer_cancel = f_cancel,
    .deliver = f_deliver, .cursor_load = f_cursor_load, .log = f_log, .fatal = f_fatal};

static struct adapter *start(void)
{
    memset(&F, 0, sizeof F);
    F.now_ms = 1795391940000;
    struct mx_options o = {.homeserver = "http://hs.test", .access_token = TOKEN,
                           .sync_timeout_s = 30, .power_cache_s = 300, .admins_are_operators = 1};
    struct adapter *a = NULL;
    if (mx_adapter_new(&o, &SVC, &a) || a->ops->start(a))
        TEST_FAIL("adapter did not start");
    return a;
}

/* Answer the last request. */
static void answer(long status, const char *body)
{
    size_t i = F.nreq - 1;
    struct kb_http_response r = {.outcome = KB_HTTP_DONE, .status = status, .body = body,
                                 .body_len = strlen(body)};
    F.req[i].answered = 1;
    F.req[i].done(F.req[i].ud, &r);
}

/* whoami, then the private chats (m.direct) recorded so far. */
static void ready(const char *direct)
{
    answer(200, WHOAMI);
    CHECK_CONTAINS(F.req[F.nreq - 1].url, "/user/%40bot%3Ahs.test/account_data/m.direct");
    answer(200, direct);
}

static void fire_last_timer(void)
{
    size_t i = F.ntimer - 1;
    CHECK(F.timer[i].active);
    F.timer[i].active = 0;
    F.timer[i].fn(F.timer[i].ud);
}

/* Destroy, then cancel what was in flight (as bot/ does at shutdown). */
static void stop(struct adapter *a)
{
    a->ops->destroy(a);
    struct kb_http_response r = {.outcome = KB_HTTP_CANCELLED};
    for (size_t i = 0; i < F.nreq; i++)
        if (!F.req[i].answered) {
            F.req[i].answered = 1;
            F.req[i].done(F.req[i].ud, &r);
        }
}

#define ROOM_SYNC(batch, body)                                                          \
    "{\"next_batch\":\"" batch "\",\"rooms\":{\"join\":{\"!r:hs.test\":{\"timeline\":{\"events\":[" \
    "{\"type\":\"m.room.message\",\"event_id\":\"$m" batch "\",\"sender\":\"@mod:hs.test\","   \
    "\"origin_server_ts\":1795391940000,\"content\":{\"msgtype\":\"m.text\",\"body\":\"" body "\"}}]}}}}}"

TEST(token_travels_as_bearer_and_401_stops_the_adapter)
{
    struct adapter *a = start();
    CHECK_INT(F.nreq, 1);
    CHECK_CONTAINS(F.req[0].url, "/_matrix/client/v3/account/whoami");
    CHECK(!strstr(F.req[0].url, TOKEN));
    CHECK_STR(F.req[0].bearer, TOKEN);
    answer(401, "{\"errcode\":\"M_UNKNOWN_TOKEN\",\"error\":\"Invalid access token passed.\"}");
    CHECK_INT(F.fatal_calls, 1);
    CHECK_CONTAINS(F.fatal_msg, "rejected the access token (401 M_UNKNOWN_TOKEN");
    CHECK(!strstr(F.logs, TOKEN));
    struct kb_reply r = {.id = 1, .kind = KB_REPLY_SEND, .chat_id = "!r:hs.test", .text = "x"};
    CHECK_INT(a->ops->send(a, &r, NULL, NULL), KB_ESHUTDOWN);
    stop(a);
}

TEST(sync_429_waits_exactly_retry_after_ms)
{
    struct adapter *a = start();
    ready("{}");
    CHECK_CONTAINS(F.req[2].url, "/sync?timeout=0&filter=");
    answer(429, "{\"errcode\":\"M_LIMIT_EXCEEDED\",\"retry_after_ms\":2345}");
    CHECK_INT(F.ntimer, 1);
    CHECK_INT(F.timer[0].ms, 2345);
    CHECK_INT(F.nreq, 3);
    fire_last_timer();
    CHECK_INT(F.nreq, 4);
    CHECK_CONTAINS(F.req[3].url, "/sync?");
    stop(a);
}

TEST(first_sync_records_rooms_not_history_then_roles_from_power_levels)
{
    struct adapter *a = start();
    ready("{}");
    answer(200, ROOM_SYNC("s1", "/checkin"));
    CHECK_INT(F.nbatch, 1);
    CHECK_INT(F.delivered[0], 1); /* the room is noted; its past is not replayed */
    CHECK_INT(F.kinds[0][0], KB_EV_BOT_MEMBERSHIP);
    CHECK_STR(F.cursor, "s1");
    CHECK_CONTAINS(F.req[3].url, "since=s1");
    CHECK_CONTAINS(F.req[3].url, "timeout=30000");
    /* a new message: the room's power levels are read before delivery */
    answer(200, ROOM_SYNC("s2", "/poll new a | b | c"));
    CHECK_CONTAINS(F.req[4].url, "/rooms/%21r%3Ahs.test/state/m.room.power_levels/");
    CHECK_INT(F.nbatch, 1);
    answer(200, "{\"users\":{\"@mod:hs.test\":50},\"state_default\":50}");
    CHECK_INT(F.nbatch, 2);
    CHECK_INT(F.kinds[1][0], KB_EV_MESSAGE);
    CHECK_INT(F.roles[1][0], KB_ROLE_CHAT_ADMIN);
    stop(a);
}

TEST(a_failed_deliver_keeps_the_cursor_and_retries_the_batch)
{
    struct adapter *a = start();
    ready("{}");
    answer(200, "{\"next_batch\":\"s1\"}");
    CHECK_STR(F.cursor, "s1");
    F.deliver_fail = 1;
    answer(200, ROOM_SYNC("s2", "/checkin"));
    answer(200, "{\"users\":{},\"state_default\":50}");
    CHECK_STR(F.cursor, "s1");
    size_t before = F.nreq;
    fire_last_timer(); /* the back-off: the same batch again, then the next sync */
    CHECK_STR(F.cursor, "s2");
    CHECK_INT(F.nreq, before + 1);
    CHECK_CONTAINS(F.req[F.nreq - 1].url, "since=s2");
    CHECK_INT(F.delivered[F.nbatch - 1], 1);
    CHECK_INT(F.roles[F.nbatch - 1][0], KB_ROLE_MEMBER);
    stop(a);
}

TEST(a_rate_limited_power_lookup_holds_the_batch_exactly_retry_after_ms)
{
    struct adapter *a = start();
    ready("{}");
    answer(200, "{\"next_batch\":\"s1\"}");
    answer(200, ROOM_SYNC("s2", "/poll new a | b"));
    CHECK_CONTAINS(F.req[F.nreq - 1].url, "m.room.power_levels");
    answer(429, "{\"errcode\":\"M_LIMIT_EXCEEDED\",\"retry_after_ms\":777}");
    CHECK_INT(F.nbatch, 1);               /* not delivered with a guessed role */
    CHECK_INT(F.timer[F.ntimer - 1].ms, 777);
    fire_last_timer();
    CHECK_CONTAINS(F.req[F.nreq - 1].url, "m.room.power_levels");
    answer(200, "{\"users\":{\"@mod:hs.test\":60},\"state_default\":50}");
    CHECK_INT(F.nbatch, 2);
    CHECK_INT(F.roles[1][0], KB_ROLE_CHAT_ADMIN);
    CHECK_STR(F.cursor, "s2");
    stop(a);
}

TEST(an_event_without_type_or_sender_is_kept_as_undecodable)
{
    struct adapter *a = start();
    ready("{}");
    answer(200, "{\"next_batch\":\"s1\"}");
    answer(200, "{\"next_batch\":\"s2\",\"rooms\":{\"join\":{\"!r:hs.test\":{\"timeline\":{\"events\":["
                "{\"event_id\":\"$bad\",\"content\":{\"body\":\"x\"}},"
                "{\"type\":\"m.room.message\",\"event_id\":\"$ok\",\"sender\":\"@mod:hs.test\","
                "\"origin_server_ts\":1795391940000,\"content\":{\"msgtype\":\"m.text\",\"body\":\"/checkin\"}}]}}}}}");
    if (F.nbatch == 1)
        answer(200, "{\"users\":{},\"state_default\":50}"); /* the room's power levels */
    CHECK_INT(F.nbatch, 2);
    CHECK_INT(F.delivered[1], 2); /* the unreadable event travels (to failed_events), the next one too */
    CHECK_INT(F.kinds[1][0], KB_EV_UNDECODABLE);
    CHECK_INT(F.kinds[1][1], KB_EV_MESSAGE);
    CHECK_STR(F.cursor, "s2");
    CHECK_CONTAINS(F.logs, "kept in failed_events");
    stop(a);
}

TEST(truncated_sync_backs_off_and_asks_again)
{
    struct adapter *a = start();
    ready("{}");
    answer(200, "{\"next_batch\":\"s1\",\"rooms\":{\"jo");
    CHECK_INT(F.nbatch, 0);
    CHECK_INT(F.ntimer, 1);
    CHECK(F.timer[0].ms >= 750 && F.timer[0].ms <= 1000);
    fire_last_timer();
    CHECK_CONTAINS(F.req[F.nreq - 1].url, "/sync?");
    stop(a);
}

static void on_sent(void *ud, const struct kb_send_result *res)
{
    (void)ud;
    F.sent_outcome[F.nsent++] = res->outcome;
}

TEST(a_private_message_to_a_member_opens_one_direct_chat)
{
    struct adapter *a = start();
    answer(200, WHOAMI);
    struct kb_reply r = {.id = 5, .kind = KB_REPLY_SEND, .chat_id = "@alice:hs.test", .text = "hi"};
    CHECK_INT(a->ops->send(a, &r, on_sent, NULL), KB_ESHUTDOWN); /* m.direct not read yet */
    answer(404, "{\"errcode\":\"M_NOT_FOUND\"}");                  /* none recorded */
    answer(200, "{\"next_batch\":\"s1\"}");
    CHECK_INT(a->ops->send(a, &r, on_sent, NULL), 0);
    CHECK_CONTAINS(F.req[F.nreq - 1].url, "/_matrix/client/v3/createRoom");
    CHECK_CONTAINS(F.req[F.nreq - 1].body, "\"is_direct\":true");
    CHECK_CONTAINS(F.req[F.nreq - 1].body, "\"invite\":[\"@alice:hs.test\"]");
    size_t create = F.nreq - 1;
    /* the sync shows the new room before createRoom answers: the batch waits */
    size_t sync = create - 1;
    CHECK_CONTAINS(F.req[sync].url, "/sync?");
    F.req[sync].answered = 1;
    const char *early = "{\"next_batch\":\"s2\",\"rooms\":{\"join\":{\"!dm:hs.test\":{\"timeline\":{\"events\":["
                        "{\"type\":\"m.room.member\",\"state_key\":\"@bot:hs.test\",\"event_id\":\"$j\","
                        "\"sender\":\"@bot:hs.test\",\"content\":{\"membership\":\"join\"}}]}}}}}";
    struct kb_http_response sr = {.outcome = KB_HTTP_DONE, .status = 200, .body = early, .body_len = strlen(early)};
    F.req[sync].done(F.req[sync].ud, &sr);
    CHECK_INT(F.nbatch, 1);
    CHECK(F.timer[F.ntimer - 1].active);
    F.req[create].answered = 1;
    struct kb_http_response ok = {.outcome = KB_HTTP_DONE, .status = 200,
                                  .body = "{\"room_id\":\"!dm:hs.test\"}", .body_len = 25};
    F.req[create].done(F.req[create].ud, &ok);
    CHECK_CONTAINS(F.req[F.nreq - 2].url, "/user/%40bot%3Ahs.test/account_data/m.direct");
    CHECK_STR(F.req[F.nreq - 2].body, "{\"@alice:hs.test\":[\"!dm:hs.test\"]}");
    CHECK_CONTAINS(F.req[F.nreq - 1].url, "/rooms/%21dm%3Ahs.test/send/m.room.message/kb");
    CHECK_STR(F.req[F.nreq - 1].method, "PUT");
    answer(200, "{\"event_id\":\"$sent\"}");
    CHECK_INT(F.nsent, 1);
    CHECK_INT(F.sent_outcome[0], KB_SEND_OK);
    fire_last_timer(); /* the held batch: the room is known now, its join is private */
    CHECK_INT(F.nbatch, 2);
    CHECK_INT(F.kinds[1][0], KB_EV_BOT_MEMBERSHIP);
    CHECK_INT(F.chat_types[1][0], KB_CHAT_PRIVATE);
    /* the next one goes straight there */
    size_t before = F.nreq;
    r.id = 6;
    CHECK_INT(a->ops->send(a, &r, on_sent, NULL), 0);
    CHECK_INT(F.nreq, before + 1);
    CHECK_CONTAINS(F.req[F.nreq - 1].url, "/rooms/%21dm%3Ahs.test/send/m.room.message/kb");
    stop(a);
}

TEST(a_member_who_cannot_be_invited_gets_the_group)
{
    struct adapter *a = start();
    ready("{}");
    answer(200, "{\"next_batch\":\"s1\"}");
    struct kb_reply r = {.id = 5, .kind = KB_REPLY_SEND, .chat_id = "@ghost:hs.test", .text = "hi"};
    CHECK_INT(a->ops->send(a, &r, on_sent, NULL), 0);
    answer(403, "{\"errcode\":\"M_FORBIDDEN\",\"error\":\"not allowed\"}");
    CHECK_INT(F.nsent, 1);
    CHECK_INT(F.sent_outcome[0], KB_SEND_CHAT_GONE); /* the core posts it in the group, with the note */
    stop(a);
}

TEST(direct_chats_are_private_and_reactions_are_marked_and_taken_back)
{
    struct adapter *a = start();
    ready("{\"@alice:hs.test\":[\"!dm:hs.test\"]}");
    answer(200, "{\"next_batch\":\"s1\"}");
    answer(200, "{\"next_batch\":\"s2\",\"rooms\":{\"join\":{"
                "\"!dm:hs.test\":{\"timeline\":{\"events\":[{\"type\":\"m.room.message\",\"event_id\":\"$p\","
                "\"sender\":\"@alice:hs.test\",\"content\":{\"msgtype\":\"m.text\",\"body\":\"/me\"}}]}},"
                "\"!r:hs.test\":{\"timeline\":{\"events\":[{\"type\":\"m.room.redaction\",\"event_id\":\"$x\","
                "\"sender\":\"@alice:hs.test\",\"redacts\":\"$reaction\",\"content\":{}}]}}}},"
                "\"account_data\":{\"events\":[{\"type\":\"m.direct\",\"content\":"
                "{\"@alice:hs.test\":[\"!dm:hs.test\"],\"@bob:hs.test\":[\"!r2:hs.test\"]}}]}}");
    while (F.nbatch < 2 && F.nreq > 0 && !F.req[F.nreq - 1].answered)
        answer(200, "{\"users\":{},\"state_default\":50}"); /* power levels */
    CHECK_INT(F.nbatch, 2);
    CHECK_INT(F.delivered[1], 2);
    CHECK_INT(F.kinds[1][0], KB_EV_MESSAGE);
    CHECK_INT(F.chat_types[1][0], KB_CHAT_PRIVATE);
    CHECK_INT(F.kinds[1][1], KB_EV_REACTION_REMOVED);
    CHECK_STR(F.callback_ids[1][1], "$reaction");
    CHECK_INT(F.chat_types[1][1], KB_CHAT_GROUP);
    /* an invitation to a direct chat: joined, and recorded in m.direct */
    answer(200, "{\"next_batch\":\"s3\",\"rooms\":{\"invite\":{\"!new:hs.test\":{\"invite_state\":{\"events\":["
                "{\"type\":\"m.room.member\",\"state_key\":\"@bot:hs.test\",\"sender\":\"@carol:hs.test\","
                "\"content\":{\"membership\":\"invite\",\"is_direct\":true}}]}}}}}");
    CHECK_CONTAINS(F.req[F.nreq - 1].url, "/rooms/%21new%3Ahs.test/join");
    answer(200, "{\"room_id\":\"!new:hs.test\"}");
    CHECK_CONTAINS(F.req[F.nreq - 2].url, "/account_data/m.direct");
    CHECK_CONTAINS(F.req[F.nreq - 2].body, "\"@carol:hs.test\":[\"!new:hs.test\"]");
    CHECK_CONTAINS(F.req[F.nreq - 2].body, "\"@bob:hs.test\":[\"!r2:hs.test\"]");
    stop(a);
}

TEST(a_room_we_opened_is_private_from_its_first_events)
{
    struct adapter *a = start();
    ready("{}");
    answer(200, "{\"next_batch\":\"s1\"}");
    /* the sync may show the new room before createRoom's answer arrives */
    answer(200, "{\"next_batch\":\"s2\",\"rooms\":{\"join\":{\"!opened:hs.test\":{\"timeline\":{\"events\":["
                "{\"type\":\"m.room.member\",\"state_key\":\"@bot:hs.test\",\"event_id\":\"$j\","
                "\"sender\":\"@bot:hs.test\",\"content\":{\"membership\":\"join\"}},"
                "{\"type\":\"m.room.member\",\"state_key\":\"@dan:hs.test\",\"event_id\":\"$i\","
                "\"sender\":\"@bot:hs.test\",\"content\":{\"membership\":\"invite\",\"is_direct\":true}}]}}}}}");
    CHECK_INT(F.nbatch, 2);
    CHECK_INT(F.kinds[1][0], KB_EV_BOT_MEMBERSHIP);
    CHECK_INT(F.chat_types[1][0], KB_CHAT_PRIVATE); /* not a new group */
    CHECK_CONTAINS(F.req[F.nreq - 2].url, "/account_data/m.direct");
    CHECK_STR(F.req[F.nreq - 2].body, "{\"@dan:hs.test\":[\"!opened:hs.test\"]}");
    stop(a);
}

TEST(a_send_429_holds_every_send_of_the_account_for_retry_after_ms)
{
    struct adapter *a = start();
    ready("{}");
    answer(200, "{\"next_batch\":\"s1\"}");
    struct kb_reply r = {.id = 5, .kind = KB_REPLY_SEND, .chat_id = "!r:hs.test", .text = "hi"};
    CHECK_INT(a->ops->send(a, &r, on_sent, NULL), 0);
    answer(429, "{\"errcode\":\"M_LIMIT_EXCEEDED\",\"retry_after_ms\":700}");
    CHECK_INT(F.sent_outcome[0], KB_SEND_RETRY);
    CHECK_INT(F.timer[F.ntimer - 1].ms, 700);
    /* another room: the limit is the account's, so it waits too */
    size_t before = F.nreq;
    struct kb_reply other = {.id = 6, .kind = KB_REPLY_SEND, .chat_id = "!other:hs.test", .text = "yo"};
    CHECK_INT(a->ops->send(a, &other, on_sent, NULL), 0);
    CHECK_INT(F.nreq, before);
    fire_last_timer();
    CHECK_INT(F.nreq, before + 1);
    CHECK_CONTAINS(F.req[F.nreq - 1].url, "/rooms/%21other%3Ahs.test/send/m.room.message/kb");
    answer(200, "{\"event_id\":\"$ok\"}");
    CHECK_INT(F.nsent, 2);
    CHECK_INT(F.sent_outcome[1], KB_SEND_OK);
    /* held at shutdown: handed back for the next run */
    CHECK_INT(a->ops->send(a, &r, on_sent, NULL), 0);
    answer(429, "{\"errcode\":\"M_LIMIT_EXCEEDED\",\"retry_after_ms\":900}");
    CHECK_INT(a->ops->send(a, &other, on_sent, NULL), 0);
    a->ops->stop(a);
    CHECK_INT(F.nsent, 4);
    CHECK_INT(F.sent_outcome[3], KB_SEND_RETRY);
    stop(a);
}

TEST_MAIN(T(token_travels_as_bearer_and_401_stops_the_adapter), T(sync_429_waits_exactly_retry_after_ms),
          T(first_sync_records_rooms_not_history_then_roles_from_power_levels),
          T(a_failed_deliver_keeps_the_cursor_and_retries_the_batch),
          T(a_rate_limited_power_lookup_holds_the_batch_exactly_retry_after_ms),
          T(an_event_without_type_or_sender_is_kept_as_undecodable),
          T(truncated_sync_backs_off_and_asks_again),
          T(a_private_message_to_a_member_opens_one_direct_chat),
          T(a_member_who_cannot_be_invited_gets_the_group),
          T(direct_chats_are_private_and_reactions_are_marked_and_taken_back),
          T(a_room_we_opened_is_private_from_its_first_events),
          T(a_send_429_holds_every_send_of_the_account_for_retry_after_ms))
