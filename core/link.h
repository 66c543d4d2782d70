/* Communities across groups and platforms, identities across platforms,
   the community's language (see link.c). */
#ifndef KB_CORE_LINK_H
#define KB_CORE_LINK_H

#include "ctx.h"

extern const struct kb_module link_module;

/* /me link …: args after "link". */
int link_me_command(struct cmd_ctx *c, const char *args);

#endif
