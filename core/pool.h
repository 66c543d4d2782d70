/* Talent pools: /pool add, remove, list, apply, accept, decline; see pool.c. */
#ifndef KB_CORE_POOL_H
#define KB_CORE_POOL_H

#include "modules.h"

extern const struct kb_module pool_module;

#endif
