/* Which processes the desktop-sharing helpers stop (spec 2.2): the
 * applet by its argv[0], on the session's display only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "applet.h"

static void test_display_value(void **state)
{
    (void)state;
    assert_true(x2go_display_value_is(":50", 50));
    assert_true(x2go_display_value_is(":50.0", 50));
    assert_true(x2go_display_value_is("localhost:50.1", 50));
    /* the reference's substring match stopped :50's applet for :5 */
    assert_false(x2go_display_value_is(":50", 5));
    assert_false(x2go_display_value_is(":5", 50));
    assert_false(x2go_display_value_is(":500.0", 50));
    assert_false(x2go_display_value_is(":50.", 50));
    assert_false(x2go_display_value_is(":50.x", 50));
    assert_false(x2go_display_value_is(":", 50));
    assert_false(x2go_display_value_is("50", 50));
    assert_false(x2go_display_value_is(":-50", 50));
    assert_false(x2go_display_value_is("", 50));
}

static void test_environ(void **state)
{
    (void)state;
    static const char env[] = "HOME=/home/a\0XDISPLAY=:52\0DISPLAY=:51.0\0";
    assert_string_equal(x2go_environ_display(env, sizeof env - 1), ":51.0");
    static const char none[] = "HOME=/home/a\0MYDISPLAY=:51\0";
    assert_null(x2go_environ_display(none, sizeof none - 1));
    /* an entry cut off at the end of the block is not trusted */
    static const char cut[] = "HOME=/x\0DISPLAY=:51";
    assert_null(x2go_environ_display(cut, sizeof cut - 1));
    assert_null(x2go_environ_display("", 0));
}

static void test_cmdline(void **state)
{
    (void)state;
    static const char a[] = "/usr/bin/x2godesktopsharing\0--activate-desktop-sharing\0";
    static const char b[] = "x2godesktopsharing\0";
    static const char c[] = "/usr/bin/python3\0x2godesktopsharing\0";
    static const char d[] = "/usr/bin/x2godesktopsharing2\0";
    static const char e[] = "/usr/bin/x2godesktopsharing";  /* no terminator */
    assert_true(x2go_cmdline_is_applet(a, sizeof a - 1));
    assert_true(x2go_cmdline_is_applet(b, sizeof b - 1));
    assert_false(x2go_cmdline_is_applet(c, sizeof c - 1));
    assert_false(x2go_cmdline_is_applet(d, sizeof d - 1));
    assert_false(x2go_cmdline_is_applet(e, sizeof e - 1));
    assert_false(x2go_cmdline_is_applet("", 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_display_value),
        cmocka_unit_test(test_environ),
        cmocka_unit_test(test_cmdline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
