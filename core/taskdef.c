/*
 * Task definitions: the pure parser behind /task new and /task edit (no
 * database, no clock; fuzz it freely).  See task.h.
 */
#include "task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "defn.h"
#include "repeat.h"

#define TITLE_MAX 200
#define BRIEF_MAX 4000
#define NAME_MAX_BYTES 100
#define POOL_MAX 40
#define POOLS_MAX 10

/* ==== definitions (pure) =============================================== */

static const char *const tiers[] = {"basic", "explore", "precision", "cobuild", NULL};
/* the same tiers by their Chinese names, which the usage shows */
static const char *const tiers_zh[] = {"筑基", "探索", "精准", "共建", NULL};

static const char *const new_keys[] = {
    "tier", "title", "brief", "background", "messages", "style", "deliverables", "reward",
    "points", "cash", "gift", "badge", "deadline", "quota", "level", "pools", "pool",
    "everyone", "invite", "review", "groups", "rounds", "tag", "repeat", NULL};

/* The canonical tier of s ("explore" for "Explore" or "探索"), or NULL. */
static const char *tier_of(const char *s)
{
    for (size_t i = 0; tiers[i]; i++)
        if (ascii_casecmp(tiers[i], s) == 0 || strcmp(tiers_zh[i], s) == 0)
            return tiers[i];
    return NULL;
}

static int is_tier(const char *s)
{
    return tier_of(s) != NULL;
}

static int bad(struct task_def *d, const char **err_key, const char *key, const char *field)
{
    *err_key = key;
    snprintf(d->field, sizeof d->field, "%s", field);
    return KB_EINVAL;
}

int task_parse_cents(const char *s, int64_t *cents)
{
    int64_t whole = 0, frac = 0;
    size_t i = 0, digits = 0;
    for (; s[i] >= '0' && s[i] <= '9'; i++, digits++) {
        if (digits >= 9)
            return KB_EINVAL;
        whole = whole * 10 + (s[i] - '0');
    }
    if (digits == 0)
        return KB_EINVAL;
    if (s[i] == '.') {
        i++;
        int n = 0;
        for (; s[i] >= '0' && s[i] <= '9'; i++, n++) {
            if (n >= 2)
                return KB_EINVAL;
            frac = frac * 10 + (s[i] - '0');
        }
        if (n == 0)
            return KB_EINVAL;
        if (n == 1)
            frac *= 10;
    }
    if (s[i])
        return KB_EINVAL;
    *cents = whole * 100 + frac;
    return KB_OK;
}

/* "200 CNY", "CNY 200.50", "¥200", "200元" */
static int parse_cash(const char *v, struct task_def *d)
{
    const char *p = v;
    char *w;
    int have_amount = 0, have_cur = 0, rc = KB_OK;
    while (rc == KB_OK && (w = command_next_word(&p)) != NULL) {
        char *num = w;
        const char *cur = NULL;
        if (strncmp(num, "\xC2\xA5", 2) == 0 || strncmp(num, "\xEF\xBF\xA5", 3) == 0) { /* ¥ ￥ */
            num += num[0] == '\xC2' ? 2 : 3;
            cur = "CNY";
        } else if (num[0] == '$') {
            num++;
            cur = "USD";
        }
        size_t n = strlen(num);
        if (n > 3 && strcmp(num + n - 3, "\xE5\x85\x83") == 0) { /* 元 */
            num[n - 3] = '\0';
            cur = "CNY";
        }
        if (num[0] >= '0' && num[0] <= '9') {
            rc = have_amount ? KB_EINVAL : task_parse_cents(num, &d->cash);
            have_amount = 1;
        } else if (!*num && cur) {
            ; /* a lone currency sign */
        } else if (strlen(num) == 3 && !cur) {
            for (int i = 0; i < 3 && rc == KB_OK; i++) {
                char ch = num[i];
                if (ch >= 'a' && ch <= 'z')
                    ch = (char)(ch - 32);
                if (ch < 'A' || ch > 'Z')
                    rc = KB_EINVAL;
                d->currency[i] = ch;
            }
            d->currency[3] = '\0';
            if (have_cur)
                rc = KB_EINVAL;
            have_cur = 1;
        } else if (ascii_casecmp(num, "rmb") == 0) {
            cur = "CNY";
        } else {
            rc = KB_EINVAL;
        }
        if (rc == KB_OK && cur) {
            if (have_cur && strcmp(d->currency, cur) != 0)
                rc = KB_EINVAL;
            snprintf(d->currency, sizeof d->currency, "%s", cur);
            have_cur = 1;
        }
        free(w);
    }
    if (rc == KB_OK && (!have_amount || d->cash <= 0))
        rc = KB_EINVAL;
    if (rc == KB_OK && !have_cur)
        snprintf(d->currency, sizeof d->currency, "CNY");
    return rc;
}

static int set_name(char **dst, const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n > NAME_MAX_BYTES)
        return KB_EINVAL;
    free(*dst);
    *dst = xstrdup(v);
    return KB_OK;
}

/* One reward of the given kind ("points", "积分", …) with value v. */
static int reward_item(struct task_def *d, const char *kind, const char *v)
{
    if (!ascii_casecmp(kind, "points") || !ascii_casecmp(kind, "point") || !strcmp(kind, "积分"))
        return parse_i64(v, 1, 1000000, &d->points);
    if (!ascii_casecmp(kind, "cash") || !ascii_casecmp(kind, "fee") || !strcmp(kind, "现金"))
        return parse_cash(v, d);
    if (!ascii_casecmp(kind, "gift") || !strcmp(kind, "礼品") || !strcmp(kind, "礼物"))
        return set_name(&d->gift, v);
    if (!ascii_casecmp(kind, "badge") || !strcmp(kind, "徽章"))
        return set_name(&d->badge, v);
    if (!ascii_casecmp(kind, "title") || !strcmp(kind, "称号"))
        return set_name(&d->title_reward, v);
    return KB_EINVAL;
}

/* "points 50, cash 200 CNY; gift tote bag" — also "50 points". */
static int parse_reward(struct task_def *d, const char *v)
{
    struct sbuf item = {0};
    int rc = KB_OK, any = 0;
    const char *p = v;
    for (;;) {
        size_t sep = 0;
        if (*p == ',' || *p == ';')
            sep = 1;
        else if (!strncmp(p, "\xEF\xBC\x8C", 3) || !strncmp(p, "\xEF\xBC\x9B", 3)) /* ， ； */
            sep = 3;
        if (*p && !sep) {
            sbuf_addc(&item, *p++);
            continue;
        }
        const char *q = sbuf_str(&item);
        char *kind = command_next_word(&q);
        if (kind) {
            const char *rest = command_skip_space(q);
            char *val = xstrdup(rest);
            for (size_t n = strlen(val); n && (val[n - 1] == ' ' || val[n - 1] == '\t'); n--)
                val[n - 1] = '\0';
            int64_t dummy;
            if (parse_i64(kind, 1, 1000000, &dummy) == KB_OK) /* "50 points" */
                rc = reward_item(d, val, kind);
            else
                rc = reward_item(d, kind, val);
            free(val);
            free(kind);
            any = 1;
        }
        sbuf_free(&item);
        if (rc || !*p)
            break;
        p += sep;
    }
    sbuf_free(&item);
    return rc ? rc : any ? KB_OK : KB_EINVAL;
}

/* "photography, video" -> "photography,video" */
static int parse_pools(struct task_def *d, const char *v)
{
    struct sbuf out = {0};
    int n = 0, rc = KB_OK;
    const char *p = v;
    struct sbuf word = {0};
    for (;;) {
        int end = !*p;
        size_t sep = 0;
        if (!end && (*p == ',' || *p == ' ' || *p == ';'))
            sep = 1;
        else if (!end && !strncmp(p, "\xEF\xBC\x8C", 3)) /* ， */
            sep = 3;
        else if (!end && !strncmp(p, "\xE3\x80\x81", 3)) /* 、 */
            sep = 3;
        if (!end && !sep) {
            if ((unsigned char)*p < 0x20)
                rc = KB_EINVAL;
            sbuf_addc(&word, *p++);
            continue;
        }
        if (word.len) {
            if (word.len > POOL_MAX || ++n > POOLS_MAX)
                rc = KB_EINVAL;
            if (out.len)
                sbuf_addc(&out, ',');
            sbuf_add(&out, word.s);
        }
        sbuf_free(&word);
        if (end)
            break;
        p += sep;
    }
    if (rc || n == 0) {
        sbuf_free(&out);
        return KB_EINVAL;
    }
    free(d->pools);
    d->pools = sbuf_take(&out);
    return KB_OK;
}

static int parse_yes_no(const char *v, int *out)
{
    if (!*v || !ascii_casecmp(v, "yes") || !ascii_casecmp(v, "true") || !strcmp(v, "1") ||
        !ascii_casecmp(v, "on") || !strcmp(v, "是") || !strcmp(v, "需要"))
        *out = 1;
    else if (!ascii_casecmp(v, "no") || !ascii_casecmp(v, "false") || !strcmp(v, "0") ||
             !ascii_casecmp(v, "off") || !strcmp(v, "否") || !strcmp(v, "不需要"))
        *out = 0;
    else
        return KB_EINVAL;
    return KB_OK;
}

static void set_tier(struct task_def *d, const char *v)
{
    snprintf(d->tier, sizeof d->tier, "%s", tier_of(v));
}

void task_def_free(struct task_def *def)
{
    free(def->title);
    free(def->brief);
    free(def->gift);
    free(def->badge);
    free(def->title_reward);
    free(def->pools);
    free(def->invites);
    free(def->tag);
    def->tag = NULL;
    def->title = def->brief = def->gift = def->badge = def->title_reward = NULL;
    def->pools = def->invites = NULL;
}

void task_def_defaults(struct task_def *d)
{
    if (d->review < 0)
        d->review = strcmp(d->tier, "basic") != 0;
    if (d->access[0])
        return;
    if (d->min_level > 0 || d->pools)
        snprintf(d->access, sizeof d->access, "criteria");
    else if (!strcmp(d->tier, "basic"))
        snprintf(d->access, sizeof d->access, "everyone");
    else if (!strcmp(d->tier, "explore") && !d->invites) {
        snprintf(d->access, sizeof d->access, "criteria");
        d->min_level = 2; /* explore: level 2 and up unless told otherwise */
    } else
        snprintf(d->access, sizeof d->access, "invite");
}

static int parse_def(const char *text, const char *tz, int64_t now, struct task_def *d,
                     const char **err_key, int is_new)
{
    memset(d, 0, sizeof *d);
    d->review = -1;
    *err_key = NULL;
    struct defn df;
    char perr[96];
    if (defn_parse(text, &df, perr, sizeof perr))
        return bad(d, err_key, "task.bad.syntax", "");
    /* blank lines inside a definition leave newlines at a value's end */
    for (size_t i = 0; i < df.n; i++) {
        char *v = df.fields[i].value;
        size_t n = strlen(v);
        while (n && (v[n - 1] == '\n' || v[n - 1] == ' ' || v[n - 1] == '\r'))
            v[--n] = '\0';
    }
    int rc = KB_OK;
    const char *unknown = defn_unknown(&df, new_keys);
    if (unknown) {
        rc = bad(d, err_key, "task.bad.unknown", unknown);
        goto out;
    }
    /* the head: "[tier] title" (new) or nothing else (edit) */
    const char *head = df.head ? df.head : "";
    const char *tier = defn_get(&df, "tier");
    char *first = NULL;
    const char *p = head;
    if (is_new && !tier && (first = command_next_word(&p)) != NULL && is_tier(first)) {
        set_tier(d, first);
        head = command_skip_space(p);
        d->given |= TD_TIER;
    }
    free(first);
    if (tier) {
        if (!is_tier(tier)) {
            rc = bad(d, err_key, "task.bad.tier", "tier");
            goto out;
        }
        set_tier(d, tier);
        d->given |= TD_TIER;
    }
    if (is_new && !(d->given & TD_TIER)) {
        rc = bad(d, err_key, "task.bad.tier", "tier");
        goto out;
    }
    if (!is_new && *head) {
        rc = bad(d, err_key, "task.bad.unknown", head);
        goto out;
    }
    const char *title = defn_get(&df, "title");
    if (!title && is_new)
        title = head;
    if (title) {
        if (!*title || strlen(title) > TITLE_MAX || strchr(title, '\n')) {
            rc = bad(d, err_key, "task.bad.title", "title");
            goto out;
        }
        d->title = xstrdup(title);
        d->given |= TD_TITLE;
    }
    /* the brief: "brief" plus any of the creative-brief sections, in order */
    struct sbuf brief = {0};
    for (size_t i = 0; i < df.n; i++) {
        const char *k = df.fields[i].key;
        int section = !strcmp(k, "background") || !strcmp(k, "messages") || !strcmp(k, "style") ||
                      !strcmp(k, "deliverables");
        if (strcmp(k, "brief") && !section)
            continue;
        if (brief.len)
            sbuf_addc(&brief, '\n');
        if (section)
            sbuf_addf(&brief, "%s: ", k);
        sbuf_add(&brief, df.fields[i].value);
        d->given |= TD_BRIEF;
    }
    if (brief.len > BRIEF_MAX) {
        sbuf_free(&brief);
        rc = bad(d, err_key, "task.bad.brief", "brief");
        goto out;
    }
    if (d->given & TD_BRIEF)
        d->brief = xstrdup(sbuf_str(&brief));
    sbuf_free(&brief);
    /* rewards: "reward: …" and the single-kind keys */
    static const char *const reward_keys[] = {"reward", "points", "cash", "gift", "badge", NULL};
    for (size_t i = 0; i < df.n; i++) {
        const char *k = df.fields[i].key, *v = df.fields[i].value;
        for (const char *const *rk = reward_keys; *rk; rk++) {
            if (strcmp(k, *rk))
                continue;
            rc = !strcmp(k, "reward") ? parse_reward(d, v) : reward_item(d, k, v);
            if (rc) {
                rc = bad(d, err_key, !strcmp(k, "reward") ? "task.bad.reward" : "task.bad.reward_item", k);
                goto out;
            }
            d->given |= TD_REWARD;
        }
    }
    const char *v;
    if ((v = defn_get(&df, "deadline")) != NULL) {
        d->given |= TD_DEADLINE;
        if (!is_new && (!ascii_casecmp(v, "none") || !strcmp(v, "无"))) {
            d->deadline = 0;
        } else if (when_parse(v, tz, now, &d->deadline)) {
            rc = bad(d, err_key, "task.bad.deadline", "deadline");
            goto out;
        } else if (d->deadline <= now) {
            rc = bad(d, err_key, "task.bad.deadline_past", "deadline");
            goto out;
        }
    }
    if ((v = defn_get(&df, "quota")) != NULL) {
        d->given |= TD_QUOTA;
        if (parse_i64(v, 0, 100000, &d->quota)) {
            rc = bad(d, err_key, "task.bad.quota", "quota");
            goto out;
        }
    }
    if ((v = defn_get(&df, "level")) != NULL) {
        d->given |= TD_ACCESS;
        if (parse_i64(v, 1, 1000, &d->min_level)) {
            rc = bad(d, err_key, "task.bad.level", "level");
            goto out;
        }
    }
    if ((v = defn_get(&df, "pools")) != NULL || (v = defn_get(&df, "pool")) != NULL) {
        d->given |= TD_ACCESS;
        if (parse_pools(d, v)) {
            rc = bad(d, err_key, "task.bad.pools", "pools");
            goto out;
        }
    }
    if ((v = defn_get(&df, "everyone")) != NULL) {
        int yes = 0;
        if (parse_yes_no(v, &yes) || !yes || d->min_level || d->pools) {
            rc = bad(d, err_key, "task.bad.everyone", "everyone");
            goto out;
        }
        snprintf(d->access, sizeof d->access, "everyone");
        d->given |= TD_ACCESS;
    } else if (d->given & TD_ACCESS) {
        snprintf(d->access, sizeof d->access, "criteria");
    }
    if ((v = defn_get(&df, "invite")) != NULL) {
        if (!*v || strlen(v) > 1000) {
            rc = bad(d, err_key, "task.bad.invite", "invite");
            goto out;
        }
        d->invites = xstrdup(v);
        d->given |= TD_INVITE;
    }
    if ((v = defn_get(&df, "review")) != NULL) {
        d->given |= TD_REVIEW;
        if (parse_yes_no(v, &d->review)) {
            rc = bad(d, err_key, "task.bad.review", "review");
            goto out;
        }
    }
    if ((v = defn_get(&df, "rounds")) != NULL) {
        d->given |= TD_ROUNDS;
        if (parse_i64(v, 0, 20, &d->rounds)) {
            rc = bad(d, err_key, "task.bad.rounds", "rounds");
            goto out;
        }
    }
    if ((v = defn_get(&df, "groups")) != NULL) { /* where /task new announces it */
        if (ascii_casecmp(v, "all") != 0 && ascii_casecmp(v, "here") != 0) {
            rc = bad(d, err_key, "task.bad.groups", "groups");
            goto out;
        }
        d->all_groups = ascii_casecmp(v, "all") == 0;
    }
    if ((v = defn_get(&df, "tag")) != NULL) { /* only members with this tag */
        d->given |= TD_TAG;
        if (!is_new && (!ascii_casecmp(v, "none") || !strcmp(v, "无"))) {
            d->tag = xstrdup("");
        } else if (!tag_name_valid(v)) {
            rc = bad(d, err_key, "task.bad.tag", "tag");
            goto out;
        } else {
            d->tag = xstrdup(v);
        }
    }
    if ((v = defn_get(&df, "repeat")) != NULL && /* a series starts with /task new only */
        (!is_new || repeat_days_parse(v, tz, now, &d->repeat_days))) {
        rc = bad(d, err_key, "task.bad.repeat", "repeat");
        goto out;
    }
    if (!is_new && d->given == 0)
        rc = bad(d, err_key, "task.bad.nothing", "");
out:
    defn_free(&df);
    if (rc)
        task_def_free(d);
    return rc;
}

int task_definition_parse(const char *text, const char *tz, int64_t now, struct task_def *def,
                          const char **err_key)
{
    int rc = parse_def(text, tz, now, def, err_key, 1);
    if (!rc)
        task_def_defaults(def);
    return rc;
}

int task_edit_parse(const char *text, const char *tz, int64_t now, struct task_def *def,
                    const char **err_key)
{
    return parse_def(text, tz, now, def, err_key, 0);
}
