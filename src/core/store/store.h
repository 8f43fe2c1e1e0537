/* The session store: backend-neutral operations on the session database.
 * Backends: SQLite opened directly (root, and the store server
 * x2go-stored), the socket client (unprivileged callers on SQLite hosts).
 * Ownership is enforced inside each backend against the caller's kernel
 * identity. */
#ifndef X2GO_STORE_H
#define X2GO_STORE_H

#include <stdbool.h>
#include <sys/types.h>

#include "history.h"
#include "session.h"

#define X2GO_MAX_PORTS 5 /* gr, sound, fs, tekictrl, tekidata */

/* Return values besides 0 (done), 1 (no such session of the caller) and
 * -1 (error, reason set). */
#define X2GO_STORE_NOPORT (-2) /* reserve/resume: no free TCP port */
#define X2GO_STORE_LIMIT (-3)  /* reserve: the caller's session limit */

/* Rows with no agent (a start in progress) older than this are expired
 * by every reservation, whatever their host name. */
#define X2GO_RESERVE_TTL_S 60
/* Rows one user may hold when no session limit is configured. */
#define X2GO_USER_ROWS_MAX 32

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
    /* Enforced in the reserving transaction when > 0 (store server):
     * limit counts the owner's non-F rows except those in dead[] (agents
     * found dead before the transaction); cap counts all non-F rows. */
    long limit;
    long cap;
    const char *const *dead;
    size_t ndead;
};

struct x2go_reservation {
    char sid[X2GO_SID_MAX + 1];
    int display;
    int ports[X2GO_MAX_PORTS];
};

/* Displays and ports the allocator hands out (x2gostartagent). */
#define X2GO_ALLOC_DISPLAY_FIRST 50
#define X2GO_ALLOC_PORT_FIRST 30000

/* Rows in the database that hold a display or a port, whatever host. */
struct x2go_store_usage {
    long displays, ports;
};

/* Session history retention ([history] retention in x2goserver.conf). */
#define X2GO_HISTORY_RETENTION_DEFAULT "90d"

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
    /* Servers with at least one non-F session (of the caller unless
     * root), one per line, no trailing newline; *out is malloc'd. */
    int (*servers)(struct x2go_store *st, char **out);
    /* Shared folders (the mounts table), for the caller's own session
     * (root: any); 1 when sid is no session of the caller. The path must
     * lie in the session owner's /tmp/.x2go-<user>. A row of the same path
     * and client left by an earlier share of that user is replaced. */
    int (*mount_add)(struct x2go_store *st, const char *sid, const char *path,
                     const char *client);
    /* "<client>|<path>\n" per row; *out is malloc'd. */
    int (*mount_list)(struct x2go_store *st, const char *sid, char **out);
    /* One row (path) or all rows of the session (path NULL). */
    int (*mount_del)(struct x2go_store *st, const char *sid, const char *path);
    /* Ended by its user or its command (x2goterminate-session, the end of
     * x2goruncommand): status F, recorded as terminated, not failed. A
     * passing T inside one transaction tells the history trigger. */
    int (*end)(struct x2go_store *st, const char *sid);
    /* Root only, and absent (NULL) in the store server's client: users
     * never read the history. Oldest first. */
    int (*history)(struct x2go_store *st, const struct x2go_hist_query *q,
                   struct x2go_hist_list *out);
    /* Keep events for secs seconds (0: for ever); prunes at once when the
     * setting changed. Writes only then. */
    int (*history_retain)(struct x2go_store *st, long long secs);
    int (*usage)(struct x2go_store *st, struct x2go_store_usage *out);
};

struct x2go_store {
    const struct x2go_store_ops *ops;
    char caller[X2GO_USER_MAX + 1];
    bool is_root;
};

/* Open the configured backend for the calling user. Root's open also
 * brings the history retention in line with x2goserver.conf. */
struct x2go_store *x2go_store_open(void);
/* [history] retention from x2goserver.conf in seconds; -1 (error set). */
int x2go_store_history_conf(long long *secs);
/* st's op, or -1 with a clear error when the backend has none. */
int x2go_store_history(struct x2go_store *st, const struct x2go_hist_query *q,
                       struct x2go_hist_list *out);
int x2go_store_usage(struct x2go_store *st, struct x2go_store_usage *out);
/* Direct SQLite access to a given file (root, the store server, tests).
 * Opening never writes (reads work on a full disk). */
struct x2go_store *x2go_store_sqlite_open(const char *path, const char *caller,
                                          bool is_root);
/* Create the schema in a new file, in WAL mode (x2godbadmin). */
int x2go_store_sqlite_create(const char *path);
/* Switch to WAL and add the Telekinesis columns if missing; the names of
 * the added columns go to added[] (static strings). The count, or -1. */
int x2go_store_sqlite_update(const char *path, const char *added[], size_t max);
/* PostgreSQL (farms): root as x2godbuser, users with their own role. */
struct x2go_store *x2go_store_pg_open(const char *caller, bool is_root);
/* The store server's client (unprivileged callers). */
struct x2go_store *x2go_store_sock_open(const char *caller);

/* A backend's handle of size bytes (at least the base), its common part
 * filled in; aborts when memory runs out. */
void *x2go_store_new(size_t size, const struct x2go_store_ops *ops, const char *caller,
                     bool is_root);

static inline void x2go_store_close(struct x2go_store *st)
{
    if (st)
        st->ops->close(st);
}

#define X2GO_DB_PATH X2GO_STATEDIR "/x2go_sessions"

#endif
