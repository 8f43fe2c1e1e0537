/* x2golistsessions, x2golistshadowsessions, x2golistsessions_root and the
 * internal x2golistsessions_sql: list rows, reconciled with the agents.
 * x2golistsessions_root --json prints the same rows as a JSON array. */
#include "agent.h"
#include "cmd.h"
#include "json.h"
#include "proc.h"
#include "sessctl.h"
#include "sharing.h"
#include "store.h"
#include "util.h"
#include "validate.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum mode { USER_LIST, SHADOW_LIST, ROOT_LIST, SQL_LIST };

static uid_t uid_of(const char *user)
{
    struct passwd *pw = getpwnam(user);
    return pw ? pw->pw_uid : (uid_t)-1;
}

/* Bring one row in line with its agent; returns the status to show. Rows
 * of other hosts (a shared database) cannot be checked from here. */
static char reconcile(struct x2go_store *st, struct x2go_session *s, const char *host,
                      enum mode m)
{
    if (strcmp(s->server, host) != 0 || s->status == 'F')
        return s->status;
    /* A shared desktop's agent runs as the desktop's owner: the viewer
     * cannot check it, only read its state (spec 2.1.8: the R->S rule). */
    char ab[X2GO_USER_MAX + 1];
    const char *who = x2go_agent_user(s->sid, s->uname, ab, sizeof ab);
    bool shared = strcmp(who, s->uname) != 0;
    uid_t uid = m == ROOT_LIST || shared ? uid_of(who) : getuid();
    if (uid == (uid_t)-1)
        return s->status;
    bool alive = (shared && m != ROOT_LIST) ||
                 x2go_agent_alive((pid_t)s->agent_pid, s->sid, uid);
    char want = x2go_reconcile(s->status, alive, x2go_agent_state_read(who, uid, s->sid));
    /* The root list only ever moves R to S (spec 1.4 rule 3); marking dead
     * agents F is the clean-up daemon's job there. */
    if (m == ROOT_LIST && !(s->status == 'R' && want == 'S'))
        return s->status;
    /* Show what the agent says even when the row cannot be updated (the
     * database stays busy, or the clean-up daemon deleted the row first):
     * a dead agent is never listed as running. */
    if (want != s->status)
        st->ops->change_status(st, s->sid, want);
    /* A client that went away leaves its shares dead: as the reference,
     * unmount them when the list notices the suspend (as the user). */
    if (s->status == 'R' && want == 'S' && m != ROOT_LIST)
        x2go_umount_shares(s->sid);
    return want;
}

/* [<server>|--all-servers], and --json for root's list (no client parses
 * it). 0, or the exit status. */
static int args(int argc, char **argv, enum mode m, const char **server, bool *json)
{
    const char *sarg = NULL;
    for (int i = 0; i < argc; i++) {
        if (m == ROOT_LIST && !strcmp(argv[i], "--json") && !*json)
            *json = true;
        else if (!sarg)
            sarg = argv[i];
        else
            return x2go_cmd_fail(2, "unexpected argument '%s'", argv[i]);
    }
    if (!sarg)
        return 0;
    if (!strcmp(sarg, "--all-servers"))
        *server = NULL;
    else if (x2go_valid_hostname(sarg))
        *server = sarg;
    else
        return x2go_cmd_fail(2, "invalid server name (expected a host name or --all-servers)");
    return 0;
}

static int list(int argc, char **argv, FILE *out, enum mode m)
{
    char host[256];
    if (x2go_hostname(host, sizeof host) < 0)
        return x2go_cmd_error(1);
    const char *server = host;
    bool json = false;
    int rc = args(argc, argv, m, &server, &json);
    if (rc)
        return rc;
    struct x2go_store *st = x2go_store_open();
    if (!st)
        return x2go_cmd_error(1);
    struct x2go_list_query q = {
        .kind = m == USER_LIST ? X2GO_LIST_USER : m == SHADOW_LIST ? X2GO_LIST_SHADOW
                                                                   : X2GO_LIST_ROOT,
        .server = server,
    };
    struct x2go_session_list l = {0};
    rc = st->ops->list(st, &q, &l);
    if (rc < 0) {
        x2go_store_close(st);
        return x2go_cmd_error(1);
    }
    char line[2048];
    struct x2go_buf js = {0};
    for (size_t i = 0; i < l.n; i++) {
        struct x2go_session *s = &l.s[i];
        /* A row without an agent is a start in progress: clients cannot
         * parse it (python-x2go raises on the empty pid), so never show it. */
        if (s->agent_pid == X2GO_NULL_INT && m != SQL_LIST)
            continue;
        if (m != SQL_LIST)
            s->status = reconcile(st, s, host, m);
        if (s->status == 'F' && (m == USER_LIST || m == SHADOW_LIST))
            continue;
        if (x2go_session_format(s, m == SHADOW_LIST ? 14 : 16, line, sizeof line) < 0)
            continue;
        if (!json) {
            fprintf(out, "%s\n", line);
            continue;
        }
        x2go_buf_add(&js, js.len ? ",\n" : "[\n", 2);
        x2go_json_session(&js, s);
    }
    if (json) {
        x2go_buf_add(&js, js.len ? "\n]\n" : "[]\n", 3);
        fputs(js.p, out);
        free(js.p);
    }
    x2go_list_free(&l);
    x2go_store_close(st);
    return 0;
}

static int run_user(int argc, char **argv, FILE *out) { return list(argc, argv, out, USER_LIST); }
static int run_shadow(int argc, char **argv, FILE *out) { return list(argc, argv, out, SHADOW_LIST); }
static int run_root(int argc, char **argv, FILE *out) { return list(argc, argv, out, ROOT_LIST); }
static int run_sql(int argc, char **argv, FILE *out) { return list(argc, argv, out, SQL_LIST); }

X2GO_COMMAND(listsessions, "x2golistsessions", X2GO_BIN, "[<server>|--all-servers]", 0, 1, 0,
             run_user);
X2GO_COMMAND(listshadow, "x2golistshadowsessions", X2GO_BIN, "[<server>|--all-servers]", 0, 1,
             0, run_shadow);
X2GO_COMMAND(listroot, "x2golistsessions_root", X2GO_SBIN, "[<server>|--all-servers] [--json]",
             0, 2,
             X2GO_CMD_ROOT, run_root);
X2GO_COMMAND(listsql, "x2golistsessions_sql", X2GO_LIBEXEC, "[<server>|--all-servers]", 0, 1,
             X2GO_CMD_ROOT, run_sql);
