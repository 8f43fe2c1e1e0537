/* One reconcile pass of x2gocleansessions over this host's rows: gather
 * the facts of each row, ask the rules (decide.c) and act on the answer. */
#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "sharing.h"
#include "store.h"
#include "util.h"
#include "x2go-config.h"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define MAX_DIR_JOBS 4096
#define FOREIGN_TTL_MS (10 * 60000) /* reservation of another host name */
#define BINDIR X2GO_PREFIX "/bin"

static bool have(const char *prog)
{
    return access(prog, X_OK) == 0;
}

pid_t dm_run_user_cmd(struct daemon *d, struct sess *t, const char *prog)
{
    if (!t->user_ok || !t->sid_ok)
        return -1;
    char *argv[] = {(char *)prog, t->sid, NULL};
    char *const *const argvs[] = {argv};
    const char *what = strrchr(prog, '/') + 1;
    pid_t pid = dm_run_as_user(&d->kids, &t->u, t->sid, what, argvs, 1);
    if (pid < 0)
        dm_log(LOG_WARNING, "%s: cannot run %s as %s: %s", t->esc, what, t->u.name,
               x2go_err());
    return pid;
}

/* As the user, one after the other: x2goumount-session <sid>, and with
 * rmforward $LIB/x2gormforward <sid> (ends the ssh connection that still
 * forwards the ports of a session that is no longer connected). Only the
 * programs that are installed. */
static pid_t umount_shares(struct daemon *d, struct sess *t, bool rmforward)
{
    if (!t->user_ok || !t->sid_ok)
        return -1;
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
    pid_t pid = n ? dm_run_as_user(&d->kids, &t->u, t->sid,
                                   rmforward ? "unmount/rmforward" : "x2goumount-session",
                                   (char *const *const *)argvs, n) : -1;
    if (n && pid < 0)
        dm_log(LOG_WARNING, "%s: cannot run as %s: %s", t->esc, t->u.name, x2go_err());
    return pid;
}

/* The agent is gone: X11 files, shares, and later the session dir. */
void dm_files_cleanup(struct daemon *d, struct sess *t)
{
    if (t->cleaned || t->pid == X2GO_NULL_INT)
        return;
    t->cleaned = true;
    dm_x11_cleanup(t->sid, t->pid, t->display, t->user_ok && t->sid_ok ? t->u.uid : (uid_t)-1);
    if (!t->umounted)
        t->umount_pid = umount_shares(d, t, false);
    if (!t->user_ok || !t->sid_ok)
        return;
    if (d->njobs >= MAX_DIR_JOBS) {
        dm_log(LOG_WARNING, "%s: too many pending clean-ups, leaving its files", t->esc);
        return;
    }
    d->jobs = realloc(d->jobs, (d->njobs + 1) * sizeof *d->jobs);
    if (!d->jobs)
        abort();
    struct dir_job *j = &d->jobs[d->njobs++];
    j->u = t->u;
    snprintf(j->sid, sizeof j->sid, "%s", t->sid);
    j->due = x2go_now_ms() + DM_DIR_GRACE_MS;
}

void dm_run_dir_jobs(struct daemon *d, int64_t now)
{
    for (size_t i = 0; i < d->njobs;) {
        struct dir_job *j = &d->jobs[i];
        if (j->due > now) {
            i++;
            continue;
        }
        if (dm_children_count(&d->kids) >= DM_MAX_CHILDREN) {
            j->due = now + 1000;
            i++;
            continue;
        }
        /* A session of that id back in the database is not ours to remove. */
        if (!dm_find(d, j->sid)) {
            char esc[1100];
            dm_log(LOG_DEBUG, "%s: removing the session directory and link",
                   x2go_log_escape(j->sid, esc, sizeof esc));
            dm_remove_files_as_user(&d->kids, &j->u, j->sid);
        }
        d->jobs[i] = d->jobs[--d->njobs];
    }
}

int64_t dm_dir_jobs_next(const struct daemon *d)
{
    int64_t next = 0;
    for (size_t i = 0; i < d->njobs; i++)
        if (!next || d->jobs[i].due < next)
            next = d->jobs[i].due;
    return next;
}

bool dm_job_pending(const struct daemon *d, const char *sid)
{
    for (size_t i = 0; i < d->njobs; i++)
        if (!strcmp(d->jobs[i].sid, sid))
            return true;
    return false;
}

/* How long ago a row's time (server local time) was, in ms, at least 0;
 * -1 when it cannot be parsed. */
int64_t dm_local_age_ms(const char *local_time)
{
    struct tm tm = {0};
    char *end = strptime(local_time, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end || *end)
        return -1;
    tm.tm_isdst = -1;
    time_t then = mktime(&tm);
    if (then == (time_t)-1)
        return -1;
    int64_t age = ((int64_t)time(NULL) - then) * 1000;
    return age < 0 ? 0 : age;
}

/* The age of last_time in [0, cap]; 0 when it cannot be parsed. */
static int64_t row_age_ms(const char *last_time, int64_t cap)
{
    int64_t age = dm_local_age_ms(last_time);
    return age < 0 ? 0 : age > cap ? cap : age;
}

/* ---- acting on the rules ---------------------------------------------- */

/* F agent that lingers: DM_BLOCKED, DM_KILL_FIRST or DM_KILL_AGAIN. */
void dm_blocked_act(struct daemon *d, struct sess *t, enum dm_action act)
{
    (void)d;
    if (act == DM_BLOCKED) {
        dm_log(LOG_DEBUG, "%s: is blocked.", t->esc);
        dm_log(LOG_DEBUG, "%s: adding to finished list.", t->esc);
        return;
    }
    if (act == DM_KILL_FIRST)
        dm_log(LOG_DEBUG, "%s: blocked for more than 20 seconds.", t->esc);
    dm_log(LOG_WARNING, "%s: found stale X-server process (%ld), sending SIGKILL", t->esc,
           t->pid);
    if (dm_agent_signal(t, SIGKILL) < 0)
        dm_log(LOG_WARNING, "%s: cannot kill pid %ld: %s", t->esc, t->pid, strerror(errno));
    else if (act == DM_KILL_FIRST) {
        umount_shares(d, t, true);
        t->umounted = true;
    }
}

/* Agent gone: F, clean up, delete the row. */
static void act_dead(struct daemon *d, struct sess *t)
{
    if (t->tr.status != 'F') {
        dm_log(LOG_DEBUG, "%s, pid %ld: does not exist, changing status from %c to F",
               t->esc, t->pid, t->tr.status);
        if (dm_set_status(d, t, 'F') < 0)
            return;
    }
    dm_files_cleanup(d, t);
    /* x2goumount-session finds the shares through the row: it stays
     * until that has run (bounded by the child's timeout). */
    if (dm_child_running(&d->kids, t->umount_pid)) {
        dm_want_pass_at(d, x2go_now_ms() + DM_UMOUNT_POLL_MS);
        return;
    }
    dm_log(LOG_DEBUG, "%s: in failed state, but agent is gone, forgetting.", t->esc);
    if (dm_remove_row(d, t) == 0)
        dm_forget(d, t);
}

static void act_run(struct daemon *d, struct sess *t, enum dm_action act, int64_t now)
{
    int64_t wake = 0;
    bool susp = act == DM_SUSPEND;
    dm_log(LOG_DEBUG, "%s: %s has been requested via the session DB", t->esc,
           susp ? "suspend" : "termination");
    pid_t pid = dm_run_user_cmd(d, t, susp ? BINDIR "/x2gosuspend-session"
                                     : BINDIR "/x2goterminate-session");
    if (pid > 0 && susp)
        dm_log(LOG_DEBUG, "%s: was found running and has now been suspended", t->esc);
    dm_ran(&t->tr, act, pid > 0, now, &wake);
    dm_want_pass_at(d, wake);
}

/* The status changes: DM_MARK_SUSPENDED, DM_MARK_RUNNING,
 * DM_SUSPEND_GAVE_UP, DM_TERM_STUCK, DM_TERM_SIGNAL. */
static void act_status(struct daemon *d, struct sess *t, enum dm_action a)
{
    char to = 'F';
    if (a == DM_MARK_SUSPENDED)
        to = 'S';
    else if (a == DM_MARK_RUNNING || a == DM_SUSPEND_GAVE_UP)
        to = 'R';
    if (a == DM_MARK_SUSPENDED)
        dm_log(LOG_DEBUG, "%s: is suspended, changing status from R to S", t->esc);
    else if (a == DM_MARK_RUNNING)
        dm_log(LOG_DEBUG, "%s: updating session status from 'S' to 'R'.", t->esc);
    else if (a == DM_SUSPEND_GAVE_UP)
        dm_log(LOG_WARNING, "%s: session status S desynchronized with current status (R) "
               "and session suspend already tried unsuccessfully", t->esc);
    else if (a == DM_TERM_STUCK)
        dm_log(LOG_WARNING, "%s: agent pid %ld stays %s; marking the session failed", t->esc,
               t->pid, x2go_agent_state_name(t->tr.state));
    else {
        dm_log(LOG_WARNING, "%s: terminating agent pid %ld directly (SIGTERM)", t->esc,
               t->pid);
        dm_agent_signal(t, SIGTERM);
    }
    if (dm_set_status(d, t, to) == 0 && a == DM_MARK_SUSPENDED)
        umount_shares(d, t, true);
}

/* Returns false when t was forgotten. */
static bool act(struct daemon *d, struct sess *t, enum dm_action a, int64_t now)
{
    switch (a) {
    case DM_NOTHING:
    case DM_FORGET:
    case DM_FORGET_CLEANUP:
        return true;
    case DM_RESV_FAILED:
    case DM_RESV_EXPIRED:
        if (a == DM_RESV_FAILED)
            dm_log(LOG_DEBUG, "%s: failed start, removing its reservation", t->esc);
        else
            dm_log(LOG_DEBUG, "%s: start did not complete within %d s, removing its "
                   "reservation", t->esc, DM_RESERVATION_TTL_MS / 1000);
        if (dm_remove_row(d, t) < 0)
            return true;
        dm_forget(d, t);
        return false;
    case DM_DEAD:
        act_dead(d, t);
        return false; /* forgotten, or the store is down and the pass ends */
    case DM_SUSPEND:
    case DM_TERMINATE:
        act_run(d, t, a, now);
        return true;
    case DM_BLOCKED:
    case DM_KILL_FIRST:
    case DM_KILL_AGAIN:
        dm_blocked_act(d, t, a);
        return true;
    default:
        act_status(d, t, a);
        return true;
    }
}

/* A shared desktop's row is the viewer's; its agent and files are the
 * desktop owner's, and so is what the daemon does for it. Unless the
 * agent runs as the row's own user (a row written by other tools). */
static const char *agent_user(const struct x2go_session *r)
{
    static char ab[X2GO_USER_MAX + 1];
    const char *who = x2go_agent_user(r->sid, r->uname, ab, sizeof ab);
    char proc[32];
    struct stat st;
    struct passwd *pw;
    if (who == r->uname || r->agent_pid == X2GO_NULL_INT)
        return who;
    snprintf(proc, sizeof proc, "/proc/%lld", (long long)r->agent_pid);
    if (stat(proc, &st) == 0 && (pw = getpwnam(r->uname)) && st.st_uid == pw->pw_uid)
        return r->uname;
    return who;
}

static void handle_row(struct daemon *d, struct sess *t, const struct x2go_session *r,
                       bool is_new, bool verify, int64_t now)
{
    t->display = r->display;
    snprintf(t->cookie, sizeof t->cookie, "%s", r->cookie);
    const char *who = agent_user(r);
    if (is_new || strcmp(t->u.name, who) != 0)
        t->user_ok = dm_user_lookup(who, &t->u) == 0;
    if (!t->user_ok)
        snprintf(t->u.name, sizeof t->u.name, "%s", who);
    struct dm_row row = {
        .status = r->status,
        .reservation = r->agent_pid == X2GO_NULL_INT,
        .is_new = is_new,
        .last_time_changed = strcmp(t->last_time, r->last_time) != 0,
        .age_ms = is_new ? row_age_ms(r->last_time, DM_RESERVATION_TTL_MS) : 0,
    };
    snprintf(t->last_time, sizeof t->last_time, "%s", r->last_time);
    struct dm_agent ag = {.live = DM_GONE, .user_ok = t->user_ok};
    if (!row.reservation) {
        if (t->pid != r->agent_pid) {
            dm_drop_pidfd(d, t);
            t->pid = r->agent_pid;
            t->dead = false;
            t->cleaned = false;
            t->umount_pid = 0;
        }
        ag.live = dm_agent_check(d, t, verify);
    }
    if (ag.live == DM_ALIVE && t->user_ok) {
        dm_ensure_watch(d, t);
        ag.state = x2go_agent_state_read(t->u.name, t->u.uid, t->sid);
        ag.can_suspend = have(BINDIR "/x2gosuspend-session");
        ag.can_terminate = t->sid_ok && have(BINDIR "/x2goterminate-session");
    }
    int64_t wake = 0;
    enum dm_action a = dm_decide(&row, &ag, &t->tr, now, &wake);
    if (wake)
        dm_want_pass_at(d, wake);
    if (!act(d, t, a, now) || ag.live != DM_ALIVE || !t->user_ok)
        return;
    if (a == DM_NOTHING)
        dm_limits_row(d, t, r, ag.state, now);
    dm_superenice(d, t);
}

/* Tracked rows that disappeared: keep an F agent that still lives (the
 * finished list), clean up after dead ones, forget the rest. */
static void handle_gone(struct daemon *d, bool verify, int64_t now)
{
    for (size_t i = 0; i < d->ntrk;) {
        struct sess *t = d->trk[i];
        if (t->in_db) {
            i++;
            continue;
        }
        bool has_agent = t->pid != X2GO_NULL_INT;
        struct dm_agent ag = {.live = DM_GONE, .user_ok = t->user_ok};
        if (has_agent)
            ag.live = dm_agent_check(d, t, verify);
        int64_t wake = 0;
        enum dm_action a = dm_decide_gone(has_agent, &ag, &t->tr, now, &wake);
        if (wake)
            dm_want_pass_at(d, wake);
        if (a == DM_FORGET_CLEANUP)
            dm_files_cleanup(d, t);
        if (a == DM_FORGET || a == DM_FORGET_CLEANUP) {
            dm_forget(d, t); /* swaps the last entry into i */
            continue;
        }
        if (a != DM_NOTHING)
            dm_blocked_act(d, t, a);
        i++;
    }
}

/* All rows of server (NULL: every host); false on a database error. */
static bool list_rows(struct daemon *d, const char *server, struct x2go_session_list *l)
{
    struct x2go_list_query q = {.kind = X2GO_LIST_ROOT, .server = server};
    if (d->store->ops->list(d->store, &q, l) >= 0)
        return true;
    dm_store_drop(d, x2go_err());
    x2go_list_free(l);
    return false;
}

/* Reservations (no agent) of other host names: no daemon may ever see
 * them, and they hold ports and displays. */
static void expire_foreign(struct daemon *d, const char *host)
{
    struct x2go_session_list l = {0};
    if (!list_rows(d, NULL, &l))
        return;
    for (size_t i = 0; i < l.n && d->store; i++) {
        struct x2go_session *r = &l.s[i];
        if (r->agent_pid != X2GO_NULL_INT || !strcmp(r->server, host) ||
            !dm_foreign_reservation_expired(row_age_ms(r->last_time, FOREIGN_TTL_MS),
                                            FOREIGN_TTL_MS))
            continue;
        char esc[1100];
        dm_log(LOG_NOTICE, "%s: reservation for another host older than %d s, removing it",
               x2go_log_escape(r->sid, esc, sizeof esc), FOREIGN_TTL_MS / 1000);
        if (d->store->ops->remove(d->store, r->sid) < 0)
            dm_store_drop(d, x2go_err());
    }
    x2go_list_free(&l);
}

static void pass_rows(struct daemon *d, const char *host, bool verify, int64_t now)
{
    struct x2go_session_list l = {0};
    if (!list_rows(d, host, &l))
        return;
    for (size_t i = 0; i < d->ntrk; i++)
        d->trk[i]->in_db = false;
    for (size_t i = 0; i < l.n && d->store; i++) {
        struct x2go_session *r = &l.s[i];
        struct sess *t = dm_find(d, r->sid);
        bool is_new = !t;
        if (!t)
            t = dm_track_row(d, r);
        t->in_db = true;
        handle_row(d, t, r, is_new, verify, now);
    }
    x2go_list_free(&l);
}

/* One reconcile pass over this host's rows. */
void dm_pass(struct daemon *d, bool verify)
{
    int64_t now = x2go_now_ms();
    d->last_pass = now;
    if (verify)
        d->next_periodic = now + DM_PERIODIC_MS;
    if (!dm_store_ready(d))
        return;
    char host[256];
    if (x2go_hostname(host, sizeof host) < 0) {
        dm_log(LOG_ERR, "%s", x2go_err());
        return;
    }
    pass_rows(d, host, verify, now);
    if (!d->store)
        return; /* a DB error: the rest waits for the retry */
    handle_gone(d, verify, now);
    dm_superenice_users(d);
    if (verify) {
        expire_foreign(d, host);
        dm_orphan_scan(d);
    }
    d->passes++;
    dm_state_write(d);
    /* A change in PostgreSQL (a broker's x2gochangestatus S or T) wakes no
     * inotify watch: look again soon, as the reference's 2 s poll does. */
    enum x2go_backend be;
    if (x2go_conf_backend(&be) == 0 && be == X2GO_BACKEND_POSTGRES)
        dm_want_pass_at(d, now + DM_DB_POLL_MS);
}
