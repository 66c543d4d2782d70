/*
 * Trust in the engine: who a command means (identities, never display
 * names), forwarded messages, refused button presses, undecodable updates,
 * the outbox retention and the database's file mode.
 */
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../core/prune.h"
#include "../../core/who.h"
#include "../support/fixture.h"
#include "../test.h"

static const int64_t T0 = 1795391940;

struct said {
    const char *user, *name, *handle; /* handle NULL: none */
    const char *reply_to_user;        /* the author of the message this replies to */
    int forwarded;
};

static int say(struct fx *f, const struct said *w, const char *text)
{
    char msg_id[32];
    snprintf(msg_id, sizeof msg_id, "%d", ++f->next_msg);
    struct kb_event ev = {.kind = KB_EV_MESSAGE, .platform = f->platform, .chat_id = "g",
                          .chat_type = KB_CHAT_GROUP, .user_id = w->user, .user_name = w->name,
                          .user_handle = w->handle, .message_id = msg_id, .time = T0, .text = text,
                          .bot_username = "kocbot", .reply_to_user_id = w->reply_to_user,
                          .reply_to_message_id = w->reply_to_user ? "1" : NULL,
                          .forwarded = w->forwarded};
    return engine_apply(f->e, &ev, 1, NULL, NULL, T0);
}

static const struct said OP = {"op", "Op", "op", NULL, 0};
static const struct said ALICE_1 = {"111", "Alice", NULL, NULL, 0};      /* no handle */
static const struct said ALICE_2 = {"222", "Alice", "alice_w", NULL, 0}; /* a namesake */
static const struct said BOB = {"333", "Bob", "bob", NULL, 0};

static int64_t granted(struct fx *f, const char *user)
{
    sqlite3_stmt *s = NULL; /* not fx_i64: the engine caches statements by their text's address */
    int64_t v = -1;
    if (sqlite3_prepare_v2(store_db(f->e->st),
                           "SELECT coalesce(sum(amount), 0) FROM ledger l JOIN members m ON m.id = l.member_id"
                           " WHERE l.reason = 'grant' AND m.user_id = ?",
                           -1, &s, NULL) == SQLITE_OK &&
        sqlite3_bind_text(s, 1, user, -1, SQLITE_STATIC) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

static void community_of_three(struct fx *f)
{
    fx_open(f, NULL, "en");
    CHECK_INT(say(f, &ALICE_1, "/checkin"), 0);
    CHECK_INT(say(f, &ALICE_2, "/checkin"), 0);
    CHECK_INT(say(f, &BOB, "/checkin"), 0);
    CHECK_INT(say(f, &OP, "/checkin"), 0);
    free(fx_replies(f));
}

/* The review's case: no member has the handle alice, two are named Alice. */
TEST(a_display_name_is_refused_with_the_candidates)
{
    struct fx f;
    community_of_three(&f);
    CHECK_INT(say(&f, &OP, "/grant points 100 @Alice for the poster"), 0);
    char *r = fx_replies(&f);
    CHECK_CONTAINS(r, "does not say which member");
    CHECK_CONTAINS(r, "@alice_w · console 222");
    CHECK_CONTAINS(r, "console 111");
    CHECK_CONTAINS(r, "Name one by number, e.g. #");
    free(r);
    CHECK_INT(say(&f, &OP, "/grant points 100 Alice for the poster"), 0);
    free(fx_replies(&f));
    /* one Alice only, but her handle is not the name: still not an identity */
    CHECK_INT(say(&f, &OP, "/grant points 100 Bob for the poster"), 0);
    free(fx_replies(&f));
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE reason = 'grant'"), 1);
    CHECK_INT(granted(&f, "333"), 100); /* "Bob" matched his handle bob, not his name */
    CHECK_INT(say(&f, &OP, "/grant points 100 @eve for the poster"), 0);
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "I don't know the member");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE reason = 'grant'"), 1);
    fx_close(&f);
}

TEST(targets_are_handles_ids_numbers_and_replies)
{
    struct fx f;
    community_of_three(&f);
    CHECK_INT(say(&f, &OP, "/grant points 5 @alice_w well done"), 0);
    CHECK_INT(say(&f, &OP, "/grant points 6 @111 well done"), 0); /* what a mention becomes */
    int64_t bob = fx_i64(&f, "SELECT id FROM members WHERE user_id = '333'");
    char cmd[96];
    snprintf(cmd, sizeof cmd, "/grant points 7 #%lld well done", (long long)bob);
    CHECK_INT(say(&f, &OP, cmd), 0);
    struct said reply = OP;
    reply.reply_to_user = "111";
    CHECK_INT(say(&f, &reply, "/grant points 8 thanks for this"), 0);
    CHECK_INT(say(&f, &reply, "/grant points 9 @bob named outright"), 0);
    char *r = fx_replies(&f);
    CHECK_CONTAINS(r, "thanks for this");
    free(r);
    CHECK_INT(granted(&f, "222"), 5);
    CHECK_INT(granted(&f, "111"), 6 + 8);
    CHECK_INT(granted(&f, "333"), 7 + 9);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE note = 'thanks for this'"), 1);
    /* /who gives the numbers */
    CHECK_INT(say(&f, &OP, "/who alice"), 0);
    r = fx_replies(&f);
    snprintf(cmd, sizeof cmd, "#%lld", (long long)fx_i64(&f, "SELECT id FROM members WHERE user_id = '111'"));
    CHECK_CONTAINS(r, cmd);
    CHECK_CONTAINS(r, "@alice_w");
    CHECK(!strstr(r, "Bob"));
    free(r);
    CHECK_INT(say(&f, &ALICE_1, "/who"), 0); /* member numbers are for operators */
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "only operators");
    free(r);
    fx_close(&f);
}

TEST(a_forwarded_message_is_never_a_command)
{
    struct fx f;
    community_of_three(&f);
    struct said fwd = OP;
    fwd.forwarded = 1;
    CHECK_INT(say(&f, &fwd, "/grant points 1000 @bob forwarded"), 0);
    struct said fwd_bob = BOB;
    fwd_bob.forwarded = 1;
    CHECK_INT(say(&f, &fwd_bob, "签到"), 0);
    char *r = fx_replies(&f);
    CHECK_STR(r, "");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE reason = 'grant'"), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM checkins"), 4);
    fx_close(&f);
}

/* Bob presses a button carrying data; 1 when nothing was posted in the
   group and the press alone was answered, with a text containing `said`. */
static int pressed_privately(struct fx *f, const char *data, const char *said)
{
    struct kb_event ev = {.kind = KB_EV_CALLBACK, .platform = "console", .chat_id = "g",
                          .chat_type = KB_CHAT_GROUP, .user_id = "333", .user_name = "Bob",
                          .user_handle = "bob", .message_id = "77", .time = T0, .callback_id = "cb-1",
                          .callback_data = data};
    if (engine_apply(f->e, &ev, 1, NULL, NULL, T0))
        return 0;
    struct outbox_batch b;
    if (engine_outbox_fetch(f->e, "console", INT64_MAX, 10, &b))
        return 0;
    int ok = b.n == 1 && b.rows[0].kind == KB_REPLY_ANSWER && !strcmp(b.rows[0].callback_id, "cb-1") &&
             strstr(b.rows[0].text, said);
    outbox_batch_free(&b);
    return ok;
}

TEST(a_refused_button_press_is_answered_privately)
{
    struct fx f;
    community_of_three(&f);
    CHECK(pressed_privately(&f, "/grant points 5 @bob press", "only operators"));
    fx_close(&f);
}

/* A claim button on a closed task: the presser hears why, the group nothing. */
TEST(a_refused_claim_press_is_answered_privately)
{
    struct fx f;
    community_of_three(&f);
    CHECK_INT(say(&f, &OP, "/task new basic Say hello --points 5"), 0);
    CHECK_INT(say(&f, &OP, "/task close 1"), 0);
    free(fx_replies(&f));
    CHECK(pressed_privately(&f, "/claim 1", "closed to new claims"));
    fx_close(&f);
}

TEST(an_undecodable_update_is_kept_and_skipped)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    const char *raw = "{\"update_id\":5,\"message\":{\"text\":\"\\ud800\"}}";
    struct kb_event ev[2] = {
        {.kind = KB_EV_UNDECODABLE, .platform = "tg", .message_id = "update:5", .text = raw},
        {.kind = KB_EV_MESSAGE, .platform = "tg", .chat_id = "g", .chat_type = KB_CHAT_GROUP,
         .user_id = "1", .user_name = "a", .message_id = "9", .time = T0, .text = "/checkin"}};
    CHECK_INT(engine_apply(f.e, ev, 2, "tg:offset", "6", T0), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM failed_events WHERE message_id = 'update:5'"
                         " AND text LIKE '%\\ud800%' AND error = 'malformed payload'"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM checkins"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM processed"), 1);
    fx_close(&f);
}

TEST(delivered_replies_leave_the_outbox_after_a_week)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    enum { N = 1200 };
    struct kb_event ev[N];
    char ids[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof ids[i], "%d", i);
        ev[i] = (struct kb_event){.kind = KB_EV_MESSAGE, .platform = "console", .chat_id = "g",
                                  .chat_type = KB_CHAT_GROUP, .user_id = ids[i], .user_name = ids[i],
                                  .message_id = ids[i], .time = T0, .text = "/me"};
    }
    CHECK_INT(engine_apply(f.e, ev, N, NULL, NULL, T0), 0);
    free(fx_replies(&f)); /* all delivered */
    CHECK_INT(fx_say(&f, "h", "late", T0, "/me"), 0); /* this one stays pending */
    int64_t week = 7 * 86400;
    CHECK_INT(engine_next_due(f.e, T0), T0 + week + 1);
    CHECK_INT(engine_tick(f.e, T0 + week), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox"), N + 1);
    /* a small chunk per tick, due again at once while old rows remain */
    CHECK_INT(engine_tick(f.e, T0 + week + 1), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox"), N + 1 - PRUNE_OUTBOX_CHUNK);
    CHECK(engine_next_due(f.e, T0 + week + 1) <= T0 + week + 1);
    for (int i = 0; i < 3; i++)
        CHECK_INT(engine_tick(f.e, T0 + week + 1), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE state = 0"), 1);
    fx_close(&f);
}

/* Counting a statement's VM steps: from zero at reset_steps, read by the
   start of its SQL (-1: not run since). */
static void reset_steps(struct fx *f)
{
    for (sqlite3_stmt *s = NULL; (s = sqlite3_next_stmt(store_db(f->e->st), s));)
        sqlite3_stmt_status(s, SQLITE_STMTSTATUS_VM_STEP, 1);
}

static int steps_of(struct fx *f, const char *sql_prefix)
{
    for (sqlite3_stmt *s = NULL; (s = sqlite3_next_stmt(store_db(f->e->st), s));)
        if (strncmp(sqlite3_sql(s), sql_prefix, strlen(sql_prefix)) == 0)
            return sqlite3_stmt_status(s, SQLITE_STMTSTATUS_VM_STEP, 0);
    return -1;
}

/* @handle means a member whatever the case it is typed in, and is found
   through the handle index, not by reading every member of the community;
   members without a handle (QQ's) are not in that index. */
TEST(a_handle_is_found_in_any_case_without_reading_every_member)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    enum { N = 2000 };
    static struct kb_event ev[N];
    static char ids[N][16], handles[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof ids[i], "u%d", i);
        snprintf(handles[i], sizeof handles[i], "Fan%d", i);
        ev[i] = (struct kb_event){.kind = KB_EV_MESSAGE, .platform = "console", .chat_id = "g",
                                  .chat_type = KB_CHAT_GROUP, .user_id = ids[i], .user_name = ids[i],
                                  .user_handle = i % 2 ? handles[i] : NULL, /* half have none, as on QQ */
                                  .message_id = ids[i], .time = T0, .text = "/me"};
    }
    CHECK_INT(engine_apply(f.e, ev, N, NULL, NULL, T0), 0);
    free(fx_replies(&f));
    int64_t community = fx_i64(&f, "SELECT id FROM communities");
    int64_t want = fx_i64(&f, "SELECT id FROM members WHERE user_id = 'u1235'");
    int64_t got = 0;
    reset_steps(&f);
    CHECK_INT(member_find_identity(f.e, community, "@fAN1235", &got), 0);
    CHECK_INT(got, want);
    int steps = steps_of(&f, "SELECT count(*), min(id) FROM members WHERE community_id = ? AND handle");
    CHECK(steps > 0);
    CHECK(steps < 100); /* reading the community's 2,000 members takes thousands */
    CHECK(member_find_identity(f.e, community, "@fan1234", &got) != 0); /* u1234 has no handle */
    /* and a member without one has no entry to write in that index (an
       index's cells are its entries) */
    CHECK_INT(fx_i64(&f, "SELECT sum(ncell) FROM dbstat WHERE name = 'members_handle'"),
              N / 2);
    fx_close(&f);
}

/* n replies to /me in chat at t, all delivered */
static void delivered_replies(struct fx *f, const char *chat, int n, int64_t t)
{
    for (int i = 0; i < n; i++) {
        char user[16];
        snprintf(user, sizeof user, "u%d", i);
        CHECK_INT(fx_say(f, chat, user, t, "/me"), 0);
    }
    free(fx_replies(f));
}

/* The prune reads outbox rows in id order: a reply still pending at the
   table's start stays, and neither holds back the finished ones after it
   nor makes the prune due before they are. */
TEST(a_pending_reply_at_the_start_stays_and_does_not_hold_back_the_prune)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    CHECK_INT(fx_say(&f, "h", "early", T0 - 86400, "/me"), 0);
    int64_t pending = fx_i64(&f, "SELECT max(id) FROM outbox");
    enum { N = 10 };
    for (int i = 0; i < N; i++) {
        char user[16];
        snprintf(user, sizeof user, "u%d", i);
        CHECK_INT(fx_say(&f, "g", user, T0, "/me"), 0);
    }
    for (int64_t id = pending + 1; id <= pending + N; id++)
        CHECK_INT(engine_outbox_done(f.e, id, OUTBOX_SENT, "1", 0, NULL, T0 * 1000), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE state = 0"), 1);
    /* a day's retention: due when the first finished row ages (the marks
       of de-duplication come of age later, after six days) */
    f.set.outbox_retention_s = 86400;
    fx_reopen(&f);
    CHECK_INT(engine_next_due(f.e, T0), T0 + 86400 + 1);
    CHECK_INT(engine_tick(f.e, T0 + 86400 + 1), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox"), 1);
    CHECK_INT(fx_i64(&f, "SELECT id FROM outbox"), pending);
    fx_close(&f);
}

/* A reply stamped in the future (the clock was set ahead, then fixed) does
   not hold back the rows made after it: it counts as old. */
TEST(a_reply_stamped_in_the_future_does_not_hold_back_the_prune)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    int64_t week = 7 * 86400;
    delivered_replies(&f, "g", 3, T0 + 400 * 86400);
    delivered_replies(&f, "k", 5, T0);
    /* nor does it put the prune off (a day's retention, due before the
       de-duplication marks' six days) */
    f.set.outbox_retention_s = 86400;
    fx_reopen(&f);
    CHECK_INT(engine_next_due(f.e, T0), T0 + 86400 + 1);
    f.set.outbox_retention_s = 7 * 86400;
    fx_reopen(&f);
    delivered_replies(&f, "m", 2, T0 + 3 * 86400);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox"), 10);
    CHECK_INT(engine_tick(f.e, T0 + week + 1), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox"), 2);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE chat_id = 'm'"), 2);
    fx_close(&f);
}

/* With a few old rows before many recent ones, a prune tick reads up to the
   first recent row, not the whole table (counted in the statement's steps). */
TEST(a_prune_with_little_to_do_reads_only_the_table_start)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    int64_t week = 7 * 86400;
    delivered_replies(&f, "g", 5, T0);
    delivered_replies(&f, "k", 1500, T0 + 2 * 86400);
    reset_steps(&f);
    CHECK_INT(engine_tick(f.e, T0 + week + 1), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox"), 1500);
    int prune_steps = steps_of(&f, "DELETE FROM outbox");
    CHECK(prune_steps > 0);
    CHECK(prune_steps < 500); /* a scan of 1,500 rows takes thousands */
    fx_close(&f);
}

TEST(the_database_is_private)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    CHECK_INT(fx_say(&f, "g", "a", T0, "/checkin"), 0);
    struct stat sb;
    char side[160];
    CHECK_INT(stat(f.path, &sb), 0);
    CHECK_INT(sb.st_mode & 0777, 0600);
    snprintf(side, sizeof side, "%s-wal", f.path);
    CHECK_INT(stat(side, &sb), 0);
    CHECK_INT(sb.st_mode & 0777, 0600);
    snprintf(side, sizeof side, "%s-shm", f.path);
    CHECK_INT(stat(side, &sb), 0);
    CHECK_INT(sb.st_mode & 0777, 0600);
    /* a file an older version left readable is narrowed at the next open */
    CHECK_INT(chmod(f.path, 0644), 0);
    fx_reopen(&f);
    CHECK_INT(stat(f.path, &sb), 0);
    CHECK_INT(sb.st_mode & 0777, 0600);
    fx_close(&f);
}

TEST_MAIN(T(a_display_name_is_refused_with_the_candidates), T(targets_are_handles_ids_numbers_and_replies),
          T(a_forwarded_message_is_never_a_command), T(a_refused_button_press_is_answered_privately),
          T(a_refused_claim_press_is_answered_privately),
          T(an_undecodable_update_is_kept_and_skipped), T(delivered_replies_leave_the_outbox_after_a_week),
          T(a_handle_is_found_in_any_case_without_reading_every_member),
          T(a_pending_reply_at_the_start_stays_and_does_not_hold_back_the_prune),
          T(a_prune_with_little_to_do_reads_only_the_table_start),
          T(a_reply_stamped_in_the_future_does_not_hold_back_the_prune),
          T(the_database_is_private))
