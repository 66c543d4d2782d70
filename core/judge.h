/*
 * Guest judges with rubrics (特邀评委): an operator appoints judges and a
 * rubric for a task; judges score its entries one at a time in a private
 * chat; closing the judging ranks the entries by weighted average, pays
 * the places their prizes and the judges their reward, and sends each
 * author the comments.  See judge.c.
 */
#ifndef KB_CORE_JUDGE_H
#define KB_CORE_JUDGE_H

#include "ctx.h"

#define JUDGE_CRITERIA_MAX 8
#define JUDGE_PRIZES_MAX 10

struct judge_rubric {
    size_t n;
    char name[JUDGE_CRITERIA_MAX][41];
    int64_t weight[JUDGE_CRITERIA_MAX];
    int64_t scale;                   /* 5 or 10: scores are 1..scale */
};

/* "创意:40,画面:30,契合:30" (weights > 0; ':' or '：', ',' or '，'). */
int judge_rubric_parse(const char *spec, int64_t scale, struct judge_rubric *r);
/* One judge's scores (one per criterion, 1..scale) as a weighted mean
   times 1000; KB_EINVAL when a score is missing or out of range. */
int judge_weighted(const struct judge_rubric *r, const int64_t *scores, size_t n, int64_t *milli);

/* A prize: points, or cash in cents with a currency. */
struct judge_prize {
    int64_t points, cash;
    char currency[8];
};
/* "500CNY,300CNY,100" -> prizes for places 1..n. */
int judge_prizes_parse(const char *spec, struct judge_prize *p, size_t cap, size_t *n);

/* Places for entries already sorted best first: equal averages share a
   place ("shared": 1, 1, 3) or are told apart by the earlier entry
   ("earlier": 1, 2, 3, the caller sorted ties by time). */
void judge_places(const int64_t *avg, size_t n, int shared, int *place);

extern const struct kb_module judge_module;

#endif
