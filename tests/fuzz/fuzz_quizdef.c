/* libFuzzer target: the persona quiz's definition parser and typed-answer
   reader (core/quiz.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/quiz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    static struct quiz_def def;
    const char *err_key = NULL;
    if (quiz_definition_parse(text, 30 * 86400, &def, &err_key) == 0) {
        /* what a parsed quiz promises its users */
        if (def.n_personas < QUIZ_MIN_PERSONAS || def.n_questions < 1)
            abort();
        for (int i = 0; i < def.n_questions; i++)
            if (def.questions[i].n_answers < QUIZ_MIN_ANSWERS || def.questions[i].n_answers > QUIZ_MAX_ANSWERS)
                abort();
    } else if (!err_key) {
        abort();
    }
    int n = quiz_answer_parse(text, QUIZ_MAX_ANSWERS);
    if (n < -1 || n >= QUIZ_MAX_ANSWERS)
        abort();
    free(text);
    return 0;
}
