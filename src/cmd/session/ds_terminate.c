/* x2goterminate-desktopsharing [<session id>]: stop the caller's sharing
 * applet of the session's display (spec 2.2). Exit 1 when none ran. */
#include "applet.h"
#include "cmd.h"
#include "sessctl.h"
#include "sid.h"
#include "util.h"

#include <unistd.h>

static int run(int argc, char **argv, FILE *out)
{
    (void)out;
    struct x2go_sid s;
    char user[X2GO_USER_MAX + 1];
    bool active;
    const char *sid = x2go_sid_arg(argc, argv);
    if (!sid || x2go_sid_parse(sid, &s) < 0 || x2go_caller_name(user, sizeof user) < 0)
        return x2go_cmd_error(2);
    return x2go_applet_stop(getuid(), user, s.display, &active) > 0 ? 0 : 1;
}

X2GO_COMMAND(ds_terminate, "x2goterminate-desktopsharing", X2GO_BIN, "[<session id>]", 0, 1, 0,
             run);
