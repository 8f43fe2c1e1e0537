/* What the daemon does on a session's X display, each in a child running
 * as the session's user and authenticated with the session's cookie (from
 * its row): measure the X server's idle time (MIT-SCREEN-SAVER through
 * libXss), and show a warning with xmessage. The daemon never talks X
 * itself: a hung agent blocks only a child, which its alarm ends. */
#include "daemon.h"
#include "log.h"
#include "util.h"

#include <X11/Xlib.h>
#include <X11/extensions/scrnsaver.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>

#define PROBE_TIMEOUT_S 3
#define XMESSAGE "/usr/bin/xmessage"
#define COOKIE_NAME "MIT-MAGIC-COOKIE-1"
#define WARN_AFTER_S 20 /* the warning stays this long after its deadline */

/* The 32 hex digits of a row's cookie as its 16 bytes. */
static bool cookie_bytes(const char *hex, unsigned char out[16])
{
    if (strlen(hex) != 32)
        return false;
    for (int i = 0; i < 16; i++) {
        unsigned v = 0;
        for (int j = 0; j < 2; j++) {
            char c = hex[2 * i + j];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                                   : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0)
                return false;
            v = v * 16 + (unsigned)d;
        }
        out[i] = (unsigned char)v;
    }
    return true;
}

bool dm_x_can_reach(const struct sess *t)
{
    unsigned char c[16];
    return t->user_ok && t->display > 0 && t->display < 60000 && cookie_bytes(t->cookie, c);
}

/* In the child: the idle time in ms on stdout. */
static void probe_child(int display, const char *cookie)
{
    alarm(PROBE_TIMEOUT_S);
    unsigned char data[16];
    char name[16];
    if (!cookie_bytes(cookie, data))
        _exit(2);
    XSetAuthorization(COOKIE_NAME, (int)strlen(COOKIE_NAME), (char *)data, 16);
    snprintf(name, sizeof name, ":%d", display);
    Display *dpy = XOpenDisplay(name);
    if (!dpy)
        _exit(3);
    int ev, err;
    XScreenSaverInfo *info = XScreenSaverAllocInfo();
    if (!XScreenSaverQueryExtension(dpy, &ev, &err) || !info ||
        !XScreenSaverQueryInfo(dpy, DefaultRootWindow(dpy), info))
        _exit(4);
    printf("%lu\n", info->idle);
    fflush(stdout);
    _exit(0);
}

int dm_idle_probe(struct daemon *d, struct sess *t)
{
    int p[2];
    if (!dm_x_can_reach(t) || pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
        return -1;
    pid_t pid = dm_fork_as_user(&d->kids, &t->u, t->sid, "idle time probe", p[1], 0);
    if (pid == 0)
        probe_child(t->display, t->cookie);
    close(p[1]);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = p[0]};
    if (pid < 0 || epoll_ctl(d->ep, EPOLL_CTL_ADD, p[0], &ev) < 0) {
        close(p[0]);
        return -1;
    }
    t->idle_fd = p[0];
    return 0;
}

void dm_idle_stop(struct daemon *d, struct sess *t)
{
    if (t->idle_fd < 0)
        return;
    epoll_ctl(d->ep, EPOLL_CTL_DEL, t->idle_fd, NULL);
    close(t->idle_fd);
    t->idle_fd = -1;
}

bool dm_idle_event(struct daemon *d, int fd)
{
    for (size_t i = 0; i < d->ntrk; i++) {
        struct sess *t = d->trk[i];
        if (t->idle_fd != fd)
            continue;
        char buf[32];
        ssize_t n = read(fd, buf, sizeof buf - 1);
        if (n < 0 && errno == EAGAIN)
            return true; /* not yet */
        buf[n > 0 ? n : 0] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        long v;
        bool failed_before = t->idle_at && t->idle_ms < 0;
        t->idle_ms = x2go_parse_long(buf, 0, 0x7fffffffL, &v) == 0 ? v : -1;
        t->idle_at = x2go_now_ms();
        if (t->idle_ms < 0 && !failed_before) /* once, not at every retry */
            dm_log(LOG_WARNING, "%s: cannot read the idle time of display :%d", t->esc,
                   t->display);
        else
            dm_log(LOG_DEBUG, "%s: X server idle for %ld ms", t->esc, (long)t->idle_ms);
        dm_idle_stop(d, t);
        dm_want_pass_at(d, t->idle_at);
        return true;
    }
    return false;
}

/* In the child: an Xauthority of one entry (any address, this display,
 * the session's cookie) in a memfd, named by XAUTHORITY for xmessage. */
static int cookie_file(int display, const char *cookie)
{
    unsigned char data[16];
    char num[16];
    if (!cookie_bytes(cookie, data))
        return -1;
    int fd = memfd_create("x2go-warning-auth", 0);
    if (fd < 0)
        return -1;
    snprintf(num, sizeof num, "%d", display);
    unsigned char rec[128];
    size_t n = 0;
    const struct { const void *p; size_t len; } parts[] = {
        {"", 0}, {num, strlen(num)}, {COOKIE_NAME, strlen(COOKIE_NAME)}, {data, 16},
    };
    rec[n++] = 0xff; /* FamilyWild */
    rec[n++] = 0xff;
    for (size_t i = 0; i < X2GO_ARRAY_LEN(parts); i++) {
        rec[n++] = (unsigned char)(parts[i].len >> 8);
        rec[n++] = (unsigned char)parts[i].len;
        memcpy(rec + n, parts[i].p, parts[i].len);
        n += parts[i].len;
    }
    return write(fd, rec, n) == (ssize_t)n ? fd : -1;
}

int dm_warn_show(struct daemon *d, struct sess *t, const char *text, long seconds)
{
    if (!dm_x_can_reach(t) || access(XMESSAGE, X_OK) < 0)
        return -1;
    /* It stays past the suspend or the end: its window going away would
     * count as input in the agent. */
    long shown = seconds + WARN_AFTER_S;
    pid_t pid = dm_fork_as_user(&d->kids, &t->u, t->sid, "xmessage warning", -1,
                                (int64_t)(shown + 10) * 1000);
    if (pid != 0)
        return pid < 0 ? -1 : 0;
    int fd = cookie_file(t->display, t->cookie);
    if (fd < 0)
        _exit(2);
    char disp[32], auth[64], timeout[24];
    snprintf(disp, sizeof disp, "DISPLAY=:%d", t->display);
    snprintf(auth, sizeof auth, "XAUTHORITY=/proc/self/fd/%d", fd);
    snprintf(timeout, sizeof timeout, "%ld", shown);
    char *argv[] = {XMESSAGE, "-center", "-timeout", timeout, "-buttons", "OK",
                    (char *)text, NULL};
    dm_exec_as_user(&t->u, argv, disp, auth);
}
