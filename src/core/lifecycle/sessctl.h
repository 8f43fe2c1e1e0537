/* Session control shared by the lifecycle commands: who is calling, the
 * caller's own session row, suspend, terminate, the old connection's
 * sshd (x2gormforward) and bounded waits on the agent's state file. */
#ifndef X2GO_SESSCTL_H
#define X2GO_SESSCTL_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "agent.h"
#include "session.h"
#include "store.h"

struct x2go_ctx {
    struct x2go_store *st;
    char user[X2GO_USER_MAX + 1];
    char home[PATH_MAX];
    char host[256];
    uid_t uid;
};

/* Caller identity, home, host name and the store. -1 with the error set. */
int x2go_ctx_open(struct x2go_ctx *c);
void x2go_ctx_close(struct x2go_ctx *c);

/* The caller's session sid: 0 found; otherwise the error is set and the
 * exit status returned (2 malformed id, 1 unknown or another user's, 1
 * database error). */
int x2go_ctx_session(struct x2go_ctx *c, const char *sid, struct x2go_session *s);

/* The sid argument of suspend/terminate: argv[0] when there is exactly one
 * argument, else $X2GO_SESSION; NULL (the error set to the reference's
 * usage line) when neither gives one. */
const char *x2go_sid_arg(int argc, char **argv);

bool x2go_session_agent_alive(const struct x2go_ctx *c, const struct x2go_session *s);

/* Wait (at most timeout_ms) while the state file shows one of the states
 * in the mask (bit 1 << state); returns the last state read. */
enum x2go_agent_state x2go_wait_state_leaves(const struct x2go_ctx *c, const char *sid,
                                             unsigned mask, int timeout_ms);
#define X2GO_STATE_BIT(s) (1u << (s))

/* x2gosuspend-session: 0 done (or nothing to do), -1 failed (error set,
 * status F). Suspends only a RUNNING or RESUMING agent; a STARTING one is
 * left alone (nxagent dies on SIGHUP before a client connected). */
int x2go_suspend(struct x2go_ctx *c, const struct x2go_session *s);

/* x2goterminate-session: the runcommand process group, the agent, status
 * F, then the session's files and xauth entries. Always completes. */
void x2go_terminate(struct x2go_ctx *c, const struct x2go_session *s);

/* SIGTERM the agent (SIGKILL when it ignores that), status F, and, when
 * remove_files, the session dir, its link and the xauth entries. True
 * when the agent was there and took the signal. */
bool x2go_end_session(struct x2go_ctx *c, const struct x2go_session *s, bool remove_files);

/* x2gormforward: SIGTERM the sshd recorded in the session's sshd.pid,
 * only if that process is an sshd of this user and not one of our own
 * ancestors. The file is removed. */
void x2go_rmforward(const struct x2go_ctx *c, const char *sid);

/* Run an optional helper of another package (x2goumount-session,
 * x2gosetkeyboard) when installed; wait at most timeout_ms (0: detach). */
void x2go_run_optional(const char *path, const char *arg, int timeout_ms, char *const envp[]);
/* Run the desktop-sharing helper name (x2gosuspend-desktopsharing, ...)
 * on sid as the session's owner, at most 5 s. */
void x2go_sharing_helper(const struct x2go_ctx *c, const char *name, const char *sid);
/* Unmount the session's shares and drop their rows, as the caller
 * (x2goumount-session, at most 10 s). */
void x2go_umount_shares(const char *sid);

/* The session's processes end with it: x2goruncommand makes itself the
 * subreaper of what it starts (so daemons that leave their parent, such
 * as the ssh-agent or gpg-agent a desktop starts, become its children),
 * and at the end sends its remaining children SIGTERM, then after
 * timeout_ms SIGKILL, until none is left (the orphans of the ones killed
 * come to us in turn), reaping them. */
void x2go_become_subreaper(void);
void x2go_end_descendants(int timeout_ms);

#endif
