/* Desktop sharing (spec 2.2): the shadow request a client sends, whose
 * agent a shadow session's row stands for, and the answer of the owner's
 * x2godesktopsharing applet. Pure parsers over strings. */
#ifndef X2GO_SHARING_H
#define X2GO_SHARING_H

#include "sid.h"

#include <stdbool.h>
#include <stddef.h>

struct x2go_shadow_req {
    int mode;                         /* 0 view only, 1 full access */
    char user[X2GO_USER_MAX + 1];     /* whose desktop */
    int display;                      /* which of that user's displays */
};

/* "<0|1>XSHAD<user>XSHAD[:]<display>[.0]" (the 9th argument of
 * x2gostartagent). 0, or -1 with the error set. */
int x2go_shadow_req_parse(const char *cmd, struct x2go_shadow_req *out);

/* The user whose agent serves a session: for a shadow id of another
 * user's desktop ("..._stS<m>XSHAD<x>XSHAD...") that is <x>, the owner of
 * the desktop; otherwise uname. Points into buf or at uname. */
const char *x2go_agent_user(const char *sid, const char *uname, char *buf, size_t len);

/* A shadow session (type S) of user's own desktop: the only kind of row
 * user may make for another user (the requester of a shared desktop). */
bool x2go_shadow_of(char type, const char *idcmd, const char *user);

/* The applet's answer, as its client mode prints it. */
struct x2go_share_answer {
    bool denied;
    char reason[128];                 /* after "DENY " when denied */
    int display, pid, ports[3];
    char cookie[33], sid[X2GO_SID_MAX + 1];
};

/* Parse the answer in place ("#012" counts as a line break). A refusal is
 * denied; otherwise the 7 fields of x2gostartagent must be well formed and
 * the id must be a shadow session of requester on owner's desktop. 0, or
 * -1 with the error set (then treat it as a refusal). */
int x2go_share_answer_parse(char *text, const char *requester, const char *owner,
                            struct x2go_share_answer *out);

#endif
