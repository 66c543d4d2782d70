/* The console's sign-in links: only operators, only in a direct message,
   only with a public URL; a link works once, within 10 minutes. */
#include "../test.h"

#include "../support/fixture.h"
#include "../../core/webconsole.h"

static int dm(struct fx *f, const char *user, int64_t t, const char *text)
{
    char id[32];
    snprintf(id, sizeof id, "dm%d", ++f->next_msg);
    struct kb_event ev = {.kind = KB_EV_MESSAGE, .platform = f->platform, .chat_id = user,
                          .chat_type = KB_CHAT_PRIVATE, .user_id = user, .user_name = user,
                          .message_id = id, .time = t, .text = text, .bot_username = "kocbot"};
    return engine_apply(f->e, &ev, 1, NULL, NULL, t);
}

/* The token of the link in the last reply (into tok[49]), or "". */
static void token_of(const char *reply, char tok[49])
{
    const char *p = reply ? strstr(reply, "login?t=") : NULL;
    tok[0] = '\0';
    if (p && strlen(p + 8) >= 48) {
        memcpy(tok, p + 8, 48);
        tok[48] = '\0';
    }
}

static const int64_t T = 1795391940;

TEST(a_link_works_once_within_ten_minutes)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    f.set.console_url = "https://bot.example.com";
    fx_reopen(&f);
    CHECK_INT(dm(&f, "op", T, "/console"), 0);
    char *r = fx_replies(&f);
    CHECK_CONTAINS(r, "https://bot.example.com/console/login?t=");
    char tok[49];
    token_of(r, tok);
    free(r);
    CHECK_INT(strlen(tok), 48);
    struct console_identity who;
    CHECK_INT(engine_console_redeem(f.e, tok, T + CONSOLE_LINK_TTL_S, &who), KB_OK);
    CHECK_STR(who.platform, "console");
    CHECK_STR(who.user_id, "op");
    CHECK_STR(who.name, "op");
    CHECK_INT(engine_console_redeem(f.e, tok, T + 1, &who), KB_EDENIED); /* used */
    CHECK_INT(dm(&f, "op", T, "/console"), 0);
    r = fx_replies(&f);
    token_of(r, tok);
    free(r);
    CHECK_INT(engine_console_redeem(f.e, tok, T + CONSOLE_LINK_TTL_S + 1, &who), KB_EDENIED);
    CHECK_INT(engine_console_redeem(f.e, "not a token", T, &who), KB_EDENIED);
    CHECK_INT(engine_console_redeem(f.e, NULL, T, &who), KB_EDENIED);
    /* the next /console clears expired links: none outlives its use */
    CHECK_INT(dm(&f, "op", T + 3600, "/console"), 0);
    free(fx_replies(&f));
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM console_links"), 1);
    f.set.console_url = NULL;
    fx_close(&f);
}

TEST(only_operators_in_a_direct_message_with_a_public_url)
{
    struct fx f;
    fx_open(&f, NULL, "en");
    CHECK_INT(dm(&f, "op", T, "/console"), 0);
    char *r = fx_replies(&f);
    CHECK_CONTAINS(r, "not enabled");
    free(r);
    f.set.console_url = "https://bot.example.com";
    fx_reopen(&f);
    CHECK_INT(dm(&f, "mallory", T, "/console"), 0);
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "operators");
    CHECK(!strstr(r, "login?t="));
    free(r);
    CHECK_INT(fx_say(&f, "group", "op", T, "/console"), 0);
    r = fx_replies(&f);
    CHECK_CONTAINS(r, "direct message");
    CHECK(!strstr(r, "login?t="));
    free(r);
    CHECK_INT(fx_i64(&f, "SELECT count(*) FROM console_links"), 0);
    f.set.console_url = NULL;
    fx_close(&f);
}

TEST_MAIN(T(a_link_works_once_within_ten_minutes),
          T(only_operators_in_a_direct_message_with_a_public_url))
