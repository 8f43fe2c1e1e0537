/* What x2gocleansessions does outside the database: logging, children
 * run as a session user, and removing the leftovers of dead sessions. */
#include "daemon.h"
#include "agent.h"
#include "log.h"
#include "proc.h"
#include "sessfiles.h"
#include "util.h"
#include "x2go-config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define CHILD_TIMEOUT_MS 30000

/* ---- clock and log ---------------------------------------------------- */

/* The logger's mode, set once at start-up: process-wide like syslog's own
 * state, so every part of the daemon logs without carrying the daemon. */
static bool log_debug;

void dm_log_init(bool debug)
{
    log_debug = debug;
    if (debug)
        openlog(x2go_progname(), LOG_PID, LOG_USER);
}

static const char *level_name(int prio)
{
    static const char *const n[] = {"emerg", "alert", "crit", "err",
                                    "warning", "notice", "info", "debug"};
    return prio >= 0 && prio < 8 ? n[prio] : "debug";
}

void dm_log(int prio, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!log_debug) {
        x2go_log(prio, "%s", msg); /* masked by [log] loglevel */
        return;
    }
    /* --debug forces the mask to debug, like the reference. */
    char esc[2048], ts[64];
    x2go_log_escape(msg, esc, sizeof esc);
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(ts, sizeof ts, "%a %b %e %H:%M:%S %Y", &tm);
    printf("%s ::: %s ::: %s\n", ts, level_name(prio), esc);
    fflush(stdout);
    syslog(prio, "%s", esc);
}

/* ---- users ------------------------------------------------------------ */

int dm_user_lookup(const char *name, struct dm_user *out)
{
    if (!x2go_username_valid(name))
        return -1;
    struct passwd *pw = getpwnam(name);
    if (!pw || pw->pw_uid == 0)
        return -1;
    snprintf(out->name, sizeof out->name, "%s", name);
    out->uid = pw->pw_uid;
    out->gid = pw->pw_gid;
    if (x2go_strlcpy(out->home, pw->pw_dir ? pw->pw_dir : "/", sizeof out->home) < 0 ||
        out->home[0] != '/')
        snprintf(out->home, sizeof out->home, "/");
    return 0;
}

/* ---- children --------------------------------------------------------- */

int dm_children_count(const struct dm_children *k)
{
    int n = 0;
    for (int i = 0; i < DM_MAX_CHILDREN; i++)
        n += k->c[i].pid > 0;
    return n;
}

bool dm_child_running(const struct dm_children *k, pid_t pid)
{
    for (int i = 0; pid > 0 && i < DM_MAX_CHILDREN; i++)
        if (k->c[i].pid == pid)
            return true;
    return false;
}

static struct dm_child *child_slot(struct dm_children *k)
{
    for (int i = 0; i < DM_MAX_CHILDREN; i++)
        if (k->c[i].pid <= 0)
            return &k->c[i];
    return NULL;
}

void dm_children_reap(struct dm_children *k)
{
    for (int guard = 0; guard < 4 * DM_MAX_CHILDREN; guard++) {
        int st;
        pid_t pid = waitpid(-1, &st, WNOHANG);
        if (pid <= 0)
            return;
        for (int i = 0; i < DM_MAX_CHILDREN; i++) {
            struct dm_child *c = &k->c[i];
            if (c->pid != pid)
                continue;
            char esc[1100];
            x2go_log_escape(c->sid, esc, sizeof esc);
            if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                dm_log(LOG_DEBUG, "%s: %s finished", esc, c->what);
            else if (WIFEXITED(st))
                dm_log(LOG_NOTICE, "%s: %s exited with status %d", esc, c->what,
                       WEXITSTATUS(st));
            else
                dm_log(LOG_NOTICE, "%s: %s killed by signal %d", esc, c->what,
                       WIFSIGNALED(st) ? WTERMSIG(st) : 0);
            c->pid = 0;
        }
    }
}

void dm_children_timeouts(struct dm_children *k, int64_t now)
{
    for (int i = 0; i < DM_MAX_CHILDREN; i++) {
        struct dm_child *c = &k->c[i];
        if (c->pid > 0 && !c->killed && now >= c->deadline) {
            char esc[1100];
            dm_log(LOG_WARNING, "%s: %s did not finish in time, killing it",
                   x2go_log_escape(c->sid, esc, sizeof esc), c->what);
            kill(-c->pid, SIGKILL); /* its own session: the whole group */
            kill(c->pid, SIGKILL);
            c->killed = true;
        }
    }
}

int64_t dm_children_next_deadline(const struct dm_children *k)
{
    int64_t next = 0;
    for (int i = 0; i < DM_MAX_CHILDREN; i++) {
        const struct dm_child *c = &k->c[i];
        if (c->pid > 0 && !c->killed && (!next || c->deadline < next))
            next = c->deadline;
    }
    return next;
}

/* In the child: a clean process as the user, or _exit. Its stdout goes
 * to out_fd (-1: /dev/null). */
static void become_user(const struct dm_user *u, int out_fd)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
    setsid();
    int fd = open("/dev/null", O_RDWR);
    if (fd < 0)
        _exit(126);
    dup2(fd, 0);
    dup2(out_fd >= 0 ? out_fd : fd, 1);
    dup2(fd, 2);
    if (fd > 2)
        close(fd);
    closefrom(3);
    if (initgroups(u->name, u->gid) < 0 || setgid(u->gid) < 0 || setuid(u->uid) < 0)
        _exit(126);
    if (setuid(0) == 0 || getuid() != u->uid || geteuid() != u->uid)
        _exit(126);
    if (chdir(u->home) < 0 && chdir("/") < 0)
        _exit(126);
    umask(077);
}

/* The user's environment, and up to two more variables (NULL: none). */
static void user_env(const struct dm_user *u, char env[4][600], char *envp[7],
                     char *extra1, char *extra2)
{
    snprintf(env[0], sizeof env[0], "HOME=%s", u->home);
    snprintf(env[1], sizeof env[1], "USER=%s", u->name);
    snprintf(env[2], sizeof env[2], "LOGNAME=%s", u->name);
    snprintf(env[3], sizeof env[3], "PATH=/usr/local/bin:/usr/bin:/bin");
    for (int i = 0; i < 4; i++)
        envp[i] = env[i];
    envp[4] = extra1;
    envp[5] = extra1 ? extra2 : NULL;
    envp[6] = NULL;
}

static pid_t start_child(struct dm_children *k, const char *sid, const char *what,
                         int64_t timeout_ms)
{
    struct dm_child *c = child_slot(k);
    if (!c) {
        x2go_seterr("too many running children");
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        x2go_seterr("fork: %s", strerror(errno));
        return -1;
    }
    if (pid > 0) {
        c->pid = pid;
        c->killed = false;
        c->deadline = x2go_now_ms() + timeout_ms;
        snprintf(c->what, sizeof c->what, "%s", what);
        snprintf(c->sid, sizeof c->sid, "%s", sid);
    }
    return pid;
}

pid_t dm_fork_as_user(struct dm_children *k, const struct dm_user *u, const char *sid,
                      const char *what, int out_fd, int64_t timeout_ms)
{
    pid_t pid = start_child(k, sid, what, timeout_ms ? timeout_ms : CHILD_TIMEOUT_MS);
    if (pid == 0)
        become_user(u, out_fd);
    return pid;
}

void dm_exec_as_user(const struct dm_user *u, char *const argv[], char *extra1, char *extra2)
{
    char env[4][600], *envp[7];
    user_env(u, env, envp, extra1, extra2);
    execve(argv[0], argv, envp);
    _exit(127);
}

pid_t dm_run_as_user(struct dm_children *k, const struct dm_user *u, const char *sid,
                     const char *what, char *const *const argvs[], int n)
{
    pid_t pid = dm_fork_as_user(k, u, sid, what, -1, 0);
    if (pid != 0)
        return pid;
    if (n == 1)
        dm_exec_as_user(u, argvs[0], NULL, NULL);
    /* Several programs in order: this child waits for each. */
    for (int i = 0; i < n; i++) {
        pid_t p = fork();
        if (p == 0)
            dm_exec_as_user(u, argvs[i], NULL, NULL);
        int st;
        while (p > 0 && waitpid(p, &st, 0) < 0 && errno == EINTR)
            ;
    }
    _exit(0);
}

/* ---- removing session files ------------------------------------------- */

pid_t dm_remove_files_as_user(struct dm_children *k, const struct dm_user *u, const char *sid)
{
    pid_t pid = dm_fork_as_user(k, u, sid, "removing the session files", -1, 0);
    if (pid != 0)
        return pid;
    /* The user's empty tmp dir stays: a start may be about to use it. */
    _exit(x2go_sessfiles_remove(u->home, u->name, u->uid, sid, false) == 0 ? 0 : 1);
}

/* ---- stale X11 files -------------------------------------------------- */

/* Somebody accepts connections on this socket (or we cannot tell). */
static bool socket_in_use(const char *path)
{
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0)
        return true;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    int rc = connect(s, (struct sockaddr *)&a, sizeof a);
    int err = errno;
    close(s);
    if (rc == 0)
        return true;
    return !(err == ECONNREFUSED || err == ENOENT);
}

void dm_x11_cleanup(const char *sid, long pid, int display, uid_t uid)
{
    if (display <= 0 || display > 59535)
        return;
    char lock[64], sock[64], buf[64], esc[1100];
    snprintf(lock, sizeof lock, "/tmp/.X%d-lock", display);
    snprintf(sock, sizeof sock, "/tmp/.X11-unix/X%d", display);
    x2go_log_escape(sid, esc, sizeof esc);
    if (x2go_read_file(lock, buf, sizeof buf) > 0) {
        long holder = strtol(buf + strspn(buf, " \t"), NULL, 10);
        if (holder > 0 && x2go_pid_exists((pid_t)holder)) {
            dm_log(LOG_DEBUG, "%s: display :%d is held by live process %ld, "
                   "leaving its X11 files alone", esc, display, holder);
            return;
        }
        /* The lock still names the dead agent, so no other X server took the
         * display since: what still carries X2GO-<sid> is the agent's own
         * forked helper, which keeps the socket open. (A new session that
         * reused the id would have replaced the lock.) */
        if (holder == pid && uid != (uid_t)-1 &&
            x2go_signal_session_procs(sid, uid, SIGKILL) > 0) {
            dm_log(LOG_WARNING, "%s: killed the leftover processes of agent %ld", esc, pid);
            usleep(100 * 1000);
        }
    }
    struct stat st;
    if (lstat(sock, &st) == 0 && S_ISSOCK(st.st_mode)) {
        if (socket_in_use(sock)) {
            dm_log(LOG_DEBUG, "%s: %s is in use, leaving it alone", esc, sock);
            return;
        }
        dm_log(LOG_WARNING, "%s, pid %ld: cleaning up stale X11 socket file: %s", esc, pid,
               sock);
        unlink(sock);
    }
    if (lstat(lock, &st) == 0 && S_ISREG(st.st_mode)) {
        dm_log(LOG_WARNING, "%s, pid %ld: cleaning up stale X11 lock file: %s", esc, pid,
               lock);
        unlink(lock);
    }
}
