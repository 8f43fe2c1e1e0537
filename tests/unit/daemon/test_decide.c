/* The clean-up daemon's rules (src/daemon/rules/decide.c): every row status x
 * agent liveness x agent state, and the timers on top: reservation TTL,
 * the self-suspend grace, the broker's explicit suspend with its grace and
 * retries, terminate retries and the stuck terminator, the lingering F
 * agent and its SIGKILLs, and rows that left the database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "decide.h"

#define T0 1000000 /* a monotonic "now" far from 0 (0 means: timer off) */

static const enum x2go_agent_state states[] = {
    X2GO_AS_UNKNOWN,   X2GO_AS_STARTING, X2GO_AS_RUNNING,     X2GO_AS_SUSPENDING,
    X2GO_AS_SUSPENDED, X2GO_AS_RESUMING, X2GO_AS_TERMINATING, X2GO_AS_TERMINATED,
};
#define NSTATES (sizeof states / sizeof *states)

static struct dm_row row(char status)
{
    struct dm_row r = {.status = status};
    return r;
}

static struct dm_agent agent(enum dm_liveness l, enum x2go_agent_state st)
{
    struct dm_agent a = {.live = l, .user_ok = true, .state = st, .can_suspend = true,
                         .can_terminate = true};
    return a;
}

/* One decision for a row already known with the same status. */
static enum dm_action once(char status, enum dm_liveness l, enum x2go_agent_state st,
                           int64_t *wake)
{
    struct dm_track t = {.status = status, .state = st};
    struct dm_row r = row(status);
    struct dm_agent a = agent(l, st);
    *wake = 0;
    return dm_decide(&r, &a, &t, T0, wake);
}

/* First look at every status x liveness x state. */
static void test_first_look_table(void **s)
{
    (void)s;
    /* with a live agent, per state (UNKNOWN STARTING RUNNING SUSPENDING
     * SUSPENDED RESUMING TERMINATING TERMINATED):
     * n nothing, w wait (timer started), r mark running, t terminate,
     * b blocked (first look at an F agent) */
    static const struct { char db; const char *alive; } table[] = {
        {'R', "nnnwwnnn"},
        {'S', "nrrnnrnn"},
        {'T', "ttttttww"},
        {'F', "bbbbbbbb"},
        {'X', "nnnnnnnn"},
    };
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        for (size_t k = 0; k < NSTATES; k++) {
            int64_t wake;
            enum dm_action a = once(table[i].db, DM_ALIVE, states[k], &wake);
            enum dm_action want;
            switch (table[i].alive[k]) {
            case 'r': want = DM_MARK_RUNNING; break;
            case 't': want = DM_TERMINATE; break;
            case 'b': want = DM_BLOCKED; break;
            default: want = DM_NOTHING; break;
            }
            if (a != want)
                fail_msg("%c/%s: action %d, want %d", table[i].db,
                         x2go_agent_state_name(states[k]), a, want);
            /* a started timer books a wake-up; nothing else does */
            bool timer = table[i].alive[k] == 'w' || table[i].alive[k] == 'b';
            assert_int_equal(wake != 0, timer);
            /* dead agent: always DM_DEAD; unknown: never ends anything */
            assert_int_equal(once(table[i].db, DM_GONE, states[k], &wake), DM_DEAD);
            assert_int_equal(once(table[i].db, DM_UNKNOWN, states[k], &wake), DM_NOTHING);
            assert_int_equal(wake, T0 + DM_RECHECK_MS);
        }
}

static void test_unknown_user_left_alone(void **s)
{
    (void)s;
    struct dm_track t = {.status = 'F'};
    struct dm_row r = row('F');
    struct dm_agent a = agent(DM_ALIVE, X2GO_AS_RUNNING);
    a.user_ok = false;
    int64_t wake = 0;
    assert_int_equal(dm_decide(&r, &a, &t, T0, &wake), DM_NOTHING);
    assert_int_equal(wake, 0);
    a.live = DM_GONE; /* but a dead agent of an unknown user still ends */
    assert_int_equal(dm_decide(&r, &a, &t, T0, &wake), DM_DEAD);
}

static void test_reservation_ttl(void **s)
{
    (void)s;
    struct dm_track t = {0};
    struct dm_row r = {.status = 'R', .reservation = true, .is_new = true, .age_ms = 10000};
    struct dm_agent a = agent(DM_GONE, X2GO_AS_UNKNOWN);
    int64_t wake = 0;
    /* new, 10 s old: kept, wake when 60 s are up */
    assert_int_equal(dm_decide(&r, &a, &t, T0, &wake), DM_NOTHING);
    assert_int_equal(wake, T0 + DM_RESERVATION_TTL_MS - 10000);
    r.is_new = false;
    r.age_ms = 0;
    wake = 0;
    assert_int_equal(dm_decide(&r, &a, &t, T0 + 49999, &wake), DM_NOTHING);
    assert_int_equal(dm_decide(&r, &a, &t, T0 + 50000, &wake), DM_RESV_EXPIRED);
    /* a change restarts the clock */
    r.last_time_changed = true;
    assert_int_equal(dm_decide(&r, &a, &t, T0 + 50000, &wake), DM_NOTHING);
    r.last_time_changed = false;
    assert_int_equal(dm_decide(&r, &a, &t, T0 + 50000 + DM_RESERVATION_TTL_MS - 1, &wake),
                     DM_NOTHING);
    r.status = 'S'; /* status changed: restarted too */
    assert_int_equal(dm_decide(&r, &a, &t, T0 + 50000 + DM_RESERVATION_TTL_MS, &wake),
                     DM_NOTHING);
    /* a new row at the cap expires at once */
    struct dm_track t2 = {0};
    struct dm_row old = {.status = 'R', .reservation = true, .is_new = true,
                         .age_ms = DM_RESERVATION_TTL_MS};
    assert_int_equal(dm_decide(&old, &a, &t2, T0, &wake), DM_RESV_EXPIRED);
    /* F reservation: a failed start */
    old.status = 'F';
    assert_int_equal(dm_decide(&old, &a, &t2, T0, &wake), DM_RESV_FAILED);
    /* liveness does not matter for reservations, even unknown */
    a.live = DM_UNKNOWN;
    old.status = 'R';
    old.age_ms = 0;
    assert_int_equal(dm_decide(&old, &a, &t2, T0 + 1, &wake), DM_NOTHING);
}

static void test_self_suspend_grace(void **s)
{
    (void)s;
    struct dm_track t = {.status = 'R'};
    struct dm_row r = row('R');
    struct dm_agent a = agent(DM_ALIVE, X2GO_AS_SUSPENDED);
    int64_t wake = 0;
    assert_int_equal(dm_decide(&r, &a, &t, T0, &wake), DM_NOTHING);
    assert_int_equal(wake, T0 + DM_SELF_SUSPEND_GRACE_MS);
    assert_int_equal(dm_decide(&r, &a, &t, T0 + DM_SELF_SUSPEND_GRACE_MS - 1, &wake),
                     DM_NOTHING);
    assert_int_equal(dm_decide(&r, &a, &t, T0 + DM_SELF_SUSPEND_GRACE_MS, &wake),
                     DM_MARK_SUSPENDED);
    assert_int_equal(t.susp_seen_ms, 0);
    /* the agent runs again within the grace: the timer stops */
    dm_decide(&r, &a, &t, T0 + 10000, &wake);
    a.state = X2GO_AS_RUNNING;
    assert_int_equal(dm_decide(&r, &a, &t, T0 + 10500, &wake), DM_NOTHING);
    assert_int_equal(t.susp_seen_ms, 0);
}

/* The broker's suspend: R seen with a RUNNING agent, then S written from
 * outside while the agent keeps running. */
static void test_broker_suspend_request(void **s)
{
    (void)s;
    struct dm_track t = {0};
    struct dm_row r = row('R');
    struct dm_agent a = agent(DM_ALIVE, X2GO_AS_RUNNING);
    int64_t wake = 0;
    r.is_new = true;
    assert_int_equal(dm_decide(&r, &a, &t, T0, &wake), DM_NOTHING);
    r.is_new = false;
    r.status = 'S';
    assert_int_equal(dm_decide(&r, &a, &t, T0 + 100, &wake), DM_NOTHING); /* grace */
    assert_int_equal(t.cand_ms, T0 + 100);
    wake = 0;
    assert_int_equal(dm_decide(&r, &a, &t, T0 + 1000, &wake), DM_NOTHING);
    assert_int_equal(wake, T0 + 100 + DM_SUSPEND_GRACE_MS);
    int64_t now = T0 + 100 + DM_SUSPEND_GRACE_MS;
    assert_int_equal(dm_decide(&r, &a, &t, now, &wake), DM_SUSPEND);
    /* could not start it: retried a second later, no try used */
    wake = 0;
    dm_ran(&t, DM_SUSPEND, false, now, &wake);
    assert_int_equal(wake, now + 1000);
    assert_int_equal(t.suspend_tries, 0);
    assert_int_equal(dm_decide(&r, &a, &t, now + 1000, &wake), DM_SUSPEND);
    dm_ran(&t, DM_SUSPEND, true, now + 1000, &wake);
    assert_int_equal(t.suspend_tries, 1);
    /* still running: the retry waits RETRY_MS */
    assert_int_equal(dm_decide(&r, &a, &t, now + 1000 + DM_RETRY_MS - 1, &wake), DM_NOTHING);
    now += 1000 + DM_RETRY_MS;
    assert_int_equal(dm_decide(&r, &a, &t, now, &wake), DM_SUSPEND);
    dm_ran(&t, DM_SUSPEND, true, now, &wake);
    now += DM_RETRY_MS;
    /* two tries used up: give up, back to R */
    assert_int_equal(dm_decide(&r, &a, &t, now, &wake), DM_SUSPEND_GAVE_UP);
    assert_int_equal(t.cand_ms, 0);
    dm_wrote(&t, 'R');
    assert_int_equal(t.wrote, 'R');
}

static void test_suspend_request_without_command(void **s)
{
    (void)s;
    struct dm_track t = {.status = 'R', .state = X2GO_AS_RUNNING};
    struct dm_row r = row('S');
    struct dm_agent a = agent(DM_ALIVE, X2GO_AS_RUNNING);
    a.can_suspend = false;
    int64_t wake = 0;
    assert_int_equal(dm_decide(&r, &a, &t, T0, &wake), DM_NOTHING);
    assert_int_equal(dm_decide(&r, &a, &t, T0 + DM_SUSPEND_GRACE_MS, &wake),
                     DM_SUSPEND_GAVE_UP);
}

/* S with a running agent that is not a broker request: stale row. */
static void test_stale_S_is_fixed_not_suspended(void **s)
{
    (void)s;
    int64_t wake = 0;
    struct dm_agent a = agent(DM_ALIVE, X2GO_AS_RUNNING);
    /* first sight */
    struct dm_track t1 = {0};
    struct dm_row r = row('S');
    r.is_new = true;
    assert_int_equal(dm_decide(&r, &a, &t1, T0, &wake), DM_MARK_RUNNING);
    /* S written by this daemon itself */
    struct dm_track t2 = {.status = 'R', .wrote = 'S', .state = X2GO_AS_RUNNING};
    r.is_new = false;
    assert_int_equal(dm_decide(&r, &a, &t2, T0, &wake), DM_NOTHING);
    /* same status as ours: wrote stays, and the agent was suspended before */
    struct dm_track t3 = {.status = 'R', .state = X2GO_AS_SUSPENDED};
    assert_int_equal(dm_decide(&r, &a, &t3, T0, &wake), DM_MARK_RUNNING);
    /* S from S: no request */
    struct dm_track t4 = {.status = 'S', .state = X2GO_AS_RUNNING};
    assert_int_equal(dm_decide(&r, &a, &t4, T0, &wake), DM_MARK_RUNNING);
    /* a status change by somebody else clears what we wrote */
    struct dm_track t5 = {.status = 'S', .wrote = 'S'};
    struct dm_row rr = row('R');
    dm_decide(&rr, &a, &t5, T0, &wake);
    assert_int_equal(t5.wrote, 0);
}

static void test_terminate_retries_then_sigterm(void **s)
{
    (void)s;
    struct dm_track t = {.status = 'T'};
    struct dm_row r = row('T');
    struct dm_agent a = agent(DM_ALIVE, X2GO_AS_RUNNING);
    int64_t wake = 0, now = T0;
    for (int i = 0; i < DM_TERMINATE_TRIES; i++) {
        assert_int_equal(dm_decide(&r, &a, &t, now, &wake), DM_TERMINATE);
        dm_ran(&t, DM_TERMINATE, true, now, &wake);
        assert_int_equal(dm_decide(&r, &a, &t, now + DM_RETRY_MS - 1, &wake), DM_NOTHING);
        now += DM_RETRY_MS;
    }
    assert_int_equal(t.term_tries, DM_TERMINATE_TRIES);
    assert_int_equal(dm_decide(&r, &a, &t, now, &wake), DM_TERM_SIGNAL);
    assert_int_equal(t.term_at, now);
    /* without the command: SIGTERM at once */
    struct dm_track t2 = {.status = 'T'};
    a.can_terminate = false;
    assert_int_equal(dm_decide(&r, &a, &t2, T0, &wake), DM_TERM_SIGNAL);
    /* leaving T resets the tries */
    struct dm_row rr = row('R');
    a.can_terminate = true;
    dm_decide(&rr, &a, &t, now, &wake);
    assert_int_equal(t.term_tries, 0);
    assert_int_equal(t.term_at, 0);
}

/* The first look answers first and starts the 20 s timer: nothing until
 * it ends. */
static void timer_runs(const struct dm_row *r, const struct dm_agent *a, struct dm_track *t,
                       enum dm_action first)
{
    int64_t wake = 0;
    assert_int_equal(dm_decide(r, a, t, T0, &wake), first);
    assert_int_equal(wake, T0 + DM_F_KILL_AFTER_MS);
    assert_int_equal(dm_decide(r, a, t, T0 + DM_F_KILL_AFTER_MS - 1, &wake), DM_NOTHING);
}

static void test_terminating_agent_that_hangs(void **s)
{
    (void)s;
    struct dm_track t = {.status = 'T'};
    struct dm_row r = row('T');
    struct dm_agent a = agent(DM_ALIVE, X2GO_AS_TERMINATING);
    int64_t wake = 0;
    timer_runs(&r, &a, &t, DM_NOTHING);
    a.state = X2GO_AS_TERMINATED;
    assert_int_equal(dm_decide(&r, &a, &t, T0 + DM_F_KILL_AFTER_MS, &wake), DM_TERM_STUCK);
}

static void test_lingering_F_agent_killed_and_again(void **s)
{
    (void)s;
    struct dm_track t = {.status = 'F'};
    struct dm_row r = row('F');
    struct dm_agent a = agent(DM_ALIVE, X2GO_AS_RUNNING);
    int64_t wake = 0;
    timer_runs(&r, &a, &t, DM_BLOCKED);
    int64_t now = T0 + DM_F_KILL_AFTER_MS;
    assert_int_equal(dm_decide(&r, &a, &t, now, &wake), DM_KILL_FIRST);
    assert_int_equal(dm_decide(&r, &a, &t, now + DM_RETRY_MS - 1, &wake), DM_NOTHING);
    assert_int_equal(dm_decide(&r, &a, &t, now + DM_RETRY_MS, &wake), DM_KILL_AGAIN);
    /* the row leaves F (an admin): timers off */
    struct dm_row rr = row('R');
    dm_decide(&rr, &a, &t, now + DM_RETRY_MS + 1, &wake);
    assert_int_equal(t.f_alive_ms, 0);
    assert_int_equal(t.killed_ms, 0);
}

static void test_rows_gone_from_database(void **s)
{
    (void)s;
    int64_t wake = 0;
    struct dm_agent a = agent(DM_ALIVE, X2GO_AS_RUNNING);
    struct dm_track t = {.status = 'F'};
    assert_int_equal(dm_decide_gone(false, &a, &t, T0, &wake), DM_FORGET);
    assert_int_equal(dm_decide_gone(true, &a, &t, T0, &wake), DM_BLOCKED);
    assert_int_equal(dm_decide_gone(true, &a, &t, T0 + DM_F_KILL_AFTER_MS, &wake),
                     DM_KILL_FIRST);
    struct dm_track r = {.status = 'R'};
    assert_int_equal(dm_decide_gone(true, &a, &r, T0, &wake), DM_FORGET);
    a.user_ok = false;
    assert_int_equal(dm_decide_gone(true, &a, &t, T0, &wake), DM_FORGET);
    a.live = DM_GONE;
    assert_int_equal(dm_decide_gone(true, &a, &t, T0, &wake), DM_FORGET_CLEANUP);
    a.live = DM_UNKNOWN;
    wake = 0;
    assert_int_equal(dm_decide_gone(true, &a, &t, T0, &wake), DM_NOTHING);
    assert_int_equal(wake, T0 + DM_RECHECK_MS);
}

static void test_foreign_reservations(void **s)
{
    (void)s;
    assert_false(dm_foreign_reservation_expired(599999, 600000));
    assert_true(dm_foreign_reservation_expired(600000, 600000));
}

/* The wake-up is the earliest of the timers booked. */
static void test_wake_is_earliest(void **s)
{
    (void)s;
    struct dm_track t = {.status = 'R'};
    struct dm_row r = row('R');
    struct dm_agent a = agent(DM_ALIVE, X2GO_AS_SUSPENDING);
    int64_t wake = T0 + 10;
    dm_decide(&r, &a, &t, T0, &wake);
    assert_int_equal(wake, T0 + 10);
    wake = T0 + 999999;
    t.susp_seen_ms = 0;
    dm_decide(&r, &a, &t, T0, &wake);
    assert_int_equal(wake, T0 + DM_SELF_SUSPEND_GRACE_MS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_look_table),
        cmocka_unit_test(test_unknown_user_left_alone),
        cmocka_unit_test(test_reservation_ttl),
        cmocka_unit_test(test_self_suspend_grace),
        cmocka_unit_test(test_broker_suspend_request),
        cmocka_unit_test(test_suspend_request_without_command),
        cmocka_unit_test(test_stale_S_is_fixed_not_suspended),
        cmocka_unit_test(test_terminate_retries_then_sigterm),
        cmocka_unit_test(test_terminating_agent_that_hangs),
        cmocka_unit_test(test_lingering_F_agent_killed_and_again),
        cmocka_unit_test(test_rows_gone_from_database),
        cmocka_unit_test(test_foreign_reservations),
        cmocka_unit_test(test_wake_is_earliest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
