/* x2goserver-run-extensions <sid> <modality> and x2gosessionlimit: thin
 * commands over core/session/hooks.c and core/lifecycle/limit.c, which the
 * lifecycle commands call directly. */
#include "cmd.h"
#include "hooks.h"
#include "limit.h"
#include "sid.h"
#include "store.h"
#include "util.h"

static int run_extensions(int argc, char **argv, FILE *out)
{
    (void)argc;
    (void)out;
    if (x2go_sid_parse(argv[0], NULL) < 0)
        return x2go_cmd_error(1);
    if (x2go_run_hooks(argv[0], argv[1], NULL) < 0)
        return x2go_cmd_error(1);
    return 0;
}

static int run_sessionlimit(int argc, char **argv, FILE *out)
{
    (void)argc;
    (void)argv;
    struct x2go_store *st = x2go_store_open();
    if (!st)
        return x2go_cmd_error(1);
    char buf[32];
    int rc = x2go_session_limit(st, buf, sizeof buf);
    x2go_store_close(st);
    if (rc < 0)
        return x2go_cmd_error(1);
    if (buf[0])
        fprintf(out, "%s\n", buf);
    return 0;
}

X2GO_COMMAND(runextensions, "x2goserver-run-extensions", X2GO_BIN,
             "<X2GO_SESSION_ID> <MODALITY>", 2, 2, 0, run_extensions);
X2GO_COMMAND(sessionlimit, "x2gosessionlimit", X2GO_BIN, "", 0, 0, 0, run_sessionlimit);
