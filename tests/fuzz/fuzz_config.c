/* libFuzzer target: the configuration loader (config/config.c) on an
   arbitrary file, then validation. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/kocbot-fuzz-config-%ld.json", (long)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    close(fd);
    struct kb_config c;
    char err[512];
    cfg_defaults(&c);
    if (cfg_load_file(&c, path, err, sizeof err) == 0)
        cfg_validate(&c, err, sizeof err);
    cfg_free(&c);
    return 0;
}
