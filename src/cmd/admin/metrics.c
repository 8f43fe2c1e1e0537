/* x2gometrics (root): the server's state for monitoring, as OpenMetrics
 * text (for node_exporter's textfile collector: write it to a .prom file)
 * or as JSON. Sessions of this host; displays and ports of the database
 * (the allocator's ranges are shared by the hosts of a farm). */
#include "cmd.h"
#include "metrics.h"
#include "proc.h"
#include "store.h"
#include "sysports.h"
#include "util.h"

#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The daemon is up when its state file is root's, parses, and names a
 * live process that is the daemon (a recycled pid is not). */
static bool daemon_state(struct x2go_daemon_state *ds)
{
    char buf[1024], comm[32], path[64];
    int fd = open(X2GO_DAEMON_STATE_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat sb;
    ssize_t n = -1;
    if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_uid == 0)
        n = read(fd, buf, sizeof buf);
    if (fd >= 0)
        close(fd);
    if (n < 0 || (size_t)n == sizeof buf || x2go_daemon_state_parse(buf, (size_t)n, ds) < 0)
        return false;
    snprintf(path, sizeof path, "/proc/%ld/comm", ds->pid);
    if (x2go_read_file(path, comm, sizeof comm) <= 0)
        return false;
    comm[strcspn(comm, "\n")] = '\0';
    /* comm holds the first 15 bytes of the program's name. */
    return !strcmp(comm, "x2gocleansessio");
}

static void agent_memory(struct x2go_metrics *m, const struct x2go_session *s)
{
    char path[64], *text;
    struct passwd *pw = getpwnam(s->uname);
    long long rss;
    if (s->agent_pid == X2GO_NULL_INT || (s->status != 'R' && s->status != 'S') || !pw ||
        !x2go_agent_alive((pid_t)s->agent_pid, s->sid, pw->pw_uid))
        return;
    snprintf(path, sizeof path, "/proc/%ld/status", s->agent_pid);
    if (!(text = x2go_slurp(path, NULL)))
        return;
    if (x2go_vmrss_parse(text, &rss) == 0)
        x2go_metrics_agent(m, s, rss);
    free(text);
}

static int gather(struct x2go_store *st, const char *host, struct x2go_metrics *m)
{
    struct x2go_list_query q = {X2GO_LIST_ROOT, host};
    struct x2go_session_list l = {0};
    struct x2go_store_usage u;
    if (st->ops->list(st, &q, &l) < 0 || x2go_store_usage(st, &u) < 0) {
        x2go_list_free(&l);
        return -1;
    }
    x2go_metrics_count(m, &l);
    for (size_t i = 0; i < l.n; i++)
        agent_memory(m, &l.s[i]);
    x2go_list_free(&l);
    long ndisp = X2GO_DISPLAY_MAX - X2GO_ALLOC_DISPLAY_FIRST + 1;
    long nports = X2GO_PORT_MAX - X2GO_ALLOC_PORT_FIRST + 1;
    m->displays_used = u.displays;
    m->displays_free = u.displays < ndisp ? ndisp - u.displays : 0;
    m->ports_used = u.ports;
    m->ports_free = u.ports < nports ? nports - u.ports : 0;
    m->daemon_up = daemon_state(&m->daemon);
    return 0;
}

static int run(int argc, char **argv, FILE *out)
{
    bool json = argc == 1 && !strcmp(argv[0], "--json");
    if (argc == 1 && !json)
        return x2go_cmd_fail(2, "unknown option '%s' (only --json)", argv[0]);
    char host[256];
    if (x2go_hostname(host, sizeof host) < 0)
        return x2go_cmd_error(1);
    struct x2go_store *st = x2go_store_open();
    if (!st)
        return x2go_cmd_error(1);
    struct x2go_metrics m = {0};
    int rc = gather(st, host, &m);
    x2go_store_close(st);
    if (rc == 0) {
        struct x2go_buf b = {0};
        if (json)
            x2go_metrics_json(&m, &b);
        else
            x2go_metrics_openmetrics(&m, &b);
        fputs(b.p, out);
        free(b.p);
    }
    x2go_metrics_free(&m);
    return rc < 0 ? x2go_cmd_error(1) : 0;
}

X2GO_COMMAND(metrics, "x2gometrics", X2GO_SBIN, "[--json]", 0, 1, X2GO_CMD_ROOT, run);
