#include "store.h"
#include "conf.h"
#include "log.h"
#include "timelimit.h"
#include "util.h"
#include "x2go-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int x2go_store_history_conf(long long *secs)
{
    const char *v;
    long s;
    if (x2go_conf_str("history", "retention", X2GO_HISTORY_RETENTION_DEFAULT, &v) < 0)
        return -1;
    if (x2go_duration_parse(v, &s) < 0) {
        char why[256];
        snprintf(why, sizeof why, "%s", x2go_err());
        x2go_seterr("%s: [history] retention: %s", X2GO_SERVER_CONF, why);
        return -1;
    }
    *secs = s;
    return 0;
}

/* Best effort: a broken setting or an old database without the history
 * tables must not stop root's commands or the daemon. */
static void sync_retention(struct x2go_store *st)
{
    long long secs;
    if (!st->ops->history_retain)
        return;
    if (x2go_store_history_conf(&secs) < 0 || st->ops->history_retain(st, secs) < 0)
        x2go_log(LOG_WARNING, "session history retention not applied: %s", x2go_err());
}

struct x2go_store *x2go_store_open(void)
{
    enum x2go_backend be;
    if (x2go_conf_backend(&be) < 0)
        return NULL;
    char me[X2GO_USER_MAX + 1];
    if (x2go_caller_name(me, sizeof me) < 0)
        return NULL;
    struct x2go_store *st;
    if (be == X2GO_BACKEND_POSTGRES)
        st = x2go_store_pg_open(me, getuid() == 0);
    else if (getuid() == 0) /* root owns the database file */
        st = x2go_store_sqlite_open(X2GO_DB_PATH, me, true);
    else /* everyone else asks the store server */
        return x2go_store_sock_open(me);
    if (st && st->is_root)
        sync_retention(st);
    return st;
}

static int missing(void)
{
    x2go_seterr("only root reads the session history and usage, from the database itself");
    return -1;
}

int x2go_store_history(struct x2go_store *st, const struct x2go_hist_query *q,
                       struct x2go_hist_list *out)
{
    return st->is_root && st->ops->history ? st->ops->history(st, q, out) : missing();
}

int x2go_store_usage(struct x2go_store *st, struct x2go_store_usage *out)
{
    return st->is_root && st->ops->usage ? st->ops->usage(st, out) : missing();
}

void *x2go_store_new(size_t size, const struct x2go_store_ops *ops, const char *caller,
                     bool is_root)
{
    struct x2go_store *st = calloc(1, size);
    if (!st)
        abort();
    st->ops = ops;
    st->is_root = is_root;
    snprintf(st->caller, sizeof st->caller, "%s", caller);
    return st;
}
