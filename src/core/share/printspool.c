/* Names and texts of the print spool flow (see printspool.h). */
#include "printspool.h"
#include "util.h"

#include <string.h>

bool x2go_print_name_valid(const char *name)
{
    size_t n = strlen(name);
    return n >= 1 && n <= X2GO_PRINT_NAME_MAX && name[0] != '.' &&
           strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-") == n;
}

/* Length of the valid UTF-8 sequence at p (1..4), 0 if invalid. */
static size_t utf8_len(const unsigned char *p)
{
    size_t n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3
             : (*p & 0xf8) == 0xf0 ? 4 : 0;
    if (n == 2 && *p < 0xc2)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

void x2go_print_title(const char *content, char *out, size_t len)
{
    const unsigned char *p = (const unsigned char *)content;
    size_t o = 0, max = len - 1 < X2GO_PRINT_TITLE_MAX ? len - 1 : X2GO_PRINT_TITLE_MAX;
    while (*p && *p != '\n' && *p != '\r') {
        size_t n = utf8_len(p);
        if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f))) {
            n = 1;
            if (o + 1 > max)
                break;
            out[o++] = '_';
        } else {
            if (o + n > max)
                break;
            memcpy(out + o, p, n);
            o += n;
        }
        p += n;
    }
    out[o] = '\0';
    if (o == 0)
        x2go_strlcpy(out, "UNTITLED", len);
}

int x2go_print_ready_text(const char *pdf, const char *title, char *out, size_t len)
{
    return x2go_fmt(out, len, "%s\n%s", pdf, title) < 0 ? -1 : 0;
}
