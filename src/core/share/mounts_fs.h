/* Shared folders on disk: the share directories under /tmp/.x2go-<user>,
 * the session's spool/mimebox links, the client's key file, sshfs and
 * fusermount (argv arrays, bounded in time). Runs as the session user. */
#ifndef X2GO_MOUNTS_FS_H
#define X2GO_MOUNTS_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define X2GO_SSHFS "/usr/bin/sshfs"
#define X2GO_SSHFS_TIMEOUT_MS 30000
#define X2GO_FUSERMOUNT_TIMEOUT_MS 10000

/* media/{disk,cd,rm}, spool/C-<sid>, mimebox/C-<sid> under top (the
 * user's /tmp/.x2go-<user>), each 0700 and checked (owner, no link). */
int x2go_share_dirs_ensure(const char *top, uid_t uid, const char *sid);

/* <sessdir>/spool and /mimebox -> top/spool/C-<sid>, top/mimebox/C-<sid>;
 * ~/media -> top/media unless ~/media is something else than an empty
 * directory or a link. An old link or empty directory is replaced. */
int x2go_share_links(const char *home, const char *sessdir, const char *top, const char *sid);

/* The key file the client copied to ~/.x2go/ssh/<name>: a regular file of
 * uid (no link). It is rewritten with the private key only, and
 * <keyfile>.ident gets "[<host>]:<port> <client host key>". Both 0600. */
int x2go_keyfile_prepare(uid_t uid, const char *keyfile, const char *host, int port);
/* The key file is acceptable as an argument: ~/.x2go/ssh/<name>, name of
 * [A-Za-z0-9._-], no ',' anywhere (sshfs options are comma-separated). */
bool x2go_keyfile_path_ok(const char *home, const char *keyfile);
/* Remove <keyfile> and <keyfile>.ident (whatever happened before). */
void x2go_keyfile_remove(const char *keyfile);

/* Run sshfs (argv[0] is X2GO_SSHFS) with output appended to logfd (-1:
 * none); 0 when it exited 0 within the timeout and path is mounted. */
int x2go_sshfs_run(char *const argv[], int logfd, const char *mountpoint);

/* fusermount -u, and a lazy unmount when the share is busy or its sshfs
 * is gone. 0 when path is no longer mounted. */
int x2go_fuse_unmount(const char *path);

/* After an unmount: rmdir the empty share directories of sid and ~/media
 * if media is gone. */
void x2go_share_dirs_prune(const char *home, const char *top, const char *sid);

#endif
