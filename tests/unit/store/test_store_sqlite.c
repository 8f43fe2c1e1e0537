/* The SQLite backend's rules on a real temporary database file: the cap
 * and the session limit inside reserve, expiry of stale reservations,
 * servers restricted to the caller, no write on open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sqlite_fixture.h"
#include "store.h"

static int reserve(struct x2go_store *st, long limit, long cap, const char *const *dead,
                   size_t ndead)
{
    struct x2go_reserve_req r = {
        .server = "here", .owner = st->caller, .epoch = 1700000000, .type = 'D',
        .command = "XFCE", .depth = 24, .display_start = 100, .port_start = 40000,
        .nports = 3, .limit = limit, .cap = cap, .dead = dead, .ndead = ndead,
    };
    struct x2go_reservation res;
    return st->ops->reserve(st, &r, &res);
}

static void cap_and_limit_inside_reserve(void **state)
{
    (void)state;
    struct x2go_store *st = x2go_store_sqlite_open(path, "alice", false);
    assert_non_null(st);
    assert_int_equal(reserve(st, 0, 2, NULL, 0), 0);
    assert_int_equal(reserve(st, 0, 2, NULL, 0), 0);
    assert_int_equal(reserve(st, 0, 2, NULL, 0), X2GO_STORE_LIMIT);
    /* a limit of 2 with one of the two agents known dead: one counts */
    struct x2go_session_list l = {0};
    struct x2go_list_query q = {X2GO_LIST_USER, NULL};
    assert_int_equal(st->ops->list(st, &q, &l), 0);
    assert_int_equal(l.n, 2);
    const char *dead[] = {l.s[0].sid};
    assert_int_equal(reserve(st, 2, 0, dead, 1), 0);
    assert_int_equal(reserve(st, 2, 0, dead, 1), X2GO_STORE_LIMIT);
    assert_int_equal(reserve(st, 3, 0, NULL, 0), X2GO_STORE_LIMIT);
    assert_int_equal(reserve(st, 4, 0, NULL, 0), 0);
    x2go_list_free(&l);
    /* another user is not affected */
    struct x2go_store *bob = x2go_store_sqlite_open(path, "bob", false);
    assert_int_equal(reserve(bob, 0, 2, NULL, 0), 0);
    x2go_store_close(bob);
    x2go_store_close(st);
}

static void stale_reservations_expire_on_any_host(void **state)
{
    (void)state;
    run_sql("INSERT INTO sessions(display,server,uname,session_id,init_time,last_time)"
            " VALUES(300,'madeup','mallory','mallory-300-1700000000_stDXFCE_dp24',"
            " datetime('now','localtime','-61 seconds'), datetime('now','localtime'));"
            "INSERT INTO used_ports(server,session_id,port)"
            " VALUES('madeup','mallory-300-1700000000_stDXFCE_dp24',50000);"
            "INSERT INTO sessions(display,server,uname,session_id,init_time,last_time)"
            " VALUES(301,'madeup','mallory','mallory-301-1700000000_stDXFCE_dp24',"
            " datetime('now','localtime','-30 seconds'), datetime('now','localtime'));"
            "INSERT INTO sessions(display,server,uname,session_id,agent_pid,init_time,"
            " last_time) VALUES(302,'madeup','mallory','mallory-302-1700000000_stDXFCE_dp24',"
            " 1, datetime('now','localtime','-900 seconds'), datetime('now','localtime'));");
    struct x2go_store *root = x2go_store_sqlite_open(path, "root", true);
    struct x2go_store *st = x2go_store_sqlite_open(path, "alice", false);
    assert_int_equal(reserve(st, 0, 0, NULL, 0), 0);
    struct x2go_session s;
    assert_int_equal(root->ops->get(root, "mallory-300-1700000000_stDXFCE_dp24", &s), 1);
    assert_int_equal(root->ops->get(root, "mallory-301-1700000000_stDXFCE_dp24", &s), 0);
    assert_int_equal(root->ops->get(root, "mallory-302-1700000000_stDXFCE_dp24", &s), 0);
    x2go_store_close(st);
    x2go_store_close(root);
}

static void servers_only_the_callers(void **state)
{
    (void)state;
    run_sql("INSERT INTO sessions(display,server,uname,session_id,status)"
            " VALUES(400,'h1','alice','alice-400-1700000000_stDXFCE_dp24','S'),"
            " (401,'h2','bob','bob-401-1700000000_stDXFCE_dp24','R'),"
            " (402,'h3','alice','alice-402-1700000000_stDXFCE_dp24','F');");
    struct x2go_store *st = x2go_store_sqlite_open(path, "alice", false);
    char *out = NULL;
    assert_int_equal(st->ops->servers(st, &out), 0);
    assert_string_equal(out, "h1");
    free(out);
    x2go_store_close(st);
    st = x2go_store_sqlite_open(path, "root", true);
    assert_int_equal(st->ops->servers(st, &out), 0);
    assert_string_equal(out, "h1\nh2");
    free(out);
    x2go_store_close(st);
}

static void open_does_not_write(void **state)
{
    (void)state;
    /* A rollback-journal database stays one: opening never switches the
     * journal mode (a write that fails on a full disk). */
    run_sql("PRAGMA journal_mode=DELETE");
    struct stat a, b;
    assert_int_equal(stat(path, &a), 0);
    struct x2go_store *st = x2go_store_sqlite_open(path, "alice", false);
    assert_non_null(st);
    struct x2go_session_list l = {0};
    struct x2go_list_query q = {X2GO_LIST_USER, NULL};
    assert_int_equal(st->ops->list(st, &q, &l), 0);
    x2go_list_free(&l);
    x2go_store_close(st);
    assert_int_equal(stat(path, &b), 0);
    assert_int_equal(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec);
    sqlite3 *db;
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "delete");
    sqlite3_finalize(s);
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(cap_and_limit_inside_reserve, setup, teardown),
        cmocka_unit_test_setup_teardown(stale_reservations_expire_on_any_host, setup, teardown),
        cmocka_unit_test_setup_teardown(servers_only_the_callers, setup, teardown),
        cmocka_unit_test_setup_teardown(open_does_not_write, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
