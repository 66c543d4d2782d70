/*
 * A poll's votes split by the voters' layer — level, talent pool, tag — so an
 * operator sees how core members differ from the rest (the seeds' A/B
 * poster test).  Read-only: counts and reasons come from poll_votes.
 */
#ifndef KB_CORE_POLL_LAYERS_H
#define KB_CORE_POLL_LAYERS_H

#include <stdint.h>

#include "engine_int.h"
#include "poll.h"

enum poll_layer_by { LAYER_LEVEL, LAYER_POOL, LAYER_TAG };

/* n of `of` as a whole percent, rounded half up (0 when of is 0). */
int64_t poll_percent(int64_t n, int64_t of);
/* Each option with its bar, percent and count ("1. Sunset\n   ████░… 40% (4)"):
   the results post and every layer share it. */
void poll_bars(struct sbuf *out, const struct poll_def *d, const int64_t *counts, int64_t voters);

/* "level"/"等级", "pool"/"人才库", "tag"/"标签" -> by; 0 or KB_EINVAL. */
int poll_layer_by_parse(const char *w, enum poll_layer_by *by);

/* Each layer's share of each option, with bars (/poll results --by). */
int poll_layers_results(struct engine *e, int64_t poll_id, const struct poll_def *d,
                        enum poll_layer_by by, const char *lang, struct sbuf *out);
/* The reasons grouped by layer, then option (/poll reasons --by). */
int poll_layers_reasons(struct engine *e, int64_t poll_id, const struct poll_def *d,
                        enum poll_layer_by by, const char *lang, struct sbuf *out);
/* One compact line per level for the final result post ("L4 核心：1. 70% ·
   2. 30%（10 人）"); nothing when every voter is on one level. */
int poll_layers_summary(struct engine *e, int64_t poll_id, const struct poll_def *d, const char *lang,
                        struct sbuf *out);

#endif
