/* The agent's keyboard file as setxkbmap arguments (spec 2.5, 4.7). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "keyboard.h"

static char store[1024];
static const char *args[X2GO_KBD_MAX_ARGS];
static int rejected;

static int parse(const char *text)
{
    return x2go_keyboard_args(text, store, sizeof store, args, &rejected);
}

static void test_agent_file(void **state)
{
    (void)state;
    /* What nxagent writes (multi-layout client, evdev rules). */
    int n = parse("rules=\"evdev\"\nmodel=\"pc105\"\nlayout=\"de,us\"\n"
                  "variant=\"nodeadkeys,\"\noptions=\",grp:alt_shift_toggle\"\n");
    assert_int_equal(n, 10);
    assert_int_equal(rejected, 0);
    const char *want[] = {"-rules",   "base",        "-model",  "pc105",
                          "-layout",  "de,us",       "-variant", "nodeadkeys,",
                          "-option",  ",grp:alt_shift_toggle"};
    for (int i = 0; i < n; i++)
        assert_string_equal(args[i], want[i]);
}

static void test_shapes(void **state)
{
    (void)state;
    /* blanks, no quotes, empty values left out, unknown keys ignored,
     * order as in the file, last line without newline */
    int n = parse("  layout = us \nfoo=\"bar\"\nvariant=\"\"\nmodel=pc104\r\nrules=xevdevy");
    assert_int_equal(n, 6);
    assert_string_equal(args[0], "-layout");
    assert_string_equal(args[1], "us");
    /* unquoted values end before trailing blanks */
    assert_string_equal(args[2], "-model");
    assert_string_equal(args[3], "pc104");
    assert_string_equal(args[4], "-rules");
    assert_string_equal(args[5], "xbasey");
    assert_int_equal(parse(""), 0);
    assert_int_equal(parse("layouts=\"de\"\nxlayout=\"de\"\nlayout\n"), 0);
}

static void test_hostile(void **state)
{
    (void)state;
    /* Values that are not XKB names never reach setxkbmap. */
    int n = parse("layout=\"-display\"\nmodel=\"pc105;rm -rf\"\nvariant=\"$(id)\"\n"
                  "options=\"a b\"\nlayout=\"us\"\n");
    assert_int_equal(n, 2);
    assert_int_equal(rejected, 4);
    assert_string_equal(args[1], "us");
    char big[400];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char text[500];
    strcpy(text, "layout=");
    strcat(text, big);
    assert_int_equal(parse(text), 0);
    assert_int_equal(rejected, 1);
    /* More settings than arguments: refused, not cut. */
    char many[400] = "";
    for (int i = 0; i < 11; i++)
        strcat(many, "layout=us\n");
    assert_int_equal(parse(many), -1);
    assert_int_equal(x2go_keyboard_args("layout=us", store, 5, args, &rejected), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agent_file),
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
