/* The files of a session on disk (spec 4.5): the user's runtime dir
 * /tmp/.x2go-<user>, the session dir in it, ~/.x2go with its C-<sid> link
 * and ssh/ dir, the xauth entries of the session display. Everything is
 * created safely (no following links planted by others, owner checked)
 * and removed without crossing into mounts or following links. */
#ifndef X2GO_SESSFILES_H
#define X2GO_SESSFILES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* path must be a real directory (lstat: not a symlink) owned by uid and
 * not writable by group or others. Error set otherwise. */
int x2go_dir_check(const char *path, uid_t uid);

/* mkdir path 0700 unless it exists, then x2go_dir_check. */
int x2go_dir_ensure(const char *path, uid_t uid);

/* /tmp/.x2go-<user>, created 0700 if missing, and checked. */
int x2go_tmpdir_ensure(const char *user, uid_t uid, char *out, size_t len);

/* The session dir /tmp/.x2go-<user>/C-<sid>: created 0700, must not exist
 * yet (a leftover is an error). */
int x2go_sessdir_create(const char *user, uid_t uid, const char *sid, char *out,
                        size_t len);

/* The session dir of an existing session, checked (real dir, owner). */
int x2go_sessdir_open(const char *user, uid_t uid, const char *sid, char *out,
                      size_t len);

/* The user's home as the session commands use it: $HOME if it is an
 * absolute path to a directory of ours, else the passwd entry. */
int x2go_home(char *out, size_t len);

/* ~/.x2go and ~/.x2go/ssh (created when missing). */
int x2go_home_dirs(const char *home);

/* ~/.x2go/C-<sid> -> session dir (a stale link of that name is replaced,
 * anything else is an error). */
int x2go_sesslink_create(const char *home, const char *sid, const char *target);

/* Remove the session dir (recursively by directory fds, not following
 * links, not crossing into mounted file systems), the ~/.x2go/C-<sid> link
 * if it is a link of uid, and with prune_top the user's tmp dir if it
 * became empty. Best effort: returns -1 with the error set if something
 * stayed behind. Shared by the commands and the clean-up daemon. */
int x2go_sessfiles_remove(const char *home, const char *user, uid_t uid, const char *sid,
                          bool prune_top);

/* $XAUTHORITY, or ~/.Xauthority. */
int x2go_xauthority(const char *home, char *out, size_t len);

/* Add (cookie non-NULL) or remove (cookie NULL) the entries
 * <host>/unix:<display> and <host>:<display> with one run of xauth. */
int x2go_xauth(const char *xauthority, const char *host, int display, const char *cookie);

/* 32 lowercase hex digits from the kernel's RNG. */
int x2go_new_cookie(char out[33]);

/* The "PPid:\t<pid>" line of /proc/<getppid()>/status written to
 * <dir>/sshd.pid: the login connection that runs this command (spec 2.1.1
 * step 17). */
int x2go_write_sshd_pid(const char *dir);

/* Refresh <dir>/ssh-agent.PID -> $SSH_AUTH_SOCK (when that is a socket);
 * drop: only remove the link. */
void x2go_ssh_agent_link(const char *dir, bool drop);

/* ---- path builders ---------------------------------------------------- */

/* /tmp/.x2go-<user> and /tmp/.x2go-<user>/C-<sid>; -1 when too long. */
int x2go_user_tmpdir(char *buf, size_t len, const char *user);
int x2go_session_dir(char *buf, size_t len, const char *user, const char *sid);

#endif
