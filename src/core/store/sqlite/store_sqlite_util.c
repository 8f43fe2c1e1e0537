/* SQLite plumbing shared by the backend: errors, statements, transactions
 * and opening. Errors name their cause; a full file system says so, and
 * nothing here ever suggests recreating the database. */
#include "store_sqlite_int.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#define BEGIN_TRIES 2

int x2go_sq_fail(sqlite3 *db, const char *what)
{
    int code = sqlite3_errcode(db);
    if (code == SQLITE_FULL)
        x2go_seterr("session database: %s: the file system holding it is full", what);
    else
        x2go_seterr("session database: %s: %s", what, sqlite3_errmsg(db));
    return -1;
}

int x2go_sq_exec(sqlite3 *db, const char *sql)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return x2go_sq_fail(db, "statement failed");
    return 0;
}

/* BEGIN IMMEDIATE takes the write lock up front, so two starts never both
 * read the same free display. The busy handler waits (bounded); one more
 * try covers the rare SQLITE_BUSY that bypasses it. */
int x2go_sq_begin(sqlite3 *db)
{
    for (int i = 0; i < BEGIN_TRIES; i++) {
        int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            return 0;
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
            break;
    }
    return x2go_sq_fail(db, "cannot lock the database");
}

int x2go_sq_finish(sqlite3 *db, int rc)
{
    if (rc == 0 && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        return 0;
    if (rc == 0)
        rc = x2go_sq_fail(db, "commit");
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

sqlite3_stmt *x2go_sq_prep(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        x2go_sq_fail(db, "prepare");
        return NULL;
    }
    return s;
}

sqlite3 *x2go_sq_open(const char *path, int flags)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
        bool missing = access(path, F_OK) < 0 && errno == ENOENT;
        x2go_seterr("cannot open the session database %s: %s%s", path,
                    db ? sqlite3_errmsg(db) : "out of memory",
                    missing ? " (it does not exist; x2godbadmin --createdb creates it)" : "");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, X2GO_BUSY_TIMEOUT_MS);
    /* Keep the -wal and -shm files when the last connection closes: a
     * later reader then finds its shared memory already allocated and
     * needs no disk space, so listing works on a full file system. */
    int persist = 1;
    sqlite3_file_control(db, NULL, SQLITE_FCNTL_PERSIST_WAL, &persist);
    return db;
}
