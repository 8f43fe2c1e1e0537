/* x2goresume-desktopsharing [<session id>]: start the caller's sharing
 * applet on the session's display again when x2gosuspend-desktopsharing
 * stopped it (its marker is in the session dir), spec 2.2. */
#include "applet.h"
#include "cmd.h"
#include "sessctl.h"
#include "sid.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

static int run(int argc, char **argv, FILE *out)
{
    (void)out;
    char marker[PATH_MAX], user[X2GO_USER_MAX + 1], text[8] = "";
    int disp;
    const char *sid = x2go_sid_arg(argc, argv);
    if (!sid || x2go_applet_marker(sid, marker, sizeof marker, &disp, user, sizeof user) < 0)
        return x2go_cmd_error(2);
    x2go_read_file(marker, text, sizeof text);
    if (unlink(marker) < 0)
        return errno == ENOENT ? 0 : x2go_cmd_fail(1, "cannot remove %s: %s", marker,
                                                   strerror(errno));
    return x2go_applet_start(disp, !strcmp(text, "on\n")) < 0 ? x2go_cmd_error(1) : 0;
}

X2GO_COMMAND(ds_resume, "x2goresume-desktopsharing", X2GO_BIN, "[<session id>]", 0, 1, 0, run);
