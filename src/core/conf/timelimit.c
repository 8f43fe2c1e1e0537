#include "timelimit.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[X2GO_TL_KINDS] = {"suspended", "idle", "lifetime"};

const char *x2go_tlimit_name(enum x2go_tlimit_kind k)
{
    return kind_names[k];
}

int x2go_duration_parse(const char *s, long *secs)
{
    static const struct { char unit; long mult; } units[] = {
        {'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400},
    };
    size_t n = strlen(s);
    if (!strcmp(s, "0")) {
        *secs = 0;
        return 0;
    }
    if (n >= 2 && n <= 12) {
        char digits[16];
        memcpy(digits, s, n - 1);
        digits[n - 1] = '\0';
        long v;
        for (size_t i = 0; i < X2GO_ARRAY_LEN(units); i++)
            if (s[n - 1] == units[i].unit &&
                x2go_parse_long(digits, 0, X2GO_TL_MAX_SECONDS / units[i].mult, &v) == 0) {
                *secs = v * units[i].mult;
                return 0;
            }
    }
    x2go_seterr("'%s' is not a duration (a number with s, m, h or d, e.g. 90m; 0 for off)",
                s);
    return -1;
}

static int kind_of(const char *name)
{
    for (int k = 0; k < X2GO_TL_KINDS; k++)
        if (!strcmp(name, kind_names[k]))
            return k;
    return -1;
}

/* "idle=30m, lifetime=8h" into e. */
static int parse_entry(const char *val, struct x2go_tlimit_entry *e)
{
    char buf[512];
    if (x2go_strlcpy(buf, val, sizeof buf) < 0) {
        x2go_seterr("value too long");
        return -1;
    }
    char *save = NULL;
    int n = 0;
    for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        item += strspn(item, " \t");
        char *end = item + strlen(item);
        while (end > item && (end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        char *eq = strchr(item, '=');
        if (eq)
            *eq = '\0';
        int k = kind_of(item);
        if (!eq || k < 0 || e->has[k]) {
            x2go_seterr("'%s' is not one of suspended=, idle=, lifetime= (each once)", item);
            return -1;
        }
        if (x2go_duration_parse(eq + 1 + strspn(eq + 1, " \t"), &e->v[k]) < 0)
            return -1;
        e->has[k] = true;
        n++;
    }
    if (!n) {
        x2go_seterr("no limit given (e.g. idle=30m, lifetime=8h)");
        return -1;
    }
    return 0;
}

struct load_ctx {
    const char *file, *section;
    struct x2go_tlimit_conf *c;
    struct x2go_tlimit_entry **list;
    size_t *n;
};

static int fail_at(const struct load_ctx *x, int line, const char *key)
{
    char why[512];
    snprintf(why, sizeof why, "%s", x2go_err());
    x2go_seterr("%s line %d: [%s] %s: %s", x->file, line, x->section, key, why);
    return -1;
}

static int add_entry(const char *key, const char *val, int line, void *ctx)
{
    struct load_ctx *x = ctx;
    for (size_t i = 0; i < *x->n; i++)
        if (!strcmp((*x->list)[i].name, key)) {
            x2go_seterr("set twice");
            return fail_at(x, line, key);
        }
    struct x2go_tlimit_entry e = {0};
    if (x2go_strlcpy(e.name, key, sizeof e.name) < 0) {
        x2go_seterr("name too long");
        return fail_at(x, line, key);
    }
    if (parse_entry(val, &e) < 0)
        return fail_at(x, line, key);
    struct x2go_tlimit_entry *l = realloc(*x->list, (*x->n + 1) * sizeof *l);
    if (!l)
        abort();
    l[(*x->n)++] = e;
    *x->list = l;
    return 0;
}

static int add_default(const char *key, const char *val, int line, void *ctx)
{
    struct load_ctx *x = ctx;
    int k = kind_of(key);
    long *dst = k >= 0 ? &x->c->def.v[k] : !strcmp(key, "warning") ? &x->c->warning : NULL;
    if (!dst) {
        x2go_seterr("unknown key (use suspended, idle, lifetime or warning)");
        return fail_at(x, line, key);
    }
    if (x2go_duration_parse(val, dst) < 0)
        return fail_at(x, line, key);
    return 0;
}

int x2go_tlimit_load(const struct x2go_ini *ini, struct x2go_tlimit_conf *c)
{
    memset(c, 0, sizeof *c);
    c->warning = X2GO_TL_WARNING_DEFAULT;
    struct load_ctx x = {.file = x2go_ini_name(ini), .c = c};
    x.section = "time limits";
    int rc = x2go_ini_foreach(ini, x.section, add_default, &x);
    x.section = "time limits users";
    x.list = &c->users;
    x.n = &c->nusers;
    if (rc == 0)
        rc = x2go_ini_foreach(ini, x.section, add_entry, &x);
    x.section = "time limits groups";
    x.list = &c->groups;
    x.n = &c->ngroups;
    if (rc == 0)
        rc = x2go_ini_foreach(ini, x.section, add_entry, &x);
    if (rc != 0) {
        x2go_tlimit_free(c);
        return -1;
    }
    return 0;
}

void x2go_tlimit_free(struct x2go_tlimit_conf *c)
{
    free(c->users);
    free(c->groups);
    memset(c, 0, sizeof *c);
}

bool x2go_tlimit_any(const struct x2go_tlimit_conf *c)
{
    return c->def.v[0] || c->def.v[1] || c->def.v[2] || c->nusers || c->ngroups;
}

static const struct x2go_tlimit_entry *find(const struct x2go_tlimit_entry *l, size_t n,
                                            const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(l[i].name, name))
            return &l[i];
    return NULL;
}

void x2go_tlimit_for(const struct x2go_tlimit_conf *c, const char *user,
                     const char *const *groups, size_t ng, struct x2go_tlimits *out)
{
    const struct x2go_tlimit_entry *u = find(c->users, c->nusers, user);
    for (int k = 0; k < X2GO_TL_KINDS; k++) {
        if (u && u->has[k]) {
            out->v[k] = u->v[k];
            continue;
        }
        bool any = false;
        long best = 0;
        for (size_t i = 0; i < ng; i++) {
            const struct x2go_tlimit_entry *g = find(c->groups, c->ngroups, groups[i]);
            if (!g || !g->has[k])
                continue;
            /* The most generous group wins; 0 (off) beats any number. */
            if (!any || g->v[k] == 0 || (best != 0 && g->v[k] > best))
                best = g->v[k];
            any = true;
        }
        out->v[k] = any ? best : c->def.v[k];
    }
}
