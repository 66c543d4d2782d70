/*
 * Standing: levels computed from the ledger, check-ins and approved tasks;
 * pools, titles and badges; /level and /why.  See standing.h.
 */
#include "standing.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "command.h"
#include "defn.h"
#include "ledger.h"
#include "tally.h"
#include "tz.h"
#include "who.h"

const char *const standing_tiers[STANDING_N_TIERS] = {"basic", "explore", "precision", "cobuild"};

static const struct kb_level_rule default_rules[] = {
    {.name_zh = "新人", .name_en = "Newcomer"},
    {.name_zh = "活跃", .name_en = "Active", .min_points = 100, .min_checkin_days = 7},
    {.name_zh = "中坚", .name_en = "Contributor", .min_points = 500, .min_explore = 3},
    {.name_zh = "核心", .name_en = "Core", .min_points = 2000, .min_precision = 1},
    {.name_zh = "伙伴", .name_en = "Partner", .granted_only = 1},
};

const struct kb_level_rule *standing_default_rules(size_t *n)
{
    *n = KB_COUNT(default_rules);
    return default_rules;
}

const struct kb_level_rule *standing_rules(const struct engine *e, size_t *n)
{
    if (e->set.n_levels > 0 && e->set.n_levels <= KB_MAX_LEVELS) {
        *n = e->set.n_levels;
        return e->set.levels;
    }
    return standing_default_rules(n);
}

/* ==== facts and rules =================================================== */

/* The three reads behind a memo. */
static int standing_read(struct engine *e, int64_t member_id, struct standing_memo *m)
{
    memset(m, 0, sizeof *m);
    m->level = 1;
    m->last_day = STANDING_DAY_UNKNOWN; /* read when a check-in asks (checkin_latest) */
    int rc = store_i64(e->st, &m->level, "SELECT level FROM member_levels WHERE member_id = ?",
                       VALS(SI(member_id)));
    if (rc && rc != KB_ENOTFOUND)
        return rc;
    /* balance and check-in days from the all-time tally row */
    struct standing_facts *out = &m->facts;
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT points, checkins FROM period_tallies"
                                  " WHERE member_id = ? AND span = 0 AND period = 0",
                                  VALS(SI(member_id)));
    if (!s)
        return store_failure(e->st);
    rc = store_step(e->st, s);
    if (rc == 1) {
        out->points = store_int(s, 0);
        out->checkin_days = store_int(s, 1);
    }
    store_done(s);
    if (rc < 0)
        return rc;
    s = store_query(e->st, "SELECT tier, count(*) FROM task_completions WHERE member_id = ? GROUP BY tier",
                    VALS(SI(member_id)));
    if (!s)
        return store_failure(e->st);
    while ((rc = store_step(e->st, s)) == 1)
        for (int t = 0; t < STANDING_N_TIERS; t++)
            if (strcmp(store_text(s, 0), standing_tiers[t]) == 0)
                out->tasks[t] = store_int(s, 1);
    store_done(s);
    return rc < 0 ? rc : KB_OK;
}

/* A memo as the cache holds it: 32 bytes instead of 56, one per member. */
struct memo_packed {
    int64_t points;
    int32_t checkin_days, last_day, last_streak;
    int16_t level;
    int16_t tasks[STANDING_N_TIERS];
};
/* one member's entry stays an 80-byte malloc chunk */
_Static_assert(sizeof(struct memo_packed) == 32, "memo_packed grew");

static int fits32(int64_t v)
{
    return v >= INT32_MIN && v <= INT32_MAX;
}

static int fits16(int64_t v)
{
    return v >= INT16_MIN && v <= INT16_MAX;
}

/* Keep m for key (a memo whose numbers do not fit is not kept: it is read again). */
static void memo_put(struct engine *e, const char *key, const struct standing_memo *m)
{
    struct memo_packed p;
    memset(&p, 0, sizeof p); /* the padding too: the entry is copied whole */
    p.points = m->facts.points;
    p.checkin_days = (int32_t)m->facts.checkin_days;
    p.level = (int16_t)m->level;
    int ok = fits32(m->facts.checkin_days) && fits16(m->level);
    /* an unknown latest check-in is kept as unknown; one that does not fit is forgotten */
    int day_ok = m->last_day != STANDING_DAY_UNKNOWN && fits32(m->last_day) && fits32(m->last_streak);
    p.last_day = day_ok ? (int32_t)m->last_day : INT32_MIN;
    p.last_streak = day_ok ? (int32_t)m->last_streak : 0;
    for (int t = 0; t < STANDING_N_TIERS; t++) {
        ok = ok && fits16(m->facts.tasks[t]);
        p.tasks[t] = (int16_t)m->facts.tasks[t];
    }
    if (ok)
        cache_put_blob(&e->cache.standing, key, &p, sizeof p);
    else
        cache_drop(&e->cache.standing, key);
}

/* The memo kept for key, if any. */
static int memo_cached(struct engine *e, const char *key, struct standing_memo *m)
{
    const struct cache_entry *hit = cache_get(&e->cache.standing, key);
    if (!hit)
        return 0;
    struct memo_packed p;
    memcpy(&p, cache_text(hit), sizeof p);
    m->level = p.level;
    m->facts.points = p.points;
    m->facts.checkin_days = p.checkin_days;
    m->last_day = p.last_day == INT32_MIN ? STANDING_DAY_UNKNOWN : p.last_day;
    m->last_streak = p.last_streak;
    for (int t = 0; t < STANDING_N_TIERS; t++)
        m->facts.tasks[t] = p.tasks[t];
    return 1;
}

int standing_memo_get(struct engine *e, int64_t member_id, struct standing_memo *out)
{
    char key[KB_I64_TEXT];
    fmt_i64(key, member_id);
    if (memo_cached(e, key, out))
        return KB_OK;
    int rc = standing_read(e, member_id, out);
    if (!rc)
        memo_put(e, key, out);
    return rc;
}

int standing_memo_peek(struct engine *e, int64_t member_id, struct standing_memo *out)
{
    char key[KB_I64_TEXT];
    fmt_i64(key, member_id);
    return memo_cached(e, key, out);
}

/* Change a cached memo (only one that is cached: the rest are read when needed). */
static void memo_update(struct engine *e, int64_t member_id, const int64_t *level,
                        const int64_t *points, const int64_t *checkin_days)
{
    char key[KB_I64_TEXT];
    fmt_i64(key, member_id);
    struct standing_memo m;
    if (!memo_cached(e, key, &m))
        return;
    if (level)
        m.level = *level;
    if (points)
        m.facts.points = *points;
    if (checkin_days)
        m.facts.checkin_days = *checkin_days;
    memo_put(e, key, &m);
}

void standing_memo_tally(struct engine *e, int64_t member_id, int64_t points, int64_t checkin_days)
{
    memo_update(e, member_id, NULL, &points, &checkin_days);
}

void standing_memo_forget(struct engine *e, int64_t member_id)
{
    char key[KB_I64_TEXT];
    fmt_i64(key, member_id);
    cache_drop(&e->cache.standing, key);
}

void standing_memo_new_member(struct engine *e, int64_t member_id)
{
    char key[KB_I64_TEXT];
    fmt_i64(key, member_id);
    struct standing_memo m = {.level = 1, .last_day = -1};
    memo_put(e, key, &m);
}

int standing_memo_last_checkin(struct engine *e, int64_t member_id, int64_t *day, int64_t *streak)
{
    struct standing_memo m;
    if (!standing_memo_peek(e, member_id, &m))
        return -1;
    if (m.last_day == STANDING_DAY_UNKNOWN)
        return 0;
    *day = m.last_day;
    *streak = m.last_streak;
    return 1;
}

void standing_memo_checkin(struct engine *e, int64_t member_id, int64_t day, int64_t streak, int known)
{
    char key[KB_I64_TEXT];
    fmt_i64(key, member_id);
    struct standing_memo m;
    if (!memo_cached(e, key, &m) || (!known && (m.last_day == STANDING_DAY_UNKNOWN || m.last_day > day)))
        return; /* a day before the latest (a replay) leaves the latest as it is */
    m.last_day = day;
    m.last_streak = streak;
    memo_put(e, key, &m);
}

int standing_facts(struct engine *e, int64_t member_id, struct standing_facts *out)
{
    struct standing_memo m;
    int rc = standing_memo_get(e, member_id, &m);
    *out = m.facts;
    return rc;
}

/* What a level asks for: the largest requirement of levels 2..level (the
   ladder is cumulative, whatever order the configuration lists numbers in). */
void standing_requirements(const struct engine *e, int level, struct standing_facts *need)
{
    size_t n;
    const struct kb_level_rule *r = standing_rules(e, &n);
    memset(need, 0, sizeof *need);
    for (int i = 1; i < level && (size_t)i < n; i++) {
        const struct kb_level_rule *x = &r[i];
        int64_t v[2 + STANDING_N_TIERS] = {x->min_points, x->min_checkin_days, x->min_basic,
                                           x->min_explore, x->min_precision, x->min_cobuild};
        if (v[0] > need->points)
            need->points = v[0];
        if (v[1] > need->checkin_days)
            need->checkin_days = v[1];
        for (int t = 0; t < STANDING_N_TIERS; t++)
            if (v[2 + t] > need->tasks[t])
                need->tasks[t] = v[2 + t];
    }
}

static int facts_meet(const struct standing_facts *f, const struct standing_facts *need)
{
    if (f->points < need->points || f->checkin_days < need->checkin_days)
        return 0;
    for (int t = 0; t < STANDING_N_TIERS; t++)
        if (f->tasks[t] < need->tasks[t])
            return 0;
    return 1;
}

int standing_earned_level(const struct engine *e, const struct standing_facts *f)
{
    size_t n;
    const struct kb_level_rule *r = standing_rules(e, &n);
    int level = 1;
    for (size_t i = 1; i < n; i++) {
        if (r[i].granted_only)
            break;
        struct standing_facts need;
        standing_requirements(e, (int)i + 1, &need);
        if (!facts_meet(f, &need))
            break;
        level = (int)i + 1;
    }
    return level;
}

void standing_level_name(const struct engine *e, int level, const char *lang, struct sbuf *out)
{
    size_t n;
    const struct kb_level_rule *r = standing_rules(e, &n);
    sbuf_addf(out, "L%d", level);
    if (level < 1 || (size_t)level > n)
        return;
    const struct kb_level_rule *x = &r[level - 1];
    sbuf_addc(out, ' ');
    text_user_block(out, text_lang_is_en(lang) ? x->name_en : x->name_zh);
}

static void add_item(struct sbuf *out, int *count, const char *lang, const char *key, int64_t n)
{
    if (n <= 0)
        return;
    if ((*count)++)
        text_format(out, lang, "standing.sep", NOARGS);
    text_format(out, lang, key, ARGS(TI("n", n)));
}

int standing_missing(const struct engine *e, int level, const struct standing_facts *f,
                     const char *lang, struct sbuf *out)
{
    static const char *const tier_keys[STANDING_N_TIERS] = {
        "standing.need_basic", "standing.need_explore", "standing.need_precision",
        "standing.need_cobuild"};
    struct standing_facts need;
    standing_requirements(e, level, &need);
    int count = 0;
    add_item(out, &count, lang, "standing.need_points", need.points - f->points);
    add_item(out, &count, lang, "standing.need_days", need.checkin_days - f->checkin_days);
    for (int t = 0; t < STANDING_N_TIERS; t++)
        add_item(out, &count, lang, tier_keys[t], need.tasks[t] - f->tasks[t]);
    return count;
}

/* ==== lookups ============================================================ */

int standing_level(struct engine *e, int64_t member_id, int *level)
{
    struct standing_memo m;
    int rc = standing_memo_get(e, member_id, &m);
    *level = rc ? 1 : (int)m.level;
    return rc;
}

int standing_in_pool(struct engine *e, int64_t member_id, const char *pool, int *yes)
{
    int64_t one = 0;
    int rc = store_i64(e->st, &one,
                       "SELECT 1 FROM pool_members WHERE member_id = ? AND pool = ? COLLATE NOCASE",
                       VALS(SI(member_id), ST(pool)));
    if (rc && rc != KB_ENOTFOUND)
        return rc;
    *yes = rc == KB_OK;
    return KB_OK;
}

int standing_has_item(struct engine *e, int64_t member_id, const char *kind, const char *name,
                      int *yes)
{
    int64_t sum = 0;
    int rc = ledger_balance(e, member_id, kind, name, &sum);
    *yes = rc == KB_OK && sum > 0;
    return rc;
}

int standing_eligible(struct engine *e, int64_t member_id, int min_level, const char *pool, int *ok)
{
    int level = 1, in = 1;
    int rc = standing_level(e, member_id, &level);
    if (!rc && pool && *pool)
        rc = standing_in_pool(e, member_id, pool, &in);
    *ok = !rc && level >= min_level && in;
    return rc;
}

int standing_audience_check(struct engine *e, int64_t community_id, int64_t min_level, const char *pools,
                            const char *lang, struct sbuf *out)
{
    size_t n_levels;
    standing_rules(e, &n_levels);
    if (min_level > (int64_t)n_levels) {
        struct sbuf top = {0};
        standing_level_name(e, (int)n_levels, lang, &top);
        text_format(out, lang, "standing.level_beyond_ladder",
                    ARGS(TI("level", min_level), TS("top", top.s)));
        sbuf_free(&top);
        return KB_EINVAL;
    }
    for (const char *p = pools ? pools : ""; *p;) {
        size_t len = strcspn(p, ",");
        char *pool = xstrndup(p, len);
        int64_t one = 0;
        int rc = store_i64(e->st, &one, "SELECT 1 FROM pools WHERE community_id = ? AND name = ?",
                           VALS(SI(community_id), ST(pool)));
        if (rc == KB_ENOTFOUND)
            text_format(out, lang, "standing.no_such_pool", ARGS(TU("pool", pool)));
        free(pool);
        if (rc)
            return rc == KB_ENOTFOUND ? KB_EINVAL : rc;
        p += len + (p[len] == ',');
    }
    return KB_OK;
}

/* Append the names of the member's current titles or badges, joined. */
static int held_items(struct engine *e, int64_t member_id, const char *kind, const char *sep,
                      struct sbuf *out, int *count)
{
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT unit FROM ledger WHERE member_id = ? AND kind = ?"
                                  " GROUP BY unit HAVING sum(amount) > 0 ORDER BY min(id)",
                                  VALS(SI(member_id), ST(kind)));
    if (!s)
        return store_failure(e->st);
    int rc;
    *count = 0;
    while ((rc = store_step(e->st, s)) == 1) {
        if ((*count)++)
            sbuf_add(out, sep);
        text_user_block(out, store_text(s, 0));
    }
    store_done(s);
    return rc < 0 ? rc : KB_OK;
}

void member_label(struct engine *e, int64_t member_id, struct sbuf *out)
{
    member_name(e, member_id, out);
    struct sbuf titles = {0};
    int n = 0;
    if (held_items(e, member_id, "title", ", ", &titles, &n) == KB_OK && n > 0)
        sbuf_addf(out, " [%s]", titles.s);
    sbuf_free(&titles);
}

/* ==== level changes ====================================================== */

static int record_level(struct engine *e, int64_t community_id, int64_t member_id, int from,
                        int to, const char *cause, int64_t by, int64_t now)
{
    int rc = store_exec(e->st,
                        "INSERT INTO member_levels(member_id, level, since) VALUES (?, ?, ?)"
                        " ON CONFLICT(member_id) DO UPDATE SET level = excluded.level, since = excluded.since",
                        VALS(SI(member_id), SI(to), SI(now)));
    int64_t level = to;
    if (!rc)
        memo_update(e, member_id, &level, NULL, NULL);
    if (!rc)
        rc = store_exec(e->st,
                        "INSERT INTO level_changes(community_id, member_id, from_level, to_level, cause,"
                        " by_member, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        VALS(SI(community_id), SI(member_id), SI(from), SI(to), ST(cause),
                             by ? SI(by) : SN, SI(now)));
    return rc;
}

static int announce_promotion(struct engine *e, int64_t community_id, int64_t member_id, int level,
                              int64_t now)
{
    struct community comm;
    int rc = community_load(e, community_id, &comm);
    if (rc)
        return rc;
    struct sbuf who = {0}, name = {0}, b = {0};
    member_label(e, member_id, &who);
    standing_level_name(e, level, comm.locale, &name);
    text_format(&b, comm.locale, "standing.promoted", ARGS(TS("name", who.s), TS("level", name.s)));
    char ref[48];
    snprintf(ref, sizeof ref, "level:%lld:%d", (long long)member_id, level);
    rc = community_post_after(e, community_id, b.s, ref, now);
    sbuf_free(&who);
    sbuf_free(&name);
    sbuf_free(&b);
    return rc;
}

/* The modules that follow a member's milestones (a mentor's credit). */
static int progress_hooks(struct engine *e, int64_t community_id, int64_t member_id, int64_t now)
{
    int rc = KB_OK;
    for (size_t m = 0; m < kb_n_modules && !rc; m++)
        if (kb_modules[m]->member_progress)
            rc = kb_modules[m]->member_progress(e, community_id, member_id, now);
    return rc;
}

int standing_changed(struct engine *e, int64_t community_id, int64_t member_id, int64_t now)
{
    int current = 1;
    struct standing_facts f;
    int rc = standing_level(e, member_id, &current);
    if (!rc)
        rc = standing_facts(e, member_id, &f);
    if (rc)
        return rc;
    int earned = standing_earned_level(e, &f);
    if (earned > current) /* never an implicit demotion */
        rc = record_level(e, community_id, member_id, current, earned, "rules", 0, now);
    if (!rc && earned > current)
        rc = announce_promotion(e, community_id, member_id, earned, now);
    return rc ? rc : progress_hooks(e, community_id, member_id, now);
}

int standing_task_completed(struct engine *e, int64_t community_id, int64_t member_id,
                            const char *task_ref, const char *tier, int64_t now)
{
    int rc = store_exec(e->st,
                        "INSERT OR IGNORE INTO task_completions(community_id, member_id, task_ref, tier, at)"
                        " VALUES (?, ?, ?, ?, ?)",
                        VALS(SI(community_id), SI(member_id), ST(task_ref), ST(tier), SI(now)));
    if (rc || store_changes(e->st) == 0)
        return rc;
    standing_memo_forget(e, member_id);
    rc = top_tally_add(e, community_id, member_id, now, 0, 0, 1);
    if (!rc)
        rc = standing_changed(e, community_id, member_id, now);
    return rc;
}

int standing_task_reversed(struct engine *e, int64_t community_id, int64_t member_id, const char *task_ref,
                           int64_t by_member, int64_t now, int *from, int *to)
{
    int64_t done_at = 0;
    int rc = store_i64(e->st, &done_at, "SELECT at FROM task_completions WHERE member_id = ? AND task_ref = ?",
                       VALS(SI(member_id), ST(task_ref)));
    if (rc == KB_OK)
        rc = store_exec(e->st, "DELETE FROM task_completions WHERE member_id = ? AND task_ref = ?",
                        VALS(SI(member_id), ST(task_ref)));
    standing_memo_forget(e, member_id);
    if (rc == KB_OK)
        rc = top_tally_add(e, community_id, member_id, done_at, 0, 0, -1);
    if (rc == KB_ENOTFOUND)
        rc = KB_OK; /* no completion recorded: only the level to check */
    struct standing_facts f;
    if (!rc)
        rc = standing_level(e, member_id, from);
    if (!rc)
        rc = standing_facts(e, member_id, &f);
    if (rc)
        return rc;
    int64_t floor = 1;
    rc = store_i64(e->st, &floor,
                   "SELECT to_level FROM level_changes WHERE member_id = ? AND cause = 'set' ORDER BY id DESC LIMIT 1",
                   VALS(SI(member_id)));
    if (rc == KB_ENOTFOUND)
        floor = 1;
    else if (rc)
        return rc;
    int earned = standing_earned_level(e, &f);
    *to = earned > (int)floor ? earned : (int)floor;
    if (*to >= *from) {
        *to = *from;
        return KB_OK;
    }
    return record_level(e, community_id, member_id, *from, *to, "rules", by_member, now);
}

int standing_set_level(struct engine *e, int64_t community_id, int64_t member_id, int level,
                       int64_t by_member, int64_t now)
{
    int current = 1;
    int rc = standing_level(e, member_id, &current);
    if (rc || level == current)
        return rc;
    rc = record_level(e, community_id, member_id, current, level, "set", by_member, now);
    if (!rc && level > current)
        rc = announce_promotion(e, community_id, member_id, level, now);
    return rc ? rc : progress_hooks(e, community_id, member_id, now);
}

/* ==== /me ================================================================ */

int standing_describe(struct cmd_ctx *c, struct sbuf *out)
{
    int level = 1;
    struct standing_facts f;
    int rc = standing_level(c->e, c->member_id, &level);
    if (!rc)
        rc = standing_facts(c->e, c->member_id, &f);
    if (rc)
        return rc;
    size_t n;
    const struct kb_level_rule *r = standing_rules(c->e, &n);
    struct sbuf name = {0}, tmp = {0};
    standing_level_name(c->e, level, c->lang, &name);
    sbuf_addc(out, '\n');
    text_format(out, c->lang, "standing.me_level", ARGS(TS("level", name.s)));
    sbuf_free(&name);
    sbuf_addc(out, '\n');
    if ((size_t)level >= n) {
        text_format(out, c->lang, "standing.me_top", NOARGS);
    } else {
        standing_level_name(c->e, level + 1, c->lang, &name);
        if (r[level].granted_only) {
            text_format(out, c->lang, "standing.me_next_granted", ARGS(TS("level", name.s)));
        } else if (standing_missing(c->e, level + 1, &f, c->lang, &tmp) == 0) {
            text_format(out, c->lang, "standing.me_next_ready", ARGS(TS("level", name.s)));
        } else {
            text_format(out, c->lang, "standing.me_next", ARGS(TS("level", name.s), TS("missing", tmp.s)));
        }
        sbuf_free(&name);
        sbuf_free(&tmp);
    }
    static const char *const kinds[] = {"title", "badge"};
    static const char *const keys[] = {"standing.me_titles", "standing.me_badges"};
    for (int k = 0; k < 2 && !rc; k++) {
        int count = 0;
        rc = held_items(c->e, c->member_id, kinds[k], text_get(c->lang, "standing.sep"), &tmp, &count);
        if (!rc && count) {
            sbuf_addc(out, '\n');
            text_format(out, c->lang, keys[k], ARGS(TS("items", tmp.s)));
        }
        sbuf_free(&tmp);
    }
    if (rc)
        return rc;
    sqlite3_stmt *s = store_query(c->st, "SELECT pool FROM pool_members WHERE member_id = ? ORDER BY at",
                                  VALS(SI(c->member_id)));
    if (!s)
        return store_failure(c->st);
    int count = 0;
    while ((rc = store_step(c->st, s)) == 1) {
        if (count++)
            text_format(&tmp, c->lang, "standing.sep", NOARGS);
        text_user_block(&tmp, store_text(s, 0));
    }
    store_done(s);
    if (rc == 0 && count) {
        sbuf_addc(out, '\n');
        text_format(out, c->lang, "standing.me_pools", ARGS(TS("items", tmp.s)));
    }
    sbuf_free(&tmp);
    return rc < 0 ? rc : KB_OK;
}

/* ==== /level ============================================================= */

/* "/level": the ladder with what each level asks for. */
static int show_ladder(struct cmd_ctx *c)
{
    size_t n;
    const struct kb_level_rule *r = standing_rules(c->e, &n);
    struct standing_facts zero;
    memset(&zero, 0, sizeof zero);
    struct sbuf b = {0};
    text_format(&b, c->lang, "standing.ladder", NOARGS);
    for (size_t i = 0; i < n; i++) {
        struct sbuf name = {0}, need = {0};
        standing_level_name(c->e, (int)i + 1, c->lang, &name);
        if (r[i].granted_only)
            text_format(&need, c->lang, "standing.granted_only", NOARGS);
        else if (standing_missing(c->e, (int)i + 1, &zero, c->lang, &need) == 0)
            text_format(&need, c->lang, "standing.entry", NOARGS);
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "standing.ladder_line", ARGS(TS("level", name.s), TS("need", need.s)));
        sbuf_free(&name);
        sbuf_free(&need);
    }
    int rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    return rc;
}

/* /level, or anything but a well-formed /level set (subs below): the
   ladder; an operator who meant to set a level gets the usage. */
static int cmd_level(struct cmd_ctx *c)
{
    if (!*c->args || !c->is_operator) /* members are shown the ladder, not an operator's usage */
        return show_ladder(c);
    return ctx_reply(c, "standing.level_usage", NOARGS);
}

/* /level set N @member (or replying to them): configured operators. */
static int level_set(struct cmd_ctx *c)
{
    const char *p = c->args;
    char *num = command_next_word(&p);
    char *who = who_next_target(c, &p);
    char *extra = command_next_word(&p);
    size_t n;
    standing_rules(c->e, &n);
    int64_t level = 0, member = 0;
    int rc = KB_OK;
    if (!num || (!who && !who_has_reply(c)) || extra) {
        rc = ctx_reply(c, "standing.level_usage", NOARGS);
    } else if (parse_i64(num[0] == 'L' || num[0] == 'l' ? num + 1 : num, 1, (int64_t)n, &level)) {
        rc = ctx_reply(c, "standing.bad_level", ARGS(TU("got", num), TI("max", n)));
    } else if ((rc = who_resolve(c, who, &member)) == KB_ENOTFOUND) {
        rc = KB_OK; /* who_resolve said why */
    } else if (!rc && member == c->member_id && !ctx_is_owner(c)) {
        rc = ctx_reply(c, "grant.self", NOARGS); /* nobody sets their own standing */
    } else if (!rc) {
        int before = 1;
        rc = standing_level(c->e, member, &before);
        if (!rc)
            rc = standing_set_level(c->e, c->comm.id, member, (int)level, c->member_id, c->now);
        char target[32], detail[48];
        snprintf(target, sizeof target, "member:%lld", (long long)member);
        snprintf(detail, sizeof detail, "L%d -> L%lld", before, (long long)level);
        if (!rc)
            rc = audit_add(c, "level.set", target, detail);
        if (!rc) {
            struct sbuf who_s = {0}, name = {0};
            member_label(c->e, member, &who_s);
            standing_level_name(c->e, (int)level, c->lang, &name);
            rc = ctx_reply(c, "standing.level_set", ARGS(TS("name", who_s.s), TS("level", name.s)));
            sbuf_free(&who_s);
            sbuf_free(&name);
        }
    }
    free(num);
    free(who);
    free(extra);
    return rc;
}

/* ==== /why =============================================================== */

static void fmt_time(struct cmd_ctx *c, int64_t t, struct sbuf *out)
{
    char buf[32];
    when_format(t, c->comm.tz, buf, sizeof buf);
    sbuf_add(out, buf);
}

/* "  —" under a heading with no rows */
static void none_line(struct sbuf *b, int rows)
{
    if (!rows)
        sbuf_add(b, "\n  —");
}

/* The catalogue's word for a stored code ("ledger.reason.checkin" for
   "checkin"); the code itself, escaped, when the catalogue has none. */
static void code_label(struct cmd_ctx *c, const char *prefix, const char *code, struct sbuf *out)
{
    char key[80];
    snprintf(key, sizeof key, "%s.%s", prefix, code);
    if (text_has(key))
        text_format(out, c->lang, key, NOARGS);
    else
        text_user(out, code);
}

static int why_points(struct cmd_ctx *c, int64_t member, struct sbuf *b)
{
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT reason, count(*), sum(amount) FROM ledger"
                                  " WHERE member_id = ? AND kind = 'points' GROUP BY reason ORDER BY reason",
                                  VALS(SI(member)));
    if (!s)
        return store_failure(c->st);
    int rc;
    while ((rc = store_step(c->st, s)) == 1) {
        struct sbuf reason = {0};
        code_label(c, "ledger.reason", store_text(s, 0), &reason);
        sbuf_add(b, "\n  ");
        text_format(b, c->lang, "standing.why_reason",
                    ARGS(TS("reason", reason.s), TI("count", store_int(s, 1)),
                         TI("sum", store_int(s, 2))));
        sbuf_free(&reason);
    }
    store_done(s);
    return rc < 0 ? rc : KB_OK;
}

static int why_tasks(struct cmd_ctx *c, int64_t member, struct sbuf *b)
{
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT tier, count(*), group_concat(replace(task_ref, 'task:', '#'), ', ') FROM"
                                  " (SELECT tier, task_ref FROM task_completions WHERE member_id = ?"
                                  "  ORDER BY at) GROUP BY tier ORDER BY tier",
                                  VALS(SI(member)));
    if (!s)
        return store_failure(c->st);
    int rc, rows = 0;
    while ((rc = store_step(c->st, s)) == 1) {
        rows++;
        struct sbuf tier = {0};
        code_label(c, "task.tier", store_text(s, 0), &tier);
        sbuf_add(b, "\n  ");
        text_format(b, c->lang, "standing.why_tier",
                    ARGS(TS("tier", tier.s), TI("count", store_int(s, 1)),
                         TU("refs", store_text(s, 2))));
        sbuf_free(&tier);
    }
    store_done(s);
    none_line(b, rows);
    return rc < 0 ? rc : KB_OK;
}

static int why_levels(struct cmd_ctx *c, int64_t member, struct sbuf *b)
{
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT l.at, l.from_level, l.to_level, l.cause, l.by_member"
                                  " FROM level_changes l WHERE l.member_id = ? ORDER BY l.id DESC LIMIT 10",
                                  VALS(SI(member)));
    if (!s)
        return store_failure(c->st);
    /* copy first: member_name below reuses the statement cache */
    struct row { int64_t at, from, to, by; int set; } rows[10];
    size_t n = 0;
    int rc;
    while ((rc = store_step(c->st, s)) == 1 && n < 10) {
        rows[n] = (struct row){store_int(s, 0), store_int(s, 1), store_int(s, 2), store_int(s, 4),
                               strcmp(store_text(s, 3), "set") == 0};
        n++;
    }
    store_done(s);
    if (rc < 0)
        return rc;
    none_line(b, (int)n);
    for (size_t i = n; i-- > 0;) {
        struct sbuf when = {0}, by = {0};
        fmt_time(c, rows[i].at, &when);
        sbuf_add(b, "\n  ");
        if (rows[i].set) {
            member_name(c->e, rows[i].by, &by);
            text_format(b, c->lang, "standing.why_set",
                        ARGS(TS("when", when.s), TI("from", rows[i].from), TI("to", rows[i].to),
                             TS("by", by.s)));
        } else {
            text_format(b, c->lang, "standing.why_rules",
                        ARGS(TS("when", when.s), TI("from", rows[i].from), TI("to", rows[i].to)));
        }
        sbuf_free(&when);
        sbuf_free(&by);
    }
    return KB_OK;
}

static int why_grants(struct cmd_ctx *c, int64_t member, struct sbuf *b)
{
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT l.at, l.kind, l.amount, l.unit, l.note, coalesce(m.name, '')"
                                  " FROM ledger l LEFT JOIN members m ON m.id = l.granted_by"
                                  " WHERE l.member_id = ? AND l.reason IN ('grant', 'revoke')"
                                  " ORDER BY l.id DESC LIMIT 10",
                                  VALS(SI(member)));
    if (!s)
        return store_failure(c->st);
    int rc, rows = 0;
    while ((rc = store_step(c->st, s)) == 1) {
        rows++;
        struct sbuf when = {0};
        fmt_time(c, store_int(s, 0), &when);
        sbuf_add(b, "\n  ");
        int points = strcmp(store_text(s, 1), "points") == 0;
        char amount[32];
        snprintf(amount, sizeof amount, "%+lld", (long long)store_int(s, 2));
        struct sbuf kind = {0};
        code_label(c, "ledger.kind", store_text(s, 1), &kind);
        text_format(b, c->lang, points ? "standing.why_grant_points" : "standing.why_grant_item",
                    ARGS(TS("when", when.s), TS("kind", kind.s), TS("amount", amount),
                         TU("unit", store_text(s, 3)), TU("note", store_text(s, 4)),
                         TU("by", store_text(s, 5))));
        sbuf_free(&kind);
        sbuf_free(&when);
    }
    store_done(s);
    none_line(b, rows);
    return rc < 0 ? rc : KB_OK;
}

static int cmd_why(struct cmd_ctx *c)
{
    const char *p = c->args;
    char *who = who_next_target(c, &p);
    int64_t member = 0;
    int rc;
    if (!who && !who_has_reply(c))
        return ctx_reply(c, "standing.why_usage", NOARGS);
    rc = who_resolve(c, who, &member);
    free(who);
    if (rc == KB_ENOTFOUND)
        return KB_OK; /* who_resolve said why */
    if (rc || !member)
        return rc;
    int level = 1;
    struct standing_facts f;
    rc = standing_level(c->e, member, &level);
    if (!rc)
        rc = standing_facts(c->e, member, &f);
    if (rc)
        return rc;
    struct sbuf b = {0}, label = {0}, name = {0}, need = {0};
    member_label(c->e, member, &label);
    standing_level_name(c->e, level, c->lang, &name);
    text_format(&b, c->lang, "standing.why_head", ARGS(TS("name", label.s), TS("level", name.s)));
    sbuf_addc(&b, '\n');
    text_format(&b, c->lang, "standing.why_points", ARGS(TI("points", f.points)));
    rc = why_points(c, member, &b);
    sbuf_addc(&b, '\n');
    text_format(&b, c->lang, "standing.why_days", ARGS(TI("days", f.checkin_days)));
    sbuf_addc(&b, '\n');
    text_format(&b, c->lang, "standing.why_tasks", NOARGS);
    if (!rc)
        rc = why_tasks(c, member, &b);
    if (level > 1) {
        struct standing_facts zero;
        memset(&zero, 0, sizeof zero);
        standing_missing(c->e, level, &zero, c->lang, &need);
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "standing.why_rule",
                    ARGS(TI("level", level), TS("need", need.s[0] ? need.s : "-")));
        if (standing_earned_level(c->e, &f) < level) {
            sbuf_addc(&b, '\n');
            text_format(&b, c->lang, "standing.why_held", NOARGS);
        }
    }
    sbuf_addc(&b, '\n');
    text_format(&b, c->lang, "standing.why_history", NOARGS);
    if (!rc)
        rc = why_levels(c, member, &b);
    sbuf_addc(&b, '\n');
    text_format(&b, c->lang, "standing.why_grants", NOARGS);
    if (!rc)
        rc = why_grants(c, member, &b);
    if (!rc)
        rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    sbuf_free(&label);
    sbuf_free(&name);
    sbuf_free(&need);
    return rc;
}

static const struct cmd_spec commands[] = {
    {"level", cmd_level, 0, "standing.level_help", "等级"},
    {"why", cmd_why, CMD_OPERATOR, "standing.why_help", NULL},
};

static const struct cmd_sub subs[] = {
    {"level", "set", level_set, CMD_LEDGER, 1, 2},
};

static const struct text_entry texts[] = {
    {"standing.level_help", "/level — 等级阶梯", "/level — the level ladder"},
    {"standing.level_help.ledger", "/level set &lt;n&gt; @成员 — 直接设定成员等级",
     "/level set &lt;n&gt; @member — set a member's level"},
    {"standing.why_help", "/why @成员 — 等级的依据（账本条目）", "/why @member — the entries behind a member's level"},
    {"standing.sep", "、", ", "},
    {"standing.need_points", "{n} 积分", "{n} points"},
    {"standing.need_days", "{n} 天签到", "{n} check-in days"},
    {"standing.need_basic", "{n} 个基础任务", "{n} basic {n|task|tasks}"},
    {"standing.need_explore", "{n} 个探索任务", "{n} explore {n|task|tasks}"},
    {"standing.need_precision", "{n} 个精准任务", "{n} precision {n|task|tasks}"},
    {"standing.need_cobuild", "{n} 个共建任务", "{n} co-build {n|task|tasks}"},
    {"standing.promoted", "🎉 {name} 升级为 <b>{level}</b>！", "🎉 {name} is now <b>{level}</b>!"},
    {"standing.me_level", "等级：<b>{level}</b>", "Level: <b>{level}</b>"},
    {"standing.me_top", "已是最高等级 🏆", "Top level reached 🏆"},
    {"standing.me_next", "距 {level} 还差：{missing}", "Next: {level} — still missing: {missing}"},
    {"standing.me_next_ready", "已满足 {level} 的条件，下次积分变化时升级",
     "Next: {level} — requirements met, you move up with your next points"},
    {"standing.me_next_granted", "下一级 {level} 由运营授予", "Next: {level} — granted by an operator"},
    {"standing.me_titles", "头衔：{items}", "Titles: {items}"},
    {"standing.me_badges", "徽章：{items}", "Badges: {items}"},
    {"standing.me_pools", "人才库：{items}", "Talent pools: {items}"},
    {"standing.ladder", "<b>等级阶梯</b>", "<b>Levels</b>"},
    {"standing.ladder_line", "{level}：{need}", "{level}: {need}"},
    {"standing.granted_only", "由运营授予", "granted by an operator"},
    {"standing.entry", "加入即得", "on joining"},
    {"standing.level_usage", "用法：/level set &lt;等级&gt; @成员（例如 /level set 5 @alice）",
     "Usage: /level set &lt;level&gt; @member (e.g. /level set 5 @alice)"},
    {"standing.bad_level", "等级 {got} 不存在，请输入 1 到 {max}。",
     "There is no level {got}; give a number from 1 to {max}."},
    {"standing.level_beyond_ladder", "⚠️ 等级最高只到 {top}，没有人能达到 L{level}，也就没人能参与。",
     "⚠️ The level ladder ends at {top}: nobody can reach L{level}, so nobody could take part."},
    {"standing.no_such_pool", "⚠️ 还没有名为 {pool} 的人才库，没人能参与。可先用 /pool add {pool} @成员 建立。",
     "⚠️ There is no talent pool called {pool}, so nobody could take part. /pool add {pool} @member creates it."},
    {"standing.level_set", "✅ {name} 的等级已设为 <b>{level}</b>。", "✅ {name} is now at <b>{level}</b>."},
    {"standing.why_usage", "用法：/why @成员", "Usage: /why @member"},
    {"standing.why_head", "🔎 {name} 为什么是 <b>{level}</b>", "🔎 Why {name} is <b>{level}</b>"},
    {"standing.why_points", "积分余额 {points}，来自：", "Points {points}, from:"},
    {"standing.why_reason", "{reason}：{count} 条，合计 {sum}", "{reason}: {count} entries, {sum} in total"},
    {"ledger.reason.checkin", "签到", "check-ins"},
    {"ledger.reason.grant", "运营授予", "grants"},
    {"ledger.reason.revoke", "撤销", "revocations"},
    {"ledger.reason.task", "任务奖励", "task rewards"},
    {"ledger.reason.poll", "投票奖励", "poll rewards"},
    {"ledger.reason.payout", "发放", "payouts"},
    {"ledger.kind.points", "积分", "points"},
    {"ledger.kind.cash", "现金", "cash"},
    {"ledger.kind.gift", "礼品", "gift"},
    {"ledger.kind.badge", "徽章", "badge"},
    {"ledger.kind.title", "头衔", "title"},
    {"standing.why_days", "签到天数：{days}", "Check-in days: {days}"},
    {"standing.why_tasks", "已通过的任务：", "Approved tasks:"},
    {"standing.why_tier", "{tier}：{count}（{refs}）", "{tier}: {count} ({refs})"},
    {"standing.why_rule", "L{level} 的条件：{need}", "L{level} asks for: {need}"},
    {"standing.why_held", "（未满足条件：等级由运营设定）", "(requirements not met: the level was set by an operator)"},
    {"standing.why_history", "等级记录：", "Level history:"},
    {"standing.why_rules", "{when} L{from} → L{to}（达到条件）", "{when} L{from} → L{to} (requirements met)"},
    {"standing.why_set", "{when} L{from} → L{to}（{by} 设定）", "{when} L{from} → L{to} (set by {by})"},
    {"standing.why_grants", "授予与撤销（最近 10 条）：", "Grants and revocations (latest 10):"},
    {"standing.why_grant_points", "{when} {amount} 积分 — {note}（{by}）", "{when} {amount} points — {note} (by {by})"},
    {"standing.why_grant_item", "{when} {kind} {unit} {amount}（{by}）", "{when} {kind} {unit} {amount} (by {by})"},
};

const struct kb_module standing_module = {
    .name = "standing",
    .commands = commands,
    .n_commands = KB_COUNT(commands),
    .subs = subs,
    .n_subs = KB_COUNT(subs),
    .texts = texts,
    .n_texts = KB_COUNT(texts),
};
