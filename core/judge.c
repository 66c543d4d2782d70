/*
 * Guest judges with rubrics (特邀评委).
 *
 * /judging new <task> @judge… rubric 创意:40,画面:30 scale 5 prizes 500CNY,300CNY,100
 *     reward 20 ties earlier|shared
 * appoints the judges (each told privately) and sets the rubric.  The
 * entries are the task's submissions waiting for review or approved.  A
 * judge asks for the next entry with /judge in a private chat and scores
 * it with /score 4 5 3 [comment] (one score per criterion); the next one
 * follows.  Rules: never their own entry; a score is final (scoring the
 * same entry again is refused, not replaced: a judge who changes their mind
 * after seeing others' numbers would defeat the hiding); scores stay hidden
 * from the other judges (/scores shows a judge their own) until every
 * judge has scored every entry or the judging is closed.
 *
 * /judging close <task> (configured operators: it pays) ranks the scored
 * entries by the mean of the judges' weighted means, ties broken as the
 * judging says (the earlier entry first, or a shared place), pays places
 * 1..N their prizes (ledger reason "prize", ref "judging:<task>") and each
 * judge who scored every entry the judging reward (reason "judging", same
 * ref), posts the ranking, and sends each author their place and the
 * judges' comments.  The state change open -> closed and the ledger's
 * uniqueness make a close happen, and pay, once.  Each entry's result
 * also goes into work_scores, which the offers' fit reads (offer.c).
 */
#include "judge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "command.h"
#include "defn.h"
#include "earn.h"
#include "outbox.h"
#include "task.h"
#include "tell.h"
#include "who.h"

#define JUDGES_MAX 20
#define ENTRIES_MAX 200
#define COMMENT_MAX 500

/* ==== the rubric, scores, prizes, places (pure) ======================== */

static const char *list_sep(const char *p, size_t *n)
{
    *n = 0;
    while (p[*n] && p[*n] != ',' && strncmp(p + *n, "，", 3))
        (*n)++;
    return p[*n] == ',' ? p + *n + 1 : p[*n] ? p + *n + 3 : p + *n;
}

int judge_rubric_parse(const char *spec, int64_t scale, struct judge_rubric *r)
{
    memset(r, 0, sizeof *r);
    if (scale != 5 && scale != 10)
        return KB_EINVAL;
    r->scale = scale;
    const char *p = spec;
    while (*p) {
        size_t n = 0;
        const char *next = list_sep(p, &n);
        size_t len = 0;
        const char *item = command_trim_span(p, n, &len);
        p = next;
        if (!len)
            continue;
        size_t colon = 0, skip = 0;
        for (size_t k = 0; k < len && !skip; k++) {
            if (item[k] == ':')
                colon = k, skip = 1;
            else if (k + 3 <= len && !strncmp(item + k, "：", 3))
                colon = k, skip = 3;
        }
        size_t nlen = 0;
        const char *name = command_trim_span(item, skip ? colon : len, &nlen);
        char w[16] = "1";
        if (skip) {
            size_t wl = 0;
            const char *ws = command_trim_span(item + colon + skip, len - colon - skip, &wl);
            if (wl == 0 || wl >= sizeof w)
                return KB_EINVAL;
            memcpy(w, ws, wl);
            w[wl] = '\0';
        }
        if (r->n == JUDGE_CRITERIA_MAX || nlen == 0 || nlen >= sizeof r->name[0] || !utf8_valid(name, nlen) ||
            parse_i64(w, 1, 1000, &r->weight[r->n]))
            return KB_EINVAL;
        memcpy(r->name[r->n], name, nlen);
        r->name[r->n][nlen] = '\0';
        r->n++;
    }
    return r->n ? KB_OK : KB_EINVAL;
}

int judge_weighted(const struct judge_rubric *r, const int64_t *scores, size_t n, int64_t *milli)
{
    if (n != r->n)
        return KB_EINVAL;
    int64_t sum = 0, weights = 0;
    for (size_t i = 0; i < n; i++) {
        if (scores[i] < 1 || scores[i] > r->scale)
            return KB_EINVAL;
        sum += scores[i] * r->weight[i];
        weights += r->weight[i];
    }
    *milli = (sum * 1000 + weights / 2) / weights;
    return KB_OK;
}

int judge_prizes_parse(const char *spec, struct judge_prize *prizes, size_t cap, size_t *n)
{
    *n = 0;
    const char *p = spec;
    while (*p) {
        size_t len = 0, k = 0;
        const char *next = list_sep(p, &len);
        const char *item = command_trim_span(p, len, &len);
        p = next;
        if (!len)
            continue;
        if (*n == cap)
            return KB_EINVAL;
        char num[24], unit[16];
        while (k < len && ((item[k] >= '0' && item[k] <= '9') || item[k] == '.'))
            k++;
        size_t ul = 0;
        const char *u = command_trim_span(item + k, len - k, &ul);
        if (k == 0 || k >= sizeof num || ul >= sizeof unit)
            return KB_EINVAL;
        memcpy(num, item, k);
        num[k] = '\0';
        memcpy(unit, u, ul);
        unit[ul] = '\0';
        struct judge_prize *z = &prizes[*n];
        memset(z, 0, sizeof *z);
        if (!ul || !ascii_casecmp(unit, "points") || !ascii_casecmp(unit, "p") || !strcmp(unit, "积分")) {
            if (parse_i64(num, 0, 1000000, &z->points))
                return KB_EINVAL;
        } else {
            if (!strcmp(unit, "元"))
                snprintf(unit, sizeof unit, "CNY");
            if (strlen(unit) != 3 || task_parse_cents(num, &z->cash))
                return KB_EINVAL;
            for (int i = 0; i < 3; i++) {
                char ch = unit[i];
                if (ch >= 'a' && ch <= 'z')
                    ch = (char)(ch - 32);
                if (ch < 'A' || ch > 'Z')
                    return KB_EINVAL;
                z->currency[i] = ch;
            }
        }
        (*n)++;
    }
    return KB_OK;
}

void judge_places(const int64_t *avg, size_t n, int shared, int *place)
{
    for (size_t i = 0; i < n; i++)
        place[i] = shared && i > 0 && avg[i] == avg[i - 1] ? place[i - 1] : (int)i + 1;
}

/* ==== a judging ======================================================== */

struct judging {
    int64_t task_id, judge_points;
    struct judge_rubric rubric;
    char prizes_spec[200], state[8];
    int shared;
    char *platform, *chat_id;
};

static void judging_free(struct judging *j)
{
    free(j->platform);
    free(j->chat_id);
}

static int judging_load(struct engine *e, int64_t task_id, struct judging *j)
{
    memset(j, 0, sizeof *j);
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT criteria, scale, ties, prizes, judge_points, state, platform, chat_id"
                                  " FROM judgings WHERE task_id = ?",
                                  VALS(SI(task_id)));
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    if (rc == 1) {
        j->task_id = task_id;
        rc = judge_rubric_parse(store_text(s, 0), store_int(s, 1), &j->rubric) ? KB_ESTORE : KB_OK;
        j->shared = !strcmp(store_text(s, 2), "shared");
        snprintf(j->prizes_spec, sizeof j->prizes_spec, "%s", store_text(s, 3));
        j->judge_points = store_int(s, 4);
        snprintf(j->state, sizeof j->state, "%s", store_text(s, 5));
        j->platform = xstrdup(store_text(s, 6));
        j->chat_id = xstrdup(store_text(s, 7));
    } else if (rc == 0) {
        rc = KB_ENOTFOUND;
    }
    store_done(s);
    return rc;
}

static int is_judge(struct engine *e, int64_t task_id, int64_t member, int *yes)
{
    int64_t n = 0;
    int rc = store_i64(e->st, &n, "SELECT count(*) FROM judges WHERE task_id = ? AND member_id = ?",
                       VALS(SI(task_id), SI(member)));
    *yes = n > 0;
    return rc;
}

/* The entries a judge has still to score (their own excluded). */
static int judge_left(struct engine *e, int64_t task_id, int64_t judge, int64_t *left)
{
    return store_i64(e->st, left,
                     "SELECT count(*) FROM submissions s WHERE s.task_id = ?1 AND s.state IN ('pending','approved')"
                     " AND s.member_id <> ?2 AND NOT EXISTS (SELECT 1 FROM judge_scores j"
                     "   WHERE j.judge_id = ?2 AND j.submission_id = s.id)",
                     VALS(SI(task_id), SI(judge)));
}

/* 1 when every judge has scored every entry (and there is one). */
static int all_in(struct engine *e, int64_t task_id, int *yes)
{
    int64_t missing = 0, scored = 0;
    int rc = store_i64(e->st, &missing,
                       "SELECT count(*) FROM judges g JOIN submissions s ON s.task_id = g.task_id"
                       " WHERE g.task_id = ?1 AND s.state IN ('pending','approved') AND s.member_id <> g.member_id"
                       " AND NOT EXISTS (SELECT 1 FROM judge_scores j WHERE j.judge_id = g.member_id"
                       "   AND j.submission_id = s.id)",
                       VALS(SI(task_id)));
    if (!rc)
        rc = store_i64(e->st, &scored, "SELECT count(*) FROM judge_scores WHERE task_id = ?", VALS(SI(task_id)));
    *yes = !rc && missing == 0 && scored > 0;
    return rc;
}

static void rubric_text(const char *lang, const struct judge_rubric *r, struct sbuf *out)
{
    for (size_t i = 0; i < r->n; i++) {
        if (i)
            text_format(out, lang, "standing.sep", NOARGS);
        text_format(out, lang, "judge.criterion", ARGS(TU("name", r->name[i]), TI("weight", r->weight[i])));
    }
}

static void prize_text(const char *lang, const struct judge_prize *z, struct sbuf *out)
{
    earn_text(lang, z->points, z->cash, z->currency, out);
}

/* "4.60" */
static void milli_text(int64_t milli, struct sbuf *out)
{
    sbuf_addf(out, "%lld.%02lld", (long long)(milli / 1000), (long long)((milli % 1000 + 5) / 10 % 100));
}

/* ==== operators ======================================================== */

static int value_after(const char **p, char **out)
{
    free(*out);
    *out = command_next_word(p);
    return *out ? KB_OK : KB_EINVAL;
}

/* /judging new <task> @judge… rubric … [scale 5] [prizes …] [reward N] [ties earlier|shared] */
static int judging_new(struct cmd_ctx *c)
{
    const char *p = c->args;
    struct task_row t;
    int rc = task_from_arg(c, &p, &t, "judge.new_usage");
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    char *rubric = NULL, *scale = NULL, *prizes = NULL, *reward = NULL, *ties = NULL, *w;
    int64_t judges[JUDGES_MAX];
    size_t n = 0;
    int bad = 0;
    while (!bad && !rc && (w = command_next_word(&p)) != NULL) {
        if (!ascii_casecmp(w, "rubric") || !strcmp(w, "评分标准"))
            bad = value_after(&p, &rubric);
        else if (!ascii_casecmp(w, "scale") || !strcmp(w, "分制"))
            bad = value_after(&p, &scale);
        else if (!ascii_casecmp(w, "prizes") || !strcmp(w, "奖项"))
            bad = value_after(&p, &prizes);
        else if (!ascii_casecmp(w, "reward") || !strcmp(w, "评审奖励"))
            bad = value_after(&p, &reward);
        else if (!ascii_casecmp(w, "ties") || !strcmp(w, "并列"))
            bad = value_after(&p, &ties);
        else if (n == JUDGES_MAX)
            bad = 1;
        else if ((rc = member_find(c->e, c->comm.id, w, &judges[n])) == KB_ENOTFOUND)
            rc = ctx_reply(c, "task.unknown_member", ARGS(TU("who", w))), bad = 2;
        else if (!rc)
            n++;
        free(w);
    }
    struct judge_rubric r;
    struct judge_prize z[JUDGE_PRIZES_MAX];
    size_t nz = 0;
    int64_t sc = 5, pts = 0;
    int shared = ties && (!ascii_casecmp(ties, "shared") || !strcmp(ties, "并列"));
    if (!rc && !bad &&
        ((scale && parse_i64(scale, 5, 10, &sc)) || !rubric || judge_rubric_parse(rubric, sc, &r) ||
         (prizes && judge_prizes_parse(prizes, z, JUDGE_PRIZES_MAX, &nz)) ||
         (reward && parse_i64(reward, 0, 100000, &pts)) ||
         (ties && !shared && ascii_casecmp(ties, "earlier") && strcmp(ties, "先交")) || n == 0))
        bad = 1;
    if (!rc && bad == 1)
        rc = ctx_reply(c, "judge.new_usage", NOARGS);
    int64_t exists = 0;
    if (!rc && !bad && !(rc = store_i64(c->st, &exists, "SELECT count(*) FROM judgings WHERE task_id = ?",
                                        VALS(SI(t.id)))) && exists)
        rc = ctx_reply(c, "judge.exists", ARGS(TI("id", t.id))), bad = 2;
    if (!rc && !bad) {
        rc = store_exec(c->st,
                        "INSERT INTO judgings(task_id, community_id, criteria, scale, ties, prizes, judge_points,"
                        " platform, chat_id, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        VALS(SI(t.id), SI(c->comm.id), ST(rubric), SI(sc), ST(shared ? "shared" : "earlier"),
                             ST(prizes ? prizes : ""), SI(pts), ST(c->ev->platform), ST(c->ev->chat_id),
                             SI(c->member_id), SI(c->now)));
        struct sbuf rt = {0}, names = {0}, pz = {0}, b = {0};
        rubric_text(c->lang, &r, &rt);
        for (size_t i = 0; i < nz; i++) {
            if (i)
                text_format(&pz, c->lang, "standing.sep", NOARGS);
            text_format(&pz, c->lang, "judge.place", ARGS(TI("n", (int64_t)i + 1)));
            prize_text(c->lang, &z[i], &pz);
        }
        if (!nz)
            text_format(&pz, c->lang, "task.reward.none", NOARGS);
        for (size_t i = 0; i < n && !rc; i++) {
            rc = store_exec(c->st, "INSERT OR IGNORE INTO judges(task_id, member_id, appointed_by, at) VALUES (?, ?, ?, ?)",
                            VALS(SI(t.id), SI(judges[i]), SI(c->member_id), SI(c->now)));
            if (rc || store_changes(c->st) == 0)
                continue;
            if (names.len)
                text_format(&names, c->lang, "standing.sep", NOARGS);
            task_mention(c->e, judges[i], &names);
            struct sbuf who = {0};
            task_mention(c->e, judges[i], &who);
            b.len = 0;
            text_format(&b, c->lang, "judge.appointed_dm",
                        ARGS(TS("who", who.s), TI("id", t.id), TU("title", t.title), TS("rubric", rt.s),
                             TI("scale", sc)));
            int sent = 0;
            rc = tell_member(c->e, judges[i], c->lang, b.s, c->ev->platform, c->ev->chat_id, c->now, &sent);
            sbuf_free(&who);
        }
        char target[32];
        snprintf(target, sizeof target, "task:%lld", (long long)t.id);
        if (!rc)
            rc = audit_add(c, "judge.appoint", target, rubric);
        if (!rc)
            rc = ctx_reply(c, "judge.created",
                           ARGS(TI("id", t.id), TU("title", t.title), TS("judges", names.s), TS("rubric", rt.s),
                                TI("scale", sc), TS("prizes", pz.s), TI("reward", pts),
                                TS("ties", text_get(c->lang, shared ? "judge.ties.shared" : "judge.ties.earlier"))));
        sbuf_free(&rt);
        sbuf_free(&names);
        sbuf_free(&pz);
        sbuf_free(&b);
    }
    free(rubric);
    free(scale);
    free(prizes);
    free(reward);
    free(ties);
    task_row_free(&t);
    return rc;
}

/* The judging of the task named first in c->args; replies and returns
   KB_ENOTFOUND when there is none. */
static int judging_from_arg(struct cmd_ctx *c, const char **p, struct task_row *t, struct judging *j,
                            const char *usage)
{
    int rc = task_from_arg(c, p, t, usage);
    if (rc)
        return rc;
    rc = judging_load(c->e, t->id, j);
    if (rc == KB_ENOTFOUND) {
        rc = ctx_reply(c, "judge.none", ARGS(TI("id", t->id)));
        task_row_free(t);
        return rc ? rc : KB_ENOTFOUND;
    }
    if (rc)
        task_row_free(t);
    return rc;
}

/* /judging show <task>: each judge's progress, never the scores */
static int judging_show(struct cmd_ctx *c)
{
    const char *p = c->args;
    struct task_row t;
    struct judging j;
    int rc = judging_from_arg(c, &p, &t, &j, "judge.show_usage");
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    struct sbuf b = {0};
    text_format(&b, c->lang, !strcmp(j.state, "open") ? "judge.show_head" : "judge.show_head_closed",
                ARGS(TI("id", t.id), TU("title", t.title)));
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT g.member_id, (SELECT count(*) FROM judge_scores x WHERE x.task_id = g.task_id"
                                  " AND x.judge_id = g.member_id) FROM judges g WHERE g.task_id = ? ORDER BY g.at, g.member_id",
                                  VALS(SI(t.id)));
    if (!s)
        rc = store_failure(c->st);
    int64_t ids[JUDGES_MAX], done[JUDGES_MAX];
    size_t n = 0;
    while (!rc && n < JUDGES_MAX && store_step(c->st, s) == 1) {
        ids[n] = store_int(s, 0);
        done[n++] = store_int(s, 1);
    }
    store_done(s);
    for (size_t i = 0; i < n && !rc; i++) {
        int64_t left = 0;
        rc = judge_left(c->e, t.id, ids[i], &left);
        struct sbuf who = {0};
        task_mention(c->e, ids[i], &who);
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "judge.progress", ARGS(TS("who", who.s), TI("done", done[i]), TI("of", done[i] + left)));
        sbuf_free(&who);
    }
    if (!rc)
        rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    judging_free(&j);
    task_row_free(&t);
    return rc;
}

/* One scored entry at close. */
struct result {
    int64_t sub, author, at, avg, judges;
    int place;
};

/* The judges' comments on one entry, one line each, into out. */
static int comments_text(struct cmd_ctx *c, int64_t sub, struct sbuf *out)
{
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT comment FROM judge_scores WHERE submission_id = ? AND comment <> '' ORDER BY at",
                                  VALS(SI(sub)));
    if (!s)
        return store_failure(c->st);
    int rc;
    while ((rc = store_step(c->st, s)) == 1) {
        sbuf_addc(out, '\n');
        text_format(out, c->lang, "judge.comment_line", ARGS(TU("comment", store_text(s, 0))));
    }
    store_done(s);
    return rc < 0 ? rc : KB_OK;
}

/* /judging close <task> */
static int judging_close(struct cmd_ctx *c)
{
    const char *p = c->args;
    struct task_row t;
    struct judging j;
    int rc = judging_from_arg(c, &p, &t, &j, "judge.close_usage");
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    struct result *res = NULL;
    size_t n = 0;
    struct judge_prize z[JUDGE_PRIZES_MAX];
    size_t nz = 0;
    judge_prizes_parse(j.prizes_spec, z, JUDGE_PRIZES_MAX, &nz);
    rc = store_exec(c->st, "UPDATE judgings SET state = 'closed', closed_at = ? WHERE task_id = ? AND state = 'open'",
                    VALS(SI(c->now), SI(t.id)));
    if (!rc && store_changes(c->st) == 0) {
        rc = ctx_reply(c, "judge.already_closed", ARGS(TI("id", t.id)));
        goto out;
    }
    /* the ranking: mean of the judges' weighted means, then the earlier entry */
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT s.id, s.member_id, s.at, CAST(round(avg(j.weighted_milli)) AS INTEGER), count(*)"
                                  " FROM submissions s JOIN judge_scores j ON j.submission_id = s.id"
                                  " WHERE s.task_id = ? GROUP BY s.id ORDER BY 4 DESC, s.at, s.id LIMIT 200",
                                  VALS(SI(t.id)));
    if (!s) {
        rc = store_failure(c->st);
        goto out;
    }
    res = xcalloc(ENTRIES_MAX, sizeof *res);
    int step = 0;
    while (n < ENTRIES_MAX && (step = store_step(c->st, s)) == 1) {
        res[n] = (struct result){store_int(s, 0), store_int(s, 1), store_int(s, 2), store_int(s, 3), store_int(s, 4), 0};
        n++;
    }
    store_done(s);
    if (n < ENTRIES_MAX && step < 0) {
        rc = step;
        goto out;
    }
    int64_t avgs[ENTRIES_MAX];
    int places[ENTRIES_MAX];
    for (size_t i = 0; i < n; i++)
        avgs[i] = res[i].avg;
    judge_places(avgs, n, j.shared, places);
    char ref[40];
    snprintf(ref, sizeof ref, "judging:%lld", (long long)t.id);
    struct sbuf board = {0};
    text_format(&board, c->lang, "judge.results_head", ARGS(TI("id", t.id), TU("title", t.title)));
    for (size_t i = 0; i < n && !rc; i++) {
        res[i].place = places[i];
        int prized = places[i] <= (int)nz;
        const struct judge_prize *zp = prized ? &z[places[i] - 1] : NULL;
        char note[40];
        snprintf(note, sizeof note, "place %d", places[i]);
        rc = store_exec(c->st,
                        "INSERT INTO judge_results(task_id, submission_id, author_id, place, avg_milli, judges)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        VALS(SI(t.id), SI(res[i].sub), SI(res[i].author), SI(places[i]), SI(res[i].avg),
                             SI(res[i].judges)));
        if (!rc && prized)
            rc = earn(c, res[i].author, &(struct earning){.reason = "prize", .ref = ref, .note = note,
                                                          .points = zp->points, .cash = zp->cash,
                                                          .currency = zp->currency});
        char sref[40];
        snprintf(sref, sizeof sref, "submission:%lld", (long long)res[i].sub);
        if (!rc)
            rc = store_exec(c->st,
                            "INSERT OR REPLACE INTO work_scores(member_id, ref, score_pct, at) VALUES (?, ?, ?, ?)",
                            VALS(SI(res[i].author), ST(sref), SI(res[i].avg / 10 / j.rubric.scale), SI(c->now)));
        struct sbuf who = {0}, avg = {0}, prize = {0}, dm = {0};
        task_mention(c->e, res[i].author, &who);
        milli_text(res[i].avg, &avg);
        if (prized)
            prize_text(c->lang, zp, &prize);
        sbuf_addc(&board, '\n');
        text_format(&board, c->lang, prized ? "judge.results_line_prize" : "judge.results_line",
                    ARGS(TI("place", places[i]), TS("who", who.s), TS("avg", avg.s), TI("scale", j.rubric.scale),
                         TI("sub", res[i].sub), TS("prize", prize.s)));
        text_format(&dm, c->lang, prized ? "judge.told_author_prize" : "judge.told_author",
                    ARGS(TI("id", t.id), TU("title", t.title), TI("place", places[i]), TI("of", n), TS("avg", avg.s),
                         TI("scale", j.rubric.scale), TS("prize", prize.s)));
        struct sbuf said = {0};
        if (!rc)
            rc = comments_text(c, res[i].sub, &said);
        if (said.len) {
            text_format(&dm, c->lang, "judge.comments_head", NOARGS);
            sbuf_add(&dm, said.s);
        }
        sbuf_free(&said);
        int sent = 0;
        if (!rc)
            rc = tell_member(c->e, res[i].author, c->lang, dm.s, j.platform, j.chat_id, c->now, &sent);
        sbuf_free(&who);
        sbuf_free(&avg);
        sbuf_free(&prize);
        sbuf_free(&dm);
    }
    if (!rc && n == 0) {
        sbuf_addc(&board, '\n');
        text_format(&board, c->lang, "judge.results_none", NOARGS);
    }
    /* the judges who scored every entry earn the judging reward */
    sqlite3_stmt *g = rc ? NULL : store_query(c->st, "SELECT member_id FROM judges WHERE task_id = ? ORDER BY member_id",
                                              VALS(SI(t.id)));
    int64_t judges[JUDGES_MAX];
    size_t nj = 0;
    while (g && nj < JUDGES_MAX && store_step(c->st, g) == 1)
        judges[nj++] = store_int(g, 0);
    store_done(g);
    struct sbuf paid = {0};
    for (size_t i = 0; i < nj && !rc && j.judge_points > 0; i++) {
        int64_t left = 1, scored = 0;
        rc = judge_left(c->e, t.id, judges[i], &left);
        if (!rc)
            rc = store_i64(c->st, &scored, "SELECT count(*) FROM judge_scores WHERE task_id = ? AND judge_id = ?",
                           VALS(SI(t.id), SI(judges[i])));
        if (rc || left || !scored)
            continue;
        rc = earn(c, judges[i], &(struct earning){.reason = "judging", .ref = ref, .note = "judging completed",
                                                  .points = j.judge_points});
        if (paid.len)
            text_format(&paid, c->lang, "standing.sep", NOARGS);
        task_mention(c->e, judges[i], &paid);
    }
    if (!rc && paid.len) {
        sbuf_addc(&board, '\n');
        text_format(&board, c->lang, "judge.judges_paid", ARGS(TS("judges", paid.s), TI("points", j.judge_points)));
    }
    char target[32];
    snprintf(target, sizeof target, "task:%lld", (long long)t.id);
    if (!rc)
        rc = audit_add(c, "judge.close", target, "");
    if (!rc) {
        struct kb_reply r = {.kind = KB_REPLY_SEND, .platform = j.platform, .chat_id = j.chat_id, .text = board.s};
        int here = !strcmp(j.platform, c->ev->platform) && !strcmp(j.chat_id, c->ev->chat_id);
        rc = here ? ctx_reply_markup(c, board.s, 0) : outbox_add(c->e, &r, NULL, c->now);
        if (!rc && !here)
            rc = ctx_reply(c, "judge.closed_ack", ARGS(TI("id", t.id)));
    }
    sbuf_free(&board);
    sbuf_free(&paid);
out:
    free(res);
    judging_free(&j);
    task_row_free(&t);
    return rc;
}

static int cmd_judging(struct cmd_ctx *c)
{
    return ctx_reply(c, "judge.usage", NOARGS);
}

/* ==== judges =========================================================== */

/* The open judging the caller judges: the task named first in *p, or
   their only one.  Replies and KB_ENOTFOUND when there is none. */
static int my_judging(struct cmd_ctx *c, const char **p, struct task_row *t, struct judging *j)
{
    const char *before = *p;
    char *w = command_next_word(p);
    int64_t id = 0;
    int rc = KB_OK;
    if (!w || task_parse_id(w, &id)) {
        *p = before;
        int64_t n = 0;
        rc = store_i64(c->st, &n,
                       "SELECT count(*) FROM judges g JOIN judgings x ON x.task_id = g.task_id"
                       " WHERE g.member_id = ? AND x.state = 'open' AND x.community_id = ?",
                       VALS(SI(c->member_id), SI(c->comm.id)));
        if (!rc && n == 1)
            rc = store_i64(c->st, &id,
                           "SELECT g.task_id FROM judges g JOIN judgings x ON x.task_id = g.task_id"
                           " WHERE g.member_id = ? AND x.state = 'open' AND x.community_id = ?",
                           VALS(SI(c->member_id), SI(c->comm.id)));
        if (!rc && n != 1) {
            free(w);
            rc = ctx_reply(c, n ? "judge.which" : "judge.not_a_judge", NOARGS);
            return rc ? rc : KB_ENOTFOUND;
        }
    }
    free(w);
    if (rc)
        return rc;
    rc = task_load(c->e, c->comm.id, id, t);
    if (!rc)
        rc = judging_load(c->e, id, j);
    if (rc == KB_ENOTFOUND)
        task_row_free(t);
    int yes = 0;
    if (!rc && !(rc = is_judge(c->e, id, c->member_id, &yes)) && (!yes || strcmp(j->state, "open"))) {
        rc = ctx_reply(c, yes ? "judge.closed" : "judge.not_a_judge", ARGS(TI("id", id)));
        judging_free(j);
        task_row_free(t);
        return rc ? rc : KB_ENOTFOUND;
    }
    if (rc == KB_ENOTFOUND) {
        rc = ctx_reply(c, "judge.not_a_judge", NOARGS);
        return rc ? rc : KB_ENOTFOUND;
    }
    return rc;
}

/* Show the judge their next entry (and remember it), or that they are done. */
static int show_next(struct cmd_ctx *c, const struct task_row *t, const struct judging *j, struct sbuf *out)
{
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT s.id, s.text, coalesce(s.attachment, '') FROM submissions s"
                                  " WHERE s.task_id = ?1 AND s.state IN ('pending','approved') AND s.member_id <> ?2"
                                  " AND NOT EXISTS (SELECT 1 FROM judge_scores x WHERE x.judge_id = ?2 AND x.submission_id = s.id)"
                                  " ORDER BY s.at, s.id LIMIT 1",
                                  VALS(SI(t->id), SI(c->member_id)));
    if (!s)
        return store_failure(c->st);
    int rc = store_step(c->st, s);
    int64_t sub = rc == 1 ? store_int(s, 0) : 0;
    struct sbuf body = {0};
    if (rc == 1) {
        text_user_block(&body, store_text(s, 1));
        if (*store_text(s, 2)) {
            if (body.len)
                sbuf_addc(&body, ' ');
            text_format(&body, c->lang, "review.attachment", ARGS(TU("att", store_text(s, 2))));
        }
    }
    store_done(s);
    if (rc < 0) {
        sbuf_free(&body);
        return rc;
    }
    int64_t left = 0, all = 0;
    rc = judge_left(c->e, t->id, c->member_id, &left);
    if (!rc)
        rc = store_i64(c->st, &all, "SELECT count(*) FROM judge_scores WHERE task_id = ? AND judge_id = ?",
                       VALS(SI(t->id), SI(c->member_id)));
    if (!rc && sub) {
        rc = store_exec(c->st,
                        "INSERT OR REPLACE INTO judge_current(judge_id, task_id, submission_id) VALUES (?, ?, ?)",
                        VALS(SI(c->member_id), SI(t->id), SI(sub)));
        struct sbuf rt = {0}, ex = {0};
        rubric_text(c->lang, &j->rubric, &rt);
        for (size_t i = 0; i < j->rubric.n; i++)
            sbuf_addf(&ex, " %lld", (long long)(j->rubric.scale > 5 ? 8 - (int64_t)i % 3 : 4 + (int64_t)(i % 2)));
        text_format(out, c->lang, "judge.entry",
                    ARGS(TI("n", all + 1), TI("of", all + left), TI("sub", sub), TI("id", t->id), TS("text", body.s),
                         TS("rubric", rt.s), TI("scale", j->rubric.scale), TS("example", ex.s)));
        sbuf_free(&rt);
        sbuf_free(&ex);
    } else if (!rc) {
        rc = store_exec(c->st, "DELETE FROM judge_current WHERE judge_id = ? AND task_id = ?",
                        VALS(SI(c->member_id), SI(t->id)));
        text_format(out, c->lang, all ? "judge.done" : "judge.nothing_yet", ARGS(TI("id", t->id), TI("n", all)));
    }
    sbuf_free(&body);
    return rc;
}

static int refuse_in_group(struct cmd_ctx *c)
{
    return ctx_reply(c, "judge.private_only", NOARGS);
}

/* /judge [task]: the next entry to score */
static int cmd_judge(struct cmd_ctx *c)
{
    if (c->ev->chat_type != KB_CHAT_PRIVATE)
        return refuse_in_group(c);
    const char *p = c->args;
    struct task_row t;
    struct judging j;
    int rc = my_judging(c, &p, &t, &j);
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    struct sbuf b = {0};
    rc = show_next(c, &t, &j, &b);
    if (!rc)
        rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    judging_free(&j);
    task_row_free(&t);
    return rc;
}

/* /score [#entry] s1 s2 … [comment]: scores the entry shown (or named) */
static int cmd_score(struct cmd_ctx *c)
{
    if (c->ev->chat_type != KB_CHAT_PRIVATE)
        return refuse_in_group(c);
    const char *p = c->args;
    int64_t sub = 0, task_id = 0;
    const char *before = p;
    char *w = command_next_word(&p);
    int named = w && w[0] == '#' && !task_parse_id(w, &sub);
    free(w);
    if (!named)
        p = before;
    int rc;
    if (named) { /* the entry's task */
        rc = store_i64(c->st, &task_id, "SELECT task_id FROM submissions WHERE id = ? AND community_id = ?",
                       VALS(SI(sub), SI(c->comm.id)));
        if (rc == KB_ENOTFOUND)
            return ctx_reply(c, "review.not_found", ARGS(TI("id", sub)));
    } else {
        int64_t n = 0;
        rc = store_i64(c->st, &n,
                       "SELECT count(*) FROM judge_current k JOIN judgings x ON x.task_id = k.task_id"
                       " WHERE k.judge_id = ? AND x.state = 'open'",
                       VALS(SI(c->member_id)));
        int64_t judging = 0;
        if (!rc && n == 0)
            rc = store_i64(c->st, &judging,
                           "SELECT count(*) FROM judges g JOIN judgings x ON x.task_id = g.task_id"
                           " WHERE g.member_id = ? AND x.state = 'open'",
                           VALS(SI(c->member_id)));
        if (!rc && n != 1)
            return ctx_reply(c, n ? "judge.name_entry" : judging ? "judge.no_current" : "judge.not_a_judge", NOARGS);
        sqlite3_stmt *s = rc ? NULL : store_query(c->st,
                                                  "SELECT k.task_id, k.submission_id FROM judge_current k"
                                                  " JOIN judgings x ON x.task_id = k.task_id"
                                                  " WHERE k.judge_id = ? AND x.state = 'open'",
                                                  VALS(SI(c->member_id)));
        if (s && store_step(c->st, s) == 1) {
            task_id = store_int(s, 0);
            sub = store_int(s, 1);
        }
        store_done(s);
    }
    if (rc)
        return rc;
    char idw[24];
    snprintf(idw, sizeof idw, "%lld", (long long)task_id);
    const char *ip = idw;
    struct task_row t;
    struct judging j;
    rc = my_judging(c, &ip, &t, &j);
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    int64_t scores[JUDGE_CRITERIA_MAX], milli = 0, author = 0, done = 0;
    size_t n = 0;
    const char *q = p;
    while (n < j.rubric.n) { /* one score per criterion; the rest is the comment */
        const char *at = q;
        char *x = command_next_word(&q);
        int64_t v = 0;
        if (!x || parse_i64(x, -1000, 1000, &v)) {
            free(x);
            q = at;
            break;
        }
        free(x);
        scores[n++] = v;
    }
    const char *comment = command_skip_space(q);
    struct sbuf b = {0};
    rc = store_i64(c->st, &author, "SELECT member_id FROM submissions WHERE id = ? AND task_id = ?"
                                   " AND state IN ('pending','approved')",
                   VALS(SI(sub), SI(t.id)));
    if (rc == KB_ENOTFOUND) {
        rc = ctx_reply(c, "judge.not_an_entry", ARGS(TI("sub", sub), TI("id", t.id)));
        goto out;
    }
    if (!rc)
        rc = store_i64(c->st, &done, "SELECT count(*) FROM judge_scores WHERE judge_id = ? AND submission_id = ?",
                       VALS(SI(c->member_id), SI(sub)));
    if (rc)
        goto out;
    if (author == c->member_id) {
        rc = ctx_reply(c, "judge.own_entry", ARGS(TI("sub", sub)));
    } else if (done) {
        rc = ctx_reply(c, "judge.scored_twice", ARGS(TI("sub", sub)));
    } else if (judge_weighted(&j.rubric, scores, n, &milli)) {
        struct sbuf rt = {0};
        rubric_text(c->lang, &j.rubric, &rt);
        rc = ctx_reply(c, "judge.bad_scores", ARGS(TI("n", j.rubric.n), TI("scale", j.rubric.scale), TS("rubric", rt.s)));
        sbuf_free(&rt);
    } else if (strlen(comment) > COMMENT_MAX) {
        rc = ctx_reply(c, "task.note_too_long", ARGS(TI("max", COMMENT_MAX)));
    } else {
        struct sbuf list = {0}, avg = {0};
        for (size_t i = 0; i < n; i++)
            sbuf_addf(&list, "%s%lld", i ? "," : "", (long long)scores[i]);
        rc = store_exec(c->st,
                        "INSERT INTO judge_scores(task_id, judge_id, submission_id, author_id, scores, weighted_milli,"
                        " comment, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        VALS(SI(t.id), SI(c->member_id), SI(sub), SI(author), ST(list.s), SI(milli), ST(comment),
                             SI(c->now)));
        milli_text(milli, &avg);
        if (!rc)
            text_format(&b, c->lang, "judge.scored", ARGS(TI("sub", sub), TS("avg", avg.s), TI("scale", j.rubric.scale)));
        sbuf_addc(&b, '\n');
        if (!rc)
            rc = show_next(c, &t, &j, &b);
        int everyone = 0;
        if (!rc)
            rc = all_in(c->e, t.id, &everyone);
        if (!rc)
            rc = ctx_reply_markup(c, b.s, 0);
        if (!rc && everyone) { /* the operators hear that the scores are complete */
            struct sbuf note = {0};
            text_format(&note, c->lang, "judge.all_in", ARGS(TI("id", t.id), TU("title", t.title)));
            struct kb_reply r = {.kind = KB_REPLY_SEND, .platform = j.platform, .chat_id = j.chat_id, .text = note.s};
            rc = outbox_add(c->e, &r, NULL, c->now);
            sbuf_free(&note);
        }
        sbuf_free(&list);
        sbuf_free(&avg);
    }
out:
    sbuf_free(&b);
    judging_free(&j);
    task_row_free(&t);
    return rc;
}

/* /scores <task>: a judge's own scores; everyone's once all are in or the
   judging closed (judges and operators) */
static int cmd_scores(struct cmd_ctx *c)
{
    const char *p = c->args;
    struct task_row t;
    struct judging j;
    int rc = judging_from_arg(c, &p, &t, &j, "judge.scores_usage");
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    int judge = 0, everyone = 0;
    rc = is_judge(c->e, t.id, c->member_id, &judge);
    if (!rc)
        rc = all_in(c->e, t.id, &everyone);
    int open_to_all = everyone || strcmp(j.state, "open");
    if (!rc && !judge && !c->is_admin) {
        rc = ctx_reply(c, "judge.not_a_judge", NOARGS);
        goto out;
    }
    if (!rc && !open_to_all && c->ev->chat_type != KB_CHAT_PRIVATE) {
        rc = refuse_in_group(c);
        goto out;
    }
    if (rc)
        goto out;
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT submission_id, judge_id, scores, weighted_milli FROM judge_scores"
                                  " WHERE task_id = ?1 AND (?2 OR judge_id = ?3) ORDER BY submission_id, judge_id",
                                  VALS(SI(t.id), SI(open_to_all), SI(c->member_id)));
    if (!s) {
        rc = store_failure(c->st);
        goto out;
    }
    struct sbuf b = {0};
    text_format(&b, c->lang, open_to_all ? "judge.scores_all" : "judge.scores_mine", ARGS(TI("id", t.id), TU("title", t.title)));
    int shown = 0;
    while ((rc = store_step(c->st, s)) == 1 && shown < 100) {
        struct sbuf who = {0}, avg = {0};
        task_mention(c->e, store_int(s, 1), &who);
        milli_text(store_int(s, 3), &avg);
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "judge.score_line",
                    ARGS(TI("sub", store_int(s, 0)), TS("who", who.s), TS("scores", store_text(s, 2)), TS("avg", avg.s)));
        sbuf_free(&who);
        sbuf_free(&avg);
        shown++;
    }
    store_done(s);
    if (!shown) {
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "judge.no_scores", NOARGS);
    }
    rc = rc < 0 ? rc : ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
out:
    judging_free(&j);
    task_row_free(&t);
    return rc;
}

/* ==== the module ======================================================= */

static const char *const migrations[] = {
    /* 1: judgings (a task's rubric and prizes), judges, their scores, the
          entry each judge is looking at, the results of a closed judging */
    "CREATE TABLE judgings ("
    "  task_id INTEGER PRIMARY KEY REFERENCES tasks(id),"
    "  community_id INTEGER NOT NULL,"
    "  criteria TEXT NOT NULL,"           /* "创意:40,画面:30,契合:30" */
    "  scale INTEGER NOT NULL CHECK (scale IN (5, 10)),"
    "  ties TEXT NOT NULL CHECK (ties IN ('earlier','shared')),"
    "  prizes TEXT NOT NULL DEFAULT '',"  /* "500CNY,300CNY,100": places 1..N */
    "  judge_points INTEGER NOT NULL DEFAULT 0 CHECK (judge_points >= 0),"
    "  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open','closed')),"
    "  platform TEXT NOT NULL,"           /* where it was set up: results go there */
    "  chat_id TEXT NOT NULL,"
    "  created_by INTEGER,"
    "  created_at INTEGER NOT NULL,"
    "  closed_at INTEGER"
    ") STRICT;"
    "CREATE TABLE judges ("
    "  task_id INTEGER NOT NULL REFERENCES judgings(task_id),"
    "  member_id INTEGER NOT NULL REFERENCES members(id),"
    "  appointed_by INTEGER,"
    "  at INTEGER NOT NULL,"
    "  PRIMARY KEY (task_id, member_id)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE INDEX judges_member ON judges(member_id);"
    "CREATE TABLE judge_scores ("
    "  task_id INTEGER NOT NULL REFERENCES judgings(task_id),"
    "  judge_id INTEGER NOT NULL REFERENCES members(id),"
    "  submission_id INTEGER NOT NULL REFERENCES submissions(id),"
    "  author_id INTEGER NOT NULL REFERENCES members(id),"
    "  scores TEXT NOT NULL,"             /* "4,5,3": one per criterion */
    "  weighted_milli INTEGER NOT NULL,"  /* the weighted mean × 1000 */
    "  comment TEXT NOT NULL DEFAULT '',"
    "  at INTEGER NOT NULL,"
    /* a score is final: one per judge and entry; never one's own */
    "  PRIMARY KEY (judge_id, submission_id),"
    "  CHECK (judge_id <> author_id)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE INDEX judge_scores_task ON judge_scores(task_id, submission_id);"
    "CREATE TABLE judge_current ("
    "  judge_id INTEGER NOT NULL,"
    "  task_id INTEGER NOT NULL,"
    "  submission_id INTEGER NOT NULL,"
    "  PRIMARY KEY (judge_id, task_id)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE TABLE judge_results ("
    "  task_id INTEGER NOT NULL REFERENCES judgings(task_id),"
    "  submission_id INTEGER NOT NULL,"
    "  author_id INTEGER NOT NULL,"
    "  place INTEGER NOT NULL,"
    "  avg_milli INTEGER NOT NULL,"
    "  judges INTEGER NOT NULL,"
    "  PRIMARY KEY (task_id, submission_id)"
    ") STRICT, WITHOUT ROWID;",
};

static const struct cmd_spec commands[] = {
    {"judging", cmd_judging, CMD_OPERATOR, "judge.help", "评审"},
    {"judge", cmd_judge, 0, "judge.help.judge", "评分"},
    {"score", cmd_score, 0, "judge.help.score", "打分"},
    {"scores", cmd_scores, 0, "judge.help.scores", "评分结果"},
};

static const struct cmd_sub subs[] = {
    {"judging", "new", judging_new, 0, 1, -1},
    {"judging", "show", judging_show, 0, 1, 1},
    {"judging", "close", judging_close, CMD_LEDGER, 1, 1},
};

static const struct text_entry texts[] = {
    {"judge.help", "/judging new &lt;任务&gt; @评委… rubric 创意:40,画面:30 [scale 5|10] [prizes 500CNY,300CNY,100] [reward 20] [ties earlier|shared]｜show｜close &lt;任务&gt; — 特邀评委评审",
     "/judging new &lt;task&gt; @judge… rubric idea:40,image:30 [scale 5|10] [prizes 500CNY,300CNY,100] [reward 20] [ties earlier|shared] | show | close &lt;task&gt; — guest judges with a rubric"},
    {"judge.help.judge", "/judge [任务] — 评委：私聊中查看下一份待评作品", "/judge [task] — judges: the next entry to score (in a private chat)"},
    {"judge.help.score", "/score [#作品] 分数… [点评] — 评委：给当前作品逐项打分", "/score [#entry] scores… [comment] — judges: score the entry shown, one score per criterion"},
    {"judge.help.scores", "/scores &lt;任务&gt; — 评分（全部评完或评审结束前只看到自己的）", "/scores &lt;task&gt; — the scores (only your own until all are in or the judging closes)"},
    {"audit.judge.appoint", "任命评委", "appointed judges"},
    {"audit.judge.close", "结束评审并发奖", "closed a judging"},
    {"judge.usage", "用法：/judging new &lt;任务&gt; @评委… rubric 标准:权重,…｜/judging show &lt;任务&gt;｜/judging close &lt;任务&gt;",
     "Usage: /judging new &lt;task&gt; @judge… rubric criterion:weight,… | /judging show &lt;task&gt; | /judging close &lt;task&gt;"},
    {"judge.new_usage", "用法：/judging new &lt;任务编号&gt; @评委… rubric 创意:40,画面:30,契合:30 [scale 5 或 10] [prizes 500CNY,300CNY,100（积分）] [reward 评审奖励积分] [ties earlier（先交者优先）或 shared（并列）]",
     "Usage: /judging new &lt;task id&gt; @judge… rubric idea:40,image:30,fit:30 [scale 5 or 10] [prizes 500CNY,300CNY,100 (points)] [reward points for each judge] [ties earlier (the earlier entry wins) or shared]"},
    {"judge.show_usage", "用法：/judging show &lt;任务编号&gt;", "Usage: /judging show &lt;task id&gt;"},
    {"judge.close_usage", "用法：/judging close &lt;任务编号&gt;", "Usage: /judging close &lt;task id&gt;"},
    {"judge.scores_usage", "用法：/scores &lt;任务编号&gt;", "Usage: /scores &lt;task id&gt;"},
    {"judge.exists", "任务 #{id} 已经设置过评审了。", "Task #{id} already has a judging."},
    {"judge.none", "⚠️ 任务 #{id} 没有评审。", "⚠️ Task #{id} has no judging."},
    {"judge.criterion", "{name}（{weight}）", "{name} ({weight})"},
    {"judge.place", "第 {n} 名 ", "place {n}: "},
    {"judge.ties.earlier", "先提交者优先", "the earlier entry first"},
    {"judge.ties.shared", "并列同名次", "a shared place"},
    {"judge.created", "🏅 任务 #{id}「{title}」的评审已设置。\n评委：{judges}\n评分标准：{rubric}，{scale} 分制\n奖项：{prizes}\n评委完成评审奖励：{reward} 积分；同分：{ties}",
     "🏅 Judging set for task #{id} “{title}”.\nJudges: {judges}\nRubric: {rubric}, scored 1–{scale}\nPrizes: {prizes}\nReward for a judge who scores every entry: {reward} points; ties: {ties}"},
    {"judge.appointed_dm", "🏅 {who}，你被邀请担任任务 #{id}「{title}」的特邀评委。评分标准：{rubric}（每项 1–{scale} 分）。在这里发送 /judge {id} 开始评分，一次一份作品。",
     "🏅 {who}, you are a guest judge for task #{id} “{title}”. Rubric: {rubric} (1–{scale} each). Send /judge {id} here to start; one entry at a time."},
    {"judge.private_only", "🔒 评分请在私聊中进行，这样评委之间看不到彼此的分数。", "🔒 Judging happens in a private chat with me, so judges don't see each other's scores."},
    {"judge.not_a_judge", "你不是进行中评审的评委。", "You are not a judge of an open judging."},
    {"judge.which", "你是多个评审的评委，请写上任务编号：/judge &lt;任务编号&gt;。", "You judge more than one task; name it: /judge &lt;task id&gt;."},
    {"judge.closed", "任务 #{id} 的评审已经结束。", "The judging of task #{id} is closed."},
    {"judge.entry", "🖼️ 第 {n}/{of} 份：作品 #{sub}（任务 #{id}）\n{text}\n评分标准：{rubric}，每项 1–{scale} 分。\n回复 /score{example} [点评]，按标准顺序打分。",
     "🖼️ Entry {n} of {of}: #{sub} (task #{id})\n{text}\nRubric: {rubric}, 1–{scale} each.\nReply /score{example} [comment], one score per criterion in that order."},
    {"judge.done", "✅ 任务 #{id} 的 {n} 份作品你都评完了，谢谢！结果会在评审结束后公布。",
     "✅ You have scored all {n} entries of task #{id}. Thank you! The results come when the judging closes."},
    {"judge.nothing_yet", "任务 #{id} 还没有需要你评分的作品。", "Task #{id} has no entry for you to score yet."},
    {"judge.no_current", "先发送 /judge 查看要评的作品。", "Send /judge first to see the entry to score."},
    {"judge.name_entry", "请写上作品编号：/score #作品编号 分数…", "Name the entry: /score #entry scores…"},
    {"judge.not_an_entry", "⚠️ #{sub} 不是任务 #{id} 的参评作品。", "⚠️ #{sub} is not an entry of task #{id}."},
    {"judge.own_entry", "⚠️ 作品 #{sub} 是你自己的，评委不能给自己的作品打分。", "⚠️ Entry #{sub} is your own; a judge never scores their own work."},
    {"judge.scored_twice", "你已经给作品 #{sub} 打过分了；分数一经提交不能修改。", "You already scored entry #{sub}; a score is final."},
    {"judge.bad_scores", "⚠️ 请按顺序给出 {n} 个 1–{scale} 的分数：{rubric}。", "⚠️ Give {n} scores from 1 to {scale}, in this order: {rubric}."},
    {"judge.scored", "✅ 作品 #{sub}：加权得分 {avg}/{scale}。", "✅ Entry #{sub}: weighted score {avg}/{scale}."},
    {"judge.all_in", "🏅 任务 #{id}「{title}」的所有评分都已提交。发送 /judging close {id} 公布结果并发放奖项。",
     "🏅 Every score for task #{id} “{title}” is in. Send /judging close {id} to publish the results and award the prizes."},
    {"judge.show_head", "🏅 <b>任务 #{id}「{title}」评审进度</b>（分数在评完或结束前保密）", "🏅 <b>Judging of task #{id} “{title}”</b> (scores stay hidden until all are in or it closes)"},
    {"judge.show_head_closed", "🏅 <b>任务 #{id}「{title}」评审（已结束）</b>", "🏅 <b>Judging of task #{id} “{title}” (closed)</b>"},
    {"judge.progress", "{who}：已评 {done}/{of}", "{who}: scored {done} of {of}"},
    {"judge.already_closed", "任务 #{id} 的评审已经结束，没有改动。", "The judging of task #{id} is already closed; nothing changed."},
    {"judge.results_head", "🏆 <b>任务 #{id}「{title}」评审结果</b>", "🏆 <b>Results of task #{id} “{title}”</b>"},
    {"judge.results_line", "{place}. {who} — {avg}/{scale}（作品 #{sub}）", "{place}. {who} — {avg}/{scale} (entry #{sub})"},
    {"judge.results_line_prize", "{place}. {who} — {avg}/{scale}（作品 #{sub}）🎁 {prize}", "{place}. {who} — {avg}/{scale} (entry #{sub}) 🎁 {prize}"},
    {"judge.results_none", "没有作品得到评分。", "No entry was scored."},
    {"judge.judges_paid", "感谢评委 {judges}，各得评审奖励 {points} 积分。", "Thanks to the judges {judges}: {points} points each for judging."},
    {"judge.closed_ack", "✅ 任务 #{id} 的评审已结束，结果已公布。", "✅ The judging of task #{id} is closed and the results are posted."},
    {"judge.told_author", "🏅 任务 #{id}「{title}」评审结果：你的作品排第 {place}/{of} 名，得分 {avg}/{scale}。",
     "🏅 Task #{id} “{title}”: your entry placed {place} of {of}, scoring {avg}/{scale}."},
    {"judge.told_author_prize", "🏅 任务 #{id}「{title}」评审结果：你的作品排第 {place}/{of} 名，得分 {avg}/{scale}，获得 {prize}！",
     "🏅 Task #{id} “{title}”: your entry placed {place} of {of}, scoring {avg}/{scale}, and wins {prize}!"},
    {"judge.comments_head", "评委点评：", " The judges' comments:"},
    {"judge.comment_line", "💬 {comment}", "💬 {comment}"},
    {"judge.scores_mine", "🔒 <b>任务 #{id}「{title}」：你的评分</b>（其他评委的分数在全部评完或评审结束后可见）",
     "🔒 <b>Task #{id} “{title}”: your scores</b> (the other judges' show once all are in or the judging closes)"},
    {"judge.scores_all", "🏅 <b>任务 #{id}「{title}」：全部评分</b>", "🏅 <b>Task #{id} “{title}”: every score</b>"},
    {"judge.score_line", "作品 #{sub} — {who}：{scores} → {avg}", "entry #{sub} — {who}: {scores} → {avg}"},
    {"judge.no_scores", "还没有评分。", "No scores yet."},
};

const struct kb_module judge_module = {
    .name = "judge",
    .commands = commands,
    .n_commands = KB_COUNT(commands),
    .subs = subs,
    .n_subs = KB_COUNT(subs),
    .texts = texts,
    .n_texts = KB_COUNT(texts),
    .migrations = migrations,
    .n_migrations = KB_COUNT(migrations),
};
