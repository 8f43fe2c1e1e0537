/* The owner's x2godesktopsharing applet of a session (spec 2.2): the
 * x2go{suspend,resume,terminate}-desktopsharing helpers stop it while the
 * session is away, so that nobody can ask to share a display nobody
 * watches, and start it again on resume. */
#ifndef X2GO_APPLET_H
#define X2GO_APPLET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define X2GO_APPLET_NAME "x2godesktopsharing"
#define X2GO_APPLET_PATH "/usr/bin/" X2GO_APPLET_NAME
#define X2GO_APPLET_MARKER "resume-desktopsharing"

/* A DISPLAY value names display disp: [host]:disp[.screen]. */
bool x2go_display_value_is(const char *v, int disp);
/* The DISPLAY value in an environ block (len bytes, NUL-separated
 * entries; a last entry without its NUL does not count), or NULL. */
const char *x2go_environ_display(const char *env, size_t len);
/* A command line block (argv NUL-separated) runs the applet: argv[0]'s
 * last path component is x2godesktopsharing. */
bool x2go_cmdline_is_applet(const char *cmd, size_t len);

/* SIGTERM the applets of uid (named user) whose DISPLAY is disp. The
 * number signalled; *active when one of them had sharing switched on. */
int x2go_applet_stop(uid_t uid, const char *user, int disp, bool *active);

/* Start the applet detached on display disp, with sharing switched on
 * when active. -1 (error set). */
int x2go_applet_start(int disp, bool active);

/* The marker path in the caller's session dir of sid, the sid's display
 * and the caller's name. -1 with the error set (malformed sid, no
 * session dir). */
int x2go_applet_marker(const char *sid, char *path, size_t len, int *disp, char *user,
                       size_t ulen);

#endif
