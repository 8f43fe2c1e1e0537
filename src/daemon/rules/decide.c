/* The clean-up daemon's rules (see decide.h). Built on x2go_reconcile(),
 * the state table the listings use too; what is added here is timing:
 * grace periods, retries and the broker's explicit suspend. */
#include "decide.h"

static void wake_at(int64_t *wake, int64_t t)
{
    if (!*wake || t < *wake)
        *wake = t;
}

/* A timer that started at since (0: not started) and runs for delay: true
 * while it runs, with a wake-up booked for the moment it ends. */
static bool waiting(int64_t since, int64_t delay, int64_t now, int64_t *wake)
{
    if (!since || now - since >= delay)
        return false;
    wake_at(wake, since + delay);
    return true;
}

/* A start in progress: removed only when it stayed unchanged for the TTL,
 * so a slow start does not lose its row. */
static enum dm_action reservation(const struct dm_row *r, char old_status, struct dm_track *t,
                                  int64_t now, int64_t *wake)
{
    if (r->status == 'F')
        return DM_RESV_FAILED;
    /* First sight: the row's own last_time counts (a daemon started after
     * a reboot need not wait another TTL). */
    if (r->is_new || old_status != r->status || r->last_time_changed)
        t->resv_ms = now - (r->is_new ? r->age_ms : 0);
    if (now - t->resv_ms >= DM_RESERVATION_TTL_MS)
        return DM_RESV_EXPIRED;
    wake_at(wake, t->resv_ms + DM_RESERVATION_TTL_MS);
    return DM_NOTHING;
}

/* F row, agent alive: give it some time, then SIGKILL, and again. */
static enum dm_action blocked(struct dm_track *t, int64_t now, int64_t *wake)
{
    if (!t->f_alive_ms) {
        t->f_alive_ms = now;
        wake_at(wake, now + DM_F_KILL_AFTER_MS);
        return DM_BLOCKED;
    }
    if (waiting(t->f_alive_ms, DM_F_KILL_AFTER_MS, now, wake) ||
        waiting(t->killed_ms, DM_RETRY_MS, now, wake))
        return DM_NOTHING;
    enum dm_action act = t->killed_ms ? DM_KILL_AGAIN : DM_KILL_FIRST;
    t->killed_ms = now;
    wake_at(wake, now + DM_RETRY_MS);
    return act;
}

/* DB S with a RUNNING agent. R -> S from outside while the agent kept
 * running is a suspend request (x2gobroker-agent runs x2gochangestatus S);
 * anything else is a stale row (a resume in flight): fix the DB, never
 * suspend behind the client's back. */
static enum dm_action suspended_running(const struct dm_row *r, char old_status,
                                        enum x2go_agent_state old_state, struct dm_track *t,
                                        const struct dm_agent *a, int64_t now, int64_t *wake)
{
    if (!r->is_new && old_status == 'R' && t->wrote != 'S' && old_state == X2GO_AS_RUNNING) {
        t->cand_ms = now;
        t->suspend_tries = 0;
        t->suspend_at = 0;
    }
    if (!t->cand_ms)
        return DM_MARK_RUNNING;
    if (waiting(t->cand_ms, DM_SUSPEND_GRACE_MS, now, wake) ||
        waiting(t->suspend_at, DM_RETRY_MS, now, wake))
        return DM_NOTHING;
    if (t->suspend_tries < DM_SUSPEND_TRIES && a->can_suspend)
        return DM_SUSPEND;
    t->cand_ms = 0;
    return DM_SUSPEND_GAVE_UP;
}

static enum dm_action terminate(struct dm_track *t, const struct dm_agent *a, int64_t now,
                                int64_t *wake)
{
    if (a->state == X2GO_AS_TERMINATING || a->state == X2GO_AS_TERMINATED) {
        /* On its way out: its exit wakes us. One that hangs there becomes
         * F, and the F rule kills it later. */
        if (!t->term_wait_ms)
            t->term_wait_ms = now;
        if (waiting(t->term_wait_ms, DM_F_KILL_AFTER_MS, now, wake))
            return DM_NOTHING;
        return DM_TERM_STUCK;
    }
    if (waiting(t->term_at, DM_RETRY_MS, now, wake))
        return DM_NOTHING;
    if (t->term_tries < DM_TERMINATE_TRIES && a->can_terminate)
        return DM_TERMINATE;
    /* No terminate command, or it did not help: end the agent ourselves. */
    t->term_at = now;
    return DM_TERM_SIGNAL;
}

/* R row whose agent suspended: a user's own x2gosuspend-session writes S
 * itself right after its SIGHUP; give it that moment before stepping in. */
static enum dm_action self_suspended(struct dm_track *t, int64_t now, int64_t *wake)
{
    if (!t->susp_seen_ms)
        t->susp_seen_ms = now;
    if (waiting(t->susp_seen_ms, DM_SELF_SUSPEND_GRACE_MS, now, wake))
        return DM_NOTHING;
    t->susp_seen_ms = 0;
    return DM_MARK_SUSPENDED;
}

/* Timers belong to one status: leaving it stops them. */
static void reset_timers(char status, enum x2go_agent_state st, struct dm_track *t)
{
    if (status != 'F')
        t->f_alive_ms = t->killed_ms = 0;
    if (status != 'S' || st != X2GO_AS_RUNNING)
        t->cand_ms = 0;
    if (status != 'T') {
        t->term_tries = 0;
        t->term_at = t->term_wait_ms = 0;
    }
    if (status != 'R' || x2go_reconcile('R', true, st) != 'S')
        t->susp_seen_ms = 0;
}

enum dm_action dm_decide(const struct dm_row *r, const struct dm_agent *a,
                         struct dm_track *t, int64_t now, int64_t *wake)
{
    char old_status = t->status;
    enum x2go_agent_state old_state = t->state;
    if (r->status != old_status)
        t->wrote = 0; /* changed by someone else since our last write */
    t->status = r->status;
    if (r->reservation)
        return reservation(r, old_status, t, now, wake);
    if (a->live == DM_UNKNOWN) {
        /* Could not look (out of descriptors, say): never a reason to end
         * a session. */
        wake_at(wake, now + DM_RECHECK_MS);
        return DM_NOTHING;
    }
    if (a->live == DM_GONE)
        return DM_DEAD; /* the table's first rule: no agent, F */
    if (!a->user_ok)
        return DM_NOTHING; /* an agent of an unknown user: nothing to verify */
    t->state = a->state;
    reset_timers(r->status, a->state, t);
    char want = x2go_reconcile(r->status, true, a->state);
    switch (r->status) {
    case 'R':
        return want == 'S' ? self_suspended(t, now, wake) : DM_NOTHING;
    case 'S':
        if (want == 'R' && a->state == X2GO_AS_RUNNING)
            return suspended_running(r, old_status, old_state, t, a, now, wake);
        return want == 'R' ? DM_MARK_RUNNING : DM_NOTHING;
    case 'T':
        return terminate(t, a, now, wake);
    case 'F':
        return blocked(t, now, wake);
    default:
        return DM_NOTHING;
    }
}

enum dm_action dm_decide_gone(bool has_agent, const struct dm_agent *a, struct dm_track *t,
                              int64_t now, int64_t *wake)
{
    if (!has_agent)
        return DM_FORGET;
    if (a->live == DM_UNKNOWN) {
        wake_at(wake, now + DM_RECHECK_MS);
        return DM_NOTHING;
    }
    if (a->live == DM_GONE)
        return DM_FORGET_CLEANUP;
    /* Still alive: an F agent stays on the finished list until it goes. */
    if (t->status == 'F' && a->user_ok)
        return blocked(t, now, wake);
    return DM_FORGET;
}

void dm_ran(struct dm_track *t, enum dm_action act, bool started, int64_t now, int64_t *wake)
{
    if (!started) {
        wake_at(wake, now + 1000);
        return;
    }
    if (act == DM_SUSPEND) {
        t->suspend_tries++;
        t->suspend_at = now;
    } else if (act == DM_TERMINATE) {
        t->term_tries++;
        t->term_at = now;
    }
    wake_at(wake, now + DM_RETRY_MS);
}

void dm_wrote(struct dm_track *t, char status)
{
    t->status = status;
    t->wrote = status;
}

bool dm_foreign_reservation_expired(int64_t age_ms, int64_t ttl_ms)
{
    return age_ms >= ttl_ms;
}
