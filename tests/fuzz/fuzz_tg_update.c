/* libFuzzer target: the Telegram update decoder and envelope parser
   (adapters/telegram_json.c) on arbitrary bytes. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../adapters/telegram_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tg_envelope env;
    if (tg_envelope_parse((const char *)data, size, &env) == 0)
        tg_envelope_free(&env);
    /* the tolerant pass over a getUpdates answer (not NUL-terminated) */
    struct tg_span *items = NULL;
    size_t n_items = 0;
    if (tg_split_updates((const char *)data, size, &items, &n_items) == 0) {
        for (size_t i = 0; i < n_items; i++) {
            int64_t id;
            tg_raw_update_id(items[i].p, items[i].len, &id);
            free(tg_raw_copy_dup(items[i].p, items[i].len, 64));
        }
        free(items);
    }
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    cJSON *doc = cJSON_Parse(text);
    if (doc) {
        /* one update, or each element of an array of them */
        const cJSON *item = cJSON_IsArray(doc) ? doc->child : doc;
        for (; item; item = cJSON_IsArray(doc) ? item->next : NULL) {
            struct tg_update u;
            memset(&u, 0, sizeof u);
            tg_decode_update(item, "kocbot", 1795392000, &u);
            tg_update_clear(&u);
        }
        int64_t *ids = NULL;
        size_t n = 0;
        if (tg_parse_admins(doc, &ids, &n) == 0)
            free(ids);
        char name[64];
        tg_parse_me(doc, name, sizeof name);
        cJSON_Delete(doc);
    }
    free(text);
    return 0;
}
