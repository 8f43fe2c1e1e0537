/* Shared folders on disk (see mounts_fs.h). Everything here runs as the
 * session user inside the user's own 0700 /tmp/.x2go-<user>; files the
 * client hands us are opened without following links and owner-checked. */
#include "mounts_fs.h"
#include "mounts.h"
#include "proc.h"
#include "sessfiles.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int x2go_share_dirs_ensure(const char *top, uid_t uid, const char *sid)
{
    static const char *const fixed[] = {"media", "media/disk", "media/cd", "media/rm",
                                        "spool", "mimebox"};
    char p[PATH_MAX];
    for (size_t i = 0; i < X2GO_ARRAY_LEN(fixed); i++)
        if (x2go_fmt(p, sizeof p, "%s/%s", top, fixed[i]) < 0 || x2go_dir_ensure(p, uid) < 0)
            return -1;
    static const char *const per_session[] = {"spool", "mimebox"};
    for (size_t i = 0; i < X2GO_ARRAY_LEN(per_session); i++)
        if (x2go_fmt(p, sizeof p, "%s/%s/C-%s", top, per_session[i], sid) < 0 ||
            x2go_dir_ensure(p, uid) < 0)
            return -1;
    return 0;
}

/* link -> target, replacing an old link or an empty directory. */
static int relink(const char *link, const char *target)
{
    struct stat st;
    if (lstat(link, &st) == 0) {
        if (S_ISLNK(st.st_mode))
            unlink(link);
        else if (S_ISDIR(st.st_mode) && rmdir(link) < 0) {
            x2go_seterr("%s is a directory that is not empty; not replaced", link);
            return -1;
        } else if (!S_ISDIR(st.st_mode)) {
            x2go_seterr("%s exists and is not a link; not replaced", link);
            return -1;
        }
    }
    if (symlink(target, link) < 0) {
        x2go_seterr("cannot link %s: %s", link, strerror(errno));
        return -1;
    }
    return 0;
}

int x2go_share_links(const char *home, const char *sessdir, const char *top, const char *sid)
{
    static const char *const names[] = {"spool", "mimebox"};
    char link[PATH_MAX], target[PATH_MAX];
    for (size_t i = 0; i < X2GO_ARRAY_LEN(names); i++)
        if (x2go_fmt(link, sizeof link, "%s/%s", sessdir, names[i]) < 0 ||
            x2go_fmt(target, sizeof target, "%s/%s/C-%s", top, names[i], sid) < 0 ||
            relink(link, target) < 0)
            return -1;
    /* ~/media is a convenience: a user's own data there is left alone. */
    if (x2go_fmt(link, sizeof link, "%s/media", home) >= 0 &&
        x2go_fmt(target, sizeof target, "%s/media", top) >= 0)
        (void)relink(link, target);
    return 0;
}

bool x2go_keyfile_path_ok(const char *home, const char *keyfile)
{
    char dir[PATH_MAX], want[PATH_MAX], real_dir[PATH_MAX], real_want[PATH_MAX];
    const char *slash = strrchr(keyfile, '/');
    if (!slash || strchr(keyfile, ',') || strlen(keyfile) >= sizeof dir)
        return false;
    const char *name = slash + 1;
    if (!*name || name[0] == '.' ||
        strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") !=
            strlen(name))
        return false;
    memcpy(dir, keyfile, (size_t)(slash - keyfile));
    dir[slash - keyfile] = '\0';
    return x2go_fmt(want, sizeof want, "%s/.x2go/ssh", home) >= 0 &&
           realpath(dir, real_dir) && realpath(want, real_want) &&
           !strcmp(real_dir, real_want);
}

static int read_key(int fd, uid_t uid, char *buf, size_t len)
{
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != uid ||
        st.st_size <= 0 || (size_t)st.st_size >= len) {
        x2go_seterr("the key file is not a regular file of this user of a sane size");
        return -1;
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    if (strlen(buf) != got) {
        x2go_seterr("the key file holds NUL bytes");
        return -1;
    }
    return 0;
}

int x2go_keyfile_prepare(uid_t uid, const char *keyfile, const char *host, int port)
{
    static char text[X2GO_KEYFILE_MAX + 1];
    char ident_path[PATH_MAX], line[X2GO_KEYFILE_MAX + 300], *key, *ident;
    int fd = open(keyfile, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        x2go_seterr("cannot open the key file %s: %s", keyfile, strerror(errno));
        return -1;
    }
    int rc = read_key(fd, uid, text, sizeof text);
    close(fd);
    /* Both files are replaced by new 0600 ones, never written through a
     * name that could have become a link meanwhile. */
    if (rc < 0 || x2go_keyfile_split(text, &key, &ident) < 0 ||
        x2go_fmt(ident_path, sizeof ident_path, "%s.ident", keyfile) < 0 ||
        x2go_fmt(line, sizeof line, "[%s]:%d %s\n", host, port, ident) < 0 ||
        x2go_write_file_atomic(keyfile, key, strlen(key), 0600) < 0)
        return -1;
    return x2go_write_file_atomic(ident_path, line, strlen(line), 0600);
}

void x2go_keyfile_remove(const char *keyfile)
{
    char ident_path[PATH_MAX];
    unlink(keyfile);
    if (x2go_fmt(ident_path, sizeof ident_path, "%s.ident", keyfile) >= 0)
        unlink(ident_path);
}

/* Run argv; its exit status, or -1 if it did not finish in timeout_ms
 * (then its process group is killed). */
static int run_bounded(char *const argv[], int logfd, int timeout_ms)
{
    struct x2go_spawn_opts o = {.in_fd = -1, .out_fd = logfd, .err_fd = logfd,
                                .new_session = true};
    pid_t pid = x2go_spawn(argv[0], argv, &o);
    if (pid < 0)
        return -1;
    int st;
    if (x2go_wait_timeout(pid, timeout_ms, &st) < 0) {
        kill(-pid, SIGKILL);
        waitpid(pid, &st, 0);
        x2go_seterr("%s did not finish within %d s", argv[0], timeout_ms / 1000);
        return -1;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int x2go_sshfs_run(char *const argv[], int logfd, const char *mountpoint)
{
    int rc = run_bounded(argv, logfd, X2GO_SSHFS_TIMEOUT_MS);
    if (rc == 0 && x2go_is_mounted(mountpoint))
        return 0;
    if (rc > 0)
        x2go_seterr("sshfs exited with status %d", rc);
    return -1;
}

int x2go_fuse_unmount(const char *path)
{
    const char *fm = access("/usr/bin/fusermount3", X_OK) == 0 ? "/usr/bin/fusermount3"
                                                                : "/usr/bin/fusermount";
    char *const plain[] = {(char *)fm, "-u", "-q", (char *)path, NULL};
    char *const lazy[] = {(char *)fm, "-u", "-z", "-q", (char *)path, NULL};
    if (!x2go_is_mounted(path))
        return 0;
    run_bounded(plain, -1, X2GO_FUSERMOUNT_TIMEOUT_MS);
    /* Busy (a file open in the session) or its sshfs is gone: detach now
     * so no stale mount outlives the share. */
    if (x2go_is_mounted(path))
        run_bounded(lazy, -1, X2GO_FUSERMOUNT_TIMEOUT_MS);
    if (x2go_is_mounted(path)) {
        x2go_seterr("cannot unmount %s", path);
        return -1;
    }
    return 0;
}

void x2go_share_dirs_prune(const char *home, const char *top, const char *sid)
{
    static const struct { const char *dir; bool per_session; } order[] = {
        {"media/disk", false}, {"media/cd", false}, {"media/rm", false}, {"media", false},
        {"spool", true}, {"spool", false}, {"mimebox", true}, {"mimebox", false},
    };
    char p[PATH_MAX], link[PATH_MAX];
    for (size_t i = 0; i < X2GO_ARRAY_LEN(order); i++)
        if ((order[i].per_session ? x2go_fmt(p, sizeof p, "%s/%s/C-%s", top, order[i].dir, sid)
                                  : x2go_fmt(p, sizeof p, "%s/%s", top, order[i].dir)) >= 0)
            rmdir(p);
    struct stat st;
    if (x2go_fmt(p, sizeof p, "%s/media", top) >= 0 && lstat(p, &st) < 0 &&
        x2go_fmt(link, sizeof link, "%s/media", home) == 0 && lstat(link, &st) >= 0 &&
        S_ISLNK(st.st_mode))
        unlink(link);
}
