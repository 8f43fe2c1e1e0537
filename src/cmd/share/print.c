/* x2goprint <user> <sid> <pdf> <title file> (root; cups-x2go runs it,
 * directly or through sudo): deliver a print job from /var/spool/x2goprint
 * to the client's mounted spool as <pdf> + <pdf>.ready (spec 2.4), and
 * x2goprint <user>: that user's session list for cups-x2go.
 *
 * Root only reads the spool (files opened without following links, owned
 * by root or the spool's owner, one link). Everything in the user's
 * directories is done by a child that has become the user, so a link the
 * user planted there can reach nothing the user could not write anyway,
 * and the user's FUSE mount (no allow_other) is reachable at all. */
#include "agent.h"
#include "cmd.h"
#include "log.h"
#include "mounts.h"
#include "printspool.h"
#include "proc.h"
#include "sid.h"
#include "store.h"
#include "util.h"
#include "x2go-config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define AS_USER_TIMEOUT_MS 60000
#define NOT_MOUNTED 3

struct job {
    struct passwd pw;
    char pwbuf[4096];
    const char *sid, *pdf;
    char title[X2GO_PRINT_TITLE_MAX + 1];
    int spool, pdf_fd;
};

static int find_user(struct job *j, const char *user)
{
    struct passwd *res = NULL;
    if (!x2go_username_valid(user) ||
        getpwnam_r(user, &j->pw, j->pwbuf, sizeof j->pwbuf, &res) != 0 || !res ||
        j->pw.pw_uid == 0)
        return x2go_cmd_fail(1, "no such user: %.100s", user);
    return 0;
}

/* fn(j) in a child that is the user; its exit status, or -1. */
static int as_user(struct job *j, int (*fn)(struct job *))
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (x2go_become_user(j->pw.pw_name, j->pw.pw_uid, j->pw.pw_gid) < 0)
            _exit(125);
        _exit(fn(j));
    }
    int st;
    if (x2go_wait_timeout(pid, AS_USER_TIMEOUT_MS, &st) < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        return -1;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int list_sessions(struct job *j)
{
    char home[PATH_MAX + 8], user[128], logname[136];
    snprintf(home, sizeof home, "HOME=%s", j->pw.pw_dir);
    snprintf(user, sizeof user, "USER=%s", j->pw.pw_name);
    snprintf(logname, sizeof logname, "LOGNAME=%s", j->pw.pw_name);
    char *const envp[] = {"PATH=/usr/bin:/bin", home, user, logname, NULL};
    char *const argv[] = {"x2golistsessions", "--all-servers", NULL};
    execve(X2GO_PREFIX "/bin/x2golistsessions", argv, envp);
    return 127;
}

/* A spool file: regular, one link, owned by root or the spool's owner. */
static int open_spool_file(int spool, const char *name, const char *what)
{
    struct stat sd, st;
    int fd = openat(spool, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return x2go_cmd_fail(-1, "%s %s in %s: %s", what, name, X2GO_PRINT_SPOOL,
                             errno == ELOOP ? "is a symbolic link" : strerror(errno));
    if (fstat(spool, &sd) < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
        st.st_nlink != 1 || (st.st_uid != 0 && st.st_uid != sd.st_uid)) {
        close(fd);
        return x2go_cmd_fail(-1, "%s %s is not a plain file of the print spool", what, name);
    }
    return fd;
}

static int read_title(struct job *j, const char *name)
{
    char buf[4096];
    int fd = open_spool_file(j->spool, name, "title file");
    if (fd < 0)
        return 1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    x2go_print_title(buf, j->title, sizeof j->title);
    return 0;
}

static int write_at(int dir, const char *name, int from_fd, const char *text)
{
    unlinkat(dir, name, 0);
    int fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    char buf[65536];
    ssize_t n;
    int rc = 0;
    if (text)
        rc = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
    else if (lseek(from_fd, 0, SEEK_SET) < 0)
        rc = -1;
    while (!text && rc == 0 && (n = read(from_fd, buf, sizeof buf)) != 0)
        rc = n < 0 || write(fd, buf, (size_t)n) != n ? -1 : 0;
    if (close(fd) < 0)
        rc = -1;
    return rc;
}

/* As the user: the PDF, then its .ready file, each written under a name
 * the client ignores and renamed into place. */
static int deliver(struct job *j)
{
    char top[PATH_MAX], dir[PATH_MAX], tmp[PATH_MAX], ready[PATH_MAX], text[1024];
    if (x2go_user_tmpdir(top, sizeof top, j->pw.pw_name) < 0 ||
        x2go_fmt(dir, sizeof dir, "%s/spool/C-%s", top, j->sid) < 0)
        return 1;
    if (!x2go_is_mounted(dir))
        return NOT_MOUNTED;
    int d = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (d < 0 || x2go_fmt(tmp, sizeof tmp, "%s.part", j->pdf) < 0 ||
        x2go_fmt(ready, sizeof ready, "%s.ready", j->pdf) < 0 ||
        x2go_print_ready_text(j->pdf, j->title, text, sizeof text) < 0)
        return 1;
    int rc = write_at(d, tmp, j->pdf_fd, NULL) == 0 && renameat(d, tmp, d, j->pdf) == 0 &&
             write_at(d, tmp, -1, text) == 0 && renameat(d, tmp, d, ready) == 0 ? 0 : 1;
    if (rc)
        unlinkat(d, tmp, 0);
    close(d);
    return rc;
}

/* The session must be the user's; the files must be the spool's. */
static int check_job(struct job *j, char **argv)
{
    int rc = find_user(j, argv[0]);
    if (rc)
        return rc;
    j->sid = argv[1];
    j->pdf = argv[2];
    if (!x2go_sid_valid(j->sid))
        return x2go_cmd_fail(1, "malformed session id");
    if (!x2go_print_name_valid(j->pdf) || !x2go_print_name_valid(argv[3]))
        return x2go_cmd_fail(1, "print job and title must be plain file names in %s",
                             X2GO_PRINT_SPOOL);
    struct x2go_store *st = x2go_store_open();
    struct x2go_session s;
    rc = st ? st->ops->get(st, j->sid, &s) : -1;
    x2go_store_close(st);
    if (rc < 0)
        return x2go_cmd_error(1);
    if (rc != 0 || strcmp(s.uname, j->pw.pw_name) != 0)
        return x2go_cmd_fail(1, "%s is not a session of %s", j->sid, j->pw.pw_name);
    j->spool = open(X2GO_PRINT_SPOOL, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (j->spool < 0)
        return x2go_cmd_fail(1, "cannot open %s: %s", X2GO_PRINT_SPOOL, strerror(errno));
    j->pdf_fd = open_spool_file(j->spool, j->pdf, "print job");
    return j->pdf_fd < 0 ? 1 : read_title(j, argv[3]);
}

static int print_job(struct job *j, char **argv)
{
    int rc = check_job(j, argv);
    if (rc)
        return rc;
    unlinkat(j->spool, argv[3], 0);
    rc = as_user(j, deliver);
    /* Delivered, or no spool to deliver to: the job leaves the spool. */
    unlinkat(j->spool, j->pdf, 0);
    if (rc == NOT_MOUNTED) {
        x2go_log(LOG_NOTICE, "%s: print job %s dropped: the client has no spool mounted",
                 j->sid, j->pdf);
        return 0;
    }
    if (rc != 0)
        return x2go_cmd_fail(1, "cannot deliver %s to the spool of session %s", j->pdf, j->sid);
    x2go_log(LOG_NOTICE, "%s: print job %s (%s) delivered", j->sid, j->pdf, j->title);
    return 0;
}

static int run_print(int argc, char **argv, FILE *out)
{
    (void)out;
    static struct job j;
    memset(&j, 0, sizeof j);
    j.spool = j.pdf_fd = -1;
    int rc;
    if (argc == 1) {
        rc = find_user(&j, argv[0]);
        if (rc == 0 && (rc = as_user(&j, list_sessions)) != 0)
            rc = x2go_cmd_fail(1, "listing the sessions of %s failed", argv[0]);
    } else if (argc == 4)
        rc = print_job(&j, argv);
    else
        rc = x2go_cmd_fail(1, "usage: x2goprint <user> <session> <file> <title file> | "
                              "x2goprint <user>");
    if (j.pdf_fd >= 0)
        close(j.pdf_fd);
    if (j.spool >= 0)
        close(j.spool);
    return rc;
}

X2GO_COMMAND(print, "x2goprint", X2GO_BIN, "<user> [<session> <file> <title file>]", 1, 4,
             X2GO_CMD_ROOT, run_print);
