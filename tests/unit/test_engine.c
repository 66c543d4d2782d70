/* The engine's guarantees: one transaction per batch with its cursor,
   de-duplication, isolation of a bad event, the outbox life cycle,
   migrations, chat migration, button answers and per-member rate limits. */
#include <sqlite3.h>
#include "../test.h"
#include "../support/fixture.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../core/community.h"
#include "../../core/ledger.h"
#include "../../core/outbox.h"
#include "../../core/prune.h"

static const int64_t T0 = 1795391940;

static struct kb_event msg(const char *id, const char *user, const char *text)
{
    return (struct kb_event){.kind = KB_EV_MESSAGE, .platform = "console", .chat_id = "g",
                             .user_id = user, .user_name = user, .message_id = id, .time = T0,
                             .text = text};
}

TEST(duplicate_delivery_is_a_no_op)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    struct kb_event ev = msg("42", "alice", "/checkin");
    CHECK_INT(engine_apply(f.e, &ev, 1, "c", "1", T0), 0);
    CHECK_INT(engine_apply(f.e, &ev, 1, "c", "1", T0), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox"), 1);
    fx_close(&f);
}

TEST(cursor_commits_with_the_batch)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    struct kb_event evs[3] = {msg("1", "a", "/checkin"), msg("2", "b", "/checkin"), msg("3", "c", "hi")};
    CHECK_INT(engine_apply(f.e, evs, 3, "tg:offset", "1004", T0), 0);
    char buf[32];
    CHECK_INT(engine_cursor_load(f.e, "tg:offset", buf, sizeof buf), 0);
    CHECK_STR(buf, "1004");
    CHECK_INT(engine_cursor_load(f.e, "never", buf, sizeof buf), 0);
    CHECK_STR(buf, "");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox"), 2); /* chatter gets no reply */
    fx_close(&f);
}

TEST(a_bad_event_is_skipped_and_kept_for_inspection)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    struct kb_event evs[3] = {msg("1", "a", "/checkin"), msg("2", NULL, "/checkin"), msg("3", "c", "/checkin")};
    CHECK_INT(engine_apply(f.e, evs, 3, "k", "v", T0), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM checkins"), 2);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM failed_events WHERE message_id = '2'"), 1);
    /* the reason is this event's, not an older, unrelated SQLite message */
    CHECK(store_exec(f.e->st, "SELECT * FROM no_such_table", NOVALS) < 0);
    struct kb_event bad = msg("9", NULL, "/checkin");
    CHECK_INT(engine_apply(f.e, &bad, 1, NULL, NULL, T0), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM failed_events WHERE message_id = '9'"
                         " AND error = 'invalid argument'"), 1);
    /* a bad event last in a batch without a cursor: the others still commit */
    struct kb_event tail[2] = {msg("4", "d", "/checkin"), msg("5", NULL, "/checkin")};
    CHECK_INT(engine_apply(f.e, tail, 2, NULL, NULL, T0), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM checkins"), 3);
    fx_close(&f);
}

TEST(read_only_database_refuses_the_batch_and_keeps_the_cursor)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    struct kb_event ev = msg("1", "a", "/checkin");
    CHECK_INT(engine_apply(f.e, &ev, 1, "k", "1", T0), 0);
    /* make every write fail as a full disk would */
    CHECK_INT(store_exec(f.e->st, "PRAGMA query_only = 1", NOVALS), 0);
    struct kb_event ev2 = msg("2", "b", "/checkin");
    int rc = engine_apply(f.e, &ev2, 1, "k", "2", T0);
    CHECK(rc < 0);
    CHECK_INT(store_exec(f.e->st, "PRAGMA query_only = 0", NOVALS), 0);
    char buf[16];
    engine_cursor_load(f.e, "k", buf, sizeof buf);
    CHECK_STR(buf, "1");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM checkins"), 1);
    /* space returns: the same batch applies */
    CHECK_INT(engine_apply(f.e, &ev2, 1, "k", "2", T0), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM checkins"), 2);
    fx_close(&f);
}

TEST(migrations_run_once_and_refuse_a_newer_schema)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    CHECK_INT(fx_i64(&f, "PRAGMA user_version"), (int64_t)store_n_migrations);
    sqlite3_stmt *s = store_query(f.e->st, "PRAGMA journal_mode", NOVALS);
    CHECK(s && store_step(f.e->st, s) == 1);
    CHECK_STR(store_text(s, 0), "wal");
    store_done(s);
    CHECK_INT(fx_i64(&f, "PRAGMA synchronous"), 2); /* FULL */
    CHECK_INT(fx_i64(&f, "PRAGMA foreign_keys"), 1);
    fx_reopen(&f);
    CHECK_INT(fx_i64(&f, "PRAGMA user_version"), (int64_t)store_n_migrations);
    CHECK_INT(store_exec(f.e->st, "PRAGMA user_version = 999", NOVALS), 0);
    engine_close(f.e);
    char err[256];
    struct engine *e2 = NULL;
    CHECK(engine_open(&f.set, &e2, err, sizeof err) < 0);
    CHECK_CONTAINS(err, "newer");
    f.e = NULL;
    fx_close(&f);
}

/* What every check-in writes builds no temporary b-tree (a constant IN
   list in a CHECK or a partial index's WHERE would, per row: migration 14),
   and the rewritten conditions still hold. */
TEST(hot_writes_build_no_temporary_btree)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    static const char *const hot[] = {
        "EXPLAIN INSERT OR IGNORE INTO ledger(community_id, member_id, kind, amount, unit, reason, ref,"
        " granted_by, note, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "EXPLAIN INSERT OR IGNORE INTO period_tallies(community_id, span, period, member_id, points, checkins,"
        " tasks) VALUES (?7, 0, 0, ?1, ?4, ?5, ?6), (?7, 1, ?2, ?1, ?4, ?5, ?6), (?7, 2, ?3, ?1, ?4, ?5, ?6)",
        "EXPLAIN UPDATE period_tallies SET points = points + ?4, checkins = checkins + ?5 WHERE member_id = ?1"
        " AND ((span = 0 AND period = 0) OR (span = 1 AND period = ?2) OR (span = 2 AND period = ?3))",
        "EXPLAIN INSERT INTO checkins(community_id, member_id, day, at, streak, points) VALUES (?, ?, ?, ?, ?, ?)",
        "EXPLAIN INSERT OR IGNORE INTO processed(platform, chat_id, message_id, at) VALUES (?, ?, ?, ?)",
    };
    for (size_t i = 0; i < sizeof hot / sizeof hot[0]; i++) {
        sqlite3_stmt *s = store_query(f.e->st, hot[i], NOVALS);
        CHECK(s != NULL);
        int ephemeral = 0;
        while (s && store_step(f.e->st, s) == 1)
            ephemeral += strcmp(store_text(s, 1), "OpenEphemeral") == 0;
        store_done(s);
        CHECK_INT(ephemeral, 0);
    }
    CHECK(store_exec(f.e->st, "INSERT INTO ledger(community_id, member_id, kind, amount, reason, at)"
                              " VALUES (1, 1, 'bogus', 1, 'x', 0)", NOVALS) != 0);
    CHECK(store_exec(f.e->st, "INSERT INTO period_tallies(community_id, span, period, member_id)"
                              " VALUES (1, 3, 0, 1)", NOVALS) != 0);
    fx_say(&f, "g", "a", T0, "/me"); /* a member and a community */
    const char *once = "INSERT OR IGNORE INTO ledger(community_id, member_id, kind, amount, reason, ref, at)"
                       " VALUES (1, 1, 'points', 5, 'task', 't1', 0)";
    CHECK_INT(store_exec(f.e->st, once, NOVALS), 0);
    CHECK_INT(store_exec(f.e->st, once, NOVALS), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE ref = 't1'"), 1); /* once, as before */
    const char *grant = "INSERT OR IGNORE INTO ledger(community_id, member_id, kind, amount, reason, ref, at)"
                        " VALUES (1, 1, 'points', 5, 'grant', 'g1', 0)";
    CHECK_INT(store_exec(f.e->st, grant, NOVALS), 0);
    CHECK_INT(store_exec(f.e->st, grant, NOVALS), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM ledger WHERE ref = 'g1'"), 2); /* grants repeat */
    sqlite3_stmt *ic = store_query(f.e->st, "PRAGMA integrity_check", NOVALS);
    CHECK(ic && store_step(f.e->st, ic) == 1);
    CHECK_STR(store_text(ic, 0), "ok");
    store_done(ic);
    fx_close(&f);
}

TEST(outbox_retry_once_then_fail_and_chat_gone)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "a", T0, "/me");
    fx_say(&f, "g1", "b", T0, "/me");
    fx_say(&f, "g2", "c", T0, "/me");
    int64_t id = fx_i64(&f, "SELECT min(id) FROM outbox");
    int64_t now_ms = T0 * 1000;
    /* ordinary retries (500, not connected) do not use up the one repeat */
    CHECK_INT(engine_outbox_done(f.e, id, OUTBOX_RETRY, NULL, 0, "500", now_ms), 0);
    CHECK_INT(engine_outbox_done(f.e, id, OUTBOX_RETRY_ONCE, NULL, now_ms + 5000, "timeout", now_ms), 0);
    CHECK_INT(fx_i64(&f, "SELECT state FROM outbox ORDER BY id LIMIT 1"), 0);
    CHECK_INT(engine_outbox_next_ms(f.e, "console"), 0); /* others are due now */
    CHECK_INT(engine_outbox_done(f.e, id, OUTBOX_RETRY_ONCE, NULL, now_ms + 5000, "timeout", now_ms), 0);
    CHECK_INT(fx_i64(&f, "SELECT state FROM outbox ORDER BY id LIMIT 1"), 2);
    /* retry with backoff: not before now + 1 s .. 2 s */
    int64_t id2 = id + 1;
    CHECK_INT(engine_outbox_done(f.e, id2, OUTBOX_RETRY, NULL, 0, "500", now_ms), 0);
    int64_t nb = fx_i64(&f, "SELECT not_before_ms FROM outbox WHERE id = 2");
    CHECK(nb >= now_ms + 1000 && nb < now_ms + 2000);
    /* chat gone: its queue fails, the chat is inactive, other chats untouched */
    CHECK_INT(engine_outbox_done(f.e, id2, OUTBOX_CHAT_GONE, NULL, 0, "bot was kicked", now_ms), 0);
    CHECK_INT(fx_i64(&f, "SELECT active FROM chats WHERE chat_id = 'g1'"), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE state = 0"), 1);
    fx_close(&f);
}

/* A bulk message marked as being sent is never read back as pending: a
   failed send returns it to the queue, a process that stopped before the
   answer came leaves it recorded as sent (not sent twice). */
TEST(bulk_row_being_sent_goes_at_most_once)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    struct kb_reply r = {.platform = "console", .chat_id = "u1", .text = "summary"};
    CHECK_INT(outbox_add(f.e, &r, "bulk:summary:1", T0), 0);
    CHECK_INT(outbox_add(f.e, &r, "bulk:summary:2", T0), 0);
    int64_t id = fx_i64(&f, "SELECT min(id) FROM outbox"), now_ms = T0 * 1000;
    struct outbox_rows rows = {0};
    CHECK_INT(engine_outbox_done(f.e, id, OUTBOX_SENDING, NULL, 0, NULL, now_ms), 0);
    CHECK_INT(engine_outbox_reload(f.e, "console", 100, &rows), 0);
    CHECK_INT((int64_t)rows.n, 1); /* the other row alone */
    CHECK(rows.rows[0]->id != id);
    outbox_rows_free(&rows);
    CHECK_INT(engine_outbox_done(f.e, id, OUTBOX_RETRY, NULL, 0, "500", now_ms), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE state = 0"), 2);
    /* marked again, then the process stops: settled as sent, once */
    CHECK_INT(engine_outbox_done(f.e, id, OUTBOX_SENDING, NULL, 0, NULL, now_ms), 0);
    fx_reopen(&f);
    CHECK_INT(engine_outbox_interrupted(f.e, "tg", now_ms), 0); /* another platform's rows */
    CHECK_INT(engine_outbox_interrupted(f.e, "console", now_ms), 1);
    CHECK_INT(engine_outbox_interrupted(f.e, "console", now_ms), 0);
    CHECK_INT(fx_i64(&f, "SELECT state FROM outbox ORDER BY id LIMIT 1"), 1);
    CHECK_INT(engine_outbox_reload(f.e, "console", 100, &rows), 0);
    CHECK_INT((int64_t)rows.n, 1);
    CHECK(rows.rows[0]->id != id);
    outbox_rows_free(&rows);
    fx_close(&f);
}

/* A stand-in for bot/outbox.c's sender: outcomes waiting for a ride. */
struct test_rider {
    struct outbox_done d[2];
    size_t n, recorded;
};

static size_t test_rider_waiting(void *ud, const struct outbox_done **d, int64_t *now_ms)
{
    struct test_rider *r = ud;
    *d = r->d;
    *now_ms = T0 * 1000;
    return r->n;
}

static void test_rider_recorded(void *ud, size_t n)
{
    struct test_rider *r = ud;
    r->recorded += n;
    r->n -= n;
}

/* Deliveries are written by the next commit, whatever it is for, and only
   reported recorded once it committed: a rolled-back one leaves them
   waiting (reported anyway, the rows would stay pending in the table while
   the sender forgot them, and be sent again after a restart). */
TEST(deliveries_ride_on_the_next_commit_and_not_on_a_failed_one)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "a", T0, "/me");
    int64_t id = fx_i64(&f, "SELECT max(id) FROM outbox");
    struct test_rider tr = {.d = {{.id = id, .outcome = OUTBOX_SENT, .message_id = "42"}}, .n = 1};
    engine_outbox_ride(f.e, &(struct outbox_rider){test_rider_waiting, test_rider_recorded, &tr});
    CHECK_INT(fx_i64(&f, "SELECT state FROM outbox WHERE id = (SELECT max(id) FROM outbox)"), 0);
    /* a transaction that fails once the rider's write is in it */
    CHECK_INT(store_exec(f.e->st,
                         "CREATE TEMP TRIGGER refuse BEFORE UPDATE OF state ON main.outbox"
                         " BEGIN SELECT RAISE(ABORT, 'disk full'); END",
                         NOVALS), 0);
    CHECK(engine_outbox_flush(f.e) < 0);
    CHECK_INT(store_exec(f.e->st, "DROP TRIGGER temp.refuse", NOVALS), 0);
    CHECK_INT((int64_t)tr.recorded, 0);
    CHECK_INT((int64_t)tr.n, 1);
    /* the next batch carries it */
    fx_say(&f, "g1", "b", T0, "/me");
    CHECK_INT((int64_t)tr.recorded, 1);
    CHECK_INT((int64_t)tr.n, 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE state = 1 AND sent_message_id = '42'"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE state = 0"), 1); /* b's reply */
    /* nothing waits: later commits write nothing for it */
    fx_say(&f, "g1", "c", T0, "/me");
    CHECK_INT((int64_t)tr.recorded, 1);
    engine_outbox_unride(f.e, &tr);
    fx_close(&f);
}

/* The highest reply id is kept in memory: raised by each commit's rows,
   untouched by a batch that rolls back. */
TEST(last_outbox_id_follows_commits_not_rollbacks)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    CHECK_INT(engine_outbox_last_id(f.e), 0);
    fx_say(&f, "g1", "a", T0, "/me");
    int64_t committed = fx_i64(&f, "SELECT max(id) FROM outbox");
    CHECK(committed > 0);
    CHECK_INT(engine_outbox_last_id(f.e), committed);
    CHECK_INT(store_exec(f.e->st,
                         "CREATE TEMP TRIGGER refuse BEFORE INSERT ON main.cursors"
                         " BEGIN SELECT RAISE(ABORT, 'disk full'); END",
                         NOVALS), 0);
    struct kb_event ev = msg("r1", "bob", "/me");
    CHECK(engine_apply(f.e, &ev, 1, "k", "1", T0) < 0);
    CHECK_INT(store_exec(f.e->st, "DROP TRIGGER temp.refuse", NOVALS), 0);
    CHECK_INT(fx_i64(&f, "SELECT max(id) FROM outbox"), committed);
    CHECK_INT(engine_outbox_last_id(f.e), committed);
    fx_say(&f, "g1", "c", T0, "/me");
    CHECK_INT(engine_outbox_last_id(f.e), fx_i64(&f, "SELECT max(id) FROM outbox"));
    CHECK(engine_outbox_last_id(f.e) > committed);
    fx_close(&f);
}

TEST(sent_reply_with_ref_is_remembered_for_edits)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    struct kb_reply r = {.platform = "console", .chat_id = "g", .text = "poll"};
    CHECK_INT(outbox_add(f.e, &r, "poll:1", T0), 0);
    int64_t id = fx_i64(&f, "SELECT id FROM outbox");
    CHECK_INT(engine_outbox_done(f.e, id, OUTBOX_SENT, "777", 0, NULL, T0 * 1000), 0);
    CHECK_INT(fx_i64(&f, "SELECT message_id FROM posted WHERE ref = 'poll:1'"), 777);
    fx_close(&f);
}

TEST(group_migration_keeps_the_streak)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "-100", "alice", T0, "/checkin");
    fx_say(&f, "-100", "op", T0, "/poll new Which? | a | b");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM polls WHERE chat_id = '-100'"), 1);
    struct kb_event mig = {.kind = KB_EV_CHAT_MIGRATED, .platform = "console", .chat_id = "-100",
                           .new_chat_id = "-1009"};
    CHECK_INT(engine_apply(f.e, &mig, 1, NULL, NULL, T0), 0);
    CHECK_INT(engine_apply(f.e, &mig, 1, NULL, NULL, T0), 0); /* replay: no-op */
    fx_say(&f, "-1009", "alice", T0 + 86400, "/checkin");
    free(fx_replies(&f));
    CHECK_INT(fx_i64(&f, "SELECT max(streak) FROM checkins"), 2);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM communities"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM polls WHERE chat_id = '-1009'"), 1);
    fx_close(&f);
}

TEST(button_press_is_answered_once)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    struct kb_event cb = {.kind = KB_EV_CALLBACK, .platform = "console", .chat_id = "g", .user_id = "u",
                          .user_name = "u", .message_id = "5", .callback_id = "cb1",
                          .callback_data = "/checkin", .time = T0};
    CHECK_INT(engine_apply(f.e, &cb, 1, NULL, NULL, T0), 0);
    CHECK_INT(engine_apply(f.e, &cb, 1, NULL, NULL, T0), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE kind = 2 AND callback_id = 'cb1'"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM checkins"), 1);
    fx_close(&f);
}

TEST(flooding_member_gets_one_notice_others_unaffected)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    f.e->set.member_rate_per_min = 20;
    for (int i = 0; i < 100; i++)
        fx_say(&f, "g", "spammer", T0, "/me");
    fx_say(&f, "g", "calm", T0, "/checkin");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE text LIKE '%too fast%'"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE text LIKE '%Points:%'"), 20);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM checkins"), 1);
    /* the next minute the budget is back */
    fx_say(&f, "g", "spammer", T0 + 60, "/me");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE text LIKE '%Points:%'"), 21);
    fx_close(&f);
}

/* A batch with a failing event is applied a second time, each event in a
   savepoint: what the first pass counted in memory must not count twice. */
TEST(a_batch_applied_again_counts_each_command_once)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    f.e->set.member_rate_per_min = 3;
    struct kb_event evs[3] = {msg("a1", "alice", "/me"), msg("a2", "alice", "/me"), msg("a3", NULL, "/me")};
    CHECK_INT(engine_apply(f.e, evs, 3, "k", "v", T0), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM failed_events"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM processed"), 2);
    fx_say(&f, "g", "alice", T0, "/me"); /* her third this minute: still within budget */
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE text LIKE '%too fast%'"), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE text LIKE '%Points:%'"), 3);
    fx_close(&f);
}

/* The same within a minute already counted: the slots the failed pass
   changed go back one by one (the whole table is copied only when a new
   minute clears it). */
TEST(a_batch_applied_again_mid_minute_counts_each_command_once)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    f.e->set.member_rate_per_min = 3;
    fx_say(&f, "g", "alice", T0, "/me"); /* her first this minute */
    struct kb_event evs[2] = {msg("b1", "alice", "/me"), msg("b2", NULL, "/me")};
    CHECK_INT(engine_apply(f.e, evs, 2, "k", "v", T0 + 1), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM failed_events"), 1);
    fx_say(&f, "g", "alice", T0 + 2, "/me"); /* her third: within budget */
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE text LIKE '%too fast%'"), 0);
    fx_say(&f, "g", "alice", T0 + 3, "/me"); /* her fourth: refused */
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE text LIKE '%too fast%'"), 1);
    fx_close(&f);
}

/* The operators table is read once per community and kept; an edit by hand
   (another connection) is seen at the next batch, both ways. */
TEST(operators_edited_by_hand_take_effect_at_the_next_batch)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g", "dora", T0, "/poll new Q? | a | b");
    char *r = fx_replies(&f);
    CHECK_CONTAINS(r, "only operators");
    free(r);
    fx_hand_edit(&f, "INSERT INTO operators(community_id, platform, user_id) VALUES (1, 'console', 'dora')");
    fx_say(&f, "g", "dora", T0 + 1, "/poll new Q? | a | b");
    r = fx_replies(&f);
    CHECK(strstr(r, "only operators") == NULL);
    free(r);
    fx_hand_edit(&f, "DELETE FROM operators");
    fx_say(&f, "g", "dora", T0 + 2, "/poll new Q? | a | b");
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "only operators");
    free(r);
    fx_close(&f);
}

TEST(unknown_long_and_garbled_commands_get_a_clear_reply)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g", "u", T0, "/nonsense");
    fx_say(&f, "g", "u", T0, "/checkin \xff");
    char *big = calloc(1, 20000);
    memset(big, 'a', 19999);
    big[0] = '/';
    big[1] = 'm';
    big[2] = 'e';
    big[3] = ' ';
    fx_say(&f, "g", "u", T0, big);
    free(big);
    fx_say(&f, "g", "u", T0, "/checkin@SomeoneElse");
    char *r = fx_replies(&f);
    CHECK_CONTAINS(r, "There is no /nonsense command");
    CHECK_CONTAINS(r, "characters I can't read");
    CHECK_CONTAINS(r, "too long");
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox"), 3);
    free(r);
    fx_close(&f);
}

TEST(private_chat_shares_the_group_standing)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "group", "alice", T0, "/checkin");
    struct kb_event dm = msg("p1", "alice", "/me");
    dm.chat_id = "alice-dm";
    dm.chat_type = KB_CHAT_PRIVATE;
    CHECK_INT(engine_apply(f.e, &dm, 1, NULL, NULL, T0), 0);
    char *r = fx_replies(&f);
    CHECK_CONTAINS(r, "Points: <b>10</b>");
    free(r);
    fx_close(&f);
}

/* Schema 9 drops the second copy of the balances and makes the rank
   indexes partial, schema 13 drops them for boards in memory: an upgraded
   database keeps every balance and board (and runs 11's index and 15's
   drop of it in turn). */
TEST(upgrade_keeps_balances_and_boards)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    for (int d = 0; d < 3; d++) {
        fx_say(&f, "g", "alice", T0 + d * 86400, "/checkin");
        if (d < 2)
            fx_say(&f, "g", "bob", T0 + d * 86400, "/checkin");
    }
    free(fx_replies(&f));
    int64_t total = fx_i64(&f, "SELECT sum(points) FROM period_tallies WHERE span = 0");
    CHECK(total > 0);
    /* put the database back the way schema 8 left it */
    CHECK_INT(sqlite3_exec(store_db(f.e->st),
                         "CREATE TABLE tallies (member_id INTEGER PRIMARY KEY, community_id INTEGER NOT NULL,"
                         " points INTEGER NOT NULL DEFAULT 0) STRICT;"
                         "CREATE INDEX tallies_rank ON tallies(community_id, points DESC);"
                         "INSERT INTO tallies SELECT member_id, community_id, points FROM period_tallies"
                         " WHERE span = 0;"
                         "DROP INDEX members_user;"
                         "CREATE INDEX members_user ON members(platform, user_id, last_seen);"
                         "DROP INDEX period_members;"
                         "CREATE INDEX period_points ON period_tallies(community_id, span, period, points DESC);"
                         "CREATE INDEX period_checkins ON period_tallies(community_id, span, period, checkins DESC);"
                         "CREATE INDEX period_tasks ON period_tallies(community_id, span, period, tasks DESC);"
                         "DROP INDEX chats_private_user;"
                         "ALTER TABLE chats DROP COLUMN user_id;"
                         "ALTER TABLE claims DROP COLUMN revise_until;"
                         "PRAGMA user_version = 8;",
                         NULL, NULL, NULL),
              SQLITE_OK);
    fx_reopen(&f);
    CHECK_INT(fx_i64(&f, "PRAGMA user_version"), (int64_t)store_n_migrations);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM sqlite_master WHERE name = 'tallies'"), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM sqlite_master WHERE name = 'outbox_done'"), 0); /* 11 made, 15 dropped */
    CHECK_INT(fx_i64(&f, "SELECT sum(points) FROM period_tallies WHERE span = 0"), total);
    CHECK_INT(fx_say(&f, "g", "bob", T0 + 3 * 86400, "/top"), 0);
    char *r = fx_replies(&f);
    CHECK_CONTAINS(r, "🥇 ⁨alice⁩ — 33");
    CHECK_CONTAINS(r, "🥈 ⁨bob⁩ — 21");
    CHECK_CONTAINS(r, "You: #2 — 21");
    free(r);
    fx_close(&f);
}

/* A feature module's own tables are versioned apart from the core schema:
   created once, left alone on reopen, and a newer version is refused. */
TEST(module_migrations_run_once_per_module)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    CHECK_INT(fx_i64(&f, "SELECT version FROM schema_versions WHERE module = 'link'"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM sqlite_master WHERE name = 'link_codes'"), 1);
    CHECK_INT(fx_i64(&f, "SELECT version FROM schema_versions WHERE module = 'poll'"), 2);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM pragma_table_info('polls') WHERE name = 'all_groups'"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM pragma_table_info('schedules') WHERE name = 'chat_id'"), 1);
    fx_reopen(&f); /* link, poll, schedule: one row each, not run again */
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM schema_versions"
                         " WHERE module IN ('link', 'poll', 'schedule')"), 3);
    CHECK_INT(store_exec(f.e->st, "UPDATE schema_versions SET version = 99 WHERE module = 'link'", NOVALS), 0);
    engine_close(f.e);
    f.e = NULL;
    char err[256] = "";
    struct engine *e = NULL;
    CHECK(engine_open(&f.set, &e, err, sizeof err) < 0);
    CHECK_CONTAINS(err, "module link: schema version 99 is newer");
    CHECK(e == NULL);
    fx_close(&f);
}

/* Housekeeping may come seconds late: the prune instant is kept across
   commits (each one wrote marks and replies) and asked again after the
   due memo's 10 s, so a mark made meanwhile is not missed for long. */
TEST(prune_instant_is_kept_across_commits_for_seconds)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    CHECK_INT(engine_next_due(f.e, T0), -1);
    struct kb_event ev = msg("1", "alice", "/me");
    CHECK_INT(engine_apply(f.e, &ev, 1, NULL, NULL, T0), 0);
    CHECK_INT(engine_next_due(f.e, T0 + 1), -1);
    CHECK_INT(engine_next_due(f.e, T0 + 10), T0 + PRUNE_PROCESSED_AFTER_S + 1);
    fx_close(&f);
}

/* De-duplication marks are kept a week (Telegram keeps an update a day),
   then pruned by the tick in chunks, so the table does not grow forever. */
TEST(old_dedup_marks_are_pruned)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    struct kb_event ev = msg("1", "alice", "/checkin");
    CHECK_INT(engine_apply(f.e, &ev, 1, NULL, NULL, T0), 0);
    struct kb_event later = msg("2", "bob", "/checkin");
    CHECK_INT(engine_apply(f.e, &later, 1, NULL, NULL, T0 + 3 * 86400), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM processed"), 2);
    /* due one second after the oldest mark turns a week old */
    CHECK_INT(engine_next_due(f.e, T0), T0 + PRUNE_PROCESSED_AFTER_S + 1);
    CHECK_INT(engine_tick(f.e, T0 + 2 * 86400), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM processed"), 2);
    CHECK_INT(engine_tick(f.e, T0 + PRUNE_PROCESSED_AFTER_S + 1), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM processed"), 1);
    /* within its week a replay is still a no-op */
    CHECK_INT(engine_apply(f.e, &later, 1, NULL, NULL, T0 + 8 * 86400), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM checkins"), 2);
    /* a large backlog goes a chunk per tick */
    CHECK_INT(sqlite3_exec(store_db(f.e->st),
                           "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 7000)"
                           " INSERT INTO processed(platform, chat_id, message_id, at)"
                           " SELECT 'console', 'old', i, 1000 FROM n",
                           NULL, NULL, NULL),
              SQLITE_OK);
    int64_t now = T0 + 9 * 86400;
    CHECK(engine_next_due(f.e, now) <= now);
    CHECK_INT(engine_tick(f.e, now), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM processed WHERE chat_id = 'old'"), 7000 - PRUNE_CHUNK);
    CHECK_INT(engine_tick(f.e, now), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM processed WHERE chat_id = 'old'"), 0);
    fx_close(&f);
}

TEST(echo_of_an_own_message_marks_its_row_delivered)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g", "a", T0, "/me");
    fx_say(&f, "h", "b", T0, "/me");
    int64_t id = fx_i64(&f, "SELECT min(id) FROM outbox");
    struct kb_event echo = {.kind = KB_EV_DELIVERED, .platform = "console", .chat_id = "g",
                            .message_id = "$echo1", .outbox_id = id};
    CHECK_INT(engine_apply(f.e, &echo, 1, "c", "2", T0), 0);
    CHECK_INT(fx_i64(&f, "SELECT state FROM outbox ORDER BY id LIMIT 1"), 1);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE sent_message_id = '$echo1'"), 1);
    /* another chat's row, another platform's or an unknown row: untouched */
    struct kb_event wrong[3] = {echo, echo, echo};
    wrong[0].chat_id = "g", wrong[0].message_id = "$x1", wrong[0].outbox_id = id + 1;
    wrong[1].platform = "tg", wrong[1].message_id = "$x2", wrong[1].chat_id = "h", wrong[1].outbox_id = id + 1;
    wrong[2].message_id = "$x3", wrong[2].outbox_id = 999;
    CHECK_INT(engine_apply(f.e, wrong, 3, "c", "3", T0), 0);
    CHECK_INT(fx_i64(&f, "SELECT state FROM outbox ORDER BY id DESC LIMIT 1"), 0);
    /* a later echo of a row already marked sent keeps the first id */
    echo.message_id = "$echo2";
    CHECK_INT(engine_apply(f.e, &echo, 1, "c", "4", T0), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM outbox WHERE sent_message_id = '$echo1'"), 1);
    fx_close(&f);
}

/* A check-in that fails after its chat, community and member rows were
   written (a planted trigger) is rolled back: the caches filled on the way
   must go with it, or the next event uses ids that do not exist. */
TEST(a_rolled_back_event_leaves_no_cached_lookup)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    CHECK_INT(store_exec(f.e->st, "CREATE TRIGGER planted BEFORE INSERT ON checkins"
                                  " BEGIN SELECT RAISE(ABORT, 'planted'); END", NOVALS), 0);
    CHECK_INT(fx_say(&f, "new", "alice", T0, "/checkin"), 0); /* skipped alone */
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM chats"), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM members"), 0);
    CHECK_INT(store_exec(f.e->st, "DROP TRIGGER planted", NOVALS), 0);
    CHECK_INT(fx_say(&f, "new", "alice", T0 + 1, "/checkin"), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM failed_events"), 1);
    char *r = fx_replies(&f);
    CHECK_CONTAINS(r, "checked in");
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM checkins c JOIN members m ON m.id = c.member_id"
                         " JOIN chats h ON h.community_id = m.community_id"), 1);
    /* a check-in whose reply cannot be queued is undone, and so is its rank */
    CHECK_INT(store_exec(f.e->st, "CREATE TRIGGER planted BEFORE INSERT ON outbox"
                                  " BEGIN SELECT RAISE(ABORT, 'planted'); END", NOVALS), 0);
    CHECK_INT(fx_say(&f, "new", "bob", T0 + 2, "/checkin"), 0);
    CHECK_INT(store_exec(f.e->st, "DROP TRIGGER planted", NOVALS), 0);
    /* nor is the balance it wrote (and the level check read) kept */
    CHECK_INT(fx_say(&f, "new", "bob", T0 + 2, "/me"), 0);
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "Points: <b>0</b>");
    free(r);
    CHECK_INT(fx_say(&f, "new", "carol", T0 + 3, "/checkin"), 0);
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "#2 today");
    free(r);

    /* a renamed member is named by the new name, not a cached old one */
    CHECK_INT(store_exec(f.e->st, "CREATE TRIGGER planted BEFORE INSERT ON checkins"
                                  " BEGIN SELECT RAISE(ABORT, 'planted'); END", NOVALS), 0);
    struct kb_event ev = msg("r1", "alice", "/checkin");
    ev.chat_id = "new";
    ev.user_name = "Alicia";
    ev.time = T0 + 86400;
    CHECK_INT(engine_apply(f.e, &ev, 1, NULL, NULL, T0 + 86400), 0); /* rename rolled back */
    CHECK_INT(store_exec(f.e->st, "DROP TRIGGER planted", NOVALS), 0);
    CHECK_INT(fx_say(&f, "new", "alice", T0 + 86401, "/me"), 0);
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "alice");
    free(r);
    fx_close(&f);
}

/* The sender of an event is named by the event's name (no cached copy);
   other members by their rows, kept as read and refreshed by a rename; a
   linked identity by its member's row; nothing borrowed outlives the event. */
TEST(senders_are_named_from_the_event_and_others_from_their_rows)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    CHECK_INT(fx_say(&f, "g", "alice", T0, "/checkin"), 0);
    CHECK_INT(fx_say(&f, "g", "bob", T0 + 1, "/checkin"), 0);
    CHECK_INT(fx_say(&f, "g", "bob", T0 + 2, "/top"), 0); /* reads alice's name by id */
    char *r = fx_replies(&f);
    CHECK_CONTAINS(r, "alice");
    free(r);
    struct kb_event ev = msg("ren", "alice", "/me");
    ev.user_name = "Alicia";
    ev.time = T0 + 3;
    CHECK_INT(engine_apply(f.e, &ev, 1, NULL, NULL, T0 + 3), 0);
    free(fx_replies(&f));
    CHECK_INT(fx_say(&f, "g", "bob", T0 + 4, "/top"), 0);
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "Alicia");
    CHECK(strstr(r, "alice") == NULL);
    free(r);

    /* the name a finished event lent is not read again */
    char name[16] = "Carol";
    ev = msg("c1", "carol", "/checkin");
    ev.user_name = name;
    ev.time = T0 + 5;
    CHECK_INT(engine_apply(f.e, &ev, 1, NULL, NULL, T0 + 5), 0);
    memcpy(name, "XXXXX", 5);
    free(fx_replies(&f));
    struct sbuf who = {0};
    member_name(f.e, fx_i64(&f, "SELECT id FROM members WHERE user_id = 'carol'"), &who);
    CHECK_CONTAINS(sbuf_str(&who), "Carol");
    sbuf_free(&who);

    /* carol's identity now stands for alice's member: named alice's way */
    fx_hand_edit(&f, "UPDATE members SET linked_to = (SELECT id FROM members WHERE user_id = 'alice')"
                     " WHERE user_id = 'carol'");
    for (int k = 0; k < 2; k++) { /* the second time too (nothing cached from the first) */
        ev = msg(k ? "l1" : "l0", "carol", "/checkin");
        ev.user_name = "Carol";
        ev.time = T0 + 86400 * (k + 1);
        CHECK_INT(engine_apply(f.e, &ev, 1, NULL, NULL, ev.time), 0);
        r = fx_replies(&f);
        CHECK_CONTAINS(r, "Alicia");
        CHECK(strstr(r, "Carol") == NULL);
        free(r);
    }
    fx_close(&f);
}

/* The sender's rows come from memory: committed rows once, rows of a
   rolled-back event never; a migrated chat makes the lane stale. */
TEST(committed_replies_are_handed_over_once_from_memory)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    struct outbox_rows rows = {0};
    CHECK_INT(engine_outbox_reload(f.e, "console", 100, &rows), 0);
    CHECK_INT((int64_t)rows.n, 0);
    struct kb_event evs[3] = {msg("1", "a", "/checkin"), msg("2", NULL, "/checkin"), msg("3", "c", "/checkin")};
    CHECK_INT(engine_apply(f.e, evs, 3, "k", "v", T0), 0);
    CHECK_INT(engine_outbox_take(f.e, "console", 100, &rows), OUTBOX_TAKEN);
    CHECK_INT((int64_t)rows.n, 2);
    CHECK_INT(rows.rows[0]->id, fx_i64(&f, "SELECT min(id) FROM outbox"));
    CHECK_INT(rows.rows[1]->id, fx_i64(&f, "SELECT max(id) FROM outbox"));
    CHECK_CONTAINS(rows.rows[1]->text, "checked in");
    CHECK_INT(engine_outbox_take(f.e, "console", 100, &rows), OUTBOX_TAKEN);
    CHECK_INT((int64_t)rows.n, 2); /* nothing new */
    outbox_rows_free(&rows);
    /* an event that fails after queueing a reply (its button answer cannot
       be written) hands nothing over */
    CHECK_INT(store_exec(f.e->st, "CREATE TRIGGER planted BEFORE INSERT ON outbox WHEN NEW.kind = 2"
                                  " BEGIN SELECT RAISE(ABORT, 'planted'); END", NOVALS), 0);
    struct kb_event press = {.kind = KB_EV_CALLBACK, .platform = "console", .chat_id = "g",
                             .user_id = "e", .user_name = "e", .callback_id = "cb1",
                             .callback_data = "/checkin", .time = T0};
    CHECK_INT(engine_apply(f.e, &press, 1, NULL, NULL, T0), 0);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM failed_events"), 2);
    CHECK_INT(store_exec(f.e->st, "DROP TRIGGER planted", NOVALS), 0);
    /* nor does a whole batch that fails */
    CHECK_INT(store_exec(f.e->st, "CREATE TRIGGER planted BEFORE INSERT ON cursors"
                                  " BEGIN SELECT RAISE(ABORT, 'planted'); END", NOVALS), 0);
    struct kb_event later = msg("4", "d", "/checkin");
    CHECK(engine_apply(f.e, &later, 1, "k2", "v", T0) != 0);
    CHECK_INT(store_exec(f.e->st, "DROP TRIGGER planted", NOVALS), 0);
    struct kb_event next = msg("5", "x", "/checkin");
    CHECK_INT(engine_apply(f.e, &next, 1, NULL, NULL, T0), 0);
    CHECK_INT(engine_outbox_take(f.e, "console", 100, &rows), OUTBOX_TAKEN);
    CHECK_INT((int64_t)rows.n, 1); /* x's reply alone */
    CHECK_INT(rows.rows[0]->id, fx_i64(&f, "SELECT max(id) FROM outbox"));
    outbox_rows_free(&rows);
    struct kb_event mig = {.kind = KB_EV_CHAT_MIGRATED, .platform = "console", .chat_id = "g",
                           .new_chat_id = "g2", .time = T0};
    CHECK_INT(engine_apply(f.e, &mig, 1, NULL, NULL, T0), 0);
    CHECK_INT(engine_outbox_take(f.e, "console", 100, &rows), OUTBOX_STALE);
    CHECK_INT(engine_outbox_reload(f.e, "console", 100, &rows), 0);
    CHECK_INT((int64_t)rows.n, 3);
    CHECK(strcmp(rows.rows[0]->chat_id, "g2") == 0);
    outbox_rows_free(&rows);
    fx_close(&f);
}

TEST_MAIN(T(duplicate_delivery_is_a_no_op), T(cursor_commits_with_the_batch),
          T(a_bad_event_is_skipped_and_kept_for_inspection),
          T(read_only_database_refuses_the_batch_and_keeps_the_cursor),
          T(migrations_run_once_and_refuse_a_newer_schema), T(outbox_retry_once_then_fail_and_chat_gone),
          T(deliveries_ride_on_the_next_commit_and_not_on_a_failed_one),
          T(hot_writes_build_no_temporary_btree), T(bulk_row_being_sent_goes_at_most_once),
          T(last_outbox_id_follows_commits_not_rollbacks), T(sent_reply_with_ref_is_remembered_for_edits),
          T(group_migration_keeps_the_streak),
          T(button_press_is_answered_once), T(flooding_member_gets_one_notice_others_unaffected),
          T(a_batch_applied_again_counts_each_command_once),
          T(a_batch_applied_again_mid_minute_counts_each_command_once),
          T(operators_edited_by_hand_take_effect_at_the_next_batch),
          T(unknown_long_and_garbled_commands_get_a_clear_reply), T(private_chat_shares_the_group_standing),
          T(upgrade_keeps_balances_and_boards), T(module_migrations_run_once_per_module),
          T(prune_instant_is_kept_across_commits_for_seconds), T(old_dedup_marks_are_pruned), T(echo_of_an_own_message_marks_its_row_delivered),
          T(a_rolled_back_event_leaves_no_cached_lookup),
          T(senders_are_named_from_the_event_and_others_from_their_rows),
          T(committed_replies_are_handed_over_once_from_memory))
