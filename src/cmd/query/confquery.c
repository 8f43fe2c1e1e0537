/* Internal configuration helpers of spec 2.8: x2goqueryconfig,
 * x2goistrue, x2gologlevel and x2gosyslog. */
#include "cmd.h"
#include "conf.h"
#include "log.h"
#include "util.h"

#include <string.h>
#include <strings.h>

static int run_queryconfig(int argc, char **argv, FILE *out)
{
    (void)argc;
    const char *v;
    if (x2go_conf_str(argv[0], argv[1], NULL, &v) < 0)
        return x2go_cmd_error(1);
    if (!v)
        return 1; /* undefined: exit 1, silent, as the reference */
    fprintf(out, "%s\n", v);
    return 0;
}

static int run_istrue(int argc, char **argv, FILE *out)
{
    (void)argc;
    fputs(x2go_parse_bool(argv[0]) == 1 ? "1\n" : "0\n", out);
    return 0;
}

static int run_loglevel(int argc, char **argv, FILE *out)
{
    (void)argc;
    (void)argv;
    /* x2go_conf_loglevel() falls back to notice on any error, because
     * logging must never fail; this command exists to report the setting,
     * so a broken [log] section is an error here. */
    const char *v;
    if (x2go_conf_str("log", "loglevel", NULL, &v) < 0)
        return x2go_cmd_error(1);
    fprintf(out, "%d", x2go_conf_loglevel());
    return 0;
}

static int run_syslog(int argc, char **argv, FILE *out)
{
    (void)out;
    static const struct { const char *name; int prio; } levels[] = {
        {"emerg", LOG_EMERG}, {"alert", LOG_ALERT}, {"crit", LOG_CRIT},
        {"err", LOG_ERR}, {"warning", LOG_WARNING}, {"notice", LOG_NOTICE},
        {"info", LOG_INFO}, {"debug", LOG_DEBUG},
    };
    int prio = -1;
    for (size_t i = 0; i < X2GO_ARRAY_LEN(levels); i++)
        if (!strcasecmp(argv[1], levels[i].name))
            prio = levels[i].prio;
    if (prio < 0) {
        return x2go_cmd_fail(2, "unknown log level '%s'", argv[1]);
    }
    char msg[1024] = "";
    size_t o = 0;
    for (int i = 2; i < argc; i++) {
        int n = snprintf(msg + o, sizeof msg - o, "%s%s", i > 2 ? " " : "", argv[i]);
        if (n < 0 || (size_t)n >= sizeof msg - o)
            break;
        o += (size_t)n;
    }
    x2go_set_progname(argv[0]);
    x2go_log(prio, "%s", msg);
    return 0;
}

X2GO_COMMAND(queryconfig, "x2goqueryconfig", X2GO_LIBEXEC, "<section> <key>", 2, 2, 0,
             run_queryconfig);
X2GO_COMMAND(istrue, "x2goistrue", X2GO_LIBEXEC, "<value>", 1, 1, 0, run_istrue);
X2GO_COMMAND(loglevel, "x2gologlevel", X2GO_LIBEXEC, "", 0, 0, 0, run_loglevel);
X2GO_COMMAND(syslog, "x2gosyslog", X2GO_LIBEXEC, "<component> <level> <message...>", 3, -1, 0,
             run_syslog);
