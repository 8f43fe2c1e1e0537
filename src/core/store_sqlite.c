/* SQLite backend: the reference schema (spec 3.2), WAL, a busy timeout,
 * and every write that belongs together in one IMMEDIATE transaction. */
#include "store.h"
#include "sysports.h"
#include "util.h"
#include "x2go-config.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 5000
#define BEGIN_TRIES 5

struct sqlite_store {
    struct x2go_store base;
    sqlite3 *db;
};

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

/* The 16-column projection of spec 3.4, formatted as the reference does. */
#define COLUMNS                                                              \
    "agent_pid, session_id, display, server, status,"                        \
    " strftime('%Y-%m-%dT%H:%M:%S',init_time), cookie, client, gr_port,"     \
    " sound_port, strftime('%Y-%m-%dT%H:%M:%S',last_time), uname,"           \
    " strftime('%s','now','localtime') - strftime('%s',init_time), fs_port," \
    " tekictrl_port, tekidata_port"

#define NOW "datetime('now','localtime')"

static int db_fail(sqlite3 *db, const char *what)
{
    x2go_seterr("session database: %s: %s", what, sqlite3_errmsg(db));
    return -1;
}

static sqlite3 *sq(struct x2go_store *st) { return ((struct sqlite_store *)st)->db; }

static int exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        x2go_seterr("session database: %s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* BEGIN IMMEDIATE takes the write lock up front, so two starts never both
 * read the same free display. The busy handler waits; a bounded number of
 * tries covers the rare SQLITE_BUSY that bypasses it. */
static int begin(sqlite3 *db)
{
    for (int i = 0; i < BEGIN_TRIES; i++) {
        int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            return 0;
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
            break;
    }
    return db_fail(db, "cannot lock the database (busy)");
}

static int finish(sqlite3 *db, int rc)
{
    if (rc == 0)
        return exec(db, "COMMIT");
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        db_fail(db, "prepare");
        return NULL;
    }
    return s;
}

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
    sqlite3_stmt *s = prep(sq(st), sql);
    if (!s)
        return -1;
    sqlite3_bind_text(s, 1, st->caller, -1, SQLITE_STATIC);
    if (q->server)
        sqlite3_bind_text(s, 2, q->server, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        row_to_session(s, x2go_list_add(out));
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : db_fail(sq(st), "list");
}

/* Ownership is part of every WHERE clause: uname must be the caller, or
 * the caller is root. Identity comes from the uid, never from the id. */
#define OWNED "session_id=?1 AND (uname=?2 OR ?3)"

static void bind_owner(struct x2go_store *st, sqlite3_stmt *s, const char *sid)
{
    sqlite3_bind_text(s, 1, sid, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, st->caller, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, st->is_root);
}

static int sq_get(struct x2go_store *st, const char *sid, struct x2go_session *out)
{
    sqlite3_stmt *s = prep(sq(st), "SELECT " COLUMNS " FROM sessions WHERE " OWNED);
    if (!s)
        return -1;
    bind_owner(st, s, sid);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        row_to_session(s, out);
    sqlite3_finalize(s);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc == SQLITE_DONE)
        return 1;
    return db_fail(sq(st), "get");
}

/* Run one owned UPDATE; 1 when no row of the caller matched. */
static int owned_update(struct x2go_store *st, sqlite3_stmt *s, const char *sid)
{
    if (!s)
        return -1;
    bind_owner(st, s, sid);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return db_fail(sq(st), "update");
    return sqlite3_changes(sq(st)) ? 0 : 1;
}

static int sq_change_status(struct x2go_store *st, const char *sid, char status)
{
    sqlite3_stmt *s = prep(sq(st), "UPDATE sessions SET last_time=" NOW
                                   ", status=?4 WHERE " OWNED);
    if (s) {
        char v[2] = {status, 0};
        sqlite3_bind_text(s, 4, v, 1, SQLITE_TRANSIENT);
    }
    return owned_update(st, s, sid);
}

struct used {
    uint8_t ports[65536 / 8];
    uint8_t displays[(X2GO_DISPLAY_MAX + 1 + 7) / 8];
};

#define USED(bm, i) (((bm)[(i) / 8] >> ((i) % 8)) & 1u)
#define MARK(bm, i) ((bm)[(i) / 8] |= (uint8_t)(1u << ((i) % 8)))

static int load_used(sqlite3 *db, struct used *u)
{
    memset(u, 0, sizeof *u);
    static const char *q[] = {"SELECT port FROM used_ports", "SELECT display FROM sessions"};
    for (int k = 0; k < 2; k++) {
        sqlite3_stmt *s = prep(db, q[k]);
        if (!s)
            return -1;
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            long v = (long)sqlite3_column_int64(s, 0);
            if (k == 0 && v >= 0 && v < 65536)
                MARK(u->ports, v);
            if (k == 1 && v >= 0 && v <= X2GO_DISPLAY_MAX)
                MARK(u->displays, v);
        }
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE)
            return db_fail(db, "read used ports");
    }
    return 0;
}

/* First port at or after *next that neither the DB nor the system uses;
 * wraps once around [30000, 65535]. Bounded: no endless search. */
static int pick_port(struct used *u, const struct x2go_sysports *sp, int *next)
{
    int start = *next < 30000 || *next > X2GO_PORT_MAX ? 30000 : *next;
    for (int i = 0; i <= X2GO_PORT_MAX - 30000; i++) {
        int p = 30000 + (start - 30000 + i) % (X2GO_PORT_MAX - 30000 + 1);
        if (!USED(u->ports, p) && x2go_sysport_free(sp, p)) {
            MARK(u->ports, p);
            *next = p + 1;
            return p;
        }
    }
    x2go_seterr("no free TCP port left in 30000-65535");
    return -1;
}

static int insert_port(sqlite3 *db, const char *server, const char *sid, int port)
{
    sqlite3_stmt *s = prep(db, "INSERT INTO used_ports(server,session_id,port) VALUES(?1,?2,?3)");
    if (!s)
        return -1;
    sqlite3_bind_text(s, 1, server, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, sid, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, port);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : db_fail(db, "insert port");
}

static int reserve_locked(struct x2go_store *st, const struct x2go_reserve_req *r,
                          const struct x2go_sysports *sp, struct x2go_reservation *out)
{
    sqlite3 *db = sq(st);
    struct used u;
    if (load_used(db, &u) < 0)
        return -1;
    int display = -1;
    for (int d = r->display_start; d <= X2GO_DISPLAY_MAX; d++)
        if (!USED(u.displays, d) && x2go_sysdisplay_free(sp, d) &&
            (6000 + d > 65535 || !USED(u.ports, 6000 + d))) {
            display = d;
            break;
        }
    if (display < 0) {
        x2go_seterr("no free display number between %d and %d", r->display_start,
                    X2GO_DISPLAY_MAX);
        return -1;
    }
    if (x2go_sid_build(out->sid, sizeof out->sid, r->owner, display, r->epoch, r->type,
                       r->command, r->depth, r->xdmcp) < 0)
        return -1;
    if (x2go_sid_parse(out->sid, NULL) < 0)
        return -1;
    out->display = display;
    sqlite3_stmt *s = prep(db, "INSERT INTO sessions(display,server,uname,session_id,"
                               "init_time,last_time) VALUES(?1,?2,?3,?4," NOW "," NOW ")");
    if (!s)
        return -1;
    sqlite3_bind_int(s, 1, display);
    sqlite3_bind_text(s, 2, r->server, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, r->owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, out->sid, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return db_fail(db, "insert session");
    int next = r->port_start;
    for (int i = 0; i < X2GO_MAX_PORTS; i++) {
        out->ports[i] = -1;
        if (i >= r->nports)
            continue;
        int p = pick_port(&u, sp, &next);
        if (p < 0 || insert_port(db, r->server, out->sid, p) < 0)
            return -1;
        out->ports[i] = p;
    }
    return 0;
}

static int sq_reserve(struct x2go_store *st, const struct x2go_reserve_req *r,
                      struct x2go_reservation *out)
{
    if (!st->is_root && strcmp(r->owner, st->caller) != 0) {
        x2go_seterr("cannot reserve a session for another user");
        return -1;
    }
    struct x2go_sysports *sp = malloc(sizeof *sp);
    if (!sp)
        abort();
    int rc = x2go_sysports_load(sp);
    if (rc == 0 && (rc = begin(sq(st))) == 0)
        rc = finish(sq(st), reserve_locked(st, r, sp, out));
    free(sp);
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
    sqlite3_stmt *s = prep(sq(st),
        "UPDATE sessions SET status='R', last_time=" NOW ", cookie=?4, agent_pid=?5,"
        " client=?6, gr_port=?7, sound_port=?8, fs_port=?9, tekictrl_port=?10,"
        " tekidata_port=?11 WHERE " OWNED " AND agent_pid IS NULL");
    if (s) {
        sqlite3_bind_text(s, 4, cookie, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 5, pid);
        sqlite3_bind_text(s, 6, client, -1, SQLITE_STATIC);
        for (int i = 0; i < X2GO_MAX_PORTS; i++)
            bind_port(s, 7 + i, ports[i]);
    }
    return owned_update(st, s, sid);
}

static int resume_locked(struct x2go_store *st, const char *sid, const char *client,
                         int port_start, int ports[X2GO_MAX_PORTS],
                         const struct x2go_sysports *sp)
{
    sqlite3 *db = sq(st);
    struct x2go_session cur;
    int rc = sq_get(st, sid, &cur);
    if (rc != 0)
        return rc;
    struct used u;
    if (load_used(db, &u) < 0)
        return -1;
    int have[X2GO_MAX_PORTS] = {cur.gr_port, cur.sound_port, cur.fs_port,
                                cur.tekictrl_port, cur.tekidata_port};
    int next = port_start;
    for (int i = 0; i < X2GO_MAX_PORTS; i++) {
        int p = have[i];
        bool wanted = i < 3 || (p != X2GO_NULL_INT && p > 0);
        if (!wanted) {
            ports[i] = p == X2GO_NULL_INT ? -1 : p;
            continue;
        }
        if (p != X2GO_NULL_INT && p > 0 && x2go_sysport_free(sp, p)) {
            ports[i] = p;
            continue;
        }
        /* Taken by someone else meanwhile: free ours, allocate anew. */
        if (p != X2GO_NULL_INT && p > 0) {
            sqlite3_stmt *d = prep(db, "DELETE FROM used_ports WHERE session_id=?1 AND port=?2");
            if (!d)
                return -1;
            sqlite3_bind_text(d, 1, sid, -1, SQLITE_STATIC);
            sqlite3_bind_int(d, 2, p);
            int drc = sqlite3_step(d);
            sqlite3_finalize(d);
            if (drc != SQLITE_DONE)
                return db_fail(db, "free port");
        }
        int np = pick_port(&u, sp, &next);
        if (np < 0 || insert_port(db, cur.server, sid, np) < 0)
            return -1;
        ports[i] = np;
    }
    sqlite3_stmt *s = prep(db,
        "UPDATE sessions SET status='R', last_time=" NOW ", client=?4, gr_port=?5,"
        " sound_port=?6, fs_port=?7, tekictrl_port=?8, tekidata_port=?9 WHERE " OWNED);
    if (s) {
        sqlite3_bind_text(s, 4, client, -1, SQLITE_STATIC);
        for (int i = 0; i < X2GO_MAX_PORTS; i++)
            sqlite3_bind_int(s, 5 + i, ports[i]);
    }
    return owned_update(st, s, sid);
}

static int sq_resume(struct x2go_store *st, const char *sid, const char *client,
                     int port_start, int ports[X2GO_MAX_PORTS])
{
    struct x2go_sysports *sp = malloc(sizeof *sp);
    if (!sp)
        abort();
    int rc = x2go_sysports_load(sp);
    if (rc == 0 && (rc = begin(sq(st))) == 0)
        rc = finish(sq(st), resume_locked(st, sid, client, port_start, ports, sp));
    free(sp);
    return rc;
}

static int sq_remove(struct x2go_store *st, const char *sid)
{
    if (!st->is_root) {
        x2go_seterr("only root may delete sessions");
        return -1;
    }
    sqlite3 *db = sq(st);
    if (begin(db) < 0)
        return -1;
    int rc = -1;
    static const char *q[] = {"DELETE FROM mounts WHERE session_id=?1",
                              "DELETE FROM sessions WHERE session_id=?1"};
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *s = prep(db, q[i]);
        if (!s)
            return finish(db, -1);
        sqlite3_bind_text(s, 1, sid, -1, SQLITE_STATIC);
        rc = sqlite3_step(s) == SQLITE_DONE ? 0 : db_fail(db, "delete session");
        sqlite3_finalize(s);
        if (rc < 0)
            return finish(db, -1);
    }
    return finish(db, 0);
}

static int sq_abandon(struct x2go_store *st, const char *sid)
{
    sqlite3_stmt *s = prep(sq(st), "DELETE FROM sessions WHERE " OWNED
                                   " AND (agent_pid IS NULL OR status='F')");
    return owned_update(st, s, sid);
}

static int sq_servers(struct x2go_store *st, char *buf, size_t len)
{
    sqlite3_stmt *s = prep(sq(st), "SELECT server FROM sessions WHERE status!='F'"
                                   " GROUP BY server");
    if (!s)
        return -1;
    size_t o = 0;
    buf[0] = '\0';
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(s, 0);
        int n = snprintf(buf + o, len - o, "%s%s", o ? "\n" : "", t ? (const char *)t : "");
        if (n < 0 || (size_t)n >= len - o) {
            sqlite3_finalize(s);
            x2go_seterr("too many servers");
            return -1;
        }
        o += (size_t)n;
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : db_fail(sq(st), "servers");
}

static void sq_close(struct x2go_store *st)
{
    sqlite3_close(sq(st));
    free(st);
}

static const struct x2go_store_ops sqlite_ops = {
    .close = sq_close, .list = sq_list, .get = sq_get,
    .change_status = sq_change_status, .reserve = sq_reserve, .create = sq_create,
    .resume = sq_resume, .remove = sq_remove, .abandon = sq_abandon,
    .servers = sq_servers,
};

static sqlite3 *open_db(const char *path, int flags)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
        x2go_seterr("cannot open the session database %s: %s (run x2godbadmin --createdb as root)",
                    path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    return db;
}

struct x2go_store *x2go_store_sqlite_open(const char *path, const char *caller, bool is_root)
{
    sqlite3 *db = open_db(path, SQLITE_OPEN_READWRITE);
    if (!db)
        return NULL;
    /* Probe the schema now so a wrong file fails with one clear line. */
    if (exec(db, "PRAGMA journal_mode=WAL; SELECT 1 FROM sessions LIMIT 0") < 0) {
        x2go_seterr("the session database %s is unusable (%s); run x2godbadmin --createdb",
                    path, x2go_err());
        sqlite3_close(db);
        return NULL;
    }
    struct sqlite_store *st = calloc(1, sizeof *st);
    if (!st)
        abort();
    st->base.ops = &sqlite_ops;
    st->base.is_root = is_root;
    snprintf(st->base.caller, sizeof st->base.caller, "%s", caller);
    st->db = db;
    return &st->base;
}

int x2go_store_sqlite_create(const char *path)
{
    sqlite3 *db = open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (!db)
        return -1;
    int rc = exec(db, "PRAGMA journal_mode=WAL");
    if (rc == 0)
        rc = begin(db) == 0 ? finish(db, exec(db, schema)) : -1;
    sqlite3_close(db);
    return rc;
}

int x2go_store_sqlite_update(const char *path)
{
    sqlite3 *db = open_db(path, SQLITE_OPEN_READWRITE);
    if (!db)
        return -1;
    static const char *cols[] = {"tekictrl_port", "tekidata_port"};
    int rc = 0;
    for (size_t i = 0; i < X2GO_ARRAY_LEN(cols) && rc == 0; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT %s FROM sessions LIMIT 0", cols[i]);
        if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
            continue;
        printf("ADDING: %s column to table sessions\n", cols[i]);
        snprintf(sql, sizeof sql, "ALTER TABLE sessions ADD COLUMN '%s' int", cols[i]);
        rc = exec(db, sql);
    }
    sqlite3_close(db);
    return rc;
}
