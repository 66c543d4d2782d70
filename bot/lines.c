/* The line source; see lines.h. */
#include "lines.h"

#include <stdlib.h>

#include "../core/util.h"
#include "log.h"

#define CHUNK 65536

struct line_reader {
    uv_loop_t *loop;
    int fd;
    int kind;                      /* 1 stream, 2 file read through the pool */
    union {
        uv_tty_t tty;
        uv_pipe_t pipe;
    } in;
    uv_fs_t fs_req;
    int fs_busy;                   /* a file read is in flight */
    char chunk[CHUNK];
    struct sbuf line;
    int overflow;
    int closing, ended;
    kb_line_fn on_line;
    kb_input_end_fn on_end;
    void *ud;
};

static void feed_chunk(struct line_reader *r, const char *buf, size_t n)
{
    for (size_t i = 0; i < n && !r->closing; i++) {
        if (buf[i] != '\n') {
            if (r->line.len < LINES_MAX_BYTES)
                sbuf_addc(&r->line, buf[i]);
            else
                r->overflow = 1;
            continue;
        }
        if (r->overflow)
            log_warn("input", "input line over %u bytes dropped", LINES_MAX_BYTES);
        else
            r->on_line(r->ud, sbuf_str(&r->line), r->line.len);
        r->line.len = 0;
        if (r->line.s)
            r->line.s[0] = '\0';
        r->overflow = 0;
    }
    if (!r->closing)
        r->on_line(r->ud, NULL, 0); /* what arrived together is one batch */
}

static void finished(struct line_reader *r)
{
    if (r->ended || r->closing)
        return;
    r->ended = 1;
    if (r->line.len && !r->overflow) /* last line without a newline */
        feed_chunk(r, "\n", 1);
    if (!r->closing)
        r->on_end(r->ud);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct line_reader *r = h->data;
    (void)suggested;
    *buf = uv_buf_init(r->chunk, CHUNK);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct line_reader *r = s->data;
    if (n > 0) {
        feed_chunk(r, buf->base, (size_t)n);
    } else if (n < 0) {
        uv_read_stop(s);
        finished(r);
    }
}

static void free_reader(struct line_reader *r)
{
    sbuf_free(&r->line);
    free(r);
}

static void stream_closed(uv_handle_t *h)
{
    free_reader(h->data);
}

static void on_file_read(uv_fs_t *req)
{
    struct line_reader *r = req->data;
    ssize_t n = req->result;
    uv_fs_req_cleanup(req);
    r->fs_busy = 0;
    if (r->closing) {
        free_reader(r);
        return;
    }
    if (n > 0) {
        feed_chunk(r, r->chunk, (size_t)n);
        if (!r->closing) {
            uv_buf_t b = uv_buf_init(r->chunk, CHUNK);
            r->fs_busy = uv_fs_read(r->loop, &r->fs_req, r->fd, &b, 1, -1, on_file_read) == 0;
        }
        if (r->fs_busy)
            return;
        if (r->closing) {
            free_reader(r);
            return;
        }
    }
    finished(r);
}

struct line_reader *line_reader_start(uv_loop_t *loop, int fd, kb_line_fn line,
                                      kb_input_end_fn end, void *ud)
{
    struct line_reader *r = xcalloc(1, sizeof *r);
    r->loop = loop;
    r->fd = fd;
    r->on_line = line;
    r->on_end = end;
    r->ud = ud;
    uv_handle_type t = uv_guess_handle(fd);
    if (t == UV_TTY || t == UV_NAMED_PIPE) {
        int rc;
        rc = t == UV_TTY ? uv_tty_init(loop, &r->in.tty, fd, 1) : uv_pipe_init(loop, &r->in.pipe, 0);
        if (rc) {
            free_reader(r);
            return NULL;
        }
        r->kind = 1;
        r->in.pipe.data = r;
        if ((t == UV_TTY || uv_pipe_open(&r->in.pipe, fd) == 0) &&
            uv_read_start((uv_stream_t *)&r->in, on_alloc, on_read) == 0)
            return r;
        uv_close((uv_handle_t *)&r->in, stream_closed);
        return NULL;
    }
    /* a regular file (or anything else): read it through the thread pool */
    r->kind = 2;
    r->fs_req.data = r;
    uv_buf_t b = uv_buf_init(r->chunk, CHUNK);
    if (uv_fs_read(loop, &r->fs_req, fd, &b, 1, -1, on_file_read) != 0) {
        free_reader(r);
        return NULL;
    }
    r->fs_busy = 1;
    return r;
}

void line_reader_close(struct line_reader *r)
{
    if (!r || r->closing)
        return;
    r->closing = 1;
    if (r->kind == 1) {
        uv_read_stop((uv_stream_t *)&r->in);
        uv_close((uv_handle_t *)&r->in, stream_closed);
        return;
    }
    if (r->fs_busy) {
        uv_cancel((uv_req_t *)&r->fs_req); /* on_file_read frees it */
        return;
    }
    free_reader(r);
}
