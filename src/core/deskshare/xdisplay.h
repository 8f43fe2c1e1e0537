/* The X displays a user may shadow (x2golistdesktops, spec 2.1.9): the
 * listening X sockets of /proc/net/unix, the MIT-MAGIC-COOKIE-1 of a
 * display in an Xauthority file, the sharing applets' socket names.
 * Pure parsers over buffers. */
#ifndef X2GO_XDISPLAY_H
#define X2GO_XDISPLAY_H

#include <stdbool.h>
#include <stddef.h>

/* Displays <n> of listening sockets "/tmp/.X11-unix/X<n>" (abstract or
 * not) in the text of /proc/net/unix, each once, in the order found.
 * Returns how many were stored (at most max). */
int x2go_x_displays(const char *proc_net_unix, int *out, int max);

/* The first MIT-MAGIC-COOKIE-1 entry of the Xauthority data for display
 * on this host (FamilyLocal with that host name, or FamilyWild). 1 and
 * the cookie when found, 0 when not, -1 for a malformed file. */
int x2go_xauth_cookie(const unsigned char *data, size_t len, const char *host, int display,
                      unsigned char cookie[16]);

/* The X connection setup request (protocol 11.0, little endian), with the
 * cookie when given. Returns its length (buf holds at least 48 bytes). */
size_t x2go_x_setup_request(unsigned char *buf, const unsigned char *cookie);

/* A desktop-sharing applet's socket name in /tmp,
 * "x2godesktopsharing_@<user>@:<display>", as "<user>@:<display>" in out
 * when <user> is a valid user name other than self. */
bool x2go_sharing_entry(const char *name, const char *self, char *out, size_t outlen);

#endif
