/* PostgreSQL plumbing: loading libpq, the [postgres] settings, password
 * files, connecting with bounded timeouts, and running statements with
 * parameters (never SQL built from outside text). */
#include "store_pg_int.h"
#include "conf.h"
#include "util.h"
#include "x2go-config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define X2GO_PQ_LOAD(name, ret, args)                                  \
    if (!(*(void **)(&api.name) = dlsym(h, #name))) {                  \
        x2go_seterr("libpq.so.5 lacks %s; install a newer libpq5", #name); \
        return NULL;                                                   \
    }

const struct x2go_pq *x2go_pq(void)
{
    static struct x2go_pq api;
    static bool loaded;
    if (loaded)
        return &api;
    void *h = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        x2go_seterr("the PostgreSQL backend needs libpq (install libpq5): %s", dlerror());
        return NULL;
    }
    X2GO_PQ_FUNCS(X2GO_PQ_LOAD)
    loaded = true;
    return &api;
}

static bool word_ok(const char *s, const char *extra)
{
    if (!*s || strlen(s) > 255)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || strchr(extra, *p)))
            return false;
    return true;
}

/* [postgres] key of x2gosql/sql, with the reference's default. */
static int sql_str(const char *key, const char *def, const char **out)
{
    const struct x2go_ini *ini = x2go_sql_conf();
    int line, r = ini ? x2go_ini_lookup(ini, "postgres", key, out, &line) : -1;
    if (r == 0)
        *out = def;
    return r < 0 ? -1 : 0;
}

int x2go_pg_conf(struct x2go_pg_conf *c)
{
    if (sql_str("host", "localhost", &c->host) < 0 || sql_str("port", "5432", &c->port) < 0 ||
        sql_str("ssl", "prefer", &c->ssl) < 0 ||
        sql_str("dbadmin", "postgres", &c->dbadmin) < 0)
        return -1;
    long port;
    static const char *const modes[] = {"disable", "allow", "prefer", "require",
                                        "verify-ca", "verify-full"};
    bool mode_ok = false;
    for (size_t i = 0; i < X2GO_ARRAY_LEN(modes); i++)
        mode_ok |= strcmp(c->ssl, modes[i]) == 0;
    const char *bad = !word_ok(c->host, ".-_:/") ? "host"
                      : x2go_parse_long(c->port, 1, 65535, &port) < 0 ? "port"
                      : !mode_ok ? "ssl"
                      : !word_ok(c->dbadmin, "._-") ? "dbadmin" : NULL;
    if (bad) {
        x2go_seterr("%s: [postgres] %s is not valid", X2GO_SQL_CONF, bad);
        return -1;
    }
    return 0;
}

int x2go_pg_read_password(const char *path, uid_t uid, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        x2go_seterr("cannot read the PostgreSQL password file %s (%s); run x2godbadmin "
                    "--adduser on the server", path, strerror(errno));
        return -1;
    }
    struct stat sb;
    ssize_t n = -1;
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_uid != uid)
        x2go_seterr("the database password file %s is not a regular file owned by uid %u",
                    path, (unsigned)uid);
    else if (sb.st_mode & 077)
        x2go_seterr("the database password file %s can be read by others (mode %03o); "
                    "chmod 600 it and renew the password (x2godbadmin --adduser)",
                    path, (unsigned)(sb.st_mode & 0777));
    else if ((n = read(fd, buf, len - 1)) < 0)
        x2go_seterr("cannot read %s: %s", path, strerror(errno));
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    if (!*buf) {
        x2go_seterr("the database password file %s is empty", path);
        return -1;
    }
    return 0;
}

static void quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg; /* server NOTICEs are not for the client's stderr */
}

static void first_line(char *s)
{
    s[strcspn(s, "\r\n")] = '\0';
}

PGconn *x2go_pg_connect(const struct x2go_pg_conf *c, const char *db, const char *user,
                        const char *password)
{
    const struct x2go_pq *pq = x2go_pq();
    if (!pq)
        return NULL;
    const char *const keys[] = {"host", "port", "dbname", "user", "password", "sslmode",
                                "connect_timeout", "options", "application_name",
                                "client_encoding", NULL};
    const char *const vals[] = {c->host, c->port, db, user, password, c->ssl,
                                X2GO_PG_CONNECT_TIMEOUT, X2GO_PG_OPTIONS, "x2goserver",
                                "UTF8", NULL};
    PGconn *pg = pq->PQconnectdbParams(keys, vals, 0);
    if (!pg)
        abort();
    if (pq->PQstatus(pg) != CONNECTION_OK) {
        char why[512];
        snprintf(why, sizeof why, "%s", pq->PQerrorMessage(pg));
        first_line(why);
        x2go_seterr("cannot connect to the PostgreSQL session database %s on %s:%s as %s: %s",
                    db, c->host, c->port, user, why);
        pq->PQfinish(pg);
        return NULL;
    }
    pq->PQsetNoticeProcessor(pg, quiet, NULL);
    return pg;
}

static char last_state[6];
static char schema_where[320];

void x2go_pg_expect_schema(const char *where)
{
    snprintf(schema_where, sizeof schema_where, "%s", where);
}

const char *x2go_pg_last_state(void)
{
    return last_state;
}

PGresult *x2go_pg_run(PGconn *pg, const char *what, const char *sql, int n,
                      const char *const *params)
{
    const struct x2go_pq *pq = x2go_pq();
    PGresult *r = pq->PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType s = r ? pq->PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK)
        return r;
    const char *state = r ? pq->PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    snprintf(last_state, sizeof last_state, "%s", state ? state : "");
    char why[512];
    snprintf(why, sizeof why, "%s", r ? pq->PQresultErrorMessage(r) : pq->PQerrorMessage(pg));
    first_line(why);
    /* 42P01 undefined table, 42703 undefined column */
    if (*schema_where && (strcmp(last_state, "42P01") == 0 || strcmp(last_state, "42703") == 0))
        x2go_seterr("%s is not an X2Go session database (%s); run x2godbadmin --createdb or "
                    "--updatedb", schema_where, why);
    else
        x2go_seterr("session database: %s: %s", what, why);
    pq->PQclear(r);
    return NULL;
}

long x2go_pg_cmd(PGconn *pg, const char *what, const char *sql, int n,
                 const char *const *params)
{
    PGresult *r = x2go_pg_run(pg, what, sql, n, params);
    if (!r)
        return -1;
    long count = atol(x2go_pq()->PQcmdTuples(r));
    x2go_pq()->PQclear(r);
    return count;
}

int x2go_pg_begin(PGconn *pg)
{
    return x2go_pg_cmd(pg, "begin", "BEGIN", 0, NULL) < 0 ? -1 : 0;
}

int x2go_pg_finish(PGconn *pg, int rc)
{
    if (rc < 0) {
        char keep[512];
        snprintf(keep, sizeof keep, "%s", x2go_err());
        x2go_pg_cmd(pg, "rollback", "ROLLBACK", 0, NULL);
        x2go_seterr("%s", keep);
        return rc;
    }
    return x2go_pg_cmd(pg, "commit", "COMMIT", 0, NULL) < 0 ? -1 : rc;
}
