/* Shared steps of the share commands. */
#include "mount_util.h"
#include "agent.h"
#include "sessfiles.h"
#include "util.h"

#include <stdlib.h>

int x2go_share_session(struct x2go_ctx *c, const char *sid, struct x2go_session *s)
{
    if (!sid || !*sid)
        sid = getenv("X2GO_SESSION");
    if (!sid || !*sid) {
        x2go_seterr("no valid session name that we can use");
        return 1;
    }
    int rc = x2go_ctx_open(c) < 0 ? 1 : x2go_ctx_session(c, sid, s);
    if (rc == 0 && x2go_share_store_ok(c) < 0)
        rc = 1;
    if (rc)
        x2go_ctx_close(c);
    return rc;
}

int x2go_share_top(const struct x2go_ctx *c, char *out, size_t len)
{
    if (x2go_user_tmpdir(out, len, c->user) < 0)
        return -1;
    return x2go_dir_check(out, c->uid);
}

int x2go_share_store_ok(const struct x2go_ctx *c)
{
    const struct x2go_store_ops *o = c->st->ops;
    if (!o->mount_add || !o->mount_list || !o->mount_del) {
        x2go_seterr("the configured session database does not support shared folders");
        return -1;
    }
    return 0;
}
