/* The time limits at work: read them ([time limits] and friends of
 * x2goserver.conf, at start and on SIGHUP), gather the facts of a live
 * session, ask the rules (limits_decide.c) and act: measure the idle time,
 * warn, run x2gosuspend-session or x2goterminate-session as the user.
 * Every decision is logged with the session id, the user and the reason. */
#include "daemon.h"
#include "conf.h"
#include "log.h"
#include "session.h"
#include "util.h"
#include "x2go-config.h"

#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define BINDIR X2GO_PREFIX "/bin"
#define MAX_GROUPS 256

void dm_limits_load(struct daemon *d)
{
    x2go_tlimit_free(&d->tl);
    d->tl_gen++;
    /* Read the file again, not the copy read at start. */
    x2go_conf_override(X2GO_SERVER_CONF, X2GO_SQL_CONF);
    const struct x2go_ini *ini = x2go_server_conf();
    if (!ini || x2go_tlimit_load(ini, &d->tl) < 0) {
        /* Never end a session because of a file we could not read. */
        dm_log(LOG_ERR, "time limits off: %s", x2go_err());
        return;
    }
    if (!x2go_tlimit_any(&d->tl))
        return;
    dm_log(LOG_NOTICE, "time limits on: suspended %lds, idle %lds, lifetime %lds by default "
           "(0: off), %zu user and %zu group entries, warning %lds before",
           d->tl.def.v[X2GO_TL_SUSPENDED], d->tl.def.v[X2GO_TL_IDLE],
           d->tl.def.v[X2GO_TL_LIFETIME], d->tl.nusers, d->tl.ngroups, d->tl.warning);
}

/* The user's limits, resolved once per configuration. */
static void resolve(struct daemon *d, struct sess *t)
{
    if (t->lim_gen == d->tl_gen)
        return;
    t->lim_gen = d->tl_gen;
    gid_t gids[MAX_GROUPS];
    int ng = MAX_GROUPS;
    if (getgrouplist(t->u.name, t->u.gid, gids, &ng) < 0)
        ng = MAX_GROUPS; /* more than that: the first ones */
    char *names[MAX_GROUPS];
    size_t n = 0;
    for (int i = 0; i < ng; i++) {
        struct group *g = getgrgid(gids[i]);
        if (g && (names[n] = strdup(g->gr_name)))
            n++;
    }
    x2go_tlimit_for(&d->tl, t->u.name, (const char *const *)names, n, &t->lim);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
}

static const char *const reason_text[] = {
    [DM_LIM_R_SUSPENDED] = "suspended", [DM_LIM_R_IDLE] = "idle",
    [DM_LIM_R_LIFETIME] = "running",
};

static void log_verdict(const struct sess *t, const struct dm_lim_verdict *v, const char *what)
{
    static const char *const limit_name[] = {
        [DM_LIM_R_SUSPENDED] = "suspended", [DM_LIM_R_IDLE] = "idle",
        [DM_LIM_R_LIFETIME] = "lifetime",
    };
    dm_log(LOG_NOTICE, "%s: user %s: %s for %llds, %s limit %llds: %s", t->esc, t->u.name,
           reason_text[v->why], (long long)(v->value / 1000), limit_name[v->why],
           (long long)(v->limit / 1000), what);
}

static void warn(struct daemon *d, struct sess *t, const struct dm_lim_verdict *v)
{
    char text[256];
    long left = (long)((v->limit - v->value + 999) / 1000);
    if (v->why == DM_LIM_R_IDLE)
        snprintf(text, sizeof text, "This X2Go session has had no input for a while and will "
                 "be suspended in %ld seconds.\nMove the mouse or press a key to keep it.", left);
    else
        snprintf(text, sizeof text, "This X2Go session reaches its time limit and will end in "
                 "%ld seconds.\nPlease save your work now.", left);
    if (dm_warn_show(d, t, text, left) < 0) {
        log_verdict(t, v, "cannot show the warning");
        return;
    }
    log_verdict(t, v, "warning shown in the session");
}

static void end(struct daemon *d, struct sess *t, const struct dm_lim_verdict *v,
                int64_t now)
{
    bool susp = v->act == DM_LIM_SUSPEND;
    const char *prog = susp ? BINDIR "/x2gosuspend-session" : BINDIR "/x2goterminate-session";
    dm_lim_acted(&t->lt, now); /* a command that could not start is tried again later */
    log_verdict(t, v, susp ? "suspending" : "terminating");
    /* A new stretch after a resume, even when no pass saw the session
     * suspended in between: the X server's idle time still counts from
     * before the suspend, so only the time since the resume may count. */
    t->run_since = 0;
    t->idle_at = 0;
    t->lt.warned_at = 0;
    if (access(prog, X_OK) == 0) {
        dm_run_user_cmd(d, t, prog);
    } else if (!susp) {
        /* No terminate command installed: end the agent; its exit cleans up. */
        dm_log(LOG_WARNING, "%s: terminating agent pid %ld directly (SIGTERM)", t->esc, t->pid);
        dm_agent_signal(t, SIGTERM);
    }
}

static struct dm_lim limits_ms(const struct daemon *d, const struct sess *t)
{
    return (struct dm_lim){
        .suspended = t->lim.v[X2GO_TL_SUSPENDED] * 1000LL,
        .idle = t->lim.v[X2GO_TL_IDLE] * 1000LL,
        .lifetime = t->lim.v[X2GO_TL_LIFETIME] * 1000LL,
        .warning = d->tl.warning * 1000LL,
    };
}

void dm_limits_row(struct daemon *d, struct sess *t, const struct x2go_session *r,
                   enum x2go_agent_state st, int64_t now)
{
    if (st != X2GO_AS_RUNNING || r->status != 'R')
        t->run_since = 0;
    else if (!t->run_since)
        t->run_since = now;
    if (!x2go_tlimit_any(&d->tl) || !t->sid_ok)
        return;
    resolve(d, t);
    struct dm_lim l = limits_ms(d, t);
    if (!l.suspended && !l.idle && !l.lifetime)
        return;
    struct dm_lim_facts f = {
        .status = r->status,
        .state = st,
        .age = dm_local_age_ms(r->init_time),
        .suspended = r->status == 'S' ? dm_local_age_ms(r->last_time) : -1,
        .idle = t->idle_at ? t->idle_ms : -1,
        .idle_age = t->idle_at ? now - t->idle_at : INT64_MAX / 4,
        .running_for = t->run_since ? now - t->run_since : -1,
        .probing = t->idle_fd >= 0,
        .can_warn = dm_x_can_reach(t),
    };
    if (!f.can_warn) {
        /* No cookie or display to reach: its idle time stays unknown. */
        f.idle = -1;
        f.idle_age = 0;
    }
    int64_t wake = 0;
    struct dm_lim_verdict v = dm_lim_decide(&f, &l, &t->lt, now, &wake);
    if (wake)
        dm_want_pass_at(d, wake);
    switch (v.act) {
    case DM_LIM_PROBE:
        if (dm_idle_probe(d, t) < 0) {
            if (!t->idle_at || t->idle_ms >= 0)
                dm_log(LOG_WARNING, "%s: cannot measure the idle time of display :%d",
                       t->esc, t->display);
            t->idle_ms = -1;
            t->idle_at = now;
            dm_want_pass_at(d, now + DM_IDLE_RETRY_MS);
        }
        break;
    case DM_LIM_WARN:
        warn(d, t, &v);
        break;
    case DM_LIM_SUSPEND:
    case DM_LIM_TERMINATE:
        end(d, t, &v, now);
        break;
    default:
        break;
    }
}
