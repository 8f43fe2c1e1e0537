/* Desktop sharing's pure parts (spec 2.2): the shadow request, whose agent
 * a row stands for, and the sharing applet's answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sharing.h"

static void test_request(void **state)
{
    (void)state;
    struct x2go_shadow_req r;
    assert_int_equal(x2go_shadow_req_parse("1XSHADaliceXSHAD:50", &r), 0);
    assert_int_equal(r.mode, 1);
    assert_string_equal(r.user, "alice");
    assert_int_equal(r.display, 50);
    assert_int_equal(x2go_shadow_req_parse("0XSHADbob.smithXSHAD701.0", &r), 0);
    assert_int_equal(r.mode, 0);
    assert_string_equal(r.user, "bob.smith");
    assert_int_equal(r.display, 701);
    static const char *const bad[] = {
        "2XSHADaliceXSHAD:50", "1XSHADXSHAD:50", "1XSHADalice:50", "XSHADaliceXSHAD:50",
        "1XSHADaliceXSHAD:", "1XSHADaliceXSHAD:5x", "1XSHADaliceXSHAD:12345",
        "1XSHADaliceXSHAD:50.1", "1XSHAD-aliceXSHAD:50", "1XSHADal/iceXSHAD:50", "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(x2go_shadow_req_parse(bad[i], &r), -1);
}

static void test_agent_user(void **state)
{
    (void)state;
    char b[101];
    const char *shared = "bob-51-1700000000_stS1XSHADaliceXSHADPP50_dp24";
    assert_string_equal(x2go_agent_user(shared, "bob", b, sizeof b), "alice");
    const char *own = "bob-51-1700000000_stS0XSHADbobXSHADPP50_dp24";
    assert_string_equal(x2go_agent_user(own, "bob", b, sizeof b), "bob");
    /* not a shadow session: XSHAD in a desktop command means nothing */
    const char *desk = "bob-51-1700000000_stD1XSHADaliceXSHADPP50_dp24";
    assert_string_equal(x2go_agent_user(desk, "bob", b, sizeof b), "bob");
    assert_string_equal(x2go_agent_user("garbage", "bob", b, sizeof b), "bob");
    assert_true(x2go_shadow_of('S', "1XSHADaliceXSHAD:50", "alice"));
    assert_false(x2go_shadow_of('S', "1XSHADaliceXSHAD:50", "bob"));
    assert_false(x2go_shadow_of('D', "1XSHADaliceXSHAD:50", "alice"));
}

static int parse(const char *text, struct x2go_share_answer *a)
{
    static char buf[4096];
    strcpy(buf, text);
    return x2go_share_answer_parse(buf, "bob", "alice", a);
}

static void test_answer(void **state)
{
    (void)state;
    struct x2go_share_answer a;
    const char *ok = "52\n0123456789abcdef0123456789abcdef\n4242\n"
                     "bob-52-1700000000_stS0XSHADaliceXSHADPP50_dp24\n30001\n30002\n30003\n\n";
    assert_int_equal(parse(ok, &a), 0);
    assert_false(a.denied);
    assert_int_equal(a.display, 52);
    assert_string_equal(a.cookie, "0123456789abcdef0123456789abcdef");
    assert_int_equal(a.pid, 4242);
    assert_string_equal(a.sid, "bob-52-1700000000_stS0XSHADaliceXSHADPP50_dp24");
    assert_int_equal(a.ports[2], 30003);
    /* relayed through syslog-style escapes */
    assert_int_equal(parse("52#0120123456789abcdef0123456789abcdef#0124242#012"
                           "bob-52-1700000000_stS0XSHADaliceXSHADPP50_dp24#01230001#012"
                           "30002#01230003", &a), 0);
    assert_int_equal(a.ports[0], 30001);

    assert_int_equal(parse("DENY access denied user", &a), 0);
    assert_true(a.denied);
    assert_string_equal(a.reason, "access denied user");
    assert_int_equal(parse("DENY", &a), 0);
    assert_true(a.denied);
    assert_int_equal(parse("", &a), 0);
    assert_true(a.denied);
}

static void test_answer_forged(void **state)
{
    (void)state;
    struct x2go_share_answer a;
    static const char *const bad[] = {
        /* another requester's, another desktop's, not a shadow session */
        "52\n0123456789abcdef0123456789abcdef\n4242\n"
        "eve-52-1700000000_stS0XSHADaliceXSHADPP50_dp24\n30001\n30002\n30003\n",
        "52\n0123456789abcdef0123456789abcdef\n4242\n"
        "bob-52-1700000000_stS0XSHADcarolXSHADPP50_dp24\n30001\n30002\n30003\n",
        "52\n0123456789abcdef0123456789abcdef\n4242\n"
        "bob-52-1700000000_stDXFCE_dp24\n30001\n30002\n30003\n",
        /* bad cookie, pid, port; too few or too many fields */
        "52\n0123456789ABCDEF0123456789abcdef\n4242\n"
        "bob-52-1700000000_stS0XSHADaliceXSHADPP50_dp24\n30001\n30002\n30003\n",
        "52\n0123456789abcdef0123456789abcdef\n1\n"
        "bob-52-1700000000_stS0XSHADaliceXSHADPP50_dp24\n30001\n30002\n30003\n",
        "52\n0123456789abcdef0123456789abcdef\n4242\n"
        "bob-52-1700000000_stS0XSHADaliceXSHADPP50_dp24\n30001\n30002\n70000\n",
        "52\n0123456789abcdef0123456789abcdef\n4242\n"
        "bob-52-1700000000_stS0XSHADaliceXSHADPP50_dp24\n30001\n30002\n",
        "52\n0123456789abcdef0123456789abcdef\n4242\n"
        "bob-52-1700000000_stS0XSHADaliceXSHADPP50_dp24\n30001\n30002\n30003\nx\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(parse(bad[i], &a), -1);
        assert_false(a.denied);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request),
        cmocka_unit_test(test_agent_user),
        cmocka_unit_test(test_answer),
        cmocka_unit_test(test_answer_forged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
