#include "limit.h"
#include "conf.h"
#include "log.h"
#include "proc.h"
#include "util.h"

#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A configured limit: 1 and *v when set, 0 when absent, -1 on error. */
static int limit_of(const char *section, const char *key, long *v)
{
    const char *s;
    if (x2go_conf_str(section, key, NULL, &s) < 0)
        return -1;
    if (!s)
        return 0;
    if (x2go_parse_long(s, 0, 1000000, v) < 0) {
        x2go_log(LOG_WARNING, "[%s] %s = '%s' is not a number, ignored", section, key, s);
        return 0;
    }
    return 1;
}

/* The caller's sessions that count: not F, and on this host either
 * starting (no agent yet) or with a live agent. */
static long count_sessions(struct x2go_store *st)
{
    char host[256];
    if (x2go_hostname(host, sizeof host) < 0)
        return -1;
    struct x2go_list_query q = {.kind = X2GO_LIST_USER, .server = NULL};
    struct x2go_session_list l = {0};
    if (st->ops->list(st, &q, &l) < 0)
        return -1;
    long n = 0;
    for (size_t i = 0; i < l.n; i++) {
        const struct x2go_session *s = &l.s[i];
        if (s->status == 'F')
            continue;
        if (strcmp(s->server, host) == 0 && s->agent_pid != X2GO_NULL_INT &&
            !x2go_agent_alive((pid_t)s->agent_pid, s->sid, getuid()))
            continue;
        n++;
    }
    x2go_list_free(&l);
    return n;
}

int x2go_limit_lookup(const char *user, const gid_t *groups, int ng, long *lim)
{
    int r = limit_of("limit users", user, lim);
    if (r != 0)
        return r;
    /* The groups: the largest limit applies, and any 0 means unlimited. */
    long max = -1;
    for (int i = 0; i < ng; i++) {
        struct group *g = getgrgid(groups[i]);
        long v;
        if (!g)
            continue;
        int gr = limit_of("limit groups", g->gr_name, &v);
        if (gr < 0)
            return -1;
        if (gr == 0)
            continue;
        if (v == 0) {
            *lim = 0;
            return 1;
        }
        if (v > max)
            max = v;
    }
    if (max < 0)
        return 0;
    *lim = max;
    return 1;
}

int x2go_session_limit(struct x2go_store *st, char *out, size_t len)
{
    char me[X2GO_USER_MAX + 1];
    long lim = 0;
    out[0] = '\0';
    if (x2go_caller_name(me, sizeof me) < 0)
        return -1;
    /* The real gid and the supplementary groups. */
    gid_t groups[256];
    int ng = getgroups((int)X2GO_ARRAY_LEN(groups) - 1, groups);
    if (ng < 0)
        ng = 0;
    groups[ng++] = getgid();
    int r = x2go_limit_lookup(me, groups, ng, &lim);
    if (r <= 0)
        return r; /* no limit configured, or an error */
    if (lim == 0) {
        snprintf(out, len, "0");
        return 0;
    }
    long count = count_sessions(st);
    if (count < 0)
        return -1;
    if (count < lim) {
        snprintf(out, len, "%ld", lim);
        return 0;
    }
    snprintf(out, len, "LIMIT");
    return 1;
}
