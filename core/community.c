/*
 * Communities, chats and members.  A chat belongs to one community (by
 * default its own); a private chat joins the community where the member was
 * last active, so /me in private shows the standing they earned in the group.
 */
#include "community.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modules.h"
#include "outbox.h"
#include "standing.h"
#include "text.h"
#include "tz.h"

static void copy_field(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int community_load(struct engine *e, int64_t id, struct community *out)
{
    char key[KB_I64_TEXT];
    fmt_i64(key, id);
    const struct cache_entry *hit = cache_get(&e->cache.communities, key);
    if (hit) {
        out->id = id;
        copy_field(out->locale, sizeof out->locale, cache_text(hit));
        copy_field(out->tz, sizeof out->tz, cache_text2(hit));
        out->day_start_hour = (int)hit->num;
        return KB_OK;
    }
    /* day_start_hour is the streak module's column (NULL: the config's default) */
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT locale, tz, coalesce(day_start_hour, ?2) FROM communities WHERE id = ?1",
                                  VALS(SI(id), SI(e->set.streak.day_start_hour)));
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    if (rc == 1) {
        out->id = id;
        copy_field(out->locale, sizeof out->locale, store_text(s, 0));
        copy_field(out->tz, sizeof out->tz, store_text(s, 1));
        out->day_start_hour = (int)store_int(s, 2);
        cache_put(&e->cache.communities, key, out->day_start_hour, out->locale, out->tz, 0);
        rc = KB_OK;
    } else if (rc == 0) {
        rc = KB_ENOTFOUND;
    }
    store_done(s);
    return rc;
}

int64_t community_day(const struct community *comm, int64_t t)
{
    return tz_day_from(comm->tz, comm->day_start_hour, t);
}

int64_t community_day_start(const struct community *comm, int64_t day)
{
    return tz_day_start_from(comm->tz, comm->day_start_hour, day);
}

void community_forget(struct engine *e, int64_t id)
{
    char key[KB_I64_TEXT];
    fmt_i64(key, id);
    cache_drop(&e->cache.communities, key);
}

/* The chats cache's key: platform, unit separator, chat id. */
static void chat_key(char *buf, size_t cap, const char *platform, const char *chat_id)
{
    size_t n = str_append(buf, cap, 0, platform);
    n = str_append(buf, cap, n, "\x1f");
    str_append(buf, cap, n, chat_id);
}

void chat_forget(struct engine *e, const char *platform, const char *chat_id)
{
    char key[256];
    chat_key(key, sizeof key, platform, chat_id);
    cache_drop(&e->cache.chats, key);
}

static int community_create(struct engine *e, const char *name, int64_t now, int64_t *id)
{
    int rc = store_exec(e->st,
                        "INSERT INTO communities(name, locale, tz, created_at) VALUES (?, ?, ?, ?)",
                        VALS(ST(name ? name : ""), ST(e->set.locale), ST(e->set.tz), SI(now)));
    if (rc)
        return rc;
    *id = store_last_id(e->st);
    for (size_t m = 0; !rc && m < kb_n_modules; m++) /* e.g. the default schedules */
        if (kb_modules[m]->community_created)
            rc = kb_modules[m]->community_created(e, *id, now);
    return rc;
}

int community_for_event(struct engine *e, const struct kb_event *ev, int64_t now,
                        struct community *out)
{
    int64_t id = 0;
    char key[256];
    chat_key(key, sizeof key, ev->platform, ev->chat_id);
    /* private chats always read their row: writing again may reopen one */
    int cached = ev->chat_type != KB_CHAT_PRIVATE;
    const struct cache_entry *hit = cached ? cache_get(&e->cache.chats, key) : NULL;
    if (hit)
        return community_load(e, hit->num, out);
    int rc = store_i64(e->st, &id,
                       "SELECT community_id FROM chats WHERE platform = ? AND chat_id = ?",
                       VALS(ST(ev->platform), ST(ev->chat_id)));
    if (rc == KB_ENOTFOUND) {
        int is_private = ev->chat_type == KB_CHAT_PRIVATE;
        if (is_private && ev->user_id)
            rc = store_i64(e->st, &id,
                           "SELECT community_id FROM members m WHERE platform = ? AND user_id = ? "
                           "AND EXISTS (SELECT 1 FROM chats c WHERE c.community_id = m.community_id "
                           "  AND c.is_private = 0)" /* a community with a group, not someone's DM */
                           " ORDER BY last_seen DESC LIMIT 1",
                           VALS(ST(ev->platform), ST(ev->user_id)));
        if (rc == KB_ENOTFOUND || !is_private)
            rc = community_create(e, ev->chat_title, now, &id);
        if (rc)
            return rc;
        rc = store_exec(e->st,
                        "INSERT INTO chats(platform, chat_id, community_id, title, is_private, user_id, created_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)",
                        VALS(ST(ev->platform), ST(ev->chat_id), SI(id),
                             ST(ev->chat_title ? ev->chat_title : ""), SI(is_private),
                             is_private ? ST(ev->user_id) : SN, SI(now)));
    } else if (rc == KB_OK && ev->chat_type == KB_CHAT_PRIVATE) {
        /* the person writes again: a chat that refused a message (blocked
           bot) takes private messages again */
        rc = store_exec(e->st,
                        "UPDATE chats SET active = 1, user_id = ? WHERE platform = ? AND chat_id = ?"
                        " AND (active = 0 OR user_id IS NULL)",
                        VALS(ST(ev->user_id), ST(ev->platform), ST(ev->chat_id)));
    }
    if (rc)
        return rc;
    if (cached)
        cache_put(&e->cache.chats, key, id, NULL, NULL, 0);
    return community_load(e, id, out);
}

/* The event's sender is member_id, whose row is this identity's own: its
   display name is name (member_name). */
static void sender_is(struct engine *e, int64_t member_id, const char *name)
{
    e->cache.event_member.id = member_id;
    e->cache.event_member.name = name;
}

int member_ensure(struct engine *e, int64_t community_id, const struct kb_event *ev, int64_t now,
                  int64_t *member_id, int *joined)
{
    if (joined)
        *joined = 0;
    e->cache.event_member.id = 0;
    const char *name = ev->user_name && *ev->user_name ? ev->user_name : ev->user_id;
    char key[320];
    size_t kl = fmt_i64(key, community_id);
    kl = str_append(key, sizeof key, kl, "\x1f");
    kl = str_append(key, sizeof key, kl, ev->platform);
    kl = str_append(key, sizeof key, kl, "\x1f");
    str_append(key, sizeof key, kl, ev->user_id);
    const struct cache_entry *hit = cache_get(&e->cache.members, key);
    int same = hit && strcmp(cache_text(hit), name) == 0 &&
               (!ev->user_handle || (cache_text2(hit) && strcmp(cache_text2(hit), ev->user_handle) == 0));
    /* the common case writes nothing: a known member, same name and handle,
       seen within the hour ("active" statistics count days); an older
       last_seen is one row rewrite, no index */
    if (same && hit->at >= now - 3600) {
        *member_id = hit->num;
        sender_is(e, *member_id, name);
        return KB_OK;
    }
    if (same) {
        *member_id = hit->num;
        int rc = store_exec(e->st, "UPDATE members SET last_seen = max(last_seen, ?)"
                            " WHERE community_id = ? AND platform = ? AND user_id = ?",
                            VALS(SI(now), SI(community_id), ST(ev->platform), ST(ev->user_id)));
        if (!rc) {
            cache_put(&e->cache.members, key, *member_id, name, ev->user_handle, now);
            sender_is(e, *member_id, name);
        }
        return rc;
    }
    /* not cached (or renamed): a first contact is one INSERT; a known row
       is marked seen, with this name and handle, by one UPDATE after it */
    int own_row = 0;
    /* the new id from the connection, not RETURNING: that would cost SQLite
       a temporary b-tree per first contact */
    int rc = store_exec(e->st,
                        "INSERT INTO members(community_id, platform, user_id, name, handle, joined_at, last_seen)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)"
                        " ON CONFLICT(community_id, platform, user_id) DO NOTHING",
                        VALS(SI(community_id), ST(ev->platform), ST(ev->user_id), ST(name),
                             ST(ev->user_handle), SI(now), SI(now)));
    if (rc)
        return rc;
    if (store_changes(e->st) == 1) {
        *member_id = store_last_id(e->st);
        own_row = 1;
        standing_memo_new_member(e, *member_id); /* members are never deleted: no rows name it yet */
        if (joined)
            *joined = 1;
    } else {
        *member_id = 0;
        sqlite3_stmt *s = store_query(e->st,
                        "UPDATE members SET name = ?4, handle = coalesce(?5, handle),"
                        " last_seen = max(last_seen, ?6)"
                        " WHERE community_id = ?1 AND platform = ?2 AND user_id = ?3"
                        " RETURNING coalesce(linked_to, id), linked_to IS NULL",
                        VALS(SI(community_id), ST(ev->platform), ST(ev->user_id), ST(name),
                             ST(ev->user_handle), SI(now)));
        if (!s)
            return store_failure(e->st);
        rc = store_step(e->st, s);
        if (rc == 1) {
            *member_id = store_int(s, 0);
            own_row = store_int(s, 1) != 0;
            rc = store_step(e->st, s);
        }
        store_done(s);
        if (rc < 0)
            return store_failure(e->st);
        if (rc != 0 || *member_id == 0)
            return KB_ESTORE;
    }
    /* the row now holds this name (and handle, when given); a name kept for
       the member is refreshed, none is added: the event's own replies take
       it from sender_is, and most senders of a burst are never named again */
    char id_key[KB_I64_TEXT];
    fmt_i64(id_key, *member_id);
    if (own_row && cache_get(&e->cache.names, id_key))
        cache_put(&e->cache.names, id_key, 0, name, NULL, 0);
    else if (!own_row)
        cache_drop(&e->cache.names, id_key);
    if (own_row) {
        cache_put(&e->cache.members, key, *member_id, name, ev->user_handle, now);
        sender_is(e, *member_id, name);
    } else {
        cache_drop(&e->cache.members, key); /* a linked identity: its name is not the member's */
    }
    return KB_OK;
}

/* 1 when entry is "platform:user_id" */
static int same_identity(const char *entry, const char *platform, const char *user_id)
{
    size_t plen = strlen(platform);
    return entry && strncmp(entry, platform, plen) == 0 && entry[plen] == ':' &&
           strcmp(entry + plen + 1, user_id) == 0;
}

int community_is_owner(const struct engine *e, const char *platform, const char *user_id)
{
    return platform && user_id && same_identity(e->set.owner, platform, user_id);
}

int community_is_operator(struct engine *e, int64_t community_id, const char *platform,
                          const char *user_id)
{
    if (!platform || !user_id)
        return 0;
    if (community_is_owner(e, platform, user_id))
        return 1;
    for (size_t i = 0; i < e->set.n_operators; i++)
        if (same_identity(e->set.operators[i], platform, user_id))
            return 1;
    /* the community's operators table, one "platform:user_id" a line */
    char key[KB_I64_TEXT];
    fmt_i64(key, community_id);
    const struct cache_entry *hit = cache_get(&e->cache.operators, key);
    if (!hit) {
        sqlite3_stmt *s = store_query(e->st, "SELECT platform, user_id FROM operators WHERE community_id = ?",
                                      VALS(SI(community_id)));
        if (!s)
            return 0;
        struct sbuf list = {0};
        int rc;
        while ((rc = store_step(e->st, s)) == 1)
            sbuf_addf(&list, "%s:%s\n", store_text(s, 0), store_text(s, 1));
        store_done(s);
        if (rc == 0)
            cache_put(&e->cache.operators, key, 0, sbuf_str(&list), NULL, 0);
        sbuf_free(&list);
        if (rc != 0 || !(hit = cache_get(&e->cache.operators, key)))
            return 0;
    }
    for (const char *line = cache_text(hit); *line;) {
        const char *end = strchr(line, '\n');
        char entry[320];
        size_t n = (size_t)(end - line);
        if (n < sizeof entry) {
            memcpy(entry, line, n);
            entry[n] = '\0';
            if (same_identity(entry, platform, user_id))
                return 1;
        }
        line = end + 1;
    }
    return 0;
}

void member_name(struct engine *e, int64_t member_id, struct sbuf *out)
{
    if (member_id && member_id == e->cache.event_member.id) {
        store_note_read(e->st, "members"); /* as a cached lookup counts (cache_mirrors) */
        text_user(out, e->cache.event_member.name);
        return;
    }
    char key[KB_I64_TEXT];
    fmt_i64(key, member_id);
    const struct cache_entry *hit = cache_get(&e->cache.names, key);
    if (hit) {
        text_user(out, cache_text(hit));
        return;
    }
    sqlite3_stmt *s = store_query(e->st, "SELECT name FROM members WHERE id = ?", VALS(SI(member_id)));
    if (s && store_step(e->st, s) == 1) {
        text_user(out, store_text(s, 0));
        cache_put(&e->cache.names, key, 0, store_text(s, 0), NULL, 0);
    } else {
        sbuf_add(out, "?");
    }
    store_done(s);
}

int community_post(struct engine *e, int64_t community_id, const char *markup, const char *buttons,
                   const char *ref, int64_t now)
{
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT platform, chat_id FROM chats"
                                  " WHERE community_id = ? AND active = 1 AND is_private = 0",
                                  VALS(SI(community_id)));
    if (!s)
        return store_failure(e->st);
    /* copy the targets first: outbox_add reuses the statement cache */
    struct sbuf targets = {0};
    size_t count = 0;
    int rc;
    while ((rc = store_step(e->st, s)) == 1) {
        sbuf_add(&targets, store_text(s, 0));
        sbuf_addc(&targets, '\0');
        sbuf_add(&targets, store_text(s, 1));
        sbuf_addc(&targets, '\0');
        count++;
    }
    store_done(s);
    const char *p = targets.s;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        const char *platform = p;
        const char *chat = platform + strlen(platform) + 1;
        p = chat + strlen(chat) + 1;
        struct kb_reply r = {.kind = KB_REPLY_SEND, .platform = platform, .chat_id = chat,
                             .text = markup, .buttons = buttons};
        rc = outbox_add(e, &r, ref, now);
    }
    sbuf_free(&targets);
    return rc;
}

int community_post_after(struct engine *e, int64_t community_id, const char *markup,
                         const char *ref, int64_t now)
{
    if (!e->in_event)
        return community_post(e, community_id, markup, NULL, ref, now);
    if (e->n_deferred == e->cap_deferred) {
        e->cap_deferred = e->cap_deferred ? e->cap_deferred * 2 : 4;
        e->deferred = xrealloc(e->deferred, e->cap_deferred * sizeof *e->deferred);
    }
    e->deferred[e->n_deferred++] = (struct deferred_post){
        .community_id = community_id, .markup = xstrdup(markup), .ref = ref ? xstrdup(ref) : NULL};
    return KB_OK;
}

int community_post_held(struct engine *e, int64_t now)
{
    int rc = KB_OK;
    for (size_t i = 0; i < e->n_deferred && !rc; i++)
        rc = community_post(e, e->deferred[i].community_id, e->deferred[i].markup, NULL,
                            e->deferred[i].ref, now);
    community_drop_held(e);
    return rc;
}

void community_drop_held(struct engine *e)
{
    for (size_t i = 0; i < e->n_deferred; i++) {
        free(e->deferred[i].markup);
        free(e->deferred[i].ref);
    }
    e->n_deferred = 0;
}

/* The member's platform and user id when their platform's adapter opens a
   private chat itself (settings.private_openers): 1 with both set (owned),
   0 when it does not, or a negative KB_E*. */
static int opener_identity(struct engine *e, int64_t member_id, char **platform, char **user)
{
    sqlite3_stmt *s = store_query(e->st, "SELECT platform, user_id FROM members WHERE id = ?",
                                  VALS(SI(member_id)));
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    if (rc == 1) {
        rc = 0;
        for (size_t i = 0; i < e->set.n_private_openers && !rc; i++)
            rc = strcmp(e->set.private_openers[i], store_text(s, 0)) == 0;
    }
    if (rc == 1) {
        *platform = xstrdup(store_text(s, 0));
        *user = xstrdup(store_text(s, 1));
    }
    store_done(s);
    return rc;
}

int member_tell_privately(struct engine *e, int64_t member_id, const char *markup,
                          const char *buttons, int64_t now, int *sent)
{
    *sent = 0;
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT c.platform, c.chat_id FROM members m JOIN chats c INDEXED BY chats_private_user"
                                  " ON c.platform = m.platform AND c.user_id = m.user_id AND c.is_private = 1"
                                  " WHERE m.id = ? AND c.active = 1 ORDER BY c.created_at DESC LIMIT 1",
                                  VALS(SI(member_id)));
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    char *platform = rc == 1 ? xstrdup(store_text(s, 0)) : NULL;
    char *chat = rc == 1 ? xstrdup(store_text(s, 1)) : NULL;
    store_done(s);
    if (rc == 0) /* no private chat yet: some platforms open one themselves */
        rc = opener_identity(e, member_id, &platform, &chat);
    if (rc == 1) {
        struct kb_reply r = {.kind = KB_REPLY_SEND, .platform = platform, .chat_id = chat,
                             .text = markup, .buttons = buttons};
        char ref[40]; /* what private_messages_refused needs if the chat refuses it */
        snprintf(ref, sizeof ref, "private:%lld", (long long)member_id);
        rc = outbox_add(e, &r, ref, now);
        *sent = rc == KB_OK;
    }
    free(platform);
    free(chat);
    return rc < 0 ? rc : KB_OK;
}

/* One refused private message (outbox row id) again, in the member's
   group with the note. */
static int private_to_group(struct engine *e, int64_t id, int64_t now)
{
    sqlite3_stmt *s = store_query(
        e->st,
        "SELECT o.text, coalesce(o.buttons, ''), m.id, g.platform, g.chat_id, k.locale"
        " FROM outbox o JOIN members m ON m.id = CAST(substr(o.ref, 9) AS INTEGER)"
        " JOIN communities k ON k.id = m.community_id"
        " JOIN chats g ON g.community_id = m.community_id AND g.platform = m.platform"
        "  AND g.is_private = 0 AND g.active = 1"
        " WHERE o.id = ? AND o.ref LIKE 'private:%' ORDER BY g.created_at DESC LIMIT 1",
        VALS(SI(id)));
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    if (rc != 1) {
        store_done(s);
        return rc < 0 ? rc : KB_OK; /* not a private message, or no group to fall back to */
    }
    struct sbuf text = {0}, who = {0};
    sbuf_add(&text, store_text(s, 0));
    char *buttons = xstrdup(store_text(s, 1)), *platform = xstrdup(store_text(s, 3));
    char *chat = xstrdup(store_text(s, 4)), *lang = xstrdup(store_text(s, 5));
    int64_t member = store_int(s, 2);
    store_done(s);
    member_name(e, member, &who);
    member_private_note(lang, who.s, &text);
    struct kb_reply r = {.kind = KB_REPLY_SEND, .platform = platform, .chat_id = chat, .text = text.s,
                         .buttons = *buttons ? buttons : NULL};
    rc = outbox_add(e, &r, NULL, now);
    sbuf_free(&text);
    sbuf_free(&who);
    free(buttons);
    free(platform);
    free(chat);
    free(lang);
    return rc;
}

int private_messages_refused(struct engine *e, int64_t outbox_id, int64_t now)
{
    /* this row and the private messages still waiting for the same chat */
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT id FROM outbox WHERE id = ?1 OR (state = 0 AND ref LIKE 'private:%'"
                                  " AND (platform, chat_id) = (SELECT platform, chat_id FROM outbox WHERE id = ?1))"
                                  " ORDER BY id LIMIT 100",
                                  VALS(SI(outbox_id)));
    if (!s)
        return store_failure(e->st);
    int64_t ids[100];
    size_t n = 0;
    int rc;
    while ((rc = store_step(e->st, s)) == 1 && n < 100)
        ids[n++] = store_int(s, 0);
    store_done(s);
    for (size_t i = 0; i < n && rc >= 0; i++)
        rc = private_to_group(e, ids[i], now);
    return rc < 0 ? rc : KB_OK;
}

void member_private_note(const char *lang, const char *who, struct sbuf *out)
{
    sbuf_addc(out, '\n');
    text_format(out, lang, "direct.fallback", ARGS(TS("who", who)));
}

int chat_migrate(struct engine *e, const char *platform, const char *old_id, const char *new_id)
{
    int64_t exists = 0;
    int rc = store_i64(e->st, &exists, "SELECT 1 FROM chats WHERE platform = ? AND chat_id = ?",
                       VALS(ST(platform), ST(new_id)));
    if (rc == KB_OK) /* the new chat already spoke first: keep its row, drop the old */
        rc = store_exec(e->st, "DELETE FROM chats WHERE platform = ? AND chat_id = ?",
                        VALS(ST(platform), ST(old_id)));
    else if (rc == KB_ENOTFOUND)
        rc = store_exec(e->st, "UPDATE chats SET chat_id = ? WHERE platform = ? AND chat_id = ?",
                        VALS(ST(new_id), ST(platform), ST(old_id)));
    if (!rc)
        rc = store_exec(e->st, "UPDATE outbox SET chat_id = ? WHERE platform = ? AND chat_id = ? AND state = 0",
                        VALS(ST(new_id), ST(platform), ST(old_id)));
    if (!rc) {
        outbox_mem_stale(e, platform); /* the sender's copies name the old chat */
        chat_forget(e, platform, old_id);
        chat_forget(e, platform, new_id);
    }
    if (!rc)
        rc = store_exec(e->st, "UPDATE OR REPLACE posted SET chat_id = ? WHERE platform = ? AND chat_id = ?",
                        VALS(ST(new_id), ST(platform), ST(old_id)));
    /* where polls close and task verdicts and reminders are posted */
    if (!rc)
        rc = store_exec(e->st, "UPDATE polls SET chat_id = ? WHERE platform = ? AND chat_id = ?",
                        VALS(ST(new_id), ST(platform), ST(old_id)));
    if (!rc)
        rc = store_exec(e->st, "UPDATE claims SET chat_id = ? WHERE platform = ? AND chat_id = ?",
                        VALS(ST(new_id), ST(platform), ST(old_id)));
    if (!rc)
        rc = store_exec(e->st, "UPDATE submissions SET chat_id = ? WHERE platform = ? AND chat_id = ?",
                        VALS(ST(new_id), ST(platform), ST(old_id)));
    /* where a quiz asks its questions and shares its card */
    if (!rc)
        rc = store_exec(e->st, "UPDATE quiz_sessions SET chat_id = ? WHERE platform = ? AND chat_id = ?",
                        VALS(ST(new_id), ST(platform), ST(old_id)));
    if (!rc)
        rc = store_exec(e->st, "UPDATE quiz_sessions SET group_chat = ? WHERE group_platform = ? AND group_chat = ?",
                        VALS(ST(new_id), ST(platform), ST(old_id)));
    return rc;
}

int chat_set_active(struct engine *e, const char *platform, const char *chat_id, int active)
{
    return store_exec(e->st, "UPDATE chats SET active = ? WHERE platform = ? AND chat_id = ?",
                      VALS(SI(active), ST(platform), ST(chat_id)));
}
