#include "appfiles.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

unsigned char *x2go_read_trusted(const char *path, size_t max, uid_t uid, size_t *len,
                                 struct stat *st)
{
    struct stat sb;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        x2go_seterr("cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    const char *why = NULL;
    if (fstat(fd, &sb) < 0)
        why = strerror(errno);
    else if (!S_ISREG(sb.st_mode))
        why = "not a regular file";
    else if (sb.st_uid != 0 && sb.st_uid != uid)
        why = "owned by another user";
    else if ((size_t)sb.st_size > max)
        why = "too large";
    unsigned char *buf = why ? NULL : malloc((size_t)sb.st_size + 2);
    size_t got = 0;
    /* What stat said, no more: a file that grows meanwhile is cut there. */
    while (buf && !why && got < (size_t)sb.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            why = strerror(errno);
        else if (n == 0)
            break;
        else
            got += (size_t)n;
    }
    close(fd);
    if (why || !buf) {
        x2go_seterr("%s: %s", path, why ? why : "out of memory");
        free(buf);
        return NULL;
    }
    buf[got] = '\0';
    *len = got;
    if (st)
        *st = sb;
    return buf;
}

uint64_t x2go_fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

void x2go_icon_cache_name(const char *path, const struct stat *st, char out[24])
{
    uint64_t v[] = {(uint64_t)st->st_dev,          (uint64_t)st->st_ino,
                    (uint64_t)st->st_size,         (uint64_t)st->st_mtim.tv_sec,
                    (uint64_t)st->st_mtim.tv_nsec, (uint64_t)st->st_ctim.tv_sec,
                    (uint64_t)st->st_ctim.tv_nsec, X2GO_ICON_PNG_SIZE};
    uint64_t h = x2go_fnv1a(X2GO_FNV_INIT, path, strlen(path) + 1);
    h = x2go_fnv1a(h, v, sizeof v);
    snprintf(out, 24, "%016llx.png", (unsigned long long)h);
}
