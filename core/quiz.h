/*
 * Persona quizzes ("测测你是哪一款车主").  An operator defines a quiz in
 * one message (/quiz new, syntax below); a member takes it one question
 * at a time (in their private chat with the bot when there is one, else
 * in the group), with buttons or typed answers (1/2/3, A/B/C, full-width
 * too); the result is a card they can share in the group or forward, a
 * member tag named after the persona (tag.h) and the persona's badge.
 *
 * Definition (keywords in English or Chinese, one item per line):
 *   /quiz new 测测你是哪一款车主
 *   人设 城市通勤派 | 每天穿梭在城市里，效率第一 | 通勤达人      (persona NAME | text | badge, badge optional)
 *   人设 周末越野派 | 一到周末就往山里跑 | 越野先锋
 *   题 周末你最常去哪？                                          (question)
 *   - 商场和市区 = 城市通勤派                                    (answer = persona [weight], …)
 *   - 山里、河边 = 周末越野派 2
 *   - 带娃去公园 = 周末越野派, 城市通勤派
 *   重测 30d                                                     (retake after: 30d, 12h, 0 = any time, never)
 * English keywords: persona, q, retake; an answer line starts with "-",
 * "•", "*" or "a"/"答".  The weight separator is "=" or "|".
 *
 * Scoring: each answer adds its weights to its personas; the highest total
 * wins.  Ties: the tied persona that more of the member's answers gave
 * points to wins; if still tied, the one defined first.
 *
 * A stored quiz keeps its definition text and is parsed again when loaded,
 * so the parser must keep accepting what it once accepted.
 */
#ifndef KB_CORE_QUIZ_H
#define KB_CORE_QUIZ_H

#include <stdint.h>

#include "modules.h"
#include "tag.h"

#define QUIZ_TITLE_MAX 60          /* code points */
#define QUIZ_MIN_PERSONAS 2
#define QUIZ_MAX_PERSONAS 8
#define QUIZ_MAX_QUESTIONS 15
#define QUIZ_MIN_ANSWERS 2
#define QUIZ_MAX_ANSWERS 6
#define QUIZ_TEXT_MAX 200          /* a persona's text, a question */
#define QUIZ_ANSWER_MAX 60
#define QUIZ_BADGE_MAX 32          /* as a granted badge's name */
#define QUIZ_WEIGHT_MAX 10

struct quiz_answer {
    char text[QUIZ_ANSWER_MAX * 4 + 1];
    int weight[QUIZ_MAX_PERSONAS];   /* points per persona, 0 = none */
};

struct quiz_question {
    char text[QUIZ_TEXT_MAX * 4 + 1];
    struct quiz_answer answers[QUIZ_MAX_ANSWERS];
    int n_answers;
};

struct quiz_persona {
    char name[TAG_NAME_BYTES];       /* also the member tag it gives */
    char text[QUIZ_TEXT_MAX * 4 + 1];
    char badge[QUIZ_BADGE_MAX * 4 + 1]; /* "" = none */
};

struct quiz_def {
    char title[QUIZ_TITLE_MAX * 4 + 1];
    struct quiz_persona personas[QUIZ_MAX_PERSONAS];
    int n_personas;
    struct quiz_question questions[QUIZ_MAX_QUESTIONS];
    int n_questions;
    int64_t retake_s;                /* -1 = never, 0 = any time; default_retake_s when not given */
    char err_detail[80];             /* on failure: the offending line or name, for {what} */
};

/* Parse the text after "/quiz new".  Returns 0, or KB_EINVAL with *err_key
   a catalogue key ({what} = d->err_detail).  Pure; safe on any input. */
int quiz_definition_parse(const char *text, int64_t default_retake_s, struct quiz_def *d,
                          const char **err_key);

/* The winning persona for these totals (scores) and the number of answers
   that gave each one points (hits), by the tie rule above. */
int quiz_pick(const int64_t *scores, const int64_t *hits, int n);

/* A typed answer: "2", "B", "b", "Ｂ", "２" (optionally followed by "."
   or "、") -> 0-based index below n; -1 when s is no answer. */
int quiz_answer_parse(const char *s, int n);

/* Seconds until a member who last finished at last_at may take the quiz
   again: 0 = now, -1 = never (retake_s -1). */
int64_t quiz_retake_wait(int64_t now, int64_t last_at, int64_t retake_s);

extern const struct kb_module quiz_module;

#endif
