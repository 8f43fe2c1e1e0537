/* State reconciliation (spec 1.4, fixed as in 8.2 items 10 and 18): the
 * status the database should hold, for every DB status x agent alive x
 * agent state; plus the agent state file itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"

static const enum x2go_agent_state states[] = {
    X2GO_AS_UNKNOWN,   X2GO_AS_STARTING, X2GO_AS_RUNNING,     X2GO_AS_SUSPENDING,
    X2GO_AS_SUSPENDED, X2GO_AS_RESUMING, X2GO_AS_TERMINATING, X2GO_AS_TERMINATED,
};

/* Expected status for a live agent, one letter per state above:
 *  UNKNOWN STARTING RUNNING SUSPENDING SUSPENDED RESUMING TERMINATING TERMINATED
 * R: a suspending/suspended agent makes R become S (rule 1);
 * S: a starting/resuming/running agent makes S become R (rule 1);
 * T: termination was requested from outside; honoured, never overwritten;
 * F: final. */
static const struct { char db; const char *alive; } table[] = {
    {'R', "RRRSSRRR"},
    {'S', "SRRSSRSS"},
    {'T', "TTTTTTTT"},
    {'F', "FFFFFFFF"},
};

static void test_every_combination(void **state)
{
    (void)state;
    int checked = 0;
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        for (size_t s = 0; s < sizeof states / sizeof *states; s++) {
            char got = x2go_reconcile(table[i].db, true, states[s]);
            if (got != table[i].alive[s])
                fail_msg("db %c, agent alive, state %s: got %c, want %c", table[i].db,
                         x2go_agent_state_name(states[s]), got, table[i].alive[s]);
            /* A dead agent is never shown as running or suspended: the row
             * becomes F whatever its state file claims (8.2 item 18). */
            got = x2go_reconcile(table[i].db, false, states[s]);
            if (got != 'F')
                fail_msg("db %c, agent dead, state %s: got %c, want F", table[i].db,
                         x2go_agent_state_name(states[s]), got);
            checked += 2;
        }
    assert_int_equal(checked, 4 * 8 * 2);
}

static void test_named_cases(void **state)
{
    (void)state;
    /* the crashed agent whose state file still says RUNNING (observed
     * in the reference as R) */
    assert_int_equal(x2go_reconcile('R', false, X2GO_AS_RUNNING), 'F');
    assert_int_equal(x2go_reconcile('R', false, X2GO_AS_STARTING), 'F');
    /* an agent that aborted on SIGHUP while STARTING: DB S, file STARTING,
     * process gone: F, not "flipped back to R" */
    assert_int_equal(x2go_reconcile('S', false, X2GO_AS_STARTING), 'F');
    /* a running session without a state file yet keeps its status */
    assert_int_equal(x2go_reconcile('R', true, X2GO_AS_UNKNOWN), 'R');
    assert_int_equal(x2go_reconcile('S', true, X2GO_AS_UNKNOWN), 'S');
    /* suspend and resume as seen by x2golistsessions */
    assert_int_equal(x2go_reconcile('R', true, X2GO_AS_SUSPENDED), 'S');
    assert_int_equal(x2go_reconcile('S', true, X2GO_AS_RESUMING), 'R');
    /* a result is always a valid status letter and stable when re-applied */
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        for (size_t s = 0; s < sizeof states / sizeof *states; s++)
            for (int alive = 0; alive < 2; alive++) {
                char once = x2go_reconcile(table[i].db, alive, states[s]);
                assert_non_null(strchr("RSTF", once));
                assert_int_equal(x2go_reconcile(once, alive, states[s]), once);
            }
}

static void test_state_names(void **state)
{
    (void)state;
    static const char *const names[] = {"UNKNOWN",   "STARTING", "RUNNING",
                                        "SUSPENDING", "SUSPENDED", "RESUMING",
                                        "TERMINATING", "TERMINATED"};
    for (size_t i = 0; i < sizeof states / sizeof *states; i++) {
        assert_string_equal(x2go_agent_state_name(states[i]), names[i]);
        if (i > 0) {
            assert_int_equal(x2go_agent_state_parse(names[i]), states[i]);
            char nl[32];
            snprintf(nl, sizeof nl, "%s\n", names[i]);
            assert_int_equal(x2go_agent_state_parse(nl), states[i]);
            snprintf(nl, sizeof nl, "%s\r\n", names[i]);
            assert_int_equal(x2go_agent_state_parse(nl), states[i]);
        }
    }
    static const char *const junk[] = {"", "\n", "running", "RUN", "RUNNINGX", " RUNNING",
                                       "RUNNING ", "SUSPEND", "UNKNOWN", "TERMINATED!",
                                       "R\nUNNING"};
    for (size_t i = 0; i < sizeof junk / sizeof *junk; i++)
        assert_int_equal(x2go_agent_state_parse(junk[i]), X2GO_AS_UNKNOWN);
    assert_string_equal(x2go_agent_state_name((enum x2go_agent_state)99), "UNKNOWN");
}

static void test_paths(void **state)
{
    (void)state;
    char buf[600];
    assert_int_equal(x2go_user_tmpdir(buf, sizeof buf, "alice"), 0);
    assert_string_equal(buf, "/tmp/.x2go-alice");
    assert_int_equal(x2go_session_dir(buf, sizeof buf, "alice",
                                      "alice-50-1795480859_stDXFCE_dp24"), 0);
    assert_string_equal(buf, "/tmp/.x2go-alice/C-alice-50-1795480859_stDXFCE_dp24");
    char small[10];
    assert_int_equal(x2go_session_dir(small, sizeof small, "alice",
                                      "alice-50-1795480859_stDXFCE_dp24"), -1);
}

/* x2go_agent_state_read against real files under /tmp. */
static char user[64], udir[128], sdir[256];
static const char sid[] = "u-50-1795480859_stDXFCE_dp24";

static void rm_rf(const char *p)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", p);
    if (system(cmd) != 0)
        fail_msg("cannot remove %s", p);
}

static void write_state(const char *text)
{
    char p[300];
    snprintf(p, sizeof p, "%s/state", sdir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup_files(void **state)
{
    (void)state;
    snprintf(user, sizeof user, "x2gounit%d", (int)getpid());
    snprintf(udir, sizeof udir, "/tmp/.x2go-%s", user);
    snprintf(sdir, sizeof sdir, "%s/C-%s", udir, sid);
    return 0;
}

static int teardown_files(void **state)
{
    (void)state;
    rm_rf(udir);
    char other[160];
    snprintf(other, sizeof other, "%s.real", udir);
    rm_rf(other);
    return 0;
}

static void test_state_read(void **state)
{
    (void)state;
    uid_t me = getuid();
    rm_rf(udir);
    /* nothing there */
    assert_int_equal(x2go_agent_state_read(user, me, sid), X2GO_AS_UNKNOWN);
    assert_int_equal(mkdir(udir, 0700), 0);
    assert_int_equal(x2go_agent_state_read(user, me, sid), X2GO_AS_UNKNOWN);
    assert_int_equal(mkdir(sdir, 0700), 0);
    assert_int_equal(x2go_agent_state_read(user, me, sid), X2GO_AS_UNKNOWN);
    /* nxagent writes the state without a newline */
    write_state("SUSPENDED");
    assert_int_equal(x2go_agent_state_read(user, me, sid), X2GO_AS_SUSPENDED);
    write_state("RUNNING");
    assert_int_equal(x2go_agent_state_read(user, me, sid), X2GO_AS_RUNNING);
    write_state("RUNNING\n");
    assert_int_equal(x2go_agent_state_read(user, me, sid), X2GO_AS_RUNNING);
    write_state("garbage");
    assert_int_equal(x2go_agent_state_read(user, me, sid), X2GO_AS_UNKNOWN);
    /* a directory of someone else is not trusted */
    write_state("SUSPENDED");
    assert_int_equal(x2go_agent_state_read(user, me + 1, sid), X2GO_AS_UNKNOWN);
    /* another sid has no state */
    assert_int_equal(x2go_agent_state_read(user, me, "u-51-1795480859_stDXFCE_dp24"),
                     X2GO_AS_UNKNOWN);

    /* a state file that is a symlink is not followed */
    char st[300], target[300];
    snprintf(st, sizeof st, "%s/state", sdir);
    snprintf(target, sizeof target, "%s/elsewhere", sdir);
    FILE *f = fopen(target, "w");
    assert_non_null(f);
    fputs("SUSPENDED", f);
    fclose(f);
    assert_int_equal(unlink(st), 0);
    assert_int_equal(symlink(target, st), 0);
    assert_int_equal(x2go_agent_state_read(user, me, sid), X2GO_AS_UNKNOWN);

    /* a user tmp dir that is a symlink (planted by someone) is refused */
    char real[160];
    snprintf(real, sizeof real, "%s.real", udir);
    rm_rf(real);
    assert_int_equal(rename(udir, real), 0);
    assert_int_equal(symlink(real, udir), 0);
    assert_int_equal(unlink(st), 0);
    char realst[400];
    snprintf(realst, sizeof realst, "%s/C-%s/state", real, sid);
    f = fopen(realst, "w");
    assert_non_null(f);
    fputs("SUSPENDED", f);
    fclose(f);
    assert_int_equal(x2go_agent_state_read(user, me, sid), X2GO_AS_UNKNOWN);
    assert_int_equal(unlink(udir), 0);
    assert_int_equal(rename(real, udir), 0);
    assert_int_equal(x2go_agent_state_read(user, me, sid), X2GO_AS_SUSPENDED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_combination),
        cmocka_unit_test(test_named_cases),
        cmocka_unit_test(test_state_names),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_state_read),
    };
    return cmocka_run_group_tests_name("reconcile", tests, setup_files, teardown_files);
}
