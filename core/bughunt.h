/*
 * Beta bug hunts (找茬, exploration tier): a task with a report template
 * that members fill in, in one message or step by step in a private chat;
 * reviewers triage reports by severity (the task's reward table) or mark
 * them duplicates of an earlier report; /bugs lists and exports them.
 * See bughunt.c.
 */
#ifndef KB_CORE_BUGHUNT_H
#define KB_CORE_BUGHUNT_H

#include "ctx.h"

#define BUG_FIELDS_MAX 10
#define BUG_FIELD_NAME_MAX 40   /* bytes */
#define BUG_VALUE_MAX 1000      /* bytes per field */

/* A report template: field names, each required or optional. */
struct bug_template {
    size_t n;
    char name[BUG_FIELDS_MAX][BUG_FIELD_NAME_MAX + 1];
    int required[BUG_FIELDS_MAX];
};

/* "场景,步骤,期望,实际,截图?" (a trailing ? marks an optional field; ',' or
   '，' between) into t.  KB_EINVAL when empty, too many, too long or
   repeated. */
int bug_template_parse(const char *spec, struct bug_template *t);

/* A filled report: one value per template field (owned, "" when empty). */
struct bug_fields {
    char *value[BUG_FIELDS_MAX];
};
void bug_fields_free(struct bug_fields *f);

/*
 * Read "key: value" lines (ASCII or full-width colon; lines without a key
 * continue the previous value) against t.  Pure.  On failure returns
 * KB_EINVAL with *err_key the catalogue key and bad the field it names
 * ("bug.unknown_field", "bug.too_long", "bug.no_field"); missing required
 * fields are not an error here (bug_missing names them).
 */
int bug_fields_parse(const struct bug_template *t, const char *text, struct bug_fields *f,
                     const char **err_key, char *bad, size_t bad_cap);
/* The required fields without a value, "、"/", " separated, into out;
   returns how many. */
size_t bug_missing(const struct bug_template *t, const struct bug_fields *f, const char *lang,
                   struct sbuf *out);

extern const struct kb_module bughunt_module;

#endif
