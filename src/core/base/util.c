#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char errbuf[1024];
static const char *progname = "x2go";

void x2go_seterr(const char *fmt, ...)
{
    /* Format aside first: callers may wrap the previous error with
     * x2go_seterr("...: %s", x2go_err()). */
    char tmp[sizeof errbuf];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    memcpy(errbuf, tmp, sizeof errbuf);
}

const char *x2go_err(void) { return errbuf[0] ? errbuf : "unknown error"; }

void x2go_set_progname(const char *name) { progname = name; }
const char *x2go_progname(void) { return progname; }

void x2go_complain(const char *fmt, ...)
{
    char line[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One line only: a message must never smuggle extra lines. */
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    fprintf(stderr, "%s: %s\n", progname, line);
}

int x2go_fmt(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= len) {
        x2go_seterr("internal: string too long");
        return -1;
    }
    return n;
}

bool x2go_is_digits(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

int x2go_parse_long(const char *s, long min, long max, long *out)
{
    if (!x2go_is_digits(s) || strlen(s) > 18)
        return -1;
    errno = 0;
    long v = strtol(s, NULL, 10);
    if (errno || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

bool x2go_is_printable_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return false;
    return true;
}

int x2go_strlcpy(char *dst, const char *src, size_t len)
{
    size_t n = strlen(src);
    if (n >= len) {
        x2go_seterr("value too long");
        return -1;
    }
    memcpy(dst, src, n + 1);
    return 0;
}

ssize_t x2go_read_file(const char *path, char *buf, size_t max)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        x2go_seterr("cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    size_t got = 0;
    while (got + 1 < max) {
        ssize_t n = read(fd, buf + got, max - 1 - got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            x2go_seterr("cannot read %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    close(fd);
    return (ssize_t)got;
}

char *x2go_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        int e = errno;
        x2go_seterr("cannot read %s: %s", path, strerror(e));
        errno = e;
        return NULL;
    }
    char *buf = NULL;
    size_t n, size = 0;
    FILE *mem = open_memstream(&buf, &size);
    if (!mem)
        abort();
    char chunk[8192];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, n, mem);
    bool bad = ferror(f);
    fclose(f);
    fclose(mem);
    if (bad) {
        free(buf);
        x2go_seterr("cannot read %s", path);
        errno = EIO;
        return NULL;
    }
    if (len)
        *len = size;
    return buf;
}

int x2go_write_file_atomic(const char *path, const char *data, size_t len,
                           mode_t mode)
{
    char tmp[PATH_MAX];
    if (x2go_fmt(tmp, sizeof tmp, "%s.tmpXXXXXX", path) < 0)
        return -1;
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        x2go_seterr("cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            x2go_seterr("cannot write %s: %s", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            return -1;
        }
        off += (size_t)n;
    }
    if (fchmod(fd, mode) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
        x2go_seterr("cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

long x2go_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

void x2go_sleep_us(long us)
{
    struct timespec t = {us / 1000000L, (us % 1000000L) * 1000L};
    nanosleep(&t, NULL);
}

int x2go_hostname(char *buf, size_t len)
{
    if (gethostname(buf, len) < 0 || !buf[0]) {
        x2go_seterr("Unable to retrieve machine's hostname. This is required.");
        return -1;
    }
    buf[len - 1] = '\0';
    return 0;
}

int x2go_caller_name(char *buf, size_t len)
{
    struct passwd pw, *res = NULL;
    char tmp[4096];
    uid_t uid = getuid();
    if (getpwuid_r(uid, &pw, tmp, sizeof tmp, &res) != 0 || !res) {
        x2go_seterr("no passwd entry for uid %u", (unsigned)uid);
        return -1;
    }
    return x2go_strlcpy(buf, pw.pw_name, len);
}

void x2go_grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return;
    size_t nc = *cap ? *cap * 2 : 16;
    void *np = realloc(*p, nc * elem);
    if (!np)
        abort();
    *p = np;
    *cap = nc;
}
