/*
 * Polls and votes.  Operators open a poll in a chat (/poll new), members
 * answer with /vote or the poll's buttons, optionally with a reason; a vote
 * is one row per (poll, voter), so voting again replaces it and a reward is
 * paid once.  Closing (by hand or at the deadline) posts the result once.
 */
#ifndef KB_CORE_POLL_H
#define KB_CORE_POLL_H

#include <stdint.h>

#include "modules.h"
#include "tag.h"

#define POLL_MIN_OPTIONS 2
#define POLL_MAX_OPTIONS 10
#define POLL_QUESTION_MAX 300   /* code points */
#define POLL_OPTION_MAX 100     /* code points */
#define POLL_REASON_MAX 500     /* code points */
#define POLL_POOL_MAX 64        /* code points */
#define POLL_EDIT_GAP_S 5       /* at most one live-count edit per poll per 5 s */

/* A parsed /poll new definition (fixed buffers: nothing to free). */
struct poll_def {
    char question[POLL_QUESTION_MAX * 4 + 1];
    char options[POLL_MAX_OPTIONS][POLL_OPTION_MAX * 4 + 1];
    int n_options;
    int max_choices;          /* 1 = single choice */
    int anonymous;            /* tallies shown, voters never */
    int hidden;               /* tallies hidden until the poll closes */
    int reason_required;
    int min_level;            /* 0 = anyone */
    char pool[POLL_POOL_MAX * 4 + 1]; /* "" = anyone */
    int64_t reward;           /* points per voter, 0 = none */
    int64_t closes_at;        /* 0 = open until closed by hand */
    int all_groups;           /* posted in every group of the community */
    char tag[TAG_NAME_BYTES]; /* only members with this tag vote; "" = anyone */
    char err_detail[80];      /* on failure: the offending flag or value, for {what} */
};

/* Parse the text after "/poll new" in the community's zone tz at instant
   now.  Returns 0, or KB_EINVAL with *err_key set to a catalogue key (its
   {what} placeholder filled from def->err_detail).  Pure: no store, no
   engine; safe on any input. */
int poll_definition_parse(const char *text, const char *tz, int64_t now, struct poll_def *def,
                          const char **err_key);

/* Parse a vote's option part against a poll's options: "2", "1,3", or an
   option's text (case-insensitive ASCII), followed by an optional reason.
   *choices gets the bit set (bit n-1 = option n), *reason points into s.
   Returns 0 or KB_EINVAL with *err_key set (option out of range, unknown
   option text).  Pure. */
int poll_choice_parse(const char *s, const struct poll_def *def, unsigned *choices,
                      const char **reason, const char **err_key);

extern const struct kb_module poll_module;

#endif
