#include "runalias.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the decision ------------------------------------------------------ */

#define GNOME_SESSION "/usr/bin/gnome-session"
#define SESSIONS_DIR "/usr/share/gnome-session/sessions/"

static void env(struct x2go_alias *a, const char *name, const char *value, bool append)
{
    if (a->nenv < X2GO_ALIAS_ENV_MAX)
        a->env[a->nenv++] = (struct x2go_alias_env){name, value, append};
}

/* A decimal number as bc reads one: digits, optionally '.' and digits. */
static bool decimal(const char *s)
{
    size_t i = strspn(s, "0123456789"), j = 0;
    if (s[i] == '.')
        j = strspn(s + i + 1, "0123456789") + 1;
    return i + j > 0 && !(i == 0 && j == 1) && s[i + j] == '\0';
}

/* The sign of rel - v (both decimals): the integer parts without leading
 * zeros by length then digits, then the fractions digit by digit. */
static int compare(const char *rel, const char *v)
{
    while (*rel == '0')
        rel++;
    while (*v == '0')
        v++;
    size_t ri = strspn(rel, "0123456789"), vi = strspn(v, "0123456789");
    if (ri != vi)
        return ri < vi ? -1 : 1;
    int c = strncmp(rel, v, ri);
    if (c)
        return c < 0 ? -1 : 1;
    const char *rf = rel[ri] == '.' ? rel + ri + 1 : "", *vf = v[vi] == '.' ? v + vi + 1 : "";
    for (; *rf || *vf; rf += !!*rf, vf += !!*vf) {
        char a = *rf ? *rf : '0', b = *vf ? *vf : '0';
        if (a != b)
            return a < b ? -1 : 1;
    }
    return 0;
}

/* Ubuntu and its release against v: op is "<=", "==" or ">=". A release
 * that is not a number compares as nothing (bc gives no answer). */
static bool ubuntu(const struct x2go_alias_facts *f, const char *op, const char *v)
{
    if (!f->distrib_id || strcmp(f->distrib_id, "Ubuntu") || !f->distrib_release ||
        !decimal(f->distrib_release))
        return false;
    int c = compare(f->distrib_release, v);
    return op[0] == '=' ? c == 0 : op[0] == '<' ? c <= 0 : c >= 0;
}

static bool has(const struct x2go_alias_facts *f, const char *path)
{
    return f->has(path, false, f->ctx);
}

/* GNOME's flavours, in the order they are tried (gnome_flavour). */
static const struct gnome_flavour {
    const char *file; /* the session file that selects it; NULL: a release does */
    const char *ds, *args;
    bool unity_gtk;   /* GTK_MODULES gets unity-gtk-module */
    const char *xdg;  /* XDG_CURRENT_DESKTOP, with XDG_SESSION_DESKTOP=ds */
} flavours[] = {
    {NULL, "gnome-flashback-metacity",
     "--session=gnome-flashback-metacity --disable-acceleration-check", true,
     "GNOME-Flashback:Unity"},
    {NULL, "gnome-flashback", "--session=gnome-flashback --disable-acceleration-check", true,
     NULL},
    {NULL, "gnome-flashback", "--session=gnome-flashback", true, NULL},
    {SESSIONS_DIR "gnome-flashback-metacity.session", "gnome-flashback-metacity",
     "--session=gnome-flashback-metacity --disable-acceleration-check", false,
     "GNOME-Flashback:GNOME"},
    {SESSIONS_DIR "gnome-flashback.session", "gnome-flashback",
     "--session=gnome-flashback --disable-acceleration-check", false, NULL},
    {SESSIONS_DIR "gnome-fallback.session", "gnome-fallback", "--session=gnome-fallback",
     false, NULL},
    {SESSIONS_DIR "2d-gnome.session", "2d-gnome", "--session=2d-gnome", false, NULL},
    {NULL, "gnome", NULL, false, NULL},
};

/* Ubuntu's releases first, then the session files installed; -1: none. */
static int gnome_flavour(const struct x2go_alias_facts *f)
{
    if (ubuntu(f, ">=", "15.04"))
        return 0;
    if (ubuntu(f, "==", "14.04") || ubuntu(f, "==", "14.10"))
        return 1;
    if (ubuntu(f, "==", "13.10"))
        return 2;
    for (int i = 3; i < 7; i++)
        if (has(f, flavours[i].file))
            return i;
    return ubuntu(f, "<=", "10.10") || f->debian_squeeze ? 7 : -1;
}

static void gnome(const struct x2go_alias_facts *f, struct x2go_alias *a)
{
    int i = gnome_flavour(f);
    a->cmd = GNOME_SESSION;
    if (i < 0)
        return;
    const struct gnome_flavour *g = &flavours[i];
    a->args = g->args;
    env(a, "DESKTOP_SESSION", g->ds, false);
    if (g->unity_gtk)
        env(a, "GTK_MODULES", "unity-gtk-module", true);
    if (i == 0) /* Ubuntu's PATH missed /sbin (upstart-udev-bridge) */
        env(a, "PATH", "/sbin", true);
    if (g->xdg) {
        env(a, "XDG_SESSION_DESKTOP", g->ds, false);
        env(a, "XDG_CURRENT_DESKTOP", g->xdg, false);
    }
}

static void unity(const struct x2go_alias_facts *f, struct x2go_alias *a)
{
    static const struct { const char *ds, *args; } u[] = {
        {"ubuntu", "--session=ubuntu"},
        {"ubuntu-2d", "--session=ubuntu-2d"},
        {"2d-ubuntu", "--session=2d-ubuntu"},
    };
    int i = ubuntu(f, ">=", "12.10")                                  ? 0
            : ubuntu(f, "==", "11.10") || ubuntu(f, "==", "12.04") ? 1
            : ubuntu(f, "==", "11.04")                                ? 2
                                                                      : -1;
    a->cmd = GNOME_SESSION;
    if (i < 0)
        return;
    a->args = u[i].args;
    env(a, "DESKTOP_SESSION", u[i].ds, false);
}

/* The first of paths the facts have (exec: executable), or NULL. */
static const char *first(const struct x2go_alias_facts *f, const char *const *paths, bool exec)
{
    for (; *paths; paths++)
        if (f->has(*paths, exec, f->ctx))
            return *paths;
    return NULL;
}

static const char *const cinnamon[] = {"/usr/bin/cinnamon-session-cinnamon2d",
                                       "/usr/bin/gnome-session-cinnamon2d",
                                       "/usr/bin/gnome-session-cinnamon", NULL};
static const char *const trinity[] = {"/opt/trinity/bin/starttde",
                                      "/opt/trinity/bin/starttrinity", NULL};

/* Names that stand for the first installed of a list; nothing installed:
 * the name stays. */
static const struct {
    const char *name;
    const char *const paths[8];
} lists[] = {
    {"WWWBROWSER", {"/usr/bin/firefox.real", "/usr/bin/iceweasel", "/usr/bin/firefox",
                    "/usr/bin/abrowser", "/usr/bin/konqueror", "/usr/bin/galeon",
                    "/usr/bin/chromium-browser", NULL}},
    {"MAILCLIENT", {"/usr/bin/thunderbird", "/usr/bin/icedove", "/usr/bin/kmail",
                    "/usr/bin/evolution", NULL}},
    {"OFFICE", {"/usr/bin/loffice", "/usr/bin/ooffice", NULL}},
    {"TERMINAL", {"/usr/bin/konsole", "/usr/bin/mate-terminal", "/usr/bin/gnome-terminal",
                  "/usr/bin/lxterminal", "/usr/bin/qterminal", "/usr/bin/rxvt",
                  "/usr/bin/xterm", NULL}},
};

/* Names that stand for one program, installed or not. */
static const struct {
    const char *name, *path;
} fixed[] = {
    {"MATE", "/usr/bin/mate-session"},      {"XFCE4", "/usr/bin/xfce4-session"},
    {"XFCE", "/usr/bin/xfce4-session"},     {"LXDE", "/usr/bin/startlxde"},
    {"LXQt", "/usr/bin/startlxqt"},         {"IceWM", "/usr/bin/icewm"},
    {"OPENBOX", "/usr/bin/openbox-session"}, {"ICEWM", "/usr/bin/icewm-session"},
};

void x2go_alias_resolve(const char *cmd, const struct x2go_alias_facts *f,
                        struct x2go_alias *a)
{
    const char *p;
    *a = (struct x2go_alias){.cmd = cmd};
    if (!strcmp(cmd, "GNOME") || !strcmp(cmd, "gnome-session"))
        gnome(f, a);
    else if (!strcmp(cmd, "UNITY") || !strcmp(cmd, "unity"))
        unity(f, a);
    else if (!strcmp(cmd, "CINNAMON") || !strcmp(cmd, "cinnamon")) {
        if ((p = first(f, cinnamon, false))) {
            a->cmd = p;
        } else {
            a->cmd = GNOME_SESSION;
            a->args = "--session=cinnamon2d";
            env(a, "DESKTOP_SESSION", "cinnamon2d", false);
        }
    } else if (!strcmp(cmd, "KDE"))
        a->cmd = has(f, "/usr/bin/startplasma-x11") ? "/usr/bin/startplasma-x11"
                                                    : "/usr/bin/startkde";
    else if (!strcmp(cmd, "startkde") && has(f, "/usr/bin/startplasma-x11"))
        a->cmd = "/usr/bin/startplasma-x11"; /* what old clients send for KDE */
    else if (!strcmp(cmd, "TRINITY")) {
        a->cmd = has(f, "/usr/bin/start-q4os-x2go") ? "/usr/bin/start-q4os-x2go"
                 : (p = first(f, trinity, true))    ? p
                                                    : "/usr/bin/starttrinity";
    }
    for (size_t i = 0; i < X2GO_ARRAY_LEN(fixed); i++)
        if (!strcmp(cmd, fixed[i].name))
            a->cmd = fixed[i].path;
    for (size_t i = 0; i < X2GO_ARRAY_LEN(lists); i++)
        if (!strcmp(cmd, lists[i].name) && (p = first(f, lists[i].paths, false)))
            a->cmd = p;
}

/* ---- the facts of this system ------------------------------------------ */

static bool has_file(const char *path, bool exec, void *ctx)
{
    (void)ctx;
    struct stat st;
    if (stat(path, &st) < 0)
        return false;
    return !exec || access(path, X_OK) == 0;
}

/* KEY=VALUE of a shell-variable file (quotes around the value removed),
 * copied to buf; NULL when the file does not set it. */
static const char *file_var(const char *text, const char *key, char **buf, size_t *left)
{
    size_t kl = strlen(key);
    const char *found = NULL;
    for (const char *l = text; *l; l += strcspn(l, "\n"), l += *l == '\n') {
        if (strncmp(l, key, kl) || l[kl] != '=')
            continue;
        const char *v = l + kl + 1;
        size_t n = strcspn(v, "\n");
        if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
            v++;
            n -= 2;
        }
        if (n + 1 > *left)
            return found;
        memcpy(*buf, v, n);
        (*buf)[n] = '\0';
        found = *buf; /* the last assignment wins, as in the shell */
        *buf += n + 1;
        *left -= n + 1;
    }
    return found;
}

void x2go_alias_probe(struct x2go_alias_facts *f, char *buf, size_t len)
{
    char text[4096];
    *f = (struct x2go_alias_facts){.has = has_file};
    /* The reference sources the file into its own variables, which start
     * as the environment's. */
    f->distrib_id = getenv("DISTRIB_ID");
    f->distrib_release = getenv("DISTRIB_RELEASE");
    ssize_t n = x2go_read_file("/etc/lsb-release", text, sizeof text - 1);
    if (n >= 0) {
        text[n] = '\0';
        const char *id = file_var(text, "DISTRIB_ID", &buf, &len);
        const char *rel = file_var(text, "DISTRIB_RELEASE", &buf, &len);
        f->distrib_id = id ? id : f->distrib_id;
        f->distrib_release = rel ? rel : f->distrib_release;
    }
    n = x2go_read_file("/etc/debian_version", text, sizeof text - 1);
    if (n >= 0) {
        text[n] = '\0';
        for (const char *l = text; *l; l += strcspn(l, "\n"), l += *l == '\n')
            if (!strncmp(l, "squeeze", 7) || !strncmp(l, "6.", 2))
                f->debian_squeeze = true;
    }
}
