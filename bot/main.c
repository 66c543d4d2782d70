/*
 * kocbot: command line, configuration, then the loop (app.c).
 * Precedence: built-in defaults < --config file < KOCBOT_* environment <
 * command-line flags.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../config/config.h"
#include "app.h"
#include "log.h"

#define KOCBOT_VERSION "0.1.0"

static void usage(FILE *out)
{
    fputs("usage: kocbot [options]\n"
          "  --config FILE        load configuration from a JSON file\n"
          "  --check-config FILE  validate FILE (plus environment) and exit\n"
          "  --adapter NAME       console | telegram (default: telegram when a token is set)\n"
          "  --db PATH            SQLite database file (default ./kocbot.db)\n"
          "  --help, --version\n"
          "environment: KOCBOT_DB KOCBOT_LOCALE KOCBOT_TZ KOCBOT_LOG_LEVEL KOCBOT_OPERATORS\n"
          "             KOCBOT_TELEGRAM_TOKEN KOCBOT_TELEGRAM_API\n"
          "test clock:  KOCBOT_FAKE_NOW (unix seconds or ISO 8601) KOCBOT_FAKE_SPEED\n"
          "The console adapter reads one message per line from stdin; \"alice: /checkin\"\n"
          "speaks as alice.  See README.md for every command.\n",
          out);
}

static int replace(char **field, const char *value)
{
    free(*field);
    *field = strdup(value);
    return *field ? 0 : 1;
}

int main(int argc, char **argv)
{
    app_hold_stop_signals(); /* a SIGTERM in the first milliseconds is a clean stop */
    const char *config_path = NULL, *adapter = NULL, *db = NULL;
    int check_only = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(arg, "--version") == 0) {
            printf("kocbot %s\n", KOCBOT_VERSION);
            return 0;
        } else if ((strcmp(arg, "--config") == 0 || strcmp(arg, "--check-config") == 0) && next) {
            check_only |= strcmp(arg, "--check-config") == 0;
            config_path = next;
            i++;
        } else if (strcmp(arg, "--adapter") == 0 && next) {
            adapter = next;
            i++;
        } else if (strcmp(arg, "--db") == 0 && next) {
            db = next;
            i++;
        } else {
            fprintf(stderr, "kocbot: unknown or incomplete option '%s'\n", arg);
            usage(stderr);
            return 1;
        }
    }
    if (adapter && strcmp(adapter, "console") != 0 && strcmp(adapter, "telegram") != 0) {
        fprintf(stderr, "kocbot: --adapter must be console or telegram, not '%s'\n", adapter);
        return 1;
    }

    struct kb_config cfg;
    char err[1024] = "";
    cfg_defaults(&cfg);
    int rc = 0;
    if (config_path) {
        rc = cfg_load_file(&cfg, config_path, err, sizeof err);
        if (!rc && err[0])
            fprintf(stderr, "kocbot: warning: %s\n", err);
    }
    if (!rc) {
        err[0] = '\0';
        rc = cfg_apply_env(&cfg, err, sizeof err);
    }
    if (!rc && adapter)
        rc = replace(&cfg.adapter, adapter);
    if (!rc && db)
        rc = replace(&cfg.engine.db_path, db);
    if (!rc)
        rc = cfg_validate(&cfg, err, sizeof err);
    if (rc) {
        fprintf(stderr, "kocbot: configuration error: %s\n", err[0] ? err : "out of memory");
        cfg_free(&cfg);
        return 1;
    }
    if (check_only) {
        printf("%s: ok (adapter %s, database %s, locale %s, time zone %s)\n", config_path,
               cfg_adapter_name(&cfg), cfg.engine.db_path, cfg.engine.locale, cfg.engine.tz);
        cfg_free(&cfg);
        return 0;
    }
    log_threshold = cfg.log_level;
    int code = app_run(&cfg);
    cfg_free(&cfg);
    return code;
}
