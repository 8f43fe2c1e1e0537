/* Internals shared by the PostgreSQL backend's files (not a public API).
 * libpq is loaded with dlopen on first use, so commands on SQLite hosts
 * never pay for resolving libpq and its TLS and Kerberos libraries. */
#ifndef X2GO_STORE_PG_INT_H
#define X2GO_STORE_PG_INT_H

#include "store.h"

#include <libpq-fe.h>

/* The libpq entry points we use: name, return type, arguments. */
#define X2GO_PQ_FUNCS(F)                                                        \
    F(PQconnectdbParams, PGconn *, (const char *const *, const char *const *, int)) \
    F(PQstatus, ConnStatusType, (const PGconn *))                               \
    F(PQerrorMessage, char *, (const PGconn *))                                 \
    F(PQfinish, void, (PGconn *))                                               \
    F(PQexecParams, PGresult *, (PGconn *, const char *, int, const Oid *,      \
                                 const char *const *, const int *, const int *, int)) \
    F(PQresultStatus, ExecStatusType, (const PGresult *))                       \
    F(PQresultErrorField, char *, (const PGresult *, int))                      \
    F(PQresultErrorMessage, char *, (const PGresult *))                         \
    F(PQntuples, int, (const PGresult *))                                       \
    F(PQgetvalue, char *, (const PGresult *, int, int))                         \
    F(PQgetisnull, int, (const PGresult *, int, int))                           \
    F(PQcmdTuples, char *, (PGresult *))                                        \
    F(PQclear, void, (PGresult *))                                              \
    F(PQescapeIdentifier, char *, (PGconn *, const char *, size_t))             \
    F(PQescapeLiteral, char *, (PGconn *, const char *, size_t))                \
    F(PQencryptPasswordConn, char *, (PGconn *, const char *, const char *, const char *)) \
    F(PQfreemem, void, (void *))                                                \
    F(PQsetNoticeProcessor, PQnoticeProcessor, (PGconn *, PQnoticeProcessor, void *))

#define X2GO_PQ_PTR(name, ret, args) ret(*name) args;
struct x2go_pq {
    X2GO_PQ_FUNCS(X2GO_PQ_PTR)
};
#undef X2GO_PQ_PTR

/* The loaded library, or NULL with the error set. */
const struct x2go_pq *x2go_pq(void);

/* [postgres] of x2gosql/sql, checked against a strict grammar. */
struct x2go_pg_conf {
    const char *host, *port, *ssl, *dbadmin;
};
int x2go_pg_conf(struct x2go_pg_conf *c);

#define X2GO_PG_DB "x2go_sessions"
#define X2GO_PG_ADMIN "x2godbuser"
#define X2GO_PG_ROLE_PREFIX "x2gouser_"
#define X2GO_PG_PASSDIR X2GO_CONFDIR "/x2gosql/passwords"
#define X2GO_PG_ADMIN_PASSFILE X2GO_PG_PASSDIR "/x2gopgadmin"
#define X2GO_PG_DBADMIN_PASSFILE X2GO_PG_PASSDIR "/pgadmin"
/* Bounded waits: a down, slow or restarting server is an error the
 * caller sees within seconds, never a hang. A loaded host (backend fork
 * and SCRAM login) took over 5 s to accept once. */
#define X2GO_PG_CONNECT_TIMEOUT "10"
#define X2GO_PG_OPTIONS "-c statement_timeout=10000 -c lock_timeout=8000" \
                        " -c idle_in_transaction_session_timeout=15000"

/* Read the first line of a password file that only its owner (owner must
 * be uid) can read. 0, or -1 with a clear error. */
int x2go_pg_read_password(const char *path, uid_t uid, char *buf, size_t len);
/* Connect to db as user; NULL with the error set. */
PGconn *x2go_pg_connect(const struct x2go_pg_conf *c, const char *db, const char *user,
                        const char *password);

/* Run one statement with text parameters (NULL for SQL NULL). Returns the
 * result (tuples or command ok), or NULL with the error set naming what. */
PGresult *x2go_pg_run(PGconn *pg, const char *what, const char *sql, int n,
                      const char *const *params);
/* From now on, a statement failing on a missing table or column (a
 * database of another schema) says so, naming where (the database, its
 * host and port): the session store's connections need no probe query. */
void x2go_pg_expect_schema(const char *where);
/* SQLSTATE of the last failed statement ("" if none was given). */
const char *x2go_pg_last_state(void);
/* As x2go_pg_run for commands: affected rows, or -1. */
long x2go_pg_cmd(PGconn *pg, const char *what, const char *sql, int n,
                 const char *const *params);
int x2go_pg_begin(PGconn *pg);
/* COMMIT when rc >= 0, else ROLLBACK; returns rc (or -1 if COMMIT failed). */
int x2go_pg_finish(PGconn *pg, int rc);

struct pg_store {
    struct x2go_store base; /* first: x2go_store_new allocates the whole */
    PGconn *pg;
};

static inline PGconn *pgc(struct x2go_store *st) { return ((struct pg_store *)st)->pg; }

int x2go_pg_get(struct x2go_store *st, const char *sid, struct x2go_session *out);
int x2go_pg_reserve(struct x2go_store *st, const struct x2go_reserve_req *r,
                    struct x2go_reservation *out);
int x2go_pg_resume(struct x2go_store *st, const char *sid, const char *client,
                   int port_start, int ports[X2GO_MAX_PORTS]);
/* The mounts table (store_pg_mounts.c). */
int x2go_pg_mount_add(struct x2go_store *st, const char *sid, const char *path,
                      const char *client);
int x2go_pg_mount_list(struct x2go_store *st, const char *sid, char **out);
int x2go_pg_mount_del(struct x2go_store *st, const char *sid, const char *path);

/* The session history (store_pg_history.c). */
extern const char *const x2go_pg_history_schema[];
extern const size_t x2go_pg_history_schema_len;
int x2go_pg_history_retain(struct x2go_store *st, long long secs);
int x2go_pg_history(struct x2go_store *st, const struct x2go_hist_query *q,
                    struct x2go_hist_list *out);
int x2go_pg_usage(struct x2go_store *st, struct x2go_store_usage *out);
int x2go_pg_end(struct x2go_store *st, const char *sid);

#endif
