#include "sessfiles.h"
#include "agent.h"
#include "proc.h"
#include "sid.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#define XAUTH_BIN "/usr/bin/xauth"

int x2go_dir_check(const char *path, uid_t uid)
{
    struct stat st;
    if (lstat(path, &st) < 0) {
        x2go_seterr("cannot use %s: %s", path, strerror(errno));
        return -1;
    }
    if (S_ISLNK(st.st_mode)) {
        x2go_seterr("refusing to use %s: it is a symbolic link (remove it and retry)", path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        x2go_seterr("refusing to use %s: it is not a directory (remove it and retry)", path);
        return -1;
    }
    if (st.st_uid != uid) {
        x2go_seterr("refusing to use %s: it belongs to uid %u, not to uid %u (someone "
                    "planted it; remove it and retry)", path, (unsigned)st.st_uid,
                    (unsigned)uid);
        return -1;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        x2go_seterr("refusing to use %s: it is writable by group or others (chmod 0700 it)",
                    path);
        return -1;
    }
    return 0;
}

int x2go_dir_ensure(const char *path, uid_t uid)
{
    for (int tries = 0;; tries++) {
        if (mkdir(path, 0700) < 0 && errno != EEXIST) {
            x2go_seterr("cannot create %s: %s", path, strerror(errno));
            return -1;
        }
        struct stat st;
        /* Removed again between mkdir and check (an empty dir being
         * cleaned up): once more. */
        if (lstat(path, &st) < 0 && errno == ENOENT && tries < 2)
            continue;
        return x2go_dir_check(path, uid);
    }
}

int x2go_tmpdir_ensure(const char *user, uid_t uid, char *out, size_t len)
{
    if (x2go_user_tmpdir(out, len, user) < 0)
        return -1;
    return x2go_dir_ensure(out, uid);
}

int x2go_sessdir_create(const char *user, uid_t uid, const char *sid, char *out, size_t len)
{
    char top[PATH_MAX];
    if (x2go_session_dir(out, len, user, sid) < 0)
        return -1;
    /* A terminate of the user's last session may remove the empty
     * /tmp/.x2go-<user> between our check and our mkdir: retry once. */
    int rc = -1;
    for (int tries = 0; tries < 2 && rc < 0; tries++) {
        if (x2go_tmpdir_ensure(user, uid, top, sizeof top) < 0)
            return -1;
        rc = mkdir(out, 0700);
        if (rc < 0 && errno != ENOENT)
            break;
    }
    if (rc < 0) {
        x2go_seterr("cannot create the session directory %s: %s", out, strerror(errno));
        return -1;
    }
    return x2go_dir_check(out, uid);
}

int x2go_sessdir_open(const char *user, uid_t uid, const char *sid, char *out, size_t len)
{
    char top[PATH_MAX];
    if (x2go_user_tmpdir(top, sizeof top, user) < 0 || x2go_dir_check(top, uid) < 0 ||
        x2go_session_dir(out, len, user, sid) < 0)
        return -1;
    return x2go_dir_check(out, uid);
}

int x2go_home(char *out, size_t len)
{
    /* $HOME as the reference uses it, unless it is not ours (a daemon that
     * switched to the user without resetting the environment). */
    const char *h = getenv("HOME");
    struct stat st;
    if (h && h[0] == '/' && stat(h, &st) == 0 && st.st_uid == getuid())
        return x2go_strlcpy(out, h, len);
    struct passwd *pw = getpwuid(getuid());
    if (!pw || !pw->pw_dir || pw->pw_dir[0] != '/') {
        x2go_seterr("The $HOME environment variable is not set.");
        return -1;
    }
    return x2go_strlcpy(out, pw->pw_dir, len);
}

int x2go_home_dirs(const char *home)
{
    char p[PATH_MAX];
    uid_t uid = getuid();
    if (x2go_fmt(p, sizeof p, "%s/.x2go", home) < 0)
        return -1;
    if (mkdir(p, 0700) < 0 && errno != EEXIST) {
        x2go_seterr("cannot create %s: %s", p, strerror(errno));
        return -1;
    }
    /* ~/.x2go may be a link to elsewhere (admins do that); it must be a
     * directory of ours after following it. */
    struct stat st;
    if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != uid) {
        x2go_seterr("%s is not a directory of this user", p);
        return -1;
    }
    if (x2go_fmt(p, sizeof p, "%s/.x2go/ssh", home) < 0)
        return -1;
    if (mkdir(p, 0700) < 0 && errno != EEXIST) {
        x2go_seterr("cannot create %s: %s", p, strerror(errno));
        return -1;
    }
    return 0;
}

int x2go_sesslink_create(const char *home, const char *sid, const char *target)
{
    char link[PATH_MAX];
    if (x2go_fmt(link, sizeof link, "%s/.x2go/C-%s", home, sid) < 0)
        return -1;
    for (int tries = 0; tries < 2; tries++) {
        if (symlink(target, link) == 0)
            return 0;
        struct stat st;
        if (errno != EEXIST || lstat(link, &st) < 0 || !S_ISLNK(st.st_mode))
            break;
        unlink(link); /* a stale link of a previous session: replace it */
    }
    x2go_seterr("cannot create the link %s: %s", link, strerror(errno));
    return -1;
}

#define RM_MAX_ENTRIES 100000
#define RM_MAX_DEPTH 64

/* Remove name below the directory dfd, depth first, by directory fds: never
 * follows a link, never crosses into another file system (a share still
 * mounted), bounded in depth and entries. */
static int rm_tree_at(int dfd, const char *name, dev_t dev, int depth, int *budget)
{
    if (depth > RM_MAX_DEPTH || --*budget < 0)
        return -1;
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlinkat(dfd, name, 0) == 0 || errno == ENOENT ? 0 : -1;
    if (st.st_dev != dev)
        return -1; /* something is mounted here: leave it alone */
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == EACCES && fchmodat(dfd, name, 0700, 0) == 0)
        fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    struct stat fst;
    if (fstat(fd, &fst) < 0 || fst.st_dev != dev || fst.st_ino != st.st_ino) {
        close(fd); /* swapped between the stat and the open */
        return -1;
    }
    if ((fst.st_mode & 0700) != 0700)
        fchmod(fd, fst.st_mode | 0700);
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -1;
    }
    int rc = -1;
    /* Removing while reading may hide entries: a few rounds, bounded. */
    for (int round = 0; round < 3; round++) {
        rewinddir(d);
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            rm_tree_at(dirfd(d), e->d_name, dev, depth + 1, budget);
            if (*budget < 0)
                break;
        }
        if (unlinkat(dfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT) {
            rc = 0;
            break;
        }
        if (errno != ENOTEMPTY && errno != EEXIST)
            break;
    }
    closedir(d);
    return rc;
}

int x2go_sessfiles_remove(const char *home, const char *user, uid_t uid, const char *sid,
                          bool prune_top)
{
    char name[X2GO_SID_MAX + 8], top[PATH_MAX];
    if (x2go_fmt(name, sizeof name, "C-%s", sid) < 0 ||
        x2go_user_tmpdir(top, sizeof top, user) < 0)
        return -1;
    int rc = 0;
    /* ~/.x2go/C-<sid>: only a link of the user is removed, never its target. */
    int h = home ? open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (h >= 0) {
        int x = openat(h, ".x2go", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (x >= 0 && fstatat(x, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISLNK(st.st_mode) && st.st_uid == uid && unlinkat(x, name, 0) < 0)
            rc = -1;
        if (x >= 0)
            close(x);
        close(h);
    }
    struct stat st;
    if (lstat(top, &st) < 0 && errno == ENOENT)
        return rc;
    if (x2go_dir_check(top, uid) < 0)
        return -1;
    int t = open(top, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (t < 0 || fstat(t, &st) < 0 || st.st_uid != uid) {
        if (t >= 0)
            close(t);
        x2go_seterr("cannot use %s", top);
        return -1;
    }
    int budget = RM_MAX_ENTRIES;
    if (rm_tree_at(t, name, st.st_dev, 0, &budget) < 0) {
        x2go_seterr("could not remove everything in %s/%s (a share still mounted?)", top, name);
        rc = -1;
    }
    close(t);
    if (prune_top)
        rmdir(top); /* only succeeds when empty */
    return rc;
}

int x2go_xauthority(const char *home, char *out, size_t len)
{
    const char *x = getenv("XAUTHORITY");
    if (x && x[0] == '/')
        return x2go_strlcpy(out, x, len);
    return x2go_fmt(out, len, "%s/.Xauthority", home) < 0 ? -1 : 0;
}

int x2go_xauth(const char *xauthority, const char *host, int display, const char *cookie)
{
    /* Both entries with one xauth run: the commands come from a memfd. */
    int fd = memfd_create("x2go-xauth", 0);
    if (fd < 0) {
        x2go_seterr("memfd_create: %s", strerror(errno));
        return -1;
    }
    char cmds[1024];
    int n;
    if (cookie)
        n = snprintf(cmds, sizeof cmds,
                     "add %s/unix:%d MIT-MAGIC-COOKIE-1 %s\nadd %s:%d MIT-MAGIC-COOKIE-1 %s\n",
                     host, display, cookie, host, display, cookie);
    else
        n = snprintf(cmds, sizeof cmds, "remove %s/unix:%d\nremove %s:%d\n", host, display,
                     host, display);
    if (n < 0 || (size_t)n >= sizeof cmds || write(fd, cmds, (size_t)n) != n) {
        close(fd);
        x2go_seterr("cannot prepare the xauth commands");
        return -1;
    }
    char src[64];
    snprintf(src, sizeof src, "/dev/fd/%d", fd);
    char *argv[] = {"xauth", "-q", "-b", "-f", (char *)xauthority, "source", src, NULL};
    char out[512], err[512];
    int rc = x2go_run_capture(XAUTH_BIN, argv, NULL, out, sizeof out, err, sizeof err);
    close(fd);
    if (rc != 0) {
        err[strcspn(err, "\n")] = '\0';
        x2go_seterr("xauth failed for %s: %s", xauthority, err[0] ? err : "no reason given");
        return -1;
    }
    return 0;
}

int x2go_new_cookie(char out[33])
{
    unsigned char raw[16];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            x2go_seterr("cannot get random bytes for the cookie: %s", strerror(errno));
            return -1;
        }
        got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

int x2go_write_sshd_pid(const char *dir)
{
    char path[PATH_MAX], buf[4096], line[64] = "";
    snprintf(path, sizeof path, "/proc/%d/status", (int)getppid());
    if (x2go_read_file(path, buf, sizeof buf) > 0) {
        char *p = strstr(buf, "\nPPid:");
        if (p) {
            p++;
            size_t n = strcspn(p, "\n");
            if (n < sizeof line - 1) {
                memcpy(line, p, n);
                line[n] = '\n';
                line[n + 1] = '\0';
            }
        }
    }
    if (x2go_fmt(path, sizeof path, "%s/sshd.pid", dir) < 0)
        return -1;
    return x2go_write_file_atomic(path, line, strlen(line), 0600);
}

/* A session dir opened with no symbolic link anywhere on its path: root
 * working in a user's dir can then never be led into another user's. */
static int open_dir_nolinks(const char *dir)
{
    struct open_how how = {.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
                           .resolve = RESOLVE_NO_SYMLINKS};
    return (int)syscall(SYS_openat2, AT_FDCWD, dir, &how, sizeof how);
}

void x2go_ssh_agent_link(const char *dir, bool drop)
{
    static const char name[] = "ssh-agent.PID";
    struct stat st;
    int dfd = open_dir_nolinks(dir);
    if (dfd < 0)
        return;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
        unlinkat(dfd, name, 0);
    const char *sock = getenv("SSH_AUTH_SOCK");
    if (!drop && sock && sock[0] == '/' && stat(sock, &st) == 0 && S_ISSOCK(st.st_mode))
        if (symlinkat(sock, dfd, name) < 0) {
            /* not fatal: the session just has no forwarded agent */
        }
    close(dfd);
}

/* ---- path builders ---------------------------------------------------- */

int x2go_user_tmpdir(char *buf, size_t len, const char *user)
{
    return x2go_fmt(buf, len, "/tmp/.x2go-%s", user) < 0 ? -1 : 0;
}

int x2go_session_dir(char *buf, size_t len, const char *user, const char *sid)
{
    return x2go_fmt(buf, len, "/tmp/.x2go-%s/C-%s", user, sid) < 0 ? -1 : 0;
}
