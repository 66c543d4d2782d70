/* Core test fixture; see fixture.h. */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../test.h"
#include "../../core/payment.h"
#include "../../core/prune.h"

static char *op_list[] = {"console:op", "console:op2"}; /* two: nobody approves their own work */
static char *triggers[] = {"签到", "打卡"};

void fx_open(struct fx *f, const char *tz, const char *locale)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/kbtest.XXXXXX");
    if (!mkdtemp(f->dir))
        TEST_FAIL("mkdtemp");
    snprintf(f->path, sizeof f->path, "%s/kocbot.db", f->dir);
    f->set.db_path = f->path;
    f->set.tz = (char *)(tz ? tz : "Asia/Shanghai");
    f->set.locale = (char *)(locale ? locale : "en");
    f->set.bot_name = "kocbot";
    f->set.checkin.base_points = 10;
    f->set.checkin.streak_bonus = 1;
    f->set.checkin.streak_bonus_cap = 10;
    f->set.checkin.triggers[0] = triggers[0];
    f->set.checkin.triggers[1] = triggers[1];
    f->set.checkin.n_triggers = 2;
    f->set.operators[0] = op_list[0];
    f->set.operators[1] = op_list[1];
    f->set.n_operators = 2;
    f->set.admins_are_operators = 1;
    f->set.schedule_grace_s = 1800;
    f->set.revision_window_s = 24 * 3600; /* the configured default */
    f->set.poll_insight_bonus = 20;       /* the configured defaults of issue 20's features */
    f->set.summary_enabled = 1;
    f->set.summary_hour = 20;
    f->set.summary_per_second = 20;
    f->set.summary_active_days = 30;
    f->platform = "console";
    char err[256];
    if (engine_open(&f->set, &f->e, err, sizeof err))
        TEST_FAIL("engine_open: %s", err);
}

void fx_reopen(struct fx *f)
{
    engine_close(f->e);
    char err[256];
    if (engine_open(&f->set, &f->e, err, sizeof err))
        TEST_FAIL("engine_open: %s", err);
}

void fx_close(struct fx *f)
{
    engine_close(f->e);
    f->e = NULL;
    char p[192];
    const char *suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", f->path, suffix[i]);
        unlink(p);
    }
    rmdir(f->dir);
}

int fx_say_as(struct fx *f, const char *chat, const char *user, int role, int64_t t, const char *text)
{
    char msg_id[32];
    snprintf(msg_id, sizeof msg_id, "%d", ++f->next_msg);
    struct kb_event ev = {.kind = KB_EV_MESSAGE, .platform = f->platform, .chat_id = chat,
                          .chat_type = KB_CHAT_GROUP, .user_id = user, .user_name = user,
                          .user_handle = user, .role = (enum kb_role)role, .message_id = msg_id,
                          .time = t, .text = text, .bot_username = "kocbot"};
    int rc = engine_apply(f->e, &ev, 1, NULL, NULL, t);
    fx_books_agree(f);
    return rc;
}

void fx_books_agree(struct fx *f)
{
    sqlite3_stmt *q = store_query(f->e->st, "SELECT id FROM communities ORDER BY id", NOVALS);
    char why[300];
    while (q && store_step(f->e->st, q) == 1)
        if (!payment_books_agree(f->e, store_int(q, 0), why, sizeof why))
            TEST_FAIL("community %lld: the books disagree: %s", (long long)store_int(q, 0), why);
    store_done(q);
}

int fx_say(struct fx *f, const char *chat, const char *user, int64_t t, const char *text)
{
    return fx_say_as(f, chat, user, KB_ROLE_MEMBER, t, text);
}

char *fx_replies(struct fx *f)
{
    struct outbox_batch b;
    struct sbuf out = {0};
    if (engine_outbox_fetch(f->e, f->platform, INT64_MAX, 10000, &b))
        TEST_FAIL("outbox fetch: %s", engine_errmsg(f->e));
    for (size_t i = 0; i < b.n; i++) {
        if (i)
            sbuf_add(&out, "\n---\n");
        sbuf_add(&out, b.rows[i].text);
        engine_outbox_done(f->e, b.rows[i].id, OUTBOX_SENT, NULL, 0, NULL, 0);
    }
    outbox_batch_free(&b);
    return sbuf_take(&out);
}

void fx_hand_edit(struct fx *f, const char *sql)
{
    sqlite3 *db = NULL;
    char *err = NULL;
    if (sqlite3_open(f->path, &db) != SQLITE_OK || sqlite3_busy_timeout(db, 5000) != SQLITE_OK ||
        sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        TEST_FAIL("hand edit %s: %s", sql, err ? err : sqlite3_errmsg(db));
    sqlite3_free(err);
    sqlite3_close(db);
}

int64_t fx_i64(struct fx *f, const char *sql)
{
    int64_t v = -1;
    int rc = store_i64(f->e->st, &v, sql, NOVALS);
    if (rc && rc != KB_ENOTFOUND)
        TEST_FAIL("query %s: %s", sql, store_errmsg(f->e->st));
    return v;
}

int64_t fx_prune_due(struct fx *f)
{
    int64_t oldest = fx_i64(f, "SELECT min(at) FROM processed");
    return oldest < 0 ? -1 : oldest + PRUNE_PROCESSED_AFTER_S + 1;
}

int64_t fx_tally_disagreements(struct fx *f)
{
    return fx_i64(f, "SELECT count(*) FROM (SELECT member_id, sum(amount) AS s FROM ledger"
                     " WHERE kind = 'points' GROUP BY member_id) l"
                     " LEFT JOIN period_tallies p ON p.member_id = l.member_id AND p.span = 0 AND p.period = 0"
                     " WHERE coalesce(p.points, 0) <> l.s");
}

int fx_say_private(struct fx *f, const char *user, int64_t t, const char *text)
{
    char msg_id[32], chat[48];
    snprintf(msg_id, sizeof msg_id, "%d", ++f->next_msg);
    snprintf(chat, sizeof chat, "dm-%s", user);
    struct kb_event ev = {.kind = KB_EV_MESSAGE, .platform = f->platform, .chat_id = chat,
                          .chat_type = KB_CHAT_PRIVATE, .user_id = user, .user_name = user,
                          .user_handle = user, .message_id = msg_id, .time = t, .text = text,
                          .bot_username = "kocbot"};
    return engine_apply(f->e, &ev, 1, NULL, NULL, t);
}
