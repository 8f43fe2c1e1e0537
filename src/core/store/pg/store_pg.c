/* PostgreSQL backend (farms): the reference schema (spec 3.3) shared with
 * reference hosts. Users connect with their own role x2gouser_<login> and
 * work through the views, so the database itself limits them to the rows
 * they created; root connects as x2godbuser and works on the tables.
 * Every statement takes parameters; nothing is interpolated. */
#include "store_pg_int.h"
#include "strbuf.h"
#include "util.h"
#include "x2go-config.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The 16-column projection of spec 3.4; the age is whole seconds (the
 * reference's to_char(...,'SSSS') wraps after a day). */
#define COLUMNS                                                               \
    "agent_pid, session_id, display, server, status,"                         \
    " to_char(init_time,'YYYY-MM-DD\"T\"HH24:MI:SS'), cookie, client, gr_port," \
    " sound_port, to_char(last_time,'YYYY-MM-DD\"T\"HH24:MI:SS'), uname,"     \
    " floor(extract(epoch from localtimestamp - init_time))::bigint, fs_port," \
    " tekictrl_port, tekidata_port"

/* Users see and change their rows through the views; root the tables. */
#define SESSIONS(st) ((st)->is_root ? "sessions" : "sessions_view")

static void val_text(const PGresult *r, int row, int col, char *dst, size_t len)
{
    snprintf(dst, len, "%s", x2go_pq()->PQgetvalue(r, row, col));
    char *o = dst; /* char(33) is blank-padded: strip as the reference does */
    for (char *p = dst; *p; p++)
        if (*p != ' ')
            *o++ = *p;
    *o = '\0';
}

static long val_int(const PGresult *r, int row, int col)
{
    if (x2go_pq()->PQgetisnull(r, row, col))
        return X2GO_NULL_INT;
    return atol(x2go_pq()->PQgetvalue(r, row, col));
}

static void row_to_session(const PGresult *r, int i, struct x2go_session *o)
{
    o->agent_pid = val_int(r, i, 0);
    val_text(r, i, 1, o->sid, sizeof o->sid);
    o->display = (int)val_int(r, i, 2);
    val_text(r, i, 3, o->server, sizeof o->server);
    char st[4];
    val_text(r, i, 4, st, sizeof st);
    o->status = st[0] ? st[0] : 'R';
    val_text(r, i, 5, o->init_time, sizeof o->init_time);
    val_text(r, i, 6, o->cookie, sizeof o->cookie);
    val_text(r, i, 7, o->client, sizeof o->client);
    o->gr_port = (int)val_int(r, i, 8);
    o->sound_port = (int)val_int(r, i, 9);
    val_text(r, i, 10, o->last_time, sizeof o->last_time);
    val_text(r, i, 11, o->uname, sizeof o->uname);
    o->age = val_int(r, i, 12);
    o->fs_port = (int)val_int(r, i, 13);
    o->tekictrl_port = (int)val_int(r, i, 14);
    o->tekidata_port = (int)val_int(r, i, 15);
}

static int pg_list(struct x2go_store *st, const struct x2go_list_query *q,
                   struct x2go_session_list *out)
{
    static const char *const where[] = {
        [X2GO_LIST_USER] = "status!='F' AND session_id NOT LIKE '%XSHAD%'",
        [X2GO_LIST_SHADOW] = "status!='F' AND session_id LIKE '%XSHAD%'",
        [X2GO_LIST_ROOT] = "true",
    };
    if (q->kind == X2GO_LIST_ROOT && !st->is_root) {
        x2go_seterr("only root may list every user's sessions");
        return -1;
    }
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE %s AND ($1::text IS NULL OR server=$1)"
             " ORDER BY status DESC", COLUMNS, SESSIONS(st), where[q->kind]);
    const char *p[] = {q->server};
    PGresult *r = x2go_pg_run(pgc(st), "list", sql, 1, p);
    if (!r)
        return -1;
    for (int i = 0, n = x2go_pq()->PQntuples(r); i < n; i++)
        row_to_session(r, i, x2go_list_add(out));
    x2go_pq()->PQclear(r);
    return 0;
}

int x2go_pg_get(struct x2go_store *st, const char *sid, struct x2go_session *out)
{
    char sql[768];
    snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE session_id=$1", COLUMNS, SESSIONS(st));
    const char *p[] = {sid};
    PGresult *r = x2go_pg_run(pgc(st), "get", sql, 1, p);
    if (!r)
        return -1;
    int found = x2go_pq()->PQntuples(r) > 0;
    if (found)
        row_to_session(r, 0, out);
    x2go_pq()->PQclear(r);
    return found ? 0 : 1;
}

static int pg_change_status(struct x2go_store *st, const char *sid, char status)
{
    char sql[160], v[2] = {status, 0};
    snprintf(sql, sizeof sql, "UPDATE %s SET status=$2, last_time=now() WHERE session_id=$1",
             SESSIONS(st));
    const char *p[] = {sid, v};
    long n = x2go_pg_cmd(pgc(st), "change status", sql, 2, p);
    return n < 0 ? -1 : n ? 0 : 1;
}

static const char *port_text(int port, char *buf, size_t len)
{
    if (port == X2GO_NULL_INT)
        return NULL;
    snprintf(buf, len, "%d", port);
    return buf;
}

static int pg_create(struct x2go_store *st, const char *sid, const char *cookie,
                     long pid, const char *client, const int ports[X2GO_MAX_PORTS])
{
    char sql[512], pids[24], pt[X2GO_MAX_PORTS][12];
    snprintf(sql, sizeof sql,
             "UPDATE %s SET status='R', last_time=now(), cookie=$2, agent_pid=$3,"
             " client=$4, gr_port=$5, sound_port=$6, fs_port=$7, tekictrl_port=$8,"
             " tekidata_port=$9 WHERE session_id=$1 AND agent_pid IS NULL", SESSIONS(st));
    snprintf(pids, sizeof pids, "%ld", pid);
    const char *p[9] = {sid, cookie, pids, client};
    for (int i = 0; i < X2GO_MAX_PORTS; i++)
        p[4 + i] = port_text(ports[i], pt[i], sizeof pt[i]);
    long n = x2go_pg_cmd(pgc(st), "create session", sql, 9, p);
    return n < 0 ? -1 : n ? 0 : 1;
}

/* Mounts and ports go explicitly: the schema's rules turn the foreign
 * key's cascade into nothing, which would leave the ports taken. */
static int delete_row(struct x2go_store *st, const char *sid, const char *cond)
{
    PGconn *pg = pgc(st);
    char sql[256];
    const char *p[] = {sid};
    if (x2go_pg_begin(pg) < 0)
        return -1;
    snprintf(sql, sizeof sql, "DELETE FROM %s WHERE session_id=$1",
             st->is_root ? "mounts" : "mounts_view");
    if (x2go_pg_cmd(pg, "delete mounts", sql, 1, p) < 0 ||
        x2go_pg_cmd(pg, "delete ports", "DELETE FROM used_ports WHERE session_id=$1", 1, p) < 0)
        return x2go_pg_finish(pg, -1);
    snprintf(sql, sizeof sql, "DELETE FROM %s WHERE session_id=$1%s", SESSIONS(st), cond);
    long n = x2go_pg_cmd(pg, "delete session", sql, 1, p);
    if (n < 0)
        return x2go_pg_finish(pg, -1);
    if (n == 0) { /* not there, or not ours: undo the port deletion too */
        x2go_pg_cmd(pg, "rollback", "ROLLBACK", 0, NULL);
        return 1;
    }
    return x2go_pg_finish(pg, 0);
}

static int pg_remove(struct x2go_store *st, const char *sid)
{
    if (!st->is_root) {
        x2go_seterr("only root may delete sessions");
        return -1;
    }
    int rc = delete_row(st, sid, "");
    return rc == 1 ? 0 : rc;
}

static int pg_abandon(struct x2go_store *st, const char *sid)
{
    return delete_row(st, sid, " AND (agent_pid IS NULL OR status='F')");
}

/* "<server> <count>" per server with non-F sessions, all users: what
 * the reference prints on PostgreSQL and what brokers read. */
static int pg_servers(struct x2go_store *st, char **out)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT server, count(*) FROM %s WHERE status!='F'"
             " GROUP BY server ORDER BY server", st->is_root ? "sessions" : "servers_view");
    PGresult *r = x2go_pg_run(pgc(st), "servers", sql, 0, NULL);
    if (!r)
        return -1;
    struct x2go_buf b = {0};
    for (int i = 0, n = x2go_pq()->PQntuples(r); i < n; i++)
        x2go_buf_printf(&b, "%s%s %s", b.len ? "\n" : "", x2go_pq()->PQgetvalue(r, i, 0),
                        x2go_pq()->PQgetvalue(r, i, 1));
    x2go_pq()->PQclear(r);
    *out = x2go_buf_take(&b);
    return 0;
}

static void pg_close(struct x2go_store *st)
{
    x2go_pq()->PQfinish(pgc(st));
    free(st);
}

static const struct x2go_store_ops pg_ops = {
    .close = pg_close, .list = pg_list, .get = x2go_pg_get,
    .change_status = pg_change_status, .reserve = x2go_pg_reserve, .create = pg_create,
    .resume = x2go_pg_resume, .remove = pg_remove, .abandon = pg_abandon,
    .servers = pg_servers, .mount_add = x2go_pg_mount_add, .mount_list = x2go_pg_mount_list,
    .mount_del = x2go_pg_mount_del, .end = x2go_pg_end, .history = x2go_pg_history,
    .history_retain = x2go_pg_history_retain, .usage = x2go_pg_usage,
};

/* The password of the caller's role: root's is written by x2godbadmin
 * --createdb, a user's by --adduser into ~/.x2go. */
static int role_password(const char *caller, bool is_root, char *role, size_t rlen,
                         char *pw, size_t pwlen)
{
    if (is_root) {
        snprintf(role, rlen, "%s", X2GO_PG_ADMIN);
        return x2go_pg_read_password(X2GO_PG_ADMIN_PASSFILE, 0, pw, pwlen);
    }
    struct passwd *p = getpwuid(getuid());
    char path[4200];
    if (!p || x2go_fmt(path, sizeof path, "%s/.x2go/pgsqlpass", p->pw_dir) < 0 ||
        x2go_fmt(role, rlen, X2GO_PG_ROLE_PREFIX "%s", caller) < 0) {
        if (!p)
            x2go_seterr("cannot find the home directory of %s", caller);
        return -1;
    }
    return x2go_pg_read_password(path, getuid(), pw, pwlen);
}

struct x2go_store *x2go_store_pg_open(const char *caller, bool is_root)
{
    struct x2go_pg_conf c;
    char role[128], pw[256];
    if (x2go_pg_conf(&c) < 0 || role_password(caller, is_root, role, sizeof role, pw,
                                              sizeof pw) < 0)
        return NULL;
    PGconn *pg = x2go_pg_connect(&c, X2GO_PG_DB, role, pw);
    explicit_bzero(pw, sizeof pw);
    if (!pg)
        return NULL;
    /* No probe query (a round trip on every command): a database of
     * another schema fails at its first statement with one clear line. */
    char where[320];
    snprintf(where, sizeof where, "the PostgreSQL database %s on %s:%s", X2GO_PG_DB, c.host,
             c.port);
    x2go_pg_expect_schema(where);
    struct pg_store *st = x2go_store_new(sizeof *st, &pg_ops, caller, is_root);
    st->pg = pg;
    return &st->base;
}
