/* x2gostartagent's request for another user's desktop (spec 2.2 step 3):
 * ask that user's x2godesktopsharing applet, through the applet's own
 * client mode, and relay its answer. */
#ifndef X2GO_SHARE_ASK_H
#define X2GO_SHARE_ASK_H

#include "sharing.h"

#define X2GO_SHARING_BIN "/usr/bin/x2godesktopsharing"

/* args are x2gostartagent's first 9 arguments, client the requester's
 * address, user the requester. Fills *a: refused (denied set, with the
 * reason), or the owner's new shadow agent. -1 (error set) only when the
 * applet could not be asked at all. */
int x2go_share_ask(char *const args[9], const char *client, const char *user,
                   const struct x2go_shadow_req *r, int timeout_ms,
                   struct x2go_share_answer *a);

#endif
