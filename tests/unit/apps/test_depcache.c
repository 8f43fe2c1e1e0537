/* The menu cache of x2gogetapps: used only while every recorded path
 * stats the same and the key matches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "depcache.h"

static char dir[64], file[128], cache[160], cdir[128], sub[128];

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void save(void)
{
    struct x2go_deps d;
    x2go_deps_init(&d, "key-1");
    x2go_deps_stat(&d, dir);
    x2go_deps_stat(&d, file);
    x2go_deps_stat(&d, sub); /* does not exist (yet) */
    assert_false(d.broken);
    assert_int_equal(x2go_deps_save(&d, cache, "MENU\0bytes", 10), 0);
    x2go_deps_free(&d);
}

static void hit(void)
{
    size_t n = 0;
    char *m = x2go_deps_load(cache, "key-1", getuid(), &n);
    assert_non_null(m);
    assert_int_equal(n, 10);
    assert_memory_equal(m, "MENU\0bytes", 10);
    free(m);
}

static void miss(const char *key)
{
    size_t n;
    assert_null(x2go_deps_load(cache, key, getuid(), &n));
}

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/x2go-test-depcache-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(file, sizeof file, "%s/a.desktop", dir);
    /* the cache in a dir of its own: writing it changes no recorded dir */
    snprintf(cdir, sizeof cdir, "%s/c", dir);
    assert_int_equal(mkdir(cdir, 0700), 0);
    snprintf(cache, sizeof cache, "%s/menu", cdir);
    snprintf(sub, sizeof sub, "%s/sub", dir);
    write_text(file, "one\n");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(file);
    unlink(cache);
    rmdir(cdir);
    rmdir(sub);
    rmdir(dir);
    return 0;
}

static void test_hit_and_key(void **state)
{
    (void)state;
    miss("key-1"); /* nothing saved yet */
    save();
    hit();
    hit();
    miss("key-2");
}

static void test_changes(void **state)
{
    (void)state;
    save();
    /* same size, new content and time */
    struct timeval tv[2] = {{1000, 0}, {1000, 0}};
    write_text(file, "two\n");
    utimes(file, tv);
    miss("key-1");
    save();
    hit();
    /* a path that did not exist appears */
    assert_int_equal(mkdir(sub, 0700), 0);
    miss("key-1");
    save();
    hit();
    /* a mode change */
    chmod(file, 0600);
    miss("key-1");
    save();
    hit();
    /* the recorded file is removed */
    unlink(file);
    miss("key-1");
    write_text(file, "one\n");
}

static void test_broken_files(void **state)
{
    (void)state;
    save();
    /* cut anywhere: never a hit with wrong data, never a crash */
    struct stat st;
    assert_int_equal(stat(cache, &st), 0);
    char *all = malloc((size_t)st.st_size);
    FILE *f = fopen(cache, "r");
    assert_int_equal(fread(all, 1, (size_t)st.st_size, f), (size_t)st.st_size);
    fclose(f);
    for (off_t cut = 0; cut < st.st_size - 10; cut += 7) {
        f = fopen(cache, "w");
        fwrite(all, 1, (size_t)cut, f);
        fclose(f);
        miss("key-1");
    }
    /* a huge recorded length */
    memset(all, 0xff, 8);
    f = fopen(cache, "w");
    fwrite(all, 1, (size_t)st.st_size, f);
    fclose(f);
    miss("key-1");
    free(all);
    /* a path too long is not recorded: nothing is saved */
    struct x2go_deps d;
    x2go_deps_init(&d, "k");
    char longp[5000];
    memset(longp, 'a', sizeof longp - 1);
    longp[sizeof longp - 1] = '\0';
    x2go_deps_stat(&d, longp);
    assert_true(d.broken);
    assert_int_equal(x2go_deps_save(&d, cache, "x", 1), -1);
    x2go_deps_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hit_and_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broken_files, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
