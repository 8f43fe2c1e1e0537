/* Internals shared by the SQLite backend's files (not a public API). */
#ifndef X2GO_STORE_SQLITE_INT_H
#define X2GO_STORE_SQLITE_INT_H

#include "store.h"

#include <sqlite3.h>

/* A few seconds at most: a busy database is an error the caller sees,
 * never an endless wait. */
#define X2GO_BUSY_TIMEOUT_MS 3000

struct sqlite_store {
    struct x2go_store base; /* first: x2go_store_new allocates the whole */
    sqlite3 *db;
};

#define NOW "datetime('now','localtime')"

static inline sqlite3 *sq(struct x2go_store *st) { return ((struct sqlite_store *)st)->db; }

int x2go_sq_fail(sqlite3 *db, const char *what);
int x2go_sq_exec(sqlite3 *db, const char *sql);
int x2go_sq_begin(sqlite3 *db);
int x2go_sq_finish(sqlite3 *db, int rc);
sqlite3_stmt *x2go_sq_prep(sqlite3 *db, const char *sql);
sqlite3 *x2go_sq_open(const char *path, int flags);
int x2go_sq_get(struct x2go_store *st, const char *sid, struct x2go_session *out);
int x2go_sq_owned_update(struct x2go_store *st, sqlite3_stmt *s, const char *sid);

/* Ownership is part of every WHERE clause: uname must be the caller, or
 * the caller is root. Identity comes from the uid, never from the id. */
#define OWNED "session_id=?1 AND (uname=?2 OR ?3)"
/* Also a row the caller made for the requester of the caller's shared
 * desktop (only the desktop's user can make a row naming it after XSHAD):
 * for completing or undoing that start. */
#define OWNED_OR_SHARED                                                                      \
    "session_id=?1 AND (uname=?2 OR ?3 OR instr(session_id, 'XSHAD' || ?2 || 'XSHAD') = "  \
    "instr(session_id, '_stS') + 5)"
void x2go_sq_bind_owner(struct x2go_store *st, sqlite3_stmt *s, const char *sid);

/* Space held back for suspends and terminations (store_sqlite_ballast.c):
 * lay it down when missing; release it after a write failed with a full
 * file system (true when there was one to release: try the write again). */
void x2go_sq_ballast_lay(sqlite3 *db);
bool x2go_sq_ballast_release(sqlite3 *db);

int x2go_sq_reserve(struct x2go_store *st, const struct x2go_reserve_req *r,
                    struct x2go_reservation *out);
int x2go_sq_resume(struct x2go_store *st, const char *sid, const char *client,
                   int port_start, int ports[X2GO_MAX_PORTS]);

int x2go_sq_mount_add(struct x2go_store *st, const char *sid, const char *path,
                      const char *client);
int x2go_sq_mount_list(struct x2go_store *st, const char *sid, char **out);
int x2go_sq_mount_del(struct x2go_store *st, const char *sid, const char *path);

extern const char x2go_sq_history_schema[];
int x2go_sq_history_retain(struct x2go_store *st, long long secs);
int x2go_sq_history(struct x2go_store *st, const struct x2go_hist_query *q,
                    struct x2go_hist_list *out);
int x2go_sq_usage(struct x2go_store *st, struct x2go_store_usage *out);
int x2go_sq_end(struct x2go_store *st, const char *sid);

#endif
