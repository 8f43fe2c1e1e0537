/* x2goprint's spool names, job titles and .ready text (spec 2.4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "printspool.h"

static void names(void **state)
{
    (void)state;
    assert_true(x2go_print_name_valid("alice-50-1700000000_stDxterm_dp24_tmpab12.pdf"));
    assert_true(x2go_print_name_valid("u@d-50-1_stDx_dp24_x.pdf.title"));
    const char *bad[] = {"", ".", "..", ".hidden", "../etc/shadow", "a/b", "a b", "a\nb",
                         "caf\xc3\xa9", "a;b", "a|b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(x2go_print_name_valid(bad[i]));
    char longn[300];
    memset(longn, 'a', sizeof longn - 1);
    longn[sizeof longn - 1] = '\0';
    assert_false(x2go_print_name_valid(longn));
}

static void titles(void **state)
{
    (void)state;
    char t[X2GO_PRINT_TITLE_MAX + 1];
    x2go_print_title("My Report\nsecond line", t, sizeof t);
    assert_string_equal(t, "My Report");
    x2go_print_title("", t, sizeof t);
    assert_string_equal(t, "UNTITLED");
    x2go_print_title("\n", t, sizeof t);
    assert_string_equal(t, "UNTITLED");
    x2go_print_title("a\x1b[31mb\tc", t, sizeof t);
    assert_string_equal(t, "a_[31mb_c");
    x2go_print_title("Gr\xc3\xbc\xc3\x9f\xff", t, sizeof t);
    assert_string_equal(t, "Gr\xc3\xbc\xc3\x9f_");
    char longt[600];
    memset(longt, 'x', sizeof longt - 1);
    longt[sizeof longt - 1] = '\0';
    x2go_print_title(longt, t, sizeof t);
    assert_int_equal(strlen(t), X2GO_PRINT_TITLE_MAX);
    /* A multibyte character is never cut in half. */
    char small[4];
    x2go_print_title("a\xc3\xbc\xc3\xbc", small, sizeof small);
    assert_string_equal(small, "a\xc3\xbc");
}

static void ready_text(void **state)
{
    (void)state;
    char r[64];
    assert_int_equal(x2go_print_ready_text("job.pdf", "T", r, sizeof r), 0);
    assert_string_equal(r, "job.pdf\nT");
    assert_int_equal(x2go_print_ready_text("job.pdf", "T", r, 5), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names),
        cmocka_unit_test(titles),
        cmocka_unit_test(ready_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
