/* The mounts table (shared folders) in the SQLite backend. Every
 * statement is bound, never built from text; a row can only be added,
 * listed or deleted for a session of the caller (root: any), and its path
 * must lie in the session owner's own /tmp/.x2go-<user>. */
#include "mounts.h"
#include "store_sqlite_int.h"
#include "strbuf.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The owner of the caller's session sid: 0, 1 no such session, -1. */
static int owner_of(struct x2go_store *st, const char *sid, char *owner, size_t len)
{
    sqlite3_stmt *s = x2go_sq_prep(sq(st), "SELECT uname FROM sessions WHERE " OWNED);
    if (!s)
        return -1;
    x2go_sq_bind_owner(st, s, sid);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const unsigned char *u = sqlite3_column_text(s, 0);
        snprintf(owner, len, "%s", u ? (const char *)u : "");
    }
    sqlite3_finalize(s);
    if (rc == SQLITE_ROW)
        return 0;
    return rc == SQLITE_DONE ? 1 : x2go_sq_fail(sq(st), "mounts");
}

static int step_done(struct x2go_store *st, sqlite3_stmt *s, const char *what)
{
    if (!s)
        return -1;
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : x2go_sq_fail(sq(st), what);
}

static int add_locked(struct x2go_store *st, const char *sid, const char *path,
                      const char *client)
{
    char owner[X2GO_USER_MAX + 1];
    int rc = owner_of(st, sid, owner, sizeof owner);
    if (rc != 0)
        return rc;
    if (x2go_mount_row_ok(owner, path) < 0)
        return -1;
    /* A row left by a share that is no longer mounted (the command checked
     * the mount table) must not block mounting the same path again. */
    sqlite3_stmt *s = x2go_sq_prep(sq(st),
        "DELETE FROM mounts WHERE path=?1 AND client=?2 AND session_id IN"
        " (SELECT session_id FROM sessions WHERE uname=?3)");
    if (s) {
        sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, client, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, owner, -1, SQLITE_STATIC);
    }
    if (step_done(st, s, "drop stale mount") < 0)
        return -1;
    s = x2go_sq_prep(sq(st), "INSERT INTO mounts(session_id,path,client) VALUES(?1,?2,?3)");
    if (s) {
        sqlite3_bind_text(s, 1, sid, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, path, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, client, -1, SQLITE_STATIC);
    }
    return step_done(st, s, "insert mount");
}

int x2go_sq_mount_add(struct x2go_store *st, const char *sid, const char *path,
                      const char *client)
{
    if (x2go_sq_begin(sq(st)) < 0)
        return -1;
    int rc = add_locked(st, sid, path, client);
    return rc == 0 ? x2go_sq_finish(sq(st), 0) : (x2go_sq_finish(sq(st), -1), rc);
}

int x2go_sq_mount_list(struct x2go_store *st, const char *sid, char **out)
{
    char owner[X2GO_USER_MAX + 1];
    int rc = owner_of(st, sid, owner, sizeof owner);
    if (rc != 0)
        return rc;
    sqlite3_stmt *s = x2go_sq_prep(sq(st), "SELECT client, path FROM mounts"
                                           " WHERE session_id=?1 ORDER BY rowid");
    if (!s)
        return -1;
    sqlite3_bind_text(s, 1, sid, -1, SQLITE_STATIC);
    struct x2go_buf b = {0};
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const unsigned char *c = sqlite3_column_text(s, 0), *p = sqlite3_column_text(s, 1);
        x2go_buf_printf(&b, "%s|%s\n", c ? (const char *)c : "", p ? (const char *)p : "");
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        free(b.p);
        return x2go_sq_fail(sq(st), "list mounts");
    }
    *out = x2go_buf_take(&b);
    return 0;
}

int x2go_sq_mount_del(struct x2go_store *st, const char *sid, const char *path)
{
    char owner[X2GO_USER_MAX + 1];
    int rc = owner_of(st, sid, owner, sizeof owner);
    if (rc != 0)
        return rc;
    sqlite3_stmt *s = x2go_sq_prep(sq(st),
        "DELETE FROM mounts WHERE session_id=?1 AND (?2 IS NULL OR path=?2)");
    if (s) {
        sqlite3_bind_text(s, 1, sid, -1, SQLITE_STATIC);
        if (path)
            sqlite3_bind_text(s, 2, path, -1, SQLITE_STATIC);
    }
    return step_done(st, s, "delete mount");
}
