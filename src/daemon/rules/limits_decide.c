/* The time limits' rules (see limits_decide.h). */
#include "limits_decide.h"

static void wake_in(int64_t *wake, int64_t now, int64_t delay)
{
    int64_t t = now + (delay > 0 ? delay : 0);
    if (!*wake || t < *wake)
        *wake = t;
}

static struct dm_lim_verdict verdict(enum dm_lim_action act, enum dm_lim_reason why,
                                     int64_t value, int64_t limit)
{
    return (struct dm_lim_verdict){act, why, value, limit};
}

/* Where the idle time is watched next: the warning, then the limit. */
static int64_t idle_mark(const struct dm_lim_facts *f, const struct dm_lim *l,
                         const struct dm_lim_track *t)
{
    if (!f->can_warn || !l->warning || t->warned_at || l->warning >= l->idle)
        return l->idle;
    return l->idle - l->warning;
}

static const struct dm_lim_verdict none = {DM_LIM_NONE, DM_LIM_R_NONE, 0, 0};

/* After the warning: its own window counts as input in the agent (it maps,
 * and goes when it times out), so the question at the deadline is whether
 * there was input since the warning appeared, not the idle time alone. */
static struct dm_lim_verdict after_warning(int64_t idle, const struct dm_lim_facts *f,
                                           const struct dm_lim *l, struct dm_lim_track *t,
                                           int64_t now, int64_t *wake)
{
    int64_t deadline = t->warned_at + (l->idle - t->warned_idle_ms);
    if (now < deadline) {
        wake_in(wake, now, deadline - now);
        return none;
    }
    int64_t measured_at = now - f->idle_age;
    if (measured_at < deadline)
        return verdict(DM_LIM_PROBE, DM_LIM_R_IDLE, 0, l->idle);
    int64_t since = measured_at - t->warned_at;
    if (idle >= since - DM_WARN_GRACE_MS)
        return verdict(DM_LIM_SUSPEND, DM_LIM_R_IDLE, t->warned_idle_ms + since, l->idle);
    t->warned_at = 0; /* input since the warning: a new stretch */
    return verdict(DM_LIM_NONE, DM_LIM_R_NONE, 0, 0);
}

/* A running session and an idle limit. */
static struct dm_lim_verdict idle_rule(const struct dm_lim_facts *f, const struct dm_lim *l,
                                       struct dm_lim_track *t, int64_t now, int64_t *wake)
{
    if (f->probing)
        return none; /* its answer wakes us */
    if (f->idle < 0) {
        if (f->idle_age < DM_IDLE_RETRY_MS) {
            wake_in(wake, now, DM_IDLE_RETRY_MS - f->idle_age);
            return none;
        }
        return verdict(DM_LIM_PROBE, DM_LIM_R_IDLE, 0, l->idle);
    }
    int64_t idle = f->idle;
    /* Counted from the last resume at most: the X server does not see the
     * resume as input. */
    if (f->running_for >= 0 && f->running_for - f->idle_age < idle)
        idle = f->running_for > f->idle_age ? f->running_for - f->idle_age : 0;
    if (t->warned_at) {
        struct dm_lim_verdict v = after_warning(idle, f, l, t, now, wake);
        if (t->warned_at)
            return v;
    }
    if (f->idle_age > DM_IDLE_FRESH_MS) {
        /* Idle at most this long by now: measure once the mark may be
         * reached. */
        int64_t most = idle + f->idle_age;
        if (f->running_for >= 0 && f->running_for < most)
            most = f->running_for;
        if (most >= idle_mark(f, l, t))
            return verdict(DM_LIM_PROBE, DM_LIM_R_IDLE, 0, l->idle);
        wake_in(wake, now, idle_mark(f, l, t) - most);
        return none;
    }
    if (idle >= l->idle)
        return verdict(DM_LIM_SUSPEND, DM_LIM_R_IDLE, idle, l->idle);
    int64_t mark = idle_mark(f, l, t);
    if (idle >= mark) {
        t->warned_at = now;
        t->warned_idle_ms = idle;
        wake_in(wake, now, l->idle - idle);
        return verdict(DM_LIM_WARN, DM_LIM_R_IDLE, idle, l->idle);
    }
    wake_in(wake, now, mark - idle);
    return none;
}

static bool running(const struct dm_lim_facts *f)
{
    return f->status == 'R' && f->state == X2GO_AS_RUNNING;
}

struct dm_lim_verdict dm_lim_decide(const struct dm_lim_facts *f, const struct dm_lim *l,
                                    struct dm_lim_track *t, int64_t now, int64_t *wake)
{
    if (f->status != 'R' && f->status != 'S')
        return none;
    if (t->acted_at && now - t->acted_at < DM_LIM_RETRY_MS) {
        wake_in(wake, now, t->acted_at + DM_LIM_RETRY_MS - now);
        return none; /* the last command is still at work */
    }
    if (l->lifetime && f->age >= 0) {
        if (f->age >= l->lifetime)
            return verdict(DM_LIM_TERMINATE, DM_LIM_R_LIFETIME, f->age, l->lifetime);
        int64_t warn_at = l->lifetime - l->warning;
        if (running(f) && f->can_warn && l->warning && !t->warned_life) {
            if (f->age >= warn_at) {
                t->warned_life = true;
                wake_in(wake, now, 1000); /* the other limits, next */
                return verdict(DM_LIM_WARN, DM_LIM_R_LIFETIME, f->age, l->lifetime);
            }
            wake_in(wake, now, warn_at - f->age);
        }
        wake_in(wake, now, l->lifetime - f->age);
    }
    /* Only a session really suspended: an S row whose agent runs is a
     * resume under way. */
    if (l->suspended && f->status == 'S' && f->state == X2GO_AS_SUSPENDED &&
        f->suspended >= 0) {
        if (f->suspended >= l->suspended)
            return verdict(DM_LIM_TERMINATE, DM_LIM_R_SUSPENDED, f->suspended, l->suspended);
        wake_in(wake, now, l->suspended - f->suspended);
    }
    if (l->idle && running(f))
        return idle_rule(f, l, t, now, wake);
    return none;
}

void dm_lim_acted(struct dm_lim_track *t, int64_t now)
{
    t->acted_at = now;
}
