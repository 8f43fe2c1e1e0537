/* Session limits (spec 2.5 x2gosessionlimit): [limit users] <login> and
 * [limit groups] <group> of x2goserver.conf against the caller's non-F
 * sessions. */
#ifndef X2GO_LIMIT_H
#define X2GO_LIMIT_H

#include <stddef.h>
#include <sys/types.h>

#include "store.h"

/* Writes what x2gosessionlimit prints (without newline): "" when no limit
 * applies, "0" for unlimited, the limit when below it, "LIMIT" when
 * reached. Returns 1 when the limit is reached, 0 otherwise, -1 on error. */
int x2go_session_limit(struct x2go_store *st, char *out, size_t len);

/* The limit for user with the given groups: 1 and *lim (0: unlimited)
 * when one is configured, 0 when none is, -1 on error. */
int x2go_limit_lookup(const char *user, const gid_t *groups, int ng, long *lim);

#endif
