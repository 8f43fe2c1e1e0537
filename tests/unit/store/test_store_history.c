/* The session history of the SQLite backend on a real database file:
 * the triggers record each event once, in order, whoever writes; the
 * retention prunes; the filters; an old database gains the history on
 * update with its sessions kept; only root reads it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sqlite_fixture.h"
#include "store.h"

static void reserve(struct x2go_store *st, struct x2go_reservation *res)
{
    struct x2go_reserve_req r = {
        .server = "here", .owner = st->caller, .epoch = 1700000000, .type = 'D',
        .command = "XFCE", .depth = 24, .display_start = 100, .port_start = 40000,
        .nports = 3,
    };
    assert_int_equal(st->ops->reserve(st, &r, res), 0);
}

static void start(struct x2go_store *st, struct x2go_reservation *res, const char *client)
{
    reserve(st, res);
    assert_int_equal(st->ops->create(st, res->sid, "0123456789abcdef0123456789abcdef", 4242,
                                     client, res->ports), 0);
}

/* The events as "event user client display" lines, oldest first. */
static char *events(const struct x2go_hist_query *q)
{
    struct x2go_store *root = x2go_store_sqlite_open(path, "root", true);
    assert_non_null(root);
    struct x2go_hist_list l = {0};
    struct x2go_hist_query all = {NULL, NULL, X2GO_HIST_NO_TIME, X2GO_HIST_NO_TIME};
    assert_int_equal(x2go_store_history(root, q ? q : &all, &l), 0);
    static char out[2048];
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < l.n && o < sizeof out; i++)
        o += (size_t)snprintf(out + o, sizeof out - o, "%s %s %s %d;", l.e[i].event,
                              l.e[i].uname, l.e[i].client[0] ? l.e[i].client : "-",
                              l.e[i].display);
    x2go_hist_free(&l);
    x2go_store_close(root);
    return out;
}

static void lifecycle_in_order(void **state)
{
    (void)state;
    struct x2go_store *st = x2go_store_sqlite_open(path, "alice", false);
    struct x2go_reservation res;
    reserve(st, &res);
    assert_string_equal(events(NULL), ""); /* a reservation is no start yet */
    assert_int_equal(st->ops->create(st, res.sid, "0123456789abcdef0123456789abcdef", 4242,
                                     "10.0.0.1", res.ports), 0);
    assert_int_equal(st->ops->change_status(st, res.sid, 'S'), 0);
    assert_int_equal(st->ops->change_status(st, res.sid, 'S'), 0); /* no change, no event */
    int ports[X2GO_MAX_PORTS];
    assert_int_equal(st->ops->resume(st, res.sid, "10.0.0.2", 40100, ports), 0);
    assert_int_equal(st->ops->end(st, res.sid), 0);
    assert_int_equal(st->ops->end(st, res.sid), 0); /* already ended: no second event */
    char want[512];
    snprintf(want, sizeof want, "start alice 10.0.0.1 %d;suspend alice 10.0.0.1 %d;"
             "resume alice 10.0.0.2 %d;terminate alice 10.0.0.2 %d;", res.display,
             res.display, res.display, res.display);
    assert_string_equal(events(NULL), want);
    /* The row is F after the end, and its removal adds nothing. */
    struct x2go_session s;
    assert_int_equal(st->ops->get(st, res.sid, &s), 0);
    assert_int_equal(s.status, 'F');
    struct x2go_store *root = x2go_store_sqlite_open(path, "root", true);
    assert_int_equal(root->ops->remove(root, res.sid), 0);
    assert_string_equal(events(NULL), want);
    x2go_store_close(root);
    x2go_store_close(st);
}

static void failures_and_direct_writes(void **state)
{
    (void)state;
    struct x2go_store *st = x2go_store_sqlite_open(path, "bob", false);
    struct x2go_reservation a, b, c;
    start(st, &a, "10.0.0.3");
    assert_int_equal(st->ops->change_status(st, a.sid, 'F'), 0); /* agent died */
    reserve(st, &b);
    assert_int_equal(st->ops->abandon(st, b.sid), 0); /* a start that failed */
    start(st, &c, "10.0.0.4");
    /* Writers that bypass our code (the reference's wrapper, an admin
     * with sqlite3) are recorded the same: T is a terminate; the F the
     * daemon writes after it is no failure; a deleted live row ends. */
    char sql[2048];
    snprintf(sql, sizeof sql, "UPDATE sessions SET status='T' WHERE session_id='%s';"
             "UPDATE sessions SET status='F' WHERE session_id='%s';"
             "UPDATE sessions SET status='R', client='10.0.0.5' WHERE session_id='%s';",
             c.sid, c.sid, a.sid);
    run_sql(sql);
    snprintf(sql, sizeof sql, "DELETE FROM sessions WHERE session_id='%s'", a.sid);
    run_sql(sql);
    char want[512];
    snprintf(want, sizeof want, "start bob 10.0.0.3 %d;failure bob 10.0.0.3 %d;"
             "failure bob - %d;start bob 10.0.0.4 %d;terminate bob 10.0.0.4 %d;"
             "resume bob 10.0.0.5 %d;terminate bob 10.0.0.5 %d;", a.display, a.display,
             b.display, c.display, c.display, a.display, a.display);
    assert_string_equal(events(NULL), want);
    x2go_store_close(st);
}

static void filters(void **state)
{
    (void)state;
    struct x2go_store *st = x2go_store_sqlite_open(path, "carol", false);
    /* The displays are the first free ones on this machine: taken from
     * the reservations, not assumed. */
    struct x2go_reservation a, d;
    start(st, &a, "10.0.0.6");
    x2go_store_close(st);
    st = x2go_store_sqlite_open(path, "dave", false);
    start(st, &d, "10.0.0.7");
    x2go_store_close(st);
    run_sql("INSERT INTO x2go_history(time,event,session_id,uname,server,client,display)"
            " VALUES(1000,'start','old','carol','there',NULL,NULL)");
    char want[256];
    struct x2go_hist_query q = {"carol", NULL, X2GO_HIST_NO_TIME, X2GO_HIST_NO_TIME};
    snprintf(want, sizeof want, "start carol - -2147483648;start carol 10.0.0.6 %d;",
             a.display);
    assert_string_equal(events(&q), want);
    q.server = "here";
    snprintf(want, sizeof want, "start carol 10.0.0.6 %d;", a.display);
    assert_string_equal(events(&q), want);
    q = (struct x2go_hist_query){NULL, NULL, 1000, 1000};
    assert_string_equal(events(&q), "start carol - -2147483648;");
    q = (struct x2go_hist_query){NULL, NULL, 1001, X2GO_HIST_NO_TIME};
    snprintf(want, sizeof want, "start carol 10.0.0.6 %d;start dave 10.0.0.7 %d;", a.display,
             d.display);
    assert_string_equal(events(&q), want);
    q = (struct x2go_hist_query){"dave", "there", X2GO_HIST_NO_TIME, X2GO_HIST_NO_TIME};
    assert_string_equal(events(&q), "");
}

static void retention_prunes(void **state)
{
    (void)state;
    char sql[400];
    long long now = (long long)time(NULL);
    snprintf(sql, sizeof sql, "INSERT INTO x2go_history(time,event,session_id,uname,server)"
             " VALUES(%lld,'start','a','old','h'),(%lld,'start','b','recent','h')",
             now - 10 * 86400, now - 3600);
    run_sql(sql);
    struct x2go_store *root = x2go_store_sqlite_open(path, "root", true);
    /* 0: kept for ever */
    assert_int_equal(root->ops->history_retain(root, 0), 0);
    assert_string_equal(events(NULL), "start old - -2147483648;start recent - -2147483648;");
    /* a shorter retention prunes at once */
    assert_int_equal(root->ops->history_retain(root, 86400), 0);
    assert_string_equal(events(NULL), "start recent - -2147483648;");
    /* and every new event prunes what fell out of it since */
    run_sql("UPDATE x2go_history_conf SET retention=1800");
    assert_string_equal(events(NULL), "start recent - -2147483648;");
    struct x2go_store *st = x2go_store_sqlite_open(path, "new", false);
    struct x2go_reservation a;
    start(st, &a, "10.0.0.9");
    x2go_store_close(st);
    snprintf(sql, sizeof sql, "start new 10.0.0.9 %d;", a.display);
    assert_string_equal(events(NULL), sql);
    x2go_store_close(root);
}

static void only_root_reads(void **state)
{
    (void)state;
    struct x2go_store *st = x2go_store_sqlite_open(path, "alice", false);
    struct x2go_hist_list l = {0};
    struct x2go_hist_query q = {NULL, NULL, X2GO_HIST_NO_TIME, X2GO_HIST_NO_TIME};
    assert_int_equal(x2go_store_history(st, &q, &l), -1);
    struct x2go_store_usage u;
    assert_int_equal(x2go_store_usage(st, &u), -1);
    x2go_store_close(st);
    st = x2go_store_sock_open("alice");
    assert_int_equal(x2go_store_history(st, &q, &l), -1);
    assert_null(st->ops->history);
    x2go_store_close(st);
}

static void usage_counts(void **state)
{
    (void)state;
    struct x2go_store *st = x2go_store_sqlite_open(path, "erin", false);
    struct x2go_reservation a;
    start(st, &a, "10.0.0.8");
    reserve(st, &a);
    x2go_store_close(st);
    struct x2go_store *root = x2go_store_sqlite_open(path, "root", true);
    struct x2go_store_usage u;
    assert_int_equal(x2go_store_usage(root, &u), 0);
    assert_int_equal(u.displays, 2);
    assert_int_equal(u.ports, 6);
    x2go_store_close(root);
}

/* A database made before the history: update adds it, keeps the rows. */
static void update_adds_history(void **state)
{
    (void)state;
    run_sql("DROP TRIGGER x2go_history_insert; DROP TRIGGER x2go_history_update;"
            "DROP TRIGGER x2go_history_delete; DROP TABLE x2go_history;"
            "DROP TABLE x2go_history_conf;"
            "INSERT INTO sessions(session_id,display,uname,server,agent_pid,status)"
            " VALUES('keep',77,'frank','here',99,'R')");
    struct x2go_store *root = x2go_store_sqlite_open(path, "root", true);
    struct x2go_hist_list l = {0};
    struct x2go_hist_query q = {NULL, NULL, X2GO_HIST_NO_TIME, X2GO_HIST_NO_TIME};
    assert_int_equal(x2go_store_history(root, &q, &l), -1);
    x2go_store_close(root);
    const char *added[4];
    assert_int_equal(x2go_store_sqlite_update(path, added, 4), 0);
    assert_int_equal(x2go_store_sqlite_update(path, added, 4), 0); /* twice is fine */
    run_sql("UPDATE sessions SET status='S' WHERE session_id='keep'");
    assert_string_equal(events(NULL), "suspend frank - 77;");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(lifecycle_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(failures_and_direct_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(filters, setup, teardown),
        cmocka_unit_test_setup_teardown(retention_prunes, setup, teardown),
        cmocka_unit_test_setup_teardown(only_root_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(usage_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(update_adds_history, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
