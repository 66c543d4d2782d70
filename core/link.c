/*
 * One brand, many groups, one person on many platforms.
 *
 * /community link|join|groups|unlink: an operator shows a one-time code in
 * a group of the community (link) and types it in another group (join), on
 * any platform; the joining group's chat then belongs to that community
 * (one ledger, one leaderboard, schedules posted to every group).  What the
 * group had before stays with its old community and is its again after
 * unlink.
 *
 * /me link <who> in a private chat gives a one-time code for the person's
 * identity on another platform ("platform:user_id" or "@handle"); that
 * identity types /me link CODE and, once, its ledger, check-ins, completed
 * tasks, pools and level move to the first identity, which it stands for
 * from then on.  Rows that would count twice (a day checked in on both
 * sides) stay where they were.  Every moved row is recorded, so an
 * operator's /identity unlink @member moves them back.
 *
 * /lang zh-CN|en switches a community's language.
 */
#include "link.h"
#include "who.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "community.h"
#include "command.h"
#include "standing.h"
#include "tally.h"

#define CODE_LEN 8
#define CODE_TTL_S 600

/* ==== codes ============================================================== */

/* A fresh random code (SQLite's randomblob: the core has no other entropy). */
static int new_code(struct cmd_ctx *c, char out[CODE_LEN + 1])
{
    sqlite3_stmt *s = store_query(c->st, "SELECT upper(hex(randomblob(4)))", NOVALS);
    if (!s)
        return store_failure(c->st);
    int rc = store_step(c->st, s);
    if (rc == 1)
        snprintf(out, CODE_LEN + 1, "%s", store_text(s, 0));
    store_done(s);
    return rc == 1 ? KB_OK : store_failure(c->st);
}

/* 1 when s looks like a code: CODE_LEN hex digits (either case). */
static int is_code(const char *s)
{
    size_t n = strspn(s, "0123456789abcdefABCDEF");
    return n == CODE_LEN && s[n] == '\0';
}

struct code_row {
    char kind[16];
    int64_t community_id, member_id, expires_at, used_at;
    char platform[32];
    char target[200];
};

/* KB_OK with the row, KB_ENOTFOUND, or an error.  code is upper-cased. */
static int code_load(struct cmd_ctx *c, const char *code, struct code_row *out)
{
    char up[CODE_LEN + 1];
    for (size_t i = 0; i <= CODE_LEN; i++)
        up[i] = (char)(code[i] >= 'a' && code[i] <= 'f' ? code[i] - 'a' + 'A' : code[i]);
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT kind, community_id, member_id, platform, coalesce(target, ''),"
                                  " expires_at, coalesce(used_at, 0) FROM link_codes WHERE code = ?",
                                  VALS(ST(up)));
    if (!s)
        return store_failure(c->st);
    int rc = store_step(c->st, s);
    if (rc == 1) {
        snprintf(out->kind, sizeof out->kind, "%s", store_text(s, 0));
        out->community_id = store_int(s, 1);
        out->member_id = store_int(s, 2);
        snprintf(out->platform, sizeof out->platform, "%s", store_text(s, 3));
        snprintf(out->target, sizeof out->target, "%s", store_text(s, 4));
        out->expires_at = store_int(s, 5);
        out->used_at = store_int(s, 6);
    }
    store_done(s);
    return rc == 1 ? KB_OK : rc == 0 ? KB_ENOTFOUND : store_failure(c->st);
}

static int code_use(struct cmd_ctx *c, const char *code)
{
    return store_exec(c->st, "UPDATE link_codes SET used_at = ? WHERE code = upper(?)",
                      VALS(SI(c->now), ST(code)));
}

/* The refusal for a code that is not there, not this kind, spent or old;
   0 when the code may be used. */
static const char *code_refusal(const struct cmd_ctx *c, int found, const struct code_row *r,
                                const char *kind)
{
    if (!found || strcmp(r->kind, kind) != 0)
        return "link.code_unknown";
    if (r->used_at)
        return "link.code_used";
    if (r->expires_at < c->now)
        return "link.code_expired";
    return NULL;
}

/* An audit row in another community than the command's (the one joined). */
static int audit_in(struct cmd_ctx *c, int64_t community_id, const char *action, const char *target)
{
    return store_exec(c->st,
                      "INSERT INTO audit(community_id, actor_member_id, action, target, detail, at)"
                      " VALUES (?, ?, ?, ?, '', ?)",
                      VALS(SI(community_id), SI(c->member_id), ST(action), ST(target), SI(c->now)));
}

/* ==== /community ========================================================= */

static int community_link(struct cmd_ctx *c)
{
    char code[CODE_LEN + 1];
    int rc = new_code(c, code);
    if (!rc)
        rc = store_exec(c->st,
                        "INSERT INTO link_codes(code, kind, community_id, member_id, platform, expires_at)"
                        " VALUES (?, 'community', ?, ?, ?, ?)",
                        VALS(ST(code), SI(c->comm.id), SI(c->member_id), ST(c->ev->platform),
                             SI(c->now + CODE_TTL_S)));
    if (!rc)
        rc = audit_add(c, "community.link", "code", NULL);
    return rc ? rc : ctx_reply(c, "link.community_code", ARGS(TS("code", code), TI("minutes", CODE_TTL_S / 60)));
}

static int community_join(struct cmd_ctx *c)
{
    const char *code = c->args;
    if (!is_code(code))
        return ctx_reply(c, "link.community_usage", NOARGS);
    struct code_row r;
    int rc = code_load(c, code, &r);
    if (rc && rc != KB_ENOTFOUND)
        return rc;
    const char *refusal = code_refusal(c, rc == KB_OK, &r, "community");
    if (refusal)
        return ctx_reply(c, refusal, NOARGS);
    if (r.community_id == c->comm.id)
        return ctx_reply(c, "link.already_joined", NOARGS);
    int64_t others = 0;
    rc = store_i64(c->st, &others,
                   "SELECT count(*) FROM chats WHERE community_id = ? AND is_private = 0"
                   " AND NOT (platform = ? AND chat_id = ?)",
                   VALS(SI(c->comm.id), ST(c->ev->platform), ST(c->ev->chat_id)));
    if (rc)
        return rc;
    if (others > 0) /* this group has linked groups of its own */
        return ctx_reply(c, "link.has_groups", NOARGS);
    rc = store_exec(c->st, "UPDATE chats SET community_id = ? WHERE platform = ? AND chat_id = ?",
                    VALS(SI(r.community_id), ST(c->ev->platform), ST(c->ev->chat_id)));
    chat_forget(c->e, c->ev->platform, c->ev->chat_id);
    if (!rc)
        rc = store_exec(c->st,
                        "INSERT INTO chat_links(platform, chat_id, from_community, to_community, by_member, at)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        VALS(ST(c->ev->platform), ST(c->ev->chat_id), SI(c->comm.id), SI(r.community_id),
                             SI(c->member_id), SI(c->now)));
    if (!rc)
        rc = code_use(c, code);
    char target[200];
    snprintf(target, sizeof target, "chat:%s:%s", c->ev->platform, c->ev->chat_id);
    if (!rc)
        rc = audit_add(c, "community.join", target, NULL);
    if (!rc)
        rc = audit_in(c, r.community_id, "community.join", target);
    struct community joined;
    if (!rc)
        rc = community_load(c->e, r.community_id, &joined);
    if (rc)
        return rc;
    struct sbuf b = {0};
    text_format(&b, joined.locale, "link.joined", NOARGS);
    rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    return rc;
}

static int community_groups(struct cmd_ctx *c)
{
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT platform, chat_id, title, active FROM chats"
                                  " WHERE community_id = ? AND is_private = 0 ORDER BY created_at, platform, chat_id",
                                  VALS(SI(c->comm.id)));
    if (!s)
        return store_failure(c->st);
    struct sbuf b = {0};
    text_format(&b, c->lang, "link.groups_header", NOARGS);
    int rc;
    while ((rc = store_step(c->st, s)) == 1) {
        char where[200];
        snprintf(where, sizeof where, "%s:%s", store_text(s, 0), store_text(s, 1));
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, store_int(s, 3) ? "link.group_line" : "link.group_line_gone",
                    ARGS(TU("where", where), TU("title", store_text(s, 2))));
    }
    store_done(s);
    if (rc == 0)
        rc = ctx_reply_markup(c, b.s, 0);
    else
        rc = store_failure(c->st);
    sbuf_free(&b);
    return rc;
}

/* Unlink "platform:chat_id" (this group when where is empty): the group
   goes back to the community it came from. */
static int community_unlink(struct cmd_ctx *c)
{
    const char *where = c->args;
    char platform[32], chat[160];
    if (!*where) {
        snprintf(platform, sizeof platform, "%s", c->ev->platform);
        snprintf(chat, sizeof chat, "%s", c->ev->chat_id);
    } else {
        const char *colon = strchr(where, ':');
        if (!colon || colon == where || (size_t)(colon - where) >= sizeof platform ||
            strlen(colon + 1) >= sizeof chat || !colon[1])
            return ctx_reply(c, "link.unlink_usage", NOARGS);
        snprintf(platform, sizeof platform, "%.*s", (int)(colon - where), where);
        snprintf(chat, sizeof chat, "%s", colon + 1);
    }
    int64_t link_id = 0, from = 0;
    int rc = store_i64(c->st, &link_id,
                       "SELECT id FROM chat_links WHERE platform = ? AND chat_id = ? AND to_community = ?"
                       " AND unlinked_at IS NULL ORDER BY id DESC LIMIT 1",
                       VALS(ST(platform), ST(chat), SI(c->comm.id)));
    if (rc == KB_ENOTFOUND)
        return ctx_reply(c, "link.not_linked", NOARGS);
    if (!rc)
        rc = store_i64(c->st, &from, "SELECT from_community FROM chat_links WHERE id = ?", VALS(SI(link_id)));
    if (!rc)
        rc = store_exec(c->st, "UPDATE chats SET community_id = ? WHERE platform = ? AND chat_id = ?",
                        VALS(SI(from), ST(platform), ST(chat)));
    chat_forget(c->e, platform, chat);
    if (!rc)
        rc = store_exec(c->st, "UPDATE chat_links SET unlinked_at = ? WHERE id = ?",
                        VALS(SI(c->now), SI(link_id)));
    char target[200];
    snprintf(target, sizeof target, "chat:%s:%s", platform, chat);
    if (!rc)
        rc = audit_add(c, "community.unlink", target, NULL);
    if (!rc)
        rc = audit_in(c, from, "community.unlink", target);
    return rc ? rc : ctx_reply(c, "link.unlinked", ARGS(TU("where", target + 5)));
}

/* /community with no (fitting) subcommand */
static int community_usage(struct cmd_ctx *c)
{
    return ctx_reply(c, "link.community_usage", NOARGS);
}

/* ==== /lang ============================================================== */

static int cmd_lang(struct cmd_ctx *c)
{
    const char *locale = strcmp(c->args, "zh-CN") == 0 ? "zh-CN" : strcmp(c->args, "en") == 0 ? "en" : NULL;
    if (!locale)
        return ctx_reply(c, "link.lang_usage", NOARGS);
    int rc = store_exec(c->st, "UPDATE communities SET locale = ? WHERE id = ?",
                        VALS(ST(locale), SI(c->comm.id)));
    community_forget(c->e, c->comm.id);
    if (!rc)
        rc = audit_add(c, "community.lang", locale, NULL);
    if (rc)
        return rc;
    c->lang = locale; /* answer in the new language */
    return ctx_reply(c, "link.lang_set", NOARGS);
}

/* ==== identities ========================================================= */

/* The sender's own member row (not the person it may stand for). */
static int sender_identity(struct cmd_ctx *c, int64_t *id, int64_t *linked_to)
{
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT id, coalesce(linked_to, 0) FROM members"
                                  " WHERE community_id = ? AND platform = ? AND user_id = ?",
                                  VALS(SI(c->comm.id), ST(c->ev->platform), ST(c->ev->user_id)));
    if (!s)
        return store_failure(c->st);
    int rc = store_step(c->st, s);
    if (rc == 1) {
        *id = store_int(s, 0);
        *linked_to = store_int(s, 1);
    }
    store_done(s);
    return rc == 1 ? KB_OK : rc == 0 ? KB_ENOTFOUND : store_failure(c->st);
}

static int identity_code(struct cmd_ctx *c, const char *who)
{
    if (c->ev->chat_type != KB_CHAT_PRIVATE)
        return ctx_reply(c, "link.me_private", NOARGS);
    const char *colon = strchr(who, ':');
    size_t plen = colon ? (size_t)(colon - who) : 0;
    if (!(who[0] == '@' && who[1]) && !(colon && plen > 0 && colon[1]))
        return ctx_reply(c, "link.me_usage", NOARGS);
    if (colon && who[0] != '@' && plen == strlen(c->ev->platform) &&
        strncmp(who, c->ev->platform, plen) == 0)
        return ctx_reply(c, "link.same_platform", NOARGS);
    char code[CODE_LEN + 1];
    int rc = new_code(c, code);
    if (!rc)
        rc = store_exec(c->st,
                        "INSERT INTO link_codes(code, kind, community_id, member_id, platform, target, expires_at)"
                        " VALUES (?, 'identity', ?, ?, ?, ?, ?)",
                        VALS(ST(code), SI(c->comm.id), SI(c->member_id), ST(c->ev->platform), ST(who),
                             SI(c->now + CODE_TTL_S)));
    return rc ? rc : ctx_reply(c, "link.me_code",
                               ARGS(TS("code", code), TU("who", who), TI("minutes", CODE_TTL_S / 60)));
}

/* 1 when the sender is the identity the code was made for. */
static int is_target(const struct cmd_ctx *c, const char *target)
{
    if (target[0] == '@')
        return c->ev->user_handle && strcmp(c->ev->user_handle, target + 1) == 0;
    size_t plen = strlen(c->ev->platform);
    return strncmp(target, c->ev->platform, plen) == 0 && target[plen] == ':' &&
           strcmp(target + plen + 1, c->ev->user_id) == 0;
}

/* Move what the alias earned to the primary, recording each moved row. */
static int identity_merge(struct cmd_ctx *c, int64_t link_id, int64_t primary, int64_t alias)
{
    static const char *const steps[] = {
        /* ledger rows that would not pay twice (ledger_once) */
        "INSERT INTO identity_moves(link_id, tbl, key_i) SELECT ?1, 'ledger', id FROM ledger l"
        " WHERE member_id = ?3 AND (reason IN ('grant','revoke','payout') OR NOT EXISTS"
        " (SELECT 1 FROM ledger a WHERE a.member_id = ?2 AND a.reason = l.reason AND a.ref = l.ref"
        "  AND a.kind = l.kind AND a.unit = l.unit))",
        "UPDATE ledger SET member_id = ?2 WHERE member_id = ?3 AND id IN"
        " (SELECT key_i FROM identity_moves WHERE link_id = ?1 AND tbl = 'ledger')",
        "INSERT INTO identity_moves(link_id, tbl, key_i) SELECT ?1, 'checkins', day FROM checkins k"
        " WHERE member_id = ?3 AND NOT EXISTS (SELECT 1 FROM checkins a WHERE a.member_id = ?2 AND a.day = k.day)",
        "UPDATE checkins SET member_id = ?2 WHERE member_id = ?3 AND day IN"
        " (SELECT key_i FROM identity_moves WHERE link_id = ?1 AND tbl = 'checkins')",
        "INSERT INTO identity_moves(link_id, tbl, key_t) SELECT ?1, 'task_completions', task_ref"
        " FROM task_completions t WHERE member_id = ?3 AND NOT EXISTS"
        " (SELECT 1 FROM task_completions a WHERE a.member_id = ?2 AND a.task_ref = t.task_ref)",
        "UPDATE task_completions SET member_id = ?2 WHERE member_id = ?3 AND task_ref IN"
        " (SELECT key_t FROM identity_moves WHERE link_id = ?1 AND tbl = 'task_completions')",
        "INSERT INTO identity_moves(link_id, tbl, key_t) SELECT ?1, 'pool_members', pool"
        " FROM pool_members p WHERE member_id = ?3 AND NOT EXISTS"
        " (SELECT 1 FROM pool_members a WHERE a.member_id = ?2 AND a.pool = p.pool)",
        "UPDATE pool_members SET member_id = ?2 WHERE member_id = ?3 AND pool IN"
        " (SELECT key_t FROM identity_moves WHERE link_id = ?1 AND tbl = 'pool_members')",
        /* the reward pipeline's payments follow the ledger rows they settle */
        "INSERT INTO identity_moves(link_id, tbl, key_i) SELECT ?1, 'payments', id FROM payments WHERE member_id = ?3",
        "UPDATE payments SET member_id = ?2 WHERE member_id = ?3 AND id IN"
        " (SELECT key_i FROM identity_moves WHERE link_id = ?1 AND tbl = 'payments')",
        "INSERT INTO identity_moves(link_id, tbl, key_t) SELECT ?1, 'member_tags', tag"
        " FROM member_tags t WHERE member_id = ?3 AND NOT EXISTS"
        " (SELECT 1 FROM member_tags a WHERE a.member_id = ?2 AND a.tag = t.tag)",
        "UPDATE member_tags SET member_id = ?2 WHERE member_id = ?3 AND tag IN"
        " (SELECT key_t FROM identity_moves WHERE link_id = ?1 AND tbl = 'member_tags')",
        /* the higher of the two levels */
        "INSERT INTO member_levels(member_id, level, since)"
        " SELECT ?2, level, since FROM member_levels WHERE member_id = ?3 AND true"
        " ON CONFLICT(member_id) DO UPDATE SET level = max(level, excluded.level)",
        "UPDATE members SET linked_to = ?2 WHERE id = ?3",
    };
    int rc = KB_OK;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0] && !rc; i++)
        rc = store_exec(c->st, steps[i], VALS(SI(link_id), SI(primary), SI(alias)));
    cache_clear(&c->e->cache.members); /* an identity now stands for another (or no longer) */
    cache_clear(&c->e->cache.standing); /* its levels, tallies and tasks moved */
    if (!rc)
        rc = top_rebuild(c->e, c->comm.id);
    return rc;
}

static int identity_redeem(struct cmd_ctx *c, const char *code)
{
    struct code_row r;
    int rc = code_load(c, code, &r);
    if (rc && rc != KB_ENOTFOUND)
        return rc;
    const char *refusal = code_refusal(c, rc == KB_OK && r.community_id == c->comm.id, &r, "identity");
    if (refusal)
        return ctx_reply(c, refusal, NOARGS);
    int64_t self = 0, linked_to = 0, taken = 0;
    rc = sender_identity(c, &self, &linked_to);
    if (rc)
        return rc;
    if (strcmp(r.platform, c->ev->platform) == 0)
        return ctx_reply(c, "link.same_platform", NOARGS);
    if (!is_target(c, r.target))
        return ctx_reply(c, "link.other_person", NOARGS);
    if (linked_to || self == r.member_id)
        return ctx_reply(c, "link.already_linked", NOARGS);
    /* one identity per platform: the person may not already have one here */
    rc = store_i64(c->st, &taken,
                   "SELECT count(*) FROM members WHERE (id = ?1 OR linked_to = ?1) AND platform = ?2",
                   VALS(SI(r.member_id), ST(c->ev->platform)));
    if (rc)
        return rc;
    if (taken)
        return ctx_reply(c, "link.same_platform", NOARGS);
    int64_t level_before = -1;
    rc = store_i64(c->st, &level_before, "SELECT level FROM member_levels WHERE member_id = ?",
                   VALS(SI(r.member_id)));
    if (rc && rc != KB_ENOTFOUND)
        return rc;
    int had_level = rc == KB_OK;
    rc = store_exec(c->st,
                    "INSERT INTO identity_links(community_id, primary_id, alias_id, primary_level_before, at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    VALS(SI(c->comm.id), SI(r.member_id), SI(self), had_level ? SI(level_before) : SN,
                         SI(c->now)));
    int64_t link_id = store_last_id(c->st);
    if (!rc)
        rc = identity_merge(c, link_id, r.member_id, self);
    if (!rc)
        rc = code_use(c, code);
    char target[64];
    snprintf(target, sizeof target, "member:%lld", (long long)self);
    c->member_id = r.member_id; /* from now on the sender is the person */
    if (!rc)
        rc = audit_add(c, "identity.link", target, r.target);
    if (!rc)
        rc = standing_changed(c->e, c->comm.id, r.member_id, c->now);
    return rc ? rc : ctx_reply(c, "link.me_linked", NOARGS);
}

int link_me_command(struct cmd_ctx *c, const char *args)
{
    const char *p = args;
    char *word = command_next_word(&p);
    int rc = word ? (is_code(word) ? identity_redeem(c, word) : identity_code(c, word))
                  : ctx_reply(c, "link.me_usage", NOARGS);
    free(word);
    return rc;
}

static int identity_usage(struct cmd_ctx *c)
{
    return ctx_reply(c, "link.identity_usage", NOARGS);
}

/* The member's display name (escaped), for a reply. */
static const char *shown_name(struct cmd_ctx *c, int64_t member, struct sbuf *out)
{
    out->len = 0;
    member_name(c->e, member, out);
    return sbuf_str(out);
}

/* /identity unlink @member: move back what the link moved. */
static int identity_unlink(struct cmd_ctx *c)
{
    const char *p = c->args;
    char *who = who_next_target(c, &p);
    int64_t member = 0, link_id = 0, primary = 0, alias = 0, level_before = -1;
    struct sbuf shown = {0};
    if (!who && !who_has_reply(c)) {
        free(who);
        return identity_usage(c);
    }
    int rc = who_resolve_identity(c, who, &member);
    if (rc == KB_ENOTFOUND) {
        rc = KB_OK; /* who_resolve_identity said why */
        goto out;
    }
    if (!rc)
        rc = store_i64(c->st, &link_id,
                       "SELECT id FROM identity_links WHERE (alias_id = ?1 OR primary_id = ?1)"
                       " AND unlinked_at IS NULL ORDER BY id DESC LIMIT 1",
                       VALS(SI(member)));
    if (rc == KB_ENOTFOUND) {
        rc = ctx_reply(c, "link.identity_none", ARGS(TS("who", shown_name(c, member, &shown))));
        goto out;
    }
    if (!rc)
        rc = store_i64(c->st, &primary, "SELECT primary_id FROM identity_links WHERE id = ?", VALS(SI(link_id)));
    if (!rc)
        rc = store_i64(c->st, &alias, "SELECT alias_id FROM identity_links WHERE id = ?", VALS(SI(link_id)));
    if (!rc) {
        rc = store_i64(c->st, &level_before,
                       "SELECT primary_level_before FROM identity_links WHERE id = ?", VALS(SI(link_id)));
        if (rc == KB_ENOTFOUND)
            rc = KB_OK, level_before = -1;
    }
    static const char *const steps[] = {
        "UPDATE ledger SET member_id = ?3 WHERE member_id = ?2 AND id IN"
        " (SELECT key_i FROM identity_moves WHERE link_id = ?1 AND tbl = 'ledger')",
        "UPDATE checkins SET member_id = ?3 WHERE member_id = ?2 AND day IN"
        " (SELECT key_i FROM identity_moves WHERE link_id = ?1 AND tbl = 'checkins')",
        "UPDATE task_completions SET member_id = ?3 WHERE member_id = ?2 AND task_ref IN"
        " (SELECT key_t FROM identity_moves WHERE link_id = ?1 AND tbl = 'task_completions')",
        "UPDATE pool_members SET member_id = ?3 WHERE member_id = ?2 AND pool IN"
        " (SELECT key_t FROM identity_moves WHERE link_id = ?1 AND tbl = 'pool_members')",
        "UPDATE payments SET member_id = ?3 WHERE member_id = ?2 AND id IN"
        " (SELECT key_i FROM identity_moves WHERE link_id = ?1 AND tbl = 'payments')",
        "UPDATE member_tags SET member_id = ?3 WHERE member_id = ?2 AND tag IN"
        " (SELECT key_t FROM identity_moves WHERE link_id = ?1 AND tbl = 'member_tags')",
        "UPDATE members SET linked_to = NULL WHERE id = ?3",
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0] && !rc; i++)
        rc = store_exec(c->st, steps[i], VALS(SI(link_id), SI(primary), SI(alias)));
    cache_clear(&c->e->cache.members); /* an identity now stands for another (or no longer) */
    cache_clear(&c->e->cache.standing); /* its levels, tallies and tasks moved */
    if (!rc && level_before >= 0)
        rc = store_exec(c->st, "UPDATE member_levels SET level = ? WHERE member_id = ?",
                        VALS(SI(level_before), SI(primary)));
    else if (!rc)
        rc = store_exec(c->st, "DELETE FROM member_levels WHERE member_id = ?", VALS(SI(primary)));
    if (!rc)
        rc = store_exec(c->st, "UPDATE identity_links SET unlinked_at = ?, unlinked_by = ? WHERE id = ?",
                        VALS(SI(c->now), SI(c->member_id), SI(link_id)));
    if (!rc)
        rc = top_rebuild(c->e, c->comm.id);
    char target[64];
    snprintf(target, sizeof target, "member:%lld", (long long)alias);
    if (!rc)
        rc = audit_add(c, "identity.unlink", target, NULL);
    if (!rc)
        rc = standing_changed(c->e, c->comm.id, primary, c->now);
    if (!rc)
        rc = standing_changed(c->e, c->comm.id, alias, c->now);
    if (!rc)
        rc = ctx_reply(c, "link.identity_unlinked", ARGS(TS("who", shown_name(c, member, &shown))));
out:
    sbuf_free(&shown);
    free(who);
    return rc;
}


/* ==== the module ========================================================= */

/* The link module's tables, versioned on their own (see modules.h). */
static const char *const migrations[] = {
    /* 1: a group joins another community with a one-time code (chat_links
          keeps where it came from); a person proves two identities with a
          one-time code, the second identity then stands for the first
          (members.linked_to) and what moved is recorded row by row
          (identity_moves) so an operator can undo it. */
    "ALTER TABLE members ADD COLUMN linked_to INTEGER;" /* members(id) of the first identity */
    "CREATE TABLE link_codes ("
    "  code TEXT PRIMARY KEY,"
    "  kind TEXT NOT NULL CHECK (kind IN ('community','identity')),"
    "  community_id INTEGER NOT NULL,"
    "  member_id INTEGER NOT NULL,"      /* who asked for it */
    "  platform TEXT NOT NULL,"          /* where it was asked for */
    "  target TEXT,"                     /* identity: \"platform:user_id\" or \"@handle\" */
    "  expires_at INTEGER NOT NULL,"
    "  used_at INTEGER"
    ") STRICT, WITHOUT ROWID;"
    "CREATE TABLE chat_links ("
    "  id INTEGER PRIMARY KEY,"
    "  platform TEXT NOT NULL,"
    "  chat_id TEXT NOT NULL,"
    "  from_community INTEGER NOT NULL,"
    "  to_community INTEGER NOT NULL,"
    "  by_member INTEGER NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  unlinked_at INTEGER"
    ") STRICT;"
    "CREATE INDEX chat_links_chat ON chat_links(platform, chat_id, id);"
    "CREATE TABLE identity_links ("
    "  id INTEGER PRIMARY KEY,"
    "  community_id INTEGER NOT NULL,"
    "  primary_id INTEGER NOT NULL REFERENCES members(id),"
    "  alias_id INTEGER NOT NULL REFERENCES members(id),"
    "  primary_level_before INTEGER,"    /* member_levels.level, NULL = none */
    "  at INTEGER NOT NULL,"
    "  unlinked_at INTEGER,"
    "  unlinked_by INTEGER"
    ") STRICT;"
    "CREATE UNIQUE INDEX identity_links_alias ON identity_links(alias_id) WHERE unlinked_at IS NULL;"
    "CREATE TABLE identity_moves ("
    "  link_id INTEGER NOT NULL,"
    "  tbl TEXT NOT NULL,"               /* ledger, checkins, task_completions, pool_members, member_tags */
    "  key_i INTEGER NOT NULL DEFAULT 0,"/* ledger id, check-in day */
    "  key_t TEXT NOT NULL DEFAULT '',"  /* task ref, pool */
    "  PRIMARY KEY (link_id, tbl, key_i, key_t)"
    ") STRICT, WITHOUT ROWID;",
};

static const struct cmd_spec commands[] = {
    {"community", community_usage, CMD_OPERATOR | CMD_GROUP, "link.help_community", NULL},
    {"lang", cmd_lang, CMD_OPERATOR, "link.help_lang", NULL},
    {"identity", identity_usage, CMD_LEDGER, "link.help_identity", NULL},
};

static const struct cmd_sub subs[] = {
    {"community", "link", community_link, 0, 0, 0},
    {"community", "join", community_join, 0, 1, 1},
    {"community", "groups", community_groups, 0, 0, 0},
    {"community", "unlink", community_unlink, 0, 0, 1},
    {"identity", "unlink", identity_unlink, 0, 1, 1},
};

static const struct text_entry texts[] = {
    {"link.help_community", "/community link|join 编号|groups|unlink — 把多个群（可跨平台）连成一个社群",
     "/community link|join CODE|groups|unlink — join groups (on any platform) into one community"},
    {"link.help_lang", "/lang zh-CN|en — 切换社群语言", "/lang zh-CN|en — switch the community's language"},
    {"link.help_identity", "/identity unlink @成员 — 解除成员的跨平台身份绑定",
     "/identity unlink @member — undo a member's identity link"},
    {"link.community_usage",
     "用法：/community link（生成连接码）· /community join 连接码（在要加入的群里）· /community groups · /community unlink [平台:群号]",
     "Usage: /community link (get a code) · /community join CODE (in the group that joins) · /community groups · /community unlink [platform:chat]"},
    {"link.community_code",
     "🔗 连接码：<code>{code}</code>\n在要加入本社群的群里（任何平台）由运营者发送 /community join {code}，{minutes} 分钟内有效，只能用一次。",
     "🔗 Link code: <code>{code}</code>\nIn the group that should join this community (any platform), an operator sends /community join {code}. Valid for {minutes} minutes, once."},
    {"link.code_unknown", "❌ 这个码不对，请检查后重试。", "❌ That code is not right; please check it and try again."},
    {"link.code_used", "❌ 这个码已经用过了，请重新生成一个。", "❌ That code has already been used; please ask for a new one."},
    {"link.code_expired", "⌛ 这个码已过期，请重新生成一个。", "⌛ That code has expired; please ask for a new one."},
    {"link.already_joined", "这个群已经在这个社群里了。", "This group is already part of that community."},
    {"link.has_groups", "这个群已经连着其他群，请先用 /community unlink 解除。",
     "Other groups are linked to this one; unlink them first with /community unlink."},
    {"link.joined", "✅ 已加入社群：积分、等级、排行榜和自动发帖与社群里的其他群共享。",
     "✅ Joined the community: points, levels, leaderboards and scheduled posts are now shared with its other groups."},
    {"link.groups_header", "<b>本社群的群</b>", "<b>Groups of this community</b>"},
    {"link.group_line", "• {title}（{where}）", "• {title} ({where})"},
    {"link.group_line_gone", "• {title}（{where}，机器人已离开）", "• {title} ({where}, the bot has left)"},
    {"link.unlink_usage", "用法：/community unlink [平台:群号]", "Usage: /community unlink [platform:chat]"},
    {"link.not_linked", "这个群不是通过 /community join 加入的，无法解除。",
     "That group did not join with /community join; there is nothing to unlink."},
    {"link.unlinked", "✅ 已解除 {where}，它回到原来的社群。", "✅ Unlinked {where}; it is back in its own community."},
    {"link.lang_usage", "用法：/lang zh-CN 或 /lang en", "Usage: /lang zh-CN or /lang en"},
    {"link.lang_set", "✅ 社群语言已切换为中文。", "✅ The community's language is now English."},
    {"link.me_usage",
     "用法：在私聊里发送 /me link 平台:用户号 或 /me link @用户名（你在另一个平台上的身份），再在那个平台上发送 /me link 验证码。",
     "Usage: in a private chat send /me link platform:user_id or /me link @username (you on the other platform), then send /me link CODE there."},
    {"link.me_private", "🔒 请在和我的私聊里发送 /me link。", "🔒 Please send /me link in a private chat with me."},
    {"link.me_code",
     "🔑 验证码：<code>{code}</code>\n请用 {who} 在另一个平台发送 /me link {code}，{minutes} 分钟内有效，只能用一次。两个身份的积分、签到和等级会合并。",
     "🔑 Code: <code>{code}</code>\nAs {who}, send /me link {code} on the other platform within {minutes} minutes (once). Your points, check-ins and level will be merged."},
    {"link.same_platform", "❌ 只能绑定另一个平台上的身份。", "❌ You can only link an identity on another platform."},
    {"link.other_person", "❌ 这个码不是给你的。", "❌ That code was made for someone else."},
    {"link.already_linked", "这个身份已经绑定过了。", "This identity is already linked."},
    {"link.me_linked", "✅ 身份已绑定：两个平台上的积分、签到和等级已合并。",
     "✅ Linked: your points, check-ins and level on both platforms are now one."},
    {"link.identity_usage", "用法：/identity unlink @成员", "Usage: /identity unlink @member"},
    {"link.identity_none", "{who} 没有绑定的身份。", "{who} has no linked identity."},
    {"link.identity_unlinked", "✅ 已解除 {who} 的身份绑定，合并的记录已还原。",
     "✅ Unlinked {who}; the merged records are back where they came from."},
};

const struct kb_module link_module = {
    .name = "link",
    .commands = commands,
    .n_commands = KB_COUNT(commands),
    .texts = texts,
    .n_texts = KB_COUNT(texts),
    .subs = subs,
    .n_subs = KB_COUNT(subs),
    .migrations = migrations,
    .n_migrations = KB_COUNT(migrations),
};
