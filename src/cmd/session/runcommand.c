/* x2goruncommand: run the session's program on the agent's display, wait
 * for it, then end the session and run the logout scripts (spec 5). The
 * program runs from an argv split on spaces, never through a shell; a
 * desktop runs through the Xsession script (xsession.h).
 * x2gocmdexitmessage prints what the last run left in cmdoutput (the
 * NOEXEC message for the client). */
#include "cmd.h"
#include "conf.h"
#include "hooks.h"
#include "log.h"
#include "proc.h"
#include "sessctl.h"
#include "sessfiles.h"
#include "util.h"
#include "validate.h"
#include "xsession.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#define MAX_WORDS 256

static const char *first_existing(const char *const *paths)
{
    for (; *paths; paths++)
        if (x2go_is_exec(*paths))
            return *paths;
    return NULL;
}

/* GNOME: the first session file of a fallback flavour that is installed
 * picks the arguments (Debian: no Ubuntu release checks). */
static const char *gnome(const char **args)
{
    static const struct { const char *file, *name, *args, *xdg; } g[] = {
        {"gnome-flashback-metacity", "gnome-flashback-metacity",
         "--session=gnome-flashback-metacity --disable-acceleration-check",
         "GNOME-Flashback:GNOME"},
        {"gnome-flashback", "gnome-flashback",
         "--session=gnome-flashback --disable-acceleration-check", NULL},
        {"gnome-fallback", "gnome-fallback", "--session=gnome-fallback", NULL},
        {"2d-gnome", "2d-gnome", "--session=2d-gnome", NULL},
    };
    for (size_t i = 0; i < X2GO_ARRAY_LEN(g); i++) {
        char f[256];
        snprintf(f, sizeof f, "/usr/share/gnome-session/sessions/%s.session", g[i].file);
        if (access(f, R_OK) == 0) {
            setenv("DESKTOP_SESSION", g[i].name, 1);
            if (g[i].xdg) {
                setenv("XDG_SESSION_DESKTOP", g[i].name, 1);
                setenv("XDG_CURRENT_DESKTOP", g[i].xdg, 1);
            }
            *args = g[i].args;
            break;
        }
    }
    return "/usr/bin/gnome-session";
}

/* The generic names of spec 5, compared with the whole command. Sets
 * *args to extra arguments and may set environment variables. Returns the
 * replacement command or NULL when the command is used as it is. */
static const char *alias(const char *cmd, const char **args)
{
    static const char *const terminal[] = {
        "/usr/bin/konsole", "/usr/bin/mate-terminal", "/usr/bin/gnome-terminal",
        "/usr/bin/lxterminal", "/usr/bin/qterminal", "/usr/bin/rxvt", "/usr/bin/xterm", NULL};
    static const char *const browser[] = {
        "/usr/bin/firefox.real", "/usr/bin/iceweasel", "/usr/bin/firefox", "/usr/bin/abrowser",
        "/usr/bin/konqueror", "/usr/bin/galeon", "/usr/bin/chromium-browser", NULL};
    static const char *const mail[] = {"/usr/bin/thunderbird", "/usr/bin/icedove",
                                       "/usr/bin/kmail", "/usr/bin/evolution", NULL};
    static const char *const cinnamon[] = {"/usr/bin/cinnamon-session-cinnamon2d",
                                           "/usr/bin/gnome-session-cinnamon2d",
                                           "/usr/bin/gnome-session-cinnamon", NULL};
    static const char *const trinity[] = {"/opt/trinity/bin/starttde",
                                          "/opt/trinity/bin/starttrinity", NULL};
    static const struct { const char *name, *path; } simple[] = {
        {"MATE", "/usr/bin/mate-session"},    {"XFCE4", "/usr/bin/xfce4-session"},
        {"XFCE", "/usr/bin/xfce4-session"},   {"LXDE", "/usr/bin/startlxde"},
        {"LXQt", "/usr/bin/startlxqt"},       {"IceWM", "/usr/bin/icewm"},
        {"OPENBOX", "/usr/bin/openbox-session"}, {"ICEWM", "/usr/bin/icewm-session"},
    };
    *args = NULL;
    const char *p;
    if (!strcmp(cmd, "GNOME") || !strcmp(cmd, "gnome-session"))
        return gnome(args);
    if (!strcmp(cmd, "UNITY") || !strcmp(cmd, "unity"))
        return "/usr/bin/gnome-session";
    if (!strcmp(cmd, "CINNAMON") || !strcmp(cmd, "cinnamon")) {
        if ((p = first_existing(cinnamon)))
            return p;
        setenv("DESKTOP_SESSION", "cinnamon2d", 1);
        *args = "--session=cinnamon2d";
        return "/usr/bin/gnome-session";
    }
    if (!strcmp(cmd, "KDE"))
        return x2go_is_exec("/usr/bin/startplasma-x11") ? "/usr/bin/startplasma-x11"
                                                   : "/usr/bin/startkde";
    if (!strcmp(cmd, "startkde") && x2go_is_exec("/usr/bin/startplasma-x11"))
        return "/usr/bin/startplasma-x11";
    if (!strcmp(cmd, "TRINITY")) {
        if (x2go_is_exec("/usr/bin/start-q4os-x2go"))
            return "/usr/bin/start-q4os-x2go";
        return (p = first_existing(trinity)) ? p : "/usr/bin/starttrinity";
    }
    if (!strcmp(cmd, "WWWBROWSER"))
        return (p = first_existing(browser)) ? p : "/usr/bin/firefox";
    if (!strcmp(cmd, "MAILCLIENT"))
        return (p = first_existing(mail)) ? p : "/usr/bin/thunderbird";
    if (!strcmp(cmd, "OFFICE"))
        return x2go_is_exec("/usr/bin/loffice") ? "/usr/bin/loffice" : "/usr/bin/ooffice";
    if (!strcmp(cmd, "TERMINAL"))
        return (p = first_existing(terminal)) ? p : "/usr/bin/xterm";
    for (size_t i = 0; i < X2GO_ARRAY_LEN(simple); i++)
        if (!strcmp(cmd, simple[i].name))
            return simple[i].path;
    return NULL;
}

/* Split on spaces into argv (no quoting, no expansion: as the reference's
 * unquoted $cmd, minus the glob). */
static int split(char *s, char **argv, int max, int n)
{
    for (char *w = strtok(s, " \t"); w; w = strtok(NULL, " \t")) {
        if (n >= max - 1)
            return -1;
        argv[n++] = w;
    }
    argv[n] = NULL;
    return n;
}

static int append_file(const char *dir, const char *name, const char *text, bool truncate)
{
    char path[PATH_MAX];
    if (x2go_fmt(path, sizeof path, "%s/%s", dir, name) < 0)
        return -1;
    int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
                            (truncate ? O_TRUNC : O_APPEND), 0600);
    if (fd < 0)
        return -1;
    size_t n = strlen(text);
    ssize_t w = write(fd, text, n);
    close(fd);
    return w == (ssize_t)n ? 0 : -1;
}

/* The arguments, checked (spec 5). */
struct run_args {
    long display, pid;
    const char *sid, *sndport, *sndsys;
    char stype;
    char cmd[X2GO_TEXT_MAX + 1];
};

static int parse_run(char **argv, struct run_args *r)
{
    long sndport;
    if (x2go_parse_long(argv[0], 1, 9999, &r->display) < 0)
        return x2go_cmd_fail(2, "invalid display '%s'", argv[0]);
    if (x2go_parse_long(argv[1], 2, 4194304, &r->pid) < 0)
        return x2go_cmd_fail(2, "invalid agent pid '%s'", argv[1]);
    if (strcmp(argv[3], "-1") && x2go_parse_long(argv[3], 0, 65535, &sndport) < 0)
        return x2go_cmd_fail(2, "invalid sound port '%s'", argv[3]);
    const char *sndsys = argv[5];
    if (strcmp(sndsys, "pulse") && strcmp(sndsys, "esd") && strcmp(sndsys, "arts") &&
        strcmp(sndsys, "none") && strcmp(sndsys, "nosnd"))
        return x2go_cmd_fail(2, "invalid sound system '%s' (use pulse, esd, arts, none or "
                                "nosnd)", sndsys);
    if (strlen(argv[6]) != 1 || !strchr("DRPSK", argv[6][0]))
        return x2go_cmd_fail(2, "invalid session type '%s' (use D, R or P)", argv[6]);
    r->sid = argv[2];
    r->sndport = argv[3];
    r->sndsys = sndsys;
    r->stype = argv[6][0];
    /* X2GO_SPACE_CHAR stands for a space (the clients cannot quote). */
    size_t o = 0;
    for (const char *p = argv[4]; *p && o < X2GO_TEXT_MAX;) {
        if (!strncmp(p, "X2GO_SPACE_CHAR", 15)) {
            r->cmd[o++] = ' ';
            p += 15;
        } else {
            r->cmd[o++] = *p++;
        }
    }
    r->cmd[o] = '\0';
    return 0;
}

/* The caller's session the arguments name, still running; dir gets its
 * session dir. 0 (the context open) or the exit status (closed). */
static int open_run_session(const struct run_args *r, struct x2go_ctx *c,
                            struct x2go_session *s, char *dir, size_t len)
{
    int rc = x2go_ctx_open(c) < 0 ? 1 : x2go_ctx_session(c, r->sid, s);
    if (rc)
        rc = x2go_cmd_error(rc);
    else if (s->agent_pid != r->pid || s->display != r->display)
        rc = x2go_cmd_fail(1, "session %s has agent %ld on display %d, not %ld on %ld", s->sid,
                           s->agent_pid, s->display, r->pid, r->display);
    else if (s->status == 'F' || !x2go_session_agent_alive(c, s) ||
             x2go_sessdir_open(c->user, c->uid, s->sid, dir, len) < 0)
        rc = x2go_cmd_fail(1, "session %s has ended", s->sid);
    if (rc)
        x2go_ctx_close(c);
    return rc;
}

/* Our own process group (what x2goterminate-session signals) in cmd.pid,
 * and the command in cmdoutput. */
static int record_start(const char *dir, const char *cmd)
{
    setpgid(0, 0);
    int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (nullfd >= 0) {
        dup2(nullfd, 0);
        close(nullfd);
    }
    char num[32], line[X2GO_TEXT_MAX + 64], path[PATH_MAX];
    snprintf(num, sizeof num, "%d", (int)getpid());
    snprintf(line, sizeof line, "exec %s\n", cmd);
    if (x2go_fmt(path, sizeof path, "%s/cmd.pid", dir) < 0 ||
        x2go_write_file_atomic(path, num, strlen(num), 0600) < 0 ||
        append_file(dir, "cmdoutput", line, false) < 0)
        return -1;
    return 0;
}

/* The session's environment (spec 5). */
static void session_env(const struct x2go_ctx *c, const struct x2go_session *s,
                        const struct run_args *r, const char *dir)
{
    const char *sc = getenv("SSH_CLIENT"), *sconn = getenv("SSH_CONNECTION");
    char num[32], line[256], path[PATH_MAX];
    if ((!sc || !*sc) && sconn && *sconn) {
        char a[64], b[16], d[64], e[16];
        if (sscanf(sconn, "%63s %15s %63s %15s", a, b, d, e) == 4) {
            snprintf(line, sizeof line, "%s %s %s", a, b, e);
            setenv("SSH_CLIENT", line, 1);
        }
    }
    snprintf(num, sizeof num, ":%ld", r->display);
    setenv("DISPLAY", num, 1);
    if (x2go_xauthority(c->home, path, sizeof path) == 0)
        setenv("XAUTHORITY", path, 1);
    snprintf(num, sizeof num, "%ld", r->pid);
    setenv("X2GO_AGENT_PID", num, 1);
    setenv("X2GO_SESSION", s->sid, 1);
    setenv("QT_GRAPHICSSYSTEM", "native", 1);
    x2go_ssh_agent_link(dir, false);
    if (x2go_fmt(path, sizeof path, "%s/.x2go/C-%s/ssh-agent.PID", c->home, s->sid) >= 0)
        setenv("SSH_AUTH_SOCK", path, 1);
    /* Where a file opens on the client's side: x2gomountdirs links it to
     * the MIME box spool when the client asks for one. */
    if (x2go_fmt(path, sizeof path, "%s/.x2go/C-%s/mimebox", c->home, s->sid) >= 0)
        setenv("X2GO_MIMEBOX", path, 1);
    snprintf(num, sizeof num, "localhost:%s", r->sndport);
    if (!strcmp(r->sndsys, "esd"))
        setenv("ESPEAKER", num, 1);
    else if (!strcmp(r->sndsys, "arts"))
        setenv("ARTS_SERVER", num, 1);
}

/* The program's argv: the command or what its generic name stands for,
 * split on spaces; rdesktop gets its sound through padsp and ~/media as a
 * disk (spec 5). exe gets the program to run; false when there is none. */
static bool program_argv(const char *cmd, const char *home, char **av, char *exe, size_t len)
{
    static char words[X2GO_TEXT_MAX + 512];
    static char media[PATH_MAX + 32], padsp[PATH_MAX], rdesktop[PATH_MAX];
    const char *extra;
    const char *mapped = alias(cmd, &extra);
    snprintf(words, sizeof words, "%s%s%s", mapped ? mapped : cmd, extra ? " " : "",
             extra ? extra : "");
    int n = split(words, av, MAX_WORDS - 4, 0);
    if (n <= 0 || !x2go_which(av[0], exe, len))
        return false;
    const char *base = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
    struct stat st;
    if (strcmp(base, "rdesktop"))
        return true;
    if (x2go_which("padsp", padsp, sizeof padsp)) {
        /* exe becomes padsp's path below: keep rdesktop's own copy. */
        snprintf(rdesktop, sizeof rdesktop, "%s", exe);
        memmove(av + 1, av, (size_t)(n + 1) * sizeof *av);
        av[0] = padsp;
        av[1] = rdesktop;
        n++;
        av[n++] = "-r";
        av[n++] = "sound:local";
        av[n] = NULL;
        snprintf(exe, len, "%s", padsp);
    }
    snprintf(media, sizeof media, "%s/media", home);
    if (stat(media, &st) == 0 && S_ISDIR(st.st_mode) && n < MAX_WORDS - 3) {
        snprintf(media, sizeof media, "disk:X2GoMedia=%s/media", home);
        av[n++] = "-r";
        av[n++] = media;
        av[n] = NULL;
    }
    return true;
}

/* A desktop through the Xsession script, its output appended to
 * cmdoutput (spec 5). False when it is not for this session (not a
 * desktop, no script) or could not start: then the program runs directly. */
static bool run_xsession(const struct x2go_session *s, char stype, const char *dir,
                         char **av, const char *exe)
{
    struct x2go_xsession_facts f;
    static char dbus[PATH_MAX], line[X2GO_TEXT_MAX + PATH_MAX + 512];
    const char *xav[X2GO_XSESSION_MAX_ARGS];
    char path[PATH_MAX];
    x2go_xsession_probe(stype, &f, dbus, sizeof dbus);
    /* The resolved path: a profile may change PATH before the script
     * looks the program up. */
    const char *first = av[0];
    av[0] = (char *)exe;
    int n = x2go_xsession_argv(&f, av, line, sizeof line, xav);
    av[0] = (char *)first;
    if (n <= 0) {
        if (n < 0)
            x2go_log(LOG_WARNING, "session %s: command line too long for %s, running it "
                     "directly", s->sid, f.script);
        return false;
    }
    if (x2go_fmt(path, sizeof path, "%s/cmdoutput", dir) < 0)
        return false;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return false;
    struct x2go_spawn_opts o = {.in_fd = -1, .out_fd = fd, .err_fd = fd};
    pid_t pid = x2go_spawn(xav[0], (char *const *)xav, &o);
    close(fd);
    if (pid < 0) {
        x2go_log(LOG_ERR, "session %s: %s; running %s directly", s->sid, x2go_err(), exe);
        return false;
    }
    x2go_log(LOG_NOTICE, "session %s: started %s through %s, %s", s->sid, exe, f.script,
             f.dbus_run ? "with a D-Bus session bus of its own (dbus-run-session)"
                        : "without a D-Bus session bus of its own (no dbus-run-session)");
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return true;
}

/* Run the session's program to its end; true when it could run. Published
 * applications run nothing: the client starts them, we wait for the agent. */
static bool run_session_program(const struct x2go_ctx *c, const struct x2go_session *s,
                                const struct run_args *r, const char *dir)
{
    bool ran = false;
    x2go_run_hooks(s->sid, "pre-runcommand", NULL);
    if (r->stype == 'P') {
        if (x2go_pidfd_wait((pid_t)s->agent_pid) < 0)
            while (x2go_session_agent_alive(c, s))
                sleep(1);
        x2go_run_hooks(s->sid, "post-runcommand", NULL);
        return true;
    }
    char *av[MAX_WORDS], exe[PATH_MAX];
    if (program_argv(r->cmd, c->home, av, exe, sizeof exe)) {
        x2go_run_optional("/usr/bin/x2gosetkeyboard", s->sid, 0, NULL);
        x2go_log(LOG_INFO, "session %s: running %s", s->sid, exe);
        if (run_xsession(s, r->stype, dir, av, exe) || x2go_run_draining(exe, av) == 0) {
            ran = true;
            x2go_run_hooks(s->sid, "post-runcommand", NULL);
        }
    }
    if (!ran) {
        char line[X2GO_TEXT_MAX + 64];
        x2go_log(LOG_ERR, "ERROR: command %s failed to execute", r->cmd);
        snprintf(line, sizeof line, "X2GORUNCOMMAND ERR NOEXEC:%s\n", r->cmd);
        append_file(dir, "cmdoutput", line, true);
        x2go_run_hooks(s->sid, "fail-runcommand", NULL);
    }
    return ran;
}

static int run_runcommand(int argc, char **argv, FILE *out)
{
    (void)argc;
    (void)out;
    /* We outlive the client's command channel (it backgrounds us): hold on
     * to none of the descriptors we inherited beyond stdin/out/err, or the
     * channel (say, a pipe of a logging wrapper) never closes and the
     * client waits forever. syslog reconnects by itself. */
    closelog();
    x2go_close_from(3);
    static struct run_args r;
    struct x2go_ctx c;
    struct x2go_session s;
    char dir[PATH_MAX];
    int rc = parse_run(argv, &r);
    if (rc == 0)
        rc = open_run_session(&r, &c, &s, dir, sizeof dir);
    if (rc)
        return rc;
    if (record_start(dir, r.cmd) < 0) {
        x2go_ctx_close(&c);
        return x2go_cmd_fail(1, "cannot write to the session directory %s", dir);
    }
    session_env(&c, &s, &r, dir);
    /* x2goterminate-session signals our process group: the program ends,
     * we stay to end the session and run the logout scripts. Children get
     * the default back (x2go_spawn). */
    signal(SIGTERM, SIG_IGN);
    x2go_become_subreaper();
    bool ran = run_session_program(&c, &s, &r, dir);
    /* The session is over: so is what it started. */
    x2go_end_descendants(3000);

    /* The program is done: so is the session. Its files stay for the
     * client's x2gocmdexitmessage when the program could not run, and at
     * loglevel debug. */
    x2go_sharing_helper(&c, "x2goterminate-desktopsharing", s.sid);
    x2go_umount_shares(s.sid);
    bool keep = !ran || x2go_conf_loglevel() == LOG_DEBUG;
    x2go_end_session(&c, &s, !keep);
    x2go_ctx_close(&c);
    x2go_run_logout(s.sid);
    return 0;
}

static int run_cmdexitmessage(int argc, char **argv, FILE *out)
{
    (void)argc;
    char me[X2GO_USER_MAX + 1], dir[PATH_MAX], path[PATH_MAX];
    if (x2go_sid_parse(argv[0], NULL) < 0 || x2go_caller_name(me, sizeof me) < 0)
        return x2go_cmd_error(2);
    /* No message is the normal case: silent (x2goclient would show any
     * stderr as an error), exit 1 as the reference. */
    if (x2go_sessdir_open(me, getuid(), argv[0], dir, sizeof dir) < 0 ||
        x2go_fmt(path, sizeof path, "%s/cmdoutput", dir) < 0)
        return 1;
    static char buf[1 << 20];
    ssize_t n = x2go_read_file(path, buf, sizeof buf);
    if (n < 0)
        return 1;
    fwrite(buf, 1, (size_t)n, out);
    return 0;
}

/* Argument 5 is the session's command line. */
X2GO_COMMAND_ARGS(runcommand, 5, "x2goruncommand", X2GO_BIN,
                  "<display> <agent pid> <session id> <sound port> <command> <sound system> "
                  "<D|R|P>",
                  7, 7, 0, run_runcommand);
X2GO_COMMAND(cmdexitmessage, "x2gocmdexitmessage", X2GO_BIN, "<session id>", 1, 1, 0,
             run_cmdexitmessage);
