/* The store protocol between unprivileged commands and x2go-stored: ONE
 * table of operations (name, argument kinds, root-only, reply shape) that
 * both ends use. The client encodes from it; the server decodes, checks
 * every argument against its kind's grammar and runs the operation.
 *
 * Wire format over the Unix socket, one request per connection:
 *   request: <op> NUL <arg> NUL ... then the client shuts down writing;
 *   reply:   one status byte, '\n', then the body (the shape of the
 *            operation on success, the reason on failure). */
#ifndef X2GO_STOREPROTO_H
#define X2GO_STOREPROTO_H

#include <stdbool.h>
#include <stddef.h>

#define X2GO_STORE_SOCK "/run/x2go/store.sock"
#define X2GO_SP_REQ_MAX 4096
#define X2GO_SP_ARGS_MAX 10

enum x2go_sp_op {
    SP_LIST, SP_GET, SP_STATUS, SP_RESERVE, SP_CREATE, SP_RESUME, SP_REMOVE,
    SP_ABANDON, SP_SERVERS, SP_MOUNT_ADD, SP_MOUNT_LIST, SP_MOUNT_DEL, SP_END,
    SP_SHADOW_RESERVE, SP_NOPS,
};

enum x2go_sp_arg {
    SA_KIND, SA_SERVER_OR_ALL, SA_SID, SA_STATUS, SA_EPOCH, SA_TYPE, SA_IDCMD,
    SA_DEPTH, SA_XDMCP, SA_DISPLAY, SA_PORT, SA_NPORTS, SA_COOKIE, SA_PID, SA_CLIENT,
    SA_MOUNT_PATH, SA_MOUNT_PATH_OR_ALL, SA_USER,
};

enum x2go_sp_reply {
    SR_NONE,        /* nothing */
    SR_SESSIONS,    /* list lines, one per session */
    SR_SESSION,     /* one list line */
    SR_RESERVATION, /* "<display> <sid> <port> x5" */
    SR_PORTS,       /* "<port> x5" */
    SR_LINES,       /* plain lines */
};

struct x2go_sp_opdesc {
    const char *name;
    int nargs;
    enum x2go_sp_arg args[X2GO_SP_ARGS_MAX];
    bool root_only;
    enum x2go_sp_reply reply;
    bool writes;    /* serialised in the server: see stored_wlock.c */
};

extern const struct x2go_sp_opdesc x2go_sp_ops[SP_NOPS];

/* Reply status bytes; each maps to one store return value. */
#define SP_OK '0'
#define SP_NOTFOUND '1'
#define SP_NOPORT 'P'
#define SP_LIMIT 'L'
#define SP_ERROR 'E'
/* Not a store value: the server is at its bound for this caller and did
 * nothing; the client asks again a little later. */
#define SP_BUSY 'B'

char x2go_sp_status_of(int rc);
int x2go_sp_rc_of(char status);

/* Encode op and its arguments into buf; the length, or -1 (error set). */
int x2go_sp_encode(char *buf, size_t len, enum x2go_sp_op op, const char *const args[]);
/* Split a received request in place: the op and its arguments (pointers
 * into buf). 0, or -1 with the error set (unknown op, wrong count). */
int x2go_sp_decode(char *buf, size_t n, enum x2go_sp_op *op, char *args[X2GO_SP_ARGS_MAX]);

#endif
