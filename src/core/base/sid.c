#include "sid.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

static bool user_char(char c) { return id_char(c) || c == '@'; }

bool x2go_username_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > X2GO_USER_MAX || name[0] == '-' || name[0] == '@')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!user_char(name[i]))
            return false;
    return true;
}

/* Count a run of digits starting at p. */
static size_t digits(const char *p)
{
    size_t n = 0;
    while (p[n] >= '0' && p[n] <= '9')
        n++;
    return n;
}

static int fail(const char *sid, const char *why)
{
    char shown[64];
    size_t i = 0;
    for (; sid[i] && i < 40; i++)
        shown[i] = (sid[i] >= 0x20 && sid[i] < 0x7f) ? sid[i] : '?';
    shown[i] = '\0';
    x2go_seterr("invalid session id '%s%s': %s", shown, sid[i] ? "..." : "", why);
    return -1;
}

int x2go_sid_parse(const char *sid, struct x2go_sid *out)
{
    size_t len = strlen(sid);
    if (len == 0)
        return fail(sid, "empty");
    if (len > X2GO_SID_MAX)
        return fail(sid, "longer than 500 characters");
    for (size_t i = 0; i < len; i++)
        if (!user_char(sid[i]))
            return fail(sid, "characters outside [A-Za-z0-9._@-]");
    if (sid[0] == '-' || sid[0] == '@')
        return fail(sid, "must not start with '-' or '@'");

    /* The owner may itself contain '-', so find "-<2..4 digits>-<9..12
     * digits>_" scanning from the left: the first match is the split. */
    const char *p = sid;
    const char *disp = NULL;
    for (const char *q = strchr(sid, '-'); q; q = strchr(q + 1, '-')) {
        if (q == sid)
            continue;
        size_t nd = digits(q + 1);
        if (nd < 2 || nd > 4 || q[1 + nd] != '-')
            continue;
        size_t ne = digits(q + 2 + nd);
        if (ne < 9 || ne > 12 || q[2 + nd + ne] != '_')
            continue;
        disp = q;
        break;
    }
    if (!disp)
        return fail(sid, "expected <user>-<display>-<epoch>_...");
    size_t ownlen = (size_t)(disp - p);
    if (ownlen > X2GO_USER_MAX)
        return fail(sid, "user name too long");
    const char *rest = disp + 1;
    size_t nd = digits(rest);
    int display = atoi(rest);
    const char *ep = rest + nd + 1;
    size_t ne = digits(ep);
    const char *tail = ep + ne + 1; /* after '_' */

    /* tail: [A-Za-z0-9._-]*_dp\d{1,2}[A-Za-z0-9._-]* with no '@' */
    if (strchr(tail, '@'))
        return fail(sid, "'@' after the user name");
    const char *dp = NULL;
    for (const char *q = strstr(tail, "_dp"); q; q = strstr(q + 1, "_dp")) {
        if (digits(q + 3) >= 1)
            dp = q; /* "_dp123" is "_dp12" + tail "3", as in the sanitizer */
    }
    if (!dp)
        return fail(sid, "missing _dp<depth>");
    if (strncmp(tail, "st", 2) != 0 || tail + 2 >= dp)
        return fail(sid, "missing _st<type>");

    if (out) {
        memset(out, 0, sizeof *out);
        memcpy(out->owner, p, ownlen);
        out->display = display;
        out->epoch = atoll(ep);
        out->type = tail[2];
        size_t cl = (size_t)(dp - (tail + 3));
        memcpy(out->command, tail + 3, cl);
        out->command[cl] = '\0';
        out->depth = (dp[3] - '0') * (digits(dp + 3) >= 2 ? 10 : 1) +
                     (digits(dp + 3) >= 2 ? dp[4] - '0' : 0);
        out->shadow = strstr(out->command, "XSHAD") != NULL;
    }
    return 0;
}

bool x2go_sid_valid(const char *sid) { return x2go_sid_parse(sid, NULL) == 0; }

int x2go_sid_build(char *buf, size_t len, const char *owner, int display,
                   long long epoch, char type, const char *command, int depth,
                   const char *xdmcp_host)
{
    char raw[X2GO_SID_MAX * 2 + 64];
    if (x2go_fmt(raw, sizeof raw, "%s-%d-%lld_st%c%s_dp%d%s%s", owner, display,
                 epoch, type, command, depth, xdmcp_host ? "_" : "",
                 xdmcp_host ? xdmcp_host : "") < 0)
        return -1;
    size_t o = 0;
    for (const char *s = raw; *s; s++) {
        if (*s == ':') {
            if (o + 2 >= len)
                goto toolong;
            buf[o++] = 'P';
            buf[o++] = 'P';
        } else if (user_char(*s)) {
            if (o + 1 >= len)
                goto toolong;
            buf[o++] = *s;
        }
    }
    buf[o] = '\0';
    return 0;
toolong:
    x2go_seterr("session id would be longer than %zu characters", len - 1);
    return -1;
}
