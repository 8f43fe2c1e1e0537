/* The generic names x2goruncommand takes for a desktop or an application
 * (spec 5: GNOME, UNITY, CINNAMON, MATE, KDE, XFCE, LXDE, ..., TERMINAL):
 * the program each one stands for on this system, its extra arguments and
 * the environment it needs. A decision over facts (which files exist, the
 * distribution); x2go_alias_probe gathers them. */
#ifndef X2GO_RUNALIAS_H
#define X2GO_RUNALIAS_H

#include <stdbool.h>
#include <stddef.h>

#define X2GO_ALIAS_ENV_MAX 6

/* One variable to export. append: added to the current value after a ':'
 * (the value alone when there is none). */
struct x2go_alias_env {
    const char *name, *value;
    bool append;
};

struct x2go_alias {
    const char *cmd;  /* the program: the replacement, or the command as given */
    const char *args; /* extra arguments, space separated; NULL for none */
    int nenv;
    struct x2go_alias_env env[X2GO_ALIAS_ENV_MAX];
};

struct x2go_alias_facts {
    /* true when the file exists (exec: and is an executable file) */
    bool (*has)(const char *path, bool exec, void *ctx);
    void *ctx;
    const char *distrib_id;      /* DISTRIB_ID of /etc/lsb-release; NULL: none */
    const char *distrib_release; /* DISTRIB_RELEASE, e.g. "22.04"; NULL: none */
    bool debian_squeeze;         /* /etc/debian_version names squeeze or 6.x */
};

/* Pure. What cmd (the whole command line, compared case-sensitively) runs.
 * A name that stands for nothing installed becomes the program the
 * reference would try (e.g. KDE: /usr/bin/startkde), so that the client's
 * "NOEXEC:" message names it; a list name (TERMINAL, WWWBROWSER,
 * MAILCLIENT, OFFICE) with nothing installed stays as it is. */
void x2go_alias_resolve(const char *cmd, const struct x2go_alias_facts *f,
                        struct x2go_alias *out);

/* Fill f from this system: stat(2) for has, /etc/lsb-release (or the
 * DISTRIB_* environment when the file does not say), /etc/debian_version.
 * The strings live in buf. */
void x2go_alias_probe(struct x2go_alias_facts *f, char *buf, size_t len);

#endif
