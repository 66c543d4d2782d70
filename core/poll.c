/*
 * Polls and votes; see poll.h.
 *
 * Invariants: a vote is the row (poll_id, member_id) in poll_votes, its
 * choices a bit set (bit n-1 = option n), so re-voting is an upsert and
 * tallies are always counted from those rows.  The vote reward is a ledger
 * row with ref "poll:<id>", idempotent per voter.  A poll is closed when
 * closed_at is set or its deadline has passed (the tick sets closed_at and
 * posts the result, guarded by the fire-once mark "poll-close:<id>").
 * The poll message is posted with ref "poll:<id>"; live counts are edits of
 * it, at most one per POLL_EDIT_GAP_S, the tick sending any owed edit.
 */
#include "poll.h"
#include "poll_layers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "command.h"
#include "csv.h"
#include "defn.h"
#include "outbox.h"
#include "ledger.h"
#include "once.h"
#include "schedule.h"
#include "standing.h"
#include "who.h"

#define POLL_REPLY_CAP 3500 /* bytes of listing before we cut it short */

/* ==== small text helpers ================================================ */

/* Copy s[0..n) into dst (cap bytes), clipped on a UTF-8 boundary. */
static void copy_clip(char *dst, size_t cap, const char *s, size_t n)
{
    n = utf8_clip(s, n, cap - 1);
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* Skip a list marker ("1.", "2)", "3、", "-", "*", "•") and spaces. */
static const char *skip_marker(const char *s, size_t *n)
{
    size_t i = 0;
    while (i < *n && i < 2 && s[i] >= '0' && s[i] <= '9')
        i++;
    size_t m = 0;
    if (i > 0 && i < *n && (s[i] == '.' || s[i] == ')'))
        m = i + 1;
    else if (i > 0 && i + 3 <= *n && memcmp(s + i, "\xE3\x80\x81", 3) == 0) /* 、 */
        m = i + 3;
    else if (i == 0 && *n >= 1 && (s[0] == '-' || s[0] == '*'))
        m = 1;
    else if (i == 0 && *n >= 3 && memcmp(s, "\xE2\x80\xA2", 3) == 0) /* • */
        m = 3;
    if (m == 0)
        return s;
    if (i > 0 && m < *n && s[m] >= '0' && s[m] <= '9')
        return s; /* "3.5 stars" is an option, not "3." and "5 stars" */
    if (i == 0 && m < *n && s[m] != ' ' && s[m] != '\t')
        return s; /* "-5 degrees" is an option, not a bullet */
    size_t len;
    const char *t = command_trim_span(s + m, *n - m, &len);
    *n = len;
    return t;
}

static int set_err(struct poll_def *d, const char **err_key, const char *key, const char *detail)
{
    *err_key = key;
    copy_clip(d->err_detail, sizeof d->err_detail, detail ? detail : "", detail ? strlen(detail) : 0);
    return KB_EINVAL;
}

/* ==== the definition parser ============================================ */

/* 1 when a[0..n) equals b[0..n), ASCII letters compared case-insensitively. */
static int same_text(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (char)(y + 32);
        if (x != y)
            return 0;
    }
    return 1;
}

/* Append one option (trimmed, marker removed); empty pieces are skipped. */
static int add_option(struct poll_def *d, const char *s, size_t n, int strip_marker,
                      const char **err_key)
{
    size_t len;
    s = command_trim_span(s, n, &len);
    if (strip_marker)
        s = skip_marker(s, &len);
    if (len == 0)
        return KB_OK;
    char tmp[64];
    copy_clip(tmp, sizeof tmp, s, len);
    if (d->n_options == POLL_MAX_OPTIONS)
        return set_err(d, err_key, "poll.err_options_count", NULL);
    if (utf8_count(s, len) > POLL_OPTION_MAX)
        return set_err(d, err_key, "poll.err_option_long", tmp);
    for (int i = 0; i < d->n_options; i++)
        if (strlen(d->options[i]) == len && same_text(d->options[i], s, len))
            return set_err(d, err_key, "poll.err_option_twice", tmp);
    copy_clip(d->options[d->n_options++], sizeof d->options[0], s, len);
    return KB_OK;
}

/* Split s at '|' (and at newlines when lines = 1) into options. */
static int add_options(struct poll_def *d, const char *s, int lines, const char **err_key)
{
    while (*s) {
        size_t n = 0;
        while (s[n] && s[n] != '|' && !(lines && s[n] == '\n'))
            n++;
        int rc = add_option(d, s, n, lines, err_key);
        if (rc)
            return rc;
        s += n;
        if (*s)
            s++;
    }
    return KB_OK;
}

/* yes/no flag values; "" (a bare flag) is yes. */
static int parse_bool(const char *v, int *out)
{
    static const char *const yes[] = {"", "yes", "y", "true", "on", "1", "是", NULL};
    static const char *const no[] = {"no", "n", "false", "off", "0", "否", NULL};
    for (const char *const *p = yes; *p; p++)
        if (ascii_casecmp(v, *p) == 0)
            return (*out = 1, KB_OK);
    for (const char *const *p = no; *p; p++)
        if (ascii_casecmp(v, *p) == 0)
            return (*out = 0, KB_OK);
    return KB_EINVAL;
}

/* A vote reward in points, written as a task's is: "5", "points 5",
   "5 points", "积分 5", "5 积分". */
static int parse_points(const char *v, int64_t *points)
{
    static const char *const units[] = {"points", "point", "积分"};
    char buf[64];
    copy_clip(buf, sizeof buf, v, strlen(v));
    char *num = buf;
    for (size_t i = 0; i < KB_COUNT(units); i++) {
        size_t n = strlen(units[i]), len = strlen(num);
        if (strncmp(num, units[i], n) == 0 && num[n] == ' ') {
            num += n + 1;
            break;
        }
        if (len > n && strcmp(num + len - n, units[i]) == 0 && num[len - n - 1] == ' ') {
            num[len - n - 1] = '\0';
            break;
        }
    }
    return parse_i64(num, 0, 100000, points);
}

static int parse_flags(struct poll_def *d, const struct defn *df, const char *tz, int64_t now,
                       const char **err_key)
{
    const char *v;
    if ((v = defn_get(df, "multi"))) {
        int64_t n = d->n_options;
        if (*v && parse_i64(v, 1, POLL_MAX_OPTIONS, &n))
            return set_err(d, err_key, "poll.err_multi", v);
        if (n > d->n_options)
            return set_err(d, err_key, "poll.err_multi", v);
        d->max_choices = (int)n;
    }
    if ((v = defn_get(df, "anonymous")) && parse_bool(v, &d->anonymous))
        return set_err(d, err_key, "poll.err_flag_value", "anonymous");
    if ((v = defn_get(df, "hidden")) && parse_bool(v, &d->hidden))
        return set_err(d, err_key, "poll.err_flag_value", "hidden");
    if ((v = defn_get(df, "reason"))) {
        if (!*v || ascii_casecmp(v, "required") == 0 || strcmp(v, "必填") == 0)
            d->reason_required = 1;
        else if (ascii_casecmp(v, "optional") == 0 || strcmp(v, "选填") == 0 || strcmp(v, "可选") == 0)
            d->reason_required = 0;
        else
            return set_err(d, err_key, "poll.err_flag_value", "reason");
    }
    if ((v = defn_get(df, "closes"))) {
        if (when_parse(v, tz, now, &d->closes_at))
            return set_err(d, err_key, "poll.err_closes", v);
        if (d->closes_at <= now)
            return set_err(d, err_key, "poll.err_closes_past", v);
    }
    int64_t n;
    if ((v = defn_get(df, "min-level"))) {
        if (parse_i64(v, 1, 1000, &n))
            return set_err(d, err_key, "poll.err_flag_value", "min-level");
        d->min_level = (int)n;
    }
    if ((v = defn_get(df, "pool"))) {
        size_t len = strlen(v);
        if (len == 0 || utf8_count(v, len) > POLL_POOL_MAX || strchr(v, '\n'))
            return set_err(d, err_key, "poll.err_flag_value", "pool");
        copy_clip(d->pool, sizeof d->pool, v, len);
    }
    if ((v = defn_get(df, "reward"))) {
        if (parse_points(v, &d->reward))
            return set_err(d, err_key, "poll.err_flag_value", "reward");
    }
    if ((v = defn_get(df, "tag"))) { /* who may vote */
        if (!tag_name_valid(v))
            return set_err(d, err_key, "poll.err_flag_value", "tag");
        copy_clip(d->tag, sizeof d->tag, v, strlen(v));
    }
    if ((v = defn_get(df, "groups"))) { /* where the poll is posted */
        if (ascii_casecmp(v, "all") != 0 && ascii_casecmp(v, "here") != 0)
            return set_err(d, err_key, "poll.err_flag_value", "groups");
        d->all_groups = ascii_casecmp(v, "all") == 0;
    }
    return KB_OK;
}

int poll_definition_parse(const char *text, const char *tz, int64_t now, struct poll_def *d,
                          const char **err_key)
{
    static const char *const allowed[] = {"multi", "anonymous", "hidden", "closes", "reason",
                                          "min-level", "pool", "reward", "options", "groups", "tag", NULL};
    memset(d, 0, sizeof *d);
    d->max_choices = 1;
    *err_key = NULL;
    if (!text)
        text = "";
    if (!utf8_valid(text, strlen(text)))
        return set_err(d, err_key, "poll.err_bad_text", NULL);
    struct defn df;
    char perr[64];
    if (defn_parse(text, &df, perr, sizeof perr))
        return set_err(d, err_key, "poll.err_syntax", perr);
    /* a task's words for the same settings (and what 截止, 人才库, 等级 stand for) */
    static const char *const synonyms[][2] = {{"deadline", "closes"}, {"pools", "pool"}, {"level", "min-level"}};
    for (size_t i = 0; i < df.n; i++)
        for (size_t k = 0; k < sizeof synonyms / sizeof synonyms[0]; k++)
            if (strcmp(df.fields[i].key, synonyms[k][0]) == 0) {
                free(df.fields[i].key);
                df.fields[i].key = xstrdup(synonyms[k][1]);
            }
    int rc = KB_OK;
    const char *bad = defn_unknown(&df, allowed);
    if (bad) {
        rc = set_err(d, err_key, "poll.err_unknown_flag", bad);
        goto out;
    }
    /* head: "Question | a | b" on its first line, further lines are options */
    const char *head = df.head;
    size_t first_len = strcspn(head, "\n");
    size_t qlen = strcspn(head, "|\n");
    size_t len;
    const char *q = command_trim_span(head, qlen, &len);
    if (len == 0) {
        rc = set_err(d, err_key, "poll.err_no_question", NULL);
        goto out;
    }
    if (utf8_count(q, len) > POLL_QUESTION_MAX) {
        rc = set_err(d, err_key, "poll.err_question_long", NULL);
        goto out;
    }
    copy_clip(d->question, sizeof d->question, q, len);
    if (qlen < first_len) {
        char *rest = xstrndup(head + qlen + 1, first_len - qlen - 1);
        rc = add_options(d, rest, 0, err_key);
        free(rest);
    }
    if (!rc && head[first_len])
        rc = add_options(d, head + first_len + 1, 1, err_key);
    const char *opts = defn_get(&df, "options");
    if (!rc && opts)
        rc = add_options(d, opts, 1, err_key);
    if (rc)
        goto out;
    if (d->n_options < POLL_MIN_OPTIONS) {
        rc = set_err(d, err_key, "poll.err_options_count", NULL);
        goto out;
    }
    rc = parse_flags(d, &df, tz, now, err_key);
out:
    defn_free(&df);
    return rc;
}

/* ==== choices =========================================================== */

/* 1 when s starts with option text o (ASCII letters case-insensitively)
   followed by the end or a space. */
static int starts_with_option(const char *s, const char *o)
{
    size_t n = strlen(o);
    if (strnlen(s, n) < n || !same_text(s, o, n))
        return 0;
    uint32_t cp;
    return s[n] == '\0' || (utf8_decode(s + n, strlen(s + n), &cp) && command_is_space(cp));
}

/* An option letter at s: "A".."Z", either case, full-width too ("Ｂ"); its
   index, with *len its bytes, or -1. */
static int option_letter(const char *s, size_t *len)
{
    uint32_t cp;
    size_t n = utf8_decode(s, strlen(s), &cp);
    if (cp >= 0xFF21 && cp <= 0xFF3A)
        cp -= 0xFEE0; /* Ａ..Ｚ */
    else if (cp >= 0xFF41 && cp <= 0xFF5A)
        cp -= 0xFEE0; /* ａ..ｚ */
    if (cp >= 'a' && cp <= 'z')
        cp -= 32;
    if (!n || cp < 'A' || cp > 'Z')
        return -1;
    *len = n;
    return (int)(cp - 'A');
}

/* Options by letter: "A", "b", "A,C", "A、C", "Ｂ", each letter alone as a
   word (tried after the options' own texts, so an option called "A" is
   meant by its text).  KB_OK with *end after it; KB_ENOTFOUND when s is no
   letter word; KB_EINVAL with err_key set when a letter names no option. */
static int letters_choice(const char *s, const struct poll_def *d, unsigned *choices, const char **end,
                          const char **err_key)
{
    unsigned set = 0;
    const char *p = s;
    for (;;) {
        size_t n;
        int i = option_letter(p, &n);
        if (i < 0)
            return KB_ENOTFOUND;
        p += n;
        uint32_t cp = 0;
        size_t k = *p ? utf8_decode(p, strlen(p), &cp) : 0;
        int last = !*p || command_is_space(cp);
        int separated = cp == ',' || cp == 0xFF0C || cp == 0x3001;
        if (!last && !separated)
            return KB_ENOTFOUND; /* a word such as "Alpha" */
        if (i >= d->n_options) {
            *err_key = "poll.err_option_range";
            return KB_EINVAL;
        }
        set |= 1u << i;
        if (last)
            break;
        p += k;
    }
    *choices = set;
    *end = p;
    return KB_OK;
}

int poll_choice_parse(const char *s, const struct poll_def *d, unsigned *choices,
                      const char **reason, const char **err_key)
{
    *choices = 0;
    *err_key = NULL;
    s = command_skip_space(s ? s : "");
    const char *p = s;
    /* numbers: "2", "1,3", "1，3", "1、3" */
    if (*p >= '0' && *p <= '9') {
        unsigned set = 0;
        int ok = 1;
        while (ok) {
            int64_t v = 0;
            int digits = 0;
            while (*p >= '0' && *p <= '9' && digits < 6)
                v = v * 10 + (*p++ - '0'), digits++;
            if (*p >= '0' && *p <= '9')
                v = 1000000; /* absurdly long: out of range */
            while (*p >= '0' && *p <= '9')
                p++;
            if (v < 1 || v > d->n_options) {
                *err_key = "poll.err_option_range";
                return KB_EINVAL;
            }
            set |= 1u << (v - 1);
            if (*p == ',')
                p++;
            else if (strncmp(p, "\xEF\xBC\x8C", 3) == 0 || strncmp(p, "\xE3\x80\x81", 3) == 0)
                p += 3;
            else
                break;
            ok = *p >= '0' && *p <= '9';
        }
        uint32_t cp;
        if (*p == '\0' || (utf8_decode(p, strlen(p), &cp) && command_is_space(cp))) {
            *choices = set;
            goto done;
        }
        p = s; /* "3D render": an option's text after all */
    }
    /* an option's text, "quoted" or not; the longest match wins */
    int best = -1;
    size_t best_len = 0, skip = 0;
    const char *close = *s == '"' ? strchr(s + 1, '"') : NULL;
    for (int i = 0; i < d->n_options; i++) {
        size_t n = strlen(d->options[i]);
        if (close) {
            if ((size_t)(close - s - 1) == n && same_text(s + 1, d->options[i], n))
                best = i, skip = n + 2;
        } else if (n > best_len && starts_with_option(s, d->options[i])) {
            best = i, best_len = n, skip = n;
        }
    }
    if (best < 0) {
        int rc = letters_choice(s, d, choices, &p, err_key);
        if (rc == KB_OK)
            goto done;
        if (!*err_key)
            *err_key = "poll.err_option_unknown";
        return KB_EINVAL;
    }
    *choices = 1u << best;
    p = s + skip;
done:;
    int count = 0;
    for (unsigned b = *choices; b; b &= b - 1)
        count++;
    if (count > d->max_choices) {
        *err_key = "poll.err_too_many";
        return KB_EINVAL;
    }
    *reason = command_skip_space(p);
    return KB_OK;
}

/* ==== the stored poll ==================================================== */

struct poll {
    int64_t id, community_id;
    char platform[32], chat_id[128], thread_id[128];
    int has_thread;
    struct poll_def d;
    int64_t closed_at;     /* 0 = not closed by hand or tick */
    int64_t last_edit_at;
    int edit_pending;
    int64_t created_by;    /* member id: gets no reward for voting in their own poll */
};

static void copy_text(char *dst, size_t cap, const char *s)
{
    copy_clip(dst, cap, s, strlen(s));
}

/* Load poll id of community (community 0 = any).  KB_ENOTFOUND when none. */
static int poll_load(struct engine *e, int64_t id, int64_t community_id, struct poll *p)
{
    memset(p, 0, sizeof *p);
    sqlite3_stmt *s = store_query(
        e->st,
        "SELECT community_id, platform, chat_id, thread_id, question, n_options, max_choices,"
        " anonymous, hidden, reason_required, min_level, pool, reward, coalesce(closes_at, 0),"
        " coalesce(closed_at, 0), last_edit_at, edit_pending, created_by, all_groups FROM polls"
        " WHERE id = ?1 AND (?2 = 0 OR community_id = ?2)",
        VALS(SI(id), SI(community_id)));
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    if (rc == 1) {
        p->id = id;
        p->community_id = store_int(s, 0);
        copy_text(p->platform, sizeof p->platform, store_text(s, 1));
        copy_text(p->chat_id, sizeof p->chat_id, store_text(s, 2));
        p->has_thread = !store_is_null(s, 3);
        copy_text(p->thread_id, sizeof p->thread_id, store_text(s, 3));
        copy_text(p->d.question, sizeof p->d.question, store_text(s, 4));
        p->d.n_options = (int)store_int(s, 5);
        p->d.max_choices = (int)store_int(s, 6);
        p->d.anonymous = (int)store_int(s, 7);
        p->d.hidden = (int)store_int(s, 8);
        p->d.reason_required = (int)store_int(s, 9);
        p->d.min_level = (int)store_int(s, 10);
        copy_text(p->d.pool, sizeof p->d.pool, store_text(s, 11));
        p->d.reward = store_int(s, 12);
        p->d.closes_at = store_int(s, 13);
        p->closed_at = store_int(s, 14);
        p->last_edit_at = store_int(s, 15);
        p->edit_pending = (int)store_int(s, 16);
        p->created_by = store_int(s, 17);
        p->d.all_groups = (int)store_int(s, 18);
        rc = KB_OK;
    } else if (rc == 0) {
        rc = KB_ENOTFOUND;
    }
    store_done(s);
    if (rc)
        return rc;
    s = store_query(e->st, "SELECT n, text FROM poll_options WHERE poll_id = ? ORDER BY n",
                    VALS(SI(id)));
    if (!s)
        return store_failure(e->st);
    while ((rc = store_step(e->st, s)) == 1) {
        int64_t n = store_int(s, 0);
        if (n >= 1 && n <= POLL_MAX_OPTIONS)
            copy_text(p->d.options[n - 1], sizeof p->d.options[0], store_text(s, 1));
    }
    store_done(s);
    if (rc < 0)
        return rc;
    char target[32];
    snprintf(target, sizeof target, "poll:%lld", (long long)id);
    return tag_limit_get(e, target, p->d.tag);
}

/* Closed by hand or tick, or past its deadline at instant t. */
static int poll_is_closed(const struct poll *p, int64_t t)
{
    return p->closed_at != 0 || (p->d.closes_at && t >= p->d.closes_at);
}

/* Per-option counts and the number of voters, from the votes table. */
static int poll_tally(struct engine *e, int64_t poll_id, int64_t counts[POLL_MAX_OPTIONS],
                      int64_t *voters)
{
    memset(counts, 0, POLL_MAX_OPTIONS * sizeof counts[0]);
    *voters = 0;
    sqlite3_stmt *s = store_query(e->st, "SELECT choices FROM poll_votes WHERE poll_id = ?",
                                  VALS(SI(poll_id)));
    if (!s)
        return store_failure(e->st);
    int rc;
    while ((rc = store_step(e->st, s)) == 1) {
        int64_t bits = store_int(s, 0);
        (*voters)++;
        for (int i = 0; i < POLL_MAX_OPTIONS; i++)
            if (bits & ((int64_t)1 << i))
                counts[i]++;
    }
    store_done(s);
    return rc < 0 ? rc : KB_OK;
}

/* ==== rendering ========================================================== */

static void add_info(struct sbuf *b, const char *lang, int *first, const char *key,
                     const struct targ *a, size_t n)
{
    sbuf_add(b, *first ? "\n" : " · ");
    *first = 0;
    text_format(b, lang, key, a, n);
}

/* The poll's settings line ("Multiple choice (up to 2) · Anonymous · …"). */
static void render_info(const struct poll *p, const char *lang, const char *tz, struct sbuf *b)
{
    int first = 1;
    if (p->d.max_choices > 1)
        add_info(b, lang, &first, "poll.info_multi", ARGS(TI("max", p->d.max_choices)));
    if (p->d.anonymous)
        add_info(b, lang, &first, "poll.info_anonymous", NOARGS);
    if (p->d.hidden)
        add_info(b, lang, &first, "poll.info_hidden", NOARGS);
    if (p->d.reason_required)
        add_info(b, lang, &first, "poll.info_reason", NOARGS);
    if (p->d.min_level)
        add_info(b, lang, &first, "poll.info_level", ARGS(TI("level", p->d.min_level)));
    if (p->d.pool[0])
        add_info(b, lang, &first, "poll.info_pool", ARGS(TU("pool", p->d.pool)));
    if (p->d.tag[0])
        add_info(b, lang, &first, "poll.info_tag", ARGS(TU("tag", p->d.tag)));
    if (p->d.reward)
        add_info(b, lang, &first, "poll.info_reward", ARGS(TI("points", p->d.reward)));
    if (p->d.closes_at && !p->closed_at) {
        char when[32];
        when_format(p->d.closes_at, tz, when, sizeof when);
        add_info(b, lang, &first, "poll.info_closes", ARGS(TS("when", when)));
    }
}

/* The poll message: question, options (with live counts unless hidden
   while open), settings, and how to vote (or "closed"). */
static int render_post(struct engine *e, const struct poll *p, const char *lang, const char *tz,
                       int64_t now, struct sbuf *b)
{
    int64_t counts[POLL_MAX_OPTIONS], voters;
    int rc = poll_tally(e, p->id, counts, &voters);
    if (rc)
        return rc;
    int closed = poll_is_closed(p, now);
    int show = closed || !p->d.hidden;
    text_format(b, lang, "poll.post_title", ARGS(TI("id", p->id), TU("question", p->d.question)));
    for (int i = 0; i < p->d.n_options; i++) {
        sbuf_addf(b, "\n%d. ", i + 1);
        text_user(b, p->d.options[i]);
        if (show && voters)
            sbuf_addf(b, " · %lld (%lld%%)", (long long)counts[i], (long long)poll_percent(counts[i], voters));
    }
    sbuf_addc(b, '\n');
    text_format(b, lang, "poll.voters", ARGS(TI("n", voters)));
    render_info(p, lang, tz, b);
    sbuf_addc(b, '\n');
    if (closed)
        text_format(b, lang, "poll.post_closed", NOARGS);
    else
        text_format(b, lang, p->d.max_choices > 1 ? "poll.how_multi" : "poll.how",
                    ARGS(TI("id", p->id), TI("max", p->d.max_choices)));
    return KB_OK;
}

/* One button per option, "/vote <id> <n>". */
static void render_buttons(const struct poll *p, struct sbuf *b)
{
    for (int i = 0; i < p->d.n_options; i++) {
        if (i)
            sbuf_addc(b, '\n');
        sbuf_addf(b, "%d. ", i + 1);
        text_user_block(b, p->d.options[i]);
        sbuf_addf(b, "%c/vote %lld %d", KB_BUTTON_FIELD_SEP, (long long)p->id, i + 1);
    }
}

/* Counts, percentages and bars, the number of voters and (not anonymous)
   who voted what. */
static int render_results(struct engine *e, const struct poll *p, const char *lang, int64_t now,
                          struct sbuf *b)
{
    int64_t counts[POLL_MAX_OPTIONS], voters;
    int rc = poll_tally(e, p->id, counts, &voters);
    if (rc)
        return rc;
    text_format(b, lang, poll_is_closed(p, now) ? "poll.final_title" : "poll.results_title",
                ARGS(TI("id", p->id), TU("question", p->d.question)));
    poll_bars(b, &p->d, counts, voters);
    sbuf_addc(b, '\n');
    text_format(b, lang, "poll.voters", ARGS(TI("n", voters)));
    if (p->d.anonymous || voters == 0)
        return KB_OK;
    sbuf_addc(b, '\n');
    text_format(b, lang, "poll.who_title", NOARGS);
    size_t cap = b->len + POLL_REPLY_CAP;
    for (int i = 0; i < p->d.n_options && !rc; i++) {
        if (!counts[i])
            continue;
        sbuf_addf(b, "\n%d. ", i + 1);
        text_user(b, p->d.options[i]);
        sbuf_add(b, text_get(lang, "poll.layers_colon"));
        sqlite3_stmt *s = store_query(e->st,
                                      "SELECT member_id FROM poll_votes WHERE poll_id = ?"
                                      " AND (choices >> ?) & 1 ORDER BY at, member_id",
                                      VALS(SI(p->id), SI(i)));
        if (!s)
            return store_failure(e->st);
        int64_t shown = 0;
        while ((rc = store_step(e->st, s)) == 1 && b->len < cap) {
            if (shown++)
                sbuf_add(b, ", ");
            member_name(e, store_int(s, 0), b);
        }
        store_done(s);
        rc = rc < 0 ? rc : KB_OK;
        if (shown < counts[i])
            text_format(b, lang, "poll.more", ARGS(TI("n", counts[i] - shown)));
    }
    return rc;
}

/* ==== live edits and closing ============================================= */

/* Queue an edit of each message the poll was posted as (one per group) to
   its current state, unless one was sent less than POLL_EDIT_GAP_S ago or
   no message is known yet: then mark it owed, for the tick. */
static int poll_touch(struct engine *e, const struct poll *p, int64_t now)
{
    char ref[32];
    snprintf(ref, sizeof ref, "poll:%lld", (long long)p->id);
    sqlite3_stmt *s = store_query(e->st, "SELECT platform, chat_id, message_id FROM posted WHERE ref = ?",
                                  VALS(ST(ref)));
    if (!s)
        return store_failure(e->st);
    /* copy the messages first: outbox_add reuses the statement cache */
    struct sbuf msgs = {0};
    size_t count = 0;
    int rc;
    while ((rc = store_step(e->st, s)) == 1) {
        for (int col = 0; col < 3; col++) {
            sbuf_add(&msgs, store_text(s, col));
            sbuf_addc(&msgs, '\0');
        }
        count++;
    }
    store_done(s);
    if (rc >= 0 && (!count || now - p->last_edit_at < POLL_EDIT_GAP_S))
        rc = store_exec(e->st, "UPDATE polls SET edit_pending = 1 WHERE id = ?", VALS(SI(p->id)));
    if (rc < 0 || !count || now - p->last_edit_at < POLL_EDIT_GAP_S) {
        sbuf_free(&msgs);
        return rc < 0 ? rc : KB_OK;
    }
    struct community comm;
    rc = community_load(e, p->community_id, &comm);
    struct sbuf text = {0}, buttons = {0};
    if (!rc)
        rc = render_post(e, p, comm.locale, comm.tz, now, &text);
    if (!poll_is_closed(p, now))
        render_buttons(p, &buttons);
    const char *m = msgs.s;
    for (size_t i = 0; i < count && !rc; i++) {
        const char *platform = m, *chat = platform + strlen(platform) + 1, *msg = chat + strlen(chat) + 1;
        m = msg + strlen(msg) + 1;
        int own = !strcmp(platform, p->platform) && !strcmp(chat, p->chat_id);
        struct kb_reply r = {.kind = KB_REPLY_EDIT, .platform = platform, .chat_id = chat,
                             .thread_id = own && p->has_thread ? p->thread_id : NULL, .text = text.s,
                             .buttons = buttons.s, .edit_message_id = msg};
        rc = outbox_add(e, &r, NULL, now);
    }
    if (!rc)
        rc = store_exec(e->st, "UPDATE polls SET last_edit_at = ?, edit_pending = 0 WHERE id = ?",
                        VALS(SI(now), SI(p->id)));
    sbuf_free(&msgs);
    sbuf_free(&text);
    sbuf_free(&buttons);
    return rc;
}

/* Close p at instant `at` and post the final result in its chat, once. */
static int poll_close(struct engine *e, struct poll *p, int64_t at, int64_t now)
{
    char key[48];
    snprintf(key, sizeof key, "poll-close:%lld", (long long)p->id);
    int first = 0;
    int rc = store_exec(e->st, "UPDATE polls SET closed_at = ? WHERE id = ? AND closed_at IS NULL",
                        VALS(SI(at), SI(p->id)));
    if (!rc)
        rc = once_mark(e, key, now, &first);
    if (!rc) /* a closed poll's votes stand: its reactions undo nothing any more */
        rc = store_exec(e->st, "DELETE FROM poll_reactions WHERE poll_id = ?", VALS(SI(p->id)));
    if (rc || !first)
        return rc;
    p->closed_at = at;
    struct community comm;
    rc = community_load(e, p->community_id, &comm);
    if (rc)
        return rc;
    struct sbuf text = {0};
    rc = render_results(e, p, comm.locale, now, &text);
    if (!rc)
        rc = poll_layers_summary(e, p->id, &p->d, comm.locale, &text);
    struct kb_reply r = {.kind = KB_REPLY_SEND, .platform = p->platform, .chat_id = p->chat_id,
                         .thread_id = p->has_thread ? p->thread_id : NULL, .text = text.s};
    if (!rc && p->d.all_groups)
        rc = community_post(e, p->community_id, text.s, NULL, NULL, now);
    else if (!rc)
        rc = outbox_add(e, &r, NULL, now);
    sbuf_free(&text);
    if (!rc)
        rc = poll_touch(e, p, now);
    return rc;
}

/* ==== replies to the sender ============================================= */

/* A refusal or notice: a toast for a button press, told privately for a
   reaction, else a reply. */
static int say(struct cmd_ctx *c, const char *key, const struct targ *a, size_t n)
{
    return ctx_refuse(c, key, a, n);
}

static int refuse(struct cmd_ctx *c, const char *key, const struct poll *p, int64_t id,
                  const char *what)
{
    return say(c, key,
               ARGS(TI("id", p ? p->id : id), TI("max", p ? p->d.max_choices : 0),
                    TI("n", p ? p->d.n_options : 0), TI("level", p ? p->d.min_level : 0),
                    TU("pool", p ? p->d.pool : ""), TU("what", what ? what : ""),
                    TU("tag", p ? p->d.tag : ""),
                    TI("limit", POLL_REASON_MAX)));
}

/* "#3" or "3" -> 3; 0 when not an id. */
static int64_t parse_id(const char *w)
{
    int64_t id = 0;
    if (!w)
        return 0;
    if (*w == '#')
        w++;
    return parse_i64(w, 1, INT64_MAX / 2, &id) ? 0 : id;
}

/* Next word of *rest parsed as a poll id; loads it or replies why not.
   *p->id == 0 on a refusal that was already sent. */
static int load_arg(struct cmd_ctx *c, const char **rest, const char *usage_key, struct poll *p)
{
    p->id = 0;
    char *w = command_next_word(rest);
    int64_t id = parse_id(w);
    free(w);
    if (!id)
        return say(c, usage_key, NOARGS);
    int rc = poll_load(c->e, id, c->comm.id, p);
    if (rc == KB_ENOTFOUND) {
        p->id = 0;
        return refuse(c, "poll.err_unknown", NULL, id, NULL);
    }
    return rc;
}

/* ==== eligibility ======================================================== */

/* An eligibility rule: sets *refusal to a catalogue key when the member may
   not vote.  New rules (talent tiers, …) are one function and one line. */
typedef int (*poll_rule_fn)(struct cmd_ctx *c, const struct poll *p, const char **refusal);

static int rule_level(struct cmd_ctx *c, const struct poll *p, const char **refusal)
{
    if (!p->d.min_level)
        return KB_OK;
    int level = 0;
    int rc = standing_level(c->e, c->member_id, &level);
    if (!rc && level < p->d.min_level)
        *refusal = "poll.err_level";
    return rc;
}

static int rule_pool(struct cmd_ctx *c, const struct poll *p, const char **refusal)
{
    if (!p->d.pool[0])
        return KB_OK;
    int yes = 0;
    int rc = standing_in_pool(c->e, c->member_id, p->d.pool, &yes);
    if (!rc && !yes)
        *refusal = "poll.err_pool";
    return rc;
}

static int rule_tag(struct cmd_ctx *c, const struct poll *p, const char **refusal)
{
    int yes = 1;
    int rc = p->d.tag[0] ? tag_has(c->e, c->member_id, p->d.tag, &yes) : KB_OK;
    if (!rc && !yes)
        *refusal = "poll.err_tag";
    return rc;
}

static const poll_rule_fn poll_rules[] = {rule_level, rule_pool, rule_tag};

static int poll_eligible(struct cmd_ctx *c, const struct poll *p, const char **refusal)
{
    *refusal = NULL;
    int rc = KB_OK;
    for (size_t i = 0; i < KB_COUNT(poll_rules) && !rc && !*refusal; i++)
        rc = poll_rules[i](c, p, refusal);
    return rc;
}

/* ==== /vote ============================================================== */

/* The chosen options' texts, escaped, joined by ", ". */
static void choice_names(const struct poll *p, unsigned choices, struct sbuf *b)
{
    int first = 1;
    for (int i = 0; i < p->d.n_options; i++) {
        if (!(choices & (1u << i)))
            continue;
        if (!first)
            sbuf_add(b, ", ");
        first = 0;
        text_user(b, p->d.options[i]);
    }
}

/* Show one poll with its buttons as a reply (/vote with no option). */
static int show_poll(struct cmd_ctx *c, const struct poll *p)
{
    struct sbuf text = {0}, buttons = {0};
    int rc = render_post(c->e, p, c->lang, c->comm.tz, c->now, &text);
    if (!poll_is_closed(p, c->now))
        render_buttons(p, &buttons);
    struct kb_reply r = {.kind = KB_REPLY_SEND, .platform = c->ev->platform,
                         .chat_id = c->ev->chat_id, .thread_id = c->ev->thread_id,
                         .reply_to = c->ev->kind == KB_EV_MESSAGE ? c->ev->message_id : NULL,
                         .text = text.s, .buttons = buttons.s};
    if (!rc)
        rc = outbox_add(c->e, &r, NULL, c->now);
    sbuf_free(&text);
    sbuf_free(&buttons);
    return rc;
}

/* The open polls of the community, one line each. */
static int list_open(struct cmd_ctx *c, struct sbuf *b, int64_t *n)
{
    *n = 0;
    sqlite3_stmt *s = store_query(
        c->st,
        "SELECT id, question, coalesce(closes_at, 0),"
        " (SELECT count(*) FROM poll_votes v WHERE v.poll_id = polls.id) FROM polls"
        " WHERE community_id = ? AND closed_at IS NULL AND (closes_at IS NULL OR closes_at > ?)"
        " ORDER BY id",
        VALS(SI(c->comm.id), SI(c->now)));
    if (!s)
        return store_failure(c->st);
    int rc;
    text_format(b, c->lang, "poll.list_title", NOARGS);
    while ((rc = store_step(c->st, s)) == 1) {
        (*n)++;
        if (b->len > POLL_REPLY_CAP)
            continue;
        sbuf_addc(b, '\n');
        text_format(b, c->lang, "poll.list_line",
                    ARGS(TI("id", store_int(s, 0)), TU("question", store_text(s, 1)),
                         TI("n", store_int(s, 3))));
        if (store_int(s, 2)) {
            char when[32];
            when_format(store_int(s, 2), c->comm.tz, when, sizeof when);
            text_format(b, c->lang, "poll.list_closes", ARGS(TS("when", when)));
        }
    }
    store_done(s);
    return rc < 0 ? rc : KB_OK;
}

static int cmd_polls(struct cmd_ctx *c)
{
    struct sbuf b = {0};
    int64_t n;
    int rc = list_open(c, &b, &n);
    if (!rc)
        rc = n ? ctx_reply_markup(c, b.s, 0) : say(c, "poll.none_open", NOARGS);
    sbuf_free(&b);
    return rc;
}

/* /vote with no argument: the chat's only open poll, or the list. */
static int vote_show_open(struct cmd_ctx *c)
{
    int64_t id = 0, n = 0;
    int rc = store_i64(c->st, &n,
                       "SELECT count(*) FROM polls WHERE community_id = ? AND closed_at IS NULL"
                       " AND (closes_at IS NULL OR closes_at > ?) AND platform = ? AND chat_id = ?",
                       VALS(SI(c->comm.id), SI(c->now), ST(c->ev->platform), ST(c->ev->chat_id)));
    if (!rc && n == 1)
        rc = store_i64(c->st, &id,
                       "SELECT id FROM polls WHERE community_id = ? AND closed_at IS NULL"
                       " AND (closes_at IS NULL OR closes_at > ?) AND platform = ? AND chat_id = ?",
                       VALS(SI(c->comm.id), SI(c->now), ST(c->ev->platform), ST(c->ev->chat_id)));
    if (rc)
        return rc;
    if (n != 1) {
        struct sbuf b = {0};
        int64_t open = 0;
        rc = list_open(c, &b, &open);
        if (!rc && open) {
            sbuf_addc(&b, '\n');
            text_format(&b, c->lang, "poll.vote_usage", NOARGS);
            rc = ctx_reply_markup(c, b.s, 0);
        } else if (!rc) {
            rc = say(c, "poll.none_open", NOARGS);
        }
        sbuf_free(&b);
        return rc;
    }
    struct poll p;
    rc = poll_load(c->e, id, c->comm.id, &p);
    return rc ? rc : show_poll(c, &p);
}

/* Pay the vote reward once per voter and poll; *paid = points added now. */
static int pay_reward(struct cmd_ctx *c, const struct poll *p, int64_t *paid)
{
    *paid = 0;
    if (p->d.reward <= 0 || (p->created_by == c->member_id && !ctx_is_owner(c)))
        return KB_OK; /* nobody rewards themselves */
    char ref[32];
    snprintf(ref, sizeof ref, "poll:%lld", (long long)p->id);
    struct ledger_entry le = {.community_id = c->comm.id, .member_id = c->member_id,
                              .kind = "points", .amount = p->d.reward, .reason = "poll",
                              .ref = ref, .at = c->at};
    int added = 0;
    int rc = ledger_add(c->e, &le, &added);
    if (!rc && added) {
        *paid = p->d.reward;
        rc = standing_changed(c->e, c->comm.id, c->member_id, c->now);
    }
    return rc;
}

static int cmd_vote(struct cmd_ctx *c)
{
    if (!*c->args)
        return vote_show_open(c);
    const char *rest = c->args;
    struct poll p;
    int rc = load_arg(c, &rest, "poll.vote_usage", &p);
    if (rc || !p.id)
        return rc;
    if (!*command_skip_space(rest))
        return show_poll(c, &p);
    if (poll_is_closed(&p, c->at))
        return refuse(c, "poll.err_closed", &p, 0, NULL);
    const char *why = NULL;
    rc = poll_eligible(c, &p, &why);
    if (rc || why)
        return rc ? rc : refuse(c, why, &p, 0, NULL);
    unsigned choices;
    const char *reason;
    if (poll_choice_parse(rest, &p.d, &choices, &reason, &why)) {
        char *w = command_next_word(&rest);
        rc = refuse(c, why, &p, 0, w);
        free(w);
        return rc;
    }
    size_t rlen = strlen(reason);
    if (utf8_count(reason, rlen) > POLL_REASON_MAX)
        return refuse(c, "poll.err_reason_long", &p, 0, NULL);
    int64_t old = 0;
    rc = store_i64(c->st, &old,
                   "SELECT choices + (CASE WHEN reason <> '' THEN 1024 ELSE 0 END) FROM poll_votes"
                   " WHERE poll_id = ? AND member_id = ?",
                   VALS(SI(p.id), SI(c->member_id)));
    if (rc && rc != KB_ENOTFOUND)
        return rc;
    int had_vote = rc == KB_OK, had_reason = had_vote && (old & 1024);
    if (p.d.reason_required && rlen == 0 && !had_reason)
        return refuse(c, c->ev->kind == KB_EV_CALLBACK ? "poll.err_reason_button" : "poll.err_reason_required",
                      &p, 0, NULL);
    /* a vote without a reason keeps the reason given before */
    rc = store_exec(c->st,
                    "INSERT INTO poll_votes(poll_id, member_id, choices, reason, at) VALUES (?1, ?2, ?3, ?4, ?5)"
                    " ON CONFLICT(poll_id, member_id) DO UPDATE SET choices = excluded.choices,"
                    "  reason = CASE WHEN excluded.reason <> '' THEN excluded.reason ELSE reason END,"
                    "  at = excluded.at",
                    VALS(SI(p.id), SI(c->member_id), SI(choices), ST(reason), SI(c->at)));
    if (!rc && c->ev->kind == KB_EV_CALLBACK && c->ev->reaction && c->ev->callback_id)
        rc = store_exec(c->st, /* what its removal takes back, even after a restart */
                        "INSERT OR REPLACE INTO poll_reactions(platform, chat_id, reaction_id, user_id,"
                        " poll_id, member_id, choices) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        VALS(ST(c->ev->platform), ST(c->ev->chat_id), ST(c->ev->callback_id),
                             ST(c->ev->user_id), SI(p.id), SI(c->member_id), SI(choices)));
    int64_t paid = 0;
    if (!rc)
        rc = pay_reward(c, &p, &paid);
    if (!rc && !p.d.hidden)
        rc = poll_touch(c->e, &p, c->now);
    if (rc)
        return rc;
    struct sbuf who = {0}, what = {0}, extra = {0}, b = {0};
    member_name(c->e, c->member_id, &who);
    choice_names(&p, choices, &what);
    if (paid)
        text_format(&extra, c->lang, "poll.reward_note", ARGS(TI("points", paid)));
    int toast = c->ev->kind == KB_EV_CALLBACK;
    const char *key = toast ? "poll.voted_toast"
                      : p.d.anonymous ? (had_vote ? "poll.changed_anon" : "poll.voted_anon")
                      : had_vote ? "poll.changed" : "poll.voted";
    text_format(toast ? &c->toast : &b, c->lang, key,
                ARGS(TS("name", who.s), TI("id", p.id), TS("choice", what.s), TS("extra", sbuf_str(&extra))));
    if (!toast)
        rc = ctx_reply_markup(c, b.s, 1);
    sbuf_free(&who);
    sbuf_free(&what);
    sbuf_free(&extra);
    sbuf_free(&b);
    return rc;
}

/* Take the options drop out of member's vote on the open poll p; *left =
   the options still chosen.  KB_ENOTFOUND when the vote had none of them. */
static int vote_drop(struct engine *e, const struct poll *p, int64_t member, unsigned drop,
                     int64_t now, int64_t *left)
{
    int64_t had = 0;
    int rc = store_i64(e->st, &had, "SELECT choices FROM poll_votes WHERE poll_id = ? AND member_id = ?",
                       VALS(SI(p->id), SI(member)));
    if (rc == KB_OK && (had & (int64_t)drop) == 0)
        rc = KB_ENOTFOUND;
    if (rc)
        return rc;
    *left = had & ~(int64_t)drop;
    rc = *left ? store_exec(e->st, "UPDATE poll_votes SET choices = ? WHERE poll_id = ? AND member_id = ?",
                            VALS(SI(*left), SI(p->id), SI(member)))
               : store_exec(e->st, "DELETE FROM poll_votes WHERE poll_id = ? AND member_id = ?",
                            VALS(SI(p->id), SI(member)));
    if (!rc && !p->d.hidden)
        rc = poll_touch(e, p, now);
    return rc;
}

/* /unvote <id> [option]: withdraw the vote, or only one option of it (a
   removed reaction on platforms that vote by reactions).  A reward already
   paid stays: the ledger is append-only. */
static int cmd_unvote(struct cmd_ctx *c)
{
    const char *rest = c->args;
    struct poll p;
    int rc = load_arg(c, &rest, "poll.unvote_usage", &p);
    if (rc || !p.id)
        return rc;
    if (poll_is_closed(&p, c->at))
        return refuse(c, "poll.err_closed", &p, 0, NULL);
    unsigned drop = ~0u;
    const char *why = NULL, *reason;
    if (*command_skip_space(rest) && poll_choice_parse(rest, &p.d, &drop, &reason, &why)) {
        char *w = command_next_word(&rest);
        rc = refuse(c, why, &p, 0, w);
        free(w);
        return rc;
    }
    int64_t left = 0;
    rc = vote_drop(c->e, &p, c->member_id, drop, c->now, &left);
    if (rc == KB_ENOTFOUND)
        return refuse(c, "poll.err_no_vote", &p, 0, NULL);
    if (rc)
        return rc;
    struct sbuf who = {0};
    member_name(c->e, c->member_id, &who);
    rc = say(c, left ? "poll.unvoted_part" : "poll.unvoted", ARGS(TS("name", who.s), TI("id", p.id)));
    sbuf_free(&who);
    return rc;
}

/* A reply to the poll message: the text becomes the reason of the member's
   vote. */
static int poll_on_reply(struct cmd_ctx *c, const char *ref)
{
    if (strncmp(ref, "poll:", 5) != 0)
        return KB_OK;
    int64_t id = parse_id(ref + 5);
    struct poll p;
    int rc = id ? poll_load(c->e, id, c->comm.id, &p) : KB_ENOTFOUND;
    if (rc == KB_ENOTFOUND)
        return KB_OK;
    if (rc)
        return rc;
    if (poll_is_closed(&p, c->at))
        return KB_OK; /* after the close, replies are talk about the result */
    size_t len;
    const char *text = command_trim_span(c->args, strlen(c->args), &len);
    if (len == 0)
        return KB_OK;
    if (utf8_count(text, len) > POLL_REASON_MAX)
        return refuse(c, "poll.err_reason_long", &p, 0, NULL);
    char *reason = xstrndup(text, len);
    rc = store_exec(c->st, "UPDATE poll_votes SET reason = ? WHERE poll_id = ? AND member_id = ?",
                    VALS(ST(reason), SI(p.id), SI(c->member_id)));
    free(reason);
    if (rc)
        return rc;
    if (store_changes(c->st) == 0)
        return refuse(c, "poll.err_vote_first", &p, 0, NULL);
    struct sbuf who = {0}, b = {0};
    member_name(c->e, c->member_id, &who);
    text_format(&b, c->lang, "poll.reason_saved", ARGS(TS("name", who.s), TI("id", p.id)));
    rc = ctx_reply_markup(c, b.s, 1);
    sbuf_free(&who);
    sbuf_free(&b);
    return rc;
}

/* A vote reaction taken back by its sender: the options it chose leave
   their vote (a vote changed since keeps what it chose since).  Unknown or
   already removed reactions, and a poll closed meanwhile, change nothing. */
static int poll_reaction_removed(struct engine *e, const struct kb_event *ev, int64_t now)
{
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT r.poll_id, p.community_id, r.member_id, r.choices FROM poll_reactions r"
                                  " JOIN polls p ON p.id = r.poll_id WHERE r.platform = ? AND r.chat_id = ?"
                                  " AND r.reaction_id = ? AND r.user_id = ?",
                                  VALS(ST(ev->platform), ST(ev->chat_id), ST(ev->callback_id), ST(ev->user_id)));
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    int64_t id = rc == 1 ? store_int(s, 0) : 0, community = rc == 1 ? store_int(s, 1) : 0;
    int64_t member = rc == 1 ? store_int(s, 2) : 0, choices = rc == 1 ? store_int(s, 3) : 0;
    store_done(s);
    if (rc != 1)
        return rc < 0 ? rc : KB_OK;
    rc = store_exec(e->st, "DELETE FROM poll_reactions WHERE platform = ? AND chat_id = ? AND reaction_id = ?",
                    VALS(ST(ev->platform), ST(ev->chat_id), ST(ev->callback_id)));
    struct poll p;
    if (!rc)
        rc = poll_load(e, id, community, &p);
    int64_t at = ev->time > 0 && ev->time <= now + 300 ? ev->time : now, left = 0;
    if (rc || poll_is_closed(&p, at))
        return rc;
    rc = vote_drop(e, &p, member, (unsigned)choices, now, &left);
    return rc == KB_ENOTFOUND ? KB_OK : rc;
}

/* ==== /poll (operators) =================================================== */

static int poll_new(struct cmd_ctx *c)
{
    const char *def_text = c->args;
    if (c->ev->chat_type == KB_CHAT_PRIVATE)
        return ctx_reply(c, "engine.group_only", NOARGS);
    struct poll p;
    memset(&p, 0, sizeof p);
    const char *err_key = NULL;
    if (poll_definition_parse(def_text, c->comm.tz, c->now, &p.d, &err_key))
        return ctx_reply(c, err_key,
                         ARGS(TU("what", p.d.err_detail), TI("min", POLL_MIN_OPTIONS),
                              TI("max", POLL_MAX_OPTIONS), TI("qmax", POLL_QUESTION_MAX),
                              TI("omax", POLL_OPTION_MAX)));
    if (p.d.reward && !c->is_operator)
        return ctx_reply(c, "poll.err_reward_operator", NOARGS);
    struct sbuf why = {0};
    int rc = standing_audience_check(c->e, c->comm.id, p.d.min_level, p.d.pool, c->lang, &why);
    int nobody = rc == KB_EINVAL; /* nobody could vote */
    if (nobody)
        rc = ctx_reply_markup(c, why.s, 0);
    sbuf_free(&why);
    if (rc || nobody)
        return rc;
    sqlite3_stmt *s = store_query(
        c->st,
        "INSERT INTO polls(community_id, platform, chat_id, thread_id, question, n_options,"
        " max_choices, anonymous, hidden, reason_required, min_level, pool, reward, closes_at,"
        " created_by, created_at, all_groups) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " RETURNING id",
        VALS(SI(c->comm.id), ST(c->ev->platform), ST(c->ev->chat_id), ST(c->ev->thread_id),
             ST(p.d.question), SI(p.d.n_options), SI(p.d.max_choices), SI(p.d.anonymous),
             SI(p.d.hidden), SI(p.d.reason_required), SI(p.d.min_level), ST(p.d.pool),
             SI(p.d.reward), p.d.closes_at ? SI(p.d.closes_at) : SN, SI(c->member_id), SI(c->now),
             SI(p.d.all_groups)));
    if (!s)
        return store_failure(c->st);
    rc = store_step(c->st, s);
    if (rc == 1)
        p.id = store_int(s, 0);
    if (rc == 1)
        rc = store_step(c->st, s);
    store_done(s);
    if (rc < 0 || !p.id)
        return rc < 0 ? rc : KB_ESTORE;
    for (int i = 0; i < p.d.n_options && !rc; i++)
        rc = store_exec(c->st, "INSERT INTO poll_options(poll_id, n, text) VALUES (?, ?, ?)",
                        VALS(SI(p.id), SI(i + 1), ST(p.d.options[i])));
    char ref[32];
    snprintf(ref, sizeof ref, "poll:%lld", (long long)p.id);
    int64_t tagged = 1;
    if (!rc && p.d.tag[0])
        rc = tag_limit_set(c->e, c->comm.id, ref, p.d.tag);
    if (!rc && p.d.tag[0])
        rc = tag_count(c->e, c->comm.id, p.d.tag, &tagged);
    if (!rc && !tagged) /* a quiz may hand the tag out later */
        rc = ctx_reply(c, "tag.limit_nobody", ARGS(TU("tag", p.d.tag)));
    if (rc)
        return rc;
    p.community_id = c->comm.id;
    struct sbuf text = {0}, buttons = {0};
    rc = render_post(c->e, &p, c->lang, c->comm.tz, c->now, &text);
    render_buttons(&p, &buttons);
    if (!rc && p.d.all_groups) /* each group's message is kept under the ref */
        rc = community_post(c->e, c->comm.id, text.s, buttons.s, ref, c->now);
    else if (!rc)
        rc = ctx_post(c, text.s, buttons.s, ref);
    if (!rc)
        rc = audit_add(c, "poll.new", ref, p.d.question);
    sbuf_free(&text);
    sbuf_free(&buttons);
    return rc;
}

static int poll_close_cmd(struct cmd_ctx *c)
{
    const char *rest = c->args;
    struct poll p;
    int rc = load_arg(c, &rest, "poll.usage", &p);
    if (rc || !p.id)
        return rc;
    if (p.closed_at)
        return refuse(c, "poll.err_closed", &p, 0, NULL);
    /* past its deadline but not yet ticked: it closed at the deadline */
    int64_t at = p.d.closes_at && p.d.closes_at <= c->now ? p.d.closes_at : c->now;
    char ref[32];
    snprintf(ref, sizeof ref, "poll:%lld", (long long)p.id);
    rc = poll_close(c->e, &p, at, c->now);
    if (!rc)
        rc = audit_add(c, "poll.close", ref, NULL);
    /* the result post is the answer in the poll's own chat */
    int same_chat = strcmp(p.platform, c->ev->platform) == 0 && strcmp(p.chat_id, c->ev->chat_id) == 0;
    if (!rc && !same_chat)
        rc = ctx_reply(c, "poll.closed_ok", ARGS(TI("id", p.id)));
    return rc;
}

/* "--by level|pool" after the poll id: *by_given 0 when absent; KB_EINVAL
   when malformed. */
static int parse_by(const char *rest, int *by_given, enum poll_layer_by *by)
{
    *by_given = 0;
    char *flag = command_next_word(&rest), *value = flag ? command_next_word(&rest) : NULL;
    char *extra = value ? command_next_word(&rest) : NULL;
    int rc = KB_OK;
    if (flag && (strcmp(flag, "--by") || extra || poll_layer_by_parse(command_keyword(value), by)))
        rc = KB_EINVAL;
    else
        *by_given = flag != NULL;
    free(flag);
    free(value);
    free(extra);
    return rc;
}

static int poll_results_cmd(struct cmd_ctx *c)
{
    const char *rest = c->args;
    struct poll p;
    int rc = load_arg(c, &rest, "poll.usage", &p);
    if (rc || !p.id)
        return rc;
    int by_given;
    enum poll_layer_by by;
    if (parse_by(rest, &by_given, &by))
        return ctx_reply(c, "poll.by_usage", NOARGS);
    struct sbuf b = {0};
    if (by_given)
        rc = poll_layers_results(c->e, p.id, &p.d, by, c->lang, &b);
    else
        rc = render_results(c->e, &p, c->lang, c->now, &b);
    if (!rc)
        rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    return rc;
}

static int poll_reasons_cmd(struct cmd_ctx *c)
{
    const char *rest = c->args;
    struct poll p;
    int rc = load_arg(c, &rest, "poll.usage", &p);
    if (rc || !p.id)
        return rc;
    int by_given;
    enum poll_layer_by by;
    if (parse_by(rest, &by_given, &by))
        return ctx_reply(c, "poll.by_usage", NOARGS);
    struct sbuf b = {0};
    if (by_given) {
        rc = poll_layers_reasons(c->e, p.id, &p.d, by, c->lang, &b);
        if (!rc)
            rc = ctx_reply_markup(c, b.s, 0);
        sbuf_free(&b);
        return rc;
    }
    text_format(&b, c->lang, "poll.reasons_title", ARGS(TI("id", p.id), TU("question", p.d.question)));
    int64_t total = 0, shown = 0;
    for (int i = 0; i < p.d.n_options && !rc; i++) {
        sbuf_addf(&b, "\n<b>%d. ", i + 1);
        text_user(&b, p.d.options[i]);
        sbuf_add(&b, "</b>");
        sqlite3_stmt *s = store_query(c->st,
                                      "SELECT member_id, reason FROM poll_votes WHERE poll_id = ?"
                                      " AND (choices >> ?) & 1 AND reason <> '' ORDER BY at, member_id",
                                      VALS(SI(p.id), SI(i)));
        if (!s) {
            sbuf_free(&b);
            return store_failure(c->st);
        }
        int any = 0;
        while ((rc = store_step(c->st, s)) == 1) {
            any = 1;
            total++;
            if (b.len > POLL_REPLY_CAP)
                continue;
            shown++;
            sbuf_add(&b, "\n• ");
            if (!p.d.anonymous) {
                member_name(c->e, store_int(s, 0), &b);
                sbuf_add(&b, ": ");
            }
            text_user_block(&b, store_text(s, 1));
        }
        store_done(s);
        rc = rc < 0 ? rc : KB_OK;
        if (!any) {
            sbuf_add(&b, "\n");
            text_format(&b, c->lang, "poll.reasons_none", NOARGS);
        }
    }
    if (!rc && shown < total) {
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "poll.truncated", ARGS(TI("shown", shown), TI("total", total)));
    }
    if (!rc)
        rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    return rc;
}

static int poll_export_cmd(struct cmd_ctx *c)
{
    const char *rest = c->args;
    struct poll p;
    int rc = load_arg(c, &rest, "poll.usage", &p);
    if (rc || !p.id)
        return rc;
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT v.choices, m.name, v.reason, v.at FROM poll_votes v"
                                  " JOIN members m ON m.id = v.member_id WHERE v.poll_id = ?"
                                  " ORDER BY v.at, v.member_id",
                                  VALS(SI(p.id)));
    if (!s)
        return store_failure(c->st);
    struct sbuf csv = {0}, row = {0};
    static const char *const header[] = {"option", "voter", "reason", "time"};
    csv_row(&csv, header, 4);
    int64_t rows = 0, shown = 0;
    while ((rc = store_step(c->st, s)) == 1) {
        int64_t bits = store_int(s, 0);
        char when[32];
        when_format(store_int(s, 3), c->comm.tz, when, sizeof when);
        for (int i = 0; i < p.d.n_options; i++) {
            if (!(bits & ((int64_t)1 << i)))
                continue;
            rows++;
            row.len = 0;
            const char *fields[] = {p.d.options[i], p.d.anonymous ? "" : store_text(s, 1), store_text(s, 2),
                                    when};
            csv_row(&row, fields, 4);
            if (csv.len + row.len > POLL_REPLY_CAP)
                continue;
            sbuf_add(&csv, row.s);
            shown++;
        }
    }
    store_done(s);
    struct sbuf b = {0};
    if (rc >= 0) {
        csv.s[--csv.len] = '\0'; /* the last line feed: the block ends there */
        text_format(&b, c->lang, "poll.export_title", ARGS(TI("id", p.id), TI("rows", rows)));
        sbuf_add(&b, "\n<code>");
        text_user_block(&b, csv.s);
        sbuf_add(&b, "</code>");
        if (shown < rows) {
            sbuf_addc(&b, '\n');
            text_format(&b, c->lang, "poll.truncated", ARGS(TI("shown", shown), TI("total", rows)));
        }
        rc = ctx_reply_markup(c, b.s, 0);
    }
    if (!rc) {
        char ref[32];
        snprintf(ref, sizeof ref, "poll:%lld", (long long)p.id);
        rc = audit_add(c, "poll.export", ref, NULL);
    }
    sbuf_free(&b);
    sbuf_free(&csv);
    sbuf_free(&row);
    return rc;
}

/* /poll alone or with an unknown subcommand: the usage (the subcommands
   are the table below, dispatched by the engine). */
static int cmd_poll(struct cmd_ctx *c)
{
    return ctx_reply(c, "poll.usage", NOARGS);
}

/* ==== scheduled work ====================================================== */

/* Polls whose live edit is owed and whose message is known ("+ 5" is
   POLL_EDIT_GAP_S: SQL texts must be literals). */
#define POLL_EDIT_DUE_SQL                                                                  \
    "SELECT p.id, p.last_edit_at + 5 AS due FROM polls p WHERE p.edit_pending = 1 AND EXISTS"     \
    " (SELECT 1 FROM posted d WHERE d.ref = 'poll:' || p.id)"

static int collect_ids(struct engine *e, sqlite3_stmt *s, int64_t **ids, size_t *n)
{
    size_t cap = 0;
    int rc;
    if (!s)
        return store_failure(e->st);
    while ((rc = store_step(e->st, s)) == 1) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *ids = xrealloc(*ids, cap * sizeof **ids);
        }
        (*ids)[(*n)++] = store_int(s, 0);
    }
    store_done(s);
    return rc < 0 ? rc : KB_OK;
}

static int poll_tick(struct engine *e, int64_t now)
{
    int64_t *ids = NULL;
    size_t n = 0;
    int rc = collect_ids(e, store_query(e->st,
                                        "SELECT id FROM polls WHERE closed_at IS NULL AND closes_at <= ?"
                                        " ORDER BY closes_at, id LIMIT 100",
                                        VALS(SI(now))),
                         &ids, &n);
    for (size_t i = 0; i < n && !rc; i++) {
        struct poll p;
        rc = poll_load(e, ids[i], 0, &p);
        if (!rc)
            rc = poll_close(e, &p, p.d.closes_at, now);
    }
    size_t closed = n;
    if (!rc)
        rc = collect_ids(e, store_query(e->st, POLL_EDIT_DUE_SQL " AND p.last_edit_at + 5 <= ? LIMIT 100",
                                        VALS(SI(now))),
                         &ids, &n);
    for (size_t i = closed; i < n && !rc; i++) {
        struct poll p;
        rc = poll_load(e, ids[i], 0, &p);
        if (!rc)
            rc = poll_touch(e, &p, now);
    }
    free(ids);
    return rc;
}

static int64_t poll_next_due(struct engine *e, int64_t now)
{
    (void)now;
    int64_t a = -1, b = -1;
    if (store_i64(e->st, &a, "SELECT min(closes_at) FROM polls WHERE closed_at IS NULL", NOVALS))
        a = -1;
    if (store_i64(e->st, &b, "SELECT min(due) FROM (" POLL_EDIT_DUE_SQL ")", NOVALS))
        b = -1;
    if (a < 0)
        return b;
    return b < 0 || a < b ? a : b;
}

/* ==== insightful reasons ================================================== */

/* /insight <poll> @member: the member's reason on the poll was worth
   reading; the configured bonus is paid once per poll and member (the
   ledger is unique on reason and ref), and the group hears why. */
static int cmd_insight(struct cmd_ctx *c)
{
    const char *rest = c->args;
    struct poll p;
    int rc = load_arg(c, &rest, "poll.insight_usage", &p);
    if (rc || !p.id)
        return rc;
    char *who = who_next_target(c, &rest);
    int64_t member = 0;
    rc = who_resolve(c, who, &member);
    free(who);
    if (rc == KB_ENOTFOUND)
        return KB_OK; /* who_resolve said why */
    if (rc)
        return rc;
    int64_t bonus = c->e->set.poll_insight_bonus;
    if (bonus <= 0)
        return ctx_reply(c, "poll.insight_off", NOARGS);
    if (member == c->member_id && !ctx_is_owner(c))
        return ctx_reply(c, "grant.self", NOARGS);
    sqlite3_stmt *s = store_query(c->st, "SELECT reason FROM poll_votes WHERE poll_id = ? AND member_id = ?",
                                  VALS(SI(p.id), SI(member)));
    if (!s)
        return store_failure(c->st);
    struct sbuf reason = {0}, name = {0};
    int found = store_step(c->st, s);
    if (found == 1)
        sbuf_add(&reason, store_text(s, 0));
    store_done(s);
    member_label(c->e, member, &name);
    char ref[32];
    snprintf(ref, sizeof ref, "poll:%lld", (long long)p.id);
    int added = 0;
    if (found < 0) {
        rc = found;
    } else if (found == 0 || !reason.len) {
        rc = ctx_reply(c, found ? "poll.insight_no_reason" : "poll.insight_no_vote",
                       ARGS(TS("name", name.s), TI("id", p.id)));
    } else {
        struct ledger_entry le = {.community_id = c->comm.id, .member_id = member, .kind = "points",
                                  .amount = bonus, .reason = "insight", .ref = ref,
                                  .granted_by = c->member_id, .at = c->now};
        rc = ledger_add(c->e, &le, &added);
        if (!rc && !added)
            rc = ctx_reply(c, "poll.insight_already", ARGS(TS("name", name.s), TI("id", p.id)));
    }
    if (!rc && added)
        rc = standing_changed(c->e, c->comm.id, member, c->now);
    if (!rc && added)
        rc = audit_add(c, "poll.insight", ref, name.s);
    if (!rc && added)
        rc = ctx_reply(c, "poll.insight_done", ARGS(TS("name", name.s), TI("id", p.id), TI("points", bonus),
                                                    TU("reason", reason.s)));
    sbuf_free(&reason);
    sbuf_free(&name);
    return rc;
}

/* ==== the module ========================================================== */

static const struct cmd_spec commands[] = {
    {"vote", cmd_vote, 0, "poll.help_vote", "投票"},
    {"unvote", cmd_unvote, 0, "poll.help_unvote", "撤票"},
    {"polls", cmd_polls, 0, "poll.help_polls", "投票列表"},
    {"poll", cmd_poll, CMD_OPERATOR, "poll.help_poll", NULL},
    {"insight", cmd_insight, CMD_LEDGER, "poll.help_insight", NULL},
};

static const struct cmd_sub subs[] = {
    {"poll", "new", poll_new, 0, 0, -1},
    {"poll", "close", poll_close_cmd, 0, 1, -1},
    {"poll", "results", poll_results_cmd, 0, 1, -1},
    {"poll", "reasons", poll_reasons_cmd, 0, 1, -1},
    {"poll", "export", poll_export_cmd, 0, 1, -1},
};

static const struct text_entry texts[] = {
    {"poll.help_insight", "/insight 投票编号 @成员 — 把该成员的投票理由评为精选，奖励积分（每人每个投票一次）",
     "/insight poll-id @member — mark the member's reason as insightful: bonus points, once per poll"},
    {"ledger.reason.insight", "精选理由", "insightful reasons"},
    {"poll.insight_usage", "用法：/insight 投票编号 @成员，例如 /insight 3 @alice",
     "Usage: /insight poll-id @member, e.g. /insight 3 @alice"},
    {"poll.insight_off", "精选理由奖励未开启（配置 polls.insight_bonus）。",
     "Insight bonuses are off (configure polls.insight_bonus)."},
    {"poll.insight_no_vote", "{name} 没有在投票 #{id} 中投票。", "{name} has not voted on poll #{id}."},
    {"poll.insight_no_reason", "{name} 在投票 #{id} 中没有写理由。", "{name} gave no reason on poll #{id}."},
    {"poll.insight_already", "{name} 在投票 #{id} 的理由已经评为精选过了。",
     "{name}'s reason on poll #{id} is already marked insightful."},
    {"poll.insight_done", "💡 {name} 在投票 #{id} 的理由被评为精选，+{points} 积分：\n“{reason}”",
     "💡 {name}'s reason on poll #{id} was marked insightful, +{points} points:\n\"{reason}\""},
    {"poll.by_usage", "用法：/poll results|reasons 编号 --by 等级|人才库|标签",
     "Usage: /poll results|reasons id --by level|pool|tag"},
    {"poll.layers_title_level", "📊 <b>投票 #{id} 按等级分层</b>\n{question}",
     "📊 <b>Poll #{id} by level</b>\n{question}"},
    {"poll.layers_title_pool", "📊 <b>投票 #{id} 按人才库分层</b>\n{question}",
     "📊 <b>Poll #{id} by talent pool</b>\n{question}"},
    {"poll.layers_reasons_level", "💬 <b>投票 #{id} 的理由（按等级）</b>\n{question}",
     "💬 <b>Reasons for poll #{id}, by level</b>\n{question}"},
    {"poll.layers_reasons_pool", "💬 <b>投票 #{id} 的理由（按人才库）</b>\n{question}",
     "💬 <b>Reasons for poll #{id}, by talent pool</b>\n{question}"},
    {"poll.layers_reasons_anonymous", "这是匿名投票：理由不按层显示，以免认出写理由的人。",
     "This poll is anonymous: reasons are not split by layer, so nobody can be recognised by them."},
    {"poll.layers_none", "还没有人投票。", "No votes yet."},
    {"poll.layers_summary_head", "<b>分层结果</b>", "<b>By level</b>"},
    {"poll.layers_colon", "：", ": "},
    {"poll.layer_voters", "{n} 人", "{n} {n|voter|voters}"},
    {"poll.layer_voters_paren", "（{n} 人）", " ({n} {n|voter|voters})"},
    {"poll.layer_no_pool", "不在人才库", "in no pool"},
    {"poll.layer_no_tag", "无标签", "no tag"},
    {"poll.layers_title_tag", "📊 <b>投票 #{id} 按标签分层</b>\n{question}", "📊 <b>Poll #{id} by tag</b>\n{question}"},
    {"poll.layers_reasons_tag", "💬 <b>投票 #{id} 的理由（按标签）</b>\n{question}",
     "💬 <b>Reasons for poll #{id}, by tag</b>\n{question}"},
    {"poll.layers_hidden", "另有 {n} 人所在的层不足 {min} 人，匿名投票不显示。",
     "{n} {n|voter is|voters are} in layers of fewer than {min} and not shown (anonymous poll)."},
    {"poll.layer_others", "其他", "others"},
    {"poll.layer_small", "人数较少的层（合并显示）", "smaller layers, merged"},
    {"poll.help_vote", "/vote 编号 选项 [理由] — 投票（再次投票可修改）",
     "/vote id option [reason] — vote (vote again to change it)"},
    {"poll.help_unvote", "/unvote 编号 [选项] — 撤回投票（或其中一项）",
     "/unvote id [option] — withdraw your vote (or one option of it)"},
    {"poll.unvote_usage", "用法：/unvote 编号 [选项序号]，例如 /unvote 3",
     "Usage: /unvote id [option number], e.g. /unvote 3"},
    {"poll.err_no_vote", "你在投票 #{id} 中没有可撤回的选择。", "You have no such vote on poll #{id} to withdraw."},
    {"poll.unvoted", "↩️ {name} 撤回了投票 #{id}", "↩️ {name} withdrew their vote on #{id}"},
    {"poll.unvoted_part", "↩️ {name} 撤回了投票 #{id} 中的一项", "↩️ {name} withdrew one option of their vote on #{id}"},
    {"poll.help_polls", "/polls — 进行中的投票", "/polls — open polls"},
    {"poll.help_poll",
     "/poll new 问题 | 选项1 | 选项2 [--multi N --anonymous --hidden --closes 2d --reason required"
     " --min-level N --pool 名称 --tag 标签 --reward 积分数] · /poll close|results|reasons|export 编号"
     " · /poll results|reasons 编号 --by 等级|人才库|标签",
     "/poll new Question | opt1 | opt2 [--multi N --anonymous --hidden --closes 2d --reason required"
     " --min-level N --pool NAME --tag TAG --reward N] · /poll close|results|reasons|export id"
     " · /poll results|reasons id --by level|pool|tag"},
    {"poll.usage",
     "用法：/poll new 问题 | 选项1 | 选项2 …，或 /poll close|results|reasons|export 编号",
     "Usage: /poll new Question | option 1 | option 2 …, or /poll close|results|reasons|export id"},
    {"poll.vote_usage", "用法：/vote 编号 选项序号 [理由]，例如 /vote 3 2 颜色更好看",
     "Usage: /vote id option-number [reason], e.g. /vote 3 2 better colours"},
    /* definition errors */
    {"poll.err_bad_text", "投票内容里有无法识别的字符。", "The poll text contains characters I can't read."},
    {"poll.err_syntax", "投票格式有误：{what}", "The poll definition is malformed: {what}"},
    {"poll.err_unknown_flag",
     "不认识的选项 {what}。可用：--multi --anonymous --hidden --closes --reason --min-level --pool --tag --reward --groups",
     "Unknown setting {what}. Known: --multi --anonymous --hidden --closes --reason --min-level --pool --tag --reward --groups"},
    {"poll.err_no_question", "请写上问题，例如：/poll new 选哪张海报？ | 日落 | 夜景",
     "Please give a question, e.g. /poll new Which poster? | Sunset | City night"},
    {"poll.err_question_long", "问题太长了（最多 {qmax} 字）。", "The question is too long (at most {qmax} characters)."},
    {"poll.err_options_count", "投票需要 {min}–{max} 个选项，用 | 分隔或每行一个。",
     "A poll needs {min}–{max} options, separated by | or one per line."},
    {"poll.err_option_long", "选项 {what}… 太长了（最多 {omax} 字）。",
     "Option {what}… is too long (at most {omax} characters)."},
    {"poll.err_option_twice", "选项 {what} 重复了。", "Option {what} appears twice."},
    {"poll.err_multi", "--multi 的值 {what} 不对：应为 1 到选项数之间的数字。",
     "--multi {what} is not valid: give a number from 1 to the number of options."},
    {"poll.err_flag_value", "--{what} 的值不对。", "The value of --{what} is not valid."},
    {"poll.err_closes", "看不懂截止时间 {what}，可以写 明天 20:00、周五、3天后、晚上8点、2d 或 2026-12-01 20:00。",
     "I can't read the closing time {what}; try tomorrow 20:00, fri, 2d, 3h or 2026-12-01 20:00."},
    {"poll.err_closes_past", "截止时间 {what} 已经过去了。", "The closing time {what} is already past."},
    {"poll.err_reward_operator", "🔒 只有配置的运营者可以设置投票奖励。",
     "🔒 Only configured operators can attach a reward to a poll."},
    /* vote refusals */
    {"poll.err_unknown", "没有编号为 #{id} 的投票。", "There is no poll #{id}."},
    {"poll.err_closed", "投票 #{id} 已经结束了。", "Poll #{id} is closed."},
    {"poll.err_option_range", "选项 {what} 不存在：请选 1–{n}。", "There is no option {what}: choose 1–{n}."},
    {"poll.err_option_unknown", "没有找到选项 {what}：请用序号 1–{n}。",
     "No option matches {what}: use a number 1–{n}."},
    {"poll.err_too_many", "最多只能选 {max} 项。", "You can choose at most {max} {max|option|options}."},
    {"poll.err_reason_required", "投票 #{id} 需要写理由：/vote {id} 选项 理由",
     "Poll #{id} needs a reason: /vote {id} option reason"},
    {"poll.err_reason_button", "需要写理由：发送 /vote {id} 选项 理由",
     "A reason is required: send /vote {id} option reason"},
    {"poll.err_reason_long", "理由太长了（最多 {limit} 字）。", "That reason is too long (at most {limit} characters)."},
    {"poll.err_level", "投票 #{id} 需要达到 {level} 级才能参加。", "Poll #{id} is open to level {level} and above."},
    {"poll.err_tag", "🏷 投票 #{id} 只对有标签 {tag} 的成员开放。", "🏷 Poll #{id} is open to members tagged {tag} only."},
    {"poll.info_tag", "限标签 {tag}", "tagged {tag} only"},
    {"poll.err_pool", "投票 #{id} 只对 {pool} 人才库成员开放。", "Poll #{id} is open to the {pool} pool only."},
    {"poll.err_vote_first", "请先投票（/vote {id} 选项），再回复理由。",
     "Vote first (/vote {id} option), then reply with your reason."},
    /* acknowledgements */
    {"poll.voted", "🗳 {name} 已投票 #{id}：{choice}{extra}", "🗳 {name} voted on #{id}: {choice}{extra}"},
    {"poll.changed", "🔄 {name} 已修改投票 #{id}：{choice}", "🔄 {name} changed their vote on #{id}: {choice}"},
    {"poll.voted_anon", "🗳 {name} 已投票 #{id}（匿名）{extra}", "🗳 {name} voted on #{id} (anonymous){extra}"},
    {"poll.changed_anon", "🔄 {name} 已修改投票 #{id}（匿名）", "🔄 {name} changed their vote on #{id} (anonymous)"},
    {"poll.voted_toast", "已投票：{choice}{extra}", "Voted: {choice}{extra}"},
    {"poll.reward_note", "，+{points} 积分", " (+{points} points)"},
    {"poll.reason_saved", "💬 {name} 的理由已记录（#{id}）", "💬 {name}, your reason for #{id} is saved"},
    {"poll.closed_ok", "✅ 投票 #{id} 已结束，结果已发到群里。", "✅ Poll #{id} is closed; the result is posted in its chat."},
    /* rendering */
    {"poll.post_title", "📊 <b>投票 #{id}</b>\n{question}", "📊 <b>Poll #{id}</b>\n{question}"},
    {"poll.voters", "👥 {n} 人已投票", "👥 {n} {n|voter|voters}"},
    {"poll.info_multi", "可多选（最多 {max} 项）", "multiple choice (up to {max})"},
    {"poll.info_anonymous", "匿名", "anonymous"},
    {"poll.info_hidden", "结束前不公布票数", "counts hidden until close"},
    {"poll.info_reason", "需写理由", "reason required"},
    {"poll.info_level", "{level} 级及以上", "level {level}+"},
    {"poll.info_pool", "{pool} 人才库", "{pool} pool"},
    {"poll.info_reward", "投票 +{points} 积分", "+{points} points for voting"},
    {"poll.info_closes", "截止 {when}", "closes {when}"},
    {"poll.how", "投票：点按钮，或发送 /vote {id} 序号 [理由]", "Vote: press a button, or send /vote {id} number [reason]"},
    {"poll.how_multi", "投票：/vote {id} 1,3 [理由]（最多 {max} 项）",
     "Vote: /vote {id} 1,3 [reason] (up to {max})"},
    {"poll.post_closed", "🔒 投票已结束", "🔒 This poll is closed"},
    {"poll.results_title", "📊 <b>投票 #{id} 当前结果</b>\n{question}", "📊 <b>Poll #{id}, results so far</b>\n{question}"},
    {"poll.final_title", "🏁 <b>投票 #{id} 最终结果</b>\n{question}", "🏁 <b>Poll #{id}, final result</b>\n{question}"},
    {"poll.who_title", "<b>谁投了什么</b>", "<b>Who voted what</b>"},
    {"poll.more", " 等另外 {n} 人", " and {n} more"},
    {"poll.reasons_title", "💬 <b>投票 #{id} 的理由</b>\n{question}", "💬 <b>Reasons for poll #{id}</b>\n{question}"},
    {"poll.reasons_none", "（无）", "(none)"},
    {"poll.truncated", "……内容太长，只显示了 {shown}/{total} 条。", "… too long: showing {shown} of {total}."},
    {"poll.export_title", "📄 投票 #{id} 导出（{rows} 行，CSV）：", "📄 Poll #{id} export ({rows} rows, CSV):"},
    {"poll.list_title", "<b>进行中的投票</b>", "<b>Open polls</b>"},
    {"poll.list_line", "#{id} {question} · {n} 人已投", "#{id} {question} · {n} {n|voter|voters}"},
    {"poll.list_closes", " · 截止 {when}", " · closes {when}"},
    {"poll.none_open", "现在没有进行中的投票。", "There are no open polls right now."},
};

/* The poll module's own changes to its tables (the tables themselves are
   in the core list, core/migrations.c), versioned on their own. */
static const char *const migrations[] = {
    /* 1: a poll posted in every group of the community (--groups all) */
    "ALTER TABLE polls ADD COLUMN all_groups INTEGER NOT NULL DEFAULT 0;",
    /* 2: votes given by reaction, so the reaction's removal takes back
       exactly that vote, after a restart too (rows go when the poll closes) */
    "CREATE TABLE poll_reactions ("
    "  platform TEXT NOT NULL,"
    "  chat_id TEXT NOT NULL,"
    "  reaction_id TEXT NOT NULL,"
    "  user_id TEXT NOT NULL,"
    "  poll_id INTEGER NOT NULL REFERENCES polls(id),"
    "  member_id INTEGER NOT NULL REFERENCES members(id),"
    "  choices INTEGER NOT NULL CHECK (choices BETWEEN 1 AND 1023),"
    "  PRIMARY KEY (platform, chat_id, reaction_id)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE INDEX poll_reactions_poll ON poll_reactions(poll_id);",
};

/* {open_polls} in scheduled posts: how many polls take votes now. */
static int poll_template_var(struct engine *e, const struct community *comm, const char *name,
                             int64_t now, struct sbuf *out)
{
    return strcmp(name, "open_polls") == 0 &&
           schedule_count_var(e, comm,
                              "SELECT count(*) FROM polls WHERE community_id = ? AND closed_at IS NULL"
                              " AND (closes_at IS NULL OR closes_at > ?)",
                              now, out);
}

static const struct kb_setting settings[] = {
    {.path = "polls", .type = KB_SETTING_SECTION},
    {.path = "polls.insight_bonus", .type = KB_SETTING_INT,
     .off = offsetof(struct engine_settings, poll_insight_bonus), .max = 100000, .scale = 1, .dnum = 20},
};

const struct kb_module poll_module = {
    .name = "poll",
    .settings = settings,
    .n_settings = KB_COUNT(settings),
    .migrations = migrations,
    .n_migrations = KB_COUNT(migrations),
    .commands = commands,
    .n_commands = KB_COUNT(commands),
    .subs = subs,
    .n_subs = KB_COUNT(subs),
    .texts = texts,
    .n_texts = KB_COUNT(texts),
    .tick = poll_tick,
    .next_due = poll_next_due,
    .on_reply = poll_on_reply,
    .on_reaction_removed = poll_reaction_removed,
    .template_var = poll_template_var,
};
