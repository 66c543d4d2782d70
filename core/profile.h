/* /me and /help, and the engine's generic refusal texts. */
#ifndef KB_CORE_PROFILE_H
#define KB_CORE_PROFILE_H

#include "ctx.h"

extern const struct kb_module profile_module;

#endif
