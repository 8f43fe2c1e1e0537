/* The Xsession path of a desktop session (spec 5) and the lingering
 * decision (spec 2.1.1 step 22). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "linger.h"
#include "xsession.h"

static char line[256];
static const char *av[X2GO_XSESSION_MAX_ARGS];

static int build(char stype, bool script_ok, const char *dbus, char *const prog[])
{
    struct x2go_xsession_facts f = {stype, script_ok, dbus, "/etc/x2go/Xsession"};
    memset(av, 0, sizeof av);
    return x2go_xsession_argv(&f, prog, line, sizeof line, av);
}

static void test_desktop_with_dbus(void **state)
{
    (void)state;
    char *prog[] = {"/usr/bin/gnome-session", "--session=gnome-flashback-metacity",
                    "--disable-acceleration-check", NULL};
    assert_int_equal(build('D', true, "/usr/bin/dbus-run-session", prog), 4);
    assert_string_equal(av[0], "/usr/bin/dbus-run-session");
    assert_string_equal(av[1], "--");
    assert_string_equal(av[2], "/etc/x2go/Xsession");
    /* One argument: the command line, as display managers pass it. */
    assert_string_equal(av[3], "/usr/bin/gnome-session --session=gnome-flashback-metacity "
                               "--disable-acceleration-check");
    assert_null(av[4]);
}

static void test_desktop_without_dbus(void **state)
{
    (void)state;
    char *prog[] = {"/usr/bin/xfce4-session", NULL};
    assert_int_equal(build('D', true, NULL, prog), 2);
    assert_string_equal(av[0], "/etc/x2go/Xsession");
    assert_string_equal(av[1], "/usr/bin/xfce4-session");
    assert_null(av[2]);
}

static void test_direct(void **state)
{
    (void)state;
    char *prog[] = {"/usr/bin/xterm", NULL};
    /* Single applications and published ones never take the path. */
    assert_int_equal(build('R', true, "/usr/bin/dbus-run-session", prog), 0);
    assert_int_equal(build('P', true, "/usr/bin/dbus-run-session", prog), 0);
    assert_int_equal(build('S', true, "/usr/bin/dbus-run-session", prog), 0);
    /* No trustworthy script: the desktop runs directly. */
    assert_int_equal(build('D', false, "/usr/bin/dbus-run-session", prog), 0);
    assert_null(av[0]);
}

static void test_bad(void **state)
{
    (void)state;
    char *empty[] = {NULL};
    char *blank[] = {"", NULL};
    assert_int_equal(build('D', true, NULL, empty), -1);
    assert_int_equal(build('D', true, NULL, blank), -1);
    char big[400];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char *toolong[] = {"/usr/bin/prog", big, NULL};
    assert_int_equal(build('D', true, NULL, toolong), -1);
    /* Exactly filling the buffer (with its NUL) fits; one more does not. */
    char edge[sizeof line];
    memset(edge, 'y', sizeof edge - 1);
    edge[sizeof edge - 1] = '\0';
    char *fits[] = {edge, NULL};
    assert_int_equal(build('D', true, NULL, fits), 2);
    edge[sizeof edge - 2] = '\0';
    char *fits2[] = {"a", edge, NULL};
    assert_int_equal(build('D', true, NULL, fits2), -1);
}

static void test_linger(void **state)
{
    (void)state;
    assert_int_equal(x2go_linger_decide(false, true, false), X2GO_LINGER_OFF);
    assert_int_equal(x2go_linger_decide(false, false, false), X2GO_LINGER_OFF);
    assert_int_equal(x2go_linger_decide(true, false, false), X2GO_LINGER_NO_LOGIND);
    assert_int_equal(x2go_linger_decide(true, false, true), X2GO_LINGER_NO_LOGIND);
    assert_int_equal(x2go_linger_decide(true, true, true), X2GO_LINGER_ALREADY);
    assert_int_equal(x2go_linger_decide(true, true, false), X2GO_LINGER_ENABLE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_desktop_with_dbus), cmocka_unit_test(test_desktop_without_dbus),
        cmocka_unit_test(test_direct), cmocka_unit_test(test_bad), cmocka_unit_test(test_linger),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
