/* x2go-pgstored's choices over its workers: one worker per uid, never one
 * told to end; idle ones end; at the bound the least recently used one
 * makes room. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pgstored_pick.h"

#define N 4

static void find_serves_only_the_uid(void **state)
{
    (void)state;
    struct x2go_pgw w[N] = {
        {.pid = 10, .uid = 1000, .chan = -1, .last = 5}, /* told to end */
        {.pid = 11, .uid = 1001, .chan = 7, .last = 5},
        {.pid = 0, .uid = 1000, .chan = 8, .last = 5},   /* free slot */
        {.pid = 12, .uid = 1000, .chan = 9, .last = 5},
    };
    assert_int_equal(x2go_pgw_find(w, N, 1000), 3);
    assert_int_equal(x2go_pgw_find(w, N, 1001), 1);
    assert_int_equal(x2go_pgw_find(w, N, 1002), -1);
    assert_int_equal(x2go_pgw_find(w, N, 0), -1);
    assert_int_equal(x2go_pgw_free(w, N), 2);
    w[2].pid = 13;
    assert_int_equal(x2go_pgw_free(w, N), -1);
}

static void idle_ones_end(void **state)
{
    (void)state;
    struct x2go_pgw w[N] = {
        {.pid = 10, .uid = 1000, .chan = 3, .last = 100},
        {.pid = 11, .uid = 1001, .chan = 4, .last = 69},
        {.pid = 12, .uid = 1002, .chan = 5, .last = 70},
        {.pid = 0},
    };
    bool out[N];
    assert_int_equal(x2go_pgw_retire(w, N, 100, 30, false, out), 2);
    assert_false(out[0]);
    assert_true(out[1]);
    assert_true(out[2]);
    assert_false(out[3]);
    /* with an idle one going anyway, no busy one goes for room */
    assert_int_equal(x2go_pgw_retire(w, N, 100, 30, true, out), 2);
    assert_false(out[0]);
}

static void least_recently_used_makes_room(void **state)
{
    (void)state;
    struct x2go_pgw w[N] = {
        {.pid = 10, .uid = 1000, .chan = 3, .last = 95},
        {.pid = 11, .uid = 1001, .chan = 4, .last = 91},
        {.pid = 12, .uid = 1002, .chan = -1, .last = 80}, /* already ending */
        {.pid = 13, .uid = 1003, .chan = 6, .last = 99},
    };
    bool out[N];
    assert_int_equal(x2go_pgw_retire(w, N, 100, 30, false, out), 0);
    assert_int_equal(x2go_pgw_retire(w, N, 100, 30, true, out), 1);
    assert_true(out[1]);
    assert_false(out[0] || out[2] || out[3]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(find_serves_only_the_uid),
        cmocka_unit_test(idle_ones_end),
        cmocka_unit_test(least_recently_used_makes_room),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
