/* The command menu from the module registry; see menu.h. */
#include "menu.h"

#include <stdlib.h>
#include <string.h>

#include "markup.h"
#include "modules.h"
#include "text.h"
#include "util.h"

/* "/top [week|…] — leaderboard" -> "leaderboard" (the whole line when it
   has no dash), plain and clipped. */
static char *describe(const char *locale, const char *help_key)
{
    const char *line = text_get(locale, help_key);
    const char *dash = strstr(line, " — ");
    char *plain = markup_plain_dup(dash ? dash + strlen(" — ") : line, 0, MARKUP_DROP_ISOLATES);
    plain[utf8_clip(plain, strlen(plain), MENU_DESCRIPTION_MAX)] = '\0';
    return plain;
}

void menu_build(struct kb_menu *m, const char *locale)
{
    memset(m, 0, sizeof *m);
    m->locale = locale;
    size_t cap = 0;
    for (size_t i = 0; i < kb_n_modules; i++)
        cap += kb_modules[i]->n_commands;
    m->entries = xcalloc(cap ? cap : 1, sizeof *m->entries);
    for (size_t i = 0; i < kb_n_modules; i++) {
        const struct kb_module *mod = kb_modules[i];
        for (size_t k = 0; k < mod->n_commands; k++) {
            const struct cmd_spec *s = &mod->commands[k];
            if (!s->help_key ||
                (s->flags & (CMD_OPERATOR | CMD_LEDGER | CMD_HIDDEN | CMD_OPERATOR_HELP)))
                continue;
            m->entries[m->n].command = s->name;
            m->entries[m->n].description = describe(locale, s->help_key);
            m->n++;
        }
    }
}

void menu_free(struct kb_menu *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->entries[i].description);
    free(m->entries);
    memset(m, 0, sizeof *m);
}
