/* x2gosuspend-desktopsharing [<session id>]: stop the caller's sharing
 * applet of the session's display and leave a marker in the session dir
 * so that x2goresume-desktopsharing starts it again (spec 2.2), with
 * sharing switched on if it was ("on" in the marker; the reference
 * restarted it switched off). Exit 1 when no applet ran (no marker). */
#include "applet.h"
#include "cmd.h"
#include "sessctl.h"
#include "sid.h"
#include "util.h"

#include <limits.h>
#include <unistd.h>

static int run(int argc, char **argv, FILE *out)
{
    (void)out;
    char marker[PATH_MAX], user[X2GO_USER_MAX + 1];
    int disp;
    bool active;
    const char *sid = x2go_sid_arg(argc, argv);
    if (!sid || x2go_applet_marker(sid, marker, sizeof marker, &disp, user, sizeof user) < 0)
        return x2go_cmd_error(2);
    if (x2go_applet_stop(getuid(), user, disp, &active) == 0)
        return 1;
    if (x2go_write_file_atomic(marker, active ? "on\n" : "", active ? 3 : 0, 0600) < 0)
        return x2go_cmd_error(1);
    return 0;
}

X2GO_COMMAND(ds_suspend, "x2gosuspend-desktopsharing", X2GO_BIN, "[<session id>]", 0, 1, 0,
             run);
