/* Published applications (x2gogetapps, spec 2.5): what a .desktop file
 * contributes to the menu, the icon file names tried for an Icon= value,
 * and the output markup. Pure functions over buffers; no file access. */
#ifndef X2GO_DESKTOP_H
#define X2GO_DESKTOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define X2GO_DESKTOP_MAX_ITEMS 256

enum x2go_desktop_kind { X2GO_DESKTOP_LINE, X2GO_DESKTOP_ICON };

/* A kept line of the [Desktop Entry] group (printed as it is), or an Icon=
 * line, replaced by the icon block. The icon name is the line without its
 * first "Icon<blanks>=" (cut_off/cut_len, relative to off). */
struct x2go_desktop_item {
    enum x2go_desktop_kind kind;
    size_t off, len;
    size_t cut_off, cut_len;
    bool line_has_dot;
};

struct x2go_desktop {
    bool hidden;                  /* NoDisplay=true or Hidden=true */
    bool has_tryexec;
    size_t tryexec_off, tryexec_len;
    int nitems;
    struct x2go_desktop_item items[X2GO_DESKTOP_MAX_ITEMS];
};

/* Parse one file's bytes. -1 (error set) for binary data (a NUL byte) or
 * more kept lines than X2GO_DESKTOP_MAX_ITEMS. */
int x2go_desktop_parse(const char *buf, size_t len, struct x2go_desktop *d);

/* The icon name of an ICON item as a C string (-1 when it does not fit). */
int x2go_desktop_icon_name(const char *buf, const struct x2go_desktop_item *it, char *out,
                           size_t outlen);

/* The idx-th file name to try for an icon name, in the reference's order:
 * a name with '/' is a path by itself; a line with '.' names a file in the
 * icon dirs; otherwise the icon dirs are tried with each extension.
 * 1: out filled; 0: no more candidates; -1: does not fit. */
int x2go_icon_candidate(const char *name, bool line_has_dot, int idx, char *out,
                        size_t outlen);

/* The icon block: "<icon>\n", the base64 of each 3420-byte chunk in lines
 * of 76 columns followed by an empty line, then "</icon>\n". */
void x2go_icon_block(FILE *out, const unsigned char *data, size_t len);

/* The whole <desktop> block of a parsed entry; icon(i) gives the icon
 * bytes of item i (NULL: no block for that icon). */
typedef const unsigned char *(*x2go_icon_fn)(int item, size_t *len, void *ctx);
void x2go_desktop_print(FILE *out, const char *buf, const struct x2go_desktop *d,
                        x2go_icon_fn icon, void *ctx);

/* True when s contains "desktop" after its first character (the
 * reference's unanchored /.desktop/ file-name test). */
bool x2go_desktop_name_matches(const char *s);

#endif
