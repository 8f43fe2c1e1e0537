#include "applet.h"
#include "proc.h"
#include "sessfiles.h"
#include "sid.h"
#include "util.h"

#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool x2go_display_value_is(const char *v, int disp)
{
    const char *colon = strrchr(v, ':');
    if (!colon || !colon[1])
        return false;
    char num[16];
    size_t n = strcspn(colon + 1, ".");
    if (n == 0 || n >= sizeof num)
        return false;
    memcpy(num, colon + 1, n);
    num[n] = '\0';
    const char *screen = colon + 1 + n;
    long d;
    /* The reference matched any DISPLAY containing ":<disp>", so :5 also
     * stopped the applet of :50: compare the number. */
    if (x2go_parse_long(num, 0, 65535, &d) < 0 || d != disp)
        return false;
    return !*screen || (screen[1] && x2go_is_digits(screen + 1));
}

const char *x2go_environ_display(const char *env, size_t len)
{
    for (size_t i = 0; i < len;) {
        const char *e = env + i;
        size_t n = strnlen(e, len - i);
        if (n < len - i && !strncmp(e, "DISPLAY=", 8))
            return e + 8;
        i += n + 1;
    }
    return NULL;
}

bool x2go_cmdline_is_applet(const char *cmd, size_t len)
{
    size_t n = strnlen(cmd, len);
    if (n == len || n == 0)
        return false;
    const char *slash = strrchr(cmd, '/');
    return !strcmp(slash ? slash + 1 : cmd, X2GO_APPLET_NAME);
}

/* /proc/<pid>/<what> into buf; its length or -1. */
static ssize_t proc_block(long pid, const char *what, char *buf, size_t len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/%s", pid, what);
    return x2go_read_file(path, buf, len);
}

/* The applet listens on /tmp/x2godesktopsharing_@<user>@<its DISPLAY>
 * while sharing is switched on, and removes it when switched off. */
static bool sharing_on(uid_t uid, const char *user, const char *display)
{
    char path[PATH_MAX];
    struct stat st;
    return x2go_fmt(path, sizeof path, "/tmp/" X2GO_APPLET_NAME "_@%s@%s", user, display) >= 0 &&
           lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_uid == uid;
}

int x2go_applet_stop(uid_t uid, const char *user, int disp, bool *active)
{
    *active = false;
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    static char env[65536];
    char cmd[4096];
    while ((e = readdir(d))) {
        long pid;
        if (x2go_parse_long(e->d_name, 2, 4194304, &pid) < 0 ||
            !x2go_pid_of_uid((pid_t)pid, uid))
            continue;
        ssize_t cl = proc_block(pid, "cmdline", cmd, sizeof cmd);
        if (cl <= 0 || !x2go_cmdline_is_applet(cmd, (size_t)cl))
            continue;
        ssize_t el = proc_block(pid, "environ", env, sizeof env);
        const char *dv = el > 0 ? x2go_environ_display(env, (size_t)el) : NULL;
        if (!dv || !x2go_display_value_is(dv, disp))
            continue;
        bool on = sharing_on(uid, user, dv);
        if (kill((pid_t)pid, SIGTERM) == 0) {
            *active |= on;
            n++;
        }
    }
    closedir(d);
    return n;
}

int x2go_applet_start(int disp, bool active)
{
    char value[32];
    /* ":<n>", not the reference's ":<n>.0": the applet names its socket
     * after DISPLAY, and requests name the display ":<n>". */
    snprintf(value, sizeof value, ":%d", disp);
    if (access(X2GO_APPLET_PATH, X_OK) < 0) {
        x2go_seterr("%s is not installed", X2GO_APPLET_PATH);
        return -1;
    }
    if (setenv("DISPLAY", value, 1) < 0) {
        x2go_seterr("cannot set DISPLAY");
        return -1;
    }
    x2go_cloexec_from(3);
    char *argv[] = {X2GO_APPLET_PATH, active ? "--activate-desktop-sharing" : NULL, NULL};
    struct x2go_spawn_opts o = {.in_fd = -1, .out_fd = -1, .err_fd = -1, .new_session = true};
    return x2go_spawn(X2GO_APPLET_PATH, argv, &o) > 0 ? 0 : -1;
}

int x2go_applet_marker(const char *sid, char *path, size_t len, int *disp, char *user,
                       size_t ulen)
{
    struct x2go_sid s;
    char dir[PATH_MAX];
    if (x2go_sid_parse(sid, &s) < 0 || x2go_caller_name(user, ulen) < 0 ||
        x2go_sessdir_open(user, getuid(), sid, dir, sizeof dir) < 0)
        return -1;
    *disp = s.display;
    return x2go_fmt(path, len, "%s/%s", dir, X2GO_APPLET_MARKER);
}
