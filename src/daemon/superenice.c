/* The superenicer ([superenicer] in x2goserver.conf, off by default):
 * suspended sessions run at the idle nice level, running ones at the
 * normal level. Per session (processes whose environment carries
 * X2GO_SESSION=<sid>, plus the agent), or per user with force-user-renice
 * (a running session wins over a suspended one). setpriority(2) directly,
 * no renice or ps processes. */
#include "daemon.h"
#include "conf.h"
#include "log.h"
#include "session.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#define ENVIRON_MAX (256 * 1024)

static int clamp(long v)
{
    return v < -19 ? -19 : v > 19 ? 19 : (int)v;
}

static int level(const char *key, int def)
{
    const char *v;
    long n;
    if (x2go_conf_str("superenicer", key, NULL, &v) < 0 || !v || !*v)
        return def;
    bool neg = v[0] == '-';
    if (x2go_parse_long(v + neg, 0, 100, &n) < 0) {
        dm_log(LOG_WARNING, "[superenicer] %s=%s is not a number; using %d", key, v, def);
        return def;
    }
    return clamp(neg ? -n : n);
}

void dm_nice_load(struct dm_nice_conf *c)
{
    memset(c, 0, sizeof *c);
    if (x2go_conf_bool("superenicer", "enable", false, &c->enable) < 0) {
        dm_log(LOG_WARNING, "superenicer disabled: %s", x2go_err());
        c->enable = false;
        return;
    }
    if (x2go_conf_bool("superenicer", "force-user-renice", false, &c->force_user) < 0)
        c->force_user = false;
    c->normal = level("normal-nice-level", 0);
    c->idle = level("idle-nice-level", 19);
    const char *v = NULL;
    /* The code reads ignored-users; the shipped comment said ignored_users. */
    if ((x2go_conf_str("superenicer", "ignored-users", NULL, &v) < 0 || !v) &&
        x2go_conf_str("superenicer", "ignored_users", NULL, &v) < 0)
        v = NULL;
    snprintf(c->ignored, sizeof c->ignored, "%s", v ? v : "");
}

bool dm_nice_ignored(const struct dm_nice_conf *c, const char *user)
{
    size_t n = strlen(user);
    for (const char *p = c->ignored; *p;) {
        p += strspn(p, " ,");
        size_t w = strcspn(p, ",");
        size_t e = w;
        while (e && p[e - 1] == ' ')
            e--;
        if (e == n && n && !strncmp(p, user, n))
            return true;
        p += w;
    }
    return false;
}

/* Does pid's environment hold exactly the entry want? */
static bool environ_has(int procfd, const char *pid, const char *want, char *buf)
{
    char path[300];
    snprintf(path, sizeof path, "%s/environ", pid);
    int fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    size_t got = 0;
    ssize_t n;
    while (got < ENVIRON_MAX - 1 && (n = read(fd, buf + got, ENVIRON_MAX - 1 - got)) > 0)
        got += (size_t)n;
    close(fd);
    buf[got] = '\0';
    for (size_t off = 0; off < got; off += strlen(buf + off) + 1)
        if (!strcmp(buf + off, want))
            return true;
    return false;
}

void dm_nice_session(uid_t uid, const char *sid, pid_t agent, int lvl)
{
    char want[X2GO_SID_MAX + 16];
    snprintf(want, sizeof want, "X2GO_SESSION=%s", sid);
    char *buf = malloc(ENVIRON_MAX);
    DIR *d = opendir("/proc");
    if (!buf || !d) {
        free(buf);
        if (d)
            closedir(d);
        return;
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (!x2go_is_digits(e->d_name) || fstatat(dirfd(d), e->d_name, &st, 0) < 0 ||
            st.st_uid != uid)
            continue;
        pid_t pid = (pid_t)atol(e->d_name);
        if (pid == agent || environ_has(dirfd(d), e->d_name, want, buf))
            n += setpriority(PRIO_PROCESS, (id_t)pid, lvl) == 0;
    }
    closedir(d);
    free(buf);
    char esc[1100];
    dm_log(LOG_DEBUG, "%s: reniced %d processes to %d", x2go_log_escape(sid, esc, sizeof esc),
           n, lvl);
}

void dm_nice_user(uid_t uid, int lvl)
{
    if (setpriority(PRIO_USER, (id_t)uid, lvl) == 0)
        dm_log(LOG_DEBUG, "reniced the processes of uid %u to %d", (unsigned)uid, lvl);
}

static bool nice_candidate(const struct daemon *d, const struct sess *t)
{
    return t->user_ok && t->sid_ok && !t->dead && t->pid != X2GO_NULL_INT &&
           (t->tr.status == 'R' || t->tr.status == 'S') && !strstr(t->sid, "XSHAD") &&
           !dm_nice_ignored(&d->nice, t->u.name);
}

/* Per session: on first sight (unless the agent already has the level)
 * and on every R <-> S change. */
void dm_superenice(struct daemon *d, struct sess *t)
{
    if (!d->nice.enable || d->nice.force_user || !nice_candidate(d, t) ||
        t->niced == t->tr.status)
        return;
    int lvl = t->tr.status == 'R' ? d->nice.normal : d->nice.idle;
    errno = 0;
    int cur = getpriority(PRIO_PROCESS, (id_t)t->pid);
    if (t->niced || errno != 0 || cur != lvl)
        dm_nice_session(t->u.uid, t->sid, (pid_t)t->pid, lvl);
    t->niced = t->tr.status;
}

/* Whether some tracked session of uid is running; false also when uid was
 * already handled at an index below i. */
static bool user_running(const struct daemon *d, size_t i, uid_t uid, bool *seen)
{
    bool running = false;
    *seen = false;
    for (size_t j = 0; j < d->ntrk; j++) {
        const struct sess *o = d->trk[j];
        if (!o->in_db || !nice_candidate(d, o) || o->u.uid != uid)
            continue;
        if (j < i) {
            *seen = true;
            return false;
        }
        running |= o->tr.status == 'R';
    }
    return running;
}

/* force-user-renice: the whole user at one level, running wins. */
void dm_superenice_users(struct daemon *d)
{
    if (!d->nice.enable || !d->nice.force_user)
        return;
    for (size_t i = 0; i < d->ntrk; i++) {
        if (!d->trk[i]->in_db || !nice_candidate(d, d->trk[i]))
            continue;
        uid_t uid = d->trk[i]->u.uid;
        bool seen;
        bool running = user_running(d, i, uid, &seen);
        if (seen)
            continue;
        int lvl = running ? d->nice.normal : d->nice.idle;
        size_t k = 0;
        while (k < d->napplied && d->applied[k].uid != uid)
            k++;
        if (k < d->napplied && d->applied[k].lvl == lvl)
            continue;
        dm_nice_user(uid, lvl);
        if (k == d->napplied && d->napplied < X2GO_ARRAY_LEN(d->applied))
            d->applied[d->napplied++].uid = uid;
        if (k < d->napplied)
            d->applied[k].lvl = lvl;
    }
}
