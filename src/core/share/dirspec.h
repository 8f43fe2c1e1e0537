/* The folder list x2gomountdirs receives (spec 2.3.1, client contract
 * 2.10): the argument words re-joined with single spaces, then
 *   <path>[__PRINT_SPOOL_|__MIMEBOX_SPOOL_]:<path>...[__REVERSESSH_PORT__<port>|__SSH_PORT__<port>]
 * and the names the mount points get. Pure functions, no I/O. */
#ifndef X2GO_DIRSPEC_H
#define X2GO_DIRSPEC_H

#include <stdbool.h>
#include <stddef.h>

#define X2GO_DIRSPEC_MAX 4096   /* the joined spec */
#define X2GO_SHARES_MAX 32      /* folders in one call */
#define X2GO_SHARE_PATH_MAX 1024
#define X2GO_MANGLED_MAX 255    /* one directory entry */

enum x2go_share_kind { X2GO_SHARE_FOLDER, X2GO_SHARE_PRINT, X2GO_SHARE_MIMEBOX };

struct x2go_share {
    const char *path;           /* points into the spec's buffer */
    enum x2go_share_kind kind;
};

struct x2go_dirspec {
    char buf[X2GO_DIRSPEC_MAX + 1];   /* the joined spec, split in place */
    char joined[X2GO_DIRSPEC_MAX + 1]; /* the joined spec as received */
    struct x2go_share shares[X2GO_SHARES_MAX];
    size_t n;
    int port;                   /* 22 when none was given */
    bool reverse;               /* __REVERSESSH_PORT__: host 127.0.0.1 */
};

/* Join words with single spaces and parse. Every path must be absolute,
 * without control characters, '|' or '"', valid UTF-8, at most
 * X2GO_SHARE_PATH_MAX bytes. 0, or -1 with the error set. */
int x2go_dirspec_parse(int nwords, char *const words[], struct x2go_dirspec *out);

/* The mount point's name for a client path: '/' and ' ' become '_',
 * then "~_cygdrive_", "~_windrive_", "~_uncpath_" and every '~' are
 * dropped (as the reference does). -1 (error set) if it does not fit or
 * would be empty, "." or "..". */
int x2go_share_mangle(const char *path, char *out, size_t len);

/* Removable media (type other than "dir"): "/ramdrive/mnt/" removed
 * before mangling; *cdrom tells whether the path names a CDROM. */
int x2go_share_mangle_removable(const char *path, char *out, size_t len, bool *cdrom);

/* x2goumount-session's client path to the mangled name of its mount
 * point: "/ramdrive/mnt/" removed, '/' to '_', a leading "X:" to
 * "_cygdrive_X", ':' removed, '\' to '_', space and "\040" to '_', then
 * as x2go_share_mangle. */
int x2go_share_mangle_client(const char *path, char *out, size_t len);

/* UTF-8 well-formed, no C0 controls or DEL. */
bool x2go_text_clean_utf8(const char *s);

#endif
