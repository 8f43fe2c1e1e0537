/* x2gocleansessions internals: logging, clock, the children it runs as
 * session users, and the file clean-up of finished sessions. */
#ifndef X2GO_DAEMON_H
#define X2GO_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "decide.h"
#include "limits_decide.h"
#include "sid.h"
#include "timelimit.h"

struct x2go_session;
struct x2go_store;

/* Log through syslog; with --debug also "<localtime> ::: <level> ::: <msg>"
 * on stdout. Text from the database is escaped before it is printed. */
void dm_log_init(bool debug);
void dm_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A session user, resolved once per pass by name. */
struct dm_user {
    char name[X2GO_USER_MAX + 1];
    uid_t uid;
    gid_t gid;
    char home[512];
};

/* The children the daemon runs as session users, each with its time
 * bound; the table is part of struct daemon. */
#define DM_MAX_CHILDREN 32
struct dm_child {
    pid_t pid;
    int64_t deadline;
    bool killed;
    char what[32];
    char sid[X2GO_SID_MAX + 1];
};
struct dm_children {
    struct dm_child c[DM_MAX_CHILDREN];
};

/* 0 found, -1 unknown user (or the lookup failed). */
int dm_user_lookup(const char *name, struct dm_user *out);

/* Run the programs argv[0], argv[1], ... (each a NULL-terminated argv
 * array, in order) as the user: own session, initgroups/setgid/setuid,
 * a clean environment, stdio on /dev/null, never a shell. what names the
 * job in the log. Returns the child pid or -1 (too many children, fork
 * failed). The child is killed when it runs longer than the timeout. */
pid_t dm_run_as_user(struct dm_children *k, const struct dm_user *u, const char *sid,
                     const char *what, char *const *const argvs[], int n);
/* The same child, without a program: 0 in the child (now the user, its
 * stdout on out_fd, -1: /dev/null), the pid or -1 in the daemon. It is
 * killed after timeout_ms (0: the usual 30 s). */
pid_t dm_fork_as_user(struct dm_children *k, const struct dm_user *u, const char *sid,
                      const char *what, int out_fd, int64_t timeout_ms);
/* In such a child: execve argv[0] with the user's clean environment and
 * up to two more variables (NULL: none). */
void dm_exec_as_user(const struct dm_user *u, char *const argv[], char *extra1, char *extra2)
    __attribute__((noreturn));

/* As the user, remove ~/.x2go/C-<sid> (only if it is a link) and the
 * session dir /tmp/.x2go-<user>/C-<sid> below a verified directory fd,
 * never following links and never crossing into mounts. */
pid_t dm_remove_files_as_user(struct dm_children *k, const struct dm_user *u, const char *sid);

/* Reap finished children (SIGCHLD) and kill those over their time. */
void dm_children_reap(struct dm_children *k);
void dm_children_timeouts(struct dm_children *k, int64_t now);
int64_t dm_children_next_deadline(const struct dm_children *k); /* 0: none */
int dm_children_count(const struct dm_children *k);
bool dm_child_running(const struct dm_children *k, pid_t pid);

/* Remove /tmp/.X11-unix/X<display> and /tmp/.X<display>-lock, but only
 * when no live process holds the lock and nobody listens on the socket. */
/* Remove the stale X socket and lock of display after its agent (pid)
 * died, unless a live process holds it. When the lock still names the dead
 * agent, the agent's leftover processes of uid (its forked helper keeps
 * the socket) are killed first; (uid_t)-1: leave processes alone. */
void dm_x11_cleanup(const char *sid, long pid, int display, uid_t uid);

/* The superenicer ([superenicer], read once at start). */
struct dm_nice_conf {
    bool enable, force_user;
    int normal, idle;        /* clamped to -19..19 */
    char ignored[1024];      /* comma-separated user names */
};
void dm_nice_load(struct dm_nice_conf *c);
bool dm_nice_ignored(const struct dm_nice_conf *c, const char *user);
/* Processes of uid whose environment holds X2GO_SESSION=<sid>, and agent. */
void dm_nice_session(uid_t uid, const char *sid, pid_t agent, int level);
void dm_nice_user(uid_t uid, int level);

/* ---- the daemon's state, passed explicitly ----------------------------- */

/* A session row the daemon tracks. */
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
    bool gone_seen;          /* a process at pid that did not look like the agent */
    int wd;                  /* inotify watch on the session dir */
    bool in_db;
    bool cleaned;            /* files of the dead agent handled */
    bool umounted;           /* x2goumount-session run after the kill */
    pid_t umount_pid;        /* x2goumount-session for the dead agent */
    char niced;              /* status the superenicer last applied */
    char last_time[20];
    struct dm_track tr;      /* what the rules remember */
    /* time limits */
    char cookie[34];         /* the row's, for its X display */
    struct x2go_tlimits lim; /* resolved for this user */
    unsigned lim_gen;        /* of the configuration they came from */
    struct dm_lim_track lt;
    int idle_fd;             /* an idle time probe's answer, -1: none */
    int64_t idle_ms, idle_at; /* last measurement (-1: failed), when (0: never) */
    int64_t run_since;       /* agent seen RUNNING without a break since, 0: not */
};

/* A session dir to remove once its grace period is over. */
struct dir_job {
    struct dm_user u;
    char sid[X2GO_SID_MAX + 1];
    int64_t due;
};

struct nice_applied {
    uid_t uid;
    int lvl;
};

struct daemon {
    struct sess **trk;
    size_t ntrk, captrk;
    struct dir_job *jobs;
    size_t njobs;
    size_t npidfds, max_pidfds; /* held agent pidfds, bounded */
    struct x2go_store *store;
    int64_t store_retry_at;
    unsigned store_fails;       /* failed tries since the store was last up */
    int ep, infd, sigfd;
    int db_wd, tmp_wd;          /* inotify: database dir, /tmp */
    int64_t next_pass, next_periodic, last_pass;
    bool debug_mode, foreground;
    struct dm_nice_conf nice;
    struct nice_applied applied[512];
    size_t napplied;
    struct x2go_tlimit_conf tl; /* time limits */
    unsigned tl_gen;
    bool tl_reload;             /* SIGHUP: read them again */
    unsigned long passes;       /* completed, for the state file */
    struct dm_children kids;    /* run as session users */
};

#define DM_PERIODIC_MS 30000   /* safety net */
#define DM_DB_POLL_MS 2000      /* PostgreSQL: changes come without an event */
#define DM_DEBOUNCE_MS 50
#define DM_DIR_GRACE_MS 30000  /* x2gocmdexitmessage may still read cmdoutput */
#define DM_UMOUNT_POLL_MS 200  /* a dead session's row waits for its unmount */

void dm_want_pass_at(struct daemon *d, int64_t t);

/* tracked.c: the tracked rows, their agents, the store */
struct sess *dm_find(struct daemon *d, const char *sid);
struct sess *dm_track_row(struct daemon *d, const struct x2go_session *r);
void dm_forget(struct daemon *d, struct sess *t);
void dm_drop_pidfd(struct daemon *d, struct sess *t);
enum dm_liveness dm_agent_check(struct daemon *d, struct sess *t, bool verify);
int dm_agent_signal(struct sess *t, int sig);
void dm_ensure_watch(struct daemon *d, struct sess *t);
void dm_pidfd_pool_size(struct daemon *d);
void dm_store_drop(struct daemon *d, const char *why);
bool dm_store_ready(struct daemon *d);
int dm_set_status(struct daemon *d, struct sess *t, char to);
int dm_remove_row(struct daemon *d, struct sess *t);

/* pass.c: one reconcile pass, and the clean-up it schedules */
void dm_pass(struct daemon *d, bool verify);
void dm_run_dir_jobs(struct daemon *d, int64_t now);
int64_t dm_dir_jobs_next(const struct daemon *d);
bool dm_job_pending(const struct daemon *d, const char *sid);
void dm_blocked_act(struct daemon *d, struct sess *t, enum dm_action act);
void dm_files_cleanup(struct daemon *d, struct sess *t);

/* orphans.c: session dirs without a row, and squatted user dirs */
void dm_orphan_scan(struct daemon *d);
void dm_squat_check(const char *name);

/* startup.c: single instance, pid file, detaching, readiness */
int dm_take_lock(void);
int dm_daemonize(void);
void dm_ensure_pidfile(const struct daemon *d);
void dm_remove_pidfile(void);
int dm_setup_events(struct daemon *d);
void dm_watch_db_dir(struct daemon *d);
void dm_notify_ready(void);

/* limits.c: the time limits of the sessions */
void dm_limits_load(struct daemon *d);
void dm_limits_row(struct daemon *d, struct sess *t, const struct x2go_session *r,
                   enum x2go_agent_state st, int64_t now);

/* xsession.c: on the session's display, in a child as its user */
bool dm_x_can_reach(const struct sess *t);
int dm_idle_probe(struct daemon *d, struct sess *t);
void dm_idle_stop(struct daemon *d, struct sess *t);
bool dm_idle_event(struct daemon *d, int fd); /* false: not a probe's */
int dm_warn_show(struct daemon *d, struct sess *t, const char *text, long seconds);

/* statefile.c: /run/x2go/cleansessions.state after each completed pass */
void dm_state_write(struct daemon *d);

/* pass.c: a session command (x2gosuspend-session, ...) as the row's user */
pid_t dm_run_user_cmd(struct daemon *d, struct sess *t, const char *prog);
int64_t dm_local_age_ms(const char *local_time);

/* superenice.c, per pass */
void dm_superenice(struct daemon *d, struct sess *t);
void dm_superenice_users(struct daemon *d);

#endif
