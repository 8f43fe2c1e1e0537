#include "hooks.h"
#include "conf.h"
#include "log.h"
#include "proc.h"
#include "sessfiles.h"
#include "util.h"
#include "x2go-config.h"

#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

bool x2go_hook_modality_valid(const char *m)
{
    static const char *const when[] = {"pre", "post", "fail"};
    static const char *const what[] = {"start", "resume", "suspend", "terminate",
                                       "runcommand"};
    for (size_t i = 0; i < X2GO_ARRAY_LEN(when); i++) {
        size_t n = strlen(when[i]);
        if (strncmp(m, when[i], n) || m[n] != '-')
            continue;
        for (size_t j = 0; j < X2GO_ARRAY_LEN(what); j++)
            if (!strcmp(m + n + 1, what[j]))
                return true;
    }
    return false;
}

static int hook_name(const struct dirent *d)
{
    const char *s = d->d_name;
    for (int i = 0; i < 3; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    char c = s[4];
    return s[3] == '_' && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9'));
}

int x2go_run_hooks(const char *sid, const char *modality, char *const envp[])
{
    if (!x2go_hook_modality_valid(modality)) {
        x2go_seterr("invalid modality '%s' (use pre-, post- or fail- followed by start, "
                    "resume, suspend, terminate or runcommand)", modality);
        return -1;
    }
    char dir[PATH_MAX];
    if (x2go_fmt(dir, sizeof dir, "%s/%s.d", X2GO_EXTENSIONS_DIR, modality) < 0)
        return -1;
    struct dirent **ents;
    int n = scandir(dir, &ents, hook_name, alphasort);
    if (n < 0)
        return 0; /* no such directory: nothing to run */
    /* A hook that stays in the background must not keep our caller's
     * descriptors (an SSH channel, the agent's sockets) open. */
    x2go_cloexec_from(3);
    int ran = 0;
    for (int i = 0; i < n; i++) {
        char path[PATH_MAX];
        struct stat st;
        if (x2go_fmt(path, sizeof path, "%s/%s", dir, ents[i]->d_name) < 0 ||
            stat(path, &st) < 0 || !S_ISREG(st.st_mode) || access(path, X_OK) < 0) {
            free(ents[i]);
            continue;
        }
        char *argv[] = {path, (char *)sid, NULL};
        struct x2go_spawn_opts o = {.envp = envp, .in_fd = -1, .out_fd = -1, .err_fd = -1};
        pid_t pid = x2go_spawn(path, argv, &o);
        int status = 0;
        if (pid > 0 && x2go_wait_timeout(pid, X2GO_HOOK_TIMEOUT_MS, &status) < 0) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            x2go_log(LOG_WARNING, "%s (x2goserver-run-extensions) for session %s did not "
                     "finish within %d s and was killed, continuing...", path, sid,
                     X2GO_HOOK_TIMEOUT_MS / 1000);
        } else if (pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            x2go_log(LOG_INFO, "%s (x2goserver-run-extensions) for session %s has finished "
                     "successfully", path, sid);
        } else {
            x2go_log(LOG_WARNING, "%s (x2goserver-run-extensions) for session %s returned a "
                     "non-zero exit code, continuing...", path, sid);
        }
        ran++;
        free(ents[i]);
    }
    free(ents);
    return ran;
}

static int logout_timeout_ms(void)
{
    const char *v;
    long secs = 30;
    if (x2go_conf_str("sessions", "logout-timeout", "30", &v) < 0)
        x2go_log(LOG_ERR, "%s", x2go_err());
    else if (x2go_parse_long(v, 1, 3600, &secs) < 0)
        x2go_log(LOG_ERR, "[sessions] logout-timeout = '%s' is not a number of seconds from 1 "
                 "to 3600: using 30", v);
    return (secs >= 1 && secs <= 3600 ? (int)secs : 30) * 1000;
}

int x2go_run_logout(const char *sid)
{
    struct stat st;
    if (stat(X2GO_LOGOUT_SCRIPT, &st) < 0)
        return -1;
    if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
        x2go_log(LOG_ERR, "session %s: %s is not a file of root that only root can change; "
                 "not run", sid, X2GO_LOGOUT_SCRIPT);
        return -1;
    }
    char *argv[] = {"/bin/bash", X2GO_LOGOUT_SCRIPT, NULL};
    struct x2go_spawn_opts o = {.in_fd = -1, .out_fd = -1, .err_fd = -1, .new_session = true};
    x2go_cloexec_from(3);
    pid_t pid = x2go_spawn(argv[0], argv, &o);
    if (pid < 0) {
        x2go_log(LOG_ERR, "session %s: %s", sid, x2go_err());
        return -1;
    }
    int status = 0, timeout = logout_timeout_ms();
    if (x2go_wait_timeout(pid, timeout, &status) < 0) {
        kill(-pid, SIGKILL);
        waitpid(pid, &status, 0);
        x2go_log(LOG_WARNING, "session %s: the logout scripts did not finish within %d s and "
                 "were killed", sid, timeout / 1000);
        return -1;
    }
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    x2go_log(rc ? LOG_WARNING : LOG_INFO, "session %s: logout scripts done (exit status %d)",
             sid, rc);
    return rc;
}
