/* Monitoring, pure parts: the daemon's state file parsed strictly, the
 * agent's VmRSS, the counts, and both output forms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static int parse(const char *text, struct x2go_daemon_state *ds)
{
    return x2go_daemon_state_parse(text, strlen(text), ds);
}

static void daemon_state(void **state)
{
    (void)state;
    struct x2go_daemon_state ds;
    assert_int_equal(parse("last_pass=1700000000\npasses=12\ntracked=3\npid=4321\n", &ds), 0);
    assert_int_equal(ds.last_pass, 1700000000);
    assert_int_equal(ds.passes, 12);
    assert_int_equal(ds.tracked, 3);
    assert_int_equal(ds.pid, 4321);
    /* any order, no final newline, an unknown key of the same grammar */
    assert_int_equal(parse("pid=7\nfuture_key=1\ntracked=0\npasses=0\nlast_pass=5", &ds), 0);
    assert_int_equal(ds.pid, 7);
    const char *bad[] = {
        "",
        "last_pass=1\npasses=1\ntracked=1\n",                     /* pid missing */
        "last_pass=1\npasses=1\ntracked=1\npid=2\npid=3\n",       /* twice */
        "last_pass=1\npasses=1\ntracked=1\npid=x\n",
        "last_pass=1\npasses=1\ntracked=1\npid=-2\n",
        "last_pass=1\npasses=1\ntracked=1\npid=0\n",
        "last_pass=1\npasses=1\ntracked=1\npid=99999999\n",
        "last_pass=1\npasses=1\ntracked=1\npid=2 \n",
        "last_pass=1\npasses=1\ntracked=1\n\npid=2\n",            /* blank line */
        "last_pass=1\npasses=1\ntracked=1\nPID=2\npid=2\n",
        "last_pass=1\npasses=1\ntracked=1\npid=2\ngarbage\n",
        "last_pass=1\npasses=1\ntracked=1\npid=2\nx=" "0000000000000000000000000000000000"
        "00000000000000000000000000000000000000000000000\n",     /* overlong line */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(parse(bad[i], &ds), -1);
    /* an embedded NUL is no text */
    assert_int_equal(x2go_daemon_state_parse("last_pass=1\0\npasses=1\ntracked=1\npid=2\n",
                                             40, &ds), -1);
}

static void vmrss(void **state)
{
    (void)state;
    long long b;
    assert_int_equal(x2go_vmrss_parse("Name:\tnxagent\nVmPeak:\t  9 kB\nVmRSS:\t   51200 kB\n"
                                      "RssAnon:\t 1 kB\n", &b), 0);
    assert_int_equal(b, 51200LL * 1024);
    assert_int_equal(x2go_vmrss_parse("Name:\tkthreadd\nState:\tS\n", &b), -1);
    assert_int_equal(x2go_vmrss_parse("VmRSS:\t12 MB\n", &b), -1);
}

static void add(struct x2go_session_list *l, const char *user, char status, long pid)
{
    struct x2go_session *s = x2go_list_add(l);
    snprintf(s->uname, sizeof s->uname, "%s", user);
    snprintf(s->sid, sizeof s->sid, "%s-50-1700000000_stDXFCE_dp24", user);
    s->status = status;
    s->agent_pid = pid;
    s->display = 50;
}

static void build(struct x2go_metrics *m)
{
    struct x2go_session_list l = {0};
    add(&l, "alice", 'R', 10);
    add(&l, "alice", 'S', 11);
    add(&l, "bob", 'S', 12);
    add(&l, "bob", 'R', X2GO_NULL_INT); /* a start in progress: not counted */
    add(&l, "ca\"rl", 'F', 13);
    x2go_metrics_count(m, &l);
    x2go_metrics_agent(m, &l.s[0], 4096);
    x2go_list_free(&l);
    m->displays_used = 4;
    m->displays_free = 9946;
    m->ports_used = 12;
    m->ports_free = 35524;
}

static void openmetrics(void **state)
{
    (void)state;
    struct x2go_metrics m = {0};
    build(&m);
    struct x2go_buf b = {0};
    x2go_metrics_openmetrics(&m, &b);
    const char *want[] = {
        "x2go_sessions{status=\"R\"} 1\n", "x2go_sessions{status=\"S\"} 2\n",
        "x2go_sessions{status=\"T\"} 0\n", "x2go_sessions{status=\"F\"} 1\n",
        "x2go_user_sessions{user=\"alice\",status=\"R\"} 1\n",
        "x2go_user_sessions{user=\"bob\",status=\"S\"} 1\n",
        "x2go_user_sessions{user=\"ca\\\"rl\",status=\"F\"} 1\n",
        "\nx2go_displays_free 9946\n", "\nx2go_ports_used 12\n", "\nx2go_daemon_up 0\n",
        "x2go_agent_resident_memory_bytes{session_id=\"alice-50-1700000000_stDXFCE_dp24\","
        "user=\"alice\",display=\"50\"} 4096\n",
        "# TYPE x2go_sessions gauge\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        assert_non_null(strstr(b.p, want[i]));
    assert_null(strstr(b.p, "bob\",status=\"R\""));
    assert_null(strstr(b.p, "x2go_daemon_passes"));
    size_t n = strlen(b.p);
    assert_true(n > 6 && !strcmp(b.p + n - 6, "# EOF\n"));
    assert_non_null(strstr(b.p, "# EOF\n"));
    assert_ptr_equal(strstr(b.p, "# EOF"), b.p + n - 6);
    free(b.p);
    /* the daemon's numbers appear once it is up */
    m.daemon_up = true;
    m.daemon = (struct x2go_daemon_state){1700000000, 7, 3, 99};
    b = (struct x2go_buf){0};
    x2go_metrics_openmetrics(&m, &b);
    assert_non_null(strstr(b.p, "\nx2go_daemon_up 1\n"));
    assert_non_null(strstr(b.p, "\nx2go_daemon_last_pass_timestamp_seconds 1700000000\n"));
    assert_non_null(strstr(b.p, "\nx2go_daemon_passes 7\n"));
    assert_non_null(strstr(b.p, "\nx2go_daemon_tracked_sessions 3\n"));
    free(b.p);
    x2go_metrics_free(&m);
}

static void label_escapes(void **state)
{
    (void)state;
    struct x2go_buf b = {0};
    x2go_om_label(&b, "a\\b\"c\nd");
    assert_string_equal(b.p, "\"a\\\\b\\\"c\\nd\"");
    free(b.p);
}

static void json(void **state)
{
    (void)state;
    struct x2go_metrics m = {0};
    build(&m);
    m.daemon_up = true;
    m.daemon = (struct x2go_daemon_state){1700000000, 7, 3, 99};
    struct x2go_buf b = {0};
    x2go_metrics_json(&m, &b);
    assert_string_equal(b.p,
        "{\"sessions\":{\"R\":1,\"S\":2,\"T\":0,\"F\":1},\"users\":{"
        "\"alice\":{\"R\":1,\"S\":1,\"T\":0,\"F\":0},\"bob\":{\"R\":0,\"S\":1,\"T\":0,\"F\":0},"
        "\"ca\\\"rl\":{\"R\":0,\"S\":0,\"T\":0,\"F\":1}},"
        "\"displays\":{\"used\":4,\"free\":9946},\"ports\":{\"used\":12,\"free\":35524},"
        "\"daemon\":{\"up\":true,\"last_pass\":1700000000,\"passes\":7,\"tracked\":3,"
        "\"pid\":99},\"agents\":[{\"session_id\":\"alice-50-1700000000_stDXFCE_dp24\","
        "\"user\":\"alice\",\"display\":50,\"rss_bytes\":4096}]}\n");
    free(b.p);
    x2go_metrics_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(daemon_state), cmocka_unit_test(vmrss),
        cmocka_unit_test(openmetrics),  cmocka_unit_test(label_escapes),
        cmocka_unit_test(json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
