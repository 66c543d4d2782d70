/* Exactly once across a crash for one event; see replay.h. */
#include "replay.h"

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../core/engine.h"
#include "crash_vfs.h"

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    if (!in)
        return -1;
    FILE *out = fopen(to, "wb");
    if (!out) {
        fclose(in);
        return -1;
    }
    char buf[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            rc = -1;
    fclose(in);
    if (fclose(out))
        rc = -1;
    return rc;
}

long crash_replay(struct fx *f, const struct kb_event *ev, int (*check)(struct fx *f, char *why, size_t cap),
                  char *why, size_t cap, long *rounds)
{
    char snap[160], wal[160], shm[160];
    snprintf(snap, sizeof snap, "%s.snap", f->path);
    snprintf(wal, sizeof wal, "%s-wal", f->path);
    snprintf(shm, sizeof shm, "%s-shm", f->path);
    engine_close(f->e); /* a clean close leaves everything in the main file */
    f->e = NULL;
    *rounds = 0;
    if (copy_file(f->path, snap)) {
        snprintf(why, cap, "cannot snapshot the database");
        return -1;
    }
    for (long k = 1; k < 100000; k++) {
        unlink(wal);
        unlink(shm);
        if (copy_file(snap, f->path)) {
            snprintf(why, cap, "cannot restore the database");
            return k;
        }
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) {
            snprintf(why, cap, "fork failed");
            return k;
        }
        if (pid == 0) {
            if (crash_vfs_register())
                _exit(2);
            crash_vfs_arm(k);
            struct engine *e;
            char err[256];
            if (engine_open(&f->set, &e, err, sizeof err))
                _exit(3);
            if (engine_apply(e, ev, 1, NULL, NULL, ev->time))
                _exit(4);
            engine_close(e);
            _exit(0);
        }
        int status = 0;
        if (waitpid(pid, &status, 0) != pid) {
            snprintf(why, cap, "waitpid failed");
            return k;
        }
        int cut = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
        if (!cut && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
            snprintf(why, cap, "the child failed with status %d", status);
            return k;
        }
        unlink(shm); /* memory, gone with the power */
        char err[256];
        if (engine_open(&f->set, &f->e, err, sizeof err)) {
            snprintf(why, cap, "reopen after cut %ld: %s", k, err);
            return k;
        }
        int rc = engine_apply(f->e, ev, 1, NULL, NULL, ev->time); /* the redelivery */
        if (rc) {
            snprintf(why, cap, "redelivery after cut %ld failed: %d", k, rc);
            return k;
        }
        if (check(f, why, cap))
            return k;
        if (!cut)
            break; /* the child got through: every instant was tried */
        (*rounds)++;
        engine_close(f->e);
        f->e = NULL;
    }
    unlink(snap);
    return 0;
}
