/* OneBot v11 decoding and encoding; see onebot_msg.h. */
#include "onebot_msg.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/markup.h"
#include "../core/util.h"

#define ID_MAX 9007199254740991.0 /* 2^53 - 1 */
#define MSG_ID_MIN -2147483648.0
#define MSG_ID_MAX 4294967295.0   /* some implementations print it unsigned */

/* ==== ids ============================================================== */

int ob_read_id(const cJSON *obj, const char *name, double lo, double hi, int64_t *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (cJSON_IsString(it))
        return parse_i64(it->valuestring, (int64_t)lo, (int64_t)hi, out) ? KB_EPARSE : 0;
    if (!cJSON_IsNumber(it))
        return KB_EPARSE;
    double d = it->valuedouble;
    if (!isfinite(d) || d < lo || d > hi || d != floor(d))
        return KB_EPARSE;
    *out = (int64_t)d;
    return 0;
}

static const char *str_field(const cJSON *obj, const char *name)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* ==== CQ codes ========================================================= */

/* Decode &amp; &#91; &#93; &#44; in [s, s+n) into b. */
static void cq_unescape(struct sbuf *b, const char *s, size_t n)
{
    static const struct { const char *esc; char c; } map[] = {
        {"&amp;", '&'}, {"&#91;", '['}, {"&#93;", ']'}, {"&#44;", ','}};
    for (size_t i = 0; i < n;) {
        size_t k = 0;
        for (; k < sizeof map / sizeof map[0]; k++) {
            size_t l = strlen(map[k].esc);
            if (i + l <= n && !strncmp(s + i, map[k].esc, l)) {
                sbuf_addc(b, map[k].c);
                i += l;
                break;
            }
        }
        if (k == sizeof map / sizeof map[0])
            sbuf_addc(b, s[i++]);
    }
}

static void add_text_segment(cJSON *arr, const char *s, size_t n)
{
    if (!n)
        return;
    struct sbuf b = {0};
    cq_unescape(&b, s, n);
    cJSON *seg = cJSON_CreateObject(), *data = cJSON_CreateObject();
    cJSON_AddStringToObject(seg, "type", "text");
    cJSON_AddStringToObject(data, "text", sbuf_str(&b));
    cJSON_AddItemToObject(seg, "data", data);
    cJSON_AddItemToArray(arr, seg);
    sbuf_free(&b);
}

cJSON *ob_cq_parse(const char *s)
{
    cJSON *arr = cJSON_CreateArray();
    if (!arr)
        return NULL;
    const char *p = s;
    while (*p) {
        const char *open = strstr(p, "[CQ:");
        const char *close = open ? strchr(open, ']') : NULL;
        if (!open || !close) {
            add_text_segment(arr, p, strlen(p));
            break;
        }
        add_text_segment(arr, p, (size_t)(open - p));
        const char *body = open + 4;
        size_t tl = strcspn(body, ",]");
        struct sbuf type = {0};
        sbuf_addn(&type, body, tl);
        cJSON *seg = cJSON_CreateObject(), *data = cJSON_CreateObject();
        cJSON_AddStringToObject(seg, "type", sbuf_str(&type));
        sbuf_free(&type);
        for (const char *kv = body + tl; *kv == ',';) {
            kv++;
            size_t kl = strcspn(kv, "=,]");
            if (kv[kl] != '=') {
                kv += kl;
                continue;
            }
            const char *v = kv + kl + 1;
            size_t vl = strcspn(v, ",]");
            struct sbuf key = {0}, val = {0};
            sbuf_addn(&key, kv, kl);
            cq_unescape(&val, v, vl);
            cJSON_AddStringToObject(data, sbuf_str(&key), sbuf_str(&val));
            sbuf_free(&key);
            sbuf_free(&val);
            kv = v + vl;
        }
        cJSON_AddItemToObject(seg, "data", data);
        cJSON_AddItemToArray(arr, seg);
        p = close + 1;
    }
    return arr;
}

/* ==== events =========================================================== */

static const char *own(struct ob_event *e, char *s)
{
    if (!s)
        return NULL;
    if (e->n_owned == OB_STRINGS) {
        free(s);
        return NULL;
    }
    e->owned[e->n_owned++] = s;
    return s;
}

/* prefix followed by the decimal number v */
static const char *own_num(struct ob_event *e, const char *prefix, int64_t v)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%s%" PRId64, prefix, v);
    return own(e, xstrdup(buf));
}

void ob_event_clear(struct ob_event *e)
{
    for (size_t i = 0; i < e->n_owned; i++)
        free(e->owned[i]);
    memset(e, 0, sizeof *e);
}

/* Text, attachment and reply from the segments. */
static int decode_segments(const cJSON *segs, int64_t self_id, struct ob_event *e)
{
    struct sbuf text = {0};
    char *attachment = NULL, *reply = NULL;
    int forwarded = 0;
    const cJSON *seg;
    cJSON_ArrayForEach(seg, segs) {
        const char *type = str_field(seg, "type");
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(seg, "data");
        if (!type || !cJSON_IsObject(data))
            continue;
        if (!strcmp(type, "text")) {
            const char *t = str_field(data, "text");
            if (t)
                sbuf_add(&text, t);
        } else if (!strcmp(type, "at")) {
            int64_t qq;
            if (ob_read_id(data, "qq", 1, ID_MAX, &qq) == 0 && qq != self_id)
                sbuf_addf(&text, "@%" PRId64, qq);
        } else if ((!strcmp(type, "image") || !strcmp(type, "file")) && !attachment) {
            const char *f = str_field(data, "file");
            if (!f || !*f)
                f = str_field(data, "url");
            if (f && *f && strlen(f) < 1024) {
                struct sbuf a = {0};
                sbuf_addf(&a, "%s:%s", type[0] == 'i' ? "photo" : "document", f);
                attachment = sbuf_take(&a);
            }
        } else if (!strcmp(type, "reply") && !reply) {
            int64_t id;
            if (ob_read_id(data, "id", MSG_ID_MIN, MSG_ID_MAX, &id) == 0) {
                char buf[24];
                snprintf(buf, sizeof buf, "%" PRId64, id);
                reply = xstrdup(buf);
            }
        } else if (!strcmp(type, "forward") || !strcmp(type, "node")) {
            forwarded = 1;
        }
    }
    /* "@bot /checkin" leaves a space before the command */
    const char *t = sbuf_str(&text);
    while (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r')
        t++;
    int rc = 0;
    if (!utf8_valid(t, strlen(t)) || (attachment && !utf8_valid(attachment, strlen(attachment))))
        rc = KB_EPARSE;
    else if (!forwarded && *t)
        e->ev.text = own(e, xstrdup(t));
    sbuf_free(&text);
    if (rc) {
        free(attachment);
        free(reply);
        return rc;
    }
    e->ev.attachment = own(e, attachment);
    e->ev.reply_to_message_id = own(e, reply);
    return 0;
}

static int decode_message(const cJSON *obj, int64_t self_id, struct ob_event *e)
{
    const char *mtype = str_field(obj, "message_type");
    int group = mtype && !strcmp(mtype, "group");
    if (!group && !(mtype && !strcmp(mtype, "private")))
        return 0; /* guild channels and the like: not ours */
    int64_t user, msg_id, t = 0;
    if (ob_read_id(obj, "user_id", 1, ID_MAX, &user) ||
        ob_read_id(obj, "message_id", MSG_ID_MIN, MSG_ID_MAX, &msg_id))
        return KB_EPARSE;
    if (group && ob_read_id(obj, "group_id", 1, ID_MAX, &e->group))
        return KB_EPARSE;
    if (user == self_id)
        return 0; /* our own message, reported back */
    ob_read_id(obj, "time", 0, ID_MAX, &t);
    e->user = user;
    e->ev.kind = KB_EV_MESSAGE;
    e->ev.platform = OB_PLATFORM;
    e->ev.chat_type = group ? KB_CHAT_GROUP : KB_CHAT_PRIVATE;
    e->ev.chat_id = group ? own_num(e, "", e->group)
                          : own_num(e, OB_PRIVATE_PREFIX, user);
    e->ev.user_id = own_num(e, "", user);
    e->ev.message_id = own_num(e, "", msg_id);
    e->ev.time = t;
    const cJSON *sender = cJSON_GetObjectItemCaseSensitive(obj, "sender");
    const char *card = str_field(sender, "card"), *nick = str_field(sender, "nickname");
    const char *name = card && *card ? card : nick;
    if (name && *name && utf8_valid(name, strlen(name)))
        e->ev.user_name = own(e, xstrdup(name));
    const char *role = str_field(sender, "role");
    e->role_known = role != NULL;
    if (group && role && (!strcmp(role, "owner") || !strcmp(role, "admin")))
        e->ev.role = KB_ROLE_CHAT_ADMIN;
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(obj, "message");
    cJSON *parsed = NULL;
    if (cJSON_IsString(msg))
        msg = parsed = ob_cq_parse(msg->valuestring);
    else if (!cJSON_IsArray(msg) && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(obj, "raw_message")))
        msg = parsed = ob_cq_parse(str_field(obj, "raw_message"));
    int rc = cJSON_IsArray(msg) ? decode_segments(msg, self_id, e) : KB_EPARSE;
    cJSON_Delete(parsed);
    if (rc)
        return rc;
    e->has_event = e->ev.chat_id && e->ev.user_id && e->ev.message_id;
    return e->has_event ? 0 : KB_ENOMEM;
}

/* The bot itself joining or leaving a group. */
static int decode_notice(const cJSON *obj, int64_t self_id, struct ob_event *e)
{
    const char *nt = str_field(obj, "notice_type");
    int joined = nt && !strcmp(nt, "group_increase"), left = nt && !strcmp(nt, "group_decrease");
    int64_t user;
    if ((!joined && !left) || ob_read_id(obj, "user_id", 1, ID_MAX, &user) || user != self_id)
        return 0;
    if (ob_read_id(obj, "group_id", 1, ID_MAX, &e->group))
        return KB_EPARSE;
    e->ev.kind = KB_EV_BOT_MEMBERSHIP;
    e->ev.platform = OB_PLATFORM;
    e->ev.chat_type = KB_CHAT_GROUP;
    e->ev.chat_id = own_num(e, "", e->group);
    e->ev.user_id = own_num(e, "", user);
    e->ev.bot_active = joined;
    e->has_event = e->ev.chat_id && e->ev.user_id;
    return 0;
}

int ob_decode_event(const cJSON *obj, int64_t self_id, const char *bot_name,
                    struct ob_event *out)
{
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(obj))
        return KB_EPARSE;
    const char *pt = str_field(obj, "post_type");
    if (!pt)
        return KB_EPARSE;
    int rc = 0;
    if (!strcmp(pt, "message"))
        rc = decode_message(obj, self_id, out);
    else if (!strcmp(pt, "notice"))
        rc = decode_notice(obj, self_id, out);
    /* meta_event (heartbeat, lifecycle), request, message_sent: nothing to apply */
    out->ev.bot_username = bot_name;
    if (rc) {
        ob_event_clear(out);
        return rc;
    }
    return 0;
}

/* ==== sending ========================================================== */

static void add_segment(cJSON *arr, const char *type, const char *key, const char *value)
{
    cJSON *seg = cJSON_CreateObject(), *data = cJSON_CreateObject();
    cJSON_AddStringToObject(seg, "type", type);
    cJSON_AddStringToObject(data, key, value);
    cJSON_AddItemToObject(seg, "data", data);
    cJSON_AddItemToArray(arr, seg);
}

char *ob_encode_send_dup(const char *chat_id, const char *reply_to, const char *at_user,
                         const char *text, const char **action)
{
    int private = !strncmp(chat_id, OB_PRIVATE_PREFIX, strlen(OB_PRIVATE_PREFIX));
    const char *num = private ? chat_id + strlen(OB_PRIVATE_PREFIX) : chat_id;
    int64_t id;
    if (parse_i64(num, 1, (int64_t)ID_MAX, &id))
        return NULL;
    cJSON *segs = cJSON_CreateArray();
    if (reply_to && *reply_to)
        add_segment(segs, "reply", "id", reply_to);
    if (at_user && *at_user && !private) {
        add_segment(segs, "at", "qq", at_user);
        add_segment(segs, "text", "text", " ");
    }
    add_segment(segs, "text", "text", text);
    char *seg_json = cJSON_PrintUnformatted(segs);
    cJSON_Delete(segs);
    if (!seg_json)
        return NULL;
    /* the id is written as a raw integer, never through the double printer */
    struct sbuf b = {0};
    sbuf_addf(&b, "{\"%s\":%" PRId64 ",\"message\":%s}", private ? "user_id" : "group_id", id,
              seg_json);
    free(seg_json);
    *action = private ? "send_private_msg" : "send_group_msg";
    return sbuf_take(&b);
}

char *ob_render_text_dup(const char *markup, const char *buttons)
{
    char *plain = markup_plain_dup(markup ? markup : "", 0, 0);
    if (!buttons || !*buttons)
        return plain;
    struct sbuf b = {0};
    sbuf_add(&b, plain);
    free(plain);
    /* rows '\n', buttons '\t', "label\x1f data": one line to type per button */
    for (const char *p = buttons; *p;) {
        size_t n = strcspn(p, "\n\t");
        const char *sep = memchr(p, KB_BUTTON_FIELD_SEP, n);
        if (sep) {
            struct sbuf label = {0};
            sbuf_addn(&label, p, (size_t)(sep - p));
            char *lp = markup_plain_dup(sbuf_str(&label), 0, 0);
            sbuf_addf(&b, "\n%s → ", lp);
            sbuf_addn(&b, sep + 1, n - (size_t)(sep + 1 - p));
            free(lp);
            sbuf_free(&label);
        }
        p += n;
        if (*p)
            p++;
    }
    return sbuf_take(&b);
}

void ob_parts_free(char **parts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(parts[i]);
    free(parts);
}

/* Bytes of the longest prefix of s[0..n) holding at most max code points. */
static size_t clip_code_points(const char *s, size_t n, size_t max)
{
    size_t off = 0;
    for (size_t k = 0; k < max && off < n; k++)
        off += utf8_seq_len((const unsigned char *)s + off, n - off);
    return off;
}

int ob_split(const char *text, size_t max, char ***parts, size_t *n)
{
    *parts = NULL;
    *n = 0;
    size_t len = strlen(text), cap = 0;
    if (!max)
        return KB_EINVAL;
    for (size_t off = 0; off < len;) {
        size_t take = clip_code_points(text + off, len - off, max);
        if (off + take < len) { /* prefer to cut after the last line break */
            for (size_t k = take; k > take / 2; k--) {
                if (text[off + k - 1] == '\n') {
                    take = k;
                    break;
                }
            }
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 4;
            char **np = realloc(*parts, cap * sizeof *np);
            if (!np) {
                ob_parts_free(*parts, *n);
                *parts = NULL;
                *n = 0;
                return KB_ENOMEM;
            }
            *parts = np;
        }
        size_t end = take;
        while (end && text[off + end - 1] == '\n')
            end--; /* no part ends in blank lines */
        char *part = malloc(end + 1);
        if (!part) {
            ob_parts_free(*parts, *n);
            *parts = NULL;
            *n = 0;
            return KB_ENOMEM;
        }
        memcpy(part, text + off, end);
        part[end] = '\0';
        if (end)
            (*parts)[(*n)++] = part;
        else
            free(part);
        off += take;
    }
    return 0;
}

/* ==== answers ========================================================== */

void ob_classify(const struct kb_http_response *resp, struct ob_answer *out)
{
    memset(out, 0, sizeof *out);
    if (resp->outcome != KB_HTTP_DONE) {
        out->outcome = resp->outcome == KB_HTTP_NOT_SENT ? KB_SEND_RETRY : KB_SEND_RETRY_ONCE;
        snprintf(out->description, sizeof out->description, "%s",
                 resp->error ? resp->error : "no answer");
        return;
    }
    long st = resp->status;
    if (st == 401 || st == 403) {
        out->outcome = KB_SEND_FATAL;
        snprintf(out->description, sizeof out->description, "HTTP %ld: the access token was refused", st);
        return;
    }
    out->root = cJSON_ParseWithLength(resp->body, resp->body_len);
    const cJSON *rc_item = cJSON_GetObjectItemCaseSensitive(out->root, "retcode");
    const char *msg = str_field(out->root, "wording");
    if (!msg || !*msg)
        msg = str_field(out->root, "message");
    /* %.0f: a retcode from the wire may be any number, not one an int holds */
    snprintf(out->description, sizeof out->description, "HTTP %ld, retcode %.0f: %.150s", st,
             cJSON_IsNumber(rc_item) ? rc_item->valuedouble : -1.0, msg ? msg : "-");
    if (st == 404) {
        out->outcome = KB_SEND_FAILED;
        return;
    }
    if (st != 200 || !cJSON_IsNumber(rc_item)) {
        out->outcome = KB_SEND_RETRY;
        return;
    }
    double rc = rc_item->valuedouble;
    out->data = cJSON_GetObjectItemCaseSensitive(out->root, "data");
    if (rc == 0 || rc == 1) {
        int64_t id;
        out->outcome = KB_SEND_OK;
        if (cJSON_IsObject(out->data) &&
            ob_read_id(out->data, "message_id", MSG_ID_MIN, MSG_ID_MAX, &id) == 0)
            snprintf(out->message_id, sizeof out->message_id, "%" PRId64, id);
    } else if (rc == 1401 || rc == 1403) {
        out->outcome = KB_SEND_FATAL;
    } else if (rc == 1400 || rc == 1404 || rc == 100 || rc == 102) {
        out->outcome = KB_SEND_FAILED;
    } else {
        out->outcome = KB_SEND_RETRY;
    }
}

void ob_answer_free(struct ob_answer *a)
{
    cJSON_Delete(a->root);
    a->root = NULL;
    a->data = NULL;
}
