/* x2go-pgstored's table of workers and the choices made over it
 * (pgstored_pick.c, pure; unit-tested). */
#ifndef X2GO_PGSTORED_PICK_H
#define X2GO_PGSTORED_PICK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct x2go_pgw {
    pid_t pid;  /* 0: a free slot */
    uid_t uid;  /* the one user it serves */
    int chan;   /* its channel; -1 once told to end (it ends after its queue) */
    long last;  /* when it was last given a connection (s, monotonic) */
};

/* The worker serving uid (not told to end), or -1. */
int x2go_pgw_find(const struct x2go_pgw *w, size_t n, uid_t uid);
/* A free slot, or -1. */
int x2go_pgw_free(const struct x2go_pgw *w, size_t n);
/* Which workers to end now: out[i] for each one idle for idle seconds or
 * more; with need_slot and none idle, the least recently used one. The
 * count. */
size_t x2go_pgw_retire(const struct x2go_pgw *w, size_t n, long now, long idle, bool need_slot,
                       bool *out);

#endif
