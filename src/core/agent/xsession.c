#include "xsession.h"
#include "util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int x2go_xsession_argv(const struct x2go_xsession_facts *f, char *const prog[], char *line,
                       size_t linelen, const char **av)
{
    if (!prog[0] || !prog[0][0])
        return -1;
    if (f->stype != 'D' || !f->script_ok)
        return 0;
    size_t o = 0;
    for (int i = 0; prog[i]; i++) {
        int n = snprintf(line + o, linelen - o, "%s%s", i ? " " : "", prog[i]);
        if (n < 0 || (size_t)n >= linelen - o)
            return -1;
        o += (size_t)n;
    }
    int n = 0;
    /* A bus of the session's own: the user's bus (dbus-user-session) is
     * shared by all of the user's logins, and two desktops on one bus
     * fight over their well-known names. */
    if (f->dbus_run) {
        av[n++] = f->dbus_run;
        av[n++] = "--";
    }
    av[n++] = f->script;
    av[n++] = line;
    av[n] = NULL;
    return n;
}

bool x2go_is_exec(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

bool x2go_which(const char *name, char *out, size_t len)
{
    if (!*name)
        return false;
    if (strchr(name, '/'))
        return x2go_is_exec(name) && x2go_strlcpy(out, name, len) == 0;
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, ":");
        char cand[PATH_MAX];
        if (n && (size_t)snprintf(cand, sizeof cand, "%.*s/%s", (int)n, p, name) < sizeof cand &&
            x2go_is_exec(cand))
            return x2go_strlcpy(out, cand, len) == 0;
        p += n;
        if (*p == ':')
            p++;
    }
    return false;
}

void x2go_xsession_probe(char stype, struct x2go_xsession_facts *f, char *buf, size_t len)
{
    struct stat st;
    f->stype = stype;
    f->script = X2GO_XSESSION_SCRIPT;
    /* It runs as the user with the session's environment: only a file
     * that nobody but root can change. */
    f->script_ok = stat(f->script, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0 &&
                   !(st.st_mode & (S_IWGRP | S_IWOTH)) && access(f->script, X_OK) == 0;
    f->dbus_run = x2go_which("dbus-run-session", buf, len) ? buf : NULL;
}
