/* libFuzzer target: the command parser (core/command.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/command.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *triggers[] = {"签到", "checkin", "打卡"};
    struct command cmd;
    const char *bots[] = {"kocbot", NULL};
    for (int b = 0; b < 2; b++) {
        memset(&cmd, 0, sizeof cmd);
        if (command_parse(text, bots[b], triggers, 3, &cmd) == COMMAND_OK) {
            if (!cmd.args || strlen(cmd.name) > COMMAND_NAME_MAX)
                abort();
            command_clear(&cmd);
        }
    }
    free(text);
    return 0;
}
