/*
 * Trust at the Telegram edge: forwards are marked, a text_mention names a
 * user by id, a damaged getUpdates answer still yields its readable
 * updates, and update ids keep every digit.
 */
#include "../../adapters/telegram_json.h"
#include "../test.h"

static int decode_text(const char *json, struct tg_update *u)
{
    cJSON *j = cJSON_Parse(json);
    if (!j)
        TEST_FAIL("not JSON: %s", json);
    int rc = tg_decode_update(j, "KocTestBot", 1795391940, u);
    cJSON_Delete(j);
    return rc;
}

#define MSG(extra)                                                                           \
    "{\"update_id\":7,\"message\":{\"message_id\":3,\"date\":1795391940,"                   \
    "\"chat\":{\"id\":-100,\"type\":\"supergroup\",\"title\":\"G\"},"                       \
    "\"from\":{\"id\":1,\"first_name\":\"Op\"}," extra "}}"

TEST(forwards_are_marked)
{
    static const char *const forwards[] = {
        MSG("\"text\":\"/grant points 1000 @eve x\",\"forward_origin\":{\"type\":\"hidden_user\","
            "\"date\":1,\"sender_user_name\":\"Eve\"}"),
        MSG("\"text\":\"/checkin\",\"forward_from\":{\"id\":9,\"first_name\":\"Eve\"},\"forward_date\":1"),
        MSG("\"text\":\"/checkin\",\"forward_from_chat\":{\"id\":-5,\"type\":\"channel\"}"),
        MSG("\"text\":\"/checkin\",\"is_automatic_forward\":true"),
    };
    for (size_t i = 0; i < 4; i++) {
        struct tg_update u;
        CHECK_INT(decode_text(forwards[i], &u), 0);
        CHECK_INT(u.has_event, 1);
        CHECK_INT(u.ev.forwarded, 1);
        CHECK_INT(u.needs_role, 0); /* no command, so no role lookup */
        tg_update_clear(&u);
    }
    struct tg_update u;
    CHECK_INT(decode_text(MSG("\"text\":\"/checkin\",\"is_automatic_forward\":false"), &u), 0);
    CHECK_INT(u.ev.forwarded, 0);
    tg_update_clear(&u);
}

TEST(a_text_mention_names_the_user_by_id)
{
    struct tg_update u;
    /* "/grant points 5 " is 16 units; "😀Ann" is 2 + 3 */
    CHECK_INT(decode_text(MSG("\"text\":\"/grant points 5 😀Ann for it\",\"entities\":["
                              "{\"type\":\"bot_command\",\"offset\":0,\"length\":6},"
                              "{\"type\":\"text_mention\",\"offset\":16,\"length\":5,"
                              "\"user\":{\"id\":4242,\"first_name\":\"Ann\"}}]"),
                          &u),
              0);
    CHECK_STR(u.ev.text, "/grant points 5 @4242 for it");
    tg_update_clear(&u);
    /* out of range: the text stays as it was */
    CHECK_INT(decode_text(MSG("\"text\":\"/why Ann\",\"entities\":[{\"type\":\"text_mention\","
                              "\"offset\":5,\"length\":9,\"user\":{\"id\":1}}]"),
                          &u),
              0);
    CHECK_STR(u.ev.text, "/why Ann");
    tg_update_clear(&u);
    /* chatter is not rewritten */
    CHECK_INT(decode_text(MSG("\"text\":\"hi Ann\",\"entities\":[{\"type\":\"text_mention\","
                              "\"offset\":3,\"length\":3,\"user\":{\"id\":1}}]"),
                          &u),
              0);
    CHECK_STR(u.ev.text, "hi Ann");
    tg_update_clear(&u);
}

TEST(a_damaged_answer_still_yields_its_updates)
{
    const char *body = "{\"ok\":true,\"result\":[{\"update_id\":1,\"message\":{\"text\":\"a, ] }\"}},"
                       " {\"update_id\":2,\"message\":{\"text\":\"\\ud800\"}} ,"
                       "{\"update_id\":9007199254740993,\"x\":[1,{\"y\":\"\\\"]\"}]}]}";
    CHECK(!cJSON_Parse(body)); /* cJSON refuses the whole answer */
    struct tg_span *items;
    size_t n;
    CHECK_INT(tg_split_updates(body, strlen(body), &items, &n), 0);
    CHECK_INT(n, 3);
    int64_t id;
    CHECK_INT(tg_raw_update_id(items[0].p, items[0].len, &id), 0);
    CHECK_INT(id, 1);
    CHECK_INT(tg_raw_update_id(items[1].p, items[1].len, &id), 0);
    CHECK_INT(id, 2);
    CHECK(!cJSON_ParseWithLength(items[1].p, items[1].len));
    cJSON *ok = cJSON_ParseWithLength(items[0].p, items[0].len);
    CHECK(ok);
    cJSON_Delete(ok);
    CHECK_INT(tg_raw_update_id(items[2].p, items[2].len, &id), 0);
    CHECK_INT(id, 9007199254740993LL); /* every digit, past 2^53 */
    free(items);

    static const char *const refused[] = {"", "[]", "{\"ok\":false,\"result\":[]}", "{\"ok\":true}",
                                          "{\"ok\":true,\"result\":[{\"update_id\":1}", "<html>404</html>"};
    for (size_t i = 0; i < 6; i++)
        CHECK_INT(tg_split_updates(refused[i], strlen(refused[i]), &items, &n), KB_EPARSE);
    CHECK_INT(tg_split_updates("{\"result\":[],\"ok\":true}", 24, &items, &n), 0);
    CHECK_INT(n, 0);
    free(items);
    static const char *const bad_ids[] = {"{\"update_id\":-1}", "{\"update_id\":1e3}",
                                          "{\"update_id\":99999999999999999999}", "{\"x\":1}",
                                          "{\"m\":{\"update_id\":5}}"};
    for (size_t i = 0; i < 5; i++)
        CHECK_INT(tg_raw_update_id(bad_ids[i], strlen(bad_ids[i]), &id), KB_EPARSE);
}

TEST(a_raw_copy_is_valid_text)
{
    char *c = tg_raw_copy_dup("ok \xff\xfe é 😀", 13, 4096);
    CHECK_STR(c, "ok ?? é 😀");
    free(c);
    c = tg_raw_copy_dup("abc😀", 7, 5); /* never cut inside a character */
    CHECK_STR(c, "abc");
    free(c);
}

TEST_MAIN(T(forwards_are_marked), T(a_text_mention_names_the_user_by_id),
          T(a_damaged_answer_still_yields_its_updates), T(a_raw_copy_is_valid_text))
