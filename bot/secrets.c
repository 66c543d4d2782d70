/* Credential files beside the database; see secrets.h. */
#include "secrets.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/event.h"

static int secret_path(const char *db_path, const char *key, const char *suffix, char *out,
                       size_t cap)
{
    if (!key || !*key || strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_.-") != strlen(key))
        return KB_EINVAL;
    int n = snprintf(out, cap, "%s-%s.secret%s", db_path, key, suffix);
    return n < 0 || (size_t)n >= cap ? KB_ETOOBIG : KB_OK;
}

int secret_load(const char *db_path, const char *key, char *buf, size_t cap)
{
    char path[4096];
    int rc = secret_path(db_path, key, "", path, sizeof path);
    if (rc)
        return rc;
    buf[0] = '\0';
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? KB_OK : KB_EDENIED;
    struct stat st;
    if (fstat(fd, &st) || (st.st_mode & 077) || st.st_uid != geteuid()) {
        close(fd);
        return KB_EDENIED;
    }
    size_t got = 0;
    ssize_t n;
    while ((n = read(fd, buf + got, cap - 1 - got)) > 0 && got + 1 < cap)
        got += (size_t)n;
    close(fd);
    if (n < 0) {
        buf[0] = '\0';
        return KB_ETRANSPORT;
    }
    if (got + 1 >= cap) {
        memset(buf, 0, cap);
        return KB_ETOOBIG;
    }
    buf[got] = '\0';
    return KB_OK;
}

int secret_save(const char *db_path, const char *key, const char *value)
{
    char path[4096], tmp[4100];
    int rc = secret_path(db_path, key, "", path, sizeof path);
    if (!rc)
        rc = secret_path(db_path, key, ".tmp", tmp, sizeof tmp);
    if (rc)
        return rc;
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return KB_EDENIED;
    size_t len = strlen(value), off = 0;
    int ok = fchmod(fd, 0600) == 0;
    while (ok && off < len) {
        ssize_t n = write(fd, value + off, len - off);
        if (n <= 0)
            ok = 0;
        else
            off += (size_t)n;
    }
    ok = ok && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return KB_EFULL;
    }
    /* the rename itself must survive a power cut */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return KB_OK;
}
