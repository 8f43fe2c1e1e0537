/* x2goumount-session [<sid> [<client path>]] (and x2goumount_session,
 * which some x2goclient versions call): unmount the session's shares,
 * drop their rows and the empty share directories (spec 2.3.2). Silent
 * on success: python-x2go takes any stderr as failure. Also run by
 * suspend, terminate and the clean-up daemon (as the session user). */
#include "cmd.h"
#include "dirspec.h"
#include "log.h"
#include "mount_util.h"
#include "mounts.h"
#include "mounts_fs.h"
#include "proc.h"
#include "shareicon_fs.h"
#include "util.h"
#include "x2go-config.h"

#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* fusermount's two tries per share, for a handful of shares */
#define AS_OWNER_TIMEOUT_MS 60000

/* The mount point a client path names: a path in the user's media dir as
 * it is, else media/disk/<mangled>. */
static int target_of(const char *top, const char *client_path, char *out, size_t len)
{
    char media[PATH_MAX], name[X2GO_MANGLED_MAX + 1];
    if (!x2go_text_clean_utf8(client_path) || strlen(client_path) > X2GO_SHARE_PATH_MAX) {
        x2go_seterr("malformed client path (control characters, invalid UTF-8 or too long)");
        return -1;
    }
    if (x2go_fmt(media, sizeof media, "%s/media/", top) < 0)
        return -1;
    if (!strncmp(client_path, media, strlen(media)))
        return x2go_strlcpy(out, client_path, len);
    if (x2go_share_mangle_client(client_path, name, sizeof name) < 0)
        return -1;
    return x2go_fmt(out, len, "%s/media/disk/%s", top, name);
}

/* Unmount one row's path (only paths of the caller's share dirs); the
 * row goes whatever happens, so nothing stale blocks a later mount. */
static int drop_share(struct x2go_ctx *c, const char *sid, const char *path)
{
    int rc = 0;
    if (x2go_mount_path_valid(c->user, path)) {
        rc = x2go_fuse_unmount(path);
        if (rc == 0)
            rmdir(path);
        char desk[PATH_MAX];
        if (x2go_desktop_dir(c->home, desk, sizeof desk) == 0)
            x2go_icons_remove(desk, path, sid);
    }
    if (c->st->ops->mount_del(c->st, sid, path) < 0)
        rc = -1;
    if (rc == 0)
        x2go_log(LOG_NOTICE, "%s: unmounted %s", sid, path);
    return rc;
}

/* Spool and MIME box mount points of sid even without a row (a row lost
 * to a crash must not leave a mount behind). */
static int drop_spools(const char *top, const char *sid)
{
    static const char *const dirs[] = {"spool", "mimebox"};
    char p[PATH_MAX];
    int rc = 0;
    for (size_t i = 0; i < X2GO_ARRAY_LEN(dirs); i++)
        if (x2go_fmt(p, sizeof p, "%s/%s/C-%s", top, dirs[i], sid) >= 0 &&
            x2go_fuse_unmount(p) < 0)
            rc = -1;
    return rc;
}

static int umount_rows(struct x2go_ctx *c, const char *sid, const char *top, const char *only)
{
    char *rows = NULL, *save = NULL;
    if (c->st->ops->mount_list(c->st, sid, &rows) != 0)
        return -1;
    int rc = 0;
    for (char *l = strtok_r(rows, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *path = strchr(l, '|');
        if (path && (!only || !strcmp(path + 1, only)) && drop_share(c, sid, path + 1) < 0)
            rc = -1;
    }
    free(rows);
    if (!only && drop_spools(top, sid) < 0)
        rc = -1;
    return rc;
}

/* Root cleaning up another user's shares (x2goterminate-session run by an
 * administrator, say): the work is done by ourselves run as the owner,
 * so that no link the owner planted is ever followed with root's rights.
 * The owner's exit status (it said what went wrong), or -1 with the
 * error set. */
static int as_owner(const struct x2go_ctx *c, const char *sid, const char *only)
{
    struct passwd *pw = getpwnam(c->user);
    if (!pw || pw->pw_uid != c->uid) {
        x2go_seterr("cannot become the owner %s of session %s", c->user, sid);
        return -1;
    }
    char home[PATH_MAX + 8], user[128], logname[136];
    snprintf(home, sizeof home, "HOME=%s", pw->pw_dir);
    snprintf(user, sizeof user, "USER=%s", pw->pw_name);
    snprintf(logname, sizeof logname, "LOGNAME=%s", pw->pw_name);
    char *const envp[] = {"PATH=/usr/bin:/bin", home, user, logname, NULL};
    char *const argv[] = {X2GO_PREFIX "/bin/x2goumount-session", (char *)sid, (char *)only,
                          NULL};
    x2go_cloexec_from(3);
    pid_t pid = fork();
    if (pid == 0) {
        if (x2go_become_user(pw->pw_name, pw->pw_uid, pw->pw_gid) < 0 || chdir("/") < 0)
            _exit(125);
        execve(argv[0], argv, envp);
        _exit(127);
    }
    int st;
    if (pid < 0 || x2go_wait_timeout(pid, AS_OWNER_TIMEOUT_MS, &st) < 0) {
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
        }
        x2go_seterr("unmounting the shares of %s as %s failed", sid, pw->pw_name);
        return -1;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static int run_umount(int argc, char **argv, FILE *out)
{
    (void)out;
    struct x2go_ctx c;
    struct x2go_session s;
    char top[PATH_MAX], only[PATH_MAX];
    int rc = x2go_share_session(&c, argc > 0 ? argv[0] : NULL, &s);
    if (rc)
        return x2go_cmd_error(rc);
    if (c.uid != getuid()) {
        x2go_ctx_close(&c);
        rc = as_owner(&c, s.sid, argc > 1 ? argv[1] : NULL);
        return rc < 0 ? x2go_cmd_error(1) : rc;
    }
    if (x2go_share_top(&c, top, sizeof top) < 0) {
        /* No share directory: nothing can be mounted, but rows may be. */
        rc = c.st->ops->mount_del(c.st, s.sid, NULL) < 0 ? -1 : 0;
        x2go_ctx_close(&c);
        return rc < 0 ? x2go_cmd_error(1) : 0;
    }
    if (argc > 1 && target_of(top, argv[1], only, sizeof only) < 0)
        rc = 2;
    else if (umount_rows(&c, s.sid, top, argc > 1 ? only : NULL) < 0)
        rc = 1;
    if (rc == 0)
        x2go_share_dirs_prune(c.home, top, s.sid);
    x2go_ctx_close(&c);
    return rc ? x2go_cmd_error(rc) : 0;
}

/* The client path may be UTF-8: checked here. */
X2GO_COMMAND_ARGS(umount, X2GO_ARGS_FREE, "x2goumount-session", X2GO_BIN,
                  "[<session id> [<client path>]]", 0, 2, 0, run_umount);
X2GO_COMMAND_ARGS(umount_alias, X2GO_ARGS_FREE, "x2goumount_session", X2GO_BIN,
                  "[<session id> [<client path>]]", 0, 2, 0, run_umount);
