/* One binary for every command: argv[0] picks the table entry. */
#include "cmd.h"
#include "log.h"
#include "util.h"

#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const struct x2go_cmd *const __start_x2go_cmds[];
extern const struct x2go_cmd *const __stop_x2go_cmds[];

static const struct x2go_cmd *find(const char *name)
{
    for (const struct x2go_cmd *const *c = __start_x2go_cmds; c < __stop_x2go_cmds; c++)
        if (!strcmp((*c)->name, name))
            return *c;
    return NULL;
}

/* A handler's reason to fail, kept aside (clean-up after the failure may
 * set the error again) and printed once by main(). */
static char reason[1200];

int x2go_cmd_fail(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return status;
}

int x2go_cmd_error(int status) { return x2go_cmd_fail(status, "%s", x2go_err()); }

static int usage(const struct x2go_cmd *c, const char *why)
{
    x2go_complain("%s; usage: %s %s", why, c->name, c->usage);
    return 2;
}

/* List the table so the installer can create one link per command. */
static int list_commands(void)
{
    static const char *dirs[] = {"bin", "sbin", "libexec"};
    for (const struct x2go_cmd *const *c = __start_x2go_cmds; c < __stop_x2go_cmds; c++)
        printf("%s %s\n", dirs[(*c)->dir], (*c)->name);
    return 0;
}

/* "<command> called with options: ..." at level info, as the reference
 * logs every call; x2go_log escapes whatever the caller sent. */
static void log_call(int argc, char **argv)
{
    char line[1024] = "";
    size_t o = 0;
    for (int i = 1; i < argc && o < sizeof line; i++) {
        int n = snprintf(line + o, sizeof line - o, "%s%s", i > 1 ? " " : "", argv[i]);
        if (n < 0)
            break;
        o += (size_t)n;
    }
    x2go_log(LOG_INFO, "%s called with options: %s", argv[0], line);
}

int main(int argc, char **argv)
{
    char *self = basename(argv[0]);
    if (!strcmp(self, "x2go-cmd")) {
        if (argc < 2 || !strcmp(argv[1], "--list"))
            return list_commands();
        if (!strcmp(argv[1], "--help")) {
            puts("Usage: x2go-cmd [--list] | x2go-cmd <command> [<argument>...]\n"
                 "See the manual page x2go-cmd(8).");
            return 0;
        }
        argv++;
        argc--;
        self = argv[0];
    }
    x2go_set_progname(self);
    const struct x2go_cmd *c = find(self);
    if (!c) {
        x2go_complain("unknown command");
        return 127;
    }
    /* --help alone: the usage line on stdout, unless the command answers
     * --help itself (its usage names it). */
    if (argc == 2 && !strcmp(argv[1], "--help") && !strstr(c->usage, "--help")) {
        printf("Usage: %s%s%s\nSee the manual page %s(%c).\n", c->name, *c->usage ? " " : "",
               c->usage, c->name, c->dir == X2GO_BIN ? '1' : '8');
        return 0;
    }
    int nargs = argc - 1;
    if (nargs < c->min_args)
        return usage(c, "missing arguments");
    if (c->max_args >= 0 && nargs > c->max_args)
        return usage(c, "too many arguments");
    for (int i = 1; i < argc && c->args != X2GO_ARGS_FREE; i++) {
        if (strlen(argv[i]) > (i == c->args ? X2GO_TEXT_MAX : X2GO_ARG_MAX))
            return usage(c, "argument too long");
        if (!x2go_is_printable_ascii(argv[i]))
            return usage(c, "argument with control or non-ASCII characters");
    }
    log_call(argc, argv);
    if ((c->flags & X2GO_CMD_ROOT) && getuid() != 0) {
        x2go_complain("must be run as root");
        return 1;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out)
        abort();
    int status = c->run(nargs, argv + 1, out);
    fclose(out);
    if (status != 0 && reason[0])
        x2go_complain("%s", reason);
    /* Clients take any stdout as success: print it only when we succeeded. */
    if (status == 0 || (c->flags & X2GO_CMD_KEEP_OUTPUT))
        fwrite(buf, 1, len, stdout);
    free(buf);
    if (fflush(stdout) != 0 && status == 0)
        status = 1;
    return status;
}
