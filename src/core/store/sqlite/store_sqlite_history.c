/* SQLite backend: the session history. Triggers on the sessions table
 * record every event in the writer's own transaction, whoever writes
 * (our commands through the store server, the clean-up daemon, the
 * reference's wrapper): agent_pid set -> start; status to R (or a new
 * client while R) -> resume; S -> suspend; T -> terminate; F -> failure,
 * unless it follows T; a deleted R or S row -> terminate (failure when no
 * agent ever backed it). A trigger on the history itself prunes events
 * older than the retention kept in x2go_history_conf. The store server
 * has no operation that reads these tables. */
#include "store_sqlite_int.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

#define NOW_S "CAST(strftime('%s','now') AS INTEGER)"
#define ADD_EVENT(ev, row)                                                           \
    "INSERT INTO x2go_history(time,event,session_id,uname,server,client,display)"  \
    " VALUES(" NOW_S "," ev "," row ".session_id," row ".uname," row ".server,"     \
    row ".client," row ".display);"

const char x2go_sq_history_schema[] =
    "CREATE TABLE IF NOT EXISTS x2go_history(id INTEGER PRIMARY KEY, time integer not null,"
    " event varchar(12) not null, session_id varchar(500) not null,"
    " uname varchar(100) not null, server varchar(100) not null, client inet,"
    " display integer);"
    "CREATE INDEX IF NOT EXISTS x2go_history_time ON x2go_history(time);"
    "CREATE TABLE IF NOT EXISTS x2go_history_conf(retention integer not null);"
    "CREATE TRIGGER IF NOT EXISTS x2go_history_insert AFTER INSERT ON sessions"
    " WHEN NEW.agent_pid IS NOT NULL BEGIN " ADD_EVENT("'start'", "NEW") " END;"
    "CREATE TRIGGER IF NOT EXISTS x2go_history_update AFTER UPDATE ON sessions"
    " WHEN (OLD.agent_pid IS NULL AND NEW.agent_pid IS NOT NULL) OR"
    " (OLD.agent_pid IS NOT NULL AND ((NEW.status<>OLD.status AND"
    " NOT (NEW.status='F' AND OLD.status='T')) OR"
    " (NEW.status='R' AND OLD.status='R' AND NEW.client IS NOT OLD.client)))"
    " BEGIN " ADD_EVENT("CASE WHEN OLD.agent_pid IS NULL THEN 'start'"
                        " WHEN NEW.status='R' THEN 'resume' WHEN NEW.status='S' THEN 'suspend'"
                        " WHEN NEW.status='T' THEN 'terminate' ELSE 'failure' END", "NEW")
    " END;"
    "CREATE TRIGGER IF NOT EXISTS x2go_history_delete AFTER DELETE ON sessions"
    " WHEN OLD.status IN ('R','S') BEGIN "
    ADD_EVENT("CASE WHEN OLD.agent_pid IS NULL THEN 'failure' ELSE 'terminate' END", "OLD")
    " END;"
    "CREATE TRIGGER IF NOT EXISTS x2go_history_prune AFTER INSERT ON x2go_history BEGIN"
    " DELETE FROM x2go_history WHERE time < " NOW_S " -"
    " (SELECT retention FROM x2go_history_conf WHERE retention > 0); END;";

static int set_retention(sqlite3 *db, long long secs)
{
    static const char *const q[] = {
        "DELETE FROM x2go_history_conf",
        "INSERT INTO x2go_history_conf(retention) VALUES(?1)",
        "DELETE FROM x2go_history WHERE ?1 > 0 AND time < " NOW_S " - ?1",
    };
    if (x2go_sq_begin(db) < 0)
        return -1;
    for (size_t i = 0; i < X2GO_ARRAY_LEN(q); i++) {
        sqlite3_stmt *s = x2go_sq_prep(db, q[i]);
        if (!s)
            return x2go_sq_finish(db, -1);
        sqlite3_bind_int64(s, 1, secs);
        int rc = sqlite3_step(s);
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE)
            return x2go_sq_finish(db, x2go_sq_fail(db, "set the history retention"));
    }
    return x2go_sq_finish(db, 0);
}

int x2go_sq_history_retain(struct x2go_store *st, long long secs)
{
    sqlite3_stmt *s = x2go_sq_prep(sq(st), "SELECT retention FROM x2go_history_conf");
    if (!s)
        return -1;
    int rc = sqlite3_step(s);
    bool same = rc == SQLITE_ROW && sqlite3_column_int64(s, 0) == secs &&
                sqlite3_step(s) == SQLITE_DONE;
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return x2go_sq_fail(sq(st), "read the history retention");
    return same ? 0 : set_retention(sq(st), secs);
}

static void col(sqlite3_stmt *s, int i, char *dst, size_t len)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    snprintf(dst, len, "%s", t ? (const char *)t : "");
}

int x2go_sq_history(struct x2go_store *st, const struct x2go_hist_query *q,
                    struct x2go_hist_list *out)
{
    sqlite3_stmt *s = x2go_sq_prep(sq(st),
        "SELECT time, event, session_id, uname, server, client, display FROM x2go_history"
        " WHERE (?1 IS NULL OR uname=?1) AND (?2 IS NULL OR server=?2)"
        " AND (?3 IS NULL OR time>=?3) AND (?4 IS NULL OR time<=?4) ORDER BY time, id");
    if (!s) {
        if (strstr(x2go_err(), "no such table"))
            x2go_seterr("the session database has no history yet; run x2godbadmin --updatedb");
        return -1;
    }
    sqlite3_bind_text(s, 1, q->user, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, q->server, -1, SQLITE_STATIC);
    if (q->since != X2GO_HIST_NO_TIME)
        sqlite3_bind_int64(s, 3, q->since);
    if (q->until != X2GO_HIST_NO_TIME)
        sqlite3_bind_int64(s, 4, q->until);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct x2go_hist_event *e = x2go_hist_add(out);
        e->time = sqlite3_column_int64(s, 0);
        col(s, 1, e->event, sizeof e->event);
        col(s, 2, e->sid, sizeof e->sid);
        col(s, 3, e->uname, sizeof e->uname);
        col(s, 4, e->server, sizeof e->server);
        col(s, 5, e->client, sizeof e->client);
        if (sqlite3_column_type(s, 6) != SQLITE_NULL)
            e->display = sqlite3_column_int(s, 6);
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : x2go_sq_fail(sq(st), "read the history");
}

int x2go_sq_usage(struct x2go_store *st, struct x2go_store_usage *out)
{
    sqlite3_stmt *s = x2go_sq_prep(sq(st), "SELECT (SELECT count(*) FROM sessions),"
                                           " (SELECT count(*) FROM used_ports)");
    if (!s)
        return -1;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        out->displays = (long)sqlite3_column_int64(s, 0);
        out->ports = (long)sqlite3_column_int64(s, 1);
    }
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? 0 : x2go_sq_fail(sq(st), "count displays and ports");
}

/* A passing T inside one transaction: the history sees a terminate, and
 * nobody else ever sees the T. */
static int end_once(struct x2go_store *st, const char *sid)
{
    sqlite3 *db = sq(st);
    static const char *const q[] = {
        "UPDATE sessions SET status='T' WHERE " OWNED " AND status NOT IN ('T','F')",
        "UPDATE sessions SET last_time=" NOW ", status='F' WHERE " OWNED,
    };
    if (x2go_sq_begin(db) < 0)
        return -1;
    /* The first finds no row when the session already ended: fine; the
     * second tells whether the row is the caller's. */
    int rc = x2go_sq_owned_update(st, x2go_sq_prep(db, q[0]), sid);
    if (rc >= 0)
        rc = x2go_sq_owned_update(st, x2go_sq_prep(db, q[1]), sid);
    return x2go_sq_finish(db, rc);
}

/* An end must work on a full file system, as a status change does. */
int x2go_sq_end(struct x2go_store *st, const char *sid)
{
    int rc = end_once(st, sid);
    if (rc < 0 && x2go_sq_ballast_release(sq(st)))
        rc = end_once(st, sid);
    return rc;
}
