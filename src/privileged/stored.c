/* x2go-stored: the store server, the only code with access to the SQLite
 * session database besides root.
 *
 * Started as root, it creates its socket (/run/x2go/store.sock, mode
 * 0666) and drops every id to the dedicated account x2gouser for good
 * before it accepts anything. The caller is the peer's uid (SO_PEERCRED);
 * the caller can neither signal nor stop the process that holds the
 * database lock. One forked child per connection, with bounds: the
 * request must arrive complete within REQ_DEADLINE_MS, the transaction
 * runs only after that and commits before the reply is written, a child
 * lives at most CHILD_MAX_S, and each uid has at most PER_UID_MAX
 * connections at a time. No shell, no exec, no environment. */
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

#define SOCK_DIR "/run/x2go"
#define PID_FILE SOCK_DIR "/stored.pid"
#define STORE_USER X2GO_DBGROUP
#define REQ_DEADLINE_MS 2000
#define REPLY_DEADLINE_MS 2000
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

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000;
}

/* Wait until fd is ready for events, at most until deadline; 0 or -1. */
static int wait_fd(int fd, short events, long deadline)
{
    for (;;) {
        long left = deadline - now_ms();
        if (left <= 0)
            return -1;
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, (int)left);
        if (r > 0)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
    }
}

/* The whole request up to the client's end of writing; its length, or -1. */
static ssize_t read_request(int fd, char *buf, size_t len)
{
    long deadline = now_ms() + REQ_DEADLINE_MS;
    size_t n = 0;
    for (;;) {
        if (wait_fd(fd, POLLIN, deadline) < 0)
            return -1;
        ssize_t r = read(fd, buf + n, len - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            return (ssize_t)n;
        n += (size_t)r;
        if (n == len)
            return -1;
    }
}

static void write_reply(int fd, const char *p, size_t n)
{
    long deadline = now_ms() + REPLY_DEADLINE_MS;
    while (n > 0 && wait_fd(fd, POLLOUT, deadline) == 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void serve(int fd, uid_t uid)
{
    alarm(CHILD_MAX_S);
    char req[X2GO_SP_REQ_MAX];
    ssize_t n = read_request(fd, req, sizeof req);
    struct x2go_buf reply = {0};
    if (n < 0)
        x2go_buf_printf(&reply, "%c\nincomplete or too long request", SP_ERROR);
    else
        x2go_stored_handle(X2GO_DB_PATH, uid, req, (size_t)n, &reply);
    write_reply(fd, reply.p, reply.len);
    free(reply.p);
    close(fd);
}

static int make_socket(void)
{
    struct stat sb;
    if (mkdir(SOCK_DIR, 0755) < 0 && errno != EEXIST)
        return -1;
    if (lstat(SOCK_DIR, &sb) < 0 || !S_ISDIR(sb.st_mode) || sb.st_uid != 0 ||
        chmod(SOCK_DIR, 0755) < 0) {
        errno = EPERM;
        return -1;
    }
    if (lstat(X2GO_STORE_SOCK, &sb) == 0 && S_ISSOCK(sb.st_mode))
        unlink(X2GO_STORE_SOCK);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", X2GO_STORE_SOCK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        chmod(X2GO_STORE_SOCK, 0666) < 0 || listen(fd, 128) < 0)
        return -1;
    return fd;
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

static void write_pidfile(pid_t pid)
{
    int fd = open(PID_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd >= 0) {
        dprintf(fd, "%ld\n", (long)pid);
        close(fd);
    }
}

/* The pid file is written before the starter returns, so whoever started
 * us can stop us at once. */
static int daemonize(void)
{
    pid_t p = fork();
    if (p < 0)
        return -1;
    if (p > 0) {
        write_pidfile(p);
        _exit(0);
    }
    setsid();
    int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (nul < 0)
        return -1;
    dup2(nul, 0);
    dup2(nul, 1);
    dup2(nul, 2);
    close(nul);
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
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    struct ucred cr;
    socklen_t cl = sizeof cr;
    int slot = -1;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0)
        slot = slot_for(cr.uid);
    pid_t p = slot < 0 ? -1 : fork();
    if (p == 0) {
        close(lfd);
        serve(fd, cr.uid);
        _exit(0);
    }
    if (p < 0) {
        static const char busy[] = {SP_BUSY, '\n'};
        send(fd, busy, sizeof busy, MSG_NOSIGNAL | MSG_DONTWAIT);
        /* What the client already sent is taken off the socket without
         * waiting: closing over unread data would reset the connection
         * and the client would lose the answer. */
        char sink[X2GO_SP_REQ_MAX];
        while (recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0)
            ;
    } else {
        kids[slot].pid = p;
        kids[slot].uid = cr.uid;
    }
    close(fd);
}

int main(int argc, char **argv)
{
    x2go_set_progname("x2go-stored");
    bool foreground = argc == 2 && !strcmp(argv[1], "-f");
    if (argc == 2 && !strcmp(argv[1], "--help")) {
        puts("usage: x2go-stored [-f]\n  -f  stay in the foreground (as under systemd)");
        return 0;
    }
    if (argc > 2 || (argc == 2 && !foreground)) {
        x2go_complain("usage: x2go-stored [-f]");
        return 2;
    }
    if (geteuid() != 0) {
        x2go_complain("must be started as root (it drops to %s itself)", STORE_USER);
        return 1;
    }
    /* Nothing inherited stays open: not a caller's descriptor, not a lock
     * held by whoever started us. */
    close_range(3, ~0U, 0);
    clearenv();
    umask(007);
    signal(SIGPIPE, SIG_IGN);
    int lfd = make_socket();
    if (lfd < 0) {
        x2go_complain("cannot listen on %s: %s", X2GO_STORE_SOCK, strerror(errno));
        return 1;
    }
    if (foreground)
        write_pidfile(getpid());
    if ((!foreground && daemonize() < 0) || drop_privileges() < 0 || x2go_wlock_init() < 0) {
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
