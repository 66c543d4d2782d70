/* core/link.c: groups joined into one community with one-time codes, the
   community's language, identity links across platforms and their refusals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/fixture.h"
#include "../test.h"

static const int64_t T0 = 1795392000; /* 2026-11-23 08:00 Asia/Shanghai */

/* The first 8-character code in text, or "". */
static const char *code_in(const char *text, char out[9])
{
    const char *p = strstr(text ? text : "", "<code>");
    snprintf(out, 9, "%s", p ? p + 6 : "");
    return out;
}

/* One message on platform in chat (private when dm). */
static int say_on(struct fx *f, const char *platform, const char *chat, int dm, const char *user,
                  int64_t t, const char *text)
{
    char id[32];
    snprintf(id, sizeof id, "%d", ++f->next_msg);
    struct kb_event ev = {.kind = KB_EV_MESSAGE, .platform = platform, .chat_id = chat,
                          .chat_type = dm ? KB_CHAT_PRIVATE : KB_CHAT_GROUP, .user_id = user,
                          .user_name = user, .user_handle = user, .message_id = id, .time = t,
                          .text = text, .bot_username = "kocbot"};
    return engine_apply(f->e, &ev, 1, NULL, NULL, t);
}

/* The pending replies on platform (marked sent); caller frees. */
static char *replies_on(struct fx *f, const char *platform)
{
    const char *saved = f->platform;
    f->platform = platform;
    char *all = fx_replies(f);
    f->platform = saved;
    return all;
}

TEST(groups_join_one_community_once_and_leave_again)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    CHECK_INT(fx_say(&f, "g1", "op", T0, "/community link"), 0);
    char *r = fx_replies(&f);
    char code[9];
    code_in(r, code);
    CHECK_INT((int64_t)strlen(code), 8);
    free(r);
    char join[64];
    snprintf(join, sizeof join, "/community join %s", code);
    CHECK_INT(fx_say(&f, "g2", "op", T0 + 1, join), 0);
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "Joined the community");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(DISTINCT community_id) FROM chats"), 1);
    /* one ledger: a check-in in either group counts once for the day */
    fx_say(&f, "g1", "alice", T0 + 2, "/checkin");
    fx_say(&f, "g2", "alice", T0 + 3, "/checkin");
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "already checked in today");
    free(r);
    /* the code is spent; a member may not link; a garbled join shows usage */
    CHECK_INT(fx_say(&f, "g3", "op", T0 + 4, join), 0);
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "already been used");
    free(r);
    fx_say(&f, "g1", "alice", T0 + 5, "/community link");
    fx_say(&f, "g1", "op", T0 + 6, "/community join");
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "only operators");
    CHECK_CONTAINS(r, "Usage: /community link");
    free(r);
    fx_say(&f, "g1", "op", T0 + 7, "/community groups");
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "console:g1");
    CHECK_CONTAINS(r, "console:g2");
    free(r);
    /* unlink: g2 goes back to its own community; g1 (never joined) cannot */
    fx_say(&f, "g1", "op", T0 + 8, "/community unlink console:g2");
    fx_say(&f, "g1", "op", T0 + 9, "/community unlink");
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "Unlinked ⁨console:g2⁩");
    CHECK_CONTAINS(r, "nothing to unlink");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(DISTINCT community_id) FROM chats WHERE chat_id IN ('g1', 'g2')"), 2);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM audit WHERE action LIKE 'community.%'"), 5);
    fx_close(&f);
}

TEST(a_link_code_expires)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "op", T0, "/community link");
    char *r = fx_replies(&f);
    char code[9], join[64];
    snprintf(join, sizeof join, "/community join %s", code_in(r, code));
    free(r);
    fx_say(&f, "g2", "op", T0 + 601, join);
    fx_say(&f, "g2", "op", T0 + 602, "/community join 0BADC0DE");
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "has expired");
    CHECK_CONTAINS(r, "not right");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(DISTINCT community_id) FROM chats"), 2);
    fx_close(&f);
}

TEST(lang_switches_the_community_language)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "alice", T0, "/lang zh-CN");
    fx_say(&f, "g1", "op", T0 + 1, "/lang fr");
    fx_say(&f, "g1", "op", T0 + 2, "/lang zh-CN");
    fx_say(&f, "g1", "alice", T0 + 3, "/checkin");
    char *r = fx_replies(&f);
    CHECK_CONTAINS(r, "only operators");
    CHECK_CONTAINS(r, "Usage: /lang zh-CN or /lang en");
    CHECK_CONTAINS(r, "社群语言已切换为中文");
    CHECK_CONTAINS(r, "签到成功");
    free(r);
    fx_close(&f);
}

TEST(identity_link_refusals_change_nothing)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    say_on(&f, "p1", "grp", 0, "alice", T0, "/checkin");
    say_on(&f, "p1", "grp", 0, "bob", T0, "/checkin");
    say_on(&f, "p2", "grp2", 0, "op", T0, "/me"); /* another platform's group, own community */
    /* /me link outside a private chat is refused */
    say_on(&f, "p1", "grp", 0, "alice", T0 + 1, "/me link p2:alice");
    char *r = replies_on(&f, "p1");
    CHECK_CONTAINS(r, "private chat");
    free(r);
    /* in private: the same platform is refused, another one gives a code */
    say_on(&f, "p1", "alice", 1, "alice", T0 + 2, "/me link p1:alice2");
    say_on(&f, "p1", "alice", 1, "alice", T0 + 3, "/me link p3:alice");
    r = replies_on(&f, "p1");
    CHECK_CONTAINS(r, "only link an identity on another platform");
    char code[9], typed[64];
    snprintf(typed, sizeof typed, "/me link %s", code_in(strstr(r, "<code>"), code));
    free(r);
    int64_t before = fx_i64(&f, "SELECT count(*) FROM identity_links") +
                     fx_i64(&f, "SELECT count(*) FROM members WHERE linked_to IS NOT NULL");
    /* typed on the same platform (bob), by a third person: refused */
    say_on(&f, "p1", "grp", 0, "bob", T0 + 4, typed);
    r = replies_on(&f, "p1");
    CHECK_CONTAINS(r, "only link an identity on another platform");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM identity_links") +
              fx_i64(&f, "SELECT count(*) FROM members WHERE linked_to IS NOT NULL"), before);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM link_codes WHERE used_at IS NOT NULL"), 0);
    fx_close(&f);
}

TEST_MAIN(T(groups_join_one_community_once_and_leave_again), T(a_link_code_expires),
          T(lang_switches_the_community_language), T(identity_link_refusals_change_nothing))
