/* The console's sign-in links: only operators, only in a direct message,
   only with a public URL; a link works once, within 10 minutes; only
   hashes are stored; sessions expire, end at sign-out and at
   /console revoke; an operator of one community sees only that one. */
#include "../test.h"

#include "../support/fixture.h"
#include "../../core/dispatch.h"
#include "../../core/tz.h"
#include "../../core/webconsole.h"

#include <sqlite3.h>

static int dm(struct fx *f, const char *user, int64_t t, const char *text)
{
    char id[32];
    snprintf(id, sizeof id, "dm%d", ++f->next_msg);
    struct kb_event ev = {.kind = KB_EV_MESSAGE, .platform = f->platform, .chat_id = user,
                          .chat_type = KB_CHAT_PRIVATE, .user_id = user, .user_name = user,
                          .message_id = id, .time = t, .text = text, .bot_username = "kocbot"};
    return engine_apply(f->e, &ev, 1, NULL, NULL, t);
}

#define TOK (CONSOLE_SECRET_HEX + 1)

/* The token of the link in the last reply (into tok), or "". */
static void token_of(const char *reply, char tok[TOK])
{
    const char *p = reply ? strstr(reply, "login?t=") : NULL;
    tok[0] = '\0';
    if (p && strlen(p + 8) >= CONSOLE_SECRET_HEX) {
        memcpy(tok, p + 8, CONSOLE_SECRET_HEX);
        tok[CONSOLE_SECRET_HEX] = '\0';
    }
}

/* /console from user in a direct message, its link redeemed at t: the
   session id into sid; KB_OK or what the redemption answered. */
static int sign_in(struct fx *f, const char *user, int64_t t, char sid[TOK],
                   struct console_identity *who)
{
    char tok[TOK];
    dm(f, user, t, "/console");
    char *r = fx_replies(f);
    token_of(r, tok);
    free(r);
    return engine_console_redeem(f->e, tok, t, who, sid);
}

/* How many rows of sql (a literal: the store caches statements by their
   text's address) hold secret s in clear. */
static int64_t rows_holding(struct fx *f, const char *sql, const char *s)
{
    int64_t n = -1;
    CHECK_INT(store_i64(f->e->st, &n, sql, VALS(ST(s))), KB_OK);
    return n;
}

#define LINKS_HOLDING "SELECT count(*) FROM console_links WHERE token_hash = ?"
#define SESSIONS_HOLDING "SELECT count(*) FROM console_sessions WHERE id_hash = ?"

static const int64_t T = 1795391940;

TEST(a_link_works_once_within_ten_minutes)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    f.set.console_url = "https://bot.example.com";
    fx_reopen(&f);
    CHECK_INT(dm(&f, "op", T, "/console"), 0);
    char *r = fx_replies(&f);
    CHECK_CONTAINS(r, "https://bot.example.com/console/login?t=");
    char tok[TOK], sid[TOK];
    token_of(r, tok);
    free(r);
    CHECK_INT(strlen(tok), CONSOLE_SECRET_HEX);
    /* the database holds the link's hash, never the link */
    CHECK_INT(rows_holding(&f, LINKS_HOLDING, tok), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM console_links"), 1);
    struct console_identity who;
    CHECK_INT(engine_console_redeem(f.e, tok, T + CONSOLE_LINK_TTL_S, &who, sid), KB_OK);
    CHECK_STR(who.platform, "console");
    CHECK_STR(who.user_id, "op");
    CHECK_STR(who.name, "op");
    CHECK_INT(strlen(sid), CONSOLE_SECRET_HEX);
    CHECK_INT(rows_holding(&f, SESSIONS_HOLDING, sid), 0);
    CHECK_INT(engine_console_redeem(f.e, tok, T + 1, &who, sid), KB_EDENIED); /* used */
    CHECK_INT(dm(&f, "op", T, "/console"), 0);
    r = fx_replies(&f);
    token_of(r, tok);
    free(r);
    CHECK_INT(engine_console_redeem(f.e, tok, T + CONSOLE_LINK_TTL_S + 1, &who, sid), KB_EDENIED);
    CHECK_INT(engine_console_redeem(f.e, "not a token", T, &who, sid), KB_EDENIED);
    CHECK_INT(engine_console_redeem(f.e, NULL, T, &who, sid), KB_EDENIED);
    /* the next /console clears expired links: none outlives its use */
    CHECK_INT(dm(&f, "op", T + 3600, "/console"), 0);
    free(fx_replies(&f));
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM console_links"), 1);
    f.set.console_url = NULL;
    fx_close(&f);
}

TEST(only_operators_in_a_direct_message_with_a_public_url)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    CHECK_INT(dm(&f, "op", T, "/console"), 0);
    char *r = fx_replies(&f);
    CHECK_CONTAINS(r, "not enabled");
    free(r);
    f.set.console_url = "https://bot.example.com";
    fx_reopen(&f);
    CHECK_INT(dm(&f, "mallory", T, "/console"), 0);
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "operators");
    CHECK(!strstr(r, "login?t="));
    free(r);
    CHECK_INT(fx_say(&f, "group", "op", T, "/console"), 0);
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "direct message");
    CHECK(!strstr(r, "login?t="));
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM console_links"), 0);
    f.set.console_url = NULL;
    fx_close(&f);
}

TEST(sessions_expire_sign_out_and_revoke)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    f.set.console_url = "https://bot.example.com";
    fx_reopen(&f);
    char s1[TOK], s2[TOK], s3[TOK];
    struct console_identity who;
    CHECK_INT(sign_in(&f, "op", T, s1, &who), KB_OK);
    CHECK_INT(sign_in(&f, "op", T, s2, &who), KB_OK);
    CHECK_INT(sign_in(&f, "op2", T, s3, &who), KB_OK);
    CHECK(strcmp(s1, s2) != 0);
    memset(&who, 0, sizeof who);
    CHECK_INT(engine_console_session(f.e, s1, T + 60, &who), KB_OK);
    CHECK_STR(who.user_id, "op");
    CHECK_INT(engine_console_session(f.e, s1, T + CONSOLE_SESSION_S, &who), KB_EDENIED); /* expired */
    CHECK_INT(engine_console_session(f.e, "x", T, &who), KB_EDENIED);
    /* a session survives the process: it is a row */
    fx_reopen(&f);
    CHECK_INT(engine_console_session(f.e, s2, T + 60, &who), KB_OK);
    /* signing out ends that session only */
    CHECK_INT(engine_console_sign_out(f.e, s1, T + 60), 0);
    CHECK_INT(engine_console_session(f.e, s1, T + 61, &who), KB_EDENIED);
    CHECK_INT(engine_console_session(f.e, s2, T + 61, &who), KB_OK);
    /* /console revoke ends all of the sender's, nobody else's, with an audit row */
    CHECK_INT(dm(&f, "op", T + 120, "/console revoke"), 0);
    char *r = fx_replies(&f);
    CHECK_CONTAINS(r, "Signed out of every console session (1)");
    free(r);
    CHECK_INT(engine_console_session(f.e, s2, T + 121, &who), KB_EDENIED);
    CHECK_INT(engine_console_session(f.e, s3, T + 121, &who), KB_OK);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM audit WHERE action = 'console.revoke'"), 1);
    f.set.console_url = NULL;
    fx_close(&f);
}

/* Each community's own operators (the operators table) sign in and see
   their community only; configured operators see all. */
static void seen_row(void *ud, const struct console_review *r)
{
    sbuf_addf(ud, "[%s]", r->community);
}
static void member_row(void *ud, const struct console_member *m)
{
    sbuf_addf(ud, "[%s:%s]", m->community, m->name);
}

TEST(community_operators_see_their_community_only)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    f.set.console_url = "https://bot.example.com";
    fx_reopen(&f);
    const char *task = "/task new explore Poster --everyone --points 5 --review yes";
    fx_say(&f, "ga", "op", T, task);
    fx_say(&f, "gb", "op", T, task);
    fx_say(&f, "ga", "alice", T, "/claim 1");
    fx_say(&f, "ga", "alice", T, "/submit 1 alice's poster");
    fx_say(&f, "gb", "bob", T, "/claim 2");
    fx_say(&f, "gb", "bob", T, "/submit 2 bob's poster");
    free(fx_replies(&f));
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM submissions WHERE state = 'pending'"), 2);
    int64_t a = fx_i64(&f, "SELECT community_id FROM chats WHERE chat_id = 'ga'");
    int64_t b = fx_i64(&f, "SELECT community_id FROM chats WHERE chat_id = 'gb'");
    CHECK(a != b);
    char sql[160];
    snprintf(sql, sizeof sql, "UPDATE communities SET name = 'A' WHERE id = %lld;"
             "UPDATE communities SET name = 'B' WHERE id = %lld;"
             "INSERT INTO operators VALUES (%lld, 'console', 'carol')", (long long)a, (long long)b,
             (long long)a);
    CHECK_INT(sqlite3_exec(store_db(f.e->st), sql, NULL, NULL, NULL), SQLITE_OK);
    char sid[TOK];
    struct console_identity who;
    /* a member who operates nothing gets no link */
    CHECK_INT(sign_in(&f, "mallory", T, sid, &who), KB_EDENIED);
    CHECK_INT(sign_in(&f, "carol", T, sid, &who), KB_OK);
    struct sbuf got = {0};
    CHECK_INT(engine_console_reviews(f.e, &who, seen_row, &got), 0);
    CHECK_STR(sbuf_str(&got), "[A]");
    int64_t sub_b = fx_i64(&f, "SELECT id FROM submissions WHERE text LIKE 'bob%'");
    int64_t sub_a = fx_i64(&f, "SELECT id FROM submissions WHERE text LIKE 'alice%'");
    CHECK(engine_console_may_review(f.e, &who, sub_a));
    CHECK(!engine_console_may_review(f.e, &who, sub_b));
    sbuf_free(&got);
    CHECK_INT(engine_console_members(f.e, &who, "", member_row, &got), 0);
    CHECK_CONTAINS(sbuf_str(&got), "[A:alice]");
    CHECK(!strstr(sbuf_str(&got), "bob"));
    sbuf_free(&got);
    /* a configured operator sees both */
    CHECK_INT(sign_in(&f, "op", T, sid, &who), KB_OK);
    CHECK_INT(engine_console_reviews(f.e, &who, seen_row, &got), 0);
    CHECK_STR(sbuf_str(&got), "[A][B]");
    sbuf_free(&got);
    f.set.console_url = NULL;
    fx_close(&f);
}

/* Every view answers, in the community's zone, only for who's communities. */
static void view_row(void *ud, size_t n, const char *const *cols)
{
    struct sbuf *b = ud;
    sbuf_addc(b, '[');
    for (size_t i = 0; i < n; i++)
        sbuf_addf(b, "%s%s", i ? "|" : "", cols[i]);
    sbuf_addc(b, ']');
}

static char *view(struct fx *f, const struct console_identity *who, enum console_view v, int64_t arg,
                  int64_t now)
{
    struct sbuf b = {0};
    int rc = engine_console_view(f->e, who, v, arg, now, view_row, &b);
    if (rc)
        sbuf_addf(&b, "error %d", rc);
    return sbuf_take(&b);
}

TEST(views_in_the_community_zone_for_its_operators)
{
    struct fx f;
    fx_open(&f, "Asia/Shanghai", "en");
    const int64_t t0 = 1795391940; /* 2026-11-22 23:59 UTC: Monday 2026-11-23 07:59 in Shanghai */
    fx_say(&f, "ga", "op", t0, "/task new explore Poster --everyone --points 5 --review yes");
    fx_say(&f, "ga", "alice", t0, "/claim 1");
    fx_say(&f, "ga", "alice", t0 + 60, "/submit 1 done");
    fx_say(&f, "ga", "op", t0 + 120, "/approve 1 nice");
    fx_say(&f, "ga", "alice", t0, "/checkin");
    fx_say(&f, "ga", "op", t0, "/poll new Colour? | Red | Blue");
    fx_say(&f, "ga", "alice", t0, "/vote 1 2 calmer");
    fx_say(&f, "ga", "bob", t0, "/vote 1 2");
    fx_say(&f, "ga", "op", t0, "/pool add Photo @alice");
    fx_say(&f, "gb", "op", t0, "/task new basic Other --everyone --points 1");
    fx_say(&f, "ga", "op", t0, "/schedule greet 08:30");
    free(fx_replies(&f));
    struct console_identity op = {.platform = "console", .user_id = "op"};
    struct console_identity carol = {.platform = "console", .user_id = "carol"};
    int64_t a = fx_i64(&f, "SELECT community_id FROM chats WHERE chat_id = 'ga'");
    char sql[128];
    snprintf(sql, sizeof sql, "INSERT INTO operators VALUES (%lld, 'console', 'carol')", (long long)a);
    CHECK_INT(sqlite3_exec(store_db(f.e->st), sql, NULL, NULL, NULL), SQLITE_OK);
    char *r = view(&f, &op, CV_TASKS, 0, t0);
    CHECK_CONTAINS(r, "|Poster|explore|open|5|");
    CHECK_CONTAINS(r, "|Other|basic|");
    free(r);
    r = view(&f, &carol, CV_TASKS, 0, t0);
    CHECK(!strstr(r, "Other"));
    free(r);
    r = view(&f, &carol, CV_CLAIMS, 0, t0);
    CHECK_CONTAINS(r, "[1|alice|approved|2026-11-23 07:59]");
    free(r);
    r = view(&f, &carol, CV_POLL_OPTIONS, 0, t0);
    CHECK_CONTAINS(r, "[1|1|Red|0][1|2|Blue|2]");
    free(r);
    r = view(&f, &carol, CV_POLL_BY_LEVEL, 0, t0);
    CHECK_CONTAINS(r, "[1|2|Lv ");
    free(r);
    r = view(&f, &carol, CV_POLL_BY_POOL, 0, t0);
    CHECK_STR(r, "[1|2||1][1|2|Photo|1]"); /* option 2: bob in no pool, alice in Photo */
    free(r);
    r = view(&f, &carol, CV_POLL_REASONS, 0, t0);
    CHECK_CONTAINS(r, "|alice|2|calmer|2026-11-23 07:59]");
    free(r);
    r = view(&f, &carol, CV_TALLY, 0, t0);
    CHECK_CONTAINS(r, "|points||");
    free(r);
    r = view(&f, &carol, CV_TALLY_MEMBERS, 0, t0);
    CHECK_CONTAINS(r, "|alice|console|alice|points|");
    free(r);
    r = view(&f, &carol, CV_AUDIT, 0, t0);
    CHECK_CONTAINS(r, "task.approve");
    free(r);
    /* Monday 2026-11-23 in Shanghai; still Sunday, of the week before, in UTC */
    char want[64];
    snprintf(want, sizeof want, "|Asia/Shanghai|%lld|1|%lld]", (long long)tz_day("Asia/Shanghai", t0),
             (long long)a);
    CHECK(tz_day("Asia/Shanghai", t0) == tz_day("UTC", t0) + 1);
    r = view(&f, &carol, CV_CHECKINS_DAILY, 0, t0 + 3600);
    CHECK_CONTAINS(r, want);
    free(r);
    snprintf(want, sizeof want, "|Asia/Shanghai|%lld|2|%lld]", (long long)tz_day("Asia/Shanghai", t0),
             (long long)a);
    r = view(&f, &carol, CV_ACTIVE_WEEKLY, 0, t0 + 3600);
    CHECK_CONTAINS(r, want); /* that Monday starts its week: alice (check-in, claim, vote), bob (vote) */
    free(r);
    r = view(&f, &carol, CV_SCHEDULES, 0, t0);
    CHECK_CONTAINS(r, "|greet|510|127||1]"); /* 08:30 local, every day, the default text */
    free(r);
    int64_t alice = fx_i64(&f, "SELECT id FROM members WHERE user_id = 'alice'");
    r = view(&f, &carol, CV_MEMBER_HISTORY, alice, t0);
    CHECK_CONTAINS(r, "|claim|#1 Poster|approved]");
    CHECK_CONTAINS(r, "|submission|#1 Poster|approved]");
    free(r);
    r = view(&f, &carol, CV_GROUPS, 0, t0);
    CHECK_CONTAINS(r, "|console|ga]");
    CHECK(!strstr(r, "gb"));
    free(r);
    char chat[64];
    CHECK_INT(engine_console_group_chat(f.e, &carol, 0, 1, chat, sizeof chat), KB_OK);
    CHECK_STR(chat, "ga");
    CHECK_INT(engine_console_group_chat(f.e, &carol, 0, 2, chat, sizeof chat), KB_ENOTFOUND);
    fx_close(&f);
}

/* The console's verdicts are chat commands; "revise" is /revise once a
   module registers it, /reject (which leaves the revision window) until then. */
TEST(verdicts_are_chat_commands)
{
    CHECK(dispatch_has_command("approve") && dispatch_has_command("reject"));
    CHECK(dispatch_has_command("签到")); /* aliases count */
    CHECK(!dispatch_has_command("no-such-command"));
    CHECK_STR(engine_console_verdict_command("approve"), "approve");
    CHECK_STR(engine_console_verdict_command("reject"), "reject");
    CHECK_STR(engine_console_verdict_command("revise"),
              dispatch_has_command("revise") ? "revise" : "reject");
    CHECK(engine_console_verdict_command("grant") == NULL);
    CHECK(engine_console_verdict_command("") == NULL);
}

TEST_MAIN(T(a_link_works_once_within_ten_minutes), T(verdicts_are_chat_commands),
          T(views_in_the_community_zone_for_its_operators),
          T(only_operators_in_a_direct_message_with_a_public_url),
          T(sessions_expire_sign_out_and_revoke),
          T(community_operators_see_their_community_only))
