/* x2golistmounts [<sid>]: the session's shares, "<client>|<mount point>"
 * per line; a single empty line when there are none (spec 2.3.3). */
#include "cmd.h"
#include "mount_util.h"
#include "util.h"

#include <stdlib.h>

static int run_listmounts(int argc, char **argv, FILE *out)
{
    struct x2go_ctx c;
    struct x2go_session s;
    char *rows = NULL;
    int rc = x2go_share_session(&c, argc > 0 ? argv[0] : NULL, &s);
    if (rc)
        return x2go_cmd_error(rc);
    rc = c.st->ops->mount_list(c.st, s.sid, &rows) != 0;
    x2go_ctx_close(&c);
    if (rc)
        return x2go_cmd_error(1);
    fputs(*rows ? rows : "\n", out);
    free(rows);
    return 0;
}

X2GO_COMMAND(listmounts, "x2golistmounts", X2GO_BIN, "[<session id>]", 0, 1, 0,
             run_listmounts);
