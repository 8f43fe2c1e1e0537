/* x2goshowblocks <user> <sid> (root): which processes of the user keep the
 * session's shares busy (open files, working or root directories below a
 * mount point), read from /proc; the reference ran lsof | grep. */
#include "cmd.h"
#include "mounts.h"
#include "sid.h"
#include "store.h"
#include "util.h"

#include <dirent.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct scan {
    char **paths;
    size_t n;
    FILE *out;
};

static void check_link(struct scan *s, const char *pid, const char *comm, const char *what,
                       const char *link)
{
    char target[PATH_MAX];
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n <= 0)
        return;
    target[n] = '\0';
    for (size_t i = 0; i < s->n; i++)
        if (x2go_path_under(target, s->paths[i]))
            fprintf(s->out, "%s\t%s\t%s\t%s\n", pid, comm, what, target);
}

static void scan_pid(struct scan *s, const char *pid)
{
    char p[64], comm[64] = "?", link[PATH_MAX];
    snprintf(p, sizeof p, "/proc/%s/comm", pid);
    if (x2go_read_file(p, comm, sizeof comm) > 0)
        comm[strcspn(comm, "\n")] = '\0';
    static const char *const dirs[] = {"cwd", "root", "exe"};
    for (size_t i = 0; i < X2GO_ARRAY_LEN(dirs); i++) {
        snprintf(link, sizeof link, "/proc/%s/%s", pid, dirs[i]);
        check_link(s, pid, comm, dirs[i], link);
    }
    snprintf(p, sizeof p, "/proc/%s/fd", pid);
    DIR *d = opendir(p);
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.' && snprintf(link, sizeof link, "%s/%s", p, e->d_name) > 0)
            check_link(s, pid, comm, "fd", link);
    if (d)
        closedir(d);
}

static int mount_paths(const char *user, const char *sid, struct scan *s)
{
    struct x2go_store *st = x2go_store_open();
    struct x2go_session sess;
    char *rows = NULL, *save = NULL;
    int rc = st ? st->ops->get(st, sid, &sess) : -1;
    if (rc == 0 && strcmp(sess.uname, user) != 0)
        rc = 1;
    if (rc == 0)
        rc = st->ops->mount_list(st, sid, &rows);
    x2go_store_close(st);
    if (rc < 0)
        return x2go_cmd_error(1);
    if (rc > 0)
        return x2go_cmd_fail(1, "%s is not a session of %s", sid, user);
    for (char *l = strtok_r(rows, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *bar = strchr(l, '|');
        if (bar && (s->paths = realloc(s->paths, (s->n + 1) * sizeof *s->paths)) &&
            !(s->paths[s->n++] = strdup(bar + 1)))
            abort();
    }
    free(rows);
    return 0;
}

static int run_showblocks(int argc, char **argv, FILE *out)
{
    (void)argc;
    struct passwd *pw = x2go_username_valid(argv[0]) ? getpwnam(argv[0]) : NULL;
    if (!pw)
        return x2go_cmd_fail(1, "no such user: %s", argv[0]);
    if (!x2go_sid_valid(argv[1]))
        return x2go_cmd_fail(1, "malformed session id");
    struct scan s = {.out = out};
    int rc = mount_paths(argv[0], argv[1], &s);
    DIR *d = rc == 0 && s.n ? opendir("/proc") : NULL;
    for (struct dirent *e; d && (e = readdir(d));) {
        char p[64];
        struct stat st;
        if (x2go_is_digits(e->d_name) && snprintf(p, sizeof p, "/proc/%s", e->d_name) > 0 &&
            stat(p, &st) == 0 && st.st_uid == pw->pw_uid)
            scan_pid(&s, e->d_name);
    }
    if (d)
        closedir(d);
    for (size_t i = 0; i < s.n; i++)
        free(s.paths[i]);
    free(s.paths);
    return rc;
}

X2GO_COMMAND(showblocks, "x2goshowblocks", X2GO_SBIN, "<user> <session id>", 2, 2,
             X2GO_CMD_ROOT, run_showblocks);
