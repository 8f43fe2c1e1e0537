/* x2gogetapps: the published-applications menu (spec 2.5). Entries come
 * from the .desktop files of the system, per-user and own application
 * dirs; icons are sent as PNG. Icons in other formats are converted by the
 * separate x2goiconpng program (it links the image libraries this binary
 * must not load) into a per-user cache keyed by the source file's
 * identity, so a menu query normally converts nothing. The whole menu is
 * cached as well, with the identity of every file and dir it was made
 * from (depcache.h): while none of them changed, it is printed as it is. A file that cannot
 * be used is skipped and logged; stderr stays empty (a client takes any
 * stderr as a failed query). */
#include "appfiles.h"
#include "cmd.h"
#include "depcache.h"
#include "desktop.h"
#include "log.h"
#include "util.h"
#include "x2go-config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_FILES 5000
#define HELPER X2GO_LIBEXECDIR "/x2goiconpng"
#define HELPER_TIMEOUT_MS 20000

struct icon {
    unsigned char *data;
    size_t len;
    char *src;           /* a source to convert, until converted */
    char name[24];       /* its cache file name */
    bool unusable;       /* the converter could not read it (empty cache file) */
};

struct entry {
    unsigned char *buf;
    struct x2go_desktop d;
    struct icon *icons;  /* one per item (used by ICON items) */
};

struct apps {
    uid_t uid;
    struct entry *ents;
    int n, cap, nmiss;
    char cache[PATH_MAX];
    bool tmpcache;
};

/* What this run read, for the menu cache. */
static struct x2go_deps deps;

static void skip(const char *path, const char *why)
{
    char esc[600];
    x2go_log(LOG_INFO, "skipping %s: %s", x2go_log_escape(path, esc, sizeof esc), why);
}

static bool is_exe(const char *p)
{
    struct stat st;
    x2go_deps_stat(&deps, p);
    return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

/* TryExec: the entry is shown only when its program is installed. */
static bool tryexec_ok(const char *v)
{
    if (strchr(v, '/'))
        return is_exe(v);
    const char *path = getenv("PATH");
    char dir[PATH_MAX], full[PATH_MAX];
    for (const char *p = path && *path ? path : "/usr/local/bin:/usr/bin:/bin"; *p;) {
        size_t n = strcspn(p, ":");
        if (n && n < sizeof dir) {
            memcpy(dir, p, n);
            dir[n] = '\0';
            if (x2go_fmt(full, sizeof full, "%s/%s", dir, v) >= 0 && is_exe(full))
                return true;
        }
        p += n + (p[n] == ':');
    }
    return false;
}

/* The icon dirs' listings, read once: most candidate names do not exist,
 * and a lookup in memory costs far less than a failing stat(). */
struct dirlist {
    char path[PATH_MAX];
    char **names; /* each with its d_type in front */
    size_t n;
};

static struct dirlist dirlists[64];
static int ndirlists;

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a + 1, *(char *const *)b + 1);
}

static struct dirlist *listing(const char *dir, size_t len)
{
    for (int i = 0; i < ndirlists; i++)
        if (strlen(dirlists[i].path) == len && !strncmp(dirlists[i].path, dir, len))
            return &dirlists[i];
    if (ndirlists == (int)X2GO_ARRAY_LEN(dirlists) || len >= PATH_MAX)
        return NULL;
    struct dirlist *l = &dirlists[ndirlists++];
    memcpy(l->path, dir, len);
    l->path[len] = '\0';
    x2go_deps_stat(&deps, l->path); /* its mtime: names added or removed */
    DIR *d = opendir(l->path);
    struct dirent *e;
    size_t cap = 0;
    while (d && (e = readdir(d))) {
        if (l->n == cap) {
            cap = cap ? cap * 2 : 64;
            l->names = realloc(l->names, cap * sizeof *l->names);
            if (!l->names)
                abort();
        }
        char *n = malloc(strlen(e->d_name) + 2);
        if (!n)
            abort();
        n[0] = (char)e->d_type;
        strcpy(n + 1, e->d_name);
        l->names[l->n++] = n;
    }
    if (d)
        closedir(d);
    if (l->n)
        qsort(l->names, l->n, sizeof *l->names, by_name);
    return l;
}

/* The candidate exists (following links, as the reference's -e does). */
static bool exists(const char *cand, bool in_icon_dirs)
{
    struct stat st;
    const char *slash = strrchr(cand, '/');
    if (in_icon_dirs && slash) {
        struct dirlist *l = listing(cand, (size_t)(slash - cand));
        const char *key = slash; /* by_name skips the first character */
        char *const *hit =
            l && l->n ? bsearch(&key, l->names, l->n, sizeof *l->names, by_name) : NULL;
        if (l && !hit)
            return false;
        if (hit && (*hit)[0] == DT_REG)
            return true; /* only links and unknown types need a stat */
    }
    x2go_deps_stat(&deps, cand);
    return stat(cand, &st) == 0;
}

static void free_listings(void)
{
    for (int i = 0; i < ndirlists; i++) {
        for (size_t j = 0; j < dirlists[i].n; j++)
            free(dirlists[i].names[j]);
        free(dirlists[i].names);
    }
    ndirlists = 0;
}

/* A converted icon; an empty file records a source that cannot be
 * converted, so it is not tried again until it changes. */
static void from_cache(const struct apps *a, struct icon *ic, const char *cached)
{
    ic->data = x2go_read_trusted(cached, X2GO_ICON_MAX_BYTES, a->uid, &ic->len, NULL);
    if (ic->data && ic->len == 0) {
        free(ic->data);
        ic->data = NULL;
        ic->unusable = true;
    }
}

static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

/* Find and load one icon; a non-PNG one comes from the cache or is
 * queued for conversion. */
static void load_icon(struct apps *a, const char *buf, const struct x2go_desktop_item *it,
                      struct icon *ic)
{
    char name[PATH_MAX], cand[PATH_MAX + 64];
    struct stat st;
    if (x2go_desktop_icon_name(buf, it, name, sizeof name) < 0)
        return;
    int r;
    bool in_dirs = !strchr(name, '/');
    for (int i = 0; (r = x2go_icon_candidate(name, it->line_has_dot, i, cand, sizeof cand));
         i++)
        if (r > 0 && exists(cand, in_dirs))
            break;
    if (r <= 0)
        return;
    ic->data = x2go_read_trusted(cand, X2GO_ICON_MAX_BYTES, a->uid, &ic->len, &st);
    if (!ic->data) {
        x2go_deps_stat(&deps, cand);
        skip(cand, x2go_err());
        return;
    }
    x2go_deps_add(&deps, cand, &st);
    if (ic->len >= 8 && !memcmp(ic->data, png_sig, 8))
        return;
    free(ic->data);
    ic->data = NULL;
    x2go_icon_cache_name(cand, &st, ic->name);
    char cached[PATH_MAX + 32];
    if (x2go_fmt(cached, sizeof cached, "%s/%s", a->cache, ic->name) < 0)
        return;
    from_cache(a, ic, cached);
    if (!ic->data && !ic->unusable && (ic->src = strdup(cand)))
        a->nmiss++;
}

/* Not NoDisplay/Hidden, and the program TryExec names is installed. */
static bool shown(const char *buf, const struct x2go_desktop *d)
{
    char tx[PATH_MAX];
    if (d->hidden)
        return false;
    if (!d->has_tryexec)
        return true;
    if (d->tryexec_len >= sizeof tx)
        return false;
    memcpy(tx, buf + d->tryexec_off, d->tryexec_len);
    tx[d->tryexec_len] = '\0';
    return tryexec_ok(tx);
}

static void add_file(struct apps *a, const char *path)
{
    size_t len;
    struct stat st;
    unsigned char *buf = x2go_read_trusted(path, X2GO_DESKTOP_MAX_BYTES, a->uid, &len, &st);
    if (!buf) {
        x2go_deps_stat(&deps, path);
        skip(path, x2go_err());
        return;
    }
    x2go_deps_add(&deps, path, &st);
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 64;
        struct entry *ne = realloc(a->ents, (size_t)a->cap * sizeof *ne);
        if (!ne)
            abort();
        a->ents = ne;
    }
    struct entry *e = &a->ents[a->n];
    if (x2go_desktop_parse((char *)buf, len, &e->d) < 0) {
        skip(path, x2go_err());
    } else if (shown((char *)buf, &e->d)) {
        e->buf = buf;
        e->icons = calloc((size_t)e->d.nitems + 1, sizeof *e->icons);
        if (!e->icons)
            abort();
        for (int i = 0; i < e->d.nitems; i++)
            if (e->d.items[i].kind == X2GO_DESKTOP_ICON)
                load_icon(a, (char *)buf, &e->d.items[i], &e->icons[i]);
        a->n++;
        return;
    }
    free(buf);
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* An entry of a base dir is a dir to scan (-d: links followed). */
static bool entry_is_dir(const struct dirent *e, const char *path)
{
    if (e->d_type == DT_DIR)
        return true;
    return (e->d_type == DT_LNK || e->d_type == DT_UNKNOWN) && is_dir(path);
}

/* A base dir: itself and each immediate subdirectory, in readdir order. */
static void scan_base(struct apps *a, const char *base)
{
    x2go_deps_stat(&deps, base);
    DIR *bd = opendir(base);
    if (!bd)
        return;
    struct dirent *sub, *f;
    char dir[PATH_MAX], path[PATH_MAX];
    while ((sub = readdir(bd))) {
        if (!strcmp(sub->d_name, "..") ||
            x2go_fmt(dir, sizeof dir, "%s/%s", base, sub->d_name) < 0 ||
            !entry_is_dir(sub, dir))
            continue;
        x2go_deps_stat(&deps, dir);
        DIR *d = opendir(dir);
        if (!d)
            continue;
        while ((f = readdir(d)) && a->n < MAX_FILES)
            if (x2go_desktop_name_matches(f->d_name) &&
                x2go_fmt(path, sizeof path, "%s/%s", dir, f->d_name) >= 0)
                add_file(a, path);
        closedir(d);
    }
    closedir(bd);
}

/* A directory of ours: created 0700, refused when it belongs to someone
 * else or (unless follow) is a link. */
static int own_dir(const char *p, uid_t uid, bool follow)
{
    struct stat st;
    if (mkdir(p, 0700) < 0 && errno != EEXIST)
        return -1;
    int r = follow ? stat(p, &st) : lstat(p, &st);
    return r == 0 && S_ISDIR(st.st_mode) && st.st_uid == uid ? 0 : -1;
}

static void setup_cache(struct apps *a, const char *home)
{
    static const char *const parts[] = {"/.x2go", "/.x2go/cache", "/.x2go/cache/icons"};
    int ok = home && *home == '/';
    for (size_t i = 0; ok && i < X2GO_ARRAY_LEN(parts); i++)
        ok = x2go_fmt(a->cache, sizeof a->cache, "%s%s", home, parts[i]) >= 0 &&
             own_dir(a->cache, a->uid, i == 0) == 0; /* ~/.x2go may be a link */
    if (ok)
        return;
    /* No usable cache: convert into a private temporary dir instead. */
    snprintf(a->cache, sizeof a->cache, "/tmp/x2gogetapps-XXXXXX");
    a->tmpcache = mkdtemp(a->cache) != NULL;
    if (!a->tmpcache)
        a->cache[0] = '\0';
}

static void wait_bounded(pid_t pid)
{
    struct timespec d = {0, 2000000};
    for (int waited = 0;; waited += 2) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            return;
        if (waited >= HELPER_TIMEOUT_MS) {
            x2go_log(LOG_WARNING, "icon conversion took too long, stopped");
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return;
        }
        nanosleep(&d, NULL);
    }
}

/* One run of the converter for every icon missing from the cache. */
static void convert(struct apps *a)
{
    if (!a->nmiss || !a->cache[0])
        return;
    char **argv = calloc((size_t)a->nmiss * 2 + 4, sizeof *argv);
    if (!argv)
        abort();
    int n = 0;
    argv[n++] = "x2goiconpng";
    argv[n++] = a->cache;
    for (int e = 0; e < a->n; e++)
        for (int i = 0; i < a->ents[e].d.nitems; i++)
            if (a->ents[e].icons[i].src) {
                argv[n++] = a->ents[e].icons[i].src;
                argv[n++] = a->ents[e].icons[i].name;
            }
    char *envp[] = {"PATH=/usr/bin:/bin", NULL};
    /* Whatever the libraries print must not reach the client (any stderr
     * is a failed query to it). */
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawn(&pid, HELPER, &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    free(argv);
    if (rc != 0) {
        x2go_log(LOG_WARNING, "cannot run %s: %s", HELPER, strerror(rc));
        return;
    }
    wait_bounded(pid);
    char cached[PATH_MAX + 32];
    for (int e = 0; e < a->n; e++)
        for (int i = 0; i < a->ents[e].d.nitems; i++) {
            struct icon *ic = &a->ents[e].icons[i];
            if (ic->src && x2go_fmt(cached, sizeof cached, "%s/%s", a->cache, ic->name) >= 0)
                from_cache(a, ic, cached);
        }
}

static bool used(const struct apps *a, const char *name)
{
    for (int e = 0; e < a->n; e++)
        for (int i = 0; i < a->ents[e].d.nitems; i++)
            if (a->ents[e].icons[i].name[0] && !strcmp(a->ents[e].icons[i].name, name))
                return true;
    return false;
}

/* Drop converted icons no entry uses any more (the cache stays as small
 * as the menu); a temporary cache goes altogether. */
static void prune(const struct apps *a)
{
    DIR *d = a->cache[0] ? opendir(a->cache) : NULL;
    struct dirent *f;
    char p[PATH_MAX + 300];
    while (d && (f = readdir(d))) {
        size_t l = strlen(f->d_name);
        if (l == 20 && !strcmp(f->d_name + 16, ".png") && (a->tmpcache || !used(a, f->d_name)) &&
            x2go_fmt(p, sizeof p, "%s/%s", a->cache, f->d_name) >= 0)
            unlink(p);
    }
    if (d)
        closedir(d);
    if (a->tmpcache)
        rmdir(a->cache);
}

static const unsigned char *icon_of(int item, size_t *len, void *ctx)
{
    struct icon *ic = &((struct entry *)ctx)->icons[item];
    *len = ic->len;
    return ic->data;
}

static void free_apps(struct apps *a)
{
    for (int e = 0; e < a->n; e++) {
        for (int i = 0; i < a->ents[e].d.nitems; i++) {
            free(a->ents[e].icons[i].data);
            free(a->ents[e].icons[i].src);
        }
        free(a->ents[e].icons);
        free(a->ents[e].buf);
    }
    free(a->ents);
    free_listings();
}

/* Every icon that needed converting was converted (else the menu is not
 * cached: the next query tries again). */
static bool complete(const struct apps *a)
{
    for (int e = 0; e < a->n; e++)
        for (int i = 0; i < a->ents[e].d.nitems; i++)
            if (a->ents[e].icons[i].src && !a->ents[e].icons[i].data &&
                !a->ents[e].icons[i].unusable)
                return false;
    return true;
}

/* The menu, freshly made; *len gets its size. */
static char *make_menu(struct apps *a, const struct passwd *pw, size_t *len)
{
    char dir[PATH_MAX], *menu = NULL;
    const char *sys = X2GO_CONFDIR "/applications";
    x2go_deps_stat(&deps, sys);
    scan_base(a, is_dir(sys) ? sys : "/usr/share/applications");
    if (x2go_fmt(dir, sizeof dir, "%s/applications-per-user/%s", X2GO_CONFDIR, pw->pw_name) >= 0)
        scan_base(a, dir);
    if (x2go_fmt(dir, sizeof dir, "%s/.x2go/applications", pw->pw_dir) >= 0)
        scan_base(a, dir);
    convert(a);
    FILE *m = open_memstream(&menu, len);
    if (!m)
        abort();
    for (int e = 0; e < a->n; e++)
        x2go_desktop_print(m, (char *)a->ents[e].buf, &a->ents[e].d, icon_of, &a->ents[e]);
    fclose(m);
    if (!complete(a))
        deps.broken = true;
    prune(a);
    return menu;
}

/* A fresh cached menu goes from the file to stdout without a copy in
 * memory (it is megabytes; copies and their page faults were most of a
 * cached query's time). Nothing else is printed by this command, and it
 * cannot fail after the first byte but by a write error. */
static int send_cached(int fd, off_t off, size_t len)
{
    int rc = 0;
    while (len > 0 && rc == 0) {
        ssize_t n = sendfile(STDOUT_FILENO, fd, &off, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EINVAL || errno == ENOSYS)) { /* stdout takes no sendfile */
            char buf[65536];
            n = pread(fd, buf, len < sizeof buf ? len : sizeof buf, off);
            for (ssize_t w = 0, k; w < n; w += k)
                if ((k = write(STDOUT_FILENO, buf + w, (size_t)(n - w))) < 0 && errno != EINTR)
                    n = -1;
                else if (k < 0)
                    k = 0;
            off += n > 0 ? n : 0;
        }
        if (n <= 0)
            rc = x2go_cmd_fail(1, "cannot write the menu: %s", n < 0 ? strerror(errno)
                                                                      : "cache file shrank");
        else
            len -= (size_t)n;
    }
    close(fd);
    return rc;
}

static int run_getapps(int argc, char **argv, FILE *out)
{
    (void)argc;
    (void)argv;
    struct apps a = {.uid = getuid()};
    struct passwd *pw = getpwuid(a.uid);
    if (!pw) {
        x2go_seterr("no passwd entry for uid %u", (unsigned)a.uid);
        return x2go_cmd_error(1);
    }
    setup_cache(&a, pw->pw_dir);
    char key[PATH_MAX * 2], file[PATH_MAX];
    const char *path = getenv("PATH");
    /* Everything besides files that the menu depends on. */
    snprintf(key, sizeof key, "%s %u %s %s PATH=%s", X2GO_VERSION, (unsigned)a.uid,
             pw->pw_name, pw->pw_dir, path ? path : "");
    bool cached = !a.tmpcache && a.cache[0] &&
                  x2go_fmt(file, sizeof file, "%s/.x2go/cache/menu", pw->pw_dir) >= 0;
    size_t len = 0;
    off_t off;
    int fd = cached ? x2go_deps_open(file, key, a.uid, &off, &len) : -1;
    if (fd >= 0)
        return send_cached(fd, off, len);
    x2go_deps_init(&deps, key);
    char *menu = make_menu(&a, pw, &len);
    if (cached && !deps.broken && x2go_deps_save(&deps, file, menu, len) < 0)
        x2go_log(LOG_INFO, "menu not cached: %s", x2go_err());
    x2go_deps_free(&deps);
    free_apps(&a);
    fwrite(menu, 1, len, out);
    free(menu);
    return 0;
}

X2GO_COMMAND(getapps, "x2gogetapps", X2GO_BIN, "", 0, -1, 0, run_getapps);
