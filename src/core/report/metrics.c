#include "metrics.h"
#include "json.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_LEN 64

static const struct {
    const char *key;
    long min, max;
} state_keys[] = {
    {"last_pass", 0, 99999999999L}, {"passes", 0, 999999999999999L},
    {"tracked", 0, 99999999L},      {"pid", 1, 4194304L},
};

static bool key_char(char c) { return (c >= 'a' && c <= 'z') || c == '_'; }

/* One "key=value" line: 0 and (when known) the key's index in *k (-1
 * for an unknown key), or -1 with the error set. */
static int state_line(const char *line, int no, int *k, long *v)
{
    const char *eq = strchr(line, '=');
    size_t kl = eq ? (size_t)(eq - line) : 0;
    for (size_t i = 0; i < kl; i++)
        if (!key_char(line[i]))
            kl = 0;
    if (kl == 0 || kl > 32) {
        x2go_seterr("%s line %d: not key=value", X2GO_DAEMON_STATE_FILE, no);
        return -1;
    }
    *k = -1;
    for (int i = 0; i < (int)X2GO_ARRAY_LEN(state_keys); i++)
        if (strlen(state_keys[i].key) == kl && !strncmp(line, state_keys[i].key, kl))
            *k = i;
    long min = *k < 0 ? 0 : state_keys[*k].min, max = *k < 0 ? 999999999999999999L
                                                               : state_keys[*k].max;
    if (x2go_parse_long(eq + 1, min, max, v) < 0) {
        x2go_seterr("%s line %d: %.*s needs a number in %ld..%ld", X2GO_DAEMON_STATE_FILE, no,
                    (int)kl, line, min, max);
        return -1;
    }
    return 0;
}

int x2go_daemon_state_parse(const char *text, size_t len, struct x2go_daemon_state *out)
{
    long vals[X2GO_ARRAY_LEN(state_keys)];
    bool seen[X2GO_ARRAY_LEN(state_keys)] = {false};
    size_t o = 0;
    for (int no = 1; o < len; no++) {
        const char *nl = memchr(text + o, '\n', len - o);
        size_t n = nl ? (size_t)(nl - (text + o)) : len - o;
        char line[LINE_MAX_LEN];
        if (n >= sizeof line || memchr(text + o, '\0', n)) {
            x2go_seterr("%s line %d: too long or binary", X2GO_DAEMON_STATE_FILE, no);
            return -1;
        }
        memcpy(line, text + o, n);
        line[n] = '\0';
        o += n + (nl ? 1 : 0);
        int k;
        long v;
        if (state_line(line, no, &k, &v) < 0)
            return -1;
        if (k >= 0 && seen[k]) {
            x2go_seterr("%s line %d: %s given twice", X2GO_DAEMON_STATE_FILE, no,
                        state_keys[k].key);
            return -1;
        }
        if (k >= 0) {
            seen[k] = true;
            vals[k] = v;
        }
    }
    for (size_t k = 0; k < X2GO_ARRAY_LEN(state_keys); k++)
        if (!seen[k]) {
            x2go_seterr("%s: %s is missing", X2GO_DAEMON_STATE_FILE, state_keys[k].key);
            return -1;
        }
    *out = (struct x2go_daemon_state){vals[0], vals[1], vals[2], vals[3]};
    return 0;
}

int x2go_vmrss_parse(const char *text, long long *bytes)
{
    for (const char *p = text; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        long long kb;
        char unit[4];
        if (strncmp(p, "VmRSS:", 6) == 0 && sscanf(p + 6, "%lld %3s", &kb, unit) == 2 &&
            !strcmp(unit, "kB") && kb >= 0) {
            *bytes = kb * 1024;
            return 0;
        }
    }
    return -1;
}

static const char statuses[X2GO_NSTATUS] = {'R', 'S', 'T', 'F'};

static int status_index(char c)
{
    const char *p = memchr(statuses, c, sizeof statuses);
    return p ? (int)(p - statuses) : -1;
}

static struct x2go_metrics_user *user_of(struct x2go_metrics *m, const char *name)
{
    for (size_t i = 0; i < m->nusers; i++)
        if (!strcmp(m->users[i].name, name))
            return &m->users[i];
    struct x2go_metrics_user *u = realloc(m->users, (m->nusers + 1) * sizeof *u);
    if (!u)
        abort();
    m->users = u;
    u = &m->users[m->nusers++];
    memset(u, 0, sizeof *u);
    snprintf(u->name, sizeof u->name, "%s", name);
    return u;
}

void x2go_metrics_count(struct x2go_metrics *m, const struct x2go_session_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct x2go_session *s = &l->s[i];
        int k = status_index(s->status);
        if (s->agent_pid == X2GO_NULL_INT || k < 0)
            continue;
        m->by_status[k]++;
        user_of(m, s->uname)->n[k]++;
    }
}

void x2go_metrics_agent(struct x2go_metrics *m, const struct x2go_session *s, long long rss)
{
    struct x2go_metrics_agent *a = realloc(m->agents, (m->nagents + 1) * sizeof *a);
    if (!a)
        abort();
    m->agents = a;
    a = &m->agents[m->nagents++];
    snprintf(a->sid, sizeof a->sid, "%s", s->sid);
    snprintf(a->user, sizeof a->user, "%s", s->uname);
    a->display = s->display;
    a->rss_bytes = rss;
}

void x2go_metrics_free(struct x2go_metrics *m)
{
    free(m->users);
    free(m->agents);
    memset(m, 0, sizeof *m);
}

void x2go_om_label(struct x2go_buf *b, const char *v)
{
    x2go_buf_add(b, "\"", 1);
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            x2go_buf_printf(b, "\\%c", *v);
        else if (*v == '\n')
            x2go_buf_add(b, "\\n", 2);
        else
            x2go_buf_add(b, v, 1);
    }
    x2go_buf_add(b, "\"", 1);
}

/* "# HELP" and "# TYPE" of a gauge family. */
static void family(struct x2go_buf *b, const char *name, const char *help)
{
    x2go_buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void gauge(struct x2go_buf *b, const char *name, const char *help, long long v)
{
    family(b, name, help);
    x2go_buf_printf(b, "%s %lld\n", name, v);
}

static void om_sessions(const struct x2go_metrics *m, struct x2go_buf *b)
{
    family(b, "x2go_sessions", "Sessions of this host by status (R running, S suspended,"
           " T terminating, F ended or failed).");
    for (int k = 0; k < X2GO_NSTATUS; k++)
        x2go_buf_printf(b, "x2go_sessions{status=\"%c\"} %ld\n", statuses[k], m->by_status[k]);
    family(b, "x2go_user_sessions", "Sessions of this host by user and status.");
    for (size_t i = 0; i < m->nusers; i++)
        for (int k = 0; k < X2GO_NSTATUS; k++) {
            if (!m->users[i].n[k])
                continue;
            x2go_buf_add(b, "x2go_user_sessions{user=", 24);
            x2go_om_label(b, m->users[i].name);
            x2go_buf_printf(b, ",status=\"%c\"} %ld\n", statuses[k], m->users[i].n[k]);
        }
}

static void om_agents(const struct x2go_metrics *m, struct x2go_buf *b)
{
    family(b, "x2go_agent_resident_memory_bytes",
           "Resident memory of each session's agent on this host.");
    for (size_t i = 0; i < m->nagents; i++) {
        const struct x2go_metrics_agent *a = &m->agents[i];
        x2go_buf_add(b, "x2go_agent_resident_memory_bytes{session_id=", 44);
        x2go_om_label(b, a->sid);
        x2go_buf_add(b, ",user=", 6);
        x2go_om_label(b, a->user);
        x2go_buf_printf(b, ",display=\"%d\"} %lld\n", a->display, a->rss_bytes);
    }
}

void x2go_metrics_openmetrics(const struct x2go_metrics *m, struct x2go_buf *b)
{
    om_sessions(m, b);
    gauge(b, "x2go_displays_used", "X displays held by sessions in the database.",
          m->displays_used);
    gauge(b, "x2go_displays_free", "X displays left for new sessions.", m->displays_free);
    gauge(b, "x2go_ports_used", "TCP ports held by sessions in the database.", m->ports_used);
    gauge(b, "x2go_ports_free", "TCP ports left for sessions.", m->ports_free);
    gauge(b, "x2go_daemon_up", "1 when the clean-up daemon runs and reports.", m->daemon_up);
    if (m->daemon_up) {
        gauge(b, "x2go_daemon_last_pass_timestamp_seconds",
              "When the clean-up daemon's last pass ended (Unix time).", m->daemon.last_pass);
        gauge(b, "x2go_daemon_passes", "Passes of the clean-up daemon since it started.",
              m->daemon.passes);
        gauge(b, "x2go_daemon_tracked_sessions", "Sessions the clean-up daemon tracks.",
              m->daemon.tracked);
    }
    om_agents(m, b);
    x2go_buf_add(b, "# EOF\n", 6);
}

static void json_counts(struct x2go_buf *b, const long n[X2GO_NSTATUS])
{
    for (int k = 0; k < X2GO_NSTATUS; k++)
        x2go_buf_printf(b, "%s\"%c\":%ld", k ? "," : "{", statuses[k], n[k]);
    x2go_buf_add(b, "}", 1);
}

void x2go_metrics_json(const struct x2go_metrics *m, struct x2go_buf *b)
{
    x2go_buf_add(b, "{\"sessions\":", 12);
    json_counts(b, m->by_status);
    x2go_buf_add(b, ",\"users\":{", 10);
    for (size_t i = 0; i < m->nusers; i++) {
        x2go_buf_add(b, i ? "," : "", i ? 1 : 0);
        x2go_json_str(b, m->users[i].name);
        x2go_buf_add(b, ":", 1);
        json_counts(b, m->users[i].n);
    }
    x2go_buf_printf(b, "},\"displays\":{\"used\":%ld,\"free\":%ld},"
                    "\"ports\":{\"used\":%ld,\"free\":%ld},\"daemon\":{\"up\":%s",
                    m->displays_used, m->displays_free, m->ports_used, m->ports_free,
                    m->daemon_up ? "true" : "false");
    if (m->daemon_up)
        x2go_buf_printf(b, ",\"last_pass\":%lld,\"passes\":%ld,\"tracked\":%ld,\"pid\":%ld",
                        m->daemon.last_pass, m->daemon.passes, m->daemon.tracked,
                        m->daemon.pid);
    x2go_buf_add(b, "},\"agents\":[", 12);
    for (size_t i = 0; i < m->nagents; i++) {
        const struct x2go_metrics_agent *a = &m->agents[i];
        x2go_buf_add(b, i ? ",{\"session_id\":" : "{\"session_id\":", i ? 15 : 14);
        x2go_json_str(b, a->sid);
        x2go_buf_add(b, ",\"user\":", 8);
        x2go_json_str(b, a->user);
        x2go_buf_printf(b, ",\"display\":%d,\"rss_bytes\":%lld}", a->display, a->rss_bytes);
    }
    x2go_buf_add(b, "]}\n", 3);
}
