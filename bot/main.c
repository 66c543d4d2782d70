/*
 * kocbot: command line, configuration, then the loop (app.c).
 * Precedence: built-in defaults < --config file < KOCBOT_* environment <
 * command-line flags.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../adapters/registry.h"
#include "../config/config.h"
#include "../core/util.h"
#include "app.h"
#include "log.h"

#define KOCBOT_VERSION "0.1.0"

static void usage(FILE *out)
{
    struct sbuf names = {0}, vars = {0};
    const char *fallback = "none";
    for (size_t i = 0; i < adapter_n_kinds; i++) {
        const struct adapter_kind *k = adapter_kinds[i];
        if (k->fallback)
            fallback = k->name;
        sbuf_addf(&names, "%s%s", i ? "," : "", k->name);
        for (size_t j = 0; j < k->n_keys; j++)
            if (k->keys[j].env)
                sbuf_addf(&vars, " %s", k->keys[j].env);
    }
    fprintf(out,
            "usage: kocbot [options]\n"
            "  --config FILE        load configuration from a JSON file\n"
            "  --check-config FILE  validate FILE (plus environment) and exit\n"
            "  --adapter LIST       adapters to run, comma-separated: %s\n"
            "                       (default: every adapter whose token is set, else %s)\n"
            "  --db PATH            SQLite database file (default ./kocbot.db)\n"
            "  --help, --version\n"
            "environment: KOCBOT_DB KOCBOT_LOCALE KOCBOT_TZ KOCBOT_LOG_LEVEL KOCBOT_OPERATORS\n"
            "            %s\n"
            "test clock:  KOCBOT_FAKE_NOW (unix seconds or ISO 8601) KOCBOT_FAKE_SPEED\n"
            "See README.md for every adapter and command.\n",
            sbuf_str(&names), fallback, sbuf_str(&vars));
    sbuf_free(&names);
    sbuf_free(&vars);
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
    if (!rc && adapter) {
        err[0] = '\0';
        rc = cfg_set_adapters(&cfg, adapter, err, sizeof err);
    }
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
        const struct adapter_kind *kinds[ADAPTER_MAX_KINDS];
        size_t n = cfg_adapters(&cfg, kinds);
        struct sbuf names = {0};
        for (size_t i = 0; i < n; i++)
            sbuf_addf(&names, "%s%s", i ? ", " : "", kinds[i]->name);
        printf("%s: ok (adapter %s, database %s, locale %s, time zone %s)\n", config_path,
               sbuf_str(&names), cfg.engine.db_path, cfg.engine.locale, cfg.engine.tz);
        sbuf_free(&names);
        cfg_free(&cfg);
        return 0;
    }
    log_threshold = cfg.log_level;
    int code = app_run(&cfg);
    cfg_free(&cfg);
    return code;
}
