/*
 * Fire-once marks for scheduled work: a post, reminder or closing is sent
 * only by the transaction that also inserts its mark, so a restart or a
 * second tick can never repeat it.
 */
#ifndef KB_CORE_ONCE_H
#define KB_CORE_ONCE_H

#include "engine_int.h"

/* Insert the mark `key` ("greet:12:20415"); *first = 1 when it is new. */
int once_mark(struct engine *e, const char *key, int64_t now, int *first);

#endif
