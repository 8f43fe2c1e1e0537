#include "agentopts.h"
#include "util.h"
#include "x2go-config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static bool digits_between(const char *s, size_t n, size_t min, size_t max)
{
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

bool x2go_valid_geometry(const char *s)
{
    if (!*s || !strcmp(s, "fullscreen"))
        return true;
    /* WxH, or WxH+X+Y (x2goclient's embed mode, client contract 3.1). */
    const char *x = strchr(s, 'x');
    if (!x || !digits_between(s, (size_t)(x - s), 1, 5))
        return false;
    const char *h = x + 1, *p1 = strchr(h, '+');
    if (!p1)
        return digits_between(h, strlen(h), 1, 5);
    const char *p2 = strchr(p1 + 1, '+');
    return p2 && digits_between(h, (size_t)(p1 - h), 1, 5) &&
           digits_between(p1 + 1, (size_t)(p2 - p1 - 1), 1, 5) &&
           digits_between(p2 + 1, strlen(p2 + 1), 1, 5);
}

bool x2go_valid_link(const char *s)
{
    static const char *const ok[] = {"modem", "isdn", "adsl", "wan", "lan"};
    for (size_t i = 0; i < X2GO_ARRAY_LEN(ok); i++)
        if (!strcmp(s, ok[i]))
            return true;
    return false;
}

bool x2go_valid_pack(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 40)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
            return false;
    return true;
}

static bool kb_part(const char *s, size_t n)
{
    if (n < 1 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("_.+()-", c)))
            return false;
    }
    return true;
}

bool x2go_valid_kbtype(const char *s)
{
    if (!strcmp(s, "auto"))
        return true;
    const char *slash = strchr(s, '/');
    if (!slash || !kb_part(s, (size_t)(slash - s)))
        return false;
    /* one layout, or several: de,us (each may carry a variant: de(neo)) */
    for (const char *p = slash + 1;;) {
        size_t n = strcspn(p, ",");
        if (!kb_part(p, n))
            return false;
        if (!p[n])
            return true;
        p += n + 1;
    }
}

/* The options file is split on commas: only the first layout of a list
 * fits into its kbtype key (the agent takes model/layout from it). */
static const char *kbtype_key(const char *kbtype, char *buf, size_t len)
{
    size_t n = strcspn(kbtype, ",");
    if (!kbtype[n] || n >= len)
        return kbtype;
    memcpy(buf, kbtype, n);
    buf[n] = '\0';
    return buf;
}

const char *x2go_kbtype_agent_arg(const char *kbtype)
{
    return kbtype && strchr(kbtype, '/') && strchr(kbtype, ',') ? kbtype : NULL;
}

bool x2go_valid_clipboard(const char *s)
{
    static const char *const ok[] = {"0", "none", "client", "server", "both", "1"};
    for (size_t i = 0; i < X2GO_ARRAY_LEN(ok); i++)
        if (!strcmp(s, ok[i]))
            return true;
    return false;
}

bool x2go_parse_sesstype(const char *s, int *depth)
{
    const char *d = strstr(s, "-depth_");
    size_t n = strlen(s);
    if (!d || d == s || n > 64)
        return false;
    for (const char *p = s; p < d; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
            return false;
    const char *v = d + 7;
    if (!digits_between(v, strlen(v), 1, 2) || atoi(v) < 1)
        return false;
    if (depth)
        *depth = atoi(v);
    return true;
}

bool x2go_truthy(const char *s, bool def)
{
    static const char *const yes[] = {"1", "yes", "true", "on"};
    static const char *const no[] = {"0", "no", "false", "off"};
    if (!s)
        return def;
    for (size_t i = 0; i < X2GO_ARRAY_LEN(yes); i++)
        if (!strcasecmp(s, yes[i]))
            return true;
    for (size_t i = 0; i < X2GO_ARRAY_LEN(no); i++)
        if (!strcasecmp(s, no[i]))
            return false;
    return def;
}

/* ---- the options file ---------------------------------------------- */

int x2go_options_format(const struct x2go_options *o, char *buf, size_t len)
{
    char geo[32] = "", kb[160];
    if (o->geometry && *o->geometry && strcmp(o->geometry, "fullscreen"))
        snprintf(geo, sizeof geo, "geometry=%s,", o->geometry);
    return x2go_fmt(buf, len,
                    "nx/nx,link=%s,pack=%s,limit=0,root=%s,cache=8M,images=32M,type=%s,"
                    "id=%s,cookie=%s,errors=%s/session.log_errors,kbtype=%s,%s"
                    "xinerama=%d,resize=1,fullscreen=%d,accept=localhost,listen=%d,"
                    "clipboard=%s,client=linux,menu=0,%sstate=%s/state:%d\n",
                    o->link, o->pack, o->dir, o->type, o->sid, o->cookie, o->dir,
                    kbtype_key(o->kbtype, kb, sizeof kb), geo, o->xinerama, o->fullscreen, o->gr_port, o->clipboard,
                    o->nxoptions ? o->nxoptions : "", o->dir, o->display) < 0
               ? -1
               : 0;
}

struct out {
    char *buf;
    size_t len, used;
    bool overflow;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->used + n + 1 > o->len) {
        o->overflow = true;
        return;
    }
    memcpy(o->buf + o->used, s, n);
    o->used += n;
    o->buf[o->used] = '\0';
}

static void put_kv(struct out *o, const char *k, const char *v)
{
    put(o, ",", 1);
    put(o, k, strlen(k));
    put(o, "=", 1);
    put(o, v, strlen(v));
}

int x2go_options_rewrite(const char *in, const struct x2go_options_update *u, char *buf,
                         size_t len)
{
    size_t n = strcspn(in, "\r\n");
    const char *colon = NULL;
    for (const char *p = in; p < in + n; p++)
        if (*p == ':')
            colon = p;
    if (strncmp(in, "nx/nx,", 6) != 0 || !colon) {
        x2go_seterr("the session's options file is not in the nx/nx,...:<display> format");
        return -1;
    }
    bool want_geo = u->geometry && *u->geometry && strcmp(u->geometry, "fullscreen");
    bool geo_done = false;
    char num[16], kb[160];
    struct out o = {buf, len, 0, false};
    put(&o, "nx/nx", 5);
    const char *p = in + 6;
    while (p < colon) {
        const char *end = memchr(p, ',', (size_t)(colon - p));
        if (!end)
            end = colon;
        size_t tl = (size_t)(end - p);
        const char *eq = memchr(p, '=', tl);
        size_t kl = eq ? (size_t)(eq - p) : tl;
        char key[64];
        if (kl >= sizeof key)
            kl = sizeof key - 1;
        memcpy(key, p, kl);
        key[kl] = '\0';
        const char *nv = NULL;
        bool drop = false;
        if (!strcmp(key, "link"))
            nv = u->link;
        else if (!strcmp(key, "pack"))
            nv = u->pack;
        else if (!strcmp(key, "kbtype")) {
            nv = kbtype_key(u->kbtype, kb, sizeof kb);
            drop = x2go_kbtype_agent_arg(u->kbtype) != NULL;
        }
        else if (!strcmp(key, "geometry")) {
            nv = u->geometry;
            drop = !want_geo || geo_done;
            geo_done = true;
        } else if (!strcmp(key, "xinerama"))
            nv = u->xinerama ? "1" : "0";
        else if (!strcmp(key, "resize"))
            nv = "1";
        else if (!strcmp(key, "fullscreen"))
            nv = u->fullscreen ? "1" : "0";
        else if (!strcmp(key, "listen")) {
            snprintf(num, sizeof num, "%d", u->gr_port);
            nv = num;
        } else if (!strcmp(key, "clipboard"))
            nv = u->clipboard;
        if (!drop) {
            if (nv)
                put_kv(&o, key, nv);
            else {
                put(&o, ",", 1);
                put(&o, p, tl);
            }
        }
        /* A session started fullscreen has no geometry key: add it after
         * kbtype (the reference could never give it one, spec 8.4 #34). */
        if (!strcmp(key, "kbtype") && want_geo && !geo_done && !strstr(in, ",geometry=")) {
            put_kv(&o, "geometry", u->geometry);
            geo_done = true;
        }
        p = end + 1;
    }
    put(&o, colon, (size_t)(in + n - colon));
    put(&o, "\n", 1);
    if (o.overflow) {
        x2go_seterr("the rewritten options line is too long");
        return -1;
    }
    return 0;
}

int x2go_check_display_args(const char *geometry, const char *link, const char *pack,
                            const char *kbtype, const char *setkbd)
{
    if (!x2go_valid_geometry(geometry))
        x2go_seterr("invalid geometry '%s' (use <width>x<height>[+<x>+<y>], fullscreen or empty)",
                    geometry);
    else if (!x2go_valid_link(link))
        x2go_seterr("invalid link '%s' (use modem, isdn, adsl, wan or lan)", link);
    else if (!x2go_valid_pack(pack))
        x2go_seterr("invalid pack method '%s' (e.g. 16m-jpeg-9)", pack);
    else if (!x2go_valid_kbtype(kbtype) && strcmp(kbtype, "null/null") != 0)
        x2go_seterr("invalid keyboard type '%s' (use auto or <model>/<layout>)", kbtype);
    else if (strcmp(setkbd, "0") && strcmp(setkbd, "1"))
        x2go_seterr("invalid set-keyboard flag '%s' (use 0 or 1)", setkbd);
    else
        return 0;
    return -1;
}
