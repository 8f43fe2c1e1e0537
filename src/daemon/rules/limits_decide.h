/* The time limits as a pure function over plain data: what to do with one
 * live session of this host, given its limits, its timers and the X
 * server's idle time. No I/O here: limits.c gathers the facts, asks and
 * acts. */
#ifndef X2GO_DM_LIMITS_DECIDE_H
#define X2GO_DM_LIMITS_DECIDE_H

#include <stdbool.h>
#include <stdint.h>

#include "agent.h"

#define DM_LIM_RETRY_MS 10000     /* between two suspends or terminates of a row */
#define DM_IDLE_FRESH_MS 5000     /* an idle time older than this is measured again */
#define DM_IDLE_RETRY_MS 30000    /* after a failed measurement */
#define DM_WARN_GRACE_MS 3000     /* the warning's own window may count as input this late */

/* Limits in ms; 0: off. */
struct dm_lim {
    int64_t suspended, idle, lifetime, warning;
};

/* The session as seen in this pass. -1: unknown. */
struct dm_lim_facts {
    char status;                 /* the row's */
    enum x2go_agent_state state; /* the agent's state file */
    int64_t age;                 /* since the session started (init_time) */
    int64_t suspended;           /* S row: since it was suspended (last_time) */
    int64_t idle;                /* X server idle time when measured, -1: none or failed */
    int64_t idle_age;            /* how long ago it was measured (or failed) */
    int64_t running_for;         /* the agent RUNNING without a break since */
    bool probing;                /* a measurement is under way */
    bool can_warn;               /* a warning can be shown in the session */
};

/* What the rules remember of a row. */
struct dm_lim_track {
    bool warned_life;
    int64_t warned_at;           /* idle warning shown at (0: none pending) */
    int64_t warned_idle_ms;      /* idle time then */
    int64_t acted_at;            /* last suspend or terminate started, 0: none */
};

enum dm_lim_action {
    DM_LIM_NONE,
    DM_LIM_PROBE,     /* measure the idle time */
    DM_LIM_WARN,      /* show the warning in the session */
    DM_LIM_SUSPEND,   /* suspend it (x2gosuspend-session) */
    DM_LIM_TERMINATE, /* end it (x2goterminate-session) */
};

enum dm_lim_reason { DM_LIM_R_NONE, DM_LIM_R_SUSPENDED, DM_LIM_R_IDLE, DM_LIM_R_LIFETIME };

struct dm_lim_verdict {
    enum dm_lim_action act;
    enum dm_lim_reason why;
    int64_t value, limit;   /* the time that ran over (or nearly) and its limit */
};

/* One live session. *wake is lowered (0: unset) to the moment something
 * changes; t is updated (warnings given). */
struct dm_lim_verdict dm_lim_decide(const struct dm_lim_facts *f, const struct dm_lim *l,
                                    struct dm_lim_track *t, int64_t now, int64_t *wake);

/* A suspend or terminate was started at now. */
void dm_lim_acted(struct dm_lim_track *t, int64_t now);

#endif
