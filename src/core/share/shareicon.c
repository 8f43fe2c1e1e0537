/* Desktop icon files for shared folders: names, content, decisions. */
#include "shareicon.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const x2go_icon_features[4] = {
    "X2GO_GNOMEBINDINGS", "X2GO_MATEBINDINGS", "X2GO_LXDEBINDINGS", "X2GO_FMBINDINGS",
};

static const struct {
    const char *mark, *suffix;
    unsigned feature;
} desktops[] = {
    {"_stDGNOME_dp", "-gnome", X2GO_ICON_GNOME},
    {"_stDMATE_dp", "-mate", X2GO_ICON_MATE},
    {"_stDLXDE_dp", "-lxde", X2GO_ICON_LXDE},
};

static bool desktop_session(const char *sid)
{
    const char *d = strstr(sid, "_stD");
    return d && strstr(d + 4, "_dp");
}

unsigned x2go_icon_features_wanted(const char *sid)
{
    if (!desktop_session(sid))
        return 0;
    unsigned want = X2GO_ICON_FM;
    for (size_t i = 0; i < X2GO_ARRAY_LEN(desktops); i++)
        if (strstr(sid, desktops[i].mark))
            want |= desktops[i].feature;
    return want;
}

const char *x2go_icon_suffix(const char *sid, unsigned features)
{
    if (!desktop_session(sid))
        return NULL;
    for (size_t i = 0; i < X2GO_ARRAY_LEN(desktops); i++)
        if (strstr(sid, desktops[i].mark) && (features & desktops[i].feature))
            return desktops[i].suffix;
    return (features & X2GO_ICON_FM) ? "" : NULL;
}

static void drop_first(char *s, const char *what)
{
    char *m = strstr(s, what);
    if (m)
        memmove(m, m + strlen(what), strlen(m + strlen(what)) + 1);
}

int x2go_icon_name(const char *path, bool folder, const char *suffix, char *out, size_t len)
{
    char s[1100];
    if (x2go_strlcpy(s, path, sizeof s) < 0)
        return -1;
    drop_first(s, "/cygdrive/");
    drop_first(s, "/windrive/");
    drop_first(s, "/uncpath/");
    for (char *p = s; *p; p++)
        if (*p == ' ' || *p == '/')
            *p = '_';
    const char *kind = folder ? "disk" : strstr(s, "CDROM") ? "cdrom" : "removable";
    if (!folder)
        drop_first(s, "_ramdrive_mnt_");
    if (!s[0] || !strcmp(s, ".") || !strcmp(s, "..") ||
        x2go_fmt(out, len, "%s (sshfs-%s%s)", s, kind, suffix) < 0 || strlen(out) > 255) {
        x2go_seterr("no desktop icon name for %.100s", path);
        return -1;
    }
    return 0;
}

int x2go_icon_content(const char *mountpoint, const char *sid, char *out, size_t len)
{
    if (x2go_fmt(out, len, "%s\n%s\n\n", mountpoint, sid) < 0 || strlen(out) + 1 >= len)
        return -1;
    return (int)strlen(out) + 1;
}

static bool copy_line(const char **p, const char *end, char *out, size_t len)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    if (!nl || nl == *p || (size_t)(nl - *p) >= len || memchr(*p, '\0', (size_t)(nl - *p)))
        return false;
    memcpy(out, *p, (size_t)(nl - *p));
    out[nl - *p] = '\0';
    *p = nl + 1;
    return true;
}

bool x2go_icon_parse(const char *content, size_t n, char *mp, size_t mplen, char *sid,
                     size_t sidlen)
{
    const char *p = content, *end = content + n;
    return copy_line(&p, end, mp, mplen) && copy_line(&p, end, sid, sidlen);
}

bool x2go_icon_name_is_ours(const char *name)
{
    static const char *const kinds[] = {"disk", "cdrom", "removable"};
    static const char *const desks[] = {"", "-gnome", "-mate", "-lxde"};
    char tail[40];
    size_t n = strlen(name);
    for (size_t k = 0; k < X2GO_ARRAY_LEN(kinds); k++)
        for (size_t d = 0; d < X2GO_ARRAY_LEN(desks); d++) {
            size_t t = (size_t)snprintf(tail, sizeof tail, " (sshfs-%s%s)", kinds[k], desks[d]);
            if (n > t && !strcmp(name + n - t, tail))
                return true;
        }
    return false;
}

int x2go_user_dirs_desktop(const char *content, const char *home, char *out, size_t len)
{
    static const char key[] = "XDG_DESKTOP_DIR=\"";
    for (const char *l = content; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        while (*l == ' ' || *l == '\t')
            l++;
        if (strncmp(l, key, sizeof key - 1))
            continue;
        const char *v = l + sizeof key - 1, *q = strchr(v, '"');
        const char *nl = strchr(v, '\n');
        if (!q || (nl && nl < q))
            return 1;
        size_t n = (size_t)(q - v);
        char val[4096];
        if (n >= sizeof val)
            return -1;
        memcpy(val, v, n);
        val[n] = '\0';
        /* Only plain text: no further expansion, quoting or substitution. */
        if (strpbrk(val + (strncmp(val, "$HOME", 5) ? 0 : 5), "$`\\\"") ||
            (strncmp(val, "$HOME/", 6) && val[0] != '/') || strstr(val, "/../"))
            return 1;
        int rc = val[0] == '/' ? x2go_strlcpy(out, val, len)
                               : x2go_fmt(out, len, "%s%s", home, val + 5);
        return rc < 0 ? -1 : 0; /* x2go_fmt: the length */
    }
    return 1;
}

bool x2go_plasmoid_active(const char *stamp, time_t now)
{
    char *end;
    errno = 0;
    long long t = strtoll(stamp, &end, 10);
    if (end == stamp || errno || (*end && *end != '\n'))
        return false;
    long long d = t - (long long)now;
    return d > -15 && d < 15;
}
