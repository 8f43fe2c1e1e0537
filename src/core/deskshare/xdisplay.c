#include "xdisplay.h"
#include "sid.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SOCK_DIR "/tmp/.X11-unix/X"
#define ACCEPTCON 0x10000UL /* __SO_ACCEPTCON: a listening socket */

/* "Num: RefCount Protocol Flags Type St Inode Path" */
static int line_display(const char *l, size_t n)
{
    char buf[512];
    if (n >= sizeof buf)
        return -1;
    memcpy(buf, l, n);
    buf[n] = '\0';
    unsigned long flags;
    char path[256];
    if (sscanf(buf, "%*s %*s %*s %lx %*s %*s %*s %255s", &flags, path) != 2 ||
        !(flags & ACCEPTCON))
        return -1;
    const char *p = path[0] == '@' ? path + 1 : path;
    size_t pl = strlen(SOCK_DIR);
    if (strncmp(p, SOCK_DIR, pl) || !p[pl] || strspn(p + pl, "0123456789") != strlen(p + pl) ||
        strlen(p + pl) > 5)
        return -1;
    return atoi(p + pl);
}

int x2go_x_displays(const char *text, int *out, int max)
{
    int n = 0;
    for (const char *p = text; *p && n < max;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        int d = line_display(p, len);
        bool seen = false;
        for (int i = 0; i < n && d >= 0; i++)
            seen |= out[i] == d;
        if (d >= 0 && !seen)
            out[n++] = d;
        p += len + (nl != NULL);
    }
    return n;
}

/* One counted field of an Xauthority entry (16-bit big-endian length). */
static int field(const unsigned char *d, size_t len, size_t *off, const unsigned char **f,
                 size_t *flen)
{
    if (*off + 2 > len)
        return -1;
    *flen = (size_t)d[*off] << 8 | d[*off + 1];
    if (*off + 2 + *flen > len)
        return -1;
    *f = d + *off + 2;
    *off += 2 + *flen;
    return 0;
}

static bool same(const unsigned char *f, size_t n, const char *s)
{
    return n == strlen(s) && !memcmp(f, s, n);
}

int x2go_xauth_cookie(const unsigned char *d, size_t len, const char *host, int display,
                      unsigned char cookie[16])
{
    char num[16];
    snprintf(num, sizeof num, "%d", display);
    size_t off = 0;
    while (off < len) {
        if (off + 2 > len)
            return -1;
        unsigned family = (unsigned)d[off] << 8 | d[off + 1];
        off += 2;
        const unsigned char *addr, *nr, *name, *data;
        size_t al, nl, nml, dl;
        if (field(d, len, &off, &addr, &al) < 0 || field(d, len, &off, &nr, &nl) < 0 ||
            field(d, len, &off, &name, &nml) < 0 || field(d, len, &off, &data, &dl) < 0)
            return -1;
        bool here = family == 65535 || (family == 256 && same(addr, al, host));
        if (here && same(nr, nl, num) && same(name, nml, "MIT-MAGIC-COOKIE-1") && dl == 16) {
            memcpy(cookie, data, 16);
            return 1;
        }
    }
    return 0;
}

size_t x2go_x_setup_request(unsigned char *b, const unsigned char *cookie)
{
    static const char name[] = "MIT-MAGIC-COOKIE-1"; /* 18 bytes, padded to 20 */
    memset(b, 0, 48);
    b[0] = 'l';
    b[2] = 11; /* protocol major 11, minor 0 */
    if (!cookie)
        return 12;
    b[6] = 18;
    b[8] = 16;
    memcpy(b + 12, name, 18);
    memcpy(b + 32, cookie, 16);
    return 48;
}

bool x2go_sharing_entry(const char *name, const char *self, char *out, size_t outlen)
{
    static const char pre[] = "x2godesktopsharing_@";
    if (strncmp(name, pre, sizeof pre - 1))
        return false;
    const char *user = name + sizeof pre - 1, *at = strchr(user, '@');
    if (!at || at == user || (size_t)(at - user) > X2GO_USER_MAX)
        return false;
    char u[X2GO_USER_MAX + 1];
    memcpy(u, user, (size_t)(at - user));
    u[at - user] = '\0';
    const char *disp = at + 1;
    if (disp[0] != ':')
        return false;
    size_t dn = strspn(disp + 1, "0123456789");
    if (dn == 0 || dn > 5 ||
        (disp[1 + dn] && (disp[1 + dn] != '.' || !disp[2 + dn] ||
                          strspn(disp + 2 + dn, "0123456789") != strlen(disp + 2 + dn))))
        return false;
    if (!x2go_username_valid(u) || !strcmp(u, self))
        return false;
    return x2go_fmt(out, outlen, "%s@%s", u, disp) >= 0;
}
