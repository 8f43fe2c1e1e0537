/* The store protocol table: encoding and decoding agree, and the decoder
 * refuses what the table does not allow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "store.h"
#include "storeproto.h"

static void roundtrip_every_op(void **state)
{
    (void)state;
    const char *args[X2GO_SP_ARGS_MAX] = {"a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8",
                                          "a9", "a10"};
    for (int k = 0; k < SP_NOPS; k++) {
        char buf[X2GO_SP_REQ_MAX];
        int n = x2go_sp_encode(buf, sizeof buf, (enum x2go_sp_op)k, args);
        assert_true(n > 0);
        enum x2go_sp_op op;
        char *got[X2GO_SP_ARGS_MAX];
        assert_int_equal(x2go_sp_decode(buf, (size_t)n, &op, got), 0);
        assert_int_equal(op, k);
        for (int i = 0; i < x2go_sp_ops[k].nargs; i++)
            assert_string_equal(got[i], args[i]);
    }
}

static int decode(const char *raw, size_t n)
{
    char buf[64];
    memcpy(buf, raw, n);
    enum x2go_sp_op op;
    char *got[X2GO_SP_ARGS_MAX];
    return x2go_sp_decode(buf, n, &op, got);
}

static void refuses_bad_requests(void **state)
{
    (void)state;
    assert_int_equal(decode("get\0sid\0", 8), 0);
    assert_int_equal(decode("get\0", 4), -1);               /* too few */
    assert_int_equal(decode("get\0a\0b\0", 8), -1);         /* too many */
    assert_int_equal(decode("get\0sid", 7), -1);            /* not terminated */
    assert_int_equal(decode("frob\0", 5), -1);              /* unknown */
    assert_int_equal(decode("GET\0sid\0", 8), -1);          /* case matters */
    assert_int_equal(decode("", 0), -1);
    assert_int_equal(decode("servers\0", 8), 0);
    assert_int_equal(decode("a\0a\0a\0a\0a\0a\0a\0a\0a\0a\0a\0a\0", 24), -1);
}

static void encode_refuses_overflow(void **state)
{
    (void)state;
    char big[200];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    const char *args[] = {big};
    char buf[64];
    assert_int_equal(x2go_sp_encode(buf, sizeof buf, SP_GET, args), -1);
}

static void status_codes_map_both_ways(void **state)
{
    (void)state;
    int rcs[] = {0, 1, -1, X2GO_STORE_NOPORT, X2GO_STORE_LIMIT};
    for (size_t i = 0; i < sizeof rcs / sizeof rcs[0]; i++)
        assert_int_equal(x2go_sp_rc_of(x2go_sp_status_of(rcs[i])), rcs[i]);
    assert_int_equal(x2go_sp_status_of(-99), SP_ERROR);
    assert_int_equal(x2go_sp_rc_of('?'), -1);
    assert_true(x2go_sp_ops[SP_REMOVE].root_only);
    assert_false(x2go_sp_ops[SP_RESERVE].root_only);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roundtrip_every_op),
        cmocka_unit_test(refuses_bad_requests),
        cmocka_unit_test(encode_refuses_overflow),
        cmocka_unit_test(status_codes_map_both_ways),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
