/* The agent's inputs: argument grammars of x2gostartagent/x2goresume-session,
 * the options file (spec 4.3) and its rewrite by key on resume (4.4), the
 * x2goagent.options reader, and the hook modality list (2.7). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentopts.h"
#include "hooks.h"

static void test_grammars(void **state)
{
    (void)state;
    assert_true(x2go_valid_geometry("800x600"));
    assert_true(x2go_valid_geometry("99999x1"));
    assert_true(x2go_valid_geometry("fullscreen"));
    assert_true(x2go_valid_geometry(""));
    assert_false(x2go_valid_geometry("800x600x"));
    assert_false(x2go_valid_geometry("x600"));
    assert_false(x2go_valid_geometry("800x"));
    assert_false(x2go_valid_geometry("123456x1"));
    assert_true(x2go_valid_geometry("800x600+0+0"));
    assert_true(x2go_valid_geometry("800x600+1920+0"));
    assert_false(x2go_valid_geometry("800x600+0"));
    assert_false(x2go_valid_geometry("800x600+0+"));
    assert_false(x2go_valid_geometry("800x600+-1+0"));
    assert_false(x2go_valid_geometry("800x600+0+0+0"));
    assert_false(x2go_valid_geometry("maximize"));

    assert_true(x2go_valid_link("lan"));
    assert_true(x2go_valid_link("modem"));
    assert_false(x2go_valid_link("LAN"));
    assert_false(x2go_valid_link(""));

    assert_true(x2go_valid_pack("16m-jpeg-9"));
    assert_true(x2go_valid_pack("nopack"));
    assert_false(x2go_valid_pack("16m,jpeg"));
    assert_false(x2go_valid_pack("a=b"));
    assert_false(x2go_valid_pack(""));

    assert_true(x2go_valid_kbtype("auto"));
    assert_true(x2go_valid_kbtype("pc105/us"));
    assert_true(x2go_valid_kbtype("pc105/de(nodeadkeys)"));
    assert_false(x2go_valid_kbtype("pc105,us"));
    assert_true(x2go_valid_kbtype("pc105/de,us"));
    assert_true(x2go_valid_kbtype("pc105/de(nodeadkeys),us"));
    assert_false(x2go_valid_kbtype("pc105/de,"));
    assert_false(x2go_valid_kbtype("pc105/,us"));
    assert_false(x2go_valid_kbtype("pc105/de,,us"));
    assert_false(x2go_valid_kbtype("pc105/de,us=1"));
    assert_false(x2go_valid_kbtype("pc105/"));
    assert_false(x2go_valid_kbtype("pc105/us:1"));

    const char *clip[] = {"0", "none", "client", "server", "both", "1"};
    for (size_t i = 0; i < sizeof clip / sizeof *clip; i++)
        assert_true(x2go_valid_clipboard(clip[i]));
    assert_false(x2go_valid_clipboard("-timeout"));

    int depth = 0;
    assert_true(x2go_parse_sesstype("unix-kde-depth_24", &depth));
    assert_int_equal(depth, 24);
    assert_false(x2go_parse_sesstype("unix-kde-depth_", &depth));
    assert_false(x2go_parse_sesstype("unix-kde", &depth));
    assert_false(x2go_parse_sesstype("unix,kde-depth_24", &depth));
    assert_false(x2go_parse_sesstype("unix-kde-depth_123", &depth));

    assert_true(x2go_truthy("True", false));
    assert_true(x2go_truthy("yes", false));
    assert_false(x2go_truthy("False", true));
    assert_false(x2go_truthy("no", true));
    assert_true(x2go_truthy(NULL, true));
    assert_false(x2go_truthy("none", false)); /* the reference said true */
}

static const char expected[] =
    "nx/nx,link=lan,pack=16m-jpeg-9,limit=0,root=/tmp/.x2go-alice/C-S,cache=8M,images=32M,"
    "type=unix-kde-depth_24,id=S,cookie=3ebbe794a3494f5ad424bce6f8617c8b,"
    "errors=/tmp/.x2go-alice/C-S/session.log_errors,kbtype=pc105/us,geometry=1024x768,"
    "xinerama=0,resize=1,fullscreen=0,accept=localhost,listen=30138,clipboard=both,"
    "client=linux,menu=0,state=/tmp/.x2go-alice/C-S/state:50\n";

static struct x2go_options base(void)
{
    struct x2go_options o = {
        .link = "lan", .pack = "16m-jpeg-9", .type = "unix-kde-depth_24", .sid = "S",
        .cookie = "3ebbe794a3494f5ad424bce6f8617c8b", .dir = "/tmp/.x2go-alice/C-S",
        .kbtype = "pc105/us", .geometry = "1024x768", .xinerama = false, .fullscreen = false,
        .gr_port = 30138, .clipboard = "both", .nxoptions = "", .display = 50,
    };
    return o;
}

static void test_format(void **state)
{
    (void)state;
    char buf[4096];
    struct x2go_options o = base();
    assert_int_equal(x2go_options_format(&o, buf, sizeof buf), 0);
    assert_string_equal(buf, expected);
    /* No geometry key for fullscreen; extra keys before state=. */
    o.geometry = "fullscreen";
    o.fullscreen = true;
    o.nxoptions = "sleep=0,";
    assert_int_equal(x2go_options_format(&o, buf, sizeof buf), 0);
    assert_null(strstr(buf, "geometry="));
    assert_non_null(strstr(buf, ",fullscreen=1,"));
    assert_non_null(strstr(buf, ",menu=0,sleep=0,state="));
    char small[64];
    assert_int_equal(x2go_options_format(&o, small, sizeof small), -1);
    /* Several layouts: the comma-separated line takes the first one. */
    o.kbtype = "pc105/de(nodeadkeys),us";
    assert_int_equal(x2go_options_format(&o, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, ",kbtype=pc105/de(nodeadkeys),xinerama=0,"));
}

static void test_rewrite(void **state)
{
    (void)state;
    char out[4096];
    struct x2go_options_update u = {
        .link = "adsl", .pack = "16m-jpeg-7", .kbtype = "null/null", .geometry = "800x600",
        .clipboard = "server", .xinerama = true, .fullscreen = false, .gr_port = 31444,
    };
    assert_int_equal(x2go_options_rewrite(expected, &u, out, sizeof out), 0);
    assert_string_equal(out,
        "nx/nx,link=adsl,pack=16m-jpeg-7,limit=0,root=/tmp/.x2go-alice/C-S,cache=8M,"
        "images=32M,type=unix-kde-depth_24,id=S,cookie=3ebbe794a3494f5ad424bce6f8617c8b,"
        "errors=/tmp/.x2go-alice/C-S/session.log_errors,kbtype=null/null,geometry=800x600,"
        "xinerama=1,resize=1,fullscreen=0,accept=localhost,listen=31444,clipboard=server,"
        "client=linux,menu=0,state=/tmp/.x2go-alice/C-S/state:50\n");

    /* fullscreen drops the geometry key ... */
    u.geometry = "fullscreen";
    u.fullscreen = true;
    char out2[4096];
    assert_int_equal(x2go_options_rewrite(out, &u, out2, sizeof out2), 0);
    assert_null(strstr(out2, "geometry="));
    assert_non_null(strstr(out2, ",kbtype=null/null,xinerama=1,resize=1,fullscreen=1,"));
    /* ... and a later WxH brings it back after kbtype (spec 8.4 #34). */
    u.geometry = "1280x800";
    u.fullscreen = false;
    assert_int_equal(x2go_options_rewrite(out2, &u, out, sizeof out), 0);
    assert_non_null(strstr(out, ",kbtype=null/null,geometry=1280x800,xinerama=1,"));
    assert_int_equal((int)(strstr(out, "geometry=") - out), (int)(strstr(out, "kbtype=") - out) +
                     (int)strlen("kbtype=null/null,"));

    /* Several layouts: the agent keeps those of its command line. */
    u.kbtype = "pc105/de,us";
    assert_int_equal(x2go_options_rewrite(expected, &u, out2, sizeof out2), 0);
    assert_null(strstr(out2, "kbtype="));
    assert_null(strstr(out2, ",us,"));
    assert_non_null(strstr(out2, ",errors="));
    assert_non_null(strstr(out2, "session.log_errors,geometry=1280x800,xinerama="));

    assert_null(x2go_kbtype_agent_arg("pc105/de"));
    assert_null(x2go_kbtype_agent_arg("auto"));
    assert_null(x2go_kbtype_agent_arg("null/null"));
    assert_null(x2go_kbtype_agent_arg(NULL));
    assert_string_equal(x2go_kbtype_agent_arg("pc105/de,us"), "pc105/de,us");
    assert_string_equal(x2go_kbtype_agent_arg("pc105/de(neo),us"), "pc105/de(neo),us");

    assert_int_equal(x2go_options_rewrite("garbage", &u, out, sizeof out), -1);
    assert_int_equal(x2go_options_rewrite("nx/nx,link=lan", &u, out, sizeof out), -1);
}

static void test_agent_conf(void **state)
{
    (void)state;
    char path[] = "/tmp/x2go-test-agentopts-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] =
        "# comment\n"
        "X2GO_NXAGENT_DEFAULT_OPTIONS=\"\"\n"
        "X2GO_NXAGENT_DEFAULT_OPTIONS+=\" -nolisten tcp\"\n"
        "X2GO_NXAGENT_DEFAULT_OPTIONS+=\" -extension GLX\"\n"
        "OTHER=\"ignored\"\n"
        "X2GO_NXOPTIONS=\"sleep=0\"\n";
    assert_int_equal(write(fd, text, sizeof text - 1), (int)sizeof text - 1);
    close(fd);
    unsetenv("X2GO_NXAGENT_OPTIONS");
    unsetenv("X2GO_NXOPTIONS");
    struct x2go_agent_conf c;
    assert_int_equal(x2go_agent_conf_load(path, &c), 0);
    assert_int_equal(c.nargs, 4);
    assert_string_equal(c.args[0], "-nolisten");
    assert_string_equal(c.args[3], "GLX");
    assert_string_equal(c.nxoptions, "sleep=0,");

    /* The environment's agent options win over the default. */
    setenv("X2GO_NXAGENT_OPTIONS", "-dpi 120", 1);
    assert_int_equal(x2go_agent_conf_load(path, &c), 0);
    assert_int_equal(c.nargs, 2);
    assert_string_equal(c.args[1], "120");
    unsetenv("X2GO_NXAGENT_OPTIONS");

    /* Missing file: built-in default. */
    assert_int_equal(x2go_agent_conf_load("/nonexistent/x2goagent.options", &c), 0);
    assert_int_equal(c.nargs, 4);
    assert_string_equal(c.args[1], "GLX");

    /* Shell code is refused, not run: the built-in defaults are used. */
    const char *bad[] = {"X2GO_NXAGENT_DEFAULT_OPTIONS=\"$(touch /tmp/pwned)\"\n",
                         "rm -rf /\n", "X2GO_NXOPTIONS=\"a:b\"\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        FILE *f = fopen(path, "w");
        fputs(bad[i], f);
        fclose(f);
        assert_int_equal(x2go_agent_conf_load(path, &c), 1);
        assert_int_equal(c.nargs, 4);
        assert_string_equal(c.args[1], "GLX");
        assert_string_equal(c.nxoptions, "");
    }
    /* A bad value in the environment is the caller's error. */
    setenv("X2GO_NXAGENT_OPTIONS", "-dpi\x01", 1);
    assert_int_equal(x2go_agent_conf_load(path, &c), -1);
    unsetenv("X2GO_NXAGENT_OPTIONS");
    unlink(path);
}

static void test_modalities(void **state)
{
    (void)state;
    assert_true(x2go_hook_modality_valid("pre-start"));
    assert_true(x2go_hook_modality_valid("fail-runcommand"));
    assert_true(x2go_hook_modality_valid("post-terminate"));
    assert_false(x2go_hook_modality_valid("pre-"));
    assert_false(x2go_hook_modality_valid("start"));
    assert_false(x2go_hook_modality_valid("pre-start/../../x"));
    assert_false(x2go_hook_modality_valid("during-start"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grammars),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_rewrite),
        cmocka_unit_test(test_agent_conf),
        cmocka_unit_test(test_modalities),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
