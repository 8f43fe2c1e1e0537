/* Session history, pure parts: times, the command line,
 * the aligned text and the JSON form (escaping included). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "json.h"
#include "session.h"

static void times(void **state)
{
    (void)state;
    long long t;
    assert_int_equal(x2go_time_parse("@1700000000", 0, &t), 0);
    assert_int_equal(t, 1700000000);
    assert_int_equal(x2go_time_parse("2023-11-14", 0, &t), 0);
    assert_int_equal(t, 1699920000);
    assert_int_equal(x2go_time_parse("2023-11-14T22:13:20Z", 0, &t), 0);
    assert_int_equal(t, 1700000000);
    assert_int_equal(x2go_time_parse("2023-11-14 22:13", 0, &t), 0);
    assert_int_equal(t, 1699999980);
    assert_int_equal(x2go_time_parse("2h", 10000, &t), 0);
    assert_int_equal(t, 10000 - 7200);
    const char *bad[] = {"2023-02-30", "2023-13-01", "2023-1-01", "2023-11-14T25:00",
                         "2023-11-14T22:13:20+01", "@", "@-5", "yesterday", "1969-12-31",
                         "2023-11-14T", "2023-11-14 22"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(x2go_time_parse(bad[i], 0, &t), -1);
    char buf[32];
    x2go_time_iso(1700000000, buf, sizeof buf);
    assert_string_equal(buf, "2023-11-14T22:13:20Z");
}

static int args(const char *line, struct x2go_hist_query *q, bool *json)
{
    char copy[256], *argv[16];
    int argc = 0;
    strcpy(copy, line);
    for (char *w = strtok(copy, " "); w; w = strtok(NULL, " "))
        argv[argc++] = w;
    return x2go_hist_args(argc, argv, 100000, q, json);
}

static void command_line(void **state)
{
    (void)state;
    struct x2go_hist_query q;
    bool json;
    assert_int_equal(args("", &q, &json), 0);
    assert_null(q.user);
    assert_null(q.server);
    assert_int_equal(q.since, X2GO_HIST_NO_TIME);
    assert_false(json);
    assert_int_equal(args("--user alice --host h1.example --since 1h --until @99000 --json",
                          &q, &json), 0);
    assert_string_equal(q.user, "alice");
    assert_string_equal(q.server, "h1.example");
    assert_int_equal(q.since, 100000 - 3600);
    assert_int_equal(q.until, 99000);
    assert_true(json);
    const char *bad[] = {"--user", "--user a;b", "--host bad_host!", "--since never",
                         "--json --json", "--user a --user b", "--since @5 --until @4",
                         "alice", "--verbose"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(args(bad[i], &q, &json), -1);
}

static void fill(struct x2go_hist_list *l)
{
    struct x2go_hist_event *e = x2go_hist_add(l);
    e->time = 1700000000;
    strcpy(e->event, "start");
    strcpy(e->sid, "alice-50-1700000000_stDXFCE_dp24");
    strcpy(e->uname, "alice");
    strcpy(e->server, "h1");
    strcpy(e->client, "10.0.0.1");
    e->display = 50;
    e = x2go_hist_add(l);
    e->time = 1700000060;
    strcpy(e->event, "terminate");
    strcpy(e->sid, "bob-1000-1700000000_stDXFCE_dp24");
    strcpy(e->uname, "bob");
    strcpy(e->server, "host-two");
}

static void text_is_aligned(void **state)
{
    (void)state;
    struct x2go_hist_list l = {0};
    fill(&l);
    struct x2go_buf b = {0};
    x2go_hist_text(&l, &b);
    assert_string_equal(b.p,
        "TIME                  EVENT      USER   HOST      CLIENT    DISPLAY  SESSION\n"
        "2023-11-14T22:13:20Z  start      alice  h1        10.0.0.1  50       "
        "alice-50-1700000000_stDXFCE_dp24\n"
        "2023-11-14T22:14:20Z  terminate  bob    host-two  -         -        "
        "bob-1000-1700000000_stDXFCE_dp24\n");
    free(b.p);
    x2go_hist_free(&l);
}

static void json_form(void **state)
{
    (void)state;
    struct x2go_hist_list l = {0};
    struct x2go_buf b = {0};
    x2go_hist_json(&l, &b);
    assert_string_equal(b.p, "[\n]\n");
    free(b.p);
    b = (struct x2go_buf){0};
    fill(&l);
    x2go_hist_json(&l, &b);
    assert_string_equal(b.p,
        "[\n{\"time\":\"2023-11-14T22:13:20Z\",\"epoch\":1700000000,\"event\":\"start\","
        "\"user\":\"alice\",\"host\":\"h1\",\"client\":\"10.0.0.1\",\"display\":50,"
        "\"session_id\":\"alice-50-1700000000_stDXFCE_dp24\"},\n"
        "{\"time\":\"2023-11-14T22:14:20Z\",\"epoch\":1700000060,\"event\":\"terminate\","
        "\"user\":\"bob\",\"host\":\"host-two\",\"client\":null,\"display\":null,"
        "\"session_id\":\"bob-1000-1700000000_stDXFCE_dp24\"}\n]\n");
    free(b.p);
    x2go_hist_free(&l);
}

static void json_escapes(void **state)
{
    (void)state;
    struct x2go_buf b = {0};
    x2go_json_str(&b, "a\"b\\c\nd\x01\x7f\xc3\xa9/");
    x2go_json_str(&b, NULL);
    x2go_json_int(&b, X2GO_NULL_INT);
    x2go_json_int(&b, -5);
    assert_string_equal(b.p, "\"a\\\"b\\\\c\\u000ad\\u0001\\u007f\\u00c3\\u00a9/\"nullnull-5");
    free(b.p);
}

static void session_json(void **state)
{
    (void)state;
    struct x2go_session s;
    assert_int_equal(x2go_session_parse("4242|alice-50-1700000000_stDXFCE_dp24|50|h1|S|"
                                        "2023-11-14T22:13:20|0123456789abcdef0123456789abcdef||"
                                        "30001|30002|2023-11-14T22:14:20|alice|60|30003||",
                                        &s), 0);
    struct x2go_buf b = {0};
    x2go_json_session(&b, &s);
    assert_string_equal(b.p,
        "{\"agent_pid\":4242,\"session_id\":\"alice-50-1700000000_stDXFCE_dp24\","
        "\"display\":50,\"server\":\"h1\",\"status\":\"S\",\"init_time\":\"2023-11-14T22:13:20\","
        "\"cookie\":\"0123456789abcdef0123456789abcdef\",\"client\":null,\"gr_port\":30001,"
        "\"sound_port\":30002,\"last_time\":\"2023-11-14T22:14:20\",\"uname\":\"alice\","
        "\"age\":60,\"fs_port\":30003,\"tekictrl_port\":null,\"tekidata_port\":null}");
    free(b.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(times),
        cmocka_unit_test(command_line),   cmocka_unit_test(text_is_aligned),
        cmocka_unit_test(json_form),      cmocka_unit_test(json_escapes),
        cmocka_unit_test(session_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
