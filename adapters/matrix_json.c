/*
 * Matrix client-server API v3 decoding and encoding; see matrix_json.h.
 */
#include "matrix_json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/markup.h"
#include "../core/util.h"

/* ---- errors and send outcomes ----------------------------------------- */

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    n = utf8_clip(src ? src : "", n, cap - 1);
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
}

void mx_error_read(const struct kb_http_response *resp, struct mx_error *out)
{
    memset(out, 0, sizeof *out);
    out->retry_after_ms = -1;
    if (resp->outcome != KB_HTTP_DONE)
        return;
    out->status = resp->status;
    cJSON *root = resp->body ? cJSON_ParseWithLength(resp->body, resp->body_len) : NULL;
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return;
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "errcode");
    if (cJSON_IsString(v))
        copy_str(out->errcode, sizeof out->errcode, v->valuestring);
    v = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (cJSON_IsString(v))
        copy_str(out->error, sizeof out->error, v->valuestring);
    v = cJSON_GetObjectItemCaseSensitive(root, "retry_after_ms");
    if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 86400000.0)
        out->retry_after_ms = (long)v->valuedouble;
    cJSON_Delete(root);
}

void mx_classify_send(const struct kb_http_response *resp, struct mx_send_class *out)
{
    memset(out, 0, sizeof *out);
    if (resp->outcome != KB_HTTP_DONE) {
        out->outcome = KB_SEND_RETRY; /* same txnId: a repeat cannot post twice */
        snprintf(out->description, sizeof out->description, "%s",
                 resp->error ? resp->error : "no answer");
        return;
    }
    struct mx_error err;
    mx_error_read(resp, &err);
    snprintf(out->description, sizeof out->description, "status %ld %.60s %.200s", resp->status,
             err.errcode, err.error);
    if (resp->status == 200) {
        cJSON *root = cJSON_ParseWithLength(resp->body ? resp->body : "", resp->body_len);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "event_id");
        if (cJSON_IsString(id) && id->valuestring[0] == '$' &&
            strlen(id->valuestring) < sizeof out->event_id &&
            utf8_valid(id->valuestring, strlen(id->valuestring))) {
            out->outcome = KB_SEND_OK;
            memcpy(out->event_id, id->valuestring, strlen(id->valuestring) + 1);
            out->description[0] = '\0';
        } else {
            out->outcome = KB_SEND_RETRY; /* unreadable answer: ask again, same txnId */
            snprintf(out->description, sizeof out->description, "answer without an event_id");
        }
        cJSON_Delete(root);
        return;
    }
    switch (resp->status) {
    case 429:
        out->outcome = KB_SEND_RETRY;
        out->retry_after_ms = err.retry_after_ms > 0 ? err.retry_after_ms : 0;
        break;
    case 401:
        out->outcome = KB_SEND_FATAL;
        break;
    case 403:
        out->outcome = KB_SEND_CHAT_GONE; /* not (or no longer) allowed to post there */
        break;
    default:
        out->outcome = resp->status >= 500 ? KB_SEND_RETRY : KB_SEND_FAILED;
    }
}

/* ---- transaction ids ---------------------------------------------------- */

int mx_txn_id(const char *nonce, int64_t row, char *out, size_t cap)
{
    int n = snprintf(out, cap, "kb%s.%" PRId64, nonce, row);
    return n < 0 || (size_t)n >= cap ? KB_ETOOBIG : KB_OK;
}

int64_t mx_txn_row(const char *nonce, const char *txn)
{
    size_t nl = strlen(nonce);
    if (!txn || strncmp(txn, "kb", 2) != 0 || strncmp(txn + 2, nonce, nl) != 0 ||
        txn[2 + nl] != '.')
        return 0;
    int64_t row = 0;
    return parse_i64(txn + 3 + nl, 1, INT64_MAX / 2, &row) ? 0 : row;
}

/* ---- markup ----------------------------------------------------------- */

char *mx_html_dup(const char *markup)
{
    /* the shared sanitizer keeps kb markup's tags and entities; Matrix HTML
       wants its line breaks as <br> */
    char *clean = markup_sanitize_dup(markup ? markup : "");
    struct sbuf b = {0};
    for (const char *p = clean; *p; p++) {
        if (*p == '\n')
            sbuf_add(&b, "<br>");
        else
            sbuf_addc(&b, *p);
    }
    free(clean);
    return b.s ? sbuf_take(&b) : xstrdup("");
}

/* ---- buttons as keycap reactions ---------------------------------------- */

static const char *const keycaps[MX_MAX_BUTTONS] = {
    "1\xEF\xB8\x8F\xE2\x83\xA3", "2\xEF\xB8\x8F\xE2\x83\xA3", "3\xEF\xB8\x8F\xE2\x83\xA3",
    "4\xEF\xB8\x8F\xE2\x83\xA3", "5\xEF\xB8\x8F\xE2\x83\xA3", "6\xEF\xB8\x8F\xE2\x83\xA3",
    "7\xEF\xB8\x8F\xE2\x83\xA3", "8\xEF\xB8\x8F\xE2\x83\xA3", "9\xEF\xB8\x8F\xE2\x83\xA3",
    "\xF0\x9F\x94\x9F"};

const char *mx_keycap(size_t i)
{
    return i < MX_MAX_BUTTONS ? keycaps[i] : "";
}

int mx_keycap_index(const char *key)
{
    if (!key)
        return -1;
    for (int i = 0; i < MX_MAX_BUTTONS; i++)
        if (strcmp(key, keycaps[i]) == 0)
            return i;
    /* some clients send the keycap without the variation selector */
    if (key[0] >= '1' && key[0] <= '9' && strcmp(key + 1, "\xE2\x83\xA3") == 0)
        return key[0] - '1';
    return -1;
}

void mx_buttons_parse(const char *buttons, struct mx_buttons *out)
{
    memset(out, 0, sizeof *out);
    const char *p = buttons ? buttons : "";
    while (*p && out->n < MX_MAX_BUTTONS) {
        size_t len = strcspn(p, "\t\n");
        const char *sep = memchr(p, KB_BUTTON_FIELD_SEP, len);
        if (sep && sep + 1 < p + len) {
            out->label[out->n] = xstrndup(p, (size_t)(sep - p));
            out->data[out->n] = xstrndup(sep + 1, (size_t)(p + len - sep - 1));
            out->n++;
        }
        p += len;
        if (*p)
            p++;
    }
}

void mx_buttons_free(struct mx_buttons *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->label[i]);
        free(b->data[i]);
    }
    b->n = 0;
}

int mx_content_buttons(const cJSON *content, struct mx_buttons *out)
{
    memset(out, 0, sizeof *out);
    const cJSON *nc = cJSON_GetObjectItemCaseSensitive(content, "m.new_content");
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(cJSON_IsObject(nc) ? nc : content,
                                                        "org.kocbot.buttons");
    if (!cJSON_IsArray(arr))
        return KB_ENOTFOUND;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        if (out->n >= MX_MAX_BUTTONS)
            break;
        if (!cJSON_IsString(it) || !*it->valuestring ||
            !utf8_valid(it->valuestring, strlen(it->valuestring)))
            continue;
        out->label[out->n] = xstrdup("");
        out->data[out->n] = xstrdup(it->valuestring);
        out->n++;
    }
    return KB_OK;
}

/* ---- message content ------------------------------------------------------ */

static void add_content(cJSON *obj, const char *prefix, const char *plain, const char *html,
                        size_t max_bytes)
{
    struct sbuf body = {0}, fbody = {0};
    sbuf_add(&body, prefix);
    sbuf_addn(&body, plain, utf8_clip(plain, strlen(plain), max_bytes));
    sbuf_add(&fbody, prefix);
    sbuf_add(&fbody, html);
    cJSON_AddStringToObject(obj, "msgtype", "m.notice");
    cJSON_AddStringToObject(obj, "body", sbuf_str(&body));
    if (fbody.len <= max_bytes) { /* a cut would break the HTML: plain only then */
        cJSON_AddStringToObject(obj, "format", "org.matrix.custom.html");
        cJSON_AddStringToObject(obj, "formatted_body", sbuf_str(&fbody));
    }
    sbuf_free(&body);
    sbuf_free(&fbody);
}

static void add_buttons(cJSON *obj, const struct mx_buttons *bt)
{
    if (!bt->n)
        return;
    cJSON *arr = cJSON_AddArrayToObject(obj, "org.kocbot.buttons");
    for (size_t i = 0; arr && i < bt->n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(bt->data[i]));
}

char *mx_encode_message_dup(const struct kb_reply *r, size_t max_bytes)
{
    if (!r || !r->text || (r->kind == KB_REPLY_EDIT && !r->edit_message_id))
        return NULL;
    struct mx_buttons bt;
    mx_buttons_parse(r->buttons, &bt);
    /* the buttons become lines under the text: react with the keycap */
    struct sbuf markup = {0};
    sbuf_add(&markup, r->text);
    for (size_t i = 0; i < bt.n; i++) {
        sbuf_addc(&markup, '\n');
        sbuf_add(&markup, mx_keycap(i));
        sbuf_addc(&markup, ' ');
        sbuf_add(&markup, bt.label[i]);
    }
    char *plain = markup_plain_dup(sbuf_str(&markup), 0, 0);
    char *html = mx_html_dup(sbuf_str(&markup));
    sbuf_free(&markup);
    cJSON *root = cJSON_CreateObject();
    if (r->kind == KB_REPLY_EDIT) {
        add_content(root, "* ", plain, html, max_bytes);
        cJSON *nc = cJSON_AddObjectToObject(root, "m.new_content");
        add_content(nc, "", plain, html, max_bytes);
        add_buttons(nc, &bt);
        cJSON *rel = cJSON_AddObjectToObject(root, "m.relates_to");
        cJSON_AddStringToObject(rel, "rel_type", "m.replace");
        cJSON_AddStringToObject(rel, "event_id", r->edit_message_id);
    } else {
        add_content(root, "", plain, html, max_bytes);
        add_buttons(root, &bt);
        if (r->reply_to && r->reply_to[0] == '$') {
            cJSON *rel = cJSON_AddObjectToObject(root, "m.relates_to");
            cJSON *irt = cJSON_AddObjectToObject(rel, "m.in_reply_to");
            cJSON_AddStringToObject(irt, "event_id", r->reply_to);
        }
    }
    char *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    free(plain);
    free(html);
    mx_buttons_free(&bt);
    return out;
}

const char *mx_strip_reply_fallback(const char *body)
{
    if (!body || body[0] != '>')
        return body;
    const char *p = body;
    while (*p == '>') {
        const char *nl = strchr(p, '\n');
        if (!nl)
            return body;
        p = nl + 1;
    }
    return *p == '\n' ? p + 1 : body;
}

int mx_vote_beyond(const struct mx_buttons *bt, size_t idx, char *out, size_t cap)
{
    size_t prefix = 0; /* "/vote <poll> ", the same in every button */
    for (size_t i = 0; i < bt->n; i++) {
        const char *d = bt->data[i];
        size_t id = strncmp(d, "/vote ", 6) == 0 ? strspn(d + 6, "0123456789") : 0;
        if (!id || d[6 + id] != ' ' || (i && (6 + id + 1 != prefix || strncmp(d, bt->data[0], prefix))))
            return KB_ENOTFOUND;
        prefix = 6 + id + 1;
    }
    int n = bt->n && idx >= bt->n ? snprintf(out, cap, "%.*s%zu", (int)prefix, bt->data[0], idx + 1) : -1;
    return n < 0 || (size_t)n >= cap ? KB_ENOTFOUND : KB_OK;
}

/* ---- direct chats ------------------------------------------------------- */

static int valid_id(const cJSON *v, char sigil)
{
    return cJSON_IsString(v) && v->valuestring[0] == sigil && strlen(v->valuestring) < 256 &&
           utf8_valid(v->valuestring, strlen(v->valuestring)) &&
           (sigil != '@' || strchr(v->valuestring, ':'));
}

cJSON *mx_direct_parse(const cJSON *content)
{
    cJSON *out = cJSON_CreateObject();
    const cJSON *users = cJSON_IsObject(content) ? content : NULL, *user;
    cJSON_ArrayForEach(user, users) {
        cJSON key = {.type = cJSON_String, .valuestring = user->string};
        if (!user->string || !valid_id(&key, '@') || !cJSON_IsArray(user) ||
            cJSON_GetObjectItemCaseSensitive(out, user->string))
            continue;
        cJSON *rooms = cJSON_AddArrayToObject(out, user->string);
        const cJSON *room;
        cJSON_ArrayForEach(room, user)
            if (valid_id(room, '!'))
                cJSON_AddItemToArray(rooms, cJSON_CreateString(room->valuestring));
    }
    return out;
}

const char *mx_direct_partner(const cJSON *direct, const char *room)
{
    const cJSON *user, *r;
    cJSON_ArrayForEach(user, direct)
        cJSON_ArrayForEach(r, user)
            if (strcmp(r->valuestring, room) == 0)
                return user->string;
    return NULL;
}

const char *mx_direct_room(const cJSON *direct, const char *user)
{
    const cJSON *rooms = cJSON_GetObjectItemCaseSensitive(direct, user);
    int n = cJSON_GetArraySize(rooms);
    return n > 0 ? cJSON_GetArrayItem(rooms, n - 1)->valuestring : NULL;
}

void mx_direct_add(cJSON *direct, const char *user, const char *room)
{
    cJSON *rooms = cJSON_GetObjectItemCaseSensitive(direct, user);
    if (!rooms)
        rooms = cJSON_AddArrayToObject(direct, user);
    for (int i = cJSON_GetArraySize(rooms) - 1; i >= 0; i--)
        if (strcmp(cJSON_GetArrayItem(rooms, i)->valuestring, room) == 0)
            cJSON_DeleteItemFromArray(rooms, i);
    cJSON_AddItemToArray(rooms, cJSON_CreateString(room));
}

char *mx_encode_direct_room_dup(const char *user)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddBoolToObject(root, "is_direct", 1);
    cJSON_AddStringToObject(root, "preset", "trusted_private_chat");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(root, "invite"), cJSON_CreateString(user));
    char *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return out;
}

/* ---- power levels ------------------------------------------------------ */

static int read_level(const cJSON *v, int dflt)
{
    if (cJSON_IsNumber(v) && v->valuedouble >= -1e9 && v->valuedouble <= 1e9)
        return (int)v->valuedouble;
    int64_t n;
    if (cJSON_IsString(v) && parse_i64(v->valuestring, -1000000000, 1000000000, &n) == 0)
        return (int)n; /* old rooms may carry levels as strings */
    return dflt;
}

int mx_power_parse(const cJSON *content, struct mx_power *out)
{
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(content))
        return KB_EPARSE;
    out->users_default = read_level(cJSON_GetObjectItemCaseSensitive(content, "users_default"), 0);
    out->state_default = read_level(cJSON_GetObjectItemCaseSensitive(content, "state_default"), 50);
    const cJSON *users = cJSON_GetObjectItemCaseSensitive(content, "users");
    size_t n = cJSON_IsObject(users) ? (size_t)cJSON_GetArraySize(users) : 0;
    out->users = xcalloc(n ? n : 1, sizeof *out->users);
    out->levels = xcalloc(n ? n : 1, sizeof *out->levels);
    const cJSON *u;
    if (n)
        cJSON_ArrayForEach(u, users) {
            if (!u->string || out->n >= n)
                continue;
            out->users[out->n] = xstrdup(u->string);
            out->levels[out->n] = read_level(u, out->users_default);
            out->n++;
        }
    return KB_OK;
}

int mx_power_of(const struct mx_power *p, const char *user_id)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->users[i], user_id) == 0)
            return p->levels[i];
    return p->users_default;
}

void mx_power_free(struct mx_power *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->users[i]);
    free(p->users);
    free(p->levels);
    memset(p, 0, sizeof *p);
}

/* ---- invitations ------------------------------------------------------- */

static const char *server_of(const char *user_id)
{
    const char *c = user_id ? strchr(user_id, ':') : NULL;
    return c ? c + 1 : "";
}

int mx_invite_allowed(const char *policy, const char *me, const char *inviter)
{
    if (!inviter || inviter[0] != '@')
        return 0;
    if (!policy || !*policy)
        return strcmp(server_of(inviter), server_of(me)) == 0;
    for (const char *p = policy; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ",");
        while (len && p[len - 1] == ' ')
            len--;
        if (len) {
            if (len == 8 && strncmp(p, "everyone", 8) == 0)
                return 1;
            const char *who = p[0] == '@' ? inviter : server_of(inviter);
            if (strlen(who) == len && strncmp(who, p, len) == 0)
                return 1;
        }
        p += len;
        while (*p && *p != ',')
            p++;
    }
    return 0;
}

/* ---- requests ---------------------------------------------------------- */

char *mx_url_escape_dup(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    struct sbuf b = {0};
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            sbuf_addc(&b, (char)*p);
        } else {
            sbuf_addc(&b, '%');
            sbuf_addc(&b, hex[*p >> 4]);
            sbuf_addc(&b, hex[*p & 15]);
        }
    }
    return b.s ? sbuf_take(&b) : xstrdup("");
}

const char *mx_sync_filter(void)
{
    return "{\"presence\":{\"types\":[]},\"account_data\":{\"types\":[\"m.direct\"]},"
           "\"room\":{\"ephemeral\":{\"types\":[]},\"account_data\":{\"types\":[]},"
           "\"state\":{\"types\":[\"m.room.member\",\"m.room.power_levels\",\"m.room.name\","
           "\"m.room.encryption\"],"
           "\"lazy_load_members\":true},"
           "\"timeline\":{\"limit\":200,\"types\":[\"m.room.message\",\"m.reaction\","
           "\"m.room.redaction\",\"m.room.member\",\"m.room.power_levels\",\"m.room.name\","
           "\"m.room.encryption\"]}}}";
}

char *mx_encode_login_dup(const char *user, const char *password, const char *device_id)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "type", "m.login.password");
    cJSON *id = cJSON_AddObjectToObject(root, "identifier");
    cJSON_AddStringToObject(id, "type", "m.id.user");
    cJSON_AddStringToObject(id, "user", user);
    cJSON_AddStringToObject(root, "password", password);
    cJSON_AddStringToObject(root, "device_id", device_id);
    cJSON_AddStringToObject(root, "initial_device_display_name", "kocbot");
    char *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return out;
}
