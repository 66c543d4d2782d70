/* The WAL write buffer; see wal_buffer.h. */
#include "wal_buffer.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* below 128 KiB: the unix VFS masks a write's length to 17 bits (pages are
   at most 64 KiB), a longer one would be cut short and reported as a full disk */
#define WAL_BUFFER_BYTES (64 * 1024)

struct wb_file {
    sqlite3_file base;
    sqlite3_file *real;        /* the wrapped file, allocated right after us */
    unsigned char *buf;        /* WAL files only: bytes not yet written */
    size_t n;
    sqlite3_int64 at;          /* the file offset of buf[0] */
    struct wb_file *next_wal;  /* the open WAL files */
};

static struct wb_file *wal_files;

static sqlite3_vfs wb_vfs;
static sqlite3_vfs *real_vfs(void)
{
    return wb_vfs.pAppData;
}

static int flush(struct wb_file *f)
{
    if (f->n == 0)
        return SQLITE_OK;
    int rc = f->real->pMethods->xWrite(f->real, f->buf, (int)f->n, f->at);
    if (rc == SQLITE_OK)
        f->n = 0; /* else kept: the next flush writes it again, the sync fails until then */
    return rc;
}

/* Before a wal-index change is shown to other connections, the frames it
   names are in the file (a commit under synchronous=NORMAL is not synced). */
static int flush_wal_files(void)
{
    int rc = SQLITE_OK;
    for (struct wb_file *f = wal_files; f; f = f->next_wal) {
        int rc2 = flush(f);
        if (!rc)
            rc = rc2;
    }
    return rc;
}

static int wb_close(sqlite3_file *p)
{
    struct wb_file *f = (struct wb_file *)p;
    int rc = flush(f);
    for (struct wb_file **q = &wal_files; *q; q = &(*q)->next_wal)
        if (*q == f) {
            *q = f->next_wal;
            break;
        }
    int rc2 = f->real->pMethods ? f->real->pMethods->xClose(f->real) : SQLITE_OK;
    free(f->buf);
    f->buf = NULL;
    return rc ? rc : rc2;
}

static int wb_read(sqlite3_file *p, void *out, int amt, sqlite3_int64 ofst)
{
    struct wb_file *f = (struct wb_file *)p;
    int rc = flush(f);
    return rc ? rc : f->real->pMethods->xRead(f->real, out, amt, ofst);
}

/* Appends right after the buffered bytes join them; anything else first
   writes what is buffered, so the file sees every write in SQLite's order. */
static int wb_write(sqlite3_file *p, const void *data, int amt, sqlite3_int64 ofst)
{
    struct wb_file *f = (struct wb_file *)p;
    size_t len = (size_t)amt;
    if (!f->buf)
        return f->real->pMethods->xWrite(f->real, data, amt, ofst);
    if (f->n && (ofst != f->at + (sqlite3_int64)f->n || f->n + len > WAL_BUFFER_BYTES)) {
        int rc = flush(f);
        if (rc)
            return rc;
    }
    if (len > WAL_BUFFER_BYTES)
        return f->real->pMethods->xWrite(f->real, data, amt, ofst);
    if (f->n == 0)
        f->at = ofst;
    memcpy(f->buf + f->n, data, len);
    f->n += len;
    return SQLITE_OK;
}

static int wb_truncate(sqlite3_file *p, sqlite3_int64 size)
{
    struct wb_file *f = (struct wb_file *)p;
    int rc = flush(f);
    return rc ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int wb_sync(sqlite3_file *p, int flags)
{
    struct wb_file *f = (struct wb_file *)p;
    int rc = flush(f);
    return rc ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int wb_file_size(sqlite3_file *p, sqlite3_int64 *size)
{
    struct wb_file *f = (struct wb_file *)p;
    int rc = flush(f);
    return rc ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int wb_file_control(sqlite3_file *p, int op, void *arg)
{
    struct wb_file *f = (struct wb_file *)p;
    int rc = flush(f);
    return rc ? rc : f->real->pMethods->xFileControl(f->real, op, arg);
}

/* The rest is the wrapped file's own. */
#define REAL(p) (((struct wb_file *)(p))->real)
static int wb_lock(sqlite3_file *p, int l) { return REAL(p)->pMethods->xLock(REAL(p), l); }
static int wb_unlock(sqlite3_file *p, int l) { return REAL(p)->pMethods->xUnlock(REAL(p), l); }
static int wb_check_reserved(sqlite3_file *p, int *out)
{
    return REAL(p)->pMethods->xCheckReservedLock(REAL(p), out);
}
static int wb_sector_size(sqlite3_file *p) { return REAL(p)->pMethods->xSectorSize(REAL(p)); }
static int wb_device(sqlite3_file *p) { return REAL(p)->pMethods->xDeviceCharacteristics(REAL(p)); }
static int wb_shm_map(sqlite3_file *p, int pg, int sz, int extend, void volatile **out)
{
    return REAL(p)->pMethods->xShmMap(REAL(p), pg, sz, extend, out);
}
static int wb_shm_lock(sqlite3_file *p, int ofst, int n, int flags)
{
    int rc = flush_wal_files();
    return rc ? rc : REAL(p)->pMethods->xShmLock(REAL(p), ofst, n, flags);
}
static void wb_shm_barrier(sqlite3_file *p)
{
    flush_wal_files(); /* a failure shows at the next write, read or sync */
    REAL(p)->pMethods->xShmBarrier(REAL(p));
}
static int wb_shm_unmap(sqlite3_file *p, int del) { return REAL(p)->pMethods->xShmUnmap(REAL(p), del); }
/* Version 2: no memory-mapped reads (SQLite reads with xRead, which flushes). */
static const sqlite3_io_methods wb_methods = {
    2, wb_close, wb_read, wb_write, wb_truncate, wb_sync, wb_file_size, wb_lock, wb_unlock,
    wb_check_reserved, wb_file_control, wb_sector_size, wb_device, wb_shm_map, wb_shm_lock,
    wb_shm_barrier, wb_shm_unmap, NULL, NULL,
};

static int wb_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *p, int flags, int *out_flags)
{
    (void)vfs;
    struct wb_file *f = (struct wb_file *)p;
    memset(f, 0, sizeof *f);
    f->real = (sqlite3_file *)(f + 1);
    int rc = real_vfs()->xOpen(real_vfs(), name, f->real, flags, out_flags);
    if (!f->real->pMethods)
        return rc; /* nothing opened: SQLite will not call xClose */
    f->base.pMethods = &wb_methods;
    if (rc == SQLITE_OK && (flags & SQLITE_OPEN_WAL)) {
        if (!(f->buf = malloc(WAL_BUFFER_BYTES)))
            return SQLITE_NOMEM; /* the file is closed by SQLite (pMethods is set) */
        f->next_wal = wal_files;
        wal_files = f;
    }
    return rc;
}

static int wb_delete(sqlite3_vfs *v, const char *name, int sync_dir)
{
    (void)v;
    return real_vfs()->xDelete(real_vfs(), name, sync_dir);
}
static int wb_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
    (void)v;
    return real_vfs()->xAccess(real_vfs(), name, flags, out);
}
static int wb_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out)
{
    (void)v;
    return real_vfs()->xFullPathname(real_vfs(), name, n, out);
}
static int wb_randomness(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    return real_vfs()->xRandomness(real_vfs(), n, out);
}
static int wb_sleep(sqlite3_vfs *v, int us)
{
    (void)v;
    return real_vfs()->xSleep(real_vfs(), us);
}
static int wb_current_time(sqlite3_vfs *v, double *out)
{
    (void)v;
    return real_vfs()->xCurrentTime(real_vfs(), out);
}
static int wb_last_error(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    return real_vfs()->xGetLastError ? real_vfs()->xGetLastError(real_vfs(), n, out) : 0;
}
static int wb_current_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
    (void)v;
    if (real_vfs()->iVersion >= 2 && real_vfs()->xCurrentTimeInt64)
        return real_vfs()->xCurrentTimeInt64(real_vfs(), out);
    double d;
    int rc = real_vfs()->xCurrentTime(real_vfs(), &d);
    *out = (sqlite3_int64)(d * 86400000.0);
    return rc;
}

const char *wal_buffer_vfs(void)
{
    sqlite3_vfs *real = sqlite3_vfs_find(NULL);
    if (!real)
        return NULL;
    if (real == &wb_vfs)
        return WAL_BUFFER_VFS;
    /* wrap whatever is the default now (the test suite's power-cut VFS) */
    if (wb_vfs.pAppData)
        sqlite3_vfs_unregister(&wb_vfs);
    wb_vfs = (sqlite3_vfs){
        .iVersion = 2, .szOsFile = (int)sizeof(struct wb_file) + real->szOsFile,
        .mxPathname = real->mxPathname, .zName = WAL_BUFFER_VFS, .pAppData = real,
        .xOpen = wb_open, .xDelete = wb_delete, .xAccess = wb_access,
        .xFullPathname = wb_full_pathname, .xRandomness = wb_randomness,
        .xSleep = wb_sleep, .xCurrentTime = wb_current_time, .xGetLastError = wb_last_error,
        .xCurrentTimeInt64 = wb_current_time64,
    };
    return sqlite3_vfs_register(&wb_vfs, 0) == SQLITE_OK ? WAL_BUFFER_VFS : NULL;
}
