/* What x2gocleansessions finds in /tmp rather than in the database:
 * session dirs whose session is gone, and /tmp/.x2go-<user> entries that
 * somebody else planted to keep that user from starting sessions. */
#include "daemon.h"
#include "log.h"
#include "proc.h"
#include "store.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* ---- squatted /tmp/.x2go-<user> --------------------------------------- */

/* Put a planted entry out of the user's way, by name below the /tmp fd:
 * nothing is followed, nothing is opened. A non-directory is unlinked
 * (that can never remove a directory the user made in the meantime); a
 * directory is renamed aside, and renamed back should it have become the
 * user's own between the look and the rename. */
static void squat_fix(int tmpfd, const char *name, const struct stat *seen, uid_t uid)
{
    char esc[600];
    x2go_log_escape(name, esc, sizeof esc);
    if (!S_ISDIR(seen->st_mode)) {
        if (unlinkat(tmpfd, name, 0) == 0)
            dm_log(LOG_WARNING, "/tmp/%s was not a directory of its user; removed it", esc);
        return;
    }
    char aside[600];
    snprintf(aside, sizeof aside, ".x2go_squatted.%lu.%s", (unsigned long)seen->st_ino,
             name + 6);
    if (renameat2(tmpfd, name, tmpfd, aside, RENAME_NOREPLACE) < 0) {
        dm_log(LOG_WARNING, "/tmp/%s belongs to uid %u, not to its user; cannot move it "
               "aside: %s", esc, (unsigned)seen->st_uid, strerror(errno));
        return;
    }
    struct stat now;
    if (fstatat(tmpfd, aside, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
        (now.st_ino != seen->st_ino || now.st_dev != seen->st_dev) && now.st_uid == uid) {
        renameat2(tmpfd, aside, tmpfd, name, RENAME_NOREPLACE);
        return;
    }
    dm_log(LOG_WARNING, "/tmp/%s belonged to uid %u, not to its user; moved it to /tmp/%s",
           esc, (unsigned)seen->st_uid, aside);
}

/* name: an entry of /tmp. Returns the user's uid when it is the user's
 * real directory, (uid_t)-1 otherwise (fixed when it was planted). */
static uid_t squat_check_at(int tmpfd, const char *name, struct dm_user *u)
{
    if (strncmp(name, ".x2go-", 6) != 0 || dm_user_lookup(name + 6, u) < 0)
        return (uid_t)-1;
    struct stat st;
    if (fstatat(tmpfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return (uid_t)-1;
    if (S_ISDIR(st.st_mode) && st.st_uid == u->uid)
        return u->uid;
    /* root's own (an administrator about to chown it) is trusted */
    if (st.st_uid != 0)
        squat_fix(tmpfd, name, &st, u->uid);
    return (uid_t)-1;
}

void dm_squat_check(const char *name)
{
    int tmpfd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (tmpfd < 0)
        return;
    struct dm_user u;
    squat_check_at(tmpfd, name, &u);
    close(tmpfd);
}

/* ---- session dirs without a session ----------------------------------- */

/* A live agent of this session: some process of uid with argv element
 * "X2GO-<sid>". Only used for session dirs whose row is gone (rare). Any
 * doubt counts as alive. */
static bool agent_process_exists(uid_t uid, const char *sid)
{
    DIR *d = opendir("/proc");
    if (!d)
        return true;
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        if (!x2go_is_digits(e->d_name))
            continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, 0) < 0 || st.st_uid != uid)
            continue;
        found = x2go_agent_probe((pid_t)atol(e->d_name), sid, uid) != X2GO_PROBE_GONE;
    }
    closedir(d);
    return found;
}

/* The agent's state file or the command's output changed lately. */
static bool recently_touched(int dfd, const char *dir, time_t wall)
{
    static const char *const files[] = {"state", "cmdoutput", "session.log"};
    for (size_t i = 0; i < X2GO_ARRAY_LEN(files); i++) {
        char path[X2GO_SID_MAX + 32];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if (fstatat(dfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            wall - st.st_mtime < DM_DIR_GRACE_MS / 1000)
            return true;
    }
    return false;
}

struct scan {
    time_t wall;
    int budget, started;
};

/* One C-<sid> entry of a user's tmp dir. false: stop the scan. */
static bool orphan_entry(struct daemon *d, int dfd, const char *name, const struct dm_user *u,
                         struct scan *s)
{
    const char *sid = name + 2;
    struct stat st;
    if (strncmp(name, "C-", 2) != 0 || !x2go_sid_valid(sid) || dm_find(d, sid) ||
        dm_job_pending(d, sid))
        return true;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
        st.st_uid != u->uid || s->wall - st.st_mtime < DM_DIR_GRACE_MS / 1000 ||
        recently_touched(dfd, name, s->wall))
        return true;
    struct x2go_session row;
    int rc = d->store->ops->get(d->store, sid, &row);
    if (rc < 0) {
        dm_store_drop(d, x2go_err());
        return false;
    }
    if (rc == 0 || agent_process_exists(u->uid, sid))
        return true;
    if (dm_children_count(&d->kids) >= DM_MAX_CHILDREN / 2 || s->started >= 8)
        return false; /* the rest next time */
    char esc[1100];
    dm_log(LOG_NOTICE, "%s: session directory without a session, removing it",
           x2go_log_escape(sid, esc, sizeof esc));
    if (dm_remove_files_as_user(&d->kids, u, sid) > 0)
        s->started++;
    return true;
}

/* One /tmp/.x2go-<user> dir. false: stop the scan. */
static bool orphan_user_dir(struct daemon *d, int tmpfd, const char *name,
                            const struct dm_user *u, struct scan *s)
{
    int dfd = openat(tmpfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (dfd < 0)
        return true;
    if (fstat(dfd, &st) < 0 || st.st_uid != u->uid) {
        close(dfd);
        return true;
    }
    DIR *dir = fdopendir(dfd);
    if (!dir) {
        close(dfd);
        return true;
    }
    bool go_on = true;
    struct dirent *c;
    while (go_on && d->store && (c = readdir(dir)) != NULL && --s->budget > 0)
        go_on = orphan_entry(d, dirfd(dir), c->d_name, u, s);
    closedir(dir);
    return go_on && s->budget > 0;
}

/* Session dirs of sessions that are gone from the database: the pending
 * clean-up was lost in a restart, or an older server left them behind
 * (spec 8.3 item 23). Removed as the user once untouched for the grace
 * period and when no agent of that session runs. Bounded per pass. On
 * the way, planted /tmp/.x2go-<user> entries are put aside. */
void dm_orphan_scan(struct daemon *d)
{
    DIR *tmp = opendir("/tmp");
    if (!tmp)
        return;
    struct scan s = {.wall = time(NULL), .budget = 20000};
    struct dirent *e;
    while ((e = readdir(tmp)) != NULL && --s.budget > 0) {
        struct dm_user u;
        if (squat_check_at(dirfd(tmp), e->d_name, &u) == (uid_t)-1 || !d->store)
            continue;
        if (!orphan_user_dir(d, dirfd(tmp), e->d_name, &u, &s))
            break;
    }
    closedir(tmp);
}
