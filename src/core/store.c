#include "store.h"
#include "conf.h"
#include "util.h"
#include "x2go-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct x2go_store *x2go_store_open(void)
{
    enum x2go_backend be;
    if (x2go_conf_backend(&be) < 0)
        return NULL;
    char me[X2GO_USER_MAX + 1];
    if (x2go_caller_name(me, sizeof me) < 0)
        return NULL;
    if (be == X2GO_BACKEND_POSTGRES)
        return x2go_store_pg_open(me, getuid() == 0);
    /* Root owns the database file; everyone else asks the store server. */
    if (getuid() == 0)
        return x2go_store_sqlite_open(X2GO_DB_PATH, me, true);
    return x2go_store_sock_open(me);
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
