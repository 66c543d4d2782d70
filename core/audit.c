/* The audit trail; see audit.h. */
#include "audit.h"

int audit_add(struct cmd_ctx *c, const char *action, const char *target, const char *detail)
{
    return store_exec(c->st,
                      "INSERT INTO audit(community_id, actor_member_id, action, target, detail, at)"
                      " VALUES (?, ?, ?, ?, ?, ?)",
                      VALS(SI(c->comm.id), SI(c->member_id), ST(action), ST(target ? target : ""),
                           ST(detail ? detail : ""), SI(c->now)));
}
