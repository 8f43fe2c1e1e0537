#include "session.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct x2go_session *x2go_list_add(struct x2go_session_list *l)
{
    x2go_grow((void **)&l->s, &l->cap, l->n + 1, sizeof *l->s);
    struct x2go_session *s = &l->s[l->n++];
    memset(s, 0, sizeof *s);
    return s;
}

void x2go_list_free(struct x2go_session_list *l)
{
    free(l->s);
    l->s = NULL;
    l->n = l->cap = 0;
}

bool x2go_status_valid(char c) { return c == 'R' || c == 'S' || c == 'T' || c == 'F'; }

/* NULL ints print as empty fields, like the reference's DBI undef. */
static const char *num(long v, char *buf, size_t len)
{
    if (v == X2GO_NULL_INT)
        return "";
    snprintf(buf, len, "%ld", v);
    return buf;
}

int x2go_session_format(const struct x2go_session *s, int nfields, char *buf,
                        size_t len)
{
    char a[24], d[24], g[24], snd[24], age[24], fs[24], tc[24], td[24];
    int n = snprintf(buf, len, "%s|%s|%s|%s|%c|%s|%s|%s|%s|%s|%s|%s|%s|%s",
                     num(s->agent_pid, a, sizeof a), s->sid,
                     num(s->display, d, sizeof d), s->server, s->status,
                     s->init_time, s->cookie, s->client,
                     num(s->gr_port, g, sizeof g), num(s->sound_port, snd, sizeof snd),
                     s->last_time, s->uname, num(s->age, age, sizeof age),
                     num(s->fs_port, fs, sizeof fs));
    if (n >= 0 && nfields == 16 && (size_t)n < len)
        n += snprintf(buf + n, len - (size_t)n, "|%s|%s",
                      num(s->tekictrl_port, tc, sizeof tc),
                      num(s->tekidata_port, td, sizeof td));
    if (n < 0 || (size_t)n >= len) {
        x2go_seterr("internal: list line too long");
        return -1;
    }
    return n;
}

static int parse_int(const char *f, long *out, long min, long max)
{
    if (!*f) {
        *out = X2GO_NULL_INT;
        return 0;
    }
    const char *p = f;
    bool neg = *p == '-';
    if (neg)
        p++;
    long v;
    if (x2go_parse_long(p, 0, max, &v) < 0)
        return -1;
    v = neg ? -v : v;
    if (v < min)
        return -1;
    *out = v;
    return 0;
}

static int copy_field(char *dst, size_t len, const char *src)
{
    if (strlen(src) >= len)
        return -1;
    strcpy(dst, src);
    return 0;
}

int x2go_session_parse(const char *line, struct x2go_session *s)
{
    char buf[2048];
    char *f[17];
    int nf = 0;
    if (strlen(line) >= sizeof buf)
        goto bad;
    strcpy(buf, line);
    for (char *p = buf;; ) {
        if (nf == 17)
            goto bad;
        f[nf++] = p;
        char *bar = strchr(p, '|');
        if (!bar)
            break;
        *bar = '\0';
        p = bar + 1;
    }
    if (nf < 14 || nf > 16)
        goto bad;
    memset(s, 0, sizeof *s);
    long v;
    if (parse_int(f[0], &s->agent_pid, 0, 0x7fffffff) < 0)
        goto bad;
    if (copy_field(s->sid, sizeof s->sid, f[1]) < 0)
        goto bad;
    if (parse_int(f[2], &v, 0, 65535) < 0 || v == X2GO_NULL_INT)
        goto bad;
    s->display = (int)v;
    if (copy_field(s->server, sizeof s->server, f[3]) < 0 || strlen(f[4]) != 1 ||
        !x2go_status_valid(f[4][0]))
        goto bad;
    s->status = f[4][0];
    if (copy_field(s->init_time, sizeof s->init_time, f[5]) < 0 ||
        copy_field(s->cookie, sizeof s->cookie, f[6]) < 0 ||
        copy_field(s->client, sizeof s->client, f[7]) < 0)
        goto bad;
    int *ports[] = {&s->gr_port, &s->sound_port};
    for (int i = 0; i < 2; i++) {
        if (parse_int(f[8 + i], &v, -1, 65535) < 0)
            goto bad;
        *ports[i] = (int)v;
    }
    if (copy_field(s->last_time, sizeof s->last_time, f[10]) < 0 ||
        copy_field(s->uname, sizeof s->uname, f[11]) < 0 ||
        parse_int(f[12], &s->age, -0x7fffffff, 0x7fffffff) < 0)
        goto bad;
    int *more[] = {&s->fs_port, &s->tekictrl_port, &s->tekidata_port};
    for (int i = 0; i < 3; i++) {
        v = X2GO_NULL_INT;
        if (13 + i < nf && parse_int(f[13 + i], &v, -1, 65535) < 0)
            goto bad;
        *more[i] = (int)v;
    }
    return 0;
bad:
    x2go_seterr("malformed session line");
    return -1;
}
