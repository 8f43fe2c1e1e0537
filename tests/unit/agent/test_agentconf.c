/* The x2goagent.options reader (spec 6.3): the shell subset it accepts
 * and the clear error (file and line) for everything else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentopts.h"
#include "util.h"

static struct x2go_agent_vars v;

static void ok(const char *text)
{
    if (x2go_agent_conf_parse("f", text, &v) != 0)
        fail_msg("refused %s: %s", text, x2go_err());
}

static void bad(const char *text, const char *err)
{
    assert_int_equal(x2go_agent_conf_parse("/etc/x2go/x2goagent.options", text, &v), -1);
    assert_string_equal(x2go_err(), err);
}

static void test_shipped(void **state)
{
    (void)state;
    /* The reference's Debian file, shape for shape. */
    ok("#\n# This file can be used ...\n\nX2GO_NXAGENT_DEFAULT_OPTIONS=\"\"\n\n"
       "#X2GO_NXAGENT_DEFAULT_OPTIONS+=\" -extension GLX\"\n"
       "X2GO_NXAGENT_DEFAULT_OPTIONS+=\" -nolisten tcp\"\n"
       "#X2GO_NXAGENT_DEFAULT_OPTIONS+=\" -clipboard both\"\n"
       "# Extra nxagent nx/nx options, separated by commas.  For example: sleep=0\n"
       "X2GO_NXOPTIONS=\"\"\n");
    assert_true(v.dflt_set);
    assert_string_equal(v.dflt, " -nolisten tcp");
    assert_true(v.nxopts_set);
    assert_string_equal(v.nxopts, "");
    assert_false(v.opts_set);
}

static void test_shapes(void **state)
{
    (void)state;
    setenv("X2GOIT_ENV", "from-env", 1);
    unsetenv("X2GOIT_UNSET");
    ok("  A='-dpi 96'   # trailing comment\n"
       "export B=\"$A -nolisten tcp\"\n"
       "C=${B}\\ x'y'\"z\"\n"
       "X2GO_NXAGENT_DEFAULT_OPTIONS=$C\r\n"
       "X2GO_NXAGENT_DEFAULT_OPTIONS+=\" \\\"q\\\" \\$HOME $X2GOIT_ENV$X2GOIT_UNSET\"\n"
       "export X2GO_NXOPTIONS\n"
       "X2GO_NXOPTIONS=sleep=0,#notacomment\n"
       "X2GO_NXAGENT_OPTIONS='$A'\n"
       "D=a$\n");
    assert_string_equal(v.dflt, "-dpi 96 -nolisten tcp xyz \"q\" $HOME from-env");
    assert_string_equal(v.nxopts, "sleep=0,#notacomment");
    assert_string_equal(v.opts, "$A");
    /* += on a variable only the environment has appends to it */
    setenv("X2GO_NXOPTIONS", "a=1", 1);
    ok("X2GO_NXOPTIONS+=\",b=2\"\n");
    assert_string_equal(v.nxopts, "a=1,b=2");
    unsetenv("X2GO_NXOPTIONS");
    ok("");
    assert_false(v.dflt_set);
}

static void test_refused(void **state)
{
    (void)state;
    const char *f = "/etc/x2go/x2goagent.options line ";
    char want[256];
#define BAD(text, line, why)                                                               \
    do {                                                                                   \
        snprintf(want, sizeof want, "%s%d: %s", f, line, why);                             \
        bad(text, want);                                                                   \
    } while (0)
    BAD("A=1\nrm -rf /\n", 2, "expected NAME=value, NAME+=value or a comment");
    BAD("A=\"$(id)\"\n", 1, "command substitution is not run");
    BAD("A=`id`\n", 1, "shell commands and operators are not run");
    BAD("A=\"`id`\"\n", 1, "command substitution is not run");
    BAD("A=${B:-x}\n", 1, "only ${NAME} expansions are understood");
    BAD("A=$1\n", 1, "special parameters ($1, $$, $?, ...) are not understood");
    BAD("A=\"x\n", 1, "unbalanced quotes");
    BAD("A='x\n", 1, "unbalanced quotes");
    BAD("A=x y\n", 1, "more than one word after '=' (quote the value)");
    BAD("A=x;id\n", 1, "shell commands and operators are not run");
    BAD("A=x|id\n", 1, "shell commands and operators are not run");
    BAD("A=(a b)\n", 1, "shell commands and operators are not run");
    BAD("if true; then A=1; fi\n", 1, "expected NAME=value, NAME+=value or a comment");
    BAD("source /tmp/x\n", 1, "expected NAME=value, NAME+=value or a comment");
    BAD(". /tmp/x\n", 1, "expected NAME=value, NAME+=value or a comment");
    BAD("A =1\n", 1, "expected NAME=value, NAME+=value or a comment");
    BAD("export A B=$(id)\n", 1, "expected NAME=value, NAME+=value or a comment");
    char *longv = malloc(2100);
    strcpy(longv, "A=");
    memset(longv + 2, 'x', 1100);
    strcpy(longv + 1102, "\n");
    BAD(longv, 1, "value too long");
    memset(longv + 2, 'x', 2000);
    strcpy(longv + 2002, "\n");
    BAD(longv, 1, "line too long");
    free(longv);
    /* the first bad line is the one named */
    BAD("A=1\n\n# c\nB=$(x)\nC=$(y)\n", 4, "command substitution is not run");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped),
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
