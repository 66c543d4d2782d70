/* OneBot v11 decoding and encoding (adapters/onebot_msg.c). */
#include <cjson/cJSON.h>

#include "../../adapters/onebot_msg.h"
#include "../../core/util.h"
#include "../test.h"

#define SELF 10001

/* Decode one event given as JSON text; the caller clears e. */
static int decode(const char *json, struct ob_event *e)
{
    cJSON *j = cJSON_Parse(json);
    if (!j)
        TEST_FAIL("test JSON does not parse: %s", json);
    int rc = ob_decode_event(j, SELF, "kocbot", e);
    cJSON_Delete(j);
    return rc;
}

#define GROUP_MSG(id, role, message)                                                     \
    "{\"post_type\":\"message\",\"message_type\":\"group\",\"time\":1795399200,"         \
    "\"self_id\":10001,\"group_id\":555,\"user_id\":42,\"message_id\":" id ","            \
    "\"sender\":{\"user_id\":42,\"nickname\":\"alice\",\"card\":\"\",\"role\":\"" role "\"}," \
    "\"message\":" message "}"

TEST(array_message_with_at_bot_is_the_command)
{
    struct ob_event e;
    CHECK_INT(decode(GROUP_MSG("7", "member",
                               "[{\"type\":\"at\",\"data\":{\"qq\":\"10001\"}},"
                               "{\"type\":\"text\",\"data\":{\"text\":\" /checkin\"}}]"), &e), 0);
    CHECK(e.has_event);
    CHECK_STR(e.ev.platform, "qq");
    CHECK_STR(e.ev.chat_id, "555");
    CHECK_STR(e.ev.user_id, "42");
    CHECK_STR(e.ev.user_name, "alice");
    CHECK_STR(e.ev.message_id, "7");
    CHECK_STR(e.ev.text, "/checkin");
    CHECK_INT(e.ev.time, 1795399200);
    CHECK_INT(e.ev.role, KB_ROLE_MEMBER);
    CHECK_INT(e.ev.chat_type, KB_CHAT_GROUP);
    ob_event_clear(&e);
}

TEST(cq_code_string_decodes_like_segments)
{
    struct ob_event e;
    CHECK_INT(decode(GROUP_MSG("8", "admin",
                               "\"[CQ:at,qq=10001] /vote 3 2 &#91;a&#93; &amp; [CQ:at,qq=43]\""), &e), 0);
    CHECK_STR(e.ev.text, "/vote 3 2 [a] & @43");
    CHECK_INT(e.ev.role, KB_ROLE_CHAT_ADMIN);
    ob_event_clear(&e);
    cJSON *segs = ob_cq_parse("a&#44;b[CQ:image,file=x&#44;y.jpg,url=http://h/p?a=1&amp;b=2]c");
    CHECK_INT(cJSON_GetArraySize(segs), 3);
    cJSON *img = cJSON_GetArrayItem(segs, 1);
    CHECK_STR(cJSON_GetObjectItem(img, "type")->valuestring, "image");
    cJSON *data = cJSON_GetObjectItem(img, "data");
    CHECK_STR(cJSON_GetObjectItem(data, "file")->valuestring, "x,y.jpg");
    CHECK_STR(cJSON_GetObjectItem(data, "url")->valuestring, "http://h/p?a=1&b=2");
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(segs, 0), "data"), "text")->valuestring,
              "a,b");
    cJSON_Delete(segs);
}

TEST(owner_is_a_chat_admin_member_is_not)
{
    struct ob_event e;
    CHECK_INT(decode(GROUP_MSG("9", "owner", "\"/poll\""), &e), 0);
    CHECK_INT(e.ev.role, KB_ROLE_CHAT_ADMIN);
    ob_event_clear(&e);
    CHECK_INT(decode(GROUP_MSG("9", "member", "\"/poll\""), &e), 0);
    CHECK_INT(e.ev.role, KB_ROLE_MEMBER);
    ob_event_clear(&e);
}

TEST(image_reply_and_face_segments)
{
    struct ob_event e;
    CHECK_INT(decode(GROUP_MSG("10", "member",
                               "[{\"type\":\"reply\",\"data\":{\"id\":\"-5\"}},"
                               "{\"type\":\"image\",\"data\":{\"file\":\"AB.jpg\",\"url\":\"http://x\"}},"
                               "{\"type\":\"face\",\"data\":{\"id\":\"14\"}},"
                               "{\"type\":\"text\",\"data\":{\"text\":\"/submit 1\"}}]"), &e), 0);
    CHECK_STR(e.ev.attachment, "photo:AB.jpg");
    CHECK_STR(e.ev.reply_to_message_id, "-5");
    CHECK_STR(e.ev.text, "/submit 1");
    ob_event_clear(&e);
}

TEST(forwarded_message_is_never_a_command)
{
    struct ob_event e;
    CHECK_INT(decode(GROUP_MSG("11", "admin",
                               "[{\"type\":\"forward\",\"data\":{\"id\":\"abc\"}},"
                               "{\"type\":\"text\",\"data\":{\"text\":\"/approve 1\"}}]"), &e), 0);
    CHECK(e.has_event);
    CHECK(e.ev.text == NULL);
    ob_event_clear(&e);
}

TEST(message_ids_at_the_32_bit_bounds)
{
    struct ob_event e;
    CHECK_INT(decode(GROUP_MSG("-2147483648", "member", "\"x\""), &e), 0);
    CHECK_STR(e.ev.message_id, "-2147483648");
    ob_event_clear(&e);
    CHECK_INT(decode(GROUP_MSG("2147483647", "member", "\"x\""), &e), 0);
    CHECK_STR(e.ev.message_id, "2147483647");
    ob_event_clear(&e);
    CHECK_INT(decode(GROUP_MSG("-2147483649", "member", "\"x\""), &e), KB_EPARSE);
    CHECK_INT(decode(GROUP_MSG("1.5", "member", "\"x\""), &e), KB_EPARSE);
    CHECK_INT(decode(GROUP_MSG("1e400", "member", "\"x\""), &e), KB_EPARSE);
    CHECK_INT(decode(GROUP_MSG("\"12\"", "member", "\"x\""), &e), 0); /* a string id is read too */
    CHECK_STR(e.ev.message_id, "12");
    ob_event_clear(&e);
}

TEST(private_chat_has_its_own_id_space)
{
    struct ob_event e;
    CHECK_INT(decode("{\"post_type\":\"message\",\"message_type\":\"private\",\"user_id\":555,"
                     "\"message_id\":3,\"time\":1,\"sender\":{\"user_id\":555,\"nickname\":\"p\"},"
                     "\"message\":\"/me\"}", &e), 0);
    CHECK_STR(e.ev.chat_id, "user:555");
    CHECK_INT(e.ev.chat_type, KB_CHAT_PRIVATE);
    ob_event_clear(&e);
}

TEST(what_is_not_delivered)
{
    struct ob_event e;
    /* our own message reported back, a heartbeat, a request */
    CHECK_INT(decode("{\"post_type\":\"message\",\"message_type\":\"group\",\"group_id\":5,"
                     "\"user_id\":10001,\"message_id\":1,\"message\":\"hi\"}", &e), 0);
    CHECK(!e.has_event);
    CHECK_INT(decode("{\"post_type\":\"meta_event\",\"meta_event_type\":\"heartbeat\"}", &e), 0);
    CHECK(!e.has_event);
    CHECK_INT(decode("{\"post_type\":\"request\",\"request_type\":\"friend\"}", &e), 0);
    CHECK(!e.has_event);
    /* broken ones */
    CHECK_INT(decode("{\"message_type\":\"group\"}", &e), KB_EPARSE);
    CHECK_INT(decode(GROUP_MSG("1", "member", "\"\xff\xfe\""), &e), KB_EPARSE);
    CHECK_INT(decode("{\"post_type\":\"message\",\"message_type\":\"group\",\"group_id\":-5,"
                     "\"user_id\":4,\"message_id\":1,\"message\":\"hi\"}", &e), KB_EPARSE);
}

TEST(bot_membership_notices)
{
    struct ob_event e;
    CHECK_INT(decode("{\"post_type\":\"notice\",\"notice_type\":\"group_decrease\",\"sub_type\":"
                     "\"kick_me\",\"group_id\":555,\"user_id\":10001}", &e), 0);
    CHECK(e.has_event);
    CHECK_INT(e.ev.kind, KB_EV_BOT_MEMBERSHIP);
    CHECK_INT(e.ev.bot_active, 0);
    ob_event_clear(&e);
    CHECK_INT(decode("{\"post_type\":\"notice\",\"notice_type\":\"group_increase\","
                     "\"group_id\":555,\"user_id\":77}", &e), 0);
    CHECK(!e.has_event); /* someone else joined */
}

TEST(send_encoding)
{
    const char *action = NULL;
    char *b = ob_encode_send_dup("555", "-7", "42", "hi \"there\"", &action);
    CHECK_STR(action, "send_group_msg");
    CHECK_STR(b, "{\"group_id\":555,\"message\":[{\"type\":\"reply\",\"data\":{\"id\":\"-7\"}},"
                 "{\"type\":\"at\",\"data\":{\"qq\":\"42\"}},{\"type\":\"text\",\"data\":{\"text\":\" \"}},"
                 "{\"type\":\"text\",\"data\":{\"text\":\"hi \\\"there\\\"\"}}]}");
    free(b);
    b = ob_encode_send_dup("user:9007199254740991", NULL, "42", "x", &action);
    CHECK_STR(action, "send_private_msg");
    CHECK_STR(b, "{\"user_id\":9007199254740991,\"message\":[{\"type\":\"text\",\"data\":{\"text\":\"x\"}}]}");
    free(b);
    CHECK(ob_encode_send_dup("console", NULL, NULL, "x", &action) == NULL);
}

TEST(buttons_become_lines_to_type)
{
    char *t = ob_render_text_dup("<b>Poll #3</b> a &amp; b",
                                 "1. red\x1f/vote 3 1\n2. <i>blue</i>\x1f/vote 3 2");
    CHECK_STR(t, "Poll #3 a & b\n1. red → /vote 3 1\n2. blue → /vote 3 2");
    free(t);
}

TEST(split_at_line_breaks_and_code_points)
{
    char **parts;
    size_t n;
    CHECK_INT(ob_split("aaaa\nbbbb\ncc", 6, &parts, &n), 0);
    CHECK_INT(n, 3);
    CHECK_STR(parts[0], "aaaa");
    CHECK_STR(parts[1], "bbbb");
    CHECK_STR(parts[2], "cc");
    ob_parts_free(parts, n);
    CHECK_INT(ob_split("签到签到签到", 4, &parts, &n), 0); /* 3-byte code points never cut */
    CHECK_INT(n, 2);
    CHECK_STR(parts[0], "签到签到");
    CHECK_STR(parts[1], "签到");
    ob_parts_free(parts, n);
}

static enum kb_send_outcome classify(enum kb_http_outcome o, long status, const char *body,
                                     char *id, size_t cap)
{
    struct kb_http_response r = {.outcome = o, .status = status, .body = body,
                                 .body_len = body ? strlen(body) : 0};
    struct ob_answer a;
    ob_classify(&r, &a);
    if (id)
        snprintf(id, cap, "%s", a.message_id);
    ob_answer_free(&a);
    return a.outcome;
}

TEST(answers_are_classified)
{
    char id[16];
    CHECK_INT(classify(KB_HTTP_DONE, 200, "{\"status\":\"ok\",\"retcode\":0,\"data\":{\"message_id\":-2147483648}}",
                       id, sizeof id), KB_SEND_OK);
    CHECK_STR(id, "-2147483648");
    CHECK_INT(classify(KB_HTTP_DONE, 200, "{\"status\":\"async\",\"retcode\":1,\"data\":null}", id, sizeof id),
              KB_SEND_OK);
    CHECK_INT(classify(KB_HTTP_DONE, 401, "", NULL, 0), KB_SEND_FATAL);
    CHECK_INT(classify(KB_HTTP_DONE, 200, "{\"status\":\"failed\",\"retcode\":1403}", NULL, 0), KB_SEND_FATAL);
    CHECK_INT(classify(KB_HTTP_DONE, 404, "{}", NULL, 0), KB_SEND_FAILED);
    CHECK_INT(classify(KB_HTTP_DONE, 200, "{\"status\":\"failed\",\"retcode\":100}", NULL, 0), KB_SEND_FAILED);
    CHECK_INT(classify(KB_HTTP_DONE, 200, "{\"status\":\"failed\",\"retcode\":103}", NULL, 0), KB_SEND_RETRY);
    CHECK_INT(classify(KB_HTTP_DONE, 502, "bad gateway", NULL, 0), KB_SEND_RETRY);
    CHECK_INT(classify(KB_HTTP_DONE, 200, "{not json", NULL, 0), KB_SEND_RETRY);
    CHECK_INT(classify(KB_HTTP_NO_ANSWER, 0, NULL, NULL, 0), KB_SEND_RETRY_ONCE);
    CHECK_INT(classify(KB_HTTP_NOT_SENT, 0, NULL, NULL, 0), KB_SEND_RETRY);
}

TEST_MAIN(T(array_message_with_at_bot_is_the_command), T(cq_code_string_decodes_like_segments), T(owner_is_a_chat_admin_member_is_not), T(image_reply_and_face_segments), T(forwarded_message_is_never_a_command), T(message_ids_at_the_32_bit_bounds), T(private_chat_has_its_own_id_space), T(what_is_not_delivered), T(bot_membership_notices), T(send_encoding), T(buttons_become_lines_to_type), T(split_at_line_breaks_and_code_points), T(answers_are_classified))
