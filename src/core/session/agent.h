/* The agent's side of a session: where its files live, what its state
 * file says, and how that maps onto the database status (spec 1.4). */
#ifndef X2GO_AGENT_H
#define X2GO_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sessfiles.h" /* the paths of the session dir, where the state file is */

enum x2go_agent_state {
    X2GO_AS_UNKNOWN, X2GO_AS_STARTING, X2GO_AS_RUNNING, X2GO_AS_SUSPENDING,
    X2GO_AS_SUSPENDED, X2GO_AS_RESUMING, X2GO_AS_TERMINATING, X2GO_AS_TERMINATED,
};

enum x2go_agent_state x2go_agent_state_parse(const char *text);
const char *x2go_agent_state_name(enum x2go_agent_state s);

/* Read <session dir>/state. The user's tmp dir must be a real directory
 * owned by uid (no symlinks, nothing planted by others); UNKNOWN otherwise. */
enum x2go_agent_state x2go_agent_state_read(const char *user, uid_t uid, const char *sid);

/* The status the database should hold, from what it holds now, whether the
 * agent process lives and what its state file says: one table, used by the
 * listings and by the clean-up daemon's decisions. Pure: unit-tested. */
char x2go_reconcile(char db_status, bool agent_alive, enum x2go_agent_state st);

#endif
