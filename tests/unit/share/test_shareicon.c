/* Desktop icon files of shared folders: names, suffixes, content, the
 * user-dirs.dirs parser and the plasmoid stamp (spec 2.3.1, 2.3.4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "dirspec.h"
#include "shareicon.h"

#define SID_XFCE "alice-50-1700000000_stDXFCE_dp24"
#define SID_GNOME "alice-51-1700000000_stDGNOME_dp24"
#define SID_APP "alice-52-1700000000_stRxterm_dp24"

static void suffixes(void **state)
{
    (void)state;
    assert_int_equal(x2go_icon_features_wanted(SID_APP), 0);
    assert_int_equal(x2go_icon_features_wanted(SID_XFCE), X2GO_ICON_FM);
    assert_int_equal(x2go_icon_features_wanted(SID_GNOME), X2GO_ICON_FM | X2GO_ICON_GNOME);
    assert_string_equal(x2go_icon_features[0], "X2GO_GNOMEBINDINGS");
    /* Single applications get no icons; desktops need some bindings. */
    assert_null(x2go_icon_suffix(SID_APP, X2GO_ICON_FM | X2GO_ICON_GNOME));
    assert_null(x2go_icon_suffix(SID_XFCE, 0));
    assert_null(x2go_icon_suffix(SID_XFCE, X2GO_ICON_GNOME));
    assert_string_equal(x2go_icon_suffix(SID_XFCE, X2GO_ICON_FM), "");
    assert_string_equal(x2go_icon_suffix(SID_GNOME, X2GO_ICON_FM | X2GO_ICON_GNOME), "-gnome");
    assert_string_equal(x2go_icon_suffix(SID_GNOME, X2GO_ICON_FM), "");
    assert_string_equal(x2go_icon_suffix("a-1-1_stDMATE_dp24", X2GO_ICON_MATE), "-mate");
    assert_string_equal(x2go_icon_suffix("a-1-1_stDLXDE_dp24", X2GO_ICON_LXDE), "-lxde");
}

static void names(void **state)
{
    (void)state;
    /* Windows clients: x2goclient sends /cygdrive/<drive>/... with 8.3
     * names, python-x2go /windrive/<drive>/... and /uncpath/<server>/... */
    static const struct { const char *path, *suffix, *want; bool folder; } cases[] = {
        {"/home/alice/My Files", "", "_home_alice_My_Files (sshfs-disk)", true},
        {"/home/a", "-gnome", "_home_a (sshfs-disk-gnome)", true},
        {"/cygdrive/C/DOCUME~1/Alice", "", "C_DOCUME~1_Alice (sshfs-disk)", true},
        {"/windrive/D/Data", "", "D_Data (sshfs-disk)", true},
        {"/uncpath/fs1/share$/x", "", "fs1_share$_x (sshfs-disk)", true},
        {"/ramdrive/mnt/CDROM1", "", "CDROM1 (sshfs-cdrom)", false},
        {"/ramdrive/mnt/usb0", "-mate", "usb0 (sshfs-removable-mate)", false},
    };
    char n[300];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(x2go_icon_name(cases[i].path, cases[i].folder, cases[i].suffix, n,
                                        sizeof n), 0);
        assert_string_equal(n, cases[i].want);
    }
    assert_int_equal(x2go_icon_name("/a", true, "", n, 8), -1);
    assert_int_equal(x2go_icon_name("/cygdrive/", true, "", n, sizeof n), -1);
    assert_true(x2go_icon_name_is_ours("_home_a (sshfs-disk)"));
    assert_true(x2go_icon_name_is_ours("x (sshfs-removable-lxde)"));
    assert_false(x2go_icon_name_is_ours(" (sshfs-disk)"));
    assert_false(x2go_icon_name_is_ours("notes.txt"));
    assert_false(x2go_icon_name_is_ours("x (sshfs-disk-kde)"));
}

static void content(void **state)
{
    (void)state;
    char c[128], mp[64], sid[64];
    int n = x2go_icon_content("/tmp/.x2go-alice/media/disk/_a", SID_XFCE, c, sizeof c);
    const char want[] = "/tmp/.x2go-alice/media/disk/_a\n" SID_XFCE "\n\n";
    assert_int_equal(n, sizeof want); /* the trailing NUL is part of it */
    assert_memory_equal(c, want, sizeof want);
    assert_true(x2go_icon_parse(c, (size_t)n, mp, sizeof mp, sid, sizeof sid));
    assert_string_equal(mp, "/tmp/.x2go-alice/media/disk/_a");
    assert_string_equal(sid, SID_XFCE);
    assert_false(x2go_icon_parse("only one line\n", 14, mp, sizeof mp, sid, sizeof sid));
    assert_false(x2go_icon_parse("\nx\n", 3, mp, sizeof mp, sid, sizeof sid));
    assert_false(x2go_icon_parse("a\0b\nc\n", 6, mp, sizeof mp, sid, sizeof sid));
    assert_int_equal(x2go_icon_content("/x", SID_XFCE, c, 10), -1);
}

static void user_dirs(void **state)
{
    (void)state;
    char d[256];
    const char *home = "/home/alice";
    assert_int_equal(x2go_user_dirs_desktop("# c\nXDG_DOWNLOAD_DIR=\"$HOME/Dl\"\n"
                                            "XDG_DESKTOP_DIR=\"$HOME/Schreibtisch\"\n",
                                            home, d, sizeof d), 0);
    assert_string_equal(d, "/home/alice/Schreibtisch");
    assert_int_equal(x2go_user_dirs_desktop("XDG_DESKTOP_DIR=\"/srv/desk\"\n", home, d,
                                            sizeof d), 0);
    assert_string_equal(d, "/srv/desk");
    /* The reference runs this file through a shell; here nothing is run. */
    const char *bad[] = {"XDG_DESKTOP_DIR=\"$(touch /tmp/x)\"\n", "XDG_DESKTOP_DIR=\"`id`\"\n",
                         "XDG_DESKTOP_DIR=\"$HOME/$USER\"\n", "XDG_DESKTOP_DIR=\"rel/dir\"\n",
                         "XDG_DESKTOP_DIR=\"$HOME/../x\"\n", "XDG_DESKTOP_DIR=\"$HOME/x\n",
                         "XDG_DESKTOP_DIR=$HOME/x\n", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(x2go_user_dirs_desktop(bad[i], home, d, sizeof d), 1);
    assert_int_equal(x2go_user_dirs_desktop("XDG_DESKTOP_DIR=\"$HOME/Desktop\"", home, d, 8), -1);
}

static void plasmoid(void **state)
{
    (void)state;
    assert_true(x2go_plasmoid_active("1000\n", 1010));
    assert_true(x2go_plasmoid_active("1010", 1000));
    assert_false(x2go_plasmoid_active("1000", 1015));
    assert_false(x2go_plasmoid_active("", 1000));
    assert_false(x2go_plasmoid_active("1000x", 1000));
}

/* The mount point names of Windows clients' paths (x2gomountdirs). */
static void windows_mountpoints(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"/uncpath/fs1/share$/x", "_uncpath_fs1_share$_x"},
        {"/windrive/C/Users/Alice", "_windrive_C_Users_Alice"},
        {"/cygdrive/C/DOCUME~1/Alice", "_cygdrive_C_DOCUME1_Alice"},
    };
    char n[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(x2go_share_mangle(cases[i][0], n, sizeof n), 0);
        assert_string_equal(n, cases[i][1]);
    }
    /* x2goumount-session gets the Windows path itself. */
    assert_int_equal(x2go_share_mangle_client("C:\\Users\\Alice\\My Docs", n, sizeof n), 0);
    assert_string_equal(n, "_cygdrive_C_Users_Alice_My_Docs");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(suffixes),  cmocka_unit_test(names),    cmocka_unit_test(content),
        cmocka_unit_test(user_dirs), cmocka_unit_test(plasmoid), cmocka_unit_test(windows_mountpoints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
