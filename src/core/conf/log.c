#include "log.h"
#include "conf.h"
#include "sid.h"
#include "util.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static char session[X2GO_SID_MAX + 1];

const char *x2go_log_escape(const char *in, char *buf, unsigned len)
{
    unsigned o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && o + 5 < len; p++) {
        if (*p >= 0x20 && *p < 0x7f && *p != '\\')
            buf[o++] = (char)*p;
        else
            o += (unsigned)snprintf(buf + o, len - o, "\\x%02x", *p);
    }
    buf[o] = '\0';
    return buf;
}

void x2go_log_set_session(const char *sid)
{
    session[0] = '\0';
    if (sid && x2go_sid_valid(sid))
        snprintf(session, sizeof session, "%s", sid);
}

const char *x2go_log_find_sid(const char *msg, char *buf, size_t len)
{
    static const char seps[] = " \t\"'";
    for (const char *p = msg; *p;) {
        p += strspn(p, seps);
        size_t n = strcspn(p, seps);
        if (n && n < len) {
            memcpy(buf, p, n);
            buf[n] = '\0';
            if (x2go_sid_valid(buf))
                return buf;
        }
        p += n;
    }
    return NULL;
}

int x2go_log_journal_entry(char *buf, size_t len, int prio, const char *ident,
                           const char *msg, const char *sid, const char *user)
{
    char esc[256];
    int n = snprintf(buf, len,
                     "MESSAGE=%s\nPRIORITY=%d\nSYSLOG_FACILITY=%d\nSYSLOG_IDENTIFIER=%s\n"
                     "SYSLOG_PID=%d\n",
                     msg, prio, LOG_USER >> 3, x2go_log_escape(ident, esc, sizeof esc),
                     (int)getpid());
    if (n < 0 || (size_t)n >= len)
        return -1;
    /* Both are checked against their grammars: no newline can get in. */
    if (sid[0] && x2go_sid_valid(sid)) {
        int m = snprintf(buf + n, len - (size_t)n, "X2GO_SESSION_ID=%s\n", sid);
        if (m < 0 || (size_t)m >= len - (size_t)n)
            return -1;
        n += m;
    }
    if (user[0] && x2go_username_valid(user)) {
        int m = snprintf(buf + n, len - (size_t)n, "X2GO_USER=%s\n", user);
        if (m < 0 || (size_t)m >= len - (size_t)n)
            return -1;
        n += m;
    }
    return n;
}

/* One datagram to journald in its native protocol
 * (systemd.io/JOURNAL_NATIVE_PROTOCOL); false when journald is not there
 * and the caller uses syslog. */
static bool journal(int prio, const char *msg)
{
    static int fd = -1;
    static const struct sockaddr_un sa = {.sun_family = AF_UNIX, .sun_path = JOURNAL_SOCKET};
    if (fd < 0 && (fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
        return false;
    char sidbuf[X2GO_SID_MAX + 1], user[X2GO_USER_MAX + 1] = "";
    const char *sid = session[0] ? session : x2go_log_find_sid(msg, sidbuf, sizeof sidbuf);
    struct x2go_sid parsed;
    if (sid && x2go_sid_parse(sid, &parsed) == 0) {
        snprintf(user, sizeof user, "%s", parsed.owner);
    } else {
        const struct passwd *pw = getpwuid(getuid());
        snprintf(user, sizeof user, "%s", pw ? pw->pw_name : "");
    }
    char entry[4096];
    int n = x2go_log_journal_entry(entry, sizeof entry, prio, x2go_progname(), msg,
                                   sid ? sid : "", user);
    return n > 0 && sendto(fd, entry, (size_t)n, MSG_NOSIGNAL, (const struct sockaddr *)&sa,
                           sizeof sa) == n;
}

void x2go_log(int prio, const char *fmt, ...)
{
    static bool opened;
    static int mask = -1;
    if (mask < 0)
        mask = x2go_conf_loglevel();
    if (prio > mask)
        return;
    char msg[1024], esc[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    x2go_log_escape(msg, esc, sizeof esc);
    /* Logging never changes the caller's error or errno (the id checks set
     * the error when a word is no id). */
    int saved_errno = errno;
    char saved_err[1024];
    snprintf(saved_err, sizeof saved_err, "%s", x2go_err());
    bool sent = journal(prio, esc);
    x2go_seterr("%s", saved_err);
    errno = saved_errno;
    if (sent)
        return;
    if (!opened) {
        openlog(x2go_progname(), LOG_PID, LOG_USER);
        opened = true;
    }
    syslog(prio, "%s", esc);
}
