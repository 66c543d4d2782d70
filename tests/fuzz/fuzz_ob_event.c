/* libFuzzer target: the OneBot v11 decoder (adapters/onebot_msg.c) on
   arbitrary bytes — events (array segments and CQ-code strings), action
   answers, and the text rendering and splitting of what goes out. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../adapters/onebot_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kb_http_response resp = {.outcome = KB_HTTP_DONE, .status = 200,
                                    .body = (const char *)data, .body_len = size};
    struct ob_answer a;
    ob_classify(&resp, &a);
    ob_answer_free(&a);
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    cJSON *doc = cJSON_Parse(text);
    if (doc) {
        const cJSON *item = cJSON_IsArray(doc) ? doc->child : doc;
        for (; item; item = cJSON_IsArray(doc) ? item->next : NULL) {
            struct ob_event e;
            if (ob_decode_event(item, 10001, "kocbot", &e) == 0)
                ob_event_clear(&e);
        }
        cJSON_Delete(doc);
    }
    cJSON_Delete(ob_cq_parse(text));
    /* the text as kb markup with itself as buttons, split small */
    char *plain = ob_render_text_dup(text, text);
    char **parts;
    size_t n;
    if (plain && ob_split(plain, 7, &parts, &n) == 0)
        ob_parts_free(parts, n);
    free(plain);
    free(text);
    return 0;
}
