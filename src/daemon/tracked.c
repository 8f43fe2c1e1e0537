/* The rows x2gocleansessions tracks between passes, their agents (held by
 * a bounded pool of pidfds), and its connection to the session database. */
#include "backoff.h"
#include "daemon.h"
#include "log.h"
#include "proc.h"
#include "sessfiles.h"
#include "store.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/pidfd.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#define PIDFD_POOL_MAX 4096

void dm_want_pass_at(struct daemon *d, int64_t t)
{
    if (!d->next_pass || t < d->next_pass)
        d->next_pass = t;
}

struct sess *dm_find(struct daemon *d, const char *sid)
{
    for (size_t i = 0; i < d->ntrk; i++)
        if (!strcmp(d->trk[i]->sid, sid))
            return d->trk[i];
    return NULL;
}

struct sess *dm_track_row(struct daemon *d, const struct x2go_session *r)
{
    if (d->ntrk == d->captrk) {
        d->captrk = d->captrk ? d->captrk * 2 : 32;
        d->trk = realloc(d->trk, d->captrk * sizeof *d->trk);
        if (!d->trk)
            abort();
    }
    struct sess *t = calloc(1, sizeof *t);
    if (!t)
        abort();
    snprintf(t->sid, sizeof t->sid, "%s", r->sid);
    x2go_log_escape(t->sid, t->esc, sizeof t->esc);
    t->sid_ok = x2go_sid_valid(t->sid);
    t->pid = r->agent_pid;
    t->pidfd = -1;
    t->wd = -1;
    t->idle_fd = -1;
    d->trk[d->ntrk++] = t;
    return t;
}

void dm_drop_pidfd(struct daemon *d, struct sess *t)
{
    if (t->pidfd >= 0) {
        epoll_ctl(d->ep, EPOLL_CTL_DEL, t->pidfd, NULL);
        close(t->pidfd);
        t->pidfd = -1;
        d->npidfds--;
    }
}

static void drop_watch(struct daemon *d, struct sess *t)
{
    if (t->wd >= 0) {
        inotify_rm_watch(d->infd, t->wd);
        t->wd = -1;
    }
}

void dm_forget(struct daemon *d, struct sess *t)
{
    dm_drop_pidfd(d, t);
    drop_watch(d, t);
    dm_idle_stop(d, t);
    for (size_t i = 0; i < d->ntrk; i++)
        if (d->trk[i] == t) {
            d->trk[i] = d->trk[--d->ntrk];
            break;
        }
    free(t);
}

/* ---- agents ----------------------------------------------------------- */

/* Held pidfds: at most a quarter of the descriptor limit (the database,
 * children and scans need the rest). Agents beyond that are checked on
 * each pass instead of being woken for. */
void dm_pidfd_pool_size(struct daemon *d)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    size_t n = rl.rlim_cur == RLIM_INFINITY ? PIDFD_POOL_MAX : (size_t)rl.rlim_cur / 4;
    d->max_pidfds = n > PIDFD_POOL_MAX ? PIDFD_POOL_MAX : n;
}

static bool pidfd_exited(int fd)
{
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, 0) > 0;
}

static enum dm_liveness probe(struct sess *t)
{
    uid_t uid = t->user_ok ? t->u.uid : (uid_t)-1;
    switch (x2go_agent_probe((pid_t)t->pid, t->sid, uid)) {
    case X2GO_PROBE_ALIVE:
        return DM_ALIVE;
    case X2GO_PROBE_GONE:
        return DM_GONE;
    default:
        return DM_UNKNOWN;
    }
}

/* Hold the verified agent by a pidfd, when the pool has room. */
static enum dm_liveness hold(struct daemon *d, struct sess *t)
{
    if (d->npidfds >= d->max_pidfds)
        return DM_ALIVE;
    int fd = pidfd_open((pid_t)t->pid, 0);
    if (fd < 0)
        return errno == ESRCH ? DM_GONE : DM_ALIVE; /* no descriptor: checked per pass */
    unsigned long long start = x2go_proc_starttime((pid_t)t->pid);
    if (start == 0) { /* unreadable now: held at a later pass */
        close(fd);
        return DM_ALIVE;
    }
    /* The pidfd refers to the process we verified only if it is still
     * that agent after the pidfd was taken. */
    enum dm_liveness l = probe(t);
    if (l != DM_ALIVE || pidfd_exited(fd)) {
        close(fd);
        return l == DM_UNKNOWN ? DM_UNKNOWN : DM_GONE;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    if (epoll_ctl(d->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        close(fd);
        return DM_ALIVE;
    }
    t->pidfd = fd;
    t->starttime = start;
    d->npidfds++;
    return DM_ALIVE;
}

/* Alive: the process is this session's agent (owner and exact argv
 * element). verify re-checks the argv of a held agent (it may have exec'd
 * something else). UNKNOWN: it could not be checked now. */
enum dm_liveness dm_agent_check(struct daemon *d, struct sess *t, bool verify)
{
    if (t->dead)
        return DM_GONE;
    if (t->pid <= 1) {
        t->dead = true;
        return DM_GONE;
    }
    enum dm_liveness l;
    if (t->pidfd >= 0) {
        if (pidfd_exited(t->pidfd)) {
            l = DM_GONE;
        } else if (!verify) {
            return DM_ALIVE;
        } else {
            l = probe(t);
            unsigned long long start = l == DM_ALIVE ? x2go_proc_starttime((pid_t)t->pid) : 1;
            if (start == 0)
                l = DM_UNKNOWN; /* could not read it now: not a sign of death */
            else if (l == DM_ALIVE && start != t->starttime)
                l = DM_GONE;
            if (l == DM_UNKNOWN)
                return l;
        }
        if (l == DM_GONE) {
            dm_drop_pidfd(d, t);
            t->dead = true;
        }
        return l;
    }
    l = probe(t);
    /* A process that exists but does not look like this agent (owner,
     * argv) ends the session only when a second look, a little later,
     * agrees: a session is never ended on one odd reading. */
    if (l == DM_GONE && !t->gone_seen && x2go_proc_running((pid_t)t->pid)) {
        t->gone_seen = true;
        dm_want_pass_at(d, x2go_now_ms() + 1000);
        return DM_UNKNOWN;
    }
    if (l == DM_ALIVE)
        t->gone_seen = false;
    if (l == DM_ALIVE && t->user_ok)
        l = hold(d, t); /* an agent without a known user: left be */
    if (l == DM_GONE)
        t->dead = true;
    return l;
}

int dm_agent_signal(struct sess *t, int sig)
{
    if (t->pidfd >= 0)
        return pidfd_send_signal(t->pidfd, sig, NULL, 0);
    /* Not held (pool full): the identity check and the signal go through
     * a pidfd of their own. */
    return x2go_agent_signal((pid_t)t->pid, t->sid, t->user_ok ? t->u.uid : (uid_t)-1, sig);
}

/* Watch the session dir so a state change wakes us. */
void dm_ensure_watch(struct daemon *d, struct sess *t)
{
    if (t->wd >= 0 || !t->sid_ok || !t->user_ok)
        return;
    char dir[700];
    if (x2go_sessdir_open(t->u.name, t->u.uid, t->sid, dir, sizeof dir) < 0)
        return;
    int wd = inotify_add_watch(d->infd, dir, IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO |
                                                 IN_CREATE | IN_DONT_FOLLOW | IN_ONLYDIR);
    if (wd >= 0) {
        for (size_t i = 0; i < d->ntrk; i++)
            if (d->trk[i] != t && d->trk[i]->wd == wd)
                return; /* same dir watched for another row: leave it there */
        t->wd = wd;
    }
}

/* ---- the store -------------------------------------------------------- */

/* A failed try (why set) moves the retry out along dm_backoff_delay();
 * only the change of state is logged, not every retry. why NULL: a
 * deliberate reopen, not a failure. */
void dm_store_drop(struct daemon *d, const char *why)
{
    x2go_store_close(d->store);
    d->store = NULL;
    int64_t delay = 0;
    if (why) {
        if (d->store_fails++ == 0)
            dm_log(LOG_WARNING, "%s; reconnecting with backoff", why); /* why names the database */
        uint32_t rnd = 0;
        if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd)
            rnd = (uint32_t)x2go_now_ms(); /* jitter only; no need to wait for entropy */
        delay = dm_backoff_delay(d->store_fails, rnd);
        dm_log(LOG_DEBUG, "session database: try %u failed, next in %lld ms", d->store_fails,
               (long long)delay);
    }
    d->store_retry_at = x2go_now_ms() + delay;
    dm_want_pass_at(d, d->store_retry_at);
}

bool dm_store_ready(struct daemon *d)
{
    if (d->store)
        return true;
    if (d->store_retry_at && x2go_now_ms() < d->store_retry_at) {
        dm_want_pass_at(d, d->store_retry_at);
        return false;
    }
    d->store = x2go_store_open();
    if (!d->store) {
        dm_store_drop(d, x2go_err());
        return false;
    }
    if (d->store_fails)
        dm_log(LOG_NOTICE, "session database: reconnected after %u failed tries", d->store_fails);
    d->store_fails = 0;
    d->store_retry_at = 0;
    return true;
}

/* 0 done, 1 the row is gone, -1 database error (store dropped). */
int dm_set_status(struct daemon *d, struct sess *t, char to)
{
    int rc = d->store->ops->change_status(d->store, t->sid, to);
    if (rc < 0) {
        dm_store_drop(d, x2go_err());
        return -1;
    }
    if (rc == 1) {
        dm_log(LOG_DEBUG, "%s: removed from database, not updating status.", t->esc);
        return 1;
    }
    dm_wrote(&t->tr, to);
    return 0;
}

int dm_remove_row(struct daemon *d, struct sess *t)
{
    if (d->store->ops->remove(d->store, t->sid) < 0) {
        dm_store_drop(d, x2go_err());
        return -1;
    }
    return 0;
}
