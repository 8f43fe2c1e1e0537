/* x2golistdesktops [<server>] (spec 2.1.9): the X displays the caller may
 * shadow, one "<user>@:<display>" per line. Our own: every listening X
 * socket whose server accepts the caller (the connection set-up with the
 * caller's cookie succeeds within 1 s; all displays are tried at once),
 * except the displays of the
 * caller's rootless sessions (the reference meant to leave those out; a
 * wrong server name made it list them). Then other users' desktops offered
 * through their sharing applet's socket in /tmp, when the caller may use
 * that socket. The server argument is checked but not used. */
#include "appfiles.h"
#include "cmd.h"
#include "log.h"
#include "sessfiles.h"
#include "sid.h"
#include "store.h"
#include "util.h"
#include "validate.h"
#include "xdisplay.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_DISPLAYS 1024
#define PROBE_MS 1000

/* Displays of the caller's rootless sessions on this host. */
static int rootless(const char *host, int *out, int max)
{
    struct x2go_store *st = x2go_store_open();
    if (!st)
        return 0;
    struct x2go_list_query q = {.kind = X2GO_LIST_USER, .server = host};
    struct x2go_session_list l = {0};
    int n = 0;
    struct x2go_sid sid;
    if (st->ops->list(st, &q, &l) == 0)
        for (size_t i = 0; i < l.n && n < max; i++)
            if (l.s[i].status != 'F' && x2go_sid_parse(l.s[i].sid, &sid) == 0 &&
                sid.type == 'R')
                out[n++] = l.s[i].display;
    x2go_list_free(&l);
    x2go_store_close(st);
    return n;
}

static int connect_display(int d)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    /* Abstract socket first, as Xlib does, then the file. */
    for (int abstract = 1; abstract >= 0; abstract--) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return -1;
        int n = snprintf(a.sun_path + abstract, sizeof a.sun_path - 1, "/tmp/.X11-unix/X%d", d);
        socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + abstract + n);
        if (connect(fd, (struct sockaddr *)&a, len) == 0)
            return fd;
        close(fd);
    }
    return -1;
}

/* Start the X connection set-up with display d: the connected socket
 * (non-blocking from here on), or -1. */
static int start_probe(int d, const unsigned char *xauth, size_t xlen, const char *host)
{
    unsigned char cookie[16], req[48];
    int found = xauth ? x2go_xauth_cookie(xauth, xlen, host, d, cookie) : 0;
    size_t n = x2go_x_setup_request(req, found == 1 ? cookie : NULL);
    int fd = connect_display(d);
    if (fd >= 0 && write(fd, req, n) != (ssize_t)n) {
        close(fd);
        fd = -1;
    }
    if (fd >= 0)
        fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* All displays at once, so that slow servers do not add up: ok[i] when
 * display i's server answered Success. Like the reference's 1 s per
 * display, a server gets PROBE_MS after the last answer of any other: a
 * loaded machine wakes many servers one by one, a hung one costs 1 s. */
static void probe_all(const int *disp, const bool *skip, int n, bool *ok,
                      const unsigned char *xauth, size_t xlen, const char *host)
{
    static struct pollfd p[MAX_DISPLAYS];
    static int idx[MAX_DISPLAYS];
    int np = 0;
    for (int i = 0; i < n; i++) {
        ok[i] = false;
        int fd = skip[i] ? -1 : start_probe(disp[i], xauth, xlen, host);
        if (fd >= 0) {
            p[np] = (struct pollfd){.fd = fd, .events = POLLIN};
            idx[np++] = i;
        }
    }
    long end = now_ms() + PROBE_MS;
    for (int open = np; open > 0 && now_ms() < end;) {
        if (poll(p, (nfds_t)np, (int)(end - now_ms())) <= 0)
            break;
        for (int k = 0; k < np; k++) {
            unsigned char reply;
            if (p[k].fd < 0 || !p[k].revents)
                continue;
            ok[idx[k]] = read(p[k].fd, &reply, 1) == 1 && reply == 1;
            close(p[k].fd);
            p[k].fd = -1; /* poll ignores it from now on */
            open--;
            end = now_ms() + PROBE_MS;
        }
    }
    for (int k = 0; k < np; k++)
        if (p[k].fd >= 0)
            close(p[k].fd);
}

static void own_displays(FILE *out, const char *user, const char *host)
{
    size_t len = 0, xlen = 0;
    char *text = x2go_slurp("/proc/net/unix", &len);
    if (!text)
        return;
    static int disp[MAX_DISPLAYS], rootless_disp[MAX_DISPLAYS];
    static bool skip[MAX_DISPLAYS], ok[MAX_DISPLAYS];
    int n = x2go_x_displays(text, disp, MAX_DISPLAYS);
    free(text);
    int nr = rootless(host, rootless_disp, MAX_DISPLAYS);
    for (int i = 0; i < n; i++) {
        skip[i] = false;
        for (int j = 0; j < nr; j++)
            skip[i] |= rootless_disp[j] == disp[i];
    }
    char home[PATH_MAX], xa[PATH_MAX];
    unsigned char *xauth = NULL;
    if (x2go_home(home, sizeof home) == 0 && x2go_xauthority(home, xa, sizeof xa) == 0)
        xauth = x2go_read_trusted(xa, 1 << 20, getuid(), &xlen, NULL);
    probe_all(disp, skip, n, ok, xauth, xlen, host);
    for (int i = 0; i < n; i++)
        if (ok[i])
            fprintf(out, "%s@:%d\n", user, disp[i]);
    free(xauth);
}

static int byname(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static void shared_displays(FILE *out, const char *user)
{
    struct dirent **ents;
    int n = scandir("/tmp", &ents, NULL, byname);
    char entry[256], path[PATH_MAX];
    for (int i = 0; i < n; i++) {
        if (x2go_sharing_entry(ents[i]->d_name, user, entry, sizeof entry) &&
            x2go_fmt(path, sizeof path, "/tmp/%s", ents[i]->d_name) >= 0 &&
            access(path, R_OK | W_OK) == 0)
            fprintf(out, "%s\n", entry);
        free(ents[i]);
    }
    if (n >= 0)
        free(ents);
}

static int run_listdesktops(int argc, char **argv, FILE *out)
{
    char host[256], user[X2GO_USER_MAX + 1];
    if (argc == 1 && !x2go_valid_hostname(argv[0])) {
        return x2go_cmd_fail(2, "invalid server name (expected a host name)");
    }
    if (x2go_hostname(host, sizeof host) < 0 || x2go_caller_name(user, sizeof user) < 0)
        return x2go_cmd_error(1);
    own_displays(out, user, host);
    shared_displays(out, user);
    return 0;
}

X2GO_COMMAND(listdesktops, "x2golistdesktops", X2GO_BIN, "[<server>]", 0, 1, 0,
             run_listdesktops);
