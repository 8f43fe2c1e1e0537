#include "share_ask.h"
#include "proc.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* The owner's applet listens on /tmp/x2godesktopsharing_@<user>@:<disp>.
 * Anyone could make a file of that name while the owner has no applet
 * running: only a socket of the owner counts (the sticky /tmp keeps it
 * from being replaced afterwards). */
static int applet_present(const struct x2go_shadow_req *r)
{
    char path[256];
    struct stat st;
    struct passwd *pw = getpwnam(r->user);
    snprintf(path, sizeof path, "/tmp/x2godesktopsharing_@%s@:%d", r->user, r->display);
    return pw && lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_uid == pw->pw_uid;
}

/* Read the child's stdout until it closes or the deadline passes. */
static int collect(int fd, char *out, size_t len, int timeout_ms)
{
    size_t got = 0;
    long end = now_ms() + timeout_ms;
    for (;;) {
        long left = end - now_ms();
        if (left <= 0)
            return -1;
        struct pollfd p = {fd, POLLIN, 0};
        int n = poll(&p, 1, (int)left);
        if (n < 0 && errno != EINTR)
            return -1;
        if (n <= 0)
            continue;
        char buf[512];
        ssize_t k = read(fd, buf, sizeof buf);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        size_t take = (size_t)k < len - 1 - got ? (size_t)k : len - 1 - got;
        memcpy(out + got, buf, take);
        got += take;
    }
    out[got] = '\0';
    return 0;
}

static void deny(struct x2go_share_answer *a, const char *why)
{
    memset(a, 0, sizeof *a);
    a->denied = true;
    snprintf(a->reason, sizeof a->reason, "%s", why);
}

int x2go_share_ask(char *const args[9], const char *client, const char *user,
                   const struct x2go_shadow_req *r, int timeout_ms,
                   struct x2go_share_answer *a)
{
    if (!applet_present(r)) {
        deny(a, "no desktop sharing applet runs on that desktop");
        return 0;
    }
    char *argv[14] = {"x2godesktopsharing", "client", (char *)client};
    for (int i = 0; i < 9; i++)
        argv[3 + i] = args[i];
    argv[12] = (char *)user;
    argv[13] = NULL;
    int po[2];
    if (pipe2(po, O_CLOEXEC) < 0) {
        x2go_seterr("cannot make a pipe: %s", strerror(errno));
        return -1;
    }
    struct x2go_spawn_opts o = {.in_fd = -1, .out_fd = po[1], .err_fd = -1};
    pid_t pid = x2go_spawn(X2GO_SHARING_BIN, argv, &o);
    close(po[1]);
    if (pid < 0) {
        close(po[0]);
        return -1;
    }
    char out[2048];
    int rc = collect(po[0], out, sizeof out, timeout_ms);
    close(po[0]);
    int st;
    if (rc < 0 || x2go_wait_timeout(pid, 2000, &st) < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        deny(a, "no answer from the desktop owner in time");
        return 0;
    }
    if (x2go_share_answer_parse(out, user, r->user, a) < 0)
        deny(a, x2go_err());
    return 0;
}
