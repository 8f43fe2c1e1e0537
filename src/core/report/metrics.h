/* The server's state for monitoring (x2gometrics): sessions by status
 * and user, displays and ports, the clean-up daemon's health and the
 * agents' memory, as OpenMetrics text (also read by node_exporter's
 * textfile collector) and as JSON. Pure: the command gathers the data. */
#ifndef X2GO_METRICS_H
#define X2GO_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "session.h"
#include "strbuf.h"

/* The clean-up daemon's state file (written by the daemon after each
 * pass; root-owned, 0644): lines last_pass=<unix seconds>, passes=<n>,
 * tracked=<n>, pid=<daemon pid>. */
#define X2GO_DAEMON_STATE_FILE "/run/x2go/cleansessions.state"

struct x2go_daemon_state {
    long long last_pass;
    long passes, tracked, pid;
};

/* Strict: every line key=decimal, each of the four keys exactly once;
 * well-formed lines of other keys are ignored (a later daemon may add
 * some). 0, or -1 with the error set naming the line. */
int x2go_daemon_state_parse(const char *text, size_t len, struct x2go_daemon_state *out);

/* VmRSS of a /proc/<pid>/status text, in bytes; -1 when absent. */
int x2go_vmrss_parse(const char *text, long long *bytes);

#define X2GO_NSTATUS 4 /* R S T F, in that order */

struct x2go_metrics_user {
    char name[X2GO_USER_MAX + 1];
    long n[X2GO_NSTATUS];
};

struct x2go_metrics_agent {
    char sid[X2GO_SID_MAX + 1];
    char user[X2GO_USER_MAX + 1];
    int display;
    long long rss_bytes;
};

struct x2go_metrics {
    long by_status[X2GO_NSTATUS];
    struct x2go_metrics_user *users;
    size_t nusers;
    long displays_used, displays_free, ports_used, ports_free;
    bool daemon_up;
    struct x2go_daemon_state daemon; /* when daemon_up */
    struct x2go_metrics_agent *agents;
    size_t nagents;
};

/* Count the sessions of l (rows backed by an agent; starts in progress
 * are not sessions yet) into m, by status and by user. */
void x2go_metrics_count(struct x2go_metrics *m, const struct x2go_session_list *l);
/* Add an agent's memory. */
void x2go_metrics_agent(struct x2go_metrics *m, const struct x2go_session *s, long long rss);
void x2go_metrics_free(struct x2go_metrics *m);

/* A label value with \\, \" and \n escaped (OpenMetrics and Prometheus). */
void x2go_om_label(struct x2go_buf *b, const char *v);
/* The exposition, ending "# EOF\n". */
void x2go_metrics_openmetrics(const struct x2go_metrics *m, struct x2go_buf *b);
void x2go_metrics_json(const struct x2go_metrics *m, struct x2go_buf *b);

#endif
