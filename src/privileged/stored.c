/* x2go-stored: the store server, the only code with access to the SQLite
 * session database besides root.
 *
 * Started as root, it creates its socket (/run/x2go/store.sock, mode
 * 0666) and drops every id to the dedicated account x2gouser for good
 * before it accepts anything. The caller is the peer's uid (SO_PEERCRED);
 * the caller can neither signal nor stop the process that holds the
 * database lock. One forked child per connection, with bounds: the
 * request must arrive complete within REQ_DEADLINE_MS (stored_io.c), the
 * transaction runs only after that and commits before the reply is
 * written, a child lives at most CHILD_MAX_S, and each uid has at most
 * PER_UID_MAX connections at a time. No shell, no exec, no environment. */
#include "stored.h"
#include "log.h"
#include "storeproto.h"
#include "store.h"
#include "util.h"
#include "x2go-config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PID_FILE "/run/x2go/stored.pid"
#define STORE_USER X2GO_DBGROUP
#define CHILD_MAX_S 15
#define PER_UID_MAX 8
#define TOTAL_MAX 128

/* Sanitizer builds only: LeakSanitizer cannot inspect a process that
 * changed its ids (it is not dumpable). */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_leaks=0"; }

static struct {
    pid_t pid;
    uid_t uid;
} kids[TOTAL_MAX];

/* One open of the database file per request, in the child. */
static struct x2go_store *open_db(void *ctx, const char *name, uid_t uid)
{
    return x2go_store_sqlite_open(ctx, name, uid == 0);
}

static void close_db(void *ctx, struct x2go_store *st, int rc)
{
    (void)ctx;
    (void)rc;
    x2go_store_close(st);
}

static void serve(int fd, uid_t uid)
{
    static char path[] = X2GO_DB_PATH;
    const struct x2go_stored_backend be = {
        .open = open_db, .done = close_db, .ctx = path, .serialise = true};
    alarm(CHILD_MAX_S);
    x2go_stored_serve(fd, uid, &be);
}

/* For good: no way back to root, no supplementary groups, only the
 * account's own uid and the database group; verified. */
static int drop_privileges(void)
{
    struct passwd *pw = getpwnam(STORE_USER);
    struct group *gr = getgrnam(X2GO_DBGROUP);
    if (!pw || !gr || pw->pw_uid == 0) {
        x2go_seterr("no account and group %s (install creates them)", STORE_USER);
        return -1;
    }
    uid_t uid = pw->pw_uid, ru, eu, su;
    gid_t gid = gr->gr_gid, rg, eg, sg;
    if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
        setresuid(uid, uid, uid) < 0 || getresuid(&ru, &eu, &su) < 0 ||
        getresgid(&rg, &eg, &sg) < 0 || ru != uid || eu != uid || su != uid ||
        rg != gid || eg != gid || sg != gid || getgroups(0, NULL) != 0 ||
        setuid(0) == 0) {
        x2go_seterr("cannot drop privileges to %s", STORE_USER);
        return -1;
    }
    return 0;
}

static void reap(void)
{
    pid_t p;
    while ((p = waitpid(-1, NULL, WNOHANG)) > 0)
        for (int i = 0; i < TOTAL_MAX; i++)
            if (kids[i].pid == p)
                kids[i].pid = 0;
}

/* A free slot for uid, or -1 when uid or everybody is at the bound. */
static int slot_for(uid_t uid)
{
    int n = 0, free_slot = -1;
    for (int i = 0; i < TOTAL_MAX; i++) {
        if (kids[i].pid == 0 && free_slot < 0)
            free_slot = i;
        else if (kids[i].pid != 0 && kids[i].uid == uid)
            n++;
    }
    return n >= PER_UID_MAX ? -1 : free_slot;
}

static void accept_one(int lfd)
{
    uid_t uid;
    int fd = x2go_stored_accept(lfd, &uid);
    if (fd < 0)
        return;
    int slot = uid == (uid_t)-1 ? -1 : slot_for(uid);
    pid_t p = slot < 0 ? -1 : fork();
    if (p == 0) {
        close(lfd);
        serve(fd, uid);
        _exit(0);
    }
    if (p < 0) {
        x2go_stored_refuse(fd, SP_BUSY, "");
    } else {
        kids[slot].pid = p;
        kids[slot].uid = uid;
    }
    close(fd);
}

int main(int argc, char **argv)
{
    bool foreground;
    int rc = x2go_stored_begin(argc, argv, "x2go-stored", "it drops to " STORE_USER " itself",
                               &foreground);
    if (rc >= 0)
        return rc;
    umask(007);
    int lfd = x2go_stored_open(X2GO_STORE_SOCK, PID_FILE, foreground);
    if (lfd < 0)
        return 1;
    if (drop_privileges() < 0 || x2go_wlock_init() < 0) {
        x2go_complain("%s", x2go_err());
        x2go_log(LOG_ERR, "%s", x2go_err());
        return 1;
    }
    for (;;) {
        struct pollfd p = {.fd = lfd, .events = POLLIN};
        int r = poll(&p, 1, 1000);
        reap();
        if (r > 0)
            accept_one(lfd);
    }
}
