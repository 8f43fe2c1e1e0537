/* x2gofeature <NAME> and x2gofeaturelist. Our own features are a table,
 * listing only what this server implements; feature files that other
 * packages drop into <share>/x2gofeature.d are read, never executed. */
#include "cmd.h"
#include "util.h"
#include "x2go-config.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#define FEATURE_DIR X2GO_SHAREDIR "/x2gofeature.d"

/* In the reference's listing order. */
static const char *const builtin[] = {
    "X2GO_DESKTOPSHARING",
    "X2GO_RUN_EXTENSIONS",
    "X2GO_FMBINDINGS",
    "X2GO_PRINTING",
    "X2GOAGENT_RANDRXINERAMA",
    "X2GO_XSESSION",
    "X2GO_LIST_DESKTOPS",
    "X2GO_MOUNTDIRS", "X2GO_UMOUNTSESSION_ALL", "X2GO_UMOUNTSESSION_ONLYPATH",
    "X2GO_PUBLISHED_APPLICATIONS",
    "X2GO_SERVERSIDE_DESKTOPCOMMANDS",
    "X2GO_SET_KEYBOARD",
    "X2GO_LIST_SHADOWSESSIONS",
    "X2GO_MOUNT_UNCPATHS",
    "X2GO_CLIPBOARD_MODES",
};

/* Names a foreign .features script answers "ok" for: quoted words on lines
 * of the form  NAME) ... ok ... exit 0  (the reference's own convention). */
static void scan_file(const char *path, void (*cb)(const char *, void *), void *ctx)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        char *paren = strchr(line, ')');
        if (!paren || !strstr(paren, "ok") || !strstr(paren, "exit 0"))
            continue;
        for (char *q = strchr(line, '"'); q && q < paren; ) {
            char *e = strchr(q + 1, '"');
            if (!e || e > paren)
                break;
            *e = '\0';
            if (x2go_is_printable_ascii(q + 1) && q[1])
                cb(q + 1, ctx);
            q = strchr(e + 1, '"');
        }
    }
    fclose(f);
}

static int byname(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static void foreign(void (*cb)(const char *, void *), void *ctx)
{
    struct dirent **ents;
    int n = scandir(FEATURE_DIR, &ents, NULL, byname);
    for (int i = 0; i < n; i++) {
        size_t l = strlen(ents[i]->d_name);
        char path[512];
        if (l > 9 && !strcmp(ents[i]->d_name + l - 9, ".features") &&
            x2go_fmt(path, sizeof path, "%s/%s", FEATURE_DIR, ents[i]->d_name) >= 0)
            scan_file(path, cb, ctx);
        free(ents[i]);
    }
    if (n >= 0)
        free(ents);
}

struct find { const char *want; bool found; };

static void match(const char *name, void *ctx)
{
    struct find *f = ctx;
    if (!strcmp(name, f->want))
        f->found = true;
}

static int run_feature(int argc, char **argv, FILE *out)
{
    (void)argc;
    struct find f = {argv[0], false};
    for (size_t i = 0; i < X2GO_ARRAY_LEN(builtin); i++)
        if (!strcmp(builtin[i], argv[0]))
            f.found = true;
    if (!f.found)
        foreign(match, &f);
    fputs(f.found ? "ok\n" : "not available\n", out);
    return f.found ? 0 : 255;
}

static void print_name(const char *name, void *ctx) { fprintf(ctx, "%s\n", name); }

static int run_list(int argc, char **argv, FILE *out)
{
    (void)argc;
    (void)argv;
    foreign(print_name, out);
    for (size_t i = 0; i < X2GO_ARRAY_LEN(builtin); i++)
        fprintf(out, "%s\n", builtin[i]);
    return 0;
}

X2GO_COMMAND(feature, "x2gofeature", X2GO_BIN, "<X2GO_FEATURE_NAME>", 1, 1,
             X2GO_CMD_KEEP_OUTPUT, run_feature);
X2GO_COMMAND(featurelist, "x2gofeaturelist", X2GO_BIN, "", 0, 0, 0, run_list);
