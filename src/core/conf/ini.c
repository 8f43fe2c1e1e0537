#include "ini.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct entry {
    char *section, *key, *val;
    int line;
};

struct broken {
    char *section;
    int line;
    char *why;
};

struct x2go_ini {
    char *name;
    struct entry *e;
    size_t n, cap;
    struct broken *b;
    size_t nb, capb;
};

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

static char *dupe(const char *s)
{
    char *d = strdup(s);
    if (!d)
        abort();
    return d;
}

static void mark_broken(struct x2go_ini *ini, const char *section, int line,
                        const char *why)
{
    x2go_grow((void **)&ini->b, &ini->capb, ini->nb + 1, sizeof *ini->b);
    ini->b[ini->nb++] = (struct broken){dupe(section), line, dupe(why)};
}

struct x2go_ini *x2go_ini_parse(const char *name, const char *text)
{
    struct x2go_ini *ini = calloc(1, sizeof *ini);
    if (!ini)
        abort();
    ini->name = dupe(name);
    char *copy = dupe(text), *save = NULL;
    char section[256] = "";
    int lineno = 0;
    /* strtok_r would skip empty lines and miscount; walk by hand. */
    for (char *line = copy; line; line = save) {
        save = strchr(line, '\n');
        if (save)
            *save++ = '\0';
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            char *close = strchr(s, ']');
            if (!close || close[1] != '\0' || close - s - 1 >= (long)sizeof section) {
                /* The section it most likely names ("[log" or "[log] x"
                 * mean log) is the broken one: lookups there report this
                 * line, and the keys that follow stay in it instead of
                 * being silently dropped or taken as another section's. */
                if (close)
                    *close = '\0';
                snprintf(section, sizeof section, "%s", trim(s + 1));
                mark_broken(ini, section, lineno, "malformed section header");
                continue;
            }
            *close = '\0';
            snprintf(section, sizeof section, "%s", trim(s + 1));
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            mark_broken(ini, section, lineno, "expected 'key = value'");
            continue;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        if (!*key) {
            mark_broken(ini, section, lineno, "empty key");
            continue;
        }
        size_t vl = strlen(val);
        if (vl >= 2 && (val[0] == '"' || val[0] == '\'') && val[vl - 1] == val[0]) {
            val[vl - 1] = '\0';
            val++;
        }
        x2go_grow((void **)&ini->e, &ini->cap, ini->n + 1, sizeof *ini->e);
        ini->e[ini->n++] = (struct entry){dupe(section), dupe(key), dupe(val), lineno};
    }
    free(copy);
    return ini;
}

struct x2go_ini *x2go_ini_load(const char *path)
{
    size_t len;
    char *buf = x2go_slurp(path, &len);
    if (!buf)
        return errno == ENOENT ? x2go_ini_parse(path, "") : NULL;
    struct x2go_ini *ini = NULL;
    if (memchr(buf, '\0', len))
        x2go_seterr("%s: binary data in configuration file", path);
    else
        ini = x2go_ini_parse(path, buf);
    free(buf);
    return ini;
}

void x2go_ini_free(struct x2go_ini *ini)
{
    if (!ini)
        return;
    for (size_t i = 0; i < ini->n; i++) {
        free(ini->e[i].section);
        free(ini->e[i].key);
        free(ini->e[i].val);
    }
    for (size_t i = 0; i < ini->nb; i++) {
        free(ini->b[i].section);
        free(ini->b[i].why);
    }
    free(ini->e);
    free(ini->b);
    free(ini->name);
    free(ini);
}

static int check_section(const struct x2go_ini *ini, const char *section,
                         const char *key)
{
    for (size_t i = 0; i < ini->nb; i++)
        if (!strcmp(ini->b[i].section, section)) {
            x2go_seterr("%s line %d: %s (while looking up [%s] %s)", ini->name,
                        ini->b[i].line, ini->b[i].why, section, key);
            return -1;
        }
    return 0;
}

int x2go_ini_lookup(const struct x2go_ini *ini, const char *section,
                    const char *key, const char **val, int *line)
{
    /* A section with a malformed line is not trusted for any key: the
     * broken line may be the very setting asked for (or a later, winning
     * definition of it). */
    if (check_section(ini, section, key) < 0)
        return -1;
    /* The last definition wins, as with Config::Simple. */
    for (size_t i = ini->n; i-- > 0;)
        if (!strcmp(ini->e[i].section, section) && !strcmp(ini->e[i].key, key)) {
            *val = ini->e[i].val;
            if (line)
                *line = ini->e[i].line;
            return 1;
        }
    return 0;
}

int x2go_ini_foreach(const struct x2go_ini *ini, const char *section,
                     int (*cb)(const char *, const char *, int, void *),
                     void *ctx)
{
    if (check_section(ini, section, "*") < 0)
        return -1;
    for (size_t i = 0; i < ini->n; i++)
        if (!strcmp(ini->e[i].section, section)) {
            int r = cb(ini->e[i].key, ini->e[i].val, ini->e[i].line, ctx);
            if (r)
                return r;
        }
    return 0;
}

const char *x2go_ini_name(const struct x2go_ini *ini) { return ini->name; }

int x2go_parse_bool(const char *v)
{
    static const char *yes[] = {"1", "yes", "true", "on"};
    static const char *no[] = {"0", "no", "false", "off", ""};
    for (size_t i = 0; i < X2GO_ARRAY_LEN(yes); i++)
        if (!strcasecmp(v, yes[i]))
            return 1;
    for (size_t i = 0; i < X2GO_ARRAY_LEN(no); i++)
        if (!strcasecmp(v, no[i]))
            return 0;
    return -1;
}
