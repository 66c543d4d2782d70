/*
 * A VFS over SQLite's default one that gathers the writes to a WAL file
 * and hands them to the file in large pieces.  SQLite writes each frame as
 * two calls (a 24-byte header, then the page), so a batch's ~1,000 pages
 * were ~2,000 pwrite calls, each page straddling two kernel pages.  The
 * buffer is written before every sync, read, truncate, size query and file
 * control of the WAL, before any wal-index lock or barrier (so no other
 * connection is shown a frame still in memory, whatever the synchronous
 * setting) and when it fills, in SQLite's order: what is on disk after a
 * sync is byte for byte what SQLite wrote, and nothing SQLite has not
 * synced was ever promised.  Other files pass straight through.
 */
#ifndef KB_CORE_WAL_BUFFER_H
#define KB_CORE_WAL_BUFFER_H

#define WAL_BUFFER_VFS "kocbot-wal"

/* Register (again, over the default VFS of the moment) and return the VFS's
   name for sqlite3_open_v2, or NULL when it cannot be registered. */
const char *wal_buffer_vfs(void);

#endif
