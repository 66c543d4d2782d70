/*
 * Tests for config/: defaults, the JSON file (valid, every bad key, broken,
 * missing, token permissions), environment overrides, KOCBOT_OPERATORS,
 * cfg_parse_time and cfg_validate.  Files are written to mkstemp temporaries
 * and removed; environment variables are cleared after each test.
 */
#include "../test.h"

#include <sys/stat.h>
#include <unistd.h>

#include "../../config/config.h"
#include "../../adapters/console.h"
#include "../../adapters/telegram.h"

/* The adapters' own option structs inside a config. */
static struct tg_options *TG(struct kb_config *c)
{
    return c->adapter_options[adapter_kind_index(&tg_adapter_kind)];
}

static struct console_options *CON(struct kb_config *c)
{
    return c->adapter_options[adapter_kind_index(&console_adapter_kind)];
}

/* The names of the adapters that would start, "a,b". */
static const char *started(const struct kb_config *c)
{
    static char buf[128];
    const struct adapter_kind *k[ADAPTER_MAX_KINDS];
    size_t n = cfg_adapters(c, k);
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? "," : "", k[i]->name);
    return buf;
}

#define TOKEN "123456789:AAHsecretSECRETsecret_0123-xyz"

static char tmp_path[64];

/* Write text to a fresh temporary file with the given mode; returns path. */
static const char *write_tmp(const char *text, mode_t mode)
{
    snprintf(tmp_path, sizeof tmp_path, "/tmp/kocbot-cfg-XXXXXX");
    int fd = mkstemp(tmp_path);
    if (fd < 0)
        TEST_FAIL("mkstemp failed");
    size_t n = strlen(text);
    if (write(fd, text, n) != (ssize_t)n)
        TEST_FAIL("write failed");
    close(fd);
    if (chmod(tmp_path, mode) != 0)
        TEST_FAIL("chmod failed");
    return tmp_path;
}

static const char *const env_vars[] = {
    "KOCBOT_DB", "KOCBOT_LOCALE", "KOCBOT_TZ", "KOCBOT_LOG_LEVEL",
    "KOCBOT_TELEGRAM_TOKEN", "KOCBOT_TELEGRAM_API", "KOCBOT_OPERATORS",
    "KOCBOT_FAKE_NOW", "KOCBOT_FAKE_SPEED",
};

static void clear_env(void)
{
    for (size_t i = 0; i < sizeof env_vars / sizeof env_vars[0]; i++)
        unsetenv(env_vars[i]);
}

/* Load text as a file into a default config; returns rc, err filled. */
static int load_text(struct kb_config *c, const char *text, char *err,
                     size_t cap)
{
    const char *p = write_tmp(text, 0600);
    int rc = cfg_load_file(c, p, err, cap);
    unlink(p);
    return rc;
}

TEST(defaults)
{
    struct kb_config c;
    char err[256];
    cfg_defaults(&c);
    CHECK_STR(c.engine.db_path, "./kocbot.db");
    CHECK_STR(c.engine.locale, "zh-CN");
    CHECK_STR(c.engine.tz, "Asia/Shanghai");
    CHECK_STR(c.engine.bot_name, "kocbot");
    CHECK_INT(c.engine.checkin.base_points, 10);
    CHECK_INT(c.engine.checkin.streak_bonus, 1);
    CHECK_INT(c.engine.checkin.streak_bonus_cap, 10);
    CHECK_INT(c.engine.checkin.n_triggers, 2);
    CHECK_STR(c.engine.checkin.triggers[0], "签到");
    CHECK_STR(c.engine.checkin.triggers[1], "打卡");
    CHECK_INT(c.engine.n_operators, 0);
    CHECK_INT(c.engine.admins_are_operators, 1);
    CHECK_INT(c.engine.member_rate_per_min, 20);
    CHECK_INT(c.engine.schedule_grace_s, 1800);
    CHECK_INT(c.engine.outbox_retention_s, 7 * 86400);
    CHECK_INT(c.engine.revision_window_s, 24 * 3600);
    CHECK_INT(c.n_adapters, 0);
    CHECK_INT(c.log_level, KB_LOG_INFO);
    CHECK(TG(&c)->token == NULL);
    CHECK_STR(TG(&c)->api_base, "https://api.telegram.org");
    CHECK_INT(TG(&c)->poll_timeout_s, 25);
    CHECK_INT(TG(&c)->admin_cache_s, 300);
    CHECK(c.limits.per_chat_per_s == 1.0);
    CHECK_INT(c.limits.per_group_per_min, 20);
    CHECK_INT(c.limits.global_per_s, 30);
    CHECK_INT(c.limits.coalesce, 1);
    CHECK_INT(c.limits.enabled, 1);
    CHECK_STR(CON(&c)->user, "you");
    CHECK_STR(CON(&c)->chat, "console");
    CHECK_INT(c.fake_now, 0);
    CHECK(c.fake_speed == 1.0);
    CHECK(c.secret_in_file == NULL);
    CHECK_INT(cfg_validate(&c, err, sizeof err), 0);
    CHECK_STR(err, "");
    CHECK_STR(started(&c), "console");
    cfg_free(&c);
    CHECK(c.engine.db_path == NULL);
    cfg_free(&c); /* a second free is harmless */
}

static const char full_json[] =
    "{\n"
    "  \"db\": \"/srv/kb.db\",\n"
    "  \"adapters\": [\"console\", \"console\"],\n"
    "  \"locale\": \"en\",\n"
    "  \"timezone\": \"America/New_York\",\n"
    "  \"log_level\": \"debug\",\n"
    "  \"bot_name\": \"brandbot\",\n"
    "  \"operators\": [\"tg:12345\", \"console:op\", \"tg:12345\"],\n"
    "  \"admins_are_operators\": false,\n"
    "  \"checkin\": {\"base_points\": 5, \"streak_bonus\": 2,\n"
    "              \"streak_bonus_cap\": 20, \"triggers\": [\"checkin\", "
    "\"签到\"]},\n"
    "  \"member_rate_per_min\": 0,\n"
    "  \"schedule_grace_minutes\": 5,\n"
    "  \"telegram\": {\"api_base\": \"http://127.0.0.1:8081\",\n"
    "               \"poll_timeout_s\": 50, \"admin_cache_s\": 0},\n"
    "  \"limits\": {\"per_chat_per_s\": 0.5, \"per_group_per_min\": 10,\n"
    "             \"global_per_s\": 25, \"coalesce\": false, "
    "\"enabled\": false},\n"
    "  \"console\": {\"user\": \"alice\", \"chat\": \"room1\"}\n"
    "}\n";

TEST(full_file)
{
    struct kb_config c;
    char err[256];
    cfg_defaults(&c);
    CHECK_INT(load_text(&c, full_json, err, sizeof err), 0);
    CHECK_STR(err, "");
    CHECK_STR(c.engine.db_path, "/srv/kb.db");
    CHECK_INT(c.n_adapters, 1); /* the repeat is dropped */
    CHECK_STR(c.adapters[0], "console");
    CHECK_STR(c.engine.locale, "en");
    CHECK_STR(c.engine.tz, "America/New_York");
    CHECK_INT(c.log_level, KB_LOG_DEBUG);
    CHECK_STR(c.engine.bot_name, "brandbot");
    CHECK_INT(c.engine.n_operators, 2); /* the repeat is dropped */
    CHECK_STR(c.engine.operators[0], "tg:12345");
    CHECK_STR(c.engine.operators[1], "console:op");
    CHECK(c.engine.operators[2] == NULL);
    CHECK_INT(c.engine.admins_are_operators, 0);
    CHECK_INT(c.engine.checkin.base_points, 5);
    CHECK_INT(c.engine.checkin.streak_bonus, 2);
    CHECK_INT(c.engine.checkin.streak_bonus_cap, 20);
    CHECK_INT(c.engine.checkin.n_triggers, 2);
    CHECK_STR(c.engine.checkin.triggers[0], "checkin");
    CHECK_STR(c.engine.checkin.triggers[1], "签到");
    CHECK_INT(c.engine.member_rate_per_min, 0);
    CHECK_INT(c.engine.schedule_grace_s, 300);
    CHECK_STR(TG(&c)->api_base, "http://127.0.0.1:8081");
    CHECK_INT(TG(&c)->poll_timeout_s, 50);
    CHECK_INT(TG(&c)->admin_cache_s, 0);
    CHECK(c.limits.per_chat_per_s == 0.5);
    CHECK_INT(c.limits.per_group_per_min, 10);
    CHECK_INT(c.limits.global_per_s, 25);
    CHECK_INT(c.limits.coalesce, 0);
    CHECK_INT(c.limits.enabled, 0);
    CHECK_STR(CON(&c)->user, "alice");
    CHECK_STR(CON(&c)->chat, "room1");
    CHECK(c.secret_in_file == NULL);
    CHECK_INT(cfg_validate(&c, err, sizeof err), 0);

    /* a second, partial file overrides only what it names */
    CHECK_INT(load_text(&c, "{\"adapters\": [], \"checkin\": "
                            "{\"triggers\": []}}",
                        err, sizeof err),
              0);
    CHECK_INT(c.n_adapters, 0);
    CHECK_INT(c.engine.checkin.n_triggers, 0);
    CHECK(c.engine.checkin.triggers[0] == NULL);
    CHECK_STR(c.engine.locale, "en");
    CHECK_INT(cfg_set_adapters(&c, "auto", err, sizeof err), 0);
    CHECK_INT(c.n_adapters, 0);
    cfg_free(&c);
}

TEST(schedules_section)
{
    struct kb_config c;
    char err[256];
    cfg_defaults(&c);
    CHECK_INT(c.engine.n_schedules, 0);
    CHECK_INT(load_text(&c,
                        "{\"schedules\": [{\"kind\": \"greet\", \"at\": \"08:00\", "
                        "\"days\": \"weekdays\", \"template\": \"Hi {date}\\nline 2\"}, "
                        "{\"kind\": \"weekly\", \"at\": \"9:00\", \"days\": \"mon\"}]}",
                        err, sizeof err),
              0);
    CHECK_INT(c.engine.n_schedules, 2);
    CHECK_STR(c.engine.schedules[0].kind, "greet");
    CHECK_STR(c.engine.schedules[0].at, "08:00");
    CHECK_STR(c.engine.schedules[0].days, "weekdays");
    CHECK_STR(c.engine.schedules[0].tmpl, "Hi {date}\nline 2");
    CHECK_STR(c.engine.schedules[1].kind, "weekly");
    CHECK(c.engine.schedules[1].tmpl == NULL);
    /* a failed second load keeps the first; a good one replaces it */
    CHECK_INT(load_text(&c, "{\"schedules\": [{\"kind\": \"night\", \"at\": \"x\"}]}", err,
                        sizeof err),
              KB_EINVAL);
    CHECK_INT(c.engine.n_schedules, 2);
    CHECK_INT(load_text(&c, "{\"schedules\": []}", err, sizeof err), 0);
    CHECK_INT(c.engine.n_schedules, 0);
    CHECK(c.engine.schedules[0].kind == NULL);
    CHECK_INT(cfg_validate(&c, err, sizeof err), 0);
    cfg_free(&c);
}

TEST(example_file_is_valid)
{
    struct kb_config c;
    char err[256];
    cfg_defaults(&c);
    int rc = cfg_load_file(&c, "config/kocbot.example.json", err, sizeof err);
    if (rc)
        printf("    %s\n", err);
    CHECK_INT(rc, 0);
    CHECK_INT(cfg_validate(&c, err, sizeof err), 0);
    CHECK_INT(c.engine.n_operators, 2);
    CHECK_INT(c.engine.n_levels, 5); /* the example spells out the default ladder */
    CHECK_STR(c.engine.levels[2].name_en, "Contributor");
    CHECK_INT(c.engine.levels[4].granted_only, 1);
    CHECK_STR(c.engine.db_path, "/var/lib/kocbot/kocbot.db");
    CHECK_INT(c.engine.n_schedules, 2);
    CHECK_INT(c.engine.term_remind_s, 7 * 86400); /* issue 18's keys, in their units */
    CHECK_INT(c.engine.mentor_cap, 5);
    CHECK_INT(c.engine.mentor_points_level2, 50);
    cfg_free(&c);
}

/* Every key with a wrong type or value, and what the message must say. */
static const struct {
    const char *json;
    int rc;
    const char *msg;
} bad_cases[] = {
    {"{\"schedules\": {}}", KB_EINVAL, "schedules: must be an array of objects"},
    {"{\"schedules\": [\"greet\"]}", KB_EINVAL, "schedules[0]: must be an object"},
    {"{\"schedules\": [{\"kind\": \"party\", \"at\": \"08:00\"}]}", KB_EINVAL,
     "schedules[0].kind: must be \"greet\""},
    {"{\"schedules\": [{\"kind\": \"greet\"}]}", KB_EINVAL, "schedules[0].at: missing"},
    {"{\"schedules\": [{\"kind\": \"greet\", \"at\": \"8 o clock\"}]}", KB_EINVAL,
     "schedules[0].at: must be a 24-hour time like \"08:00\" (got \"8 o clock\")"},
    {"{\"schedules\": [{\"kind\": \"greet\", \"at\": \"08:00\", \"days\": \"sometimes\"}]}",
     KB_EINVAL, "schedules[0].days: must be \"daily\""},
    {"{\"schedules\": [{\"kind\": \"greet\", \"at\": \"08:00\", \"when\": 1}]}", KB_EINVAL,
     "schedules[0].\"when\": unknown key"},
    {"{\"schedules\": [{\"kind\": \"greet\", \"at\": \"08:00\", \"template\": 5}]}", KB_EINVAL,
     "schedules[0].template: must be a string (got a number)"},
    {"{\"schedules\": [{\"kind\": \"greet\", \"at\": \"08:00\", \"template\": \"a\\tb\"}]}",
     KB_EINVAL, "schedules[0].template: must be valid UTF-8 text"},
    {"{\"db\": 5}", KB_EINVAL, "db: must be a string (got a number)"},
    {"{\"db\": \"\"}", KB_EINVAL, "db: must not be empty"},
    {"{\"db\": null}", KB_EINVAL, "db: must be a string"},
    {"{\"db\": \"a\\nb\"}", KB_EINVAL, "db: must not contain control"},
    {"{\"adapters\": [\"irc\"]}", KB_EINVAL,
     "adapters[0]: must be \"telegram\", \"onebot\", \"matrix\" or \"console\" (got \"irc\")"},
    {"{\"adapters\": true}", KB_EINVAL, "adapters: must be an array of strings"},
    {"{\"matrix\": {\"homeserver\": \"matrix.example.org\"}}", KB_EINVAL, "matrix.homeserver: must"},
    {"{\"matrix\": {\"invites\": \"alice@example.org\"}}", KB_EINVAL,
     "matrix.invites: expected \"everyone\" or a comma-separated list"},
    {"{\"matrix\": {\"user_id\": \"kocbot\"}}", KB_EINVAL,
     "matrix.user_id: expected a full Matrix user id"},
    {"{\"matrix\": {\"device_id\": \"my device\"}}", KB_EINVAL, "matrix.device_id: must not contain spaces"},
    {"{\"adapter\": \"console\"}", KB_EINVAL, "\"adapter\": unknown key"},
    {"{\"locale\": \"fr\"}", KB_EINVAL,
     "locale: must be \"zh-CN\" or \"en\" (got \"fr\")"},
    {"{\"locale\": [\"en\"]}", KB_EINVAL, "locale: must be a string (got an"},
    {"{\"timezone\": \"Mars/Base\"}", KB_EINVAL,
     "timezone: unknown time zone \"Mars/Base\""},
    {"{\"timezone\": \"../../../etc/passwd\"}", KB_EINVAL,
     "timezone: unknown time zone"},
    {"{\"timezone\": \"zone.tab\"}", KB_EINVAL, "timezone: unknown time zone"},
    {"{\"log_level\": \"verbose\"}", KB_EINVAL,
     "log_level: must be \"debug\", \"info\", \"warn\" or \"error\""},
    {"{\"log_level\": 1}", KB_EINVAL, "log_level: must be a string"},
    {"{\"bot_name\": \"my bot\"}", KB_EINVAL,
     "bot_name: must not contain spaces"},
    {"{\"operators\": \"tg:1\"}", KB_EINVAL,
     "operators: must be an array of strings (got a string)"},
    {"{\"operators\": [\"tg:1\", 2]}", KB_EINVAL,
     "operators[1]: must be a string (got a number)"},
    {"{\"operators\": [\"op\"]}", KB_EINVAL,
     "operators[0]: must look like platform:user_id"},
    {"{\"operators\": [\"tg:@alice\"]}", KB_EINVAL,
     "operators[0]: Telegram user ids are numbers"},
    {"{\"operators\": [\"TG:1\"]}", KB_EINVAL,
     "operators[0]: must look like platform:user_id"},
    {"{\"admins_are_operators\": 1}", KB_EINVAL,
     "admins_are_operators: must be true or false (got a number)"},
    {"{\"checkin\": 3}", KB_EINVAL, "checkin: must be an object (got a"},
    {"{\"checkin\": {\"base_points\": 100001}}", KB_EINVAL,
     "checkin.base_points: must be an integer from 0 to 100000"},
    {"{\"checkin\": {\"base_points\": -1}}", KB_EINVAL,
     "checkin.base_points: must be an integer from 0 to 100000"},
    {"{\"checkin\": {\"base_points\": 1.5}}", KB_EINVAL,
     "checkin.base_points: must be an integer"},
    {"{\"checkin\": {\"base_points\": \"10\"}}", KB_EINVAL,
     "checkin.base_points: must be an integer"},
    {"{\"checkin\": {\"streak_bonus\": 1e9}}", KB_EINVAL,
     "checkin.streak_bonus: must be an integer from 0 to 100000"},
    {"{\"checkin\": {\"streak_bonus_cap\": true}}", KB_EINVAL,
     "checkin.streak_bonus_cap: must be an integer"},
    {"{\"checkin\": {\"triggers\": [\"\"]}}", KB_EINVAL,
     "checkin.triggers[0]: must not be empty"},
    {"{\"checkin\": {\"triggers\": [\" 签到\"]}}", KB_EINVAL,
     "checkin.triggers[0]: must not start or end with a space"},
    {"{\"checkin\": {\"triggers\": [\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\","
     "\"8\",\"9\",\"10\",\"11\",\"12\",\"13\",\"14\",\"15\",\"16\",\"17\"]}}",
     KB_EINVAL, "checkin.triggers: at most 16 entries (got 17)"},
    {"{\"member_rate_per_min\": 10001}", KB_EINVAL,
     "member_rate_per_min: must be an integer from 0 to 10000"},
    {"{\"schedule_grace_minutes\": 1441}", KB_EINVAL,
     "schedule_grace_minutes: must be an integer from 0 to 1440"},
    {"{\"outbox_retention_days\": 0}", KB_EINVAL,
     "outbox_retention_days: must be an integer from 1 to 3650"},
    {"{\"revision_window_hours\": 721}", KB_EINVAL,
     "revision_window_hours: must be an integer from 0 to 720"},
    {"{\"telegram\": []}", KB_EINVAL, "telegram: must be an object"},
    {"{\"telegram\": {\"api_base\": \"ftp://x\"}}", KB_EINVAL,
     "telegram.api_base: must be an http:// or https:// URL"},
    {"{\"telegram\": {\"api_base\": \"https://x/\"}}", KB_EINVAL,
     "telegram.api_base: must not end with '/'"},
    {"{\"telegram\": {\"poll_timeout_s\": 0}}", KB_EINVAL,
     "telegram.poll_timeout_s: must be an integer from 1 to 50"},
    {"{\"telegram\": {\"poll_timeout_s\": 51}}", KB_EINVAL,
     "telegram.poll_timeout_s: must be an integer from 1 to 50"},
    {"{\"telegram\": {\"admin_cache_s\": 86401}}", KB_EINVAL,
     "telegram.admin_cache_s: must be an integer from 0 to 86400"},
    {"{\"telegram\": {\"token\": 12345}}", KB_EINVAL,
     "telegram.token: must be a string or null (got a number)"},
    {"{\"limits\": {\"per_chat_per_s\": 0}}", KB_EINVAL,
     "limits.per_chat_per_s: must be a number from 0.01 to 1000"},
    {"{\"limits\": {\"per_chat_per_s\": \"1\"}}", KB_EINVAL,
     "limits.per_chat_per_s: must be a number"},
    {"{\"limits\": {\"per_group_per_min\": 0}}", KB_EINVAL,
     "limits.per_group_per_min: must be an integer from 1 to 100000"},
    {"{\"limits\": {\"global_per_s\": -3}}", KB_EINVAL,
     "limits.global_per_s: must be an integer from 1 to 100000"},
    {"{\"limits\": {\"coalesce\": \"yes\"}}", KB_EINVAL,
     "limits.coalesce: must be true or false (got a string)"},
    {"{\"limits\": {\"enabled\": null}}", KB_EINVAL,
     "limits.enabled: must be true or false (got null)"},
    {"{\"console\": {\"user\": \"\"}}", KB_EINVAL,
     "console.user: must not be empty"},
    {"{\"console\": {\"chat\": 7}}", KB_EINVAL,
     "console.chat: must be a string (got a number)"},
    {"{\"db\": \"a\\u0000b\"}", KB_EINVAL, "\\u0000 is not allowed"},
    {"{\"db\": \"\xff\xfe\"}", KB_EINVAL, "db: must be valid UTF-8"},
    {"{\"db\": \"\xc0\xaf\"}", KB_EINVAL, "db: must be valid UTF-8"},
    {"{\"locale\": \"en\", \"locale\": \"zh-CN\"}", KB_EINVAL,
     "locale: duplicate key"},
    {"{\"checkin\": {\"base_points\": 1, \"base_points\": 2}}", KB_EINVAL,
     "checkin.base_points: duplicate key"},
    {"[1, 2]", KB_EINVAL, "the top level must be a JSON object"},
    {"{\"levels\": {}}", KB_EINVAL, "levels: must be an array of levels"},
    {"{\"levels\": []}", KB_EINVAL, "levels: needs 1 to 16 levels (got 0)"},
    {"{\"levels\": [1]}", KB_EINVAL, "levels[0]: must be an object"},
    {"{\"levels\": [{\"name_zh\": \"a\"}]}", KB_EINVAL,
     "levels[0]: needs both \"name_zh\" and \"name_en\""},
    {"{\"levels\": [{\"name_zh\": \"a\", \"name_en\": \"\"}]}", KB_EINVAL,
     "levels[0].name_en: must not be empty"},
    {"{\"levels\": [{\"name_zh\": \"a\", \"name_en\": \"a\", \"points\": 5}]}",
     KB_EINVAL, "levels[0]: the first level is where everyone starts"},
    {"{\"levels\": [{\"name_zh\": \"a\", \"name_en\": \"a\"},"
     " {\"name_zh\": \"b\", \"name_en\": \"b\", \"pionts\": 5}]}",
     KB_EINVAL, "levels[1].\"pionts\": unknown key"},
    {"{\"levels\": [{\"name_zh\": \"a\", \"name_en\": \"a\"},"
     " {\"name_zh\": \"b\", \"name_en\": \"b\", \"points\": -1}]}",
     KB_EINVAL, "levels[1].points: must be an integer from 0 to 10000000"},
    {"{\"levels\": [{\"name_zh\": \"a\", \"name_en\": \"a\"},"
     " {\"name_zh\": \"b\", \"name_en\": \"b\", \"granted_only\": 1}]}",
     KB_EINVAL, "levels[1].granted_only: must be true or false"},
    {"{\"levels\": [{\"name_zh\": \"a\", \"name_en\": \"a\", \"name_en\": \"b\"}]}",
     KB_EINVAL, "levels[0].name_en: duplicate key"},
};

TEST(bad_values_name_the_key)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        struct kb_config c;
        char err[512];
        cfg_defaults(&c);
        int rc = load_text(&c, bad_cases[i].json, err, sizeof err);
        int ok = rc == bad_cases[i].rc && strstr(err, bad_cases[i].msg) &&
                 strcmp(c.engine.db_path, "./kocbot.db") == 0 &&
                 strcmp(c.engine.locale, "zh-CN") == 0 &&
                 c.engine.checkin.base_points == 10;
        cfg_free(&c);
        if (!ok)
            TEST_FAIL("case %zu %s: rc %d, err \"%s\", want \"%s\"", i,
                      bad_cases[i].json, rc, err, bad_cases[i].msg);
    }
}

TEST(levels_load_and_validate)
{
    struct kb_config c;
    char err[256];
    cfg_defaults(&c);
    CHECK_INT(c.engine.n_levels, 0); /* 0 = the engine's built-in ladder */
    CHECK_INT(load_text(&c,
                        "{\"levels\": [{\"name_zh\": \"新人\", \"name_en\": \"New\"},"
                        " {\"name_zh\": \"达人\", \"name_en\": \"Pro\", \"points\": 50,"
                        "  \"checkin_days\": 3, \"basic\": 1, \"explore\": 2,"
                        "  \"precision\": 3, \"cobuild\": 4},"
                        " {\"name_zh\": \"嘉宾\", \"name_en\": \"Guest\", \"granted_only\": true}]}",
                        err, sizeof err),
              0);
    CHECK_INT(c.engine.n_levels, 3);
    CHECK_STR(c.engine.levels[0].name_zh, "新人");
    CHECK_STR(c.engine.levels[1].name_en, "Pro");
    CHECK_INT(c.engine.levels[1].min_points, 50);
    CHECK_INT(c.engine.levels[1].min_checkin_days, 3);
    CHECK_INT(c.engine.levels[1].min_basic, 1);
    CHECK_INT(c.engine.levels[1].min_explore, 2);
    CHECK_INT(c.engine.levels[1].min_precision, 3);
    CHECK_INT(c.engine.levels[1].min_cobuild, 4);
    CHECK_INT(c.engine.levels[1].granted_only, 0);
    CHECK_INT(c.engine.levels[2].granted_only, 1);
    CHECK_INT(cfg_validate(&c, err, sizeof err), 0);
    /* values set by code are held to the file's rules */
    c.engine.levels[0].min_points = 1;
    CHECK_INT(cfg_validate(&c, err, sizeof err), KB_EINVAL);
    CHECK_CONTAINS(err, "levels[0]");
    c.engine.levels[0].min_points = 0;
    c.engine.levels[1].name_en[0] = '\0';
    CHECK_INT(cfg_validate(&c, err, sizeof err), KB_EINVAL);
    CHECK_CONTAINS(err, "levels[1].name_en");
    cfg_free(&c);
}

TEST(failed_load_leaves_config_unchanged)
{
    struct kb_config c;
    char err[256];
    cfg_defaults(&c);
    /* good keys first, then a bad one: nothing may stick */
    CHECK_INT(load_text(&c,
                        "{\"db\": \"/x.db\", \"operators\": [\"tg:1\"], "
                        "\"checkin\": {\"triggers\": [\"a\"]}, "
                        "\"locale\": \"xx\"}",
                        err, sizeof err),
              KB_EINVAL);
    CHECK_STR(c.engine.db_path, "./kocbot.db");
    CHECK_INT(c.engine.n_operators, 0);
    CHECK_INT(c.engine.checkin.n_triggers, 2);
    CHECK_STR(c.engine.checkin.triggers[0], "签到");
    cfg_free(&c);
}

TEST(unknown_keys)
{
    struct kb_config c;
    char err[256];
    cfg_defaults(&c);
    CHECK_INT(load_text(&c, "{\"databse\": \"x\"}", err, sizeof err),
              KB_EINVAL);
    CHECK_CONTAINS(err, "\"databse\": unknown key");
    CHECK_INT(load_text(&c, "{\"telegram\": {\"pol_timeout_s\": 5}}", err,
                        sizeof err),
              KB_EINVAL);
    CHECK_CONTAINS(err, "telegram.\"pol_timeout_s\": unknown key");
    CHECK_INT(load_text(&c, "{\"checkin\": {\"Base_Points\": 5}}", err,
                        sizeof err),
              KB_EINVAL);
    CHECK_CONTAINS(err, "checkin.\"Base_Points\": unknown key");
    /* env-only settings are not file keys */
    CHECK_INT(load_text(&c, "{\"fake_now\": 5}", err, sizeof err), KB_EINVAL);
    CHECK_CONTAINS(err, "\"fake_now\": unknown key");
    cfg_free(&c);
}

TEST(broken_json)
{
    struct kb_config c;
    char err[256];
    cfg_defaults(&c);
    const char *p = write_tmp("{\n  \"db\": \"x\",\n  \"locale\" \"en\"\n}\n",
                              0600);
    CHECK_INT(cfg_load_file(&c, p, err, sizeof err), KB_EPARSE);
    char want[128];
    snprintf(want, sizeof want, "%s:3:", p);
    CHECK_CONTAINS(err, want);
    CHECK_CONTAINS(err, "JSON syntax error");
    unlink(p);

    CHECK_INT(load_text(&c, "{\"db\": \"x\",}", err, sizeof err), KB_EPARSE);
    CHECK_CONTAINS(err, ":1:");
    CHECK_INT(load_text(&c, "{\"db\": \"x\"} trailing", err, sizeof err),
              KB_EPARSE);
    CHECK_CONTAINS(err, "JSON syntax error");
    CHECK_INT(load_text(&c, "", err, sizeof err), KB_EPARSE);
    CHECK_CONTAINS(err, "end of file");
    CHECK_INT(load_text(&c, "{\"db\": \"unterminated", err, sizeof err),
              KB_EPARSE);
    CHECK_STR(c.engine.db_path, "./kocbot.db");
    /* a byte order mark is tolerated */
    CHECK_INT(load_text(&c, "\xEF\xBB\xBF{\"locale\": \"en\"}", err,
                        sizeof err),
              0);
    CHECK_STR(c.engine.locale, "en");
    cfg_free(&c);
}

TEST(missing_file)
{
    struct kb_config c;
    char err[256];
    cfg_defaults(&c);
    CHECK_INT(cfg_load_file(&c, "/nonexistent/kocbot.json", err, sizeof err),
              KB_ENOTFOUND);
    CHECK_CONTAINS(err, "/nonexistent/kocbot.json: cannot open");
    CHECK_INT(cfg_load_file(&c, "/tmp", err, sizeof err), KB_EINVAL);
    CHECK_CONTAINS(err, "not a regular file");
    CHECK_STR(c.engine.db_path, "./kocbot.db");
    cfg_free(&c);
}

TEST(long_strings_are_bounded)
{
    struct kb_config c;
    char err[256];
    static char json[6000];
    char big[4200];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    snprintf(json, sizeof json, "{\"db\": \"%s\"}", big);
    cfg_defaults(&c);
    CHECK_INT(load_text(&c, json, err, sizeof err), KB_EINVAL);
    CHECK_CONTAINS(err, "db: must be at most 4096 bytes");
    snprintf(json, sizeof json, "{\"bot_name\": \"%.65s\"}", big);
    CHECK_INT(load_text(&c, json, err, sizeof err), KB_EINVAL);
    CHECK_CONTAINS(err, "bot_name: must be at most 64 bytes");
    cfg_free(&c);
}

TEST(token_in_world_readable_file_is_refused)
{
    struct kb_config c;
    char err[512];
    const char *json = "{\"telegram\": {\"token\": \"" TOKEN "\"}}";
    cfg_defaults(&c);
    const char *p = write_tmp(json, 0644);
    CHECK_INT(cfg_load_file(&c, p, err, sizeof err), KB_EDENIED);
    CHECK_CONTAINS(err, "readable by other users");
    CHECK_CONTAINS(err, "KOCBOT_TELEGRAM_TOKEN");
    CHECK(!strstr(err, "AAHsecret"));
    CHECK(TG(&c)->token == NULL);
    CHECK(c.secret_in_file == NULL);

    /* private file: accepted, with a warning and the flag */
    CHECK_INT(chmod(p, 0600), 0);
    CHECK_INT(cfg_load_file(&c, p, err, sizeof err), 0);
    CHECK_CONTAINS(err, "warning");
    CHECK_CONTAINS(err, "KOCBOT_TELEGRAM_TOKEN");
    CHECK(!strstr(err, "AAHsecret"));
    CHECK_STR(TG(&c)->token, TOKEN);
    CHECK_STR(c.secret_in_file, "telegram.token");
    CHECK_STR(started(&c), "telegram");
    unlink(p);

    /* a readable file without a token is fine */
    CHECK_INT(load_text(&c, "{\"telegram\": {\"token\": null}}", err,
                        sizeof err),
              0);
    CHECK(TG(&c)->token == NULL);
    p = write_tmp("{\"locale\": \"en\"}", 0644);
    CHECK_INT(cfg_load_file(&c, p, err, sizeof err), 0);
    unlink(p);
    cfg_free(&c);
}

TEST(token_never_in_messages)
{
    struct kb_config c;
    char err[512];
    cfg_defaults(&c);
    /* malformed token, broken JSON next to a token, bad env token */
    CHECK_INT(load_text(&c,
                        "{\"telegram\": {\"token\": \"bot" TOKEN "\"}}",
                        err, sizeof err),
              KB_EINVAL);
    CHECK_CONTAINS(err, "telegram.token: does not look like");
    CHECK(!strstr(err, "AAHsecret"));
    CHECK_INT(load_text(&c, "{\"telegram\": {\"token\": \"" TOKEN "\" x}}",
                        err, sizeof err),
              KB_EPARSE);
    CHECK_CONTAINS(err, "JSON syntax error");
    CHECK(!strstr(err, "AAHsecret"));
    CHECK_INT(load_text(&c, "{\"telegram\": {\"token\": \"" TOKEN " \"}}", err,
                        sizeof err),
              KB_EINVAL);
    CHECK(!strstr(err, "AAHsecret"));
    setenv("KOCBOT_TELEGRAM_TOKEN", "oops " TOKEN, 1);
    CHECK_INT(cfg_apply_env(&c, err, sizeof err), KB_EINVAL);
    clear_env();
    CHECK_CONTAINS(err, "KOCBOT_TELEGRAM_TOKEN: does not look like");
    CHECK(!strstr(err, "AAHsecret"));
    CHECK(TG(&c)->token == NULL);
    cfg_free(&c);
}

TEST(env_overrides)
{
    struct kb_config c;
    char err[256];
    clear_env();
    cfg_defaults(&c);
    CHECK_INT(load_text(&c, "{\"db\": \"/file.db\", \"locale\": \"en\"}", err,
                        sizeof err),
              0);
    setenv("KOCBOT_DB", ":memory:", 1);
    setenv("KOCBOT_LOCALE", "zh-CN", 1);
    setenv("KOCBOT_TZ", "UTC", 1);
    setenv("KOCBOT_LOG_LEVEL", "warn", 1);
    setenv("KOCBOT_TELEGRAM_TOKEN", TOKEN, 1);
    setenv("KOCBOT_TELEGRAM_API", "http://127.0.0.1:9000", 1);
    setenv("KOCBOT_FAKE_NOW", "2026-11-23T07:59:00+08:00", 1);
    setenv("KOCBOT_FAKE_SPEED", "60", 1);
    int rc = cfg_apply_env(&c, err, sizeof err);
    clear_env();
    CHECK_INT(rc, 0);
    CHECK_STR(err, "");
    CHECK_STR(c.engine.db_path, ":memory:");
    CHECK_STR(c.engine.locale, "zh-CN");
    CHECK_STR(c.engine.tz, "UTC");
    CHECK_INT(c.log_level, KB_LOG_WARN);
    CHECK_STR(TG(&c)->token, TOKEN);
    CHECK(c.secret_in_file == NULL);
    CHECK_STR(TG(&c)->api_base, "http://127.0.0.1:9000");
    CHECK_INT(c.fake_now, 1795391940);
    CHECK(c.fake_speed == 60.0);
    CHECK_STR(started(&c), "telegram");
    CHECK_INT(cfg_validate(&c, err, sizeof err), 0);

    /* empty variables count as unset */
    setenv("KOCBOT_DB", "", 1);
    setenv("KOCBOT_TZ", "", 1);
    rc = cfg_apply_env(&c, err, sizeof err);
    clear_env();
    CHECK_INT(rc, 0);
    CHECK_STR(c.engine.db_path, ":memory:");
    CHECK_STR(c.engine.tz, "UTC");
    cfg_free(&c);
}

static const struct {
    const char *var, *value, *msg;
} bad_env[] = {
    {"KOCBOT_LOCALE", "fr", "KOCBOT_LOCALE: must be \"zh-CN\" or \"en\""},
    {"KOCBOT_TZ", "Mars/Base", "KOCBOT_TZ: unknown time zone \"Mars/Base\""},
    {"KOCBOT_TZ", "/etc/passwd", "KOCBOT_TZ: unknown time zone"},
    {"KOCBOT_TZ", "Asia/../../../etc/passwd", "KOCBOT_TZ: unknown time zone"},
    {"KOCBOT_LOG_LEVEL", "verbose", "KOCBOT_LOG_LEVEL: must be \"debug\""},
    {"KOCBOT_TELEGRAM_API", "api.telegram.org",
     "KOCBOT_TELEGRAM_API: must be an http:// or https:// URL"},
    {"KOCBOT_DB", "a\tb", "KOCBOT_DB: must not contain control"},
    {"KOCBOT_FAKE_NOW", "tomorrow", "KOCBOT_FAKE_NOW: must be unix seconds"},
    {"KOCBOT_FAKE_NOW", "0", "KOCBOT_FAKE_NOW: must be unix seconds"},
    {"KOCBOT_FAKE_NOW", "2026-11-23T07:59:00", "KOCBOT_FAKE_NOW:"},
    {"KOCBOT_FAKE_SPEED", "0", "KOCBOT_FAKE_SPEED: must be a number greater"},
    {"KOCBOT_FAKE_SPEED", "-2", "KOCBOT_FAKE_SPEED: must be a number"},
    {"KOCBOT_FAKE_SPEED", "fast", "KOCBOT_FAKE_SPEED: must be a number"},
    {"KOCBOT_FAKE_SPEED", "inf", "KOCBOT_FAKE_SPEED: must be a number"},
    {"KOCBOT_FAKE_SPEED", "2x", "KOCBOT_FAKE_SPEED: must be a number"},
};

TEST(env_bad_values)
{
    for (size_t i = 0; i < sizeof bad_env / sizeof bad_env[0]; i++) {
        struct kb_config c;
        char err[512];
        clear_env();
        cfg_defaults(&c);
        setenv("KOCBOT_DB", "/env.db", 1); /* a good one that must not stick */
        setenv(bad_env[i].var, bad_env[i].value, 1);
        int rc = cfg_apply_env(&c, err, sizeof err);
        clear_env();
        int ok = rc == KB_EINVAL && strstr(err, bad_env[i].msg) &&
                 strcmp(c.engine.db_path, "./kocbot.db") == 0 &&
                 c.fake_now == 0 && c.fake_speed == 1.0;
        cfg_free(&c);
        if (!ok)
            TEST_FAIL("%s=%s: rc %d, err \"%s\", want \"%s\"", bad_env[i].var,
                      bad_env[i].value, rc, err, bad_env[i].msg);
    }
}

TEST(env_operators)
{
    struct kb_config c;
    char err[256];
    clear_env();
    cfg_defaults(&c);
    CHECK_INT(load_text(&c, "{\"operators\": [\"tg:1\"]}", err, sizeof err),
              0);
    setenv("KOCBOT_OPERATORS", "console:op, tg:12345 ,tg:1,matrix:@a:b.org",
           1);
    int rc = cfg_apply_env(&c, err, sizeof err);
    clear_env();
    CHECK_INT(rc, 0);
    CHECK_INT(c.engine.n_operators, 4);
    CHECK_STR(c.engine.operators[0], "tg:1");
    CHECK_STR(c.engine.operators[1], "console:op");
    CHECK_STR(c.engine.operators[2], "tg:12345");
    CHECK_STR(c.engine.operators[3], "matrix:@a:b.org");
    CHECK_INT(cfg_validate(&c, err, sizeof err), 0);

    static const struct {
        const char *value, *msg;
    } bad[] = {
        {"op", "KOCBOT_OPERATORS: entry 1: must look like platform:user_id, "
                "e.g. \"tg:12345\" (got \"op\")"},
        {"console:a,tg:abc", "KOCBOT_OPERATORS: entry 2: Telegram user ids "
                             "are numbers, not @names (got \"tg:abc\")"},
        {":x", "entry 1: must look like platform:user_id"},
        {"tg:", "entry 1: must look like platform:user_id, e.g. \"tg:12345\" (got \"tg:\")"},
        {"Tg:5", "entry 1: must look like platform:user_id, e.g. \"tg:12345\" (got \"Tg:5\")"},
        {"tg:1,,tg:2", "KOCBOT_OPERATORS: entry 2 is empty"},
        {"tg:1,", "KOCBOT_OPERATORS: entry 2 is empty"},
        {"tg:1 2", "entry 1: must look like platform:user_id, e.g. \"tg:12345\" (got \"tg:1 2\")"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("KOCBOT_OPERATORS", bad[i].value, 1);
        rc = cfg_apply_env(&c, err, sizeof err);
        clear_env();
        if (rc != KB_EINVAL || !strstr(err, bad[i].msg) ||
            c.engine.n_operators != 4)
            TEST_FAIL("%s: rc %d err \"%s\" want \"%s\"", bad[i].value, rc,
                      err, bad[i].msg);
    }

    /* capacity: 64 in all */
    char list[2048] = "";
    size_t len = 0;
    for (int i = 0; i < 61; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%stg:%d",
                                i ? "," : "", 1000 + i);
    setenv("KOCBOT_OPERATORS", list, 1);
    rc = cfg_apply_env(&c, err, sizeof err);
    clear_env();
    CHECK_INT(rc, KB_EINVAL);
    CHECK_CONTAINS(err, "too many operators");
    CHECK_INT(c.engine.n_operators, 4);
    *strrchr(list, ',') = '\0'; /* drop the last entry: 60 more fit */
    setenv("KOCBOT_OPERATORS", list, 1);
    rc = cfg_apply_env(&c, err, sizeof err);
    clear_env();
    CHECK_INT(rc, 0);
    CHECK_INT(c.engine.n_operators, 64);
    cfg_free(&c);
}

TEST(parse_time)
{
    int64_t t = -1;
    CHECK_INT(cfg_parse_time("1795391940", &t), 0);
    CHECK_INT(t, 1795391940);
    CHECK_INT(cfg_parse_time("0", &t), 0);
    CHECK_INT(t, 0);
    CHECK_INT(cfg_parse_time("2026-11-23T07:59:00Z", &t), 0);
    CHECK_INT(t, 1795420740);
    CHECK_INT(cfg_parse_time("2026-11-23T07:59:00+08:00", &t), 0);
    CHECK_INT(t, 1795391940);
    CHECK_INT(cfg_parse_time("2026-11-23T07:59:00-05:30", &t), 0);
    CHECK_INT(t, 1795440540);
    CHECK_INT(cfg_parse_time("2026-11-23T07:59:00+0800", &t), 0);
    CHECK_INT(t, 1795391940);
    CHECK_INT(cfg_parse_time("2026-11-23t07:59:00.750z", &t), 0);
    CHECK_INT(t, 1795420740);
    CHECK_INT(cfg_parse_time("2024-02-29T12:00:00Z", &t), 0);
    CHECK_INT(t, 1709208000);
    CHECK_INT(cfg_parse_time("1970-01-01T00:00:00Z", &t), 0);
    CHECK_INT(t, 0);
    CHECK_INT(cfg_parse_time("1969-12-31T23:59:59Z", &t), 0);
    CHECK_INT(t, -1);
    CHECK_INT(cfg_parse_time("2000-03-01T00:00:00+00:00", &t), 0);
    CHECK_INT(t, 951868800);

    static const char *const garbage[] = {
        "", "abc", "-5", "+5", " 123", "123 ", "12abc", "1e9",
        "9999999999999999999",            /* overflow */
        "2026-11-23T07:59:00",            /* no zone */
        "2026-11-23",                     /* no time */
        "2026-11-23T07:59Z",              /* no seconds */
        "2026-13-01T00:00:00Z",           /* month 13 */
        "2026-00-10T00:00:00Z",           /* month 0 */
        "2026-02-29T00:00:00Z",           /* not a leap year */
        "2026-04-31T00:00:00Z",           /* April has 30 days */
        "2026-11-23T24:00:00Z",           /* hour 24 */
        "2026-11-23T07:60:00Z",           /* minute 60 */
        "2026-11-23T07:59:60Z",           /* leap second */
        "2026-11-23T07:59:00+8:00",       /* one-digit offset */
        "2026-11-23T07:59:00+08:0",       /* short offset */
        "2026-11-23T07:59:00+24:00",      /* offset hour */
        "2026-11-23T07:59:00Zjunk",       /* trailing text */
        "2026-11-23T07:59:00.Z",          /* empty fraction */
        "2026/11/23T07:59:00Z",
        "26-11-23T07:59:00Z",
    };
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        t = 42;
        if (cfg_parse_time(garbage[i], &t) != KB_EINVAL || t != 42)
            TEST_FAIL("accepted \"%s\" as %" PRId64, garbage[i], t);
    }
    CHECK_INT(cfg_parse_time(NULL, &t), KB_EINVAL);
}

TEST(validate_cross_field)
{
    struct kb_config c;
    char err[256];
    /* a config that never saw cfg_defaults is refused, not dereferenced */
    memset(&c, 0, sizeof c);
    CHECK_INT(cfg_validate(&c, err, sizeof err), KB_EINVAL);
    CHECK_STR(started(&c), "console");
    cfg_defaults(&c);
    CHECK_INT(cfg_set_adapters(&c, "telegram", err, sizeof err), 0);
    CHECK_INT(cfg_validate(&c, err, sizeof err), KB_EINVAL);
    CHECK_CONTAINS(err, "adapters: \"telegram\" needs telegram.token; set KOCBOT_TELEGRAM_TOKEN");
    CHECK_INT(cfg_set_adapters(&c, "telegram,irc", err, sizeof err), KB_EINVAL);
    CHECK_CONTAINS(err, "adapters: must be \"telegram\", \"onebot\", \"matrix\" or \"console\" (got \"irc\")");
    CHECK_INT(cfg_set_adapters(&c, "console,telegram", err, sizeof err), 0);
    CHECK_INT(c.n_adapters, 2);
    CHECK_STR(started(&c), "console,telegram");
    CHECK_INT(cfg_set_adapters(&c, "telegram", err, sizeof err), 0);
    TG(&c)->token = strdup(TOKEN);
    CHECK_INT(cfg_validate(&c, err, sizeof err), 0);
    CHECK_STR(started(&c), "telegram");

    free(c.engine.locale);
    c.engine.locale = strdup("de");
    CHECK_INT(cfg_validate(&c, err, sizeof err), KB_EINVAL);
    CHECK_CONTAINS(err, "locale: must be \"zh-CN\" or \"en\"");
    free(c.engine.locale);
    c.engine.locale = strdup("en");

    free(c.engine.tz);
    c.engine.tz = strdup("Not/AZone");
    CHECK_INT(cfg_validate(&c, err, sizeof err), KB_EINVAL);
    CHECK_CONTAINS(err, "timezone: unknown time zone");
    free(c.engine.tz);
    c.engine.tz = NULL;
    CHECK_INT(cfg_validate(&c, err, sizeof err), KB_EINVAL);
    CHECK_CONTAINS(err, "timezone: must be set");
    c.engine.tz = strdup("Europe/Berlin");

    TG(&c)->poll_timeout_s = 99;
    CHECK_INT(cfg_validate(&c, err, sizeof err), KB_EINVAL);
    CHECK_CONTAINS(err, "telegram.poll_timeout_s: must be an integer from 1");
    TG(&c)->poll_timeout_s = 25;

    c.engine.schedule_grace_s = 1441 * 60;
    CHECK_INT(cfg_validate(&c, err, sizeof err), KB_EINVAL);
    CHECK_CONTAINS(err, "schedule_grace_minutes:");
    c.engine.schedule_grace_s = 60;

    c.engine.operators[0] = strdup("nocolon");
    c.engine.n_operators = 1;
    CHECK_INT(cfg_validate(&c, err, sizeof err), KB_EINVAL);
    CHECK_CONTAINS(err, "operators[0]: must look like platform:user_id");
    free(c.engine.operators[0]);
    c.engine.operators[0] = strdup("tg:7");

    c.fake_speed = 0;
    CHECK_INT(cfg_validate(&c, err, sizeof err), KB_EINVAL);
    CHECK_CONTAINS(err, "KOCBOT_FAKE_SPEED");
    c.fake_speed = 2;
    CHECK_INT(cfg_validate(&c, err, sizeof err), 0);
    cfg_free(&c);
}

TEST(small_error_buffer)
{
    struct kb_config c;
    char err[6];
    cfg_defaults(&c);
    /* '"' + 3 + 1 bytes fit: the cut half character is dropped */
    CHECK_INT(load_text(&c, "{\"签到\": 1}", err, sizeof err), KB_EINVAL);
    CHECK_STR(err, "\"签");
    CHECK_INT(cfg_load_file(&c, "/nonexistent", NULL, 0), KB_ENOTFOUND);
    cfg_free(&c);
}

TEST(matrix_section)
{
    struct kb_config c;
    char err[512];
    clear_env();
    cfg_defaults(&c);
    CHECK_INT(load_text(&c, "{\"matrix\": {\"homeserver\": \"https://hs.example\","
                            " \"invites\": \"everyone\"}}", err, sizeof err), 0);
    CHECK_STR(started(&c), "matrix"); /* the homeserver alone starts it */
    /* the access token is a secret: a world-readable file may not hold it */
    const char *p = write_tmp("{\"matrix\": {\"homeserver\": \"https://hs.example\","
                              " \"access_token\": \"syt_SECRETvalue\"}}", 0644);
    CHECK_INT(cfg_load_file(&c, p, err, sizeof err), KB_EDENIED);
    CHECK_CONTAINS(err, "matrix.access_token");
    CHECK(!strstr(err, "SECRETvalue"));
    unlink(p);
    cfg_free(&c);
}

TEST_MAIN(T(defaults), T(full_file), T(schedules_section), T(example_file_is_valid),
          T(bad_values_name_the_key), T(levels_load_and_validate),
          T(failed_load_leaves_config_unchanged),
          T(unknown_keys), T(broken_json), T(missing_file),
          T(long_strings_are_bounded), T(token_in_world_readable_file_is_refused),
          T(token_never_in_messages), T(env_overrides), T(env_bad_values),
          T(env_operators), T(parse_time), T(validate_cross_field),
          T(small_error_buffer), T(matrix_section))
