/* A command's whole output, cached with the identity of every file and
 * directory it was made from (x2gogetapps: hundreds of .desktop and icon
 * files). The cache is used only when each recorded path still stats the
 * same (device, inode, size, mode, mtime, ctime, or the same error): a
 * file changed, added to or removed from a recorded directory makes a
 * fresh run. Record a path's status before its content is used, so a
 * change during the run makes the next run fresh too. */
#ifndef X2GO_DEPCACHE_H
#define X2GO_DEPCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

struct x2go_deps {
    char *buf; /* the recorded entries, serialized */
    size_t len, cap;
    bool broken; /* out of memory, or a path too long: do not save */
};

/* key: whatever else the output depends on (uid, home, PATH, version). */
void x2go_deps_init(struct x2go_deps *d, const char *key);
void x2go_deps_free(struct x2go_deps *d);

/* Record stat(path) (following links), or its error, as it is now. */
void x2go_deps_stat(struct x2go_deps *d, const char *path);
/* Record a status already taken (fstat of the opened file). */
void x2go_deps_add(struct x2go_deps *d, const char *path, const struct stat *st);

/* Write the cache file (atomically, 0600): the entries, then out. */
int x2go_deps_save(const struct x2go_deps *d, const char *file, const char *out, size_t len);

/* The cached output when file is a regular file of uid made with the same
 * key and nothing recorded changed; NULL otherwise. */
char *x2go_deps_load(const char *file, const char *key, uid_t uid, size_t *len);

/* The same check, leaving the output in the file (no copy of a menu of
 * megabytes in memory): the open descriptor, with the output at *off for
 * *len bytes; -1 when there is no fresh cache. */
int x2go_deps_open(const char *file, const char *key, uid_t uid, off_t *off, size_t *len);

#endif
