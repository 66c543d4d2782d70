/*
 * A test-only SQLite VFS that models what a power cut does to a file
 * system's page cache, in the spirit of SQLite's own crash tests.  It wraps
 * the default VFS: every write reaches the real file at once (so reads see
 * it), but is remembered as unsynced until xSync on that file.  The n-th
 * write, sync or truncate after crash_vfs_arm(n) becomes the power cut:
 * every file written through the VFS is put back to its content at its last
 * sync (the writes since are thrown away) and the process dies by SIGKILL.
 * xSync itself never reaches the disk: durability is what this layer says.
 */
#ifndef KB_TESTS_CRASH_VFS_H
#define KB_TESTS_CRASH_VFS_H

/* Register as the default VFS.  0 or an SQLite error code. */
int crash_vfs_register(void);
/* The n-th operation from now cuts the power; 0: never. */
void crash_vfs_arm(long n);

#endif
