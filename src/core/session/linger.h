/* Lingering (spec 2.1.1 step 22): on a systemd host, logind ends a user's
 * processes when the user's last login ends unless the user lingers, and
 * a suspended session must outlive the SSH connection that started it. */
#ifndef X2GO_LINGER_H
#define X2GO_LINGER_H

#include <stdbool.h>

enum x2go_linger_action {
    X2GO_LINGER_OFF,        /* [sessions] enable-linger = no */
    X2GO_LINGER_NO_LOGIND,  /* nothing ends the processes: nothing to do */
    X2GO_LINGER_ALREADY,    /* the user lingers already */
    X2GO_LINGER_ENABLE,     /* run loginctl enable-linger */
};

/* Pure. */
enum x2go_linger_action x2go_linger_decide(bool enabled, bool logind, bool lingering);

/* For the calling user: decide from the configuration and the system,
 * run `loginctl enable-linger` (argv, at most 5 s) when needed and log
 * what happened. Never fails the caller. */
void x2go_linger(const char *user);

#endif
