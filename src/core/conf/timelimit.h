/* Time limits of sessions, from x2goserver.conf:
 *
 *   [time limits]            suspended = 2d   idle = 90m   lifetime = 0   warning = 60s
 *   [time limits users]      <login> = idle=30m, lifetime=8h
 *   [time limits groups]     <group> = suspended=4h
 *
 * Per limit, a user's entry beats the group entries, which beat the
 * default; among several groups the most generous value applies (0, off,
 * beats any number), as with [limit groups]. Durations are a number with
 * a unit s, m, h or d; 0 (or no setting) turns a limit off. */
#ifndef X2GO_TIMELIMIT_H
#define X2GO_TIMELIMIT_H

#include <stdbool.h>
#include <stddef.h>

#include "ini.h"

enum x2go_tlimit_kind { X2GO_TL_SUSPENDED, X2GO_TL_IDLE, X2GO_TL_LIFETIME, X2GO_TL_KINDS };

/* Seconds; 0: off. */
struct x2go_tlimits {
    long v[X2GO_TL_KINDS];
};

/* One [time limits users] or [time limits groups] entry: the limits it
 * names (has[k]) and their values. */
struct x2go_tlimit_entry {
    char name[256];
    bool has[X2GO_TL_KINDS];
    long v[X2GO_TL_KINDS];
};

struct x2go_tlimit_conf {
    struct x2go_tlimits def;
    long warning;                /* seconds of warning before an idle suspend or lifetime end */
    struct x2go_tlimit_entry *users, *groups;
    size_t nusers, ngroups;
};

#define X2GO_TL_WARNING_DEFAULT 60
#define X2GO_TL_MAX_SECONDS (3650L * 86400) /* ten years */

/* "90m" -> 5400. 0 and *secs on success; -1 (error set) for anything but
 * digits followed by one unit s, m, h or d, or a bare 0. */
int x2go_duration_parse(const char *s, long *secs);

/* Read the three sections from ini. On any error (one message naming file
 * and line) the result is all limits off, and -1. */
int x2go_tlimit_load(const struct x2go_ini *ini, struct x2go_tlimit_conf *c);
void x2go_tlimit_free(struct x2go_tlimit_conf *c);

/* Any limit configured at all. */
bool x2go_tlimit_any(const struct x2go_tlimit_conf *c);

/* The limits of user, a member of the ng groups named in groups. */
void x2go_tlimit_for(const struct x2go_tlimit_conf *c, const char *user,
                     const char *const *groups, size_t ng, struct x2go_tlimits *out);

/* "suspended", "idle", "lifetime". */
const char *x2go_tlimit_name(enum x2go_tlimit_kind k);

#endif
