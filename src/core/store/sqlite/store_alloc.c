/* SQLite backend: displays and ports. A reservation expires stale rows,
 * enforces the owner's limits and allocates display, ports and row, all
 * in one IMMEDIATE transaction; a resume re-checks its ports the same way. */
#include "sharing.h"
#include "store_sqlite_int.h"
#include "sysports.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        sqlite3_stmt *s = x2go_sq_prep(db, q[k]);
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
            return x2go_sq_fail(db, "read used ports");
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
    return X2GO_STORE_NOPORT;
}

static int insert_port(sqlite3 *db, const char *server, const char *sid, int port)
{
    sqlite3_stmt *s = x2go_sq_prep(db, "INSERT INTO used_ports(server,session_id,port)"
                                       " VALUES(?1,?2,?3)");
    if (!s)
        return -1;
    sqlite3_bind_text(s, 1, server, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, sid, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, port);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : x2go_sq_fail(db, "insert port");
}

/* Rows no agent ever backed, older than the TTL, on any host: a start
 * that died half-way, or rows made only to use up displays and ports. */
static int expire_stale(sqlite3 *db)
{
    static const char *q[] = {
        "DELETE FROM mounts WHERE session_id IN (SELECT session_id FROM sessions"
        " WHERE agent_pid IS NULL AND init_time < datetime('now','localtime',?1))",
        "DELETE FROM sessions WHERE agent_pid IS NULL"
        " AND init_time < datetime('now','localtime',?1)",
    };
    char age[32];
    snprintf(age, sizeof age, "-%d seconds", X2GO_RESERVE_TTL_S);
    for (size_t i = 0; i < X2GO_ARRAY_LEN(q); i++) {
        sqlite3_stmt *s = x2go_sq_prep(db, q[i]);
        if (!s)
            return -1;
        sqlite3_bind_text(s, 1, age, -1, SQLITE_STATIC);
        int rc = sqlite3_step(s);
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE)
            return x2go_sq_fail(db, "expire reservations");
    }
    return 0;
}

static bool listed(const char *sid, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(sid, set[i]) == 0)
            return true;
    return false;
}

/* The owner's session limit and hard cap, counted inside the transaction
 * so that concurrent reservations cannot both pass. */
static int check_limits(sqlite3 *db, const struct x2go_reserve_req *r)
{
    if (r->limit <= 0 && r->cap <= 0)
        return 0;
    sqlite3_stmt *s = x2go_sq_prep(db, "SELECT session_id FROM sessions"
                                       " WHERE uname=?1 AND status!='F'");
    if (!s)
        return -1;
    sqlite3_bind_text(s, 1, r->owner, -1, SQLITE_STATIC);
    long all = 0, counted = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        all++;
        if (!listed((const char *)sqlite3_column_text(s, 0), r->dead, r->ndead))
            counted++;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return x2go_sq_fail(db, "count sessions");
    if (r->limit > 0 && counted >= r->limit) {
        x2go_seterr("LIMIT: the configured session limit (%ld) is reached", r->limit);
        return X2GO_STORE_LIMIT;
    }
    if (r->cap > 0 && all >= r->cap) {
        x2go_seterr("LIMIT: at most %ld sessions per user", r->cap);
        return X2GO_STORE_LIMIT;
    }
    return 0;
}

static int insert_session(sqlite3 *db, const struct x2go_reserve_req *r, int display,
                          const char *sid)
{
    sqlite3_stmt *s = x2go_sq_prep(db, "INSERT INTO sessions(display,server,uname,session_id,"
                                       "init_time,last_time) VALUES(?1,?2,?3,?4," NOW "," NOW ")");
    if (!s)
        return -1;
    sqlite3_bind_int(s, 1, display);
    sqlite3_bind_text(s, 2, r->server, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, r->owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, sid, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : x2go_sq_fail(db, "insert session");
}

static int reserve_locked(sqlite3 *db, const struct x2go_reserve_req *r,
                          const struct x2go_sysports *sp, struct x2go_reservation *out)
{
    struct used u;
    int rc;
    if ((rc = expire_stale(db)) < 0 || (rc = check_limits(db, r)) < 0 ||
        (rc = load_used(db, &u)) < 0)
        return rc;
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
                       r->command, r->depth, r->xdmcp) < 0 ||
        x2go_sid_parse(out->sid, NULL) < 0)
        return -1;
    out->display = display;
    if (insert_session(db, r, display, out->sid) < 0)
        return -1;
    int next = r->port_start;
    for (int i = 0; i < X2GO_MAX_PORTS; i++) {
        out->ports[i] = -1;
        if (i >= r->nports)
            continue;
        int p = pick_port(&u, sp, &next);
        if (p < 0)
            return p;
        if (insert_port(db, r->server, out->sid, p) < 0)
            return -1;
        out->ports[i] = p;
    }
    return 0;
}

int x2go_sq_reserve(struct x2go_store *st, const struct x2go_reserve_req *r,
                    struct x2go_reservation *out)
{
    if (!st->is_root && strcmp(r->owner, st->caller) != 0 &&
        !x2go_shadow_of(r->type, r->command, st->caller)) {
        x2go_seterr("cannot reserve a session for another user");
        return -1;
    }
    struct x2go_sysports *sp = malloc(sizeof *sp);
    if (!sp)
        abort();
    int rc = x2go_sysports_load(sp);
    if (rc == 0 && (rc = x2go_sq_begin(sq(st))) == 0)
        rc = x2go_sq_finish(sq(st), reserve_locked(sq(st), r, sp, out));
    if (rc == 0)
        x2go_sq_ballast_lay(sq(st));
    free(sp);
    return rc;
}

/* Our port p is taken on the system meanwhile: free it in the database. */
static int drop_port(sqlite3 *db, const char *sid, int p)
{
    sqlite3_stmt *d = x2go_sq_prep(db, "DELETE FROM used_ports WHERE session_id=?1 AND port=?2");
    if (!d)
        return -1;
    sqlite3_bind_text(d, 1, sid, -1, SQLITE_STATIC);
    sqlite3_bind_int(d, 2, p);
    int rc = sqlite3_step(d);
    sqlite3_finalize(d);
    return rc == SQLITE_DONE ? 0 : x2go_sq_fail(db, "free port");
}

static int resume_locked(struct x2go_store *st, const char *sid, const char *client,
                         int port_start, int ports[X2GO_MAX_PORTS],
                         const struct x2go_sysports *sp)
{
    sqlite3 *db = sq(st);
    struct x2go_session cur;
    int rc = x2go_sq_get(st, sid, &cur);
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
        bool set = p != X2GO_NULL_INT && p > 0;
        if (!(i < 3 || set)) {
            ports[i] = p == X2GO_NULL_INT ? -1 : p;
            continue;
        }
        if (set && x2go_sysport_free(sp, p)) {
            ports[i] = p;
            continue;
        }
        if (set && drop_port(db, sid, p) < 0)
            return -1;
        int np = pick_port(&u, sp, &next);
        if (np < 0)
            return np;
        if (insert_port(db, cur.server, sid, np) < 0)
            return -1;
        ports[i] = np;
    }
    sqlite3_stmt *s = x2go_sq_prep(db,
        "UPDATE sessions SET status='R', last_time=" NOW ", client=?4, gr_port=?5,"
        " sound_port=?6, fs_port=?7, tekictrl_port=?8, tekidata_port=?9 WHERE " OWNED);
    if (s) {
        sqlite3_bind_text(s, 4, client, -1, SQLITE_STATIC);
        for (int i = 0; i < X2GO_MAX_PORTS; i++)
            sqlite3_bind_int(s, 5 + i, ports[i]);
    }
    return x2go_sq_owned_update(st, s, sid);
}

int x2go_sq_resume(struct x2go_store *st, const char *sid, const char *client,
                   int port_start, int ports[X2GO_MAX_PORTS])
{
    struct x2go_sysports *sp = malloc(sizeof *sp);
    if (!sp)
        abort();
    int rc = x2go_sysports_load(sp);
    if (rc == 0 && (rc = x2go_sq_begin(sq(st))) == 0)
        rc = x2go_sq_finish(sq(st), resume_locked(st, sid, client, port_start, ports, sp));
    free(sp);
    return rc;
}
