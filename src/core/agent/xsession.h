/* The session's program and the Xsession path (spec 5): a desktop (type
 * D) runs through <confdir>/Xsession, which gives it what Debian's
 * Xsession gives a desktop (profile, Xsession.d, ~/.xsessionrc), under a
 * D-Bus session bus of its own. The script gets the program as one
 * argument, as every display manager passes it to Debian's Xsession; no
 * shell command line is ever built here. */
#ifndef X2GO_XSESSION_H
#define X2GO_XSESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "x2go-config.h"

#define X2GO_XSESSION_SCRIPT X2GO_CONFDIR "/Xsession"
#define X2GO_XSESSION_MAX_ARGS 8

/* What the decision needs to know about the system. */
struct x2go_xsession_facts {
    char stype;           /* D, R or P */
    bool script_ok;       /* the script is an executable file only root can change */
    const char *dbus_run; /* dbus-run-session's path; NULL when not installed */
    const char *script;   /* the script's path */
};

/* Pure. The argv (NULL terminated, at most X2GO_XSESSION_MAX_ARGS entries)
 * that starts the program prog through the Xsession script; line receives
 * the program's words joined by spaces (the script's one argument).
 * Returns the number of words; 0 when the program runs directly (not a
 * desktop, or no script); -1 when prog is empty or line is too short. */
int x2go_xsession_argv(const struct x2go_xsession_facts *f, char *const prog[], char *line,
                       size_t linelen, const char **av);

/* Fill f from the system (the script's mode and owner, dbus-run-session
 * in PATH). buf holds dbus-run-session's path. */
void x2go_xsession_probe(char stype, struct x2go_xsession_facts *f, char *buf, size_t len);

/* `type -P`: a name with a '/' as it is, otherwise the first executable
 * match in PATH; false when there is none. */
bool x2go_which(const char *name, char *out, size_t len);
bool x2go_is_exec(const char *path);

#endif
