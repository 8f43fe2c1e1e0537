/* x2godbadmin's PostgreSQL actions (--createdb, --updatedb, --listusers,
 * --adduser, --rmuser, --addgroup, --rmgroup). Returns the exit status. */
#ifndef X2GO_DBADMIN_PG_H
#define X2GO_DBADMIN_PG_H

#include <stdio.h>

int x2go_dbadmin_pg(const char *action, const char *arg, FILE *out);

#endif
