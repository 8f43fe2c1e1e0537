/* PostgreSQL backend pieces that need no server: the [postgres] settings
 * and their grammar, the password file rules, generated passwords, and
 * role statements (quoting needs libpq, loaded as the backend does). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "store_pg_admin.h"
#include "util.h"

static char dir[] = "/tmp/x2go-test-pg-XXXXXX";

static const char *file_with(const char *name, const char *text, mode_t mode)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    fchmod(fd, mode);
    close(fd);
    return path;
}

static int conf_with(const char *text, struct x2go_pg_conf *c)
{
    char sql[256];
    snprintf(sql, sizeof sql, "%s", file_with("sql", text, 0644));
    x2go_conf_override("/nonexistent/x2goserver.conf", sql);
    return x2go_pg_conf(c);
}

static void test_conf_defaults(void **state)
{
    (void)state;
    struct x2go_pg_conf c;
    assert_int_equal(conf_with("backend=postgres\n", &c), 0);
    assert_string_equal(c.host, "localhost");
    assert_string_equal(c.port, "5432");
    assert_string_equal(c.ssl, "prefer");
    assert_string_equal(c.dbadmin, "postgres");
    assert_int_equal(conf_with("backend=postgres\n[postgres]\nhost=db.example.org\n"
                               "port=6432\nssl=require\ndbadmin=pgsu\n", &c), 0);
    assert_string_equal(c.host, "db.example.org");
    assert_string_equal(c.port, "6432");
    assert_string_equal(c.ssl, "require");
}

static void test_conf_grammar(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "[postgres]\nport=0\n", "[postgres]\nport=65536\n", "[postgres]\nport=54x\n",
        "[postgres]\nssl=maybe\n", "[postgres]\nhost=a b\n",
        "[postgres]\nhost=x' dbname=postgres\n", "[postgres]\ndbadmin=a;b\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct x2go_pg_conf c;
        assert_int_equal(conf_with(bad[i], &c), -1);
        assert_non_null(strstr(x2go_err(), "is not valid"));
    }
}

static void test_password_file(void **state)
{
    (void)state;
    char pw[64];
    const char *p = file_with("pw", "s3cret\nsecond line\n", 0600);
    assert_int_equal(x2go_pg_read_password(p, getuid(), pw, sizeof pw), 0);
    assert_string_equal(pw, "s3cret");
    p = file_with("pw", "s3cret\n", 0640);
    assert_int_equal(x2go_pg_read_password(p, getuid(), pw, sizeof pw), -1);
    assert_non_null(strstr(x2go_err(), "can be read by others"));
    p = file_with("pw", "s3cret\n", 0600);
    assert_int_equal(x2go_pg_read_password(p, getuid() + 1, pw, sizeof pw), -1);
    assert_non_null(strstr(x2go_err(), "owned by uid"));
    p = file_with("pw", "\n", 0600);
    assert_int_equal(x2go_pg_read_password(p, getuid(), pw, sizeof pw), -1);
    assert_non_null(strstr(x2go_err(), "is empty"));
    char link[256];
    snprintf(link, sizeof link, "%s/link", dir);
    unlink(link);
    assert_int_equal(symlink(p, link), 0);
    assert_int_equal(x2go_pg_read_password(link, getuid(), pw, sizeof pw), -1);
    assert_int_equal(x2go_pg_read_password("/nonexistent/pw", getuid(), pw, sizeof pw), -1);
    assert_non_null(strstr(x2go_err(), "x2godbadmin --adduser"));
}

static void test_generated_passwords(void **state)
{
    (void)state;
    char a[X2GO_PG_PASSWORD_LEN + 1], b[X2GO_PG_PASSWORD_LEN + 1];
    assert_int_equal(x2go_pg_admin_password(a, sizeof a), 0);
    assert_int_equal(x2go_pg_admin_password(b, sizeof b), 0);
    assert_int_equal(strlen(a), X2GO_PG_PASSWORD_LEN);
    assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
                     X2GO_PG_PASSWORD_LEN);
    assert_string_not_equal(a, b);
    char small[5];
    assert_int_equal(x2go_pg_admin_password(small, sizeof small), 0);
    assert_int_equal(strlen(small), 4);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    static const char *const names[] = {"sql", "pw", "link"};
    for (size_t i = 0; i < 3; i++) {
        char p[256];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conf_defaults),
        cmocka_unit_test(test_conf_grammar),
        cmocka_unit_test(test_password_file),
        cmocka_unit_test(test_generated_passwords),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
