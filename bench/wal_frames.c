/*
 * The pages each commit writes, counted from outside: an LD_PRELOAD object
 * that reads the frame headers of every write to a file whose name ends in
 * "-wal" (each frame: 24 bytes of header, the page number first, then the
 * page; a commit's last frame carries the database size).  Used by
 * bench/steady_probe.sh frames, which names each page's b-tree with dbstat.
 * Environment:
 *   WAL_FRAMES_OUT   file the counts are written to at exit (required)
 *   WAL_FRAMES_FROM, WAL_FRAMES_TO  seconds after the first WAL write
 *                    between which frames count (default: all)
 * Output: "commits N", then one line per page: frames written, page number.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define WAL_HEADER 32
#define FRAME_HEADER 24
#define MAX_PAGES (1 << 20)
#define MAX_FDS 1024

static long frames_of_page[MAX_PAGES];
static long commits;
static uint32_t page_size;
static signed char fd_is_wal[MAX_FDS]; /* 0 unknown, 1 yes, -1 no */
static double first_at, count_from, count_to = 1e18;

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint32_t big_endian32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* fds are reused: asked again whenever one is written at offset 0 */
static int is_wal(int fd, off_t offset)
{
    if (fd < 0 || fd >= MAX_FDS)
        return 0;
    if (fd_is_wal[fd] == 0 || offset == 0) {
        char link[64], path[4096];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, path, sizeof path - 1);
        fd_is_wal[fd] = n > 4 && memcmp(path + n - 4, "-wal", 4) == 0 ? 1 : -1;
    }
    return fd_is_wal[fd] == 1;
}

static void count_frames(const unsigned char *buf, size_t len, off_t offset)
{
    if (offset == 0 && len >= WAL_HEADER) { /* the WAL header names the page size */
        page_size = big_endian32(buf + 8);
        buf += WAL_HEADER, len -= WAL_HEADER, offset = WAL_HEADER;
    }
    if (!page_size)
        return;
    size_t frame = FRAME_HEADER + page_size;
    double t = seconds_now();
    if (first_at == 0) {
        first_at = t;
        const char *from = getenv("WAL_FRAMES_FROM"), *to = getenv("WAL_FRAMES_TO");
        count_from = from ? strtod(from, NULL) : 0;
        count_to = to ? strtod(to, NULL) : 1e18;
    }
    if (t - first_at < count_from || t - first_at > count_to)
        return;
    /* the unix VFS writes a frame's header and page apart, and
       core/wal_buffer.c may flush between them: count the headers this
       write holds, from its first frame boundary on */
    size_t into = ((size_t)offset - WAL_HEADER) % frame;
    for (size_t at = into ? frame - into : 0; at + FRAME_HEADER <= len; at += frame) {
        uint32_t page = big_endian32(buf + at);
        if (page < MAX_PAGES)
            frames_of_page[page]++;
        if (big_endian32(buf + at + 4) != 0)
            commits++;
    }
}

typedef ssize_t pwrite_fn(int, const void *, size_t, off_t);

static ssize_t write_and_count(pwrite_fn **real, const char *name, int fd, const void *buf, size_t len,
                               off_t offset)
{
    if (!*real)
        *(void **)real = dlsym(RTLD_NEXT, name);
    ssize_t n = (*real)(fd, buf, len, offset);
    if (n == (ssize_t)len && offset >= 0 && is_wal(fd, offset))
        count_frames(buf, len, offset);
    return n;
}

/* SQLite calls one or the other, as it was built */
ssize_t pwrite64(int fd, const void *buf, size_t len, off_t offset)
{
    static pwrite_fn *real;
    return write_and_count(&real, "pwrite64", fd, buf, len, offset);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t offset)
{
    static pwrite_fn *real;
    return write_and_count(&real, "pwrite", fd, buf, len, offset);
}

__attribute__((destructor)) static void write_counts(void)
{
    const char *out = getenv("WAL_FRAMES_OUT");
    FILE *f = out ? fopen(out, "w") : NULL;
    if (!f)
        return;
    fprintf(f, "commits %ld\n", commits);
    for (size_t page = 0; page < MAX_PAGES; page++)
        if (frames_of_page[page])
            fprintf(f, "%ld %zu\n", frames_of_page[page], page);
    fclose(f);
}
