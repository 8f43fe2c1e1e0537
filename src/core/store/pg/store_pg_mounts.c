/* The mounts table (shared folders) in the PostgreSQL backend (spec 3.3).
 * Users work through mounts_view and sessions_view, so the database
 * itself limits them to rows they created (and the guard trigger to their
 * own sessions); root works on the tables. Every statement takes
 * parameters; a row's path must lie in the session owner's own
 * /tmp/.x2go-<user>, as with SQLite. */
#include "mounts.h"
#include "store_pg_int.h"
#include "strbuf.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

#define MOUNTS(st) ((st)->is_root ? "mounts" : "mounts_view")
#define SESSIONS(st) ((st)->is_root ? "sessions" : "sessions_view")

/* The owner of the caller's session sid: 0, 1 no such session, -1. */
static int owner_of(struct x2go_store *st, const char *sid, char *owner, size_t len)
{
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT uname FROM %s WHERE session_id=$1", SESSIONS(st));
    const char *p[] = {sid};
    PGresult *r = x2go_pg_run(pgc(st), "mounts", sql, 1, p);
    if (!r)
        return -1;
    int found = x2go_pq()->PQntuples(r) > 0;
    if (found)
        snprintf(owner, len, "%s", x2go_pq()->PQgetvalue(r, 0, 0));
    x2go_pq()->PQclear(r);
    return found ? 0 : 1;
}

/* The statement fmt names the mounts relation for the caller in, once sid
 * is known to be a session of the caller: 0, 1 it is not, -1. */
static int statement(struct x2go_store *st, const char *sid, char *sql, size_t len,
                     const char *fmt)
{
    char owner[X2GO_USER_MAX + 1];
    int rc = owner_of(st, sid, owner, sizeof owner);
    if (rc == 0)
        snprintf(sql, len, fmt, MOUNTS(st));
    return rc;
}

static int add_in_tx(struct x2go_store *st, const char *sid, const char *path,
                     const char *client, const char *owner)
{
    char sql[256];
    /* A row left by a share that is no longer mounted (the command checked
     * the mount table) must not block mounting the same path again. */
    snprintf(sql, sizeof sql, "DELETE FROM %s WHERE path=$1 AND client=$2::inet AND"
             " session_id IN (SELECT session_id FROM %s WHERE uname=$3)", MOUNTS(st),
             SESSIONS(st));
    const char *stale[] = {path, client, owner};
    if (x2go_pg_cmd(pgc(st), "drop stale mount", sql, 3, stale) < 0)
        return -1;
    const char *row[] = {sid, path, client};
    return x2go_pg_cmd(pgc(st), "insert mount", "INSERT INTO mounts(session_id, path, client)"
                       " VALUES($1, $2, $3::inet)", 3, row) < 0 ? -1 : 0;
}

int x2go_pg_mount_add(struct x2go_store *st, const char *sid, const char *path,
                      const char *client)
{
    char owner[X2GO_USER_MAX + 1];
    int rc = owner_of(st, sid, owner, sizeof owner);
    if (rc == 0 && (x2go_mount_row_ok(owner, path) < 0 || x2go_pg_begin(pgc(st)) < 0))
        rc = -1;
    return rc ? rc : x2go_pg_finish(pgc(st), add_in_tx(st, sid, path, client, owner));
}

int x2go_pg_mount_list(struct x2go_store *st, const char *sid, char **out)
{
    char sql[128];
    int rc = statement(st, sid, sql, sizeof sql, "SELECT host(client), path FROM %s"
                       " WHERE session_id=$1 ORDER BY path");
    if (rc != 0)
        return rc;
    const char *p[] = {sid};
    PGresult *r = x2go_pg_run(pgc(st), "list mounts", sql, 1, p);
    if (!r)
        return -1;
    struct x2go_buf b = {0};
    for (int i = 0, n = x2go_pq()->PQntuples(r); i < n; i++)
        x2go_buf_printf(&b, "%s|%s\n", x2go_pq()->PQgetvalue(r, i, 0),
                        x2go_pq()->PQgetvalue(r, i, 1));
    x2go_pq()->PQclear(r);
    *out = x2go_buf_take(&b);
    return 0;
}

int x2go_pg_mount_del(struct x2go_store *st, const char *sid, const char *path)
{
    char sql[128];
    int rc = statement(st, sid, sql, sizeof sql, "DELETE FROM %s WHERE session_id=$1 AND"
                       " ($2::text IS NULL OR path=$2)");
    if (rc != 0)
        return rc;
    const char *p[] = {sid, path};
    return x2go_pg_cmd(pgc(st), "delete mount", sql, 2, p) < 0 ? -1 : 0;
}
