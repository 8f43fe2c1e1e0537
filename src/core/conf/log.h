/* syslog, facility user, masked by [log] loglevel. Where journald runs,
 * entries go to the journal with the session id and its user as fields of
 * their own (X2GO_SESSION_ID, X2GO_USER). Text that came from outside is
 * escaped so a session id can never forge a line or a field. */
#ifndef X2GO_LOG_H
#define X2GO_LOG_H

#include <stddef.h>
#include <syslog.h>

void x2go_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Escape control and non-ASCII bytes as \xNN into buf. */
const char *x2go_log_escape(const char *in, char *buf, unsigned len);

/* The session this process works on: its id and owner become the fields
 * of every later entry; NULL clears it. Without it, an entry's session is
 * the first session id its message names. */
void x2go_log_set_session(const char *sid);

/* Pure: the first word of msg (split on spaces and quotes) that is a
 * session id, copied into buf; NULL when there is none. */
const char *x2go_log_find_sid(const char *msg, char *buf, size_t len);

/* Pure: one journal entry in the native protocol (KEY=value lines) for an
 * escaped message. sid and user may be empty. Its length, or -1 when it
 * does not fit. */
int x2go_log_journal_entry(char *buf, size_t len, int prio, const char *ident,
                           const char *msg, const char *sid, const char *user);

#endif
