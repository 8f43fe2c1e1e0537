/* The database reconnect schedule of the clean-up daemon. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backoff.h"

#define RMAX UINT32_MAX

static void first_failure_waits_base_half_to_full(void **state)
{
    (void)state;
    assert_int_equal(dm_backoff_delay(1, 0), DM_DB_BACKOFF_BASE_MS / 2);
    assert_int_equal(dm_backoff_delay(1, RMAX), DM_DB_BACKOFF_BASE_MS);
}

static void zero_counts_as_first(void **state)
{
    (void)state;
    assert_int_equal(dm_backoff_delay(0, RMAX), dm_backoff_delay(1, RMAX));
}

static void ceiling_doubles_per_failure(void **state)
{
    (void)state;
    assert_int_equal(dm_backoff_delay(2, RMAX), 2 * DM_DB_BACKOFF_BASE_MS);
    assert_int_equal(dm_backoff_delay(3, RMAX), 4 * DM_DB_BACKOFF_BASE_MS);
    assert_int_equal(dm_backoff_delay(4, 0), 4 * DM_DB_BACKOFF_BASE_MS);
    for (unsigned f = 1; f < 6; f++)
        assert_true(dm_backoff_delay(f + 1, 0) >= dm_backoff_delay(f, 0));
}

static void bounded_for_ever(void **state)
{
    (void)state;
    unsigned fails[] = {7, 8, 20, 63, 64, 1000, 4000000000u};
    for (size_t i = 0; i < sizeof fails / sizeof *fails; i++) {
        assert_int_equal(dm_backoff_delay(fails[i], RMAX), DM_DB_BACKOFF_MAX_MS);
        assert_int_equal(dm_backoff_delay(fails[i], 0), DM_DB_BACKOFF_MAX_MS / 2);
    }
}

static void jitter_spreads_within_upper_half(void **state)
{
    (void)state;
    int64_t lo = 2 * DM_DB_BACKOFF_BASE_MS, hi = 4 * DM_DB_BACKOFF_BASE_MS;
    int64_t seen_min = hi, seen_max = lo, mid = 0;
    uint32_t r = 12345;
    for (int i = 0; i < 10000; i++) {
        r = r * 1664525u + 1013904223u; /* any spread of inputs will do */
        int64_t v = dm_backoff_delay(3, r);
        assert_true(v >= lo && v <= hi);
        seen_min = v < seen_min ? v : seen_min;
        seen_max = v > seen_max ? v : seen_max;
        mid += v > (lo + hi) / 2;
    }
    assert_true(seen_min < lo + 20 && seen_max > hi - 20);
    assert_true(mid > 4000 && mid < 6000); /* not bunched at one end */
    assert_int_equal(dm_backoff_delay(3, RMAX / 2 + 1), lo + (hi - lo) / 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_failure_waits_base_half_to_full),
        cmocka_unit_test(zero_counts_as_first),
        cmocka_unit_test(ceiling_doubles_per_failure),
        cmocka_unit_test(bounded_for_ever),
        cmocka_unit_test(jitter_spreads_within_upper_half),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
