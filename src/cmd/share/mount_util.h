/* What the share commands (x2gomountdirs, x2goumount-session,
 * x2golistmounts) have in common. */
#ifndef X2GO_MOUNT_UTIL_H
#define X2GO_MOUNT_UTIL_H

#include "sessctl.h"

/* Open the context and the caller's session sid (NULL: $X2GO_SESSION;
 * none: the reference's error). 0, or the exit status with the error set
 * (the context is closed then). */
int x2go_share_session(struct x2go_ctx *c, const char *sid, struct x2go_session *s);

/* /tmp/.x2go-<user> of the caller, checked (exists, owner, no link). */
int x2go_share_top(const struct x2go_ctx *c, char *out, size_t len);

/* The store lacks the mounts operations (a backend without them). */
int x2go_share_store_ok(const struct x2go_ctx *c);

#endif
