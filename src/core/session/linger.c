#include "linger.h"
#include "conf.h"
#include "log.h"
#include "proc.h"
#include "util.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOGIND_DIR "/run/systemd/seats"
#define LINGER_DIR "/var/lib/systemd/linger"
#define LINGER_TIMEOUT_MS 5000

enum x2go_linger_action x2go_linger_decide(bool enabled, bool logind, bool lingering)
{
    if (!enabled)
        return X2GO_LINGER_OFF;
    if (!logind)
        return X2GO_LINGER_NO_LOGIND;
    return lingering ? X2GO_LINGER_ALREADY : X2GO_LINGER_ENABLE;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* loginctl's exit status; -1 when it could not run or took too long. */
static int run_loginctl(void)
{
    static const char *const bins[] = {"/usr/bin/loginctl", "/bin/loginctl"};
    for (size_t i = 0; i < X2GO_ARRAY_LEN(bins); i++) {
        if (access(bins[i], X_OK) < 0)
            continue;
        char *argv[] = {(char *)bins[i], "enable-linger", NULL};
        struct x2go_spawn_opts o = {.in_fd = -1, .out_fd = -1, .err_fd = -1};
        x2go_cloexec_from(3);
        pid_t pid = x2go_spawn(bins[i], argv, &o);
        int st = 0;
        if (pid < 0)
            return -1;
        if (x2go_wait_timeout(pid, LINGER_TIMEOUT_MS, &st) < 0) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1;
        }
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    }
    return -1;
}

void x2go_linger(const char *user)
{
    bool enabled = true;
    char path[PATH_MAX];
    if (x2go_conf_bool("sessions", "enable-linger", true, &enabled) < 0)
        x2go_log(LOG_ERR, "%s", x2go_err());
    bool lingering = x2go_fmt(path, sizeof path, "%s/%s", LINGER_DIR, user) >= 0 &&
                     access(path, F_OK) == 0;
    switch (x2go_linger_decide(enabled, is_dir(LOGIND_DIR), lingering)) {
    case X2GO_LINGER_OFF:
    case X2GO_LINGER_ALREADY:
        return;
    case X2GO_LINGER_NO_LOGIND:
        x2go_log(LOG_INFO, "systemd-logind is not running: no lingering needed for %s", user);
        return;
    case X2GO_LINGER_ENABLE:
        break;
    }
    int rc = run_loginctl();
    if (rc == 0)
        x2go_log(LOG_NOTICE, "enabled lingering for %s: suspended sessions outlive the "
                 "user's logins", user);
    else
        x2go_log(LOG_WARNING, "loginctl enable-linger failed for %s (exit status %d, -1: "
                 "did not run or end within 5 s): suspended sessions may end when the user "
                 "logs out; as root, run loginctl enable-linger %s, or set [sessions] "
                 "enable-linger=no", user, rc, user);
}
