/* Session-id grammar (spec 1.3, 3.6) and x2go_sid_build. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sid.h"
#include "util.h"

/* Observed ids from the reference (spec 1.3) and other valid shapes. */
static const char *const valid_ids[] = {
    "alice-50-1795480859_stDXFCE_dp24",
    "alice-51-1795481014_stRxeyes_dp24",
    "alice-50-1795481032_stRPUBLISHED_dp16",
    "alice-52-1795481037_stDXDMCP_dp24_10.1.2.3",
    "bob-51-1700000000_stS1XSHADaliceXSHADPP50_dp24",
    "alice-51-1795480896_stDTERMINAL_dp24",
    "alice-88-1795481999_stDx_dp24",
    /* display 2..4 digits, epoch 9..12 digits, depth 1..2 digits */
    "u-10-123456789_stDx_dp8",
    "u-9999-999999999999_stDx_dp32",
    "u-1234-12345678901_stRx_dp1",
    /* owners with '-', '.', '_', '@' and digits */
    "first.last-50-1795480859_stDKDE_dp24",
    "jean-luc-50-1795480859_stDKDE_dp24",
    "ad_user@example.com-50-1795480859_stDKDE_dp24",
    "_svc-50-1795480859_stDKDE_dp24",
    ".hidden-50-1795480859_stDKDE_dp24",
    "0day-50-1795480859_stDKDE_dp24",
    /* the command may be empty or hold '.', '-', '_' */
    "alice-50-1795480859_stD_dp24",
    "alice-50-1795480859_stRgnome-terminal_dp24",
    "alice-50-1795480859_stRmy_app.sh_dp24",
    /* Debian's tail after the depth (XDMCP host names) */
    "alice-52-1795481037_stDXDMCP_dp24_xdmcp.example.org",
    "alice-52-1795481037_stDXDMCP_dp24_fe80--1",
};

static const char *const invalid_ids[] = {
    "",
    "-50-1795480859_stDXFCE_dp24",          /* no owner, leading '-' */
    "-alice-50-1795480859_stDXFCE_dp24",    /* leading '-' */
    "@alice-50-1795480859_stDXFCE_dp24",    /* leading '@' */
    "alice-50-1795480859_stDXFCE",          /* missing _dp */
    "alice-50-1795480859_stDXFCE_dp",       /* _dp without digits */
    "alice-50-1795480859_stDXFCE_24",       /* _24 is not _dp24 */
    "alice-50-1795480859_stDXFCE_DP24",     /* case matters */
    "alice-5-1795480859_stDXFCE_dp24",      /* display of 1 digit */
    "alice-12345-1795480859_stDXFCE_dp24",  /* display of 5 digits */
    "alice-50-17954808_stDXFCE_dp24",       /* epoch of 8 digits */
    "alice-50-1795480859123_stDXFCE_dp24",  /* epoch of 13 digits */
    "alice-50_1795480859_stDXFCE_dp24",     /* '_' instead of '-' */
    "alice-50-1795480859-stDXFCE_dp24",     /* '-' instead of '_' */
    "alice-xx-1795480859_stDXFCE_dp24",     /* display not numeric */
    "alice-50-17954808x9_stDXFCE_dp24",     /* epoch not numeric */
    "alice50-1795480859_stDXFCE_dp24",      /* no display at all */
    "alice-50-1795480859_DXFCE_dp24",       /* no _st */
    "alice-50-1795480859__dp24",            /* no _st, no type */
    "alice-50-1795480859_st_dp24",          /* _st without a type letter */
    "alice-50-1795480859_stD XFCE_dp24",    /* space */
    "alice-50-1795480859_stDXFCE_dp24;rm",  /* ';' */
    "alice-50-1795480859_stDXFCE_dp24'",    /* quote */
    "alice-50-1795480859_stDXFCE_dp24\n",   /* newline */
    "alice-50-1795480859_stDXFCE_dp24\t",   /* tab */
    "alice-50-1795480859_stDX/FCE_dp24",    /* '/' */
    "alice-50-1795480859_stDX:FCE_dp24",    /* ':' (only built ids turn it into PP) */
    "alice-50-1795480859_stDX*_dp24",       /* '*' */
    "alice-50-1795480859_stDX%_dp24",       /* '%' */
    "alice-50-1795480859_stDX@FCE_dp24",    /* '@' after the owner */
    "alice-50-1795480859_stDXFCE_dp24_h@st",/* '@' in the tail */
    "al\xc3\xa9-50-1795480859_stDXFCE_dp24",/* non-ASCII owner */
    "alice-50-1795480859_stDXFC\xff_dp24",  /* non-ASCII command */
    "x' OR '1'='1",                         /* SQL-shaped */
    "../../etc/passwd",
    "alice",
    "50",
    "_dp24",
};

static void test_valid_ids(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof valid_ids / sizeof *valid_ids; i++) {
        struct x2go_sid s;
        if (x2go_sid_parse(valid_ids[i], &s) != 0)
            fail_msg("rejected valid id '%s': %s", valid_ids[i], x2go_err());
        assert_true(x2go_sid_valid(valid_ids[i]));
    }
}

static void test_invalid_ids(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof invalid_ids / sizeof *invalid_ids; i++) {
        struct x2go_sid s;
        if (x2go_sid_parse(invalid_ids[i], &s) == 0)
            fail_msg("accepted invalid id '%s'", invalid_ids[i]);
        assert_false(x2go_sid_valid(invalid_ids[i]));
        /* Every rejection says why, on one line, mentioning the id. */
        const char *e = x2go_err();
        assert_non_null(strstr(e, "invalid session id"));
        assert_null(strchr(e, '\n'));
    }
}

static void test_parse_fields(void **state)
{
    (void)state;
    struct x2go_sid s;
    assert_int_equal(x2go_sid_parse("alice-50-1795480859_stDXFCE_dp24", &s), 0);
    assert_string_equal(s.owner, "alice");
    assert_int_equal(s.display, 50);
    assert_true(s.epoch == 1795480859LL);
    assert_int_equal(s.type, 'D');
    assert_string_equal(s.command, "XFCE");
    assert_int_equal(s.depth, 24);
    assert_false(s.shadow);

    assert_int_equal(x2go_sid_parse("alice-51-1795481014_stRxeyes_dp24", &s), 0);
    assert_int_equal(s.type, 'R');
    assert_string_equal(s.command, "xeyes");

    assert_int_equal(x2go_sid_parse("alice-50-1795481032_stRPUBLISHED_dp16", &s), 0);
    assert_int_equal(s.type, 'R');
    assert_string_equal(s.command, "PUBLISHED");
    assert_int_equal(s.depth, 16);

    assert_int_equal(x2go_sid_parse("alice-52-1795481037_stDXDMCP_dp24_10.1.2.3", &s), 0);
    assert_int_equal(s.display, 52);
    assert_string_equal(s.command, "XDMCP");
    assert_int_equal(s.depth, 24);
    assert_false(s.shadow);

    assert_int_equal(x2go_sid_parse("bob-51-1700000000_stS1XSHADaliceXSHADPP50_dp24", &s), 0);
    assert_string_equal(s.owner, "bob");
    assert_int_equal(s.display, 51);
    assert_true(s.epoch == 1700000000LL);
    assert_int_equal(s.type, 'S');
    assert_string_equal(s.command, "1XSHADaliceXSHADPP50");
    assert_true(s.shadow);

    /* The owner may hold '-': the split is at "-<display>-<epoch>_". */
    assert_int_equal(x2go_sid_parse("jean-luc-50-1795480859_stDKDE_dp24", &s), 0);
    assert_string_equal(s.owner, "jean-luc");
    assert_int_equal(s.display, 50);

    assert_int_equal(x2go_sid_parse("u-9999-999999999999_stDx_dp8", &s), 0);
    assert_int_equal(s.display, 9999);
    assert_true(s.epoch == 999999999999LL);
    assert_int_equal(s.depth, 8);

    /* out may be NULL */
    assert_int_equal(x2go_sid_parse("alice-50-1795480859_stDXFCE_dp24", NULL), 0);
}

static void test_length_limits(void **state)
{
    (void)state;
    char id[X2GO_SID_MAX + 64];
    const char *suffix = "-50-1795480859_stDx_dp24";
    /* exactly 500 characters: accepted (owner part is long, but the
     * command takes the rest) */
    memset(id, 0, sizeof id);
    strcpy(id, "alice-50-1795480859_stD");
    size_t n = strlen(id);
    while (n < X2GO_SID_MAX - strlen("_dp24"))
        id[n++] = 'x';
    strcpy(id + n, "_dp24");
    assert_int_equal(strlen(id), X2GO_SID_MAX);
    assert_int_equal(x2go_sid_parse(id, NULL), 0);
    /* 501: too long */
    memmove(id + 24, id + 23, strlen(id + 23) + 1);
    id[23] = 'x';
    assert_int_equal(strlen(id), X2GO_SID_MAX + 1);
    assert_int_equal(x2go_sid_parse(id, NULL), -1);
    assert_non_null(strstr(x2go_err(), "longer than"));
    /* An owner longer than a user name may be */
    memset(id, 'a', X2GO_USER_MAX + 1);
    strcpy(id + X2GO_USER_MAX + 1, suffix);
    assert_int_equal(x2go_sid_parse(id, NULL), -1);
    /* ... and one exactly X2GO_USER_MAX long is fine */
    memset(id, 'a', X2GO_USER_MAX);
    strcpy(id + X2GO_USER_MAX, suffix);
    struct x2go_sid s;
    assert_int_equal(x2go_sid_parse(id, &s), 0);
    assert_int_equal(strlen(s.owner), X2GO_USER_MAX);
    /* A very long string does not overflow the error message */
    char huge[5000];
    memset(huge, 'z', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    assert_int_equal(x2go_sid_parse(huge, NULL), -1);
    assert_true(strlen(x2go_err()) < 200);
}

static void test_username(void **state)
{
    (void)state;
    const char *good[] = {"alice", "a", "first.last", "ad_user@example.com", "_svc", "jean-luc",
                          "0day", ".x"};
    const char *bad[] = {"", "-alice", "@alice", "al ice", "al/ice", "al:ice", "al'ice",
                         "al\xc3\xa9", "a\n"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (!x2go_username_valid(good[i]))
            fail_msg("rejected user name '%s'", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (x2go_username_valid(bad[i]))
            fail_msg("accepted user name '%s'", bad[i]);
    char longname[X2GO_USER_MAX + 2];
    memset(longname, 'u', X2GO_USER_MAX);
    longname[X2GO_USER_MAX] = '\0';
    assert_true(x2go_username_valid(longname));
    longname[X2GO_USER_MAX] = 'u';
    longname[X2GO_USER_MAX + 1] = '\0';
    assert_false(x2go_username_valid(longname));
}

static void test_build(void **state)
{
    (void)state;
    char buf[X2GO_SID_MAX + 1];
    assert_int_equal(x2go_sid_build(buf, sizeof buf, "alice", 50, 1795480859LL, 'D', "XFCE",
                                    24, NULL), 0);
    assert_string_equal(buf, "alice-50-1795480859_stDXFCE_dp24");

    assert_int_equal(x2go_sid_build(buf, sizeof buf, "alice", 52, 1795481037LL, 'D', "XDMCP",
                                    24, "10.1.2.3"), 0);
    assert_string_equal(buf, "alice-52-1795481037_stDXDMCP_dp24_10.1.2.3");

    /* shadow: ':' of the display becomes PP */
    assert_int_equal(x2go_sid_build(buf, sizeof buf, "bob", 51, 1700000000LL, 'S',
                                    "1XSHADaliceXSHAD:50", 24, NULL), 0);
    assert_string_equal(buf, "bob-51-1700000000_stS1XSHADaliceXSHADPP50_dp24");
    assert_true(x2go_sid_valid(buf));

    /* characters outside [A-Za-z0-9._@-] are dropped */
    assert_int_equal(x2go_sid_build(buf, sizeof buf, "alice", 51, 1795481014LL, 'R',
                                    "/usr/bin/x eyes;$(rm -rf)*'\"", 24, NULL), 0);
    assert_string_equal(buf, "alice-51-1795481014_stRusrbinxeyesrm-rf_dp24");
    assert_true(x2go_sid_valid(buf));

    /* several ':' each become PP; an IPv6 XDMCP host keeps its digits */
    assert_int_equal(x2go_sid_build(buf, sizeof buf, "alice", 53, 1795481037LL, 'D', "XDMCP",
                                    16, "fe80::1"), 0);
    assert_string_equal(buf, "alice-53-1795481037_stDXDMCP_dp16_fe80PPPP1");

    /* non-ASCII bytes are dropped */
    assert_int_equal(x2go_sid_build(buf, sizeof buf, "alice", 54, 1795481037LL, 'R',
                                    "x\xc3\xa9y", 24, NULL), 0);
    assert_string_equal(buf, "alice-54-1795481037_stRxy_dp24");

    /* Everything built from sane parts parses back to the same parts. */
    struct x2go_sid s;
    assert_int_equal(x2go_sid_build(buf, sizeof buf, "first.last", 1234, 123456789012LL, 'R',
                                    "PUBLISHED", 16, NULL), 0);
    assert_int_equal(x2go_sid_parse(buf, &s), 0);
    assert_string_equal(s.owner, "first.last");
    assert_int_equal(s.display, 1234);
    assert_true(s.epoch == 123456789012LL);
    assert_int_equal(s.type, 'R');
    assert_string_equal(s.command, "PUBLISHED");
    assert_int_equal(s.depth, 16);
}

static void test_build_too_long(void **state)
{
    (void)state;
    char small[20];
    assert_int_equal(x2go_sid_build(small, sizeof small, "alice", 50, 1795480859LL, 'D',
                                    "XFCE", 24, NULL), -1);
    /* exactly fits: 32 chars + NUL */
    char fit[33];
    assert_int_equal(x2go_sid_build(fit, sizeof fit, "alice", 50, 1795480859LL, 'D', "XFCE",
                                    24, NULL), 0);
    assert_string_equal(fit, "alice-50-1795480859_stDXFCE_dp24");
    char one_less[32];
    assert_int_equal(x2go_sid_build(one_less, sizeof one_less, "alice", 50, 1795480859LL,
                                    'D', "XFCE", 24, NULL), -1);
    /* a PP expansion that does not fit */
    char pp[30];
    assert_int_equal(x2go_sid_build(pp, sizeof pp, "bob", 51, 1700000000LL, 'S',
                                    "1XSHADaliceXSHAD:50", 24, NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_ids),
        cmocka_unit_test(test_invalid_ids),
        cmocka_unit_test(test_parse_fields),
        cmocka_unit_test(test_length_limits),
        cmocka_unit_test(test_username),
        cmocka_unit_test(test_build),
        cmocka_unit_test(test_build_too_long),
    };
    return cmocka_run_group_tests_name("sid", tests, NULL, NULL);
}
