/* x2gosuspend-session, x2goterminate-session, x2goresume-session, and the
 * internal x2gosuspend-agent (nxagent's NX_CLIENT dialog callback) and
 * x2gormforward. The work is in core/lifecycle/sessctl.c. */
#include "agentopts.h"
#include "cmd.h"
#include "hooks.h"
#include "log.h"
#include "proc.h"
#include "sessctl.h"
#include "sessfiles.h"
#include "sysports.h"
#include "util.h"
#include "validate.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define START_WAIT_MS 10000     /* a STARTING/RESUMING session settles */
#define SUSPENDING_WAIT_MS 30000 /* SUSPENDING -> SUSPENDED (reference: 45 s) */
#define RESUME_LISTEN_MS 8000

/* Open the context and fetch the caller's session; exit status or 0. */
static int open_session(struct x2go_ctx *c, const char *sid, struct x2go_session *s)
{
    int rc = x2go_ctx_open(c) < 0 ? 1 : x2go_ctx_session(c, sid, s);
    if (rc)
        x2go_ctx_close(c);
    return rc ? x2go_cmd_error(rc) : 0;
}

/* Open the caller's session sid, apply act, close. act's failure is
 * reported (exit 1); a NULL sid means the argument was refused with the
 * error set. */
static int on_session(const char *sid, int (*act)(struct x2go_ctx *, const struct x2go_session *),
                      int bad_sid_status)
{
    if (!sid)
        return x2go_cmd_error(bad_sid_status);
    struct x2go_ctx c;
    struct x2go_session s;
    int rc = open_session(&c, sid, &s);
    if (rc)
        return rc;
    rc = act(&c, &s);
    x2go_ctx_close(&c);
    return rc < 0 ? x2go_cmd_error(1) : 0;
}

/* Terminate never complains: some clients misbehave on stderr here. */
static int terminate(struct x2go_ctx *c, const struct x2go_session *s)
{
    x2go_terminate(c, s);
    return 0;
}

static int rmforward(struct x2go_ctx *c, const struct x2go_session *s)
{
    x2go_rmforward(c, s->sid);
    return 0;
}

static int run_suspend(int argc, char **argv, FILE *out)
{
    (void)out;
    return on_session(x2go_sid_arg(argc, argv), x2go_suspend, 255);
}

static int run_terminate(int argc, char **argv, FILE *out)
{
    (void)out;
    return on_session(x2go_sid_arg(argc, argv), terminate, 255);
}

/* nxagent runs NX_CLIENT as  --dialog <type> --caption "NX - <sid>"
 * --message <text> ... --parent <pid>. Only the dialogs that ask whether
 * to end or suspend the session (the user closed the session window)
 * suspend it; informational ones (ok, error, pulldown, ...) do nothing.
 * The reference suspended on every dialog (spec 8.4 #43). */
static int run_suspend_agent(int argc, char **argv, FILE *out)
{
    (void)out;
    const char *type = NULL, *caption = NULL;
    for (int i = 0; i + 1 < argc; i++) {
        if (!strcmp(argv[i], "--dialog"))
            type = argv[++i];
        else if (!strcmp(argv[i], "--caption"))
            caption = argv[++i];
    }
    if (!type || !caption || strncmp(caption, "NX - ", 5) != 0)
        return x2go_cmd_fail(2, "expected --dialog <type> --caption \"NX - <session id>\" "
                                "(called by the X2Go Agent)");
    if (strcmp(type, "yesnosuspend") != 0 && strcmp(type, "yesno") != 0) {
        x2go_log(LOG_INFO, "agent dialog '%.32s' for %.200s ignored", type, caption + 5);
        return 0;
    }
    const char *sid = caption + 5;
    if (strlen(sid) > X2GO_SID_MAX || !x2go_is_printable_ascii(sid))
        return x2go_cmd_fail(2, "malformed session id in the caption");
    return on_session(sid, x2go_suspend, 2);
}

static int run_rmforward(int argc, char **argv, FILE *out)
{
    (void)argc;
    (void)out;
    return on_session(argv[0], rmforward, 2);
}

/* ---- resume ---------------------------------------------------------- */

struct resume_args {
    const char *sid, *geometry, *link, *pack, *kbtype, *clipboard;
    bool setkbd, xinerama, fullscreen;
};

static int parse_resume(int argc, char **argv, struct resume_args *a)
{
    *a = (struct resume_args){.sid = argv[0], .geometry = argv[1], .link = argv[2],
                              .pack = argv[3], .kbtype = argv[5], .setkbd = argv[6][0] == '1'};
    if (x2go_check_display_args(a->geometry, a->link, a->pack, a->kbtype, argv[6]) < 0)
        return x2go_cmd_error(2);
    a->clipboard = argc >= 8 && x2go_valid_clipboard(argv[7]) ? argv[7] : "both";
    if (argc >= 9 && x2go_truthy(argv[8], false) != x2go_truthy(argv[8], true))
        return x2go_cmd_fail(2, "invalid xinerama flag '%s' (use yes/no or True/False)",
                             argv[8]);
    a->xinerama = argc >= 9 && x2go_truthy(argv[8], false);
    a->fullscreen = !strcmp(a->geometry, "fullscreen");
    return 0;
}

static void client_ip(const struct x2go_session *s, char *out, size_t len)
{
    const char *srcs[] = {getenv("SSH_CLIENT"), getenv("SSH_CONNECTION")};
    for (size_t i = 0; i < X2GO_ARRAY_LEN(srcs); i++) {
        const char *v = srcs[i];
        size_t n = v ? strcspn(v, " ") : 0;
        if (n && n < len) {
            memcpy(out, v, n);
            out[n] = '\0';
            if (x2go_valid_ip(out))
                return;
        }
    }
    snprintf(out, len, "%s", x2go_valid_ip(s->client) ? s->client : "127.0.0.1");
}

static void print_ports(FILE *out, int gr, int snd, int fs)
{
    fprintf(out, "gr_port=%d\nsound_port=%d\nfs_port=%d\n", gr, snd, fs);
}

/* The session is there to resume: its agent runs and has not begun to
 * end; dir gets its session dir. 0 or the exit status. */
static int check_alive(struct x2go_ctx *c, const struct x2go_session *s, char *dir, size_t len)
{
    if (s->status == 'F' || !x2go_session_agent_alive(c, s))
        return x2go_cmd_fail(3, "session %s terminated", s->sid);
    if (x2go_sessdir_open(c->user, c->uid, s->sid, dir, len) < 0)
        return x2go_cmd_error(3);
    const unsigned gone = X2GO_STATE_BIT(X2GO_AS_TERMINATING) |
                          X2GO_STATE_BIT(X2GO_AS_TERMINATED);
    if (gone & X2GO_STATE_BIT(x2go_agent_state_read(c->user, c->uid, s->sid)))
        return x2go_cmd_fail(3, "session %s terminated", s->sid);
    return 0;
}

#define RESUME_SENT (-1) /* settle() sent the client to a waiting agent */

/* Bring the agent to SUSPENDED: let a starting or resuming one settle,
 * take a running one over from its client. 0 when suspended, RESUME_SENT,
 * or the exit status. */
static int settle(struct x2go_ctx *c, struct x2go_session *s, FILE *out)
{
    const char *sid = s->sid;
    enum x2go_agent_state st = x2go_agent_state_read(c->user, c->uid, sid);
    /* Still starting, or another client is resuming it: give it a bounded
     * while to settle (the reference waited forever, spec 8.2 #17). */
    const unsigned busy = X2GO_STATE_BIT(X2GO_AS_STARTING) | X2GO_STATE_BIT(X2GO_AS_RESUMING);
    /* A STARTING agent changes only when its first client connects, which
     * is either under way or not coming: a short wait is enough. */
    st = x2go_wait_state_leaves(c, sid, busy,
                                st == X2GO_AS_STARTING ? START_WAIT_MS / 5 : START_WAIT_MS);
    if (busy & X2GO_STATE_BIT(st)) {
        /* It waits for a client on the port it was given: send this
         * client there. SIGHUP now would kill a STARTING nxagent. */
        if (s->gr_port > 0 && x2go_port_listening(s->gr_port)) {
            x2go_log(LOG_NOTICE, "session %s still %s: client sent to its listening port",
                     sid, x2go_agent_state_name(st));
            print_ports(out, s->gr_port, s->sound_port, s->fs_port);
            return RESUME_SENT;
        }
        return x2go_cmd_fail(4, "session %s is stuck in state %s; terminate it and start a "
                                "new one", sid, x2go_agent_state_name(st));
    }
    if (st == X2GO_AS_RUNNING) {
        /* Take the session over from the client that has it now. */
        if (x2go_suspend(c, s) < 0)
            return x2go_cmd_error(4);
    }
    st = x2go_wait_state_leaves(c, sid, X2GO_STATE_BIT(X2GO_AS_SUSPENDING) |
                                            X2GO_STATE_BIT(X2GO_AS_RUNNING),
                                SUSPENDING_WAIT_MS);
    if (st != X2GO_AS_SUSPENDED)
        return x2go_cmd_fail(4, "it is taking too long to suspend the session-to-be-resumed "
                                "(state %s); it is possible that the session is in a damaged "
                                "state", x2go_agent_state_name(st));
    return 0;
}

/* The options file with the new client's display settings and port;
 * -1 (error set) when it cannot be rewritten. */
static int rewrite_options(const char *dir, const struct resume_args *a, int gr_port)
{
    char path[PATH_MAX], old[4096], line[4096];
    struct x2go_options_update u = {
        .link = a->link, .pack = a->pack,
        .kbtype = (a->setkbd && strcmp(a->kbtype, "auto")) ? a->kbtype : "null/null",
        .geometry = a->geometry, .clipboard = a->clipboard, .xinerama = a->xinerama,
        .fullscreen = a->fullscreen, .gr_port = gr_port,
    };
    if (x2go_fmt(path, sizeof path, "%s/options", dir) < 0 ||
        x2go_read_file(path, old, sizeof old) < 0 ||
        x2go_options_rewrite(old, &u, line, sizeof line) < 0 ||
        x2go_write_file_atomic(path, line, strlen(line), 0600) < 0)
        return -1;
    return 0;
}

/* SIGHUP the suspended agent until it leaves SUSPENDED (nxagent drops a
 * SIGHUP that arrives while it is still finishing a suspend, observed
 * right after the state file says SUSPENDED: signal again, a bounded
 * number of times), then wait until it listens on gr_port. 0 or the exit
 * status. */
static int wake_agent(struct x2go_ctx *c, const struct x2go_session *s, int gr_port)
{
    const char *sid = s->sid;
    enum x2go_agent_state st;
    int wait_ms = 300, rc = 0;
    for (int i = 0;; i++) {
        if (x2go_agent_signal((pid_t)s->agent_pid, sid, c->uid, SIGHUP) < 0) {
            rc = x2go_cmd_fail(1, "ERROR: failed to resume session with ID %s: %s", sid,
                               strerror(errno));
            x2go_log(LOG_ERR, "ERROR: failed to resume session with ID %s", sid);
            c->st->ops->change_status(c->st, sid, 'F');
            x2go_run_hooks(sid, "fail-resume", NULL);
            return rc;
        }
        st = x2go_wait_state_leaves(c, sid, X2GO_STATE_BIT(X2GO_AS_SUSPENDED), wait_ms);
        if (st != X2GO_AS_SUSPENDED || i == 4)
            break;
        wait_ms *= 2;
    }
    /* The client connects as soon as it reads the ports. */
    if (x2go_wait_listen(gr_port, RESUME_LISTEN_MS, 0) < 0) {
        st = x2go_agent_state_read(c->user, c->uid, sid);
        rc = x2go_cmd_fail(1, "ERROR: failed to resume session with ID %s: the agent is not "
                              "listening on port %d (state %s)", sid, gr_port,
                           x2go_agent_state_name(st));
        x2go_log(LOG_ERR, "ERROR: failed to resume session with ID %s", sid);
        if (st == X2GO_AS_SUSPENDED || st == X2GO_AS_SUSPENDING)
            c->st->ops->change_status(c->st, sid, 'S');
        x2go_run_hooks(sid, "fail-resume", NULL);
    }
    return rc;
}

static int resume(struct x2go_ctx *c, struct x2go_session *s, const struct resume_args *a,
                  FILE *out)
{
    const char *sid = s->sid;
    char dir[PATH_MAX], client[64], path[PATH_MAX];
    int rc = check_alive(c, s, dir, sizeof dir);
    if (rc == 0)
        rc = settle(c, s, out);
    if (rc)
        return rc == RESUME_SENT ? 0 : rc;
    x2go_rmforward(c, sid);

    /* New ports where the old ones were taken meanwhile; status R. */
    client_ip(s, client, sizeof client);
    int ports[X2GO_MAX_PORTS];
    if (c->st->ops->resume(c->st, sid, client, x2go_random_port(), ports) != 0)
        return x2go_cmd_fail(6, "Unable to find free port or resume the session in the "
                                "database: %s", x2go_err());
    if (rewrite_options(dir, a, ports[0]) < 0) {
        rc = x2go_cmd_error(6);
        c->st->ops->change_status(c->st, sid, 'S');
        return rc;
    }

    x2go_run_hooks(sid, "pre-resume", NULL);
    /* The agent writes a fresh keyboard file for the new client. */
    if (x2go_fmt(path, sizeof path, "%s/keyboard", dir) >= 0 && rmdir(path) < 0 &&
        errno == ENOTDIR)
        unlink(path);
    x2go_ssh_agent_link(dir, false);
    if ((rc = wake_agent(c, s, ports[0])) != 0)
        return rc;

    x2go_log(LOG_NOTICE, "client %s has successfully resumed session with ID %s", client, sid);
    if (a->setkbd && !strcmp(a->kbtype, "auto")) {
        char disp[32];
        snprintf(disp, sizeof disp, ":%d.0", s->display);
        if (setenv("DISPLAY", disp, 1) == 0)
            x2go_run_optional("/usr/bin/x2gosetkeyboard", sid, 0, NULL);
    }
    x2go_sharing_helper(c, "x2goresume-desktopsharing", sid);
    x2go_run_hooks(sid, "post-resume", NULL);
    x2go_write_sshd_pid(dir);
    print_ports(out, ports[0], ports[1], ports[2]);
    return 0;
}

static int run_resume(int argc, char **argv, FILE *out)
{
    struct resume_args a = {0};
    struct x2go_ctx c;
    struct x2go_session s;
    int rc = parse_resume(argc, argv, &a);
    if (rc == 0)
        rc = open_session(&c, a.sid, &s);
    if (rc)
        return rc;
    rc = resume(&c, &s, &a, out);
    x2go_ctx_close(&c);
    return rc;
}

X2GO_COMMAND(suspend, "x2gosuspend-session", X2GO_BIN, "<session id>", 0, 1, 0, run_suspend);
X2GO_COMMAND(terminate, "x2goterminate-session", X2GO_BIN, "<session id>", 0, 1, 0,
             run_terminate);
X2GO_COMMAND(resume, "x2goresume-session", X2GO_BIN,
             "<session id> <geometry> <link> <pack> <kblayout> <kbtype> <setkbd> "
             "[<clipboard> [<xinerama>]]",
             7, 9, 0, run_resume);
/* nxagent's dialog text is free: only --dialog and --caption are read. */
X2GO_COMMAND_ARGS(suspendagent, X2GO_ARGS_FREE, "x2gosuspend-agent", X2GO_LIBEXEC,
                  "--dialog <type> --caption \"NX - <session id>\" ...", 0, -1, 0,
                  run_suspend_agent);
X2GO_COMMAND(rmforward, "x2gormforward", X2GO_LIBEXEC, "<session id>", 1, 1, 0, run_rmforward);
