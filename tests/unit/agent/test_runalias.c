/* The generic names of x2goruncommand (spec 5): every desktop alias with
 * its program installed and not, over a made-up set of files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "runalias.h"

/* The files of the made-up system; a trailing '*' marks an executable. */
static const char *const *installed;

static bool has(const char *path, bool exec, void *ctx)
{
    (void)ctx;
    size_t n = strlen(path);
    for (const char *const *p = installed; p && *p; p++)
        if (!strncmp(*p, path, n) && ((*p)[n] == '\0' || (*p)[n] == '*'))
            return !exec || (*p)[n] == '*';
    return false;
}

static struct x2go_alias a;

static void resolve_on(const char *cmd, const char *const *files, const char *id,
                       const char *rel, bool squeeze)
{
    struct x2go_alias_facts f = {has, NULL, id, rel, squeeze};
    installed = files;
    x2go_alias_resolve(cmd, &f, &a);
}

static void resolve(const char *cmd, const char *const *files)
{
    resolve_on(cmd, files, NULL, NULL, false);
}

static const char *env_of(const char *name, bool *append)
{
    for (int i = 0; i < a.nenv; i++)
        if (!strcmp(a.env[i].name, name)) {
            if (append)
                *append = a.env[i].append;
            return a.env[i].value;
        }
    return NULL;
}

static void is(const char *cmd, const char *args, int nenv)
{
    assert_string_equal(a.cmd, cmd);
    if (args)
        assert_string_equal(a.args, args);
    else
        assert_null(a.args);
    assert_int_equal(a.nenv, nenv);
}

/* cmd stands for want, with no arguments and no environment */
static void maps(const char *cmd, const char *const *files, const char *want)
{
    resolve(cmd, files);
    is(want, NULL, 0);
}

static const char *const nothing[] = {NULL};

static void test_single_program_desktops(void **state)
{
    (void)state;
    static const struct { const char *alias, *path; } d[] = {
        {"XFCE", "/usr/bin/xfce4-session"}, {"XFCE4", "/usr/bin/xfce4-session"},
        {"MATE", "/usr/bin/mate-session"},  {"LXDE", "/usr/bin/startlxde"},
        {"LXQt", "/usr/bin/startlxqt"},     {"OPENBOX", "/usr/bin/openbox-session"},
        {"IceWM", "/usr/bin/icewm"},        {"ICEWM", "/usr/bin/icewm-session"},
    };
    for (size_t i = 0; i < sizeof d / sizeof *d; i++) {
        const char *const with[] = {d[i].path, NULL};
        /* installed: that program; not installed: the same program, which
         * the NOEXEC message then names */
        maps(d[i].alias, with, d[i].path);
        maps(d[i].alias, nothing, d[i].path);
    }
    /* compared case-sensitively and whole */
    maps("xfce", nothing, "xfce");
    maps("XFCE --foo", nothing, "XFCE --foo");
    maps("mate-session", nothing, "mate-session");
}

static void test_kde(void **state)
{
    (void)state;
    const char *const plasma[] = {"/usr/bin/startplasma-x11*", "/usr/bin/startkde*", NULL};
    const char *const old[] = {"/usr/bin/startkde*", NULL};
    maps("KDE", plasma, "/usr/bin/startplasma-x11");
    maps("KDE", old, "/usr/bin/startkde");
    maps("KDE", nothing, "/usr/bin/startkde");
    /* what old clients send (python-x2go too): plasma when it is there */
    maps("startkde", plasma, "/usr/bin/startplasma-x11");
    maps("startkde", old, "startkde");
    maps("startkde", nothing, "startkde");
}

static void test_gnome_debian(void **state)
{
    (void)state;
    const char *const metacity[] = {
        "/usr/bin/gnome-session*",
        "/usr/share/gnome-session/sessions/gnome-flashback-metacity.session",
        "/usr/share/gnome-session/sessions/gnome-flashback.session", NULL};
    bool app = true;
    resolve("GNOME", metacity);
    is("/usr/bin/gnome-session",
       "--session=gnome-flashback-metacity --disable-acceleration-check", 3);
    assert_string_equal(env_of("DESKTOP_SESSION", &app), "gnome-flashback-metacity");
    assert_false(app);
    assert_string_equal(env_of("XDG_SESSION_DESKTOP", NULL), "gnome-flashback-metacity");
    assert_string_equal(env_of("XDG_CURRENT_DESKTOP", NULL), "GNOME-Flashback:GNOME");
    /* gnome-session is the same name */
    resolve("gnome-session", metacity);
    is("/usr/bin/gnome-session",
       "--session=gnome-flashback-metacity --disable-acceleration-check", 3);

    static const struct { const char *file, *ds, *args; } older[] = {
        {"gnome-flashback.session", "gnome-flashback",
         "--session=gnome-flashback --disable-acceleration-check"},
        {"gnome-fallback.session", "gnome-fallback", "--session=gnome-fallback"},
        {"2d-gnome.session", "2d-gnome", "--session=2d-gnome"},
    };
    for (size_t i = 0; i < sizeof older / sizeof *older; i++) {
        char path[128] = "/usr/share/gnome-session/sessions/";
        strcat(path, older[i].file);
        const char *const files[] = {"/usr/bin/gnome-session*", path, NULL};
        resolve("GNOME", files);
        is("/usr/bin/gnome-session", older[i].args, 1);
        assert_string_equal(env_of("DESKTOP_SESSION", NULL), older[i].ds);
    }
    /* plain GNOME 3 (Debian today), and nothing installed */
    const char *const plain[] = {"/usr/bin/gnome-session*", NULL};
    maps("GNOME", plain, "/usr/bin/gnome-session");
    maps("GNOME", nothing, "/usr/bin/gnome-session");
    /* Debian squeeze: DESKTOP_SESSION=gnome, no arguments */
    resolve_on("GNOME", plain, NULL, NULL, true);
    is("/usr/bin/gnome-session", NULL, 1);
    assert_string_equal(env_of("DESKTOP_SESSION", NULL), "gnome");
}

static void test_gnome_ubuntu(void **state)
{
    (void)state;
    bool app = false;
    /* a session file does not count before the releases */
    const char *const files[] = {
        "/usr/share/gnome-session/sessions/gnome-fallback.session", NULL};
    resolve_on("GNOME", files, "Ubuntu", "22.04", false);
    is("/usr/bin/gnome-session",
       "--session=gnome-flashback-metacity --disable-acceleration-check", 5);
    assert_string_equal(env_of("GTK_MODULES", &app), "unity-gtk-module");
    assert_true(app);
    assert_string_equal(env_of("PATH", &app), "/sbin");
    assert_true(app);
    assert_string_equal(env_of("XDG_CURRENT_DESKTOP", NULL), "GNOME-Flashback:Unity");
    assert_string_equal(env_of("XDG_SESSION_DESKTOP", NULL), "gnome-flashback-metacity");
    resolve_on("GNOME", nothing, "Ubuntu", "15.04", false);
    is("/usr/bin/gnome-session",
       "--session=gnome-flashback-metacity --disable-acceleration-check", 5);
    /* 14.1 is 14.10 for bc */
    resolve_on("GNOME", nothing, "Ubuntu", "14.1", false);
    is("/usr/bin/gnome-session", "--session=gnome-flashback --disable-acceleration-check", 2);
    resolve_on("GNOME", nothing, "Ubuntu", "14.04", false);
    is("/usr/bin/gnome-session", "--session=gnome-flashback --disable-acceleration-check", 2);
    resolve_on("GNOME", nothing, "Ubuntu", "13.10", false);
    is("/usr/bin/gnome-session", "--session=gnome-flashback", 2);
    assert_string_equal(env_of("GTK_MODULES", NULL), "unity-gtk-module");
    /* 12.04: the session files decide; none: plain */
    resolve_on("GNOME", files, "Ubuntu", "12.04", false);
    is("/usr/bin/gnome-session", "--session=gnome-fallback", 1);
    resolve_on("GNOME", nothing, "Ubuntu", "12.04", false);
    is("/usr/bin/gnome-session", NULL, 0);
    resolve_on("GNOME", nothing, "Ubuntu", "10.10", false);
    is("/usr/bin/gnome-session", NULL, 1);
    assert_string_equal(env_of("DESKTOP_SESSION", NULL), "gnome");
    /* not Ubuntu, or a release that is not a number: as Debian */
    resolve_on("GNOME", nothing, "Debian", "22.04", false);
    is("/usr/bin/gnome-session", NULL, 0);
    resolve_on("GNOME", nothing, "Ubuntu", "22.04.1", false);
    is("/usr/bin/gnome-session", NULL, 0);
    resolve_on("GNOME", nothing, "Ubuntu", "", false);
    is("/usr/bin/gnome-session", NULL, 0);
}

static void test_unity(void **state)
{
    (void)state;
    static const struct { const char *rel, *ds; } r[] = {
        {"24.04", "ubuntu"}, {"12.10", "ubuntu"},   {"12.04", "ubuntu-2d"},
        {"11.10", "ubuntu-2d"}, {"11.04", "2d-ubuntu"},
    };
    const char *const files[] = {"/usr/bin/gnome-session*", NULL};
    for (size_t i = 0; i < sizeof r / sizeof *r; i++) {
        char args[64] = "--session=";
        strcat(args, r[i].ds);
        resolve_on("UNITY", files, "Ubuntu", r[i].rel, false);
        is("/usr/bin/gnome-session", args, 1);
        assert_string_equal(env_of("DESKTOP_SESSION", NULL), r[i].ds);
        resolve_on("unity", nothing, "Ubuntu", r[i].rel, false);
        is("/usr/bin/gnome-session", args, 1);
    }
    /* other releases and distributions: plain gnome-session */
    resolve_on("UNITY", files, "Ubuntu", "10.10", false);
    is("/usr/bin/gnome-session", NULL, 0);
    maps("UNITY", files, "/usr/bin/gnome-session");
    maps("UNITY", nothing, "/usr/bin/gnome-session");
}

static void test_cinnamon(void **state)
{
    (void)state;
    const char *const all[] = {"/usr/bin/cinnamon-session-cinnamon2d",
                               "/usr/bin/gnome-session-cinnamon2d",
                               "/usr/bin/gnome-session-cinnamon", NULL};
    maps("CINNAMON", all, "/usr/bin/cinnamon-session-cinnamon2d");
    maps("cinnamon", all + 1, "/usr/bin/gnome-session-cinnamon2d");
    maps("CINNAMON", all + 2, "/usr/bin/gnome-session-cinnamon");
    /* none of them: GNOME's session with Cinnamon's */
    resolve("CINNAMON", nothing);
    is("/usr/bin/gnome-session", "--session=cinnamon2d", 1);
    assert_string_equal(env_of("DESKTOP_SESSION", NULL), "cinnamon2d");
    /* python-x2go sends the program's own name: used as it is */
    maps("cinnamon-session-cinnamon2d", nothing, "cinnamon-session-cinnamon2d");
}

static void test_trinity(void **state)
{
    (void)state;
    const char *const q4os[] = {"/usr/bin/start-q4os-x2go", "/opt/trinity/bin/starttde*",
                                NULL};
    maps("TRINITY", q4os, "/usr/bin/start-q4os-x2go");
    maps("TRINITY", q4os + 1, "/opt/trinity/bin/starttde");
    /* the /opt launchers must be executable */
    const char *const noexec[] = {"/opt/trinity/bin/starttde",
                                  "/opt/trinity/bin/starttrinity*", NULL};
    maps("TRINITY", noexec, "/opt/trinity/bin/starttrinity");
    maps("TRINITY", nothing, "/usr/bin/starttrinity");
}

static void test_lists(void **state)
{
    (void)state;
    const char *const term[] = {"/usr/bin/lxterminal", "/usr/bin/xterm", NULL};
    maps("TERMINAL", term, "/usr/bin/lxterminal");
    maps("TERMINAL", term + 1, "/usr/bin/xterm");
    const char *const web[] = {"/usr/bin/chromium-browser", "/usr/bin/firefox", NULL};
    maps("WWWBROWSER", web, "/usr/bin/firefox");
    const char *const mail[] = {"/usr/bin/evolution", NULL};
    maps("MAILCLIENT", mail, "/usr/bin/evolution");
    const char *const office[] = {"/usr/bin/ooffice", NULL};
    maps("OFFICE", office, "/usr/bin/ooffice");
    /* nothing installed: the name stays (NOEXEC:TERMINAL) */
    const char *names[] = {"TERMINAL", "WWWBROWSER", "MAILCLIENT", "OFFICE"};
    for (size_t i = 0; i < 4; i++) {
        maps(names[i], nothing, names[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_program_desktops),
        cmocka_unit_test(test_kde),
        cmocka_unit_test(test_gnome_debian),
        cmocka_unit_test(test_gnome_ubuntu),
        cmocka_unit_test(test_unity),
        cmocka_unit_test(test_cinnamon),
        cmocka_unit_test(test_trinity),
        cmocka_unit_test(test_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
