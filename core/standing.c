/*
 * Standing: levels and pools.  (Level rules are filled in by the layering
 * feature; until then everyone is level 1.)
 */
#include "standing.h"

int standing_level(struct engine *e, int64_t member_id, int *level)
{
    int64_t v = 1;
    int rc = store_i64(e->st, &v, "SELECT level FROM member_levels WHERE member_id = ?",
                       VALS(SI(member_id)));
    if (rc && rc != KB_ENOTFOUND)
        return rc;
    *level = (int)v;
    return KB_OK;
}

int standing_in_pool(struct engine *e, int64_t member_id, const char *pool, int *yes)
{
    int64_t one = 0;
    int rc = store_i64(e->st, &one,
                       "SELECT 1 FROM pool_members WHERE member_id = ? AND pool = ? COLLATE NOCASE",
                       VALS(SI(member_id), ST(pool)));
    if (rc && rc != KB_ENOTFOUND)
        return rc;
    *yes = rc == KB_OK;
    return KB_OK;
}

int standing_changed(struct engine *e, int64_t community_id, int64_t member_id, int64_t now)
{
    (void)e;
    (void)community_id;
    (void)member_id;
    (void)now;
    return KB_OK;
}
