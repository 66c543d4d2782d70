/* Polls and votes: the definition parser, choices, votes and re-votes,
   rewards, refusals, eligibility, closing, live edits, replies, listings. */
#include "../test.h"
#include "../support/fixture.h"

#include "../../core/defn.h"
#include "../../core/ledger.h"
#include "../../core/poll.h"
#include "../../core/top.h"
#include "../../core/tz.h"

static const int64_t T0 = 1795391940; /* 2026-11-23 07:59 Asia/Shanghai */
static const char *TZ = "Asia/Shanghai";
/* the isolates text_user puts around untrusted text */
#define FSI "\xE2\x81\xA8"
#define PDI "\xE2\x81\xA9"

/* The pending outbox as text, each row marked sent with message id "m<row>"
   (so posted refs are remembered).  Edits are prefixed "[edit mN] ", button
   answers "[toast] ", and buttons follow as "[buttons] ...". */
static char *out(struct fx *f)
{
    struct outbox_batch b;
    struct sbuf s = {0};
    if (engine_outbox_fetch(f->e, f->platform, INT64_MAX, 10000, &b))
        TEST_FAIL("outbox fetch: %s", engine_errmsg(f->e));
    for (size_t i = 0; i < b.n; i++) {
        const struct kb_reply *r = &b.rows[i];
        if (i)
            sbuf_add(&s, "\n---\n");
        if (r->kind == KB_REPLY_EDIT)
            sbuf_addf(&s, "[edit %s] ", r->edit_message_id);
        if (r->kind == KB_REPLY_ANSWER)
            sbuf_add(&s, "[toast] ");
        sbuf_add(&s, r->text);
        if (r->buttons && *r->buttons)
            sbuf_addf(&s, "\n[buttons] %s", r->buttons);
        char id[32];
        snprintf(id, sizeof id, "m%lld", (long long)r->id);
        engine_outbox_done(f->e, r->id, OUTBOX_SENT, id, 0, NULL, 0);
    }
    outbox_batch_free(&b);
    return sbuf_take(&s);
}

static void drop(struct fx *f)
{
    free(out(f));
}

static int press(struct fx *f, const char *user, int64_t t, const char *data)
{
    char cb[32];
    snprintf(cb, sizeof cb, "cb%d", ++f->next_msg);
    struct kb_event ev = {.kind = KB_EV_CALLBACK, .platform = f->platform, .chat_id = "g1",
                          .chat_type = KB_CHAT_GROUP, .user_id = user, .user_name = user,
                          .message_id = "m1", .callback_id = cb, .callback_data = data,
                          .bot_username = "kocbot"};
    return engine_apply(f->e, &ev, 1, NULL, NULL, t);
}

static int reply_to(struct fx *f, const char *user, int64_t t, const char *msg, const char *text)
{
    char id[32];
    snprintf(id, sizeof id, "r%d", ++f->next_msg);
    struct kb_event ev = {.kind = KB_EV_MESSAGE, .platform = f->platform, .chat_id = "g1",
                          .chat_type = KB_CHAT_GROUP, .user_id = user, .user_name = user,
                          .message_id = id, .time = t, .text = text, .reply_to_message_id = msg,
                          .bot_username = "kocbot"};
    return engine_apply(f->e, &ev, 1, NULL, NULL, t);
}

static int64_t q(struct fx *f, const char *sql)
{
    return fx_i64(f, sql);
}

/* Tallies counted from the vote rows independently of the module. */
static int64_t sql_count(struct fx *f, int64_t poll, int option)
{
    int64_t v = -1;
    store_i64(f->e->st, &v,
              "SELECT count(*) FROM poll_votes WHERE poll_id = ? AND (choices & ?) <> 0",
              VALS(SI(poll), SI(1 << (option - 1))));
    return v;
}

/* ==== the definition parser ============================================ */

TEST(definition_one_line_with_every_flag)
{
    struct poll_def d;
    const char *err;
    CHECK_INT(poll_definition_parse("Which poster? | Sunset | City night | Mountain road --multi 2"
                                    " --anonymous --closes 2026-12-01 20:00 --reason required"
                                    " --min-level 3 --pool Photo --reward 5 --hidden",
                                    TZ, T0, &d, &err), 0);
    CHECK_STR(d.question, "Which poster?");
    CHECK_INT(d.n_options, 3);
    CHECK_STR(d.options[0], "Sunset");
    CHECK_STR(d.options[2], "Mountain road");
    CHECK_INT(d.max_choices, 2);
    CHECK_INT(d.anonymous, 1);
    CHECK_INT(d.hidden, 1);
    CHECK_INT(d.reason_required, 1);
    CHECK_INT(d.min_level, 3);
    CHECK_STR(d.pool, "Photo");
    CHECK_INT(d.reward, 5);
    CHECK_INT(d.closes_at, tz_instant(TZ, 2026, 12, 1, 20, 0));
    /* defaults */
    CHECK_INT(poll_definition_parse("Q | a | b", TZ, T0, &d, &err), 0);
    CHECK_INT(d.max_choices, 1);
    CHECK_INT(d.anonymous + d.hidden + d.reason_required + d.min_level, 0);
    CHECK_INT(d.reward + d.closes_at, 0);
    /* a bare --multi allows every option; a duration closes relative to now */
    CHECK_INT(poll_definition_parse("Q | a | b | c --multi --closes 2d", TZ, T0, &d, &err), 0);
    CHECK_INT(d.max_choices, 3);
    CHECK_INT(d.closes_at, T0 + 2 * 86400);
}

TEST(definition_multi_line_forms)
{
    struct poll_def d;
    const char *err;
    CHECK_INT(poll_definition_parse("Which poster?\n1. Sunset\n2) City night\n- Mountain road\n"
                                    "• Sea\n3、海边\ncloses: 2026-12-01 20:00\nanonymous:\nreason: optional",
                                    TZ, T0, &d, &err), 0);
    CHECK_STR(d.question, "Which poster?");
    CHECK_INT(d.n_options, 5);
    CHECK_STR(d.options[0], "Sunset");
    CHECK_STR(d.options[1], "City night");
    CHECK_STR(d.options[2], "Mountain road");
    CHECK_STR(d.options[3], "Sea");
    CHECK_STR(d.options[4], "海边");
    CHECK_INT(d.anonymous, 1);
    CHECK_INT(d.reason_required, 0);
    CHECK_INT(d.closes_at, tz_instant(TZ, 2026, 12, 1, 20, 0));
    /* an options: key, '|' and continuation lines */
    CHECK_INT(poll_definition_parse("Ship as?\noptions: A | B\n  C\nmulti: 2", TZ, T0, &d, &err), 0);
    CHECK_INT(d.n_options, 3);
    CHECK_STR(d.options[2], "C");
    CHECK_INT(d.max_choices, 2);
    /* numbers that are not list markers stay */
    CHECK_INT(poll_definition_parse("Rating?\n3.5 stars\n-5 degrees\n4. Four", TZ, T0, &d, &err), 0);
    CHECK_STR(d.options[0], "3.5 stars");
    CHECK_STR(d.options[1], "-5 degrees");
    CHECK_STR(d.options[2], "Four");
}

TEST(definition_refusals_name_the_problem)
{
    static const struct {
        const char *text, *key, *detail;
    } cases[] = {
        {"", "poll.err_no_question", ""},
        {"| a | b", "poll.err_no_question", ""},
        {"Q", "poll.err_options_count", ""},
        {"Q | a", "poll.err_options_count", ""},
        {"Q | a | | ", "poll.err_options_count", ""},
        {"Q | 1|2|3|4|5|6|7|8|9|10|11", "poll.err_options_count", ""},
        {"Q | Sunset | sunset", "poll.err_option_twice", "sunset"},
        {"Q | a | b --multi 3", "poll.err_multi", "3"},
        {"Q | a | b --multi x", "poll.err_multi", "x"},
        {"Q | a | b --closes 2020-01-01", "poll.err_closes_past", "2020-01-01"},
        {"Q | a | b --closes 11-20 20:00", "poll.err_closes_past", "11-20 20:00"}, /* not next year */
        {"Q | a | b --closes someday", "poll.err_closes", "someday"},
        {"Q | a | b --colour red", "poll.err_unknown_flag", "colour"},
        {"Q | a | b --reason maybe", "poll.err_flag_value", "reason"},
        {"Q | a | b --reward -1", "poll.err_flag_value", "reward"},
        {"Q | a | b --min-level 0", "poll.err_flag_value", "min-level"},
        {"Q | a | b --anonymous perhaps", "poll.err_flag_value", "anonymous"},
        {"Q | a | b --pool", "poll.err_flag_value", "pool"},
        {"Q | a\xff | b", "poll.err_bad_text", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct poll_def d;
        const char *err = NULL;
        CHECK_INT(poll_definition_parse(cases[i].text, TZ, T0, &d, &err), KB_EINVAL);
        CHECK_STR(err, cases[i].key);
        CHECK_STR(d.err_detail, cases[i].detail);
    }
    /* size limits: 300 code points of question, 100 per option */
    struct sbuf s = {0};
    for (int i = 0; i < 301; i++)
        sbuf_add(&s, "问");
    sbuf_add(&s, " | a | b");
    struct poll_def d;
    const char *err;
    CHECK_INT(poll_definition_parse(s.s, TZ, T0, &d, &err), KB_EINVAL);
    CHECK_STR(err, "poll.err_question_long");
    s.len = 0;
    sbuf_add(&s, "Q | b | ");
    for (int i = 0; i < 100; i++)
        sbuf_add(&s, "选");
    CHECK_INT(poll_definition_parse(s.s, TZ, T0, &d, &err), 0); /* exactly 100 is fine */
    sbuf_add(&s, "x");
    CHECK_INT(poll_definition_parse(s.s, TZ, T0, &d, &err), KB_EINVAL);
    CHECK_STR(err, "poll.err_option_long");
    sbuf_free(&s);
}

TEST(choices_by_number_list_and_text)
{
    struct poll_def d;
    const char *err, *reason;
    unsigned ch;
    CHECK_INT(poll_definition_parse("Q | Sunset | City night | City | 3D render --multi 2", TZ, T0, &d, &err), 0);
    CHECK_INT(poll_choice_parse("2", &d, &ch, &reason, &err), 0);
    CHECK_INT(ch, 2);
    CHECK_STR(reason, "");
    CHECK_INT(poll_choice_parse("1,3 both are warm", &d, &ch, &reason, &err), 0);
    CHECK_INT(ch, 5);
    CHECK_STR(reason, "both are warm");
    CHECK_INT(poll_choice_parse("1，2", &d, &ch, &reason, &err), 0);
    CHECK_INT(ch, 3);
    CHECK_INT(poll_choice_parse("city night lovely", &d, &ch, &reason, &err), 0);
    CHECK_INT(ch, 2); /* the longest option text wins over "City" */
    CHECK_STR(reason, "lovely");
    CHECK_INT(poll_choice_parse("City", &d, &ch, &reason, &err), 0);
    CHECK_INT(ch, 4);
    CHECK_INT(poll_choice_parse("\"City night\" quoted", &d, &ch, &reason, &err), 0);
    CHECK_INT(ch, 2);
    CHECK_STR(reason, "quoted");
    CHECK_INT(poll_choice_parse("3D render", &d, &ch, &reason, &err), 0);
    CHECK_INT(ch, 8);
    CHECK_INT(poll_choice_parse("0", &d, &ch, &reason, &err), KB_EINVAL);
    CHECK_STR(err, "poll.err_option_range");
    CHECK_INT(poll_choice_parse("5", &d, &ch, &reason, &err), KB_EINVAL);
    CHECK_STR(err, "poll.err_option_range");
    CHECK_INT(poll_choice_parse("99999999999999999999", &d, &ch, &reason, &err), KB_EINVAL);
    CHECK_STR(err, "poll.err_option_range");
    CHECK_INT(poll_choice_parse("1,2,3", &d, &ch, &reason, &err), KB_EINVAL);
    CHECK_STR(err, "poll.err_too_many");
    CHECK_INT(poll_choice_parse("Mountain", &d, &ch, &reason, &err), KB_EINVAL);
    CHECK_STR(err, "poll.err_option_unknown");
    CHECK_INT(poll_choice_parse("Cityscape", &d, &ch, &reason, &err), KB_EINVAL);
}

/* Options by letter (A = 1), either case and full-width, after the options'
   own texts: an option called "B" is meant by its text. */
TEST(choices_by_letter)
{
    struct poll_def d;
    const char *err, *reason;
    unsigned ch;
    CHECK_INT(poll_definition_parse("海报选哪张 | 蓝色海报 | 红色海报 | Alpha --multi 2", TZ, T0, &d, &err), 0);
    CHECK_INT(poll_choice_parse("A", &d, &ch, &reason, &err), 0);
    CHECK_INT(ch, 1);
    CHECK_INT(poll_choice_parse("b 颜色更暖", &d, &ch, &reason, &err), 0);
    CHECK_INT(ch, 2);
    CHECK_STR(reason, "颜色更暖");
    CHECK_INT(poll_choice_parse("Ｂ", &d, &ch, &reason, &err), 0);
    CHECK_INT(ch, 2);
    CHECK_INT(poll_choice_parse("A、C 都好", &d, &ch, &reason, &err), 0);
    CHECK_INT(ch, 5);
    CHECK_INT(poll_choice_parse("Alpha", &d, &ch, &reason, &err), 0);
    CHECK_INT(ch, 4);
    CHECK_INT(poll_choice_parse("D", &d, &ch, &reason, &err), KB_EINVAL);
    CHECK_STR(err, "poll.err_option_range");
    CHECK_INT(poll_choice_parse("Ab", &d, &ch, &reason, &err), KB_EINVAL);
    CHECK_STR(err, "poll.err_option_unknown");
    CHECK_INT(poll_definition_parse("Q | X | Y | B", TZ, T0, &d, &err), 0);
    CHECK_INT(poll_choice_parse("B", &d, &ch, &reason, &err), 0);
    CHECK_INT(ch, 4); /* the option named "B", not the second letter */
}

TEST(parsers_survive_random_input)
{
    uint32_t x = 12345;
    char buf[200];
    static const char alphabet[] = "ab|12,.-: \n\"#\xe3\x80\x81\xff\xc3--multi --closes 2d";
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = 0, len = (x >> 8) % (sizeof buf - 1);
        for (; n < len; n++) {
            x = x * 1103515245u + 12345u;
            buf[n] = alphabet[(x >> 16) % (sizeof alphabet - 1)];
        }
        buf[n] = '\0';
        struct poll_def d;
        const char *err = NULL;
        int rc = poll_definition_parse(buf, TZ, T0, &d, &err);
        CHECK(rc == 0 || (rc == KB_EINVAL && err));
        if (rc == 0) {
            CHECK(d.n_options >= 2 && d.n_options <= 10);
            unsigned ch;
            const char *reason;
            rc = poll_choice_parse(buf + len / 2, &d, &ch, &reason, &err);
            CHECK(rc == 0 ? ch != 0 && ch < (1u << d.n_options) : err != NULL);
        }
    }
}

/* ==== votes ============================================================== */

TEST(revote_is_an_upsert_and_pays_once)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "op", T0, "/poll new Which poster? | Sunset | City night | Mountain road --reward 5");
    char *r = out(&f);
    CHECK_CONTAINS(r, "Poll #1");
    CHECK_CONTAINS(r, "[buttons] 1. Sunset\x1f/vote 1 1\n2. City night\x1f/vote 1 2");
    free(r);
    CHECK_INT(q(&f, "SELECT count(*) FROM posted WHERE ref = 'poll:1'"), 1);
    fx_say(&f, "g1", "alice", T0 + 10, "/vote 1 2 the lights");
    fx_say(&f, "g1", "bob", T0 + 20, "/vote #1 sunset");
    fx_say(&f, "g1", "bob", T0 + 30, "/vote 1 3 changed my mind");
    fx_say(&f, "g1", "bob", T0 + 40, "/vote 1 3");
    r = out(&f);
    CHECK_CONTAINS(r, "alice" PDI " voted on #1: " FSI "City night" PDI " (+5 points)");
    CHECK_CONTAINS(r, "bob" PDI " changed their vote on #1: " FSI "Mountain road");
    free(r);
    CHECK_INT(q(&f, "SELECT count(*) FROM poll_votes"), 2);
    CHECK_INT(q(&f, "SELECT count(*) FROM ledger WHERE reason = 'poll' AND ref = 'poll:1'"), 2);
    CHECK_INT(q(&f, "SELECT sum(points) FROM period_tallies WHERE span = 0"), 10);
    CHECK(top_tallies_agree(f.e, 1));
    /* a re-vote without a reason keeps the earlier one */
    CHECK_INT(q(&f, "SELECT count(*) FROM poll_votes p JOIN members m ON m.id = p.member_id"
                    " WHERE m.user_id = 'bob' AND p.reason = 'changed my mind' AND p.choices = 4"), 1);
    /* tallies shown agree with counts from the rows */
    fx_say(&f, "g1", "op", T0 + 50, "/poll results 1");
    r = out(&f);
    CHECK_INT(sql_count(&f, 1, 1), 0);
    CHECK_INT(sql_count(&f, 1, 2), 1);
    CHECK_INT(sql_count(&f, 1, 3), 1);
    CHECK_CONTAINS(r, "Sunset" PDI "\n   ░░░░░░░░░░ 0% (0)");
    CHECK_CONTAINS(r, "City night" PDI "\n   █████░░░░░ 50% (1)");
    CHECK_CONTAINS(r, "👥 2 voters");
    CHECK_CONTAINS(r, "2. " FSI "City night" PDI ": " FSI "alice");
    CHECK_CONTAINS(r, "3. " FSI "Mountain road" PDI ": " FSI "bob");
    free(r);
    fx_close(&f);
}

TEST(multiple_choice_and_reasons)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "op", T0, "/poll new Ship as? | A | B | C --multi 2 --reason required");
    drop(&f);
    fx_say(&f, "g1", "alice", T0 + 1, "/vote 1 1,2,3 x");
    fx_say(&f, "g1", "alice", T0 + 2, "/vote 1 1,2");
    fx_say(&f, "g1", "alice", T0 + 3, "/vote 1 1,3 both good");
    fx_say(&f, "g1", "bob", T0 + 4, "/vote 1 B fine");
    fx_say(&f, "g1", "carol", T0 + 5, "/vote 1 3 <b>bold</b> & \"quoted\", ok\nsecond line");
    char *r = out(&f);
    CHECK_CONTAINS(r, "You can choose at most 2 options.");
    CHECK_CONTAINS(r, "Poll #1 needs a reason: /vote 1 option reason");
    CHECK_CONTAINS(r, "voted on #1: " FSI "A" PDI ", " FSI "C" PDI);
    free(r);
    CHECK_INT(sql_count(&f, 1, 1), 1);
    CHECK_INT(sql_count(&f, 1, 2), 1);
    CHECK_INT(sql_count(&f, 1, 3), 2);
    fx_say(&f, "g1", "op", T0 + 6, "/poll results 1");
    r = out(&f);
    CHECK_CONTAINS(r, "C" PDI "\n   ███████░░░ 67% (2)"); /* percent of voters */
    free(r);
    fx_say(&f, "g1", "op", T0 + 7, "/poll reasons 1");
    r = out(&f);
    CHECK_CONTAINS(r, "<b>1. " FSI "A" PDI "</b>\n• " FSI "alice" PDI ": both good\n<b>2. " FSI "B" PDI "</b>\n• " FSI "bob" PDI ": fine");
    CHECK_CONTAINS(r, "• " FSI "carol" PDI ": &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;, ok\nsecond line");
    free(r);
    fx_say(&f, "g1", "op", T0 + 8, "/poll export 1");
    r = out(&f);
    /* RFC 4180 quoting, then escaped for kb markup (&quot; is a quote) */
    CHECK_CONTAINS(r, "export (4 rows, CSV):\n<code>option,voter,reason,time\n"
                      "A,alice,both good,2026-11-23 07:59\nC,alice,both good,2026-11-23 07:59\n"
                      "B,bob,fine,2026-11-23 07:59\n"
                      "C,carol,&quot;&lt;b&gt;bold&lt;/b&gt; &amp; &quot;&quot;quoted&quot;&quot;, ok\n"
                      "second line&quot;,2026-11-23 07:59</code>");
    free(r);
    CHECK_INT(q(&f, "SELECT count(*) FROM audit WHERE action = 'poll.export'"), 1);
    fx_close(&f);
}

TEST(anonymous_polls_never_show_voters)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "op", T0, "/poll new Secret? | yes | no --anonymous");
    fx_say(&f, "g1", "alice", T0 + 1, "/vote 1 1 because");
    fx_say(&f, "g1", "bob", T0 + 2, "/vote 1 2");
    char *r = out(&f);
    CHECK_CONTAINS(r, "voted on #1 (anonymous)");
    CHECK_CONTAINS(r, "alice" PDI " voted on #1 (anonymous)\n---");
    free(r);
    fx_say(&f, "g1", "op", T0 + 3, "/poll results 1");
    fx_say(&f, "g1", "op", T0 + 4, "/poll reasons 1");
    fx_say(&f, "g1", "op", T0 + 5, "/poll export 1");
    fx_say(&f, "g1", "op", T0 + 6, "/poll close 1");
    r = out(&f);
    CHECK_CONTAINS(r, "50% (1)");
    CHECK_CONTAINS(r, "• because");
    CHECK_CONTAINS(r, "yes,,because,");
    CHECK(!strstr(r, "alice"));
    CHECK(!strstr(r, "bob"));
    CHECK(!strstr(r, "Who voted what"));
    free(r);
    fx_close(&f);
}

TEST(refusals_are_clear)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "op", T0, "/poll new Q | a | b");
    drop(&f);
    fx_say(&f, "g1", "alice", T0 + 1, "/vote 9 1");
    fx_say(&f, "g1", "alice", T0 + 2, "/vote 1 3");
    fx_say(&f, "g1", "alice", T0 + 3, "/vote 1 zebra");
    fx_say(&f, "g1", "alice", T0 + 4, "/vote 1 1,2");
    fx_say(&f, "g1", "alice", T0 + 5, "/vote one 1");
    fx_say(&f, "g1", "alice", T0 + 6, "/poll new Mine | a | b");
    struct sbuf big = {0};
    sbuf_add(&big, "/vote 1 1 ");
    for (int i = 0; i < 501; i++)
        sbuf_add(&big, "长");
    fx_say(&f, "g1", "alice", T0 + 7, big.s);
    sbuf_free(&big);
    char *r = out(&f);
    CHECK_CONTAINS(r, "There is no poll #9.");
    CHECK_CONTAINS(r, "There is no option " FSI "3" PDI ": choose 1–2.");
    CHECK_CONTAINS(r, "No option matches " FSI "zebra" PDI ": use a number 1–2.");
    CHECK_CONTAINS(r, "You can choose at most 1 option.");
    CHECK_CONTAINS(r, "Usage: /vote id option-number [reason]");
    CHECK_CONTAINS(r, "only operators can use this command");
    CHECK_CONTAINS(r, "That reason is too long (at most 500 characters).");
    free(r);
    CHECK_INT(q(&f, "SELECT count(*) FROM poll_votes"), 0);
    CHECK_INT(q(&f, "SELECT count(*) FROM polls"), 1);
    /* another community cannot see the poll */
    fx_say(&f, "g2", "alice", T0 + 8, "/vote 1 1");
    r = out(&f);
    CHECK_CONTAINS(r, "There is no poll #1.");
    free(r);
    /* bad definitions are named */
    fx_say(&f, "g1", "op", T0 + 9, "/poll new Q | a | b --colour red");
    fx_say(&f, "g1", "op", T0 + 10, "/poll new Q | a | b --closes yesterday");
    fx_say(&f, "g1", "op", T0 + 11, "/poll frobnicate 1");
    r = out(&f);
    CHECK_CONTAINS(r, "Unknown setting " FSI "colour" PDI ".");
    CHECK_CONTAINS(r, "I can't read the closing time " FSI "yesterday" PDI);
    CHECK_CONTAINS(r, "Usage: /poll new");
    free(r);
    fx_close(&f);
}

TEST(eligibility_by_level_and_pool)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "op", T0, "/polls"); /* the community, then its pool */
    drop(&f);
    store_exec(f.e->st, "INSERT INTO pools(community_id, name, created_at) VALUES (1, 'photo', 0)", NOVALS);
    fx_say(&f, "g1", "op", T0, "/poll new Pros only? | a | b --min-level 3 --pool Photo");
    fx_say(&f, "g1", "alice", T0 + 1, "/vote 1 1");
    char *r = out(&f);
    CHECK_CONTAINS(r, "Poll #1 is open to level 3 and above.");
    free(r);
    fx_hand_edit(&f, "INSERT INTO member_levels(member_id, level, since)"
                     " SELECT id, 3, 0 FROM members WHERE user_id = 'alice'");
    fx_say(&f, "g1", "alice", T0 + 2, "/vote 1 1");
    r = out(&f);
    CHECK_CONTAINS(r, "Poll #1 is open to the " FSI "Photo" PDI " pool only.");
    free(r);
    store_exec(f.e->st, "INSERT INTO pool_members(community_id, pool, member_id, at)"
                        " SELECT 1, 'photo', id, 0 FROM members WHERE user_id = 'alice'", NOVALS);
    fx_say(&f, "g1", "alice", T0 + 3, "/vote 1 1");
    r = out(&f);
    CHECK_CONTAINS(r, "voted on #1");
    free(r);
    CHECK_INT(q(&f, "SELECT count(*) FROM poll_votes"), 1);
    fx_close(&f);
}

/* Nobody rewards themselves: the operator who set a vote reward earns
   nothing voting in their own poll (another operator does). */
TEST(no_reward_for_voting_in_ones_own_poll)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "op", T0, "/poll new Q? | a | b --reward 100000");
    fx_say(&f, "g1", "op", T0 + 1, "/vote 1 1");
    fx_say(&f, "g1", "op2", T0 + 2, "/vote 1 2");
    char *r = out(&f);
    CHECK_CONTAINS(r, "op" PDI " voted on #1: " FSI "a" PDI "\n");
    CHECK_CONTAINS(r, "op2" PDI " voted on #1: " FSI "b" PDI " (+100000 points)");
    free(r);
    CHECK_INT(q(&f, "SELECT count(*) FROM ledger WHERE reason = 'poll'"), 1);
    fx_close(&f);
}

TEST(reward_needs_a_configured_operator)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say_as(&f, "g1", "admin", KB_ROLE_CHAT_ADMIN, T0, "/poll new Q | a | b --reward 50");
    char *r = out(&f);
    CHECK_CONTAINS(r, "Only configured operators can attach a reward");
    free(r);
    fx_say_as(&f, "g1", "admin", KB_ROLE_CHAT_ADMIN, T0 + 1, "/poll new Q | a | b");
    r = out(&f);
    CHECK_CONTAINS(r, "Poll #1");
    free(r);
    CHECK_INT(q(&f, "SELECT count(*) FROM audit WHERE action = 'poll.new' AND target = 'poll:1'"), 1);
    fx_close(&f);
}

/* ==== closing ============================================================= */

TEST(deadline_closes_once_and_refuses_votes_before_the_tick)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "op", T0, "/poll new Q | a | b --closes 1h");
    fx_say(&f, "g1", "alice", T0 + 60, "/vote 1 1");
    drop(&f);
    int64_t due = T0 + 3600;
    /* the vote came before the post's message id was known: the edit is owed now */
    CHECK(engine_next_due(f.e, T0 + 60) <= T0 + 60);
    CHECK_INT(engine_tick(f.e, T0 + 65), 0);
    char *r = out(&f);
    CHECK_CONTAINS(r, "[edit m1] ");
    CHECK_CONTAINS(r, "a" PDI " · 1 (100%)");
    free(r);
    CHECK_INT(engine_next_due(f.e, T0 + 65), due);
    /* the deadline passed but the tick has not run yet: refused anyway */
    fx_say(&f, "g1", "bob", due, "/vote 1 2");
    r = out(&f);
    CHECK_CONTAINS(r, "Poll #1 is closed.");
    free(r);
    CHECK_INT(engine_tick(f.e, due + 1), 0);
    r = out(&f);
    CHECK_CONTAINS(r, "Poll #1, final result");
    CHECK_CONTAINS(r, "1. " FSI "a" PDI ": " FSI "alice");
    CHECK_CONTAINS(r, "[edit m1] ");
    CHECK_CONTAINS(r, "This poll is closed");
    free(r);
    CHECK_INT(q(&f, "SELECT closed_at FROM polls WHERE id = 1"), due);
    CHECK_INT(q(&f, "SELECT count(*) FROM fired WHERE key = 'poll-close:1'"), 1);
    CHECK_INT(engine_tick(f.e, due + 100), 0);
    r = out(&f);
    CHECK_STR(r, "");
    free(r);
    CHECK_INT(engine_next_due(f.e, due + 100), fx_prune_due(&f));
    fx_close(&f);
}

TEST(early_close_posts_result_and_refuses_a_second_close)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "op", T0, "/poll new Q | a | b --closes 2d");
    fx_say(&f, "g1", "alice", T0 + 1, "/vote 1 2");
    drop(&f);
    fx_say(&f, "g1", "op", T0 + 2, "/poll close 1");
    char *r = out(&f);
    CHECK_CONTAINS(r, "Poll #1, final result");
    CHECK_CONTAINS(r, "b" PDI "\n   ██████████ 100% (1)");
    free(r);
    fx_say(&f, "g1", "op", T0 + 3, "/poll close 1");
    fx_say(&f, "g1", "alice", T0 + 4, "/vote 1 1");
    r = out(&f);
    CHECK_CONTAINS(r, "Poll #1 is closed.\n---\nPoll #1 is closed.");
    free(r);
    CHECK_INT(engine_tick(f.e, T0 + 3 * 86400), 0);
    r = out(&f);
    CHECK(!strstr(r, "final result"));
    free(r);
    CHECK_INT(q(&f, "SELECT count(*) FROM audit WHERE action = 'poll.close'"), 1);
    /* a close from another chat of the community is acknowledged there */
    fx_say(&f, "g1", "op", T0 + 5, "/poll new Q2 | a | b");
    drop(&f);
    struct kb_event ev = {.kind = KB_EV_MESSAGE, .platform = "console", .chat_id = "dm-op",
                          .chat_type = KB_CHAT_PRIVATE, .user_id = "op", .user_name = "op",
                          .message_id = "dm1", .time = T0 + 6, .text = "/poll close 2"};
    CHECK_INT(engine_apply(f.e, &ev, 1, NULL, NULL, T0 + 6), 0);
    r = out(&f);
    CHECK_CONTAINS(r, "Poll #2, final result");
    CHECK_CONTAINS(r, "Poll #2 is closed; the result is posted in its chat.");
    free(r);
    fx_close(&f);
}

/* ==== buttons, live edits, replies ======================================== */

TEST(buttons_vote_with_a_toast_and_live_edits_are_throttled)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "op", T0, "/poll new Which? | Sunset | City night | Mountain road");
    drop(&f);
    CHECK_INT(press(&f, "u1", T0 + 10, "/vote 1 2"), 0);
    char *r = out(&f);
    CHECK_CONTAINS(r, "[edit m1] 📊 <b>Poll #1</b>");
    CHECK_CONTAINS(r, "City night" PDI " · 1 (100%)");
    CHECK_CONTAINS(r, "[buttons] 1. Sunset\x1f/vote 1 1");
    CHECK_CONTAINS(r, "[toast] Voted: " FSI "City night" PDI);
    free(r);
    /* within 5 s: no edit, but one is owed */
    CHECK_INT(press(&f, "u2", T0 + 11, "/vote 1 1"), 0);
    CHECK_INT(press(&f, "u3", T0 + 12, "/vote 1 1"), 0);
    CHECK_INT(press(&f, "u3", T0 + 13, "/vote 1 9"), 0);
    r = out(&f);
    CHECK(!strstr(r, "[edit"));
    CHECK_CONTAINS(r, "[toast] There is no option " FSI "9" PDI ": choose 1–3.");
    free(r);
    CHECK_INT(q(&f, "SELECT edit_pending FROM polls WHERE id = 1"), 1);
    CHECK_INT(engine_next_due(f.e, T0 + 13), T0 + 15);
    CHECK_INT(engine_tick(f.e, T0 + 14), 0);
    r = out(&f);
    CHECK_STR(r, "");
    free(r);
    CHECK_INT(engine_tick(f.e, T0 + 15), 0);
    r = out(&f);
    CHECK_CONTAINS(r, "[edit m1] ");
    CHECK_CONTAINS(r, "Sunset" PDI " · 2 (67%)");
    CHECK_CONTAINS(r, "👥 3 voters");
    free(r);
    CHECK_INT(q(&f, "SELECT edit_pending FROM polls WHERE id = 1"), 0);
    CHECK_INT(engine_next_due(f.e, T0 + 15), fx_prune_due(&f));
    /* several users pressing: counts agree with the rows */
    CHECK_INT(sql_count(&f, 1, 1), 2);
    CHECK_INT(sql_count(&f, 1, 2), 1);
    fx_close(&f);
}

/* --groups all: the poll goes to every group of the community, a vote in
   any of them edits each group's message, the result is posted in each;
   without it the poll stays in its own group. */
TEST(polls_posted_in_every_group)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "op", T0, "/community link");
    char *r = out(&f);
    const char *at = strstr(r, "<code>");
    char join[64];
    snprintf(join, sizeof join, "/community join %.8s", at ? at + 6 : "");
    free(r);
    fx_say(&f, "g2", "op", T0 + 1, join);
    drop(&f);
    fx_say(&f, "g1", "op", T0 + 2, "/poll new Which? | Sunset | City night --groups all");
    CHECK_INT(q(&f, "SELECT count(DISTINCT chat_id) FROM outbox WHERE state = 0 AND chat_id IN ('g1', 'g2')"
                    " AND text LIKE '%Poll #1%' AND buttons LIKE '%/vote 1 1%'"), 2);
    drop(&f);
    CHECK_INT(fx_say(&f, "g2", "u2", T0 + 10, "/vote 1 2"), 0);
    CHECK_INT(q(&f, "SELECT count(DISTINCT chat_id) FROM outbox WHERE state = 0"
                    " AND edit_message_id IS NOT NULL AND text LIKE '%City night%1 (100%'"), 2);
    drop(&f);
    CHECK_INT(fx_say(&f, "g1", "op", T0 + 20, "/poll close 1"), 0);
    CHECK_INT(q(&f, "SELECT count(DISTINCT chat_id) FROM outbox WHERE state = 0 AND edit_message_id IS NULL"
                    " AND text LIKE '%Poll #1, final result%'"), 2);
    drop(&f);
    fx_say(&f, "g1", "op", T0 + 30, "/poll new Here only? | Yes | No");
    CHECK_INT(q(&f, "SELECT count(*) FROM outbox WHERE state = 0 AND text LIKE '%Poll #2%'"), 1);
    CHECK_INT(q(&f, "SELECT count(*) FROM outbox WHERE state = 0 AND chat_id = 'g2'"), 0);
    drop(&f);
    fx_say(&f, "g1", "op", T0 + 40, "/poll new Where? | A | B --groups some");
    r = out(&f);
    CHECK_CONTAINS(r, "groups");
    free(r);
    CHECK_INT(q(&f, "SELECT count(*) FROM polls"), 2);
    fx_close(&f);
}

TEST(hidden_polls_show_no_counts_until_close)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "op", T0, "/poll new Q | a | b --hidden");
    drop(&f);
    press(&f, "u1", T0 + 10, "/vote 1 1");
    char *r = out(&f);
    CHECK(!strstr(r, "[edit"));
    free(r);
    fx_say(&f, "g1", "u1", T0 + 11, "/vote 1");
    r = out(&f);
    CHECK_CONTAINS(r, "1. " FSI "a" PDI "\n2. " FSI "b" PDI "\n👥 1 voter");
    free(r);
    fx_say(&f, "g1", "op", T0 + 20, "/poll close 1");
    r = out(&f);
    CHECK_CONTAINS(r, "[edit m1] ");
    CHECK_CONTAINS(r, "a" PDI " · 1 (100%)");
    free(r);
    fx_close(&f);
}

TEST(reason_required_button_points_to_vote_command)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "op", T0, "/poll new Q | a | b --reason required");
    drop(&f);
    press(&f, "u1", T0 + 10, "/vote 1 2");
    char *r = out(&f);
    CHECK_CONTAINS(r, "[toast] A reason is required: send /vote 1 option reason");
    free(r);
    CHECK_INT(q(&f, "SELECT count(*) FROM poll_votes"), 0);
    /* once a reason is on file, a button press may change the choice */
    fx_say(&f, "g1", "u1", T0 + 11, "/vote 1 2 because");
    press(&f, "u1", T0 + 20, "/vote 1 1");
    r = out(&f);
    CHECK_CONTAINS(r, "[toast] Voted: " FSI "a" PDI);
    free(r);
    CHECK_INT(q(&f, "SELECT choices FROM poll_votes WHERE reason = 'because'"), 1);
    fx_close(&f);
}

TEST(reply_to_the_poll_message_sets_the_reason)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "op", T0, "/poll new Q | a | b");
    fx_say(&f, "g1", "op", T0 + 1, "hello");
    drop(&f); /* poll post is m1 */
    CHECK_INT(reply_to(&f, "alice", T0 + 2, "m1", "I have not voted"), 0);
    char *r = out(&f);
    CHECK_CONTAINS(r, "Vote first (/vote 1 option), then reply with your reason.");
    free(r);
    press(&f, "alice", T0 + 3, "/vote 1 2");
    drop(&f);
    CHECK_INT(reply_to(&f, "alice", T0 + 4, "m1", "  the colours  "), 0);
    r = out(&f);
    CHECK_CONTAINS(r, "your reason for #1 is saved");
    free(r);
    CHECK_INT(q(&f, "SELECT count(*) FROM poll_votes WHERE reason = 'the colours' AND choices = 2"), 1);
    /* replies to other messages, and commands in replies, are not reasons */
    CHECK_INT(reply_to(&f, "alice", T0 + 5, "m999", "chatter"), 0);
    CHECK_INT(reply_to(&f, "alice", T0 + 6, "m1", "/polls"), 0);
    r = out(&f);
    CHECK(!strstr(r, "saved"));
    CHECK_CONTAINS(r, "Open polls");
    free(r);
    CHECK_INT(q(&f, "SELECT count(*) FROM poll_votes WHERE reason = 'the colours'"), 1);
    fx_say(&f, "g1", "op", T0 + 7, "/poll close 1");
    drop(&f);
    /* after the close, replies are talk about the result: silence, no change */
    CHECK_INT(reply_to(&f, "alice", T0 + 8, "m1", "late"), 0);
    r = out(&f);
    CHECK_STR(r, "");
    free(r);
    CHECK_INT(q(&f, "SELECT count(*) FROM poll_votes WHERE reason = 'the colours'"), 1);
    fx_close(&f);
}

/* ==== listings ============================================================ */

TEST(vote_without_arguments_and_polls_list)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "alice", T0, "/vote");
    fx_say(&f, "g1", "alice", T0, "/polls");
    char *r = out(&f);
    CHECK_CONTAINS(r, "There are no open polls right now.\n---\nThere are no open polls right now.");
    free(r);
    fx_say(&f, "g1", "op", T0, "/poll new First? | a | b --closes 2026-12-01 20:00");
    drop(&f);
    fx_say(&f, "g1", "alice", T0 + 1, "/vote");
    r = out(&f);
    CHECK_CONTAINS(r, "First?");
    CHECK_CONTAINS(r, "[buttons] 1. a\x1f/vote 1 1");
    free(r);
    fx_say(&f, "g1", "op", T0 + 2, "/poll new Second? | c | d");
    drop(&f);
    fx_say(&f, "g1", "alice", T0 + 3, "/vote");
    fx_say(&f, "g1", "alice", T0 + 4, "/polls");
    r = out(&f);
    CHECK_CONTAINS(r, "#1 " FSI "First?" PDI " · 0 voters · closes 2026-12-01 20:00\n#2 " FSI "Second?" PDI " · 0 voters\nUsage: /vote");
    free(r);
    fx_close(&f);
}

/* The case: a voter named =x and a formula reason, exported raw
   before poll.c used the one CSV writer (csv.h). */
/* The same rule as tasks: a poll nobody could vote in is refused. */
TEST(polls_nobody_can_vote_in_are_refused)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "op", T0, "/poll new Q | a | b --min-level 6");
    fx_say(&f, "g1", "op", T0, "/poll new Q | a | b --pool nix");
    char *r = out(&f);
    CHECK_CONTAINS(r, "The level ladder ends at L5");
    CHECK_CONTAINS(r, "no talent pool called " FSI "nix" PDI);
    free(r);
    CHECK_INT(q(&f, "SELECT count(*) FROM polls"), 0);
    fx_close(&f);
}

TEST(export_defuses_formulas)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "op", T0, "/poll new Q | =SUM(A1) | -5");
    fx_say(&f, "g1", "=x", T0 + 1, "/vote 1 1 =HYPERLINK(\"http://e\",\"c\")");
    fx_say(&f, "g1", "@y", T0 + 2, "/vote 1 2 +1 agreed");
    drop(&f);
    fx_say(&f, "g1", "op", T0 + 3, "/poll export 1");
    char *r = out(&f);
    CHECK_CONTAINS(r, "\n&quot;'=SUM(A1)&quot;,&quot;'=x&quot;,"
                      "&quot;'=HYPERLINK(&quot;&quot;http://e&quot;&quot;,&quot;&quot;c&quot;&quot;)&quot;,");
    CHECK_CONTAINS(r, "\n-5,&quot;'@y&quot;,&quot;'+1 agreed&quot;,"); /* a plain number stays a number */
    free(r);
    fx_close(&f);
}

TEST(export_is_truncated_with_a_note)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "op", T0, "/poll new Q | a | b");
    for (int i = 0; i < 120; i++) {
        char user[16], text[128];
        snprintf(user, sizeof user, "user%03d", i);
        snprintf(text, sizeof text, "/vote 1 %d a fairly long reason number %d, with a comma", 1 + i % 2, i);
        fx_say(&f, "g1", user, T0 + i, text);
    }
    drop(&f);
    fx_say(&f, "g1", "op", T0 + 200, "/poll export 1");
    char *r = out(&f);
    CHECK_CONTAINS(r, "(120 rows, CSV)");
    CHECK_CONTAINS(r, "of 120.");
    CHECK(strlen(r) < 4096);
    free(r);
    fx_say(&f, "g1", "op", T0 + 201, "/poll results 1");
    r = out(&f);
    CHECK_CONTAINS(r, "👥 120 voters");
    CHECK(strlen(r) < 4096);
    free(r);
    fx_close(&f);
}

TEST(chinese_catalogue)
{
    struct fx f;
    fx_open(&f, NULL, "zh-CN");
    fx_say(&f, "g1", "op", T0, "/poll new 选哪张海报？ | 日落 | 夜景 --closes 2d");
    fx_say(&f, "g1", "小明", T0 + 1, "/vote 1 夜景 灯光好看");
    char *r = out(&f);
    CHECK_CONTAINS(r, "投票 #1");
    CHECK_CONTAINS(r, "截止 2026-11-25 07:59");
    CHECK_CONTAINS(r, "已投票 #1：" FSI "夜景" PDI);
    free(r);
    fx_close(&f);
}

TEST(unvote_withdraws_a_vote_or_one_option)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "op", T0, "/poll new Which? | A | B | C --multi 2");
    fx_say(&f, "g1", "alice", T0 + 1, "/vote 1 1,3");
    fx_say(&f, "g1", "bob", T0 + 2, "/vote 1 2");
    free(out(&f));
    fx_say(&f, "g1", "alice", T0 + 3, "/unvote 1 3");
    CHECK_INT(q(&f, "SELECT choices FROM poll_votes p JOIN members m ON m.id = p.member_id"
                    " WHERE m.user_id = 'alice'"), 1);
    fx_say(&f, "g1", "alice", T0 + 4, "/unvote 1 2");
    fx_say(&f, "g1", "bob", T0 + 5, "/unvote 1");
    char *r = out(&f);
    CHECK_CONTAINS(r, "withdrew one option of their vote on #1");
    CHECK_CONTAINS(r, "no such vote on poll #1");
    CHECK_CONTAINS(r, "withdrew their vote on #1");
    free(r);
    CHECK_INT(q(&f, "SELECT count(*) FROM poll_votes"), 1);
    fx_say(&f, "g1", "op", T0 + 6, "/poll close 1");
    free(out(&f));
    fx_say(&f, "g1", "alice", T0 + 7, "/unvote 1");
    CHECK_INT(q(&f, "SELECT count(*) FROM poll_votes"), 1); /* closed: the result stands */
    fx_close(&f);
}

/* ==== votes by reaction (platforms without buttons) ======================= */

static int react(struct fx *f, const char *user, int64_t t, const char *id, const char *data)
{
    struct kb_event ev = {.kind = KB_EV_CALLBACK, .platform = f->platform, .chat_id = "g1",
                          .chat_type = KB_CHAT_GROUP, .user_id = user, .user_name = user,
                          .message_id = id, .callback_id = id, .callback_data = data,
                          .reply_to_message_id = "m1", .reaction = 1, .time = t,
                          .bot_username = "kocbot"};
    return engine_apply(f->e, &ev, 1, NULL, NULL, t);
}

/* user takes back reaction (the removal's own id: id) */
static int unreact(struct fx *f, const char *user, int64_t t, const char *id, const char *reaction)
{
    struct kb_event ev = {.kind = KB_EV_REACTION_REMOVED, .platform = f->platform, .chat_id = "g1",
                          .chat_type = KB_CHAT_GROUP, .user_id = user, .user_name = user,
                          .message_id = id, .callback_id = reaction, .time = t,
                          .bot_username = "kocbot"};
    return engine_apply(f->e, &ev, 1, NULL, NULL, t);
}

/* The pending outbox as "chat<reply_to: text" rows, marked sent. */
static char *routed(struct fx *f)
{
    struct outbox_batch b;
    struct sbuf s = {0};
    if (engine_outbox_fetch(f->e, f->platform, INT64_MAX, 10000, &b))
        TEST_FAIL("outbox fetch: %s", engine_errmsg(f->e));
    for (size_t i = 0; i < b.n; i++) {
        const struct kb_reply *r = &b.rows[i];
        sbuf_addf(&s, "%s%s<%s: %s\n", r->kind == KB_REPLY_ANSWER ? "[toast] " : "", r->chat_id,
                  r->reply_to ? r->reply_to : "", r->text);
        engine_outbox_done(f->e, r->id, OUTBOX_SENT, "x", 0, NULL, 0);
    }
    outbox_batch_free(&b);
    return sbuf_take(&s);
}

static int64_t vote_of(struct fx *f, const char *user)
{
    int64_t v = -1;
    store_i64(f->e->st, &v,
              "SELECT coalesce((SELECT choices FROM poll_votes v JOIN members m"
              " ON m.id = v.member_id WHERE m.user_id = ?), 0)", VALS(ST(user)));
    return v;
}

TEST(a_reaction_removed_withdraws_exactly_its_vote_after_a_restart)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "op", T0, "/poll new Which? | A | B | C");
    drop(&f);
    CHECK_INT(react(&f, "alice", T0 + 1, "$r1", "/vote 1 2"), 0);
    CHECK_INT(vote_of(&f, "alice"), 2);
    char *r = routed(&f);
    CHECK(!strstr(r, "[toast]")); /* nothing answers a reaction: the card's edit shows it */
    free(r);
    fx_reopen(&f); /* a restart: nothing of the reaction is left in memory */
    CHECK_INT(unreact(&f, "mallory", T0 + 2, "$x1", "$r1"), 0); /* not the voter's */
    CHECK_INT(unreact(&f, "alice", T0 + 3, "$x2", "$unknown"), 0);
    CHECK_INT(vote_of(&f, "alice"), 2);
    CHECK_INT(unreact(&f, "alice", T0 + 4, "$x3", "$r1"), 0);
    CHECK_INT(vote_of(&f, "alice"), 0);
    CHECK_INT(q(&f, "SELECT count(*) FROM poll_reactions"), 0);
    /* replayed: the same reaction and removal change nothing; a second removal neither */
    CHECK_INT(react(&f, "alice", T0 + 1, "$r1", "/vote 1 2"), 0);
    CHECK_INT(unreact(&f, "alice", T0 + 4, "$x3", "$r1"), 0);
    CHECK_INT(vote_of(&f, "alice"), 0);
    CHECK_INT(react(&f, "alice", T0 + 5, "$r2", "/vote 1 1"), 0);
    CHECK_INT(unreact(&f, "alice", T0 + 6, "$x4", "$r1"), 0);
    CHECK_INT(vote_of(&f, "alice"), 1);
    /* a vote changed by typing since keeps what it chose since */
    fx_say(&f, "g1", "alice", T0 + 7, "/vote 1 3");
    CHECK_INT(unreact(&f, "alice", T0 + 8, "$x5", "$r2"), 0);
    CHECK_INT(vote_of(&f, "alice"), 4);
    drop(&f);
    /* after the close the vote stands, and the poll's reactions are forgotten */
    CHECK_INT(react(&f, "bob", T0 + 9, "$r3", "/vote 1 1"), 0);
    fx_say(&f, "g1", "op", T0 + 10, "/poll close 1");
    CHECK_INT(q(&f, "SELECT count(*) FROM poll_reactions"), 0);
    CHECK_INT(unreact(&f, "bob", T0 + 11, "$x6", "$r3"), 0);
    CHECK_INT(vote_of(&f, "bob"), 1);
    fx_close(&f);
}

TEST(a_refused_reaction_is_told_privately_else_in_a_reply_naming_the_member)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    fx_say(&f, "g1", "op", T0, "/poll new Pros only? | A | B --min-level 3");
    fx_say(&f, "g1", "op", T0, "/poll new Anyone? | A | B");
    drop(&f);
    /* no private chat with alice: a reply to the card, naming her */
    CHECK_INT(react(&f, "alice", T0 + 1, "$r1", "/vote 1 1"), 0);
    char *r = routed(&f);
    CHECK_CONTAINS(r, "g1<m1: Poll #1 is open to level 3 and above.");
    CHECK_CONTAINS(r, "alice");
    CHECK(!strstr(r, "[toast]"));
    free(r);
    /* once she wrote to the bot privately, there */
    struct kb_event dm = {.kind = KB_EV_MESSAGE, .platform = f.platform, .chat_id = "dm-alice",
                          .chat_type = KB_CHAT_PRIVATE, .user_id = "alice", .user_name = "alice",
                          .message_id = "p1", .time = T0 + 2, .text = "/me", .bot_username = "kocbot"};
    CHECK_INT(engine_apply(f.e, &dm, 1, NULL, NULL, T0 + 2), 0);
    drop(&f);
    CHECK_INT(react(&f, "alice", T0 + 3, "$r2", "/vote 2 9"), 0); /* a keycap past the options */
    r = routed(&f);
    CHECK_STR(r, "dm-alice<: There is no option " FSI "9" PDI ": choose 1–2.\n");
    free(r);
    /* a platform whose adapter opens private chats: addressed to the member */
    f.set.private_openers[0][0] = '\0';
    snprintf(f.set.private_openers[0], sizeof f.set.private_openers[0], "%s", f.platform);
    f.set.n_private_openers = 1;
    fx_reopen(&f);
    fx_say(&f, "g1", "op", T0 + 4, "/poll close 2");
    drop(&f);
    CHECK_INT(react(&f, "bob", T0 + 5, "$r3", "/vote 2 1"), 0);
    r = routed(&f);
    CHECK_STR(r, "bob<: Poll #2 is closed.\n");
    free(r);
    CHECK_INT(q(&f, "SELECT count(*) FROM poll_votes"), 0);
    fx_close(&f);
}

TEST_MAIN(T(polls_posted_in_every_group), T(definition_one_line_with_every_flag), T(definition_multi_line_forms),
          T(definition_refusals_name_the_problem), T(choices_by_number_list_and_text), T(choices_by_letter),
          T(parsers_survive_random_input), T(revote_is_an_upsert_and_pays_once),
          T(multiple_choice_and_reasons), T(anonymous_polls_never_show_voters),
          T(refusals_are_clear), T(eligibility_by_level_and_pool),
          T(no_reward_for_voting_in_ones_own_poll), T(reward_needs_a_configured_operator),
          T(deadline_closes_once_and_refuses_votes_before_the_tick),
          T(early_close_posts_result_and_refuses_a_second_close),
          T(buttons_vote_with_a_toast_and_live_edits_are_throttled),
          T(hidden_polls_show_no_counts_until_close),
          T(reason_required_button_points_to_vote_command),
          T(reply_to_the_poll_message_sets_the_reason), T(vote_without_arguments_and_polls_list),
          T(polls_nobody_can_vote_in_are_refused), T(export_defuses_formulas), T(export_is_truncated_with_a_note), T(chinese_catalogue),
          T(unvote_withdraws_a_vote_or_one_option),
          T(a_reaction_removed_withdraws_exactly_its_vote_after_a_restart),
          T(a_refused_reaction_is_told_privately_else_in_a_reply_naming_the_member))
