/* kb markup to plain text; see markup.h. */
#include "markup.h"

#include <string.h>

#include "util.h"

char *markup_plain_dup(const char *m)
{
    size_t n = strlen(m);
    char *out = xmalloc(n + 1);
    size_t o = 0;
    static const struct { const char *ent; char ch; } ents[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}};
    for (size_t i = 0; i < n;) {
        if (m[i] == '<') {
            const char *end = strchr(m + i, '>');
            if (end) {
                i = (size_t)(end - m) + 1;
                continue;
            }
        }
        if (m[i] == '&') {
            int hit = 0;
            for (size_t k = 0; k < sizeof ents / sizeof ents[0]; k++) {
                size_t el = strlen(ents[k].ent);
                if (strncmp(m + i, ents[k].ent, el) == 0) {
                    out[o++] = ents[k].ch;
                    i += el;
                    hit = 1;
                    break;
                }
            }
            if (hit)
                continue;
        }
        /* U+2068 / U+2069 direction isolates: invisible, drop for terminals */
        if (strncmp(m + i, "\xE2\x81\xA8", 3) == 0 || strncmp(m + i, "\xE2\x81\xA9", 3) == 0) {
            i += 3;
            continue;
        }
        out[o++] = m[i++];
    }
    out[o] = '\0';
    return out;
}
