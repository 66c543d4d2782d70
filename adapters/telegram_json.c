/*
 * Telegram Bot API decoding and encoding (see telegram_json.h).  Pure: no
 * I/O, no clock, no logging.  Everything that leaves here is either an
 * owned string or a kb_event whose strings live in a tg_update.
 */
#include "telegram_json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/markup.h"
#include "../core/util.h"

/* ==== numbers and text ================================================ */

int tg_read_id(const cJSON *item, int64_t *out)
{
    if (!cJSON_IsNumber(item))
        return KB_EPARSE;
    double d = item->valuedouble;
    if (!isfinite(d) || d > TG_ID_MAX || d < -TG_ID_MAX || d != floor(d))
        return KB_EPARSE;
    *out = (int64_t)d;
    return 0;
}

int tg_parse_id_str(const char *s, int64_t *out)
{
    if (!s || !*s)
        return KB_EINVAL;
    const char *p = s;
    if (*p == '-')
        p++;
    if (!*p)
        return KB_EINVAL;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return KB_EINVAL;
    if (strlen(p) > 16)
        return KB_EINVAL;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno || !end || *end)
        return KB_EINVAL;
    if (v > 9007199254740992LL || v < -9007199254740992LL)
        return KB_EINVAL;
    *out = (int64_t)v;
    return 0;
}

/* ==== responses ======================================================= */

static void copy_str(char *dst, size_t cap, const char *src)
{
    if (!cap)
        return;
    size_t n = src ? strlen(src) : 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

int tg_envelope_parse(const char *body, size_t len, struct tg_envelope *env)
{
    memset(env, 0, sizeof *env);
    env->retry_after_s = -1;
    if (!body || !len)
        return KB_EPARSE;
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!root)
        return KB_EPARSE;
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(root, "ok");
    if (!cJSON_IsBool(ok)) {
        cJSON_Delete(root);
        return KB_EPARSE;
    }
    env->root = root;
    env->ok = cJSON_IsTrue(ok);
    env->result = cJSON_GetObjectItemCaseSensitive(root, "result");
    int64_t v;
    if (tg_read_id(cJSON_GetObjectItemCaseSensitive(root, "error_code"), &v) == 0)
        env->error_code = (long)v;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "description");
    if (cJSON_IsString(d) && d->valuestring &&
        utf8_valid(d->valuestring, strlen(d->valuestring)))
        copy_str(env->description, sizeof env->description, d->valuestring);
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(root, "parameters");
    if (tg_read_id(cJSON_GetObjectItemCaseSensitive(params, "retry_after"), &v) == 0 &&
        v >= 0 && v < 86400)
        env->retry_after_s = (long)v;
    return 0;
}

void tg_envelope_free(struct tg_envelope *env)
{
    if (!env)
        return;
    cJSON_Delete(env->root);
    env->root = NULL;
    env->result = NULL;
}

/* ==== decoding updates ================================================= */

static const char *keep(struct tg_update *u, const char *s, size_t len)
{
    if (u->n_owned >= TG_UPDATE_STRINGS)
        return NULL;
    char *c = malloc(len + 1);
    if (!c)
        return NULL;
    memcpy(c, s, len);
    c[len] = '\0';
    u->owned[u->n_owned++] = c;
    return c;
}

static int keep_id(struct tg_update *u, int64_t v, const char **out)
{
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%" PRId64, v);
    *out = keep(u, buf, (size_t)n);
    return *out ? 0 : KB_ENOMEM;
}

/* Copy an optional string field after validating it.  Absent or non-string
   -> *out NULL and 0; invalid UTF-8 -> KB_EPARSE. */
static int keep_field(struct tg_update *u, const cJSON *obj, const char *name,
                      const char **out)
{
    *out = NULL;
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsString(it) || !it->valuestring)
        return 0;
    size_t len = strlen(it->valuestring);
    if (!utf8_valid(it->valuestring, len))
        return KB_EPARSE;
    *out = keep(u, it->valuestring, len);
    return *out ? 0 : KB_ENOMEM;
}

static int read_id_field(const cJSON *obj, const char *name, int64_t *out)
{
    return tg_read_id(cJSON_GetObjectItemCaseSensitive(obj, name), out);
}

static const char *str_field(const cJSON *obj, const char *name)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* "photo:<file_id>" (largest size) or "document:<file_id>", or NULL. */
static int keep_attachment(struct tg_update *u, const cJSON *msg,
                           const char **out)
{
    *out = NULL;
    const char *kind = NULL, *fid = NULL;
    const cJSON *photo = cJSON_GetObjectItemCaseSensitive(msg, "photo");
    const cJSON *doc = cJSON_GetObjectItemCaseSensitive(msg, "document");
    if (cJSON_IsArray(photo)) {
        double best = -1;
        const cJSON *ps;
        cJSON_ArrayForEach(ps, photo) {
            const cJSON *w = cJSON_GetObjectItemCaseSensitive(ps, "width");
            const cJSON *h = cJSON_GetObjectItemCaseSensitive(ps, "height");
            double area = (cJSON_IsNumber(w) && cJSON_IsNumber(h))
                              ? w->valuedouble * h->valuedouble : 0;
            const char *id = str_field(ps, "file_id");
            if (id && isfinite(area) && area >= best) {
                best = area;
                fid = id;
            }
        }
        kind = "photo:";
    } else if (cJSON_IsObject(doc)) {
        fid = str_field(doc, "file_id");
        kind = "document:";
    }
    if (!fid)
        return 0;
    size_t kl = strlen(kind), fl = strlen(fid);
    if (!fl || fl > 1024 || !utf8_valid(fid, fl))
        return KB_EPARSE;
    char buf[1100];
    memcpy(buf, kind, kl);
    memcpy(buf + kl, fid, fl);
    *out = keep(u, buf, kl + fl);
    return *out ? 0 : KB_ENOMEM;
}

static enum kb_chat_type chat_type(const char *t, int *known)
{
    *known = 1;
    if (t && (!strcmp(t, "group") || !strcmp(t, "supergroup")))
        return KB_CHAT_GROUP;
    if (t && !strcmp(t, "private"))
        return KB_CHAT_PRIVATE;
    if (t && !strcmp(t, "channel"))
        return KB_CHAT_CHANNEL;
    *known = 0;
    return KB_CHAT_GROUP;
}

/* chat (id, type, title) of msg into u->ev. */
static int decode_chat(struct tg_update *u, const cJSON *chat)
{
    int rc, known;
    if (!cJSON_IsObject(chat) || read_id_field(chat, "id", &u->chat_num))
        return KB_EPARSE;
    u->ev.chat_type = chat_type(str_field(chat, "type"), &known);
    if (!known)
        return KB_EPARSE;
    if ((rc = keep_id(u, u->chat_num, &u->ev.chat_id)))
        return rc;
    return keep_field(u, chat, "title", &u->ev.chat_title);
}

/* A user object -> user_id, user_name (first + last), handle, lang. */
static int decode_user(struct tg_update *u, const cJSON *from)
{
    int rc;
    const char *first, *last;
    if (!cJSON_IsObject(from) || read_id_field(from, "id", &u->user_num))
        return KB_EPARSE;
    if ((rc = keep_id(u, u->user_num, &u->ev.user_id)))
        return rc;
    if ((rc = keep_field(u, from, "first_name", &first)) ||
        (rc = keep_field(u, from, "last_name", &last)) ||
        (rc = keep_field(u, from, "username", &u->ev.user_handle)) ||
        (rc = keep_field(u, from, "language_code", &u->ev.user_lang)))
        return rc;
    if (first && last && *last) {
        size_t a = strlen(first), b = strlen(last);
        char *name = malloc(a + b + 2);
        if (!name)
            return KB_ENOMEM;
        memcpy(name, first, a);
        name[a] = ' ';
        memcpy(name + a + 1, last, b + 1);
        u->ev.user_name = keep(u, name, a + b + 1);
        free(name);
        if (!u->ev.user_name)
            return KB_ENOMEM;
    } else {
        u->ev.user_name = first ? first : (last ? last : "");
    }
    return 0;
}

/* Topic thread of a forum message, when it is one. */
static int decode_thread(struct tg_update *u, const cJSON *msg)
{
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg, "is_topic_message")))
        return 0;
    int64_t t;
    if (read_id_field(msg, "message_thread_id", &t))
        return KB_EPARSE;
    return keep_id(u, t, &u->ev.thread_id);
}

/* Is text a command addressed to someone other than us ("/x@otherbot")? */
static int command_for_other_bot(const char *text, const char *me)
{
    const char *end = text;
    while (*end && *end != ' ' && *end != '\n' && *end != '\t')
        end++;
    const char *at = memchr(text, '@', (size_t)(end - text));
    if (!at)
        return 0;
    size_t n = (size_t)(end - at - 1);
    if (!me || strlen(me) != n)
        return 1;
    for (size_t i = 0; i < n; i++) {
        char a = at[1 + i], b = me[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z')
            b = (char)(b - 'A' + 'a');
        if (a != b)
            return 1;
    }
    return 0;
}

/* Byte offset of UTF-16 unit `units` in valid UTF-8 text (Telegram counts
   entity offsets in UTF-16 units), or (size_t)-1 past the end or inside a
   character. */
static size_t utf16_byte_offset(const char *text, size_t len, int64_t units)
{
    size_t i = 0;
    int64_t u = 0;
    while (u < units && i < len) {
        unsigned char ch = (unsigned char)text[i];
        size_t n = ch < 0x80 ? 1 : ch < 0xE0 ? 2 : ch < 0xF0 ? 3 : 4;
        u += n == 4 ? 2 : 1;
        i += n;
    }
    return u == units && i <= len ? i : (size_t)-1;
}

/* A command names people it mentions: a text_mention (a user without a
   username, picked in the client) becomes "@<user id>", an identity the
   core resolves, instead of the display name it shows. */
static int keep_mentions(struct tg_update *u, const cJSON *msg)
{
    const char *text = u->ev.text;
    const cJSON *ents = cJSON_GetObjectItemCaseSensitive(msg, "entities");
    if (!text || text[0] != '/' || !cJSON_IsArray(ents))
        return 0;
    size_t len = strlen(text), done = 0;
    char *out = NULL;
    size_t olen = 0;
    int changed = 0, rc = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, ents) {
        const char *type = str_field(e, "type");
        int64_t off, n, uid;
        if (!type || strcmp(type, "text_mention") || read_id_field(e, "offset", &off) ||
            read_id_field(e, "length", &n) ||
            read_id_field(cJSON_GetObjectItemCaseSensitive(e, "user"), "id", &uid))
            continue;
        size_t from = utf16_byte_offset(text, len, off), to = utf16_byte_offset(text, len, off + n);
        if (from == (size_t)-1 || to == (size_t)-1 || from < done || to < from)
            continue; /* out of range or overlapping: leave the text as it is */
        char *grown = realloc(out, olen + (from - done) + 24);
        if (!grown) {
            rc = KB_ENOMEM;
            break;
        }
        out = grown;
        memcpy(out + olen, text + done, from - done);
        olen += from - done;
        olen += (size_t)snprintf(out + olen, 24, "@%" PRId64, uid);
        done = to;
        changed = 1;
    }
    if (!rc && changed) {
        char *grown = realloc(out, olen + (len - done) + 1);
        if (!grown) {
            rc = KB_ENOMEM;
        } else {
            out = grown;
            memcpy(out + olen, text + done, len - done);
            olen += len - done;
            u->ev.text = keep(u, out, olen);
            rc = u->ev.text ? 0 : KB_ENOMEM;
        }
    }
    free(out);
    return rc;
}

static int decode_message(struct tg_update *u, const cJSON *msg)
{
    int rc;
    int64_t v;
    struct kb_event *ev = &u->ev;
    if (!cJSON_IsObject(msg))
        return KB_EPARSE;
    if ((rc = decode_chat(u, cJSON_GetObjectItemCaseSensitive(msg, "chat"))))
        return rc;
    if (read_id_field(msg, "message_id", &v) || (rc = keep_id(u, v, &ev->message_id)))
        return rc ? rc : KB_EPARSE;
    if (read_id_field(msg, "date", &ev->time))
        return KB_EPARSE;

    int64_t new_chat;
    if (read_id_field(msg, "migrate_to_chat_id", &new_chat) == 0) {
        ev->kind = KB_EV_CHAT_MIGRATED;
        if ((rc = keep_id(u, new_chat, &ev->new_chat_id)))
            return rc;
        u->has_event = 1;
        return 0;
    }
    if (ev->chat_type == KB_CHAT_CHANNEL)
        return 0; /* channel posts are not ours to handle */

    /* The sender: a user, or a chat posting as itself (anonymous admin) or
       as a linked channel.  The placeholder user objects that come with
       sender_chat (GroupAnonymousBot, Channel_Bot) are never used. */
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(msg, "sender_chat");
    if (cJSON_IsObject(sc)) {
        int64_t sid;
        if (read_id_field(sc, "id", &sid))
            return KB_EPARSE;
        u->user_num = sid;
        if ((rc = keep_id(u, sid, &ev->user_id)))
            return rc;
        if ((rc = keep_field(u, sc, "title", &ev->user_name)) ||
            (rc = keep_field(u, sc, "username", &ev->user_handle)))
            return rc;
        if (!ev->user_name)
            ev->user_name = "";
        ev->role = sid == u->chat_num ? KB_ROLE_ANON_ADMIN : KB_ROLE_MEMBER;
    } else if ((rc = decode_user(u, cJSON_GetObjectItemCaseSensitive(msg, "from")))) {
        return rc;
    }

    if ((rc = decode_thread(u, msg)))
        return rc;
    if ((rc = keep_field(u, msg, "text", &ev->text)))
        return rc;
    if (!ev->text && (rc = keep_field(u, msg, "caption", &ev->text)))
        return rc;
    if ((rc = keep_mentions(u, msg)))
        return rc;
    if ((rc = keep_attachment(u, msg, &ev->attachment)))
        return rc;

    /* In forum topics every message "replies" to the topic's creation
       message; that is not a real reply. */
    const cJSON *rt = cJSON_GetObjectItemCaseSensitive(msg, "reply_to_message");
    if (cJSON_IsObject(rt) &&
        !cJSON_GetObjectItemCaseSensitive(rt, "forum_topic_created")) {
        if (read_id_field(rt, "message_id", &v) == 0 &&
            (rc = keep_id(u, v, &ev->reply_to_message_id)))
            return rc;
        const cJSON *rsc = cJSON_GetObjectItemCaseSensitive(rt, "sender_chat");
        const cJSON *rfrom = cJSON_GetObjectItemCaseSensitive(rt, "from");
        if ((read_id_field(rsc, "id", &v) == 0 || read_id_field(rfrom, "id", &v) == 0) &&
            (rc = keep_id(u, v, &ev->reply_to_user_id)))
            return rc;
        if ((rc = keep_attachment(u, rt, &ev->reply_to_attachment)))
            return rc;
    }

    /* a forward carries its origin (forward_origin since Bot API 7.0, the
       forward_* fields before) or is a channel post copied into a linked group */
    ev->forwarded = cJSON_GetObjectItemCaseSensitive(msg, "forward_origin") ||
                    cJSON_GetObjectItemCaseSensitive(msg, "forward_from") ||
                    cJSON_GetObjectItemCaseSensitive(msg, "forward_from_chat") ||
                    cJSON_GetObjectItemCaseSensitive(msg, "forward_sender_name") ||
                    cJSON_GetObjectItemCaseSensitive(msg, "forward_date") ||
                    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg, "is_automatic_forward"));

    if (!ev->text && !ev->attachment)
        return 0; /* service messages, stickers, ...: nothing for core */
    ev->kind = KB_EV_MESSAGE;
    u->has_event = 1;
    if (ev->chat_type == KB_CHAT_GROUP && ev->role != KB_ROLE_ANON_ADMIN && !ev->forwarded &&
        ev->text && ev->text[0] == '/' &&
        !command_for_other_bot(ev->text, ev->bot_username))
        u->needs_role = 1;
    return 0;
}

static int decode_callback(struct tg_update *u, const cJSON *cq, int64_t now_s)
{
    int rc;
    int64_t v;
    struct kb_event *ev = &u->ev;
    if (!cJSON_IsObject(cq))
        return KB_EPARSE;
    ev->kind = KB_EV_CALLBACK;
    ev->time = now_s;
    if ((rc = keep_field(u, cq, "id", &ev->callback_id)))
        return rc;
    if (!ev->callback_id || !*ev->callback_id)
        return KB_EPARSE;
    /* the presser, never the message's author */
    if ((rc = decode_user(u, cJSON_GetObjectItemCaseSensitive(cq, "from"))))
        return rc;
    if ((rc = keep_field(u, cq, "data", &ev->callback_data)))
        return rc;
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(cq, "message");
    if (!cJSON_IsObject(msg) || !ev->callback_data)
        return 0; /* inline-mode or game button: nothing we sent */
    if ((rc = decode_chat(u, cJSON_GetObjectItemCaseSensitive(msg, "chat"))))
        return rc;
    if (read_id_field(msg, "message_id", &v) || (rc = keep_id(u, v, &ev->message_id)))
        return rc ? rc : KB_EPARSE;
    if ((rc = decode_thread(u, msg)))
        return rc;
    u->has_event = 1;
    if (ev->chat_type == KB_CHAT_GROUP)
        u->needs_role = 1;
    return 0;
}

static int decode_membership(struct tg_update *u, const cJSON *cm)
{
    int rc;
    struct kb_event *ev = &u->ev;
    if (!cJSON_IsObject(cm))
        return KB_EPARSE;
    if ((rc = decode_chat(u, cJSON_GetObjectItemCaseSensitive(cm, "chat"))))
        return rc;
    if ((rc = decode_user(u, cJSON_GetObjectItemCaseSensitive(cm, "from"))))
        return rc;
    if (read_id_field(cm, "date", &ev->time))
        return KB_EPARSE;
    const cJSON *ncm = cJSON_GetObjectItemCaseSensitive(cm, "new_chat_member");
    const char *status = str_field(ncm, "status");
    if (!status)
        return KB_EPARSE;
    if (!strcmp(status, "member") || !strcmp(status, "administrator") ||
        !strcmp(status, "creator"))
        ev->bot_active = 1;
    else if (!strcmp(status, "restricted"))
        ev->bot_active = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ncm, "is_member"));
    else if (!strcmp(status, "left") || !strcmp(status, "kicked"))
        ev->bot_active = 0;
    else
        return KB_EPARSE;
    /* No message id exists; the change's date and status make a stable
       de-duplication key. */
    char key[64];
    int n = snprintf(key, sizeof key, "member:%" PRId64 ":%d", ev->time, ev->bot_active);
    if (!(ev->message_id = keep(u, key, (size_t)n)))
        return KB_ENOMEM;
    ev->kind = KB_EV_BOT_MEMBERSHIP;
    u->has_event = 1;
    return 0;
}

int tg_decode_update(const cJSON *upd, const char *bot_username,
                     int64_t now_s, struct tg_update *out)
{
    memset(out, 0, sizeof *out);
    out->ev.platform = "tg";
    out->ev.bot_username = bot_username;
    out->ev.role = KB_ROLE_MEMBER;
    if (!cJSON_IsObject(upd))
        return KB_EPARSE;
    if (read_id_field(upd, "update_id", &out->update_id))
        return KB_EPARSE;
    out->has_update_id = 1;

    const cJSON *it;
    int rc = 0;
    if ((it = cJSON_GetObjectItemCaseSensitive(upd, "message"))) {
        rc = decode_message(out, it);
    } else if ((it = cJSON_GetObjectItemCaseSensitive(upd, "edited_message"))) {
        /* Decoded (so it is validated and testable) but never delivered:
           re-running a command because its text was edited would vote,
           claim or submit twice. */
        rc = decode_message(out, it);
        out->edited = 1;
        out->has_event = 0;
        out->needs_role = 0;
    } else if ((it = cJSON_GetObjectItemCaseSensitive(upd, "callback_query"))) {
        rc = decode_callback(out, it, now_s);
    } else if ((it = cJSON_GetObjectItemCaseSensitive(upd, "my_chat_member"))) {
        rc = decode_membership(out, it);
    }
    if (rc) {
        out->has_event = 0;
        out->needs_role = 0;
    }
    return rc;
}

void tg_update_clear(struct tg_update *u)
{
    if (!u)
        return;
    for (size_t i = 0; i < u->n_owned; i++)
        free(u->owned[i]);
    u->n_owned = 0;
}

/* ==== tolerant reading of a getUpdates answer ========================== */

/* A structural scan (strings are skipped, never decoded), so one element
   that cJSON refuses — a lone surrogate escape, a bad byte — does not make
   its neighbours unreadable. */

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* p at '"': just past the closing quote, or NULL. */
static const char *skip_string(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\')
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return NULL;
}

/* Just past the value at p, or NULL when it does not end. */
static const char *skip_value(const char *p, const char *end)
{
    if (p >= end)
        return NULL;
    if (*p == '"')
        return skip_string(p, end);
    if (*p != '{' && *p != '[') {
        const char *q = p;
        while (q < end && !strchr(",]} \t\r\n", *q))
            q++;
        return q > p ? q : NULL;
    }
    int depth = 0;
    while (p < end) {
        if (*p == '"') {
            if (!(p = skip_string(p, end)))
                return NULL;
            continue;
        }
        if (*p == '{' || *p == '[')
            depth++;
        else if ((*p == '}' || *p == ']') && --depth == 0)
            return p + 1;
        p++;
    }
    return NULL;
}

/* Next "key": value of the object whose members start at *p (just past
   '{' or a ','): 1 with key and value spans, 0 at the closing '}', -1 when
   malformed. */
static int next_member(const char **p, const char *end, struct tg_span *key, struct tg_span *val)
{
    const char *q = skip_ws(*p, end);
    if (q < end && *q == ',')
        q = skip_ws(q + 1, end);
    if (q < end && *q == '}') {
        *p = q + 1;
        return 0;
    }
    if (q >= end || *q != '"')
        return -1;
    const char *k_end = skip_string(q, end);
    if (!k_end)
        return -1;
    key->p = q + 1;
    key->len = (size_t)(k_end - q - 2);
    q = skip_ws(k_end, end);
    if (q >= end || *q != ':')
        return -1;
    q = skip_ws(q + 1, end);
    const char *v_end = skip_value(q, end);
    if (!v_end)
        return -1;
    val->p = q;
    val->len = (size_t)(v_end - q);
    *p = v_end;
    return 1;
}

static int span_is(const struct tg_span *s, const char *lit)
{
    return s->len == strlen(lit) && memcmp(s->p, lit, s->len) == 0;
}

int tg_split_updates(const char *body, size_t len, struct tg_span **items, size_t *n)
{
    *items = NULL;
    *n = 0;
    const char *end = body + len, *p = skip_ws(body, end);
    if (p >= end || *p != '{')
        return KB_EPARSE;
    p++;
    struct tg_span key, val, result = {0};
    int ok = 0, r;
    while ((r = next_member(&p, end, &key, &val)) == 1) {
        if (span_is(&key, "ok"))
            ok = span_is(&val, "true");
        else if (span_is(&key, "result") && val.p[0] == '[')
            result = val;
    }
    if (r < 0 || !ok || !result.p)
        return KB_EPARSE;
    size_t cap = 0;
    const char *q = result.p + 1, *rend = result.p + result.len - 1; /* inside [ ] */
    for (;;) {
        q = skip_ws(q, rend);
        if (q >= rend)
            return KB_OK;
        const char *v_end = skip_value(q, rend);
        if (!v_end) {
            free(*items);
            *items = NULL;
            *n = 0;
            return KB_EPARSE;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            struct tg_span *grown = realloc(*items, cap * sizeof *grown);
            if (!grown) {
                free(*items);
                *items = NULL;
                *n = 0;
                return KB_ENOMEM;
            }
            *items = grown;
        }
        (*items)[(*n)++] = (struct tg_span){q, (size_t)(v_end - q)};
        q = skip_ws(v_end, rend);
        if (q < rend && *q == ',')
            q++;
    }
}

int tg_raw_update_id(const char *json, size_t len, int64_t *id)
{
    const char *end = json + len, *p = skip_ws(json, end);
    if (p >= end || *p != '{')
        return KB_EPARSE;
    p++;
    struct tg_span key, val;
    int r;
    while ((r = next_member(&p, end, &key, &val)) == 1) {
        if (!span_is(&key, "update_id"))
            continue;
        /* every digit counts: a double would round ids beyond 2^53 */
        int64_t v = 0;
        if (val.len == 0 || val.len > 19)
            return KB_EPARSE;
        for (size_t i = 0; i < val.len; i++) {
            int d = val.p[i] - '0';
            if (d < 0 || d > 9 || v > (INT64_MAX - d) / 10)
                return KB_EPARSE;
            v = v * 10 + d;
        }
        *id = v;
        return KB_OK;
    }
    return KB_EPARSE;
}

int tg_parse_me(const cJSON *result, char *username, size_t cap)
{
    const char *name = str_field(result, "username");
    if (!name || !*name || strlen(name) >= cap || !utf8_valid(name, strlen(name)))
        return KB_EPARSE;
    copy_str(username, cap, name);
    return 0;
}

int tg_parse_file(const cJSON *result, size_t max, char *path, size_t cap)
{
    const char *fp = str_field(result, "file_path");
    size_t n = fp ? strlen(fp) : 0;
    if (!n || n >= cap || fp[0] == '/' || strstr(fp, "..") ||
        fp[strspn(fp, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-./")])
        return KB_EPARSE; /* it goes into a URL: nothing but a plain relative path */
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(result, "file_size");
    if (cJSON_IsNumber(size) && size->valuedouble > (double)max)
        return KB_ETOOBIG;
    copy_str(path, cap, fp);
    return 0;
}

int tg_parse_admins(const cJSON *result, int64_t **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    if (!cJSON_IsArray(result))
        return KB_EPARSE;
    int count = cJSON_GetArraySize(result);
    int64_t *a = malloc(sizeof *a * (size_t)(count > 0 ? count : 1));
    if (!a)
        return KB_ENOMEM;
    size_t k = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, result) {
        const char *st = str_field(m, "status");
        int64_t id;
        if (!st || (strcmp(st, "creator") && strcmp(st, "administrator")))
            continue;
        if (read_id_field(cJSON_GetObjectItemCaseSensitive(m, "user"), "id", &id))
            continue;
        a[k++] = id;
    }
    *ids = a;
    *n = k;
    return 0;
}

/*
 * Send classification:
 *   200 ok                    -> OK (message_id from result when present)
 *   429                       -> RETRY, retry_after_ms = retry_after * 1000
 *   5xx, not sent             -> RETRY (retry_after 0: use backoff)
 *   409 Conflict              -> RETRY (it concerns polling, not this
 *                                message: the send was refused, not lost)
 *   no answer, cancelled      -> RETRY_ONCE (it may have been delivered)
 *   400 chat not found, 403   -> CHAT_GONE
 *   400 other                 -> FAILED (edit "message is not modified": OK)
 *   401, or 4xx that is no Bot API answer -> RETRY (getMe at start-up is
 *                                the only judge of the token)
 *   200 with a body we cannot read -> RETRY_ONCE (it probably went)
 */
/* ---- the usual answer to a send, read without building a tree ---------- */

/* A strict JSON reader (RFC 8259) that only checks.  Everything it accepts
   cJSON parses to the same values, so it may stand in for cJSON where the
   answer is the usual one; what it refuses (or does not handle: escaped
   keys, surrogate escapes, long numbers, deep nesting) goes to cJSON. */
#define STRICT_DEPTH 32

static const char *strict_value(const char *p, const char *end, int depth);

static const char *strict_string(const char *p, const char *end, int *escaped)
{
    if (p >= end || *p != '"')
        return NULL;
    for (p++; p < end; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '"')
            return p + 1;
        if (ch < 0x20)
            return NULL;
        if (ch != '\\')
            continue;
        *escaped = 1;
        if (++p >= end)
            return NULL;
        if (*p == 'u') {
            unsigned v = 0;
            for (int i = 1; i <= 4; i++) {
                if (p + i >= end || !strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
                    return NULL;
                char c = p[i];
                v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
            }
            if (v >= 0xD800 && v <= 0xDFFF)
                return NULL; /* pairs are cJSON's to judge */
            p += 4;
        } else if (!*p || !strchr("\"\\/bfnrt", *p)) {
            return NULL;
        }
    }
    return NULL;
}

static const char *strict_number(const char *p, const char *end)
{
    const char *start = p;
    if (p < end && *p == '-')
        p++;
    if (p >= end || *p < '0' || *p > '9')
        return NULL;
    if (*p == '0')
        p++;
    else
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    if (p < end && *p == '.') {
        const char *d = ++p;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        if (p == d)
            return NULL;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        const char *d = p;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        if (p == d)
            return NULL;
    }
    return p - start < 60 ? p : NULL; /* cJSON reads at most 63 characters */
}

static const char *strict_literal(const char *p, const char *end, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0 ? p + n : NULL;
}

/* After a member or an element: just past the closing bracket (*done set)
   or past the comma, or NULL when neither follows. */
static const char *strict_after_item(const char *p, const char *end, char close, int *done)
{
    p = skip_ws(p, end);
    *done = p < end && *p == close;
    if (*done)
        return p + 1;
    return p < end && *p == ',' ? skip_ws(p + 1, end) : NULL;
}

/* Members of the object at p ('{'); each key/value goes to visit (may be
   NULL) when no key is escaped. */
typedef void (*strict_visit_fn)(void *ud, const struct tg_span *key, const char *val,
                                const char *val_end);

static const char *strict_object(const char *p, const char *end, int depth,
                                 strict_visit_fn visit, void *ud, int *escaped_key)
{
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}')
        return p + 1;
    for (;;) {
        int esc = 0;
        const char *k_end = strict_string(p, end, &esc);
        if (!k_end)
            return NULL;
        if (esc)
            *escaped_key = 1;
        struct tg_span key = {p + 1, (size_t)(k_end - p - 2)};
        p = skip_ws(k_end, end);
        if (p >= end || *p != ':')
            return NULL;
        const char *v = skip_ws(p + 1, end);
        const char *v_end = strict_value(v, end, depth + 1);
        if (!v_end)
            return NULL;
        if (visit && !esc)
            visit(ud, &key, v, v_end);
        int done;
        if (!(p = strict_after_item(v_end, end, '}', &done)) || done)
            return p;
    }
}

static const char *strict_value(const char *p, const char *end, int depth)
{
    if (p >= end || depth > STRICT_DEPTH)
        return NULL;
    int ignored = 0;
    switch (*p) {
    case '"':
        return strict_string(p, end, &ignored);
    case '{':
        return strict_object(p, end, depth, NULL, NULL, &ignored);
    case '[':
        p = skip_ws(p + 1, end);
        if (p < end && *p == ']')
            return p + 1;
        for (;;) {
            int done;
            if (!(p = strict_value(p, end, depth + 1)) ||
                !(p = strict_after_item(p, end, ']', &done)) || done)
                return p;
        }
    case 't':
        return strict_literal(p, end, "true");
    case 'f':
        return strict_literal(p, end, "false");
    case 'n':
        return strict_literal(p, end, "null");
    default:
        return strict_number(p, end);
    }
}

/* The first "ok", "result" and "description" of the envelope, and the
   first "message_id" of its result, as cJSON_GetObjectItemCaseSensitive
   would find them. */
struct send_answer {
    struct tg_span ok, result, description, message_id;
    int escaped_key;
};

static void take_first(struct tg_span *slot, const char *v, const char *v_end)
{
    if (!slot->p)
        *slot = (struct tg_span){v, (size_t)(v_end - v)};
}

static void visit_result(void *ud, const struct tg_span *key, const char *v, const char *v_end)
{
    struct send_answer *a = ud;
    if (span_is(key, "message_id"))
        take_first(&a->message_id, v, v_end);
}

static void visit_envelope(void *ud, const struct tg_span *key, const char *v, const char *v_end)
{
    struct send_answer *a = ud;
    if (span_is(key, "ok"))
        take_first(&a->ok, v, v_end);
    else if (span_is(key, "result"))
        take_first(&a->result, v, v_end);
    else if (span_is(key, "description"))
        take_first(&a->description, v, v_end);
}

/* A 200 {"ok":true,"result":{..."message_id":<integer>...}} answer without
   a description: 1 with the id (or "" when there is none) in message_id;
   0 when the answer is anything else (cJSON then reads it). */
static int usual_send_answer(const char *body, size_t len, char *message_id, size_t cap)
{
    struct send_answer a;
    memset(&a, 0, sizeof a);
    const char *end = body + len, *p = skip_ws(body, end);
    if (p >= end || *p != '{')
        return 0;
    p = strict_object(p, end, 0, visit_envelope, &a, &a.escaped_key);
    if (!p || skip_ws(p, end) != end || a.escaped_key || a.description.p ||
        !span_is(&a.ok, "true"))
        return 0;
    message_id[0] = '\0';
    if (!a.result.p || a.result.p[0] != '{')
        return 1; /* answerCallbackQuery's "result":true: no message */
    if (!strict_object(a.result.p, a.result.p + a.result.len, 1, visit_result, &a,
                       &a.escaped_key) ||
        a.escaped_key)
        return 0;
    if (!a.message_id.p)
        return 1;
    /* an exact integer within 2^53, as tg_read_id accepts it */
    const struct tg_span *m = &a.message_id;
    size_t digits = m->len - (m->p[0] == '-');
    if (digits == 0 || digits > 15 || m->len >= cap)
        return 0;
    for (size_t i = m->p[0] == '-'; i < m->len; i++)
        if (m->p[i] < '0' || m->p[i] > '9')
            return 0;
    int64_t v;
    char tmp[24];
    memcpy(tmp, m->p, m->len);
    tmp[m->len] = '\0';
    if (tg_parse_id_str(tmp, &v) != 0)
        return 0;
    snprintf(message_id, cap, "%" PRId64, v);
    return 1;
}

void tg_classify_send(const struct kb_http_response *resp, enum tg_method m,
                      struct tg_send_class *out)
{
    memset(out, 0, sizeof *out);
    out->outcome = KB_SEND_RETRY;
    if (resp->outcome == KB_HTTP_NOT_SENT) {
        copy_str(out->description, sizeof out->description, "not sent");
        return;
    }
    if (resp->outcome != KB_HTTP_DONE) {
        out->outcome = KB_SEND_RETRY_ONCE;
        copy_str(out->description, sizeof out->description,
                 resp->outcome == KB_HTTP_CANCELLED ? "cancelled" : "no answer");
        return;
    }
    out->http_status = resp->status;
    if (resp->status == 200 && resp->body &&
        usual_send_answer(resp->body, resp->body_len, out->message_id, sizeof out->message_id)) {
        out->outcome = KB_SEND_OK;
        return;
    }
    struct tg_envelope env;
    int prc = tg_envelope_parse(resp->body, resp->body_len, &env);
    if (prc == 0)
        copy_str(out->description, sizeof out->description, env.description);
    long st = resp->status;
    if (st == 200 && prc == 0 && env.ok) {
        out->outcome = KB_SEND_OK;
        int64_t mid;
        if (read_id_field(env.result, "message_id", &mid) == 0)
            snprintf(out->message_id, sizeof out->message_id, "%" PRId64, mid);
    } else if (st == 200) {
        out->outcome = KB_SEND_RETRY_ONCE;
        copy_str(out->description, sizeof out->description, "unreadable answer");
    } else if (st == 429) {
        out->outcome = KB_SEND_RETRY;
        out->retry_after_ms = (prc == 0 && env.retry_after_s >= 0)
                                  ? env.retry_after_s * 1000L : 0;
    } else if (st >= 500 || st == 409 || prc != 0 || st == 401) {
        /* not Telegram's answer (a proxy, a portal): a network fault; a
           401 is for getMe to judge, on the receive side */
        out->outcome = KB_SEND_RETRY;
    } else if (st == 403) {
        out->outcome = KB_SEND_CHAT_GONE;
    } else if (st == 400 && strstr(out->description, "chat not found")) {
        out->outcome = KB_SEND_CHAT_GONE;
    } else if (st == 400 && m == TG_M_EDIT &&
               strstr(out->description, "message is not modified")) {
        out->outcome = KB_SEND_OK;
    } else if (st >= 400) {
        out->outcome = KB_SEND_FAILED;
    } else {
        out->outcome = KB_SEND_RETRY_ONCE;
    }
    if (!out->description[0] && out->outcome != KB_SEND_OK)
        snprintf(out->description, sizeof out->description, "HTTP %ld", st);
    tg_envelope_free(&env);
}

/* ==== request bodies =================================================== */

/* Add an id: a raw JSON integer when s is one, else a string. */
static int add_id(cJSON *obj, const char *name, const char *s)
{
    int64_t v;
    if (tg_parse_id_str(s, &v) == 0) {
        char buf[24];
        snprintf(buf, sizeof buf, "%" PRId64, v);
        return cJSON_AddRawToObject(obj, name, buf) ? 0 : KB_ENOMEM;
    }
    return cJSON_AddStringToObject(obj, name, s ? s : "") ? 0 : KB_ENOMEM;
}

static char *finish(cJSON *o, int ok)
{
    char *s = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return s;
}

cJSON *tg_buttons_markup(const char *buttons)
{
    if (!buttons || !*buttons)
        return NULL;
    cJSON *markup = cJSON_CreateObject();
    cJSON *rows = cJSON_AddArrayToObject(markup, "inline_keyboard");
    int total = 0, ok = rows != NULL;
    const char *p = buttons;
    while (ok && *p) {
        const char *row_end = strchr(p, '\n');
        if (!row_end)
            row_end = p + strlen(p);
        cJSON *row = cJSON_CreateArray();
        ok = row != NULL;
        const char *b = p;
        while (ok && b < row_end) {
            const char *b_end = memchr(b, '\t', (size_t)(row_end - b));
            if (!b_end)
                b_end = row_end;
            const char *sep = memchr(b, KB_BUTTON_FIELD_SEP, (size_t)(b_end - b));
            if (sep && b_end - sep - 1 > 0 && b_end - sep - 1 <= 64 && sep > b) {
                char *label = malloc((size_t)(sep - b) + 1);
                char *data = malloc((size_t)(b_end - sep));
                char *plain = NULL;
                if (label && data) {
                    memcpy(label, b, (size_t)(sep - b));
                    label[sep - b] = '\0';
                    memcpy(data, sep + 1, (size_t)(b_end - sep - 1));
                    data[b_end - sep - 1] = '\0';
                    plain = markup_plain_dup(label, 0, 0);
                }
                cJSON *btn = cJSON_CreateObject();
                ok = plain && btn &&
                     cJSON_AddStringToObject(btn, "text", plain) &&
                     cJSON_AddStringToObject(btn, "callback_data", data);
                if (btn)
                    cJSON_AddItemToArray(row, btn);
                total++;
                free(label);
                free(data);
                free(plain);
            }
            b = b_end < row_end ? b_end + 1 : row_end;
        }
        if (row && cJSON_GetArraySize(row) > 0)
            cJSON_AddItemToArray(rows, row);
        else
            cJSON_Delete(row);
        p = *row_end ? row_end + 1 : row_end;
    }
    if (!ok || total == 0) {
        cJSON_Delete(markup);
        return NULL;
    }
    return markup;
}

static int add_markup(cJSON *o, const char *buttons)
{
    cJSON *m = tg_buttons_markup(buttons);
    if (m)
        cJSON_AddItemToObject(o, "reply_markup", m);
    return 1;
}

/* JSON written straight into one buffer where a cJSON tree costs a dozen
   allocations per message (sendMessage is the hot path); the text is byte
   for byte what cJSON_PrintUnformatted prints for the same object. */
struct jw {
    char *s;
    size_t len, cap;
    int oom;
};

static void jw_put(struct jw *w, const char *p, size_t n)
{
    if (w->oom)
        return;
    if (w->len + n + 1 > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap < w->len + n + 1)
            cap *= 2;
        char *grown = realloc(w->s, cap);
        if (!grown) {
            w->oom = 1;
            return;
        }
        w->s = grown;
        w->cap = cap;
    }
    memcpy(w->s + w->len, p, n);
    w->len += n;
    w->s[w->len] = '\0';
}

static void jw_lit(struct jw *w, const char *lit)
{
    jw_put(w, lit, strlen(lit));
}

/* A quoted string, escaped as cJSON escapes (other bytes go as they are). */
static void jw_str(struct jw *w, const char *s)
{
    jw_put(w, "\"", 1);
    const char *run = s;
    for (const char *p = s;; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch >= 32 && ch != '"' && ch != '\\')
            continue;
        jw_put(w, run, (size_t)(p - run));
        if (!ch)
            break;
        char esc[8];
        switch (ch) {
        case '"': jw_lit(w, "\\\""); break;
        case '\\': jw_lit(w, "\\\\"); break;
        case '\b': jw_lit(w, "\\b"); break;
        case '\f': jw_lit(w, "\\f"); break;
        case '\n': jw_lit(w, "\\n"); break;
        case '\r': jw_lit(w, "\\r"); break;
        case '\t': jw_lit(w, "\\t"); break;
        default:
            snprintf(esc, sizeof esc, "\\u%04x", ch);
            jw_lit(w, esc);
        }
        run = p + 1;
    }
    jw_put(w, "\"", 1);
}

/* "name": then an id as add_id writes it (a raw integer when s is one). */
static void jw_id(struct jw *w, const char *name, const char *s)
{
    jw_str(w, name);
    jw_put(w, ":", 1);
    int64_t v;
    if (tg_parse_id_str(s, &v) == 0) {
        char buf[24];
        snprintf(buf, sizeof buf, "%" PRId64, v);
        jw_lit(w, buf);
    } else {
        jw_str(w, s ? s : "");
    }
}

char *tg_encode_send_dup(const struct kb_reply *r, const char *text,
                         int with_buttons)
{
    struct jw w = {0};
    jw_lit(&w, "{");
    jw_id(&w, "chat_id", r->chat_id);
    jw_lit(&w, ",\"text\":");
    jw_str(&w, text ? text : "");
    jw_lit(&w, ",\"parse_mode\":\"HTML\"");
    if (r->thread_id && *r->thread_id) {
        jw_lit(&w, ",");
        jw_id(&w, "message_thread_id", r->thread_id);
    }
    if (r->reply_to && *r->reply_to) {
        jw_lit(&w, ",\"reply_parameters\":{");
        jw_id(&w, "message_id", r->reply_to);
        jw_lit(&w, ",\"allow_sending_without_reply\":true}");
    }
    cJSON *markup = with_buttons ? tg_buttons_markup(r->buttons) : NULL;
    if (markup) {
        char *m = cJSON_PrintUnformatted(markup);
        cJSON_Delete(markup);
        if (m) {
            jw_lit(&w, ",\"reply_markup\":");
            jw_lit(&w, m);
        } else {
            w.oom = 1;
        }
        free(m);
    }
    jw_lit(&w, "}");
    if (w.oom) {
        free(w.s);
        return NULL;
    }
    return w.s;
}

char *tg_encode_edit_dup(const struct kb_reply *r, const char *text)
{
    cJSON *o = cJSON_CreateObject();
    int ok = o && add_id(o, "chat_id", r->chat_id) == 0 &&
             add_id(o, "message_id", r->edit_message_id) == 0 &&
             cJSON_AddStringToObject(o, "text", text ? text : "") &&
             cJSON_AddStringToObject(o, "parse_mode", "HTML") &&
             add_markup(o, r->buttons);
    return finish(o, ok);
}

char *tg_encode_answer_dup(const struct kb_reply *r)
{
    char *plain = markup_plain_dup(r->text, 200, 0);
    cJSON *o = cJSON_CreateObject();
    int ok = plain && o &&
             cJSON_AddStringToObject(o, "callback_query_id",
                                     r->callback_id ? r->callback_id : "");
    if (ok && *plain)
        ok = cJSON_AddStringToObject(o, "text", plain) != NULL;
    free(plain);
    return finish(o, ok);
}

/* The update kinds we decode, for getUpdates and setWebhook alike. */
static int add_allowed_updates(cJSON *o)
{
    static const char *const kinds[] = {"message", "edited_message",
                                        "callback_query", "my_chat_member"};
    cJSON *a = cJSON_CreateStringArray(kinds, 4);
    if (!a)
        return 0;
    cJSON_AddItemToObject(o, "allowed_updates", a);
    return 1;
}

char *tg_encode_get_updates_dup(const char *offset, int timeout_s)
{
    cJSON *o = cJSON_CreateObject();
    int ok = o != NULL;
    if (ok && offset && *offset)
        ok = add_id(o, "offset", offset) == 0;
    ok = ok && cJSON_AddNumberToObject(o, "timeout", timeout_s);
    return finish(o, ok && add_allowed_updates(o));
}

char *tg_encode_set_webhook_dup(const char *url, const char *secret_token, int max_connections)
{
    cJSON *o = cJSON_CreateObject();
    int ok = o && cJSON_AddStringToObject(o, "url", url) &&
             cJSON_AddStringToObject(o, "secret_token", secret_token) &&
             cJSON_AddNumberToObject(o, "max_connections", max_connections);
    return finish(o, ok && add_allowed_updates(o));
}

char *tg_encode_commands_dup(const struct kb_menu *menu)
{
    /* Telegram's language codes are bare ISO 639-1: "zh-CN" -> "zh" */
    char lang[8];
    snprintf(lang, sizeof lang, "%.*s", (int)strcspn(menu->locale, "-"), menu->locale);
    cJSON *o = cJSON_CreateObject();
    cJSON *cmds = o ? cJSON_AddArrayToObject(o, "commands") : NULL;
    int ok = cmds != NULL;
    for (size_t i = 0; ok && i < menu->n; i++) {
        cJSON *c = cJSON_CreateObject();
        ok = c && cJSON_AddStringToObject(c, "command", menu->entries[i].command) &&
             cJSON_AddStringToObject(c, "description", menu->entries[i].description);
        if (c)
            cJSON_AddItemToArray(cmds, c);
    }
    ok = ok && cJSON_AddStringToObject(o, "language_code", lang);
    return finish(o, ok);
}

char *tg_encode_chat_dup(int64_t chat_id)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRId64, chat_id);
    cJSON *o = cJSON_CreateObject();
    int ok = o && cJSON_AddRawToObject(o, "chat_id", buf);
    return finish(o, ok);
}
