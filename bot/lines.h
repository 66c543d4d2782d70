/*
 * A line source on the loop: reads a file descriptor (a terminal, a pipe or
 * a regular file, read through the thread pool) and hands over one line at
 * a time, then NULL after each read, then end once at end of input.  Lines
 * over LINES_MAX_BYTES are dropped with a warning.
 */
#ifndef KB_BOT_LINES_H
#define KB_BOT_LINES_H

#include <uv.h>

#include "../adapters/adapter.h"

#define LINES_MAX_BYTES (1u << 20)

struct line_reader;

/* Start reading fd; NULL when it cannot be read. */
struct line_reader *line_reader_start(uv_loop_t *loop, int fd, kb_line_fn line,
                                      kb_input_end_fn end, void *ud);
/* Stop reading (no callback after this) and free once the loop closed its handles. */
void line_reader_close(struct line_reader *r);

#endif
