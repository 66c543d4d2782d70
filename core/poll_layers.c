/* A poll's votes split by the voters' layer (see poll_layers.h). */
#include "poll_layers.h"

#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "community.h"
#include "standing.h"
#include "store.h"
#include "text.h"

enum {
    MAX_LAYERS = 24,      /* more pools than this fold into "others" */
    ANON_MIN_VOTERS = 3,  /* an anonymous poll never shows a smaller layer on its own */
    REASONS_CAP = 3500    /* bytes of reasons in one reply */
};

/* One row per vote and layer: (level, pool or tag, choices, member,
   reason).  A member in two pools (or with two tags) counts in both; no
   pool (no tag) is a layer of its own. */
static const char *const layer_sql[] = {
    [LAYER_LEVEL] = "SELECT coalesce(ml.level, 1), NULL, v.choices, v.member_id, v.reason"
                    " FROM poll_votes v LEFT JOIN member_levels ml ON ml.member_id = v.member_id"
                    " WHERE v.poll_id = ? AND (?2 = 0 OR v.reason <> '')"
                    " ORDER BY 1 DESC, v.at, v.member_id",
    [LAYER_POOL] = "SELECT 0, pm.pool, v.choices, v.member_id, v.reason"
                   " FROM poll_votes v LEFT JOIN pool_members pm ON pm.member_id = v.member_id"
                   " WHERE v.poll_id = ? AND (?2 = 0 OR v.reason <> '')"
                   " ORDER BY pm.pool IS NULL, pm.pool, v.at, v.member_id",
    [LAYER_TAG] = "SELECT 0, t.tag, v.choices, v.member_id, v.reason"
                  " FROM poll_votes v LEFT JOIN member_tags t ON t.member_id = v.member_id"
                  " WHERE v.poll_id = ? AND (?2 = 0 OR v.reason <> '')"
                  " ORDER BY t.tag IS NULL, t.tag, v.at, v.member_id",
};

struct layer {
    struct sbuf label; /* markup */
    int64_t counts[POLL_MAX_OPTIONS], voters;
};

struct layers {
    struct layer l[MAX_LAYERS + 1]; /* the last: others */
    size_t n;
};

int poll_layer_by_parse(const char *w, enum poll_layer_by *by)
{
    static const struct {
        const char *word;
        enum poll_layer_by by;
    } words[] = {{"level", LAYER_LEVEL}, {"等级", LAYER_LEVEL}, {"层级", LAYER_LEVEL},
                 {"pool", LAYER_POOL},   {"人才库", LAYER_POOL},  {"tag", LAYER_TAG},
                 {"标签", LAYER_TAG}};
    for (size_t i = 0; w && i < sizeof words / sizeof words[0]; i++)
        if (!strcmp(w, words[i].word)) {
            *by = words[i].by;
            return KB_OK;
        }
    return KB_EINVAL;
}

static void layer_label(struct engine *e, enum poll_layer_by by, int level, const char *pool, const char *lang,
                        struct sbuf *out)
{
    if (by == LAYER_LEVEL)
        standing_level_name(e, level, lang, out);
    else if (pool)
        text_user(out, pool);
    else
        text_format(out, lang, by == LAYER_TAG ? "poll.layer_no_tag" : "poll.layer_no_pool", NOARGS);
}

static void layers_free(struct layers *ls)
{
    for (size_t i = 0; i <= MAX_LAYERS; i++)
        sbuf_free(&ls->l[i].label);
}

/* Count each layer's votes; in an anonymous poll, layers too small to hide
   their voters are merged into "others" (ls->l[MAX_LAYERS]). */
static int layers_load(struct engine *e, int64_t poll_id, const struct poll_def *d, enum poll_layer_by by,
                       const char *lang, struct layers *ls)
{
    memset(ls, 0, sizeof *ls);
    sqlite3_stmt *s = store_query(e->st, layer_sql[by], VALS(SI(poll_id), SI(0)));
    if (!s)
        return store_failure(e->st);
    int rc;
    int64_t prev_level = -1;
    struct sbuf prev_pool = {0};
    int started = 0;
    struct layer *cur = NULL;
    while ((rc = store_step(e->st, s)) == 1) {
        int64_t level = store_int(s, 0);
        const char *pool = store_is_null(s, 1) ? NULL : store_text(s, 1);
        int same = started && level == prev_level &&
                   (pool ? prev_pool.len && !strcmp(prev_pool.s, pool) : !prev_pool.len);
        if (!same) {
            started = 1;
            prev_level = level;
            prev_pool.len = 0;
            if (pool)
                sbuf_add(&prev_pool, pool);
            cur = ls->n < MAX_LAYERS ? &ls->l[ls->n++] : &ls->l[MAX_LAYERS];
            if (cur != &ls->l[MAX_LAYERS])
                layer_label(e, by, (int)level, pool, lang, &cur->label);
        }
        unsigned choices = (unsigned)store_int(s, 2);
        cur->voters++;
        for (int i = 0; i < d->n_options; i++)
            if (choices & (1u << i))
                cur->counts[i]++;
    }
    store_done(s);
    sbuf_free(&prev_pool);
    if (rc < 0) {
        layers_free(ls);
        return rc;
    }
    struct layer *others = &ls->l[MAX_LAYERS];
    size_t kept = 0;
    for (size_t i = 0; i < ls->n; i++) {
        struct layer *l = &ls->l[i];
        if (d->anonymous && l->voters < ANON_MIN_VOTERS) {
            others->voters += l->voters;
            for (int k = 0; k < d->n_options; k++)
                others->counts[k] += l->counts[k];
            sbuf_free(&l->label);
            continue;
        }
        if (kept != i) {
            ls->l[kept] = *l;
            memset(l, 0, sizeof *l);
        }
        kept++;
    }
    ls->n = kept;
    if (others->voters)
        text_format(&others->label, lang, d->anonymous ? "poll.layer_small" : "poll.layer_others", NOARGS);
    return KB_OK;
}

/* The merged layer, unless an anonymous poll's merge is still too small to
   hide who voted what: then NULL, and *hidden its voters. */
static const struct layer *others_shown(const struct layers *ls, const struct poll_def *d, int64_t *hidden)
{
    const struct layer *o = &ls->l[MAX_LAYERS];
    *hidden = d->anonymous && o->voters < ANON_MIN_VOTERS ? o->voters : 0;
    return o->voters && !*hidden ? o : NULL;
}

int64_t poll_percent(int64_t n, int64_t of)
{
    return of ? (n * 100 + of / 2) / of : 0;
}

void poll_bars(struct sbuf *out, const struct poll_def *d, const int64_t *counts, int64_t voters)
{
    for (int i = 0; i < d->n_options; i++) {
        int64_t filled = voters ? (counts[i] * 10 + voters / 2) / voters : 0;
        sbuf_addf(out, "\n%d. ", i + 1);
        text_user(out, d->options[i]);
        sbuf_add(out, "\n   ");
        for (int k = 0; k < 10; k++)
            sbuf_add(out, k < filled ? "\xE2\x96\x88" : "\xE2\x96\x91"); /* █ ░ */
        sbuf_addf(out, " %lld%% (%lld)", (long long)poll_percent(counts[i], voters), (long long)counts[i]);
    }
}

static void render_layer(const struct layer *l, const struct poll_def *d, const char *lang, struct sbuf *out)
{
    sbuf_add(out, "\n<b>");
    sbuf_add(out, sbuf_str(&l->label));
    sbuf_add(out, "</b> · ");
    text_format(out, lang, "poll.layer_voters", ARGS(TI("n", l->voters)));
    poll_bars(out, d, l->counts, l->voters);
}

int poll_layers_results(struct engine *e, int64_t poll_id, const struct poll_def *d, enum poll_layer_by by,
                        const char *lang, struct sbuf *out)
{
    struct layers ls;
    int rc = layers_load(e, poll_id, d, by, lang, &ls);
    if (rc)
        return rc;
    static const char *const titles[] = {[LAYER_LEVEL] = "poll.layers_title_level",
                                         [LAYER_POOL] = "poll.layers_title_pool",
                                         [LAYER_TAG] = "poll.layers_title_tag"};
    text_format(out, lang, titles[by], ARGS(TI("id", poll_id), TU("question", d->question)));
    for (size_t i = 0; i < ls.n; i++)
        render_layer(&ls.l[i], d, lang, out);
    int64_t hidden;
    const struct layer *others = others_shown(&ls, d, &hidden);
    if (others)
        render_layer(others, d, lang, out);
    if (hidden) {
        sbuf_addc(out, '\n');
        text_format(out, lang, "poll.layers_hidden", ARGS(TI("n", hidden), TI("min", ANON_MIN_VOTERS)));
    } else if (!ls.n && !others) {
        sbuf_addc(out, '\n');
        text_format(out, lang, "poll.layers_none", NOARGS);
    }
    layers_free(&ls);
    return KB_OK;
}

int poll_layers_summary(struct engine *e, int64_t poll_id, const struct poll_def *d, const char *lang,
                        struct sbuf *out)
{
    struct layers ls;
    int rc = layers_load(e, poll_id, d, LAYER_LEVEL, lang, &ls);
    if (rc)
        return rc;
    int64_t hidden;
    const struct layer *others = others_shown(&ls, d, &hidden);
    size_t shown = ls.n + (others ? 1 : 0);
    if (shown >= 2) {
        sbuf_addc(out, '\n');
        text_format(out, lang, "poll.layers_summary_head", NOARGS);
        for (size_t i = 0; i < shown; i++) {
            const struct layer *l = i < ls.n ? &ls.l[i] : others;
            sbuf_add(out, "\n");
            sbuf_add(out, sbuf_str(&l->label));
            sbuf_add(out, text_get(lang, "poll.layers_colon"));
            for (int k = 0; k < d->n_options; k++)
                sbuf_addf(out, "%s%d. %lld%%", k ? " · " : "", k + 1,
                          (long long)poll_percent(l->counts[k], l->voters));
            text_format(out, lang, "poll.layer_voters_paren", ARGS(TI("n", l->voters)));
        }
    }
    layers_free(&ls);
    return KB_OK;
}

int poll_layers_reasons(struct engine *e, int64_t poll_id, const struct poll_def *d, enum poll_layer_by by,
                        const char *lang, struct sbuf *out)
{
    static const char *const titles[] = {[LAYER_LEVEL] = "poll.layers_reasons_level",
                                         [LAYER_POOL] = "poll.layers_reasons_pool",
                                         [LAYER_TAG] = "poll.layers_reasons_tag"};
    text_format(out, lang, titles[by], ARGS(TI("id", poll_id), TU("question", d->question)));
    if (d->anonymous) { /* a layer's few reasons would name their writers */
        sbuf_addc(out, '\n');
        text_format(out, lang, "poll.layers_reasons_anonymous", NOARGS);
        return KB_OK;
    }
    sqlite3_stmt *s = store_query(e->st, layer_sql[by], VALS(SI(poll_id), SI(1)));
    if (!s)
        return store_failure(e->st);
    /* copy the rows first: member_name and the labels use the statement cache */
    struct row {
        int64_t level, member;
        unsigned choices;
        char *pool, *reason;
    } *rows = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = store_step(e->st, s)) == 1) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            rows = xrealloc(rows, cap * sizeof *rows);
        }
        rows[n++] = (struct row){.level = store_int(s, 0),
                                 .pool = store_is_null(s, 1) ? NULL : xstrdup(store_text(s, 1)),
                                 .choices = (unsigned)store_int(s, 2),
                                 .member = store_int(s, 3),
                                 .reason = xstrdup(store_text(s, 4))};
    }
    store_done(s);
    size_t shown = 0;
    for (size_t i = 0; rc >= 0 && i < n; i++) {
        const struct row *r = &rows[i];
        int new_layer = i == 0 || r->level != rows[i - 1].level ||
                        (r->pool == NULL) != (rows[i - 1].pool == NULL) ||
                        (r->pool && strcmp(r->pool, rows[i - 1].pool));
        if (out->len > REASONS_CAP)
            continue;
        if (new_layer) {
            sbuf_add(out, "\n<b>");
            layer_label(e, by, (int)r->level, r->pool, lang, out);
            sbuf_add(out, "</b>");
        }
        sbuf_add(out, "\n• ");
        for (int k = 0, first = 1; k < d->n_options; k++)
            if (r->choices & (1u << k)) {
                sbuf_addf(out, "%s%d", first ? "" : ",", k + 1);
                first = 0;
            }
        sbuf_add(out, " ");
        member_name(e, r->member, out);
        sbuf_add(out, text_get(lang, "poll.layers_colon"));
        text_user_block(out, r->reason);
        shown++;
    }
    if (rc >= 0 && n == 0) {
        sbuf_addc(out, '\n');
        text_format(out, lang, "poll.reasons_none", NOARGS);
    } else if (rc >= 0 && shown < n) {
        sbuf_addc(out, '\n');
        text_format(out, lang, "poll.truncated", ARGS(TI("shown", (int64_t)shown), TI("total", (int64_t)n)));
    }
    for (size_t i = 0; i < n; i++) {
        free(rows[i].pool);
        free(rows[i].reason);
    }
    free(rows);
    return rc < 0 ? rc : KB_OK;
}
