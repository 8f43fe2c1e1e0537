/* Creating and upgrading the SQLite session database (x2godbadmin): the
 * reference schema (spec 3.2) and the session history beside it. WAL mode is set here, once, and never on
 * an ordinary open (that would be a write, failing on a full disk). */
#include "store_sqlite_int.h"
#include "util.h"

#include <stdio.h>

static const char schema[] =
    "CREATE TABLE sessions("
    "session_id varchar(500) primary key, display integer not null,"
    " uname varchar(100) not null, server varchar(100) not null, client inet,"
    " status char(1) not null default 'R',"
    " init_time timestamp not null default CURRENT_TIMESTAMP,"
    " last_time timestamp not null default CURRENT_TIMESTAMP,"
    " cookie char(33), agent_pid int, gr_port int, sound_port int, fs_port int,"
    " tekictrl_port int, tekidata_port int, unique(display));"
    "CREATE TABLE messages(mess_id varchar(20) primary key, message text);"
    "CREATE TABLE user_messages(mess_id varchar(20) not null, uname varchar(100) not null);"
    "CREATE TABLE used_ports(server varchar(100) not null,"
    " session_id varchar(500) references sessions on delete cascade,"
    " port integer primary key);"
    "CREATE TABLE mounts(session_id varchar(500) references sessions on delete restrict,"
    " path varchar(512) not null, client inet not null, primary key(path,client));"
    "CREATE TRIGGER fkd_mounts_session_id BEFORE DELETE ON sessions FOR EACH ROW BEGIN"
    " SELECT RAISE(ABORT,'delete on table \"sessions\" violates foreign key on table \"mounts\"')"
    " WHERE (SELECT session_id FROM mounts WHERE session_id = OLD.session_id) IS NOT NULL; END;"
    "CREATE TRIGGER fkd_ports_session_id BEFORE DELETE ON sessions FOR EACH ROW BEGIN"
    " DELETE FROM used_ports WHERE session_id = OLD.session_id; END;";

/* One or two scripts in one transaction. */
static int in_tx(sqlite3 *db, const char *a, const char *b)
{
    if (x2go_sq_begin(db) < 0)
        return -1;
    int rc = x2go_sq_exec(db, a);
    if (rc == 0 && b)
        rc = x2go_sq_exec(db, b);
    return x2go_sq_finish(db, rc);
}

int x2go_store_sqlite_create(const char *path)
{
    sqlite3 *db = x2go_sq_open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (!db)
        return -1;
    int rc = x2go_sq_exec(db, "PRAGMA journal_mode=WAL");
    if (rc == 0)
        rc = in_tx(db, schema, x2go_sq_history_schema);
    if (rc == 0)
        x2go_sq_ballast_lay(db);
    sqlite3_close(db);
    return rc;
}

int x2go_store_sqlite_update(const char *path, const char *added[], size_t max)
{
    sqlite3 *db = x2go_sq_open(path, SQLITE_OPEN_READWRITE);
    if (!db)
        return -1;
    static const char *cols[] = {"tekictrl_port", "tekidata_port"};
    int rc = x2go_sq_exec(db, "PRAGMA journal_mode=WAL");
    size_t n = 0;
    for (size_t i = 0; i < X2GO_ARRAY_LEN(cols) && rc == 0; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT %s FROM sessions LIMIT 0", cols[i]);
        if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
            continue;
        snprintf(sql, sizeof sql, "ALTER TABLE sessions ADD COLUMN '%s' int", cols[i]);
        rc = x2go_sq_exec(db, sql);
        if (rc == 0 && n < max)
            added[n++] = cols[i];
    }
    /* The session history (tables and triggers of their own; nothing of
     * the reference's schema changes), added when missing. */
    if (rc == 0)
        rc = in_tx(db, x2go_sq_history_schema, NULL);
    if (rc == 0)
        x2go_sq_ballast_lay(db);
    sqlite3_close(db);
    return rc < 0 ? -1 : (int)n;
}
