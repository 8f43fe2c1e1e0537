/* Start-up of x2gocleansessions: one instance (lock file and pid file),
 * detaching, the event descriptors, and readiness for systemd. */
#include "daemon.h"
#include "log.h"
#include "proc.h"
#include "util.h"
#include "x2go-config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <syslog.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#define LOCK_FILE X2GO_PIDFILE ".lock"

static pid_t pidfile_owner(void)
{
    char buf[32];
    if (x2go_read_file(X2GO_PIDFILE, buf, sizeof buf) <= 0)
        return 0;
    long pid = strtol(buf, NULL, 10);
    if (pid <= 1 || pid == getpid() || !x2go_pid_exists((pid_t)pid))
        return 0;
    char path[64], comm[64];
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    if (x2go_read_file(path, comm, sizeof comm) <= 0 ||
        strncmp(comm, "x2gocleansessi", 14) != 0)
        return 0; /* a stale file naming some other process */
    return (pid_t)pid;
}

/* One instance: the lock file (flock) is the truth, the pid file catches
 * a daemon that does not lock (the reference's). An instance that was just
 * sent SIGTERM (a restart) gets up to 3 s to go away. */
int dm_take_lock(void)
{
    int fd = open(LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        x2go_complain("cannot open %s: %s", LOCK_FILE, strerror(errno));
        return -1;
    }
    pid_t other = 0;
    for (int i = 0; i < 30; i++) {
        if (i)
            usleep(100 * 1000);
        other = pidfile_owner();
        if (other > 0)
            continue;
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return fd;
        other = -1;
    }
    if (other > 0)
        x2go_complain("already running (pid %d, %s); not starting a second instance",
                      (int)other, X2GO_PIDFILE);
    else
        x2go_complain("already running (%s is locked); not starting a second instance",
                      LOCK_FILE);
    close(fd);
    return -1;
}

static int write_pidfile(pid_t pid)
{
    char line[32];
    int n = snprintf(line, sizeof line, "%d\n", (int)pid);
    return x2go_write_file_atomic(X2GO_PIDFILE, line, (size_t)n, 0644);
}

/* The pid file must name us while we run (something may have removed it:
 * a restart race, an admin, a reference daemon's SIGTERM handler). */
void dm_ensure_pidfile(const struct daemon *d)
{
    char buf[32];
    if (d->debug_mode || d->foreground ||
        (x2go_read_file(X2GO_PIDFILE, buf, sizeof buf) > 0 &&
         strtol(buf, NULL, 10) == (long)getpid()))
        return;
    if (pidfile_owner() > 0)
        return; /* names another live daemon: not ours to overwrite */
    if (write_pidfile(getpid()) == 0)
        dm_log(LOG_NOTICE, "%s was missing or stale; rewritten", X2GO_PIDFILE);
}

void dm_remove_pidfile(void)
{
    char buf[32];
    if (x2go_read_file(X2GO_PIDFILE, buf, sizeof buf) > 0 &&
        strtol(buf, NULL, 10) == (long)getpid())
        unlink(X2GO_PIDFILE);
}

int dm_daemonize(void)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        x2go_complain("fork: %s", strerror(errno));
        return -1;
    }
    if (pid > 0) {
        if (write_pidfile(pid) < 0) {
            x2go_complain("cannot write %s: %s", X2GO_PIDFILE, x2go_err());
            kill(pid, SIGTERM);
            _exit(1);
        }
        _exit(0);
    }
    setsid();
    if (chdir("/") < 0)
        _exit(1);
    umask(022);
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        if (fd > 2)
            close(fd);
    }
    return 0;
}

void dm_watch_db_dir(struct daemon *d)
{
    static bool warned;
    if (d->db_wd >= 0)
        return;
    d->db_wd = inotify_add_watch(d->infd, X2GO_STATEDIR,
                                 IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_ONLYDIR);
    if (d->db_wd < 0 && !warned)
        dm_log(LOG_WARNING, "cannot watch %s (%s); database changes are seen every %d s",
               X2GO_STATEDIR, strerror(errno), DM_PERIODIC_MS / 1000);
    warned = d->db_wd < 0;
}

int dm_setup_events(struct daemon *d)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    d->infd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    d->ep = epoll_create1(EPOLL_CLOEXEC);
    if (d->sigfd < 0 || d->infd < 0 || d->ep < 0) {
        dm_log(LOG_ERR, "cannot set up events: %s", strerror(errno));
        return -1;
    }
    struct epoll_event e1 = {.events = EPOLLIN, .data.fd = d->sigfd};
    struct epoll_event e2 = {.events = EPOLLIN, .data.fd = d->infd};
    if (epoll_ctl(d->ep, EPOLL_CTL_ADD, d->sigfd, &e1) < 0 ||
        epoll_ctl(d->ep, EPOLL_CTL_ADD, d->infd, &e2) < 0) {
        dm_log(LOG_ERR, "epoll_ctl: %s", strerror(errno));
        return -1;
    }
    dm_watch_db_dir(d);
    /* A /tmp/.x2go-<user> planted by someone else is put aside at once. */
    d->tmp_wd = inotify_add_watch(d->infd, "/tmp", IN_CREATE | IN_MOVED_TO | IN_ONLYDIR |
                                                       IN_DONT_FOLLOW);
    dm_pidfd_pool_size(d);
    return 0;
}

/* Started by systemd with Type=notify: tell it the first pass is done. */
void dm_notify_ready(void)
{
    if (getenv("NOTIFY_SOCKET"))
        sd_notify(0, "READY=1");
}
