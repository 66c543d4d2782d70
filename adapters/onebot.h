/*
 * The OneBot v11 adapter: QQ groups through NapCat, LLOneBot or
 * Lagrange.OneBot.  Actions go over HTTP (POST <api>/<action>, answered
 * {status, retcode, data}, "Authorization: Bearer <access_token>");
 * events come over a forward WebSocket that kocbot connects to (reconnected
 * with backoff) and/or as HTTP POSTs to kocbot's listener (X-Signature
 * "sha1=<HMAC of the body>" checked when a secret is set).
 *
 * Exactly once: OneBot has no update offset.  Every event is
 * de-duplicated by (group, message id) in the engine; on every (re)connect
 * the recent history of each group seen so far (get_group_msg_history,
 * history_count messages; NapCat and Lagrange offer it) is fetched and
 * applied, so what was pushed while kocbot was down or the socket was
 * broken is applied once.  What cannot be recovered: more than
 * history_count messages in a group during one outage, messages of a
 * group kocbot never saw before, private messages, and everything when
 * the implementation offers no history.  A send that timed out is retried
 * at most once (no idempotency key).
 *
 * Sending: plain text (markup stripped), a reply segment to the command and
 * an at segment for its sender; texts split at max_text code points; no
 * buttons, so each button becomes a line with the command to type; an
 * edit is re-posted as a new message, at most once per repost_gap_s per
 * message (the final state of a closed poll is posted by the core anyway),
 * and our previous copy is removed with delete_msg (never the original,
 * which replies refer to).
 *
 * Roles come with every message (sender.role); when a group command comes
 * without it, get_group_member_info decides (cached 5 minutes).  A group's
 * name is read once per run with get_group_info.
 * Default pacing: one message per 1.5 s per group and 20 per minute.
 */
#ifndef KB_ADAPTERS_ONEBOT_H
#define KB_ADAPTERS_ONEBOT_H

#include "registry.h"

struct ob_options {
    char *api;                  /* required: "http://127.0.0.1:3000" */
    char *ws_url;               /* forward WebSocket, "ws://127.0.0.1:3001", or empty */
    char *access_token;         /* secret, may be empty */
    char *post_listen;          /* "127.0.0.1:5701" to accept HTTP POST events, or empty */
    char *post_path;            /* "/onebot" */
    char *post_secret;          /* secret for X-Signature, may be empty */
    int request_timeout_s;
    int backoff_max_s;
    int history_count;          /* messages fetched per group on (re)connect; 0 = none */
    int chat_gap_ms;            /* pacing per group */
    int per_group_per_min;
    int max_text;               /* code points per message */
    int repost_gap_s;
    const char *bot_name;       /* borrowed */
};

/* The registry row (adapters/registry.c). */
extern const struct adapter_kind ob_adapter_kind;

/* Create the adapter.  svc must outlive it.  0 and *out, or KB_EINVAL /
   KB_ENOMEM. */
int ob_adapter_new(const struct ob_options *o, const struct adapter_services *svc,
                   struct adapter **out);

#endif
