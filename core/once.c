/* Fire-once marks; see once.h. */
#include "once.h"

int once_mark(struct engine *e, const char *key, int64_t now, int *first)
{
    int rc = store_exec(e->st, "INSERT OR IGNORE INTO fired(key, at) VALUES (?, ?)",
                        VALS(ST(key), SI(now)));
    *first = !rc && store_changes(e->st) == 1;
    return rc;
}
