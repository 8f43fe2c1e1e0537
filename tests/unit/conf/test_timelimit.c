/* Time limits in x2goserver.conf (src/core/conf/timelimit.c): durations, the
 * three sections, one clear error naming file and line for anything
 * malformed (and then all limits off), and the precedence user entry >
 * group entries (most generous, 0 beats all) > default, per limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "timelimit.h"
#include "util.h"

static void test_durations(void **s)
{
    (void)s;
    static const struct { const char *in; long want; } good[] = {
        {"0", 0}, {"30s", 30}, {"90m", 5400}, {"8h", 28800}, {"2d", 172800},
        {"0s", 0}, {"0d", 0}, {"3650d", 3650L * 86400}, {"007m", 420},
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        long v = -1;
        assert_int_equal(x2go_duration_parse(good[i].in, &v), 0);
        assert_int_equal(v, good[i].want);
    }
    static const char *const bad[] = {
        "", "s", "30", "5x", "-5m", "1.5h", "30 s", " 30s", "30S", "3651d", "87601h",
        "99999999999s", "1m1", "m30", "+3m", "1h30m", "1234567890123d",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        long v = 77;
        if (x2go_duration_parse(bad[i], &v) != -1)
            fail_msg("'%s' accepted as %ld", bad[i], v);
        assert_int_equal(v, 77);
        assert_non_null(strstr(x2go_err(), "is not a duration"));
    }
}

static int load(const char *text, struct x2go_tlimit_conf *c)
{
    struct x2go_ini *ini = x2go_ini_parse("/etc/x2go/x2goserver.conf", text);
    assert_non_null(ini);
    int rc = x2go_tlimit_load(ini, c);
    x2go_ini_free(ini);
    return rc;
}

static const char conf[] =
    "[limit users]\nalice = 2\n\n"
    "[time limits]\nsuspended = 2d\nidle = 90m\nwarning = 30s\n\n"
    "[time limits users]\nalice = idle=30m , lifetime=8h\nbob = suspended=0\n"
    "carol=lifetime=1h\n\n"
    "[time limits groups]\nstaff = idle=4h, suspended=1d\nstudents = idle=20m, lifetime=2h\n"
    "night = idle=0\nshort = suspended=1h\n";

static struct x2go_tlimits lim(const struct x2go_tlimit_conf *c, const char *user,
                               const char *const *groups, size_t ng)
{
    struct x2go_tlimits l;
    memset(&l, 0x55, sizeof l);
    x2go_tlimit_for(c, user, groups, ng, &l);
    return l;
}

static void test_precedence(void **s)
{
    (void)s;
    struct x2go_tlimit_conf c;
    assert_int_equal(load(conf, &c), 0);
    assert_true(x2go_tlimit_any(&c));
    assert_int_equal(c.warning, 30);
    /* nobody special: the defaults; lifetime not set: off */
    struct x2go_tlimits l = lim(&c, "dave", NULL, 0);
    assert_int_equal(l.v[X2GO_TL_SUSPENDED], 172800);
    assert_int_equal(l.v[X2GO_TL_IDLE], 5400);
    assert_int_equal(l.v[X2GO_TL_LIFETIME], 0);
    /* a group beats the default, per limit */
    const char *students[] = {"users", "students"};
    l = lim(&c, "dave", students, 2);
    assert_int_equal(l.v[X2GO_TL_SUSPENDED], 172800);
    assert_int_equal(l.v[X2GO_TL_IDLE], 1200);
    assert_int_equal(l.v[X2GO_TL_LIFETIME], 7200);
    /* several groups: the most generous */
    const char *two[] = {"students", "staff"};
    l = lim(&c, "dave", two, 2);
    assert_int_equal(l.v[X2GO_TL_IDLE], 4 * 3600);
    assert_int_equal(l.v[X2GO_TL_SUSPENDED], 86400);
    assert_int_equal(l.v[X2GO_TL_LIFETIME], 7200);
    const char *two_short[] = {"short", "staff"};
    l = lim(&c, "dave", two_short, 2);
    assert_int_equal(l.v[X2GO_TL_SUSPENDED], 86400);
    const char *two_short_r[] = {"staff", "short"};
    l = lim(&c, "dave", two_short_r, 2);
    assert_int_equal(l.v[X2GO_TL_SUSPENDED], 86400);
    /* ... and 0 (off) beats any number, in either order */
    const char *three[] = {"students", "night", "staff"};
    l = lim(&c, "dave", three, 3);
    assert_int_equal(l.v[X2GO_TL_IDLE], 0);
    const char *three_r[] = {"night", "staff"};
    l = lim(&c, "dave", three_r, 2);
    assert_int_equal(l.v[X2GO_TL_IDLE], 0);
    /* the user's entry beats the groups, for the limits it names */
    l = lim(&c, "alice", three, 3);
    assert_int_equal(l.v[X2GO_TL_IDLE], 1800);
    assert_int_equal(l.v[X2GO_TL_LIFETIME], 28800);
    assert_int_equal(l.v[X2GO_TL_SUSPENDED], 86400); /* from staff */
    l = lim(&c, "bob", students, 2);
    assert_int_equal(l.v[X2GO_TL_SUSPENDED], 0); /* off for bob */
    assert_int_equal(l.v[X2GO_TL_IDLE], 1200);
    l = lim(&c, "carol", NULL, 0);
    assert_int_equal(l.v[X2GO_TL_LIFETIME], 3600);
    assert_int_equal(l.v[X2GO_TL_IDLE], 5400);
    /* names are exact */
    l = lim(&c, "Alice", NULL, 0);
    assert_int_equal(l.v[X2GO_TL_IDLE], 5400);
    x2go_tlimit_free(&c);
}

static void test_absent_is_off(void **s)
{
    (void)s;
    struct x2go_tlimit_conf c;
    assert_int_equal(load("[log]\nloglevel=debug\n", &c), 0);
    assert_false(x2go_tlimit_any(&c));
    assert_int_equal(c.warning, X2GO_TL_WARNING_DEFAULT);
    struct x2go_tlimits l = lim(&c, "alice", NULL, 0);
    assert_int_equal(l.v[0] | l.v[1] | l.v[2], 0);
    x2go_tlimit_free(&c);
    /* zeros everywhere: still nothing on */
    assert_int_equal(load("[time limits]\nidle = 0\nwarning = 0\n", &c), 0);
    assert_false(x2go_tlimit_any(&c));
    assert_int_equal(c.warning, 0);
    x2go_tlimit_free(&c);
    /* a user entry alone turns them on */
    assert_int_equal(load("[time limits users]\nx = lifetime=30s\n", &c), 0);
    assert_true(x2go_tlimit_any(&c));
    x2go_tlimit_free(&c);
    assert_string_equal(x2go_tlimit_name(X2GO_TL_LIFETIME), "lifetime");
}

/* Anything malformed: -1, one message with file and line, all off. */
static void test_bad_values(void **s)
{
    (void)s;
    static const struct { const char *text, *says; } bad[] = {
        {"[time limits]\nidle = 90\n", "line 2: [time limits] idle: '90' is not a duration"},
        {"[time limits]\n\nsuspended = 2 days\n", "line 3: [time limits] suspended: '2 days'"},
        {"[time limits]\nidel = 5m\n", "line 2: [time limits] idel: unknown key"},
        {"[time limits]\nwarning = soon\n", "line 2: [time limits] warning: 'soon'"},
        {"[time limits users]\nalice = 30m\n", "line 2: [time limits users] alice: '30m' is not"},
        {"[time limits users]\nalice = idle=30m, idle=1h\n", "alice: 'idle' is not one of"},
        {"[time limits users]\nalice = idle:30m\n", "alice: 'idle:30m' is not one of"},
        {"[time limits users]\nalice = ,\n", "alice: no limit given"},
        {"[time limits users]\nalice = \n", "alice: no limit given"},
        {"[time limits users]\nalice = idle=5m\nalice = idle=6m\n",
         "line 3: [time limits users] alice: set twice"},
        {"[time limits groups]\nstaff = idle=5m,lifetime=1y\n",
         "line 2: [time limits groups] staff: '1y' is not a duration"},
        {"[time limits groups]\nthis line is broken\n", "line 2: expected 'key = value'"},
        {"[time limits]\nidle=5m\n[time limits groups]\nx = idle=1h, when=now\n",
         "line 4: [time limits groups] x: 'when' is not one of"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct x2go_tlimit_conf c;
        if (load(bad[i].text, &c) != -1)
            fail_msg("accepted: %s", bad[i].text);
        if (!strstr(x2go_err(), bad[i].says) ||
            strncmp(x2go_err(), "/etc/x2go/x2goserver.conf line ", 31) != 0)
            fail_msg("error %s lacks %s", x2go_err(), bad[i].says);
        assert_false(x2go_tlimit_any(&c));
        assert_null(c.users);
        assert_null(c.groups);
    }
    /* a value or name too long for the table */
    char text[1200];
    memset(text, 'a', sizeof text);
    memcpy(text, "[time limits users]\nx = ", 24);
    strcpy(text + 1100, "=1m\n");
    struct x2go_tlimit_conf c;
    assert_int_equal(load(text, &c), -1);
    assert_non_null(strstr(x2go_err(), "value too long"));
    memset(text, 'b', sizeof text);
    memcpy(text, "[time limits users]\n", 20);
    strcpy(text + 400, " = idle=1m\n");
    assert_int_equal(load(text, &c), -1);
    assert_non_null(strstr(x2go_err(), "name too long"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_absent_is_off),
        cmocka_unit_test(test_bad_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
