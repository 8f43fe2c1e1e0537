#include "sessctl.h"
#include "hooks.h"
#include "log.h"
#include "proc.h"
#include "sessfiles.h"
#include "util.h"
#include "x2go-config.h"

#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SUSPEND_WAIT_MS 5000
#define TERMINATE_WAIT_MS 3000
#define SHARING_HELPER_MS 5000

int x2go_ctx_open(struct x2go_ctx *c)
{
    memset(c, 0, sizeof *c);
    c->uid = getuid();
    if (x2go_caller_name(c->user, sizeof c->user) < 0 || x2go_home(c->home, sizeof c->home) < 0 ||
        x2go_hostname(c->host, sizeof c->host) < 0)
        return -1;
    c->st = x2go_store_open();
    return c->st ? 0 : -1;
}

void x2go_ctx_close(struct x2go_ctx *c)
{
    x2go_store_close(c->st);
    c->st = NULL;
}

int x2go_ctx_session(struct x2go_ctx *c, const char *sid, struct x2go_session *s)
{
    if (x2go_sid_parse(sid, NULL) < 0)
        return 2;
    int rc = c->st->ops->get(c->st, sid, s);
    if (rc == 1)
        x2go_seterr("no session %s of user %s (see x2golistsessions)", sid, c->user);
    if (rc != 0)
        return 1;
    /* Root acting on another user's session (the clean-up daemon runs us
     * as the user, but an administrator may not): use the owner's files. */
    if (c->uid == 0 && strcmp(s->uname, c->user) != 0) {
        struct passwd *pw = getpwnam(s->uname);
        if (!pw) {
            x2go_seterr("the owner %s of session %s has no passwd entry", s->uname, sid);
            return 1;
        }
        snprintf(c->user, sizeof c->user, "%s", s->uname);
        snprintf(c->home, sizeof c->home, "%s", pw->pw_dir);
        c->uid = pw->pw_uid;
    }
    return 0;
}

const char *x2go_sid_arg(int argc, char **argv)
{
    const char *sid = argc == 1 ? argv[0] : getenv("X2GO_SESSION");
    if (!sid || !*sid) {
        x2go_seterr("needs <X2GO-SESSION> as first argument. Alternatively, you can set "
                    "$X2GO_SESSION with the correct session name");
        return NULL;
    }
    return sid;
}

bool x2go_session_agent_alive(const struct x2go_ctx *c, const struct x2go_session *s)
{
    return s->agent_pid != X2GO_NULL_INT && strcmp(s->server, c->host) == 0 &&
           x2go_agent_alive((pid_t)s->agent_pid, s->sid, c->uid);
}

enum x2go_agent_state x2go_wait_state_leaves(const struct x2go_ctx *c, const char *sid,
                                             unsigned mask, int timeout_ms)
{
    long end = x2go_now_ms() + timeout_ms, unknown_since = 0;
    for (;;) {
        enum x2go_agent_state st = x2go_agent_state_read(c->user, c->uid, sid);
        long now = x2go_now_ms();
        /* The agent rewrites the file in place: an empty read is a state
         * change in progress, unless it stays that way. */
        if (st == X2GO_AS_UNKNOWN) {
            if (!unknown_since)
                unknown_since = now;
            if (now - unknown_since < 300 && now < end) {
                x2go_sleep_us(2000);
                continue;
            }
        } else {
            unknown_since = 0;
        }
        if (!(mask & X2GO_STATE_BIT(st)) || now >= end)
            return st;
        x2go_sleep_us(5000);
    }
}

void x2go_run_optional(const char *path, const char *arg, int timeout_ms, char *const envp[])
{
    if (access(path, X_OK) < 0)
        return;
    x2go_cloexec_from(3);
    char *argv[] = {(char *)path, (char *)arg, NULL};
    struct x2go_spawn_opts o = {.envp = envp, .in_fd = -1, .out_fd = -1, .err_fd = -1,
                                .new_session = timeout_ms == 0};
    pid_t pid = x2go_spawn(path, argv, &o);
    if (pid <= 0 || timeout_ms == 0)
        return;
    if (x2go_reap_within(pid, timeout_ms) < 0)
        x2go_log(LOG_WARNING, "%s %s did not finish in time and was killed", path, arg);
}

void x2go_sharing_helper(const struct x2go_ctx *c, const char *name, const char *sid)
{
    char path[PATH_MAX];
    /* As the session's owner only: the helpers act on the caller's own
     * applet (root acting on another user's session leaves it alone). */
    if (c->uid != getuid() || x2go_fmt(path, sizeof path, X2GO_PREFIX "/bin/%s", name) < 0)
        return;
    x2go_run_optional(path, sid, SHARING_HELPER_MS, NULL);
}

static void session_dir(const struct x2go_ctx *c, const char *sid, char *dir, size_t len)
{
    if (x2go_sessdir_open(c->user, c->uid, sid, dir, len) < 0)
        dir[0] = '\0';
}

int x2go_suspend(struct x2go_ctx *c, const struct x2go_session *s)
{
    char dir[PATH_MAX];
    if (s->status == 'F') {
        x2go_log(LOG_NOTICE, "session with ID %s has ended, nothing to suspend", s->sid);
        return 0;
    }
    x2go_sharing_helper(c, "x2gosuspend-desktopsharing", s->sid);
    x2go_run_hooks(s->sid, "pre-suspend", NULL);
    x2go_umount_shares(s->sid);
    enum x2go_agent_state st = x2go_agent_state_read(c->user, c->uid, s->sid);
    int rc = 0;
    bool alive = x2go_session_agent_alive(c, s);
    if (alive && (st == X2GO_AS_RUNNING || st == X2GO_AS_RESUMING)) {
        if (x2go_agent_signal((pid_t)s->agent_pid, s->sid, c->uid, SIGHUP) == 0) {
            /* Until the agent leaves RUNNING the lists would flip the
             * status straight back to R: wait for it, briefly. */
            x2go_wait_state_leaves(c, s->sid,
                                   X2GO_STATE_BIT(X2GO_AS_RUNNING) |
                                       X2GO_STATE_BIT(X2GO_AS_RESUMING),
                                   SUSPEND_WAIT_MS);
            x2go_log(LOG_NOTICE, "session with ID %s has been suspended successfully", s->sid);
            x2go_run_hooks(s->sid, "post-suspend", NULL);
            c->st->ops->change_status(c->st, s->sid, 'S');
        } else {
            x2go_seterr("ERROR: failed to suspend session with ID %s: %s", s->sid,
                        strerror(errno));
            x2go_log(LOG_ERR, "%s", x2go_err());
            x2go_run_hooks(s->sid, "fail-suspend", NULL);
            c->st->ops->change_status(c->st, s->sid, 'F');
            rc = -1;
        }
    } else if (alive && (st == X2GO_AS_SUSPENDING || st == X2GO_AS_SUSPENDED)) {
        if (s->status != 'S')
            c->st->ops->change_status(c->st, s->sid, 'S');
    } else {
        x2go_log(LOG_NOTICE, "session with ID %s is not in running state (%s%s)", s->sid,
                 x2go_agent_state_name(st), alive ? "" : ", agent gone");
    }
    session_dir(c, s->sid, dir, sizeof dir);
    if (dir[0])
        x2go_ssh_agent_link(dir, true);
    return rc;
}

/* The process group x2goruncommand recorded in cmd.pid. */
static void kill_runcommand(const struct x2go_ctx *c, const char *dir)
{
    char path[PATH_MAX], buf[32];
    long pid;
    if (!dir[0] || x2go_fmt(path, sizeof path, "%s/cmd.pid", dir) < 0 ||
        x2go_read_file(path, buf, sizeof buf) <= 0)
        return;
    buf[strcspn(buf, "\r\n ")] = '\0';
    if (x2go_parse_long(buf, 2, 4194304, &pid) < 0)
        return;
    if (!x2go_pid_of_uid((pid_t)pid, c->uid))
        return;
    /* We may be inside that group ourselves (a script in the session
     * calls us): do not let the signal stop us half-way. */
    signal(SIGTERM, SIG_IGN);
    if (kill(-(pid_t)pid, SIGTERM) < 0 && errno == ESRCH)
        kill((pid_t)pid, SIGTERM);
}

/* The display's lock file and socket of a killed agent, only when the
 * lock still names that agent and both belong to the session's owner. */
static void remove_x_files(const struct x2go_ctx *c, const struct x2go_session *s)
{
    char lock[64], sock[64], buf[32];
    struct stat st;
    snprintf(lock, sizeof lock, "/tmp/.X%d-lock", s->display);
    snprintf(sock, sizeof sock, "/tmp/.X11-unix/X%d", s->display);
    if (lstat(lock, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != c->uid ||
        x2go_read_file(lock, buf, sizeof buf) <= 0 || atol(buf) != s->agent_pid)
        return;
    if (lstat(sock, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_uid == c->uid)
        unlink(sock);
    unlink(lock);
}

bool x2go_end_session(struct x2go_ctx *c, const struct x2go_session *s, bool remove_files)
{
    char dir[PATH_MAX];
    session_dir(c, s->sid, dir, sizeof dir);
    bool alive = x2go_session_agent_alive(c, s);
    bool signalled =
        alive && x2go_agent_signal((pid_t)s->agent_pid, s->sid, c->uid, SIGTERM) == 0;
    /* The history tells the two apart: an agent we end is a terminate,
     * one already gone (killed, crashed) is a failure. */
    if (s->status != 'F' && alive)
        c->st->ops->end(c->st, s->sid);
    else if (s->status != 'F')
        c->st->ops->change_status(c->st, s->sid, 'F');
    /* Give the agent a moment to go, so its files are not rewritten after
     * we removed them; then clean up what the reference left behind. */
    long end = x2go_now_ms() + TERMINATE_WAIT_MS;
    while (alive && x2go_now_ms() < end && x2go_session_agent_alive(c, s))
        x2go_sleep_us(5000);
    /* An agent waiting for a client to resume ignores SIGTERM (observed):
     * terminate means terminate. Its X socket and lock stay behind then. */
    if (alive && x2go_session_agent_alive(c, s)) {
        x2go_log(LOG_WARNING, "agent %ld of %s ignored SIGTERM, killing it", s->agent_pid,
                 s->sid);
        x2go_agent_signal((pid_t)s->agent_pid, s->sid, c->uid, SIGKILL);
        end = x2go_now_ms() + 1000;
        while (x2go_now_ms() < end && x2go_session_agent_alive(c, s))
            x2go_sleep_us(5000);
    }
    /* A killed or crashed agent leaves its lock and socket behind (a
     * normal exit removes them): they would block the display. */
    if (!x2go_session_agent_alive(c, s))
        remove_x_files(c, s);
    if (dir[0])
        x2go_ssh_agent_link(dir, true);
    if (!remove_files || strcmp(s->server, c->host) != 0)
        return signalled;
    if (c->uid == getuid()) {
        char xauthority[PATH_MAX];
        if (x2go_xauthority(c->home, xauthority, sizeof xauthority) == 0 &&
            x2go_xauth(xauthority, c->host, s->display, NULL) < 0)
            x2go_log(LOG_WARNING, "session %s: %s", s->sid, x2go_err());
    }
    if (x2go_sessfiles_remove(c->home, c->user, c->uid, s->sid, true) < 0)
        x2go_log(LOG_WARNING, "session %s: %s", s->sid, x2go_err());
    return signalled;
}

void x2go_terminate(struct x2go_ctx *c, const struct x2go_session *s)
{
    char dir[PATH_MAX];
    session_dir(c, s->sid, dir, sizeof dir);
    x2go_sharing_helper(c, "x2goterminate-desktopsharing", s->sid);
    x2go_run_hooks(s->sid, "pre-terminate", NULL);
    x2go_umount_shares(s->sid);
    kill_runcommand(c, dir);
    bool alive = x2go_session_agent_alive(c, s);
    if (x2go_end_session(c, s, true)) {
        x2go_log(LOG_NOTICE, "session with ID %s has been terminated successfully", s->sid);
        x2go_run_hooks(s->sid, "post-terminate", NULL);
    } else {
        /* No stderr on purpose (spec 2.1.5): some clients trip over it. */
        x2go_log(alive ? LOG_ERR : LOG_NOTICE, "%s to terminate session with ID %s",
                 alive ? "ERROR: failed" : "no agent left", s->sid);
        if (alive)
            x2go_run_hooks(s->sid, "fail-terminate", NULL);
    }
}

void x2go_rmforward(const struct x2go_ctx *c, const char *sid)
{
    char dir[PATH_MAX], path[PATH_MAX], buf[256];
    session_dir(c, sid, dir, sizeof dir);
    if (!dir[0] || x2go_fmt(path, sizeof path, "%s/sshd.pid", dir) < 0)
        return;
    ssize_t n = x2go_read_file(path, buf, sizeof buf);
    unlink(path);
    if (n <= 0)
        return;
    /* The last word is the pid ("PPid:\t1234"). */
    char *end = buf + strlen(buf);
    while (end > buf && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        *--end = '\0';
    char *w = end;
    while (w > buf && w[-1] >= '0' && w[-1] <= '9')
        w--;
    long pid;
    if (x2go_parse_long(w, 2, 4194304, &pid) < 0)
        return;
    if (x2go_is_ancestor((pid_t)pid) || !x2go_is_sshd_of((pid_t)pid, c->uid))
        return;
    if (kill((pid_t)pid, SIGTERM) == 0)
        x2go_log(LOG_INFO, "session %s: ended the previous connection (sshd %ld)", sid, pid);
}

void x2go_umount_shares(const char *sid)
{
    x2go_run_optional(X2GO_PREFIX "/bin/x2goumount-session", sid, 10000, NULL);
}

void x2go_become_subreaper(void)
{
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        x2go_log(LOG_WARNING, "cannot become the subreaper of the session's processes: %s",
                 strerror(errno));
}

/* Send sig to each of our children (as /proc's PPid fields say); a child
 * cannot be replaced under its pid before we reap it. How many. */
static int signal_children(int sig)
{
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    int n = 0;
    pid_t me = getpid();
    struct dirent *e;
    while ((e = readdir(d))) {
        long pid;
        char path[64], buf[512];
        if (x2go_parse_long(e->d_name, 2, 4194304, &pid) < 0 || pid == me)
            continue;
        snprintf(path, sizeof path, "/proc/%ld/stat", pid);
        if (x2go_read_file(path, buf, sizeof buf) <= 0)
            continue;
        char *p = strrchr(buf, ')');
        int ppid = 0;
        char state = 0;
        /* "<pid> (<comm>) <state> <ppid> ..." */
        if (p && sscanf(p + 1, " %c %d", &state, &ppid) == 2 && ppid == me && state != 'Z' &&
            kill((pid_t)pid, sig) == 0)
            n++;
    }
    closedir(d);
    return n;
}

void x2go_end_descendants(int timeout_ms)
{
    long end = x2go_now_ms() + timeout_ms, hard_end = end + 2000;
    int sig = SIGTERM, first = -1;
    for (;;) {
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        long now = x2go_now_ms();
        if (sig == SIGTERM && now >= end)
            sig = SIGKILL;
        int n = signal_children(sig);
        if (first < 0)
            first = n;
        if (n == 0 || now >= hard_end)
            break;
        x2go_sleep_us(50000);
    }
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    if (first > 0)
        x2go_log(LOG_INFO, "ended %d process(es) left by the session", first);
}
