/*
 * Member tags: short labels ("周末越野派") on members, set by operators
 * (/tag add) or earned (a persona quiz's result).  A tag is one row
 * (member, tag) in member_tags with its source, so a member holds a tag at
 * most once.  Tasks and polls may be limited to a tag (tag_limits, keyed
 * by the thing limited: "task:<id>", "poll:<id>"); /stats tag and
 * /poll results <id> --by tag split their numbers by tag.  Tags compare
 * ASCII letters case-insensitively.
 */
#ifndef KB_CORE_TAG_H
#define KB_CORE_TAG_H

#include "ctx.h"

#define TAG_NAME_MAX 16                 /* code points */
#define TAG_NAME_BYTES (TAG_NAME_MAX * 4 + 1)

/* 1 when s is usable as a tag: 1..TAG_NAME_MAX code points of valid UTF-8,
   no space, not starting with @, # or -. */
int tag_name_valid(const char *s);

/* *yes = 1 when the member holds the tag. */
int tag_has(struct engine *e, int64_t member_id, const char *tag, int *yes);
/* Calls fn(tag, ud) for each tag of the member, by name; stops at the
   first non-zero return and returns it (or a store error). */
int tag_each_of_member(struct engine *e, int64_t member_id, int (*fn)(const char *tag, void *ud),
                       void *ud);
/* Calls fn(member_id, ud) for each member of the community holding tag,
   earliest first; stops like tag_each_of_member. */
int tag_each_member(struct engine *e, int64_t community_id, const char *tag,
                    int (*fn)(int64_t member_id, void *ud), void *ud);
/* Give the tag (source "operator" or "quiz:<id>"; by = operator's member
   id or 0); *added = 1 when the member did not hold it. */
int tag_give(struct engine *e, int64_t community_id, int64_t member_id, const char *tag,
             const char *source, int64_t by, int64_t at, int *added);
/* Take the tag away, but only when it came from source (NULL = any);
   *removed = 1 when a row went. */
int tag_take(struct engine *e, int64_t member_id, const char *tag, const char *source, int *removed);

/* The tag a task or poll ("task:12") is limited to: copied into tag
   (TAG_NAME_BYTES), "" when none. */
int tag_limit_get(struct engine *e, const char *target, char *tag);
/* Limit target to tag ("" or NULL: no limit any more). */
int tag_limit_set(struct engine *e, int64_t community_id, const char *target, const char *tag);
/* *ok = 1 when the member may take part in target (no limit, or they hold
   its tag); the limit's tag is copied into tag (TAG_NAME_BYTES). */
int tag_limit_allows(struct engine *e, const char *target, int64_t member_id, int *ok, char *tag);
/* How many members of the community hold tag. */
int tag_count(struct engine *e, int64_t community_id, const char *tag, int64_t *n);

extern const struct kb_module tag_module;

#endif
