/* Desktop icon files of shared folders on disk (run as the session user):
 * where the desktop is, writing an icon and removing a mount's icons. */
#ifndef X2GO_SHAREICON_FS_H
#define X2GO_SHAREICON_FS_H

#include <stdbool.h>
#include <stddef.h>

/* The user's desktop directory: XDG_DESKTOP_DIR of
 * $XDG_CONFIG_HOME/user-dirs.dirs (parsed, never run), else of the
 * environment, else ~/Desktop. */
int x2go_desktop_dir(const char *home, char *out, size_t len);

/* The KDE plasmoid's stamp <top>/media/<sid>.plasmoid is fresh. */
bool x2go_plasmoid_stamp_fresh(const char *top, const char *sid);

/* Write <dir>/<name> with the icon content for mountpoint and sid (an
 * existing link or non-file there is left alone: -1, error set). */
int x2go_icon_write(const char *dir, const char *name, const char *mountpoint, const char *sid);

/* Remove the icon files in dir that name mountpoint and sid. */
void x2go_icons_remove(const char *dir, const char *mountpoint, const char *sid);

#endif
