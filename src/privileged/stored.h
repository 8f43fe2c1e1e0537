/* x2go-stored: the store server (see stored.c). */
#ifndef X2GO_STORED_H
#define X2GO_STORED_H

#include "strbuf.h"

#include <stddef.h>
#include <sys/types.h>

/* Answer one complete request of the peer uid: decode and check it
 * against the protocol table, run it in the database at path, and write
 * status byte, '\n' and body to reply. Never touches the client. */
void x2go_stored_handle(const char *path, uid_t uid, char *req, size_t n,
                        struct x2go_buf *reply);

/* The writers' queue shared by all children (stored_wlock.c): set up once
 * in the parent before the first fork; take before a write operation (0, or
 * -1 with the error set after timeout_ms), drop after its commit. */
int x2go_wlock_init(void);
int x2go_wlock_take(long timeout_ms);
void x2go_wlock_drop(void);

#endif
