/* Matrix decoding/encoding (adapters/matrix_json.c): send outcomes, txn ids,
   HTML, keycaps, message content, reply fallbacks, power levels, invites. */
#include <cjson/cJSON.h>

#include "../../adapters/matrix_json.h"
#include "../../core/util.h"
#include "../test.h"

static struct kb_http_response answer(long status, const char *body)
{
    return (struct kb_http_response){.outcome = KB_HTTP_DONE, .status = status, .body = body,
                                     .body_len = strlen(body)};
}

TEST(send_outcomes)
{
    struct mx_send_class c;
    struct kb_http_response r = answer(200, "{\"event_id\":\"$abc:hs\"}");
    mx_classify_send(&r, &c);
    CHECK_INT(c.outcome, KB_SEND_OK);
    CHECK_STR(c.event_id, "$abc:hs");
    r = answer(429, "{\"errcode\":\"M_LIMIT_EXCEEDED\",\"error\":\"Too many\",\"retry_after_ms\":2345}");
    mx_classify_send(&r, &c);
    CHECK_INT(c.outcome, KB_SEND_RETRY);
    CHECK_INT(c.retry_after_ms, 2345); /* exactly what the server said */
    r = answer(403, "{\"errcode\":\"M_FORBIDDEN\",\"error\":\"not in room\"}");
    mx_classify_send(&r, &c);
    CHECK_INT(c.outcome, KB_SEND_CHAT_GONE);
    CHECK_CONTAINS(c.description, "M_FORBIDDEN");
    r = answer(401, "{\"errcode\":\"M_UNKNOWN_TOKEN\",\"error\":\"gone\"}");
    mx_classify_send(&r, &c);
    CHECK_INT(c.outcome, KB_SEND_FATAL);
    r = answer(400, "{\"errcode\":\"M_TOO_LARGE\"}");
    mx_classify_send(&r, &c);
    CHECK_INT(c.outcome, KB_SEND_FAILED);
    r = answer(502, "<html>bad gateway</html>");
    mx_classify_send(&r, &c);
    CHECK_INT(c.outcome, KB_SEND_RETRY);
    /* a truncated 200 or an unanswered PUT is retried: the txnId makes it safe */
    r = answer(200, "{\"event_id\":\"$ab");
    mx_classify_send(&r, &c);
    CHECK_INT(c.outcome, KB_SEND_RETRY);
    struct kb_http_response lost = {.outcome = KB_HTTP_NO_ANSWER, .error = "timeout"};
    mx_classify_send(&lost, &c);
    CHECK_INT(c.outcome, KB_SEND_RETRY);
}

TEST(error_fields)
{
    struct mx_error e;
    struct kb_http_response r = answer(429, "{\"errcode\":\"M_LIMIT_EXCEEDED\",\"retry_after_ms\":1e300}");
    mx_error_read(&r, &e);
    CHECK_STR(e.errcode, "M_LIMIT_EXCEEDED");
    CHECK_INT(e.retry_after_ms, -1); /* absurd values are not believed */
    r = answer(500, "not json");
    mx_error_read(&r, &e);
    CHECK_STR(e.errcode, "");
    CHECK_INT(e.status, 500);
}

TEST(transaction_ids)
{
    char txn[64];
    CHECK_INT(mx_txn_id("00ff", 42, txn, sizeof txn), 0);
    CHECK_STR(txn, "kb00ff.42");
    CHECK_INT(mx_txn_row("00ff", txn), 42);
    CHECK_INT(mx_txn_row("00fe", txn), 0);          /* another database's */
    CHECK_INT(mx_txn_row("00ff", "kb00ff.x"), 0);
    CHECK_INT(mx_txn_row("00ff", "m1699.3"), 0);    /* a client's own id */
    CHECK_INT(mx_txn_row("00ff", NULL), 0);
    CHECK_INT(mx_txn_id("00ff", 42, txn, 5), KB_ETOOBIG);
}

TEST(html_from_markup)
{
    char *h = mx_html_dup("<b>Top</b> a<b & c &amp; <i>x</i>\n<code>1</code> <script>");
    CHECK_STR(h, "<b>Top</b> a&lt;b &amp; c &amp; <i>x</i><br><code>1</code> &lt;script&gt;");
    free(h);
}

TEST(keycaps)
{
    CHECK_INT(mx_keycap_index(mx_keycap(0)), 0);
    CHECK_INT(mx_keycap_index(mx_keycap(9)), 9);
    CHECK_INT(mx_keycap_index("3\xE2\x83\xA3"), 2); /* without the variation selector */
    CHECK_INT(mx_keycap_index("\xF0\x9F\x91\x8D"), -1); /* 👍 is not a vote */
    CHECK_INT(mx_keycap_index(NULL), -1);
}

TEST(message_content)
{
    struct kb_reply r = {.id = 7, .kind = KB_REPLY_SEND, .chat_id = "!r:hs", .reply_to = "$q:hs",
                         .text = "<b>Poll #3</b>\nA &amp; B",
                         .buttons = "1. Red\x1f/vote 3 1\n2. Blue\x1f/vote 3 2"};
    char *body = mx_encode_message_dup(&r, 16000);
    cJSON *j = cJSON_Parse(body);
    CHECK(j);
    CHECK_STR(cJSON_GetObjectItem(j, "msgtype")->valuestring, "m.notice");
    CHECK_STR(cJSON_GetObjectItem(j, "format")->valuestring, "org.matrix.custom.html");
    const char *plain = cJSON_GetObjectItem(j, "body")->valuestring;
    CHECK_CONTAINS(plain, "Poll #3\nA & B\n1\xEF\xB8\x8F\xE2\x83\xA3 1. Red");
    CHECK_CONTAINS(cJSON_GetObjectItem(j, "formatted_body")->valuestring, "<b>Poll #3</b><br>A &amp; B<br>");
    cJSON *irt = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "m.relates_to"), "m.in_reply_to");
    CHECK_STR(cJSON_GetObjectItem(irt, "event_id")->valuestring, "$q:hs");
    struct mx_buttons bt;
    CHECK_INT(mx_content_buttons(j, &bt), 0);
    CHECK_INT(bt.n, 2);
    CHECK_STR(bt.data[1], "/vote 3 2");
    mx_buttons_free(&bt);
    cJSON_Delete(j);
    free(body);

    /* an edit: m.replace with m.new_content, the buttons inside it */
    r.kind = KB_REPLY_EDIT;
    r.edit_message_id = "$card:hs";
    body = mx_encode_message_dup(&r, 16000);
    j = cJSON_Parse(body);
    cJSON *rel = cJSON_GetObjectItem(j, "m.relates_to");
    CHECK_STR(cJSON_GetObjectItem(rel, "rel_type")->valuestring, "m.replace");
    CHECK_STR(cJSON_GetObjectItem(rel, "event_id")->valuestring, "$card:hs");
    CHECK(cJSON_GetObjectItem(rel, "m.in_reply_to") == NULL);
    CHECK_CONTAINS(cJSON_GetObjectItem(j, "body")->valuestring, "* ");
    CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "m.new_content"), "org.kocbot.buttons"));
    CHECK_INT(mx_content_buttons(j, &bt), 0);
    CHECK_INT(bt.n, 2);
    mx_buttons_free(&bt);
    cJSON_Delete(j);
    free(body);

    /* over the limit: plain text cut at a character, no broken HTML */
    r.kind = KB_REPLY_SEND;
    r.buttons = NULL;
    r.text = "<b>\xE4\xBD\xA0\xE5\xA5\xBD\xE4\xBD\xA0\xE5\xA5\xBD</b>";
    body = mx_encode_message_dup(&r, 7);
    j = cJSON_Parse(body);
    CHECK_STR(cJSON_GetObjectItem(j, "body")->valuestring, "\xE4\xBD\xA0\xE5\xA5\xBD");
    CHECK(cJSON_GetObjectItem(j, "formatted_body") == NULL);
    cJSON_Delete(j);
    free(body);
}

TEST(reply_fallback)
{
    CHECK_STR(mx_strip_reply_fallback("> <@a:hs> quoted\n> more\n\n/vote 3 1"), "/vote 3 1");
    CHECK_STR(mx_strip_reply_fallback("> not a fallback"), "> not a fallback");
    CHECK_STR(mx_strip_reply_fallback("/checkin"), "/checkin");
    CHECK(mx_strip_reply_fallback(NULL) == NULL);
}

TEST(power_levels)
{
    cJSON *c = cJSON_Parse("{\"users\":{\"@a:hs\":100,\"@b:hs\":\"50\"},\"users_default\":5}");
    struct mx_power p;
    CHECK_INT(mx_power_parse(c, &p), 0);
    CHECK_INT(p.state_default, 50); /* the spec's default when absent */
    CHECK_INT(mx_power_of(&p, "@a:hs"), 100);
    CHECK_INT(mx_power_of(&p, "@b:hs"), 50);
    CHECK_INT(mx_power_of(&p, "@c:hs"), 5);
    mx_power_free(&p);
    cJSON_Delete(c);
    CHECK_INT(mx_power_parse(NULL, &p), KB_EPARSE);
}

TEST(invite_policy)
{
    const char *me = "@kocbot:brand.example";
    CHECK(mx_invite_allowed(NULL, me, "@alice:brand.example"));
    CHECK(!mx_invite_allowed(NULL, me, "@mallory:evil.example"));
    CHECK(mx_invite_allowed("everyone", me, "@mallory:evil.example"));
    CHECK(mx_invite_allowed("@ops:partner.example, brand.example", me, "@ops:partner.example"));
    CHECK(!mx_invite_allowed("@ops:partner.example", me, "@ops2:partner.example"));
    CHECK(mx_invite_allowed("partner.example", me, "@x:partner.example"));
    CHECK(!mx_invite_allowed("partner.example", me, "@x:notpartner.example"));
    CHECK(!mx_invite_allowed("everyone", me, NULL));
}

TEST(url_escape)
{
    char *s = mx_url_escape_dup("!room:hs/x?y");
    CHECK_STR(s, "%21room%3Ahs%2Fx%3Fy");
    free(s);
}

TEST(a_keycap_past_a_poll_cards_options)
{
    struct mx_buttons bt;
    char out[64];
    mx_buttons_parse("1. Red\x1f/vote 12 1\n2. Blue\x1f/vote 12 2", &bt);
    CHECK_INT(mx_vote_beyond(&bt, 2, out, sizeof out), 0);
    CHECK_STR(out, "/vote 12 3");
    CHECK_INT(mx_vote_beyond(&bt, 1, out, sizeof out), KB_ENOTFOUND); /* a real option */
    mx_buttons_free(&bt);
    mx_buttons_parse("Claim\x1f/claim 4", &bt); /* not a poll */
    CHECK_INT(mx_vote_beyond(&bt, 3, out, sizeof out), KB_ENOTFOUND);
    mx_buttons_free(&bt);
    mx_buttons_parse("a\x1f/vote 1 1\nb\x1f/vote 2 2", &bt); /* two polls: no guess */
    CHECK_INT(mx_vote_beyond(&bt, 3, out, sizeof out), KB_ENOTFOUND);
    mx_buttons_free(&bt);
}

TEST(direct_chats)
{
    cJSON *c = cJSON_Parse("{\"@a:hs\":[\"!1:hs\",\"!2:hs\",7,\"bad\"],\"nope\":[\"!3:hs\"],"
                           "\"@b:hs\":\"!4:hs\",\"@c:hs\":[]}");
    cJSON *d = mx_direct_parse(c);
    cJSON_Delete(c);
    CHECK_STR(mx_direct_partner(d, "!2:hs"), "@a:hs");
    CHECK(mx_direct_partner(d, "!3:hs") == NULL); /* not under a user id */
    CHECK(mx_direct_partner(d, "!4:hs") == NULL); /* not a list */
    CHECK_STR(mx_direct_room(d, "@a:hs"), "!2:hs");
    CHECK(mx_direct_room(d, "@c:hs") == NULL);
    mx_direct_add(d, "@a:hs", "!1:hs"); /* moved last: the newest */
    mx_direct_add(d, "@c:hs", "!5:hs");
    mx_direct_add(d, "@e:hs", "!6:hs");
    char *text = cJSON_PrintUnformatted(d);
    CHECK_STR(text, "{\"@a:hs\":[\"!2:hs\",\"!1:hs\"],\"@c:hs\":[\"!5:hs\"],\"@e:hs\":[\"!6:hs\"]}");
    free(text);
    cJSON_Delete(d);
    d = mx_direct_parse(NULL);
    CHECK(d && !d->child);
    cJSON_Delete(d);
    text = mx_encode_direct_room_dup("@a:hs");
    CHECK_STR(text, "{\"is_direct\":true,\"preset\":\"trusted_private_chat\",\"invite\":[\"@a:hs\"]}");
    free(text);
}

TEST_MAIN(T(send_outcomes), T(error_fields), T(transaction_ids), T(html_from_markup), T(keycaps),
          T(message_content), T(reply_fallback), T(power_levels), T(invite_policy), T(url_escape),
          T(a_keycap_past_a_poll_cards_options), T(direct_chats))
