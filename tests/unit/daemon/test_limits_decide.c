/* The time limits' rules (src/daemon/rules/limits_decide.c): each limit x row
 * status x agent state, every timer edge (one ms before, at, after), the
 * warnings (once, again after input), the idle measurement (none, failed,
 * stale, fresh, under way, counted from the last resume), the retry gap
 * after acting, the order when several limits are due, and the wake-ups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "limits_decide.h"

#define T0 1000000
#define S 1000 /* ms */
#define NEVER (INT64_MAX / 4)

static const enum x2go_agent_state states[] = {
    X2GO_AS_UNKNOWN,   X2GO_AS_STARTING, X2GO_AS_RUNNING,     X2GO_AS_SUSPENDING,
    X2GO_AS_SUSPENDED, X2GO_AS_RESUMING, X2GO_AS_TERMINATING, X2GO_AS_TERMINATED,
};
#define NSTATES (sizeof states / sizeof *states)

/* A running session, measured just now as idle for idle ms. */
static struct dm_lim_facts running(int64_t age, int64_t idle)
{
    return (struct dm_lim_facts){.status = 'R', .state = X2GO_AS_RUNNING, .age = age,
                                 .suspended = -1, .idle = idle, .idle_age = 0,
                                 .running_for = -1, .can_warn = true};
}

static struct dm_lim_facts suspended(int64_t age, int64_t for_ms)
{
    return (struct dm_lim_facts){.status = 'S', .state = X2GO_AS_SUSPENDED, .age = age,
                                 .suspended = for_ms, .idle = -1, .idle_age = NEVER,
                                 .running_for = -1, .can_warn = true};
}

static enum dm_lim_action act(const struct dm_lim_facts *f, const struct dm_lim *l,
                              struct dm_lim_track *t, int64_t *wake)
{
    *wake = 0;
    return dm_lim_decide(f, l, t, T0, wake).act;
}

static void test_no_limits_nothing(void **s)
{
    (void)s;
    struct dm_lim l = {.warning = 60 * S};
    struct dm_lim_track t = {0};
    int64_t wake;
    struct dm_lim_facts f = running(1000000 * S, 1000000 * S);
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_NONE);
    assert_int_equal(wake, 0);
    f = suspended(1000000 * S, 1000000 * S);
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_NONE);
    assert_int_equal(wake, 0);
}

/* Suspended limit: only an S row whose agent is SUSPENDED; edges. */
static void test_suspended_limit(void **s)
{
    (void)s;
    struct dm_lim l = {.suspended = 30 * S, .warning = 10 * S};
    struct dm_lim_track t = {0};
    int64_t wake;
    struct dm_lim_facts f = suspended(100 * S, 30 * S - 1);
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_NONE);
    assert_int_equal(wake, T0 + 1);
    f.suspended = 30 * S;
    struct dm_lim_verdict v = dm_lim_decide(&f, &l, &t, T0, &wake);
    assert_int_equal(v.act, DM_LIM_TERMINATE);
    assert_int_equal(v.why, DM_LIM_R_SUSPENDED);
    assert_int_equal(v.value, 30 * S);
    assert_int_equal(v.limit, 30 * S);
    f.suspended = 31 * S;
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_TERMINATE);
    /* every other agent state of an S row: never (a resume under way) */
    for (size_t k = 0; k < NSTATES; k++) {
        f.state = states[k];
        assert_int_equal(act(&f, &l, &t, &wake),
                         states[k] == X2GO_AS_SUSPENDED ? DM_LIM_TERMINATE : DM_LIM_NONE);
    }
    /* an R row is never "suspended", whatever its agent says */
    f = running(100 * S, 0);
    f.suspended = 1000 * S;
    for (size_t k = 0; k < NSTATES; k++) {
        f.state = states[k];
        assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_NONE);
    }
    /* last_time unreadable: unknown, nothing */
    f = suspended(100 * S, -1);
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_NONE);
    assert_int_equal(wake, 0);
}

/* T and F rows and anything else: the limits never act. */
static void test_other_statuses_untouched(void **s)
{
    (void)s;
    struct dm_lim l = {.suspended = S, .idle = S, .lifetime = S, .warning = 0};
    static const char st[] = {'T', 'F', 'X'};
    for (size_t i = 0; i < sizeof st; i++)
        for (size_t k = 0; k < NSTATES; k++) {
            struct dm_lim_track t = {0};
            struct dm_lim_facts f = running(100 * S, 100 * S);
            f.status = st[i];
            f.state = states[k];
            f.suspended = 100 * S;
            int64_t wake;
            assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_NONE);
            assert_int_equal(wake, 0);
        }
}

/* Lifetime: R and S rows alike end at the limit; a running one is warned
 * once, warning seconds before. */
static void test_lifetime(void **s)
{
    (void)s;
    struct dm_lim l = {.lifetime = 100 * S, .warning = 10 * S};
    struct dm_lim_track t = {0};
    int64_t wake;
    struct dm_lim_facts f = running(90 * S - 1, 0);
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_NONE);
    assert_int_equal(wake, T0 + 1); /* the warning's moment */
    f.age = 90 * S;
    struct dm_lim_verdict v = dm_lim_decide(&f, &l, &t, T0, &wake);
    assert_int_equal(v.act, DM_LIM_WARN);
    assert_int_equal(v.why, DM_LIM_R_LIFETIME);
    assert_true(t.warned_life);
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_NONE); /* once */
    assert_int_equal(wake, T0 + 10 * S);
    f.age = 100 * S - 1;
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_NONE);
    f.age = 100 * S;
    v = dm_lim_decide(&f, &l, &t, T0, &wake);
    assert_int_equal(v.act, DM_LIM_TERMINATE);
    assert_int_equal(v.why, DM_LIM_R_LIFETIME);
    /* suspended: no warning (nobody sees it), the end all the same */
    for (size_t k = 0; k < NSTATES; k++) {
        struct dm_lim_track t2 = {0};
        f = suspended(95 * S, 0);
        f.state = states[k];
        assert_int_equal(act(&f, &l, &t2, &wake), DM_LIM_NONE);
        assert_int_equal(wake, T0 + 5 * S);
        f.age = 100 * S;
        assert_int_equal(act(&f, &l, &t2, &wake), DM_LIM_TERMINATE);
    }
    /* a running row whose agent is not RUNNING: no warning either */
    struct dm_lim_track t3 = {0};
    f = running(95 * S, 0);
    f.state = X2GO_AS_STARTING;
    assert_int_equal(act(&f, &l, &t3, &wake), DM_LIM_NONE);
    /* init_time unreadable: unknown, never ended */
    f = running(-1, 0);
    assert_int_equal(act(&f, &l, &t3, &wake), DM_LIM_NONE);
    assert_int_equal(wake, 0);
}

static void test_lifetime_warning_off_or_impossible(void **s)
{
    (void)s;
    int64_t wake;
    /* warning 0: no warning */
    struct dm_lim l = {.lifetime = 100 * S, .warning = 0};
    struct dm_lim_track t = {0};
    struct dm_lim_facts f = running(99 * S, 0);
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_NONE);
    assert_int_equal(wake, T0 + S);
    /* nothing to show it with */
    l.warning = 10 * S;
    f.can_warn = false;
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_NONE);
    assert_false(t.warned_life);
    /* a warning longer than the lifetime: at once */
    l.warning = 200 * S;
    f = running(0, 0);
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_WARN);
}

/* Idle: warn at limit - warning; at the deadline (limit - idle then),
 * measured again: no input since the warning (its own window may count as
 * input up to the grace) suspends; edges. */
static void test_idle_warn_then_suspend(void **s)
{
    (void)s;
    struct dm_lim l = {.idle = 60 * S, .warning = 10 * S};
    struct dm_lim_track t = {0};
    int64_t wake;
    struct dm_lim_facts f = running(1000 * S, 50 * S - 1);
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_NONE);
    assert_int_equal(wake, T0 + 1);
    f.idle = 50 * S;
    wake = 0;
    struct dm_lim_verdict v = dm_lim_decide(&f, &l, &t, T0, &wake);
    assert_int_equal(v.act, DM_LIM_WARN);
    assert_int_equal(v.why, DM_LIM_R_IDLE);
    assert_int_equal(v.value, 50 * S);
    assert_int_equal(v.limit, 60 * S);
    assert_int_equal(wake, T0 + 10 * S);
    assert_int_equal(t.warned_at, T0);
    /* before the deadline: nothing is measured or done */
    f.idle = 0;
    f.idle_age = 0;
    wake = 0;
    assert_int_equal(dm_lim_decide(&f, &l, &t, T0 + 10 * S - 1, &wake).act, DM_LIM_NONE);
    assert_int_equal(wake, T0 + 10 * S);
    /* at the deadline, a measurement from before it: measure again */
    f.idle_age = 1;
    assert_int_equal(dm_lim_decide(&f, &l, &t, T0 + 10 * S, &wake).act, DM_LIM_PROBE);
    /* fresh: idle since the warning window (within the grace) */
    f.idle_age = 0;
    f.idle = 10 * S - DM_WARN_GRACE_MS;
    v = dm_lim_decide(&f, &l, &t, T0 + 10 * S, &wake);
    assert_int_equal(v.act, DM_LIM_SUSPEND);
    assert_int_equal(v.why, DM_LIM_R_IDLE);
    assert_int_equal(v.value, 60 * S);
    assert_int_equal(v.limit, 60 * S);
    /* measured later still: the time since the warning counts */
    f.idle_age = 2 * S;
    f.idle = 12 * S - DM_WARN_GRACE_MS;
    v = dm_lim_decide(&f, &l, &t, T0 + 14 * S, &wake);
    assert_int_equal(v.act, DM_LIM_SUSPEND);
    assert_int_equal(v.value, 62 * S);
}

/* Input after the warning: kept, and the next idle stretch is warned
 * again. */
static void test_idle_input_rearms_warning(void **s)
{
    (void)s;
    struct dm_lim l = {.idle = 60 * S, .warning = 10 * S};
    struct dm_lim_track t = {0};
    int64_t wake;
    struct dm_lim_facts f = running(1000 * S, 52 * S);
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_WARN);
    /* deadline T0 + 8 s: idle one ms short of "none since the warning" */
    f.idle = 8 * S - DM_WARN_GRACE_MS - 1;
    wake = 0;
    assert_int_equal(dm_lim_decide(&f, &l, &t, T0 + 8 * S, &wake).act, DM_LIM_NONE);
    assert_int_equal(t.warned_at, 0);
    assert_int_equal(wake, T0 + 8 * S + 50 * S - f.idle);
    f.idle = 51 * S;
    assert_int_equal(dm_lim_decide(&f, &l, &t, T0 + 60 * S, &wake).act, DM_LIM_WARN);
    assert_int_equal(t.warned_at, T0 + 60 * S);
}

/* Idle limit, no warning possible: straight to the limit. */
static void test_idle_without_warning(void **s)
{
    (void)s;
    struct dm_lim l = {.idle = 60 * S, .warning = 0};
    struct dm_lim_track t = {0};
    int64_t wake;
    struct dm_lim_facts f = running(1000 * S, 55 * S);
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_NONE);
    assert_int_equal(wake, T0 + 5 * S);
    l.warning = 10 * S;
    f.can_warn = false;
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_NONE);
    assert_int_equal(wake, T0 + 5 * S);
    l.warning = 60 * S; /* as long as the limit itself: no warning */
    f.can_warn = true;
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_NONE);
    f.idle = 60 * S;
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_SUSPEND);
}

/* Idle applies to a running session only: R row with a RUNNING agent. */
static void test_idle_only_running(void **s)
{
    (void)s;
    struct dm_lim l = {.idle = 60 * S, .warning = 10 * S};
    for (size_t k = 0; k < NSTATES; k++) {
        struct dm_lim_track t = {0};
        int64_t wake;
        struct dm_lim_facts f = running(1000 * S, 100 * S);
        f.state = states[k];
        assert_int_equal(act(&f, &l, &t, &wake),
                         states[k] == X2GO_AS_RUNNING ? DM_LIM_SUSPEND : DM_LIM_NONE);
        f = suspended(1000 * S, 1000 * S);
        f.idle = 100 * S;
        f.idle_age = 0;
        f.state = states[k];
        assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_NONE);
    }
}

/* The measurement: none yet, failed, stale, under way. */
static void test_idle_measurement(void **s)
{
    (void)s;
    struct dm_lim l = {.idle = 60 * S, .warning = 10 * S};
    struct dm_lim_track t = {0};
    int64_t wake;
    struct dm_lim_facts f = running(1000 * S, -1);
    f.idle_age = NEVER; /* never measured */
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_PROBE);
    f.probing = true; /* its answer wakes the daemon */
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_NONE);
    assert_int_equal(wake, 0);
    f.probing = false;
    f.idle_age = DM_IDLE_RETRY_MS - 1; /* failed a moment ago: wait */
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_NONE);
    assert_int_equal(wake, T0 + 1);
    f.idle_age = DM_IDLE_RETRY_MS;
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_PROBE);
    /* stale: measured again once the warning mark may be reached */
    f.idle = 20 * S;
    f.idle_age = DM_IDLE_FRESH_MS + 1;
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_NONE);
    assert_int_equal(wake, T0 + 50 * S - 20 * S - DM_IDLE_FRESH_MS - 1);
    f.idle_age = 30 * S;
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_PROBE);
    /* fresh, at the edge */
    f.idle = 70 * S;
    f.idle_age = DM_IDLE_FRESH_MS;
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_SUSPEND);
    f.idle_age = DM_IDLE_FRESH_MS + 1;
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_PROBE);
}

/* The X server does not count a resume as input: idle counts from the
 * moment the agent runs again at most. */
static void test_idle_counted_from_resume(void **s)
{
    (void)s;
    struct dm_lim l = {.idle = 60 * S, .warning = 10 * S};
    /* warned before the suspend, long ago */
    struct dm_lim_track t = {.warned_at = T0 - 1000 * S, .warned_idle_ms = 50 * S};
    int64_t wake;
    struct dm_lim_facts f = running(5000 * S, 4000 * S);
    f.running_for = 5 * S; /* resumed 5 s ago, X idle since long before */
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_NONE);
    assert_int_equal(t.warned_at, 0); /* counts as input */
    assert_int_equal(wake, T0 + 45 * S);
    /* measured 2 s ago, resumed 1 s before that */
    f.idle_age = 2 * S;
    f.running_for = 3 * S;
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_NONE);
    assert_int_equal(wake, T0 + 49 * S);
    /* measured before the resume */
    f.idle_age = 10 * S;
    f.running_for = 4 * S;
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_NONE);
    assert_int_equal(wake, T0 + 46 * S);
    /* long enough after the resume */
    f.idle_age = 0;
    f.running_for = 61 * S;
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_SUSPEND);
}

/* After a suspend or terminate started: quiet for the retry gap. */
static void test_retry_gap(void **s)
{
    (void)s;
    struct dm_lim l = {.idle = 60 * S, .lifetime = 100 * S, .warning = 10 * S};
    struct dm_lim_track t = {0};
    int64_t wake;
    struct dm_lim_facts f = running(200 * S, 100 * S);
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_TERMINATE);
    dm_lim_acted(&t, T0);
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_NONE);
    assert_int_equal(wake, T0 + DM_LIM_RETRY_MS);
    wake = 0;
    assert_int_equal(dm_lim_decide(&f, &l, &t, T0 + DM_LIM_RETRY_MS - 1, &wake).act,
                     DM_LIM_NONE);
    assert_int_equal(dm_lim_decide(&f, &l, &t, T0 + DM_LIM_RETRY_MS, &wake).act,
                     DM_LIM_TERMINATE);
}

/* Several due at once: terminate beats suspend beats warnings; the
 * lifetime warning comes first and the idle rule gets its turn soon. */
static void test_order(void **s)
{
    (void)s;
    struct dm_lim l = {.suspended = 10 * S, .idle = 60 * S, .lifetime = 100 * S,
                       .warning = 10 * S};
    struct dm_lim_track t = {0};
    int64_t wake;
    struct dm_lim_facts f = running(100 * S, 100 * S);
    assert_int_equal(dm_lim_decide(&f, &l, &t, T0, &wake).why, DM_LIM_R_LIFETIME);
    f.age = 95 * S; /* lifetime warning due and idle over */
    struct dm_lim_verdict v = dm_lim_decide(&f, &l, &t, T0, &wake);
    assert_int_equal(v.act, DM_LIM_WARN);
    assert_int_equal(v.why, DM_LIM_R_LIFETIME);
    assert_int_equal(wake, T0 + S);
    assert_int_equal(act(&f, &l, &t, &wake), DM_LIM_SUSPEND);
    /* lifetime and suspended both over: either ends it; lifetime first */
    f = suspended(100 * S, 50 * S);
    assert_int_equal(dm_lim_decide(&f, &l, &t, T0, &wake).why, DM_LIM_R_LIFETIME);
    f.age = 50 * S;
    assert_int_equal(dm_lim_decide(&f, &l, &t, T0, &wake).why, DM_LIM_R_SUSPENDED);
}

/* The wake-up is the earliest of the limits' next moments. */
static void test_wake_is_earliest(void **s)
{
    (void)s;
    struct dm_lim l = {.suspended = 30 * S, .lifetime = 100 * S, .warning = 10 * S};
    struct dm_lim_track t = {0};
    int64_t wake = T0 + 2 * S; /* booked by another rule already */
    struct dm_lim_facts f = suspended(50 * S, 10 * S);
    dm_lim_decide(&f, &l, &t, T0, &wake);
    assert_int_equal(wake, T0 + 2 * S);
    wake = 0;
    dm_lim_decide(&f, &l, &t, T0, &wake);
    assert_int_equal(wake, T0 + 20 * S);
    f.age = 95 * S;
    wake = 0;
    dm_lim_decide(&f, &l, &t, T0, &wake);
    assert_int_equal(wake, T0 + 5 * S);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_limits_nothing),
        cmocka_unit_test(test_suspended_limit),
        cmocka_unit_test(test_other_statuses_untouched),
        cmocka_unit_test(test_lifetime),
        cmocka_unit_test(test_lifetime_warning_off_or_impossible),
        cmocka_unit_test(test_idle_warn_then_suspend),
        cmocka_unit_test(test_idle_input_rearms_warning),
        cmocka_unit_test(test_idle_without_warning),
        cmocka_unit_test(test_idle_only_running),
        cmocka_unit_test(test_idle_measurement),
        cmocka_unit_test(test_idle_counted_from_resume),
        cmocka_unit_test(test_retry_gap),
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_wake_is_earliest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
