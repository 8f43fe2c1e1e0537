#include "log.h"
#include "conf.h"
#include "util.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

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

void x2go_log(int prio, const char *fmt, ...)
{
    static bool opened;
    static int mask = -1;
    if (mask < 0)
        mask = x2go_conf_loglevel();
    if (prio > mask)
        return;
    if (!opened) {
        openlog(x2go_progname(), LOG_PID, LOG_USER);
        opened = true;
    }
    char msg[1024], esc[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    syslog(prio, "%s", x2go_log_escape(msg, esc, sizeof esc));
}
