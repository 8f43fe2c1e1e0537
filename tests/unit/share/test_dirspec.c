/* x2gomountdirs' folder list and the mount point names (spec 2.3.1,
 * client contract 2.10). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "dirspec.h"
#include "mounts.h"

static struct x2go_dirspec d;

static int parse(const char *a, const char *b, const char *c)
{
    char *w[3] = {(char *)a, (char *)b, (char *)c};
    int n = c ? 3 : b ? 2 : 1;
    return x2go_dirspec_parse(n, w, &d);
}

static void python_call_with_space(void **state)
{
    (void)state;
    /* python-x2go: a path with a space arrives as two words. */
    assert_int_equal(parse("/srv/share", "dir__REVERSESSH_PORT__32140", NULL), 0);
    assert_string_equal(d.joined, "/srv/share dir__REVERSESSH_PORT__32140");
    assert_int_equal(d.n, 1);
    assert_string_equal(d.shares[0].path, "/srv/share dir");
    assert_int_equal(d.shares[0].kind, X2GO_SHARE_FOLDER);
    assert_int_equal(d.port, 32140);
    assert_true(d.reverse);
}

static void spools_and_several_folders(void **state)
{
    (void)state;
    assert_int_equal(parse("/a:/b/c:/h/.x2go/S-x/spool__PRINT_SPOOL_:/h/m__MIMEBOX_SPOOL___SSH_PORT__22022",
                           NULL, NULL), 0);
    assert_int_equal(d.n, 4);
    assert_string_equal(d.shares[1].path, "/b/c");
    assert_int_equal(d.shares[2].kind, X2GO_SHARE_PRINT);
    assert_string_equal(d.shares[2].path, "/h/.x2go/S-x/spool");
    assert_int_equal(d.shares[3].kind, X2GO_SHARE_MIMEBOX);
    assert_string_equal(d.shares[3].path, "/h/m");
    assert_int_equal(d.port, 22022);
    assert_false(d.reverse);
    /* No port: 22, direct. */
    assert_int_equal(parse("/x", NULL, NULL), 0);
    assert_int_equal(d.port, 22);
    assert_false(d.reverse);
    /* UTF-8 folder names are fine. */
    assert_int_equal(parse("/home/j\xc3\xbcrgen/D\xc3\xa9p\xc3\xb4t__REVERSESSH_PORT__1", NULL, NULL), 0);
}

static void refuses_malformed(void **state)
{
    (void)state;
    const char *bad[] = {
        "relative/path__REVERSESSH_PORT__2000",      /* not absolute */
        "/a__REVERSESSH_PORT__0",                     /* port 0 */
        "/a__REVERSESSH_PORT__65536",                 /* port too big */
        "/a__REVERSESSH_PORT__12x",                   /* port not digits */
        "/a__REVERSESSH_PORT__",                      /* no port */
        "/a__SSH_PORT__-5",
        "/a|b__REVERSESSH_PORT__2000",                /* the list separator */
        "/a\"b__REVERSESSH_PORT__2000",
        "/a\nb__REVERSESSH_PORT__2000",               /* control character */
        "/a\xff__REVERSESSH_PORT__2000",              /* invalid UTF-8 */
        "/a\xc0\xaf__REVERSESSH_PORT__2000",          /* overlong UTF-8 */
        "__REVERSESSH_PORT__2000",                    /* no folder */
        ":::",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(parse(bad[i], NULL, NULL), -1);
    static char longp[X2GO_SHARE_PATH_MAX + 10];
    memset(longp, 'a', sizeof longp - 1);
    longp[0] = '/';
    assert_int_equal(parse(longp, NULL, NULL), -1);
    static char huge[X2GO_DIRSPEC_MAX + 10];
    memset(huge, 'a', sizeof huge - 1);
    assert_int_equal(parse(huge, NULL, NULL), -1);
    char many[400] = "";
    for (int i = 0; i <= X2GO_SHARES_MAX; i++)
        strcat(many, "/a:");
    assert_int_equal(parse(many, NULL, NULL), -1);
}

static void mangling(void **state)
{
    (void)state;
    char n[X2GO_MANGLED_MAX + 1];
    bool cd;
    assert_int_equal(x2go_share_mangle("/srv/share dir", n, sizeof n), 0);
    assert_string_equal(n, "_srv_share_dir");
    assert_int_equal(x2go_share_mangle("~/cygdrive/c/Users/x", n, sizeof n), 0);
    assert_string_equal(n, "c_Users_x");
    assert_int_equal(x2go_share_mangle("/a~b", n, sizeof n), 0);
    assert_string_equal(n, "_ab");
    assert_int_equal(x2go_share_mangle_removable("/ramdrive/mnt/CDROM1", n, sizeof n, &cd), 0);
    assert_string_equal(n, "CDROM1");
    assert_true(cd);
    assert_int_equal(x2go_share_mangle_removable("/media/usb", n, sizeof n, &cd), 0);
    assert_false(cd);
    /* x2goumount-session's client path maps onto the same name. */
    assert_int_equal(x2go_share_mangle_client("/srv/share dir", n, sizeof n), 0);
    assert_string_equal(n, "_srv_share_dir");
    assert_int_equal(x2go_share_mangle_client("C:\\Users\\x y", n, sizeof n), 0);
    assert_string_equal(n, "_cygdrive_C_Users_x_y");
    assert_int_equal(x2go_share_mangle_client("/a\\040b", n, sizeof n), 0);
    assert_string_equal(n, "_a_b");
    /* Nothing usable, or one directory entry too long. */
    assert_int_equal(x2go_share_mangle("~", n, sizeof n), -1);
    char longp[400];
    memset(longp, 'a', sizeof longp - 1);
    longp[sizeof longp - 1] = '\0';
    assert_int_equal(x2go_share_mangle(longp, n, sizeof n), -1);
}

static void mount_points(void **state)
{
    (void)state;
    char mp[600];
    struct x2go_share f = {"/srv/x", X2GO_SHARE_FOLDER}, p = {"/c/spool", X2GO_SHARE_PRINT},
                      m = {"/c/mb", X2GO_SHARE_MIMEBOX}, r = {"/ramdrive/mnt/CDROM", X2GO_SHARE_FOLDER};
    const char *sid = "u-50-1700000000_stDx_dp24";
    assert_int_equal(x2go_share_mountpoint(&f, true, sid, mp, sizeof mp), 0);
    assert_string_equal(mp, "media/disk/_srv_x");
    assert_int_equal(x2go_share_mountpoint(&p, true, sid, mp, sizeof mp), 0);
    assert_string_equal(mp, "spool/C-u-50-1700000000_stDx_dp24");
    assert_int_equal(x2go_share_mountpoint(&m, true, sid, mp, sizeof mp), 0);
    assert_string_equal(mp, "mimebox/C-u-50-1700000000_stDx_dp24");
    assert_int_equal(x2go_share_mountpoint(&r, false, sid, mp, sizeof mp), 0);
    assert_string_equal(mp, "media/cd/CDROM");
    f.path = "/media/usb";
    assert_int_equal(x2go_share_mountpoint(&f, false, sid, mp, sizeof mp), 0);
    assert_string_equal(mp, "media/rm/_media_usb");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(python_call_with_space),
        cmocka_unit_test(spools_and_several_folders),
        cmocka_unit_test(refuses_malformed),
        cmocka_unit_test(mangling),
        cmocka_unit_test(mount_points),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
