/* x2gocleansessions internals: logging, clock, the children it runs as
 * session users, and the file clean-up of finished sessions. */
#ifndef X2GO_DAEMON_H
#define X2GO_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sid.h"

/* Milliseconds on the monotonic clock. */
int64_t dm_now(void);

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

/* 0 found, -1 unknown user (or the lookup failed). */
int dm_user_lookup(const char *name, struct dm_user *out);

/* Run the programs argv[0], argv[1], ... (each a NULL-terminated argv
 * array, in order) as the user: own session, initgroups/setgid/setuid,
 * a clean environment, stdio on /dev/null, never a shell. what names the
 * job in the log. Returns the child pid or -1 (too many children, fork
 * failed). The child is killed when it runs longer than the timeout. */
pid_t dm_run_as_user(const struct dm_user *u, const char *sid, const char *what,
                     char *const *const argvs[], int n);

/* As the user, remove ~/.x2go/C-<sid> (only if it is a link) and the
 * session dir /tmp/.x2go-<user>/C-<sid> below a verified directory fd,
 * never following links and never crossing into mounts. */
pid_t dm_remove_files_as_user(const struct dm_user *u, const char *sid);

/* Reap finished children (SIGCHLD) and kill those over their time. */
void dm_children_reap(void);
void dm_children_timeouts(int64_t now);
int64_t dm_children_next_deadline(void); /* 0: none */
int dm_children_count(void);
#define DM_MAX_CHILDREN 32

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

#endif
