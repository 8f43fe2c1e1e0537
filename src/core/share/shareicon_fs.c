/* Desktop icon files of shared folders on disk. */
#include "shareicon_fs.h"
#include "shareicon.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ICON_MAX 4096

int x2go_desktop_dir(const char *home, char *out, size_t len)
{
    char path[PATH_MAX], text[16384];
    const char *cfg = getenv("XDG_CONFIG_HOME");
    int rc = cfg && cfg[0] == '/' ? x2go_fmt(path, sizeof path, "%s/user-dirs.dirs", cfg)
                                  : x2go_fmt(path, sizeof path, "%s/.config/user-dirs.dirs", home);
    if (rc >= 0 && x2go_read_file(path, text, sizeof text) >= 0 &&
        x2go_user_dirs_desktop(text, home, out, len) == 0)
        return 0;
    const char *env = getenv("XDG_DESKTOP_DIR");
    if (env && env[0] == '/' && x2go_strlcpy(out, env, len) == 0)
        return 0;
    return x2go_fmt(out, len, "%s/Desktop", home) < 0 ? -1 : 0;
}

bool x2go_plasmoid_stamp_fresh(const char *top, const char *sid)
{
    char path[PATH_MAX], stamp[64];
    return x2go_fmt(path, sizeof path, "%s/media/%s.plasmoid", top, sid) >= 0 &&
           x2go_read_file(path, stamp, sizeof stamp) >= 0 &&
           x2go_plasmoid_active(stamp, time(NULL));
}

int x2go_icon_write(const char *dir, const char *name, const char *mountpoint, const char *sid)
{
    char content[ICON_MAX];
    int n = x2go_icon_content(mountpoint, sid, content, sizeof content);
    int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (n < 0 || d < 0) {
        x2go_seterr("cannot write a desktop icon into %s: %s", dir,
                    n < 0 ? "name too long" : strerror(errno));
        if (d >= 0)
            close(d);
        return -1;
    }
    /* An earlier icon of the same share is replaced, never followed. */
    struct stat st;
    if (fstatat(d, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
        unlinkat(d, name, 0);
    int fd = openat(d, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    int rc = fd >= 0 && write(fd, content, (size_t)n) == n ? 0 : -1;
    if (rc < 0)
        x2go_seterr("cannot write the desktop icon %s/%s: %s", dir, name, strerror(errno));
    if (fd >= 0 && close(fd) < 0)
        rc = -1;
    close(d);
    return rc;
}

static bool names(int d, const char *name, const char *mountpoint, const char *sid)
{
    char buf[ICON_MAX], mp[PATH_MAX], s[256];
    int fd = openat(d, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return false;
    ssize_t n = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? read(fd, buf, sizeof buf) : -1;
    close(fd);
    return n > 0 && x2go_icon_parse(buf, (size_t)n, mp, sizeof mp, s, sizeof s) &&
           !strcmp(mp, mountpoint) && !strcmp(s, sid);
}

void x2go_icons_remove(const char *dir, const char *mountpoint, const char *sid)
{
    int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dp = d >= 0 ? fdopendir(d) : NULL;
    if (!dp) {
        if (d >= 0)
            close(d);
        return;
    }
    for (struct dirent *e; (e = readdir(dp));)
        if (x2go_icon_name_is_ours(e->d_name) && names(d, e->d_name, mountpoint, sid))
            unlinkat(d, e->d_name, 0);
    closedir(dp);
}
