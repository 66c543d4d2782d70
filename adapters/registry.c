/* The adapter registry; see registry.h.  One row per adapter. */
#include "registry.h"

#include <string.h>

#include "console.h"
#include "onebot.h"
#include "matrix.h"
#include "telegram.h"

const struct adapter_kind *const adapter_kinds[] = {
    &tg_adapter_kind,
    &ob_adapter_kind,
    &mx_adapter_kind,
    &console_adapter_kind,
};

const size_t adapter_n_kinds = sizeof adapter_kinds / sizeof adapter_kinds[0];

_Static_assert(sizeof adapter_kinds / sizeof adapter_kinds[0] <= ADAPTER_MAX_KINDS,
               "raise ADAPTER_MAX_KINDS");

const struct adapter_kind *adapter_kind_find(const char *name)
{
    for (size_t i = 0; name && i < adapter_n_kinds; i++)
        if (strcmp(adapter_kinds[i]->name, name) == 0)
            return adapter_kinds[i];
    return NULL;
}

int adapter_kind_index(const struct adapter_kind *k)
{
    for (size_t i = 0; i < adapter_n_kinds; i++)
        if (adapter_kinds[i] == k)
            return (int)i;
    return -1;
}
