/*
 * What the web console's files share (webconsole.c: sessions, forms, the
 * review and members pages, attachments; webconsole_pages.c: the other
 * pages).  Not for use outside the console.
 */
#ifndef KB_BOT_WEBCONSOLE_INT_H
#define KB_BOT_WEBCONSOLE_INT_H

#include "../core/util.h"
#include "../core/webconsole.h"
#include "webconsole.h"

#define TOKEN_HEX CONSOLE_SECRET_HEX /* session ids, CSRF tokens, form ids */
#define MAX_NOTE 500                 /* bytes of a reviewer's note or a form's text */

/* A request's signed-in person (the session lives in the database). */
struct session {
    char id[TOKEN_HEX + 1];          /* the cookie's value */
    char csrf[TOKEN_HEX + 1];        /* derived from id: nothing more to store */
    struct console_identity who;
};

struct webconsole {
    struct engine *e;
    const char *lang;
    struct webconsole_services svc;
    char *files_dir;                 /* the attachments' cache */
    struct http_listener *l;         /* where deferred answers go */
    struct session current;          /* the request being served (one at a time, on the loop) */
};

/* The signed-in person of req, or NULL (no cookie, expired, revoked). */
struct session *wc_session(struct webconsole *w, const struct kb_http_incoming *req);
void wc_random_hex(char out[TOKEN_HEX + 1]);
/* 1 when a and b are the same token (constant time). */
int wc_same_token(const char *a, const char *b);
void wc_escape(struct sbuf *b, const char *s);
/* A catalogue text, escaped for HTML. */
void wc_say(struct webconsole *w, struct sbuf *b, const char *key);
int wc_url_decode(const char *s, size_t n, char *out, size_t cap);
/* Field name of a form body, decoded into out; 1 when present and it fitted. */
int wc_form_field(const char *body, size_t len, const char *name, char *out, size_t cap);
void wc_page_open(struct webconsole *w, struct sbuf *b, const struct session *s);
int wc_page_send(const struct kb_http_incoming *req, struct kb_http_body *out, struct sbuf *b,
                 int status);
int wc_page_message(struct webconsole *w, const struct kb_http_incoming *req,
                    struct kb_http_body *out, const struct session *s, const char *key, int status);
/* "Done: the group has been told" after an action (?sent=1). */
void wc_sent_notice(struct webconsole *w, struct sbuf *b, const struct kb_http_incoming *req);
/* Apply text as s's command in chat, like a button press there. */
int wc_run_command(struct webconsole *w, const struct session *s, const char *chat,
                   enum kb_chat_type type, const char *form_id, const char *text);

/* The other pages (webconsole_pages.c): their routes on l. */
int wc_pages_route(struct webconsole *w, struct http_listener *l);

#endif
