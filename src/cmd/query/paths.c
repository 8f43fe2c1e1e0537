/* x2gopath and x2gobasepath: where this installation lives. The value is
 * printed without a newline unless stdout is a terminal (spec 2.5). */
#include "cmd.h"
#include "util.h"
#include "x2go-config.h"

#include <string.h>
#include <unistd.h>

static const struct { const char *key, *value; } keys[] = {
    {"base", X2GO_PREFIX},
    {"lib", X2GO_LIBEXECDIR},
    {"libexec", X2GO_LIBEXECDIR},
    {"share", X2GO_SHAREDIR},
    {"nx-x11", X2GO_PREFIX "/lib/nx/X11"},
    {"xinerama", X2GO_PREFIX "/lib/nx/X11/Xinerama"},
};

static int print_path(const char *key, FILE *out)
{
    for (size_t i = 0; i < X2GO_ARRAY_LEN(keys); i++)
        if (!strcmp(key, keys[i].key)) {
            fputs(keys[i].value, out);
            if (isatty(STDOUT_FILENO))
                fputc('\n', out);
            return 0;
        }
    return x2go_cmd_fail(1, "unknown path key (use base, lib, libexec, share, nx-x11 or "
                            "xinerama)");
}

static int run_path(int argc, char **argv, FILE *out)
{
    (void)argc;
    return print_path(argv[0], out);
}

static int run_basepath(int argc, char **argv, FILE *out)
{
    (void)argc;
    (void)argv;
    return print_path("base", out);
}

X2GO_COMMAND(path, "x2gopath", X2GO_BIN, "<base|lib|libexec|share|nx-x11|xinerama>", 1, 1, 0,
             run_path);
X2GO_COMMAND(basepath, "x2gobasepath", X2GO_BIN, "", 0, 0, 0, run_basepath);
