/* The session row and its one-line text form: the 16 '|'-separated fields
 * that x2golistsessions prints (spec 2.1.6) and that both clients parse. */
#ifndef X2GO_SESSION_H
#define X2GO_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "sid.h"

#define X2GO_NULL_INT (-2147483647 - 1) /* an SQL NULL in an int column */

struct x2go_session {
    char sid[X2GO_SID_MAX + 1];
    int display;
    char uname[X2GO_USER_MAX + 1];
    char server[101];
    char client[64];         /* "" when NULL */
    char status;             /* R S T F */
    char init_time[20];      /* YYYY-MM-DDTHH:MM:SS, server local time */
    char last_time[20];
    char cookie[34];         /* "" when NULL */
    long agent_pid;          /* X2GO_NULL_INT when NULL */
    long age;                /* seconds since init_time */
    int gr_port, sound_port, fs_port, tekictrl_port, tekidata_port;
};

struct x2go_session_list {
    struct x2go_session *s;
    size_t n, cap;
};

struct x2go_session *x2go_list_add(struct x2go_session_list *l);
void x2go_list_free(struct x2go_session_list *l);

/* Format the list line (no newline). nfields is 16, or 14 for shadow
 * lists. Returns the length or -1. */
int x2go_session_format(const struct x2go_session *s, int nfields, char *buf,
                        size_t len);
/* Parse a list line of 14..16 fields, strictly. Error set on failure. */
int x2go_session_parse(const char *line, struct x2go_session *s);

bool x2go_status_valid(char c);

#endif
