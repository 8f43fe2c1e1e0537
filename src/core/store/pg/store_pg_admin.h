/* PostgreSQL administration for x2godbadmin: schema, guard, roles. All
 * functions return 0 (or a count) or -1 with the error set. */
#ifndef X2GO_STORE_PG_ADMIN_H
#define X2GO_STORE_PG_ADMIN_H

#include "store_pg_int.h"

#define X2GO_PG_PASSWORD_LEN 32

/* The reference's sessions_view update rule (also recreated by
 * --updatedb after adding columns). */
#define X2GO_PG_SESS_VIEW_RULE                                                       \
    "CREATE OR REPLACE RULE update_sess_view AS ON UPDATE TO sessions_view DO INSTEAD" \
    " UPDATE sessions SET status = NEW.status, last_time = NEW.last_time,"           \
    " cookie = NEW.cookie, agent_pid = NEW.agent_pid, client = NEW.client,"          \
    " gr_port = NEW.gr_port, sound_port = NEW.sound_port, fs_port = NEW.fs_port,"    \
    " tekictrl_port = NEW.tekictrl_port, tekidata_port = NEW.tekidata_port"          \
    " WHERE session_id = OLD.session_id AND creator_id = current_user"

/* Tables, views, rules, grants and guard in one transaction. */
int x2go_pg_admin_schema(PGconn *pg);
/* (Re)install the guard triggers and the session history on an existing
 * database (nothing is dropped). */
int x2go_pg_admin_guard(PGconn *pg);
/* "<verb> <quoted role>[ LOGIN PASSWORD '<hash>']" into sql. */
int x2go_pg_admin_role_sql(PGconn *pg, const char *verb, const char *role,
                           const char *password, char *sql, size_t len);
/* 1 exists, 0 not, -1 error. */
int x2go_pg_admin_role_exists(PGconn *pg, const char *role);
int x2go_pg_admin_drop_role(PGconn *pg, const char *role);
/* Drop and recreate a user's role with the reference's grants. */
int x2go_pg_admin_add_role(PGconn *pg, const char *role, const char *password);
/* X2GO_PG_PASSWORD_LEN letters and digits from getrandom(). */
int x2go_pg_admin_password(char *buf, size_t len);

#endif
