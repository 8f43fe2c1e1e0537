/* x2goiconpng <outdir> <src> <name> [<src> <name> ...]: convert icons to
 * PNG for x2gogetapps. SVG is rendered by librsvg at the menu's icon size;
 * XPM, JPEG, BMP (anything gdk-pixbuf reads) is re-encoded, scaled down
 * when larger than 256 pixels. Each result is written atomically as
 * <outdir>/<name>. Runs as the calling user with bounded CPU and memory;
 * a source that cannot be converted gets an empty file. Kept out of the x2go-cmd
 * binary so that no other command pays for loading these libraries. */
#include "appfiles.h"
#include "util.h"

#include <cairo.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <librsvg/rsvg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define MAX_SIDE 256

static bool is_svg(const unsigned char *d, size_t n)
{
    /* gzip (svgz) or an XML document with an <svg element near the top */
    if (n >= 2 && d[0] == 0x1f && d[1] == 0x8b)
        return true;
    size_t head = n < 4096 ? n : 4096;
    return memmem(d, head, "<svg", 4) != NULL;
}

static cairo_status_t to_bytes(void *closure, const unsigned char *data, unsigned int len)
{
    GByteArray *out = closure;
    g_byte_array_append(out, data, len);
    return CAIRO_STATUS_SUCCESS;
}

static bool render_svg(const unsigned char *d, size_t n, GByteArray *out)
{
    GError *err = NULL;
    /* From memory, without a base file: external references are not loaded. */
    RsvgHandle *h = rsvg_handle_new_from_data(d, n, &err);
    if (!h) {
        g_clear_error(&err);
        return false;
    }
    int side = X2GO_ICON_PNG_SIZE;
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, side, side);
    cairo_t *cr = cairo_create(s);
    RsvgRectangle vp = {0, 0, side, side};
    bool ok = rsvg_handle_render_document(h, cr, &vp, &err) &&
              cairo_surface_write_to_png_stream(s, to_bytes, out) == CAIRO_STATUS_SUCCESS;
    g_clear_error(&err);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    g_object_unref(h);
    return ok;
}

static void cap_size(GdkPixbufLoader *l, int w, int h, gpointer unused)
{
    (void)unused;
    if (w > MAX_SIDE || h > MAX_SIDE) {
        double f = (double)MAX_SIDE / (w > h ? w : h);
        int nw = (int)(w * f), nh = (int)(h * f);
        gdk_pixbuf_loader_set_size(l, nw > 0 ? nw : 1, nh > 0 ? nh : 1);
    }
}

static bool reencode(const unsigned char *d, size_t n, GByteArray *out)
{
    GError *err = NULL;
    GdkPixbufLoader *l = gdk_pixbuf_loader_new();
    g_signal_connect(l, "size-prepared", G_CALLBACK(cap_size), NULL);
    bool ok = gdk_pixbuf_loader_write(l, d, n, &err);
    ok = gdk_pixbuf_loader_close(l, ok ? &err : NULL) && ok;
    GdkPixbuf *p = ok ? gdk_pixbuf_loader_get_pixbuf(l) : NULL;
    gchar *png = NULL;
    gsize len = 0;
    ok = p && gdk_pixbuf_save_to_buffer(p, &png, &len, "png", &err, NULL);
    if (ok)
        g_byte_array_append(out, (const guint8 *)png, (guint)len);
    g_free(png);
    g_clear_error(&err);
    g_object_unref(l);
    return ok;
}

static bool safe_name(const char *s)
{
    return strlen(s) == 20 && strspn(s, "0123456789abcdef") == 16 && !strcmp(s + 16, ".png");
}

static void convert_one(const char *dir, const char *src, const char *name)
{
    size_t n;
    char dst[4096];
    if (!safe_name(name) || x2go_fmt(dst, sizeof dst, "%s/%s", dir, name) < 0)
        return;
    unsigned char *d = x2go_read_trusted(src, X2GO_ICON_MAX_BYTES, getuid(), &n, NULL);
    GByteArray *png = g_byte_array_new();
    /* An empty result says "cannot be converted" (until the source changes). */
    if (!d || !(is_svg(d, n) ? render_svg(d, n, png) : reencode(d, n, png)))
        g_byte_array_set_size(png, 0);
    x2go_write_file_atomic(dst, (const char *)png->data, png->len, 0600);
    g_byte_array_unref(png);
    free(d);
}

int main(int argc, char **argv)
{
    static const char usage[] = "usage: x2goiconpng <outdir> <src> <name> [<src> <name> ...]\n";
    if (argc == 2 && !strcmp(argv[1], "--help")) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc < 2 || argc % 2) {
        fputs(usage, stderr);
        return 2;
    }
    /* A hostile image must not take the machine: bounded CPU and memory. */
    struct rlimit cpu = {20, 21};
    setrlimit(RLIMIT_CPU, &cpu);
#ifndef __SANITIZE_ADDRESS__ /* ASan reserves terabytes of address space */
    struct rlimit mem = {1UL << 30, 1UL << 30};
    setrlimit(RLIMIT_AS, &mem);
#endif
    for (int i = 2; i + 1 < argc; i += 2)
        convert_one(argv[1], argv[i], argv[i + 1]);
    return 0;
}
