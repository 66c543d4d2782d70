/*
 * A WebSocket client (RFC 6455) on a libuv TCP handle, for receiving a
 * stream of text messages (OneBot's forward WebSocket).  ws:// only: the
 * servers it talks to run next to kocbot; put a TLS proxy in between for
 * anything farther.  Debian bookworm's libcurl (7.88) is built without
 * WebSockets, hence this small client.
 *
 * What it does: resolve, connect, the upgrade handshake (with an optional
 * "Authorization: Bearer" header; the Sec-WebSocket-Accept is checked),
 * unmasked server frames of up to WS_MAX_MESSAGE bytes reassembled from
 * fragments, ping answered with pong, a ping of our own every
 * WS_PING_MS, and the connection declared dead after WS_IDLE_MS without a
 * byte (a half-open socket or a server that stalls mid-frame).
 * Every failure (refused, bad handshake, malformed frame, oversized
 * message, reset, close frame) ends in exactly one closed() call.
 */
#ifndef KB_BOT_WS_H
#define KB_BOT_WS_H

#include <stddef.h>
#include <uv.h>

#include "../adapters/adapter.h"

#define WS_MAX_MESSAGE (4u << 20)
#define WS_HANDSHAKE_MS 10000
#define WS_PING_MS 15000
#define WS_IDLE_MS 45000

struct ws_conn;

/* Connect to url (ws://host[:port][/path]).  open, message (one complete
   text or binary message) and closed (once, with the reason) are called
   from the loop.  Returns NULL with the reason in err when the URL is not
   usable; otherwise every outcome arrives through closed(), after which
   the connection is gone (do not ws_close it).  The bearer
   token is copied and never logged. */
struct ws_conn *ws_connect(uv_loop_t *loop, const char *url, const char *bearer,
                           kb_ws_open_fn open, kb_ws_message_fn message,
                           kb_ws_closed_fn closed, void *ud, char *err, size_t errcap);

/* Close without further callbacks; memory is released once libuv has
   closed the handle (run the loop).  NULL-safe. */
void ws_close(struct ws_conn *c);

#endif
