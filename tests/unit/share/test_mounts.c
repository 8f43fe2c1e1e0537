/* Mount row paths, the key file split, the mount table reader and the
 * other grammars of shared folders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "mounts.h"

static void mount_paths(void **state)
{
    (void)state;
    assert_true(x2go_mount_path_valid("alice", "/tmp/.x2go-alice/media/disk/_srv_x"));
    assert_true(x2go_mount_path_valid("alice", "/tmp/.x2go-alice/spool/C-alice-50-1_stDx_dp24"));
    /* Another user's dir, traversal, separators, empty components. */
    assert_false(x2go_mount_path_valid("bob", "/tmp/.x2go-alice/media/disk/x"));
    assert_false(x2go_mount_path_valid("alice", "/tmp/.x2go-alice/../.x2go-bob/media"));
    assert_false(x2go_mount_path_valid("alice", "/tmp/.x2go-alice/media/./x"));
    assert_false(x2go_mount_path_valid("alice", "/tmp/.x2go-alice//media"));
    assert_false(x2go_mount_path_valid("alice", "/tmp/.x2go-alice/"));
    assert_false(x2go_mount_path_valid("alice", "/tmp/.x2go-alice/a|b"));
    assert_false(x2go_mount_path_valid("alice", "/tmp/.x2go-alice/a\nb"));
    assert_false(x2go_mount_path_valid("alice", "/tmp/.x2go-alicex/a"));
    assert_false(x2go_mount_path_valid("alice", "/etc/passwd"));
    assert_true(x2go_mount_path_shape("/tmp/.x2go-alice/media/disk/x"));
    assert_false(x2go_mount_path_shape("/tmp/.x2go-/x"));
    assert_false(x2go_mount_path_shape(""));
    assert_false(x2go_mount_path_shape("/tmp"));
    assert_false(x2go_mount_path_shape("/tmp/.x2go-a;b/x"));
    assert_false(x2go_mount_path_shape("/tmp/.x2go-alice/../../etc"));
    char longp[600] = "/tmp/.x2go-alice/";
    memset(longp + strlen(longp), 'a', 520);
    assert_false(x2go_mount_path_valid("alice", longp));
}

static void key_split(void **state)
{
    (void)state;
    char text[] = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n"
                  "----BEGIN RSA IDENTITY----ssh-rsa AAAAB3Nza+/=";
    char *key, *ident;
    assert_int_equal(x2go_keyfile_split(text, &key, &ident), 0);
    assert_string_equal(key, "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n");
    assert_string_equal(ident, "ssh-rsa AAAAB3Nza+/=");
    /* No marker, no key, or a host key that would smuggle a second
     * known_hosts line or options. */
    char t1[] = "-----BEGIN RSA PRIVATE KEY-----\nx\n";
    assert_int_equal(x2go_keyfile_split(t1, &key, &ident), -1);
    char t2[] = "junk\n----BEGIN RSA IDENTITY----ssh-rsa AAAA";
    assert_int_equal(x2go_keyfile_split(t2, &key, &ident), -1);
    char t3[] = "-----BEGIN RSA PRIVATE KEY-----\n----BEGIN RSA IDENTITY----ssh-rsa AAAA\n* ssh-rsa BBBB";
    assert_int_equal(x2go_keyfile_split(t3, &key, &ident), -1);
    char t4[] = "-----BEGIN RSA PRIVATE KEY-----\n----BEGIN RSA IDENTITY----";
    assert_int_equal(x2go_keyfile_split(t4, &key, &ident), -1);
}

static void mountinfo(void **state)
{
    (void)state;
    const char *t =
        "22 1 0:21 / / rw - ext4 /dev/sda1 rw\n"
        "90 22 0:50 / /tmp/.x2go-a/media/disk/_srv_share\\040dir rw,nosuid - fuse.sshfs a@127.0.0.1:/srv rw\n"
        "91 22 0:51 / /tmp/t rw - tmpfs none rw\n";
    bool fuse;
    assert_true(x2go_mountinfo_has(t, "/tmp/.x2go-a/media/disk/_srv_share dir", &fuse));
    assert_true(fuse);
    assert_true(x2go_mountinfo_has(t, "/tmp/t", &fuse));
    assert_false(fuse);
    assert_false(x2go_mountinfo_has(t, "/tmp/.x2go-a/media/disk/_srv_share", NULL));
    assert_false(x2go_mountinfo_has(t, "/tmp", NULL));
    assert_false(x2go_mountinfo_has("", "/", NULL));
    assert_false(x2go_mountinfo_has("garbage", "/", NULL));
}

static void grammars(void **state)
{
    (void)state;
    assert_true(x2go_iconv_valid("modules=iconv,from_code=UTF-8,to_code=ISO-8859-1"));
    assert_false(x2go_iconv_valid("modules=iconv,from_code=UTF-8,to_code=X,allow_other"));
    assert_false(x2go_iconv_valid("modules=subdir,subdir=/etc"));
    assert_false(x2go_iconv_valid("modules=iconv,from_code=,to_code=X"));
    assert_true(x2go_client_user_valid("alice"));
    assert_true(x2go_client_user_valid("DOMAIN\\John Doe"));
    assert_false(x2go_client_user_valid("-oProxyCommand=x"));
    assert_false(x2go_client_user_valid("a@b"));
    assert_false(x2go_client_user_valid("a:b"));
    assert_false(x2go_client_user_valid(""));
}

static void under(void **state)
{
    (void)state;
    assert_true(x2go_path_under("/tmp/m/a", "/tmp/m"));
    assert_true(x2go_path_under("/tmp/m", "/tmp/m/"));
    assert_false(x2go_path_under("/tmp/mx/a", "/tmp/m"));
    assert_false(x2go_path_under("/tmp", "/tmp/m"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mount_paths),
        cmocka_unit_test(key_split),
        cmocka_unit_test(mountinfo),
        cmocka_unit_test(grammars),
        cmocka_unit_test(under),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
