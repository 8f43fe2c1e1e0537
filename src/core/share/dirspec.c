/* Parsing of x2gomountdirs' folder list and the mount point names. */
#include "dirspec.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

#define REVERSE_MARK "__REVERSESSH_PORT__"
#define DIRECT_MARK "__SSH_PORT__"
#define PRINT_MARK "__PRINT_SPOOL_"
#define MIMEBOX_MARK "__MIMEBOX_SPOOL_"

bool x2go_text_clean_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int extra;
        unsigned cp;
        if (*p < 0x20 || *p == 0x7f)
            return false;
        if (*p < 0x80) {
            p++;
            continue;
        }
        if ((*p & 0xe0) == 0xc0)
            extra = 1, cp = *p & 0x1f;
        else if ((*p & 0xf0) == 0xe0)
            extra = 2, cp = *p & 0x0f;
        else if ((*p & 0xf8) == 0xf0)
            extra = 3, cp = *p & 0x07;
        else
            return false;
        p++;
        for (int i = 0; i < extra; i++, p++) {
            if ((*p & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (*p & 0x3f);
        }
        /* Overlong forms, surrogates and values past Unicode. */
        if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) ||
            (extra == 3 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
    }
    return true;
}

static int join(int nwords, char *const words[], char *out, size_t len)
{
    size_t o = 0;
    for (int i = 0; i < nwords; i++) {
        size_t n = strlen(words[i]);
        if (o + n + (i > 0) >= len) {
            x2go_seterr("the folder list is longer than %d bytes", X2GO_DIRSPEC_MAX);
            return -1;
        }
        if (i > 0)
            out[o++] = ' ';
        memcpy(out + o, words[i], n);
        o += n;
    }
    out[o] = '\0';
    return 0;
}

/* Cut "<mark><port>" off the end of s; 1 if cut, 0 if absent, -1 bad. */
static int cut_port(char *s, const char *mark, int *port)
{
    char *m = NULL;
    for (char *p = strstr(s, mark); p; p = strstr(p + 1, mark))
        m = p;
    if (!m)
        return 0;
    long v;
    if (x2go_parse_long(m + strlen(mark), 1, 65535, &v) < 0) {
        x2go_seterr("malformed port after %s (expected 1..65535)", mark);
        return -1;
    }
    *port = (int)v;
    *m = '\0';
    return 1;
}

static bool cut_suffix(char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    if (n < k || strcmp(s + n - k, suffix) != 0)
        return false;
    s[n - k] = '\0';
    return true;
}

static int check_path(const char *p)
{
    if (p[0] != '/') {
        x2go_seterr("folder path is not absolute: %.80s", p);
        return -1;
    }
    if (strlen(p) > X2GO_SHARE_PATH_MAX) {
        x2go_seterr("folder path longer than %d bytes", X2GO_SHARE_PATH_MAX);
        return -1;
    }
    if (!x2go_text_clean_utf8(p) || strpbrk(p, "|\"")) {
        x2go_seterr("folder path with control characters, '|', '\"' or invalid UTF-8");
        return -1;
    }
    return 0;
}

static int add_share(struct x2go_dirspec *d, char *p)
{
    enum x2go_share_kind k = cut_suffix(p, PRINT_MARK) ? X2GO_SHARE_PRINT
                           : cut_suffix(p, MIMEBOX_MARK) ? X2GO_SHARE_MIMEBOX
                           : X2GO_SHARE_FOLDER;
    if (check_path(p) < 0)
        return -1;
    if (d->n == X2GO_SHARES_MAX) {
        x2go_seterr("more than %d folders in one call", X2GO_SHARES_MAX);
        return -1;
    }
    d->shares[d->n].path = p;
    d->shares[d->n++].kind = k;
    return 0;
}

int x2go_dirspec_parse(int nwords, char *const words[], struct x2go_dirspec *d)
{
    memset(d, 0, sizeof *d);
    if (join(nwords, words, d->joined, sizeof d->joined) < 0)
        return -1;
    memcpy(d->buf, d->joined, sizeof d->buf);
    d->port = 22;
    int r = cut_port(d->buf, REVERSE_MARK, &d->port);
    if (r == 0)
        r = cut_port(d->buf, DIRECT_MARK, &d->port);
    if (r < 0)
        return -1;
    d->reverse = r == 1 && strstr(d->joined, REVERSE_MARK) != NULL;
    char *save = NULL;
    for (char *p = strtok_r(d->buf, ":", &save); p; p = strtok_r(NULL, ":", &save))
        if (add_share(d, p) < 0)
            return -1;
    if (d->n == 0) {
        x2go_seterr("no folder given");
        return -1;
    }
    return 0;
}

/* Copy s to out replacing each byte found in from[] by '_' and dropping
 * the markers; the checks of x2go_share_mangle. */
static int finish_mangle(char *s, char *out, size_t len)
{
    static const char *const drop[] = {"~_cygdrive_", "~_windrive_", "~_uncpath_"};
    for (size_t i = 0; i < X2GO_ARRAY_LEN(drop); i++)
        for (char *m; (m = strstr(s, drop[i]));)
            memmove(m, m + strlen(drop[i]), strlen(m + strlen(drop[i])) + 1);
    size_t o = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '~')
            continue;
        if (o + 1 >= len || o + 1 > X2GO_MANGLED_MAX) {
            x2go_seterr("folder name too long for a mount point");
            return -1;
        }
        out[o++] = *p;
    }
    out[o] = '\0';
    if (o == 0 || !strcmp(out, ".") || !strcmp(out, "..")) {
        x2go_seterr("folder path gives no usable mount point name");
        return -1;
    }
    return 0;
}

static int mangle_into(const char *path, const char *under, char *out, size_t len)
{
    char s[X2GO_DIRSPEC_MAX + 1];
    if (x2go_strlcpy(s, path, sizeof s) < 0)
        return -1;
    for (char *m; under && (m = strstr(s, under));)
        memmove(m, m + strlen(under), strlen(m + strlen(under)) + 1);
    for (char *p = s; *p; p++)
        if (*p == '/' || *p == ' ')
            *p = '_';
    return finish_mangle(s, out, len);
}

int x2go_share_mangle(const char *path, char *out, size_t len)
{
    return mangle_into(path, NULL, out, len);
}

int x2go_share_mangle_removable(const char *path, char *out, size_t len, bool *cdrom)
{
    *cdrom = strstr(path, "CDROM") != NULL;
    return mangle_into(path, "/ramdrive/mnt/", out, len);
}

int x2go_share_mangle_client(const char *path, char *out, size_t len)
{
    char s[X2GO_DIRSPEC_MAX + 1], t[X2GO_DIRSPEC_MAX + 1];
    if (x2go_strlcpy(s, path, sizeof s) < 0)
        return -1;
    for (char *m; (m = strstr(s, "/ramdrive/mnt/"));)
        memmove(m, m + 14, strlen(m + 14) + 1);
    size_t o = 0;
    const char *p = s;
    if (((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z')) && p[1] == ':') {
        o = (size_t)snprintf(t, sizeof t, "_cygdrive_%c", p[0]);
        p += 2;
    }
    for (; *p && o + 1 < sizeof t; p++) {
        if (!strncmp(p, "\\040", 4)) {
            t[o++] = '_';
            p += 3;
        } else if (*p == '/' || *p == '\\' || *p == ' ')
            t[o++] = '_';
        else if (*p != ':')
            t[o++] = *p;
    }
    t[o] = '\0';
    return finish_mangle(t, out, len);
}
