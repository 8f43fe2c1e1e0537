/* Desktop icon files for shared folders (spec 2.3.1, 2.3.4): x2gomountdirs
 * writes "<Desktop>/<name> (sshfs-disk<suffix>)" holding the mount point
 * and the session id, the desktop's file manager opens it through x2gofm
 * (the MIME types of the file-manager bindings match the name), and
 * x2goumount-session removes it. Pure functions, no I/O. */
#ifndef X2GO_SHAREICON_H
#define X2GO_SHAREICON_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Features of other packages (and ours) that decide the icon's suffix. */
enum {
    X2GO_ICON_GNOME = 1,   /* X2GO_GNOMEBINDINGS */
    X2GO_ICON_MATE = 2,    /* X2GO_MATEBINDINGS */
    X2GO_ICON_LXDE = 4,    /* X2GO_LXDEBINDINGS */
    X2GO_ICON_FM = 8,      /* X2GO_FMBINDINGS */
};

/* The feature names in the order the suffix is chosen, for the caller
 * that asks x2gofeature; index i is bit 1 << i. */
extern const char *const x2go_icon_features[4];

/* Which features matter for a session: none unless it is a desktop
 * session (_stD..._dp); then the one its desktop names, and the generic
 * file-manager bindings. */
unsigned x2go_icon_features_wanted(const char *sid);

/* The suffix for the icon's type ("-gnome", "-mate", "-lxde" or ""), or
 * NULL when no icon is made (not a desktop session, or no bindings). */
const char *x2go_icon_suffix(const char *sid, unsigned features);

/* The icon file's name for a client path: the first "/cygdrive/",
 * "/windrive/" and "/uncpath/" removed, ' ' and '/' turned into '_', then
 * " (sshfs-disk<suffix>)" for folders; for removable media
 * " (sshfs-cdrom<suffix>)" when the name has CDROM, else
 * " (sshfs-removable<suffix>)", and "_ramdrive_mnt_" removed. -1 (error
 * set) when it would not be a single file name. */
int x2go_icon_name(const char *path, bool folder, const char *suffix, char *out, size_t len);

/* The icon's content: "<mount point>\n<sid>\n\n" and a NUL byte; the
 * length written (NUL included), or -1. */
int x2go_icon_content(const char *mountpoint, const char *sid, char *out, size_t len);

/* The mount point and session an icon file's content names (first and
 * second line); false unless both are there. */
bool x2go_icon_parse(const char *content, size_t n, char *mp, size_t mplen, char *sid,
                     size_t sidlen);

/* A name x2gomountdirs gives icons: ends in " (sshfs-<kind>[-desktop])". */
bool x2go_icon_name_is_ours(const char *name);

/* XDG_DESKTOP_DIR from a user-dirs.dirs text: "$HOME/<rel>" or an
 * absolute path in double quotes, nothing else (the file is never run).
 * 0 found (out set), 1 not there or not of that form, -1 too long. */
int x2go_user_dirs_desktop(const char *content, const char *home, char *out, size_t len);

/* The KDE plasmoid's stamp (a time in seconds) is within 15 s of now: the
 * plasmoid shows the shares itself, so no icon files are made. */
bool x2go_plasmoid_active(const char *stamp, time_t now);

#endif
