/* x2gomountdirs <type> <sid> <client_user> <keyfile> <dirspec...>: mount
 * the client's folders, print spool and MIME box over sshfs through the
 * port the client forwards (spec 2.3.1, client contract 2.10). stdout
 * keeps the reference's first lines: python-x2go counts a share as
 * mounted only when line 6 ends with "ok". */
#include "cmd.h"
#include "conf.h"
#include "dirspec.h"
#include "log.h"
#include "mount_util.h"
#include "mounts.h"
#include "mounts_fs.h"
#include "proc.h"
#include "sessfiles.h"
#include "shareicon.h"
#include "shareicon_fs.h"
#include "sid.h"
#include "util.h"
#include "validate.h"
#include "x2go-config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct job {
    struct x2go_ctx c;
    struct x2go_session s;
    struct x2go_dirspec d;
    bool folders;               /* type "dir" */
    char failed[X2GO_SHARE_PATH_MAX + 600]; /* the first share that failed, and why */
    const char *client_user, *keyfile, *iconv;
    char host[64], top[PATH_MAX], sessdir[PATH_MAX], opts[PATH_MAX * 2 + 200];
    int logfd;
};

static int bad(const char *what)
{
    return x2go_cmd_fail(2, "%s", what);
}

/* Later shares are still tried; the first failure is the one reported. */
static bool share_failed(struct job *j, const char *fmt, const char *path)
{
    x2go_log(LOG_ERR, "%s: share %s failed: %s", j->s.sid, path, x2go_err());
    if (!j->failed[0])
        snprintf(j->failed, sizeof j->failed, fmt, path, x2go_err());
    return false;
}

/* Everything from outside, before anything is printed or changed. */
static int check_args(struct job *j, int argc, char **argv)
{
    for (int i = 0; i < 4; i++)
        if (strlen(argv[i]) > PATH_MAX / 2 || !x2go_is_printable_ascii(argv[i]))
            return bad("argument too long or with control or non-ASCII characters");
    if (strlen(argv[0]) > 8 || strspn(argv[0], "abcdefghijklmnopqrstuvwxyz") != strlen(argv[0]) ||
        !argv[0][0])
        return bad("malformed share type (dir or rem)");
    j->folders = !strcmp(argv[0], "dir");
    if (!x2go_sid_valid(argv[1]))
        return bad("malformed session id");
    if (!x2go_client_user_valid(argv[2]))
        return bad("malformed client user name");
    j->client_user = argv[2];
    j->keyfile = argv[3];
    if (x2go_dirspec_parse(argc - 4, argv + 4, &j->d) < 0)
        return bad(x2go_err());
    j->iconv = getenv("X2GO_ICONV");
    if (j->iconv && *j->iconv && !x2go_iconv_valid(j->iconv))
        return bad("malformed X2GO_ICONV (modules=iconv,from_code=<enc>,to_code=<enc>)");
    if (j->d.reverse)
        snprintf(j->host, sizeof j->host, "127.0.0.1");
    else {
        const char *sc = getenv("SSH_CLIENT");
        size_t n = sc ? strcspn(sc, " ") : 0;
        if (n == 0 || n >= sizeof j->host)
            return bad("no __REVERSESSH_PORT__ given and no SSH_CLIENT to connect back to");
        memcpy(j->host, sc, n);
        j->host[n] = '\0';
        if (!x2go_valid_ip(j->host))
            return bad("SSH_CLIENT does not start with an IP address");
    }
    return 0;
}

/* The sshfs options that do not depend on the share. */
static int build_opts(struct job *j)
{
    const char *um = NULL;
    char umaskopt[32] = "default_permissions";
    if (x2go_conf_str("security", "umask", NULL, &um) < 0)
        return -1;
    if (um && *um) {
        if (strlen(um) > 4 || strspn(um, "01234567") != strlen(um)) {
            x2go_seterr("[security] umask must be octal digits");
            return -1;
        }
        snprintf(umaskopt, sizeof umaskopt, "umask=%s", um);
    }
    return x2go_fmt(j->opts, sizeof j->opts,
                    "idmap=user,uid=%u,gid=%u,%s,ServerAliveInterval=300,IdentityFile=%s,"
                    "UserKnownHostsFile=%s.ident",
                    (unsigned)getuid(), (unsigned)getgid(), umaskopt, j->keyfile, j->keyfile);
}

static void print_line(FILE *out, char *const argv[])
{
    fputs("inserted, timeout 30", out);
    for (int i = 0; argv[i]; i++)
        fprintf(out, " %s", argv[i]);
    fputc('\n', out);
}

/* sshfs for one share; 0 when mounted. */
static int sshfs(struct job *j, const char *path, const char *mp, FILE *out)
{
    char remote[X2GO_SHARE_PATH_MAX + 200], port[8];
    if (x2go_fmt(remote, sizeof remote, "%s@%s:%s", j->client_user, j->host, path) < 0)
        return -1;
    snprintf(port, sizeof port, "%d", j->d.port);
    /* python-x2go's SFTP server signs with ssh-rsa only, which OpenSSH 9
     * refuses by default: allowed for this one connection. The user's
     * ssh config is not read (a hardened one breaks the client's keys). */
    char *argv[32];
    int n = 0;
    argv[n++] = X2GO_SSHFS;
    if (j->iconv && *j->iconv) {
        argv[n++] = "-o";
        argv[n++] = (char *)j->iconv;
    }
    char *const rest[] = {"-o", j->opts, "-o", "HostKeyAlgorithms=+ssh-rsa", "-o",
                          "PubkeyAcceptedKeyTypes=+ssh-rsa", "-o", "StrictHostKeyChecking=yes",
                          "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-F", "/dev/null",
                          remote, (char *)mp, "-p", port, NULL};
    for (size_t i = 0; i < X2GO_ARRAY_LEN(rest); i++)
        argv[n++] = rest[i];
    print_line(out, argv);
    return x2go_sshfs_run(argv, j->logfd, mp);
}

/* A desktop binding another package provides (x2gofeature answers). */
static bool feature_on(const char *name)
{
    char o[64], e[64];
    char *const argv[] = {"x2gofeature", (char *)name, NULL};
    return x2go_run_capture(X2GO_PREFIX "/bin/x2gofeature", argv, NULL, o, sizeof o, e,
                            sizeof e) == 0;
}

/* The desktop icon of a mounted folder, for the desktop's file manager
 * (x2gofm); a failure is logged, the share stays. */
static void desktop_icon(struct job *j, const struct x2go_share *sh, const char *mp, FILE *out)
{
    unsigned have = X2GO_ICON_FM, want = x2go_icon_features_wanted(j->s.sid);
    for (unsigned i = 0; i < 3; i++)
        if ((want & (1u << i)) && feature_on(x2go_icon_features[i]))
            have |= 1u << i;
    const char *suffix = x2go_icon_suffix(j->s.sid, have);
    char desk[PATH_MAX], name[300];
    if (sh->kind != X2GO_SHARE_FOLDER || !suffix || x2go_plasmoid_stamp_fresh(j->top, j->s.sid) ||
        x2go_desktop_dir(j->c.home, desk, sizeof desk) < 0 ||
        x2go_icon_name(sh->path, j->folders, suffix, name, sizeof name) < 0)
        return;
    fprintf(out, "fname: %s/%s\n", desk, name);
    if (x2go_icon_write(desk, name, mp, j->s.sid) < 0)
        x2go_log(LOG_INFO, "%s: %s", j->s.sid, x2go_err());
}

/* One share; true when mounted. */
static bool mount_one(struct job *j, const struct x2go_share *sh, FILE *out)
{
    char rel[PATH_MAX], mp[PATH_MAX];
    if (x2go_share_mountpoint(sh, j->folders, j->s.sid, rel, sizeof rel) < 0 ||
        x2go_fmt(mp, sizeof mp, "%s/%s", j->top, rel) < 0 || !x2go_mount_path_valid(j->c.user, mp))
        return share_failed(j, "mounting of %s failed: no usable mount point (%s)", sh->path);
    if (x2go_is_mounted(mp))
        x2go_seterr("%s is mounted already", mp);
    if (x2go_is_mounted(mp) || x2go_dir_ensure(mp, j->c.uid) < 0 ||
        j->c.st->ops->mount_add(j->c.st, j->s.sid, mp, j->host) != 0)
        return share_failed(j, "insertion of %s failed (already mounted?), not mounting: %s",
                            sh->path);
    if (sshfs(j, sh->path, mp, out) == 0) {
        fprintf(out, "mount %s ok\n", sh->path);
        desktop_icon(j, sh, mp, out);
        x2go_log(LOG_NOTICE, "%s: mounted %s on %s", j->s.sid, sh->path, mp);
        return true;
    }
    share_failed(j, "mounting of %s failed: %s (see ~/.x2go/C-<sid>/sshfs-mounts.log)", sh->path);
    j->c.st->ops->mount_del(j->c.st, j->s.sid, mp);
    x2go_fuse_unmount(mp);
    rmdir(mp);
    return false;
}

/* Directories, links, key; then each share. The exit status. */
static int mount_all(struct job *j, FILE *out)
{
    if (x2go_tmpdir_ensure(j->c.user, j->c.uid, j->top, sizeof j->top) < 0 ||
        x2go_share_dirs_ensure(j->top, j->c.uid, j->s.sid) < 0 ||
        x2go_sessdir_open(j->c.user, j->c.uid, j->s.sid, j->sessdir, sizeof j->sessdir) < 0 ||
        x2go_share_links(j->c.home, j->sessdir, j->top, j->s.sid) < 0 ||
        x2go_keyfile_prepare(j->c.uid, j->keyfile, j->host, j->d.port) < 0 || build_opts(j) < 0)
        return -1;
    char log[PATH_MAX];
    j->logfd = x2go_fmt(log, sizeof log, "%s/sshfs-mounts.log", j->sessdir) < 0 ? -1
             : open(log, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    int failed = 0;
    for (size_t i = 0; i < j->d.n; i++)
        failed += !mount_one(j, &j->d.shares[i], out);
    if (j->logfd >= 0)
        close(j->logfd);
    return failed ? 1 : 0;
}

static int mount_session(struct job *j, FILE *out)
{
    if (!x2go_keyfile_path_ok(j->c.home, j->keyfile))
        return bad("the key file must be a file in ~/.x2go/ssh");
    if (access(X2GO_SSHFS, X_OK) < 0) {
        /* The reference's message, exit 0 (clients show stdout). */
        fputs("the sshfs command is not installed on this X2Go Server, cannot share "
              "client-side folders\n", out);
        return 0;
    }
    fprintf(out, "dirs:%s\nssh port:%d\nHost:%s\nUser:%s\n", j->d.joined, j->d.port, j->host,
            j->client_user);
    if (access("/dev/fuse", R_OK | W_OK) < 0)
        return x2go_cmd_fail(1, "cannot use /dev/fuse: %s (Debian's fuse3 udev rule makes it "
                                "mode 0666)", strerror(errno));
    int rc = mount_all(j, out);
    if (rc < 0)
        return x2go_cmd_error(1);
    return rc ? x2go_cmd_fail(1, "%s", j->failed) : 0;
}

static int run_mountdirs(int argc, char **argv, FILE *out)
{
    static struct job j;
    char home[PATH_MAX];
    memset(&j, 0, sizeof j);
    j.logfd = -1;
    bool own_key = x2go_home(home, sizeof home) == 0 && x2go_keyfile_path_ok(home, argv[3]);
    int rc = check_args(&j, argc, argv);
    if (rc == 0 && (rc = x2go_share_session(&j.c, argv[1], &j.s)) != 0)
        rc = x2go_cmd_error(rc);
    else if (rc == 0 && j.c.uid != getuid()) {
        /* Root on another user's session would create and link through
         * the user's directories with root's rights: the client always
         * runs this as the session's user. */
        x2go_ctx_close(&j.c);
        rc = x2go_cmd_fail(1, "session %s belongs to %s: run it as that user",
                           j.s.sid, j.c.user);
    } else if (rc == 0) {
        rc = mount_session(&j, out);
        x2go_ctx_close(&j.c);
    }
    /* The key never outlives the call, whatever happened. */
    if (own_key)
        x2go_keyfile_remove(argv[3]);
    return rc;
}

/* Paths may be UTF-8 and come as several words: checked here. */
X2GO_COMMAND_ARGS(mountdirs, X2GO_ARGS_FREE, "x2gomountdirs", X2GO_BIN,
                  "<dir|rem> <session id> <client user> <key file> <folder spec...>", 5, -1,
                  X2GO_CMD_KEEP_OUTPUT, run_mountdirs);
