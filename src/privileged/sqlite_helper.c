/* x2go-sqlite-helper: the only code that runs with extra privilege.
 *
 * Installed setgid x2gouser so that unprivileged users can reach the
 * SQLite session database (root:x2gouser 0660 in a 0770 directory), but
 * only through the fixed table of operations below. The caller is the
 * real uid; every argument is checked against its grammar before the
 * database is opened; every statement restricts rows to the caller.
 * No shell, no exec, no environment. */
#include "sid.h"
#include "store.h"
#include "util.h"
#include "validate.h"
#include "x2go-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum arg {
    A_KIND, A_SERVER_OR_ALL, A_SID, A_STATUS, A_SERVER, A_EPOCH, A_TYPE, A_IDCMD,
    A_DEPTH, A_XDMCP, A_DISPLAY, A_PORT, A_NPORTS, A_COOKIE, A_PID, A_CLIENT,
};

struct op {
    const char *name;
    int nargs;
    enum arg args[10];
    bool root_only;
    int (*run)(struct x2go_store *st, char **argv);
};

static int valid(enum arg a, const char *v)
{
    long n;
    switch (a) {
    case A_KIND: return !strcmp(v, "user") || !strcmp(v, "shadow") || !strcmp(v, "root");
    case A_SERVER_OR_ALL: return !strcmp(v, "--all-servers") || x2go_valid_hostname(v);
    case A_SID: return x2go_sid_valid(v);
    case A_STATUS: return strlen(v) == 1 && x2go_status_valid(v[0]);
    case A_SERVER: return x2go_valid_hostname(v);
    case A_EPOCH: return x2go_parse_long(v, 100000000, 999999999999, &n) == 0;
    case A_TYPE: return !strcmp(v, "D") || !strcmp(v, "R") || !strcmp(v, "S");
    case A_IDCMD: return x2go_valid_idcommand(v);
    case A_DEPTH: return x2go_parse_long(v, 1, 99, &n) == 0;
    case A_XDMCP: return !strcmp(v, "-") || x2go_valid_hostname(v);
    case A_DISPLAY: return x2go_parse_long(v, 10, 9999, &n) == 0;
    case A_PORT: return x2go_valid_port(v);
    case A_NPORTS: return !strcmp(v, "3") || !strcmp(v, "5");
    case A_COOKIE: return x2go_valid_cookie(v);
    case A_PID: return x2go_valid_pid(v);
    case A_CLIENT: return x2go_valid_ip(v);
    }
    return 0;
}

static int done(int rc)
{
    if (rc < 0)
        x2go_complain("%s", x2go_err());
    else if (rc == 1)
        x2go_complain("no such session of this user");
    return rc < 0 ? 3 : rc;
}

static int op_list(struct x2go_store *st, char **a)
{
    struct x2go_list_query q = {
        .kind = !strcmp(a[0], "user") ? X2GO_LIST_USER
              : !strcmp(a[0], "shadow") ? X2GO_LIST_SHADOW : X2GO_LIST_ROOT,
        .server = strcmp(a[1], "--all-servers") ? a[1] : NULL,
    };
    struct x2go_session_list l = {0};
    int rc = st->ops->list(st, &q, &l);
    char line[2048];
    for (size_t i = 0; rc == 0 && i < l.n; i++)
        if ((rc = x2go_session_format(&l.s[i], 16, line, sizeof line)) >= 0) {
            puts(line);
            rc = 0;
        }
    x2go_list_free(&l);
    return done(rc);
}

static int op_get(struct x2go_store *st, char **a)
{
    struct x2go_session s;
    char line[2048];
    int rc = st->ops->get(st, a[0], &s);
    if (rc == 0 && x2go_session_format(&s, 16, line, sizeof line) >= 0)
        puts(line);
    return done(rc);
}

static int op_status(struct x2go_store *st, char **a)
{
    return done(st->ops->change_status(st, a[1], a[0][0]));
}

static int op_reserve(struct x2go_store *st, char **a)
{
    struct x2go_reserve_req r = {
        .server = a[0], .owner = st->caller, .epoch = atoll(a[1]), .type = a[2][0],
        .command = a[3], .depth = atoi(a[4]), .xdmcp = strcmp(a[5], "-") ? a[5] : NULL,
        .display_start = atoi(a[6]), .port_start = atoi(a[7]), .nports = atoi(a[8]),
    };
    struct x2go_reservation res;
    int rc = st->ops->reserve(st, &r, &res);
    if (rc == 0)
        printf("%d %s %d %d %d %d %d\n", res.display, res.sid, res.ports[0], res.ports[1],
               res.ports[2], res.ports[3], res.ports[4]);
    return done(rc);
}

static int op_create(struct x2go_store *st, char **a)
{
    int ports[X2GO_MAX_PORTS];
    for (int i = 0; i < X2GO_MAX_PORTS; i++)
        ports[i] = atoi(a[4 + i]);
    return done(st->ops->create(st, a[0], a[1], atol(a[2]), a[3], ports));
}

static int op_resume(struct x2go_store *st, char **a)
{
    int ports[X2GO_MAX_PORTS];
    int rc = st->ops->resume(st, a[0], a[1], atoi(a[2]), ports);
    if (rc == 0)
        printf("%d %d %d %d %d\n", ports[0], ports[1], ports[2], ports[3], ports[4]);
    return done(rc);
}

static int op_remove(struct x2go_store *st, char **a)
{
    return done(st->ops->remove(st, a[0]));
}

static int op_abandon(struct x2go_store *st, char **a)
{
    return done(st->ops->abandon(st, a[0]));
}

static int op_servers(struct x2go_store *st, char **a)
{
    (void)a;
    char buf[65536];
    int rc = st->ops->servers(st, buf, sizeof buf);
    if (rc == 0)
        fputs(buf, stdout);
    return done(rc);
}

static const struct op ops[] = {
    {"list", 2, {A_KIND, A_SERVER_OR_ALL}, false, op_list},
    {"get", 1, {A_SID}, false, op_get},
    {"status", 2, {A_STATUS, A_SID}, false, op_status},
    {"reserve", 9, {A_SERVER, A_EPOCH, A_TYPE, A_IDCMD, A_DEPTH, A_XDMCP, A_DISPLAY,
                    A_PORT, A_NPORTS}, false, op_reserve},
    {"create", 9, {A_SID, A_COOKIE, A_PID, A_CLIENT, A_PORT, A_PORT, A_PORT, A_PORT,
                   A_PORT}, false, op_create},
    {"resume", 3, {A_SID, A_CLIENT, A_PORT}, false, op_resume},
    {"remove", 1, {A_SID}, true, op_remove},
    {"abandon", 1, {A_SID}, false, op_abandon},
    {"servers", 0, {0}, false, op_servers},
};

/* Sanitizer builds only: LeakSanitizer cannot inspect a setgid process
 * (it is not dumpable), so it would turn every run into a failure. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_leaks=0"; }

int main(int argc, char **argv)
{
    x2go_set_progname("x2go-sqlite-helper");
    /* Nothing from the caller's environment may steer us (TMPDIR, locale,
     * SQLite's own variables). Files we create are group-writable so the
     * WAL and shm files stay usable by every user through this helper. */
    clearenv();
    umask(007);
    if (argc < 2) {
        x2go_complain("usage: x2go-sqlite-helper <operation> [arguments]");
        return 2;
    }
    const struct op *op = NULL;
    for (size_t i = 0; i < X2GO_ARRAY_LEN(ops); i++)
        if (!strcmp(argv[1], ops[i].name))
            op = &ops[i];
    if (!op) {
        x2go_complain("unknown operation (see the fixed table in the documentation)");
        return 2;
    }
    if (argc - 2 != op->nargs) {
        x2go_complain("operation %s takes %d arguments, got %d", op->name, op->nargs,
                      argc - 2);
        return 2;
    }
    for (int i = 0; i < op->nargs; i++)
        if (!valid(op->args[i], argv[2 + i])) {
            x2go_complain("operation %s: argument %d is malformed", op->name, i + 1);
            return 2;
        }
    bool root = getuid() == 0;
    if (op->root_only && !root) {
        x2go_complain("operation %s is for root only", op->name);
        return 2;
    }
    char me[X2GO_USER_MAX + 1];
    if (x2go_caller_name(me, sizeof me) < 0 || !x2go_username_valid(me)) {
        x2go_complain("the calling user has no valid name");
        return 2;
    }
    struct x2go_store *st = x2go_store_sqlite_open(X2GO_DB_PATH, me, root);
    if (!st)
        return done(-1);
    int rc = op->run(st, argv + 2);
    if (fflush(stdout) != 0)
        rc = 3;
    x2go_store_close(st);
    return rc;
}
