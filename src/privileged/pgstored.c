/* x2go-pgstored: the store server of PostgreSQL hosts. It removes the
 * cost of a new authenticated PostgreSQL connection (SCRAM) and of
 * loading libpq from every command, without weakening isolation: each
 * user's requests run on a connection that user's own process made with
 * the user's own role and password (~/.x2go/pgsqlpass), so the grants,
 * views, rules and triggers of the database bind them as on the direct
 * path.
 *
 * This process (root) only accepts connections on /run/x2go/pgstore.sock,
 * takes the caller's uid from SO_PEERCRED, and hands the connection
 * (SCM_RIGHTS) to that uid's worker, which it forks once and which drops
 * every id to the caller's for good before anything else
 * (pgstored_worker.c). It never reads a request, a password or the
 * database. A worker idle for IDLE_S is ended (and its connection with
 * it). Commands fall back to their own connection when this server does
 * not answer. Root is not served: its commands connect as x2godbuser. */
#include "stored.h"
#include "pgstored_pick.h"
#include "conf.h"
#include "log.h"
#include "storeproto.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PID_FILE "/run/x2go/pgstored.pid"
/* Each worker holds one PostgreSQL connection: bounded well below the
 * server's usual max_connections (100), which a farm shares. */
#define WORKERS_MAX 32
#define IDLE_S 30

const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_leaks=0"; }

static struct x2go_pgw w[WORKERS_MAX];

static long now_s(void)
{
    return x2go_now_ms() / 1000;
}

static void retire(struct x2go_pgw *k)
{
    if (k->chan >= 0)
        close(k->chan);
    k->chan = -1;
}

static void reap(void)
{
    pid_t p;
    while ((p = waitpid(-1, NULL, WNOHANG)) > 0)
        for (int i = 0; i < WORKERS_MAX; i++)
            if (w[i].pid == p) {
                retire(&w[i]);
                w[i].pid = 0;
            }
}

static void retire_idle(bool need_slot)
{
    bool go[WORKERS_MAX];
    if (x2go_pgw_retire(w, WORKERS_MAX, now_s(), IDLE_S, need_slot, go))
        for (int i = 0; i < WORKERS_MAX; i++)
            if (go[i])
                retire(&w[i]);
}

static struct x2go_pgw *spawn(int lfd, const struct passwd *pw)
{
    int slot = x2go_pgw_free(w, WORKERS_MAX);
    struct x2go_pgw *k = slot < 0 ? NULL : &w[slot];
    int sv[2];
    if (!k || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return NULL;
    /* A few connections wait per worker at most: one user stalling their
     * own worker gets "busy" and cannot pile up descriptors in flight,
     * which count against this process for every user. */
    int small = 1;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    pid_t p = fork();
    if (p == 0) { /* nothing of the other workers or of the listener stays */
        close(lfd);
        close(sv[0]);
        for (int i = 0; i < WORKERS_MAX; i++)
            if (w[i].pid && w[i].chan >= 0)
                close(w[i].chan);
        x2go_pgstored_worker(sv[1], pw);
    }
    close(sv[1]);
    if (p < 0) {
        close(sv[0]);
        return NULL;
    }
    *k = (struct x2go_pgw){.pid = p, .uid = pw->pw_uid, .chan = sv[0], .last = now_s()};
    return k;
}

static int send_fd(int chan, int fd)
{
    char one = 'r';
    struct iovec iov = {.iov_base = &one, .iov_len = 1};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } u = {0};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                       .msg_controllen = sizeof u.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    return sendmsg(chan, &m, MSG_DONTWAIT | MSG_NOSIGNAL) == 1 ? 0 : -1;
}

static void accept_one(int lfd)
{
    uid_t uid;
    int fd = x2go_stored_accept(lfd, &uid);
    if (fd < 0)
        return;
    struct passwd *pw = uid != 0 && uid != (uid_t)-1 ? getpwuid(uid) : NULL;
    int slot = pw ? x2go_pgw_find(w, WORKERS_MAX, uid) : -1;
    struct x2go_pgw *k = slot < 0 ? NULL : &w[slot];
    if (pw && !k && !(k = spawn(lfd, pw)))
        retire_idle(true); /* a slot frees when that worker has ended */
    if (!pw)
        x2go_stored_refuse(fd, SP_ERROR, "this server serves only users with an account; "
                                         "root uses the database directly");
    else if (!k || send_fd(k->chan, fd) < 0)
        x2go_stored_refuse(fd, SP_BUSY, ""); /* the client asks again shortly */
    else
        k->last = now_s();
    close(fd);
}

int main(int argc, char **argv)
{
    bool foreground;
    int rc = x2go_stored_begin(argc, argv, "x2go-pgstored",
                               "each worker takes its caller's ids", &foreground);
    if (rc >= 0)
        return rc;
    umask(077);
    /* A SQLite host has nothing to serve here: no root process listens
     * for nothing (after a switch to PostgreSQL, start it again). */
    enum x2go_backend be;
    if (x2go_conf_backend(&be) < 0) {
        x2go_complain("%s", x2go_err());
        return 1;
    }
    if (be != X2GO_BACKEND_POSTGRES)
        return 0; /* quietly: the init script starts it on every host */
    int lfd = x2go_stored_open(X2GO_PGSTORE_SOCK, PID_FILE, foreground);
    if (lfd < 0)
        return 1;
    for (;;) {
        struct pollfd p = {.fd = lfd, .events = POLLIN};
        int r = poll(&p, 1, 1000);
        reap();
        retire_idle(false);
        if (r > 0)
            accept_one(lfd);
    }
}
