/*
 * Leaderboards in memory: for one metric of one period of one community,
 * every member with a value above 0, best first (value down, member id
 * up), with the rank of any value in O(blocks).  A board is read from the
 * period tallies the first time it is asked for and then moved by the
 * tally writes themselves (tally.c), in the open transaction; a rollback
 * drops every board (engine_caches_clear), so a board is never ahead of
 * the database.  They replace three rank indexes that every check-in had
 * to rewrite six entries of (docs/PERFORMANCE.md).
 */
#ifndef KB_CORE_BOARD_H
#define KB_CORE_BOARD_H

#include <stddef.h>
#include <stdint.h>

#include "tally.h"

struct engine;
struct board_set;

/* A row of a board: a member and their value. */
struct top_row {
    int64_t member_id;
    int64_t value;
};

/* The first n (<= cap) rows of the board, and how many members have a
   value strictly above `value` (the caller's rank is that + 1). */
int board_read(struct engine *e, int64_t community_id, enum top_span span, int64_t period,
               enum top_metric metric, struct top_row *rows, size_t cap, size_t *n,
               int64_t value, int64_t *ahead);
/* A member's value on a board went from old to new (0: not on it).  Only
   boards already in memory change. */
void board_move(struct engine *e, int64_t community_id, enum top_span span, int64_t period,
                enum top_metric metric, int64_t member_id, int64_t old_value, int64_t new_value);
/* 1 when that board is in memory (board_move would change it). */
int board_kept(struct engine *e, int64_t community_id, enum top_span span, int64_t period,
               enum top_metric metric);
/* Forget the boards of one community (its tallies are rewritten), or all. */
void board_forget_community(struct engine *e, int64_t community_id);
void board_set_clear(struct board_set *set);
void board_set_free(struct board_set *set);

#endif
