/* Shared folders on the server side (spec 2.3): where a share is
 * mounted, the key file the client sends, the kernel's mount table and
 * the user's share directories. */
#ifndef X2GO_MOUNTS_H
#define X2GO_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "dirspec.h"

#define X2GO_MOUNT_PATH_MAX 512  /* varchar(512) in the schema */
#define X2GO_KEYFILE_MAX 65536
#define X2GO_IDENT_MARK "----BEGIN RSA IDENTITY----"

/* A mount row's path: /tmp/.x2go-<user>/<rest>, at most 512 bytes, no
 * empty, "." or ".." component, no control characters, no '|' (the list
 * separator), valid UTF-8. */
bool x2go_mount_path_valid(const char *user, const char *path);

/* x2go_mount_path_valid for a row of owner's session: -1 with the error
 * set when not (both store backends check before they insert). */
int x2go_mount_row_ok(const char *owner, const char *path);

/* The same for any valid user name in the path (argument shape). */
bool x2go_mount_path_shape(const char *path);

/* The mount point of a share, relative to /tmp/.x2go-<user>: spool/C-<sid>,
 * mimebox/C-<sid>, media/disk/<name> (type "dir"), media/cd/<name> or
 * media/rm/<name> (other types). 0, or -1 with the error set. */
int x2go_share_mountpoint(const struct x2go_share *sh, bool folder_type, const char *sid,
                          char *out, size_t len);

/* Split the client's key bundle: the private key before the identity
 * marker, the client's host key after it (one "<type> <base64>" line).
 * key and ident point into text, which is modified. */
int x2go_keyfile_split(char *text, char **key, char **ident);

/* A sshfs mount point in a /proc/self/mountinfo text: true when path is
 * a mount point there (octal escapes decoded). *fuse tells whether it is
 * a FUSE file system. */
bool x2go_mountinfo_has(const char *text, const char *path, bool *fuse);

/* /proc/self/mountinfo read now: path is a mount point. */
bool x2go_is_mounted(const char *path);

/* target is dir or lies below it (by path components). */
bool x2go_path_under(const char *target, const char *dir);

/* X2GO_ICONV as python-x2go and x2goclient send it:
 * modules=iconv,from_code=<enc>,to_code=<enc>, encodings [A-Za-z0-9._:-]. */
bool x2go_iconv_valid(const char *s);

/* The client's user name: 1..64 of [A-Za-z0-9._$ \-] and '\' (domain
 * logins), not starting with '-'. */
bool x2go_client_user_valid(const char *s);

#endif
