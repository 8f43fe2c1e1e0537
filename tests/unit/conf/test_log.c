/* The log's pure parts: finding the session a message names, and the
 * journal entry (native protocol) with the session fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define SID "alice-50-1795480859_stDXFCE_dp24"

static void finds_the_id_among_words(void **state)
{
    (void)state;
    char buf[600];
    assert_string_equal(x2go_log_find_sid("session with ID " SID " has been suspended",
                                          buf, sizeof buf), SID);
    assert_string_equal(x2go_log_find_sid("x2gogetstatus called with options: " SID, buf,
                                          sizeof buf), SID);
    assert_string_equal(x2go_log_find_sid("session \"" SID "\" terminated", buf, sizeof buf),
                        SID);
    /* The first of two. */
    assert_string_equal(x2go_log_find_sid(SID " bob-51-1700000000_stDx_dp24", buf, sizeof buf),
                        SID);
}

static void no_id_no_match(void **state)
{
    (void)state;
    char buf[600];
    assert_null(x2go_log_find_sid("", buf, sizeof buf));
    assert_null(x2go_log_find_sid("x2gocleansessions started (pid 12)", buf, sizeof buf));
    /* An id glued to other text is no id; nor is one that does not fit. */
    assert_null(x2go_log_find_sid("ID:" SID ";", buf, sizeof buf));
    assert_null(x2go_log_find_sid(SID, buf, 10));
}

static void keeps_the_error(void **state)
{
    (void)state;
    char buf[600];
    x2go_seterr("the caller's error");
    x2go_log_find_sid("no id here", buf, sizeof buf);
    /* find_sid may set it; x2go_log restores it. Only the entry is pure. */
    x2go_seterr("the caller's error");
    x2go_log(LOG_NOTICE, "unit test: a message about %s", SID);
    assert_string_equal(x2go_err(), "the caller's error");
}

static void entry_with_fields(void **state)
{
    (void)state;
    char buf[2048], want[2048];
    int n = x2go_log_journal_entry(buf, sizeof buf, LOG_NOTICE, "/usr/bin/x2gostartagent",
                                   "started " SID, SID, "alice");
    snprintf(want, sizeof want,
             "MESSAGE=started " SID "\nPRIORITY=5\nSYSLOG_FACILITY=1\n"
             "SYSLOG_IDENTIFIER=/usr/bin/x2gostartagent\nSYSLOG_PID=%d\n"
             "X2GO_SESSION_ID=" SID "\nX2GO_USER=alice\n", (int)getpid());
    assert_string_equal(buf, want);
    assert_int_equal(n, (int)strlen(want));
}

static void entry_without_bad_fields(void **state)
{
    (void)state;
    char buf[2048];
    /* Empty, or not matching their grammar (a newline would forge a field). */
    assert_true(x2go_log_journal_entry(buf, sizeof buf, LOG_ERR, "x", "m", "", "") > 0);
    assert_null(strstr(buf, "X2GO_"));
    assert_true(x2go_log_journal_entry(buf, sizeof buf, LOG_ERR, "x\nFORGED=1", "m",
                                       "x\nFORGED=1", "bob\nFORGED=1") > 0);
    assert_null(strstr(buf, "X2GO_"));
    assert_null(strstr(buf, "\nFORGED"));
    assert_int_equal(x2go_log_journal_entry(buf, 40, LOG_ERR, "x", "a long message here", SID,
                                            "alice"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(finds_the_id_among_words),
        cmocka_unit_test(no_id_no_match),
        cmocka_unit_test(keeps_the_error),
        cmocka_unit_test(entry_with_fields),
        cmocka_unit_test(entry_without_bad_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
