/* A fresh SQLite session database per test (x2godbadmin's schema) in a
 * temporary file, and raw SQL on it, for the store backend's tests.
 * Include after cmocka.h. */
#ifndef X2GO_TEST_SQLITE_FIXTURE_H
#define X2GO_TEST_SQLITE_FIXTURE_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "store.h"

static char path[64];

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof path, "/tmp/x2go-unit-store.XXXXXX");
    int fd = mkstemp(path);
    close(fd);
    unlink(path);
    return x2go_store_sqlite_create(path);
}

static int teardown(void **state)
{
    (void)state;
    char p[80];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
    return 0;
}

static void run_sql(const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

#endif
