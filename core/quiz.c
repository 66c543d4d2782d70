/*
 * Persona quizzes; see quiz.h.
 *
 * Invariants: a member has at most one open session per quiz (a partial
 * unique index); an answer is the row (session, question) and is taken
 * only for the session's current question (step), so a replayed or stale
 * press changes nothing; the session that answers its last question
 * writes its result (unique per session), moves the member's quiz tag and
 * pays the persona's badge in that same transaction.  The badge is a
 * ledger row (reason "quiz", ref "quiz:<id>", unit = the badge), unique
 * per member, and it is not paid to a member who holds it already.
 */
#include "quiz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "command.h"
#include "defn.h"
#include "ledger.h"
#include "outbox.h"
#include "standing.h"

#define QUIZ_SOURCE_MAX 12000      /* bytes of a definition */
#define QUIZ_RETAKE_MAX_S (3650LL * 86400)

/* ==== the definition parser (pure) ====================================== */

static int set_err(struct quiz_def *d, const char **err_key, const char *key, const char *detail, size_t n)
{
    *err_key = key;
    n = utf8_clip(detail ? detail : "", detail ? n : 0, sizeof d->err_detail - 1);
    memcpy(d->err_detail, detail ? detail : "", n);
    d->err_detail[n] = '\0';
    return KB_EINVAL;
}

static int too_long(const char *s, size_t n, size_t max)
{
    return utf8_count(s, n) > max;
}

/* Copy s[0..n) (fits: checked by the caller) into dst. */
static void copy_span(char *dst, const char *s, size_t n)
{
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* 1 when line starts with word, ASCII letters in any case. */
static int starts_with_word(const char *line, size_t len, const char *word, size_t k)
{
    if (len < k)
        return 0;
    for (size_t i = 0; i < k; i++) {
        char a = line[i] >= 'A' && line[i] <= 'Z' ? (char)(line[i] + 32) : line[i];
        if (a != word[i])
            return 0;
    }
    return 1;
}

/* The line's keyword (one of words, followed by a space, ':' or '：', or
   the end): the rest after it, trimmed; NULL when the line has none. */
static const char *keyword(const char *line, size_t len, const char *const *words, size_t *rest_len)
{
    for (size_t i = 0; words[i]; i++) {
        size_t k = strlen(words[i]);
        if (!starts_with_word(line, len, words[i], k))
            continue;
        const char *p = line + k;
        size_t left = len - k;
        uint32_t cp = 0;
        size_t used = left ? utf8_decode(p, left, &cp) : 0;
        if (left && cp != ':' && cp != 0xFF1A && !command_is_space(cp))
            continue;
        return command_trim_span(p + used, left - used, rest_len);
    }
    return NULL;
}

static const char *const kw_persona[] = {"persona", "人设", "类型", NULL};
static const char *const kw_question[] = {"question", "q", "问题", "题", "问", NULL};
static const char *const kw_answer[] = {"a", "答", NULL};
static const char *const kw_retake[] = {"retake", "重测", NULL};

/* An answer line: "- text = …", "• …", "* …", "a …", "答 …"; the rest. */
static const char *answer_line(const char *line, size_t len, size_t *rest_len)
{
    static const char *const bullets[] = {"-", "\xE2\x80\xA2", "*", "\xEF\xBC\x8D" /* － */, NULL};
    for (size_t i = 0; bullets[i]; i++) {
        size_t k = strlen(bullets[i]);
        if (len >= k && strncmp(line, bullets[i], k) == 0)
            return command_trim_span(line + k, len - k, rest_len);
    }
    return keyword(line, len, kw_answer, rest_len);
}

/* Offset of the next field separator ('|' or '｜') in s[0..n), or n. */
static size_t field_end(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '|' || (i + 3 <= n && memcmp(s + i, "\xEF\xBD\x9C", 3) == 0))
            return i;
    return n;
}

static size_t sep_len(const char *s)
{
    return *s == '|' || *s == '=' || *s == ',' || *s == ';' ? 1 : 3;
}

static int find_persona(const struct quiz_def *d, const char *s, size_t n)
{
    for (int i = 0; i < d->n_personas; i++)
        if (strlen(d->personas[i].name) == n && strncmp(d->personas[i].name, s, n) == 0)
            return i;
    for (int i = 0; i < d->n_personas; i++) /* ASCII names in any case */
        if (strlen(d->personas[i].name) == n) {
            char tmp[TAG_NAME_BYTES];
            copy_span(tmp, s, n);
            if (ascii_casecmp(tmp, d->personas[i].name) == 0)
                return i;
        }
    return -1;
}

/* "persona NAME | text | badge" */
static int parse_persona(struct quiz_def *d, const char *s, size_t n, const char **err_key)
{
    if (d->n_personas == QUIZ_MAX_PERSONAS)
        return set_err(d, err_key, "quiz.err_personas_count", NULL, 0);
    struct quiz_persona *p = &d->personas[d->n_personas];
    size_t parts[3][2] = {{0}};
    int k = 0;
    for (size_t at = 0; k < 3; k++) {
        size_t e = field_end(s + at, n - at);
        const char *t = command_trim_span(s + at, e, &parts[k][1]);
        parts[k][0] = (size_t)(t - s);
        at += e;
        if (at >= n) {
            k++;
            break;
        }
        at += sep_len(s + at);
    }
    const char *name = s + parts[0][0];
    size_t nlen = parts[0][1];
    char tmp[TAG_NAME_BYTES];
    if (nlen == 0 || nlen >= sizeof tmp)
        return set_err(d, err_key, "quiz.err_persona_name", name, nlen);
    copy_span(tmp, name, nlen);
    if (!tag_name_valid(tmp))
        return set_err(d, err_key, "quiz.err_persona_name", name, nlen);
    if (find_persona(d, name, nlen) >= 0)
        return set_err(d, err_key, "quiz.err_persona_twice", name, nlen);
    if (k < 2 || parts[1][1] == 0 || too_long(s + parts[1][0], parts[1][1], QUIZ_TEXT_MAX))
        return set_err(d, err_key, "quiz.err_persona_text", name, nlen);
    if (k == 3 && (too_long(s + parts[2][0], parts[2][1], QUIZ_BADGE_MAX) || s[parts[2][0]] == '@'))
        return set_err(d, err_key, "quiz.err_badge", s + parts[2][0], parts[2][1]);
    copy_span(p->name, name, nlen);
    copy_span(p->text, s + parts[1][0], parts[1][1]);
    if (k == 3)
        copy_span(p->badge, s + parts[2][0], parts[2][1]);
    d->n_personas++;
    return KB_OK;
}

/* "NAME", "NAME 2", "NAME+2", "NAME*2", "NAME×2" -> persona and weight. */
static int parse_weight_item(struct quiz_def *d, struct quiz_answer *a, const char *s, size_t n,
                             const char **err_key)
{
    s = command_trim_span(s, n, &n);
    if (n == 0)
        return KB_OK;
    size_t digits = 0;
    while (digits < n && s[n - 1 - digits] >= '0' && s[n - 1 - digits] <= '9')
        digits++;
    int64_t w = 1;
    size_t name_len = n;
    if (digits && digits < n) {
        size_t m = n - digits;
        size_t cut = 0;
        if (s[m - 1] == ' ' || s[m - 1] == '+' || s[m - 1] == '*' || s[m - 1] == 'x')
            cut = 1;
        else if (m >= 2 && memcmp(s + m - 2, "\xC3\x97", 2) == 0) /* × */
            cut = 2;
        if (cut) {
            char num[8];
            if (digits >= sizeof num)
                return set_err(d, err_key, "quiz.err_weight", s, n);
            copy_span(num, s + m, digits);
            if (parse_i64(num, 1, QUIZ_WEIGHT_MAX, &w))
                return set_err(d, err_key, "quiz.err_weight", s, n);
            command_trim_span(s, m - cut, &name_len);
        }
    }
    int i = find_persona(d, s, name_len);
    if (i < 0)
        return set_err(d, err_key, "quiz.err_unknown_persona", s, name_len);
    a->weight[i] += (int)w;
    if (a->weight[i] > QUIZ_WEIGHT_MAX)
        return set_err(d, err_key, "quiz.err_weight", s, n);
    return KB_OK;
}

/* "text = NAME 2, NAME" */
static int parse_answer(struct quiz_def *d, const char *s, size_t n, const char **err_key)
{
    if (d->n_questions == 0)
        return set_err(d, err_key, "quiz.err_answer_first", s, n);
    struct quiz_question *q = &d->questions[d->n_questions - 1];
    if (q->n_answers == QUIZ_MAX_ANSWERS)
        return set_err(d, err_key, "quiz.err_answers_count", q->text, strlen(q->text));
    size_t split = n; /* the last '=' or '|' (or their full-width forms) */
    for (size_t i = 0; i < n; i++)
        if (s[i] == '=' || s[i] == '|' ||
            (i + 3 <= n && (memcmp(s + i, "\xEF\xBC\x9D", 3) == 0 || memcmp(s + i, "\xEF\xBD\x9C", 3) == 0)))
            split = i;
    if (split == n)
        return set_err(d, err_key, "quiz.err_weights", s, n);
    struct quiz_answer *a = &q->answers[q->n_answers];
    memset(a, 0, sizeof *a);
    size_t tlen;
    const char *t = command_trim_span(s, split, &tlen);
    if (tlen == 0 || too_long(t, tlen, QUIZ_ANSWER_MAX))
        return set_err(d, err_key, "quiz.err_answer_long", s, split);
    copy_span(a->text, t, tlen);
    const char *w = s + split + sep_len(s + split);
    size_t wn = n - (size_t)(w - s);
    while (wn) {
        size_t i = 0;
        while (i < wn && w[i] != ',' && w[i] != ';' &&
               !(i + 3 <= wn && (memcmp(w + i, "\xEF\xBC\x8C", 3) == 0 || memcmp(w + i, "\xE3\x80\x81", 3) == 0 ||
                                 memcmp(w + i, "\xEF\xBC\x9B", 3) == 0)))
            i++;
        int rc = parse_weight_item(d, a, w, i, err_key);
        if (rc)
            return rc;
        if (i == wn)
            break;
        size_t skip = w[i] == ',' || w[i] == ';' ? 1 : 3;
        w += i + skip;
        wn -= i + skip;
    }
    int any = 0;
    for (int i = 0; i < d->n_personas; i++)
        any |= a->weight[i] > 0;
    if (!any)
        return set_err(d, err_key, "quiz.err_weights", s, n);
    q->n_answers++;
    return KB_OK;
}

/* "30d", "12h", "90m", "0", "never" */
static int parse_retake(const char *s, size_t n, int64_t *out)
{
    char buf[24];
    if (n == 0 || n >= sizeof buf)
        return KB_EINVAL;
    copy_span(buf, s, n);
    if (!ascii_casecmp(buf, "never") || !strcmp(buf, "不可") || !strcmp(buf, "不能")) {
        *out = -1;
        return KB_OK;
    }
    static const struct { const char *unit; int64_t s; } units[] = {
        {"d", 86400}, {"天", 86400}, {"h", 3600}, {"小时", 3600}, {"m", 60}, {"分钟", 60}, {"", 86400}};
    for (size_t i = 0; i < KB_COUNT(units); i++) {
        size_t k = strlen(units[i].unit);
        if (n <= k || strcmp(buf + n - k, units[i].unit) != 0)
            continue;
        buf[n - k] = '\0';
        int64_t v;
        if (parse_i64(buf, 0, QUIZ_RETAKE_MAX_S / units[i].s, &v))
            return KB_EINVAL;
        *out = v * units[i].s;
        return KB_OK;
    }
    return KB_EINVAL;
}

/* One line of the body, trimmed; pass 0 reads personas, pass 1 the rest. */
static int parse_line(struct quiz_def *d, const char *line, size_t len, int pass, const char **err_key)
{
    size_t n;
    const char *rest;
    if ((rest = keyword(line, len, kw_persona, &n)))
        return pass == 0 ? parse_persona(d, rest, n, err_key) : KB_OK;
    if (pass == 0)
        return KB_OK;
    if ((rest = keyword(line, len, kw_retake, &n))) {
        if (parse_retake(rest, n, &d->retake_s))
            return set_err(d, err_key, "quiz.err_retake", rest, n);
        return KB_OK;
    }
    if ((rest = answer_line(line, len, &n)))
        return parse_answer(d, rest, n, err_key);
    if ((rest = keyword(line, len, kw_question, &n))) {
        if (d->n_questions == QUIZ_MAX_QUESTIONS)
            return set_err(d, err_key, "quiz.err_questions_count", NULL, 0);
        if (n == 0 || too_long(rest, n, QUIZ_TEXT_MAX))
            return set_err(d, err_key, "quiz.err_question_long", rest, n);
        struct quiz_question *q = &d->questions[d->n_questions++];
        copy_span(q->text, rest, n);
        q->n_answers = 0;
        return KB_OK;
    }
    return set_err(d, err_key, "quiz.err_line", line, len);
}

int quiz_definition_parse(const char *text, int64_t default_retake_s, struct quiz_def *d, const char **err_key)
{
    memset(d, 0, sizeof *d);
    d->retake_s = default_retake_s;
    *err_key = NULL;
    size_t total = text ? strlen(text) : 0;
    if (total > QUIZ_SOURCE_MAX)
        return set_err(d, err_key, "quiz.err_long", NULL, 0);
    if (!utf8_valid(text ? text : "", total))
        return set_err(d, err_key, "quiz.err_bad_text", NULL, 0);
    size_t head = text ? strcspn(text, "\n") : 0, tlen;
    const char *title = command_trim_span(text ? text : "", head, &tlen);
    if (tlen == 0 || too_long(title, tlen, QUIZ_TITLE_MAX))
        return set_err(d, err_key, "quiz.err_title", NULL, 0);
    copy_span(d->title, title, tlen);
    for (int pass = 0; pass < 2; pass++) {
        for (const char *p = text + head; *p;) {
            if (*p == '\n')
                p++;
            size_t n = strcspn(p, "\n"), len;
            const char *line = command_trim_span(p, n, &len);
            if (len && line[len - 1] == '\r')
                line = command_trim_span(line, len - 1, &len);
            int rc = len ? parse_line(d, line, len, pass, err_key) : KB_OK;
            if (rc)
                return rc;
            p += n;
        }
    }
    if (d->n_personas < QUIZ_MIN_PERSONAS)
        return set_err(d, err_key, "quiz.err_personas_count", NULL, 0);
    if (d->n_questions == 0)
        return set_err(d, err_key, "quiz.err_questions_count", NULL, 0);
    for (int i = 0; i < d->n_questions; i++)
        if (d->questions[i].n_answers < QUIZ_MIN_ANSWERS)
            return set_err(d, err_key, "quiz.err_answers_count", d->questions[i].text,
                           strlen(d->questions[i].text));
    for (int p = 0; p < d->n_personas; p++) {
        int reachable = 0;
        for (int i = 0; i < d->n_questions && !reachable; i++)
            for (int a = 0; a < d->questions[i].n_answers; a++)
                reachable |= d->questions[i].answers[a].weight[p] > 0;
        if (!reachable)
            return set_err(d, err_key, "quiz.err_unreachable", d->personas[p].name, strlen(d->personas[p].name));
    }
    return KB_OK;
}

int quiz_pick(const int64_t *scores, const int64_t *hits, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (scores[i] > scores[best] || (scores[i] == scores[best] && hits[i] > hits[best]))
            best = i;
    return best;
}

int quiz_answer_parse(const char *s, int n)
{
    size_t len;
    s = command_trim_span(s ? s : "", s ? strlen(s) : 0, &len);
    if (len == 0 || len > 8)
        return -1;
    uint32_t cp;
    size_t used = utf8_decode(s, len, &cp);
    int i = -1;
    if (cp >= '1' && cp <= '9')
        i = (int)(cp - '1');
    else if (cp >= 0xFF11 && cp <= 0xFF19) /* １…９ */
        i = (int)(cp - 0xFF11);
    else if (cp >= 'A' && cp <= 'Z')
        i = (int)(cp - 'A');
    else if (cp >= 'a' && cp <= 'z')
        i = (int)(cp - 'a');
    else if (cp >= 0xFF21 && cp <= 0xFF3A) /* Ａ…Ｚ */
        i = (int)(cp - 0xFF21);
    else if (cp >= 0xFF41 && cp <= 0xFF5A) /* ａ…ｚ */
        i = (int)(cp - 0xFF41);
    if (i < 0 || i >= n)
        return -1;
    if (used < len) { /* one closing mark: "B." "2、" "B)" "Ｂ。" */
        uint32_t m;
        size_t k = utf8_decode(s + used, len - used, &m);
        if (used + k != len || !(m == '.' || m == ')' || m == 0x3001 || m == 0x3002 || m == 0xFF0E || m == 0xFF09))
            return -1;
    }
    return i;
}

int64_t quiz_retake_wait(int64_t now, int64_t last_at, int64_t retake_s)
{
    if (retake_s < 0)
        return -1;
    int64_t at = last_at + retake_s;
    return now >= at ? 0 : at - now;
}

/* ==== stored quizzes and sessions ======================================== */

struct quiz {
    int64_t id, community_id;
    int open;
    struct quiz_def d;
};

/* Load quiz id of the community (owned: free); KB_ENOTFOUND when none. */
static int quiz_load(struct engine *e, int64_t community_id, int64_t id, struct quiz **out)
{
    *out = NULL;
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT source, retake_s, state = 'open' FROM quizzes WHERE id = ? AND community_id = ?",
                                  VALS(SI(id), SI(community_id)));
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    if (rc == 1) {
        struct quiz *q = xcalloc(1, sizeof *q);
        const char *key;
        q->id = id;
        q->community_id = community_id;
        q->open = (int)store_int(s, 2);
        int64_t retake = store_int(s, 1);
        rc = quiz_definition_parse(store_text(s, 0), retake, &q->d, &key) ? KB_ESTORE : KB_OK;
        q->d.retake_s = retake; /* as decided when it was created */
        if (rc)
            free(q);
        else
            *out = q;
    } else if (rc == 0) {
        rc = KB_ENOTFOUND;
    }
    store_done(s);
    if (rc == KB_ESTORE)
        engine_log(e, KB_LOG_ERROR, "quiz %lld: its stored definition no longer parses", (long long)id);
    return rc;
}

struct session {
    int64_t id, quiz_id, member_id, step;
    int open, in_private;
    char platform[32], chat_id[128];
    char group_platform[32], group_chat[128]; /* where a result is shared; "" = none */
};

static void copy_text(char *dst, size_t cap, const char *s)
{
    size_t n = utf8_clip(s, strlen(s), cap - 1);
    memcpy(dst, s, n);
    dst[n] = '\0';
}

#define SESSION_COLUMNS "id, quiz_id, member_id, step, state = 'open', in_private, platform, chat_id," \
                        " group_platform, group_chat"

static void session_read(sqlite3_stmt *s, struct session *ss)
{
    ss->id = store_int(s, 0);
    ss->quiz_id = store_int(s, 1);
    ss->member_id = store_int(s, 2);
    ss->step = store_int(s, 3);
    ss->open = (int)store_int(s, 4);
    ss->in_private = (int)store_int(s, 5);
    copy_text(ss->platform, sizeof ss->platform, store_text(s, 6));
    copy_text(ss->chat_id, sizeof ss->chat_id, store_text(s, 7));
    copy_text(ss->group_platform, sizeof ss->group_platform, store_text(s, 8));
    copy_text(ss->group_chat, sizeof ss->group_chat, store_text(s, 9));
}

/* The first row of a session query into ss; KB_ENOTFOUND when none. */
static int session_from(struct engine *e, sqlite3_stmt *s, struct session *ss)
{
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    if (rc == 1)
        session_read(s, ss);
    store_done(s);
    return rc < 0 ? rc : rc == 1 ? KB_OK : KB_ENOTFOUND;
}

static int session_load(struct engine *e, int64_t community_id, int64_t id, struct session *ss)
{
    return session_from(e, store_query(e->st, "SELECT " SESSION_COLUMNS " FROM quiz_sessions WHERE id = ? AND community_id = ?",
                                       VALS(SI(id), SI(community_id))),
                        ss);
}

/* The member's latest open session that takes typed answers in this chat
   (where its questions go, or the group it started from). */
static int session_here(struct cmd_ctx *c, struct session *ss)
{
    return session_from(c->e,
                        store_query(c->st,
                                    "SELECT " SESSION_COLUMNS " FROM quiz_sessions WHERE member_id = ?1 AND state = 'open'"
                                    " AND ((platform = ?2 AND chat_id = ?3) OR (group_platform = ?2 AND group_chat = ?3))"
                                    " ORDER BY id DESC LIMIT 1",
                                    VALS(SI(c->member_id), ST(c->ev->platform), ST(c->ev->chat_id))),
                        ss);
}

/* ==== replies ============================================================= */

/* Send markup to the session's chat: a reply when that is where the member
   spoke, else a new message (the private chat keeps the "private:" ref, so
   a refused one falls back to the group). */
static int session_send(struct cmd_ctx *c, const struct session *ss, const char *markup, const char *buttons)
{
    int here = !strcmp(ss->platform, c->ev->platform) && !strcmp(ss->chat_id, c->ev->chat_id);
    char ref[40];
    if (ss->in_private)
        snprintf(ref, sizeof ref, "private:%lld", (long long)ss->member_id);
    else
        snprintf(ref, sizeof ref, "quiz:%lld", (long long)ss->id);
    struct kb_reply r = {.kind = KB_REPLY_SEND, .platform = ss->platform, .chat_id = ss->chat_id,
                         .thread_id = here ? c->ev->thread_id : NULL,
                         .reply_to = here && c->ev->kind == KB_EV_MESSAGE ? c->ev->message_id : NULL,
                         .text = markup, .buttons = buttons};
    return outbox_add(c->e, &r, ref, c->now);
}

static char answer_letter(int i)
{
    return (char)('A' + i);
}

/* The session's current question with one button per answer. */
static int send_question(struct cmd_ctx *c, const struct quiz *q, const struct session *ss, const char *lead_key)
{
    const struct quiz_question *qq = &q->d.questions[ss->step];
    struct sbuf b = {0}, buttons = {0};
    if (lead_key) {
        text_format(&b, c->lang, lead_key, ARGS(TU("title", q->d.title)));
        sbuf_addc(&b, '\n');
    }
    text_format(&b, c->lang, "quiz.question",
                ARGS(TU("title", q->d.title), TI("n", ss->step + 1), TI("total", q->d.n_questions),
                     TU("question", qq->text)));
    for (int i = 0; i < qq->n_answers; i++) {
        sbuf_addf(&b, "\n%c. ", answer_letter(i));
        text_user(&b, qq->answers[i].text);
        if (i)
            sbuf_addc(&buttons, '\n');
        sbuf_addf(&buttons, "%c. ", answer_letter(i));
        text_user_block(&buttons, qq->answers[i].text);
        sbuf_addf(&buttons, "%c/quiz answer %lld %lld %d", KB_BUTTON_FIELD_SEP, (long long)ss->id,
                  (long long)ss->step + 1, i + 1);
    }
    char last[2] = {answer_letter(qq->n_answers - 1), '\0'};
    sbuf_addc(&b, '\n');
    text_format(&b, c->lang, "quiz.how", ARGS(TS("last", last), TI("n", qq->n_answers)));
    int rc = session_send(c, ss, b.s, buttons.s);
    sbuf_free(&b);
    sbuf_free(&buttons);
    return rc;
}

/* ==== results ============================================================= */

struct result {
    int64_t id, at, shared_at;
    int persona;
    int64_t scores[QUIZ_MAX_PERSONAS];
};

/* The member's totals from their answers. */
static int session_scores(struct engine *e, const struct quiz *q, int64_t session_id, int64_t *scores, int64_t *hits)
{
    memset(scores, 0, QUIZ_MAX_PERSONAS * sizeof *scores);
    memset(hits, 0, QUIZ_MAX_PERSONAS * sizeof *hits);
    sqlite3_stmt *s = store_query(e->st, "SELECT q, choice FROM quiz_answers WHERE session_id = ?", VALS(SI(session_id)));
    if (!s)
        return store_failure(e->st);
    int rc;
    while ((rc = store_step(e->st, s)) == 1) {
        int64_t qi = store_int(s, 0), ai = store_int(s, 1);
        if (qi < 0 || qi >= q->d.n_questions || ai < 0 || ai >= q->d.questions[qi].n_answers)
            continue;
        const struct quiz_answer *a = &q->d.questions[qi].answers[ai];
        for (int p = 0; p < q->d.n_personas; p++) {
            scores[p] += a->weight[p];
            hits[p] += a->weight[p] > 0;
        }
    }
    store_done(s);
    return rc < 0 ? rc : KB_OK;
}

/* The shareable card: who, which persona, its text and badge, the totals,
   and how others take the quiz. */
static void render_card(struct cmd_ctx *c, const struct quiz *q, int64_t member_id, const struct result *r,
                        int badge_new, struct sbuf *b)
{
    const struct quiz_persona *p = &q->d.personas[r->persona];
    struct sbuf who = {0}, totals = {0};
    member_name(c->e, member_id, &who);
    int order[QUIZ_MAX_PERSONAS];
    for (int i = 0; i < q->d.n_personas; i++)
        order[i] = i;
    for (int i = 1; i < q->d.n_personas; i++) /* highest first, stable */
        for (int k = i; k > 0 && r->scores[order[k]] > r->scores[order[k - 1]]; k--) {
            int t = order[k];
            order[k] = order[k - 1];
            order[k - 1] = t;
        }
    for (int i = 0; i < q->d.n_personas; i++) {
        if (!r->scores[order[i]])
            continue;
        if (totals.len)
            sbuf_add(&totals, " · ");
        text_user(&totals, q->d.personas[order[i]].name);
        sbuf_addf(&totals, " %lld", (long long)r->scores[order[i]]);
    }
    text_format(b, c->lang, "quiz.card",
                ARGS(TU("title", q->d.title), TS("name", who.s), TU("persona", p->name), TU("text", p->text),
                     TS("totals", totals.s), TI("id", q->id)));
    if (p->badge[0]) {
        sbuf_addc(b, '\n');
        text_format(b, c->lang, badge_new ? "quiz.card_badge_new" : "quiz.card_badge", ARGS(TU("badge", p->badge)));
    }
    sbuf_addc(b, '\n');
    text_format(b, c->lang, "quiz.card_invite", ARGS(TI("id", q->id), TU("title", q->d.title)));
    sbuf_free(&who);
    sbuf_free(&totals);
}

/* The member's latest result of quiz (r->id = 0 when none). */
static int last_result(struct engine *e, int64_t quiz_id, int64_t member_id, struct result *r)
{
    memset(r, 0, sizeof *r);
    sqlite3_stmt *s = store_query(e->st,
                                  "SELECT id, at, persona, coalesce(shared_at, 0) FROM quiz_results"
                                  " WHERE quiz_id = ? AND member_id = ? ORDER BY id DESC LIMIT 1",
                                  VALS(SI(quiz_id), SI(member_id)));
    if (!s)
        return store_failure(e->st);
    int rc = store_step(e->st, s);
    if (rc == 1) {
        r->id = store_int(s, 0);
        r->at = store_int(s, 1);
        r->persona = (int)store_int(s, 2);
        r->shared_at = store_int(s, 3);
    }
    store_done(s);
    return rc < 0 ? rc : KB_OK;
}

/* The last question was answered: the result, the tag (moved from the
   persona of an earlier result of this quiz), the badge once, the card. */
static int session_finish(struct cmd_ctx *c, const struct quiz *q, const struct session *ss)
{
    struct result prev, r = {0};
    int64_t hits[QUIZ_MAX_PERSONAS];
    int rc = last_result(c->e, q->id, ss->member_id, &prev);
    if (!rc)
        rc = session_scores(c->e, q, ss->id, r.scores, hits);
    if (rc)
        return rc;
    r.persona = quiz_pick(r.scores, hits, q->d.n_personas);
    r.at = c->at; /* the message's own time, as a retake is measured by */
    const struct quiz_persona *p = &q->d.personas[r.persona];
    char source[32];
    snprintf(source, sizeof source, "quiz:%lld", (long long)q->id);
    int changed = 0, held = 1, badge_new = 0;
    rc = store_exec(c->st, "UPDATE quiz_sessions SET state = 'done', finished_at = ? WHERE id = ? AND state = 'open'",
                    VALS(SI(c->now), SI(ss->id)));
    if (!rc && prev.id && prev.persona != r.persona && prev.persona < q->d.n_personas)
        rc = tag_take(c->e, ss->member_id, q->d.personas[prev.persona].name, source, &changed);
    if (!rc)
        rc = tag_give(c->e, q->community_id, ss->member_id, p->name, source, 0, c->now, &changed);
    if (!rc && p->badge[0])
        rc = standing_has_item(c->e, ss->member_id, "badge", p->badge, &held);
    if (!rc && !held) {
        struct ledger_entry le = {.community_id = q->community_id, .member_id = ss->member_id, .kind = "badge",
                                  .amount = 1, .unit = p->badge, .reason = "quiz", .ref = source, .at = c->now};
        rc = ledger_add(c->e, &le, &badge_new);
    }
    struct sbuf scores = {0};
    for (int i = 0; i < q->d.n_personas; i++)
        sbuf_addf(&scores, "%s%lld", i ? "," : "", (long long)r.scores[i]);
    if (!rc)
        rc = store_exec(c->st,
                        "INSERT INTO quiz_results(session_id, quiz_id, community_id, member_id, persona, scores, at,"
                        " shared_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        VALS(SI(ss->id), SI(q->id), SI(q->community_id), SI(ss->member_id), SI(r.persona),
                             ST(scores.s), SI(r.at), ss->in_private ? SN : SI(c->now)));
    sbuf_free(&scores);
    if (rc)
        return rc;
    r.id = store_last_id(c->st);
    struct sbuf card = {0}, buttons = {0};
    render_card(c, q, ss->member_id, &r, badge_new, &card);
    if (ss->in_private && ss->group_chat[0]) {
        sbuf_addf(&buttons, "%s%c/quiz share %lld", text_get(c->lang, "quiz.button_share"), KB_BUTTON_FIELD_SEP,
                  (long long)r.id);
        sbuf_addc(&card, '\n');
        text_format(&card, c->lang, "quiz.share_hint", ARGS(TI("result", r.id)));
    }
    rc = session_send(c, ss, card.s, buttons.s);
    sbuf_free(&card);
    sbuf_free(&buttons);
    return rc;
}

/* Take answer choice (0-based) for question qi (0-based) of the session. */
static int session_answer(struct cmd_ctx *c, const struct session *ss, int64_t qi, int choice)
{
    struct quiz *q = NULL;
    int rc = quiz_load(c->e, c->comm.id, ss->quiz_id, &q);
    if (rc == KB_ENOTFOUND)
        return ctx_refuse(c, "quiz.err_unknown", ARGS(TI("id", ss->quiz_id)));
    if (rc)
        return rc;
    if (!ss->open || qi != ss->step || qi >= q->d.n_questions) {
        rc = ctx_refuse(c, ss->open ? "quiz.err_stale" : "quiz.err_finished", NOARGS);
        goto out;
    }
    if (choice < 0 || choice >= q->d.questions[qi].n_answers) {
        char last[2] = {answer_letter(q->d.questions[qi].n_answers - 1), '\0'};
        rc = ctx_refuse(c, "quiz.err_choice", ARGS(TS("last", last), TI("n", q->d.questions[qi].n_answers)));
        goto out;
    }
    rc = store_exec(c->st, "INSERT INTO quiz_answers(session_id, q, choice, at) VALUES (?, ?, ?, ?)",
                    VALS(SI(ss->id), SI(qi), SI(choice), SI(c->at)));
    if (!rc)
        rc = store_exec(c->st, "UPDATE quiz_sessions SET step = step + 1 WHERE id = ?", VALS(SI(ss->id)));
    if (rc)
        goto out;
    if (c->ev->kind == KB_EV_CALLBACK) {
        char letter[2] = {answer_letter(choice), '\0'};
        c->toast.len = 0;
        text_format(&c->toast, c->lang, "quiz.answered_toast", ARGS(TS("letter", letter)));
    }
    struct session next = *ss;
    next.step = qi + 1;
    rc = next.step < q->d.n_questions ? send_question(c, q, &next, NULL) : session_finish(c, q, &next);
out:
    free(q);
    return rc;
}

/* ==== starting ============================================================ */

/* The member's private chat with the bot on the event's platform, when one
   takes messages. */
static int private_chat_of(struct cmd_ctx *c, char *chat, size_t cap)
{
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT ch.chat_id FROM members m JOIN chats ch INDEXED BY chats_private_user ON ch.platform = m.platform"
                                  " AND ch.user_id = m.user_id AND ch.is_private = 1"
                                  " AND ch.community_id = m.community_id" /* answers there reach this community */
                                  " WHERE m.id = ? AND ch.active = 1 ORDER BY ch.created_at DESC LIMIT 1",
                                  VALS(SI(c->member_id)));
    if (!s)
        return store_failure(c->st);
    int rc = store_step(c->st, s);
    if (rc == 1)
        copy_text(chat, cap, store_text(s, 0));
    store_done(s);
    return rc < 0 ? rc : rc == 1 ? KB_OK : KB_ENOTFOUND;
}

/* A group of the community on the event's platform (the latest), for a
   quiz started in a private chat. */
static int group_of(struct cmd_ctx *c, char *chat, size_t cap)
{
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT chat_id FROM chats WHERE community_id = ? AND platform = ? AND is_private = 0"
                                  " AND active = 1 ORDER BY created_at DESC LIMIT 1",
                                  VALS(SI(c->comm.id), ST(c->ev->platform)));
    if (!s)
        return store_failure(c->st);
    int rc = store_step(c->st, s);
    chat[0] = '\0';
    if (rc == 1)
        copy_text(chat, cap, store_text(s, 0));
    store_done(s);
    return rc < 0 ? rc : KB_OK;
}

static int quiz_start(struct cmd_ctx *c, int64_t quiz_id)
{
    struct quiz *q = NULL;
    int rc = quiz_load(c->e, c->comm.id, quiz_id, &q);
    if (rc == KB_ENOTFOUND)
        return ctx_refuse(c, "quiz.err_unknown", ARGS(TI("id", quiz_id)));
    if (rc)
        return rc;
    struct session ss;
    memset(&ss, 0, sizeof ss);
    rc = session_from(c->e,
                      store_query(c->st, "SELECT " SESSION_COLUMNS " FROM quiz_sessions WHERE quiz_id = ? AND member_id = ?"
                                         " AND state = 'open'",
                                  VALS(SI(q->id), SI(c->member_id))),
                      &ss);
    if (rc == KB_OK) { /* under way: the current question again */
        rc = send_question(c, q, &ss, "quiz.resume");
        goto out;
    }
    if (rc != KB_ENOTFOUND)
        goto out;
    if (!q->open) {
        rc = ctx_refuse(c, "quiz.err_closed", ARGS(TI("id", q->id), TU("title", q->d.title)));
        goto out;
    }
    struct result last;
    rc = last_result(c->e, q->id, c->member_id, &last);
    if (rc)
        goto out;
    int64_t wait = last.id ? quiz_retake_wait(c->at, last.at, q->d.retake_s) : 0;
    if (wait) {
        char when[32];
        when_format(c->at + wait, c->comm.tz, when, sizeof when);
        rc = ctx_refuse(c, wait < 0 ? "quiz.err_once" : "quiz.err_retake_wait",
                 ARGS(TU("title", q->d.title), TU("persona", q->d.personas[last.persona].name), TS("when", when)));
        goto out;
    }
    /* where the questions go: the private chat when there is one */
    int in_private = c->ev->chat_type == KB_CHAT_PRIVATE;
    char chat[128], group[128] = "";
    copy_text(chat, sizeof chat, c->ev->chat_id);
    if (in_private) {
        rc = group_of(c, group, sizeof group);
    } else {
        copy_text(group, sizeof group, c->ev->chat_id);
        rc = private_chat_of(c, chat, sizeof chat);
        in_private = rc == KB_OK;
        rc = rc == KB_ENOTFOUND ? KB_OK : rc;
    }
    if (rc)
        goto out;
    sqlite3_stmt *s = store_query(
        c->st,
        "INSERT INTO quiz_sessions(quiz_id, community_id, member_id, in_private, platform, chat_id,"
        " group_platform, group_chat, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING " SESSION_COLUMNS,
        VALS(SI(q->id), SI(c->comm.id), SI(c->member_id), SI(in_private), ST(c->ev->platform), ST(chat),
             ST(group[0] ? c->ev->platform : ""), ST(group), SI(c->now)));
    if (!s) {
        rc = store_failure(c->st);
        goto out;
    }
    rc = store_step(c->st, s);
    if (rc == 1) {
        session_read(s, &ss);
        rc = store_step(c->st, s) < 0 ? store_failure(c->st) : KB_OK;
    } else {
        rc = store_failure(c->st);
    }
    store_done(s);
    if (!rc && in_private && c->ev->chat_type != KB_CHAT_PRIVATE) {
        struct sbuf who = {0};
        member_name(c->e, c->member_id, &who);
        rc = ctx_refuse(c, "quiz.sent_private", ARGS(TS("name", who.s), TU("title", q->d.title)));
        sbuf_free(&who);
    }
    if (!rc)
        rc = send_question(c, q, &ss, last.id ? "quiz.retake_lead" : "quiz.start_lead");
out:
    free(q);
    return rc;
}

/* /quiz with nothing after it: the only open quiz, or the list. */
static int quiz_start_default(struct cmd_ctx *c)
{
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT id, source FROM quizzes WHERE community_id = ? AND state = 'open' ORDER BY id LIMIT 20",
                                  VALS(SI(c->comm.id)));
    if (!s)
        return store_failure(c->st);
    struct sbuf b = {0};
    int64_t first = 0, n = 0;
    int rc;
    text_format(&b, c->lang, "quiz.list_open_head", NOARGS);
    while ((rc = store_step(c->st, s)) == 1) {
        if (!n++)
            first = store_int(s, 0);
        const char *src = store_text(s, 1);
        size_t tlen;
        const char *title = command_trim_span(src, strcspn(src, "\n"), &tlen);
        char *t = xstrndup(title, tlen);
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "quiz.list_open_line", ARGS(TI("id", store_int(s, 0)), TU("title", t)));
        free(t);
    }
    store_done(s);
    if (rc == 0)
        rc = n == 0 ? ctx_refuse(c, "quiz.none_open", NOARGS) : n == 1 ? quiz_start(c, first) : ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    return rc;
}

/* "#3" or "3" -> 3; 0 when not an id. */
static int64_t parse_id(const char *w)
{
    int64_t id = 0;
    if (w && *w == '#')
        w++;
    return w && !parse_i64(w, 1, INT64_MAX / 2, &id) ? id : 0;
}

/* A typed answer in a chat where the member has a quiz under way;
   *taken = 0 when there is no such session. */
static int typed_answer(struct cmd_ctx *c, const char *text, int *taken)
{
    struct session ss;
    int rc = session_here(c, &ss);
    *taken = rc == KB_OK;
    if (rc)
        return rc == KB_ENOTFOUND ? KB_OK : rc;
    int choice = quiz_answer_parse(text, QUIZ_MAX_ANSWERS);
    return session_answer(c, &ss, ss.step, choice < 0 ? QUIZ_MAX_ANSWERS : choice);
}

/* /quiz [id | answer] for members (alias 测测) */
static int cmd_quiz(struct cmd_ctx *c)
{
    if (!*c->args)
        return quiz_start_default(c);
    int taken = 0, rc = KB_OK;
    if (quiz_answer_parse(c->args, QUIZ_MAX_ANSWERS) >= 0 && (rc = typed_answer(c, c->args, &taken)) != KB_OK)
        return rc;
    if (taken)
        return KB_OK;
    int64_t id = parse_id(c->args);
    return id ? quiz_start(c, id) : ctx_refuse(c, c->is_admin ? "quiz.usage_operator" : "quiz.usage", NOARGS);
}

/* "B" typed in a chat where the member's quiz waits for an answer. */
static int quiz_chatter_wanted(const char *text)
{
    return quiz_answer_parse(text, QUIZ_MAX_ANSWERS) >= 0;
}

static int quiz_on_chatter(struct cmd_ctx *c)
{
    int taken = 0;
    return typed_answer(c, c->args, &taken);
}

/* A reply to a question posted in the group: its text is the answer. */
static int quiz_on_reply(struct cmd_ctx *c, const char *ref)
{
    if (strncmp(ref, "quiz:", 5) != 0)
        return KB_OK;
    struct session ss;
    int rc = session_load(c->e, c->comm.id, parse_id(ref + 5), &ss);
    if (rc == KB_ENOTFOUND || (!rc && (ss.member_id != c->member_id || !ss.open)))
        return KB_OK; /* talk about someone's question, or a finished one */
    if (rc)
        return rc;
    int choice = quiz_answer_parse(c->args, QUIZ_MAX_ANSWERS);
    return choice < 0 ? KB_OK : session_answer(c, &ss, ss.step, choice);
}

/* /quiz answer <session> <question> <answer>: what the buttons send */
static int quiz_answer_cmd(struct cmd_ctx *c)
{
    const char *p = c->args;
    char *w[3];
    int64_t v[3] = {0};
    for (int i = 0; i < 3; i++) {
        w[i] = command_next_word(&p);
        if (w[i] && parse_i64(w[i], 1, INT64_MAX / 2, &v[i]))
            v[i] = 0;
        free(w[i]);
    }
    if (!v[0] || !v[1] || !v[2])
        return ctx_refuse(c, "quiz.usage", NOARGS);
    struct session ss;
    int rc = session_load(c->e, c->comm.id, v[0], &ss);
    if (rc == KB_ENOTFOUND || (!rc && ss.member_id != c->member_id))
        return ctx_refuse(c, "quiz.err_not_yours", NOARGS); /* anyone may press a button in a group */
    if (rc)
        return rc;
    return session_answer(c, &ss, v[1] - 1, v[2] > QUIZ_MAX_ANSWERS ? QUIZ_MAX_ANSWERS : (int)v[2] - 1);
}

/* /quiz share [result]: the card in the group the quiz was started from,
   once. */
static int quiz_share_cmd(struct cmd_ctx *c)
{
    const char *p = c->args;
    char *w = command_next_word(&p);
    int64_t id = parse_id(w);
    free(w);
    sqlite3_stmt *s = store_query(c->st,
                                  "SELECT r.id, r.quiz_id, r.persona, r.scores, coalesce(r.shared_at, 0), x.group_platform,"
                                  " x.group_chat FROM quiz_results r JOIN quiz_sessions x ON x.id = r.session_id"
                                  " WHERE r.member_id = ?1 AND (?2 = 0 OR r.id = ?2) ORDER BY r.id DESC LIMIT 1",
                                  VALS(SI(c->member_id), SI(id)));
    if (!s)
        return store_failure(c->st);
    struct result r = {0};
    int64_t quiz_id = 0;
    char platform[32] = "", group[128] = "";
    int rc = store_step(c->st, s);
    if (rc == 1) {
        r.id = store_int(s, 0);
        quiz_id = store_int(s, 1);
        r.persona = (int)store_int(s, 2);
        const char *sc = store_text(s, 3);
        for (int i = 0; i < QUIZ_MAX_PERSONAS && *sc; i++) {
            r.scores[i] = strtoll(sc, NULL, 10);
            sc += strcspn(sc, ",");
            sc += *sc == ',';
        }
        r.shared_at = store_int(s, 4);
        copy_text(platform, sizeof platform, store_text(s, 5));
        copy_text(group, sizeof group, store_text(s, 6));
    }
    store_done(s);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return ctx_refuse(c, "quiz.err_no_result", NOARGS);
    if (r.shared_at)
        return ctx_refuse(c, "quiz.err_shared", NOARGS);
    if (!group[0])
        return ctx_refuse(c, "quiz.err_no_group", NOARGS);
    struct quiz *q = NULL;
    rc = quiz_load(c->e, c->comm.id, quiz_id, &q);
    if (rc == KB_ENOTFOUND)
        return ctx_refuse(c, "quiz.err_unknown", ARGS(TI("id", quiz_id)));
    if (rc)
        return rc;
    if (r.persona >= q->d.n_personas)
        r.persona = 0;
    struct sbuf card = {0};
    render_card(c, q, c->member_id, &r, 0, &card);
    struct kb_reply out = {.kind = KB_REPLY_SEND, .platform = platform, .chat_id = group, .text = card.s};
    rc = store_exec(c->st, "UPDATE quiz_results SET shared_at = ? WHERE id = ?", VALS(SI(c->now), SI(r.id)));
    if (!rc)
        rc = outbox_add(c->e, &out, NULL, c->now);
    if (!rc)
        rc = ctx_refuse(c, "quiz.shared", NOARGS);
    sbuf_free(&card);
    free(q);
    return rc;
}

/* /quiz stop: give up the quiz under way (its answers are kept, unused). */
static int quiz_stop_cmd(struct cmd_ctx *c)
{
    int rc = store_exec(c->st, "UPDATE quiz_sessions SET state = 'stopped', finished_at = ? WHERE member_id = ?"
                               " AND state = 'open'",
                        VALS(SI(c->now), SI(c->member_id)));
    if (rc)
        return rc;
    return ctx_refuse(c, store_changes(c->st) ? "quiz.stopped" : "quiz.err_none_open", NOARGS);
}

/* ==== operators =========================================================== */

static int quiz_new_cmd(struct cmd_ctx *c)
{
    struct quiz_def *d = xcalloc(1, sizeof *d);
    const char *err = NULL;
    int64_t retake = c->e->set.quiz_retake_s;
    int rc;
    if (!*c->args) {
        rc = ctx_reply(c, "quiz.new_usage", NOARGS);
    } else if (quiz_definition_parse(c->args, retake, d, &err)) {
        struct sbuf b = {0};
        text_format(&b, c->lang, err,
                    ARGS(TU("what", d->err_detail), TI("max_personas", QUIZ_MAX_PERSONAS),
                         TI("max_questions", QUIZ_MAX_QUESTIONS), TI("min", QUIZ_MIN_ANSWERS), TI("max", QUIZ_MAX_ANSWERS),
                         TI("text_max", QUIZ_TEXT_MAX), TI("answer_max", QUIZ_ANSWER_MAX), TI("title_max", QUIZ_TITLE_MAX),
                         TI("badge_max", QUIZ_BADGE_MAX), TI("weight_max", QUIZ_WEIGHT_MAX)));
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, "quiz.new_usage", NOARGS);
        rc = ctx_reply_markup(c, b.s, 0);
        sbuf_free(&b);
    } else {
        int64_t id = 0;
        rc = store_exec(c->st,
                        "INSERT INTO quizzes(community_id, title, source, retake_s, created_by, created_at)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        VALS(SI(c->comm.id), ST(d->title), ST(c->args), SI(d->retake_s), SI(c->member_id), SI(c->now)));
        if (!rc)
            id = store_last_id(c->st);
        char target[32];
        snprintf(target, sizeof target, "quiz:%lld", (long long)id);
        if (!rc)
            rc = audit_add(c, "quiz.new", target, d->title);
        struct sbuf names = {0}, retake_text = {0}, b = {0};
        for (int i = 0; i < d->n_personas; i++) {
            if (i)
                text_format(&names, c->lang, "standing.sep", NOARGS);
            text_user(&names, d->personas[i].name);
            if (d->personas[i].badge[0]) {
                sbuf_add(&names, " 🏅");
                text_user(&names, d->personas[i].badge);
            }
        }
        if (d->retake_s < 0)
            text_format(&retake_text, c->lang, "quiz.retake_never", NOARGS);
        else if (d->retake_s % 86400 == 0)
            text_format(&retake_text, c->lang, "quiz.retake_days", ARGS(TI("n", d->retake_s / 86400)));
        else
            text_format(&retake_text, c->lang, "quiz.retake_hours", ARGS(TI("n", (d->retake_s + 3599) / 3600)));
        if (!rc) {
            text_format(&b, c->lang, "quiz.created",
                        ARGS(TI("id", id), TU("title", d->title), TI("questions", d->n_questions),
                             TI("personas", d->n_personas), TS("names", names.s), TS("retake", retake_text.s)));
            rc = ctx_reply_markup(c, b.s, 0);
        }
        sbuf_free(&names);
        sbuf_free(&retake_text);
        sbuf_free(&b);
    }
    free(d);
    return rc;
}

static int quiz_close_cmd(struct cmd_ctx *c)
{
    int64_t id = parse_id(c->args);
    if (!id)
        return ctx_reply(c, "quiz.usage_operator", NOARGS);
    struct quiz *q = NULL;
    int rc = quiz_load(c->e, c->comm.id, id, &q);
    if (rc == KB_ENOTFOUND)
        return ctx_reply(c, "quiz.err_unknown", ARGS(TI("id", id)));
    if (!rc && !q->open)
        rc = ctx_reply(c, "quiz.err_closed", ARGS(TI("id", id), TU("title", q->d.title)));
    else if (!rc) {
        char target[32];
        snprintf(target, sizeof target, "quiz:%lld", (long long)id);
        rc = store_exec(c->st, "UPDATE quizzes SET state = 'closed' WHERE id = ?", VALS(SI(id)));
        if (!rc) /* a quiz under way ends with it */
            rc = store_exec(c->st, "UPDATE quiz_sessions SET state = 'stopped', finished_at = ? WHERE quiz_id = ?"
                                   " AND state = 'open'",
                            VALS(SI(c->now), SI(id)));
        if (!rc)
            rc = audit_add(c, "quiz.close", target, NULL);
        if (!rc)
            rc = ctx_reply(c, "quiz.closed", ARGS(TI("id", id), TU("title", q->d.title)));
    }
    free(q);
    return rc;
}

/* /quiz list: every quiz, how many took it and where their latest results
   put them. */
static int quiz_list_cmd(struct cmd_ctx *c)
{
    int64_t ids[50];
    size_t n = 0;
    sqlite3_stmt *s = store_query(c->st, "SELECT id FROM quizzes WHERE community_id = ? ORDER BY id DESC LIMIT 50",
                                  VALS(SI(c->comm.id)));
    if (!s)
        return store_failure(c->st);
    int rc;
    while ((rc = store_step(c->st, s)) == 1 && n < 50)
        ids[n++] = store_int(s, 0);
    store_done(s);
    if (rc < 0)
        return rc;
    if (!n)
        return ctx_reply(c, "quiz.none", NOARGS);
    struct sbuf b = {0};
    text_format(&b, c->lang, "quiz.list_head", NOARGS);
    for (size_t i = 0; i < n && !rc; i++) {
        struct quiz *q = NULL;
        rc = quiz_load(c->e, c->comm.id, ids[i], &q);
        if (rc)
            break;
        int64_t counts[QUIZ_MAX_PERSONAS] = {0}, people = 0;
        s = store_query(c->st,
                        "SELECT persona, count(*) FROM quiz_results r WHERE quiz_id = ?1 AND id ="
                        " (SELECT max(id) FROM quiz_results l WHERE l.quiz_id = ?1 AND l.member_id = r.member_id)"
                        " GROUP BY persona",
                        VALS(SI(q->id)));
        if (!s)
            rc = store_failure(c->st);
        while (s && (rc = store_step(c->st, s)) == 1) {
            int64_t p = store_int(s, 0);
            if (p >= 0 && p < q->d.n_personas)
                counts[p] = store_int(s, 1);
            people += store_int(s, 1);
        }
        if (s)
            store_done(s);
        struct sbuf split = {0};
        for (int k = 0; k < q->d.n_personas; k++) {
            sbuf_add(&split, " · ");
            text_user(&split, q->d.personas[k].name);
            sbuf_addf(&split, " %lld", (long long)counts[k]);
        }
        sbuf_addc(&b, '\n');
        text_format(&b, c->lang, q->open ? "quiz.list_line_open" : "quiz.list_line_closed",
                    ARGS(TI("id", q->id), TU("title", q->d.title), TI("people", people), TS("split", split.s)));
        sbuf_free(&split);
        free(q);
        rc = rc < 0 ? rc : KB_OK;
    }
    if (!rc)
        rc = ctx_reply_markup(c, b.s, 0);
    sbuf_free(&b);
    return rc;
}

/* ==== the module ========================================================== */

static const struct cmd_spec commands[] = {
    {"quiz", cmd_quiz, 0, "quiz.help", "测测"},
};

static const struct cmd_sub subs[] = {
    {"quiz", "new", quiz_new_cmd, CMD_OPERATOR, 1, -1},
    {"quiz", "close", quiz_close_cmd, CMD_OPERATOR, 1, 1},
    {"quiz", "list", quiz_list_cmd, CMD_OPERATOR, 0, 0},
    {"quiz", "answer", quiz_answer_cmd, 0, 3, 3},
    {"quiz", "share", quiz_share_cmd, 0, 0, 1},
    {"quiz", "stop", quiz_stop_cmd, 0, 0, 0},
};

static const struct text_entry texts[] = {
    {"quiz.help", "/quiz [编号] — 测一测你是哪一款（答题：点按钮或回复 A/B/C）· /quiz share · /quiz stop",
     "/quiz [id] — take a persona quiz (answer with the buttons or A/B/C) · /quiz share · /quiz stop"},
    {"quiz.help.op", "/quiz new|close|list — 人设测试：新建（/quiz new 查看格式）、关闭、查看结果分布",
     "/quiz new|close|list — persona quizzes: create (/quiz new shows the format), close, see the results"},
    {"quiz.usage", "用法：/quiz [编号] 开始测试；答题时发 A/B/C（或 1/2/3）；/quiz share 把结果发到群里；/quiz stop 放弃",
     "Usage: /quiz [id] to start; answer with A/B/C (or 1/2/3); /quiz share posts your result in the group; /quiz stop gives up"},
    {"quiz.usage_operator",
     "用法：/quiz new 标题 + 每行一项（/quiz new 查看格式）｜/quiz close 编号｜/quiz list｜/quiz [编号] 自己测",
     "Usage: /quiz new TITLE + one item per line (/quiz new shows the format), /quiz close id, /quiz list, /quiz [id] to take one"},
    {"quiz.new_usage",
     "格式（每行一项）：\n/quiz new 测测你是哪一款车主\n人设 城市通勤派 | 每天穿梭在城市里 | 通勤达人\n"
     "人设 周末越野派 | 一到周末就往山里跑\n题 周末你最常去哪？\n- 商场和市区 = 城市通勤派\n"
     "- 山里、河边 = 周末越野派 2\n重测 30d\n（人设：名称 | 介绍 | 徽章(可选)；答案 = 人设 [分值1–10]，多个用逗号；重测：30d、12h、0 或 never）",
     "Format (one item per line):\n/quiz new Which driver are you?\npersona Commuter | in town every day | City badge\n"
     "persona Explorer | off to the hills every weekend\nq Where do you go on weekends?\n- the mall = Commuter\n"
     "- the mountains = Explorer 2\nretake 30d\n(persona: name | text | badge (optional); answer = persona [points 1–10], several with commas; retake: 30d, 12h, 0 or never)"},
    {"quiz.err_long", "测试定义太长了。", "The quiz definition is too long."},
    {"quiz.err_bad_text", "测试定义里有无法识别的字符。", "The quiz definition contains characters I can't read."},
    {"quiz.err_title", "第一行写测试标题（最多 {title_max} 字）。", "The first line is the quiz's title (at most {title_max} characters)."},
    {"quiz.err_line", "看不懂这一行：{what}（每行以 人设、题、- 或 重测 开头）",
     "I can't read this line: {what} (each line starts with persona, q, - or retake)"},
    {"quiz.err_persona_name", "人设名称 {what} 不行：它会成为成员标签，最多 16 个字、不能有空格。",
     "The persona name {what} won't do: it becomes a member tag, so at most 16 characters and no spaces."},
    {"quiz.err_persona_twice", "人设 {what} 重复了。", "The persona {what} appears twice."},
    {"quiz.err_persona_text", "人设 {what} 需要一段介绍（最多 {text_max} 字）：人设 名称 | 介绍 | 徽章",
     "The persona {what} needs a short text (at most {text_max} characters): persona NAME | text | badge"},
    {"quiz.err_badge", "徽章名 {what} 太长了（最多 {badge_max} 字）。", "The badge name {what} is too long (at most {badge_max} characters)."},
    {"quiz.err_personas_count", "测试需要 2–{max_personas} 个人设。", "A quiz needs 2–{max_personas} personas."},
    {"quiz.err_questions_count", "测试需要 1–{max_questions} 道题（以 题 开头的行）。",
     "A quiz needs 1–{max_questions} questions (lines starting with q)."},
    {"quiz.err_question_long", "题目不能为空，最多 {text_max} 字：{what}", "A question must not be empty and has at most {text_max} characters: {what}"},
    {"quiz.err_answer_first", "答案 {what} 前面要先写一道题（题 …）。", "The answer {what} needs a question before it (q …)."},
    {"quiz.err_answers_count", "题目 {what} 需要 {min}–{max} 个答案。", "The question {what} needs {min}–{max} answers."},
    {"quiz.err_answer_long", "答案不能为空，最多 {answer_max} 字：{what}", "An answer must not be empty and has at most {answer_max} characters: {what}"},
    {"quiz.err_weights", "答案 {what} 要写给哪个人设加分：- 答案 = 人设 [分值]",
     "The answer {what} must say which persona it scores for: - answer = persona [points]"},
    {"quiz.err_unknown_persona", "没有定义人设 {what}（先写 人设 {what} | 介绍）。",
     "There is no persona {what} (define it with persona {what} | text)."},
    {"quiz.err_weight", "分值不对：{what}（每个答案给一个人设 1–{weight_max} 分）。",
     "Bad points: {what} (an answer gives a persona 1–{weight_max} points)."},
    {"quiz.err_retake", "看不懂重测间隔 {what}：写 30d、12h、0（随时）或 never（不能重测）。",
     "I can't read the retake interval {what}: write 30d, 12h, 0 (any time) or never."},
    {"quiz.err_unreachable", "没有任何答案给人设 {what} 加分，谁也测不出它。",
     "No answer gives the persona {what} any points, so nobody could ever get it."},
    {"quiz.created", "✅ 已创建测试 #{id}《{title}》：{questions} 道题，{personas} 个人设（{names}），{retake}。\n成员发 /quiz {id}（或 /测测）就能开始。",
     "✅ Quiz #{id} “{title}” created: {questions} questions, {personas} personas ({names}), {retake}.\nMembers start it with /quiz {id}."},
    {"quiz.retake_days", "{n} 天后可以重测", "retake after {n} days"},
    {"quiz.retake_hours", "{n} 小时后可以重测", "retake after {n} hours"},
    {"quiz.retake_never", "不能重测", "no retakes"},
    {"quiz.closed", "🔒 测试 #{id}《{title}》已关闭，进行中的测试也已结束。", "🔒 Quiz #{id} “{title}” is closed; quizzes under way ended with it."},
    {"quiz.none", "还没有测试。/quiz new 创建一个。", "No quizzes yet. /quiz new creates one."},
    {"quiz.none_open", "现在没有可以参加的测试。", "There is no quiz to take right now."},
    {"quiz.list_head", "<b>人设测试</b>（人数按每人最近一次结果）", "<b>Persona quizzes</b> (counted by each member's latest result)"},
    {"quiz.list_line_open", "#{id}《{title}》· 进行中 · {people} 人测过{split}", "#{id} “{title}” · open · {people} took it{split}"},
    {"quiz.list_line_closed", "#{id}《{title}》· 已关闭 · {people} 人测过{split}", "#{id} “{title}” · closed · {people} took it{split}"},
    {"quiz.list_open_head", "<b>可以参加的测试</b>", "<b>Quizzes to take</b>"},
    {"quiz.list_open_line", "#{id}《{title}》— 发 /quiz {id} 开始", "#{id} “{title}” — send /quiz {id}"},
    {"quiz.start_lead", "🧩 开始测试《{title}》！", "🧩 Let's go: “{title}”!"},
    {"quiz.retake_lead", "🧩 重新测一次《{title}》！", "🧩 Retaking “{title}”!"},
    {"quiz.resume", "🧩 接着答《{title}》：", "🧩 Carrying on with “{title}”:"},
    {"quiz.question", "<b>第 {n}/{total} 题</b> {question}", "<b>Question {n}/{total}</b> {question}"},
    {"quiz.how", "点按钮，或回复 A–{last}（也可以回 1–{n}）", "Press a button, or reply A–{last} (or 1–{n})"},
    {"quiz.sent_private", "📩 {name}，《{title}》的题目已经私信发给你了。", "📩 {name}, I sent you “{title}” in a private chat."},
    {"quiz.answered_toast", "已选 {letter}", "Chose {letter}"},
    {"quiz.card", "🚗 <b>《{title}》测试结果</b>\n{name} 是 <b>{persona}</b>！\n{text}\n📊 {totals}",
     "🚗 <b>“{title}” result</b>\n{name} is <b>{persona}</b>!\n{text}\n📊 {totals}"},
    {"quiz.card_badge_new", "🏅 获得徽章 <b>{badge}</b>", "🏅 New badge: <b>{badge}</b>"},
    {"quiz.card_badge", "🏅 徽章 {badge}（已拥有）", "🏅 Badge {badge} (already yours)"},
    {"quiz.card_invite", "👉 你是哪一款？发 /quiz {id} 测一测", "👉 Which one are you? Send /quiz {id}"},
    {"quiz.share_hint", "想让群里也看到？点下面的按钮或发 /quiz share（也可以直接转发这条消息）。",
     "Want the group to see it? Press the button below or send /quiz share (or just forward this message)."},
    {"quiz.button_share", "📣 分享到群里", "📣 Share in the group"},
    {"quiz.shared", "📣 已分享到群里。", "📣 Shared in the group."},
    {"quiz.stopped", "已放弃这次测试，想测时再发 /quiz。", "Quiz abandoned; send /quiz when you want to start again."},
    {"quiz.err_none_open", "你现在没有进行中的测试。", "You have no quiz under way."},
    {"quiz.err_unknown", "没有编号为 #{id} 的测试。", "There is no quiz #{id}."},
    {"quiz.err_closed", "测试 #{id}《{title}》已经关闭了。", "Quiz #{id} “{title}” is closed."},
    {"quiz.err_once", "你已经测过《{title}》了（结果：{persona}），这个测试不能重测。",
     "You already took “{title}” (result: {persona}); this quiz has no retakes."},
    {"quiz.err_retake_wait", "你已经测过《{title}》了（结果：{persona}），{when} 之后可以重测。",
     "You already took “{title}” (result: {persona}); you can retake it from {when}."},
    {"quiz.err_stale", "这道题已经答过了，请看最新的题目。", "That question is already answered; see the latest one."},
    {"quiz.err_finished", "这次测试已经结束了。", "That quiz is already over."},
    {"quiz.err_choice", "请选 A–{last}（或 1–{n}）。", "Choose A–{last} (or 1–{n})."},
    {"quiz.err_not_yours", "这是别人的测试题，发 /quiz 开始你自己的吧。", "That is someone else's quiz; send /quiz to take your own."},
    {"quiz.err_no_result", "你还没有测试结果，先发 /quiz 测一测。", "You have no quiz result yet; send /quiz first."},
    {"quiz.err_shared", "这个结果已经分享过了。", "That result is already shared."},
    {"quiz.err_no_group", "找不到可以分享的群，直接转发这条结果吧。", "I know no group to share it in; forward the result instead."},
    {"audit.quiz.new", "创建测试", "created the quiz"},
    {"audit.quiz.close", "关闭测试", "closed the quiz"},
    {"audit.target.quiz", "测试 #{id}", "quiz #{id}"},
};

static const char *const migrations[] = {
    /* 1: quizzes (their definition text), sessions, answers, results */
    "CREATE TABLE quizzes ("
    "  id INTEGER PRIMARY KEY,"
    "  community_id INTEGER NOT NULL,"
    "  title TEXT NOT NULL,"
    "  source TEXT NOT NULL,"          /* the /quiz new text, parsed again when loaded */
    "  retake_s INTEGER NOT NULL,"     /* -1 = never */
    "  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open','closed')),"
    "  created_by INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL"
    ") STRICT;"
    "CREATE TABLE quiz_sessions ("
    "  id INTEGER PRIMARY KEY,"
    "  quiz_id INTEGER NOT NULL REFERENCES quizzes(id),"
    "  community_id INTEGER NOT NULL,"
    "  member_id INTEGER NOT NULL REFERENCES members(id),"
    "  in_private INTEGER NOT NULL,"
    "  platform TEXT NOT NULL,"        /* where the questions go */
    "  chat_id TEXT NOT NULL,"
    "  group_platform TEXT NOT NULL DEFAULT '',"  /* where a result is shared */
    "  group_chat TEXT NOT NULL DEFAULT '',"
    "  step INTEGER NOT NULL DEFAULT 0,"  /* the question waiting for an answer */
    "  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open','done','stopped')),"
    "  started_at INTEGER NOT NULL,"
    "  finished_at INTEGER"
    ") STRICT;"
    "CREATE UNIQUE INDEX quiz_sessions_open ON quiz_sessions(quiz_id, member_id) WHERE state = 'open';"
    "CREATE INDEX quiz_sessions_member ON quiz_sessions(member_id, state);"
    "CREATE TABLE quiz_answers ("
    "  session_id INTEGER NOT NULL REFERENCES quiz_sessions(id),"
    "  q INTEGER NOT NULL,"
    "  choice INTEGER NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  PRIMARY KEY (session_id, q)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE TABLE quiz_results ("
    "  id INTEGER PRIMARY KEY,"
    "  session_id INTEGER NOT NULL UNIQUE REFERENCES quiz_sessions(id),"
    "  quiz_id INTEGER NOT NULL,"
    "  community_id INTEGER NOT NULL,"
    "  member_id INTEGER NOT NULL REFERENCES members(id),"
    "  persona INTEGER NOT NULL,"      /* index in the definition */
    "  scores TEXT NOT NULL,"          /* the totals, comma-separated, in persona order */
    "  at INTEGER NOT NULL,"
    "  shared_at INTEGER"              /* posted in the group (a quiz taken there: at once) */
    ") STRICT;"
    "CREATE INDEX quiz_results_member ON quiz_results(quiz_id, member_id);",
};

static const struct kb_setting settings[] = {
    {.path = "quiz", .type = KB_SETTING_SECTION},
    {.path = "quiz.retake_days", .type = KB_SETTING_INT, .off = offsetof(struct engine_settings, quiz_retake_s),
     .max = 3650, .scale = 86400, .dnum = 30},
};

const struct kb_module quiz_module = {
    .name = "quiz",
    .commands = commands,
    .n_commands = KB_COUNT(commands),
    .subs = subs,
    .n_subs = KB_COUNT(subs),
    .texts = texts,
    .n_texts = KB_COUNT(texts),
    .on_reply = quiz_on_reply,
    .migrations = migrations,
    .n_migrations = KB_COUNT(migrations),
    .settings = settings,
    .n_settings = KB_COUNT(settings),
    .chatter_wanted = quiz_chatter_wanted,
    .on_chatter = quiz_on_chatter,
};
