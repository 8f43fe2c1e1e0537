/* One user's worker of x2go-pgstored: the user's ids for good, then the
 * user's own PostgreSQL connection (the user's role and password file,
 * exactly as the user's commands would make it), kept between requests.
 * The parent hands it only connections whose peer is this uid. Requests
 * are answered one at a time through the protocol table (stored_ops.c).
 * A connection that a server restart ended, or that was left inside a
 * transaction, is dropped and made anew at the next request. */
#include "stored.h"
#include "conf.h"
#include "store.h"
#include "util.h"

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* One request's whole life (its read, the connect and statement
 * timeouts, the reply) fits well inside this. */
#define REQUEST_MAX_S 40

static void drop_to(const struct passwd *pw)
{
    uid_t uid = pw->pw_uid, ru, eu, su;
    gid_t gid = pw->pw_gid;
    if (uid == 0 || initgroups(pw->pw_name, gid) < 0 || setresgid(gid, gid, gid) < 0 ||
        setresuid(uid, uid, uid) < 0 || getresuid(&ru, &eu, &su) < 0 || ru != uid ||
        eu != uid || su != uid || setuid(0) == 0)
        _exit(1);
}

static int recv_fd(int chan)
{
    char one;
    struct iovec iov = {.iov_base = &one, .iov_len = 1};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } u;
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                       .msg_controllen = sizeof u.buf};
    if (recvmsg(chan, &m, MSG_CMSG_CLOEXEC) <= 0)
        return -1;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    int fd;
    if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
        c->cmsg_len != CMSG_LEN(sizeof(int)))
        return -1;
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}

struct conn {
    struct x2go_store *st;
};

static struct x2go_store *open_conn(void *ctx, const char *name, uid_t uid)
{
    struct conn *c = ctx;
    (void)uid;
    if (c->st && !x2go_store_pg_alive(c->st)) {
        x2go_store_close(c->st);
        c->st = NULL;
    }
    enum x2go_backend be;
    if (!c->st && x2go_conf_backend(&be) == 0) { /* the host may have switched since */
        if (be == X2GO_BACKEND_POSTGRES)
            c->st = x2go_store_pg_open(name, false);
        else
            x2go_seterr("this host's session database is no longer PostgreSQL");
    }
    return c->st;
}

static void done_conn(void *ctx, struct x2go_store *st, int rc)
{
    struct conn *c = ctx;
    (void)rc;
    if (!x2go_store_pg_alive(st)) {
        x2go_store_close(st);
        c->st = NULL;
    }
}

void x2go_pgstored_worker(int chan, const struct passwd *pw)
{
    uid_t uid = pw->pw_uid;
    drop_to(pw); /* pw is not used after this: NSS may reuse its storage */
    struct conn c = {0};
    const struct x2go_stored_backend be = {.open = open_conn, .done = done_conn, .ctx = &c};
    int fd;
    while ((fd = recv_fd(chan)) >= 0) {
        alarm(REQUEST_MAX_S);
        x2go_stored_serve(fd, uid, &be);
        alarm(0);
    }
    x2go_store_close(c.st);
    _exit(0);
}
