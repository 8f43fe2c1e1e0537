/* What both store servers (x2go-stored, x2go-pgstored) do the same way:
 * their listening socket and pid file under /run/x2go, detaching, and one
 * request read and one reply written with deadlines, so that a slow or
 * silent caller never holds a server for long. */
#include "stored.h"
#include "storeproto.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define SOCK_DIR "/run/x2go"
#define REQ_DEADLINE_MS 2000
#define REPLY_DEADLINE_MS 2000

/* Wait until fd is ready for events, at most until deadline; 0 or -1. */
static int wait_fd(int fd, short events, long deadline)
{
    for (;;) {
        long left = deadline - x2go_now_ms();
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
    long deadline = x2go_now_ms() + REQ_DEADLINE_MS;
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
    long deadline = x2go_now_ms() + REPLY_DEADLINE_MS;
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

void x2go_stored_serve(int fd, uid_t uid, const struct x2go_stored_backend *be)
{
    char req[X2GO_SP_REQ_MAX];
    ssize_t n = read_request(fd, req, sizeof req);
    struct x2go_buf reply = {0};
    if (n < 0)
        x2go_buf_printf(&reply, "%c\nincomplete or too long request", SP_ERROR);
    else
        x2go_stored_handle(be, uid, req, (size_t)n, &reply);
    write_reply(fd, reply.p, reply.len);
    free(reply.p);
    close(fd);
}

int x2go_stored_accept(int lfd, uid_t *uid)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    struct ucred cr;
    socklen_t cl = sizeof cr;
    *uid = fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0 ? cr.uid
                                                                           : (uid_t)-1;
    return fd;
}

void x2go_stored_refuse(int fd, char status, const char *why)
{
    char line[256];
    int n = snprintf(line, sizeof line, "%c\n%s", status, why);
    send(fd, line, n < (int)sizeof line ? (size_t)n : sizeof line - 1,
         MSG_NOSIGNAL | MSG_DONTWAIT);
    /* What the client already sent is taken off the socket without
     * waiting: closing over unread data would reset the connection and
     * the client would lose the answer. */
    char sink[X2GO_SP_REQ_MAX];
    while (recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0)
        ;
}

int x2go_stored_begin(int argc, char **argv, const char *name, const char *why_root,
                      bool *foreground)
{
    x2go_set_progname(name);
    *foreground = argc == 2 && !strcmp(argv[1], "-f");
    if (argc == 2 && !strcmp(argv[1], "--help")) {
        printf("usage: %s [-f]\n  -f  stay in the foreground (as under systemd)\n", name);
        return 0;
    }
    if (argc > 2 || (argc == 2 && !*foreground)) {
        x2go_complain("usage: %s [-f]", name);
        return 2;
    }
    if (geteuid() != 0) {
        x2go_complain("must be started as root (%s)", why_root);
        return 1;
    }
    /* Nothing inherited stays open: not a caller's descriptor, not a lock
     * held by whoever started us. */
    close_range(3, ~0U, 0);
    clearenv();
    signal(SIGPIPE, SIG_IGN);
    return -1;
}

int x2go_stored_open(const char *sock, const char *pidfile, bool foreground)
{
    int lfd = x2go_stored_listen(sock);
    if (lfd < 0) {
        x2go_complain("cannot listen on %s: %s", sock, strerror(errno));
        return -1;
    }
    if (foreground)
        x2go_stored_pidfile(pidfile, getpid());
    else if (x2go_stored_daemonize(pidfile) < 0) {
        x2go_complain("cannot detach: %s", strerror(errno));
        return -1;
    }
    return lfd;
}

int x2go_stored_listen(const char *path)
{
    struct stat sb;
    if (mkdir(SOCK_DIR, 0755) < 0 && errno != EEXIST)
        return -1;
    if (lstat(SOCK_DIR, &sb) < 0 || !S_ISDIR(sb.st_mode) || sb.st_uid != 0 ||
        chmod(SOCK_DIR, 0755) < 0) {
        errno = EPERM;
        return -1;
    }
    if (lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode))
        unlink(path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || chmod(path, 0666) < 0 ||
        listen(fd, 128) < 0)
        return -1;
    return fd;
}

void x2go_stored_pidfile(const char *path, pid_t pid)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd >= 0) {
        dprintf(fd, "%ld\n", (long)pid);
        close(fd);
    }
}

/* The pid file is written before the starter returns, so whoever started
 * us can stop us at once. */
int x2go_stored_daemonize(const char *pidfile)
{
    pid_t p = fork();
    if (p < 0)
        return -1;
    if (p > 0) {
        x2go_stored_pidfile(pidfile, p);
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
