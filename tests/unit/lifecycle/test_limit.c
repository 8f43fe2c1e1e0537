/* Session limits (spec 2.5 x2gosessionlimit): [limit users] before
 * [limit groups], 0 = unlimited, the largest group value, the caller's
 * non-F sessions counted through the store interface (a fake here). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "limit.h"
#include "store.h"
#include "util.h"

static int nrows;
static char statuses[16];

static int fake_list(struct x2go_store *st, const struct x2go_list_query *q,
                     struct x2go_session_list *out)
{
    (void)st;
    assert_int_equal(q->kind, X2GO_LIST_USER);
    assert_null(q->server); /* every server counts */
    for (int i = 0; i < nrows; i++) {
        struct x2go_session *s = x2go_list_add(out);
        memset(s, 0, sizeof *s);
        snprintf(s->sid, sizeof s->sid, "me-%d-1700000000_stRx_dp24", 50 + i);
        snprintf(s->server, sizeof s->server, "another-host");
        s->status = statuses[i];
        s->agent_pid = 1234;
    }
    return 0;
}

static const struct x2go_store_ops fake_ops = {.list = fake_list};

static char conf_path[64];

static void with_conf(const char *text)
{
    FILE *f = fopen(conf_path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    x2go_conf_override(conf_path, "/nonexistent");
}

static int check(const char *conf, int rows, const char *st, const char *want)
{
    with_conf(conf);
    nrows = rows;
    snprintf(statuses, sizeof statuses, "%s", st);
    struct x2go_store store = {.ops = &fake_ops};
    char out[32];
    int rc = x2go_session_limit(&store, out, sizeof out);
    assert_string_equal(out, want);
    return rc;
}

static void test_limits(void **state)
{
    (void)state;
    char me[X2GO_USER_MAX + 1], conf[512];
    assert_int_equal(x2go_caller_name(me, sizeof me), 0);
    struct group *g = getgrgid(getgid());
    assert_non_null(g);
    char grp[128];
    snprintf(grp, sizeof grp, "%s", g->gr_name);

    assert_int_equal(check("[log]\nloglevel=notice\n", 3, "RRR", ""), 0);

    snprintf(conf, sizeof conf, "[limit users]\n%s=0\n", me);
    assert_int_equal(check(conf, 9, "RRRRRRRRR", "0"), 0);

    snprintf(conf, sizeof conf, "[limit users]\n%s=2\n", me);
    assert_int_equal(check(conf, 1, "R", "2"), 0);
    assert_int_equal(check(conf, 2, "RS", "LIMIT"), 1);
    /* F rows do not count. */
    assert_int_equal(check(conf, 3, "RFF", "2"), 0);

    snprintf(conf, sizeof conf, "[limit groups]\n%s=1\n", grp);
    assert_int_equal(check(conf, 0, "", "1"), 0);
    assert_int_equal(check(conf, 1, "S", "LIMIT"), 1);
    snprintf(conf, sizeof conf, "[limit groups]\n%s=0\n", grp);
    assert_int_equal(check(conf, 5, "RRRRR", "0"), 0);

    /* The user's entry wins over every group entry. */
    snprintf(conf, sizeof conf, "[limit users]\n%s=5\n[limit groups]\n%s=1\n", me, grp);
    assert_int_equal(check(conf, 3, "RRR", "5"), 0);

    /* A non-number is ignored (logged), not fatal. */
    snprintf(conf, sizeof conf, "[limit users]\n%s=many\n", me);
    assert_int_equal(check(conf, 3, "RRR", ""), 0);
}

int main(void)
{
    snprintf(conf_path, sizeof conf_path, "/tmp/x2go-test-limit-%d.conf", (int)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(conf_path);
    return rc;
}
