/* syslog, facility user, masked by [log] loglevel. Text that came from
 * outside is escaped so a session id can never forge a log line. */
#ifndef X2GO_LOG_H
#define X2GO_LOG_H

#include <syslog.h>

void x2go_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Escape control and non-ASCII bytes as \xNN into buf. */
const char *x2go_log_escape(const char *in, char *buf, unsigned len);

#endif
