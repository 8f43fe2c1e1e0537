/* The x2golistsessions line (spec 2.1.6, Appendix B): format and parse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "session.h"
#include "util.h"

/* Appendix B, `x2golistsessions` after x2gostartagent (SQLite). */
static const char appendix_b[] =
    "21886|alice-50-1795480859_stDXFCE_dp24|50|vm|R|2026-11-24T00:41:00|"
    "3ebbe794a3494f5ad424bce6f8617c8b|10.0.0.5|30138|30139|2026-11-24T00:41:02|alice|12|"
    "30140|-1|-1";

/* Spec 2.1.6: a reservation row (no agent yet): NULLs print empty. */
static const char reservation[] =
    "|alice-88-1795481999_stDx_dp24|88|vm|R|2026-11-24T00:46:27|||||2026-11-24T00:46:27|"
    "alice|1|||";

static void fill_appendix_b(struct x2go_session *s)
{
    memset(s, 0, sizeof *s);
    s->agent_pid = 21886;
    strcpy(s->sid, "alice-50-1795480859_stDXFCE_dp24");
    s->display = 50;
    strcpy(s->server, "vm");
    s->status = 'R';
    strcpy(s->init_time, "2026-11-24T00:41:00");
    strcpy(s->cookie, "3ebbe794a3494f5ad424bce6f8617c8b");
    strcpy(s->client, "10.0.0.5");
    s->gr_port = 30138;
    s->sound_port = 30139;
    strcpy(s->last_time, "2026-11-24T00:41:02");
    strcpy(s->uname, "alice");
    s->age = 12;
    s->fs_port = 30140;
    s->tekictrl_port = -1;
    s->tekidata_port = -1;
}

static int count_fields(const char *line)
{
    int n = 1;
    for (; *line; line++)
        n += *line == '|';
    return n;
}

static void test_format_appendix_b(void **state)
{
    (void)state;
    struct x2go_session s;
    fill_appendix_b(&s);
    char buf[2048];
    int n = x2go_session_format(&s, 16, buf, sizeof buf);
    assert_int_equal(n, (int)strlen(appendix_b));
    assert_memory_equal(buf, appendix_b, sizeof appendix_b); /* incl. NUL */
    assert_int_equal(count_fields(buf), 16);
    assert_null(strchr(buf, '\n'));
}

static void test_format_14_fields(void **state)
{
    (void)state;
    struct x2go_session s;
    fill_appendix_b(&s);
    char buf[2048];
    int n = x2go_session_format(&s, 14, buf, sizeof buf);
    /* the 16-field line without "|-1|-1" */
    size_t want = strlen(appendix_b) - strlen("|-1|-1");
    assert_int_equal(n, (int)want);
    assert_int_equal(strncmp(buf, appendix_b, want), 0);
    assert_int_equal(buf[want], '\0');
    assert_int_equal(count_fields(buf), 14);
}

static void test_format_nulls(void **state)
{
    (void)state;
    struct x2go_session s;
    memset(&s, 0, sizeof s);
    s.agent_pid = X2GO_NULL_INT;
    strcpy(s.sid, "alice-88-1795481999_stDx_dp24");
    s.display = 88;
    strcpy(s.server, "vm");
    s.status = 'R';
    strcpy(s.init_time, "2026-11-24T00:46:27");
    strcpy(s.last_time, "2026-11-24T00:46:27");
    strcpy(s.uname, "alice");
    s.age = 1;
    s.gr_port = s.sound_port = s.fs_port = X2GO_NULL_INT;
    s.tekictrl_port = s.tekidata_port = X2GO_NULL_INT;
    char buf[2048];
    assert_int_equal(x2go_session_format(&s, 16, buf, sizeof buf), (int)strlen(reservation));
    assert_string_equal(buf, reservation);
    assert_int_equal(count_fields(buf), 16);
}

static void test_format_small_buffer(void **state)
{
    (void)state;
    struct x2go_session s;
    fill_appendix_b(&s);
    char buf[40];
    assert_int_equal(x2go_session_format(&s, 16, buf, sizeof buf), -1);
    /* exactly the line plus NUL fits; one byte less does not */
    char exact[sizeof appendix_b];
    assert_int_equal(x2go_session_format(&s, 16, exact, sizeof exact),
                     (int)strlen(appendix_b));
    char less[sizeof appendix_b - 1];
    assert_int_equal(x2go_session_format(&s, 16, less, sizeof less), -1);
    /* the 14-field form fits where only the Telekinesis fields overflow */
    assert_true(x2go_session_format(&s, 14, less, sizeof less) > 0);
}

static void test_parse_appendix_b(void **state)
{
    (void)state;
    struct x2go_session s, want;
    fill_appendix_b(&want);
    assert_int_equal(x2go_session_parse(appendix_b, &s), 0);
    assert_true(s.agent_pid == 21886);
    assert_string_equal(s.sid, want.sid);
    assert_int_equal(s.display, 50);
    assert_string_equal(s.server, "vm");
    assert_int_equal(s.status, 'R');
    assert_string_equal(s.init_time, want.init_time);
    assert_string_equal(s.cookie, want.cookie);
    assert_string_equal(s.client, "10.0.0.5");
    assert_int_equal(s.gr_port, 30138);
    assert_int_equal(s.sound_port, 30139);
    assert_string_equal(s.last_time, want.last_time);
    assert_string_equal(s.uname, "alice");
    assert_true(s.age == 12);
    assert_int_equal(s.fs_port, 30140);
    assert_int_equal(s.tekictrl_port, -1);
    assert_int_equal(s.tekidata_port, -1);
}

static void roundtrip(const char *line, int nfields)
{
    struct x2go_session s;
    if (x2go_session_parse(line, &s) != 0)
        fail_msg("could not parse '%s': %s", line, x2go_err());
    char buf[2048];
    assert_true(x2go_session_format(&s, nfields, buf, sizeof buf) > 0);
    assert_string_equal(buf, line);
}

static void test_roundtrip(void **state)
{
    (void)state;
    roundtrip(appendix_b, 16);
    roundtrip(reservation, 16);
    /* 14 fields: a shadow line */
    roundtrip("4242|bob-51-1700000000_stS1XSHADaliceXSHADPP50_dp24|51|vm|S|"
              "2026-11-24T00:41:00|0123456789abcdef0123456789abcdef|::1|30001|30002|"
              "2026-11-24T00:42:00|bob|3600|30003", 14);
    /* negative age (clock moved), IPv6 client, XDMCP id, T and F status */
    roundtrip("7|alice-52-1795481037_stDXDMCP_dp24_10.1.2.3|52|host.example.org|T|"
              "2026-11-24T00:41:00|3ebbe794a3494f5ad424bce6f8617c8b|fe80::1|1|65535|"
              "2026-11-24T00:41:02|alice|-5|30140|30141|30142", 16);
    roundtrip("7|alice-53-1795481037_stRxeyes_dp24|53|vm|F|2026-11-24T00:41:00|||||"
              "2026-11-24T00:41:02|alice|0||-1|-1", 16);

    /* Formatting what was parsed is stable through a second round. */
    struct x2go_session a, b;
    char l1[2048], l2[2048];
    assert_int_equal(x2go_session_parse(appendix_b, &a), 0);
    assert_true(x2go_session_format(&a, 16, l1, sizeof l1) > 0);
    assert_int_equal(x2go_session_parse(l1, &b), 0);
    assert_true(x2go_session_format(&b, 16, l2, sizeof l2) > 0);
    assert_string_equal(l1, l2);
    assert_memory_equal(&a, &b, sizeof a);
}

static void test_parse_15_fields(void **state)
{
    (void)state;
    struct x2go_session s;
    /* 14 fields: Telekinesis absent, read as NULL */
    char line[2048];
    snprintf(line, sizeof line, "%.*s", (int)(strlen(appendix_b) - strlen("|-1|-1")),
             appendix_b);
    assert_int_equal(x2go_session_parse(line, &s), 0);
    assert_int_equal(s.fs_port, 30140);
    assert_int_equal(s.tekictrl_port, X2GO_NULL_INT);
    assert_int_equal(s.tekidata_port, X2GO_NULL_INT);
    /* 15 fields */
    strcat(line, "|-1");
    assert_int_equal(x2go_session_parse(line, &s), 0);
    assert_int_equal(s.tekictrl_port, -1);
    assert_int_equal(s.tekidata_port, X2GO_NULL_INT);
}

static void expect_bad(const char *line)
{
    struct x2go_session s;
    if (x2go_session_parse(line, &s) == 0)
        fail_msg("accepted malformed line '%s'", line);
    assert_string_equal(x2go_err(), "malformed session line");
}

static void test_parse_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "|",
        "garbage",
        /* 13 fields */
        "21886|alice-50-1795480859_stDXFCE_dp24|50|vm|R|2026-11-24T00:41:00|"
        "3ebbe794a3494f5ad424bce6f8617c8b|10.0.0.5|30138|30139|2026-11-24T00:41:02|alice|12",
        /* 17 fields */
        "21886|alice-50-1795480859_stDXFCE_dp24|50|vm|R|2026-11-24T00:41:00|"
        "3ebbe794a3494f5ad424bce6f8617c8b|10.0.0.5|30138|30139|2026-11-24T00:41:02|alice|12|"
        "30140|-1|-1|x",
        /* pid not a number, negative, with sign, with blanks */
        "x21886|alice-50-1795480859_stDXFCE_dp24|50|vm|R|2026-11-24T00:41:00|"
        "3ebbe794a3494f5ad424bce6f8617c8b|10.0.0.5|30138|30139|2026-11-24T00:41:02|alice|12|"
        "30140|-1|-1",
        "-5|alice-50-1795480859_stDXFCE_dp24|50|vm|R|2026-11-24T00:41:00|"
        "3ebbe794a3494f5ad424bce6f8617c8b|10.0.0.5|30138|30139|2026-11-24T00:41:02|alice|12|"
        "30140|-1|-1",
        "+5|alice-50-1795480859_stDXFCE_dp24|50|vm|R|2026-11-24T00:41:00|"
        "3ebbe794a3494f5ad424bce6f8617c8b|10.0.0.5|30138|30139|2026-11-24T00:41:02|alice|12|"
        "30140|-1|-1",
        " 5|alice-50-1795480859_stDXFCE_dp24|50|vm|R|2026-11-24T00:41:00|"
        "3ebbe794a3494f5ad424bce6f8617c8b|10.0.0.5|30138|30139|2026-11-24T00:41:02|alice|12|"
        "30140|-1|-1",
        "99999999999999999999|alice-50-1795480859_stDXFCE_dp24|50|vm|R|2026-11-24T00:41:00|"
        "3ebbe794a3494f5ad424bce6f8617c8b|10.0.0.5|30138|30139|2026-11-24T00:41:02|alice|12|"
        "30140|-1|-1",
        /* display empty, not numeric */
        "21886|alice-50-1795480859_stDXFCE_dp24||vm|R|2026-11-24T00:41:00|"
        "3ebbe794a3494f5ad424bce6f8617c8b|10.0.0.5|30138|30139|2026-11-24T00:41:02|alice|12|"
        "30140|-1|-1",
        "21886|alice-50-1795480859_stDXFCE_dp24|5x|vm|R|2026-11-24T00:41:00|"
        "3ebbe794a3494f5ad424bce6f8617c8b|10.0.0.5|30138|30139|2026-11-24T00:41:02|alice|12|"
        "30140|-1|-1",
        /* status unknown, empty, two letters */
        "21886|alice-50-1795480859_stDXFCE_dp24|50|vm|X|2026-11-24T00:41:00|"
        "3ebbe794a3494f5ad424bce6f8617c8b|10.0.0.5|30138|30139|2026-11-24T00:41:02|alice|12|"
        "30140|-1|-1",
        "21886|alice-50-1795480859_stDXFCE_dp24|50|vm||2026-11-24T00:41:00|"
        "3ebbe794a3494f5ad424bce6f8617c8b|10.0.0.5|30138|30139|2026-11-24T00:41:02|alice|12|"
        "30140|-1|-1",
        "21886|alice-50-1795480859_stDXFCE_dp24|50|vm|RS|2026-11-24T00:41:00|"
        "3ebbe794a3494f5ad424bce6f8617c8b|10.0.0.5|30138|30139|2026-11-24T00:41:02|alice|12|"
        "30140|-1|-1",
        "21886|alice-50-1795480859_stDXFCE_dp24|50|vm|r|2026-11-24T00:41:00|"
        "3ebbe794a3494f5ad424bce6f8617c8b|10.0.0.5|30138|30139|2026-11-24T00:41:02|alice|12|"
        "30140|-1|-1",
        /* ports out of range: 65536, -2, text */
        "21886|alice-50-1795480859_stDXFCE_dp24|50|vm|R|2026-11-24T00:41:00|"
        "3ebbe794a3494f5ad424bce6f8617c8b|10.0.0.5|65536|30139|2026-11-24T00:41:02|alice|12|"
        "30140|-1|-1",
        "21886|alice-50-1795480859_stDXFCE_dp24|50|vm|R|2026-11-24T00:41:00|"
        "3ebbe794a3494f5ad424bce6f8617c8b|10.0.0.5|30138|-2|2026-11-24T00:41:02|alice|12|"
        "30140|-1|-1",
        "21886|alice-50-1795480859_stDXFCE_dp24|50|vm|R|2026-11-24T00:41:00|"
        "3ebbe794a3494f5ad424bce6f8617c8b|10.0.0.5|30138|30139|2026-11-24T00:41:02|alice|12|"
        "fs|-1|-1",
        "21886|alice-50-1795480859_stDXFCE_dp24|50|vm|R|2026-11-24T00:41:00|"
        "3ebbe794a3494f5ad424bce6f8617c8b|10.0.0.5|30138|30139|2026-11-24T00:41:02|alice|12|"
        "30140|-1|70000",
        /* age not a number */
        "21886|alice-50-1795480859_stDXFCE_dp24|50|vm|R|2026-11-24T00:41:00|"
        "3ebbe794a3494f5ad424bce6f8617c8b|10.0.0.5|30138|30139|2026-11-24T00:41:02|alice|1s|"
        "30140|-1|-1",
        /* cookie longer than char(33) */
        "21886|alice-50-1795480859_stDXFCE_dp24|50|vm|R|2026-11-24T00:41:00|"
        "3ebbe794a3494f5ad424bce6f8617c8b3ebbe794a3494f5ad424bce6f8617c8b|10.0.0.5|30138|30139|"
        "2026-11-24T00:41:02|alice|12|30140|-1|-1",
        /* timestamp too long */
        "21886|alice-50-1795480859_stDXFCE_dp24|50|vm|R|2026-11-24T00:41:00.123456|"
        "3ebbe794a3494f5ad424bce6f8617c8b|10.0.0.5|30138|30139|2026-11-24T00:41:02|alice|12|"
        "30140|-1|-1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        expect_bad(bad[i]);

    /* fields longer than their columns: sid > 500, user > 100, server > 100 */
    char line[4096], big[1200];
    memset(big, 'a', 600);
    big[600] = '\0';
    snprintf(line, sizeof line,
             "1|%s|50|vm|R|2026-11-24T00:41:00|||||2026-11-24T00:41:02|alice|12|||", big);
    expect_bad(line);
    big[101] = '\0';
    snprintf(line, sizeof line,
             "1|alice-50-1795480859_stDXFCE_dp24|50|vm|R|2026-11-24T00:41:00|||||"
             "2026-11-24T00:41:02|%s|12|||", big);
    expect_bad(line);
    snprintf(line, sizeof line,
             "1|alice-50-1795480859_stDXFCE_dp24|50|%s|R|2026-11-24T00:41:00|||||"
             "2026-11-24T00:41:02|alice|12|||", big);
    expect_bad(line);
    /* a line longer than any real one */
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char huge[3000];
    snprintf(huge, sizeof huge, "%s|%s", big, big);
    expect_bad(huge);
}

static void test_status_valid(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++) {
        bool want = c == 'R' || c == 'S' || c == 'T' || c == 'F';
        assert_int_equal(x2go_status_valid((char)c), want);
    }
}

static void test_list(void **state)
{
    (void)state;
    struct x2go_session_list l = {0};
    for (int i = 0; i < 100; i++) {
        struct x2go_session *s = x2go_list_add(&l);
        assert_int_equal(s->display, 0); /* zeroed */
        s->display = i;
    }
    assert_int_equal(l.n, 100);
    for (int i = 0; i < 100; i++)
        assert_int_equal(l.s[i].display, i);
    x2go_list_free(&l);
    assert_null(l.s);
    assert_int_equal(l.n, 0);
    x2go_list_free(&l); /* twice is harmless */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_appendix_b),
        cmocka_unit_test(test_format_14_fields),
        cmocka_unit_test(test_format_nulls),
        cmocka_unit_test(test_format_small_buffer),
        cmocka_unit_test(test_parse_appendix_b),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_parse_15_fields),
        cmocka_unit_test(test_parse_malformed),
        cmocka_unit_test(test_status_valid),
        cmocka_unit_test(test_list),
    };
    return cmocka_run_group_tests_name("session", tests, NULL, NULL);
}
