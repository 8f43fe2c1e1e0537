#include "sharing.h"
#include "util.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The <user> of "<0|1>XSHAD<user>XSHAD<rest>": its length, rest in *rest;
 * 0 when cmd has not that shape. */
static size_t xshad_user(const char *cmd, const char **user, const char **rest)
{
    if ((cmd[0] != '0' && cmd[0] != '1') || strncmp(cmd + 1, "XSHAD", 5) != 0)
        return 0;
    *user = cmd + 6;
    const char *end = strstr(*user, "XSHAD");
    if (!end || end == *user || end - *user > X2GO_USER_MAX)
        return 0;
    *rest = end + 5;
    return (size_t)(end - *user);
}

int x2go_shadow_req_parse(const char *cmd, struct x2go_shadow_req *out)
{
    const char *user, *rest;
    size_t ul = xshad_user(cmd, &user, &rest);
    if (ul == 0) {
        x2go_seterr("invalid shadow request '%.120s' (use <0|1>XSHAD<user>XSHAD<display>)",
                    cmd);
        return -1;
    }
    memcpy(out->user, user, ul);
    out->user[ul] = '\0';
    if (!x2go_username_valid(out->user)) {
        x2go_seterr("invalid user name in the shadow request '%.120s'", cmd);
        return -1;
    }
    const char *d = rest[0] == ':' ? rest + 1 : rest;
    size_t nd = strspn(d, "0123456789");
    if (nd < 1 || nd > 4 || (d[nd] && strcmp(d + nd, ".0"))) {
        x2go_seterr("invalid display to shadow '%.40s'", rest);
        return -1;
    }
    out->mode = cmd[0] - '0';
    out->display = atoi(d);
    return 0;
}

bool x2go_shadow_of(char type, const char *idcmd, const char *user)
{
    struct x2go_shadow_req r;
    return type == 'S' && x2go_shadow_req_parse(idcmd, &r) == 0 && !strcmp(r.user, user);
}

const char *x2go_agent_user(const char *sid, const char *uname, char *buf, size_t len)
{
    struct x2go_sid s;
    const char *user, *rest;
    size_t ul;
    if (x2go_sid_parse(sid, &s) < 0 || s.type != 'S' ||
        (ul = xshad_user(s.command, &user, &rest)) == 0 || ul >= len)
        return uname;
    memcpy(buf, user, ul);
    buf[ul] = '\0';
    return buf;
}

/* Whitespace-separated fields of text (modified in place). */
static int split(char *text, char *f[], int max)
{
    int n = 0;
    for (char *t = strtok(text, " \t\r\n"); t; t = strtok(NULL, " \t\r\n"))
        if (n < max)
            f[n++] = t;
        else
            return max + 1;
    return n;
}

static int number(const char *s, long lo, long hi, int *out)
{
    long v;
    if (x2go_parse_long(s, lo, hi, &v) < 0)
        return -1;
    *out = (int)v;
    return 0;
}

/* The id must be "<requester>-..._stS<m>XSHAD<owner>XSHAD...". */
static int answer_sid(const char *sid, const char *requester, const char *owner)
{
    struct x2go_sid s;
    char buf[X2GO_USER_MAX + 1];
    if (x2go_sid_parse(sid, &s) < 0 || strcmp(s.owner, requester) || s.type != 'S' ||
        strcmp(x2go_agent_user(sid, "", buf, sizeof buf), owner))
        return -1;
    return 0;
}

int x2go_share_answer_parse(char *text, const char *requester, const char *owner,
                            struct x2go_share_answer *out)
{
    memset(out, 0, sizeof *out);
    for (char *p = strstr(text, "#012"); p; p = strstr(p, "#012"))
        memcpy(p, "    ", 4);
    const char *t = text + strspn(text, " \t\r\n");
    if (!*t || !strncmp(t, "DENY", 4)) {
        out->denied = true;
        if (*t)
            t += 4 + strspn(t + 4, " ");
        size_t n = strcspn(t, "\r\n");
        snprintf(out->reason, sizeof out->reason, "%.*s", (int)n, *t ? t : "no answer");
        return 0;
    }
    char *f[8];
    if (split(text, f, 7) != 7) {
        x2go_seterr("the sharing applet's answer does not have 7 fields");
        return -1;
    }
    if (number(f[0], 1, 65535, &out->display) < 0 || !x2go_valid_cookie(f[1]) ||
        !x2go_valid_pid(f[2]) || number(f[2], 2, 4194304, &out->pid) < 0 ||
        strlen(f[3]) > X2GO_SID_MAX || answer_sid(f[3], requester, owner) < 0) {
        x2go_seterr("the sharing applet's answer is malformed");
        return -1;
    }
    for (int i = 0; i < 3; i++)
        if (number(f[4 + i], 1, 65535, &out->ports[i]) < 0) {
            x2go_seterr("the sharing applet's answer holds a bad port");
            return -1;
        }
    strcpy(out->cookie, f[1]);
    strcpy(out->sid, f[3]);
    return 0;
}
