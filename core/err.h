/*
 * Errors and log levels, for every layer: a function that can fail returns
 * 0 or a negative kb_err; a log line has a kb_log_level.  Plain C.
 */
#ifndef KB_CORE_ERR_H
#define KB_CORE_ERR_H

/* Error codes: 0 is success, failures are negative. */
enum kb_err {
    KB_OK = 0,
    KB_ENOMEM = -1,      /* out of memory */
    KB_EINVAL = -2,      /* bad argument or malformed input */
    KB_ENOTFOUND = -3,   /* no such row / key */
    KB_EDENIED = -4,     /* not allowed */
    KB_ESTORE = -5,      /* SQLite failure (detail in engine_errmsg) */
    KB_EPARSE = -6,      /* undecodable platform payload */
    KB_ETRANSPORT = -7,  /* network failure */
    KB_EHTTP = -8,       /* unexpected HTTP status */
    KB_ERATELIMIT = -9,  /* platform said slow down */
    KB_ECONFLICT = -10,  /* another poller or a webhook (HTTP 409) */
    KB_EAUTH = -11,      /* the platform refused the token (HTTP 401) */
    KB_ESHUTDOWN = -12,  /* the process is stopping */
    KB_EFULL = -13,      /* storage full or read-only */
    KB_ETOOBIG = -14     /* input over a size limit */
};

/* Short English description of an error code (never NULL). */
const char *kb_strerror(int err);

enum kb_log_level { KB_LOG_DEBUG = 0, KB_LOG_INFO, KB_LOG_WARN, KB_LOG_ERROR };

#endif
