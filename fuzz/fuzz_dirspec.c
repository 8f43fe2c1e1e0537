/* libFuzzer target: x2gomountdirs' folder list, the mount point names,
 * the key file split and the mount table reader. Input: words separated
 * by NUL bytes (as argv), one more byte group per parser. */
#include "dirspec.h"
#include "mounts.h"

#include "fuzz.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    if (!s)
        return 0;
    char *words[64];
    int n = 0;
    for (size_t o = 0; o <= size && n < 64; o += strlen(s + o) + 1)
        words[n++] = s + o;
    static struct x2go_dirspec d;
    if (x2go_dirspec_parse(n, words, &d) == 0) {
        for (size_t i = 0; i < d.n; i++) {
            char mp[600], full[700];
            /* Whatever the path, its mount point stays in the user's dir. */
            if (x2go_share_mountpoint(&d.shares[i], i % 2, "u-50-1700000000_stDx_dp24", mp,
                                      sizeof mp) == 0 &&
                snprintf(full, sizeof full, "/tmp/.x2go-u/%s", mp) < (int)sizeof full &&
                strlen(full) <= X2GO_MOUNT_PATH_MAX && !x2go_mount_path_valid("u", full))
                abort();
        }
        if (d.port < 1 || d.port > 65535)
            abort();
    }
    char name[X2GO_MANGLED_MAX + 1];
    if (x2go_share_mangle_client(s, name, sizeof name) == 0 &&
        (strchr(name, '/') || !strcmp(name, "..")))
        abort();
    x2go_mount_path_shape(s);
    x2go_mountinfo_has(s, "/tmp/x", NULL);
    x2go_iconv_valid(s);
    char *key, *ident;
    x2go_keyfile_split(s, &key, &ident);
    free(s);
    return 0;
}
