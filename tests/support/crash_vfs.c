/* The power-cut VFS; see crash_vfs.h. */
#include "crash_vfs.h"

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a write or truncate overwrote: put back in reverse order at a cut. */
struct undo {
    sqlite3_int64 offset;
    size_t len;
    unsigned char *old;
};

/* One file's state as the disk would keep it, by path (a handle may be
   closed before the cut; the page cache still holds its writes). */
struct tracked {
    char *path;
    sqlite3_int64 synced_size;
    struct undo *undo;
    size_t n_undo, cap_undo;
    struct tracked *next;
};

struct crash_file {
    sqlite3_file base;
    struct tracked *t;
    sqlite3_file *real; /* the wrapped file, allocated right after us */
};

static sqlite3_vfs *real_vfs;
static sqlite3_vfs crash_vfs;
static struct tracked *files;
static long ops_left; /* 0: disarmed */

void crash_vfs_arm(long n)
{
    ops_left = n;
}

static void forget_writes(struct tracked *t)
{
    for (size_t i = 0; i < t->n_undo; i++)
        free(t->undo[i].old);
    t->n_undo = 0;
}

/* The power goes: every unsynced write is undone on disk, then we die. */
static void power_cut(void)
{
    for (struct tracked *t = files; t; t = t->next) {
        int fd = open(t->path, O_RDWR);
        if (fd < 0)
            continue;
        for (size_t i = t->n_undo; i-- > 0;) {
            const struct undo *u = &t->undo[i];
            if (u->len && pwrite(fd, u->old, u->len, (off_t)u->offset) != (ssize_t)u->len)
                _exit(99);
        }
        if (ftruncate(fd, (off_t)t->synced_size) != 0)
            _exit(99);
        close(fd);
    }
    raise(SIGKILL);
    _exit(98);
}

static void count_op(void)
{
    if (ops_left > 0 && --ops_left == 0)
        power_cut();
}

/* Remember [offset, offset+len) as it is now, for the part inside the file. */
static int save_old(struct crash_file *f, sqlite3_int64 offset, sqlite3_int64 len)
{
    sqlite3_int64 size = 0;
    int rc = f->real->pMethods->xFileSize(f->real, &size);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_int64 n = offset >= size ? 0 : (offset + len > size ? size - offset : len);
    struct tracked *t = f->t;
    if (t->n_undo == t->cap_undo) {
        size_t cap = t->cap_undo ? t->cap_undo * 2 : 64;
        struct undo *grown = realloc(t->undo, cap * sizeof *grown);
        if (!grown)
            return SQLITE_NOMEM;
        t->undo = grown;
        t->cap_undo = cap;
    }
    struct undo *u = &t->undo[t->n_undo];
    u->offset = offset;
    u->len = (size_t)n;
    u->old = n ? malloc((size_t)n) : NULL;
    if (n && !u->old)
        return SQLITE_NOMEM;
    if (n && (rc = f->real->pMethods->xRead(f->real, u->old, (int)n, offset)) != SQLITE_OK) {
        free(u->old);
        return rc;
    }
    t->n_undo++;
    return SQLITE_OK;
}

static int c_close(sqlite3_file *p)
{
    struct crash_file *f = (struct crash_file *)p;
    return f->real->pMethods->xClose(f->real);
}

static int c_read(sqlite3_file *p, void *buf, int amt, sqlite3_int64 off)
{
    struct crash_file *f = (struct crash_file *)p;
    return f->real->pMethods->xRead(f->real, buf, amt, off);
}

static int c_write(sqlite3_file *p, const void *buf, int amt, sqlite3_int64 off)
{
    struct crash_file *f = (struct crash_file *)p;
    count_op();
    int rc = save_old(f, off, amt);
    return rc ? rc : f->real->pMethods->xWrite(f->real, buf, amt, off);
}

static int c_truncate(sqlite3_file *p, sqlite3_int64 size)
{
    struct crash_file *f = (struct crash_file *)p;
    count_op();
    int rc = save_old(f, size, INT32_MAX);
    return rc ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int c_sync(sqlite3_file *p, int flags)
{
    (void)flags;
    struct crash_file *f = (struct crash_file *)p;
    count_op();
    sqlite3_int64 size = 0;
    int rc = f->real->pMethods->xFileSize(f->real, &size);
    if (rc == SQLITE_OK) { /* from now on this content survives a cut */
        forget_writes(f->t);
        f->t->synced_size = size;
    }
    return rc;
}

static int c_file_size(sqlite3_file *p, sqlite3_int64 *size)
{
    struct crash_file *f = (struct crash_file *)p;
    return f->real->pMethods->xFileSize(f->real, size);
}

static int c_lock(sqlite3_file *p, int lock)
{
    struct crash_file *f = (struct crash_file *)p;
    return f->real->pMethods->xLock(f->real, lock);
}

static int c_unlock(sqlite3_file *p, int lock)
{
    struct crash_file *f = (struct crash_file *)p;
    return f->real->pMethods->xUnlock(f->real, lock);
}

static int c_check_lock(sqlite3_file *p, int *out)
{
    struct crash_file *f = (struct crash_file *)p;
    return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int c_control(sqlite3_file *p, int op, void *arg)
{
    struct crash_file *f = (struct crash_file *)p;
    return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int c_sector(sqlite3_file *p)
{
    struct crash_file *f = (struct crash_file *)p;
    return f->real->pMethods->xSectorSize(f->real);
}

static int c_device(sqlite3_file *p)
{
    struct crash_file *f = (struct crash_file *)p;
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}

/* The -shm index lives in memory; after a cut SQLite rebuilds it from the
   WAL, so it passes straight through. */
static int c_shm_map(sqlite3_file *p, int pg, int pgsz, int extend, void volatile **out)
{
    struct crash_file *f = (struct crash_file *)p;
    return f->real->pMethods->xShmMap(f->real, pg, pgsz, extend, out);
}

static int c_shm_lock(sqlite3_file *p, int offset, int n, int flags)
{
    struct crash_file *f = (struct crash_file *)p;
    return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void c_shm_barrier(sqlite3_file *p)
{
    struct crash_file *f = (struct crash_file *)p;
    f->real->pMethods->xShmBarrier(f->real);
}

static int c_shm_unmap(sqlite3_file *p, int del)
{
    struct crash_file *f = (struct crash_file *)p;
    return f->real->pMethods->xShmUnmap(f->real, del);
}

static const sqlite3_io_methods crash_io = {
    .iVersion = 2,
    .xClose = c_close,
    .xRead = c_read,
    .xWrite = c_write,
    .xTruncate = c_truncate,
    .xSync = c_sync,
    .xFileSize = c_file_size,
    .xLock = c_lock,
    .xUnlock = c_unlock,
    .xCheckReservedLock = c_check_lock,
    .xFileControl = c_control,
    .xSectorSize = c_sector,
    .xDeviceCharacteristics = c_device,
    .xShmMap = c_shm_map,
    .xShmLock = c_shm_lock,
    .xShmBarrier = c_shm_barrier,
    .xShmUnmap = c_shm_unmap,
};

static struct tracked *track(const char *path)
{
    for (struct tracked *t = files; t; t = t->next)
        if (!strcmp(t->path, path))
            return t;
    struct tracked *t = calloc(1, sizeof *t);
    if (!t || !(t->path = strdup(path))) {
        free(t);
        return NULL;
    }
    struct stat sb;
    t->synced_size = stat(path, &sb) == 0 ? (sqlite3_int64)sb.st_size : 0; /* on disk already */
    t->next = files;
    files = t;
    return t;
}

static int c_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *p, int flags, int *out_flags)
{
    (void)vfs;
    if (!name) /* a temporary file vanishes at a cut anyway: not wrapped */
        return real_vfs->xOpen(real_vfs, name, p, flags, out_flags);
    struct crash_file *f = (struct crash_file *)p;
    memset(f, 0, sizeof *f);
    f->real = (sqlite3_file *)&f[1];
    int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
    if (rc != SQLITE_OK)
        return rc;
    if (!(f->t = track(name))) {
        f->real->pMethods->xClose(f->real);
        return SQLITE_NOMEM;
    }
    f->base.pMethods = &crash_io;
    return SQLITE_OK;
}

static int c_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    for (struct tracked *t = files; t; t = t->next)
        if (!strcmp(t->path, name)) {
            forget_writes(t);
            t->synced_size = 0;
        }
    return real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int c_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int c_full_path(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    (void)vfs;
    return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static int c_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return real_vfs->xRandomness(real_vfs, n, out);
}

static int c_sleep(sqlite3_vfs *vfs, int us)
{
    (void)vfs;
    return real_vfs->xSleep(real_vfs, us);
}

static int c_current_time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return real_vfs->xCurrentTime(real_vfs, out);
}

static int c_last_error(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return real_vfs->xGetLastError(real_vfs, n, out);
}

static int c_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

int crash_vfs_register(void)
{
    if (real_vfs)
        return SQLITE_OK;
    real_vfs = sqlite3_vfs_find(NULL);
    if (!real_vfs)
        return SQLITE_ERROR;
    crash_vfs = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = (int)sizeof(struct crash_file) + real_vfs->szOsFile,
        .mxPathname = real_vfs->mxPathname,
        .zName = "crash",
        .xOpen = c_open,
        .xDelete = c_delete,
        .xAccess = c_access,
        .xFullPathname = c_full_path,
        .xRandomness = c_randomness,
        .xSleep = c_sleep,
        .xCurrentTime = c_current_time,
        .xGetLastError = c_last_error,
        .xCurrentTimeInt64 = c_current_time64,
    };
    return sqlite3_vfs_register(&crash_vfs, 1);
}
