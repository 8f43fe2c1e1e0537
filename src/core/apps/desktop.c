#include "desktop.h"
#include "util.h"

#include <string.h>
#include <strings.h>

static bool starts(const char *l, size_t n, const char *p)
{
    size_t pl = strlen(p);
    return n >= pl && !memcmp(l, p, pl);
}

static bool starts_ci(const char *l, size_t n, const char *p)
{
    size_t pl = strlen(p);
    return n >= pl && !strncasecmp(l, p, pl);
}

static size_t blanks(const char *l, size_t n, size_t i)
{
    while (i < n && (l[i] == ' ' || l[i] == '\t'))
        i++;
    return i;
}

/* KEY<blanks>=<blanks>true at the start of the line (case as written). */
static bool key_true(const char *l, size_t n, const char *key)
{
    if (!starts(l, n, key))
        return false;
    size_t i = blanks(l, n, strlen(key));
    if (i >= n || l[i] != '=')
        return false;
    i = blanks(l, n, i + 1);
    return starts(l + i, n - i, "true");
}

static bool group_header(const char *l, size_t n)
{
    return n > 0 && l[0] == '[' && memchr(l + 1, ']', n - 1) != NULL;
}

/* The first "Icon<blanks>=" anywhere in the line, as the reference's
 * substitution finds it; none: nothing is cut. */
static void icon_cut(const char *l, size_t n, struct x2go_desktop_item *it)
{
    it->cut_off = it->cut_len = 0;
    for (size_t i = 0; i + 4 < n; i++) {
        if (memcmp(l + i, "Icon", 4))
            continue;
        size_t j = blanks(l, n, i + 4);
        if (j < n && l[j] == '=') {
            it->cut_off = i;
            it->cut_len = j + 1 - i;
            return;
        }
    }
}

static void tryexec(const char *buf, size_t off, size_t n, struct x2go_desktop *d)
{
    const char *l = buf + off;
    size_t i = blanks(l, n, 7);
    if (i >= n || l[i] != '=')
        return;
    i = blanks(l, n, i + 1);
    size_t e = n;
    while (e > i && strchr(" \t\r", l[e - 1]))
        e--;
    d->has_tryexec = e > i;
    d->tryexec_off = off + i;
    d->tryexec_len = e - i;
}

static int add(struct x2go_desktop *d, enum x2go_desktop_kind k, const char *buf, size_t off,
               size_t n)
{
    if (d->nitems >= X2GO_DESKTOP_MAX_ITEMS) {
        x2go_seterr("more than %d menu lines", X2GO_DESKTOP_MAX_ITEMS);
        return -1;
    }
    struct x2go_desktop_item *it = &d->items[d->nitems++];
    it->kind = k;
    it->off = off;
    it->len = n;
    it->line_has_dot = memchr(buf + off, '.', n) != NULL;
    if (k == X2GO_DESKTOP_ICON)
        icon_cut(buf + off, n, it);
    return 0;
}

/* One line of the [Desktop Entry] group; 1 ends the group. */
static int entry_line(const char *buf, size_t off, size_t n, struct x2go_desktop *d)
{
    static const char *const keep[] = {"Categories", "Name", "Terminal", "Comment", "Exec"};
    const char *l = buf + off;
    if (group_header(l, n))
        return 1;
    if (key_true(l, n, "NoDisplay") || key_true(l, n, "Hidden")) {
        d->hidden = true;
        return 1;
    }
    for (size_t k = 0; k < X2GO_ARRAY_LEN(keep); k++)
        if (starts_ci(l, n, keep[k]))
            return add(d, X2GO_DESKTOP_LINE, buf, off, n);
    if (starts(l, n, "Icon"))
        return add(d, X2GO_DESKTOP_ICON, buf, off, n);
    if (starts(l, n, "TryExec"))
        tryexec(buf, off, n, d);
    return 0;
}

int x2go_desktop_parse(const char *buf, size_t len, struct x2go_desktop *d)
{
    memset(d, 0, sizeof *d);
    if (memchr(buf, '\0', len)) {
        x2go_seterr("binary data (a NUL byte)");
        return -1;
    }
    bool in_entry = false;
    size_t off = 0;
    while (off < len) {
        const char *nl = memchr(buf + off, '\n', len - off);
        size_t n = nl ? (size_t)(nl - (buf + off)) : len - off;
        if (starts(buf + off, n, "[Desktop Entry]"))
            in_entry = true;
        else if (in_entry) {
            int r = entry_line(buf, off, n, d);
            if (r < 0)
                return -1;
            if (r > 0)
                break;
        }
        off += n + 1;
    }
    return 0;
}

int x2go_desktop_icon_name(const char *buf, const struct x2go_desktop_item *it, char *out,
                           size_t outlen)
{
    size_t n = it->len - it->cut_len;
    if (n + 1 > outlen) {
        x2go_seterr("icon name too long");
        return -1;
    }
    const char *l = buf + it->off;
    memcpy(out, l, it->cut_off);
    memcpy(out + it->cut_off, l + it->cut_off + it->cut_len, n - it->cut_off);
    out[n] = '\0';
    return 0;
}

#define SIZES(base)                                                                        \
    base "/22x22/apps", base "/24x24/apps", base "/32x32/apps", base "/36x36/apps",        \
        base "/48x48/apps", base "/64x64/apps", base "/72x72/apps", base "/96x96/apps",    \
        base "/128x128/apps", base "/256x256/apps"

static const char *const icon_dirs[] = {
    SIZES("/usr/share/icons/hicolor"),
    "/usr/share/icons/hicolor/scalable/apps",
    "/usr/share/pixmaps",
    SIZES("/usr/share/icons/default.kde"),
    SIZES("/usr/share/icons/default.kde4"),
};

static const char *const icon_exts[] = {"png", "svg", "jpeg", "jpg", "xpm", "bmp"};

int x2go_icon_candidate(const char *name, bool line_has_dot, int idx, char *out,
                        size_t outlen)
{
    int ndirs = (int)X2GO_ARRAY_LEN(icon_dirs), r;
    if (idx < 0)
        return 0;
    if (strchr(name, '/')) {
        if (idx > 0)
            return 0;
        r = x2go_fmt(out, outlen, "%s", name);
    } else if (line_has_dot) {
        if (idx >= ndirs)
            return 0;
        r = x2go_fmt(out, outlen, "%s/%s", icon_dirs[idx], name);
    } else {
        if (idx >= ndirs * (int)X2GO_ARRAY_LEN(icon_exts))
            return 0;
        r = x2go_fmt(out, outlen, "%s/%s.%s", icon_dirs[idx % ndirs], name,
                     icon_exts[idx / ndirs]);
    }
    return r < 0 ? -1 : 1;
}

static void b64_chunk(FILE *out, const unsigned char *p, size_t n)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char line[80];
    size_t col = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        line[col++] = tab[(v >> 18) & 63];
        line[col++] = tab[(v >> 12) & 63];
        line[col++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        line[col++] = i + 2 < n ? tab[v & 63] : '=';
        if (col == 76) {
            line[col++] = '\n';
            fwrite(line, 1, col, out);
            col = 0;
        }
    }
    if (col) {
        line[col++] = '\n';
        fwrite(line, 1, col, out);
    }
}

void x2go_icon_block(FILE *out, const unsigned char *data, size_t len)
{
    fputs("<icon>\n", out);
    for (size_t off = 0; off < len; off += 3420) {
        b64_chunk(out, data + off, len - off < 3420 ? len - off : 3420);
        fputc('\n', out);
    }
    fputs("</icon>\n", out);
}

void x2go_desktop_print(FILE *out, const char *buf, const struct x2go_desktop *d,
                        x2go_icon_fn icon, void *ctx)
{
    fputs("<desktop>\n", out);
    for (int i = 0; i < d->nitems; i++) {
        const struct x2go_desktop_item *it = &d->items[i];
        if (it->kind == X2GO_DESKTOP_LINE) {
            fwrite(buf + it->off, 1, it->len, out);
            fputc('\n', out);
            continue;
        }
        size_t n = 0;
        const unsigned char *data = icon ? icon(i, &n, ctx) : NULL;
        if (data)
            x2go_icon_block(out, data, n);
    }
    fputs("</desktop>\n", out);
}

bool x2go_desktop_name_matches(const char *s)
{
    for (const char *p = s + (*s ? 1 : 0); (p = strstr(p, "desktop")); p++)
        if (p[-1] != '\n')
            return true;
    return false;
}
