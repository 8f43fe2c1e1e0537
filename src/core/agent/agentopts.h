/* The agent's inputs: the per-session options file (spec 4.3, 4.4), the
 * admin's /etc/x2go/x2goagent.options (read, never run), and the validation
 * of the client-supplied values that end up in them. */
#ifndef X2GO_AGENTOPTS_H
#define X2GO_AGENTOPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define X2GO_AGENT_OPTIONS_FILE X2GO_CONFDIR "/x2goagent.options"
#define X2GO_MAX_AGENT_ARGS 64

/* Grammars of the session parameters (each false for a bad value). */
bool x2go_valid_geometry(const char *s);  /* WxH[+X+Y] (1..5 digits), fullscreen, "" */
bool x2go_valid_link(const char *s);      /* modem isdn adsl wan lan */
bool x2go_valid_pack(const char *s);      /* [a-z0-9-], 1..40 */
bool x2go_valid_kbtype(const char *s);    /* auto, model/layout */
/* The display arguments x2gostartagent and x2goresume-session share.
 * Sets the error to the first bad one and returns -1. */
int x2go_check_display_args(const char *geometry, const char *link, const char *pack,
                            const char *kbtype, const char *setkbd);
bool x2go_valid_clipboard(const char *s); /* 0 none client server both 1 */
/* "<cache>-depth_<1..2 digits>"; the depth goes to *depth. */
bool x2go_parse_sesstype(const char *s, int *depth);
/* Truthiness of X2GO_XINERAMA and the resume argument: yes/true/on/1 are
 * true, no/false/off/0 false, anything else gives def. */
bool x2go_truthy(const char *s, bool def);

/* What /etc/x2go/x2goagent.options (or the environment) adds. */
struct x2go_agent_conf {
    char *args[X2GO_MAX_AGENT_ARGS]; /* extra agent arguments, split on blanks */
    int nargs;
    char nxoptions[1024];            /* extra options-file keys, ends with ',' or "" */
    char storage[2048];
};

/* The three variables x2gostartagent takes from the file, when set. */
struct x2go_agent_vars {
    char dflt[1024], opts[1024], nxopts[1024];
    bool dflt_set, opts_set, nxopts_set;
};

/* Parse the file's text (the shell subset agentconf.c describes). -1 with
 * the error "<path> line <n>: <why>" for anything else. */
int x2go_agent_conf_parse(const char *path, const char *text, struct x2go_agent_vars *out);

/* Read the file as x2gostartagent sources it: $X2GO_NXAGENT_OPTIONS (file,
 * else environment) replaces the default options when not blank. 0: used;
 * 1: the file could not be used (logged once, error set) and c holds the
 * built-in defaults; -1: the environment's values are unusable. */
int x2go_agent_conf_load(const char *path, struct x2go_agent_conf *c);

struct x2go_options {
    const char *link, *pack, *type, *sid, *cookie, *dir;
    const char *kbtype;    /* already null/null when not to be set */
    const char *geometry;  /* WxH, or NULL/"" for none */
    bool xinerama, fullscreen;
    int gr_port;
    const char *clipboard;
    const char *nxoptions; /* "" or "k=v,...," */
    int display;
};

/* nxagent splits its options file on commas, so a list of layouts
 * (pc105/de,us) cannot go there whole: the file gets the first layout,
 * and the whole value goes on the agent's command line as -kbtype <this>
 * (which it reads whole). NULL when kbtype is one layout, auto or
 * null/null. On resume the rewrite leaves such a value out of the file,
 * so the agent keeps the layouts it has. */
const char *x2go_kbtype_agent_arg(const char *kbtype);

/* The single line of spec 4.3, with the trailing newline. */
int x2go_options_format(const struct x2go_options *o, char *buf, size_t len);

/* Rewrite an existing options line by key (resume, spec 4.4): each of
 * the given keys is replaced in place, geometry is inserted after kbtype
 * when absent and wanted, and removed when geometry is NULL/"". Keys not
 * named keep their values and order. */
struct x2go_options_update {
    const char *link, *pack, *kbtype, *geometry, *clipboard;
    bool xinerama, fullscreen;
    int gr_port;
};
int x2go_options_rewrite(const char *in, const struct x2go_options_update *u, char *out,
                         size_t len);

#endif
