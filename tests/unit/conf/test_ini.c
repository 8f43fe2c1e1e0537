/* INI parsing as the reference's Config::Simple reads x2goserver.conf and
 * x2gosql/sql (spec 6.1, 6.2), x2go_parse_bool, and the typed conf.h
 * access on top of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "x2go-config.h"
#include "conf.h"
#include "ini.h"
#include "util.h"

/* The shipped x2goserver.conf shape. */
static const char shipped[] =
    "# comment at the top\n"
    "\n"
    "[limit users]\n"
    "#user-foo=1\n"
    "alice=2\n"
    "\n"
    "[limit groups]\n"
    "; semicolon comment\n"
    "bar-group = 3\n"
    "\n"
    "[security]\n"
    "umask=\"0117\"\n"
    "\n"
    "[superenicer]\n"
    "enable=no\n"
    "force-user-renice = yes \n"
    "normal-nice-level=0\n"
    "idle-nice-level=19\n"
    "ignored-users=bar,foo\n"
    "\n"
    "[telekinesis]\n"
    "\tenable\t=\tno\t\n"
    "\n"
    "[x2goagent]\n"
    "port_randomization=\"pure-random\"\n"
    "\n"
    "[log]\n"
    "loglevel=notice\n";

static const char *get(const struct x2go_ini *ini, const char *sec, const char *key)
{
    const char *v = NULL;
    int r = x2go_ini_lookup(ini, sec, key, &v, NULL);
    if (r < 0)
        fail_msg("lookup [%s] %s failed: %s", sec, key, x2go_err());
    return r == 1 ? v : NULL;
}

static void test_sections_and_keys(void **state)
{
    (void)state;
    struct x2go_ini *ini = x2go_ini_parse("/etc/x2go/x2goserver.conf", shipped);
    assert_non_null(ini);
    assert_string_equal(x2go_ini_name(ini), "/etc/x2go/x2goserver.conf");
    assert_string_equal(get(ini, "limit users", "alice"), "2");
    assert_null(get(ini, "limit users", "user-foo")); /* commented out */
    assert_null(get(ini, "limit users", "#user-foo"));
    assert_string_equal(get(ini, "limit groups", "bar-group"), "3");
    assert_string_equal(get(ini, "superenicer", "enable"), "no");
    assert_string_equal(get(ini, "superenicer", "force-user-renice"), "yes");
    assert_string_equal(get(ini, "superenicer", "idle-nice-level"), "19");
    assert_string_equal(get(ini, "superenicer", "ignored-users"), "bar,foo");
    assert_string_equal(get(ini, "telekinesis", "enable"), "no"); /* tabs trimmed */
    assert_string_equal(get(ini, "log", "loglevel"), "notice");
    /* a key of one section is not visible in another */
    assert_null(get(ini, "log", "enable"));
    assert_null(get(ini, "", "enable"));
    assert_null(get(ini, "nosuchsection", "enable"));
    /* keys and sections are case-sensitive, as with Config::Simple */
    assert_null(get(ini, "LOG", "loglevel"));
    assert_null(get(ini, "log", "LogLevel"));
    /* line numbers are 1-based and count blank and comment lines */
    const char *v;
    int line = 0;
    assert_int_equal(x2go_ini_lookup(ini, "superenicer", "enable", &v, &line), 1);
    assert_int_equal(line, 15);
    assert_int_equal(x2go_ini_lookup(ini, "log", "loglevel", &v, &line), 1);
    assert_int_equal(line, 28);
    x2go_ini_free(ini);
}

static void test_quotes(void **state)
{
    (void)state;
    struct x2go_ini *ini = x2go_ini_parse("q.conf",
        "[q]\n"
        "dq=\"0117\"\n"
        "sq='pure-random'\n"
        "inner = a \"quoted\" word\n"
        "spaced = \"  keep inner blanks  \"\n"
        "unterminated=\"abc\n"
        "mismatched=\"abc'\n"
        "lone=\"\n"
        "empty=\"\"\n"
        "bare=\n"
        "eq=a=b=c\n"
        "url = http://x/?a=1#frag\n");
    assert_string_equal(get(ini, "q", "dq"), "0117");
    assert_string_equal(get(ini, "q", "sq"), "pure-random");
    assert_string_equal(get(ini, "q", "inner"), "a \"quoted\" word");
    assert_string_equal(get(ini, "q", "spaced"), "  keep inner blanks  ");
    assert_string_equal(get(ini, "q", "unterminated"), "\"abc");
    assert_string_equal(get(ini, "q", "mismatched"), "\"abc'");
    assert_string_equal(get(ini, "q", "lone"), "\"");
    assert_string_equal(get(ini, "q", "empty"), "");
    assert_string_equal(get(ini, "q", "bare"), "");
    assert_string_equal(get(ini, "q", "eq"), "a=b=c");
    assert_string_equal(get(ini, "q", "url"), "http://x/?a=1#frag");
    x2go_ini_free(ini);
}

static void test_comments_and_toplevel(void **state)
{
    (void)state;
    struct x2go_ini *ini = x2go_ini_parse("/etc/x2go/x2gosql/sql",
        "# Session database backend\n"
        "   # indented comment\n"
        "\t; indented semicolon comment\n"
        "backend=sqlite\n"
        "\n"
        "[postgres]\n"
        "host=localhost\n"
        "port=5432\n"
        "# port=1\n"
        "dbadmin=postgres\n"
        "ssl=prefer\n"
        "[mysql]\n"
        "host = db.example.org\n");
    assert_string_equal(get(ini, "", "backend"), "sqlite");
    assert_null(get(ini, "postgres", "backend"));
    assert_string_equal(get(ini, "postgres", "host"), "localhost");
    assert_string_equal(get(ini, "postgres", "port"), "5432");
    assert_string_equal(get(ini, "postgres", "ssl"), "prefer");
    assert_string_equal(get(ini, "mysql", "host"), "db.example.org");
    x2go_ini_free(ini);
}

static void test_last_wins(void **state)
{
    (void)state;
    struct x2go_ini *ini = x2go_ini_parse("lw.conf",
        "[log]\n"
        "loglevel=debug\n"
        "[other]\n"
        "loglevel=err\n"
        "[log]\n"
        "loglevel=info\n"
        "loglevel = warning\n");
    const char *v;
    int line = 0;
    assert_int_equal(x2go_ini_lookup(ini, "log", "loglevel", &v, &line), 1);
    assert_string_equal(v, "warning");
    assert_int_equal(line, 7);
    assert_string_equal(get(ini, "other", "loglevel"), "err");
    x2go_ini_free(ini);
}

static void test_whitespace_and_crlf(void **state)
{
    (void)state;
    struct x2go_ini *ini = x2go_ini_parse("ws.conf",
        "  [ spaced ]  \r\n"
        "key=value\r\n"
        "  other  =  two words  \r\n"
        "\r\n");
    assert_string_equal(get(ini, "spaced", "key"), "value");
    assert_string_equal(get(ini, "spaced", "other"), "two words");
    x2go_ini_free(ini);

    /* empty text and a file without a final newline */
    ini = x2go_ini_parse("empty.conf", "");
    assert_null(get(ini, "", "backend"));
    x2go_ini_free(ini);
    ini = x2go_ini_parse("nonl.conf", "[a]\nb=c");
    assert_string_equal(get(ini, "a", "b"), "c");
    x2go_ini_free(ini);
}

/* A broken line is reported, with file and line, only to lookups in its
 * section; every other section keeps working. */
static void test_broken_line(void **state)
{
    (void)state;
    struct x2go_ini *ini = x2go_ini_parse("/etc/x2go/x2goserver.conf",
        "[superenicer]\n"          /* 1 */
        "enable=no\n"              /* 2 */
        "this line is broken\n"    /* 3 */
        "idle-nice-level=19\n"     /* 4 */
        "\n"                       /* 5 */
        "[log]\n"                  /* 6 */
        "loglevel=debug\n");       /* 7 */
    const char *v = NULL;
    /* other sections work */
    assert_int_equal(x2go_ini_lookup(ini, "log", "loglevel", &v, NULL), 1);
    assert_string_equal(v, "debug");
    assert_int_equal(x2go_ini_lookup(ini, "log", "missing", &v, NULL), 0);
    assert_int_equal(x2go_ini_lookup(ini, "telekinesis", "enable", &v, NULL), 0);
    assert_int_equal(x2go_ini_lookup(ini, "", "backend", &v, NULL), 0);
    /* a missing key of the broken section: error naming file, line, key */
    assert_int_equal(x2go_ini_lookup(ini, "superenicer", "force-user-renice", &v, NULL), -1);
    const char *e = x2go_err();
    assert_non_null(strstr(e, "/etc/x2go/x2goserver.conf"));
    assert_non_null(strstr(e, "line 3"));
    assert_non_null(strstr(e, "force-user-renice"));
    assert_null(strchr(e, '\n'));
    /* a key that is present in the broken section: still an error (the
     * broken line may be the administrator's intended setting) */
    assert_int_equal(x2go_ini_lookup(ini, "superenicer", "enable", &v, NULL), -1);
    e = x2go_err();
    assert_non_null(strstr(e, "/etc/x2go/x2goserver.conf"));
    assert_non_null(strstr(e, "line 3"));
    assert_non_null(strstr(e, "enable"));
    x2go_ini_free(ini);
}

static void test_broken_kinds(void **state)
{
    (void)state;
    /* an empty key */
    struct x2go_ini *ini = x2go_ini_parse("k.conf", "[a]\n = value\n[b]\nx=1\n");
    const char *v;
    assert_int_equal(x2go_ini_lookup(ini, "a", "x", &v, NULL), -1);
    assert_non_null(strstr(x2go_err(), "k.conf line 2"));
    assert_int_equal(x2go_ini_lookup(ini, "b", "x", &v, NULL), 1);
    x2go_ini_free(ini);

    /* a broken top-level line breaks only top-level lookups */
    ini = x2go_ini_parse("/etc/x2go/x2gosql/sql", "backend sqlite\n[postgres]\nhost=h\n");
    assert_int_equal(x2go_ini_lookup(ini, "", "backend", &v, NULL), -1);
    assert_non_null(strstr(x2go_err(), "/etc/x2go/x2gosql/sql line 1"));
    assert_non_null(strstr(x2go_err(), "backend"));
    assert_int_equal(x2go_ini_lookup(ini, "postgres", "host", &v, NULL), 1);
    assert_string_equal(v, "h");
    x2go_ini_free(ini);

    /* a broken section header: the keys under it are not silently taken
     * as (or lost from) some section; lookups in the section it names
     * report it, other sections keep working */
    ini = x2go_ini_parse("h.conf", "[log]\nloglevel=info\n[superenicer\nenable=yes\n");
    assert_int_equal(x2go_ini_lookup(ini, "superenicer", "enable", &v, NULL), -1);
    assert_non_null(strstr(x2go_err(), "h.conf line 3"));
    assert_int_equal(x2go_ini_lookup(ini, "log", "loglevel", &v, NULL), 1);
    assert_string_equal(v, "info");
    x2go_ini_free(ini);

    /* several broken lines: the first one of the section is named */
    ini = x2go_ini_parse("m.conf", "[a]\nbad one\nbad two\n[b]\nbad three\n");
    assert_int_equal(x2go_ini_lookup(ini, "a", "k", &v, NULL), -1);
    assert_non_null(strstr(x2go_err(), "m.conf line 2"));
    assert_int_equal(x2go_ini_lookup(ini, "b", "k", &v, NULL), -1);
    assert_non_null(strstr(x2go_err(), "m.conf line 5"));
    assert_int_equal(x2go_ini_lookup(ini, "c", "k", &v, NULL), 0);
    x2go_ini_free(ini);
}

struct seen {
    char keys[8][32];
    int lines[8];
    int n;
};

static int collect(const char *key, const char *val, int line, void *ctx)
{
    (void)val;
    struct seen *s = ctx;
    if (s->n < 8) {
        snprintf(s->keys[s->n], sizeof s->keys[0], "%s", key);
        s->lines[s->n] = line;
    }
    s->n++;
    return 0;
}

static int stop_at_second(const char *key, const char *val, int line, void *ctx)
{
    (void)key;
    (void)val;
    (void)line;
    int *n = ctx;
    return ++*n == 2 ? 42 : 0;
}

static void test_foreach(void **state)
{
    (void)state;
    struct x2go_ini *ini = x2go_ini_parse("f.conf",
        "[limit users]\nalice=1\n[x]\ny=2\n[limit users]\nbob=2\ncarol=0\n[broken]\noops\n");
    struct seen s = {0};
    assert_int_equal(x2go_ini_foreach(ini, "limit users", collect, &s), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.keys[0], "alice");
    assert_int_equal(s.lines[0], 2);
    assert_string_equal(s.keys[1], "bob");
    assert_string_equal(s.keys[2], "carol");
    assert_int_equal(s.lines[2], 7);
    int n = 0;
    assert_int_equal(x2go_ini_foreach(ini, "limit users", stop_at_second, &n), 42);
    assert_int_equal(n, 2);
    memset(&s, 0, sizeof s);
    assert_int_equal(x2go_ini_foreach(ini, "nosuch", collect, &s), 0);
    assert_int_equal(s.n, 0);
    assert_int_equal(x2go_ini_foreach(ini, "broken", collect, &s), -1);
    assert_non_null(strstr(x2go_err(), "f.conf line 9"));
    assert_int_equal(s.n, 0);
    x2go_ini_free(ini);
}

static void test_parse_bool(void **state)
{
    (void)state;
    const char *yes[] = {"1", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
                         "yEs"};
    const char *no[] = {"0", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
                        ""};
    /* the reference's substring test made these true; we refuse them */
    const char *neither[] = {"none", "Yesterday", "2", "y", "n", "yes please", " yes", "yes ",
                             "01", "nope", "onn", "t", "enable", "-1"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        if (x2go_parse_bool(yes[i]) != 1)
            fail_msg("'%s' should be true", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        if (x2go_parse_bool(no[i]) != 0)
            fail_msg("'%s' should be false", no[i]);
    for (size_t i = 0; i < sizeof neither / sizeof *neither; i++)
        if (x2go_parse_bool(neither[i]) != -1)
            fail_msg("'%s' should be neither true nor false", neither[i]);
}

/* Files on disk: x2go_ini_load and the typed access of conf.h. */
static char tmpdir[64];

static char *write_tmp(const char *name, const char *text)
{
    static char path[8][128];
    static int slot;
    char *p = path[slot++ % 8];
    snprintf(p, 128, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/x2go-unit-ini.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[128];
    x2go_conf_override(X2GO_SERVER_CONF, X2GO_SQL_CONF);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_load(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/does-not-exist.conf", tmpdir);
    struct x2go_ini *ini = x2go_ini_load(path);
    assert_non_null(ini); /* missing: empty */
    const char *v;
    assert_int_equal(x2go_ini_lookup(ini, "log", "loglevel", &v, NULL), 0);
    x2go_ini_free(ini);

    char *p = write_tmp("ok.conf", "[log]\nloglevel=info\n");
    ini = x2go_ini_load(p);
    assert_non_null(ini);
    assert_string_equal(x2go_ini_name(ini), p);
    assert_string_equal(get(ini, "log", "loglevel"), "info");
    x2go_ini_free(ini);

    /* binary data: refused with the file named */
    snprintf(path, sizeof path, "%s/bin.conf", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fwrite("[log]\nloglevel=\0info\n", 1, 21, f);
    fclose(f);
    assert_null(x2go_ini_load(path));
    assert_non_null(strstr(x2go_err(), path));

    /* a directory is not a configuration file */
    assert_null(x2go_ini_load(tmpdir));
    assert_non_null(strstr(x2go_err(), tmpdir));
}

static void test_conf_typed(void **state)
{
    (void)state;
    char *server = write_tmp("x2goserver.conf",
        "[superenicer]\n"
        "enable=yes\n"
        "force-user-renice=maybe\n"
        "[telekinesis]\n"
        "enable=\"no\"\n"
        "[log]\n"
        "loglevel=DEBUG\n"
        "[broken]\n"
        "what is this\n");
    char *sql = write_tmp("sql", "backend=sqlite\n");
    x2go_conf_override(server, sql);

    const char *v;
    assert_int_equal(x2go_conf_str("superenicer", "enable", "no", &v), 0);
    assert_string_equal(v, "yes");
    assert_int_equal(x2go_conf_str("superenicer", "idle-nice-level", "19", &v), 0);
    assert_string_equal(v, "19");

    bool b = false;
    assert_int_equal(x2go_conf_bool("superenicer", "enable", false, &b), 0);
    assert_true(b);
    assert_int_equal(x2go_conf_bool("telekinesis", "enable", true, &b), 0);
    assert_false(b);
    b = true;
    assert_int_equal(x2go_conf_bool("x2goagent", "nosuch", false, &b), 0);
    assert_false(b); /* default */
    assert_int_equal(x2go_conf_bool("superenicer", "force-user-renice", false, &b), -1);
    const char *e = x2go_err();
    assert_non_null(strstr(e, server));
    assert_non_null(strstr(e, "line 3"));
    assert_non_null(strstr(e, "force-user-renice"));
    assert_int_equal(x2go_conf_str("broken", "x", "d", &v), -1);
    assert_non_null(strstr(x2go_err(), "line 9"));

    assert_int_equal(x2go_conf_loglevel(), LOG_DEBUG);
    enum x2go_backend be = X2GO_BACKEND_POSTGRES;
    assert_int_equal(x2go_conf_backend(&be), 0);
    assert_int_equal(be, X2GO_BACKEND_SQLITE);
}

static void test_conf_loglevel(void **state)
{
    (void)state;
    static const struct { const char *text; int prio; } cases[] = {
        {"[log]\nloglevel=emerg\n", LOG_EMERG},     {"[log]\nloglevel=alert\n", LOG_ALERT},
        {"[log]\nloglevel=crit\n", LOG_CRIT},       {"[log]\nloglevel=err\n", LOG_ERR},
        {"[log]\nloglevel=warning\n", LOG_WARNING}, {"[log]\nloglevel=notice\n", LOG_NOTICE},
        {"[log]\nloglevel=info\n", LOG_INFO},       {"[log]\nloglevel=debug\n", LOG_DEBUG},
        {"[log]\nloglevel=\"info\"\n", LOG_INFO},   {"[log]\nloglevel=chatty\n", LOG_NOTICE},
        {"[log]\n", LOG_NOTICE},                    {"", LOG_NOTICE},
        {"[other]\nloglevel=debug\n", LOG_NOTICE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        x2go_conf_override(write_tmp("lvl.conf", cases[i].text), write_tmp("sql", ""));
        if (x2go_conf_loglevel() != cases[i].prio)
            fail_msg("loglevel for '%s': got %d, want %d", cases[i].text, x2go_conf_loglevel(),
                     cases[i].prio);
    }
}

static void test_conf_backend(void **state)
{
    (void)state;
    char *server = write_tmp("srv.conf", "");
    enum x2go_backend be;
    char missing[128];
    snprintf(missing, sizeof missing, "%s/no-sql-file", tmpdir);
    x2go_conf_override(server, missing);
    assert_int_equal(x2go_conf_backend(&be), 0); /* default sqlite */
    assert_int_equal(be, X2GO_BACKEND_SQLITE);

    x2go_conf_override(server, write_tmp("sql", "backend=postgres\n[postgres]\nhost=db\n"));
    assert_int_equal(x2go_conf_backend(&be), 0);
    assert_int_equal(be, X2GO_BACKEND_POSTGRES);

    x2go_conf_override(server, write_tmp("sql", "# x\nbackend = \"sqlite\"\n"));
    assert_int_equal(x2go_conf_backend(&be), 0);
    assert_int_equal(be, X2GO_BACKEND_SQLITE);

    char *sql = write_tmp("sql", "# x\nbackend=mysql\n");
    x2go_conf_override(server, sql);
    assert_int_equal(x2go_conf_backend(&be), -1);
    assert_non_null(strstr(x2go_err(), sql));
    assert_non_null(strstr(x2go_err(), "line 2"));
    assert_non_null(strstr(x2go_err(), "mysql"));

    x2go_conf_override(server, write_tmp("sql", "backend=oracle\n"));
    assert_int_equal(x2go_conf_backend(&be), -1);
    assert_non_null(strstr(x2go_err(), "oracle"));

    sql = write_tmp("sql", "\n\nbackend sqlite\n");
    x2go_conf_override(server, sql);
    assert_int_equal(x2go_conf_backend(&be), -1);
    assert_non_null(strstr(x2go_err(), sql));
    assert_non_null(strstr(x2go_err(), "line 3"));
    assert_null(strchr(x2go_err(), '\n'));

    /* a broken [postgres] section does not matter to the backend choice */
    x2go_conf_override(server, write_tmp("sql", "backend=sqlite\n[postgres]\nhost\n"));
    assert_int_equal(x2go_conf_backend(&be), 0);
    assert_int_equal(be, X2GO_BACKEND_SQLITE);

    /* the server configuration being broken does not matter either */
    x2go_conf_override(write_tmp("srv.conf", "garbage\n[log]\nloglevel=info\n"),
                       write_tmp("sql", "backend=sqlite\n"));
    assert_int_equal(x2go_conf_backend(&be), 0);
    assert_int_equal(x2go_conf_loglevel(), LOG_INFO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sections_and_keys),
        cmocka_unit_test(test_quotes),
        cmocka_unit_test(test_comments_and_toplevel),
        cmocka_unit_test(test_last_wins),
        cmocka_unit_test(test_whitespace_and_crlf),
        cmocka_unit_test(test_broken_line),
        cmocka_unit_test(test_broken_kinds),
        cmocka_unit_test(test_foreach),
        cmocka_unit_test(test_parse_bool),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_conf_typed),
        cmocka_unit_test(test_conf_loglevel),
        cmocka_unit_test(test_conf_backend),
    };
    return cmocka_run_group_tests_name("ini", tests, setup_dir, teardown_dir);
}
