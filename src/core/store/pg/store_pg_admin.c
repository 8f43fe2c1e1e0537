/* PostgreSQL administration (x2godbadmin): the reference schema with its
 * views, rules and grants, unchanged so reference hosts can share the
 * database, plus guard triggers that close what the rules leave open;
 * and the per-user roles. Role names come from validated login names and
 * are quoted by libpq; passwords reach the server already hashed. */
#include "store_pg_admin.h"
#include "store_pg_int.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define NOT_ADMIN " AND current_user <> '" X2GO_PG_ADMIN "'"
#define PRIV_RULE(name, ev, tbl, cond) \
    "CREATE RULE " name " AS ON " ev " TO " tbl " WHERE (" cond ")" NOT_ADMIN \
    " DO INSTEAD NOTHING"

/* Rows only their creator may insert, change or delete. */
#define CREATOR_RULES(kind, tbl)                                                       \
    PRIV_RULE("insert_" kind "_priv", "INSERT", tbl, "NEW.creator_id <> current_user"), \
    PRIV_RULE("update_" kind "_priv", "UPDATE", tbl,                                   \
              "NEW.creator_id <> current_user OR OLD.creator_id <> current_user"),     \
    PRIV_RULE("delete_" kind "_priv", "DELETE", tbl, "OLD.creator_id <> current_user")

/* Spec 3.3. pg_dump of the result equals that of the reference's. */
static const char *const schema[] = {
    "CREATE TABLE sessions(session_id text PRIMARY KEY, display integer NOT NULL,"
    " uname text NOT NULL, server text NOT NULL, client inet,"
    " status char(1) NOT NULL DEFAULT 'R', init_time timestamp NOT NULL DEFAULT now(),"
    " last_time timestamp NOT NULL DEFAULT now(), cookie char(33), agent_pid int,"
    " gr_port int, sound_port int, fs_port int, tekictrl_port int, tekidata_port int,"
    " creator_id text NOT NULL DEFAULT current_user, UNIQUE(display))",
    "CREATE VIEW sessions_view AS SELECT agent_pid, session_id, display, server, status,"
    " init_time, cookie, client, gr_port, sound_port, last_time, uname, fs_port,"
    " tekictrl_port, tekidata_port FROM sessions WHERE creator_id = current_user",
    "CREATE VIEW servers_view AS SELECT server, display, status FROM sessions",
    PRIV_RULE("update_sess_priv", "UPDATE", "sessions",
              "OLD.creator_id <> current_user OR OLD.creator_id <> NEW.creator_id"),
    PRIV_RULE("insert_sess_priv", "INSERT", "sessions", "NEW.creator_id <> current_user"),
    PRIV_RULE("delete_sess_priv", "DELETE", "sessions", "OLD.creator_id <> current_user"),
    X2GO_PG_SESS_VIEW_RULE,
    "CREATE TABLE messages(mess_id varchar(20) PRIMARY KEY, message text)",
    "CREATE TABLE user_messages(mess_id text NOT NULL, uname text NOT NULL)",
    "CREATE TABLE used_ports(server text NOT NULL, session_id text REFERENCES sessions"
    " ON DELETE CASCADE, creator_id text NOT NULL DEFAULT current_user,"
    " port integer PRIMARY KEY)",
    "CREATE VIEW ports_view AS SELECT server, port FROM used_ports",
    CREATOR_RULES("port", "used_ports"),
    "CREATE TABLE mounts(session_id text REFERENCES sessions ON DELETE RESTRICT,"
    " path text NOT NULL, client inet NOT NULL,"
    " creator_id text NOT NULL DEFAULT current_user, PRIMARY KEY(path, client))",
    "CREATE VIEW mounts_view AS SELECT client, path, session_id FROM mounts"
    " WHERE creator_id = current_user",
    "CREATE RULE delete_mounts_view AS ON DELETE TO mounts_view DO INSTEAD DELETE FROM mounts"
    " WHERE session_id = OLD.session_id AND creator_id = current_user AND path = OLD.path",
    CREATOR_RULES("mount", "mounts"),
    "GRANT ALL PRIVILEGES ON sessions, messages, user_messages, used_ports, mounts TO "
    X2GO_PG_ADMIN,
};

/* What the rules leave open to a user with psql: rows naming another
 * user (uname), and ports or mounts hung on another user's session (a
 * mount blocks the deletion of that session for good). Triggers refuse
 * both for x2gouser_* roles; the reference never does either, so its
 * hosts keep working on a guarded database. */
static const char *const guard[] = {
    "CREATE OR REPLACE FUNCTION x2go_owns_session(sid text) RETURNS boolean"
    " LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS"
    " $$SELECT EXISTS(SELECT 1 FROM sessions WHERE session_id = sid"
    " AND creator_id = session_user)$$",
    "CREATE OR REPLACE FUNCTION x2go_guard() RETURNS trigger LANGUAGE plpgsql"
    " SET search_path = public, pg_temp AS $$\n"
    "DECLARE login text := substr(current_user, 10);\n"
    "BEGIN\n"
    "  IF current_user NOT LIKE 'x2gouser\\_%' THEN RETURN NEW; END IF;\n"
    "  IF TG_TABLE_NAME = 'sessions' THEN\n"
    "    IF NEW.uname <> login AND"
    " position('XSHAD' || login || 'XSHAD' IN NEW.session_id) = 0 THEN\n"
    "      RAISE EXCEPTION 'x2go: % may not write sessions of %', login, NEW.uname"
    " USING ERRCODE = '42501';\n"
    "    END IF;\n"
    "  ELSIF NEW.session_id IS NULL OR NOT x2go_owns_session(NEW.session_id) THEN\n"
    "    RAISE EXCEPTION 'x2go: % may not use session %', login, NEW.session_id"
    " USING ERRCODE = '42501';\n"
    "  END IF;\n"
    "  RETURN NEW;\n"
    "END $$",
    "DROP TRIGGER IF EXISTS x2go_guard ON sessions",
    "CREATE TRIGGER x2go_guard BEFORE INSERT OR UPDATE ON sessions"
    " FOR EACH ROW EXECUTE FUNCTION x2go_guard()",
    "DROP TRIGGER IF EXISTS x2go_guard ON used_ports",
    "CREATE TRIGGER x2go_guard BEFORE INSERT OR UPDATE ON used_ports"
    " FOR EACH ROW EXECUTE FUNCTION x2go_guard()",
    "DROP TRIGGER IF EXISTS x2go_guard ON mounts",
    "CREATE TRIGGER x2go_guard BEFORE INSERT OR UPDATE ON mounts"
    " FOR EACH ROW EXECUTE FUNCTION x2go_guard()",
};

static int run_all(PGconn *pg, const char *what, const char *const *sql, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (x2go_pg_cmd(pg, what, sql[i], 0, NULL) < 0)
            return -1;
    return 0;
}

int x2go_pg_admin_schema(PGconn *pg)
{
    if (x2go_pg_begin(pg) < 0)
        return -1;
    int rc = run_all(pg, "create schema", schema, X2GO_ARRAY_LEN(schema));
    if (rc == 0)
        rc = run_all(pg, "create guard", guard, X2GO_ARRAY_LEN(guard));
    if (rc == 0)
        rc = run_all(pg, "create history", x2go_pg_history_schema, x2go_pg_history_schema_len);
    return x2go_pg_finish(pg, rc);
}

int x2go_pg_admin_guard(PGconn *pg)
{
    if (x2go_pg_begin(pg) < 0)
        return -1;
    int rc = run_all(pg, "create guard", guard, X2GO_ARRAY_LEN(guard));
    if (rc == 0)
        rc = run_all(pg, "create history", x2go_pg_history_schema, x2go_pg_history_schema_len);
    return x2go_pg_finish(pg, rc);
}

/* "CREATE ROLE <ident> LOGIN PASSWORD '<hash>'": the hash is computed
 * here (the server's method), so no clear password ever crosses the
 * wire or reaches a server log. */
int x2go_pg_admin_role_sql(PGconn *pg, const char *verb, const char *role,
                           const char *password, char *sql, size_t len)
{
    const struct x2go_pq *pq = x2go_pq();
    char *id = pq->PQescapeIdentifier(pg, role, strlen(role));
    char *hash = password ? pq->PQencryptPasswordConn(pg, password, role, NULL) : NULL;
    char *lit = hash ? pq->PQescapeLiteral(pg, hash, strlen(hash)) : NULL;
    int rc = -1;
    if (!id || (password && !lit))
        x2go_seterr("cannot quote role %s: %s", role, pq->PQerrorMessage(pg));
    else if (password)
        rc = x2go_fmt(sql, len, "%s %s LOGIN PASSWORD %s", verb, id, lit);
    else
        rc = x2go_fmt(sql, len, "%s %s", verb, id);
    if (hash)
        explicit_bzero(hash, strlen(hash));
    pq->PQfreemem(id);
    pq->PQfreemem(hash);
    pq->PQfreemem(lit);
    return rc;
}

int x2go_pg_admin_role_exists(PGconn *pg, const char *role)
{
    const char *p[] = {role};
    PGresult *r = x2go_pg_run(pg, "find role", "SELECT 1 FROM pg_roles WHERE rolname=$1",
                              1, p);
    if (!r)
        return -1;
    int n = x2go_pq()->PQntuples(r);
    x2go_pq()->PQclear(r);
    return n > 0;
}

/* Forget a role (no error when it does not exist): its grants here, what
 * it owns, then the role. Inside the caller's transaction. */
int x2go_pg_admin_drop_role(PGconn *pg, const char *role)
{
    int e = x2go_pg_admin_role_exists(pg, role);
    if (e <= 0)
        return e;
    static const char *const verbs[] = {
        "REVOKE ALL PRIVILEGES ON sessions, used_ports, mounts FROM",
        "REVOKE ALL PRIVILEGES ON sessions_view, mounts_view, servers_view, ports_view FROM",
        "DROP OWNED BY", "DROP ROLE"};
    char sql[512];
    for (size_t i = 0; i < X2GO_ARRAY_LEN(verbs); i++)
        if (x2go_pg_admin_role_sql(pg, verbs[i], role, NULL, sql, sizeof sql) < 0 ||
            x2go_pg_cmd(pg, "drop role", sql, 0, NULL) < 0)
            return -1;
    return 0;
}

/* A user's role with the reference's grants (spec 2.6). */
int x2go_pg_admin_add_role(PGconn *pg, const char *role, const char *password)
{
    static const char *const grants[] = {
        "GRANT INSERT, UPDATE, DELETE ON sessions, used_ports, mounts TO",
        "GRANT SELECT ON used_ports TO",
        "GRANT SELECT, UPDATE, DELETE ON sessions_view, mounts_view, servers_view,"
        " ports_view TO"};
    char sql[768];
    if (x2go_pg_admin_drop_role(pg, role) < 0 ||
        x2go_pg_admin_role_sql(pg, "CREATE ROLE", role, password, sql, sizeof sql) < 0 ||
        x2go_pg_cmd(pg, "create role", sql, 0, NULL) < 0)
        return -1;
    explicit_bzero(sql, sizeof sql);
    for (size_t i = 0; i < X2GO_ARRAY_LEN(grants); i++)
        if (x2go_pg_admin_role_sql(pg, grants[i], role, NULL, sql, sizeof sql) < 0 ||
            x2go_pg_cmd(pg, "grant", sql, 0, NULL) < 0)
            return -1;
    return 0;
}

int x2go_pg_admin_password(char *buf, size_t len)
{
    static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    size_t n = len - 1 < X2GO_PG_PASSWORD_LEN ? len - 1 : X2GO_PG_PASSWORD_LEN;
    for (size_t i = 0; i < n;) {
        unsigned char r[64];
        if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
            x2go_seterr("cannot read the kernel's random source: %s", strerror(errno));
            return -1;
        }
        for (size_t k = 0; k < sizeof r && i < n; k++)
            if (r[k] < 248) /* 248 = 4 * 62: no bias */
                buf[i++] = set[r[k] % 62];
        explicit_bzero(r, sizeof r);
    }
    buf[n] = '\0';
    return 0;
}
