/* The clean-up daemon's rules as a pure function over plain data: what to
 * do with one session row, given what the database says, what the daemon
 * remembers of it and what its agent looks like now. No I/O here: the
 * caller gathers the facts, acts on the answer and reports back. */
#ifndef X2GO_DM_DECIDE_H
#define X2GO_DM_DECIDE_H

#include <stdbool.h>
#include <stdint.h>

#include "agent.h"

#define DM_RESERVATION_TTL_MS 60000  /* start in progress: agent_pid NULL */
#define DM_F_KILL_AFTER_MS 20000     /* F row whose agent lingers */
#define DM_SUSPEND_GRACE_MS 1500     /* let a user's own suspend land first */
#define DM_SELF_SUSPEND_GRACE_MS 2000 /* R row, agent suspended: the suspender's turn */
#define DM_RETRY_MS 10000            /* between tries of a user command */
#define DM_RECHECK_MS 5000           /* agent could not be checked: look again */
#define DM_SUSPEND_TRIES 2
#define DM_TERMINATE_TRIES 3

enum dm_liveness { DM_GONE, DM_ALIVE, DM_UNKNOWN };

/* What the daemon remembers of a row between passes. Times are ms on the
 * monotonic clock, 0: not started. */
struct dm_track {
    char status;                 /* last status seen (or written) */
    char wrote;                  /* last status this daemon wrote */
    enum x2go_agent_state state; /* last state file seen */
    int64_t resv_ms;             /* reservation unchanged since */
    int64_t f_alive_ms;          /* F with a live agent since */
    int64_t killed_ms;
    int64_t cand_ms;             /* outside suspend request seen at */
    int64_t susp_seen_ms;        /* R row with a suspended agent since */
    int64_t suspend_at, term_at; /* last run of the user command */
    int64_t term_wait_ms;        /* T row whose agent says TERMINATING since */
    int suspend_tries, term_tries;
};

/* The row as read in this pass. */
struct dm_row {
    char status;
    bool reservation;       /* agent_pid NULL: a start in progress */
    bool is_new;            /* first seen in this pass */
    bool last_time_changed; /* since the previous pass */
    int64_t age_ms;         /* of last_time, capped at the TTL (new rows) */
};

/* The agent as checked in this pass. */
struct dm_agent {
    enum dm_liveness live;
    bool user_ok;                /* its user exists */
    enum x2go_agent_state state; /* state file (when alive and user_ok) */
    bool can_suspend;            /* x2gosuspend-session can be run */
    bool can_terminate;          /* x2goterminate-session can be run */
};

enum dm_action {
    DM_NOTHING,         /* keep it; look again at *wake, if set */
    DM_RESV_FAILED,     /* F reservation: remove the row */
    DM_RESV_EXPIRED,    /* reservation older than the TTL: remove the row */
    DM_DEAD,            /* agent gone: F, files, remove the row, forget */
    DM_MARK_SUSPENDED,  /* R -> S, then unmount and rmforward */
    DM_MARK_RUNNING,    /* S -> R */
    DM_SUSPEND,         /* run x2gosuspend-session, then dm_ran() */
    DM_SUSPEND_GAVE_UP, /* tries used up: S -> R */
    DM_TERMINATE,       /* run x2goterminate-session, then dm_ran() */
    DM_TERM_STUCK,      /* agent stays TERMINATING: T -> F */
    DM_TERM_SIGNAL,     /* SIGTERM the agent ourselves, T -> F */
    DM_BLOCKED,         /* F with a live agent, first seen: wait */
    DM_KILL_FIRST,      /* SIGKILL it; when sent, unmount and rmforward */
    DM_KILL_AGAIN,      /* SIGKILL it again */
    DM_FORGET,          /* row gone, nothing left to do */
    DM_FORGET_CLEANUP,  /* row gone, agent dead: its files, then forget */
};

/* One row of this host in the database. *wake is lowered (0: unset) to
 * the moment a timer of this row ends. t is updated. */
enum dm_action dm_decide(const struct dm_row *r, const struct dm_agent *a,
                         struct dm_track *t, int64_t now, int64_t *wake);

/* A tracked row that is no longer in the database (has_agent: it had an
 * agent pid). */
enum dm_action dm_decide_gone(bool has_agent, const struct dm_agent *a, struct dm_track *t,
                              int64_t now, int64_t *wake);

/* After DM_SUSPEND or DM_TERMINATE: started tells whether the command
 * could be started. */
void dm_ran(struct dm_track *t, enum dm_action act, bool started, int64_t now, int64_t *wake);

/* A status the daemon wrote successfully. */
void dm_wrote(struct dm_track *t, char status);

/* A reservation of another host (no daemon here watches its agent): it
 * expires when its last_time is older than ttl_ms. */
bool dm_foreign_reservation_expired(int64_t age_ms, int64_t ttl_ms);

#endif
