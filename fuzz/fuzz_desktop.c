/* libFuzzer target: the .desktop reader of x2gogetapps, the icon names
 * and candidate paths it derives, and the printed block. */
#include "desktop.h"

#include "fuzz.h"

#include <stdio.h>

static const unsigned char *icon(int item, size_t *len, void *ctx)
{
    (void)ctx;
    /* a few bytes, sometimes none, so both chunk paths run */
    *len = (size_t)(item % 17);
    return (const unsigned char *)"0123456789abcdef";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct x2go_desktop d;
    const char *buf = (const char *)data;
    if (x2go_desktop_parse(buf, size, &d) < 0)
        return 0;
    char name[512], path[1024];
    for (int i = 0; i < d.nitems; i++) {
        if (d.items[i].kind != X2GO_DESKTOP_ICON ||
            x2go_desktop_icon_name(buf, &d.items[i], name, sizeof name) < 0)
            continue;
        for (int c = 0; x2go_icon_candidate(name, d.items[i].line_has_dot, c, path,
                                            sizeof path) > 0; c++)
            ;
    }
    FILE *out = fopen("/dev/null", "w");
    if (out) {
        x2go_desktop_print(out, buf, &d, icon, NULL);
        fclose(out);
    }
    return 0;
}
