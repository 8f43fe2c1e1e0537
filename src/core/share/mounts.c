/* Pure helpers for shared folders, plus the one read of the mount table. */
#include "mounts.h"
#include "sid.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool x2go_mount_path_valid(const char *user, const char *path)
{
    char prefix[160];
    if (snprintf(prefix, sizeof prefix, "/tmp/.x2go-%s/", user) >= (int)sizeof prefix)
        return false;
    size_t n = strlen(prefix);
    if (strncmp(path, prefix, n) != 0 || strlen(path) > X2GO_MOUNT_PATH_MAX ||
        !x2go_text_clean_utf8(path) || strchr(path, '|'))
        return false;
    for (const char *c = path + n;;) {
        size_t k = strcspn(c, "/");
        if (k == 0 || (k == 1 && c[0] == '.') || (k == 2 && c[0] == '.' && c[1] == '.'))
            return false;
        if (!c[k])
            return true;
        c += k + 1;
    }
}

int x2go_mount_row_ok(const char *owner, const char *path)
{
    if (x2go_mount_path_valid(owner, path))
        return 0;
    x2go_seterr("mount path outside the session owner's share directories");
    return -1;
}

bool x2go_mount_path_shape(const char *path)
{
    char user[X2GO_USER_MAX + 1];
    if (strncmp(path, "/tmp/.x2go-", strlen("/tmp/.x2go-")) != 0)
        return false;
    const char *u = path + strlen("/tmp/.x2go-");
    size_t n = strcspn(u, "/");
    if (n == 0 || n >= sizeof user)
        return false;
    memcpy(user, u, n);
    user[n] = '\0';
    return x2go_username_valid(user) && x2go_mount_path_valid(user, path);
}

int x2go_share_mountpoint(const struct x2go_share *sh, bool folder_type, const char *sid,
                          char *out, size_t len)
{
    char name[X2GO_MANGLED_MAX + 1];
    bool cdrom = false;
    if (sh->kind != X2GO_SHARE_FOLDER)
        return x2go_fmt(out, len, "%s/C-%s", sh->kind == X2GO_SHARE_PRINT ? "spool" : "mimebox",
                        sid) < 0 ? -1 : 0;
    int rc = folder_type ? x2go_share_mangle(sh->path, name, sizeof name)
                         : x2go_share_mangle_removable(sh->path, name, sizeof name, &cdrom);
    if (rc < 0)
        return -1;
    return x2go_fmt(out, len, "media/%s/%s", folder_type ? "disk" : cdrom ? "cd" : "rm",
                    name) < 0 ? -1 : 0;
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        s[--n] = '\0';
}

int x2go_keyfile_split(char *text, char **key, char **ident)
{
    char *m = strstr(text, X2GO_IDENT_MARK);
    if (!m || m == text) {
        x2go_seterr("the key file has no private key and client host key");
        return -1;
    }
    *m = '\0';
    *key = text;
    *ident = m + strlen(X2GO_IDENT_MARK);
    trim(*ident);
    /* "<type> <base64>": a single line, nothing that could add options. */
    size_t t = strspn(*ident, "abcdefghijklmnopqrstuvwxyz0123456789-@.");
    const char *b = *ident + t;
    if (t == 0 || *b != ' ' || !b[1] ||
        strspn(b + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") !=
            strlen(b + 1)) {
        x2go_seterr("the client host key in the key file is malformed");
        return -1;
    }
    if (!strstr(*key, "PRIVATE KEY-----")) {
        x2go_seterr("the key file holds no private key");
        return -1;
    }
    return 0;
}

/* Decode mountinfo's octal escapes (\040 and friends) of one field. */
static void unescape(const char *s, size_t n, char *out, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < len; i++) {
        if (s[i] == '\\' && i + 3 < n + 1 && s[i + 1] >= '0' && s[i + 1] <= '3') {
            out[o++] = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
        } else
            out[o++] = s[i];
    }
    out[o] = '\0';
}

bool x2go_mountinfo_has(const char *text, const char *path, bool *fuse)
{
    char mp[4096];
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        /* id parent maj:min root mountpoint options ... - fstype source */
        const char *f = l;
        for (int i = 0; i < 4 && f; i++)
            f = strchr(f, ' ') ? strchr(f, ' ') + 1 : NULL;
        if (!f)
            continue;
        size_t n = strcspn(f, " \n");
        unescape(f, n, mp, sizeof mp);
        if (strcmp(mp, path) != 0)
            continue;
        const char *sep = strstr(f, " - ");
        const char *eol = strchr(f, '\n');
        if (fuse)
            *fuse = sep && (!eol || sep < eol) && !strncmp(sep + 3, "fuse", 4);
        return true;
    }
    return false;
}

bool x2go_is_mounted(const char *path)
{
    size_t len;
    char *t = x2go_slurp("/proc/self/mountinfo", &len);
    if (!t)
        return false;
    bool r = x2go_mountinfo_has(t, path, NULL);
    free(t);
    return r;
}

bool x2go_path_under(const char *target, const char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    return n > 0 && !strncmp(target, dir, n) && (target[n] == '\0' || target[n] == '/');
}

static bool all_of(const char *s, const char *set)
{
    return strspn(s, set) == strlen(s);
}

bool x2go_iconv_valid(const char *s)
{
    static const char enc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-";
    char buf[256], *from, *to;
    if (x2go_strlcpy(buf, s, sizeof buf) < 0 || strncmp(buf, "modules=iconv,from_code=", 24))
        return false;
    from = buf + 24;
    if (!(to = strstr(from, ",to_code=")))
        return false;
    *to = '\0';
    to += 9;
    return *from && *to && all_of(from, enc) && all_of(to, enc);
}

bool x2go_client_user_valid(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= 64 && s[0] != '-' &&
           all_of(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._$ -\\");
}
