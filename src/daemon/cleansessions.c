/* x2gocleansessions: the root clean-up daemon (spec 2.1.10), event-driven.
 *
 * It wakes when an agent exits (one pidfd per known agent), when a state
 * file changes (inotify on each session dir), when the database changes
 * (inotify on its directory: a broker's T or S is acted on at once), and
 * every 30 s as a safety net. Each wake-up runs one reconcile pass over
 * this host's rows; nothing polls while nothing happens.
 *
 * Differences from the reference, on purpose (spec 8):
 *  - liveness is pid + owner + the exact argv element "X2GO-<sid>", then
 *    a pidfd, so a reused pid is never mistaken for an agent (item 20);
 *  - no surprise suspend: DB S with a RUNNING agent is set back to R,
 *    unless the row was just switched R -> S from outside while the agent
 *    kept running (a broker's suspend request, client-contract 4.2);
 *  - reservations (agent_pid NULL) get 60 s, not 10 s (item 10);
 *  - X11 files are removed only when nobody holds the display (item 26);
 *  - session dirs and ~/.x2go/C-<sid> links of dead sessions are removed,
 *    as the user, 30 s after the agent died (item 23);
 *  - session dirs left behind with no row and no agent (after a restart
 *    or by older servers) are removed too, after the same grace;
 *  - an R row whose agent suspended itself becomes S after 2 s (a user's
 *    own x2gosuspend-session writes S itself first), then unmount and
 *    x2gormforward run as the user;
 *  - commands run as the user with execve, never su -c (item 7);
 *  - the superenicer uses setpriority(2) on the session's processes (found
 *    by X2GO_SESSION=<sid> in their environment), no renice/ps. */
#include "agent.h"
#include "daemon.h"
#include "log.h"
#include "proc.h"
#include "store.h"
#include "util.h"
#include "x2go-config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/pidfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define RESERVATION_TTL_MS 60000 /* start in progress: agent_pid NULL */
#define F_KILL_AFTER_MS 20000    /* F row whose agent lingers */
#define DIR_GRACE_MS 30000       /* x2gocmdexitmessage may still read cmdoutput */
#define PERIODIC_MS 30000        /* safety net */
#define DEBOUNCE_MS 50
#define MIN_PASS_GAP_MS 100
#define SUSPEND_GRACE_MS 1500    /* let a user's own suspend land first */
#define SELF_SUSPEND_GRACE_MS 2000 /* R row, agent suspended: the suspender's turn */
#define RETRY_MS 10000           /* between tries of a user command */
#define SUSPEND_TRIES 2
#define TERMINATE_TRIES 3
#define DB_RETRY_MS 5000
#define MAX_DIR_JOBS 4096

#define BINDIR X2GO_PREFIX "/bin"
#define LOCK_FILE X2GO_PIDFILE ".lock"

static const char usage_text[] =
    "Usage: x2gocleansessions [--debug|-d] [--help|-h]\n"
    "Root clean-up daemon of the X2Go server: reconciles the session database\n"
    "with the running agents.\n"
    "  -d, --debug  stay in the foreground and log to stdout as well\n"
    "  -h, --help   show this help\n";

/* ---- tracked sessions ------------------------------------------------- */

struct sess {
    char sid[X2GO_SID_MAX + 1];
    char esc[1100];          /* sid escaped for the log */
    bool sid_ok;             /* matches the id grammar: safe in paths */
    struct dm_user u;
    bool user_ok;
    int display;
    long pid;                /* X2GO_NULL_INT: start in progress */
    int pidfd;
    unsigned long long starttime;
    bool dead;
    int wd;                  /* inotify watch on the session dir */
    char status;             /* last status seen (or written) */
    char wrote;              /* last status this daemon wrote */
    enum x2go_agent_state state;
    bool in_db;
    bool cleaned;            /* files of the dead agent handled */
    bool umounted;           /* x2goumount-session run after the kill */
    char niced;              /* status the superenicer last applied */
    char last_time[20];
    int64_t resv_ms;         /* reservation unchanged since */
    int64_t f_alive_ms;      /* F with a live agent since */
    int64_t killed_ms;
    int64_t cand_ms;         /* outside suspend request seen at */
    int64_t susp_seen_ms;    /* R row with a suspended agent since */
    int suspend_tries;
    int64_t suspend_at;
    int term_tries;
    int64_t term_at;
    int64_t term_wait_ms;    /* T row whose agent says TERMINATING since */
};

struct dir_job {
    struct dm_user u;
    char sid[X2GO_SID_MAX + 1];
    int64_t due;
};

static struct sess **trk;
static size_t ntrk, captrk;
static struct dir_job *jobs;
static size_t njobs;

static struct x2go_store *store;
static int64_t store_retry_at;
static int ep = -1, infd = -1, sigfd = -1;
static int db_wd = -1;
static int64_t next_pass, next_periodic, last_pass;
static bool debug_mode;
static struct dm_nice_conf nice_conf;

static void want_pass_at(int64_t t)
{
    if (!next_pass || t < next_pass)
        next_pass = t;
}

/* A timer that started at since (0: not started) and runs for delay: true
 * while it runs, with a pass booked for the moment it ends. */
static bool waiting(int64_t since, int64_t delay, int64_t now)
{
    if (!since || now - since >= delay)
        return false;
    want_pass_at(since + delay);
    return true;
}

static struct sess *find(const char *sid)
{
    for (size_t i = 0; i < ntrk; i++)
        if (!strcmp(trk[i]->sid, sid))
            return trk[i];
    return NULL;
}

static struct sess *track(const struct x2go_session *r)
{
    if (ntrk == captrk) {
        captrk = captrk ? captrk * 2 : 32;
        trk = realloc(trk, captrk * sizeof *trk);
        if (!trk)
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
    trk[ntrk++] = t;
    return t;
}

static void drop_pidfd(struct sess *t)
{
    if (t->pidfd >= 0) {
        epoll_ctl(ep, EPOLL_CTL_DEL, t->pidfd, NULL);
        close(t->pidfd);
        t->pidfd = -1;
    }
}

static void drop_watch(struct sess *t)
{
    if (t->wd >= 0) {
        inotify_rm_watch(infd, t->wd);
        t->wd = -1;
    }
}

static void forget(struct sess *t)
{
    drop_pidfd(t);
    drop_watch(t);
    for (size_t i = 0; i < ntrk; i++)
        if (trk[i] == t) {
            trk[i] = trk[--ntrk];
            break;
        }
    free(t);
}

/* ---- the store -------------------------------------------------------- */

static void store_drop(const char *why)
{
    if (why)
        dm_log(LOG_WARNING, "session database: %s; retrying in %d s", why,
               DB_RETRY_MS / 1000);
    x2go_store_close(store);
    store = NULL;
    store_retry_at = dm_now() + DB_RETRY_MS;
    want_pass_at(store_retry_at);
}

static bool store_ready(void)
{
    if (store)
        return true;
    if (store_retry_at && dm_now() < store_retry_at) {
        want_pass_at(store_retry_at);
        return false;
    }
    store = x2go_store_open();
    if (!store) {
        store_drop(x2go_err());
        return false;
    }
    store_retry_at = 0;
    return true;
}

/* 0 done, 1 the row is gone, -1 database error (store dropped). */
static int set_status(struct sess *t, char to)
{
    int rc = store->ops->change_status(store, t->sid, to);
    if (rc < 0) {
        store_drop(x2go_err());
        return -1;
    }
    if (rc == 1) {
        dm_log(LOG_DEBUG, "%s: removed from database, not updating status.", t->esc);
        return 1;
    }
    t->status = to;
    t->wrote = to;
    return 0;
}

static int remove_row(struct sess *t)
{
    if (store->ops->remove(store, t->sid) < 0) {
        store_drop(x2go_err());
        return -1;
    }
    return 0;
}

/* ---- agents ----------------------------------------------------------- */

static bool pidfd_exited(int fd)
{
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, 0) > 0;
}

/* Alive: the process is this session's agent (owner and exact argv
 * element), held by a pidfd from then on. verify re-checks the argv of a
 * held agent (it may have exec'd something else). */
static bool agent_check(struct sess *t, bool verify)
{
    if (t->dead)
        return false;
    if (t->pid <= 1) {
        t->dead = true;
        return false;
    }
    uid_t uid = t->user_ok ? t->u.uid : (uid_t)-1;
    if (t->pidfd >= 0) {
        if (pidfd_exited(t->pidfd)) {
            drop_pidfd(t);
            t->dead = true;
            return false;
        }
        if (!verify || (x2go_agent_alive((pid_t)t->pid, t->sid, uid) &&
                        x2go_proc_starttime((pid_t)t->pid) == t->starttime))
            return true;
        drop_pidfd(t);
        t->dead = true;
        return false;
    }
    if (!x2go_agent_alive((pid_t)t->pid, t->sid, uid)) {
        t->dead = true;
        return false;
    }
    if (!t->user_ok)
        return true; /* an agent without a known user: leave it be */
    int fd = pidfd_open((pid_t)t->pid, 0);
    if (fd < 0) {
        if (errno == ESRCH) {
            t->dead = true;
            return false;
        }
        return true; /* out of fds: the periodic pass checks it */
    }
    unsigned long long start = x2go_proc_starttime((pid_t)t->pid);
    /* The pidfd refers to the process we verified only if it is still
     * running after the check (the pid cannot be reused before it exits). */
    if (!x2go_agent_alive((pid_t)t->pid, t->sid, uid) || pidfd_exited(fd)) {
        close(fd);
        t->dead = true;
        return false;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        close(fd);
        return true;
    }
    t->pidfd = fd;
    t->starttime = start;
    return true;
}

static int agent_signal(struct sess *t, int sig)
{
    if (t->pidfd >= 0)
        return pidfd_send_signal(t->pidfd, sig, NULL, 0);
    errno = ESRCH;
    return -1;
}

/* Watch the session dir so a state change wakes us. */
static void ensure_watch(struct sess *t)
{
    if (t->wd >= 0 || !t->sid_ok || !t->user_ok)
        return;
    char dir[700];
    struct stat st;
    if (x2go_user_tmpdir(dir, sizeof dir, t->u.name) < 0 || lstat(dir, &st) < 0 ||
        !S_ISDIR(st.st_mode) || st.st_uid != t->u.uid)
        return;
    if (x2go_session_dir(dir, sizeof dir, t->u.name, t->sid) < 0 || lstat(dir, &st) < 0 ||
        !S_ISDIR(st.st_mode) || st.st_uid != t->u.uid)
        return;
    int wd = inotify_add_watch(infd, dir, IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO |
                                              IN_CREATE | IN_DONT_FOLLOW | IN_ONLYDIR);
    if (wd >= 0) {
        for (size_t i = 0; i < ntrk; i++)
            if (trk[i] != t && trk[i]->wd == wd)
                return; /* same dir watched for another row: leave it there */
        t->wd = wd;
    }
}

static bool have(const char *prog)
{
    return access(prog, X_OK) == 0;
}

static pid_t run_user_cmd(struct sess *t, const char *prog)
{
    if (!t->user_ok || !t->sid_ok)
        return -1;
    char *argv[] = {(char *)prog, t->sid, NULL};
    char *const *const argvs[] = {argv};
    const char *what = strrchr(prog, '/') ? strrchr(prog, '/') + 1 : prog;
    pid_t pid = dm_run_as_user(&t->u, t->sid, what, argvs, 1);
    if (pid < 0)
        dm_log(LOG_WARNING, "%s: cannot run %s as %s: %s", t->esc, what, t->u.name,
               x2go_err());
    return pid;
}

/* As the user, one after the other: x2goumount-session <sid>, and with
 * rmforward $LIB/x2gormforward <sid> (ends the ssh connection that still
 * forwards the ports of a session that is no longer connected). Only the
 * programs that are installed. */
static void umount_shares(struct sess *t, bool rmforward)
{
    if (!t->user_ok || !t->sid_ok)
        return;
    dm_log(LOG_DEBUG, "%s: unmounting all shares", t->esc);
    static const char *const progs[] = {BINDIR "/x2goumount-session",
                                        X2GO_LIBEXECDIR "/x2gormforward"};
    char *argvs_mem[2][3];
    char *const *argvs[2];
    int n = 0;
    for (int i = 0; i < (rmforward ? 2 : 1); i++) {
        if (!have(progs[i]))
            continue;
        argvs_mem[n][0] = (char *)progs[i];
        argvs_mem[n][1] = t->sid;
        argvs_mem[n][2] = NULL;
        argvs[n] = argvs_mem[n];
        n++;
    }
    if (n && dm_run_as_user(&t->u, t->sid, rmforward ? "unmount/rmforward" : "x2goumount-session",
                            (char *const *const *)argvs, n) < 0)
        dm_log(LOG_WARNING, "%s: cannot run as %s: %s", t->esc, t->u.name, x2go_err());
}

/* The agent is gone: X11 files, shares, and later the session dir. */
static void files_cleanup(struct sess *t)
{
    if (t->cleaned || t->pid == X2GO_NULL_INT)
        return;
    t->cleaned = true;
    dm_x11_cleanup(t->sid, t->pid, t->display, t->user_ok && t->sid_ok ? t->u.uid : (uid_t)-1);
    if (!t->umounted)
        umount_shares(t, false);
    if (!t->user_ok || !t->sid_ok)
        return;
    if (njobs >= MAX_DIR_JOBS) {
        dm_log(LOG_WARNING, "%s: too many pending clean-ups, leaving its files", t->esc);
        return;
    }
    jobs = realloc(jobs, (njobs + 1) * sizeof *jobs);
    if (!jobs)
        abort();
    struct dir_job *j = &jobs[njobs++];
    j->u = t->u;
    snprintf(j->sid, sizeof j->sid, "%s", t->sid);
    j->due = dm_now() + DIR_GRACE_MS;
}

static void run_dir_jobs(int64_t now)
{
    for (size_t i = 0; i < njobs;) {
        struct dir_job *j = &jobs[i];
        if (j->due > now) {
            i++;
            continue;
        }
        if (dm_children_count() >= DM_MAX_CHILDREN) {
            j->due = now + 1000;
            i++;
            continue;
        }
        /* A session of that id back in the database is not ours to remove. */
        if (!find(j->sid)) {
            char esc[1100];
            dm_log(LOG_DEBUG, "%s: removing the session directory and link",
                   x2go_log_escape(j->sid, esc, sizeof esc));
            dm_remove_files_as_user(&j->u, j->sid);
        }
        jobs[i] = jobs[--njobs];
    }
}

static int64_t dir_jobs_next(void)
{
    int64_t next = 0;
    for (size_t i = 0; i < njobs; i++)
        if (!next || jobs[i].due < next)
            next = jobs[i].due;
    return next;
}

/* ---- the rules -------------------------------------------------------- */

/* Agent gone: F, clean up, delete the row. false: keep tracking (DB error). */
static bool handle_dead(struct sess *t, char status)
{
    if (status != 'F') {
        dm_log(LOG_DEBUG, "%s, pid %ld: does not exist, changing status from %c to F",
               t->esc, t->pid, status);
        if (set_status(t, 'F') < 0)
            return false;
    }
    files_cleanup(t);
    dm_log(LOG_DEBUG, "%s: in failed state, but agent is gone, forgetting.", t->esc);
    if (remove_row(t) < 0)
        return false;
    forget(t);
    return true;
}

/* F row, agent alive: give it 20 s, then SIGKILL (through the pidfd, so
 * it is certainly that agent). */
static void handle_blocked(struct sess *t, int64_t now)
{
    if (!t->f_alive_ms) {
        t->f_alive_ms = now;
        dm_log(LOG_DEBUG, "%s: is blocked.", t->esc);
        dm_log(LOG_DEBUG, "%s: adding to finished list.", t->esc);
    }
    if (waiting(t->f_alive_ms, F_KILL_AFTER_MS, now) || waiting(t->killed_ms, RETRY_MS, now))
        return;
    if (!t->killed_ms)
        dm_log(LOG_DEBUG, "%s: blocked for more than 20 seconds.", t->esc);
    dm_log(LOG_WARNING, "%s: found stale X-server process (%ld), sending SIGKILL", t->esc,
           t->pid);
    if (agent_signal(t, SIGKILL) < 0)
        dm_log(LOG_WARNING, "%s: cannot kill pid %ld: %s", t->esc, t->pid, strerror(errno));
    else if (!t->killed_ms) {
        umount_shares(t, true);
        t->umounted = true;
    }
    t->killed_ms = now;
    want_pass_at(now + RETRY_MS);
}

static void handle_suspended_running(struct sess *t, char old_status,
                                     enum x2go_agent_state old_state, bool is_new,
                                     int64_t now)
{
    /* R -> S from outside while the agent kept running: a suspend request
     * (x2gobroker-agent runs x2gochangestatus S). Anything else with DB S
     * and a running agent is a stale row (a resume in flight): fix the DB,
     * never suspend behind the client's back. */
    if (!is_new && old_status == 'R' && t->wrote != 'S' && old_state == X2GO_AS_RUNNING) {
        t->cand_ms = now;
        t->suspend_tries = 0;
        t->suspend_at = 0;
    }
    if (!t->cand_ms) {
        dm_log(LOG_DEBUG, "%s: updating session status from 'S' to 'R'.", t->esc);
        set_status(t, 'R');
        return;
    }
    if (waiting(t->cand_ms, SUSPEND_GRACE_MS, now) || waiting(t->suspend_at, RETRY_MS, now))
        return;
    if (t->suspend_tries < SUSPEND_TRIES && have(BINDIR "/x2gosuspend-session")) {
        dm_log(LOG_DEBUG, "%s: suspend has been requested via the session DB", t->esc);
        if (run_user_cmd(t, BINDIR "/x2gosuspend-session") > 0) {
            dm_log(LOG_DEBUG, "%s: was found running and has now been suspended", t->esc);
            t->suspend_tries++;
            t->suspend_at = now;
            want_pass_at(now + RETRY_MS);
        } else {
            want_pass_at(now + 1000);
        }
        return;
    }
    dm_log(LOG_WARNING, "%s: session status S desynchronized with current status (R) "
           "and session suspend already tried unsuccessfully", t->esc);
    t->cand_ms = 0;
    set_status(t, 'R');
}

static void handle_terminate(struct sess *t, enum x2go_agent_state st, int64_t now)
{
    if (st == X2GO_AS_TERMINATING || st == X2GO_AS_TERMINATED) {
        /* On its way out: the pidfd tells us when. One that hangs there
         * becomes F, and the F rule kills it 20 s later. */
        if (!t->term_wait_ms)
            t->term_wait_ms = now;
        if (waiting(t->term_wait_ms, F_KILL_AFTER_MS, now))
            return;
        dm_log(LOG_WARNING, "%s: agent pid %ld stays %s; marking the session failed", t->esc,
               t->pid, x2go_agent_state_name(st));
        set_status(t, 'F');
        return;
    }
    if (waiting(t->term_at, RETRY_MS, now))
        return;
    if (t->term_tries < TERMINATE_TRIES && have(BINDIR "/x2goterminate-session") &&
        t->sid_ok) {
        dm_log(LOG_DEBUG, "%s: termination has been requested via the session DB", t->esc);
        if (run_user_cmd(t, BINDIR "/x2goterminate-session") > 0) {
            t->term_tries++;
            t->term_at = now;
            want_pass_at(now + RETRY_MS);
        } else {
            want_pass_at(now + 1000);
        }
        return;
    }
    /* No terminate command, or it did not help: end the agent ourselves. */
    dm_log(LOG_WARNING, "%s: terminating agent pid %ld directly (SIGTERM)", t->esc, t->pid);
    agent_signal(t, SIGTERM);
    t->term_at = now;
    set_status(t, 'F');
}

/* How long ago the row's last_time (server local time) was, in
 * [0, RESERVATION_TTL_MS]; 0 when it cannot be parsed. */
static int64_t row_age_ms(const char *last_time)
{
    struct tm tm = {0};
    char *end = strptime(last_time, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end || *end)
        return 0;
    tm.tm_isdst = -1;
    time_t then = mktime(&tm);
    if (then == (time_t)-1)
        return 0;
    int64_t age = ((int64_t)time(NULL) - then) * 1000;
    return age < 0 ? 0 : age > RESERVATION_TTL_MS ? RESERVATION_TTL_MS : age;
}

static bool nice_candidate(const struct sess *t)
{
    return t->user_ok && t->sid_ok && !t->dead && t->pid != X2GO_NULL_INT &&
           (t->status == 'R' || t->status == 'S') && !strstr(t->sid, "XSHAD") &&
           !dm_nice_ignored(&nice_conf, t->u.name);
}

/* Per session: on first sight (unless the agent already has the level)
 * and on every R <-> S change. */
static void superenice(struct sess *t)
{
    if (!nice_candidate(t) || t->niced == t->status)
        return;
    int lvl = t->status == 'R' ? nice_conf.normal : nice_conf.idle;
    errno = 0;
    int cur = getpriority(PRIO_PROCESS, (id_t)t->pid);
    if (t->niced || errno != 0 || cur != lvl)
        dm_nice_session(t->u.uid, t->sid, (pid_t)t->pid, lvl);
    t->niced = t->status;
}

/* force-user-renice: the whole user at one level, running wins. */
static void superenice_users(void)
{
    static struct { uid_t uid; int lvl; } applied[512];
    static size_t napplied;
    for (size_t i = 0; i < ntrk; i++) {
        if (!trk[i]->in_db || !nice_candidate(trk[i]))
            continue;
        uid_t uid = trk[i]->u.uid;
        bool running = false, seen = false;
        for (size_t j = 0; j < ntrk; j++) {
            if (!trk[j]->in_db || !nice_candidate(trk[j]) || trk[j]->u.uid != uid)
                continue;
            if (j < i) {
                seen = true; /* this user was handled at j */
                break;
            }
            running |= trk[j]->status == 'R';
        }
        if (seen)
            continue;
        int lvl = running ? nice_conf.normal : nice_conf.idle;
        size_t k = 0;
        while (k < napplied && applied[k].uid != uid)
            k++;
        if (k < napplied && applied[k].lvl == lvl)
            continue;
        dm_nice_user(uid, lvl);
        if (k == napplied && napplied < X2GO_ARRAY_LEN(applied))
            applied[napplied++].uid = uid;
        if (k < napplied)
            applied[k].lvl = lvl;
    }
}

static void handle_row(struct sess *t, const struct x2go_session *r, bool is_new,
                       bool verify, int64_t now)
{
    char old_status = t->status;
    enum x2go_agent_state old_state = t->state;
    if (r->status != old_status)
        t->wrote = 0; /* changed by someone else since our last write */
    t->status = r->status;
    t->display = r->display;
    if (is_new || strcmp(t->u.name, r->uname) != 0)
        t->user_ok = dm_user_lookup(r->uname, &t->u) == 0;
    if (!t->user_ok)
        snprintf(t->u.name, sizeof t->u.name, "%s", r->uname);

    if (r->agent_pid == X2GO_NULL_INT) {
        /* A start in progress. Removed only when it stayed unchanged for
         * 60 s: a slow start must not lose its row. */
        if (r->status == 'F') {
            dm_log(LOG_DEBUG, "%s: failed start, removing its reservation", t->esc);
            if (remove_row(t) == 0)
                forget(t);
            return;
        }
        if (is_new || old_status != r->status || strcmp(t->last_time, r->last_time)) {
            /* First sight: the row's own last_time counts (a restarted
             * daemon, or one starting after a reboot, need not wait
             * another 60 s), capped so a clock step cannot make it older
             * than the limit. */
            t->resv_ms = now - (is_new ? row_age_ms(r->last_time) : 0);
            snprintf(t->last_time, sizeof t->last_time, "%s", r->last_time);
        }
        if (now - t->resv_ms >= RESERVATION_TTL_MS) {
            dm_log(LOG_DEBUG, "%s: start did not complete within %d s, removing its "
                   "reservation", t->esc, RESERVATION_TTL_MS / 1000);
            if (remove_row(t) == 0)
                forget(t);
        } else {
            want_pass_at(t->resv_ms + RESERVATION_TTL_MS);
        }
        return;
    }
    if (t->pid != r->agent_pid) {
        drop_pidfd(t);
        t->pid = r->agent_pid;
        t->dead = false;
        t->cleaned = false;
    }
    if (!agent_check(t, verify)) {
        handle_dead(t, r->status);
        return;
    }
    if (!t->user_ok)
        return; /* an agent of an unknown user: nothing we can verify */
    ensure_watch(t);
    enum x2go_agent_state st = x2go_agent_state_read(t->u.name, t->u.uid, t->sid);
    t->state = st;
    if (r->status != 'F')
        t->f_alive_ms = t->killed_ms = 0;
    if (r->status != 'S' || st != X2GO_AS_RUNNING)
        t->cand_ms = 0;
    if (r->status != 'T') {
        t->term_tries = 0;
        t->term_at = t->term_wait_ms = 0;
    }

    switch (r->status) {
    case 'R':
        if (st != X2GO_AS_SUSPENDING && st != X2GO_AS_SUSPENDED) {
            t->susp_seen_ms = 0;
            break;
        }
        /* A user's own x2gosuspend-session writes S itself right after
         * its SIGHUP: give it that moment before stepping in (and ending
         * the ssh connection it may be running in). */
        if (!t->susp_seen_ms)
            t->susp_seen_ms = now;
        if (waiting(t->susp_seen_ms, SELF_SUSPEND_GRACE_MS, now))
            break;
        dm_log(LOG_DEBUG, "%s: is suspended, changing status from R to S", t->esc);
        if (set_status(t, 'S') == 0)
            umount_shares(t, true);
        t->susp_seen_ms = 0;
        break;
    case 'S':
        if (st == X2GO_AS_RUNNING)
            handle_suspended_running(t, old_status, old_state, is_new, now);
        else if (st == X2GO_AS_STARTING || st == X2GO_AS_RESUMING) {
            dm_log(LOG_DEBUG, "%s: updating session status from 'S' to 'R'.", t->esc);
            set_status(t, 'R');
        }
        break;
    case 'T':
        handle_terminate(t, st, now);
        break;
    case 'F':
        handle_blocked(t, now);
        break;
    default:
        break;
    }
    if (nice_conf.enable && !nice_conf.force_user)
        superenice(t);
}

/* A live agent of this session: some process of uid with argv element
 * "X2GO-<sid>". Only used for session dirs whose row is gone (rare). */
static bool agent_process_exists(uid_t uid, const char *sid)
{
    DIR *d = opendir("/proc");
    if (!d)
        return true;
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        if (!x2go_is_digits(e->d_name))
            continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, 0) < 0 || st.st_uid != uid)
            continue;
        found = x2go_agent_alive((pid_t)atol(e->d_name), sid, uid);
    }
    closedir(d);
    return found;
}

/* The agent's state file or the command's output changed lately. */
static bool recently_touched(int dfd, const char *dir, time_t wall)
{
    static const char *const files[] = {"state", "cmdoutput", "session.log"};
    for (size_t i = 0; i < X2GO_ARRAY_LEN(files); i++) {
        char path[X2GO_SID_MAX + 32];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if (fstatat(dfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            wall - st.st_mtime < DIR_GRACE_MS / 1000)
            return true;
    }
    return false;
}

static bool job_pending(const char *sid)
{
    for (size_t i = 0; i < njobs; i++)
        if (!strcmp(jobs[i].sid, sid))
            return true;
    return false;
}

/* Session dirs of sessions that are gone from the database: the pending
 * clean-up was lost in a restart, or an older server left them behind
 * (spec 8.3 item 23). Removed as the user once untouched for the grace
 * period and when no agent of that session runs. Bounded per pass. */
static void orphan_scan(void)
{
    DIR *tmp = opendir("/tmp");
    if (!tmp)
        return;
    time_t wall = time(NULL);
    int budget = 20000, started = 0;
    struct dirent *e;
    while (store && (e = readdir(tmp)) != NULL && --budget > 0) {
        if (strncmp(e->d_name, ".x2go-", 6) != 0)
            continue;
        struct dm_user u;
        if (dm_user_lookup(e->d_name + 6, &u) < 0)
            continue;
        int dfd = openat(dirfd(tmp), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (dfd < 0)
            continue;
        if (fstat(dfd, &st) < 0 || st.st_uid != u.uid) {
            close(dfd);
            continue;
        }
        DIR *d = fdopendir(dfd);
        if (!d) {
            close(dfd);
            continue;
        }
        struct dirent *c;
        while (store && (c = readdir(d)) != NULL && --budget > 0) {
            const char *sid = c->d_name + 2;
            if (strncmp(c->d_name, "C-", 2) != 0 || !x2go_sid_valid(sid) || find(sid) ||
                job_pending(sid))
                continue;
            if (fstatat(dirfd(d), c->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                !S_ISDIR(st.st_mode) || st.st_uid != u.uid ||
                wall - st.st_mtime < DIR_GRACE_MS / 1000 ||
                recently_touched(dirfd(d), c->d_name, wall))
                continue;
            struct x2go_session row;
            int rc = store->ops->get(store, sid, &row);
            if (rc < 0) {
                store_drop(x2go_err());
                break;
            }
            if (rc == 0 || agent_process_exists(u.uid, sid))
                continue;
            if (dm_children_count() >= DM_MAX_CHILDREN / 2 || started >= 8)
                break; /* the rest next time */
            char esc[1100];
            dm_log(LOG_NOTICE, "%s: session directory without a session, removing it",
                   x2go_log_escape(sid, esc, sizeof esc));
            if (dm_remove_files_as_user(&u, sid) > 0)
                started++;
        }
        closedir(d);
    }
    closedir(tmp);
}

static pid_t pidfile_owner(void);

/* The pid file must name us while we run (something may have removed it:
 * a restart race, an admin, a reference daemon's SIGTERM handler). */
static void ensure_pidfile(void)
{
    char buf[32];
    if (debug_mode || (x2go_read_file(X2GO_PIDFILE, buf, sizeof buf) > 0 &&
                       strtol(buf, NULL, 10) == (long)getpid()))
        return;
    if (pidfile_owner() > 0)
        return; /* names another live daemon: not ours to overwrite */
    char line[32];
    int n = snprintf(line, sizeof line, "%d\n", (int)getpid());
    if (x2go_write_file_atomic(X2GO_PIDFILE, line, (size_t)n, 0644) == 0)
        dm_log(LOG_NOTICE, "%s was missing or stale; rewritten", X2GO_PIDFILE);
}

/* One reconcile pass over this host's rows. */
static void pass(bool verify)
{
    int64_t now = dm_now();
    last_pass = now;
    if (verify)
        next_periodic = now + PERIODIC_MS;
    if (!store_ready())
        return;
    char host[256];
    if (x2go_hostname(host, sizeof host) < 0) {
        dm_log(LOG_ERR, "%s", x2go_err());
        return;
    }
    struct x2go_list_query q = {.kind = X2GO_LIST_ROOT, .server = host};
    struct x2go_session_list l = {0};
    if (store->ops->list(store, &q, &l) < 0) {
        store_drop(x2go_err());
        x2go_list_free(&l);
        return;
    }
    for (size_t i = 0; i < ntrk; i++)
        trk[i]->in_db = false;
    for (size_t i = 0; i < l.n && store; i++) {
        struct x2go_session *r = &l.s[i];
        struct sess *t = find(r->sid);
        bool is_new = !t;
        if (!t)
            t = track(r);
        t->in_db = true;
        handle_row(t, r, is_new, verify, now);
    }
    x2go_list_free(&l);
    if (!store)
        return; /* a DB error: the rest waits for the retry */
    /* Rows that disappeared: keep an F agent that still lives (the
     * finished list), clean up after dead ones, forget the rest. */
    for (size_t i = 0; i < ntrk;) {
        struct sess *t = trk[i];
        if (t->in_db) {
            i++;
            continue;
        }
        if (t->pid != X2GO_NULL_INT && agent_check(t, verify)) {
            if (t->status == 'F' && t->user_ok) {
                handle_blocked(t, now);
                i++;
                continue;
            }
        } else if (t->pid != X2GO_NULL_INT) {
            files_cleanup(t);
        }
        forget(t); /* swaps the last entry into i */
    }
    if (nice_conf.enable && nice_conf.force_user)
        superenice_users();
    if (verify)
        orphan_scan();
}

/* ---- events ----------------------------------------------------------- */

static void read_inotify(void)
{
    char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (int guard = 0; guard < 64; guard++) {
        ssize_t n = read(infd, buf, sizeof buf);
        if (n <= 0)
            return;
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *e = (struct inotify_event *)p;
            p += sizeof *e + e->len;
            if (e->mask & IN_Q_OVERFLOW) {
                want_pass_at(dm_now() + DEBOUNCE_MS);
                continue;
            }
            if (e->wd == db_wd && (e->mask & IN_IGNORED)) {
                db_wd = -1; /* the directory went away: re-watched periodically */
                store_drop(NULL);
                store_retry_at = 0;
                want_pass_at(dm_now() + DEBOUNCE_MS);
                continue;
            }
            if (e->wd == db_wd) {
                if (!e->len || strncmp(e->name, "x2go_sessions", 13) != 0)
                    continue;
                const char *rest = e->name + 13;
                if (*rest && strcmp(rest, "-wal") != 0)
                    continue;
                /* The file itself replaced: reopen the store. */
                if (!*rest && (e->mask & (IN_CREATE | IN_MOVED_TO | IN_DELETE)) && store) {
                    store_drop(NULL);
                    store_retry_at = 0;
                }
                want_pass_at(dm_now() + DEBOUNCE_MS);
                continue;
            }
            if (e->mask & IN_IGNORED) {
                for (size_t i = 0; i < ntrk; i++)
                    if (trk[i]->wd == e->wd)
                        trk[i]->wd = -1;
                continue;
            }
            if (e->len && !strcmp(e->name, "state"))
                want_pass_at(dm_now() + DEBOUNCE_MS);
        }
    }
}

static void watch_db_dir(void)
{
    static bool warned;
    if (db_wd >= 0)
        return;
    db_wd = inotify_add_watch(infd, X2GO_STATEDIR,
                              IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_ONLYDIR);
    if (db_wd < 0 && !warned)
        dm_log(LOG_WARNING, "cannot watch %s (%s); database changes are seen every %d s",
               X2GO_STATEDIR, strerror(errno), PERIODIC_MS / 1000);
    warned = db_wd < 0;
}

static bool read_signals(void)
{
    struct signalfd_siginfo si;
    bool stop = false;
    while (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
        switch (si.ssi_signo) {
        case SIGTERM:
        case SIGINT:
            stop = true;
            break;
        case SIGCHLD:
            dm_children_reap();
            break;
        case SIGHUP:
            want_pass_at(dm_now());
            next_periodic = dm_now();
            break;
        default:
            break;
        }
    }
    return stop;
}

static void handle_pidfd(int fd)
{
    for (size_t i = 0; i < ntrk; i++)
        if (trk[i]->pidfd == fd) {
            drop_pidfd(trk[i]);
            trk[i]->dead = true;
            dm_log(LOG_DEBUG, "%s: agent pid %ld exited", trk[i]->esc, trk[i]->pid);
            want_pass_at(dm_now() + DEBOUNCE_MS);
            return;
        }
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
}

static int64_t min_nonzero(int64_t a, int64_t b)
{
    return !a ? b : !b ? a : a < b ? a : b;
}

static void loop(void)
{
    next_periodic = dm_now(); /* the first pass cleans up after a reboot */
    want_pass_at(dm_now());
    for (;;) {
        int64_t now = dm_now();
        int64_t due = min_nonzero(min_nonzero(next_pass, next_periodic),
                                  min_nonzero(dm_children_next_deadline(), dir_jobs_next()));
        int timeout = due <= now ? 0 : due - now > 60000 ? 60000 : (int)(due - now);
        struct epoll_event ev[32];
        int n = epoll_wait(ep, ev, 32, timeout);
        if (n < 0 && errno != EINTR) {
            dm_log(LOG_ERR, "epoll_wait: %s", strerror(errno));
            sleep(1);
            continue;
        }
        for (int i = 0; i < n; i++) {
            int fd = ev[i].data.fd;
            if (fd == sigfd) {
                if (read_signals())
                    return;
            } else if (fd == infd) {
                read_inotify();
            } else {
                handle_pidfd(fd);
            }
        }
        now = dm_now();
        dm_children_timeouts(now);
        run_dir_jobs(now);
        bool periodic = now >= next_periodic;
        if (periodic || (next_pass && now >= next_pass)) {
            if (now - last_pass < MIN_PASS_GAP_MS && !periodic) {
                next_pass = last_pass + MIN_PASS_GAP_MS;
                continue;
            }
            next_pass = 0;
            if (periodic && last_pass) {
                ensure_pidfile();
                watch_db_dir();
            }
            pass(periodic);
        }
    }
}

/* ---- start, single instance, pid file --------------------------------- */

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
static int take_lock(void)
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

static void remove_pidfile(void)
{
    char buf[32];
    if (x2go_read_file(X2GO_PIDFILE, buf, sizeof buf) > 0 &&
        strtol(buf, NULL, 10) == (long)getpid())
        unlink(X2GO_PIDFILE);
}

static int daemonize(void)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        x2go_complain("fork: %s", strerror(errno));
        return -1;
    }
    if (pid > 0) {
        char line[32];
        int n = snprintf(line, sizeof line, "%d\n", (int)pid);
        if (x2go_write_file_atomic(X2GO_PIDFILE, line, (size_t)n, 0644) < 0) {
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

static int setup(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    infd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (sigfd < 0 || infd < 0 || ep < 0) {
        dm_log(LOG_ERR, "cannot set up events: %s", strerror(errno));
        return -1;
    }
    struct epoll_event e1 = {.events = EPOLLIN, .data.fd = sigfd};
    struct epoll_event e2 = {.events = EPOLLIN, .data.fd = infd};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, sigfd, &e1) < 0 ||
        epoll_ctl(ep, EPOLL_CTL_ADD, infd, &e2) < 0) {
        dm_log(LOG_ERR, "epoll_ctl: %s", strerror(errno));
        return -1;
    }
    watch_db_dir();
    return 0;
}

int main(int argc, char **argv)
{
    x2go_set_progname("x2gocleansessions");
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--debug") || !strcmp(argv[i], "-d")) {
            debug_mode = true;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") ||
                   !strcmp(argv[i], "-?")) {
            fputs(usage_text, stdout);
            return 0;
        } else {
            char esc[256];
            x2go_complain("unknown option '%s'", x2go_log_escape(argv[i], esc, sizeof esc));
            fputs(usage_text, stderr);
            return 2;
        }
    }
    if (getuid() != 0 || geteuid() != 0) {
        x2go_complain("must be run as root");
        return 1;
    }
    closefrom(3);
    setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
    int lock = take_lock();
    if (lock < 0)
        return 1;
    if (!debug_mode && daemonize() < 0)
        return 1;
    dm_log_init(debug_mode);
    dm_nice_load(&nice_conf);
    if (nice_conf.enable)
        dm_log(LOG_INFO, "superenicer enabled: normal %d, idle %d%s", nice_conf.normal,
               nice_conf.idle, nice_conf.force_user ? ", per user" : "");
    if (setup() < 0)
        return 1;
    dm_log(LOG_NOTICE, "x2gocleansessions started (pid %d)", (int)getpid());
    loop();
    dm_log(LOG_NOTICE, "x2gocleansessions stopping (pid %d)", (int)getpid());
    if (!debug_mode)
        remove_pidfile();
    x2go_store_close(store);
    close(lock);
    return 0;
}
