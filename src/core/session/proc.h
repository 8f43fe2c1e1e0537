/* Processes: spawning with argv arrays (never a shell) and liveness. */
#ifndef X2GO_PROC_H
#define X2GO_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct x2go_spawn_opts {
    char *const *envp;   /* NULL: inherit */
    int in_fd, out_fd, err_fd; /* -1: /dev/null */
    bool new_session;    /* setsid() in the child */
};

/* Start path with argv; returns the pid or -1 (error set). */
pid_t x2go_spawn(const char *path, char *const argv[], const struct x2go_spawn_opts *o);
/* The same with stdin on /dev/null and stdout into a new pipe, whose read
 * end is *rd (caller closes); stderr to err_fd (-1: /dev/null). */
pid_t x2go_spawn_reader(const char *path, char *const argv[], int err_fd, int *rd);

/* Run to completion, capturing stdout and stderr (each NUL terminated,
 * truncated to its buffer). Returns the exit status (0..255), or -1 when
 * it could not run or died of a signal. */
int x2go_run_capture(const char *path, char *const argv[], char *const envp[],
                     char *out, size_t outlen, char *err, size_t errlen);

/* Wait for a child with a timeout in milliseconds; -1 on timeout. */
int x2go_wait_timeout(pid_t pid, int timeout_ms, int *status);

/* The process exists and is not a zombie (an orphan's zombie lingers
 * wherever pid 1 does not reap). */
bool x2go_pid_exists(pid_t pid);

/* Send sig to every process of uid that carries the argv element
 * "X2GO-<sid>": a killed agent leaves its forked helper behind, holding
 * the display's socket. Returns how many were signalled. */
int x2go_signal_session_procs(const char *sid, uid_t uid, int sig);

/* Whether pid is the agent of session sid: it exists, belongs to uid
 * (unless uid is (uid_t)-1) and has the exact argv element "X2GO-<sid>"
 * that x2gostartagent gave it with -name. No regex, no prefix match.
 * UNKNOWN: /proc could not be read (out of descriptors, say); that is
 * never evidence that the agent is gone. */
enum x2go_probe { X2GO_PROBE_GONE, X2GO_PROBE_ALIVE, X2GO_PROBE_UNKNOWN };
enum x2go_probe x2go_agent_probe(pid_t pid, const char *sid, uid_t uid);

/* A process runs at pid (not a zombie), or it could not be told. */
bool x2go_proc_running(pid_t pid);
/* x2go_agent_probe() == X2GO_PROBE_ALIVE */
bool x2go_agent_alive(pid_t pid, const char *sid, uid_t uid);

/* Send sig to pid only if it is the agent of sid (as x2go_agent_alive),
 * through a pidfd taken before that check: a pid reused after the check
 * is never signalled. 0 sent; -1 with errno (ESRCH: not that agent). */
int x2go_agent_signal(pid_t pid, const char *sid, uid_t uid, int sig);

/* Start time of a process in clock ticks since boot, 0 if unknown. */
unsigned long long x2go_proc_starttime(pid_t pid);

/* ---- descriptors and process helpers shared by the commands ---------- */

/* Mark every descriptor from fd on close-on-exec, so that nothing we
 * start (the agent, the session's program) holds on to a descriptor of
 * the SSH channel we were started from: a client waits for those to close. */
void x2go_cloexec_from(int fd);
/* Close every descriptor from fd on. */
void x2go_close_from(int fd);
/* In a child that acts for a user: become that user for good, with the
 * user's groups. 0, or -1 when a step failed (the child must _exit). */
int x2go_become_user(const char *name, uid_t uid, gid_t gid);
/* Reap the child pid, waiting at most timeout_ms before SIGKILL; -1 when
 * it had to be killed. */
int x2go_reap_within(pid_t pid, int timeout_ms);
/* Wait until pid (not necessarily our child) exits; -1 when the kernel
 * cannot watch it (no pidfd): the caller polls instead. */
int x2go_pidfd_wait(pid_t pid);
/* Run argv with stdout on a pipe read to its end, so that programs that
 * put themselves in the background are waited for too; -1 when it could
 * not start. */
int x2go_run_draining(const char *path, char *const argv[]);
/* /proc/<pid> exists and belongs to uid (any owner for uid 0). */
bool x2go_pid_of_uid(pid_t pid, uid_t uid);
/* pid is one of our ancestors (our own connection's sshd, say). */
bool x2go_is_ancestor(pid_t pid);
/* pid is /usr/sbin/sshd (or named sshd) and belongs to uid (any for 0). */
bool x2go_is_sshd_of(pid_t pid, uid_t uid);

#endif
