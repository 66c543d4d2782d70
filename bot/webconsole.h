/*
 * The operator web console's HTTP side: sign-in by a one-time link (from
 * /console in a direct message) into a session cookie (HttpOnly,
 * SameSite=Strict, Secure behind TLS), a CSRF token on every form, and the
 * pages.  It holds no rules of its own: what it shows comes from the
 * engine's read models (core/webconsole.h), what it does is a command
 * applied through `apply` exactly like a button press in the chat (same
 * permission checks, audit rows, and de-duplication by a per-form id).
 * Sessions are rows in the database (only their ids' hashes): they expire
 * after CONSOLE_SESSION_S, end at sign-out, survive a restart, and all of
 * a person's end at "sign out everywhere" (/console revoke).
 */
#ifndef KB_BOT_WEBCONSOLE_H
#define KB_BOT_WEBCONSOLE_H

#include "../adapters/adapter.h"
#include "../core/engine.h"
#include "listener.h"

#define WEBCONSOLE_FILE_MAX (10u << 20)        /* one attachment, bytes */
#define WEBCONSOLE_CACHE_MAX (200LL << 20)     /* the attachments' cache on disk */

struct webconsole;

struct webconsole_services {
    void *ud;
    /* apply one event as the chat's would be (0 = committed) */
    int (*apply)(void *ud, const struct kb_event *ev);
    /* fetch ref (an attachment without its kind) from platform's adapter,
       at most max bytes: 0 and done called once later, or KB_E* */
    int (*fetch)(void *ud, const char *platform, const char *ref, size_t max,
                 kb_file_done_fn done, void *done_ud);
};

/* locale: the pages' language ("zh-CN" or "en"); files_dir: where
   attachments are cached (created 0700, files 0600). */
struct webconsole *webconsole_new(struct engine *e, const char *locale, const char *files_dir,
                                  const struct webconsole_services *svc);
/* Serve the console's paths on l (owner: w).  0 or KB_E*. */
int webconsole_route(struct webconsole *w, struct http_listener *l);
void webconsole_free(struct webconsole *w);

#endif
