/* The store servers x2go-stored (SQLite, see stored.c) and x2go-pgstored
 * (PostgreSQL, see pgstored.c): one protocol, one table of operations. */
#ifndef X2GO_STORED_H
#define X2GO_STORED_H

#include "store.h"
#include "strbuf.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Where a server's operations run: open gives the store of the caller
 * name (uid), or NULL with the error set; done takes it back after the
 * operation (rc its result). Writers take the writers' queue first when
 * serialise is set (SQLite). */
struct x2go_stored_backend {
    struct x2go_store *(*open)(void *ctx, const char *name, uid_t uid);
    void (*done)(void *ctx, struct x2go_store *st, int rc);
    void *ctx;
    bool serialise;
};

/* Answer one complete request of the peer uid: decode and check it
 * against the protocol table, run it in the backend's store, and write
 * status byte, '\n' and body to reply. Never touches the client. */
void x2go_stored_handle(const struct x2go_stored_backend *be, uid_t uid, char *req,
                        size_t n, struct x2go_buf *reply);

/* stored_io.c: read one request from the connected client fd within a
 * deadline, answer it through be, write the reply within a deadline and
 * close fd. */
void x2go_stored_serve(int fd, uid_t uid, const struct x2go_stored_backend *be);
/* The common start of both servers: the name for messages, the
 * arguments ([-f] sets *foreground), root (why_root says why), nothing
 * inherited (descriptors, environment), SIGPIPE ignored. -1 to go on,
 * else the exit status (the complaint printed). */
int x2go_stored_begin(int argc, char **argv, const char *name, const char *why_root,
                      bool *foreground);
/* Listen on sock, then detach (unless foreground) and write pidfile: the
 * listening descriptor, or -1 with the complaint printed. */
int x2go_stored_open(const char *sock, const char *pidfile, bool foreground);
/* The next caller's connection and its uid from the kernel (SO_PEERCRED;
 * (uid_t)-1 when it cannot tell), or -1. */
int x2go_stored_accept(int lfd, uid_t *uid);
/* Answer status and why at once without reading the request (a server
 * at its bound); the caller closes fd. */
void x2go_stored_refuse(int fd, char status, const char *why);
/* The listening socket at path (mode 0666) in root's /run/x2go; or -1. */
int x2go_stored_listen(const char *path);
void x2go_stored_pidfile(const char *path, pid_t pid);
/* Detach (fork, setsid, stdio to /dev/null); the parent writes pidfile. */
int x2go_stored_daemonize(const char *pidfile);

/* x2go-pgstored's worker for the account pw (pgstored_worker.c): takes
 * its ids for good, then answers each connection received on chan
 * (SCM_RIGHTS) until chan is closed; never returns. */
struct passwd;
void x2go_pgstored_worker(int chan, const struct passwd *pw) __attribute__((noreturn));

/* The writers' queue shared by all children (stored_wlock.c): set up once
 * in the parent before the first fork; take before a write operation (0, or
 * -1 with the error set after timeout_ms), drop after its commit. */
int x2go_wlock_init(void);
int x2go_wlock_take(long timeout_ms);
void x2go_wlock_drop(void);

#endif
