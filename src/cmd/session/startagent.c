/* x2gostartagent: reserve a display and ports, prepare the session's
 * files, launch the agent and print the 7 lines of spec 2.1.1. Anything
 * that fails before the output undoes what was done (row, files, xauth
 * entries, agent) and says why in one line on stderr. */
#include "agent.h"
#include "agentopts.h"
#include "cmd.h"
#include "hooks.h"
#include "linger.h"
#include "limit.h"
#include "log.h"
#include "proc.h"
#include "sessfiles.h"
#include "share_ask.h"
#include "store.h"
#include "sysports.h"
#include "util.h"
#include "validate.h"
#include "x2go-config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define AGENT_BIN "/usr/bin/x2goagent"
#define NX_CLIENT_BIN X2GO_LIBEXECDIR "/x2gosuspend-agent"
#define LISTEN_WAIT_MS 8000
#define SHARING_GROUP "x2godesktopsharing"
#define SHARE_WAIT_MS 120000 /* the owner's answer to a sharing request */
#define SHARED_ELSEWHERE (-100) /* parse_shadow(): the owner's agent was printed */

extern char **environ;

struct start {
    /* inputs */
    const char *geometry, *link, *pack, *type, *kbtype, *cmd, *clipboard;
    char stype;       /* as given: D R P S (others become D) */
    bool setkbd, xinerama, fullscreen;
    int depth;
    const char *dpi, *xdmcp;
    char client[64];
    char idcmd[256];  /* the command as it goes into the id */
    char shadow_display[16];
    int shadow_mode;
    char shadreq[X2GO_USER_MAX + 1]; /* the requester, when sharing one's desktop */
    char shadow_geometry[64];
    /* environment of the session */
    char user[X2GO_USER_MAX + 1], home[PATH_MAX], host[256], xauthority[PATH_MAX];
    uid_t uid;
    /* what was made, for the undo */
    struct x2go_store *st;
    struct x2go_reservation res;
    bool reserved, created, xauth_added, files_made;
    char dir[PATH_MAX];
    pid_t agent;
    char cookie[33];
};

/* Undo everything this start made. */
static void undo(struct start *s)
{
    if (s->agent > 0) {
        /* The agent forks a helper into its process group (it leads a
         * session of its own): one killed early can leave that helper
         * running, so the whole group goes. Its id stays reserved while a
         * member lives, so the last kill cannot reach anyone else. */
        kill(-s->agent, SIGTERM);
        x2go_reap_within(s->agent, 1000);
        kill(-s->agent, SIGKILL);
    }
    if (s->xauth_added)
        x2go_xauth(s->xauthority, s->host, s->res.display, NULL);
    if (s->files_made)
        x2go_sessfiles_remove(s->home, s->user, s->uid, s->res.sid, true);
    if (s->reserved) {
        if (s->created)
            s->st->ops->change_status(s->st, s->res.sid, 'F');
        if (s->st->ops->abandon(s->st, s->res.sid) < 0)
            x2go_log(LOG_WARNING, "could not drop the reservation of %s: %s", s->res.sid,
                     x2go_err());
    }
}

static int fail(struct start *s, int status, const char *fmt, const char *why)
{
    int rc = x2go_cmd_fail(status, fmt, why);
    x2go_log(LOG_ERR, fmt, why);
    undo(s);
    return rc;
}

/* Positional arguments and environment (spec 2.1.1, client contract 2.4). */
static int parse_args(struct start *s, int argc, char **argv)
{
    s->geometry = argv[0];
    s->link = argv[1];
    s->pack = argv[2];
    s->type = argv[3];
    s->kbtype = argv[5];
    s->cmd = argv[8];
    if (x2go_check_display_args(s->geometry, s->link, s->pack, s->kbtype, argv[6]) < 0)
        return x2go_cmd_error(2);
    if (!x2go_parse_sesstype(s->type, &s->depth))
        return x2go_cmd_fail(2, "invalid session type '%s' (use <cache>-depth_<depth>, e.g. "
                                "unix-kde-depth_24)", s->type);
    s->setkbd = argv[6][0] == '1';
    if (strlen(argv[7]) != 1 || argv[7][0] < 'A' || argv[7][0] > 'Z')
        return x2go_cmd_fail(2, "invalid session type letter '%s' (use D, R, P or S)", argv[7]);
    s->stype = argv[7][0];
    if (!strchr("DRPS", s->stype))
        s->stype = 'D';
    /* The command may arrive split into words (pyhoca sends it unquoted):
     * only its first word names the session; the clipboard mode is the
     * last word when that is a valid mode, otherwise "both". */
    s->clipboard = "both";
    if (s->stype != 'S' && argc >= 10 && x2go_valid_clipboard(argv[argc - 1]))
        s->clipboard = argv[argc - 1];
    size_t o = 0;
    for (const char *p = s->cmd; *p; p++)
        if (((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
             (*p >= '0' && *p <= '9') || strchr("._@:-", *p)) && o + 1 < sizeof s->idcmd)
            s->idcmd[o++] = *p;
    s->idcmd[o] = '\0';
    if (strlen(s->idcmd) > 200)
        return x2go_cmd_fail(2, "the command name is too long for a session id (at most 200 "
                                "characters)");
    /* Environment (python-x2go prefixes these). */
    s->xinerama = x2go_truthy(getenv("X2GO_XINERAMA"), true);
    const char *dpi = getenv("X2GODPI");
    long v;
    if (dpi && *dpi) {
        if (x2go_parse_long(dpi, 1, 2000, &v) < 0)
            return x2go_cmd_fail(2, "invalid X2GODPI '%.20s' (use a number of dots per inch)",
                                 dpi);
        s->dpi = dpi;
    }
    const char *xd = getenv("X2GOXDMCP");
    if (xd && *xd) {
        if (!x2go_valid_hostname(xd))
            return x2go_cmd_fail(2, "invalid X2GOXDMCP '%.40s' (use a host name or IPv4 "
                                    "address)", xd);
        s->xdmcp = xd;
    }
    return 0;
}

/* The client's address: $X2GO_CLIENT (desktop-sharing applet) wins, then
 * the first word of $SSH_CLIENT, then of $SSH_CONNECTION. */
static int find_client(struct start *s)
{
    const char *srcs[] = {getenv("X2GO_CLIENT"), getenv("SSH_CLIENT"),
                          getenv("SSH_CONNECTION")};
    for (size_t i = 0; i < X2GO_ARRAY_LEN(srcs); i++) {
        const char *v = srcs[i];
        if (!v || !*v)
            continue;
        size_t n = strcspn(v, " ");
        if (n >= sizeof s->client)
            break;
        memcpy(s->client, v, n);
        s->client[n] = '\0';
        if (!x2go_valid_ip(s->client))
            return x2go_cmd_fail(7, "the client address '%.45s' (from the environment) is not "
                                    "an IP address", s->client);
        return 0;
    }
    return x2go_cmd_fail(7, "The $X2GO_CLIENT environment variable is not set. Possible "
                            "reasons: $SSH_CLIENT not set or $SSH_CONNECTION not set. Or "
                            "$X2GO_CLIENT not set by the \"X2Go Desktop Sharing\" applet. "
                            "Aborting session startup.");
}

/* Another user's desktop: only through that user's sharing applet, which
 * asks its owner and, on a yes, starts the shadow agent as the owner
 * (spec 2.2). Its answer is relayed; a refusal, a timeout or no applet is
 * the reference's "ACCESS DENIED", exit 8. */
static int ask_owner(struct start *s, char **argv, const struct x2go_shadow_req *r, FILE *out)
{
    struct x2go_share_answer a;
    if (x2go_share_ask(argv, s->client, s->user, r, SHARE_WAIT_MS, &a) < 0)
        return x2go_cmd_fail(8, "ACCESS DENIED to %s (cannot ask the desktop owner: %s)",
                             s->cmd, x2go_err());
    if (a.denied) {
        x2go_log(LOG_NOTICE, "%s denied access to %s's desktop :%d: %s", s->user, r->user,
                 r->display, a.reason);
        return x2go_cmd_fail(8, "ACCESS DENIED to %s", s->cmd); /* python-x2go wants both */
    }
    if (x2go_xauth(s->xauthority, s->host, a.display, a.cookie) < 0)
        return x2go_cmd_fail(12, "cannot add the shared session's cookie: %s", x2go_err());
    fprintf(out, "%d\n%s\n%d\n%s\n%d\n%d\n%d\n", a.display, a.cookie, a.pid, a.sid,
            a.ports[0], a.ports[1], a.ports[2]);
    return SHARED_ELSEWHERE;
}

/* The shadow agent takes the geometry of the shadowed display. */
static int shadow_geometry(struct start *s)
{
    char *argvx[] = {"xwininfo", "-root", NULL};
    char env_display[32];
    snprintf(env_display, sizeof env_display, "DISPLAY=%s", s->shadow_display);
    char xa[PATH_MAX + 16];
    snprintf(xa, sizeof xa, "XAUTHORITY=%s", s->xauthority);
    char *envp[] = {env_display, xa, NULL};
    char out[4096], err[256];
    if (x2go_run_capture("/usr/bin/xwininfo", argvx, envp, out, sizeof out, err,
                         sizeof err) != 0)
        return x2go_cmd_fail(8, "cannot open the display %s to shadow it", s->shadow_display);
    const char *g = strstr(out, "-geometry ");
    if (g) {
        g += 10;
        size_t n = strcspn(g, "\n");
        size_t o = 0;
        for (size_t i = 0; i < n && o + 1 < sizeof s->shadow_geometry; i++)
            if (strchr("0123456789x+-", g[i]))
                s->shadow_geometry[o++] = g[i];
        s->shadow_geometry[o] = '\0';
    }
    return 0;
}

/* <mode>XSHAD<user>XSHAD<display>: one's own desktop here, for oneself or
 * (10th argument, from one's own applet) for the requester named there;
 * another user's desktop through that user's applet. */
static int parse_shadow(struct start *s, int argc, char **argv, FILE *out)
{
    struct x2go_shadow_req r;
    if (x2go_shadow_req_parse(s->cmd, &r) < 0)
        return x2go_cmd_error(2);
    s->shadow_mode = r.mode;
    if (strcmp(r.user, s->user) != 0)
        return ask_owner(s, argv, &r, out);
    if (argc >= 10 && strcmp(argv[9], s->user) != 0) {
        if (!x2go_username_valid(argv[9]) || !getpwnam(argv[9]))
            return x2go_cmd_fail(2, "invalid requesting user '%.100s'", argv[9]);
        snprintf(s->shadreq, sizeof s->shadreq, "%s", argv[9]);
    }
    snprintf(s->shadow_display, sizeof s->shadow_display, ":%d", r.display);
    return shadow_geometry(s);
}

/* The environment of the agent and of the pre-start hooks: ours without
 * the variables we set, plus those (spec 4.2). */
static char **agent_env(struct start *s, char *display, char *nxroot, char *xauth)
{
    static const char *const drop[] = {"DISPLAY=", "NX_ROOT=", "NX_CLIENT=", "NX_TEMP=",
                                       "XAUTHORITY=", "LD_LIBRARY_PATH="};
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 8, sizeof *env);
    if (!env)
        abort();
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        bool skip = false;
        for (size_t k = 0; k < X2GO_ARRAY_LEN(drop); k++)
            if (!strncmp(environ[i], drop[k], strlen(drop[k])))
                skip = k < 5 || s->stype == 'S';
        if (!skip)
            env[o++] = environ[i];
    }
    env[o++] = display;
    env[o++] = nxroot;
    env[o++] = "NX_CLIENT=" NX_CLIENT_BIN;
    env[o++] = "NX_TEMP=/tmp";
    env[o++] = xauth;
    env[o] = NULL;
    return env;
}

/* Geometry rules of spec 2.1.1 step 15. */
static const char *agent_geometry(struct start *s)
{
    const char *geometry = s->geometry;
    if ((s->stype == 'R' || s->stype == 'P') && !strcmp(geometry, "fullscreen"))
        geometry = "";
    if (s->stype == 'D' && !*geometry)
        geometry = "fullscreen";
    if (s->stype == 'S')
        geometry = s->shadow_geometry;
    s->fullscreen = !strcmp(geometry, "fullscreen");
    return geometry;
}

/* Keyboard: a directory of that name stops the agent from writing its
 * keyboard file (spec 4.7); made before the agent starts, not after. */
static int block_keyboard_file(const struct start *s)
{
    char path[PATH_MAX];
    if (s->setkbd && !strcmp(s->kbtype, "auto") && s->stype != 'S')
        return 0;
    if (x2go_fmt(path, sizeof path, "%s/keyboard", s->dir) < 0 || mkdir(path, 0700) < 0)
        return -1;
    x2go_log(LOG_INFO, "blocking creation of agent's keyboard file %s", path);
    return 0;
}

/* The options file (spec 4.3); its path goes to path. */
static int write_options(struct start *s, const struct x2go_agent_conf *ac,
                         const char *geometry, char *path, size_t len)
{
    struct x2go_options o = {
        .link = s->link, .pack = s->pack, .type = s->type, .sid = s->res.sid,
        .cookie = s->cookie, .dir = s->dir,
        .kbtype = (s->setkbd && strcmp(s->kbtype, "auto")) ? s->kbtype : "null/null",
        .geometry = geometry, .xinerama = s->xinerama, .fullscreen = s->fullscreen,
        .gr_port = s->res.ports[0], .clipboard = s->clipboard, .nxoptions = ac->nxoptions,
        .display = s->res.display,
    };
    char line[4096];
    if (x2go_options_format(&o, line, sizeof line) < 0 ||
        x2go_fmt(path, len, "%s/options", s->dir) < 0 ||
        x2go_write_file_atomic(path, line, strlen(line), 0600) < 0)
        return -1;
    return 0;
}

/* The files the agent needs after the session dir: sshd.pid, the cookie
 * in the xauthority file, the keyboard block and the options file. 0 or
 * the exit status after the undo. */
static int make_files(struct start *s, const struct x2go_agent_conf *ac, const char *geometry,
                      char *path, size_t len)
{
    if (x2go_write_sshd_pid(s->dir) < 0 || x2go_new_cookie(s->cookie) < 0)
        return fail(s, 12, "%s", x2go_err());
    s->xauth_added = true; /* also undo a partial add */
    if (x2go_xauth(s->xauthority, s->host, s->res.display, s->cookie) < 0)
        return fail(s, 12, "cannot add the session cookie: %s", x2go_err());
    if (block_keyboard_file(s) < 0)
        return fail(s, 12, "cannot create the keyboard directory: %s", strerror(errno));
    if (write_options(s, ac, geometry, path, len) < 0)
        return fail(s, 12, "cannot write the options file: %s", x2go_err());
    return 0;
}

/* A shadow session's dir is 0710, of the sharing group when the owner is
 * in it (spec 2.1.1 step 16): the viewer may reach its files there. */
static int share_dir(const struct start *s)
{
    struct group *g = getgrnam(SHARING_GROUP);
    gid_t groups[256];
    int ng = (int)X2GO_ARRAY_LEN(groups);
    struct passwd *pw = getpwuid(s->uid);
    bool member = false;
    if (g && pw && getgrouplist(s->user, pw->pw_gid, groups, &ng) >= 0)
        for (int i = 0; i < ng; i++)
            member = member || groups[i] == g->gr_gid;
    if ((member && chown(s->dir, (uid_t)-1, g->gr_gid) < 0) || chmod(s->dir, 0710) < 0) {
        x2go_seterr("cannot open the session directory to the viewer: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* The session dir and its log, opened into *logfd. */
static int make_dir_and_log(struct start *s, int *logfd)
{
    char path[PATH_MAX];
    if (x2go_home_dirs(s->home) < 0)
        return fail(s, 12, "cannot prepare ~/.x2go: %s", x2go_err());
    if (x2go_sessdir_create(s->user, s->uid, s->res.sid, s->dir, sizeof s->dir) < 0)
        return fail(s, 12, "%s", x2go_err());
    s->files_made = true;
    if (s->stype == 'S' && share_dir(s) < 0)
        return fail(s, 12, "%s", x2go_err());
    if (x2go_fmt(path, sizeof path, "%s/session.log", s->dir) < 0)
        return fail(s, 12, "%s", x2go_err());
    *logfd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_APPEND, 0600);
    if (*logfd < 0)
        return fail(s, 12, "cannot create the session log: %s", strerror(errno));
    return 0;
}

/* Strings the agent's argv points into. */
struct agent_argv {
    char *argv[X2GO_MAX_AGENT_ARGS + 24];
    char disparg[16], name[X2GO_SID_MAX + 8], mode[4];
};

/* Spec 4.2, in this order; the reference's second "-nolisten tcp"
 * (NOLISTOPT, a copy of the configured one) is left out. */
static void agent_argv(struct start *s, const struct x2go_agent_conf *ac, const char *geometry,
                       struct agent_argv *a)
{
    char **argv = a->argv;
    int n = 0;
    argv[n++] = "x2goagent";
    for (int i = 0; i < ac->nargs; i++)
        argv[n++] = ac->args[i];
    if (s->dpi) {
        argv[n++] = "-dpi";
        argv[n++] = (char *)s->dpi;
    }
    if (s->xdmcp && s->stype != 'S') {
        argv[n++] = "-query";
        argv[n++] = (char *)s->xdmcp;
    }
    argv[n++] = s->stype == 'S' ? "-S" : (s->stype == 'R' || s->stype == 'P') ? "-R" : "-D";
    if (s->stype == 'P')
        argv[n++] = "-norootlessexit";
    argv[n++] = "-auth";
    argv[n++] = s->xauthority;
    if (s->stype == 'S') {
        snprintf(a->mode, sizeof a->mode, "%d", s->shadow_mode);
        argv[n++] = "-shadow";
        argv[n++] = s->shadow_display;
        argv[n++] = "-shadowmode";
        argv[n++] = a->mode;
    }
    if (*geometry && strcmp(geometry, "fullscreen")) {
        argv[n++] = "-geometry";
        argv[n++] = (char *)geometry;
    }
    snprintf(a->name, sizeof a->name, "X2GO-%s", s->res.sid);
    snprintf(a->disparg, sizeof a->disparg, ":%d", s->res.display);
    argv[n++] = "-name";
    argv[n++] = a->name;
    argv[n++] = a->disparg;
    argv[n] = NULL;
}

#define AGENT_DIED (-1) /* run_agent(): the agent exited before it listened */

/* Start the agent, link ~/.x2go/C-<sid>, record the session, wait until
 * the agent listens. 0, AGENT_DIED, or the exit status after the undo. */
static int run_agent(struct start *s, char **argv, char **env, int logfd)
{
    /* The link first: the agent makes NX_ROOT/C-<sid> a directory of its
     * own when it finds nothing there. */
    if (x2go_sesslink_create(s->home, s->res.sid, s->dir) < 0)
        return fail(s, 12, "%s", x2go_err());
    x2go_run_hooks(s->res.sid, "pre-start", env);
    x2go_linger(s->user);
    struct x2go_spawn_opts so = {.envp = env, .in_fd = -1, .out_fd = -1, .err_fd = logfd,
                                 .new_session = true};
    s->agent = x2go_spawn(AGENT_BIN, argv, &so);
    close(logfd);
    if (s->agent < 0) {
        x2go_run_hooks(s->res.sid, "fail-start", env);
        s->agent = 0;
        return fail(s, 12, "cannot start the X2Go Agent: %s", x2go_err());
    }
    int st;
    if (waitpid(s->agent, &st, WNOHANG) == s->agent) {
        s->agent = 0;
        return AGENT_DIED;
    }
    if (s->st->ops->create(s->st, s->res.sid, s->cookie, s->agent, s->client,
                           s->res.ports) != 0)
        return fail(s, 12, "cannot record the session in the database: %s", x2go_err());
    s->created = true;
    /* The client tunnels to the graphics port as soon as we print: wait
     * (bounded) until the agent listens there. */
    int w = x2go_wait_listen(s->res.ports[0], LISTEN_WAIT_MS, s->agent);
    if (w == -2) {
        s->agent = 0;
        return AGENT_DIED;
    }
    if (w == -1)
        x2go_log(LOG_WARNING, "agent of %s not listening on port %d after %d ms", s->res.sid,
                 s->res.ports[0], LISTEN_WAIT_MS);
    return 0;
}

static int launch(struct start *s, FILE *out)
{
    struct x2go_agent_conf ac;
    if (x2go_agent_conf_load(X2GO_AGENT_OPTIONS_FILE, &ac) < 0)
        return fail(s, 12, "cannot read the agent options: %s", x2go_err());
    const char *geometry = agent_geometry(s);
    char path[PATH_MAX];
    int logfd = -1, rc = make_dir_and_log(s, &logfd);
    if (rc)
        return rc;
    if ((rc = make_files(s, &ac, geometry, path, sizeof path)) != 0) {
        close(logfd);
        return rc;
    }

    char display[PATH_MAX + 64], nxroot[PATH_MAX + 16], xauth[PATH_MAX + 16];
    snprintf(display, sizeof display, "DISPLAY=nx/nx,options=%s:%d", path, s->res.display);
    snprintf(nxroot, sizeof nxroot, "NX_ROOT=%s/.x2go", s->home);
    snprintf(xauth, sizeof xauth, "XAUTHORITY=%s", s->xauthority);
    char **env = agent_env(s, display, nxroot, xauth);
    struct agent_argv av;
    agent_argv(s, &ac, geometry, &av);
    rc = run_agent(s, av.argv, env, logfd);
    if (rc == AGENT_DIED) {
        char msg[X2GO_SID_MAX + 200];
        x2go_run_hooks(s->res.sid, "fail-start", env);
        snprintf(msg, sizeof msg, "Failed to start X2Go Agent session with ID %s. X2Go Agent "
                 "terminated unexpectedly. Aborting session startup.", s->res.sid);
        rc = fail(s, 12, "%s", msg);
    } else if (rc == 0) {
        x2go_log(LOG_NOTICE, "successfully started X2Go Agent session with ID %s", s->res.sid);
        x2go_run_hooks(s->res.sid, "post-start", env);
        fprintf(out, "%d\n%s\n%d\n%s\n%d\n%d\n%d\n", s->res.display, s->cookie, (int)s->agent,
                s->res.sid, s->res.ports[0], s->res.ports[1], s->res.ports[2]);
    }
    free(env);
    return rc;
}

/* Who and where: the caller, $HOME, the host name, the client's address,
 * the xauthority file (spec 2.1.1 steps 1 to 6). 0 or the exit status. */
static int find_environment(struct start *s)
{
    s->uid = getuid();
    if (x2go_caller_name(s->user, sizeof s->user) < 0)
        return x2go_cmd_error(3);
    const char *home = getenv("HOME");
    if (!home || !*home)
        return x2go_cmd_fail(4, "The $HOME environment variable is not set. Aborting session "
                                "startup.");
    if (!x2go_is_printable_ascii(home) || home[0] != '/' ||
        x2go_strlcpy(s->home, home, sizeof s->home) < 0)
        return x2go_cmd_fail(5, "Your home directory path contains non-ASCII characters. "
                                "Aborting session startup.");
    if (x2go_hostname(s->host, sizeof s->host) < 0 || !x2go_valid_hostname(s->host))
        return x2go_cmd_fail(6, "Unable to retrieve machine's hostname. This is required. "
                                "Aborting session startup.");
    int rc = find_client(s);
    if (rc)
        return rc;
    if (x2go_xauthority(s->home, s->xauthority, sizeof s->xauthority) < 0 ||
        !x2go_is_printable_ascii(s->xauthority))
        return x2go_cmd_error(4);
    return 0;
}

/* The session limit, then a display and ports in one transaction: no
 * half-made reservation is left either way. 0 or the exit status. */
static int reserve(struct start *s)
{
    char lim[32];
    int l = x2go_session_limit(s->st, lim, sizeof lim);
    if (l > 0)
        return x2go_cmd_fail(9, "LIMIT: the configured session limit is reached; suspend or "
                                "terminate a session first");
    if (l < 0)
        return x2go_cmd_fail(9, "cannot check the session limit: %s", x2go_err());
    struct x2go_reserve_req req = {
        .server = s->host, .owner = s->shadreq[0] ? s->shadreq : s->user,
        .epoch = (long long)time(NULL),
        .type = s->stype == 'P' ? 'R' : s->stype, .command = s->idcmd, .depth = s->depth,
        .xdmcp = s->stype == 'S' ? NULL : s->xdmcp, .display_start = 50,
        .port_start = x2go_random_port(), .nports = 3,
    };
    int rc = s->st->ops->reserve(s->st, &req, &s->res);
    if (rc == X2GO_STORE_LIMIT)
        return x2go_cmd_fail(9, "%s", x2go_err());
    if (rc < 0) {
        /* One transaction: no half-made reservation is left either way. */
        bool ports = rc == X2GO_STORE_NOPORT;
        return x2go_cmd_fail(ports ? 11 : 10, "Unable to find free %s or insert new session "
                             "into database: %s", ports ? "port" : "display port", x2go_err());
    }
    s->reserved = true;
    return 0;
}

static int run_startagent(int argc, char **argv, FILE *out)
{
    static struct start s; /* large; one per process */
    memset(&s, 0, sizeof s);
    x2go_cloexec_from(3);
    int rc = parse_args(&s, argc, argv);
    if (rc == 0)
        rc = find_environment(&s);
    if (rc == 0 && s.stype == 'S')
        rc = parse_shadow(&s, argc, argv, out);
    if (rc)
        return rc == SHARED_ELSEWHERE ? 0 : rc;
    s.st = x2go_store_open();
    if (!s.st)
        return x2go_cmd_error(10);
    rc = reserve(&s);
    if (rc == 0)
        rc = launch(&s, out);
    x2go_store_close(s.st);
    return rc;
}

X2GO_COMMAND(startagent, "x2gostartagent", X2GO_BIN,
             "<geometry> <link> <pack> <type> <kblayout> <kbtype> <setkbd> <D|R|P|S> <command> "
             "[<clipboard>|<shadow user>]",
             9, 64, 0, run_startagent);
