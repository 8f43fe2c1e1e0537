/* The session store: backend-neutral operations on the session database.
 * Backends: SQLite opened directly (root, and the privileged helper), the
 * helper proxy (unprivileged callers on SQLite hosts). Ownership is
 * enforced inside each backend against the caller's kernel identity. */
#ifndef X2GO_STORE_H
#define X2GO_STORE_H

#include <stdbool.h>
#include <sys/types.h>

#include "session.h"

#define X2GO_MAX_PORTS 5 /* gr, sound, fs, tekictrl, tekidata */

enum x2go_list_kind {
    X2GO_LIST_USER,   /* caller's non-F, non-shadow sessions */
    X2GO_LIST_SHADOW, /* caller's non-F shadow sessions */
    X2GO_LIST_ROOT,   /* every user's sessions, all states (root only) */
};

struct x2go_list_query {
    enum x2go_list_kind kind;
    const char *server; /* NULL: all servers */
};

struct x2go_reserve_req {
    const char *server;
    const char *owner;       /* user name that goes into the id and uname */
    long long epoch;
    char type;               /* D R S */
    const char *command;
    int depth;
    const char *xdmcp;       /* NULL or the XDMCP host suffix */
    int display_start;       /* first display to try (50) */
    int port_start;          /* first port to try */
    int nports;              /* 3, or 5 with Telekinesis */
};

struct x2go_reservation {
    char sid[X2GO_SID_MAX + 1];
    int display;
    int ports[X2GO_MAX_PORTS];
};

struct x2go_store;

struct x2go_store_ops {
    void (*close)(struct x2go_store *st);
    int (*list)(struct x2go_store *st, const struct x2go_list_query *q,
                struct x2go_session_list *out);
    /* 0 found, 1 no such session of the caller, -1 error */
    int (*get)(struct x2go_store *st, const char *sid, struct x2go_session *out);
    int (*change_status)(struct x2go_store *st, const char *sid, char status);
    /* Display, ports and row in one transaction. */
    int (*reserve)(struct x2go_store *st, const struct x2go_reserve_req *req,
                   struct x2go_reservation *out);
    /* Fill in the agent of a reserved row; status R. */
    int (*create)(struct x2go_store *st, const char *sid, const char *cookie,
                  long pid, const char *client, const int ports[X2GO_MAX_PORTS]);
    /* Keep the ports that are still free on the system, replace the others
     * (in one transaction); status R, new client. ports in/out. */
    int (*resume)(struct x2go_store *st, const char *sid, const char *client,
                  int port_start, int ports[X2GO_MAX_PORTS]);
    /* Delete the row, its mounts and its ports (root only). */
    int (*remove)(struct x2go_store *st, const char *sid);
    /* Undo a failed start: delete the caller's own row and its ports, but
     * only while it has no agent yet or is already F. 1: no such row. */
    int (*abandon)(struct x2go_store *st, const char *sid);
    /* Servers with at least one non-F session, one per line into buf. */
    int (*servers)(struct x2go_store *st, char *buf, size_t len);
};

struct x2go_store {
    const struct x2go_store_ops *ops;
    char caller[X2GO_USER_MAX + 1];
    bool is_root;
};

/* Open the configured backend for the calling user. */
struct x2go_store *x2go_store_open(void);
/* Direct SQLite access to a given file (root, the helper, tests). */
struct x2go_store *x2go_store_sqlite_open(const char *path, const char *caller,
                                          bool is_root);
/* Create the schema in a new file (x2godbadmin). */
int x2go_store_sqlite_create(const char *path);
/* Add the Telekinesis columns if missing; prints what it adds. */
int x2go_store_sqlite_update(const char *path);
struct x2go_store *x2go_store_helper_open(const char *caller);

static inline void x2go_store_close(struct x2go_store *st)
{
    if (st)
        st->ops->close(st);
}

#define X2GO_DB_PATH X2GO_STATEDIR "/x2go_sessions"
#define X2GO_DB_HELPER X2GO_LIBEXECDIR "/x2go-sqlite-helper"

#endif
