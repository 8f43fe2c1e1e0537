/* x2gosessionhistory (root): the session history the store records
 * (starts, resumes with the client address, suspends, terminations,
 * failures), filtered by user, host and time, as text or JSON. */
#include "cmd.h"
#include "store.h"
#include "util.h"

#include <stdlib.h>
#include <time.h>

static int run(int argc, char **argv, FILE *out)
{
    struct x2go_hist_query q;
    bool json;
    if (x2go_hist_args(argc, argv, (long long)time(NULL), &q, &json) < 0)
        return x2go_cmd_error(2);
    /* Root's open prunes by the configured retention first; a broken
     * setting is said here rather than only logged. */
    long long secs;
    if (x2go_store_history_conf(&secs) < 0)
        return x2go_cmd_error(1);
    struct x2go_store *st = x2go_store_open();
    if (!st)
        return x2go_cmd_error(1);
    struct x2go_hist_list l = {0};
    int rc = x2go_store_history(st, &q, &l);
    x2go_store_close(st);
    if (rc < 0) {
        x2go_hist_free(&l);
        return x2go_cmd_error(1);
    }
    struct x2go_buf b = {0};
    if (json)
        x2go_hist_json(&l, &b);
    else
        x2go_hist_text(&l, &b);
    fputs(b.p, out);
    free(b.p);
    x2go_hist_free(&l);
    return 0;
}

X2GO_COMMAND(sessionhistory, "x2gosessionhistory", X2GO_SBIN,
             "[--user <user>] [--host <host>] [--since <time>] [--until <time>] [--json]", 0,
             9, X2GO_CMD_ROOT, run);
