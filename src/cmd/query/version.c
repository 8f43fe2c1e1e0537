/* x2goversion [<component>]: versions of the installed components, read
 * from <share>/versions/VERSION.<component> (first non-comment word). */
#include "cmd.h"
#include "util.h"
#include "x2go-config.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#define VERSIONS_DIR X2GO_SHAREDIR "/versions"

static int read_version(const char *component, char *ver, size_t len)
{
    char path[512], buf[4096];
    if (x2go_fmt(path, sizeof path, VERSIONS_DIR "/VERSION.%s", component) < 0)
        return -1;
    /* VERSION.x2goserver-x2goagent may be a symlink to nx's file: follow. */
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
        if (*l == '#')
            continue;
        l[strcspn(l, " \t")] = '\0';
        return x2go_strlcpy(ver, l, len);
    }
    return -1;
}

static int byname(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int run(int argc, char **argv, FILE *out)
{
    char ver[128];
    if (argc == 1) {
        if (strchr(argv[0], '/') || read_version(argv[0], ver, sizeof ver) < 0) {
            /* The reference prints this on stdout; keep it (x2gobroker-agent
             * only looks at the exit status). */
            fprintf(out, "Version information for X2Go component '%s' is not available.\n",
                    argv[0]);
            return 1;
        }
        fprintf(out, "%s\n", ver);
        return 0;
    }
    struct dirent **ents;
    int n = scandir(VERSIONS_DIR, &ents, NULL, byname);
    if (n < 0) {
        return x2go_cmd_fail(1, "cannot read %s", VERSIONS_DIR);
    }
    for (int i = 0; i < n; i++) {
        const char *name = ents[i]->d_name;
        if (!strncmp(name, "VERSION.", 8) && name[8] &&
            read_version(name + 8, ver, sizeof ver) == 0)
            fprintf(out, "%s: %s\n", name + 8, ver);
        free(ents[i]);
    }
    free(ents);
    return 0;
}

X2GO_COMMAND(version, "x2goversion", X2GO_BIN, "[<component>]", 0, 1, X2GO_CMD_KEEP_OUTPUT,
             run);
