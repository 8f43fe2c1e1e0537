/* x2gofm <icon file>: open the shared folder an X2Go desktop icon names
 * (written by x2gomountdirs) in the desktop's file manager, through
 * xdg-open (spec 2.3.4). The file-manager bindings register it for the
 * icons' MIME types. Only a mounted share of the caller's own
 * /tmp/.x2go-<user>/media is opened: an icon file is data, and xdg-open
 * must never be handed a file it would run. */
#include "cmd.h"
#include "mounts.h"
#include "shareicon.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define XDG_OPEN "/usr/bin/xdg-open"

/* The name as an error line may show it: never a control or non-ASCII
 * byte on the terminal. */
static const char *shown(const char *file)
{
    return x2go_is_printable_ascii(file) ? file : "the icon file (name not shown)";
}

static int read_icon(const char *file, char *mp, size_t len)
{
    char buf[4096], sid[256];
    struct stat st;
    int fd = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return x2go_cmd_fail(1, "cannot open %.200s: %s", shown(file), strerror(errno));
    ssize_t n = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? read(fd, buf, sizeof buf) : -1;
    close(fd);
    if (n <= 0 || !x2go_icon_parse(buf, (size_t)n, mp, len, sid, sizeof sid))
        return x2go_cmd_fail(1, "%.200s is not an X2Go share icon file", shown(file));
    return 0;
}

static int run_fm(int argc, char **argv, FILE *out)
{
    (void)argc;
    (void)out;
    char mp[PATH_MAX], media[200];
    struct passwd *pw = getpwuid(getuid());
    struct stat st;
    if (!pw || x2go_fmt(media, sizeof media, "/tmp/.x2go-%s/media/", pw->pw_name) < 0)
        return x2go_cmd_fail(1, "cannot find the calling user");
    if (strlen(argv[0]) >= PATH_MAX)
        return x2go_cmd_fail(2, "icon file name too long");
    int rc = read_icon(argv[0], mp, sizeof mp);
    if (rc)
        return rc;
    if (!x2go_mount_path_valid(pw->pw_name, mp) || strncmp(mp, media, strlen(media)) ||
        lstat(mp, &st) < 0 || !S_ISDIR(st.st_mode))
        return x2go_cmd_fail(1, "%.200s names no shared folder of %s", shown(argv[0]), pw->pw_name);
    char *const args[] = {"xdg-open", mp, NULL};
    execv(XDG_OPEN, args);
    return x2go_cmd_fail(1, "cannot run %s: %s (install xdg-utils)", XDG_OPEN, strerror(errno));
}

/* The icon's name holds spaces and may be UTF-8: checked by the open. */
X2GO_COMMAND_ARGS(fm, X2GO_ARGS_FREE, "x2gofm", X2GO_BIN, "<desktop icon file>", 1, 1, 0,
                  run_fm);
