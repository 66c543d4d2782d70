/* A parsed JSON tree that lives for one short read: its nodes and strings
   come from one reused block instead of a malloc and a free each (a
   Telegram update is ~45 of them), and releasing it is a reset, not a walk.
   One tree at a time: a parse while one is live gets a plain cJSON tree,
   which json_arena_release then deletes as usual.  One thread. */
#ifndef KOCBOT_JSON_ARENA_H
#define KOCBOT_JSON_ARENA_H

#include <cJSON.h>
#include <stddef.h>

cJSON *json_arena_parse(const char *json, size_t len);
void json_arena_release(cJSON *tree);

/* the block's size now (tests): it grows to the largest tree parsed */
size_t json_arena_capacity(void);

#endif
