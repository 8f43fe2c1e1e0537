/* x2godbadmin (root): create or update the SQLite session database with
 * the reference schema, owners and modes (spec 2.6); PostgreSQL actions
 * are in dbadmin_pg.c. */
#include "cmd.h"
#include "dbadmin_pg.h"
#include "conf.h"
#include "store.h"
#include "util.h"
#include "x2go-config.h"

#include <errno.h>
#include <grp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_text[] =
    /* One line, as the reference prints it (spec 2.6). */
    "X2Go SQL admin interface. Use it to create x2go database and insert or remove users or"
    " groups in x2go database\n"
    "Usage:\n"
    "x2godbadmin --createdb|--updatedb|--listsessions_all|--listusers|--adduser <user>|\n"
    "            --rmuser <user>|--addgroup <group>|--rmgroup <group>|--help\n";

/* The database and the WAL and shared-memory files kept next to it: the
 * store server (group x2gouser) must be able to write all three. */
static int fix_modes(gid_t gid)
{
    static const char *const files[] = {X2GO_DB_PATH, X2GO_DB_PATH "-wal",
                                        X2GO_DB_PATH "-shm"};
    if (chown(X2GO_STATEDIR, 0, gid) < 0 || chmod(X2GO_STATEDIR, 0770) < 0)
        return x2go_cmd_fail(1, "cannot set owner and mode of %s: %s", X2GO_STATEDIR,
                             strerror(errno));
    for (size_t i = 0; i < X2GO_ARRAY_LEN(files); i++) {
        if (i > 0 && access(files[i], F_OK) < 0)
            continue;
        if (chown(files[i], 0, gid) < 0 || chmod(files[i], 0660) < 0)
            return x2go_cmd_fail(1, "cannot set owner and mode of %s: %s", files[i],
                                 strerror(errno));
    }
    return 0;
}

static int createdb(gid_t gid)
{
    if (mkdir(X2GO_STATEDIR, 0770) < 0 && errno != EEXIST) {
        return x2go_cmd_fail(1, "cannot create %s: %s", X2GO_STATEDIR, strerror(errno));
    }
    static const char *const files[] = {X2GO_DB_PATH, X2GO_DB_PATH "-wal",
                                        X2GO_DB_PATH "-shm", X2GO_DB_PATH "-journal"};
    for (size_t i = 0; i < X2GO_ARRAY_LEN(files); i++)
        if (unlink(files[i]) < 0 && errno != ENOENT) {
            return x2go_cmd_fail(1, "cannot remove %s: %s", files[i], strerror(errno));
        }
    if (x2go_store_sqlite_create(X2GO_DB_PATH) < 0)
        return x2go_cmd_error(1);
    return fix_modes(gid);
}

static int listall(FILE *out, enum x2go_backend be)
{
    struct x2go_store *st = be == X2GO_BACKEND_POSTGRES
                                ? x2go_store_pg_open("root", true)
                                : x2go_store_sqlite_open(X2GO_DB_PATH, "root", true);
    if (!st)
        return x2go_cmd_error(1);
    struct x2go_list_query q = {X2GO_LIST_ROOT, NULL};
    struct x2go_session_list l = {0};
    int rc = st->ops->list(st, &q, &l);
    char line[2048];
    for (size_t i = 0; rc == 0 && i < l.n; i++)
        if (x2go_session_format(&l.s[i], 16, line, sizeof line) >= 0)
            fprintf(out, "%s\n", line);
    x2go_list_free(&l);
    x2go_store_close(st);
    return rc < 0 ? x2go_cmd_error(1) : 0;
}

static int run(int argc, char **argv, FILE *out)
{
    const char *action = argc ? argv[0] : "--help";
    static const char *const with_arg[] = {"--adduser", "--rmuser", "--addgroup", "--rmgroup"};
    static const char *const without[] = {"--createdb", "--updatedb", "--listsessions_all",
                                          "--listusers", "--help"};
    bool known = false, takes_arg = false;
    for (size_t i = 0; i < X2GO_ARRAY_LEN(with_arg); i++)
        if (!strcmp(action, with_arg[i]))
            known = takes_arg = true;
    for (size_t i = 0; i < X2GO_ARRAY_LEN(without); i++)
        if (!strcmp(action, without[i]))
            known = true;
    if (!known || argc != (takes_arg ? 2 : argc ? 1 : 0)) {
        return x2go_cmd_fail(2, "unknown or incomplete action; see x2godbadmin --help");
    }
    if (!strcmp(action, "--help")) {
        fputs(usage_text, out);
        return 0;
    }
    enum x2go_backend be;
    if (x2go_conf_backend(&be) < 0)
        return x2go_cmd_error(1);
    if (!strcmp(action, "--listsessions_all"))
        return listall(out, be);
    if (be == X2GO_BACKEND_POSTGRES)
        return x2go_dbadmin_pg(action, takes_arg ? argv[1] : NULL, out);
    if (takes_arg || !strcmp(action, "--listusers")) {
        fputs("Only \"--createdb\" and \"--updatedb\" options are available with SQLite3 backend\n",
              out);
        return 0;
    }
    struct group *gr = getgrnam(X2GO_DBGROUP);
    if (!gr) {
        return x2go_cmd_fail(1, "Can not find group (%s); create it first", X2GO_DBGROUP);
    }
    if (!strcmp(action, "--createdb") || access(X2GO_DB_PATH, F_OK) < 0)
        return createdb(gr->gr_gid);
    /* Refuse a file that is no session database before touching it: the
     * column probe of the update cannot tell "no such column" from "not a
     * database" and would announce columns it then fails to add. */
    struct x2go_store *probe = x2go_store_sqlite_open(X2GO_DB_PATH, "root", true);
    if (!probe)
        return x2go_cmd_error(1);
    x2go_store_close(probe);
    const char *added[4];
    int n = x2go_store_sqlite_update(X2GO_DB_PATH, added, X2GO_ARRAY_LEN(added));
    if (n < 0)
        return x2go_cmd_error(1);
    for (int i = 0; i < n; i++)
        fprintf(out, "ADDING: %s column to table sessions\n", added[i]);
    return fix_modes(gr->gr_gid);
}

X2GO_COMMAND(dbadmin, "x2godbadmin", X2GO_SBIN,
             "--createdb|--updatedb|--listsessions_all|--listusers|--adduser <user>|--rmuser <user>|"
             "--addgroup <group>|--rmgroup <group>|--help", 0, 2,
             X2GO_CMD_ROOT, run);
