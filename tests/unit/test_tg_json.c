/* Telegram decoding/encoding against recorded payloads
   (tests/fixtures/telegram/; run from the repository root). */
#include <cjson/cJSON.h>
#include <math.h>

#include "../../adapters/telegram_json.h"
#include "../../core/util.h"
#include "../test.h"

#define FIX "tests/fixtures/telegram/"
#define NOW_S 1767230000

static char *load(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, FIX "%s", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 16);
    size_t n = buf ? fread(buf, 1, (1 << 16) - 1, f) : 0;
    fclose(f);
    if (buf)
        buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* Decode one fixture update; the caller clears u. */
static int decode(const char *name, struct tg_update *u)
{
    size_t len;
    char *raw = load(name, &len);
    if (!raw)
        TEST_FAIL("fixture %s missing (run from the repo root)", name);
    cJSON *j = cJSON_ParseWithLength(raw, len);
    free(raw);
    if (!j)
        TEST_FAIL("fixture %s is not JSON", name);
    int rc = tg_decode_update(j, "KocTestBot", NOW_S, u);
    cJSON_Delete(j);
    return rc;
}

/* ==== decoding ==== */

TEST(group_command)
{
    struct tg_update u;
    int rc = decode("group_command.json", &u);
    struct kb_event e = u.ev;
    int ok = rc == 0 && u.has_event;
    char chat[32], user[32], name[32], handle[16], lang[8], mid[8], text[16];
    snprintf(chat, sizeof chat, "%s", e.chat_id ? e.chat_id : "");
    snprintf(user, sizeof user, "%s", e.user_id ? e.user_id : "");
    snprintf(name, sizeof name, "%s", e.user_name ? e.user_name : "");
    snprintf(handle, sizeof handle, "%s", e.user_handle ? e.user_handle : "");
    snprintf(lang, sizeof lang, "%s", e.user_lang ? e.user_lang : "");
    snprintf(mid, sizeof mid, "%s", e.message_id ? e.message_id : "");
    snprintf(text, sizeof text, "%s", e.text ? e.text : "");
    int needs = u.needs_role, thread_null = e.thread_id == NULL;
    int64_t uid = u.update_id, t = e.time;
    tg_update_clear(&u);
    CHECK(ok);
    CHECK_INT(uid, 900000001);
    CHECK_INT(e.kind, KB_EV_MESSAGE);
    CHECK_INT(e.chat_type, KB_CHAT_GROUP);
    CHECK_STR(chat, "-1001234567890");
    CHECK_STR(user, "111222333");
    CHECK_STR(name, "Alice Liddell");
    CHECK_STR(handle, "alice");
    CHECK_STR(lang, "en");
    CHECK_STR(mid, "501");
    CHECK_STR(text, "/checkin");
    CHECK_STR(e.bot_username, "KocTestBot");
    CHECK_STR(e.platform, "tg");
    CHECK_INT(t, 1767225600);
    CHECK_INT(e.role, KB_ROLE_MEMBER);
    CHECK(needs);
    CHECK(thread_null);
}

TEST(command_to_our_bot_and_other_bot)
{
    struct tg_update u;
    CHECK_INT(decode("command_ourbot.json", &u), 0);
    int ours = u.has_event && u.needs_role && u.ev.text &&
               !strcmp(u.ev.text, "/vote@KocTestBot 3 2") && u.ev.bot_username &&
               !strcmp(u.ev.bot_username, "KocTestBot");
    tg_update_clear(&u);
    CHECK(ours);
    CHECK_INT(decode("command_otherbot.json", &u), 0);
    /* delivered (core decides to ignore it), but no role lookup is spent */
    int other = u.has_event && !u.needs_role && u.ev.text &&
                !strcmp(u.ev.text, "/top@OtherBot") && !strcmp(u.ev.bot_username, "KocTestBot");
    tg_update_clear(&u);
    CHECK(other);
}

TEST(forum_topic_message)
{
    struct tg_update u;
    CHECK_INT(decode("forum_topic.json", &u), 0);
    int thread = u.ev.thread_id && !strcmp(u.ev.thread_id, "77");
    int no_reply = u.ev.reply_to_message_id == NULL; /* topic creation is no reply */
    int name = u.ev.user_name && !strcmp(u.ev.user_name, "鲍勃");
    int lang = u.ev.user_lang && !strcmp(u.ev.user_lang, "zh-hans");
    int handle_null = u.ev.user_handle == NULL;
    tg_update_clear(&u);
    CHECK(thread);
    CHECK(no_reply);
    CHECK(name);
    CHECK(lang);
    CHECK(handle_null);
}

TEST(photo_with_caption_takes_largest)
{
    struct tg_update u;
    CHECK_INT(decode("photo_caption.json", &u), 0);
    char att[64] = "", text[64] = "";
    snprintf(att, sizeof att, "%s", u.ev.attachment ? u.ev.attachment : "");
    snprintf(text, sizeof text, "%s", u.ev.text ? u.ev.text : "");
    int has = u.has_event;
    tg_update_clear(&u);
    CHECK(has);
    CHECK_STR(att, "photo:AgACAgLarge");
    CHECK_STR(text, "/submit 12 done ✅");
}

TEST(document_in_private_chat)
{
    struct tg_update u;
    CHECK_INT(decode("document.json", &u), 0);
    char att[64] = "";
    snprintf(att, sizeof att, "%s", u.ev.attachment ? u.ev.attachment : "");
    int ok = u.has_event && u.ev.text == NULL && u.ev.chat_type == KB_CHAT_PRIVATE &&
             !u.needs_role;
    tg_update_clear(&u);
    CHECK(ok);
    CHECK_STR(att, "document:BQACAgDoc1");
}

TEST(reply_to_photo)
{
    struct tg_update u;
    CHECK_INT(decode("reply_to_photo.json", &u), 0);
    char a[32] = "", b[32] = "", c[64] = "";
    snprintf(a, sizeof a, "%s", u.ev.reply_to_message_id ? u.ev.reply_to_message_id : "");
    snprintf(b, sizeof b, "%s", u.ev.reply_to_user_id ? u.ev.reply_to_user_id : "");
    snprintf(c, sizeof c, "%s", u.ev.reply_to_attachment ? u.ev.reply_to_attachment : "");
    int own_att_null = u.ev.attachment == NULL;
    tg_update_clear(&u);
    CHECK_STR(a, "505");
    CHECK_STR(b, "444555666");
    CHECK_STR(c, "photo:AgACAgLarge");
    CHECK(own_att_null);
}

TEST(callback_query_presser_is_user)
{
    struct tg_update u;
    CHECK_INT(decode("callback_query.json", &u), 0);
    char id[32] = "", data[32] = "", user[32] = "", chat[32] = "", mid[16] = "";
    snprintf(id, sizeof id, "%s", u.ev.callback_id ? u.ev.callback_id : "");
    snprintf(data, sizeof data, "%s", u.ev.callback_data ? u.ev.callback_data : "");
    snprintf(user, sizeof user, "%s", u.ev.user_id ? u.ev.user_id : "");
    snprintf(chat, sizeof chat, "%s", u.ev.chat_id ? u.ev.chat_id : "");
    snprintf(mid, sizeof mid, "%s", u.ev.message_id ? u.ev.message_id : "");
    int ok = u.has_event && u.needs_role && u.ev.kind == KB_EV_CALLBACK &&
             u.ev.time == NOW_S;
    tg_update_clear(&u);
    CHECK(ok);
    CHECK_STR(id, "4382bfdwdsb323b2d9");
    CHECK_STR(data, "/vote 3 2");
    CHECK_STR(user, "444555666"); /* bob pressed; the bot wrote the message */
    CHECK_STR(chat, "-1001234567890");
    CHECK_STR(mid, "600");
}

TEST(edited_message_decoded_not_delivered)
{
    struct tg_update u;
    CHECK_INT(decode("edited_message.json", &u), 0);
    int ok = u.edited && !u.has_event && !u.needs_role && u.ev.kind == KB_EV_MESSAGE &&
             u.ev.text && !strcmp(u.ev.text, "/checkin again");
    tg_update_clear(&u);
    CHECK(ok);
}

TEST(migrate_to_chat_id)
{
    struct tg_update u;
    CHECK_INT(decode("migrate.json", &u), 0);
    char a[32] = "", b[32] = "";
    snprintf(a, sizeof a, "%s", u.ev.chat_id ? u.ev.chat_id : "");
    snprintf(b, sizeof b, "%s", u.ev.new_chat_id ? u.ev.new_chat_id : "");
    int ok = u.has_event && u.ev.kind == KB_EV_CHAT_MIGRATED;
    tg_update_clear(&u);
    CHECK(ok);
    CHECK_STR(a, "-4012345678");
    CHECK_STR(b, "-1009876543210");
}

TEST(my_chat_member_added_and_kicked)
{
    struct tg_update u;
    CHECK_INT(decode("my_chat_member_added.json", &u), 0);
    int added = u.has_event && u.ev.kind == KB_EV_BOT_MEMBERSHIP && u.ev.bot_active == 1 &&
                u.ev.chat_id && !strcmp(u.ev.chat_id, "-1001234567890") && u.ev.message_id;
    tg_update_clear(&u);
    CHECK(added);
    CHECK_INT(decode("my_chat_member_kicked.json", &u), 0);
    int kicked = u.has_event && u.ev.kind == KB_EV_BOT_MEMBERSHIP && u.ev.bot_active == 0;
    tg_update_clear(&u);
    CHECK(kicked);
}

TEST(anonymous_admin_uses_sender_chat)
{
    struct tg_update u;
    CHECK_INT(decode("anonymous_admin.json", &u), 0);
    char user[32] = "";
    snprintf(user, sizeof user, "%s", u.ev.user_id ? u.ev.user_id : "");
    int role = u.ev.role, needs = u.needs_role;
    tg_update_clear(&u);
    CHECK_INT(role, KB_ROLE_ANON_ADMIN);
    CHECK_STR(user, "-1001234567890");
    CHECK(strcmp(user, "1087968824") != 0);
    CHECK(!needs);
}

TEST(huge_id_rejected_big_id_survives)
{
    struct tg_update u;
    int rc = decode("huge_id.json", &u);
    int known = u.has_update_id, has = u.has_event;
    int64_t id = u.update_id;
    tg_update_clear(&u);
    CHECK_INT(rc, KB_EPARSE);
    CHECK(known);
    CHECK_INT(id, 900000014);
    CHECK(!has);

    CHECK_INT(decode("big_chat_id.json", &u), 0);
    char chat[32] = "", user[32] = "";
    snprintf(chat, sizeof chat, "%s", u.ev.chat_id ? u.ev.chat_id : "");
    snprintf(user, sizeof user, "%s", u.ev.user_id ? u.ev.user_id : "");
    int64_t cn = u.chat_num;
    tg_update_clear(&u);
    CHECK_STR(chat, "-1001234567890123");
    CHECK_STR(user, "8123456789");
    CHECK(cn == -1001234567890123LL);
}

TEST(invalid_utf8_rejected)
{
    struct tg_update u;
    int rc = decode("invalid_utf8.json", &u);
    int known = u.has_update_id, has = u.has_event;
    tg_update_clear(&u);
    CHECK_INT(rc, KB_EPARSE);
    CHECK(known);
    CHECK(!has);
}

TEST(read_id_limits)
{
    int64_t v = 0;
    cJSON *n = cJSON_CreateNumber(9007199254740992.0);
    CHECK_INT(tg_read_id(n, &v), 0);
    CHECK(v == 9007199254740992LL);
    cJSON_SetNumberValue(n, 9007199254740994.0);
    CHECK_INT(tg_read_id(n, &v), KB_EPARSE);
    cJSON_SetNumberValue(n, -1001234567890123.0);
    CHECK_INT(tg_read_id(n, &v), 0);
    CHECK(v == -1001234567890123LL);
    cJSON_SetNumberValue(n, 1.5);
    CHECK_INT(tg_read_id(n, &v), KB_EPARSE);
    n->valuedouble = INFINITY;
    CHECK_INT(tg_read_id(n, &v), KB_EPARSE);
    n->valuedouble = NAN;
    CHECK_INT(tg_read_id(n, &v), KB_EPARSE);
    cJSON_Delete(n);
    cJSON *s = cJSON_CreateString("123");
    CHECK_INT(tg_read_id(s, &v), KB_EPARSE);
    cJSON_Delete(s);
    CHECK_INT(tg_read_id(NULL, &v), KB_EPARSE);
    CHECK_INT(tg_parse_id_str("-1001234567890123", &v), 0);
    CHECK(v == -1001234567890123LL);
    CHECK_INT(tg_parse_id_str("12a", &v), KB_EINVAL);
    CHECK_INT(tg_parse_id_str("-", &v), KB_EINVAL);
    CHECK_INT(tg_parse_id_str("99999999999999999", &v), KB_EINVAL);
    CHECK_INT(tg_parse_id_str("@channel", &v), KB_EINVAL);
}

TEST(utf8_validator)
{
    CHECK(utf8_valid("abc", 3));
    CHECK(utf8_valid("签到 ✅ \xF0\x9F\x98\x80", strlen("签到 ✅ \xF0\x9F\x98\x80")));
    CHECK(!utf8_valid("\xC0\xAF", 2));          /* overlong '/' */
    CHECK(!utf8_valid("\xE0\x80\xAF", 3));      /* overlong */
    CHECK(!utf8_valid("\xED\xA0\x80", 3));      /* surrogate */
    CHECK(!utf8_valid("\xF4\x90\x80\x80", 4));  /* above U+10FFFF */
    CHECK(!utf8_valid("\xE7\xAD", 2));          /* truncated */
    CHECK(!utf8_valid("\xFF", 1));
    CHECK(!utf8_valid("a\x80", 2));
}

/* ==== responses ==== */

TEST(envelopes)
{
    struct tg_envelope env;
    size_t len;
    char *raw = load("not_json.json", &len);
    CHECK(raw);
    int rc = tg_envelope_parse(raw, len, &env);
    free(raw);
    tg_envelope_free(&env);
    CHECK_INT(rc, KB_EPARSE);

    raw = load("err_429.json", &len);
    rc = tg_envelope_parse(raw, len, &env);
    free(raw);
    long code = env.error_code, ra = env.retry_after_s;
    int ok = env.ok;
    char desc[256];
    snprintf(desc, sizeof desc, "%s", env.description);
    tg_envelope_free(&env);
    CHECK_INT(rc, 0);
    CHECK(!ok);
    CHECK_INT(code, 429);
    CHECK_INT(ra, 7);
    CHECK_STR(desc, "Too Many Requests: retry after 7");

    raw = load("get_me.json", &len);
    rc = tg_envelope_parse(raw, len, &env);
    free(raw);
    char name[64] = "";
    int prc = rc == 0 && env.ok ? tg_parse_me(env.result, name, sizeof name) : -99;
    tg_envelope_free(&env);
    CHECK_INT(prc, 0);
    CHECK_STR(name, "KocTestBot");

    CHECK_INT(tg_envelope_parse("{\"result\":1}", 12, &env), KB_EPARSE);
    CHECK_INT(tg_envelope_parse("", 0, &env), KB_EPARSE);

    raw = load("admins.json", &len);
    rc = tg_envelope_parse(raw, len, &env);
    free(raw);
    int64_t *ids = NULL;
    size_t n = 0;
    int arc = tg_parse_admins(env.result, &ids, &n);
    tg_envelope_free(&env);
    int has_alice = n == 2 && ids[0] == 111222333 && ids[1] == 7000000001LL;
    free(ids);
    CHECK_INT(arc, 0);
    CHECK(has_alice);
}

static struct tg_send_class classify(const char *fixture, long status, enum tg_method m)
{
    size_t len = 0;
    char *raw = fixture ? load(fixture, &len) : NULL;
    struct kb_http_response r = {KB_HTTP_DONE, status, raw, len, NULL};
    struct tg_send_class c;
    tg_classify_send(&r, m, &c);
    free(raw);
    return c;
}

TEST(send_classification)
{
    struct tg_send_class c = classify("send_ok.json", 200, TG_M_SEND);
    CHECK_INT(c.outcome, KB_SEND_OK);
    CHECK_STR(c.message_id, "7001");
    c = classify("err_429.json", 429, TG_M_SEND);
    CHECK_INT(c.outcome, KB_SEND_RETRY);
    CHECK_INT(c.retry_after_ms, 7000);
    c = classify("err_500.json", 500, TG_M_SEND);
    CHECK_INT(c.outcome, KB_SEND_RETRY);
    CHECK_INT(c.retry_after_ms, 0);
    c = classify("not_json.json", 502, TG_M_SEND);
    CHECK_INT(c.outcome, KB_SEND_RETRY);
    /* a 409 concerns polling; the send was refused, so it goes again (it was
       once a permanent failure that lost the reply, found by the fault suite) */
    c = classify("err_409.json", 409, TG_M_SEND);
    CHECK_INT(c.outcome, KB_SEND_RETRY);
    c = classify("err_400.json", 400, TG_M_SEND);
    CHECK_INT(c.outcome, KB_SEND_FAILED);
    CHECK_CONTAINS(c.description, "can't parse entities");
    c = classify("err_400_chat_not_found.json", 400, TG_M_SEND);
    CHECK_INT(c.outcome, KB_SEND_CHAT_GONE);
    c = classify("err_403.json", 403, TG_M_SEND);
    CHECK_INT(c.outcome, KB_SEND_CHAT_GONE);
    CHECK_CONTAINS(c.description, "kicked");
    /* the token is getMe's to judge; a proxy's page is a network fault */
    c = classify("err_401.json", 401, TG_M_SEND);
    CHECK_INT(c.outcome, KB_SEND_RETRY);
    c = classify("not_json.json", 403, TG_M_SEND);
    CHECK_INT(c.outcome, KB_SEND_RETRY);
    c = classify("not_json.json", 400, TG_M_SEND);
    CHECK_INT(c.outcome, KB_SEND_RETRY);
    c = classify("err_400_not_modified.json", 400, TG_M_EDIT);
    CHECK_INT(c.outcome, KB_SEND_OK);
    c = classify("err_400_not_modified.json", 400, TG_M_SEND);
    CHECK_INT(c.outcome, KB_SEND_FAILED);
    c = classify("not_json.json", 200, TG_M_SEND);
    CHECK_INT(c.outcome, KB_SEND_RETRY_ONCE);

    struct kb_http_response r = {KB_HTTP_NOT_SENT, 0, NULL, 0, "connect refused"};
    tg_classify_send(&r, TG_M_SEND, &c);
    CHECK_INT(c.outcome, KB_SEND_RETRY);
    CHECK_INT(c.retry_after_ms, 0);
    r.outcome = KB_HTTP_NO_ANSWER;
    tg_classify_send(&r, TG_M_SEND, &c);
    CHECK_INT(c.outcome, KB_SEND_RETRY_ONCE);
}

/* ==== encoding ==== */

static cJSON *parse_free(char *s)
{
    cJSON *j = s ? cJSON_Parse(s) : NULL;
    free(s);
    return j;
}

TEST(encode_send_message)
{
    struct kb_reply r = {0};
    r.kind = KB_REPLY_SEND;
    r.chat_id = "-1001234567890123";
    r.thread_id = "77";
    r.reply_to = "505";
    r.buttons = "Yes\x1f/vote 3 1\tNo &amp; never\x1f/vote 3 2\nMore\x1f/polls";
    char *body = tg_encode_send_dup(&r, "<b>Poll</b> &lt;3", 1);
    CHECK(body);
    /* the id goes out as an exact integer, not a rounded double */
    int exact = strstr(body, "\"chat_id\":-1001234567890123") != NULL;
    int thread = strstr(body, "\"message_thread_id\":77") != NULL;
    cJSON *j = parse_free(body);
    CHECK(exact);
    CHECK(thread);
    CHECK(j);
    const cJSON *text = cJSON_GetObjectItem(j, "text");
    const cJSON *pm = cJSON_GetObjectItem(j, "parse_mode");
    const cJSON *rp = cJSON_GetObjectItem(j, "reply_parameters");
    const cJSON *kb = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "reply_markup"),
                                          "inline_keyboard");
    int ok = cJSON_IsString(text) && !strcmp(text->valuestring, "<b>Poll</b> &lt;3") &&
             cJSON_IsString(pm) && !strcmp(pm->valuestring, "HTML") &&
             cJSON_GetObjectItem(rp, "message_id") &&
             cJSON_GetObjectItem(rp, "message_id")->valuedouble == 505 &&
             cJSON_IsTrue(cJSON_GetObjectItem(rp, "allow_sending_without_reply")) &&
             cJSON_GetArraySize(kb) == 2 && cJSON_GetArraySize(cJSON_GetArrayItem(kb, 0)) == 2 &&
             cJSON_GetArraySize(cJSON_GetArrayItem(kb, 1)) == 1;
    const cJSON *b1 = cJSON_GetArrayItem(cJSON_GetArrayItem(kb, 0), 1);
    int btn = b1 && !strcmp(cJSON_GetObjectItem(b1, "text")->valuestring, "No & never") &&
              !strcmp(cJSON_GetObjectItem(b1, "callback_data")->valuestring, "/vote 3 2");
    cJSON_Delete(j);
    CHECK(ok);
    CHECK(btn);

    /* no thread, no reply, no buttons; a non-numeric chat id stays a string */
    struct kb_reply r2 = {0};
    r2.chat_id = "@kocchannel";
    r2.buttons = "";
    body = tg_encode_send_dup(&r2, "hi", 1);
    CHECK(body);
    int plain = !strstr(body, "message_thread_id") && !strstr(body, "reply_parameters") &&
                !strstr(body, "reply_markup") && strstr(body, "\"chat_id\":\"@kocchannel\"");
    free(body);
    CHECK(plain);
}

/* What tg_encode_send_dup printed when it built a cJSON tree: the wire
   format the hand-written encoder must keep. */
static int ref_add_id(cJSON *obj, const char *name, const char *s)
{
    int64_t v;
    if (tg_parse_id_str(s, &v) == 0) {
        char buf[24];
        snprintf(buf, sizeof buf, "%" PRId64, v);
        return cJSON_AddRawToObject(obj, name, buf) != NULL;
    }
    return cJSON_AddStringToObject(obj, name, s ? s : "") != NULL;
}

static char *ref_encode_send(const struct kb_reply *r, const char *text, int with_buttons)
{
    cJSON *o = cJSON_CreateObject();
    ref_add_id(o, "chat_id", r->chat_id);
    cJSON_AddStringToObject(o, "text", text ? text : "");
    cJSON_AddStringToObject(o, "parse_mode", "HTML");
    if (r->thread_id && *r->thread_id)
        ref_add_id(o, "message_thread_id", r->thread_id);
    if (r->reply_to && *r->reply_to) {
        cJSON *rp = cJSON_AddObjectToObject(o, "reply_parameters");
        ref_add_id(rp, "message_id", r->reply_to);
        cJSON_AddTrueToObject(rp, "allow_sending_without_reply");
    }
    cJSON *m = with_buttons ? tg_buttons_markup(r->buttons) : NULL;
    if (m)
        cJSON_AddItemToObject(o, "reply_markup", m);
    char *out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return out;
}

TEST(encode_send_matches_cjson_byte_for_byte)
{
    /* every byte value once, quotes, backslashes, control characters,
       UTF-8 and bytes that are not */
    char all[256];
    for (int i = 1; i < 256; i++)
        all[i - 1] = (char)i;
    all[255] = '\0';
    const char *texts[] = {all, "", "plain", "say \"hi\" \\ there\n\ttab\r\b\f\x01\x1f\x7f",
                           "中文 <b>粗体</b> &amp; 🎉", "\xff\xfe broken \xc3"};
    const char *chats[] = {"-1001234567890123", "@kocchannel", "9007199254740993", "0", NULL};
    const char *threads[] = {NULL, "", "77", "x\"y"};
    const char *replies[] = {NULL, "", "505", "-3"};
    const char *buttons[] = {NULL, "", "Yes\x1f/vote 3 1\tNo &amp; \"never\"\x1f/vote 3 2\nMore\x1f/polls"};
    int cases = 0, same = 0;
    for (size_t t = 0; t < sizeof texts / sizeof *texts; t++)
        for (size_t c = 0; c < sizeof chats / sizeof *chats; c++)
            for (size_t h = 0; h < sizeof threads / sizeof *threads; h++)
                for (size_t y = 0; y < sizeof replies / sizeof *replies; y++)
                    for (size_t b = 0; b < sizeof buttons / sizeof *buttons; b++)
                        for (int with = 0; with < 2; with++) {
                            struct kb_reply r = {0};
                            r.kind = KB_REPLY_SEND;
                            r.chat_id = chats[c];
                            r.thread_id = threads[h];
                            r.reply_to = replies[y];
                            r.buttons = buttons[b];
                            char *want = ref_encode_send(&r, texts[t], with);
                            char *got = tg_encode_send_dup(&r, texts[t], with);
                            cases++;
                            if (want && got && strcmp(want, got) == 0)
                                same++;
                            else if (same == cases - 1)
                                fprintf(stderr, "want %s\ngot  %s\n", want, got);
                            free(want);
                            free(got);
                        }
    CHECK_INT(same, cases);
}

/* The classification of a 200 answer as cJSON reads it (the reference the
   fast reading of the usual answer must agree with). */
static void ref_classify_200(const char *body, struct tg_send_class *out)
{
    memset(out, 0, sizeof *out);
    out->http_status = 200;
    struct tg_envelope env;
    int prc = tg_envelope_parse(body, strlen(body), &env);
    if (prc == 0)
        snprintf(out->description, sizeof out->description, "%s", env.description);
    if (prc == 0 && env.ok) {
        out->outcome = KB_SEND_OK;
        int64_t mid;
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(env.result, "message_id");
        if (tg_read_id(m, &mid) == 0)
            snprintf(out->message_id, sizeof out->message_id, "%" PRId64, mid);
    } else {
        out->outcome = KB_SEND_RETRY_ONCE;
        snprintf(out->description, sizeof out->description, "unreadable answer");
    }
    tg_envelope_free(&env);
}

TEST(send_answers_read_as_cjson_reads_them)
{
    const char *bodies[] = {
        "{\"ok\":true,\"result\":{\"message_id\":42,\"chat\":{\"id\":-100,\"type\":\"group\"},"
        "\"text\":\"a \\\"b\\\" \\u4e2d \\n\",\"entities\":[{\"offset\":0,\"length\":1}],"
        "\"date\":1.7e9,\"x\":[true,false,null,-0.5e-3,[],{}]}}",
        " \r\n{ \"ok\" : true , \"result\" : { \"message_id\" : -7 } } \n",
        "{\"ok\":true,\"result\":true}",
        "{\"ok\":true}",
        "{\"ok\":true,\"result\":[1,2]}",
        "{\"ok\":true,\"result\":{}}",
        "{\"ok\":true,\"result\":{\"message_id\":9007199254740993}}",
        "{\"ok\":true,\"result\":{\"message_id\":900719925474099}}",
        "{\"ok\":true,\"result\":{\"message_id\":5.0}}",
        "{\"ok\":true,\"result\":{\"message_id\":5.5}}",
        "{\"ok\":true,\"result\":{\"message_id\":\"5\"}}",
        "{\"ok\":true,\"result\":{\"message_id\":0123}}",
        "{\"ok\":true,\"result\":{\"message_id\":1,\"message_id\":2}}",
        "{\"ok\":true,\"ok\":false,\"result\":{\"message_id\":3}}",
        "{\"ok\":false,\"ok\":true,\"result\":{\"message_id\":3}}",
        "{\"o\\u006b\":true,\"result\":{\"message_id\":3}}",
        "{\"ok\":true,\"result\":{\"message\\u005fid\":3}}",
        "{\"ok\":true,\"description\":\"fine\",\"result\":{\"message_id\":3}}",
        "{\"ok\":true,\"result\":{\"message_id\":3,\"text\":\"\\ud83c\\udf89\"}}",
        "{\"ok\":true,\"result\":{\"message_id\":3,\"text\":\"\\ud83c\"}}",
        "{\"ok\":true,\"result\":{\"message_id\":3}} trailing",
        "{\"ok\":true,\"result\":{\"message_id\":3}",
        "{\"ok\":true,\"result\":{\"message_id\":3,}}",
        "{\"ok\":true,\"result\":{\"message_id\":3,\"t\":\"raw\ttab\"}}",
        "{\"ok\":true,\"result\":{\"message_id\":3,\"t\":\"\\x\"}}",
        "{\"ok\":\"true\",\"result\":{\"message_id\":3}}",
        "{\"ok\":1,\"result\":{\"message_id\":3}}",
        "[{\"ok\":true}]",
        "not json",
        "{\"ok\":true,\"result\":{\"message_id\":3,\"deep\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}",
        "{\"ok\":true,\"result\":{\"message_id\":3,\"n\":1234567890123456789012345678901234567890123456789012345678901234567890}}",
        "{\"ok\":tru,\"result\":{\"message_id\":3}}",
        "{\"ok\":true,\"result\":{\"message_id\":-}}",
    };
    int same = 0, n = (int)(sizeof bodies / sizeof *bodies);
    for (int i = 0; i < n; i++) {
        struct kb_http_response resp = {.outcome = KB_HTTP_DONE, .status = 200,
                                        .body = bodies[i], .body_len = strlen(bodies[i])};
        struct tg_send_class got, want;
        tg_classify_send(&resp, TG_M_SEND, &got);
        ref_classify_200(bodies[i], &want);
        if (got.outcome == want.outcome && !strcmp(got.message_id, want.message_id) &&
            !strcmp(got.description, want.description) && got.http_status == 200)
            same++;
        else
            fprintf(stderr, "body %d: got %d \"%s\" \"%s\", want %d \"%s\" \"%s\"\n", i,
                    got.outcome, got.message_id, got.description, want.outcome,
                    want.message_id, want.description);
    }
    CHECK_INT(same, n);
}

TEST(encode_buttons_drop_bad_data)
{
    char long_data[80];
    memset(long_data, 'x', 70);
    long_data[70] = '\0';
    char buttons[128];
    snprintf(buttons, sizeof buttons, "Bad\x1f%s\tNoSep\tGood\x1f/help", long_data);
    cJSON *m = tg_buttons_markup(buttons);
    CHECK(m);
    const cJSON *kb = cJSON_GetObjectItem(m, "inline_keyboard");
    int ok = cJSON_GetArraySize(kb) == 1 && cJSON_GetArraySize(cJSON_GetArrayItem(kb, 0)) == 1;
    cJSON_Delete(m);
    CHECK(ok);
    CHECK(tg_buttons_markup(NULL) == NULL);
    CHECK(tg_buttons_markup("only labels") == NULL);
}

TEST(encode_edit_answer_updates_commands)
{
    struct kb_reply r = {0};
    r.kind = KB_REPLY_EDIT;
    r.chat_id = "-1001234567890";
    r.edit_message_id = "600";
    r.buttons = "Close\x1f/poll close 3";
    char *b = tg_encode_edit_dup(&r, "<b>closed</b>");
    CHECK(b);
    int ok = strstr(b, "\"message_id\":600") && strstr(b, "\"chat_id\":-1001234567890") &&
             strstr(b, "inline_keyboard") && strstr(b, "\"parse_mode\":\"HTML\"");
    free(b);
    CHECK(ok);

    struct kb_reply a = {0};
    a.kind = KB_REPLY_ANSWER;
    a.callback_id = "4382bfdwdsb323b2d9";
    a.text = "<b>Voted</b> &amp; counted";
    b = tg_encode_answer_dup(&a);
    CHECK(b);
    ok = strstr(b, "\"callback_query_id\":\"4382bfdwdsb323b2d9\"") &&
         strstr(b, "\"text\":\"Voted & counted\"") && !strstr(b, "parse_mode");
    free(b);
    CHECK(ok);

    b = tg_encode_get_updates_dup("900000016", 25);
    CHECK(b);
    ok = strstr(b, "\"offset\":900000016") && strstr(b, "\"timeout\":25") &&
         strstr(b, "\"allowed_updates\":[\"message\",\"edited_message\",\"callback_query\","
                   "\"my_chat_member\"]");
    free(b);
    CHECK(ok);
    b = tg_encode_get_updates_dup("", 25);
    ok = b && !strstr(b, "offset");
    free(b);
    CHECK(ok);

    struct kb_menu menu;
    menu_build(&menu, "zh-CN");
    b = tg_encode_commands_dup(&menu);
    menu_free(&menu);
    cJSON *j = parse_free(b);
    CHECK(j);
    const cJSON *cmds = cJSON_GetObjectItem(j, "commands");
    ok = cJSON_GetArraySize(cmds) >= 10 &&
         !strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(cmds, 0), "command")->valuestring,
                 "checkin") &&
         !strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(cmds, 0), "description")->valuestring,
                 "每日签到（也可以直接发“签到”或“打卡”）") &&
         !strcmp(cJSON_GetObjectItem(j, "language_code")->valuestring, "zh") &&
         !cJSON_GetObjectItem(j, "scope");
    cJSON_Delete(j);
    CHECK(ok);
}

/* getFile's answer: a plain relative path only (it goes into the download
   URL), and a file announced over the limit is refused before it is fetched. */
static int parse_file(const char *json, size_t max, char *path, size_t cap)
{
    cJSON *j = cJSON_Parse(json);
    int rc = tg_parse_file(j, max, path, cap);
    cJSON_Delete(j);
    return rc;
}

TEST(get_file_result)
{
    char path[64];
    CHECK_INT(parse_file("{\"file_id\":\"x\",\"file_size\":900,\"file_path\":\"photos/file_7.jpg\"}",
                         1000, path, sizeof path), 0);
    CHECK_STR(path, "photos/file_7.jpg");
    CHECK_INT(parse_file("{\"file_size\":1001,\"file_path\":\"photos/a.jpg\"}", 1000, path, sizeof path),
              KB_ETOOBIG);
    CHECK_INT(parse_file("{\"file_path\":\"../bot123/getMe\"}", 1000, path, sizeof path), KB_EPARSE);
    CHECK_INT(parse_file("{\"file_path\":\"/etc/passwd\"}", 1000, path, sizeof path), KB_EPARSE);
    CHECK_INT(parse_file("{\"file_path\":\"a.jpg?x=1\"}", 1000, path, sizeof path), KB_EPARSE);
    CHECK_INT(parse_file("{\"file_path\":\"a b.jpg\"}", 1000, path, sizeof path), KB_EPARSE);
    CHECK_INT(parse_file("{\"file_id\":\"x\"}", 1000, path, sizeof path), KB_EPARSE); /* expired: no path */
    CHECK_INT(parse_file("{\"file_path\":\"photos/a.jpg\"}", 1000, path, 8), KB_EPARSE);
}

TEST_MAIN(T(group_command), T(command_to_our_bot_and_other_bot), T(forum_topic_message),
          T(photo_with_caption_takes_largest), T(document_in_private_chat),
          T(reply_to_photo), T(callback_query_presser_is_user),
          T(edited_message_decoded_not_delivered), T(migrate_to_chat_id),
          T(my_chat_member_added_and_kicked), T(anonymous_admin_uses_sender_chat),
          T(huge_id_rejected_big_id_survives), T(invalid_utf8_rejected), T(read_id_limits),
          T(utf8_validator), T(envelopes), T(send_classification),
          T(encode_send_message), T(encode_send_matches_cjson_byte_for_byte),
          T(send_answers_read_as_cjson_reads_them),
          T(encode_buttons_drop_bad_data),
          T(encode_edit_answer_updates_commands), T(get_file_result))
