/*
 * The command menu a platform shows next to its input box (an adapter
 * publishes it in its platform's way): the member commands of the module
 * registry's command table, each described by the text after " — " in its
 * /help line of the locale catalogue.  Operator, ledger and hidden
 * commands are never listed.
 */
#ifndef KB_CORE_MENU_H
#define KB_CORE_MENU_H

#include <stddef.h>

#define MENU_DESCRIPTION_MAX 256   /* bytes; cut on a character boundary */

struct kb_menu_entry {
    const char *command;           /* without '/', borrowed from the table */
    char *description;             /* plain text, owned */
};

struct kb_menu {
    const char *locale;            /* "zh-CN" or "en" */
    struct kb_menu_entry *entries;
    size_t n;
};

/* The menu in locale; release with menu_free. */
void menu_build(struct kb_menu *m, const char *locale);
void menu_free(struct kb_menu *m);

#endif
