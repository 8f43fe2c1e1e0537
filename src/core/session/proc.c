#include "proc.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

pid_t x2go_spawn(const char *path, char *const argv[], const struct x2go_spawn_opts *o)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    int fds[3] = {o->in_fd, o->out_fd, o->err_fd};
    for (int i = 0; i < 3; i++) {
        if (fds[i] < 0)
            posix_spawn_file_actions_addopen(&fa, i, "/dev/null", i ? O_WRONLY : O_RDONLY, 0);
        else if (fds[i] != i)
            posix_spawn_file_actions_adddup2(&fa, fds[i], i);
    }
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &all);
    if (o->new_session)
        flags |= POSIX_SPAWN_SETSID;
    posix_spawnattr_setflags(&at, flags);
    pid_t pid;
    int rc = posix_spawn(&pid, path, &fa, &at, argv, o->envp ? o->envp : environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc != 0) {
        x2go_seterr("cannot run %s: %s", path, strerror(rc));
        return -1;
    }
    return pid;
}

static void drain(int fd, char *buf, size_t len, size_t *got, bool *open_)
{
    char tmp[4096];
    ssize_t n = read(fd, tmp, sizeof tmp);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        *open_ = false;
        return;
    }
    size_t room = len > *got + 1 ? len - *got - 1 : 0;
    size_t take = (size_t)n < room ? (size_t)n : room;
    memcpy(buf + *got, tmp, take);
    *got += take;
}

int x2go_run_capture(const char *path, char *const argv[], char *const envp[],
                     char *out, size_t outlen, char *err, size_t errlen)
{
    int po[2], pe[2];
    if (pipe2(po, O_CLOEXEC) < 0)
        return -1;
    if (pipe2(pe, O_CLOEXEC) < 0) {
        close(po[0]);
        close(po[1]);
        return -1;
    }
    struct x2go_spawn_opts o = {.envp = envp, .in_fd = -1, .out_fd = po[1], .err_fd = pe[1]};
    pid_t pid = x2go_spawn(path, argv, &o);
    close(po[1]);
    close(pe[1]);
    size_t go = 0, ge = 0;
    bool oo = pid > 0, eo = pid > 0;
    while (oo || eo) {
        struct pollfd p[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        if (oo && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
            drain(po[0], out, outlen, &go, &oo);
        if (eo && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
            drain(pe[0], err, errlen, &ge, &eo);
        if (!oo)
            p[0].fd = -1;
        if (!eo)
            p[1].fd = -1;
    }
    close(po[0]);
    close(pe[0]);
    if (outlen)
        out[go] = '\0';
    if (errlen)
        err[ge] = '\0';
    if (pid < 0)
        return -1;
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int x2go_wait_timeout(pid_t pid, int timeout_ms, int *status)
{
    for (int waited = 0;; waited += 10) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
        if (waited >= timeout_ms)
            return -1;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* State letter from /proc/<pid>/stat ('?' when unreadable). */
static char proc_state(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (x2go_read_file(path, buf, sizeof buf) <= 0)
        return '?';
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p[2] : '?';
}

bool x2go_pid_exists(pid_t pid)
{
    if (pid <= 0 || (kill(pid, 0) < 0 && errno != EPERM))
        return false;
    char st = proc_state(pid);
    return st != 'Z' && st != 'X';
}

int x2go_signal_session_procs(const char *sid, uid_t uid, int sig)
{
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        long pid;
        if (x2go_parse_long(e->d_name, 2, 4194304, &pid) < 0 || pid == getpid())
            continue;
        if (x2go_agent_signal((pid_t)pid, sid, uid, sig) == 0)
            n++;
    }
    closedir(d);
    return n;
}

/* An error that proves the process is gone, not that we could not look. */
static bool gone_errno(int err)
{
    return err == ENOENT || err == ESRCH;
}

/* The file name below the /proc/<pid> directory fd into buf (NUL
 * terminated): its length, or -1 with *why (gone, or could not look). */
static ssize_t read_proc_file(int pfd, const char *name, char *buf, size_t len,
                              enum x2go_probe *why)
{
    int fd = openat(pfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *why = gone_errno(errno) ? X2GO_PROBE_GONE : X2GO_PROBE_UNKNOWN;
        return -1;
    }
    ssize_t n;
    while ((n = read(fd, buf, len - 1)) < 0 && errno == EINTR)
        ;
    int err = errno;
    close(fd);
    if (n < 0) {
        *why = gone_errno(err) ? X2GO_PROBE_GONE : X2GO_PROBE_UNKNOWN;
        return -1;
    }
    buf[n] = '\0';
    return n;
}

/* The argv of the process behind the /proc/<pid> directory fd. */
static enum x2go_probe has_argv(int pfd, const char *want)
{
    char buf[8192];
    enum x2go_probe why;
    ssize_t n = read_proc_file(pfd, "cmdline", buf, sizeof buf, &why);
    if (n < 0)
        return why;
    /* Nothing read from a process that is no zombie (checked before):
     * the kernel could not read its memory just now. */
    if (n == 0)
        return X2GO_PROBE_UNKNOWN;
    for (ssize_t off = 0; off < n; off += (ssize_t)strlen(buf + off) + 1)
        if (!strcmp(buf + off, want))
            return X2GO_PROBE_ALIVE;
    return X2GO_PROBE_GONE;
}

/* The real uid and the state letter of the process behind pfd, from its
 * status file: the owner of /proc/<pid> is root while a process is not
 * dumpable, so it does not name the process's user. */
static enum x2go_probe uid_and_state(int pfd, uid_t *uid, char *state)
{
    char buf[4096];
    enum x2go_probe why;
    if (read_proc_file(pfd, "status", buf, sizeof buf, &why) < 0)
        return why;
    const char *st = strstr(buf, "\nState:\t"), *u = strstr(buf, "\nUid:\t");
    unsigned long v;
    if (!st || !u || sscanf(u + 6, "%lu", &v) != 1)
        return X2GO_PROBE_UNKNOWN;
    *state = st[8];
    *uid = (uid_t)v;
    return X2GO_PROBE_ALIVE;
}

/* The /proc/<pid> directory fd, or -1 with *why. */
static int open_proc(pid_t pid, enum x2go_probe *why)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d", (int)pid);
    int pfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pfd < 0)
        *why = gone_errno(errno) ? X2GO_PROBE_GONE : X2GO_PROBE_UNKNOWN;
    return pfd;
}

enum x2go_probe x2go_agent_probe(pid_t pid, const char *sid, uid_t uid)
{
    if (pid <= 1)
        return X2GO_PROBE_GONE;
    char want[600];
    snprintf(want, sizeof want, "X2GO-%s", sid);
    /* One directory fd: owner, state and argv come from the same process. */
    enum x2go_probe r;
    int pfd = open_proc(pid, &r);
    if (pfd < 0)
        return r;
    uid_t owner;
    char state;
    r = uid_and_state(pfd, &owner, &state);
    if (r == X2GO_PROBE_ALIVE) {
        if (uid != (uid_t)-1 && owner != uid)
            r = X2GO_PROBE_GONE; /* another user's process: not this agent */
        else if (state == 'Z' || state == 'X')
            r = X2GO_PROBE_GONE; /* exited, not yet reaped */
        else
            r = has_argv(pfd, want);
    }
    close(pfd);
    return r;
}

bool x2go_proc_running(pid_t pid)
{
    enum x2go_probe r;
    int pfd = open_proc(pid, &r);
    if (pfd < 0)
        return r != X2GO_PROBE_GONE;
    uid_t uid;
    char state = 'R';
    r = uid_and_state(pfd, &uid, &state);
    close(pfd);
    return r != X2GO_PROBE_GONE && state != 'Z' && state != 'X';
}

bool x2go_agent_alive(pid_t pid, const char *sid, uid_t uid)
{
    return x2go_agent_probe(pid, sid, uid) == X2GO_PROBE_ALIVE;
}

int x2go_agent_signal(pid_t pid, const char *sid, uid_t uid, int sig)
{
    if (pid <= 1) {
        errno = ESRCH;
        return -1;
    }
    int fd = pidfd_open(pid, 0);
    if (fd < 0)
        return -1;
    /* Checked while the pidfd holds the process: if the check passes, the
     * pidfd refers to the process checked (its pid cannot be reused before
     * it exits, and then the signal fails with ESRCH). */
    int rc = -1;
    if (x2go_agent_probe(pid, sid, uid) != X2GO_PROBE_ALIVE)
        errno = ESRCH;
    else
        rc = pidfd_send_signal(fd, sig, NULL, 0);
    int err = errno;
    close(fd);
    errno = err;
    return rc;
}

unsigned long long x2go_proc_starttime(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (x2go_read_file(path, buf, sizeof buf) <= 0)
        return 0;
    /* comm may hold spaces and ')': field 22 counts from the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p)
        return 0;
    unsigned long long v = 0;
    int field = 2;
    for (p++; *p && field < 22; p++)
        if (*p == ' ')
            field++;
    if (field == 22)
        v = strtoull(p, NULL, 10);
    return v;
}

/* ---- descriptors and process helpers shared by the commands ---------- */

void x2go_cloexec_from(int first)
{
    if (close_range((unsigned)first, ~0u, CLOSE_RANGE_CLOEXEC) == 0)
        return;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return;
    int self = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        int fd = atoi(e->d_name);
        if (fd >= first && fd != self)
            fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    closedir(d);
}

void x2go_close_from(int first) { close_range((unsigned)first, ~0u, 0); }

int x2go_become_user(const char *name, uid_t uid, gid_t gid)
{
    if (initgroups(name, gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
        return -1;
    return getuid() == uid && geteuid() == uid && setuid(0) < 0 ? 0 : -1;
}

int x2go_reap_within(pid_t pid, int timeout_ms)
{
    int st;
    if (x2go_wait_timeout(pid, timeout_ms, &st) == 0)
        return 0;
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return -1;
}

int x2go_pidfd_wait(pid_t pid)
{
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0)
        return -1;
    struct pollfd p = {fd, POLLIN, 0};
    while (poll(&p, 1, -1) < 0 && errno == EINTR)
        ;
    close(fd);
    return 0;
}

pid_t x2go_spawn_reader(const char *path, char *const argv[], int err_fd, int *rd)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        x2go_seterr("cannot make a pipe: %s", strerror(errno));
        return -1;
    }
    struct x2go_spawn_opts o = {.envp = NULL, .in_fd = -1, .out_fd = p[1], .err_fd = err_fd};
    pid_t pid = x2go_spawn(path, argv, &o);
    close(p[1]);
    if (pid < 0)
        close(p[0]);
    else
        *rd = p[0];
    return pid;
}

int x2go_run_draining(const char *path, char *const argv[])
{
    int rd;
    pid_t pid = x2go_spawn_reader(path, argv, 2, &rd);
    if (pid < 0)
        return -1;
    char buf[4096];
    ssize_t n;
    while ((n = read(rd, buf, sizeof buf)) != 0)
        if (n < 0 && errno != EINTR)
            break;
    close(rd);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return 0;
}

bool x2go_pid_of_uid(pid_t pid, uid_t uid)
{
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "/proc/%d", (int)pid);
    return stat(path, &st) == 0 && (uid == 0 || st.st_uid == uid);
}

bool x2go_is_ancestor(pid_t pid)
{
    pid_t p = getpid();
    for (int depth = 0; p > 1 && depth < 64; depth++) {
        if (p == pid)
            return true;
        char path[64], buf[2048];
        snprintf(path, sizeof path, "/proc/%d/status", (int)p);
        if (x2go_read_file(path, buf, sizeof buf) <= 0)
            return false;
        char *pp = strstr(buf, "\nPPid:");
        if (!pp)
            return false;
        p = (pid_t)strtol(pp + 6, NULL, 10);
    }
    return false;
}

bool x2go_is_sshd_of(pid_t pid, uid_t uid)
{
    char path[64], buf[PATH_MAX];
    if (!x2go_pid_of_uid(pid, uid))
        return false;
    snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    if (n > 0) {
        buf[n] = '\0';
        return !strcmp(buf, "/usr/sbin/sshd");
    }
    /* sshd's privilege-separated child is not dumpable, so its exe link
     * is unreadable even for its owner: fall back to its name. */
    snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
    if (x2go_read_file(path, buf, 64) <= 0)
        return false;
    buf[strcspn(buf, "\n")] = '\0';
    return !strcmp(buf, "sshd");
}
