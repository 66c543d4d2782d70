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
   change), each binding the first n parameters, with and without the rows
   as written; rows not there yet are inserted after.  The three rows are
   named as ORed keys: an IN list would cost SQLite a temporary b-tree each;
   RETURNING costs two. */
#define TALLY_ROWS \
    " WHERE member_id = ?1 AND ((span = 0 AND period = 0) OR (span = 1 AND period = ?2)" \
    " OR (span = 2 AND period = ?3))"
#define TALLY_RETURNING " RETURNING span, points, checkins, tasks"
#define TALLY_SET_0 "UPDATE period_tallies SET points = points + ?4"
#define TALLY_SET_1 "UPDATE period_tallies SET points = points + ?4, checkins = checkins + ?5"
#define TALLY_SET_2 "UPDATE period_tallies SET tasks = tasks + ?6"
#define TALLY_SET_3 "UPDATE period_tallies SET points = points + ?4, checkins = checkins + ?5, tasks = tasks + ?6"
static const struct {
    const char *sql, *returning;
    size_t n;
} tally_update[4] = {
    {TALLY_SET_0 TALLY_ROWS, TALLY_SET_0 TALLY_ROWS TALLY_RETURNING, 4},
    {TALLY_SET_1 TALLY_ROWS, TALLY_SET_1 TALLY_ROWS TALLY_RETURNING, 5},
    {TALLY_SET_2 TALLY_ROWS, TALLY_SET_2 TALLY_ROWS TALLY_RETURNING, 6},
    {TALLY_SET_3 TALLY_ROWS, TALLY_SET_3 TALLY_ROWS TALLY_RETURNING, 6},
};

/* Whether the rows as written must come back: the member's standing memo
   (all-time points and check-ins) is not kept, or a board in memory moves
   with a value only the row knows (the week's and month's, all-time tasks). */
static int tally_rows_needed(struct engine *e, int64_t community_id, const int64_t period[3],
                             const int64_t delta[3], int memo_kept)
{
    if (!memo_kept)
        return 1;
    for (int span = 0; span < 3; span++)
        for (int m = 0; m < 3; m++)
            if (delta[m] && (span > 0 || m == TOP_TASKS) &&
                board_kept(e, community_id, (enum top_span)span, period[span], (enum top_metric)m))
                return 1;
    return 0;
}

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
    const int64_t delta[3] = {points, checkins, tasks}, period[3] = {0, v[1].i, v[2].i};
    /* each row as written: the boards in memory move with it, and the
       all-time row is the member's balance for the level check and the
       reply; without the boards, the memo's balance is enough */
    struct standing_memo memo;
    int memo_kept = standing_memo_peek(e, member_id, &memo);
    int returning = tally_rows_needed(e, community_id, period, delta, memo_kept);
    int64_t now_values[3][3] = {{points, checkins, tasks}, {points, checkins, tasks}, {points, checkins, tasks}};
    int seen = 0;
    if (returning) {
        sqlite3_stmt *s = store_query(e->st, tally_update[shape].returning, v, tally_update[shape].n);
        if (!s)
            return store_failure(e->st);
        while ((rc = store_step(e->st, s)) == 1) {
            int64_t span = store_int(s, 0);
            if (span < 0 || span > 2)
                continue;
            seen++;
            for (int m = 0; m < 3; m++)
                now_values[span][m] = store_int(s, 1 + m);
        }
        store_done(s);
        if (rc < 0)
            return rc;
    } else {
        rc = store_exec(e->st, tally_update[shape].sql, v, tally_update[shape].n);
        if (rc)
            return rc;
        seen = (int)store_changes(e->st);
        now_values[TOP_ALL][TOP_POINTS] = memo.facts.points + points;
        now_values[TOP_ALL][TOP_CHECKINS] = memo.facts.checkin_days + checkins;
    }
    if (seen < 3) /* the member's first event of the week, month or ever: rows
                     updated above are left alone (and a new row holds just this change) */
        rc = store_exec(e->st,
                        "INSERT OR IGNORE INTO period_tallies(community_id, span, period, member_id, points, checkins, tasks)"
                        " VALUES (?7, 0, 0, ?1, ?4, ?5, ?6), (?7, 1, ?2, ?1, ?4, ?5, ?6), (?7, 2, ?3, ?1, ?4, ?5, ?6)",
                        v, sizeof v / sizeof v[0]);
    if (rc)
        return rc;
    for (int span = 0; span < 3; span++)
        for (int m = 0; m < 3; m++)
            if (delta[m] && (returning || (span == 0 && m != TOP_TASKS)))
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
