/* libFuzzer target: the task-definition parser (core/taskdef.c), for both
   /task new and /task edit. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/task.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct task_def def;
    const char *err_key = NULL;
    memset(&def, 0, sizeof def);
    if (task_definition_parse(text, "Asia/Shanghai", 1795392000, &def, &err_key) == 0)
        task_def_free(&def);
    memset(&def, 0, sizeof def);
    if (task_edit_parse(text, "Asia/Shanghai", 1795392000, &def, &err_key) == 0)
        task_def_free(&def);
    free(text);
    return 0;
}
