/* One writer at a time among the store server's children.
 *
 * SQLite's own busy handler polls with growing sleeps, so under a flood of
 * writers one child can lose every race until its timeout and fail an
 * ordinary user's start or suspend with "database is locked". Here writers
 * queue on a robust process-shared mutex instead: the kernel wakes the
 * next waiter as soon as the lock is free. A child killed while holding it
 * (alarm, crash) leaves it to the next one, and SQLite rolls back what the
 * dead child had begun. Readers never take it (WAL). */
#include "stored.h"
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <sys/mman.h>
#include <time.h>

static pthread_mutex_t *wlock;

int x2go_wlock_init(void)
{
    pthread_mutexattr_t a;
    void *p = mmap(NULL, sizeof *wlock, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                   -1, 0);
    if (p == MAP_FAILED || pthread_mutexattr_init(&a) != 0) {
        x2go_seterr("cannot set up the writers' lock");
        return -1;
    }
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    int rc = pthread_mutex_init(p, &a);
    pthread_mutexattr_destroy(&a);
    if (rc != 0) {
        x2go_seterr("cannot set up the writers' lock");
        return -1;
    }
    wlock = p;
    return 0;
}

int x2go_wlock_take(long timeout_ms)
{
    if (!wlock)
        return 0; /* no server around us (tests): SQLite's own locking */
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += timeout_ms / 1000;
    t.tv_nsec += (timeout_ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    int rc = pthread_mutex_timedlock(wlock, &t);
    if (rc == EOWNERDEAD)
        rc = pthread_mutex_consistent(wlock);
    if (rc != 0) {
        x2go_seterr("the session database is busy; try again");
        return -1;
    }
    return 0;
}

void x2go_wlock_drop(void)
{
    if (wlock)
        pthread_mutex_unlock(wlock);
}
