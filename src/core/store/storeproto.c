#include "storeproto.h"
#include "store.h"
#include "util.h"

#include <string.h>

const struct x2go_sp_opdesc x2go_sp_ops[SP_NOPS] = {
    [SP_LIST] = {"list", 2, {SA_KIND, SA_SERVER_OR_ALL}, false, SR_SESSIONS},
    [SP_GET] = {"get", 1, {SA_SID}, false, SR_SESSION},
    [SP_STATUS] = {"status", 2, {SA_STATUS, SA_SID}, false, SR_NONE, true},
    /* No server name: the server puts its own host name in the row. */
    [SP_RESERVE] = {"reserve", 8, {SA_EPOCH, SA_TYPE, SA_IDCMD, SA_DEPTH, SA_XDMCP,
                                   SA_DISPLAY, SA_PORT, SA_NPORTS}, false, SR_RESERVATION, true},
    [SP_CREATE] = {"create", 9, {SA_SID, SA_COOKIE, SA_PID, SA_CLIENT, SA_PORT, SA_PORT,
                                 SA_PORT, SA_PORT, SA_PORT}, false, SR_NONE, true},
    [SP_RESUME] = {"resume", 3, {SA_SID, SA_CLIENT, SA_PORT}, false, SR_PORTS, true},
    [SP_REMOVE] = {"remove", 1, {SA_SID}, true, SR_NONE, true},
    [SP_ABANDON] = {"abandon", 1, {SA_SID}, false, SR_NONE, true},
    [SP_SERVERS] = {"servers", 0, {0}, false, SR_LINES},
    /* The path's owner part is checked against the session's owner. */
    [SP_MOUNT_ADD] = {"mount_add", 3, {SA_SID, SA_MOUNT_PATH, SA_CLIENT}, false, SR_NONE, true},
    [SP_MOUNT_LIST] = {"mount_list", 1, {SA_SID}, false, SR_LINES},
    [SP_MOUNT_DEL] = {"mount_del", 2, {SA_SID, SA_MOUNT_PATH_OR_ALL}, false, SR_NONE, true},
    /* Status F, recorded in the history as terminated. */
    [SP_END] = {"end", 1, {SA_SID}, false, SR_NONE, true},
    /* A shadow row of the caller's own desktop for the requesting user
     * (desktop sharing, after the caller's applet said yes). */
    [SP_SHADOW_RESERVE] = {"shadow_reserve", 9, {SA_USER, SA_EPOCH, SA_TYPE, SA_IDCMD, SA_DEPTH,
                                                 SA_XDMCP, SA_DISPLAY, SA_PORT, SA_NPORTS},
                           false, SR_RESERVATION, true},
};

static const struct {
    char status;
    int rc;
} codes[] = {
    {SP_OK, 0}, {SP_NOTFOUND, 1}, {SP_NOPORT, X2GO_STORE_NOPORT},
    {SP_LIMIT, X2GO_STORE_LIMIT}, {SP_ERROR, -1},
};

char x2go_sp_status_of(int rc)
{
    for (size_t i = 0; i < X2GO_ARRAY_LEN(codes); i++)
        if (codes[i].rc == rc)
            return codes[i].status;
    return SP_ERROR;
}

int x2go_sp_rc_of(char status)
{
    for (size_t i = 0; i < X2GO_ARRAY_LEN(codes); i++)
        if (codes[i].status == status)
            return codes[i].rc;
    return -1;
}

int x2go_sp_encode(char *buf, size_t len, enum x2go_sp_op op, const char *const args[])
{
    size_t o = 0;
    for (int i = -1; i < x2go_sp_ops[op].nargs; i++) {
        const char *s = i < 0 ? x2go_sp_ops[op].name : args[i];
        size_t n = strlen(s) + 1;
        if (n > len - o) {
            x2go_seterr("store request too long");
            return -1;
        }
        memcpy(buf + o, s, n);
        o += n;
    }
    return (int)o;
}

int x2go_sp_decode(char *buf, size_t n, enum x2go_sp_op *op, char *args[X2GO_SP_ARGS_MAX])
{
    char *f[X2GO_SP_ARGS_MAX + 1];
    int nf = 0;
    if (n == 0 || buf[n - 1] != '\0') {
        x2go_seterr("incomplete request");
        return -1;
    }
    for (size_t o = 0; o < n; o += strlen(buf + o) + 1) {
        if (nf == (int)X2GO_ARRAY_LEN(f)) {
            x2go_seterr("too many arguments");
            return -1;
        }
        f[nf++] = buf + o;
    }
    for (int k = 0; k < SP_NOPS; k++) {
        if (strcmp(f[0], x2go_sp_ops[k].name) != 0)
            continue;
        if (nf - 1 != x2go_sp_ops[k].nargs) {
            x2go_seterr("operation %s takes %d arguments, got %d", f[0],
                        x2go_sp_ops[k].nargs, nf - 1);
            return -1;
        }
        *op = (enum x2go_sp_op)k;
        for (int i = 1; i < nf; i++)
            args[i - 1] = f[i];
        return 0;
    }
    x2go_seterr("unknown operation");
    return -1;
}
