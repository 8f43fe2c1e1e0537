/* Session ids: <owner>-<display>-<epoch>_st<T><command>_dp<depth>[suffix]
 * (spec 1.3). Every id that reaches us from outside is checked against
 * this grammar before it is used for anything. */
#ifndef X2GO_SID_H
#define X2GO_SID_H

#include <stdbool.h>
#include <stddef.h>

#define X2GO_SID_MAX 500 /* varchar(500) in the schema */
#define X2GO_USER_MAX 100

struct x2go_sid {
    char owner[X2GO_USER_MAX + 1];
    int display;
    long long epoch;
    char type;          /* D, R, S (K for KDrive ids made elsewhere) */
    char command[X2GO_SID_MAX + 1];
    int depth;
    bool shadow;        /* the command holds XSHAD */
};

/* Accepts exactly the grammar the reference's Debian sanitizer accepts:
 * ^[A-Za-z0-9._][A-Za-z0-9._@-]*-\d{2,4}-\d{9,12}_[A-Za-z0-9._-]*_dp\d{1,2}[A-Za-z0-9._-]*$
 * with a type letter after "_st". out may be NULL. Error set on failure. */
int x2go_sid_parse(const char *sid, struct x2go_sid *out);
bool x2go_sid_valid(const char *sid);

/* A user name as the reference's pnixusername sanitizer accepts it. */
bool x2go_username_valid(const char *name);

/* Build an id the way x2gostartagent does: ':' becomes "PP", characters
 * outside [A-Za-z0-9._@-] are dropped from the command. */
int x2go_sid_build(char *buf, size_t len, const char *owner, int display,
                   long long epoch, char type, const char *command, int depth,
                   const char *xdmcp_host);

#endif
