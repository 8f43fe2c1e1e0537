/* x2gocleansessions: the root clean-up daemon (spec 2.1.10), event-driven.
 *
 * It wakes when an agent exits (a pidfd per known agent, from a bounded
 * pool), when a state file changes (inotify on each session dir), when the
 * database changes (inotify on its directory: a broker's T or S is acted
 * on at once), when a /tmp/.x2go-<user> entry appears, and every 30 s as a
 * safety net. Each wake-up runs one reconcile pass over this host's rows
 * (pass.c), whose rules are the pure functions of decide.c.
 *
 * Differences from the reference, on purpose (spec 8):
 *  - liveness is pid + owner + the exact argv element "X2GO-<sid>", then
 *    a pidfd, so a reused pid is never mistaken for an agent (item 20);
 *    an agent that cannot be checked (out of descriptors) is looked at
 *    again later, never taken for dead;
 *  - no surprise suspend: DB S with a RUNNING agent is set back to R,
 *    unless the row was just switched R -> S from outside while the agent
 *    kept running (a broker's suspend request, client-contract 4.2);
 *  - reservations (agent_pid NULL) get 60 s, not 10 s (item 10), and
 *    those of any other host name expire after 10 min;
 *  - X11 files are removed only when nobody holds the display (item 26);
 *  - session dirs and ~/.x2go/C-<sid> links of dead sessions are removed,
 *    as the user, 30 s after the agent died (item 23);
 *  - session dirs left behind with no row and no agent (after a restart
 *    or by older servers) are removed too, after the same grace;
 *  - a /tmp/.x2go-<user> that is not that user's directory is put aside;
 *  - an R row whose agent suspended itself becomes S after 2 s (a user's
 *    own x2gosuspend-session writes S itself first), then unmount and
 *    x2gormforward run as the user;
 *  - commands run as the user with execve, never su -c (item 7);
 *  - the superenicer uses setpriority(2) on the session's processes (found
 *    by X2GO_SESSION=<sid> in their environment), no renice/ps.
 *
 * Added: time limits ([time limits] in x2goserver.conf, limits.c; read
 * again on SIGHUP), and a state file for monitoring (statefile.c). */
#include "daemon.h"
#include "log.h"
#include "store.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <syslog.h>
#include <unistd.h>

#define MIN_PASS_GAP_MS 100

static const char usage_text[] =
    "Usage: x2gocleansessions [--debug|-d] [--foreground|-f] [--help|-h]\n"
    "Root clean-up daemon of the X2Go server: reconciles the session database\n"
    "with the running agents.\n"
    "  -d, --debug       stay in the foreground and log to stdout as well\n"
    "  -f, --foreground  stay in the foreground without a pid file (systemd)\n"
    "  -h, --help        show this help\n";

/* ---- events ----------------------------------------------------------- */

static void db_event(struct daemon *d, const struct inotify_event *e)
{
    if (e->mask & IN_IGNORED) {
        d->db_wd = -1; /* the directory went away: re-watched periodically */
        dm_store_drop(d, NULL);
        d->store_retry_at = 0;
        dm_want_pass_at(d, x2go_now_ms() + DM_DEBOUNCE_MS);
        return;
    }
    if (!e->len || strncmp(e->name, "x2go_sessions", 13) != 0)
        return;
    const char *rest = e->name + 13;
    if (*rest && strcmp(rest, "-wal") != 0)
        return;
    /* The file itself replaced: reopen the store. */
    if (!*rest && (e->mask & (IN_CREATE | IN_MOVED_TO | IN_DELETE)) && d->store) {
        dm_store_drop(d, NULL);
        d->store_retry_at = 0;
    }
    dm_want_pass_at(d, x2go_now_ms() + DM_DEBOUNCE_MS);
}

static void inotify_event(struct daemon *d, const struct inotify_event *e)
{
    if (e->mask & IN_Q_OVERFLOW) {
        dm_want_pass_at(d, x2go_now_ms() + DM_DEBOUNCE_MS);
        d->next_periodic = x2go_now_ms(); /* a missed /tmp event: scan */
    } else if (e->wd == d->db_wd) {
        db_event(d, e);
    } else if (e->wd == d->tmp_wd) {
        if (e->len && !strncmp(e->name, ".x2go-", 6))
            dm_squat_check(e->name);
    } else if (e->mask & IN_IGNORED) {
        for (size_t i = 0; i < d->ntrk; i++)
            if (d->trk[i]->wd == e->wd)
                d->trk[i]->wd = -1;
    } else if (e->len && !strcmp(e->name, "state")) {
        dm_want_pass_at(d, x2go_now_ms() + DM_DEBOUNCE_MS);
    }
}

static void read_inotify(struct daemon *d)
{
    char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (int guard = 0; guard < 64; guard++) {
        ssize_t n = read(d->infd, buf, sizeof buf);
        if (n <= 0)
            return;
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *e = (struct inotify_event *)p;
            p += sizeof *e + e->len;
            inotify_event(d, e);
        }
    }
}

static bool read_signals(struct daemon *d)
{
    struct signalfd_siginfo si;
    bool stop = false;
    while (read(d->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
        switch (si.ssi_signo) {
        case SIGTERM:
        case SIGINT:
            stop = true;
            break;
        case SIGCHLD:
            dm_children_reap(&d->kids);
            break;
        case SIGHUP:
            d->tl_reload = true;
            dm_want_pass_at(d, x2go_now_ms());
            d->next_periodic = x2go_now_ms();
            break;
        default:
            break;
        }
    }
    return stop;
}

static void handle_pidfd(struct daemon *d, int fd)
{
    for (size_t i = 0; i < d->ntrk; i++)
        if (d->trk[i]->pidfd == fd) {
            dm_drop_pidfd(d, d->trk[i]);
            d->trk[i]->dead = true;
            dm_log(LOG_DEBUG, "%s: agent pid %ld exited", d->trk[i]->esc, d->trk[i]->pid);
            dm_want_pass_at(d, x2go_now_ms() + DM_DEBOUNCE_MS);
            return;
        }
    epoll_ctl(d->ep, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
}

static int64_t min_nonzero(int64_t a, int64_t b)
{
    return !a ? b : !b ? a : a < b ? a : b;
}

/* false: stop. */
static bool wait_events(struct daemon *d)
{
    int64_t now = x2go_now_ms();
    int64_t due = min_nonzero(min_nonzero(d->next_pass, d->next_periodic),
                              min_nonzero(dm_children_next_deadline(&d->kids), dm_dir_jobs_next(d)));
    int timeout = due <= now ? 0 : due - now > 60000 ? 60000 : (int)(due - now);
    struct epoll_event ev[32];
    int n = epoll_wait(d->ep, ev, 32, timeout);
    if (n < 0 && errno != EINTR) {
        dm_log(LOG_ERR, "epoll_wait: %s", strerror(errno));
        sleep(1);
        return true;
    }
    for (int i = 0; i < n; i++) {
        int fd = ev[i].data.fd;
        if (fd == d->sigfd) {
            if (read_signals(d))
                return false;
        } else if (fd == d->infd) {
            read_inotify(d);
        } else if (!dm_idle_event(d, fd)) {
            handle_pidfd(d, fd);
        }
    }
    return true;
}

static void loop(struct daemon *d)
{
    d->next_periodic = x2go_now_ms(); /* the first pass cleans up after a reboot */
    dm_want_pass_at(d, x2go_now_ms());
    bool ready = false;
    while (wait_events(d)) {
        int64_t now = x2go_now_ms();
        dm_children_timeouts(&d->kids, now);
        dm_run_dir_jobs(d, now);
        bool periodic = now >= d->next_periodic;
        if (!periodic && !(d->next_pass && now >= d->next_pass))
            continue;
        if (now - d->last_pass < MIN_PASS_GAP_MS && !periodic) {
            d->next_pass = d->last_pass + MIN_PASS_GAP_MS;
            continue;
        }
        d->next_pass = 0;
        if (d->tl_reload) {
            d->tl_reload = false;
            dm_limits_load(d);
        }
        if (periodic && d->last_pass) {
            dm_ensure_pidfile(d);
            dm_watch_db_dir(d);
        }
        dm_pass(d, periodic);
        if (!ready) {
            dm_notify_ready();
            ready = true;
        }
    }
}

/* ---- start ------------------------------------------------------------ */

/* 0 run, else the exit status. */
static int options(struct daemon *d, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--debug") || !strcmp(argv[i], "-d")) {
            d->debug_mode = true;
        } else if (!strcmp(argv[i], "--foreground") || !strcmp(argv[i], "-f")) {
            d->foreground = true;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") ||
                   !strcmp(argv[i], "-?")) {
            fputs(usage_text, stdout);
            return -1;
        } else {
            char esc[256];
            x2go_complain("unknown option '%s'", x2go_log_escape(argv[i], esc, sizeof esc));
            fputs(usage_text, stderr);
            return 2;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    static struct daemon d = {.ep = -1, .infd = -1, .sigfd = -1, .db_wd = -1, .tmp_wd = -1};
    x2go_set_progname("x2gocleansessions");
    int rc = options(&d, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (getuid() != 0 || geteuid() != 0) {
        x2go_complain("must be run as root");
        return 1;
    }
    closefrom(3);
    setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
    int lock = dm_take_lock();
    if (lock < 0)
        return 1;
    bool detach = !d.debug_mode && !d.foreground;
    if (detach && dm_daemonize() < 0)
        return 1;
    dm_log_init(d.debug_mode);
    dm_nice_load(&d.nice);
    if (d.nice.enable)
        dm_log(LOG_INFO, "superenicer enabled: normal %d, idle %d%s", d.nice.normal,
               d.nice.idle, d.nice.force_user ? ", per user" : "");
    dm_limits_load(&d);
    if (dm_setup_events(&d) < 0)
        return 1;
    dm_log(LOG_NOTICE, "x2gocleansessions started (pid %d)", (int)getpid());
    loop(&d);
    dm_log(LOG_NOTICE, "x2gocleansessions stopping (pid %d)", (int)getpid());
    if (detach)
        dm_remove_pidfile();
    x2go_store_close(d.store);
    close(lock);
    return 0;
}
