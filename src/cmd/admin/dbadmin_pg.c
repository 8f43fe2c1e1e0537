/* x2godbadmin on PostgreSQL (spec 2.6): create or update the session
 * database, list, add and remove the users' roles. Passwords come from
 * getrandom(), are never printed, and are written 0600 atomically; a
 * user's file is written by a child running as that user, so nothing in
 * the user's home can redirect root's writes. */
#include "dbadmin_pg.h"
#include "cmd.h"
#include "sid.h"
#include "store_pg_admin.h"
#include "util.h"
#include "x2go-config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static PGconn *admin_connect(const char *db, struct x2go_pg_conf *c)
{
    char pw[256];
    if (x2go_pg_conf(c) < 0 || x2go_pg_read_password(X2GO_PG_DBADMIN_PASSFILE, 0, pw,
                                                     sizeof pw) < 0)
        return NULL;
    PGconn *pg = x2go_pg_connect(c, db, c->dbadmin, pw);
    explicit_bzero(pw, sizeof pw);
    return pg;
}

static int fail(PGconn *pg)
{
    if (pg)
        x2go_pq()->PQfinish(pg);
    return x2go_cmd_error(1);
}

/* Run fn as the user in a child: the user's own rights on the user's own
 * files. 0 when the child succeeded, -1 with the error set. */
static int as_user(const struct passwd *pw, int (*fn)(const char *home, const char *arg),
                   const char *arg)
{
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0)
        return x2go_seterr("pipe: %s", strerror(errno)), -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(pfd[0]);
        umask(077);
        int rc = setgroups(0, NULL) == 0 && setgid(pw->pw_gid) == 0 &&
                 setuid(pw->pw_uid) == 0 ? fn(pw->pw_dir, arg)
                 : (x2go_seterr("cannot become %s: %s", pw->pw_name, strerror(errno)), -1);
        if (rc < 0 && write(pfd[1], x2go_err(), strlen(x2go_err())) < 0)
            _exit(2);
        _exit(rc < 0);
    }
    close(pfd[1]);
    char msg[512] = "";
    ssize_t n = pid < 0 ? -1 : read(pfd[0], msg, sizeof msg - 1);
    close(pfd[0]);
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
        msg[n > 0 ? n : 0] = '\0';
        x2go_seterr("%s", *msg ? msg : "the child writing the user's files failed");
        return -1;
    }
    return 0;
}

static int write_passfile(const char *home, const char *password)
{
    char dir[4200], path[4300];
    struct stat sb;
    if (x2go_fmt(dir, sizeof dir, "%s/.x2go", home) < 0 ||
        x2go_fmt(path, sizeof path, "%s/pgsqlpass", dir) < 0)
        return -1;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return x2go_seterr("cannot create %s: %s", dir, strerror(errno)), -1;
    if (lstat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode) || sb.st_uid != getuid() ||
        chmod(dir, 0700) < 0)
        return x2go_seterr("%s is not a directory of the user", dir), -1;
    return x2go_write_file_atomic(path, password, strlen(password), 0600);
}

static int remove_passfiles(const char *home, const char *unused)
{
    (void)unused;
    static const char *const names[] = {"pgsqlpass", "sqlpass"};
    for (size_t i = 0; i < X2GO_ARRAY_LEN(names); i++) {
        char path[4300];
        if (x2go_fmt(path, sizeof path, "%s/.x2go/%s", home, names[i]) < 0)
            return -1;
        if (unlink(path) < 0 && errno != ENOENT && errno != ENOTDIR)
            return x2go_seterr("cannot remove %s: %s", path, strerror(errno)), -1;
    }
    return 0;
}

static int role_of(const char *user, char *role, size_t len)
{
    if (!x2go_username_valid(user) || strlen(user) > 50) {
        x2go_seterr("invalid user name '%s'", user);
        return -1;
    }
    return x2go_fmt(role, len, X2GO_PG_ROLE_PREFIX "%s", user);
}

/* The role and the password file change together: the role's transaction
 * commits only after the file is in place. */
static int add_user(PGconn *pg, const char *user, FILE *out)
{
    struct passwd *pw = getpwnam(user);
    char role[128], pass[X2GO_PG_PASSWORD_LEN + 1];
    if (!pw) {
        return x2go_cmd_fail(1, "Cannot find user (%s)", user);
    }
    if (pw->pw_uid == 0) {
        return x2go_cmd_fail(1, "The super-user \"root\" is not allowed to use X2Go");
    }
    if (role_of(user, role, sizeof role) < 0 || x2go_pg_admin_password(pass, sizeof pass) < 0 ||
        x2go_pg_begin(pg) < 0)
        return x2go_cmd_error(1);
    int rc = x2go_pg_admin_add_role(pg, role, pass);
    if (rc == 0)
        rc = as_user(pw, write_passfile, pass);
    explicit_bzero(pass, sizeof pass);
    if (x2go_pg_finish(pg, rc) < 0)
        return x2go_cmd_error(1);
    fprintf(out, "create DB user \"%s\"\n", role);
    return 0;
}

static int rm_user(PGconn *pg, const char *user, FILE *out)
{
    char role[128];
    if (role_of(user, role, sizeof role) < 0 || x2go_pg_begin(pg) < 0)
        return x2go_cmd_error(1);
    if (x2go_pg_finish(pg, x2go_pg_admin_drop_role(pg, role)) < 0)
        return x2go_cmd_error(1);
    /* A user already gone from the system still loses the role. */
    struct passwd *pw = getpwnam(user);
    if (pw && pw->pw_uid != 0 && as_user(pw, remove_passfiles, NULL) < 0)
        return x2go_cmd_error(1);
    fprintf(out, "rm DB user \"%s\"\n", role);
    return 0;
}

/* Members listed in the group entry (not those whose primary group it
 * is), as the reference. */
static int each_member(PGconn *pg, const char *group, bool add, FILE *out)
{
    struct group *gr = getgrnam(group);
    if (!gr) {
        return x2go_cmd_fail(1, "Cannot find group (%s)", group);
    }
    int rc = 0;
    for (char **m = gr->gr_mem; *m && rc == 0; m++)
        rc = add ? add_user(pg, *m, out) : rm_user(pg, *m, out);
    return rc;
}

static int list_users(FILE *out)
{
    struct x2go_pg_conf c;
    PGconn *pg = admin_connect("postgres", &c);
    PGresult *r = pg ? x2go_pg_run(pg, "list roles", "SELECT substr(rolname, 10) FROM"
                                   " pg_roles WHERE rolname LIKE 'x2gouser\\_%'"
                                   " ORDER BY rolname", 0, NULL) : NULL;
    if (!r)
        return fail(pg);
    fprintf(out, "%-20s DB user\n", "UNIX user");
    fprintf(out, "---------------------------------------\n");
    for (int i = 0, n = x2go_pq()->PQntuples(r); i < n; i++) {
        const char *u = x2go_pq()->PQgetvalue(r, i, 0);
        fprintf(out, "%-20s " X2GO_PG_ROLE_PREFIX "%s\n", u, u);
    }
    x2go_pq()->PQclear(r);
    x2go_pq()->PQfinish(pg);
    return 0;
}

static int write_admin_password(const char *pass)
{
    if (mkdir(X2GO_PG_PASSDIR, 0700) < 0 && errno != EEXIST)
        return x2go_seterr("cannot create %s: %s", X2GO_PG_PASSDIR, strerror(errno)), -1;
    return x2go_write_file_atomic(X2GO_PG_ADMIN_PASSFILE, pass, strlen(pass), 0600);
}

/* Drop and create database and admin role, then the schema. The admin's
 * password file is written first: never a role whose password is lost. */
static int createdb(void)
{
    struct x2go_pg_conf c;
    char pass[X2GO_PG_PASSWORD_LEN + 1], sql[768];
    PGconn *pg = admin_connect("postgres", &c);
    if (!pg || x2go_pg_admin_password(pass, sizeof pass) < 0 ||
        write_admin_password(pass) < 0)
        return fail(pg);
    int rc = x2go_pg_cmd(pg, "drop database", "DROP DATABASE IF EXISTS " X2GO_PG_DB, 0,
                         NULL) < 0 ||
             x2go_pg_cmd(pg, "drop admin role", "DROP ROLE IF EXISTS " X2GO_PG_ADMIN, 0,
                         NULL) < 0 ||
             x2go_pg_cmd(pg, "create database", "CREATE DATABASE " X2GO_PG_DB, 0, NULL) < 0 ||
             x2go_pg_admin_role_sql(pg, "CREATE ROLE", X2GO_PG_ADMIN, pass, sql,
                                    sizeof sql) < 0 ||
             x2go_pg_cmd(pg, "create admin role", sql, 0, NULL) < 0;
    explicit_bzero(pass, sizeof pass);
    explicit_bzero(sql, sizeof sql);
    x2go_pq()->PQfinish(pg);
    if (rc)
        return x2go_cmd_error(1);
    pg = admin_connect(X2GO_PG_DB, &c);
    if (!pg || x2go_pg_admin_schema(pg) < 0)
        return fail(pg);
    x2go_pq()->PQfinish(pg);
    return 0;
}

static int add_columns(PGconn *pg, FILE *out)
{
    static const char *const cols[] = {"tekictrl_port", "tekidata_port"};
    int added = 0;
    for (size_t i = 0; i < X2GO_ARRAY_LEN(cols); i++) {
        const char *p[] = {cols[i]};
        PGresult *r = x2go_pg_run(pg, "probe column", "SELECT 1 FROM information_schema.columns"
                                  " WHERE table_name='sessions' AND column_name=$1", 1, p);
        if (!r)
            return -1;
        int have = x2go_pq()->PQntuples(r);
        x2go_pq()->PQclear(r);
        if (have)
            continue;
        fprintf(out, "ADDING: %s column to table sessions\n", cols[i]);
        char sql[96];
        snprintf(sql, sizeof sql, "ALTER TABLE sessions ADD COLUMN %s int", cols[i]);
        if (x2go_pg_cmd(pg, "add column", sql, 0, NULL) < 0)
            return -1;
        added++;
    }
    return added;
}

static int updatedb(FILE *out)
{
    struct x2go_pg_conf c;
    PGconn *pg = admin_connect(X2GO_PG_DB, &c);
    if (!pg) {
        if (!strstr(x2go_err(), "database \"" X2GO_PG_DB "\" does not exist"))
            return x2go_cmd_error(1);
        fprintf(out, "No session DB found. Use --createdb instead of --updatedb.\n");
        return createdb();
    }
    if (x2go_pg_begin(pg) < 0)
        return fail(pg);
    int n = add_columns(pg, out);
    if (n > 0) {
        fprintf(out, "UPDATING VIEW: sessions_view\n");
        fprintf(out, "UPDATING RULE: update_sess_view\n");
        if (x2go_pg_cmd(pg, "update view", "CREATE OR REPLACE VIEW sessions_view AS SELECT"
                        " agent_pid, session_id, display, server, status, init_time, cookie,"
                        " client, gr_port, sound_port, last_time, uname, fs_port,"
                        " tekictrl_port, tekidata_port FROM sessions"
                        " WHERE creator_id = current_user", 0, NULL) < 0 ||
            x2go_pg_cmd(pg, "update rule", X2GO_PG_SESS_VIEW_RULE, 0, NULL) < 0)
            n = -1;
    }
    if (x2go_pg_finish(pg, n) < 0 || x2go_pg_admin_guard(pg) < 0)
        return fail(pg);
    x2go_pq()->PQfinish(pg);
    return 0;
}

static int with_db(const char *action, const char *arg, FILE *out)
{
    struct x2go_pg_conf c;
    PGconn *pg = admin_connect(X2GO_PG_DB, &c);
    if (!pg)
        return x2go_cmd_error(1);
    int rc = !strcmp(action, "--adduser")   ? add_user(pg, arg, out)
             : !strcmp(action, "--rmuser")  ? rm_user(pg, arg, out)
             : !strcmp(action, "--addgroup") ? each_member(pg, arg, true, out)
                                            : each_member(pg, arg, false, out);
    x2go_pq()->PQfinish(pg);
    return rc;
}

int x2go_dbadmin_pg(const char *action, const char *arg, FILE *out)
{
    if (!x2go_pq())
        return x2go_cmd_error(1);
    if (!strcmp(action, "--createdb"))
        return createdb();
    if (!strcmp(action, "--updatedb"))
        return updatedb(out);
    if (!strcmp(action, "--listusers"))
        return list_users(out);
    return with_db(action, arg, out);
}
