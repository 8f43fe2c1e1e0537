/* PostgreSQL backend: the session history, the same events as on SQLite
 * (store_sqlite_history.c) from one trigger function on sessions, so
 * every writer of the farm records them, reference hosts included. The
 * function runs as its owner (SECURITY DEFINER): the users' roles
 * x2gouser_<login> have no right at all on the history tables, neither
 * to read nor to write them; root's role x2godbuser reads and prunes. */
#include "store_pg_int.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const x2go_pg_history_schema[] = {
    "CREATE TABLE IF NOT EXISTS x2go_history(id bigserial PRIMARY KEY,"
    " time timestamptz NOT NULL DEFAULT now(), event text NOT NULL,"
    " session_id text NOT NULL, uname text NOT NULL, server text NOT NULL, client inet,"
    " display integer)",
    "CREATE INDEX IF NOT EXISTS x2go_history_time ON x2go_history(time)",
    "CREATE TABLE IF NOT EXISTS x2go_history_conf(retention bigint NOT NULL)",
    "REVOKE ALL ON x2go_history, x2go_history_conf FROM PUBLIC",
    "GRANT SELECT, DELETE ON x2go_history TO " X2GO_PG_ADMIN,
    "GRANT SELECT, INSERT, DELETE ON x2go_history_conf TO " X2GO_PG_ADMIN,
    "CREATE OR REPLACE FUNCTION x2go_history_record() RETURNS trigger LANGUAGE plpgsql"
    " SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$\n"
    "DECLARE ev text; r record;\n"
    "BEGIN\n"
    "  IF TG_OP = 'INSERT' THEN\n"
    "    r := NEW; ev := CASE WHEN NEW.agent_pid IS NOT NULL THEN 'start' END;\n"
    "  ELSIF TG_OP = 'DELETE' THEN\n"
    "    r := OLD;\n"
    "    ev := CASE WHEN OLD.status NOT IN ('R', 'S') THEN NULL\n"
    "               WHEN OLD.agent_pid IS NULL THEN 'failure' ELSE 'terminate' END;\n"
    "  ELSE\n"
    "    r := NEW;\n"
    "    ev := CASE WHEN OLD.agent_pid IS NULL AND NEW.agent_pid IS NOT NULL THEN 'start'\n"
    "               WHEN OLD.agent_pid IS NULL THEN NULL\n"
    "               WHEN NEW.status = OLD.status THEN\n"
    "                 CASE WHEN NEW.status = 'R' AND NEW.client IS DISTINCT FROM OLD.client\n"
    "                      THEN 'resume' END\n"
    "               WHEN NEW.status = 'R' THEN 'resume'\n"
    "               WHEN NEW.status = 'S' THEN 'suspend'\n"
    "               WHEN NEW.status = 'T' THEN 'terminate'\n"
    "               WHEN OLD.status = 'T' THEN NULL ELSE 'failure' END;\n"
    "  END IF;\n"
    "  IF ev IS NULL THEN RETURN NULL; END IF;\n"
    "  INSERT INTO x2go_history(event, session_id, uname, server, client, display)\n"
    "    VALUES (ev, r.session_id, r.uname, r.server, r.client, r.display);\n"
    "  DELETE FROM x2go_history WHERE time < now() - make_interval(secs =>\n"
    "    (SELECT retention FROM x2go_history_conf WHERE retention > 0 LIMIT 1));\n"
    "  RETURN NULL;\n"
    "END $$",
    "REVOKE ALL ON FUNCTION x2go_history_record() FROM PUBLIC",
    "DROP TRIGGER IF EXISTS x2go_history ON sessions",
    "CREATE TRIGGER x2go_history AFTER INSERT OR UPDATE OR DELETE ON sessions"
    " FOR EACH ROW EXECUTE FUNCTION x2go_history_record()",
};
const size_t x2go_pg_history_schema_len = X2GO_ARRAY_LEN(x2go_pg_history_schema);

static int set_retention(PGconn *pg, const char *secs)
{
    const char *p[] = {secs};
    if (x2go_pg_begin(pg) < 0)
        return -1;
    int rc = x2go_pg_cmd(pg, "history retention", "DELETE FROM x2go_history_conf", 0,
                         NULL) < 0 ||
             x2go_pg_cmd(pg, "history retention", "INSERT INTO x2go_history_conf(retention)"
                         " VALUES($1::bigint)", 1, p) < 0 ||
             x2go_pg_cmd(pg, "prune history", "DELETE FROM x2go_history WHERE $1::bigint > 0"
                         " AND time < now() - make_interval(secs => $1::bigint)", 1, p) < 0;
    return x2go_pg_finish(pg, rc ? -1 : 0);
}

int x2go_pg_history_retain(struct x2go_store *st, long long secs)
{
    if (!st->is_root)
        return 0;
    PGresult *r = x2go_pg_run(pgc(st), "history retention",
                              "SELECT retention FROM x2go_history_conf", 0, NULL);
    if (!r)
        return -1;
    char want[24];
    snprintf(want, sizeof want, "%lld", secs);
    bool same = x2go_pq()->PQntuples(r) == 1 && !strcmp(x2go_pq()->PQgetvalue(r, 0, 0), want);
    x2go_pq()->PQclear(r);
    return same ? 0 : set_retention(pgc(st), want);
}

static const char *num(long long v, char *buf, size_t len)
{
    if (v == X2GO_HIST_NO_TIME)
        return NULL;
    snprintf(buf, len, "%lld", v);
    return buf;
}

int x2go_pg_history(struct x2go_store *st, const struct x2go_hist_query *q,
                    struct x2go_hist_list *out)
{
    char since[24], until[24];
    const char *p[] = {q->user, q->server, num(q->since, since, sizeof since),
                       num(q->until, until, sizeof until)};
    const struct x2go_pq *pq = x2go_pq();
    PGresult *r = x2go_pg_run(pgc(st), "read the history",
        "SELECT floor(extract(epoch FROM time))::bigint, event, session_id, uname, server,"
        " coalesce(host(client), ''), display FROM x2go_history"
        " WHERE ($1::text IS NULL OR uname = $1) AND ($2::text IS NULL OR server = $2)"
        " AND ($3::bigint IS NULL OR time >= to_timestamp($3::bigint))"
        " AND ($4::bigint IS NULL OR time < to_timestamp($4::bigint + 1)) ORDER BY time, id", 4, p);
    if (!r)
        return -1;
    for (int i = 0, n = pq->PQntuples(r); i < n; i++) {
        struct x2go_hist_event *e = x2go_hist_add(out);
        e->time = atoll(pq->PQgetvalue(r, i, 0));
        snprintf(e->event, sizeof e->event, "%s", pq->PQgetvalue(r, i, 1));
        snprintf(e->sid, sizeof e->sid, "%s", pq->PQgetvalue(r, i, 2));
        snprintf(e->uname, sizeof e->uname, "%s", pq->PQgetvalue(r, i, 3));
        snprintf(e->server, sizeof e->server, "%s", pq->PQgetvalue(r, i, 4));
        snprintf(e->client, sizeof e->client, "%s", pq->PQgetvalue(r, i, 5));
        if (!pq->PQgetisnull(r, i, 6))
            e->display = atoi(pq->PQgetvalue(r, i, 6));
    }
    pq->PQclear(r);
    return 0;
}

int x2go_pg_usage(struct x2go_store *st, struct x2go_store_usage *out)
{
    PGresult *r = x2go_pg_run(pgc(st), "count displays and ports",
                              "SELECT (SELECT count(*) FROM sessions),"
                              " (SELECT count(*) FROM used_ports)", 0, NULL);
    if (!r)
        return -1;
    out->displays = atol(x2go_pq()->PQgetvalue(r, 0, 0));
    out->ports = atol(x2go_pq()->PQgetvalue(r, 0, 1));
    x2go_pq()->PQclear(r);
    return 0;
}

/* A passing T in one transaction, as on SQLite. Users go through their
 * view, whose rule keeps them to their own rows. */
int x2go_pg_end(struct x2go_store *st, const char *sid)
{
    const char *tbl = st->is_root ? "sessions" : "sessions_view";
    char t[160], f[160];
    snprintf(t, sizeof t, "UPDATE %s SET status='T' WHERE session_id=$1"
             " AND status NOT IN ('T','F')", tbl);
    snprintf(f, sizeof f, "UPDATE %s SET status='F', last_time=now() WHERE session_id=$1", tbl);
    const char *p[] = {sid};
    if (x2go_pg_begin(pgc(st)) < 0)
        return -1;
    long n = x2go_pg_cmd(pgc(st), "end session", t, 1, p);
    if (n >= 0)
        n = x2go_pg_cmd(pgc(st), "end session", f, 1, p);
    return x2go_pg_finish(pgc(st), n < 0 ? -1 : n ? 0 : 1);
}
