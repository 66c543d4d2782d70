/*
 * Configuration loading: defaults, one JSON file, KOCBOT_* environment.
 *
 * One static table (cfg_keys) names every file key with its type, range,
 * default and place in struct kb_config.  It drives defaults, parsing, the
 * per-key checks and cfg_validate, so a key is added in exactly one place.
 * cJSON is used only here, and the tree is discarded before returning.
 *
 * Invariants:
 *  - loads are atomic: work happens on a deep copy that replaces the
 *    caller's config only on success;
 *  - every string is valid UTF-8, free of control characters and bounded;
 *  - the Telegram token is never copied into a message, and memory that
 *    held it (the file buffer, the parse tree, freed copies) is wiped.
 */
#include "config.h"

#include "../adapters/registry.h"
#include "../core/modules.h"
#include "../core/schedule.h"
#include "../core/util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CFG_MAX_STR 4096            /* any string value, in bytes */
#define CFG_MAX_NAME 64             /* names and ids */
#define CFG_MAX_LIST 64             /* entries of any list */
#define MODULE_LIST_SLOTS 64        /* entries of all the modules' lists together */
_Static_assert(KB_MAX_OPERATORS <= CFG_MAX_LIST, "operators fit a list");
#define CFG_MAX_TOKEN 256
#define CFG_MAX_FILE (1024 * 1024)
#define CFG_MAX_PLATFORM 16
#define CFG_ZONEINFO "/usr/share/zoneinfo"
#define CFG_MAX_SPEED 1e6

/* ==== Messages ==== */

static void seterr(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t cap, const char *fmt, ...)
{
    if (!err || cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n < cap)
        return;
    /* truncated: never leave half a UTF-8 sequence at the end */
    size_t len = strlen(err);
    size_t i = len;
    while (i > 0 && ((unsigned char)err[i - 1] & 0xC0) == 0x80)
        i--;
    if (i > 0 && ((unsigned char)err[i - 1] & 0x80))
        err[i - 1] = '\0';
}

static int has_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7F)
            return 1;
    return 0;
}

/* A printable, shortened copy of an untrusted value for a message. */
static const char *shown(const char *s, char *buf, size_t cap)
{
    size_t n = strlen(s);
    if (!utf8_valid(s, n) || has_control(s)) {
        snprintf(buf, cap, "(unprintable)");
        return buf;
    }
    size_t max = cap > 4 ? cap - 4 : 0;
    if (max > 40)
        max = 40;
    if (n <= max) {
        snprintf(buf, cap, "%s", s);
        return buf;
    }
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    snprintf(buf, cap, "%.*s...", (int)max, s);
    return buf;
}

/* ==== Value checks (why receives the reason, without the name) ==== */

typedef int (*str_check_fn)(const char *s, char *why, size_t cap);

static int basic_string(const char *s, size_t max, int secret, char *why,
                        size_t cap)
{
    if (!s) {
        seterr(why, cap, "must be set");
        return -1;
    }
    size_t n = strlen(s);
    if (n == 0) {
        seterr(why, cap, "must not be empty");
        return -1;
    }
    if (n > max) {
        seterr(why, cap, "must be at most %zu bytes (got %zu)", max, n);
        return -1;
    }
    if (!utf8_valid(s, n)) {
        seterr(why, cap, "must be valid UTF-8");
        return -1;
    }
    if (has_control(s)) {
        seterr(why, cap, "must not contain control characters%s",
               secret ? "" : " (tabs, newlines, ...)");
        return -1;
    }
    return 0;
}

static int chk_locale(const char *s, char *why, size_t cap)
{
    char b[64];
    if (strcmp(s, "zh-CN") == 0 || strcmp(s, "en") == 0)
        return 0;
    seterr(why, cap, "must be \"zh-CN\" or \"en\" (got \"%s\")",
           shown(s, b, sizeof b));
    return -1;
}

static int chk_adapter(const char *s, char *why, size_t cap)
{
    char b[64];
    if (adapter_kind_find(s))
        return 0;
    char names[256] = "";
    for (size_t i = 0; i < adapter_n_kinds; i++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s\"%s\"",
                 i ? (i + 1 == adapter_n_kinds ? " or " : ", ") : "", adapter_kinds[i]->name);
    seterr(why, cap, "must be %s (got \"%s\")", names, shown(s, b, sizeof b));
    return -1;
}

/* An IANA name that names a TZif file under CFG_ZONEINFO, or "UTC". */
static int tz_exists(const char *name)
{
    if (strcmp(name, "UTC") == 0)
        return 1;
    size_t n = strlen(name);
    if (n == 0 || n > 200 || name[0] == '/' || name[n - 1] == '/')
        return 0;
    for (const char *p = name; *p; p++) {
        char ch = *p;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                 (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
                 ch == '+' || ch == '/';
        /* no '.' at all: IANA names have none, and it rules out ".." */
        if (!ok || (ch == '/' && p[1] == '/'))
            return 0;
    }
    char path[300];
    snprintf(path, sizeof path, "%s/%s", CFG_ZONEINFO, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat st;
    char magic[4];
    int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
             read(fd, magic, sizeof magic) == (ssize_t)sizeof magic &&
             memcmp(magic, "TZif", 4) == 0;
    close(fd);
    return ok;
}

static int chk_tz(const char *s, char *why, size_t cap)
{
    char b[64];
    if (tz_exists(s))
        return 0;
    seterr(why, cap,
           "unknown time zone \"%s\" (use an IANA name such as "
           "\"Asia/Shanghai\", or \"UTC\")",
           shown(s, b, sizeof b));
    return -1;
}

static int chk_url(const char *s, char *why, size_t cap)
{
    char b[64];
    const char *host = NULL;
    if (strncmp(s, "https://", 8) == 0)
        host = s + 8;
    else if (strncmp(s, "http://", 7) == 0)
        host = s + 7;
    if (!host || *host == '\0' || *host == '/' || strchr(s, ' ')) {
        seterr(why, cap, "must be an http:// or https:// URL (got \"%s\")",
               shown(s, b, sizeof b));
        return -1;
    }
    if (s[strlen(s) - 1] == '/') {
        seterr(why, cap, "must not end with '/' (got \"%s\")",
               shown(s, b, sizeof b));
        return -1;
    }
    return 0;
}

/* the HTTP listener: "<IPv4 address>:<port>" (or localhost) */
static int chk_listen(const char *s, char *why, size_t cap)
{
    char b[64];
    const char *colon = strrchr(s, ':');
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : 0;
    if (!colon || colon == s || !end || *end || port < 1 || port > 65535) {
        seterr(why, cap, "must be <IPv4 address>:<port>, e.g. 127.0.0.1:8080 (got \"%s\")",
               shown(s, b, sizeof b));
        return -1;
    }
    return 0;
}

/* bot names and console ids: short, no spaces */
static int chk_ident(const char *s, char *why, size_t cap)
{
    char b[64];
    if (strlen(s) > CFG_MAX_NAME) {
        seterr(why, cap, "must be at most %d bytes", CFG_MAX_NAME);
        return -1;
    }
    if (strpbrk(s, " ,")) {
        seterr(why, cap, "must not contain spaces or commas (got \"%s\")",
               shown(s, b, sizeof b));
        return -1;
    }
    return 0;
}

static int chk_operator(const char *s, char *why, size_t cap)
{
    char b[64];
    const char *colon = strchr(s, ':');
    size_t plen = colon ? (size_t)(colon - s) : 0;
    int ok = colon && plen >= 1 && plen <= CFG_MAX_PLATFORM &&
             s[0] >= 'a' && s[0] <= 'z' && colon[1] != '\0' &&
             strlen(colon + 1) <= 128 && !strpbrk(s, " ,");
    for (size_t i = 0; ok && i < plen; i++)
        ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
             s[i] == '_';
    if (!ok) {
        seterr(why, cap,
               "must look like platform:user_id, e.g. \"tg:12345\" (got "
               "\"%s\")",
               shown(s, b, sizeof b));
        return -1;
    }
    for (size_t i = 0; i < adapter_n_kinds; i++) { /* the platform's own id rules */
        const struct adapter_kind *k = adapter_kinds[i];
        if (k->check_user_id && strlen(k->platform) == plen && strncmp(s, k->platform, plen) == 0 &&
            k->check_user_id(colon + 1) != 0) {
            seterr(why, cap, "%s (got \"%s\")", k->user_id_rule, shown(s, b, sizeof b));
            return -1;
        }
    }
    return 0;
}

/* ==== The key table ==== */

enum key_kind { K_SECTION, K_STR, K_INT, K_BOOL, K_DOUBLE, K_LIST, K_LEVEL, K_RULES, K_SCHEDULES };

#define F_NULLABLE 1u /* JSON null allowed: stored as NULL */
#define F_SECRET 2u   /* never quoted, wiped when freed */
#define F_REQUIRED 4u /* an adapter key its adapter cannot start without */

struct cfg_key {
    const char *path;         /* dotted path in the file */
    enum key_kind kind;
    size_t off;               /* field offset in struct kb_config, or in the
                                 options of adapter kind_idx - 1 */
    int kind_idx;             /* 0: struct kb_config; i + 1: adapter_kinds[i] */
    size_t count_off;         /* K_LIST: offset of the size_t count */
    size_t list_cap;          /* K_LIST: capacity of the array */
    double min, max;          /* K_INT/K_DOUBLE range, in file units */
    int scale;                /* K_INT: stored value = file value * scale */
    size_t max_len;           /* K_STR/K_LIST: longest string in bytes */
    str_check_fn check;       /* K_STR/K_LIST: extra check, or NULL */
    str_check_fn check2;      /* K_STR: a second check (an adapter's own) */
    unsigned flags;
    const char *dstr;         /* default string (NULL: none) */
    double dnum;              /* default number / bool / level, file units */
    const char *env;          /* adapter keys: environment override, or NULL */
    const char *const *dlist; /* K_LIST: default entries, NULL-terminated */
};

#define OFF(f) offsetof(struct kb_config, f)

static const struct cfg_key cfg_keys[] = {
    {.path = "db", .kind = K_STR, .off = OFF(engine.db_path),
     .max_len = CFG_MAX_STR, .dstr = "./kocbot.db"},
    {.path = "adapters", .kind = K_LIST, .off = OFF(adapters),
     .count_off = OFF(n_adapters), .list_cap = ADAPTER_MAX_KINDS,
     .max_len = CFG_MAX_NAME, .check = chk_adapter},
    {.path = "locale", .kind = K_STR, .off = OFF(engine.locale),
     .max_len = CFG_MAX_NAME, .check = chk_locale, .dstr = "zh-CN"},
    {.path = "timezone", .kind = K_STR, .off = OFF(engine.tz),
     .max_len = CFG_MAX_NAME, .check = chk_tz, .dstr = "Asia/Shanghai"},
    {.path = "log_level", .kind = K_LEVEL, .off = OFF(log_level),
     .dnum = KB_LOG_INFO},
    {.path = "bot_name", .kind = K_STR, .off = OFF(engine.bot_name),
     .max_len = CFG_MAX_NAME, .check = chk_ident, .dstr = "kocbot"},
    {.path = "operators", .kind = K_LIST, .off = OFF(engine.operators),
     .count_off = OFF(engine.n_operators), .list_cap = KB_MAX_OPERATORS,
     .max_len = 160, .check = chk_operator},
    {.path = "admins_are_operators", .kind = K_BOOL,
     .off = OFF(engine.admins_are_operators), .dnum = 1},
    {.path = "owner", .kind = K_STR, .off = OFF(engine.owner),
     .max_len = 160, .check = chk_operator, .flags = F_NULLABLE},
    {.path = "member_rate_per_min", .kind = K_INT,
     .off = OFF(engine.member_rate_per_min), .max = 10000, .scale = 1,
     .dnum = 20},
    {.path = "cached_members", .kind = K_INT, .off = OFF(engine.cached_members), .max = 10000000,
     .scale = 1, .dnum = 65536},
    {.path = "levels", .kind = K_RULES},
    {.path = "schedules", .kind = K_SCHEDULES, .list_cap = KB_MAX_SCHEDULES},
    {.path = "http", .kind = K_SECTION},
    {.path = "http.listen", .kind = K_STR, .off = OFF(http.listen), .max_len = 64,
     .check = chk_listen, .flags = F_NULLABLE},
    {.path = "http.public_url", .kind = K_STR, .off = OFF(engine.console_url), .max_len = 256,
     .check = chk_url, .flags = F_NULLABLE},
    {.path = "limits", .kind = K_SECTION},
    {.path = "limits.per_chat_per_s", .kind = K_DOUBLE,
     .off = OFF(limits.per_chat_per_s), .min = 0.01, .max = 1000, .dnum = 1.0},
    {.path = "limits.per_group_per_min", .kind = K_INT,
     .off = OFF(limits.per_group_per_min), .min = 1, .max = 100000,
     .scale = 1, .dnum = 20},
    {.path = "limits.global_per_s", .kind = K_INT,
     .off = OFF(limits.global_per_s), .min = 1, .max = 100000, .scale = 1,
     .dnum = 30},
    {.path = "limits.coalesce", .kind = K_BOOL, .off = OFF(limits.coalesce),
     .dnum = 1},
    {.path = "limits.enabled", .kind = K_BOOL, .off = OFF(limits.enabled),
     .dnum = 1},
    {.path = "max_connections", .kind = K_INT, .off = OFF(max_connections), .min = 1,
     .max = 1024, .scale = 1, .dnum = 16},
};


#define N_KEYS (sizeof cfg_keys / sizeof cfg_keys[0])

/* Every adapter's section and keys, from the registry ("telegram",
   "telegram.token", …), built once. */
#define MAX_ADAPTER_KEYS (ADAPTER_MAX_KINDS * 17)
static struct cfg_key adapter_keys[MAX_ADAPTER_KEYS];
static char adapter_paths[MAX_ADAPTER_KEYS][96];
static size_t n_adapter_keys;

static void build_adapter_keys(void)
{
    if (n_adapter_keys)
        return;
    size_t n = 0;
    for (size_t i = 0; i < adapter_n_kinds && n < MAX_ADAPTER_KEYS; i++) {
        const struct adapter_kind *ak = adapter_kinds[i];
        snprintf(adapter_paths[n], sizeof adapter_paths[n], "%s", ak->section);
        adapter_keys[n] = (struct cfg_key){.path = adapter_paths[n], .kind = K_SECTION,
                                           .kind_idx = (int)i + 1};
        n++;
        for (size_t j = 0; j < ak->n_keys && n < MAX_ADAPTER_KEYS; j++) {
            const struct adapter_key *ax = &ak->keys[j];
            struct cfg_key *k = &adapter_keys[n];
            snprintf(adapter_paths[n], sizeof adapter_paths[n], "%s.%s", ak->section, ax->name);
            *k = (struct cfg_key){.path = adapter_paths[n], .off = ax->off,
                                  .kind_idx = (int)i + 1, .min = ax->min, .max = ax->max,
                                  .scale = 1, .max_len = ax->max_len, .check2 = ax->check,
                                  .dstr = ax->dstr, .dnum = ax->dnum, .env = ax->env};
            k->kind = ax->type == ADAPTER_KEY_INT ? K_INT : ax->type == ADAPTER_KEY_BOOL ? K_BOOL
                                                                                       : K_STR;
            if (ax->flags & ADAPTER_KEY_SECRET)
                k->flags |= F_SECRET;
            if (ax->flags & ADAPTER_KEY_REQUIRED)
                k->flags |= F_REQUIRED | F_NULLABLE;
            if (ax->flags & ADAPTER_KEY_OPTIONAL)
                k->flags |= F_NULLABLE;
            if (ax->flags & ADAPTER_KEY_URL)
                k->check = chk_url;
            if (ax->flags & ADAPTER_KEY_IDENT)
                k->check = chk_ident;
            n++;
        }
    }
    n_adapter_keys = n;
}

/* Every feature module's keys, from the module registry ("checkin",
   "checkin.base_points", …), built once: fields of the engine settings. */
#define MAX_MODULE_KEYS 64
static struct cfg_key module_keys[MAX_MODULE_KEYS];
static size_t n_module_keys;

static void build_module_keys(void)
{
    if (n_module_keys)
        return;
    size_t n = 0, list_slots = 0;
    for (size_t i = 0; i < kb_n_modules; i++)
        for (size_t j = 0; j < kb_modules[i]->n_settings; j++) {
            const struct kb_setting *ms = &kb_modules[i]->settings[j];
            if (ms->type == KB_SETTING_LIST)
                list_slots += ms->list_cap;
            if (n == MAX_MODULE_KEYS || ms->list_cap > CFG_MAX_LIST || list_slots > MODULE_LIST_SLOTS) {
                /* a module declares more than this file has room for: a build mistake */
                fprintf(stderr, "config: module %s: key %s does not fit (raise MAX_MODULE_KEYS,"
                        " CFG_MAX_LIST or MODULE_LIST_SLOTS)\n", kb_modules[i]->name, ms->path);
                abort();
            }
            module_keys[n++] = (struct cfg_key){
                .path = ms->path, .off = OFF(engine) + ms->off,
                .kind = ms->type == KB_SETTING_SECTION ? K_SECTION
                        : ms->type == KB_SETTING_INT   ? K_INT
                                                       : K_LIST,
                .count_off = OFF(engine) + ms->count_off, .list_cap = ms->list_cap,
                .min = ms->min, .max = ms->max, .scale = ms->scale, .max_len = ms->max_len,
                .check = ms->check, .dnum = ms->dnum, .dlist = ms->dlist};
        }
    n_module_keys = n;
}

/* All keys: the table above, then the adapters', then the modules'
   (i < n_keys()). */
static size_t n_keys(void)
{
    build_adapter_keys();
    build_module_keys();
    return N_KEYS + n_adapter_keys + n_module_keys;
}

static const struct cfg_key *key_at(size_t i)
{
    if (i < N_KEYS)
        return &cfg_keys[i];
    i -= N_KEYS;
    return i < n_adapter_keys ? &adapter_keys[i] : &module_keys[i - n_adapter_keys];
}

static const char *const level_names[] = {"debug", "info", "warn", "error"};

static const struct cfg_key *find_key(const char *path)
{
    for (size_t i = 0, n = n_keys(); i < n; i++)
        if (strcmp(key_at(i)->path, path) == 0)
            return key_at(i);
    return NULL;
}

static void *base_of(struct kb_config *c, const struct cfg_key *k)
{
    return k->kind_idx ? c->adapter_options[k->kind_idx - 1] : (void *)c;
}

static void *field(struct kb_config *c, const struct cfg_key *k)
{
    return (char *)base_of(c, k) + k->off;
}

static const void *cfield(const struct kb_config *c, const struct cfg_key *k)
{
    const void *base = k->kind_idx ? c->adapter_options[k->kind_idx - 1] : (const void *)c;
    return (const char *)base + k->off;
}

/* ==== Ownership: every owned string slot ==== */

#define N_SLOTS (7 + ADAPTER_MAX_KINDS + MODULE_LIST_SLOTS + KB_MAX_OPERATORS + \
                 4 * KB_MAX_SCHEDULES + MAX_ADAPTER_KEYS)

/* Every owned string of c; secret[i] marks the ones to wipe.  The adapters'
   options blocks must exist (see cfg_dup). */
static size_t string_slots(struct kb_config *c, char **slots[N_SLOTS], int secret[N_SLOTS])
{
    size_t n = 0;
    memset(secret, 0, N_SLOTS * sizeof secret[0]);
    slots[n++] = &c->engine.db_path;
    slots[n++] = &c->engine.locale;
    slots[n++] = &c->engine.tz;
    slots[n++] = &c->engine.bot_name;
    slots[n++] = &c->engine.owner;
    slots[n++] = &c->engine.console_url;
    slots[n++] = &c->http.listen;
    for (size_t i = 0; i < ADAPTER_MAX_KINDS; i++)
        slots[n++] = &c->adapters[i];
    build_module_keys();
    for (size_t i = 0; i < n_module_keys; i++) {
        const struct cfg_key *k = &module_keys[i];
        for (size_t j = 0; k->kind == K_LIST && j < k->list_cap; j++)
            slots[n++] = (char **)field(c, k) + j;
    }
    for (size_t i = 0; i < KB_MAX_OPERATORS; i++)
        slots[n++] = &c->engine.operators[i];
    for (size_t i = 0; i < KB_MAX_SCHEDULES; i++) {
        slots[n++] = &c->engine.schedules[i].kind;
        slots[n++] = &c->engine.schedules[i].at;
        slots[n++] = &c->engine.schedules[i].days;
        slots[n++] = &c->engine.schedules[i].tmpl;
    }
    build_adapter_keys();
    for (size_t i = 0; i < n_adapter_keys; i++) {
        const struct cfg_key *k = &adapter_keys[i];
        if (k->kind != K_STR || !c->adapter_options[k->kind_idx - 1])
            continue;
        secret[n] = (k->flags & F_SECRET) != 0;
        slots[n++] = field(c, k);
    }
    return n;
}

static void free_secret(char *s)
{
    if (!s)
        return;
    explicit_bzero(s, strlen(s));
    free(s);
}

/*
 * cfg_free: free every string c owns (wiping secrets first) and zero the
 * whole struct, so a second cfg_free is harmless and cfg_defaults can
 * refill it.
 */
void cfg_free(struct kb_config *c)
{
    if (!c)
        return;
    char **slots[N_SLOTS];
    int secret[N_SLOTS];
    size_t n = string_slots(c, slots, secret);
    for (size_t i = 0; i < n; i++) {
        if (secret[i])
            free_secret(*slots[i]);
        else
            free(*slots[i]);
    }
    for (size_t i = 0; i < ADAPTER_MAX_KINDS; i++)
        free(c->adapter_options[i]);
    memset(c, 0, sizeof *c);
}

/* Deep copy src into dst; on failure dst holds nothing to free. */
static int cfg_dup(struct kb_config *dst, const struct kb_config *src)
{
    *dst = *src;
    for (size_t i = 0; i < adapter_n_kinds; i++) {
        if (!src->adapter_options[i])
            continue;
        dst->adapter_options[i] = malloc(adapter_kinds[i]->options_size);
        if (!dst->adapter_options[i]) {
            for (size_t j = 0; j < i; j++)
                free(dst->adapter_options[j]);
            memset(dst, 0, sizeof *dst);
            return KB_ENOMEM;
        }
        memcpy(dst->adapter_options[i], src->adapter_options[i], adapter_kinds[i]->options_size);
    }
    char **slots[N_SLOTS];
    int secret[N_SLOTS];
    size_t n = string_slots(dst, slots, secret);
    for (size_t i = 0; i < n; i++) {
        if (!*slots[i])
            continue;
        char *d = strdup(*slots[i]);
        if (!d) {
            for (size_t j = i; j < n; j++)
                *slots[j] = NULL;
            cfg_free(dst);
            return KB_ENOMEM;
        }
        *slots[i] = d;
    }
    return KB_OK;
}

/* Replace the owned string in *slot with a copy of value (may be NULL). */
static int set_str(char **slot, const char *value, int secret)
{
    char *d = NULL;
    if (value && !(d = strdup(value)))
        return KB_ENOMEM;
    if (secret)
        free_secret(*slot);
    else
        free(*slot);
    *slot = d;
    return KB_OK;
}

/* ==== Defaults ==== */

/*
 * cfg_defaults: fill c with the built-in defaults from the key tables (c
 * need not be initialised; anything in it is overwritten, not freed).  On
 * out of memory a string stays NULL and cfg_validate reports it.
 */
void cfg_defaults(struct kb_config *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < adapter_n_kinds; i++)
        c->adapter_options[i] = xcalloc(1, adapter_kinds[i]->options_size);
    for (size_t i = 0, nk = n_keys(); i < nk; i++) {
        const struct cfg_key *k = key_at(i);
        switch (k->kind) {
        case K_STR:
            if (k->dstr)
                *(char **)field(c, k) = strdup(k->dstr);
            break;
        case K_INT:
            *(int *)field(c, k) = (int)k->dnum * k->scale;
            break;
        case K_BOOL:
            *(int *)field(c, k) = (int)k->dnum;
            break;
        case K_DOUBLE:
            *(double *)field(c, k) = k->dnum;
            break;
        case K_LEVEL:
            *(enum kb_log_level *)field(c, k) = (enum kb_log_level)(int)k->dnum;
            break;
        case K_LIST:
            for (size_t j = 0; k->dlist && k->dlist[j] && j < k->list_cap; j++) {
                char **slot = (char **)field(c, k) + j;
                *slot = strdup(k->dlist[j]);
                if (*slot)
                    ++*(size_t *)((char *)c + k->count_off);
            }
            break;
        case K_SECTION:
        default:
            break;
        }
    }
    c->fake_now = 0;
    c->fake_speed = 1.0;
}

/* ==== Setting one value (shared by the file and the environment) ==== */

/* name: how messages call the value ("telegram.token", "KOCBOT_TZ") */
static int check_string(const struct cfg_key *k, const char *s,
                        const char *name, char *err, size_t cap)
{
    char why[256];
    int secret = (k->flags & F_SECRET) != 0;
    if (basic_string(s, k->max_len, secret, why, sizeof why) != 0 ||
        (k->check && k->check(s, why, sizeof why) != 0) ||
        (k->check2 && k->check2(s, why, sizeof why) != 0)) {
        seterr(err, cap, "%s: %s", name, why);
        return KB_EINVAL;
    }
    return KB_OK;
}

static int set_string_key(struct kb_config *c, const struct cfg_key *k,
                          const char *s, const char *name, char *err,
                          size_t cap)
{
    char **slot = field(c, k);
    if (s) {
        int rc = check_string(k, s, name, err, cap);
        if (rc)
            return rc;
    }
    if (set_str(slot, s, (k->flags & F_SECRET) != 0) != 0) {
        seterr(err, cap, "%s: out of memory", name);
        return KB_ENOMEM;
    }
    return KB_OK;
}

static int set_level_key(struct kb_config *c, const struct cfg_key *k,
                         const char *s, const char *name, char *err,
                         size_t cap)
{
    char b[64];
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *(enum kb_log_level *)field(c, k) = (enum kb_log_level)i;
            return KB_OK;
        }
    }
    seterr(err, cap,
           "%s: must be \"debug\", \"info\", \"warn\" or \"error\" "
           "(got \"%s\")",
           name, shown(s, b, sizeof b));
    return KB_EINVAL;
}

static int list_contains(char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

/* ==== The JSON file ==== */

static const char *json_type(const cJSON *v)
{
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsBool(v))
        return "true/false";
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsObject(v))
        return "an object";
    return "an unknown value";
}

/* Wipe a string node's text (the token) before the tree is deleted. */
static void wipe_node(cJSON *v)
{
    if (cJSON_IsString(v) && v->valuestring)
        explicit_bzero(v->valuestring, strlen(v->valuestring));
}

static int load_list(struct kb_config *c, const struct cfg_key *k,
                     const cJSON *v, const char *path, char *err, size_t cap)
{
    char *items[CFG_MAX_LIST];
    size_t n = 0;
    int rc = KB_OK, idx = 0;
    if (!cJSON_IsArray(v)) {
        seterr(err, cap, "%s: must be an array of strings (got %s)", path,
               json_type(v));
        return KB_EINVAL;
    }
    if ((size_t)cJSON_GetArraySize(v) > k->list_cap) {
        seterr(err, cap, "%s: at most %zu entries (got %d)", path, k->list_cap,
               cJSON_GetArraySize(v));
        return KB_EINVAL;
    }
    for (const cJSON *it = v->child; it; it = it->next, idx++) {
        char name[160];
        snprintf(name, sizeof name, "%s[%d]", path, idx);
        if (!cJSON_IsString(it)) {
            seterr(err, cap, "%s: must be a string (got %s)", name,
                   json_type(it));
            rc = KB_EINVAL;
            break;
        }
        if ((rc = check_string(k, it->valuestring, name, err, cap)) != 0)
            break;
        if (list_contains(items, n, it->valuestring))
            continue; /* a repeated entry changes nothing */
        if (!(items[n] = strdup(it->valuestring))) {
            seterr(err, cap, "%s: out of memory", name);
            rc = KB_ENOMEM;
            break;
        }
        n++;
    }
    if (rc) {
        for (size_t i = 0; i < n; i++)
            free(items[i]);
        return rc;
    }
    char **arr = field(c, k);
    size_t *count = (void *)((char *)c + k->count_off);
    for (size_t i = 0; i < k->list_cap; i++) {
        free(arr[i]);
        arr[i] = i < n ? items[i] : NULL;
    }
    *count = n;
    return KB_OK;
}

/* ==== The level ladder ("levels": [ {...}, ... ]) ==== */

#define LEVEL_REQ_MAX 10000000

/* The numeric requirements of a level, by file key. */
static const struct {
    const char *key;
    size_t off;
} level_ints[] = {
    {"points", offsetof(struct kb_level_rule, min_points)},
    {"checkin_days", offsetof(struct kb_level_rule, min_checkin_days)},
    {"basic", offsetof(struct kb_level_rule, min_basic)},
    {"explore", offsetof(struct kb_level_rule, min_explore)},
    {"precision", offsetof(struct kb_level_rule, min_precision)},
    {"cobuild", offsetof(struct kb_level_rule, min_cobuild)},
};
#define N_LEVEL_INTS (sizeof level_ints / sizeof level_ints[0])

static int *level_int(struct kb_level_rule *r, size_t i)
{
    return (int *)(void *)((char *)r + level_ints[i].off);
}

static int level_int_get(const struct kb_level_rule *r, size_t i)
{
    return *(const int *)(const void *)((const char *)r + level_ints[i].off);
}

/* The rules every ladder obeys, whether it came from the file or code. */
static int check_levels(const struct kb_level_rule *r, size_t n, char *err,
                        size_t cap)
{
    if (n > KB_MAX_LEVELS) {
        seterr(err, cap, "levels: at most %d levels", KB_MAX_LEVELS);
        return KB_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        char why[256];
        const char *names[2] = {r[i].name_zh, r[i].name_en};
        const char *keys[2] = {"name_zh", "name_en"};
        for (int k = 0; k < 2; k++) {
            if (basic_string(names[k], KB_LEVEL_NAME_MAX, 0, why, sizeof why)) {
                seterr(err, cap, "levels[%zu].%s: %s", i, keys[k], why);
                return KB_EINVAL;
            }
        }
        int any = r[i].granted_only;
        for (size_t f = 0; f < N_LEVEL_INTS; f++) {
            int v = level_int_get(&r[i], f);
            if (v < 0 || v > LEVEL_REQ_MAX) {
                seterr(err, cap, "levels[%zu].%s: must be an integer from 0 to %d",
                       i, level_ints[f].key, LEVEL_REQ_MAX);
                return KB_EINVAL;
            }
            any |= v != 0;
        }
        if (i == 0 && any) {
            seterr(err, cap,
                   "levels[0]: the first level is where everyone starts; it "
                   "cannot have requirements or be granted_only");
            return KB_EINVAL;
        }
    }
    return KB_OK;
}

static int load_level(const cJSON *obj, const char *path,
                      struct kb_level_rule *r, char *err, size_t cap)
{
    if (!cJSON_IsObject(obj)) {
        seterr(err, cap, "%s: must be an object (got %s)", path, json_type(obj));
        return KB_EINVAL;
    }
    memset(r, 0, sizeof *r);
    int have_zh = 0, have_en = 0;
    for (const cJSON *it = obj->child; it; it = it->next) {
        char b[64];
        const char *key = it->string ? it->string : "";
        for (const cJSON *prev = obj->child; prev != it; prev = prev->next) {
            if (strcmp(prev->string, key) == 0) {
                seterr(err, cap, "%s.%s: duplicate key", path, shown(key, b, sizeof b));
                return KB_EINVAL;
            }
        }
        if (strcmp(key, "name_zh") == 0 || strcmp(key, "name_en") == 0) {
            char why[256];
            int zh = key[5] == 'z';
            if (!cJSON_IsString(it) ||
                basic_string(it->valuestring, KB_LEVEL_NAME_MAX, 0, why, sizeof why)) {
                if (!cJSON_IsString(it))
                    seterr(why, sizeof why, "must be a string (got %s)", json_type(it));
                seterr(err, cap, "%s.%s: %s", path, key, why);
                return KB_EINVAL;
            }
            snprintf(zh ? r->name_zh : r->name_en, KB_LEVEL_NAME_MAX + 1, "%s",
                     it->valuestring);
            *(zh ? &have_zh : &have_en) = 1;
            continue;
        }
        if (strcmp(key, "granted_only") == 0) {
            if (!cJSON_IsBool(it)) {
                seterr(err, cap, "%s.granted_only: must be true or false (got %s)",
                       path, json_type(it));
                return KB_EINVAL;
            }
            r->granted_only = cJSON_IsTrue(it) ? 1 : 0;
            continue;
        }
        size_t f = 0;
        while (f < N_LEVEL_INTS && strcmp(level_ints[f].key, key) != 0)
            f++;
        if (f == N_LEVEL_INTS) {
            seterr(err, cap, "%s.\"%s\": unknown key (see config/README.md)", path,
                   shown(key, b, sizeof b));
            return KB_EINVAL;
        }
        double d = cJSON_IsNumber(it) ? it->valuedouble : NAN;
        if (!isfinite(d) || d != floor(d) || d < 0 || d > LEVEL_REQ_MAX) {
            seterr(err, cap, "%s.%s: must be an integer from 0 to %d", path, key,
                   LEVEL_REQ_MAX);
            return KB_EINVAL;
        }
        *level_int(r, f) = (int)d;
    }
    if (!have_zh || !have_en) {
        seterr(err, cap, "%s: needs both \"name_zh\" and \"name_en\"", path);
        return KB_EINVAL;
    }
    return KB_OK;
}

static int load_levels(struct kb_config *c, const cJSON *v, const char *path,
                       char *err, size_t cap)
{
    if (!cJSON_IsArray(v)) {
        seterr(err, cap, "%s: must be an array of levels (got %s)", path, json_type(v));
        return KB_EINVAL;
    }
    int count = cJSON_GetArraySize(v);
    if (count < 1 || count > KB_MAX_LEVELS) {
        seterr(err, cap, "%s: needs 1 to %d levels (got %d)", path, KB_MAX_LEVELS, count);
        return KB_EINVAL;
    }
    struct kb_level_rule rules[KB_MAX_LEVELS];
    size_t n = 0;
    for (const cJSON *it = v->child; it; it = it->next, n++) {
        char name[64];
        snprintf(name, sizeof name, "%s[%zu]", path, n);
        int rc = load_level(it, name, &rules[n], err, cap);
        if (rc)
            return rc;
    }
    int rc = check_levels(rules, n, err, cap);
    if (rc)
        return rc;
    memcpy(c->engine.levels, rules, n * sizeof rules[0]);
    c->engine.n_levels = n;
    return KB_OK;
}

static int load_object(struct kb_config *c, cJSON *obj, const char *prefix,
                       char *err, size_t cap);

/* One "schedules" entry's member: a bounded, clean string or absent. */
static int schedule_field(const cJSON *obj, const char *key, int required,
                          size_t max, const char *path, const char **out,
                          char *err, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (!v && !required)
        return KB_OK;
    if (!v) {
        seterr(err, cap, "%s.%s: missing", path, key);
        return KB_EINVAL;
    }
    if (!cJSON_IsString(v)) {
        seterr(err, cap, "%s.%s: must be a string (got %s)", path, key,
               json_type(v));
        return KB_EINVAL;
    }
    /* a template may span lines: allow newlines, nothing else below 0x20 */
    const char *s = v->valuestring;
    int bad_ctl = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\n') || *p == 0x7F)
            bad_ctl = 1;
    if (bad_ctl || !utf8_valid(s, strlen(s)) || strlen(s) > max) {
        seterr(err, cap, "%s.%s: must be valid UTF-8 text of at most %zu "
               "bytes without control characters", path, key, max);
        return KB_EINVAL;
    }
    *out = s;
    return KB_OK;
}

/* "schedules": [{"kind": "greet", "at": "08:00", "days": "weekdays",
   "template": "..."}]: the posts every new community starts with. */
static int load_schedules(struct kb_config *c, const struct cfg_key *k,
                          const cJSON *v, const char *path, char *err,
                          size_t cap)
{
    if (!cJSON_IsArray(v)) {
        seterr(err, cap, "%s: must be an array of objects (got %s)", path,
               json_type(v));
        return KB_EINVAL;
    }
    if ((size_t)cJSON_GetArraySize(v) > k->list_cap) {
        seterr(err, cap, "%s: at most %zu entries (got %d)", path, k->list_cap,
               cJSON_GetArraySize(v));
        return KB_EINVAL;
    }
    struct kb_schedule_default items[KB_MAX_SCHEDULES];
    size_t n = 0;
    int rc = KB_OK, idx = 0;
    memset(items, 0, sizeof items);
    for (const cJSON *it = v->child; it; it = it->next, idx++) {
        char name[160], b[64];
        snprintf(name, sizeof name, "%s[%d]", path, idx);
        if (!cJSON_IsObject(it)) {
            seterr(err, cap, "%s: must be an object (got %s)", name,
                   json_type(it));
            rc = KB_EINVAL;
            break;
        }
        for (const cJSON *m = it->child; m; m = m->next) {
            static const char *const known[] = {"kind", "at", "days",
                                                "template"};
            int ok = 0;
            for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
                ok |= strcmp(m->string, known[i]) == 0;
            if (!ok) {
                seterr(err, cap, "%s.\"%s\": unknown key (kind, at, days, "
                       "template)", name, shown(m->string, b, sizeof b));
                rc = KB_EINVAL;
                break;
            }
        }
        const char *kind, *at, *days, *tmpl;
        int minutes, mask;
        if (rc ||
            (rc = schedule_field(it, "kind", 1, 16, name, &kind, err, cap)) ||
            (rc = schedule_field(it, "at", 1, 16, name, &at, err, cap)) ||
            (rc = schedule_field(it, "days", 0, 120, name, &days, err, cap)) ||
            (rc = schedule_field(it, "template", 0, SCHED_TEMPLATE_MAX, name,
                                 &tmpl, err, cap)))
            break;
        if (!schedule_kind_valid(kind)) {
            seterr(err, cap, "%s.kind: must be \"greet\", \"night\", "
                   "\"weekly\" or \"streak\" (got \"%s\")", name,
                   shown(kind, b, sizeof b));
            rc = KB_EINVAL;
        } else if (schedule_parse_hhmm(at, &minutes)) {
            seterr(err, cap, "%s.at: must be a 24-hour time like \"08:00\" "
                   "(got \"%s\")", name, shown(at, b, sizeof b));
            rc = KB_EINVAL;
        } else if (days && schedule_parse_days(days, &mask)) {
            seterr(err, cap, "%s.days: must be \"daily\", \"weekdays\", "
                   "\"weekends\", \"mon-fri\" or \"mon,wed,fri\" (got \"%s\")",
                   name, shown(days, b, sizeof b));
            rc = KB_EINVAL;
        }
        if (rc)
            break;
        struct kb_schedule_default *d = &items[n++];
        d->kind = strdup(kind);
        d->at = strdup(at);
        d->days = days ? strdup(days) : NULL;
        d->tmpl = tmpl ? strdup(tmpl) : NULL;
        if (!d->kind || !d->at || (days && !d->days) || (tmpl && !d->tmpl)) {
            seterr(err, cap, "%s: out of memory", name);
            rc = KB_ENOMEM;
            break;
        }
    }
    struct kb_schedule_default *dst = c->engine.schedules;
    struct kb_schedule_default *from = rc ? items : dst;
    size_t drop = rc ? n : c->engine.n_schedules;
    for (size_t i = 0; i < drop; i++) {
        free(from[i].kind);
        free(from[i].at);
        free(from[i].days);
        free(from[i].tmpl);
    }
    if (rc)
        return rc;
    memset(dst, 0, sizeof c->engine.schedules);
    memcpy(dst, items, n * sizeof items[0]);
    c->engine.n_schedules = n;
    return KB_OK;
}

static int load_value(struct kb_config *c, const struct cfg_key *k, cJSON *v,
                      const char *path, char *err, size_t cap)
{
    if (k->kind_idx && !c->adapter_options[k->kind_idx - 1]) {
        seterr(err, cap, "%s: the configuration was not set up with cfg_defaults", path);
        return KB_EINVAL;
    }
    switch (k->kind) {
    case K_SECTION:
        if (!cJSON_IsObject(v)) {
            seterr(err, cap, "%s: must be an object (got %s)", path,
                   json_type(v));
            return KB_EINVAL;
        }
        return load_object(c, v, path, err, cap);
    case K_STR: {
        if (cJSON_IsNull(v) && (k->flags & F_NULLABLE))
            return set_string_key(c, k, NULL, path, err, cap);
        if (!cJSON_IsString(v)) {
            seterr(err, cap, "%s: must be a string%s (got %s)", path,
                   (k->flags & F_NULLABLE) ? " or null" : "", json_type(v));
            return KB_EINVAL;
        }
        int rc = set_string_key(c, k, v->valuestring, path, err, cap);
        if (k->flags & F_SECRET) {
            wipe_node(v);
            if (rc == KB_OK)
                c->secret_in_file = k->path;
        }
        return rc;
    }
    case K_INT: {
        double d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
        if (!isfinite(d) || d != floor(d) || d < k->min || d > k->max) {
            seterr(err, cap, "%s: must be an integer from %.0f to %.0f", path,
                   k->min, k->max);
            return KB_EINVAL;
        }
        *(int *)field(c, k) = (int)d * k->scale;
        return KB_OK;
    }
    case K_DOUBLE: {
        double d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
        if (!isfinite(d) || d < k->min || d > k->max) {
            seterr(err, cap, "%s: must be a number from %g to %g", path,
                   k->min, k->max);
            return KB_EINVAL;
        }
        *(double *)field(c, k) = d;
        return KB_OK;
    }
    case K_BOOL:
        if (!cJSON_IsBool(v)) {
            seterr(err, cap, "%s: must be true or false (got %s)", path,
                   json_type(v));
            return KB_EINVAL;
        }
        *(int *)field(c, k) = cJSON_IsTrue(v) ? 1 : 0;
        return KB_OK;
    case K_LEVEL:
        if (!cJSON_IsString(v)) {
            seterr(err, cap, "%s: must be a string (got %s)", path,
                   json_type(v));
            return KB_EINVAL;
        }
        return set_level_key(c, k, v->valuestring, path, err, cap);
    case K_LIST:
        return load_list(c, k, v, path, err, cap);
    case K_RULES:
        return load_levels(c, v, path, err, cap);
    case K_SCHEDULES:
        return load_schedules(c, k, v, path, err, cap);
    default:
        seterr(err, cap, "%s: internal error", path);
        return KB_EINVAL;
    }
}

static int load_object(struct kb_config *c, cJSON *obj, const char *prefix,
                       char *err, size_t cap)
{
    for (cJSON *it = obj->child; it; it = it->next) {
        char path[128], b[64];
        const char *key = it->string ? it->string : "";
        int fits = strlen(key) + strlen(prefix) + 2 <= sizeof path;
        if (fits)
            snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "",
                     key);
        const struct cfg_key *k = fits ? find_key(path) : NULL;
        if (!k) {
            seterr(err, cap, "%s%s\"%s\": unknown key (see config/README.md)",
                   prefix, *prefix ? "." : "", shown(key, b, sizeof b));
            return KB_EINVAL;
        }
        for (cJSON *prev = obj->child; prev != it; prev = prev->next) {
            if (strcmp(prev->string, key) == 0) {
                seterr(err, cap, "%s: duplicate key", path);
                return KB_EINVAL;
            }
        }
        int rc = load_value(c, k, it, path, err, cap);
        if (rc)
            return rc;
    }
    return KB_OK;
}

/* Wipe every secret's text in the parse tree, whether or not loading got
   that far. */
static void wipe_secrets(cJSON *root)
{
    for (size_t i = 0, n = n_keys(); i < n; i++) {
        const struct cfg_key *k = key_at(i);
        if (!(k->flags & F_SECRET))
            continue;
        const char *dot = strchr(k->path, '.');
        char section[96];
        snprintf(section, sizeof section, "%.*s", dot ? (int)(dot - k->path) : 0, k->path);
        cJSON *sec = dot ? cJSON_GetObjectItemCaseSensitive(root, section) : root;
        if (cJSON_IsObject(sec))
            wipe_node(cJSON_GetObjectItemCaseSensitive(sec, dot ? dot + 1 : k->path));
    }
}

/* "\u0000" would silently cut a string short in cJSON: refuse it. */
static int has_escaped_nul(const char *s, size_t n)
{
    for (size_t i = 0; i + 6 <= n; i++) {
        if (s[i] != '\\')
            continue;
        if (s[i + 1] == 'u' && strncmp(s + i + 2, "0000", 4) == 0)
            return 1;
        i++; /* skip the escaped character ("\\\\" included) */
    }
    return 0;
}

/* Read a whole regular file (at most CFG_MAX_FILE bytes), NUL-terminated. */
static int read_file(const char *path, char **out, size_t *len,
                     struct stat *st, char *err, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        seterr(err, cap, "%s: cannot open: %s", path, strerror(e));
        return e == ENOENT ? KB_ENOTFOUND : e == EACCES ? KB_EDENIED
                                                        : KB_EINVAL;
    }
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        seterr(err, cap, "%s: not a regular file", path);
        close(fd);
        return KB_EINVAL;
    }
    if (st->st_size > CFG_MAX_FILE) {
        seterr(err, cap, "%s: larger than %d bytes", path, CFG_MAX_FILE);
        close(fd);
        return KB_ETOOBIG;
    }
    size_t size = (size_t)st->st_size, n = 0;
    char *buf = malloc(size + 1);
    if (!buf) {
        close(fd);
        seterr(err, cap, "%s: out of memory", path);
        return KB_ENOMEM;
    }
    while (n < size) {
        ssize_t r = read(fd, buf + n, size - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            seterr(err, cap, "%s: cannot read: %s", path, strerror(e));
            close(fd);
            free(buf);
            return KB_EINVAL;
        }
        if (r == 0)
            break; /* shrank while reading: use what is there */
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return KB_OK;
}

static void syntax_error(const char *path, const char *text, size_t len,
                         const char *at, char *err, size_t cap)
{
    if (!at || at < text || at > text + len)
        at = text + len;
    int line = 1, col = 1;
    for (const char *p = text; p < at; p++) {
        if (*p == '\n')
            line++, col = 1;
        else if (((unsigned char)*p & 0xC0) != 0x80)
            col++;
    }
    if (at == text + len || strstr(text, "token")) {
        /* at the end there is nothing to quote; near a token, quote nothing */
        seterr(err, cap, "%s:%d:%d: JSON syntax error%s", path, line, col,
               at == text + len ? " (unexpected end of file)" : "");
        return;
    }
    char near[24], b[64];
    size_t m = strcspn(at, "\r\n");
    if (m >= sizeof near)
        m = sizeof near - 1;
    memcpy(near, at, m);
    near[m] = '\0';
    seterr(err, cap, "%s:%d:%d: JSON syntax error near \"%s\"", path, line,
           col, shown(near, b, sizeof b));
}

/*
 * cfg_load_file: merge the JSON file at path into c.  Unknown or repeated
 * keys, wrong types, out-of-range numbers, bad strings and JSON syntax
 * errors fail with a message naming the key path (or file:line:column).
 * Returns 0, KB_ENOTFOUND (no file), KB_EDENIED (unreadable, or it holds
 * a secret such as telegram.token while readable by others), KB_EPARSE
 * (syntax), KB_ETOOBIG, KB_EINVAL or KB_ENOMEM; on failure c is unchanged.
 * On success err is "" or a warning (the file held a secret: secret_in_file
 * then names its key).
 */
int cfg_load_file(struct kb_config *c, const char *path, char *err,
                  size_t errcap)
{
    seterr(err, errcap, "%s", "");
    if (!c || !path) {
        seterr(err, errcap, "config: no file given");
        return KB_EINVAL;
    }
    char *text;
    size_t len;
    struct stat st;
    int rc = read_file(path, &text, &len, &st, err, errcap);
    if (rc)
        return rc;
    const char *body = text;
    size_t blen = len;
    if (blen >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0)
        body += 3, blen -= 3; /* tolerate a UTF-8 byte order mark */

    cJSON *root = NULL;
    struct kb_config tmp;
    int have_tmp = 0;
    const char *end = NULL;
    if (memchr(body, '\0', blen)) {
        seterr(err, errcap, "%s: contains a NUL byte", path);
        rc = KB_EPARSE;
    } else if (has_escaped_nul(body, blen)) {
        seterr(err, errcap, "%s: \\u0000 is not allowed in strings", path);
        rc = KB_EINVAL;
    } else if (!(root = cJSON_ParseWithLengthOpts(body, blen + 1, &end, 1))) {
        syntax_error(path, body, blen, end, err, errcap);
        rc = KB_EPARSE;
    } else if (!cJSON_IsObject(root)) {
        seterr(err, errcap, "%s: the top level must be a JSON object", path);
        rc = KB_EINVAL;
    } else if ((rc = cfg_dup(&tmp, c)) != 0) {
        seterr(err, errcap, "%s: out of memory", path);
    } else {
        have_tmp = 1;
        tmp.secret_in_file = NULL;
        rc = load_object(&tmp, root, "", err, errcap);
    }
    if (root) {
        wipe_secrets(root);
        cJSON_Delete(root);
    }
    explicit_bzero(text, len);
    free(text);

    if (rc == KB_OK && tmp.secret_in_file && (st.st_mode & S_IROTH)) {
        const struct cfg_key *k = find_key(tmp.secret_in_file);
        seterr(err, errcap,
               "%s: holds %s but is readable by other users; "
               "move it to %s or run \"chmod 600 %s\"",
               path, k->path, k->env ? k->env : "the environment", path);
        rc = KB_EDENIED;
    }
    if (rc) {
        if (have_tmp)
            cfg_free(&tmp);
        return rc;
    }
    const char *secret = tmp.secret_in_file ? tmp.secret_in_file : c->secret_in_file;
    cfg_free(c);
    *c = tmp;
    c->secret_in_file = secret;
    if (secret) {
        const struct cfg_key *k = find_key(secret);
        seterr(err, errcap,
               "%s: warning: %s is set in the file; prefer the %s environment "
               "variable and keep the file private (chmod 600)",
               path, k->path, k->env ? k->env : "");
    }
    return KB_OK;
}

/* ==== Time ==== */

static int take_digits(const char **pp, int n, int *out)
{
    const char *p = *pp;
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    *pp = p + n;
    *out = v;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/*
 * cfg_parse_time: parse s as unix seconds ("1795391940") or as ISO 8601 /
 * RFC 3339 "YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM|+HHMM)" and store
 * the UTC seconds in *out (fractions are dropped).  A time without a zone
 * is refused: it would silently depend on the machine.  Returns 0 or
 * KB_EINVAL (*out untouched).
 */
int cfg_parse_time(const char *s, int64_t *out)
{
    if (!s || !out || !*s)
        return KB_EINVAL;
    size_t nd = strspn(s, "0123456789");
    if (s[nd] == '\0') {
        if (nd > 18)
            return KB_EINVAL;
        int64_t v = 0;
        for (size_t i = 0; i < nd; i++)
            v = v * 10 + (s[i] - '0');
        *out = v;
        return KB_OK;
    }
    const char *p = s;
    int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
    if (take_digits(&p, 4, &y) || *p++ != '-' || take_digits(&p, 2, &mo) ||
        *p++ != '-' || take_digits(&p, 2, &d))
        return KB_EINVAL;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return KB_EINVAL;
    p++;
    if (take_digits(&p, 2, &h) || *p++ != ':' || take_digits(&p, 2, &mi) ||
        *p++ != ':' || take_digits(&p, 2, &sec))
        return KB_EINVAL;
    if (*p == '.' || *p == ',') {
        p++;
        size_t nf = strspn(p, "0123456789");
        if (nf == 0 || nf > 9)
            return KB_EINVAL;
        p += nf;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p++ == '-' ? -1 : 1;
        if (take_digits(&p, 2, &oh))
            return KB_EINVAL;
        if (*p == ':')
            p++;
        if (take_digits(&p, 2, &om))
            return KB_EINVAL;
    } else {
        return KB_EINVAL;
    }
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (*p != '\0' || mo < 1 || mo > 12 || d < 1 ||
        d > mdays[mo - 1] + (mo == 2 && is_leap(y)) || h > 23 || mi > 59 ||
        sec > 59 || oh > 23 || om > 59)
        return KB_EINVAL;
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    t -= (int64_t)sign * (oh * 3600 + om * 60);
    *out = t;
    return KB_OK;
}

/* ==== The environment ==== */

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL; /* empty counts as unset (docker-compose) */
}

static int env_operators(struct kb_config *c, const char *value, char *err,
                         size_t cap)
{
    static const char name[] = "KOCBOT_OPERATORS";
    if (strlen(value) > CFG_MAX_STR) {
        seterr(err, cap, "%s: longer than %d bytes", name, CFG_MAX_STR);
        return KB_EINVAL;
    }
    char entry[CFG_MAX_STR + 1], why[256];
    const char *p = value;
    for (size_t idx = 1;; idx++) {
        size_t n = strcspn(p, ",");
        const char *s = p, *e = p + n;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        memcpy(entry, s, (size_t)(e - s));
        entry[e - s] = '\0';
        if (entry[0] == '\0') {
            seterr(err, cap, "%s: entry %zu is empty", name, idx);
            return KB_EINVAL;
        }
        if (basic_string(entry, 160, 0, why, sizeof why) != 0 ||
            chk_operator(entry, why, sizeof why) != 0) {
            seterr(err, cap, "%s: entry %zu: %s", name, idx, why);
            return KB_EINVAL;
        }
        struct engine_settings *es = &c->engine;
        if (!list_contains(es->operators, es->n_operators, entry)) {
            if (es->n_operators >= KB_MAX_OPERATORS) {
                seterr(err, cap, "%s: too many operators (at most %d in all)",
                       name, KB_MAX_OPERATORS);
                return KB_EINVAL;
            }
            if (!(es->operators[es->n_operators] = strdup(entry))) {
                seterr(err, cap, "%s: out of memory", name);
                return KB_ENOMEM;
            }
            es->n_operators++;
        }
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    return KB_OK;
}

/* environment variable -> file key whose checks it shares */
static const struct {
    const char *var;
    const char *key;
} env_keys[] = {
    {"KOCBOT_DB", "db"},
    {"KOCBOT_LOCALE", "locale"},
    {"KOCBOT_TZ", "timezone"},
    {"KOCBOT_LOG_LEVEL", "log_level"},
    {"KOCBOT_OWNER", "owner"},
    {"KOCBOT_HTTP_LISTEN", "http.listen"},
    {"KOCBOT_HTTP_PUBLIC_URL", "http.public_url"},
};

static int apply_env(struct kb_config *c, char *err, size_t cap)
{
    char b[64];
    build_adapter_keys();
    const char *v;
    for (size_t i = 0; i < sizeof env_keys / sizeof env_keys[0]; i++) {
        if (!(v = env(env_keys[i].var)))
            continue;
        const struct cfg_key *k = find_key(env_keys[i].key);
        int rc = k->kind == K_LEVEL
                     ? set_level_key(c, k, v, env_keys[i].var, err, cap)
                     : set_string_key(c, k, v, env_keys[i].var, err, cap);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < n_adapter_keys; i++) { /* the adapters' own variables */
        const struct cfg_key *k = &adapter_keys[i];
        if (k->kind != K_STR || !k->env || !(v = env(k->env)))
            continue;
        int rc = set_string_key(c, k, v, k->env, err, cap);
        if (rc)
            return rc;
    }
    if ((v = env("KOCBOT_OPERATORS"))) {
        int rc = env_operators(c, v, err, cap);
        if (rc)
            return rc;
    }
    if ((v = env("KOCBOT_FAKE_NOW"))) {
        int64_t t;
        if (cfg_parse_time(v, &t) != 0 || t <= 0) {
            seterr(err, cap,
                   "KOCBOT_FAKE_NOW: must be unix seconds or an ISO 8601 time "
                   "after 1970 with a zone, e.g. 2026-11-23T07:59:00+08:00 "
                   "(got \"%s\")",
                   shown(v, b, sizeof b));
            return KB_EINVAL;
        }
        c->fake_now = t;
    }
    if ((v = env("KOCBOT_FAKE_SPEED"))) {
        char *end;
        errno = 0;
        double d = strtod(v, &end);
        if (end == v || *end != '\0' || errno || !isfinite(d) || d <= 0 ||
            d > CFG_MAX_SPEED) {
            seterr(err, cap,
                   "KOCBOT_FAKE_SPEED: must be a number greater than 0 and at "
                   "most %g (got \"%s\")",
                   CFG_MAX_SPEED, shown(v, b, sizeof b));
            return KB_EINVAL;
        }
        c->fake_speed = d;
    }
    return KB_OK;
}

/*
 * cfg_apply_env: merge the KOCBOT_* variables (see config/README.md) into
 * c; empty variables count as unset.  KOCBOT_OPERATORS entries are appended
 * (repeats skipped).  Returns 0, KB_EINVAL or KB_ENOMEM with a message
 * naming the variable; on failure c is unchanged.
 */
int cfg_apply_env(struct kb_config *c, char *err, size_t errcap)
{
    seterr(err, errcap, "%s", "");
    struct kb_config tmp;
    if (cfg_dup(&tmp, c) != 0) {
        seterr(err, errcap, "environment: out of memory");
        return KB_ENOMEM;
    }
    int rc = apply_env(&tmp, err, errcap);
    if (rc) {
        cfg_free(&tmp);
        return rc;
    }
    cfg_free(c);
    *c = tmp;
    return KB_OK;
}

/* ==== Validation ==== */

/* The first required key of adapter ak that is not set, or NULL. */
static const struct cfg_key *missing_required(const struct kb_config *c,
                                              const struct adapter_kind *ak)
{
    build_adapter_keys();
    int idx = adapter_kind_index(ak) + 1;
    for (size_t i = 0; i < n_adapter_keys; i++) {
        const struct cfg_key *k = &adapter_keys[i];
        if (k->kind_idx == idx && (k->flags & F_REQUIRED) &&
            (!c->adapter_options[idx - 1] || !*(char *const *)cfield(c, k)))
            return k;
    }
    return NULL;
}

static int validate_key(const struct kb_config *c, const struct cfg_key *k,
                        char *err, size_t cap)
{
    switch (k->kind) {
    case K_STR: {
        const char *s = *(char *const *)cfield(c, k);
        if (!s && (k->flags & F_NULLABLE))
            return KB_OK;
        return check_string(k, s, k->path, err, cap);
    }
    case K_INT: {
        int v = *(const int *)cfield(c, k);
        if (v < k->min * k->scale || v > k->max * k->scale) {
            seterr(err, cap, "%s: must be an integer from %.0f to %.0f",
                   k->path, k->min, k->max);
            return KB_EINVAL;
        }
        return KB_OK;
    }
    case K_DOUBLE: {
        double v = *(const double *)cfield(c, k);
        if (!isfinite(v) || v < k->min || v > k->max) {
            seterr(err, cap, "%s: must be a number from %g to %g", k->path,
                   k->min, k->max);
            return KB_EINVAL;
        }
        return KB_OK;
    }
    case K_BOOL: {
        int v = *(const int *)cfield(c, k);
        if (v != 0 && v != 1) {
            seterr(err, cap, "%s: must be true or false", k->path);
            return KB_EINVAL;
        }
        return KB_OK;
    }
    case K_LEVEL: {
        int v = (int)*(const enum kb_log_level *)cfield(c, k);
        if (v < KB_LOG_DEBUG || v > KB_LOG_ERROR) {
            seterr(err, cap, "%s: unknown level", k->path);
            return KB_EINVAL;
        }
        return KB_OK;
    }
    case K_LIST: {
        char *const *arr = cfield(c, k);
        size_t n = *(const size_t *)(const void *)((const char *)c + k->count_off);
        if (n > k->list_cap) {
            seterr(err, cap, "%s: at most %zu entries", k->path, k->list_cap);
            return KB_EINVAL;
        }
        for (size_t i = 0; i < n; i++) {
            char name[160];
            snprintf(name, sizeof name, "%s[%zu]", k->path, i);
            int rc = check_string(k, arr[i], name, err, cap);
            if (rc)
                return rc;
        }
        return KB_OK;
    }
    case K_RULES:
        return check_levels(c->engine.levels, c->engine.n_levels, err, cap);
    case K_SECTION:
    default:
        return KB_OK;
    }
}

/*
 * cfg_validate: check a finished config: every table key's type, range and
 * string rules (so values set by code are held to the file's standard),
 * then the cross-field rules (adapter "telegram" needs a token, the test
 * clock is sane).  Returns 0 or KB_EINVAL with a message naming the key.
 */
int cfg_validate(const struct kb_config *c, char *err, size_t errcap)
{
    seterr(err, errcap, "%s", "");
    if (!c) {
        seterr(err, errcap, "config: missing");
        return KB_EINVAL;
    }
    for (size_t i = 0, n = n_keys(); i < n; i++) {
        const struct cfg_key *k = key_at(i);
        if (k->kind_idx && !c->adapter_options[k->kind_idx - 1]) {
            seterr(err, errcap, "%s: the configuration was not set up with cfg_defaults", k->path);
            return KB_EINVAL;
        }
        int rc = validate_key(c, k, err, errcap);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < c->n_adapters; i++) {
        const struct adapter_kind *ak = adapter_kind_find(c->adapters[i]);
        const struct cfg_key *k = ak ? missing_required(c, ak) : NULL;
        if (k) {
            seterr(err, errcap, "adapters: \"%s\" needs %s; set %s", ak->name, k->path,
                   k->env ? k->env : k->path);
            return KB_EINVAL;
        }
    }
    if (c->fake_now < 0) {
        seterr(err, errcap, "KOCBOT_FAKE_NOW: must not be before 1970");
        return KB_EINVAL;
    }
    if (!isfinite(c->fake_speed) || c->fake_speed <= 0 ||
        c->fake_speed > CFG_MAX_SPEED) {
        seterr(err, errcap,
               "KOCBOT_FAKE_SPEED: must be greater than 0 and at most %g",
               CFG_MAX_SPEED);
        return KB_EINVAL;
    }
    return KB_OK;
}

/*
 * cfg_adapters: the adapters to start, in registry order of c->adapters:
 * the ones listed, or when the list is empty every adapter whose required
 * keys are all set, or else the fallback (the console).  Returns how many
 * (at most ADAPTER_MAX_KINDS) were written to out.
 */
size_t cfg_adapters(const struct kb_config *c, const struct adapter_kind **out)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n_adapters; i++) {
        const struct adapter_kind *ak = adapter_kind_find(c->adapters[i]);
        if (ak)
            out[n++] = ak;
    }
    if (c->n_adapters)
        return n;
    for (size_t i = 0; i < adapter_n_kinds; i++) {
        const struct adapter_kind *ak = adapter_kinds[i];
        int has_required = 0;
        for (size_t j = 0; j < ak->n_keys; j++)
            has_required |= (ak->keys[j].flags & ADAPTER_KEY_REQUIRED) != 0;
        if (has_required && !missing_required(c, ak))
            out[n++] = ak;
    }
    for (size_t i = 0; n == 0 && i < adapter_n_kinds; i++)
        if (adapter_kinds[i]->fallback)
            out[n++] = adapter_kinds[i];
    return n;
}

const void *cfg_adapter_options(const struct kb_config *c, const struct adapter_kind *k)
{
    int i = adapter_kind_index(k);
    return i < 0 ? NULL : c->adapter_options[i];
}

/*
 * cfg_set_adapters: replace the adapter list with the comma-separated
 * names in list ("telegram,console"; "auto" or "" empties it).  0, or
 * KB_EINVAL / KB_ENOMEM with a message naming the bad name.
 */
int cfg_set_adapters(struct kb_config *c, const char *list, char *err, size_t errcap)
{
    char *names[ADAPTER_MAX_KINDS] = {0};
    size_t n = 0;
    int rc = KB_OK;
    for (const char *p = list; strcmp(list, "auto") != 0 && *p && rc == KB_OK;) {
        size_t len = strcspn(p, ",");
        char name[CFG_MAX_NAME + 1], why[256];
        snprintf(name, sizeof name, "%.*s", (int)(len < CFG_MAX_NAME ? len : CFG_MAX_NAME), p);
        if (chk_adapter(name, why, sizeof why)) {
            seterr(err, errcap, "adapters: %s", why);
            rc = KB_EINVAL;
        } else if (!list_contains(names, n, name)) {
            if (n == ADAPTER_MAX_KINDS || !(names[n] = strdup(name)))
                rc = KB_ENOMEM;
            else
                n++;
        }
        p += len + (p[len] == ',');
    }
    if (rc) {
        for (size_t i = 0; i < n; i++)
            free(names[i]);
        return rc;
    }
    for (size_t i = 0; i < ADAPTER_MAX_KINDS; i++) {
        free(c->adapters[i]);
        c->adapters[i] = names[i];
    }
    c->n_adapters = n;
    return KB_OK;
}
