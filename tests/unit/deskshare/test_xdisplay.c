/* x2golistdesktops' parsers (spec 2.1.9): X sockets in /proc/net/unix,
 * the display's cookie in an Xauthority file, the X connection setup,
 * the sharing applets' socket names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "xdisplay.h"

static const char proc_unix[] =
    "Num       RefCount Protocol Flags    Type St Inode Path\n"
    "0000000000000000: 00000002 00000000 00010000 0001 01 20795 @/tmp/.X11-unix/X951\n"
    "0000000000000000: 00000002 00000000 00010000 0001 01 20796 /tmp/.X11-unix/X951\n"
    "0000000000000000: 00000003 00000000 00000000 0001 03 20797 /tmp/.X11-unix/X50\n"
    "0000000000000000: 00000002 00000000 00010000 0001 01 20798 /tmp/.X11-unix/X99\n"
    "0000000000000000: 00000002 00000000 00010000 0001 01 20799 /tmp/.X11-unix/X7x\n"
    "0000000000000000: 00000002 00000000 00010000 0001 01 20800 /tmp/.X11-unix/X\n"
    "0000000000000000: 00000002 00000000 00010000 0001 01 20801 /run/other.sock\n"
    "0000000000000000: 00000002 00000000 00010000 0001 01 20802\n"
    "0000000000000000: 00000002 00000000 00010000 0001 01 20803 @/tmp/.X11-unix/X5";

static void test_displays(void **state)
{
    (void)state;
    int d[8];
    int n = x2go_x_displays(proc_unix, d, 8);
    assert_int_equal(n, 3);
    assert_int_equal(d[0], 951); /* once, though listed twice */
    assert_int_equal(d[1], 99);  /* X50 is connected, not listening */
    assert_int_equal(d[2], 5);
    assert_int_equal(x2go_x_displays(proc_unix, d, 1), 1);
    assert_int_equal(x2go_x_displays("", d, 8), 0);
    assert_int_equal(x2go_x_displays("garbage\n\n\n", d, 8), 0);
}

/* One Xauthority entry. */
static size_t entry(unsigned char *b, unsigned family, const char *addr, const char *num,
                    const char *name, const unsigned char *data, size_t dl)
{
    size_t o = 0;
    const char *f[] = {addr, num, name};
    b[o++] = (unsigned char)(family >> 8);
    b[o++] = (unsigned char)family;
    for (int i = 0; i < 3; i++) {
        size_t l = strlen(f[i]);
        b[o++] = (unsigned char)(l >> 8);
        b[o++] = (unsigned char)l;
        memcpy(b + o, f[i], l);
        o += l;
    }
    b[o++] = (unsigned char)(dl >> 8);
    b[o++] = (unsigned char)dl;
    memcpy(b + o, data, dl);
    return o + dl;
}

static void test_xauth(void **state)
{
    (void)state;
    unsigned char file[1024], c[16];
    const unsigned char k1[16] = "0123456789abcdef", k2[16] = "fedcba9876543210";
    size_t n = 0;
    n += entry(file + n, 0, "\x7f\0\0\x01", "50", "MIT-MAGIC-COOKIE-1", k2, 16); /* inet */
    n += entry(file + n, 256, "otherhost", "50", "MIT-MAGIC-COOKIE-1", k2, 16);
    n += entry(file + n, 256, "vm", "500", "MIT-MAGIC-COOKIE-1", k2, 16);
    n += entry(file + n, 256, "vm", "50", "XDM-AUTHORIZATION-1", k2, 16);
    n += entry(file + n, 256, "vm", "50", "MIT-MAGIC-COOKIE-1", k1, 16);
    size_t first = n; /* end of the entry that matches */
    n += entry(file + n, 256, "vm", "50", "MIT-MAGIC-COOKIE-1", k2, 16);
    assert_int_equal(x2go_xauth_cookie(file, n, "vm", 50, c), 1);
    assert_memory_equal(c, k1, 16);
    assert_int_equal(x2go_xauth_cookie(file, n, "vm", 51, c), 0);
    size_t w = entry(file + n, 65535, "", "51", "MIT-MAGIC-COOKIE-1", k2, 16);
    assert_int_equal(x2go_xauth_cookie(file, n + w, "vm", 51, c), 1);
    assert_memory_equal(c, k2, 16);
    /* Truncated anywhere: malformed, never a read past the end. */
    for (size_t cut = 1; cut < n; cut++) {
        int r = x2go_xauth_cookie(file, cut, "vm", 50, c);
        if (cut < first)
            assert_true(r == -1 || r == 0);
        else
            assert_int_equal(r, 1);
    }
    assert_int_equal(x2go_xauth_cookie(file, 0, "vm", 50, c), 0);
}

static void test_setup_request(void **state)
{
    (void)state;
    unsigned char b[48];
    const unsigned char k[16] = "0123456789abcdef";
    assert_int_equal(x2go_x_setup_request(b, NULL), 12);
    assert_memory_equal(b, "l\0\x0b\0\0\0\0\0\0\0\0\0", 12);
    assert_int_equal(x2go_x_setup_request(b, k), 48);
    assert_memory_equal(b, "l\0\x0b\0\0\0\x12\0\x10\0\0\0MIT-MAGIC-COOKIE-1\0\0", 32);
    assert_memory_equal(b + 32, k, 16);
}

static void test_sharing(void **state)
{
    (void)state;
    char o[64];
    assert_true(x2go_sharing_entry("x2godesktopsharing_@alice@:50", "bob", o, sizeof o));
    assert_string_equal(o, "alice@:50");
    assert_true(x2go_sharing_entry("x2godesktopsharing_@alice@:50.0", "bob", o, sizeof o));
    assert_string_equal(o, "alice@:50.0");
    assert_false(x2go_sharing_entry("x2godesktopsharing_@bob@:50", "bob", o, sizeof o));
    assert_false(x2go_sharing_entry("x2godesktopsharing_@alice@50", "bob", o, sizeof o));
    assert_false(x2go_sharing_entry("x2godesktopsharing_@alice@:", "bob", o, sizeof o));
    assert_false(x2go_sharing_entry("x2godesktopsharing_@alice@", "bob", o, sizeof o));
    assert_false(x2go_sharing_entry("x2godesktopsharing_@alice@:5@x", "bob", o, sizeof o));
    assert_false(x2go_sharing_entry("x2godesktopsharing_@@:50", "bob", o, sizeof o));
    assert_false(x2go_sharing_entry("x2godesktopsharing_@a\nb@:50", "bob", o, sizeof o));
    assert_false(x2go_sharing_entry("x2godesktopsharing_alice@:50", "bob", o, sizeof o));
    assert_false(x2go_sharing_entry("other", "bob", o, sizeof o));
    assert_false(x2go_sharing_entry("x2godesktopsharing_@alice@:50", "bob", o, 5));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_displays),
        cmocka_unit_test(test_xauth),
        cmocka_unit_test(test_setup_request),
        cmocka_unit_test(test_sharing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
