/* The leaderboards' period tallies (tally.h). */
#include "tally.h"

#include <stdio.h>
#include <string.h>

#include "board.h"
#include "standing.h"
#include "text.h"
#include "tz.h"

/* The first local day of the period holding day, and the first of the next. */
static void period_days(enum top_span span, int64_t day, int64_t *first, int64_t *next)
{
    int y, mon, d, wday;
    tz_day_ymd(day, &y, &mon, &d, &wday);
    if (span == TOP_WEEK) {
        *first = day - (wday + 6) % 7; /* weeks start on Monday */
        *next = *first + 7;
        return;
    }
    *first = day - (d - 1);
    int64_t last = *first + 27; /* the month's last day: step until the month changes */
    int y2, mon2, d2, w2;
    for (tz_day_ymd(last + 1, &y2, &mon2, &d2, &w2); mon2 == mon; tz_day_ymd(last + 1, &y2, &mon2, &d2, &w2))
        last++;
    *next = last + 1;
}

int64_t top_period(const struct community *comm, enum top_span span, int64_t at)
{
    if (span == TOP_ALL)
        return 0;
    int64_t day = community_day(comm, at), first, next;
    int y, mon, d, wday;
    tz_day_ymd(day, &y, &mon, &d, &wday);
    if (span == TOP_WEEK) {
        period_days(span, day, &first, &next);
        return first;
    }
    return (int64_t)y * 100 + mon;
}

/* The local day that stands for the period asked for: today, or a day of the one before. */
static int64_t period_day(const struct community *comm, enum top_span span, int64_t now, int previous)
{
    int64_t today = community_day(comm, now), first, next;
    if (!previous)
        return today;
    period_days(span, today, &first, &next);
    return first - 1;
}

void top_period_range(const struct community *comm, enum top_span span, int64_t now, int previous,
                      int64_t *from, int64_t *to)
{
    if (span == TOP_ALL) {
        *from = 0;
        *to = INT64_MAX;
        return;
    }
    int64_t first, next;
    period_days(span, period_day(comm, span, now, previous), &first, &next);
    *from = community_day_start(comm, first);
    *to = community_day_start(comm, next);
}

void top_period_name(const struct community *comm, const char *lang, enum top_span span, int64_t now,
                     int previous, struct sbuf *out)
{
    if (span == TOP_ALL) {
        text_format(out, lang, "top.span_all", NOARGS);
        return;
    }
    int64_t first, next;
    period_days(span, period_day(comm, span, now, previous), &first, &next);
    char from[8], to[8];
    int y, mon, d, wday;
    tz_day_ymd(first, &y, &mon, &d, &wday);
    snprintf(from, sizeof from, "%02d-%02d", mon, d);
    tz_day_ymd(next - 1, &y, &mon, &d, &wday);
    snprintf(to, sizeof to, "%02d-%02d", mon, d);
    static const char *const keys[2][2] = {{"top.this_week", "top.last_week"}, {"top.this_month", "top.last_month"}};
    text_format(out, lang, keys[span == TOP_MONTH][previous != 0], ARGS(TS("from", from), TS("to", to)));
}

/* One literal per shape of change (an UPDATE sets only the columns that
   change), each binding the first n parameters; rows not there yet are
   inserted after.  The three rows are named as ORed keys: an IN list would
   cost SQLite a temporary b-tree each (two per statement, on top of
   RETURNING's). */
#define TALLY_ROWS \
    " WHERE member_id = ?1 AND ((span = 0 AND period = 0) OR (span = 1 AND period = ?2)" \
    " OR (span = 2 AND period = ?3))" \
    " RETURNING span, points, checkins, tasks"
static const struct {
    const char *sql;
    size_t n;
} tally_update[4] = {
    {"UPDATE period_tallies SET points = points + ?4" TALLY_ROWS, 4},
    {"UPDATE period_tallies SET points = points + ?4, checkins = checkins + ?5" TALLY_ROWS, 5},
    {"UPDATE period_tallies SET tasks = tasks + ?6" TALLY_ROWS, 6},
    {"UPDATE period_tallies SET points = points + ?4, checkins = checkins + ?5, tasks = tasks + ?6" TALLY_ROWS, 6},
};

int top_tally_add(struct engine *e, int64_t community_id, int64_t member_id, int64_t at,
                  int64_t points, int64_t checkins, int64_t tasks)
{
    struct community comm;
    int rc = community_load(e, community_id, &comm);
    if (rc)
        return rc;
    size_t shape = !checkins && !tasks ? 0 : !tasks ? 1 : !points && !checkins ? 2 : 3;
    const struct sval v[] = {SI(member_id), SI(top_period(&comm, TOP_WEEK, at)),
                             SI(top_period(&comm, TOP_MONTH, at)), SI(points), SI(checkins), SI(tasks),
                             SI(community_id)};
    sqlite3_stmt *s = store_query(e->st, tally_update[shape].sql, v, tally_update[shape].n);
    if (!s)
        return store_failure(e->st);
    /* each row as written: the boards in memory move with it, and the
       all-time row is the member's balance for the level check and the
       reply, without reading it back */
    const int64_t delta[3] = {points, checkins, tasks}, period[3] = {0, v[1].i, v[2].i};
    int64_t now_values[3][3] = {{points, checkins, tasks}, {points, checkins, tasks}, {points, checkins, tasks}};
    int seen[3] = {0, 0, 0};
    while ((rc = store_step(e->st, s)) == 1) {
        int64_t span = store_int(s, 0);
        if (span < 0 || span > 2)
            continue;
        seen[span] = 1;
        for (int m = 0; m < 3; m++)
            now_values[span][m] = store_int(s, 1 + m);
    }
    store_done(s);
    if (rc < 0)
        return rc;
    rc = KB_OK;
    if (!seen[0] || !seen[1] || !seen[2]) /* the member's first event of the week, month or
                                             ever: rows updated above are left alone (and a
                                             new row holds just this change) */
        rc = store_exec(e->st,
                        "INSERT OR IGNORE INTO period_tallies(community_id, span, period, member_id, points, checkins, tasks)"
                        " VALUES (?7, 0, 0, ?1, ?4, ?5, ?6), (?7, 1, ?2, ?1, ?4, ?5, ?6), (?7, 2, ?3, ?1, ?4, ?5, ?6)",
                        v, sizeof v / sizeof v[0]);
    if (rc)
        return rc;
    for (int span = 0; span < 3; span++)
        for (int m = 0; m < 3; m++)
            if (delta[m])
                board_move(e, community_id, (enum top_span)span, period[span], (enum top_metric)m, member_id,
                           now_values[span][m] - delta[m], now_values[span][m]);
    standing_memo_tally(e, member_id, now_values[TOP_ALL][TOP_POINTS], now_values[TOP_ALL][TOP_CHECKINS]);
    return KB_OK;
}

int top_rebuild(struct engine *e, int64_t community_id)
{
    int rc = store_exec(e->st, "DELETE FROM period_tallies WHERE community_id = ?", VALS(SI(community_id)));
    if (rc)
        return rc;
    cache_clear(&e->cache.standing); /* rebuilt below from the ledger */
    board_forget_community(e, community_id);
    /* Aggregate per member and quarter hour in SQL (every zone offset and
       DST switch is a whole number of quarter hours, so a bucket never
       straddles a local midnight), then place each bucket in C. */
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT member_id, at / 900, sum(amount), sum(reason = 'checkin') FROM ledger"
                                  " WHERE community_id = ? AND kind = 'points' GROUP BY member_id, at / 900",
                                  VALS(SI(community_id)));
    if (!s)
        return store_failure(e->st);
    while ((rc = store_step(e->st, s)) == 1) {
        rc = top_tally_add(e, community_id, store_int(s, 0), store_int(s, 1) * 900, store_int(s, 2),
                           store_int(s, 3), 0);
        if (rc)
            break;
    }
    store_done(s);
    if (rc < 0)
        return rc;
    s = store_query(e->st, "SELECT member_id, at FROM task_completions WHERE community_id = ?",
                    VALS(SI(community_id)));
    if (!s)
        return store_failure(e->st);
    while ((rc = store_step(e->st, s)) == 1) {
        rc = top_tally_add(e, community_id, store_int(s, 0), store_int(s, 1), 0, 0, 1);
        if (rc)
            break;
    }
    store_done(s);
    return rc < 0 ? rc : KB_OK;
}

int top_tallies_agree(struct engine *e, int64_t community_id)
{
    int64_t bad = 1;
    int rc = store_i64(e->st, &bad,
                       "SELECT count(*) FROM ("
                       " SELECT member_id, sum(amount) AS p, sum(reason = 'checkin') AS c FROM ledger"
                       "  WHERE community_id = ?1 AND kind = 'points' GROUP BY member_id) l"
                       " FULL OUTER JOIN (SELECT member_id, points, checkins FROM period_tallies"
                       "  WHERE community_id = ?1 AND span = 0) t USING (member_id)"
                       " WHERE coalesce(l.p, 0) <> coalesce(t.points, 0) OR coalesce(l.c, 0) <> coalesce(t.checkins, 0)",
                       VALS(SI(community_id)));
    return rc == KB_OK && bad == 0;
}
