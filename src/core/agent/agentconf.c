/* /etc/x2go/x2goagent.options: the reference sources it with bash; we read
 * the subset administrators write and never run anything. Accepted, one
 * per line: comments, `NAME=value`, `NAME+=value`, `export NAME[=value]`,
 * where value is one shell word made of unquoted text, '...', "..." (with
 * \" \\ \$ \` escapes) and $NAME / ${NAME} references to variables set
 * earlier in the file or in the environment, optionally followed by a
 * comment. Anything else (command substitution, other expansions, several
 * words, pipes, redirections, control flow) is an error naming the file
 * and line: it is logged once and agents start with the built-in
 * defaults, as if the file were missing. */
#include "agentopts.h"
#include "log.h"
#include "util.h"
#include "x2go-config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUILTIN_AGENT_OPTIONS "-extension GLX -nolisten tcp"
#define MAX_VARS 32
#define VAL_MAX 1024

struct shvar {
    char name[64];
    char value[VAL_MAX];
};

struct shvars {
    struct shvar v[MAX_VARS];
    int n;
};

static struct shvar *find(struct shvars *s, const char *name, size_t n)
{
    for (int i = 0; i < s->n; i++)
        if (strlen(s->v[i].name) == n && !strncmp(s->v[i].name, name, n))
            return &s->v[i];
    return NULL;
}

/* A variable's value: set earlier in the file, else the environment. */
static const char *lookup(struct shvars *s, const char *name, size_t n)
{
    struct shvar *v = find(s, name, n);
    if (v)
        return v->value;
    char buf[64];
    if (n >= sizeof buf)
        return NULL;
    memcpy(buf, name, n);
    buf[n] = '\0';
    return getenv(buf);
}

static size_t name_len(const char *p)
{
    if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_'))
        return 0;
    size_t n = 1;
    while ((p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= 'a' && p[n] <= 'z') ||
           (p[n] >= '0' && p[n] <= '9') || p[n] == '_')
        n++;
    return n;
}

struct word {
    char buf[VAL_MAX];
    size_t len;
    const char *err;
};

static void add(struct word *w, const char *s, size_t n)
{
    if (w->err)
        return;
    if (w->len + n >= sizeof w->buf) {
        w->err = "value too long";
        return;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

/* $NAME or ${NAME} at p; returns the characters used. */
static size_t expand(struct shvars *s, const char *p, struct word *w)
{
    size_t n;
    if (p[1] == '{') {
        n = name_len(p + 2);
        if (!n || p[2 + n] != '}') {
            w->err = "only ${NAME} expansions are understood";
            return 1;
        }
        const char *v = lookup(s, p + 2, n);
        add(w, v ? v : "", v ? strlen(v) : 0);
        return n + 3;
    }
    if (p[1] == '(') {
        w->err = "command substitution is not run";
        return 1;
    }
    n = name_len(p + 1);
    if (!n) {
        if (p[1] && !strchr(" \t\"", p[1])) {
            w->err = "special parameters ($1, $$, $?, ...) are not understood";
            return 1;
        }
        add(w, "$", 1); /* a lone '$' is literal, as in bash */
        return 1;
    }
    const char *v = lookup(s, p + 1, n);
    add(w, v ? v : "", v ? strlen(v) : 0);
    return n + 1;
}

static const char *dquoted(struct shvars *s, const char *p, struct word *w)
{
    while (*p && *p != '"' && !w->err) {
        if (*p == '\\' && p[1] && strchr("$`\"\\", p[1])) {
            add(w, p + 1, 1);
            p += 2;
        } else if (*p == '$') {
            p += expand(s, p, w);
        } else if (*p == '`') {
            w->err = "command substitution is not run";
        } else {
            add(w, p++, 1);
        }
    }
    if (!*p && !w->err)
        w->err = "unbalanced quotes";
    return w->err ? p : p + 1;
}

/* One shell word at p into w; returns where it ended. */
static const char *word(struct shvars *s, const char *p, struct word *w)
{
    while (*p && *p != ' ' && *p != '\t' && !w->err) {
        if (*p == '\'') {
            const char *e = strchr(p + 1, '\'');
            if (!e)
                w->err = "unbalanced quotes";
            else
                add(w, p + 1, (size_t)(e - p - 1));
            p = e ? e + 1 : p;
        } else if (*p == '"') {
            p = dquoted(s, p + 1, w);
        } else if (*p == '\\' && p[1]) {
            add(w, p + 1, 1);
            p += 2;
        } else if (*p == '$') {
            p += expand(s, p, w);
        } else if (strchr("`;&|<>()\\", *p)) {
            w->err = "shell commands and operators are not run";
        } else {
            add(w, p++, 1);
        }
    }
    return p;
}

static const char *blanks(const char *p)
{
    return p + strspn(p, " \t");
}

/* One line; NULL or the reason it is not understood. */
static const char *line(struct shvars *s, const char *l)
{
    l = blanks(l);
    if (!*l || *l == '#')
        return NULL;
    bool exported = !strncmp(l, "export", 6) && (l[6] == ' ' || l[6] == '\t');
    if (exported)
        l = blanks(l + 6);
    size_t n = name_len(l);
    bool append = n && l[n] == '+' && l[n + 1] == '=';
    if (exported && n && (!l[n] || strchr(" \t#", l[n])) && (!*blanks(l + n) ||
                                                           *blanks(l + n) == '#'))
        return NULL; /* export NAME: nothing to read */
    if (!n || (!append && l[n] != '='))
        return "expected NAME=value, NAME+=value or a comment";
    struct word w = {.len = 0};
    const char *end = blanks(word(s, l + n + (append ? 2 : 1), &w));
    if (w.err)
        return w.err;
    if (*end && *end != '#')
        return "more than one word after '=' (quote the value)";
    if (n >= sizeof s->v[0].name)
        return "variable name too long";
    struct shvar *v = find(s, l, n);
    if (!v) {
        if (s->n == MAX_VARS)
            return "too many variables";
        v = &s->v[s->n++];
        memcpy(v->name, l, n);
        v->name[n] = '\0';
        const char *env = append ? getenv(v->name) : NULL;
        snprintf(v->value, sizeof v->value, "%s", env ? env : "");
    }
    size_t have = append ? strlen(v->value) : 0;
    if (have + w.len >= sizeof v->value)
        return "value too long";
    memcpy(v->value + have, w.buf, w.len + 1);
    return NULL;
}

int x2go_agent_conf_parse(const char *path, const char *text, struct x2go_agent_vars *out)
{
    static struct shvars s;
    memset(&s, 0, sizeof s);
    memset(out, 0, sizeof *out);
    int no = 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char l[VAL_MAX + 256];
        no++;
        if (len >= sizeof l) {
            x2go_seterr("%s line %d: line too long", path, no);
            return -1;
        }
        memcpy(l, p, len);
        l[len] = '\0';
        if (len && l[len - 1] == '\r')
            l[len - 1] = '\0';
        const char *why = line(&s, l);
        if (why) {
            x2go_seterr("%s line %d: %s", path, no, why);
            return -1;
        }
        p += len + (nl != NULL);
    }
    static const char *const names[] = {"X2GO_NXAGENT_DEFAULT_OPTIONS", "X2GO_NXAGENT_OPTIONS",
                                        "X2GO_NXOPTIONS"};
    char *dst[] = {out->dflt, out->opts, out->nxopts};
    bool *set[] = {&out->dflt_set, &out->opts_set, &out->nxopts_set};
    for (size_t i = 0; i < X2GO_ARRAY_LEN(names); i++) {
        struct shvar *v = find(&s, names[i], strlen(names[i]));
        if (v) {
            snprintf(dst[i], sizeof out->dflt, "%s", v->value);
            *set[i] = true;
        }
    }
    return 0;
}

static bool nxoptions_ok(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || strchr("=,._/-", *s)))
            return false;
    return true;
}

/* The variables as x2gostartagent uses them: X2GO_NXAGENT_OPTIONS (file,
 * else environment) replaces the defaults when not blank. */
static int build(const struct x2go_agent_vars *v, struct x2go_agent_conf *c, const char *src)
{
    const char *env = getenv("X2GO_NXAGENT_OPTIONS");
    const char *opts = v->opts_set ? v->opts : env ? env : "";
    const char *use = opts[strspn(opts, " \t")] ? opts
                      : v->dflt_set                 ? v->dflt
                                                    : BUILTIN_AGENT_OPTIONS;
    memset(c, 0, sizeof *c);
    if (!x2go_is_printable_ascii(use) || strlen(use) >= sizeof c->storage) {
        x2go_seterr("%s: the agent options hold control or non-ASCII characters", src);
        return -1;
    }
    snprintf(c->storage, sizeof c->storage, "%s", use);
    char *save = NULL;
    for (char *w = strtok_r(c->storage, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        if (c->nargs >= X2GO_MAX_AGENT_ARGS) {
            x2go_seterr("%s: too many agent options", src);
            return -1;
        }
        c->args[c->nargs++] = w;
    }
    /* Extra keys of the options file, forced to end with ','. */
    env = getenv("X2GO_NXOPTIONS");
    char nxbuf[sizeof v->nxopts];
    snprintf(nxbuf, sizeof nxbuf, "%s", v->nxopts_set ? v->nxopts : env ? env : "");
    char *nx = nxbuf + strspn(nxbuf, " \t");
    nx[strcspn(nx, " \t")] = '\0';
    if (*nx) {
        if (!nxoptions_ok(nx) || strlen(nx) + 2 > sizeof c->nxoptions) {
            x2go_seterr("%s: X2GO_NXOPTIONS: only comma-separated key=value words are allowed",
                        src);
            return -1;
        }
        snprintf(c->nxoptions, sizeof c->nxoptions, "%s%s", nx,
                 nx[strlen(nx) - 1] == ',' ? "" : ",");
    }
    return 0;
}

int x2go_agent_conf_load(const char *path, struct x2go_agent_conf *c)
{
    static struct x2go_agent_vars v;
    memset(&v, 0, sizeof v);
    size_t len;
    bool bad = false;
    char *text = x2go_slurp(path, &len);
    if (!text)
        bad = errno != ENOENT; /* the error names the file */
    else if (memchr(text, '\0', len)) {
        x2go_seterr("%s: binary data", path);
        bad = true;
    } else
        bad = x2go_agent_conf_parse(path, text, &v) < 0;
    free(text);
    if (!bad && build(&v, c, path) == 0)
        return 0;
    char why[512];
    snprintf(why, sizeof why, "%s", x2go_err());
    /* Without the file: when that fails too, the environment is to blame. */
    memset(&v, 0, sizeof v);
    if (build(&v, c, "the environment") < 0)
        return -1;
    x2go_seterr("%s", why);
    x2go_log(LOG_ERR, "%s; starting agents with the built-in defaults", why);
    return 1;
}
