/* Shared by the growth-ladder modules; see growth.h. */
#include "growth.h"

#include <stdio.h>

#include "task.h"

int growth_tell(struct engine *e, int64_t community_id, int64_t member_id, const char *lang,
                const char *markup, int64_t now)
{
    int sent = 0;
    int rc = member_tell_privately(e, member_id, markup, NULL, now, &sent);
    if (rc || sent)
        return rc;
    struct sbuf b = {0}, who = {0};
    task_mention(e, member_id, &who);
    sbuf_add(&b, markup);
    member_private_note(lang, who.s, &b);
    rc = community_post_after(e, community_id, b.s, NULL, now);
    sbuf_free(&b);
    sbuf_free(&who);
    return rc;
}

int growth_audit_system(struct engine *e, int64_t community_id, const char *action, const char *target,
                        const char *detail, int64_t now)
{
    return store_exec(e->st,
                      "INSERT INTO audit(community_id, actor_member_id, action, target, detail, at)"
                      " VALUES (?, NULL, ?, ?, ?, ?)",
                      VALS(SI(community_id), ST(action), ST(target), ST(detail ? detail : ""), SI(now)));
}

void growth_member_target(int64_t member_id, char *buf, size_t cap)
{
    snprintf(buf, cap, "member:%lld", (long long)member_id);
}
