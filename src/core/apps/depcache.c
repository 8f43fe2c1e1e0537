#include "depcache.h"
#include "appfiles.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAGIC "x2go-depcache-1\n"
#define CACHE_MAX (64 * 1024 * 1024)

/* One entry: the path with its NUL, then this. */
struct ident {
    int32_t err;
    uint32_t mode;
    uint64_t dev, ino, size;
    int64_t mtime, mtime_ns, ctime, ctime_ns;
};

static void put(struct x2go_deps *d, const void *p, size_t n)
{
    if (d->broken)
        return;
    if (d->len + n > d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16384;
        while (cap < d->len + n)
            cap *= 2;
        char *b = realloc(d->buf, cap);
        if (!b) {
            d->broken = true;
            return;
        }
        d->buf = b;
        d->cap = cap;
    }
    memcpy(d->buf + d->len, p, n);
    d->len += n;
}

static struct ident ident_of(const struct stat *st, int err)
{
    struct ident i;
    memset(&i, 0, sizeof i);
    i.err = err;
    if (!err) {
        i.mode = st->st_mode;
        i.dev = st->st_dev;
        i.ino = st->st_ino;
        i.size = (uint64_t)st->st_size;
        i.mtime = st->st_mtim.tv_sec;
        i.mtime_ns = st->st_mtim.tv_nsec;
        i.ctime = st->st_ctim.tv_sec;
        i.ctime_ns = st->st_ctim.tv_nsec;
    }
    return i;
}

void x2go_deps_init(struct x2go_deps *d, const char *key)
{
    memset(d, 0, sizeof *d);
    put(d, MAGIC, strlen(MAGIC));
    put(d, key, strlen(key) + 1);
}

void x2go_deps_free(struct x2go_deps *d)
{
    free(d->buf);
    memset(d, 0, sizeof *d);
}

static void record(struct x2go_deps *d, const char *path, struct ident i)
{
    if (!*path || strlen(path) >= 4096) {
        d->broken = true;
        return;
    }
    put(d, path, strlen(path) + 1);
    put(d, &i, sizeof i);
}

void x2go_deps_stat(struct x2go_deps *d, const char *path)
{
    struct stat st;
    int err = stat(path, &st) == 0 ? 0 : errno;
    record(d, path, ident_of(&st, err));
}

void x2go_deps_add(struct x2go_deps *d, const char *path, const struct stat *st)
{
    record(d, path, ident_of(st, 0));
}

int x2go_deps_save(const struct x2go_deps *d, const char *file, const char *out, size_t len)
{
    if (d->broken) {
        x2go_seterr("nothing to save");
        return -1;
    }
    uint64_t n = d->len;
    char *all = malloc(sizeof n + d->len + len);
    if (!all) {
        x2go_seterr("out of memory");
        return -1;
    }
    memcpy(all, &n, sizeof n);
    memcpy(all + sizeof n, d->buf, d->len);
    memcpy(all + sizeof n + d->len, out, len);
    int r = x2go_write_file_atomic(file, all, sizeof n + d->len + len, 0600);
    free(all);
    return r;
}

/* Every entry of the recorded part still holds. */
static bool still_same(const char *p, const char *end)
{
    while (p < end) {
        const char *nul = memchr(p, '\0', (size_t)(end - p));
        struct ident want, now;
        struct stat st;
        if (!nul || (size_t)(end - nul - 1) < sizeof want)
            return false;
        memcpy(&want, nul + 1, sizeof want);
        int err = stat(p, &st) == 0 ? 0 : errno;
        now = ident_of(&st, err);
        if (memcmp(&want, &now, sizeof want))
            return false;
        p = nul + 1 + sizeof want;
    }
    return true;
}

/* The recorded part rec[0..dl) was made with key and still holds. */
static bool fresh(const char *rec, uint64_t dl, const char *key)
{
    size_t ml = strlen(MAGIC), kl = strlen(key) + 1;
    return dl >= ml + kl && !memcmp(rec, MAGIC, ml) && !memcmp(rec + ml, key, kl) &&
           still_same(rec + ml + kl, rec + dl);
}

char *x2go_deps_load(const char *file, const char *key, uid_t uid, size_t *len)
{
    size_t n;
    uint64_t dl;
    unsigned char *b = x2go_read_trusted(file, CACHE_MAX, uid, &n, NULL);
    if (!b)
        return NULL;
    if (n < sizeof dl)
        goto stale;
    memcpy(&dl, b, sizeof dl);
    const char *rec = (const char *)b + sizeof dl;
    if (dl > n - sizeof dl || !fresh(rec, dl, key))
        goto stale;
    *len = n - sizeof dl - dl;
    memmove(b, rec + dl, *len);
    b[*len] = '\0';
    return (char *)b;
stale:
    free(b);
    return NULL;
}

int x2go_deps_open(const char *file, const char *key, uid_t uid, off_t *off, size_t *len)
{
    int fd = open(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    uint64_t dl;
    char *rec = NULL;
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != uid ||
        st.st_size > CACHE_MAX || (size_t)st.st_size < sizeof dl ||
        pread(fd, &dl, sizeof dl, 0) != (ssize_t)sizeof dl ||
        dl > (uint64_t)st.st_size - sizeof dl || !(rec = malloc(dl ? dl : 1)) ||
        pread(fd, rec, dl, sizeof dl) != (ssize_t)dl || !fresh(rec, dl, key)) {
        free(rec);
        close(fd);
        return -1;
    }
    free(rec);
    *off = (off_t)(sizeof dl + dl);
    *len = (size_t)st.st_size - sizeof dl - dl;
    return fd;
}
