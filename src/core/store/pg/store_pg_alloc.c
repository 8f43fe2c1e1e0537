/* PostgreSQL backend: displays and ports for a whole farm. One
 * transaction per reservation, serialised among our hosts by an advisory
 * lock; the schema's unique display and port keys still guard against
 * reference hosts, whose collisions make us retry a bounded number of
 * times. Free numbers come from the database, then the local system
 * (X locks, listening sockets) has the last word. */
#include "store_pg_int.h"
#include "sysports.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOCK_KEY "7242001"     /* pg_advisory_xact_lock key of reservations */
#define CANDIDATES 400         /* free numbers fetched per query */
#define COLLISION_TRIES 3

static const char *ports_of(const struct x2go_store *st)
{
    return st->is_root ? "used_ports" : "ports_view";
}

/* Up to max integers from the first column of a query. */
static int fetch_ints(PGconn *pg, const char *what, const char *sql, int n,
                      const char *const *p, int *out, int max)
{
    PGresult *r = x2go_pg_run(pg, what, sql, n, p);
    if (!r)
        return -1;
    int rows = x2go_pq()->PQntuples(r);
    if (rows > max)
        rows = max;
    for (int i = 0; i < rows; i++)
        out[i] = atoi(x2go_pq()->PQgetvalue(r, i, 0));
    x2go_pq()->PQclear(r);
    return rows;
}

struct picker {
    int cand[CANDIDATES];
    int n, at;
};

/* The kernel's range for outgoing connections' local ports: every
 * command here holds a TCP connection to the database, so a port picked
 * in that range can be taken by a client socket before the agent binds. */
static void ephemeral_range(int *lo, int *hi)
{
    char buf[64];
    *lo = 32768, *hi = 60999;
    if (x2go_read_file("/proc/sys/net/ipv4/ip_local_port_range", buf, sizeof buf) > 0)
        sscanf(buf, "%d %d", lo, hi);
}

/* Ports the database has free, from start on, wrapping once around
 * [30000, 65535]; those outside the ephemeral range first. */
static int load_ports(struct x2go_store *st, int start, struct picker *pk)
{
    char sql[640], s[12], lo[12], hi[12];
    int elo, ehi;
    ephemeral_range(&elo, &ehi);
    if (start < 30000 || start > X2GO_PORT_MAX)
        start = 30000;
    snprintf(s, sizeof s, "%d", start);
    snprintf(lo, sizeof lo, "%d", elo);
    snprintf(hi, sizeof hi, "%d", ehi);
    snprintf(sql, sizeof sql,
             "SELECT p FROM (SELECT i, 30000 + ($1::int - 30000 + i) %% %d AS p"
             " FROM generate_series(0, %d) i) c WHERE p NOT IN (SELECT port FROM %s)"
             " ORDER BY p BETWEEN $2::int AND $3::int, i LIMIT %d",
             X2GO_PORT_MAX - 30000 + 1, X2GO_PORT_MAX - 30000, ports_of(st), CANDIDATES);
    const char *p[] = {s, lo, hi};
    pk->at = 0;
    pk->n = fetch_ints(pgc(st), "free ports", sql, 3, p, pk->cand, CANDIDATES);
    return pk->n < 0 ? -1 : 0;
}

static int next_port(struct picker *pk, const struct x2go_sysports *sp)
{
    while (pk->at < pk->n) {
        int p = pk->cand[pk->at++];
        if (x2go_sysport_free(sp, p))
            return p;
    }
    x2go_seterr("no free TCP port left in 30000-%d", X2GO_PORT_MAX);
    return X2GO_STORE_NOPORT;
}

/* All of a session's new ports in one statement. */
static int insert_ports(struct x2go_store *st, const char *server, const char *sid,
                        const int *ports, int n)
{
    char arr[8 * X2GO_MAX_PORTS + 3] = "{";
    for (int i = 0; i < n; i++)
        snprintf(arr + strlen(arr), sizeof arr - strlen(arr), "%s%d", i ? "," : "", ports[i]);
    strcat(arr, "}");
    const char *p[] = {server, sid, arr};
    long got = x2go_pg_cmd(pgc(st), "insert ports", "INSERT INTO used_ports(server,session_id,"
                           "port) SELECT $1, $2, unnest($3::int[])", 3, p);
    if (got >= 0 && got != n)
        x2go_seterr("the database refused the ports of %s", sid);
    return got == n ? 0 : -1;
}

static int pick_display(struct x2go_store *st, int start, const struct x2go_sysports *sp)
{
    char sql[512], s[12];
    snprintf(s, sizeof s, "%d", start);
    snprintf(sql, sizeof sql,
             "SELECT d FROM generate_series($1::int, %d) d WHERE d NOT IN"
             " (SELECT display FROM %s) AND 6000 + d NOT IN (SELECT port FROM %s)"
             " ORDER BY d LIMIT %d", X2GO_DISPLAY_MAX,
             st->is_root ? "sessions" : "servers_view", ports_of(st), CANDIDATES);
    const char *p[] = {s};
    int cand[CANDIDATES];
    int n = fetch_ints(pgc(st), "free displays", sql, 1, p, cand, CANDIDATES);
    for (int i = 0; i < n; i++)
        if (x2go_sysdisplay_free(sp, cand[i]))
            return cand[i];
    if (n >= 0)
        x2go_seterr("no free display number between %d and %d", start, X2GO_DISPLAY_MAX);
    return -1;
}

/* Limits counted inside the transaction, on the owner's own rows. */
static int check_limits(struct x2go_store *st, const struct x2go_reserve_req *r)
{
    long cap = r->cap > 0 ? r->cap : st->is_root ? 0 : X2GO_USER_ROWS_MAX;
    if (r->limit <= 0 && cap <= 0)
        return 0;
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE uname=$1 AND status!='F'",
             st->is_root ? "sessions" : "sessions_view");
    const char *p[] = {r->owner};
    int count;
    if (fetch_ints(pgc(st), "count sessions", sql, 1, p, &count, 1) != 1)
        return -1;
    if (r->limit > 0 && count - (long)r->ndead >= r->limit) {
        x2go_seterr("LIMIT: the configured session limit (%ld) is reached", r->limit);
        return X2GO_STORE_LIMIT;
    }
    if (cap > 0 && count >= cap) {
        x2go_seterr("LIMIT: at most %ld sessions per user", cap);
        return X2GO_STORE_LIMIT;
    }
    return 0;
}

/* The id x2gostartagent would build, checked against the sanitizer's
 * grammar before it goes into the database. */
static int name_session(const struct x2go_reserve_req *r, struct x2go_reservation *out)
{
    int rc = x2go_sid_build(out->sid, sizeof out->sid, r->owner, out->display, r->epoch,
                            r->type, r->command, r->depth, r->xdmcp);
    return rc < 0 ? rc : x2go_sid_parse(out->sid, NULL);
}

static int reserve_locked(struct x2go_store *st, const struct x2go_reserve_req *r,
                          const struct x2go_sysports *sp, struct x2go_reservation *out)
{
    PGconn *pg = pgc(st);
    int rc;
    if (x2go_pg_cmd(pg, "lock", "SELECT pg_advisory_xact_lock(" LOCK_KEY ")", 0, NULL) < 0)
        return -1;
    if ((rc = check_limits(st, r)) < 0)
        return rc;
    int display = pick_display(st, r->display_start, sp);
    if (display < 0)
        return -1;
    out->display = display;
    if (name_session(r, out) < 0)
        return -1;
    char ds[12];
    snprintf(ds, sizeof ds, "%d", display);
    const char *p[] = {ds, r->server, r->owner, out->sid};
    long n = x2go_pg_cmd(pg, "insert session", "INSERT INTO sessions(display,server,uname,"
                         "session_id) VALUES($1,$2,$3,$4)", 4, p);
    if (n == 0)
        x2go_seterr("the database refused the new session row");
    if (n != 1)
        return -1;
    int want = r->nports < X2GO_MAX_PORTS ? r->nports : X2GO_MAX_PORTS;
    struct picker pk;
    for (int i = 0; i < X2GO_MAX_PORTS; i++)
        out->ports[i] = -1;
    if (want <= 0)
        return 0;
    if (load_ports(st, r->port_start, &pk) < 0)
        return -1;
    for (int i = 0; i < want; i++)
        if ((out->ports[i] = next_port(&pk, sp)) < 0)
            return out->ports[i];
    return insert_ports(st, r->server, out->sid, out->ports, want);
}

struct reserve_args {
    const struct x2go_reserve_req *r;
    struct x2go_reservation *out;
};

static int reserve_step(struct x2go_store *st, const struct x2go_sysports *sp, void *arg)
{
    struct reserve_args *a = arg;
    return reserve_locked(st, a->r, sp, a->out);
}

/* fn in one transaction, with a snapshot of this host's ports. A unique-
 * key collision means a reference host took a number meanwhile: start
 * over with fresh numbers, a bounded number of times. */
static int in_tx(struct x2go_store *st, int (*fn)(struct x2go_store *,
                                                  const struct x2go_sysports *, void *),
                 void *arg)
{
    struct x2go_sysports *sp = malloc(sizeof *sp);
    if (!sp)
        abort();
    int rc = x2go_sysports_load(sp);
    for (int t = 0; rc == 0 && t < COLLISION_TRIES; t++) {
        if ((rc = x2go_pg_begin(pgc(st))) < 0)
            break;
        rc = x2go_pg_finish(pgc(st), fn(st, sp, arg));
        if (rc != -1 || strcmp(x2go_pg_last_state(), "23505") != 0)
            break;
        rc = 0;
    }
    free(sp);
    return rc;
}

int x2go_pg_reserve(struct x2go_store *st, const struct x2go_reserve_req *r,
                    struct x2go_reservation *out)
{
    if (!st->is_root && strcmp(r->owner, st->caller) != 0) {
        x2go_seterr("cannot reserve a session for another user");
        return -1;
    }
    struct reserve_args a = {r, out};
    return in_tx(st, reserve_step, &a);
}

/* Keep the ports still free on this host, replace the others. */
static int resume_locked(struct x2go_store *st, const char *sid, const char *client,
                         int port_start, int ports[X2GO_MAX_PORTS],
                         const struct x2go_sysports *sp)
{
    struct x2go_session cur;
    int rc;
    if (x2go_pg_cmd(pgc(st), "lock", "SELECT pg_advisory_xact_lock(" LOCK_KEY ")", 0,
                    NULL) < 0)
        return -1;
    if ((rc = x2go_pg_get(st, sid, &cur)) != 0)
        return rc;
    int have[X2GO_MAX_PORTS] = {cur.gr_port, cur.sound_port, cur.fs_port,
                                cur.tekictrl_port, cur.tekidata_port};
    struct picker pk = {.n = -1};
    for (int i = 0; i < X2GO_MAX_PORTS; i++) {
        int p = have[i];
        bool set = p != X2GO_NULL_INT && p > 0;
        ports[i] = p == X2GO_NULL_INT ? -1 : p;
        if (!(i < 3 || set) || (set && x2go_sysport_free(sp, p)))
            continue;
        char ps[12];
        snprintf(ps, sizeof ps, "%d", p);
        const char *dp[] = {sid, ps};
        if (set && x2go_pg_cmd(pgc(st), "free port", "DELETE FROM used_ports"
                               " WHERE session_id=$1 AND port=$2", 2, dp) < 0)
            return -1;
        if (pk.n < 0 && load_ports(st, port_start, &pk) < 0)
            return -1;
        int np = next_port(&pk, sp);
        if (np < 0)
            return np;
        if (insert_ports(st, cur.server, sid, &np, 1) < 0)
            return -1;
        ports[i] = np;
    }
    char sql[320], pt[X2GO_MAX_PORTS][12];
    snprintf(sql, sizeof sql, "UPDATE %s SET status='R', last_time=now(), client=$2,"
             " gr_port=$3, sound_port=$4, fs_port=$5, tekictrl_port=$6, tekidata_port=$7"
             " WHERE session_id=$1", st->is_root ? "sessions" : "sessions_view");
    const char *p[7] = {sid, client};
    for (int i = 0; i < X2GO_MAX_PORTS; i++) {
        snprintf(pt[i], sizeof pt[i], "%d", ports[i]);
        p[2 + i] = pt[i];
    }
    long n = x2go_pg_cmd(pgc(st), "resume", sql, 7, p);
    return n < 0 ? -1 : n ? 0 : 1;
}

struct resume_args {
    const char *sid, *client;
    int port_start;
    int *ports;
};

static int resume_step(struct x2go_store *st, const struct x2go_sysports *sp, void *arg)
{
    struct resume_args *a = arg;
    return resume_locked(st, a->sid, a->client, a->port_start, a->ports, sp);
}

int x2go_pg_resume(struct x2go_store *st, const char *sid, const char *client,
                   int port_start, int ports[X2GO_MAX_PORTS])
{
    struct resume_args a = {sid, client, port_start, ports};
    return in_tx(st, resume_step, &a);
}
