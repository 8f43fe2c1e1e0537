/* SQLite backend: the reference schema (spec 3.2) in WAL mode, a
 * bounded busy timeout, and every write that belongs together in one
 * IMMEDIATE transaction. Opening never writes. */
#include "store_sqlite_int.h"
#include "strbuf.h"
#include "util.h"
#include "x2go-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The 16-column projection of spec 3.4, formatted as the reference does. */
#define COLUMNS                                                              \
    "agent_pid, session_id, display, server, status,"                        \
    " strftime('%Y-%m-%dT%H:%M:%S',init_time), cookie, client, gr_port,"     \
    " sound_port, strftime('%Y-%m-%dT%H:%M:%S',last_time), uname,"           \
    " strftime('%s','now','localtime') - strftime('%s',init_time), fs_port," \
    " tekictrl_port, tekidata_port"

static void col_text(sqlite3_stmt *s, int i, char *dst, size_t len)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    snprintf(dst, len, "%s", t ? (const char *)t : "");
    /* char(33) padding and stray blanks: the reference strips spaces. */
    char *o = dst;
    for (char *p = dst; *p; p++)
        if (*p != ' ')
            *o++ = *p;
    *o = '\0';
}

static long col_int(sqlite3_stmt *s, int i)
{
    if (sqlite3_column_type(s, i) == SQLITE_NULL)
        return X2GO_NULL_INT;
    return (long)sqlite3_column_int64(s, i);
}

static void row_to_session(sqlite3_stmt *s, struct x2go_session *o)
{
    o->agent_pid = col_int(s, 0);
    col_text(s, 1, o->sid, sizeof o->sid);
    o->display = (int)col_int(s, 2);
    col_text(s, 3, o->server, sizeof o->server);
    char st[4];
    col_text(s, 4, st, sizeof st);
    o->status = st[0] ? st[0] : 'R';
    col_text(s, 5, o->init_time, sizeof o->init_time);
    col_text(s, 6, o->cookie, sizeof o->cookie);
    col_text(s, 7, o->client, sizeof o->client);
    o->gr_port = (int)col_int(s, 8);
    o->sound_port = (int)col_int(s, 9);
    col_text(s, 10, o->last_time, sizeof o->last_time);
    col_text(s, 11, o->uname, sizeof o->uname);
    o->age = col_int(s, 12);
    o->fs_port = (int)col_int(s, 13);
    o->tekictrl_port = (int)col_int(s, 14);
    o->tekidata_port = (int)col_int(s, 15);
}

static int sq_list(struct x2go_store *st, const struct x2go_list_query *q,
                   struct x2go_session_list *out)
{
    const char *where;
    switch (q->kind) {
    case X2GO_LIST_USER:
        where = "WHERE status!='F' AND uname=?1 AND session_id NOT LIKE '%XSHAD%'"
                " AND (?2 IS NULL OR server=?2)";
        break;
    case X2GO_LIST_SHADOW:
        where = "WHERE status!='F' AND uname=?1 AND session_id LIKE '%XSHAD%'"
                " AND (?2 IS NULL OR server=?2)";
        break;
    default:
        if (!st->is_root) {
            x2go_seterr("only root may list every user's sessions");
            return -1;
        }
        where = "WHERE ?1 IS NOT NULL AND (?2 IS NULL OR server=?2)";
    }
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT %s FROM sessions %s ORDER BY status DESC",
             COLUMNS, where);
    sqlite3_stmt *s = x2go_sq_prep(sq(st), sql);
    if (!s)
        return -1;
    sqlite3_bind_text(s, 1, st->caller, -1, SQLITE_STATIC);
    if (q->server)
        sqlite3_bind_text(s, 2, q->server, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        row_to_session(s, x2go_list_add(out));
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : x2go_sq_fail(sq(st), "list");
}

void x2go_sq_bind_owner(struct x2go_store *st, sqlite3_stmt *s, const char *sid)
{
    sqlite3_bind_text(s, 1, sid, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, st->caller, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, st->is_root);
}

int x2go_sq_get(struct x2go_store *st, const char *sid, struct x2go_session *out)
{
    sqlite3_stmt *s = x2go_sq_prep(sq(st), "SELECT " COLUMNS " FROM sessions WHERE " OWNED);
    if (!s)
        return -1;
    x2go_sq_bind_owner(st, s, sid);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        row_to_session(s, out);
    sqlite3_finalize(s);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc == SQLITE_DONE)
        return 1;
    return x2go_sq_fail(sq(st), "get");
}

/* Run one owned UPDATE; 1 when no row of the caller matched. */
int x2go_sq_owned_update(struct x2go_store *st, sqlite3_stmt *s, const char *sid)
{
    if (!s)
        return -1;
    x2go_sq_bind_owner(st, s, sid);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return x2go_sq_fail(sq(st), "update");
    return sqlite3_changes(sq(st)) ? 0 : 1;
}

static int change_status_once(struct x2go_store *st, const char *sid, char status)
{
    sqlite3_stmt *s = x2go_sq_prep(sq(st), "UPDATE sessions SET last_time=" NOW
                                   ", status=?4 WHERE " OWNED);
    if (s) {
        char v[2] = {status, 0};
        sqlite3_bind_text(s, 4, v, 1, SQLITE_TRANSIENT);
    }
    return x2go_sq_owned_update(st, s, sid);
}

static int sq_change_status(struct x2go_store *st, const char *sid, char status)
{
    int rc = change_status_once(st, sid, status);
    if (rc < 0 && x2go_sq_ballast_release(sq(st)))
        rc = change_status_once(st, sid, status);
    return rc;
}

static void bind_port(sqlite3_stmt *s, int idx, int port)
{
    if (port == X2GO_NULL_INT)
        sqlite3_bind_null(s, idx);
    else
        sqlite3_bind_int(s, idx, port);
}

static int sq_create(struct x2go_store *st, const char *sid, const char *cookie,
                     long pid, const char *client, const int ports[X2GO_MAX_PORTS])
{
    sqlite3_stmt *s = x2go_sq_prep(sq(st),
        "UPDATE sessions SET status='R', last_time=" NOW ", cookie=?4, agent_pid=?5,"
        " client=?6, gr_port=?7, sound_port=?8, fs_port=?9, tekictrl_port=?10,"
        " tekidata_port=?11 WHERE " OWNED_OR_SHARED " AND agent_pid IS NULL");
    if (s) {
        sqlite3_bind_text(s, 4, cookie, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 5, pid);
        sqlite3_bind_text(s, 6, client, -1, SQLITE_STATIC);
        for (int i = 0; i < X2GO_MAX_PORTS; i++)
            bind_port(s, 7 + i, ports[i]);
    }
    return x2go_sq_owned_update(st, s, sid);
}

static int remove_once(struct x2go_store *st, const char *sid)
{
    if (!st->is_root) {
        x2go_seterr("only root may delete sessions");
        return -1;
    }
    sqlite3 *db = sq(st);
    if (x2go_sq_begin(db) < 0)
        return -1;
    int rc = -1;
    static const char *q[] = {"DELETE FROM mounts WHERE session_id=?1",
                              "DELETE FROM sessions WHERE session_id=?1"};
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *s = x2go_sq_prep(db, q[i]);
        if (!s)
            return x2go_sq_finish(db, -1);
        sqlite3_bind_text(s, 1, sid, -1, SQLITE_STATIC);
        rc = sqlite3_step(s) == SQLITE_DONE ? 0 : x2go_sq_fail(db, "delete session");
        sqlite3_finalize(s);
        if (rc < 0)
            return x2go_sq_finish(db, -1);
    }
    return x2go_sq_finish(db, 0);
}

static int sq_remove(struct x2go_store *st, const char *sid)
{
    int rc = remove_once(st, sid);
    if (rc < 0 && x2go_sq_ballast_release(sq(st)))
        rc = remove_once(st, sid);
    return rc;
}

static int abandon_once(struct x2go_store *st, const char *sid)
{
    sqlite3_stmt *s = x2go_sq_prep(sq(st), "DELETE FROM sessions WHERE " OWNED_OR_SHARED
                                   " AND (agent_pid IS NULL OR status='F')");
    return x2go_sq_owned_update(st, s, sid);
}

static int sq_abandon(struct x2go_store *st, const char *sid)
{
    int rc = abandon_once(st, sid);
    if (rc < 0 && x2go_sq_ballast_release(sq(st)))
        rc = abandon_once(st, sid);
    return rc;
}

static int sq_servers(struct x2go_store *st, char **out)
{
    sqlite3_stmt *s = x2go_sq_prep(sq(st), "SELECT server FROM sessions WHERE status!='F'"
                                           " AND (uname=?1 OR ?2) GROUP BY server");
    if (!s)
        return -1;
    sqlite3_bind_text(s, 1, st->caller, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, st->is_root);
    struct x2go_buf b = {0};
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(s, 0);
        x2go_buf_printf(&b, "%s%s", b.len ? "\n" : "", t ? (const char *)t : "");
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        free(b.p);
        return x2go_sq_fail(sq(st), "servers");
    }
    *out = x2go_buf_take(&b);
    return 0;
}

static void sq_close(struct x2go_store *st)
{
    sqlite3_close(sq(st));
    free(st);
}

static const struct x2go_store_ops sqlite_ops = {
    .close = sq_close, .list = sq_list, .get = x2go_sq_get,
    .change_status = sq_change_status, .reserve = x2go_sq_reserve, .create = sq_create,
    .resume = x2go_sq_resume, .remove = sq_remove, .abandon = sq_abandon,
    .servers = sq_servers, .mount_add = x2go_sq_mount_add,
    .mount_list = x2go_sq_mount_list, .mount_del = x2go_sq_mount_del, .end = x2go_sq_end,
    .history = x2go_sq_history, .history_retain = x2go_sq_history_retain,
    .usage = x2go_sq_usage,
};

struct x2go_store *x2go_store_sqlite_open(const char *path, const char *caller, bool is_root)
{
    sqlite3 *db = x2go_sq_open(path, SQLITE_OPEN_READWRITE);
    if (!db)
        return NULL;
    /* Probe the schema now so a wrong file fails with one clear line. A
     * read only: the journal mode was set when the file was made. */
    if (sqlite3_exec(db, "SELECT 1 FROM sessions LIMIT 0", NULL, NULL, NULL) != SQLITE_OK) {
        /* Advice to make a new database only when this file can never
         * work (not one, or without our tables), and never to delete it:
         * a busy, full or failing disk is no reason to lose sessions. */
        int code = sqlite3_errcode(db);
        bool foreign = code == SQLITE_NOTADB ||
                       (code == SQLITE_ERROR && strstr(sqlite3_errmsg(db), "no such table"));
        char why[512];
        x2go_sq_fail(db, "probe");
        snprintf(why, sizeof why, "%s", x2go_err());
        if (foreign)
            x2go_seterr("%s is not an X2Go session database (%s); move it aside, then "
                        "x2godbadmin --createdb makes a new one", path, why);
        else
            x2go_seterr("the session database %s cannot be read (%s)", path, why);
        sqlite3_close(db);
        return NULL;
    }
    struct sqlite_store *st = x2go_store_new(sizeof *st, &sqlite_ops, caller, is_root);
    st->db = db;
    return &st->base;
}
