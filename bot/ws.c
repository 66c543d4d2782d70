/* The WebSocket client; see ws.h. */
#include "ws.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/util.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_MAX_HEADER 16384

enum ws_state { WS_RESOLVING = 0, WS_CONNECTING, WS_HANDSHAKE, WS_OPEN, WS_DONE };

struct ws_conn {
    uv_loop_t *loop;
    enum ws_state state;
    uv_getaddrinfo_t resolve;
    uv_connect_t connect;
    uv_tcp_t tcp;
    uv_timer_t timer;             /* handshake deadline, then the ping / idle clock */
    int tcp_open, handles_open, pending;
    int closed_by_user;
    char host[256], port[8], path[1024];
    char *bearer;
    char accept[32];              /* the Sec-WebSocket-Accept we expect */
    struct sbuf in;               /* unparsed bytes */
    size_t in_off;
    struct sbuf msg;              /* a fragmented message being reassembled */
    int msg_open;
    uint64_t last_read_ms;
    kb_ws_open_fn on_open;
    kb_ws_message_fn on_message;
    kb_ws_closed_fn on_closed;
    void *ud;
};

static void maybe_free(struct ws_conn *c)
{
    if (c->handles_open || c->pending || !c->closed_by_user)
        return;
    sbuf_free(&c->in);
    sbuf_free(&c->msg);
    if (c->bearer) {
        memset(c->bearer, 0, strlen(c->bearer));
        free(c->bearer);
    }
    free(c);
}

static void handle_closed(uv_handle_t *h)
{
    struct ws_conn *c = h->data;
    c->handles_open--;
    maybe_free(c);
}

/* Tear the connection down; tell the owner once (unless it closed us). */
static void fail(struct ws_conn *c, const char *why)
{
    if (c->state == WS_DONE)
        return;
    enum ws_state was = c->state;
    c->state = WS_DONE;
    if (was == WS_RESOLVING)
        uv_cancel((uv_req_t *)&c->resolve);
    if (c->tcp_open && !uv_is_closing((uv_handle_t *)&c->tcp))
        uv_close((uv_handle_t *)&c->tcp, handle_closed);
    if (!uv_is_closing((uv_handle_t *)&c->timer))
        uv_close((uv_handle_t *)&c->timer, handle_closed);
    if (!c->closed_by_user && c->on_closed)
        c->on_closed(c->ud, why);
    c->closed_by_user = 1; /* after closed(), the owner no longer holds us */
    maybe_free(c);
}

struct ws_write {
    uv_write_t req;
    struct ws_conn *c;
    unsigned char data[];
};

static void write_done(uv_write_t *req, int status)
{
    struct ws_write *w = (struct ws_write *)req;
    struct ws_conn *c = w->c;
    free(w);
    c->pending--;
    if (status < 0 && status != UV_ECANCELED)
        fail(c, uv_strerror(status));
    maybe_free(c);
}

static void write_raw(struct ws_conn *c, const void *data, size_t len)
{
    struct ws_write *w = malloc(sizeof *w + len);
    if (!w) {
        fail(c, "out of memory");
        return;
    }
    w->c = c;
    memcpy(w->data, data, len);
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)len);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, write_done) < 0) {
        free(w);
        fail(c, "write failed");
        return;
    }
    c->pending++;
}

/* A client frame (always masked), payload up to 125 bytes (control frames). */
static void send_control(struct ws_conn *c, unsigned opcode, const unsigned char *p, size_t n)
{
    unsigned char f[2 + 4 + 125];
    if (n > 125)
        n = 125;
    f[0] = (unsigned char)(0x80u | opcode);
    f[1] = (unsigned char)(0x80u | n);
    if (RAND_bytes(f + 2, 4) != 1)
        memset(f + 2, 0x5a, 4);
    for (size_t i = 0; i < n; i++)
        f[6 + i] = (unsigned char)(p[i] ^ f[2 + i % 4]);
    write_raw(c, f, 6 + n);
}

static void arm_timer(struct ws_conn *c, uint64_t ms);

static void on_timer(uv_timer_t *t)
{
    struct ws_conn *c = t->data;
    if (c->state != WS_OPEN) {
        fail(c, c->tcp_open ? "no handshake answer in time" : "cannot resolve the host");
        return;
    }
    if (uv_now(c->loop) - c->last_read_ms >= WS_IDLE_MS) {
        fail(c, "no data from the server for 45 s");
        return;
    }
    send_control(c, 0x9, (const unsigned char *)"kb", 2);
    arm_timer(c, WS_PING_MS);
}

static void arm_timer(struct ws_conn *c, uint64_t ms)
{
    if (c->state != WS_DONE)
        uv_timer_start(&c->timer, on_timer, ms, 0);
}

/* ---- the handshake ---------------------------------------------------- */

static void b64(const unsigned char *in, size_t n, char *out)
{
    EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

static void send_handshake(struct ws_conn *c)
{
    unsigned char nonce[16];
    char key[32];
    if (RAND_bytes(nonce, sizeof nonce) != 1) {
        fail(c, "no random bytes for the handshake key");
        return;
    }
    b64(nonce, sizeof nonce, key);
    char joined[96];
    unsigned char digest[SHA_DIGEST_LENGTH];
    snprintf(joined, sizeof joined, "%s%s", key, WS_GUID);
    SHA1((const unsigned char *)joined, strlen(joined), digest);
    b64(digest, sizeof digest, c->accept);
    struct sbuf h = {0};
    sbuf_addf(&h, "GET %s HTTP/1.1\r\nHost: %s:%s\r\nUpgrade: websocket\r\n"
              "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n",
              c->path, c->host, c->port, key);
    if (c->bearer && *c->bearer)
        sbuf_addf(&h, "Authorization: Bearer %s\r\n", c->bearer);
    sbuf_add(&h, "\r\n");
    write_raw(c, h.s, h.len);
    memset(h.s, 0, h.len);
    sbuf_free(&h);
    c->state = WS_HANDSHAKE;
}

/* The value of header name in the block hdr (NUL-terminated), copied. */
static int header_value(const char *hdr, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *p = strstr(hdr, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        if (strncasecmp(line, name, nl) || line[nl] != ':')
            continue;
        const char *v = line + nl + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t n = strcspn(v, "\r\n");
        while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
            n--;
        if (n >= cap)
            return -1;
        memcpy(out, v, n);
        out[n] = '\0';
        return 0;
    }
    return -1;
}

/* 1 = handshake complete, 0 = need more bytes, -1 = failed (reported). */
static int parse_handshake(struct ws_conn *c)
{
    const char *s = c->in.s;
    const char *end = strstr(s, "\r\n\r\n");
    if (!end) {
        if (c->in.len > WS_MAX_HEADER) {
            fail(c, "handshake answer too long");
            return -1;
        }
        return 0;
    }
    size_t hlen = (size_t)(end - s) + 4;
    char *hdr = strndup(s, hlen);
    if (!hdr) {
        fail(c, "out of memory");
        return -1;
    }
    int status = 0;
    char accept[64] = "", upgrade[64] = "";
    if (sscanf(hdr, "HTTP/1.%*1[01] %d", &status) != 1)
        status = 0;
    header_value(hdr, "Sec-WebSocket-Accept", accept, sizeof accept);
    header_value(hdr, "Upgrade", upgrade, sizeof upgrade);
    free(hdr);
    char why[96];
    if (status != 101) {
        snprintf(why, sizeof why, "handshake refused (HTTP %d%s)", status,
                 status == 401 || status == 403 ? ": check the access token" : "");
        fail(c, why);
        return -1;
    }
    if (strcasecmp(upgrade, "websocket") || strcmp(accept, c->accept)) {
        fail(c, "handshake answer is not a WebSocket upgrade");
        return -1;
    }
    c->in_off = hlen;
    c->state = WS_OPEN;
    arm_timer(c, WS_PING_MS);
    if (c->on_open)
        c->on_open(c->ud);
    return c->state == WS_OPEN ? 1 : -1;
}

/* ---- frames ----------------------------------------------------------- */

/* Parse complete frames from c->in.  Returns -1 when the connection ended. */
static int parse_frames(struct ws_conn *c)
{
    while (c->state == WS_OPEN) {
        const unsigned char *p = (const unsigned char *)c->in.s + c->in_off;
        size_t avail = c->in.len - c->in_off;
        if (avail < 2)
            return 0;
        int fin = (p[0] & 0x80) != 0;
        unsigned rsv = p[0] & 0x70u, op = p[0] & 0x0fu;
        int masked = (p[1] & 0x80) != 0;
        uint64_t len = p[1] & 0x7fu;
        size_t hl = 2;
        if (len == 126) {
            if (avail < 4)
                return 0;
            len = (uint64_t)p[2] << 8 | p[3];
            hl = 4;
        } else if (len == 127) {
            if (avail < 10)
                return 0;
            len = 0;
            for (int i = 0; i < 8; i++)
                len = len << 8 | p[2 + i];
            hl = 10;
        }
        if (rsv || masked) {
            fail(c, "malformed frame (reserved bits or a masked server frame)");
            return -1;
        }
        if (len > WS_MAX_MESSAGE) {
            unsigned char code[2] = {0x03, 0xF1}; /* 1009: message too big */
            send_control(c, 0x8, code, 2);
            fail(c, "frame over the size limit");
            return -1;
        }
        if (avail - hl < len)
            return 0;
        const char *payload = (const char *)p + hl;
        size_t n = (size_t)len;
        c->in_off += hl + n;
        if (op >= 0x8) { /* control frames: never fragmented, at most 125 bytes */
            if (!fin || n > 125) {
                fail(c, "malformed control frame");
                return -1;
            }
            if (op == 0x9) {
                send_control(c, 0xA, (const unsigned char *)payload, n);
            } else if (op == 0x8) {
                send_control(c, 0x8, (const unsigned char *)payload, n < 2 ? n : 2);
                fail(c, "the server closed the connection");
                return -1;
            } else if (op != 0xA) {
                fail(c, "unknown control frame");
                return -1;
            }
            continue;
        }
        if (op == 0x0 ? !c->msg_open : (op != 0x1 && op != 0x2) || c->msg_open) {
            fail(c, "malformed frame sequence");
            return -1;
        }
        if (fin && !c->msg_open) {
            c->on_message(c->ud, payload, n);
            continue;
        }
        if (c->msg.len + n > WS_MAX_MESSAGE) {
            fail(c, "message over the size limit");
            return -1;
        }
        sbuf_addn(&c->msg, payload, n);
        c->msg_open = !fin;
        if (fin) {
            c->on_message(c->ud, sbuf_str(&c->msg), c->msg.len);
            c->msg.len = 0;
        }
    }
    return -1;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    buf->base = malloc(suggested);
    buf->len = buf->base ? suggested : 0;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct ws_conn *c = s->data;
    if (n < 0) {
        free(buf->base);
        fail(c, n == UV_EOF ? "the server closed the socket" : uv_strerror((int)n));
        return;
    }
    c->last_read_ms = uv_now(c->loop);
    sbuf_addn(&c->in, buf->base, (size_t)n);
    free(buf->base);
    if (c->state == WS_HANDSHAKE && parse_handshake(c) <= 0)
        return;
    if (c->state != WS_OPEN || parse_frames(c) < 0)
        return;
    /* keep only what is not parsed yet */
    if (!c->in.s)
        return;
    size_t rest = c->in.len - c->in_off;
    memmove(c->in.s, c->in.s + c->in_off, rest);
    c->in.len = rest;
    c->in.s[rest] = '\0';
    c->in_off = 0;
}

static void on_connect(uv_connect_t *req, int status)
{
    struct ws_conn *c = req->data;
    c->pending--;
    if (c->state == WS_DONE) {
        maybe_free(c);
        return;
    }
    if (status < 0) {
        fail(c, uv_strerror(status));
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    c->tcp.data = c;
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0) {
        fail(c, "cannot read the socket");
        return;
    }
    send_handshake(c);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct ws_conn *c = req->data;
    c->pending--;
    if (c->state == WS_DONE) {
        uv_freeaddrinfo(res);
        maybe_free(c);
        return;
    }
    if (status < 0 || !res) {
        uv_freeaddrinfo(res);
        fail(c, status < 0 ? uv_strerror(status) : "no address");
        return;
    }
    uv_tcp_init(c->loop, &c->tcp);
    c->tcp.data = c;
    c->tcp_open = 1;
    c->handles_open++;
    c->state = WS_CONNECTING;
    c->connect.data = c;
    int rc = uv_tcp_connect(&c->connect, &c->tcp, res->ai_addr, on_connect);
    uv_freeaddrinfo(res);
    if (rc < 0) {
        fail(c, uv_strerror(rc));
        return;
    }
    c->pending++;
}

/* Split ws://host[:port][/path] into c's fields. */
static int parse_url(struct ws_conn *c, const char *url, char *err, size_t cap)
{
    if (strncmp(url, "ws://", 5) != 0) {
        snprintf(err, cap, "only ws:// URLs are supported (wss: put a TLS proxy in front)");
        return -1;
    }
    const char *h = url + 5, *hend, *p;
    if (*h == '[') {
        hend = strchr(h, ']');
        if (!hend) {
            snprintf(err, cap, "unterminated [IPv6] host");
            return -1;
        }
        h++;
        p = hend + 1;
    } else {
        hend = h + strcspn(h, ":/?");
        p = hend;
    }
    size_t hl = (size_t)(hend - h);
    if (!hl || hl >= sizeof c->host) {
        snprintf(err, cap, "no host in the URL");
        return -1;
    }
    memcpy(c->host, h, hl);
    c->host[hl] = '\0';
    snprintf(c->port, sizeof c->port, "80");
    if (*p == ':') {
        size_t pl = strspn(p + 1, "0123456789");
        if (!pl || pl >= sizeof c->port) {
            snprintf(err, cap, "bad port in the URL");
            return -1;
        }
        memcpy(c->port, p + 1, pl);
        c->port[pl] = '\0';
        p += 1 + pl;
    }
    if (*p && *p != '/' && *p != '?') {
        snprintf(err, cap, "bad URL");
        return -1;
    }
    snprintf(c->path, sizeof c->path, "%s%s", *p == '/' ? "" : "/", p);
    if (strpbrk(c->path, " \r\n")) {
        snprintf(err, cap, "bad characters in the URL path");
        return -1;
    }
    return 0;
}

struct ws_conn *ws_connect(uv_loop_t *loop, const char *url, const char *bearer,
                           kb_ws_open_fn open, kb_ws_message_fn message,
                           kb_ws_closed_fn closed, void *ud, char *err, size_t errcap)
{
    struct ws_conn *c = xcalloc(1, sizeof *c);
    if (!url || parse_url(c, url, err, errcap)) {
        free(c);
        return NULL;
    }
    if (bearer && strpbrk(bearer, "\r\n")) {
        snprintf(err, errcap, "the access token contains a line break");
        free(c);
        return NULL;
    }
    c->loop = loop;
    c->bearer = bearer ? xstrdup(bearer) : NULL;
    c->on_open = open;
    c->on_message = message;
    c->on_closed = closed;
    c->ud = ud;
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    c->handles_open = 1;
    uv_timer_start(&c->timer, on_timer, WS_HANDSHAKE_MS, 0);
    c->resolve.data = c;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    int rc = uv_getaddrinfo(loop, &c->resolve, on_resolved, c->host, c->port, &hints);
    if (rc < 0) {
        /* report from the loop, as every other outcome */
        c->state = WS_CONNECTING;
        uv_timer_start(&c->timer, on_timer, 0, 0);
        return c;
    }
    c->pending++;
    return c;
}

void ws_close(struct ws_conn *c)
{
    if (!c)
        return;
    if (c->state == WS_OPEN) {
        unsigned char code[2] = {0x03, 0xE9}; /* 1001: going away */
        send_control(c, 0x8, code, 2);
    }
    c->closed_by_user = 1;
    fail(c, "closed");
    maybe_free(c);
}
