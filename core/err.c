/* kb_strerror: one English line per error code (see err.h). */
#include "err.h"

const char *kb_strerror(int err)
{
    switch (err) {
    case KB_OK: return "ok";
    case KB_ENOMEM: return "out of memory";
    case KB_EINVAL: return "invalid argument";
    case KB_ENOTFOUND: return "not found";
    case KB_EDENIED: return "permission denied";
    case KB_ESTORE: return "database error";
    case KB_EPARSE: return "malformed payload";
    case KB_ETRANSPORT: return "network error";
    case KB_EHTTP: return "unexpected HTTP status";
    case KB_ERATELIMIT: return "rate limited";
    case KB_ECONFLICT: return "conflict: another poller or a webhook is active";
    case KB_EAUTH: return "unauthorized: bad token";
    case KB_ESHUTDOWN: return "shutting down";
    case KB_EFULL: return "storage full or read-only";
    case KB_ETOOBIG: return "input too large";
    default: return "unknown error";
    }
}
