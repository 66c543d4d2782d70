/* Leaderboards in memory (core/board.c): after any sequence of tally
   changes a board reads exactly what the tallies say, and a rolled-back
   transaction leaves no board ahead of the database. */
#include "../test.h"

#include <sqlite3.h>
#include <stdio.h>

#include "../../core/engine_int.h"
#include "../../core/tally.h"
#include "../../core/top.h"
#include "../support/fixture.h"

static const int64_t T0 = 1795392000; /* 2026-11-23 08:00 Asia/Shanghai, a Monday */
static const char *const metric_col[3] = {"points", "checkins", "tasks"};

static uint64_t rng = 20261201;
static int64_t rnd(int64_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (int64_t)(rng % (uint64_t)n);
}

/* A number from the database file through a connection of its own (the
   engine's statement cache is keyed by the SQL's address: no built texts). */
static int64_t q(struct fx *f, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    int64_t v = -1;
    if (sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

/* The board as SQL ranks it, against top_query, for one member. */
static void check_board(struct fx *f, enum top_span span, int64_t period, enum top_metric m, int64_t member)
{
    struct top_row rows[10];
    size_t n;
    int64_t rank, value;
    CHECK_INT(top_query(f->e, 1, span, period, m, member, rows, &n, &rank, &value), 0);
    char sql[400];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM period_tallies WHERE community_id = 1 AND span = %d AND period = %lld"
             " AND %s > 0",
             (int)span, (long long)period, metric_col[m]);
    int64_t on_board = q(f, sql);
    CHECK_INT((int64_t)n, on_board < 10 ? on_board : 10);
    for (size_t i = 0; i < n; i++) {
        snprintf(sql, sizeof sql,
                 "SELECT member_id * 1000000 + %s FROM period_tallies WHERE community_id = 1 AND span = %d"
                 " AND period = %lld AND %s > 0 ORDER BY %s DESC, member_id LIMIT 1 OFFSET %zu",
                 metric_col[m], (int)span, (long long)period, metric_col[m], metric_col[m], i);
        CHECK_INT(rows[i].member_id * 1000000 + rows[i].value, q(f, sql));
    }
    if (value > 0) {
        snprintf(sql, sizeof sql,
                 "SELECT 1 + count(*) FROM period_tallies WHERE community_id = 1 AND span = %d"
                 " AND period = %lld AND %s > %lld",
                 (int)span, (long long)period, metric_col[m], (long long)value);
        CHECK_INT(rank, q(f, sql));
    } else {
        CHECK_INT(rank, 0);
    }
}

static void check_all(struct fx *f, int64_t member, int64_t week)
{
    for (int m = 0; m < 3; m++) {
        check_board(f, TOP_ALL, 0, (enum top_metric)m, member);
        check_board(f, TOP_WEEK, week, (enum top_metric)m, member);
    }
}

TEST(boards_read_what_the_tallies_say_through_splits_ties_and_deductions)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    CHECK_INT(fx_say(&f, "g", "alice", T0, "/checkin"), 0); /* community 1 */
    struct community comm;
    CHECK_INT(community_load(f.e, 1, &comm), 0);
    int64_t week = top_period(&comm, TOP_WEEK, T0);
    check_all(&f, 1, week); /* the boards are in memory from here on */
    /* 1,500 members, far over a block; small values, so ties are many */
    for (int batch = 0; batch < 60; batch++) {
        CHECK_INT(engine_begin(f.e), 0);
        for (int i = 0; i < 50; i++) {
            int64_t member = 100 + rnd(1500), points = rnd(30) - 8, checkins = rnd(2), tasks = rnd(5) == 0;
            CHECK_INT(top_tally_add(f.e, 1, member, T0 + batch * 60, points, checkins, tasks), 0);
        }
        CHECK_INT(engine_finish(f.e, 0), 0);
        if (batch % 10 == 9)
            for (int k = 0; k < 5; k++)
                check_all(&f, 100 + rnd(1500), week);
    }
    fx_close(&f);
}

TEST(a_rolled_back_change_leaves_no_board_ahead)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    CHECK_INT(fx_say(&f, "g", "alice", T0, "/checkin"), 0);
    CHECK_INT(fx_say(&f, "g", "bob", T0, "/checkin"), 0);
    struct top_row rows[10];
    size_t n;
    int64_t rank, value;
    CHECK_INT(top_query(f.e, 1, TOP_ALL, 0, TOP_POINTS, 2, rows, &n, &rank, &value), 0);
    CHECK_INT((int64_t)n, 2);
    CHECK_INT(engine_begin(f.e), 0);
    CHECK_INT(top_tally_add(f.e, 1, 2, T0 + 60, 500, 0, 0), 0);
    CHECK_INT(top_query(f.e, 1, TOP_ALL, 0, TOP_POINTS, 2, rows, &n, &rank, &value), 0);
    CHECK_INT(rank, 1); /* the open transaction sees its own change */
    CHECK_INT(rows[0].member_id, 2);
    CHECK(engine_finish(f.e, KB_ESTORE) != 0); /* the batch fails: rolled back */
    check_board(&f, TOP_ALL, 0, TOP_POINTS, 2);
    CHECK_INT(top_query(f.e, 1, TOP_ALL, 0, TOP_POINTS, 2, rows, &n, &rank, &value), 0);
    CHECK(value < 500);
    fx_close(&f);
}

TEST_MAIN(T(boards_read_what_the_tallies_say_through_splits_ties_and_deductions),
          T(a_rolled_back_change_leaves_no_board_ahead))
