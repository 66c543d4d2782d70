/*
 * The Matrix adapter (client-server API v3): /sync long polls into engine
 * batches, kb_reply -> PUT /rooms/{room}/send/m.room.message/{txnId}.
 * It reaches the network, timers, clock, log, engine and the credential
 * store only through struct adapter_services.  The access token and the
 * password never appear in a log line, a URL or the database.
 *
 * Behaviour worth knowing (details in matrix.c / matrix_json.c):
 *  - Credentials: matrix.access_token when set; else the login stored by an
 *    earlier password login (services->secret_load "matrix.login"); else a
 *    one-time password login (matrix.user_id + matrix.password) with the
 *    fixed matrix.device_id, whose token is stored through
 *    services->secret_save before it is used.  whoami runs at every start;
 *    401 M_UNKNOWN_TOKEN stops this adapter (bot/ keeps the others).
 *  - The sync's next_batch is the cursor "mx:since", committed with the
 *    batch's effects; events are de-duplicated by event_id (a repeated
 *    `since` returns them again).  The first sync of a new database only
 *    records rooms and the token: history is not replayed as commands.
 *  - Invitations are accepted when matrix.invites allows the inviter
 *    (mx_invite_allowed), otherwise rejected; joins and leaves/kicks of the
 *    bot itself become KB_EV_BOT_MEMBERSHIP.
 *  - A 429 on a send holds every send for retry_after_ms (the limit is the
 *    account's); held sends are handed back (retry) when the adapter stops.
 *  - Replies are m.notice with HTML; the txnId "kb<nonce>.<outbox row>"
 *    (the nonce is the cursor "mx:txn", drawn once per database) makes a
 *    retried send the same transaction, so unanswered sends are retried
 *    freely.  An echo of our own event carrying unsigned.transaction_id
 *    becomes KB_EV_DELIVERED for that row.
 *  - Buttons: listed as keycap lines; a keycap reaction (1️⃣ …) on the card
 *    is the button press (KB_EV_CALLBACK with reaction = 1; a keycap past a
 *    poll card's options is a vote for that missing option, which the core
 *    refuses by name), a redaction is KB_EV_REACTION_REMOVED of the event
 *    it redacts: the core keeps which reactions voted, with the vote, and
 *    withdraws that vote when its sender redacts it, after a restart too.
 *    Answers to presses have no Matrix equivalent (no toast): the core tells
 *    a refused reaction privately instead.  An edit without buttons (a
 *    closed poll) keeps the card's, so a late reaction is refused, not
 *    ignored.
 *  - Private chats: the rooms in the bot's m.direct account data (read at
 *    start, then from the sync) are private chats with that user; an
 *    invitation with is_direct is joined and recorded there, and so is a
 *    room whose events show our own is_direct invitation (one we opened).  A reply
 *    addressed to a user id ("@alice:example.org": the core knows no private
 *    chat with them) goes to their private chat, opened first when there is
 *    none (POST /createRoom, is_direct, invited) and recorded in m.direct; a
 *    user who cannot be invited makes the send KB_SEND_CHAT_GONE (the core
 *    then posts it in the group).
 *  - Roles: power level >= the room's state_default is a chat admin when
 *    admins_are_operators is on; m.room.power_levels is cached for
 *    matrix.power_cache_s and replaced by a power-levels event in the sync.
 */
#ifndef KB_ADAPTERS_MATRIX_H
#define KB_ADAPTERS_MATRIX_H

#include "registry.h"

#define MX_MAX_TEXT 16000       /* bytes of body; events are capped at 64 KiB */

struct mx_options {
    char *homeserver;           /* required, e.g. "https://matrix.example.org" */
    char *access_token;         /* secret; NULL: stored login or password login */
    char *user_id;              /* "@kocbot:example.org": the password login's user */
    char *password;             /* secret; used once, when no token is known */
    char *device_id;            /* fixed device for the login (txn ids are scoped to it) */
    char *invites;              /* who may invite the bot (mx_invite_allowed) */
    int sync_timeout_s;         /* long-poll timeout */
    int power_cache_s;          /* m.room.power_levels cache */
    int request_timeout_s;      /* sends and control calls */
    int backoff_max_s;          /* sync backoff doubles up to this */
    int admins_are_operators;   /* from the host */
    const char *bot_name;       /* from the host, may be NULL */
};

/* The registry row (adapters/registry.c). */
extern const struct adapter_kind mx_adapter_kind;

/* Create a Matrix adapter.  svc must outlive it.  Returns 0 and *out
   (release with (*out)->ops->destroy(*out)), or KB_EINVAL / KB_ENOMEM. */
int mx_adapter_new(const struct mx_options *o, const struct adapter_services *svc,
                   struct adapter **out);

#endif
