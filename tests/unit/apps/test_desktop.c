/* The .desktop reader of x2gogetapps (spec 2.5): which lines of which
 * group are kept, NoDisplay/Hidden, TryExec, the icon name and the file
 * names tried for it, the markup with its base64 chunks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "desktop.h"

static struct x2go_desktop d;

static void parse_ok(const char *s)
{
    assert_int_equal(x2go_desktop_parse(s, strlen(s), &d), 0);
}

/* The printed block; icons are the bytes "PNG<item>" when given. */
static const unsigned char *fake_icon(int item, size_t *len, void *ctx)
{
    static char buf[16];
    if (!ctx)
        return NULL;
    *len = (size_t)snprintf(buf, sizeof buf, "PNG%d", item);
    return (const unsigned char *)buf;
}

static char *printed(const char *s, void *ctx)
{
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    x2go_desktop_print(f, s, &d, fake_icon, ctx);
    fclose(f);
    return out;
}

static void test_kept_lines(void **state)
{
    (void)state;
    const char *s = "# comment\nName=Before\n[Desktop Entry]\nType=Application\n"
                    "Name=Editor\nName[de]=Bearbeiter\nGenericName=Text\nnAmE=x\n"
                    "Comment=c\nExec=gvim %F\nTerminal=false\nCategories=Utility;\n"
                    "TerminalOptions=-x\nMimeType=text/plain;\n";
    parse_ok(s);
    char *out = printed(s, NULL);
    assert_string_equal(out, "<desktop>\nName=Editor\nName[de]=Bearbeiter\nnAmE=x\n"
                             "Comment=c\nExec=gvim %F\nTerminal=false\n"
                             "Categories=Utility;\nTerminalOptions=-x\n</desktop>\n");
    free(out);
    assert_false(d.hidden);
}

static void test_groups(void **state)
{
    (void)state;
    /* Another group ends the entry; a repeated [Desktop Entry] does not. */
    const char *s = "[Desktop Entry] trailing\nName=A\n[Desktop Entry]\nExec=a\n"
                    "[Desktop Action new]\nName=New\nExec=a --new\n";
    parse_ok(s);
    char *out = printed(s, NULL);
    assert_string_equal(out, "<desktop>\nName=A\nExec=a\n</desktop>\n");
    free(out);
    /* No entry at all: an empty block, as the reference prints. */
    parse_ok("Name=x\n[Other]\nName=y\n");
    out = printed("", NULL);
    assert_string_equal(out, "<desktop>\n</desktop>\n");
    free(out);
    /* CR kept, last line without newline kept. */
    s = "[Desktop Entry]\r\nName=C\r\nExec=c";
    parse_ok(s);
    assert_int_equal(d.nitems, 2);
    out = printed(s, NULL);
    assert_string_equal(out, "<desktop>\nName=C\r\nExec=c\n</desktop>\n");
    free(out);
}

static void test_hidden(void **state)
{
    (void)state;
    parse_ok("[Desktop Entry]\nName=a\nNoDisplay=true\n");
    assert_true(d.hidden);
    parse_ok("[Desktop Entry]\nHidden \t= \ttrue\n");
    assert_true(d.hidden);
    parse_ok("[Desktop Entry]\nNoDisplay=false\nHidden=True\nnodisplay=true\n");
    assert_false(d.hidden);
    /* Only inside the entry group. */
    parse_ok("[Desktop Entry]\nName=a\n[X]\nNoDisplay=true\n");
    assert_false(d.hidden);
    parse_ok("NoDisplay=true\n[Desktop Entry]\nName=a\n");
    assert_false(d.hidden);
}

static void test_tryexec(void **state)
{
    (void)state;
    const char *s = "[Desktop Entry]\nTryExec = gimp-2.10 \r\nName=G\n";
    parse_ok(s);
    assert_true(d.has_tryexec);
    assert_int_equal(d.tryexec_len, 9);
    assert_memory_equal(s + d.tryexec_off, "gimp-2.10", 9);
    parse_ok("[Desktop Entry]\nTryExec=\n");
    assert_false(d.has_tryexec);
    parse_ok("[Desktop Entry]\nTryExecX=foo\n");
    assert_false(d.has_tryexec);
}

static void icon_name_is(const char *s, const char *want, bool dot)
{
    char name[256];
    parse_ok(s);
    assert_int_equal(d.nitems, 1);
    assert_int_equal(d.items[0].kind, X2GO_DESKTOP_ICON);
    assert_int_equal(x2go_desktop_icon_name(s, &d.items[0], name, sizeof name), 0);
    assert_string_equal(name, want);
    assert_int_equal(d.items[0].line_has_dot, dot);
}

static void test_icon_names(void **state)
{
    (void)state;
    icon_name_is("[Desktop Entry]\nIcon=gvim\n", "gvim", false);
    icon_name_is("[Desktop Entry]\nIcon \t=x.png\n", "x.png", true);
    icon_name_is("[Desktop Entry]\nIcon=/usr/share/a.svg\n", "/usr/share/a.svg", true);
    /* The first "Icon<blanks>=" anywhere in the line is cut, as the
     * reference's substitution does; the rest is kept as written. */
    icon_name_is("[Desktop Entry]\nIconName=MyIcon=b\n", "IconName=Myb", false);
    icon_name_is("[Desktop Entry]\nIcon[de]=x\n", "Icon[de]=x", false);
    icon_name_is("[Desktop Entry]\nIcon=a \n", "a ", false);
    /* "icon" in lower case is not an icon line (case as the reference). */
    parse_ok("[Desktop Entry]\nicon=gvim\n");
    assert_int_equal(d.nitems, 0);
    char small[4];
    const char *s = "[Desktop Entry]\nIcon=longer\n";
    parse_ok(s);
    assert_int_equal(x2go_desktop_icon_name(s, &d.items[0], small, sizeof small), -1);
}

static void test_candidates(void **state)
{
    (void)state;
    char p[512];
    int n = 0;
    assert_int_equal(x2go_icon_candidate("/abs/x.png", false, 0, p, sizeof p), 1);
    assert_string_equal(p, "/abs/x.png");
    assert_int_equal(x2go_icon_candidate("/abs/x.png", false, 1, p, sizeof p), 0);

    assert_int_equal(x2go_icon_candidate("x.png", true, 0, p, sizeof p), 1);
    assert_string_equal(p, "/usr/share/icons/hicolor/22x22/apps/x.png");
    assert_int_equal(x2go_icon_candidate("x.png", true, 11, p, sizeof p), 1);
    assert_string_equal(p, "/usr/share/pixmaps/x.png");
    while (x2go_icon_candidate("x.png", true, n, p, sizeof p) == 1)
        n++;
    assert_int_equal(n, 32);
    assert_string_equal(p, "/usr/share/icons/default.kde4/256x256/apps/x.png");

    /* Extension-major: every dir with .png before any .svg. */
    assert_int_equal(x2go_icon_candidate("gvim", false, 31, p, sizeof p), 1);
    assert_string_equal(p, "/usr/share/icons/default.kde4/256x256/apps/gvim.png");
    assert_int_equal(x2go_icon_candidate("gvim", false, 32, p, sizeof p), 1);
    assert_string_equal(p, "/usr/share/icons/hicolor/22x22/apps/gvim.svg");
    assert_int_equal(x2go_icon_candidate("gvim", false, 32 * 6 - 1, p, sizeof p), 1);
    assert_string_equal(p, "/usr/share/icons/default.kde4/256x256/apps/gvim.bmp");
    assert_int_equal(x2go_icon_candidate("gvim", false, 32 * 6, p, sizeof p), 0);
    assert_int_equal(x2go_icon_candidate("gvim", false, -1, p, sizeof p), 0);
    assert_int_equal(x2go_icon_candidate("gvim", false, 0, p, 10), -1);
}

static char *block(const unsigned char *data, size_t len)
{
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    x2go_icon_block(f, data, len);
    fclose(f);
    return out;
}

static void test_icon_block(void **state)
{
    (void)state;
    char *out = block((const unsigned char *)"", 0);
    assert_string_equal(out, "<icon>\n</icon>\n");
    free(out);
    out = block((const unsigned char *)"PNG", 3);
    assert_string_equal(out, "<icon>\nUE5H\n\n</icon>\n");
    free(out);
    out = block((const unsigned char *)"ab", 2);
    assert_string_equal(out, "<icon>\nYWI=\n\n</icon>\n");
    free(out);
    /* 3421 bytes: one full chunk of 60 lines of 76, then a 1-byte chunk,
     * each followed by an empty line. */
    unsigned char *big = calloc(3421, 1);
    out = block(big, 3421);
    size_t len = strlen(out);
    assert_int_equal(len, 7 + 60 * 77 + 1 + 5 + 1 + 8);
    assert_memory_equal(out + 7 + 76, "\nAAAA", 5);
    assert_string_equal(out + 7 + 60 * 77, "\nAA==\n\n</icon>\n");
    free(out);
    free(big);
}

static void test_print_with_icons(void **state)
{
    (void)state;
    const char *s = "[Desktop Entry]\nName=N\nIcon=a\nExec=e\nIcon=b\n";
    parse_ok(s);
    char *out = printed(s, (void *)1);
    assert_string_equal(out, "<desktop>\nName=N\n<icon>\nUE5HMQ==\n\n</icon>\nExec=e\n"
                             "<icon>\nUE5HMw==\n\n</icon>\n</desktop>\n");
    free(out);
}

static void test_bad_input(void **state)
{
    (void)state;
    const char bin[] = "[Desktop Entry]\nName=a\0b\n";
    assert_int_equal(x2go_desktop_parse(bin, sizeof bin - 1, &d), -1);
    /* Too many kept lines: refused, not truncated. */
    size_t n = 16 + (X2GO_DESKTOP_MAX_ITEMS + 1) * 7;
    char *many = malloc(n + 1);
    strcpy(many, "[Desktop Entry]\n");
    for (int i = 0; i <= X2GO_DESKTOP_MAX_ITEMS; i++)
        strcat(many, "Name=x\n");
    assert_int_equal(x2go_desktop_parse(many, strlen(many), &d), -1);
    many[strlen(many) - 7] = '\0';
    assert_int_equal(x2go_desktop_parse(many, strlen(many), &d), 0);
    assert_int_equal(d.nitems, X2GO_DESKTOP_MAX_ITEMS);
    free(many);
    parse_ok("");
    parse_ok("[");
    parse_ok("[Desktop Entry]");
    parse_ok("\n\n\n");
}

static void test_name_match(void **state)
{
    (void)state;
    assert_true(x2go_desktop_name_matches("a.desktop"));
    assert_true(x2go_desktop_name_matches("a.desktop~"));
    assert_true(x2go_desktop_name_matches("xdesktop"));
    assert_true(x2go_desktop_name_matches("desktopdesktop"));
    assert_false(x2go_desktop_name_matches("desktop"));
    assert_false(x2go_desktop_name_matches("a.desk"));
    assert_false(x2go_desktop_name_matches(""));
    assert_false(x2go_desktop_name_matches("\ndesktop"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kept_lines),     cmocka_unit_test(test_groups),
        cmocka_unit_test(test_hidden),         cmocka_unit_test(test_tryexec),
        cmocka_unit_test(test_icon_names),     cmocka_unit_test(test_candidates),
        cmocka_unit_test(test_icon_block),     cmocka_unit_test(test_print_with_icons),
        cmocka_unit_test(test_bad_input),      cmocka_unit_test(test_name_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
