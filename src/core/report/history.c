#include "history.h"
#include "json.h"
#include "session.h"
#include "timelimit.h"
#include "util.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct x2go_hist_event *x2go_hist_add(struct x2go_hist_list *l)
{
    x2go_grow((void **)&l->e, &l->cap, l->n + 1, sizeof *l->e);
    struct x2go_hist_event *e = &l->e[l->n++];
    memset(e, 0, sizeof *e);
    e->display = X2GO_NULL_INT;
    return e;
}

void x2go_hist_free(struct x2go_hist_list *l)
{
    free(l->e);
    memset(l, 0, sizeof *l);
}

/* Exactly n digits at *p; advances. */
static bool digits(const char **p, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (**p < '0' || **p > '9')
            return false;
        *v = *v * 10 + (**p - '0');
    }
    return true;
}

static bool lit(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

/* YYYY-MM-DD[(T| )HH:MM[:SS][Z]], UTC; false when malformed or no real
 * date (a round trip through gmtime must give the same fields). */
static bool parse_date(const char *s, long long *out)
{
    const char *p = s;
    struct tm tm = {0};
    int y, mo, d, h = 0, mi = 0, sec = 0;
    if (!digits(&p, 4, &y) || !lit(&p, '-') || !digits(&p, 2, &mo) || !lit(&p, '-') ||
        !digits(&p, 2, &d))
        return false;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (!digits(&p, 2, &h) || !lit(&p, ':') || !digits(&p, 2, &mi))
            return false;
        if (lit(&p, ':') && !digits(&p, 2, &sec))
            return false;
        lit(&p, 'Z');
    }
    if (*p || y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59)
        return false;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    struct tm back;
    if (t == (time_t)-1 || !gmtime_r(&t, &back) || back.tm_mday != d || back.tm_mon != mo - 1)
        return false;
    *out = (long long)t;
    return true;
}

int x2go_time_parse(const char *s, long long now, long long *out)
{
    long v, d;
    if (s[0] == '@') {
        if (x2go_parse_long(s + 1, 0, 999999999999L, &v) < 0)
            goto bad;
        *out = v;
        return 0;
    }
    if (strlen(s) >= 10 && s[4] == '-') {
        if (!parse_date(s, out))
            goto bad;
        return 0;
    }
    if (x2go_duration_parse(s, &d) < 0)
        goto bad;
    *out = now - d;
    return 0;
bad:
    x2go_seterr("'%s' is no time (YYYY-MM-DD[THH:MM[:SS]] in UTC, @<unix seconds>, or a "
                "duration such as 2h meaning that long ago)", s);
    return -1;
}

void x2go_time_iso(long long t, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, len, "@%lld", t);
}

/* The value of an option that takes one: argv[*i + 1]. */
static const char *value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        x2go_seterr("option %s needs a value", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

static int time_opt(int argc, char **argv, int *i, long long now, long long *t)
{
    const char *v = value(argc, argv, i);
    return v ? x2go_time_parse(v, now, t) : -1;
}

int x2go_hist_args(int argc, char **argv, long long now, struct x2go_hist_query *q,
                   bool *json)
{
    struct x2go_hist_query r = {NULL, NULL, X2GO_HIST_NO_TIME, X2GO_HIST_NO_TIME};
    bool js = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int rc = 0;
        if (!strcmp(a, "--json") && !js)
            js = true;
        else if (!strcmp(a, "--user") && !r.user) {
            r.user = value(argc, argv, &i);
            if (r.user && !x2go_username_valid(r.user))
                rc = (x2go_seterr("invalid user name '%s'", r.user), -1);
            rc = r.user ? rc : -1;
        } else if (!strcmp(a, "--host") && !r.server) {
            r.server = value(argc, argv, &i);
            if (r.server && !x2go_valid_hostname(r.server))
                rc = (x2go_seterr("invalid host name '%s'", r.server), -1);
            rc = r.server ? rc : -1;
        } else if (!strcmp(a, "--since") && r.since == X2GO_HIST_NO_TIME)
            rc = time_opt(argc, argv, &i, now, &r.since);
        else if (!strcmp(a, "--until") && r.until == X2GO_HIST_NO_TIME)
            rc = time_opt(argc, argv, &i, now, &r.until);
        else
            rc = (x2go_seterr("unknown or repeated option '%s'", a), -1);
        if (rc < 0)
            return -1;
    }
    if (r.since != X2GO_HIST_NO_TIME && r.until != X2GO_HIST_NO_TIME && r.since > r.until) {
        x2go_seterr("--since is later than --until");
        return -1;
    }
    *q = r;
    *json = js;
    return 0;
}

static const char *const head[] = {"TIME", "EVENT", "USER", "HOST", "CLIENT", "DISPLAY",
                                   "SESSION"};
#define NCOLS 7

static void cells(const struct x2go_hist_event *e, char disp[16], char when[32],
                  const char *c[NCOLS])
{
    x2go_time_iso(e->time, when, 32);
    if (e->display == X2GO_NULL_INT)
        snprintf(disp, 16, "-");
    else
        snprintf(disp, 16, "%d", e->display);
    const char *v[NCOLS] = {when, e->event, e->uname, e->server,
                            e->client[0] ? e->client : "-", disp, e->sid};
    memcpy(c, v, sizeof v);
}

void x2go_hist_text(const struct x2go_hist_list *l, struct x2go_buf *b)
{
    size_t w[NCOLS];
    char disp[16], when[32];
    const char *c[NCOLS];
    for (int k = 0; k < NCOLS; k++)
        w[k] = strlen(head[k]);
    for (size_t i = 0; i < l->n; i++) {
        cells(&l->e[i], disp, when, c);
        for (int k = 0; k < NCOLS; k++)
            if (strlen(c[k]) > w[k])
                w[k] = strlen(c[k]);
    }
    for (size_t i = 0; i <= l->n; i++) {
        if (i == 0)
            memcpy(c, head, sizeof c);
        else
            cells(&l->e[i - 1], disp, when, c);
        /* The last column is not padded: no trailing blanks. */
        for (int k = 0; k < NCOLS - 1; k++)
            x2go_buf_printf(b, "%-*s  ", (int)w[k], c[k]);
        x2go_buf_printf(b, "%s\n", c[NCOLS - 1]);
    }
}

void x2go_hist_json(const struct x2go_hist_list *l, struct x2go_buf *b)
{
    char when[32];
    x2go_buf_add(b, "[", 1);
    for (size_t i = 0; i < l->n; i++) {
        const struct x2go_hist_event *e = &l->e[i];
        x2go_time_iso(e->time, when, sizeof when);
        x2go_buf_printf(b, "%s\n{\"time\":", i ? "," : "");
        x2go_json_str(b, when);
        x2go_buf_printf(b, ",\"epoch\":%lld,\"event\":", e->time);
        x2go_json_str(b, e->event);
        x2go_buf_add(b, ",\"user\":", 8);
        x2go_json_str(b, e->uname);
        x2go_buf_add(b, ",\"host\":", 8);
        x2go_json_str(b, e->server);
        x2go_buf_add(b, ",\"client\":", 10);
        x2go_json_str(b, e->client[0] ? e->client : NULL);
        x2go_buf_add(b, ",\"display\":", 11);
        x2go_json_int(b, e->display);
        x2go_buf_add(b, ",\"session_id\":", 14);
        x2go_json_str(b, e->sid);
        x2go_buf_add(b, "}", 1);
    }
    x2go_buf_add(b, "\n]\n", 3);
}
