/* Grants and revocations of points, titles and badges: /grant, /revoke; see grant.c. */
#ifndef KB_CORE_GRANT_H
#define KB_CORE_GRANT_H

#include "modules.h"

extern const struct kb_module grant_module;

#endif
