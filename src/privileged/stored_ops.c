/* x2go-stored's operations: the request is checked against the protocol
 * table (storeproto.c) and each argument against its grammar before the
 * database is opened; every statement restricts rows to the caller, whose
 * name comes from the peer's uid. The store server, not the caller, names
 * the host of a new row and enforces the session limit and a per-user cap
 * inside the reserving transaction. */
#include "limit.h"
#include "mounts.h"
#include "proc.h"
#include "sharing.h"
#include "sid.h"
#include "store.h"
#include "storeproto.h"
#include "stored.h"
#include "util.h"
#include "validate.h"

#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct call {
    struct x2go_store *st;
    uid_t uid;
    gid_t gid;
    struct x2go_buf *out;
};

static int valid(enum x2go_sp_arg a, const char *v)
{
    long n;
    switch (a) {
    case SA_KIND: return !strcmp(v, "user") || !strcmp(v, "shadow") || !strcmp(v, "root");
    case SA_SERVER_OR_ALL: return !strcmp(v, "--all-servers") || x2go_valid_hostname(v);
    case SA_SID: return x2go_sid_valid(v);
    case SA_STATUS: return strlen(v) == 1 && x2go_status_valid(v[0]);
    case SA_EPOCH: return x2go_parse_long(v, 100000000, 999999999999, &n) == 0;
    case SA_TYPE: return !strcmp(v, "D") || !strcmp(v, "R") || !strcmp(v, "S");
    case SA_IDCMD: return x2go_valid_idcommand(v);
    case SA_DEPTH: return x2go_parse_long(v, 1, 99, &n) == 0;
    case SA_XDMCP: return !strcmp(v, "-") || x2go_valid_hostname(v);
    case SA_DISPLAY: return x2go_parse_long(v, 10, 9999, &n) == 0;
    case SA_PORT: return x2go_valid_port(v);
    case SA_NPORTS: return !strcmp(v, "3") || !strcmp(v, "5");
    case SA_COOKIE: return x2go_valid_cookie(v);
    case SA_PID: return x2go_valid_pid(v);
    case SA_CLIENT: return x2go_valid_ip(v);
    case SA_MOUNT_PATH: return x2go_mount_path_shape(v);
    case SA_MOUNT_PATH_OR_ALL: return !strcmp(v, "-") || x2go_mount_path_shape(v);
    case SA_USER: return x2go_username_valid(v) && getpwnam(v) != NULL;
    }
    return 0;
}

static int op_list(struct call *c, char **a)
{
    struct x2go_list_query q = {
        .kind = !strcmp(a[0], "user") ? X2GO_LIST_USER
              : !strcmp(a[0], "shadow") ? X2GO_LIST_SHADOW : X2GO_LIST_ROOT,
        .server = strcmp(a[1], "--all-servers") ? a[1] : NULL,
    };
    struct x2go_session_list l = {0};
    int rc = c->st->ops->list(c->st, &q, &l);
    char line[2048];
    for (size_t i = 0; rc == 0 && i < l.n; i++)
        if ((rc = x2go_session_format(&l.s[i], 16, line, sizeof line)) >= 0) {
            x2go_buf_printf(c->out, "%s\n", line);
            rc = 0;
        }
    x2go_list_free(&l);
    return rc;
}

static int op_get(struct call *c, char **a)
{
    struct x2go_session s;
    char line[2048];
    int rc = c->st->ops->get(c->st, a[0], &s);
    if (rc == 0 && (rc = x2go_session_format(&s, 16, line, sizeof line)) >= 0) {
        x2go_buf_printf(c->out, "%s\n", line);
        rc = 0;
    }
    return rc;
}

static int op_status(struct call *c, char **a)
{
    return c->st->ops->change_status(c->st, a[1], a[0][0]);
}

/* The caller's agents on this host that are dead now: they do not count
 * against the session limit (as in x2gostartagent). Checked before the
 * transaction, so no /proc read happens while the write lock is held. */
static size_t dead_agents(struct call *c, const char *host, char ***out)
{
    struct x2go_list_query q = {.kind = X2GO_LIST_USER, .server = host};
    struct x2go_session_list l = {0};
    size_t n = 0;
    *out = NULL;
    if (c->st->ops->list(c->st, &q, &l) == 0 && l.n && (*out = calloc(l.n, sizeof **out)))
        for (size_t i = 0; i < l.n; i++)
            if (l.s[i].agent_pid != X2GO_NULL_INT &&
                !x2go_agent_alive((pid_t)l.s[i].agent_pid, l.s[i].sid, c->uid) &&
                !((*out)[n++] = strdup(l.s[i].sid)))
                abort();
    x2go_list_free(&l);
    return n;
}

/* [limit users]/[limit groups] for the caller; 0 when none applies. */
static long session_limit(struct call *c)
{
    gid_t groups[256];
    int ng = (int)X2GO_ARRAY_LEN(groups);
    long lim = 0;
    if (getgrouplist(c->st->caller, c->gid, groups, &ng) < 0)
        ng = 0;
    if (x2go_limit_lookup(c->st->caller, groups, ng, &lim) <= 0)
        return 0;
    return lim;
}

/* A shadow row names the desktop's user after XSHAD: that must be the
 * caller (one's own desktop; another user's only through that user's own
 * start, see op_shadow_reserve). */
static int shadow_ok(struct call *c, const char *type, const char *cmd)
{
    struct x2go_shadow_req r;
    if (type[0] != 'S' || c->uid == 0)
        return 0;
    if (x2go_shadow_req_parse(cmd, &r) < 0 || strcmp(r.user, c->st->caller) != 0) {
        x2go_seterr("a shadow session must name the caller's own desktop");
        return -1;
    }
    return 0;
}

/* owner: the caller, or the requester of a shared desktop (no session
 * limit of the caller applies to the requester's row; the cap does). */
static int reserve_for(struct call *c, const char *owner, char **a)
{
    char host[256];
    if (shadow_ok(c, a[1], a[2]) < 0 || x2go_hostname(host, sizeof host) < 0)
        return -1;
    struct x2go_reserve_req r = {
        .server = host, .owner = owner, .epoch = atoll(a[0]), .type = a[1][0],
        .command = a[2], .depth = atoi(a[3]), .xdmcp = strcmp(a[4], "-") ? a[4] : NULL,
        .display_start = atoi(a[5]), .port_start = atoi(a[6]), .nports = atoi(a[7]),
        .limit = owner == c->st->caller ? session_limit(c) : 0,
    };
    if (r.limit <= 0)
        r.cap = X2GO_USER_ROWS_MAX;
    char **dead;
    r.ndead = dead_agents(c, host, &dead);
    r.dead = (const char *const *)dead;
    struct x2go_reservation res;
    int rc = c->st->ops->reserve(c->st, &r, &res);
    if (rc == 0)
        x2go_buf_printf(c->out, "%d %s %d %d %d %d %d", res.display, res.sid, res.ports[0],
                        res.ports[1], res.ports[2], res.ports[3], res.ports[4]);
    for (size_t i = 0; i < r.ndead; i++)
        free(dead[i]);
    free(dead);
    return rc;
}

static int op_reserve(struct call *c, char **a)
{
    return reserve_for(c, c->st->caller, a);
}

static int op_shadow_reserve(struct call *c, char **a)
{
    if (a[2][0] != 'S') {
        x2go_seterr("only a shadow session may be reserved for another user");
        return -1;
    }
    return reserve_for(c, a[0], a + 1);
}

static int op_create(struct call *c, char **a)
{
    int ports[X2GO_MAX_PORTS];
    for (int i = 0; i < X2GO_MAX_PORTS; i++)
        ports[i] = atoi(a[4 + i]);
    return c->st->ops->create(c->st, a[0], a[1], atol(a[2]), a[3], ports);
}

static int op_resume(struct call *c, char **a)
{
    int ports[X2GO_MAX_PORTS];
    int rc = c->st->ops->resume(c->st, a[0], a[1], atoi(a[2]), ports);
    if (rc == 0)
        x2go_buf_printf(c->out, "%d %d %d %d %d", ports[0], ports[1], ports[2], ports[3],
                        ports[4]);
    return rc;
}

static int op_remove(struct call *c, char **a)
{
    return c->st->ops->remove(c->st, a[0]);
}

static int op_abandon(struct call *c, char **a)
{
    return c->st->ops->abandon(c->st, a[0]);
}

static int op_servers(struct call *c, char **a)
{
    (void)a;
    char *list;
    int rc = c->st->ops->servers(c->st, &list);
    if (rc == 0) {
        x2go_buf_printf(c->out, "%s", list);
        free(list);
    }
    return rc;
}

static int op_mount_add(struct call *c, char **a)
{
    return c->st->ops->mount_add(c->st, a[0], a[1], a[2]);
}

static int op_mount_list(struct call *c, char **a)
{
    char *list;
    int rc = c->st->ops->mount_list(c->st, a[0], &list);
    if (rc == 0) {
        x2go_buf_printf(c->out, "%s", list);
        free(list);
    }
    return rc;
}

static int op_mount_del(struct call *c, char **a)
{
    return c->st->ops->mount_del(c->st, a[0], strcmp(a[1], "-") ? a[1] : NULL);
}

static int op_end(struct call *c, char **a)
{
    return c->st->ops->end(c->st, a[0]);
}

static int (*const run[SP_NOPS])(struct call *, char **) = {
    [SP_LIST] = op_list, [SP_GET] = op_get, [SP_STATUS] = op_status,
    [SP_RESERVE] = op_reserve, [SP_CREATE] = op_create, [SP_RESUME] = op_resume,
    [SP_REMOVE] = op_remove, [SP_ABANDON] = op_abandon, [SP_SERVERS] = op_servers,
    [SP_MOUNT_ADD] = op_mount_add, [SP_MOUNT_LIST] = op_mount_list,
    [SP_MOUNT_DEL] = op_mount_del, [SP_END] = op_end,
    [SP_SHADOW_RESERVE] = op_shadow_reserve,
};

/* Writers wait their turn (stored_wlock.c); the wait stays well inside
 * the child's lifetime bound. */
#define WLOCK_WAIT_MS 8000

static int run_op(struct call *c, enum x2go_sp_op op, char **args, bool serialise)
{
    if (!serialise || !x2go_sp_ops[op].writes)
        return run[op](c, args);
    if (x2go_wlock_take(WLOCK_WAIT_MS) < 0)
        return -1;
    int rc = run[op](c, args);
    x2go_wlock_drop();
    return rc;
}

/* Check the request; 0 and the op, or -1 with the error set. */
static int check(uid_t uid, char *req, size_t n, enum x2go_sp_op *op, char **args)
{
    if (x2go_sp_decode(req, n, op, args) < 0)
        return -1;
    const struct x2go_sp_opdesc *d = &x2go_sp_ops[*op];
    for (int i = 0; i < d->nargs; i++)
        if (!valid(d->args[i], args[i])) {
            x2go_seterr("operation %s: argument %d is malformed", d->name, i + 1);
            return -1;
        }
    if (d->root_only && uid != 0) {
        x2go_seterr("operation %s is for root only", d->name);
        return -1;
    }
    return 0;
}

void x2go_stored_handle(const struct x2go_stored_backend *be, uid_t uid, char *req,
                        size_t n, struct x2go_buf *reply)
{
    enum x2go_sp_op op;
    char *args[X2GO_SP_ARGS_MAX];
    struct x2go_buf body = {0};
    struct call c = {.uid = uid, .out = &body};
    int rc = check(uid, req, n, &op, args);
    struct passwd *pw = rc == 0 ? getpwuid(uid) : NULL;
    if (rc == 0 && (!pw || !x2go_username_valid(pw->pw_name))) {
        x2go_seterr("the calling user has no valid name");
        rc = -1;
    }
    if (rc == 0) {
        c.gid = pw->pw_gid;
        c.st = be->open(be->ctx, pw->pw_name, uid);
        rc = c.st ? run_op(&c, op, args, be->serialise) : -1;
        if (c.st)
            be->done(be->ctx, c.st, rc);
    }
    if (rc == 1)
        x2go_seterr("no such session of this user");
    char status = x2go_sp_status_of(rc);
    x2go_buf_printf(reply, "%c\n", status);
    if (status == SP_OK)
        x2go_buf_add(reply, body.p ? body.p : "", body.len);
    else
        x2go_buf_printf(reply, "%s", x2go_err());
    free(body.p);
}
