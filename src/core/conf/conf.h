/* Typed access to /etc/x2go/x2goserver.conf and /etc/x2go/x2gosql/sql.
 * Files are read once per process, on first use, so commands that never
 * need a key never fail on a broken file. */
#ifndef X2GO_CONF_H
#define X2GO_CONF_H

#include <stdbool.h>

#include "ini.h"

#define X2GO_SERVER_CONF X2GO_CONFDIR "/x2goserver.conf"
#define X2GO_SQL_CONF X2GO_CONFDIR "/x2gosql/sql"

/* NULL (error set) when the file exists but cannot be read. */
const struct x2go_ini *x2go_server_conf(void);
const struct x2go_ini *x2go_sql_conf(void);

/* A string value with a default; -1 (error set) if the file or section is
 * broken. */
int x2go_conf_str(const char *section, const char *key, const char *def,
                  const char **out);
/* A boolean value; an unrecognised word is an error naming file, line and
 * key. */
int x2go_conf_bool(const char *section, const char *key, bool def, bool *out);

/* syslog priority from [log] loglevel; notice when unset or unknown. */
int x2go_conf_loglevel(void);

enum x2go_backend { X2GO_BACKEND_SQLITE, X2GO_BACKEND_POSTGRES };
/* backend= from x2gosql/sql; -1 with a clear error for anything else. */
int x2go_conf_backend(enum x2go_backend *out);

/* For tests: read configuration from other files. */
void x2go_conf_override(const char *server_conf, const char *sql_conf);

#endif
