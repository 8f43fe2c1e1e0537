/* Small database commands: x2gogetservers for clients and brokers, and
 * the internal helpers of spec 2.8 that other tools call by name. */
#include "agent.h"
#include "cmd.h"
#include "sid.h"
#include "store.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int run_getservers(int argc, char **argv, FILE *out)
{
    (void)argc;
    (void)argv;
    struct x2go_store *st = x2go_store_open();
    char *list = NULL;
    if (!st || st->ops->servers(st, &list) < 0) {
        x2go_store_close(st);
        return x2go_cmd_error(1);
    }
    x2go_store_close(st);
    fputs(list, out); /* no trailing newline, as the reference */
    free(list);
    return 0;
}

/* Open the store and fetch the caller's session sid. */
static int fetch(const char *sid, struct x2go_session *s, struct x2go_store **stp)
{
    if (x2go_sid_parse(sid, NULL) < 0)
        return x2go_cmd_error(2);
    struct x2go_store *st = x2go_store_open();
    if (!st)
        return x2go_cmd_error(1);
    int rc = st->ops->get(st, sid, s);
    if (rc != 0) {
        if (rc == 1)
            x2go_seterr("no session %s of this user", sid);
        x2go_store_close(st);
        return x2go_cmd_error(1);
    }
    if (stp)
        *stp = st;
    else
        x2go_store_close(st);
    return 0;
}

static int run_changestatus(int argc, char **argv, FILE *out)
{
    (void)argc;
    (void)out;
    if (strlen(argv[0]) != 1 || !x2go_status_valid(argv[0][0])) {
        return x2go_cmd_fail(2, "invalid status '%s' (use R, S, T or F)", argv[0]);
    }
    if (x2go_sid_parse(argv[1], NULL) < 0)
        return x2go_cmd_error(2);
    struct x2go_store *st = x2go_store_open();
    if (!st)
        return x2go_cmd_error(1);
    int rc = st->ops->change_status(st, argv[1], argv[0][0]);
    x2go_store_close(st);
    if (rc == 1)
        x2go_seterr("no session %s of this user", argv[1]);
    return rc == 0 ? 0 : x2go_cmd_error(1);
}

static int run_getstatus(int argc, char **argv, FILE *out)
{
    (void)argc;
    struct x2go_session s;
    int rc = fetch(argv[0], &s, NULL);
    if (rc == 0)
        fputc(s.status, out);
    return rc;
}

static int run_getagent(int argc, char **argv, FILE *out)
{
    (void)argc;
    struct x2go_session s;
    int rc = fetch(argv[0], &s, NULL);
    if (rc == 0 && s.agent_pid != X2GO_NULL_INT)
        fprintf(out, "%ld", s.agent_pid);
    return rc;
}

static int run_getagentstate(int argc, char **argv, FILE *out)
{
    (void)argc;
    char me[X2GO_USER_MAX + 1];
    if (x2go_sid_parse(argv[0], NULL) < 0 || x2go_caller_name(me, sizeof me) < 0)
        return x2go_cmd_error(2);
    fputs(x2go_agent_state_name(x2go_agent_state_read(me, getuid(), argv[0])), out);
    return 0;
}

X2GO_COMMAND(getservers, "x2gogetservers", X2GO_BIN, "", 0, 0, 0, run_getservers);
X2GO_COMMAND(changestatus, "x2gochangestatus", X2GO_LIBEXEC, "<R|S|T|F> <session id>", 2, 2, 0,
             run_changestatus);
X2GO_COMMAND(getstatus, "x2gogetstatus", X2GO_LIBEXEC, "<session id>", 1, 1, 0, run_getstatus);
X2GO_COMMAND(getagent, "x2gogetagent", X2GO_LIBEXEC, "<session id>", 1, 1, 0, run_getagent);
X2GO_COMMAND(getagentstate, "x2gogetagentstate", X2GO_LIBEXEC, "<session id>", 1, 1, 0,
             run_getagentstate);
